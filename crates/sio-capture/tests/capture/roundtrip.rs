//! The native format: what is written is read back unchanged, and a writer killed mid-way
//! leaves a file that reads up to its last complete line.

use std::io::Write;

use proptest::prelude::*;
use sio_capture::{
    CaptureReader, CaptureWriter, ConnEvent, ConnRecord, Direction, FrameKind, FrameRecord,
    GapRecord, Header, HttpRecord, Record, Redactor, Transport,
};

fn direction() -> impl Strategy<Value = Direction> {
    prop_oneof![Just(Direction::Client), Just(Direction::Server)]
}

fn t_ms() -> impl Strategy<Value = f64> {
    prop_oneof![0.0..1e9f64, (0u32..1_000_000).prop_map(f64::from)]
}

fn pairs() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec((".{0,12}", ".{0,24}"), 0..4)
}

fn record() -> impl Strategy<Value = Record> {
    prop_oneof![
        (t_ms(), 1u32..5, direction(), ".{0,200}")
            .prop_map(|(t, c, d, s)| Record::Frame(FrameRecord::text(t, c, d, s))),
        (
            t_ms(),
            1u32..5,
            direction(),
            prop::collection::vec(any::<u8>(), 0..64)
        )
            .prop_map(|(t, c, d, b)| Record::Frame(FrameRecord::binary(t, c, d, &b))),
        (
            t_ms(),
            "[A-Z]{3,7}",
            ".{0,60}",
            pairs(),
            pairs(),
            proptest::option::of(".{0,40}"),
            any::<u16>(),
            pairs(),
            ".{0,80}",
            any::<bool>()
        )
            .prop_map(
                |(
                    t_ms,
                    method,
                    url,
                    query,
                    request_headers,
                    request_body,
                    status,
                    response_headers,
                    body,
                    body_base64,
                )| {
                    Record::Http(HttpRecord {
                        t_ms,
                        method,
                        url,
                        query,
                        request_headers,
                        request_body,
                        status,
                        response_headers,
                        body,
                        body_base64,
                    })
                }
            ),
        (t_ms(), 1u32..5, proptest::option::of(".{0,40}"))
            .prop_map(|(t_ms, conn, reason)| Record::Gap(GapRecord::lost(t_ms, conn, reason))),
        (
            t_ms(),
            1u32..5,
            prop_oneof![
                Just(ConnEvent::Open),
                Just(ConnEvent::Upgrade),
                Just(ConnEvent::Close)
            ],
            proptest::option::of("[A-Za-z0-9_-]{1,20}"),
            proptest::option::of(prop_oneof![
                Just(Transport::Polling),
                Just(Transport::Websocket)
            ]),
            proptest::option::of(".{0,40}"),
        )
            .prop_map(|(t_ms, conn, event, sid, transport, reason)| {
                Record::Conn(ConnRecord {
                    sid,
                    transport,
                    reason,
                    ..ConnRecord::new(t_ms, conn, event)
                })
            }),
    ]
    .prop_filter("binary frames must hold valid base64", |r| match r {
        Record::Http(h) => !h.body_base64 || h.body.is_empty(),
        _ => true,
    })
}

fn header() -> impl Strategy<Value = Header> {
    (
        ".{0,20}",
        proptest::option::of(".{0,60}"),
        proptest::option::of(".{0,20}"),
        proptest::option::of(".{0,30}"),
    )
        .prop_map(|(source, url, room, started_at)| {
            let mut header = Header::new(source);
            header.url = url;
            header.room = room;
            header.started_at = started_at;
            header
        })
}

/// A sink that counts the `write` calls it gets (each `write_all` of a short buffer is one).
#[derive(Default)]
struct CountingWrites {
    bytes: Vec<u8>,
    writes: usize,
}

impl Write for CountingWrites {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.writes += 1;
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_header_in_a_batch_writes_nothing_of_it() {
    let mut writer = CaptureWriter::new(Vec::new(), Header::new("record")).unwrap();
    let frame = Record::Gap(GapRecord::lost(1.0, 1, Some("lost".to_owned())));
    let err = writer
        .write_records(&[frame.clone(), Record::Header(Header::new("x"))])
        .unwrap_err();
    assert!(
        matches!(err, sio_capture::CaptureError::HeaderAlreadyWritten),
        "{err}"
    );
    assert_eq!(writer.records_written(), 1);
    writer.write_records([&frame]).unwrap();
    let bytes = writer.finish().unwrap();
    assert_eq!(bytes.iter().filter(|b| **b == b'\n').count(), 2);
}

fn write_all(header: &Header, records: &[Record], redactor: Redactor) -> Vec<u8> {
    let mut writer = CaptureWriter::with_redactor(Vec::new(), header.clone(), redactor).unwrap();
    for record in records {
        writer.write_record(record.clone()).unwrap();
    }
    writer.finish().unwrap()
}

proptest! {
    #[test]
    fn native_captures_round_trip_losslessly(
        header in header(),
        records in prop::collection::vec(record(), 0..20),
    ) {
        let bytes = write_all(&header, &records, Redactor::disabled());
        let read: Vec<Record> = CaptureReader::new(bytes.as_slice())
            .collect::<Result<_, _>>()
            .unwrap();
        prop_assert_eq!(&read[0], &Record::Header(header));
        prop_assert_eq!(&read[1..], records.as_slice());
    }

    #[test]
    fn records_written_in_batches_read_back_as_written_one_by_one(
        header in header(),
        records in prop::collection::vec(record(), 0..20),
        split in 0usize..20,
        redact in any::<bool>(),
    ) {
        let redactor = || if redact { Redactor::default() } else { Redactor::disabled() };
        let one_by_one = write_all(&header, &records, redactor());
        let mut counting = CountingWrites::default();
        let mut writer =
            CaptureWriter::with_redactor(&mut counting, header.clone(), redactor()).unwrap();
        let (first, second) = records.split_at(split.min(records.len()));
        writer.write_records(first).unwrap();
        writer.write_records(second).unwrap();
        prop_assert_eq!(writer.records_written(), 1 + records.len() as u64);
        prop_assert_eq!(writer.redaction_report(), {
            let mut w = CaptureWriter::with_redactor(Vec::new(), header.clone(), redactor()).unwrap();
            for record in &records {
                w.write_record(record.clone()).unwrap();
            }
            w.redaction_report()
        });
        drop(writer);
        prop_assert_eq!(&counting.bytes, &one_by_one);
        // The header, then at most one write per non-empty batch.
        let batches = usize::from(!first.is_empty()) + usize::from(!second.is_empty());
        prop_assert_eq!(counting.writes, 1 + batches);
    }

    #[test]
    fn a_file_cut_anywhere_reads_up_to_its_last_complete_line(
        records in prop::collection::vec(record(), 1..10),
        cut_fraction in 0.0..1.0f64,
    ) {
        let bytes = write_all(&Header::new("record"), &records, Redactor::disabled());
        let cut = (bytes.len() as f64 * cut_fraction) as usize;
        let cut_bytes = &bytes[..cut];
        let complete_lines = cut_bytes.iter().filter(|b| **b == b'\n').count();
        let mut lenient = CaptureReader::new(cut_bytes).lenient(true);
        let read: Vec<Record> = lenient.by_ref().map(Result::unwrap).collect();
        // Every complete line survives; the torn one may still parse if only its newline was
        // cut, and otherwise is reported as torn, not skipped as bad.
        prop_assert!(read.len() >= complete_lines);
        prop_assert_eq!(lenient.skipped_lines(), 0);
        let torn = u64::from(lenient.torn_last_line().is_some());
        prop_assert_eq!(read.len() as u64 + torn, cut_bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()).count() as u64);
        if complete_lines > 0 {
            prop_assert_eq!(&read[0], &Record::Header(Header::new("record")));
        }
        for (got, want) in read.iter().skip(1).zip(&records) {
            prop_assert_eq!(got, want);
        }
    }
}

/// Counts flushes and checks that every flush leaves only whole lines behind.
#[derive(Default)]
struct FlushSpy {
    bytes: Vec<u8>,
    flushes: usize,
    torn_flushes: usize,
}

impl Write for FlushSpy {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.flushes += 1;
        if self.bytes.last() != Some(&b'\n') {
            self.torn_flushes += 1;
        }
        Ok(())
    }
}

#[test]
fn the_writer_flushes_one_whole_line_per_record() {
    let mut writer = CaptureWriter::new(FlushSpy::default(), Header::new("record")).unwrap();
    for i in 0..5 {
        writer
            .write_frame(&FrameRecord::text(f64::from(i), 1, Direction::Server, "2"))
            .unwrap();
    }
    assert_eq!(writer.records_written(), 6);
    let spy = writer.finish().unwrap();
    // One flush per record (header included) and one from finish().
    assert_eq!(spy.flushes, 7);
    assert_eq!(spy.torn_flushes, 0);
    assert_eq!(spy.bytes.iter().filter(|b| **b == b'\n').count(), 6);
}

#[test]
fn a_second_header_is_refused() {
    let mut writer = CaptureWriter::new(Vec::new(), Header::new("record")).unwrap();
    let err = writer
        .write_record(Record::Header(Header::new("again")))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "a capture has exactly one header record and it was already written"
    );
}

#[test]
fn writing_to_a_file_and_reading_it_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("capture.jsonl");
    let mut writer = CaptureWriter::create(&path, Header::new("record")).unwrap();
    writer
        .write_frame(&FrameRecord::binary(
            1.5,
            2,
            Direction::Client,
            &[0, 159, 146, 150],
        ))
        .unwrap();
    drop(writer);
    let records: Vec<Record> = CaptureReader::open(&path)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let Record::Frame(frame) = &records[1] else {
        panic!("expected a frame, got {:?}", records[1]);
    };
    assert_eq!(frame.kind, FrameKind::Binary);
    assert_eq!(frame.payload_bytes().unwrap(), [0, 159, 146, 150]);
}

#[test]
fn default_redaction_leaves_secret_free_frames_byte_for_byte() {
    let frames = [
        r#"0{"sid":"4RK_z0D5LofuOO3tR9vW","upgrades":[],"pingInterval":25000,"pingTimeout":60000,"maxPayload":1000000}"#,
        r#"42/chatomni,["on-events","{\"Conversation\":{\"Name\":\"Th\u1ea3o T\u00e2y\"},\"Message\":{\"Message\":\"Nu 😀\"}}"]"#,
        "2",
        "3",
    ];
    let records: Vec<Record> = frames
        .iter()
        .map(|f| Record::Frame(FrameRecord::text(0.0, 1, Direction::Server, *f)))
        .collect();
    let bytes = write_all(&Header::new("record"), &records, Redactor::default());
    let read: Vec<Record> = CaptureReader::new(bytes.as_slice())
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(&read[1..], records.as_slice());
}

#[test]
fn lines_are_assembled_across_small_reads() {
    let records: Vec<Record> = (0..50)
        .map(|i| {
            Record::Frame(FrameRecord::text(
                f64::from(i),
                1,
                Direction::Server,
                format!("42/chatomni,[\"on-events\",\"{}\"]", "é".repeat(i as usize)),
            ))
        })
        .collect();
    let bytes = write_all(&Header::new("record"), &records, Redactor::disabled());
    for capacity in [1, 2, 7, 64] {
        let reader = std::io::BufReader::with_capacity(capacity, bytes.as_slice());
        let read: Vec<Record> = CaptureReader::new(reader)
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(&read[1..], records.as_slice(), "capacity {capacity}");
    }
}
