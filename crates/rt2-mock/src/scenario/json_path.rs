//! The small JSON path language of `where` clauses: `$` is the event's argument list, followed
//! by `[N]` (an array index) and `.key` or `["key"]` (an object member), e.g. `$[0].room` or
//! `$[1]["tenant id"]`.
//!
//! Deliberately not JSONPath with filters and wildcards: a rule matches one value at one place,
//! and a path that parses is a path that can be explained in one sentence.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer};

/// One step of a [`JsonPath`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathStep {
    /// `[N]`: the N-th element (from 0) of an array.
    Index(usize),
    /// `.key` or `["key"]`: a member of an object.
    Key(String),
}

/// A parsed path such as `$[0].user.id`: `$` (the event's arguments), then `[N]`, `.key`
/// and `["key"]` steps. No filters or wildcards: a rule matches one value at one place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonPath {
    text: String,
    steps: Vec<PathStep>,
}

/// Why a path could not be parsed, with the byte offset in the path text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid JSON path `{path}` at byte {offset}: {message}")]
pub struct JsonPathError {
    /// The path as written.
    pub path: String,
    /// Where in it parsing stopped.
    pub offset: usize,
    /// What was expected there.
    pub message: &'static str,
}

impl JsonPath {
    /// Parses `$`, then any number of `[N]`, `.key` and `["key"]` steps.
    ///
    /// ```
    /// use rt2_mock::scenario::{JsonPath, PathStep};
    /// let path = JsonPath::parse(r#"$[0].user["display name"]"#)?;
    /// assert_eq!(path.steps(), [
    ///     PathStep::Index(0),
    ///     PathStep::Key("user".into()),
    ///     PathStep::Key("display name".into()),
    /// ]);
    /// # Ok::<(), rt2_mock::scenario::JsonPathError>(())
    /// ```
    ///
    /// # Errors
    /// [`JsonPathError`] naming the byte where the path stops making sense.
    pub fn parse(text: &str) -> Result<Self, JsonPathError> {
        let fail = |offset: usize, message: &'static str| JsonPathError {
            path: text.to_owned(),
            offset,
            message,
        };
        let bytes = text.as_bytes();
        if bytes.first() != Some(&b'$') {
            return Err(fail(0, "a path starts with `$` (the event's arguments)"));
        }
        let mut steps = Vec::new();
        let mut at = 1;
        while at < bytes.len() {
            match bytes[at] {
                b'.' => {
                    let start = at + 1;
                    let end = text[start..]
                        .find(['.', '['])
                        .map_or(text.len(), |n| start + n);
                    if end == start {
                        return Err(fail(start, "a key after `.`"));
                    }
                    steps.push(PathStep::Key(text[start..end].to_owned()));
                    at = end;
                }
                b'[' => {
                    let start = at + 1;
                    if bytes.get(start) == Some(&b'"') {
                        let close = text[start + 1..]
                            .find("\"]")
                            .ok_or_else(|| fail(start, "a closing `\"]`"))?;
                        let key = &text[start + 1..start + 1 + close];
                        steps.push(PathStep::Key(key.to_owned()));
                        at = start + 1 + close + 2;
                    } else {
                        let close = text[start..]
                            .find(']')
                            .ok_or_else(|| fail(start, "a closing `]`"))?;
                        let digits = &text[start..start + close];
                        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                            return Err(fail(start, "an index (digits) or a quoted key"));
                        }
                        let index = digits
                            .parse()
                            .map_err(|_| fail(start, "an index that fits in usize"))?;
                        steps.push(PathStep::Index(index));
                        at = start + close + 1;
                    }
                }
                _ => return Err(fail(at, "`.key`, `[N]` or `[\"key\"]`")),
            }
        }
        Ok(Self {
            text: text.to_owned(),
            steps,
        })
    }

    /// The steps after `$`.
    pub fn steps(&self) -> &[PathStep] {
        &self.steps
    }

    /// The value at this path inside `root`, if every step exists.
    pub fn find<'v>(&self, root: &'v serde_json::Value) -> Option<&'v serde_json::Value> {
        self.steps.iter().try_fold(root, |value, step| match step {
            PathStep::Index(index) => value.as_array()?.get(*index),
            PathStep::Key(key) => value.as_object()?.get(key),
        })
    }
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for JsonPath {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        JsonPath::parse(&text).map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_values_by_index_and_key() {
        let args = json!([{"user": {"id": 7, "tags": ["a", "b"]}}, "x"]);
        let find = |path: &str| JsonPath::parse(path).unwrap().find(&args).cloned();
        assert_eq!(find("$[0].user.id"), Some(json!(7)));
        assert_eq!(find("$[0].user.tags[1]"), Some(json!("b")));
        assert_eq!(find(r#"$[0]["user"].id"#), Some(json!(7)));
        assert_eq!(find("$[1]"), Some(json!("x")));
        assert_eq!(find("$"), Some(args.clone()));
        assert_eq!(find("$[2]"), None);
        assert_eq!(find("$[1].id"), None);
        assert_eq!(find("$[0].user.tags.x"), None);
    }

    #[test]
    fn errors_name_the_byte() {
        let err = JsonPath::parse("[0]").unwrap_err();
        assert_eq!(err.offset, 0);
        let err = JsonPath::parse("$[x]").unwrap_err();
        assert_eq!(
            (err.offset, err.message),
            (2, "an index (digits) or a quoted key")
        );
        let err = JsonPath::parse("$[0").unwrap_err();
        assert_eq!(err.offset, 2);
        let err = JsonPath::parse("$.").unwrap_err();
        assert_eq!(err.offset, 2);
        let err = JsonPath::parse("$[0]x").unwrap_err();
        assert_eq!(err.offset, 4);
        let err = JsonPath::parse(r#"$["open"#).unwrap_err();
        assert!(err.to_string().contains("closing"), "{err}");
    }
}
