//! One session's view of a scenario: the actions waiting for their time, the timers of the
//! namespaces the client joined, and the auth it joined them with.
//!
//! Sans-IO like the session machine beside it: time is a parameter, output is pulled
//! (`poll_timeout`, `poll_action`), so delays and timers test without sleeping.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Instant;

use sio_session::{EngineMessage, IncomingEvent};

use crate::replay::ReplayTimeline;
use crate::scenario::model::{EmitSpec, EmitWhat, Payload, Scenario};
use crate::scenario::respond::{ConnectDecision, ScenarioAction, ScheduledAction};

/// A timer armed for one namespace the client joined.
#[derive(Debug, Clone)]
struct ArmedTimer {
    index: usize,
    namespace: String,
    next: Instant,
    fired: u64,
}

/// The scenario state of one session: actions waiting for their time, the timers of the
/// namespaces the client joined, and the auth it joined them with. Time is a parameter.
#[derive(Debug, Clone)]
pub struct ScenarioSchedule {
    scenario: Arc<Scenario>,
    capture: ReplayTimeline,
    /// Actions by due time, then arrival order (`seq`), so equal times keep their order.
    due: BTreeMap<(Instant, u64), ScenarioAction>,
    seq: u64,
    /// A CONNECT's actions, waiting for the mock to accept it.
    pending_connects: HashMap<String, (Option<String>, Vec<ScheduledAction>)>,
    /// The auth each joined namespace was joined with; kept only when `keeps_auth`.
    auths: HashMap<String, Option<String>>,
    timers: Vec<ArmedTimer>,
    /// An event or timer rule sends the handshake auth (`args = "auth"`). Without one the
    /// auth (a JWT of a few hundred bytes) is not copied: every idle session would hold it.
    keeps_auth: bool,
}

/// Whether an event or timer rule of `scenario` sends the auth the client joined with: only
/// they need it after the CONNECT (a connect rule gets it with the CONNECT itself).
fn sends_stored_auth(scenario: &Scenario) -> bool {
    let emits_auth = |emits: &[EmitSpec]| {
        emits.iter().any(|emit| {
            matches!(
                emit.what,
                EmitWhat::Event {
                    args: Payload::Auth,
                    ..
                }
            )
        })
    };
    scenario
        .on_event
        .iter()
        .any(|rule| rule.ack == Some(Payload::Auth) || emits_auth(&rule.emit))
        || scenario.timers.iter().any(|timer| emits_auth(&timer.emit))
}

impl ScenarioSchedule {
    /// A fresh schedule for a new session; `capture` is what `capture = { ... }` emits take
    /// frames from.
    pub fn new(scenario: Arc<Scenario>, capture: ReplayTimeline) -> Self {
        Self {
            keeps_auth: sends_stored_auth(&scenario),
            scenario,
            capture,
            due: BTreeMap::new(),
            seq: 0,
            pending_connects: HashMap::new(),
            auths: HashMap::new(),
            timers: Vec::new(),
        }
    }

    /// The scenario.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    fn schedule(&mut self, now: Instant, actions: Vec<ScheduledAction>) {
        for scheduled in actions {
            // A delay too long for the clock never comes due; dropping it says the same.
            let Some(at) = now.checked_add(scheduled.delay) else {
                continue;
            };
            self.due.insert((at, self.seq), scheduled.action);
            self.seq += 1;
        }
    }

    /// A client asks to join `namespace`: the decision. The rule's actions wait for
    /// [`joined`](Self::joined), which the caller calls once it has accepted.
    pub fn connect(&mut self, namespace: &str, auth: Option<&str>) -> ConnectDecision {
        let response = self
            .scenario
            .on_connect(namespace, auth, self.capture.events());
        let auth = auth.filter(|_| self.keeps_auth);
        // Nothing to keep (the common case, e.g. `rt2`): no entry, so an idle session holds
        // no map allocation for it; `joined` treats a missing entry as "nothing to do".
        if auth.is_some() || !response.actions.is_empty() {
            self.pending_connects.insert(
                namespace.to_owned(),
                (auth.map(str::to_owned), response.actions),
            );
        }
        response.decision
    }

    /// The client joined `namespace` (its CONNECT answer is queued): its rule's actions are
    /// scheduled from `now` and the namespace's timers start.
    pub fn joined(&mut self, now: Instant, namespace: &str) {
        let (auth, actions) = self
            .pending_connects
            .remove(namespace)
            .unwrap_or((None, Vec::new()));
        if self.keeps_auth {
            self.auths.insert(namespace.to_owned(), auth);
        }
        self.schedule(now, actions);
        self.timers.retain(|t| t.namespace != namespace);
        for (index, timer) in self.scenario.timers.iter().enumerate() {
            if timer.namespace.as_str() != namespace || timer.count == Some(0) {
                continue;
            }
            if let Some(next) = now.checked_add(timer.first()) {
                self.timers.push(ArmedTimer {
                    index,
                    namespace: namespace.to_owned(),
                    next,
                    fired: 0,
                });
            }
        }
    }

    /// The client left `namespace` (or was refused): its timers stop.
    pub fn left(&mut self, namespace: &str) {
        self.pending_connects.remove(namespace);
        self.auths.remove(namespace);
        self.timers.retain(|t| t.namespace != namespace);
    }

    /// The client emitted `event`.
    pub fn event(&mut self, now: Instant, event: &IncomingEvent) {
        let auth = self.auths.get(&event.namespace).cloned().flatten();
        let actions = self
            .scenario
            .on_event(event, auth.as_deref(), self.capture.events());
        self.schedule(now, actions);
    }

    /// The client sent a plain Engine.IO message.
    pub fn message(&mut self, now: Instant, message: &EngineMessage) {
        let actions = self.scenario.on_message(message);
        self.schedule(now, actions);
    }

    /// When [`poll_action`](Self::poll_action) next has something: the earliest action or
    /// timer.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let action = self.due.keys().next().map(|(at, _)| *at);
        let timer = self.timers.iter().map(|t| t.next).min();
        match (action, timer) {
            (Some(a), Some(t)) => Some(a.min(t)),
            (a, t) => a.or(t),
        }
    }

    /// The next action due at `now`, firing the timers that are due on the way.
    pub fn poll_action(&mut self, now: Instant) -> Option<ScenarioAction> {
        self.fire_timers(now);
        let first = self.due.first_key_value().map(|(key, _)| *key)?;
        if first.0 > now {
            return None;
        }
        self.due.remove(&first)
    }

    fn fire_timers(&mut self, now: Instant) {
        // Most sessions have no timer: nothing to fire, and no scenario handle to take.
        if self.timers.is_empty() {
            return;
        }
        let mut fired = Vec::new();
        for timer in &mut self.timers {
            if timer.next > now {
                continue;
            }
            let rule = &self.scenario.timers[timer.index];
            fired.push((timer.index, timer.namespace.clone(), timer.next));
            timer.fired += 1;
            // A session that was busy for several periods gets one firing, not a burst.
            let next = timer
                .next
                .checked_add(rule.every())
                .filter(|next| *next > now)
                .or_else(|| now.checked_add(rule.every()));
            match next {
                Some(next) => timer.next = next,
                // A period beyond the clock's range never comes round again.
                None => timer.fired = u64::MAX,
            }
        }
        let scenario = self.scenario.clone();
        self.timers.retain(|t| {
            t.fired != u64::MAX
                && scenario.timers[t.index]
                    .count
                    .is_none_or(|count| t.fired < count)
        });
        for (index, namespace, at) in fired {
            let auth = self.auths.get(&namespace).cloned().flatten();
            let actions = scenario.on_timer(index, auth.as_deref(), self.capture.events());
            self.schedule(at, actions);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn schedule(toml: &str) -> ScenarioSchedule {
        let scenario = Scenario::from_toml(toml, "test.toml").unwrap();
        ScenarioSchedule::new(Arc::new(scenario), ReplayTimeline::default())
    }

    fn data(action: Option<ScenarioAction>) -> String {
        match action {
            Some(ScenarioAction::Emit { data, .. }) => data,
            other => panic!("expected an emit, got {other:?}"),
        }
    }

    #[test]
    fn connect_actions_wait_for_the_join_and_their_delay() {
        let mut s = schedule(
            r#"
            [[on_connect]]
            namespace = "/"
            delay_ms = 5
            emit = [{ event = "auth", args = "auth" }, { event = "later", delay_ms = 10 }]
            "#,
        );
        let t0 = Instant::now();
        assert_eq!(
            s.connect("/", Some(r#"{"token":"123"}"#)),
            ConnectDecision::Accept { replay: None }
        );
        assert_eq!(s.poll_timeout(), None, "nothing before the join");
        s.joined(t0, "/");
        assert_eq!(s.poll_timeout(), Some(t0 + Duration::from_millis(5)));
        assert_eq!(s.poll_action(t0 + Duration::from_millis(4)), None);
        assert_eq!(
            data(s.poll_action(t0 + Duration::from_millis(5))),
            r#"["auth",{"token":"123"}]"#
        );
        assert_eq!(s.poll_action(t0 + Duration::from_millis(5)), None);
        assert_eq!(
            data(s.poll_action(t0 + Duration::from_millis(15))),
            r#"["later"]"#
        );
        assert_eq!(s.poll_timeout(), None);
    }

    #[test]
    fn refused_connects_schedule_nothing() {
        let mut s = schedule(
            r#"
            [[on_connect]]
            namespace = "/admin"
            refuse = "Not authorized"
            "#,
        );
        assert_eq!(
            s.connect("/admin", None),
            ConnectDecision::Refuse("Not authorized".into())
        );
        s.left("/admin");
        assert_eq!(s.poll_timeout(), None);
        assert_eq!(s.connect("/other", None), ConnectDecision::Default);
    }

    #[test]
    fn timers_fire_every_period_up_to_their_count_and_stop_on_leave() {
        let mut s = schedule(
            r#"
            [[timer]]
            every_ms = 100
            first_ms = 10
            count = 3
            namespace = "/chatomni"
            emit = [{ event = "tick", args = [1] }]
            "#,
        );
        let t0 = Instant::now();
        s.joined(t0, "/");
        assert_eq!(s.poll_timeout(), None, "the timer is for /chatomni only");
        s.joined(t0, "/chatomni");
        let ms = |n| t0 + Duration::from_millis(n);
        assert_eq!(s.poll_timeout(), Some(ms(10)));
        assert_eq!(data(s.poll_action(ms(10))), r#"["tick",1]"#);
        assert_eq!(s.poll_action(ms(10)), None);
        assert_eq!(s.poll_timeout(), Some(ms(110)));
        assert_eq!(data(s.poll_action(ms(110))), r#"["tick",1]"#);
        // Late by several periods: one firing, then the period starts again from now.
        assert_eq!(data(s.poll_action(ms(1000))), r#"["tick",1]"#);
        assert_eq!(s.poll_action(ms(1000)), None);
        assert_eq!(s.poll_timeout(), None, "count = 3 reached");

        s.joined(ms(2000), "/chatomni");
        assert!(s.poll_timeout().is_some());
        s.left("/chatomni");
        assert_eq!(s.poll_timeout(), None);
    }

    #[test]
    fn a_period_beyond_the_clock_fires_once_without_panicking() {
        let mut s = schedule(&format!(
            "[[timer]]\nevery_ms = {}\nfirst_ms = 0\nnamespace = \"/\"\nemit = [{{ event = \"once\" }}]\n",
            u64::MAX
        ));
        let t0 = Instant::now();
        s.joined(t0, "/");
        assert_eq!(data(s.poll_action(t0)), r#"["once"]"#);
        assert_eq!(s.poll_action(t0), None);
        // Either the clock can hold the next firing (far away) or the timer is dropped.
        assert!(
            s.poll_timeout()
                .is_none_or(|next| next > t0 + Duration::from_secs(3600 * 24 * 365))
        );
    }

    #[test]
    fn the_auth_is_not_kept_when_no_rule_sends_it() {
        let mut s = schedule("[[on_connect]]\nnamespace = \"/chatomni\"\nreplay = false\n");
        let t0 = Instant::now();
        s.connect("/chatomni", Some(r#"{"token":"synthetic"}"#));
        s.joined(t0, "/chatomni");
        assert!(!s.keeps_auth);
        // No map allocation left behind by an idle session's join.
        assert_eq!(s.pending_connects.capacity(), 0);
        assert_eq!(s.auths.capacity(), 0);
        assert_eq!(s.poll_action(t0), None);
    }

    #[test]
    fn the_auth_is_kept_for_an_ack_or_a_timer_that_sends_it() {
        for toml in [
            "[[on_event]]\nname = \"whoami\"\nack = \"auth\"\n",
            "[[timer]]\nnamespace = \"/c\"\nevery_ms = 10\nemit = [{ event = \"a\", args = \"auth\" }]\n",
        ] {
            let mut s = schedule(toml);
            assert!(s.keeps_auth, "{toml}");
            s.connect("/c", Some(r#"{"u":1}"#));
            s.joined(Instant::now(), "/c");
            assert_eq!(
                s.auths.get("/c"),
                Some(&Some(r#"{"u":1}"#.to_owned())),
                "{toml}"
            );
        }
    }

    #[test]
    fn event_rules_use_the_auth_of_the_namespace() {
        let mut s = schedule(
            r#"
            [[on_event]]
            name = "whoami"
            emit = [{ event = "you-are", args = "auth" }]
            "#,
        );
        let t0 = Instant::now();
        s.connect("/custom", Some(r#"{"user":"u1"}"#));
        s.joined(t0, "/custom");
        let event = IncomingEvent {
            namespace: "/custom".into(),
            data: r#"["whoami"]"#.into(),
            ack_id: None,
            attachments: vec![],
        };
        s.event(t0, &event);
        assert_eq!(data(s.poll_action(t0)), r#"["you-are",{"user":"u1"}]"#);
    }

    #[test]
    fn echo_mode_sends_messages_back_at_once() {
        let mut s = schedule("[server]\nmode = \"engine.io-echo\"\n");
        let t0 = Instant::now();
        s.message(t0, &EngineMessage::Binary(vec![1, 2, 3]));
        assert_eq!(
            s.poll_action(t0),
            Some(ScenarioAction::Send(EngineMessage::Binary(vec![1, 2, 3])))
        );
    }
}
