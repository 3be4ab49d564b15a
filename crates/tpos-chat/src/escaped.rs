//! Reading the inner document straight out of the escaped argument, without unescaping it.
//!
//! The argument of an `on-events` frame is a JSON string literal whose content is JSON, so the
//! inner document's quotes arrive as `\"`, its whitespace as spaces (or `\n`, `\t`, `\r`), and
//! its own escapes doubled (`\\n`, `\\u1ea3`, `\\\"`). Everything else (braces, colons, numbers,
//! and the text of almost every string) is the same at both levels. This module is a serde
//! [`Deserializer`] that reads the inner grammar in that escaped form directly: a string with no
//! escapes of its own is borrowed from the frame itself, one with escapes is decoded into an
//! owned `String`, and no pass over the text unescapes it first. That halves the work of the
//! scratch-buffer path for rt-2's frames.
//!
//! It is a fast path, not the reference: it gives up ([`Bail`]) on anything unusual (a number
//! with a fraction, an outer escape such as `\u00e9` that rt-2 never writes, a lone surrogate,
//! any grammar error, a missing field) and the caller then takes the reference path
//! (unescape into the scratch buffer, then serde_json), which decodes or reports the error
//! with its field path. So a document is accepted here only if it is valid JSON, and it
//! decodes to what the reference path would give; the crate's tests and the `decode_argument`
//! fuzz body check both.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::value::{BorrowedStrDeserializer, StringDeserializer};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::json_string::{hex4, is_special, letter_escape, special_bytes};

/// The fast path gave up; the reference path will decode the input or say what is wrong.
#[derive(Debug)]
pub(crate) struct Bail;

impl fmt::Display for Bail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not decodable on the fast path")
    }
}

impl std::error::Error for Bail {}

impl de::Error for Bail {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Bail
    }
}

/// Deeper documents are left to serde_json, whose own limit is 128.
const MAX_DEPTH: usize = 100;

/// Decodes `T` from the JSON string literal `literal` (quotes included) whose content is a JSON
/// document, or returns `None` when the reference path must decide.
pub(crate) fn decode_escaped<'de, T: Deserialize<'de>>(literal: &'de str) -> Option<T> {
    let bytes = literal.as_bytes();
    if bytes.first() != Some(&b'"') {
        return None;
    }
    let mut de = Escaped {
        src: literal,
        bytes,
        pos: 1,
        depth: 0,
    };
    let value = T::deserialize(&mut de).ok()?;
    de.skip_ws();
    (de.pos + 1 == bytes.len() && de.peek() == Some(b'"')).then_some(value)
}

/// A cursor over the literal's bytes; `pos` is a physical offset.
struct Escaped<'de> {
    src: &'de str,
    bytes: &'de [u8],
    pos: usize,
    depth: usize,
}

impl<'de> Escaped<'de> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// Skips inner whitespace: spaces, and tabs, newlines and returns as the outer level
    /// escapes them. (A raw control character cannot appear in the outer string.)
    fn skip_ws(&mut self) {
        loop {
            match self.peek() {
                Some(b' ') => self.pos += 1,
                Some(b'\\') if matches!(self.bytes.get(self.pos + 1), Some(b'n' | b't' | b'r')) => {
                    self.pos += 2;
                }
                _ => return,
            }
        }
    }

    /// Consumes `b` after optional whitespace.
    fn expect(&mut self, b: u8) -> Result<(), Bail> {
        self.skip_ws();
        if self.peek() == Some(b) {
            self.pos += 1;
            Ok(())
        } else {
            Err(Bail)
        }
    }

    fn enter(&mut self) -> Result<(), Bail> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Bail);
        }
        Ok(())
    }

    /// The offset of the first quote, backslash or control byte at or after `i` (or the end).
    fn scan_plain(&self, mut i: usize) -> usize {
        while let Some(word) = self
            .bytes
            .get(i..i + 8)
            .and_then(|w| <[u8; 8]>::try_from(w).ok())
        {
            let mask = special_bytes(u64::from_le_bytes(word));
            if mask != 0 {
                return i + (mask.trailing_zeros() / 8) as usize;
            }
            i += 8;
        }
        while let Some(&b) = self.bytes.get(i) {
            if is_special(b) {
                return i;
            }
            i += 1;
        }
        i
    }

    /// Reads an inner string; the cursor is at its opening `\"`.
    fn string(&mut self) -> Result<Cow<'de, str>, Bail> {
        if !(self.peek() == Some(b'\\') && self.bytes.get(self.pos + 1) == Some(&b'"')) {
            return Err(Bail);
        }
        let start = self.pos + 2;
        let end = self.scan_plain(start);
        match (self.bytes.get(end), self.bytes.get(end + 1)) {
            (Some(b'\\'), Some(b'"')) => {
                self.pos = end + 2;
                // `start` and `end` sit next to ASCII bytes, so they are char boundaries.
                self.src.get(start..end).map(Cow::Borrowed).ok_or(Bail)
            }
            (Some(b'\\'), Some(b'\\')) => self.owned_string(start).map(Cow::Owned),
            _ => Err(Bail),
        }
    }

    /// Reads the rest of an inner string that has escapes of its own, from `i`.
    fn owned_string(&mut self, mut i: usize) -> Result<String, Bail> {
        let mut out = String::new();
        loop {
            let end = self.scan_plain(i);
            out.push_str(self.src.get(i..end).ok_or(Bail)?);
            match (self.bytes.get(end), self.bytes.get(end + 1)) {
                (Some(b'\\'), Some(b'"')) => {
                    self.pos = end + 2;
                    return Ok(out);
                }
                // `\\` is the inner escape's backslash; its letter follows.
                (Some(b'\\'), Some(b'\\')) => {
                    let (c, len) = self.inner_escape(end + 2)?;
                    out.push(c);
                    i = end + 2 + len;
                }
                _ => return Err(Bail),
            }
        }
    }

    /// Decodes the inner escape whose letter starts at `at`; returns the character and the
    /// number of bytes after the `\\` it took.
    fn inner_escape(&self, at: usize) -> Result<(char, usize), Bail> {
        let c = match self.bytes.get(at).ok_or(Bail)? {
            // The inner `\"` and `\\` have their second character escaped again.
            b'\\' => {
                return match self.bytes.get(at + 1) {
                    Some(b'"') => Ok(('"', 2)),
                    Some(b'\\') => Ok(('\\', 2)),
                    _ => Err(Bail),
                };
            }
            b'u' => {
                let first = self.hex4(at + 1)?;
                if (0xDC00..0xE000).contains(&first) {
                    return Err(Bail);
                }
                if (0xD800..0xDC00).contains(&first) {
                    // The low half follows as another doubled escape: `\\uDC00`.
                    if self.bytes.get(at + 5..at + 8) != Some(b"\\\\u") {
                        return Err(Bail);
                    }
                    let low = self.hex4(at + 8)?;
                    if !(0xDC00..0xE000).contains(&low) {
                        return Err(Bail);
                    }
                    let code = 0x10000 + ((first - 0xD800) << 10) + (low - 0xDC00);
                    return Ok((char::from_u32(code).ok_or(Bail)?, 12));
                }
                return Ok((char::from_u32(first).ok_or(Bail)?, 5));
            }
            &letter => letter_escape(letter).ok_or(Bail)?,
        };
        Ok((c, 1))
    }

    fn hex4(&self, at: usize) -> Result<u32, Bail> {
        hex4(self.bytes, at).ok_or(Bail)
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), Bail> {
        if self.bytes.get(self.pos..self.pos + word.len()) == Some(word) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(Bail)
        }
    }

    /// Reads an integer (`-?(0|[1-9][0-9]*)`, nothing after it that would make it a float):
    /// the magnitude and whether it was negative.
    fn integer(&mut self) -> Result<(bool, u64), Bail> {
        let negative = self.peek() == Some(b'-');
        if negative {
            self.pos += 1;
        }
        let mut value: u64 = 0;
        let first = self.pos;
        while let Some(d @ b'0'..=b'9') = self.peek() {
            value = value
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(d - b'0')))
                .ok_or(Bail)?;
            self.pos += 1;
        }
        let digits = self.pos - first;
        if digits == 0 || (digits > 1 && self.bytes.get(first) == Some(&b'0')) {
            return Err(Bail);
        }
        if matches!(self.peek(), Some(b'.' | b'e' | b'E')) || (negative && value == 0) {
            // Floats and -0 are serde_json's to read.
            return Err(Bail);
        }
        Ok((negative, value))
    }

    /// Validates a number of any form without reading its value.
    fn skip_number(&mut self) -> Result<(), Bail> {
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        let digits = |de: &mut Self| {
            let start = de.pos;
            while matches!(de.peek(), Some(b'0'..=b'9')) {
                de.pos += 1;
            }
            de.pos - start
        };
        let first = self.pos;
        let n = digits(self);
        if n == 0 || (n > 1 && self.bytes.get(first) == Some(&b'0')) {
            return Err(Bail);
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if digits(self) == 0 {
                return Err(Bail);
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if digits(self) == 0 {
                return Err(Bail);
            }
        }
        Ok(())
    }

    /// Validates an inner string without keeping it.
    fn skip_string(&mut self) -> Result<(), Bail> {
        self.string().map(drop)
    }

    /// Validates any value without keeping it (unknown fields).
    fn skip_value(&mut self) -> Result<(), Bail> {
        self.skip_ws();
        match self.peek().ok_or(Bail)? {
            b'{' => self.container(b'{', b'}', |items| {
                while items.advance()? {
                    items.de.skip_ws();
                    items.de.skip_string()?;
                    items.de.expect(b':')?;
                    items.de.skip_value()?;
                }
                Ok(())
            }),
            b'[' => self.container(b'[', b']', |items| {
                while items.advance()? {
                    items.de.skip_value()?;
                }
                Ok(())
            }),
            b'\\' => self.skip_string(),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.skip_number(),
            _ => Err(Bail),
        }
    }
}

impl<'de> Deserializer<'de> for &mut Escaped<'de> {
    type Error = Bail;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Bail> {
        self.skip_ws();
        match self.peek().ok_or(Bail)? {
            b'{' => self.deserialize_map(visitor),
            b'[' => self.deserialize_seq(visitor),
            b'\\' => match self.string()? {
                Cow::Borrowed(s) => visitor.visit_borrowed_str(s),
                Cow::Owned(s) => visitor.visit_string(s),
            },
            b't' => {
                self.literal(b"true")?;
                visitor.visit_bool(true)
            }
            b'f' => {
                self.literal(b"false")?;
                visitor.visit_bool(false)
            }
            b'n' => {
                self.literal(b"null")?;
                visitor.visit_unit()
            }
            b'-' | b'0'..=b'9' => match self.integer()? {
                (false, n) => visitor.visit_u64(n),
                (true, n) => {
                    let n = i64::try_from(n).map_err(|_| Bail)?;
                    visitor.visit_i64(-n)
                }
            },
            _ => Err(Bail),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Bail> {
        self.skip_ws();
        if self.peek() == Some(b'n') {
            self.literal(b"null")?;
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Bail> {
        self.skip_value()?;
        visitor.visit_unit()
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Bail> {
        self.skip_ws();
        match self.string()? {
            Cow::Borrowed(s) => visitor.visit_borrowed_str(s),
            Cow::Owned(s) => visitor.visit_string(s),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Bail> {
        self.deserialize_str(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Bail> {
        self.deserialize_str(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Bail> {
        self.container(b'{', b'}', |items| visitor.visit_map(items))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Bail> {
        self.deserialize_map(visitor)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Bail> {
        self.container(b'[', b']', |items| visitor.visit_seq(items))
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Bail> {
        self.deserialize_seq(visitor)
    }

    // Shapes this crate's types never ask for: the reference path reads them.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Bail> {
        Err(Bail)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _visitor: V,
    ) -> Result<V::Value, Bail> {
        Err(Bail)
    }

    fn deserialize_f32<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Bail> {
        Err(Bail)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Bail> {
        Err(Bail)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 char bytes byte_buf unit unit_struct
        tuple_struct
    }
}

impl<'de> Escaped<'de> {
    /// Reads an object or array: `open`, the items (which `visit` reads through [`Items`]),
    /// then `close`, which `visit` must have reached.
    fn container<T>(
        &mut self,
        open: u8,
        close: u8,
        visit: impl FnOnce(&mut Items<'_, 'de>) -> Result<T, Bail>,
    ) -> Result<T, Bail> {
        self.expect(open)?;
        self.enter()?;
        let mut items = Items {
            de: &mut *self,
            close,
            first: true,
            done: false,
        };
        let value = visit(&mut items)?;
        if !items.done {
            return Err(Bail);
        }
        self.depth -= 1;
        Ok(value)
    }
}

/// The items of an object or array being read, comma-separated up to `close`.
struct Items<'a, 'de> {
    de: &'a mut Escaped<'de>,
    close: u8,
    first: bool,
    /// The closing bracket was consumed.
    done: bool,
}

impl Items<'_, '_> {
    /// Moves to the next item (past its `,`, after the first): `false` once the closing
    /// bracket is consumed instead.
    fn advance(&mut self) -> Result<bool, Bail> {
        self.de.skip_ws();
        match self.de.peek() {
            Some(b) if b == self.close => {
                self.de.pos += 1;
                self.done = true;
                return Ok(false);
            }
            Some(b',') if !self.first => self.de.pos += 1,
            _ if self.first => {}
            _ => return Err(Bail),
        }
        self.first = false;
        Ok(true)
    }
}

impl<'de> MapAccess<'de> for Items<'_, 'de> {
    type Error = Bail;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Bail> {
        if !self.advance()? {
            return Ok(None);
        }
        // A key is read where it starts, so the space before it goes first.
        self.de.skip_ws();
        let key = match self.de.string()? {
            Cow::Borrowed(s) => seed.deserialize(BorrowedStrDeserializer::<Bail>::new(s))?,
            Cow::Owned(s) => seed.deserialize(StringDeserializer::<Bail>::new(s))?,
        };
        self.de.expect(b':')?;
        Ok(Some(key))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Bail> {
        seed.deserialize(&mut *self.de)
    }
}

impl<'de> SeqAccess<'de> for Items<'_, 'de> {
    type Error = Bail;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Bail> {
        if !self.advance()? {
            return Ok(None);
        }
        seed.deserialize(&mut *self.de).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{OnEvent, decode_event_json, encode_json_string};

    /// The fast path and serde_json agree on `inner`: same value, or the fast path bails.
    fn agrees(inner: &str) -> Option<OnEvent<'static>> {
        let literal = encode_json_string(inner);
        let fast = decode_escaped::<OnEvent<'_>>(&literal).map(OnEvent::into_owned);
        let reference = serde_json::from_str::<OnEvent<'_>>(inner)
            .ok()
            .map(OnEvent::into_owned);
        if let Some(fast) = &fast {
            assert_eq!(Some(fast), reference.as_ref(), "{inner}");
        }
        fast
    }

    const SEED: &str = r#"{"Conversation":{"Id":"689763acb11cca3c0b168e77","ChannelType":4,"ChannelId":"1479019015501919","UserId":"3430680146979574","Name":"Thảo Tây","UpdatedTime":"2026-01-07T13:30:51.329Z"},"Message":{"Id":"695e60057b7c8059540ed555","Message":"Nu","MessageType":12,"Data":{"message":"Nu","created_time":"2026-01-07T20:30:45+07:00","from":{"id":"3430680146979574","name":"Thảo Tây"}},"EventName":"chatomni.on-message"}}"#;

    #[test]
    fn the_seed_decodes_on_the_fast_path_borrowing_from_the_literal() {
        let literal = encode_json_string(SEED);
        let e: OnEvent<'_> = decode_escaped(&literal).unwrap();
        let c = e.conversation.as_ref().unwrap();
        assert!(matches!(c.name, Some(Cow::Borrowed("Thảo Tây"))));
        assert_eq!(
            e.into_owned(),
            decode_event_json(SEED).unwrap().into_owned()
        );
    }

    #[test]
    fn inner_escapes_decode_into_owned_text() {
        let inner = r#"{"Conversation":{"Id":"c","ChannelType":1,"ChannelId":"p","Name":"a\"b\\c\/d\n\t\u1ea3\ud83d\ude00\u0000"},"EventName":"x"}"#;
        let e = agrees(inner).unwrap();
        assert_eq!(
            e.conversation.unwrap().name.as_deref(),
            Some("a\"b\\c/d\n\tả😀\u{0}")
        );
    }

    #[test]
    fn whitespace_unknown_values_and_nesting_are_read() {
        let inner = "{ \"Extra\" : [1, -2, 3.5e-3, 0.25E+2, true, false, null, {}, [], {\"a\": [{}]}],\n\t\"EventName\" :\r\n \"x\" , \"Conversation\": null, \"Message\": {\"Id\": \"m\", \"MessageType\": -7, \"IsOwner\": true} }";
        let e = agrees(inner).unwrap();
        assert_eq!(e.event_name(), Some("x"));
        assert_eq!(e.message.unwrap().message_type.code(), -7);
    }

    #[test]
    fn anything_unusual_is_left_to_the_reference_path() {
        let bail = [
            // Grammar errors serde_json reports.
            r#"{"EventName":"x",}"#,
            r#"{,"EventName":"x"}"#,
            r#"{"EventName":"x" "a":1}"#,
            r#"{"EventName":"x","a":[1,]}"#,
            r#"{"EventName":"x","a":01}"#,
            r#"{"EventName":"x","a":1.}"#,
            r#"{"EventName":"x","a":1e}"#,
            r#"{"EventName":"x","a":-}"#,
            r#"{"EventName":"x","a":tru}"#,
            r#"{"EventName":"x","a":"\q"}"#,
            r#"{"EventName":"x","a":"\u12"}"#,
            r#"{"EventName":"x"} x"#,
            r#"{"EventName":"x""#,
            // Valid, but for serde_json to read: floats and huge numbers in typed fields, -0,
            // lone surrogates, missing fields, duplicates.
            r#"{"Message":{"Id":"m","MessageType":1.0},"EventName":"x"}"#,
            r#"{"Message":{"Id":"m","MessageType":99999999999999999999},"EventName":"x"}"#,
            r#"{"Message":{"Id":"m","MessageType":-0},"EventName":"x"}"#,
            r#"{"EventName":"\ud83d x"}"#,
            r#"{"Message":{"MessageType":1},"EventName":"x"}"#,
            r#"{"EventName":"x","EventName":"y"}"#,
        ];
        for inner in bail {
            assert!(agrees(inner).is_none(), "{inner}");
        }
        // Deep nesting bails before any stack trouble.
        let deep = format!(
            r#"{{"EventName":"x","a":{}{}}}"#,
            "[".repeat(500),
            "]".repeat(500)
        );
        assert!(agrees(&deep).is_none());
    }

    #[test]
    fn outer_escapes_rt2_never_writes_are_left_to_the_reference_path() {
        // The same document with its non-ASCII escaped at the outer level, and with a raw
        // control character or a stray quote in the literal.
        assert!(decode_escaped::<OnEvent<'_>>(r#""{\"EventName\":\"Th\u1ea3o\"}""#).is_none());
        assert!(decode_escaped::<OnEvent<'_>>("\"{\\\"EventName\\\":\\\"a\nb\\\"}\"").is_none());
        assert!(decode_escaped::<OnEvent<'_>>(r#""{\"EventName\":\"a"b\"}""#).is_none());
        assert!(decode_escaped::<OnEvent<'_>>(r#"{\"EventName\":\"x\"}"#).is_none());
        assert!(decode_escaped::<OnEvent<'_>>(r#""{\"EventName\":\"x\"}" "#).is_none());
    }
}
