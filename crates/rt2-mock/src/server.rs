//! The listener: accepting connections, limits, and graceful shutdown.
//!
//! [`serve`] runs until its shutdown future completes. Each accepted TCP connection passes
//! through an [`Acceptor`] (plain TCP today; a TLS acceptor can wrap the stream without
//! touching anything else), then hyper serves HTTP/1.1 on it, with upgrades for WebSocket.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

use crate::config::MockConfig;
use crate::error::MockError;
use crate::http::live_video::LiveVideoCatalog;
use crate::hub::Hub;
use crate::replay::ReplayTimeline;
use crate::shutdown::{ShutdownSignal, ShutdownTrigger, shutdown_channel};

/// Turns an accepted TCP stream into the byte stream HTTP is served on.
///
/// [`PlainTcp`] hands the stream over as it is. A TLS acceptor (e.g. one built on
/// `tokio-rustls`) implements this trait to run the TLS handshake first; the handshake counts
/// against [`MockConfig::handshake_timeout`].
pub trait Acceptor: Send + Sync + 'static {
    /// The stream HTTP is served on.
    type Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static;

    /// Completes whatever handshake the acceptor needs.
    fn accept(
        &self,
        stream: TcpStream,
    ) -> impl Future<Output = std::io::Result<Self::Stream>> + Send;

    /// The URL scheme clients reach the mock with through this acceptor: `http` (the
    /// default), or `https` for a TLS acceptor. Links the mock writes into its responses (the
    /// live-video endpoint's `paging.next`) use it.
    fn scheme(&self) -> &'static str {
        "http"
    }
}

/// The plain-TCP [`Acceptor`]: no handshake.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlainTcp;

impl Acceptor for PlainTcp {
    type Stream = TcpStream;

    async fn accept(&self, stream: TcpStream) -> std::io::Result<TcpStream> {
        Ok(stream)
    }
}

/// Binds a listener, with an error that says what to do when the port is taken.
///
/// # Errors
/// [`MockError::Bind`].
pub async fn bind(addr: SocketAddr) -> Result<TcpListener, MockError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| MockError::Bind { addr, source })
}

/// Everything a request handler needs, shared by every connection.
#[derive(Debug)]
pub(crate) struct ServerState {
    pub(crate) config: MockConfig,
    pub(crate) hub: Hub,
    pub(crate) timeline: ReplayTimeline,
    pub(crate) live_videos: LiveVideoCatalog,
    /// `http` or `https`: how clients reach this server ([`Acceptor::scheme`]).
    pub(crate) scheme: &'static str,
    pub(crate) shutdown: ShutdownSignal,
    pub(crate) tracker: TaskTracker,
}

impl ServerState {
    /// The shared state for `config` (validated by the caller), with the trigger that starts
    /// the shutdown and the receiver that sees `None` once every tracked task has ended.
    pub(crate) fn new(
        config: MockConfig,
        scheme: &'static str,
    ) -> (Arc<Self>, ShutdownTrigger, mpsc::Receiver<()>) {
        let (timeline, live_videos) = match &config.capture {
            Some(capture) => {
                let timeline = capture.timeline(&config.namespace);
                let live_videos = LiveVideoCatalog::from_capture(capture);
                if live_videos.skipped() > 0 {
                    tracing::warn!(
                        skipped = live_videos.skipped(),
                        "some captured live-video responses could not be decoded and are not served"
                    );
                }
                (timeline, live_videos)
            }
            None => (ReplayTimeline::default(), LiveVideoCatalog::default()),
        };
        let (trigger, signal) = shutdown_channel();
        let (tracker, all_done) = TaskTracker::new();
        let state = Arc::new(ServerState {
            hub: Hub::new(config.faults.clone()),
            timeline,
            live_videos,
            scheme,
            shutdown: signal,
            tracker,
            config,
        });
        (state, trigger, all_done)
    }
}

/// Counts running tasks so that shutdown can wait for them (mini-redis's `shutdown_complete`
/// channel: every task holds a sender, and the receiver sees `None` when all are gone).
#[derive(Debug, Clone)]
pub(crate) struct TaskTracker {
    sender: mpsc::Sender<()>,
}

impl TaskTracker {
    fn new() -> (Self, mpsc::Receiver<()>) {
        let (sender, receiver) = mpsc::channel(1);
        (Self { sender }, receiver)
    }

    /// A token to hold for as long as the task runs.
    pub(crate) fn token(&self) -> TaskToken {
        TaskToken {
            _sender: self.sender.clone(),
        }
    }
}

/// Held by a running task; see [`TaskTracker`].
#[derive(Debug)]
pub(crate) struct TaskToken {
    _sender: mpsc::Sender<()>,
}

/// Serves the mock on `listener` until `shutdown` completes.
///
/// The caller binds (tests bind `127.0.0.1:0`; [`bind`] gives a clear error for a port in
/// use), which also lets it learn the port before serving. On shutdown the server stops
/// accepting, closes every session with an Engine.IO close, and returns once all connections
/// are gone or [`MockConfig::shutdown_grace`] has passed.
///
/// ```no_run
/// # async fn run() -> Result<(), rt2_mock::MockError> {
/// let listener = rt2_mock::bind("127.0.0.1:3000".parse().unwrap()).await?;
/// rt2_mock::serve(listener, rt2_mock::MockConfig::default(), rt2_mock::ctrl_c_or_sigterm()).await
/// # }
/// ```
///
/// # Errors
/// [`MockError::Config`] for settings that cannot work, [`MockError::Listener`] when the
/// listener has no local address.
pub async fn serve(
    listener: TcpListener,
    config: MockConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<(), MockError> {
    serve_with(listener, PlainTcp, config, shutdown).await
}

/// [`serve`] with an [`Acceptor`] between TCP and HTTP (for TLS).
///
/// # Errors
/// As [`serve`].
pub async fn serve_with<A: Acceptor>(
    listener: TcpListener,
    acceptor: A,
    config: MockConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<(), MockError> {
    config.validate()?;
    let local = listener.local_addr().map_err(MockError::Listener)?;
    let (state, trigger, mut all_done) = ServerState::new(config, acceptor.scheme());
    tracing::info!(
        %local,
        events = state.timeline.len(),
        live_videos = state.live_videos.len(),
        "mock rt-2 listening"
    );
    let acceptor = Arc::new(acceptor);
    let permits = Arc::new(Semaphore::new(state.config.max_connections));

    accept_loop(&listener, &state, &acceptor, &permits, shutdown).await;

    drain(trigger, state, &mut all_done).await;
    Ok(())
}

async fn accept_loop<A: Acceptor>(
    listener: &TcpListener,
    state: &Arc<ServerState>,
    acceptor: &Arc<A>,
    permits: &Arc<Semaphore>,
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    let mut backoff = Duration::from_millis(10);
    loop {
        let accepted = tokio::select! {
            _ = &mut shutdown => return,
            accepted = listener.accept() => accepted,
        };
        let (tcp, peer) = match accepted {
            Ok(accepted) => {
                backoff = Duration::from_millis(10);
                accepted
            }
            Err(err) => {
                // Accept errors are about one connection (aborted) or a passing shortage (out of
                // file descriptors): wait a little and go on rather than stop serving everyone.
                tracing::warn!("accept failed: {err}; retrying in {backoff:?}");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(1));
                continue;
            }
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            state
                .hub
                .stats
                .connections_refused
                .fetch_add(1, Ordering::Relaxed);
            tracing::warn!(%peer, "connection limit reached; refusing");
            tokio::spawn(refuse_connection(tcp));
            continue;
        };
        state
            .hub
            .stats
            .connections_accepted
            .fetch_add(1, Ordering::Relaxed);
        let _ = tcp.set_nodelay(true);
        let state = state.clone();
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let _token = state.tracker.token();
            serve_connection(state, acceptor, tcp, peer, Arc::new(permit)).await;
        });
    }
}

/// Answers a connection over the limit with a `503` and closes it.
async fn refuse_connection(mut tcp: TcpStream) {
    let body = "connection limit reached";
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\nretry-after: 1\r\n\r\n{body}",
        body.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(1), tcp.write_all(response.as_bytes())).await;
    let _ = tcp.shutdown().await;
}

/// A connection's place under [`MockConfig::max_connections`]; a WebSocket upgraded from the
/// connection keeps it after hyper lets go of the connection.
pub(crate) type ConnectionPermit = Arc<OwnedSemaphorePermit>;

async fn serve_connection<A: Acceptor>(
    state: Arc<ServerState>,
    acceptor: Arc<A>,
    tcp: TcpStream,
    peer: SocketAddr,
    permit: ConnectionPermit,
) {
    let handshake_timeout = state.config.handshake_timeout;
    let stream = match tokio::time::timeout(handshake_timeout, acceptor.accept(tcp)).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(err)) => {
            tracing::debug!(%peer, "handshake failed: {err}");
            return;
        }
        Err(_) => {
            tracing::debug!(%peer, "handshake timed out");
            return;
        }
    };
    let service_state = state.clone();
    let service = service_fn(move |request| {
        crate::http::routes::route(service_state.clone(), peer, permit.clone(), request)
    });
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(handshake_timeout)
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades();
    tokio::pin!(connection);
    let mut shutdown = state.shutdown.clone();
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(err) = result {
                tracing::debug!(%peer, "connection ended: {err}");
            }
        }
        _ = shutdown.recv() => {
            connection.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(state.config.shutdown_grace, connection.as_mut()).await;
        }
    }
}

/// Fires the shutdown signal and waits (bounded) for every connection and session task.
async fn drain(
    trigger: ShutdownTrigger,
    state: Arc<ServerState>,
    all_done: &mut mpsc::Receiver<()>,
) {
    trigger.fire();
    let grace = state.config.shutdown_grace;
    let open = state.hub.len();
    drop(state);
    if tokio::time::timeout(grace, all_done.recv()).await.is_err() {
        tracing::warn!(
            open,
            "shutdown grace period over; dropping the remaining connections"
        );
    } else {
        tracing::info!("all connections closed");
    }
}

/// A mock running on a background task, for tests and embedding.
#[derive(Debug)]
pub struct RunningMock {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), MockError>>,
}

impl RunningMock {
    /// Binds `addr` (use port 0 for any free port) and serves `config` on a spawned task.
    ///
    /// # Errors
    /// [`MockError::Bind`] when the address cannot be bound, [`MockError::Config`] for bad
    /// settings.
    pub async fn start(addr: SocketAddr, config: MockConfig) -> Result<Self, MockError> {
        config.validate()?;
        let listener = bind(addr).await?;
        let addr = listener.local_addr().map_err(MockError::Listener)?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, config, async move {
            let _ = stopped.await;
        }));
        Ok(Self {
            addr,
            stop: Some(stop),
            task,
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`, the base URL clients connect to.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Shuts down gracefully and waits for [`serve`] to return.
    ///
    /// # Errors
    /// Whatever [`serve`] returned.
    pub async fn shutdown(mut self) -> Result<(), MockError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match (&mut self.task).await {
            Ok(result) => result,
            Err(err) => Err(MockError::Listener(std::io::Error::other(err))),
        }
    }
}
