//! The recorder: connects to a Socket.IO server, answers its pings, and writes every frame to a
//! native capture as it arrives.
//!
//! The capture writer flushes each line, so the file is valid whenever the recorder stops: at
//! its event or time limit, on the caller's shutdown signal (Ctrl-C), or on an error. A dropped
//! connection is written as a gap record and followed by a reconnect with exponential backoff;
//! the frames of the new connection carry the next connection number.

use std::future::Future;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sio_capture::carry::{CarryPlan, ScriptPlayer};
use sio_capture::writer::{OutputOptions, create_output};
use sio_capture::{
    CaptureWriter, Direction, FrameRecord, GapRecord, Header, RedactionReport, Redactor,
};
use tokio_tungstenite::tungstenite::Message;

use crate::connection::{Connection, Happening};
use crate::dial::{Socket, connect_websocket};
use crate::http_get::http_get;
use crate::{ClientError, Endpoint};

/// What to record and when to stop.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RecordConfig {
    /// The server, namespace, token and TLS roots.
    pub endpoint: Endpoint,
    /// The capture file to write, never through a symbolic link (see
    /// [`sio_capture::writer::create_output`]); `0600` when `redact` is off.
    pub output: PathBuf,
    /// Replace `output` if it exists; when false, an existing file is an error
    /// ([`sio_capture::CaptureError::OutputExists`]). Default true.
    pub overwrite: bool,
    /// Stop after this many Socket.IO events in the namespace.
    pub max_events: Option<u64>,
    /// Stop after this long.
    pub max_duration: Option<Duration>,
    /// HTTP GET exchanges to record once the first connection is up (e.g. live-video REST).
    pub http_get: Vec<String>,
    /// Consecutive failed reconnects allowed before giving up. 0 never reconnects: a lost
    /// connection ends the recording ([`StopReason::ConnectionLost`]), not as an error.
    pub max_reconnects: u32,
    /// The first reconnect delay; it doubles after each failure up to `max_backoff`.
    pub initial_backoff: Duration,
    /// The longest reconnect delay.
    pub max_backoff: Duration,
    /// How long the WebSocket and Engine.IO handshakes may take.
    pub handshake_timeout: Duration,
    /// Redact tokens (JWTs, `token` fields, Authorization headers) before they reach the file.
    pub redact: bool,
    /// Text frames the client sends, in order, once the server accepts the namespace CONNECT
    /// on each connection: the client side of a scripted session (e.g. `42/chatomni,["x"]`).
    /// The CONNECT itself and pongs are the session machine's, not listed here.
    pub send_after_connect: Vec<String>,
    /// The client frames with the server values they carry (see [`sio_capture::carry`]):
    /// when set, it replaces `send_after_connect`, and each frame waits until the values it
    /// carries have arrived on that connection.
    pub carry: Option<CarryPlan>,
}

impl RecordConfig {
    /// A configuration with the defaults: no limits, 10 reconnects from 250 ms up to 30 s,
    /// a 10 s handshake limit, redaction on.
    pub fn new(endpoint: Endpoint, output: impl Into<PathBuf>) -> Self {
        RecordConfig {
            endpoint,
            output: output.into(),
            overwrite: true,
            max_events: None,
            max_duration: None,
            http_get: Vec::new(),
            max_reconnects: 10,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(30),
            handshake_timeout: Duration::from_secs(10),
            redact: true,
            send_after_connect: Vec::new(),
            carry: None,
        }
    }

    fn player(&self) -> ScriptPlayer {
        match &self.carry {
            Some(plan) => plan.player(),
            None => CarryPlan::plain(self.send_after_connect.iter().cloned()).player(),
        }
    }
}

/// Counters a caller can show while recording.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecordStats {
    /// Connections opened (the first one included).
    pub connections: u32,
    /// Frames written, both directions.
    pub frames: u64,
    /// Socket.IO events received in the namespace.
    pub events: u64,
    /// Gap records written (connections lost).
    pub gaps: u32,
    /// HTTP exchanges written.
    pub http_exchanges: u32,
}

/// Why a recording ended without an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StopReason {
    /// `max_events` events were received.
    Events,
    /// `max_duration` passed.
    Duration,
    /// The caller's shutdown future completed (e.g. Ctrl-C).
    Shutdown,
    /// The connection was lost and `max_reconnects` is 0, so the recording ends there (with
    /// a gap record saying why).
    ConnectionLost,
}

/// The result of a recording.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RecordSummary {
    /// The capture file.
    pub output: PathBuf,
    /// What was written.
    pub stats: RecordStats,
    /// Why it stopped.
    pub stopped_by: StopReason,
    /// How long it ran.
    pub elapsed: Duration,
    /// What redaction took out.
    pub redaction: RedactionReport,
    /// Scripted client frames never sent on the last connection, because a value they carry
    /// never arrived (0 without a script).
    pub unsent_frames: usize,
    /// What the first of them waited for, in words.
    pub waiting_for: Option<String>,
}

/// How one connection ended.
enum ConnectionEnd {
    Stop(StopReason),
    Dropped(String),
}

/// Records `config.endpoint` into `config.output` until a limit is reached or `shutdown`
/// completes. `progress` is called after every frame with the running counters.
///
/// # Errors
///
/// The output cannot be written, the URL or CA file is unusable, the server refuses the
/// namespace connect (a bad token), or the connection cannot be (re-)established within
/// `max_reconnects` attempts. The capture stays valid in every case, and is synced to disk
/// (`fsync`) however the recording ends.
pub async fn record(
    config: RecordConfig,
    shutdown: impl Future<Output = ()>,
    progress: impl FnMut(&RecordStats),
) -> Result<RecordSummary, ClientError> {
    // Checked before the file is created, so a typo in the URL leaves no empty capture behind.
    config.endpoint.websocket_url()?;
    config.endpoint.tls_config()?;
    let capture_error = |source| ClientError::Capture {
        path: config.output.clone(),
        source,
    };
    let options = OutputOptions::default()
        .overwrite(config.overwrite)
        .private(!config.redact);
    let file = create_output(&config.output, options).map_err(capture_error)?;
    // A second handle on the same file, to sync it whatever `record_into` returns.
    let sync = file.try_clone().map_err(|e| capture_error(e.into()))?;
    let recorded = record_into(&config, file, shutdown, progress).await;
    let synced = sync.sync_all().map_err(|e| capture_error(e.into()));
    let (summary, _file) = recorded?;
    synced?;
    Ok(summary)
}

/// [`record`] into any writer (`config.output` only names it in errors and the summary);
/// returns the writer, flushed.
pub(crate) async fn record_into<W: Write>(
    config: &RecordConfig,
    out: W,
    shutdown: impl Future<Output = ()>,
    mut progress: impl FnMut(&RecordStats),
) -> Result<(RecordSummary, W), ClientError> {
    let url = config.endpoint.websocket_url()?;
    let tls = config.endpoint.tls_config()?;
    let capture_error = |source| ClientError::Capture {
        path: config.output.clone(),
        source,
    };
    let mut header = Header::new("record");
    header.url = Some(url.clone());
    header.room = config.endpoint.room.clone();
    header.started_at = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .ok();
    header.writer = Some(concat!("rt2-mock ", env!("CARGO_PKG_VERSION")).to_owned());
    let redactor = if config.redact {
        Redactor::default()
    } else {
        Redactor::disabled()
    };
    let writer = CaptureWriter::with_redactor(out, header, redactor).map_err(capture_error)?;

    let mut recorder = Recorder {
        config,
        url,
        tls,
        writer,
        started: Instant::now(),
        stats: RecordStats::default(),
        unsent_frames: 0,
        waiting_for: None,
    };
    tokio::pin!(shutdown);
    let deadline = config.max_duration.map(|d| recorder.started + d);
    let result = recorder.run(&mut shutdown, deadline, &mut progress).await;
    let Recorder {
        writer,
        stats,
        started,
        unsent_frames,
        waiting_for,
        ..
    } = recorder;
    let redaction = writer.redaction_report();
    let out = writer.finish().map_err(capture_error)?;
    let stopped_by = result?;
    let summary = RecordSummary {
        output: config.output.clone(),
        stats,
        stopped_by,
        elapsed: started.elapsed(),
        redaction,
        unsent_frames,
        waiting_for,
    };
    Ok((summary, out))
}

struct Recorder<'a, W: Write> {
    config: &'a RecordConfig,
    url: String,
    tls: Arc<rustls::ClientConfig>,
    // Writes are small and flushed one line at a time; doing them inline keeps frame order
    // exact and is far cheaper than the network round trip that produced each frame.
    writer: CaptureWriter<W>,
    started: Instant,
    stats: RecordStats,
    unsent_frames: usize,
    waiting_for: Option<String>,
}

impl<W: Write> Recorder<'_, W> {
    fn t_ms(&self) -> f64 {
        self.started.elapsed().as_secs_f64() * 1000.0
    }

    async fn run(
        &mut self,
        shutdown: &mut std::pin::Pin<&mut impl Future<Output = ()>>,
        deadline: Option<Instant>,
        progress: &mut impl FnMut(&RecordStats),
    ) -> Result<StopReason, ClientError> {
        let mut failures = 0u32;
        let mut backoff = self.config.initial_backoff;
        let mut fetched_http = false;
        loop {
            let sleep_until_deadline = sleep_until(deadline);
            let attempt = tokio::select! {
                biased;
                () = shutdown.as_mut() => return Ok(StopReason::Shutdown),
                () = sleep_until_deadline => return Ok(StopReason::Duration),
                attempt = tokio::time::timeout(
                    self.config.handshake_timeout,
                    connect_websocket(&self.url, &self.tls),
                ) => attempt,
            };
            let outcome = match attempt {
                Ok(Ok(socket)) => {
                    self.stats.connections += 1;
                    let conn = self.stats.connections;
                    tracing::info!(conn, url = %self.url, "connected");
                    if !fetched_http {
                        fetched_http = true;
                        self.record_http().await?;
                    }
                    match self
                        .session(socket, conn, shutdown, deadline, progress)
                        .await?
                    {
                        ConnectionEnd::Stop(reason) => return Ok(reason),
                        ConnectionEnd::Dropped(reason) => {
                            self.write_gap(conn, &reason)?;
                            progress(&self.stats);
                            // A connection that got going resets the budget: only failures in
                            // a row count.
                            failures = 0;
                            backoff = self.config.initial_backoff;
                            reason
                        }
                    }
                }
                Ok(Err(err)) => {
                    if self.stats.connections == 0 {
                        // The very first connect failing is a configuration problem (wrong
                        // URL, TLS, refused): say so now rather than retry in silence.
                        return Err(err);
                    }
                    err.to_string()
                }
                Err(_) => {
                    if self.stats.connections == 0 {
                        return Err(ClientError::HandshakeTimeout {
                            url: self.url.clone(),
                            seconds: self.config.handshake_timeout.as_secs(),
                        });
                    }
                    "WebSocket handshake timed out".to_owned()
                }
            };
            if self.config.max_reconnects == 0 && self.stats.connections > 0 {
                return Ok(StopReason::ConnectionLost);
            }
            failures += 1;
            if failures > self.config.max_reconnects {
                return Err(ClientError::GaveUp {
                    attempts: failures - 1,
                    last: outcome,
                });
            }
            tracing::warn!(reason = %outcome, delay_ms = backoff.as_millis() as u64, "connection lost; reconnecting");
            tokio::select! {
                biased;
                () = shutdown.as_mut() => return Ok(StopReason::Shutdown),
                () = sleep_until(deadline) => return Ok(StopReason::Duration),
                () = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(self.config.max_backoff);
        }
    }

    async fn session(
        &mut self,
        socket: Socket,
        conn: u32,
        shutdown: &mut std::pin::Pin<&mut impl Future<Output = ()>>,
        deadline: Option<Instant>,
        progress: &mut impl FnMut(&RecordStats),
    ) -> Result<ConnectionEnd, ClientError> {
        let token = self.config.endpoint.token.as_ref().map(|t| t.expose());
        let mut connection = Connection::start(
            socket,
            &self.config.endpoint.namespace,
            token,
            self.config.handshake_timeout,
        )?;
        let mut player = self.config.player();
        let mut connected = false;
        let end = self
            .connection_loop(
                &mut connection,
                &mut player,
                &mut connected,
                conn,
                shutdown,
                deadline,
                progress,
            )
            .await;
        self.unsent_frames = player.unsent();
        self.waiting_for = player
            .waiting()
            .map(|(frame, carried)| format!("{} (for {})", carried.source, frame.text));
        end
    }

    #[allow(clippy::too_many_arguments)]
    async fn connection_loop(
        &mut self,
        connection: &mut Connection,
        player: &mut ScriptPlayer,
        connected: &mut bool,
        conn: u32,
        shutdown: &mut std::pin::Pin<&mut impl Future<Output = ()>>,
        deadline: Option<Instant>,
        progress: &mut impl FnMut(&RecordStats),
    ) -> Result<ConnectionEnd, ClientError> {
        loop {
            let happening = tokio::select! {
                biased;
                () = shutdown.as_mut() => {
                    connection.close().await;
                    return Ok(ConnectionEnd::Stop(StopReason::Shutdown));
                }
                () = sleep_until(deadline) => {
                    connection.close().await;
                    return Ok(ConnectionEnd::Stop(StopReason::Duration));
                }
                happening = connection.next() => happening,
            };
            match happening {
                Happening::Received(message) => {
                    self.write_message(conn, Direction::Server, &message)?;
                    if let Message::Text(text) = &message {
                        player.observe(text.as_str());
                        if *connected {
                            for frame in player.ready() {
                                connection.send_raw(&frame)?;
                            }
                        }
                    }
                }
                Happening::Sent(message) => {
                    self.write_message(conn, Direction::Client, &message)?
                }
                Happening::Ack(_) => {}
                Happening::Connected => {
                    *connected = true;
                    for frame in player.ready() {
                        connection.send_raw(&frame)?;
                    }
                }
                Happening::Event(_) => {
                    self.stats.events += 1;
                    if self
                        .config
                        .max_events
                        .is_some_and(|max| self.stats.events >= max)
                    {
                        progress(&self.stats);
                        connection.close().await;
                        return Ok(ConnectionEnd::Stop(StopReason::Events));
                    }
                }
                Happening::Refused(message) => {
                    connection.close().await;
                    return Err(ClientError::Refused {
                        namespace: self.config.endpoint.namespace.clone(),
                        message,
                    });
                }
                Happening::Ended(reason) => return Ok(ConnectionEnd::Dropped(reason)),
            }
            progress(&self.stats);
        }
    }

    fn write_message(
        &mut self,
        conn: u32,
        from: Direction,
        message: &Message,
    ) -> Result<(), ClientError> {
        let frame = match message {
            Message::Text(text) => FrameRecord::text(self.t_ms(), conn, from, text.as_str()),
            Message::Binary(bytes) => FrameRecord::binary(self.t_ms(), conn, from, bytes),
            _ => return Ok(()),
        };
        self.write_frame(frame)
    }

    fn write_frame(&mut self, frame: FrameRecord) -> Result<(), ClientError> {
        self.writer
            .write_frame(&frame)
            .map_err(|source| ClientError::Capture {
                path: self.config.output.clone(),
                source,
            })?;
        self.stats.frames += 1;
        Ok(())
    }

    fn write_gap(&mut self, conn: u32, reason: &str) -> Result<(), ClientError> {
        let gap = GapRecord::lost(self.t_ms(), conn, Some(reason.to_owned()));
        self.writer
            .write_gap(&gap)
            .map_err(|source| ClientError::Capture {
                path: self.config.output.clone(),
                source,
            })?;
        self.stats.gaps += 1;
        Ok(())
    }

    async fn record_http(&mut self) -> Result<(), ClientError> {
        for url in &self.config.http_get {
            let t_ms = self.t_ms();
            let token = self.config.endpoint.token.as_ref().map(|t| t.expose());
            let exchange =
                http_get(url, token, &self.tls, t_ms, self.config.handshake_timeout).await?;
            self.writer
                .write_http(&exchange)
                .map_err(|source| ClientError::Capture {
                    path: self.config.output.clone(),
                    source,
                })?;
            self.stats.http_exchanges += 1;
        }
        Ok(())
    }
}

/// Sleeps until `deadline`, or forever when there is none.
async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline.into()).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::{SinkExt, StreamExt};
    use sio_capture::{CaptureReader, Record};
    use tokio::net::TcpListener;

    const OPEN: &str =
        r#"0{"sid":"s1","upgrades":[],"pingInterval":200,"pingTimeout":200,"maxPayload":1000000}"#;

    /// A scripted server: for each accepted connection, sends the open packet, waits for the
    /// namespace CONNECT, then sends `events` events and a ping, and then either keeps the
    /// connection open or drops it (`drop_after` connections are dropped).
    async fn scripted_server(
        events: usize,
        drop_first: usize,
    ) -> (String, tokio::task::JoinHandle<Vec<String>>) {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let handle = tokio::spawn(async move {
            let mut received = Vec::new();
            for index in 0.. {
                let Ok((tcp, _)) = listener.accept().await else {
                    break;
                };
                let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await else {
                    break;
                };
                let _ = ws.send(Message::text(OPEN)).await;
                if let Some(Ok(Message::Text(connect))) = ws.next().await {
                    received.push(connect.to_string());
                }
                let _ = ws.send(Message::text(r#"40/chatomni,{"sid":"n1"}"#)).await;
                for n in 0..events {
                    let _ = ws
                        .send(Message::text(format!(
                            r#"42/chatomni,["on-events","{{\"n\":{n}}}"]"#
                        )))
                        .await;
                }
                let _ = ws.send(Message::text("2")).await;
                if let Some(Ok(Message::Text(pong))) = ws.next().await {
                    received.push(pong.to_string());
                }
                if index < drop_first {
                    drop(ws);
                    continue;
                }
                // Keep the last connection open until the client goes away.
                while let Some(Ok(_)) = ws.next().await {}
                break;
            }
            received
        });
        (format!("ws://{addr}"), handle)
    }

    fn config(url: &str, out: &std::path::Path) -> RecordConfig {
        let mut endpoint = Endpoint::new(url);
        endpoint.room = Some("tomato.tpos.vn".to_owned());
        endpoint.token = Some(crate::Token::new(
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln",
        ));
        let mut config = RecordConfig::new(endpoint, out);
        config.initial_backoff = Duration::from_millis(10);
        config.handshake_timeout = Duration::from_secs(5);
        config
    }

    fn read(path: &std::path::Path) -> Vec<Record> {
        CaptureReader::open(path)
            .expect("capture opens")
            .collect::<Result<_, _>>()
            .expect("every line is a valid record")
    }

    #[tokio::test]
    async fn stops_after_n_events_with_every_frame_written_and_token_redacted() {
        let (url, server) = scripted_server(5, 0).await;
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("c.jsonl");
        let mut cfg = config(&url, &out);
        cfg.max_events = Some(3);
        let summary = record(cfg, std::future::pending(), |_| {})
            .await
            .expect("records");
        assert_eq!(summary.stopped_by, StopReason::Events);
        assert_eq!(summary.stats.events, 3);
        let records = read(&out);
        let Record::Header(header) = &records[0] else {
            panic!("header first")
        };
        assert_eq!(header.room.as_deref(), Some("tomato.tpos.vn"));
        let frames: Vec<_> = records
            .iter()
            .filter_map(|r| match r {
                Record::Frame(f) => Some((f.from, f.data.clone())),
                _ => None,
            })
            .collect();
        // open, our CONNECT, the ack, three events.
        assert_eq!(frames.len(), 6, "{frames:?}");
        assert_eq!(frames[1].0, Direction::Client);
        assert!(frames[1].1.starts_with("40/chatomni,"), "{frames:?}");
        assert!(
            !frames[1].1.contains("eyJzdWIiOiJ4In0"),
            "token must be redacted: {}",
            frames[1].1
        );
        assert!(summary.redaction.total() >= 1);
        // The server did receive the real token.
        drop(server);
    }

    #[tokio::test]
    async fn scripted_client_frames_go_out_after_the_connect_is_accepted() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let server = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.expect("accept");
            let mut ws = tokio_tungstenite::accept_async(tcp).await.expect("ws");
            let _ = ws.send(Message::text(OPEN)).await;
            let _ = ws.next().await;
            let _ = ws.send(Message::text(r#"40/chatomni,{"sid":"n1"}"#)).await;
            let mut got = Vec::new();
            while let Some(Ok(Message::Text(text))) = ws.next().await {
                got.push(text.to_string());
                if got.len() == 2 {
                    let _ = ws.send(Message::text(r#"42/chatomni,["done"]"#)).await;
                }
            }
            got
        });
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("c.jsonl");
        let mut cfg = config(&format!("ws://{addr}"), &out);
        cfg.max_events = Some(1);
        cfg.send_after_connect = vec![
            r#"42/chatomni,["hello",1]"#.to_owned(),
            "42/chatomni,1[\"ask\"]".to_owned(),
        ];
        record(cfg, std::future::pending(), |_| {})
            .await
            .expect("records");
        let got = server.await.expect("server");
        assert_eq!(
            got,
            [r#"42/chatomni,["hello",1]"#, r#"42/chatomni,1["ask"]"#]
        );
        let client_frames: Vec<String> = read(&out)
            .into_iter()
            .filter_map(|r| match r {
                Record::Frame(f) if f.from == Direction::Client => Some(f.data),
                _ => None,
            })
            .collect();
        assert_eq!(
            client_frames.len(),
            3,
            "CONNECT and the two scripted frames: {client_frames:?}"
        );
    }

    #[tokio::test]
    async fn carried_values_are_the_live_servers_and_frames_wait_for_them() {
        use sio_capture::carry::CarryPlan;
        use sio_capture::{FrameRecord, Record};
        // The capture: the server's sid and an id from an ack, both sent back by the client.
        let captured = [
            (Direction::Server, r#"40/chatomni,{"sid":"captured-sid"}"#),
            (
                Direction::Client,
                r#"42/chatomni,1["create",{"by":"captured-sid"}]"#,
            ),
            (
                Direction::Server,
                r#"43/chatomni,1[{"id":"captured-room"}]"#,
            ),
            (Direction::Client, r#"42/chatomni,["join","captured-room"]"#),
        ]
        .map(|(from, data)| Record::Frame(FrameRecord::text(0.0, 1, from, data)));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let server = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.expect("accept");
            let mut ws = tokio_tungstenite::accept_async(tcp).await.expect("ws");
            let _ = ws.send(Message::text(OPEN)).await;
            let _ = ws.next().await;
            let _ = ws
                .send(Message::text(r#"40/chatomni,{"sid":"live-sid"}"#))
                .await;
            let mut got = Vec::new();
            while let Some(Ok(Message::Text(text))) = ws.next().await {
                got.push(text.to_string());
                if got.len() == 1 {
                    // Before the ack, the second frame must not have gone out.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    let _ = ws
                        .send(Message::text(r#"43/chatomni,1[{"id":"live-room"}]"#))
                        .await;
                }
                if got.len() == 2 {
                    let _ = ws.send(Message::text(r#"42/chatomni,["done"]"#)).await;
                }
            }
            got
        });
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("c.jsonl");
        let mut cfg = config(&format!("ws://{addr}"), &out);
        cfg.max_events = Some(1);
        cfg.carry = Some(CarryPlan::from_records(&captured));
        let summary = record(cfg, std::future::pending(), |_| {})
            .await
            .expect("records");
        assert_eq!(summary.unsent_frames, 0);
        let got = server.await.expect("server");
        assert_eq!(
            got,
            [
                r#"42/chatomni,1["create",{"by":"live-sid"}]"#,
                r#"42/chatomni,["join","live-room"]"#
            ]
        );
    }

    #[tokio::test]
    async fn a_value_that_never_comes_leaves_its_frame_unsent_and_says_what_it_waited_for() {
        use sio_capture::carry::CarryPlan;
        use sio_capture::{FrameRecord, Record};
        let captured = [
            (
                Direction::Server,
                r#"43/chatomni,1[{"id":"captured-room"}]"#,
            ),
            (Direction::Client, r#"42/chatomni,["join","captured-room"]"#),
        ]
        .map(|(from, data)| Record::Frame(FrameRecord::text(0.0, 1, from, data)));
        let (url, server) = scripted_server(1, 0).await;
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("c.jsonl");
        let mut cfg = config(&url, &out);
        cfg.max_events = Some(1);
        cfg.carry = Some(CarryPlan::from_records(&captured));
        let summary = record(cfg, std::future::pending(), |_| {})
            .await
            .expect("records");
        assert_eq!(summary.unsent_frames, 1);
        assert_eq!(
            summary.waiting_for.as_deref(),
            Some(r#"/chatomni ACK 1 #1 $[0].id (for 42/chatomni,["join","captured-room"])"#)
        );
        drop(server);
    }

    #[tokio::test]
    async fn a_dropped_connection_writes_a_gap_and_reconnects() {
        let (url, server) = scripted_server(2, 1).await;
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("c.jsonl");
        let mut cfg = config(&url, &out);
        cfg.max_events = Some(4);
        let summary = record(cfg, std::future::pending(), |_| {})
            .await
            .expect("records");
        assert_eq!(summary.stats.connections, 2);
        assert_eq!(summary.stats.gaps, 1);
        let received = server.await.expect("server task");
        assert!(
            received[0].contains("eyJzdWIiOiJ4In0"),
            "the server gets the real token"
        );
        assert_eq!(received[1], "3", "the ping was answered");
        let records = read(&out);
        let gap = records
            .iter()
            .position(|r| matches!(r, Record::Gap(_)))
            .expect("a gap record");
        assert!(
            records[..gap]
                .iter()
                .all(|r| !matches!(r, Record::Frame(f) if f.conn != 1))
        );
        assert!(
            records[gap + 1..]
                .iter()
                .all(|r| matches!(r, Record::Frame(f) if f.conn == 2))
        );
    }

    #[tokio::test]
    async fn without_reconnects_a_drop_ends_the_recording_cleanly() {
        let (url, _server) = scripted_server(2, 1).await;
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("c.jsonl");
        let mut cfg = config(&url, &out);
        cfg.max_reconnects = 0;
        let summary = record(cfg, std::future::pending(), |_| {})
            .await
            .expect("records");
        assert_eq!(summary.stopped_by, StopReason::ConnectionLost);
        assert_eq!(
            (
                summary.stats.connections,
                summary.stats.gaps,
                summary.stats.events
            ),
            (1, 1, 2)
        );
        assert!(
            matches!(read(&out).last(), Some(Record::Gap(_))),
            "the gap says why it ended"
        );
    }

    #[tokio::test]
    async fn shutdown_stops_with_the_file_intact() {
        let (url, _server) = scripted_server(2, 0).await;
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("c.jsonl");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let mut tx = Some(tx);
        let summary = record(
            config(&url, &out),
            async {
                let _ = rx.await;
            },
            move |stats| {
                if stats.events == 2 {
                    if let Some(tx) = tx.take() {
                        let _ = tx.send(());
                    }
                }
            },
        )
        .await
        .expect("records");
        assert_eq!(summary.stopped_by, StopReason::Shutdown);
        assert_eq!(read(&out).len() as u64, summary.stats.frames + 1);
    }

    #[tokio::test]
    async fn a_refused_connect_is_an_error_naming_the_message() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.expect("accept");
            let mut ws = tokio_tungstenite::accept_async(tcp).await.expect("ws");
            let _ = ws.send(Message::text(OPEN)).await;
            let _ = ws.next().await;
            let _ = ws
                .send(Message::text(r#"44/chatomni,{"message":"invalid token"}"#))
                .await;
            while let Some(Ok(_)) = ws.next().await {}
        });
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("c.jsonl");
        let err = record(
            config(&format!("ws://{addr}"), &out),
            std::future::pending(),
            |_| {},
        )
        .await
        .unwrap_err();
        assert!(err.to_string().contains("invalid token"), "{err}");
        assert_eq!(read(&out).len(), 4, "header, open, connect, refusal");
    }

    #[tokio::test]
    async fn an_unreachable_server_fails_at_once() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        drop(listener);
        let dir = tempfile::tempdir().expect("tempdir");
        let err = record(
            config(&format!("ws://{addr}"), &dir.path().join("c.jsonl")),
            std::future::pending(),
            |_| {},
        )
        .await
        .unwrap_err();
        assert!(err.to_string().contains(&addr.to_string()), "{err}");
    }
}
