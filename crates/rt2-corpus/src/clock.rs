//! Wall-clock times in the forms rt-2 and Facebook write them.
//!
//! All arithmetic is in whole microseconds since the Unix epoch (integers), so the generated
//! files are the same on every machine: no floating-point rounding decides a digit.

use time::macros::{format_description, offset};
use time::{OffsetDateTime, UtcOffset};

/// Vietnam's offset, in which TPOS writes local times (`+07:00`).
const VIETNAM: UtcOffset = offset!(+7);

/// Microseconds since the Unix epoch.
pub(crate) type Micros = i64;

/// One second in microseconds.
pub(crate) const SECOND: Micros = 1_000_000;

/// One millisecond in microseconds.
pub(crate) const MILLI: Micros = 1_000;

fn at(t: Micros) -> OffsetDateTime {
    // Every time this crate makes lies within years of 2026, well inside `time`'s range; the
    // epoch is a harmless fallback that tests would notice.
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(t) * 1000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn render(
    dt: OffsetDateTime,
    format: &[time::format_description::BorrowedFormatItem<'_>],
) -> String {
    // Formatting a valid date with a fixed description only fails on a full writer.
    dt.format(format).unwrap_or_default()
}

/// `2026-01-07T13:30:51.329Z`: UTC with milliseconds (`Conversation.UpdatedTime`).
pub(crate) fn utc_millis(t: Micros) -> String {
    render(
        at(t),
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"),
    )
}

/// `2026-01-07T20:30:45+07:00`: Vietnam time, whole seconds (`Message.Data.created_time`).
pub(crate) fn local_seconds(t: Micros) -> String {
    render(
        at(t).to_offset(VIETNAM),
        format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second][offset_hour sign:mandatory]:[offset_minute]"
        ),
    )
}

/// `2026-01-07T20:30:51.312+07:00`: Vietnam time with milliseconds (`Message.CreatedTime`).
pub(crate) fn local_millis(t: Micros) -> String {
    render(
        at(t).to_offset(VIETNAM),
        format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3][offset_hour sign:mandatory]:[offset_minute]"
        ),
    )
}

/// `20:30:51.329`: the time of day in Vietnam, as DevTools' messages pane shows it.
pub(crate) fn local_time_of_day(t: Micros) -> String {
    render(
        at(t).to_offset(VIETNAM),
        format_description!("[hour]:[minute]:[second].[subsecond digits:3]"),
    )
}

/// `2026-01-07T12:58:10+0000`: Facebook Graph's form (`creation_time`).
pub(crate) fn graph_time(t: Micros) -> String {
    render(
        at(t),
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]+0000"),
    )
}

/// `2026-01-07T13:30:42.273Z`: HAR's `startedDateTime`.
pub(crate) fn har_time(t: Micros) -> String {
    utc_millis(t)
}

/// Seconds since the epoch with microseconds, as Chrome writes `_webSocketMessages[].time`.
pub(crate) fn epoch_seconds(t: Micros) -> f64 {
    // Both operands are exact in f64 (t < 2^53); one division rounds once, the same everywhere.
    t as f64 / 1e6
}

/// Milliseconds with microsecond precision, for a capture's `t_ms`.
pub(crate) fn offset_millis(t: Micros) -> f64 {
    t as f64 / 1e3
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-01-07T13:30:45Z, the seed message's `created_time`.
    const SEED_CREATED: Micros = 1_767_792_645 * SECOND;

    #[test]
    fn the_seeds_formats_are_reproduced() {
        assert_eq!(local_seconds(SEED_CREATED), "2026-01-07T20:30:45+07:00");
        assert_eq!(
            utc_millis(SEED_CREATED + 6 * SECOND + 329 * MILLI),
            "2026-01-07T13:30:51.329Z"
        );
        assert_eq!(
            local_millis(SEED_CREATED + 12 * MILLI),
            "2026-01-07T20:30:45.012+07:00"
        );
        assert_eq!(local_time_of_day(SEED_CREATED), "20:30:45.000");
        assert_eq!(graph_time(SEED_CREATED), "2026-01-07T13:30:45+0000");
        assert_eq!(epoch_seconds(SEED_CREATED + 1), 1_767_792_645.000_001);
    }
}
