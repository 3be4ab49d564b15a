//! Fuzz harness bodies, driven by the one-line targets in `fuzz/fuzz_targets/` (each named
//! after the function here) and replayed as ordinary tests by the crate's `fuzz_corpus.rs`,
//! which runs every committed seed in `fuzz/seeds/<target>/` through the same body on stable.
//!
//! Not part of the public API: bodies may change with the crate.

use serde_json::Value;
use sio_capture::{Direction, FrameRecord, Record};

use crate::{Contract, InferOptions, Inference};

/// Drives [`Inference`] and [`Contract`]: the input's lines are frames (a line starting with
/// `>` is the client's, without the `>`; any other the server's), and the whole input is also
/// tried as a document.
///
/// Invariants: the document inferred from the frames reads back as a contract, the frames
/// validate against it with no violation but one `decode` per frame that does not decode,
/// and inferring again gives the same document; any input read as a document either is
/// refused with an error or validates the frames without panicking.
pub fn infer_and_validate(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let records: Vec<Record> = text
        .lines()
        .map(|line| {
            let (from, frame) = match line.strip_prefix('>') {
                Some(rest) => (Direction::Client, rest),
                None => (Direction::Server, line),
            };
            Record::Frame(FrameRecord::text(0.0, 1, from, frame))
        })
        .collect();
    let infer = || {
        let mut inference = Inference::new(InferOptions {
            enum_max: 8,
            enum_min_count: 1,
        });
        inference.begin_source("fuzz");
        for record in &records {
            inference.observe(record);
        }
        let (_, undecodable) = inference.frames();
        (inference.document(), undecodable)
    };
    let (document, undecodable) = infer();
    assert_eq!(document, infer().0, "inference is deterministic");
    let contract = Contract::from_document(document.clone())
        .unwrap_or_else(|err| panic!("an inferred document reads back: {err}\n{document:#}"));
    let mut validation = contract.validation();
    validation.begin_source("fuzz");
    for record in &records {
        validation.check(record);
    }
    let report = validation.finish();
    let decode = report
        .violations
        .iter()
        .filter(|v| v.rule == "decode")
        .count() as u64;
    assert_eq!(decode, undecodable, "{report:#?}");
    assert_eq!(
        report.violations.len() as u64,
        undecodable,
        "traffic breaks the document inferred from it: {report:#?}\n{document:#}"
    );

    if let Ok(contract) = Contract::from_json(&text) {
        let mut validation = contract.validation();
        validation.begin_source("fuzz");
        for record in &records {
            validation.check(record);
        }
        let _ = validation.finish();
    }
    // The document is JSON that serialises and parses back to itself.
    let written = serde_json::to_string(&document).unwrap_or_default();
    assert_eq!(serde_json::from_str::<Value>(&written).ok(), Some(document));
}
