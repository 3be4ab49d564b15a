//! Who may reach the mock: the `Host` allow-list every route checks, the admin API's bearer
//! token, and what counts as a loopback peer. Plain values and functions with no I/O; the HTTP
//! layer (`http/routes.rs`, `http/admin.rs`) applies them.
//!
//! The mock runs on developers' machines next to a web browser, so any page the browser opens
//! is a would-be client. Three things keep such a page away from the admin API:
//!
//! - **The `Host` check** defeats DNS rebinding, where a page's own host name is made to
//!   resolve to 127.0.0.1 so that the browser treats the mock as the page's origin. A request
//!   is answered only when its `Host` names `localhost`, a loopback address, the address the
//!   connection arrived on, or a name in [`MockConfig::allowed_hosts`].
//! - **The bearer token** ([`AdminToken`]), random for each run, is something another origin
//!   cannot know; sending it needs an `Authorization` header, which a cross-origin page can
//!   only add after a CORS preflight that the mock does not approve.
//! - **`Content-Type: application/json`** on every admin request that changes state, so that
//!   even with the token waived (`MockConfig::admin_token = None`) a form post or another
//!   "simple" cross-origin request cannot change anything.
//!
//! [`MockConfig::allowed_hosts`]: crate::MockConfig::allowed_hosts

use std::fmt;
use std::net::IpAddr;

use base64::Engine as _;

use crate::error::MockError;

/// Random bytes in a generated token: 24 bytes are 32 base64url characters (192 bits).
const TOKEN_BYTES: usize = 24;

/// The secret an admin request carries as `Authorization: Bearer <token>`.
///
/// [`AdminToken::random`] makes a new one for each run (the default of
/// [`MockConfig::admin_token`](crate::MockConfig::admin_token)); a test reads it back from
/// [`RunningMock::admin_token`](crate::RunningMock::admin_token). Its `Debug` form hides the
/// value, so logging a config does not leak it.
///
/// ```
/// let token = rt2_mock::AdminToken::random();
/// assert_eq!(token.as_str().len(), 32);
/// let fixed = rt2_mock::AdminToken::new("a-token-for-scripts")?;
/// assert_eq!(format!("{fixed:?}"), "AdminToken(<redacted>)");
/// # Ok::<(), rt2_mock::MockError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct AdminToken(String);

impl AdminToken {
    /// A new token of 32 base64url characters from the thread's cryptographic random
    /// generator.
    pub fn random() -> Self {
        let bytes: [u8; TOKEN_BYTES] = rand::random();
        Self(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
    }

    /// A token chosen by the caller (e.g. from an environment variable, so that a script knows
    /// it in advance).
    ///
    /// # Errors
    /// [`MockError::Config`] when `token` is empty or holds anything but visible ASCII
    /// characters (no spaces), which an `Authorization` header could not carry unchanged.
    pub fn new(token: impl Into<String>) -> Result<Self, MockError> {
        let token = token.into();
        if token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(MockError::Config {
                option: "admin_token",
                message: "must be non-empty and made of visible ASCII characters, without spaces"
                    .to_owned(),
            });
        }
        Ok(Self(token))
    }

    /// The token's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when `authorization` (an `Authorization` header's value) is `Bearer <this token>`.
    /// The scheme is matched without regard to case, the token in constant time.
    pub(crate) fn matches_authorization(&self, authorization: &[u8]) -> bool {
        const SCHEME: &[u8] = b"bearer ";
        let Some((scheme, presented)) = authorization.split_at_checked(SCHEME.len()) else {
            return false;
        };
        scheme.eq_ignore_ascii_case(SCHEME) && constant_time_eq(presented, self.0.as_bytes())
    }
}

impl fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AdminToken(<redacted>)")
    }
}

/// Compares two byte strings in a time that depends on their lengths only, so that timing
/// the answers does not reveal how much of a guessed token was right. (The length of a token
/// is no secret.)
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let difference = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    // `black_box` keeps the optimiser from turning the fold into an early exit.
    std::hint::black_box(difference) == 0
}

/// True when `ip` is a loopback address: 127.0.0.0/8, `::1`, or an IPv4 loopback address
/// mapped into IPv6 (`::ffff:127.0.0.1`), which is how an IPv4 client appears to a listener
/// bound to `::`.
pub(crate) fn is_loopback(ip: IpAddr) -> bool {
    ip.to_canonical().is_loopback()
}

/// The host part of a `Host` header value (or of a request target's authority): the port is
/// cut off, brackets around an IPv6 address are removed, and one trailing dot (`localhost.`)
/// is dropped. `None` when the value is malformed (`[::1` without its bracket).
pub(crate) fn host_part(value: &str) -> Option<&str> {
    let host = if let Some(bracketed) = value.strip_prefix('[') {
        let (inside, rest) = bracketed.split_once(']')?;
        if !(rest.is_empty() || rest.starts_with(':')) {
            return None;
        }
        inside
    } else {
        match value.rsplit_once(':') {
            // More than one colon: an IPv6 address without brackets, which `Host` never
            // carries; kept whole, so that it matches nothing but an equal address.
            Some((host, _)) if host.contains(':') => value,
            Some((host, _)) => host,
            None => value,
        }
    };
    let host = host.strip_suffix('.').unwrap_or(host);
    (!host.is_empty()).then_some(host)
}

/// Where a connection reached the mock.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LocalAddresses {
    /// The address the client connected to.
    pub(crate) connection: IpAddr,
    /// The address the listener is bound to: the same, or `0.0.0.0` / `::` for a listener on
    /// every interface (a client that follows a banner showing `http://0.0.0.0:3000` names it).
    pub(crate) listener: IpAddr,
}

/// True when a request whose `Host` is `host` (a header value, port included or not) may be
/// answered on a connection that reached the mock at `local`: `localhost`, any loopback
/// address, either local address, or one of `extra` (compared without regard to case, any
/// port in `extra` ignored). An address in `Host` cannot be the work of DNS rebinding, which
/// needs a name; names are what the list is strict about.
pub(crate) fn host_allowed(host: &str, local: LocalAddresses, extra: &[String]) -> bool {
    let Some(host) = host_part(host) else {
        return false;
    };
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    if let Ok(ip) = host.parse::<IpAddr>() {
        let ip = ip.to_canonical();
        if is_loopback(ip)
            || ip == local.connection.to_canonical()
            || ip == local.listener.to_canonical()
        {
            return true;
        }
    }
    extra
        .iter()
        .filter_map(|name| host_part(name))
        .any(|name| name.eq_ignore_ascii_case(host))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_tokens_are_32_url_safe_characters_and_differ() {
        let a = AdminToken::random();
        let b = AdminToken::random();
        assert_eq!(a.as_str().len(), 32);
        assert!(
            a.as_str()
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'),
            "{}",
            a.as_str()
        );
        assert_ne!(a, b);
        assert!(!format!("{a:?}").contains(a.as_str()));
    }

    #[test]
    fn chosen_tokens_must_fit_in_a_header() {
        assert!(AdminToken::new("s3cret-for-ci").is_ok());
        assert!(AdminToken::new("").is_err());
        assert!(AdminToken::new("two words").is_err());
        assert!(AdminToken::new("caf\u{e9}").is_err());
    }

    #[test]
    fn the_authorization_header_must_carry_exactly_the_token() {
        let token = AdminToken::new("abc123").unwrap();
        assert!(token.matches_authorization(b"Bearer abc123"));
        assert!(token.matches_authorization(b"bearer abc123"));
        assert!(!token.matches_authorization(b"Bearer abc124"));
        assert!(!token.matches_authorization(b"Bearer abc1234"));
        assert!(!token.matches_authorization(b"Bearer abc12"));
        assert!(!token.matches_authorization(b"Basic abc123"));
        assert!(!token.matches_authorization(b"abc123"));
        assert!(!token.matches_authorization(b"Bearer  abc123"));
        assert!(!token.matches_authorization(b""));
    }

    #[test]
    fn ipv4_mapped_loopback_is_loopback() {
        for ip in ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"] {
            assert!(is_loopback(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["192.0.2.7", "::ffff:192.0.2.7", "::", "0.0.0.0"] {
            assert!(!is_loopback(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn the_host_part_drops_the_port_and_the_brackets() {
        assert_eq!(host_part("localhost:3000"), Some("localhost"));
        assert_eq!(host_part("LocalHost"), Some("LocalHost"));
        assert_eq!(host_part("localhost.:3000"), Some("localhost"));
        assert_eq!(host_part("[::1]:3000"), Some("::1"));
        assert_eq!(host_part("[::1]"), Some("::1"));
        assert_eq!(host_part("::1"), Some("::1"));
        assert_eq!(host_part("[::1"), None);
        assert_eq!(host_part("[::1]x"), None);
        assert_eq!(host_part(":3000"), None);
        assert_eq!(host_part(""), None);
    }

    fn at(connection: &str, listener: &str) -> LocalAddresses {
        LocalAddresses {
            connection: connection.parse().unwrap(),
            listener: listener.parse().unwrap(),
        }
    }

    #[test]
    fn hosts_are_allowed_by_name_loopback_or_the_local_address() {
        let local = at("127.0.0.1", "127.0.0.1");
        let lan = at("192.0.2.10", "0.0.0.0");
        for host in [
            "localhost:3000",
            "LOCALHOST",
            "127.0.0.1:3000",
            "127.0.0.2",
            "[::1]:3000",
        ] {
            assert!(host_allowed(host, local, &[]), "{host}");
        }
        assert!(host_allowed("192.0.2.10:3000", lan, &[]));
        assert!(host_allowed("0.0.0.0:3000", lan, &[]));
        assert!(host_allowed(
            "192.0.2.10:3000",
            at("::ffff:192.0.2.10", "::"),
            &[]
        ));
        assert!(host_allowed(
            "[::]:3000",
            at("::ffff:192.0.2.10", "::"),
            &[]
        ));
        assert!(!host_allowed("192.0.2.10:3000", local, &[]));
        assert!(!host_allowed("0.0.0.0:3000", local, &[]));
        for host in [
            "evil.example",
            "evil.example:3000",
            "localhost.evil.example",
            "127.0.0.1.evil.example",
            "",
        ] {
            assert!(!host_allowed(host, local, &[]), "{host}");
        }
        let extra = ["Mock.Test".to_owned(), "ci-runner:3000".to_owned()];
        assert!(host_allowed("mock.test:3000", local, &extra));
        assert!(host_allowed("ci-runner", local, &extra));
        assert!(!host_allowed("other.test", local, &extra));
    }
}
