//! Schema inference: a [`Shape`] is a fold over every JSON value observed at one position, and
//! [`Shape::to_schema`] turns it into a JSON Schema of the small subset [`crate::schema`]
//! validates.
//!
//! Folding is commutative (counts, sets and flags only), so the schema does not depend on the
//! order in which values were seen, and every map is a `BTreeMap`, so the output is the same
//! for the same input, byte for byte.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::schema::{OBJECT_ID_PATTERN, is_date_time, is_object_id, is_uuid};

/// How far a JSON document held in a string is looked into, counting the string levels: rt-2's
/// `on-events` argument is one level; anything deeper is described as a plain string.
const MAX_CONTENT_LEVELS: u8 = 4;

/// Choices of [`Shape::to_schema`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InferOptions {
    /// A string or integer position whose values form a set this small at most becomes an
    /// `enum` (rt-2's `ChannelType`, `MessageType`, `EventName`); 0 never makes one.
    pub enum_max: usize,
    /// ...and only when every value of the set was seen at least this many times, so that a
    /// handful of names or ids seen once each never turn into a closed set.
    pub enum_min_count: u64,
}

impl Default for InferOptions {
    fn default() -> Self {
        Self {
            enum_max: 8,
            enum_min_count: 3,
        }
    }
}

/// Distinct values seen, with their counts, up to a cap; past it only "many" is remembered.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Distinct<T: Ord> {
    values: BTreeMap<T, u64>,
    overflow: bool,
}

impl<T: Ord> Default for Distinct<T> {
    fn default() -> Self {
        Self {
            values: BTreeMap::new(),
            overflow: false,
        }
    }
}

/// The most distinct values any [`Distinct`] keeps: larger enums than this are never made.
const DISTINCT_CAP: usize = 32;

impl<T: Ord> Distinct<T> {
    fn add(&mut self, value: T) {
        if self.overflow {
            return;
        }
        *self.values.entry(value).or_insert(0) += 1;
        if self.values.len() > DISTINCT_CAP {
            self.values.clear();
            self.overflow = true;
        }
    }
}

/// What the strings at one position have in common.
#[derive(Debug, Clone, PartialEq)]
struct StringShape {
    values: Distinct<String>,
    date_time: bool,
    object_id: bool,
    uuid: bool,
    /// Every string was a redaction placeholder (`[redacted]`, `[jwt ...]`).
    secret: bool,
    /// Every string was a long run of digits (and `_`): a Facebook page, user or post id,
    /// which is never a closed set however few were seen.
    numeric_id: bool,
    /// Every string held a JSON object or array; the shape of those documents.
    content: Option<Shape>,
}

/// What the arrays at one position hold.
#[derive(Debug, Clone, PartialEq)]
struct ArrayShape {
    items: Shape,
}

/// The members of the objects at one position; a member's own `seen` counts the objects that
/// had it, so it is required when that equals the number of objects.
#[derive(Debug, Clone, PartialEq, Default)]
struct ObjectShape {
    count: u64,
    properties: BTreeMap<String, Shape>,
}

/// Everything observed at one position of a JSON value.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Shape {
    seen: u64,
    nulls: u64,
    booleans: u64,
    integers: u64,
    /// Numbers with a fraction (or beyond 64 bits).
    numbers: u64,
    strings: u64,
    integer_values: Distinct<i64>,
    string_shape: Option<Box<StringShape>>,
    arrays: Option<Box<ArrayShape>>,
    objects: Option<Box<ObjectShape>>,
}

impl Shape {
    /// An empty shape: nothing seen, which [`Shape::to_schema`] describes as `{}` (anything).
    pub fn new() -> Self {
        Self::default()
    }

    /// How many values were folded in.
    pub fn seen(&self) -> u64 {
        self.seen
    }

    /// Folds one observed value in.
    pub fn observe(&mut self, value: &Value) {
        self.observe_at(value, 0);
    }

    fn observe_at(&mut self, value: &Value, level: u8) {
        self.seen += 1;
        match value {
            Value::Null => self.nulls += 1,
            Value::Bool(_) => self.booleans += 1,
            Value::Number(n) => match n.as_i64() {
                Some(i) => {
                    self.integers += 1;
                    self.integer_values.add(i);
                }
                None if n.as_u64().is_some() => {
                    self.integers += 1;
                    self.integer_values.overflow = true;
                    self.integer_values.values.clear();
                }
                None => self.numbers += 1,
            },
            Value::String(s) => self.observe_string(s, level),
            Value::Array(items) => {
                let shape = self.arrays.get_or_insert_with(|| {
                    Box::new(ArrayShape {
                        items: Shape::new(),
                    })
                });
                for item in items {
                    shape.items.observe_at(item, level);
                }
            }
            Value::Object(members) => {
                let shape = self.objects.get_or_insert_with(Box::default);
                shape.count += 1;
                for (name, member) in members {
                    shape
                        .properties
                        .entry(name.clone())
                        .or_default()
                        .observe_at(member, level);
                }
            }
        }
    }

    fn observe_string(&mut self, s: &str, level: u8) {
        self.strings += 1;
        let shape = self.string_shape.get_or_insert_with(|| {
            Box::new(StringShape {
                values: Distinct::default(),
                date_time: true,
                object_id: true,
                uuid: true,
                secret: true,
                numeric_id: true,
                content: Some(Shape::new()),
            })
        });
        shape.values.add(s.to_owned());
        shape.date_time &= is_date_time(s);
        shape.object_id &= is_object_id(s);
        shape.uuid &= is_uuid(s);
        shape.secret &= is_redacted(s);
        shape.numeric_id &= is_numeric_id(s);
        if let Some(content) = &mut shape.content {
            match parse_content(s, level) {
                Some(value) => content.observe_at(&value, level + 1),
                None => shape.content = None,
            }
        }
    }

    /// The JSON Schema of everything observed (see the crate docs for the keywords used).
    pub fn to_schema(&self, options: &InferOptions) -> Value {
        let mut schema = Map::new();
        if self.seen == 0 {
            return Value::Object(schema);
        }
        let mut types = Vec::new();
        if self.nulls > 0 {
            types.push("null");
        }
        if self.booleans > 0 {
            types.push("boolean");
        }
        if self.numbers > 0 {
            types.push("number");
        } else if self.integers > 0 {
            types.push("integer");
        }
        if self.strings > 0 {
            types.push("string");
        }
        if self.arrays.is_some() {
            types.push("array");
        }
        if self.objects.is_some() {
            types.push("object");
        }
        schema.insert(
            "type".to_owned(),
            match types.as_slice() {
                [one] => json!(one),
                many => json!(many),
            },
        );
        if let Some(values) = self.enum_values(options) {
            schema.insert("enum".to_owned(), Value::Array(values));
        }
        if let Some(strings) = &self.string_shape {
            if strings.secret {
                schema.insert(
                    "description".to_owned(),
                    json!("a secret, redacted in the captures"),
                );
            } else if strings.date_time {
                schema.insert("format".to_owned(), json!("date-time"));
            } else if strings.uuid {
                schema.insert("format".to_owned(), json!("uuid"));
            } else if strings.object_id {
                schema.insert("pattern".to_owned(), json!(OBJECT_ID_PATTERN));
            } else if let Some(content) = &strings.content {
                schema.insert("contentMediaType".to_owned(), json!("application/json"));
                schema.insert("contentSchema".to_owned(), content.to_schema(options));
            }
        }
        if let Some(arrays) = &self.arrays {
            if arrays.items.seen > 0 {
                schema.insert("items".to_owned(), arrays.items.to_schema(options));
            }
        }
        if let Some(objects) = &self.objects {
            let mut properties = Map::new();
            let mut required = Vec::new();
            for (name, member) in &objects.properties {
                properties.insert(name.clone(), member.to_schema(options));
                if member.seen == objects.count {
                    required.push(json!(name));
                }
            }
            schema.insert("properties".to_owned(), Value::Object(properties));
            if !required.is_empty() {
                schema.insert("required".to_owned(), Value::Array(required));
            }
        }
        Value::Object(schema)
    }

    /// The closed set of values, when this position holds only nulls, integers and plain
    /// strings, few enough and each seen often enough.
    fn enum_values(&self, options: &InferOptions) -> Option<Vec<Value>> {
        if options.enum_max == 0
            || self.booleans > 0
            || self.numbers > 0
            || self.arrays.is_some()
            || self.objects.is_some()
        {
            return None;
        }
        let mut values = Vec::new();
        let mut counts = Vec::new();
        if self.integers > 0 {
            if self.integer_values.overflow {
                return None;
            }
            for (value, count) in &self.integer_values.values {
                values.push(json!(value));
                counts.push(*count);
            }
        }
        if let Some(strings) = &self.string_shape {
            let described = strings.secret
                || strings.numeric_id
                || strings.date_time
                || strings.uuid
                || strings.object_id
                || strings.content.is_some();
            if described || strings.values.overflow {
                return None;
            }
            for (value, count) in &strings.values.values {
                values.push(json!(value));
                counts.push(*count);
            }
        }
        // One value is a constant of the traffic seen, not yet a set.
        if values.len() < 2
            || values.len() > options.enum_max
            || counts.iter().any(|&n| n < options.enum_min_count)
        {
            return None;
        }
        if self.nulls > 0 {
            values.insert(0, Value::Null);
        }
        Some(values)
    }
}

/// A redaction placeholder of `sio_capture::Redactor`.
fn is_redacted(s: &str) -> bool {
    s == "[redacted]" || (s.starts_with("[jwt") && s.ends_with(']'))
}

/// Digits (at least six) with `_` between runs: `104857600213377_8885725404514333`.
fn is_numeric_id(s: &str) -> bool {
    s.bytes().filter(u8::is_ascii_digit).count() >= 6
        && s.split('_')
            .all(|run| !run.is_empty() && run.bytes().all(|b| b.is_ascii_digit()))
}

/// The JSON object or array a string holds, if it holds one (and the nesting allows a look).
fn parse_content(s: &str, level: u8) -> Option<Value> {
    if level >= MAX_CONTENT_LEVELS {
        return None;
    }
    let trimmed = s.trim_start();
    if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
        return None;
    }
    serde_json::from_str::<Value>(s)
        .ok()
        .filter(|v| v.is_object() || v.is_array())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn infer(values: &[Value]) -> Value {
        let mut shape = Shape::new();
        for v in values {
            shape.observe(v);
        }
        shape.to_schema(&InferOptions::default())
    }

    #[test]
    fn members_seen_in_every_object_are_required() {
        let schema = infer(&[json!({"a": 1, "b": "x"}), json!({"a": 2})]);
        assert_eq!(
            schema,
            json!({"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "string"}}, "required": ["a"]})
        );
    }

    #[test]
    fn small_closed_sets_seen_often_become_enums() {
        let values: Vec<Value> = [1, 4, 1, 4, 1, 4].iter().map(|n| json!(n)).collect();
        assert_eq!(infer(&values), json!({"type": "integer", "enum": [1, 4]}));
        // Seen once each: names, not a closed set.
        assert_eq!(
            infer(&[json!("Thảo"), json!("Chi")]),
            json!({"type": "string"})
        );
        // Ids, and a single value, are not closed sets.
        let ids: Vec<Value> = ["104857600213377", "1479019015501919"]
            .iter()
            .cycle()
            .take(6)
            .map(|s| json!(s))
            .collect();
        assert_eq!(infer(&ids), json!({"type": "string"}));
        assert_eq!(
            infer(&[json!(0), json!(0), json!(0)]),
            json!({"type": "integer"})
        );
    }

    #[test]
    fn formats_for_timestamps_ids_and_secrets() {
        assert_eq!(
            infer(&[
                json!("2026-01-07T13:30:51.329Z"),
                json!("2026-01-07T20:30:45+07:00")
            ]),
            json!({"type": "string", "format": "date-time"})
        );
        assert_eq!(
            infer(&[json!("689763acb11cca3c0b168e77")]),
            json!({"type": "string", "pattern": OBJECT_ID_PATTERN})
        );
        assert_eq!(
            infer(&[json!("0b2d7a6e-1c3f-4a5b-9d8e-7f6a5b4c3d2e")]),
            json!({"type": "string", "format": "uuid"})
        );
        let secret = json!("[jwt TenantId=tomato.tpos.vn exp=1767800000]");
        assert_eq!(
            infer(&[secret.clone(), secret.clone(), secret]),
            json!({"type": "string", "description": "a secret, redacted in the captures"})
        );
    }

    #[test]
    fn json_in_a_string_is_described_by_its_content() {
        let schema = infer(&[json!("{\"Id\":1}"), json!("{\"Id\":2,\"X\":null}")]);
        assert_eq!(
            schema,
            json!({"type": "string", "contentMediaType": "application/json", "contentSchema": {
                "type": "object",
                "properties": {"Id": {"type": "integer"}, "X": {"type": "null"}},
                "required": ["Id"]
            }})
        );
    }

    #[test]
    fn mixed_types_are_a_type_list_and_integers_widen_to_number() {
        assert_eq!(
            infer(&[json!(null), json!(1), json!(1.5), json!("a")]),
            json!({"type": ["null", "number", "string"]})
        );
    }

    fn any_json() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            (-1e9f64..1e9).prop_map(|f| json!(f)),
            "[a-z0-9:.T{}\\[\\]\"-]{0,12}".prop_map(Value::String),
            Just(json!("2026-01-07T13:30:51.329Z")),
            Just(json!("689763acb11cca3c0b168e77")),
            Just(json!("{\"Id\":1,\"T\":[true]}")),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::btree_map("[a-d]", inner, 0..5)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        /// Every value folded in validates against the schema inferred from all of them.
        #[test]
        fn observed_values_validate_against_their_schema(
            values in proptest::collection::vec(any_json(), 1..8),
            enum_min_count in 1u64..3,
        ) {
            let mut shape = Shape::new();
            for v in &values {
                shape.observe(v);
            }
            let options = InferOptions { enum_min_count, ..InferOptions::default() };
            let schema = shape.to_schema(&options);
            for v in &values {
                let mut out = Vec::new();
                crate::schema::check_value(&Value::Null, &schema, v, &crate::schema::JsonPath::root(), &mut out);
                proptest::prop_assert!(out.is_empty(), "{v} against {schema}: {out:?}");
            }
        }

        /// The schema does not depend on the order values were seen in.
        #[test]
        fn inference_ignores_order(values in proptest::collection::vec(any_json(), 1..8)) {
            let mut forward = Shape::new();
            let mut backward = Shape::new();
            for v in &values {
                forward.observe(v);
            }
            for v in values.iter().rev() {
                backward.observe(v);
            }
            let options = InferOptions::default();
            proptest::prop_assert_eq!(forward.to_schema(&options), backward.to_schema(&options));
        }
    }
}
