//! One session's faults as a state machine: the plan in force, and what it has done to the
//! session so far. Plain data, no I/O and no clock: the session task asks it what to do and
//! carries that out.
//!
//! A session is in one [`FaultMode`] at a time: answering normally, frozen by "stop answering"
//! (requests are held, frames ignored), armed to cut the next long-polling request, or cut.
//! Thresholds (`*_after_events`) fire once, when the number of events sent reaches them, and
//! a plan set later with a threshold already passed fires at once.

use std::time::Duration;

use crate::fault::FaultPlan;

/// At most this many requests are held unanswered by the "stop answering" fault; older ones
/// are dropped (their clients see the connection hang, which is the point).
pub(crate) const MAX_HELD_REQUESTS: usize = 8;

/// Where a session stands with respect to its faults.
#[derive(Debug)]
pub(crate) enum FaultMode<Held> {
    /// Answering as usual.
    Answering,
    /// "Stop answering" is in force: long-polling requests are held (the last
    /// [`MAX_HELD_REQUESTS`]), frames and commands are ignored, no event or ping is sent.
    Frozen { held: Vec<Held> },
    /// "Drop" fired on long-polling while a poll was being answered: that answer still
    /// carries the events up to the threshold, and the next poll is cut.
    DropOnNextPoll { why: String },
    /// The connection was cut; the session task ends.
    Aborted,
}

/// What the session must do because a threshold was reached, in this order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct FaultActions {
    /// Send this malformed frame.
    pub(crate) malformed: Option<String>,
    /// Close cleanly with this reason.
    pub(crate) close: Option<String>,
    /// Cut the connection, with this reason for the session report.
    pub(crate) drop: Option<String>,
}

/// The plan in force and the [`FaultMode`] it led to. `Held` is what a frozen session holds
/// (the session task's long-polling requests).
#[derive(Debug)]
pub(crate) struct FaultState<Held> {
    plan: FaultPlan,
    mode: FaultMode<Held>,
}

impl<Held> FaultState<Held> {
    pub(crate) fn new(plan: FaultPlan) -> Self {
        Self {
            plan,
            mode: FaultMode::Answering,
        }
    }

    /// The plan in force (one-shot thresholds that fired are cleared from it).
    pub(crate) fn plan(&self) -> &FaultPlan {
        &self.plan
    }

    /// How long each frame to the client is held back.
    pub(crate) fn latency(&self) -> Duration {
        Duration::from_millis(self.plan.latency_ms)
    }

    /// "Stop answering" is in force.
    pub(crate) fn is_frozen(&self) -> bool {
        matches!(self.mode, FaultMode::Frozen { .. })
    }

    /// The connection was cut.
    pub(crate) fn is_aborted(&self) -> bool {
        matches!(self.mode, FaultMode::Aborted)
    }

    /// The next long-polling request is to be cut.
    pub(crate) fn drop_is_armed(&self) -> bool {
        matches!(self.mode, FaultMode::DropOnNextPoll { .. })
    }

    /// True when events may go out: not frozen, not cut, no drop pending.
    pub(crate) fn may_send(&self) -> bool {
        matches!(self.mode, FaultMode::Answering)
    }

    /// Keeps a request a frozen session will answer when it thaws; the oldest goes when
    /// [`MAX_HELD_REQUESTS`] are held. Returns the request back when the session is not frozen.
    pub(crate) fn hold(&mut self, request: Held) -> Option<Held> {
        match &mut self.mode {
            FaultMode::Frozen { held } => {
                if held.len() == MAX_HELD_REQUESTS {
                    held.remove(0);
                }
                held.push(request);
                None
            }
            _ => Some(request),
        }
    }

    /// The session was cut.
    pub(crate) fn abort(&mut self) {
        self.mode = FaultMode::Aborted;
    }

    /// A clean close overrides "stop answering": the close must go out.
    pub(crate) fn thaw_for_close(&mut self) {
        if self.is_frozen() {
            self.mode = FaultMode::Answering;
        }
    }

    /// The pending drop, if one is armed; the session is then cut.
    pub(crate) fn take_armed_drop(&mut self) -> Option<String> {
        match std::mem::replace(&mut self.mode, FaultMode::Aborted) {
            FaultMode::DropOnNextPoll { why } => Some(why),
            other => {
                self.mode = other;
                None
            }
        }
    }

    /// Replaces the plan. When that lifts "stop answering", the session thaws and the held
    /// requests come back, oldest first, to be answered now.
    pub(crate) fn set_plan(&mut self, plan: FaultPlan) -> Vec<Held> {
        self.plan = plan;
        if self.plan.stop_answering_after_events.is_none() {
            if let FaultMode::Frozen { held } = &mut self.mode {
                let held = std::mem::take(held);
                self.mode = FaultMode::Answering;
                return held;
            }
        }
        Vec::new()
    }

    /// Fires every threshold at or below `sent` events: "stop answering" freezes the session
    /// here; the malformed frame, the clean close and the drop are returned for the session to
    /// carry out, and each fires once. `poll_in_flight` says that a long-polling answer is
    /// being assembled: a drop then waits for the next poll, so that this answer still
    /// carries the events up to the threshold.
    pub(crate) fn reached(&mut self, sent: u64, poll_in_flight: bool) -> FaultActions {
        let passed = |threshold: Option<u64>| threshold.is_some_and(|n| n <= sent);
        let mut actions = FaultActions::default();
        if passed(self.plan.malformed_after_events) {
            actions.malformed = Some(self.plan.malformed_frame().to_owned());
            self.plan.malformed_after_events = None;
        }
        if passed(self.plan.stop_answering_after_events)
            && matches!(self.mode, FaultMode::Answering)
        {
            self.mode = FaultMode::Frozen { held: Vec::new() };
        }
        if passed(self.plan.close_after_events) {
            actions.close = Some(self.plan.close_reason().to_owned());
            self.plan.close_after_events = None;
        }
        if passed(self.plan.drop_after_events) {
            let why = format!("dropped by fault after {sent} events");
            self.plan.drop_after_events = None;
            if poll_in_flight {
                self.mode = FaultMode::DropOnNextPoll { why };
            } else {
                actions.drop = Some(why);
            }
        }
        actions
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(plan: FaultPlan) -> FaultState<u32> {
        FaultState::new(plan)
    }

    #[test]
    fn thresholds_fire_once_at_or_after_their_count() {
        let mut faults = state(FaultPlan {
            malformed_after_events: Some(2),
            close_after_events: Some(3),
            ..FaultPlan::default()
        });
        assert_eq!(faults.reached(1, false), FaultActions::default());
        let at_two = faults.reached(2, false);
        assert!(at_two.malformed.is_some());
        assert_eq!(at_two.close, None);
        // A jump past a threshold fires it too, and nothing fires twice.
        let at_five = faults.reached(5, false);
        assert_eq!(at_five.malformed, None);
        assert_eq!(at_five.close.as_deref(), Some("closed by sio-replay mock"));
        assert_eq!(faults.reached(6, false), FaultActions::default());
    }

    #[test]
    fn a_drop_during_a_poll_answer_waits_for_the_next_poll() {
        let mut faults = state(FaultPlan {
            drop_after_events: Some(1),
            ..FaultPlan::default()
        });
        assert_eq!(faults.reached(1, true).drop, None);
        assert!(faults.drop_is_armed());
        assert!(!faults.may_send());
        assert_eq!(
            faults.take_armed_drop().as_deref(),
            Some("dropped by fault after 1 events")
        );
        assert!(faults.is_aborted());
        assert_eq!(faults.take_armed_drop(), None);

        let mut faults = state(FaultPlan {
            drop_after_events: Some(1),
            ..FaultPlan::default()
        });
        assert!(faults.reached(1, false).drop.is_some());
        assert!(!faults.drop_is_armed());
    }

    #[test]
    fn a_frozen_session_holds_the_last_requests_and_gives_them_back_when_lifted() {
        let mut faults = state(FaultPlan {
            stop_answering_after_events: Some(0),
            latency_ms: 5,
            ..FaultPlan::default()
        });
        assert_eq!(faults.hold(1), Some(1), "not frozen yet");
        faults.reached(0, false);
        assert!(faults.is_frozen());
        for request in 0..10 {
            assert_eq!(faults.hold(request), None);
        }
        // Keeping "stop answering" keeps the session frozen.
        assert!(faults.set_plan(faults.plan().clone()).is_empty());
        assert!(faults.is_frozen());
        let held = faults.set_plan(FaultPlan::default());
        assert_eq!(held, (2..10).collect::<Vec<_>>());
        assert!(faults.may_send());
        assert_eq!(faults.latency(), Duration::ZERO);
    }

    #[test]
    fn a_clean_close_thaws_a_frozen_session() {
        let mut faults = state(FaultPlan {
            stop_answering_after_events: Some(0),
            ..FaultPlan::default()
        });
        faults.reached(0, false);
        faults.thaw_for_close();
        assert!(faults.may_send());
        faults.abort();
        faults.thaw_for_close();
        assert!(faults.is_aborted(), "a cut session stays cut");
    }
}
