//! Chat events as rt-2 writes them.
//!
//! The generated payloads carry more than `tpos-chat` reads: Facebook's comment fields
//! (`can_hide`, `message_tags`, ...), `ContentType`, `ChannelCreatedTime`. Real payloads carry
//! them too, and a decoder that skips unknown fields must be measured skipping them. So the
//! payloads are written from the serialize-only structs below, shaped like the payloads TPOS's
//! clients are known to receive, and `tpos-chat` reads them back in the tests.

use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use tpos_chat::{NAMESPACE, ON_EVENTS, ON_MESSAGE, encode_json_string};

use crate::clock::{MILLI, Micros, SECOND, local_millis, local_seconds, utc_millis};
use crate::vocabulary::{
    CUSTOMER_NAMES, INBOX_MESSAGES, LIVE_COMMENTS, SHOP_LINES, SHOP_OPENINGS, ZALO_MESSAGES,
};
use crate::world::{LiveVideoSpec, PAGE_ID, PAGE_NAME, ZALO_CHANNEL_ID, digits, hex};

/// The seed's example payload (`../shared/seeds/000_0e2dc462fd92e87f.txt`), compact, with
/// `EventName` inside `Message` where the seed shows it.
pub const SEED_EVENT_JSON: &str = r#"{"Conversation":{"Id":"689763acb11cca3c0b168e77","ChannelType":4,"ChannelId":"1479019015501919","UserId":"3430680146979574","Name":"Thảo Tây","UpdatedTime":"2026-01-07T13:30:51.329Z"},"Message":{"Id":"695e60057b7c8059540ed555","Message":"Nu","MessageType":12,"Data":{"message":"Nu","created_time":"2026-01-07T20:30:45+07:00","from":{"id":"3430680146979574","name":"Thảo Tây"}},"EventName":"chatomni.on-message"}}"#;

/// When the seed's conversation was updated (its `UpdatedTime`), in microseconds.
pub(crate) const SEED_EVENT_TIME: Micros = 1_767_792_651 * SECOND + 329 * MILLI;

/// The middle bytes of rt-2's message ids (a MongoDB ObjectId's per-process random part), as
/// in the seed's `695e6005 7b7c805954 0ed555`.
const MESSAGE_ID_PROCESS: &str = "7b7c805954";

/// The counter of the seed's message id; later ids count up from it.
const SEED_MESSAGE_COUNTER: u32 = 0x0e_d555;

/// `42/chatomni,["on-events",<payload as a JSON string>]`.
pub fn on_events_frame(payload_json: &str) -> String {
    let literal = encode_json_string(payload_json);
    let mut frame = String::with_capacity(literal.len() + 32);
    frame.push_str("42");
    frame.push_str(NAMESPACE);
    frame.push_str(",[\"");
    frame.push_str(ON_EVENTS);
    frame.push_str("\",");
    frame.push_str(&literal);
    frame.push(']');
    frame
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Channel {
    FacebookPage,
    Zalo,
}

#[derive(Debug, Clone)]
struct Customer {
    conversation_id: String,
    channel: Channel,
    user_id: String,
    name: &'static str,
    has_phone: bool,
    has_address: bool,
}

/// What kind of event to make next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EventKind {
    /// A comment on the live video.
    LiveComment,
    /// A customer's private message on Facebook.
    FacebookInbox,
    /// The shop's (long, multi-line) reply on Facebook.
    ShopReply,
    /// A message on Zalo.
    Zalo,
    /// A conversation update without a message.
    ConversationUpdate,
}

/// Where a message event's `EventName` goes.
///
/// The one real payload known (the seed's verbatim JSON) has it inside `Message`; some of TPOS's
/// client code reads it at the top level, so a generator of test traffic offers both. A
/// conversation update has no `Message`, so its `EventName` is at the top level either way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum EventNamePlacement {
    /// `{"Conversation":…,"Message":{…,"EventName":"chatomni.on-message"}}`, as the seed shows
    /// it. The default, and what the bundled captures hold.
    #[default]
    InMessage,
    /// `{"Conversation":…,"Message":{…},"EventName":"chatomni.on-message"}`: the variant, for
    /// testing readers that must accept both.
    TopLevel,
}

/// Makes realistic `on-events` payloads, one at a time, deterministically from a seed.
#[derive(Debug)]
pub(crate) struct EventFactory {
    rng: ChaCha8Rng,
    customers: Vec<Customer>,
    live: LiveVideoSpec,
    counter: u32,
    placement: EventNamePlacement,
}

impl EventFactory {
    /// A factory whose comments go to `live`.
    pub(crate) fn new(seed: u64, live: LiveVideoSpec) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        // The seed's customer keeps writing on Zalo after her first message.
        let seed_customer = Customer {
            conversation_id: "689763acb11cca3c0b168e77".to_owned(),
            channel: Channel::Zalo,
            user_id: "3430680146979574".to_owned(),
            name: "Thảo Tây",
            has_phone: false,
            has_address: false,
        };
        let others = CUSTOMER_NAMES.iter().enumerate().map(|(i, name)| {
            let channel = if i % 4 == 3 {
                Channel::Zalo
            } else {
                Channel::FacebookPage
            };
            // Conversations were opened some time in 2025: the ObjectId's first four bytes
            // are that time.
            let opened = 1_740_000_000 + rng.random_range(0..25_000_000u32);
            Customer {
                conversation_id: format!("{opened:08x}{}", hex(&mut rng, 16)),
                channel,
                user_id: digits(&mut rng, if channel == Channel::Zalo { 19 } else { 16 }),
                name,
                has_phone: rng.random_bool(0.6),
                has_address: rng.random_bool(0.4),
            }
        });
        let customers = std::iter::once(seed_customer).chain(others).collect();
        Self {
            rng,
            customers,
            live,
            counter: SEED_MESSAGE_COUNTER,
            placement: EventNamePlacement::default(),
        }
    }

    /// The same factory, putting message events' `EventName` where `placement` says.
    pub(crate) fn with_placement(mut self, placement: EventNamePlacement) -> Self {
        self.placement = placement;
        self
    }

    /// Picks the next event kind with the mix of a busy live-selling evening.
    pub(crate) fn pick_kind(&mut self) -> EventKind {
        match self.rng.random_range(0..100u32) {
            0..55 => EventKind::LiveComment,
            55..67 => EventKind::FacebookInbox,
            67..75 => EventKind::ShopReply,
            75..97 => EventKind::Zalo,
            _ => EventKind::ConversationUpdate,
        }
    }

    /// The inner JSON of an event of `kind` that reaches the client at `t`.
    pub(crate) fn event_json(&mut self, kind: EventKind, t: Micros) -> String {
        // rt-2 stamps the conversation a few milliseconds before delivery; the channel saw the
        // message a few seconds before that.
        let updated = t - self.rng.random_range(20..140) * MILLI - self.rng.random_range(0..1000);
        let stored = updated - self.rng.random_range(5..40) * MILLI;
        let seen = stored - self.rng.random_range(1..7) * SECOND;
        let channel = match kind {
            EventKind::Zalo => Channel::Zalo,
            _ => Channel::FacebookPage,
        };
        let customer = self.pick_customer(channel);
        let object_id = (kind == EventKind::LiveComment).then(|| self.live.object_id());
        let conversation = WireConversation {
            id: customer.conversation_id.clone(),
            channel_type: channel_code(channel),
            channel_id: channel_id(channel).to_owned(),
            user_id: customer.user_id.clone(),
            name: customer.name.to_owned(),
            has_phone: customer.has_phone || kind == EventKind::ConversationUpdate,
            has_address: customer.has_address,
            updated_time: utc_millis(updated),
            object_id: object_id.clone(),
        };
        if kind == EventKind::ConversationUpdate {
            let event = WireEvent {
                conversation,
                message: None,
                event_name: Some("chatomni.on-update"),
            };
            return to_json(&event);
        }
        let (text, message_type, is_owner) = match kind {
            EventKind::LiveComment => (self.pick(LIVE_COMMENTS).to_owned(), 12, false),
            EventKind::FacebookInbox => (self.pick(INBOX_MESSAGES).to_owned(), 11, false),
            EventKind::ShopReply => (self.shop_reply(), 11, true),
            _ => (self.pick(ZALO_MESSAGES).to_owned(), 12, false),
        };
        let from = if is_owner {
            WireFrom {
                id: PAGE_ID.to_owned(),
                name: PAGE_NAME.to_owned(),
                uid: None,
            }
        } else {
            WireFrom {
                id: customer.user_id.clone(),
                name: customer.name.to_owned(),
                uid: None,
            }
        };
        let data = match kind {
            EventKind::LiveComment => WireData::Comment(self.comment_data(&text, seen, from)),
            EventKind::Zalo => WireData::Plain(WirePlainData {
                id: hex(&mut self.rng, 32),
                message: text.clone(),
                created_time: local_seconds(seen),
                from,
                attachments: None,
            }),
            _ => WireData::Plain(WirePlainData {
                id: format!("m_{}", self.base64url(36)),
                message: text.clone(),
                created_time: local_seconds(seen),
                from,
                attachments: None,
            }),
        };
        let message = WireMessage {
            id: self.message_id(stored),
            channel_type: channel_code(channel),
            channel_id: channel_id(channel).to_owned(),
            user_id: customer.user_id.clone(),
            message: text,
            message_type,
            content_type: None,
            object_id,
            parent_id: None,
            is_owner,
            created_time: local_millis(stored),
            channel_created_time: local_seconds(seen),
            data,
            event_name: (self.placement == EventNamePlacement::InMessage).then_some(ON_MESSAGE),
        };
        to_json(&WireEvent {
            conversation,
            message: Some(message),
            event_name: (self.placement == EventNamePlacement::TopLevel).then_some(ON_MESSAGE),
        })
    }

    fn pick(&mut self, words: &'static [&'static str]) -> &'static str {
        words.choose(&mut self.rng).copied().unwrap_or_default()
    }

    fn pick_customer(&mut self, channel: Channel) -> Customer {
        let candidates: Vec<&Customer> = self
            .customers
            .iter()
            .filter(|c| c.channel == channel)
            .collect();
        // A few regulars write most of the messages: favour the first customers of the list.
        let a = self.rng.random_range(0..candidates.len());
        let b = self.rng.random_range(0..candidates.len());
        candidates[a.min(b)].clone()
    }

    fn shop_reply(&mut self) -> String {
        let mut text = self.pick(SHOP_OPENINGS).to_owned();
        let lines = self.rng.random_range(1..=7);
        for _ in 0..lines {
            text.push('\n');
            text.push_str(self.pick(SHOP_LINES));
        }
        text
    }

    fn comment_data(&mut self, text: &str, seen: Micros, from: WireFrom) -> WireCommentData {
        let object = WireId {
            id: self.live.object_id(),
        };
        WireCommentData {
            id: format!("{}_{}", self.live.post_id, digits(&mut self.rng, 16)),
            parent: object.clone(),
            is_hidden: false,
            can_hide: false,
            can_remove: false,
            can_like: false,
            can_reply_privately: false,
            comment_count: 0,
            message: text.to_owned(),
            user_likes: false,
            created_time: local_seconds(seen),
            object,
            from,
            comments: None,
            attachment: None,
            message_tags: Vec::new(),
            status: 0,
        }
    }

    /// A MongoDB-style ObjectId: four bytes of time, the process bytes, a rising counter.
    fn message_id(&mut self, stored: Micros) -> String {
        self.counter = (self.counter + self.rng.random_range(1..48)) & 0xff_ffff;
        format!(
            "{:08x}{MESSAGE_ID_PROCESS}{:06x}",
            stored / SECOND,
            self.counter
        )
    }

    fn base64url(&mut self, len: usize) -> String {
        const ALPHABET: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        (0..len)
            .map(|_| char::from(ALPHABET[self.rng.random_range(0..64usize)]))
            .collect()
    }
}

fn channel_code(channel: Channel) -> i64 {
    match channel {
        Channel::FacebookPage => 1,
        Channel::Zalo => 4,
    }
}

fn channel_id(channel: Channel) -> &'static str {
    match channel {
        Channel::FacebookPage => PAGE_ID,
        Channel::Zalo => ZALO_CHANNEL_ID,
    }
}

fn to_json<T: Serialize>(value: &T) -> String {
    // Structs of strings, numbers, bools and nulls always serialize.
    serde_json::to_string(value).unwrap_or_default()
}

/// Checks that `frame` is an `on-events` frame whose payload `tpos-chat` decodes.
#[cfg(test)]
pub(crate) fn decodes(decoder: &mut tpos_chat::EventDecoder, frame: &str) -> bool {
    let Some(args) = frame.strip_prefix("42/chatomni,") else {
        return false;
    };
    decoder.decode_args(args).is_ok()
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct WireEvent {
    conversation: WireConversation,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<WireMessage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    event_name: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct WireConversation {
    id: String,
    channel_type: i64,
    channel_id: String,
    user_id: String,
    name: String,
    has_phone: bool,
    has_address: bool,
    updated_time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    object_id: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct WireMessage {
    id: String,
    channel_type: i64,
    channel_id: String,
    user_id: String,
    message: String,
    message_type: i64,
    content_type: Option<String>,
    object_id: Option<String>,
    parent_id: Option<String>,
    is_owner: bool,
    created_time: String,
    channel_created_time: String,
    data: WireData,
    #[serde(skip_serializing_if = "Option::is_none")]
    event_name: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum WireData {
    Comment(WireCommentData),
    Plain(WirePlainData),
}

#[derive(Serialize)]
struct WireCommentData {
    id: String,
    parent: WireId,
    is_hidden: bool,
    can_hide: bool,
    can_remove: bool,
    can_like: bool,
    can_reply_privately: bool,
    comment_count: u32,
    message: String,
    user_likes: bool,
    created_time: String,
    object: WireId,
    from: WireFrom,
    comments: Option<()>,
    attachment: Option<()>,
    message_tags: Vec<()>,
    status: u32,
}

#[derive(Serialize)]
struct WirePlainData {
    id: String,
    message: String,
    created_time: String,
    from: WireFrom,
    attachments: Option<()>,
}

#[derive(Serialize, Clone)]
struct WireId {
    id: String,
}

#[derive(Serialize)]
struct WireFrom {
    id: String,
    name: String,
    uid: Option<()>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::live_videos;
    use tpos_chat::{ChannelType, EventDecoder, MessageType, decode_event_json};

    #[test]
    fn the_seed_payload_is_the_seeds_example() {
        let e = decode_event_json(SEED_EVENT_JSON).unwrap();
        let c = e.conversation.as_ref().unwrap();
        assert_eq!(c.name.as_deref(), Some("Thảo Tây"));
        assert_eq!(c.channel_type, ChannelType::Zalo);
        assert_eq!(
            c.updated_time.as_deref(),
            Some(&*utc_millis(SEED_EVENT_TIME))
        );
        let m = e.message.as_ref().unwrap();
        assert_eq!(m.text.as_deref(), Some("Nu"));
        // The message id's time bytes are the message's time, as in every MongoDB ObjectId.
        assert_eq!(&m.id[..8], "695e6005");
        assert_eq!(
            m.data.as_ref().unwrap().created_time.as_deref(),
            Some("2026-01-07T20:30:45+07:00")
        );
    }

    #[test]
    fn every_kind_of_event_decodes_with_tpos_chat() {
        let live = live_videos(1).remove(0);
        let mut factory = EventFactory::new(1, live.clone());
        let mut decoder = EventDecoder::new();
        let kinds = [
            EventKind::LiveComment,
            EventKind::FacebookInbox,
            EventKind::ShopReply,
            EventKind::Zalo,
            EventKind::ConversationUpdate,
        ];
        for (i, kind) in kinds.into_iter().enumerate() {
            let t = SEED_EVENT_TIME + i as i64 * SECOND;
            let json = factory.event_json(kind, t);
            let frame = on_events_frame(&json);
            assert!(decodes(&mut decoder, &frame), "{frame}");
            let e = decode_event_json(&json).unwrap();
            let c = e.conversation.as_ref().unwrap();
            match kind {
                EventKind::LiveComment => {
                    assert_eq!(c.channel_type, ChannelType::Facebook);
                    assert_eq!(c.channel_id, PAGE_ID);
                    assert_eq!(e.object_id(), Some(&*live.object_id()));
                    assert_eq!(e.message.as_ref().unwrap().message_type, MessageType::Text);
                }
                EventKind::ShopReply => {
                    let m = e.message.as_ref().unwrap();
                    assert_eq!(m.is_owner, Some(true));
                    assert_eq!(m.message_type, MessageType::FacebookMessage);
                    assert!(m.text.as_deref().unwrap().contains('\n'));
                }
                EventKind::Zalo => {
                    assert_eq!(c.channel_type, ChannelType::Zalo);
                    assert_eq!(c.channel_id, ZALO_CHANNEL_ID);
                    assert_eq!(e.object_id(), None);
                }
                EventKind::ConversationUpdate => {
                    assert!(e.message.is_none());
                    assert_eq!(e.event_name(), Some("chatomni.on-update"));
                }
                EventKind::FacebookInbox => {
                    assert_eq!(e.object_id(), None);
                    assert_eq!(e.message.as_ref().unwrap().is_owner, Some(false));
                }
            }
        }
    }

    #[test]
    fn event_name_sits_inside_message_by_default_and_at_the_top_level_in_the_variant() {
        let live = live_videos(2).remove(0);
        let mut decoder = EventDecoder::new();
        for placement in [EventNamePlacement::InMessage, EventNamePlacement::TopLevel] {
            let mut factory = EventFactory::new(2, live.clone()).with_placement(placement);
            for kind in [
                EventKind::LiveComment,
                EventKind::Zalo,
                EventKind::ShopReply,
            ] {
                let json = factory.event_json(kind, SEED_EVENT_TIME);
                let value: serde_json::Value = serde_json::from_str(&json).unwrap();
                let top = value.get("EventName");
                let inside = value["Message"].get("EventName");
                let (expected_top, expected_inside) = match placement {
                    EventNamePlacement::InMessage => (None, Some(ON_MESSAGE)),
                    EventNamePlacement::TopLevel => (Some(ON_MESSAGE), None),
                };
                assert_eq!(top.and_then(|v| v.as_str()), expected_top, "{json}");
                assert_eq!(inside.and_then(|v| v.as_str()), expected_inside, "{json}");
                // tpos-chat reads either shape to the same name.
                let frame = on_events_frame(&json);
                let args = frame.strip_prefix("42/chatomni,").unwrap();
                let e = decoder.decode_args(args).unwrap();
                assert!(e.is_message(), "{json}");
            }
            // An update has no Message to hold the name: top level whatever the placement.
            let update = factory.event_json(EventKind::ConversationUpdate, SEED_EVENT_TIME);
            assert!(
                update.contains(r#""EventName":"chatomni.on-update""#),
                "{update}"
            );
        }
    }

    #[test]
    fn message_ids_rise_and_carry_their_time() {
        let mut factory = EventFactory::new(3, live_videos(3).remove(0));
        let a = factory.message_id(SEED_EVENT_TIME);
        let b = factory.message_id(SEED_EVENT_TIME);
        assert_eq!(a.len(), 24);
        assert!(a < b, "{a} {b}");
        assert!(a.starts_with("695e600b7b7c805954"), "{a}");
    }
}
