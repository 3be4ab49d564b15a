//! Unescaping one JSON string literal into a reusable buffer.
//!
//! rt-2 sends each `on-events` payload as a JSON string whose content is JSON, so every quote of
//! the inner document arrives as `\"`. Parsing the inner document needs those escapes undone
//! first. serde_json would undo them into a fresh `String` per frame; this does it into the
//! caller's buffer, which keeps its capacity from one frame to the next.

use crate::Error;

/// Unescapes the JSON string literal `literal` (with its surrounding quotes) into `out`.
///
/// `out` is cleared first. Follows RFC 8259 section 7: `\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`,
/// `\t` and `\uXXXX` (with UTF-16 surrogate pairs) are the only escapes, raw control characters
/// are not allowed, and nothing may follow the closing quote.
///
/// # Errors
///
/// [`Error::Argument`] with the byte offset of the first byte that breaks those rules.
pub(crate) fn unescape_json_string(literal: &str, out: &mut String) -> Result<(), Error> {
    out.clear();
    let bytes = literal.as_bytes();
    if bytes.first() != Some(&b'"') {
        return Err(Error::Argument {
            offset: 0,
            reason: "expected '\"' to open the string",
        });
    }
    out.reserve(bytes.len());
    let mut i = 1;
    loop {
        let Some(found) = memchr::memchr2(b'"', b'\\', &bytes[i..]) else {
            return Err(Error::Argument {
                offset: bytes.len(),
                reason: "unterminated string",
            });
        };
        let end = i + found;
        let chunk = &bytes[i..end];
        if let Some(pos) = chunk.iter().position(|&b| b < 0x20) {
            return Err(Error::Argument {
                offset: i + pos,
                reason: "control character in string",
            });
        }
        // `i` and `end` both sit next to ASCII bytes (a quote, a backslash or the end of an
        // escape), so they are char boundaries and slicing the &str cannot fail.
        out.push_str(&literal[i..end]);
        if bytes[end] == b'"' {
            if end + 1 != bytes.len() {
                return Err(Error::Argument {
                    offset: end + 1,
                    reason: "trailing characters after the string",
                });
            }
            return Ok(());
        }
        i = unescape_one(bytes, end, out)?;
    }
}

/// Decodes the escape starting at the backslash at `at`; returns the offset just after it.
fn unescape_one(bytes: &[u8], at: usize, out: &mut String) -> Result<usize, Error> {
    let bad = |offset: usize, reason: &'static str| Error::Argument { offset, reason };
    let Some(&kind) = bytes.get(at + 1) else {
        return Err(bad(at, "unterminated escape"));
    };
    let simple = match kind {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        b'u' => {
            let first = hex4(bytes, at + 2).ok_or_else(|| bad(at, "bad \\u escape"))?;
            if (0xD800..0xDC00).contains(&first) {
                // A high surrogate must be followed by `\u` and a low surrogate.
                let second =
                    if bytes.get(at + 6) == Some(&b'\\') && bytes.get(at + 7) == Some(&b'u') {
                        hex4(bytes, at + 8)
                    } else {
                        None
                    };
                let Some(low) = second.filter(|c| (0xDC00..0xE000).contains(c)) else {
                    return Err(bad(at, "unpaired UTF-16 surrogate"));
                };
                let code = 0x10000 + ((first - 0xD800) << 10) + (low - 0xDC00);
                out.push(char::from_u32(code).ok_or_else(|| bad(at, "bad \\u escape"))?);
                return Ok(at + 12);
            }
            let c = char::from_u32(first).ok_or_else(|| bad(at, "unpaired UTF-16 surrogate"))?;
            out.push(c);
            return Ok(at + 6);
        }
        _ => return Err(bad(at, "unknown escape")),
    };
    out.push(simple);
    Ok(at + 2)
}

/// Reads four hex digits at `at`.
fn hex4(bytes: &[u8], at: usize) -> Option<u32> {
    let digits = bytes.get(at..at + 4)?;
    let mut value = 0u32;
    for &d in digits {
        value = value * 16 + char::from(d).to_digit(16)?;
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unescape(s: &str) -> Result<String, Error> {
        let mut out = String::from("stale");
        unescape_json_string(s, &mut out).map(|()| out)
    }

    #[test]
    fn every_escape_decodes() {
        assert_eq!(
            unescape(r#""a\"b\\c\/d\be\ff\ng\rh\ti""#).unwrap(),
            "a\"b\\c/d\u{8}e\u{c}f\ng\rh\ti"
        );
    }

    #[test]
    fn unicode_escapes_and_surrogate_pairs_decode() {
        // "Thảo" with ả escaped, and 😀 as a surrogate pair, next to raw UTF-8.
        assert_eq!(
            unescape(r#""Th\u1ea3o \ud83d\ude00 Tây""#).unwrap(),
            "Thảo 😀 Tây"
        );
    }

    #[test]
    fn the_buffer_is_cleared_and_reused() {
        let mut out = String::with_capacity(64);
        unescape_json_string(r#""first""#, &mut out).unwrap();
        unescape_json_string(r#""2nd""#, &mut out).unwrap();
        assert_eq!(out, "2nd");
        assert!(out.capacity() >= 64);
    }

    #[test]
    fn malformed_literals_report_offsets() {
        let offset = |s: &str| match unescape(s) {
            Err(Error::Argument { offset, .. }) => offset,
            other => panic!("expected an argument error for {s:?}, got {other:?}"),
        };
        assert_eq!(offset("abc"), 0);
        assert_eq!(offset(""), 0);
        assert_eq!(offset(r#""abc"#), 4);
        assert_eq!(offset(r#""ab"c"#), 4);
        assert_eq!(offset("\"a\nb\""), 2);
        assert_eq!(offset(r#""a\qb""#), 2);
        assert_eq!(offset(r#""a\u12""#), 2);
        assert_eq!(offset(r#""\ud83d x""#), 1);
        assert_eq!(offset(r#""\ude00""#), 1);
        assert_eq!(offset(r#""end\"#), 4);
    }
}
