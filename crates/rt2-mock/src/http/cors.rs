//! CORS for the Engine.IO endpoint and the live-video endpoint: browser apps served from
//! another origin (a dev server on another localhost port) use both.

use http::{HeaderMap, HeaderValue, Response, StatusCode, header};

use crate::config::CorsPolicy;
use crate::http::response::{self, Body};

fn origin_allowed(policy: &CorsPolicy, origin: &str) -> bool {
    match policy {
        CorsPolicy::AnyOrigin => true,
        CorsPolicy::Origins(allowed) => allowed.iter().any(|o| o == origin),
    }
}

/// Answers a CORS preflight (`OPTIONS`).
pub(crate) fn preflight(headers: &HeaderMap) -> Response<Body> {
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
pub(crate) fn add_cors(policy: &CorsPolicy, origin: Option<HeaderValue>, headers: &mut HeaderMap) {
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
