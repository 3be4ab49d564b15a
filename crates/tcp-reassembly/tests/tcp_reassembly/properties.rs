//! Property tests: any segmentation, reordering and duplication of a stream reassembles to
//! the same bytes; a dropped segment gives exactly one gap, where it was, and the rest of the
//! stream still arrives.

use proptest::prelude::*;
use tcp_reassembly::{Config, EndReason, Reassembler, Segment};

use crate::run;

/// A stream, where it is cut into segments, the order they are fed in, and extra copies of
/// ranges of it (retransmissions, overlapping or not).
#[derive(Debug, Clone)]
struct Scenario {
    isn: u32,
    data: Vec<u8>,
    /// Segment boundaries: (start, end) covering `data` exactly.
    cuts: Vec<(usize, usize)>,
    /// The feeding order: indexes into `cuts` and then into `copies`.
    order: Vec<usize>,
    copies: Vec<(usize, usize)>,
}

fn scenario() -> impl Strategy<Value = Scenario> {
    let isn = prop_oneof![any::<u32>(), (u32::MAX - 3000)..=u32::MAX];
    (isn, proptest::collection::vec(any::<u8>(), 1..1500))
        .prop_flat_map(|(isn, data)| {
            let len = data.len();
            let cut_points = proptest::collection::btree_set(1..len.max(2), 0..40);
            let copies = proptest::collection::vec((0..len, 1..200usize), 0..10);
            (Just(isn), Just(data), cut_points, copies)
        })
        .prop_flat_map(|(isn, data, cut_points, copies)| {
            let len = data.len();
            let mut bounds: Vec<usize> = std::iter::once(0)
                .chain(cut_points.into_iter().filter(|&p| p < len))
                .chain(std::iter::once(len))
                .collect();
            bounds.dedup();
            let cuts: Vec<(usize, usize)> = bounds.windows(2).map(|w| (w[0], w[1])).collect();
            let copies: Vec<(usize, usize)> = copies
                .into_iter()
                .map(|(start, n)| (start, (start + n).min(len)))
                .collect();
            let order: Vec<usize> = (0..cuts.len() + copies.len()).collect();
            (
                Just(isn),
                Just(data),
                Just(cuts),
                Just(order).prop_shuffle(),
                Just(copies),
            )
        })
        .prop_map(|(isn, data, cuts, order, copies)| Scenario {
            isn,
            data,
            cuts,
            order,
            copies,
        })
}

impl Scenario {
    /// The segments in feeding order: the SYN first, then the shuffled data, then a FIN;
    /// `drop` leaves one cut out.
    fn segments(&self, drop: Option<usize>) -> Vec<Segment<'_>> {
        let mut segments = vec![Segment {
            syn: true,
            ..Segment::data(self.isn, b"")
        }];
        let seq = |offset: usize| self.isn.wrapping_add(1).wrapping_add(offset as u32);
        for &index in &self.order {
            if Some(index) == drop {
                continue;
            }
            let (start, end) = match self.cuts.get(index) {
                Some(&cut) => cut,
                None => self.copies[index - self.cuts.len()],
            };
            segments.push(Segment::data(seq(start), &self.data[start..end]));
        }
        segments.push(Segment {
            fin: true,
            ..Segment::data(seq(self.data.len()), b"")
        });
        segments
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_segmentation_order_and_duplication_gives_the_same_bytes(s in scenario()) {
        let mut stream = Reassembler::new(Config::default());
        let out = run(&mut stream, &s.segments(None));
        prop_assert_eq!(&out.bytes, &s.data);
        prop_assert_eq!(&out.gaps, &Vec::<(u64, u64)>::new());
        prop_assert_eq!(out.end, Some((s.data.len() as u64, EndReason::Fin)));
        prop_assert_eq!(stream.buffered(), 0);
    }

    #[test]
    fn a_dropped_segment_is_one_gap_and_the_rest_flows(s in scenario(), pick in any::<prop::sample::Index>()) {
        let dropped = pick.index(s.cuts.len());
        let (start, end) = s.cuts[dropped];
        // A retransmission may carry some of the dropped bytes: the hole is what no copy holds.
        let mut covered = vec![false; s.data.len()];
        for (index, &(a, b)) in s.cuts.iter().chain(&s.copies).enumerate() {
            if index != dropped {
                covered[a..b].iter_mut().for_each(|c| *c = true);
            }
        }
        let mut holes = Vec::new();
        let mut offset = 0;
        while offset < covered.len() {
            if covered[offset] {
                offset += 1;
                continue;
            }
            let hole_start = offset;
            while offset < covered.len() && !covered[offset] {
                offset += 1;
            }
            holes.push((hole_start as u64, (offset - hole_start) as u64));
        }
        prop_assert!(holes.iter().all(|&(a, n)| a >= start as u64 && a + n <= end as u64));

        let mut stream = Reassembler::new(Config::default());
        let out = run(&mut stream, &s.segments(Some(dropped)));
        prop_assert_eq!(&out.gaps, &holes);
        prop_assert_eq!(out.bytes.len(), s.data.len());
        for (i, (&got, &want)) in out.bytes.iter().zip(&s.data).enumerate() {
            if covered[i] {
                prop_assert_eq!(got, want, "byte {} after the gap", i);
            }
        }
        prop_assert_eq!(out.end, Some((s.data.len() as u64, EndReason::Fin)));
    }

    #[test]
    fn a_tight_buffer_bound_never_holds_more_and_never_invents_bytes(
        s in scenario(),
        bound in 0usize..300,
    ) {
        let mut stream = Reassembler::new(Config { max_buffered: bound, ..Config::default() });
        let mut out = crate::Delivered::default();
        {
            let mut sink = out.sink();
            for segment in s.segments(None) {
                stream.segment(&segment, &mut sink);
                prop_assert!(stream.buffered() <= bound);
            }
            stream.finish(&mut sink);
        }
        // Bytes given up as gaps are zeros in `out.bytes`; every other byte is the stream's.
        let mut in_gap = vec![false; s.data.len()];
        for &(a, n) in &out.gaps {
            in_gap[a as usize..(a + n) as usize].iter_mut().for_each(|g| *g = true);
        }
        prop_assert_eq!(out.bytes.len(), s.data.len());
        for (i, (&got, &want)) in out.bytes.iter().zip(&s.data).enumerate() {
            if !in_gap[i] {
                prop_assert_eq!(got, want, "byte {}", i);
            }
        }
    }
}
