//! A client session talking to a server session in memory over a pretend WebSocket: the
//! recorder's and load generator's side against the mock's.

use sio_session::{
    ClientConfig, ClientEvent, ClientSession, InboundFrame, ServerConfig, ServerEvent,
    ServerSession, Transmit, TransportKind,
};

use crate::harness::Clock;

/// Moves every pending frame each way until both sides are quiet. Returns whether a side
/// closed the pretend socket.
fn pump(clock: &Clock, ms: u64, server: &mut ServerSession, client: &mut ClientSession) -> bool {
    let now = clock.at(ms);
    let mut closed = false;
    loop {
        let mut moved = false;
        while let Some(t) = server.poll_transmit() {
            moved = true;
            match t {
                Transmit::Text(s) => client.handle_frame(now, InboundFrame::Text(&s)),
                Transmit::Binary(b) => client.handle_frame(now, InboundFrame::Binary(&b)),
                Transmit::CloseWebSocket => {
                    closed = true;
                    client.handle_websocket_closed(now);
                }
                Transmit::PollResponse(_) => panic!("no polling here"),
            }
        }
        while let Some(t) = client.poll_transmit() {
            moved = true;
            match t {
                Transmit::Text(s) => server.handle_frame(now, InboundFrame::Text(&s)),
                Transmit::Binary(b) => server.handle_frame(now, InboundFrame::Binary(&b)),
                Transmit::CloseWebSocket => {
                    closed = true;
                    server.handle_websocket_closed(now);
                }
                Transmit::PollResponse(_) => panic!("clients do not answer polls"),
            }
        }
        if !moved {
            return closed;
        }
    }
}

#[test]
fn a_client_joins_receives_events_acks_and_survives_heartbeats() {
    let clock = Clock::default();
    let mut config = ServerConfig::default();
    config.ping_interval = std::time::Duration::from_millis(1000);
    config.ping_timeout = std::time::Duration::from_millis(500);
    let mut server = ServerSession::new(clock.at(0), TransportKind::WebSocket, "eio", config);
    let mut client = ClientSession::new(clock.at(0), ClientConfig::default());
    client
        .connect("/chatomni", Some(r#"{"token":"synthetic"}"#))
        .unwrap();
    pump(&clock, 0, &mut server, &mut client);

    let mut requests = Vec::new();
    while let Some(event) = server.poll_event() {
        if let ServerEvent::ConnectRequest { namespace, auth } = event {
            requests.push(auth.clone());
            server.accept_connect(&namespace, "sock").unwrap();
        }
    }
    assert_eq!(requests, [Some(r#"{"token":"synthetic"}"#.to_owned())]);
    for n in 0..3 {
        server
            .emit(
                "/chatomni",
                &format!(r#"["on-events","{{\"n\":{n}}}"]"#),
                &[],
            )
            .unwrap();
    }
    pump(&clock, 1, &mut server, &mut client);
    let received: Vec<_> = std::iter::from_fn(|| client.poll_event())
        .filter_map(|e| match e {
            ClientEvent::Event(e) => Some(e.args_json().to_owned()),
            _ => None,
        })
        .collect();
    assert_eq!(
        received,
        [r#""{\"n\":0}""#, r#""{\"n\":1}""#, r#""{\"n\":2}""#]
    );

    // Ten heartbeats later, both sides are alive.
    for round in 1..=10 {
        let wake = server.poll_timeout().unwrap();
        assert_eq!(wake, clock.at(round * 1000));
        server.handle_timeout(wake);
        client.handle_timeout(wake);
        assert!(!pump(&clock, round * 1000, &mut server, &mut client));
    }
    assert!(!server.is_closed() && !client.is_closed());

    // The client asks, the server answers.
    let id = client
        .emit_with_ack(
            "/chatomni",
            r#"["question",{"q":1}]"#,
            &[b"\x00\x01".to_vec()],
        )
        .unwrap();
    pump(&clock, 10_002, &mut server, &mut client);
    let event = std::iter::from_fn(|| server.poll_event())
        .find_map(|e| match e {
            ServerEvent::Event(e) => Some(e),
            _ => None,
        })
        .unwrap();
    assert_eq!(event.attachments, [vec![0, 1]]);
    server
        .ack("/chatomni", event.ack_id.unwrap(), "[42]", &[])
        .unwrap();
    pump(&clock, 10_003, &mut server, &mut client);
    let ack = std::iter::from_fn(|| client.poll_event())
        .find_map(|e| match e {
            ClientEvent::Ack(a) => Some(a),
            _ => None,
        })
        .unwrap();
    assert_eq!((ack.ack_id, ack.data.as_str()), (id, "[42]"));

    // The client leaves; the server sees the socket close.
    client.close();
    assert!(pump(&clock, 10_004, &mut server, &mut client));
    assert!(server.is_closed());
}
