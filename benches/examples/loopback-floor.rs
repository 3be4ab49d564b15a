//! The floor under any server's fan-out on this machine: one pass of plain `write(2)` calls, one
//! pre-built frame to each of N loopback TCP connections, from one core, with no framework, no
//! encoding and no WebSocket, while a thread on another core drains the readers.
//!
//! A broadcast to N clients cannot reach the last client sooner after the first than such a pass
//! takes, so its duration bounds from below the fan-out skew (and the emit-to-receive latency of
//! the last client) that `benches/load/run.sh` measures for the mock, Node and socketioxide with
//! the server pinned to one core. `run.sh` prints it beside them.
//!
//! Usage: `taskset -c 0 loopback-floor [CLIENTS=1000] [PASSES=50] [FRAME_BYTES=1200]
//! [READER_CPU=1]` (the readers are a child process on READER_CPU); prints one JSON line: pass duration p50/p90/p99/max in milliseconds and the
//! cost of one write at p50 in microseconds. Passes are 100 ms apart (10 broadcasts a second,
//! the fixed-rate rows' pace). Connects to 127.0.0.1 only and stops by itself.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn arg(index: usize, default: usize) -> usize {
    match std::env::args().nth(index) {
        Some(value) => value.parse().unwrap_or_else(|_| {
            eprintln!("loopback-floor: argument {index} `{value}` is not a whole number");
            std::process::exit(2)
        }),
        None => default,
    }
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    let rank = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// The reading side, a process of its own so that `taskset` puts it on another core than the
/// writer: `loopback-floor --drain ADDRESS CLIENTS` connects CLIENTS times and reads until the
/// writer closes the connections.
fn drain(address: &str, clients: usize) -> std::io::Result<()> {
    let mut readers = Vec::with_capacity(clients);
    for _ in 0..clients {
        let reader = TcpStream::connect(address)?;
        reader.set_nonblocking(true)?;
        readers.push(Some(reader));
    }
    let mut open = clients;
    let mut buffer = vec![0u8; 64 * 1024];
    while open > 0 {
        let mut idle = true;
        for slot in &mut readers {
            let Some(reader) = slot else { continue };
            match reader.read(&mut buffer) {
                Ok(0) => {
                    *slot = None;
                    open -= 1;
                }
                Ok(_) => idle = false,
                Err(err) if err.kind() == ErrorKind::WouldBlock => {}
                Err(err) => return Err(err),
            }
        }
        if idle {
            std::thread::sleep(Duration::from_micros(200));
        }
    }
    Ok(())
}

fn main() -> std::io::Result<()> {
    if std::env::args().nth(1).as_deref() == Some("--drain") {
        let address = std::env::args().nth(2).unwrap_or_default();
        return drain(&address, arg(3, 1000));
    }
    let clients = arg(1, 1000).max(1);
    let passes = arg(2, 50).max(1);
    let frame_bytes = arg(3, 1200).max(1);
    let reader_cpu = arg(4, 1);

    let listener = TcpListener::bind("127.0.0.1:0")?;
    let address = listener.local_addr()?.to_string();
    let me = std::env::current_exe()?;
    let mut reader = Command::new("taskset")
        .arg("-c")
        .arg(reader_cpu.to_string())
        .arg(&me)
        .args(["--drain", &address, &clients.to_string()])
        .stdin(Stdio::null())
        .spawn()
        .or_else(|_| {
            // No taskset: the reader runs where the scheduler puts it.
            Command::new(&me)
                .args(["--drain", &address, &clients.to_string()])
                .stdin(Stdio::null())
                .spawn()
        })?;
    let mut writers = Vec::with_capacity(clients);
    for _ in 0..clients {
        let (writer, _) = listener.accept()?;
        writer.set_nodelay(true)?;
        writers.push(writer);
    }

    let frame = vec![b'x'; frame_bytes];
    let mut pass_ms = Vec::with_capacity(passes);
    for _ in 0..passes {
        let start = Instant::now();
        for writer in &mut writers {
            writer.write_all(&frame)?;
        }
        pass_ms.push(start.elapsed().as_secs_f64() * 1e3);
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(writers);
    reader.wait()?;

    pass_ms.sort_by(f64::total_cmp);
    let p50 = percentile(&pass_ms, 0.5);
    println!(
        "{{\"clients\":{clients},\"passes\":{passes},\"frame_bytes\":{frame_bytes},\
         \"pass_ms_p50\":{p50:.3},\"pass_ms_p90\":{:.3},\"pass_ms_p99\":{:.3},\
         \"pass_ms_max\":{:.3},\"write_us_p50\":{:.2}}}",
        percentile(&pass_ms, 0.9),
        percentile(&pass_ms, 0.99),
        pass_ms[pass_ms.len() - 1],
        p50 * 1e3 / clients as f64
    );
    Ok(())
}
