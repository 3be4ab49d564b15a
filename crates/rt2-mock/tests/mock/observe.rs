//! What the mock publishes to an observer, and the web view mounted on its port
//! (`MockConfig::observer`, `MockConfig::ui`).

use std::time::Duration;

use http::StatusCode;
use rt2_mock::MockConfig;
use sio_capture::{ConnEvent, Direction, Record, Transport};
use sio_ui::{Observed, Observer, Subscription, UiConfig, UiServer, UiToken};

use crate::support::{ROOM, WAIT, admin_json, http, raw_session, send_text, start, token};

async fn next_record(view: &mut Subscription) -> Record {
    match tokio::time::timeout(WAIT, view.next())
        .await
        .expect("a record in time")
    {
        Observed::Record(record) => (*record).clone(),
        other => panic!("expected a record, got {other:?}"),
    }
}

/// Records until (and with) the first that `stop` accepts.
async fn records_until(view: &mut Subscription, stop: impl Fn(&Record) -> bool) -> Vec<Record> {
    let mut seen = Vec::new();
    loop {
        let record = next_record(view).await;
        let done = stop(&record);
        seen.push(record);
        if done {
            return seen;
        }
    }
}

#[tokio::test]
async fn a_session_publishes_open_every_frame_both_ways_redacted_and_its_close_reason() {
    let observer = Observer::new(256);
    let mut view = observer.subscribe();
    let mut config = MockConfig::default();
    config.observer = Some(observer);
    let mock = start(config).await;
    let jwt = token(ROOM, "secret");
    let (mut socket, sid, reply) = raw_session(&mock, &format!("{{\"token\":\"{jwt}\"}}")).await;
    assert!(reply.starts_with("40/chatomni,"), "{reply}");
    send_text(&mut socket, "42/chatomni,[\"hello\",{\"n\":1}]").await;
    let path = format!("/__admin/sessions/{sid}/disconnect");
    admin_json(&mock, "POST", &path, "{\"reason\":\"seen by a test\"}").await;
    let records = records_until(
        &mut view,
        |r| matches!(r, Record::Conn(c) if c.event == ConnEvent::Close),
    )
    .await;

    let Record::Conn(open) = &records[0] else {
        panic!("{:?}", records[0])
    };
    assert_eq!(open.event, ConnEvent::Open);
    assert_eq!(open.sid.as_deref(), Some(sid.as_str()));
    assert_eq!(open.transport, Some(Transport::Websocket));
    assert!(open.remote.as_deref().unwrap().starts_with("127.0.0.1:"));
    assert!(
        open.url.as_deref().unwrap().contains("room=tomato.tpos.vn"),
        "{open:?}"
    );
    let frames: Vec<(Direction, &str)> = records
        .iter()
        .filter_map(|r| match r {
            Record::Frame(f) => Some((f.from, f.data.as_str())),
            _ => None,
        })
        .collect();
    assert!(
        frames[0].1.starts_with(&format!("0{{\"sid\":\"{sid}\"")),
        "{frames:?}"
    );
    assert_eq!(frames[0].0, Direction::Server);
    let connect = frames
        .iter()
        .find(|(from, d)| *from == Direction::Client && d.starts_with("40"))
        .unwrap();
    assert!(
        !connect.1.contains(&jwt),
        "the token was published: {}",
        connect.1
    );
    assert!(connect.1.contains("[jwt "), "{}", connect.1);
    assert!(frames.contains(&(Direction::Server, reply.as_str())));
    assert!(frames.contains(&(Direction::Client, "42/chatomni,[\"hello\",{\"n\":1}]")));
    assert!(
        frames.contains(&(Direction::Server, "41/chatomni,")),
        "{frames:?}"
    );
    let Some(Record::Conn(close)) = records.last() else {
        panic!()
    };
    assert_eq!(close.reason.as_deref(), Some("seen by a test"));
    assert!(records.iter().all(|r| match r {
        Record::Conn(c) => c.conn == open.conn,
        Record::Frame(f) => f.conn == open.conn,
        _ => false,
    }));
    mock.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn the_web_view_on_the_mock_wants_the_token_and_its_page_may_call_the_admin_api() {
    let observer = Observer::with_history(256, 1 << 20);
    let mut config = MockConfig::default();
    let admin_token = config.admin_token.clone().unwrap();
    config.observer = Some(observer.clone());
    config.ui = Some(UiServer::new(UiConfig {
        observer,
        token: UiToken::new(admin_token.as_str()).unwrap(),
        allowed_hosts: Vec::new(),
        admin: Some("/__admin".to_owned()),
        live: true,
        title: "mock".to_owned(),
    }));
    let mock = start(config).await;
    let (status, _, _) = http(&mock, "GET", "/__ui/", &[], "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let page = format!("/__ui/?token={}", admin_token.as_str());
    let (status, headers, body) = http(&mock, "GET", &page, &[], "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("<html"));
    assert!(headers.get("access-control-allow-origin").is_none());
    let evil = [("origin", "http://evil.example")];
    let (status, _, _) = http(&mock, "GET", &page, &evil, "").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (_socket, sid, _) = raw_session(&mock, "{}").await;
    let records = format!("/__ui/api/records?token={}", admin_token.as_str());
    let mut listed = String::new();
    for _ in 0..50 {
        listed = http(&mock, "GET", &records, &[], "").await.2;
        if listed.contains("40/chatomni") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(listed.contains(&format!("\"sid\":\"{sid}\"")), "{listed}");

    // The page's own origin may call the admin API (with the token); another may not.
    let bearer = format!("Bearer {}", admin_token.as_str());
    let own = format!("http://{}", mock.addr());
    for (origin, expected) in [
        (own.as_str(), StatusCode::OK),
        ("http://evil.example", StatusCode::FORBIDDEN),
    ] {
        let headers = [
            ("origin", origin),
            ("authorization", bearer.as_str()),
            ("content-type", "application/json"),
        ];
        let (status, _, body) = http(
            &mock,
            "POST",
            "/__admin/emit",
            &headers,
            "{\"event\":\"x\"}",
        )
        .await;
        assert_eq!(status, expected, "{origin}: {body}");
    }
    mock.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn without_the_web_view_the_mock_has_no_ui_route_and_same_origin_admin_calls_stay_refused() {
    let mock = start(MockConfig::default()).await;
    let (status, _, _) = http(&mock, "GET", "/__ui/", &[], "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let bearer = format!("Bearer {}", mock.admin_token().unwrap());
    let own = format!("http://{}", mock.addr());
    let headers = [
        ("origin", own.as_str()),
        ("authorization", bearer.as_str()),
        ("content-type", "application/json"),
    ];
    let (status, _, _) = http(
        &mock,
        "POST",
        "/__admin/emit",
        &headers,
        "{\"event\":\"x\"}",
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    mock.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn a_long_polling_session_publishes_one_record_per_packet_both_ways() {
    let observer = Observer::new(256);
    let mut view = observer.subscribe();
    let mut config = MockConfig::default();
    config.observer = Some(observer);
    let mock = start(config).await;
    let (status, _, open) =
        http(&mock, "GET", "/socket.io/?EIO=4&transport=polling", &[], "").await;
    assert_eq!(status, StatusCode::OK, "{open}");
    let sid = serde_json::from_str::<serde_json::Value>(&open[1..]).unwrap()["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/socket.io/?EIO=4&transport=polling&sid={sid}");
    let headers = [("content-type", "text/plain;charset=UTF-8")];
    let (status, _, _) = http(&mock, "POST", &path, &headers, "40/chatomni,{}\u{1e}40").await;
    assert_eq!(status, StatusCode::OK);
    let records = records_until(
        &mut view,
        |r| matches!(r, Record::Frame(f) if f.from == Direction::Client && f.data == "40"),
    )
    .await;
    let Record::Conn(conn) = &records[0] else {
        panic!("{:?}", records[0])
    };
    assert_eq!(
        (conn.transport, conn.sid.as_deref()),
        (Some(Transport::Polling), Some(sid.as_str()))
    );
    let frames: Vec<(Direction, &str)> = records
        .iter()
        .filter_map(|r| match r {
            Record::Frame(f) => Some((f.from, f.data.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(frames[0], (Direction::Server, open.as_str()));
    assert_eq!(frames[1], (Direction::Client, "40/chatomni,{}"));
    assert_eq!(frames[2], (Direction::Client, "40"));
    mock.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn past_the_observer_budget_frames_are_counted_not_sent_and_connections_still_are() {
    // A budget of one frame a second: the handshake's frames overrun it at once.
    let observer = Observer::new(256).with_rate_limit(1);
    let mut view = observer.subscribe();
    let mut config = MockConfig::default();
    config.observer = Some(observer.clone());
    let mock = start(config).await;
    let jwt = token(ROOM, "secret");
    let (mut socket, sid, _) = raw_session(&mock, &format!("{{\"token\":\"{jwt}\"}}")).await;
    for n in 0..5 {
        send_text(&mut socket, &format!("42/chatomni,[\"hello\",{n}]")).await;
    }
    let path = format!("/__admin/sessions/{sid}/disconnect");
    admin_json(&mock, "POST", &path, "{}").await;
    let (mut frames, mut skipped, mut conns) = (0u64, 0u64, Vec::new());
    loop {
        match tokio::time::timeout(WAIT, view.next())
            .await
            .expect("the close in time")
        {
            Observed::Record(record) => match &*record {
                Record::Frame(_) => frames += 1,
                Record::Conn(c) => {
                    conns.push(c.event);
                    if c.event == ConnEvent::Close {
                        break;
                    }
                }
                other => panic!("{other:?}"),
            },
            Observed::Skipped(n) => skipped += n,
            Observed::Closed => panic!("closed"),
        }
    }
    assert_eq!(conns, [ConnEvent::Open, ConnEvent::Close]);
    assert!(frames <= 2, "{frames} frames in a budget of one a second");
    // The open packet, the CONNECT and its reply at least (the events may still be in flight
    // when the session is cut): most of them counted, not sent.
    assert!(
        frames + observer.dropped() >= 3,
        "{frames} + {}",
        observer.dropped()
    );
    assert!(observer.dropped() >= 1);
    assert_eq!(
        skipped,
        observer.dropped(),
        "the view is told of every frame left out"
    );
}
