//! Output files: never written through a symbolic link, private when they keep secrets.

use std::path::Path;

use sio_capture::import::{ImportOptions, import_capture};
use sio_capture::writer::{OutputOptions, create_output};
use sio_capture::{CaptureError, CaptureWriter, Header, Redactor};

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn an_existing_file_is_refused_unless_overwriting() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.jsonl");
    std::fs::write(&path, "old").unwrap();
    assert!(matches!(
        create_output(&path, OutputOptions::default()),
        Err(CaptureError::OutputExists)
    ));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
    drop(create_output(&path, OutputOptions::default().overwrite(true)).unwrap());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "", "truncated");
}

#[cfg(unix)]
#[test]
fn a_symbolic_link_is_refused_and_its_target_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("target.txt");
    std::fs::write(&target, "precious").unwrap();
    let link = dir.path().join("link.jsonl");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let dangling = dir.path().join("dangling.jsonl");
    std::os::unix::fs::symlink(dir.path().join("nowhere"), &dangling).unwrap();
    for path in [&link, &dangling] {
        for options in [
            OutputOptions::default(),
            OutputOptions::default().overwrite(true),
            OutputOptions::default().overwrite(true).private(true),
        ] {
            let err = create_output(path, options).unwrap_err();
            assert!(
                matches!(err, CaptureError::OutputIsSymlink),
                "{}: {err}",
                path.display()
            );
        }
    }
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious");
    assert_eq!(mode(&target) & 0o600, 0o600);
    assert!(!dir.path().join("nowhere").exists());
    let err = CaptureWriter::create(&link, Header::new("record")).unwrap_err();
    assert!(err.to_string().contains("symbolic link"), "{err}");
}

#[cfg(unix)]
#[test]
fn a_private_file_is_0600_even_when_it_existed_with_another_mode() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.jsonl");
    std::fs::write(&path, "old").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    drop(
        create_output(
            &path,
            OutputOptions::default().overwrite(true).private(true),
        )
        .unwrap(),
    );
    assert_eq!(mode(&path), 0o600);
}

#[cfg(unix)]
#[test]
fn writers_without_redaction_make_private_files() {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw.jsonl");
    let writer = CaptureWriter::create_with(
        &raw,
        Header::new("record"),
        Redactor::disabled(),
        OutputOptions::default(),
    )
    .unwrap();
    writer.finish().unwrap();
    assert_eq!(mode(&raw), 0o600);

    let log = "↑ 40/chatomni,{\"token\":\"opaque-secret\"}\n";
    let kept = import_capture(
        log.as_bytes(),
        &ImportOptions::default().redactor(Redactor::disabled()),
    )
    .unwrap();
    let imported = dir.path().join("imported.jsonl");
    kept.write_file(&imported, OutputOptions::default())
        .unwrap();
    assert_eq!(mode(&imported), 0o600);
    assert!(
        std::fs::read_to_string(&imported)
            .unwrap()
            .contains("opaque-secret")
    );
    assert!(matches!(
        kept.write_file(&imported, OutputOptions::default()),
        Err(CaptureError::OutputExists)
    ));
}
