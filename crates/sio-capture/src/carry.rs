//! Carried values: a server-generated value that a capture's client sent back (a sid, an id
//! from an ack) is replaced, when the script is replayed, by the value the live server
//! generated in the same place.
//!
//! A capture says "the server answered `{"id":"k1"}` to my first request, then I asked for
//! `k1`". Replaying the client's frames verbatim would ask a live server for `k1`, which it has
//! never heard of. [`CarryPlan::from_records`] finds, for each client frame, the string values
//! it shares with earlier server replies (at least [`MIN_CARRIED_LEN`] characters long, so that
//! `"ok"` or `"en"` are never taken for generated), and remembers where each came from: the
//! reply's [`ReplyKey`], its rank, and the path in its value. A [`ScriptPlayer`] then holds each
//! frame back until the live server has sent that reply, and substitutes the live value.
//!
//! Only strings are carried, and only where they appear as JSON strings of the client packet
//! (not inside a string that holds JSON): replacing `"k1"` by `"k9"` in the packet's text is
//! then exact. Frames go out in the script's order; a frame waits for its values, and the
//! frames after it wait for it.
//!
//! ```
//! use sio_capture::carry::CarryPlan;
//! use sio_capture::{Direction, FrameRecord, Record};
//!
//! let capture = [
//!     (Direction::Client, r#"42/s,1["create",{}]"#),
//!     (Direction::Server, r#"43/s,1[{"id":"k1-from-capture"}]"#),
//!     (Direction::Client, r#"42/s,["open","k1-from-capture"]"#),
//! ]
//! .map(|(from, data)| Record::Frame(FrameRecord::text(0.0, 1, from, data)));
//! let plan = CarryPlan::from_records(&capture);
//! let mut player = plan.player();
//! assert_eq!(player.ready(), [r#"42/s,1["create",{}]"#]);
//! assert!(player.ready().is_empty(), "the second frame waits for the ack");
//! player.observe(r#"43/s,1[{"id":"live-42"}]"#);
//! assert_eq!(player.ready(), [r#"42/s,["open","live-42"]"#]);
//! ```

use std::collections::HashMap;
use std::fmt;

use serde_json::Value;
use sio_wire::{DecodedFrame, SocketPacketType, decode_message};

use crate::record::{Direction, FrameKind, Record};
use crate::replies::{Replies, ReplyKey, decode_reply};

/// Strings shorter than this are never taken for server-generated values.
pub const MIN_CARRIED_LEN: usize = 6;

/// One step into a reply's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// An object member.
    Member(String),
    /// An array element.
    Index(usize),
}

/// Where a carried value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The reply.
    pub reply: ReplyKey,
    /// Its rank among that key's replies, from 0.
    pub occurrence: usize,
    /// The path to the string in the reply's value.
    pub path: Vec<Step>,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} #{} $", self.reply, self.occurrence + 1)?;
        for step in &self.path {
            match step {
                Step::Member(name) => write!(f, ".{name}")?,
                Step::Index(i) => write!(f, "[{i}]")?,
            }
        }
        Ok(())
    }
}

/// A value of a client frame that came from the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Carried {
    /// The value as the capture had it.
    pub captured: String,
    /// Where the live value will be.
    pub source: Source,
}

/// A client frame and the values it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedFrame {
    /// The frame as captured.
    pub text: String,
    /// Values to replace before sending it.
    pub carried: Vec<Carried>,
}

/// The client frames of a script with what each carries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CarryPlan {
    /// The frames, in order.
    pub frames: Vec<PlannedFrame>,
}

impl CarryPlan {
    /// Frames sent as they are, carrying nothing.
    pub fn plain(frames: impl IntoIterator<Item = String>) -> Self {
        CarryPlan {
            frames: frames
                .into_iter()
                .map(|text| PlannedFrame {
                    text,
                    carried: Vec::new(),
                })
                .collect(),
        }
    }

    /// The client side of a capture's first connection (its Socket.IO packets other than
    /// CONNECT, as rt2-client's `Script::from_records` takes them) with the values each
    /// carries from earlier server replies.
    pub fn from_records<'a>(records: impl IntoIterator<Item = &'a Record>) -> Self {
        let mut seen: HashMap<String, Source> = HashMap::new();
        let mut replies = Replies::default();
        let mut plan = CarryPlan::default();
        for record in records {
            let Record::Frame(frame) = record else {
                continue;
            };
            if frame.conn != 1 || frame.kind != FrameKind::Text {
                continue;
            }
            match frame.from {
                Direction::Server => {
                    let Some(reply) = decode_reply(&frame.data) else {
                        continue;
                    };
                    let value = reply.value.clone();
                    let (key, occurrence) = replies.push(reply);
                    let mut path = Vec::new();
                    strings(&value, &mut path, &mut |text, path| {
                        if text.chars().count() >= MIN_CARRIED_LEN {
                            // The first place a value appeared is where it was generated.
                            seen.entry(text.to_owned()).or_insert_with(|| Source {
                                reply: key.clone(),
                                occurrence,
                                path: path.to_vec(),
                            });
                        }
                    });
                }
                Direction::Client => {
                    let Ok(DecodedFrame::Socket(packet)) = decode_message(&frame.data) else {
                        continue;
                    };
                    if packet.kind == SocketPacketType::Connect {
                        continue;
                    }
                    let mut carried: Vec<Carried> = Vec::new();
                    let data = packet
                        .data
                        .and_then(|raw| serde_json::from_str::<Value>(&raw.to_string()).ok());
                    if let Some(data) = data {
                        let mut path = Vec::new();
                        strings(&data, &mut path, &mut |text, _| {
                            let Some(source) = seen.get(text) else {
                                return;
                            };
                            if !carried.iter().any(|c| c.captured == text) {
                                carried.push(Carried {
                                    captured: text.to_owned(),
                                    source: source.clone(),
                                });
                            }
                        });
                    }
                    plan.frames.push(PlannedFrame {
                        text: frame.data.clone(),
                        carried,
                    });
                }
            }
        }
        plan
    }

    /// A player of this plan, at its start.
    pub fn player(&self) -> ScriptPlayer {
        ScriptPlayer {
            frames: self.frames.clone(),
            next: 0,
            replies: Replies::default(),
        }
    }

    /// How many values are carried in all.
    pub fn carried(&self) -> usize {
        self.frames.iter().map(|f| f.carried.len()).sum()
    }
}

/// Calls `found` with every string in `value` and its path.
fn strings(value: &Value, path: &mut Vec<Step>, found: &mut dyn FnMut(&str, &[Step])) {
    match value {
        Value::String(text) => found(text, path),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(Step::Index(i));
                strings(item, path, found);
                path.pop();
            }
        }
        Value::Object(map) => {
            for (name, item) in map {
                path.push(Step::Member(name.clone()));
                strings(item, path, found);
                path.pop();
            }
        }
        _ => {}
    }
}

fn value_at<'v>(value: &'v Value, path: &[Step]) -> Option<&'v Value> {
    path.iter().try_fold(value, |value, step| match step {
        Step::Member(name) => value.get(name),
        Step::Index(i) => value.get(i),
    })
}

/// Plays a [`CarryPlan`] against a live server: fed the server's frames, it releases the
/// client's frames as their carried values arrive. Sans-IO: the caller sends what
/// [`ScriptPlayer::ready`] returns.
#[derive(Debug, Clone)]
pub struct ScriptPlayer {
    frames: Vec<PlannedFrame>,
    next: usize,
    replies: Replies,
}

impl ScriptPlayer {
    /// Notes one frame from the server.
    pub fn observe(&mut self, server_frame: &str) {
        self.replies.push_frame(server_frame);
    }

    /// The frames that can go now, in order, with the live values in them.
    pub fn ready(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(frame) = self.frames.get(self.next) {
            let mut text = frame.text.clone();
            for carried in &frame.carried {
                let source = &carried.source;
                let live = self
                    .replies
                    .get(&source.reply)
                    .get(source.occurrence)
                    .and_then(|value| value_at(value, &source.path));
                match live {
                    Some(Value::String(live)) => {
                        text = text.replace(
                            &Value::from(carried.captured.as_str()).to_string(),
                            &Value::from(live.as_str()).to_string(),
                        );
                    }
                    // Not there yet. (A value there of another type never will be a string:
                    // the frame waits, and the session's limits end it; the caller reports
                    // what was left waiting.)
                    _ => return out,
                }
            }
            out.push(text);
            self.next += 1;
        }
        out
    }

    /// The first frame still waiting, and the value it waits for, if any.
    pub fn waiting(&self) -> Option<(&PlannedFrame, &Carried)> {
        let frame = self.frames.get(self.next)?;
        let carried = frame.carried.iter().find(|c| {
            let source = &c.source;
            !matches!(
                self.replies
                    .get(&source.reply)
                    .get(source.occurrence)
                    .and_then(|value| value_at(value, &source.path)),
                Some(Value::String(_))
            )
        })?;
        Some((frame, carried))
    }

    /// How many frames have not been released.
    pub fn unsent(&self) -> usize {
        self.frames.len() - self.next
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FrameRecord;
    use crate::replies::ReplyKind;

    fn capture(frames: &[(Direction, &str)]) -> Vec<Record> {
        frames
            .iter()
            .map(|(from, data)| Record::Frame(FrameRecord::text(0.0, 1, *from, *data)))
            .collect()
    }

    #[test]
    fn a_sid_and_an_ack_id_are_carried_from_where_they_first_appeared() {
        use Direction::{Client, Server};
        let plan = CarryPlan::from_records(&capture(&[
            (
                Server,
                r#"0{"sid":"engine-sid-1","upgrades":[],"pingInterval":25000,"pingTimeout":20000}"#,
            ),
            (Client, r#"40/s,{"token":"t"}"#),
            (Server, r#"40/s,{"sid":"socket-sid-1"}"#),
            (Client, r#"42/s,1["create",{"owner":"socket-sid-1"}]"#),
            (
                Server,
                r#"43/s,1[{"id":"room-1234","owner":"socket-sid-1"}]"#,
            ),
            (Client, r#"42/s,["join","room-1234","short"]"#),
        ]));
        assert_eq!(plan.frames.len(), 2, "the CONNECT is the session's");
        assert_eq!(plan.carried(), 2);
        let sid = &plan.frames[0].carried[0];
        assert_eq!(sid.captured, "socket-sid-1");
        assert_eq!(sid.source.to_string(), "/s CONNECT #1 $.sid");
        let room = &plan.frames[1].carried[0];
        assert_eq!(room.source.reply, ReplyKey::new("/s", ReplyKind::Ack(1)));
        assert_eq!(room.source.to_string(), "/s ACK 1 #1 $[0].id");

        let mut player = plan.player();
        assert!(player.ready().is_empty());
        assert_eq!(player.waiting().unwrap().1.captured, "socket-sid-1");
        // An unrelated event changes nothing.
        player.observe(r#"42/s,["news",{"sid":"nope"}]"#);
        assert!(player.ready().is_empty());
        player.observe(r#"40/s,{"sid":"LIVE-SID"}"#);
        assert_eq!(player.ready(), [r#"42/s,1["create",{"owner":"LIVE-SID"}]"#]);
        assert_eq!(player.unsent(), 1);
        player.observe(r#"43/s,1[{"id":"LIVE-ROOM","owner":"LIVE-SID"}]"#);
        assert_eq!(player.ready(), [r#"42/s,["join","LIVE-ROOM","short"]"#]);
        assert_eq!(player.unsent(), 0);
        assert!(player.waiting().is_none());
    }

    #[test]
    fn a_plain_plan_releases_everything_at_once() {
        let mut player = CarryPlan::plain(["a".to_owned(), "b".to_owned()]).player();
        assert_eq!(player.ready(), ["a", "b"]);
        assert!(player.ready().is_empty());
    }

    #[test]
    fn a_source_that_turns_out_not_a_string_keeps_the_frame_waiting() {
        use Direction::{Client, Server};
        let plan = CarryPlan::from_records(&capture(&[
            (Server, r#"40/s,{"sid":"socket-sid-1"}"#),
            (Client, r#"42/s,["hello","socket-sid-1"]"#),
        ]));
        let mut player = plan.player();
        player.observe(r#"40/s,{"sid":12345678}"#);
        assert!(player.ready().is_empty());
        assert_eq!(player.unsent(), 1);
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            /// Replaying a capture against the very replies it holds sends its client frames
            /// unchanged, all of them, whatever the values.
            #[test]
            fn replaying_the_captured_replies_gives_the_captured_frames(
                ids in prop::collection::vec("[a-z0-9]{6,10}", 1..5),
            ) {
                let mut frames = Vec::new();
                for (i, id) in ids.iter().enumerate() {
                    frames.push((Direction::Client, format!(r#"42/s,{i}["make"]"#)));
                    frames.push((Direction::Server, format!(r#"43/s,{i}[{{"id":"{id}"}}]"#)));
                    frames.push((Direction::Client, format!(r#"42/s,["use","{id}"]"#)));
                }
                let records: Vec<Record> = frames
                    .iter()
                    .map(|(from, data)| Record::Frame(FrameRecord::text(0.0, 1, *from, data.as_str())))
                    .collect();
                let plan = CarryPlan::from_records(&records);
                let mut player = plan.player();
                let mut sent = player.ready();
                for (from, data) in &frames {
                    if *from == Direction::Server {
                        player.observe(data);
                        sent.extend(player.ready());
                    }
                }
                let client: Vec<&str> = frames
                    .iter()
                    .filter(|(from, _)| *from == Direction::Client)
                    .map(|(_, data)| data.as_str())
                    .collect();
                prop_assert_eq!(sent, client);
            }
        }
    }
}
