//! Faults the mock can inject, for the whole run or for one session.
//!
//! A [`FaultPlan`] is plain data: the run's plan comes from [`MockConfig::faults`] and can be
//! replaced through the admin API (it applies to sessions opened afterwards); a session's own
//! plan starts as a copy of the run's and can be replaced for that session alone. Its JSON form
//! is what the admin API takes, e.g. `{"latency_ms":200,"drop_after_events":3}`.
//!
//! [`MockConfig::faults`]: crate::MockConfig::faults

use serde::{Deserialize, Serialize};

/// The frame sent by [`FaultPlan::malformed_after_events`] unless another is configured: an
/// EVENT whose JSON array is cut short, which `socket.io-client` reports as a parse error and
/// answers by closing the connection.
pub const DEFAULT_MALFORMED_FRAME: &str = "42/chatomni,[\"on-events\",\"{\\\"Conversation\\\":";

/// Which faults to inject. Every field is off by default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultPlan {
    /// Hold every frame to the client back by this many milliseconds (0: none). Frames keep
    /// their order and pace; only their delivery is late.
    pub latency_ms: u64,
    /// Cut the TCP connection (no Engine.IO close, as a crashed server or a dropped network
    /// would) once this many events were sent to the session.
    pub drop_after_events: Option<u64>,
    /// Stop answering once this many events were sent (0: at once): nothing more is sent and
    /// nothing received is processed, but the connection stays open. Pings stop too, so the
    /// client eventually notices through its own ping timeout.
    pub stop_answering_after_events: Option<u64>,
    /// Never send pings. The session still expects nothing from the client, so only the
    /// client's heartbeat check (pingInterval + pingTimeout) ends the session.
    pub stop_pinging: bool,
    /// Send one malformed frame once this many events were sent (0: right after the
    /// namespace connect).
    pub malformed_after_events: Option<u64>,
    /// The frame [`FaultPlan::malformed_after_events`] sends; default
    /// [`DEFAULT_MALFORMED_FRAME`].
    pub malformed_frame: Option<String>,
    /// Refuse every `/chatomni` connect with this CONNECT_ERROR message, whatever the token.
    pub reject_auth: Option<String>,
    /// Close the session cleanly once this many events were sent: Socket.IO DISCONNECT, then
    /// Engine.IO close, then (on WebSocket) a close frame carrying
    /// [`FaultPlan::close_reason`].
    pub close_after_events: Option<u64>,
    /// The reason sent with [`FaultPlan::close_after_events`] (and the admin API's
    /// disconnect) in the WebSocket close frame; default `closed by sio-replay mock`.
    pub close_reason: Option<String>,
}

impl FaultPlan {
    /// True when no fault is set.
    pub fn is_empty(&self) -> bool {
        *self == FaultPlan::default()
    }

    /// The malformed frame to send.
    pub fn malformed_frame(&self) -> &str {
        self.malformed_frame
            .as_deref()
            .unwrap_or(DEFAULT_MALFORMED_FRAME)
    }

    /// The close reason to send.
    pub fn close_reason(&self) -> &str {
        self.close_reason
            .as_deref()
            .unwrap_or("closed by sio-replay mock")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_form_is_what_the_admin_api_takes() {
        let plan: FaultPlan =
            serde_json::from_str(r#"{"latency_ms":200,"drop_after_events":3}"#).unwrap();
        assert_eq!(plan.latency_ms, 200);
        assert_eq!(plan.drop_after_events, Some(3));
        assert!(!plan.is_empty());
        assert!(FaultPlan::default().is_empty());
        let err = serde_json::from_str::<FaultPlan>(r#"{"drop_after":3}"#).unwrap_err();
        assert!(
            err.to_string().contains("unknown field `drop_after`"),
            "{err}"
        );
    }
}
