//! [`Assembler`]: observed HTTP exchanges and WebSocket messages in, capture records out, one
//! connection per Engine.IO session.
//!
//! An observer that sits on the wire (the recording proxy, the pcap importer) sees Engine.IO the
//! way the network carries it: a long-polling handshake, polls and POSTs with several packets in
//! one body, a WebSocket upgrade with its probe, or a WebSocket alone; and, beside them, plain
//! HTTP requests such as rt-2's live-video REST call. This module is the one place that turns
//! that into a capture:
//!
//! - every request and WebSocket of one Engine.IO `sid` becomes one `conn`, opened by a
//!   [`ConnRecord`] (`open`, with the sid, transport, peer and URL), moved by `upgrade` when the
//!   client sends the upgrade packet (`5`) on the WebSocket, and ended by `close`;
//! - a polling body is split into one frame record per packet (a `b`-prefixed base64 packet
//!   becomes a binary frame, as on a WebSocket), server packets at the time the response
//!   completed, client packets at the time the request was sent;
//! - an Engine.IO request that failed (not 200), and every request that is not Engine.IO, is kept
//!   as an [`HttpRecord`];
//! - a stretch of a WebSocket stream that could not be read is a [`GapRecord`] naming the
//!   direction, never bytes joined over.
//!
//! It does no I/O and keeps no clock: the caller gives every time. Records come out of
//! [`Assembler::drain`] in the order they were made, unredacted (the capture writer redacts).
//!
//! ```
//! use sio_capture::assemble::{Assembler, HttpExchange};
//! use sio_capture::{ConnEvent, Direction, FrameKind, Record};
//!
//! let mut asm = Assembler::default();
//! let open = br#"0{"sid":"abc","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;
//! asm.http(&HttpExchange {
//!     response_body: open,
//!     ..HttpExchange::get(0.0, "/socket.io/?EIO=4&transport=polling", 200)
//! });
//! let ws = asm.websocket_open(5.0, "/socket.io/?EIO=4&transport=websocket&sid=abc", None);
//! asm.websocket_message(ws, 6.0, Direction::Client, FrameKind::Text, b"2probe");
//! asm.websocket_message(ws, 6.5, Direction::Server, FrameKind::Text, b"3probe");
//! asm.websocket_message(ws, 7.0, Direction::Client, FrameKind::Text, b"5");
//! asm.websocket_close(ws, 9.0, Some("close 1000"));
//! let records: Vec<Record> = asm.drain().collect();
//! let events: Vec<_> = records
//!     .iter()
//!     .filter_map(|r| match r {
//!         Record::Conn(c) => Some((c.conn, c.event)),
//!         _ => None,
//!     })
//!     .collect();
//! assert_eq!(events, [(1, ConnEvent::Open), (1, ConnEvent::Upgrade), (1, ConnEvent::Close)]);
//! // The open packet and the three WebSocket messages, all on connection 1.
//! assert_eq!(records.iter().filter(|r| matches!(r, Record::Frame(f) if f.conn == 1)).count(), 4);
//! ```

use std::collections::{HashMap, VecDeque};

use base64::Engine as _;
use sio_wire::engine::{
    EnginePacket, Handshake, PollingPacket, decode_polling_payload_v3, encode_text_frame,
};

use crate::record::{
    ConnEvent, ConnRecord, Direction, FrameKind, FrameRecord, GapRecord, HttpRecord, Record,
    Transport,
};

/// How an [`Assembler`] reads traffic.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AssembleConfig {
    /// The reason written on the `close` record of every connection still open at
    /// [`Assembler::finish`]. Default: `capture ended`.
    pub finish_reason: String,
}

impl Default for AssembleConfig {
    fn default() -> Self {
        AssembleConfig {
            finish_reason: "capture ended".to_owned(),
        }
    }
}

impl AssembleConfig {
    /// Sets [`AssembleConfig::finish_reason`].
    pub fn finish_reason(mut self, reason: impl Into<String>) -> Self {
        self.finish_reason = reason.into();
        self
    }
}

/// One complete HTTP request and its response, as an observer saw them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HttpExchange<'a> {
    /// When the request was sent (ms since the capture started).
    pub t_ms: f64,
    /// When the response was complete; server packets of a poll take this time.
    pub response_t_ms: f64,
    /// The request method, e.g. `GET`.
    pub method: &'a str,
    /// The request URL: absolute (`http://host/socket.io/?…`) or origin-form (`/socket.io/?…`).
    pub url: &'a str,
    /// Request headers in order.
    pub request_headers: &'a [(String, String)],
    /// The request body (empty when there was none).
    pub request_body: &'a [u8],
    /// The response status; `0` when no response came (the request failed).
    pub status: u16,
    /// Response headers in order.
    pub response_headers: &'a [(String, String)],
    /// The response body (empty when there was none).
    pub response_body: &'a [u8],
    /// The client's address, e.g. `127.0.0.1:52144`.
    pub remote: Option<&'a str>,
}

impl<'a> HttpExchange<'a> {
    /// A `GET` of `url` sent and answered with `status` at `t_ms`, every other field empty.
    pub fn get(t_ms: f64, url: &'a str, status: u16) -> Self {
        HttpExchange {
            t_ms,
            response_t_ms: t_ms,
            method: "GET",
            url,
            request_headers: &[],
            request_body: &[],
            status,
            response_headers: &[],
            response_body: &[],
            remote: None,
        }
    }

    /// A `POST` of `body` to `url` answered with `status` at `t_ms`, every other field empty.
    pub fn post(t_ms: f64, url: &'a str, body: &'a [u8], status: u16) -> Self {
        HttpExchange {
            method: "POST",
            request_body: body,
            ..HttpExchange::get(t_ms, url, status)
        }
    }
}

/// A WebSocket the assembler was told about by [`Assembler::websocket_open`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WsId(usize);

/// Counts of what an [`Assembler`] has made so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AssembleSummary {
    /// Connections (Engine.IO sessions, or WebSockets that never said their sid).
    pub connections: u32,
    /// Frame records: WebSocket messages and long-polling packets.
    pub frames: u64,
    /// HTTP records: requests that were not Engine.IO, and Engine.IO requests that failed.
    pub http_exchanges: u64,
    /// Gap records.
    pub gaps: u64,
    /// Connections that moved from long-polling to WebSocket.
    pub upgrades: u32,
}

/// Turns observed HTTP exchanges and WebSocket messages into capture records; see the
/// [module documentation](self).
#[derive(Debug, Default)]
pub struct Assembler {
    config: AssembleConfig,
    /// Engine.IO sid to connection number.
    sids: HashMap<String, u32>,
    conns: Vec<ConnState>,
    sockets: Vec<SocketState>,
    out: VecDeque<Record>,
    summary: AssembleSummary,
}

#[derive(Debug)]
struct ConnState {
    sid: Option<String>,
    opened: bool,
    closed: bool,
}

#[derive(Debug)]
struct SocketState {
    conn: u32,
    url: String,
    remote: Option<String>,
    /// The WebSocket joined a session that began on long-polling: it is a probe until the
    /// client's upgrade packet.
    joins_polling: bool,
    upgraded: bool,
    closed: bool,
}

/// What an Engine.IO request is, from its query string.
#[derive(Debug)]
struct EngineQuery {
    eio: u8,
    transport: Option<Transport>,
    sid: Option<String>,
}

impl Assembler {
    /// An assembler with `config`.
    pub fn new(config: AssembleConfig) -> Self {
        Assembler {
            config,
            ..Assembler::default()
        }
    }

    /// What was made so far.
    pub fn summary(&self) -> AssembleSummary {
        self.summary
    }

    /// The records made since the last drain, in order.
    pub fn drain(&mut self) -> impl Iterator<Item = Record> + '_ {
        self.out.drain(..)
    }

    /// The connection number of an Engine.IO sid seen so far.
    pub fn conn_of_sid(&self, sid: &str) -> Option<u32> {
        self.sids.get(sid).copied()
    }

    /// The connection a WebSocket's messages go to.
    pub fn conn_of_websocket(&self, ws: WsId) -> Option<u32> {
        self.sockets.get(ws.0).map(|s| s.conn)
    }

    /// One complete HTTP exchange: an Engine.IO long-polling request (handshake, poll or POST)
    /// becomes frame records of its session, anything else an HTTP record.
    pub fn http(&mut self, exchange: &HttpExchange<'_>) {
        let Some(query) = engine_query(exchange.url) else {
            self.push_http(exchange);
            return;
        };
        if query.transport == Some(Transport::Websocket) || exchange.status != 200 {
            // A WebSocket upgrade that got an HTTP answer instead of a 101, or a failed request.
            self.push_http(exchange);
            if exchange.status != 200 && exchange.status != 0 {
                if let Some(conn) = query.sid.as_deref().and_then(|s| self.conn_of_sid(s)) {
                    let reason = format!(
                        "HTTP {} on {}: {}",
                        exchange.status,
                        exchange.method,
                        short_text(exchange.response_body)
                    );
                    self.close(conn, exchange.response_t_ms, reason);
                }
            }
            return;
        }
        let is_post = exchange.method.eq_ignore_ascii_case("POST");
        let (body, from, t_ms) = if is_post {
            (exchange.request_body, Direction::Client, exchange.t_ms)
        } else {
            (
                exchange.response_body,
                Direction::Server,
                exchange.response_t_ms,
            )
        };
        let packets = split_payload(body, query.eio);
        let conn = match query.sid.as_deref() {
            Some(sid) => self.conn_for_sid(sid, exchange.t_ms),
            None => {
                // The handshake: its first packet is the open packet that names the sid.
                let sid = packets.first().and_then(open_sid);
                let conn = self.new_conn(sid.clone());
                if let Some(sid) = &sid {
                    self.sids.insert(sid.clone(), conn);
                }
                conn
            }
        };
        if !self.conns[conn as usize - 1].opened {
            let mut open = ConnRecord::new(exchange.response_t_ms, conn, ConnEvent::Open)
                .with_transport(Transport::Polling)
                .with_url(exchange.url);
            open.sid = self.conns[conn as usize - 1].sid.clone();
            open.remote = exchange.remote.map(str::to_owned);
            self.open(conn, open);
        }
        for packet in packets {
            let closes = packet.is_close();
            self.push_frame(packet.into_record(t_ms, conn, from));
            if closes {
                let side = if from == Direction::Client {
                    "client"
                } else {
                    "server"
                };
                self.close(conn, t_ms, format!("close packet from the {side}"));
            }
        }
    }

    /// A WebSocket was accepted (the server answered 101) for `url`: its messages will belong
    /// to the session its `sid` names, or to a new connection when it has none.
    pub fn websocket_open(&mut self, t_ms: f64, url: &str, remote: Option<&str>) -> WsId {
        let query = engine_query(url);
        let sid = query.as_ref().and_then(|q| q.sid.clone());
        let (conn, joins_polling) = match sid.as_deref() {
            Some(sid) => (self.conn_for_sid(sid, t_ms), true),
            None => (self.new_conn(None), false),
        };
        let id = WsId(self.sockets.len());
        self.sockets.push(SocketState {
            conn,
            url: url.to_owned(),
            remote: remote.map(str::to_owned),
            joins_polling,
            upgraded: false,
            closed: false,
        });
        id
    }

    /// One whole WebSocket message (fragments joined, inflated) in either direction.
    ///
    /// A text message that is not UTF-8 is kept as a binary frame, so that no byte is lost.
    pub fn websocket_message(
        &mut self,
        ws: WsId,
        t_ms: f64,
        from: Direction,
        kind: FrameKind,
        payload: &[u8],
    ) {
        let Some(socket) = self.sockets.get(ws.0) else {
            return;
        };
        let conn = socket.conn;
        let text = match kind {
            FrameKind::Text => std::str::from_utf8(payload).ok(),
            FrameKind::Binary => None,
        };
        if !self.conns[conn as usize - 1].opened {
            // A WebSocket-only session: the server's open packet names the sid.
            let sid = text
                .filter(|_| from == Direction::Server)
                .and_then(|t| open_sid(&Packet::Text(t.to_owned())));
            if let Some(sid) = &sid {
                self.conns[conn as usize - 1].sid = Some(sid.clone());
                self.sids.entry(sid.clone()).or_insert(conn);
            }
            let socket = &self.sockets[ws.0];
            let mut open = ConnRecord::new(t_ms, conn, ConnEvent::Open)
                .with_transport(Transport::Websocket)
                .with_url(socket.url.clone());
            open.remote = socket.remote.clone();
            open.sid = sid;
            self.open(conn, open);
        }
        let record = match text {
            Some(text) => FrameRecord::text(t_ms, conn, from, text),
            None => FrameRecord::binary(t_ms, conn, from, payload),
        };
        self.push_frame(record);
        let socket = &self.sockets[ws.0];
        if socket.joins_polling
            && !socket.upgraded
            && from == Direction::Client
            && text == Some("5")
        {
            self.sockets[ws.0].upgraded = true;
            self.summary.upgrades += 1;
            let mut upgrade = ConnRecord::new(t_ms, conn, ConnEvent::Upgrade)
                .with_transport(Transport::Websocket)
                .with_url(self.sockets[ws.0].url.clone());
            upgrade.sid = self.conns[conn as usize - 1].sid.clone();
            self.out.push_back(Record::Conn(upgrade));
        } else if text == Some("1") {
            let side = if from == Direction::Client {
                "client"
            } else {
                "server"
            };
            self.close(conn, t_ms, format!("close packet from the {side}"));
        }
    }

    /// Part of one direction of a WebSocket could not be read (a hole in a packet capture, a
    /// frame that broke the protocol): a gap record, with the byte count when it is known.
    pub fn websocket_gap(
        &mut self,
        ws: WsId,
        t_ms: f64,
        from: Direction,
        missing_bytes: Option<u64>,
        reason: Option<&str>,
    ) {
        let Some(socket) = self.sockets.get(ws.0) else {
            return;
        };
        let gap = GapRecord {
            from: Some(from),
            missing_bytes,
            ..GapRecord::lost(t_ms, socket.conn, reason.map(str::to_owned))
        };
        self.summary.gaps += 1;
        self.out.push_back(Record::Gap(gap));
    }

    /// The WebSocket ended (a close frame, or the TCP connection). The session ends with it
    /// unless it was a probe that never upgraded (the session goes on polling).
    pub fn websocket_close(&mut self, ws: WsId, t_ms: f64, reason: Option<&str>) {
        let Some(socket) = self.sockets.get_mut(ws.0) else {
            return;
        };
        if socket.closed {
            return;
        }
        socket.closed = true;
        if socket.joins_polling && !socket.upgraded {
            return;
        }
        let conn = socket.conn;
        if !self.conns[conn as usize - 1].opened {
            // Closed before a single message: nothing to open or close in the capture.
            return;
        }
        self.close(conn, t_ms, reason.unwrap_or("websocket closed").to_owned());
    }

    /// The observation ended at `t_ms`: every connection still open is closed with
    /// [`AssembleConfig::finish_reason`].
    pub fn finish(&mut self, t_ms: f64) {
        let reason = self.config.finish_reason.clone();
        for index in 0..self.conns.len() {
            let conn = index as u32 + 1;
            if self.conns[index].opened && !self.conns[index].closed {
                self.close(conn, t_ms, reason.clone());
            }
        }
    }

    fn conn_for_sid(&mut self, sid: &str, _t_ms: f64) -> u32 {
        if let Some(&conn) = self.sids.get(sid) {
            return conn;
        }
        // A session whose handshake was not observed (the capture began mid-session).
        let conn = self.new_conn(Some(sid.to_owned()));
        self.sids.insert(sid.to_owned(), conn);
        conn
    }

    fn new_conn(&mut self, sid: Option<String>) -> u32 {
        self.conns.push(ConnState {
            sid,
            opened: false,
            closed: false,
        });
        self.summary.connections += 1;
        self.conns.len() as u32
    }

    fn open(&mut self, conn: u32, record: ConnRecord) {
        self.conns[conn as usize - 1].opened = true;
        self.out.push_back(Record::Conn(record));
    }

    fn close(&mut self, conn: u32, t_ms: f64, reason: String) {
        let state = &mut self.conns[conn as usize - 1];
        if state.closed || !state.opened {
            return;
        }
        state.closed = true;
        let mut close = ConnRecord::new(t_ms, conn, ConnEvent::Close).with_reason(reason);
        close.sid = state.sid.clone();
        self.out.push_back(Record::Conn(close));
    }

    fn push_frame(&mut self, frame: FrameRecord) {
        self.summary.frames += 1;
        self.out.push_back(Record::Frame(frame));
    }

    fn push_http(&mut self, exchange: &HttpExchange<'_>) {
        let (body, body_base64) = body_text(exchange.response_body);
        let request_body = (!exchange.request_body.is_empty())
            .then(|| String::from_utf8_lossy(exchange.request_body).into_owned());
        self.summary.http_exchanges += 1;
        self.out.push_back(Record::Http(HttpRecord {
            t_ms: exchange.t_ms,
            method: exchange.method.to_owned(),
            url: exchange.url.to_owned(),
            query: query_pairs(exchange.url),
            request_headers: exchange.request_headers.to_vec(),
            request_body,
            status: exchange.status,
            response_headers: exchange.response_headers.to_vec(),
            body,
            body_base64,
        }));
    }
}

/// One packet of a polling body, as a frame will hold it.
#[derive(Debug, PartialEq)]
enum Packet {
    Text(String),
    Binary(Vec<u8>),
}

impl Packet {
    fn is_close(&self) -> bool {
        matches!(self, Packet::Text(t) if t == "1")
    }

    fn into_record(self, t_ms: f64, conn: u32, from: Direction) -> FrameRecord {
        match self {
            Packet::Text(text) => FrameRecord::text(t_ms, conn, from, text),
            Packet::Binary(bytes) => FrameRecord::binary(t_ms, conn, from, &bytes),
        }
    }
}

/// The sid of an open packet (`0{"sid":…}`).
fn open_sid(packet: &Packet) -> Option<String> {
    let Packet::Text(text) = packet else {
        return None;
    };
    let json = text.strip_prefix('0')?;
    Handshake::decode(json).ok().map(|h| h.sid.into_owned())
}

/// Splits a polling body into its packets. Nothing is dropped: a body that does not parse
/// stays whole as one packet (text when it is UTF-8, else binary), so decoding it later shows
/// the error with its offset.
fn split_payload(body: &[u8], eio: u8) -> Vec<Packet> {
    if body.is_empty() {
        return Vec::new();
    }
    let Ok(text) = std::str::from_utf8(body) else {
        return vec![Packet::Binary(body.to_vec())];
    };
    if eio >= 4 {
        return text.split('\x1e').map(v4_record).collect();
    }
    let mut packets = Vec::new();
    for packet in decode_polling_payload_v3(text) {
        let packet = match packet {
            Ok(PollingPacket::Packet(EnginePacket::Message(
                sio_wire::engine::Payload::Binary(bytes),
            ))) => Packet::Binary(bytes.to_vec()),
            Ok(PollingPacket::Packet(packet)) => {
                let mut out = String::new();
                match encode_text_frame(&packet, &mut out) {
                    Ok(()) => Packet::Text(out),
                    Err(_) => return vec![Packet::Text(text.to_owned())],
                }
            }
            Ok(PollingPacket::Base64(data)) => {
                let mut bytes = Vec::new();
                match data.decode_into(&mut bytes) {
                    Ok(()) => Packet::Binary(bytes),
                    Err(_) => return vec![Packet::Text(text.to_owned())],
                }
            }
            Err(_) => return vec![Packet::Text(text.to_owned())],
        };
        packets.push(packet);
    }
    packets
}

/// One record of a v4 polling body: `b` + base64 is a binary message (as a binary WebSocket
/// frame carries it), anything else is a text packet kept verbatim.
fn v4_record(record: &str) -> Packet {
    if let Some(b64) = record.strip_prefix('b') {
        if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(b64) {
            return Packet::Binary(bytes);
        }
    }
    Packet::Text(record.to_owned())
}

/// The Engine.IO parameters of a URL's query, or `None` when it has no `EIO` (not Engine.IO).
fn engine_query(url: &str) -> Option<EngineQuery> {
    let mut eio = None;
    let mut transport = None;
    let mut sid = None;
    for (name, value) in query_pairs(url) {
        match name.as_str() {
            "EIO" => eio = value.parse::<u8>().ok(),
            "transport" => {
                transport = match value.as_str() {
                    "polling" => Some(Transport::Polling),
                    "websocket" => Some(Transport::Websocket),
                    _ => None,
                }
            }
            "sid" if !value.is_empty() => sid = Some(value),
            _ => {}
        }
    }
    Some(EngineQuery {
        eio: eio?,
        transport,
        sid,
    })
}

/// The decoded query parameters of a URL, in order (form-urlencoded, as browsers send them).
pub fn query_pairs(url: &str) -> Vec<(String, String)> {
    let Some((_, query)) = url.split_once('?') else {
        return Vec::new();
    };
    let query = query.split_once('#').map_or(query, |(q, _)| q);
    form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn body_text(body: &[u8]) -> (String, bool) {
    match std::str::from_utf8(body) {
        Ok(text) => (text.to_owned(), false),
        Err(_) => (base64::engine::general_purpose::STANDARD.encode(body), true),
    }
}

/// At most 120 bytes of a body, for a close reason.
fn short_text(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return "(no body)".to_owned();
    }
    let mut cut = text.len().min(120);
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    if cut < text.len() {
        format!("{}…", &text[..cut])
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests;
