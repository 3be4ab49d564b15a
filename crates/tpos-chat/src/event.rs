//! The `on-events` payload: Conversation, Message and EventName.
//!
//! rt-2 emits `42/chatomni,["on-events","<JSON text>"]`: the event's one argument is a JSON
//! string whose content is another JSON document. [`EventDecoder`] reads the inner document
//! in its escaped form, straight from the frame, into structs whose text fields borrow from the
//! frame (the fast path in `escaped.rs`). When that path gives up (an outer escape rt-2 never
//! writes, or any error) it undoes the outer string into a scratch buffer it keeps between
//! calls and reads the inner document from there with serde_json, which also produces the
//! error messages. Either way a field allocates only when its inner JSON text has an escape of
//! its own (a `\n` in a message, say).
//!
//! Unknown fields are skipped, so rt-2 may add fields without breaking anything. Required fields
//! are few: `Conversation.Id`, `Conversation.ChannelType`, `Conversation.ChannelId`,
//! `Message.Id`, `Message.MessageType`, `Message.Data.from.id`, an `EventName` (at the top level
//! or inside `Message`, where the seed saw it), and, for `chatomni.on-message` events, the
//! `Conversation` and the `Message` themselves.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use sio_wire::socket::SocketPacketType;
use sio_wire::{DecodedFrame, decode_message};

use crate::borrowed::{option_cow, own, own_opt};
use crate::error::from_json;
use crate::escaped::decode_escaped;
use crate::json_string::unescape_json_string;
use crate::{ChannelType, Error, MessageType};

/// The Socket.IO namespace rt-2's chat lives in.
pub const NAMESPACE: &str = "/chatomni";

/// The Socket.IO event name that carries every chat payload.
pub const ON_EVENTS: &str = "on-events";

/// The `EventName` of a new message (the only kind the seed observed).
pub const ON_MESSAGE: &str = "chatomni.on-message";

/// One decoded `on-events` payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnEvent<'a> {
    /// The conversation the event belongs to.
    #[serde(
        rename = "Conversation",
        borrow,
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub conversation: Option<Conversation<'a>>,
    /// The message, for message events.
    #[serde(
        rename = "Message",
        borrow,
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub message: Option<Message<'a>>,
    /// The top-level `EventName`. See [`OnEvent::event_name`], which also looks inside `Message`.
    #[serde(
        rename = "EventName",
        borrow,
        default,
        deserialize_with = "option_cow",
        skip_serializing_if = "Option::is_none"
    )]
    pub event_name: Option<Cow<'a, str>>,
}

/// A conversation: one customer on one channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversation<'a> {
    /// rt-2's id of the conversation (24 hex digits).
    #[serde(rename = "Id", borrow)]
    pub id: Cow<'a, str>,
    /// The channel kind.
    #[serde(rename = "ChannelType")]
    pub channel_type: ChannelType,
    /// The channel: the Facebook page id or the Zalo account id.
    #[serde(rename = "ChannelId", borrow)]
    pub channel_id: Cow<'a, str>,
    /// The customer's id on the channel.
    #[serde(
        rename = "UserId",
        borrow,
        default,
        deserialize_with = "option_cow",
        skip_serializing_if = "Option::is_none"
    )]
    pub user_id: Option<Cow<'a, str>>,
    /// The customer's display name.
    #[serde(
        rename = "Name",
        borrow,
        default,
        deserialize_with = "option_cow",
        skip_serializing_if = "Option::is_none"
    )]
    pub name: Option<Cow<'a, str>>,
    /// Whether TPOS knows the customer's phone number.
    #[serde(rename = "HasPhone", default, skip_serializing_if = "Option::is_none")]
    pub has_phone: Option<bool>,
    /// Whether TPOS knows the customer's address.
    #[serde(
        rename = "HasAddress",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub has_address: Option<bool>,
    /// When the conversation last changed, ISO-8601 in UTC (e.g. `2026-01-07T13:30:51.329Z`).
    #[serde(
        rename = "UpdatedTime",
        borrow,
        default,
        deserialize_with = "option_cow",
        skip_serializing_if = "Option::is_none"
    )]
    pub updated_time: Option<Cow<'a, str>>,
    /// The object (post, live video) the conversation is about, when there is one.
    #[serde(
        rename = "ObjectId",
        borrow,
        default,
        deserialize_with = "option_cow",
        skip_serializing_if = "Option::is_none"
    )]
    pub object_id: Option<Cow<'a, str>>,
}

/// A message in a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message<'a> {
    /// rt-2's id of the message (24 hex digits).
    #[serde(rename = "Id", borrow)]
    pub id: Cow<'a, str>,
    /// The channel kind, when repeated on the message.
    #[serde(
        rename = "ChannelType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub channel_type: Option<ChannelType>,
    /// The channel id, when repeated on the message.
    #[serde(
        rename = "ChannelId",
        borrow,
        default,
        deserialize_with = "option_cow",
        skip_serializing_if = "Option::is_none"
    )]
    pub channel_id: Option<Cow<'a, str>>,
    /// The customer's id, when repeated on the message.
    #[serde(
        rename = "UserId",
        borrow,
        default,
        deserialize_with = "option_cow",
        skip_serializing_if = "Option::is_none"
    )]
    pub user_id: Option<Cow<'a, str>>,
    /// The message text (absent or `null` for attachments).
    #[serde(
        rename = "Message",
        borrow,
        default,
        deserialize_with = "option_cow",
        skip_serializing_if = "Option::is_none"
    )]
    pub text: Option<Cow<'a, str>>,
    /// The message kind.
    #[serde(rename = "MessageType")]
    pub message_type: MessageType,
    /// The object (post or live video, as `<pageId>_<postId>`) a comment was made on.
    #[serde(
        rename = "ObjectId",
        borrow,
        default,
        deserialize_with = "option_cow",
        skip_serializing_if = "Option::is_none"
    )]
    pub object_id: Option<Cow<'a, str>>,
    /// The comment this one replies to.
    #[serde(
        rename = "ParentId",
        borrow,
        default,
        deserialize_with = "option_cow",
        skip_serializing_if = "Option::is_none"
    )]
    pub parent_id: Option<Cow<'a, str>>,
    /// True when the shop sent the message, false when the customer did.
    #[serde(rename = "IsOwner", default, skip_serializing_if = "Option::is_none")]
    pub is_owner: Option<bool>,
    /// When TPOS stored the message, ISO-8601 with offset.
    #[serde(
        rename = "CreatedTime",
        borrow,
        default,
        deserialize_with = "option_cow",
        skip_serializing_if = "Option::is_none"
    )]
    pub created_time: Option<Cow<'a, str>>,
    /// The channel's own record of the message.
    #[serde(
        rename = "Data",
        borrow,
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub data: Option<MessageData<'a>>,
    /// The event name, where the seed saw it (rt-2 otherwise sends it at the top level).
    #[serde(
        rename = "EventName",
        borrow,
        default,
        deserialize_with = "option_cow",
        skip_serializing_if = "Option::is_none"
    )]
    pub event_name: Option<Cow<'a, str>>,
}

/// `Message.Data`: the message as the channel (Facebook, Zalo) reported it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageData<'a> {
    /// The channel's id of the message or comment.
    #[serde(
        borrow,
        default,
        deserialize_with = "option_cow",
        skip_serializing_if = "Option::is_none"
    )]
    pub id: Option<Cow<'a, str>>,
    /// The text.
    #[serde(
        borrow,
        default,
        deserialize_with = "option_cow",
        skip_serializing_if = "Option::is_none"
    )]
    pub message: Option<Cow<'a, str>>,
    /// When the channel received it, ISO-8601 with offset (e.g. `2026-01-07T20:30:45+07:00`).
    #[serde(
        borrow,
        default,
        deserialize_with = "option_cow",
        skip_serializing_if = "Option::is_none"
    )]
    pub created_time: Option<Cow<'a, str>>,
    /// Who wrote it.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Sender<'a>>,
}

/// `Message.Data.from`: the author of a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sender<'a> {
    /// The author's id on the channel.
    #[serde(borrow)]
    pub id: Cow<'a, str>,
    /// The author's display name.
    #[serde(
        borrow,
        default,
        deserialize_with = "option_cow",
        skip_serializing_if = "Option::is_none"
    )]
    pub name: Option<Cow<'a, str>>,
}

impl<'a> OnEvent<'a> {
    /// The event's name: the top-level `EventName`, else `Message.EventName`.
    pub fn event_name(&self) -> Option<&str> {
        self.event_name
            .as_deref()
            .or_else(|| self.message.as_ref()?.event_name.as_deref())
    }

    /// True for `chatomni.on-message` events.
    pub fn is_message(&self) -> bool {
        self.event_name() == Some(ON_MESSAGE)
    }

    /// The live video or post this event is about: `Message.ObjectId`, else
    /// `Conversation.ObjectId`.
    pub fn object_id(&self) -> Option<&str> {
        self.message
            .as_ref()
            .and_then(|m| m.object_id.as_deref())
            .or_else(|| self.conversation.as_ref()?.object_id.as_deref())
    }

    /// Copies every borrowed field so the event outlives the decoder's buffer.
    pub fn into_owned(self) -> OnEvent<'static> {
        OnEvent {
            conversation: self.conversation.map(Conversation::into_owned),
            message: self.message.map(Message::into_owned),
            event_name: own_opt(self.event_name),
        }
    }

    /// The inner JSON document, as rt-2 would put it inside the string argument.
    pub fn to_json(&self) -> String {
        // Serializing these types cannot fail: every map key is a fixed field name and every
        // value is a string, number, bool or nested struct of the same kind.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The event's argument as it appears on the wire: [`OnEvent::to_json`] as a JSON string
    /// literal, quotes included.
    pub fn to_argument(&self) -> String {
        encode_json_string(&self.to_json())
    }

    /// Checks the rules serde's derive cannot express.
    fn check(&self) -> Result<(), Error> {
        let missing = |field: &str| Error::MissingField {
            field: field.to_owned(),
        };
        let Some(name) = self.event_name() else {
            return Err(missing("EventName"));
        };
        if name == ON_MESSAGE {
            if self.conversation.is_none() {
                return Err(missing("Conversation"));
            }
            if self.message.is_none() {
                return Err(missing("Message"));
            }
        }
        Ok(())
    }
}

impl Conversation<'_> {
    /// Copies every borrowed field.
    pub fn into_owned(self) -> Conversation<'static> {
        Conversation {
            id: own(self.id),
            channel_type: self.channel_type,
            channel_id: own(self.channel_id),
            user_id: own_opt(self.user_id),
            name: own_opt(self.name),
            has_phone: self.has_phone,
            has_address: self.has_address,
            updated_time: own_opt(self.updated_time),
            object_id: own_opt(self.object_id),
        }
    }
}

impl Message<'_> {
    /// Copies every borrowed field.
    pub fn into_owned(self) -> Message<'static> {
        Message {
            id: own(self.id),
            channel_type: self.channel_type,
            channel_id: own_opt(self.channel_id),
            user_id: own_opt(self.user_id),
            text: own_opt(self.text),
            message_type: self.message_type,
            object_id: own_opt(self.object_id),
            parent_id: own_opt(self.parent_id),
            is_owner: self.is_owner,
            created_time: own_opt(self.created_time),
            data: self.data.map(MessageData::into_owned),
            event_name: own_opt(self.event_name),
        }
    }
}

impl MessageData<'_> {
    /// Copies every borrowed field.
    pub fn into_owned(self) -> MessageData<'static> {
        MessageData {
            id: own_opt(self.id),
            message: own_opt(self.message),
            created_time: own_opt(self.created_time),
            from: self.from.map(Sender::into_owned),
        }
    }
}

impl Sender<'_> {
    /// Copies every borrowed field.
    pub fn into_owned(self) -> Sender<'static> {
        Sender {
            id: own(self.id),
            name: own_opt(self.name),
        }
    }
}

/// Decodes an inner `on-events` JSON document (already unescaped) into a borrowed view.
///
/// # Errors
///
/// [`Error::MissingField`] naming the first required field that is absent, or [`Error::Json`]
/// with the path, line and column of malformed JSON or a mistyped field.
pub fn decode_event_json(json: &str) -> Result<OnEvent<'_>, Error> {
    let event: OnEvent<'_> = from_json("event", json)?;
    event.check()?;
    Ok(event)
}

/// Encodes `text` as a JSON string literal, quotes included (the outer level of an event).
pub fn encode_json_string(text: &str) -> String {
    // A `str` always serializes: serde_json escapes whatever it has to.
    serde_json::to_string(text).unwrap_or_default()
}

/// The fast path: the event read from `literal` in its escaped form, borrowing from it, when
/// that path manages and the event passes [`OnEvent::check`]; `None` sends the caller to the
/// reference path, which decodes the input or reports exactly what is wrong with it.
fn decode_escaped_event(literal: &str) -> Option<OnEvent<'_>> {
    decode_escaped::<OnEvent<'_>>(literal).filter(|event| event.check().is_ok())
}

/// The second element of `["on-events", <literal>]` when the array has exactly that plain
/// shape (JSON whitespace allowed between tokens); `None` for anything else.
fn split_on_events_args(args: &str) -> Option<&str> {
    const WS: [char; 4] = [' ', '\t', '\n', '\r'];
    let rest = args.trim_matches(WS).strip_prefix('[')?.strip_suffix(']')?;
    let rest = rest.trim_start_matches(WS).strip_prefix("\"on-events\"")?;
    let literal = rest
        .trim_start_matches(WS)
        .strip_prefix(',')?
        .trim_matches(WS);
    literal.starts_with('"').then_some(literal)
}

/// Decodes `on-events` payloads, reusing one scratch buffer for every event.
///
/// The returned [`OnEvent`] borrows from the argument and from the decoder, so it must be
/// dropped (or made [`OnEvent::into_owned`]) before the next call. Text fields borrow straight
/// from the frame when their inner JSON has no escapes of its own (nearly always): the inner
/// document is read in its escaped form without unescaping it first. Anything unusual (outer
/// escapes rt-2 never writes, a decoding error) takes the reference path instead: unescape into
/// the scratch buffer, then serde_json. Decoding allocates only for inner fields that contain
/// escapes, and for the buffer while it grows.
///
/// ```
/// use tpos_chat::{ChannelType, EventDecoder};
///
/// let mut decoder = EventDecoder::new();
/// let argument = r#""{\"Conversation\":{\"Id\":\"c1\",\"ChannelType\":4,\"ChannelId\":\"p1\"},\"Message\":{\"Id\":\"m1\",\"Message\":\"Nu\",\"MessageType\":12},\"EventName\":\"chatomni.on-message\"}""#;
/// let event = decoder.decode_argument(argument)?;
/// assert_eq!(event.conversation.as_ref().map(|c| c.channel_type), Some(ChannelType::Zalo));
/// assert_eq!(event.message.as_ref().and_then(|m| m.text.as_deref()), Some("Nu"));
/// # Ok::<(), tpos_chat::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct EventDecoder {
    /// The unescaped inner document of the last event (bytes, checked as UTF-8 before use).
    scratch: Vec<u8>,
}

impl EventDecoder {
    /// A decoder with an empty buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// A decoder whose buffer starts with room for `bytes` bytes of inner JSON.
    pub fn with_capacity(bytes: usize) -> Self {
        Self {
            scratch: Vec::with_capacity(bytes),
        }
    }

    /// Decodes the event's argument as it appears in the frame: a JSON string literal, quotes
    /// included, whose content is the inner JSON document.
    ///
    /// # Errors
    ///
    /// [`Error::Argument`] with a byte offset when the literal is malformed, then anything
    /// [`decode_event_json`] reports about the inner document.
    pub fn decode_argument<'a>(&'a mut self, literal: &'a str) -> Result<OnEvent<'a>, Error> {
        // Fast path: read the inner document in its escaped form, borrowing from `literal`.
        // It gives up on anything unusual, errors included, and the reference path below
        // then decodes the input or reports exactly what is wrong with it.
        if let Some(event) = decode_escaped_event(literal) {
            return Ok(event);
        }
        let json = unescape_json_string(literal, &mut self.scratch)?;
        decode_event_json(json)
    }

    /// Decodes a whole Socket.IO argument array, `["on-events","<JSON text>"]`.
    ///
    /// # Errors
    ///
    /// [`Error::Json`] when the array is malformed, [`Error::Argument`] when it is not an
    /// `on-events` array with a string second element, and anything
    /// [`EventDecoder::decode_argument`] reports.
    pub fn decode_args<'a>(&'a mut self, args: &'a str) -> Result<OnEvent<'a>, Error> {
        // Fast path: rt-2 writes the array as `["on-events","..."]`, so split it by hand and
        // read the argument in its escaped form; anything else goes through serde_json.
        if let Some(event) = split_on_events_args(args).and_then(decode_escaped_event) {
            return Ok(event);
        }
        let (name, payload): (Cow<'_, str>, &serde_json::value::RawValue) =
            from_json("event arguments", args)?;
        if name != ON_EVENTS {
            return Err(Error::Argument {
                offset: 0,
                reason: "the event is not \"on-events\"",
            });
        }
        self.decode_argument(payload.get())
    }

    /// Decodes a whole WebSocket text frame as rt-2 sends it,
    /// `42/chatomni,["on-events","<JSON text>"]`, with sio-wire, then its argument.
    ///
    /// Returns `Ok(None)` for every valid frame that is not an `on-events` event: pings,
    /// pongs, the handshake, namespace connects, acks, other events, binary events. The
    /// namespace is not checked.
    ///
    /// ```
    /// let mut decoder = tpos_chat::EventDecoder::new();
    /// let frame = r#"42/chatomni,["on-events","{\"EventName\":\"chatomni.on-update\"}"]"#;
    /// let event = decoder.decode_frame(frame)?.expect("an on-events frame");
    /// assert_eq!(event.event_name(), Some("chatomni.on-update"));
    /// assert!(decoder.decode_frame("2")?.is_none());
    /// # Ok::<(), tpos_chat::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Wire`] (with the frame's byte offset) for a malformed frame, and for an
    /// `on-events` frame anything [`EventDecoder::decode_argument`] reports (offsets there
    /// count from the start of the argument).
    pub fn decode_frame<'a>(&'a mut self, frame: &'a str) -> Result<Option<OnEvent<'a>>, Error> {
        let DecodedFrame::Socket(packet) = decode_message(frame)? else {
            return Ok(None);
        };
        if packet.kind != SocketPacketType::Event
            || packet.event_name().ok().as_deref() != Some(ON_EVENTS)
        {
            return Ok(None);
        }
        let Some(argument) = packet.args().next() else {
            return Err(Error::Argument {
                offset: 0,
                reason: "the on-events event has no argument",
            });
        };
        self.decode_argument(argument.as_str()).map(Some)
    }

    /// The scratch buffer's capacity in bytes (for checking reuse).
    pub fn capacity(&self) -> usize {
        self.scratch.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The seed's example, exactly as `../shared/seeds/000_0e2dc462fd92e87f.txt` shows it
    /// (comments removed), with `EventName` inside `Message`.
    const SEED_JSON: &str = r#"{
  "Conversation": {
    "Id": "689763acb11cca3c0b168e77",
    "ChannelType": 4,
    "ChannelId": "1479019015501919",
    "UserId": "3430680146979574",
    "Name": "Thảo Tây",
    "UpdatedTime": "2026-01-07T13:30:51.329Z"
  },
  "Message": {
    "Id": "695e60057b7c8059540ed555",
    "Message": "Nu",
    "MessageType": 12,
    "Data": {
      "message": "Nu",
      "created_time": "2026-01-07T20:30:45+07:00",
      "from": {
        "id": "3430680146979574",
        "name": "Thảo Tây"
      }
    },
    "EventName": "chatomni.on-message"
  }
}"#;

    fn decode(json: &str) -> Result<OnEvent<'static>, Error> {
        let mut d = EventDecoder::new();
        d.decode_argument(&encode_json_string(json))
            .map(OnEvent::into_owned)
    }

    #[test]
    fn the_seed_event_decodes_to_typed_values() {
        let mut d = EventDecoder::new();
        let arg = encode_json_string(SEED_JSON);
        let e = d.decode_argument(&arg).unwrap();
        let c = e.conversation.as_ref().unwrap();
        assert_eq!(c.id, "689763acb11cca3c0b168e77");
        assert_eq!(c.channel_type, ChannelType::Zalo);
        assert_eq!(c.channel_id, "1479019015501919");
        assert_eq!(c.user_id.as_deref(), Some("3430680146979574"));
        assert_eq!(c.name.as_deref(), Some("Thảo Tây"));
        assert_eq!(c.updated_time.as_deref(), Some("2026-01-07T13:30:51.329Z"));
        let m = e.message.as_ref().unwrap();
        assert_eq!(m.id, "695e60057b7c8059540ed555");
        assert_eq!(m.text.as_deref(), Some("Nu"));
        assert_eq!(m.message_type, MessageType::Text);
        let data = m.data.as_ref().unwrap();
        assert_eq!(data.message.as_deref(), Some("Nu"));
        assert_eq!(
            data.created_time.as_deref(),
            Some("2026-01-07T20:30:45+07:00")
        );
        let from = data.from.as_ref().unwrap();
        assert_eq!(from.id, "3430680146979574");
        assert_eq!(from.name.as_deref(), Some("Thảo Tây"));
        assert_eq!(e.event_name(), Some(ON_MESSAGE));
        assert!(e.is_message());
        assert_eq!(e.object_id(), None);
    }

    #[test]
    fn event_name_is_read_at_the_top_level_or_inside_message_on_both_paths() {
        let message = r#"{"Id":"m","MessageType":12"#;
        let conversation = r#""Conversation":{"Id":"c","ChannelType":4,"ChannelId":"z"}"#;
        let shapes = [
            // The seed's shape, what rt2-corpus generates by default.
            format!(
                r#"{{{conversation},"Message":{message},"EventName":"chatomni.on-message"}}}}"#
            ),
            // The variant.
            format!(
                r#"{{{conversation},"Message":{message}}},"EventName":"chatomni.on-message"}}"#
            ),
            // Both: the top level wins.
            format!(
                r#"{{{conversation},"Message":{message},"EventName":"x"}},"EventName":"chatomni.on-message"}}"#
            ),
        ];
        let mut d = EventDecoder::new();
        for json in &shapes {
            let fast = encode_json_string(json);
            // An outer `\u0063` (a `c`) that rt-2 never writes sends the decoder down its
            // unescaping path.
            let slow = fast.replacen("chatomni", "\\u0063hatomni", 1);
            assert_ne!(fast, slow);
            for argument in [&fast, &slow] {
                let e = d.decode_argument(argument).unwrap();
                assert_eq!(e.event_name(), Some(ON_MESSAGE), "{argument}");
                assert!(e.is_message(), "{argument}");
            }
        }
        // Neither place: the error names the field.
        let none = format!(r#"{{{conversation},"Message":{message}}}}}"#);
        assert_eq!(
            d.decode_argument(&encode_json_string(&none)).unwrap_err(),
            Error::MissingField {
                field: "EventName".to_owned()
            }
        );
    }

    #[test]
    fn fields_without_escapes_are_borrowed() {
        let mut d = EventDecoder::new();
        let arg = encode_json_string(SEED_JSON);
        let e = d.decode_argument(&arg).unwrap();
        let c = e.conversation.as_ref().unwrap();
        assert!(matches!(c.id, Cow::Borrowed(_)));
        assert!(matches!(c.name, Some(Cow::Borrowed(_))));
        let from = e
            .message
            .as_ref()
            .unwrap()
            .data
            .as_ref()
            .unwrap()
            .from
            .as_ref();
        assert!(matches!(from.unwrap().name, Some(Cow::Borrowed(_))));
        assert!(matches!(
            e.message.as_ref().unwrap().event_name,
            Some(Cow::Borrowed(_))
        ));
    }

    #[test]
    fn the_scratch_buffer_is_reused_across_events() {
        // rt-2's own frames never touch the buffer: their fields borrow from the argument.
        let mut d = EventDecoder::new();
        let arg = encode_json_string(SEED_JSON);
        let e = d.decode_argument(&arg).unwrap();
        let name = e.conversation.as_ref().unwrap().name.as_deref().unwrap();
        assert!(arg.as_bytes().as_ptr_range().contains(&name.as_ptr()));
        assert_eq!(d.capacity(), 0);
        // An argument that escapes its non-ASCII at the outer level takes the reference path,
        // through the buffer, which then keeps its size.
        let escaped = arg.replace("ả", "\\u1ea3");
        let e = d.decode_argument(&escaped).unwrap().into_owned();
        assert_eq!(e, decode_event_json(SEED_JSON).unwrap());
        let capacity = d.capacity();
        assert!(capacity >= SEED_JSON.len() - 20);
        for _ in 0..10 {
            d.decode_argument(&escaped).unwrap();
        }
        assert_eq!(d.capacity(), capacity);
    }

    #[test]
    fn an_unknown_channel_type_is_kept() {
        let json = SEED_JSON.replace("\"ChannelType\": 4", "\"ChannelType\": 7");
        let e = decode(&json).unwrap();
        assert_eq!(e.conversation.unwrap().channel_type, ChannelType::Other(7));
    }

    #[test]
    fn unknown_fields_are_ignored_at_every_level() {
        let json = SEED_JSON
            .replace(
                "\"Id\": \"689763",
                "\"Tags\": [1, {\"x\": null}], \"Id\": \"689763",
            )
            .replace(
                "\"Message\": \"Nu\",",
                "\"Message\": \"Nu\", \"Attachments\": {\"a\": [true]},",
            )
            .replace(
                "\"name\": \"Thảo Tây\"",
                "\"name\": \"Thảo Tây\", \"uid\": null",
            );
        let json = json.replacen('{', "{\"Extra\": 1.5e3, ", 1);
        let e = decode(&json).unwrap();
        assert_eq!(e.message.unwrap().text.as_deref(), Some("Nu"));
    }

    #[test]
    fn a_missing_required_field_names_it() {
        let cases = [
            ("\"Id\": \"695e60057b7c8059540ed555\",", "Message.Id"),
            ("\"Id\": \"689763acb11cca3c0b168e77\",", "Conversation.Id"),
            ("\"ChannelType\": 4,", "Conversation.ChannelType"),
            ("\"MessageType\": 12,", "Message.MessageType"),
            ("\"id\": \"3430680146979574\",", "Message.Data.from.id"),
            (",\n    \"EventName\": \"chatomni.on-message\"", "EventName"),
        ];
        for (remove, field) in cases {
            let json = SEED_JSON.replacen(remove, "", 1);
            assert_ne!(json, SEED_JSON, "{remove} not found");
            let err = decode(&json).unwrap_err();
            assert_eq!(
                err,
                Error::MissingField {
                    field: field.to_owned()
                }
            );
            assert_eq!(err.to_string(), format!("missing field {field}"));
        }
    }

    #[test]
    fn a_null_required_field_is_reported_as_missing_or_mistyped() {
        let json = SEED_JSON.replace("\"Id\": \"695e60057b7c8059540ed555\"", "\"Id\": null");
        let err = decode(&json).unwrap_err();
        assert!(err.to_string().contains("Message.Id"), "{err}");
    }

    #[test]
    fn a_message_event_needs_its_conversation_and_message() {
        let json = r#"{"Message":{"Id":"m","MessageType":12},"EventName":"chatomni.on-message"}"#;
        assert_eq!(
            decode(json).unwrap_err().to_string(),
            "missing field Conversation"
        );
        let json = r#"{"Conversation":{"Id":"c","ChannelType":1,"ChannelId":"p"},"EventName":"chatomni.on-message"}"#;
        assert_eq!(
            decode(json).unwrap_err().to_string(),
            "missing field Message"
        );
        // Other event kinds may come without either.
        let e = decode(r#"{"EventName":"chatomni.on-markseen","Data":{}}"#).unwrap();
        assert_eq!(e.event_name(), Some("chatomni.on-markseen"));
        assert!(!e.is_message());
    }

    #[test]
    fn a_mistyped_field_is_reported_with_its_path_and_place() {
        let json = SEED_JSON.replace("\"MessageType\": 12", "\"MessageType\": \"12\"");
        match decode(&json).unwrap_err() {
            Error::Json {
                path,
                line,
                message,
                ..
            } => {
                assert_eq!(path, "Message.MessageType");
                assert_eq!(line, 13);
                assert!(message.contains("MessageType code"), "{message}");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn broken_inner_json_reports_line_and_column() {
        let err = decode("{\"EventName\": \"x\",\n  \"Message\": }").unwrap_err();
        match err {
            Error::Json { line, column, .. } => assert_eq!((line, column), (2, 14)),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn escaped_inner_json_with_emoji_and_diacritics_decodes() {
        // The inner document escapes its own characters (\u escapes, a newline, a quote), so
        // the outer literal carries double escapes such as \\u1ea3 and \\n.
        let inner = r#"{"Conversation":{"Id":"c1","ChannelType":1,"ChannelId":"112233","Name":"Nguy\u1ec5n Th\u1ecb \"Hoa\" \ud83c\udf38"},"Message":{"Id":"m1","Message":"Ch\u1ed1t \u0111\u01a1n \u2764\ufe0f\nsize M","MessageType":12,"ObjectId":"112233_445566"},"EventName":"chatomni.on-message"}"#;
        let literal = encode_json_string(inner);
        assert!(literal.contains(r#"\\u1ec5"#));
        let mut d = EventDecoder::new();
        let e = d.decode_argument(&literal).unwrap();
        let c = e.conversation.as_ref().unwrap();
        assert_eq!(c.name.as_deref(), Some("Nguyễn Thị \"Hoa\" 🌸"));
        assert_eq!(c.channel_type, ChannelType::Facebook);
        let m = e.message.as_ref().unwrap();
        assert_eq!(m.text.as_deref(), Some("Chốt đơn ❤️\nsize M"));
        assert_eq!(e.object_id(), Some("112233_445566"));
        // Raw UTF-8 in the outer literal and \u escapes in it decode the same.
        let raw = encode_json_string(&inner.replace(r#"\u1ec5"#, "ễ"));
        let e2 = d.decode_argument(&raw).unwrap().into_owned();
        assert_eq!(
            e2.conversation.unwrap().name.as_deref(),
            Some("Nguyễn Thị \"Hoa\" 🌸")
        );
    }

    #[test]
    fn the_outer_literal_may_escape_non_ascii_too() {
        // Some servers escape every non-ASCII character of the outer string.
        let inner = r#"{"Conversation":{"Id":"c","ChannelType":4,"ChannelId":"z","Name":"Thảo Tây 😀"},"Message":{"Id":"m","MessageType":21},"EventName":"chatomni.on-message"}"#;
        let mut literal = String::from("\"");
        for ch in inner.chars() {
            match ch {
                '"' => literal.push_str("\\\""),
                c if c.is_ascii() => literal.push(c),
                c => {
                    let mut units = [0u16; 2];
                    for u in c.encode_utf16(&mut units) {
                        literal.push_str(&format!("\\u{u:04x}"));
                    }
                }
            }
        }
        literal.push('"');
        let e = decode_owned_literal(&literal);
        assert_eq!(e.conversation.unwrap().name.as_deref(), Some("Thảo Tây 😀"));
        assert_eq!(e.message.unwrap().message_type, MessageType::ZaloMessage);
    }

    fn decode_owned_literal(literal: &str) -> OnEvent<'static> {
        EventDecoder::new()
            .decode_argument(literal)
            .unwrap()
            .into_owned()
    }

    #[test]
    fn a_malformed_argument_reports_its_offset() {
        let mut d = EventDecoder::new();
        assert_eq!(
            d.decode_argument("{\"EventName\":\"x\"}").unwrap_err(),
            Error::Argument {
                offset: 0,
                reason: "expected '\"' to open the string"
            }
        );
        assert!(matches!(
            d.decode_argument("\"{}\" x"),
            Err(Error::Argument { offset: 4, .. })
        ));
    }

    #[test]
    fn encode_then_decode_round_trips() {
        let e = decode(SEED_JSON).unwrap();
        let again = decode_owned_literal(&e.to_argument());
        assert_eq!(again, e);
        // Serialization keeps rt-2's field names and the seed's order.
        assert!(e.to_json().starts_with(
            r#"{"Conversation":{"Id":"689763acb11cca3c0b168e77","ChannelType":4,"ChannelId":"1479019015501919","UserId":"3430680146979574","Name":"Thảo Tây","UpdatedTime":"2026-01-07T13:30:51.329Z"},"Message":{"Id":"695e60057b7c8059540ed555","Message":"Nu","MessageType":12,"Data":{"message":"Nu","created_time":"2026-01-07T20:30:45+07:00","from":{"id":"3430680146979574","name":"Thảo Tây"}},"EventName":"chatomni.on-message"}}"#
        ));
    }

    #[test]
    fn decode_frame_reads_on_events_frames_and_skips_the_rest() {
        let mut d = EventDecoder::new();
        let frame = format!(
            "42/chatomni,[\"on-events\",{}]",
            encode_json_string(SEED_JSON)
        );
        let e = d.decode_frame(&frame).unwrap().unwrap().into_owned();
        assert_eq!(e, decode(SEED_JSON).unwrap());
        for other in [
            "2",
            "3",
            r#"0{"sid":"4RK_z0D5LofuOO3tR9vW","upgrades":[],"pingInterval":25000,"pingTimeout":60000,"maxPayload":1000000}"#,
            r#"40/chatomni,{"sid":"SSUs7rUdms63DeB9R9vX"}"#,
            r#"42/chatomni,["other","x"]"#,
            r#"43/chatomni,5[{"Success":true}]"#,
            r#"451-/chatomni,["on-events",{"_placeholder":true,"num":0}]"#,
        ] {
            assert_eq!(d.decode_frame(other), Ok(None), "{other}");
        }
        assert!(matches!(d.decode_frame("9"), Err(Error::Wire(_))));
        assert!(matches!(
            d.decode_frame(r#"42/chatomni,["on-events",{}]"#),
            Err(Error::Argument { .. })
        ));
        assert!(matches!(
            d.decode_frame(r#"42/chatomni,["on-events"]"#),
            Err(Error::Argument { .. })
        ));
    }

    #[test]
    fn decode_args_reads_the_whole_argument_array() {
        let args = format!("[\"on-events\",{}]", encode_json_string(SEED_JSON));
        let mut d = EventDecoder::new();
        let e = d.decode_args(&args).unwrap();
        assert_eq!(e.message.as_ref().unwrap().id, "695e60057b7c8059540ed555");
        let wrong = format!("[\"other\",{}]", encode_json_string(SEED_JSON));
        assert!(matches!(d.decode_args(&wrong), Err(Error::Argument { .. })));
        assert!(matches!(
            d.decode_args("[\"on-events\""),
            Err(Error::Json { .. })
        ));
        // Whitespace, an escaped event name and a third argument all take the serde_json path.
        let spaced = format!(" [ \"on-events\" ,\n{} ] ", encode_json_string(SEED_JSON));
        assert_eq!(
            d.decode_args(&spaced).unwrap().into_owned(),
            decode(SEED_JSON).unwrap()
        );
        let escaped_name = format!("[\"on-\\u0065vents\",{}]", encode_json_string(SEED_JSON));
        assert_eq!(
            d.decode_args(&escaped_name).unwrap().into_owned(),
            decode(SEED_JSON).unwrap()
        );
        let three = format!("[\"on-events\",{},1]", encode_json_string(SEED_JSON));
        assert!(matches!(d.decode_args(&three), Err(Error::Json { .. })));
        assert_eq!(
            d.decode_args("[\"on-events\"").unwrap_err().to_string(),
            "invalid event arguments JSON (line 1, column 12): EOF while parsing a list"
        );
        assert_eq!(split_on_events_args("[\"on-events\",\"x\"]"), Some("\"x\""));
        assert_eq!(split_on_events_args("[\"on-events\",1]"), None);
        assert_eq!(split_on_events_args("[\"other\",\"x\"]"), None);
    }
}
