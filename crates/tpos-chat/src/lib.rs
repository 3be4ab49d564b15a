//! Typed, borrowed views of the data TPOS's realtime chat server, rt-2, sends and expects.
//!
//! This is the only crate in the workspace that knows rt-2's field names. It reads three
//! things: the `on-events` payload (a JSON document sent as a JSON *string*, so two levels of
//! decoding), the claims of the tenant JWT a client joins `/chatomni` with, and the records of
//! the live-video REST endpoint. It trades generality for speed: views borrow from the input
//! (or from one reusable scratch buffer) instead of building `serde_json::Value` trees, unknown
//! fields are skipped rather than kept, and unknown enum codes are kept as numbers.
//!
//! # Overview
//!
//! - [`EventDecoder`] turns an `on-events` frame ([`EventDecoder::decode_frame`], through
//!   sio-wire), argument array or argument into an [`OnEvent`] ([`Conversation`], [`Message`],
//!   [`MessageData`], [`Sender`], [`ChannelType`], [`MessageType`]).
//! - [`Jwt`], [`Claims`], [`sign_hs256`] and [`verify_hs256`] read, sign and check tokens;
//!   [`TEST_SECRET`] is the synthetic secret every test token is signed with.
//! - [`LiveVideoQuery`], [`LiveVideoPage`], [`LiveVideo`] and [`Paging`] model the live-video
//!   endpoint at [`LIVE_VIDEO_PATH`].
//! - [`Error`] is the one error type; it names the field, byte offset or line that failed.
//!
//! # Example
//!
//! ```
//! use tpos_chat::{ChannelType, EventDecoder, MessageType};
//!
//! // The second element of `42/chatomni,["on-events","..."]`, quotes included.
//! let argument = r#""{\"Conversation\":{\"Id\":\"689763acb11cca3c0b168e77\",\"ChannelType\":4,\"ChannelId\":\"1479019015501919\",\"Name\":\"Thảo Tây\"},\"Message\":{\"Id\":\"695e60057b7c8059540ed555\",\"Message\":\"Nu\",\"MessageType\":12},\"EventName\":\"chatomni.on-message\"}""#;
//!
//! let mut decoder = EventDecoder::new();
//! let event = decoder.decode_argument(argument)?;
//! let conversation = event.conversation.as_ref().expect("message events have one");
//! assert_eq!(conversation.channel_type, ChannelType::Zalo);
//! assert_eq!(conversation.name.as_deref(), Some("Thảo Tây"));
//! let message = event.message.as_ref().expect("message events have one");
//! assert_eq!(message.message_type, MessageType::Text);
//! assert_eq!(event.event_name(), Some("chatomni.on-message"));
//!
//! // A missing required field is named.
//! let err = decoder.decode_argument(r#""{\"EventName\":\"x\",\"Message\":{\"MessageType\":12}}""#);
//! assert_eq!(err.unwrap_err().to_string(), "missing field Message.Id");
//! # Ok::<(), tpos_chat::Error>(())
//! ```
//!
//! # Layout
//!
//! - `event.rs`: [`OnEvent`] and its parts, [`EventDecoder`].
//! - `kinds.rs`: [`ChannelType`] and [`MessageType`], with where their names come from.
//! - `claims.rs`: JWT claims and HS256.
//! - `live_video.rs`: the live-video endpoint.
//! - `escaped.rs`: the fast path, reading the inner document straight from the escaped text.
//! - `json_string.rs`: unescaping the outer JSON string into the scratch buffer.
//! - `borrowed.rs`: serde glue so optional text fields borrow too.
//! - `error.rs`: [`Error`].

mod borrowed;
mod claims;
mod error;
mod escaped;
mod event;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod json_string;
mod kinds;
mod live_video;

pub use claims::{Claims, Jwt, JwtHeader, TEST_SECRET, sign_hs256, verify_hs256};
pub use error::Error;
pub use event::{
    Conversation, EventDecoder, Message, MessageData, NAMESPACE, ON_EVENTS, ON_MESSAGE, OnEvent,
    Sender, decode_event_json, encode_json_string,
};
pub use kinds::{ChannelType, MessageType};
pub use live_video::{
    Cursors, LIVE_VIDEO_PATH, LiveVideo, LiveVideoPage, LiveVideoQuery, LiveVideoStatus,
    PageCursor, Paging, decode_live_video_page,
};
