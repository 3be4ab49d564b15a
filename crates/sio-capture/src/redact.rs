//! Redaction: take secrets out of captures before they reach a disk.
//!
//! A [`Redactor`] removes, by default:
//! - **JWTs anywhere**: in frame payloads (at any depth of JSON-in-a-JSON-string, because the
//!   base64url alphabet needs no escaping and a JWT reads the same at every level), in header
//!   values, URLs, bodies and binary frames. A JWT becomes a placeholder that keeps a fixed
//!   allow-list of its non-secret claims readable and never its signature:
//!   `[jwt TenantId=tomato.tpos.vn UserId=8f2c ClientId=tmtWebApp exp=1767800000]`.
//! - **`token` fields** (and `access_token`, `refresh_token`, `id_token`, `password`, ...) in
//!   JSON, including JSON nested in string values (rt-2's stringified events): the value becomes
//!   `[redacted]`.
//! - **Credential headers**: `Authorization` keeps its scheme (`Bearer [redacted]`), `Cookie` and
//!   `Set-Cookie` keep cookie names and attributes but not values.
//! - **`access_token` query parameters** (and `token`) in URLs and in [`HttpRecord::query`].
//!
//! Every writer redacts unless told not to (see [`crate::CaptureWriter::with_redactor`]); the
//! counts of what was taken out are kept in a [`RedactionReport`].
//!
//! Text on its way to a person rather than into a capture (log lines, protocol-violation
//! details, admin reports) goes through [`redact_anywhere`], which also finds tokens in
//! packets quoted with escaped quotes, in values cut short, after `Bearer`, and in URLs.
//!
//! ```
//! use sio_capture::{RedactionReport, Redactor};
//!
//! // A synthetic token: header {"alg":"HS256","typ":"JWT"}, claims {"TenantId":"tomato.tpos.vn","exp":1767800000,"name":"x"}.
//! let jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJUZW5hbnRJZCI6InRvbWF0by50cG9zLnZuIiwiZXhwIjoxNzY3ODAwMDAwLCJuYW1lIjoieCJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ";
//! let frame = format!(r#"40/chatomni,{{"token":"{jwt}"}}"#);
//! let mut report = RedactionReport::default();
//! let clean = Redactor::default().redact_text(&frame, &mut report);
//! assert_eq!(clean, r#"40/chatomni,{"token":"[jwt TenantId=tomato.tpos.vn exp=1767800000]"}"#);
//! assert_eq!(report.jwts, 1);
//! ```

use std::borrow::Cow;
use std::fmt;

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use crate::record::{FrameKind, FrameRecord, Header, HttpRecord, Record};

/// The placeholder for a secret that is not a JWT.
pub const REDACTED: &str = "[redacted]";

/// JWT claims kept in a placeholder by default: who and which tenant, never anything secret.
pub const DEFAULT_JWT_CLAIMS: &[&str] = &[
    "TenantId", "UserId", "ClientId", "iss", "aud", "iat", "nbf", "exp",
];

/// JSON field names whose string values are secrets by default (compared ASCII
/// case-insensitively).
pub const DEFAULT_TOKEN_FIELDS: &[&str] = &[
    "token",
    "access_token",
    "accessToken",
    "refresh_token",
    "refreshToken",
    "id_token",
    "idToken",
    "password",
];

/// Header names whose values are credentials by default (compared case-insensitively).
pub const DEFAULT_SECRET_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-access-token",
    "x-auth-token",
    "x-api-key",
];

/// Query (and fragment) parameters whose values are secrets by default.
pub const DEFAULT_SECRET_QUERY_PARAMS: &[&str] = &["access_token", "token", "id_token"];

/// How deep the redactor follows JSON nested inside JSON string values.
const MAX_NESTING: u8 = 8;

/// A claim value longer than this is cut in the placeholder: claims are for reading, not for
/// carrying data.
const MAX_CLAIM_CHARS: usize = 64;

/// What a [`Redactor`] took out, counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RedactionReport {
    /// JWTs replaced by a claims placeholder.
    pub jwts: u64,
    /// Non-JWT values of token fields replaced by `[redacted]`.
    pub token_fields: u64,
    /// Credential header values redacted.
    pub headers: u64,
    /// Secret query or fragment parameters redacted.
    pub query_params: u64,
}

impl RedactionReport {
    /// True when nothing was redacted.
    pub fn is_empty(&self) -> bool {
        self.total() == 0
    }

    /// The number of redactions of every kind together.
    pub fn total(&self) -> u64 {
        self.jwts + self.token_fields + self.headers + self.query_params
    }

    /// Adds another report's counts to this one.
    pub fn merge(&mut self, other: &RedactionReport) {
        self.jwts += other.jwts;
        self.token_fields += other.token_fields;
        self.headers += other.headers;
        self.query_params += other.query_params;
    }
}

impl fmt::Display for RedactionReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("nothing redacted");
        }
        let parts = [
            (self.jwts, "JWT", "JWTs"),
            (self.token_fields, "token field", "token fields"),
            (self.headers, "credential header", "credential headers"),
            (self.query_params, "query parameter", "query parameters"),
        ];
        let mut first = true;
        for (n, one, many) in parts {
            if n == 0 {
                continue;
            }
            if !first {
                f.write_str(", ")?;
            }
            first = false;
            write!(f, "{n} {}", if n == 1 { one } else { many })?;
        }
        Ok(())
    }
}

/// Removes secrets from records; see the [module docs](self) for what it removes.
///
/// `Redactor::default()` redacts everything listed there. [`Redactor::disabled`] redacts
/// nothing, for the rare capture that must keep its tokens (never commit one).
#[derive(Debug, Clone)]
pub struct Redactor {
    enabled: bool,
    jwt_claims: Vec<String>,
    token_fields: Vec<String>,
    secret_headers: Vec<String>,
    secret_query_params: Vec<String>,
}

impl Default for Redactor {
    fn default() -> Self {
        let owned = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect();
        Redactor {
            enabled: true,
            jwt_claims: owned(DEFAULT_JWT_CLAIMS),
            token_fields: owned(DEFAULT_TOKEN_FIELDS),
            secret_headers: owned(DEFAULT_SECRET_HEADERS),
            secret_query_params: owned(DEFAULT_SECRET_QUERY_PARAMS),
        }
    }
}

/// URL-safe base64 that accepts the claims segment with or without padding.
const JWT_SEGMENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

impl Redactor {
    /// A redactor that changes nothing. Captures written with it keep their secrets.
    pub fn disabled() -> Self {
        Redactor {
            enabled: false,
            ..Redactor::default()
        }
    }

    /// True unless this is [`Redactor::disabled`].
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// Replaces the allow-list of JWT claims shown in placeholders (default
    /// [`DEFAULT_JWT_CLAIMS`]); an empty list gives a bare `[jwt]`.
    pub fn jwt_claims<I, S>(mut self, claims: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.jwt_claims = claims.into_iter().map(Into::into).collect();
        self
    }

    /// Also treats string values of JSON field `name` as secrets.
    pub fn token_field(mut self, name: impl Into<String>) -> Self {
        self.token_fields.push(name.into());
        self
    }

    /// Also treats header `name` as a credential.
    pub fn secret_header(mut self, name: impl Into<String>) -> Self {
        self.secret_headers.push(name.into());
        self
    }

    /// Also treats query parameter `name` as a secret.
    pub fn secret_query_param(mut self, name: impl Into<String>) -> Self {
        self.secret_query_params.push(name.into());
        self
    }

    /// Redacts every secret in one record, in place, counting what it took out.
    pub fn redact_record(&self, record: &mut Record, report: &mut RedactionReport) {
        match record {
            Record::Header(h) => self.redact_header_record(h, report),
            Record::Frame(f) => self.redact_frame(f, report),
            Record::Http(h) => self.redact_http(h, report),
            Record::Gap(g) => {
                if let Some(reason) = &mut g.reason {
                    update(reason, |s| self.redact_text(s, report));
                }
            }
            Record::Conn(c) => {
                if let Some(url) = &mut c.url {
                    update(url, |s| self.redact_url(s, report));
                }
                if let Some(reason) = &mut c.reason {
                    update(reason, |s| self.redact_text(s, report));
                }
            }
        }
    }

    /// Redacts the header's URL.
    pub fn redact_header_record(&self, header: &mut Header, report: &mut RedactionReport) {
        if let Some(url) = &mut header.url {
            update(url, |s| self.redact_url(s, report));
        }
    }

    /// Redacts a frame's payload: text directly, binary after decoding its base64 (binary
    /// payloads only get the JWT pass, since they are not JSON).
    pub fn redact_frame(&self, frame: &mut FrameRecord, report: &mut RedactionReport) {
        if !self.enabled {
            return;
        }
        match frame.kind {
            FrameKind::Text => update(&mut frame.data, |s| self.redact_text(s, report)),
            FrameKind::Binary => {
                let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(&frame.data)
                else {
                    // Not base64: redact it as text so that nothing secret survives either way.
                    update(&mut frame.data, |s| self.redact_text(s, report));
                    return;
                };
                if let Cow::Owned(clean) = self.redact_jwts_bytes(&bytes, false, report) {
                    frame.data = base64::engine::general_purpose::STANDARD.encode(clean);
                }
            }
        }
    }

    /// Redacts an HTTP exchange: URL, query pairs, request and response headers and body.
    pub fn redact_http(&self, http: &mut HttpRecord, report: &mut RedactionReport) {
        if !self.enabled {
            return;
        }
        update(&mut http.url, |s| self.redact_url(s, report));
        for (name, value) in &mut http.query {
            if !self.is_secret_query_param(name) {
                update(value, |s| self.redact_jwts_str(s, false, report));
            } else if value.as_str() != REDACTED && !is_jwt_placeholder(value) {
                let mut scratch = RedactionReport::default();
                let clean = self.redact_jwts_str(value, false, &mut scratch);
                if is_jwt_placeholder(&clean) {
                    report.jwts += scratch.jwts;
                    *value = clean.into_owned();
                } else {
                    report.query_params += 1;
                    *value = REDACTED.to_owned();
                }
            }
        }
        for (name, value) in http
            .request_headers
            .iter_mut()
            .chain(http.response_headers.iter_mut())
        {
            update(value, |s| self.redact_header(name, s, report));
        }
        if let Some(body) = &mut http.request_body {
            update(body, |s| self.redact_request_body(s, report));
        }
        if http.body_base64 {
            if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(&http.body) {
                if let Cow::Owned(clean) = self.redact_jwts_bytes(&bytes, false, report) {
                    http.body = base64::engine::general_purpose::STANDARD.encode(clean);
                }
            }
        } else {
            update(&mut http.body, |s| self.redact_text(s, report));
        }
    }

    /// Redacts a text payload: JWTs anywhere, then token fields in any JSON it holds (also JSON
    /// nested inside string values).
    pub fn redact_text<'a>(&self, text: &'a str, report: &mut RedactionReport) -> Cow<'a, str> {
        if !self.enabled {
            return Cow::Borrowed(text);
        }
        let after_jwts = self.redact_jwts_str(text, false, report);
        if !self.may_name_token_field(&after_jwts) {
            // No key of any depth can be a token field: skip the lexer (and the unescaping of
            // every nested JSON string, the bulk of the time on rt-2's `on-events` frames).
            return after_jwts;
        }
        match self.redact_fields(&after_jwts, 0, report) {
            Some(clean) => Cow::Owned(clean),
            None => after_jwts,
        }
    }

    /// Redacts a header value: credential headers lose their secret part (an `Authorization`
    /// keeps its scheme, cookies keep their names and attributes), every header loses its JWTs.
    pub fn redact_header<'a>(
        &self,
        name: &str,
        value: &'a str,
        report: &mut RedactionReport,
    ) -> Cow<'a, str> {
        if !self.enabled {
            return Cow::Borrowed(value);
        }
        let mut scratch = RedactionReport::default();
        let without_jwts = self.redact_jwts_str(value, false, &mut scratch);
        report.jwts += scratch.jwts;
        if !self
            .secret_headers
            .iter()
            .any(|h| h.eq_ignore_ascii_case(name))
        {
            return without_jwts;
        }
        let clean = if name.eq_ignore_ascii_case("cookie") {
            without_jwts
                .split(';')
                .map(|pair| redact_cookie_pair(pair.trim()))
                .collect::<Vec<_>>()
                .join("; ")
        } else if name.eq_ignore_ascii_case("set-cookie") {
            match without_jwts.split_once(';') {
                Some((pair, attributes)) => {
                    format!("{};{attributes}", redact_cookie_pair(pair.trim()))
                }
                None => redact_cookie_pair(without_jwts.trim()),
            }
        } else {
            // `Scheme credentials`: the scheme tells a reader what kind of auth it was.
            match without_jwts.split_once(' ') {
                Some((scheme, credentials)) if !scheme.is_empty() && !scheme.starts_with('[') => {
                    format!("{scheme} {}", redact_value_keeping_jwt(credentials.trim()))
                }
                _ => redact_value_keeping_jwt(&without_jwts).to_owned(),
            }
        };
        if clean != value {
            report.headers += 1;
        }
        Cow::Owned(clean)
    }

    /// Redacts a URL: secret query and fragment parameters become `[redacted]` (or a JWT
    /// placeholder with `+` for spaces, so the URL stays one token), and JWTs anywhere else go
    /// too.
    pub fn redact_url<'a>(&self, url: &'a str, report: &mut RedactionReport) -> Cow<'a, str> {
        if !self.enabled {
            return Cow::Borrowed(url);
        }
        let without_jwts = self.redact_jwts_str(url, true, report);
        let Some(query_start) = without_jwts.find(['?', '#']) else {
            return without_jwts;
        };
        let (base, rest) = without_jwts.split_at(query_start);
        let mut out = String::with_capacity(without_jwts.len());
        out.push_str(base);
        let mut changed = false;
        // Walk `?a=b&c=d#e=f`: each separator is kept, each pair is checked.
        let mut pair_start = 0;
        let bytes = rest.as_bytes();
        for i in 0..=bytes.len() {
            let at_separator = i == bytes.len() || matches!(bytes[i], b'?' | b'&' | b'#' | b';');
            if !at_separator {
                continue;
            }
            let pair = &rest[pair_start..i];
            match pair.split_once('=') {
                Some((name, value))
                    if self.is_secret_query_param(name)
                        && value != REDACTED
                        && !value.starts_with("[jwt") =>
                {
                    out.push_str(name);
                    out.push('=');
                    out.push_str(REDACTED);
                    report.query_params += 1;
                    changed = true;
                }
                _ => out.push_str(pair),
            }
            if i < bytes.len() {
                out.push(char::from(bytes[i]));
            }
            pair_start = i + 1;
        }
        if changed {
            Cow::Owned(out)
        } else {
            without_jwts
        }
    }

    /// A request body is JSON (token fields) or a form (`a=b&password=c`: secret parameters
    /// and token field names); JWTs go either way.
    fn redact_request_body<'a>(&self, body: &'a str, report: &mut RedactionReport) -> Cow<'a, str> {
        let text = self.redact_text(body, report);
        let trimmed = text.trim_start();
        if trimmed.starts_with('{') || trimmed.starts_with('[') || !text.contains('=') {
            return text;
        }
        let mut changed = false;
        let pairs: Vec<String> = text
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((name, value))
                    if (self.is_secret_query_param(name) || self.is_token_field(name))
                        && value != REDACTED
                        && !value.starts_with("[jwt") =>
                {
                    changed = true;
                    report.query_params += 1;
                    format!("{name}={REDACTED}")
                }
                _ => pair.to_owned(),
            })
            .collect();
        if changed {
            Cow::Owned(pairs.join("&"))
        } else {
            text
        }
    }

    /// Redacts secrets wherever they are in free text: log lines, protocol-violation details,
    /// the packets an admin report lists. Such text is not a record field: a packet may be
    /// quoted with its quotes escaped (`"40/chatomni,{\"token\":\"...\"}"`), cut short in
    /// the middle of a value, or be a URL or a header line. On top of
    /// [`Redactor::redact_text`] (whole JWTs anywhere, token fields in JSON), this replaces
    /// by [`REDACTED`]:
    ///
    /// - the value after any token field or secret query parameter name followed by `:` or
    ///   `=`, quoted at any level of escaping or not quoted at all, up to its closing quote,
    ///   or to the end of the text when it was cut;
    /// - the credentials after `Bearer` or `Basic`;
    ///
    /// and the start of a JWT cut before its signature becomes `[jwt]`.
    ///
    /// ```
    /// use sio_capture::{RedactionReport, Redactor};
    ///
    /// let mut report = RedactionReport::default();
    /// let detail = r#"Socket.IO: invalid JSON at byte 30 in "40/chatomni,{\"token\":\"opaque-s"… (bytes 0..48 of 90)"#;
    /// let clean = Redactor::default().redact_anywhere(detail, &mut report);
    /// assert_eq!(clean, r#"Socket.IO: invalid JSON at byte 30 in "40/chatomni,{\"token\":\"[redacted]"… (bytes 0..48 of 90)"#);
    /// let header = Redactor::default().redact_anywhere("GET /?room=t&access_token=abc HTTP/1.1 Authorization: Bearer xyz", &mut report);
    /// assert_eq!(header, "GET /?room=t&access_token=[redacted] HTTP/1.1 Authorization: Bearer [redacted]");
    /// ```
    pub fn redact_anywhere<'a>(&self, text: &'a str, report: &mut RedactionReport) -> Cow<'a, str> {
        if !self.enabled {
            return Cow::Borrowed(text);
        }
        let mut out = self.redact_text(text, report);
        if let Some(clean) = self.redact_loose_fields(&out, report) {
            out = Cow::Owned(clean);
        }
        if let Some(clean) = self.redact_credentials(&out, report) {
            out = Cow::Owned(clean);
        }
        if let Some(clean) = self.redact_jwt_prefixes(&out, report) {
            out = Cow::Owned(clean);
        }
        out
    }

    /// The loose field pass of [`Redactor::redact_anywhere`]: `name` `:`/`=` value, for every
    /// token field and secret query parameter name, however the value is quoted.
    fn redact_loose_fields(&self, text: &str, report: &mut RedactionReport) -> Option<String> {
        // Most texts name no field at all: tell that without a lowercase copy of the text or a
        // substring searcher built per name (the mock runs this on every frame a client sends).
        let names = || self.token_fields.iter().chain(&self.secret_query_params);
        if !names().any(|name| {
            !name.is_empty() && contains_ignore_ascii_case(text.as_bytes(), name.as_bytes())
        }) {
            return None;
        }
        let lower = text.to_ascii_lowercase();
        let bytes = text.as_bytes();
        // (start, end) of each value to replace, from every name.
        let mut values: Vec<(usize, usize)> = Vec::new();
        for name in self.token_fields.iter().chain(&self.secret_query_params) {
            let name = name.to_ascii_lowercase();
            if name.is_empty() {
                continue;
            }
            for at in memchr::memmem::find_iter(lower.as_bytes(), name.as_bytes()) {
                let before_ok = at == 0 || !is_name_byte(bytes[at - 1]);
                let after = at + name.len();
                if !before_ok || bytes.get(after).copied().is_some_and(is_name_byte) {
                    continue;
                }
                if let Some(value) = loose_value(bytes, after) {
                    values.push(value);
                }
            }
        }
        if values.is_empty() {
            return None;
        }
        values.sort_unstable();
        let mut out = String::with_capacity(text.len());
        let mut copied = 0;
        for (start, end) in values {
            if start < copied {
                continue;
            }
            let value = &text[start..end];
            if value == REDACTED || value.starts_with("[jwt") {
                continue;
            }
            out.push_str(&text[copied..start]);
            out.push_str(REDACTED);
            report.token_fields += 1;
            copied = end;
        }
        if copied == 0 {
            return None;
        }
        out.push_str(&text[copied..]);
        Some(out)
    }

    /// The credentials after an HTTP auth scheme (`Bearer`, `Basic`), wherever it is.
    fn redact_credentials(&self, text: &str, report: &mut RedactionReport) -> Option<String> {
        if !SCHEMES
            .iter()
            .any(|scheme| contains_ignore_ascii_case(text.as_bytes(), scheme.as_bytes()))
        {
            return None;
        }
        let lower = text.to_ascii_lowercase();
        let bytes = text.as_bytes();
        let mut values: Vec<(usize, usize)> = Vec::new();
        for scheme in SCHEMES {
            for at in memchr::memmem::find_iter(lower.as_bytes(), scheme.as_bytes()) {
                if at > 0 && is_name_byte(bytes[at - 1]) {
                    continue;
                }
                let mut start = at + scheme.len();
                if bytes.get(start) != Some(&b' ') {
                    continue;
                }
                while bytes.get(start) == Some(&b' ') {
                    start += 1;
                }
                let end = start
                    + bytes[start..]
                        .iter()
                        .take_while(|b| {
                            !(b.is_ascii_whitespace() || matches!(b, b'"' | b'\'' | b'\\' | b','))
                        })
                        .count();
                if end > start {
                    values.push((start, end));
                }
            }
        }
        values.sort_unstable();
        let mut out = String::with_capacity(text.len());
        let mut copied = 0;
        for (start, end) in values {
            let value = &text[start..end];
            if start < copied || value == REDACTED || value.starts_with("[jwt") {
                continue;
            }
            out.push_str(&text[copied..start]);
            out.push_str(REDACTED);
            report.headers += 1;
            copied = end;
        }
        if copied == 0 {
            return None;
        }
        out.push_str(&text[copied..]);
        Some(out)
    }

    /// `eyJ<header>.<claims...>` cut before its signature: whole JWTs are placeholders by now,
    /// so a run still holding a dot after `eyJ` is the start of one, and goes.
    fn redact_jwt_prefixes(&self, text: &str, report: &mut RedactionReport) -> Option<String> {
        let bytes = text.as_bytes();
        let mut out: Option<String> = None;
        let mut copied = 0;
        for start in JWT_START.find_iter(bytes) {
            if start < copied || (start > 0 && is_base64url(bytes[start - 1])) {
                continue;
            }
            let mut end = start;
            let mut dots = 0;
            loop {
                end += bytes[end..]
                    .iter()
                    .take_while(|b| is_base64url(**b))
                    .count();
                if bytes.get(end) == Some(&b'.')
                    && bytes.get(end + 1).copied().is_some_and(is_base64url)
                {
                    dots += 1;
                    end += 1;
                } else {
                    break;
                }
            }
            if dots == 0 || end - start < 16 {
                continue;
            }
            let buf = out.get_or_insert_with(|| String::with_capacity(text.len()));
            buf.push_str(&text[copied..start]);
            buf.push_str("[jwt]");
            report.jwts += 1;
            copied = end;
        }
        out.map(|mut buf| {
            buf.push_str(&text[copied..]);
            buf
        })
    }

    fn is_secret_query_param(&self, name: &str) -> bool {
        self.secret_query_params
            .iter()
            .any(|p| p.eq_ignore_ascii_case(name))
    }

    /// False only when no JSON key in `text`, at any nesting depth, can be a token field: no
    /// token field's name occurs in it (ignoring ASCII case) and there is no `\u` escape (the
    /// only escape that can spell a letter, at any depth of nested JSON strings, contains a
    /// backslash followed by `u`).
    fn may_name_token_field(&self, text: &str) -> bool {
        let bytes = text.as_bytes();
        UNICODE_ESCAPE.find(bytes).is_some()
            || self
                .token_fields
                .iter()
                .any(|name| contains_ignore_ascii_case(bytes, name.as_bytes()))
    }

    fn is_token_field(&self, name: &str) -> bool {
        self.token_fields
            .iter()
            .any(|p| p.eq_ignore_ascii_case(name))
    }

    /// The JWT pass on text. JWTs are ASCII, so replacing them keeps the text valid UTF-8.
    fn redact_jwts_str<'a>(
        &self,
        text: &'a str,
        in_url: bool,
        report: &mut RedactionReport,
    ) -> Cow<'a, str> {
        match self.redact_jwts_bytes(text.as_bytes(), in_url, report) {
            Cow::Borrowed(_) => Cow::Borrowed(text),
            Cow::Owned(bytes) => Cow::Owned(match String::from_utf8(bytes) {
                Ok(s) => s,
                // Unreachable: only ASCII runs were replaced, by ASCII-or-UTF-8 placeholders.
                Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
            }),
        }
    }

    /// Finds every `eyJ<b64url>.<b64url>.<b64url>` run and replaces it by its placeholder.
    fn redact_jwts_bytes<'a>(
        &self,
        bytes: &'a [u8],
        in_url: bool,
        report: &mut RedactionReport,
    ) -> Cow<'a, [u8]> {
        if !self.enabled {
            return Cow::Borrowed(bytes);
        }
        let finder = &*JWT_START;
        let mut out: Option<Vec<u8>> = None;
        let mut copied = 0;
        let mut search = 0;
        while let Some(found) = finder.find(&bytes[search..]) {
            let start = search + found;
            match jwt_extent(bytes, start) {
                Some((claims, end)) => {
                    let buf = out.get_or_insert_with(|| Vec::with_capacity(bytes.len()));
                    buf.extend_from_slice(&bytes[copied..start]);
                    let placeholder = self.jwt_placeholder(claims);
                    if in_url {
                        buf.extend_from_slice(placeholder.replace(' ', "+").as_bytes());
                    } else {
                        buf.extend_from_slice(placeholder.as_bytes());
                    }
                    report.jwts += 1;
                    copied = end;
                    search = end;
                }
                None => search = start + 3,
            }
        }
        match out {
            Some(mut buf) => {
                buf.extend_from_slice(&bytes[copied..]);
                Cow::Owned(buf)
            }
            None => Cow::Borrowed(bytes),
        }
    }

    /// `[jwt Claim=value ...]` with the allow-listed claims of the base64url claims segment.
    fn jwt_placeholder(&self, claims_segment: &[u8]) -> String {
        let mut placeholder = String::from("[jwt");
        let claims = JWT_SEGMENT.decode(claims_segment).ok().and_then(|json| {
            serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&json).ok()
        });
        if let Some(claims) = claims {
            for name in &self.jwt_claims {
                let Some(value) = claims.get(name) else {
                    continue;
                };
                placeholder.push(' ');
                placeholder.push_str(&sanitize_claim_text(name));
                placeholder.push('=');
                placeholder.push_str(&claim_value_text(value));
            }
        }
        placeholder.push(']');
        placeholder
    }

    /// The token-field pass: a small JSON string lexer over `text` (which need not be JSON as a
    /// whole: a Socket.IO frame has a `42/nsp,` prefix). Returns the new text if anything
    /// changed.
    fn redact_fields(&self, text: &str, depth: u8, report: &mut RedactionReport) -> Option<String> {
        let bytes = text.as_bytes();
        let mut out: Option<String> = None;
        let mut copied = 0;
        let mut pos = 0;
        // Where a value must start (after whitespace) to belong to a secret key just seen.
        let mut secret_value_from: Option<usize> = None;
        while let Some(q) = memchr::memchr(b'"', &bytes[pos..]) {
            let start = pos + q;
            let Some(end) = json_string_end(bytes, start + 1) else {
                break;
            };
            let raw = &text[start..=end];
            let content = &text[start + 1..end];
            let mut after = end + 1;
            while after < bytes.len() && bytes[after].is_ascii_whitespace() {
                after += 1;
            }
            pos = end + 1;
            if bytes.get(after) == Some(&b':') {
                let name: Cow<'_, str> = if content.contains('\\') {
                    serde_json::from_str::<String>(raw)
                        .map(Cow::Owned)
                        .unwrap_or(Cow::Borrowed(content))
                } else {
                    Cow::Borrowed(content)
                };
                secret_value_from = self.is_token_field(&name).then_some(after + 1);
                pos = after + 1;
                continue;
            }
            let is_secret = secret_value_from
                .take()
                .is_some_and(|from| bytes[from..start].iter().all(u8::is_ascii_whitespace));
            let replacement = if is_secret {
                if content.starts_with("[jwt") || content == REDACTED {
                    None
                } else {
                    report.token_fields += 1;
                    Some(format!("\"{REDACTED}\""))
                }
            } else if depth < MAX_NESTING && looks_like_nested_json(content) {
                serde_json::from_str::<String>(raw)
                    .ok()
                    .and_then(|inner| self.redact_fields(&inner, depth + 1, report))
                    .and_then(|clean| serde_json::to_string(&clean).ok())
            } else {
                None
            };
            if let Some(replacement) = replacement {
                let buf = out.get_or_insert_with(|| String::with_capacity(text.len()));
                buf.push_str(&text[copied..start]);
                buf.push_str(&replacement);
                copied = end + 1;
            }
        }
        out.map(|mut buf| {
            buf.push_str(&text[copied..]);
            buf
        })
    }
}

/// [`Redactor::redact_anywhere`] with the default redactor (built once), for text on its way
/// to a person: logs, admin reports, error messages. What was taken out is not counted.
///
/// ```
/// use sio_capture::redact::redact_anywhere;
///
/// assert_eq!(
///     redact_anywhere(r#"received "40/chatomni,{\"token\":\"opaque\"}""#),
///     r#"received "40/chatomni,{\"token\":\"[redacted]\"}""#
/// );
/// assert!(matches!(redact_anywhere("42/chatomni,[\"x\"]"), std::borrow::Cow::Borrowed(_)));
/// ```
pub fn redact_anywhere(text: &str) -> Cow<'_, str> {
    static DEFAULT: std::sync::LazyLock<Redactor> = std::sync::LazyLock::new(Redactor::default);
    DEFAULT.redact_anywhere(text, &mut RedactionReport::default())
}

/// The start of every JWT (`{"` in base64url), searched for in every text: one searcher for the
/// process, since building one per call was most of the cost of a pass over a short text (the
/// mock runs these passes on every frame a client sends).
static JWT_START: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"eyJ"));

/// A `\u` escape, which can spell any field name.
static UNICODE_ESCAPE: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"\\u"));

/// The HTTP auth schemes whose credentials [`Redactor::redact_anywhere`] hides, lowercase.
const SCHEMES: [&str; 2] = ["bearer", "basic"];

/// A byte that can continue a field or parameter name (so `my_token` is not `token`).
fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// The value after a name ending at `after`: skips the name's closing quote (escaped or
/// not), spaces, one `:` or `=`, spaces, then reads a value quoted at any level of escaping
/// (to its matching closing quote, or to the end of a cut text) or unquoted (to a
/// delimiter). `None` when no `:`/`=` follows, or the value is empty or a JSON literal.
fn loose_value(bytes: &[u8], after: usize) -> Option<(usize, usize)> {
    let mut i = after;
    while matches!(bytes.get(i), Some(b'"' | b'\'' | b'\\')) {
        i += 1;
    }
    while bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    if !matches!(bytes.get(i), Some(b':' | b'=')) {
        return None;
    }
    i += 1;
    while bytes.get(i).is_some_and(|b| *b == b' ' || *b == b'\t') {
        i += 1;
    }
    // The opening quote: `k` backslashes then `"`, or a `'`.
    let backslashes = bytes[i.min(bytes.len())..]
        .iter()
        .take_while(|b| **b == b'\\')
        .count();
    let (start, end) = match bytes.get(i + backslashes) {
        Some(b'"') => {
            let start = i + backslashes + 1;
            let mut end = bytes.len();
            let mut j = start;
            while let Some(found) = memchr::memchr(b'"', &bytes[j..]) {
                let quote = j + found;
                let escapes = bytes[start..quote]
                    .iter()
                    .rev()
                    .take_while(|b| **b == b'\\')
                    .count();
                if escapes <= backslashes {
                    end = quote - escapes;
                    break;
                }
                j = quote + 1;
            }
            (start, end)
        }
        Some(b'\'') if backslashes == 0 => {
            let start = i + 1;
            let end = memchr::memchr(b'\'', &bytes[start..]).map_or(bytes.len(), |n| start + n);
            (start, end)
        }
        _ if backslashes > 0 => return None,
        // An object or array is not a credential; its own fields are looked at by name.
        Some(b'{' | b'[') | None => return None,
        _ => {
            let end = i + bytes[i.min(bytes.len())..]
                .iter()
                .take_while(|b| {
                    !(b.is_ascii_whitespace()
                        || matches!(
                            b,
                            b'&' | b',' | b';' | b'}' | b']' | b')' | b'"' | b'\'' | b'\\' | b'#'
                        ))
                })
                .count();
            let value = &bytes[i.min(bytes.len())..end];
            if matches!(value, b"null" | b"true" | b"false") {
                return None;
            }
            (i, end)
        }
    };
    (end > start).then_some((start, end))
}

/// Replaces `target` when the redactor produced a new value.
fn update(target: &mut String, redact: impl FnOnce(&str) -> Cow<'_, str>) {
    let new = match redact(target) {
        Cow::Owned(v) => Some(v),
        Cow::Borrowed(_) => None,
    };
    if let Some(v) = new {
        *target = v;
    }
}

/// `name=value` -> `name=[redacted]`, keeping a JWT placeholder if the value already is one.
fn redact_cookie_pair(pair: &str) -> String {
    match pair.split_once('=') {
        Some((name, value)) => format!("{name}={}", redact_value_keeping_jwt(value)),
        None if pair.is_empty() => String::new(),
        None => REDACTED.to_owned(),
    }
}

/// A whole value that is one JWT placeholder (`[jwt ...]`, with `+` for spaces in URLs).
fn is_jwt_placeholder(value: &str) -> bool {
    (value == "[jwt]" || value.starts_with("[jwt ") || value.starts_with("[jwt+"))
        && value.ends_with(']')
}

fn redact_value_keeping_jwt(value: &str) -> &str {
    if is_jwt_placeholder(value) {
        value
    } else {
        REDACTED
    }
}

fn is_base64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// If a JWT starts at `start` (which holds `eyJ`), returns its claims segment and its end.
///
/// A JWT is three base64url segments joined by dots; the first (the header) is JSON and so
/// always begins `eyJ` (`{"`). The signature may be empty (`alg: none`).
fn jwt_extent(bytes: &[u8], start: usize) -> Option<(&[u8], usize)> {
    let run = |from: usize| {
        let len = bytes[from..]
            .iter()
            .take_while(|b| is_base64url(**b))
            .count();
        from + len
    };
    let header_end = run(start);
    if header_end - start < 4 || bytes.get(header_end) != Some(&b'.') {
        return None;
    }
    let claims_start = header_end + 1;
    let claims_end = run(claims_start);
    if claims_end - claims_start < 2 || bytes.get(claims_end) != Some(&b'.') {
        return None;
    }
    let mut end = run(claims_end + 1);
    // Swallow further `.segment`s: a JWE has five, and text that happens to look like the
    // start of a JWT right before a real one must not leave the real one's signature behind.
    while bytes.get(end) == Some(&b'.') && bytes.get(end + 1).copied().is_some_and(is_base64url) {
        end = run(end + 1);
    }
    Some((&bytes[claims_start..claims_end], end))
}

/// The index of the closing quote of a JSON string whose content starts at `from`.
fn json_string_end(bytes: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while let Some(found) = memchr::memchr2(b'"', b'\\', &bytes[i..]) {
        let at = i + found;
        if bytes[at] == b'"' {
            return Some(at);
        }
        i = at + 2;
        if i > bytes.len() {
            return None;
        }
    }
    None
}

/// Whether a JSON string's raw content looks like stringified JSON worth lexing again.
/// Whether `needle` occurs in `haystack`, ignoring ASCII case (the candidates are found with
/// `memchr2` on the first byte's two cases).
fn contains_ignore_ascii_case(haystack: &[u8], needle: &[u8]) -> bool {
    let Some((&first, rest)) = needle.split_first() else {
        return true;
    };
    let (lower, upper) = (first.to_ascii_lowercase(), first.to_ascii_uppercase());
    let mut from = 0;
    while let Some(found) = memchr::memchr2(lower, upper, &haystack[from..]) {
        let at = from + found;
        let candidate = &haystack[at + 1..];
        if candidate.len() < rest.len() {
            return false;
        }
        if candidate[..rest.len()].eq_ignore_ascii_case(rest) {
            return true;
        }
        from = at + 1;
    }
    false
}

fn looks_like_nested_json(content: &str) -> bool {
    let trimmed = content.trim_start();
    (trimmed.starts_with('{') || trimmed.starts_with('[')) && content.contains("\\\"")
}

/// A claim value as placeholder text: strings sanitized, numbers and booleans as written,
/// arrays joined with commas.
fn claim_value_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => sanitize_claim_text(s),
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::Bool(b) => b.to_string(),
        serde_json::Value::Array(items) => items
            .iter()
            .map(claim_value_text)
            .collect::<Vec<_>>()
            .join(","),
        serde_json::Value::Null => "null".to_owned(),
        serde_json::Value::Object(_) => "{..}".to_owned(),
    }
}

/// Keeps letters, digits and `.-_@:`; anything else (quotes, spaces, backslashes) becomes `_`,
/// so the placeholder is safe inside JSON strings at any nesting depth and inside URLs. A value
/// that itself holds a JWT is dropped: its signature must not survive.
fn sanitize_claim_text(s: &str) -> String {
    if s.contains("eyJ") {
        return "?".to_owned();
    }
    let mut out: String = s
        .chars()
        .take(MAX_CLAIM_CHARS)
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | '@' | ':') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.chars().count() > MAX_CLAIM_CHARS {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A synthetic JWT with the given claims JSON and signature (never a real token).
    fn jwt(claims: &str, signature: &str) -> String {
        format!(
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.{}.{signature}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(claims)
        )
    }

    fn redact(text: &str) -> (String, RedactionReport) {
        let mut report = RedactionReport::default();
        let out = Redactor::default()
            .redact_text(text, &mut report)
            .into_owned();
        (out, report)
    }

    #[test]
    fn jwt_placeholder_keeps_allow_listed_claims_only() {
        let token = jwt(
            r#"{"ClientId":"tmtWebApp","TenantId":"tomato.tpos.vn","UserId":"u-1","DisplayName":"Thảo","secret":"s3","exp":1767800000}"#,
            "SIGNATURE_xyz",
        );
        let (out, report) = redact(&format!("x {token} y"));
        assert_eq!(
            out,
            "x [jwt TenantId=tomato.tpos.vn UserId=u-1 ClientId=tmtWebApp exp=1767800000] y"
        );
        assert_eq!(report.jwts, 1);
    }

    #[test]
    fn a_jwt_lookalike_right_before_a_jwt_does_not_shield_it() {
        let token = jwt(r#"{"UserId":"1"}"#, "SIGNATURE_behind");
        let (out, _) = redact(&format!("eyJab.cd.{token} after"));
        assert!(!out.contains("SIGNATURE_behind"), "{out}");
        assert!(out.ends_with("] after"), "{out}");
    }

    #[test]
    fn token_fields_spelled_with_unicode_escapes_are_found_at_any_depth() {
        // The fast path skips texts naming no token field; a key spelled with \u escapes
        // (directly, or inside a stringified JSON) must still reach the lexer.
        let direct = r#"40/chatomni,{"\u0074oken":"opaque-1"}"#;
        let (out, report) = redact(direct);
        assert_eq!(out, r#"40/chatomni,{"\u0074oken":"[redacted]"}"#);
        assert_eq!(report.token_fields, 1);
        let inner = r#"{"\u0054OKEN":"opaque-2"}"#;
        let nested = format!(
            "42/chatomni,{}",
            serde_json::to_string(&serde_json::json!(["on-events", inner])).expect("JSON")
        );
        let (out, report) = redact(&nested);
        assert!(!out.contains("opaque-2"), "{out}");
        assert_eq!(report.token_fields, 1);
        // Upper case names too, at depth 1, without escapes.
        let (out, _) = redact(r#"42/chatomni,["e","{\"AccessToken\":\"opaque-3\"}"]"#);
        assert!(!out.contains("opaque-3"), "{out}");
    }

    #[test]
    fn a_frame_naming_no_token_field_is_borrowed_unchanged() {
        let frame = r#"42/chatomni,["on-events","{\"Conversation\":{\"Name\":\"Lan\"},\"Message\":{\"Text\":\"tok en\"}}"]"#;
        let mut report = RedactionReport::default();
        let out = Redactor::default().redact_text(frame, &mut report);
        assert!(matches!(out, Cow::Borrowed(_)), "{out}");
        assert!(report.is_empty());
        assert!(!contains_ignore_ascii_case(b"tok en", b"token"));
        assert!(contains_ignore_ascii_case(b"xxTOKEN", b"token"));
        assert!(!contains_ignore_ascii_case(b"toke", b"token"));
    }

    #[test]
    fn jwt_with_undecodable_claims_becomes_bare_placeholder() {
        let (out, _) = redact("eyJhbGciOi.not-base64-json.SIG");
        assert_eq!(out, "[jwt]");
    }

    #[test]
    fn double_encoded_jwt_and_token_field_are_redacted() {
        let token = jwt(r#"{"UserId":"42"}"#, "SIGdouble");
        let inner = format!(r#"{{"token":"{token}","other":"opaque-secret"}}"#);
        let inner2 = serde_json::to_string(&inner).unwrap();
        let frame = format!(
            r#"42/chatomni,["on-events",{}]"#,
            serde_json::to_string(&inner2).unwrap()
        );
        let (out, report) = redact(&frame);
        assert!(!out.contains("SIGdouble"), "{out}");
        assert!(out.contains("[jwt UserId=42]"), "{out}");
        assert_eq!(report.jwts, 1);
    }

    #[test]
    fn token_field_in_stringified_event_is_redacted_and_rest_kept_verbatim() {
        let frame = r#"42/chatomni,["on-events","{\"token\":\"opaque\",\"Name\":\"Th\u1ea3o\"}"]"#;
        let (out, report) = redact(frame);
        assert_eq!(report.token_fields, 1);
        let args: serde_json::Value =
            serde_json::from_str(out.strip_prefix("42/chatomni,").unwrap()).unwrap();
        let inner: serde_json::Value = serde_json::from_str(args[1].as_str().unwrap()).unwrap();
        assert_eq!(inner["token"], "[redacted]");
        assert_eq!(inner["Name"], "Thảo");
    }

    #[test]
    fn unrelated_text_is_borrowed_unchanged() {
        let mut report = RedactionReport::default();
        let text = r#"42/chatomni,["on-events","{\"Message\":\"eyJ not a jwt\"}"]"#;
        let out = Redactor::default().redact_text(text, &mut report);
        assert!(matches!(out, Cow::Borrowed(_)));
        assert!(report.is_empty());
    }

    #[test]
    fn headers_keep_scheme_and_cookie_names() {
        let r = Redactor::default();
        let mut report = RedactionReport::default();
        assert_eq!(
            r.redact_header("Authorization", "Bearer abc.def", &mut report),
            "Bearer [redacted]"
        );
        assert_eq!(
            r.redact_header("cookie", "a=1; b=2", &mut report),
            "a=[redacted]; b=[redacted]"
        );
        assert_eq!(
            r.redact_header("Set-Cookie", "sid=xyz; Path=/; HttpOnly", &mut report),
            "sid=[redacted]; Path=/; HttpOnly"
        );
        assert_eq!(
            r.redact_header("Accept", "text/html", &mut report),
            "text/html"
        );
        assert_eq!(report.headers, 3);
        let token = jwt(r#"{"TenantId":"t"}"#, "SIGhdr");
        assert_eq!(
            r.redact_header("authorization", &format!("Bearer {token}"), &mut report),
            "Bearer [jwt TenantId=t]"
        );
    }

    #[test]
    fn url_query_and_fragment_params_are_redacted() {
        let r = Redactor::default();
        let mut report = RedactionReport::default();
        assert_eq!(
            r.redact_url(
                "https://h/p?room=t&access_token=abc&x=1#token=zz",
                &mut report
            ),
            "https://h/p?room=t&access_token=[redacted]&x=1#token=[redacted]"
        );
        assert_eq!(report.query_params, 2);
        let token = jwt(r#"{"TenantId":"t","UserId":"u"}"#, "SIGurl");
        let url = format!("wss://h/?access_token={token}&EIO=4");
        let out = r.redact_url(&url, &mut report);
        assert_eq!(out, "wss://h/?access_token=[jwt+TenantId=t+UserId=u]&EIO=4");
    }

    #[test]
    fn disabled_redactor_changes_nothing() {
        let token = jwt("{}", "SIG");
        let mut report = RedactionReport::default();
        let out = Redactor::disabled().redact_text(&token, &mut report);
        assert_eq!(out, token);
        assert!(report.is_empty());
    }

    #[test]
    fn claim_values_cannot_break_out_of_json_strings() {
        let token = jwt(r#"{"TenantId":"a\"b\\c d"}"#, "SIG");
        let (out, _) = redact(&format!(r#"{{"k":"{token}"}}"#));
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["k"], "[jwt TenantId=a_b_c_d]");
    }

    fn anywhere(text: &str) -> (String, RedactionReport) {
        let mut report = RedactionReport::default();
        let out = Redactor::default()
            .redact_anywhere(text, &mut report)
            .into_owned();
        (out, report)
    }

    #[test]
    fn anywhere_finds_token_fields_at_every_level_of_quoting() {
        let frame = r#"40/chatomni,{"token":"SECRET1","room":"t"}"#;
        let stringified = r#"42/chatomni,["on-events","{\"Token\":\"SECRET2\"}"]"#;
        let cases = [
            frame.to_owned(),
            format!("{frame:?}"),
            format!("{:?}", format!("{frame:?}")),
            stringified.to_owned(),
            format!("{stringified:?}"),
            "access_token=SECRET3&x=1".to_owned(),
            "PASSWORD: SECRET4, next".to_owned(),
            "{'refresh_token': 'SECRET5'}".to_owned(),
            r#"{"id_token" : "SECRET6"}"#.to_owned(),
        ];
        for text in cases {
            let (out, report) = anywhere(&text);
            assert!(!out.contains("SECRET"), "{text} -> {out}");
            assert!(out.contains(REDACTED), "{out}");
            assert!(report.total() >= 1);
        }
        let (out, _) = anywhere(&format!("{frame:?}"));
        assert_eq!(
            out,
            r#""40/chatomni,{\"token\":\"[redacted]\",\"room\":\"t\"}""#
        );
    }

    #[test]
    fn anywhere_redacts_values_cut_short_to_the_end() {
        let (out, _) = anywhere(r#"in "40/chatomni,{\"token\":\"SECRET-BUT-C"…"#);
        assert_eq!(out, r#"in "40/chatomni,{\"token\":\"[redacted]"…"#);
        let (out, _) = anywhere("…n\\\":\\\"abc\\\",\\\"token\\\":\\\"SECRE");
        assert!(!out.contains("SECRE"), "{out}");
        let (out, report) = anywhere("x eyJhbGciOiJIUzI1NiJ9.eyJVc2VySWQiOiI0MiJ9");
        assert_eq!(out, "x [jwt]");
        assert_eq!(report.jwts, 1);
    }

    #[test]
    fn anywhere_redacts_credentials_after_an_auth_scheme() {
        let (out, report) = anywhere("authorization: Bearer abc.def, Basic dXNlcjpwdw== ok");
        assert_eq!(out, "authorization: Bearer [redacted], Basic [redacted] ok");
        assert_eq!(report.headers, 2);
    }

    #[test]
    fn anywhere_leaves_lookalikes_and_placeholders_alone() {
        for text in [
            "tokens: 5",
            "my_token=abc",
            "tokenizer: x",
            "/api/token/refresh",
            r#"{"token":null,"password":true}"#,
            r#"{"token":{"nested":1}}"#,
            "token",
            "token=",
            "Bearer",
            "a basic idea",
            "eyJ no jwt",
            r#"{"token":"[redacted]"}"#,
            "access_token=[jwt+TenantId=t]",
            "Thảo said token",
        ] {
            let (out, report) = anywhere(text);
            if text == "a basic idea" {
                // `basic` followed by a word reads as the Basic scheme: better too much.
                assert_eq!(out, "a basic [redacted]");
                continue;
            }
            assert_eq!(out, text, "{report:?}");
        }
    }

    #[test]
    fn anywhere_is_a_no_op_when_disabled_and_never_panics() {
        let mut report = RedactionReport::default();
        let text = r#"{"token":"x"} Bearer y"#;
        assert_eq!(
            Redactor::disabled().redact_anywhere(text, &mut report),
            text
        );
        // Every prefix of hostile text: cut quotes, escapes and names at every byte.
        let hostile = r#"\\"token\\":\\"é\\\"x\\" 'password'='a' token= "token":"Bearer  eyJabcdefghijklmnop.eyJ"#;
        for end in (0..=hostile.len()).filter(|end| hostile.is_char_boundary(*end)) {
            let _ = Redactor::default().redact_anywhere(&hostile[..end], &mut report);
        }
    }

    #[test]
    fn report_display_lists_kinds() {
        let report = RedactionReport {
            jwts: 2,
            token_fields: 1,
            headers: 0,
            query_params: 1,
        };
        assert_eq!(
            report.to_string(),
            "2 JWTs, 1 token field, 1 query parameter"
        );
        assert_eq!(RedactionReport::default().to_string(), "nothing redacted");
    }
}
