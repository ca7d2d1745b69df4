//! The case (事件/案卷) and its lifecycle.
//!
//! ```text
//! new ─accept→ accepted ─dispatch→ dispatched ─arrive→ on_site ─feedback→ in_progress ─close→ closed ─rate→ rated ─archive→ archived
//!  │             │  ↑                 │  ↑ reassign      │                  │                   │ reopen ↗
//!  └─reject──────┴──┼── rejected      └──┴─ reject (退单) back to accepted  │                   │
//!                   └──────────────── reopen ───────────────────────────────┴───────────────────┘
//! suspend (挂账) from accepted … in_progress; resume returns; void (作废) from any open status.
//! ```
//!
//! [`apply`] is the only way a case changes. It checks the action against the status, the
//! actor's required fields (reasons, responders) and time order, and returns the new case with
//! the event that records who, when, what and why.

use crate::codes::{CategoryCode, GridCode};
use crate::deadline::{Deadlines, Promise};
use crate::geo::LatLng;
use crate::obligation::{Counting, Obligation, Owner, State as ObligationState, Terms};
use crate::role::Role;
use crate::Timestamp;
use serde::{Deserialize, Serialize};

/// Longest note, reason or description kept on a case, in characters; longer text is refused
/// rather than cut, so nobody's words are silently lost.
pub const NOTE_CHARS_MAX: usize = 2000;
/// Longest case description in characters (Open311 limits descriptions to 4,000 too).
pub const DESCRIPTION_CHARS_MAX: usize = 4000;
/// Most responders one dispatch may send: a joint dispatch of every force with a few people each.
pub const RESPONDERS_PER_DISPATCH_MAX: usize = 20;

pub type CaseId = i64;
pub type ResponderId = i64;
pub type UserId = i64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Urgent,
    High,
    Normal,
    Low,
}

impl Priority {
    pub const ALL: [Priority; 4] = [Priority::Urgent, Priority::High, Priority::Normal, Priority::Low];
    pub fn as_str(&self) -> &'static str {
        match self {
            Priority::Urgent => "urgent",
            Priority::High => "high",
            Priority::Normal => "normal",
            Priority::Low => "low",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// The channel a case came in through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    ResidentApp,
    Hotline,
    Police110,
    GridPatrol,
    Sensor,
    Petition,
    Volunteer,
    WalkIn,
    Open311,
}

impl Source {
    pub const ALL: [Source; 9] = [
        Source::ResidentApp,
        Source::Hotline,
        Source::Police110,
        Source::GridPatrol,
        Source::Sensor,
        Source::Petition,
        Source::Volunteer,
        Source::WalkIn,
        Source::Open311,
    ];
    pub fn as_str(&self) -> &'static str {
        match self {
            Source::ResidentApp => "resident_app",
            Source::Hotline => "hotline",
            Source::Police110 => "police_110",
            Source::GridPatrol => "grid_patrol",
            Source::Sensor => "sensor",
            Source::Petition => "petition",
            Source::Volunteer => "volunteer",
            Source::WalkIn => "walk_in",
            Source::Open311 => "open311",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    New,
    Accepted,
    Dispatched,
    OnSite,
    InProgress,
    Suspended,
    Closed,
    Rated,
    Archived,
    Rejected,
    Voided,
}

impl Status {
    pub const ALL: [Status; 11] = [
        Status::New,
        Status::Accepted,
        Status::Dispatched,
        Status::OnSite,
        Status::InProgress,
        Status::Suspended,
        Status::Closed,
        Status::Rated,
        Status::Archived,
        Status::Rejected,
        Status::Voided,
    ];
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Accepted => "accepted",
            Status::Dispatched => "dispatched",
            Status::OnSite => "on_site",
            Status::InProgress => "in_progress",
            Status::Suspended => "suspended",
            Status::Closed => "closed",
            Status::Rated => "rated",
            Status::Archived => "archived",
            Status::Rejected => "rejected",
            Status::Voided => "voided",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }
    /// Work is still owed on the case: its promises can still be missed.
    pub fn is_open(&self) -> bool {
        matches!(
            self,
            Status::New
                | Status::Accepted
                | Status::Dispatched
                | Status::OnSite
                | Status::InProgress
                | Status::Suspended
        )
    }
}

/// What happened to a case, one per kind of step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    Create,
    Accept,
    Dispatch,
    ContactParty,
    Arrive,
    Feedback,
    Close,
    Reject,
    Reassign,
    Suspend,
    Resume,
    Void,
    Reopen,
    Rate,
    Archive,
    /// Most of a promise's time is used (amber warning).
    Warn,
    /// A promise was missed: the case is overdue and goes up a level (督办).
    Escalate,
    /// A deadline was moved by an approver (延期).
    Extend,
    /// A responder took an assignment (接单).
    Take,
    /// A responder declined an assignment, or did not answer in time.
    Decline,
}

impl ActionKind {
    pub const ALL: [ActionKind; 20] = [
        ActionKind::Create,
        ActionKind::Accept,
        ActionKind::Dispatch,
        ActionKind::ContactParty,
        ActionKind::Arrive,
        ActionKind::Feedback,
        ActionKind::Close,
        ActionKind::Reject,
        ActionKind::Reassign,
        ActionKind::Suspend,
        ActionKind::Resume,
        ActionKind::Void,
        ActionKind::Reopen,
        ActionKind::Rate,
        ActionKind::Archive,
        ActionKind::Warn,
        ActionKind::Escalate,
        ActionKind::Extend,
        ActionKind::Take,
        ActionKind::Decline,
    ];
    pub fn as_str(&self) -> &'static str {
        match self {
            ActionKind::Create => "create",
            ActionKind::Accept => "accept",
            ActionKind::Dispatch => "dispatch",
            ActionKind::ContactParty => "contact_party",
            ActionKind::Arrive => "arrive",
            ActionKind::Feedback => "feedback",
            ActionKind::Close => "close",
            ActionKind::Reject => "reject",
            ActionKind::Reassign => "reassign",
            ActionKind::Suspend => "suspend",
            ActionKind::Resume => "resume",
            ActionKind::Void => "void",
            ActionKind::Reopen => "reopen",
            ActionKind::Rate => "rate",
            ActionKind::Archive => "archive",
            ActionKind::Warn => "warn",
            ActionKind::Escalate => "escalate",
            ActionKind::Extend => "extend",
            ActionKind::Take => "take",
            ActionKind::Decline => "decline",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// A resident's judgement after closing (回访评价).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Satisfaction {
    Satisfied,
    BasicallySatisfied,
    Dissatisfied,
}

impl Satisfaction {
    pub fn as_str(&self) -> &'static str {
        match self {
            Satisfaction::Satisfied => "satisfied",
            Satisfaction::BasicallySatisfied => "basically_satisfied",
            Satisfaction::Dissatisfied => "dissatisfied",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Satisfied, Self::BasicallySatisfied, Self::Dissatisfied].into_iter().find(|p| p.as_str() == s)
    }
}

/// A requested step, with what the step needs.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Accept,
    Dispatch {
        responders: Vec<ResponderId>,
    },
    ContactParty,
    Arrive {
        responder: Option<ResponderId>,
    },
    Feedback,
    Close,
    Reject,
    Reassign {
        responders: Vec<ResponderId>,
    },
    Suspend,
    Resume,
    Void,
    Reopen,
    Rate {
        satisfaction: Satisfaction,
    },
    Archive,
    /// Moves a promise still owed later by `by` (延期); needs a reason.
    Extend {
        promise: Promise,
        by: chrono::Duration,
    },
    /// The responder takes the assignment (接单).
    Take {
        responder: ResponderId,
    },
    /// The responder declines the assignment, or the system records that they did not answer.
    Decline {
        responder: ResponderId,
    },
}

impl Action {
    pub fn kind(&self) -> ActionKind {
        match self {
            Action::Accept => ActionKind::Accept,
            Action::Dispatch { .. } => ActionKind::Dispatch,
            Action::ContactParty => ActionKind::ContactParty,
            Action::Arrive { .. } => ActionKind::Arrive,
            Action::Feedback => ActionKind::Feedback,
            Action::Close => ActionKind::Close,
            Action::Reject => ActionKind::Reject,
            Action::Reassign { .. } => ActionKind::Reassign,
            Action::Suspend => ActionKind::Suspend,
            Action::Resume => ActionKind::Resume,
            Action::Void => ActionKind::Void,
            Action::Reopen => ActionKind::Reopen,
            Action::Rate { .. } => ActionKind::Rate,
            Action::Archive => ActionKind::Archive,
            Action::Extend { .. } => ActionKind::Extend,
            Action::Take { .. } => ActionKind::Take,
            Action::Decline { .. } => ActionKind::Decline,
        }
    }
}

/// Who did something: a signed-in user acting in a role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub user_id: UserId,
    pub username: String,
    pub role: Role,
}

/// One recorded step (全程留痕).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseEvent {
    pub seq: u32,
    pub at: Timestamp,
    pub actor: Actor,
    pub action: ActionKind,
    pub from: Option<Status>,
    pub to: Status,
    pub note: Option<String>,
    pub responders: Vec<ResponderId>,
    /// For warnings, escalations and extensions: which promise, and the instant the alert
    /// was for (or the new deadline).
    pub promise: Option<Promise>,
    pub due_at: Option<Timestamp>,
    /// For escalations: the level it went up to (1 = first level above the team).
    pub level: Option<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssignmentStatus {
    /// Sent, not yet on site.
    Active,
    /// On site.
    Arrived,
    /// Ended by closing the case.
    Completed,
    /// Handed back (退单) or replaced (改派), or the case was voided.
    Withdrawn,
    /// The responder declined, or did not answer in time; someone else is sent.
    Declined,
}

/// One responder sent to a case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assignment {
    pub responder_id: ResponderId,
    pub status: AssignmentStatus,
    pub assigned_at: Timestamp,
    pub arrived_at: Option<Timestamp>,
    pub ended_at: Option<Timestamp>,
    /// The responder must take (接单) the assignment by then, or it passes to the next.
    #[serde(default)]
    pub answer_by: Option<Timestamp>,
    /// When the responder took it.
    #[serde(default)]
    pub answered_at: Option<Timestamp>,
}

impl Assignment {
    pub fn is_current(&self) -> bool {
        matches!(self.status, AssignmentStatus::Active | AssignmentStatus::Arrived)
    }
}

/// When each promise was kept; `None` while it is still owed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Milestones {
    pub accepted_at: Option<Timestamp>,
    pub dispatched_at: Option<Timestamp>,
    pub contacted_at: Option<Timestamp>,
    pub on_site_at: Option<Timestamp>,
    pub first_feedback_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
}

impl Milestones {
    /// When the promise was kept. "Dispatched" counts once both dispatch and contact happened.
    pub fn kept_at(&self, p: Promise) -> Option<Timestamp> {
        match p {
            Promise::Accept => self.accepted_at,
            Promise::Dispatch => match (self.dispatched_at, self.contacted_at) {
                (Some(a), Some(b)) => Some(a.max(b)),
                _ => None,
            },
            Promise::OnSite => self.on_site_at,
            Promise::FirstFeedback => self.first_feedback_at,
            Promise::Close => self.closed_at,
        }
    }
}

/// What the reporter gave and what the centre decided at intake.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCase {
    pub category: CategoryCode,
    pub priority: Priority,
    pub source: Source,
    pub location: LatLng,
    pub grid: GridCode,
    pub description: String,
    pub address: Option<String>,
    /// Reporter's personal data lives in a separate record; the case only points to it.
    pub reporter_id: Option<i64>,
    /// The signed-in account that reported it (a resident following their own report).
    pub reported_by: Option<UserId>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    pub id: CaseId,
    pub category: CategoryCode,
    pub priority: Priority,
    pub source: Source,
    pub location: LatLng,
    pub grid: GridCode,
    pub description: String,
    pub address: Option<String>,
    pub reporter_id: Option<i64>,
    pub reported_by: Option<UserId>,
    pub status: Status,
    /// The status a suspended case returns to on resume.
    pub suspended_from: Option<Status>,
    pub suspended_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub deadlines: Deadlines,
    pub milestones: Milestones,
    pub satisfaction: Option<Satisfaction>,
    pub reopened_count: u32,
    pub assignments: Vec<Assignment>,
    pub events: Vec<CaseEvent>,
    /// Bumped on every change; the store refuses a write whose expected version is stale.
    pub version: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("cannot {action} a case that is {status}", action = .action.as_str(), status = .status.as_str())]
    InvalidTransition { action: ActionKind, status: Status },
    #[error("{0} needs a reason")]
    ReasonRequired(&'static str),
    #[error("a note is longer than {NOTE_CHARS_MAX} characters")]
    NoteTooLong,
    #[error("{0} needs at least one responder and at most {RESPONDERS_PER_DISPATCH_MAX}")]
    Responders(&'static str),
    #[error("responder {0} is already assigned to this case")]
    AlreadyAssigned(ResponderId),
    #[error("responder {0} is not assigned to this case")]
    NotAssigned(ResponderId),
    #[error("the step is dated before the case's last step")]
    TimeTravel,
    #[error("an extension must be positive and at most {EXTENSION_DAYS_MAX} days")]
    Extension,
}

/// Builds a new case. `id` comes from the store; `at` from the caller's clock.
pub fn create(id: CaseId, new: NewCase, deadlines: Deadlines, actor: Actor, at: Timestamp) -> Case {
    let event = CaseEvent {
        seq: 1,
        at,
        actor,
        action: ActionKind::Create,
        from: None,
        to: Status::New,
        note: None,
        responders: vec![],
        promise: None,
        due_at: None,
        level: None,
    };
    Case {
        id,
        category: new.category,
        priority: new.priority,
        source: new.source,
        location: new.location,
        grid: new.grid,
        description: new.description,
        address: new.address,
        reporter_id: new.reporter_id,
        reported_by: new.reported_by,
        status: Status::New,
        suspended_from: None,
        suspended_at: None,
        created_at: at,
        updated_at: at,
        deadlines,
        milestones: Milestones::default(),
        satisfaction: None,
        reopened_count: 0,
        assignments: vec![],
        events: vec![event],
        version: 1,
    }
}

/// The assignment of `r` that is sent but not yet on site.
fn active_assignment(assignments: &mut [Assignment], r: ResponderId) -> Result<&mut Assignment, TransitionError> {
    assignments
        .iter_mut()
        .find(|a| a.responder_id == r && a.status == AssignmentStatus::Active)
        .ok_or(TransitionError::NotAssigned(r))
}

fn responders_ok(rs: &[ResponderId], what: &'static str) -> Result<(), TransitionError> {
    let mut sorted = rs.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    if rs.is_empty() || rs.len() > RESPONDERS_PER_DISPATCH_MAX || sorted.len() != rs.len() {
        return Err(TransitionError::Responders(what));
    }
    Ok(())
}

/// Applies one action. On success the returned case has one more event, a higher version and
/// `updated_at == at`; on error nothing changed.
pub fn apply(
    case: &Case,
    action: &Action,
    actor: &Actor,
    note: Option<&str>,
    at: Timestamp,
) -> Result<Case, TransitionError> {
    use Status as S;
    let kind = action.kind();
    let invalid = || TransitionError::InvalidTransition { action: kind, status: case.status };
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > NOTE_CHARS_MAX) {
        return Err(TransitionError::NoteTooLong);
    }
    if at < case.updated_at {
        return Err(TransitionError::TimeTravel);
    }
    let needs_reason = |what| note.map(|_| ()).ok_or(TransitionError::ReasonRequired(what));

    let mut c = case.clone();
    let mut responders = vec![];
    let mut extended = None;
    let m = &mut c.milestones;
    match action {
        Action::Accept => {
            if c.status != S::New {
                return Err(invalid());
            }
            m.accepted_at = Some(at);
            c.status = S::Accepted;
        }
        Action::Dispatch { responders: rs } => {
            // A dispatch on a case already under way sends reinforcements.
            if !matches!(c.status, S::Accepted | S::Dispatched | S::OnSite | S::InProgress) {
                return Err(invalid());
            }
            responders_ok(rs, "dispatch")?;
            if let Some(r) = rs.iter().find(|r| c.assignments.iter().any(|a| a.is_current() && a.responder_id == **r)) {
                return Err(TransitionError::AlreadyAssigned(*r));
            }
            for r in rs {
                c.assignments.push(Assignment {
                    responder_id: *r,
                    status: AssignmentStatus::Active,
                    assigned_at: at,
                    arrived_at: None,
                    ended_at: None,
                    answer_by: None,
                    answered_at: None,
                });
            }
            m.dispatched_at.get_or_insert(at);
            if c.status == S::Accepted {
                c.status = S::Dispatched;
            }
            responders = rs.clone();
        }
        Action::ContactParty => {
            if !matches!(c.status, S::Accepted | S::Dispatched | S::OnSite | S::InProgress) {
                return Err(invalid());
            }
            m.contacted_at.get_or_insert(at);
        }
        Action::Arrive { responder } => {
            if !matches!(c.status, S::Dispatched | S::OnSite | S::InProgress) {
                return Err(invalid());
            }
            if let Some(r) = responder {
                let a = active_assignment(&mut c.assignments, *r)?;
                a.status = AssignmentStatus::Arrived;
                a.arrived_at = Some(at);
                responders.push(*r);
            }
            m.on_site_at.get_or_insert(at);
            if c.status == S::Dispatched {
                c.status = S::OnSite;
            }
        }
        Action::Feedback => {
            if !matches!(c.status, S::OnSite | S::InProgress) {
                return Err(invalid());
            }
            needs_reason("feedback")?;
            m.first_feedback_at.get_or_insert(at);
            c.status = S::InProgress;
        }
        Action::Close => {
            if !matches!(c.status, S::OnSite | S::InProgress) {
                return Err(invalid());
            }
            needs_reason("close")?;
            // Closing reports the result, so it is feedback too.
            m.first_feedback_at.get_or_insert(at);
            m.closed_at = Some(at);
            // Whoever was sent but never answered nor came did not do the work: withdrawn,
            // not completed.
            for a in c.assignments.iter_mut().filter(|a| {
                a.is_current() && a.answer_by.is_some() && a.answered_at.is_none() && a.arrived_at.is_none()
            }) {
                a.status = AssignmentStatus::Withdrawn;
                a.ended_at = Some(at);
            }
            end_assignments(&mut c.assignments, AssignmentStatus::Completed, at);
            c.status = S::Closed;
        }
        Action::Reject => {
            needs_reason("reject")?;
            match c.status {
                // 不予受理: the centre refuses the case.
                S::New | S::Accepted => c.status = S::Rejected,
                // 退单: the team hands the order back to the centre, which must send someone else.
                S::Dispatched => {
                    end_assignments(&mut c.assignments, AssignmentStatus::Withdrawn, at);
                    c.status = S::Accepted;
                }
                _ => return Err(invalid()),
            }
        }
        Action::Reassign { responders: rs } => {
            if !matches!(c.status, S::Dispatched | S::OnSite | S::InProgress) {
                return Err(invalid());
            }
            needs_reason("reassign")?;
            responders_ok(rs, "reassign")?;
            end_assignments(&mut c.assignments, AssignmentStatus::Withdrawn, at);
            for r in rs {
                c.assignments.push(Assignment {
                    responder_id: *r,
                    status: AssignmentStatus::Active,
                    assigned_at: at,
                    arrived_at: None,
                    ended_at: None,
                    answer_by: None,
                    answered_at: None,
                });
            }
            c.status = S::Dispatched;
            responders = rs.clone();
        }
        Action::Suspend => {
            if !matches!(c.status, S::Accepted | S::Dispatched | S::OnSite | S::InProgress) {
                return Err(invalid());
            }
            needs_reason("suspend")?;
            c.suspended_from = Some(c.status);
            c.suspended_at = Some(at);
            c.status = S::Suspended;
        }
        Action::Resume => {
            let (Some(from), Some(since)) = (c.suspended_from, c.suspended_at) else {
                return Err(invalid());
            };
            if c.status != S::Suspended {
                return Err(invalid());
            }
            // The clock stood still while suspended: promises still owed move by the pause.
            let paused = at - since;
            for p in Promise::ALL {
                if c.milestones.kept_at(p).is_none() {
                    *c.deadlines.get_mut(p) += paused;
                }
            }
            c.status = from;
            c.suspended_from = None;
            c.suspended_at = None;
        }
        Action::Void => {
            if !(c.status.is_open() || c.status == S::Rejected) {
                return Err(invalid());
            }
            needs_reason("void")?;
            end_assignments(&mut c.assignments, AssignmentStatus::Withdrawn, at);
            c.suspended_from = None;
            c.suspended_at = None;
            c.status = S::Voided;
        }
        Action::Reopen => {
            if !matches!(c.status, S::Closed | S::Rated | S::Rejected) {
                return Err(invalid());
            }
            needs_reason("reopen")?;
            // 返工: the work is owed again, with a fresh closing period of the same length.
            let close_period = c.deadlines.close - c.created_at;
            c.deadlines.close = c.deadlines.close.max(at + close_period);
            m.closed_at = None;
            m.accepted_at.get_or_insert(at);
            c.satisfaction = None;
            c.reopened_count += 1;
            c.status = S::Accepted;
        }
        Action::Rate { satisfaction } => {
            if c.status != S::Closed {
                return Err(invalid());
            }
            c.satisfaction = Some(*satisfaction);
            c.status = S::Rated;
        }
        Action::Archive => {
            if !matches!(c.status, S::Closed | S::Rated) {
                return Err(invalid());
            }
            c.status = S::Archived;
        }
        Action::Take { responder } => {
            if !matches!(c.status, S::Dispatched | S::OnSite | S::InProgress) {
                return Err(invalid());
            }
            let a = active_assignment(&mut c.assignments, *responder)?;
            if a.answered_at.is_some() {
                return Err(invalid());
            }
            a.answered_at = Some(at);
            responders.push(*responder);
        }
        Action::Decline { responder } => {
            if !matches!(c.status, S::Dispatched | S::OnSite | S::InProgress) {
                return Err(invalid());
            }
            // Only before arriving: someone on site hands back with 退单 or is replaced (改派).
            let a = active_assignment(&mut c.assignments, *responder)?;
            a.status = AssignmentStatus::Declined;
            a.ended_at = Some(at);
            if c.status == S::Dispatched && !c.assignments.iter().any(Assignment::is_current) {
                // Nobody is on the way any more: the case waits for someone else to be sent.
                c.status = S::Accepted;
            }
            responders.push(*responder);
        }
        Action::Extend { promise, by } => {
            if !c.status.is_open() || c.milestones.kept_at(*promise).is_some() {
                return Err(invalid());
            }
            if *by <= chrono::Duration::zero() || *by > chrono::Duration::days(EXTENSION_DAYS_MAX) {
                return Err(TransitionError::Extension);
            }
            needs_reason("extend")?;
            *c.deadlines.get_mut(*promise) += *by;
            extended = Some((*promise, c.deadlines.get(*promise)));
        }
    }
    let seq = c.events.len() as u32 + 1;
    c.events.push(CaseEvent {
        seq,
        at,
        actor: actor.clone(),
        action: kind,
        from: Some(case.status),
        to: c.status,
        note: note.map(str::to_owned),
        responders,
        promise: extended.map(|e| e.0),
        due_at: extended.map(|e| e.1),
        level: None,
    });
    c.updated_at = at;
    c.version += 1;
    Ok(c)
}

/// Longest single extension of a deadline.
pub const EXTENSION_DAYS_MAX: i64 = 90;

pub use crate::obligation::AlertKind;

/// A warning or escalation that falls due for one of a case's promises.
pub type Alert = crate::obligation::Alert<Promise>;

fn alert_recorded(case: &Case, a: &Alert) -> bool {
    let action = match a.kind {
        AlertKind::Warning => ActionKind::Warn,
        AlertKind::Overdue => ActionKind::Escalate,
    };
    case.events.iter().any(|e| e.action == action && e.promise == Some(a.duty) && e.due_at == Some(a.due_at))
}

/// Whether the case's clock runs: open and not suspended.
fn running(case: &Case) -> bool {
    case.status.is_open() && case.status != Status::Suspended
}

/// The alerts of one promise still owed that are not yet recorded.
fn promise_alerts(case: &Case, p: Promise, warn_fraction: f64) -> Vec<Alert> {
    if !running(case) || case.milestones.kept_at(p).is_some() {
        return vec![];
    }
    crate::obligation::pending_alerts(p, case.created_at, case.deadlines.get(p), warn_fraction, |a| {
        alert_recorded(case, a)
    })
}

/// Every alert of a case not yet recorded, whatever its time: for each promise still owed,
/// the warning when `warn_fraction` of its time is used, and the deadline itself. A
/// suspended or ended case has none (its clock stands still or has stopped). A deadline that
/// moved (extension, resumption, reopening) arms new alerts.
pub fn pending_alerts(case: &Case, warn_fraction: f64) -> Vec<Alert> {
    Promise::ALL.into_iter().flat_map(|p| promise_alerts(case, p, warn_fraction)).collect()
}

/// The alerts due by `now`. A warning whose deadline has passed too is dropped: the
/// escalation says more.
pub fn due_alerts(case: &Case, now: Timestamp, warn_fraction: f64) -> Vec<Alert> {
    crate::obligation::due_by(&pending_alerts(case, warn_fraction), |p| case.deadlines.get(p), now)
}

/// The duties a case owes, as obligations: its five promises, and an answer (接单) from each
/// responder sent with a time to answer by. Accepting and dispatching are the dispatchers'
/// duty; being on site, the first feedback and closing belong to the responder currently
/// sent, or to the dispatchers while nobody is.
pub fn obligations(case: &Case, terms: &Terms) -> Vec<Obligation> {
    let current = case.assignments.iter().find(|a| a.is_current()).map(|a| a.responder_id);
    let dispatchers = Owner::Role(Role::Dispatcher);
    let owed = if running(case) {
        ObligationState::Open
    } else if case.status == Status::Suspended {
        ObligationState::Paused
    } else {
        ObligationState::Dropped
    };
    let mut out = Vec::with_capacity(Promise::ALL.len() + case.assignments.len());
    for p in Promise::ALL {
        let due_at = case.deadlines.get(p);
        let kept_at = case.milestones.kept_at(p);
        let owner = match (p, current) {
            (Promise::Accept | Promise::Dispatch, _) | (_, None) => dispatchers.clone(),
            (_, Some(r)) => Owner::Responder(r),
        };
        let level = case
            .events
            .iter()
            .filter(|e| e.action == ActionKind::Escalate && e.promise == Some(p) && e.due_at == Some(due_at))
            .filter_map(|e| e.level)
            .max()
            .unwrap_or(0);
        out.push(Obligation {
            name: p.as_str().into(),
            owner,
            counting: if terms.working_hours && matches!(p, Promise::FirstFeedback | Promise::Close) {
                Counting::WorkingHours
            } else {
                Counting::Minutes
            },
            starts_at: case.created_at,
            due_at,
            kept_at,
            state: if kept_at.is_some() { ObligationState::Kept } else { owed },
            ladder: terms.ladder.clone(),
            level,
            next_alert_at: promise_alerts(case, p, terms.warn_fraction).iter().map(|a| a.due_at).min(),
        });
    }
    for (i, a) in case.assignments.iter().enumerate() {
        let Some(answer_by) = a.answer_by else { continue };
        let state = match (a.answered_at, a.status) {
            (Some(_), _) => ObligationState::Kept,
            (None, AssignmentStatus::Active) if owed != ObligationState::Dropped => owed,
            _ => ObligationState::Dropped,
        };
        out.push(Obligation {
            name: format!("answer:{i}"),
            owner: Owner::Responder(a.responder_id),
            counting: Counting::Minutes,
            starts_at: a.assigned_at,
            due_at: answer_by,
            kept_at: a.answered_at,
            state,
            ladder: vec![],
            level: 0,
            next_alert_at: (state == ObligationState::Open).then_some(answer_by),
        });
    }
    out
}

/// When the next alert of a case falls due, or an assignment passes unanswered; `None` when
/// neither will.
pub fn next_alert_at(case: &Case, warn_fraction: f64) -> Option<Timestamp> {
    let answers = unanswered(case).map(|a| a.answer_by.expect("unanswered has a deadline"));
    pending_alerts(case, warn_fraction).iter().map(|a| a.due_at).chain(answers).min()
}

/// Assignments waiting to be taken (接单) with a deadline to answer by.
pub fn unanswered(case: &Case) -> impl Iterator<Item = &Assignment> {
    let open = case.status.is_open() && case.status != Status::Suspended;
    case.assignments.iter().filter(move |a| {
        open && a.status == AssignmentStatus::Active && a.answered_at.is_none() && a.answer_by.is_some()
    })
}

/// The responders whose time to answer has run out by `now`.
pub fn unanswered_due(case: &Case, now: Timestamp) -> Vec<ResponderId> {
    unanswered(case).filter(|a| a.answer_by.is_some_and(|t| t <= now)).map(|a| a.responder_id).collect()
}

/// Records the alerts due by `now`: one event each, in time order; escalations count up the
/// levels (the first missed promise goes to level 1, the next to 2, …, at most `levels_max`).
/// `None` when nothing is due. Calling it again at the same time records nothing.
pub fn record_alerts(case: &Case, now: Timestamp, warn_fraction: f64, levels_max: u8, actor: &Actor) -> Option<Case> {
    let mut alerts = due_alerts(case, now, warn_fraction);
    if alerts.is_empty() {
        return None;
    }
    alerts.sort_by_key(|a| (a.due_at, a.duty, a.kind == AlertKind::Overdue));
    let mut c = case.clone();
    let mut level = c.events.iter().filter(|e| e.action == ActionKind::Escalate).count() as u8;
    let at = now.max(c.updated_at);
    for a in alerts {
        let (action, lvl, note) = match a.kind {
            AlertKind::Warning => (ActionKind::Warn, None, format!("{}：即将超时", a.duty.zh())),
            AlertKind::Overdue => {
                level = crate::obligation::next_level(level, levels_max);
                (ActionKind::Escalate, Some(level), format!("{}：超时督办，升级至第{level}级", a.duty.zh()))
            }
        };
        let seq = c.events.len() as u32 + 1;
        c.events.push(CaseEvent {
            seq,
            at,
            actor: actor.clone(),
            action,
            from: Some(c.status),
            to: c.status,
            note: Some(note),
            responders: vec![],
            promise: Some(a.duty),
            due_at: Some(a.due_at),
            level: lvl,
        });
        c.version += 1;
    }
    c.updated_at = at;
    Some(c)
}

fn end_assignments(assignments: &mut [Assignment], to: AssignmentStatus, at: Timestamp) {
    for a in assignments.iter_mut().filter(|a| a.is_current()) {
        a.status = to;
        a.ended_at = Some(at);
    }
}

/// The promises a case has missed by `now`: kept late, or still owed past their deadline.
/// A suspended case's clock stands still, so nothing new falls due while it is suspended.
pub fn overdue(case: &Case, now: Timestamp) -> Vec<Promise> {
    let now = match (case.status, case.suspended_at) {
        (Status::Suspended, Some(since)) => since,
        _ => now,
    };
    Promise::ALL
        .into_iter()
        .filter(|p| {
            let due = case.deadlines.get(*p);
            match case.milestones.kept_at(*p) {
                Some(kept) => kept > due,
                // A case that ended without the step owes it no more.
                None => case.status.is_open() && now > due,
            }
        })
        .collect()
}

impl Case {
    /// Checks what must hold for every case, whatever sequence of actions produced it.
    /// Returns the first broken rule.
    pub fn check_invariants(&self) -> Result<(), String> {
        let m = &self.milestones;
        let created = self.created_at;
        for p in Promise::ALL {
            if self.deadlines.get(p) < created {
                return Err(format!("deadline {} precedes creation", p.as_str()));
            }
        }
        for t in [m.accepted_at, m.dispatched_at, m.contacted_at, m.on_site_at, m.first_feedback_at, m.closed_at]
            .into_iter()
            .flatten()
        {
            if t < created || t > self.updated_at {
                return Err("a milestone lies outside the case's life".into());
            }
        }
        let needs = |ok: bool, what: &str| {
            if ok {
                Ok(())
            } else {
                Err(format!("{} without {what}", self.status.as_str()))
            }
        };
        use Status as S;
        match self.status {
            S::New => needs(m.accepted_at.is_none(), "being unaccepted")?,
            S::Accepted => needs(m.accepted_at.is_some(), "accepted_at")?,
            S::Dispatched => needs(
                m.dispatched_at.is_some() && self.assignments.iter().any(Assignment::is_current),
                "a current assignment",
            )?,
            S::OnSite => needs(m.on_site_at.is_some(), "on_site_at")?,
            S::InProgress => needs(m.first_feedback_at.is_some(), "first_feedback_at")?,
            S::Closed | S::Rated | S::Archived => needs(m.closed_at.is_some(), "closed_at")?,
            S::Suspended => {
                needs(self.suspended_from.is_some() && self.suspended_at.is_some(), "where it was suspended from")?
            }
            S::Rejected | S::Voided => {}
        }
        if self.status != S::Suspended && (self.suspended_from.is_some() || self.suspended_at.is_some()) {
            return Err("suspension left over".into());
        }
        if !self.status.is_open() && self.assignments.iter().any(Assignment::is_current) {
            return Err("an ended case still has someone assigned".into());
        }
        let mut current: Vec<_> = self.assignments.iter().filter(|a| a.is_current()).map(|a| a.responder_id).collect();
        let n = current.len();
        current.sort_unstable();
        current.dedup();
        if current.len() != n {
            return Err("one responder holds two current assignments on one case".into());
        }
        if self.events.is_empty() || self.events.len() as u32 != self.version {
            return Err("events do not match the version".into());
        }
        for (i, w) in self.events.windows(2).enumerate() {
            if w[1].at < w[0].at || w[1].seq != i as u32 + 2 || w[1].from != Some(w[0].to) {
                return Err(format!("event {} does not follow event {}", i + 2, i + 1));
            }
        }
        if self.events.last().map(|e| e.to) != Some(self.status) {
            return Err("last event does not end in the case's status".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deadline::DeadlinePolicy;
    use chrono::{Duration, TimeZone, Utc};
    use proptest::prelude::*;

    fn actor() -> Actor {
        Actor { user_id: 1, username: "dispatcher".into(), role: Role::Dispatcher }
    }

    fn t0() -> Timestamp {
        Utc.with_ymd_and_hms(2026, 11, 27, 2, 0, 0).unwrap()
    }

    fn new_case() -> Case {
        let category = CategoryCode::parse("SJ1002").unwrap();
        let deadlines = DeadlinePolicy::default().deadlines(&category, Priority::Normal, t0());
        create(
            7,
            NewCase {
                category,
                priority: Priority::Normal,
                source: Source::Hotline,
                location: LatLng::new(30.3, 120.6).unwrap(),
                grid: GridCode::parse("330114004001001").unwrap(),
                description: "拖欠工资".into(),
                address: None,
                reporter_id: None,
                reported_by: None,
            },
            deadlines,
            actor(),
            t0(),
        )
    }

    fn step(c: &Case, a: Action, note: Option<&str>, secs: i64) -> Result<Case, TransitionError> {
        apply(c, &a, &actor(), note, t0() + Duration::seconds(secs))
    }

    #[test]
    fn a_partner_who_never_answered_is_not_marked_as_having_done_the_work() {
        let c = new_case();
        let c = step(&c, Action::Accept, None, 30).unwrap();
        let mut c = step(&c, Action::Dispatch { responders: vec![11, 12] }, None, 60).unwrap();
        // Both had 90 s to take it (the application layer sets this).
        for a in &mut c.assignments {
            a.answer_by = Some(a.assigned_at + Duration::seconds(90));
        }
        let c = step(&c, Action::Take { responder: 11 }, None, 80).unwrap();
        let c = step(&c, Action::ContactParty, Some("电话联系"), 90).unwrap();
        let c = step(&c, Action::Arrive { responder: Some(11) }, None, 300).unwrap();
        let c = step(&c, Action::Close, Some("已处理"), 2400).unwrap();
        let by = |r: i64| c.assignments.iter().find(|a| a.responder_id == r).unwrap().status;
        assert_eq!((by(11), by(12)), (AssignmentStatus::Completed, AssignmentStatus::Withdrawn));
    }

    #[test]
    fn the_happy_path_keeps_every_promise() {
        let c = new_case();
        let c = step(&c, Action::Accept, None, 30).unwrap();
        let c = step(&c, Action::Dispatch { responders: vec![11, 12] }, None, 60).unwrap();
        let c = step(&c, Action::ContactParty, Some("电话联系"), 90).unwrap();
        let c = step(&c, Action::Arrive { responder: Some(11) }, None, 300).unwrap();
        let c = step(&c, Action::Feedback, Some("正在调解"), 1200).unwrap();
        let c = step(&c, Action::Close, Some("工资当天支付"), 2400).unwrap();
        assert_eq!(c.status, Status::Closed);
        assert!(overdue(&c, t0() + Duration::days(3)).is_empty());
        assert!(c.assignments.iter().all(|a| a.status == AssignmentStatus::Completed));
        let c = step(&c, Action::Rate { satisfaction: Satisfaction::Satisfied }, None, 5000).unwrap();
        let c = step(&c, Action::Archive, None, 6000).unwrap();
        assert_eq!(c.status, Status::Archived);
        assert_eq!(c.events.len(), 9);
        c.check_invariants().unwrap();
    }

    #[test]
    fn missed_promises_show_as_overdue() {
        let c = new_case();
        assert_eq!(overdue(&c, t0() + Duration::seconds(30)), vec![]);
        assert_eq!(overdue(&c, t0() + Duration::seconds(61)), vec![Promise::Accept]);
        let c = step(&c, Action::Accept, None, 120).unwrap();
        // Kept late still counts as missed.
        assert_eq!(overdue(&c, t0() + Duration::seconds(121)), vec![Promise::Accept]);
        assert_eq!(
            overdue(&c, t0() + Duration::minutes(11)),
            vec![Promise::Accept, Promise::Dispatch, Promise::OnSite]
        );
    }

    #[test]
    fn wrong_status_and_missing_reason_are_refused() {
        let c = new_case();
        assert_eq!(
            step(&c, Action::Close, Some("x"), 1),
            Err(TransitionError::InvalidTransition { action: ActionKind::Close, status: Status::New })
        );
        assert_eq!(step(&c, Action::Void, None, 1), Err(TransitionError::ReasonRequired("void")));
        assert_eq!(step(&c, Action::Void, Some("  "), 1), Err(TransitionError::ReasonRequired("void")));
        let c = step(&c, Action::Accept, None, 1).unwrap();
        assert!(matches!(
            step(&c, Action::Dispatch { responders: vec![] }, None, 2),
            Err(TransitionError::Responders(_))
        ));
        assert!(matches!(
            step(&c, Action::Dispatch { responders: vec![3, 3] }, None, 2),
            Err(TransitionError::Responders(_))
        ));
        let c = step(&c, Action::Dispatch { responders: vec![3] }, None, 2).unwrap();
        assert_eq!(
            step(&c, Action::Dispatch { responders: vec![3] }, None, 3),
            Err(TransitionError::AlreadyAssigned(3))
        );
        assert_eq!(step(&c, Action::Arrive { responder: Some(4) }, None, 3), Err(TransitionError::NotAssigned(4)));
        assert_eq!(step(&c, Action::Accept, None, 0), Err(TransitionError::TimeTravel));
        let long = "长".repeat(NOTE_CHARS_MAX + 1);
        assert_eq!(step(&c, Action::Suspend, Some(&long), 5), Err(TransitionError::NoteTooLong));
    }

    #[test]
    fn returned_order_goes_back_to_the_centre() {
        let c = new_case();
        let c = step(&c, Action::Accept, None, 1).unwrap();
        let c = step(&c, Action::Dispatch { responders: vec![3] }, None, 2).unwrap();
        let c = step(&c, Action::Reject, Some("不属于本站辖区"), 3).unwrap();
        assert_eq!(c.status, Status::Accepted);
        assert_eq!(c.assignments[0].status, AssignmentStatus::Withdrawn);
        c.check_invariants().unwrap();
    }

    #[test]
    fn suspension_pauses_the_clock() {
        let c = new_case();
        let c = step(&c, Action::Accept, None, 10).unwrap();
        let c = step(&c, Action::Suspend, Some("等待业主回复"), 20).unwrap();
        // While suspended nothing new falls due.
        assert_eq!(overdue(&c, t0() + Duration::hours(2)), vec![]);
        let c = step(&c, Action::Resume, Some("业主已回复"), 3620).unwrap();
        assert_eq!(c.status, Status::Accepted);
        assert_eq!(c.deadlines.dispatch, t0() + Duration::minutes(3) + Duration::seconds(3600));
        // The kept accept promise does not move.
        assert_eq!(c.deadlines.accept, t0() + Duration::minutes(1));
    }

    #[test]
    fn reopen_gives_a_fresh_close_period() {
        let c = new_case();
        let c = step(&c, Action::Accept, None, 1).unwrap();
        let c = step(&c, Action::Dispatch { responders: vec![3] }, None, 2).unwrap();
        let c = step(&c, Action::Arrive { responder: None }, None, 3).unwrap();
        let c = step(&c, Action::Close, Some("ok"), 4).unwrap();
        let c = step(&c, Action::Reopen, Some("问题仍在"), 7200).unwrap();
        assert_eq!(c.status, Status::Accepted);
        assert_eq!(c.deadlines.close, t0() + Duration::seconds(7200) + Duration::hours(24));
        assert_eq!(c.reopened_count, 1);
        c.check_invariants().unwrap();
    }

    fn system() -> Actor {
        Actor { user_id: 0, username: "deadline-runner".into(), role: Role::Admin }
    }

    #[test]
    fn alerts_fire_once_in_order_and_escalate_by_level() {
        let c = new_case();
        assert_eq!(next_alert_at(&c, 0.8), Some(t0() + Duration::seconds(48)));
        assert!(record_alerts(&c, t0() + Duration::seconds(47), 0.8, 3, &system()).is_none());
        // At 50 s the accept warning is due.
        let w = record_alerts(&c, t0() + Duration::seconds(50), 0.8, 3, &system()).unwrap();
        assert_eq!(w.events.last().unwrap().action, ActionKind::Warn);
        assert_eq!(w.events.last().unwrap().promise, Some(Promise::Accept));
        assert!(record_alerts(&w, t0() + Duration::seconds(50), 0.8, 3, &system()).is_none(), "fired twice");
        // Much later, with nothing done: every promise up to on-site is missed, escalating
        // level by level; warnings whose deadline passed too are not sent.
        let late = record_alerts(&w, t0() + Duration::minutes(11), 0.8, 2, &system()).unwrap();
        let esc: Vec<_> = late
            .events
            .iter()
            .filter(|e| e.action == ActionKind::Escalate)
            .map(|e| (e.promise.unwrap(), e.level.unwrap()))
            .collect();
        assert_eq!(esc, vec![(Promise::Accept, 1), (Promise::Dispatch, 2), (Promise::OnSite, 2)]);
        assert_eq!(late.events.iter().filter(|e| e.action == ActionKind::Warn).count(), 1);
        late.check_invariants().unwrap();
        // The next alert is the first-feedback warning at 48 minutes.
        assert_eq!(next_alert_at(&late, 0.8), Some(t0() + Duration::minutes(48)));
    }

    #[test]
    fn kept_promises_suspension_and_extension_change_what_fires() {
        let c = new_case();
        let c = step(&c, Action::Accept, None, 10).unwrap();
        assert!(pending_alerts(&c, 0.8).iter().all(|a| a.duty != Promise::Accept));
        let s = step(&c, Action::Suspend, Some("等待"), 20).unwrap();
        assert_eq!(next_alert_at(&s, 0.8), None);
        assert!(record_alerts(&s, t0() + Duration::hours(5), 0.8, 3, &system()).is_none());
        let r = step(&s, Action::Resume, Some("继续"), 620).unwrap();
        // The dispatch deadline moved by the 600 s pause.
        assert_eq!(r.deadlines.dispatch, t0() + Duration::seconds(180 + 600));
        let e =
            step(&r, Action::Extend { promise: Promise::Close, by: Duration::hours(48) }, Some("需协调施工单位"), 700)
                .unwrap();
        assert_eq!(e.deadlines.close, t0() + Duration::hours(24) + Duration::seconds(600) + Duration::hours(48));
        let last = e.events.last().unwrap();
        assert_eq!((last.action, last.promise), (ActionKind::Extend, Some(Promise::Close)));
        assert_eq!(
            step(&r, Action::Extend { promise: Promise::Close, by: Duration::hours(1) }, None, 700),
            Err(TransitionError::ReasonRequired("extend"))
        );
        assert_eq!(
            step(&r, Action::Extend { promise: Promise::Accept, by: Duration::hours(1) }, Some("x"), 700).unwrap_err(),
            TransitionError::InvalidTransition { action: ActionKind::Extend, status: Status::Accepted }
        );
        assert_eq!(
            step(&r, Action::Extend { promise: Promise::Close, by: Duration::hours(-1) }, Some("x"), 700),
            Err(TransitionError::Extension)
        );
    }

    #[test]
    fn take_and_decline_answer_an_assignment() {
        let c = step(&new_case(), Action::Accept, None, 10).unwrap();
        let mut d = step(&c, Action::Dispatch { responders: vec![4, 5] }, None, 60).unwrap();
        d.assignments[0].answer_by = Some(t0() + Duration::seconds(120));
        d.assignments[1].answer_by = Some(t0() + Duration::seconds(120));
        assert_eq!(next_alert_at(&d, 0.8), Some(t0() + Duration::seconds(120)).min(next_alert_at(&c, 0.8)));
        let t = step(&d, Action::Take { responder: 4 }, None, 80).unwrap();
        assert_eq!(t.assignments[0].answered_at, Some(t0() + Duration::seconds(80)));
        assert!(step(&t, Action::Take { responder: 4 }, None, 81).is_err(), "taken twice");
        assert_eq!(unanswered_due(&t, t0() + Duration::seconds(121)), vec![5]);
        assert!(unanswered_due(&t, t0() + Duration::seconds(119)).is_empty());
        // One of two declines: the case stays dispatched.
        let x = step(&t, Action::Decline { responder: 5 }, None, 90).unwrap();
        assert_eq!((x.status, x.assignments[1].status), (Status::Dispatched, AssignmentStatus::Declined));
        assert!(unanswered_due(&x, t0() + Duration::seconds(500)).is_empty());
        // The last one declines: the case waits to be sent again.
        let y = step(&x, Action::Decline { responder: 4 }, None, 95).unwrap();
        assert_eq!(y.status, Status::Accepted);
        assert_eq!(
            step(&y, Action::Decline { responder: 4 }, None, 96).unwrap_err(),
            TransitionError::InvalidTransition { action: ActionKind::Decline, status: Status::Accepted }
        );
        assert_eq!(step(&x, Action::Decline { responder: 9 }, None, 96).unwrap_err(), TransitionError::NotAssigned(9));
    }

    fn any_action() -> impl Strategy<Value = (Action, bool)> {
        let a = prop_oneof![
            Just(Action::Accept),
            prop::collection::vec(1i64..6, 0..4).prop_map(|responders| Action::Dispatch { responders }),
            Just(Action::ContactParty),
            prop::option::of(1i64..6).prop_map(|responder| Action::Arrive { responder }),
            Just(Action::Feedback),
            Just(Action::Close),
            Just(Action::Reject),
            prop::collection::vec(1i64..6, 0..3).prop_map(|responders| Action::Reassign { responders }),
            Just(Action::Suspend),
            Just(Action::Resume),
            Just(Action::Void),
            Just(Action::Reopen),
            Just(Action::Rate { satisfaction: Satisfaction::BasicallySatisfied }),
            Just(Action::Archive),
            (0usize..5, 1i64..100_000)
                .prop_map(|(p, s)| Action::Extend { promise: Promise::ALL[p], by: Duration::seconds(s) }),
            (1i64..6).prop_map(|responder| Action::Take { responder }),
            (1i64..6).prop_map(|responder| Action::Decline { responder }),
        ];
        (a, any::<bool>())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// No sequence of actions, valid or not, reaches a state that breaks an invariant;
        /// a refused action changes nothing; an accepted one records who, when and why.
        #[test]
        fn no_sequence_reaches_an_invalid_state(
            steps in prop::collection::vec((any_action(), 0i64..400), 1..40)
        ) {
            let mut c = new_case();
            let mut t = 0;
            for ((action, with_note), dt) in steps {
                t += dt;
                let note = with_note.then_some("原因");
                // The deadline runner may look in between any two steps.
                if let Some(alerted) = record_alerts(&c, t0() + Duration::seconds(t), 0.8, 3, &system()) {
                    prop_assert!(record_alerts(&alerted, t0() + Duration::seconds(t), 0.8, 3, &system()).is_none());
                    c = alerted;
                }
                match step(&c, action.clone(), note, t) {
                    Ok(next) => {
                        let e = next.events.last().unwrap();
                        prop_assert_eq!(e.at, t0() + Duration::seconds(t));
                        prop_assert_eq!(&e.actor, &actor());
                        prop_assert_eq!(e.action, action.kind());
                        prop_assert_eq!(next.version, c.version + 1);
                        c = next;
                    }
                    Err(_) => {}
                }
                if let Err(why) = c.check_invariants() {
                    prop_assert!(false, "{}: {:?}", why, c);
                }
                // Open means something is still owed, and the obligations' alert index is
                // the case's next alert.
                let obs = obligations(&c, &Terms::default());
                prop_assert!(crate::obligation::owes_something(c.status.is_open(), &obs), "open without a duty: {:?}", c);
                prop_assert_eq!(obs.iter().filter_map(|o| o.next_alert_at).min(), next_alert_at(&c, 0.8));
                let mut names: Vec<_> = obs.iter().map(|o| o.name.as_str()).collect();
                names.sort_unstable();
                names.dedup();
                prop_assert_eq!(names.len(), obs.len(), "two duties share a name");
                // The five promises start at the report time, whatever happens: statistics
                // find a period's cases' promises by their start (`obligations_started`).
                for o in obs.iter().filter(|o| Promise::ALL.iter().any(|p| p.as_str() == o.name)) {
                    prop_assert_eq!(o.starts_at, c.created_at, "{} starts elsewhere", o.name);
                }
                prop_assert_eq!(obs.iter().filter(|o| Promise::ALL.iter().any(|p| p.as_str() == o.name)).count(), 5);
            }
        }
    }
}
