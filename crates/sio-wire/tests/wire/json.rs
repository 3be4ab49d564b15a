//! The JSON validator and the `RawJson` accessors.

use std::borrow::Cow;

use sio_wire::json::{JsonKind, write_json_str};
use sio_wire::{JsonErrorKind, Limits, RawJson, SocketErrorKind};

fn json_err(text: &str) -> (JsonErrorKind, usize) {
    let e = RawJson::new(text).expect_err(text);
    match e.kind() {
        SocketErrorKind::Json(kind) => (kind, e.offset()),
        other => panic!("not a JSON error: {other:?}"),
    }
}

#[test]
fn accepts_valid_values() {
    for ok in [
        "0",
        "-0",
        "1.5e10",
        "-1E-2",
        "2e+3",
        "\"\"",
        "\"\\u00e9\\n\"",
        "true",
        "false",
        "null",
        "[]",
        "{}",
        " [ 1 , [ ] , { } ] ",
        "\t\n\r[]\r\n\t",
        r#"{"a":{"b":[1,2,{"c":null}]},"d":"e"}"#,
        "\"\\ud800\"",
        "\"Thảo Tây\"",
        "123456789012345678901234567890",
    ] {
        assert!(RawJson::new(ok).is_ok(), "{ok}");
    }
}

#[test]
fn rejects_with_kind_and_offset() {
    use JsonErrorKind::*;
    let cases: &[(&str, JsonErrorKind, usize)] = &[
        ("", UnexpectedEnd, 0),
        ("   ", UnexpectedEnd, 3),
        ("[1,2", UnexpectedEnd, 4),
        ("[1,]", UnexpectedByte, 3),
        ("01", TrailingCharacters, 1),
        ("[01]", UnexpectedByte, 2),
        ("1.", UnexpectedEnd, 2),
        ("1.x", InvalidNumber, 2),
        ("-x", InvalidNumber, 1),
        ("-", UnexpectedEnd, 1),
        ("1e", UnexpectedEnd, 2),
        ("1e+", UnexpectedEnd, 3),
        ("1ex", InvalidNumber, 2),
        ("+1", UnexpectedByte, 0),
        (".5", UnexpectedByte, 0),
        ("\"a\\x\"", InvalidEscape, 3),
        ("\"\\u12g4\"", InvalidEscape, 5),
        ("\"\\u12", UnexpectedEnd, 5),
        ("\"\\", UnexpectedEnd, 2),
        ("\"a\u{1}\"", ControlCharacter, 2),
        ("\"tab\there\"", ControlCharacter, 4),
        ("[1] x", TrailingCharacters, 4),
        ("{\"a\" 1}", UnexpectedByte, 5),
        ("{1:2}", UnexpectedByte, 1),
        ("{\"a\":1,}", UnexpectedByte, 7),
        ("{\"a\":}", UnexpectedByte, 5),
        ("[1}", UnexpectedByte, 2),
        ("{\"a\":1]", UnexpectedByte, 6),
        ("tru", UnexpectedEnd, 3),
        ("trux", UnexpectedByte, 3),
        ("nul", UnexpectedEnd, 3),
        ("True", UnexpectedByte, 0),
        ("\"abc", UnexpectedEnd, 4),
        ("[\"a\" \"b\"]", UnexpectedByte, 5),
        ("'a'", UnexpectedByte, 0),
        ("[1,2]]", TrailingCharacters, 5),
        ("NaN", UnexpectedByte, 0),
        ("\u{feff}[]", UnexpectedByte, 0),
    ];
    for &(text, kind, offset) in cases {
        assert_eq!(json_err(text), (kind, offset), "{text:?}");
    }
}

#[test]
fn depth_limit_is_exact() {
    let mut limits = Limits::default();
    limits.max_json_depth = 5;
    let ok = format!("{}{}", "[".repeat(5), "]".repeat(5));
    assert!(RawJson::with_limits(&ok, &limits).is_ok());
    let ok = r#"{"a":{"b":[{"c":[]}]}}"#;
    assert!(RawJson::with_limits(ok, &limits).is_ok());
    let deep = format!("{}{}", "[".repeat(6), "]".repeat(6));
    let e = RawJson::with_limits(&deep, &limits).expect_err("six levels");
    assert_eq!(
        (e.kind(), e.offset()),
        (SocketErrorKind::Json(JsonErrorKind::TooDeep), 5)
    );
    // The default is 128 levels.
    let ok = format!("{}{}", "[".repeat(128), "]".repeat(128));
    assert!(RawJson::new(&ok).is_ok());
    let deep = format!("{}{}", "[".repeat(129), "]".repeat(129));
    assert_eq!(json_err(&deep), (JsonErrorKind::TooDeep, 128));
}

#[test]
fn hostile_nesting_neither_recurses_nor_allocates_without_bound() {
    let huge = "[".repeat(1_000_000);
    assert_eq!(json_err(&huge), (JsonErrorKind::TooDeep, 128));
    let limits = Limits::permissive();
    let e = RawJson::with_limits(&huge, &limits).expect_err("too deep for the cap");
    assert_eq!(
        (e.kind(), e.offset()),
        (
            SocketErrorKind::Json(JsonErrorKind::TooDeep),
            sio_wire::MAX_JSON_DEPTH_CAP as usize
        )
    );
    let ok = format!(
        "{}{}",
        "{\"a\":".repeat(512),
        "1".to_owned() + &"}".repeat(512)
    );
    assert!(RawJson::with_limits(&ok, &limits).is_ok());
}

#[test]
fn swar_finds_specials_at_every_position() {
    for pos in 0..40 {
        for special in ['\u{1f}', '\u{0}', '\n'] {
            let s = format!("\"{}{special}yyyyyyyyyyyy\"", "x".repeat(pos));
            assert_eq!(
                json_err(&s),
                (JsonErrorKind::ControlCharacter, pos + 1),
                "{s:?}"
            );
        }
        let s = format!("\"{}\\q{}\"", "é".repeat(pos), "z".repeat(pos));
        assert_eq!(json_err(&s), (JsonErrorKind::InvalidEscape, 2 * pos + 2));
        let s = format!("[\"{}\",1]", "\\\"x".repeat(pos));
        assert!(RawJson::new(&s).is_ok());
        // Bytes at and above 0x80 (UTF-8) never count as control characters.
        let s = format!("\"{}\"", "\u{7f}\u{80}\u{ff}\u{100}€😀".repeat(pos));
        assert!(RawJson::new(&s).is_ok());
    }
}

#[test]
fn string_decoding() {
    let raw = RawJson::new(r#""a\"b\\c\/d\u00e9\ud83d\ude00\ud800x\b\f\n\r\t""#).unwrap();
    assert_eq!(
        raw.as_json_str().unwrap(),
        "a\"b\\c/dé😀\u{fffd}x\u{8}\u{c}\n\r\t"
    );
    assert!(raw.str_eq("a\"b\\c/dé😀\u{fffd}x\u{8}\u{c}\n\r\t"));
    assert!(!raw.str_eq("a\"b\\c/dé😀\u{fffd}x"));
    assert!(!raw.str_eq("a\"b\\c/dé😀\u{fffd}x\u{8}\u{c}\n\r\tZ"));
    assert!(matches!(
        RawJson::new("\"plain\"").unwrap().as_json_str(),
        Some(Cow::Borrowed("plain"))
    ));
    assert_eq!(RawJson::new("1").unwrap().as_json_str(), None);
    assert_eq!(RawJson::new(" \"x\" ").unwrap().as_json_str().unwrap(), "x");
    // A low surrogate alone, and a high surrogate followed by a non-surrogate escape.
    let raw = RawJson::new(r#""\udc00\ud800\u0041""#).unwrap();
    assert_eq!(raw.as_json_str().unwrap(), "\u{fffd}\u{fffd}A");
    let mut buf = String::from("old");
    assert!(raw.decode_str_into(&mut buf));
    assert_eq!(buf, "\u{fffd}\u{fffd}A");
    assert!(!RawJson::new("[]").unwrap().decode_str_into(&mut buf));
    assert_eq!(buf, "");
}

#[test]
fn kinds_and_scalars() {
    let cases = [
        ("{}", JsonKind::Object),
        (" []", JsonKind::Array),
        ("\"\"", JsonKind::String),
        ("-1", JsonKind::Number),
        ("true", JsonKind::Bool),
        ("false", JsonKind::Bool),
        ("null", JsonKind::Null),
    ];
    for (text, kind) in cases {
        assert_eq!(RawJson::new(text).unwrap().kind(), kind, "{text}");
    }
    assert_eq!(RawJson::new(" 25000 ").unwrap().as_u64(), Some(25000));
    assert_eq!(RawJson::new("-1").unwrap().as_u64(), None);
    assert_eq!(RawJson::new("1.0").unwrap().as_u64(), None);
    assert_eq!(RawJson::new("1e3").unwrap().as_u64(), None);
    assert_eq!(RawJson::new("18446744073709551616").unwrap().as_u64(), None);
    assert_eq!(RawJson::new("true").unwrap().as_bool(), Some(true));
    assert_eq!(RawJson::new("null").unwrap().as_bool(), None);
    assert!(RawJson::new(" null").unwrap().is_null());
    assert_eq!(RawJson::new(" [1] ").unwrap().trimmed(), "[1]");
}

#[test]
fn elements_members_and_get() {
    let raw = RawJson::new(r#" { "a" : 1 , "b":[1,{"x":"}]\""}], "a": "last" } "#).unwrap();
    let keys: Vec<_> = raw.members().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["\"a\"", "\"b\"", "\"a\""]);
    assert_eq!(raw.get("a").unwrap().as_str(), "\"last\"");
    assert_eq!(raw.get("b").unwrap().as_str(), r#"[1,{"x":"}]\""}]"#);
    assert_eq!(raw.get("zz"), None);
    let b = raw.get("b").unwrap();
    let elements: Vec<_> = b.elements().map(|e| e.as_str()).collect();
    assert_eq!(elements, ["1", r#"{"x":"}]\""}"#]);
    assert_eq!(raw.offset_of(&b), 17);
    assert_eq!(RawJson::new("[]").unwrap().elements().count(), 0);
    assert_eq!(RawJson::new("[ ]").unwrap().elements().count(), 0);
    assert_eq!(RawJson::new("{}").unwrap().elements().count(), 0);
    assert_eq!(RawJson::new("[1]").unwrap().members().count(), 0);
    assert_eq!(RawJson::new(r#"{ }"#).unwrap().members().count(), 0);
    let escaped_key = RawJson::new(r#"{"\u0061":true}"#).unwrap();
    assert_eq!(escaped_key.get("a").unwrap().as_bool(), Some(true));
}

#[test]
fn event_name_and_args() {
    let raw = RawJson::new(r#"["on-\u0065vents", 1 ,"two",[3],{"4":4}]"#).unwrap();
    assert_eq!(raw.event_name().unwrap(), "on-events");
    let args: Vec<_> = raw.args().map(|a| a.as_str()).collect();
    assert_eq!(args, ["1", "\"two\"", "[3]", r#"{"4":4}"#]);
    assert!(matches!(
        RawJson::new(r#"["hey"]"#).unwrap().event_name().unwrap(),
        Cow::Borrowed("hey")
    ));
    assert_eq!(RawJson::new(r#"["hey"]"#).unwrap().args().count(), 0);
    let e = RawJson::new("{}").unwrap().event_name().unwrap_err();
    assert_eq!((e.kind(), e.offset()), (SocketErrorKind::NotAnArray, 0));
    let e = RawJson::new(" []").unwrap().event_name().unwrap_err();
    assert_eq!(
        (e.kind(), e.offset()),
        (SocketErrorKind::MissingEventName, 1)
    );
    let e = RawJson::new("[ 1,\"a\"]")
        .unwrap()
        .event_name()
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.offset()),
        (SocketErrorKind::EventNameNotString, 2)
    );
}

#[test]
fn write_json_str_escapes_like_json_stringify() {
    let mut out = String::new();
    write_json_str("a\"\\\u{1}\u{8}\u{c}\n\r\t/é\u{1f}\u{7f}", &mut out);
    // JSON.stringify("a\"\\\x01\b\f\n\r\t/é\x1f\x7f")
    assert_eq!(out, "\"a\\\"\\\\\\u0001\\b\\f\\n\\r\\t/é\\u001f\u{7f}\"");
    let back = RawJson::new(&out).unwrap();
    assert_eq!(
        back.as_json_str().unwrap(),
        "a\"\\\u{1}\u{8}\u{c}\n\r\t/é\u{1f}\u{7f}"
    );
    for s in [
        "",
        "plain",
        "long enough to take the eight-byte path \" here",
    ] {
        let mut out = String::new();
        write_json_str(s, &mut out);
        assert_eq!(serde_json::from_str::<String>(&out).unwrap(), s);
        assert_eq!(out, serde_json::to_string(s).unwrap());
    }
}

#[test]
fn last_element_is_found_without_scanning_it() {
    // Validated arrays remember where their last element starts; the answers must not
    // depend on it.
    for text in [
        r#"["on-events","x\"y"]"#,
        r#" [ "on-events" , "x\"y" ] "#,
        "[1]",
        "[ [1,[2]] ,\n {\"a\":[3]}\t]\n",
        r#"["a",1,true,null,{"k":"v"},["n"]]"#,
    ] {
        let validated = RawJson::new(text).unwrap();
        let expected: Vec<serde_json::Value> =
            serde_json::from_str::<Vec<serde_json::Value>>(text).unwrap();
        let spans: Vec<_> = validated.elements().map(|e| e.as_str()).collect();
        let parsed: Vec<serde_json::Value> = spans
            .iter()
            .map(|s| serde_json::from_str(s).unwrap())
            .collect();
        assert_eq!(parsed, expected, "{text}");
        for span in &spans {
            assert_eq!(span.trim(), *span, "no whitespace around {span:?}");
        }
        // The same array as a sub-span (which carries no hint) iterates the same.
        let wrapper = format!("[{text}]");
        let wrapped = RawJson::new(&wrapper).unwrap();
        let inner = wrapped.elements().next().unwrap();
        assert_eq!(
            inner.elements().map(|e| e.as_str()).collect::<Vec<_>>(),
            spans
        );
    }
}
