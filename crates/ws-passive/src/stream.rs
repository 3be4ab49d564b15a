//! One direction's decoder: a state machine fed bytes in any chunking, which gathers a frame
//! header, then runs the payload into the message (unmasking and inflating it on the way),
//! and queues events.
//!
//! Memory: a header (14 bytes), a control payload (125 bytes), and the message being
//! reassembled, which never passes the configured maximum; one inflate context when
//! permessage-deflate is in use.

use std::collections::VecDeque;

use crate::error::ErrorKind;
use crate::event::{Direction, MessageKind, WsEvent};
use crate::extensions::DeflateParams;
use crate::frame::{self, FrameHeader, MAX_HEADER_LEN, opcode};
use crate::inflate::{InflateError, Inflater};

/// The tail RFC 7692 section 7.2.2 appends to a message before inflating it: the empty stored
/// block a sync flush ends with, which senders strip.
const SYNC_TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// How many masked compressed bytes are unmasked at a time before inflating.
const UNMASK_CHUNK: usize = 4096;

/// Where the current frame's payload goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// A close, ping or pong payload, kept in `control`.
    Control(u8),
    /// The open message.
    Data,
    /// Nowhere: the frame or its message is being skipped.
    Skip,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Gathering a header in `header`.
    Header,
    /// Inside a payload.
    Payload {
        remaining: u64,
        mask: Option<[u8; 4]>,
        /// Payload bytes already read (the mask's phase).
        done: u64,
        target: Target,
        fin: bool,
    },
    /// After a fatal error or the end of the stream: nothing more is decoded.
    Stopped,
}

/// The message being reassembled.
#[derive(Debug)]
struct Message {
    kind: MessageKind,
    compressed: bool,
    frames: usize,
    offset: u64,
    data: Vec<u8>,
    /// An error was reported; the rest of the message is read past.
    skipping: bool,
}

/// The decoder of one direction.
#[derive(Debug)]
pub(crate) struct StreamDecoder {
    direction: Direction,
    max_message_size: usize,
    deflate: Option<DeflateParams>,
    /// Bytes fed so far.
    offset: u64,
    frame_start: u64,
    state: State,
    header: [u8; MAX_HEADER_LEN],
    header_have: usize,
    control: Vec<u8>,
    message: Option<Message>,
    inflater: Option<Inflater>,
    /// Under context takeover, an earlier message left the inflate context incomplete.
    context_lost: bool,
    /// This direction sent a close frame.
    closed: bool,
}

impl StreamDecoder {
    pub(crate) fn new(
        direction: Direction,
        max_message_size: usize,
        deflate: Option<DeflateParams>,
    ) -> Self {
        Self {
            direction,
            max_message_size,
            deflate,
            offset: 0,
            frame_start: 0,
            state: State::Header,
            header: [0; MAX_HEADER_LEN],
            header_have: 0,
            control: Vec::new(),
            message: None,
            inflater: None,
            context_lost: false,
            closed: false,
        }
    }

    /// Bytes fed so far.
    pub(crate) const fn offset(&self) -> u64 {
        self.offset
    }

    /// `false` after a fatal error or [`StreamDecoder::finish`].
    pub(crate) fn is_decoding(&self) -> bool {
        self.state != State::Stopped
    }

    /// `true` when this direction's sender resets its compressor after each message.
    fn no_context_takeover(&self) -> bool {
        self.deflate
            .is_some_and(|d| d.no_context_takeover(self.direction))
    }

    fn error(&self, events: &mut VecDeque<WsEvent>, offset: u64, kind: ErrorKind) {
        events.push_back(WsEvent::Error {
            direction: self.direction,
            offset,
            kind,
        });
    }

    /// Reports a fatal error and stops, freeing the buffers.
    fn stop(&mut self, events: &mut VecDeque<WsEvent>, offset: u64, kind: ErrorKind) {
        self.error(events, offset, kind);
        self.state = State::Stopped;
        self.message = None;
        self.control = Vec::new();
        self.inflater = None;
    }

    /// Decodes `input`, the next bytes of this direction.
    pub(crate) fn feed(&mut self, mut input: &[u8], events: &mut VecDeque<WsEvent>) {
        while !input.is_empty() {
            match self.state {
                State::Stopped => {
                    self.offset += input.len() as u64;
                    return;
                }
                State::Header => {
                    if self.header_have == 0 {
                        self.frame_start = self.offset;
                    }
                    let need = if self.header_have < 2 {
                        2
                    } else {
                        frame::header_len(self.header[1])
                    };
                    let take = (need - self.header_have).min(input.len());
                    self.header[self.header_have..self.header_have + take]
                        .copy_from_slice(&input[..take]);
                    self.header_have += take;
                    self.offset += take as u64;
                    input = &input[take..];
                    // With two bytes in, the full length is known: gather the rest first.
                    if self.header_have < 2 || self.header_have < frame::header_len(self.header[1])
                    {
                        continue;
                    }
                    let header = frame::parse_header(&self.header[..self.header_have]);
                    self.header_have = 0;
                    self.on_header(header, events);
                }
                State::Payload {
                    remaining,
                    mask,
                    done,
                    target,
                    fin,
                } => {
                    // `take` is at most `input.len()`, so it fits in usize.
                    let take = usize::try_from(remaining)
                        .unwrap_or(usize::MAX)
                        .min(input.len());
                    let (chunk, rest) = input.split_at(take);
                    input = rest;
                    self.offset += take as u64;
                    self.on_payload(chunk, mask, done, target, events);
                    let remaining = remaining - take as u64;
                    if remaining == 0 {
                        self.state = State::Header;
                        self.on_frame_end(target, fin, events);
                    } else if let State::Payload {
                        remaining: r,
                        done: d,
                        ..
                    } = &mut self.state
                    {
                        *r = remaining;
                        *d = done + take as u64;
                    }
                }
            }
        }
    }

    /// Checks a complete header, opens or continues a message, and enters its payload.
    fn on_header(&mut self, h: FrameHeader, events: &mut VecDeque<WsEvent>) {
        let at = self.frame_start;
        if h.rsv23 || (h.rsv1 && self.deflate.is_none()) {
            return self.stop(events, at, ErrorKind::ReservedBits);
        }
        if !matches!(
            h.opcode,
            opcode::CONTINUATION
                | opcode::TEXT
                | opcode::BINARY
                | opcode::CLOSE
                | opcode::PING
                | opcode::PONG
        ) {
            return self.stop(events, at, ErrorKind::ReservedOpcode(h.opcode));
        }
        if h.len >> 63 != 0 {
            return self.stop(events, at, ErrorKind::LengthOverflow);
        }
        if h.is_control() {
            if !h.fin {
                return self.stop(events, at, ErrorKind::FragmentedControlFrame);
            }
            if h.len > 125 {
                return self.stop(events, at, ErrorKind::ControlFrameTooLong);
            }
        }
        if h.non_minimal {
            self.error(events, at, ErrorKind::NonMinimalLength);
        }
        match (self.direction, h.mask.is_some()) {
            (Direction::ClientToServer, false) => {
                self.error(events, at, ErrorKind::UnmaskedClientFrame)
            }
            (Direction::ServerToClient, true) => {
                self.error(events, at, ErrorKind::MaskedServerFrame)
            }
            _ => {}
        }
        if h.rsv1 && (h.is_control() || h.opcode == opcode::CONTINUATION) {
            self.error(events, at, ErrorKind::MisplacedCompressionBit);
        }
        let target = if h.is_control() {
            self.control.clear();
            Target::Control(h.opcode)
        } else {
            self.open_data_frame(&h, events)
        };
        self.state = State::Payload {
            remaining: h.len,
            mask: h.mask,
            done: 0,
            target,
            fin: h.fin,
        };
        if h.len == 0 {
            self.state = State::Header;
            self.on_frame_end(target, h.fin, events);
        }
    }

    /// A text, binary or continuation frame: where its payload goes.
    fn open_data_frame(&mut self, h: &FrameHeader, events: &mut VecDeque<WsEvent>) -> Target {
        let at = self.frame_start;
        if self.closed {
            self.error(events, at, ErrorKind::FrameAfterClose);
        }
        if h.opcode == opcode::CONTINUATION {
            let Some(message) = &mut self.message else {
                self.error(events, at, ErrorKind::UnexpectedContinuation);
                return Target::Skip;
            };
            message.frames += 1;
        } else {
            if let Some(open) = self.message.take() {
                self.error(events, at, ErrorKind::UnfinishedMessage);
                self.end_message(&open);
            }
            let compressed = h.rsv1;
            let mut message = Message {
                kind: if h.opcode == opcode::TEXT {
                    MessageKind::Text
                } else {
                    MessageKind::Binary
                },
                compressed,
                frames: 1,
                offset: at,
                data: Vec::new(),
                skipping: false,
            };
            if compressed && self.context_lost && !self.no_context_takeover() {
                self.error(events, at, ErrorKind::InflateContextLost);
                message.skipping = true;
            }
            self.message = Some(message);
        }
        let max = self.max_message_size as u64;
        let Some(message) = &mut self.message else {
            return Target::Skip;
        };
        if message.skipping {
            return Target::Skip;
        }
        if !message.compressed {
            let len = message.data.len() as u64;
            if h.len > max.saturating_sub(len) {
                message.skipping = true;
                message.data = Vec::new();
                self.error(events, at, ErrorKind::MessageTooLarge);
                return Target::Skip;
            }
            // Within the limit just checked, so it fits in usize.
            message
                .data
                .reserve(usize::try_from(h.len).unwrap_or_default());
        }
        Target::Data
    }

    /// Runs a piece of payload to where it goes.
    fn on_payload(
        &mut self,
        chunk: &[u8],
        mask: Option<[u8; 4]>,
        done: u64,
        target: Target,
        events: &mut VecDeque<WsEvent>,
    ) {
        // The phase only matters modulo 4.
        let phase = (done % 4) as usize;
        match target {
            Target::Skip => {}
            Target::Control(_) => {
                let start = self.control.len();
                self.control.extend_from_slice(chunk);
                if let Some(mask) = mask {
                    frame::unmask(&mut self.control[start..], mask, phase);
                }
            }
            Target::Data => {
                let Some(message) = &mut self.message else {
                    return;
                };
                if !message.compressed {
                    let start = message.data.len();
                    message.data.extend_from_slice(chunk);
                    if let Some(mask) = mask {
                        frame::unmask(&mut message.data[start..], mask, phase);
                    }
                    return;
                }
                let result = match mask {
                    None => self.inflate(chunk),
                    Some(mask) => {
                        let mut buf = [0u8; UNMASK_CHUNK];
                        let mut result = Ok(());
                        for (i, piece) in chunk.chunks(UNMASK_CHUNK).enumerate() {
                            let buf = &mut buf[..piece.len()];
                            buf.copy_from_slice(piece);
                            frame::unmask(buf, mask, phase + i * UNMASK_CHUNK);
                            result = self.inflate(buf);
                            if result.is_err() {
                                break;
                            }
                        }
                        result
                    }
                };
                if let Err(e) = result {
                    self.inflate_failed(e, events);
                }
            }
        }
    }

    /// Inflates a piece of the open compressed message into it.
    fn inflate(&mut self, input: &[u8]) -> Result<(), InflateError> {
        let Some(message) = &mut self.message else {
            return Ok(());
        };
        let inflater = self.inflater.get_or_insert_with(Inflater::new);
        inflater.inflate(input, &mut message.data, self.max_message_size)
    }

    /// The open message did not inflate, or inflated past the limit: report it, skip the rest,
    /// and mark the context lost when the next message would depend on it.
    fn inflate_failed(&mut self, e: InflateError, events: &mut VecDeque<WsEvent>) {
        let takeover = !self.no_context_takeover();
        let Some(message) = &mut self.message else {
            return;
        };
        message.skipping = true;
        message.data = Vec::new();
        let offset = self.frame_start;
        if takeover {
            self.context_lost = true;
        }
        let kind = match e {
            InflateError::TooLarge => ErrorKind::MessageTooLarge,
            InflateError::Corrupt => ErrorKind::InflateFailed,
        };
        self.error(events, offset, kind);
        // The frame's remaining payload is skipped.
        if let State::Payload { target, .. } = &mut self.state {
            *target = Target::Skip;
        }
    }

    /// A frame's payload is complete.
    fn on_frame_end(&mut self, target: Target, fin: bool, events: &mut VecDeque<WsEvent>) {
        match target {
            Target::Control(op) => self.on_control(op, events),
            Target::Data | Target::Skip if fin => {
                let Some(message) = self.message.take() else {
                    return;
                };
                let message = self.finish_message(message, events);
                if let Some(message) = message {
                    self.end_message(&message);
                    if message.kind == MessageKind::Text
                        && std::str::from_utf8(&message.data).is_err()
                    {
                        self.error(events, message.offset, ErrorKind::InvalidUtf8);
                    }
                    events.push_back(WsEvent::Message {
                        direction: self.direction,
                        kind: message.kind,
                        data: message.data,
                        compressed: message.compressed,
                        frames: message.frames,
                        offset: message.offset,
                    });
                }
            }
            Target::Data | Target::Skip => {}
        }
    }

    /// The last frame of a message is in: inflates the sync tail of a compressed message.
    /// `None` when the message was skipped.
    fn finish_message(
        &mut self,
        mut message: Message,
        events: &mut VecDeque<WsEvent>,
    ) -> Option<Message> {
        if message.skipping {
            self.end_message(&message);
            return None;
        }
        if message.compressed {
            let inflater = self.inflater.get_or_insert_with(Inflater::new);
            if let Err(e) = inflater.inflate(&SYNC_TAIL, &mut message.data, self.max_message_size) {
                self.message = Some(message);
                self.inflate_failed(e, events);
                let message = self.message.take()?;
                self.end_message(&message);
                return None;
            }
        }
        Some(message)
    }

    /// After a message (kept, skipped or dropped): resets the inflate context when the sender
    /// resets its compressor, or when the stream ended with a final block.
    fn end_message(&mut self, message: &Message) {
        if !message.compressed {
            return;
        }
        let no_takeover = self.no_context_takeover();
        if let Some(inflater) = &mut self.inflater
            && (no_takeover || inflater.ended())
        {
            inflater.reset();
        }
    }

    /// A close, ping or pong frame is complete.
    fn on_control(&mut self, op: u8, events: &mut VecDeque<WsEvent>) {
        let direction = self.direction;
        let data = std::mem::take(&mut self.control);
        let event = match op {
            opcode::PING => WsEvent::Ping { direction, data },
            opcode::PONG => WsEvent::Pong { direction, data },
            _ => {
                self.closed = true;
                let at = self.frame_start;
                let (code, reason) = match data.as_slice() {
                    [] => (None, &[][..]),
                    [_] => {
                        self.error(events, at, ErrorKind::InvalidClosePayload);
                        (None, &[][..])
                    }
                    [hi, lo, reason @ ..] => (Some(u16::from_be_bytes([*hi, *lo])), reason),
                };
                if let Some(code) = code
                    && !close_code_allowed(code)
                {
                    self.error(events, at, ErrorKind::InvalidCloseCode(code));
                }
                let reason = match std::str::from_utf8(reason) {
                    Ok(text) => text.to_owned(),
                    Err(_) => {
                        self.error(events, at, ErrorKind::InvalidCloseReason);
                        String::from_utf8_lossy(reason).into_owned()
                    }
                };
                WsEvent::Close {
                    direction,
                    code,
                    reason,
                }
            }
        };
        events.push_back(event);
    }

    /// The stream of this direction ended: reports a frame or message cut short.
    pub(crate) fn finish(&mut self, events: &mut VecDeque<WsEvent>) {
        match self.state {
            State::Stopped => return,
            State::Payload { .. } => {
                return self.stop(events, self.frame_start, ErrorKind::Truncated);
            }
            State::Header if self.header_have > 0 => {
                return self.stop(events, self.frame_start, ErrorKind::Truncated);
            }
            State::Header => {}
        }
        if let Some(message) = &self.message {
            let offset = message.offset;
            return self.stop(events, offset, ErrorKind::EndedMidMessage);
        }
        self.state = State::Stopped;
        self.inflater = None;
    }
}

/// Close codes an endpoint may send (RFC 6455 section 7.4; 1012 to 1014 were registered with
/// IANA later and are sent by servers in practice).
const fn close_code_allowed(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}
