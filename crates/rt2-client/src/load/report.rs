//! What a load run found: counters and HDR histograms ([`LoadReport`]), the report file that
//! `load --report` writes and `load merge` reads ([`LoadReport::to_file_json`],
//! [`LoadReport::from_file_json`]), the merge of segments ([`LoadReport::merge`]) and the
//! pass/fail thresholds ([`Threshold`]).
//!
//! Percentiles cannot be averaged: the p99 of four segments is not the mean of their p99s. So a
//! report keeps each distribution as an HDR histogram (1 µs to an hour, 3 significant digits)
//! and the file holds them in the `hdrhistogram` crate's V2 serialisation, base64-encoded (the
//! format HdrHistogram's other implementations read, uncompressed). Merging adds the
//! histograms, which gives exactly the histogram of the union of every segment's samples, and
//! percentiles are read from that.

use std::time::Duration;

use base64::Engine as _;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Deserializer, Serializer as _, V2Serializer};
use serde::{Deserialize, Serialize};

use crate::load::segment::Segment;

/// The `report` field of a report file, which tells it from any other JSON.
pub const REPORT_KIND: &str = "sio-replay load report";
/// The version of the report file this build writes and reads.
pub const REPORT_VERSION: u32 = 1;

/// Summary statistics of a set of durations, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
#[non_exhaustive]
pub struct Percentiles {
    /// How many samples.
    pub count: u64,
    /// Smallest.
    pub min_ms: f64,
    /// Median.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Largest.
    pub max_ms: f64,
    /// Mean.
    pub mean_ms: f64,
}

impl Percentiles {
    /// Statistics of a histogram of microseconds.
    pub fn from_micros(histogram: &Histogram<u64>) -> Self {
        let ms = |us: u64| us as f64 / 1000.0;
        if histogram.is_empty() {
            return Percentiles::default();
        }
        Percentiles {
            count: histogram.len(),
            min_ms: ms(histogram.min()),
            p50_ms: ms(histogram.value_at_quantile(0.50)),
            p90_ms: ms(histogram.value_at_quantile(0.90)),
            p99_ms: ms(histogram.value_at_quantile(0.99)),
            max_ms: ms(histogram.max()),
            mean_ms: histogram.mean() / 1000.0,
        }
    }
}

/// A histogram of microseconds from 1 µs to an hour, 3 significant digits: the one shape every
/// histogram of a report has, so that any two add.
pub fn new_histogram() -> Histogram<u64> {
    // Infallible: hdrhistogram refuses only low < 1, high < 2 * low or sigfig > 5, and these
    // constants satisfy all three.
    Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("constant histogram bounds are valid")
}

/// A duration as whole microseconds, at least 1 (the histograms' lowest value).
pub(crate) fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros())
        .unwrap_or(u64::MAX)
        .max(1)
}

/// The distributions of a run, in microseconds.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LoadHistograms {
    /// Connect times of the clients that connected.
    pub connect: Histogram<u64>,
    /// How much later than the first client (of the same process) each client received an
    /// event.
    pub delivery_skew: Histogram<u64>,
    /// Round trips of acked emits.
    pub ack_round_trip: Histogram<u64>,
    /// Receive time minus the server's send-time stamp, for stamped events.
    pub emit_to_receive: Histogram<u64>,
}

impl Default for LoadHistograms {
    fn default() -> Self {
        LoadHistograms {
            connect: new_histogram(),
            delivery_skew: new_histogram(),
            ack_round_trip: new_histogram(),
            emit_to_receive: new_histogram(),
        }
    }
}

/// The result of a run, or of several segments merged.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LoadReport {
    /// The segments this report covers: none for a run without `--segment`, one for a
    /// segment's run, several for a merge.
    pub segments: Vec<Segment>,
    /// Clients asked for (in this segment).
    pub clients: u32,
    /// Clients that connected and joined the namespace.
    pub connected: u32,
    /// Clients that did not.
    pub failed: u32,
    /// The first connect failure, for the person reading the report.
    pub first_error: Option<String>,
    /// Clients that lost their connection during the measuring window.
    pub dropped: u32,
    /// Connect times of the clients that connected.
    pub connect: Percentiles,
    /// How long the ramp-up took (first connect started to last one finished).
    pub ramp_up: Duration,
    /// The measuring window's actual length (the longest, in a merge).
    pub measured: Duration,
    /// Events received by all clients in the window.
    pub events: u64,
    /// `events` per second of the window (in a merge, the sum of the segments' rates: they
    /// ran at the same time).
    pub events_per_sec: f64,
    /// How much later than the first client each client received the same event (within one
    /// process: a merge keeps each segment's samples, it cannot compare clocks across hosts).
    pub delivery_skew: Percentiles,
    /// Events emitted with an ack during the window (with an ack probe).
    pub acks_sent: u64,
    /// Acks received for them.
    pub acks_received: u64,
    /// Round trips of the acked emits.
    pub ack_round_trip: Percentiles,
    /// Emit-to-receive latency of the events that carried the server's send-time stamp.
    pub emit_to_receive: Percentiles,
    /// Stamped events received before their stamp by the local clock (the two clocks are out
    /// of step; each counts as 1 µs in `emit_to_receive`).
    pub stamps_ahead: u64,
    /// Captured sessions played (with `--replay`): emits sent by the clients in the window.
    pub replay_emits: u64,
    /// The server's resident memory before the clients connected, in KiB.
    pub server_rss_before_kib: Option<u64>,
    /// The server's resident memory once every client had connected, in KiB.
    pub server_rss_connected_kib: Option<u64>,
    /// True when the run ended early because the shutdown future completed.
    pub interrupted: bool,
    /// The distributions behind the percentiles.
    pub histograms: LoadHistograms,
}

impl LoadReport {
    /// An empty report for `clients` clients: nothing connected, nothing measured.
    pub fn empty(clients: u32) -> Self {
        LoadReport {
            segments: Vec::new(),
            clients,
            connected: 0,
            failed: 0,
            first_error: None,
            dropped: 0,
            connect: Percentiles::default(),
            ramp_up: Duration::ZERO,
            measured: Duration::ZERO,
            events: 0,
            events_per_sec: 0.0,
            delivery_skew: Percentiles::default(),
            acks_sent: 0,
            acks_received: 0,
            ack_round_trip: Percentiles::default(),
            emit_to_receive: Percentiles::default(),
            stamps_ahead: 0,
            replay_emits: 0,
            server_rss_before_kib: None,
            server_rss_connected_kib: None,
            interrupted: false,
            histograms: LoadHistograms::default(),
        }
    }

    /// Server memory per connected client, in bytes, when both samples exist.
    pub fn server_rss_per_client_bytes(&self) -> Option<f64> {
        let (before, after) = (self.server_rss_before_kib?, self.server_rss_connected_kib?);
        (self.connected > 0)
            .then(|| (after.saturating_sub(before) * 1024) as f64 / f64::from(self.connected))
    }

    /// Recomputes the percentile summaries from the histograms.
    pub(crate) fn summarise(&mut self) {
        let h = &self.histograms;
        self.connect = Percentiles::from_micros(&h.connect);
        self.delivery_skew = Percentiles::from_micros(&h.delivery_skew);
        self.ack_round_trip = Percentiles::from_micros(&h.ack_round_trip);
        self.emit_to_receive = Percentiles::from_micros(&h.emit_to_receive);
        self.acks_received = h.ack_round_trip.len();
    }

    /// The segments of the run that no report covers (when the reports are segments of one
    /// run), in order.
    pub fn missing_segments(&self) -> Vec<Segment> {
        let Some(count) = self.segments.first().map(|s| s.count()) else {
            return Vec::new();
        };
        (0..count)
            .filter_map(|i| Segment::new(i, count).ok())
            .filter(|s| !self.segments.contains(s))
            .collect()
    }

    /// Merges reports of segments that ran at the same time: counters add, histograms add
    /// (so percentiles are those of every sample together), rates add, the window is the
    /// longest. `names` name the reports in errors (file names), in the same order.
    ///
    /// # Errors
    /// [`MergeError`] when there is nothing to merge, when the reports split the run into
    /// different counts of segments, or when one segment appears twice.
    pub fn merge(reports: &[(String, LoadReport)]) -> Result<LoadReport, MergeError> {
        let Some((first_name, first)) = reports.first() else {
            return Err(MergeError::Nothing);
        };
        let mut merged = LoadReport::empty(0);
        let mut seen: Vec<(Segment, &str)> = Vec::new();
        let count = first.segments.first().map(|s| (s.count(), first_name));
        for (name, report) in reports {
            for &segment in &report.segments {
                if let Some((count, count_name)) = count {
                    if segment.count() != count {
                        return Err(MergeError::SegmentCounts {
                            first: count_name.clone(),
                            first_count: count,
                            other: name.clone(),
                            other_count: segment.count(),
                        });
                    }
                }
                if let Some((_, earlier)) = seen.iter().find(|(s, _)| *s == segment) {
                    return Err(MergeError::Duplicate {
                        segment,
                        first: (*earlier).to_owned(),
                        second: name.clone(),
                    });
                }
                seen.push((segment, name));
            }
            if count.is_some() && report.segments.is_empty() {
                return Err(MergeError::Unsegmented {
                    name: name.clone(),
                    first: first_name.clone(),
                });
            }
            merged.add(name, report)?;
        }
        merged.segments = seen.into_iter().map(|(s, _)| s).collect();
        merged.segments.sort_by_key(|s| s.index());
        if reports.len() > 1 {
            // One process's memory per client says nothing about several processes' servers.
            merged.server_rss_before_kib = None;
            merged.server_rss_connected_kib = None;
        } else {
            merged.server_rss_before_kib = first.server_rss_before_kib;
            merged.server_rss_connected_kib = first.server_rss_connected_kib;
        }
        merged.summarise();
        Ok(merged)
    }

    fn add(&mut self, name: &str, other: &LoadReport) -> Result<(), MergeError> {
        self.clients += other.clients;
        self.connected += other.connected;
        self.failed += other.failed;
        if self.first_error.is_none() {
            self.first_error.clone_from(&other.first_error);
        }
        self.dropped += other.dropped;
        self.ramp_up = self.ramp_up.max(other.ramp_up);
        self.measured = self.measured.max(other.measured);
        self.events += other.events;
        self.events_per_sec += other.events_per_sec;
        self.acks_sent += other.acks_sent;
        self.stamps_ahead += other.stamps_ahead;
        self.replay_emits += other.replay_emits;
        self.interrupted |= other.interrupted;
        let pairs = [
            (
                "connect_us",
                &mut self.histograms.connect,
                &other.histograms.connect,
            ),
            (
                "delivery_skew_us",
                &mut self.histograms.delivery_skew,
                &other.histograms.delivery_skew,
            ),
            (
                "ack_round_trip_us",
                &mut self.histograms.ack_round_trip,
                &other.histograms.ack_round_trip,
            ),
            (
                "emit_to_receive_us",
                &mut self.histograms.emit_to_receive,
                &other.histograms.emit_to_receive,
            ),
        ];
        for (histogram, into, from) in pairs {
            into.add(from).map_err(|err| MergeError::Histogram {
                name: name.to_owned(),
                histogram,
                reason: format!("{err:?}"),
            })?;
        }
        Ok(())
    }

    /// The report file's JSON: counters, and each histogram as base64 of its V2 serialisation.
    pub fn to_file_json(&self) -> serde_json::Value {
        let encode = |histogram: &Histogram<u64>| {
            let mut bytes = Vec::new();
            // Serialising into a Vec cannot fail for a histogram of u64 counts: V2 errors only
            // on I/O or a count that does not fit an i64, and counts here are event numbers.
            let _ = V2Serializer::new().serialize(histogram, &mut bytes);
            base64::engine::general_purpose::STANDARD.encode(bytes)
        };
        let file = ReportFile {
            report: REPORT_KIND.to_owned(),
            version: REPORT_VERSION,
            segments: self.segments.iter().map(ToString::to_string).collect(),
            clients: self.clients,
            connected: self.connected,
            failed: self.failed,
            first_error: self.first_error.clone(),
            dropped: self.dropped,
            interrupted: self.interrupted,
            ramp_up_s: self.ramp_up.as_secs_f64(),
            measured_s: self.measured.as_secs_f64(),
            events: self.events,
            events_per_sec: self.events_per_sec,
            acks_sent: self.acks_sent,
            stamps_ahead: self.stamps_ahead,
            replay_emits: self.replay_emits,
            server_rss_before_kib: self.server_rss_before_kib,
            server_rss_connected_kib: self.server_rss_connected_kib,
            histograms: HistogramsFile {
                connect_us: encode(&self.histograms.connect),
                delivery_skew_us: encode(&self.histograms.delivery_skew),
                ack_round_trip_us: encode(&self.histograms.ack_round_trip),
                emit_to_receive_us: encode(&self.histograms.emit_to_receive),
            },
        };
        // A struct of strings and numbers always serialises.
        serde_json::to_value(file).unwrap_or_default()
    }

    /// Reads a report file's text (what [`to_file_json`](Self::to_file_json) wrote).
    ///
    /// # Errors
    /// [`ReportFileError`] naming the field (or line and column) that is wrong.
    pub fn from_file_json(text: &str) -> Result<LoadReport, ReportFileError> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| ReportFileError::Json(e.to_string()))?;
        match value.get("report").and_then(serde_json::Value::as_str) {
            Some(REPORT_KIND) => {}
            _ => return Err(ReportFileError::NotAReport),
        }
        match value.get("version").and_then(serde_json::Value::as_u64) {
            Some(v) if v == u64::from(REPORT_VERSION) => {}
            other => {
                return Err(ReportFileError::Version(
                    other.map_or_else(|| "none".to_owned(), |v| v.to_string()),
                ));
            }
        }
        let file: ReportFile =
            serde_json::from_value(value).map_err(|e| ReportFileError::Json(e.to_string()))?;
        let decode = |field: &'static str, text: &str| {
            let bad = |reason: String| ReportFileError::Histogram { field, reason };
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|e| bad(format!("not base64: {e}")))?;
            let histogram: Histogram<u64> = Deserializer::new()
                .deserialize(&mut bytes.as_slice())
                .map_err(|e| bad(format!("not an HdrHistogram V2 serialisation: {e:?}")))?;
            let mut ours = new_histogram();
            ours.add(&histogram)
                .map_err(|e| bad(format!("values outside 1 µs to an hour: {e:?}")))?;
            Ok(ours)
        };
        let segments = file
            .segments
            .iter()
            .map(|s| {
                s.parse::<Segment>()
                    .map_err(|e| ReportFileError::Segment(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let seconds = |field: &'static str, s: f64| {
            Duration::try_from_secs_f64(s).map_err(|_| ReportFileError::Field {
                field,
                reason: format!("{s} is not a number of seconds"),
            })
        };
        let mut report = LoadReport {
            segments,
            clients: file.clients,
            connected: file.connected,
            failed: file.failed,
            first_error: file.first_error,
            dropped: file.dropped,
            ramp_up: seconds("ramp_up_s", file.ramp_up_s)?,
            measured: seconds("measured_s", file.measured_s)?,
            events: file.events,
            events_per_sec: file.events_per_sec,
            acks_sent: file.acks_sent,
            stamps_ahead: file.stamps_ahead,
            replay_emits: file.replay_emits,
            server_rss_before_kib: file.server_rss_before_kib,
            server_rss_connected_kib: file.server_rss_connected_kib,
            interrupted: file.interrupted,
            histograms: LoadHistograms {
                connect: decode("histograms.connect_us", &file.histograms.connect_us)?,
                delivery_skew: decode(
                    "histograms.delivery_skew_us",
                    &file.histograms.delivery_skew_us,
                )?,
                ack_round_trip: decode(
                    "histograms.ack_round_trip_us",
                    &file.histograms.ack_round_trip_us,
                )?,
                emit_to_receive: decode(
                    "histograms.emit_to_receive_us",
                    &file.histograms.emit_to_receive_us,
                )?,
            },
            ..LoadReport::empty(0)
        };
        if !report.events_per_sec.is_finite() || report.events_per_sec < 0.0 {
            return Err(ReportFileError::Field {
                field: "events_per_sec",
                reason: format!("{} is not a rate", report.events_per_sec),
            });
        }
        report.summarise();
        Ok(report)
    }
}

/// The report file, field by field.
#[derive(Serialize, Deserialize)]
struct ReportFile {
    report: String,
    version: u32,
    segments: Vec<String>,
    clients: u32,
    connected: u32,
    failed: u32,
    first_error: Option<String>,
    dropped: u32,
    interrupted: bool,
    ramp_up_s: f64,
    measured_s: f64,
    events: u64,
    events_per_sec: f64,
    acks_sent: u64,
    stamps_ahead: u64,
    replay_emits: u64,
    server_rss_before_kib: Option<u64>,
    server_rss_connected_kib: Option<u64>,
    histograms: HistogramsFile,
}

/// Each histogram as base64 of its V2 serialisation.
#[derive(Serialize, Deserialize)]
struct HistogramsFile {
    connect_us: String,
    delivery_skew_us: String,
    ack_round_trip_us: String,
    emit_to_receive_us: String,
}

/// Why a report file cannot be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ReportFileError {
    /// Not JSON, or a field of the wrong type.
    #[error("{0}")]
    Json(String),
    /// JSON without `"report": "sio-replay load report"`.
    #[error(
        "not a load report (no \"report\": \"{REPORT_KIND}\" field): write one with `load --report FILE`"
    )]
    NotAReport,
    /// A version this build does not read.
    #[error("report version {0}; this build reads version {REPORT_VERSION}")]
    Version(String),
    /// A segment that does not parse.
    #[error("segments: {0}")]
    Segment(String),
    /// A histogram that does not decode.
    #[error("{field}: {reason}")]
    Histogram {
        /// The field's path.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A value out of its range.
    #[error("{field}: {reason}")]
    Field {
        /// The field.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
}

/// Why reports cannot be merged.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum MergeError {
    /// No report given.
    #[error("no report to merge")]
    Nothing,
    /// Two reports split the run differently.
    #[error(
        "{first} is a segment of {first_count} but {other} one of {other_count}: merge the segments of one run"
    )]
    SegmentCounts {
        /// The report that set the count.
        first: String,
        /// Its count.
        first_count: u32,
        /// The report that disagrees.
        other: String,
        /// Its count.
        other_count: u32,
    },
    /// A report of a whole run among segments.
    #[error(
        "{name} is a whole run (no --segment) but {first} is a segment: merge the segments of one run"
    )]
    Unsegmented {
        /// The unsegmented report.
        name: String,
        /// A segmented one.
        first: String,
    },
    /// One segment twice: a launcher ran it twice, or a file was given twice.
    #[error("segment {segment} appears twice: in {first} and in {second}")]
    Duplicate {
        /// The segment.
        segment: Segment,
        /// Where it appeared first.
        first: String,
        /// Where again.
        second: String,
    },
    /// A histogram that cannot be added.
    #[error("{name}: histogram {histogram}: {reason}")]
    Histogram {
        /// The report.
        name: String,
        /// Which histogram.
        histogram: &'static str,
        /// Why.
        reason: String,
    },
}

/// A pass/fail condition on a report.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Threshold {
    /// Emit-to-receive latency p99 at most this (fails when no event was stamped).
    MaxP99(Duration),
    /// At least this many events per second.
    MinRate(f64),
}

/// One threshold's verdict.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ThresholdCheck {
    /// The condition.
    pub threshold: Threshold,
    /// What the report shows (milliseconds or events per second); `None` when it has no
    /// sample to judge by.
    pub observed: Option<f64>,
    /// True when the condition holds.
    pub passed: bool,
}

impl Threshold {
    /// Judges `report`.
    pub fn check(self, report: &LoadReport) -> ThresholdCheck {
        let (observed, passed) = match self {
            Threshold::MaxP99(limit) => {
                let p99 =
                    (report.emit_to_receive.count > 0).then_some(report.emit_to_receive.p99_ms);
                (
                    p99,
                    p99.is_some_and(|p99| p99 <= limit.as_secs_f64() * 1000.0),
                )
            }
            Threshold::MinRate(rate) => {
                (Some(report.events_per_sec), report.events_per_sec >= rate)
            }
        };
        ThresholdCheck {
            threshold: self,
            observed,
            passed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn report_with(segment: Option<Segment>, latencies: &[u64], events: u64) -> LoadReport {
        let mut report = LoadReport::empty(5);
        report.segments = segment.into_iter().collect();
        report.connected = 5;
        report.events = events;
        report.events_per_sec = events as f64 / 2.0;
        report.measured = Duration::from_secs(2);
        for &us in latencies {
            report.histograms.emit_to_receive.record(us).unwrap();
        }
        report.summarise();
        report
    }

    fn through_file(report: &LoadReport) -> LoadReport {
        let text = report.to_file_json().to_string();
        LoadReport::from_file_json(&text).unwrap()
    }

    proptest! {
        #[test]
        fn percentiles_of_merged_segments_equal_those_of_the_union(
            samples in proptest::collection::vec(1u64..5_000_000, 1..400),
            cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..5),
        ) {
            // Cut the samples into segments at random places.
            let mut bounds: Vec<usize> = cuts.iter().map(|c| c.index(samples.len() + 1)).collect();
            bounds.push(0);
            bounds.push(samples.len());
            bounds.sort_unstable();
            let count = (bounds.len() - 1) as u32;
            let parts: Vec<(String, LoadReport)> = bounds
                .windows(2)
                .enumerate()
                .map(|(i, w)| {
                    let segment = Segment::new(i as u32, count).unwrap();
                    let part = report_with(Some(segment), &samples[w[0]..w[1]], 10);
                    (format!("part{i}.json"), through_file(&part))
                })
                .collect();
            let merged = LoadReport::merge(&parts).unwrap();
            let union = report_with(None, &samples, 10 * u64::from(count));
            prop_assert_eq!(merged.emit_to_receive, union.emit_to_receive);
            prop_assert_eq!(&merged.histograms.emit_to_receive, &union.histograms.emit_to_receive);
            for q in [0.5, 0.9, 0.99, 0.999, 1.0] {
                prop_assert_eq!(
                    merged.histograms.emit_to_receive.value_at_quantile(q),
                    union.histograms.emit_to_receive.value_at_quantile(q)
                );
            }
            prop_assert_eq!(merged.events, union.events);
            prop_assert_eq!(merged.clients, 5 * count);
            prop_assert!(merged.missing_segments().is_empty());
        }
    }

    #[test]
    fn a_report_file_round_trips() {
        let mut report = report_with(Segment::new(1, 4).ok(), &[100, 200, 3000], 42);
        report.histograms.connect.record(1500).unwrap();
        report.histograms.ack_round_trip.record(700).unwrap();
        report.acks_sent = 2;
        report.first_error = Some("refused".to_owned());
        report.summarise();
        let back = through_file(&report);
        assert_eq!(back.segments, report.segments);
        assert_eq!(back.events, 42);
        assert_eq!(back.connect, report.connect);
        assert_eq!(back.ack_round_trip, report.ack_round_trip);
        assert_eq!((back.acks_sent, back.acks_received), (2, 1));
        assert_eq!(back.emit_to_receive, report.emit_to_receive);
        assert_eq!(back.first_error.as_deref(), Some("refused"));
        let file = report.to_file_json();
        assert_eq!(file["report"], REPORT_KIND);
        assert_eq!(file["segments"], serde_json::json!(["1/4"]));
        // The V2 cookie 0x1c849303, in base64.
        let encoded = file["histograms"]["emit_to_receive_us"].as_str().unwrap();
        assert!(encoded.starts_with("HISTEw"), "{encoded}");
    }

    #[test]
    fn bad_report_files_name_what_is_wrong() {
        let good = report_with(Segment::new(0, 2).ok(), &[5], 1).to_file_json();
        let err = |value: serde_json::Value| {
            LoadReport::from_file_json(&value.to_string())
                .unwrap_err()
                .to_string()
        };
        assert!(
            LoadReport::from_file_json("{")
                .unwrap_err()
                .to_string()
                .contains("line 1")
        );
        assert!(err(serde_json::json!({"events": 1})).contains("not a load report"));
        let mut v = good.clone();
        v["version"] = 9.into();
        assert!(err(v).contains("version 9"));
        let mut v = good.clone();
        v["histograms"]["connect_us"] = "!!".into();
        assert!(err(v).contains("histograms.connect_us: not base64"));
        let mut v = good.clone();
        v["histograms"]["connect_us"] = "AAAA".into();
        assert!(err(v).contains("histograms.connect_us: not an HdrHistogram"));
        let mut v = good.clone();
        v["segments"] = serde_json::json!(["2/2"]);
        assert!(err(v).contains("out of range"));
        let mut v = good.clone();
        v.as_object_mut().unwrap().remove("events");
        assert!(err(v).contains("missing field `events`"));
        let mut v = good;
        v["measured_s"] = (-1.0).into();
        assert!(err(v).contains("measured_s"));
    }

    #[test]
    fn merging_refuses_duplicates_and_mixed_splits_and_lists_missing_segments() {
        let seg = |i, n| report_with(Segment::new(i, n).ok(), &[10], 1);
        let named = |name: &str, r: LoadReport| (name.to_owned(), r);
        let err = LoadReport::merge(&[named("a", seg(0, 4)), named("b", seg(0, 4))]).unwrap_err();
        assert!(
            err.to_string()
                .contains("segment 0/4 appears twice: in a and in b"),
            "{err}"
        );
        let err = LoadReport::merge(&[named("a", seg(0, 4)), named("b", seg(1, 3))]).unwrap_err();
        assert!(matches!(err, MergeError::SegmentCounts { .. }), "{err}");
        let err =
            LoadReport::merge(&[named("a", seg(0, 4)), named("b", report_with(None, &[], 0))])
                .unwrap_err();
        assert!(matches!(err, MergeError::Unsegmented { .. }), "{err}");
        assert_eq!(LoadReport::merge(&[]).unwrap_err(), MergeError::Nothing);
        let partial = LoadReport::merge(&[named("a", seg(3, 4)), named("b", seg(1, 4))]).unwrap();
        assert_eq!(
            partial.missing_segments(),
            vec![Segment::new(0, 4).unwrap(), Segment::new(2, 4).unwrap()]
        );
        assert_eq!(
            partial.segments,
            vec![Segment::new(1, 4).unwrap(), Segment::new(3, 4).unwrap()]
        );
        // Whole runs merge as independent runs.
        let two = LoadReport::merge(&[named("a", seg(0, 1)), named("b", seg(0, 2))]);
        assert!(two.is_err());
        let runs = LoadReport::merge(&[
            named("a", report_with(None, &[1], 4)),
            named("b", report_with(None, &[2], 6)),
        ])
        .unwrap();
        assert_eq!((runs.events, runs.events_per_sec), (10, 5.0));
        assert!(runs.missing_segments().is_empty());
    }

    #[test]
    fn thresholds_judge_p99_latency_and_rate() {
        let report = report_with(None, &[1000; 99], 100); // 1 ms each, 50 events/s
        let p99 = |ms| Threshold::MaxP99(Duration::from_micros(ms)).check(&report);
        assert!(p99(1000).passed);
        assert!(!p99(999).passed);
        assert_eq!(p99(5000).observed, Some(1.0));
        assert!(Threshold::MinRate(50.0).check(&report).passed);
        assert!(!Threshold::MinRate(50.5).check(&report).passed);
        let unstamped = report_with(None, &[], 100);
        let check = Threshold::MaxP99(Duration::from_secs(1)).check(&unstamped);
        assert_eq!((check.observed, check.passed), (None, false));
    }
}
