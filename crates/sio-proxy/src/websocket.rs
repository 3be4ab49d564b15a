//! A WebSocket upgrade: forwarded upstream first; the upstream's answer goes back unchanged
//! (its 101 with every header, or its refusal as a plain response); after a 101 both upgraded
//! streams go to [`crate::relay`].

use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use http::header::{self, HeaderMap};
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt as _, Empty};
use hyper::body::Incoming;

use crate::relay;
use crate::respond::{ProxyBody, RequestSeen, bad_gateway, relay_response, set_upstream_host};
use crate::state::Shared;
use crate::traffic::Traffic;
use crate::upstream::Dialer;

/// True when `req` asks to switch to WebSocket (`Connection: upgrade`, `Upgrade: websocket`).
pub(crate) fn is_upgrade<B>(req: &Request<B>) -> bool {
    let has_token = |name: header::HeaderName, token: &str| {
        req.headers()
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    };
    has_token(header::CONNECTION, "upgrade") && has_token(header::UPGRADE, "websocket")
}

/// Forwards the upgrade request, then answers the client with what the upstream said.
pub(crate) async fn upgrade(
    mut req: Request<Incoming>,
    shared: Arc<Shared>,
    dialer: Arc<Dialer>,
    seen: RequestSeen,
    path: String,
) -> Response<ProxyBody> {
    let client_upgrade = hyper::upgrade::on(&mut req);
    let request_headers = req.headers().clone();
    let mut out = Request::new(Empty::<Bytes>::new());
    *out.method_mut() = req.method().clone();
    // Every header goes up as it came, hop-by-hop ones included: they carry the upgrade.
    *out.headers_mut() = request_headers.clone();
    // What is left once the upgrade was taken out: the header names' original spelling.
    *out.extensions_mut() = std::mem::take(req.extensions_mut());
    // A forward proxy's client may have said who it was to the proxy: not the upstream's
    // business.
    out.headers_mut().remove(header::PROXY_AUTHORIZATION);
    out.headers_mut().remove("proxy-connection");
    set_upstream_host(&mut out, dialer.upstream());
    match path.parse() {
        Ok(uri) => *out.uri_mut() = uri,
        Err(err) => return bad_gateway(&shared, seen, format!("bad request target: {err}")).await,
    }
    let result = async {
        let mut sender = dialer.http::<Empty<Bytes>>().await?;
        sender.send_request(out).await.map_err(|err| {
            format!(
                "upstream {} gave no response to the WebSocket upgrade: {err}",
                dialer.upstream().origin()
            )
        })
    }
    .await;
    let mut response = match result {
        Ok(response) => response,
        Err(cause) => return bad_gateway(&shared, seen, cause).await,
    };
    if response.status() != StatusCode::SWITCHING_PROTOCOLS {
        // A refusal (400 for an unknown sid, 403, ...) is an ordinary exchange.
        return relay_response(&shared, seen, response);
    }
    let upstream_upgrade = hyper::upgrade::on(&mut response);
    let response_headers = response.headers().clone();
    let response_extensions = std::mem::take(response.extensions_mut());
    let id = shared.next_ws.fetch_add(1, Ordering::Relaxed);
    let mut observer = ws_passive::Observer::new(
        ws_passive::Config::default().with_max_message_size(shared.config.max_message_size),
    );
    let negotiated = observer.handshake(raw_pairs(&request_headers), raw_pairs(&response_headers));
    let t_ms = shared.clock.t_ms();
    shared
        .record(Traffic::WsOpen {
            id,
            t_ms,
            url: seen.url.clone(),
            remote: seen.remote.clone(),
        })
        .await;
    if let Err(err) = negotiated {
        shared
            .record(Traffic::WsHandshakeError {
                id,
                t_ms,
                error: err.to_string(),
            })
            .await;
    }
    let relay_shared = Arc::clone(&shared);
    tokio::spawn(async move {
        let guard = Arc::clone(&relay_shared.in_flight);
        match tokio::try_join!(client_upgrade, upstream_upgrade) {
            Ok((client, upstream)) => {
                relay::run(client, upstream, observer, id, &relay_shared).await;
            }
            Err(err) => {
                let t_ms = relay_shared.clock.t_ms();
                relay_shared
                    .record(Traffic::WsClosed {
                        id,
                        t_ms,
                        reason: format!("upgrade did not complete: {err}"),
                    })
                    .await;
            }
        }
        drop(guard);
    });
    let mut out = Response::new(Empty::new().map_err(|never| match never {}).boxed());
    *out.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    *out.headers_mut() = response_headers;
    *out.extensions_mut() = response_extensions;
    out
}

/// Header pairs as the passive observer takes them.
fn raw_pairs(headers: &HeaderMap) -> impl Iterator<Item = (&str, &[u8])> {
    headers
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_bytes()))
}
