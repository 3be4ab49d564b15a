//! Scenario rules: what the mock does when a client does something, beyond replaying a capture.
//!
//! A scenario is a TOML file (`docs/scenarios.md` describes every key, with examples):
//!
//! - `[server]`: port, pingInterval, pingTimeout, connectTimeout, maxPayload, CORS origin, the
//!   namespaces that exist, and the mode (`socket.io`, or `engine.io-echo` where every
//!   Engine.IO message is sent back as received);
//! - `[[on_connect]]`: when a client joins a namespace, emit events (fixed payloads, or its
//!   handshake auth), after an optional delay; start or skip the replay; or refuse with a
//!   CONNECT_ERROR message;
//! - `[[on_event]]`: when a client emits an event, matched by name and optionally by an
//!   argument's value at a JSON path, emit events back (its own arguments with their binary
//!   attachments, fixed payloads, or frames of the capture), answer its ack, disconnect it, or
//!   apply a fault;
//! - `[[timer]]`: periodic events.
//!
//! Three scenarios are bundled (`captures/scenarios/`), selectable by name: `rt2` (the
//! default of `sio-replay serve`), and `socketio-protocol` and `engineio-protocol`, the
//! reference servers of socket.io's and engine.io's official protocol test suites.
//!
//! The evaluation is pure: [`Scenario::on_connect`], [`Scenario::on_event`],
//! [`Scenario::on_message`] and [`Scenario::on_timer`] turn what a session reported into
//! [`ScheduledAction`]s; [`ScenarioSchedule`] keeps one session's delayed actions and timers
//! with time as a parameter. The session task of the server only carries the actions out.
//!
//! ```
//! use rt2_mock::scenario::{Scenario, ScenarioAction};
//! use sio_session::IncomingEvent;
//!
//! let scenario = Scenario::bundled("socketio-protocol")?;
//! let event = IncomingEvent {
//!     namespace: "/".into(),
//!     data: r#"["message",1,"2",{"3":[true]}]"#.into(),
//!     ack_id: None,
//!     attachments: vec![],
//! };
//! let actions = scenario.on_event(&event, None, &[]);
//! assert_eq!(
//!     actions[0].action,
//!     ScenarioAction::Emit {
//!         namespace: "/".into(),
//!         data: r#"["message-back",1,"2",{"3":[true]}]"#.into(),
//!         attachments: vec![],
//!     }
//! );
//! # Ok::<(), rt2_mock::scenario::ScenarioError>(())
//! ```

mod json_path;
mod load;
mod model;
mod respond;
mod schedule;

pub use json_path::{JsonPath, JsonPathError, PathStep};
pub use load::{BUNDLED, ScenarioError};
pub use model::{
    ArgCondition, CaptureFrame, ConnectRule, CorsOrigin, EmitSpec, EmitWhat, EventRule,
    FaultChange, FaultName, Namespace, NamespacePattern, Payload, Scenario, ServerMode,
    ServerSettings, TimerRule,
};
pub use respond::{ConnectDecision, ConnectResponse, ScenarioAction, ScheduledAction};
pub use schedule::ScenarioSchedule;

#[cfg(test)]
mod tests;
