//! The validator accepts exactly what serde_json accepts (RFC 8259), and the accessors agree
//! with serde_json's reading of the same text.

use proptest::prelude::*;
use serde_json::Value;
use serde_json::value::RawValue;
use sio_wire::RawJson;

fn arb_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON has no NaN or infinities", |f| f.is_finite())
            .prop_map(Value::from),
        any::<String>().prop_map(Value::String),
        "[\\\\\"/\u{0}-\u{1f}a-z€😀]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((any::<String>(), inner), 0..6)
                .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

fn serde_accepts(text: &str) -> bool {
    serde_json::from_str::<&RawValue>(text).is_ok()
}

/// Bytes that matter to JSON's grammar, for mutations.
const JSON_BYTES: &[char] = &[
    '[', ']', '{', '}', '"', ',', ':', '\\', '/', '-', '+', '.', '0', '1', '9', 'e', 'E', 't', 'f',
    'n', 'u', 'a', ' ', '\t', '\n', '\r', '\u{0}', '\u{1f}', '\u{7f}', 'é', '😀',
];

#[derive(Debug, Clone)]
enum Mutation {
    Insert(prop::sample::Index, char),
    Delete(prop::sample::Index),
    Replace(prop::sample::Index, char),
}

fn arb_mutation() -> impl Strategy<Value = Mutation> {
    let c = prop::sample::select(JSON_BYTES);
    prop_oneof![
        (any::<prop::sample::Index>(), c.clone()).prop_map(|(i, c)| Mutation::Insert(i, c)),
        any::<prop::sample::Index>().prop_map(Mutation::Delete),
        (any::<prop::sample::Index>(), c).prop_map(|(i, c)| Mutation::Replace(i, c)),
    ]
}

fn mutate(text: &str, mutations: &[Mutation]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for m in mutations {
        match m {
            Mutation::Insert(i, c) => {
                let at = i.index(chars.len() + 1);
                chars.insert(at, *c);
            }
            Mutation::Delete(i) if !chars.is_empty() => {
                let at = i.index(chars.len());
                chars.remove(at);
            }
            Mutation::Replace(i, c) if !chars.is_empty() => {
                let at = i.index(chars.len());
                chars[at] = *c;
            }
            _ => {}
        }
    }
    chars.into_iter().collect()
}

/// Checks that the accessors read `text` as serde_json reads it.
fn assert_accessors_agree(text: &str) {
    let raw = RawJson::new(text).unwrap();
    let value: Value = serde_json::from_str(text).unwrap();
    match &value {
        Value::Array(items) => {
            let spans: Vec<_> = raw.elements().collect();
            assert_eq!(spans.len(), items.len(), "{text}");
            for (span, item) in spans.iter().zip(items) {
                let parsed: Value = serde_json::from_str(span.as_str()).unwrap();
                assert_eq!(&parsed, item);
            }
        }
        Value::Object(map) => {
            let members: Vec<_> = raw.members().collect();
            assert_eq!(members.len(), map.len(), "{text}");
            for (key, span) in members {
                let key = key.as_json_str().unwrap();
                let parsed: Value = serde_json::from_str(span.as_str()).unwrap();
                assert_eq!(Some(&parsed), map.get(key.as_ref()));
                assert_eq!(raw.get(&key).map(|v| v.as_str()), Some(span.as_str()));
            }
        }
        Value::String(s) => {
            assert_eq!(raw.as_json_str().as_deref(), Some(s.as_str()));
            assert!(raw.str_eq(s));
        }
        Value::Number(n) => assert_eq!(
            raw.as_u64(),
            n.as_u64().filter(|_| !text.contains(['.', 'e', 'E', '-']))
        ),
        Value::Bool(b) => assert_eq!(raw.as_bool(), Some(*b)),
        Value::Null => assert!(raw.is_null()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn serialized_values_validate(value in arb_value()) {
        let compact = serde_json::to_string(&value).unwrap();
        prop_assert!(RawJson::new(&compact).is_ok(), "{}", compact);
        assert_accessors_agree(&compact);
        let pretty = serde_json::to_string_pretty(&value).unwrap();
        prop_assert!(RawJson::new(&pretty).is_ok(), "{}", pretty);
        assert_accessors_agree(&pretty);
    }

    #[test]
    fn mutated_values_agree_with_serde(
        value in arb_value(),
        mutations in prop::collection::vec(arb_mutation(), 1..4),
    ) {
        let text = mutate(&serde_json::to_string(&value).unwrap(), &mutations);
        let ours = RawJson::new(&text);
        prop_assert_eq!(ours.is_ok(), serde_accepts(&text), "{:?}: {:?}", text, ours);
        if let Err(e) = ours {
            prop_assert!(e.offset() <= text.len());
        }
    }

    #[test]
    fn json_alphabet_soup_agrees_with_serde(
        text in "[\\[\\]{}\",:\\\\/+\\-.0-9eEtrufalsn \t\n\u{1}a-fA-F]{0,24}"
    ) {
        prop_assert_eq!(RawJson::new(&text).is_ok(), serde_accepts(&text), "{:?}", text);
    }

    #[test]
    fn escapes_decode_like_serde(
        parts in prop::collection::vec(prop_oneof![
            "[a-zé😀 ]{0,4}",
            prop::sample::select(vec![
                "\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t", "\\u0000",
                "\\u00e9", "\\u20AC", "\\ud83d\\ude00", "\\uD83D\\uDE00", "\\ud800", "\\udc00",
                "\\ud800\\u0041", "\\uffff",
            ]).prop_map(str::to_owned),
        ], 0..8)
    ) {
        let text = format!("\"{}\"", parts.concat());
        let raw = RawJson::new(&text).unwrap();
        prop_assert!(serde_accepts(&text));
        match serde_json::from_str::<String>(&text) {
            // serde_json refuses lone surrogates in strings; ours become U+FFFD.
            Ok(s) => {
                prop_assert_eq!(raw.as_json_str().unwrap(), s.as_str());
                prop_assert!(raw.str_eq(&s));
            }
            Err(_) => prop_assert!(raw.as_json_str().unwrap().contains(char::REPLACEMENT_CHARACTER)),
        }
    }
}

/// Pieces of long, escape-dense strings: mostly valid content, sometimes a fault.
fn arb_string_piece() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        40 => prop::sample::select(vec![
            "\\\"", "\\\\", "\\/", "\\n", "\\u00e9", "\\uD83D\\uDE00", "x", "é", "Thảo",
            "abcdefgh", " ", ":", "{", "}", "[", "]", ",", "😀",
        ]),
        1 => prop::sample::select(vec![
            "\"", "\\", "\\q", "\\u00g0", "\\u0", "\u{1}", "\u{1f}", "\n", "\\\u{1}",
        ]),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// Long strings go through the 64-byte block scanner; it must agree with the scalar scanner
    /// on validity, error kind and error offset, and with serde_json on validity.
    #[test]
    fn block_string_scanner_matches_scalar(
        parts in prop::collection::vec(arb_string_piece(), 10..160),
        tail in prop::sample::select(vec!["\"]", "\"", "", "\\", "\\\"]", "\"]x"]),
    ) {
        let text = format!("[\"short\",\"{}{}", parts.concat(), tail);
        let ours = RawJson::new(&text).map(|_| ()).map_err(|e| {
            let sio_wire::SocketErrorKind::Json(kind) = e.kind() else { panic!("{e}") };
            (kind, e.offset())
        });
        let scalar = sio_wire::json::validate_scalar_strings(&text);
        prop_assert_eq!(ours, scalar, "{:?}", text);
        prop_assert_eq!(ours.is_ok(), serde_accepts(&text), "{:?}", text);
    }
}

#[test]
fn block_scanner_edges() {
    // Escapes, quotes and the end of input at every position around the 64-byte block
    // boundaries, in an array and as a top-level string (where a string that "ends" past the
    // input would show as trailing characters).
    for pad in 0..140 {
        for tail in [
            "\\\"\"]",
            "\\\\\"]",
            "\\\\\\\"\"]",
            "\\u0041\"]",
            "\\u00\"]",
            "\u{2}\"]",
            "\\x\"]",
            "",
            "\\",
            "\\\\",
            "\\u00",
            "\\\"",
        ] {
            let body = format!("{}\\\"{}{}", "a".repeat(20), "b".repeat(pad), tail);
            for text in [
                format!("[\"{body}"),
                format!("\"{}", body.trim_end_matches(']')),
            ] {
                let ours = RawJson::new(&text).map(|_| ()).map_err(|e| {
                    let sio_wire::SocketErrorKind::Json(kind) = e.kind() else {
                        panic!("{e}")
                    };
                    (kind, e.offset())
                });
                assert_eq!(
                    ours,
                    sio_wire::json::validate_scalar_strings(&text),
                    "{text:?}"
                );
                assert_eq!(ours.is_ok(), serde_accepts(&text), "{text:?}");
                if let Err((_, offset)) = ours {
                    assert!(offset <= text.len(), "{text:?}");
                }
            }
        }
    }
}

#[test]
fn edge_cases_agree_with_serde() {
    for text in [
        "",
        " ",
        "-",
        "-0",
        "-01",
        "0.0e",
        "0e0",
        "0E-0",
        "1e+1",
        "00",
        "[-]",
        "[,]",
        "[1 2]",
        "{\"a\"}",
        "{,}",
        "{\"a\":1 \"b\":2}",
        "\"\\u\"",
        "\"\\uZZZZ\"",
        "\"\\U0041\"",
        "\"\u{7f}\"",
        "\u{a0}1",
        "\u{feff}1",
        "1\u{0}",
        "[\"\\\"]",
        "{\"\\\"\":\"\\\\\"}",
        "nulll",
        "[true,false,null]",
        "\"\u{2028}\"",
        "[[[]]]",
        "[[]]]",
        "{\"a\":{\"b\":{}}}}",
    ] {
        assert_eq!(RawJson::new(text).is_ok(), serde_accepts(text), "{text:?}");
    }
}
