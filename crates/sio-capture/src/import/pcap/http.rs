//! HTTP/1.x messages out of one direction's reassembled bytes (httparse for the heads, the
//! body framing of RFC 9112 section 6 by hand): no state beyond the bytes not yet read.

use std::collections::VecDeque;
use std::io::Read as _;

/// The most headers read in one message head.
const MAX_HEADERS: usize = 128;
/// The largest head (request line or status line and headers) waited for.
pub(crate) const MAX_HEAD_BYTES: usize = 64 * 1024;
/// The largest body kept (compressed or not), so that a capture of a large download does not
/// take the importer's memory.
pub(crate) const MAX_BODY_BYTES: usize = 64 << 20;

/// The bytes of one direction not yet read, with the time each of them arrived.
#[derive(Debug, Default)]
pub(crate) struct Buffer {
    pub(crate) bytes: Vec<u8>,
    /// The stream offset of `bytes[0]`.
    start: u64,
    /// (stream offset one past the chunk's end, the time it arrived), oldest first.
    chunks: VecDeque<(u64, f64)>,
}

impl Buffer {
    pub(crate) fn push(&mut self, bytes: &[u8], t_ms: f64) {
        self.bytes.extend_from_slice(bytes);
        self.chunks
            .push_back((self.start + self.bytes.len() as u64, t_ms));
    }

    /// When byte `index` of the buffer arrived.
    pub(crate) fn time_at(&self, index: usize) -> f64 {
        let offset = self.start + index as u64;
        self.chunks
            .iter()
            .find(|&&(end, _)| end > offset)
            .or(self.chunks.back())
            .map_or(0.0, |&(_, t)| t)
    }

    /// Drops the first `n` bytes, which were read.
    pub(crate) fn consume(&mut self, n: usize) {
        self.bytes.drain(..n);
        self.start += n as u64;
        while self
            .chunks
            .front()
            .is_some_and(|&(end, _)| end <= self.start)
        {
            self.chunks.pop_front();
        }
    }

    pub(crate) fn take_all(&mut self) -> Vec<u8> {
        let n = self.bytes.len();
        let bytes = self.bytes.clone();
        self.consume(n);
        bytes
    }
}

/// A parsed message head.
#[derive(Debug, Clone)]
pub(crate) struct Head {
    /// The method (requests) or empty.
    pub(crate) method: String,
    /// The request target (requests) or empty.
    pub(crate) target: String,
    /// The status (responses) or 0.
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    /// Raw header values, for the WebSocket observer's handshake.
    pub(crate) raw_headers: Vec<(String, Vec<u8>)>,
    /// The head's length in bytes.
    pub(crate) len: usize,
}

impl Head {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn has_token(&self, name: &str, token: &str) -> bool {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .flat_map(|(_, v)| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    }

    /// A request to switch to WebSocket (`Upgrade: websocket`).
    pub(crate) fn is_websocket_upgrade(&self) -> bool {
        self.has_token("upgrade", "websocket")
    }

    /// How the body after this head is delimited; `request_method` is the method of the
    /// request a response answers (`None` for a request).
    pub(crate) fn body_framing(&self, request_method: Option<&str>) -> Result<Framing, String> {
        if let Some(method) = request_method {
            if method.eq_ignore_ascii_case("HEAD")
                || (100..200).contains(&self.status)
                || self.status == 204
                || self.status == 304
            {
                return Ok(Framing::Length(0));
            }
        }
        if self.header("transfer-encoding").is_some_and(|te| {
            te.rsplit(',')
                .next()
                .is_some_and(|last| last.trim().eq_ignore_ascii_case("chunked"))
        }) {
            return Ok(Framing::Chunked);
        }
        match self.header("content-length") {
            Some(value) => value
                .trim()
                .parse::<u64>()
                .map(Framing::Length)
                .map_err(|_| format!("a Content-Length that is not a number: {value:?}")),
            None if request_method.is_some() => Ok(Framing::UntilClose),
            None => Ok(Framing::Length(0)),
        }
    }
}

/// How a body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    Length(u64),
    Chunked,
    /// A response without a length: the body is everything until the server closes.
    UntilClose,
}

/// `Ok(None)`: the head is not complete yet.
pub(crate) fn parse_request_head(bytes: &[u8]) -> Result<Option<Head>, String> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(bytes) {
        Ok(httparse::Status::Complete(len)) => Ok(Some(Head {
            method: request.method.unwrap_or_default().to_owned(),
            target: request.path.unwrap_or_default().to_owned(),
            status: 0,
            headers: owned_headers(request.headers),
            raw_headers: raw_headers(request.headers),
            len,
        })),
        Ok(httparse::Status::Partial) if bytes.len() > MAX_HEAD_BYTES => {
            Err(format!("a request head longer than {MAX_HEAD_BYTES} bytes"))
        }
        Ok(httparse::Status::Partial) => Ok(None),
        Err(e) => Err(format!("not an HTTP/1.x request ({e})")),
    }
}

/// `Ok(None)`: the head is not complete yet.
pub(crate) fn parse_response_head(bytes: &[u8]) -> Result<Option<Head>, String> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut headers);
    match response.parse(bytes) {
        Ok(httparse::Status::Complete(len)) => Ok(Some(Head {
            method: String::new(),
            target: String::new(),
            status: response.code.unwrap_or_default(),
            headers: owned_headers(response.headers),
            raw_headers: raw_headers(response.headers),
            len,
        })),
        Ok(httparse::Status::Partial) if bytes.len() > MAX_HEAD_BYTES => Err(format!(
            "a response head longer than {MAX_HEAD_BYTES} bytes"
        )),
        Ok(httparse::Status::Partial) => Ok(None),
        Err(e) => Err(format!("not an HTTP/1.x response ({e})")),
    }
}

fn owned_headers(headers: &[httparse::Header<'_>]) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|h| {
            (
                h.name.to_owned(),
                String::from_utf8_lossy(h.value).into_owned(),
            )
        })
        .collect()
}

fn raw_headers(headers: &[httparse::Header<'_>]) -> Vec<(String, Vec<u8>)> {
    headers
        .iter()
        .map(|h| (h.name.to_owned(), h.value.to_vec()))
        .collect()
}

/// The body at the start of `bytes`, when all of it is there: `Ok(Some((body, consumed)))`.
/// `at_end` says the stream ended, which completes an [`Framing::UntilClose`] body.
pub(crate) fn read_body(
    bytes: &[u8],
    framing: Framing,
    at_end: bool,
) -> Result<Option<(Vec<u8>, usize)>, String> {
    match framing {
        Framing::Length(len) => {
            if len > MAX_BODY_BYTES as u64 {
                return Err(format!(
                    "a body of {len} bytes, more than the {MAX_BODY_BYTES} the importer keeps"
                ));
            }
            let len = len as usize;
            Ok((bytes.len() >= len).then(|| (bytes[..len].to_vec(), len)))
        }
        Framing::UntilClose if at_end => Ok(Some((bytes.to_vec(), bytes.len()))),
        Framing::UntilClose if bytes.len() > MAX_BODY_BYTES => Err(format!(
            "a body longer than the {MAX_BODY_BYTES} bytes the importer keeps"
        )),
        Framing::UntilClose => Ok(None),
        Framing::Chunked => read_chunked(bytes),
    }
}

fn read_chunked(bytes: &[u8]) -> Result<Option<(Vec<u8>, usize)>, String> {
    let mut body = Vec::new();
    let mut at = 0;
    loop {
        let (size_len, size) = match httparse::parse_chunk_size(&bytes[at..]) {
            Ok(httparse::Status::Complete(parsed)) => parsed,
            Ok(httparse::Status::Partial) => return Ok(None),
            Err(_) => return Err(format!("a bad chunk size at byte {at} of a chunked body")),
        };
        at += size_len;
        if size == 0 {
            // Trailer fields, then an empty line.
            loop {
                let rest = &bytes[at..];
                let Some(line_end) = memchr::memmem::find(rest, b"\r\n") else {
                    return Ok(None);
                };
                at += line_end + 2;
                if line_end == 0 {
                    return Ok(Some((body, at)));
                }
            }
        }
        if size > (MAX_BODY_BYTES - body.len()) as u64 {
            return Err(format!(
                "a chunked body longer than the {MAX_BODY_BYTES} bytes the importer keeps"
            ));
        }
        let size = size as usize;
        if bytes.len() < at + size + 2 {
            return Ok(None);
        }
        body.extend_from_slice(&bytes[at..at + size]);
        at += size;
        if &bytes[at..at + 2] != b"\r\n" {
            return Err(format!(
                "a chunk not followed by CRLF at byte {at} of a chunked body"
            ));
        }
        at += 2;
    }
}

/// The body with its `Content-Encoding` (gzip, deflate) undone; `Err` says why it was kept as
/// it came.
pub(crate) fn decode_content(head: &Head, body: Vec<u8>) -> Result<Vec<u8>, (Vec<u8>, String)> {
    let Some(encoding) = head.header("content-encoding").map(str::trim) else {
        return Ok(body);
    };
    let mut out = Vec::new();
    let limit = MAX_BODY_BYTES as u64 + 1;
    let read = if encoding.eq_ignore_ascii_case("gzip") || encoding.eq_ignore_ascii_case("x-gzip") {
        flate2::read::GzDecoder::new(&body[..])
            .take(limit)
            .read_to_end(&mut out)
    } else if encoding.eq_ignore_ascii_case("deflate") {
        flate2::read::ZlibDecoder::new(&body[..])
            .take(limit)
            .read_to_end(&mut out)
    } else if encoding.eq_ignore_ascii_case("identity") {
        return Ok(body);
    } else {
        return Err((body, format!("Content-Encoding {encoding} is not decoded")));
    };
    match read {
        Ok(_) if out.len() > MAX_BODY_BYTES => Err((
            body,
            format!("it inflates past the {MAX_BODY_BYTES} bytes the importer keeps"),
        )),
        Ok(_) => Ok(out),
        Err(e) => Err((body, format!("{encoding} body does not inflate: {e}"))),
    }
}

/// Whether `bytes` could start an HTTP request: a method token and a space.
pub(crate) fn looks_like_request(bytes: &[u8]) -> bool {
    let token_len = bytes
        .iter()
        .take(16)
        .take_while(|b| b.is_ascii_uppercase())
        .count();
    token_len > 0 && bytes.get(token_len) == Some(&b' ')
        || (token_len == bytes.len() && token_len < 16)
}

/// Whether `bytes` could start an HTTP response.
pub(crate) fn looks_like_response(bytes: &[u8]) -> bool {
    let n = bytes.len().min(5);
    bytes[..n] == b"HTTP/"[..n]
}

/// Whether `bytes` start a TLS handshake record (a ClientHello or ServerHello).
pub(crate) fn looks_like_tls(bytes: &[u8]) -> bool {
    bytes.len() >= 3 && bytes[0] == 0x16 && bytes[1] == 0x03 && bytes[2] <= 0x04
}
