//! Forward mode: `CONNECT` to an intercepted host is decrypted with the local CA's leaf and
//! recorded like reverse mode; any other `CONNECT` is tunnelled blind; absolute-form plain
//! HTTP is relayed and recorded; `--upstream-proxy` chains through another proxy.

use std::net::SocketAddr;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use sha2::Digest as _;
use sio_capture::{Direction, Record};
use sio_proxy::{Forward, LocalCa, ProxyConfig, Upstream};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::client::TlsStream;
use tokio_tungstenite::tungstenite::Message;

use futures_util::{SinkExt as _, StreamExt as _};

use crate::support::{NodeServer, Proxy, SIGNATURE, WAIT, frames, token};

/// A TLS server in front of `target` (a plain TCP server): a CA of its own signs a leaf for
/// `localhost` and 127.0.0.1. Returns its address and the CA certificate (PEM).
async fn tls_front(target: SocketAddr) -> (SocketAddr, String) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, SanType};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::default();
    ca.distinguished_name
        .push(DnType::CommonName, "forward test upstream CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let mut leaf = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    leaf.subject_alt_names
        .push(SanType::IpAddress("127.0.0.1".parse().unwrap()));
    let key = KeyPair::generate().unwrap();
    let cert = leaf.signed_by(&key, &ca_cert, &ca_key).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![CertificateDer::from(cert.der().to_vec())],
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    )
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let Ok(mut plain) = TcpStream::connect(target).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    (addr, ca_cert.pem())
}

/// `NodeServer`'s address.
fn node_addr(server: &NodeServer) -> SocketAddr {
    server.url.trim_start_matches("http://").parse().unwrap()
}

/// Sends `head` to the proxy and reads its response head; the stream is left right after it.
async fn proxy_request(proxy: SocketAddr, head: &str) -> (TcpStream, String) {
    let mut tcp = TcpStream::connect(proxy).await.unwrap();
    tcp.write_all(head.as_bytes()).await.unwrap();
    let mut got = Vec::new();
    while !got.ends_with(b"\r\n\r\n") {
        let byte = tokio::time::timeout(WAIT, tcp.read_u8())
            .await
            .expect("the proxy answered in time")
            .expect("a response head");
        got.push(byte);
    }
    (tcp, String::from_utf8(got).unwrap())
}

/// `CONNECT authority` through the proxy, then TLS trusting only `root_pem`.
async fn connect_tls(proxy: SocketAddr, authority: &str, root_pem: &str) -> TlsStream<TcpStream> {
    let (tcp, head) = proxy_request(
        proxy,
        &format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n\r\n"),
    )
    .await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(root_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let host = authority.rsplit_once(':').unwrap().0.to_owned();
    tokio::time::timeout(
        WAIT,
        tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(ServerName::try_from(host).unwrap(), tcp),
    )
    .await
    .expect("TLS in time")
    .expect("the TLS handshake succeeds with the expected root")
}

/// An Engine.IO v4 WebSocket session on `tls` to `authority`: open, connect to `/chatomni`
/// with a token, three events, close. Returns the events' text.
async fn chat_session(tls: TlsStream<TcpStream>, authority: &str) -> Vec<String> {
    let url = format!("wss://{authority}/socket.io/?EIO=4&transport=websocket&room=tomato.tpos.vn");
    let (mut ws, _) = tokio::time::timeout(WAIT, tokio_tungstenite::client_async(url, tls))
        .await
        .unwrap()
        .expect("the WebSocket handshake through the proxy");
    assert!(
        next_text(&mut ws).await.starts_with("0{"),
        "the Engine.IO open"
    );
    ws.send(Message::text(format!(
        "40/chatomni,{{\"token\":\"{}\"}}",
        token()
    )))
    .await
    .unwrap();
    let mut events = Vec::new();
    while events.len() < 3 {
        let text = next_text(&mut ws).await;
        if text.starts_with("42/chatomni,") {
            events.push(text);
        }
    }
    let _ = ws.close(None).await;
    events
}

/// The next text message of `ws`.
async fn next_text<S>(ws: &mut tokio_tungstenite::WebSocketStream<S>) -> String
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    loop {
        let message = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("a message in time")
            .expect("the socket is open")
            .unwrap();
        if let Message::Text(text) = message {
            return text.to_string();
        }
    }
}

/// A fresh local CA in a temporary directory.
fn local_ca() -> (tempfile::TempDir, Arc<LocalCa>) {
    let dir = tempfile::tempdir().unwrap();
    let ca = LocalCa::init(&dir.path().join("ca"), false).unwrap();
    (dir, Arc::new(ca))
}

/// A forward proxy intercepting `intercept`, trusting `upstream_ca` upstream.
async fn forward_proxy(
    intercept: &[&str],
    ca: Option<Arc<LocalCa>>,
    upstream_ca: Option<&str>,
    upstream_proxy: Option<SocketAddr>,
) -> (Proxy, Option<tempfile::TempDir>) {
    let mut config = ProxyConfig::forward(Forward {
        intercept: intercept.iter().map(|s| (*s).to_owned()).collect(),
        ca,
        upstream_proxy: upstream_proxy.map(|a| Upstream::parse(&format!("http://{a}")).unwrap()),
    });
    let mut keep = None;
    if let Some(pem) = upstream_ca {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("upstream-ca.pem");
        std::fs::write(&path, pem).unwrap();
        config.upstream_ca = Some(path);
        keep = Some(dir);
    }
    (Proxy::start_config(config).await, keep)
}

/// The capture of an intercepted session: both directions, the events, no token signature,
/// and the upstream named by its https:// URL.
fn check_intercepted(records: &[Record], text: &str, events: &[String], front: SocketAddr) {
    assert!(
        !text.contains(SIGNATURE),
        "a token signature reached the capture"
    );
    let frames = frames(records);
    assert!(
        frames
            .iter()
            .any(|f| f.from == Direction::Client && f.data.starts_with("40/chatomni,")),
        "{text}"
    );
    for event in events {
        assert!(
            frames
                .iter()
                .any(|f| f.from == Direction::Server && &f.data == event),
            "{event} not in the capture"
        );
    }
    let url = format!("wss://localhost:{}/socket.io/", front.port());
    let https = format!("https://localhost:{}/socket.io/", front.port());
    assert!(
        text.contains(&url) || text.contains(&https),
        "the upstream URL {url} is not in the capture: {text}"
    );
}

#[tokio::test]
async fn an_intercepted_connect_is_decrypted_with_the_ca_leaf_and_recorded() {
    let server = NodeServer::start(false).await;
    let (front, front_ca) = tls_front(node_addr(&server)).await;
    let (_ca_dir, ca) = local_ca();
    let (proxy, _keep) = forward_proxy(
        &["*.tpos.app", "localhost"],
        Some(Arc::clone(&ca)),
        Some(&front_ca),
        None,
    )
    .await;
    let authority = format!("localhost:{}", front.port());
    // The client trusts only the local CA: the handshake succeeds only with its leaf.
    let tls = connect_tls(proxy.running.local_addr(), &authority, ca.cert_pem()).await;
    // The leaf carries the CA's own key, so the SPKI pin matches the leaf.
    let leaf = tls.get_ref().1.peer_certificates().unwrap()[0].to_vec();
    let spki = ca.spki_der();
    assert!(
        leaf.windows(spki.len()).any(|w| w == spki.as_slice()),
        "the leaf does not carry the CA's public key"
    );
    use base64::Engine as _;
    assert_eq!(
        ca.spki_sha256_base64(),
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(&spki))
    );
    let events = chat_session(tls, &authority).await;
    let (summary, records, text) = proxy.stop().await;
    assert!(summary.frames >= 5, "{text}");
    assert_eq!(summary.decode_errors, 0, "{text}");
    check_intercepted(&records, &text, &events, front);
    assert!(
        !text.contains("PRIVATE KEY"),
        "the CA key reached the capture"
    );
}

#[tokio::test]
async fn a_connect_to_another_host_is_tunnelled_blind() {
    let server = NodeServer::start(false).await;
    let (front, front_ca) = tls_front(node_addr(&server)).await;
    let (_ca_dir, ca) = local_ca();
    let (proxy, _keep) = forward_proxy(&["*.tpos.app"], Some(ca), None, None).await;
    let authority = format!("localhost:{}", front.port());
    // Trusting only the upstream's own CA: had the proxy decrypted, this would fail.
    let tls = connect_tls(proxy.running.local_addr(), &authority, &front_ca).await;
    let events = chat_session(tls, &authority).await;
    assert_eq!(events.len(), 3);
    let (summary, records, text) = proxy.stop().await;
    assert_eq!(summary.frames, 0, "{text}");
    assert_eq!(summary.http_exchanges, 0, "{text}");
    assert_eq!(records.len(), 1, "only the header: {text}");
}

#[tokio::test]
async fn upstream_proxy_chains_the_intercepted_upstream_through_another_proxy() {
    let server = NodeServer::start(false).await;
    let (front, front_ca) = tls_front(node_addr(&server)).await;
    // The "corporate" proxy: a forward proxy that intercepts nothing.
    let (corporate, _) = forward_proxy(&[], None, None, None).await;
    let (_ca_dir, ca) = local_ca();
    let (proxy, _keep) = forward_proxy(
        &["localhost"],
        Some(Arc::clone(&ca)),
        Some(&front_ca),
        Some(corporate.running.local_addr()),
    )
    .await;
    let authority = format!("localhost:{}", front.port());
    let tls = connect_tls(proxy.running.local_addr(), &authority, ca.cert_pem()).await;
    let events = chat_session(tls, &authority).await;
    let (_, records, text) = proxy.stop().await;
    check_intercepted(&records, &text, &events, front);
    // The corporate proxy saw only a blind tunnel.
    let (corporate_summary, corporate_records, corporate_text) = corporate.stop().await;
    assert_eq!(corporate_summary.frames, 0, "{corporate_text}");
    assert_eq!(corporate_records.len(), 1, "{corporate_text}");
}

#[tokio::test]
async fn an_unreachable_upstream_proxy_gets_a_502_naming_it() {
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let closed_addr = closed.local_addr().unwrap();
    drop(closed);
    let (proxy, _) = forward_proxy(&[], None, None, Some(closed_addr)).await;
    let (mut tcp, head) = proxy_request(
        proxy.running.local_addr(),
        "CONNECT localhost:9 HTTP/1.1\r\nHost: localhost:9\r\n\r\n",
    )
    .await;
    assert!(head.starts_with("HTTP/1.1 502"), "{head}");
    let mut body = vec![0u8; 512];
    let n = tokio::time::timeout(WAIT, tcp.read(&mut body))
        .await
        .unwrap()
        .unwrap();
    let body = String::from_utf8_lossy(&body[..n]);
    assert!(
        body.contains(&format!("upstream proxy http://{closed_addr}")),
        "{body}"
    );
    proxy.stop().await;
}

#[tokio::test]
async fn an_absolute_form_http_request_is_relayed_and_recorded() {
    let server = NodeServer::start(false).await;
    let node = node_addr(&server);
    let (proxy, _) = forward_proxy(&[], None, None, None).await;
    let (mut tcp, head) = proxy_request(
        proxy.running.local_addr(),
        &format!(
            "GET http://{node}/socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: {node}\r\n\
             Proxy-Connection: keep-alive\r\n\r\n"
        ),
    )
    .await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let mut body = vec![0u8; 1024];
    let n = tokio::time::timeout(WAIT, tcp.read(&mut body))
        .await
        .unwrap()
        .unwrap();
    let body = String::from_utf8_lossy(&body[..n]).into_owned();
    assert!(body.starts_with("0{\"sid\":"), "{body}");
    drop(tcp);
    let (_, records, text) = proxy.stop().await;
    let frames = frames(&records);
    assert!(
        frames
            .iter()
            .any(|f| f.from == Direction::Server && body.starts_with(&f.data)),
        "the open packet is not in the capture: {text}"
    );
}

#[tokio::test]
async fn an_origin_form_request_is_not_relayed() {
    let (proxy, _) = forward_proxy(&[], None, None, None).await;
    let addr = proxy.running.local_addr();
    let (_, head) = proxy_request(
        addr,
        &format!("GET /socket.io/ HTTP/1.1\r\nHost: {addr}\r\n\r\n"),
    )
    .await;
    assert!(head.starts_with("HTTP/1.1 400"), "{head}");
    // A page whose own name was rebound to 127.0.0.1 is refused outright.
    let (_, head) = proxy_request(
        addr,
        "GET /socket.io/ HTTP/1.1\r\nHost: rebind.example.com\r\n\r\n",
    )
    .await;
    assert!(head.starts_with("HTTP/1.1 403"), "{head}");
    proxy.stop().await;
}

#[tokio::test]
async fn intercept_without_a_ca_is_refused_at_start() {
    let config = ProxyConfig::forward(Forward {
        intercept: vec!["localhost".to_owned()],
        ..Forward::default()
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let err = sio_proxy::start(listener, config, sio_ui::Observer::default())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("--intercept"), "{err}");
}

#[test]
fn the_ca_is_kept_with_a_private_key_and_not_replaced_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let ca_dir = dir.path().join("nested/ca");
    let ca = LocalCa::init(&ca_dir, false).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(ca_dir.join(sio_proxy::ca::KEY_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let mode = std::fs::metadata(&ca_dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "the CA directory is private");
    }
    let err = LocalCa::init(&ca_dir, false).unwrap_err().to_string();
    assert!(
        err.contains("already exists") && err.contains("--force"),
        "{err}"
    );
    let loaded = LocalCa::load(&ca_dir).unwrap();
    assert_eq!(loaded.spki_sha256_base64(), ca.spki_sha256_base64());
    assert_eq!(loaded.cert_pem(), ca.cert_pem());
    let replaced = LocalCa::init(&ca_dir, true).unwrap();
    assert_ne!(replaced.spki_sha256_base64(), ca.spki_sha256_base64());
    let missing = LocalCa::load(&dir.path().join("none"))
        .unwrap_err()
        .to_string();
    assert!(missing.contains("sio-replay ca init"), "{missing}");
}
