//! `serve --tls`: a throwaway certificate authority, a server certificate it signs for
//! `localhost` and the bind address, and an [`rt2_mock::Acceptor`] that runs the TLS handshake
//! before the mock sees the connection.
//!
//! A CA plus a leaf (rather than one self-signed leaf) is what clients expect: rustls and
//! browsers refuse a CA certificate presented as the server's own, and trusting a CA file is
//! the one step every client supports (`record --ca`, Node's `NODE_EXTRA_CA_CERTS`).

use std::io::Write as _;
use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose, SanType};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::TcpStream;

/// Runs the TLS handshake on each accepted connection.
#[derive(Clone)]
pub(crate) struct TlsAcceptor(tokio_rustls::TlsAcceptor);

impl std::fmt::Debug for TlsAcceptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TlsAcceptor")
    }
}

impl rt2_mock::Acceptor for TlsAcceptor {
    type Stream = tokio_rustls::server::TlsStream<TcpStream>;

    async fn accept(&self, stream: TcpStream) -> std::io::Result<Self::Stream> {
        self.0.accept(stream).await
    }

    fn scheme(&self) -> &'static str {
        "https"
    }
}

/// Makes a CA and a server certificate for `localhost`, `127.0.0.1`, `::1` and `bind`, writes
/// the CA certificate (PEM) to `ca_out`, and returns the acceptor.
pub(crate) fn self_signed(bind: IpAddr, ca_out: &Path) -> anyhow::Result<TlsAcceptor> {
    let ca_key = KeyPair::generate().context("generating the CA key")?;
    let mut ca_params = CertificateParams::default();
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "sio-replay serve --tls test CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca_params
        .self_signed(&ca_key)
        .context("signing the CA certificate")?;

    let mut names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    if !bind.is_unspecified() && !names.contains(&bind.to_string()) {
        names.push(bind.to_string());
    }
    let mut params = CertificateParams::new(Vec::<String>::new()).context("certificate names")?;
    for name in &names {
        params.subject_alt_names.push(match name.parse::<IpAddr>() {
            Ok(ip) => SanType::IpAddress(ip),
            Err(_) => SanType::DnsName(name.clone().try_into().context("certificate DNS name")?),
        });
    }
    params
        .distinguished_name
        .push(DnType::CommonName, "sio-replay mock rt-2");
    let key = KeyPair::generate().context("generating the server key")?;
    let cert = params
        .signed_by(&key, &ca_cert, &ca_key)
        .context("signing the server certificate")?;

    // The CA is public and rewritten by every run, but never through a symbolic link.
    let options = sio_capture::writer::OutputOptions::default().overwrite(true);
    sio_capture::writer::create_output(ca_out, options)
        .map_err(|err| crate::cmd::output_error("--ca-out", ca_out, err))?
        .write_all(ca_cert.pem().as_bytes())
        .with_context(|| format!("--ca-out {}", ca_out.display()))?;

    let chain = vec![CertificateDer::from(cert.der().to_vec())];
    let private = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .context("TLS protocol versions")?
    .with_no_client_auth()
    .with_single_cert(chain, private)
    .context("TLS server configuration")?;
    Ok(TlsAcceptor(tokio_rustls::TlsAcceptor::from(Arc::new(
        config,
    ))))
}
