//! Everything [`serve`](crate::serve) can be told: [`MockConfig`].

use std::sync::Arc;
use std::time::Duration;

use crate::access::AdminToken;
use crate::auth::AuthMode;
use crate::error::MockError;
use crate::fault::FaultPlan;
use crate::queue::{QueueLimits, SlowClientPolicy};
use crate::replay::{Capture, Pace};
use crate::scenario::Scenario;

/// How replayed events reach clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReplayMode {
    /// Each client gets the whole timeline, starting when it joins `/chatomni`.
    #[default]
    PerConnection,
    /// One shared timeline per room, started by the room's first client; later clients join
    /// it midway and receive only what follows.
    Live,
}

/// How the capture's events are replayed.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplaySettings {
    /// Per connection or live. Default per connection.
    pub mode: ReplayMode,
    /// Original, scaled or as fast as the client reads. Default original.
    pub pace: Pace,
    /// Start over after the last event. Default false.
    pub repeat: bool,
    /// Pause between passes when repeating, at original speed. Default 1 s.
    pub loop_pause: Duration,
    /// Move the timestamps inside each event so that it looks sent just now. Default false.
    pub shift_timestamps: bool,
}

impl Default for ReplaySettings {
    fn default() -> Self {
        Self {
            mode: ReplayMode::PerConnection,
            pace: Pace::Original,
            repeat: false,
            loop_pause: Duration::from_secs(1),
            shift_timestamps: false,
        }
    }
}

/// Which peers may use the admin API (under `/__admin/` on the same listener), by their
/// address. The admin token ([`MockConfig::admin_token`]) is checked as well.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AdminAccess {
    /// Only clients connecting from a loopback address (127.0.0.0/8, ::1, or an IPv4 loopback
    /// address mapped into IPv6, as IPv4 clients of a listener on `::` appear). The default.
    #[default]
    LoopbackOnly,
    /// Anyone who can reach the listener. Only for a mock inside a private network.
    Anyone,
    /// Nobody: `/__admin/` answers 404.
    Disabled,
}

/// Which browser origins may use the long-polling transport and the live-video endpoint
/// (CORS). The admin API never follows it: see [`MockConfig::admin_origins`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum CorsPolicy {
    /// Any origin: the request's `Origin` is echoed back, with credentials allowed (what a
    /// browser needs for `withCredentials`). The default, as a mock serves local pages.
    #[default]
    AnyOrigin,
    /// Only these origins (exact match, e.g. `http://localhost:5173`).
    Origins(Vec<String>),
}

/// The mock's settings. Build with `MockConfig::default()` and set the fields you need.
///
/// ```
/// use std::time::Duration;
/// let mut config = rt2_mock::MockConfig::default();
/// config.session.ping_interval = Duration::from_millis(200);
/// config.replay.pace = rt2_mock::Pace::Scaled(10.0);
/// config.validate()?;
/// # Ok::<(), rt2_mock::MockError>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct MockConfig {
    /// Engine.IO and Socket.IO settings of every session: pingInterval, pingTimeout,
    /// maxPayload, upgrades, connectTimeout. Defaults as rt-2's handshake shows them
    /// (pingInterval 25 s, pingTimeout 60 s, maxPayload 1 000 000).
    pub session: sio_session::ServerConfig,
    /// The namespace that is authenticated and replayed. Default `/chatomni`.
    pub namespace: String,
    /// How tokens are checked on [`MockConfig::namespace`]. Default accept any.
    pub auth: AuthMode,
    /// The capture to replay and to serve the live-video endpoint from. `None` serves no
    /// events and an empty live-video list.
    pub capture: Option<Arc<Capture>>,
    /// How the capture is replayed.
    pub replay: ReplaySettings,
    /// Faults for every session opened (the admin API can change them at run time).
    pub faults: FaultPlan,
    /// Bounds of each client's send queue and the slow-client policy.
    pub queue: QueueLimits,
    /// At most this many TCP connections at once; more are answered `503` and closed.
    /// Default 10 000.
    pub max_connections: usize,
    /// A new TCP connection must complete its HTTP request head within this time. Default 10 s.
    pub handshake_timeout: Duration,
    /// On shutdown, how long to wait for sessions to close before dropping them. Default 2 s.
    pub shutdown_grace: Duration,
    /// A WebSocket write that does not complete within this time (the client stopped
    /// reading and its TCP window is full) cuts the connection. Default 30 s.
    pub write_timeout: Duration,
    /// A request body (a long-polling `POST`, an admin request) must arrive within this time
    /// once its head did; slower ones are answered `408` and closed. Default 10 s.
    pub body_timeout: Duration,
    /// Which peers may use the admin API, by address. Default loopback only.
    pub admin: AdminAccess,
    /// The token every admin request must carry as `Authorization: Bearer <token>`. Default a
    /// random one, new for each `MockConfig::default()` (a test reads it back from
    /// [`RunningMock::admin_token`](crate::RunningMock::admin_token)). `None` waives it: then
    /// any program on a machine allowed by [`MockConfig::admin`] can drive the mock.
    pub admin_token: Option<AdminToken>,
    /// Browser origins (e.g. `http://localhost:5173`) whose pages may call the admin API,
    /// token included. Default none: admin answers carry no CORS headers, preflights are
    /// refused, and a request with any other `Origin` is refused with `403`.
    pub admin_origins: Vec<String>,
    /// Host names accepted in a request's `Host` header besides `localhost`, loopback
    /// addresses and the address the connection arrived on (e.g. `mock` for a container
    /// reached by that name). Every route answers any other `Host` with `403`, so that a web
    /// page cannot reach the mock through DNS rebinding. Compared without regard to case; a
    /// port is ignored. Default none.
    pub allowed_hosts: Vec<String>,
    /// CORS for the long-polling transport and the live-video endpoint. Default any origin.
    pub cors: CorsPolicy,
    /// Scenario rules ([`crate::scenario`]): what the mock does when a client joins a
    /// namespace, emits an event or sends an Engine.IO message, and timers.
    /// [`Scenario::apply_to`] sets it together with the scenario's settings. `None` (the
    /// default): the built-in rt-2 behaviour.
    pub scenario: Option<Arc<Scenario>>,
    /// Where sessions publish what they see (connection records and every frame both ways,
    /// redacted), for the web view or any other subscriber. `None` (the default): nothing is
    /// published and nothing is allocated for it.
    pub observer: Option<sio_ui::Observer>,
    /// The web view, answered under `/__ui/` on the mock's own port (so that its page calls
    /// the admin API same-origin). `None` (the default): `/__ui/` is not found.
    pub ui: Option<sio_ui::UiServer>,
}

impl Default for MockConfig {
    fn default() -> Self {
        let mut session = sio_session::ServerConfig::default();
        // rt-2's own handshake (see the seed analysis): pingInterval 25 s, pingTimeout 60 s.
        session.ping_interval = Duration::from_millis(25_000);
        session.ping_timeout = Duration::from_millis(60_000);
        session.max_payload = 1_000_000;
        Self {
            session,
            namespace: tpos_chat::NAMESPACE.to_owned(),
            auth: AuthMode::Any,
            capture: None,
            replay: ReplaySettings::default(),
            faults: FaultPlan::default(),
            queue: QueueLimits::default(),
            max_connections: 10_000,
            handshake_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(2),
            write_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(10),
            admin: AdminAccess::LoopbackOnly,
            admin_token: Some(AdminToken::random()),
            admin_origins: Vec::new(),
            allowed_hosts: Vec::new(),
            cors: CorsPolicy::AnyOrigin,
            scenario: None,
            observer: None,
            ui: None,
        }
    }
}

impl MockConfig {
    /// Checks that the settings can work together.
    ///
    /// # Errors
    /// [`MockError::Config`] naming the first option whose value cannot be used.
    pub fn validate(&self) -> Result<(), MockError> {
        let bad = |option: &'static str, message: &str| {
            Err(MockError::Config {
                option,
                message: message.to_owned(),
            })
        };
        if self.session.ping_interval.is_zero() {
            return bad("ping_interval", "must be more than 0 ms");
        }
        if self.session.ping_timeout.is_zero() {
            return bad("ping_timeout", "must be more than 0 ms");
        }
        if self.session.max_payload == 0 {
            return bad("max_payload", "must be at least 1 byte");
        }
        if !self.namespace.starts_with('/') {
            return bad("namespace", "must start with `/`, e.g. `/chatomni`");
        }
        if let Pace::Scaled(speed) = self.replay.pace {
            if !(speed.is_finite() && speed > 0.0) {
                return bad(
                    "speed",
                    &format!("must be a number above 0 (2 is twice as fast), not {speed}"),
                );
            }
        }
        if self.replay.mode == ReplayMode::Live && self.replay.pace == Pace::AsFastAsClientReads {
            return bad(
                "pace",
                "live mode shares one timeline among clients, so it cannot go as fast as one client reads: use per-connection mode or a speed factor",
            );
        }
        if self.max_connections == 0 {
            return bad("max_connections", "must be at least 1");
        }
        if self.handshake_timeout.is_zero() {
            return bad("handshake_timeout", "must be more than 0 ms");
        }
        if self.write_timeout.is_zero() {
            return bad("write_timeout", "must be more than 0 ms");
        }
        if self.body_timeout.is_zero() {
            return bad("body_timeout", "must be more than 0 ms");
        }
        if self.queue.max_unsent_bytes == 0 {
            return bad("max_unsent_bytes", "must be at least 1 byte");
        }
        if self.queue.max_frames == 0 || self.queue.max_bytes == 0 {
            return bad(
                "queue",
                "the send queue must hold at least 1 frame and 1 byte",
            );
        }
        if let SlowClientPolicy::Disconnect { grace } = self.queue.policy {
            if grace > Duration::from_secs(3600) {
                return bad("slow_client_grace", "must be at most one hour");
            }
        }
        if let AuthMode::Hs256 { secret } = &self.auth {
            if secret.is_empty() {
                return bad("auth", "HS256 needs a non-empty secret");
            }
        }
        if let Some(host) = self.allowed_hosts.iter().find(|host| {
            host.is_empty() || host.contains(['/', ' ']) || crate::access::host_part(host).is_none()
        }) {
            return bad(
                "allowed_hosts",
                &format!("{host:?} is not a host name (give `mock` or `mock:3000`, no scheme)"),
            );
        }
        if let Some(origin) = self.admin_origins.iter().find(|origin| !is_origin(origin)) {
            return bad(
                "admin_origins",
                &format!(
                    "{origin:?} is not an origin (give scheme, host and port only, e.g. `http://localhost:5173`)"
                ),
            );
        }
        Ok(())
    }
}

/// True when `origin` looks like a browser's `Origin` value: `scheme://host[:port]`, no path.
fn is_origin(origin: &str) -> bool {
    origin
        .split_once("://")
        .is_some_and(|(scheme, rest)| !scheme.is_empty() && !rest.is_empty() && !rest.contains('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_match_rt2s_handshake() {
        let config = MockConfig::default();
        config.validate().unwrap();
        assert_eq!(config.session.ping_interval, Duration::from_secs(25));
        assert_eq!(config.session.ping_timeout, Duration::from_secs(60));
        assert_eq!(config.session.max_payload, 1_000_000);
    }

    #[test]
    fn bad_values_are_refused_naming_the_option() {
        let replay = ReplaySettings {
            pace: Pace::Scaled(0.0),
            ..ReplaySettings::default()
        };
        let config = MockConfig {
            replay,
            ..MockConfig::default()
        };
        let err = config.validate().unwrap_err();
        assert!(
            matches!(
                err,
                MockError::Config {
                    option: "speed",
                    ..
                }
            ),
            "{err}"
        );

        let config = MockConfig {
            max_connections: 0,
            ..MockConfig::default()
        };
        assert!(
            config
                .validate()
                .unwrap_err()
                .to_string()
                .contains("max_connections")
        );

        let config = MockConfig {
            namespace: "chatomni".into(),
            ..MockConfig::default()
        };
        assert!(
            config
                .validate()
                .unwrap_err()
                .to_string()
                .contains("`namespace`")
        );

        let config = MockConfig {
            auth: AuthMode::Hs256 { secret: Vec::new() },
            ..MockConfig::default()
        };
        assert!(config.validate().is_err());

        let config = MockConfig {
            allowed_hosts: vec!["http://mock".into()],
            ..MockConfig::default()
        };
        assert!(
            config
                .validate()
                .unwrap_err()
                .to_string()
                .contains("allowed_hosts")
        );
        let config = MockConfig {
            admin_origins: vec!["http://localhost:5173/".into()],
            ..MockConfig::default()
        };
        assert!(
            config
                .validate()
                .unwrap_err()
                .to_string()
                .contains("admin_origins")
        );
    }

    #[test]
    fn every_default_config_has_its_own_admin_token() {
        let a = MockConfig::default()
            .admin_token
            .expect("a token by default");
        let b = MockConfig::default()
            .admin_token
            .expect("a token by default");
        assert_ne!(a, b);
    }
}
