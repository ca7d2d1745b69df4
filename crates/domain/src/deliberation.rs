//! Grid deliberation days (“临距离”网格议事): each community's fixed day in the month, the
//! topics residents and grid workers raise for it, and the resolutions a meeting makes,
//! tracked to completion. Topics and resolutions are two kinds of matter on the spine.
//!
//! ```text
//! topic:      raised ─accept→ accepted ─schedule→ on_agenda ─discuss→ discussed
//!               └─decline→ declined          ▲        └─defer──┘ (back to accepted)
//! resolution: open (steps with progress, each can be carried out as a case) ─solve→ solved
//!               └─drop→ dropped
//! ```
//!
//! Duties ([`topic_obligations`], [`resolution_obligations`]): staff screen a raised topic
//! within [`SCREEN_DAYS`]; a topic on an agenda is discussed by the day after its meeting; a
//! resolution's owner carries out each step by its date and the whole by its due date.

use crate::case::Actor;
use crate::codes::GridCode;
use crate::obligation::{Counting, Obligation, Owner, State as DutyState, Terms};
use crate::role::Role;
use crate::Timestamp;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

pub type TopicId = i64;
pub type ResolutionId = i64;

/// Days staff have to screen a raised topic (accept it for a meeting, or decline and say why).
pub const SCREEN_DAYS: i64 = 7;
/// Days staff have to put an accepted topic on a meeting's agenda: every community meets
/// monthly, so this spans the next meeting with room to prepare.
pub const SCHEDULE_DAYS: i64 = 45;
/// Longest title, in characters.
pub const TITLE_CHARS_MAX: usize = 100;
/// Longest free text (a topic's words, an outcome, minutes), in characters.
pub const TEXT_CHARS_MAX: usize = 8000;
/// Most steps one resolution is split into (bigger works become child resolutions).
pub const STEPS_MAX: usize = 20;

names! {
    /// Where a topic came from.
    TopicSource { App => "app", GridWorker => "grid_worker", Case => "case", Petition => "petition" }
}

names! {
    TopicStatus { Raised => "raised", Accepted => "accepted", OnAgenda => "on_agenda",
                  Discussed => "discussed", Declined => "declined" }
}

names! {
    ResolutionStatus { Open => "open", Solved => "solved", Dropped => "dropped" }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DeliberationError {
    #[error("{0}")]
    Invalid(String),
    #[error("cannot {action} a {kind} that is {status}")]
    InvalidStep { action: &'static str, kind: &'static str, status: &'static str },
}

type Result<T> = std::result::Result<T, DeliberationError>;

/// One recorded step of a topic or a resolution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub seq: u32,
    pub at: Timestamp,
    pub actor: Actor,
    pub action: String,
    /// The status after the step.
    pub to: String,
    pub note: Option<String>,
    pub duty: Option<String>,
    pub due_at: Option<Timestamp>,
    pub level: Option<u8>,
}

/// A topic raised for a community's deliberation day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Topic {
    pub id: TopicId,
    pub version: u32,
    /// The community's 12-digit code.
    pub community: String,
    /// A grid of the community (where notices about the topic are routed).
    pub grid: GridCode,
    pub title: String,
    pub body: String,
    pub source: TopicSource,
    pub case_id: Option<i64>,
    pub petition_id: Option<i64>,
    pub raised_by: i64,
    pub raised_by_name: String,
    /// Residents who support the topic (besides the one who raised it), in order.
    pub supporters: Vec<i64>,
    pub status: TopicStatus,
    pub meeting_id: Option<i64>,
    pub meeting_at: Option<Timestamp>,
    /// What the meeting decided (or why the topic was declined).
    pub outcome: Option<String>,
    pub resolution_id: Option<ResolutionId>,
    pub raised_at: Timestamp,
    pub screened_at: Option<Timestamp>,
    pub discussed_at: Option<Timestamp>,
    pub updated_at: Timestamp,
    pub events: Vec<Event>,
}

/// What is entered when a topic is raised.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTopic {
    pub community: String,
    pub grid: GridCode,
    pub title: String,
    pub body: String,
    pub source: TopicSource,
    pub case_id: Option<i64>,
    pub petition_id: Option<i64>,
    pub raised_by_name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TopicAction {
    /// A resident adds their support (once).
    Support { user: i64 },
    /// Staff accept the topic for a meeting.
    Accept,
    /// Staff decline it, saying why.
    Decline { reason: String },
    /// Put on a meeting's agenda.
    Schedule { meeting_id: i64, meeting_at: Timestamp },
    /// Discussed at the meeting: the outcome, and the resolution it led to, if any.
    Discuss { outcome: String, resolution_id: Option<ResolutionId> },
    /// Not reached at the meeting: back to the accepted topics for the next one.
    Defer,
}

fn text(field: &str, s: &str, max: usize, required: bool) -> Result<String> {
    let s = s.trim();
    if required && s.is_empty() {
        return Err(DeliberationError::Invalid(format!("{field} is required")));
    }
    if s.chars().count() > max {
        return Err(DeliberationError::Invalid(format!("{field} is longer than {max} characters")));
    }
    Ok(s.to_owned())
}

/// Raises a topic with the id the store gave it.
pub fn raise(id: TopicId, new: NewTopic, actor: &Actor, at: Timestamp) -> Result<Topic> {
    if new.community.len() != 12 || !new.community.bytes().all(|b| b.is_ascii_digit()) {
        return Err(DeliberationError::Invalid("community must be a 12-digit code".into()));
    }
    match new.source {
        TopicSource::Case if new.case_id.is_none() => {
            return Err(DeliberationError::Invalid("a topic from a case names the case".into()))
        }
        TopicSource::Petition if new.petition_id.is_none() => {
            return Err(DeliberationError::Invalid("a topic from a petition names the petition".into()))
        }
        _ => {}
    }
    let mut t = Topic {
        id,
        version: 0,
        community: new.community,
        grid: new.grid,
        title: text("title", &new.title, TITLE_CHARS_MAX, true)?,
        body: text("body", &new.body, TEXT_CHARS_MAX, false)?,
        source: new.source,
        case_id: new.case_id,
        petition_id: new.petition_id,
        raised_by: actor.user_id,
        raised_by_name: new.raised_by_name,
        supporters: vec![],
        status: TopicStatus::Raised,
        meeting_id: None,
        meeting_at: None,
        outcome: None,
        resolution_id: None,
        raised_at: at,
        screened_at: None,
        discussed_at: None,
        updated_at: at,
        events: vec![],
    };
    push(&mut t.events, &mut t.version, actor, at, "raise", TopicStatus::Raised.as_str(), None);
    Ok(t)
}

fn push(
    events: &mut Vec<Event>,
    version: &mut u32,
    actor: &Actor,
    at: Timestamp,
    action: &str,
    to: &str,
    note: Option<String>,
) {
    events.push(Event {
        seq: events.len() as u32 + 1,
        at,
        actor: actor.clone(),
        action: action.into(),
        to: to.into(),
        note,
        duty: None,
        due_at: None,
        level: None,
    });
    *version += 1;
}

/// Whether the actor may screen, schedule and record topics and resolutions (the street's
/// staff who run deliberation days).
pub fn runs_meetings(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Leader | Role::GridWorker | Role::StationOfficer | Role::Dispatcher)
}

/// The topic after one step; the step is refused where the status does not allow it.
pub fn apply_topic(t: &Topic, action: &TopicAction, actor: &Actor, at: Timestamp) -> Result<Topic> {
    use TopicStatus as S;
    let at = at.max(t.updated_at);
    let mut n = t.clone();
    let refuse =
        |action: &'static str| DeliberationError::InvalidStep { action, kind: "topic", status: t.status.as_str() };
    let staff_only = |name: &'static str| -> Result<()> {
        if runs_meetings(actor.role) {
            Ok(())
        } else {
            Err(DeliberationError::Invalid(format!("only staff who run deliberation days may {name} a topic")))
        }
    };
    let (name, note): (&str, Option<String>) = match action {
        TopicAction::Support { user } => {
            if matches!(t.status, S::Declined | S::Discussed) {
                return Err(refuse("support"));
            }
            if *user == t.raised_by || t.supporters.contains(user) {
                return Ok(n);
            }
            n.supporters.push(*user);
            ("support", None)
        }
        TopicAction::Accept => {
            staff_only("accept")?;
            if t.status != S::Raised {
                return Err(refuse("accept"));
            }
            n.status = S::Accepted;
            n.screened_at = Some(at);
            ("accept", None)
        }
        TopicAction::Decline { reason } => {
            staff_only("decline")?;
            if !matches!(t.status, S::Raised | S::Accepted) {
                return Err(refuse("decline"));
            }
            let reason = text("reason", reason, TEXT_CHARS_MAX, true)?;
            n.status = S::Declined;
            n.screened_at.get_or_insert(at);
            n.outcome = Some(reason.clone());
            ("decline", Some(reason))
        }
        TopicAction::Schedule { meeting_id, meeting_at } => {
            staff_only("schedule")?;
            if !matches!(t.status, S::Raised | S::Accepted) {
                return Err(refuse("schedule"));
            }
            n.status = S::OnAgenda;
            n.screened_at.get_or_insert(at);
            n.meeting_id = Some(*meeting_id);
            n.meeting_at = Some(*meeting_at);
            ("schedule", None)
        }
        TopicAction::Discuss { outcome, resolution_id } => {
            staff_only("record the outcome of")?;
            if t.status != S::OnAgenda {
                return Err(refuse("discuss"));
            }
            let outcome = text("outcome", outcome, TEXT_CHARS_MAX, true)?;
            n.status = S::Discussed;
            n.discussed_at = Some(at);
            n.outcome = Some(outcome.clone());
            n.resolution_id = *resolution_id;
            ("discuss", Some(outcome))
        }
        TopicAction::Defer => {
            staff_only("defer")?;
            if t.status != S::OnAgenda {
                return Err(refuse("defer"));
            }
            n.status = S::Accepted;
            n.meeting_id = None;
            n.meeting_at = None;
            ("defer", None)
        }
    };
    n.updated_at = at;
    let to = n.status.as_str();
    push(&mut n.events, &mut n.version, actor, at, name, to, note);
    Ok(n)
}

fn level(events: &[Event], name: &str, due_at: Timestamp) -> u8 {
    crate::obligation::level_of(&history(events), name, due_at)
}

fn history(events: &[Event]) -> Vec<crate::obligation::AlertRecord<'_>> {
    events
        .iter()
        .map(|e| crate::obligation::AlertRecord {
            action: e.action.as_str(),
            duty: e.duty.as_deref(),
            due_at: e.due_at,
            level: e.level,
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn duty(
    events: &[Event],
    terms: &Terms,
    name: String,
    owner: Owner,
    starts_at: Timestamp,
    due_at: Timestamp,
    kept_at: Option<Timestamp>,
    open: bool,
) -> Obligation {
    Obligation {
        level: level(events, &name, due_at),
        name,
        owner,
        counting: Counting::CalendarDays,
        starts_at,
        due_at,
        kept_at,
        state: match (kept_at, open) {
            (Some(_), _) => DutyState::Kept,
            (None, true) => DutyState::Open,
            (None, false) => DutyState::Dropped,
        },
        ladder: terms.ladder.clone(),
        next_alert_at: None,
    }
}

/// The end of the day after a meeting: the outcome of every topic on its agenda is recorded
/// by then.
pub fn discuss_due(meeting_at: Timestamp) -> Timestamp {
    meeting_at + chrono::Duration::days(1)
}

/// A topic's duties: screening, then discussion at its meeting. The grid workers of the
/// community owe both.
pub fn topic_obligations(t: &Topic, terms: &Terms) -> Vec<Obligation> {
    let owner = Owner::Role(Role::GridWorker);
    let screen_open = t.status == TopicStatus::Raised;
    let mut out = vec![duty(
        &t.events,
        terms,
        "screen".into(),
        owner.clone(),
        t.raised_at,
        t.raised_at + chrono::Duration::days(SCREEN_DAYS),
        t.screened_at,
        screen_open,
    )];
    // Accepted (or deferred), it waits for an agenda: from the last accept or defer.
    let last = |names: &[&str]| t.events.iter().rev().find(|e| names.contains(&e.action.as_str())).map(|e| e.at);
    if let Some(since) = last(&["accept", "defer"]) {
        let scheduled = last(&["schedule"]).filter(|at| *at >= since);
        out.push(duty(
            &t.events,
            terms,
            "schedule".into(),
            owner.clone(),
            since,
            since + chrono::Duration::days(SCHEDULE_DAYS),
            scheduled,
            t.status == TopicStatus::Accepted,
        ));
    }
    if let (Some(m), Some(at)) = (t.meeting_id, t.meeting_at) {
        let kept = t.discussed_at.filter(|_| t.status == TopicStatus::Discussed);
        out.push(duty(
            &t.events,
            terms,
            format!("discuss:{m}"),
            owner,
            t.screened_at.unwrap_or(t.raised_at),
            discuss_due(at),
            kept,
            t.status == TopicStatus::OnAgenda,
        ));
    }
    crate::obligation::fill_next_alerts(&mut out, &history(&t.events), terms.warn_fraction);
    out
}

/// One step of a resolution: who does what by when, how far it has come, and the case that
/// carries it out, if any (the step's progress then follows the case).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub title: String,
    pub owner: i64,
    pub owner_name: String,
    pub due_at: Timestamp,
    /// 0–100.
    pub progress: u8,
    pub case_id: Option<i64>,
    pub done_at: Option<Timestamp>,
    pub started_at: Timestamp,
}

/// What a meeting resolved, tracked to completion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resolution {
    pub id: ResolutionId,
    pub version: u32,
    pub community: String,
    pub grid: GridCode,
    pub topic_id: Option<TopicId>,
    /// The resolution this one is a part of.
    pub parent_id: Option<ResolutionId>,
    pub title: String,
    pub owner: i64,
    pub owner_name: String,
    pub due_at: Timestamp,
    pub status: ResolutionStatus,
    pub steps: Vec<Step>,
    pub created_at: Timestamp,
    pub solved_at: Option<Timestamp>,
    pub updated_at: Timestamp,
    pub events: Vec<Event>,
}

/// What is entered when a resolution is made.
#[derive(Debug, Clone, PartialEq)]
pub struct NewResolution {
    pub community: String,
    pub grid: GridCode,
    pub topic_id: Option<TopicId>,
    pub parent_id: Option<ResolutionId>,
    pub title: String,
    pub owner: i64,
    pub owner_name: String,
    pub due_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ResolutionAction {
    AddStep {
        title: String,
        owner: i64,
        owner_name: String,
        due_at: Timestamp,
    },
    /// The step's progress (0–100) as its owner reports it; 100 completes the step.
    Progress {
        step: usize,
        progress: u8,
    },
    /// The step is carried out as a case.
    LinkCase {
        step: usize,
        case_id: i64,
    },
    /// The step's case was closed: the step is complete.
    CaseClosed {
        step: usize,
    },
    /// Solved: every step complete and no part (child resolution) still open.
    Solve {
        open_children: usize,
    },
    Drop {
        reason: String,
    },
}

/// Makes a resolution with the id the store gave it.
pub fn resolve(id: ResolutionId, new: NewResolution, actor: &Actor, at: Timestamp) -> Result<Resolution> {
    if !runs_meetings(actor.role) {
        return Err(DeliberationError::Invalid("only staff who run deliberation days record resolutions".into()));
    }
    if new.due_at <= at {
        return Err(DeliberationError::Invalid("the due date must be in the future".into()));
    }
    let mut r = Resolution {
        id,
        version: 0,
        community: new.community,
        grid: new.grid,
        topic_id: new.topic_id,
        parent_id: new.parent_id,
        title: text("title", &new.title, TITLE_CHARS_MAX, true)?,
        owner: new.owner,
        owner_name: new.owner_name,
        due_at: new.due_at,
        status: ResolutionStatus::Open,
        steps: vec![],
        created_at: at,
        solved_at: None,
        updated_at: at,
        events: vec![],
    };
    push(&mut r.events, &mut r.version, actor, at, "resolve", ResolutionStatus::Open.as_str(), None);
    Ok(r)
}

/// The board's word for where a resolution stands: `open` (nothing done yet),
/// `in_progress`, `solved` or `dropped`.
pub fn phase(r: &Resolution) -> &'static str {
    match r.status {
        ResolutionStatus::Solved => "solved",
        ResolutionStatus::Dropped => "dropped",
        ResolutionStatus::Open if r.steps.iter().any(|s| s.progress > 0 || s.case_id.is_some()) => "in_progress",
        ResolutionStatus::Open => "open",
    }
}

/// How far a step carried out as a case has come, read from the case's status: accepted
/// 10, someone sent 30, on site 50, being handled 70, closed 100.
pub fn case_progress(status: crate::case::Status) -> u8 {
    use crate::case::Status as S;
    match status {
        S::New | S::Accepted | S::Suspended => 10,
        S::Dispatched => 30,
        S::OnSite => 50,
        S::InProgress => 70,
        S::Closed | S::Rated | S::Archived => 100,
        S::Rejected | S::Voided => 0,
    }
}

/// The resolution with each open step that a case carries out at its case's progress (the
/// step itself completes when the case closes).
pub fn following_cases(r: &Resolution, status_of: impl Fn(i64) -> Option<crate::case::Status>) -> Resolution {
    let mut out = r.clone();
    for s in out.steps.iter_mut().filter(|s| s.done_at.is_none()) {
        if let Some(st) = s.case_id.and_then(&status_of) {
            s.progress = s.progress.max(case_progress(st).min(99));
        }
    }
    out
}

/// Progress of the whole, 0–100: the mean of its steps (0 with no steps; 100 once solved).
pub fn progress(r: &Resolution) -> u8 {
    if r.status == ResolutionStatus::Solved {
        return 100;
    }
    if r.steps.is_empty() {
        return 0;
    }
    (r.steps.iter().map(|s| s.progress as u32).sum::<u32>() / r.steps.len() as u32) as u8
}

pub fn apply_resolution(r: &Resolution, action: &ResolutionAction, actor: &Actor, at: Timestamp) -> Result<Resolution> {
    let at = at.max(r.updated_at);
    if r.status != ResolutionStatus::Open {
        let name = match action {
            ResolutionAction::AddStep { .. } => "add a step to",
            ResolutionAction::Progress { .. } => "report progress on",
            ResolutionAction::LinkCase { .. } => "link a case to",
            ResolutionAction::CaseClosed { .. } => "complete a step of",
            ResolutionAction::Solve { .. } => "solve",
            ResolutionAction::Drop { .. } => "drop",
        };
        return Err(DeliberationError::InvalidStep { action: name, kind: "resolution", status: r.status.as_str() });
    }
    let mut n = r.clone();
    let step_of = |n: &mut Resolution, i: usize| -> Result<()> {
        if i >= n.steps.len() {
            return Err(DeliberationError::Invalid(format!("resolution {} has no step {}", n.id, i + 1)));
        }
        Ok(())
    };
    // Staff run the resolution; a step's owner reports its progress.
    let staff = runs_meetings(actor.role);
    let (name, note) = match action {
        ResolutionAction::AddStep { title, owner, owner_name, due_at } => {
            if !staff {
                return Err(DeliberationError::Invalid("only staff add steps".into()));
            }
            if n.steps.len() >= STEPS_MAX {
                return Err(DeliberationError::Invalid(format!(
                    "at most {STEPS_MAX} steps; split the work into parts (child resolutions)"
                )));
            }
            if *due_at <= at {
                return Err(DeliberationError::Invalid("the step's due date must be in the future".into()));
            }
            let title = text("title", title, TITLE_CHARS_MAX, true)?;
            n.steps.push(Step {
                title: title.clone(),
                owner: *owner,
                owner_name: owner_name.clone(),
                due_at: *due_at,
                progress: 0,
                case_id: None,
                done_at: None,
                started_at: at,
            });
            ("add_step", Some(title))
        }
        ResolutionAction::Progress { step, progress } => {
            step_of(&mut n, *step)?;
            if !staff && n.steps[*step].owner != actor.user_id {
                return Err(DeliberationError::Invalid("only the step's owner or staff report its progress".into()));
            }
            if *progress > 100 {
                return Err(DeliberationError::Invalid("progress is 0 to 100".into()));
            }
            let s = &mut n.steps[*step];
            if s.done_at.is_some() {
                return Err(DeliberationError::Invalid(format!("step {} is complete", step + 1)));
            }
            if s.case_id.is_some() {
                return Err(DeliberationError::Invalid(format!("step {} follows its case", step + 1)));
            }
            s.progress = *progress;
            if *progress == 100 {
                s.done_at = Some(at);
            }
            ("progress", Some(format!("{}:{progress}", step + 1)))
        }
        ResolutionAction::LinkCase { step, case_id } => {
            step_of(&mut n, *step)?;
            let s = &mut n.steps[*step];
            if s.case_id.is_some() || s.done_at.is_some() {
                return Err(DeliberationError::Invalid(format!(
                    "step {} already has its case or is complete",
                    step + 1
                )));
            }
            s.case_id = Some(*case_id);
            s.progress = s.progress.max(10);
            ("link_case", Some(case_id.to_string()))
        }
        ResolutionAction::CaseClosed { step } => {
            step_of(&mut n, *step)?;
            let s = &mut n.steps[*step];
            if s.done_at.is_some() {
                return Ok(n);
            }
            s.progress = 100;
            s.done_at = Some(at);
            ("case_closed", s.case_id.map(|c| c.to_string()))
        }
        ResolutionAction::Solve { open_children } => {
            if !staff && actor.user_id != n.owner {
                return Err(DeliberationError::Invalid("only the owner or staff mark a resolution solved".into()));
            }
            if let Some(i) = n.steps.iter().position(|s| s.done_at.is_none()) {
                return Err(DeliberationError::Invalid(format!("step {} is not complete", i + 1)));
            }
            if *open_children > 0 {
                return Err(DeliberationError::Invalid(format!(
                    "{open_children} part(s) of this resolution are still open"
                )));
            }
            n.status = ResolutionStatus::Solved;
            n.solved_at = Some(at);
            ("solve", None)
        }
        ResolutionAction::Drop { reason } => {
            if !staff {
                return Err(DeliberationError::Invalid("only staff drop a resolution".into()));
            }
            let reason = text("reason", reason, TEXT_CHARS_MAX, true)?;
            n.status = ResolutionStatus::Dropped;
            ("drop", Some(reason))
        }
    };
    n.updated_at = at;
    let to = n.status.as_str();
    push(&mut n.events, &mut n.version, actor, at, name, to, note);
    Ok(n)
}

/// A resolution's duties: each step by its date (owed by the step's owner), the whole by the
/// due date (owed by the resolution's owner).
pub fn resolution_obligations(r: &Resolution, terms: &Terms) -> Vec<Obligation> {
    let open = r.status == ResolutionStatus::Open;
    let mut out: Vec<Obligation> = r
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            duty(&r.events, terms, format!("step:{i}"), Owner::User(s.owner), s.started_at, s.due_at, s.done_at, open)
        })
        .collect();
    out.push(duty(
        &r.events,
        terms,
        "complete".into(),
        Owner::User(r.owner),
        r.created_at,
        r.due_at,
        r.solved_at,
        open,
    ));
    out
}

/// The warnings and escalations now due, recorded as events (the runner's rule for both
/// kinds); `None` when nothing is due.
pub fn record_alerts(
    events: &[Event],
    obligations: &[Obligation],
    now: Timestamp,
    terms: &Terms,
    actor: &Actor,
    status: &str,
) -> Vec<Event> {
    let due = crate::obligation::due_alerts(obligations, &history(events), now, terms);
    due.into_iter()
        .enumerate()
        .map(|(i, d)| Event {
            seq: events.len() as u32 + 1 + i as u32,
            at: now,
            actor: actor.clone(),
            action: if d.level.is_some() { "escalate" } else { "warn" }.into(),
            to: status.into(),
            note: None,
            duty: Some(d.duty),
            due_at: Some(d.due_at),
            level: d.level,
        })
        .collect()
}

/// Duty names in the words of a community office.
pub fn duty_zh(name: &str) -> String {
    let mut parts = name.split(':');
    match (parts.next(), parts.next().and_then(|n| n.parse::<usize>().ok())) {
        (Some("screen"), _) => "议题初审".into(),
        (Some("schedule"), _) => "议题列入议程".into(),
        (Some("discuss"), _) => "议题上会讨论".into(),
        (Some("step"), Some(i)) => format!("第{}项工作", i + 1),
        (Some("complete"), _) => "决议办结".into(),
        _ => name.into(),
    }
}

/// A community's fixed deliberation day: the same day of every month (1–28, so every month
/// has it), at a time of day, in a place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Day {
    pub community: String,
    pub day_of_month: u8,
    /// Minutes after local midnight.
    pub minute_of_day: u16,
    pub place: String,
    pub capacity: i64,
}

impl Day {
    pub fn check(&self) -> Result<()> {
        if !(1..=28).contains(&self.day_of_month) {
            return Err(DeliberationError::Invalid("the day of the month is 1 to 28, so every month has it".into()));
        }
        if self.minute_of_day >= 24 * 60 {
            return Err(DeliberationError::Invalid("the time of day is before 24:00".into()));
        }
        if !(1..=10_000).contains(&self.capacity) {
            return Err(DeliberationError::Invalid("capacity must be 1 to 10,000".into()));
        }
        text("place", &self.place, 200, true).map(|_| ())
    }
}

/// The meeting dates of a deliberation day from `from` (inclusive) for `months` months.
pub fn meeting_dates(day: &Day, from: NaiveDate, months: u32) -> Vec<NaiveDate> {
    let mut out = vec![];
    let (mut y, mut m) = (from.year(), from.month());
    while out.len() < months as usize {
        if let Some(d) = NaiveDate::from_ymd_opt(y, m, day.day_of_month as u32) {
            if d >= from {
                out.push(d);
            }
        }
        (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
        if y > from.year() + 10 {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: i64) -> Timestamp {
        chrono::Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap() + chrono::Duration::hours(h)
    }
    fn staff() -> Actor {
        Actor { user_id: 2, username: "grid01".into(), role: Role::GridWorker }
    }
    fn resident(id: i64) -> Actor {
        Actor { user_id: id, username: format!("r{id}"), role: Role::Resident }
    }
    fn new_topic() -> NewTopic {
        NewTopic {
            community: "330114004001".into(),
            grid: "330114004001001".parse().unwrap(),
            title: "老年活动室改造".into(),
            body: "原职工活动中心闲置".into(),
            source: TopicSource::App,
            case_id: None,
            petition_id: None,
            raised_by_name: "王芳".into(),
        }
    }

    #[test]
    fn a_topic_goes_from_raised_to_discussed_and_its_duties_follow() {
        let terms = Terms::default();
        let t = raise(1, new_topic(), &resident(9), at(0)).unwrap();
        let duties = topic_obligations(&t, &terms);
        assert_eq!(duties.len(), 1);
        assert_eq!(duties[0].due_at, at(24 * SCREEN_DAYS));
        assert_eq!(duties[0].state, DutyState::Open);
        // The runner looks at it when the warning falls due (80 % of the 7 days).
        let warn = at(0) + chrono::Duration::seconds((7.0 * 86400.0 * terms.warn_fraction) as i64);
        assert_eq!(duties[0].next_alert_at, Some(warn));
        // Residents support once; the raiser's own support adds nothing.
        let t = apply_topic(&t, &TopicAction::Support { user: 10 }, &resident(10), at(1)).unwrap();
        let t = apply_topic(&t, &TopicAction::Support { user: 10 }, &resident(10), at(2)).unwrap();
        let t = apply_topic(&t, &TopicAction::Support { user: 9 }, &resident(9), at(2)).unwrap();
        assert_eq!(t.supporters, vec![10]);
        // A resident cannot accept it; staff can.
        assert!(apply_topic(&t, &TopicAction::Accept, &resident(10), at(3)).is_err());
        let t = apply_topic(&t, &TopicAction::Accept, &staff(), at(3)).unwrap();
        // Accepted, it owes a place on an agenda.
        let waiting = topic_obligations(&t, &terms);
        assert_eq!((waiting[1].name.as_str(), waiting[1].state), ("schedule", DutyState::Open));
        assert_eq!(waiting[1].due_at, at(3 + 24 * SCHEDULE_DAYS));
        let t = apply_topic(&t, &TopicAction::Schedule { meeting_id: 4, meeting_at: at(24 * 14) }, &staff(), at(4))
            .unwrap();
        let duties = topic_obligations(&t, &terms);
        assert_eq!(duties[0].state, DutyState::Kept);
        assert_eq!((duties[1].name.as_str(), duties[1].state), ("schedule", DutyState::Kept));
        assert_eq!(duties[2].name, "discuss:4");
        assert_eq!(duties[2].due_at, at(24 * 15));
        assert!(apply_topic(&t, &TopicAction::Accept, &staff(), at(5)).is_err());
        let d = TopicAction::Discuss { outcome: "改造为邻里空间".into(), resolution_id: Some(7) };
        let t = apply_topic(&t, &d, &staff(), at(24 * 14 + 2)).unwrap();
        assert_eq!(t.status, TopicStatus::Discussed);
        assert!(topic_obligations(&t, &terms).iter().all(|o| o.state == DutyState::Kept));
        assert_eq!(t.events.len() as u32, t.version);
    }

    #[test]
    fn a_resolution_is_solved_only_when_every_step_and_part_is_done() {
        let terms = Terms::default();
        let new = NewResolution {
            community: "330114004001".into(),
            grid: "330114004001001".parse().unwrap(),
            topic_id: Some(1),
            parent_id: None,
            title: "改造原职工活动中心".into(),
            owner: 2,
            owner_name: "陈静".into(),
            due_at: at(24 * 60),
        };
        assert!(resolve(1, new.clone(), &resident(9), at(0)).is_err());
        let r = resolve(1, new, &staff(), at(0)).unwrap();
        assert_eq!(phase(&r), "open");
        let add = |title: &str, due| ResolutionAction::AddStep {
            title: title.into(),
            owner: 3,
            owner_name: "李杰".into(),
            due_at: at(due),
        };
        let r = apply_resolution(&r, &add("清理场地", 24 * 10), &staff(), at(1)).unwrap();
        let r = apply_resolution(&r, &add("添置桌椅", 24 * 20), &staff(), at(2)).unwrap();
        let duties = resolution_obligations(&r, &terms);
        assert_eq!(duties.iter().map(|o| o.name.as_str()).collect::<Vec<_>>(), ["step:0", "step:1", "complete"]);
        assert_eq!(duties[0].owner, Owner::User(3));
        let r = apply_resolution(&r, &ResolutionAction::LinkCase { step: 1, case_id: 55 }, &staff(), at(3)).unwrap();
        assert_eq!(phase(&r), "in_progress");
        // The step's owner reports progress; a stranger cannot.
        assert!(
            apply_resolution(&r, &ResolutionAction::Progress { step: 0, progress: 50 }, &resident(9), at(4)).is_err()
        );
        let owner = Actor { user_id: 3, username: "patrol01".into(), role: Role::PatrolMember };
        let r = apply_resolution(&r, &ResolutionAction::Progress { step: 0, progress: 100 }, &owner, at(4)).unwrap();
        assert_eq!(progress(&r), 55);
        assert!(apply_resolution(&r, &ResolutionAction::Solve { open_children: 0 }, &staff(), at(5)).is_err());
        // Until it closes, the step follows its case's status.
        let seen = following_cases(&r, |c| (c == 55).then_some(crate::case::Status::OnSite));
        assert_eq!((seen.steps[1].progress, progress(&seen)), (50, 75));
        let r = apply_resolution(&r, &ResolutionAction::CaseClosed { step: 1 }, &staff(), at(6)).unwrap();
        assert!(apply_resolution(&r, &ResolutionAction::Solve { open_children: 1 }, &staff(), at(7)).is_err());
        let r = apply_resolution(&r, &ResolutionAction::Solve { open_children: 0 }, &staff(), at(7)).unwrap();
        assert_eq!((phase(&r), progress(&r)), ("solved", 100));
        assert!(resolution_obligations(&r, &terms).iter().all(|o| o.state == DutyState::Kept));
        assert!(apply_resolution(&r, &ResolutionAction::Drop { reason: "x".into() }, &staff(), at(8)).is_err());
    }

    #[test]
    fn meeting_dates_fall_on_the_fixed_day() {
        let day = Day {
            community: "330114004001".into(),
            day_of_month: 15,
            minute_of_day: 19 * 60,
            place: "社区议事厅".into(),
            capacity: 40,
        };
        let from = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        let got = meeting_dates(&day, from, 3);
        let want: Vec<NaiveDate> = [(2026, 12, 15), (2027, 1, 15), (2027, 2, 15)]
            .iter()
            .map(|&(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap())
            .collect();
        assert_eq!(got, want);
        assert!(Day { day_of_month: 31, ..day.clone() }.check().is_err());
        assert!(day.check().is_ok());
    }
}
