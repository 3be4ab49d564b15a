//! The byte relay of one upgraded WebSocket: each direction is copied as it is read, never
//! re-framed, and the copy is fed to a passive observer whose events go to the recorder.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use ws_passive::{Direction, Observer, WsEvent};

use crate::state::Shared;
use crate::traffic::Traffic;

/// How long the other direction may go on once one direction ended (its peer should close
/// too; one that does not is cut).
const LINGER: Duration = Duration::from_secs(5);

/// Read buffer per direction.
const CHUNK: usize = 16 * 1024;

/// How one direction ended.
#[derive(Debug)]
enum End {
    /// Its sender closed the connection (end of stream).
    Closed,
    /// Reading from its sender failed.
    ReadFailed(String),
    /// Writing to its receiver failed.
    WriteFailed(String),
}

/// Relays `client` and `upstream` until both ends closed (or the proxy stops), then tells the
/// recorder why the connection ended.
pub(crate) async fn run(
    client: Upgraded,
    upstream: Upgraded,
    observer: Observer,
    id: u64,
    shared: &Arc<Shared>,
) {
    let (client_read, client_write) = tokio::io::split(TokioIo::new(client));
    let (upstream_read, upstream_write) = tokio::io::split(TokioIo::new(upstream));
    let observer = Mutex::new(Observed {
        observer,
        close: None,
    });
    let up = pump(
        client_read,
        upstream_write,
        Direction::ClientToServer,
        &observer,
        id,
        shared,
    );
    let down = pump(
        upstream_read,
        client_write,
        Direction::ServerToClient,
        &observer,
        id,
        shared,
    );
    tokio::pin!(up, down);
    let mut stopping = shared.stopping.clone();
    let reason = tokio::select! {
        end = &mut up => {
            let other = tokio::time::timeout(LINGER, &mut down).await;
            describe(Direction::ClientToServer, &end, other.ok().as_ref())
        }
        end = &mut down => {
            let other = tokio::time::timeout(LINGER, &mut up).await;
            describe(Direction::ServerToClient, &end, other.ok().as_ref())
        }
        () = crate::state::stopped(&mut stopping) => "proxy stopped".to_owned(),
    };
    // The first close frame says more than who hung up first.
    let reason = observer
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .close
        .take()
        .unwrap_or(reason);
    let t_ms = shared.clock.t_ms();
    shared.record(Traffic::WsClosed { id, t_ms, reason }).await;
}

/// The observer, and the first close frame it saw, in words.
#[derive(Debug)]
struct Observed {
    observer: Observer,
    close: Option<String>,
}

/// A reason for the capture: who ended the connection, and how.
fn describe(first: Direction, end: &End, second: Option<&End>) -> String {
    let mut reason = match end {
        End::Closed => format!("{} closed the connection", who(first)),
        End::ReadFailed(err) => format!("reading from the {} failed: {err}", who(first)),
        End::WriteFailed(err) => format!("writing to the {} failed: {err}", who(other(first))),
    };
    if second.is_none() {
        reason.push_str(&format!(
            "; the {} did not close within {} s",
            who(other(first)),
            LINGER.as_secs()
        ));
    }
    reason
}

const fn who(direction: Direction) -> &'static str {
    match direction {
        Direction::ClientToServer => "client",
        Direction::ServerToClient => "upstream",
    }
}

const fn other(direction: Direction) -> Direction {
    match direction {
        Direction::ClientToServer => Direction::ServerToClient,
        Direction::ServerToClient => Direction::ClientToServer,
    }
}

/// Copies one direction until its sender closes, feeding the observer after each write (so
/// decoding never delays the relay).
async fn pump(
    mut from: impl AsyncRead + Unpin,
    mut to: impl AsyncWrite + Unpin,
    direction: Direction,
    observer: &Mutex<Observed>,
    id: u64,
    shared: &Shared,
) -> End {
    let mut buf = vec![0u8; CHUNK];
    let mut events = Vec::new();
    let end = loop {
        let n = match from.read(&mut buf).await {
            Ok(0) => break End::Closed,
            Ok(n) => n,
            Err(err) => break End::ReadFailed(err.to_string()),
        };
        if let Err(err) = to.write_all(&buf[..n]).await {
            break End::WriteFailed(err.to_string());
        }
        if let Err(err) = to.flush().await {
            break End::WriteFailed(err.to_string());
        }
        observe(observer, direction, Some(&buf[..n]), &mut events);
        send(shared, id, &mut events).await;
    };
    // Pass the end of stream on, so the other peer sees the close as it happened.
    let _ = to.shutdown().await;
    // A sender that stopped (or broke) inside a frame is worth a decode error; bytes left
    // unread because the receiver went away are not: the frame was never cut.
    if !matches!(end, End::WriteFailed(_)) {
        observe(observer, direction, None, &mut events);
        send(shared, id, &mut events).await;
    }
    end
}

/// Feeds `bytes` (or the end of the stream) and collects what the observer reported.
fn observe(
    observer: &Mutex<Observed>,
    direction: Direction,
    bytes: Option<&[u8]>,
    events: &mut Vec<WsEvent>,
) {
    // A panic elsewhere while holding the lock leaves a usable observer: take it anyway.
    let mut observed = observer.lock().unwrap_or_else(PoisonError::into_inner);
    let Observed { observer, close } = &mut *observed;
    match bytes {
        Some(bytes) => observer.feed(direction, bytes),
        None => observer.finish(direction),
    }
    while let Some(event) = observer.poll_event() {
        if let (
            None,
            WsEvent::Close {
                direction,
                code,
                reason,
            },
        ) = (&close, &event)
        {
            let mut text = match code {
                Some(code) => format!("close {code} from the {}", who(*direction)),
                None => format!("close from the {}", who(*direction)),
            };
            if !reason.is_empty() {
                text.push_str(&format!(": {reason}"));
            }
            *close = Some(text);
        }
        events.push(event);
    }
}

async fn send(shared: &Shared, id: u64, events: &mut Vec<WsEvent>) {
    if events.is_empty() {
        return;
    }
    let t_ms = shared.clock.t_ms();
    for event in events.drain(..) {
        shared.record(Traffic::Ws { id, t_ms, event }).await;
    }
}
