//! The state every task of one proxy shares: a leaf module that imports none of the tasks.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use tokio::sync::{mpsc, watch};

use crate::config::ProxyConfig;
use crate::traffic::{Clock, Traffic};
use crate::upstream::Dialer;

/// Shared by the accept loop, each connection's service and each WebSocket relay.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: ProxyConfig,
    /// The one upstream of reverse mode (`None` in forward mode: each request names its own).
    pub(crate) reverse: Option<Arc<Dialer>>,
    /// The TLS client configuration for every upstream.
    pub(crate) tls_client: Arc<rustls::ClientConfig>,
    pub(crate) clock: Clock,
    /// To the recorder. Bounded: when the disk is slower than the traffic, relaying waits for
    /// it rather than memory growing (the capture is the lossless consumer).
    pub(crate) traffic: mpsc::Sender<Traffic>,
    /// Numbers WebSocket connections for the recorder.
    pub(crate) next_ws: AtomicU64,
    /// `true` once the proxy is stopping: relays end and say so.
    pub(crate) stopping: watch::Receiver<bool>,
    /// Held by every running WebSocket relay and every exchange waiting for its bodies to
    /// end; on stop the accept loop waits (a moment) for the count to drop, so that what they
    /// saw reaches the capture.
    pub(crate) in_flight: Arc<()>,
}

impl Shared {
    /// The forward-mode settings (`None` in reverse mode).
    pub(crate) fn forward(&self) -> Option<&crate::config::Forward> {
        match &self.config.mode {
            crate::config::Mode::Forward(forward) => Some(forward),
            crate::config::Mode::Reverse(_) => None,
        }
    }

    /// Sends to the recorder; a recorder that stopped (its file failed) is logged once there.
    pub(crate) async fn record(&self, traffic: Traffic) {
        let _ = self.traffic.send(traffic).await;
    }
}

/// Resolves once the proxy is stopping.
pub(crate) async fn stopped(stopping: &mut watch::Receiver<bool>) {
    // The guard `wait_for` returns is not `Send`: drop it at once.
    let _ = stopping.wait_for(|stop| *stop).await.map(|_| ());
}
