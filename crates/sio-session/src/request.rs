//! Validation of the HTTP request that opens or continues an Engine.IO session.
//!
//! The transport (the mock's hyper and WebSocket handlers) owns HTTP; this module only decides,
//! from the method, the query string and whether the request is a WebSocket upgrade, what the
//! request is for, or which Engine.IO error refuses it. The error codes and messages are the
//! reference server's (`engine.io` `Server.errors` / `Server.errorMessages`), and the refusal is
//! an HTTP 400 whose body is [`RequestError::json_body`], e.g. `{"code":0,"message":"Transport
//! unknown"}`.
//!
//! The checks run in the reference server's order: the `transport` query parameter first, then
//! (for a request without `sid`) the method and the `EIO` version. Whether a `sid` names a live
//! session is the caller's question (it owns the session table): answer
//! [`RequestError::UnknownSid`] when it does not.

use std::fmt;

use crate::TransportKind;

/// Why an Engine.IO HTTP request (or WebSocket upgrade) is refused.
///
/// The first six variants are the reference server's error codes 0 to 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RequestError {
    /// Code 0: the `transport` query parameter is missing or names no known transport.
    UnknownTransport,
    /// Code 1: the `sid` query parameter names no live session.
    UnknownSid,
    /// Code 2: a handshake (a request without `sid`) that is not a `GET`.
    BadHandshakeMethod,
    /// Code 3: the request does not fit the session's state (a polling request after the
    /// upgrade to WebSocket, a second WebSocket for one session, a duplicate poll, a malformed
    /// polling payload, a method other than `GET`/`POST` on a polling session).
    BadRequest,
    /// Code 4: the application refused the handshake.
    Forbidden,
    /// Code 5: the `EIO` query parameter is missing or is not `4`.
    UnsupportedProtocolVersion,
    /// A polling `POST` body longer than the session's `maxPayload`. The reference server
    /// answers HTTP 413 with an empty body; [`RequestError::json_body`] still gives a body in
    /// the usual shape, with code 3.
    PayloadTooLarge,
}

impl RequestError {
    /// The Engine.IO error code (`code` in the JSON body).
    pub const fn code(self) -> u8 {
        match self {
            Self::UnknownTransport => 0,
            Self::UnknownSid => 1,
            Self::BadHandshakeMethod => 2,
            Self::BadRequest | Self::PayloadTooLarge => 3,
            Self::Forbidden => 4,
            Self::UnsupportedProtocolVersion => 5,
        }
    }

    /// The Engine.IO error message (`message` in the JSON body), as the reference server words
    /// it.
    pub const fn message(self) -> &'static str {
        match self {
            Self::UnknownTransport => "Transport unknown",
            Self::UnknownSid => "Session ID unknown",
            Self::BadHandshakeMethod => "Bad handshake method",
            Self::BadRequest => "Bad request",
            Self::Forbidden => "Forbidden",
            Self::UnsupportedProtocolVersion => "Unsupported protocol version",
            Self::PayloadTooLarge => "Payload too large",
        }
    }

    /// The HTTP status to answer with: 403 for [`RequestError::Forbidden`], 413 for
    /// [`RequestError::PayloadTooLarge`], 400 otherwise.
    pub const fn http_status(self) -> u16 {
        match self {
            Self::Forbidden => 403,
            Self::PayloadTooLarge => 413,
            _ => 400,
        }
    }

    /// The JSON body of the refusal, e.g. `{"code":1,"message":"Session ID unknown"}`
    /// (`Content-Type: application/json`).
    pub fn json_body(self) -> String {
        // The messages are fixed ASCII without quotes or backslashes, so no escaping is needed.
        format!(
            r#"{{"code":{},"message":"{}"}}"#,
            self.code(),
            self.message()
        )
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (Engine.IO error {})", self.message(), self.code())
    }
}

impl std::error::Error for RequestError {}

/// What a valid Engine.IO request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind<'q> {
    /// A new session (no `sid`): create a [`ServerSession`](crate::ServerSession) with
    /// [`ServerSession::new`](crate::ServerSession::new) on this transport.
    Handshake {
        /// The transport the session opens on.
        transport: TransportKind,
    },
    /// A long-polling `GET` for an existing session: call
    /// [`ServerSession::handle_poll_request`](crate::ServerSession::handle_poll_request).
    Poll {
        /// The `sid` query parameter, as sent (not percent-decoded: Engine.IO sids never need
        /// escaping).
        sid: &'q str,
    },
    /// A long-polling `POST` for an existing session: call
    /// [`ServerSession::handle_polling_post`](crate::ServerSession::handle_polling_post).
    Post {
        /// The `sid` query parameter, as sent.
        sid: &'q str,
    },
    /// A WebSocket for an existing (polling) session, i.e. an upgrade: call
    /// [`ServerSession::handle_websocket_upgrade`](crate::ServerSession::handle_websocket_upgrade).
    Upgrade {
        /// The `sid` query parameter, as sent.
        sid: &'q str,
    },
}

/// The Engine.IO query parameters of a request, borrowed from the query string.
///
/// Later duplicates of a parameter win over earlier ones, as with Node's `querystring` taken
/// through `engine.io` (which reads the last value of a repeated key as an array and then
/// fails the comparison: a repeated key is therefore refused like a bad value, see
/// [`validate_request`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EngineQuery<'q> {
    /// `EIO`: the protocol version.
    pub eio: Option<&'q str>,
    /// `transport`: `polling` or `websocket`.
    pub transport: Option<&'q str>,
    /// `sid`: the session id, once the session is established.
    pub sid: Option<&'q str>,
    /// Whether one of the three parameters above appeared more than once.
    pub repeated: bool,
}

impl<'q> EngineQuery<'q> {
    /// Reads `EIO`, `transport` and `sid` from a query string (with or without its leading
    /// `?`). Other parameters (`t`, `room`, `j`, ...) are ignored. An empty `sid=` counts as
    /// no `sid`, as in the reference server.
    ///
    /// ```
    /// use sio_session::EngineQuery;
    /// let q = EngineQuery::parse("?EIO=4&transport=polling&t=N8hyd6w&room=tomato.tpos.vn");
    /// assert_eq!(q.eio, Some("4"));
    /// assert_eq!(q.transport, Some("polling"));
    /// assert_eq!(q.sid, None);
    /// ```
    pub fn parse(query: &'q str) -> Self {
        let query = query.strip_prefix('?').unwrap_or(query);
        let mut parsed = Self::default();
        for pair in query.split('&') {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let slot = match key {
                "EIO" => &mut parsed.eio,
                "transport" => &mut parsed.transport,
                "sid" => &mut parsed.sid,
                _ => continue,
            };
            if slot.is_some() {
                parsed.repeated = true;
            }
            *slot = Some(value);
        }
        if parsed.sid == Some("") {
            parsed.sid = None;
        }
        parsed
    }
}

/// Decides what an Engine.IO request is for, or why it is refused, from its HTTP method, its
/// query string and whether it asks for a WebSocket upgrade (`Upgrade: websocket`).
///
/// The engine.io-protocol README: "If a mandatory query parameter is missing, then the server
/// MUST respond with an HTTP 400 error status." The checks, in the reference server's order:
///
/// 1. `transport` must be `polling` or `websocket`, and a `websocket` transport must come as a
///    WebSocket upgrade and vice versa; otherwise [`RequestError::UnknownTransport`] (or
///    [`RequestError::BadRequest`] for a mismatch).
/// 2. Without `sid` (a handshake) the method must be `GET`; otherwise
///    [`RequestError::BadHandshakeMethod`].
/// 3. `EIO` must be `4`; otherwise [`RequestError::UnsupportedProtocolVersion`]. (The
///    reference server checks it on handshakes only; checking it on every request refuses
///    nothing a real client sends.)
/// 4. With `sid`, polling requests must be `GET` or `POST`; otherwise
///    [`RequestError::BadRequest`].
///
/// Whether the `sid` is known, and whether the session accepts a request on this transport
/// now (e.g. no polling after an upgrade), is decided afterwards by the caller's session table
/// and by the session itself. A CORS preflight (`OPTIONS`) is the transport's to answer
/// before calling this, as the reference server's `cors` middleware does.
///
/// # Errors
///
/// The [`RequestError`] to answer with (HTTP [`RequestError::http_status`], body
/// [`RequestError::json_body`]); for a WebSocket upgrade, refuse the upgrade or close the
/// socket at once.
///
/// ```
/// use sio_session::{validate_request, RequestError, RequestKind, TransportKind};
///
/// assert_eq!(
///     validate_request("GET", "EIO=4&transport=polling", false),
///     Ok(RequestKind::Handshake { transport: TransportKind::Polling })
/// );
/// assert_eq!(
///     validate_request("POST", "EIO=4&transport=polling&sid=abc", false),
///     Ok(RequestKind::Post { sid: "abc" })
/// );
/// assert_eq!(validate_request("GET", "EIO=abc&transport=polling", false),
///     Err(RequestError::UnsupportedProtocolVersion));
/// assert_eq!(validate_request("GET", "EIO=4&transport=abc", false),
///     Err(RequestError::UnknownTransport));
/// assert_eq!(validate_request("PUT", "EIO=4&transport=polling", false),
///     Err(RequestError::BadHandshakeMethod));
/// assert_eq!(RequestError::UnknownTransport.json_body(),
///     r#"{"code":0,"message":"Transport unknown"}"#);
/// ```
pub fn validate_request<'q>(
    method: &str,
    query: &'q str,
    websocket_upgrade: bool,
) -> Result<RequestKind<'q>, RequestError> {
    let query = EngineQuery::parse(query);
    if query.repeated {
        return Err(RequestError::BadRequest);
    }
    let transport = match query.transport {
        Some("polling") => TransportKind::Polling,
        Some("websocket") => TransportKind::WebSocket,
        _ => return Err(RequestError::UnknownTransport),
    };
    if websocket_upgrade != (transport == TransportKind::WebSocket) {
        return Err(RequestError::BadRequest);
    }
    if query.sid.is_none() && method != "GET" {
        return Err(RequestError::BadHandshakeMethod);
    }
    if query.eio != Some("4") {
        return Err(RequestError::UnsupportedProtocolVersion);
    }
    let Some(sid) = query.sid else {
        return Ok(RequestKind::Handshake { transport });
    };
    match (transport, method) {
        (TransportKind::WebSocket, "GET") => Ok(RequestKind::Upgrade { sid }),
        (TransportKind::Polling, "GET") => Ok(RequestKind::Poll { sid }),
        (TransportKind::Polling, "POST") => Ok(RequestKind::Post { sid }),
        _ => Err(RequestError::BadRequest),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every refusal the official test suites check, with the code the reference server gives.
    #[test]
    fn refusals_checked_by_the_official_suites() {
        let cases: &[(&str, &str, bool, RequestError)] = &[
            // "fails with an invalid 'EIO' query parameter"
            (
                "GET",
                "transport=polling",
                false,
                RequestError::UnsupportedProtocolVersion,
            ),
            (
                "GET",
                "EIO=abc&transport=polling",
                false,
                RequestError::UnsupportedProtocolVersion,
            ),
            (
                "GET",
                "transport=websocket",
                true,
                RequestError::UnsupportedProtocolVersion,
            ),
            (
                "GET",
                "EIO=abc&transport=websocket",
                true,
                RequestError::UnsupportedProtocolVersion,
            ),
            (
                "GET",
                "EIO=3&transport=polling",
                false,
                RequestError::UnsupportedProtocolVersion,
            ),
            // "fails with an invalid 'transport' query parameter"
            ("GET", "EIO=4", false, RequestError::UnknownTransport),
            (
                "GET",
                "EIO=4&transport=abc",
                false,
                RequestError::UnknownTransport,
            ),
            ("GET", "EIO=4", true, RequestError::UnknownTransport),
            (
                "GET",
                "EIO=4&transport=abc",
                true,
                RequestError::UnknownTransport,
            ),
            // "fails with an invalid request method"
            (
                "POST",
                "EIO=4&transport=polling",
                false,
                RequestError::BadHandshakeMethod,
            ),
            (
                "PUT",
                "EIO=4&transport=polling",
                false,
                RequestError::BadHandshakeMethod,
            ),
        ];
        for &(method, query, upgrade, expected) in cases {
            assert_eq!(
                validate_request(method, query, upgrade),
                Err(expected),
                "{method} ?{query} upgrade={upgrade}"
            );
            assert_eq!(expected.http_status(), 400);
        }
    }

    #[test]
    fn accepted_requests() {
        assert_eq!(
            validate_request("GET", "?EIO=4&transport=websocket", true),
            Ok(RequestKind::Handshake {
                transport: TransportKind::WebSocket
            })
        );
        assert_eq!(
            validate_request("GET", "EIO=4&transport=polling&sid=x1&t=burst", false),
            Ok(RequestKind::Poll { sid: "x1" })
        );
        assert_eq!(
            validate_request("GET", "EIO=4&transport=websocket&sid=x1", true),
            Ok(RequestKind::Upgrade { sid: "x1" })
        );
        // An empty sid is no sid: this is a handshake.
        assert_eq!(
            validate_request("GET", "EIO=4&transport=polling&sid=", false),
            Ok(RequestKind::Handshake {
                transport: TransportKind::Polling
            })
        );
    }

    #[test]
    fn transport_must_match_the_kind_of_request() {
        assert_eq!(
            validate_request("GET", "EIO=4&transport=websocket", false),
            Err(RequestError::BadRequest)
        );
        assert_eq!(
            validate_request("GET", "EIO=4&transport=polling", true),
            Err(RequestError::BadRequest)
        );
        assert_eq!(
            validate_request("DELETE", "EIO=4&transport=polling&sid=a", false),
            Err(RequestError::BadRequest)
        );
        assert_eq!(
            validate_request("GET", "EIO=4&EIO=4&transport=polling", false),
            Err(RequestError::BadRequest)
        );
    }

    #[test]
    fn json_bodies_match_the_reference_server() {
        let expected = [
            (
                RequestError::UnknownTransport,
                r#"{"code":0,"message":"Transport unknown"}"#,
            ),
            (
                RequestError::UnknownSid,
                r#"{"code":1,"message":"Session ID unknown"}"#,
            ),
            (
                RequestError::BadHandshakeMethod,
                r#"{"code":2,"message":"Bad handshake method"}"#,
            ),
            (
                RequestError::BadRequest,
                r#"{"code":3,"message":"Bad request"}"#,
            ),
            (
                RequestError::Forbidden,
                r#"{"code":4,"message":"Forbidden"}"#,
            ),
            (
                RequestError::UnsupportedProtocolVersion,
                r#"{"code":5,"message":"Unsupported protocol version"}"#,
            ),
        ];
        for (error, body) in expected {
            assert_eq!(error.json_body(), body);
        }
        assert_eq!(RequestError::PayloadTooLarge.http_status(), 413);
        assert_eq!(RequestError::Forbidden.http_status(), 403);
    }
}
