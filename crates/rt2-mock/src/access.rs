//! Who may reach the mock: the `Host` allow-list every route checks, the admin API's bearer
//! token, and what counts as a loopback peer. Plain values and functions with no I/O; the HTTP
//! layer (`http/routes.rs`, `http/admin.rs`) applies them. The `Host` check and the loopback
//! test live in `sio_ui::access`, shared with the web view and the proxy.
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

use base64::Engine as _;
use std::fmt;

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

use sio_ui::access::constant_time_eq;
pub(crate) use sio_ui::access::{LocalAddresses, host_allowed, host_part, is_loopback};

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
}
