//! The mock against the real `socket.io-client` v4 on Node (interop/client.mjs).

use std::time::Duration;

use serde_json::json;

use crate::support::*;

/// The first `n` events of the bundled capture as a client should see them: the event name
/// and the stringified payload parsed.
fn captured_payloads(n: usize) -> Vec<serde_json::Value> {
    chat_capture()
        .timeline("/chatomni")
        .events()
        .iter()
        .take(n)
        .map(|event| {
            let array: Vec<serde_json::Value> = serde_json::from_str(&event.data).unwrap();
            assert_eq!(array[0], "on-events");
            serde_json::from_str(array[1].as_str().unwrap()).unwrap()
        })
        .collect()
}

#[tokio::test]
async fn websocket_only_client_receives_replayed_events_and_parses_their_payload() {
    let mock = start(fast_replay()).await;
    let client = NodeClient::start(
        &mock,
        json!({"token": token(ROOM, "any"), "transports": ["websocket"], "events": 25}),
    );
    let (records, status) = client.finish().await;
    assert!(status.success(), "{records:#?}");
    let connects = of_type(&records, "connect");
    assert_eq!(connects.len(), 1);
    assert_eq!(connects[0]["transport"], "websocket");
    let events = of_type(&records, "event");
    assert_eq!(events.len(), 25);
    let expected = captured_payloads(25);
    for (event, expected) in events.iter().zip(&expected) {
        assert_eq!(event["name"], "on-events");
        assert_eq!(
            &event["payload"], expected,
            "the stringified payload parses to the captured one"
        );
    }
    assert!(events[0]["payload"]["Message"]["EventName"].is_string());
    mock.shutdown().await.unwrap();
}

#[tokio::test]
async fn default_transports_start_on_polling_then_upgrade_and_keep_receiving() {
    let mock = start(fast_replay()).await;
    let client = NodeClient::start(&mock, json!({"token": token(ROOM, "any"), "events": 40}));
    let (records, status) = client.finish().await;
    assert!(status.success(), "{records:#?}");
    let upgrades = of_type(&records, "upgrade");
    assert_eq!(upgrades.len(), 1, "{records:#?}");
    assert_eq!(upgrades[0]["transport"], "websocket");
    let events = of_type(&records, "event");
    assert_eq!(events.len(), 40);
    let expected = captured_payloads(40);
    for (event, expected) in events.iter().zip(&expected) {
        assert_eq!(
            &event["payload"], expected,
            "no event lost or reordered across the upgrade"
        );
    }
    // The server saw the upgrade too.
    let sessions = admin_json(&mock, "GET", "/__admin/sessions", "").await;
    assert!(
        sessions
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["transport"] == "websocket" && s["events_sent"].as_u64() >= Some(40)),
        "{sessions:#}"
    );
    mock.shutdown().await.unwrap();
}

#[tokio::test]
async fn polling_only_client_receives_events() {
    let mock = start(fast_replay()).await;
    let client = NodeClient::start(
        &mock,
        json!({"token": token(ROOM, "any"), "transports": ["polling"], "events": 30}),
    );
    let (records, status) = client.finish().await;
    assert!(status.success(), "{records:#?}");
    assert!(of_type(&records, "upgrade").is_empty());
    assert_eq!(of_type(&records, "connect")[0]["transport"], "polling");
    let events = of_type(&records, "event");
    let expected = captured_payloads(30);
    assert_eq!(events.len(), 30);
    for (event, expected) in events.iter().zip(&expected) {
        assert_eq!(&event["payload"], expected);
    }
    mock.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_bad_token_gets_connect_error_with_the_servers_message() {
    let secret = tpos_chat::TEST_SECRET;
    let mut config = fast_replay();
    config.auth = rt2_mock::AuthMode::Hs256 {
        secret: secret.as_bytes().to_vec(),
    };
    let mock = start(config).await;

    let forged = NodeClient::start(
        &mock,
        json!({"token": token(ROOM, "not the secret"), "transports": ["websocket"]}),
    );
    let (records, _) = forged.finish().await;
    let errors = of_type(&records, "connect_error");
    assert_eq!(errors.len(), 1, "{records:#?}");
    let message = errors[0]["message"].as_str().unwrap();
    assert!(message.starts_with("Authentication error: "), "{message}");
    assert!(message.contains("signature"), "{message}");
    assert!(of_type(&records, "event").is_empty());

    let wrong_room = NodeClient::start(&mock, json!({"token": token("other.tpos.vn", secret)}));
    let (records, _) = wrong_room.finish().await;
    let message = of_type(&records, "connect_error")[0]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.contains("does not match room"), "{message}");

    let missing = NodeClient::start(&mock, json!({}));
    let (records, _) = missing.finish().await;
    assert_eq!(
        of_type(&records, "connect_error")[0]["message"],
        "Authentication error: no token in the connect payload"
    );

    let good = NodeClient::start(&mock, json!({"token": token(ROOM, secret), "events": 1}));
    let (records, status) = good.finish().await;
    assert!(status.success(), "{records:#?}");
    assert_eq!(of_type(&records, "connect").len(), 1);

    let stats = admin_json(&mock, "GET", "/__admin/stats", "").await;
    assert_eq!(stats["auth_refused"], 3, "{stats:#}");
    mock.shutdown().await.unwrap();
}

#[tokio::test]
async fn heartbeat_survives_several_short_ping_intervals_on_both_transports() {
    let mut config = rt2_mock::MockConfig::default();
    config.session.ping_interval = Duration::from_millis(200);
    config.session.ping_timeout = Duration::from_millis(300);
    let mock = start(config).await;
    // 1.5 s is seven ping intervals: a missed pong would close the session after 0.5 s.
    let websocket = NodeClient::start(
        &mock,
        json!({"token": token(ROOM, "k"), "transports": ["websocket"], "stay_ms": 1500}),
    );
    let polling = NodeClient::start(
        &mock,
        json!({"token": token(ROOM, "k"), "transports": ["polling"], "stay_ms": 1500}),
    );
    for client in [websocket, polling] {
        let (records, status) = client.finish().await;
        assert!(status.success(), "{records:#?}");
        assert_eq!(records.last().unwrap()["reason"], "stayed");
        assert!(
            of_type(&records, "disconnect")
                .iter()
                .all(|d| d["reason"] == "io client disconnect"),
            "{records:#?}"
        );
        assert_eq!(
            of_type(&records, "connect").len(),
            1,
            "no reconnect: {records:#?}"
        );
    }
    let sessions = admin_json(&mock, "GET", "/__admin/sessions", "").await;
    for session in sessions.as_array().unwrap() {
        assert_eq!(session["violations"], json!([]), "{session:#}");
    }
    mock.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_admin_injection_reaches_the_client() {
    let mock = start(rt2_mock::MockConfig::default()).await;
    let mut client = NodeClient::start(
        &mock,
        json!({"token": token(ROOM, "k"), "transports": ["websocket"], "events": 1}),
    );
    client.until("connect").await;
    let delivered = admin_json(
        &mock,
        "POST",
        &format!("/__admin/rooms/{ROOM}/emit"),
        r#"{"event":"on-events","args":[{"Message":{"Id":"injected-1","EventName":"chatomni.on-message"}}],"stringify_args":true}"#,
    )
    .await;
    assert_eq!(delivered["delivered"], 1);
    let (records, status) = client.finish().await;
    assert!(status.success(), "{records:#?}");
    let events = of_type(&records, "event");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["name"], "on-events");
    assert_eq!(events[0]["payload"]["Message"]["Id"], "injected-1");
    mock.shutdown().await.unwrap();
}

#[tokio::test]
async fn drop_after_n_events_is_seen_as_a_disconnect_and_the_client_reconnects() {
    for transport in ["websocket", "polling"] {
        let mut config = fast_replay();
        config.faults.drop_after_events = Some(3);
        let mock = start(config).await;
        let client = NodeClient::start(
            &mock,
            json!({"token": token(ROOM, "k"), "transports": [transport], "connects": 2}),
        );
        let (records, status) = client.finish().await;
        assert!(status.success(), "{transport}: {records:#?}");
        let kinds: Vec<&str> = records
            .iter()
            .map(|r| r["type"].as_str().unwrap())
            .collect();
        let first_disconnect = kinds
            .iter()
            .position(|k| *k == "disconnect")
            .expect("a disconnect");
        assert_eq!(
            &kinds[..first_disconnect],
            ["connect", "event", "event", "event"],
            "{transport}: exactly three events, then the drop: {records:#?}"
        );
        let reason = records[first_disconnect]["reason"].as_str().unwrap();
        assert!(
            reason == "transport close" || reason == "transport error",
            "{transport}: a dropped connection, not a clean server disconnect: {reason}"
        );
        assert_eq!(
            of_type(&records, "connect").len(),
            2,
            "{transport}: reconnected"
        );
        mock.shutdown().await.unwrap();
    }
}

#[tokio::test]
async fn stop_pinging_makes_the_client_time_out() {
    let mut config = rt2_mock::MockConfig::default();
    config.session.ping_interval = Duration::from_millis(200);
    config.session.ping_timeout = Duration::from_millis(200);
    config.faults.stop_pinging = true;
    let mock = start(config).await;
    let mut client = NodeClient::start(
        &mock,
        json!({"token": token(ROOM, "k"), "transports": ["websocket"], "reconnection": false, "stay_ms": 3000}),
    );
    let records = client.until("disconnect").await;
    assert_eq!(
        records.last().unwrap()["reason"],
        "ping timeout",
        "{records:#?}"
    );
    mock.shutdown().await.unwrap();
}

#[tokio::test]
async fn shutdown_is_a_server_disconnect_on_both_transports() {
    for transports in [json!(["websocket"]), json!(["polling"])] {
        let mock = start(rt2_mock::MockConfig::default()).await;
        let mut client = NodeClient::start(
            &mock,
            json!({"token": token(ROOM, "k"), "transports": transports, "stay_ms": 5000}),
        );
        client.until("connect").await;
        // Let the polling client's next poll reach the mock: one still on its way when the
        // listener stops meets a closed connection ("transport error"), whatever the answer.
        tokio::time::sleep(Duration::from_millis(200)).await;
        mock.shutdown().await.unwrap();
        let records = client.until("disconnect").await;
        assert_eq!(
            records.last().unwrap()["reason"],
            "io server disconnect",
            "{transports}: {records:#?}"
        );
    }
}

#[tokio::test]
async fn close_with_a_reason_is_a_server_disconnect() {
    for transports in [json!(["websocket"]), json!(["polling"])] {
        let mock = start(fast_replay()).await;
        let mut client = NodeClient::start(
            &mock,
            json!({"token": token(ROOM, "k"), "transports": transports, "stay_ms": 5000}),
        );
        client.until("connect").await;
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
        let records = client.until("disconnect").await;
        assert_eq!(
            records.last().unwrap()["reason"],
            "io server disconnect",
            "{transports}: {records:#?}"
        );
        // On long-polling the session ends once the client's next poll has taken the close.
        let deadline = tokio::time::Instant::now() + WAIT;
        let report = loop {
            let report = admin_json(&mock, "GET", &format!("/__admin/sessions/{sid}"), "").await;
            if report["closed"].is_string() || tokio::time::Instant::now() > deadline {
                break report;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        assert!(
            report["closed"]
                .as_str()
                .is_some_and(|closed| closed.contains("maintenance")),
            "{transports}: {report:#}"
        );
        mock.shutdown().await.unwrap();
    }
}

#[tokio::test]
async fn the_node_reference_server_replays_the_same_events_as_the_mock() {
    let capture = repo_root().join("captures/rt2-chatomni.jsonl");
    let server = NodeServer::start(json!({"capture": capture, "speed": "max"})).await;
    let client = NodeClient::start_at(
        &server.url,
        json!({"token": token(ROOM, "k"), "transports": ["websocket"], "events": 20}),
    );
    let (records, status) = client.finish().await;
    assert!(status.success(), "{records:#?}");
    let events = of_type(&records, "event");
    let expected = captured_payloads(20);
    assert_eq!(events.len(), 20);
    for (event, expected) in events.iter().zip(&expected) {
        assert_eq!(&event["payload"], expected);
    }
    let refused = NodeClient::start_at(&server.url, json!({"room": ROOM}));
    let (records, _) = refused.finish().await;
    assert_eq!(
        of_type(&records, "connect_error")[0]["message"],
        "Authentication error: no token in the connect payload",
        "the same refusal text as the mock's"
    );
}
