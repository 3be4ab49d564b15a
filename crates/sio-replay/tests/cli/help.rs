//! `--help` is documentation: snapshot it so every change is reviewed, and check that each
//! subcommand teaches with an example.

use crate::sio_replay;

const SUBCOMMANDS: &[&str] = &[
    "record",
    "serve",
    "check",
    "import",
    "decode",
    "asyncapi",
    "validate",
    "load",
    "ui",
    "proxy",
    "ca",
    "completions",
];

#[test]
fn top_level_help() {
    let out = sio_replay()
        .arg("--help")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    insta::assert_snapshot!("help", String::from_utf8_lossy(&out));
}

#[test]
fn every_subcommand_help_has_an_example() {
    for name in SUBCOMMANDS {
        let out = sio_replay()
            .args([name, "--help"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let text = String::from_utf8_lossy(&out).into_owned();
        assert!(
            text.contains("Example"),
            "`{name} --help` has no example:\n{text}"
        );
        assert!(
            text.contains(&format!("sio-replay {name}")),
            "`{name} --help` example does not run {name}"
        );
        insta::assert_snapshot!(format!("help_{name}"), text);
    }
}

#[test]
fn unknown_flag_is_a_usage_error_naming_the_flag() {
    sio_replay()
        .args(["decode", "--bogus", "x"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--bogus"));
}

#[test]
fn bad_duration_names_the_flag() {
    sio_replay()
        .args(["load", "ws://127.0.0.1:9", "--duration", "soon"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--duration"));
}

#[test]
fn a_rate_that_is_not_a_positive_number_names_the_flag() {
    for rate in ["NaN", "inf", "0", "-3", "1e9", "fast"] {
        sio_replay()
            .args([
                "load",
                "ws://127.0.0.1:9",
                "--ack-event",
                "e",
                "--ack-rate",
                rate,
            ])
            .assert()
            .code(2)
            .stderr(predicates::str::contains("--ack-rate"));
    }
}

#[test]
fn a_namespace_that_cannot_be_sent_names_the_flag_and_the_fix() {
    for (sub, namespace, says) in [
        ("record", "chatomni", "starts with '/', e.g. '/chatomni'"),
        ("load", "/chat,omni", "at byte 5"),
    ] {
        sio_replay()
            .args([sub, "ws://127.0.0.1:9", "--namespace", namespace])
            .assert()
            .code(2)
            .stderr(predicates::str::contains("--namespace"))
            .stderr(predicates::str::contains(says));
    }
}

#[test]
fn completions_are_generated_for_bash_zsh_and_fish() {
    for shell in ["bash", "zsh", "fish"] {
        sio_replay()
            .args(["completions", shell])
            .assert()
            .success()
            .stdout(predicates::str::contains("decode"))
            .stdout(predicates::str::contains("golden"));
    }
}

#[test]
fn load_merge_help_and_load_with_a_url_both_parse() {
    let out = sio_replay()
        .args(["load", "merge", "--help"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8_lossy(&out).into_owned();
    assert!(text.contains("sio-replay load merge"), "{text}");
    insta::assert_snapshot!("help_load_merge", text);
    // `load URL` still runs a load, not a subcommand: it fails connecting, naming the URL.
    sio_replay()
        .args([
            "load",
            "ws://127.0.0.1:9",
            "--token-insecure",
            "t",
            "-n",
            "1",
        ])
        .args([
            "--connect-timeout",
            "1s",
            "--duration",
            "10ms",
            "--format",
            "json",
        ])
        .assert()
        .success()
        .stdout(predicates::str::contains("\"failed\":1"));
    // Flags of a run are not flags of `merge`.
    sio_replay()
        .args(["load", "merge", "a.json", "--clients", "3"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--clients"));
}
