//! A validating JSON scanner and borrowed views of validated JSON values.
//!
//! The Socket.IO payload is JSON, but the codec never builds a tree: it checks the bytes once
//! against RFC 8259 ([`RawJson::new`]) and hands out a [`RawJson`], a borrowed span that is
//! known to hold exactly one valid value. Accessors ([`RawJson::elements`],
//! [`RawJson::members`], [`RawJson::as_json_str`]) then walk the span lazily, without
//! allocating unless a string has escapes that must be decoded.
//!
//! The validator is iterative (no recursion, whatever the input) and tracks nesting in a
//! fixed bit set, so it never allocates. Strings are scanned eight bytes at a time (SWAR) for
//! the three bytes that matter inside a string: `"`, `\` and control characters.

use std::borrow::Cow;
use std::fmt;

use crate::error::{JsonErrorKind, SocketError, SocketErrorKind};
use crate::limits::{Limits, MAX_JSON_DEPTH_CAP};

/// A JSON error with its offset, before it is wrapped in a layer's error type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct JsonError {
    pub(crate) kind: JsonErrorKind,
    pub(crate) offset: usize,
}

const fn err(kind: JsonErrorKind, offset: usize) -> JsonError {
    JsonError { kind, offset }
}

/// The nesting stack: one bit per level (1 = object, 0 = array), in a fixed-size bit set.
struct DepthStack {
    bits: [u64; (MAX_JSON_DEPTH_CAP / 64) as usize],
    depth: u32,
}

impl DepthStack {
    const fn new() -> Self {
        Self {
            bits: [0; (MAX_JSON_DEPTH_CAP / 64) as usize],
            depth: 0,
        }
    }

    /// Pushes a level; `false` when the stack is full (the caller checks the limit first).
    fn push(&mut self, is_object: bool) -> bool {
        let d = self.depth as usize;
        let Some(word) = self.bits.get_mut(d / 64) else {
            return false;
        };
        let mask = 1u64 << (d % 64);
        if is_object {
            *word |= mask;
        } else {
            *word &= !mask;
        }
        self.depth += 1;
        true
    }

    /// The innermost level: `Some(true)` for an object, `Some(false)` for an array.
    fn top(&self) -> Option<bool> {
        let d = self.depth.checked_sub(1)? as usize;
        let word = self.bits.get(d / 64)?;
        Some(word & (1u64 << (d % 64)) != 0)
    }

    fn pop(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }
}

/// The bytes from `i` on (empty when `i` is past the end).
#[inline]
pub(crate) fn tail(b: &[u8], i: usize) -> &[u8] {
    match b.get(i..) {
        Some(t) => t,
        None => &[],
    }
}

/// The first `n` bytes of `b` (all of `b` when it is shorter).
#[inline]
pub(crate) fn head(b: &[u8], n: usize) -> &[u8] {
    match b.get(..n) {
        Some(h) => h,
        None => b,
    }
}

/// `s[i..]`, or `""` when `i` is out of range or not a character boundary.
#[inline]
pub(crate) fn str_from(s: &str, i: usize) -> &str {
    match s.get(i..) {
        Some(t) => t,
        None => NOTHING,
    }
}

/// `s[start..end]`, or `""` when the range is invalid.
#[inline]
pub(crate) fn str_range(s: &str, start: usize, end: usize) -> &str {
    match s.get(start..end) {
        Some(t) => t,
        None => NOTHING,
    }
}

/// What an out-of-range sub-string becomes. (Spelled out with `match` rather than an
/// `Option` combinator: the codec's source stays free of panicking and panic-looking calls.)
const NOTHING: &str = "";

fn char_or_replacement(c: u32) -> char {
    match char::from_u32(c) {
        Some(c) => c,
        None => char::REPLACEMENT_CHARACTER,
    }
}

#[inline]
fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while let Some(&c) = b.get(i) {
        if matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
            i += 1;
        } else {
            break;
        }
    }
    i
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// A mask with the high bit set in (at least) the lowest byte of `word` that is `"`, `\` or a
/// control character; zero when there is none. Bits above the lowest may be false positives,
/// which is why callers only use `trailing_zeros`.
#[inline]
fn string_special_mask(word: u64) -> u64 {
    let quote = word ^ (ONES * u64::from(b'"'));
    let backslash = word ^ (ONES * u64::from(b'\\'));
    let has_quote = quote.wrapping_sub(ONES) & !quote;
    let has_backslash = backslash.wrapping_sub(ONES) & !backslash;
    let has_control = word.wrapping_sub(ONES * 0x20) & !word;
    (has_quote | has_backslash | has_control) & HIGHS
}

/// Skips string content from `i` (just after the opening quote or an escape) to the next `"`,
/// `\` or control character, and returns its index (or `b.len()`).
#[inline]
fn skip_plain_string_bytes(b: &[u8], mut i: usize) -> usize {
    while let Some(chunk) = b.get(i..).and_then(|rest| rest.first_chunk::<8>()) {
        let mask = string_special_mask(u64::from_le_bytes(*chunk));
        if mask != 0 {
            return i + (mask.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&c) = b.get(i) {
        if c == b'"' || c == b'\\' || c < 0x20 {
            return i;
        }
        i += 1;
    }
    i
}

/// Validates a string starting at `b[start] == b'"'`; returns the index after the closing
/// quote.
#[inline]
fn scan_string(b: &[u8], start: usize, blocks: bool) -> Result<usize, JsonError> {
    scan_string_from(b, start, start + 1, blocks)
}

/// Validates string content from `i` (inside the string that opened at `start`).
///
/// Plain runs go eight bytes at a time; each escape costs a branch. Once a string has shown
/// itself to be long and escaped (past 16 bytes, just after an escape), the rest goes through
/// [`scan_string_blocks`], which has no branch per escape. rt-2's `on-events` argument, a JSON
/// object stringified into a JSON string, has an escaped quote every few bytes.
fn scan_string_from(
    b: &[u8],
    start: usize,
    mut i: usize,
    allow_blocks: bool,
) -> Result<usize, JsonError> {
    loop {
        i = skip_plain_string_bytes(b, i);
        match b.get(i) {
            None => return Err(err(JsonErrorKind::UnexpectedEnd, b.len())),
            Some(b'"') => return Ok(i + 1),
            Some(b'\\') => i = check_escape(b, i)?,
            Some(_) => return Err(err(JsonErrorKind::ControlCharacter, i)),
        }
        if allow_blocks && i - start > BLOCKS_AFTER {
            return scan_string_blocks(b, i);
        }
    }
}

/// Validates the escape at `b[i] == b'\\'`; returns the index after it.
#[inline]
fn check_escape(b: &[u8], i: usize) -> Result<usize, JsonError> {
    match b.get(i + 1) {
        None => Err(err(JsonErrorKind::UnexpectedEnd, b.len())),
        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => Ok(i + 2),
        Some(b'u') => {
            for k in i + 2..i + 6 {
                match b.get(k) {
                    None => return Err(err(JsonErrorKind::UnexpectedEnd, b.len())),
                    Some(c) if c.is_ascii_hexdigit() => {}
                    Some(_) => return Err(err(JsonErrorKind::InvalidEscape, k)),
                }
            }
            Ok(i + 6)
        }
        Some(_) => Err(err(JsonErrorKind::InvalidEscape, i + 1)),
    }
}

/// Bytes per block of [`scan_string_blocks`].
const BLOCK: usize = 64;
/// How far into a string, at an escape, the scanner switches to blocks: a short string with
/// an escape is cheaper to finish byte by byte than to load a block for.
const BLOCKS_AFTER: usize = 16;
const ODD_BITS: u64 = 0xaaaa_aaaa_aaaa_aaaa;

/// One bit per byte of a 64-byte block: backslashes, quotes, and (when `with_controls`)
/// control characters.
///
/// Sixteen bytes at a time with `wide`'s portable SIMD (SSE2 compares and move masks on
/// x86-64, safe code here): three times the speed of the same masks computed eight bytes at a
/// time in general-purpose registers, measured on the rt-2 corpus.
#[inline]
fn block_masks(block: &[u8; BLOCK], with_controls: bool) -> (u64, u64, u64) {
    use wide::u8x16;
    let backslashes = u8x16::splat(b'\\');
    let quotes = u8x16::splat(b'"');
    let last_control = u8x16::splat(0x1f);
    let (mut backslash, mut quote, mut control) = (0u64, 0u64, 0u64);
    for (g, chunk) in block.chunks_exact(16).enumerate() {
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(chunk);
        let v = u8x16::new(bytes);
        let shift = 16 * g;
        // `move_mask` puts one bit per lane in the low 16 bits of an `i32`.
        let lanes = |m: u8x16| u64::from(m.move_mask() as u16) << shift;
        backslash |= lanes(v.cmp_eq(backslashes));
        quote |= lanes(v.cmp_eq(quotes));
        if with_controls {
            // Unsigned `v <= 0x1f`, as `min(v, 0x1f) == v`.
            control |= lanes(v.min(last_control).cmp_eq(v));
        }
    }
    (backslash, quote, control)
}

/// Tracks which bytes are escaped across 64-byte blocks.
///
/// Which bytes are escaped follows from the backslash bit mask alone, with simdjson's
/// technique (`json_escape_scanner.h`): runs of backslashes that start on an odd position
/// are told from those on an even one by a subtraction, so `\\\"` ends a string and
/// `\\"` does not.
#[derive(Default)]
struct EscapeScanner {
    /// 1 when the first byte of the next block is escaped by a backslash ending this one.
    next_is_escaped: u64,
}

impl EscapeScanner {
    /// Returns the escaped bytes of a block (the bytes right after an escaping backslash).
    #[inline]
    fn escaped(&mut self, backslash: u64) -> u64 {
        let potential_escape = backslash & !self.next_is_escaped;
        let codes =
            (((potential_escape << 1) | ODD_BITS).wrapping_sub(potential_escape)) ^ ODD_BITS;
        let escaped = codes ^ (backslash | self.next_is_escaped);
        self.next_is_escaped = (codes & backslash) >> 63;
        escaped
    }
}

/// Validates string content from `i`, 64 bytes at a time, without a branch per escape.
///
/// `\"` and `\\` (nearly all escapes in stringified JSON) are valid by construction of the
/// masks; only escapes of other characters are checked one by one. Errors are reported at the
/// same offsets as the scalar loop reports them.
fn scan_string_blocks(b: &[u8], mut i: usize) -> Result<usize, JsonError> {
    let mut scanner = EscapeScanner::default();
    loop {
        let rest = tail(b, i);
        if rest.is_empty() {
            return Err(err(JsonErrorKind::UnexpectedEnd, b.len()));
        }
        // The last, partial block is padded with spaces, which are plain string content.
        let mut padded = [b' '; BLOCK];
        let block = match rest.first_chunk::<BLOCK>() {
            Some(block) => block,
            None => {
                if let Some(prefix) = padded.get_mut(..rest.len()) {
                    prefix.copy_from_slice(rest);
                }
                &padded
            }
        };
        let (backslash, quote, control) = block_masks(block, true);
        let escaped = scanner.escaped(backslash);
        let end_quote = quote & !escaped;
        let before_end = below_lowest_bit(end_quote);
        let controls = control & !escaped & before_end;
        let mut unusual = escaped & !(quote | backslash) & before_end & below_lowest_bit(controls);
        while unusual != 0 {
            // `check_escape` looks at the backslash before the escaped byte.
            let at = i + unusual.trailing_zeros() as usize;
            check_escape(b, at.saturating_sub(1))?;
            unusual &= unusual - 1;
        }
        if controls != 0 {
            return Err(err(
                JsonErrorKind::ControlCharacter,
                i + controls.trailing_zeros() as usize,
            ));
        }
        if end_quote != 0 {
            return Ok(i + end_quote.trailing_zeros() as usize + 1);
        }
        i += BLOCK;
    }
}

/// Returns the index after the closing quote of the (validated) string at `start`.
fn skip_string(b: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    // Short strings (keys, names): the eight-byte loop.
    loop {
        i = skip_plain_string_bytes(b, i);
        match b.get(i) {
            Some(b'\\') => i += 2,
            Some(b'"') => return i + 1,
            Some(_) => i += 1,
            None => return b.len(),
        }
        if i - start > BLOCK {
            break;
        }
    }
    // Long ones: blocks, no branch per escape.
    let mut scanner = EscapeScanner::default();
    while let Some(block) = b.get(i..).and_then(|rest| rest.first_chunk::<BLOCK>()) {
        let (backslash, quote, _) = block_masks(block, false);
        let end_quote = quote & !scanner.escaped(backslash);
        if end_quote != 0 {
            return i + end_quote.trailing_zeros() as usize + 1;
        }
        i += BLOCK;
    }
    i += scanner.next_is_escaped as usize;
    loop {
        match memchr::memchr2(b'"', b'\\', tail(b, i)) {
            None => return b.len(),
            Some(k) => {
                i += k;
                if b.get(i) == Some(&b'"') {
                    return i + 1;
                }
                i += 2;
            }
        }
    }
}

/// All bits below the lowest set bit of `mask` (all bits when `mask` is zero).
#[inline]
fn below_lowest_bit(mask: u64) -> u64 {
    if mask == 0 {
        u64::MAX
    } else {
        (mask & mask.wrapping_neg()) - 1
    }
}

/// Validates `text` with the scalar string scanner only: the reference the block scanner is
/// tested against. Not part of the API.
#[doc(hidden)]
pub fn validate_scalar_strings(text: &str) -> Result<(), (JsonErrorKind, usize)> {
    validate_with(text, MAX_JSON_DEPTH_CAP, false)
        .map(|_| ())
        .map_err(|e| (e.kind, e.offset))
}

fn skip_digits(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    i
}

/// Validates a number starting at `start`; returns the index after it.
///
/// RFC 8259: `number = [ minus ] int [ frac ] [ exp ]`, `int = zero / ( digit1-9 *DIGIT )`,
/// `frac = decimal-point 1*DIGIT`, `exp = e [ minus / plus ] 1*DIGIT`.
fn scan_number(b: &[u8], start: usize) -> Result<usize, JsonError> {
    let mut i = start;
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => i = skip_digits(b, i + 1),
        None => return Err(err(JsonErrorKind::UnexpectedEnd, b.len())),
        Some(_) => return Err(err(JsonErrorKind::InvalidNumber, i)),
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        match b.get(i) {
            Some(c) if c.is_ascii_digit() => i = skip_digits(b, i),
            None => return Err(err(JsonErrorKind::UnexpectedEnd, b.len())),
            Some(_) => return Err(err(JsonErrorKind::InvalidNumber, i)),
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        match b.get(i) {
            Some(c) if c.is_ascii_digit() => i = skip_digits(b, i),
            None => return Err(err(JsonErrorKind::UnexpectedEnd, b.len())),
            Some(_) => return Err(err(JsonErrorKind::InvalidNumber, i)),
        }
    }
    Ok(i)
}

fn scan_literal(b: &[u8], start: usize, literal: &[u8]) -> Result<usize, JsonError> {
    for (k, &expected) in literal.iter().enumerate() {
        match b.get(start + k) {
            None => return Err(err(JsonErrorKind::UnexpectedEnd, b.len())),
            Some(&c) if c == expected => {}
            Some(_) => return Err(err(JsonErrorKind::UnexpectedByte, start + k)),
        }
    }
    Ok(start + literal.len())
}

/// After `{` or `,` inside an object: expects `"key"` then `:`; returns the index of the value.
fn scan_key_colon(b: &[u8], i: usize, blocks: bool) -> Result<usize, JsonError> {
    let i = skip_ws(b, i);
    match b.get(i) {
        Some(b'"') => {}
        None => return Err(err(JsonErrorKind::UnexpectedEnd, b.len())),
        Some(_) => return Err(err(JsonErrorKind::UnexpectedByte, i)),
    }
    let i = skip_ws(b, scan_string(b, i, blocks)?);
    match b.get(i) {
        Some(b':') => Ok(skip_ws(b, i + 1)),
        None => Err(err(JsonErrorKind::UnexpectedEnd, b.len())),
        Some(_) => Err(err(JsonErrorKind::UnexpectedByte, i)),
    }
}

/// "No hint": the value is not a non-empty array, or the hint is unknown.
const NO_HINT: usize = usize::MAX;

/// Validates that `text` is exactly one JSON value, optionally surrounded by whitespace.
///
/// On success, returns where the last element of a top-level array starts ([`NO_HINT`] for
/// anything else): [`Elements`] then finds that element's end without scanning it, which
/// matters for an `on-events` payload whose last argument is a long string.
pub(crate) fn validate(text: &str, max_depth: u32) -> Result<usize, JsonError> {
    validate_with(text, max_depth, true)
}

/// [`validate`], with the block string scanner on or off.
#[inline]
fn validate_with(text: &str, max_depth: u32, blocks: bool) -> Result<usize, JsonError> {
    let b = text.as_bytes();
    let max_depth = max_depth.min(MAX_JSON_DEPTH_CAP);
    let mut stack = DepthStack::new();
    let mut last_element = NO_HINT;
    let mut i = skip_ws(b, 0);
    // `i` points at the start of a value here.
    'value: loop {
        match b.get(i) {
            None => return Err(err(JsonErrorKind::UnexpectedEnd, b.len())),
            Some(b'"') => i = scan_string(b, i, blocks)?,
            Some(b'-' | b'0'..=b'9') => i = scan_number(b, i)?,
            Some(b't') => i = scan_literal(b, i, b"true")?,
            Some(b'f') => i = scan_literal(b, i, b"false")?,
            Some(b'n') => i = scan_literal(b, i, b"null")?,
            Some(&open @ (b'[' | b'{')) => {
                if stack.depth >= max_depth {
                    return Err(err(JsonErrorKind::TooDeep, i));
                }
                let is_object = open == b'{';
                let close = if is_object { b'}' } else { b']' };
                let inner = skip_ws(b, i + 1);
                if b.get(inner) == Some(&close) {
                    i = inner + 1;
                } else {
                    if stack.depth == 0 && !is_object {
                        last_element = inner;
                    }
                    if !stack.push(is_object) {
                        return Err(err(JsonErrorKind::TooDeep, i));
                    }
                    i = if is_object {
                        scan_key_colon(b, i + 1, blocks)?
                    } else {
                        inner
                    };
                    continue 'value;
                }
            }
            Some(_) => return Err(err(JsonErrorKind::UnexpectedByte, i)),
        }
        // A value ended at `i`: close containers or move to the next element.
        loop {
            i = skip_ws(b, i);
            let Some(is_object) = stack.top() else {
                return if i == b.len() {
                    Ok(last_element)
                } else {
                    Err(err(JsonErrorKind::TrailingCharacters, i))
                };
            };
            match b.get(i) {
                None => return Err(err(JsonErrorKind::UnexpectedEnd, b.len())),
                Some(b',') => {
                    i = if is_object {
                        scan_key_colon(b, i + 1, blocks)?
                    } else {
                        skip_ws(b, i + 1)
                    };
                    if stack.depth == 1 && !is_object {
                        last_element = i;
                    }
                    continue 'value;
                }
                Some(b']') if !is_object => {
                    stack.pop();
                    i += 1;
                }
                Some(b'}') if is_object => {
                    stack.pop();
                    i += 1;
                }
                Some(_) => return Err(err(JsonErrorKind::UnexpectedByte, i)),
            }
        }
    }
}

/// Returns the end of the (already validated) value starting at `start`.
///
/// Only ever called on validated spans; on anything else it stops at the end of the input
/// rather than failing, so it cannot panic.
fn skip_value(b: &[u8], start: usize) -> usize {
    match b.get(start) {
        Some(b'"') => skip_string(b, start),
        Some(b'[' | b'{') => {
            let mut depth = 0usize;
            let mut i = start;
            while let Some(&c) = b.get(i) {
                match c {
                    b'"' => {
                        i = skip_string(b, i);
                        continue;
                    }
                    b'[' | b'{' => depth += 1,
                    b']' | b'}' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            return i + 1;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            b.len()
        }
        Some(_) => {
            let mut i = start;
            while let Some(&c) = b.get(i) {
                if matches!(c, b',' | b']' | b'}' | b':' | b' ' | b'\t' | b'\n' | b'\r') {
                    break;
                }
                i += 1;
            }
            i
        }
        None => b.len(),
    }
}

/// Every object inside the validated `raw` (itself included), with its offset in `raw`, in
/// document order.
pub(crate) fn objects<'a>(raw: RawJson<'a>) -> impl Iterator<Item = (usize, RawJson<'a>)> {
    let text = raw.as_str();
    let b = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while let Some(&c) = b.get(i) {
            match c {
                b'"' => i = skip_string(b, i),
                b'{' => {
                    let start = i;
                    let end = skip_value(b, start);
                    i += 1;
                    return Some((start, RawJson::new_unchecked(str_range(text, start, end))));
                }
                _ => i += 1,
            }
        }
        None
    })
}

/// The type of a JSON value, read from its first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JsonKind {
    /// `{...}`
    Object,
    /// `[...]`
    Array,
    /// `"..."`
    String,
    /// `-1.5e3`
    Number,
    /// `true` or `false`
    Bool,
    /// `null`
    Null,
}

/// A borrowed span of text that holds exactly one valid JSON value (RFC 8259), possibly with
/// whitespace around it.
///
/// Built by [`RawJson::new`] (or by the packet decoders), which validate the whole span once;
/// the accessors then walk it lazily without allocating. Equality compares the text.
#[derive(Clone, Copy)]
pub struct RawJson<'a> {
    text: &'a str,
    /// Where the last element of a top-level array starts, when validation saw it.
    last_element: usize,
}

impl PartialEq for RawJson<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for RawJson<'_> {}

impl std::hash::Hash for RawJson<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.text.hash(state);
    }
}

impl fmt::Debug for RawJson<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RawJson").field(&self.text).finish()
    }
}

impl fmt::Display for RawJson<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text)
    }
}

impl<'a> RawJson<'a> {
    /// Validates `text` as one JSON value under the default [`Limits`].
    ///
    /// # Errors
    /// [`SocketErrorKind::Json`] with the byte offset (into `text`) of the first fault.
    ///
    /// ```
    /// use sio_wire::RawJson;
    /// assert!(RawJson::new(r#"["hey","Jude"]"#).is_ok());
    /// let err = RawJson::new(r#"["hey","Jude""#).err().ok_or("expected an error")?;
    /// assert_eq!(err.offset(), 13);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(text: &'a str) -> Result<Self, SocketError> {
        Self::with_limits(text, &Limits::default())
    }

    /// Validates `text` as one JSON value, nesting at most `limits.max_json_depth` deep.
    ///
    /// # Errors
    /// [`SocketErrorKind::Json`] with the byte offset (into `text`) of the first fault.
    pub fn with_limits(text: &'a str, limits: &Limits) -> Result<Self, SocketError> {
        match validate(text, limits.max_json_depth) {
            Ok(last_element) => Ok(Self { text, last_element }),
            Err(e) => Err(SocketError::new(SocketErrorKind::Json(e.kind), e.offset)),
        }
    }

    /// Wraps text that the crate has already validated (or that is a literal known to be
    /// valid JSON).
    pub(crate) const fn new_unchecked(text: &'a str) -> Self {
        Self {
            text,
            last_element: NO_HINT,
        }
    }

    /// Wraps text that the crate has just validated, with the validator's hint.
    pub(crate) const fn new_validated(text: &'a str, last_element: usize) -> Self {
        Self { text, last_element }
    }

    /// The span exactly as it appeared in the input.
    pub const fn as_str(&self) -> &'a str {
        self.text
    }

    /// The span without surrounding whitespace.
    pub fn trimmed(&self) -> &'a str {
        let b = self.text.as_bytes();
        let start = skip_ws(b, 0);
        let end = skip_value(b, start);
        match self.text.get(start..end) {
            Some(t) => t,
            None => self.text,
        }
    }

    fn first_byte(&self) -> (usize, Option<u8>) {
        let b = self.text.as_bytes();
        let i = skip_ws(b, 0);
        (i, b.get(i).copied())
    }

    /// The type of the value.
    pub fn kind(&self) -> JsonKind {
        match self.first_byte().1 {
            Some(b'{') => JsonKind::Object,
            Some(b'[') => JsonKind::Array,
            Some(b'"') => JsonKind::String,
            Some(b't' | b'f') => JsonKind::Bool,
            Some(b'n') => JsonKind::Null,
            _ => JsonKind::Number,
        }
    }

    /// The elements of an array, each as its own span; empty when the value is not an array.
    ///
    /// ```
    /// let raw = sio_wire::RawJson::new(r#"[1, "two", {"three":3}]"#)?;
    /// let parts: Vec<&str> = raw.elements().map(|e| e.as_str()).collect();
    /// assert_eq!(parts, ["1", r#""two""#, r#"{"three":3}"#]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn elements(&self) -> Elements<'a> {
        let (i, first) = self.first_byte();
        let pos = if first == Some(b'[') {
            i + 1
        } else {
            self.text.len()
        };
        Elements {
            text: self.text,
            pos,
            last_element: self.last_element,
        }
    }

    /// The `(key, value)` pairs of an object, in order (duplicates included); empty when the
    /// value is not an object. Keys are JSON string spans; decode them with
    /// [`RawJson::as_json_str`] or compare them with [`RawJson::str_eq`].
    pub fn members(&self) -> Members<'a> {
        let (i, first) = self.first_byte();
        let pos = if first == Some(b'{') {
            i + 1
        } else {
            self.text.len()
        };
        Members {
            text: self.text,
            pos,
        }
    }

    /// The value of the last member named `key` in an object (JSON.parse keeps the last of
    /// duplicate keys), or `None`.
    pub fn get(&self, key: &str) -> Option<RawJson<'a>> {
        self.members()
            .filter(|(k, _)| k.str_eq(key))
            .last()
            .map(|(_, v)| v)
    }

    /// The event name: the first element of an array payload, decoded as a string.
    ///
    /// Borrows when the string has no escapes; escapes (`"on-\u0065vents"`) are decoded into
    /// an owned string.
    ///
    /// # Errors
    /// [`SocketErrorKind::NotAnArray`], [`SocketErrorKind::MissingEventName`] or
    /// [`SocketErrorKind::EventNameNotString`], with the offset within this span.
    ///
    /// ```
    /// let raw = sio_wire::RawJson::new(r#"["on-\u0065vents","x"]"#)?;
    /// assert_eq!(raw.event_name()?, "on-events");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn event_name(&self) -> Result<Cow<'a, str>, SocketError> {
        let (i, first) = self.first_byte();
        if first != Some(b'[') {
            return Err(SocketError::new(SocketErrorKind::NotAnArray, i));
        }
        let mut elements = self.elements();
        let Some(name) = elements.next() else {
            return Err(SocketError::new(SocketErrorKind::MissingEventName, i));
        };
        name.as_json_str().ok_or_else(|| {
            let offset = self.offset_of(&name);
            SocketError::new(SocketErrorKind::EventNameNotString, offset)
        })
    }

    /// The event arguments: the array elements after the event name.
    pub fn args(&self) -> Args<'a> {
        let mut elements = self.elements();
        elements.next();
        Args { elements }
    }

    /// Byte offset of a sub-span (from [`elements`](Self::elements) or
    /// [`members`](Self::members)) within this span.
    pub fn offset_of(&self, inner: &RawJson<'_>) -> usize {
        (inner.text.as_ptr() as usize)
            .saturating_sub(self.text.as_ptr() as usize)
            .min(self.text.len())
    }

    /// Decodes a JSON string value, or `None` when the value is not a string.
    ///
    /// Borrows when there are no escapes. A `\uXXXX` escape of a lone UTF-16 surrogate, which
    /// JSON's grammar allows but UTF-8 cannot hold, becomes U+FFFD (as JavaScript's
    /// `TextEncoder` does).
    pub fn as_json_str(&self) -> Option<Cow<'a, str>> {
        let inner = self.string_content()?;
        if memchr::memchr(b'\\', inner.as_bytes()).is_none() {
            return Some(Cow::Borrowed(inner));
        }
        let mut out = String::with_capacity(inner.len());
        unescape_into(inner, &mut out);
        Some(Cow::Owned(out))
    }

    /// Decodes a JSON string value into `out` (cleared first), reusing its allocation;
    /// returns `false` (leaving `out` empty) when the value is not a string.
    pub fn decode_str_into(&self, out: &mut String) -> bool {
        out.clear();
        match self.string_content() {
            Some(inner) => {
                unescape_into(inner, out);
                true
            }
            None => false,
        }
    }

    /// The raw content between the quotes of a string value (escapes not decoded).
    pub fn string_content(&self) -> Option<&'a str> {
        let t = self.trimmed();
        if t.len() >= 2 && t.starts_with('"') && t.ends_with('"') {
            t.get(1..t.len() - 1)
        } else {
            None
        }
    }

    /// `true` when the value is a string equal to `s` once decoded. Does not allocate.
    pub fn str_eq(&self, s: &str) -> bool {
        match self.string_content() {
            Some(inner) if memchr::memchr(b'\\', inner.as_bytes()).is_none() => inner == s,
            Some(inner) => {
                let mut expected = s.chars();
                let mut equal = true;
                for_each_unescaped_char(inner, |c| {
                    if expected.next() != Some(c) {
                        equal = false;
                    }
                });
                equal && expected.next().is_none()
            }
            None => false,
        }
    }

    /// The value as an unsigned integer, when it is a plain non-negative integer (no
    /// fraction, no exponent) that fits in a `u64`.
    pub fn as_u64(&self) -> Option<u64> {
        let t = self.trimmed();
        if t.is_empty() || !t.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        t.parse().ok()
    }

    /// The value as a boolean, when it is `true` or `false`.
    pub fn as_bool(&self) -> Option<bool> {
        match self.trimmed() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        }
    }

    /// `true` when the value is `null`.
    pub fn is_null(&self) -> bool {
        self.trimmed() == "null"
    }
}

fn hex4(s: &[u8]) -> Option<u32> {
    let mut v = 0u32;
    for &c in s.get(..4)? {
        v = v * 16 + char::from(c).to_digit(16)?;
    }
    Some(v)
}

/// Calls `f` with each character of validated string content, escapes decoded.
fn for_each_unescaped_char(inner: &str, mut f: impl FnMut(char)) {
    let b = inner.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let Some(k) = memchr::memchr(b'\\', tail(b, i)) else {
            str_from(inner, i).chars().for_each(&mut f);
            return;
        };
        str_range(inner, i, i + k).chars().for_each(&mut f);
        i += k;
        let (c, used) = decode_escape(tail(b, i));
        f(c);
        i += used.max(1);
    }
}

/// Decodes one escape at the start of `b` (which begins with `\`); returns the character and
/// the number of bytes used.
fn decode_escape(b: &[u8]) -> (char, usize) {
    match b.get(1) {
        Some(b'"') => ('"', 2),
        Some(b'\\') => ('\\', 2),
        Some(b'/') => ('/', 2),
        Some(b'b') => ('\u{8}', 2),
        Some(b'f') => ('\u{c}', 2),
        Some(b'n') => ('\n', 2),
        Some(b'r') => ('\r', 2),
        Some(b't') => ('\t', 2),
        Some(b'u') => {
            let Some(hi) = b.get(2..).and_then(hex4) else {
                return (char::REPLACEMENT_CHARACTER, b.len());
            };
            if (0xD800..0xDC00).contains(&hi) {
                // A high surrogate: combine it with a following `\uDC00`..`\uDFFF` escape.
                if b.get(6) == Some(&b'\\') && b.get(7) == Some(&b'u') {
                    if let Some(lo) = b.get(8..).and_then(hex4) {
                        if (0xDC00..0xE000).contains(&lo) {
                            let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                            return (char_or_replacement(c), 12);
                        }
                    }
                }
                (char::REPLACEMENT_CHARACTER, 6)
            } else {
                (char_or_replacement(hi), 6)
            }
        }
        _ => (char::REPLACEMENT_CHARACTER, 2),
    }
}

fn unescape_into(inner: &str, out: &mut String) {
    out.reserve(inner.len());
    let b = inner.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let Some(k) = memchr::memchr(b'\\', tail(b, i)) else {
            out.push_str(str_from(inner, i));
            return;
        };
        out.push_str(str_range(inner, i, i + k));
        i += k;
        let (c, used) = decode_escape(tail(b, i));
        out.push(c);
        i += used.max(1);
    }
}

/// Iterator over the elements of a JSON array; see [`RawJson::elements`].
#[derive(Debug, Clone)]
pub struct Elements<'a> {
    text: &'a str,
    pos: usize,
    last_element: usize,
}

impl<'a> Iterator for Elements<'a> {
    type Item = RawJson<'a>;

    fn next(&mut self) -> Option<RawJson<'a>> {
        let b = self.text.as_bytes();
        let start = skip_ws(b, self.pos);
        match b.get(start) {
            None | Some(b']') => {
                self.pos = b.len();
                return None;
            }
            Some(_) => {}
        }
        let end = if start == self.last_element {
            // The last element ends where the array's closing bracket (the last byte but
            // whitespace) and the whitespace before it begin.
            let close = self.text.trim_end().len().saturating_sub(1);
            str_range(self.text, 0, close).trim_end().len()
        } else {
            skip_value(b, start)
        };
        let value = self.text.get(start..end)?;
        let after = skip_ws(b, end);
        self.pos = if b.get(after) == Some(&b',') {
            after + 1
        } else {
            b.len()
        };
        Some(RawJson::new_unchecked(value))
    }
}

impl std::iter::FusedIterator for Elements<'_> {}

/// Iterator over the event arguments (array elements after the first); see
/// [`RawJson::args`].
#[derive(Debug, Clone)]
pub struct Args<'a> {
    elements: Elements<'a>,
}

impl<'a> Iterator for Args<'a> {
    type Item = RawJson<'a>;

    fn next(&mut self) -> Option<RawJson<'a>> {
        self.elements.next()
    }
}

impl std::iter::FusedIterator for Args<'_> {}

/// Iterator over the `(key, value)` members of a JSON object; see [`RawJson::members`].
#[derive(Debug, Clone)]
pub struct Members<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Iterator for Members<'a> {
    type Item = (RawJson<'a>, RawJson<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        let b = self.text.as_bytes();
        let key_start = skip_ws(b, self.pos);
        if b.get(key_start) != Some(&b'"') {
            self.pos = b.len();
            return None;
        }
        let key_end = skip_string(b, key_start);
        let colon = skip_ws(b, key_end);
        let value_start = skip_ws(b, colon + 1);
        let value_end = skip_value(b, value_start);
        let key = self.text.get(key_start..key_end)?;
        let value = self.text.get(value_start..value_end)?;
        let after = skip_ws(b, value_end);
        self.pos = if b.get(after) == Some(&b',') {
            after + 1
        } else {
            b.len()
        };
        Some((RawJson::new_unchecked(key), RawJson::new_unchecked(value)))
    }
}

impl std::iter::FusedIterator for Members<'_> {}

/// Appends `s` to `out` as a JSON string literal (quotes included), escaping `"`, `\` and
/// control characters the way `JSON.stringify` does.
///
/// ```
/// let mut out = String::new();
/// sio_wire::json::write_json_str("say \"hi\"\n", &mut out);
/// assert_eq!(out, r#""say \"hi\"\n""#);
/// ```
pub fn write_json_str(s: &str, out: &mut String) {
    out.reserve(s.len() + 2);
    out.push('"');
    let b = s.as_bytes();
    let mut i = 0;
    let mut plain_start = 0;
    while i < b.len() {
        i = skip_plain_string_bytes(b, i);
        let Some(&c) = b.get(i) else { break };
        out.push_str(str_range(s, plain_start, i));
        match c {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x08 => out.push_str("\\b"),
            0x0c => out.push_str("\\f"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(char::from(HEX[usize::from(c >> 4)]));
                out.push(char::from(HEX[usize::from(c & 0xf)]));
            }
        }
        i += 1;
        plain_start = i;
    }
    out.push_str(str_from(s, plain_start));
    out.push('"');
}
