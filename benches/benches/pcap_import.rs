//! The pcap importer: throughput of `sio_capture::import::import_capture` on a packet capture
//! of rt-2 traffic (`sio_benches::pcap`: four WebSocket sessions, each the whole rt-2 mix from
//! the server in 1448-byte segments with the client's ACKs and pings), counted in bytes of
//! pcap file read. Everything an import does is in the loop: pcap records, Ethernet, IPv4 and
//! TCP headers, reassembly, the HTTP upgrade, WebSocket frames (and inflate), the Engine.IO
//! assembler, and redaction of every record.
//!
//! - `pcap_import/websocket-plain`: no compression; also with redaction off
//!   (`Redactor::disabled`), to show what the redactor's scan of every frame costs.
//! - `pcap_import/websocket-deflate`: permessage-deflate with context takeover, as a socket.io
//!   server with compression on sends it.
//!
//! tshark, the peer, runs outside criterion on the same file: `benches/pcap/run.sh`.

use std::hint::black_box;

use criterion::{Criterion, Throughput};
use sio_benches::Corpus;
use sio_capture::Redactor;
use sio_capture::import::{ImportOptions, InputKind, import_capture};

fn pcap_import(c: &mut Criterion) {
    let corpus = Corpus::rt2_mix();
    let options = ImportOptions::default().kind(InputKind::Pcap);
    for (name, deflate) in [("websocket-plain", false), ("websocket-deflate", true)] {
        let pcap = sio_benches::pcap::websocket_sessions(&corpus, 4, deflate);
        // The capture is what it says: every frame of every session comes out.
        let imported = import_capture(&pcap, &options).expect("the generated pcap imports");
        assert_eq!(imported.summary.connections, 4);
        assert_eq!(
            imported.summary.frames,
            4 * (corpus.len() as u64 + 2) + 4 * 20
        );
        assert_eq!(imported.summary.gaps, 0);
        let mut group = c.benchmark_group(format!("pcap_import/{name}"));
        group.throughput(Throughput::Bytes(pcap.len() as u64));
        group.sample_size(20);
        group.bench_function("sio-capture/import_capture", |b| {
            b.iter(|| import_capture(black_box(&pcap), &options).map(|i| i.records.len()))
        });
        if !deflate {
            let unredacted = options.clone().redactor(Redactor::disabled());
            group.bench_function("sio-capture/import_capture-no-redaction", |b| {
                b.iter(|| import_capture(black_box(&pcap), &unredacted).map(|i| i.records.len()))
            });
        }
        group.finish();
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    pcap_import(&mut c);
    c.final_summary();
}
