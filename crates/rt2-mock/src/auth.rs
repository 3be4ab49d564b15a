//! Checking the JWT a client presents when it connects to `/chatomni`.
//!
//! rt-2's clients send `40/chatomni,{"token":"<JWT>"}`. The mock checks the token in one of
//! three [`AuthMode`]s; a refusal becomes a CONNECT_ERROR, `44/chatomni,{"message":"..."}`, with
//! the [`AuthRefusal`]'s text as the message.

use tpos_chat::Jwt;

/// How strictly `/chatomni` checks the token in the connect payload.
#[derive(Clone, PartialEq, Eq, Default)]
pub enum AuthMode {
    /// Accept every connect, with or without a token. A connect without a token is still
    /// recorded as a protocol violation for the admin API.
    #[default]
    Any,
    /// Decode the token without checking its signature: `TenantId` must equal the `room` query
    /// parameter and `exp` must be in the future.
    Claims,
    /// As [`AuthMode::Claims`], and the token must be signed with HS256 under this secret
    /// (any other `alg`, `none` included, is refused).
    Hs256 {
        /// The shared secret.
        secret: Vec<u8>,
    },
}

impl std::fmt::Debug for AuthMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secret never reaches a log.
        match self {
            AuthMode::Any => f.write_str("Any"),
            AuthMode::Claims => f.write_str("Claims"),
            AuthMode::Hs256 { .. } => f.write_str("Hs256 { secret: <redacted> }"),
        }
    }
}

/// Why a connect was refused; its `Display` is the CONNECT_ERROR message the client receives.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthRefusal {
    /// The connect payload has no `token` string.
    #[error("Authentication error: no token in the connect payload")]
    MissingToken,
    /// The token cannot be read.
    #[error("Authentication error: {0}")]
    Unreadable(String),
    /// The token's tenant is not the socket's room.
    #[error("Authentication error: TenantId {tenant:?} does not match room {room:?}")]
    WrongTenant {
        /// The token's `TenantId`.
        tenant: String,
        /// The `room` query parameter (empty when absent).
        room: String,
    },
    /// The token has no `exp` claim.
    #[error("Authentication error: token has no exp claim")]
    NoExpiry,
    /// The token's `exp` is not in the future.
    #[error("Authentication error: token expired at {exp} (now {now})")]
    Expired {
        /// The token's `exp`, seconds since the Unix epoch.
        exp: i64,
        /// The server's clock, seconds since the Unix epoch.
        now: i64,
    },
    /// HS256 verification failed (wrong algorithm, `alg: none`, or bad signature).
    #[error("Authentication error: {0}")]
    Signature(String),
}

/// What an accepted connect presented, for the admin API's session list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuthOutcome {
    /// True when the payload carried a `token` string.
    pub token_present: bool,
    /// The token's `TenantId`, when it could be read.
    pub tenant: Option<String>,
    /// The token's `UserId`, when it could be read.
    pub user: Option<String>,
}

/// Checks a `/chatomni` connect: `auth` is the connect packet's JSON payload (absent for a
/// bare `40/chatomni,`), `room` the session's `room` query parameter, and `now_unix` the
/// current time in seconds since the Unix epoch.
///
/// # Errors
/// The [`AuthRefusal`] to send back as CONNECT_ERROR.
pub fn check_connect(
    mode: &AuthMode,
    auth: Option<&serde_json::Value>,
    room: Option<&str>,
    now_unix: i64,
) -> Result<AuthOutcome, AuthRefusal> {
    let token = auth
        .and_then(|auth| auth.get("token"))
        .and_then(serde_json::Value::as_str)
        .filter(|token| !token.is_empty());
    let Some(token) = token else {
        return match mode {
            AuthMode::Any => Ok(AuthOutcome::default()),
            _ => Err(AuthRefusal::MissingToken),
        };
    };
    // rt-2's clients send the token bare; tolerate a `Bearer ` prefix as browsers' HTTP code
    // sometimes adds one.
    let token = token.strip_prefix("Bearer ").unwrap_or(token);
    let decoded = Jwt::parse(token).and_then(|jwt| Ok((jwt, jwt.claims()?)));
    let (jwt, claims) = match (mode, decoded) {
        (AuthMode::Any, Ok((_, claims))) => {
            return Ok(AuthOutcome {
                token_present: true,
                tenant: Some(claims.tenant_id.into_owned()),
                user: Some(claims.user_id.into_owned()),
            });
        }
        (AuthMode::Any, Err(_)) => {
            return Ok(AuthOutcome {
                token_present: true,
                ..AuthOutcome::default()
            });
        }
        (_, Err(err)) => return Err(AuthRefusal::Unreadable(err.to_string())),
        (_, Ok(decoded)) => decoded,
    };
    if let AuthMode::Hs256 { secret } = mode {
        jwt.verify_hs256(secret)
            .map_err(|err| AuthRefusal::Signature(err.to_string()))?;
    }
    let room = room.unwrap_or("");
    if claims.tenant_id != room {
        return Err(AuthRefusal::WrongTenant {
            tenant: claims.tenant_id.into_owned(),
            room: room.to_owned(),
        });
    }
    let exp = claims.exp.ok_or(AuthRefusal::NoExpiry)?;
    if claims.is_expired_at(now_unix) {
        return Err(AuthRefusal::Expired { exp, now: now_unix });
    }
    Ok(AuthOutcome {
        token_present: true,
        tenant: Some(claims.tenant_id.into_owned()),
        user: Some(claims.user_id.into_owned()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use tpos_chat::{Claims, TEST_SECRET, sign_hs256};

    const ROOM: &str = "tomato.tpos.vn";
    const NOW: i64 = 1_767_800_000;

    fn token(tenant: &str, exp: Option<i64>, secret: &[u8]) -> String {
        let mut claims = Claims::new("tmtWebApp", tenant, "u-1");
        if let Some(exp) = exp {
            claims = claims.with_exp(exp);
        }
        sign_hs256(&claims, secret)
    }

    fn auth(token: &str) -> serde_json::Value {
        json!({ "token": token })
    }

    fn hs256() -> AuthMode {
        AuthMode::Hs256 {
            secret: TEST_SECRET.as_bytes().to_vec(),
        }
    }

    #[test]
    fn any_mode_accepts_no_token_and_garbage_but_reports_what_it_saw() {
        let outcome = check_connect(&AuthMode::Any, None, Some(ROOM), NOW).unwrap();
        assert!(!outcome.token_present);
        let outcome =
            check_connect(&AuthMode::Any, Some(&auth("not-a-jwt")), Some(ROOM), NOW).unwrap();
        assert!(outcome.token_present);
        assert_eq!(outcome.tenant, None);
    }

    #[test]
    fn claims_mode_checks_tenant_and_expiry_but_not_the_signature() {
        let good = token(ROOM, Some(NOW + 60), b"some other key");
        let outcome =
            check_connect(&AuthMode::Claims, Some(&auth(&good)), Some(ROOM), NOW).unwrap();
        assert_eq!(outcome.tenant.as_deref(), Some(ROOM));
        assert_eq!(outcome.user.as_deref(), Some("u-1"));

        let other_room = token("other.tpos.vn", Some(NOW + 60), b"k");
        let err = check_connect(&AuthMode::Claims, Some(&auth(&other_room)), Some(ROOM), NOW)
            .unwrap_err();
        assert!(matches!(err, AuthRefusal::WrongTenant { .. }), "{err}");

        let expired = token(ROOM, Some(NOW), b"k");
        let err =
            check_connect(&AuthMode::Claims, Some(&auth(&expired)), Some(ROOM), NOW).unwrap_err();
        assert_eq!(err, AuthRefusal::Expired { exp: NOW, now: NOW });

        let no_exp = token(ROOM, None, b"k");
        let err =
            check_connect(&AuthMode::Claims, Some(&auth(&no_exp)), Some(ROOM), NOW).unwrap_err();
        assert_eq!(err, AuthRefusal::NoExpiry);

        let err = check_connect(&AuthMode::Claims, None, Some(ROOM), NOW).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Authentication error: no token in the connect payload"
        );
    }

    #[test]
    fn hs256_mode_verifies_the_signature() {
        let good = token(ROOM, Some(NOW + 60), TEST_SECRET.as_bytes());
        assert!(check_connect(&hs256(), Some(&auth(&good)), Some(ROOM), NOW).is_ok());
        let forged = token(ROOM, Some(NOW + 60), b"wrong secret");
        let err = check_connect(&hs256(), Some(&auth(&forged)), Some(ROOM), NOW).unwrap_err();
        assert!(matches!(err, AuthRefusal::Signature(_)), "{err}");
    }

    #[test]
    fn hs256_mode_refuses_alg_none() {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let header = b64.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let claims = b64.encode(
            format!(
                r#"{{"ClientId":"tmtWebApp","TenantId":"{ROOM}","UserId":"u","exp":{}}}"#,
                NOW + 60
            )
            .as_bytes(),
        );
        let unsigned = format!("{header}.{claims}.");
        let err = check_connect(&hs256(), Some(&auth(&unsigned)), Some(ROOM), NOW).unwrap_err();
        assert!(err.to_string().contains("none"), "{err}");
        // The same token passes the claims-only mode: that mode never looks at signatures.
        assert!(check_connect(&AuthMode::Claims, Some(&auth(&unsigned)), Some(ROOM), NOW).is_ok());
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let text = format!("{:?}", hs256());
        assert!(!text.contains(TEST_SECRET), "{text}");
    }
}
