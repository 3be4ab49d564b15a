//! Normalisation: volatile values become stable numbered placeholders, so that two recordings
//! of the same behaviour give the same transcript.
//!
//! A [`Normalizer`] walks JSON values and replaces:
//! - values selected by **path rules** ([`NormalizeRule`]), by default `$..sid` (Engine.IO
//!   open packets and Socket.IO connect acks) → `[sid-1]`, `[sid-2]`, ...;
//! - **ISO 8601 date-times** (`2026-01-07T13:30:51.329Z`, `2026-01-07T20:30:45+07:00`) and
//!   **epoch timestamps** (integers or floats in seconds or milliseconds between the years
//!   2000 and 2100) → `[time-N]`;
//! - **24-hex ids** (MongoDB ObjectIds such as rt-2's `Message.Id`) and **UUIDs** → `[id-N]`.
//!
//! The same value always gets the same placeholder within one normalizer (one transcript), so
//! a reader still sees which message a later event refers to. Paths are written in a small
//! JSONPath subset: `$` is the root, `.name` or `['name']` a member, `[3]` an element, `*` or
//! `[*]` any child, and `..name` a member at any depth. Each JSON document nested in a string
//! (rt-2's stringified `on-events` argument) is normalised too, **with its own root**: in
//! `42/chatomni,["on-events","{\"Message\":{\"Id\":...}}"]`, `$[0]` is the event name and
//! `$.Message.Id` selects the id inside the stringified argument.
//!
//! Rules are matched last-added first, so a user's rule overrides a default, and a
//! [`RuleAction::Keep`] rule exempts a path from every detector.
//!
//! ```
//! use sio_capture::normalize::{NormalizeConfig, Normalizer};
//! use sio_capture::OrderedJson;
//!
//! let config = NormalizeConfig::default().with_rule("$.Message.Text=text")?.keep("$..ChannelId")?;
//! let mut normalizer = Normalizer::new(&config);
//! let mut doc = OrderedJson::parse(r#"{"sid":"4RK_z0D5LofuOO3tR9vW","Message":{"Id":"695e60057b7c8059540ed555","Text":"Nu","At":"2026-01-07T13:30:51.329Z"},"ChannelId":"1479019015501919","Again":"695e60057b7c8059540ed555"}"#)?;
//! normalizer.normalize(&mut doc);
//! assert_eq!(
//!     doc.to_string(),
//!     r#"{"sid":"[sid-1]","Message":{"Id":"[id-1]","Text":"[text-1]","At":"[time-1]"},"ChannelId":"1479019015501919","Again":"[id-1]"}"#
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::HashMap;
use std::fmt;

use crate::error::CaptureError;
use crate::ordered_json::OrderedJson;

/// Placeholder class of session ids: `[sid-N]`.
pub const SID: &str = "sid";
/// Placeholder class of timestamps: `[time-N]`.
pub const TIME: &str = "time";
/// Placeholder class of ids: `[id-N]`.
pub const ID: &str = "id";

/// Epoch seconds of 2000-01-01 and 2100-01-01: numbers between them (or 1000 times them) are
/// taken for timestamps.
const EPOCH_MIN_S: f64 = 946_684_800.0;
const EPOCH_MAX_S: f64 = 4_102_444_800.0;

/// Nested stringified JSON is followed this deep.
const MAX_NESTING: usize = 8;

/// One step of a [`JsonPath`].
#[derive(Debug, Clone, PartialEq, Eq)]
enum Selector {
    Name(String),
    Index(usize),
    Any,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Step {
    descendant: bool,
    selector: Selector,
}

/// One element of a concrete path to a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathElement {
    /// An object member.
    Key(String),
    /// An array element.
    Index(usize),
}

/// A JSONPath-subset selector: `$`, `.name`, `['name']`, `[3]`, `*`, `[*]`, `..name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonPath {
    text: String,
    steps: Vec<Step>,
}

impl JsonPath {
    /// Parses a path such as `$.Message.Id`, `$..UpdatedTime` or `$[1].Conversation['Name']`.
    ///
    /// # Errors
    ///
    /// [`CaptureError::InvalidRule`] naming the byte where the path stops making sense.
    pub fn parse(text: &str) -> Result<Self, CaptureError> {
        let bad = |at: usize, what: &str| CaptureError::InvalidRule {
            rule: text.to_owned(),
            message: format!("{what} at byte {at}"),
        };
        let bytes = text.as_bytes();
        if bytes.first() != Some(&b'$') {
            return Err(bad(0, "a path starts with `$`"));
        }
        let mut steps = Vec::new();
        let mut i = 1;
        while i < bytes.len() {
            let descendant = text[i..].starts_with("..");
            if descendant || bytes[i] == b'.' {
                i += if descendant { 2 } else { 1 };
                if bytes.get(i) == Some(&b'[') {
                    // `..[0]` / `..['x']`: handled by the bracket branch below.
                    let (selector, next) = parse_bracket(text, i)
                        .ok_or_else(|| bad(i, "expected `[index]`, `[*]` or `['name']`"))?;
                    steps.push(Step {
                        descendant,
                        selector,
                    });
                    i = next;
                    continue;
                }
                let end = text[i..]
                    .find(['.', '['])
                    .map_or(text.len(), |offset| i + offset);
                let name = &text[i..end];
                if name.is_empty() {
                    return Err(bad(i, "expected a member name"));
                }
                let selector = if name == "*" {
                    Selector::Any
                } else {
                    Selector::Name(name.to_owned())
                };
                steps.push(Step {
                    descendant,
                    selector,
                });
                i = end;
            } else if bytes[i] == b'[' {
                let (selector, next) = parse_bracket(text, i)
                    .ok_or_else(|| bad(i, "expected `[index]`, `[*]` or `['name']`"))?;
                steps.push(Step {
                    descendant: false,
                    selector,
                });
                i = next;
            } else {
                return Err(bad(i, "expected `.`, `..` or `[`"));
            }
        }
        Ok(JsonPath {
            text: text.to_owned(),
            steps,
        })
    }

    /// The path as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the path selects the value at `path`.
    pub fn matches(&self, path: &[PathElement]) -> bool {
        matches_steps(&self.steps, path)
    }
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Parses `[3]`, `[*]`, `['name']` or `["name"]` at `start`; returns the selector and the
/// index after `]`.
fn parse_bracket(text: &str, start: usize) -> Option<(Selector, usize)> {
    let rest = &text[start + 1..];
    let close = rest.find(']')?;
    let inner = &rest[..close];
    let selector = if inner == "*" {
        Selector::Any
    } else if let Ok(index) = inner.parse::<usize>() {
        Selector::Index(index)
    } else if inner.len() >= 2
        && ((inner.starts_with('\'') && inner.ends_with('\''))
            || (inner.starts_with('"') && inner.ends_with('"')))
    {
        Selector::Name(inner[1..inner.len() - 1].to_owned())
    } else {
        return None;
    };
    Some((selector, start + 1 + close + 1))
}

fn selector_matches(selector: &Selector, element: &PathElement) -> bool {
    match (selector, element) {
        (Selector::Any, _) => true,
        (Selector::Name(name), PathElement::Key(key)) => name == key,
        (Selector::Index(index), PathElement::Index(i)) => index == i,
        _ => false,
    }
}

fn matches_steps(steps: &[Step], path: &[PathElement]) -> bool {
    let Some((step, rest)) = steps.split_first() else {
        return path.is_empty();
    };
    if step.descendant {
        (0..path.len()).any(|i| {
            selector_matches(&step.selector, &path[i]) && matches_steps(rest, &path[i + 1..])
        })
    } else {
        !path.is_empty()
            && selector_matches(&step.selector, &path[0])
            && matches_steps(rest, &path[1..])
    }
}

/// What a rule does with the values it selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleAction {
    /// Replace by `[<class>-N]`.
    Placeholder(String),
    /// Leave as is, even if a detector would replace it.
    Keep,
}

/// A path and what to do with the values it selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NormalizeRule {
    /// Which values.
    pub path: JsonPath,
    /// What to do with them.
    pub action: RuleAction,
}

impl NormalizeRule {
    /// Parses `PATH=CLASS` (e.g. `$.Message.Id=id`, `$..UpdatedTime=time`) or `PATH=keep`.
    ///
    /// ```
    /// use sio_capture::normalize::{NormalizeRule, RuleAction};
    /// let rule = NormalizeRule::parse("$..UpdatedTime=time")?;
    /// assert_eq!(rule.action, RuleAction::Placeholder("time".into()));
    /// assert_eq!(NormalizeRule::parse("$.ChannelId=keep")?.action, RuleAction::Keep);
    /// # Ok::<(), sio_capture::CaptureError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`CaptureError::InvalidRule`] when there is no `=CLASS`, the class is not made of
    /// letters, digits, `-` and `_`, or the path is invalid.
    pub fn parse(rule: &str) -> Result<Self, CaptureError> {
        let Some((path, class)) = rule.rsplit_once('=') else {
            return Err(CaptureError::InvalidRule {
                rule: rule.to_owned(),
                message: "expected PATH=CLASS, e.g. `$.Message.Id=id` or `$.X=keep`".to_owned(),
            });
        };
        if class.is_empty()
            || !class
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(CaptureError::InvalidRule {
                rule: rule.to_owned(),
                message: format!(
                    "the class {class:?} must be letters, digits, `-` or `_` (or `keep`)"
                ),
            });
        }
        let action = if class == "keep" {
            RuleAction::Keep
        } else {
            RuleAction::Placeholder(class.to_owned())
        };
        Ok(NormalizeRule {
            path: JsonPath::parse(path)?,
            action,
        })
    }
}

/// What to normalise. `NormalizeConfig::default()` has the rule `$..sid=sid` and every
/// detector on; [`NormalizeConfig::none`] changes nothing.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct NormalizeConfig {
    /// Path rules, applied last first.
    pub rules: Vec<NormalizeRule>,
    /// Replace ISO 8601 date-times.
    pub iso_timestamps: bool,
    /// Replace epoch seconds and milliseconds between 2000 and 2100.
    pub epoch_timestamps: bool,
    /// Replace 24-hex ids and UUIDs.
    pub hex_ids: bool,
    /// Show each record's `t_ms` in a transcript (off by default: timing jitters between
    /// recordings).
    pub include_time: bool,
}

impl Default for NormalizeConfig {
    fn default() -> Self {
        NormalizeConfig {
            rules: vec![NormalizeRule {
                path: JsonPath {
                    text: "$..sid".to_owned(),
                    steps: vec![Step {
                        descendant: true,
                        selector: Selector::Name("sid".to_owned()),
                    }],
                },
                action: RuleAction::Placeholder(SID.to_owned()),
            }],
            iso_timestamps: true,
            epoch_timestamps: true,
            hex_ids: true,
            include_time: false,
        }
    }
}

impl NormalizeConfig {
    /// No rules and no detectors: values stay as they are.
    pub fn none() -> Self {
        NormalizeConfig {
            rules: Vec::new(),
            iso_timestamps: false,
            epoch_timestamps: false,
            hex_ids: false,
            include_time: false,
        }
    }

    /// Adds a rule written `PATH=CLASS` or `PATH=keep` (see [`NormalizeRule::parse`]).
    ///
    /// # Errors
    ///
    /// The rule does not parse.
    pub fn with_rule(mut self, rule: &str) -> Result<Self, CaptureError> {
        self.rules.push(NormalizeRule::parse(rule)?);
        Ok(self)
    }

    /// Adds a rule that keeps the values at `path` unchanged.
    ///
    /// # Errors
    ///
    /// The path does not parse.
    pub fn keep(mut self, path: &str) -> Result<Self, CaptureError> {
        self.rules.push(NormalizeRule {
            path: JsonPath::parse(path)?,
            action: RuleAction::Keep,
        });
        Ok(self)
    }

    /// Removes every rule whose path is written exactly `path` (e.g. `$..sid`).
    pub fn without_rule(mut self, path: &str) -> Self {
        self.rules.retain(|rule| rule.path.as_str() != path);
        self
    }

    /// Turns every detector (timestamps, ids) on or off at once; path rules stay.
    pub fn detectors(mut self, on: bool) -> Self {
        self.iso_timestamps = on;
        self.epoch_timestamps = on;
        self.hex_ids = on;
        self
    }

    /// Shows or hides record times in transcripts.
    pub fn include_time(mut self, on: bool) -> Self {
        self.include_time = on;
        self
    }
}

/// Replaces volatile values by placeholders, remembering which value got which number.
#[derive(Debug, Clone)]
pub struct Normalizer<'c> {
    config: &'c NormalizeConfig,
    assigned: HashMap<(String, String), usize>,
    counters: HashMap<String, usize>,
    path: Vec<PathElement>,
}

impl<'c> Normalizer<'c> {
    /// A normalizer with no placeholders assigned yet.
    pub fn new(config: &'c NormalizeConfig) -> Self {
        Normalizer {
            config,
            assigned: HashMap::new(),
            counters: HashMap::new(),
            path: Vec::new(),
        }
    }

    /// The configuration in use.
    pub fn config(&self) -> &NormalizeConfig {
        self.config
    }

    /// The placeholder for `value` in `class`: the same value gets the same number.
    pub fn placeholder(&mut self, class: &str, value: &str) -> String {
        let key = (class.to_owned(), value.to_owned());
        let n = match self.assigned.get(&key) {
            Some(n) => *n,
            None => {
                let counter = self.counters.entry(class.to_owned()).or_insert(0);
                *counter += 1;
                let n = *counter;
                self.assigned.insert(key, n);
                n
            }
        };
        format!("[{class}-{n}]")
    }

    /// Normalises a JSON document in place, as a root (paths start at `$` here). Strings that
    /// hold JSON objects or arrays are expanded into [`OrderedJson::Stringified`] and
    /// normalised as documents of their own.
    pub fn normalize(&mut self, doc: &mut OrderedJson) {
        let saved = std::mem::take(&mut self.path);
        self.walk(doc, 0);
        self.path = saved;
    }

    /// Applies the detectors to one scalar string outside JSON (a URL query value, say).
    pub fn normalize_str(&mut self, s: &str) -> Option<String> {
        self.detect_str(s)
    }

    /// Normalises one URL query parameter's value, as if the query were the JSON object
    /// `{name: value}`: rules see the path `$.name` (so the default `$..sid` rule covers
    /// Engine.IO's polling `sid` parameter), then the detectors run. `None` when it stays.
    pub fn normalize_query_value(&mut self, name: &str, value: &str) -> Option<String> {
        let saved = std::mem::replace(&mut self.path, vec![PathElement::Key(name.to_owned())]);
        let result = match self.rule_for_path() {
            Some(RuleAction::Keep) => None,
            Some(RuleAction::Placeholder(class)) => Some(self.placeholder(class, value)),
            // Query values are all text, so an epoch timestamp arrives as digits.
            None if self.config.epoch_timestamps
                && !value.is_empty()
                && value.bytes().all(|b| b.is_ascii_digit())
                && value.parse::<f64>().is_ok_and(is_epoch) =>
            {
                Some(self.placeholder(TIME, value))
            }
            None => self.detect_str(value),
        };
        self.path = saved;
        result
    }

    fn rule_for_path(&self) -> Option<&'c RuleAction> {
        self.config
            .rules
            .iter()
            .rev()
            .find(|rule| rule.path.matches(&self.path))
            .map(|rule| &rule.action)
    }

    fn walk(&mut self, value: &mut OrderedJson, depth: usize) {
        match self.rule_for_path() {
            Some(RuleAction::Keep) => return,
            Some(RuleAction::Placeholder(class)) => {
                let text = match &*value {
                    OrderedJson::String(s) => s.clone(),
                    other => other.to_string(),
                };
                *value = OrderedJson::String(self.placeholder(class, &text));
                return;
            }
            None => {}
        }
        match value {
            OrderedJson::Array(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    self.path.push(PathElement::Index(i));
                    self.walk(item, depth);
                    self.path.pop();
                }
            }
            OrderedJson::Object(members) => {
                for (key, item) in members.iter_mut() {
                    self.path.push(PathElement::Key(key.clone()));
                    self.walk(item, depth);
                    self.path.pop();
                }
            }
            OrderedJson::Stringified(inner) => {
                if depth < MAX_NESTING {
                    let saved = std::mem::take(&mut self.path);
                    self.walk(inner, depth + 1);
                    self.path = saved;
                }
            }
            OrderedJson::String(s) => {
                if depth < MAX_NESTING {
                    if let Some(mut nested) = parse_nested_json(s) {
                        let saved = std::mem::take(&mut self.path);
                        self.walk(&mut nested, depth + 1);
                        self.path = saved;
                        *value = OrderedJson::Stringified(Box::new(nested));
                        return;
                    }
                }
                if let Some(replacement) = self.detect_str(s) {
                    *s = replacement;
                }
            }
            OrderedJson::Number(n) => {
                if self.config.epoch_timestamps {
                    if let Some(f) = n.as_f64() {
                        if is_epoch(f) {
                            let text = n.to_string();
                            *value = OrderedJson::String(self.placeholder(TIME, &text));
                        }
                    }
                }
            }
            OrderedJson::Null | OrderedJson::Bool(_) => {}
        }
    }

    fn detect_str(&mut self, s: &str) -> Option<String> {
        if self.config.iso_timestamps && is_iso8601(s) {
            return Some(self.placeholder(TIME, s));
        }
        if self.config.hex_ids && (is_hex24(s) || is_uuid(s)) {
            return Some(self.placeholder(ID, s));
        }
        if self.config.epoch_timestamps && s.starts_with("[jwt ") {
            return self.normalize_jwt_placeholder(s);
        }
        None
    }

    /// `[jwt TenantId=t exp=1767800000]` -> `[jwt TenantId=t exp=[time-1]]`.
    fn normalize_jwt_placeholder(&mut self, s: &str) -> Option<String> {
        let mut changed = false;
        let parts: Vec<String> = s
            .split(' ')
            .map(|part| {
                let bare = part.strip_suffix(']').unwrap_or(part);
                let closing = if bare.len() < part.len() { "]" } else { "" };
                if let Some((name, number)) = bare.split_once('=') {
                    if matches!(name, "exp" | "iat" | "nbf")
                        && number.parse::<f64>().is_ok_and(is_epoch)
                    {
                        changed = true;
                        return format!("{name}={}{closing}", self.placeholder(TIME, number));
                    }
                }
                part.to_owned()
            })
            .collect();
        changed.then(|| parts.join(" "))
    }
}

/// A string that holds a JSON object or array, parsed.
fn parse_nested_json(s: &str) -> Option<OrderedJson> {
    let trimmed = s.trim_start();
    if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
        return None;
    }
    OrderedJson::parse(s).ok()
}

fn is_epoch(f: f64) -> bool {
    (EPOCH_MIN_S..EPOCH_MAX_S).contains(&f)
        || (EPOCH_MIN_S * 1000.0..EPOCH_MAX_S * 1000.0).contains(&f)
}

fn all_digits(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(u8::is_ascii_digit)
}

/// `YYYY-MM-DD[T ]hh:mm[:ss[.fff]][Z|±hh[:]mm]`: a date alone is not taken, since dates of
/// birth and the like are not volatile.
pub fn is_iso8601(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 16
        || !all_digits(&b[0..4])
        || b[4] != b'-'
        || !all_digits(&b[5..7])
        || b[7] != b'-'
        || !all_digits(&b[8..10])
        || !matches!(b[10], b'T' | b't' | b' ')
        || !all_digits(&b[11..13])
        || b[13] != b':'
        || !all_digits(&b[14..16])
    {
        return false;
    }
    let mut rest = &b[16..];
    if let Some(after) = rest.strip_prefix(b":") {
        if after.len() < 2 || !all_digits(&after[..2]) {
            return false;
        }
        rest = &after[2..];
        if let Some(after) = rest.strip_prefix(b".").or_else(|| rest.strip_prefix(b",")) {
            let digits = after.iter().take_while(|c| c.is_ascii_digit()).count();
            if digits == 0 {
                return false;
            }
            rest = &after[digits..];
        }
    }
    match rest {
        [] | [b'Z' | b'z'] => true,
        [b'+' | b'-', zone @ ..] => {
            matches!(zone.len(), 2 | 4 | 5)
                && zone
                    .iter()
                    .enumerate()
                    .all(|(i, c)| c.is_ascii_digit() || (i == 2 && zone.len() == 5 && *c == b':'))
        }
        _ => false,
    }
}

/// 24 hexadecimal digits: a MongoDB ObjectId.
pub fn is_hex24(s: &str) -> bool {
    s.len() == 24 && s.bytes().all(|c| c.is_ascii_hexdigit())
}

/// `8-4-4-4-12` hexadecimal digits.
pub fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                *c == b'-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(elements: &[&str]) -> Vec<PathElement> {
        elements
            .iter()
            .map(|e| match e.parse::<usize>() {
                Ok(i) => PathElement::Index(i),
                Err(_) => PathElement::Key((*e).to_owned()),
            })
            .collect()
    }

    #[test]
    fn paths_match() {
        let p = JsonPath::parse("$.Message.Id").unwrap();
        assert!(p.matches(&path(&["Message", "Id"])));
        assert!(!p.matches(&path(&["Conversation", "Id"])));
        assert!(!p.matches(&path(&["Message", "Id", "x"])));
        let p = JsonPath::parse("$..UpdatedTime").unwrap();
        assert!(p.matches(&path(&["UpdatedTime"])));
        assert!(p.matches(&path(&["a", "0", "UpdatedTime"])));
        let p = JsonPath::parse("$[1].*['Name']").unwrap();
        assert!(p.matches(&path(&["1", "Conversation", "Name"])));
        assert!(!p.matches(&path(&["0", "Conversation", "Name"])));
        let p = JsonPath::parse("$..[0]").unwrap();
        assert!(p.matches(&path(&["x", "0"])));
    }

    #[test]
    fn bad_paths_say_where() {
        let err = JsonPath::parse("Message.Id").unwrap_err().to_string();
        assert!(err.contains("byte 0"), "{err}");
        let err = JsonPath::parse("$.a[x]").unwrap_err().to_string();
        assert!(err.contains("byte 3"), "{err}");
        assert!(NormalizeRule::parse("$.a").is_err());
        assert!(NormalizeRule::parse("$.a=no spaces").is_err());
    }

    #[test]
    fn detectors() {
        assert!(is_iso8601("2026-01-07T13:30:51.329Z"));
        assert!(is_iso8601("2026-01-07T20:30:45+07:00"));
        assert!(is_iso8601("2026-01-07 20:30"));
        assert!(!is_iso8601("2026-01-07"));
        assert!(!is_iso8601("2026-01-07T20:30:45 and more"));
        assert!(is_hex24("695e60057b7c8059540ed555"));
        assert!(!is_hex24("695e60057b7c8059540ed55g"));
        assert!(is_uuid("123e4567-e89b-12d3-a456-426614174000"));
        assert!(is_epoch(1_767_792_651.0));
        assert!(is_epoch(1_767_792_651_329.0));
        assert!(!is_epoch(25_000.0));
        assert!(!is_epoch(1_000_000.0));
    }

    #[test]
    fn same_value_same_placeholder_across_nesting() {
        let config = NormalizeConfig::default();
        let mut n = Normalizer::new(&config);
        let mut doc = OrderedJson::parse(
            r#"["on-events","{\"Message\":{\"Id\":\"695e60057b7c8059540ed555\",\"created\":1767792651329},\"Ref\":\"695e60057b7c8059540ed555\"}"]"#,
        )
        .unwrap();
        n.normalize(&mut doc);
        assert_eq!(
            doc.to_string(),
            r#"["on-events","{\"Message\":{\"Id\":\"[id-1]\",\"created\":\"[time-1]\"},\"Ref\":\"[id-1]\"}"]"#
        );
    }

    #[test]
    fn rules_override_defaults_and_can_be_removed() {
        let config = NormalizeConfig::default().without_rule("$..sid");
        let mut n = Normalizer::new(&config);
        let mut doc = OrderedJson::parse(r#"{"sid":"abc"}"#).unwrap();
        n.normalize(&mut doc);
        assert_eq!(doc.to_string(), r#"{"sid":"abc"}"#);

        let config = NormalizeConfig::default().keep("$.t").unwrap();
        let mut n = Normalizer::new(&config);
        let mut doc =
            OrderedJson::parse(r#"{"t":"2026-01-07T13:30:51Z","u":"2026-01-07T13:30:51Z"}"#)
                .unwrap();
        n.normalize(&mut doc);
        assert_eq!(
            doc.to_string(),
            r#"{"t":"2026-01-07T13:30:51Z","u":"[time-1]"}"#
        );
    }

    #[test]
    fn jwt_placeholder_times_are_normalised() {
        let config = NormalizeConfig::default();
        let mut n = Normalizer::new(&config);
        assert_eq!(
            n.normalize_str("[jwt TenantId=t exp=1767800000]")
                .as_deref(),
            Some("[jwt TenantId=t exp=[time-1]]")
        );
    }

    #[test]
    fn none_changes_nothing() {
        let config = NormalizeConfig::none();
        let mut n = Normalizer::new(&config);
        let text = r#"{"sid":"a","t":"2026-01-07T13:30:51Z","id":"695e60057b7c8059540ed555","e":1767792651}"#;
        let mut doc = OrderedJson::parse(text).unwrap();
        n.normalize(&mut doc);
        assert_eq!(doc.to_string(), text);
    }
}
