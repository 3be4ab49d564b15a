//! The WebSocket transport: the HTTP upgrade, then one reader and one writer per socket.
//!
//! The reader hands every frame to the session task; the writer writes what the session task
//! hands it ([`WsOut`]), holding frames back for the latency fault and reporting progress so
//! that the session knows how much is unwritten. Neither knows anything about Engine.IO.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode, header};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

use crate::http::response::{self, Body};
use crate::session::messages::{SessionInput, WsFrame, WsLink, WsOut};
use crate::state::{ConnectionPermit, ServerState};

/// How long the reader waits for the client's close reply after the server closed.
const CLOSE_REPLY_WAIT: Duration = Duration::from_secs(1);

/// True when the request asks for a WebSocket upgrade (`Connection: upgrade`,
/// `Upgrade: websocket`).
pub(crate) fn is_upgrade_request(headers: &HeaderMap) -> bool {
    let has_token = |name: header::HeaderName, token: &str| {
        headers.get_all(name).iter().any(|value| {
            value.to_str().is_ok_and(|v| {
                v.split(',')
                    .any(|part| part.trim().eq_ignore_ascii_case(token))
            })
        })
    };
    has_token(header::CONNECTION, "upgrade") && has_token(header::UPGRADE, "websocket")
}

/// Checks the upgrade request's WebSocket headers and builds the `101` answer.
///
/// # Errors
/// Why the upgrade is refused (answer `400`): `Sec-WebSocket-Key` is missing or bad, or the
/// version is not 13.
pub(crate) fn accept_upgrade(request: &Request<Incoming>) -> Result<Response<Body>, &'static str> {
    let headers = request.headers();
    let Some(key) = headers.get(header::SEC_WEBSOCKET_KEY) else {
        return Err("missing Sec-WebSocket-Key");
    };
    if headers
        .get(header::SEC_WEBSOCKET_VERSION)
        .map(HeaderValue::as_bytes)
        != Some(b"13")
    {
        return Err("Sec-WebSocket-Version must be 13");
    }
    let accept = derive_accept_key(key.as_bytes());
    let mut response = response::empty(StatusCode::SWITCHING_PROTOCOLS);
    let out = response.headers_mut();
    out.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    out.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    match HeaderValue::from_str(&accept) {
        Ok(value) => {
            out.insert(header::SEC_WEBSOCKET_ACCEPT, value);
        }
        Err(_) => return Err("bad Sec-WebSocket-Key"),
    }
    Ok(response)
}

/// Once hyper hands over the upgraded connection, runs the WebSocket until it closes.
pub(crate) fn spawn_websocket(
    state: Arc<ServerState>,
    request: Request<Incoming>,
    permit: ConnectionPermit,
    link: WsLink,
    frames: mpsc::UnboundedReceiver<Box<WsOut>>,
    inputs: mpsc::Sender<Box<SessionInput>>,
) {
    let max = usize::try_from(state.config.session.max_payload).unwrap_or(usize::MAX);
    // Frames a little above maxPayload still reach the session, which reports the violation;
    // the socket library refuses anything far beyond, so memory stays bounded.
    let limit = max.saturating_mul(2).saturating_add(1024);
    // tungstenite zero-fills its whole read buffer before each read, so its size is resident
    // memory for every idle connection. What clients send rt-2 is small (pongs, a connect
    // with a JWT); 1 KiB instead of tungstenite's 128 KiB keeps an idle connection small, and
    // a larger frame grows the buffer to its length while it is read.
    let config = WebSocketConfig::default()
        .read_buffer_size(1024)
        .max_message_size(Some(limit))
        .max_frame_size(Some(limit));
    let token = state.tracker.token();
    let write_timeout = state.config.write_timeout;
    tokio::spawn(async move {
        let _token = token;
        let _permit = permit;
        let upgraded = match hyper::upgrade::on(request).await {
            Ok(upgraded) => upgraded,
            Err(err) => {
                tracing::debug!("WebSocket upgrade failed: {err}");
                let _ = inputs
                    .send(Box::new(SessionInput::WsClosed { link: link.id }))
                    .await;
                return;
            }
        };
        let socket =
            WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, Some(config))
                .await;
        run_websocket(socket, link, frames, inputs, write_timeout).await;
    });
}

/// Completes the WebSocket handshake of a request the session refused, then closes the socket
/// at once. engine.io does this for a second WebSocket on a session that is already upgraded
/// or upgrading, and socket.io-protocol's test suite waits for that close (an HTTP 400 there
/// is an uncaught error in its client).
pub(crate) fn spawn_closed_websocket(state: &ServerState, request: Request<Incoming>) {
    let token = state.tracker.token();
    tokio::spawn(async move {
        let _token = token;
        let Ok(upgraded) = hyper::upgrade::on(request).await else {
            return;
        };
        let mut socket =
            WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, None).await;
        let _ = tokio::time::timeout(Duration::from_secs(1), socket.close(None)).await;
    });
}

/// Why a write ended the writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WriteEnd {
    /// The connection failed (the client left).
    Failed,
    /// The write did not complete within the write timeout: the client stopped reading.
    Stalled,
}

impl WriteEnd {
    fn is_stall(self) -> bool {
        self == WriteEnd::Stalled
    }
}

/// Runs one write of the writer, cut when `$stall` (a pinned `Sleep`, reset here to
/// `$limit` from now) fires first: a client that stops reading must not hold its connection,
/// its memory and its place under the connection limit for ever. A macro rather than an async
/// fn: one `Sleep` reused by every write keeps the writer's future (resident for every idle
/// connection) from holding a timer per write site.
macro_rules! within {
    ($stall:expr, $limit:expr, $write:expr) => {{
        $stall
            .as_mut()
            .reset(tokio::time::Instant::now() + $limit);
        tokio::select! {
            biased;
            written = $write => written.map_err(|_| WriteEnd::Failed),
            _ = $stall.as_mut() => {
                tracing::debug!("a WebSocket write stalled for {:?}; cutting the connection", $limit);
                Err(WriteEnd::Stalled)
            }
        }
    }};
}

/// Reads and writes one WebSocket until either side ends it. A write that takes longer than
/// `write_timeout` cuts the connection.
pub(crate) async fn run_websocket<S>(
    socket: WebSocketStream<S>,
    link: WsLink,
    mut frames: mpsc::UnboundedReceiver<Box<WsOut>>,
    inputs: mpsc::Sender<Box<SessionInput>>,
    write_timeout: Duration,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let (mut sink, mut stream) = socket.split();
    let id = link.id;
    let progress = link.progress.clone();
    // The session holds the link (and so the sender of `frames`); drop ours so the writer ends
    // when the session lets go.
    drop(link);
    let (stop_reader, mut reader_stopped) = oneshot::channel::<()>();

    let reader_inputs = inputs.clone();
    let reader = async move {
        loop {
            let message = tokio::select! {
                message = stream.next() => message,
                _ = &mut reader_stopped => break,
            };
            let input = match message {
                Some(Ok(Message::Text(text))) => SessionInput::WsText {
                    link: id,
                    text: text.as_str().to_owned(),
                },
                Some(Ok(Message::Binary(data))) => SessionInput::WsBinary { link: id, data },
                // Control frames are answered by the WebSocket library.
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
            };
            if reader_inputs.send(Box::new(input)).await.is_err() {
                break;
            }
        }
        let _ = reader_inputs
            .send(Box::new(SessionInput::WsClosed { link: id }))
            .await;
    };

    let cut = progress.clone();
    let writer = async move {
        let stall = tokio::time::sleep(Duration::ZERO);
        tokio::pin!(stall);
        while let Some(first) = frames.recv().await {
            // Feed every frame that is already waiting, then flush once: a burst of events
            // becomes one write instead of one per frame. The latency fault holds each frame
            // back, so it flushes frame by frame as before.
            let mut next = Some(first);
            let mut events = 0;
            let mut bytes = 0;
            while let Some(out) = next.take() {
                let latency = Duration::from_millis(progress.latency_ms.load(Ordering::Relaxed));
                if !latency.is_zero() {
                    if let Err(end) = within!(stall, write_timeout, sink.flush()) {
                        return end.is_stall();
                    }
                    tokio::time::sleep_until(out.queued_at + latency).await;
                }
                bytes += out.frame.len();
                let result = match out.frame {
                    WsFrame::Text(text) => {
                        within!(stall, write_timeout, sink.feed(Message::text(text)))
                    }
                    // The room's one encoding: a reference, not a copy, until tungstenite
                    // writes it into its buffer.
                    WsFrame::Shared(text) => {
                        let text = Utf8Bytes::clone(&text);
                        within!(stall, write_timeout, sink.feed(Message::Text(text)))
                    }
                    WsFrame::Binary(bytes) => {
                        within!(stall, write_timeout, sink.feed(Message::binary(bytes)))
                    }
                    WsFrame::Close(close) => {
                        let reason = truncate_reason(close.reason);
                        let frame = CloseFrame {
                            code: CloseCode::from(close.code),
                            reason: reason.into(),
                        };
                        let sent =
                            within!(stall, write_timeout, sink.send(Message::Close(Some(frame))));
                        return sent.is_err_and(WriteEnd::is_stall);
                    }
                    // The frames fed before the cut still go out (a drop-after-N fault
                    // delivers its N events), then the connection is cut.
                    WsFrame::Abort => {
                        let _ = within!(stall, write_timeout, sink.flush());
                        return true;
                    }
                };
                if let Err(end) = result {
                    return end.is_stall();
                }
                events += usize::from(out.is_event);
                if events < 64 {
                    next = frames.try_recv().ok();
                }
            }
            let result = within!(stall, write_timeout, sink.flush());
            progress.unsent_bytes.fetch_sub(bytes, Ordering::Relaxed);
            if events > 0 {
                progress.in_flight.fetch_sub(events, Ordering::Relaxed);
                progress.written.notify_one();
            }
            if let Err(end) = result {
                return end.is_stall();
            }
        }
        // The session let go without a close frame (it ended): close politely.
        let _ = within!(stall, write_timeout, sink.send(Message::Close(None)));
        false
    };

    tokio::pin!(reader, writer);
    tokio::select! {
        _ = &mut reader => {
            // The client left; the writer ends when the session drops the link (or is cut).
            tokio::select! {
                _ = &mut writer => {}
                _ = cut.cut.notified() => {}
            }
        }
        // A slow client is cut without waiting for its stalled write: both halves drop.
        _ = cut.cut.notified() => {}
        aborted = &mut writer => {
            // After a close frame, give the client a moment to answer it; after an abort, stop
            // reading at once.
            let wait = if aborted { Duration::ZERO } else { CLOSE_REPLY_WAIT };
            if tokio::time::timeout(wait, &mut reader).await.is_err() {
                let _ = stop_reader.send(());
                let _ = reader.await;
            }
        }
    }
    // Both halves drop here, which closes the connection (at once for an abort).
}

/// A WebSocket close reason is at most 123 bytes (125 minus the code).
fn truncate_reason(mut reason: String) -> String {
    if reason.len() > 123 {
        reason.truncate(sio_session::floor_char_boundary(&reason, 123));
    }
    reason
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::messages::WsClose;
    use tokio::time::Instant;

    /// A server-side WebSocket task over an in-memory pipe, and the client end.
    async fn pipe() -> (
        WebSocketStream<tokio::io::DuplexStream>,
        WsLink,
        mpsc::Receiver<Box<SessionInput>>,
        tokio::task::JoinHandle<()>,
    ) {
        let (server_io, client_io) = tokio::io::duplex(64 * 1024);
        let server = WebSocketStream::from_raw_socket(server_io, Role::Server, None).await;
        let client = WebSocketStream::from_raw_socket(client_io, Role::Client, None).await;
        let (link, frames) = WsLink::new();
        let (inputs, session) = mpsc::channel(8);
        let task = tokio::spawn(run_websocket(
            server,
            link.clone(),
            frames,
            inputs,
            Duration::from_secs(10),
        ));
        (client, link, session, task)
    }

    fn out(frame: WsFrame, is_event: bool) -> Box<WsOut> {
        Box::new(WsOut {
            frame,
            queued_at: Instant::now(),
            is_event,
        })
    }

    #[tokio::test(start_paused = true)]
    async fn latency_holds_each_frame_back_and_the_window_counts_written_events() {
        let (mut client, link, _session, _task) = pipe().await;
        link.progress.latency_ms.store(300, Ordering::Relaxed);
        link.progress.in_flight.store(2, Ordering::Relaxed);
        let start = Instant::now();
        link.frames
            .send(out(WsFrame::Text("42[\"a\"]".into()), true))
            .unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        link.frames
            .send(out(WsFrame::Text("42[\"b\"]".into()), true))
            .unwrap();
        let first = client.next().await.unwrap().unwrap();
        assert_eq!(first, Message::text("42[\"a\"]"));
        assert_eq!(start.elapsed(), Duration::from_millis(300));
        let second = client.next().await.unwrap().unwrap();
        assert_eq!(second, Message::text("42[\"b\"]"));
        assert_eq!(
            start.elapsed(),
            Duration::from_millis(400),
            "latency, not a slower pace"
        );
        assert_eq!(link.progress.in_flight.load(Ordering::Relaxed), 0);
    }

    /// An in-memory stream that counts the writes made to it.
    struct CountingWrites {
        inner: tokio::io::DuplexStream,
        writes: Arc<std::sync::atomic::AtomicUsize>,
    }

    impl tokio::io::AsyncRead for CountingWrites {
        fn poll_read(
            self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
            buf: &mut tokio::io::ReadBuf<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::pin::Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
        }
    }

    impl tokio::io::AsyncWrite for CountingWrites {
        fn poll_write(
            self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
            buf: &[u8],
        ) -> std::task::Poll<std::io::Result<usize>> {
            let this = self.get_mut();
            let poll = std::pin::Pin::new(&mut this.inner).poll_write(cx, buf);
            if matches!(poll, std::task::Poll::Ready(Ok(_))) {
                this.writes.fetch_add(1, Ordering::Relaxed);
            }
            poll
        }
        fn poll_flush(
            self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::pin::Pin::new(&mut self.get_mut().inner).poll_flush(cx)
        }
        fn poll_shutdown(
            self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::pin::Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
        }
    }

    #[tokio::test(start_paused = true)]
    async fn queued_frames_go_out_in_one_write_and_leave_the_window() {
        let (server_io, client_io) = tokio::io::duplex(64 * 1024);
        let writes = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counting = CountingWrites {
            inner: server_io,
            writes: writes.clone(),
        };
        let server = WebSocketStream::from_raw_socket(counting, Role::Server, None).await;
        let mut client = WebSocketStream::from_raw_socket(client_io, Role::Client, None).await;
        let (link, frames) = WsLink::new();
        // Ten events wait in the channel before the writer first looks at it.
        for n in 0..10 {
            link.frames
                .send(out(WsFrame::Text(format!("42[\"e\",{n}]")), true))
                .unwrap();
        }
        link.progress.in_flight.store(10, Ordering::Relaxed);
        let (inputs, _session) = mpsc::channel(8);
        let _task = tokio::spawn(run_websocket(
            server,
            link.clone(),
            frames,
            inputs,
            Duration::from_secs(10),
        ));
        for n in 0..10 {
            let message = client.next().await.unwrap().unwrap();
            assert_eq!(message, Message::text(format!("42[\"e\",{n}]")));
        }
        assert_eq!(
            writes.load(Ordering::Relaxed),
            1,
            "one write for the burst, not one per frame"
        );
        assert_eq!(link.progress.in_flight.load(Ordering::Relaxed), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn frames_from_the_client_reach_the_session_tagged_with_the_link() {
        let (mut client, link, mut session, _task) = pipe().await;
        client.send(Message::text("3")).await.unwrap();
        client.send(Message::binary(vec![1u8, 2, 3])).await.unwrap();
        match *session.recv().await.unwrap() {
            SessionInput::WsText { link: id, text } => {
                assert_eq!(id, link.id);
                assert_eq!(text, "3");
            }
            other => panic!("expected text, got {other:?}"),
        }
        assert!(matches!(
            *session.recv().await.unwrap(),
            SessionInput::WsBinary { data, .. } if data.as_ref() == [1, 2, 3]
        ));
        drop(client);
        assert!(
            matches!(*session.recv().await.unwrap(), SessionInput::WsClosed { link: id } if id == link.id)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn close_sends_the_code_and_reason() {
        let (mut client, link, _session, task) = pipe().await;
        link.frames
            .send(out(
                WsFrame::Close(Box::new(WsClose {
                    code: 4000,
                    reason: "maintenance".into(),
                })),
                false,
            ))
            .unwrap();
        let Some(Ok(Message::Close(Some(frame)))) = client.next().await else {
            panic!("expected a close frame");
        };
        assert_eq!(u16::from(frame.code), 4000);
        assert_eq!(frame.reason.as_str(), "maintenance");
        drop(client);
        tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .unwrap()
            .unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn abort_cuts_the_connection_without_a_close_frame() {
        let (mut client, link, _session, task) = pipe().await;
        link.frames
            .send(out(WsFrame::Text("42[\"last\"]".into()), true))
            .unwrap();
        link.frames.send(out(WsFrame::Abort, false)).unwrap();
        assert_eq!(
            client.next().await.unwrap().unwrap(),
            Message::text("42[\"last\"]")
        );
        tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .unwrap()
            .unwrap();
        match client.next().await {
            Some(Ok(Message::Close(_))) => panic!("an abort sends no close frame"),
            Some(Ok(other)) => panic!("unexpected {other:?}"),
            Some(Err(_)) | None => {}
        }
    }

    #[test]
    fn upgrade_detection_reads_comma_separated_tokens() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONNECTION,
            HeaderValue::from_static("keep-alive, Upgrade"),
        );
        headers.insert(header::UPGRADE, HeaderValue::from_static("WebSocket"));
        assert!(is_upgrade_request(&headers));
        headers.insert(header::UPGRADE, HeaderValue::from_static("h2c"));
        assert!(!is_upgrade_request(&headers));
    }

    #[test]
    fn close_reasons_are_cut_on_a_char_boundary() {
        let reason = truncate_reason("é".repeat(100));
        assert!(reason.len() <= 123);
        assert!(reason.chars().all(|c| c == 'é'));
    }
}
