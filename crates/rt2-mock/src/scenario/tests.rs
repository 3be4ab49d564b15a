//! The rules' evaluation, without sockets: events in, actions out.

use std::sync::Arc;
use std::time::Duration;

use sio_session::{EngineMessage, IncomingEvent};

use super::*;
use crate::fault::FaultPlan;
use crate::replay::ReplayEvent;

fn scenario(toml: &str) -> Scenario {
    Scenario::from_toml(toml, "test.toml").unwrap()
}

fn event(namespace: &str, data: &str, ack_id: Option<u64>, attachments: &[&[u8]]) -> IncomingEvent {
    IncomingEvent {
        namespace: namespace.into(),
        data: data.into(),
        ack_id,
        attachments: attachments.iter().map(|a| a.to_vec()).collect(),
    }
}

fn emit(namespace: &str, data: &str, attachments: &[&[u8]]) -> ScenarioAction {
    ScenarioAction::Emit {
        namespace: namespace.into(),
        data: data.into(),
        attachments: attachments.iter().map(|a| a.to_vec()).collect(),
    }
}

fn now(action: ScenarioAction) -> ScheduledAction {
    ScheduledAction {
        delay: Duration::ZERO,
        action,
    }
}

fn capture() -> Vec<ReplayEvent> {
    [
        "[\"on-events\",\"a\"]",
        "[\"typing\",1]",
        "[\"on-events\",\"b\"]",
    ]
    .iter()
    .enumerate()
    .map(|(i, data)| ReplayEvent {
        offset: Duration::from_millis(i as u64 * 10),
        data: Arc::from(*data),
    })
    .collect()
}

#[test]
fn socketio_protocol_answers_auth_message_and_ack_as_the_reference_server() {
    let s = Scenario::bundled("socketio-protocol").unwrap();
    for namespace in ["/", "/custom"] {
        let connect = s.on_connect(namespace, None, &[]);
        assert_eq!(connect.decision, ConnectDecision::Accept { replay: None });
        assert_eq!(
            connect.actions,
            [ScheduledAction {
                delay: Duration::from_millis(5),
                action: emit(namespace, r#"["auth",{}]"#, &[]),
            }]
        );
        let connect = s.on_connect(namespace, Some(r#"{"token":"abc"}"#), &[]);
        assert_eq!(
            connect.actions[0].action,
            emit(namespace, r#"["auth",{"token":"abc"}]"#, &[])
        );
    }

    let binary = event(
        "/",
        r#"["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
        None,
        &[&[1, 2, 3], &[4, 5, 6]],
    );
    assert_eq!(
        s.on_event(&binary, None, &[]),
        [now(emit(
            "/",
            r#"["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
            &[&[1, 2, 3], &[4, 5, 6]],
        ))]
    );

    let with_ack = event(
        "/",
        r#"["message-with-ack",1,"2",{"3":[false]}]"#,
        Some(456),
        &[],
    );
    assert_eq!(
        s.on_event(&with_ack, None, &[]),
        [now(ScenarioAction::Ack {
            namespace: "/".into(),
            ack_id: 456,
            data: r#"[1,"2",{"3":[false]}]"#.into(),
            attachments: vec![],
        })]
    );

    // The custom namespace does not answer messages, as in the reference server.
    assert!(
        s.on_event(&event("/custom", r#"["message",1]"#, None, &[]), None, &[])
            .is_empty()
    );
    // An event without arguments is echoed without arguments.
    assert_eq!(
        s.on_event(&event("/", r#"["message"]"#, None, &[]), None, &[]),
        [now(emit("/", r#"["message-back"]"#, &[]))]
    );
    // No ack id, no ack.
    assert!(
        s.on_event(
            &event("/", r#"["message-with-ack",1]"#, None, &[]),
            None,
            &[]
        )
        .is_empty()
    );
}

#[test]
fn engineio_protocol_echoes_messages_and_ignores_socketio_rules() {
    let s = Scenario::bundled("engineio-protocol").unwrap();
    for message in [
        EngineMessage::Text("hello".into()),
        EngineMessage::Binary(vec![1, 2, 3, 4]),
    ] {
        assert_eq!(
            s.on_message(&message),
            [now(ScenarioAction::Send(message.clone()))]
        );
    }
    let socketio = Scenario::bundled("socketio-protocol").unwrap();
    assert!(
        socketio
            .on_message(&EngineMessage::Text("x".into()))
            .is_empty()
    );
}

#[test]
fn rt2_starts_the_replay_on_chatomni_only() {
    let s = Scenario::bundled("rt2").unwrap();
    assert_eq!(
        s.on_connect("/chatomni", None, &[]).decision,
        ConnectDecision::Accept { replay: Some(true) }
    );
    assert_eq!(
        s.on_connect("/", None, &[]).decision,
        ConnectDecision::Accept {
            replay: Some(false)
        }
    );
    assert_eq!(
        s.on_connect("/other", None, &[]).decision,
        ConnectDecision::Default
    );
}

#[test]
fn first_matching_rule_wins_and_where_looks_at_arguments() {
    let s = scenario(
        r#"
        [[on_event]]
        name = "join"
        where = { path = "$[0].room", equals = "vip" }
        emit = [{ event = "welcome-vip" }]

        [[on_event]]
        name = "join"
        where = { path = "$[0].count", equals = 2.0 }
        emit = [{ event = "two" }]

        [[on_event]]
        name = "join"
        where = { path = "$[1]" }
        emit = [{ event = "has-second" }]

        [[on_event]]
        name = "*"
        namespace = "/chat"
        emit = [{ event = "anything-in-chat" }]
        "#,
    );
    let names = |data: &str, namespace: &str| -> Vec<String> {
        s.on_event(&event(namespace, data, None, &[]), None, &[])
            .into_iter()
            .map(|a| match a.action {
                ScenarioAction::Emit { data, .. } => data,
                other => panic!("{other:?}"),
            })
            .collect()
    };
    assert_eq!(
        names(r#"["join",{"room":"vip"}]"#, "/"),
        [r#"["welcome-vip"]"#]
    );
    assert_eq!(names(r#"["join",{"count":2}]"#, "/"), [r#"["two"]"#]);
    assert_eq!(
        names(r#"["join",{"room":"x"},0]"#, "/"),
        [r#"["has-second"]"#]
    );
    assert!(names(r#"["join",{"room":"x"}]"#, "/").is_empty());
    assert_eq!(
        names(r#"["join",{"room":"x"}]"#, "/chat"),
        [r#"["anything-in-chat"]"#]
    );
    assert_eq!(names(r#"["other"]"#, "/chat"), [r#"["anything-in-chat"]"#]);
    assert!(names(r#"["other"]"#, "/").is_empty());
}

#[test]
fn escaped_event_names_match_their_unescaped_rule() {
    let s = scenario("[[on_event]]\nname = \"on-events\"\nemit = [{ event = \"seen\" }]\n");
    let actions = s.on_event(&event("/", r#"["on-\u0065vents"]"#, None, &[]), None, &[]);
    assert_eq!(actions, [now(emit("/", r#"["seen"]"#, &[]))]);
}

#[test]
fn fixed_payloads_capture_frames_delays_and_disconnect() {
    let s = scenario(
        r#"
        [[on_event]]
        name = "go"
        delay_ms = 10
        ack = [{ ok = true }, 3]
        disconnect = true
        fault = "stop-pinging"

        [[on_event.emit]]
        event = "fixed"
        args = ["a", 1, 2.5, true, { nested = [1, 2] }]

        [[on_event.emit]]
        capture = { index = 1 }
        delay_ms = 20

        [[on_event.emit]]
        capture = { event = "on-events", nth = 1 }
        namespace = "/chatomni"

        [[on_event.emit]]
        capture = { index = 99 }
        "#,
    );
    let actions = s.on_event(&event("/", r#"["go"]"#, Some(7), &[]), None, &capture());
    let ms = Duration::from_millis;
    assert_eq!(
        actions,
        [
            ScheduledAction {
                delay: ms(10),
                action: emit("/", r#"["fixed","a",1,2.5,true,{"nested":[1,2]}]"#, &[]),
            },
            ScheduledAction {
                delay: ms(30),
                action: emit("/", r#"["typing",1]"#, &[]),
            },
            ScheduledAction {
                delay: ms(10),
                action: emit("/chatomni", r#"["on-events","b"]"#, &[]),
            },
            ScheduledAction {
                delay: ms(10),
                action: ScenarioAction::Ack {
                    namespace: "/".into(),
                    ack_id: 7,
                    data: r#"[{"ok":true},3]"#.into(),
                    attachments: vec![],
                },
            },
            ScheduledAction {
                delay: ms(10),
                action: ScenarioAction::Fault(FaultChange::Named(FaultName::StopPinging)),
            },
            ScheduledAction {
                delay: ms(30),
                action: ScenarioAction::Disconnect {
                    namespace: "/".into()
                },
            },
        ]
    );
}

#[test]
fn connect_rules_refuse_skip_replay_and_apply_faults() {
    let s = scenario(
        r#"
        [[on_connect]]
        namespace = "/admin"
        refuse = "Not authorized"
        emit = [{ event = "never" }]

        [[on_connect]]
        namespace = "/chatomni"
        replay = false
        fault = { latency_ms = 250 }

        [[on_connect]]
        namespace = "*"
        emit = [{ event = "hello", args = ["any"] }]
        "#,
    );
    let refused = s.on_connect("/admin", None, &[]);
    assert_eq!(
        refused.decision,
        ConnectDecision::Refuse("Not authorized".into())
    );
    assert!(refused.actions.is_empty());

    let chat = s.on_connect("/chatomni", Some("{}"), &[]);
    assert_eq!(
        chat.decision,
        ConnectDecision::Accept {
            replay: Some(false)
        }
    );
    let ScenarioAction::Fault(change) = &chat.actions[0].action else {
        panic!("{:?}", chat.actions);
    };
    let plan = change.applied_to(&FaultPlan {
        drop_after_events: Some(9),
        ..FaultPlan::default()
    });
    assert_eq!(plan.latency_ms, 250);
    assert_eq!(plan.drop_after_events, Some(9), "other faults are kept");

    let other = s.on_connect("/x", None, &[]);
    assert_eq!(other.actions, [now(emit("/x", r#"["hello","any"]"#, &[]))]);
}

#[test]
fn named_faults_fire_at_once() {
    let base = FaultPlan::default();
    let named = |name| FaultChange::Named(name).applied_to(&base);
    assert_eq!(named(FaultName::Drop).drop_after_events, Some(0));
    assert_eq!(named(FaultName::Close).close_after_events, Some(0));
    assert_eq!(
        named(FaultName::StopAnswering).stop_answering_after_events,
        Some(0)
    );
    assert!(named(FaultName::StopPinging).stop_pinging);
    assert_eq!(named(FaultName::Malformed).malformed_after_events, Some(0));
}

#[test]
fn timers_emit_with_the_join_auth() {
    let s = scenario(
        r#"
        [[timer]]
        every_ms = 1000
        namespace = "/chatomni"
        emit = [{ event = "tick", args = "auth" }, { capture = { index = 0 } }]
        "#,
    );
    assert_eq!(s.timers[0].first(), Duration::from_secs(1));
    assert_eq!(
        s.on_timer(0, Some(r#"{"t":1}"#), &capture()),
        [
            now(emit("/chatomni", r#"["tick",{"t":1}]"#, &[])),
            now(emit("/chatomni", r#"["on-events","a"]"#, &[])),
        ]
    );
    assert!(s.on_timer(1, None, &[]).is_empty());
}

#[test]
fn an_extra_engine_path_matches_with_or_without_its_slash() {
    let s = Scenario::bundled("engineio-protocol").unwrap();
    assert_eq!(s.server.path.as_deref(), Some("/engine.io/"));
    assert!(s.server.is_engine_path("/engine.io/"));
    assert!(s.server.is_engine_path("/engine.io"));
    assert!(!s.server.is_engine_path("/engine.io/x"));
    assert!(
        !Scenario::bundled("rt2")
            .unwrap()
            .server
            .is_engine_path("/engine.io/")
    );
    let s = scenario("[server]\npath = \"/rt\"\n");
    assert_eq!(s.server.path.as_deref(), Some("/rt/"));
    assert!(Scenario::from_toml("[server]\npath = \"rt\"\n", "t.toml").is_err());
}
