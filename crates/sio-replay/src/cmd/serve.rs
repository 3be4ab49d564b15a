//! `sio-replay serve`: flags → [`rt2_mock::MockConfig`] → [`rt2_mock::serve`], after a banner
//! that tells a client where to connect and with which token.

use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use rt2_mock::{
    AdminAccess, AdminToken, AuthMode, Capture, CorsPolicy, FaultPlan, MockConfig, Pace,
    ReplayMode, ctrl_c_or_sigterm,
};
use serde_json::json;
use sio_capture::transcript::escape_control;
use tpos_chat::{Claims, TEST_SECRET, sign_hs256};

use super::Context;
use super::runtime::runtime;
use crate::Outcome;
use crate::cli::{AdminArg, AuthArg, FaultArgs, ReplayModeArg, ServeArgs};
use crate::print::{Palette, Report, Role, write_json_value};

/// The bundled capture, compiled in so that `serve` works from any directory.
const BUNDLED_CAPTURE: &str = include_str!("../../../../captures/rt2-chatomni.jsonl");

/// Its name in messages.
const BUNDLED_NAME: &str = "the bundled captures/rt2-chatomni.jsonl";

/// The tenant used when neither `--room` nor the capture names one.
const DEFAULT_ROOM: &str = "tomato.tpos.vn";

/// The port when neither `--port` nor the scenario names one.
const DEFAULT_PORT: u16 = 3000;

/// How long the banner's token stays valid when signed with the public test secret.
const TOKEN_LIFETIME_S: i64 = 24 * 3600;

/// The environment variable that fixes the admin token (for scripts that cannot read the
/// banner).
const ADMIN_TOKEN_ENV: &str = "SIO_ADMIN_TOKEN";
/// How long it stays valid when signed with a secret from `--secret-env` (and printed only
/// with `--print-token`): a terminal's scrollback or a CI log must not hold a day's access.
const SECRET_TOKEN_LIFETIME_S: i64 = 3600;

/// Run `serve`.
pub(crate) fn run(args: ServeArgs, ctx: &mut Context) -> anyhow::Result<Outcome> {
    let (capture, capture_name) = match &args.capture {
        Some(path) => (
            Capture::open(path).with_context(|| format!("loading capture {}", path.display()))?,
            path.display().to_string(),
        ),
        None => (
            Capture::from_jsonl(BUNDLED_CAPTURE, Path::new(BUNDLED_NAME))
                .context("loading the bundled capture")?,
            BUNDLED_NAME.to_owned(),
        ),
    };
    for warning in &capture.warnings {
        tracing::warn!("{capture_name}: {warning}");
    }
    let room = args
        .room
        .clone()
        .or_else(|| capture.header.as_ref().and_then(|h| h.room.clone()))
        .unwrap_or_else(|| DEFAULT_ROOM.to_owned());
    let secret = match &args.secret_env {
        Some(name) => std::env::var(name)
            .map(String::into_bytes)
            .with_context(|| format!("--secret-env {name}: the environment variable is not set"))?,
        None => TEST_SECRET.as_bytes().to_vec(),
    };
    // A token signed with the public test secret is no secret; one signed with a real
    // secret is printed only when asked for, and lives an hour.
    let token = match (&args.secret_env, args.print_token) {
        (None, _) => BannerToken::Printed(mint_token(&room, &secret, TOKEN_LIFETIME_S)),
        (Some(_), true) => {
            BannerToken::Printed(mint_token(&room, &secret, SECRET_TOKEN_LIFETIME_S))
        }
        (Some(name), false) => BannerToken::Withheld(name.clone()),
    };

    let mut config = MockConfig::default();
    config.faults = fault_plan(&args.faults);
    config.admin = match args.admin {
        AdminArg::Loopback => AdminAccess::LoopbackOnly,
        AdminArg::Anyone => AdminAccess::Anyone,
        AdminArg::Off => AdminAccess::Disabled,
    };
    config.admin_token = admin_token(args.admin_open)?;
    config.admin_origins.clone_from(&args.admin_allow_origin);
    config.allowed_hosts.clone_from(&args.allow_host);
    config.auth = match args.auth {
        AuthArg::Any => AuthMode::Any,
        AuthArg::Claims => AuthMode::Claims,
        AuthArg::Hs256 => AuthMode::Hs256 {
            secret: secret.clone(),
        },
    };
    config.replay.mode = match args.mode {
        ReplayModeArg::PerConnection => ReplayMode::PerConnection,
        ReplayModeArg::Live => ReplayMode::Live,
    };
    config.replay.pace = pace(args.speed)?;
    config.replay.repeat = args.loop_replay;
    let timeline = capture.timeline(&config.namespace);
    let events = timeline.len();
    let oversized = timeline
        .events()
        .iter()
        .filter(|event| !config.queue.admits(event.data.len()))
        .count();
    if oversized > 0 {
        tracing::warn!(
            "{capture_name}: {oversized} of its events are larger than a client's send queue \
             ({} bytes) and are dropped when their turn comes (counted in the admin API's \
             events_dropped)",
            config.queue.max_bytes
        );
    }
    if events == 0 && capture.http.is_empty() {
        tracing::warn!(
            "{capture_name} has no server events in {} and no HTTP exchanges: clients will \
             connect and receive nothing (`sio-replay decode {capture_name}` shows what it holds)",
            config.namespace
        );
    }
    config.capture = Some(Arc::new(capture));
    let scenario = rt2_mock::scenario::Scenario::load(&args.scenario)
        .with_context(|| format!("--scenario {}", args.scenario))?;
    scenario.apply_to(&mut config);
    if !args.allow_origin.is_empty() {
        config.cors = CorsPolicy::Origins(args.allow_origin.clone());
    }
    let ui = args.ui.then(|| web_view(&mut config, &capture_name));
    config.validate().context("checking the flags")?;
    let port = args.port.or(scenario.server.port).unwrap_or(DEFAULT_PORT);
    let namespace = config.namespace.clone();

    let runtime = runtime()?;
    runtime.block_on(async {
        let addr = SocketAddr::new(args.bind, port);
        let listener = rt2_mock::bind(addr)
            .await
            .with_context(|| format!("--bind {} --port {port}", args.bind))?;
        let local = listener
            .local_addr()
            .context("reading the listening address")?;
        let acceptor = if args.tls {
            Some(crate::tls::self_signed(args.bind, &args.ca_out)?)
        } else {
            None
        };
        ctx.printer.print(&Banner {
            local,
            namespace: &namespace,
            scheme: if acceptor.is_some() { "https" } else { "http" },
            room: &room,
            token: &token,
            auth: args.auth,
            admin: (args.admin != AdminArg::Off)
                .then(|| config.admin_token.as_ref().map(AdminToken::as_str)),
            capture: &capture_name,
            events,
            ca: acceptor.as_ref().map(|_| args.ca_out.as_path()),
            ui: ui.as_ref().map(|ui| {
                let url = ui.url(local);
                if acceptor.is_some() {
                    url.replacen("http://", "https://", 1)
                } else {
                    url
                }
            }),
        })?;
        ctx.printer.flush()?;
        match acceptor {
            Some(acceptor) => {
                rt2_mock::serve_with(listener, acceptor, config, ctrl_c_or_sigterm()).await
            }
            None => rt2_mock::serve(listener, config, ctrl_c_or_sigterm()).await,
        }
        .context("serving the mock")
    })?;
    Ok(Outcome::Success)
}

/// How many records a tab may fall behind the live stream before it skips some.
const UI_STREAM_CAPACITY: usize = 4096;
/// The recent records a tab opened later sees, in bytes.
const UI_HISTORY_BYTES: usize = 64 << 20;
/// Frames a second the sessions publish to the web view; past it a frame is counted, not
/// copied, and the page shows how many it was not sent. Five times what one tab is sent a
/// second, far above rt-2's pace, and low enough that a mock fanning out at full speed does
/// not pay a copy of every frame for its web view.
const UI_FRAMES_PER_SECOND: u64 = 10_000;

/// Mounts the web view on the mock (`--ui`): sessions publish to an observer that keeps
/// [`UI_HISTORY_BYTES`] of recent records; the page's token is the admin token, so that its
/// buttons can call the admin API, or a token of its own when the admin API has none.
fn web_view(config: &mut MockConfig, capture_name: &str) -> sio_ui::UiServer {
    let observer = sio_ui::Observer::with_history(UI_STREAM_CAPACITY, UI_HISTORY_BYTES)
        .with_rate_limit(UI_FRAMES_PER_SECOND);
    let token = config
        .admin_token
        .as_ref()
        .and_then(|token| sio_ui::UiToken::new(token.as_str()))
        .unwrap_or_else(sio_ui::UiToken::random);
    let admin = (config.admin != AdminAccess::Disabled).then(|| "/__admin".to_owned());
    let server = sio_ui::UiServer::new(sio_ui::UiConfig {
        observer: observer.clone(),
        token,
        allowed_hosts: config.allowed_hosts.clone(),
        admin,
        live: true,
        title: format!("sio-replay serve {capture_name}"),
    });
    config.observer = Some(observer);
    config.ui = Some(server.clone());
    server
}

/// The fault flags as the mock's plan.
fn fault_plan(args: &FaultArgs) -> FaultPlan {
    FaultPlan {
        latency_ms: args.latency_ms,
        drop_after_events: args.drop_after,
        stop_answering_after_events: args.stop_answering_after,
        stop_pinging: args.stop_pinging,
        malformed_after_events: args.malformed_after,
        reject_auth: args.reject_auth.clone(),
        close_after_events: args.close_after,
        ..FaultPlan::default()
    }
}

/// The admin token: none with `--admin-open`, else [`ADMIN_TOKEN_ENV`] when set, else a new
/// random one.
fn admin_token(open: bool) -> anyhow::Result<Option<AdminToken>> {
    if open {
        return Ok(None);
    }
    match std::env::var(ADMIN_TOKEN_ENV) {
        Ok(token) => AdminToken::new(token)
            .map(Some)
            .with_context(|| format!("the environment variable {ADMIN_TOKEN_ENV}")),
        Err(std::env::VarError::NotPresent) => Ok(Some(AdminToken::random())),
        Err(std::env::VarError::NotUnicode(_)) => {
            anyhow::bail!("the environment variable {ADMIN_TOKEN_ENV} is not UTF-8")
        }
    }
}

/// `--speed` as a replay pace: 0 as fast as the client reads, 1 original, else scaled. Any
/// finite positive factor is taken: the timeline saturates what it makes of extreme ones.
fn pace(speed: f64) -> anyhow::Result<Pace> {
    if !speed.is_finite() || speed < 0.0 {
        anyhow::bail!(
            "--speed {speed}: must be a finite number, 0 (as fast as the client reads) or a \
             positive factor (10 is ten times faster)"
        );
    }
    Ok(if speed == 0.0 {
        Pace::AsFastAsClientReads
    } else if speed == 1.0 {
        Pace::Original
    } else {
        Pace::Scaled(speed)
    })
}

/// A synthetic tenant token for `room`, valid for `lifetime_s` seconds, signed with `secret`.
fn mint_token(room: &str, secret: &[u8], lifetime_s: i64) -> String {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let claims = Claims::new("tmtWebApp", room, "sio-replay-user")
        .with_display_name("sio-replay")
        .with_iat(now)
        .with_exp(now + lifetime_s);
    sign_hs256(&claims, secret)
}

/// The banner's token, or why there is none.
enum BannerToken {
    /// A token the mock accepts.
    Printed(String),
    /// Not printed: it would be signed with the secret in this environment variable.
    Withheld(String),
}

/// What `serve` prints before it starts serving.
struct Banner<'a> {
    local: SocketAddr,
    /// The namespace the capture is replayed on.
    namespace: &'a str,
    scheme: &'static str,
    room: &'a str,
    token: &'a BannerToken,
    auth: AuthArg,
    /// `None` when the admin API is off; else its token, `None` when waived.
    admin: Option<Option<&'a str>>,
    capture: &'a str,
    events: usize,
    ca: Option<&'a Path>,
    /// The web view's URL with its token, with `--ui`.
    ui: Option<String>,
}

impl Banner<'_> {
    fn base_url(&self) -> String {
        format!("{}://{}", self.scheme, self.local)
    }

    fn websocket_url(&self) -> String {
        let ws = if self.scheme == "https" { "wss" } else { "ws" };
        format!(
            "{ws}://{}/socket.io/?room={}&EIO=4&transport=websocket",
            self.local, self.room
        )
    }

    fn admin_url(&self) -> String {
        format!("{}/__admin/", self.base_url())
    }

    fn auth_name(&self) -> &'static str {
        match self.auth {
            AuthArg::Any => "any",
            AuthArg::Claims => "claims",
            AuthArg::Hs256 => "hs256",
        }
    }
}

impl Report for Banner<'_> {
    fn write_human(&self, out: &mut dyn Write, palette: &Palette) -> io::Result<()> {
        // The room can come from the capture's header, which holds whatever its writer put
        // there: a terminal must not obey control characters in it.
        let room = escape_control(self.room);
        writeln!(
            out,
            "{} {} ({} events) on {}",
            palette.paint(Role::Good, "serving"),
            escape_control(self.capture),
            self.events,
            palette.paint(Role::Accent, self.base_url()),
        )?;
        writeln!(
            out,
            "  websocket: {}",
            escape_control(&self.websocket_url())
        )?;
        writeln!(out, "  namespace: {}", escape_control(self.namespace))?;
        writeln!(out, "  room:      {room}")?;
        writeln!(out, "  auth:      {}", self.auth_name())?;
        match self.token {
            BannerToken::Printed(token) => writeln!(out, "  token:     {token}")?,
            BannerToken::Withheld(name) => writeln!(
                out,
                "  token:     not printed: it would be signed with the secret in {name} \
                 (--print-token prints one valid for an hour)"
            )?,
        }
        match self.admin {
            None => writeln!(out, "  admin:     off")?,
            Some(None) => writeln!(out, "  admin:     {} (open: no token)", self.admin_url())?,
            Some(Some(token)) => writeln!(
                out,
                "  admin:     {} (Authorization: Bearer {token})",
                self.admin_url()
            )?,
        }
        if let Some(ca) = self.ca {
            writeln!(
                out,
                "  CA:        {} (trust it in the client)",
                ca.display()
            )?;
        }
        if let Some(ui) = &self.ui {
            writeln!(out, "  ui:        {ui}")?;
        }
        writeln!(
            out,
            "  {}",
            palette.paint(
                Role::Dim,
                format!(
                    "client:    io(\"{}{}\", {{ query: {{ room: \"{}\" }}, auth: {{ token }} }})",
                    self.base_url(),
                    escape_control(self.namespace),
                    room
                )
            )
        )?;
        writeln!(out, "  {}", palette.paint(Role::Dim, "stop with Ctrl-C"))
    }

    fn write_json(&self, out: &mut dyn Write) -> io::Result<()> {
        write_json_value(
            out,
            &json!({
                "url": self.base_url(),
                "websocket_url": self.websocket_url(),
                "port": self.local.port(),
                "namespace": self.namespace,
                "room": self.room,
                "auth": self.auth_name(),
                "token": match self.token {
                    BannerToken::Printed(token) => Some(token),
                    BannerToken::Withheld(_) => None,
                },
                "admin_url": self.admin.map(|_| self.admin_url()),
                "admin_token": self.admin.flatten(),
                "capture": self.capture,
                "events": self.events,
                "ca": self.ca,
                "ui_url": self.ui,
            }),
        )
    }
}
