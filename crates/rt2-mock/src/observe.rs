//! What the mock publishes to a [`sio_ui::Observer`] (the web view, any other subscriber): each
//! session's connection records (open with its sid, transport, peer and URL; upgrade; close
//! with the reason) and every frame both ways, as capture records, redacted before they leave
//! the session. The `conn` of a record is the session's number in this run, from 1.
//!
//! A leaf, like `state.rs`: the session task holds an `Option<SessionObserver>` and calls it
//! where frames pass; with no observer configured that is one `None` test, no allocation.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use sio_capture::{
    ConnEvent, ConnRecord, Direction, FrameRecord, Record, RedactionReport, Redactor, Transport,
};
use sio_session::TransportKind;
use sio_ui::Observer;

/// The run's link to its observer: where record times start and how sessions are numbered.
#[derive(Debug)]
pub(crate) struct ObserveLink {
    observer: Observer,
    epoch: Instant,
    conns: AtomicU32,
    redactor: Redactor,
}

impl ObserveLink {
    pub(crate) fn new(observer: Observer) -> Self {
        ObserveLink {
            observer,
            epoch: Instant::now(),
            conns: AtomicU32::new(0),
            redactor: Redactor::default(),
        }
    }
}

/// One session's publisher (cloned by a live room that writes the session's events itself).
#[derive(Debug, Clone)]
pub(crate) struct SessionObserver {
    link: std::sync::Arc<ObserveLink>,
    conn: u32,
}

fn transport(kind: TransportKind) -> Transport {
    match kind {
        TransportKind::Polling => Transport::Polling,
        TransportKind::WebSocket => Transport::Websocket,
    }
}

impl SessionObserver {
    /// Numbers a new session and publishes its `open` record (the URL redacted: a token in
    /// its query never leaves the session).
    pub(crate) fn open(
        link: &std::sync::Arc<ObserveLink>,
        sid: &str,
        kind: TransportKind,
        remote: std::net::SocketAddr,
        url: &http::Uri,
    ) -> Self {
        let conn = link.conns.fetch_add(1, Ordering::Relaxed) + 1;
        let observer = SessionObserver {
            link: link.clone(),
            conn,
        };
        let url = url.to_string();
        let url = link
            .redactor
            .redact_url(&url, &mut RedactionReport::default())
            .into_owned();
        observer.publish(Record::Conn(
            ConnRecord::new(observer.t_ms(), conn, ConnEvent::Open)
                .with_sid(sid)
                .with_transport(transport(kind))
                .with_remote(remote.to_string())
                .with_url(url),
        ));
        observer
    }

    fn t_ms(&self) -> f64 {
        self.link.epoch.elapsed().as_secs_f64() * 1000.0
    }

    fn redact(&self, record: &mut Record) {
        self.link
            .redactor
            .redact_record(record, &mut RedactionReport::default());
    }

    /// A record every view needs (a connection's open, upgrade, close): redacted, and
    /// published whatever the rate budget.
    fn publish(&self, mut record: Record) {
        self.redact(&mut record);
        self.link.observer.publish(record);
    }

    /// The session moved to `kind` (an upgrade to WebSocket).
    pub(crate) fn upgrade(&self, kind: TransportKind) {
        self.publish(Record::Conn(
            ConnRecord::new(self.t_ms(), self.conn, ConnEvent::Upgrade)
                .with_transport(transport(kind)),
        ));
    }

    /// The session ended, for `reason`.
    pub(crate) fn close(&self, reason: &str) {
        self.publish(Record::Conn(
            ConnRecord::new(self.t_ms(), self.conn, ConnEvent::Close).with_reason(reason),
        ));
    }

    /// One Engine.IO text frame (or one packet of a polling payload). Text in which the
    /// redactor could find nothing skips it: most of a busy mock's frames are replayed events
    /// with no secret in them, and a full redaction pass costs more than the rest of
    /// publishing.
    ///
    /// Frames go through the observer's rate budget: past it, not even the record is built.
    pub(crate) fn text(&self, from: Direction, text: &str) {
        self.link.observer.publish_with(|| {
            let mut record = Record::Frame(FrameRecord::text(self.t_ms(), self.conn, from, text));
            if may_hold_secret(text) {
                self.redact(&mut record);
            }
            record
        });
    }

    /// One binary frame (through the rate budget, like [`SessionObserver::text`]).
    pub(crate) fn binary(&self, from: Direction, bytes: &[u8]) {
        self.link.observer.publish_with(|| {
            let mut record =
                Record::Frame(FrameRecord::binary(self.t_ms(), self.conn, from, bytes));
            self.redact(&mut record);
            record
        });
    }

    /// A long-polling payload: one record per packet, as a WebSocket would carry them.
    pub(crate) fn payload(&self, from: Direction, body: &str) {
        for packet in body.split('\x1e') {
            self.text(from, packet);
        }
    }
}

/// Substrings (compared without regard to ASCII case) one of which every default token field
/// name holds; a test keeps them in step with `sio_capture::redact::DEFAULT_TOKEN_FIELDS`. Each
/// comes with the index of a letter rare in chat text (`k`, `w`), which the search looks for
/// first: `t` or `p` would stop it at every other word.
const TOKEN_FIELD_STEMS: &[(&[u8], usize)] = &[(b"token", 2), (b"password", 4)];

/// False only when the default redactor would leave `text` as it is: it holds no `eyJ` (every
/// JWT the redactor finds starts so), no token field name, and no `\u` escape (which could
/// spell a field name in other letters).
fn may_hold_secret(text: &str) -> bool {
    let bytes = text.as_bytes();
    memchr::memmem::find(bytes, b"eyJ").is_some()
        || memchr::memmem::find(bytes, b"\\u").is_some()
        || TOKEN_FIELD_STEMS
            .iter()
            .any(|&(stem, anchor)| contains_ignore_ascii_case(bytes, stem, anchor))
}

/// True when `haystack` holds `needle` in any ASCII case, found by looking for its byte at
/// `anchor` first.
fn contains_ignore_ascii_case(haystack: &[u8], needle: &[u8], anchor: usize) -> bool {
    let Some(&letter) = needle.get(anchor) else {
        return needle.is_empty();
    };
    memchr::memchr2_iter(
        letter.to_ascii_lowercase(),
        letter.to_ascii_uppercase(),
        haystack,
    )
    .any(|at| {
        at.checked_sub(anchor)
            .and_then(|start| haystack.get(start..start + needle.len()))
            .is_some_and(|candidate| candidate.eq_ignore_ascii_case(needle))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use sio_ui::Observed;

    #[test]
    fn every_default_token_field_holds_a_stem_the_quick_check_looks_for() {
        for field in sio_capture::redact::DEFAULT_TOKEN_FIELDS {
            assert!(
                TOKEN_FIELD_STEMS
                    .iter()
                    .any(|&(stem, anchor)| contains_ignore_ascii_case(
                        field.as_bytes(),
                        stem,
                        anchor
                    )),
                "{field}: add its stem to TOKEN_FIELD_STEMS"
            );
        }
    }

    #[test]
    fn the_case_blind_search_finds_a_needle_anywhere_in_any_case() {
        for (hay, found) in [
            ("token", true),
            ("xTOKEN", true),
            ("a ToKeN b", true),
            ("tokn", false),
            ("ken", false),
            ("toke", false),
            ("", false),
        ] {
            assert_eq!(
                contains_ignore_ascii_case(hay.as_bytes(), b"token", 2),
                found,
                "{hay}"
            );
        }
    }

    #[test]
    fn text_the_quick_check_passes_is_text_the_redactor_leaves_alone() {
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJUZW5hbnRJZCI6InQifQ.c2ln";
        let mut samples: Vec<String> = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../captures/rt2-chatomni.jsonl"
        ))
        .unwrap()
        .lines()
        .filter_map(|line| match serde_json::from_str::<Record>(line) {
            Ok(Record::Frame(frame)) => Some(frame.data),
            _ => None,
        })
        .collect();
        samples.extend([
            format!("40/chatomni,{{\"token\":\"{jwt}\"}}"),
            "42[\"e\",{\"Password\":\"x\"}]".to_owned(),
            "42[\"e\",\"{\\\"accessToken\\\":\\\"x\\\"}\"]".to_owned(),
            "42[\"e\",{\"\\u0074oken\":\"x\"}]".to_owned(),
            format!("42[\"e\",\"Bearer {jwt}\"]"),
            "42[\"e\",{\"TOKEN\":\"x\"}]".to_owned(),
        ]);
        let redactor = Redactor::default();
        let mut changed = 0;
        for text in &samples {
            let clean = redactor.redact_text(text, &mut RedactionReport::default());
            if clean != text.as_str() {
                changed += 1;
                assert!(
                    may_hold_secret(text),
                    "the quick check passed a secret: {text}"
                );
            }
        }
        assert!(changed >= 6, "only {changed} samples held a secret");
        assert!(!may_hold_secret(
            "42/chatomni,[\"on-events\",\"{\\\"Name\\\":\\\"Th\u{1ea3}o\\\"}\"]"
        ));
    }

    #[tokio::test]
    async fn sessions_are_numbered_and_what_they_publish_is_redacted() {
        let observer = Observer::new(16);
        let mut view = observer.subscribe();
        let link = std::sync::Arc::new(ObserveLink::new(observer));
        let uri: http::Uri = "/socket.io/?EIO=4&transport=polling&access_token=s3cret"
            .parse()
            .unwrap();
        let first = SessionObserver::open(
            &link,
            "sid1",
            TransportKind::Polling,
            "127.0.0.1:5".parse().unwrap(),
            &uri,
        );
        let second = SessionObserver::open(
            &link,
            "sid2",
            TransportKind::WebSocket,
            "127.0.0.1:6".parse().unwrap(),
            &uri,
        );
        first.payload(Direction::Client, "40/chatomni,{\"token\":\"abc\"}\x1e2");
        second.close("client gone");
        let mut records = Vec::new();
        for _ in 0..5 {
            match view.next().await {
                Observed::Record(r) => records.push((*r).clone()),
                other => panic!("{other:?}"),
            }
        }
        let Record::Conn(open) = &records[0] else {
            panic!("{:?}", records[0])
        };
        assert_eq!((open.conn, open.sid.as_deref()), (1, Some("sid1")));
        assert_eq!(open.remote.as_deref(), Some("127.0.0.1:5"));
        let url = open.url.as_deref().unwrap();
        assert!(
            !url.contains("s3cret") && url.contains("access_token="),
            "{url}"
        );
        let Record::Conn(open2) = &records[1] else {
            panic!()
        };
        assert_eq!(
            (open2.conn, open2.transport),
            (2, Some(Transport::Websocket))
        );
        let Record::Frame(connect) = &records[2] else {
            panic!()
        };
        assert_eq!(connect.data, "40/chatomni,{\"token\":\"[redacted]\"}");
        assert_eq!((connect.conn, connect.from), (1, Direction::Client));
        let Record::Frame(ping) = &records[3] else {
            panic!()
        };
        assert_eq!(ping.data, "2");
        let Record::Conn(close) = &records[4] else {
            panic!()
        };
        assert_eq!(
            (close.conn, close.event, close.reason.as_deref()),
            (2, ConnEvent::Close, Some("client gone"))
        );
    }
}
