//! Which handler answers a request: Engine.IO at `/socket.io/`, the live-video endpoint, the
//! admin API; CORS for browsers.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, header};
use hyper::body::Incoming;
use sio_session::{RequestError, RequestKind, TransportKind, validate_request};
use tokio::sync::oneshot;
use tpos_chat::LIVE_VIDEO_PATH;

use crate::config::CorsPolicy;
use crate::connection::{SessionInput, WsLink, open_session};
use crate::http::admin::{self, ADMIN_PREFIX};
use crate::http::live_video::PageError;
use crate::http::response::{self, Body};
use crate::server::{ConnectionPermit, ServerState};
use crate::transport::polling::{self, DropConnection, refusal};
use crate::transport::websocket;

/// The Engine.IO endpoint path (socket.io's default `path`).
pub(crate) const ENGINE_PATH: &str = "/socket.io/";

/// Answers one request.
///
/// # Errors
/// [`DropConnection`] when a fault must cut the connection; hyper then closes it.
pub(crate) async fn route(
    state: Arc<ServerState>,
    peer: SocketAddr,
    permit: ConnectionPermit,
    request: Request<Incoming>,
) -> Result<Response<Body>, DropConnection> {
    state
        .hub
        .stats
        .http_requests
        .fetch_add(1, Ordering::Relaxed);
    let path = request.uri().path();
    let origin = request.headers().get(header::ORIGIN).cloned();
    let scenario_path = state
        .config
        .scenario
        .as_ref()
        .is_some_and(|scenario| scenario.server.is_engine_path(path));
    let mut response = if path == ENGINE_PATH || path == "/socket.io" || scenario_path {
        if request.method() == Method::OPTIONS {
            preflight(request.headers())
        } else {
            engine(&state, peer, permit, request).await?
        }
    } else if path == LIVE_VIDEO_PATH {
        if request.method() == Method::OPTIONS {
            preflight(request.headers())
        } else {
            live_video(&state, &request)
        }
    } else if path == ADMIN_PREFIX || path.starts_with("/__admin/") {
        admin::handle(state.clone(), peer, request).await
    } else {
        response::error(
            StatusCode::NOT_FOUND,
            "not found: this mock serves /socket.io/, /api/facebook-graph/livevideo and /__admin/",
        )
    };
    if response.status() != StatusCode::SWITCHING_PROTOCOLS {
        add_cors(&state.config.cors, origin, response.headers_mut());
    }
    Ok(response)
}

/// The room of a request: its `room` query parameter, if any.
fn room_of(query: &str) -> Option<&str> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .filter(|(key, _)| *key == "room")
        .map(|(_, value)| value)
        .next_back()
}

async fn engine(
    state: &Arc<ServerState>,
    peer: SocketAddr,
    permit: ConnectionPermit,
    request: Request<Incoming>,
) -> Result<Response<Body>, DropConnection> {
    let query = request.uri().query().unwrap_or("").to_owned();
    let upgrade = websocket::is_upgrade_request(request.headers());
    let kind = match validate_request(request.method().as_str(), &query, upgrade) {
        Ok(kind) => kind,
        Err(err) => return Ok(refusal(err)),
    };
    if state.shutdown.is_shutdown() {
        return Ok(response::error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the server is shutting down",
        ));
    }
    let room = room_of(&query);
    match kind {
        RequestKind::Handshake {
            transport: TransportKind::Polling,
        } => {
            let (_, inputs) = open_session(state, TransportKind::Polling, room, peer, None);
            polling::poll(&inputs).await
        }
        RequestKind::Handshake {
            transport: TransportKind::WebSocket,
        } => {
            let answer = match websocket::accept_upgrade(&request) {
                Ok(answer) => answer,
                Err(why) => return Ok(response::error(StatusCode::BAD_REQUEST, why)),
            };
            let (link, frames) = WsLink::new();
            let (_, inputs) = open_session(
                state,
                TransportKind::WebSocket,
                room,
                peer,
                Some(link.clone()),
            );
            websocket::spawn_websocket(state.clone(), request, permit, link, frames, inputs);
            Ok(answer)
        }
        RequestKind::Poll { sid } => match state.hub.get(sid) {
            Some(handle) => polling::poll(&handle.commands).await,
            None => Ok(refusal(RequestError::UnknownSid)),
        },
        RequestKind::Post { sid } => match state.hub.get(sid) {
            Some(handle) => {
                Ok(
                    polling::post(&handle.commands, request, state.config.session.max_payload)
                        .await,
                )
            }
            None => Ok(refusal(RequestError::UnknownSid)),
        },
        RequestKind::Upgrade { sid } => {
            let Some(handle) = state.hub.get(sid) else {
                return Ok(refusal(RequestError::UnknownSid));
            };
            let answer = match websocket::accept_upgrade(&request) {
                Ok(answer) => answer,
                Err(why) => return Ok(response::error(StatusCode::BAD_REQUEST, why)),
            };
            let (link, frames) = WsLink::new();
            let (reply, accepted) = oneshot::channel();
            let attach = SessionInput::AttachWebSocket {
                link: link.clone(),
                reply,
            };
            if handle.commands.send(attach).await.is_err() {
                return Ok(refusal(RequestError::UnknownSid));
            }
            match accepted.await {
                Ok(Ok(())) => {
                    websocket::spawn_websocket(
                        state.clone(),
                        request,
                        permit,
                        link,
                        frames,
                        handle.commands.clone(),
                    );
                    Ok(answer)
                }
                Ok(Err(RequestError::BadRequest)) => {
                    // Already upgraded or upgrading: accepted, then closed, as engine.io does.
                    websocket::spawn_closed_websocket(state, request);
                    Ok(answer)
                }
                Ok(Err(err)) => Ok(refusal(err)),
                Err(_) => Ok(refusal(RequestError::UnknownSid)),
            }
        }
    }
}

fn live_video(state: &ServerState, request: &Request<Incoming>) -> Response<Body> {
    if request.method() != Method::GET {
        return response::error(
            StatusCode::METHOD_NOT_ALLOWED,
            "the live-video endpoint answers GET only",
        );
    }
    let bearer = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            value
                .strip_prefix("Bearer ")
                .or_else(|| value.strip_prefix("bearer "))
        })
        .is_some_and(|token| !token.trim().is_empty());
    if !bearer {
        let mut refused = response::error(
            StatusCode::UNAUTHORIZED,
            "Authorization: Bearer <token> is required",
        );
        refused
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return refused;
    }
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("127.0.0.1");
    let base = format!("{}://{host}", state.scheme);
    match state
        .live_videos
        .page(request.uri().query().unwrap_or(""), &base)
    {
        Ok(body) => response::with_body(StatusCode::OK, "application/json; charset=utf-8", body),
        Err(PageError::BadQuery(message)) => response::error(StatusCode::BAD_REQUEST, &message),
        Err(PageError::BadCursor) => response::error(
            StatusCode::BAD_REQUEST,
            "the before/after cursor names no video of this list",
        ),
    }
}

fn origin_allowed(policy: &CorsPolicy, origin: &str) -> bool {
    match policy {
        CorsPolicy::AnyOrigin => true,
        CorsPolicy::Origins(allowed) => allowed.iter().any(|o| o == origin),
    }
}

/// Answers a CORS preflight (`OPTIONS`).
fn preflight(headers: &HeaderMap) -> Response<Body> {
    let mut response = response::empty(StatusCode::NO_CONTENT);
    let out = response.headers_mut();
    out.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, OPTIONS"),
    );
    if let Some(requested) = headers.get(header::ACCESS_CONTROL_REQUEST_HEADERS) {
        out.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, requested.clone());
    }
    out.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("600"),
    );
    response
}

/// Adds CORS headers for an allowed `Origin`: echoes it and allows credentials, as the
/// reference server does with `cors: { origin: true, credentials: true }`.
fn add_cors(policy: &CorsPolicy, origin: Option<HeaderValue>, headers: &mut HeaderMap) {
    let Some(origin) = origin else {
        return;
    };
    let allowed = origin.to_str().is_ok_and(|o| origin_allowed(policy, o));
    if !allowed {
        return;
    }
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
        HeaderValue::from_static("true"),
    );
    headers.insert(header::VARY, HeaderValue::from_static("Origin"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_is_read_from_the_query() {
        assert_eq!(
            room_of("room=tomato.tpos.vn&EIO=4&transport=websocket"),
            Some("tomato.tpos.vn")
        );
        assert_eq!(room_of("EIO=4&transport=polling"), None);
        assert_eq!(room_of("room=a&room=b"), Some("b"));
    }

    #[test]
    fn cors_echoes_allowed_origins_only() {
        let mut headers = HeaderMap::new();
        let policy = CorsPolicy::Origins(vec!["http://localhost:5173".into()]);
        add_cors(
            &policy,
            Some(HeaderValue::from_static("http://evil.example")),
            &mut headers,
        );
        assert!(headers.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none());
        add_cors(
            &policy,
            Some(HeaderValue::from_static("http://localhost:5173")),
            &mut headers,
        );
        assert_eq!(
            headers[header::ACCESS_CONTROL_ALLOW_ORIGIN],
            "http://localhost:5173"
        );
        assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_CREDENTIALS], "true");
    }
}
