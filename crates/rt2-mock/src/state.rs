//! The state every request handler and session task shares: the settings, the session table,
//! the replay timeline, the live-video catalog and the shutdown signal. A leaf: it knows
//! nothing of who uses it (mini-redis keeps its shared `Db` the same way).

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

use crate::config::MockConfig;
use crate::hub::Hub;
use crate::observe::ObserveLink;
use crate::replay::{LiveVideoCatalog, ReplayTimeline, TimestampShift};
use crate::shutdown::{ShutdownSignal, ShutdownTrigger, TaskTracker, shutdown_channel};

/// A connection's place under [`MockConfig::max_connections`]; a WebSocket upgraded from the
/// connection keeps it after hyper lets go of the connection.
pub(crate) type ConnectionPermit = Arc<OwnedSemaphorePermit>;

/// Everything a request handler needs, shared by every connection.
#[derive(Debug)]
pub(crate) struct ServerState {
    pub(crate) config: MockConfig,
    pub(crate) hub: Hub,
    pub(crate) timeline: ReplayTimeline,
    pub(crate) live_videos: LiveVideoCatalog,
    /// How replayed timestamps are moved ([`ReplaySettings::shift_timestamps`]).
    ///
    /// [`ReplaySettings::shift_timestamps`]: crate::ReplaySettings::shift_timestamps
    pub(crate) shift: TimestampShift,
    /// One permit per open session, [`MockConfig::max_connections`] in all: a long-polling
    /// session holds no connection between its requests, but it holds a task and memory.
    pub(crate) sessions: Arc<Semaphore>,
    /// `http` or `https`: how clients reach this server ([`Acceptor::scheme`](crate::Acceptor::scheme)).
    pub(crate) scheme: &'static str,
    pub(crate) shutdown: ShutdownSignal,
    pub(crate) tracker: TaskTracker,
    /// Where sessions publish, when [`MockConfig::observer`] is set.
    pub(crate) observe: Option<Arc<ObserveLink>>,
}

impl ServerState {
    /// The shared state for `config` (validated by the caller), with the trigger that starts
    /// the shutdown and the receiver that sees `None` once every tracked task has ended.
    pub(crate) fn new(
        config: MockConfig,
        scheme: &'static str,
    ) -> (Arc<Self>, ShutdownTrigger, mpsc::Receiver<()>) {
        let shift = match &config.capture {
            Some(capture) if config.replay.shift_timestamps => {
                TimestampShift::from_origin(capture.origin_wall_time(&config.namespace))
            }
            _ => TimestampShift::NONE,
        };
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
            shift,
            sessions: Arc::new(Semaphore::new(config.max_connections)),
            scheme,
            shutdown: signal,
            tracker,
            observe: config
                .observer
                .clone()
                .map(|observer| Arc::new(ObserveLink::new(observer))),
            config,
        });
        (state, trigger, all_done)
    }
}
