//! Transcripts: a capture decoded and normalised into text a person can read and a snapshot
//! test can compare.
//!
//! Each frame (and each packet of an Engine.IO long-polling request or response) becomes a
//! line naming its connection, direction and packet (Engine.IO type, and
//! for messages the Socket.IO type, namespace, ack id and event name), followed by its JSON
//! pretty-printed with object members in wire order. A string argument that holds JSON (rt-2's
//! stringified `on-events` payload) is expanded and marked `(json)`. Volatile values are
//! replaced by placeholders as the [`NormalizeConfig`] says; times are left out unless
//! [`NormalizeConfig::include_time`] is set, because they jitter between recordings.
//!
//! ```
//! use sio_capture::normalize::NormalizeConfig;
//! use sio_capture::transcript::render_transcript;
//! use sio_capture::{Direction, FrameRecord, Header, Record};
//!
//! let records = [
//!     Record::Header(Header::new("record")),
//!     Record::Frame(FrameRecord::text(0.0, 1, Direction::Server, r#"0{"sid":"4RK_z0D5LofuOO3tR9vW","upgrades":[],"pingInterval":25000,"pingTimeout":60000,"maxPayload":1000000}"#)),
//!     Record::Frame(FrameRecord::text(3.0, 1, Direction::Server, r#"40/chatomni,{"sid":"SSUs7rUdms63DeB9R9vX"}"#)),
//!     Record::Frame(FrameRecord::text(9.0, 1, Direction::Server, "2")),
//! ];
//! let text = render_transcript(&records, &NormalizeConfig::default());
//! assert_eq!(text, r#"capture: source=record
//! conn 1 ↓ server: open
//!     {
//!       "sid": "[sid-1]",
//!       "upgrades": [],
//!       "pingInterval": 25000,
//!       "pingTimeout": 60000,
//!       "maxPayload": 1000000
//!     }
//! conn 1 ↓ server: message CONNECT /chatomni
//!     {
//!       "sid": "[sid-2]"
//!     }
//! conn 1 ↓ server: ping
//! "#);
//! ```
//!
//! A transcript shows a capture's text as it is, control characters included; a program that
//! prints one on a terminal passes each line through [`escape_control`] first.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::path::Path;

use base64::Engine as _;
use sio_wire::{DecodedFrame, EnginePacket, SocketPacketType};

use crate::error::CaptureError;
use crate::import::{ImportOptions, open_file};
use crate::normalize::{NormalizeConfig, Normalizer};
use crate::ordered_json::{OrderedJson, push_indent};
use crate::record::{
    ConnRecord, Direction, FrameKind, FrameRecord, GapRecord, Header, HttpRecord, Record,
};

/// Bodies longer than this are cut in transcripts (with the full length shown).
const MAX_TEXT_BODY_CHARS: usize = 4096;

/// Builds a transcript one record at a time; placeholders stay consistent across records.
#[derive(Debug)]
pub struct Transcript<'c> {
    normalizer: Normalizer<'c>,
    out: String,
    frames: u64,
    undecodable: u64,
}

impl<'c> Transcript<'c> {
    /// An empty transcript.
    pub fn new(config: &'c NormalizeConfig) -> Self {
        Transcript {
            normalizer: Normalizer::new(config),
            out: String::new(),
            frames: 0,
            undecodable: 0,
        }
    }

    /// Appends one record.
    pub fn push(&mut self, record: &Record) {
        match record {
            Record::Header(header) => self.push_header(header),
            Record::Frame(frame) => self.push_frame(frame),
            Record::Http(http) => self.push_http(http),
            Record::Gap(gap) => self.push_gap(gap),
            Record::Conn(conn) => self.push_conn(conn),
        }
    }

    /// Frames rendered so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Frames that did not decode as Engine.IO / Socket.IO (shown raw, marked `undecodable`).
    pub fn undecodable_frames(&self) -> u64 {
        self.undecodable
    }

    /// The text so far.
    pub fn as_str(&self) -> &str {
        &self.out
    }

    /// The finished text.
    pub fn finish(self) -> String {
        self.out
    }

    fn push_time(&mut self, t_ms: f64) {
        if self.normalizer.config().include_time {
            let _ = write!(self.out, "{t_ms:>12.3}ms ");
        }
    }

    fn push_header(&mut self, header: &Header) {
        self.out.push_str("capture: source=");
        self.out.push_str(&header.source);
        if let Some(room) = &header.room {
            self.out.push_str(" room=");
            self.out.push_str(room);
        }
        if let Some(url) = &header.url {
            self.out.push_str(" url=");
            let url = self.normalize_url(url);
            self.out.push_str(&url);
        }
        self.out.push('\n');
    }

    fn push_frame(&mut self, frame: &FrameRecord) {
        self.frames += 1;
        self.push_time(frame.t_ms);
        let _ = write!(
            self.out,
            "conn {} {} {}: ",
            frame.conn,
            frame.from.arrow(),
            frame.from.as_str()
        );
        if frame.kind == FrameKind::Binary {
            match base64::engine::general_purpose::STANDARD.decode(&frame.data) {
                Ok(bytes) => {
                    let _ = writeln!(self.out, "binary ({} bytes) {}", bytes.len(), frame.data);
                }
                Err(e) => {
                    self.undecodable += 1;
                    let _ = writeln!(self.out, "undecodable binary frame ({e}): {}", frame.data);
                }
            }
            return;
        }
        self.push_text_packet(&frame.data);
    }

    /// Describes one Engine.IO text packet (the line's prefix is written already), then its
    /// JSON, indented.
    fn push_text_packet(&mut self, text: &str) {
        match sio_wire::decode_message(text) {
            Ok(DecodedFrame::Engine(packet)) => self.push_engine_packet(text, &packet),
            Ok(DecodedFrame::Socket(packet)) => {
                self.out.push_str("message ");
                self.out.push_str(packet.kind.name());
                self.out.push(' ');
                self.out.push_str(packet.namespace);
                if packet.attachments > 0 {
                    let _ = write!(self.out, " attachments={}", packet.attachments);
                }
                if let Some(ack) = packet.ack_id {
                    let _ = write!(self.out, " ack={ack}");
                }
                if matches!(
                    packet.kind,
                    SocketPacketType::Event | SocketPacketType::BinaryEvent
                ) {
                    if let Ok(name) = packet.event_name() {
                        self.out.push(' ');
                        crate::ordered_json::push_json_string(&mut self.out, &name);
                    }
                }
                self.out.push('\n');
                if let Some(data) = packet.data {
                    self.push_json_block(data.trimmed());
                }
            }
            Err(e) => {
                self.undecodable += 1;
                let _ = writeln!(self.out, "undecodable ({e})");
                self.push_raw_block(text);
            }
        }
    }

    /// The packets of an Engine.IO v4 long-polling body ("The packets are separated by the
    /// record separator character: `\x1e`"), one line each, like frames.
    fn push_polling_payload(&mut self, body: &str, from: Direction) {
        for packet in body.split('\x1e') {
            self.frames += 1;
            let _ = write!(self.out, "  polling {} {}: ", from.arrow(), from.as_str());
            // "Binary payloads MUST be base64-encoded and prefixed with a `b` character".
            if let Some(base64) = packet.strip_prefix('b') {
                match base64::engine::general_purpose::STANDARD.decode(base64) {
                    Ok(bytes) => {
                        let _ = writeln!(self.out, "binary ({} bytes) {base64}", bytes.len());
                    }
                    Err(e) => {
                        self.undecodable += 1;
                        let _ = writeln!(self.out, "undecodable binary packet ({e}): {base64}");
                    }
                }
            } else {
                self.push_text_packet(packet);
            }
        }
    }

    fn push_engine_packet(&mut self, text: &str, packet: &EnginePacket<'_>) {
        let data = match packet {
            // The handshake is shown from its JSON so that fields the codec does not model stay
            // visible.
            EnginePacket::Open(_) | EnginePacket::Message(_) => text.get(1..).unwrap_or(""),
            EnginePacket::Ping(data) | EnginePacket::Pong(data) => *data,
            EnginePacket::Close | EnginePacket::Upgrade | EnginePacket::Noop => "",
        };
        self.out.push_str(packet.packet_type().name());
        match packet {
            EnginePacket::Open(_) => {
                self.out.push('\n');
                self.push_json_block(data);
            }
            EnginePacket::Message(_) => {
                // A message that is not Socket.IO cannot come out of decode_message, but a
                // plain Engine.IO message is still worth showing.
                self.out.push('\n');
                self.push_raw_block(data);
            }
            _ if !data.is_empty() => {
                self.out.push(' ');
                self.out.push_str(data);
                self.out.push('\n');
            }
            _ => self.out.push('\n'),
        }
    }

    fn push_http(&mut self, http: &HttpRecord) {
        self.push_time(http.t_ms);
        let url = self.normalize_url(&http.url);
        let _ = writeln!(self.out, "http {} {} -> {}", http.method, url, http.status);
        if is_polling(&http.url) && !http.body_base64 {
            if let Some(body) = http.request_body.as_deref().filter(|b| !b.is_empty()) {
                self.push_polling_payload(body, Direction::Client);
            }
            // A POST's answer is a bare `ok`, not a payload.
            if !http.body.is_empty() && http.body != "ok" {
                self.push_polling_payload(&http.body, Direction::Server);
            }
            return;
        }
        if let Some(body) = &http.request_body {
            self.out.push_str("  request body:\n");
            self.push_body(body, false);
        }
        if !http.body.is_empty() {
            self.out.push_str("  response body:\n");
            self.push_body(&http.body, http.body_base64);
        }
    }

    fn push_gap(&mut self, gap: &GapRecord) {
        self.push_time(gap.t_ms);
        match (gap.from, gap.missing_bytes) {
            (Some(from), Some(bytes)) => {
                let _ = write!(
                    self.out,
                    "conn {} gap: {bytes} bytes from the {} never seen",
                    gap.conn,
                    from.as_str()
                );
            }
            (Some(from), None) => {
                let _ = write!(
                    self.out,
                    "conn {} gap: bytes from the {} never seen",
                    gap.conn,
                    from.as_str()
                );
            }
            _ => {
                let _ = write!(self.out, "conn {} gap: connection lost", gap.conn);
            }
        }
        if let Some(reason) = &gap.reason {
            self.out.push_str(" (");
            self.out.push_str(reason);
            self.out.push(')');
        }
        self.out.push('\n');
    }

    /// A connection's life, without its sid, peer or URL: those differ on every run, and the
    /// transcript is what goldens hold.
    fn push_conn(&mut self, conn: &ConnRecord) {
        self.push_time(conn.t_ms);
        let _ = write!(self.out, "conn {} {}", conn.conn, conn.event.as_str());
        if let Some(transport) = conn.transport {
            let _ = write!(self.out, " ({})", transport.as_str());
        }
        if let Some(reason) = &conn.reason {
            self.out.push_str(": ");
            self.out.push_str(reason);
        }
        self.out.push('\n');
    }

    fn push_body(&mut self, body: &str, is_base64: bool) {
        if is_base64 {
            let _ = writeln!(self.out, "    (base64, {} characters)", body.len());
            return;
        }
        let trimmed = body.trim_start();
        if (trimmed.starts_with('{') || trimmed.starts_with('['))
            && OrderedJson::parse(body).is_ok()
        {
            self.push_json_block(body);
        } else {
            let shown: String = body.chars().take(MAX_TEXT_BODY_CHARS).collect();
            self.push_raw_block(&shown);
            if shown.len() < body.len() {
                let _ = writeln!(self.out, "    ... ({} bytes in all)", body.len());
            }
        }
    }

    /// Parses, normalises and pretty-prints one JSON value, indented under its frame line.
    fn push_json_block(&mut self, json: &str) {
        match OrderedJson::parse(json) {
            Ok(mut doc) => {
                self.normalizer.normalize(&mut doc);
                push_indent(&mut self.out, 2);
                doc.write_pretty(&mut self.out, 2);
                self.out.push('\n');
            }
            Err(_) => self.push_raw_block(json),
        }
    }

    fn push_raw_block(&mut self, text: &str) {
        for line in text.lines() {
            push_indent(&mut self.out, 2);
            self.out.push_str(line);
            self.out.push('\n');
        }
    }

    /// Query values go through the rules (as paths `$.name`) and the detectors.
    fn normalize_url(&mut self, url: &str) -> String {
        let Some((base, query)) = url.split_once('?') else {
            return url.to_owned();
        };
        let mut out = String::with_capacity(url.len());
        out.push_str(base);
        out.push('?');
        for (i, pair) in query.split('&').enumerate() {
            if i > 0 {
                out.push('&');
            }
            match pair.split_once('=') {
                Some((name, value)) => {
                    out.push_str(name);
                    out.push('=');
                    match self.normalizer.normalize_query_value(name, value) {
                        Some(replacement) => out.push_str(&replacement),
                        None => out.push_str(value),
                    }
                }
                None => out.push_str(pair),
            }
        }
        out
    }
}

/// An Engine.IO long-polling request: `transport=polling` in its query.
fn is_polling(url: &str) -> bool {
    url.split_once('?')
        .is_some_and(|(_, query)| query.split('&').any(|pair| pair == "transport=polling"))
}

/// Renders records as a normalised transcript (see the [module docs](self)).
pub fn render_transcript<'a>(
    records: impl IntoIterator<Item = &'a Record>,
    config: &NormalizeConfig,
) -> String {
    let mut transcript = Transcript::new(config);
    for record in records {
        transcript.push(record);
    }
    transcript.finish()
}

/// Reads a native capture and renders its transcript, streaming (one record in memory at a
/// time, plus the transcript text).
///
/// Pass `&mut reader` to ask the reader afterwards about a torn last line it skipped
/// ([`CaptureReader::torn_last_line`](crate::CaptureReader::torn_last_line)), which deserves a warning.
///
/// # Errors
///
/// The first bad line, as the reader reports it (line number and reason).
pub fn render_capture(
    reader: impl IntoIterator<Item = Result<Record, CaptureError>>,
    config: &NormalizeConfig,
) -> Result<String, CaptureError> {
    let mut transcript = Transcript::new(config);
    for record in reader {
        transcript.push(&record?);
    }
    Ok(transcript.finish())
}

/// Renders the transcript of the file at `path`, whatever it holds
/// ([`open_file`](crate::import::open_file)): a native capture streams, one record in memory
/// at a time; a HAR file or a DevTools log is imported in memory, tokens redacted. Returns the
/// transcript and what to warn the reader about (a torn last line, import warnings).
///
/// # Errors
///
/// What [`open_file`](crate::import::open_file) reports, then the first bad line of a native
/// capture.
pub fn render_file(
    path: &Path,
    config: &NormalizeConfig,
) -> Result<(String, Vec<String>), CaptureError> {
    let mut transcript = Transcript::new(config);
    let mut records = open_file(path, &ImportOptions::default())?.into_records();
    for record in &mut records {
        transcript.push(&record?);
    }
    Ok((transcript.finish(), records.warnings()))
}

/// Makes `text` safe to print on a terminal: every control character except newline and tab is
/// replaced by a visible escape, so that a capture (which holds whatever a peer sent) cannot
/// move the cursor, clear the screen, retitle the window or hide text. C0 controls and DEL
/// become `\x1b`-style escapes (ESC, carriage return, backspace, BEL, ...), the C1 controls
/// U+0080 to U+009F (which some terminals obey as well, U+009B being a one-character CSI)
/// become `\u{9b}`-style escapes. Text without any is returned borrowed.
///
/// Only what a person reads needs this: JSON output escapes control characters already.
///
/// ```
/// use sio_capture::transcript::escape_control;
///
/// assert_eq!(escape_control("42[\"x\"]"), "42[\"x\"]");
/// assert_eq!(escape_control("4\x1b]0;owned\x07\x1b[2J"), "4\\x1b]0;owned\\x07\\x1b[2J");
/// assert_eq!(escape_control("a\rb\u{9b}31m\tc"), "a\\x0db\\u{9b}31m\tc");
/// ```
pub fn escape_control(text: &str) -> Cow<'_, str> {
    let needs_escape = |c: char| c.is_control() && c != '\n' && c != '\t';
    let Some(first) = text.find(needs_escape) else {
        return Cow::Borrowed(text);
    };
    let mut out = String::with_capacity(text.len() + 8);
    out.push_str(&text[..first]);
    for c in text[first..].chars() {
        if !needs_escape(c) {
            out.push(c);
        } else if c.is_ascii() {
            let _ = write!(out, "\\x{:02x}", u32::from(c));
        } else {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_control_leaves_printable_text_borrowed() {
        for text in [
            "",
            "plain",
            "Thảo ↓ 😀",
            "line\nnext\tcolumn",
            "back\\slash",
        ] {
            assert!(matches!(escape_control(text), Cow::Borrowed(t) if t == text));
        }
    }

    #[test]
    fn escape_control_escapes_every_c0_c1_and_del_but_newline_and_tab() {
        for code in (0u32..0x20).chain(0x7f..0xa0) {
            let c = char::from_u32(code).unwrap();
            let escaped = escape_control(&c.to_string()).into_owned();
            if c == '\n' || c == '\t' {
                assert_eq!(escaped, c.to_string());
                continue;
            }
            assert!(escaped.starts_with('\\'), "{code:#x}: {escaped:?}");
            assert!(
                !escaped.chars().any(char::is_control),
                "{code:#x}: {escaped:?}"
            );
        }
        assert_eq!(escape_control("\x00\x7f\u{85}"), "\\x00\\x7f\\u{85}");
    }

    #[test]
    fn connection_lives_and_stream_holes_read_without_run_specific_values() {
        use crate::record::{ConnEvent, Transport};
        let config = NormalizeConfig {
            include_time: false,
            ..NormalizeConfig::default()
        };
        let mut transcript = Transcript::new(&config);
        let open = ConnRecord::new(1.0, 1, ConnEvent::Open)
            .with_sid("4RK_z0D5LofuOO3tR9vW")
            .with_transport(Transport::Polling)
            .with_remote("127.0.0.1:52144");
        transcript.push(&Record::Conn(open));
        let upgrade = ConnRecord::new(2.0, 1, ConnEvent::Upgrade)
            .with_sid("4RK_z0D5LofuOO3tR9vW")
            .with_transport(Transport::Websocket);
        transcript.push(&Record::Conn(upgrade));
        transcript.push(&Record::Gap(GapRecord {
            from: Some(Direction::Server),
            missing_bytes: Some(120),
            ..GapRecord::lost(3.0, 1, None)
        }));
        let close = ConnRecord::new(4.0, 1, ConnEvent::Close).with_reason("transport close");
        transcript.push(&Record::Conn(close));
        let text = transcript.finish();
        assert_eq!(
            text,
            "conn 1 open (polling)\nconn 1 upgrade (websocket)\n\
             conn 1 gap: 120 bytes from the server never seen\nconn 1 close: transport close\n"
        );
        assert!(!text.contains("4RK_"), "no sid in a golden: {text}");
    }

    #[test]
    fn escape_control_keeps_the_text_around_the_escapes() {
        assert_eq!(
            escape_control("é\x1b[31mred\x1b[0m ok"),
            "é\\x1b[31mred\\x1b[0m ok"
        );
    }
}
