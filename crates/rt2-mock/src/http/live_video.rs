//! `GET /api/facebook-graph/livevideo`: rt-2's live-video REST endpoint, answered from the
//! capture's [`LiveVideoCatalog`](crate::replay::LiveVideoCatalog).

use http::{HeaderValue, Method, Request, Response, StatusCode, header};

use crate::http::response::{self, Body};
use crate::replay::PageError;
use crate::state::ServerState;

/// Answers one request of the endpoint: a bearer token is required (any non-empty one), and
/// the query pages through the capture's videos.
pub(crate) fn handle<B>(state: &ServerState, request: &Request<B>) -> Response<Body> {
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
