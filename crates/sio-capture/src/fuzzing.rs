//! Fuzz harness bodies, driven by the one-line targets in `fuzz/fuzz_targets/` (each named
//! after the function here) and replayed as ordinary tests by `tests/fuzz_corpus.rs`, which
//! runs every committed seed in `fuzz/seeds/<target>/` through the same body on stable.
//!
//! Each body takes arbitrary bytes and asserts, beyond "no panic": errors name a place that
//! exists in the input (a line number within the input's lines); what is read or imported
//! writes back as a native capture that reads back the same; normalisation is deterministic
//! and, with the default configuration, idempotent.
//!
//! Not part of the public API: bodies may change with the crate.

use crate::assemble::{Assembler, HttpExchange, WsId};
use crate::error::{CaptureError, ImportLocation};
use crate::import::{self, ImportOptions, Imported};
use crate::normalize::{NormalizeConfig, Normalizer};
use crate::record::{ConnEvent, Direction, FrameKind, FrameRecord, Header, Record};
use crate::redact::Redactor;
use crate::transcript::Transcript;
use crate::writer::CaptureWriter;
use crate::{CaptureReader, OrderedJson};

/// Drives [`CaptureReader`], strict and lenient, over a native capture.
///
/// Invariants: line numbers in errors are within the input and never go back; a lenient
/// reader yields no errors except the fatal ones (wrong format, newer version); every record
/// read writes back (without redaction) to a capture that reads back the same records.
pub fn read_capture_record(data: &[u8]) {
    let lines = line_count(data);
    let mut records = Vec::new();
    let mut last_line = 0;
    for item in CaptureReader::new(data) {
        match item {
            Ok(record) => records.push(record),
            Err(e) => {
                let line = e.line();
                assert!(line.is_some(), "a reader error names its line: {e}");
                let line = line.unwrap_or_default();
                assert!(line >= 1 && line <= lines, "line {line} of {lines}: {e}");
                assert!(line >= last_line, "line {line} after line {last_line}");
                last_line = line;
            }
        }
    }

    let mut lenient = CaptureReader::new(data).lenient(true);
    let mut lenient_records = 0usize;
    for item in lenient.by_ref() {
        match item {
            Ok(_) => lenient_records += 1,
            Err(e) => assert!(
                matches!(&e, CaptureError::Line { kind, .. } if is_fatal(kind)),
                "a lenient reader yields only fatal errors: {e}"
            ),
        }
    }
    assert!(lenient.skipped_lines() <= lines);
    // A strict reader drops a first record that is not a header (it reports it instead).
    assert!(lenient_records >= records.len());

    let header = records.iter().find_map(|r| match r {
        Record::Header(h) => Some(h.clone()),
        _ => None,
    });
    let body: Vec<Record> = records
        .into_iter()
        .filter(|r| !matches!(r, Record::Header(_)))
        .collect();
    check_rewrite(header, &body);
}

/// Drives [`import::import_har`], then [`import::import_capture`] on the same bytes.
///
/// Invariants: errors are located (a JSON path for HAR); an import writes a native capture
/// that reads back as the same records, in time order.
pub fn import_har(data: &[u8]) {
    match import::import_har(data) {
        Ok(imported) => check_imported(&imported),
        Err(e) => assert!(
            matches!(&e, CaptureError::Import(i) if matches!(i.location, ImportLocation::JsonPath { .. })),
            "HAR errors carry a JSON path: {e}"
        ),
    }
    if let Ok(imported) = import::import_capture(data, &ImportOptions::default()) {
        check_sorted(&imported.records);
    }
}

/// Drives the pcap and pcapng importer ([`import::import_capture`] with
/// [`import::InputKind::Pcap`]) over a whole file: file headers, blocks, link, IP and TCP
/// headers, TCP reassembly, HTTP/1.x and WebSocket.
///
/// Invariants: errors name a packet and a byte offset within the input; imports are in time
/// order and write back and read back the same; every gap record counts in the summary.
pub fn import_pcap(data: &[u8]) {
    let options = ImportOptions::default().kind(import::InputKind::Pcap);
    match import::import_capture(data, &options) {
        Ok(imported) => {
            check_imported(&imported);
            let gap_records = imported
                .records
                .iter()
                .filter(|r| matches!(r, Record::Gap(_)))
                .count() as u64;
            assert!(
                imported.summary.gaps >= gap_records,
                "{} gaps counted, {gap_records} gap records",
                imported.summary.gaps
            );
        }
        Err(e) => match &e {
            CaptureError::Import(i) => match i.location {
                ImportLocation::Packet { number, offset } => {
                    assert!(number >= 1, "packet numbers start at 1: {e}");
                    assert!(offset <= data.len() as u64, "offset within the input: {e}");
                }
                _ => panic!("pcap errors name a packet: {e}"),
            },
            _ => panic!("pcap errors are import errors: {e}"),
        },
    }
}

/// Drives [`import::import_devtools_text`] and [`import::import_plain_text`], the text-log
/// importers, and [`import::detect_input_kind`].
///
/// Invariants: errors name a line of the input; every imported frame's data is text from
/// the input; plain text gives one frame per non-blank line; imports write back and read
/// back the same.
pub fn import_text(data: &[u8]) {
    let _ = import::detect_input_kind(data);
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let lines = line_count(data);
    match import::import_devtools_text(text) {
        Ok(imported) => {
            for record in &imported.records {
                if let Record::Frame(frame) = record {
                    assert!(text.contains(frame.data.as_str()), "{:?}", frame.data);
                }
            }
            check_imported(&imported);
        }
        Err(e) => {
            let line = e.line();
            assert!(
                line.is_some_and(|l| l >= 1 && l <= lines),
                "DevTools errors name a line of the input: {e}"
            );
        }
    }
    match import::import_plain_text(text) {
        Ok(imported) => {
            let expected = text.lines().filter(|l| !l.trim().is_empty()).count();
            assert_eq!(imported.records.len(), expected);
            check_imported(&imported);
        }
        Err(e) => panic!("plain text import cannot fail today: {e}"),
    }
}

/// Drives [`Normalizer::normalize`] (snapshot normalisation). The first line of the input is
/// a normalisation rule (`PATH=CLASS` or `PATH=keep`), the rest a JSON document.
///
/// Invariants: normalisation is deterministic (two fresh normalizers agree) and its output is
/// JSON; with the default configuration it is idempotent (normalising the output again
/// changes nothing); a rule that parses displays as a path that parses to the same rule.
pub fn normalize(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (rule, document) = text.split_once('\n').unwrap_or(("", text));
    let Ok(doc) = OrderedJson::parse(document) else {
        return;
    };
    let default = NormalizeConfig::default();
    let once = normalized(&default, &doc);
    assert_eq!(once, normalized(&default, &doc), "deterministic");
    let Ok(reparsed) = OrderedJson::parse(&once) else {
        panic!("normalised output is not JSON: {once:?}");
    };
    let twice = normalized(&default, &reparsed);
    assert_eq!(twice, once, "idempotent");

    if let Ok(config) = NormalizeConfig::default().with_rule(rule) {
        if let Some(parsed) = config.rules.last() {
            let again = crate::normalize::JsonPath::parse(parsed.path.as_str());
            assert_eq!(again.ok().as_ref(), Some(&parsed.path), "rule {rule:?}");
        }
        let once = normalized(&config, &doc);
        assert_eq!(once, normalized(&config, &doc), "deterministic");
        assert!(OrderedJson::parse(&once).is_ok(), "{once:?}");
        let mut pretty = String::new();
        let mut normalizer = Normalizer::new(&config);
        let mut value = doc.clone();
        normalizer.normalize(&mut value);
        value.write_pretty(&mut pretty, 0);
    }
}

/// Drives [`Transcript`] over frames read from the input: each line is a text frame, sent
/// alternately by the server and the client, and the whole input once more as a binary
/// frame.
///
/// Invariants: every frame is counted, no more are undecodable than there are, and the
/// transcript is the same when rendered twice.
pub fn render_transcript(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut records: Vec<Record> = text
        .split('\n')
        .enumerate()
        .map(|(i, line)| {
            let from = if i % 2 == 0 {
                Direction::Server
            } else {
                Direction::Client
            };
            Record::Frame(FrameRecord::text(i as f64, 1, from, line))
        })
        .collect();
    records.push(Record::Frame(FrameRecord::binary(
        records.len() as f64,
        1,
        Direction::Server,
        data,
    )));
    let config = NormalizeConfig::default();
    let mut transcript = Transcript::new(&config);
    for record in &records {
        transcript.push(record);
    }
    assert_eq!(transcript.frames(), records.len() as u64);
    assert!(transcript.undecodable_frames() <= transcript.frames());
    let first = transcript.finish();
    let second = crate::transcript::render_transcript(records.iter(), &config);
    assert_eq!(first, second, "transcripts are deterministic");
}

/// Lines in `data`, counting a last line without a newline (and at least one).
/// Drives [`Assembler`] with a script of observations read from the bytes: each step is an
/// operation byte, then a length byte and that many bytes of body or message (URLs come from a
/// small set, so that sids meet).
///
/// Invariants: every record's `conn` is a connection the assembler counted; a connection opens
/// at most once, before its upgrade and close, and closes at most once; after `finish` every
/// opened connection is closed; the summary counts what was drained; the records write to a
/// capture that reads back the same.
pub fn assemble(data: &[u8]) {
    const URLS: [&str; 8] = [
        "/socket.io/?EIO=4&transport=polling",
        "/socket.io/?EIO=4&transport=polling&sid=abc",
        "/socket.io/?EIO=4&transport=websocket&sid=abc",
        "/socket.io/?EIO=4&transport=websocket",
        "/socket.io/?EIO=3&transport=polling&sid=abc",
        "/socket.io/?EIO=3&transport=polling",
        "/api/facebook-graph/livevideo?pageid=1&limit=2",
        "/socket.io/?EIO=4&transport=polling&sid=def",
    ];
    let mut asm = Assembler::default();
    let mut sockets: Vec<WsId> = Vec::new();
    let mut records = Vec::new();
    let mut t = 0.0;
    let mut rest = data;
    while let [op, len, tail @ ..] = rest {
        let n = usize::from(*len).min(tail.len());
        let (bytes, next) = tail.split_at(n);
        rest = next;
        t += 1.0;
        let url = URLS[usize::from(op >> 3) % URLS.len()];
        let socket = (!sockets.is_empty()).then(|| sockets[usize::from(*len) % sockets.len()]);
        let from = if op & 0x40 == 0 {
            Direction::Client
        } else {
            Direction::Server
        };
        match op & 7 {
            0 => asm.http(&HttpExchange {
                response_body: bytes,
                ..HttpExchange::get(t, url, if op & 0x80 == 0 { 200 } else { 400 })
            }),
            1 => asm.http(&HttpExchange::post(t, url, bytes, 200)),
            2 => sockets.push(asm.websocket_open(t, url, None)),
            3 | 4 => {
                if let Some(ws) = socket {
                    let kind = if op & 7 == 3 {
                        FrameKind::Text
                    } else {
                        FrameKind::Binary
                    };
                    asm.websocket_message(ws, t, from, kind, bytes);
                }
            }
            5 => {
                if let Some(ws) = socket {
                    asm.websocket_close(ws, t, None);
                }
            }
            6 => {
                if let Some(ws) = socket {
                    asm.websocket_gap(ws, t, from, Some(n as u64), None);
                }
            }
            _ => records.extend(asm.drain()),
        }
    }
    asm.finish(t + 1.0);
    records.extend(asm.drain());

    let summary = asm.summary();
    let mut opened = vec![false; summary.connections as usize];
    let mut closed = vec![false; summary.connections as usize];
    let (mut frames, mut http, mut gaps) = (0u64, 0u64, 0u64);
    for record in &records {
        let conn = match record {
            Record::Frame(f) => {
                frames += 1;
                f.conn
            }
            Record::Gap(g) => {
                gaps += 1;
                g.conn
            }
            Record::Conn(c) => c.conn,
            Record::Http(_) => {
                http += 1;
                continue;
            }
            Record::Header(_) => panic!("the assembler writes no header"),
        };
        assert!(
            conn >= 1 && conn <= summary.connections,
            "conn {conn} of {}",
            summary.connections
        );
        let i = conn as usize - 1;
        if let Record::Conn(c) = record {
            match c.event {
                ConnEvent::Open => {
                    assert!(!opened[i], "conn {conn} opened twice");
                    opened[i] = true;
                }
                ConnEvent::Upgrade => assert!(opened[i] && !closed[i], "upgrade of {conn}"),
                ConnEvent::Close => {
                    assert!(opened[i] && !closed[i], "close of {conn}");
                    closed[i] = true;
                }
            }
        }
    }
    assert_eq!(
        opened, closed,
        "every opened connection is closed at the end"
    );
    assert_eq!(
        (frames, http, gaps),
        (summary.frames, summary.http_exchanges, summary.gaps)
    );
    check_rewrite(None, &records);
}

fn line_count(data: &[u8]) -> u64 {
    let newlines = memchr::memchr_iter(b'\n', data).count() as u64;
    newlines + u64::from(!data.ends_with(b"\n")).max(u64::from(newlines == 0))
}

fn is_fatal(kind: &crate::LineErrorKind) -> bool {
    matches!(
        kind,
        crate::LineErrorKind::UnsupportedVersion { .. } | crate::LineErrorKind::WrongFormat { .. }
    )
}

fn normalized(config: &NormalizeConfig, doc: &OrderedJson) -> String {
    let mut normalizer = Normalizer::new(config);
    let mut value = doc.clone();
    normalizer.normalize(&mut value);
    value.to_string()
}

/// Checks an import: records in time order, and a lossless write and read back.
fn check_imported(imported: &Imported) {
    check_sorted(&imported.records);
    let frames = imported
        .records
        .iter()
        .filter(|r| matches!(r, Record::Frame(_)))
        .count() as u64;
    assert_eq!(imported.summary.frames, frames);
    let written = match imported.write_to(Vec::new()) {
        Ok(written) => written,
        Err(e) => panic!("an import writes to memory: {e}"),
    };
    let read: Result<Vec<Record>, _> = CaptureReader::new(written.as_slice()).collect();
    let read = match read {
        Ok(read) => read,
        Err(e) => panic!("a written import reads back: {e}"),
    };
    assert_eq!(read.len(), imported.records.len() + 1, "header and records");
}

fn check_sorted(records: &[Record]) {
    for pair in records.windows(2) {
        assert!(pair[0].t_ms() <= pair[1].t_ms(), "records in time order");
    }
    for record in records {
        assert!(record.t_ms().is_finite(), "finite times");
    }
}

/// Writes `records` (without redaction) and reads them back: the same records come out.
fn check_rewrite(header: Option<Header>, records: &[Record]) {
    let header = header.unwrap_or_else(|| Header::new("fuzz"));
    let mut writer = match CaptureWriter::with_redactor(Vec::new(), header, Redactor::disabled()) {
        Ok(writer) => writer,
        Err(e) => panic!("a writer on memory: {e}"),
    };
    for record in records {
        if let Err(e) = writer.write_record(record.clone()) {
            panic!("a record that was read writes back: {e}");
        }
    }
    let written = match writer.finish() {
        Ok(written) => written,
        Err(e) => panic!("finishing in memory: {e}"),
    };
    let read: Result<Vec<Record>, _> = CaptureReader::new(written.as_slice()).collect();
    let read = match read {
        Ok(read) => read,
        Err(e) => panic!("a written capture reads back: {e}"),
    };
    let body = read.get(1..).unwrap_or_default();
    assert_eq!(body.len(), records.len());
    for (a, b) in records.iter().zip(body) {
        assert!(same_record(a, b), "{a:?} read back as {b:?}");
    }
}

/// Records are equal, with times equal to within float printing and parsing.
fn same_record(a: &Record, b: &Record) -> bool {
    let (ta, tb) = (a.t_ms(), b.t_ms());
    if (ta - tb).abs() > ta.abs().max(1.0) * 1e-12 {
        return false;
    }
    let mut b = b.clone();
    match (&a, &mut b) {
        (Record::Frame(x), Record::Frame(y)) => y.t_ms = x.t_ms,
        (Record::Http(x), Record::Http(y)) => y.t_ms = x.t_ms,
        (Record::Gap(x), Record::Gap(y)) => y.t_ms = x.t_ms,
        (Record::Conn(x), Record::Conn(y)) => y.t_ms = x.t_ms,
        _ => {}
    }
    *a == b
}
