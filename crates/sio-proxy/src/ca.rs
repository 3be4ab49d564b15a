//! [`LocalCa`]: the local certificate authority of forward mode. `sio-replay ca init` makes
//! it once (a key, mode 0600, and a self-signed CA certificate, in the user's configuration
//! directory); the proxy then signs a leaf certificate per intercepted host with it.
//!
//! Every leaf carries the CA's own public key. That is what makes Chromium's
//! `--ignore-certificate-errors-spki-list=<pin>` work without installing the CA: the pin
//! ([`LocalCa::spki_sha256_base64`]) matches every leaf the proxy serves.
//!
//! Nothing of the CA ever reaches a capture: the recorder sees only relayed traffic.

use std::collections::HashMap;
use std::fs::{self, OpenOptions};
use std::io::Write as _;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use base64::Engine as _;
use rcgen::{
    BasicConstraints, Certificate, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose,
    SanType,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use sha2::Digest as _;

use crate::error::ProxyError;

/// The file holding the CA's private key (PKCS#8 PEM, mode 0600).
pub const KEY_FILE: &str = "ca-key.pem";
/// The file holding the CA certificate (PEM): what clients trust.
pub const CERT_FILE: &str = "ca.pem";

/// The CA certificate's common name; leaves name it as their issuer.
const CA_NAME: &str = "sio-replay local proxy CA";

/// A local CA: its key, its certificate, and the leaves it signed so far.
pub struct LocalCa {
    key: KeyPair,
    /// The certificate leaves are signed with: same name and key as the one on disk.
    issuer: Certificate,
    cert_pem: String,
    leaves: Mutex<HashMap<String, Arc<rustls::ServerConfig>>>,
}

impl std::fmt::Debug for LocalCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalCa")
            .field("spki_sha256", &self.spki_sha256_base64())
            .finish_non_exhaustive()
    }
}

fn ca_params() -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name.push(DnType::CommonName, CA_NAME);
    params
        .distinguished_name
        .push(DnType::OrganizationName, "sio-replay");
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.not_before = rcgen::date_time_ymd(2024, 1, 1);
    params.not_after = rcgen::date_time_ymd(2034, 1, 1);
    params
}

impl LocalCa {
    /// Creates a CA in `dir` (made, mode 0700, if missing): [`KEY_FILE`] (mode 0600) and
    /// [`CERT_FILE`]. An existing CA is kept unless `force`.
    ///
    /// # Errors
    ///
    /// [`ProxyError::Ca`] naming the file: it exists (without `force`), or cannot be written.
    pub fn init(dir: &Path, force: bool) -> Result<Self, ProxyError> {
        let key_path = dir.join(KEY_FILE);
        let cert_path = dir.join(CERT_FILE);
        if !force {
            for path in [&key_path, &cert_path] {
                if path.exists() {
                    return Err(ca_error(
                        path,
                        "already exists; add --force to replace the CA (clients trusting the \
                         old one must then trust the new one)",
                    ));
                }
            }
        }
        create_dir(dir)?;
        let key = KeyPair::generate().map_err(|err| ca_error(&key_path, err))?;
        let issuer = ca_params()
            .self_signed(&key)
            .map_err(|err| ca_error(&cert_path, err))?;
        write_file(&key_path, key.serialize_pem().as_bytes(), 0o600)?;
        let cert_pem = issuer.pem();
        write_file(&cert_path, cert_pem.as_bytes(), 0o644)?;
        Ok(Self::new(key, issuer, cert_pem))
    }

    /// Loads the CA that [`LocalCa::init`] made in `dir`.
    ///
    /// # Errors
    ///
    /// [`ProxyError::Ca`] naming the file missing or unreadable (with a hint to run
    /// `sio-replay ca init`).
    pub fn load(dir: &Path) -> Result<Self, ProxyError> {
        let key_path = dir.join(KEY_FILE);
        let cert_path = dir.join(CERT_FILE);
        let read = |path: &Path| {
            fs::read_to_string(path).map_err(|err| {
                ca_error(
                    path,
                    format!("{err} (create the CA with `sio-replay ca init`)"),
                )
            })
        };
        let key_pem = read(&key_path)?;
        let cert_pem = read(&cert_path)?;
        let key = KeyPair::from_pem(&key_pem).map_err(|err| ca_error(&key_path, err))?;
        if !cert_pem.contains("-----BEGIN CERTIFICATE-----") {
            return Err(ca_error(&cert_path, "no PEM certificate in the file"));
        }
        // Leaves name the issuer by its distinguished name and are verified with its key:
        // both are the same as the certificate on disk.
        let issuer = ca_params()
            .self_signed(&key)
            .map_err(|err| ca_error(&cert_path, err))?;
        Ok(Self::new(key, issuer, cert_pem))
    }

    fn new(key: KeyPair, issuer: Certificate, cert_pem: String) -> Self {
        LocalCa {
            key,
            issuer,
            cert_pem,
            leaves: Mutex::new(HashMap::new()),
        }
    }

    /// The CA certificate, PEM, as written to [`CERT_FILE`].
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// The DER SubjectPublicKeyInfo of the CA's key, which every leaf shares.
    pub fn spki_der(&self) -> Vec<u8> {
        self.key.public_key_der()
    }

    /// base64 of the SHA-256 of [`LocalCa::spki_der`]: the value Chromium's
    /// `--ignore-certificate-errors-spki-list` takes.
    pub fn spki_sha256_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(self.spki_der()))
    }

    /// A leaf certificate for `host` (a DNS name or an IP address), signed by the CA, with
    /// the CA's key; DER.
    ///
    /// # Errors
    ///
    /// `host` is not a valid DNS name or address.
    pub fn leaf_der(&self, host: &str) -> Result<Vec<u8>, String> {
        let mut params = CertificateParams::new(Vec::<String>::new()).map_err(|e| e.to_string())?;
        params.subject_alt_names.push(match host.parse::<IpAddr>() {
            Ok(ip) => SanType::IpAddress(ip),
            Err(_) => SanType::DnsName(
                host.to_owned()
                    .try_into()
                    .map_err(|err| format!("{host:?} is not a DNS name: {err}"))?,
            ),
        });
        params.distinguished_name.push(DnType::CommonName, host);
        params.use_authority_key_identifier_extension = true;
        params.not_before = time::OffsetDateTime::now_utc() - time::Duration::days(1);
        params.not_after = time::OffsetDateTime::now_utc() + time::Duration::days(365);
        let cert = params
            .signed_by(&self.key, &self.issuer, &self.key)
            .map_err(|err| format!("signing a certificate for {host:?}: {err}"))?;
        Ok(cert.der().to_vec())
    }

    /// The TLS server configuration presenting `host`'s leaf (made once per host).
    pub(crate) fn server_config(&self, host: &str) -> Result<Arc<rustls::ServerConfig>, String> {
        let host = host.to_ascii_lowercase();
        let mut leaves = self.leaves.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(config) = leaves.get(&host) {
            return Ok(Arc::clone(config));
        }
        let chain = vec![CertificateDer::from(self.leaf_der(&host)?)];
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key.serialize_der()));
        let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|err| err.to_string())?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|err| format!("TLS configuration for {host:?}: {err}"))?;
        // The relay speaks HTTP/1.1 (WebSocket upgrades included): say so to browsers.
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let config = Arc::new(config);
        leaves.insert(host, Arc::clone(&config));
        Ok(config)
    }
}

fn ca_error(path: &Path, message: impl std::fmt::Display) -> ProxyError {
    ProxyError::Ca {
        path: path.to_owned(),
        message: message.to_string(),
    }
}

fn create_dir(dir: &Path) -> Result<(), ProxyError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|err| ca_error(dir, err))
}

/// Writes `bytes` to `path` with `mode` (on Unix) from the first byte on, replacing a file
/// but never following a symbolic link.
fn write_file(path: &Path, bytes: &[u8], mode: u32) -> Result<(), ProxyError> {
    if fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(ca_error(
            path,
            "is a symbolic link; refusing to write through it",
        ));
    }
    let _ = fs::remove_file(path);
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(path).map_err(|err| ca_error(path, err))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|err| ca_error(path, err))
}

/// `dir`'s key and certificate paths, for messages.
pub fn files(dir: &Path) -> (PathBuf, PathBuf) {
    (dir.join(KEY_FILE), dir.join(CERT_FILE))
}
