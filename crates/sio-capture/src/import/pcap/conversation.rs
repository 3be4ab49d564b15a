//! One TCP connection's two reassembled streams read as HTTP/1.x, then, after a `101`, as a
//! WebSocket: what it carried goes to the Engine.IO [`Assembler`].

use std::collections::VecDeque;
use std::net::SocketAddr;

use tcp_reassembly::{EndReason, Event};
use ws_passive::{Config as WsConfig, MessageKind, Observer, WsEvent};

use super::http::{
    Buffer, Framing, Head, decode_content, looks_like_request, looks_like_response, looks_like_tls,
    parse_request_head, parse_response_head, read_body,
};
use crate::assemble::{Assembler, HttpExchange, WsId};
use crate::record::{Direction, FrameKind};

/// What the importer learns while reading, beyond records: for the summary.
#[derive(Debug, Default)]
pub(crate) struct Report {
    /// Holes in TCP streams, and WebSocket directions broken off by a protocol error.
    pub(crate) gaps: u64,
    /// Streams not read, one sentence each.
    pub(crate) skipped: Vec<String>,
    /// Problems that did not stop the import, one sentence each.
    pub(crate) warnings: Vec<String>,
}

/// The most warnings kept; the rest are counted.
const MAX_WARNINGS: usize = 50;

impl Report {
    pub(crate) fn warn(&mut self, warning: String) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(warning);
        } else if self.warnings.len() == MAX_WARNINGS {
            self.warnings.push("more warnings were left out".to_owned());
        }
    }
}

/// Where the importer is: the assembler it feeds and the report it fills.
#[derive(Debug)]
pub(crate) struct Context<'a> {
    pub(crate) asm: &'a mut Assembler,
    pub(crate) report: &'a mut Report,
    /// The time of the packet being read.
    pub(crate) t_ms: f64,
    /// Its number, for messages.
    pub(crate) packet: u64,
}

#[derive(Debug)]
enum Mode {
    /// No byte seen yet.
    Undecided,
    Http,
    WebSocket(Box<WebSocket>),
    /// Not read (TLS, not HTTP, broken): said once in the report.
    Skipped,
}

#[derive(Debug)]
struct WebSocket {
    id: WsId,
    observer: Observer,
    /// A direction that lost bytes: its frame boundaries are gone, so it is fed no more.
    dead: [bool; 2],
    close: Option<String>,
}

#[derive(Debug)]
struct Request {
    head: Head,
    body: Vec<u8>,
    t_ms: f64,
}

/// One TCP connection, by the index of its directions: direction `d` is the bytes sent by
/// `addrs[d]`.
#[derive(Debug)]
pub(crate) struct Conversation {
    addrs: [SocketAddr; 2],
    /// The direction the client sends on, once known.
    client: Option<usize>,
    mode: Mode,
    bufs: [Buffer; 2],
    requests: VecDeque<Request>,
    /// A WebSocket upgrade request waits for its response: the client's bytes after it are
    /// frames, not requests.
    awaiting_upgrade: bool,
    ended: [Option<EndReason>; 2],
}

impl Conversation {
    pub(crate) fn new(addrs: [SocketAddr; 2]) -> Self {
        Conversation {
            addrs,
            client: None,
            mode: Mode::Undecided,
            bufs: Default::default(),
            requests: VecDeque::new(),
            awaiting_upgrade: false,
            ended: [None; 2],
        }
    }

    /// The handshake says who the client is (the sender of a SYN without ACK).
    pub(crate) fn set_client(&mut self, direction: usize) {
        if self.client.is_none() {
            self.client = Some(direction);
        }
    }

    pub(crate) fn is_done(&self) -> bool {
        self.ended.iter().all(Option::is_some)
    }

    fn label(&self) -> String {
        let client = self.client.unwrap_or(0);
        format!("TCP {} → {}", self.addrs[client], self.addrs[1 - client])
    }

    /// Leaves the connection unread from now on, saying why once.
    pub(crate) fn skip(&mut self, why: &str, ctx: &mut Context<'_>) {
        if matches!(self.mode, Mode::Skipped) {
            return;
        }
        if matches!(self.mode, Mode::Http) {
            self.fail_pending(ctx, "the rest of its connection was not read");
        }
        ctx.report.skipped.push(format!(
            "{} (from packet {}): {why}",
            self.label(),
            ctx.packet
        ));
        self.mode = Mode::Skipped;
        self.bufs = Default::default();
    }

    /// One event of direction `d`'s reassembler.
    pub(crate) fn on_event(&mut self, d: usize, event: Event<'_>, ctx: &mut Context<'_>) {
        match event {
            Event::Data { bytes, .. } => self.on_data(d, bytes, ctx),
            Event::Gap { offset, len } => self.on_gap(d, offset, len, ctx),
            Event::End { reason, .. } => self.on_end(d, reason, ctx),
        }
    }

    fn on_data(&mut self, d: usize, bytes: &[u8], ctx: &mut Context<'_>) {
        if matches!(self.mode, Mode::Undecided) {
            if looks_like_tls(bytes) {
                self.skip(
                    "TLS, which a packet capture cannot see into: record through the \
                     recording proxy, or export a HAR from the browser",
                    ctx,
                );
                return;
            }
            let client = self.client.or(if looks_like_request(bytes) {
                Some(d)
            } else if looks_like_response(bytes) {
                Some(1 - d)
            } else {
                None
            });
            let fits = match client {
                Some(c) if c == d => looks_like_request(bytes),
                Some(_) => looks_like_response(bytes),
                None => false,
            };
            if !fits {
                self.skip("not HTTP/1.x", ctx);
                return;
            }
            self.client = client;
            self.mode = Mode::Http;
        }
        let direction = self.ws_direction(d);
        match &mut self.mode {
            Mode::Http => {
                self.bufs[d].push(bytes, ctx.t_ms);
                self.pump(ctx);
            }
            Mode::WebSocket(ws) => {
                if !ws.dead[d] {
                    ws.observer.feed(direction, bytes);
                    self.drain_websocket(ctx);
                }
            }
            Mode::Undecided | Mode::Skipped => {}
        }
    }

    fn ws_direction(&self, d: usize) -> ws_passive::Direction {
        if Some(d) == self.client {
            ws_passive::Direction::ClientToServer
        } else {
            ws_passive::Direction::ServerToClient
        }
    }

    fn from(&self, d: usize) -> Direction {
        if Some(d) == self.client {
            Direction::Client
        } else {
            Direction::Server
        }
    }

    fn on_gap(&mut self, d: usize, offset: u64, len: u64, ctx: &mut Context<'_>) {
        ctx.report.gaps += 1;
        let what = format!(
            "{len} bytes missing at byte {offset} of the {} stream",
            match self.from(d) {
                Direction::Client => "client's",
                Direction::Server => "server's",
            }
        );
        let from = self.from(d);
        match &mut self.mode {
            Mode::WebSocket(ws) => {
                if !ws.dead[d] {
                    ws.dead[d] = true;
                    let reason = format!(
                        "{what} (packet {}): the rest of that direction is not read",
                        ctx.packet
                    );
                    ctx.asm
                        .websocket_gap(ws.id, ctx.t_ms, from, Some(len), Some(&reason));
                }
            }
            Mode::Skipped => {}
            Mode::Undecided | Mode::Http => {
                ctx.report.warn(format!(
                    "{}: {what} (packet {}); HTTP cannot be read across a hole",
                    self.label(),
                    ctx.packet
                ));
                self.skip(&format!("{what}, in HTTP"), ctx);
            }
        }
    }

    fn on_end(&mut self, d: usize, reason: EndReason, ctx: &mut Context<'_>) {
        self.ended[d] = Some(reason);
        let direction = self.ws_direction(d);
        match &mut self.mode {
            Mode::Http => {
                self.pump(ctx);
                if self.is_done() {
                    self.fail_pending(ctx, "no response in the capture");
                    if !self.bufs.iter().all(|b| b.bytes.is_empty()) {
                        let left: usize = self.bufs.iter().map(|b| b.bytes.len()).sum();
                        ctx.report.warn(format!(
                            "{}: {left} bytes of an unfinished HTTP message at the end",
                            self.label()
                        ));
                    }
                }
            }
            Mode::WebSocket(ws) => {
                ws.observer.finish(direction);
                self.drain_websocket(ctx);
                let done = self.is_done();
                if let (true, Mode::WebSocket(ws)) = (done, &mut self.mode) {
                    let why = match self.ended {
                        _ if ws.close.is_some() => ws.close.clone(),
                        [Some(EndReason::Rst), _] | [_, Some(EndReason::Rst)] => {
                            Some("TCP connection reset".to_owned())
                        }
                        [Some(EndReason::Fin), Some(EndReason::Fin)] => {
                            Some("TCP connection closed".to_owned())
                        }
                        // The capture ended first: the assembler's finish closes it.
                        _ => None,
                    };
                    if let Some(why) = why {
                        ctx.asm.websocket_close(ws.id, ctx.t_ms, Some(&why));
                    }
                }
            }
            Mode::Undecided | Mode::Skipped => {}
        }
    }

    /// Reads every complete request and response in the buffers.
    fn pump(&mut self, ctx: &mut Context<'_>) {
        let Some(c) = self.client else {
            return;
        };
        let s = 1 - c;
        loop {
            let mut progressed = false;
            if !self.awaiting_upgrade && !self.bufs[c].bytes.is_empty() {
                match self.read_request(c) {
                    Ok(Some(request)) => {
                        self.awaiting_upgrade = request.head.is_websocket_upgrade();
                        self.requests.push_back(request);
                        progressed = true;
                    }
                    Ok(None) => {}
                    Err(e) => {
                        self.skip(&e, ctx);
                        return;
                    }
                }
            }
            if !self.requests.is_empty() && !self.bufs[s].bytes.is_empty() {
                match self.read_response(s) {
                    Ok(Some((head, body, response_t))) => {
                        progressed = true;
                        if (100..200).contains(&head.status) && head.status != 101 {
                            continue;
                        }
                        let Some(request) = self.requests.pop_front() else {
                            break;
                        };
                        if head.status == 101 && request.head.is_websocket_upgrade() {
                            self.start_websocket(&request, &head, ctx);
                            return;
                        }
                        if request.head.is_websocket_upgrade() {
                            self.awaiting_upgrade = false;
                        }
                        self.exchange(&request, &head, body, response_t, ctx);
                    }
                    Ok(None) => {}
                    Err(e) => {
                        self.skip(&e, ctx);
                        return;
                    }
                }
            }
            if !progressed {
                return;
            }
        }
    }

    fn read_request(&mut self, c: usize) -> Result<Option<Request>, String> {
        let buf = &mut self.bufs[c];
        let Some(head) = parse_request_head(&buf.bytes)? else {
            return Ok(None);
        };
        let framing = match head.body_framing(None)? {
            // A request has no read-until-close body.
            Framing::UntilClose => Framing::Length(0),
            framing => framing,
        };
        let Some((body, len)) = read_body(&buf.bytes[head.len..], framing, false)? else {
            return Ok(None);
        };
        let t_ms = buf.time_at(0);
        buf.consume(head.len + len);
        Ok(Some(Request { head, body, t_ms }))
    }

    fn read_response(&mut self, s: usize) -> Result<Option<(Head, Vec<u8>, f64)>, String> {
        let method = self.requests.front().map(|r| r.head.method.clone());
        let at_end = self.ended[s].is_some();
        let buf = &mut self.bufs[s];
        let Some(head) = parse_response_head(&buf.bytes)? else {
            return Ok(None);
        };
        let framing = if head.status == 101 {
            Framing::Length(0)
        } else {
            head.body_framing(Some(method.as_deref().unwrap_or("GET")))?
        };
        let Some((body, len)) = read_body(&buf.bytes[head.len..], framing, at_end)? else {
            return Ok(None);
        };
        let end = head.len + len;
        let t_ms = buf.time_at(end.saturating_sub(1));
        buf.consume(end);
        Ok(Some((head, body, t_ms)))
    }

    fn url(&self, head: &Head) -> String {
        match head.header("host") {
            Some(host) if head.target.starts_with('/') => format!("http://{host}{}", head.target),
            _ => head.target.clone(),
        }
    }

    fn remote(&self) -> Option<String> {
        self.client.map(|c| self.addrs[c].to_string())
    }

    fn exchange(
        &mut self,
        request: &Request,
        response: &Head,
        body: Vec<u8>,
        response_t: f64,
        ctx: &mut Context<'_>,
    ) {
        let body = match decode_content(response, body) {
            Ok(body) => body,
            Err((body, why)) => {
                ctx.report.warn(format!(
                    "{}: a response to {} {} kept as it came: {why}",
                    self.label(),
                    request.head.method,
                    request.head.target
                ));
                body
            }
        };
        let url = self.url(&request.head);
        let remote = self.remote();
        ctx.asm.http(&HttpExchange {
            t_ms: request.t_ms,
            response_t_ms: response_t,
            method: &request.head.method,
            url: &url,
            request_headers: &request.head.headers,
            request_body: &request.body,
            status: response.status,
            response_headers: &response.headers,
            response_body: &body,
            remote: remote.as_deref(),
        });
    }

    /// Requests whose response never came become failed exchanges (status 0), so that none is
    /// lost without a trace.
    fn fail_pending(&mut self, ctx: &mut Context<'_>, why: &str) {
        let remote = self.remote();
        while let Some(request) = self.requests.pop_front() {
            ctx.report.warn(format!(
                "{}: {} {} has no response: {why}",
                self.label(),
                request.head.method,
                request.head.target
            ));
            let url = self.url(&request.head);
            ctx.asm.http(&HttpExchange {
                t_ms: request.t_ms,
                response_t_ms: request.t_ms,
                method: &request.head.method,
                url: &url,
                request_headers: &request.head.headers,
                request_body: &request.body,
                status: 0,
                response_headers: &[],
                response_body: &[],
                remote: remote.as_deref(),
            });
        }
    }

    fn start_websocket(&mut self, request: &Request, response: &Head, ctx: &mut Context<'_>) {
        let Some(c) = self.client else {
            return;
        };
        let url = self.url(&request.head);
        let remote = self.remote();
        let id = ctx.asm.websocket_open(ctx.t_ms, &url, remote.as_deref());
        let mut observer = Observer::new(WsConfig::default());
        let headers = |head: &Head| -> Vec<(String, Vec<u8>)> { head.raw_headers.clone() };
        let (req, resp) = (headers(&request.head), headers(response));
        if let Err(e) = observer.handshake(
            req.iter().map(|(n, v)| (n.as_str(), v.as_slice())),
            resp.iter().map(|(n, v)| (n.as_str(), v.as_slice())),
        ) {
            ctx.report.warn(format!(
                "{}: the WebSocket handshake's extensions do not read ({e}); frames are read \
                 without permessage-deflate",
                self.label()
            ));
        }
        self.mode = Mode::WebSocket(Box::new(WebSocket {
            id,
            observer,
            dead: [false; 2],
            close: None,
        }));
        // Bytes that came after the handshake in the same segments are frames.
        for d in [c, 1 - c] {
            let rest = self.bufs[d].take_all();
            let direction = self.ws_direction(d);
            if let (false, Mode::WebSocket(ws)) = (rest.is_empty(), &mut self.mode) {
                ws.observer.feed(direction, &rest);
            }
        }
        self.drain_websocket(ctx);
        // A direction that ended before the switch ends the WebSocket's too.
        for d in [c, 1 - c] {
            if self.ended[d].is_some() {
                let direction = self.ws_direction(d);
                if let Mode::WebSocket(ws) = &mut self.mode {
                    ws.observer.finish(direction);
                }
            }
        }
        self.drain_websocket(ctx);
    }

    fn drain_websocket(&mut self, ctx: &mut Context<'_>) {
        let label = self.label();
        let Mode::WebSocket(ws) = &mut self.mode else {
            return;
        };
        while let Some(event) = ws.observer.poll_event() {
            let from = |direction: ws_passive::Direction| match direction {
                ws_passive::Direction::ClientToServer => Direction::Client,
                ws_passive::Direction::ServerToClient => Direction::Server,
            };
            match event {
                WsEvent::Message {
                    direction,
                    kind,
                    data,
                    ..
                } => {
                    let kind = match kind {
                        MessageKind::Text => FrameKind::Text,
                        MessageKind::Binary => FrameKind::Binary,
                    };
                    ctx.asm
                        .websocket_message(ws.id, ctx.t_ms, from(direction), kind, &data);
                }
                WsEvent::Close { code, reason, .. } => {
                    if ws.close.is_none() {
                        ws.close = Some(match (code, reason.is_empty()) {
                            (Some(code), true) => format!("close {code}"),
                            (Some(code), false) => format!("close {code} {reason}"),
                            (None, _) => "close".to_owned(),
                        });
                    }
                }
                WsEvent::Ping { .. } | WsEvent::Pong { .. } => {}
                WsEvent::Error {
                    direction,
                    offset,
                    kind,
                } => {
                    let what = format!(
                        "{kind} at byte {offset} of the {} WebSocket stream (packet {})",
                        match direction {
                            ws_passive::Direction::ClientToServer => "client's",
                            ws_passive::Direction::ServerToClient => "server's",
                        },
                        ctx.packet
                    );
                    if kind.is_fatal() {
                        ctx.report.gaps += 1;
                        ctx.asm.websocket_gap(
                            ws.id,
                            ctx.t_ms,
                            from(direction),
                            None,
                            Some(&format!("{what}: the rest of that direction is not read")),
                        );
                    } else {
                        ctx.report.warn(format!("{label}: {what}"));
                    }
                }
            }
        }
    }
}
