//! Dialling a Socket.IO server: the Engine.IO WebSocket URL, TLS roots, and the handshake.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};

use crate::ClientError;

/// A WebSocket to a Socket.IO server, over TCP or TLS.
pub(crate) type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A bearer token that never shows up in logs or `Debug` output.
#[derive(Clone)]
pub struct Token(String);

impl Token {
    /// Wraps a token (usually read from an environment variable by the caller).
    pub fn new(token: impl Into<String>) -> Self {
        Token(token.into())
    }

    /// The token itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// Where and how a client connects: shared by the recorder and the load generator.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// `ws://`, `wss://`, `http://` or `https://`; a URL with no path gets `/socket.io/`.
    pub url: String,
    /// The tenant, sent as the `room` query parameter (rt-2 requires it).
    pub room: Option<String>,
    /// The Socket.IO namespace to connect to, e.g. `/chatomni`.
    pub namespace: String,
    /// Sent as `{"token": ...}` in the namespace CONNECT packet.
    pub token: Option<Token>,
    /// A PEM file of extra CA certificates to trust for `wss://` and `https://`.
    pub ca: Option<PathBuf>,
}

impl Endpoint {
    /// An endpoint for `url` and `/chatomni` with no room, token or extra CA.
    pub fn new(url: impl Into<String>) -> Self {
        Endpoint {
            url: url.into(),
            room: None,
            namespace: tpos_chat::NAMESPACE.to_owned(),
            token: None,
            ca: None,
        }
    }

    /// The Engine.IO v4 WebSocket URL: scheme mapped to `ws`/`wss`, `/socket.io/` added when the
    /// URL has no path, and `EIO=4&transport=websocket` plus `room` appended to the query.
    ///
    /// # Errors
    ///
    /// [`ClientError::Url`] when the URL does not parse or its scheme is not ws, wss, http or
    /// https.
    pub fn websocket_url(&self) -> Result<String, ClientError> {
        let bad = |reason| ClientError::Url {
            url: self.url.clone(),
            reason,
        };
        let uri: http::Uri = self.url.parse().map_err(|_| bad("not a URL"))?;
        let scheme = match uri.scheme_str() {
            Some("ws" | "http") => "ws",
            Some("wss" | "https") => "wss",
            Some(_) => return Err(bad("the scheme must be ws, wss, http or https")),
            None => return Err(bad("missing scheme (ws://, wss://, http:// or https://)")),
        };
        let authority = uri.authority().ok_or_else(|| bad("missing host"))?;
        let path = match uri.path() {
            "" | "/" => "/socket.io/",
            path => path,
        };
        let mut query = String::new();
        if let Some(existing) = uri.query() {
            query.push_str(existing);
        }
        let mut push = |key: &str, value: &str| {
            if !query.is_empty() {
                query.push('&');
            }
            query.push_str(key);
            query.push('=');
            percent_encode_into(value, &mut query);
        };
        let has = |key: &str| {
            uri.query()
                .is_some_and(|q| q.split('&').any(|pair| pair.split('=').next() == Some(key)))
        };
        if let Some(room) = &self.room {
            if !has("room") {
                push("room", room);
            }
        }
        if !has("EIO") {
            push("EIO", "4");
        }
        if !has("transport") {
            push("transport", "websocket");
        }
        Ok(format!("{scheme}://{authority}{path}?{query}"))
    }

    /// The TLS client configuration: the Mozilla roots plus the certificates in [`Self::ca`].
    ///
    /// # Errors
    ///
    /// [`ClientError::CaFile`] when the CA file cannot be read or holds no certificate.
    pub fn tls_config(&self) -> Result<Arc<rustls::ClientConfig>, ClientError> {
        tls_config(self.ca.as_deref())
    }
}

/// Percent-encodes a query value: everything but RFC 3986 unreserved characters.
fn percent_encode_into(value: &str, out: &mut String) {
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
}

/// Builds a rustls client configuration trusting the Mozilla roots and `ca`'s certificates.
pub(crate) fn tls_config(ca: Option<&Path>) -> Result<Arc<rustls::ClientConfig>, ClientError> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;

    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = ca {
        let ca_error = |reason: String| ClientError::CaFile {
            path: path.to_owned(),
            reason,
        };
        let mut added = 0;
        for cert in CertificateDer::pem_file_iter(path).map_err(|e| ca_error(e.to_string()))? {
            let cert = cert.map_err(|e| ca_error(e.to_string()))?;
            roots.add(cert).map_err(|e| ca_error(e.to_string()))?;
            added += 1;
        }
        if added == 0 {
            return Err(ca_error("no PEM certificate in the file".to_owned()));
        }
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| ClientError::Config {
        option: "tls",
        message: e.to_string(),
    })?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(Arc::new(config))
}

/// The size of each client's WebSocket read buffer. tungstenite allocates it up front
/// (128 KiB by default), which made a thousand load-test clients cost 128 MB before any frame
/// arrived; rt-2's frames are a few KiB, and a larger message still arrives whole, over
/// several reads.
pub(crate) const READ_BUFFER_BYTES: usize = 16 * 1024;

fn websocket_config() -> WebSocketConfig {
    WebSocketConfig::default().read_buffer_size(READ_BUFFER_BYTES)
}

/// Opens the WebSocket to `url` (already an Engine.IO URL), trusting `tls` for `wss://`.
pub(crate) async fn connect_websocket(
    url: &str,
    tls: &Arc<rustls::ClientConfig>,
) -> Result<Socket, ClientError> {
    let connector = Connector::Rustls(Arc::clone(tls));
    let (socket, _response) = tokio_tungstenite::connect_async_tls_with_config(
        url,
        Some(websocket_config()),
        true,
        Some(connector),
    )
    .await
    .map_err(|source| ClientError::Connect {
        url: url.to_owned(),
        reason: source.to_string(),
    })?;
    Ok(socket)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(base: &str, room: Option<&str>) -> String {
        let mut endpoint = Endpoint::new(base);
        endpoint.room = room.map(str::to_owned);
        endpoint.websocket_url().expect("valid test URL")
    }

    #[test]
    fn adds_socket_io_path_and_query() {
        assert_eq!(
            url("wss://rt-2.tpos.app", Some("tomato.tpos.vn")),
            "wss://rt-2.tpos.app/socket.io/?room=tomato.tpos.vn&EIO=4&transport=websocket"
        );
    }

    #[test]
    fn maps_http_schemes_and_keeps_paths_and_ports() {
        assert_eq!(
            url("http://127.0.0.1:3000/custom/", None),
            "ws://127.0.0.1:3000/custom/?EIO=4&transport=websocket"
        );
        assert_eq!(
            url("https://h:8443", None),
            "wss://h:8443/socket.io/?EIO=4&transport=websocket"
        );
    }

    #[test]
    fn keeps_query_parameters_already_given() {
        assert_eq!(
            url("ws://h/socket.io/?room=a&EIO=4", Some("b")),
            "ws://h/socket.io/?room=a&EIO=4&transport=websocket"
        );
    }

    #[test]
    fn encodes_room() {
        assert_eq!(
            url("ws://h", Some("a b&c")),
            "ws://h/socket.io/?room=a%20b%26c&EIO=4&transport=websocket"
        );
    }

    #[test]
    fn rejects_other_schemes() {
        let err = Endpoint::new("ftp://h").websocket_url().unwrap_err();
        assert!(err.to_string().contains("scheme"), "{err}");
        let err = Endpoint::new("h:3000").websocket_url().unwrap_err();
        assert!(
            err.to_string().contains("ftp")
                || err.to_string().contains("scheme")
                || err.to_string().contains("host"),
            "{err}"
        );
    }

    #[test]
    fn token_debug_is_redacted() {
        let token = Token::new("eyJhbGciOiJIUzI1NiJ9.e30.sig");
        assert_eq!(format!("{token:?}"), "Token(<redacted>)");
    }

    #[test]
    fn missing_ca_file_names_the_file() {
        let err = tls_config(Some(Path::new("/nonexistent/ca.pem"))).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/ca.pem"), "{err}");
    }
}
