//! The JSON Schema subset that [`crate::Shape`] writes, and its validator.
//!
//! The validator is written by hand on purpose: checking traffic against a contract is what
//! this crate is for, and the subset is small enough to own completely, with violations that
//! name a path into the frame and the keyword that failed, and no third-party engine whose
//! draft support or error wording would change under us. It knows:
//!
//! - `type` (one name or a list; `integer` is a number without a fraction), `enum`, `const`;
//! - `properties`, `required`, `additionalProperties: false`;
//! - `items` (one schema for every element, or a list for a tuple), `minItems`, `maxItems`;
//! - `format` `date-time` (RFC 3339) and `uuid`; `pattern` only as the ObjectId pattern this
//!   crate writes ([`OBJECT_ID_PATTERN`]);
//! - `contentMediaType: application/json` with `contentSchema`: a string holding JSON, parsed
//!   and checked against the content schema;
//! - local `$ref`s (`#/components/schemas/...`), resolved in the document.
//!
//! Other keywords are ignored, as JSON Schema says an unknown keyword is: a hand-edited
//! document may use them, and they are simply not enforced.

use std::fmt;

use serde_json::Value;

/// The `pattern` written for MongoDB ObjectIds (24 lower-case hex digits), rt-2's ids.
pub const OBJECT_ID_PATTERN: &str = "^[0-9a-f]{24}$";

/// How deep `$ref`s and nested content may go before a schema is considered cyclic.
const MAX_DEPTH: usize = 256;

/// One step of a [`JsonPath`].
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Member(String),
    Index(usize),
    /// Into the JSON document held by a string.
    Content,
}

/// Where in a value a violation is, printed as `$[0](json).Message.MessageType`: `$` is the
/// root, `.name` or `['odd name']` a member, `[n]` an element, and `(json)` the step into a
/// JSON document held in a string.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JsonPath(Vec<Step>);

impl JsonPath {
    /// The root, `$`.
    pub fn root() -> Self {
        Self::default()
    }

    /// This path with an element index after it.
    pub fn index(mut self, index: usize) -> Self {
        self.0.push(Step::Index(index));
        self
    }

    /// This path with a member name after it.
    pub fn member(mut self, name: &str) -> Self {
        self.0.push(Step::Member(name.to_owned()));
        self
    }
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("$")?;
        for step in &self.0 {
            match step {
                Step::Index(i) => write!(f, "[{i}]")?,
                Step::Content => f.write_str("(json)")?,
                Step::Member(name) => {
                    let plain = !name.is_empty()
                        && name
                            .chars()
                            .all(|c| c.is_alphanumeric() || c == '_' || c == '-');
                    if plain {
                        write!(f, ".{name}")?;
                    } else {
                        write!(f, "['{}']", name.replace('\\', "\\\\").replace('\'', "\\'"))?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// A value that does not match its schema: where, which keyword, and why in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaViolation {
    /// Where in the value.
    pub path: JsonPath,
    /// The keyword that failed, e.g. `type`, `required`, `enum`, `format`.
    pub rule: &'static str,
    /// What was expected and what was found.
    pub message: String,
}

/// Checks `value` against `schema`, whose `$ref`s resolve in `document`, and appends every
/// violation under `path` to `out`.
pub fn check_value(
    document: &Value,
    schema: &Value,
    value: &Value,
    path: &JsonPath,
    out: &mut Vec<SchemaViolation>,
) {
    let mut path = path.clone();
    check(document, schema, value, &mut path, 0, out);
}

fn violation(path: &JsonPath, rule: &'static str, message: String) -> SchemaViolation {
    SchemaViolation {
        path: path.clone(),
        rule,
        message,
    }
}

fn check(
    document: &Value,
    schema: &Value,
    value: &Value,
    path: &mut JsonPath,
    depth: usize,
    out: &mut Vec<SchemaViolation>,
) {
    if depth > MAX_DEPTH {
        out.push(violation(
            path,
            "$ref",
            "the schema nests too deep (a cycle of $ref?)".to_owned(),
        ));
        return;
    }
    let Some(schema) = schema.as_object() else {
        // `true` accepts everything, `false` nothing.
        if schema == &Value::Bool(false) {
            out.push(violation(
                path,
                "false",
                "no value is allowed here".to_owned(),
            ));
        }
        return;
    };
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        match resolve(document, reference) {
            Some(target) => check(document, target, value, path, depth + 1, out),
            None => out.push(violation(
                path,
                "$ref",
                format!("{reference} does not resolve in the document"),
            )),
        }
        return;
    }
    if let Some(types) = schema.get("type") {
        let names: Vec<&str> = match types {
            Value::String(one) => vec![one.as_str()],
            Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if !names.is_empty() && !names.iter().any(|name| has_type(value, name)) {
            out.push(violation(
                path,
                "type",
                format!(
                    "expected {}, found {}",
                    names.join(" or "),
                    type_name(value)
                ),
            ));
            // The other keywords would only repeat the mismatch.
            return;
        }
    }
    if let Some(Value::Array(allowed)) = schema.get("enum") {
        if !allowed.iter().any(|a| same(a, value)) {
            out.push(violation(
                path,
                "enum",
                format!(
                    "{} is not one of {}",
                    short(value),
                    Value::Array(allowed.clone())
                ),
            ));
        }
    }
    if let Some(expected) = schema.get("const") {
        if !same(expected, value) {
            out.push(violation(
                path,
                "const",
                format!("expected {}, found {}", short(expected), short(value)),
            ));
        }
    }
    match value {
        Value::String(s) => check_string(document, schema, s, path, depth, out),
        Value::Array(items) => check_array(document, schema, items, path, depth, out),
        Value::Object(members) => {
            if let Some(Value::Array(required)) = schema.get("required") {
                for name in required.iter().filter_map(Value::as_str) {
                    if !members.contains_key(name) {
                        out.push(violation(
                            path,
                            "required",
                            format!("member {name:?} is missing"),
                        ));
                    }
                }
            }
            let properties = schema.get("properties").and_then(Value::as_object);
            let closed = schema.get("additionalProperties") == Some(&Value::Bool(false));
            for (name, member) in members {
                match properties.and_then(|p| p.get(name)) {
                    Some(member_schema) => {
                        path.0.push(Step::Member(name.clone()));
                        check(document, member_schema, member, path, depth + 1, out);
                        path.0.pop();
                    }
                    None if closed => out.push(violation(
                        path,
                        "additionalProperties",
                        format!("member {name:?} is not in the schema"),
                    )),
                    None => {}
                }
            }
        }
        _ => {}
    }
}

fn check_string(
    document: &Value,
    schema: &serde_json::Map<String, Value>,
    s: &str,
    path: &mut JsonPath,
    depth: usize,
    out: &mut Vec<SchemaViolation>,
) {
    match schema.get("format").and_then(Value::as_str) {
        Some("date-time") if !is_date_time(s) => out.push(violation(
            path,
            "format",
            format!("{} is not an RFC 3339 date-time", short_str(s)),
        )),
        Some("uuid") if !is_uuid(s) => out.push(violation(
            path,
            "format",
            format!("{} is not a UUID", short_str(s)),
        )),
        _ => {}
    }
    if schema.get("pattern").and_then(Value::as_str) == Some(OBJECT_ID_PATTERN) && !is_object_id(s)
    {
        out.push(violation(
            path,
            "pattern",
            format!("{} is not an ObjectId (24 hex digits)", short_str(s)),
        ));
    }
    if schema.get("contentMediaType").and_then(Value::as_str) == Some("application/json") {
        match serde_json::from_str::<Value>(s) {
            Ok(content) => {
                if let Some(content_schema) = schema.get("contentSchema") {
                    path.0.push(Step::Content);
                    check(document, content_schema, &content, path, depth + 1, out);
                    path.0.pop();
                }
            }
            Err(err) => out.push(violation(
                path,
                "contentMediaType",
                format!("the string does not hold JSON: {err}"),
            )),
        }
    }
}

fn check_array(
    document: &Value,
    schema: &serde_json::Map<String, Value>,
    items: &[Value],
    path: &mut JsonPath,
    depth: usize,
    out: &mut Vec<SchemaViolation>,
) {
    let bound = |key: &str| schema.get(key).and_then(Value::as_u64);
    if let Some(min) = bound("minItems") {
        if (items.len() as u64) < min {
            out.push(violation(
                path,
                "minItems",
                format!("expected at least {min} elements, found {}", items.len()),
            ));
        }
    }
    if let Some(max) = bound("maxItems") {
        if items.len() as u64 > max {
            out.push(violation(
                path,
                "maxItems",
                format!("expected at most {max} elements, found {}", items.len()),
            ));
        }
    }
    match schema.get("items") {
        Some(Value::Array(tuple)) => {
            for (i, (item, item_schema)) in items.iter().zip(tuple).enumerate() {
                path.0.push(Step::Index(i));
                check(document, item_schema, item, path, depth + 1, out);
                path.0.pop();
            }
        }
        Some(every) => {
            for (i, item) in items.iter().enumerate() {
                path.0.push(Step::Index(i));
                check(document, every, item, path, depth + 1, out);
                path.0.pop();
            }
        }
        None => {}
    }
}

/// The value a local `$ref` (`#/a/b`, a JSON pointer) names.
fn resolve<'d>(document: &'d Value, reference: &str) -> Option<&'d Value> {
    let pointer = reference.strip_prefix('#')?;
    document.pointer(pointer)
}

fn has_type(value: &Value, name: &str) -> bool {
    match name {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "string" => value.is_string(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        "number" => value.is_number(),
        "integer" => match value {
            Value::Number(n) => {
                n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
            }
            _ => false,
        },
        // An unknown type name constrains nothing we know how to check.
        _ => true,
    }
}

/// The JSON Schema type name of `value`.
fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Equality as JSON Schema has it: numbers compare by value (`1` equals `1.0`).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x == y,
            _ => x.as_f64() == y.as_f64(),
        },
        _ => a == b,
    }
}

/// A value for a message, cut to a readable length.
fn short(value: &Value) -> String {
    match value {
        Value::String(s) => short_str(s),
        other => {
            let text = other.to_string();
            cut(&text)
        }
    }
}

fn short_str(s: &str) -> String {
    cut(&Value::String(s.to_owned()).to_string())
}

fn cut(text: &str) -> String {
    const MAX: usize = 60;
    match text.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// An RFC 3339 date-time: `2026-01-07T13:30:51.329Z`, `2026-01-07T20:30:45+07:00`.
pub fn is_date_time(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        b.get(range)
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
    };
    let num = |range: std::ops::Range<usize>| {
        s.get(range)
            .and_then(|d| d.parse::<u32>().ok())
            .unwrap_or(99)
    };
    if b.len() < 20
        || !digits(0..4)
        || b[4] != b'-'
        || !digits(5..7)
        || b[7] != b'-'
        || !digits(8..10)
        || !matches!(b[10], b'T' | b't' | b' ')
        || !digits(11..13)
        || b[13] != b':'
        || !digits(14..16)
        || b[16] != b':'
        || !digits(17..19)
    {
        return false;
    }
    if !(1..=12).contains(&num(5..7))
        || !(1..=31).contains(&num(8..10))
        || num(11..13) > 23
        || num(14..16) > 59
        || num(17..19) > 60
    {
        return false;
    }
    let mut rest = &b[19..];
    if let Some(fraction) = rest.strip_prefix(b".") {
        let n = fraction.iter().take_while(|d| d.is_ascii_digit()).count();
        if n == 0 {
            return false;
        }
        rest = &fraction[n..];
    }
    match rest {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => {
            [h1, h2, m1, m2].iter().all(|d| d.is_ascii_digit())
                && (*h1 - b'0') * 10 + (*h2 - b'0') <= 23
                && (*m1 - b'0') * 10 + (*m2 - b'0') <= 59
        }
        _ => false,
    }
}

/// A MongoDB ObjectId as rt-2 writes it: 24 lower-case hex digits.
pub fn is_object_id(s: &str) -> bool {
    s.len() == 24 && s.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
}

/// A UUID in its 8-4-4-4-12 hex form.
pub fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn violations(schema: Value, value: Value) -> Vec<(String, &'static str)> {
        let mut out = Vec::new();
        check_value(&Value::Null, &schema, &value, &JsonPath::root(), &mut out);
        out.into_iter()
            .map(|v| (v.path.to_string(), v.rule))
            .collect()
    }

    #[test]
    fn paths_name_members_elements_and_content() {
        let schema = json!({"type": "array", "items": [{"type": "string", "contentMediaType": "application/json",
            "contentSchema": {"type": "object", "properties": {"Message": {"type": "object",
                "properties": {"MessageType": {"type": "integer"}}}}}}]});
        let value = json!(["{\"Message\":{\"MessageType\":\"12\"}}"]);
        assert_eq!(
            violations(schema, value),
            [("$[0](json).Message.MessageType".to_owned(), "type")]
        );
    }

    #[test]
    fn each_keyword_reports_itself() {
        let schema = json!({"type": "object", "required": ["a"], "properties": {
            "e": {"enum": [1, 4]}, "d": {"type": "string", "format": "date-time"},
            "o": {"type": "string", "pattern": OBJECT_ID_PATTERN}, "odd key": {"type": "null"}}});
        let value = json!({"e": 2, "d": "yesterday", "o": "xyz", "odd key": 1});
        assert_eq!(
            violations(schema, value),
            [
                ("$".to_owned(), "required"),
                ("$.d".to_owned(), "format"),
                ("$.e".to_owned(), "enum"),
                ("$.o".to_owned(), "pattern"),
                ("$['odd key']".to_owned(), "type"),
            ]
        );
    }

    #[test]
    fn integers_enums_and_tuples() {
        assert!(violations(json!({"type": "integer"}), json!(3.0)).is_empty());
        assert!(violations(json!({"enum": [1]}), json!(1.0)).is_empty());
        assert_eq!(
            violations(json!({"type": "array", "minItems": 2}), json!([1])),
            [("$".to_owned(), "minItems")]
        );
    }

    #[test]
    fn date_times_follow_rfc_3339() {
        for good in [
            "2026-01-07T13:30:51.329Z",
            "2026-01-07T20:30:45+07:00",
            "2026-01-07T20:30:45.516+07:00",
        ] {
            assert!(is_date_time(good), "{good}");
        }
        for bad in [
            "2026-01-07",
            "2026-13-07T20:30:45Z",
            "2026-01-07T20:30:45",
            "2026-01-07T20:30:45.Z",
            "2026-01-07T20:30:45+0700",
        ] {
            assert!(!is_date_time(bad), "{bad}");
        }
    }

    #[test]
    fn cyclic_refs_stop() {
        let document = json!({"a": {"$ref": "#/a"}});
        let mut out = Vec::new();
        check_value(
            &document,
            &json!({"$ref": "#/a"}),
            &json!(1),
            &JsonPath::root(),
            &mut out,
        );
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].rule, "$ref");
    }
}
