//! Reassembly of binary packets: a BINARY_EVENT / BINARY_ACK header, then its attachments.
//!
//! From the socket.io-protocol README (v5):
//!
//! > `51-["baz",{"_placeholder":true,"num":0}]` `+ <Buffer <01 02 03 04>>`
//!
//! The header's JSON stands in for each binary value with a placeholder object; the
//! attachments follow as separate binary frames (or `b` polling records), in order. This is
//! the one place the codec owns data: the attachments have to outlive the frames they came
//! in, so the result is an owned [`BinaryPacket`].

use crate::error::{SocketError, SocketErrorKind};
use crate::json::{JsonKind, RawJson};
use crate::limits::Limits;
use crate::socket::packet::{OwnedSocketPacket, SocketPacket};
use crate::status::Status;

/// The attachment index of a placeholder object `{"_placeholder":true,"num":k}`, or `None`
/// when `value` is not one.
///
/// ```
/// use sio_wire::{socket::placeholder_index, RawJson};
/// assert_eq!(placeholder_index(RawJson::new(r#"{"_placeholder":true,"num":1}"#)?), Some(1));
/// assert_eq!(placeholder_index(RawJson::new(r#"{"num":1}"#)?), None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn placeholder_index(value: RawJson<'_>) -> Option<u64> {
    if value.kind() != JsonKind::Object {
        return None;
    }
    if value.get("_placeholder")?.as_bool() != Some(true) {
        return None;
    }
    value.get("num")?.as_u64()
}

/// A value of a reassembled packet's payload: JSON, or an attachment a placeholder stood for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arg<'a> {
    /// A JSON value (which may still contain placeholders deeper inside; resolve those with
    /// [`BinaryPacket::resolve`]).
    Json(RawJson<'a>),
    /// The bytes of an attachment.
    Binary(&'a [u8]),
}

/// A binary packet with all its attachments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BinaryPacket {
    packet: OwnedSocketPacket,
    attachments: Vec<Vec<u8>>,
}

impl BinaryPacket {
    /// The header packet (its payload still holds the placeholders).
    pub fn packet(&self) -> SocketPacket<'_> {
        self.packet.as_packet()
    }

    /// The attachments, in order (attachment `k` is what `"num":k` refers to).
    pub fn attachments(&self) -> &[Vec<u8>] {
        &self.attachments
    }

    /// Resolves `value`: the attachment when it is a placeholder, else the JSON itself.
    pub fn resolve<'s>(&'s self, value: RawJson<'s>) -> Arg<'s> {
        match placeholder_index(value)
            .and_then(|k| usize::try_from(k).ok())
            .and_then(|k| self.attachments.get(k))
        {
            Some(bytes) => Arg::Binary(bytes),
            None => Arg::Json(value),
        }
    }

    /// The event name of a BINARY_EVENT.
    ///
    /// # Errors
    /// As [`SocketPacket::event_name`].
    pub fn event_name(&self) -> Result<std::borrow::Cow<'_, str>, SocketError> {
        self.packet().event_name()
    }

    /// The arguments after the event name, with top-level placeholders resolved.
    pub fn args(&self) -> impl Iterator<Item = Arg<'_>> + '_ {
        self.packet().args().map(|value| self.resolve(value))
    }

    /// All elements of the payload array (for a BINARY_ACK, whose array has no event name),
    /// with top-level placeholders resolved.
    pub fn elements(&self) -> impl Iterator<Item = Arg<'_>> + '_ {
        self.packet
            .data()
            .into_iter()
            .flat_map(|data| data.elements())
            .map(|value| self.resolve(value))
    }

    /// The header packet and the attachments.
    pub fn into_parts(self) -> (OwnedSocketPacket, Vec<Vec<u8>>) {
        (self.packet, self.attachments)
    }
}

#[derive(Debug, Clone)]
struct Pending {
    packet: OwnedSocketPacket,
    attachments: Vec<Vec<u8>>,
    bytes: usize,
}

/// Collects a binary packet's attachments.
///
/// Feed every decoded packet to [`push_packet`](Self::push_packet) and every binary frame to
/// [`push_attachment`](Self::push_attachment). Both answer [`Status::Partial`] while
/// attachments are missing and [`Status::Complete`] with the whole packet once they are in.
///
/// ```
/// use sio_wire::{socket::{decode_socket_packet, Arg, BinaryReassembler}, Status};
/// let mut reassembler = BinaryReassembler::default();
/// let header = decode_socket_packet(r#"51-["baz",{"_placeholder":true,"num":0}]"#)?;
/// assert_eq!(reassembler.push_packet(&header)?, Status::Partial);
/// let Status::Complete(packet) = reassembler.push_attachment(&[1, 2, 3, 4])? else {
///     return Err("expected a complete packet".into());
/// };
/// assert_eq!(packet.event_name()?, "baz");
/// assert_eq!(packet.args().collect::<Vec<_>>(), [Arg::Binary(&[1, 2, 3, 4])]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct BinaryReassembler {
    limits: Limits,
    pending: Option<Pending>,
}

impl BinaryReassembler {
    /// A reassembler enforcing `limits` (attachment count and total bytes).
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            pending: None,
        }
    }

    /// `true` while attachments are missing.
    pub const fn is_awaiting_attachments(&self) -> bool {
        self.pending.is_some()
    }

    /// `(received, expected)` attachments of the pending packet, if any.
    pub fn progress(&self) -> Option<(usize, u32)> {
        self.pending
            .as_ref()
            .map(|p| (p.attachments.len(), p.packet.attachments))
    }

    /// Drops a pending packet.
    pub fn reset(&mut self) {
        self.pending = None;
    }

    /// Feeds a decoded packet.
    ///
    /// A packet without attachments completes at once (with none); a binary packet announcing
    /// `n > 0` attachments waits for them.
    ///
    /// # Errors
    /// [`SocketErrorKind::MissingAttachments`] when a packet arrives while attachments of the
    /// previous one are still missing (the previous one is dropped);
    /// [`SocketErrorKind::TooManyAttachments`] above the limit;
    /// [`SocketErrorKind::InvalidPlaceholder`] (offset within the payload) when a placeholder
    /// refers to an attachment the header does not announce.
    pub fn push_packet(
        &mut self,
        packet: &SocketPacket<'_>,
    ) -> Result<Status<BinaryPacket>, SocketError> {
        if self.pending.take().is_some() {
            return Err(SocketError::new(SocketErrorKind::MissingAttachments, 0));
        }
        let expected = if packet.kind.is_binary() {
            packet.attachments
        } else {
            0
        };
        if expected > self.limits.max_attachments {
            return Err(SocketError::new(SocketErrorKind::TooManyAttachments, 1));
        }
        if let Some(data) = packet.data {
            for (offset, object) in crate::json::objects(data) {
                if let Some(k) = placeholder_index(object) {
                    if k >= u64::from(expected) {
                        return Err(SocketError::new(
                            SocketErrorKind::InvalidPlaceholder,
                            offset,
                        ));
                    }
                }
            }
        }
        let owned = packet.to_owned_packet();
        if expected == 0 {
            return Ok(Status::Complete(BinaryPacket {
                packet: owned,
                attachments: Vec::new(),
            }));
        }
        self.pending = Some(Pending {
            packet: owned,
            // Reserve for the common handful only: `max_attachments` may be huge
            // (`Limits::permissive`), and the count is the peer's claim, not yet data.
            attachments: Vec::with_capacity(expected.min(16) as usize),
            bytes: 0,
        });
        Ok(Status::Partial)
    }

    /// Feeds a binary frame (or a decoded `b` polling record).
    ///
    /// # Errors
    /// [`SocketErrorKind::UnexpectedAttachment`] when no packet is waiting for one;
    /// [`SocketErrorKind::AttachmentsTooLarge`] when the attachments of one packet add up to
    /// more than `max_binary_bytes` (the pending packet is dropped).
    pub fn push_attachment(&mut self, bytes: &[u8]) -> Result<Status<BinaryPacket>, SocketError> {
        let Some(pending) = self.pending.as_mut() else {
            return Err(SocketError::new(SocketErrorKind::UnexpectedAttachment, 0));
        };
        let total = pending.bytes.saturating_add(bytes.len());
        if total > self.limits.max_binary_bytes {
            self.pending = None;
            return Err(SocketError::new(SocketErrorKind::AttachmentsTooLarge, 0));
        }
        pending.bytes = total;
        pending.attachments.push(bytes.to_vec());
        if pending.attachments.len() < pending.packet.attachments as usize {
            return Ok(Status::Partial);
        }
        match self.pending.take() {
            Some(done) => Ok(Status::Complete(BinaryPacket {
                packet: done.packet,
                attachments: done.attachments,
            })),
            None => Ok(Status::Partial),
        }
    }
}
