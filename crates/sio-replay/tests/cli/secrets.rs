//! Secrets stay secret: logs at any verbosity never show a client's token, and `serve` never
//! prints a long-lived token signed with a real secret.

use std::time::Duration;

use base64::Engine as _;

use crate::raw_ws::{LoggedServer, RawWebSocket};
use crate::sio_replay;

/// The signature of the JWT the client sends: what must never be logged.
const SIGNATURE: &str = "c2lnbmF0dXJlLXRoYXQtbXVzdC1uZXZlci1iZS1sb2dnZWQ";

/// Opaque secrets the client sends in other places.
const OPAQUE: [&str; 3] = [
    "opaque-event-secret",
    "opaque-malformed-secret",
    "opaque-auth-secret",
];

fn client_jwt() -> String {
    let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(r#"{"TenantId":"tomato.tpos.vn","UserId":"u-1","exp":4102444800}"#);
    format!("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.{claims}.{SIGNATURE}")
}

/// Drives a raw WebSocket client carrying tokens in every place a frame can hold one: the
/// CONNECT auth, an event argument, and a malformed packet (which becomes a protocol
/// violation, whose detail quotes the packet).
fn send_tokens(banner: &serde_json::Value) {
    let addr = LoggedServer::addr(banner);
    let auth = format!(
        r#"{{"token":"{}","password":"{}"}}"#,
        client_jwt(),
        OPAQUE[2]
    );
    let (mut socket, answer) =
        RawWebSocket::join_chatomni(&addr, "tomato.tpos.vn", &auth).expect("join");
    assert!(answer.starts_with("40/chatomni,"), "{answer}");
    socket
        .send_text(&format!(
            r#"42/chatomni,["hello",{{"access_token":"{}"}}]"#,
            OPAQUE[0]
        ))
        .expect("send");
    socket
        .send_text(&format!(r#"4?{{"token":"{}"}}"#, OPAQUE[1]))
        .expect("send");
    // The malformed packet closes the session; read until it does.
    while let Ok(Some(_)) = socket.recv_text() {}
}

fn assert_no_secret(stderr: &str) {
    assert!(
        !stderr.contains(SIGNATURE),
        "the JWT's signature was logged"
    );
    for secret in OPAQUE {
        assert!(!stderr.contains(secret), "{secret} was logged");
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn serve_at_trace_level_never_logs_a_clients_token() {
    for (args, env) in [
        (&["--auth", "any", "-vvv"][..], &[][..]),
        (&["--auth", "any"], &[("RUST_LOG", "trace")]),
    ] {
        let (mut server, banner) = LoggedServer::start(args, env);
        send_tokens(&banner);
        std::thread::sleep(Duration::from_millis(200));
        let stderr = server.stop();
        assert!(
            stderr.contains("TRACE") || stderr.contains("DEBUG"),
            "logging is on: {stderr}"
        );
        assert_no_secret(&stderr);
    }
}

/// The caps on the wire crates are caps, not a ban: naming one in `RUST_LOG` shows its
/// output, and the redactor still takes the tokens out of what it prints as text.
#[test]
fn naming_a_wire_crate_in_rust_log_shows_its_trace_output_redacted() {
    let (mut server, banner) =
        LoggedServer::start(&["--auth", "any"], &[("RUST_LOG", "tungstenite=trace")]);
    send_tokens(&banner);
    std::thread::sleep(Duration::from_millis(200));
    let stderr = server.stop();
    assert!(stderr.contains("Received message"), "{stderr}");
    assert!(stderr.contains("[redacted]"), "{stderr}");
    assert_no_secret(&stderr);
}

#[test]
fn a_token_signed_with_a_real_secret_is_printed_only_when_asked_for_and_lives_an_hour() {
    let secret = "a-real-secret-from-the-environment";
    let env = [("MOCK_SECRET", secret)];
    let (mut server, banner) =
        LoggedServer::start(&["--auth", "hs256", "--secret-env", "MOCK_SECRET"], &env);
    assert!(banner["token"].is_null(), "{banner}");
    assert!(!banner.to_string().contains("eyJ"), "{banner}");
    server.stop();

    let output = sio_replay()
        .args(["serve", "--port", "0", "--format", "human"])
        .args(["--auth", "hs256", "--secret-env", "MOCK_SECRET"])
        .env("MOCK_SECRET", secret)
        .timeout(Duration::from_secs(2))
        .output()
        .expect("serve ran");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout
            .contains("token:     not printed: it would be signed with the secret in MOCK_SECRET"),
        "{stdout}"
    );
    assert!(!stdout.contains("eyJ"), "{stdout}");

    let (mut server, banner) = LoggedServer::start(
        &[
            "--auth",
            "hs256",
            "--secret-env",
            "MOCK_SECRET",
            "--print-token",
        ],
        &env,
    );
    let token = banner["token"].as_str().expect("a token when asked for");
    let claims = tpos_chat_claims(token);
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        3600
    );
    // It is signed with the secret: the mock's HS256 check accepts it.
    let addr = LoggedServer::addr(&banner);
    let (_socket, answer) = RawWebSocket::join_chatomni(
        &addr,
        "tomato.tpos.vn",
        &format!(r#"{{"token":"{token}"}}"#),
    )
    .expect("join");
    assert!(answer.starts_with("40/chatomni,{\"sid\""), "{answer}");
    server.stop();
}

#[test]
fn print_token_needs_secret_env() {
    sio_replay()
        .args(["serve", "--port", "0", "--print-token"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--secret-env"));
}

/// The claims of a JWT, decoded without checking anything.
fn tpos_chat_claims(token: &str) -> serde_json::Value {
    let claims = token.split('.').nth(1).expect("claims segment");
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(claims)
        .expect("base64url");
    serde_json::from_slice(&json).expect("JSON claims")
}
