//! The tenant JWT a client presents when it joins `/chatomni`, and HS256 signing for tests.
//!
//! A client connects with `40/chatomni,{"token":"<JWT>"}`. The token's claims say who it is:
//! `ClientId` (e.g. `tmtWebApp`), `TenantId` (e.g. `tomato.tpos.vn`), `UserId`, `DisplayName`
//! and the usual `exp`. This module reads those claims, and signs and verifies HS256 tokens with
//! a shared secret so the mock can check tokens and tests can make them. Real rt-2 tokens are
//! signed with a key only TPOS has; every token in this project is synthetic and signed with
//! [`TEST_SECRET`].
//!
//! ```
//! use tpos_chat::{Claims, Jwt, TEST_SECRET, sign_hs256, verify_hs256};
//!
//! let claims = Claims::new("tmtWebApp", "tomato.tpos.vn", "u-1").with_exp(1_767_830_400);
//! let token = sign_hs256(&claims, TEST_SECRET.as_bytes());
//! assert_eq!(verify_hs256(&token, TEST_SECRET.as_bytes())?, claims);
//! assert!(verify_hs256(&token, b"another secret").is_err());
//! assert_eq!(Jwt::parse(&token)?.claims()?.tenant_id, "tomato.tpos.vn");
//! # Ok::<(), tpos_chat::Error>(())
//! ```

use std::borrow::Cow;

use base64::Engine;
use base64::alphabet::URL_SAFE;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::Error;
use crate::borrowed::{option_cow, own, own_opt};
use crate::error::from_json;

/// The synthetic HS256 secret every token in this project's captures and tests is signed with.
///
/// It protects nothing: it is public so that anyone can make and check test tokens. Never sign
/// a token for a real server with it.
pub const TEST_SECRET: &str = "sio-replay-test-secret-not-for-production";

/// base64url as JWTs use it: no padding written; padding tolerated when reading, because some
/// issuers add it.
const BASE64URL: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

type HmacSha256 = Hmac<Sha256>;

/// The claims of an rt-2 tenant token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims<'a> {
    /// The application the token was issued to, e.g. `tmtWebApp`.
    #[serde(rename = "ClientId", borrow)]
    pub client_id: Cow<'a, str>,
    /// The tenant, which is also the socket's `room` query parameter, e.g. `tomato.tpos.vn`.
    #[serde(rename = "TenantId", borrow)]
    pub tenant_id: Cow<'a, str>,
    /// The signed-in user's id.
    #[serde(rename = "UserId", borrow)]
    pub user_id: Cow<'a, str>,
    /// The signed-in user's name.
    #[serde(
        rename = "DisplayName",
        borrow,
        default,
        deserialize_with = "option_cow",
        skip_serializing_if = "Option::is_none"
    )]
    pub display_name: Option<Cow<'a, str>>,
    /// Issued at, seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// Expires at, seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
}

impl<'a> Claims<'a> {
    /// Claims with the three required fields and nothing else.
    pub fn new(
        client_id: impl Into<Cow<'a, str>>,
        tenant_id: impl Into<Cow<'a, str>>,
        user_id: impl Into<Cow<'a, str>>,
    ) -> Self {
        Self {
            client_id: client_id.into(),
            tenant_id: tenant_id.into(),
            user_id: user_id.into(),
            display_name: None,
            iat: None,
            exp: None,
        }
    }

    /// Sets `DisplayName`.
    pub fn with_display_name(mut self, name: impl Into<Cow<'a, str>>) -> Self {
        self.display_name = Some(name.into());
        self
    }

    /// Sets `iat`.
    pub fn with_iat(mut self, iat: i64) -> Self {
        self.iat = Some(iat);
        self
    }

    /// Sets `exp`.
    pub fn with_exp(mut self, exp: i64) -> Self {
        self.exp = Some(exp);
        self
    }

    /// True when `exp` is set and `now` (seconds since the epoch) is at or past it. The clock is
    /// the caller's: this crate never reads one.
    pub fn is_expired_at(&self, now: i64) -> bool {
        self.exp.is_some_and(|exp| now >= exp)
    }

    /// Copies every borrowed field.
    pub fn into_owned(self) -> Claims<'static> {
        Claims {
            client_id: own(self.client_id),
            tenant_id: own(self.tenant_id),
            user_id: own(self.user_id),
            display_name: own_opt(self.display_name),
            iat: self.iat,
            exp: self.exp,
        }
    }
}

/// The JOSE header of a token: only what verification needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JwtHeader<'a> {
    /// The signing algorithm, e.g. `HS256` (or `none` in a forged token).
    #[serde(borrow)]
    pub alg: Cow<'a, str>,
    /// The token type, usually `JWT`.
    #[serde(
        borrow,
        default,
        deserialize_with = "option_cow",
        skip_serializing_if = "Option::is_none"
    )]
    pub typ: Option<Cow<'a, str>>,
}

/// A JWT split into its three segments, borrowed from the token text. Nothing is decoded or
/// checked beyond the shape until a method asks for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Jwt<'t> {
    header: &'t str,
    claims: &'t str,
    signature: &'t str,
}

impl<'t> Jwt<'t> {
    /// Splits `token` into header, claims and signature.
    ///
    /// # Errors
    ///
    /// [`Error::MalformedToken`] unless the token is three non-empty-header, dot-separated
    /// segments of base64url characters.
    pub fn parse(token: &'t str) -> Result<Self, Error> {
        let mut parts = token.split('.');
        let (Some(header), Some(claims), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Error::MalformedToken {
                reason: "expected three dot-separated segments",
            });
        };
        if header.is_empty() || claims.is_empty() {
            return Err(Error::MalformedToken {
                reason: "empty header or claims segment",
            });
        }
        let base64url = |s: &str| {
            s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'=')
        };
        if !(base64url(header) && base64url(claims) && base64url(signature)) {
            return Err(Error::MalformedToken {
                reason: "a segment has characters outside base64url",
            });
        }
        Ok(Self {
            header,
            claims,
            signature,
        })
    }

    /// The header, decoded.
    ///
    /// # Errors
    ///
    /// [`Error::Base64`] or [`Error::Json`] for a header that does not decode.
    pub fn header(&self) -> Result<JwtHeader<'static>, Error> {
        let bytes = decode_segment(self.header, "header")?;
        let text = std::str::from_utf8(&bytes).map_err(|_| Error::Base64 { segment: "header" })?;
        let header: JwtHeader<'_> = from_json("token header", text)?;
        Ok(JwtHeader {
            alg: own(header.alg),
            typ: own_opt(header.typ),
        })
    }

    /// Decodes the claims into `buf` (cleared first) and returns a view borrowing from it.
    ///
    /// This reads claims without checking the signature: use it to show who a token claims to
    /// be, and [`Jwt::verify_hs256`] before trusting it.
    ///
    /// # Errors
    ///
    /// [`Error::Base64`], [`Error::MissingField`] (e.g. `missing field TenantId`) or
    /// [`Error::Json`].
    pub fn claims_in<'b>(&self, buf: &'b mut Vec<u8>) -> Result<Claims<'b>, Error> {
        buf.clear();
        BASE64URL
            .decode_vec(self.claims, buf)
            .map_err(|_| Error::Base64 { segment: "claims" })?;
        let text = std::str::from_utf8(buf).map_err(|_| Error::Base64 { segment: "claims" })?;
        from_json("token claims", text)
    }

    /// The claims, decoded into owned values. Like [`Jwt::claims_in`], this does not verify.
    ///
    /// # Errors
    ///
    /// As [`Jwt::claims_in`].
    pub fn claims(&self) -> Result<Claims<'static>, Error> {
        let mut buf = Vec::new();
        self.claims_in(&mut buf).map(Claims::into_owned)
    }

    /// Checks that the header says HS256 and that the signature is the HMAC-SHA256 of
    /// `header.claims` under `secret`, comparing in constant time.
    ///
    /// # Errors
    ///
    /// [`Error::UnsupportedAlgorithm`] for any `alg` but `HS256` (`none` included, so a token
    /// with its signature stripped never passes), [`Error::Base64`] for an unreadable
    /// signature and [`Error::BadSignature`] for a wrong one.
    pub fn verify_hs256(&self, secret: &[u8]) -> Result<(), Error> {
        let header = self.header()?;
        if header.alg != "HS256" {
            return Err(Error::UnsupportedAlgorithm {
                alg: header.alg.into_owned(),
            });
        }
        let signature = decode_segment(self.signature, "signature")?;
        let mut mac = hmac_for(secret);
        mac.update(self.header.as_bytes());
        mac.update(b".");
        mac.update(self.claims.as_bytes());
        mac.verify_slice(&signature)
            .map_err(|_| Error::BadSignature)
    }
}

/// Verifies an HS256 token with `secret` and returns its claims.
///
/// Expiry is not checked here, because that needs a clock: call
/// [`Claims::is_expired_at`] with the caller's time.
///
/// # Errors
///
/// Anything [`Jwt::parse`], [`Jwt::verify_hs256`] or [`Jwt::claims`] reports.
pub fn verify_hs256(token: &str, secret: &[u8]) -> Result<Claims<'static>, Error> {
    let jwt = Jwt::parse(token)?;
    jwt.verify_hs256(secret)?;
    jwt.claims()
}

/// Signs `claims` as an HS256 JWT with `secret`: `{"alg":"HS256","typ":"JWT"}`, the claims in
/// field order, and the signature, each base64url without padding. The same inputs always give
/// the same token.
pub fn sign_hs256(claims: &Claims<'_>, secret: &[u8]) -> String {
    // A struct of strings and integers always serializes.
    let json = serde_json::to_vec(claims).unwrap_or_default();
    let mut token = BASE64URL.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    token.push('.');
    BASE64URL.encode_string(json, &mut token);
    let mut mac = hmac_for(secret);
    mac.update(token.as_bytes());
    let signature = mac.finalize().into_bytes();
    token.push('.');
    BASE64URL.encode_string(signature, &mut token);
    token
}

fn hmac_for(secret: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length (long keys are hashed first), so this cannot fail.
    match HmacSha256::new_from_slice(secret) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC-SHA256 takes keys of any length"),
    }
}

fn decode_segment(segment: &str, name: &'static str) -> Result<Vec<u8>, Error> {
    BASE64URL
        .decode(segment)
        .map_err(|_| Error::Base64 { segment: name })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Claims<'static> {
        Claims::new(
            "tmtWebApp",
            "tomato.tpos.vn",
            "8a1b7c2d-0000-4000-8000-00000000e001",
        )
        .with_display_name("Nguyễn Văn Test")
        .with_iat(1_767_789_000)
        .with_exp(1_767_875_400)
    }

    fn secret() -> &'static [u8] {
        TEST_SECRET.as_bytes()
    }

    #[test]
    fn claims_decode_from_a_token() {
        let token = sign_hs256(&sample(), secret());
        let jwt = Jwt::parse(&token).unwrap();
        let mut buf = Vec::new();
        let claims = jwt.claims_in(&mut buf).unwrap();
        assert_eq!(claims.client_id, "tmtWebApp");
        assert_eq!(claims.tenant_id, "tomato.tpos.vn");
        assert_eq!(claims.user_id, "8a1b7c2d-0000-4000-8000-00000000e001");
        assert_eq!(claims.display_name.as_deref(), Some("Nguyễn Văn Test"));
        assert_eq!(claims.exp, Some(1_767_875_400));
        assert!(matches!(claims.tenant_id, Cow::Borrowed(_)));
        assert_eq!(
            jwt.header().unwrap(),
            JwtHeader {
                alg: "HS256".into(),
                typ: Some("JWT".into())
            }
        );
    }

    #[test]
    fn sign_then_verify_round_trips_and_is_deterministic() {
        let token = sign_hs256(&sample(), secret());
        assert_eq!(token, sign_hs256(&sample(), secret()));
        assert!(!token.contains('='));
        assert_eq!(verify_hs256(&token, secret()).unwrap(), sample());
    }

    #[test]
    fn a_known_vector_verifies() {
        // Computed outside this crate (Python's hmac and base64 modules): HS256 with the key
        // "secret" over `{"alg":"HS256","typ":"JWT"}` and `{"ClientId":"a","TenantId":"b","UserId":"c"}`.
        let token = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJDbGllbnRJZCI6ImEiLCJUZW5hbnRJZCI6ImIiLCJVc2VySWQiOiJjIn0.9oFL4FBrGwpoWfhb2d0AyQYgskb2NbOU3Zc9casI-xM";
        let claims = verify_hs256(token, b"secret").unwrap();
        assert_eq!(claims, Claims::new("a", "b", "c"));
        assert_eq!(sign_hs256(&claims, b"secret"), token);
    }

    #[test]
    fn a_wrong_secret_is_rejected() {
        let token = sign_hs256(&sample(), secret());
        assert_eq!(
            verify_hs256(&token, b"not the secret").unwrap_err(),
            Error::BadSignature
        );
    }

    #[test]
    fn a_tampered_token_is_rejected() {
        let token = sign_hs256(&sample(), secret());
        let (head, sig) = token.rsplit_once('.').unwrap();
        // Flip one signature character.
        let mut bytes = sig.as_bytes().to_vec();
        bytes[3] = if bytes[3] == b'A' { b'B' } else { b'A' };
        let tampered = format!("{head}.{}", String::from_utf8(bytes).unwrap());
        assert_eq!(
            verify_hs256(&tampered, secret()).unwrap_err(),
            Error::BadSignature
        );
        // Swap in other claims under the original signature.
        let forged_claims = Claims::new("tmtWebApp", "other.tpos.vn", "u");
        let forged_body = sign_hs256(&forged_claims, b"x");
        let forged_payload = forged_body.split('.').nth(1).unwrap();
        let header = token.split('.').next().unwrap();
        let forged = format!("{header}.{forged_payload}.{sig}");
        assert_eq!(
            verify_hs256(&forged, secret()).unwrap_err(),
            Error::BadSignature
        );
        // An empty signature fails too.
        assert_eq!(
            verify_hs256(&format!("{head}."), secret()).unwrap_err(),
            Error::BadSignature
        );
    }

    #[test]
    fn alg_none_is_rejected() {
        let token = sign_hs256(&sample(), secret());
        let claims_segment = token.split('.').nth(1).unwrap();
        for alg in ["none", "None", "NONE", "HS512", "RS256"] {
            let header = BASE64URL.encode(format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#));
            for signature in ["", token.rsplit('.').next().unwrap()] {
                let forged = format!("{header}.{claims_segment}.{signature}");
                assert_eq!(
                    verify_hs256(&forged, secret()).unwrap_err(),
                    Error::UnsupportedAlgorithm { alg: alg.into() },
                    "{forged}"
                );
            }
        }
    }

    #[test]
    fn malformed_tokens_are_rejected_with_a_reason() {
        for bad in [
            "", "abc", "a.b", "a.b.c.d", ".b.c", "a..c", "a.b!.c", "a b.c.d",
        ] {
            assert!(
                matches!(Jwt::parse(bad), Err(Error::MalformedToken { .. })),
                "{bad:?}"
            );
        }
        let err = verify_hs256("AAAA.AAAA.AAAA", secret()).unwrap_err();
        assert!(
            matches!(err, Error::Base64 { .. } | Error::Json { .. }),
            "{err:?}"
        );
    }

    #[test]
    fn missing_claims_are_named() {
        let body = BASE64URL.encode(r#"{"ClientId":"a","UserId":"c"}"#);
        let token = format!("eyJhbGciOiJIUzI1NiJ9.{body}.");
        assert_eq!(
            Jwt::parse(&token)
                .unwrap()
                .claims()
                .unwrap_err()
                .to_string(),
            "missing field TenantId"
        );
    }

    #[test]
    fn unknown_claims_are_ignored() {
        let body = BASE64URL
            .encode(r#"{"ClientId":"a","TenantId":"b","UserId":"c","role":["x"],"nbf":1}"#);
        let token = format!("eyJhbGciOiJIUzI1NiJ9.{body}.");
        assert_eq!(
            Jwt::parse(&token).unwrap().claims().unwrap(),
            Claims::new("a", "b", "c")
        );
    }

    #[test]
    fn expiry_uses_the_callers_clock() {
        let c = sample();
        assert!(!c.is_expired_at(1_767_875_399));
        assert!(c.is_expired_at(1_767_875_400));
        assert!(!Claims::new("a", "b", "c").is_expired_at(i64::MAX));
    }
}
