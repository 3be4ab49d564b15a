//! [`TeeBody`]: relays a body frame by frame as it arrives, keeping a bounded copy for the
//! capture. A long-poll's response is held by the server for up to pingInterval +
//! pingTimeout; nothing here waits for a body to end before passing a byte on.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use tokio::sync::oneshot;

/// What a [`TeeBody`] saw, sent when the body ends or is dropped.
#[derive(Debug, Default)]
pub(crate) struct Teed {
    /// The body's first bytes, at most the limit.
    pub(crate) bytes: Vec<u8>,
    /// More bytes passed than the copy kept.
    pub(crate) truncated: bool,
    /// Why the body did not end normally (a read error, or dropped before its end).
    pub(crate) error: Option<String>,
}

/// A body relayed unchanged while a bounded copy is kept; see the module docs.
#[derive(Debug)]
pub(crate) struct TeeBody {
    inner: Incoming,
    limit: usize,
    teed: Teed,
    done: Option<oneshot::Sender<Teed>>,
}

impl TeeBody {
    /// Wraps `inner`, copying at most `limit` bytes; the receiver gets the copy at the end.
    pub(crate) fn new(inner: Incoming, limit: usize) -> (Self, oneshot::Receiver<Teed>) {
        let (tx, rx) = oneshot::channel();
        let body = TeeBody {
            inner,
            limit,
            teed: Teed::default(),
            done: Some(tx),
        };
        (body, rx)
    }

    fn finish(&mut self, error: Option<String>) {
        if let Some(done) = self.done.take() {
            let mut teed = std::mem::take(&mut self.teed);
            teed.error = error;
            // The receiver may be gone (the exchange was abandoned); nothing to do then.
            let _ = done.send(teed);
        }
    }
}

impl Body for TeeBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = &mut *self;
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    let room = this.limit.saturating_sub(this.teed.bytes.len());
                    let kept = room.min(data.len());
                    this.teed.bytes.extend_from_slice(&data[..kept]);
                    this.teed.truncated |= kept < data.len();
                }
                if this.inner.is_end_stream() {
                    this.finish(None);
                }
            }
            Poll::Ready(Some(Err(err))) => this.finish(Some(err.to_string())),
            Poll::Ready(None) => this.finish(None),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for TeeBody {
    fn drop(&mut self) {
        // A body that was empty from the start is never polled; one dropped midway was cut.
        let error = (!self.inner.is_end_stream()).then(|| "body cut off before its end".to_owned());
        self.finish(error);
    }
}
