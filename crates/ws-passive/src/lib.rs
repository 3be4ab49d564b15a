//! A sans-IO, passive observer of one WebSocket connection (RFC 6455), with
//! permessage-deflate (RFC 7692). The focus is on reading what two peers really sent, whatever
//! it is, without ever taking part.
//!
//! A recording proxy relays the raw bytes of each direction untouched and hands a copy to an
//! [`Observer`]; a pcap importer hands it the reassembled TCP payloads. Either way the observer
//! takes bytes in arbitrary chunks (split anywhere, even inside a frame header), unmasks,
//! reassembles fragments, inflates compressed messages with one inflate context per direction,
//! and reports [`WsEvent`]s: messages, pings, pongs, closes, and errors with the direction and
//! the byte offset of the frame. It never writes a byte and never answers a ping.
//!
//! The trade-off: it is a strict reader that keeps going. What RFC 6455 forbids but can still
//! be read (an unmasked client frame, a text message that is not UTF-8, a bad close code) is
//! reported as an error and read all the same; what makes the frame boundaries untrustworthy
//! (reserved bits or opcodes, a fragmented control frame) stops that one direction, while the
//! other goes on. Memory is bounded: a frame header, a control payload, the message being
//! reassembled (at most [`Config::max_message_size`], counted after inflating, so a
//! compression bomb stops there) and an inflate context per direction. No panic, no unsafe.
//!
//! # Example
//!
//! ```
//! use ws_passive::{Config, Direction, MessageKind, Observer, WsEvent};
//!
//! let mut observer = Observer::new(Config::default());
//! // The handshake: permessage-deflate offered but not accepted.
//! let request = [("Sec-WebSocket-Extensions", &b"permessage-deflate"[..])];
//! let extensions = observer.handshake(request, [])?;
//! assert_eq!(extensions.permessage_deflate, None);
//!
//! // A masked client text frame "42[\"hi\"]", fed in two pieces split inside the header.
//! let mask = [1, 2, 3, 4];
//! let mut frame = vec![0x81, 0x80 | 8, 1, 2, 3, 4];
//! frame.extend(b"42[\"hi\"]".iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
//! observer.feed(Direction::ClientToServer, &frame[..3]);
//! assert_eq!(observer.poll_event(), None);
//! observer.feed(Direction::ClientToServer, &frame[3..]);
//! assert_eq!(
//!     observer.poll_event(),
//!     Some(WsEvent::Message {
//!         direction: Direction::ClientToServer,
//!         kind: MessageKind::Text,
//!         data: b"42[\"hi\"]".to_vec(),
//!         compressed: false,
//!         frames: 1,
//!         offset: 0,
//!     })
//! );
//!
//! // The server closes mid-frame: a truncated frame at offset 0 of its stream.
//! observer.feed(Direction::ServerToClient, &[0x81, 0x05, b'4']);
//! observer.finish(Direction::ServerToClient);
//! assert!(matches!(
//!     observer.poll_event(),
//!     Some(WsEvent::Error { offset: 0, kind: ws_passive::ErrorKind::Truncated, .. })
//! ));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Layout
//!
//! - `src/observer.rs`: [`Observer`], both directions and the event queue.
//! - `src/stream.rs`: one direction's state machine (headers, payloads, messages, closes).
//! - `src/frame.rs`: frame headers and unmasking, without state.
//! - `src/inflate.rs`: bounded raw inflate (and why any window bits inflate with 15).
//! - `src/extensions.rs`: [`Extensions`], permessage-deflate negotiation from the headers.
//! - `src/event.rs`, `src/error.rs`, `src/config.rs`: [`WsEvent`], [`ErrorKind`], [`Config`].
//! - `src/fuzzing.rs`: fuzz harness bodies (hidden, and compiled only with the `fuzzing`
//!   feature), driven from `fuzz/`.

#![forbid(unsafe_code)]

mod config;
mod error;
mod event;
mod extensions;
mod frame;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod inflate;
mod observer;
mod stream;

pub use config::{Config, DEFAULT_MAX_MESSAGE_SIZE};
pub use error::{ErrorKind, HandshakeError};
pub use event::{Direction, MessageKind, WsEvent};
pub use extensions::{DeflateParams, Extensions};
pub use observer::Observer;
