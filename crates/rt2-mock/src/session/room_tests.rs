//! A live room's fast path with whole sessions in memory (paused time): which members the
//! room writes to itself, that they get the bytes the session's own path sends, and that
//! what the room sends counts where the session's sends count.

use std::sync::Arc;
use std::time::Duration;

use futures_util::SinkExt;
use sio_session::TransportKind;
use tokio_tungstenite::tungstenite::Message;

use super::tests::{Client, chat_capture, connect_with, join, next_text, state};
use crate::fault::FaultPlan;
use crate::session::messages::{PollAnswer, SessionCommand, SessionInput};
use crate::session::open_session;
use crate::stamp::RoomEvent;
use crate::state::ServerState;
use crate::{MockConfig, Pace, ReplayMode};

const ROOM: &str = "tomato.tpos.vn";

fn live_config(pace: f64, repeat: bool) -> MockConfig {
    let mut config = MockConfig {
        capture: Some(chat_capture()),
        ..MockConfig::default()
    };
    config.replay.mode = ReplayMode::Live;
    config.replay.pace = Pace::Scaled(pace);
    config.replay.repeat = repeat;
    config.session.ping_interval = Duration::from_secs(3600);
    config
}

/// Lets every task run until nothing moves (time is paused: a sleep is only a turn).
async fn settle() {
    tokio::time::sleep(Duration::from_millis(5)).await;
}

async fn set_faults(state: &Arc<ServerState>, sid: &str, plan: FaultPlan) {
    let command = SessionCommand::SetFaults(Box::new(plan));
    state
        .hub
        .get(sid)
        .unwrap()
        .commands
        .send(Box::new(SessionInput::Command(command)))
        .await
        .unwrap();
}

/// The next frame carrying event `name`, skipping the capture's events the room also sends.
async fn next_named(client: &mut Client, name: &str) -> String {
    let prefix = format!("42/chatomni,[\"{name}\"");
    loop {
        let frame = next_text(client).await.expect("the connection stays open");
        if frame.starts_with(&prefix) {
            return frame;
        }
    }
}

fn fast_members(state: &ServerState) -> usize {
    state.hub.live_room(ROOM).map_or(0, |room| room.fast_len())
}

#[tokio::test(start_paused = true)]
async fn fast_members_get_the_bytes_the_session_path_sends_stamped_or_not() {
    // The capture's own events come slowly; the test sends its own into the room.
    let state = state(live_config(0.001, false));
    let mut clients = Vec::new();
    for stamps in [false, true, false, true] {
        let (mut client, sid) = connect_with(&state, 1 << 20, stamps).await;
        join(&mut client).await;
        clients.push((client, sid));
    }
    settle().await;
    assert_eq!(fast_members(&state), 4, "every joined WebSocket member");
    // A fault in force (a latency of 1 ms changes no byte) keeps the last two on the session's
    // path: their frames are what `emit` encodes, as before the fast path.
    for (_, sid) in &clients[2..] {
        let plan = FaultPlan {
            latency_ms: 1,
            ..FaultPlan::default()
        };
        set_faults(&state, sid, plan).await;
    }
    settle().await;
    assert_eq!(fast_members(&state), 2);
    let room = state.hub.live_room(ROOM).unwrap();
    for n in 0..5 {
        let data = format!(r#"["room-test",{n},"{{\"é\":\"x\"}}"]"#);
        let event = RoomEvent::now(data.as_str().into());
        let stamped = event.stamped.clone().unwrap();
        assert_eq!(
            room.send(event),
            2,
            "written by the room to the two fast members"
        );
        let plain = format!("42/chatomni,{data}");
        let stamped = format!("42/chatomni,{stamped}");
        let mut got = Vec::new();
        for (client, _) in &mut clients {
            got.push(next_named(client, "room-test").await);
        }
        assert_eq!(got, [&plain, &stamped, &plain, &stamped].map(String::clone));
    }
    // The fault lifted, the members come back to the fast path.
    for (_, sid) in &clients[2..] {
        set_faults(&state, sid, FaultPlan::default()).await;
    }
    settle().await;
    assert_eq!(fast_members(&state), 4);
}

#[tokio::test(start_paused = true)]
async fn what_the_room_writes_counts_in_reports_stats_and_fault_thresholds() {
    // The whole capture once, quickly; one member is cut by a threshold that counts the
    // events the room wrote before the fault was set.
    let state = state(live_config(1000.0, false));
    let (mut counted, counted_sid) = connect_with(&state, 1 << 20, false).await;
    join(&mut counted).await;
    let (mut cut, cut_sid) = connect_with(&state, 1 << 20, true).await;
    join(&mut cut).await;
    settle().await;
    assert_eq!(fast_members(&state), 2);
    let mut cut_received = 0;
    while cut_received < 3 {
        if next_text(&mut cut)
            .await
            .unwrap()
            .starts_with("42/chatomni,")
        {
            cut_received += 1;
        }
    }
    let threshold = state.hub.report(&cut_sid).unwrap().events_sent + 4;
    let plan = FaultPlan {
        drop_after_events: Some(threshold),
        ..FaultPlan::default()
    };
    set_faults(&state, &cut_sid, plan).await;
    while let Some(frame) = next_text(&mut cut).await {
        if frame.starts_with("42/chatomni,") {
            cut_received += 1;
        }
    }
    assert_eq!(
        cut_received, threshold,
        "the threshold counts what the room wrote"
    );
    // The other member reads to the end of the timeline (then nothing comes for an hour).
    let mut received = 0;
    while let Ok(Some(frame)) =
        tokio::time::timeout(Duration::from_secs(600), next_text(&mut counted)).await
    {
        if frame.starts_with("42/chatomni,") {
            received += 1;
        }
    }
    assert!(received > 10, "{received}");
    let report = state.hub.report(&counted_sid).unwrap();
    assert_eq!(report.events_sent, received, "the admin API's count");
    let stats = state.hub.stats();
    assert_eq!(
        stats.events_sent,
        received + threshold,
        "the server's count"
    );
    counted.send(Message::Close(None)).await.unwrap();
}

/// One long-polling `GET` of session `inputs`: the body it is answered with.
async fn poll(inputs: &tokio::sync::mpsc::Sender<Box<SessionInput>>) -> String {
    let (reply, answer) = tokio::sync::oneshot::channel();
    inputs
        .send(Box::new(SessionInput::PollGet { reply }))
        .await
        .unwrap();
    match answer.await.unwrap() {
        PollAnswer::Body { body, .. } => body,
        other => panic!("expected a body, got {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn a_long_polling_member_gets_the_same_bytes_through_its_session() {
    let state = state(live_config(0.001, false));
    let (mut websocket, _) = connect_with(&state, 1 << 20, true).await;
    join(&mut websocket).await;
    let (_, inputs) = open_session(
        &state,
        TransportKind::Polling,
        Some(ROOM),
        true,
        "127.0.0.1:9".parse().unwrap(),
        &http::Uri::from_static("/socket.io/"),
        None,
    )
    .unwrap();
    assert!(poll(&inputs).await.starts_with("0{"));
    let (reply, answer) = tokio::sync::oneshot::channel();
    inputs
        .send(Box::new(SessionInput::PostBegin { reply }))
        .await
        .unwrap();
    answer.await.unwrap().unwrap();
    let (reply, answer) = tokio::sync::oneshot::channel();
    let body = bytes::Bytes::from_static(br#"40/chatomni,{"token":"x"}"#);
    inputs
        .send(Box::new(SessionInput::PostBody { body, reply }))
        .await
        .unwrap();
    answer.await.unwrap().unwrap();
    assert!(poll(&inputs).await.starts_with("40/chatomni,"));
    settle().await;
    assert_eq!(fast_members(&state), 1, "the WebSocket member only");
    let room = state.hub.live_room(ROOM).unwrap();
    let event = RoomEvent::now(r#"["room-test",1]"#.into());
    let expected = format!("42/chatomni,{}", event.stamped.clone().unwrap());
    assert_eq!(room.send(event), 1);
    assert_eq!(next_named(&mut websocket, "room-test").await, expected);
    let polled = loop {
        let body = poll(&inputs).await;
        if let Some(packet) = body
            .split('\x1e')
            .find(|packet| packet.starts_with("42/chatomni,[\"room-test\""))
        {
            break packet.to_owned();
        }
    };
    assert_eq!(polled, expected);
    assert_eq!(fast_members(&state), 1);
}
