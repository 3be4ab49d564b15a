//! Packet captures built in the tests: TCP conversations over Ethernet/IPv4 (etherparse's
//! builder), written as classic pcap or pcapng in either byte order, and the packets of the
//! committed tcpdump fixtures read back so that they can be rewritten in another format, cut,
//! reordered or rewrapped in another link type.

use etherparse::PacketBuilder;

/// One captured packet: nanoseconds since the epoch and the link-layer frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Frame {
    pub(crate) t_ns: u64,
    pub(crate) data: Vec<u8>,
}

pub(crate) const ETHERNET: u32 = 1;

/// The packets of a classic little-endian microsecond pcap (what tcpdump writes here).
pub(crate) fn read_pcap(bytes: &[u8]) -> (u32, Vec<Frame>) {
    assert_eq!(
        bytes[..4],
        [0xd4, 0xc3, 0xb2, 0xa1],
        "a little-endian µs pcap"
    );
    let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
    let linktype = u32_at(20);
    let mut frames = Vec::new();
    let mut at = 24;
    while at + 16 <= bytes.len() {
        let (sec, usec, caplen) = (u32_at(at), u32_at(at + 4), u32_at(at + 8) as usize);
        frames.push(Frame {
            t_ns: u64::from(sec) * 1_000_000_000 + u64::from(usec) * 1000,
            data: bytes[at + 16..at + 16 + caplen].to_vec(),
        });
        at += 16 + caplen;
    }
    (linktype, frames)
}

/// A classic pcap: `big_endian` byte order, nanosecond timestamps when `nanos`.
pub(crate) fn write_pcap(
    linktype: u32,
    frames: &[Frame],
    big_endian: bool,
    nanos: bool,
) -> Vec<u8> {
    let mut out = Vec::new();
    let u32b = |v: u32| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let u16b = |v: u16| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    out.extend(u32b(if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 }));
    out.extend(u16b(2));
    out.extend(u16b(4));
    out.extend(u32b(0));
    out.extend(u32b(0));
    out.extend(u32b(262_144));
    out.extend(u32b(linktype));
    for frame in frames {
        let sec = (frame.t_ns / 1_000_000_000) as u32;
        let frac = frame.t_ns % 1_000_000_000;
        let frac = if nanos { frac } else { frac / 1000 } as u32;
        out.extend(u32b(sec));
        out.extend(u32b(frac));
        out.extend(u32b(frame.data.len() as u32));
        out.extend(u32b(frame.data.len() as u32));
        out.extend(&frame.data);
    }
    out
}

/// A pcapng file: the frames spread over `sections` sections, each with two interfaces (one
/// unused, microsecond; the one used with nanosecond resolution on odd sections), in the
/// given byte order.
pub(crate) fn write_pcapng(
    linktype: u32,
    frames: &[Frame],
    big_endian: bool,
    sections: usize,
) -> Vec<u8> {
    let u32b = |v: u32| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let u16b = |v: u16| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let block = |out: &mut Vec<u8>, kind: u32, body: &[u8]| {
        let len = 12 + body.len().next_multiple_of(4);
        out.extend(u32b(kind));
        out.extend(u32b(len as u32));
        out.extend(body);
        out.extend(std::iter::repeat_n(
            0,
            body.len().next_multiple_of(4) - body.len(),
        ));
        out.extend(u32b(len as u32));
    };
    let mut out = Vec::new();
    let per_section = frames.len().div_ceil(sections.max(1)).max(1);
    for (s, chunk) in frames.chunks(per_section).enumerate() {
        let mut shb = Vec::new();
        shb.extend(u32b(0x1a2b_3c4d));
        shb.extend(u16b(1));
        shb.extend(u16b(0));
        shb.extend(if big_endian {
            (-1i64).to_be_bytes()
        } else {
            (-1i64).to_le_bytes()
        });
        block(&mut out, 0x0a0d_0d0a, &shb);
        let nanos = s % 2 == 1;
        for (i, link) in [(0, 147u32), (1, linktype)] {
            let mut idb = Vec::new();
            idb.extend(u16b(link as u16));
            idb.extend(u16b(0));
            idb.extend(u32b(0));
            if i == 1 && nanos {
                // if_tsresol (9) = 10^-9, then opt_endofopt.
                idb.extend(u16b(9));
                idb.extend(u16b(1));
                idb.extend([9, 0, 0, 0]);
                idb.extend(u16b(0));
                idb.extend(u16b(0));
            }
            block(&mut out, 1, &idb);
        }
        for frame in chunk {
            let ts = if nanos { frame.t_ns } else { frame.t_ns / 1000 };
            let mut epb = Vec::new();
            epb.extend(u32b(1));
            epb.extend(u32b((ts >> 32) as u32));
            epb.extend(u32b(ts as u32));
            epb.extend(u32b(frame.data.len() as u32));
            epb.extend(u32b(frame.data.len() as u32));
            epb.extend(&frame.data);
            epb.extend(std::iter::repeat_n(
                0,
                frame.data.len().next_multiple_of(4) - frame.data.len(),
            ));
            block(&mut out, 6, &epb);
        }
    }
    out
}

/// The IP packet inside an Ethernet frame.
pub(crate) fn ip_of_ethernet(frame: &[u8]) -> &[u8] {
    &frame[14..]
}

/// One TCP connection between 127.0.0.1 ports, both sides' sequence numbers kept, so that a
/// test writes a conversation as calls.
#[derive(Debug)]
pub(crate) struct Tcp {
    pub(crate) client_port: u16,
    pub(crate) server_port: u16,
    client_seq: u32,
    server_seq: u32,
    t_ns: u64,
    pub(crate) frames: Vec<Frame>,
}

impl Tcp {
    pub(crate) fn new(client_port: u16, server_port: u16) -> Self {
        Tcp {
            client_port,
            server_port,
            // Near the wrap of the sequence space, on purpose.
            client_seq: u32::MAX - 100,
            server_seq: 1_000_000,
            t_ns: 1_764_900_000_000_000_000,
            frames: Vec::new(),
        }
    }

    fn push(&mut self, from_client: bool, syn: bool, fin: bool, rst: bool, payload: &[u8]) {
        let (src, dst) = if from_client {
            (self.client_port, self.server_port)
        } else {
            (self.server_port, self.client_port)
        };
        let (seq, ack) = if from_client {
            (self.client_seq, self.server_seq)
        } else {
            (self.server_seq, self.client_seq)
        };
        let mut builder = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
            .ipv4([127, 0, 0, 1], [127, 0, 0, 1], 64)
            .tcp(src, dst, seq, 65_535);
        if syn {
            builder = builder.syn();
        }
        if !(syn && from_client) {
            builder = builder.ack(ack);
        }
        if fin {
            builder = builder.fin();
        }
        if rst {
            builder = builder.rst();
        }
        let mut data = Vec::new();
        builder.write(&mut data, payload).unwrap();
        self.t_ns += 1_000_000;
        self.frames.push(Frame {
            t_ns: self.t_ns,
            data,
        });
        let advance = payload.len() as u32 + u32::from(syn) + u32::from(fin);
        if from_client {
            self.client_seq = self.client_seq.wrapping_add(advance);
        } else {
            self.server_seq = self.server_seq.wrapping_add(advance);
        }
    }

    pub(crate) fn handshake(&mut self) -> &mut Self {
        self.push(true, true, false, false, b"");
        self.push(false, true, false, false, b"");
        self.push(true, false, false, false, b"");
        self
    }

    pub(crate) fn client(&mut self, payload: &[u8]) -> &mut Self {
        self.push(true, false, false, false, payload);
        self
    }

    pub(crate) fn server(&mut self, payload: &[u8]) -> &mut Self {
        self.push(false, false, false, false, payload);
        self
    }

    pub(crate) fn close(&mut self) -> &mut Self {
        self.push(true, false, true, false, b"");
        self.push(false, false, true, false, b"");
        self
    }
}
