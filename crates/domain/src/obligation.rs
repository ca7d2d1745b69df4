//! Obligations: every duty with a due time, whatever matter it belongs to.
//!
//! A matter (a case today; petitions, mediations, resolutions, rectifications next) owes
//! duties: a case owes its five promises, and each responder sent to it owes an answer
//! (接单). Each duty is an [`Obligation`]: what is owed, who owes it, when it is due, when it
//! was kept, the calendar it counts in and the escalation level it has reached. The store
//! keeps them as rows, one index on the earliest alert serves the one deadline runner for
//! every kind of matter, and promise statistics are one query over them.
//!
//! A matter kind adds only its rules: which obligations an action creates, keeps or moves
//! (for cases, [`crate::case::obligations`]). Warning and escalation times are the same for
//! every kind ([`pending_alerts`]).
//!
//! **Invariant**: an open matter always owes at least one obligation (an owner and a next
//! due date), so nothing open can fall through the cracks.

use crate::role::Role;
use crate::Timestamp;
use serde::{Deserialize, Serialize};

/// The kinds of matter that owe obligations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatterKind {
    Case,
    Petition,
    Mediation,
    Business,
    GasAlarm,
    Topic,
    Resolution,
}

impl MatterKind {
    pub const ALL: [MatterKind; 7] = [
        MatterKind::Case,
        MatterKind::Petition,
        MatterKind::Mediation,
        MatterKind::Business,
        MatterKind::GasAlarm,
        MatterKind::Topic,
        MatterKind::Resolution,
    ];
    pub fn as_str(&self) -> &'static str {
        match self {
            MatterKind::Case => "case",
            MatterKind::Petition => "petition",
            MatterKind::Mediation => "mediation",
            MatterKind::Business => "business",
            MatterKind::GasAlarm => "gas_alarm",
            MatterKind::Topic => "topic",
            MatterKind::Resolution => "resolution",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Who owes a duty.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Owner {
    /// Whoever holds the role where the matter is (the centre's dispatchers, a station's
    /// officer on duty).
    Role(Role),
    /// A responder sent to the matter.
    Responder(i64),
    /// A named account (a petition's responsible officer).
    User(i64),
}

impl Owner {
    /// `role:dispatcher`, `responder:12`, `user:3`.
    pub fn to_text(&self) -> String {
        match self {
            Owner::Role(r) => format!("role:{}", r.as_str()),
            Owner::Responder(id) => format!("responder:{id}"),
            Owner::User(id) => format!("user:{id}"),
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        let (kind, v) = s.split_once(':')?;
        match kind {
            "role" => Role::parse(v).map(Owner::Role),
            "responder" => v.parse().ok().map(Owner::Responder),
            "user" => v.parse().ok().map(Owner::User),
            _ => None,
        }
    }
}

/// The calendar a duty's time counts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Counting {
    /// Clock time: minutes and hours, day and night.
    Minutes,
    /// Office hours of working days.
    WorkingHours,
    /// Calendar days.
    CalendarDays,
    /// Working days: weekends and public holidays skipped, adjusted working days (调休) counted.
    WorkingDays,
}

impl Counting {
    pub const ALL: [Counting; 4] =
        [Counting::Minutes, Counting::WorkingHours, Counting::CalendarDays, Counting::WorkingDays];
    pub fn as_str(&self) -> &'static str {
        match self {
            Counting::Minutes => "minutes",
            Counting::WorkingHours => "working_hours",
            Counting::CalendarDays => "calendar_days",
            Counting::WorkingDays => "working_days",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// Where a duty stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Owed, its clock running.
    Open,
    /// Owed, its clock standing still (a suspended case); it moves by the pause on resume.
    Paused,
    /// Done.
    Kept,
    /// No longer owed: the matter ended without it (voided, rejected), or the duty passed to
    /// someone else (an assignment declined or not answered).
    Dropped,
}

impl State {
    pub const ALL: [State; 4] = [State::Open, State::Paused, State::Kept, State::Dropped];
    pub fn as_str(&self) -> &'static str {
        match self {
            State::Open => "open",
            State::Paused => "paused",
            State::Kept => "kept",
            State::Dropped => "dropped",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
    /// Still owed (open or paused).
    pub fn is_owed(&self) -> bool {
        matches!(self, State::Open | State::Paused)
    }
}

/// One duty of one matter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Obligation {
    /// What is owed, unique within the matter: `accept`, `close`, `answer:2`.
    pub name: String,
    pub owner: Owner,
    pub counting: Counting,
    /// When the duty arose (the warning counts its share of time from here).
    pub starts_at: Timestamp,
    pub due_at: Timestamp,
    pub kept_at: Option<Timestamp>,
    pub state: State,
    /// The escalation ladder: the roles a missed duty goes up to, first level first.
    pub ladder: Vec<Role>,
    /// The escalation level reached (0 = not escalated).
    pub level: u8,
    /// When the deadline runner must next look at it (its warning, its deadline); `None`
    /// when nothing more will fire.
    pub next_alert_at: Option<Timestamp>,
}

impl Obligation {
    /// Kept after its due time, or still owed past it at `now`.
    pub fn missed(&self, now: Timestamp) -> bool {
        match self.kept_at {
            Some(k) => k > self.due_at,
            None => self.state == State::Open && now > self.due_at,
        }
    }
}

/// What the matter's rules need besides the matter to state its obligations.
#[derive(Debug, Clone, PartialEq)]
pub struct Terms {
    /// The share of a duty's time after which the amber warning fires.
    pub warn_fraction: f64,
    /// The escalation ladder (configuration `[escalation] roles`).
    pub ladder: Vec<Role>,
    /// Whether the longer duties count in office hours (a non-urgent case of a category
    /// handled in working hours).
    pub working_hours: bool,
}

impl Default for Terms {
    fn default() -> Self {
        Self {
            warn_fraction: 0.8,
            ladder: vec![Role::StationOfficer, Role::Dispatcher, Role::Leader],
            working_hours: false,
        }
    }
}

/// Whether an alert is the amber warning or the missed duty itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlertKind {
    Warning,
    Overdue,
}

/// A warning or escalation that falls due for one duty (named by `duty`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Alert<D> {
    pub duty: D,
    pub kind: AlertKind,
    /// When it falls due: the warning instant, or the deadline.
    pub due_at: Timestamp,
}

/// The instant `warn_fraction` of the time from `starts_at` to `due_at` is used.
pub fn warn_at(starts_at: Timestamp, due_at: Timestamp, warn_fraction: f64) -> Timestamp {
    let span = (due_at - starts_at).num_milliseconds().max(0) as f64;
    starts_at + chrono::Duration::milliseconds((span * warn_fraction) as i64)
}

/// The alerts one owed duty has not yet recorded, whatever their time: the warning when
/// `warn_fraction` of its time is used, and the deadline itself. Once escalated, its warning
/// has lost its point. `recorded` tells whether the matter's history already holds an alert
/// of that kind for that instant, so a deadline that moved (an extension, a resumption)
/// arms new alerts.
pub fn pending_alerts<D: Copy>(
    duty: D,
    starts_at: Timestamp,
    due_at: Timestamp,
    warn_fraction: f64,
    recorded: impl Fn(&Alert<D>) -> bool,
) -> Vec<Alert<D>> {
    let overdue = Alert { duty, kind: AlertKind::Overdue, due_at };
    if recorded(&overdue) {
        return vec![];
    }
    let warning = Alert { duty, kind: AlertKind::Warning, due_at: warn_at(starts_at, due_at, warn_fraction) };
    if recorded(&warning) {
        vec![overdue]
    } else {
        vec![warning, overdue]
    }
}

/// Of `pending`, the alerts due by `now`. A warning whose deadline has passed too is
/// dropped: the escalation says more.
pub fn due_by<D: Copy>(pending: &[Alert<D>], deadline_of: impl Fn(D) -> Timestamp, now: Timestamp) -> Vec<Alert<D>> {
    pending
        .iter()
        .filter(|a| a.due_at <= now)
        .filter(|a| !(a.kind == AlertKind::Warning && deadline_of(a.duty) <= now))
        .copied()
        .collect()
}

/// The escalation level after one more missed duty: the next step up, at most the top of
/// a ladder of `levels` steps (at least 1).
pub fn next_level(level: u8, levels: u8) -> u8 {
    level.saturating_add(1).min(levels.max(1))
}

/// One warning or escalation a matter's history holds (each kind keeps its own history; this
/// is the part the shared alert rules read).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AlertRecord<'a> {
    /// `warn` or `escalate` (other steps are ignored).
    pub action: &'a str,
    pub duty: Option<&'a str>,
    pub due_at: Option<Timestamp>,
    pub level: Option<u8>,
}

fn recorded_in(history: &[AlertRecord<'_>], a: &Alert<&str>) -> bool {
    let action = match a.kind {
        AlertKind::Warning => "warn",
        AlertKind::Overdue => "escalate",
    };
    history.iter().any(|r| r.action == action && r.duty == Some(a.duty) && r.due_at == Some(a.due_at))
}

/// The escalation level a duty due at `due_at` has reached (0 = not escalated).
pub fn level_of(history: &[AlertRecord<'_>], name: &str, due_at: Timestamp) -> u8 {
    history
        .iter()
        .filter(|r| r.action == "escalate" && r.duty == Some(name) && r.due_at == Some(due_at))
        .filter_map(|r| r.level)
        .max()
        .unwrap_or(0)
}

fn pending_of<'a>(o: &'a Obligation, history: &[AlertRecord<'_>], warn_fraction: f64) -> Vec<Alert<&'a str>> {
    pending_alerts(o.name.as_str(), o.starts_at, o.due_at, warn_fraction, |a| recorded_in(history, a))
}

/// Sets each open duty's next alert instant from the history (its warning, then its deadline).
pub fn fill_next_alerts(obs: &mut [Obligation], history: &[AlertRecord<'_>], warn_fraction: f64) {
    for o in obs.iter_mut() {
        o.next_alert_at = if o.state == State::Open {
            pending_of(o, history, warn_fraction).iter().map(|a| a.due_at).min()
        } else {
            None
        };
    }
}

/// A warning or escalation to record now.
#[derive(Debug, Clone, PartialEq)]
pub struct DueAlert {
    pub due_at: Timestamp,
    pub duty: String,
    /// The level an escalation reaches; `None` for a warning.
    pub level: Option<u8>,
}

/// The warnings and escalations due by `now` over a matter's open duties, in time order; each
/// escalation goes one level up the ladder from the highest reached so far. A warning whose
/// deadline has passed too is dropped: the escalation says more. Empty when nothing is due.
pub fn due_alerts(obs: &[Obligation], history: &[AlertRecord<'_>], now: Timestamp, terms: &Terms) -> Vec<DueAlert> {
    let mut due: Vec<(Timestamp, bool, String)> = vec![];
    for o in obs.iter().filter(|o| o.state == State::Open) {
        let deadline = o.due_at;
        for a in due_by(&pending_of(o, history, terms.warn_fraction), |_| deadline, now) {
            due.push((a.due_at, a.kind == AlertKind::Overdue, a.duty.to_owned()));
        }
    }
    due.sort();
    let mut level = history.iter().filter(|r| r.action == "escalate").filter_map(|r| r.level).max().unwrap_or(0);
    let levels = terms.ladder.len().min(u8::MAX as usize) as u8;
    due.into_iter()
        .map(|(due_at, overdue, duty)| DueAlert {
            due_at,
            duty,
            level: overdue.then(|| {
                level = next_level(level, levels);
                level
            }),
        })
        .collect()
}

/// The rule every matter keeps: open means at least one duty still owed.
pub fn owes_something(open: bool, obligations: &[Obligation]) -> bool {
    !open || obligations.iter().any(|o| o.state.is_owed())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone, Utc};

    fn t0() -> Timestamp {
        Utc.with_ymd_and_hms(2026, 11, 27, 2, 0, 0).unwrap()
    }

    #[test]
    fn texts_round_trip() {
        for o in [Owner::Role(Role::Dispatcher), Owner::Responder(12), Owner::User(3)] {
            assert_eq!(Owner::parse(&o.to_text()), Some(o));
        }
        assert_eq!(Owner::parse("role:nobody"), None);
        assert_eq!(Owner::parse("responder:x"), None);
        for c in Counting::ALL {
            assert_eq!(Counting::parse(c.as_str()), Some(c));
        }
        for s in State::ALL {
            assert_eq!(State::parse(s.as_str()), Some(s));
        }
        assert_eq!(MatterKind::parse("case"), Some(MatterKind::Case));
    }

    #[test]
    fn a_duty_warns_at_its_share_then_escalates_once() {
        let due = t0() + Duration::minutes(10);
        assert_eq!(warn_at(t0(), due, 0.8), t0() + Duration::minutes(8));
        let nothing = |_: &Alert<u8>| false;
        let p = pending_alerts(1u8, t0(), due, 0.8, nothing);
        assert_eq!(p.len(), 2);
        assert_eq!(due_by(&p, |_| due, t0() + Duration::minutes(7)), vec![]);
        assert_eq!(due_by(&p, |_| due, t0() + Duration::minutes(9)), vec![p[0]]);
        // Past the deadline, only the escalation is left to say.
        assert_eq!(due_by(&p, |_| due, due), vec![p[1]]);
        let warned = |a: &Alert<u8>| a.kind == AlertKind::Warning;
        assert_eq!(pending_alerts(1u8, t0(), due, 0.8, warned), vec![p[1]]);
        assert!(pending_alerts(1u8, t0(), due, 0.8, |_| true).is_empty());
        assert_eq!((next_level(0, 2), next_level(1, 2), next_level(2, 2), next_level(0, 0)), (1, 2, 2, 1));
    }

    #[test]
    fn missed_counts_late_keeping_and_open_duties_past_due() {
        let ob = Obligation {
            name: "close".into(),
            owner: Owner::Role(Role::Dispatcher),
            counting: Counting::Minutes,
            starts_at: t0(),
            due_at: t0() + Duration::hours(24),
            kept_at: None,
            state: State::Open,
            ladder: vec![],
            level: 0,
            next_alert_at: None,
        };
        assert!(!ob.missed(t0() + Duration::hours(23)));
        assert!(ob.missed(t0() + Duration::hours(25)));
        let paused = Obligation { state: State::Paused, ..ob.clone() };
        assert!(!paused.missed(t0() + Duration::hours(25)), "a paused clock misses nothing");
        let late = Obligation { kept_at: Some(t0() + Duration::hours(25)), state: State::Kept, ..ob.clone() };
        assert!(late.missed(t0() + Duration::hours(26)));
        assert!(owes_something(true, &[ob.clone()]));
        assert!(!owes_something(true, &[late.clone()]));
        assert!(owes_something(false, &[]));
    }
}
