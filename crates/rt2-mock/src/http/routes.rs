//! Which handler answers a request: the Engine.IO endpoint at `/socket.io/`, the live-video
//! endpoint, the admin API; CORS headers on the way out.

use std::net::SocketAddr;
use std::sync::Arc;

use http::{Method, Request, Response, StatusCode, header};
use hyper::body::Incoming;
use tpos_chat::LIVE_VIDEO_PATH;

use crate::http::admin::{self, ADMIN_PREFIX};
use crate::http::cors::{add_cors, preflight};
use crate::http::live_video;
use crate::http::response::{self, Body};
use crate::hub::Stat;
use crate::state::{ConnectionPermit, ServerState};
use crate::transport::engine;
use crate::transport::polling::DropConnection;

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
    state.hub.stats.add(Stat::HttpRequests, 1);
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
