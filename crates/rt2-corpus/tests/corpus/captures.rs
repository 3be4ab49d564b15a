//! The bundled captures under `captures/` are exactly what the generator writes, they read back
//! with sio-capture's reader, and the chat session agrees with the live-video listing.

use std::collections::HashSet;
use std::path::PathBuf;

use sio_capture::{CaptureReader, Direction, FrameKind, Record};
use tpos_chat::{ChannelType, EventDecoder, decode_live_video_page};

fn captures_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../captures"))
}

fn read_records(name: &str) -> Vec<Record> {
    let path = captures_dir().join(name);
    let reader = CaptureReader::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    reader
        .collect::<Result<Vec<_>, _>>()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn regenerating_reproduces_the_committed_files_byte_for_byte() {
    let files = rt2_corpus::render_captures(rt2_corpus::DEFAULT_SEED).unwrap();
    assert_eq!(files.len(), 4);
    for file in files {
        let path = captures_dir().join(file.name);
        let committed = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            committed == file.contents,
            "{} differs from the generator's output: run `cargo run -p rt2-corpus --bin gen-captures` \
             and commit the result",
            path.display()
        );
    }
}

#[test]
fn the_chat_capture_reads_back_and_every_event_decodes() {
    let records = read_records(rt2_corpus::CHATOMNI_CAPTURE);
    let Record::Header(header) = &records[0] else {
        panic!("first record is not a header: {:?}", records[0]);
    };
    assert_eq!(header.room.as_deref(), Some("tomato.tpos.vn"));
    assert_eq!(header.url.as_deref(), Some(rt2_corpus::RT2_URL));
    let frames: Vec<_> = records[1..]
        .iter()
        .map(|r| match r {
            Record::Frame(f) => f,
            other => panic!("unexpected record {other:?}"),
        })
        .collect();
    assert!(
        frames
            .iter()
            .all(|f| f.kind == FrameKind::Text && f.conn == 1)
    );
    assert!(frames.windows(2).all(|w| w[0].t_ms <= w[1].t_ms));
    assert_eq!(frames[0].data, rt2_corpus::OPEN_FRAME);
    // The token was redacted on the way to disk: a placeholder with readable claims, no JWT.
    assert_eq!(frames[1].from, Direction::Client);
    assert!(
        frames[1]
            .data
            .starts_with(r#"40/chatomni,{"token":"[jwt TenantId=tomato.tpos.vn "#)
    );
    assert!(!frames[1].data.contains("eyJ"));

    let mut decoder = EventDecoder::new();
    let mut events = 0;
    let mut first = None;
    for f in frames.iter().filter(|f| f.data.starts_with("42/chatomni,")) {
        let event = decoder
            .decode_args(&f.data["42/chatomni,".len()..])
            .unwrap_or_else(|e| panic!("t_ms {}: {e}", f.t_ms))
            .into_owned();
        first.get_or_insert(event);
        events += 1;
    }
    assert_eq!(events, rt2_corpus::SESSION_EVENTS);
    let first = first.unwrap();
    let message = first.message.unwrap();
    assert_eq!(message.id, "695e60057b7c8059540ed555");
    assert_eq!(message.text.as_deref(), Some("Nu"));
    assert_eq!(
        first.conversation.unwrap().name.as_deref(),
        Some("Thảo Tây")
    );
}

#[test]
fn live_comments_carry_the_object_id_of_a_listed_live_video() {
    let mut object_ids = HashSet::new();
    let mut live_object_ids = HashSet::new();
    let http = read_records(rt2_corpus::LIVE_VIDEO_CAPTURE);
    assert!(http.len() >= 3, "header and at least two pages");
    for record in &http[1..] {
        let Record::Http(h) = record else {
            panic!("unexpected record {record:?}");
        };
        assert!(
            h.url
                .contains("/api/facebook-graph/livevideo?pageid=104857600213377&limit=")
        );
        assert!(!h.request_headers.iter().any(|(_, v)| v.contains("eyJ")));
        let page = decode_live_video_page(&h.body).unwrap();
        for video in &page.data {
            let id = video.object_id.as_deref().unwrap().to_owned();
            if video.status == tpos_chat::LiveVideoStatus::Live {
                live_object_ids.insert(id.clone());
            }
            object_ids.insert(id);
        }
    }
    assert_eq!(object_ids.len(), 7);
    assert_eq!(live_object_ids.len(), 1);

    let mut decoder = EventDecoder::new();
    let mut comments = 0;
    for record in read_records(rt2_corpus::CHATOMNI_CAPTURE) {
        let Record::Frame(f) = record else { continue };
        let Some(args) = f.data.strip_prefix("42/chatomni,") else {
            continue;
        };
        let event = decoder.decode_args(args).unwrap();
        if let Some(object_id) = event.object_id() {
            let conversation = event.conversation.as_ref().unwrap();
            assert_eq!(conversation.channel_type, ChannelType::Facebook);
            assert_eq!(conversation.channel_id, rt2_corpus::PAGE_ID);
            assert!(live_object_ids.contains(object_id), "{object_id}");
            comments += 1;
        }
    }
    assert!(comments > 100, "{comments}");
}

#[test]
fn the_session_has_several_conversations_on_both_channels() {
    let mut decoder = EventDecoder::new();
    let mut facebook = HashSet::new();
    let mut zalo = HashSet::new();
    for record in read_records(rt2_corpus::CHATOMNI_CAPTURE) {
        let Record::Frame(f) = record else { continue };
        let Some(args) = f.data.strip_prefix("42/chatomni,") else {
            continue;
        };
        let event = decoder.decode_args(args).unwrap();
        let c = event.conversation.as_ref().unwrap();
        match c.channel_type {
            ChannelType::Facebook => facebook.insert(c.id.to_string()),
            ChannelType::Zalo => zalo.insert(c.id.to_string()),
            ChannelType::Other(n) => panic!("unexpected channel {n}"),
        };
    }
    assert!(facebook.len() >= 5, "{facebook:?}");
    assert!(zalo.len() >= 3, "{zalo:?}");
}

/// The frames of the session that the browser samples show, with the token frame redacted.
fn expected_sample_frames(count: usize) -> Vec<(Direction, String)> {
    rt2_corpus::session_frames(rt2_corpus::DEFAULT_SEED)
        .into_iter()
        .take(count)
        .map(|f| (f.from, f.data))
        .collect()
}

fn frames_of(records: &[Record]) -> Vec<(Direction, String)> {
    records
        .iter()
        .filter_map(|r| match r {
            Record::Frame(f) => Some((f.from, f.data.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn the_chrome_har_imports_with_its_frames_and_the_live_video_request() {
    use sio_capture::import::{ImportOptions, InputKind, import_capture};
    let bytes = std::fs::read(captures_dir().join(rt2_corpus::CHROME_HAR)).unwrap();
    let imported = import_capture(&bytes, &ImportOptions::default()).unwrap();
    assert_eq!(imported.summary.kind, InputKind::Har);
    let frames = frames_of(&imported.records);
    let expected = expected_sample_frames(frames.len());
    assert!(frames.len() >= 8, "{}", frames.len());
    assert_eq!(frames.last().unwrap().1, "3");
    for (i, (got, want)) in frames.iter().zip(&expected).enumerate() {
        assert_eq!(got.0, want.0, "frame {i}");
        if i == 1 {
            // The importer redacted the JWT Chrome left in the sent frame.
            assert!(want.1.contains("eyJ"));
            assert!(
                got.1
                    .starts_with(r#"40/chatomni,{"token":"[jwt TenantId=tomato.tpos.vn "#)
            );
        } else {
            assert_eq!(got.1, want.1, "frame {i}");
        }
    }
    let http: Vec<_> = imported
        .records
        .iter()
        .filter_map(|r| match r {
            Record::Http(h) => Some(h),
            _ => None,
        })
        .collect();
    assert_eq!(http.len(), 1);
    assert!(
        http[0]
            .url
            .contains("/api/facebook-graph/livevideo?pageid=")
    );
    let page = decode_live_video_page(&http[0].body).unwrap();
    assert_eq!(page.data.len(), rt2_corpus::LIVE_VIDEO_LIMIT as usize);
}

#[test]
fn the_devtools_copy_imports_with_directions_and_frames() {
    use sio_capture::import::{ImportOptions, InputKind, import_capture};
    let bytes = std::fs::read(captures_dir().join(rt2_corpus::DEVTOOLS_TEXT)).unwrap();
    let imported = import_capture(&bytes, &ImportOptions::default()).unwrap();
    assert_eq!(imported.summary.kind, InputKind::DevtoolsText);
    let frames = frames_of(&imported.records);
    let text = String::from_utf8(bytes).unwrap();
    assert_eq!(frames.len(), text.lines().count());
    assert_eq!(
        frames[0],
        (Direction::Server, rt2_corpus::OPEN_FRAME.to_owned())
    );
    assert_eq!(frames[1].0, Direction::Client);
    assert!(
        !frames[1].1.contains("eyJ"),
        "the token is redacted on import"
    );
    assert_eq!(
        frames[3].1,
        rt2_corpus::on_events_frame(rt2_corpus::SEED_EVENT_JSON)
    );
    assert_eq!(frames.last().unwrap(), &(Direction::Client, "3".to_owned()));
}
