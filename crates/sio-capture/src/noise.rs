//! Learned noise: the JSON paths of a server's replies that differ between runs of the same
//! client frames, and the comparison of a candidate run that ignores them.
//!
//! Diffy's idea, applied to Socket.IO: run the known-good server twice (or more) with the same
//! client frames; whatever differs between those runs (a fresh id, a clock, a counter) is noise,
//! not behaviour. Compare a candidate's run with the first of them ignoring that noise, and what
//! remains is a real difference. Replies are matched by [`ReplyKey`] (namespace, event name or
//! ack id) and rank within their key, never by position in the session.
//!
//! Noise is a *value* that varies, not a licence: a noisy field must still have the type it had
//! (a fresh string id that turns into a number is reported), a member present in every baseline
//! run must still be there, an array of fixed length must keep it, and a reply seen the same
//! number of times in every baseline run must be seen that many times again.
//!
//! Paths are written as `$[0].Message.Id`: `$` is the reply's value (an event's arguments
//! without its name, an ack's argument list, a CONNECT's object), `[0]` the first argument,
//! `.name` a member (`['na me']` when it is not a plain name), `[*]` any element of an array
//! inside an argument (noise in one element is noise in all of them), and `(json)` the JSON
//! document inside a string (rt-2's `on-events` argument).
//!
//! ```
//! use sio_capture::noise::{Noise, compare};
//! use sio_capture::replies::Replies;
//!
//! let run = |id: &str, n: u32| {
//!     let mut replies = Replies::default();
//!     replies.push_frame(&format!(r#"42/chat,["saved",{{"id":"{id}","n":{n}}}]"#));
//!     replies
//! };
//! let noise = Noise::learn(&[run("a1", 1), run("b2", 1)]);
//! assert_eq!(noise.to_string(), "/chat EVENT \"saved\" $[0].id: value\n");
//! // A fresh id is fine; a changed count is not.
//! assert!(compare(&run("a1", 1), &run("c3", 1), &noise).is_empty());
//! let differences = compare(&run("a1", 1), &run("c3", 2), &noise);
//! assert_eq!(differences[0].to_string(), "/chat EVENT \"saved\" #1 $[0].n: 1 became 2");
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Write as _};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::CaptureError;
use crate::replies::{Replies, ReplyKey};

/// How a path varied between baseline runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Variation {
    /// The value changed; its type did not.
    Value,
    /// The type changed: nothing below is compared.
    Type,
    /// The member was there in some runs and not in others.
    Presence,
    /// The array's length changed; the elements both runs had are still compared.
    Length,
    /// The reply came a different number of times (the path is empty).
    Count,
}

impl Variation {
    fn as_str(self) -> &'static str {
        match self {
            Variation::Value => "value",
            Variation::Type => "type",
            Variation::Presence => "presence",
            Variation::Length => "length",
            Variation::Count => "count",
        }
    }
}

/// One learned path, as the noise file holds it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NoisyPath {
    /// The reply it belongs to.
    pub reply: ReplyKey,
    /// The path inside the reply's value (empty for [`Variation::Count`]).
    pub path: String,
    /// How it varied.
    pub varies: Variation,
}

/// The noise learned from baseline runs: a set of [`NoisyPath`]s.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Noise {
    paths: BTreeMap<ReplyKey, BTreeMap<String, BTreeSet<Variation>>>,
}

/// The noise file's format name and version (its `format` and `version` members).
pub const NOISE_FORMAT: &str = "sio-replay-noise";
/// See [`NOISE_FORMAT`].
pub const NOISE_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct NoiseFile {
    format: String,
    version: u32,
    /// How many baseline runs it was learned from (informative).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    baseline_runs: Option<usize>,
    noise: Vec<NoisyPath>,
}

impl Noise {
    /// What varies between `runs` (the replies of the same client frames against the same
    /// server). Fewer than two runs teach nothing.
    pub fn learn(runs: &[Replies]) -> Noise {
        let mut noise = Noise::default();
        let Some((first, others)) = runs.split_first() else {
            return noise;
        };
        for other in others {
            for difference in compare(first, other, &Noise::default()) {
                let varies = match difference.what {
                    Change::Count { .. } => Variation::Count,
                    Change::Type { .. } => Variation::Type,
                    Change::Missing | Change::Added => Variation::Presence,
                    Change::Length { .. } => Variation::Length,
                    Change::Value { .. } => Variation::Value,
                };
                noise.insert(difference.key, difference.general_path, varies);
            }
        }
        noise
    }

    /// Adds one path.
    pub fn insert(&mut self, reply: ReplyKey, path: String, varies: Variation) {
        self.paths
            .entry(reply)
            .or_default()
            .entry(path)
            .or_default()
            .insert(varies);
    }

    /// Every path of `other` added to these.
    pub fn merge(&mut self, other: &Noise) {
        for path in other.iter() {
            self.insert(path.reply, path.path, path.varies);
        }
    }

    /// Whether `path` of `reply` varies as `varies`.
    pub fn contains(&self, reply: &ReplyKey, path: &str, varies: Variation) -> bool {
        self.paths
            .get(reply)
            .and_then(|paths| paths.get(path))
            .is_some_and(|set| set.contains(&varies))
    }

    /// Every learned path, sorted by reply, then path.
    pub fn iter(&self) -> impl Iterator<Item = NoisyPath> + '_ {
        self.paths.iter().flat_map(|(reply, paths)| {
            paths.iter().flat_map(move |(path, set)| {
                set.iter().map(move |varies| NoisyPath {
                    reply: reply.clone(),
                    path: path.clone(),
                    varies: *varies,
                })
            })
        })
    }

    /// How many paths.
    pub fn len(&self) -> usize {
        self.paths
            .values()
            .flat_map(BTreeMap::values)
            .map(BTreeSet::len)
            .sum()
    }

    /// True when nothing varied.
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }

    /// The noise file: pretty JSON, sorted, ending with a newline, the same for the same noise.
    pub fn to_json(&self, baseline_runs: Option<usize>) -> String {
        let file = NoiseFile {
            format: NOISE_FORMAT.to_owned(),
            version: NOISE_VERSION,
            baseline_runs,
            noise: self.iter().collect(),
        };
        // Strings, numbers and enums only: serializing cannot fail.
        let mut text = serde_json::to_string_pretty(&file).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Reads a noise file written by [`Noise::to_json`] (or edited by hand).
    ///
    /// # Errors
    ///
    /// [`CaptureError::NoiseFile`] naming the line and column of bad JSON, a member of the wrong
    /// shape, or a file that is not a noise file of a version this crate reads.
    pub fn from_json(text: &str) -> Result<Noise, CaptureError> {
        let file: NoiseFile =
            serde_json::from_str(text).map_err(|err| CaptureError::NoiseFile {
                message: err.to_string(),
            })?;
        if file.format != NOISE_FORMAT || file.version != NOISE_VERSION {
            return Err(CaptureError::NoiseFile {
                message: format!(
                    "format {:?} version {} is not {NOISE_FORMAT:?} version {NOISE_VERSION}",
                    file.format, file.version
                ),
            });
        }
        let mut noise = Noise::default();
        for path in file.noise {
            noise.insert(path.reply, path.path, path.varies);
        }
        Ok(noise)
    }
}

impl fmt::Display for Noise {
    /// One line per path: `/chat EVENT "saved" $[0].id: value`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for path in self.iter() {
            if path.path.is_empty() {
                writeln!(f, "{}: {}", path.reply, path.varies.as_str())?;
            } else {
                writeln!(f, "{} {}: {}", path.reply, path.path, path.varies.as_str())?;
            }
        }
        Ok(())
    }
}

/// What differs at one place.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// The reply came `reference` times in the reference run and `candidate` times in the
    /// candidate's (0: dropped; more: added).
    Count {
        /// Times in the reference run.
        reference: usize,
        /// Times in the candidate run.
        candidate: usize,
    },
    /// The JSON type changed (`integer` and `number` count as one, `number`).
    Type {
        /// The reference's type.
        reference: &'static str,
        /// The candidate's type.
        candidate: &'static str,
    },
    /// A member the reference had is missing.
    Missing,
    /// A member the reference did not have.
    Added,
    /// An array's length changed.
    Length {
        /// The reference's length.
        reference: usize,
        /// The candidate's length.
        candidate: usize,
    },
    /// A value changed.
    Value {
        /// The reference's value.
        reference: Value,
        /// The candidate's value.
        candidate: Value,
    },
}

/// One difference between a reference run and a candidate run.
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    /// The reply.
    pub key: ReplyKey,
    /// Its rank among the replies of that key, from 0 (shown from 1); 0 for a count.
    pub occurrence: usize,
    /// Where, with element indices (`$[0].items[2].id`); empty for a count.
    pub path: String,
    /// Where, as noise is learned (`$[0].items[*].id`).
    pub general_path: String,
    /// What changed.
    pub what: Change,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Change::Count {
            reference,
            candidate,
        } = self.what
        {
            return write!(
                f,
                "{}: {reference} in the reference, {candidate} in the candidate",
                self.key
            );
        }
        write!(f, "{} #{} {}: ", self.key, self.occurrence + 1, self.path)?;
        match &self.what {
            Change::Count { .. } => Ok(()),
            Change::Type {
                reference,
                candidate,
            } => write!(f, "type {reference} became {candidate}"),
            Change::Missing => f.write_str("missing"),
            Change::Added => f.write_str("added"),
            Change::Length {
                reference,
                candidate,
            } => write!(f, "length {reference} became {candidate}"),
            Change::Value {
                reference,
                candidate,
            } => write!(f, "{} became {}", short(reference), short(candidate)),
        }
    }
}

/// A value in a line: its JSON, cut at 80 characters.
fn short(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(80) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// The differences between a reference run's replies and a candidate's, ignoring `noise`.
/// Sorted by reply, rank and path; empty when the candidate behaves as the reference.
pub fn compare(reference: &Replies, candidate: &Replies, noise: &Noise) -> Vec<Difference> {
    let keys: BTreeSet<&ReplyKey> = reference
        .iter()
        .chain(candidate.iter())
        .map(|(key, _)| key)
        .collect();
    let mut out = Vec::new();
    for key in keys {
        let (a, b) = (reference.get(key), candidate.get(key));
        if a.len() != b.len() && !noise.contains(key, "", Variation::Count) {
            out.push(Difference {
                key: key.clone(),
                occurrence: 0,
                path: String::new(),
                general_path: String::new(),
                what: Change::Count {
                    reference: a.len(),
                    candidate: b.len(),
                },
            });
        }
        for (occurrence, (a, b)) in a.iter().zip(b).enumerate() {
            let mut walk = Walk {
                key,
                occurrence,
                noise,
                path: Path::default(),
                out: &mut out,
            };
            walk.value(a, b);
        }
    }
    out
}

/// The two spellings of the current path: concrete and general.
#[derive(Default)]
struct Path {
    concrete: String,
    general: String,
    /// How deep inside the reply's value: arrays at depth 0 are argument lists, whose indices
    /// stay concrete in the general path.
    depth: usize,
}

impl Path {
    fn push(&mut self, step: &Step<'_>) -> (usize, usize) {
        let mark = (self.concrete.len(), self.general.len());
        if self.concrete.is_empty() {
            self.concrete.push('$');
            self.general.push('$');
        }
        match step {
            Step::Member(name) => {
                let plain = !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_alphanumeric() || c == '_' || c == '-');
                let text = if plain {
                    format!(".{name}")
                } else {
                    format!("[{}]", Value::from(*name).to_string().replace('"', "'"))
                };
                self.concrete.push_str(&text);
                self.general.push_str(&text);
            }
            Step::Index(i) => {
                let _ = write!(self.concrete, "[{i}]");
                if self.depth == 0 {
                    let _ = write!(self.general, "[{i}]");
                } else {
                    self.general.push_str("[*]");
                }
            }
            Step::Json => {
                self.concrete.push_str("(json)");
                self.general.push_str("(json)");
            }
        }
        self.depth += 1;
        mark
    }

    fn pop(&mut self, mark: (usize, usize)) {
        self.concrete.truncate(mark.0);
        self.general.truncate(mark.1);
        self.depth -= 1;
    }

    /// The general path, `$` at the root.
    fn general(&self) -> &str {
        if self.general.is_empty() {
            "$"
        } else {
            &self.general
        }
    }
}

enum Step<'a> {
    Member(&'a str),
    Index(usize),
    Json,
}

/// The JSON type of a value, a string holding a JSON document being its own kind.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(s) if nested_json(s).is_some() => "string(json)",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The JSON object or array inside a string, if the whole string is one.
pub(crate) fn nested_json(text: &str) -> Option<Value> {
    let trimmed = text.trim_start();
    if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
        return None;
    }
    serde_json::from_str(text).ok()
}

struct Walk<'a> {
    key: &'a ReplyKey,
    occurrence: usize,
    noise: &'a Noise,
    path: Path,
    out: &'a mut Vec<Difference>,
}

impl Walk<'_> {
    fn noisy(&self, varies: Variation) -> bool {
        self.noise.contains(self.key, self.path.general(), varies)
    }

    fn report(&mut self, what: Change) {
        let concrete = if self.path.concrete.is_empty() {
            "$".to_owned()
        } else {
            self.path.concrete.clone()
        };
        self.out.push(Difference {
            key: self.key.clone(),
            occurrence: self.occurrence,
            path: concrete,
            general_path: self.path.general().to_owned(),
            what,
        });
    }

    fn child(&mut self, step: Step<'_>, a: &Value, b: &Value) {
        let mark = self.path.push(&step);
        self.value(a, b);
        self.path.pop(mark);
    }

    fn value(&mut self, a: &Value, b: &Value) {
        if self.noisy(Variation::Type) {
            return;
        }
        let (ka, kb) = (kind(a), kind(b));
        if ka != kb {
            self.report(Change::Type {
                reference: ka,
                candidate: kb,
            });
            return;
        }
        match (a, b) {
            (Value::Object(a), Value::Object(b)) => self.object(a, b),
            (Value::Array(a), Value::Array(b)) => {
                if a.len() != b.len() && !self.noisy(Variation::Length) {
                    self.report(Change::Length {
                        reference: a.len(),
                        candidate: b.len(),
                    });
                }
                for (i, (a, b)) in a.iter().zip(b).enumerate() {
                    self.child(Step::Index(i), a, b);
                }
            }
            (Value::String(sa), Value::String(sb)) if ka == "string(json)" => {
                if let (Some(a), Some(b)) = (nested_json(sa), nested_json(sb)) {
                    self.child(Step::Json, &a, &b);
                }
            }
            _ => {
                if a != b && !self.noisy(Variation::Value) {
                    self.report(Change::Value {
                        reference: a.clone(),
                        candidate: b.clone(),
                    });
                }
            }
        }
    }

    fn object(&mut self, a: &Map<String, Value>, b: &Map<String, Value>) {
        let names: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
        for name in names {
            let mark = self.path.push(&Step::Member(name));
            match (a.get(name), b.get(name)) {
                (Some(x), Some(y)) => self.value(x, y),
                (Some(_), None) if !self.noisy(Variation::Presence) => self.report(Change::Missing),
                (None, Some(_)) if !self.noisy(Variation::Presence) => self.report(Change::Added),
                _ => {}
            }
            self.path.pop(mark);
        }
    }
}

/// The replies as text with the noise masked, for a golden snapshot: one block per reply,
/// grouped by key in key order (so arrival order does not matter), values pretty-printed
/// with sorted members. A noisy value shows as `"<varies: string>"`, a value of noisy type as
/// `"<varies>"`, an array of noisy length as `"<varies: array>"`; a member that is sometimes
/// absent is left out, and a reply whose count varies shows its count as `<varies>` and no
/// value. A JSON document inside a string shows as `{"(json)": ...}`.
pub fn render_masked(replies: &Replies, noise: &Noise) -> String {
    let mut out = String::new();
    // A reply whose count varies is listed even when this run had none of it.
    let counted: BTreeSet<&ReplyKey> = noise
        .paths
        .iter()
        .filter(|(_, paths)| {
            paths
                .get("")
                .is_some_and(|set| set.contains(&Variation::Count))
        })
        .map(|(key, _)| key)
        .collect();
    let keys: BTreeSet<&ReplyKey> = replies.iter().map(|(key, _)| key).chain(counted).collect();
    for key in keys {
        let values = replies.get(key);
        if noise.contains(key, "", Variation::Count) {
            let _ = writeln!(out, "{key} ×<varies>");
            continue;
        }
        for (occurrence, value) in values.iter().enumerate() {
            let mut path = Path::default();
            let masked = mask(value, key, noise, &mut path);
            let pretty = serde_json::to_string_pretty(&masked).unwrap_or_default();
            let _ = writeln!(out, "{key} #{}", occurrence + 1);
            for line in pretty.lines() {
                let _ = writeln!(out, "    {line}");
            }
        }
    }
    out
}

fn mask(value: &Value, key: &ReplyKey, noise: &Noise, path: &mut Path) -> Value {
    let here = |varies| noise.contains(key, path.general(), varies);
    if here(Variation::Type) {
        return Value::from("<varies>");
    }
    match value {
        Value::Object(map) => {
            let mut masked = Map::new();
            // serde_json's map sorts its keys unless preserve_order is on; sort either way.
            let mut names: Vec<&String> = map.keys().collect();
            names.sort();
            for name in names {
                let mark = path.push(&Step::Member(name));
                if !noise.contains(key, path.general(), Variation::Presence) {
                    masked.insert(name.clone(), mask(&map[name], key, noise, path));
                }
                path.pop(mark);
            }
            Value::Object(masked)
        }
        Value::Array(items) => {
            if here(Variation::Length) {
                return Value::from("<varies: array>");
            }
            let mut masked = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let mark = path.push(&Step::Index(i));
                masked.push(mask(item, key, noise, path));
                path.pop(mark);
            }
            Value::Array(masked)
        }
        Value::String(text) => match nested_json(text) {
            Some(inner) => {
                let mark = path.push(&Step::Json);
                let masked = mask(&inner, key, noise, path);
                path.pop(mark);
                let mut wrapper = Map::new();
                wrapper.insert("(json)".to_owned(), masked);
                Value::Object(wrapper)
            }
            None if here(Variation::Value) => Value::from("<varies: string>"),
            None => value.clone(),
        },
        _ if here(Variation::Value) => Value::from(format!("<varies: {}>", kind(value))),
        _ => value.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replies::ReplyKind;

    fn replies(frames: &[&str]) -> Replies {
        let mut replies = Replies::default();
        for frame in frames {
            replies
                .push_frame(frame)
                .unwrap_or_else(|| panic!("{frame}"));
        }
        replies
    }

    fn event(name: &str) -> ReplyKey {
        ReplyKey::new("/c", ReplyKind::Event(name.into()))
    }

    #[test]
    fn fresh_ids_and_times_inside_a_json_string_are_learned_as_noise() {
        let a = replies(&[
            r#"40/c,{"sid":"s1"}"#,
            r#"42/c,["on-events","{\"Id\":\"x1\",\"At\":1.5,\"Name\":\"Hoa\"}"]"#,
            r#"43/c,1[{"ok":true,"id":"k1"}]"#,
        ]);
        // The other run: its ack comes first, every fresh value differs.
        let b = replies(&[
            r#"43/c,1[{"ok":true,"id":"k2"}]"#,
            r#"40/c,{"sid":"s2"}"#,
            r#"42/c,["on-events","{\"Id\":\"x2\",\"At\":2.75,\"Name\":\"Hoa\"}"]"#,
        ]);
        let noise = Noise::learn(&[a.clone(), b]);
        assert_eq!(
            noise.to_string(),
            concat!(
                "/c CONNECT $.sid: value\n",
                "/c EVENT \"on-events\" $[0](json).At: value\n",
                "/c EVENT \"on-events\" $[0](json).Id: value\n",
                "/c ACK 1 $[0].id: value\n",
            )
        );
        let c = replies(&[
            r#"40/c,{"sid":"s3"}"#,
            r#"43/c,1[{"ok":true,"id":"k3"}]"#,
            r#"42/c,["on-events","{\"Id\":\"x3\",\"At\":9,\"Name\":\"Hoa\"}"]"#,
        ]);
        assert_eq!(compare(&a, &c, &noise), []);
        // Without the noise, every fresh value is a difference.
        assert_eq!(compare(&a, &c, &Noise::default()).len(), 4);
    }

    #[test]
    fn a_noisy_field_that_changes_type_is_still_reported() {
        let run = |id: &str| replies(&[&format!(r#"42/c,["e",{{"id":{id}}}]"#)]);
        let noise = Noise::learn(&[run(r#""a""#), run(r#""b""#)]);
        let differences = compare(&run(r#""a""#), &run("7"), &noise);
        assert_eq!(
            differences
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            [r#"/c EVENT "e" #1 $[0].id: type string became number"#]
        );
    }

    #[test]
    fn a_dropped_event_a_missing_member_and_an_added_one_are_reported() {
        let reference = replies(&[r#"42/c,["e",{"a":1,"b":2}]"#, r#"42/c,["gone",1]"#]);
        let candidate = replies(&[r#"42/c,["e",{"a":1,"c":3}]"#]);
        let found: Vec<String> = compare(&reference, &candidate, &Noise::default())
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            found,
            [
                r#"/c EVENT "e" #1 $[0].b: missing"#,
                r#"/c EVENT "e" #1 $[0].c: added"#,
                r#"/c EVENT "gone": 1 in the reference, 0 in the candidate"#,
            ]
        );
    }

    #[test]
    fn varying_counts_lengths_presence_and_types_are_learned() {
        let a = replies(&[
            r#"42/c,["tick",1]"#,
            r#"42/c,["list",{"items":[{"id":"p"}],"opt":1,"any":"x"}]"#,
        ]);
        let b = replies(&[
            r#"42/c,["tick",1]"#,
            r#"42/c,["tick",1]"#,
            r#"42/c,["list",{"items":[{"id":"q"},{"id":"r"}],"any":5}]"#,
        ]);
        let noise = Noise::learn(&[a.clone(), b.clone()]);
        assert!(noise.contains(&event("tick"), "", Variation::Count));
        assert!(noise.contains(&event("list"), "$[0].items", Variation::Length));
        assert!(noise.contains(&event("list"), "$[0].items[*].id", Variation::Value));
        assert!(noise.contains(&event("list"), "$[0].opt", Variation::Presence));
        assert!(noise.contains(&event("list"), "$[0].any", Variation::Type));
        assert_eq!(compare(&b, &a, &noise), []);
        // The masked rendering is the same for both runs.
        assert_eq!(render_masked(&a, &noise), render_masked(&b, &noise));
    }

    #[test]
    fn the_noise_file_round_trips_and_bad_files_say_why() {
        let mut noise = Noise::default();
        noise.insert(event("e"), "$[0].id".into(), Variation::Value);
        noise.insert(
            ReplyKey::new("/c", ReplyKind::Ack(2)),
            String::new(),
            Variation::Count,
        );
        let text = noise.to_json(Some(2));
        assert!(text.contains("\"format\": \"sio-replay-noise\""), "{text}");
        assert_eq!(Noise::from_json(&text).unwrap(), noise);
        let err = Noise::from_json("{\"format\":\"x\",\"version\":1,\"noise\":[]}").unwrap_err();
        assert!(err.to_string().contains("sio-replay-noise"), "{err}");
        let err = Noise::from_json("{\n  \"noise\": 3").unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
    }

    #[test]
    fn masked_rendering_groups_by_key_and_masks_noise() {
        let a = replies(&[r#"42/c,["e",{"id":"a","n":1}]"#, r#"40/c,{"sid":"s"}"#]);
        let mut noise = Noise::default();
        noise.insert(event("e"), "$[0].id".into(), Variation::Value);
        assert_eq!(
            render_masked(&a, &noise),
            concat!(
                "/c CONNECT #1\n",
                "    {\n",
                "      \"sid\": \"s\"\n",
                "    }\n",
                "/c EVENT \"e\" #1\n",
                "    [\n",
                "      {\n",
                "        \"id\": \"<varies: string>\",\n",
                "        \"n\": 1\n",
                "      }\n",
                "    ]\n",
            )
        );
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn any_json() -> impl Strategy<Value = Value> {
            let leaf = prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::from),
                any::<i32>().prop_map(Value::from),
                "[a-z]{0,6}".prop_map(Value::from),
            ];
            leaf.prop_recursive(3, 24, 4, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                    prop::collection::btree_map("[a-c]{1,2}", inner, 0..4)
                        .prop_map(|m| Value::Object(m.into_iter().collect())),
                ]
            })
        }

        fn run(events: &[(String, Value)]) -> Replies {
            let mut replies = Replies::default();
            for (name, value) in events {
                let frame = format!(
                    "42/p,{}",
                    Value::Array(vec![Value::from(name.as_str()), value.clone()])
                );
                replies.push_frame(&frame);
            }
            replies
        }

        fn any_run() -> impl Strategy<Value = Vec<(String, Value)>> {
            prop::collection::vec(("[xy]", any_json()), 0..5)
        }

        proptest! {
            /// Whatever two baseline runs were, each compares clean with the other under the
            /// noise learned from them, both ways, and their masked renderings agree.
            #[test]
            fn baselines_agree_with_each_other_under_their_noise(a in any_run(), b in any_run()) {
                let (a, b) = (run(&a), run(&b));
                let noise = Noise::learn(&[a.clone(), b.clone()]);
                prop_assert_eq!(compare(&a, &b, &noise), vec![]);
                prop_assert_eq!(compare(&b, &a, &noise), vec![]);
                prop_assert_eq!(render_masked(&a, &noise), render_masked(&b, &noise));
            }

            /// A run compared with itself never differs, and learns no noise.
            #[test]
            fn a_run_is_its_own_twin(a in any_run()) {
                let a = run(&a);
                prop_assert!(Noise::learn(&[a.clone(), a.clone()]).is_empty());
                prop_assert_eq!(compare(&a, &a, &Noise::default()), vec![]);
            }

            /// The noise file gives back the same noise.
            #[test]
            fn noise_files_round_trip(a in any_run(), b in any_run()) {
                let noise = Noise::learn(&[run(&a), run(&b)]);
                prop_assert_eq!(Noise::from_json(&noise.to_json(None)).unwrap(), noise);
            }
        }
    }
}
