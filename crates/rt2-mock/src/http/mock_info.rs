//! `GET /__mock`: what a client needs to know to talk to this mock, and nothing secret: that it
//! is sio-replay's mock, its namespace, and whether a synthetic token gets in (so that
//! `sio-replay load` can mint one instead of failing on a missing token). Like every route it
//! is behind the Host check, and it sends no CORS headers, so other web pages cannot read it.

use http::{Method, Response, StatusCode};
use serde::Serialize;

use crate::auth::AuthMode;
use crate::http::response::{self, Body};
use crate::state::ServerState;

/// The path of the mock's description.
pub(crate) const MOCK_INFO_PATH: &str = "/__mock";

/// The description `GET /__mock` answers.
#[derive(Debug, Serialize)]
struct MockInfo<'a> {
    /// Always `sio-replay mock`: how a client tells the mock from a real server.
    server: &'static str,
    /// The version of the mock.
    version: &'static str,
    /// The namespace that is authenticated and replayed.
    namespace: &'a str,
    /// `any`, `claims` or `hs256`.
    auth: &'static str,
    /// True when a token signed with the documented test secret is accepted (`any`, `claims`,
    /// or `hs256` with the test secret): a client may mint one for the room.
    synthetic_tokens: bool,
}

/// Answers `GET /__mock`.
pub(crate) fn handle(state: &ServerState, method: &Method) -> Response<Body> {
    if method != Method::GET && method != Method::HEAD {
        return response::error(StatusCode::METHOD_NOT_ALLOWED, "/__mock answers GET only");
    }
    let (auth, synthetic_tokens) = match &state.config.auth {
        AuthMode::Any => ("any", true),
        AuthMode::Claims => ("claims", true),
        AuthMode::Hs256 { secret } => ("hs256", secret == tpos_chat::TEST_SECRET.as_bytes()),
    };
    response::json(
        StatusCode::OK,
        &MockInfo {
            server: "sio-replay mock",
            version: env!("CARGO_PKG_VERSION"),
            namespace: &state.config.namespace,
            auth,
            synthetic_tokens,
        },
    )
}
