//! The mock against a second, independent Socket.IO client: python-socketio 5 on
//! python-engineio, websocket-client and requests (interop/python/client.py, installed by
//! `scripts/install-python-deps.sh`). The same claims as `interop.rs` makes with Node's
//! `socket.io-client`, plus emits with acks and binary attachments, and python-engineio's
//! limit on packets per polling payload.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::*;

/// The first `n` events of the bundled capture as they were on the wire: the event's name and
/// arguments (rt-2's payload is one argument, a string holding JSON).
fn captured_events(n: usize) -> Vec<Value> {
    let events: Vec<Value> = chat_capture()
        .timeline("/chatomni")
        .events()
        .iter()
        .take(n)
        .map(|event| serde_json::from_str(&event.data).unwrap())
        .collect();
    assert_eq!(events.len(), n, "the capture holds {n} events");
    events
}

/// Checks that `records` hold exactly the capture's first `n` events, in order: the same name,
/// the same argument string, and that string parsed as the payload.
fn assert_captured_events(records: &[Value], n: usize, what: &str) {
    let events = of_type(records, "event");
    assert_eq!(events.len(), n, "{what}: {records:#?}");
    for (index, (event, captured)) in events.iter().zip(captured_events(n)).enumerate() {
        assert_eq!(event["name"], captured[0], "{what}: event {index}");
        assert_eq!(
            event["args"],
            json!([captured[1]]),
            "{what}: event {index}: the argument string as captured"
        );
        let parsed: Value = serde_json::from_str(captured[1].as_str().unwrap()).unwrap();
        assert_eq!(event["payload"], parsed, "{what}: event {index}");
    }
}

fn the_one<'a>(records: &'a [Value], kind: &str) -> &'a Value {
    let found = of_type(records, kind);
    assert_eq!(found.len(), 1, "one {kind:?} record: {records:#?}");
    found[0]
}

#[tokio::test]
async fn python_websocket_only_client_receives_the_captured_events_in_order() {
    let mock = start(fast_replay()).await;
    let client = PythonClient::start(
        &mock,
        json!({"token": token(ROOM, "any"), "transports": ["websocket"], "events": 25}),
    );
    let (records, status) = client.finish().await;
    assert!(status.success(), "{records:#?}");
    assert_eq!(the_one(&records, "open")["transport"], "websocket");
    let connect = the_one(&records, "connect");
    assert_eq!(connect["transport"], "websocket");
    assert_eq!(connect["namespace"], "/chatomni");
    assert_captured_events(&records, 25, "websocket");
    mock.shutdown().await.unwrap();
}

#[tokio::test]
async fn python_client_starts_on_polling_upgrades_and_loses_no_event() {
    let mock = start(fast_replay()).await;
    let client = PythonClient::start(
        &mock,
        json!({"token": token(ROOM, "any"), "transports": ["polling", "websocket"], "events": 40}),
    );
    let (records, status) = client.finish().await;
    assert!(status.success(), "{records:#?}");
    // python-engineio upgrades right after the handshake, before the namespace CONNECT it
    // queued on polling goes out: that packet crosses the upgrade.
    assert_eq!(the_one(&records, "open")["transport"], "polling");
    assert_eq!(the_one(&records, "connect")["transport"], "websocket");
    assert_captured_events(&records, 40, "polling then websocket");
    let sessions = admin_json(&mock, "GET", "/__admin/sessions", "").await;
    assert!(
        sessions
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["transport"] == "websocket"
                && s["events_sent"].as_u64() >= Some(40)
                && s["violations"] == json!([])),
        "the server saw the upgrade: {sessions:#}"
    );
    mock.shutdown().await.unwrap();
}

#[tokio::test]
async fn python_polling_only_client_receives_the_captured_events_in_order() {
    // The default send queue (1024 frames) fills far past python-engineio's 16 packets per
    // payload; the mock's per-poll cap keeps every answer within it (see the next test).
    let mock = start(fast_replay()).await;
    let client = PythonClient::start(
        &mock,
        json!({"token": token(ROOM, "any"), "transports": ["polling"], "events": 30}),
    );
    let (records, status) = client.finish().await;
    assert!(status.success(), "{records:#?}");
    assert_eq!(the_one(&records, "open")["transport"], "polling");
    assert_eq!(the_one(&records, "connect")["transport"], "polling");
    assert_captured_events(&records, 30, "polling");
    let sessions = admin_json(&mock, "GET", "/__admin/sessions", "").await;
    assert_eq!(sessions[0]["transport"], "polling", "{sessions:#}");
    assert_eq!(sessions[0]["violations"], json!([]), "{sessions:#}");
    mock.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_burst_of_more_than_16_packets_reaches_a_default_python_client_over_polling() {
    // Twenty events due at once, 200 ms after the connect. Node's engine.io server would answer
    // the waiting poll with all of them in one payload, which python-engineio's default flood
    // guard (`max_decode_packets`, 16) refuses, dropping the session. The mock sends at most
    // 16 packets per poll response (`ServerConfig::max_packets_per_poll`), so a default
    // client gets the burst, in order, over two polls.
    let emits: Vec<String> = (0..20)
        .map(|i| format!(r#"{{ event = "burst", args = [{i}] }}"#))
        .collect();
    let toml = format!(
        "[[on_connect]]\nnamespace = \"/chatomni\"\nreplay = false\ndelay_ms = 200\nemit = [{}]\n",
        emits.join(", ")
    );
    let scenario = rt2_mock::scenario::Scenario::from_toml(&toml, "burst.toml").unwrap();
    let mut config = rt2_mock::MockConfig::default();
    scenario.apply_to(&mut config);
    let mock = start(config).await;

    let expected: Vec<Value> = (0..20).map(|i| json!([i])).collect();
    for options in [
        json!({"token": token(ROOM, "k"), "transports": ["polling"], "events": 20,
               "reconnection": false, "stop_on_disconnect": true}),
        json!({"token": token(ROOM, "k"), "transports": ["polling"], "events": 20,
               "max_decode_packets": 100}),
    ] {
        let client = PythonClient::start(&mock, options.clone());
        let (records, status) = client.finish().await;
        assert!(status.success(), "{options}: {records:#?}");
        assert!(
            of_type(&records, "disconnect").is_empty(),
            "{options}: {records:#?}"
        );
        let args: Vec<&Value> = of_type(&records, "event")
            .into_iter()
            .map(|event| {
                assert_eq!(event["name"], "burst");
                &event["args"]
            })
            .collect();
        assert_eq!(args, expected.iter().collect::<Vec<_>>(), "{options}");
    }
    mock.shutdown().await.unwrap();
}

#[tokio::test]
async fn python_and_node_clients_receive_identical_events_from_one_mock() {
    let mock = start(fast_replay()).await;
    let options = json!({"token": token(ROOM, "k"), "transports": ["websocket"], "events": 20});
    let python = PythonClient::start(&mock, options.clone());
    let node = NodeClient::start(&mock, options);
    let (python_records, python_status) = python.finish().await;
    let (node_records, node_status) = node.finish().await;
    assert!(python_status.success(), "{python_records:#?}");
    assert!(node_status.success(), "{node_records:#?}");
    let events = |records: &[Value]| -> Vec<(Value, Value)> {
        of_type(records, "event")
            .into_iter()
            .map(|event| (event["name"].clone(), event["args"].clone()))
            .collect()
    };
    assert_eq!(events(&python_records).len(), 20);
    assert_eq!(
        events(&python_records),
        events(&node_records),
        "two client implementations decode the same names and arguments"
    );
    mock.shutdown().await.unwrap();
}

#[tokio::test]
async fn python_client_with_a_bad_or_missing_token_gets_connect_error_with_the_mocks_message() {
    let secret = tpos_chat::TEST_SECRET;
    let mut config = fast_replay();
    config.auth = rt2_mock::AuthMode::Hs256 {
        secret: secret.as_bytes().to_vec(),
    };
    let mock = start(config).await;

    let forged = PythonClient::start(
        &mock,
        json!({"token": token(ROOM, "not the secret"), "transports": ["websocket"]}),
    );
    let (records, status) = forged.finish().await;
    assert!(status.success(), "{records:#?}");
    assert_eq!(records.last().unwrap()["reason"], "connect_error");
    let message = the_one(&records, "connect_error")["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.starts_with("Authentication error: "), "{message}");
    assert!(message.contains("signature"), "{message}");
    assert!(of_type(&records, "connect").is_empty(), "{records:#?}");
    assert!(of_type(&records, "event").is_empty(), "{records:#?}");

    let wrong_room = PythonClient::start(
        &mock,
        json!({"token": token("other.tpos.vn", secret), "transports": ["polling"]}),
    );
    let (records, _) = wrong_room.finish().await;
    let message = the_one(&records, "connect_error")["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.contains("does not match room"), "{message}");
    assert!(of_type(&records, "event").is_empty(), "{records:#?}");

    for transports in [json!(["websocket"]), json!(["polling", "websocket"])] {
        let missing = PythonClient::start(&mock, json!({"transports": transports}));
        let (records, _) = missing.finish().await;
        assert_eq!(
            the_one(&records, "connect_error")["message"],
            "Authentication error: no token in the connect payload",
            "{transports}: {records:#?}"
        );
        assert!(of_type(&records, "event").is_empty(), "{records:#?}");
    }

    let good = PythonClient::start(&mock, json!({"token": token(ROOM, secret), "events": 1}));
    let (records, status) = good.finish().await;
    assert!(status.success(), "{records:#?}");
    assert_eq!(of_type(&records, "connect").len(), 1, "{records:#?}");
    assert!(
        of_type(&records, "connect_error").is_empty(),
        "{records:#?}"
    );

    let stats = admin_json(&mock, "GET", "/__admin/stats", "").await;
    assert_eq!(stats["auth_refused"], 4, "{stats:#}");
    mock.shutdown().await.unwrap();
}

#[tokio::test]
async fn python_heartbeat_keeps_sessions_alive_past_several_short_ping_intervals() {
    let mut config = rt2_mock::MockConfig::default();
    config.session.ping_interval = Duration::from_millis(200);
    config.session.ping_timeout = Duration::from_millis(300);
    let mock = start(config).await;
    // 1.5 s is seven ping intervals: a missed pong would close the session after 0.5 s, and
    // python-engineio drops a session that sees no ping within interval + timeout.
    let clients = [json!(["websocket"]), json!(["polling"])].map(|transports| {
        PythonClient::start(
            &mock,
            json!({"token": token(ROOM, "k"), "transports": transports, "stay_ms": 1500}),
        )
    });
    for client in clients {
        let (records, status) = client.finish().await;
        assert!(status.success(), "{records:#?}");
        assert_eq!(records.last().unwrap()["reason"], "stayed", "{records:#?}");
        assert!(
            of_type(&records, "disconnect").is_empty(),
            "no disconnect before the end: {records:#?}"
        );
        assert_eq!(of_type(&records, "connect").len(), 1, "no reconnect");
    }
    let sessions = admin_json(&mock, "GET", "/__admin/sessions", "").await;
    let sessions = sessions.as_array().unwrap();
    assert_eq!(sessions.len(), 2, "{sessions:#?}");
    for session in sessions {
        assert_eq!(session["violations"], json!([]), "{session:#}");
    }
    mock.shutdown().await.unwrap();
}

#[tokio::test]
async fn python_emits_get_echoes_and_acks_with_binary_under_the_socketio_protocol_scenario() {
    let scenario = rt2_mock::scenario::Scenario::bundled("socketio-protocol").unwrap();
    let mut config = rt2_mock::MockConfig::default();
    scenario.apply_to(&mut config);
    let mock = start(config).await;
    for transports in [json!(["websocket"]), json!(["polling"])] {
        let client = PythonClient::start(
            &mock,
            json!({
                "namespace": "/",
                "token": "tok-1",
                "transports": transports,
                "events": 2,
                "acks": 2,
                "emit": [
                    {"event": "message", "args": [1, "two", {"three": [3]}, {"bytes_hex": "00ff"}]},
                    {"event": "message-with-ack", "args": ["x", {"y": null}], "ack": true},
                    {"event": "message-with-ack", "args": [{"bytes_hex": "0102"}, "bin"], "ack": true},
                ],
            }),
        );
        let (records, status) = client.finish().await;
        assert!(status.success(), "{transports}: {records:#?}");
        let mut events = of_type(&records, "event");
        events.sort_by_key(|event| event["name"].as_str().map(str::to_owned));
        assert_eq!(events.len(), 2, "{transports}: {records:#?}");
        assert_eq!(events[0]["name"], "auth");
        assert_eq!(
            events[0]["args"],
            json!([{"token": "tok-1"}]),
            "{transports}: the handshake auth comes back"
        );
        assert_eq!(events[1]["name"], "message-back");
        assert_eq!(
            events[1]["args"],
            json!([1, "two", {"three": [3]}, {"bytes_hex": "00ff"}]),
            "{transports}: echoed with its binary attachment"
        );
        let acks: Vec<&Value> = of_type(&records, "ack")
            .into_iter()
            .map(|ack| &ack["args"])
            .collect();
        assert_eq!(
            acks,
            [
                &json!(["x", {"y": null}]),
                &json!([{"bytes_hex": "0102"}, "bin"])
            ],
            "{transports}: each ack answers its own emit, a BINARY_ACK for the binary one"
        );
    }
    mock.shutdown().await.unwrap();
}

#[tokio::test]
async fn python_client_sees_a_dropped_connection_and_reconnects() {
    for transport in ["websocket", "polling"] {
        let mock = start(rt2_mock::MockConfig::default()).await;
        let mut client = PythonClient::start(
            &mock,
            json!({"token": token(ROOM, "k"), "transports": [transport], "connects": 2}),
        );
        // python-socketio loses a drop that comes before its connect() returned (it never
        // reports the disconnect, and its reconnect attempts fail with "Already connected"),
        // so the drop is armed only once the client is ready: three events, then the cut.
        let mut records = client.until("ready").await;
        let sessions = admin_json(&mock, "GET", "/__admin/sessions", "").await;
        let sid = sessions[0]["sid"].as_str().unwrap().to_owned();
        let armed = admin_json(
            &mock,
            "PUT",
            &format!("/__admin/sessions/{sid}/faults"),
            r#"{"drop_after_events":3}"#,
        )
        .await;
        assert_eq!(armed["delivered"], 1);
        let bearer = admin_bearer(&mock);
        for n in 0..4 {
            // The fourth finds the session gone or closing: never sent.
            http(
                &mock,
                "POST",
                &format!("/__admin/sessions/{sid}/emit"),
                &[
                    ("content-type", "application/json"),
                    ("authorization", &bearer),
                ],
                &format!(r#"{{"event":"on-events","args":[{{"n":{n}}}]}}"#),
            )
            .await;
        }
        let (rest, status) = client.finish().await;
        records.extend(rest);
        assert!(status.success(), "{transport}: {records:#?}");
        let kinds: Vec<&str> = records
            .iter()
            .map(|r| r["type"].as_str().unwrap())
            .collect();
        // python-engineio reports the drop on its reading thread while the last events'
        // handlers may still be running on theirs, so `disconnect` can be printed before or
        // after the third event; it always comes before the new session opens.
        let without_disconnect: Vec<&str> = kinds
            .iter()
            .copied()
            .filter(|kind| *kind != "disconnect")
            .collect();
        assert_eq!(
            without_disconnect,
            [
                "open", "connect", "ready", "event", "event", "event", "open", "connect", "done"
            ],
            "{transport}: exactly three events, the drop, a new session: {records:#?}"
        );
        let disconnect = kinds.iter().position(|kind| *kind == "disconnect");
        let reopened = kinds.iter().rposition(|kind| *kind == "open");
        assert!(
            kinds.iter().filter(|kind| **kind == "disconnect").count() == 1
                && disconnect > kinds.iter().position(|kind| *kind == "ready")
                && disconnect < reopened,
            "{transport}: one disconnect, after ready and before the new session: {kinds:?}"
        );
        let args: Vec<&Value> = of_type(&records, "event")
            .into_iter()
            .map(|event| &event["args"])
            .collect();
        assert_eq!(
            args,
            [&json!([{"n": 0}]), &json!([{"n": 1}]), &json!([{"n": 2}])],
            "{transport}"
        );
        let reason = the_one(&records, "disconnect")["reason"].as_str().unwrap();
        assert!(
            reason == "transport close" || reason == "transport error",
            "{transport}: a dropped connection, not a clean server disconnect: {reason}"
        );
        let report = admin_json(&mock, "GET", &format!("/__admin/sessions/{sid}"), "").await;
        assert!(
            report["closed"].as_str().unwrap().contains("dropped"),
            "{transport}: {report:#}"
        );
        mock.shutdown().await.unwrap();
    }
}

#[tokio::test]
async fn python_client_sees_an_admin_disconnect_as_a_server_disconnect() {
    let mock = start(rt2_mock::MockConfig::default()).await;
    let mut client = PythonClient::start(
        &mock,
        json!({"token": token(ROOM, "k"), "transports": ["websocket"], "stay_ms": 5000,
               "stop_on_disconnect": true}),
    );
    // python-socketio ignores a DISCONNECT that arrives before its connect() returned
    // ("ready"), so the server waits for that.
    client.until("ready").await;
    let sessions = admin_json(&mock, "GET", "/__admin/sessions", "").await;
    let sid = sessions[0]["sid"].as_str().unwrap().to_owned();
    let answer = admin_json(
        &mock,
        "POST",
        &format!("/__admin/sessions/{sid}/disconnect"),
        r#"{"reason":"maintenance"}"#,
    )
    .await;
    assert_eq!(answer["delivered"], 1);
    let (records, status) = client.finish().await;
    assert!(status.success(), "{records:#?}");
    assert_eq!(
        the_one(&records, "disconnect")["reason"],
        "server disconnect",
        "{records:#?}"
    );
    assert_eq!(records.last().unwrap()["reason"], "disconnect");
    mock.shutdown().await.unwrap();
}

#[tokio::test]
async fn stop_pinging_makes_the_python_client_drop_the_session() {
    let mut config = rt2_mock::MockConfig::default();
    config.session.ping_interval = Duration::from_millis(200);
    config.session.ping_timeout = Duration::from_millis(200);
    config.faults.stop_pinging = true;
    let mock = start(config).await;
    // python-engineio gives a silent server pingInterval + pingTimeout on WebSocket, and the
    // longer of the two plus 5 s on a long-poll; the stay is longer than both.
    let clients = ["websocket", "polling"].map(|transport| {
        PythonClient::start(
            &mock,
            json!({"token": token(ROOM, "k"), "transports": [transport], "reconnection": false,
                   "stay_ms": 8000, "timeout_ms": 9000, "stop_on_disconnect": true}),
        )
    });
    for (transport, client) in ["websocket", "polling"].into_iter().zip(clients) {
        let (records, status) = client.finish().await;
        assert!(status.success(), "{transport}: {records:#?}");
        assert_eq!(
            records.last().unwrap()["reason"],
            "disconnect",
            "{transport}: dropped before the stay ended: {records:#?}"
        );
        assert_eq!(
            the_one(&records, "disconnect")["reason"],
            "transport error",
            "{transport}: {records:#?}"
        );
        assert_eq!(of_type(&records, "connect").len(), 1, "{transport}");
    }
    mock.shutdown().await.unwrap();
}
