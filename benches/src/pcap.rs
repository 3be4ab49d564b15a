//! A packet capture of rt-2 traffic, built in memory: what the pcap import bench and
//! `benches/pcap/run.sh` (against tshark) read.
//!
//! Each connection is what `tcpdump -i lo` records of a socket.io-client on WebSocket: the TCP
//! handshake, the HTTP upgrade and its `101` (permessage-deflate accepted when `deflate`), the
//! server's open packet and CONNECT, then the [`Corpus`] frames from the server, cut into
//! 1448-byte segments (the loopback MSS of a 1500-byte MTU) with an empty ACK from the client
//! after every second segment, a masked client ping every 50 frames, and the FIN exchange.
//! Ethernet, IPv4 and TCP headers are written by hand (checksums zero, as on loopback with
//! offload), in a classic little-endian microsecond pcap.

use flate2::{Compress, Compression, FlushCompress};

use crate::Corpus;

const MSS: usize = 1448;

struct Writer {
    out: Vec<u8>,
    t_us: u64,
}

impl Writer {
    fn packet(&mut self, src: u16, dst: u16, seq: u32, ack: u32, flags: u8, payload: &[u8]) {
        self.t_us += 7;
        let ip_len = 20 + 20 + payload.len();
        let frame_len = 14 + ip_len;
        self.out
            .extend(((self.t_us / 1_000_000) as u32).to_le_bytes());
        self.out
            .extend(((self.t_us % 1_000_000) as u32).to_le_bytes());
        self.out.extend((frame_len as u32).to_le_bytes());
        self.out.extend((frame_len as u32).to_le_bytes());
        // Ethernet: zero MACs, IPv4.
        self.out.extend([0; 12]);
        self.out.extend([0x08, 0x00]);
        // IPv4, no options, don't fragment, 127.0.0.1 both ways.
        self.out.extend([0x45, 0]);
        self.out.extend((ip_len as u16).to_be_bytes());
        self.out.extend([0, 0, 0x40, 0, 64, 6, 0, 0]);
        self.out.extend([127, 0, 0, 1, 127, 0, 0, 1]);
        // TCP, no options.
        self.out.extend(src.to_be_bytes());
        self.out.extend(dst.to_be_bytes());
        self.out.extend(seq.to_be_bytes());
        self.out.extend(ack.to_be_bytes());
        self.out.extend([0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
        self.out.extend_from_slice(payload);
    }
}

const FIN: u8 = 0x01;
const SYN: u8 = 0x02;
const PSH: u8 = 0x08;
const ACK: u8 = 0x10;

fn ws_frame(out: &mut Vec<u8>, rsv1: bool, payload: &[u8], mask: Option<[u8; 4]>) {
    out.push(0x81 | if rsv1 { 0x40 } else { 0 });
    let m = if mask.is_some() { 0x80 } else { 0 };
    match payload.len() {
        n @ 0..=125 => out.push(m | n as u8),
        n @ 126..=0xffff => {
            out.push(m | 126);
            out.extend((n as u16).to_be_bytes());
        }
        n => {
            out.push(m | 127);
            out.extend((n as u64).to_be_bytes());
        }
    }
    match mask {
        Some(mask) => {
            out.extend(mask);
            out.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        }
        None => out.extend_from_slice(payload),
    }
}

/// A pcap of `connections` WebSocket sessions, each carrying every frame of `corpus` from the
/// server, compressed with permessage-deflate (context takeover) when `deflate`.
pub fn websocket_sessions(corpus: &Corpus, connections: u16, deflate: bool) -> Vec<u8> {
    let mut w = Writer {
        out: Vec::new(),
        t_us: 1_764_900_000_000_000,
    };
    w.out.extend(0xa1b2_c3d4u32.to_le_bytes());
    w.out.extend(2u16.to_le_bytes());
    w.out.extend(4u16.to_le_bytes());
    w.out.extend([0; 8]);
    w.out.extend(262_144u32.to_le_bytes());
    w.out.extend(1u32.to_le_bytes());
    let server = 3000;
    for c in 0..connections {
        let client = 40_000 + c;
        let (mut cs, mut ss) = (1_000u32.wrapping_mul(u32::from(c) + 7), 4_000_000_000u32);
        w.packet(client, server, cs, 0, SYN, b"");
        cs = cs.wrapping_add(1);
        w.packet(server, client, ss, cs, SYN | ACK, b"");
        ss = ss.wrapping_add(1);
        w.packet(client, server, cs, ss, ACK, b"");
        let extensions = if deflate {
            "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
        } else {
            ""
        };
        let request = format!(
            "GET /socket.io/?EIO=4&transport=websocket&room=tomato.tpos.vn HTTP/1.1\r\n\
             Host: 127.0.0.1:3000\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
             Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
             {extensions}\r\n"
        );
        w.packet(client, server, cs, ss, PSH | ACK, request.as_bytes());
        cs = cs.wrapping_add(request.len() as u32);
        let accepted = if deflate {
            "Sec-WebSocket-Extensions: permessage-deflate\r\n"
        } else {
            ""
        };
        let mut stream = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n{accepted}\r\n"
        )
        .into_bytes();
        let mut compress = Compress::new(Compression::default(), false);
        let mut message = |stream: &mut Vec<u8>, text: &[u8]| {
            if deflate {
                let mut payload = Vec::with_capacity(text.len() + 64);
                compress
                    .compress_vec(text, &mut payload, FlushCompress::Sync)
                    .expect("deflate");
                payload.truncate(payload.len() - 4);
                ws_frame(stream, true, &payload, None);
            } else {
                ws_frame(stream, false, text, None);
            }
        };
        let open = format!(
            "0{{\"sid\":\"bench{c}\",\"upgrades\":[],\"pingInterval\":25000,\"pingTimeout\":60000,\"maxPayload\":1000000}}"
        );
        message(&mut stream, open.as_bytes());
        message(&mut stream, b"40/chatomni,{\"sid\":\"s\"}");
        let mut sent = 0;
        for (i, frame) in corpus.frames().iter().enumerate() {
            message(&mut stream, frame.as_bytes());
            if i % 50 == 49 || i + 1 == corpus.len() {
                // Flush what is queued in segments, then the client's masked ping.
                for (n, segment) in stream[sent..].chunks(MSS).enumerate() {
                    w.packet(server, client, ss, cs, PSH | ACK, segment);
                    ss = ss.wrapping_add(segment.len() as u32);
                    if n % 2 == 1 {
                        w.packet(client, server, cs, ss, ACK, b"");
                    }
                }
                sent = stream.len();
                let mut ping = Vec::new();
                ws_frame(&mut ping, false, b"3", Some([1, 2, 3, i as u8]));
                w.packet(client, server, cs, ss, PSH | ACK, &ping);
                cs = cs.wrapping_add(ping.len() as u32);
            }
        }
        w.packet(client, server, cs, ss, FIN | ACK, b"");
        cs = cs.wrapping_add(1);
        w.packet(server, client, ss, cs, FIN | ACK, b"");
        ss = ss.wrapping_add(1);
        w.packet(client, server, cs, ss, ACK, b"");
    }
    w.out
}
