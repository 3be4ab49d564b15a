//! The pcap importer: the committed tcpdump captures of a real Node socket.io server and
//! client (see `tests/fixtures/pcap/README.md`), rewritten in every file format and link type
//! the importer reads, cut, reordered and duplicated; and conversations built packet by packet
//! for what a real session does not show (TLS, plain HTTP, bad files).

use serde_json::Value;
use sio_capture::import::{ImportOptions, Imported, InputKind, import_capture, open_file};
use sio_capture::{ConnEvent, Direction, FrameKind, Record, Transport};
use sio_wire::DecodedFrame;

use crate::fixtures::fixture;
use crate::pcap_build::{
    ETHERNET, Frame, Tcp, ip_of_ethernet, read_pcap, write_pcap, write_pcapng,
};

fn import(bytes: &[u8]) -> Imported {
    import_capture(bytes, &ImportOptions::default()).expect("the capture imports")
}

/// The events the real client printed, as (name, args).
fn client_events(name: &str) -> Vec<(String, Value)> {
    let text = String::from_utf8(fixture(&format!("pcap/{name}.client.jsonl"))).unwrap();
    text.lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .filter(|v| v["type"] == "event")
        .map(|v| (v["name"].as_str().unwrap().to_owned(), v["args"].clone()))
        .collect()
}

/// The server's Socket.IO events in an import, in order, each decoded by sio-wire.
fn imported_events(imported: &Imported) -> Vec<(String, Value)> {
    imported
        .records
        .iter()
        .filter_map(|r| match r {
            Record::Frame(f) if f.from == Direction::Server && f.data.starts_with("42") => Some(f),
            _ => None,
        })
        .map(|f| {
            let Ok(DecodedFrame::Socket(packet)) = sio_wire::decode_message(&f.data) else {
                panic!("{:?} does not decode as a Socket.IO packet", f.data);
            };
            let name = packet.event_name().unwrap().into_owned();
            let array: Value = serde_json::from_str(&f.data[2..]).unwrap();
            let args = Value::Array(array.as_array().unwrap()[1..].to_vec());
            (name, args)
        })
        .collect()
}

fn conn_events(imported: &Imported) -> Vec<(u32, ConnEvent, Option<Transport>)> {
    imported
        .records
        .iter()
        .filter_map(|r| match r {
            Record::Conn(c) => Some((c.conn, c.event, c.transport)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_websocket_only_session_imports_every_event_the_client_received_in_order() {
    let pcap = fixture("pcap/websocket-only.pcap");
    // permessage-deflate was on: the events' text is nowhere in the capture as it is.
    assert!(!pcap.windows(10).any(|w| w == b"message 12"));
    let imported = import(&pcap);
    let expected = client_events("websocket-only");
    assert_eq!(expected.len(), 12);
    assert_eq!(imported_events(&imported), expected);
    assert_eq!(imported.summary.kind, InputKind::Pcap);
    assert_eq!(imported.summary.connections, 1);
    assert_eq!(imported.summary.events, 12);
    assert_eq!(imported.summary.gaps, 0);
    assert_eq!(imported.summary.skipped_streams, 0);
    assert!(
        imported.summary.warnings.is_empty(),
        "{:?}",
        imported.summary.warnings
    );
    assert_eq!(
        conn_events(&imported),
        [
            (1, ConnEvent::Open, Some(Transport::Websocket)),
            (1, ConnEvent::Close, None)
        ]
    );
    let Some(Record::Conn(open)) = imported.records.first() else {
        panic!("the first record opens the connection");
    };
    assert!(
        open.remote
            .as_deref()
            .is_some_and(|r| r.starts_with("127.0.0.1:"))
    );
    assert!(
        open.url
            .as_deref()
            .is_some_and(|u| u.contains("transport=websocket"))
    );
    assert_eq!(imported.header.source, "import-pcap");
    assert!(imported.header.started_at.is_some());
}

#[test]
fn a_polling_session_that_upgrades_is_one_connection_with_every_event_in_order() {
    let imported = import(&fixture("pcap/polling-upgrade.pcap"));
    let expected = client_events("polling-upgrade");
    assert_eq!(expected.len(), 12);
    assert_eq!(imported_events(&imported), expected);
    assert_eq!(
        conn_events(&imported),
        [
            (1, ConnEvent::Open, Some(Transport::Polling)),
            (1, ConnEvent::Upgrade, Some(Transport::Websocket)),
            (1, ConnEvent::Close, None)
        ]
    );
    // The probe and the upgrade packet are on the same connection as the polling handshake.
    let frames: Vec<(Direction, &str)> = imported
        .records
        .iter()
        .filter_map(|r| match r {
            Record::Frame(f) => Some((f.from, f.data.as_str())),
            _ => None,
        })
        .collect();
    for wanted in [
        (Direction::Client, "2probe"),
        (Direction::Server, "3probe"),
        (Direction::Client, "5"),
    ] {
        assert!(frames.contains(&wanted), "{wanted:?} in {frames:?}");
    }
    assert!(
        frames[0].1.starts_with("0{\"sid\""),
        "the open packet first"
    );
    assert!(imported.records.iter().all(|r| r.t_ms() >= 0.0));
}

#[test]
fn open_file_detects_a_pcap_by_its_magic_number() {
    let path = format!(
        "{}/tests/fixtures/pcap/websocket-only.pcap",
        env!("CARGO_MANIFEST_DIR")
    );
    let file = open_file(std::path::Path::new(&path), &ImportOptions::default()).unwrap();
    assert_eq!(file.kind(), InputKind::Pcap);
    let records: Vec<Record> = file.into_records().collect::<Result<_, _>>().unwrap();
    assert!(matches!(records[0], Record::Header(_)));
    assert_eq!(
        records.len(),
        import(&fixture("pcap/websocket-only.pcap")).records.len() + 1
    );
}

/// Every file format, byte order and time resolution the importer reads gives the same
/// records as the tcpdump original.
#[test]
fn every_file_format_and_byte_order_gives_the_same_records() {
    let original = fixture("pcap/polling-upgrade.pcap");
    let (linktype, frames) = read_pcap(&original);
    assert_eq!(linktype, ETHERNET);
    let expected = import(&original).records;
    let variants = [
        (
            "pcap, big-endian",
            write_pcap(linktype, &frames, true, false),
        ),
        (
            "pcap, nanoseconds",
            write_pcap(linktype, &frames, false, true),
        ),
        (
            "pcap, big-endian nanoseconds",
            write_pcap(linktype, &frames, true, true),
        ),
        ("pcapng", write_pcapng(linktype, &frames, false, 1)),
        (
            "pcapng, big-endian",
            write_pcapng(linktype, &frames, true, 1),
        ),
        (
            "pcapng, three sections",
            write_pcapng(linktype, &frames, false, 3),
        ),
        (
            "pcapng, big-endian, four sections",
            write_pcapng(linktype, &frames, true, 4),
        ),
    ];
    for (name, bytes) in variants {
        let imported = import_capture(&bytes, &ImportOptions::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(imported.summary.kind, InputKind::Pcap, "{name}");
        assert_eq!(imported.records, expected, "{name}");
    }
}

/// Linux cooked captures (SLL, SLL2: `tcpdump -i any`), BSD loopback and raw IP.
#[test]
fn every_link_type_gives_the_same_records() {
    let (_, frames) = read_pcap(&fixture("pcap/websocket-only.pcap"));
    let expected = import(&fixture("pcap/websocket-only.pcap")).records;
    let rewrap = |header: &dyn Fn(&[u8]) -> Vec<u8>| -> Vec<Frame> {
        frames
            .iter()
            .map(|f| {
                let ip = ip_of_ethernet(&f.data);
                let mut data = header(ip);
                data.extend_from_slice(ip);
                Frame { t_ns: f.t_ns, data }
            })
            .collect()
    };
    // SLL: packet type, ARPHRD, address length, 8 address bytes, protocol.
    let sll = rewrap(&|_| {
        let mut h = vec![0, 0, 3, 4, 0, 6];
        h.extend([0; 8]);
        h.extend(0x0800u16.to_be_bytes());
        h
    });
    // SLL2: protocol, reserved, interface index, ARPHRD, packet type, address length, address.
    let sll2 = rewrap(&|_| {
        let mut h = 0x0800u16.to_be_bytes().to_vec();
        h.extend([0, 0, 0, 0, 0, 1, 3, 4, 0, 6]);
        h.extend([0; 8]);
        h
    });
    // BSD loopback: AF_INET in the writer's byte order.
    let null = rewrap(&|_| 2u32.to_le_bytes().to_vec());
    let raw = rewrap(&|_| Vec::new());
    for (name, linktype, frames) in [
        ("SLL", 113, sll),
        ("SLL2", 276, sll2),
        ("null", 0, null),
        ("raw IP", 101, raw),
    ] {
        let imported = import(&write_pcap(linktype, &frames, false, false));
        assert_eq!(imported.records, expected, "{name}: {:?}", imported.summary);
    }
}

/// Packets delivered twice and out of order (as a capture on a busy host shows them) give
/// the same records.
#[test]
fn duplicated_and_reordered_packets_give_the_same_records() {
    let original = fixture("pcap/polling-upgrade.pcap");
    let (linktype, frames) = read_pcap(&original);
    let expected = import(&original).records;
    let mut shuffled = Vec::new();
    for pair in frames.chunks(2) {
        // Each pair swapped (the later one keeps its later time), every third packet twice.
        for (i, frame) in pair.iter().rev().enumerate() {
            let mut frame = frame.clone();
            frame.t_ns = pair[pair.len() - 1 - i].t_ns.max(pair[0].t_ns);
            shuffled.push(frame.clone());
            if shuffled.len() % 3 == 0 {
                shuffled.push(frame);
            }
        }
    }
    let imported = import(&write_pcap(linktype, &shuffled, false, false));
    assert_eq!(
        imported_events(&imported),
        imported_events(&import(&original))
    );
    assert_eq!(conn_events(&imported), conn_events(&import(&original)));
    assert_eq!(imported.summary.gaps, 0);
    assert_eq!(
        imported
            .records
            .iter()
            .filter(|r| matches!(r, Record::Frame(_)))
            .count(),
        expected
            .iter()
            .filter(|r| matches!(r, Record::Frame(_)))
            .count()
    );
}

/// A packet lost from the server's WebSocket stream is a gap record naming the direction and
/// the bytes missing; what the server sent before it and what the client sent after it are
/// still imported.
#[test]
fn a_lost_packet_is_a_gap_record_and_the_rest_still_flows() {
    let original = fixture("pcap/websocket-only.pcap");
    let (linktype, frames) = read_pcap(&original);
    let all = import(&original);
    // The sixth event's packet: find it by the server's frames in order.
    let server_payloads: Vec<usize> = frames
        .iter()
        .enumerate()
        .filter(|(_, f)| {
            let ip = ip_of_ethernet(&f.data);
            let tcp = &ip[20..];
            let header_len = usize::from(tcp[12] >> 4) * 4;
            let src_port = u16::from_be_bytes([tcp[0], tcp[1]]);
            // The server's port is the destination of the first SYN.
            let server_port = {
                let first = &ip_of_ethernet(&frames[0].data)[20..];
                u16::from_be_bytes([first[2], first[3]])
            };
            src_port == server_port && tcp.len() > header_len
        })
        .map(|(i, _)| i)
        .collect();
    // 0: the 101 response, 1: open packet, 2: CONNECT ack, 3..: the events.
    let lost = server_payloads[3 + 5];
    let lost_len = {
        let tcp = &ip_of_ethernet(&frames[lost].data)[20..];
        tcp.len() - usize::from(tcp[12] >> 4) * 4
    };
    let mut cut = frames.clone();
    cut.remove(lost);
    let imported = import(&write_pcap(linktype, &cut, false, false));
    let gaps: Vec<_> = imported
        .records
        .iter()
        .filter_map(|r| match r {
            Record::Gap(g) => Some(g),
            _ => None,
        })
        .collect();
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    assert_eq!(gaps[0].from, Some(Direction::Server));
    assert_eq!(gaps[0].missing_bytes, Some(lost_len as u64));
    assert_eq!(gaps[0].conn, 1);
    assert_eq!(imported.summary.gaps, 1);
    let events = imported_events(&imported);
    assert_eq!(
        events,
        imported_events(&all)[..5],
        "the five events before the hole"
    );
    // The client's direction goes on: its disconnect packet (`41`) is still there.
    assert!(imported.records.iter().any(|r| matches!(
        r,
        Record::Frame(f) if f.from == Direction::Client && f.data == "41"
    )));
}

#[test]
fn tls_streams_are_skipped_and_named_with_advice() {
    let mut on_443 = Tcp::new(50_000, 443);
    on_443
        .handshake()
        .client(b"\x16\x03\x01\x00\x05hello")
        .server(b"\x16\x03\x03\x00\x01x");
    let mut hello_on_8080 = Tcp::new(50_001, 8080);
    hello_on_8080
        .handshake()
        .client(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03");
    let mut frames = on_443.frames.clone();
    frames.extend(hello_on_8080.frames.clone());
    let imported = import(&write_pcap(ETHERNET, &frames, false, false));
    assert_eq!(imported.summary.skipped_streams, 2);
    let skipped: Vec<&String> = imported
        .summary
        .notes
        .iter()
        .filter(|n| n.starts_with("skipped"))
        .collect();
    assert_eq!(skipped.len(), 2, "{:?}", imported.summary.notes);
    assert!(
        skipped[0].contains("127.0.0.1:50000 → 127.0.0.1:443"),
        "{}",
        skipped[0]
    );
    assert!(
        skipped
            .iter()
            .all(|n| n.contains("TLS") && n.contains("proxy") && n.contains("HAR"))
    );
    assert!(imported.records.is_empty());
    assert!(
        imported
            .summary
            .to_string()
            .contains("2 TCP streams skipped")
    );
}

/// Requests that are not Engine.IO are kept as HTTP records: keep-alive, pipelined, with
/// Content-Length, chunked and gzip bodies, and tokens redacted.
#[test]
fn plain_http_is_kept_as_http_records_with_bodies() {
    use std::io::Write as _;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(br#"{"items":[1,2,3]}"#).unwrap();
    let gzipped = gz.finish().unwrap();
    let mut tcp = Tcp::new(40_000, 8080);
    tcp.handshake()
        // Two requests pipelined in one segment.
        .client(
            b"GET /api/live-videos?cursor=abc HTTP/1.1\r\nHost: example.test\r\n\
              Authorization: Bearer secret-token\r\n\r\n\
              POST /api/notes HTTP/1.1\r\nHost: example.test\r\nContent-Length: 11\r\n\r\nhello world",
        )
        // A chunked response split across segments.
        .server(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n")
        .server(b"7\r\n second\r\n0\r\n\r\n");
    let mut response = format!(
        "HTTP/1.1 201 Created\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\n\r\n",
        gzipped.len()
    )
    .into_bytes();
    response.extend(&gzipped);
    tcp.server(&response).close();
    let imported = import(&write_pcap(ETHERNET, &tcp.frames, false, false));
    let http: Vec<_> = imported
        .records
        .iter()
        .filter_map(|r| match r {
            Record::Http(h) => Some(h),
            _ => None,
        })
        .collect();
    assert_eq!(http.len(), 2, "{:?}", imported.records);
    assert_eq!(http[0].method, "GET");
    assert_eq!(
        http[0].url,
        "http://example.test/api/live-videos?cursor=abc"
    );
    assert_eq!(http[0].status, 200);
    assert_eq!(http[0].body, "first second");
    assert!(
        http[0]
            .request_headers
            .iter()
            .any(|(n, v)| n == "Authorization" && !v.contains("secret-token")),
        "redacted: {:?}",
        http[0].request_headers
    );
    assert_eq!(http[1].method, "POST");
    assert_eq!(http[1].request_body.as_deref(), Some("hello world"));
    assert_eq!(http[1].status, 201);
    assert_eq!(http[1].body, r#"{"items":[1,2,3]}"#);
    assert!(imported.summary.redaction.headers >= 1);
    assert_eq!(imported.summary.http_exchanges, 2);
}

#[test]
fn a_request_without_a_response_is_kept_as_failed() {
    let mut tcp = Tcp::new(40_002, 8080);
    tcp.handshake()
        .client(b"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: h\r\n\r\n")
        .close();
    let imported = import(&write_pcap(ETHERNET, &tcp.frames, false, false));
    let Some(Record::Http(http)) = imported.records.first() else {
        panic!("{:?}", imported.records);
    };
    assert_eq!(http.status, 0);
    assert!(
        imported
            .summary
            .warnings
            .iter()
            .any(|w| w.contains("has no response"))
    );
}

#[test]
fn a_bad_file_names_the_packet_and_byte_offset() {
    let (linktype, frames) = read_pcap(&fixture("pcap/websocket-only.pcap"));
    // A pcapng whose third block claims a length that is not a multiple of 4.
    let mut ng = write_pcapng(linktype, &frames[..3], false, 1);
    let third_block = {
        let first_len = u32::from_le_bytes(ng[4..8].try_into().unwrap()) as usize;
        let second_len =
            u32::from_le_bytes(ng[first_len + 4..first_len + 8].try_into().unwrap()) as usize;
        first_len + second_len
    };
    // Skip the second interface block too: the third block is an IDB, the fourth the packet.
    let fourth_block = third_block
        + u32::from_le_bytes(ng[third_block + 4..third_block + 8].try_into().unwrap()) as usize;
    ng[fourth_block + 4..fourth_block + 8].copy_from_slice(&7u32.to_le_bytes());
    let err = import_capture(&ng, &ImportOptions::default()).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains(&format!("packet 1 (byte offset {fourth_block})")),
        "{message}"
    );
    assert!(message.starts_with("pcap import failed at"), "{message}");

    // A packet on an interface the section never described.
    let mut ng = write_pcapng(linktype, &frames[..1], false, 1);
    let at = fourth_block + 8;
    ng[at..at + 4].copy_from_slice(&5u32.to_le_bytes());
    let message = import_capture(&ng, &ImportOptions::default())
        .unwrap_err()
        .to_string();
    assert!(message.contains("interface 5"), "{message}");

    // A classic pcap header cut short.
    let message = import_capture(&[0xd4, 0xc3, 0xb2, 0xa1, 2, 0], &ImportOptions::default())
        .unwrap_err()
        .to_string();
    assert!(message.contains("packet 1 (byte offset 0)"), "{message}");
}

#[test]
fn a_file_cut_inside_its_last_packet_imports_what_came_before_with_a_warning() {
    let original = fixture("pcap/websocket-only.pcap");
    let cut = &original[..original.len() - 10];
    let imported = import(cut);
    assert!(
        imported
            .summary
            .warnings
            .iter()
            .any(|w| w.contains("the file ends inside the packet at byte offset")),
        "{:?}",
        imported.summary.warnings
    );
    assert_eq!(imported_events(&imported), client_events("websocket-only"));
}

#[test]
fn a_binary_websocket_message_is_a_binary_frame() {
    // A WebSocket-only session by hand: upgrade, the server's open packet, a binary message.
    let mut tcp = Tcp::new(40_004, 3000);
    tcp.handshake()
        .client(
            b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: h\r\n\
              Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\
              Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
        )
        .server(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
              Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n\x81\x0e0{\"sid\":\"abc\"}",
        )
        .server(&[0x82, 0x03, 1, 2, 3])
        .close();
    let imported = import(&write_pcap(ETHERNET, &tcp.frames, false, false));
    let frames: Vec<_> = imported
        .records
        .iter()
        .filter_map(|r| match r {
            Record::Frame(f) => Some(f),
            _ => None,
        })
        .collect();
    assert_eq!(frames.len(), 2, "{:?}", imported.records);
    assert_eq!(frames[0].data, "0{\"sid\":\"abc\"}");
    assert_eq!(frames[1].kind, FrameKind::Binary);
    assert_eq!(frames[1].payload_bytes().unwrap(), [1, 2, 3]);
    let Some(Record::Conn(close)) = imported.records.last() else {
        panic!("{:?}", imported.records);
    };
    assert_eq!(close.event, ConnEvent::Close);
    assert_eq!(close.reason.as_deref(), Some("TCP connection closed"));
}

/// A packet lost from a long-polling request: HTTP cannot be read across the hole, so the
/// connection is listed as skipped with a warning, the gap counted, and the session's other
/// connections (the WebSocket) still imported.
#[test]
fn a_lost_packet_in_http_skips_that_connection_with_a_warning() {
    let original = fixture("pcap/polling-upgrade.pcap");
    let (linktype, frames) = read_pcap(&original);
    let post = frames
        .iter()
        .position(|f| {
            let tcp = &ip_of_ethernet(&f.data)[20..];
            tcp[usize::from(tcp[12] >> 4) * 4..].starts_with(b"POST ")
        })
        .expect("the client's first POST");
    let mut cut = frames.clone();
    cut.remove(post);
    let imported = import(&write_pcap(linktype, &cut, false, false));
    assert_eq!(imported.summary.gaps, 1, "{:?}", imported.summary);
    assert!(
        imported
            .summary
            .warnings
            .iter()
            .any(|w| w.contains("HTTP cannot be read across a hole")),
        "{:?}",
        imported.summary.warnings
    );
    assert_eq!(imported.summary.skipped_streams, 1);
    // The WebSocket's events are all there.
    let events = imported_events(&imported);
    let all = imported_events(&import(&original));
    assert!(
        events.len() >= all.len() - 1,
        "{} of {}",
        events.len(),
        all.len()
    );
    assert_eq!(events.last(), all.last());
}
