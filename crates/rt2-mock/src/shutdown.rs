//! Graceful shutdown: one signal that every task can watch, and the OS signals that fire it.
//!
//! [`serve`](crate::serve) takes any future as its shutdown trigger. When it completes, the
//! server stops accepting, every session sends its client an Engine.IO close (so a
//! `socket.io-client` sees a clean "io server disconnect" rather than a transport error), and
//! `serve` returns once the connections are gone or a grace period has passed.

use tokio::sync::{mpsc, watch};

/// A cloneable view of the server's shutdown state (mini-redis's `Shutdown`, on a `watch`
/// channel so late subscribers still see a shutdown that already happened).
#[derive(Debug, Clone)]
pub(crate) struct ShutdownSignal {
    receiver: watch::Receiver<bool>,
}

/// The sending side: fires the signal once.
#[derive(Debug)]
pub(crate) struct ShutdownTrigger {
    sender: watch::Sender<bool>,
}

pub(crate) fn shutdown_channel() -> (ShutdownTrigger, ShutdownSignal) {
    let (sender, receiver) = watch::channel(false);
    (ShutdownTrigger { sender }, ShutdownSignal { receiver })
}

impl ShutdownTrigger {
    pub(crate) fn fire(&self) {
        self.sender.send_replace(true);
    }
}

impl ShutdownSignal {
    /// True once shutdown began.
    pub(crate) fn is_shutdown(&self) -> bool {
        *self.receiver.borrow()
    }

    /// Completes when shutdown begins (at once if it already has).
    pub(crate) async fn recv(&mut self) {
        // An error means the trigger was dropped, which only happens when the server is gone:
        // that is a shutdown too.
        let _ = self.receiver.wait_for(|down| *down).await;
    }
}

/// Counts running tasks so that shutdown can wait for them (mini-redis's `shutdown_complete`
/// channel: every task holds a sender, and the receiver sees `None` when all are gone).
#[derive(Debug, Clone)]
pub(crate) struct TaskTracker {
    sender: mpsc::Sender<()>,
}

impl TaskTracker {
    /// A tracker and the receiver that sees `None` once every token is dropped.
    pub(crate) fn new() -> (Self, mpsc::Receiver<()>) {
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

/// Completes on Ctrl-C (SIGINT) or, on Unix, SIGTERM: pass it to [`serve`](crate::serve).
///
/// If a handler cannot be installed, the error is logged and that signal is simply not
/// watched; the other still works.
pub async fn ctrl_c_or_sigterm() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::warn!("cannot watch Ctrl-C: {err}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::warn!("cannot watch SIGTERM: {err}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => tracing::info!("Ctrl-C received, shutting down"),
        _ = terminate => tracing::info!("SIGTERM received, shutting down"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_late_subscriber_sees_an_earlier_shutdown() {
        let (trigger, signal) = shutdown_channel();
        assert!(!signal.is_shutdown());
        trigger.fire();
        let mut late = signal.clone();
        tokio::time::timeout(std::time::Duration::from_secs(1), late.recv())
            .await
            .unwrap();
        assert!(late.is_shutdown());
    }

    #[tokio::test]
    async fn dropping_the_trigger_counts_as_shutdown() {
        let (trigger, mut signal) = shutdown_channel();
        drop(trigger);
        tokio::time::timeout(std::time::Duration::from_secs(1), signal.recv())
            .await
            .unwrap();
    }
}
