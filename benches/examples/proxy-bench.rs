//! The driver of the proxy benchmark (`benches/proxy/run.sh`): a WebSocket echo server to
//! stand upstream, and clients that measure messages per second and round-trip latency
//! through whatever sits between them (nothing, `sio-replay proxy`, mitmproxy).
//!
//! ```text
//! proxy-bench echo                                   # prints {"listening": PORT}
//! proxy-bench throughput URL CONNECTIONS SECONDS     # one JSON line
//! proxy-bench latency URL RATE SECONDS               # one JSON line
//! ```
//!
//! Every message is a Socket.IO EVENT frame of about 600 bytes (what rt-2 sends), sent by a
//! masked client frame and echoed by the server, so a proxy's observer decodes both
//! directions. Throughput keeps `WINDOW` messages in flight per connection and counts echoes
//! after a one-second warm-up. Latency sends one message per 1/RATE s on one connection and
//! records each round trip in an HDR histogram (microseconds).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt as _, StreamExt as _};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

/// Messages in flight per connection in the throughput run.
const WINDOW: usize = 16;
/// Not counted at the start of a throughput run.
const WARM_UP: Duration = Duration::from_secs(1);

fn frame(seq: u64) -> String {
    let pad = "x".repeat(520);
    format!(r#"42/chatomni,["on-events","{{\"seq\":{seq},\"Message\":\"{pad}\"}}"]"#)
}

fn seq_of(text: &str) -> Option<u64> {
    let start = text.find(r#"\"seq\":"#)? + 8;
    let digits: String = text[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| -> &str {
        args.get(i).map(String::as_str).unwrap_or_else(|| {
            eprintln!("usage: proxy-bench echo | throughput URL CONNECTIONS SECONDS | latency URL RATE SECONDS");
            std::process::exit(64)
        })
    };
    match arg(0) {
        "echo" => echo().await,
        "throughput" => {
            throughput(
                arg(1),
                arg(2).parse().expect("CONNECTIONS"),
                arg(3).parse().expect("SECONDS"),
            )
            .await;
        }
        "latency" => {
            latency(
                arg(1),
                arg(2).parse().expect("RATE"),
                arg(3).parse().expect("SECONDS"),
            )
            .await;
        }
        other => {
            eprintln!("unknown mode {other:?}");
            std::process::exit(64)
        }
    }
}

/// An echo server on 127.0.0.1: every text or binary message goes back as it came.
async fn echo() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    println!(
        "{{\"listening\":{}}}",
        listener.local_addr().expect("address").port()
    );
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        let _ = tcp.set_nodelay(true);
        tokio::spawn(async move {
            let Ok(ws) = tokio_tungstenite::accept_async(tcp).await else {
                return;
            };
            let (mut tx, mut rx) = ws.split();
            while let Some(Ok(message)) = rx.next().await {
                if (message.is_text() || message.is_binary()) && tx.send(message).await.is_err() {
                    return;
                }
            }
        });
    }
}

async fn connect(
    url: &str,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    let (ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .unwrap_or_else(|err| panic!("connecting to {url}: {err}"));
    ws
}

async fn throughput(url: &str, connections: usize, seconds: f64) {
    let counting = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let echoed = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let ws = connect(url).await;
        let (counting, stop, echoed) = (counting.clone(), stop.clone(), echoed.clone());
        tasks.push(tokio::spawn(async move {
            let (mut tx, mut rx) = ws.split();
            let mut seq = 0u64;
            for _ in 0..WINDOW {
                seq += 1;
                tx.send(Message::text(frame(seq))).await.expect("send");
            }
            while let Some(Ok(message)) = rx.next().await {
                if !message.is_text() {
                    continue;
                }
                if counting.load(Ordering::Relaxed) {
                    echoed.fetch_add(1, Ordering::Relaxed);
                }
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                seq += 1;
                if tx.send(Message::text(frame(seq))).await.is_err() {
                    break;
                }
            }
            let _ = tx.close().await;
        }));
    }
    tokio::time::sleep(WARM_UP).await;
    counting.store(true, Ordering::Relaxed);
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
    counting.store(false, Ordering::Relaxed);
    let elapsed = started.elapsed().as_secs_f64();
    let messages = echoed.load(Ordering::Relaxed);
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
    }
    println!(
        "{{\"mode\":\"throughput\",\"connections\":{connections},\"messages\":{messages},\"seconds\":{elapsed:.3},\"messages_per_s\":{:.1}}}",
        messages as f64 / elapsed
    );
}

async fn latency(url: &str, rate: u64, seconds: f64) {
    let ws = connect(url).await;
    let (mut tx, mut rx) = ws.split();
    let total = (rate as f64 * seconds) as u64;
    let start = Instant::now();
    let sent_at: Arc<Vec<AtomicU64>> = Arc::new((0..=total).map(|_| AtomicU64::new(0)).collect());
    let sender = {
        let sent_at = sent_at.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate as f64));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
            for seq in 1..=total {
                tick.tick().await;
                sent_at[seq as usize].store(start.elapsed().as_nanos() as u64, Ordering::Relaxed);
                if tx.send(Message::text(frame(seq))).await.is_err() {
                    break;
                }
            }
            tx
        })
    };
    let mut histogram =
        hdrhistogram::Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("histogram");
    let mut received = 0u64;
    let deadline = Duration::from_secs_f64(seconds + 5.0);
    while received < total {
        let Ok(Some(Ok(message))) = tokio::time::timeout(deadline, rx.next()).await else {
            break;
        };
        let Message::Text(text) = message else {
            continue;
        };
        let now = start.elapsed().as_nanos() as u64;
        if let Some(seq) = seq_of(text.as_str()) {
            let sent = sent_at[seq as usize].load(Ordering::Relaxed);
            histogram.saturating_record((now.saturating_sub(sent) / 1000).max(1));
            received += 1;
        }
    }
    let mut tx = sender.await.expect("sender");
    let _ = tx.close().await;
    println!(
        "{{\"mode\":\"latency\",\"rate\":{rate},\"sent\":{total},\"received\":{received},\"p50_us\":{},\"p99_us\":{},\"p999_us\":{},\"max_us\":{}}}",
        histogram.value_at_quantile(0.5),
        histogram.value_at_quantile(0.99),
        histogram.value_at_quantile(0.999),
        histogram.max()
    );
}
