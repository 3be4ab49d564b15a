//! Test inputs: the files under `tests/fixtures/` and synthetic JWTs.

use base64::Engine as _;

/// The signature of the synthetic JWT in the fixtures (it signs nothing; no real secret).
pub(crate) const FIXTURE_JWT_SIGNATURE: &str = "c3ludGhldGljLXRlc3Qtc2lnbmF0dXJlLW5vdC1yZWFsIQ";

/// A fixture file's bytes.
pub(crate) fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

/// A bundled capture or browser sample under the workspace's `captures/`.
pub(crate) fn bundled(name: &str) -> Vec<u8> {
    let path = format!("{}/../../captures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

/// A JWT-shaped token with the given claims JSON and signature.
pub(crate) fn synthetic_jwt(claims_json: &str, signature: &str) -> String {
    format!(
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.{}.{signature}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(claims_json)
    )
}
