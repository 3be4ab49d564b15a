use super::*;

const OPEN: &str = r#"0{"sid":"abc","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;

fn conn_events(records: &[Record]) -> Vec<(u32, ConnEvent, Option<Transport>)> {
    records
        .iter()
        .filter_map(|r| match r {
            Record::Conn(c) => Some((c.conn, c.event, c.transport)),
            _ => None,
        })
        .collect()
}

fn frames(records: &[Record]) -> Vec<(u32, Direction, String)> {
    records
        .iter()
        .filter_map(|r| match r {
            Record::Frame(f) => Some((f.conn, f.from, f.data.clone())),
            _ => None,
        })
        .collect()
}

/// The handshake, a POST with two packets, a poll, then the upgrade, as socket.io-client does.
fn polling_then_upgrade(asm: &mut Assembler) -> WsId {
    asm.http(&HttpExchange {
        response_body: OPEN.as_bytes(),
        remote: Some("127.0.0.1:5000"),
        ..HttpExchange::get(0.0, "/socket.io/?EIO=4&transport=polling&t=1", 200)
    });
    asm.http(&HttpExchange {
        response_body: b"ok",
        ..HttpExchange::post(
            1.0,
            "/socket.io/?EIO=4&transport=polling&sid=abc",
            b"40/chatomni,{\"token\":\"x\"}\x1e42[\"hi\"]",
            200,
        )
    });
    asm.http(&HttpExchange {
        response_t_ms: 3.0,
        response_body: b"40/chatomni,{\"sid\":\"s1\"}\x1ebAQID",
        ..HttpExchange::get(2.0, "/socket.io/?EIO=4&transport=polling&sid=abc", 200)
    });
    let ws = asm.websocket_open(4.0, "/socket.io/?EIO=4&transport=websocket&sid=abc", None);
    asm.websocket_message(ws, 4.1, Direction::Client, FrameKind::Text, b"2probe");
    asm.websocket_message(ws, 4.2, Direction::Server, FrameKind::Text, b"3probe");
    // The poll that was pending when the upgrade began is answered with a noop.
    asm.http(&HttpExchange {
        response_t_ms: 4.3,
        response_body: b"6",
        ..HttpExchange::get(3.5, "/socket.io/?EIO=4&transport=polling&sid=abc", 200)
    });
    asm.websocket_message(ws, 4.4, Direction::Client, FrameKind::Text, b"5");
    ws
}

#[test]
fn polling_and_websocket_of_one_sid_are_one_connection() {
    let mut asm = Assembler::default();
    let ws = polling_then_upgrade(&mut asm);
    asm.websocket_message(
        ws,
        5.0,
        Direction::Server,
        FrameKind::Text,
        b"42/chatomni,[\"on-events\",\"{}\"]",
    );
    asm.websocket_close(ws, 6.0, Some("close 1000"));
    let records: Vec<Record> = asm.drain().collect();
    assert_eq!(
        conn_events(&records),
        [
            (1, ConnEvent::Open, Some(Transport::Polling)),
            (1, ConnEvent::Upgrade, Some(Transport::Websocket)),
            (1, ConnEvent::Close, None),
        ]
    );
    let frames = frames(&records);
    assert!(frames.iter().all(|f| f.0 == 1), "{frames:?}");
    let data: Vec<&str> = frames.iter().map(|f| f.2.as_str()).collect();
    assert_eq!(
        data,
        [
            OPEN,
            "40/chatomni,{\"token\":\"x\"}",
            "42[\"hi\"]",
            "40/chatomni,{\"sid\":\"s1\"}",
            "AQID",
            "2probe",
            "3probe",
            "6",
            "5",
            "42/chatomni,[\"on-events\",\"{}\"]",
        ]
    );
    // The `b` packet is a binary frame, as the same message on a WebSocket would be.
    let binary = records
        .iter()
        .find_map(|r| match r {
            Record::Frame(f) if f.kind == FrameKind::Binary => Some(f.clone()),
            _ => None,
        })
        .expect("a binary frame");
    assert_eq!(binary.payload_bytes().unwrap(), [1, 2, 3]);
    assert_eq!(binary.t_ms, 3.0, "server packets take the response's time");
    let Some(Record::Conn(open)) = records.first() else {
        panic!("the open record comes first: {records:?}");
    };
    assert_eq!(open.sid.as_deref(), Some("abc"));
    assert_eq!(open.remote.as_deref(), Some("127.0.0.1:5000"));
    let Some(Record::Conn(close)) = records.last() else {
        panic!("{records:?}")
    };
    assert_eq!(close.reason.as_deref(), Some("close 1000"));
    let summary = asm.summary();
    assert_eq!(
        (summary.connections, summary.upgrades, summary.frames),
        (1, 1, 10)
    );
}

#[test]
fn a_probe_that_never_upgrades_leaves_the_session_polling() {
    let mut asm = Assembler::default();
    asm.http(&HttpExchange {
        response_body: OPEN.as_bytes(),
        ..HttpExchange::get(0.0, "/socket.io/?EIO=4&transport=polling", 200)
    });
    let ws = asm.websocket_open(1.0, "/socket.io/?EIO=4&transport=websocket&sid=abc", None);
    asm.websocket_message(ws, 1.1, Direction::Client, FrameKind::Text, b"2probe");
    asm.websocket_close(ws, 1.2, Some("close 1006"));
    asm.http(&HttpExchange {
        response_body: b"2",
        ..HttpExchange::get(2.0, "/socket.io/?EIO=4&transport=polling&sid=abc", 200)
    });
    asm.finish(3.0);
    let records: Vec<Record> = asm.drain().collect();
    assert_eq!(
        conn_events(&records),
        [
            (1, ConnEvent::Open, Some(Transport::Polling)),
            (1, ConnEvent::Close, None)
        ]
    );
    let Some(Record::Conn(close)) = records.last() else {
        panic!()
    };
    assert_eq!(close.t_ms, 3.0);
    assert_eq!(close.reason.as_deref(), Some("capture ended"));
}

#[test]
fn websocket_only_sessions_get_their_sid_from_the_open_packet_and_their_own_numbers() {
    let mut asm = Assembler::new(AssembleConfig::default().finish_reason("proxy stopped"));
    let a = asm.websocket_open(0.0, "/socket.io/?EIO=4&transport=websocket", Some("p:1"));
    let b = asm.websocket_open(0.5, "/socket.io/?EIO=4&transport=websocket", Some("p:2"));
    asm.websocket_message(
        b,
        1.0,
        Direction::Server,
        FrameKind::Text,
        OPEN.replace("abc", "bbb").as_bytes(),
    );
    asm.websocket_message(a, 1.5, Direction::Server, FrameKind::Text, OPEN.as_bytes());
    asm.websocket_message(a, 2.0, Direction::Client, FrameKind::Text, b"1");
    asm.finish(9.0);
    let records: Vec<Record> = asm.drain().collect();
    let opens: Vec<(u32, Option<String>, Option<String>)> = records
        .iter()
        .filter_map(|r| match r {
            Record::Conn(c) if c.event == ConnEvent::Open => {
                Some((c.conn, c.sid.clone(), c.remote.clone()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        opens,
        [
            (2, Some("bbb".into()), Some("p:2".into())),
            (1, Some("abc".into()), Some("p:1".into()))
        ]
    );
    let closes: Vec<(u32, Option<String>)> = records
        .iter()
        .filter_map(|r| match r {
            Record::Conn(c) if c.event == ConnEvent::Close => Some((c.conn, c.reason.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        closes,
        [
            (1, Some("close packet from the client".into())),
            (2, Some("proxy stopped".into()))
        ]
    );
    assert_eq!(asm.conn_of_sid("bbb"), Some(2));
    assert_eq!(asm.conn_of_websocket(a), Some(1));
}

#[test]
fn other_requests_and_failed_engine_requests_are_http_records() {
    let mut asm = Assembler::default();
    asm.http(&HttpExchange {
        response_body: OPEN.as_bytes(),
        ..HttpExchange::get(0.0, "/socket.io/?EIO=4&transport=polling", 200)
    });
    asm.http(&HttpExchange {
        response_body: br#"{"data":[],"paging":{}}"#,
        ..HttpExchange::get(
            1.0,
            "http://127.0.0.1:3000/api/facebook-graph/livevideo?pageid=1&limit=10",
            200,
        )
    });
    asm.http(&HttpExchange {
        response_body: br#"{"code":1,"message":"Session ID unknown"}"#,
        ..HttpExchange::get(2.0, "/socket.io/?EIO=4&transport=polling&sid=abc", 400)
    });
    let records: Vec<Record> = asm.drain().collect();
    let http: Vec<&HttpRecord> = records
        .iter()
        .filter_map(|r| match r {
            Record::Http(h) => Some(h),
            _ => None,
        })
        .collect();
    assert_eq!(http.len(), 2);
    assert_eq!(
        http[0].query,
        [("pageid".into(), "1".into()), ("limit".into(), "10".into())]
    );
    assert_eq!(http[1].status, 400);
    let Some(Record::Conn(close)) = records.last() else {
        panic!("{records:?}")
    };
    assert_eq!(
        close.reason.as_deref(),
        Some(r#"HTTP 400 on GET: {"code":1,"message":"Session ID unknown"}"#)
    );
}

#[test]
fn a_session_seen_from_its_middle_is_opened_by_its_first_request() {
    let mut asm = Assembler::default();
    asm.http(&HttpExchange {
        response_body: b"2",
        ..HttpExchange::get(0.0, "/socket.io/?EIO=4&transport=polling&sid=zzz", 200)
    });
    let records: Vec<Record> = asm.drain().collect();
    assert!(
        matches!(&records[0], Record::Conn(c) if c.event == ConnEvent::Open && c.sid.as_deref() == Some("zzz"))
    );
    assert_eq!(frames(&records), [(1, Direction::Server, "2".to_owned())]);
}

#[test]
fn bodies_that_do_not_parse_are_kept_whole() {
    // v3: a length prefix that runs past the body stays one text packet, verbatim.
    assert_eq!(
        split_payload(b"99:4hello", 3),
        [Packet::Text("99:4hello".into())]
    );
    assert_eq!(
        split_payload("6:4hello2:4€".as_bytes(), 3),
        [Packet::Text("4hello".into()), Packet::Text("4€".into())]
    );
    // Not UTF-8: one binary packet, every byte kept.
    assert_eq!(
        split_payload(&[0xff, 0x00], 4),
        [Packet::Binary(vec![0xff, 0])]
    );
    // A `b` record whose base64 is broken stays text, so decoding it later names the error.
    assert_eq!(split_payload(b"b!!!", 4), [Packet::Text("b!!!".into())]);
}

#[test]
fn websocket_text_that_is_not_utf8_is_kept_as_binary_and_gaps_name_their_direction() {
    let mut asm = Assembler::default();
    let ws = asm.websocket_open(0.0, "/socket.io/?EIO=4&transport=websocket", None);
    asm.websocket_message(ws, 1.0, Direction::Server, FrameKind::Text, &[0xc3, 0x28]);
    asm.websocket_gap(ws, 2.0, Direction::Client, Some(40), Some("segments lost"));
    let records: Vec<Record> = asm.drain().collect();
    assert!(
        matches!(&records[1], Record::Frame(f) if f.kind == FrameKind::Binary && f.payload_bytes().unwrap() == [0xc3, 0x28])
    );
    let Record::Gap(gap) = &records[2] else {
        panic!("{records:?}")
    };
    assert_eq!(
        (gap.conn, gap.from, gap.missing_bytes),
        (1, Some(Direction::Client), Some(40))
    );
}

#[test]
fn query_pairs_decode_like_a_browser_and_ignore_the_fragment() {
    assert_eq!(
        query_pairs("/x?room=a%2Eb&q=a+b&flag#frag"),
        [
            ("room".into(), "a.b".into()),
            ("q".into(), "a b".into()),
            ("flag".into(), String::new())
        ]
    );
    assert!(query_pairs("/no-query").is_empty());
    assert!(engine_query("/socket.io/?transport=polling").is_none());
}
