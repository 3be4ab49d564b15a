//! What a browser gives a user: a HAR export in Chrome's form and a copy of DevTools' WebSocket
//! messages pane. Both are made from the start of the generated session, for importer tests.

use serde::Serialize;

use crate::clock::{MILLI, Micros, epoch_seconds, har_time, local_time_of_day};
use crate::live::live_video_exchanges;
use crate::session::{TimedFrame, session_frames};
use crate::world::{RT2_URL, SESSION_START};
use sio_capture::Direction;

/// How long before the session the page loaded and fetched the live videos.
pub(crate) const LIVE_FETCH_LEAD: Micros = 15_000 * MILLI;

/// The user agent of the synthetic browser.
const USER_AGENT: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/143.0.0.0 Safari/537.36";

/// A HAR 1.2 file as Chrome's "Export HAR (sanitized)" writes it: the live-video request of the
/// page load, then the socket's upgrade request with its messages in `_webSocketMessages`
/// (handshake through the first heartbeat). Sanitizing removed cookies and the Authorization
/// header, but the JWT the client sent inside a frame is still there, as Chrome leaves it (it is
/// synthetic, signed with [`tpos_chat::TEST_SECRET`]).
pub fn chrome_har(seed: u64) -> String {
    let frames = session_frames(seed);
    // Up to and including the first pong.
    let cut = frames
        .iter()
        .position(|f| f.data == "3")
        .map_or(frames.len(), |i| i + 1);
    let frames = &frames[..cut];
    let opened = SESSION_START + frames.first().map_or(0, |f| f.t) - 41 * MILLI;

    let live = live_video_exchanges(seed).remove(0);
    let body = live.page.to_json();
    let fetched = SESSION_START - LIVE_FETCH_LEAD + 310 * MILLI;
    let page_started = fetched - 1_840 * MILLI;
    let rest_entry = Entry {
        resource_type: "fetch",
        cache: Cache {},
        connection: "443",
        initiator: Initiator { kind: "script" },
        priority: "High",
        pageref: "page_1",
        request: Request {
            method: "GET",
            url: live.url(),
            http_version: "http/2.0",
            headers: vec![
                NameValue::new(":authority", "tomato.tpos.vn"),
                NameValue::new(":method", "GET"),
                NameValue::new(
                    ":path",
                    live.url().trim_start_matches("https://tomato.tpos.vn"),
                ),
                NameValue::new(":scheme", "https"),
                NameValue::new("accept", "application/json, text/plain, */*"),
                NameValue::new("accept-language", "vi-VN,vi;q=0.9,en-US;q=0.8,en;q=0.7"),
                NameValue::new("referer", "https://tomato.tpos.vn/"),
                NameValue::new("user-agent", USER_AGENT),
            ],
            query_string: live
                .query_pairs()
                .iter()
                .map(|(name, value)| NameValue::new(name, value))
                .collect(),
            cookies: Vec::new(),
            headers_size: -1,
            body_size: 0,
        },
        response: Response {
            status: 200,
            status_text: "",
            http_version: "http/2.0",
            headers: vec![
                NameValue::new("content-type", "application/json; charset=utf-8"),
                NameValue::new("date", "Wed, 07 Jan 2026 13:30:27 GMT"),
                NameValue::new("server", "nginx"),
            ],
            cookies: Vec::new(),
            content: Content {
                size: body.len(),
                mime_type: "application/json",
                text: Some(body),
            },
            redirect_url: "",
            headers_size: -1,
            body_size: -1,
            transfer_size: 1_904,
            error: None,
        },
        server_ip_address: "203.0.113.10",
        started_date_time: har_time(fetched),
        time: 212.408,
        timings: Timings {
            blocked: 1.382,
            dns: -1.0,
            ssl: -1.0,
            connect: -1.0,
            send: 0.311,
            wait: 208.902,
            receive: 1.813,
            blocked_queueing: 0.921,
        },
        web_socket_messages: None,
    };

    let socket_entry = Entry {
        resource_type: "websocket",
        cache: Cache {},
        connection: "443",
        initiator: Initiator { kind: "script" },
        priority: "High",
        pageref: "page_1",
        request: Request {
            method: "GET",
            url: RT2_URL.to_owned(),
            http_version: "HTTP/1.1",
            headers: vec![
                NameValue::new("Accept-Encoding", "gzip, deflate, br, zstd"),
                NameValue::new("Accept-Language", "vi-VN,vi;q=0.9,en-US;q=0.8,en;q=0.7"),
                NameValue::new("Cache-Control", "no-cache"),
                NameValue::new("Connection", "Upgrade"),
                NameValue::new("Host", "rt-2.tpos.app"),
                NameValue::new("Origin", "https://tomato.tpos.vn"),
                NameValue::new("Pragma", "no-cache"),
                NameValue::new(
                    "Sec-WebSocket-Extensions",
                    "permessage-deflate; client_max_window_bits",
                ),
                NameValue::new("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
                NameValue::new("Sec-WebSocket-Version", "13"),
                NameValue::new("Upgrade", "websocket"),
                NameValue::new("User-Agent", USER_AGENT),
            ],
            query_string: vec![
                NameValue::new("room", "tomato.tpos.vn"),
                NameValue::new("EIO", "4"),
                NameValue::new("transport", "websocket"),
            ],
            cookies: Vec::new(),
            headers_size: -1,
            body_size: 0,
        },
        response: Response {
            status: 101,
            status_text: "Switching Protocols",
            http_version: "HTTP/1.1",
            headers: vec![
                NameValue::new("Connection", "upgrade"),
                NameValue::new("Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
                NameValue::new("Upgrade", "websocket"),
            ],
            cookies: Vec::new(),
            content: Content {
                size: 0,
                mime_type: "x-unknown",
                text: None,
            },
            redirect_url: "",
            headers_size: -1,
            body_size: 0,
            transfer_size: 0,
            error: None,
        },
        server_ip_address: "203.0.113.20",
        started_date_time: har_time(opened),
        time: 0.0,
        timings: Timings {
            blocked: 2.104,
            dns: -1.0,
            ssl: -1.0,
            connect: -1.0,
            send: 0.0,
            wait: 38.517,
            receive: 0.0,
            blocked_queueing: -1.0,
        },
        web_socket_messages: Some(
            frames
                .iter()
                .map(|f| WebSocketMessage {
                    kind: match f.from {
                        Direction::Client => "send",
                        Direction::Server => "receive",
                    },
                    time: epoch_seconds(SESSION_START + f.t),
                    opcode: 1,
                    data: f.data.clone(),
                })
                .collect(),
        ),
    };

    let har = Har {
        log: Log {
            version: "1.2",
            creator: Creator {
                name: "WebInspector",
                version: "537.36",
            },
            pages: vec![Page {
                started_date_time: har_time(page_started),
                id: "page_1",
                title: "https://tomato.tpos.vn/#/app/conversation/all",
                page_timings: PageTimings {
                    on_content_load: 812.437,
                    on_load: 1_523.09,
                },
            }],
            entries: vec![rest_entry, socket_entry],
        },
    };
    // A tree of strings, numbers and vectors always serializes.
    let mut text = serde_json::to_string_pretty(&har).unwrap_or_default();
    text.push('\n');
    text
}

/// A copy of DevTools' messages pane for the first frames of the session: one frame per line as
/// Chrome's columns come out when copied, `↑`/`↓`, the data, its length in bytes and the local
/// time of day, separated by tabs.
pub fn devtools_text(seed: u64) -> String {
    let frames = session_frames(seed);
    let mut out = String::new();
    // The handshake, the seed's message and a few more, then the first heartbeat.
    let mut events = 0;
    for f in &frames {
        let is_event = f.data.starts_with("42/");
        if is_event {
            events += 1;
            if events > 3 {
                continue;
            }
        }
        push_devtools_line(&mut out, f);
        if f.data == "3" {
            break;
        }
    }
    out
}

fn push_devtools_line(out: &mut String, f: &TimedFrame) {
    out.push(f.from.arrow());
    out.push('\t');
    out.push_str(&f.data);
    out.push('\t');
    out.push_str(&f.data.len().to_string());
    out.push('\t');
    out.push_str(&local_time_of_day(SESSION_START + f.t));
    out.push('\n');
}

#[derive(Serialize)]
struct Har {
    log: Log,
}

#[derive(Serialize)]
struct Log {
    version: &'static str,
    creator: Creator,
    pages: Vec<Page>,
    entries: Vec<Entry>,
}

#[derive(Serialize)]
struct Creator {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Page {
    started_date_time: String,
    id: &'static str,
    title: &'static str,
    page_timings: PageTimings,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PageTimings {
    on_content_load: f64,
    on_load: f64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    #[serde(rename = "_initiator")]
    initiator: Initiator,
    #[serde(rename = "_priority")]
    priority: &'static str,
    #[serde(rename = "_resourceType")]
    resource_type: &'static str,
    cache: Cache,
    connection: &'static str,
    pageref: &'static str,
    request: Request,
    response: Response,
    #[serde(rename = "serverIPAddress")]
    server_ip_address: &'static str,
    started_date_time: String,
    time: f64,
    timings: Timings,
    #[serde(rename = "_webSocketMessages", skip_serializing_if = "Option::is_none")]
    web_socket_messages: Option<Vec<WebSocketMessage>>,
}

#[derive(Serialize)]
struct Initiator {
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Serialize)]
struct Cache {}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    method: &'static str,
    url: String,
    http_version: &'static str,
    headers: Vec<NameValue>,
    query_string: Vec<NameValue>,
    cookies: Vec<NameValue>,
    headers_size: i64,
    body_size: i64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Response {
    status: u16,
    status_text: &'static str,
    http_version: &'static str,
    headers: Vec<NameValue>,
    cookies: Vec<NameValue>,
    content: Content,
    #[serde(rename = "redirectURL")]
    redirect_url: &'static str,
    headers_size: i64,
    body_size: i64,
    #[serde(rename = "_transferSize")]
    transfer_size: u64,
    #[serde(rename = "_error")]
    error: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Content {
    size: usize,
    mime_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<String>,
}

#[derive(Serialize)]
struct Timings {
    blocked: f64,
    dns: f64,
    ssl: f64,
    connect: f64,
    send: f64,
    wait: f64,
    receive: f64,
    #[serde(rename = "_blocked_queueing")]
    blocked_queueing: f64,
}

#[derive(Serialize)]
struct NameValue {
    name: String,
    value: String,
}

impl NameValue {
    fn new(name: &str, value: &str) -> Self {
        Self {
            name: name.to_owned(),
            value: value.to_owned(),
        }
    }
}

#[derive(Serialize)]
struct WebSocketMessage {
    #[serde(rename = "type")]
    kind: &'static str,
    time: f64,
    opcode: u8,
    data: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_har_has_a_websocket_entry_with_messages_and_a_rest_entry() {
        let har: serde_json::Value =
            serde_json::from_str(&chrome_har(crate::DEFAULT_SEED)).unwrap();
        let entries = har["log"]["entries"].as_array().unwrap();
        assert_eq!(har["log"]["version"], "1.2");
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0]["_resourceType"], "fetch");
        assert!(
            entries[0]["request"]["url"]
                .as_str()
                .unwrap()
                .contains("/api/facebook-graph/livevideo?pageid=")
        );
        let socket = &entries[1];
        assert_eq!(socket["_resourceType"], "websocket");
        assert_eq!(socket["response"]["status"], 101);
        let messages = socket["_webSocketMessages"].as_array().unwrap();
        assert_eq!(messages[0]["type"], "receive");
        assert_eq!(messages[1]["type"], "send");
        assert!(
            messages[1]["data"]
                .as_str()
                .unwrap()
                .starts_with(r#"40/chatomni,{"token":"eyJ"#)
        );
        assert!(
            messages
                .iter()
                .all(|m| m["opcode"] == 1 && m["time"].as_f64().unwrap() > 1.7e9)
        );
        assert_eq!(messages.last().unwrap()["data"], "3");
        let times: Vec<f64> = messages
            .iter()
            .map(|m| m["time"].as_f64().unwrap())
            .collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn the_devtools_copy_has_arrows_lengths_and_times() {
        let text = devtools_text(crate::DEFAULT_SEED);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines.len() >= 7);
        for line in &lines {
            let cols: Vec<&str> = line.split('\t').collect();
            assert_eq!(cols.len(), 4, "{line}");
            assert!(cols[0] == "↑" || cols[0] == "↓");
            assert_eq!(cols[2].parse::<usize>().unwrap(), cols[1].len());
            assert_eq!(cols[3].len(), "20:30:42.061".len());
        }
        assert!(lines[0].starts_with("↓\t0{\"sid\""));
        assert!(lines.iter().any(|l| l.contains(r#"\"Name\":\"Thảo Tây\""#)));
    }
}
