//! The HAR 1.2 importer (Chrome, Edge and Firefox exports).
//!
//! Chrome keeps a WebSocket's messages on its upgrade entry as `_webSocketMessages`:
//! `{"type": "send" | "receive" | "error", "time": <epoch seconds, float>, "opcode": 1 | 2 | -1,
//! "data": "..."}`, with `data` in base64 when the opcode is 2 (binary). Firefox writes the
//! upgrade entry but no messages.

use std::borrow::Cow;

use base64::Engine as _;
use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{ImportSummary, Imported, InputKind, finish};
use crate::error::{CaptureError, ImportError, ImportLocation};
use crate::record::{Direction, FrameRecord, Header, HttpRecord, Record};

#[derive(Deserialize)]
struct Har<'a> {
    #[serde(borrow)]
    log: Log<'a>,
}

#[derive(Deserialize)]
struct Log<'a> {
    #[serde(borrow, default)]
    creator: Option<Creator<'a>>,
    #[serde(borrow)]
    entries: Vec<Entry<'a>>,
}

#[derive(Deserialize)]
struct Creator<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
}

#[derive(Deserialize)]
struct Entry<'a> {
    #[serde(rename = "startedDateTime", borrow)]
    started_date_time: Cow<'a, str>,
    #[serde(borrow)]
    request: Request<'a>,
    #[serde(borrow, default)]
    response: Option<Response<'a>>,
    #[serde(rename = "_resourceType", borrow, default)]
    resource_type: Option<Cow<'a, str>>,
    #[serde(rename = "_webSocketMessages", borrow, default)]
    websocket_messages: Option<Vec<WebSocketMessage<'a>>>,
}

#[derive(Deserialize)]
struct Request<'a> {
    #[serde(borrow)]
    method: Cow<'a, str>,
    #[serde(borrow)]
    url: Cow<'a, str>,
    #[serde(borrow, default)]
    headers: Vec<NameValue<'a>>,
    #[serde(rename = "queryString", borrow, default)]
    query_string: Vec<NameValue<'a>>,
    #[serde(rename = "postData", borrow, default)]
    post_data: Option<PostData<'a>>,
}

#[derive(Deserialize)]
struct PostData<'a> {
    #[serde(borrow, default)]
    text: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Response<'a> {
    status: i64,
    #[serde(borrow, default)]
    headers: Vec<NameValue<'a>>,
    #[serde(borrow, default)]
    content: Option<Content<'a>>,
}

#[derive(Deserialize)]
struct Content<'a> {
    #[serde(borrow, default)]
    text: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    encoding: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct NameValue<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(borrow)]
    value: Cow<'a, str>,
}

#[derive(Deserialize)]
struct WebSocketMessage<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    time: f64,
    opcode: i64,
    #[serde(borrow)]
    data: Cow<'a, str>,
}

fn error_at(path: String, message: String) -> CaptureError {
    CaptureError::Import(ImportError {
        format: "HAR",
        location: ImportLocation::JsonPath {
            path,
            line: 0,
            column: 0,
        },
        message,
    })
}

/// Imports a HAR 1.2 document (without redacting: [`super::import_capture`] redacts).
///
/// Each entry with `_webSocketMessages` (or `_resourceType: websocket`, or status 101) becomes
/// one connection, numbered in entry order from 1; its `send` messages are client frames, its
/// `receive` messages server frames, and its `error` records are counted and skipped. Every
/// other entry becomes an HTTP exchange (a base64 response body stays base64, flagged
/// `body_base64`, unless it decodes to UTF-8 text). Time 0 is the earliest `startedDateTime` or
/// message time.
///
/// # Errors
///
/// [`CaptureError::Import`] with the JSON path of the first thing that is not HAR, e.g.
/// `log.entries[3]._webSocketMessages[2].opcode: invalid type: string "1", expected i64`.
pub fn import_har(input: &[u8]) -> Result<Imported, CaptureError> {
    let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    let mut deserializer = serde_json::Deserializer::from_slice(input);
    let har: Har<'_> = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let expected = if inner.is_eof() {
            "the input ended early (a truncated HAR file?)".to_owned()
        } else {
            format!(
                "expected a HAR 1.2 document: {}",
                without_position(&inner.to_string())
            )
        };
        CaptureError::Import(ImportError {
            format: "HAR",
            location: ImportLocation::JsonPath {
                path: if path == "." { "$".to_owned() } else { path },
                line: inner.line(),
                column: inner.column(),
            },
            message: expected,
        })
    })?;
    deserializer.end().map_err(|e| {
        CaptureError::Import(ImportError {
            format: "HAR",
            location: ImportLocation::JsonPath {
                path: "$".to_owned(),
                line: e.line(),
                column: e.column(),
            },
            message: format!("unexpected data after the HAR document: {e}"),
        })
    })?;

    let creator = har
        .log
        .creator
        .as_ref()
        .map(|c| c.name.as_ref())
        .unwrap_or("");
    let is_firefox = creator.eq_ignore_ascii_case("firefox");

    // Time 0: the earliest instant anywhere in the file, in epoch milliseconds.
    let mut starts = Vec::with_capacity(har.log.entries.len());
    let mut origin = f64::INFINITY;
    for (i, entry) in har.log.entries.iter().enumerate() {
        let started = parse_started_date_time(&entry.started_date_time)
            .map_err(|e| {
                error_at(
                    format!("log.entries[{i}].startedDateTime"),
                    format!(
                        "expected an ISO 8601 date-time such as 2026-01-07T13:30:44.123Z, found {:?} ({e})",
                        entry.started_date_time
                    ),
                )
            })?;
        let started_ms = started.unix_timestamp_nanos() as f64 / 1e6;
        origin = origin.min(started_ms);
        for (j, message) in entry.websocket_messages.iter().flatten().enumerate() {
            // In milliseconds the time must stay finite too (1e306 seconds would not), so that
            // every `t_ms` written is a JSON number.
            if !(message.time * 1000.0).is_finite() || message.time < 0.0 {
                return Err(error_at(
                    format!("log.entries[{i}]._webSocketMessages[{j}].time"),
                    format!(
                        "expected epoch seconds (a non-negative number, not too large to count \
                         in milliseconds), found {}",
                        message.time
                    ),
                ));
            }
            origin = origin.min(message.time * 1000.0);
        }
        starts.push(started_ms);
    }
    if !origin.is_finite() {
        origin = 0.0;
    }

    let mut header = Header::new(InputKind::Har.source());
    header.started_at = epoch_ms_to_rfc3339(origin);
    let mut summary = ImportSummary::new(InputKind::Har);
    let mut records = Vec::new();
    let mut conn = 0u32;
    let mut websocket_entries_without_messages = 0u32;
    for (i, entry) in har.log.entries.iter().enumerate() {
        let status = entry.response.as_ref().map_or(0, |r| r.status);
        let is_websocket = entry.websocket_messages.is_some()
            || entry
                .resource_type
                .as_deref()
                .is_some_and(|t| t.eq_ignore_ascii_case("websocket"))
            || status == 101;
        if !is_websocket {
            let t_ms = round_to_microseconds(starts[i] - origin);
            records.push(Record::Http(http_record(i, entry, t_ms)?));
            continue;
        }
        conn += 1;
        if header.url.is_none() {
            header.url = Some(entry.request.url.clone().into_owned());
            header.room = entry
                .request
                .query_string
                .iter()
                .find(|q| q.name == "room")
                .map(|q| q.value.clone().into_owned());
        }
        let Some(messages) = &entry.websocket_messages else {
            websocket_entries_without_messages += 1;
            continue;
        };
        if messages.is_empty() {
            websocket_entries_without_messages += 1;
        }
        for (j, message) in messages.iter().enumerate() {
            let at = |field: &str| format!("log.entries[{i}]._webSocketMessages[{j}].{field}");
            let from = match message.kind.as_ref() {
                "send" => Direction::Client,
                "receive" => Direction::Server,
                "error" => {
                    summary.websocket_errors += 1;
                    continue;
                }
                other => {
                    return Err(error_at(
                        at("type"),
                        format!("expected \"send\", \"receive\" or \"error\", found {other:?}"),
                    ));
                }
            };
            let t_ms = round_to_microseconds(message.time * 1000.0 - origin);
            let frame = match message.opcode {
                1 => FrameRecord::text(t_ms, conn, from, message.data.as_ref()),
                2 => {
                    let bytes = base64::engine::general_purpose::STANDARD
                        .decode(message.data.as_bytes())
                        .map_err(|e| {
                            error_at(
                                at("data"),
                                format!("expected base64 for a binary (opcode 2) message: {e}"),
                            )
                        })?;
                    FrameRecord::binary(t_ms, conn, from, &bytes)
                }
                other => {
                    return Err(error_at(
                        at("opcode"),
                        format!(
                            "expected 1 (text), 2 (binary) or -1 (with type \"error\"), found {other}"
                        ),
                    ));
                }
            };
            records.push(Record::Frame(frame));
        }
    }
    summary.connections = conn;
    if is_firefox {
        summary.notes.push(format!(
            "this HAR was written by Firefox, which exports no WebSocket messages: {conn} WebSocket connection(s) found without frames; only HTTP exchanges were imported (export from Chrome or Edge, or record with `sio-replay record`, to get frames)"
        ));
    } else if websocket_entries_without_messages > 0 {
        summary.notes.push(format!(
            "{websocket_entries_without_messages} WebSocket connection(s) have no messages in the HAR (export it while the Messages pane has them, from Chrome or Edge)"
        ));
    }
    if conn == 0 {
        summary.notes.push(
            "no WebSocket connection found: the capture holds HTTP exchanges only".to_owned(),
        );
    }
    Ok(finish(header, records, summary))
}

fn http_record(i: usize, entry: &Entry<'_>, t_ms: f64) -> Result<HttpRecord, CaptureError> {
    let pairs = |list: &[NameValue<'_>]| {
        list.iter()
            .map(|p| (p.name.clone().into_owned(), p.value.clone().into_owned()))
            .collect::<Vec<_>>()
    };
    let response = entry.response.as_ref();
    // Some HAR writers put -1 where no response was received; the format's 0 says the same.
    let status = response.map_or(0, |r| r.status.max(0));
    let status = u16::try_from(status).map_err(|_| {
        error_at(
            format!("log.entries[{i}].response.status"),
            format!("expected an HTTP status (0 to 65535), found {status}"),
        )
    })?;
    let content = response.and_then(|r| r.content.as_ref());
    let text = content.and_then(|c| c.text.as_deref()).unwrap_or("");
    let is_base64 = content
        .and_then(|c| c.encoding.as_deref())
        .is_some_and(|e| e.eq_ignore_ascii_case("base64"));
    let (body, body_base64) = if is_base64 {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.as_bytes())
            .map_err(|e| {
                error_at(
                    format!("log.entries[{i}].response.content.text"),
                    format!("expected base64 (the content's encoding is \"base64\"): {e}"),
                )
            })?;
        match String::from_utf8(bytes) {
            Ok(text) => (text, false),
            Err(_) => (text.to_owned(), true),
        }
    } else {
        (text.to_owned(), false)
    };
    Ok(HttpRecord {
        t_ms,
        method: entry.request.method.clone().into_owned(),
        url: entry.request.url.clone().into_owned(),
        query: pairs(&entry.request.query_string),
        request_headers: pairs(&entry.request.headers),
        request_body: entry
            .request
            .post_data
            .as_ref()
            .and_then(|p| p.text.as_deref())
            .map(str::to_owned),
        status,
        response_headers: response.map(|r| pairs(&r.headers)).unwrap_or_default(),
        body,
        body_base64,
    })
}

/// An RFC 3339 date-time; one without an offset (written by some HAR tools) is taken as UTC.
fn parse_started_date_time(text: &str) -> Result<OffsetDateTime, time::error::Parse> {
    OffsetDateTime::parse(text, &Rfc3339).or_else(|e| {
        let has_offset = text.ends_with(['Z', 'z'])
            || text
                .rfind(['+', '-'])
                .is_some_and(|at| text[..at].contains('T') && text[at..].contains(':'));
        if has_offset {
            return Err(e);
        }
        OffsetDateTime::parse(&format!("{text}Z"), &Rfc3339).map_err(|_| e)
    })
}

/// serde_json's message without its trailing ` at line L column C` (the location says it).
fn without_position(message: &str) -> &str {
    match message.rfind(" at line ") {
        Some(at) => &message[..at],
        None => message,
    }
}

/// Epoch seconds in an f64 carry about 0.2 µs of noise; Chrome writes microseconds at most.
/// A time too large to count in microseconds has no fraction left to round, and is kept.
pub(crate) fn round_to_microseconds(ms: f64) -> f64 {
    let rounded = (ms * 1000.0).round() / 1000.0;
    if rounded.is_finite() { rounded } else { ms }
}

/// Formats epoch milliseconds as RFC 3339 UTC with milliseconds.
pub(crate) fn epoch_ms_to_rfc3339(ms: f64) -> Option<String> {
    let nanos = (ms * 1e6).round() as i128;
    let t = OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()?;
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    t.format(&format).ok()
}
