//! The packets of a pcap or pcapng file, read with `pcap-parser`: each with its number, its
//! byte offset in the file, its time in nanoseconds since the epoch, its link type and data.

use pcap_parser::pcapng::{Block, parse_block_be, parse_block_le, parse_sectionheaderblock};
use pcap_parser::{
    Linktype, PcapError, parse_pcap_frame, parse_pcap_frame_be, parse_pcap_frame_modified,
    parse_pcap_header,
};

/// The first four bytes of a pcapng file (a section header block), in either byte order.
const PCAPNG_MAGIC: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];

/// The magic numbers of a classic pcap file as they appear on disk: microsecond,
/// nanosecond and the "modified" (Kuznetzov) format, little- and big-endian.
const PCAP_MAGICS: [[u8; 4]; 6] = [
    [0xd4, 0xc3, 0xb2, 0xa1],
    [0xa1, 0xb2, 0xc3, 0xd4],
    [0x4d, 0x3c, 0xb2, 0xa1],
    [0xa1, 0xb2, 0x3c, 0x4d],
    [0x34, 0xcd, 0xb2, 0xa1],
    [0xa1, 0xb2, 0xcd, 0x34],
];

/// Whether `input` starts with the magic number of a pcap or pcapng file.
pub(crate) fn is_packet_capture(input: &[u8]) -> bool {
    input
        .first_chunk::<4>()
        .is_some_and(|magic| *magic == PCAPNG_MAGIC || PCAP_MAGICS.contains(magic))
}

/// One captured packet.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Packet<'a> {
    /// 1-based, in file order (Wireshark's "No." column).
    pub(crate) number: u64,
    /// Where its record or block starts in the file.
    pub(crate) offset: u64,
    /// Nanoseconds since the Unix epoch.
    pub(crate) t_ns: i128,
    pub(crate) linktype: Linktype,
    /// The captured bytes (maybe fewer than were on the wire).
    pub(crate) data: &'a [u8],
    /// The length on the wire.
    pub(crate) orig_len: u32,
}

/// Why the packets stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileError {
    /// The packet being read (1-based; the next number when between packets).
    pub(crate) packet: u64,
    pub(crate) offset: u64,
    pub(crate) message: String,
}

/// A pcapng interface: what its packets' link type and timestamps mean.
#[derive(Debug, Clone, Copy)]
struct Interface {
    linktype: Linktype,
    /// Timestamp units per second.
    resolution: u64,
    /// Seconds added to every timestamp.
    offset_s: i64,
}

#[derive(Debug)]
enum Format {
    Pcap {
        big_endian: bool,
        nanos: bool,
        modified: bool,
        linktype: Linktype,
    },
    PcapNg {
        big_endian: bool,
        /// The interfaces of the current section, by id.
        interfaces: Vec<Interface>,
    },
}

/// The packets of a file, in order; see [`Packets::next_packet`].
#[derive(Debug)]
pub(crate) struct Packets<'a> {
    input: &'a [u8],
    rest: &'a [u8],
    format: Format,
    number: u64,
    /// Set when the file ends inside a packet: a capture stopped mid-write.
    pub(crate) truncated_at: Option<u64>,
}

impl<'a> Packets<'a> {
    /// Reads the file header (pcap) or first section header (pcapng).
    pub(crate) fn new(input: &'a [u8]) -> Result<Self, FileError> {
        let error = |message: String| FileError {
            packet: 1,
            offset: 0,
            message,
        };
        if input.starts_with(&PCAPNG_MAGIC) {
            let (rest, shb) = parse_sectionheaderblock(input).map_err(|e| {
                error(format!(
                    "not a pcapng section header block: {}",
                    describe(&e)
                ))
            })?;
            return Ok(Packets {
                input,
                rest,
                format: Format::PcapNg {
                    big_endian: shb.big_endian(),
                    interfaces: Vec::new(),
                },
                number: 0,
                truncated_at: None,
            });
        }
        let (rest, header) = parse_pcap_header(input)
            .map_err(|e| error(format!("not a pcap file header: {}", describe(&e))))?;
        if header.is_modified_format() && header.is_bigendian() {
            return Err(error(
                "a big-endian pcap in the modified (Kuznetzov) format, which is not supported"
                    .to_owned(),
            ));
        }
        Ok(Packets {
            input,
            rest,
            format: Format::Pcap {
                big_endian: header.is_bigendian(),
                nanos: header.is_nanosecond_precision(),
                modified: header.is_modified_format(),
                linktype: header.network,
            },
            number: 0,
            truncated_at: None,
        })
    }

    fn offset(&self) -> u64 {
        (self.input.len() - self.rest.len()) as u64
    }

    /// The next packet, `Ok(None)` at the end of the file. A file that ends inside a packet
    /// ends there ([`Packets::truncated_at`] says where): tcpdump killed mid-write leaves one.
    pub(crate) fn next_packet(&mut self) -> Result<Option<Packet<'a>>, FileError> {
        loop {
            if self.rest.is_empty() {
                return Ok(None);
            }
            let offset = self.offset();
            let number = self.number + 1;
            let fail = |message: String| FileError {
                packet: number,
                offset,
                message,
            };
            match &mut self.format {
                Format::Pcap {
                    big_endian,
                    nanos,
                    modified,
                    linktype,
                } => {
                    let parsed = if *modified {
                        parse_pcap_frame_modified(self.rest)
                    } else if *big_endian {
                        parse_pcap_frame_be(self.rest)
                    } else {
                        parse_pcap_frame(self.rest)
                    };
                    let (rest, frame) = match parsed {
                        Ok(parsed) => parsed,
                        Err(pcap_parser::nom::Err::Incomplete(_)) => {
                            self.truncated_at = Some(offset);
                            self.rest = &[];
                            return Ok(None);
                        }
                        Err(e) => return Err(fail(describe(&e))),
                    };
                    let fraction = i128::from(frame.ts_usec) * if *nanos { 1 } else { 1000 };
                    let packet = Packet {
                        number,
                        offset,
                        t_ns: i128::from(frame.ts_sec) * 1_000_000_000 + fraction,
                        linktype: *linktype,
                        data: frame.data,
                        orig_len: frame.origlen,
                    };
                    self.rest = rest;
                    self.number = number;
                    return Ok(Some(packet));
                }
                Format::PcapNg {
                    big_endian,
                    interfaces,
                } => {
                    let parsed = if *big_endian {
                        parse_block_be(self.rest)
                    } else {
                        parse_block_le(self.rest)
                    };
                    let (rest, block) = match parsed {
                        Ok(parsed) => parsed,
                        Err(pcap_parser::nom::Err::Incomplete(_)) => {
                            self.truncated_at = Some(offset);
                            self.rest = &[];
                            return Ok(None);
                        }
                        Err(e) => return Err(fail(describe(&e))),
                    };
                    self.rest = rest;
                    match block {
                        Block::SectionHeader(shb) => {
                            // A new section: its own byte order, its own interfaces.
                            *big_endian = shb.big_endian();
                            interfaces.clear();
                        }
                        Block::InterfaceDescription(idb) => {
                            let resolution = idb.ts_resolution().ok_or_else(|| {
                                fail(format!(
                                    "interface {} has an invalid timestamp resolution ({})",
                                    interfaces.len(),
                                    idb.if_tsresol
                                ))
                            })?;
                            interfaces.push(Interface {
                                linktype: idb.linktype,
                                resolution,
                                offset_s: idb.ts_offset(),
                            });
                        }
                        Block::EnhancedPacket(epb) => {
                            let interface =
                                *interfaces.get(epb.if_id as usize).ok_or_else(|| {
                                    fail(format!(
                                        "packet on interface {}, but the section describes {}",
                                        epb.if_id,
                                        interfaces.len()
                                    ))
                                })?;
                            let ts = (u128::from(epb.ts_high) << 32) | u128::from(epb.ts_low);
                            let resolution = u128::from(interface.resolution);
                            let seconds =
                                (ts / resolution) as i128 + i128::from(interface.offset_s);
                            let fraction = (ts % resolution) * 1_000_000_000 / resolution;
                            // The data is padded to 32 bits: the captured length says how much
                            // is the packet (pcap-parser checked it fits the block).
                            let len = (epb.caplen as usize).min(epb.data.len());
                            self.number = number;
                            return Ok(Some(Packet {
                                number,
                                offset,
                                t_ns: seconds * 1_000_000_000 + fraction as i128,
                                linktype: interface.linktype,
                                data: &epb.data[..len],
                                orig_len: epb.origlen,
                            }));
                        }
                        Block::SimplePacket(spb) => {
                            // No timestamp and always interface 0: the time of the packet
                            // before it is the best there is.
                            let interface = *interfaces.first().ok_or_else(|| {
                                fail("a simple packet block before any interface".to_owned())
                            })?;
                            let len = (spb.origlen as usize).min(spb.data.len());
                            self.number = number;
                            return Ok(Some(Packet {
                                number,
                                offset,
                                t_ns: i128::MIN,
                                linktype: interface.linktype,
                                data: &spb.data[..len],
                                orig_len: spb.origlen,
                            }));
                        }
                        _ => {}
                    }
                }
            }
        }
    }
}

fn describe(error: &pcap_parser::nom::Err<PcapError<&[u8]>>) -> String {
    match error {
        pcap_parser::nom::Err::Incomplete(_) => "the file ends inside it".to_owned(),
        pcap_parser::nom::Err::Error(e) | pcap_parser::nom::Err::Failure(e) => match e {
            PcapError::NomError(_, kind) => format!("malformed ({kind:?})"),
            PcapError::OwnedNomError(_, kind) => format!("malformed ({kind:?})"),
            other => other.to_string(),
        },
    }
}
