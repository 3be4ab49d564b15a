//! Scripted sessions: one client connection driven by a [`Script`], against a server or
//! against a mock started for the occasion, its frames returned as capture records.
//! `sio-replay check` runs one and compares its transcript with a golden.
//!
//! A script says which namespace to join and which frames the client sends once it has
//! joined; everything else (the CONNECT with the token, pongs) is the session machine's. The
//! session ends after `max_events` server events (by default, for a mock, all the events the
//! capture holds) or `max_duration`, whichever comes first; ending early is not an error: the
//! transcript will simply be shorter than the golden.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use sio_capture::carry::CarryPlan;
use sio_capture::{CaptureReader, Direction, FrameKind, Header, Record};
use sio_wire::{DecodedFrame, SocketPacketType};

use crate::record::{RecordConfig, RecordStats, RecordSummary, StopReason, record_into};
use crate::{ClientError, Endpoint, Token};
use rt2_mock::{AuthMode, Capture, MockConfig, Pace, ReplaySettings, RunningMock};

/// What the client of a session does.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Script {
    /// The namespace to join, e.g. `/chatomni`.
    pub namespace: String,
    /// Text frames to send once the namespace CONNECT is accepted, in order.
    pub frames: Vec<String>,
    /// The same frames with the server values they carry, for a script taken from a capture
    /// ([`Script::from_records`]): each frame waits for its values, which replace the
    /// capture's (see [`sio_capture::carry`]). `None` sends `frames` as they are.
    pub carry: Option<CarryPlan>,
}

impl Script {
    /// Joins `namespace` and sends nothing.
    pub fn new(namespace: impl Into<String>) -> Self {
        Script {
            namespace: namespace.into(),
            frames: Vec::new(),
            carry: None,
        }
    }

    /// The client side of a capture's first connection: the namespace of its first CONNECT
    /// (`/chatomni` if there is none) and its other Socket.IO packets (events, acks,
    /// disconnects). Pongs and the CONNECT are left to the session machine. Server values the
    /// capture's client sent back (a sid, an id from an ack) are carried: see
    /// [`Script::carry`].
    pub fn from_records<'a>(records: impl IntoIterator<Item = &'a Record> + Clone) -> Self {
        let mut script = Script::new(tpos_chat::NAMESPACE);
        let plan = CarryPlan::from_records(records.clone());
        if plan.carried() > 0 {
            script.carry = Some(plan);
        }
        let mut joined = false;
        for record in records {
            let Record::Frame(frame) = record else {
                continue;
            };
            if frame.from != Direction::Client || frame.conn != 1 || frame.kind != FrameKind::Text {
                continue;
            }
            if let Ok(DecodedFrame::Socket(packet)) = sio_wire::decode_message(&frame.data) {
                if packet.kind == SocketPacketType::Connect {
                    if !joined {
                        script.namespace = packet.namespace.to_owned();
                        joined = true;
                    }
                } else {
                    script.frames.push(frame.data.clone());
                }
            }
        }
        script
    }

    /// A script file (`check --script`): one client frame per line, as it goes on the wire. Blank lines and
    /// lines starting with `#` are skipped; a CONNECT (`40/nsp,...`) names the namespace (its
    /// payload is replaced by the session's token).
    ///
    /// ```
    /// use rt2_client::session::Script;
    ///
    /// let script = Script::parse("# join, then ask\n40/chatomni,{}\n42/chatomni,[\"hi\"]\n")?;
    /// assert_eq!(script.namespace, "/chatomni");
    /// assert_eq!(script.frames, ["42/chatomni,[\"hi\"]"]);
    /// # Ok::<(), rt2_client::ClientError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ClientError::Script`] with the line number of a line that is not an Engine.IO /
    /// Socket.IO frame.
    pub fn parse(text: &str) -> Result<Self, ClientError> {
        let mut script = Script::new(tpos_chat::NAMESPACE);
        for (index, line) in text.lines().enumerate() {
            let line = line.trim_end();
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            match sio_wire::decode_message(line) {
                Ok(DecodedFrame::Socket(packet)) if packet.kind == SocketPacketType::Connect => {
                    script.namespace = packet.namespace.to_owned();
                }
                Ok(_) => script.frames.push(line.to_owned()),
                Err(err) => {
                    return Err(ClientError::Script {
                        line: index + 1,
                        message: format!("not a frame: {err}"),
                    });
                }
            }
        }
        Ok(script)
    }
}

/// Where a session runs.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Target {
    /// A running server (live, or a mock started elsewhere). The endpoint's namespace is
    /// replaced by the script's.
    Server(Endpoint),
    /// A mock started on 127.0.0.1 for this session, serving `capture` for `room` as fast as
    /// the client reads, checking token claims; the client uses [`session_token`].
    Mock {
        /// The capture to serve.
        capture: Arc<Capture>,
        /// The tenant.
        room: String,
    },
}

/// A scripted session.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SessionConfig {
    /// Where it runs.
    pub target: Target,
    /// What the client does.
    pub script: Script,
    /// Stop after this many server events (default for a mock: every event of its capture).
    pub max_events: Option<u64>,
    /// Stop after this long at the latest.
    pub max_duration: Duration,
}

impl SessionConfig {
    /// A session of `script` on `target`, for at most 10 s.
    pub fn new(target: Target, script: Script) -> Self {
        SessionConfig {
            target,
            script,
            max_events: None,
            max_duration: Duration::from_secs(10),
        }
    }
}

/// A finished session.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Session {
    /// A header (`source: session`, the room; no URL or start time, which change every run)
    /// and the session's records, tokens redacted.
    pub records: Vec<Record>,
    /// The recorder's summary.
    pub summary: RecordSummary,
    /// Against a mock, the number of events its capture replays (the session stops once they
    /// all arrived); `None` against a server.
    pub expected_events: Option<u64>,
}

impl Session {
    /// True when the session ran out of time before every event a mock replays arrived: its
    /// transcript is incomplete.
    pub fn cut_short(&self) -> bool {
        self.summary.stopped_by == StopReason::Duration
            && self
                .expected_events
                .is_some_and(|expected| self.summary.stats.events < expected)
    }
}

/// The token a session against [`Target::Mock`] sends: signed with the test secret, with fixed
/// `iat` (2026-01-01) and `exp` (2100-01-01) so that its redacted form, which shows the claims,
/// is the same in every run.
pub fn session_token(room: &str) -> String {
    let claims = tpos_chat::Claims::new("tmtWebApp", room, "sio-replay-check")
        .with_iat(1_767_225_600)
        .with_exp(4_102_444_800);
    tpos_chat::sign_hs256(&claims, tpos_chat::TEST_SECRET.as_bytes())
}

/// Runs a session; `progress` gets the recorder's counters as frames arrive.
///
/// # Errors
///
/// [`ClientError::Mock`] when the mock cannot start; otherwise as
/// [`record`](crate::record::record) (with no reconnects).
pub async fn run_session(
    config: SessionConfig,
    shutdown: impl Future<Output = ()>,
    progress: impl FnMut(&RecordStats),
) -> Result<Session, ClientError> {
    let SessionConfig {
        target,
        script,
        max_events,
        max_duration,
    } = config;
    let (mock, mut endpoint, room, expected_events) = match target {
        Target::Server(endpoint) => {
            let room = endpoint.room.clone();
            (None, endpoint, room, None)
        }
        Target::Mock { capture, room } => {
            let events = capture.timeline(&script.namespace).len() as u64;
            let mut mock_config = MockConfig::default();
            mock_config.namespace = script.namespace.clone();
            mock_config.auth = AuthMode::Claims;
            mock_config.replay = ReplaySettings {
                pace: Pace::AsFastAsClientReads,
                ..ReplaySettings::default()
            };
            mock_config.capture = Some(capture);
            let mock = RunningMock::start(SocketAddr::from(([127, 0, 0, 1], 0)), mock_config)
                .await
                .map_err(ClientError::Mock)?;
            let mut endpoint = Endpoint::new(mock.url());
            endpoint.room = Some(room.clone());
            endpoint.token = Some(Token::new(session_token(&room)));
            (Some(mock), endpoint, Some(room), Some(events))
        }
    };
    endpoint.namespace = script.namespace.clone();
    let mut record_config = RecordConfig::new(endpoint, "(session in memory)");
    record_config.max_events = max_events.or(expected_events);
    record_config.max_duration = Some(max_duration);
    record_config.max_reconnects = 0;
    record_config.send_after_connect = script.frames;
    record_config.carry = script.carry;
    let outcome = record_into(&record_config, Vec::new(), shutdown, progress).await;
    if let Some(mock) = mock {
        // The session's result matters more than a slow shutdown of its throwaway mock.
        if let Err(err) = mock.shutdown().await {
            tracing::warn!(%err, "the session's mock did not shut down cleanly");
        }
    }
    let (summary, bytes) = outcome?;

    let mut header = Header::new("session");
    header.room = room;
    let mut records = vec![Record::Header(header)];
    for record in CaptureReader::new(bytes.as_slice()) {
        match record.map_err(|source| ClientError::Capture {
            path: summary.output.clone(),
            source,
        })? {
            Record::Header(_) => {}
            other => records.push(other),
        }
    }
    Ok(Session {
        records,
        summary,
        expected_events,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use sio_capture::FrameRecord;

    #[test]
    fn a_captures_client_side_becomes_a_script() {
        let records = [
            Record::Frame(FrameRecord::text(0.0, 1, Direction::Server, "0{}")),
            Record::Frame(FrameRecord::text(
                1.0,
                1,
                Direction::Client,
                r#"40/admin,{"token":"t"}"#,
            )),
            Record::Frame(FrameRecord::text(2.0, 1, Direction::Client, "3")),
            Record::Frame(FrameRecord::text(
                3.0,
                1,
                Direction::Client,
                r#"42/admin,["x"]"#,
            )),
            Record::Frame(FrameRecord::text(
                4.0,
                2,
                Direction::Client,
                r#"42/admin,["second connection"]"#,
            )),
            Record::Frame(FrameRecord::text(
                5.0,
                1,
                Direction::Server,
                r#"42/admin,["y"]"#,
            )),
        ];
        let script = Script::from_records(&records);
        assert_eq!(script.namespace, "/admin");
        assert_eq!(script.frames, [r#"42/admin,["x"]"#]);
    }

    #[test]
    fn script_errors_name_the_line() {
        let err = Script::parse("# c\n\n42/chatomni,[\"ok\"]\n9nope\n").unwrap_err();
        assert!(err.to_string().starts_with("line 4: not a frame"), "{err}");
    }

    #[test]
    fn the_session_token_is_the_same_every_time_and_has_the_room() {
        assert_eq!(session_token("a.b"), session_token("a.b"));
        let token = session_token("a.b");
        let jwt = tpos_chat::Jwt::parse(&token).expect("a JWT");
        let claims = jwt.claims().expect("claims");
        assert_eq!(claims.tenant_id, "a.b");
    }

    #[tokio::test]
    async fn a_session_against_a_mock_returns_every_event() {
        let capture = concat!(
            r#"{"type":"header","format":"sio-replay-capture","version":1,"source":"generated","room":"r.example"}"#,
            "\n",
            r#"{"type":"frame","t_ms":0.0,"conn":1,"from":"server","kind":"text","data":"0{\"sid\":\"a\",\"upgrades\":[],\"pingInterval\":25000,\"pingTimeout\":20000,\"maxPayload\":1000000}"}"#,
            "\n",
            r#"{"type":"frame","t_ms":1.0,"conn":1,"from":"server","kind":"text","data":"40/chatomni,{\"sid\":\"b\"}"}"#,
            "\n",
            r#"{"type":"frame","t_ms":2.0,"conn":1,"from":"server","kind":"text","data":"42/chatomni,[\"on-events\",\"{}\"]"}"#,
            "\n",
            r#"{"type":"frame","t_ms":3.0,"conn":1,"from":"server","kind":"text","data":"42/chatomni,[\"on-events\",\"{\\\"n\\\":2}\"]"}"#,
            "\n",
        );
        let capture =
            Capture::from_jsonl(capture, std::path::Path::new("test.jsonl")).expect("capture");
        let target = Target::Mock {
            capture: Arc::new(capture),
            room: "r.example".to_owned(),
        };
        let session = run_session(
            SessionConfig::new(target, Script::new("/chatomni")),
            std::future::pending(),
            |_| {},
        )
        .await
        .expect("session");
        assert_eq!(session.summary.stats.events, 2);
        let data: Vec<&str> = session
            .records
            .iter()
            .filter_map(|r| match r {
                Record::Frame(f) => Some(f.data.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(data.len(), 5, "open, CONNECT, ack, two events: {data:?}");
        assert!(
            data[1].starts_with("40/chatomni,{\"token\":\"[jwt TenantId=r.example"),
            "{data:?}"
        );
        assert_eq!(data[4], r#"42/chatomni,["on-events","{\"n\":2}"]"#);
        let Record::Header(header) = &session.records[0] else {
            panic!("header first")
        };
        assert_eq!(
            (header.source.as_str(), header.url.as_deref()),
            ("session", None)
        );
    }
}
