//! One client request: the `Host` check (reverse mode), then either a WebSocket upgrade
//! ([`crate::websocket`]) or a plain relay of the request and its streamed response. Forward
//! mode (`forward.rs`) calls [`relay`] too, with the upstream its request named.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use http::header;
use http::{Request, Response, StatusCode};
use hyper::body::Incoming;

use crate::respond::{
    ProxyBody, RequestSeen, bad_gateway, end_to_end, relay_response, set_upstream_host, text,
};
use crate::state::Shared;
use crate::tee::TeeBody;
use crate::traffic::header_pairs;
use crate::upstream::Dialer;
use crate::websocket;
use sio_ui::access::{LocalAddresses, host_allowed};

/// Answers one request from `peer`, which reached the reverse proxy at `local`: the `Host`
/// check, then [`relay`] to `dialer`'s upstream.
pub(crate) async fn handle(
    req: Request<Incoming>,
    shared: Arc<Shared>,
    dialer: Arc<Dialer>,
    peer: SocketAddr,
    local: IpAddr,
) -> Result<Response<ProxyBody>, Infallible> {
    if let Some(refusal) = refuse_host(&req, &shared, local) {
        return Ok(refusal);
    }
    relay(req, shared, dialer, peer).await
}

/// The 403 for a request whose `Host` is not the proxy itself (DNS rebinding), if it is not.
pub(crate) fn refuse_host<B>(
    req: &Request<B>,
    shared: &Shared,
    local: IpAddr,
) -> Option<Response<ProxyBody>> {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()))
        .unwrap_or("");
    // The proxy's listener is bound to the address the connection arrived on (127.0.0.1 by
    // default), so both local addresses are the same.
    let local = LocalAddresses {
        connection: local,
        listener: local,
    };
    (!host_allowed(host, local, &shared.config.allowed_hosts)).then(|| {
        text(
            StatusCode::FORBIDDEN,
            format!(
                "sio-replay proxy: Host {host:?} is not allowed (use localhost or 127.0.0.1, \
                 or add it with --allow-host)\n"
            ),
        )
    })
}

/// Relays one request to `dialer`'s upstream (the one code path of both modes): a WebSocket
/// upgrade, or a plain request with its streamed response; recorded either way.
pub(crate) async fn relay(
    req: Request<Incoming>,
    shared: Arc<Shared>,
    dialer: Arc<Dialer>,
    peer: SocketAddr,
) -> Result<Response<ProxyBody>, Infallible> {
    let path = req
        .uri()
        .path_and_query()
        .map_or("/", |pq| pq.as_str())
        .to_owned();
    let seen = RequestSeen {
        t_ms: shared.clock.t_ms(),
        method: req.method().as_str().to_owned(),
        url: format!("{}{path}", dialer.upstream().origin()),
        headers: header_pairs(req.headers()),
        body: None,
        remote: peer.to_string(),
    };
    if websocket::is_upgrade(&req) {
        return Ok(websocket::upgrade(req, shared, dialer, seen, path).await);
    }
    Ok(plain(req, shared, dialer, seen, path).await)
}

/// Relays a request that is not an upgrade: the body streams up, the response streams down.
async fn plain(
    req: Request<Incoming>,
    shared: Arc<Shared>,
    dialer: Arc<Dialer>,
    mut seen: RequestSeen,
    path: String,
) -> Response<ProxyBody> {
    let (parts, body) = req.into_parts();
    let (tee, copy) = TeeBody::new(body, shared.config.max_body_copy);
    seen.body = Some(copy);
    let mut out = Request::new(tee);
    *out.method_mut() = parts.method;
    *out.headers_mut() = end_to_end(&parts.headers);
    // hyper keeps the original spelling of header names here: they go up as they came.
    *out.extensions_mut() = parts.extensions;
    set_upstream_host(&mut out, dialer.upstream());
    let uri = match path.parse() {
        Ok(uri) => uri,
        Err(err) => return bad_gateway(&shared, seen, format!("bad request target: {err}")).await,
    };
    *out.uri_mut() = uri;
    // `out` moves into `send_pooled` and is dropped there on failure, which ends the body copy.
    let result = dialer.send_pooled(out).await;
    match result {
        Ok(response) => relay_response(&shared, seen, response),
        Err(cause) => bad_gateway(&shared, seen, cause).await,
    }
}
