//! The web view's HTTP side: [`UiServer`] answers every request under [`UI_PREFIX`], so any
//! hyper service (the mock, the proxy) can mount it beside its own routes; [`serve`] runs it
//! alone on a listener (`sio-replay ui CAPTURE…`).
//!
//! Routes, every one `GET` and guarded the same way:
//!
//! | path | answer |
//! | --- | --- |
//! | `/__ui/` | the page (HTML with its CSS and JavaScript inlined) |
//! | `/__ui/api/info` | `{"title","live","admin","published"}` |
//! | `/__ui/api/records?after=N` | JSON Lines: `{"skipped":k,"last":L}`, then `[seq, record]` per kept record after `N` |
//! | `/__ui/api/stream?after=N` | server-sent events: `id: seq` / `data: [seq, record]`, and `event: skipped` / `data: n` when this view fell behind |
//!
//! The guards, in order: the `Host` allow-list ([`crate::access`]); no request a browser marks
//! as coming from another site (`Sec-Fetch-Site`) or another origin (`Origin`), and no CORS
//! headers ever, so a page of another origin can neither send nor read; the run's token, as
//! `?token=` (how the page and `EventSource` carry it) or `Authorization: Bearer`. A missing
//! token is `401`, a wrong one `403`.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Frame;
use tokio::net::TcpListener;

use crate::access::{LocalAddresses, constant_time_eq, host_allowed, host_part};
use crate::observer::{Numbered, NumberedObserved, Observer, Subscription};
use crate::page;

/// The path every route of the web view starts with.
pub const UI_PREFIX: &str = "/__ui";

/// The body of every response of the web view: a whole body, or the event stream.
pub type UiBody = UnsyncBoxBody<Bytes, Infallible>;

/// How long an idle event stream waits before it sends a comment, so that proxies and the
/// browser keep it open and a closed tab is noticed.
const KEEPALIVE: Duration = Duration::from_secs(15);

/// Records written into one chunk of the event stream at most, when many are waiting.
const BATCH: usize = 256;

/// Records one event stream sends per second at most; past it, the rest of the second's
/// records are counted as skipped instead of serialised. A person cannot read more, a tab
/// cannot render more, and serialising every frame of a mock at full speed for each tab
/// would take the mock's CPU.
pub const MAX_STREAM_RECORDS_PER_SECOND: u64 = 2_000;

/// Random bytes in a generated token: 24 bytes are 32 base64url characters (192 bits).
const TOKEN_BYTES: usize = 24;

/// The secret the page's URL carries (`?token=`); random for each run unless given.
///
/// Its `Debug` form hides the value, so logging a config does not leak it.
///
/// ```
/// let token = sio_ui::UiToken::random();
/// assert_eq!(token.as_str().len(), 32);
/// assert!(sio_ui::UiToken::new("with space").is_none());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct UiToken(String);

impl UiToken {
    /// A new token of 32 base64url characters from the thread's cryptographic generator.
    pub fn random() -> Self {
        let bytes: [u8; TOKEN_BYTES] = rand::random();
        UiToken(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
    }

    /// A token chosen by the caller (the mock's admin token, so that the page can call the
    /// admin API with it). `None` unless it is non-empty and made of characters a URL query
    /// and an `Authorization` header carry unchanged (letters, digits, `-`, `_`, `.`, `~`).
    pub fn new(token: impl Into<String>) -> Option<Self> {
        let token = token.into();
        let url_safe = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~');
        (!token.is_empty() && token.bytes().all(url_safe)).then_some(UiToken(token))
    }

    /// The token's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn matches(&self, presented: &str) -> bool {
        constant_time_eq(presented.as_bytes(), self.0.as_bytes())
    }
}

impl fmt::Debug for UiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UiToken(<redacted>)")
    }
}

/// What the web view shows and who may see it.
#[derive(Debug, Clone)]
pub struct UiConfig {
    /// The stream of records the page shows; make it with [`Observer::with_history`] so that
    /// a tab opened later sees recent records.
    pub observer: Observer,
    /// The secret the page's URL must carry.
    pub token: UiToken,
    /// Host names answered besides `localhost`, loopback addresses and the local address.
    pub allowed_hosts: Vec<String>,
    /// The path of an admin API on the same origin that accepts `Authorization: Bearer
    /// <token>` with this view's token (the mock's `/__admin`): the page's act panel uses it.
    /// `None` hides the panel.
    pub admin: Option<String>,
    /// Whether records keep arriving (a live source) or the stream is complete (files).
    pub live: bool,
    /// Shown in the page's title bar.
    pub title: String,
}

/// The web view, ready to answer requests; cheap to clone.
#[derive(Debug, Clone)]
pub struct UiServer {
    config: Arc<UiConfig>,
    page: Bytes,
}

impl UiServer {
    /// A server for `config`.
    pub fn new(config: UiConfig) -> Self {
        UiServer {
            config: Arc::new(config),
            page: Bytes::from(page::render()),
        }
    }

    /// The observer the page reads.
    pub fn observer(&self) -> &Observer {
        &self.config.observer
    }

    /// The URL a person opens, for a server listening on `addr`: `http://ADDR/__ui/?token=…`.
    pub fn url(&self, addr: SocketAddr) -> String {
        format!(
            "http://{addr}{UI_PREFIX}/?token={}",
            self.config.token.as_str()
        )
    }

    /// True when `path` belongs to the web view (a host service hands such requests to
    /// [`handle`](Self::handle)).
    pub fn is_ui_path(path: &str) -> bool {
        path == UI_PREFIX
            || path
                .strip_prefix(UI_PREFIX)
                .is_some_and(|p| p.starts_with('/'))
    }

    /// Answers one request under [`UI_PREFIX`] that reached the server at `local`. The body of
    /// the request is never read.
    pub fn handle<B>(&self, request: &Request<B>, local: LocalAddresses) -> Response<UiBody> {
        if let Err((status, message)) = self.check(request, local) {
            return error(status, &message);
        }
        let path = request.uri().path();
        let query = request.uri().query().unwrap_or("");
        match path {
            UI_PREFIX => {
                // The page's relative URLs need the trailing slash.
                let location = format!("{UI_PREFIX}/?{query}");
                let mut response = empty(StatusCode::PERMANENT_REDIRECT);
                if let Ok(value) = HeaderValue::from_str(&location) {
                    response.headers_mut().insert(header::LOCATION, value);
                }
                response
            }
            "/__ui/" => {
                let mut response = full(
                    StatusCode::OK,
                    "text/html; charset=utf-8",
                    self.page.clone(),
                );
                // The page's buttons change the mock: no other site may frame it.
                response.headers_mut().insert(
                    header::CONTENT_SECURITY_POLICY,
                    HeaderValue::from_static("frame-ancestors 'none'"),
                );
                response
            }
            "/__ui/api/info" => {
                let info = serde_json::json!({
                    "title": self.config.title,
                    "live": self.config.live,
                    "admin": self.config.admin,
                    "published": self.config.observer.published(),
                });
                full(StatusCode::OK, "application/json", info.to_string())
            }
            "/__ui/api/records" => match after(query) {
                Ok(after) => self.records(after),
                Err(message) => error(StatusCode::BAD_REQUEST, &message),
            },
            "/__ui/api/stream" => {
                let last_event = request
                    .headers()
                    .get("last-event-id")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<u64>().ok());
                match after(query) {
                    Ok(after) => self.stream(last_event.unwrap_or(after)),
                    Err(message) => error(StatusCode::BAD_REQUEST, &message),
                }
            }
            _ => error(
                StatusCode::NOT_FOUND,
                "not found: the web view serves /__ui/, /__ui/api/info, /__ui/api/records and /__ui/api/stream",
            ),
        }
    }

    /// The guards every route shares; the refusal's status and message when one fails.
    fn check<B>(
        &self,
        request: &Request<B>,
        local: LocalAddresses,
    ) -> Result<(), (StatusCode, String)> {
        let headers = request.headers();
        let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
            return Err((
                StatusCode::BAD_REQUEST,
                "a Host header is required".to_owned(),
            ));
        };
        if !host_allowed(host, local, &self.config.allowed_hosts) {
            let name = host_part(host).unwrap_or(host);
            return Err((
                StatusCode::FORBIDDEN,
                format!(
                    "Host {host:?} is not allowed: the web view answers localhost, loopback \
                     addresses and the address it listens on, so that other sites cannot reach \
                     it by DNS rebinding; allow {name:?} with `--allow-host {name}`"
                ),
            ));
        }
        if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
            if site.eq_ignore_ascii_case("cross-site") || site.eq_ignore_ascii_case("same-site") {
                return Err((
                    StatusCode::FORBIDDEN,
                    format!(
                        "the web view does not answer requests from other sites (Sec-Fetch-Site: {site})"
                    ),
                ));
            }
        }
        if let Some(origin) = headers.get(header::ORIGIN) {
            if !same_origin(origin, host) {
                return Err((
                    StatusCode::FORBIDDEN,
                    format!(
                        "the web view does not answer pages of other origins (Origin {:?})",
                        String::from_utf8_lossy(origin.as_bytes())
                    ),
                ));
            }
        }
        if request.method() != Method::GET && request.method() != Method::HEAD {
            return Err((
                StatusCode::METHOD_NOT_ALLOWED,
                format!("the web view answers GET only, not {}", request.method()),
            ));
        }
        match presented_token(request.uri().query(), headers) {
            None => Err((
                StatusCode::UNAUTHORIZED,
                "the web view needs this run's token: open the URL the banner printed \
                 (…/__ui/?token=…), or send `Authorization: Bearer <token>`"
                    .to_owned(),
            )),
            Some(presented) if self.config.token.matches(&presented) => Ok(()),
            Some(_) => Err((
                StatusCode::FORBIDDEN,
                "the token is not this run's (a new one is made at every start; open the URL \
                 the banner printed)"
                    .to_owned(),
            )),
        }
    }

    /// The kept records after `after`, written in chunks as the connection takes them, so
    /// that a view of a large capture starts rendering before the last record is written
    /// and the server never holds the whole answer.
    fn records(&self, after: u64) -> Response<UiBody> {
        let catchup = self.config.observer.subscribe_after(after);
        drop(catchup.subscription);
        let last = catchup.records.last().map_or(after, |n| n.seq);
        let mut head = serde_json::json!({ "skipped": catchup.skipped, "last": last })
            .to_string()
            .into_bytes();
        head.push(b'\n');
        let mut records = catchup.records.into_iter();
        let mut head = Some(head);
        let chunks = futures_util::stream::iter(std::iter::from_fn(move || {
            let mut chunk = head.take().unwrap_or_default();
            for numbered in records.by_ref().take(BATCH) {
                write_numbered(&mut chunk, &numbered);
                chunk.push(b'\n');
            }
            (!chunk.is_empty()).then(|| Ok::<_, Infallible>(Frame::data(Bytes::from(chunk))))
        }));
        let mut response = Response::new(StreamBody::new(chunks).boxed_unsync());
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-ndjson"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        response
    }

    fn stream(&self, after: u64) -> Response<UiBody> {
        let catchup = self.config.observer.subscribe_after(after);
        let state = EventStream {
            backlog: catchup.records.into_iter(),
            skipped: catchup.skipped,
            subscription: catchup.subscription,
            ended: false,
            window: tokio::time::Instant::now(),
            sent_in_window: 0,
        };
        let chunks = futures_util::stream::unfold(state, |mut state| async move {
            let chunk = state.next_chunk().await?;
            Some((Ok::<_, Infallible>(Frame::data(chunk)), state))
        });
        let mut response = Response::new(StreamBody::new(chunks).boxed_unsync());
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/event-stream"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        response
    }
}

/// One view's event stream: the kept records it asked for, then the live ones.
struct EventStream {
    backlog: std::vec::IntoIter<Numbered>,
    /// Records to announce as skipped before anything else.
    skipped: u64,
    subscription: Subscription,
    ended: bool,
    /// When the current second of [`MAX_STREAM_RECORDS_PER_SECOND`] began.
    window: tokio::time::Instant,
    /// Live records sent in it.
    sent_in_window: u64,
}

impl EventStream {
    async fn next_chunk(&mut self) -> Option<Bytes> {
        if self.ended {
            return None;
        }
        let mut out = Vec::new();
        if self.skipped > 0 {
            write_skipped(&mut out, self.skipped);
            self.skipped = 0;
        }
        for numbered in self.backlog.by_ref().take(BATCH) {
            write_event(&mut out, &numbered);
        }
        if !out.is_empty() {
            return Some(Bytes::from(out));
        }
        if self.sent_in_window >= MAX_STREAM_RECORDS_PER_SECOND {
            // Over budget: wait out the second, then count what piled up as skipped.
            tokio::time::sleep_until(self.window + Duration::from_secs(1)).await;
            self.window = tokio::time::Instant::now();
            self.sent_in_window = 0;
            let mut skipped = 0;
            while let Some(observed) = self.subscription.try_next_numbered() {
                match observed {
                    NumberedObserved::Record(_) => skipped += 1,
                    NumberedObserved::Skipped(n) => skipped += n,
                    NumberedObserved::Closed => break,
                }
            }
            if skipped > 0 {
                write_skipped(&mut out, skipped);
                return Some(Bytes::from(out));
            }
        }
        let first = tokio::select! {
            observed = self.subscription.next_numbered() => observed,
            () = tokio::time::sleep(KEEPALIVE) => return Some(Bytes::from_static(b": keepalive\n\n")),
        };
        if self.window.elapsed() >= Duration::from_secs(1) {
            self.window = tokio::time::Instant::now();
            self.sent_in_window = 0;
        }
        let mut next = Some(first);
        let mut written = 0;
        while let Some(observed) = next.take() {
            match observed {
                NumberedObserved::Record(numbered) => write_event(&mut out, &numbered),
                NumberedObserved::Skipped(n) => write_skipped(&mut out, n),
                NumberedObserved::Closed => {
                    out.extend_from_slice(b"event: end\ndata: {}\n\n");
                    self.ended = true;
                    break;
                }
            }
            written += 1;
            self.sent_in_window += 1;
            if written < BATCH && self.sent_in_window < MAX_STREAM_RECORDS_PER_SECOND {
                next = self.subscription.try_next_numbered();
            }
        }
        Some(Bytes::from(out))
    }
}

fn write_numbered(out: &mut Vec<u8>, numbered: &Numbered) {
    out.push(b'[');
    out.extend_from_slice(numbered.seq.to_string().as_bytes());
    out.push(b',');
    // Serialising a record cannot fail: it holds strings, numbers and plain enums only.
    let _ = serde_json::to_writer(&mut *out, &*numbered.record);
    out.push(b']');
}

fn write_event(out: &mut Vec<u8>, numbered: &Numbered) {
    out.extend_from_slice(b"id: ");
    out.extend_from_slice(numbered.seq.to_string().as_bytes());
    out.extend_from_slice(b"\ndata: ");
    write_numbered(out, numbered);
    out.extend_from_slice(b"\n\n");
}

fn write_skipped(out: &mut Vec<u8>, n: u64) {
    out.extend_from_slice(format!("event: skipped\ndata: {n}\n\n").as_bytes());
}

/// The `after` query parameter (default 0).
fn after(query: &str) -> Result<u64, String> {
    match query_param(query, "after") {
        None => Ok(0),
        Some(value) => value.parse().map_err(|_| {
            format!("query parameter after={value:?}: expected a record number (0 or more)")
        }),
    }
}

fn query_param<'q>(query: &'q str, name: &str) -> Option<&'q str> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// The token a request carries: `?token=`, else `Authorization: Bearer`.
fn presented_token(query: Option<&str>, headers: &HeaderMap) -> Option<String> {
    if let Some(token) = query.and_then(|q| query_param(q, "token")) {
        return Some(token.to_owned());
    }
    let authorization = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = authorization.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.to_owned())
}

/// True when `origin` (an `Origin` header) is `http://` or `https://` followed by `host`
/// (the `Host` header): a page of this server.
fn same_origin(origin: &HeaderValue, host: &str) -> bool {
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .is_some_and(|authority| authority.eq_ignore_ascii_case(host))
}

fn full(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Bytes>,
) -> Response<UiBody> {
    let mut response = Response::new(Full::new(body.into()).boxed_unsync());
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // The token is in the page's URL: keep it out of the Referer of anything the page loads.
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

fn empty(status: StatusCode) -> Response<UiBody> {
    full(status, "text/plain", Bytes::new())
}

fn error(status: StatusCode, message: &str) -> Response<UiBody> {
    full(
        status,
        "application/json",
        serde_json::json!({ "error": message }).to_string(),
    )
}

/// Runs the web view alone on `listener` until `shutdown` completes (`sio-replay ui`).
///
/// # Errors
/// Reading the listener's own address failed.
pub async fn serve(
    listener: TcpListener,
    config: UiConfig,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let server = UiServer::new(config);
    let listener_ip = listener.local_addr()?.ip();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => return Ok(()),
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors and the like: wait a little rather than spin.
                    tracing::warn!("accept failed: {err}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let local = LocalAddresses {
            connection: stream.local_addr().map_or(listener_ip, |a| a.ip()),
            listener: listener_ip,
        };
        let server = server.clone();
        tokio::spawn(async move {
            let service =
                hyper::service::service_fn(move |request: Request<hyper::body::Incoming>| {
                    let response = if UiServer::is_ui_path(request.uri().path()) {
                        server.handle(&request, local)
                    } else if request.uri().path() == "/" {
                        let mut response = empty(StatusCode::FOUND);
                        response
                            .headers_mut()
                            .insert(header::LOCATION, HeaderValue::from_static("/__ui/"));
                        response
                    } else {
                        error(
                            StatusCode::NOT_FOUND,
                            "not found: the web view is at /__ui/",
                        )
                    };
                    async move { Ok::<_, Infallible>(response) }
                });
            let io = hyper_util::rt::TokioIo::new(stream);
            if let Err(err) = hyper::server::conn::http1::Builder::new()
                .serve_connection(io, service)
                .await
            {
                tracing::debug!(%peer, "web view connection ended: {err}");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sio_capture::{Direction, FrameRecord, Record};

    const TOKEN: &str = "test-token-123";

    fn server() -> UiServer {
        UiServer::new(UiConfig {
            observer: Observer::with_history(64, 1 << 20),
            token: UiToken::new(TOKEN).unwrap(),
            allowed_hosts: Vec::new(),
            admin: None,
            live: true,
            title: "test".to_owned(),
        })
    }

    fn local() -> LocalAddresses {
        LocalAddresses {
            connection: "127.0.0.1".parse().unwrap(),
            listener: "127.0.0.1".parse().unwrap(),
        }
    }

    fn get(uri: &str, headers: &[(&str, &str)]) -> Request<()> {
        let mut builder = Request::get(uri).header("host", "127.0.0.1:3000");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(()).unwrap()
    }

    async fn body_text(response: Response<UiBody>) -> String {
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    fn publish_frames(server: &UiServer, n: u32) {
        for i in 0..n {
            server.observer().publish(Record::Frame(FrameRecord::text(
                f64::from(i),
                1,
                Direction::Server,
                format!("42/chatomni,[\"e{i}\"]"),
            )));
        }
    }

    #[tokio::test]
    async fn every_route_refuses_a_missing_token_with_401_and_a_wrong_one_with_403() {
        let server = server();
        for path in [
            "/__ui/",
            "/__ui/api/info",
            "/__ui/api/records",
            "/__ui/api/stream",
        ] {
            let missing = server.handle(&get(path, &[]), local());
            assert_eq!(missing.status(), StatusCode::UNAUTHORIZED, "{path}");
            let wrong = server.handle(&get(&format!("{path}?token=test-token-124"), &[]), local());
            assert_eq!(wrong.status(), StatusCode::FORBIDDEN, "{path}");
            let bearer = server.handle(&get(path, &[("authorization", "Bearer nope")]), local());
            assert_eq!(bearer.status(), StatusCode::FORBIDDEN, "{path}");
            assert!(body_text(bearer).await.contains("not this run's"));
        }
        let page = server.handle(&get(&format!("/__ui/?token={TOKEN}"), &[]), local());
        assert_eq!(page.status(), StatusCode::OK);
        assert!(
            page.headers()
                .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
                .is_none()
        );
        assert!(body_text(page).await.contains("<html"));
        let bearer = server.handle(
            &get(
                "/__ui/api/info",
                &[("authorization", &format!("Bearer {TOKEN}"))],
            ),
            local(),
        );
        assert_eq!(bearer.status(), StatusCode::OK);
    }

    #[tokio::test]
    async fn other_origins_and_other_hosts_are_refused_even_with_the_token() {
        let server = server();
        let uri = format!("/__ui/api/records?token={TOKEN}");
        for headers in [
            &[("origin", "http://evil.example")][..],
            &[("origin", "http://127.0.0.1:3001")][..],
            &[("origin", "null")][..],
            &[("sec-fetch-site", "cross-site")][..],
            &[("sec-fetch-site", "same-site")][..],
        ] {
            let response = server.handle(&get(&uri, headers), local());
            assert_eq!(response.status(), StatusCode::FORBIDDEN, "{headers:?}");
            assert!(
                response
                    .headers()
                    .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
                    .is_none()
            );
        }
        let same = server.handle(
            &get(
                &uri,
                &[
                    ("origin", "http://127.0.0.1:3000"),
                    ("sec-fetch-site", "same-origin"),
                ],
            ),
            local(),
        );
        assert_eq!(same.status(), StatusCode::OK);
        let rebinding = Request::get(&uri)
            .header("host", "evil.example:3000")
            .body(())
            .unwrap();
        assert_eq!(
            server.handle(&rebinding, local()).status(),
            StatusCode::FORBIDDEN
        );
        let post = Request::post(&uri)
            .header("host", "127.0.0.1:3000")
            .body(())
            .unwrap();
        assert_eq!(
            server.handle(&post, local()).status(),
            StatusCode::METHOD_NOT_ALLOWED
        );
    }

    #[tokio::test]
    async fn records_lists_the_kept_records_after_a_number_as_json_lines() {
        let server = server();
        publish_frames(&server, 3);
        let all = body_text(server.handle(
            &get(&format!("/__ui/api/records?token={TOKEN}"), &[]),
            local(),
        ))
        .await;
        let lines: Vec<serde_json::Value> = all
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines[0], serde_json::json!({"skipped": 0, "last": 3}));
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[1][0], 1);
        assert_eq!(lines[1][1]["type"], "frame");
        assert_eq!(lines[3][1]["data"], "42/chatomni,[\"e2\"]");
        let later = body_text(server.handle(
            &get(&format!("/__ui/api/records?after=2&token={TOKEN}"), &[]),
            local(),
        ))
        .await;
        assert_eq!(later.lines().count(), 2);
        let bad = server.handle(
            &get(&format!("/__ui/api/records?after=x&token={TOKEN}"), &[]),
            local(),
        );
        assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
        assert!(body_text(bad).await.contains("query parameter after="));
    }

    #[tokio::test]
    async fn the_stream_sends_kept_records_then_live_ones_then_a_skipped_marker_when_behind() {
        let observer = Observer::with_history(4, 1 << 20);
        let server = UiServer::new(UiConfig {
            observer: observer.clone(),
            token: UiToken::new(TOKEN).unwrap(),
            allowed_hosts: Vec::new(),
            admin: Some("/__admin".to_owned()),
            live: true,
            title: "t".to_owned(),
        });
        publish_frames(&server, 2);
        let response = server.handle(
            &get(&format!("/__ui/api/stream?after=1&token={TOKEN}"), &[]),
            local(),
        );
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "text/event-stream"
        );
        let mut body = response.into_body();
        let first = body.frame().await.unwrap().unwrap().into_data().unwrap();
        assert_eq!(
            std::str::from_utf8(&first).unwrap(),
            "id: 2\ndata: [2,{\"type\":\"frame\",\"t_ms\":1.0,\"conn\":1,\"from\":\"server\",\"kind\":\"text\",\"data\":\"42/chatomni,[\\\"e1\\\"]\"}]\n\n"
        );
        // Ten records into a stream that holds four for a view: the view skips six.
        publish_frames(&server, 10);
        let next = body.frame().await.unwrap().unwrap().into_data().unwrap();
        let text = std::str::from_utf8(&next).unwrap();
        assert!(text.starts_with("event: skipped\ndata: 6\n\n"), "{text}");
        assert_eq!(text.matches("id: ").count(), 4, "{text}");
        drop(server);
        drop(observer);
        let end = body.frame().await.unwrap().unwrap().into_data().unwrap();
        assert_eq!(&end[..], b"event: end\ndata: {}\n\n");
        assert!(body.frame().await.is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn a_stream_sends_at_most_its_budget_per_second_and_counts_the_rest_as_skipped() {
        let observer = Observer::with_history(1 << 16, 0);
        let server = UiServer::new(UiConfig {
            observer: observer.clone(),
            token: UiToken::new(TOKEN).unwrap(),
            allowed_hosts: Vec::new(),
            admin: None,
            live: true,
            title: "t".to_owned(),
        });
        let response = server.handle(
            &get(&format!("/__ui/api/stream?token={TOKEN}"), &[]),
            local(),
        );
        let mut body = response.into_body();
        let total = MAX_STREAM_RECORDS_PER_SECOND + 500;
        publish_frames(&server, u32::try_from(total).unwrap());
        let (mut sent, mut skipped) = (0u64, 0u64);
        while sent + skipped < total {
            let chunk = body.frame().await.unwrap().unwrap().into_data().unwrap();
            let text = std::str::from_utf8(&chunk).unwrap();
            sent += text.matches("id: ").count() as u64;
            if let Some(rest) = text.strip_prefix("event: skipped\ndata: ") {
                skipped += rest.trim().parse::<u64>().unwrap();
            }
        }
        assert_eq!((sent, skipped), (MAX_STREAM_RECORDS_PER_SECOND, 500));
    }

    #[tokio::test]
    async fn a_tab_that_never_reads_does_not_hold_back_publishing() {
        let server = server();
        let _stalled = server.handle(
            &get(&format!("/__ui/api/stream?token={TOKEN}"), &[]),
            local(),
        );
        // The stalled stream's subscription is one cursor in a bounded ring: publishing far
        // more than its capacity neither waits nor grows anything but the bounded history.
        publish_frames(&server, 10_000);
        assert_eq!(server.observer().published(), 10_000);
        let (_, bytes) = server.observer().history_len();
        assert!(bytes <= 1 << 20);
    }

    #[test]
    fn ui_paths_are_the_prefix_and_below_it() {
        assert!(UiServer::is_ui_path("/__ui"));
        assert!(UiServer::is_ui_path("/__ui/api/info"));
        assert!(!UiServer::is_ui_path("/__uix"));
        assert!(!UiServer::is_ui_path("/socket.io/"));
    }
}
