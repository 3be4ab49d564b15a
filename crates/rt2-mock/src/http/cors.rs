//! CORS for the Engine.IO endpoint and the live-video endpoint: browser apps served from
//! another origin (a dev server on another localhost port) use both. And CORS for the admin
//! API, which is none at all unless [`MockConfig::admin_origins`] names an origin.
//!
//! [`MockConfig::admin_origins`]: crate::MockConfig::admin_origins

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

/// True when `origin` (an `Origin` header) is one of the admin API's allowed origins.
pub(crate) fn admin_origin_allowed(allowed: &[String], origin: &HeaderValue) -> bool {
    origin
        .to_str()
        .is_ok_and(|origin| allowed.iter().any(|o| o == origin))
}

/// Answers the preflight of an allowed origin's admin request: the methods of the admin API,
/// and the two headers its requests carry.
pub(crate) fn admin_preflight(origin: HeaderValue) -> Response<Body> {
    let mut response = response::empty(StatusCode::NO_CONTENT);
    let out = response.headers_mut();
    out.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, PUT"),
    );
    out.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("authorization, content-type"),
    );
    out.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("600"),
    );
    add_admin_cors(origin, out);
    response
}

/// Lets an allowed origin's page read an admin answer. No credentials: the token travels in
/// a header, never in a cookie.
pub(crate) fn add_admin_cors(origin: HeaderValue, headers: &mut HeaderMap) {
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
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
