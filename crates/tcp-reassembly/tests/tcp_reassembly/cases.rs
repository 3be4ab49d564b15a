//! The ends of a stream and the limits, case by case.

use tcp_reassembly::{Config, EndReason, Reassembler, Segment};

use crate::run;

fn syn(seq: u32) -> Segment<'static> {
    Segment {
        syn: true,
        ..Segment::data(seq, b"")
    }
}

#[test]
fn a_rst_ends_the_stream_with_the_holes_before_held_bytes_as_gaps() {
    let mut stream = Reassembler::new(Config::default());
    let out = run(
        &mut stream,
        &[
            syn(99),
            Segment::data(100, b"ab"),
            Segment::data(105, b"fg"),
            Segment {
                rst: true,
                ..Segment::data(107, b"")
            },
            Segment::data(102, b"cde"),
        ],
    );
    assert_eq!(out.bytes, b"ab\0\0\0fg");
    assert_eq!(out.gaps, [(2, 3)]);
    assert_eq!(out.end, Some((7, EndReason::Rst)));
    assert_eq!(stream.stats().after_end_segments, 1);
}

#[test]
fn a_rst_from_the_other_side_ends_this_one_too() {
    let mut stream = Reassembler::new(Config::default());
    let mut out = crate::Delivered::default();
    let mut sink = out.sink();
    stream.segment(&Segment::data(7, b"xy"), &mut sink);
    stream.reset(&mut sink);
    stream.finish(&mut sink);
    drop(sink);
    assert_eq!(out.bytes, b"xy");
    assert_eq!(out.end, Some((2, EndReason::Rst)));
}

#[test]
fn a_fin_after_a_hole_waits_and_the_end_of_capture_reports_the_hole() {
    let mut stream = Reassembler::new(Config::default());
    let out = run(
        &mut stream,
        &[
            syn(0),
            Segment::data(1, b"abc"),
            Segment {
                fin: true,
                ..Segment::data(6, b"f")
            },
        ],
    );
    assert_eq!(out.bytes, b"abc\0\0f");
    assert_eq!(out.gaps, [(3, 2)]);
    assert_eq!(out.end, Some((6, EndReason::Fin)));
}

#[test]
fn a_fin_with_nothing_missing_ends_at_once() {
    let mut stream = Reassembler::new(Config::default());
    let mut out = crate::Delivered::default();
    let mut sink = out.sink();
    stream.segment(&syn(10), &mut sink);
    stream.segment(
        &Segment {
            fin: true,
            ..Segment::data(11, b"bye")
        },
        &mut sink,
    );
    drop(sink);
    assert!(stream.is_ended());
    assert_eq!(out.end, Some((3, EndReason::Fin)));
}

#[test]
fn a_capture_started_mid_stream_starts_at_the_first_byte_seen_and_ignores_bare_acks() {
    let mut stream = Reassembler::new(Config::default());
    let out = run(
        &mut stream,
        &[
            Segment::data(5000, b""),
            Segment::data(7000, b"late"),
            // Bytes from before the first seen: only the part after it is new.
            Segment::data(6998, b"..late!"),
        ],
    );
    assert_eq!(out.bytes, b"late!");
    assert_eq!(out.end, Some((5, EndReason::EndOfCapture)));
}

#[test]
fn the_buffer_bound_gives_up_the_first_hole_and_the_rest_flows() {
    let mut stream = Reassembler::new(Config {
        max_buffered: 4,
        ..Config::default()
    });
    let mut out = crate::Delivered::default();
    let mut sink = out.sink();
    stream.segment(&syn(0), &mut sink);
    stream.segment(&Segment::data(1, b"ab"), &mut sink);
    stream.segment(&Segment::data(5, b"ef"), &mut sink);
    stream.segment(&Segment::data(7, b"gh"), &mut sink);
    assert_eq!(stream.buffered(), 4, "at the bound, nothing given up yet");
    stream.segment(&Segment::data(9, b"i"), &mut sink);
    assert_eq!(stream.buffered(), 0);
    // The missing "cd" arrives too late: a duplicate of given-up bytes.
    stream.segment(&Segment::data(3, b"cd"), &mut sink);
    stream.segment(&Segment::data(10, b"j"), &mut sink);
    drop(sink);
    assert_eq!(out.bytes, b"ab\0\0efghij");
    assert_eq!(out.gaps, [(2, 2)]);
    assert_eq!(stream.stats().gaps, 1);
    assert_eq!(stream.stats().gap_bytes, 2);
    assert_eq!(stream.stats().duplicate_bytes, 2);
}

#[test]
fn a_segment_far_beyond_the_window_is_dropped_not_turned_into_a_huge_gap() {
    let mut stream = Reassembler::new(Config {
        max_window: 1000,
        ..Config::default()
    });
    let out = run(
        &mut stream,
        &[
            syn(0),
            Segment::data(1, b"ok"),
            Segment::data(1_000_000, b"corrupt"),
            Segment::data(3, b"!"),
        ],
    );
    assert_eq!(out.bytes, b"ok!");
    assert!(out.gaps.is_empty());
    assert_eq!(stream.stats().out_of_window_segments, 1);
}

#[test]
fn offsets_go_past_four_gigabytes_of_sequence_space() {
    // 4 GiB and 128 KiB of stream, one borrowed 64 KiB buffer fed over and over (nothing is
    // copied on the in-order path): offsets keep counting where sequence numbers wrap.
    let mut stream = Reassembler::new(Config::default());
    let mut out_offsets = Vec::new();
    let mut sink = |event: tcp_reassembly::Event<'_>| {
        if let tcp_reassembly::Event::Data { offset, .. } = event {
            out_offsets.push(offset);
        }
    };
    stream.segment(&syn(u32::MAX), &mut sink);
    let chunk = vec![7u8; 1 << 16];
    let mut seq = 0u32;
    for _ in 0..(1u64 << 16) + 2 {
        stream.segment(&Segment::data(seq, &chunk), &mut sink);
        seq = seq.wrapping_add(1 << 16);
    }
    assert_eq!(out_offsets.last(), Some(&((1u64 << 32) + (1 << 16))));
    assert_eq!(stream.next_offset(), (1u64 << 32) + (1 << 17));
    assert_eq!(stream.stats().duplicate_bytes, 0);
}
