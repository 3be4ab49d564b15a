//! `serve`'s access control, from outside: the real binary on 127.0.0.1, raw HTTP with the
//! `Host`, `Origin`, `Authorization` and `Content-Type` headers a browser page would send, and
//! the admin token read from the banner as a test or a script reads it.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use predicates::prelude::*;
use serde_json::Value;

use crate::session::{serve, serve_with_env};
use crate::sio_replay;

/// What a raw exchange returned: status, headers (names lowercased) and body.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn has_cors(&self) -> bool {
        self.headers
            .iter()
            .any(|(n, _)| n.starts_with("access-control-"))
    }
}

/// The `host:port` of the banner's URL.
fn authority(banner: &Value) -> String {
    banner["url"]
        .as_str()
        .and_then(|url| url.strip_prefix("http://"))
        .expect("an http:// URL in the banner")
        .to_owned()
}

/// Sends `method path` to the mock of `banner` with `Host: host` and `headers`, exactly as
/// written, and reads the answer until the server closes.
fn raw(
    banner: &Value,
    method: &str,
    path: &str,
    host: &str,
    headers: &[&str],
    body: &str,
) -> Answer {
    let mut tcp = TcpStream::connect(authority(banner)).expect("connect to the mock");
    tcp.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("a read timeout");
    let mut request = format!("{method} {path} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n");
    for header in headers {
        request.push_str(header);
        request.push_str("\r\n");
    }
    request.push_str(&format!("content-length: {}\r\n\r\n{body}", body.len()));
    tcp.write_all(request.as_bytes()).expect("send");
    let mut text = String::new();
    tcp.read_to_string(&mut text).expect("the whole answer");
    let (head, body) = text.split_once("\r\n\r\n").expect("a whole answer");
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("a status line: {head}"));
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Answer {
        status,
        headers,
        body: body.to_owned(),
    }
}

/// A request for the mock as a test names it (`Host: 127.0.0.1:<port>`).
fn local(banner: &Value, method: &str, path: &str, headers: &[&str], body: &str) -> Answer {
    raw(banner, method, path, &authority(banner), headers, body)
}

const POLLING_HANDSHAKE: &str = "/socket.io/?EIO=4&transport=polling&room=tomato.tpos.vn";

#[test]
fn the_admin_api_wants_the_token_the_banner_prints() {
    let (_server, banner) = serve(&[]);
    let token = banner["admin_token"].as_str().expect("an admin token");
    assert_eq!(token.len(), 32, "{banner}");
    assert_eq!(
        banner["admin_url"].as_str(),
        Some(format!("{}/__admin/", banner["url"].as_str().unwrap()).as_str())
    );
    let bearer = format!("authorization: Bearer {token}");

    let refused = local(&banner, "GET", "/__admin/sessions", &[], "");
    assert_eq!(refused.status, 401, "{}", refused.body);
    assert!(
        refused
            .header("www-authenticate")
            .is_some_and(|challenge| challenge.starts_with("Bearer")),
        "{:?}",
        refused.headers
    );
    let wrong = local(
        &banner,
        "GET",
        "/__admin/sessions",
        &["authorization: Bearer not-the-token"],
        "",
    );
    assert_eq!(wrong.status, 401, "{}", wrong.body);
    let answer = local(&banner, "GET", "/__admin/sessions", &[&bearer], "");
    assert_eq!(answer.status, 200, "{}", answer.body);

    // The request of the report: a page's Origin gets neither an answer nor CORS headers.
    for headers in [
        vec!["origin: https://evil.example"],
        vec!["origin: https://evil.example", bearer.as_str()],
    ] {
        let answer = local(&banner, "GET", "/__admin/sessions", &headers, "");
        assert_eq!(answer.status, 403, "{}", answer.body);
        assert!(!answer.has_cors(), "{:?}", answer.headers);
    }
    let preflight = local(
        &banner,
        "OPTIONS",
        "/__admin/faults",
        &[
            "origin: https://evil.example",
            "access-control-request-method: PUT",
            "access-control-request-headers: authorization, content-type",
        ],
        "",
    );
    assert!(!preflight.has_cors(), "{:?}", preflight.headers);

    // A change needs the JSON content type, with the token or not.
    let form = local(
        &banner,
        "PUT",
        "/__admin/faults",
        &[&bearer, "content-type: application/x-www-form-urlencoded"],
        r#"{"latency_ms":500}"#,
    );
    assert_eq!(form.status, 415, "{}", form.body);
    let faults = local(&banner, "GET", "/__admin/faults", &[&bearer], "");
    assert!(faults.body.contains(r#""latency_ms":0"#), "{}", faults.body);
}

#[test]
fn sio_admin_token_sets_the_token_for_scripts() {
    let (_server, banner) = serve_with_env(&[], &[("SIO_ADMIN_TOKEN", "ci-known-admin-token")]);
    assert_eq!(banner["admin_token"], "ci-known-admin-token");
    let answer = local(
        &banner,
        "GET",
        "/__admin/stats",
        &["authorization: Bearer ci-known-admin-token"],
        "",
    );
    assert_eq!(answer.status, 200, "{}", answer.body);

    sio_replay()
        .args(["serve", "--port", "0"])
        .env("SIO_ADMIN_TOKEN", "two words")
        .timeout(Duration::from_secs(30))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("SIO_ADMIN_TOKEN"));
}

#[test]
fn admin_open_waives_the_token_but_not_the_content_type() {
    let (_server, banner) = serve(&["--admin-open"]);
    assert_eq!(banner["admin_token"], Value::Null, "{banner}");
    let answer = local(&banner, "GET", "/__admin/stats", &[], "");
    assert_eq!(answer.status, 200, "{}", answer.body);
    let plain = local(
        &banner,
        "PUT",
        "/__admin/faults",
        &["content-type: text/plain"],
        r#"{"latency_ms":500}"#,
    );
    assert_eq!(plain.status, 415, "{}", plain.body);
    let json = local(
        &banner,
        "PUT",
        "/__admin/faults",
        &["content-type: application/json"],
        r#"{"latency_ms":500}"#,
    );
    assert_eq!(json.status, 200, "{}", json.body);
    // Still no page of another origin.
    let page = local(
        &banner,
        "GET",
        "/__admin/stats",
        &["origin: https://evil.example"],
        "",
    );
    assert_eq!(page.status, 403, "{}", page.body);
    assert!(!page.has_cors(), "{:?}", page.headers);
}

#[test]
fn admin_off_says_so_in_the_banner_and_answers_404() {
    let (_server, banner) = serve(&["--admin", "off"]);
    assert_eq!(banner["admin_url"], Value::Null, "{banner}");
    assert_eq!(banner["admin_token"], Value::Null, "{banner}");
    let answer = local(&banner, "GET", "/__admin/stats", &[], "");
    assert_eq!(answer.status, 404, "{}", answer.body);
}

#[test]
fn only_local_host_names_are_answered_unless_allow_host_names_more() {
    let (_server, banner) = serve(&["--allow-host", "mock.test"]);
    let port = authority(&banner).rsplit_once(':').unwrap().1.to_owned();
    for host in [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        format!("[::1]:{port}"),
        format!("mock.test:{port}"),
        format!("MOCK.test:{port}"),
    ] {
        let answer = raw(&banner, "GET", POLLING_HANDSHAKE, &host, &[], "");
        assert_eq!(answer.status, 200, "{host}: {}", answer.body);
    }
    // A DNS-rebound page sends its own name, on every route.
    for path in [
        POLLING_HANDSHAKE,
        "/api/facebook-graph/livevideo",
        "/__admin/stats",
    ] {
        let answer = raw(
            &banner,
            "GET",
            path,
            &format!("rebound.evil.example:{port}"),
            &[&format!(
                "authorization: Bearer {}",
                banner["admin_token"].as_str().unwrap()
            )],
            "",
        );
        assert_eq!(answer.status, 403, "{path}: {}", answer.body);
        assert!(
            answer.body.contains("--allow-host rebound.evil.example"),
            "says how to allow it: {}",
            answer.body
        );
    }
}

#[test]
fn engine_io_answers_pages_of_any_origin_unless_allow_origin_limits_them() {
    let origin = "origin: http://localhost:5173";
    let (_server, banner) = serve(&[]);
    let answer = local(&banner, "GET", POLLING_HANDSHAKE, &[origin], "");
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        answer.header("access-control-allow-origin"),
        Some("http://localhost:5173")
    );

    let (_server, banner) = serve(&["--allow-origin", "http://localhost:5173"]);
    let answer = local(&banner, "GET", POLLING_HANDSHAKE, &[origin], "");
    assert_eq!(
        answer.header("access-control-allow-origin"),
        Some("http://localhost:5173")
    );
    let other = local(
        &banner,
        "GET",
        POLLING_HANDSHAKE,
        &["origin: http://localhost:5174"],
        "",
    );
    assert!(!other.has_cors(), "{:?}", other.headers);
}

#[test]
fn admin_allow_origin_lets_a_named_page_call_the_admin_api_with_the_token() {
    let (_server, banner) = serve(&["--admin-allow-origin", "http://localhost:5173"]);
    let token = banner["admin_token"].as_str().expect("a token").to_owned();
    let preflight = local(
        &banner,
        "OPTIONS",
        "/__admin/stats",
        &[
            "origin: http://localhost:5173",
            "access-control-request-method: GET",
            "access-control-request-headers: authorization",
        ],
        "",
    );
    assert_eq!(preflight.status, 204, "{}", preflight.body);
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some("http://localhost:5173")
    );
    let answer = local(
        &banner,
        "GET",
        "/__admin/stats",
        &[
            "origin: http://localhost:5173",
            &format!("authorization: Bearer {token}"),
        ],
        "",
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    let other = local(
        &banner,
        "GET",
        "/__admin/stats",
        &[
            "origin: http://localhost:5174",
            &format!("authorization: Bearer {token}"),
        ],
        "",
    );
    assert_eq!(other.status, 403, "{}", other.body);

    sio_replay()
        .args([
            "serve",
            "--port",
            "0",
            "--admin-allow-origin",
            "localhost:5173",
        ])
        .timeout(Duration::from_secs(30))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "\"localhost:5173\" is not an origin",
        ));
}
