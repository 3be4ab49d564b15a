//! `sio-replay ca init|export` and the flag checks of `proxy --mode forward`.

use predicates::prelude::*;

use crate::sio_replay;

#[test]
fn ca_init_keeps_a_private_key_refuses_to_replace_it_and_export_gives_the_same_pin() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ca_dir = dir.path().join("ca");
    let out = sio_replay()
        .args(["ca", "init", "--format", "json"])
        .env("SIO_REPLAY_CA_DIR", &ca_dir)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let created: serde_json::Value = serde_json::from_slice(&out).expect("JSON");
    let pin = created["spki_sha256"].as_str().expect("a pin").to_owned();
    assert_eq!(pin.len(), 44, "base64 of 32 bytes: {pin}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(ca_dir.join("ca-key.pem"))
            .expect("the key")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // A second init names the file and the way out, and changes nothing.
    let key_before = std::fs::read(ca_dir.join("ca-key.pem")).expect("the key");
    sio_replay()
        .args(["ca", "init", "--ca-dir"])
        .arg(&ca_dir)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("ca-key.pem").and(predicate::str::contains("--force")));
    assert_eq!(
        std::fs::read(ca_dir.join("ca-key.pem")).unwrap(),
        key_before
    );

    let out = sio_replay()
        .args(["ca", "export", "--pin"])
        .env("SIO_REPLAY_CA_DIR", &ca_dir)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(String::from_utf8_lossy(&out).trim(), pin);

    let cert = dir.path().join("exported.pem");
    sio_replay()
        .args(["ca", "export", "-o"])
        .arg(&cert)
        .env("SIO_REPLAY_CA_DIR", &ca_dir)
        .assert()
        .success()
        .stdout(predicate::str::contains(&pin));
    assert_eq!(
        std::fs::read_to_string(&cert).unwrap(),
        std::fs::read_to_string(ca_dir.join("ca.pem")).unwrap()
    );
    // The printed form: the certificate first, then the pin.
    sio_replay()
        .args(["ca", "export", "--format", "human", "--ca-dir"])
        .arg(&ca_dir)
        .assert()
        .success()
        .stdout(
            predicate::str::starts_with("-----BEGIN CERTIFICATE-----").and(
                predicate::str::contains(format!("--ignore-certificate-errors-spki-list={pin}")),
            ),
        );

    // --force replaces it: a new key, a new pin.
    let out = sio_replay()
        .args(["ca", "init", "--force", "--format", "json", "--ca-dir"])
        .arg(&ca_dir)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let replaced: serde_json::Value = serde_json::from_slice(&out).expect("JSON");
    assert_ne!(replaced["spki_sha256"], created["spki_sha256"]);
}

#[test]
fn ca_export_without_a_ca_says_how_to_make_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    sio_replay()
        .args(["ca", "export", "--ca-dir"])
        .arg(dir.path().join("none"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("sio-replay ca init"));
}

#[test]
fn forward_mode_flags_are_checked() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Intercepting needs the CA.
    sio_replay()
        .args([
            "proxy",
            "--mode",
            "forward",
            "--intercept",
            "localhost",
            "--port",
            "0",
        ])
        .env("SIO_REPLAY_CA_DIR", dir.path().join("none"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("sio-replay ca init"));
    // Each bad combination is refused (exit 2) with the flag to fix in the message.
    let refused: [(&[&str], &str); 4] = [
        (
            &["--upstream", "http://127.0.0.1:1", "--intercept", "x"],
            "--mode forward",
        ),
        (&["--port", "0"], "--upstream URL is required"),
        (
            &["--mode", "forward", "--upstream", "http://127.0.0.1:1"],
            "--upstream is for reverse mode",
        ),
        (
            &["--mode", "forward", "--upstream-proxy", "ftp://x"],
            "--upstream-proxy",
        ),
    ];
    for (flags, says) in refused {
        sio_replay()
            .arg("proxy")
            .args(flags)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(says));
    }
}
