//! `sio-replay decode`: any input the importers read (capture, HAR, DevTools text, or one frame
//! per line on stdin) → records → each frame decoded by [`sio_wire::decode_message`] and
//! printed: the human view is `sio-capture`'s transcript (nothing normalised, times shown), the
//! JSON view one object per record.

use std::borrow::Cow;
use std::io::{self, Read, Write};
use std::path::Path;

use anyhow::Context as _;
use base64::Engine as _;
use serde::Serialize;
use serde_json::value::RawValue;
use sio_capture::import::{ImportOptions, import_capture};
use sio_capture::normalize::NormalizeConfig;
use sio_capture::transcript::render_transcript;
use sio_capture::{Direction, FrameKind, FrameRecord, Record, Redactor};
use sio_wire::{DecodedFrame, EnginePacket, EnginePacketType, SocketPacketType, WireError};

use super::Context;
use super::import::input_kind;
use crate::Outcome;
use crate::cli::{DecodeArgs, DirectionArg};
use crate::print::{Palette, Report, Role, write_json_value};

/// Run `decode`.
pub(crate) fn run(args: DecodeArgs, ctx: &mut Context) -> anyhow::Result<Outcome> {
    let (name, input) = read_input(&args.input)?;
    // A viewer shows what is there: redaction is for files that get shared, not for the screen.
    let mut options = ImportOptions::default().redactor(Redactor::disabled());
    if let Some(kind) = input_kind(args.from) {
        options = options.kind(kind);
    }
    let imported = import_capture(&input, &options).with_context(|| format!("reading {name}"))?;
    let only = args.only.map(|d| match d {
        DirectionArg::Client => Direction::Client,
        DirectionArg::Server => Direction::Server,
    });
    let config = NormalizeConfig::none().include_time(true);
    let mut index = 0;
    for record in imported.all_records() {
        if let (Some(only), Record::Frame(frame)) = (only, &record) {
            if frame.from != only {
                continue;
            }
        }
        if matches!(record, Record::Frame(_)) {
            index += 1;
        }
        ctx.printer.print(&DecodedRecord {
            record: &record,
            index,
            config: &config,
        })?;
    }
    Ok(Outcome::Success)
}

/// The input's bytes and a name for messages; `-` is stdin.
fn read_input(path: &Path) -> anyhow::Result<(String, Vec<u8>)> {
    if path == Path::new("-") {
        let mut input = Vec::new();
        io::stdin()
            .read_to_end(&mut input)
            .context("reading stdin")?;
        return Ok(("stdin".to_owned(), input));
    }
    let input = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    Ok((path.display().to_string(), input))
}

/// One record of the input, decoded for printing.
struct DecodedRecord<'a> {
    record: &'a Record,
    /// The frame's position among the input's frames, from 1 (frames only).
    index: u64,
    config: &'a NormalizeConfig,
}

impl Report for DecodedRecord<'_> {
    fn write_human(&self, out: &mut dyn Write, palette: &Palette) -> io::Result<()> {
        let text = render_transcript(std::iter::once(self.record), self.config);
        for line in text.lines() {
            // The transcript's frame lines read `conn 1 ↓ server: ...`; colour them by who
            // sent the frame, and frames that did not decode as errors.
            let role = if line.contains(": undecodable") {
                Some(Role::Bad)
            } else if line.contains(" ↑ client: ") {
                Some(Role::Client)
            } else if line.contains(" ↓ server: ") {
                Some(Role::Server)
            } else {
                None
            };
            match role {
                Some(role) => writeln!(out, "{}", palette.paint(role, line))?,
                None => writeln!(out, "{line}")?,
            }
        }
        Ok(())
    }

    fn write_json(&self, out: &mut dyn Write) -> io::Result<()> {
        match self.record {
            Record::Frame(frame) => serde_json::to_writer(out, &decode_frame(frame, self.index))
                .map_err(io::Error::from),
            Record::Header(header) => write_json_value(
                out,
                &serde_json::json!({
                    "record": "header",
                    "source": header.source,
                    "url": header.url,
                    "room": header.room,
                    "started_at": header.started_at,
                }),
            ),
            Record::Http(http) => write_json_value(
                out,
                &serde_json::json!({
                    "record": "http",
                    "t_ms": http.t_ms,
                    "method": http.method,
                    "url": http.url,
                    "status": http.status,
                    "body_bytes": http.body.len(),
                }),
            ),
            Record::Gap(gap) => write_json_value(
                out,
                &serde_json::json!({
                    "record": "gap",
                    "t_ms": gap.t_ms,
                    "conn": gap.conn,
                    "reason": gap.reason,
                }),
            ),
        }
    }
}

/// A decoded frame as `decode --format json` prints it. Every key is always present (null when
/// it does not apply) so that consumers can rely on the shape.
#[derive(Debug, Serialize)]
struct FrameJson<'a> {
    record: &'static str,
    index: u64,
    t_ms: f64,
    conn: u32,
    from: &'static str,
    kind: &'static str,
    engine_type: Option<&'static str>,
    socket_type: Option<&'static str>,
    namespace: Option<&'a str>,
    ack_id: Option<u64>,
    attachments: Option<u32>,
    event: Option<Cow<'a, str>>,
    data: Option<Data<'a>>,
    error: Option<ErrorJson>,
}

/// A payload: JSON kept verbatim (member order and all), plain text, or a binary length.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum Data<'a> {
    Json(&'a RawValue),
    Text(&'a str),
    Bytes { bytes: usize },
}

/// Why a frame did not decode, and where.
#[derive(Debug, Serialize)]
struct ErrorJson {
    /// `engine` or `socket`: which layer refused the frame.
    layer: &'static str,
    /// The codec's error kind, e.g. `UnknownPacketType` or `Json(UnexpectedEnd)`.
    kind: String,
    /// Byte offset from the start of the frame.
    offset: usize,
    /// The codec's message.
    message: String,
}

fn json_data(text: &str) -> Option<Data<'_>> {
    if text.is_empty() {
        return None;
    }
    Some(match serde_json::from_str::<&RawValue>(text) {
        Ok(raw) => Data::Json(raw),
        Err(_) => Data::Text(text),
    })
}

fn decode_frame(frame: &FrameRecord, index: u64) -> FrameJson<'_> {
    let mut json = FrameJson {
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
        json.engine_type = Some(EnginePacketType::Message.name());
        match base64::engine::general_purpose::STANDARD.decode(&frame.data) {
            Ok(bytes) => json.data = Some(Data::Bytes { bytes: bytes.len() }),
            Err(err) => {
                json.error = Some(ErrorJson {
                    layer: "capture",
                    kind: "InvalidBase64".to_owned(),
                    offset: 0,
                    message: err.to_string(),
                })
            }
        }
        return json;
    }
    match sio_wire::decode_message(&frame.data) {
        Ok(DecodedFrame::Engine(packet)) => {
            json.engine_type = Some(packet.packet_type().name());
            json.data = match packet {
                EnginePacket::Open(_) | EnginePacket::Message(_) => {
                    json_data(frame.data.get(1..).unwrap_or(""))
                }
                EnginePacket::Ping(data) | EnginePacket::Pong(data) => {
                    (!data.is_empty()).then_some(Data::Text(data))
                }
                EnginePacket::Close | EnginePacket::Upgrade | EnginePacket::Noop => None,
            };
        }
        Ok(DecodedFrame::Socket(packet)) => {
            json.engine_type = Some(EnginePacketType::Message.name());
            json.socket_type = Some(packet.kind.name());
            json.namespace = Some(packet.namespace);
            json.ack_id = packet.ack_id;
            json.attachments = Some(packet.attachments);
            if matches!(
                packet.kind,
                SocketPacketType::Event | SocketPacketType::BinaryEvent
            ) {
                json.event = packet.event_name().ok();
            }
            json.data = packet.data.and_then(|data| json_data(data.as_str()));
        }
        Err(err) => json.error = Some(error_json(&err)),
    }
    json
}

fn error_json(err: &WireError) -> ErrorJson {
    let (layer, kind, message) = match err {
        WireError::Engine(e) => ("engine", format!("{:?}", e.kind), e.to_string()),
        WireError::Socket(e) => ("socket", format!("{:?}", e.kind), e.to_string()),
    };
    ErrorJson {
        layer,
        kind,
        offset: err.offset(),
        message,
    }
}
