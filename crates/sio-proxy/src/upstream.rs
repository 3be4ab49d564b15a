//! Dialling the upstream: TCP, then TLS for `https://` verified against the system's trust
//! store (plus `--upstream-ca`), then an HTTP/1.1 client connection.

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use hyper::body::{Body, Incoming};
use hyper::client::conn::http1::{Builder, SendRequest};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::config::Upstream;
use crate::error::ProxyError;
use crate::tee::TeeBody;

/// A byte stream to the upstream, plain or TLS.
pub(crate) trait Stream: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Stream for T {}

/// The largest response head an `--upstream-proxy` may send to a `CONNECT`.
const MAX_PROXY_HEAD: usize = 16 * 1024;

/// At most this many upstream connections are kept for reuse by one dialer. A long-polling
/// client holds two at most (its pending `GET` and a `POST`); a page's other requests a few more.
const MAX_POOLED: usize = 8;

/// How to reach one upstream: its address, for `https://` the TLS client configuration, and
/// the HTTP proxy to go through, if any.
///
/// Plain requests (long-polling `GET`s and `POST`s, REST calls) reuse its upstream connections
/// as a browser reuses keep-alive connections: without that, every poll cycle through the proxy
/// cost a TCP connect (and a TLS handshake for `https://`) that the client never made.
#[derive(Clone)]
pub(crate) struct Dialer {
    upstream: Upstream,
    tls: Option<(TlsConnector, ServerName<'static>)>,
    via: Option<Upstream>,
    /// HTTP/1.1 connections that carried a plain request, busy or idle; a request takes one
    /// that is idle now (a held poll's connection is not), else dials.
    pool: Arc<Mutex<Vec<SendRequest<TeeBody>>>>,
}

impl std::fmt::Debug for Dialer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dialer")
            .field("upstream", &self.upstream)
            .field("tls", &self.tls.is_some())
            .finish()
    }
}

impl Dialer {
    /// A dialer for `upstream` with the TLS client configuration `client` (see
    /// [`client_config`]), through the HTTP proxy `via` if given.
    pub(crate) fn new(
        upstream: &Upstream,
        client: &Arc<rustls::ClientConfig>,
        via: Option<&Upstream>,
    ) -> Result<Self, ProxyError> {
        let tls = if upstream.tls {
            let name =
                ServerName::try_from(upstream.host.clone()).map_err(|_| ProxyError::Upstream {
                    url: upstream.origin(),
                    message: "the host is not a valid TLS server name".to_owned(),
                })?;
            Some((TlsConnector::from(Arc::clone(client)), name))
        } else {
            None
        };
        Ok(Dialer {
            upstream: upstream.clone(),
            tls,
            via: via.cloned(),
            pool: Arc::default(),
        })
    }

    /// The upstream this dialer reaches.
    pub(crate) fn upstream(&self) -> &Upstream {
        &self.upstream
    }

    /// Opens a connection to the upstream; the error is a sentence for a 502 and the capture.
    pub(crate) async fn connect(&self) -> Result<Box<dyn Stream>, String> {
        let origin = self.upstream.origin();
        let tcp = match &self.via {
            None => TcpStream::connect((self.upstream.host.as_str(), self.upstream.port))
                .await
                .map_err(|err| format!("cannot connect to upstream {origin}: {err}"))?,
            Some(via) => self.tunnel_through(via).await?,
        };
        // Socket.IO frames are small and latency matters more than segment count.
        let _ = tcp.set_nodelay(true);
        match &self.tls {
            None => Ok(Box::new(tcp)),
            Some((connector, name)) => {
                let tls = connector
                    .connect(name.clone(), tcp)
                    .await
                    .map_err(|err| format!("TLS with upstream {origin} failed: {err}"))?;
                Ok(Box::new(tls))
            }
        }
    }

    /// A connection to the upstream through the HTTP proxy `via`: `CONNECT host:port`, then
    /// the proxy's `200` head is read and the connection is the tunnel.
    async fn tunnel_through(&self, via: &Upstream) -> Result<TcpStream, String> {
        let target = format!("{}:{}", bracket(&self.upstream.host), self.upstream.port);
        let fail = |what: String| format!("upstream proxy {}: {what}", via.origin());
        let mut tcp = TcpStream::connect((via.host.as_str(), via.port))
            .await
            .map_err(|err| fail(format!("cannot connect: {err}")))?;
        tcp.write_all(format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n").as_bytes())
            .await
            .map_err(|err| fail(format!("writing CONNECT failed: {err}")))?;
        // Read byte by byte up to the end of the head: nothing of the tunnel may be consumed.
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            if head.len() >= MAX_PROXY_HEAD {
                return Err(fail("answered CONNECT with an oversized head".to_owned()));
            }
            let byte = tcp
                .read_u8()
                .await
                .map_err(|err| fail(format!("no answer to CONNECT {target}: {err}")))?;
            head.push(byte);
        }
        let status_line = String::from_utf8_lossy(&head);
        let status_line = status_line.lines().next().unwrap_or("").trim().to_owned();
        let status = status_line.split_whitespace().nth(1).unwrap_or("");
        if !status.starts_with('2') {
            return Err(fail(format!("refused CONNECT {target}: {status_line}")));
        }
        Ok(tcp)
    }

    /// Opens a connection and an HTTP/1.1 client on it, with upgrades enabled; the
    /// connection's driver runs on its own task.
    pub(crate) async fn http<B>(&self) -> Result<SendRequest<B>, String>
    where
        B: Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let stream = self.connect().await?;
        let (sender, connection) = Builder::new()
            .preserve_header_case(true)
            .title_case_headers(false)
            .handshake(TokioIo::new(stream))
            .await
            .map_err(|err| {
                format!(
                    "HTTP with upstream {} failed: {err}",
                    self.upstream.origin()
                )
            })?;
        tokio::spawn(async move {
            if let Err(err) = connection.with_upgrades().await {
                tracing::debug!("upstream connection ended: {err}");
            }
        });
        Ok(sender)
    }

    /// Sends a plain request on an idle pooled connection, or on a new one; the connection goes
    /// back to the pool once the response head is in (it is idle again when its response body
    /// has been read). A pooled connection the upstream closed in the meantime hands the request
    /// back unsent, and it goes on a new connection instead.
    pub(crate) async fn send_pooled(
        &self,
        mut request: Request<TeeBody>,
    ) -> Result<Response<Incoming>, String> {
        let fail = |err: hyper::Error| {
            format!(
                "upstream {} gave no response: {err}",
                self.upstream.origin()
            )
        };
        if let Some(mut sender) = self.take_idle() {
            match sender.try_send_request(request).await {
                Ok(response) => {
                    self.put_back(sender);
                    return Ok(response);
                }
                Err(mut err) => match err.take_message() {
                    Some(unsent) => {
                        tracing::debug!("a pooled upstream connection was gone: {}", err.error());
                        request = unsent;
                    }
                    None => return Err(fail(err.into_error())),
                },
            }
        }
        let mut sender = self.http::<TeeBody>().await?;
        let response = sender.send_request(request).await.map_err(fail)?;
        self.put_back(sender);
        Ok(response)
    }

    fn take_idle(&self) -> Option<SendRequest<TeeBody>> {
        let mut pool = self.pool.lock().unwrap_or_else(PoisonError::into_inner);
        pool.retain(|sender| !sender.is_closed());
        let idle = pool.iter().position(SendRequest::is_ready)?;
        Some(pool.swap_remove(idle))
    }

    fn put_back(&self, sender: SendRequest<TeeBody>) {
        let mut pool = self.pool.lock().unwrap_or_else(PoisonError::into_inner);
        pool.retain(|sender| !sender.is_closed());
        if pool.len() < MAX_POOLED && !sender.is_closed() {
            pool.push(sender);
        }
    }
}

/// `host` as it goes into `host:port` (IPv6 addresses in brackets).
fn bracket(host: &str) -> String {
    if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_owned()
    }
}

/// The TLS client configuration: the system's trust store plus `ca`'s certificates.
///
/// The system store (rustls-native-certs) rather than a compiled-in Mozilla list, because
/// the proxy stands in for a browser on the user's machine: a corporate or test CA the
/// machine trusts must be trusted here too.
pub(crate) fn client_config(ca: Option<&Path>) -> Result<Arc<rustls::ClientConfig>, ProxyError> {
    use rustls::pki_types::pem::PemObject;

    let mut roots = rustls::RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    for err in &native.errors {
        tracing::warn!("system trust store: {err}");
    }
    let (added, ignored) = roots.add_parsable_certificates(native.certs);
    tracing::debug!("system trust store: {added} roots ({ignored} unusable)");
    if let Some(path) = ca {
        let fail = |message: String| ProxyError::UpstreamCa {
            path: path.to_owned(),
            message,
        };
        let certs = CertificateDer::pem_file_iter(path)
            .map_err(|err| fail(err.to_string()))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|err| fail(err.to_string()))?;
        if certs.is_empty() {
            return Err(fail("no PEM certificate in the file".to_owned()));
        }
        for cert in certs {
            roots.add(cert).map_err(|err| fail(err.to_string()))?;
        }
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|err| ProxyError::UpstreamCa {
        path: ca.map(Path::to_owned).unwrap_or_default(),
        message: err.to_string(),
    })?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(Arc::new(config))
}
