//! Real clients through the proxy to a real Node socket.io v4 server: each receives what it
//! receives without the proxy, and the capture holds a decodable, redacted session.

use serde_json::json;
use sio_capture::view::frame_view;
use sio_capture::{ConnEvent, Direction, Record, Transport};

use crate::support::{Client, NodeServer, Proxy, SIGNATURE, events, frames, token};

/// How many events each client waits for.
const EVENTS: u64 = 25;

fn client_options(transports: Option<&[&str]>) -> serde_json::Value {
    let mut options = json!({
        "namespace": "/chatomni",
        "room": "tomato.tpos.vn",
        "token": token(),
        "reconnection": false,
    });
    if transports.is_none() {
        // Polling then upgrade: at full speed every event may come before the upgrade, so
        // stay connected long enough for it (and take every event of the capture).
        options["stay_ms"] = json!(1500);
    } else {
        options["events"] = json!(EVENTS);
    }
    if let Some(transports) = transports {
        options["transports"] = json!(transports);
    }
    options
}

/// Runs the Node client directly and through a proxy; checks what the client got and what
/// the capture holds, and returns the capture's records.
async fn node_through_the_proxy(deflate: bool, transports: Option<&[&str]>) -> Vec<Record> {
    let server = NodeServer::start(deflate).await;
    let options = client_options(transports);
    let (direct, ok) = Client::node(&server.url, options.clone()).finish().await;
    assert!(ok, "direct client failed: {direct:#?}");
    let proxy = Proxy::start(&server.url).await;
    let (through, ok) = Client::node(&proxy.url(), options).finish().await;
    assert!(ok, "client through the proxy failed: {through:#?}");
    assert!(events(&through).len() as u64 >= EVENTS);
    assert_eq!(events(&through), events(&direct));
    if transports.is_none() {
        assert!(
            through.iter().any(|r| r["type"] == "upgrade"),
            "{through:#?}"
        );
    }
    let (summary, records, text) = proxy.stop().await;
    check_capture(&records, &text);
    assert_eq!(summary.decode_errors, 0, "{text}");
    let websocket = transports != Some(&["polling"][..]);
    assert_eq!(
        summary.compressed_messages > 0,
        deflate && websocket,
        "compressed messages: {}",
        summary.compressed_messages
    );
    records
}

/// Both directions, no token signature, every frame decodes, the events the client got.
fn check_capture(records: &[Record], text: &str) {
    assert!(matches!(&records[0], Record::Header(h) if h.source == "proxy"));
    assert!(
        !text.contains(SIGNATURE),
        "a token signature reached the capture"
    );
    let frames = frames(records);
    assert!(frames.iter().any(|f| f.from == Direction::Client));
    assert!(frames.iter().any(|f| f.from == Direction::Server));
    for (index, frame) in frames.iter().enumerate() {
        let view = frame_view(frame, index as u64 + 1);
        assert_eq!(view.error, None, "frame {index} does not decode: {frame:?}");
    }
    let server_events = frames
        .iter()
        .filter(|f| f.from == Direction::Server && f.data.starts_with("42/chatomni,"))
        .count();
    assert!(
        server_events as u64 >= EVENTS,
        "{server_events} events in the capture"
    );
    assert!(
        frames
            .iter()
            .any(|f| f.from == Direction::Client && f.data.starts_with("40/chatomni,")),
        "the client's CONNECT is in the capture"
    );
}

fn conn_events(records: &[Record]) -> Vec<(u32, ConnEvent, Option<Transport>)> {
    records
        .iter()
        .filter_map(|r| match r {
            Record::Conn(c) => Some((c.conn, c.event, c.transport)),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_websocket_only_with_and_without_compression() {
    for deflate in [false, true] {
        let records = node_through_the_proxy(deflate, Some(&["websocket"])).await;
        let conns = conn_events(&records);
        assert_eq!(
            conns[0],
            (1, ConnEvent::Open, Some(Transport::Websocket)),
            "{conns:?}"
        );
        assert!(conns.iter().all(|(conn, ..)| *conn == 1), "{conns:?}");
        assert_eq!(conns.last().unwrap().1, ConnEvent::Close);
        // The client's close frame, not only who hung up first, names the end.
        let reason = records
            .iter()
            .rev()
            .find_map(|r| match r {
                Record::Conn(c) if c.event == ConnEvent::Close => c.reason.clone(),
                _ => None,
            })
            .unwrap();
        assert!(reason.contains("from the client"), "{reason}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_polling_only() {
    let records = node_through_the_proxy(false, Some(&["polling"])).await;
    let conns = conn_events(&records);
    assert_eq!(
        conns[0],
        (1, ConnEvent::Open, Some(Transport::Polling)),
        "{conns:?}"
    );
    assert!(
        !conns.iter().any(|c| c.1 == ConnEvent::Upgrade),
        "{conns:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_polling_then_upgrade_is_one_connection() {
    for deflate in [false, true] {
        let records = node_through_the_proxy(deflate, None).await;
        let conns = conn_events(&records);
        assert_eq!(
            conns[0],
            (1, ConnEvent::Open, Some(Transport::Polling)),
            "{conns:?}"
        );
        assert!(
            conns.contains(&(1, ConnEvent::Upgrade, Some(Transport::Websocket))),
            "{conns:?}"
        );
        assert!(conns.iter().all(|(conn, ..)| *conn == 1), "{conns:?}");
        // The probe went over the WebSocket, on the same connection.
        assert!(
            frames(&records)
                .iter()
                .any(|f| f.conn == 1 && f.from == Direction::Client && f.data == "2probe")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_socketio_through_the_proxy() {
    let server = NodeServer::start(true).await;
    let options = client_options(None);
    let (direct, ok) = Client::python(&server.url, options.clone()).finish().await;
    assert!(ok, "direct client failed: {direct:#?}");
    let proxy = Proxy::start(&server.url).await;
    let (through, ok) = Client::python(&proxy.url(), options).finish().await;
    assert!(ok, "client through the proxy failed: {through:#?}");
    assert!(events(&through).len() as u64 >= EVENTS);
    assert_eq!(events(&through), events(&direct));
    let (_, records, text) = proxy.stop().await;
    check_capture(&records, &text);
}
