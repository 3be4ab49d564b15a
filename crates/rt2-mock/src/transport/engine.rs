//! The Engine.IO endpoint (`/socket.io/`): validates a request the way the reference server
//! does, then opens a session, hands a poll or a POST to its task, or upgrades it to a
//! WebSocket.

use std::net::SocketAddr;
use std::sync::Arc;

use http::{Request, Response, StatusCode};
use hyper::body::Incoming;
use sio_session::{RequestError, RequestKind, TransportKind, validate_request};
use tokio::sync::oneshot;

use crate::http::response::{self, Body};
use crate::session::messages::{SessionInput, WsLink};
use crate::session::open_session;
use crate::stamp::wants_stamps;
use crate::state::{ConnectionPermit, ServerState};
use crate::transport::polling::{self, DropConnection, refusal};
use crate::transport::websocket;

/// The answer to a handshake when [`MockConfig::max_connections`] sessions are open.
///
/// [`MockConfig::max_connections`]: crate::MockConfig::max_connections
fn session_limit_reached() -> Response<Body> {
    let mut answer = response::error(
        StatusCode::SERVICE_UNAVAILABLE,
        "session limit reached (max_connections sessions are open)",
    );
    answer.headers_mut().insert(
        http::header::RETRY_AFTER,
        http::HeaderValue::from_static("1"),
    );
    answer
}

/// The Engine.IO endpoint path (socket.io's default `path`).
pub(crate) const ENGINE_PATH: &str = "/socket.io/";

/// True when `path` is the Engine.IO endpoint: socket.io's default, or the path a scenario
/// names.
pub(crate) fn is_engine_path(state: &ServerState, path: &str) -> bool {
    path == ENGINE_PATH
        || path == "/socket.io"
        || state
            .config
            .scenario
            .as_ref()
            .is_some_and(|scenario| scenario.server.is_engine_path(path))
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

/// Answers one Engine.IO request.
///
/// # Errors
/// [`DropConnection`] when a fault must cut the connection.
pub(crate) async fn handle(
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
    let stamps = wants_stamps(&query);
    match kind {
        RequestKind::Handshake {
            transport: TransportKind::Polling,
        } => {
            let Ok((_, inputs)) = open_session(
                state,
                TransportKind::Polling,
                room,
                stamps,
                peer,
                request.uri(),
                None,
            ) else {
                return Ok(session_limit_reached());
            };
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
            let Ok((_, inputs)) = open_session(
                state,
                TransportKind::WebSocket,
                room,
                stamps,
                peer,
                request.uri(),
                Some(link.clone()),
            ) else {
                return Ok(session_limit_reached());
            };
            websocket::spawn_websocket(state.clone(), request, permit, link, frames, inputs);
            Ok(answer)
        }
        RequestKind::Poll { sid } => match state.hub.get(sid) {
            Some(handle) => polling::poll(&handle.commands).await,
            None => Ok(refusal(RequestError::UnknownSid)),
        },
        RequestKind::Post { sid } => match state.hub.get(sid) {
            Some(handle) => Ok(polling::post(
                &handle.commands,
                request,
                state.config.session.max_payload,
                state.config.body_timeout,
            )
            .await),
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
            if handle.commands.send(Box::new(attach)).await.is_err() {
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
}
