//! Inputs shared by sio-replay's criterion benches, so every bench (and the Node script under
//! `benches/node/`) measures the same frames.
//!
//! The corpus comes from `rt2-corpus` with a fixed seed: about 95% `42/chatomni,["on-events",
//! "<stringified JSON>"]` frames of 300–3000 bytes with Vietnamese text, plus pings, pongs,
//! acks and binary-event headers. [`Corpus::rt2_mix`] is that mix; [`Corpus::of_kind`] picks
//! one kind of frame out of it, labelled by [`FrameKind::of`].
//!
//! ```
//! use sio_benches::{Corpus, FrameKind};
//!
//! let mix = Corpus::rt2_mix();
//! assert!(mix.len() > 0);
//! let events = mix.of_kind(FrameKind::OnEvents);
//! assert!(events.frames().iter().all(|f| f.starts_with("42/chatomni,[\"on-events\"")));
//! assert_eq!(mix.bytes(), mix.frames().iter().map(|f| f.len() as u64).sum::<u64>());
//! ```

use std::io::{self, Write};

pub mod pcap;

/// How many frames [`Corpus::rt2_mix`] holds: about 1.5 MB of text, larger than a core's L2
/// cache and smaller than the shared L3, like a busy socket's recent traffic.
pub const MIX_FRAMES: usize = 1000;

/// The seed every bench uses (the bundled captures' seed), so runs compare like with like.
pub const MIX_SEED: u64 = rt2_corpus::DEFAULT_SEED;

/// A labelled set of Engine.IO text frames, as a WebSocket client receives them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Corpus {
    frames: Vec<String>,
}

impl Corpus {
    /// The realistic rt-2 mix: [`MIX_FRAMES`] frames from seed [`MIX_SEED`].
    pub fn rt2_mix() -> Self {
        Self::from_frames(rt2_corpus::bench_frames(MIX_FRAMES, MIX_SEED))
    }

    /// A corpus of the given frames.
    pub fn from_frames(frames: Vec<String>) -> Self {
        Self { frames }
    }

    /// The frames of one kind, in their original order.
    pub fn of_kind(&self, kind: FrameKind) -> Self {
        Self::from_frames(
            self.frames
                .iter()
                .filter(|f| FrameKind::of(f) == kind)
                .cloned()
                .collect(),
        )
    }

    /// The frames.
    pub fn frames(&self) -> &[String] {
        &self.frames
    }

    /// The number of frames.
    pub fn len(&self) -> usize {
        self.frames.len()
    }

    /// `true` when the corpus has no frame.
    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// The total UTF-8 length of the frames: what `Throughput::Bytes` counts.
    pub fn bytes(&self) -> u64 {
        self.frames.iter().map(|f| f.len() as u64).sum()
    }

    /// Writes the frames as JSON Lines, each frame one JSON string, the format
    /// `benches/node/decode.js` reads.
    ///
    /// # Errors
    /// Whatever writing to `out` returns.
    pub fn write_json_lines(&self, out: &mut impl Write) -> io::Result<()> {
        for frame in &self.frames {
            serde_json::to_writer(&mut *out, frame)?;
            out.write_all(b"\n")?;
        }
        Ok(())
    }
}

/// The kind of an rt-2 frame, read from its prefix (a label for grouping benches, not a
/// decoder: the decoders under test do the real work).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FrameKind {
    /// `42/chatomni,["on-events",...]`: the bulk of the traffic.
    OnEvents,
    /// Any other EVENT (`42...`).
    OtherEvent,
    /// `2`: Engine.IO ping.
    Ping,
    /// `3`: Engine.IO pong.
    Pong,
    /// `43...`: Socket.IO ACK.
    Ack,
    /// `45...` or `46...`: the text header of a binary event or ack.
    BinaryHeader,
    /// `40...`: namespace CONNECT (or its answer).
    Connect,
    /// Everything else (open, close, disconnect, errors).
    Other,
}

impl FrameKind {
    /// Every kind, in the order the bench groups list them.
    pub const ALL: [Self; 8] = [
        Self::OnEvents,
        Self::OtherEvent,
        Self::Ping,
        Self::Pong,
        Self::Ack,
        Self::BinaryHeader,
        Self::Connect,
        Self::Other,
    ];

    /// The kind of `frame`.
    pub fn of(frame: &str) -> Self {
        let b = frame.as_bytes();
        match b {
            [b'2', ..] => Self::Ping,
            [b'3', ..] => Self::Pong,
            [b'4', b'2', ..] => {
                let after_namespace = match memchr::memchr(b',', b) {
                    Some(comma) if b.get(2) == Some(&b'/') => &b[comma + 1..],
                    _ => &b[2..],
                };
                let args = after_namespace.trim_ascii_start();
                // An ack id may sit between the namespace and the array.
                let args = &args[args.iter().take_while(|c| c.is_ascii_digit()).count()..];
                if args.starts_with(b"[\"on-events\"") {
                    Self::OnEvents
                } else {
                    Self::OtherEvent
                }
            }
            [b'4', b'3', ..] => Self::Ack,
            [b'4', b'5' | b'6', ..] => Self::BinaryHeader,
            [b'4', b'0', ..] => Self::Connect,
            _ => Self::Other,
        }
    }

    /// A short name for bench ids: `on-events`, `ping`, `binary-header`, ...
    pub const fn name(self) -> &'static str {
        match self {
            Self::OnEvents => "on-events",
            Self::OtherEvent => "other-event",
            Self::Ping => "ping",
            Self::Pong => "pong",
            Self::Ack => "ack",
            Self::BinaryHeader => "binary-header",
            Self::Connect => "connect",
            Self::Other => "other",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_kinds_are_read_from_the_prefix() {
        let cases = [
            (r#"42/chatomni,["on-events","{}"]"#, FrameKind::OnEvents),
            (r#"42/chatomni,7["on-events","{}"]"#, FrameKind::OnEvents),
            (r#"42/chatomni,["other","{}"]"#, FrameKind::OtherEvent),
            (r#"42["on-events","{}"]"#, FrameKind::OnEvents),
            ("2", FrameKind::Ping),
            ("3probe", FrameKind::Pong),
            ("43/chatomni,12[]", FrameKind::Ack),
            (
                r#"451-/chatomni,["up",{"_placeholder":true,"num":0}]"#,
                FrameKind::BinaryHeader,
            ),
            (r#"40/chatomni,{"sid":"x"}"#, FrameKind::Connect),
            (r#"0{"sid":"x"}"#, FrameKind::Other),
            ("", FrameKind::Other),
        ];
        for (frame, kind) in cases {
            assert_eq!(FrameKind::of(frame), kind, "{frame}");
        }
    }

    #[test]
    fn the_mix_is_mostly_on_events_and_deterministic() {
        let mix = Corpus::rt2_mix();
        assert_eq!(mix.len(), MIX_FRAMES);
        assert_eq!(mix, Corpus::rt2_mix());
        let events = mix.of_kind(FrameKind::OnEvents).len();
        assert!(events * 100 >= MIX_FRAMES * 90, "{events} on-events frames");
        let kinds: usize = FrameKind::ALL.iter().map(|&k| mix.of_kind(k).len()).sum();
        assert_eq!(kinds, MIX_FRAMES);
    }

    #[test]
    fn json_lines_hold_one_frame_per_line() {
        let corpus = Corpus::from_frames(vec!["2".into(), "42[\"a\\nb\"]\n".into()]);
        let mut out = Vec::new();
        corpus.write_json_lines(&mut out).expect("writing to a Vec");
        let text = String::from_utf8(out).expect("serde_json writes UTF-8");
        let back: Vec<String> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("each line is a JSON string"))
            .collect();
        assert_eq!(back, corpus.frames());
    }
}
