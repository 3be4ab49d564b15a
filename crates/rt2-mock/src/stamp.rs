//! Send-time stamps: the opt-in timestamp the mock and `sio-replay load` agree on, so that a
//! load run measures emit-to-receive latency.
//!
//! A client that opens its Engine.IO handshake with the query parameter `stamp=1` gets every
//! text event with one more, last argument: the time the server emitted it, in microseconds
//! since the Unix epoch, as a JSON integer (`["on-events","{…}",1733363200123456]`). "Emitted"
//! is when the event left its source: the room's shared timeline broadcasting it (live mode,
//! one stamp for every member), the session's own replay releasing it, or the admin API or a
//! scenario handing it over. So the figure a client computes (its receive time minus the
//! stamp) holds the mock's fan-out, its send queue, the write and the network: what a user of
//! a broadcasting server waits for. Clients that do not ask see the payloads unchanged.
//!
//! The stamp is wall-clock time: on one machine both sides read the same clock; across
//! machines the figure is off by the clocks' difference (keep them NTP-synchronised).

use std::fmt::Write as _;
use std::sync::Arc;

/// The handshake query parameter that asks for stamps: `stamp=1`.
pub(crate) const STAMP_PARAMETER: &str = "stamp";

/// One event of a live room's timeline, as broadcast to the room's members.
#[derive(Debug, Clone)]
pub(crate) struct RoomEvent {
    /// The payload array.
    pub(crate) data: Arc<str>,
    /// The same payload stamped with the time the room emitted it, built once for every
    /// member that asked for stamps (`None` when the payload is not an array).
    pub(crate) stamped: Option<Arc<str>>,
}

impl RoomEvent {
    /// `data`, emitted now.
    pub(crate) fn now(data: Arc<str>) -> Self {
        let stamped = stamped(&data, unix_micros()).map(Arc::from);
        RoomEvent { data, stamped }
    }
}

/// When a queued event was emitted, for a client that asked for stamps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EmitTime {
    /// Stamped with the time it is delivered (admin and scenario emits).
    AtDelivery,
    /// Emitted at this time, in microseconds since the Unix epoch (a replay releasing it).
    At(u64),
    /// The payload carries its stamp already, or is to be sent as it is.
    InPayload,
}

/// True when an Engine.IO request's query asks for send-time stamps (`stamp=1` or
/// `stamp=true`; the last occurrence wins, as for `room`).
pub(crate) fn wants_stamps(query: &str) -> bool {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .filter(|(key, _)| *key == STAMP_PARAMETER)
        .map(|(_, value)| matches!(value, "1" | "true"))
        .next_back()
        .unwrap_or(false)
}

/// Now, in microseconds since the Unix epoch (0 for a clock set before 1970).
pub(crate) fn unix_micros() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_micros()).unwrap_or(u64::MAX)
        })
}

/// `data` (a JSON array) with `emitted_us` appended as its last element, or `None` when `data`
/// does not end with `]` (it is not an array, and is sent unchanged).
pub(crate) fn stamped(data: &str, emitted_us: u64) -> Option<String> {
    let body = data.trim_end();
    let inner = body.strip_suffix(']')?;
    if !body.starts_with('[') {
        return None;
    }
    let empty = inner[1..].trim().is_empty();
    let mut out = String::with_capacity(body.len() + 18);
    out.push_str(inner);
    if !empty {
        out.push(',');
    }
    // Writing to a String cannot fail.
    let _ = write!(out, "{emitted_us}]");
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_asks_for_stamps_with_stamp_1() {
        assert!(wants_stamps("EIO=4&transport=websocket&stamp=1"));
        assert!(wants_stamps("stamp=true&room=a"));
        assert!(!wants_stamps("EIO=4&transport=websocket"));
        assert!(!wants_stamps("stamp=0"));
        assert!(!wants_stamps("stamp=1&stamp=0"), "the last one wins");
        assert!(!wants_stamps("xstamp=1"));
    }

    #[test]
    fn the_stamp_is_the_last_argument() {
        assert_eq!(
            stamped(r#"["on-events","{}"]"#, 1_733_363_200_123_456).as_deref(),
            Some(r#"["on-events","{}",1733363200123456]"#)
        );
        assert_eq!(stamped("[ ]", 7).as_deref(), Some("[ 7]"));
        assert_eq!(stamped("[\"a\"] \n", 7).as_deref(), Some("[\"a\",7]"));
        assert_eq!(stamped("\"not an array\"", 7), None);
        assert_eq!(stamped("{}", 7), None);
    }

    #[test]
    fn a_room_event_carries_one_stamped_copy_for_every_member() {
        let event = RoomEvent::now(r#"["on-events","{}"]"#.into());
        let stamped = event.stamped.as_deref().expect("an array is stamped");
        let (rest, stamp) = stamped.rsplit_once(',').unwrap();
        assert_eq!(rest, r#"["on-events","{}""#);
        let stamp: u64 = stamp.trim_end_matches(']').parse().unwrap();
        assert!(stamp <= unix_micros());
        assert_eq!(
            &*event.data, r#"["on-events","{}"]"#,
            "the plain copy stays"
        );
        assert!(RoomEvent::now("7".into()).stamped.is_none());
    }

    #[test]
    fn now_is_after_2020() {
        assert!(unix_micros() > 1_577_836_800_000_000);
    }
}
