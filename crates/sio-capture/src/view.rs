//! The decoded view of a capture's records, as `sio-replay decode` prints them: one record at
//! a time, for a person ([`RecordView::human_lines`], the transcript without normalisation and
//! with times) or for a program (the record serialised as one JSON object, every key always
//! present).
//!
//! ```
//! use sio_capture::view::{LineTone, view_records};
//! use sio_capture::{Direction, FrameRecord, Header, Record};
//!
//! let records = [
//!     Record::Header(Header::new("record")),
//!     Record::Frame(FrameRecord::text(0.0, 1, Direction::Client, r#"40/chatomni,{"token":"t"}"#)),
//!     Record::Frame(FrameRecord::text(5.0, 1, Direction::Server, r#"42/chatomni,7["on-events","{}"]"#)),
//! ];
//! let views: Vec<_> = view_records(records, Some(Direction::Server)).collect();
//! assert_eq!(views.len(), 2, "the header, and the server's frame");
//!
//! let json = serde_json::to_value(&views[1])?;
//! assert_eq!(json["index"], 1);
//! assert_eq!(json["socket_type"], "EVENT");
//! assert_eq!(json["event"], "on-events");
//! assert_eq!(json["ack_id"], 7);
//!
//! let lines = views[1].human_lines();
//! assert_eq!(lines[0].text, r#"       5.000ms conn 1 ↓ server: message EVENT /chatomni ack=7 "on-events""#);
//! assert_eq!(lines[0].tone, LineTone::Server);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::borrow::Cow;

use base64::Engine as _;
use serde::Serialize;
use serde_json::value::RawValue;
use sio_wire::{DecodedFrame, EnginePacket, EnginePacketType, SocketPacketType, WireError};

use crate::normalize::NormalizeConfig;
use crate::record::{Direction, FrameKind, FrameRecord, Record};
use crate::transcript::{escape_control, render_transcript};

/// One record ready to show, with its frame's position among the frames shown.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordView {
    record: Record,
    frame_index: Option<u64>,
}

impl RecordView {
    /// The view of `record`; `frame_index` is the frame's position among the frames shown, from
    /// 1 (`None` for other records, whose JSON has no index).
    pub fn new(record: Record, frame_index: Option<u64>) -> Self {
        RecordView {
            record,
            frame_index,
        }
    }

    /// The record shown.
    pub fn record(&self) -> &Record {
        &self.record
    }

    /// The frame's position among the frames shown, from 1.
    pub fn frame_index(&self) -> Option<u64> {
        self.frame_index
    }

    /// The record for a person: its transcript with times and without normalisation, one
    /// line at a time, each with the tone a printer may colour it in. Control characters a
    /// peer put in a frame are shown as escapes ([`escape_control`]), so printing a capture
    /// cannot drive the terminal.
    pub fn human_lines(&self) -> Vec<ViewLine> {
        let config = NormalizeConfig::none().include_time(true);
        render_transcript(std::iter::once(&self.record), &config)
            .lines()
            .map(|line| ViewLine {
                tone: LineTone::of(line),
                text: escape_control(line).into_owned(),
            })
            .collect()
    }
}

/// The record for a program: one JSON object whose `record` key names its type. A frame is a
/// [`FrameView`]; a header, an HTTP exchange and a gap show their main fields.
impl Serialize for RecordView {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // The keys of the other records are in alphabetical order, as earlier releases wrote
        // them (from a `serde_json::Value`).
        #[derive(Serialize)]
        struct HeaderView<'a> {
            record: &'static str,
            room: Option<&'a str>,
            source: &'a str,
            started_at: Option<&'a str>,
            url: Option<&'a str>,
        }
        #[derive(Serialize)]
        struct HttpView<'a> {
            body_bytes: usize,
            method: &'a str,
            record: &'static str,
            status: u16,
            t_ms: f64,
            url: &'a str,
        }
        #[derive(Serialize)]
        struct GapView<'a> {
            conn: u32,
            #[serde(skip_serializing_if = "Option::is_none")]
            from: Option<&'static str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            missing_bytes: Option<u64>,
            reason: Option<&'a str>,
            record: &'static str,
            t_ms: f64,
        }
        #[derive(Serialize)]
        struct ConnView<'a> {
            conn: u32,
            event: &'static str,
            reason: Option<&'a str>,
            record: &'static str,
            remote: Option<&'a str>,
            sid: Option<&'a str>,
            t_ms: f64,
            transport: Option<&'static str>,
            url: Option<&'a str>,
        }
        match &self.record {
            Record::Frame(frame) => {
                frame_view(frame, self.frame_index.unwrap_or(0)).serialize(serializer)
            }
            Record::Header(header) => HeaderView {
                record: "header",
                room: header.room.as_deref(),
                source: &header.source,
                started_at: header.started_at.as_deref(),
                url: header.url.as_deref(),
            }
            .serialize(serializer),
            Record::Http(http) => HttpView {
                body_bytes: http.body.len(),
                method: &http.method,
                record: "http",
                status: http.status,
                t_ms: http.t_ms,
                url: &http.url,
            }
            .serialize(serializer),
            Record::Gap(gap) => GapView {
                conn: gap.conn,
                from: gap.from.map(|d| d.as_str()),
                missing_bytes: gap.missing_bytes,
                reason: gap.reason.as_deref(),
                record: "gap",
                t_ms: gap.t_ms,
            }
            .serialize(serializer),
            Record::Conn(conn) => ConnView {
                conn: conn.conn,
                event: conn.event.as_str(),
                reason: conn.reason.as_deref(),
                record: "conn",
                remote: conn.remote.as_deref(),
                sid: conn.sid.as_deref(),
                t_ms: conn.t_ms,
                transport: conn.transport.map(|t| t.as_str()),
                url: conn.url.as_deref(),
            }
            .serialize(serializer),
        }
    }
}

/// One line of a record's human view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewLine {
    /// What the line shows.
    pub tone: LineTone,
    /// The line, without its newline.
    pub text: String,
}

/// What a line of the human view shows, for colouring.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LineTone {
    /// A frame the client sent.
    Client,
    /// A frame the server sent.
    Server,
    /// A frame that did not decode.
    Undecodable,
    /// Anything else: a payload line, a header, an HTTP exchange, a gap.
    Plain,
}

impl LineTone {
    /// The tone of a transcript line: frame lines read `conn 1 ↓ server: ...`.
    fn of(line: &str) -> Self {
        if line.contains(": undecodable") {
            LineTone::Undecodable
        } else if line.contains(" ↑ client: ") {
            LineTone::Client
        } else if line.contains(" ↓ server: ") {
            LineTone::Server
        } else {
            LineTone::Plain
        }
    }
}

/// The views of `records` in order, keeping only the frames sent by `only` when given (other
/// records are all kept); frames are numbered from 1 among those kept.
pub fn view_records(
    records: impl IntoIterator<Item = Record>,
    only: Option<Direction>,
) -> impl Iterator<Item = RecordView> {
    let mut index = 0;
    records.into_iter().filter_map(move |record| {
        let Record::Frame(frame) = &record else {
            return Some(RecordView::new(record, None));
        };
        if only.is_some_and(|only| frame.from != only) {
            return None;
        }
        index += 1;
        Some(RecordView::new(record, Some(index)))
    })
}

/// A decoded frame as one JSON object. Every key is always present (null when it does not
/// apply) so that consumers can rely on the shape; the key order is the field order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FrameView<'a> {
    /// Always `frame`.
    pub record: &'static str,
    /// The frame's position among the frames shown, from 1.
    pub index: u64,
    /// Milliseconds from the start of the capture.
    pub t_ms: f64,
    /// The connection.
    pub conn: u32,
    /// `client` or `server`.
    pub from: &'static str,
    /// `text` or `binary`.
    pub kind: &'static str,
    /// The Engine.IO packet type ([`EnginePacketType::name`]), when the frame decodes.
    pub engine_type: Option<&'static str>,
    /// The Socket.IO packet type ([`SocketPacketType::name`]), for a message.
    pub socket_type: Option<&'static str>,
    /// The Socket.IO namespace, for a message.
    pub namespace: Option<&'a str>,
    /// The acknowledgement id, if the packet has one.
    pub ack_id: Option<u64>,
    /// The number of binary attachments, for a message.
    pub attachments: Option<u32>,
    /// The event's name, for EVENT and BINARY_EVENT.
    pub event: Option<Cow<'a, str>>,
    /// The payload.
    pub data: Option<FrameData<'a>>,
    /// Why the frame did not decode.
    pub error: Option<FrameError>,
}

/// A frame's payload: JSON kept verbatim (member order and all), plain text, or a binary
/// length.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum FrameData<'a> {
    /// A JSON value, as it is in the frame.
    Json(&'a RawValue),
    /// Text that is not JSON (a ping's `probe`).
    Text(&'a str),
    /// A binary frame's length.
    Bytes {
        /// The decoded length in bytes.
        bytes: usize,
    },
}

impl PartialEq for FrameData<'_> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (FrameData::Json(a), FrameData::Json(b)) => a.get() == b.get(),
            (FrameData::Text(a), FrameData::Text(b)) => a == b,
            (FrameData::Bytes { bytes: a }, FrameData::Bytes { bytes: b }) => a == b,
            _ => false,
        }
    }
}

/// Why a frame did not decode, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FrameError {
    /// `engine` or `socket`: which layer refused the frame; `capture` for a binary frame whose
    /// base64 is bad.
    pub layer: &'static str,
    /// The codec's error kind, e.g. `UnknownPacketType` or `Json(UnexpectedEnd)`.
    pub kind: String,
    /// Byte offset from the start of the frame.
    pub offset: usize,
    /// The codec's message.
    pub message: String,
}

/// Decodes `frame` through both layers ([`sio_wire::decode_message`]) into its view;
/// `index` is its position among the frames shown.
pub fn frame_view(frame: &FrameRecord, index: u64) -> FrameView<'_> {
    let mut view = FrameView {
        record: "frame",
        index,
        t_ms: frame.t_ms,
        conn: frame.conn,
        from: frame.from.as_str(),
        kind: match frame.kind {
            FrameKind::Text => "text",
            FrameKind::Binary => "binary",
        },
        engine_type: None,
        socket_type: None,
        namespace: None,
        ack_id: None,
        attachments: None,
        event: None,
        data: None,
        error: None,
    };
    if frame.kind == FrameKind::Binary {
        // A binary WebSocket frame is an Engine.IO message with raw bytes (an attachment).
        view.engine_type = Some(EnginePacketType::Message.name());
        match base64::engine::general_purpose::STANDARD.decode(&frame.data) {
            Ok(bytes) => view.data = Some(FrameData::Bytes { bytes: bytes.len() }),
            Err(err) => {
                view.error = Some(FrameError {
                    layer: "capture",
                    kind: "InvalidBase64".to_owned(),
                    offset: 0,
                    message: err.to_string(),
                })
            }
        }
        return view;
    }
    match sio_wire::decode_message(&frame.data) {
        Ok(DecodedFrame::Engine(packet)) => {
            view.engine_type = Some(packet.packet_type().name());
            view.data = match packet {
                EnginePacket::Open(_) | EnginePacket::Message(_) => {
                    json_data(frame.data.get(1..).unwrap_or(""))
                }
                EnginePacket::Ping(data) | EnginePacket::Pong(data) => {
                    (!data.is_empty()).then_some(FrameData::Text(data))
                }
                EnginePacket::Close | EnginePacket::Upgrade | EnginePacket::Noop => None,
            };
        }
        Ok(DecodedFrame::Socket(packet)) => {
            view.engine_type = Some(EnginePacketType::Message.name());
            view.socket_type = Some(packet.kind.name());
            view.namespace = Some(packet.namespace);
            view.ack_id = packet.ack_id;
            view.attachments = Some(packet.attachments);
            if matches!(
                packet.kind,
                SocketPacketType::Event | SocketPacketType::BinaryEvent
            ) {
                view.event = packet.event_name().ok();
            }
            view.data = packet.data.and_then(|data| json_data(data.as_str()));
        }
        Err(err) => view.error = Some(frame_error(&err)),
    }
    view
}

fn json_data(text: &str) -> Option<FrameData<'_>> {
    if text.is_empty() {
        return None;
    }
    Some(match serde_json::from_str::<&RawValue>(text) {
        Ok(raw) => FrameData::Json(raw),
        Err(_) => FrameData::Text(text),
    })
}

fn frame_error(err: &WireError) -> FrameError {
    let (layer, kind, message) = match err {
        WireError::Engine(e) => ("engine", format!("{:?}", e.kind), e.to_string()),
        WireError::Socket(e) => ("socket", format!("{:?}", e.kind), e.to_string()),
    };
    FrameError {
        layer,
        kind,
        offset: err.offset(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{ConnEvent, ConnRecord, GapRecord, Header, HttpRecord, Transport};

    fn json(view: &RecordView) -> String {
        serde_json::to_string(view).expect("serialises")
    }

    fn frame(from: Direction, data: &str) -> Record {
        Record::Frame(FrameRecord::text(1.5, 2, from, data))
    }

    #[test]
    fn every_frame_key_is_present_in_a_fixed_order() {
        let view = RecordView::new(frame(Direction::Server, "2probe"), Some(3));
        assert_eq!(
            json(&view),
            r#"{"record":"frame","index":3,"t_ms":1.5,"conn":2,"from":"server","kind":"text","engine_type":"ping","socket_type":null,"namespace":null,"ack_id":null,"attachments":null,"event":null,"data":"probe","error":null}"#
        );
    }

    #[test]
    fn socket_packets_show_both_layers_and_keep_json_verbatim() {
        let record = FrameRecord::text(
            0.0,
            1,
            Direction::Client,
            r#"451-/chatomni,9["upload",{"z":1,"a":{"_placeholder":true,"num":0}}]"#,
        );
        let view = frame_view(&record, 1);
        assert_eq!(view.engine_type, Some("message"));
        assert_eq!(view.socket_type, Some("BINARY_EVENT"));
        assert_eq!(view.namespace, Some("/chatomni"));
        assert_eq!(view.ack_id, Some(9));
        assert_eq!(view.attachments, Some(1));
        assert_eq!(view.event.as_deref(), Some("upload"));
        let data = serde_json::to_string(&view.data).expect("serialises");
        assert_eq!(
            data, r#"["upload",{"z":1,"a":{"_placeholder":true,"num":0}}]"#,
            "member order kept"
        );
    }

    #[test]
    fn undecodable_frames_say_which_layer_refused_them_and_where() {
        let cut = FrameRecord::text(0.0, 1, Direction::Server, r#"42/chatomni,["on-events""#);
        let view = frame_view(&cut, 1);
        let error = view.error.expect("an error");
        assert_eq!((error.layer, error.offset), ("socket", 24));
        assert_eq!(error.kind, "Json(UnexpectedEnd)");
        assert_eq!(view.engine_type, None);

        let unknown = FrameRecord::text(0.0, 1, Direction::Server, "9");
        let error = frame_view(&unknown, 1).error.expect("an error");
        assert_eq!(
            (error.layer, error.kind.as_str()),
            ("engine", "UnknownPacketType")
        );

        let binary = FrameRecord {
            kind: FrameKind::Binary,
            ..FrameRecord::text(0.0, 1, Direction::Server, "AQID")
        };
        let view = frame_view(&binary, 1);
        assert_eq!(view.data, Some(FrameData::Bytes { bytes: 3 }));
        let bad = FrameRecord {
            data: "!!".to_owned(),
            ..binary
        };
        assert_eq!(frame_view(&bad, 1).error.map(|e| e.layer), Some("capture"));
    }

    #[test]
    fn other_records_show_their_main_fields() {
        let mut header = Header::new("record");
        header.room = Some("tomato.tpos.vn".to_owned());
        assert_eq!(
            json(&RecordView::new(Record::Header(header), None)),
            r#"{"record":"header","room":"tomato.tpos.vn","source":"record","started_at":null,"url":null}"#
        );
        let gap = GapRecord::lost(4.0, 1, Some("reset".to_owned()));
        assert_eq!(
            json(&RecordView::new(Record::Gap(gap), None)),
            r#"{"conn":1,"reason":"reset","record":"gap","t_ms":4.0}"#
        );
        let hole = GapRecord {
            from: Some(Direction::Server),
            missing_bytes: Some(120),
            ..GapRecord::lost(5.0, 2, None)
        };
        assert_eq!(
            json(&RecordView::new(Record::Gap(hole), None)),
            r#"{"conn":2,"from":"server","missing_bytes":120,"reason":null,"record":"gap","t_ms":5.0}"#
        );
        let upgrade = ConnRecord::new(6.0, 2, ConnEvent::Upgrade)
            .with_sid("abc")
            .with_transport(Transport::Websocket);
        assert_eq!(
            json(&RecordView::new(Record::Conn(upgrade), None)),
            r#"{"conn":2,"event":"upgrade","reason":null,"record":"conn","remote":null,"sid":"abc","t_ms":6.0,"transport":"websocket","url":null}"#
        );
        let http = HttpRecord {
            t_ms: 2.0,
            method: "GET".to_owned(),
            url: "http://h/x".to_owned(),
            query: Vec::new(),
            request_headers: Vec::new(),
            request_body: None,
            status: 200,
            response_headers: Vec::new(),
            body: "abc".to_owned(),
            body_base64: false,
        };
        assert_eq!(
            json(&RecordView::new(Record::Http(http), None)),
            r#"{"body_bytes":3,"method":"GET","record":"http","status":200,"t_ms":2.0,"url":"http://h/x"}"#
        );
    }

    #[test]
    fn only_keeps_one_side_and_numbers_the_frames_kept() {
        let records = vec![
            Record::Header(Header::new("record")),
            frame(Direction::Server, "0{}"),
            frame(Direction::Client, "40"),
            frame(Direction::Server, "2"),
        ];
        let indexes = |only| {
            view_records(records.clone(), only)
                .map(|view| view.frame_index())
                .collect::<Vec<_>>()
        };
        assert_eq!(indexes(None), [None, Some(1), Some(2), Some(3)]);
        assert_eq!(indexes(Some(Direction::Server)), [None, Some(1), Some(2)]);
        assert_eq!(indexes(Some(Direction::Client)), [None, Some(1)]);
    }

    #[test]
    fn human_lines_are_the_transcript_with_times_and_tones() {
        let lines = RecordView::new(
            frame(Direction::Client, r#"40/chatomni,{"token":"t"}"#),
            Some(1),
        )
        .human_lines();
        let text: Vec<_> = lines.iter().map(|l| (l.tone, l.text.as_str())).collect();
        assert_eq!(
            text,
            [
                (
                    LineTone::Client,
                    "       1.500ms conn 2 ↑ client: message CONNECT /chatomni"
                ),
                (LineTone::Plain, "    {"),
                (LineTone::Plain, "      \"token\": \"t\""),
                (LineTone::Plain, "    }"),
            ]
        );
        let bad = RecordView::new(frame(Direction::Server, "9"), Some(1)).human_lines();
        assert_eq!(bad[0].tone, LineTone::Undecodable, "{bad:?}");
    }
}
