//! The socketioxide side of the fan-out benchmark (`benches/load/run.sh`): a Socket.IO server
//! built on the `socketioxide` crate, the strongest Rust peer, doing what `sio-replay serve`
//! and `benches/load/node-server.cjs` do, so that the same `sio-replay load` run measures all
//! three.
//!
//! - Namespace `/chatomni`; every server-to-client `42/chatomni,["on-events", ...]` frame of
//!   the capture, re-emitted with socketioxide's encoder (one string argument: the same text).
//! - The same auth acceptance as `serve --auth claims`: the CONNECT's `token` is a JWT whose
//!   payload (not its signature) is decoded; `TenantId` must equal the `room` query parameter
//!   and `exp` must be in the future; otherwise CONNECT_ERROR with a message.
//! - `latency-probe`: acknowledged with its own arguments (the load generator's ack probe).
//! - Send-time stamps (see docs/load.md): a client whose handshake query has `stamp=1` gets
//!   each event with one more, last argument, the emit time in microseconds since the Unix
//!   epoch. A live room is broadcast once to all its members, so its events carry a stamp
//!   when the client that started the room asked for one (in the benchmark, every client
//!   asks).
//!
//! Usage: `cargo run --release -p sio-benches --example socketioxide-server -- '<JSON>'`
//! with the options of node-server.cjs: `capture`, `mode` (`per-connection`, `live`,
//! `idle`), `speed` (a factor, or `"max"` per connection), `port` (default 0). Every replay
//! loops. On start it prints `{"listening": PORT, "pid": PID}` and serves until SIGINT or
//! SIGTERM.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use socketioxide::SocketIo;
use socketioxide::extract::{AckSender, Data, SocketRef, TryData};
use socketioxide::handler::ConnectHandler as _;
use socketioxide::socket::DisconnectReason;

const NAMESPACE: &str = "/chatomni";
/// Pause between passes, at original speed, as the mock's default (1 s).
const PASS_GAP_MS: f64 = 1000.0;

/// One event of the capture: when, after the namespace connect, and its arguments after the
/// event name.
#[derive(Debug, Clone)]
struct Event {
    offset_ms: f64,
    name: String,
    args: Vec<Value>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    PerConnection,
    Live,
    Idle,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Speed {
    Max,
    Factor(f64),
}

struct Setup {
    events: Vec<Event>,
    mode: Mode,
    speed: Speed,
    live_rooms: Mutex<HashSet<String>>,
}

fn fail(message: String) -> ! {
    eprintln!("socketioxide-server: {message}");
    std::process::exit(2);
}

/// The `/chatomni` server-to-client events of a capture, timed from the namespace's connect.
fn load_events(path: &str) -> Vec<Event> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| fail(format!("{path}: {e}")));
    let (connect, event) = (format!("40{NAMESPACE},"), format!("42{NAMESPACE},"));
    let mut origin = None;
    let mut events = Vec::new();
    for (number, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let record: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| fail(format!("{path}:{}: {e}", number + 1)));
        if record["type"] != "frame" || record["from"] != "server" || record["kind"] != "text" {
            continue;
        }
        let (Some(t_ms), Some(data)) = (record["t_ms"].as_f64(), record["data"].as_str()) else {
            continue;
        };
        if origin.is_none() && data.starts_with(&connect) {
            origin = Some(t_ms);
        }
        let Some(json) = data.strip_prefix(&event) else {
            continue;
        };
        let Ok(Value::Array(mut array)) = serde_json::from_str::<Value>(json) else {
            continue;
        };
        let Some(Value::String(name)) = (!array.is_empty()).then(|| array.remove(0)) else {
            continue;
        };
        events.push(Event {
            offset_ms: t_ms,
            name,
            args: array,
        });
    }
    let start = origin
        .or(events.first().map(|e| e.offset_ms))
        .unwrap_or(0.0);
    for event in &mut events {
        event.offset_ms = (event.offset_ms - start).max(0.0);
    }
    events
}

fn unix_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// The arguments to emit: the captured ones, plus the send-time stamp when asked.
fn arguments(event: &Event, stamp: bool) -> Vec<Value> {
    let mut args = event.args.clone();
    if stamp {
        args.push(unix_micros().into());
    }
    args
}

/// Emits `args` as separate arguments (socketioxide spreads a tuple or an array, not a Vec:
/// the usual one or two arguments are passed as tuples).
fn emit_to(socket: &SocketRef, name: &str, args: &[Value]) -> Result<(), socketioxide::SendError> {
    match args {
        [a] => socket.emit(name, &(a,)),
        [a, b] => socket.emit(name, &(a, b)),
        [a, b, c] => socket.emit(name, &(a, b, c)),
        other => socket.emit(name, &(other,)),
    }
}

async fn broadcast(io: &SocketIo, room: &str, name: &str, args: &[Value]) {
    let Some(ns) = io.of(NAMESPACE) else { return };
    let result = match args {
        [a] => ns.to(room.to_owned()).emit(name, &(a,)).await,
        [a, b] => ns.to(room.to_owned()).emit(name, &(a, b)).await,
        [a, b, c] => ns.to(room.to_owned()).emit(name, &(a, b, c)).await,
        other => ns.to(room.to_owned()).emit(name, &(other,)).await,
    };
    let _ = result;
}

/// The captured timeline at `factor` times its pace, looping: which event is next and when.
struct Pacer {
    started: tokio::time::Instant,
    span_ms: f64,
    factor: f64,
    pass: u64,
    index: usize,
}

impl Pacer {
    fn new(events: &[Event], factor: f64) -> Self {
        Pacer {
            started: tokio::time::Instant::now(),
            span_ms: events.last().map_or(0.0, |e| e.offset_ms) + PASS_GAP_MS,
            factor,
            pass: 0,
            index: 0,
        }
    }

    /// Sleeps until the next event is due and returns its index.
    async fn next(&mut self, events: &[Event]) -> usize {
        let due = (self.pass as f64 * self.span_ms + events[self.index].offset_ms) / self.factor;
        tokio::time::sleep_until(self.started + Duration::from_secs_f64(due / 1000.0)).await;
        let index = self.index;
        self.index += 1;
        if self.index == events.len() {
            self.index = 0;
            self.pass += 1;
        }
        index
    }
}

/// `serve --auth claims`: the JWT's payload, unverified, must name the room and not be expired.
fn check_claims(token: Option<&str>, room: &str) -> Result<(), String> {
    let token = token
        .filter(|t| !t.is_empty())
        .ok_or("Authentication error: no token in the connect payload")?;
    let bare = token.strip_prefix("Bearer ").unwrap_or(token);
    let parts: Vec<&str> = bare.split('.').collect();
    let [_, payload, _] = parts[..] else {
        return Err("Authentication error: the token is not a JWT".to_owned());
    };
    let claims: Value = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or("Authentication error: unreadable token payload")?;
    if claims["TenantId"].as_str() != Some(room) {
        return Err(format!(
            "Authentication error: TenantId {} does not match room {room:?}",
            claims["TenantId"]
        ));
    }
    let exp = claims["exp"]
        .as_i64()
        .ok_or("Authentication error: token has no exp claim")?;
    let now = (unix_micros() / 1_000_000) as i64;
    if exp <= now {
        return Err(format!(
            "Authentication error: token expired at {exp} (now {now})"
        ));
    }
    Ok(())
}

fn query_param<'a>(socket: &'a SocketRef, key: &str) -> Option<&'a str> {
    socket
        .req_parts()
        .uri
        .query()?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
}

fn on_connect(io: SocketIo, socket: SocketRef, setup: Arc<Setup>) {
    socket.on(
        "latency-probe",
        async |Data(data): Data<Value>, ack: AckSender| {
            let _ = ack.send(&data);
        },
    );
    let stamp = query_param(&socket, "stamp") == Some("1");
    match (setup.mode, setup.speed) {
        (Mode::Idle, _) => {}
        _ if setup.events.is_empty() => {}
        (Mode::Live, _) => {
            let room = query_param(&socket, "room").unwrap_or("").to_owned();
            socket.join(room.clone());
            let Speed::Factor(factor) = setup.speed else {
                return;
            };
            let first = setup
                .live_rooms
                .lock()
                .map(|mut rooms| rooms.insert(room.clone()))
                .unwrap_or(false);
            // One timeline per room, started by its first client, as the mock's live mode.
            if first {
                let setup = setup.clone();
                tokio::spawn(async move {
                    let mut pacer = Pacer::new(&setup.events, factor);
                    loop {
                        let event = &setup.events[pacer.next(&setup.events).await];
                        broadcast(&io, &room, &event.name, &arguments(event, stamp)).await;
                    }
                });
            }
        }
        (Mode::PerConnection, Speed::Factor(factor)) => {
            tokio::spawn(async move {
                let mut pacer = Pacer::new(&setup.events, factor);
                while socket.connected() {
                    let event = &setup.events[pacer.next(&setup.events).await];
                    let _ = emit_to(&socket, &event.name, &arguments(event, stamp));
                }
            });
        }
        (Mode::PerConnection, Speed::Max) => {
            // As fast as the client reads: emit until socketioxide's per-socket buffer is full,
            // then wait a moment; its bound keeps memory bounded as the mock's queue does.
            tokio::spawn(async move {
                let mut index = 0;
                while socket.connected() {
                    let event = &setup.events[index];
                    match emit_to(&socket, &event.name, &arguments(event, stamp)) {
                        Ok(()) => {
                            index = (index + 1) % setup.events.len();
                            if index % 64 == 0 {
                                tokio::task::yield_now().await;
                            }
                        }
                        Err(_) => tokio::time::sleep(Duration::from_millis(1)).await,
                    }
                }
            });
        }
    }
}

#[tokio::main]
async fn main() {
    let options: Value = std::env::args()
        .nth(1)
        .map(|json| serde_json::from_str(&json).unwrap_or_else(|e| fail(format!("options: {e}"))))
        .unwrap_or(Value::Null);
    let mode = match options["mode"].as_str().unwrap_or("per-connection") {
        "per-connection" => Mode::PerConnection,
        "live" => Mode::Live,
        "idle" => Mode::Idle,
        other => fail(format!("mode: {other} is not per-connection, live or idle")),
    };
    let speed = match &options["speed"] {
        Value::String(s) if s == "max" && mode != Mode::Live => Speed::Max,
        Value::Number(n) if n.as_f64().is_some_and(|f| f > 0.0) => {
            Speed::Factor(n.as_f64().unwrap_or(1.0))
        }
        Value::Null => Speed::Factor(1.0),
        other => fail(format!(
            "speed: {other} must be a number above 0, or \"max\" without live mode"
        )),
    };
    let events = options["capture"]
        .as_str()
        .map(load_events)
        .unwrap_or_default();
    let setup = Arc::new(Setup {
        events,
        mode,
        speed,
        live_rooms: Mutex::new(HashSet::new()),
    });
    // rt-2's settings, as the mock's defaults.
    let (svc, io) = SocketIo::builder()
        .ping_interval(Duration::from_secs(25))
        .ping_timeout(Duration::from_secs(60))
        .max_payload(1_000_000)
        .build_svc();
    let auth = async |socket: SocketRef, TryData(auth): TryData<Value>| -> Result<(), String> {
        let room = query_param(&socket, "room").unwrap_or("");
        let token = auth
            .ok()
            .and_then(|a| a["token"].as_str().map(str::to_owned));
        check_claims(token.as_deref(), room)
    };
    let setup_for_ns = setup.clone();
    io.ns(
        NAMESPACE,
        (async move |io: SocketIo, socket: SocketRef| {
            socket.on_disconnect(async |_: DisconnectReason| {});
            on_connect(io, socket, setup_for_ns.clone());
        })
        .with(auth),
    );

    let port = options["port"].as_u64().unwrap_or(0) as u16;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap_or_else(|e| fail(format!("bind 127.0.0.1:{port}: {e}")));
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(port);
    println!(
        "{}",
        serde_json::json!({"listening": port, "pid": std::process::id()})
    );
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .unwrap_or_else(|e| fail(format!("SIGTERM handler: {e}")));
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let svc = svc.clone();
                tokio::spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .with_upgrades()
                        .await;
                });
            }
            _ = tokio::signal::ctrl_c() => break,
            _ = terminate.recv() => break,
        }
    }
}
