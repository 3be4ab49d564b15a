//! The load generator: N clients connect to a server, join the namespace, and receive events
//! for a bounded time; the report gives connect times, events per second and delivery skew.
//!
//! What is measured, and how:
//!
//! - **Connect time**: from starting the TCP connect to the server's acceptance of the
//!   namespace CONNECT (WebSocket handshake, Engine.IO `open`, Socket.IO CONNECT round trip).
//! - **Events per second**: Socket.IO events received by all clients during the measuring
//!   window, which starts once every client has connected (or failed) and lasts `duration`.
//! - **Delivery skew**: for an event that several clients receive (the same payload, the same
//!   occurrence), how much later each client got it than the first one did. With a server that
//!   broadcasts one timeline to a room (the mock's live mode) this is the fan-out latency; with
//!   per-connection replay the clients' timelines start apart and the figure mostly shows that.
//! - **Acknowledgement round trip** (optional, with an [`AckProbe`]): each client emits an
//!   event asking for an ack at a fixed rate during the window and times the answer. This is
//!   request latency at a fixed rate, against any server that acks the event (the mock's
//!   `socketio-protocol` scenario acks `message-with-ack`).
//! - **Server memory** (optional, Linux): the resident set of a server process given by pid,
//!   read from `/proc` before the clients connect and once they all have.
//!
//! Every client answers pings through `sio-session`, so a run longer than the ping interval
//! measures a healthy server, not one that is dropping clients for missed pongs.

use std::collections::HashMap;
use std::future::Future;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use tokio::sync::{Semaphore, watch};

use crate::connection::{Connection, Happening};
use crate::dial::connect_websocket;
use crate::{ClientError, Endpoint};

/// At most this many arrivals are kept per client for the skew figures; beyond it, events are
/// still counted but not matched (memory stays bounded however long the run).
const MAX_ARRIVALS_PER_CLIENT: usize = 100_000;

/// What to run.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LoadConfig {
    /// The server, namespace, token and TLS roots, shared by every client.
    pub endpoint: Endpoint,
    /// How many clients to connect.
    pub clients: u32,
    /// How long to measure once the clients are connected.
    pub duration: Duration,
    /// A client whose connect takes longer counts as failed.
    pub connect_timeout: Duration,
    /// At most this many connects in flight at once while ramping up.
    pub concurrency: u32,
    /// A server process whose resident memory to sample (Linux `/proc`).
    pub server_pid: Option<u32>,
    /// Events to emit with an ack during the window, to measure round trips.
    pub ack_probe: Option<AckProbe>,
}

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

impl LoadConfig {
    /// `clients` clients for 10 s, 10 s connect timeout, 64 connects at a time.
    pub fn new(endpoint: Endpoint, clients: u32) -> Self {
        LoadConfig {
            endpoint,
            clients,
            duration: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(10),
            concurrency: 64,
            server_pid: None,
            ack_probe: None,
        }
    }
}

/// Progress while a run goes on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoadProgress {
    /// Clients connected so far.
    pub connected: u32,
    /// Clients that failed to connect.
    pub failed: u32,
    /// Events received during the measuring window so far.
    pub events: u64,
    /// True once the measuring window has started.
    pub measuring: bool,
}

/// Summary statistics of a set of durations, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
#[non_exhaustive]
pub struct Percentiles {
    /// How many samples.
    pub count: u64,
    /// Smallest.
    pub min_ms: f64,
    /// Median.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Largest.
    pub max_ms: f64,
    /// Mean.
    pub mean_ms: f64,
}

impl Percentiles {
    /// Statistics of a histogram of microseconds.
    fn from_micros(histogram: &Histogram<u64>) -> Self {
        let ms = |us: u64| us as f64 / 1000.0;
        if histogram.is_empty() {
            return Percentiles::default();
        }
        Percentiles {
            count: histogram.len(),
            min_ms: ms(histogram.min()),
            p50_ms: ms(histogram.value_at_quantile(0.50)),
            p90_ms: ms(histogram.value_at_quantile(0.90)),
            p99_ms: ms(histogram.value_at_quantile(0.99)),
            max_ms: ms(histogram.max()),
            mean_ms: histogram.mean() / 1000.0,
        }
    }
}

/// The result of a run.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LoadReport {
    /// Clients asked for.
    pub clients: u32,
    /// Clients that connected and joined the namespace.
    pub connected: u32,
    /// Clients that did not.
    pub failed: u32,
    /// The first connect failure, for the person reading the report.
    pub first_error: Option<String>,
    /// Clients that lost their connection during the measuring window.
    pub dropped: u32,
    /// Connect times of the clients that connected.
    pub connect: Percentiles,
    /// How long the ramp-up took (first connect started to last one finished).
    pub ramp_up: Duration,
    /// The measuring window's actual length.
    pub measured: Duration,
    /// Events received by all clients in the window.
    pub events: u64,
    /// `events` per second of the window.
    pub events_per_sec: f64,
    /// How much later than the first client each client received the same event.
    pub delivery_skew: Percentiles,
    /// Events emitted with an ack during the window (with an [`AckProbe`]).
    pub acks_sent: u64,
    /// Acks received for them.
    pub acks_received: u64,
    /// Round trips of the acked emits.
    pub ack_round_trip: Percentiles,
    /// The server's resident memory before the clients connected, in KiB.
    pub server_rss_before_kib: Option<u64>,
    /// The server's resident memory once every client had connected, in KiB.
    pub server_rss_connected_kib: Option<u64>,
    /// True when the run ended early because the shutdown future completed.
    pub interrupted: bool,
}

impl LoadReport {
    /// Server memory per connected client, in bytes, when both samples exist.
    pub fn server_rss_per_client_bytes(&self) -> Option<f64> {
        let (before, after) = (self.server_rss_before_kib?, self.server_rss_connected_kib?);
        (self.connected > 0)
            .then(|| (after.saturating_sub(before) * 1024) as f64 / f64::from(self.connected))
    }
}

/// What one client task hands back.
struct ClientOutcome {
    connect: Result<Duration, String>,
    dropped: bool,
    acks_sent: u64,
    /// Round trips of this client's acked emits, in microseconds.
    round_trips: Histogram<u64>,
    /// (payload hash, occurrence of that payload on this client, arrival).
    arrivals: Vec<(u64, u32, Instant)>,
}

/// State shared by the client tasks.
struct Shared {
    measuring: AtomicBool,
    events: AtomicU64,
}

/// Runs the load: ramps up `config.clients` clients, measures for `config.duration`, and
/// reports. `progress` is called about ten times a second.
///
/// # Errors
///
/// Only for an unusable configuration (URL, CA file, zero clients). Connect failures are part
/// of the report, not errors.
pub async fn load(
    config: LoadConfig,
    shutdown: impl Future<Output = ()>,
    mut progress: impl FnMut(&LoadProgress),
) -> Result<LoadReport, ClientError> {
    if config.clients == 0 {
        return Err(ClientError::Config {
            option: "clients",
            message: "must be at least 1".to_owned(),
        });
    }
    if let Some(probe) = &config.ack_probe {
        if !(probe.rate.is_finite() && probe.rate > 0.0) {
            return Err(ClientError::Config {
                option: "ack_rate",
                message: format!(
                    "{} is not a positive number of emits per second",
                    probe.rate
                ),
            });
        }
    }
    let url = Arc::new(config.endpoint.websocket_url()?);
    let tls = config.endpoint.tls_config()?;
    let rss_before = config.server_pid.and_then(resident_kib);
    let shared = Arc::new(Shared {
        measuring: AtomicBool::new(false),
        events: AtomicU64::new(0),
    });
    let (stop_tx, stop_rx) = watch::channel(false);
    let (connected_tx, mut connected_rx) = tokio::sync::mpsc::unbounded_channel::<bool>();
    let gate = Arc::new(Semaphore::new(config.concurrency.max(1) as usize));
    let namespace: Arc<str> = config.endpoint.namespace.clone().into();
    let token: Option<Arc<str>> = config.endpoint.token.as_ref().map(|t| t.expose().into());

    let started = Instant::now();
    let mut tasks = Vec::with_capacity(config.clients as usize);
    for _ in 0..config.clients {
        let (url, tls, gate, shared) = (url.clone(), tls.clone(), gate.clone(), shared.clone());
        let (namespace, token) = (namespace.clone(), token.clone());
        let (mut stop, connected_tx) = (stop_rx.clone(), connected_tx.clone());
        let timeout = config.connect_timeout;
        let probe = config.ack_probe.clone();
        tasks.push(tokio::spawn(async move {
            let begin = Instant::now();
            let connecting = async {
                // The permit bounds connects in flight, not connected clients.
                let _permit = gate.acquire().await.map_err(|e| e.to_string())?;
                let socket = connect_websocket(&url, &tls).await.map_err(|e| e.to_string())?;
                let mut connection = Connection::start(socket, &namespace, token.as_deref(), timeout)
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
            let _ = connected_tx.send(result.is_ok());
            let (mut connection, connect_time) = match result {
                Ok(ok) => ok,
                Err(reason) => {
                    return ClientOutcome {
                        connect: Err(reason),
                        dropped: false,
                        acks_sent: 0,
                        round_trips: new_histogram(),
                        arrivals: Vec::new(),
                    };
                }
            };
            let mut arrivals = Vec::new();
            let mut seen: HashMap<u64, u32> = HashMap::new();
            let mut dropped = false;
            let mut acks_sent = 0u64;
            let mut round_trips = new_histogram();
            let mut pending: HashMap<u64, Instant> = HashMap::new();
            // A probe-less client never ticks: the interval is created but its branch is off.
            let period = probe.as_ref().map_or(Duration::from_secs(3600), |p| {
                Duration::from_secs_f64(1.0 / p.rate.max(0.001))
            });
            let mut emits = tokio::time::interval(period);
            emits.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
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
                    happening = connection.next() => match happening {
                        Happening::Ack(id) => {
                            if let Some(sent) = pending.remove(&id) {
                                let _ = round_trips.record(micros(sent.elapsed()));
                            }
                        }
                        Happening::Event(event) if shared.measuring.load(Ordering::Relaxed) => {
                            let now = Instant::now();
                            shared.events.fetch_add(1, Ordering::Relaxed);
                            if arrivals.len() < MAX_ARRIVALS_PER_CLIENT {
                                let mut hasher = std::collections::hash_map::DefaultHasher::new();
                                event.data.hash(&mut hasher);
                                let key = hasher.finish();
                                let occurrence = seen.entry(key).or_insert(0);
                                arrivals.push((key, *occurrence, now));
                                *occurrence += 1;
                            }
                        }
                        Happening::Ended(_) => {
                            dropped = shared.measuring.load(Ordering::Relaxed);
                            break;
                        }
                        _ => {}
                    }
                }
            }
            connection.close().await;
            ClientOutcome {
                connect: Ok(connect_time),
                dropped,
                acks_sent,
                round_trips,
                arrivals,
            }
        }));
    }
    drop(connected_tx);

    tokio::pin!(shutdown);
    let mut state = LoadProgress::default();
    let mut ticker = tokio::time::interval(Duration::from_millis(100));
    let mut interrupted = false;
    // Ramp-up: wait until every client has connected or failed.
    while state.connected + state.failed < config.clients {
        tokio::select! {
            biased;
            () = shutdown.as_mut() => { interrupted = true; break; }
            outcome = connected_rx.recv() => match outcome {
                Some(true) => state.connected += 1,
                Some(false) => state.failed += 1,
                None => break,
            },
            _ = ticker.tick() => progress(&state),
        }
    }
    let ramp_up = started.elapsed();
    let rss_connected = config.server_pid.and_then(resident_kib);
    // Measuring window.
    let window_start = Instant::now();
    shared.measuring.store(true, Ordering::Relaxed);
    state.measuring = true;
    if !interrupted {
        let end = tokio::time::sleep(config.duration);
        tokio::pin!(end);
        loop {
            tokio::select! {
                biased;
                () = shutdown.as_mut() => { interrupted = true; break; }
                () = end.as_mut() => break,
                _ = ticker.tick() => {
                    state.events = shared.events.load(Ordering::Relaxed);
                    progress(&state);
                }
            }
        }
    }
    shared.measuring.store(false, Ordering::Relaxed);
    let measured = window_start.elapsed();
    let _ = stop_tx.send(true);

    let mut connect = new_histogram();
    let mut first_error = None;
    let (mut connected, mut failed, mut dropped) = (0, 0, 0);
    let mut all_arrivals = Vec::new();
    let (mut acks_sent, mut round_trips) = (0, new_histogram());
    for task in tasks {
        let Ok(outcome) = task.await else {
            failed += 1;
            continue;
        };
        match outcome.connect {
            Ok(time) => {
                connected += 1;
                let _ = connect.record(micros(time));
            }
            Err(reason) => {
                failed += 1;
                first_error.get_or_insert(reason);
            }
        }
        dropped += u32::from(outcome.dropped);
        acks_sent += outcome.acks_sent;
        // Same bounds on both sides, so adding cannot fail.
        let _ = round_trips.add(&outcome.round_trips);
        all_arrivals.push(outcome.arrivals);
    }
    let events = shared.events.load(Ordering::Relaxed);
    Ok(LoadReport {
        clients: config.clients,
        connected,
        failed,
        first_error,
        dropped,
        connect: Percentiles::from_micros(&connect),
        ramp_up,
        measured,
        events,
        events_per_sec: events as f64 / measured.as_secs_f64().max(1e-9),
        delivery_skew: delivery_skew(&all_arrivals),
        acks_sent,
        acks_received: round_trips.len(),
        ack_round_trip: Percentiles::from_micros(&round_trips),
        server_rss_before_kib: rss_before,
        server_rss_connected_kib: rss_connected,
        interrupted,
    })
}

/// A histogram of microseconds from 1 µs to an hour, 3 significant digits.
fn new_histogram() -> Histogram<u64> {
    // Infallible: hdrhistogram refuses only low < 1, high < 2 * low or sigfig > 5, and these
    // constants satisfy all three.
    Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("constant histogram bounds are valid")
}

fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros())
        .unwrap_or(u64::MAX)
        .max(1)
}

/// For each (payload, occurrence) seen by two or more clients, each client's delay behind the
/// first arrival.
fn delivery_skew(clients: &[Vec<(u64, u32, Instant)>]) -> Percentiles {
    let mut first: HashMap<(u64, u32), (Instant, u32)> = HashMap::new();
    for arrivals in clients {
        for &(key, occurrence, at) in arrivals {
            first
                .entry((key, occurrence))
                .and_modify(|(earliest, count)| {
                    *earliest = (*earliest).min(at);
                    *count += 1;
                })
                .or_insert((at, 1));
        }
    }
    let mut histogram = new_histogram();
    for arrivals in clients {
        for &(key, occurrence, at) in arrivals {
            if let Some(&(earliest, count)) = first.get(&(key, occurrence)) {
                if count > 1 {
                    let _ = histogram.record(micros(at.saturating_duration_since(earliest)));
                }
            }
        }
    }
    Percentiles::from_micros(&histogram)
}

/// The resident set size of process `pid` in KiB (Linux), or `None`.
fn resident_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::{SinkExt, StreamExt};
    use tokio::net::TcpListener;
    use tokio_tungstenite::tungstenite::Message;

    /// A broadcast-like server: every client gets the open packet, its CONNECT acknowledged,
    /// then `events` events, the same payloads for everyone.
    async fn server(events: usize, clients: usize) -> String {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("addr");
        let everyone = Arc::new(tokio::sync::Barrier::new(clients));
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let everyone = everyone.clone();
                tokio::spawn(async move {
                    let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await else {
                        return;
                    };
                    let open = r#"0{"sid":"s","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;
                    let _ = ws.send(Message::text(open)).await;
                    let _ = ws.next().await;
                    let _ = ws.send(Message::text(r#"40/chatomni,{"sid":"x"}"#)).await;
                    // Events flow once every client has joined and the load generator has had
                    // time to open its measuring window (it opens when the last join arrives).
                    everyone.wait().await;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    for n in 0..events {
                        let _ = ws
                            .send(Message::text(format!(r#"42/chatomni,["on-events","{n}"]"#)))
                            .await;
                    }
                    // Acknowledge every event that asks for it: `42/chatomni,<id>[...]`.
                    while let Some(Ok(message)) = ws.next().await {
                        let Message::Text(text) = message else {
                            continue;
                        };
                        if let Some(rest) = text.as_str().strip_prefix("42/chatomni,") {
                            let id: String =
                                rest.chars().take_while(char::is_ascii_digit).collect();
                            if !id.is_empty() {
                                let _ = ws.send(Message::text(format!("43/chatomni,{id}[]"))).await;
                            }
                        }
                    }
                });
            }
        });
        format!("ws://{addr}")
    }

    #[tokio::test]
    async fn counts_connects_events_and_skew() {
        let url = server(50, 4).await;
        let mut config = LoadConfig::new(Endpoint::new(url), 4);
        config.duration = Duration::from_millis(600);
        config.server_pid = Some(std::process::id());
        let mut calls = 0;
        let report = load(config, std::future::pending(), |_| calls += 1)
            .await
            .expect("runs");
        assert_eq!(report.connected, 4);
        assert_eq!(report.failed, 0);
        assert_eq!(report.connect.count, 4);
        assert!(report.connect.p50_ms > 0.0);
        assert_eq!(report.events, 200, "{report:?}");
        assert!(report.events_per_sec > 0.0);
        // 50 distinct payloads, each seen by 4 clients.
        assert_eq!(report.delivery_skew.count, 200);
        assert!(report.server_rss_before_kib.is_some_and(|kib| kib > 0));
        assert!(calls > 0);
    }

    #[tokio::test]
    async fn the_ack_probe_times_round_trips_at_its_rate() {
        let url = server(0, 3).await;
        let mut config = LoadConfig::new(Endpoint::new(url), 3);
        config.duration = Duration::from_millis(500);
        config.ack_probe = Some(AckProbe::new("ping-me", 40.0));
        let report = load(config, std::future::pending(), |_| {})
            .await
            .expect("runs");
        // 3 clients x 40/s x 0.5 s = 60 emits, plus each client's first tick; fewer when a
        // busy machine delays the timers, never many more.
        assert!((30..=66).contains(&report.acks_sent), "{report:?}");
        // Acks still in flight when the window closes are not counted. Round trips are well
        // under a millisecond on an idle machine but stretch to ~200 ms on a loaded one (up to
        // 8 in flight per client at 40/s), so only require that most came back and none twice.
        assert!(report.acks_received <= report.acks_sent, "{report:?}");
        assert!(report.acks_received * 2 >= report.acks_sent, "{report:?}");
        assert_eq!(report.ack_round_trip.count, report.acks_received);
        assert!(
            report.ack_round_trip.p50_ms > 0.0 && report.ack_round_trip.p99_ms < 1000.0,
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn a_bad_ack_rate_is_a_configuration_error() {
        let mut config = LoadConfig::new(Endpoint::new("ws://127.0.0.1:9"), 1);
        config.ack_probe = Some(AckProbe::new("x", 0.0));
        let err = load(config, std::future::pending(), |_| {})
            .await
            .unwrap_err();
        assert!(err.to_string().contains("ack_rate"), "{err}");
    }

    #[tokio::test]
    async fn connect_failures_are_reported_not_errors() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        drop(listener);
        let mut config = LoadConfig::new(Endpoint::new(format!("ws://{addr}")), 3);
        config.duration = Duration::from_millis(50);
        let report = load(config, std::future::pending(), |_| {})
            .await
            .expect("runs");
        assert_eq!((report.connected, report.failed), (0, 3));
        assert!(
            report
                .first_error
                .as_deref()
                .is_some_and(|e| e.contains(&addr.to_string())),
            "{report:?}"
        );
        assert_eq!(report.events, 0);
    }

    #[tokio::test]
    async fn zero_clients_is_a_configuration_error() {
        let err = load(
            LoadConfig::new(Endpoint::new("ws://127.0.0.1:9"), 0),
            std::future::pending(),
            |_| {},
        )
        .await
        .unwrap_err();
        assert!(err.to_string().contains("clients"), "{err}");
    }

    #[test]
    fn skew_matches_the_same_occurrence_across_clients() {
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        let a = vec![(1, 0, ms(0)), (1, 1, ms(10))];
        let b = vec![(1, 0, ms(5)), (1, 1, ms(10))];
        let c = vec![(2, 0, ms(100))]; // seen by one client only: not a skew sample
        let skew = delivery_skew(&[a, b, c]);
        assert_eq!(skew.count, 4);
        assert!((skew.max_ms - 5.0).abs() < 0.01, "{skew:?}");
        assert!(skew.min_ms <= 0.001 + 0.001);
    }
}
