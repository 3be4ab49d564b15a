//! [`ProxyConfig`] and [`Upstream`]: what the proxy relays to, and its limits.

use std::path::PathBuf;
use std::sync::Arc;

use crate::ca::LocalCa;
use crate::error::ProxyError;

/// The largest request or response body kept for the capture by default (4 MiB). The body is
/// always relayed whole; only the copy for the capture stops here.
pub const DEFAULT_MAX_BODY_COPY: usize = 4 << 20;

/// The server the proxy relays to: an `http://` or `https://` origin.
///
/// ```
/// let upstream = sio_proxy::Upstream::parse("https://rt-2.example.com")?;
/// assert!(upstream.tls);
/// assert_eq!(upstream.port, 443);
/// assert_eq!(upstream.authority, "rt-2.example.com");
/// assert_eq!(upstream.origin(), "https://rt-2.example.com");
/// assert!(sio_proxy::Upstream::parse("ws://127.0.0.1:3000").is_err());
/// # Ok::<(), sio_proxy::ProxyError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream {
    /// `true` for `https://`.
    pub tls: bool,
    /// The host name or address (without brackets), for dialling and TLS server names.
    pub host: String,
    /// The port, explicit or the scheme's default.
    pub port: u16,
    /// `host[:port]` as given: the `Host` header sent upstream.
    pub authority: String,
}

impl Upstream {
    /// Parses `http(s)://host[:port]` (a trailing `/` is allowed; a path, query, or user
    /// name is not).
    ///
    /// # Errors
    ///
    /// [`ProxyError::Upstream`] naming what is wrong.
    pub fn parse(url: &str) -> Result<Self, ProxyError> {
        let fail = |message: &str| ProxyError::Upstream {
            url: url.to_owned(),
            message: message.to_owned(),
        };
        let uri: http::Uri = url
            .parse()
            .map_err(|_| fail("not a URL; expected http://host[:port] or https://host[:port]"))?;
        let tls = match uri.scheme_str() {
            Some("http") => false,
            Some("https") => true,
            _ => return Err(fail("the scheme must be http:// or https://")),
        };
        let authority = uri.authority().ok_or_else(|| fail("no host"))?;
        if authority.as_str().contains('@') {
            return Err(fail("a user name or password is not allowed"));
        }
        if !matches!(uri.path(), "" | "/") || uri.query().is_some() {
            return Err(fail(
                "a path or query is not allowed: the proxy relays every path to the same origin",
            ));
        }
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']');
        if host.is_empty() {
            return Err(fail("no host"));
        }
        Ok(Upstream {
            tls,
            host: host.to_owned(),
            port: authority.port_u16().unwrap_or(if tls { 443 } else { 80 }),
            authority: authority.as_str().to_owned(),
        })
    }

    /// `http(s)://authority`, without a trailing slash.
    pub fn origin(&self) -> String {
        format!(
            "{}://{}",
            if self.tls { "https" } else { "http" },
            self.authority
        )
    }
}

/// Which kind of proxy to be.
#[derive(Debug, Clone)]
pub enum Mode {
    /// A reverse proxy: the client connects to the proxy instead of this server, and every
    /// request goes to it.
    Reverse(Upstream),
    /// An HTTP proxy with `CONNECT`, for browsers: see [`Forward`].
    Forward(Forward),
}

/// Forward mode: the client (a browser started with `--proxy-server`) sends absolute-form
/// requests (`GET http://host/...`), relayed and recorded, and `CONNECT host:port` for TLS.
/// A `CONNECT` to a host matching [`Forward::intercept`] is decrypted with a leaf signed by
/// [`Forward::ca`] and its requests relayed and recorded as in reverse mode, to
/// `https://host:port`; every other `CONNECT` is tunnelled blind (bytes copied, nothing
/// decrypted or recorded).
#[derive(Debug, Clone, Default)]
pub struct Forward {
    /// Host name globs to decrypt: `*` matches any run of characters (dots included), `?`
    /// one; case-insensitive; matched against the `CONNECT` host without its port.
    pub intercept: Vec<String>,
    /// The CA signing leaves for intercepted hosts (needed when `intercept` is not empty).
    pub ca: Option<Arc<LocalCa>>,
    /// Another HTTP proxy to reach every upstream through (with `CONNECT`), e.g. a corporate
    /// one: `http://host:port`.
    pub upstream_proxy: Option<Upstream>,
}

impl Forward {
    /// Whether `CONNECT` to `host` is decrypted.
    ///
    /// ```
    /// let forward = sio_proxy::Forward {
    ///     intercept: vec!["*.tpos.app".into(), "localhost".into()],
    ///     ..Default::default()
    /// };
    /// assert!(forward.intercepts("rt-2.tpos.app"));
    /// assert!(forward.intercepts("LOCALHOST"));
    /// assert!(!forward.intercepts("tpos.app"));
    /// assert!(!forward.intercepts("example.com"));
    /// ```
    pub fn intercepts(&self, host: &str) -> bool {
        self.intercept.iter().any(|glob| glob_matches(glob, host))
    }
}

/// `*` any run of characters, `?` one, anything else itself (ASCII case-insensitive).
fn glob_matches(glob: &str, text: &str) -> bool {
    let glob = glob.as_bytes();
    let text = text.as_bytes();
    let (mut g, mut t) = (0, 0);
    // The last `*` seen and the text position it was tried at: backtrack there on mismatch.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match glob.get(g) {
            Some(b'*') => {
                star = Some((g, t));
                g += 1;
            }
            Some(&c) if c == b'?' || c.eq_ignore_ascii_case(&text[t]) => {
                g += 1;
                t += 1;
            }
            _ => match star {
                Some((sg, st)) => {
                    star = Some((sg, st + 1));
                    g = sg + 1;
                    t = st + 1;
                }
                None => return false,
            },
        }
    }
    glob[g..].iter().all(|&c| c == b'*')
}

/// Everything the proxy needs to run.
#[derive(Debug, Clone)]
pub struct ProxyConfig {
    /// Reverse (one upstream) or forward (an HTTP proxy).
    pub mode: Mode,
    /// A PEM file of extra CA certificates trusted for the upstream's TLS, besides the
    /// system's trust store.
    pub upstream_ca: Option<PathBuf>,
    /// `Host` names accepted besides `localhost` and loopback addresses (the proxy runs next
    /// to a browser: a page that rebinds its own name to 127.0.0.1 is refused).
    pub allowed_hosts: Vec<String>,
    /// The capture to write, if any.
    pub output: Option<PathBuf>,
    /// Replace an existing capture file.
    pub overwrite: bool,
    /// Redact secrets in the capture and in what observers see (default `true`), exactly as
    /// `record` does.
    pub redact: bool,
    /// The most bytes of one HTTP body kept for the capture; see [`DEFAULT_MAX_BODY_COPY`].
    pub max_body_copy: usize,
    /// The largest WebSocket message decoded for the capture (after inflating); larger ones
    /// are relayed and recorded as a decode error.
    pub max_message_size: usize,
}

impl ProxyConfig {
    /// A configuration relaying to `upstream` with the defaults: no capture file, redaction
    /// on, the default limits.
    pub fn new(upstream: Upstream) -> Self {
        Self::with_mode(Mode::Reverse(upstream))
    }

    /// A forward-mode configuration with the same defaults.
    pub fn forward(forward: Forward) -> Self {
        Self::with_mode(Mode::Forward(forward))
    }

    fn with_mode(mode: Mode) -> Self {
        ProxyConfig {
            mode,
            upstream_ca: None,
            allowed_hosts: Vec::new(),
            output: None,
            overwrite: false,
            redact: true,
            max_body_copy: DEFAULT_MAX_BODY_COPY,
            max_message_size: ws_passive::DEFAULT_MAX_MESSAGE_SIZE,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::glob_matches;

    #[test]
    fn globs() {
        assert!(glob_matches("*.tpos.app", "a.b.tpos.app"));
        assert!(glob_matches("*", "anything"));
        assert!(glob_matches("127.0.0.?", "127.0.0.1"));
        assert!(glob_matches("rt-*.TPOS.app", "rt-2.tpos.app"));
        assert!(!glob_matches("*.tpos.app", "tpos.app.evil.com"));
        assert!(!glob_matches("localhost", "localhost.evil.com"));
        assert!(!glob_matches("", "x"));
    }
}
