//! Dialling the upstream: TCP, then TLS for `https://` verified against the system's trust
//! store (plus `--upstream-ca`), then an HTTP/1.1 client connection.

use std::path::Path;
use std::sync::Arc;

use hyper::body::Body;
use hyper::client::conn::http1::{Builder, SendRequest};
use hyper_util::rt::TokioIo;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::config::Upstream;
use crate::error::ProxyError;

/// A byte stream to the upstream, plain or TLS.
pub(crate) trait Stream: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Stream for T {}

/// How to reach the upstream: its address and, for `https://`, the TLS client configuration.
#[derive(Clone)]
pub(crate) struct Dialer {
    upstream: Upstream,
    tls: Option<(TlsConnector, ServerName<'static>)>,
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
    /// A dialer for `upstream`, trusting the system's roots and the certificates in `ca`.
    pub(crate) fn new(upstream: &Upstream, ca: Option<&Path>) -> Result<Self, ProxyError> {
        let tls = if upstream.tls {
            let name =
                ServerName::try_from(upstream.host.clone()).map_err(|_| ProxyError::Upstream {
                    url: upstream.origin(),
                    message: "the host is not a valid TLS server name".to_owned(),
                })?;
            Some((TlsConnector::from(client_config(ca)?), name))
        } else {
            None
        };
        Ok(Dialer {
            upstream: upstream.clone(),
            tls,
        })
    }

    /// Opens a connection to the upstream; the error is a sentence for a 502 and the capture.
    pub(crate) async fn connect(&self) -> Result<Box<dyn Stream>, String> {
        let origin = self.upstream.origin();
        let tcp = TcpStream::connect((self.upstream.host.as_str(), self.upstream.port))
            .await
            .map_err(|err| format!("cannot connect to upstream {origin}: {err}"))?;
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
}

/// The TLS client configuration: the system's trust store plus `ca`'s certificates.
///
/// The system store (rustls-native-certs) rather than a compiled-in Mozilla list, because
/// the proxy stands in for a browser on the user's machine: a corporate or test CA the
/// machine trusts must be trusted here too.
fn client_config(ca: Option<&Path>) -> Result<Arc<rustls::ClientConfig>, ProxyError> {
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
