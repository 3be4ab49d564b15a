//! Execution segments: `load --segment i/n` runs a deterministic share of the virtual clients,
//! so that n load processes started by any launcher (a Kubernetes Indexed Job, a CI matrix, an
//! ssh loop) together run exactly the clients of one run, with no coordinator.
//!
//! Virtual clients are numbered 0 to `clients - 1`; segment `i` of `n` (0-based, as a
//! Kubernetes job's completion index is) takes those from `⌊clients·i/n⌋` up to, not
//! including, `⌊clients·(i+1)/n⌋`. Consecutive segments meet exactly, the first starts at 0 and
//! the last ends at `clients`, so the shares partition the clients and differ in size by at
//! most one. A client's number, not its segment, decides what it does (which captured session
//! it plays with `--replay`), so the split never changes the load itself.

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

/// Segment `index` of `count` (0-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Segment {
    index: u32,
    count: u32,
}

/// Why a segment cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SegmentError {
    /// Not `i/n` with two integers.
    #[error("{0:?} is not a segment: write it as INDEX/COUNT, e.g. 0/4 (0-based)")]
    Syntax(String),
    /// `n` is 0.
    #[error("a run has at least one segment: the count after '/' must be 1 or more")]
    NoSegments,
    /// `i` is not below `n`.
    #[error("segment index {index} is out of range for {count} segments: indexes are 0-based, 0 to {last}", last = count - 1)]
    OutOfRange {
        /// The index given.
        index: u32,
        /// The count given.
        count: u32,
    },
}

impl Segment {
    /// The whole run: segment 0 of 1.
    pub const WHOLE: Segment = Segment { index: 0, count: 1 };

    /// Segment `index` of `count`.
    ///
    /// # Errors
    /// [`SegmentError`] when `count` is 0 or `index` is not below it.
    pub fn new(index: u32, count: u32) -> Result<Self, SegmentError> {
        if count == 0 {
            return Err(SegmentError::NoSegments);
        }
        if index >= count {
            return Err(SegmentError::OutOfRange { index, count });
        }
        Ok(Segment { index, count })
    }

    /// The 0-based index.
    pub fn index(self) -> u32 {
        self.index
    }

    /// How many segments the run has.
    pub fn count(self) -> u32 {
        self.count
    }

    /// The numbers of the virtual clients this segment runs, out of `clients`.
    pub fn share(self, clients: u32) -> Range<u32> {
        let bound = |i: u32| (u64::from(clients) * u64::from(i) / u64::from(self.count)) as u32;
        bound(self.index)..bound(self.index + 1)
    }
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Segment {
    type Err = SegmentError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let syntax = || SegmentError::Syntax(text.to_owned());
        let (index, count) = text.trim().split_once('/').ok_or_else(syntax)?;
        let number = |part: &str| {
            let part = part.trim();
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(syntax());
            }
            part.parse::<u32>().map_err(|_| syntax())
        };
        Segment::new(number(index)?, number(count)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_of_ten_clients_in_four_segments() {
        let shares: Vec<_> = (0..4)
            .map(|i| Segment::new(i, 4).unwrap().share(10))
            .collect();
        assert_eq!(shares, vec![0..2, 2..5, 5..7, 7..10]);
        assert_eq!(Segment::WHOLE.share(10), 0..10);
        // More segments than clients: some segments run nobody.
        assert_eq!(Segment::new(0, 3).unwrap().share(1), 0..0);
        assert_eq!(Segment::new(2, 3).unwrap().share(1), 0..1);
    }

    #[test]
    fn parses_index_slash_count_and_names_what_is_wrong() {
        assert_eq!("1/4".parse(), Segment::new(1, 4));
        assert_eq!(" 0/1 ".parse(), Ok(Segment::WHOLE));
        assert_eq!(Segment::new(3, 8).unwrap().to_string(), "3/8");
        let err = "4/4".parse::<Segment>().unwrap_err();
        assert_eq!(err, SegmentError::OutOfRange { index: 4, count: 4 });
        assert!(err.to_string().contains("0 to 3"), "{err}");
        assert_eq!("0/0".parse::<Segment>(), Err(SegmentError::NoSegments));
        for bad in [
            "",
            "1",
            "1/",
            "/4",
            "a/4",
            "-1/4",
            "1/4/5",
            "1.5/4",
            "99999999999/1",
        ] {
            assert!(
                matches!(bad.parse::<Segment>(), Err(SegmentError::Syntax(_))),
                "{bad:?}"
            );
        }
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn the_shares_partition_the_clients_exactly(clients in 0u32..=u32::MAX, count in 1u32..2000) {
                let mut next = 0u32;
                let (mut smallest, mut largest) = (u32::MAX, 0u32);
                for index in 0..count {
                    let share = Segment::new(index, count).unwrap().share(clients);
                    prop_assert_eq!(share.start, next, "segment {} starts where {} ended", index, index.saturating_sub(1));
                    prop_assert!(share.end >= share.start);
                    smallest = smallest.min(share.len() as u32);
                    largest = largest.max(share.len() as u32);
                    next = share.end;
                }
                prop_assert_eq!(next, clients, "the last segment ends at the last client");
                prop_assert!(largest - smallest <= 1, "shares differ by at most one client");
            }

            #[test]
            fn display_and_parse_round_trip(count in 1u32..=u32::MAX, index in any::<u32>()) {
                let segment = Segment::new(index % count, count).unwrap();
                prop_assert_eq!(segment.to_string().parse::<Segment>(), Ok(segment));
            }
        }
    }
}
