//! [`Observer`]: one bounded, lossy fan-out of capture records from live sources to views.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

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
    tx: broadcast::Sender<Numbered>,
    /// The last sequence number given and the recent records, under one lock so that a view
    /// that takes the history and subscribes at once misses nothing and sees nothing twice.
    state: Mutex<Kept>,
    published: AtomicU64,
    budget: Option<Arc<Budget>>,
}

/// A source-side limit on records per second: past it, [`Observer::publish_with`] does not
/// even build the record (no allocation, no copy, no lock), only counts it. A busy mock fanning
/// out hundreds of thousands of frames a second then pays a clock read and two atomic
/// additions per frame for its web view, instead of a copy of each frame under a shared lock;
/// no person reads faster than the budget anyway, and every view is told what was left out.
#[derive(Debug)]
struct Budget {
    per_second: u64,
    epoch: Instant,
    /// The second (since `epoch`) the count is for.
    second: AtomicU64,
    /// Records admitted in that second.
    admitted: AtomicU64,
    /// Records left out since the start, for [`Observer::dropped`] and the views.
    dropped: AtomicU64,
}

impl Budget {
    /// True when one more record fits in this second's budget.
    fn admit(&self) -> bool {
        let now = self.epoch.elapsed().as_secs();
        let second = self.second.load(Ordering::Relaxed);
        if now != second
            && self
                .second
                .compare_exchange(second, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            self.admitted.store(0, Ordering::Relaxed);
        }
        if self.admitted.fetch_add(1, Ordering::Relaxed) < self.per_second {
            return true;
        }
        self.dropped.fetch_add(1, Ordering::Relaxed);
        false
    }
}

#[derive(Debug)]
struct Kept {
    last_seq: u64,
    history: History,
}

/// The most recent records, bounded in bytes, for a view that opens after they were published
/// (a browser tab opened late, or reloaded).
#[derive(Debug)]
struct History {
    records: VecDeque<(u64, Arc<Record>)>,
    bytes: usize,
    max_bytes: usize,
}

/// A record with its place in the stream: sequence numbers start at 1 and have no holes, so a
/// view can tell what it missed.
#[derive(Debug, Clone)]
pub struct Numbered {
    /// The record's sequence number.
    pub seq: u64,
    /// The record.
    pub record: Arc<Record>,
}

/// One view's place in the stream; made by [`Observer::subscribe`].
#[derive(Debug)]
pub struct Subscription {
    rx: broadcast::Receiver<Numbered>,
    /// The source's budget, whose drop count this view reads (not the whole stream: a
    /// subscription must not keep the stream open once its sources are gone).
    budget: Option<Arc<Budget>>,
    /// The source-side drop count this view has been told of.
    dropped_seen: u64,
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

/// What [`Observer::subscribe_after`] returns: the kept records after the asked-for number,
/// how many between were no longer kept, and the live subscription that goes on after them.
#[derive(Debug)]
pub struct Catchup {
    /// Records already published, oldest first.
    pub records: Vec<Numbered>,
    /// Records published after the asked-for number that the history no longer holds.
    pub skipped: u64,
    /// The records published from now on.
    pub subscription: Subscription,
}

/// The bytes a kept record is counted for: its text fields plus a fixed overhead for the
/// allocation and the fields that are not text.
fn record_bytes(record: &Record) -> usize {
    const OVERHEAD: usize = 96;
    OVERHEAD
        + match record {
            Record::Frame(frame) => frame.data.len(),
            Record::Http(http) => {
                http.url.len()
                    + http.body.len()
                    + http.request_body.as_ref().map_or(0, String::len)
                    + http
                        .request_headers
                        .iter()
                        .chain(&http.response_headers)
                        .chain(&http.query)
                        .map(|(k, v)| k.len() + v.len() + 16)
                        .sum::<usize>()
            }
            Record::Conn(conn) => {
                conn.sid.as_ref().map_or(0, String::len)
                    + conn.remote.as_ref().map_or(0, String::len)
                    + conn.url.as_ref().map_or(0, String::len)
                    + conn.reason.as_ref().map_or(0, String::len)
            }
            Record::Gap(gap) => gap.reason.as_ref().map_or(0, String::len),
            Record::Header(header) => {
                header.source.len() + header.url.as_ref().map_or(0, String::len)
            }
        }
}

impl History {
    fn push(&mut self, seq: u64, record: Arc<Record>) {
        if self.max_bytes == 0 {
            return;
        }
        self.bytes += record_bytes(&record);
        self.records.push_back((seq, record));
        while self.bytes > self.max_bytes {
            let Some((_, old)) = self.records.pop_front() else {
                break;
            };
            self.bytes -= record_bytes(&old);
        }
    }
}

impl Observer {
    /// A stream where each subscriber may fall `capacity` records behind (at least 1), keeping
    /// no history.
    pub fn new(capacity: usize) -> Self {
        Observer::with_history(capacity, 0)
    }

    /// A stream where each subscriber may fall `capacity` records behind (at least 1), which
    /// also keeps the most recent records, up to about `history_bytes`, for views that
    /// subscribe later ([`Observer::subscribe_after`]).
    pub fn with_history(capacity: usize, history_bytes: usize) -> Self {
        let (tx, _) = broadcast::channel(capacity.max(1));
        Observer {
            inner: Arc::new(Inner {
                tx,
                state: Mutex::new(Kept {
                    last_seq: 0,
                    history: History {
                        records: VecDeque::new(),
                        bytes: 0,
                        max_bytes: history_bytes,
                    },
                }),
                published: AtomicU64::new(0),
                budget: None,
            }),
        }
    }

    /// This stream, admitting at most `per_second` records a second from its sources (at
    /// least 1); the rest are counted, not built, and views read them as skipped. To be set
    /// before the first handle is cloned.
    ///
    /// ```
    /// use sio_capture::{Direction, FrameRecord, Record};
    /// use sio_ui::{Observed, Observer};
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
    /// let observer = Observer::new(64).with_rate_limit(10);
    /// let mut view = observer.subscribe();
    /// let mut built = 0;
    /// for i in 0..25 {
    ///     observer.publish_with(|| {
    ///         built += 1;
    ///         Record::Frame(FrameRecord::text(f64::from(i), 1, Direction::Server, "2"))
    ///     });
    /// }
    /// // Within one second only 10 records were built; 15 were counted.
    /// assert!(built >= 10 && built < 25);
    /// assert_eq!(observer.dropped(), 25 - built);
    /// # });
    /// ```
    pub fn with_rate_limit(mut self, per_second: u64) -> Self {
        let budget = Budget {
            per_second: per_second.max(1),
            epoch: Instant::now(),
            second: AtomicU64::new(0),
            admitted: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
        };
        match Arc::get_mut(&mut self.inner) {
            Some(inner) => inner.budget = Some(Arc::new(budget)),
            None => {
                // Already shared: a new stream with the same settings would split the views
                // from the sources, so the limit is not applied (documented above).
                debug_assert!(false, "with_rate_limit on a shared Observer");
            }
        }
        self
    }

    fn lock(&self) -> MutexGuard<'_, Kept> {
        // A panic while holding the lock leaves the history consistent (every step is a push
        // or pop of whole entries), so a poisoned lock is used as is.
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Publishes one record to every current subscriber (and the history), without waiting,
    /// whatever the rate budget: for the records a view cannot do without (a connection's
    /// open, upgrade and close), and for files.
    pub fn publish(&self, record: Record) {
        self.send(record);
    }

    /// Publishes the record `make` builds, when the stream's rate budget admits one more
    /// ([`Observer::with_rate_limit`]); otherwise `make` is not called and the record is
    /// counted as dropped. For the bulk of a live source's records (its frames). Returns
    /// whether it was published.
    pub fn publish_with(&self, make: impl FnOnce() -> Record) -> bool {
        if let Some(budget) = &self.inner.budget {
            if !budget.admit() {
                return false;
            }
        }
        self.send(make());
        true
    }

    fn send(&self, record: Record) {
        self.inner.published.fetch_add(1, Ordering::Relaxed);
        let record = Arc::new(record);
        let mut kept = self.lock();
        kept.last_seq += 1;
        let seq = kept.last_seq;
        kept.history.push(seq, record.clone());
        // An error only means there is no subscriber right now.
        let _ = self.inner.tx.send(Numbered { seq, record });
    }

    /// A new subscriber, which sees the records published from now on.
    pub fn subscribe(&self) -> Subscription {
        Subscription {
            rx: self.inner.tx.subscribe(),
            budget: self.inner.budget.clone(),
            dropped_seen: self.dropped(),
        }
    }

    /// Records the sources offered that the rate budget left out, since the start.
    pub fn dropped(&self) -> u64 {
        self.inner
            .budget
            .as_ref()
            .map_or(0, |b| b.dropped.load(Ordering::Relaxed))
    }

    /// The kept records numbered after `after` (0: all kept), and a subscription that goes on
    /// exactly where they end.
    pub fn subscribe_after(&self, after: u64) -> Catchup {
        let kept = self.lock();
        let subscription = self.subscribe();
        let records: Vec<Numbered> = kept
            .history
            .records
            .iter()
            .filter(|(seq, _)| *seq > after)
            .map(|(seq, record)| Numbered {
                seq: *seq,
                record: record.clone(),
            })
            .collect();
        let first_available = records.first().map_or(kept.last_seq + 1, |n| n.seq);
        let skipped = first_available.saturating_sub(after + 1);
        Catchup {
            records,
            skipped,
            subscription,
        }
    }

    /// Records published so far, whether or not anyone saw them (not counting those the rate
    /// budget left out).
    pub fn published(&self) -> u64 {
        self.inner.published.load(Ordering::Relaxed)
    }

    /// The records the history holds now, and the bytes they are counted for.
    pub fn history_len(&self) -> (usize, usize) {
        let kept = self.lock();
        (kept.history.records.len(), kept.history.bytes)
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

/// What [`Subscription::next_numbered`] reads: a record with its number, or as [`Observed`].
#[derive(Debug, Clone)]
pub enum NumberedObserved {
    /// The next record and its sequence number.
    Record(Numbered),
    /// This many records were dropped because the subscriber fell behind.
    Skipped(u64),
    /// The stream has ended.
    Closed,
}

impl Subscription {
    /// The next record, a count of skipped records, or the end of the stream.
    pub async fn next(&mut self) -> Observed {
        match self.next_numbered().await {
            NumberedObserved::Record(numbered) => Observed::Record(numbered.record),
            NumberedObserved::Skipped(n) => Observed::Skipped(n),
            NumberedObserved::Closed => Observed::Closed,
        }
    }

    /// [`next`](Self::next), with the record's sequence number.
    pub async fn next_numbered(&mut self) -> NumberedObserved {
        if let Some(skipped) = self.dropped_since_seen() {
            return NumberedObserved::Skipped(skipped);
        }
        match self.rx.recv().await {
            Ok(numbered) => NumberedObserved::Record(numbered),
            Err(broadcast::error::RecvError::Lagged(n)) => NumberedObserved::Skipped(n),
            Err(broadcast::error::RecvError::Closed) => NumberedObserved::Closed,
        }
    }

    /// What [`next_numbered`](Self::next_numbered) would read now, or `None` when it would
    /// wait.
    pub fn try_next_numbered(&mut self) -> Option<NumberedObserved> {
        if let Some(skipped) = self.dropped_since_seen() {
            return Some(NumberedObserved::Skipped(skipped));
        }
        match self.rx.try_recv() {
            Ok(numbered) => Some(NumberedObserved::Record(numbered)),
            Err(broadcast::error::TryRecvError::Lagged(n)) => Some(NumberedObserved::Skipped(n)),
            Err(broadcast::error::TryRecvError::Closed) => Some(NumberedObserved::Closed),
            Err(broadcast::error::TryRecvError::Empty) => None,
        }
    }
}

impl Subscription {
    /// Records the source's budget left out since this view was last told, if any.
    fn dropped_since_seen(&mut self) -> Option<u64> {
        let dropped = self
            .budget
            .as_ref()
            .map_or(0, |b| b.dropped.load(Ordering::Relaxed));
        let new = dropped.saturating_sub(self.dropped_seen);
        self.dropped_seen = dropped;
        (new > 0).then_some(new)
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
    async fn past_the_rate_budget_records_are_not_built_and_views_are_told_how_many() {
        let observer = Observer::new(64).with_rate_limit(5);
        let mut view = observer.subscribe();
        let mut built = 0u64;
        let mut published = 0u64;
        for i in 0..20 {
            if observer.publish_with(|| {
                built += 1;
                frame(i)
            }) {
                published += 1;
            }
        }
        assert_eq!(built, published, "a left-out record is never built");
        assert!((5..20).contains(&published), "{published}");
        assert_eq!(observer.dropped(), 20 - published);
        assert_eq!(observer.published(), published);
        // The view hears of the dropped records first, then reads what was published.
        match view.next().await {
            Observed::Skipped(n) => assert_eq!(n, 20 - published),
            other => panic!("{other:?}"),
        }
        let mut read = 0;
        while let Some(NumberedObserved::Record(_)) = view.try_next_numbered() {
            read += 1;
        }
        assert_eq!(read, published);
        // A view that subscribes now has nothing to hear of.
        let mut late = observer.subscribe();
        assert!(late.try_next_numbered().is_none());
    }

    #[tokio::test]
    async fn a_late_subscriber_gets_the_kept_history_then_the_live_stream_without_holes() {
        // Each frame of data "2" counts 97 bytes: three fit in 300.
        let observer = Observer::with_history(16, 300);
        for i in 0..5 {
            observer.publish(frame(i));
        }
        assert_eq!(observer.history_len(), (3, 291));
        let Catchup {
            records,
            skipped,
            mut subscription,
        } = observer.subscribe_after(0);
        let seqs: Vec<u64> = records.iter().map(|n| n.seq).collect();
        assert_eq!(seqs, [3, 4, 5]);
        assert_eq!(skipped, 2, "records 1 and 2 were evicted from the history");
        observer.publish(frame(5));
        match subscription.next_numbered().await {
            NumberedObserved::Record(n) => assert_eq!((n.seq, n.record.t_ms()), (6, 5.0)),
            other => panic!("{other:?}"),
        }
        // A view that reconnects after record 4 gets only record 5 and 6, nothing skipped.
        let again = observer.subscribe_after(4);
        assert_eq!(again.records.len(), 2);
        assert_eq!(again.skipped, 0);
        // A view that is up to date gets nothing and skips nothing.
        let current = observer.subscribe_after(6);
        assert!(current.records.is_empty());
        assert_eq!(current.skipped, 0);
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
