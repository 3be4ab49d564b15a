//! [`Observer`]: one bounded, lossy fan-out of capture records from live sources to views.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use sio_capture::Record;
use tokio::sync::broadcast;

/// How many records a subscriber may fall behind before it loses the oldest, by default.
pub const DEFAULT_CAPACITY: usize = 4096;

/// The stream of records that live sources publish and views subscribe to.
///
/// Cloning an `Observer` gives another handle to the same stream. [`Observer::publish`] never
/// blocks and never fails: with no subscriber the record is dropped, and a subscriber that is
/// more than the capacity behind skips the oldest records (it is told how many).
///
/// ```
/// use sio_capture::{Direction, FrameRecord, Record};
/// use sio_ui::{Observed, Observer};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let observer = Observer::new(2);
/// let mut view = observer.subscribe();
/// for i in 0..3 {
///     observer.publish(Record::Frame(FrameRecord::text(f64::from(i), 1, Direction::Server, "2")));
/// }
/// // The view was 3 records behind a stream that keeps 2: it skipped the oldest.
/// assert!(matches!(view.next().await, Observed::Skipped(1)));
/// assert!(matches!(view.next().await, Observed::Record(r) if r.t_ms() == 1.0));
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct Observer {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    tx: broadcast::Sender<Arc<Record>>,
    published: AtomicU64,
}

/// One view's place in the stream; made by [`Observer::subscribe`].
#[derive(Debug)]
pub struct Subscription {
    rx: broadcast::Receiver<Arc<Record>>,
}

/// What a [`Subscription`] reads next.
#[derive(Debug, Clone)]
pub enum Observed {
    /// The next record.
    Record(Arc<Record>),
    /// This many records were dropped because the subscriber fell behind; the stream goes on
    /// after them.
    Skipped(u64),
    /// Every [`Observer`] handle is gone: the stream has ended.
    Closed,
}

impl Observer {
    /// A stream where each subscriber may fall `capacity` records behind (at least 1).
    pub fn new(capacity: usize) -> Self {
        let (tx, _) = broadcast::channel(capacity.max(1));
        Observer {
            inner: Arc::new(Inner {
                tx,
                published: AtomicU64::new(0),
            }),
        }
    }

    /// Publishes one record to every current subscriber, without waiting.
    pub fn publish(&self, record: Record) {
        self.inner.published.fetch_add(1, Ordering::Relaxed);
        // An error only means there is no subscriber right now.
        let _ = self.inner.tx.send(Arc::new(record));
    }

    /// A new subscriber, which sees the records published from now on.
    pub fn subscribe(&self) -> Subscription {
        Subscription {
            rx: self.inner.tx.subscribe(),
        }
    }

    /// Records published so far, whether or not anyone saw them.
    pub fn published(&self) -> u64 {
        self.inner.published.load(Ordering::Relaxed)
    }

    /// Subscribers now.
    pub fn subscribers(&self) -> usize {
        self.inner.tx.receiver_count()
    }
}

impl Default for Observer {
    fn default() -> Self {
        Observer::new(DEFAULT_CAPACITY)
    }
}

impl Subscription {
    /// The next record, a count of skipped records, or the end of the stream.
    pub async fn next(&mut self) -> Observed {
        match self.rx.recv().await {
            Ok(record) => Observed::Record(record),
            Err(broadcast::error::RecvError::Lagged(n)) => Observed::Skipped(n),
            Err(broadcast::error::RecvError::Closed) => Observed::Closed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sio_capture::{Direction, FrameRecord};

    fn frame(i: u32) -> Record {
        Record::Frame(FrameRecord::text(f64::from(i), 1, Direction::Server, "2"))
    }

    #[tokio::test]
    async fn a_subscriber_in_step_sees_every_record_in_order() {
        let observer = Observer::new(8);
        let mut view = observer.subscribe();
        for i in 0..5 {
            observer.publish(frame(i));
        }
        for i in 0..5 {
            match view.next().await {
                Observed::Record(r) => assert_eq!(r.t_ms(), f64::from(i)),
                other => panic!("expected record {i}, got {other:?}"),
            }
        }
        assert_eq!(observer.published(), 5);
    }

    #[tokio::test]
    async fn a_slow_subscriber_skips_the_oldest_and_is_told_how_many() {
        let observer = Observer::new(4);
        let mut slow = observer.subscribe();
        for i in 0..10 {
            observer.publish(frame(i));
        }
        assert!(matches!(slow.next().await, Observed::Skipped(6)));
        match slow.next().await {
            Observed::Record(r) => assert_eq!(r.t_ms(), 6.0),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn publishing_with_no_subscriber_is_dropped_and_the_stream_ends_with_its_handles() {
        let observer = Observer::new(4);
        observer.publish(frame(0));
        let mut view = observer.subscribe();
        assert_eq!(observer.subscribers(), 1);
        drop(observer);
        assert!(matches!(view.next().await, Observed::Closed));
    }
}
