//! The pcap and pcapng importer: TCP connections in a packet capture, reassembled, read as
//! HTTP/1.1 (long-polling, other requests) and WebSocket (after the upgrade), and given to
//! the Engine.IO [`Assembler`] so that each Engine.IO session is one connection, as the
//! recording proxy makes them.
//!
//! The layers, each in its own file: `file.rs` (pcap and pcapng files, pcap-parser),
//! `link.rs` (Ethernet, Linux SLL and SLL2, loopback and raw IP, IPv4 and IPv6, TCP;
//! etherparse), the [`tcp_reassembly`] crate (one reassembler per direction), `http.rs`
//! (HTTP/1.x messages, httparse), `conversation.rs` (one connection: HTTP, then WebSocket
//! through [`ws_passive`]).

mod conversation;
mod file;
mod http;
mod link;

use std::collections::HashMap;
use std::net::SocketAddr;

use tcp_reassembly::{Config as TcpConfig, Reassembler, Segment};

use self::conversation::{Context, Conversation, Report};
use self::file::Packets;
use self::link::NotTcp;
use super::har::{epoch_ms_to_rfc3339, round_to_microseconds};
use super::{ImportSummary, Imported, InputKind, finish};
use crate::assemble::{AssembleConfig, Assembler};
use crate::error::{CaptureError, ImportError, ImportLocation};
use crate::record::Header;

pub(crate) use self::file::is_packet_capture;

/// The ports whose traffic is TLS by convention: skipped without looking.
const TLS_PORTS: [u16; 2] = [443, 8443];

/// One TCP connection: a reassembler per direction and what reads the bytes.
#[derive(Debug)]
struct Connection {
    /// `addrs[d]` sends direction `d`; `addrs[0]` sent the first packet seen.
    addrs: [SocketAddr; 2],
    streams: [Reassembler; 2],
    conversation: Conversation,
}

impl Connection {
    fn new(src: SocketAddr, dst: SocketAddr) -> Self {
        Connection {
            addrs: [src, dst],
            streams: [
                Reassembler::new(TcpConfig::default()),
                Reassembler::new(TcpConfig::default()),
            ],
            conversation: Conversation::new([src, dst]),
        }
    }

    fn segment(&mut self, d: usize, segment: &Segment<'_>, ctx: &mut Context<'_>) {
        let Connection {
            streams,
            conversation,
            ..
        } = self;
        streams[d].segment(segment, &mut |event| conversation.on_event(d, event, ctx));
        if segment.rst {
            // A reset ends both directions.
            streams[1 - d].reset(&mut |event| conversation.on_event(1 - d, event, ctx));
        }
    }

    fn finish(&mut self, ctx: &mut Context<'_>) {
        let Connection {
            streams,
            conversation,
            ..
        } = self;
        for (d, stream) in streams.iter_mut().enumerate() {
            stream.finish(&mut |event| conversation.on_event(d, event, ctx));
        }
    }
}

/// Counts of packets that carried nothing the importer reads.
#[derive(Debug, Default)]
struct PacketCounts {
    packets: u64,
    tcp: u64,
    other: u64,
    fragments: u64,
    malformed: u64,
    unsupported_links: Vec<u16>,
}

/// Imports a pcap or pcapng file held in memory.
pub(crate) fn import_pcap(input: &[u8]) -> Result<Imported, CaptureError> {
    let mut packets = Packets::new(input).map_err(file_error)?;
    let mut asm = Assembler::new(AssembleConfig::default());
    let mut report = Report::default();
    let mut counts = PacketCounts::default();
    let mut connections: Vec<Connection> = Vec::new();
    // Both orders of a connection's addresses, to its latest connection.
    let mut by_addrs: HashMap<(SocketAddr, SocketAddr), usize> = HashMap::new();
    let mut origin_ns: Option<i128> = None;
    let mut last_ns: i128 = 0;
    let mut t_ms = 0.0;
    let mut last_packet = 0;
    while let Some(packet) = packets.next_packet().map_err(file_error)? {
        counts.packets += 1;
        last_packet = packet.number;
        let t_ns = if packet.t_ns == i128::MIN {
            last_ns
        } else {
            packet.t_ns
        };
        last_ns = t_ns;
        let origin = *origin_ns.get_or_insert(t_ns);
        // Packets may be slightly out of time order (several interfaces): never before 0.
        t_ms = round_to_microseconds(((t_ns - origin).max(0)) as f64 / 1e6);
        let tcp = match link::tcp_packet(packet.linktype, packet.data) {
            Ok(tcp) => tcp,
            Err(NotTcp::Other) => {
                counts.other += 1;
                continue;
            }
            Err(NotTcp::Fragment) => {
                counts.fragments += 1;
                continue;
            }
            Err(NotTcp::UnsupportedLink(link)) => {
                if !counts.unsupported_links.contains(&link) {
                    counts.unsupported_links.push(link);
                }
                continue;
            }
            Err(NotTcp::Malformed(why)) => {
                counts.malformed += 1;
                let cut = if packet.data.len() < packet.orig_len as usize {
                    format!(
                        " (captured {} of its {} bytes: capture with a larger snap length, \
                         tcpdump -s 0)",
                        packet.data.len(),
                        packet.orig_len
                    )
                } else {
                    String::new()
                };
                report.warn(format!(
                    "packet {} (byte offset {}) not read: {why}{cut}",
                    packet.number, packet.offset
                ));
                continue;
            }
        };
        counts.tcp += 1;
        let mut ctx = Context {
            asm: &mut asm,
            report: &mut report,
            t_ms,
            packet: packet.number,
        };
        let key = (tcp.src, tcp.dst);
        let existing = by_addrs.get(&key).copied().filter(|&index| {
            // A new SYN on the addresses of a connection that ended is a new connection.
            !(tcp.syn && !tcp.ack && connections[index].conversation.is_done())
        });
        let index = match existing {
            Some(index) => index,
            None => {
                let index = connections.len();
                let mut connection = Connection::new(tcp.src, tcp.dst);
                if TLS_PORTS.contains(&tcp.src.port()) || TLS_PORTS.contains(&tcp.dst.port()) {
                    if tcp.syn && !tcp.ack {
                        connection.conversation.set_client(0);
                    } else if TLS_PORTS.contains(&tcp.src.port()) {
                        connection.conversation.set_client(1);
                    }
                    connection.conversation.skip(
                        "port 443 or 8443, TLS by convention, which a packet capture cannot \
                         see into: record through the recording proxy, or export a HAR from \
                         the browser",
                        &mut ctx,
                    );
                }
                connections.push(connection);
                by_addrs.insert((tcp.src, tcp.dst), index);
                by_addrs.insert((tcp.dst, tcp.src), index);
                index
            }
        };
        let connection = &mut connections[index];
        let d = usize::from(connection.addrs[0] != tcp.src);
        if tcp.syn {
            connection
                .conversation
                .set_client(if tcp.ack { 1 - d } else { d });
        }
        let segment = Segment {
            seq: tcp.seq,
            syn: tcp.syn,
            fin: tcp.fin,
            rst: tcp.rst,
            payload: tcp.payload,
        };
        connection.segment(d, &segment, &mut ctx);
    }
    for connection in &mut connections {
        let mut ctx = Context {
            asm: &mut asm,
            report: &mut report,
            t_ms,
            packet: last_packet,
        };
        connection.finish(&mut ctx);
    }
    asm.finish(t_ms);
    let records = asm.drain().collect();

    let mut header = Header::new(InputKind::Pcap.source());
    header.started_at = origin_ns.and_then(|ns| epoch_ms_to_rfc3339(ns as f64 / 1e6));
    let mut summary = ImportSummary::new(InputKind::Pcap);
    summary.gaps = report.gaps;
    summary.skipped_streams = report.skipped.len() as u64;
    summary.notes.push(format!(
        "{} packets, {} TCP in {} {}",
        counts.packets,
        counts.tcp,
        connections.len(),
        if connections.len() == 1 {
            "connection"
        } else {
            "connections"
        }
    ));
    if counts.other > 0 {
        summary.notes.push(format!(
            "{} packets not TCP over IP (UDP, ARP, ICMP, ...) left out",
            counts.other
        ));
    }
    if counts.fragments > 0 {
        summary.notes.push(format!(
            "{} IP fragments left out (IP fragments are not reassembled)",
            counts.fragments
        ));
    }
    for link in &counts.unsupported_links {
        summary.warnings.push(format!(
            "packets of link type {link} left out: the importer reads Ethernet, Linux cooked \
             (SLL, SLL2), loopback and raw IP"
        ));
    }
    for skipped in report.skipped {
        summary.notes.push(format!("skipped {skipped}"));
    }
    summary.warnings.extend(report.warnings);
    if let Some(offset) = packets.truncated_at {
        summary.warnings.push(format!(
            "the file ends inside the packet at byte offset {offset} (a capture stopped \
             mid-write?): that packet was left out"
        ));
    }
    Ok(finish(header, records, summary))
}

fn file_error(error: file::FileError) -> CaptureError {
    CaptureError::Import(ImportError {
        format: InputKind::Pcap.name(),
        location: ImportLocation::Packet {
            number: error.packet,
            offset: error.offset,
        },
        message: error.message,
    })
}
