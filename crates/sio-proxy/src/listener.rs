//! [`start`]: the accept loop, and [`RunningProxy`], the handle that stops it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

use crate::config::{Mode, ProxyConfig};
use crate::error::ProxyError;
use crate::recorder::{ProxySummary, Recorder};
use crate::state::Shared;
use crate::traffic::{Clock, Traffic};
use crate::upstream::{Dialer, client_config};
use crate::{forward, service};

/// Messages in flight to the recorder before relaying waits for it.
const TRAFFIC_QUEUE: usize = 4096;

/// How long a stop waits for open WebSockets to report their close.
const STOP_GRACE: Duration = Duration::from_secs(2);

/// A running proxy: its address, and the way to stop it and get its summary.
#[derive(Debug)]
pub struct RunningProxy {
    local_addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<Result<ProxySummary, ProxyError>>,
}

impl RunningProxy {
    /// The address the proxy listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops accepting, ends every relayed connection (each recorded as closed by the proxy),
    /// finishes the capture and returns the summary.
    ///
    /// # Errors
    ///
    /// Writing the capture failed at some point (the proxy had gone on relaying).
    pub async fn stop(self) -> Result<ProxySummary, ProxyError> {
        let _ = self.stop.send(true);
        self.task
            .await
            .map_err(|err| ProxyError::Io(std::io::Error::other(err)))?
    }
}

/// Starts the proxy on `listener`: checks the configuration, creates the capture, and
/// serves until [`RunningProxy::stop`]. Every record written is also published to
/// `observer`.
///
/// # Errors
///
/// A bad upstream CA file, or a capture file that cannot be created.
pub async fn start(
    listener: TcpListener,
    config: ProxyConfig,
    observer: sio_ui::Observer,
) -> Result<RunningProxy, ProxyError> {
    let local_addr = listener.local_addr()?;
    let tls_client = client_config(config.upstream_ca.as_deref())?;
    let reverse = match &config.mode {
        Mode::Reverse(upstream) => Some(Arc::new(Dialer::new(upstream, &tls_client, None)?)),
        Mode::Forward(forward) => {
            if !forward.intercept.is_empty() && forward.ca.is_none() {
                return Err(ProxyError::Forward {
                    flag: "--intercept",
                    message: "needs a CA to sign leaf certificates (sio-replay ca init)".to_owned(),
                });
            }
            None
        }
    };
    let clock = Clock::start();
    let recorder = Recorder::create(&config, clock, observer)?;
    let (traffic, queue) = mpsc::channel(TRAFFIC_QUEUE);
    let (stop, stopping) = watch::channel(false);
    let shared = Arc::new(Shared {
        config,
        reverse,
        tls_client,
        clock,
        traffic,
        next_ws: AtomicU64::new(1),
        stopping: stopping.clone(),
        in_flight: Arc::new(()),
    });
    let recording = tokio::task::spawn_blocking(move || recorder.run(queue));
    let task = tokio::spawn(async move {
        accept_loop(&listener, &shared, stopping).await;
        drop(listener);
        // Relays see the stop and report their close, and exchanges whose connection was
        // just ended report what they saw; give them a moment to do so.
        let deadline = tokio::time::Instant::now() + STOP_GRACE;
        while Arc::strong_count(&shared.in_flight) > 1 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let _ = shared.traffic.send(Traffic::Stop).await;
        recording
            .await
            .map_err(|err| ProxyError::Io(std::io::Error::other(err)))?
    });
    Ok(RunningProxy {
        local_addr,
        stop,
        task,
    })
}

async fn accept_loop(
    listener: &TcpListener,
    shared: &Arc<Shared>,
    mut stopping: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            () = crate::state::stopped(&mut stopping) => break,
            accepted = listener.accept() => match accepted {
                Ok((tcp, peer)) => {
                    connections.spawn(serve_connection(tcp, peer, Arc::clone(shared)));
                }
                Err(err) => {
                    // Out of descriptors, usually: wait a little instead of spinning.
                    tracing::warn!("accept failed: {err}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.abort_all();
    while connections.join_next().await.is_some() {}
}

async fn serve_connection(tcp: TcpStream, peer: SocketAddr, shared: Arc<Shared>) {
    let _ = tcp.set_nodelay(true);
    let local = match tcp.local_addr() {
        Ok(addr) => addr.ip(),
        Err(_) => return,
    };
    let service = service_fn(move |req| {
        let shared = Arc::clone(&shared);
        async move {
            match shared.reverse.clone() {
                Some(dialer) => service::handle(req, shared, dialer, peer, local).await,
                None => forward::handle(req, shared, peer, local).await,
            }
        }
    });
    let result = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .preserve_header_case(true)
        .auto_date_header(false)
        .serve_connection(TokioIo::new(tcp), service)
        .with_upgrades()
        .await;
    if let Err(err) = result {
        tracing::debug!("client {peer}: {err}");
    }
}
