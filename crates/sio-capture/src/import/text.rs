//! Importers for text logs: DevTools message-pane copies and plain frame-per-line text.
//!
//! Chrome's Messages pane is a grid with the columns Data, Length and Time; copying rows gives
//! them tab-separated, and hand-made logs often add `↑` (sent) or `↓` (received) in front of
//! the data and a wall-clock time such as `13:30:51.329` before or after it. All of these are
//! accepted, in any mix (Chrome's "Copy message" copies the data alone, which is the plain
//! text case):
//!
//! ```text
//! ↓ 13:30:51.329 42/chatomni,["on-events","{...}"]
//! 42/chatomni,["on-events","{...}"]<TAB>517<TAB>13:30:51.329
//! ↑<TAB>40/chatomni,{"token":"..."}<TAB>33<TAB>13:30:50.907
//! ```

use super::{ImportSummary, Imported, InputKind, finish, infer_direction};
use crate::error::{CaptureError, ImportError, ImportLocation};
use crate::record::{Direction, FrameRecord, Header, Record};

/// Milliseconds in a day, for logs that run past midnight.
const DAY_MS: f64 = 86_400_000.0;

/// Chrome shows this instead of the payload of a binary message.
const CHROME_BINARY_PLACEHOLDER: &str = "Binary Message";

pub(super) fn input_as_str(input: &[u8], kind: InputKind) -> Result<&str, CaptureError> {
    let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    std::str::from_utf8(input).map_err(|e| {
        let offset = e.valid_up_to();
        let line = 1 + memchr::memchr_iter(b'\n', &input[..offset]).count() as u64;
        CaptureError::Import(ImportError {
            format: kind.name(),
            location: ImportLocation::Line(line),
            message: format!(
                "expected UTF-8 text, found an invalid byte at byte {offset} of the input"
            ),
        })
    })
}

/// True when a line shows a sign of a DevTools copy: an arrow, a tab, or a time.
pub(super) fn has_devtools_marks(line: &str) -> bool {
    let line = line.trim();
    line.contains('\t')
        || line.starts_with(is_arrow)
        || line
            .split_whitespace()
            .next()
            .is_some_and(|first| parse_time_of_day(first).is_some())
        || line
            .rsplit_once(char::is_whitespace)
            .is_some_and(|(_, last)| parse_time_of_day(last).is_some())
}

fn is_arrow(c: char) -> bool {
    arrow_direction(c).is_some()
}

fn arrow_direction(c: char) -> Option<Direction> {
    match c {
        '↑' | '⬆' | '🡅' => Some(Direction::Client),
        '↓' | '⬇' | '🡇' => Some(Direction::Server),
        _ => None,
    }
}

/// `13:30:51.329` (hours may have one digit, the fraction 0 to 9 digits) as milliseconds of
/// the day.
fn parse_time_of_day(token: &str) -> Option<f64> {
    let (hms, fraction) = match token.split_once('.') {
        Some((hms, fraction)) => (hms, Some(fraction)),
        None => (token, None),
    };
    let mut parts = hms.split(':');
    let h = parts.next()?;
    let m = parts.next()?;
    let s = parts.next()?;
    if parts.next().is_some()
        || !(1..=2).contains(&h.len())
        || m.len() != 2
        || s.len() != 2
        || ![h, m, s]
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let (h, m, s): (f64, f64, f64) = (h.parse().ok()?, m.parse().ok()?, s.parse().ok()?);
    if h >= 24.0 || m >= 60.0 || s >= 61.0 {
        return None;
    }
    let mut ms = (h * 3600.0 + m * 60.0 + s) * 1000.0;
    if let Some(fraction) = fraction {
        if fraction.is_empty()
            || fraction.len() > 9
            || !fraction.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let value: f64 = fraction.parse().ok()?;
        ms += value / 10f64.powi(fraction.len() as i32) * 1000.0;
    }
    Some(ms)
}

/// One parsed line of a DevTools copy.
struct DevtoolsLine<'a> {
    from: Option<Direction>,
    time_of_day_ms: Option<f64>,
    data: &'a str,
}

fn parse_devtools_line(line: &str) -> Result<DevtoolsLine<'_>, String> {
    let mut from = None;
    let mut time_of_day_ms = None;
    if line.contains('\t') {
        // Chrome's grid columns (Data, Length, Time), possibly with an arrow column or prefix.
        let mut data = None;
        for column in line.split('\t') {
            let mut column = column.trim_matches(' ');
            if data.is_none() {
                if let Some(c) = column.chars().next().filter(|c| is_arrow(*c)) {
                    from = arrow_direction(c);
                    column = column[c.len_utf8()..].trim_start();
                    if column.is_empty() {
                        continue;
                    }
                }
            }
            if column.is_empty() {
                continue;
            }
            if let Some(ms) = parse_time_of_day(column) {
                time_of_day_ms = Some(ms);
                continue;
            }
            if data.is_none() {
                data = Some(column);
            }
            // Any later column is the Length: it says nothing the data does not.
        }
        let data = data.ok_or("expected a frame's data in one of the tab-separated columns")?;
        return Ok(DevtoolsLine {
            from,
            time_of_day_ms,
            data,
        });
    }
    let mut rest = line.trim();
    while let Some(first) = rest.chars().next() {
        if let Some(direction) = arrow_direction(first) {
            from = Some(direction);
            rest = rest[first.len_utf8()..].trim_start();
            continue;
        }
        let token = rest.split_whitespace().next().unwrap_or("");
        if time_of_day_ms.is_none() && rest.len() > token.len() {
            if let Some(ms) = parse_time_of_day(token) {
                time_of_day_ms = Some(ms);
                rest = rest[token.len()..].trim_start();
                continue;
            }
        }
        break;
    }
    if time_of_day_ms.is_none() {
        if let Some((head, last)) = rest.rsplit_once(char::is_whitespace) {
            if let Some(ms) = parse_time_of_day(last) {
                time_of_day_ms = Some(ms);
                rest = head.trim_end();
            }
        }
    }
    if rest.is_empty() || (time_of_day_ms.is_none() && parse_time_of_day(rest).is_some()) {
        return Err("expected a frame's data after the direction mark and time".to_owned());
    }
    Ok(DevtoolsLine {
        from,
        time_of_day_ms,
        data: rest,
    })
}

/// Imports text copied from a browser's WebSocket messages pane (without redacting:
/// [`super::import_capture`] redacts). All frames belong to connection 1.
///
/// # Errors
///
/// [`CaptureError::Import`] naming the line of a row with no frame data.
pub fn import_devtools_text(input: &str) -> Result<Imported, CaptureError> {
    let mut summary = ImportSummary::new(InputKind::DevtoolsText);
    let mut records = Vec::new();
    let mut first_time: Option<f64> = None;
    let mut last_time = 0.0;
    let mut day_offset = 0.0;
    let mut binary_placeholders = 0u64;
    for (index, line) in input.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let parsed = parse_devtools_line(line).map_err(|message| {
            CaptureError::Import(ImportError {
                format: InputKind::DevtoolsText.name(),
                location: ImportLocation::Line(index as u64 + 1),
                message,
            })
        })?;
        if let Some(ms) = parsed.time_of_day_ms {
            let mut ms = ms + day_offset;
            if ms + DAY_MS / 2.0 < last_time {
                day_offset += DAY_MS;
                ms += DAY_MS;
            }
            last_time = ms;
            first_time.get_or_insert(ms);
        }
        if parsed.data == CHROME_BINARY_PLACEHOLDER {
            binary_placeholders += 1;
            continue;
        }
        let from = parsed.from.unwrap_or_else(|| {
            summary.inferred_directions += 1;
            infer_direction(parsed.data)
        });
        let t_ms = first_time.map_or(0.0, |first| last_time - first);
        records.push(Record::Frame(FrameRecord::text(t_ms, 1, from, parsed.data)));
    }
    if binary_placeholders > 0 {
        summary.notes.push(format!(
            "{binary_placeholders} binary message(s) skipped: the copy shows \"{CHROME_BINARY_PLACEHOLDER}\" instead of their bytes (export a HAR to keep them)"
        ));
    }
    if first_time.is_none() && !records.is_empty() {
        summary
            .notes
            .push("the log has no times: every frame is at t = 0".to_owned());
    }
    summary.connections = u32::from(!records.is_empty());
    Ok(finish(
        Header::new(InputKind::DevtoolsText.source()),
        records,
        summary,
    ))
}

/// Imports plain text, one frame per line (blank lines skipped), all at t = 0 on connection
/// 1, with directions inferred from the packets (without redacting: [`super::import_capture`]
/// redacts).
///
/// # Errors
///
/// None today; the `Result` leaves room for limits.
pub fn import_plain_text(input: &str) -> Result<Imported, CaptureError> {
    let mut summary = ImportSummary::new(InputKind::PlainText);
    let records: Vec<Record> = input
        .lines()
        .map(|line| line.strip_suffix('\r').unwrap_or(line))
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            summary.inferred_directions += 1;
            Record::Frame(FrameRecord::text(0.0, 1, infer_direction(line), line))
        })
        .collect();
    summary.connections = u32::from(!records.is_empty());
    Ok(finish(
        Header::new(InputKind::PlainText.source()),
        records,
        summary,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_of_day_parse_with_and_without_fractions() {
        assert_eq!(parse_time_of_day("13:30:51.329"), Some(48_651_329.0));
        assert_eq!(parse_time_of_day("1:00:00"), Some(3_600_000.0));
        assert_eq!(parse_time_of_day("13:30:51.5"), Some(48_651_500.0));
        assert_eq!(parse_time_of_day("24:00:00"), None);
        assert_eq!(parse_time_of_day("13:30"), None);
        assert_eq!(parse_time_of_day("42/chatomni,[]"), None);
    }

    #[test]
    fn line_shapes() {
        let l = parse_devtools_line("↓ 13:30:51.329 42/chatomni,[\"x\"]").unwrap();
        assert_eq!(
            (l.from, l.data),
            (Some(Direction::Server), "42/chatomni,[\"x\"]")
        );
        assert_eq!(l.time_of_day_ms, Some(48_651_329.0));
        let l = parse_devtools_line("2\t1\t13:30:51.329").unwrap();
        assert_eq!(
            (l.from, l.data, l.time_of_day_ms),
            (None, "2", Some(48_651_329.0))
        );
        let l = parse_devtools_line("↑\t3\t1\t13:30:51.400").unwrap();
        assert_eq!((l.from, l.data), (Some(Direction::Client), "3"));
        let l = parse_devtools_line("40/chatomni,{} 13:30:51.329").unwrap();
        assert_eq!(
            (l.data, l.time_of_day_ms),
            ("40/chatomni,{}", Some(48_651_329.0))
        );
        assert!(parse_devtools_line("↑ 13:30:51.329").is_err());
    }

    #[test]
    fn midnight_wraps_forward() {
        let imported = import_devtools_text("↓ 23:59:59.900 2\n↑ 00:00:00.100 3\n").unwrap();
        assert_eq!(imported.records[1].t_ms(), 200.0);
    }
}
