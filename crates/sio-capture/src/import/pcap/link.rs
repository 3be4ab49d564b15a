//! From a packet's bytes to its TCP segment, through the link and IP headers (etherparse;
//! Linux's cooked headers by hand: etherparse does not read SLL2, and refuses SLL with the
//! loopback hardware type, which is what `tcpdump -i any` writes for 127.0.0.1).

use std::net::{IpAddr, SocketAddr};

use etherparse::{EtherType, NetSlice, SlicedPacket, TransportSlice};
use pcap_parser::Linktype;

/// A TCP segment and the addresses it travelled between.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TcpPacket<'a> {
    pub(crate) src: SocketAddr,
    pub(crate) dst: SocketAddr,
    pub(crate) seq: u32,
    pub(crate) syn: bool,
    pub(crate) ack: bool,
    pub(crate) fin: bool,
    pub(crate) rst: bool,
    pub(crate) payload: &'a [u8],
}

/// What a packet that is not a readable TCP segment is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NotTcp {
    /// Another protocol (UDP, ARP, ICMP, ...): nothing for the importer.
    Other,
    /// An IP fragment: the importer does not reassemble IP.
    Fragment,
    /// A link type the importer does not read.
    UnsupportedLink(u16),
    /// The headers are cut short or malformed.
    Malformed(String),
}

/// `DLT_NULL`: BSD loopback, a 4-byte address family in the capturing host's byte order.
const NULL: Linktype = Linktype(0);
/// `DLT_LOOP`: OpenBSD loopback, the same in network byte order.
const LOOP: Linktype = Linktype(108);
/// Raw IPv4 or IPv6, no link header (and the two older numbers some systems used for it).
const RAW: [Linktype; 5] = [
    Linktype(101),
    Linktype(12),
    Linktype(14),
    Linktype(228),
    Linktype(229),
];
const ETHERNET: Linktype = Linktype(1);
/// Linux cooked capture v1 (`tcpdump -i any` before libpcap 1.10).
const LINUX_SLL: Linktype = Linktype(113);
/// Linux cooked capture v2 (`tcpdump -i any` with libpcap 1.10 and later).
const LINUX_SLL2: Linktype = Linktype(276);
/// The length of an SLL header; its last two bytes are the EtherType of the payload.
const SLL_HEADER_LEN: usize = 16;
/// The length of an SLL2 header; its first two bytes are the EtherType of the payload.
const SLL2_HEADER_LEN: usize = 20;

/// Reads the TCP segment in `data`, captured on a link of type `linktype`.
pub(crate) fn tcp_packet(linktype: Linktype, data: &[u8]) -> Result<TcpPacket<'_>, NotTcp> {
    let sliced = match linktype {
        ETHERNET => SlicedPacket::from_ethernet(data),
        LINUX_SLL | LINUX_SLL2 => {
            let (name, len, at) = if linktype == LINUX_SLL {
                ("SLL", SLL_HEADER_LEN, 14)
            } else {
                ("SLL2", SLL2_HEADER_LEN, 0)
            };
            let Some((header, payload)) = data.split_at_checked(len) else {
                return Err(NotTcp::Malformed(format!(
                    "a Linux {name} header of {} bytes (it takes {len})",
                    data.len()
                )));
            };
            let ether_type = u16::from_be_bytes([header[at], header[at + 1]]);
            SlicedPacket::from_ether_type(EtherType(ether_type), payload)
        }
        NULL | LOOP => match data.get(4..) {
            Some(ip) => SlicedPacket::from_ip(ip),
            None => {
                return Err(NotTcp::Malformed(
                    "a loopback header shorter than 4 bytes".to_owned(),
                ));
            }
        },
        link if RAW.contains(&link) => SlicedPacket::from_ip(data),
        Linktype(other) => return Err(NotTcp::UnsupportedLink(other as u16)),
    }
    .map_err(|e| NotTcp::Malformed(e.to_string()))?;
    let (src_ip, dst_ip, fragmented) = match &sliced.net {
        Some(NetSlice::Ipv4(ip)) => (
            IpAddr::V4(ip.header().source_addr()),
            IpAddr::V4(ip.header().destination_addr()),
            ip.is_payload_fragmented(),
        ),
        Some(NetSlice::Ipv6(ip)) => (
            IpAddr::V6(ip.header().source_addr()),
            IpAddr::V6(ip.header().destination_addr()),
            ip.is_payload_fragmented(),
        ),
        _ => return Err(NotTcp::Other),
    };
    match &sliced.transport {
        Some(TransportSlice::Tcp(tcp)) => Ok(TcpPacket {
            src: SocketAddr::new(src_ip, tcp.source_port()),
            dst: SocketAddr::new(dst_ip, tcp.destination_port()),
            seq: tcp.sequence_number(),
            syn: tcp.syn(),
            ack: tcp.ack(),
            fin: tcp.fin(),
            rst: tcp.rst(),
            payload: tcp.payload(),
        }),
        _ if fragmented => Err(NotTcp::Fragment),
        _ => Err(NotTcp::Other),
    }
}
