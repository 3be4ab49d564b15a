//! The passive WebSocket observer: feed throughput of `ws_passive::Observer` on the rt-2 mix
//! written as WebSocket frames, against tungstenite reading the same bytes in the same run.
//!
//! Every group's throughput counts the messages' bytes (the Engine.IO text the mix holds), so
//! compressed and uncompressed groups compare: MB/s of messages delivered. The observer is fed
//! 16 KiB at a time, as a socket read would hand it the bytes.
//!
//! - `ws_passive/server-plain`: server-to-client frames, unmasked. `ws-passive/feed` against
//!   tungstenite's `WebSocket::read` as a client (frames, reassembly, UTF-8 checks, no
//!   deflate: the same work).
//! - `ws_passive/client-masked`: client-to-server frames, masked. Against tungstenite as a
//!   server.
//! - `ws_passive/server-deflate-takeover` and `server-deflate-no-takeover`: permessage-deflate
//!   (flate2 raw deflate, sync flush, tail stripped) with and without context takeover.
//!   tungstenite has no permessage-deflate; the peer there is flate2's raw inflate of the same
//!   payloads with no framing at all (the floor of the work).

use std::hint::black_box;
use std::io::{self, Read, Write};

use criterion::{Criterion, Throughput};
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};
use sio_benches::Corpus;
use tungstenite::protocol::{Role, WebSocket};
use ws_passive::{Config, DeflateParams, Direction, Extensions, Observer, WsEvent};

/// A socket read from a slice; writes (none happen here) are dropped.
struct SliceSocket<'a>(&'a [u8]);

impl Read for SliceSocket<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl Write for SliceSocket<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// One frame, masked with a key that varies per frame when `masked`.
fn frame(out: &mut Vec<u8>, rsv1: bool, payload: &[u8], masked: Option<u32>) {
    out.push(0x81 | if rsv1 { 0x40 } else { 0 });
    let m = if masked.is_some() { 0x80 } else { 0 };
    match payload.len() {
        n @ 0..=125 => out.push(m | n as u8),
        n @ 126..=0xffff => {
            out.push(m | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(m | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    match masked {
        Some(seed) => {
            let mask = seed.wrapping_mul(0x9e37_79b9).to_be_bytes();
            out.extend_from_slice(&mask);
            out.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        }
        None => out.extend_from_slice(payload),
    }
}

/// Raw deflate, sync flush, tail stripped: a permessage-deflate payload.
fn compress(c: &mut Compress, message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + 128);
    let before = c.total_in();
    c.compress_vec(message, &mut out, FlushCompress::Sync)
        .expect("deflate into a Vec");
    assert_eq!(
        c.total_in() - before,
        message.len() as u64,
        "room for the output"
    );
    assert!(out.ends_with(&[0, 0, 0xff, 0xff]));
    out.truncate(out.len() - 4);
    out
}

struct Streams {
    message_bytes: u64,
    plain: Vec<u8>,
    masked: Vec<u8>,
    takeover: Vec<u8>,
    no_takeover: Vec<u8>,
    takeover_payloads: Vec<Vec<u8>>,
    no_takeover_payloads: Vec<Vec<u8>>,
}

impl Streams {
    fn new(corpus: &Corpus) -> Self {
        let (mut plain, mut masked, mut takeover, mut no_takeover) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut shared = Compress::new(Compression::default(), false);
        let mut fresh = Compress::new(Compression::default(), false);
        let (mut takeover_payloads, mut no_takeover_payloads) = (Vec::new(), Vec::new());
        for (i, text) in corpus.frames().iter().enumerate() {
            frame(&mut plain, false, text.as_bytes(), None);
            frame(&mut masked, false, text.as_bytes(), Some(i as u32));
            let p = compress(&mut shared, text.as_bytes());
            frame(&mut takeover, true, &p, None);
            takeover_payloads.push(p);
            let p = compress(&mut fresh, text.as_bytes());
            fresh.reset();
            frame(&mut no_takeover, true, &p, None);
            no_takeover_payloads.push(p);
        }
        Self {
            message_bytes: corpus.bytes(),
            plain,
            masked,
            takeover,
            no_takeover,
            takeover_payloads,
            no_takeover_payloads,
        }
    }
}

/// Feeds `bytes` in 16 KiB reads; the sum of message lengths keeps the work observable.
fn observe(extensions: Extensions, direction: Direction, bytes: &[u8]) -> usize {
    let mut observer = Observer::new(Config::default());
    observer.set_extensions(extensions);
    let mut sum = 0;
    for read in bytes.chunks(16 * 1024) {
        observer.feed(direction, read);
        while let Some(event) = observer.poll_event() {
            match event {
                WsEvent::Message { data, .. } => sum += data.len(),
                other => panic!("unexpected event {other:?}"),
            }
        }
    }
    sum
}

/// tungstenite reading every message of `bytes` in `role`.
fn tungstenite_read(role: Role, bytes: &[u8]) -> usize {
    let mut socket = WebSocket::from_raw_socket(SliceSocket(bytes), role, None);
    let mut sum = 0;
    loop {
        match socket.read() {
            Ok(message) => sum += message.len(),
            // The end of the bytes, with no close frame: how tungstenite reports EOF.
            Err(tungstenite::Error::Protocol(
                tungstenite::error::ProtocolError::ResetWithoutClosingHandshake,
            )) => break,
            Err(e) => panic!("tungstenite: {e}"),
        }
    }
    sum
}

/// flate2's raw inflate of each payload (plus the sync tail) into one reused buffer.
fn inflate_only(payloads: &[Vec<u8>], takeover: bool) -> usize {
    let mut d = Decompress::new(false);
    let mut out = vec![0u8; 64 * 1024];
    let mut sum = 0;
    for p in payloads {
        for input in [&p[..], &[0, 0, 0xff, 0xff][..]] {
            let before = d.total_out();
            d.decompress(input, &mut out, FlushDecompress::Sync)
                .expect("inflates");
            sum += (d.total_out() - before) as usize;
        }
        if !takeover {
            d.reset(false);
        }
    }
    sum
}

fn ws_passive(c: &mut Criterion) {
    let corpus = Corpus::rt2_mix();
    let s = Streams::new(&corpus);
    let none = Extensions::default();
    let deflate = |no_takeover| Extensions {
        permessage_deflate: Some(DeflateParams {
            server_no_context_takeover: no_takeover,
            ..DeflateParams::default()
        }),
    };
    let expected = s.message_bytes as usize;
    // Every function reads the whole corpus before it is timed.
    assert_eq!(observe(none, Direction::ServerToClient, &s.plain), expected);
    assert_eq!(
        observe(none, Direction::ClientToServer, &s.masked),
        expected
    );
    assert_eq!(tungstenite_read(Role::Client, &s.plain), expected);
    assert_eq!(tungstenite_read(Role::Server, &s.masked), expected);
    let takeover = deflate(false);
    let no_takeover = deflate(true);
    assert_eq!(
        observe(takeover, Direction::ServerToClient, &s.takeover),
        expected
    );
    assert_eq!(
        observe(no_takeover, Direction::ServerToClient, &s.no_takeover),
        expected
    );
    assert_eq!(inflate_only(&s.takeover_payloads, true), expected);
    assert_eq!(inflate_only(&s.no_takeover_payloads, false), expected);
    eprintln!(
        "ws_passive: {} messages, {} bytes; on the wire: plain {}, masked {}, deflate with takeover {}, without {}",
        corpus.len(),
        expected,
        s.plain.len(),
        s.masked.len(),
        s.takeover.len(),
        s.no_takeover.len()
    );

    let mut group = c.benchmark_group("ws_passive/server-plain");
    group.throughput(Throughput::Bytes(s.message_bytes));
    group.bench_function("ws-passive/feed", |b| {
        b.iter(|| observe(none, Direction::ServerToClient, black_box(&s.plain)))
    });
    group.bench_function("tungstenite/read", |b| {
        b.iter(|| tungstenite_read(Role::Client, black_box(&s.plain)))
    });
    group.finish();

    let mut group = c.benchmark_group("ws_passive/client-masked");
    group.throughput(Throughput::Bytes(s.message_bytes));
    group.bench_function("ws-passive/feed", |b| {
        b.iter(|| observe(none, Direction::ClientToServer, black_box(&s.masked)))
    });
    group.bench_function("tungstenite/read", |b| {
        b.iter(|| tungstenite_read(Role::Server, black_box(&s.masked)))
    });
    group.finish();

    for (name, ext, stream, payloads, keep) in [
        (
            "takeover",
            takeover,
            &s.takeover,
            &s.takeover_payloads,
            true,
        ),
        (
            "no-takeover",
            no_takeover,
            &s.no_takeover,
            &s.no_takeover_payloads,
            false,
        ),
    ] {
        let mut group = c.benchmark_group(format!("ws_passive/server-deflate-{name}"));
        group.throughput(Throughput::Bytes(s.message_bytes));
        group.bench_function("ws-passive/feed", |b| {
            b.iter(|| observe(ext, Direction::ServerToClient, black_box(stream)))
        });
        group.bench_function("flate2/inflate-only", |b| {
            b.iter(|| inflate_only(black_box(payloads), keep))
        });
        group.finish();
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    ws_passive(&mut c);
    c.final_summary();
}
