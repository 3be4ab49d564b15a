//! The bundled captures under `captures/`, rendered in memory and written to disk.

use std::io;
use std::path::{Path, PathBuf};

use sio_capture::{CaptureError, CaptureWriter, FrameRecord, Header, HttpRecord};
use tpos_chat::LIVE_VIDEO_PATH;

use crate::browser::{LIVE_FETCH_LEAD, chrome_har, devtools_text};
use crate::clock::{MILLI, Micros, offset_millis, utc_millis};
use crate::live::live_video_exchanges;
use crate::session::session_frames;
use crate::world::{RT2_URL, SESSION_START, TENANT, TENANT_ORIGIN, session_token};

/// The seed the bundled captures are generated with (the date of the seed's message).
pub const DEFAULT_SEED: u64 = 20_260_107;

/// The bundled chat session.
pub const CHATOMNI_CAPTURE: &str = "rt2-chatomni.jsonl";

/// The bundled live-video REST exchanges.
pub const LIVE_VIDEO_CAPTURE: &str = "rt2-livevideo.jsonl";

/// The Chrome HAR sample.
pub const CHROME_HAR: &str = "sample-chrome.har";

/// The DevTools messages-pane sample.
pub const DEVTOOLS_TEXT: &str = "sample-devtools.txt";

/// What the header's `writer` field says.
const WRITER: &str = concat!("rt2-corpus ", env!("CARGO_PKG_VERSION"), " gen-captures");

/// One generated file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureFile {
    /// The file name inside `captures/`.
    pub name: &'static str,
    /// The file's bytes.
    pub contents: Vec<u8>,
}

/// Renders every bundled capture for `seed`, in memory.
///
/// The two native captures go through [`CaptureWriter`], so they are redacted as any recording
/// would be: the token the client joined with becomes a `[jwt ...]` placeholder and the REST
/// requests' `Authorization` header loses its secret. The HAR and the DevTools copy keep the
/// (synthetic) token, as the browser would.
///
/// # Errors
///
/// Only if the capture writer refuses a record, which would be a bug.
pub fn render_captures(seed: u64) -> Result<Vec<CaptureFile>, CaptureError> {
    Ok(vec![
        CaptureFile {
            name: CHATOMNI_CAPTURE,
            contents: chatomni_capture(seed)?,
        },
        CaptureFile {
            name: LIVE_VIDEO_CAPTURE,
            contents: live_video_capture(seed)?,
        },
        CaptureFile {
            name: CHROME_HAR,
            contents: chrome_har(seed).into_bytes(),
        },
        CaptureFile {
            name: DEVTOOLS_TEXT,
            contents: devtools_text(seed).into_bytes(),
        },
    ])
}

/// Writes every bundled capture for `seed` into `dir` and returns the paths written.
///
/// # Errors
///
/// Creating or writing a file failed.
pub fn write_captures(dir: &Path, seed: u64) -> io::Result<Vec<PathBuf>> {
    let files = render_captures(seed).map_err(io::Error::other)?;
    std::fs::create_dir_all(dir)?;
    files
        .into_iter()
        .map(|f| {
            let path = dir.join(f.name);
            std::fs::write(&path, f.contents)?;
            Ok(path)
        })
        .collect()
}

fn header(url: String, started: Micros) -> Header {
    let mut header = Header::new("generated");
    header.url = Some(url);
    header.room = Some(TENANT.to_owned());
    header.started_at = Some(utc_millis(started));
    header.writer = Some(WRITER.to_owned());
    header
}

/// `captures/rt2-chatomni.jsonl`.
fn chatomni_capture(seed: u64) -> Result<Vec<u8>, CaptureError> {
    let mut out = Vec::new();
    let mut writer = CaptureWriter::new(&mut out, header(RT2_URL.to_owned(), SESSION_START))?;
    for f in session_frames(seed) {
        writer.write_frame(&FrameRecord::text(offset_millis(f.t), 1, f.from, f.data))?;
    }
    writer.finish()?;
    Ok(out)
}

/// `captures/rt2-livevideo.jsonl`: the page load's live-video requests, 15 s before the chat
/// session, following the `after` cursor page by page.
fn live_video_capture(seed: u64) -> Result<Vec<u8>, CaptureError> {
    let started = SESSION_START - LIVE_FETCH_LEAD;
    let mut out = Vec::new();
    let mut writer = CaptureWriter::new(
        &mut out,
        header(format!("{TENANT_ORIGIN}{LIVE_VIDEO_PATH}"), started),
    )?;
    let token = session_token();
    let mut t = 310 * MILLI;
    for (page, exchange) in (0i64..).zip(live_video_exchanges(seed)) {
        let url = exchange.url();
        let query = exchange.query_pairs();
        let record = http_record(HttpParts {
            t_ms: offset_millis(t),
            url,
            query,
            request_headers: vec![
                ("Accept".into(), "application/json, text/plain, */*".into()),
                ("Authorization".into(), format!("Bearer {token}")),
                ("Referer".into(), "https://tomato.tpos.vn/".into()),
            ],
            response_headers: vec![(
                "Content-Type".into(),
                "application/json; charset=utf-8".into(),
            )],
            body: exchange.page.to_json(),
        })?;
        writer.write_http(&record)?;
        // The user scrolls the list to load the next page a few seconds later.
        t += (3_700 + 1_337 * page) * MILLI + 412;
    }
    writer.finish()?;
    Ok(out)
}

struct HttpParts {
    t_ms: f64,
    url: String,
    query: Vec<(String, String)>,
    request_headers: Vec<(String, String)>,
    response_headers: Vec<(String, String)>,
    body: String,
}

/// Builds the record through serde, so that optional fields sio-capture adds later (with
/// defaults) need no change here.
fn http_record(parts: HttpParts) -> Result<HttpRecord, CaptureError> {
    let value = serde_json::json!({
        "t_ms": parts.t_ms,
        "method": "GET",
        "url": parts.url,
        "query": parts.query,
        "request_headers": parts.request_headers,
        "status": 200,
        "response_headers": parts.response_headers,
        "body": parts.body,
    });
    serde_json::from_value(value).map_err(|e| CaptureError::Io(io::Error::other(e)))
}
