//! The admin API under `/__admin/`: look at sessions, inject events, disconnect, set faults.
//!
//! It lives on the same listener as Engine.IO, under a prefix no Socket.IO client uses, so a
//! test needs one port only. Besides the `Host` check every route makes, a request must come
//! from a peer [`AdminAccess`] allows (loopback only by default), carry the run's token as
//! `Authorization: Bearer <token>` ([`MockConfig::admin_token`]) and, when it changes
//! something (any method but `GET`), say `Content-Type: application/json`. Pages of other
//! origins get no CORS headers (unless [`MockConfig::admin_origins`] names them), and a
//! request whose `Origin` is not named is refused. Bodies are JSON, at most 1 MiB.
//! `docs/admin-api.md` has the table of routes and curl examples.
//!
//! [`MockConfig::admin_token`]: crate::MockConfig::admin_token
//! [`MockConfig::admin_origins`]: crate::MockConfig::admin_origins

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use serde::{Deserialize, Serialize};

use crate::access::{AdminToken, is_loopback};
use crate::config::AdminAccess;
use crate::fault::FaultPlan;
use crate::http::cors::{add_admin_cors, admin_origin_allowed, admin_preflight};
use crate::http::response::{self, Body};
use crate::hub::SessionHandle;
use crate::session::messages::{SessionCommand, SessionInput};
use crate::state::ServerState;

/// The path prefix of every admin route.
pub const ADMIN_PREFIX: &str = "/__admin";

/// Largest admin request body.
const MAX_BODY: usize = 1 << 20;

/// The body of the emit routes. Exactly one of `event`, `packet` or `raw` is given.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct EmitRequest {
    /// The event name, e.g. `on-events`; `args` are its arguments.
    #[serde(default)]
    pub event: Option<String>,
    /// The event's arguments, as JSON values.
    #[serde(default)]
    pub args: Vec<serde_json::Value>,
    /// Turn every object or array argument into its JSON text first, as rt-2 sends
    /// `on-events` (a string holding JSON). Default false.
    #[serde(default)]
    pub stringify_args: bool,
    /// The namespace; default the mock's namespace (`/chatomni`).
    #[serde(default)]
    pub namespace: Option<String>,
    /// A whole EVENT payload array as JSON text, instead of `event` + `args`
    /// (e.g. `["on-events","{...}"]`).
    #[serde(default)]
    pub data: Option<String>,
    /// An Engine.IO text frame sent verbatim, valid or not (e.g. `42/chatomni,[` to test a
    /// client's handling of a malformed frame).
    #[serde(default)]
    pub raw: Option<String>,
}

/// The body of the disconnect route (optional).
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct DisconnectRequest {
    /// The reason sent in the WebSocket close frame and recorded in the session's report.
    #[serde(default)]
    pub reason: Option<String>,
}

/// What the emit and disconnect routes answer: how many sessions the command reached.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Delivered {
    /// Sessions the command was queued for.
    pub delivered: usize,
}

/// The admin API's table of routes, served at `GET /__admin/`.
const ROUTES: &[(&str, &str, &str)] = &[
    ("GET", "/__admin/", "this list"),
    ("GET", "/__admin/stats", "server counters"),
    (
        "GET",
        "/__admin/sessions",
        "open and recently closed sessions",
    ),
    ("GET", "/__admin/sessions/{sid}", "one session"),
    (
        "POST",
        "/__admin/sessions/{sid}/emit",
        "send an event to one session",
    ),
    (
        "POST",
        "/__admin/sessions/{sid}/disconnect",
        "close one session",
    ),
    (
        "PUT",
        "/__admin/sessions/{sid}/faults",
        "set one session's faults",
    ),
    (
        "POST",
        "/__admin/rooms/{room}/emit",
        "send an event to every session of a room",
    ),
    ("POST", "/__admin/emit", "send an event to every session"),
    ("GET", "/__admin/faults", "the faults new sessions get"),
    ("PUT", "/__admin/faults", "set the faults new sessions get"),
];

/// True when `peer` may use the admin API under `access`.
pub(crate) fn is_allowed(access: AdminAccess, peer: SocketAddr) -> bool {
    match access {
        AdminAccess::LoopbackOnly => is_loopback(peer.ip()),
        AdminAccess::Anyone => true,
        AdminAccess::Disabled => false,
    }
}

/// Handles one request under [`ADMIN_PREFIX`]. Checked in turn: the peer's address, the
/// page's `Origin` if any (no CORS at all unless named), the token, the content type.
pub(crate) async fn handle(
    state: Arc<ServerState>,
    peer: SocketAddr,
    request: Request<Incoming>,
) -> Response<Body> {
    match state.config.admin {
        AdminAccess::Disabled => {
            return response::error(StatusCode::NOT_FOUND, "the admin API is disabled");
        }
        access if !is_allowed(access, peer) => {
            return response::error(
                StatusCode::FORBIDDEN,
                "the admin API only answers loopback clients (start the mock with remote admin access to change that)",
            );
        }
        _ => {}
    }
    // Browsers send `Origin` on every cross-origin request and on same-origin ones that are
    // not GET; this API serves no page, so any `Origin` is another site unless named.
    let origin = request.headers().get(header::ORIGIN).cloned();
    let Some(origin) = origin else {
        return authorized(&state, request).await;
    };
    // With the web view mounted, the mock serves one page: its own origin may call, with the
    // token, and needs no CORS headers.
    if state.config.ui.is_some() && same_origin(&origin, request.headers()) {
        return authorized(&state, request).await;
    }
    if !admin_origin_allowed(&state.config.admin_origins, &origin) {
        return response::error(
            StatusCode::FORBIDDEN,
            &format!(
                "the admin API does not answer pages of other origins (Origin {:?}); to let one \
                 in, start the mock with `--admin-allow-origin ORIGIN` (MockConfig::admin_origins)",
                String::from_utf8_lossy(origin.as_bytes())
            ),
        );
    }
    if request.method() == Method::OPTIONS {
        return admin_preflight(origin);
    }
    let mut response = authorized(&state, request).await;
    add_admin_cors(origin, response.headers_mut());
    response
}

/// True when `origin` names the host the request was sent to (`Host`): the page is the
/// mock's own.
fn same_origin(origin: &HeaderValue, headers: &HeaderMap) -> bool {
    let (Ok(origin), Some(host)) = (
        origin.to_str(),
        headers.get(header::HOST).and_then(|h| h.to_str().ok()),
    ) else {
        return false;
    };
    origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .is_some_and(|authority| authority.eq_ignore_ascii_case(host))
}

/// Checks the token and the content type, then answers.
async fn authorized(state: &ServerState, request: Request<Incoming>) -> Response<Body> {
    if let Some(token) = &state.config.admin_token {
        if let Some(refused) = token_refusal(token, request.headers()) {
            return refused;
        }
    }
    let method = request.method().clone();
    if changes_state(&method) && !is_json(request.headers()) {
        let given = request
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|value| format!("{:?}", String::from_utf8_lossy(value.as_bytes())));
        return response::error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            &format!(
                "admin requests that change something need `Content-Type: application/json`, \
                 body or not (a guard against cross-site form posts); this one had {}",
                given.as_deref().unwrap_or("none")
            ),
        );
    }
    let path = request
        .uri()
        .path()
        .trim_start_matches(ADMIN_PREFIX)
        .trim_matches('/')
        .to_owned();
    let segments: Vec<&str> = if path.is_empty() {
        Vec::new()
    } else {
        path.split('/').collect()
    };
    let body = match read_body(request, state.config.body_timeout).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    dispatch(state, &method, &segments, &body).await
}

/// Checks `Authorization: Bearer <token>`: `None` when it is right, else the `401` answer,
/// with `WWW-Authenticate: Bearer`.
fn token_refusal(token: &AdminToken, headers: &HeaderMap) -> Option<Response<Body>> {
    let (message, challenge) = match headers.get(header::AUTHORIZATION) {
        Some(value) if token.matches_authorization(value.as_bytes()) => return None,
        Some(_) => (
            "the bearer token is not this run's admin token (a new one is made at every \
             start, unless SIO_ADMIN_TOKEN sets it)",
            r#"Bearer realm="sio-replay admin", error="invalid_token""#,
        ),
        None => (
            "the admin API needs `Authorization: Bearer <token>` with this run's token: \
             `sio-replay serve` prints it (`admin_token` in its JSON banner), a test reads \
             RunningMock::admin_token()",
            r#"Bearer realm="sio-replay admin""#,
        ),
    };
    let mut refused = response::error(StatusCode::UNAUTHORIZED, message);
    refused.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(challenge),
    );
    Some(refused)
}

/// Every method but the reading ones may change something.
fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// True when the request says `Content-Type: application/json` (parameters such as
/// `charset` allowed).
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media_type| media_type.trim().eq_ignore_ascii_case("application/json"))
}

/// The body, at most [`MAX_BODY`] bytes, arrived within `timeout` (else `408`).
async fn read_body(
    request: Request<Incoming>,
    timeout: std::time::Duration,
) -> Result<Bytes, Response<Body>> {
    let collect = Limited::new(request.into_body(), MAX_BODY).collect();
    match tokio::time::timeout(timeout, collect).await {
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(err)) => Err(response::error(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("cannot read the request body (at most {MAX_BODY} bytes): {err}"),
        )),
        Err(_) => {
            let mut answer = response::error(
                StatusCode::REQUEST_TIMEOUT,
                &format!("the request body did not arrive within {timeout:?}"),
            );
            answer
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            Err(answer)
        }
    }
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|err| format!("invalid JSON body: {err}"))
}

fn bad_request(message: &str) -> Response<Body> {
    response::error(StatusCode::BAD_REQUEST, message)
}

async fn dispatch(
    state: &ServerState,
    method: &Method,
    segments: &[&str],
    body: &[u8],
) -> Response<Body> {
    let hub = &state.hub;
    match (method, segments) {
        (&Method::GET, []) => {
            let routes: Vec<serde_json::Value> = ROUTES
                .iter()
                .map(|(method, path, what)| serde_json::json!({"method": method, "path": path, "does": what}))
                .collect();
            response::json(StatusCode::OK, &routes)
        }
        (&Method::GET, ["stats"]) => response::json(StatusCode::OK, &hub.stats()),
        (&Method::GET, ["sessions"]) => response::json(StatusCode::OK, &hub.reports()),
        (&Method::GET, ["sessions", sid]) => match hub.report(sid) {
            Some(report) => response::json(StatusCode::OK, &report),
            None => unknown_session(sid),
        },
        (&Method::POST, ["sessions", sid, "emit"]) => {
            let Some(handle) = hub.get(sid) else {
                return unknown_session(sid);
            };
            emit(state, &[handle], body).await
        }
        (&Method::POST, ["rooms", room, "emit"]) => {
            let handles = hub.in_room(Some(room));
            emit(state, &handles, body).await
        }
        (&Method::POST, ["emit"]) => emit(state, &hub.all_handles(), body).await,
        (&Method::POST, ["sessions", sid, "disconnect"]) => {
            let Some(handle) = hub.get(sid) else {
                return unknown_session(sid);
            };
            let request: DisconnectRequest = if body.is_empty() {
                DisconnectRequest::default()
            } else {
                match parse(body) {
                    Ok(request) => request,
                    Err(message) => return bad_request(&message),
                }
            };
            let reason = request
                .reason
                .unwrap_or_else(|| "disconnected by the admin API".to_owned());
            let delivered = send(&[handle], || SessionCommand::Disconnect(reason.clone())).await;
            response::json(StatusCode::OK, &Delivered { delivered })
        }
        (&Method::PUT | &Method::POST, ["sessions", sid, "faults"]) => {
            let Some(handle) = hub.get(sid) else {
                return unknown_session(sid);
            };
            let plan: FaultPlan = match parse(body) {
                Ok(plan) => plan,
                Err(message) => return bad_request(&message),
            };
            let delivered = send(&[handle], || {
                SessionCommand::SetFaults(Box::new(plan.clone()))
            })
            .await;
            response::json(StatusCode::OK, &Delivered { delivered })
        }
        (&Method::GET, ["faults"]) => response::json(StatusCode::OK, &hub.run_faults()),
        (&Method::PUT | &Method::POST, ["faults"]) => match parse::<FaultPlan>(body) {
            Ok(plan) => {
                hub.set_run_faults(plan.clone());
                response::json(StatusCode::OK, &plan)
            }
            Err(message) => bad_request(&message),
        },
        (_, _) => response::error(
            StatusCode::NOT_FOUND,
            "no such admin route; GET /__admin/ lists them",
        ),
    }
}

fn unknown_session(sid: &str) -> Response<Body> {
    response::error(
        StatusCode::NOT_FOUND,
        &format!("no open session with sid {sid:?}"),
    )
}

/// Queues a command for each session; a session whose command queue is full or closed is
/// skipped (it is slow or closing) and not counted.
async fn send(handles: &[SessionHandle], command: impl Fn() -> SessionCommand) -> usize {
    let mut delivered = 0;
    for handle in handles {
        if handle
            .commands
            .try_send(Box::new(SessionInput::Command(command())))
            .is_ok()
        {
            delivered += 1;
        }
    }
    delivered
}

/// The command an [`EmitRequest`] asks for, or why it cannot be understood.
pub(crate) fn emit_command(
    request: EmitRequest,
    default_namespace: &str,
) -> Result<SessionCommand, String> {
    let given = [
        request.event.is_some(),
        request.data.is_some(),
        request.raw.is_some(),
    ];
    if given.iter().filter(|g| **g).count() != 1 {
        return Err("give exactly one of `event` (with `args`), `data` or `raw`".to_owned());
    }
    if let Some(raw) = request.raw {
        return Ok(SessionCommand::SendRaw(raw));
    }
    let namespace: Arc<str> = request
        .namespace
        .as_deref()
        .unwrap_or(default_namespace)
        .into();
    if !namespace.starts_with('/') {
        return Err(format!("namespace {namespace:?} must start with `/`"));
    }
    let data = match (request.event, request.data) {
        (Some(event), None) => {
            let mut array = Vec::with_capacity(request.args.len() + 1);
            array.push(serde_json::Value::String(event));
            for arg in request.args {
                let arg = match arg {
                    value @ (serde_json::Value::Object(_) | serde_json::Value::Array(_))
                        if request.stringify_args =>
                    {
                        serde_json::Value::String(value.to_string())
                    }
                    value => value,
                };
                array.push(arg);
            }
            serde_json::Value::Array(array).to_string()
        }
        (None, Some(data)) => {
            let valid = serde_json::from_str::<serde_json::Value>(&data)
                .map_err(|err| format!("`data` is not JSON: {err}"))?;
            if valid.as_array().is_none_or(|array| array.is_empty()) {
                return Err(
                    "`data` must be a non-empty JSON array: [\"event\", ...args]".to_owned(),
                );
            }
            data
        }
        _ => return Err("give exactly one of `event` (with `args`), `data` or `raw`".to_owned()),
    };
    Ok(SessionCommand::Emit {
        namespace,
        data: data.into(),
    })
}

async fn emit(state: &ServerState, handles: &[SessionHandle], body: &[u8]) -> Response<Body> {
    let request: EmitRequest = match parse(body) {
        Ok(request) => request,
        Err(message) => return bad_request(&message),
    };
    let command = match emit_command(request, &state.config.namespace) {
        Ok(command) => command,
        Err(message) => return response::error(StatusCode::BAD_REQUEST, &message),
    };
    let delivered = send(handles, || command.clone()).await;
    response::json(StatusCode::OK, &Delivered { delivered })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_json_counts_as_json() {
        let with = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(value));
            headers
        };
        assert!(is_json(&with("application/json")));
        assert!(is_json(&with("Application/JSON; charset=utf-8")));
        for simple in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/jsonp",
        ] {
            assert!(!is_json(&with(simple)), "{simple}");
        }
        assert!(!is_json(&HeaderMap::new()));
    }

    fn request(json: &str) -> EmitRequest {
        serde_json::from_str(json).unwrap()
    }

    fn emitted(command: SessionCommand) -> (String, String) {
        match command {
            SessionCommand::Emit { namespace, data } => (namespace.to_string(), data.to_string()),
            other => panic!("expected an emit, got {other:?}"),
        }
    }

    #[test]
    fn event_with_stringified_args_looks_like_rt2s_on_events() {
        let command = emit_command(
            request(
                r#"{"event":"on-events","args":[{"Message":{"Id":"m1"}}],"stringify_args":true}"#,
            ),
            "/chatomni",
        )
        .unwrap();
        assert_eq!(
            emitted(command),
            (
                "/chatomni".into(),
                r#"["on-events","{\"Message\":{\"Id\":\"m1\"}}"]"#.into()
            )
        );
    }

    #[test]
    fn data_and_raw_forms() {
        let command = emit_command(
            request(r#"{"data":"[\"x\",1]","namespace":"/"}"#),
            "/chatomni",
        )
        .unwrap();
        assert_eq!(emitted(command), ("/".into(), r#"["x",1]"#.into()));
        let command = emit_command(request(r#"{"raw":"42/chatomni,["}"#), "/chatomni").unwrap();
        assert!(matches!(command, SessionCommand::SendRaw(raw) if raw == "42/chatomni,["));
    }

    #[test]
    fn ambiguous_or_invalid_requests_are_refused_with_a_reason() {
        let err = emit_command(request(r#"{"event":"x","raw":"2"}"#), "/c").unwrap_err();
        assert!(err.contains("exactly one"), "{err}");
        let err = emit_command(request(r#"{"data":"{}"}"#), "/c").unwrap_err();
        assert!(err.contains("non-empty JSON array"), "{err}");
        let err = emit_command(request(r#"{"data":"[1"}"#), "/c").unwrap_err();
        assert!(err.contains("not JSON"), "{err}");
        let err = emit_command(request(r#"{"event":"x","namespace":"c"}"#), "/c").unwrap_err();
        assert!(err.contains("must start with"), "{err}");
        assert!(serde_json::from_str::<EmitRequest>(r#"{"evnt":"x"}"#).is_err());
    }

    #[test]
    fn loopback_only_refuses_other_peers() {
        let local: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let remote: SocketAddr = "192.0.2.7:5000".parse().unwrap();
        let mapped: SocketAddr = "[::ffff:127.0.0.1]:5000".parse().unwrap();
        let mapped_remote: SocketAddr = "[::ffff:192.0.2.7]:5000".parse().unwrap();
        assert!(is_allowed(AdminAccess::LoopbackOnly, local));
        assert!(is_allowed(AdminAccess::LoopbackOnly, mapped));
        assert!(!is_allowed(AdminAccess::LoopbackOnly, mapped_remote));
        assert!(!is_allowed(AdminAccess::LoopbackOnly, remote));
        assert!(is_allowed(AdminAccess::Anyone, remote));
        assert!(!is_allowed(AdminAccess::Disabled, local));
    }
}
