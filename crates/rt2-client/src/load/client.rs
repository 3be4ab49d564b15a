//! One virtual client of a load run: connect, join the namespace, then receive (and, with an
//! ack probe or a replayed session, emit) until told to stop, timing what it sees.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use tokio::sync::{Semaphore, mpsc, watch};

use crate::connection::{Connection, Happening};
use crate::dial::connect_websocket;
use crate::load::replay::{ClientScript, ScriptStep};
use crate::load::report::{micros, new_histogram};
use crate::load::skew::{Arrivals, SkewCollector};

/// Emit `event` with an ack from every client, `rate` times a second, during the window.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct AckProbe {
    /// The event name; the one argument is a sequence number.
    pub event: String,
    /// Emits per second per client.
    pub rate: f64,
}

impl AckProbe {
    /// `event` at `rate` emits per second per client.
    pub fn new(event: impl Into<String>, rate: f64) -> Self {
        AckProbe {
            event: event.into(),
            rate,
        }
    }
}

/// State shared by the client tasks and the run.
pub(crate) struct Shared {
    /// True during the measuring window.
    pub(crate) measuring: AtomicBool,
    /// Events received in the window, by every client.
    pub(crate) events: AtomicU64,
    /// Round trips of acked emits, in microseconds, of every client.
    pub(crate) round_trips: Mutex<Histogram<u64>>,
    /// Receive time minus the server's stamp, in microseconds, of every client.
    pub(crate) latencies: Mutex<Histogram<u64>>,
    /// Every client's arrivals, for the delivery skew.
    pub(crate) skew: SkewCollector,
}

impl Shared {
    pub(crate) fn new() -> Self {
        Shared {
            measuring: AtomicBool::new(false),
            events: AtomicU64::new(0),
            round_trips: Mutex::new(new_histogram()),
            latencies: Mutex::new(new_histogram()),
            skew: SkewCollector::new(),
        }
    }
}

/// At most this many samples wait in a client before they go into the run's histogram.
const SAMPLE_BATCH: usize = 64;

/// One client's samples on their way into a histogram the run shares. A histogram of 1 µs to an
/// hour at 3 significant digits holds 23,552 counters (188 KB): one per client per figure was
/// 377 MB of the load generator's memory at 1000 clients. A client keeps a few samples and adds
/// them under the lock in batches, so the lock is taken once per 64 samples.
struct Samples<'a> {
    into: &'a Mutex<Histogram<u64>>,
    waiting: Vec<u64>,
}

impl<'a> Samples<'a> {
    fn new(into: &'a Mutex<Histogram<u64>>) -> Self {
        Samples {
            into,
            waiting: Vec::new(),
        }
    }

    fn record(&mut self, micros: u64) {
        self.waiting.push(micros);
        if self.waiting.len() >= SAMPLE_BATCH {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.waiting.is_empty() {
            return;
        }
        // A client that panicked while holding the lock leaves the counts it had added: they
        // are still samples.
        let mut histogram = self.into.lock().unwrap_or_else(PoisonError::into_inner);
        for &micros in &self.waiting {
            // Out of range (beyond an hour) is the only failure; such a sample is dropped.
            let _ = histogram.record(micros);
        }
        self.waiting.clear();
    }
}

impl Drop for Samples<'_> {
    fn drop(&mut self) {
        self.flush();
    }
}

/// What every client of a run shares.
#[derive(Clone)]
pub(crate) struct ClientSetup {
    pub(crate) url: Arc<String>,
    pub(crate) tls: Arc<rustls::ClientConfig>,
    pub(crate) namespace: Arc<str>,
    /// The CONNECT payload's token, when the run has one.
    pub(crate) token: Option<Arc<str>>,
    pub(crate) connect_timeout: Duration,
    pub(crate) probe: Option<AckProbe>,
    /// Bounds the connects in flight.
    pub(crate) gate: Arc<Semaphore>,
    pub(crate) shared: Arc<Shared>,
    pub(crate) stop: watch::Receiver<bool>,
    /// Told true or false once the client connected or failed.
    pub(crate) connected: mpsc::UnboundedSender<bool>,
}

/// What one client task hands back.
pub(crate) struct ClientOutcome {
    pub(crate) connect: Result<Duration, String>,
    pub(crate) dropped: bool,
    pub(crate) acks_sent: u64,
    /// Stamped events received before their stamp by the local clock.
    pub(crate) stamps_ahead: u64,
    /// Emits of a replayed session sent during the window.
    pub(crate) replay_emits: u64,
}

impl ClientOutcome {
    fn failed(reason: String) -> Self {
        ClientOutcome {
            connect: Err(reason),
            dropped: false,
            acks_sent: 0,
            stamps_ahead: 0,
            replay_emits: 0,
        }
    }
}

/// The payload without the server's send-time stamp, and the stamp: the last element of the
/// array when it is an integer of 16 digits (microseconds since the Unix epoch, between 2001
/// and 2286), as the mock appends it for `stamp=1` (see `rt2_mock`'s `stamp` module).
pub(crate) fn split_stamp(data: &str) -> Option<(&str, u64)> {
    let body = data.trim_end().strip_suffix(']')?;
    let (rest, last) = body.rsplit_once(',')?;
    let last = last.trim();
    if last.len() != 16 || !last.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((rest, last.parse().ok()?))
}

/// Now, in microseconds since the Unix epoch.
pub(crate) fn unix_micros() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_micros()).unwrap_or(u64::MAX)
        })
}

/// Runs one client until the run stops it; `script` is the captured session it plays, if any.
pub(crate) async fn run_client(
    setup: ClientSetup,
    script: Option<Arc<ClientScript>>,
) -> ClientOutcome {
    let ClientSetup {
        url,
        tls,
        namespace,
        token,
        connect_timeout: timeout,
        probe,
        gate,
        shared,
        mut stop,
        connected,
    } = setup;
    let begin = Instant::now();
    // A replayed session connects with its own auth shape and the run's fresh token.
    let auth = script
        .as_ref()
        .and_then(|script| script.auth(token.as_deref()));
    let connecting = async {
        // The permit bounds connects in flight, not connected clients.
        let _permit = gate.acquire().await.map_err(|e| e.to_string())?;
        let socket = connect_websocket(&url, &tls)
            .await
            .map_err(|e| e.to_string())?;
        let mut connection = match &auth {
            Some(auth) => Connection::start_with_auth(socket, &namespace, auth, timeout),
            None => Connection::start(socket, &namespace, token.as_deref(), timeout),
        }
        .map_err(|e| e.to_string())?;
        loop {
            match connection.next().await {
                Happening::Connected => return Ok((connection, begin.elapsed())),
                Happening::Refused(message) => return Err(format!("refused: {message}")),
                Happening::Ended(reason) => return Err(reason),
                _ => {}
            }
        }
    };
    let result = tokio::select! {
        result = tokio::time::timeout(timeout, connecting) => result
            .unwrap_or_else(|_| Err(format!("no connect within {} ms", timeout.as_millis()))),
        _ = stop.wait_for(|stop| *stop) => Err("stopped before connecting".to_owned()),
    };
    let _ = connected.send(result.is_ok());
    let (mut connection, connect_time) = match result {
        Ok(ok) => ok,
        Err(reason) => return ClientOutcome::failed(reason),
    };
    let mut arrivals = Arrivals::new(&shared.skew);
    let mut dropped = false;
    let mut acks_sent = 0u64;
    let mut round_trips = Samples::new(&shared.round_trips);
    let mut latencies = Samples::new(&shared.latencies);
    let mut stamps_ahead = 0u64;
    let mut replay_emits = 0u64;
    let mut acks_answered = 0usize;
    let mut pending: HashMap<u64, Instant> = HashMap::new();
    // A probe-less client never ticks: the interval is created but its branch is off.
    let period = probe.as_ref().map_or(Duration::from_secs(3600), |p| {
        Duration::from_secs_f64(1.0 / p.rate.max(0.001))
    });
    let mut emits = tokio::time::interval(period);
    emits.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // A replayed session's steps run on its own clock, from the moment it joined.
    let mut steps = script.as_ref().map(|s| s.steps().iter().peekable());
    let joined = tokio::time::Instant::now();
    loop {
        let next_step = steps
            .as_mut()
            .and_then(|steps| steps.peek().map(|step| joined + step.offset()));
        tokio::select! {
            biased;
            _ = stop.wait_for(|stop| *stop) => break,
            _ = emits.tick(), if probe.is_some() => {
                if let (Some(probe), true) = (&probe, shared.measuring.load(Ordering::Relaxed)) {
                    let data = serde_json::json!([probe.event, acks_sent]).to_string();
                    match connection.emit_with_ack(&namespace, &data) {
                        Ok(id) => {
                            pending.insert(id, Instant::now());
                            acks_sent += 1;
                        }
                        Err(err) => tracing::debug!(%err, "cannot emit the ack probe"),
                    }
                }
            }
            _ = sleep_until_opt(next_step), if next_step.is_some() => {
                let Some(step) = steps.as_mut().and_then(Iterator::next) else {
                    continue;
                };
                let measuring = shared.measuring.load(Ordering::Relaxed);
                match step {
                    ScriptStep::Emit { data, ack, .. } => {
                        let sent = if *ack {
                            connection.emit_with_ack(&namespace, data).map(|id| {
                                if measuring {
                                    pending.insert(id, Instant::now());
                                    acks_sent += 1;
                                }
                            })
                        } else {
                            connection.emit(&namespace, data)
                        };
                        match sent {
                            Ok(()) => replay_emits += u64::from(measuring),
                            Err(err) => tracing::debug!(%err, "cannot emit a replayed event"),
                        }
                    }
                }
            }
            happening = connection.next() => match happening {
                Happening::Ack(id) => {
                    if let Some(sent) = pending.remove(&id) {
                        round_trips.record(micros(sent.elapsed()));
                    }
                }
                Happening::Event(event) => {
                    // A replayed session answers the server's ack requests with its own
                    // captured acks, in order (`[]` once they run out).
                    if let (Some(script), Some(ack_id)) = (&script, event.ack_id) {
                        let data = script.acks().get(acks_answered).map_or("[]", String::as_str);
                        acks_answered += 1;
                        if let Err(err) = connection.ack(&event.namespace, ack_id, data) {
                            tracing::debug!(%err, "cannot send a replayed ack");
                        }
                    }
                    if !shared.measuring.load(Ordering::Relaxed) {
                        continue;
                    }
                    let now = Instant::now();
                    shared.events.fetch_add(1, Ordering::Relaxed);
                    let payload = match split_stamp(&event.data) {
                        Some((rest, stamp)) => {
                            let now_us = unix_micros();
                            if now_us < stamp {
                                stamps_ahead += 1;
                            }
                            latencies.record(now_us.saturating_sub(stamp).max(1));
                            rest
                        }
                        None => event.data.as_str(),
                    };
                    let mut hasher = std::collections::hash_map::DefaultHasher::new();
                    payload.hash(&mut hasher);
                    arrivals.record(hasher.finish(), now);
                }
                Happening::Ended(_) => {
                    dropped = shared.measuring.load(Ordering::Relaxed);
                    break;
                }
                _ => {}
            }
        }
    }
    round_trips.flush();
    latencies.flush();
    connection.close().await;
    ClientOutcome {
        connect: Ok(connect_time),
        dropped,
        acks_sent,
        stamps_ahead,
        replay_emits,
    }
}

async fn sleep_until_opt(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_reach_the_shared_histogram_in_batches_and_the_rest_on_drop() {
        let shared = Mutex::new(new_histogram());
        let count = || shared.lock().unwrap().len();
        {
            let mut samples = Samples::new(&shared);
            for us in 1..SAMPLE_BATCH as u64 {
                samples.record(us);
            }
            assert_eq!(count(), 0, "below a batch, nothing is added yet");
            samples.record(1_000);
            assert_eq!(
                count(),
                SAMPLE_BATCH as u64,
                "a full batch is added at once"
            );
            samples.record(2_000);
            samples.record(3_000);
        }
        assert_eq!(count(), SAMPLE_BATCH as u64 + 2, "the rest on drop");
        let histogram = shared.lock().unwrap();
        assert!(
            histogram.equivalent(3_000, histogram.max()),
            "the largest sample is kept"
        );
    }

    #[test]
    fn the_stamp_is_a_trailing_sixteen_digit_integer() {
        assert_eq!(
            split_stamp(r#"["on-events","{}",1733363200123456]"#),
            Some((r#"["on-events","{}""#, 1_733_363_200_123_456))
        );
        assert_eq!(
            split_stamp("[\"e\", 1733363200123456 ]\n"),
            Some(("[\"e\"", 1_733_363_200_123_456))
        );
        assert_eq!(split_stamp(r#"["on-events","{}"]"#), None);
        assert_eq!(split_stamp(r#"["n",42]"#), None, "a small number is data");
        assert_eq!(
            split_stamp(r#"["n","1733363200123456"]"#),
            None,
            "a string is data"
        );
        assert_eq!(
            split_stamp("[1733363200123456]"),
            None,
            "no event name before it"
        );
        assert_eq!(split_stamp("[\"n\",-733363200123456]"), None);
    }
}
