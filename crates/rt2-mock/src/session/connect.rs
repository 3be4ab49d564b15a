//! The answer to a namespace CONNECT, as a pure function of what the mock knows: the
//! scenario's decision, which namespace is replayed, the faults, the auth mode and the
//! client's auth payload. No session, no clock, no I/O: unit tests call [`decide`] directly.

use crate::auth::{AuthMode, AuthRefusal, check_connect};
use crate::scenario::ConnectDecision;

/// Everything the decision depends on.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConnectRequest<'a> {
    /// The namespace asked for.
    pub(crate) namespace: &'a str,
    /// The CONNECT payload, parsed (absent or not JSON: `None`).
    pub(crate) auth: Option<&'a serde_json::Value>,
    /// What the scenario's rules say ([`ConnectDecision::Default`] without a scenario).
    pub(crate) scenario: &'a ConnectDecision,
    /// The namespace the capture is replayed to (and whose token is checked).
    pub(crate) replay_namespace: &'a str,
    /// The "reject auth" fault's message, when it is in force.
    pub(crate) reject_auth: Option<&'a str>,
    /// How tokens are checked.
    pub(crate) auth_mode: &'a AuthMode,
    /// The session's `room` query parameter.
    pub(crate) room: Option<&'a str>,
    /// Now, in seconds since the Unix epoch (for `exp`).
    pub(crate) now_unix: i64,
}

/// Whether and where the capture is replayed once a CONNECT is accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReplayStart {
    /// Nothing is replayed to this namespace.
    No,
    /// The replay starts in the replay namespace.
    Start,
    /// The replay moves to this (scenario-accepted) namespace and starts.
    MoveHereAndStart,
}

/// The answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Accept the CONNECT.
    Accept {
        /// What the replay does.
        replay: ReplayStart,
        /// True when this is the replay namespace (its thresholds apply at once).
        replay_namespace: bool,
    },
    /// Answer CONNECT_ERROR with this message.
    Refuse(String),
}

/// What the session report and the counters learn from the CONNECT.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Identity {
    /// Whether a token was presented: `None` when the decision never looked.
    pub(crate) token_present: Option<bool>,
    /// The token's tenant and user, when it was accepted.
    pub(crate) tenant: Option<String>,
    /// The token's user id.
    pub(crate) user: Option<String>,
    /// The CONNECT to the replay namespace carried no token (a protocol violation of rt-2's
    /// clients, reported even when the auth mode lets it through).
    pub(crate) missing_token: bool,
    /// Counts as a refusal of the auth check (the `auth_refused` counter).
    pub(crate) auth_refused: bool,
}

/// The full decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConnectOutcome {
    /// Accept or refuse.
    pub(crate) verdict: Verdict,
    /// What it tells about the client.
    pub(crate) identity: Identity,
}

/// Decides a CONNECT: the scenario's refusal first; then any namespace but the replay one is
/// accepted only as socket.io would (the main namespace `/`) or when a rule accepts it; the
/// replay namespace is refused by the "reject auth" fault, then its token is checked as
/// [`AuthMode`] says.
pub(crate) fn decide(request: &ConnectRequest<'_>) -> ConnectOutcome {
    let refuse = |message: String, identity: Identity| ConnectOutcome {
        verdict: Verdict::Refuse(message),
        identity,
    };
    let replay_choice = match request.scenario {
        ConnectDecision::Refuse(message) => return refuse(message.clone(), Identity::default()),
        ConnectDecision::Accept { replay } => *replay,
        ConnectDecision::Default => None,
    };
    if request.namespace != request.replay_namespace {
        // socket.io's main namespace always exists; any other is refused as socket.io refuses
        // a namespace nobody registered, unless a scenario rule accepts it.
        let accepted = request.namespace == "/" || *request.scenario != ConnectDecision::Default;
        if !accepted {
            return refuse("Invalid namespace".to_owned(), Identity::default());
        }
        let replay = if replay_choice == Some(true) {
            ReplayStart::MoveHereAndStart
        } else {
            ReplayStart::No
        };
        return ConnectOutcome {
            verdict: Verdict::Accept {
                replay,
                replay_namespace: false,
            },
            identity: Identity::default(),
        };
    }
    if let Some(message) = request.reject_auth {
        let identity = Identity {
            auth_refused: true,
            ..Identity::default()
        };
        return refuse(message.to_owned(), identity);
    }
    match check_connect(
        request.auth_mode,
        request.auth,
        request.room,
        request.now_unix,
    ) {
        Ok(outcome) => ConnectOutcome {
            verdict: Verdict::Accept {
                replay: if replay_choice == Some(false) {
                    ReplayStart::No
                } else {
                    ReplayStart::Start
                },
                replay_namespace: true,
            },
            identity: Identity {
                token_present: Some(outcome.token_present),
                tenant: outcome.tenant,
                user: outcome.user,
                missing_token: !outcome.token_present,
                auth_refused: false,
            },
        },
        Err(refusal) => {
            let missing = refusal == AuthRefusal::MissingToken;
            let identity = Identity {
                // A token was sent, though it was refused (unreadable, forged, expired).
                token_present: (!missing).then_some(true),
                missing_token: missing,
                auth_refused: true,
                ..Identity::default()
            };
            refuse(refusal.to_string(), identity)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request<'a>(
        namespace: &'a str,
        auth: Option<&'a serde_json::Value>,
        scenario: &'a ConnectDecision,
        mode: &'a AuthMode,
    ) -> ConnectRequest<'a> {
        ConnectRequest {
            namespace,
            auth,
            scenario,
            replay_namespace: "/chatomni",
            reject_auth: None,
            auth_mode: mode,
            room: Some("tomato.tpos.vn"),
            now_unix: 1_767_000_000,
        }
    }

    #[test]
    fn the_replay_namespace_with_a_token_is_accepted_and_replayed() {
        let auth = serde_json::json!({"token": "anything"});
        let outcome = decide(&request(
            "/chatomni",
            Some(&auth),
            &ConnectDecision::Default,
            &AuthMode::Any,
        ));
        assert_eq!(
            outcome.verdict,
            Verdict::Accept {
                replay: ReplayStart::Start,
                replay_namespace: true
            }
        );
        assert_eq!(outcome.identity.token_present, Some(true));
        assert!(!outcome.identity.missing_token);
    }

    #[test]
    fn a_missing_token_is_a_violation_even_when_let_through() {
        let outcome = decide(&request(
            "/chatomni",
            None,
            &ConnectDecision::Default,
            &AuthMode::Any,
        ));
        assert!(matches!(outcome.verdict, Verdict::Accept { .. }));
        assert!(outcome.identity.missing_token);
        assert_eq!(outcome.identity.token_present, Some(false));

        let outcome = decide(&request(
            "/chatomni",
            None,
            &ConnectDecision::Default,
            &AuthMode::Claims,
        ));
        assert_eq!(
            outcome.verdict,
            Verdict::Refuse("Authentication error: no token in the connect payload".into())
        );
        assert!(outcome.identity.missing_token && outcome.identity.auth_refused);
        assert_eq!(outcome.identity.token_present, None);
    }

    #[test]
    fn a_refused_token_still_counts_as_presented() {
        let auth = serde_json::json!({"token": "not-a-jwt"});
        let outcome = decide(&request(
            "/chatomni",
            Some(&auth),
            &ConnectDecision::Default,
            &AuthMode::Claims,
        ));
        assert!(matches!(outcome.verdict, Verdict::Refuse(_)));
        assert_eq!(outcome.identity.token_present, Some(true));
        assert!(outcome.identity.auth_refused && !outcome.identity.missing_token);
    }

    #[test]
    fn the_reject_auth_fault_refuses_before_the_token_is_read() {
        let auth = serde_json::json!({"token": "anything"});
        let mut req = request(
            "/chatomni",
            Some(&auth),
            &ConnectDecision::Default,
            &AuthMode::Any,
        );
        req.reject_auth = Some("token expired");
        let outcome = decide(&req);
        assert_eq!(outcome.verdict, Verdict::Refuse("token expired".into()));
        assert!(outcome.identity.auth_refused);
        assert_eq!(outcome.identity.token_present, None);
    }

    #[test]
    fn other_namespaces_follow_socketio_unless_a_rule_accepts_them() {
        let default = ConnectDecision::Default;
        let main = decide(&request("/", None, &default, &AuthMode::Any));
        assert_eq!(
            main.verdict,
            Verdict::Accept {
                replay: ReplayStart::No,
                replay_namespace: false
            }
        );
        let other = decide(&request("/admin", None, &default, &AuthMode::Any));
        assert_eq!(other.verdict, Verdict::Refuse("Invalid namespace".into()));

        let accept_with_replay = ConnectDecision::Accept { replay: Some(true) };
        let moved = decide(&request(
            "/admin",
            None,
            &accept_with_replay,
            &AuthMode::Any,
        ));
        assert_eq!(
            moved.verdict,
            Verdict::Accept {
                replay: ReplayStart::MoveHereAndStart,
                replay_namespace: false
            }
        );
        let refuse = ConnectDecision::Refuse("nope".into());
        let refused = decide(&request("/chatomni", None, &refuse, &AuthMode::Any));
        assert_eq!(refused.verdict, Verdict::Refuse("nope".into()));
        assert!(!refused.identity.missing_token, "the rule answered first");
    }

    #[test]
    fn a_rule_may_accept_the_replay_namespace_without_replaying() {
        let auth = serde_json::json!({"token": "t"});
        let no_replay = ConnectDecision::Accept {
            replay: Some(false),
        };
        let outcome = decide(&request(
            "/chatomni",
            Some(&auth),
            &no_replay,
            &AuthMode::Any,
        ));
        assert_eq!(
            outcome.verdict,
            Verdict::Accept {
                replay: ReplayStart::No,
                replay_namespace: true
            }
        );
    }
}
