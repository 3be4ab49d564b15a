//! The messages between a session task and everything that talks to it: the transports
//! (WebSocket frames, long-polling requests), the hub and the admin API. A module of its own
//! so that both sides import it and neither imports the other (quinn-proto's `shared.rs`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use sio_session::RequestError;
use tokio::sync::{Notify, mpsc, oneshot};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Utf8Bytes;

use crate::fault::FaultPlan;

/// At most this many event frames are handed to a WebSocket writer and not yet written; the
/// rest wait in the session's send queue, where the slow-client policy applies.
pub(crate) const WRITE_WINDOW: usize = 32;

/// What a session task is told. It travels boxed (`Box<SessionInput>`): each session's input
/// channel allocates a block of 32 slots when it is created, and 8-byte slots keep that block
/// small in every idle connection, so the variants themselves need no boxing.
#[derive(Debug)]
pub(crate) enum SessionInput {
    /// From the admin API.
    Command(SessionCommand),
    /// A long-polling `GET`; answered when the session has something to send.
    PollGet { reply: oneshot::Sender<PollAnswer> },
    /// A long-polling `POST`'s headers arrived.
    PostBegin {
        reply: oneshot::Sender<Result<(), RequestError>>,
    },
    /// A long-polling `POST`'s body.
    PostBody {
        body: Bytes,
        reply: oneshot::Sender<Result<(), RequestError>>,
    },
    /// A WebSocket for this session (an upgrade from long-polling).
    AttachWebSocket {
        link: WsLink,
        reply: oneshot::Sender<Result<(), RequestError>>,
    },
    /// A text frame from WebSocket `link`.
    WsText { link: u64, text: String },
    /// A binary frame from WebSocket `link`.
    WsBinary { link: u64, data: Bytes },
    /// WebSocket `link` closed or failed.
    WsClosed { link: u64 },
}

/// The answer to a long-polling `GET`.
#[derive(Debug)]
pub(crate) enum PollAnswer {
    /// HTTP 200 with this payload, after `latency`.
    Body { body: String, latency: Duration },
    /// HTTP 400 (or 403/413) with Engine.IO's error JSON.
    Refused(RequestError),
    /// Cut the connection without an answer (the "drop the connection" fault).
    Abort,
}

/// A frame for a WebSocket writer.
#[derive(Debug)]
pub(crate) struct WsOut {
    pub(crate) frame: WsFrame,
    /// When it was handed over; a latency fault holds it until `queued_at + latency`.
    pub(crate) queued_at: Instant,
    /// Counted in the write window.
    pub(crate) is_event: bool,
}

/// What a WebSocket writer writes. The rare variants are boxed so that the frequent one,
/// `Text`, decides the size: the `WsOut` channel allocates 32 slots at its creation, per
/// connection.
#[derive(Debug)]
pub(crate) enum WsFrame {
    Text(String),
    /// A text frame encoded once and written by many writers (a live room's event, see
    /// `replay/fanout.rs`).
    Shared(SharedText),
    Binary(Box<[u8]>),
    Close(Box<WsClose>),
    Abort,
}

/// The text of a frame shared by many writers: one allocation, each writer holding a reference
/// (behind an `Arc` so that [`WsFrame`] stays small).
pub(crate) type SharedText = Arc<Utf8Bytes>;

/// A close frame for a WebSocket writer.
#[derive(Debug)]
pub(crate) struct WsClose {
    pub(crate) code: u16,
    pub(crate) reason: String,
}

/// The session's side of one WebSocket: where to send frames and how far the writer is.
///
/// The channel carries boxes: tokio's unbounded channel allocates a block of 32 slots when it
/// is created, and a slot of `Box<WsOut>` is 8 bytes where `WsOut` is 48, which keeps 1.25 KB
/// out of every idle connection's resident memory for one small allocation per frame (a
/// room's event to 1000 members: 1000 allocations beside 1000 socket writes that each cost
/// about 200 times as much).
#[derive(Debug, Clone)]
pub(crate) struct WsLink {
    pub(crate) id: u64,
    pub(crate) frames: mpsc::UnboundedSender<Box<WsOut>>,
    pub(crate) progress: Arc<WsProgress>,
}

/// Shared between a session and its WebSocket writer.
#[derive(Debug, Default)]
pub(crate) struct WsProgress {
    /// Event frames handed over and not yet written.
    pub(crate) in_flight: AtomicUsize,
    /// Bytes of frames (of every kind) handed over and not yet written.
    pub(crate) unsent_bytes: AtomicUsize,
    /// Woken each time the writer writes an event frame.
    pub(crate) written: Notify,
    /// Notified when the session cuts a slow client: the writer stops at once, even in the
    /// middle of a write the client does not read.
    pub(crate) cut: Notify,
    /// The latency fault, in milliseconds.
    pub(crate) latency_ms: AtomicU64,
}

static NEXT_LINK: AtomicU64 = AtomicU64::new(1);

impl WsLink {
    /// A new link and the receiving end its writer drains.
    pub(crate) fn new() -> (Self, mpsc::UnboundedReceiver<Box<WsOut>>) {
        let (frames, receiver) = mpsc::unbounded_channel();
        let link = Self {
            id: NEXT_LINK.fetch_add(1, Ordering::Relaxed),
            frames,
            progress: Arc::new(WsProgress::default()),
        };
        (link, receiver)
    }

    pub(crate) fn send(&self, frame: WsFrame, is_event: bool) {
        self.send_at(frame, is_event, Instant::now());
    }

    /// [`send`](Self::send), handed over at `queued_at` (a room writing one event to many
    /// members reads the clock once).
    pub(crate) fn send_at(&self, frame: WsFrame, is_event: bool, queued_at: Instant) {
        if is_event {
            self.progress.in_flight.fetch_add(1, Ordering::Relaxed);
        }
        self.progress
            .unsent_bytes
            .fetch_add(frame.len(), Ordering::Relaxed);
        // The writer may be gone (the client left); the session learns that from WsClosed.
        let _ = self.frames.send(Box::new(WsOut {
            frame,
            queued_at,
            is_event,
        }));
    }

    pub(crate) fn window_full(&self) -> bool {
        self.progress.in_flight.load(Ordering::Relaxed) >= WRITE_WINDOW
    }

    /// Bytes handed to the writer and not yet written.
    pub(crate) fn unsent_bytes(&self) -> usize {
        self.progress.unsent_bytes.load(Ordering::Relaxed)
    }
}

impl WsFrame {
    /// The bytes this frame puts on the wire (payload only), as counted in
    /// [`WsProgress::unsent_bytes`].
    pub(crate) fn len(&self) -> usize {
        match self {
            WsFrame::Text(text) => text.len(),
            WsFrame::Shared(text) => text.len(),
            WsFrame::Binary(bytes) => bytes.len(),
            WsFrame::Close(close) => close.reason.len() + 2,
            WsFrame::Abort => 0,
        }
    }
}

/// What the admin API (or the hub) asks of a session task.
#[derive(Debug, Clone)]
pub(crate) enum SessionCommand {
    /// Send an EVENT in `namespace` (if the client joined it); `data` is the JSON array
    /// `["name", ...args]`.
    Emit {
        /// The namespace.
        namespace: Arc<str>,
        /// The payload array.
        data: Arc<str>,
    },
    /// Send an Engine.IO text frame exactly as given (e.g. a malformed one).
    SendRaw(String),
    /// Close the session cleanly with this reason.
    Disconnect(String),
    /// Replace the session's faults (boxed: the plan is large, and every session's input
    /// channel allocates slots the size of its largest message).
    SetFaults(Box<FaultPlan>),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_slots_stay_small() {
        // Each channel allocates a block of 32 slots at creation: its messages travel boxed, so
        // a slot is one pointer (48 bytes unboxed: 1.25 KB more per idle connection).
        fn slot<T>(_: &mpsc::UnboundedSender<T>) -> usize {
            std::mem::size_of::<T>()
        }
        let (link, _frames) = WsLink::new();
        assert_eq!(slot(&link.frames), std::mem::size_of::<usize>());
        // What is allocated per frame and per input.
        assert!(std::mem::size_of::<WsFrame>() <= 24);
        assert!(std::mem::size_of::<WsOut>() <= 48);
        assert!(std::mem::size_of::<SessionInput>() <= 64);
    }
}
