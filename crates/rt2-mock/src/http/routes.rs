//! Which handler answers a request: the Engine.IO endpoint at `/socket.io/`, the live-video
//! endpoint, the admin API. Every request first passes the `Host` check; CORS headers are
//! added on the way out of the two endpoints browser apps use.

use std::net::SocketAddr;
use std::sync::Arc;

use http::{Method, Request, Response, StatusCode, header};
use hyper::body::Incoming;
use tpos_chat::LIVE_VIDEO_PATH;

use crate::access::{LocalAddresses, host_allowed, host_part};
use crate::http::admin::{self, ADMIN_PREFIX};
use crate::http::cors::{add_cors, preflight};
use crate::http::live_video;
use crate::http::mock_info::{self, MOCK_INFO_PATH};
use crate::http::response::{self, Body};
use crate::hub::Stat;
use crate::state::{ConnectionPermit, ServerState};
use crate::transport::engine;
use crate::transport::polling::DropConnection;

/// Answers one request that reached the mock at `local` from `peer`.
///
/// # Errors
/// [`DropConnection`] when a fault must cut the connection; hyper then closes it.
pub(crate) async fn route(
    state: Arc<ServerState>,
    peer: SocketAddr,
    local: LocalAddresses,
    permit: ConnectionPermit,
    request: Request<Incoming>,
) -> Result<Response<Body>, DropConnection> {
    state.hub.stats.add(Stat::HttpRequests, 1);
    if let Err((status, refused)) = check_host(&state, local, &request) {
        tracing::warn!(%peer, "refused: {refused}");
        return Ok(response::error(status, &refused));
    }
    let path = request.uri().path();
    let origin = request.headers().get(header::ORIGIN).cloned();
    let mut response = if engine::is_engine_path(&state, path) {
        if request.method() == Method::OPTIONS {
            preflight(request.headers())
        } else {
            engine::handle(&state, peer, permit, request).await?
        }
    } else if path == LIVE_VIDEO_PATH {
        if request.method() == Method::OPTIONS {
            preflight(request.headers())
        } else {
            live_video::handle(&state, &request)
        }
    } else if path == MOCK_INFO_PATH {
        return Ok(mock_info::handle(&state, request.method()));
    } else if let Some(ui) = state
        .config
        .ui
        .as_ref()
        .filter(|_| sio_ui::UiServer::is_ui_path(path))
    {
        // The web view sets its own (no) CORS headers and checks its own token.
        return Ok(ui.handle(&request, local));
    } else if path == ADMIN_PREFIX || path.starts_with("/__admin/") {
        // The admin API sets its own (default: no) CORS headers.
        return Ok(admin::handle(state.clone(), peer, request).await);
    } else {
        return Ok(response::error(
            StatusCode::NOT_FOUND,
            "not found: this mock serves /socket.io/, /api/facebook-graph/livevideo, /__mock and /__admin/",
        ));
    };
    if response.status() != StatusCode::SWITCHING_PROTOCOLS {
        add_cors(&state.config.cors, origin, response.headers_mut());
    }
    Ok(response)
}

/// Checks the host a request names (its `Host` header, and the authority of an absolute
/// request target) against the allow-list, which stops DNS rebinding: a page whose host
/// name has been made to resolve to this machine sends its own name.
///
/// # Errors
/// The status and message of the refusal: `400` without a `Host` (HTTP/1.1 requires one),
/// `403` naming a host that is not allowed and how to allow it.
fn check_host<B>(
    state: &ServerState,
    local: LocalAddresses,
    request: &Request<B>,
) -> Result<(), (StatusCode, String)> {
    let Some(header) = request.headers().get(header::HOST) else {
        return Err((
            StatusCode::BAD_REQUEST,
            "a Host header is required".to_owned(),
        ));
    };
    let header = String::from_utf8_lossy(header.as_bytes());
    let authority = request.uri().authority().map(|a| a.as_str());
    for host in authority.into_iter().chain([header.as_ref()]) {
        if !host_allowed(host, local, &state.config.allowed_hosts) {
            let name = host_part(host).unwrap_or(host);
            return Err((
                StatusCode::FORBIDDEN,
                format!(
                    "Host {host:?} is not allowed: the mock answers requests for localhost, \
                     loopback addresses and the address it listens on, so that web pages cannot \
                     reach it by DNS rebinding; to reach it as {name:?}, start it with \
                     `--allow-host {name}` (MockConfig::allowed_hosts)"
                ),
            ));
        }
    }
    Ok(())
}
