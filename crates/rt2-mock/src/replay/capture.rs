//! A capture loaded for serving: its events as a [`ReplayTimeline`] and its HTTP exchanges.

use std::path::{Path, PathBuf};
use std::time::Duration;

use sio_capture::import::{ImportOptions, InputKind, open_file};
use sio_capture::{
    CaptureError, CaptureReader, Direction, FrameKind, FrameRecord, Header, HttpRecord, Record,
};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use sio_wire::{DecodedFrame, SocketPacket, SocketPacketType};

use crate::error::MockError;
use crate::replay::timeline::{FAR_FUTURE, ReplayEvent, ReplayTimeline};

/// A capture file read into memory, ready to be served.
#[derive(Debug, Clone, Default)]
pub struct Capture {
    /// Where it was read from (for messages), if from a file.
    pub path: Option<PathBuf>,
    /// The header record, if the capture has one.
    pub header: Option<Header>,
    /// Every frame record, in file order.
    pub frames: Vec<FrameRecord>,
    /// Every HTTP exchange, in file order (the live-video endpoint serves from these).
    pub http: Vec<HttpRecord>,
    /// What was wrong with the file but did not stop the load, in sentences to show as
    /// warnings: a torn last line (a recorder stopped mid-write), skipped.
    pub warnings: Vec<String>,
}

impl Capture {
    /// Reads a capture from a file: a native capture (JSON Lines) is streamed; anything else
    /// `sio-replay import` reads (a HAR file, text copied from DevTools' messages pane, one
    /// frame per line) is detected from its first 64 KiB and imported in memory, with tokens
    /// redacted as `import` does.
    ///
    /// # Errors
    /// [`MockError::CaptureIo`] when the file cannot be read, [`MockError::CaptureFormat`]
    /// naming the line when a line of a native capture is not a capture record, and
    /// [`MockError::CaptureImport`] naming the line or JSON path of an import error. A torn
    /// last line is skipped and named in [`Capture::warnings`].
    pub fn open(path: impl AsRef<Path>) -> Result<Self, MockError> {
        let path = path.as_ref();
        let file = open_file(path, &ImportOptions::default())
            .map_err(|err| load_error(path, false, err))?;
        let native = file.kind() == InputKind::Native;
        let mut records = file.into_records();
        let mut capture = Capture::default();
        for record in records.by_ref() {
            capture.push(record.map_err(|err| load_error(path, native, err))?);
        }
        capture.warnings = records.warnings();
        capture.path = Some(path.to_path_buf());
        Ok(capture)
    }

    /// A capture made of records already in memory (an import, or records built by a test).
    /// A later header replaces an earlier one; gap records are skipped.
    pub fn from_records(records: impl IntoIterator<Item = Record>) -> Self {
        let mut capture = Capture::default();
        for record in records {
            capture.push(record);
        }
        capture
    }

    fn push(&mut self, record: Record) {
        match record {
            Record::Header(header) => self.header = Some(header),
            Record::Frame(frame) => self.frames.push(frame),
            Record::Http(http) => self.http.push(http),
            Record::Gap(_) | Record::Conn(_) => {}
        }
    }

    /// Reads a native capture from text; `name` is used in error messages only.
    ///
    /// # Errors
    /// [`MockError::CaptureFormat`] naming the line of the first record that cannot be read.
    pub fn from_jsonl(text: &str, name: &Path) -> Result<Self, MockError> {
        Self::from_reader(text.as_bytes(), name)
    }

    /// Reads a native capture with [`sio_capture::CaptureReader`] (strict: the first bad line
    /// stops the load, but a torn last line is skipped and named in [`Capture::warnings`]);
    /// `name` is used in error messages only.
    ///
    /// # Errors
    /// [`MockError::CaptureIo`] for a read error, [`MockError::CaptureFormat`] naming the line
    /// of the first record that cannot be read.
    pub fn from_reader(input: impl std::io::BufRead, name: &Path) -> Result<Self, MockError> {
        let mut capture = Capture::default();
        let mut reader = CaptureReader::new(input);
        for record in reader.by_ref() {
            capture.push(record.map_err(|err| load_error(name, true, err))?);
        }
        if let Some(torn) = reader.torn_last_line() {
            capture.warnings.push(torn.to_string());
        }
        Ok(capture)
    }

    /// The capture's `started_at`, parsed; `None` when absent or unreadable.
    pub fn started_at(&self) -> Option<OffsetDateTime> {
        let text = self.header.as_ref()?.started_at.as_deref()?;
        OffsetDateTime::parse(text, &Rfc3339).ok()
    }

    /// The moment, in capture time, that event offsets are measured from: when the server
    /// acknowledged the first namespace connect to `namespace`, or else the first event.
    pub fn origin_ms(&self, namespace: &str) -> f64 {
        let connect_ack = self
            .server_text_frames()
            .find(|frame| {
                socket_packet(&frame.data).is_some_and(|packet| {
                    packet.kind == SocketPacketType::Connect && packet.namespace == namespace
                })
            })
            .map(|frame| frame.t_ms);
        connect_ack
            .or_else(|| self.event_frames(namespace).map(|frame| frame.t_ms).next())
            .unwrap_or(0.0)
    }

    /// The wall-clock time of [`Self::origin_ms`], when the header says when the capture
    /// started; `None` also when that time is out of range (a crafted `t_ms` of 1e300).
    pub fn origin_wall_time(&self, namespace: &str) -> Option<OffsetDateTime> {
        let started = self.started_at()?;
        let origin = self.origin_ms(namespace);
        let offset = time::Duration::checked_seconds_f64(origin / 1000.0)?;
        started.checked_add(offset)
    }

    fn server_text_frames(&self) -> impl Iterator<Item = &FrameRecord> {
        self.frames
            .iter()
            .filter(|frame| frame.from == Direction::Server && frame.kind == FrameKind::Text)
    }

    fn event_frames<'a>(&'a self, namespace: &'a str) -> impl Iterator<Item = &'a FrameRecord> {
        self.server_text_frames().filter(move |frame| {
            socket_packet(&frame.data).is_some_and(|packet| {
                packet.kind == SocketPacketType::Event && packet.namespace == namespace
            })
        })
    }

    /// The server-to-client EVENT packets of `namespace`, timed from [`Self::origin_ms`].
    ///
    /// Handshakes, connect acknowledgements, pings and binary events are not replayed: the mock
    /// makes its own handshake with fresh sids for every client. An event before the origin is
    /// due at once; one whose offset is beyond [`FAR_FUTURE`] (a `t_ms` of 9e18 or 1e300 is
    /// valid JSON) is due at `FAR_FUTURE`, that is never.
    pub fn timeline(&self, namespace: &str) -> ReplayTimeline {
        let origin = self.origin_ms(namespace);
        let events = self
            .event_frames(namespace)
            .filter_map(|frame| {
                let data = socket_packet(&frame.data)?.data?;
                Some(ReplayEvent {
                    offset: offset_from(origin, frame.t_ms),
                    data: data.as_str().into(),
                })
            })
            .collect();
        ReplayTimeline::new(events)
    }
}

/// `t_ms - origin_ms` as a Duration between zero and [`FAR_FUTURE`], whatever the two are
/// (the difference of two huge times can be infinite, or NaN for infinities of one sign).
fn offset_from(origin_ms: f64, t_ms: f64) -> Duration {
    let seconds = (t_ms - origin_ms) / 1000.0;
    if seconds.is_nan() || seconds <= 0.0 {
        return Duration::ZERO;
    }
    Duration::try_from_secs_f64(seconds).map_or(FAR_FUTURE, |offset| offset.min(FAR_FUTURE))
}

/// The Socket.IO packet inside an Engine.IO message frame (`4...`), if the frame is one and
/// decodes; frames that do not decode are not replayed.
fn socket_packet(frame: &str) -> Option<SocketPacket<'_>> {
    match sio_wire::decode_message(frame) {
        Ok(DecodedFrame::Socket(packet)) => Some(packet),
        _ => None,
    }
}

/// A capture file's error as the mock reports it: the file and, for a native capture, the line;
/// an import error names its own line or JSON path.
fn load_error(path: &Path, native: bool, err: CaptureError) -> MockError {
    let path = path.to_path_buf();
    match err {
        CaptureError::Io(source) => MockError::CaptureIo { path, source },
        CaptureError::Line { line, kind } => MockError::CaptureFormat {
            path,
            line: usize::try_from(line).unwrap_or(usize::MAX),
            message: kind.to_string(),
        },
        other if native => MockError::CaptureFormat {
            path,
            line: 0,
            message: other.to_string(),
        },
        source => MockError::CaptureImport { path, source },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAPTURE: &str = r#"{"type":"header","format":"sio-replay-capture","version":1,"source":"generated","room":"tomato.tpos.vn","started_at":"2026-01-07T13:30:00Z"}
{"type":"frame","t_ms":1.0,"conn":1,"from":"server","kind":"text","data":"0{\"sid\":\"a\",\"upgrades\":[],\"pingInterval\":25000,\"pingTimeout\":60000,\"maxPayload\":1000000}"}
{"type":"frame","t_ms":2.0,"conn":1,"from":"client","kind":"text","data":"40/chatomni,{\"token\":\"x\"}"}
{"type":"frame","t_ms":500.0,"conn":1,"from":"server","kind":"text","data":"40/chatomni,{\"sid\":\"b\"}"}
{"type":"frame","t_ms":1500.0,"conn":1,"from":"server","kind":"text","data":"42/chatomni,[\"on-events\",\"{}\"]"}
{"type":"frame","t_ms":1600.0,"conn":1,"from":"server","kind":"text","data":"2"}
{"type":"frame","t_ms":2500.0,"conn":1,"from":"server","kind":"text","data":"42/other,[\"x\"]"}

{"type":"frame","t_ms":3500.0,"conn":1,"from":"server","kind":"text","data":"42/chatomni,[\"on-events\",\"{\\\"a\\\":1}\"]"}
{"type":"http","t_ms":10.0,"method":"GET","url":"https://tomato.tpos.vn/api/facebook-graph/livevideo?pageid=1","status":200,"body":"{}"}
"#;

    #[test]
    fn timeline_holds_only_server_events_of_the_namespace_timed_from_the_connect_ack() {
        let capture = Capture::from_jsonl(CAPTURE, Path::new("t.jsonl")).unwrap();
        let timeline = capture.timeline("/chatomni");
        let offsets: Vec<u128> = timeline
            .events()
            .iter()
            .map(|e| e.offset.as_millis())
            .collect();
        assert_eq!(offsets, [1000, 3000]);
        assert_eq!(&*timeline.events()[0].data, "[\"on-events\",\"{}\"]");
        assert_eq!(capture.http.len(), 1);
        assert_eq!(capture.timeline("/other").len(), 1);
    }

    #[test]
    fn origin_wall_time_adds_the_connect_ack_offset_to_started_at() {
        let capture = Capture::from_jsonl(CAPTURE, Path::new("t.jsonl")).unwrap();
        let origin = capture.origin_wall_time("/chatomni").unwrap();
        assert_eq!(origin.format(&Rfc3339).unwrap(), "2026-01-07T13:30:00.5Z");
    }

    #[test]
    fn a_bad_line_is_reported_with_file_and_line_number() {
        let text = format!(
            "{}\n{{\"type\":\"frame\"}}\n",
            CAPTURE.lines().next().unwrap()
        );
        let err = Capture::from_jsonl(&text, Path::new("bad.jsonl")).unwrap_err();
        let message = err.to_string();
        assert!(message.starts_with("bad.jsonl:2: "), "{message}");
    }

    #[test]
    fn a_torn_last_line_is_skipped_with_a_warning() {
        let torn = &CAPTURE[..CAPTURE.trim_end().rfind('\n').unwrap() + 30];
        let capture = Capture::from_jsonl(torn, Path::new("torn.jsonl")).unwrap();
        assert_eq!(capture.http.len(), 0, "the torn http line is not read");
        assert_eq!(capture.timeline("/chatomni").len(), 2);
        assert_eq!(capture.warnings.len(), 1);
        assert!(
            capture.warnings[0].starts_with("line 10: the last line is an incomplete record"),
            "{:?}",
            capture.warnings
        );
        let whole = Capture::from_jsonl(CAPTURE, Path::new("t.jsonl")).unwrap();
        assert!(whole.warnings.is_empty());
    }

    #[test]
    fn huge_and_negative_timestamps_give_offsets_between_zero_and_the_far_future() {
        let frame = |t_ms: f64, data: &str| {
            format!(
                r#"{{"type":"frame","t_ms":{t_ms:e},"conn":1,"from":"server","kind":"text","data":"{data}"}}"#
            )
        };
        for origin in [-9e18, -1e300, 0.0, 9e18, 1.7e308] {
            let text = [
                CAPTURE.lines().next().unwrap().to_owned(),
                frame(origin, r#"40/chatomni,{\"sid\":\"b\"}"#),
                frame(9e18, r#"42/chatomni,[\"a\"]"#),
                frame(-9e18, r#"42/chatomni,[\"b\"]"#),
                frame(1.7e308, r#"42/chatomni,[\"c\"]"#),
                frame(-1.7e308, r#"42/chatomni,[\"d\"]"#),
            ]
            .join("\n");
            let capture = Capture::from_jsonl(&text, Path::new("t.jsonl")).unwrap();
            let timeline = capture.timeline("/chatomni");
            assert_eq!(timeline.len(), 4);
            for event in timeline.events() {
                assert!(event.offset <= FAR_FUTURE, "{origin}: {event:?}");
            }
            // The wall time of an origin out of range is unknown, not a panic.
            let _ = capture.origin_wall_time("/chatomni");
        }
        assert_eq!(offset_from(0.0, f64::INFINITY), FAR_FUTURE);
        assert_eq!(offset_from(f64::INFINITY, f64::INFINITY), Duration::ZERO);
        assert_eq!(offset_from(0.0, 1500.0), Duration::from_millis(1500));
    }

    #[test]
    fn a_missing_file_is_reported_with_its_path() {
        let err = Capture::open("/nonexistent/capture.jsonl").unwrap_err();
        assert!(matches!(err, MockError::CaptureIo { .. }));
        assert!(
            err.to_string().contains("/nonexistent/capture.jsonl"),
            "{err}"
        );
    }
}
