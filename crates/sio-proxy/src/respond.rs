//! Building what goes back to the client and what goes upstream: the body type, hop-by-hop
//! headers, the proxy's own answers (403, 502), and the relay of an upstream response with
//! its copy for the capture.

use std::sync::Arc;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use tokio::sync::oneshot;

use crate::config::Upstream;
use crate::state::Shared;
use crate::tee::{TeeBody, Teed};
use crate::traffic::{Exchange, Traffic, header_pairs};

/// Every response body the proxy sends to a client.
pub(crate) type ProxyBody = BoxBody<Bytes, hyper::Error>;

/// A body of fixed bytes.
pub(crate) fn full(bytes: impl Into<Bytes>) -> ProxyBody {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed()
}

/// A plain-text answer of the proxy's own.
pub(crate) fn text(status: StatusCode, message: String) -> Response<ProxyBody> {
    let mut response = Response::new(full(message));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// Headers that describe one hop, not the message (RFC 9110 section 7.6.1), plus those the
/// `Connection` header names.
fn is_hop_by_hop(name: &HeaderName, connection: &[String]) -> bool {
    matches!(
        name.as_str(),
        "connection"
            | "keep-alive"
            | "proxy-connection"
            | "proxy-authenticate"
            | "proxy-authorization"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "upgrade"
    ) || connection
        .iter()
        .any(|c| c.eq_ignore_ascii_case(name.as_str()))
}

/// `headers` without the hop-by-hop ones.
pub(crate) fn end_to_end(headers: &HeaderMap) -> HeaderMap {
    let connection: Vec<String> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|token| token.trim().to_owned())
        .collect();
    let mut out = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        if !is_hop_by_hop(name, &connection) {
            out.append(name.clone(), value.clone());
        }
    }
    out
}

/// What is known of a request when its response is relayed.
#[derive(Debug)]
pub(crate) struct RequestSeen {
    pub(crate) t_ms: f64,
    pub(crate) method: String,
    pub(crate) url: String,
    pub(crate) headers: Vec<(String, String)>,
    /// The copy of the request body, delivered when it ends.
    pub(crate) body: Option<oneshot::Receiver<Teed>>,
    pub(crate) remote: String,
}

impl RequestSeen {
    fn exchange(self, status: u16) -> (Exchange, Option<oneshot::Receiver<Teed>>) {
        let exchange = Exchange {
            t_ms: self.t_ms,
            method: self.method,
            url: self.url,
            request_headers: self.headers,
            request_body: Vec::new(),
            response_t_ms: self.t_ms,
            status,
            response_headers: Vec::new(),
            response_body: Vec::new(),
            remote: self.remote,
        };
        (exchange, self.body)
    }
}

/// The 502 for an upstream that could not be reached or answered nothing, recorded.
pub(crate) async fn bad_gateway(
    shared: &Shared,
    request: RequestSeen,
    cause: String,
) -> Response<ProxyBody> {
    tracing::warn!("{} {}: {cause}", request.method, request.url);
    let message = format!("sio-replay proxy: {cause}\n");
    let (mut exchange, body) = request.exchange(502);
    if let Some(body) = body {
        exchange.request_body = body.await.map(|teed| teed.bytes).unwrap_or_default();
    }
    exchange.response_headers = vec![(
        "content-type".to_owned(),
        "text/plain; charset=utf-8".to_owned(),
    )];
    exchange.response_body = message.clone().into_bytes();
    exchange.response_t_ms = shared.clock.t_ms();
    shared.record(Traffic::Http(exchange)).await;
    text(StatusCode::BAD_GATEWAY, message)
}

/// Relays an upstream response to the client as it streams, and records the exchange once
/// both bodies ended.
pub(crate) fn relay_response(
    shared: &Arc<Shared>,
    request: RequestSeen,
    response: Response<Incoming>,
) -> Response<ProxyBody> {
    let (parts, body) = response.into_parts();
    let (tee, copy) = TeeBody::new(body, shared.config.max_body_copy);
    let (mut exchange, request_copy) = request.exchange(parts.status.as_u16());
    exchange.response_headers = header_pairs(&parts.headers);
    let recorder = Arc::clone(shared);
    let in_flight = Arc::clone(&shared.in_flight);
    tokio::spawn(async move {
        if let Some(request_copy) = request_copy {
            exchange.request_body = request_copy.await.map(|t| t.bytes).unwrap_or_default();
        }
        let teed = copy.await.unwrap_or_default();
        if let Some(error) = &teed.error {
            tracing::debug!("{} {}: response {error}", exchange.method, exchange.url);
        }
        exchange.response_body = teed.bytes;
        exchange.response_t_ms = recorder.clock.t_ms();
        recorder.record(Traffic::Http(exchange)).await;
        drop(in_flight);
    });
    let mut out = Response::new(tee.boxed());
    *out.status_mut() = parts.status;
    *out.headers_mut() = end_to_end(&parts.headers);
    // The original spelling of the header names, which hyper keeps here.
    *out.extensions_mut() = parts.extensions;
    out
}

/// Points the request's `Host` at the upstream (virtual hosts and TLS names need it).
pub(crate) fn set_upstream_host<B>(req: &mut http::Request<B>, upstream: &Upstream) {
    if let Ok(value) = HeaderValue::from_str(&upstream.authority) {
        req.headers_mut().insert(header::HOST, value);
    }
}
