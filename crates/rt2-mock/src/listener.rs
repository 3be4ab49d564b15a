//! The listener: accepting connections, limits, and graceful shutdown; [`RunningMock`] for
//! tests and embedding.
//!
//! [`serve`] runs until its shutdown future completes. Each accepted TCP connection passes
//! through an [`Acceptor`] (plain TCP today; a TLS acceptor can wrap the stream without
//! touching anything else), then hyper serves HTTP/1.1 on it, with upgrades for WebSocket.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc};

use crate::access::{AdminToken, LocalAddresses};
use crate::config::MockConfig;
use crate::error::MockError;
use crate::hub::Stat;
use crate::shutdown::ShutdownTrigger;
use crate::state::{ConnectionPermit, ServerState};

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

/// Serves the mock on `listener` until `shutdown` completes.
///
/// The caller binds (tests bind `127.0.0.1:0`; [`bind`] gives a clear error for a port in
/// use), which also lets it learn the port before serving. On shutdown the server stops
/// accepting, disconnects every session as the admin API does (DISCONNECT, then the close),
/// and returns once all connections are gone or [`MockConfig::shutdown_grace`] has passed.
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
    let max_connections = fit_to_fd_limit(state.config.max_connections, open_files_limit());
    let permits = Arc::new(Semaphore::new(max_connections));

    accept_loop(&listener, local.ip(), &state, &acceptor, &permits, shutdown).await;

    drain(trigger, state, &mut all_done).await;
    Ok(())
}

async fn accept_loop<A: Acceptor>(
    listener: &TcpListener,
    bound: IpAddr,
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
            state.hub.stats.add(Stat::ConnectionsRefused, 1);
            tracing::warn!(%peer, "connection limit reached; refusing");
            tokio::spawn(refuse_connection(tcp));
            continue;
        };
        state.hub.stats.add(Stat::ConnectionsAccepted, 1);
        let _ = tcp.set_nodelay(true);
        let state = state.clone();
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let _token = state.tracker.token();
            serve_connection(state, acceptor, tcp, peer, bound, Arc::new(permit)).await;
        });
    }
}

/// File descriptors kept for what is not a client connection: the listener, the capture,
/// logs, the runtime's own.
const RESERVED_FDS: usize = 64;

/// The process's soft limit on open files (`ulimit -n`), read from `/proc/self/limits`;
/// `None` where that cannot be read (not Linux) or says "unlimited".
fn open_files_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// `max_connections`, lowered (with a warning that says how to raise it) when the open-files
/// limit cannot hold that many connections: past it, `accept` fails for everyone instead of
/// the surplus being answered `503`.
fn fit_to_fd_limit(max_connections: usize, open_files: Option<usize>) -> usize {
    let Some(open_files) = open_files else {
        return max_connections;
    };
    let fits = open_files.saturating_sub(RESERVED_FDS).max(1);
    if max_connections <= fits {
        return max_connections;
    }
    tracing::warn!(
        "max_connections {max_connections} is more than the open-files limit ({open_files}, \
         `ulimit -n`) allows; serving at most {fits} connections at once (raise the limit \
         with `ulimit -n {}` to serve {max_connections})",
        max_connections + RESERVED_FDS
    );
    fits
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

async fn serve_connection<A: Acceptor>(
    state: Arc<ServerState>,
    acceptor: Arc<A>,
    tcp: TcpStream,
    peer: SocketAddr,
    bound: IpAddr,
    permit: ConnectionPermit,
) {
    let handshake_timeout = state.config.handshake_timeout;
    // The addresses the client reached: a `Host` naming one is allowed (`access::host_allowed`).
    let local = match tcp.local_addr() {
        Ok(local) => LocalAddresses {
            connection: local.ip(),
            listener: bound,
        },
        Err(err) => {
            tracing::debug!(%peer, "no local address: {err}");
            return;
        }
    };
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
        crate::http::routes::route(service_state.clone(), peer, local, permit.clone(), request)
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
    admin_token: Option<AdminToken>,
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
        let admin_token = config.admin_token.clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, config, async move {
            let _ = stopped.await;
        }));
        Ok(Self {
            addr,
            admin_token,
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

    /// The token the admin API wants as `Authorization: Bearer <token>`
    /// ([`MockConfig::admin_token`]); `None` when it was waived.
    pub fn admin_token(&self) -> Option<&str> {
        self.admin_token.as_ref().map(AdminToken::as_str)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_connection_limit_fits_the_open_files_limit() {
        assert_eq!(fit_to_fd_limit(10_000, Some(1024)), 1024 - RESERVED_FDS);
        assert_eq!(fit_to_fd_limit(500, Some(1024)), 500);
        assert_eq!(fit_to_fd_limit(10_000, None), 10_000);
        assert_eq!(fit_to_fd_limit(10, Some(3)), 1);
        assert!(
            open_files_limit().is_some_and(|n| n > 0),
            "Linux has /proc/self/limits"
        );
    }
}
