//! Unescaping one JSON string literal into a reusable buffer.
//!
//! rt-2 sends each `on-events` payload as a JSON string whose content is JSON, so every quote of
//! the inner document arrives as `\"`. Parsing the inner document needs those escapes undone
//! first. serde_json would undo them into a fresh `String` per frame; this does it into the
//! caller's buffer, which keeps its capacity from one frame to the next.
//!
//! The inner document escapes a quote every few bytes, so the runs of plain text between escapes
//! are short. A per-run SIMD search (memchr) spends most of its time setting up; instead this
//! reads eight bytes at a time as a `u64` and finds the first byte that needs attention with
//! bit arithmetic (the "has zero byte" tricks of Hacker's Delight, section 6-1), copying the
//! whole word and cutting it back. Output goes into a `Vec<u8>` so words can be copied without
//! regard to character boundaries; it is checked as UTF-8 once at the end.

use crate::Error;

/// Unescapes the JSON string literal `literal` (with its surrounding quotes) into `out` and
/// returns the text, borrowed from `out`.
///
/// `out` is overwritten (its length is only ever grown, so after the first few calls it is
/// not even zeroed). Follows RFC 8259 section 7: `\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`,
/// `\t` and `\uXXXX` (with UTF-16 surrogate pairs) are the only escapes, raw control characters
/// are not allowed, and nothing may follow the closing quote.
///
/// # Errors
///
/// [`Error::Argument`] with the byte offset of the first byte that breaks those rules.
pub(crate) fn unescape_json_string<'o>(
    literal: &str,
    out: &'o mut Vec<u8>,
) -> Result<&'o str, Error> {
    let bytes = literal.as_bytes();
    let Some((b'"', mut rest)) = bytes.split_first() else {
        return Err(Error::Argument {
            offset: 0,
            reason: "expected '\"' to open the string",
        });
    };
    // Unescaping never lengthens text, so the output fits in the input's length; the eight
    // spare bytes let a whole word be stored even when only part of it is kept.
    let need = bytes.len() + 8;
    if out.len() < need {
        out.resize(need, 0);
    }
    let offset = |rest: &[u8]| bytes.len() - rest.len();
    let overflow = Error::Argument {
        offset: 0,
        reason: "output buffer too small (a bug)",
    };
    let mut o = 0;
    loop {
        // The hot loop: copy eight bytes at a time and decode `\"` (by far the most common
        // escape here) without leaving it. Ten readable bytes guarantee the word and a
        // two-byte escape after it; the output always has room (see `need`).
        let mut i = offset(rest);
        while let (Some(src), Some(dst)) = (bytes.get(i..i + 10), out.get_mut(o..o + 8)) {
            let word = u64::from_le_bytes([
                src[0], src[1], src[2], src[3], src[4], src[5], src[6], src[7],
            ]);
            dst.copy_from_slice(&word.to_le_bytes());
            let mask = special_bytes(word);
            if mask == 0 {
                i += 8;
                o += 8;
                continue;
            }
            // The lowest flagged byte is a true hit (see `special_bytes`).
            let first = (mask.trailing_zeros() / 8) as usize;
            i += first;
            o += first;
            if bytes.get(i) == Some(&b'\\') && bytes.get(i + 1) == Some(&b'"') {
                *out.get_mut(o).ok_or_else(|| overflow.clone())? = b'"';
                i += 2;
                o += 1;
                continue;
            }
            break;
        }
        rest = bytes.get(i..).unwrap_or_default();
        if rest.len() < 10 {
            // Near the end: one byte at a time.
            while let Some((&b, tail)) = rest.split_first() {
                if is_special(b) {
                    break;
                }
                *out.get_mut(o).ok_or_else(|| overflow.clone())? = b;
                o += 1;
                rest = tail;
            }
        }
        match rest {
            [] => {
                return Err(Error::Argument {
                    offset: bytes.len(),
                    reason: "unterminated string",
                });
            }
            [b'"'] => {
                // The input was UTF-8 and escapes add only whole characters, so this holds;
                // checking keeps the function free of `unsafe`.
                let text = out.get(..o).ok_or(overflow)?;
                return std::str::from_utf8(text).map_err(|_| Error::Argument {
                    offset: 0,
                    reason: "unescaped text is not UTF-8",
                });
            }
            [b'"', ..] => {
                return Err(Error::Argument {
                    offset: offset(rest) + 1,
                    reason: "trailing characters after the string",
                });
            }
            // `\"` is by far the most common escape here: decode it without the general path.
            [b'\\', b'"', tail @ ..] => {
                *out.get_mut(o).ok_or_else(|| overflow.clone())? = b'"';
                o += 1;
                rest = tail;
            }
            [b'\\', ..] => {
                let at = offset(rest);
                let (c, len) = unescape_one(bytes, at)?;
                let encoded = c.encode_utf8(&mut [0; 4]).len();
                c.encode_utf8(
                    out.get_mut(o..o + encoded)
                        .ok_or_else(|| overflow.clone())?,
                );
                o += encoded;
                rest = bytes.get(at + len..).unwrap_or_default();
            }
            [_, ..] => {
                return Err(Error::Argument {
                    offset: offset(rest),
                    reason: "control character in string",
                });
            }
        }
    }
}

/// True for the bytes that end a run of plain string content: the closing quote, a backslash
/// and the control characters RFC 8259 forbids unescaped.
pub(crate) fn is_special(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// Flags (with its high bit) each byte of `word` that [`is_special`] would flag.
///
/// `(x - 0x01..01) & !x & 0x80..80` flags zero bytes; a borrow can also flag a byte *above* a
/// true hit, never below one, so the lowest flagged byte (little-endian: the first in memory) is
/// always exact. The same holds for "less than 0x20" with `0x20..20`.
pub(crate) fn special_bytes(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let has_zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let control = word.wrapping_sub(ONES * 0x20) & !word & HIGH;
    control | has_zero(word ^ (ONES * u64::from(b'"'))) | has_zero(word ^ (ONES * u64::from(b'\\')))
}

/// Decodes the escape starting at the backslash at `at`; returns the character and the length
/// of the escape in bytes.
fn unescape_one(bytes: &[u8], at: usize) -> Result<(char, usize), Error> {
    let bad = |offset: usize, reason: &'static str| Error::Argument { offset, reason };
    let Some(&kind) = bytes.get(at + 1) else {
        return Err(bad(at, "unterminated escape"));
    };
    let simple = match kind {
        b'"' => '"',
        b'\\' => '\\',
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
                let c = char::from_u32(code).ok_or_else(|| bad(at, "bad \\u escape"))?;
                return Ok((c, 12));
            }
            let c = char::from_u32(first).ok_or_else(|| bad(at, "unpaired UTF-16 surrogate"))?;
            return Ok((c, 6));
        }
        letter => letter_escape(letter).ok_or_else(|| bad(at, "unknown escape"))?,
    };
    Ok((simple, 2))
}

/// The character of a one-letter JSON escape other than `\"` and `\\` (`\n` is a newline),
/// `None` for any other letter. The two escapes left out mean something else in doubly
/// escaped text, so each caller reads them itself.
pub(crate) fn letter_escape(letter: u8) -> Option<char> {
    Some(match letter {
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        _ => return None,
    })
}

/// Reads four hex digits at `at`.
pub(crate) fn hex4(bytes: &[u8], at: usize) -> Option<u32> {
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
        let mut out = b"stale".to_vec();
        unescape_json_string(s, &mut out).map(str::to_owned)
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
        let mut out = Vec::with_capacity(64);
        unescape_json_string(r#""first""#, &mut out).unwrap();
        assert_eq!(unescape_json_string(r#""2nd""#, &mut out).unwrap(), "2nd");
        assert!(out.capacity() >= 64);
    }

    /// Every special byte at every position of the eight-byte words, next to multi-byte
    /// characters, decodes exactly as serde_json decodes it.
    #[test]
    fn word_at_a_time_scanning_agrees_with_serde_json() {
        let specials = [
            r#"\""#,
            r"\\",
            r"\n",
            r"\u00e9",
            r"\ud83d\ude00",
            "ả",
            "😀",
            "\u{7f}",
        ];
        for len in 0..20 {
            for at in 0..=len {
                for special in specials {
                    let mut body: String = "abcdefghijklmnopqrstuvwxyz".chars().take(len).collect();
                    body.insert_str(at, special);
                    let literal = format!("\"{body}\"");
                    let expected: String = serde_json::from_str(&literal).unwrap();
                    assert_eq!(unescape(&literal).unwrap(), expected, "{literal}");
                }
                let body: String = "abcdefghijklmnopqrstuvwxyz".chars().take(len).collect();
                for control in [0u8, 0x1f, b'\n'] {
                    let mut raw = body.clone().into_bytes();
                    raw.insert(at, control);
                    let literal = format!("\"{}\"", String::from_utf8(raw).unwrap());
                    assert_eq!(
                        unescape(&literal),
                        Err(Error::Argument {
                            offset: at + 1,
                            reason: "control character in string"
                        }),
                        "{literal:?}"
                    );
                }
                let literal = format!("\"{}\"{}", &body[..at], &body[at..]);
                let trailing = at < len;
                assert_eq!(unescape(&literal).is_err(), trailing, "{literal:?}");
            }
        }
    }

    #[test]
    fn special_bytes_flags_the_first_special_exactly() {
        for first in 0..8 {
            for byte in [0u8, 0x1f, b'"', b'\\'] {
                let mut word = *b"abcdefgh";
                word[first] = byte;
                // Bytes after the hit that could confuse the borrow arithmetic.
                for later in (first + 1)..8 {
                    word[later] = [0x00, 0x01, 0x21, 0x5d, 0x80, 0xff][later % 6];
                }
                let mask = special_bytes(u64::from_le_bytes(word));
                assert_eq!(mask.trailing_zeros() / 8, first as u32, "{word:?}");
            }
        }
        assert_eq!(special_bytes(u64::from_le_bytes(*b"a\xc3\xa1 ~!#[")), 0);
        assert_eq!(
            special_bytes(u64::from_le_bytes([
                0x20, 0x7f, 0x80, 0xff, 0x21, 0x5b, 0x5d, 0x23
            ])),
            0
        );
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
