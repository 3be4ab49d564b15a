//! One client connection: a WebSocket driven by `sio-session`'s client machine.
//!
//! [`Connection::next`] turns the machine's pulled outputs and the socket's frames into one
//! stream of [`Happening`]s, in wire order: a server frame comes out before the reply it
//! caused. The recorder writes every frame it sees; the load generator only times events.
//! All protocol rules (answering pings, the CONNECT handshake, heartbeat deadlines, binary
//! attachments) are the machine's; this file only moves frames and sleeps until its deadline.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use sio_session::{
    ClientConfig, ClientEvent, ClientSession, InboundFrame, IncomingEvent, Transmit,
};
use tokio_tungstenite::tungstenite::Message;

use crate::ClientError;
use crate::dial::Socket;

/// Something that happened on a connection.
#[derive(Debug)]
pub(crate) enum Happening {
    /// A frame arrived from the server (text or binary).
    Received(Message),
    /// The client sent this frame (a pong, the CONNECT, ...).
    Sent(Message),
    /// The server accepted the namespace CONNECT.
    Connected,
    /// The server emitted an event in the namespace.
    Event(IncomingEvent),
    /// The server acknowledged the client's event with this ack id.
    Ack(u64),
    /// The server refused the namespace CONNECT: its message.
    Refused(String),
    /// The connection is over, for this reason.
    Ended(String),
}

/// A WebSocket and the session machine that speaks on it.
pub(crate) struct Connection {
    socket: Socket,
    session: ClientSession,
    queue: VecDeque<Happening>,
    ended: bool,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("session", &self.session)
            .field("ended", &self.ended)
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// Starts the session on an open WebSocket and asks to join `namespace` with `token`
    /// (sent as `{"token": ...}`); the CONNECT goes out once the server's `open` arrives.
    pub(crate) fn start(
        socket: Socket,
        namespace: &str,
        token: Option<&str>,
        open_timeout: Duration,
    ) -> Result<Self, ClientError> {
        let auth = token.map(|token| serde_json::json!({ "token": token }).to_string());
        Self::start_with(socket, namespace, auth.as_deref(), open_timeout)
    }

    /// [`start`](Self::start) with the CONNECT payload given whole (a JSON object, e.g. a
    /// replayed session's auth shape).
    pub(crate) fn start_with_auth(
        socket: Socket,
        namespace: &str,
        auth: &str,
        open_timeout: Duration,
    ) -> Result<Self, ClientError> {
        Self::start_with(socket, namespace, Some(auth), open_timeout)
    }

    fn start_with(
        socket: Socket,
        namespace: &str,
        auth: Option<&str>,
        open_timeout: Duration,
    ) -> Result<Self, ClientError> {
        let mut config = ClientConfig::default();
        config.open_timeout = Some(open_timeout);
        let mut session = ClientSession::new(Instant::now(), config);
        session
            .connect(namespace, auth)
            .map_err(|err| ClientError::Config {
                option: "namespace",
                message: err.to_string(),
            })?;
        Ok(Connection {
            socket,
            session,
            queue: VecDeque::new(),
            ended: false,
        })
    }

    /// The next thing that happened. After [`Happening::Ended`] it keeps returning `Ended`.
    ///
    /// Cancel-safe between happenings: dropping the future while it waits for the socket or
    /// the session's deadline loses nothing.
    pub(crate) async fn next(&mut self) -> Happening {
        loop {
            if let Some(happening) = self.queue.pop_front() {
                return happening;
            }
            if self.ended {
                return Happening::Ended("connection already ended".to_owned());
            }
            self.drain().await;
            if !self.queue.is_empty() {
                continue;
            }
            let deadline = self.session.poll_timeout();
            let sleep = async {
                match deadline {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                message = self.socket.next() => match message {
                    Some(Ok(message)) => self.on_message(message),
                    Some(Err(err)) => {
                        self.session.handle_websocket_closed(Instant::now());
                        self.end(err.to_string());
                    }
                    None => {
                        self.session.handle_websocket_closed(Instant::now());
                        self.end("connection closed".to_owned());
                    }
                },
                () = sleep => self.session.handle_timeout(Instant::now()),
            }
        }
    }

    /// Sends `frame` as one text frame exactly as given (e.g. a client event replayed from a
    /// capture); it goes out, and is reported as [`Happening::Sent`], on the next [`Self::next`].
    pub(crate) fn send_raw(&mut self, frame: &str) -> Result<(), ClientError> {
        self.session
            .send_raw_text(frame)
            .map_err(|err| ClientError::Protocol(err.to_string()))
    }

    /// Emits `data` (a JSON array: the event name and its arguments) in `namespace`, asking
    /// for an acknowledgement; returns the ack id that [`Happening::Ack`] will carry.
    pub(crate) fn emit_with_ack(
        &mut self,
        namespace: &str,
        data: &str,
    ) -> Result<u64, ClientError> {
        self.session
            .emit_with_ack(namespace, data, &[])
            .map_err(|err| ClientError::Protocol(err.to_string()))
    }

    /// Emits `data` (a JSON array: the event name and its arguments) in `namespace`.
    pub(crate) fn emit(&mut self, namespace: &str, data: &str) -> Result<(), ClientError> {
        self.session
            .emit(namespace, data, &[])
            .map_err(|err| ClientError::Protocol(err.to_string()))
    }

    /// Answers the server's event `ack_id` in `namespace` with `data` (a JSON array).
    pub(crate) fn ack(
        &mut self,
        namespace: &str,
        ack_id: u64,
        data: &str,
    ) -> Result<(), ClientError> {
        self.session
            .ack(namespace, ack_id, data, &[])
            .map_err(|err| ClientError::Protocol(err.to_string()))
    }

    /// Closes the WebSocket politely (best effort: the peer may be gone already).
    pub(crate) async fn close(&mut self) {
        let _ = self.socket.close(None).await;
    }

    fn on_message(&mut self, message: Message) {
        let now = Instant::now();
        match &message {
            Message::Text(text) => self
                .session
                .handle_frame(now, InboundFrame::Text(text.as_str())),
            Message::Binary(bytes) => self.session.handle_frame(now, InboundFrame::Binary(bytes)),
            Message::Close(frame) => {
                let reason = frame.as_ref().map_or_else(
                    || "closed by the server".to_owned(),
                    |f| format!("closed by the server ({} {})", u16::from(f.code), f.reason),
                );
                self.session.handle_websocket_closed(now);
                self.end(reason);
                return;
            }
            // WebSocket-level pings are answered by tungstenite itself.
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => return,
        }
        self.queue.push_back(Happening::Received(message));
    }

    fn end(&mut self, reason: String) {
        if !self.ended {
            self.ended = true;
            self.queue.push_back(Happening::Ended(reason));
        }
    }

    /// Writes what the machine wants sent and queues what it reports.
    async fn drain(&mut self) {
        while let Some(transmit) = self.session.poll_transmit() {
            let message = match transmit {
                Transmit::Text(text) => Message::text(text),
                Transmit::Binary(bytes) => Message::binary(bytes),
                Transmit::CloseWebSocket => {
                    self.close().await;
                    self.end("closed by the client session".to_owned());
                    continue;
                }
                // Only the server role answers polls.
                Transmit::PollResponse(_) => continue,
            };
            if let Err(err) = self.socket.send(message.clone()).await {
                self.end(err.to_string());
                break;
            }
            self.queue.push_back(Happening::Sent(message));
        }
        while let Some(event) = self.session.poll_event() {
            match event {
                ClientEvent::Connected { .. } => self.queue.push_back(Happening::Connected),
                ClientEvent::ConnectError { data, .. } => {
                    let message = data
                        .as_deref()
                        .and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok())
                        .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_owned))
                        .or(data)
                        .unwrap_or_else(|| "no reason given".to_owned());
                    self.queue.push_back(Happening::Refused(message));
                }
                ClientEvent::Event(event) => self.queue.push_back(Happening::Event(event)),
                ClientEvent::Ack(ack) => self.queue.push_back(Happening::Ack(ack.ack_id)),
                ClientEvent::Disconnect { namespace } => {
                    self.end(format!("the server disconnected namespace {namespace}"));
                }
                ClientEvent::Violation(violation) => {
                    tracing::warn!(%violation, "the server broke the protocol");
                }
                ClientEvent::Closed(reason) => self.end(reason.to_string()),
                _ => {}
            }
        }
    }
}
