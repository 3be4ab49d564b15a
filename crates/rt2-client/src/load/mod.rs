//! The load generator: N clients connect to a server, join the namespace, and receive events
//! for a bounded time; the report gives connect times, events per second, emit-to-receive
//! latency and delivery skew.
//!
//! What is measured, and how:
//!
//! - **Connect time**: from starting the TCP connect to the server's acceptance of the
//!   namespace CONNECT (WebSocket handshake, Engine.IO `open`, Socket.IO CONNECT round trip).
//! - **Events per second**: Socket.IO events received by all clients during the measuring
//!   window, which starts once every client has connected (or failed) and lasts `duration`.
//! - **Emit-to-receive latency**: the clients ask for send-time stamps (`stamp=1` in the
//!   handshake query; see [`LoadConfig::stamps`]). sio-replay's mock then appends the time it
//!   emitted each event, in microseconds since the Unix epoch, as the event's last argument,
//!   and each client subtracts it from its receive time. Any server can take part by doing
//!   the same (`benches/load/` has a Node one). Events without a stamp are counted, not timed.
//! - **Delivery skew**: for an event that several clients receive (the same payload, the same
//!   occurrence), how much later each client got it than the first one did. With a server that
//!   broadcasts one timeline to a room (the mock's live mode) this is the fan-out latency; with
//!   per-connection replay the clients' timelines start apart and the figure mostly shows that.
//!   It is computed as the run goes (`skew.rs`): memory holds the arrivals of the last ten
//!   seconds, however long the run.
//! - **Acknowledgement round trip** (optional, with an [`AckProbe`]): each client emits an
//!   event asking for an ack at a fixed rate during the window and times the answer. This is
//!   request latency at a fixed rate, against any server that acks the event (the mock's
//!   `socketio-protocol` scenario acks `message-with-ack`).
//! - **Server memory** (optional, Linux): the resident set of a server process given by pid,
//!   read from `/proc` before the clients connect and once they all have.
//!
//! A run can be one [`Segment`] of a larger one ([`LoadConfig::segment`]): it runs only its
//! share of the virtual clients, starts at an agreed wall-clock time
//! ([`LoadConfig::start_at`]), and its [`LoadReport`] written as a file
//! ([`LoadReport::to_file_json`]) merges with the other segments' ([`LoadReport::merge`]).
//! With a [`ReplayPlan`] each client plays a captured session's client side.
//!
//! Every client answers pings through `sio-session`, so a run longer than the ping interval
//! measures a healthy server, not one that is dropping clients for missed pongs.

mod client;
mod replay;
mod report;
mod segment;
mod skew;

use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use hdrhistogram::Histogram;
use tokio::sync::{Semaphore, watch};

pub use client::AckProbe;
use client::{ClientSetup, Shared, run_client};
pub use replay::{ClientScript, ReplayPlan, ScriptStep};
use report::micros;
pub use report::{
    LoadHistograms, LoadReport, MergeError, Percentiles, REPORT_KIND, REPORT_VERSION,
    ReportFileError, Threshold, ThresholdCheck, new_histogram,
};
pub use segment::{Segment, SegmentError};

use crate::{ClientError, Endpoint};

/// What to run.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LoadConfig {
    /// The server, namespace, token and TLS roots, shared by every client.
    pub endpoint: Endpoint,
    /// How many virtual clients the whole run has (every segment together).
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
    /// Ask the server for send-time stamps (`stamp=1` in the handshake query) to measure
    /// emit-to-receive latency. On by default; a server that ignores the parameter sends
    /// events unstamped, and the latency has no samples.
    pub stamps: bool,
    /// Run only this segment's share of the clients (`None`: all of them).
    pub segment: Option<Segment>,
    /// Start connecting at this wall-clock time (so that segments on several hosts start
    /// together); `None` starts at once.
    pub start_at: Option<SystemTime>,
    /// Captured sessions for the clients to play.
    pub replay: Option<Arc<ReplayPlan>>,
}

impl LoadConfig {
    /// `clients` clients for 10 s, 10 s connect timeout, 64 connects at a time, stamps asked.
    pub fn new(endpoint: Endpoint, clients: u32) -> Self {
        LoadConfig {
            endpoint,
            clients,
            duration: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(10),
            concurrency: 64,
            server_pid: None,
            ack_probe: None,
            stamps: true,
            segment: None,
            start_at: None,
            replay: None,
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
    /// True while waiting for the start time.
    pub waiting: bool,
}

/// `url` with `stamp=1` added to its query, unless the query sets `stamp` already.
fn with_stamp_request(url: &str) -> String {
    let has = url.split_once('?').is_some_and(|(_, q)| {
        q.split('&')
            .any(|pair| pair.split('=').next() == Some("stamp"))
    });
    if has {
        return url.to_owned();
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}stamp=1")
}

/// Runs the load: waits for the start time, ramps up this segment's clients, measures for
/// `config.duration`, and reports. `progress` is called about ten times a second.
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
    let mut url = config.endpoint.websocket_url()?;
    if config.stamps {
        url = with_stamp_request(&url);
    }
    let url = Arc::new(url);
    let tls = config.endpoint.tls_config()?;
    let share = config
        .segment
        .unwrap_or(Segment::WHOLE)
        .share(config.clients);
    let clients = share.len() as u32;
    let mut state = LoadProgress::default();
    tokio::pin!(shutdown);
    let mut interrupted = false;
    if let Some(start_at) = config.start_at {
        match start_at.duration_since(SystemTime::now()) {
            Ok(wait) => {
                state.waiting = true;
                progress(&state);
                tokio::select! {
                    () = shutdown.as_mut() => interrupted = true,
                    () = tokio::time::sleep(wait) => {}
                }
                state.waiting = false;
            }
            Err(late) => tracing::warn!(
                "the start time passed {:.3} s ago: starting now",
                late.duration().as_secs_f64()
            ),
        }
    }
    let mut report = LoadReport::empty(clients);
    report.segments = config.segment.into_iter().collect();
    if interrupted || clients == 0 {
        report.interrupted = interrupted;
        return Ok(report);
    }
    let rss_before = config.server_pid.and_then(resident_kib);
    let shared = Arc::new(Shared::new());
    let (stop_tx, stop_rx) = watch::channel(false);
    let (connected_tx, mut connected_rx) = tokio::sync::mpsc::unbounded_channel::<bool>();
    let setup = ClientSetup {
        url,
        tls,
        namespace: config.endpoint.namespace.clone().into(),
        token: config.endpoint.token.as_ref().map(|t| t.expose().into()),
        connect_timeout: config.connect_timeout,
        probe: config.ack_probe.clone(),
        gate: Arc::new(Semaphore::new(config.concurrency.max(1) as usize)),
        shared: shared.clone(),
        stop: stop_rx,
        connected: connected_tx,
    };

    let started = Instant::now();
    let mut tasks = Vec::with_capacity(clients as usize);
    for number in share {
        let script = config.replay.as_ref().map(|plan| plan.script_for(number));
        tasks.push(tokio::spawn(run_client(setup.clone(), script)));
    }
    drop(setup);

    let mut ticker = tokio::time::interval(Duration::from_millis(100));
    // Ramp-up: wait until every client has connected or failed.
    while state.connected + state.failed < clients {
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

    let histograms = &mut report.histograms;
    for task in tasks {
        let Ok(outcome) = task.await else {
            report.failed += 1;
            continue;
        };
        match outcome.connect {
            Ok(time) => {
                report.connected += 1;
                let _ = histograms.connect.record(micros(time));
            }
            Err(reason) => {
                report.failed += 1;
                report.first_error.get_or_insert(reason);
            }
        }
        report.dropped += u32::from(outcome.dropped);
        report.acks_sent += outcome.acks_sent;
        report.stamps_ahead += outcome.stamps_ahead;
        report.replay_emits += outcome.replay_emits;
    }
    // Every client task has ended (or was dropped, flushing its samples): the shared histograms
    // are whole.
    let take = |histogram: &Mutex<Histogram<u64>>| {
        std::mem::replace(
            &mut *histogram.lock().unwrap_or_else(PoisonError::into_inner),
            new_histogram(),
        )
    };
    histograms.ack_round_trip = take(&shared.round_trips);
    histograms.emit_to_receive = take(&shared.latencies);
    histograms.delivery_skew = shared.skew.finish();
    report.events = shared.events.load(Ordering::Relaxed);
    report.ramp_up = ramp_up;
    report.measured = measured;
    report.events_per_sec = report.events as f64 / measured.as_secs_f64().max(1e-9);
    report.server_rss_before_kib = rss_before;
    report.server_rss_connected_kib = rss_connected;
    report.interrupted = interrupted;
    report.summarise();
    Ok(report)
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
        server_stamping(events, clients, false).await
    }

    /// [`server`], appending each event's send time (unix µs) when `stamp` is true, as the
    /// mock does for `stamp=1`.
    async fn server_stamping(events: usize, clients: usize, stamp: bool) -> String {
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
                        let frame = if stamp {
                            let now = client::unix_micros();
                            format!(r#"42/chatomni,["on-events","{n}",{now}]"#)
                        } else {
                            format!(r#"42/chatomni,["on-events","{n}"]"#)
                        };
                        let _ = ws.send(Message::text(frame)).await;
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
    async fn stamped_events_give_emit_to_receive_latency_and_still_match_for_skew() {
        let url = server_stamping(30, 3, true).await;
        let mut config = LoadConfig::new(Endpoint::new(url), 3);
        config.duration = Duration::from_millis(600);
        let report = load(config, std::future::pending(), |_| {})
            .await
            .expect("runs");
        assert_eq!(report.events, 90, "{report:?}");
        assert_eq!(report.emit_to_receive.count, 90, "{report:?}");
        // Each connection stamps its own copy; without the stamp the payloads match.
        assert_eq!(report.delivery_skew.count, 90, "{report:?}");
        assert!(
            report.emit_to_receive.p50_ms > 0.0 && report.emit_to_receive.max_ms < 5000.0,
            "{report:?}"
        );
        assert_eq!(report.stamps_ahead, 0);
        // Unstamped events are counted, not timed.
        let url = server(10, 1).await;
        let mut config = LoadConfig::new(Endpoint::new(url), 1);
        config.duration = Duration::from_millis(400);
        let report = load(config, std::future::pending(), |_| {}).await.unwrap();
        assert_eq!((report.events, report.emit_to_receive.count), (10, 0));
    }

    #[test]
    fn the_stamp_request_is_added_once() {
        assert_eq!(
            with_stamp_request("ws://h/socket.io/?EIO=4&transport=websocket"),
            "ws://h/socket.io/?EIO=4&transport=websocket&stamp=1"
        );
        assert_eq!(with_stamp_request("ws://h/?stamp=0"), "ws://h/?stamp=0");
        assert_eq!(with_stamp_request("ws://h/"), "ws://h/?stamp=1");
    }

    #[tokio::test]
    async fn a_segment_runs_its_share_and_an_empty_share_runs_nobody() {
        let url = server(5, 2).await;
        let mut config = LoadConfig::new(Endpoint::new(url.clone()), 7);
        config.duration = Duration::from_millis(400);
        config.segment = Some(Segment::new(1, 3).unwrap()); // clients 2..4
        let report = load(config, std::future::pending(), |_| {}).await.unwrap();
        assert_eq!((report.clients, report.connected), (2, 2), "{report:?}");
        assert_eq!(report.events, 10);
        assert_eq!(report.segments, vec![Segment::new(1, 3).unwrap()]);
        let mut config = LoadConfig::new(Endpoint::new(url), 1);
        config.segment = Some(Segment::new(0, 2).unwrap());
        let report = load(config, std::future::pending(), |_| {}).await.unwrap();
        assert_eq!((report.clients, report.connected, report.events), (0, 0, 0));
    }

    #[tokio::test]
    async fn the_run_waits_for_its_start_time() {
        let url = server(0, 1).await;
        let mut config = LoadConfig::new(Endpoint::new(url), 1);
        config.duration = Duration::from_millis(50);
        config.start_at = Some(SystemTime::now() + Duration::from_millis(300));
        let begin = Instant::now();
        let mut waited = false;
        let report = load(config, std::future::pending(), |p| waited |= p.waiting)
            .await
            .unwrap();
        assert!(begin.elapsed() >= Duration::from_millis(300));
        assert!(waited);
        assert_eq!(report.connected, 1);
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
}
