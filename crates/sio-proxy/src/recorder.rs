//! [`Recorder`]: the one consumer of [`Traffic`]. It hands every observation to
//! `sio_capture::assemble::Assembler` (the only place traffic becomes records), writes each
//! record to the capture (whole lines, one write per wake-up of the recorder), and publishes it to the observer stream.
//!
//! It runs on a blocking thread: the capture is plain synchronous file I/O.

use std::collections::HashMap;
use std::fs::File;
use std::path::PathBuf;

use sio_capture::assemble::{AssembleConfig, Assembler, HttpExchange, WsId};
use sio_capture::writer::{OutputOptions, create_output};
use sio_capture::{CaptureWriter, FrameKind, Header, Record, RedactionReport, Redactor};
use tokio::sync::mpsc;
use ws_passive::{Direction, MessageKind, WsEvent};

use crate::config::ProxyConfig;
use crate::error::ProxyError;
use crate::traffic::{Clock, Traffic};

/// What a proxy run recorded, returned by [`RunningProxy::stop`](crate::RunningProxy::stop).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ProxySummary {
    /// The capture written, if any.
    pub output: Option<PathBuf>,
    /// Engine.IO connections (and other WebSockets) seen.
    pub connections: u32,
    /// Frame records (WebSocket messages and polling packets).
    pub frames: u64,
    /// HTTP exchanges kept as HTTP records (plain requests, failed Engine.IO requests).
    pub http_exchanges: u64,
    /// WebSocket bytes that did not decode (each a gap record naming the error).
    pub decode_errors: u64,
    /// WebSocket messages that came compressed (permessage-deflate) and were inflated.
    pub compressed_messages: u64,
    /// Records written or published.
    pub records: u64,
    /// Milliseconds from start to stop.
    pub elapsed_ms: f64,
    /// What redaction replaced.
    pub redaction: RedactionReport,
}

/// Traffic observed per capture write at most (what was queued when the recorder woke).
const MAX_BATCH: usize = 256;

/// Owns the assembler, the capture writer and the observer stream's publishing end.
#[derive(Debug)]
pub(crate) struct Recorder {
    assembler: Assembler,
    writer: Option<CaptureWriter<File>>,
    redactor: Redactor,
    observer: sio_ui::Observer,
    sockets: HashMap<u64, WsId>,
    clock: Clock,
    summary: ProxySummary,
}

impl Recorder {
    /// Creates the capture file (when configured) and writes its header.
    pub(crate) fn create(
        config: &ProxyConfig,
        clock: Clock,
        observer: sio_ui::Observer,
    ) -> Result<Self, ProxyError> {
        let redactor = if config.redact {
            Redactor::default()
        } else {
            Redactor::disabled()
        };
        let mut header = Header::new("proxy");
        header.url = match &config.mode {
            crate::config::Mode::Reverse(upstream) => Some(upstream.origin()),
            crate::config::Mode::Forward(_) => None,
        };
        header.started_at = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .ok();
        header.writer = Some(concat!("sio-proxy ", env!("CARGO_PKG_VERSION")).to_owned());
        let mut redaction = RedactionReport::default();
        redactor.redact_header_record(&mut header, &mut redaction);
        let writer = match &config.output {
            Some(path) => {
                // Unredacted captures keep tokens: owner-only. Records are redacted here,
                // before the observer sees them, so the writer does not redact again.
                let options = OutputOptions::default()
                    .overwrite(config.overwrite)
                    .private(!config.redact);
                let file = create_output(path, options)?;
                Some(CaptureWriter::with_redactor(
                    file,
                    header.clone(),
                    Redactor::disabled(),
                )?)
            }
            None => None,
        };
        observer.publish(Record::Header(header));
        Ok(Recorder {
            assembler: Assembler::new(AssembleConfig::default().finish_reason("proxy stopped")),
            writer,
            redactor,
            observer,
            sockets: HashMap::new(),
            clock,
            summary: ProxySummary {
                output: config.output.clone(),
                records: 1,
                redaction,
                ..ProxySummary::default()
            },
        })
    }

    /// Consumes traffic until [`Traffic::Stop`] (or every sender is gone), then closes what
    /// is still open and returns the summary.
    pub(crate) fn run(
        mut self,
        mut queue: mpsc::Receiver<Traffic>,
    ) -> Result<ProxySummary, ProxyError> {
        let mut failure = None;
        let mut stopping = false;
        while let Some(traffic) = queue.blocking_recv() {
            if matches!(traffic, Traffic::Stop) {
                break;
            }
            self.observe(traffic);
            // Whatever else is already queued goes into the same batch: one write to the
            // capture per wake-up, not one per record, so that the recorder takes as little of
            // a shared core from the relay as it can.
            for _ in 1..MAX_BATCH {
                match queue.try_recv() {
                    Ok(Traffic::Stop) => {
                        stopping = true;
                        break;
                    }
                    Ok(traffic) => self.observe(traffic),
                    Err(_) => break,
                }
            }
            if let Err(err) = self.flush() {
                // Keep relaying (the proxy serves a live client) but stop writing.
                tracing::error!("the capture cannot be written any more: {err}");
                self.writer = None;
                failure.get_or_insert(err);
            }
            if stopping {
                break;
            }
        }
        self.assembler.finish(self.clock.t_ms());
        self.flush()?;
        if let Some(writer) = self.writer.take() {
            writer.finish()?;
        }
        if let Some(err) = failure {
            return Err(err);
        }
        let counts = self.assembler.summary();
        self.summary.connections = counts.connections;
        self.summary.frames = counts.frames;
        self.summary.http_exchanges = counts.http_exchanges;
        self.summary.elapsed_ms = self.clock.t_ms();
        Ok(self.summary)
    }

    fn observe(&mut self, traffic: Traffic) {
        match traffic {
            Traffic::Http(exchange) => self.assembler.http(&HttpExchange {
                t_ms: exchange.t_ms,
                response_t_ms: exchange.response_t_ms,
                method: &exchange.method,
                url: &exchange.url,
                request_headers: &exchange.request_headers,
                request_body: &exchange.request_body,
                status: exchange.status,
                response_headers: &exchange.response_headers,
                response_body: &exchange.response_body,
                remote: Some(&exchange.remote),
            }),
            Traffic::WsOpen {
                id,
                t_ms,
                url,
                remote,
            } => {
                let ws = self.assembler.websocket_open(t_ms, &url, Some(&remote));
                self.sockets.insert(id, ws);
            }
            Traffic::Ws { id, t_ms, event } => {
                if let Some(&ws) = self.sockets.get(&id) {
                    self.ws_event(ws, t_ms, event);
                }
            }
            Traffic::WsHandshakeError { id, t_ms, error } => {
                if let Some(&ws) = self.sockets.get(&id) {
                    self.summary.decode_errors += 1;
                    let reason = format!("handshake: {error}");
                    for from in [
                        sio_capture::Direction::Client,
                        sio_capture::Direction::Server,
                    ] {
                        self.assembler
                            .websocket_gap(ws, t_ms, from, None, Some(&reason));
                    }
                }
            }
            Traffic::WsClosed { id, t_ms, reason } => {
                if let Some(ws) = self.sockets.remove(&id) {
                    self.assembler.websocket_close(ws, t_ms, Some(&reason));
                }
            }
            Traffic::Stop => {}
        }
    }

    fn ws_event(&mut self, ws: WsId, t_ms: f64, event: WsEvent) {
        match event {
            WsEvent::Message {
                direction,
                kind,
                data,
                compressed,
                ..
            } => {
                self.summary.compressed_messages += u64::from(compressed);
                let kind = match kind {
                    MessageKind::Text => FrameKind::Text,
                    MessageKind::Binary => FrameKind::Binary,
                };
                self.assembler
                    .websocket_message(ws, t_ms, from(direction), kind, &data);
            }
            WsEvent::Error {
                direction,
                offset,
                kind,
            } => {
                self.summary.decode_errors += 1;
                let reason = format!("{kind} (frame at byte {offset} of the stream)");
                self.assembler
                    .websocket_gap(ws, t_ms, from(direction), None, Some(&reason));
            }
            // WebSocket pings are not Engine.IO's (those are text packets "2"/"3"); a close
            // frame's code ends up in the relay's reason for the close.
            WsEvent::Ping { .. } | WsEvent::Pong { .. } | WsEvent::Close { .. } => {}
        }
    }

    /// Redacts every record the assembler made, writes them with one write, and publishes
    /// them.
    fn flush(&mut self) -> Result<(), ProxyError> {
        let mut records: Vec<Record> = self.assembler.drain().collect();
        if records.is_empty() {
            return Ok(());
        }
        for record in &mut records {
            self.redactor
                .redact_record(record, &mut self.summary.redaction);
        }
        self.summary.records += records.len() as u64;
        let written = match &mut self.writer {
            Some(writer) => writer.write_records(&records),
            None => Ok(()),
        };
        for record in records {
            self.observer.publish(record);
        }
        written?;
        Ok(())
    }
}

fn from(direction: Direction) -> sio_capture::Direction {
    match direction {
        Direction::ClientToServer => sio_capture::Direction::Client,
        Direction::ServerToClient => sio_capture::Direction::Server,
    }
}
