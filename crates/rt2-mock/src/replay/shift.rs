//! Shifting the timestamps inside replayed events so a replay looks recorded just now.
//!
//! rt-2's events carry RFC 3339 timestamps at two levels: in the outer JSON and inside the
//! stringified `on-events` payload (`"UpdatedTime":"2026-01-07T13:30:51.329Z"`,
//! `"created_time":"2026-01-07T20:30:45+07:00"`). Timestamps never contain a character JSON
//! escapes, so one textual pass over the packet finds them at both levels without decoding
//! either, and leaves key order, escaping and everything else byte-for-byte as captured.

use std::sync::Arc;
use std::time::Duration;

use time::{OffsetDateTime, format_description::well_known::Rfc3339};

/// How a run moves replayed timestamps: not at all, or so that each pass of the timeline looks
/// recorded when it starts. Worked out once at start-up from the capture.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimestampShift {
    /// When the capture's timeline starts, in wall time; `None` leaves payloads as captured.
    origin: Option<OffsetDateTime>,
}

impl TimestampShift {
    /// Payloads are replayed as captured.
    pub const NONE: Self = Self { origin: None };

    /// Shifts timestamps relative to `origin`, the wall time of the timeline's start (the
    /// capture's `started_at` plus the offset of its first event), when there is one.
    pub fn from_origin(origin: Option<OffsetDateTime>) -> Self {
        Self { origin }
    }

    /// `data` with its timestamps moved so that the pass starting `pass_start` into a replay
    /// begun at `started_wall` looks recorded now; `data` itself when there is nothing to do.
    pub fn apply(
        &self,
        data: Arc<str>,
        started_wall: OffsetDateTime,
        pass_start: Duration,
    ) -> Arc<str> {
        let Some(origin) = self.origin else {
            return data;
        };
        let pass_wall = started_wall + pass_start;
        let delta = pass_wall - origin;
        // Whole milliseconds keep the shifted timestamps as precise as the captured ones.
        let delta = time::Duration::milliseconds(
            i64::try_from(delta.whole_milliseconds()).unwrap_or(i64::MAX),
        );
        match shift_timestamps(&data, delta) {
            Some(shifted) => shifted.into(),
            None => data,
        }
    }
}

/// Returns `packet` with every JSON string that is exactly an RFC 3339 timestamp moved by
/// `delta`, keeping each one's precision and offset style; `None` when nothing changed.
///
/// ```
/// use rt2_mock::replay::shift_timestamps;
/// let packet = r#"2/chatomni,["on-events","{\"UpdatedTime\":\"2026-01-07T13:30:51.329Z\"}"]"#;
/// let shifted = shift_timestamps(packet, time::Duration::hours(1)).unwrap();
/// assert_eq!(shifted, r#"2/chatomni,["on-events","{\"UpdatedTime\":\"2026-01-07T14:30:51.329Z\"}"]"#);
/// ```
pub fn shift_timestamps(packet: &str, delta: time::Duration) -> Option<String> {
    let bytes = packet.as_bytes();
    let mut out = String::new();
    let mut copied = 0;
    let mut i = 1;
    while i < bytes.len() {
        // A candidate starts right after a quote with four digits and a dash.
        if bytes[i - 1] == b'"' && bytes.len() - i >= 20 && is_date_prefix(&bytes[i..]) {
            let end = i + bytes[i..]
                .iter()
                .position(|&b| !(b.is_ascii_digit() || b"-:.+TZ".contains(&b)))
                .unwrap_or(bytes.len() - i);
            let closes_string = matches!(bytes.get(end), Some(b'"') | Some(b'\\'));
            if closes_string {
                if let Some(shifted) = shift_one(&packet[i..end], delta) {
                    out.push_str(&packet[copied..i]);
                    out.push_str(&shifted);
                    copied = end;
                }
            }
            i = end.max(i + 1);
            continue;
        }
        i += 1;
    }
    if copied == 0 {
        return None;
    }
    out.push_str(&packet[copied..]);
    Some(out)
}

fn is_date_prefix(bytes: &[u8]) -> bool {
    bytes.len() >= 11
        && bytes[..4].iter().all(u8::is_ascii_digit)
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes[10] == b'T'
}

/// Shifts one timestamp, writing it back with as many fractional digits as it had and the same
/// offset style (`Z` or `±hh:mm`).
fn shift_one(text: &str, delta: time::Duration) -> Option<String> {
    let parsed = OffsetDateTime::parse(text, &Rfc3339).ok()?;
    let shifted = parsed.checked_add(delta)?;
    let fraction_digits = text.split_once('.').map_or(0, |(_, rest)| {
        rest.bytes().take_while(u8::is_ascii_digit).count()
    });
    let mut out = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        shifted.year(),
        u8::from(shifted.month()),
        shifted.day(),
        shifted.hour(),
        shifted.minute(),
        shifted.second()
    );
    if fraction_digits > 0 {
        let nanos = format!("{:09}", shifted.nanosecond());
        out.push('.');
        out.push_str(&nanos[..fraction_digits.min(9)]);
    }
    if text.ends_with('Z') || text.ends_with('z') {
        out.push('Z');
    } else {
        let (hours, minutes, _) = shifted.offset().as_hms();
        let sign = if hours < 0 || minutes < 0 { '-' } else { '+' };
        out.push_str(&format!(
            "{sign}{:02}:{:02}",
            hours.unsigned_abs(),
            minutes.unsigned_abs()
        ));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shifts_both_levels_and_keeps_offset_style_and_precision() {
        let packet = r#"2/chatomni,["on-events","{\"Conversation\":{\"UpdatedTime\":\"2026-01-07T13:30:51.329Z\"},\"Message\":{\"Data\":{\"created_time\":\"2026-01-07T20:30:45+07:00\"}}}",{"at":"2026-01-07T13:30:00Z"}]"#;
        let shifted = shift_timestamps(packet, time::Duration::minutes(90)).unwrap();
        assert_eq!(
            shifted,
            r#"2/chatomni,["on-events","{\"Conversation\":{\"UpdatedTime\":\"2026-01-07T15:00:51.329Z\"},\"Message\":{\"Data\":{\"created_time\":\"2026-01-07T22:00:45+07:00\"}}}",{"at":"2026-01-07T15:00:00Z"}]"#
        );
    }

    #[test]
    fn leaves_non_timestamps_alone() {
        let packet =
            r#"2/chatomni,["on-events","{\"Id\":\"2026-01-07Tnot-a-time\",\"n\":20260107}"]"#;
        assert_eq!(shift_timestamps(packet, time::Duration::hours(1)), None);
        // A timestamp inside a longer string is part of a sentence, not a time field.
        let sentence = r#"2/chatomni,["say","2026-01-07T13:30:51Z was late"]"#;
        assert_eq!(shift_timestamps(sentence, time::Duration::hours(1)), None);
    }

    #[test]
    fn negative_offsets_and_day_rollover() {
        let packet = r#"["x","2026-12-31T23:59:59.5-03:30"]"#;
        let shifted = shift_timestamps(packet, time::Duration::seconds(1)).unwrap();
        assert_eq!(shifted, r#"["x","2027-01-01T00:00:00.5-03:30"]"#);
    }
}
