//! Petitions (信访) as closed loops, with the statutory time limits of the 2022 信访工作条例.
//!
//! ```text
//! registered ─assign→ assigned ─accept→ accepted ─reply→ replied ─close→ closed
//!     │                  │                 (extend once)   │  ↑            │
//!     └──refuse──────────┴──refuse→ refused (told why,     │  └─ review ───┘ (within 30 days
//!                                   and where to go)       └→ under_review → reviewed → under_re_review → re_reviewed
//! ```
//!
//! The clock, as obligations ([`obligations`]): assigned to a responsible body and officer
//! within 15 days of registration; the petitioner told within 15 days whether it is accepted;
//! a written reply within 60 days of acceptance (one extension of at most 30, approved, with
//! the reason); a review (复查) may be asked within 30 days of the reply and is decided within
//! 30; a re-review (复核) the same; then the same facts are not accepted again. The reply's
//! dated commitments ("repaired by Jan 16") are obligations of their owners; follow-up visits
//! (回访) are scheduled after the reply and after each commitment's date; a petition cannot be
//! closed while a commitment or a follow-up is open, and an open petition always owes
//! something.

use crate::case::{Actor, Satisfaction, UserId};
use crate::codes::GridCode;
use crate::deadline::{Span, WorkingCalendar};
use crate::geo::LatLng;
use crate::obligation::{Counting, Obligation, Owner, State as ObligationState, Terms};
use crate::role::Role;
use crate::Timestamp;
use serde::{Deserialize, Serialize};

pub type PetitionId = i64;

/// Most representatives a group petition names (five or more petitioners with one matter).
pub const REPRESENTATIVES_MAX: usize = 5;
/// Most petitioners on one petition (a group is entered as one list).
pub const PETITIONERS_MAX: usize = 500;
/// Longest text field (matter, demand, reply, record of a visit), in characters.
pub const TEXT_CHARS_MAX: usize = 4000;
/// Most dated commitments one petition carries.
pub const COMMITMENTS_MAX: usize = 50;
/// Most follow-up visits one petition carries.
pub const FOLLOW_UPS_MAX: usize = 100;

names! {
    /// How the petition came in.
    Channel { Letter => "letter", Visit => "visit", Phone => "phone", Online => "online",
              ResidentApp => "resident_app", Escalated => "escalated" }
}

names! {
    /// What the petitioner asks for (the statistics count demand petitions).
    Class { Demand => "demand", Complaint => "complaint", Suggestion => "suggestion" }
}

names! {
    /// Where a petition stands.
    Status { Registered => "registered", Assigned => "assigned", Accepted => "accepted", Refused => "refused",
             Replied => "replied", UnderReview => "under_review", Reviewed => "reviewed",
             UnderReReview => "under_re_review", ReReviewed => "re_reviewed", Closed => "closed" }
}

impl Status {
    /// Not finished: refused (told why and where to go) and closed are ended.
    pub fn is_open(&self) -> bool {
        !matches!(self, Status::Refused | Status::Closed)
    }
}

/// The statutory time limits (configurable, `[petitions]`), and the calendar they count in.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Registered and assigned to a responsible body and officer.
    pub assign: Span,
    /// The petitioner told whether it is accepted.
    pub decide: Span,
    /// A written reply after acceptance.
    pub handle: Span,
    /// The one extension, at most.
    pub extension_days_max: u32,
    /// Time to ask for a review (or re-review) after the reply (or review decision).
    pub review_window: Span,
    /// Time to decide a review or re-review.
    pub review_decide: Span,
    /// A follow-up visit after the reply, and after each commitment's date.
    pub follow_up_after: Span,
    pub calendar: WorkingCalendar,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            assign: Span::CalendarDays(15),
            decide: Span::CalendarDays(15),
            handle: Span::CalendarDays(60),
            extension_days_max: 30,
            review_window: Span::CalendarDays(30),
            review_decide: Span::CalendarDays(30),
            follow_up_after: Span::CalendarDays(7),
            calendar: WorkingCalendar::default(),
        }
    }
}

impl Limits {
    fn due(&self, start: Timestamp, span: Span) -> Timestamp {
        self.calendar.due(start, span)
    }
}

fn counting(span: Span) -> Counting {
    match span {
        Span::Time(_) => Counting::Minutes,
        Span::CalendarDays(_) => Counting::CalendarDays,
        Span::WorkingDays(_) => Counting::WorkingDays,
    }
}

/// One petitioner. Personal data: shown masked unless the role may see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Petitioner {
    pub name: String,
    pub phone: Option<String>,
    pub address: Option<String>,
    /// Speaks for a group (at most [`REPRESENTATIVES_MAX`]).
    #[serde(default)]
    pub representative: bool,
}

/// A dated commitment of the reply ("repaired by the builder by Jan 16").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Commitment {
    pub what: String,
    pub due_at: Timestamp,
    /// The account that owes it.
    pub owner: UserId,
    pub kept_at: Option<Timestamp>,
    /// The ordinary case sent to a force for it; the commitment is kept when it closes.
    pub case_id: Option<i64>,
}

/// A follow-up visit (回访): scheduled, then recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FollowUp {
    pub due_at: Timestamp,
    /// Why it was scheduled: `reply`, `commitment:N`, `dissatisfied`, `officer`.
    pub reason: String,
    pub done_at: Option<Timestamp>,
    pub by: Option<String>,
    /// `visit`, `phone`, `wechat`.
    pub how: Option<String>,
    /// What the petitioner said.
    pub said: Option<String>,
}

/// One recorded step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub seq: u32,
    pub at: Timestamp,
    pub actor: Actor,
    pub action: String,
    pub from: Option<Status>,
    pub to: Status,
    pub note: Option<String>,
    /// For warnings and escalations: the duty, the instant the alert was for, the level.
    pub duty: Option<String>,
    pub due_at: Option<Timestamp>,
    pub level: Option<u8>,
}

/// What the petition office enters at registration.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPetition {
    pub channel: Channel,
    pub class: Class,
    pub topic: String,
    pub matter: String,
    pub demand: String,
    pub grid: GridCode,
    pub location: Option<LatLng>,
    pub address: Option<String>,
    pub petitioners: Vec<Petitioner>,
    /// The resident account that filed it in the app, if any.
    pub reported_by: Option<UserId>,
    /// The case it was escalated from, if any.
    pub from_case: Option<i64>,
    /// Earlier petitions found to be on the same matter (same person, or same place and topic).
    pub repeat_of: Vec<PetitionId>,
    /// Set when an earlier petition on the same matter went through re-review: the same
    /// facts and reasons are not accepted again.
    pub after_re_review: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Petition {
    pub id: PetitionId,
    pub version: u32,
    pub channel: Channel,
    pub class: Class,
    pub topic: String,
    pub matter: String,
    pub demand: String,
    pub grid: GridCode,
    pub location: Option<LatLng>,
    pub address: Option<String>,
    pub petitioners: Vec<Petitioner>,
    pub reported_by: Option<UserId>,
    pub from_case: Option<i64>,
    pub repeat_of: Vec<PetitionId>,
    pub after_re_review: bool,
    pub status: Status,
    /// The responsible body (责任单位) and its officer.
    pub body: Option<String>,
    pub officer: Option<UserId>,
    /// A leader who took the petition as its owner (领导包案).
    pub leader: Option<UserId>,
    pub registered_at: Timestamp,
    pub assign_due: Timestamp,
    pub decide_due: Timestamp,
    pub assigned_at: Option<Timestamp>,
    pub decided_at: Option<Timestamp>,
    /// Why not accepted, and the route to take instead.
    pub refusal: Option<(String, String)>,
    pub reply_due: Option<Timestamp>,
    /// Days granted, the reason, who approved.
    pub extension: Option<(u32, String, UserId)>,
    pub replied_at: Option<Timestamp>,
    pub reply: Option<String>,
    pub commitments: Vec<Commitment>,
    pub follow_ups: Vec<FollowUp>,
    /// Until when a review (then a re-review) may be asked.
    pub review_open_until: Option<Timestamp>,
    pub review_due: Option<Timestamp>,
    pub reviews: u8,
    pub satisfaction: Option<Satisfaction>,
    pub closed_at: Option<Timestamp>,
    pub updated_at: Timestamp,
    pub events: Vec<Event>,
}

/// A requested step.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Assign { body: String, officer: UserId },
    Accept,
    Refuse { reason: String, route: String },
    Extend { days: u32, reason: String, approved_by: UserId },
    Reply { text: String },
    Commit { what: String, due_at: Timestamp, owner: UserId },
    LinkCase { commitment: usize, case_id: i64 },
    KeepCommitment { commitment: usize },
    ScheduleFollowUp { due_at: Timestamp },
    RecordFollowUp { follow_up: usize, how: String, said: String },
    RequestReview,
    DecideReview { result: String },
    Rate { satisfaction: Satisfaction, reason: Option<String> },
    TakeOwnership,
    Close,
}

impl Action {
    pub fn name(&self) -> &'static str {
        match self {
            Action::Assign { .. } => "assign",
            Action::Accept => "accept",
            Action::Refuse { .. } => "refuse",
            Action::Extend { .. } => "extend",
            Action::Reply { .. } => "reply",
            Action::Commit { .. } => "commit",
            Action::LinkCase { .. } => "link_case",
            Action::KeepCommitment { .. } => "keep_commitment",
            Action::ScheduleFollowUp { .. } => "schedule_follow_up",
            Action::RecordFollowUp { .. } => "record_follow_up",
            Action::RequestReview => "request_review",
            Action::DecideReview { .. } => "decide_review",
            Action::Rate { .. } => "rate",
            Action::TakeOwnership => "take_ownership",
            Action::Close => "close",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PetitionError {
    #[error("cannot {action} a petition that is {status}")]
    InvalidStep { action: &'static str, status: &'static str },
    #[error("{0}")]
    Invalid(String),
    #[error("the step is dated before the petition's last step")]
    TimeTravel,
}

fn text(field: &str, v: &str, required: bool) -> Result<String, PetitionError> {
    let v = v.trim();
    let n = v.chars().count();
    if (required && n == 0) || n > TEXT_CHARS_MAX {
        return Err(PetitionError::Invalid(format!(
            "{field} needs {} to {TEXT_CHARS_MAX} characters",
            usize::from(required)
        )));
    }
    Ok(v.to_owned())
}

/// Registers a petition. `id` comes from the store; `at` from the caller's clock.
pub fn register(
    id: PetitionId,
    new: NewPetition,
    actor: Actor,
    at: Timestamp,
    limits: &Limits,
) -> Result<Petition, PetitionError> {
    if new.petitioners.is_empty() || new.petitioners.len() > PETITIONERS_MAX {
        return Err(PetitionError::Invalid(format!("a petition names 1 to {PETITIONERS_MAX} petitioners")));
    }
    for p in &new.petitioners {
        text("a petitioner's name", &p.name, true)?;
    }
    let reps = new.petitioners.iter().filter(|p| p.representative).count();
    if reps > REPRESENTATIVES_MAX {
        return Err(PetitionError::Invalid(format!("a group names at most {REPRESENTATIVES_MAX} representatives")));
    }
    if new.petitioners.len() >= 5 && reps == 0 {
        return Err(PetitionError::Invalid(
            "five or more petitioners name their representatives (at most five)".into(),
        ));
    }
    let matter = text("the matter", &new.matter, true)?;
    let demand = text("the demand", &new.demand, false)?;
    let topic = text("the topic", &new.topic, true)?;
    Ok(Petition {
        id,
        version: 1,
        channel: new.channel,
        class: new.class,
        topic,
        matter,
        demand,
        grid: new.grid,
        location: new.location,
        address: new.address,
        petitioners: new.petitioners,
        reported_by: new.reported_by,
        from_case: new.from_case,
        repeat_of: new.repeat_of,
        after_re_review: new.after_re_review,
        status: Status::Registered,
        body: None,
        officer: None,
        leader: None,
        registered_at: at,
        assign_due: limits.due(at, limits.assign),
        decide_due: limits.due(at, limits.decide),
        assigned_at: None,
        decided_at: None,
        refusal: None,
        reply_due: None,
        extension: None,
        replied_at: None,
        reply: None,
        commitments: vec![],
        follow_ups: vec![],
        review_open_until: None,
        review_due: None,
        reviews: 0,
        satisfaction: None,
        closed_at: None,
        updated_at: at,
        events: vec![Event {
            seq: 1,
            at,
            actor,
            action: "register".into(),
            from: None,
            to: Status::Registered,
            note: None,
            duty: None,
            due_at: None,
            level: None,
        }],
    })
}

/// Applies one step. On success the petition has one more event and a higher version; on
/// error nothing changed.
pub fn apply(
    p: &Petition,
    action: &Action,
    actor: &Actor,
    note: Option<&str>,
    at: Timestamp,
    limits: &Limits,
) -> Result<Petition, PetitionError> {
    use Status as S;
    if at < p.updated_at {
        return Err(PetitionError::TimeTravel);
    }
    let invalid = || PetitionError::InvalidStep { action: action.name(), status: p.status.as_str() };
    let note = note.map(str::trim).filter(|n| !n.is_empty()).map(|n| text("the note", n, true)).transpose()?;
    let mut c = p.clone();
    match action {
        Action::Assign { body, officer } => {
            if !matches!(c.status, S::Registered | S::Assigned) {
                return Err(invalid());
            }
            c.body = Some(text("the responsible body", body, true)?);
            c.officer = Some(*officer);
            c.assigned_at.get_or_insert(at);
            c.status = S::Assigned;
        }
        Action::Accept => {
            if c.status != S::Assigned {
                return Err(invalid());
            }
            if c.after_re_review {
                return Err(PetitionError::Invalid(
                    "the same facts and reasons went through re-review: not accepted again (refuse, naming the earlier decision)".into(),
                ));
            }
            c.decided_at = Some(at);
            c.reply_due = Some(limits.due(at, limits.handle));
            c.status = S::Accepted;
        }
        Action::Refuse { reason, route } => {
            if !matches!(c.status, S::Registered | S::Assigned) {
                return Err(invalid());
            }
            c.refusal = Some((text("the reason", reason, true)?, text("the route to take instead", route, true)?));
            c.decided_at = Some(at);
            c.assigned_at.get_or_insert(at);
            c.status = S::Refused;
        }
        Action::Extend { days, reason, approved_by } => {
            if c.status != S::Accepted || c.extension.is_some() {
                return Err(invalid());
            }
            if *days == 0 || *days > limits.extension_days_max {
                return Err(PetitionError::Invalid(format!(
                    "an extension is 1 to {} days, once",
                    limits.extension_days_max
                )));
            }
            let due = c.reply_due.ok_or_else(invalid)?;
            c.reply_due = Some(limits.due(due - chrono::Duration::days(1), Span::CalendarDays(*days)).max(due));
            c.extension = Some((*days, text("the reason", reason, true)?, *approved_by));
        }
        Action::Reply { text: t } => {
            if c.status != S::Accepted {
                return Err(invalid());
            }
            c.reply = Some(text("the reply", t, true)?);
            c.replied_at = Some(at);
            c.review_open_until = Some(limits.due(at, limits.review_window));
            schedule(&mut c, limits.due(at, limits.follow_up_after), "reply")?;
            c.status = S::Replied;
        }
        Action::Commit { what, due_at, owner } => {
            if !matches!(c.status, S::Accepted | S::Replied | S::Reviewed | S::ReReviewed) {
                return Err(invalid());
            }
            if c.commitments.len() >= COMMITMENTS_MAX {
                return Err(PetitionError::Invalid(format!(
                    "a petition carries at most {COMMITMENTS_MAX} commitments"
                )));
            }
            if *due_at <= at {
                return Err(PetitionError::Invalid("a commitment is due after today".into()));
            }
            c.commitments.push(Commitment {
                what: text("the commitment", what, true)?,
                due_at: *due_at,
                owner: *owner,
                kept_at: None,
                case_id: None,
            });
            let n = c.commitments.len() - 1;
            schedule(&mut c, limits.due(*due_at, limits.follow_up_after), &format!("commitment:{n}"))?;
        }
        Action::LinkCase { commitment, case_id } => {
            let k = c
                .commitments
                .get_mut(*commitment)
                .ok_or_else(|| PetitionError::Invalid("no such commitment".into()))?;
            if k.kept_at.is_some() || k.case_id.is_some() {
                return Err(invalid());
            }
            k.case_id = Some(*case_id);
        }
        Action::KeepCommitment { commitment } => {
            if !c.status.is_open() {
                return Err(invalid());
            }
            let k = c
                .commitments
                .get_mut(*commitment)
                .ok_or_else(|| PetitionError::Invalid("no such commitment".into()))?;
            if k.kept_at.is_some() {
                return Err(invalid());
            }
            k.kept_at = Some(at);
        }
        Action::ScheduleFollowUp { due_at } => {
            if *due_at <= at {
                return Err(PetitionError::Invalid("a follow-up is scheduled after now".into()));
            }
            if c.status == S::Closed {
                c.status = reopened_status(&c);
                c.closed_at = None;
            } else if !c.status.is_open() {
                return Err(invalid());
            }
            schedule(&mut c, *due_at, "officer")?;
        }
        Action::RecordFollowUp { follow_up, how, said } => {
            if !matches!(how.as_str(), "visit" | "phone" | "wechat") {
                return Err(PetitionError::Invalid("a follow-up is a visit, a phone call or a WeChat message".into()));
            }
            let said = text("what the petitioner said", said, true)?;
            let f =
                c.follow_ups.get_mut(*follow_up).ok_or_else(|| PetitionError::Invalid("no such follow-up".into()))?;
            if f.done_at.is_some() {
                return Err(invalid());
            }
            f.done_at = Some(at);
            f.by = Some(actor.username.clone());
            f.how = Some(how.clone());
            f.said = Some(said);
        }
        Action::RequestReview => {
            let window = c.review_open_until.ok_or_else(invalid)?;
            if !matches!(c.status, S::Replied | S::Reviewed | S::Closed) || c.reviews >= 2 {
                return Err(invalid());
            }
            if at > window {
                return Err(PetitionError::Invalid("the time to ask for a review has passed".into()));
            }
            c.review_due = Some(limits.due(at, limits.review_decide));
            c.closed_at = None;
            c.status = if c.reviews == 0 { S::UnderReview } else { S::UnderReReview };
        }
        Action::DecideReview { result } => {
            if !matches!(c.status, S::UnderReview | S::UnderReReview) {
                return Err(invalid());
            }
            let result = text("the decision", result, true)?;
            c.reviews += 1;
            c.review_due = None;
            c.review_open_until = (c.reviews < 2).then(|| limits.due(at, limits.review_window));
            c.status = if c.reviews == 1 { S::Reviewed } else { S::ReReviewed };
            c.reply = Some(result);
        }
        Action::Rate { satisfaction, reason } => {
            if c.replied_at.is_none() {
                return Err(invalid());
            }
            c.satisfaction = Some(*satisfaction);
            if *satisfaction == Satisfaction::Dissatisfied {
                let why = text("the reason", reason.as_deref().unwrap_or_default(), true)?;
                // Dissatisfied: someone goes back to hear why.
                if c.status == S::Closed {
                    c.status = reopened_status(&c);
                    c.closed_at = None;
                }
                schedule(&mut c, limits.due(at, limits.follow_up_after), "dissatisfied")?;
                let mut e = event(&c, at, actor, "rate", Some(why));
                e.from = Some(p.status);
                c.events.push(e);
                c.version += 1;
                c.updated_at = at;
                return Ok(c);
            }
        }
        Action::TakeOwnership => {
            if actor.role != Role::Leader || !c.status.is_open() {
                return Err(invalid());
            }
            c.leader = Some(actor.user_id);
        }
        Action::Close => {
            if !matches!(c.status, S::Replied | S::Reviewed | S::ReReviewed) {
                return Err(invalid());
            }
            if let Some(k) = c.commitments.iter().find(|k| k.kept_at.is_none()) {
                return Err(PetitionError::Invalid(format!("the commitment \"{}\" is still open", k.what)));
            }
            if c.follow_ups.iter().any(|f| f.done_at.is_none()) {
                return Err(PetitionError::Invalid("a follow-up visit is still to be made".into()));
            }
            c.closed_at = Some(at);
            c.status = S::Closed;
        }
    }
    c.events.push(event(&c, at, actor, action.name(), note));
    c.events.last_mut().expect("just pushed").from = Some(p.status);
    c.version += 1;
    c.updated_at = at;
    Ok(c)
}

/// The status a closed petition returns to when it is opened again.
fn reopened_status(c: &Petition) -> Status {
    match c.reviews {
        0 => Status::Replied,
        1 => Status::Reviewed,
        _ => Status::ReReviewed,
    }
}

fn schedule(c: &mut Petition, due_at: Timestamp, reason: &str) -> Result<(), PetitionError> {
    if c.follow_ups.len() >= FOLLOW_UPS_MAX {
        return Err(PetitionError::Invalid(format!("a petition carries at most {FOLLOW_UPS_MAX} follow-ups")));
    }
    c.follow_ups.push(FollowUp { due_at, reason: reason.into(), done_at: None, by: None, how: None, said: None });
    Ok(())
}

fn event(c: &Petition, at: Timestamp, actor: &Actor, action: &str, note: Option<String>) -> Event {
    Event {
        seq: c.events.len() as u32 + 1,
        at,
        actor: actor.clone(),
        action: action.into(),
        from: Some(c.status),
        to: c.status,
        note,
        duty: None,
        due_at: None,
        level: None,
    }
}

/// The duties a petition owes, as obligations (see the module's doc).
pub fn obligations(p: &Petition, terms: &Terms, limits: &Limits) -> Vec<Obligation> {
    let open = p.status.is_open();
    let officer = p.officer.map(Owner::User).unwrap_or(Owner::Role(Role::PetitionOfficer));
    let office = Owner::Role(Role::PetitionOfficer);
    let mut out = vec![];
    let history = alert_history(p);
    let mut duty = |name: String,
                    owner: Owner,
                    span: Span,
                    starts_at: Timestamp,
                    due_at: Timestamp,
                    kept_at: Option<Timestamp>| {
        let state = match (kept_at, open) {
            (Some(_), _) => ObligationState::Kept,
            (None, true) => ObligationState::Open,
            (None, false) => ObligationState::Dropped,
        };
        let level = crate::obligation::level_of(&history, &name, due_at);
        out.push(Obligation {
            next_alert_at: None,
            name,
            owner,
            counting: counting(span),
            starts_at,
            due_at,
            kept_at,
            state,
            ladder: terms.ladder.clone(),
            level,
        });
    };
    duty("assign".into(), office.clone(), limits.assign, p.registered_at, p.assign_due, p.assigned_at);
    duty("decide".into(), officer.clone(), limits.decide, p.registered_at, p.decide_due, p.decided_at);
    if let (Some(decided), Some(due)) = (p.decided_at, p.reply_due) {
        duty("reply".into(), officer.clone(), limits.handle, decided, due, p.replied_at);
    }
    for (i, k) in p.commitments.iter().enumerate() {
        let starts = p.replied_at.unwrap_or(p.registered_at);
        duty(format!("commitment:{i}"), Owner::User(k.owner), Span::CalendarDays(1), starts, k.due_at, k.kept_at);
    }
    for (i, f) in p.follow_ups.iter().enumerate() {
        let starts = p.replied_at.unwrap_or(p.registered_at).min(f.due_at);
        duty(format!("follow_up:{i}"), officer.clone(), limits.follow_up_after, starts, f.due_at, f.done_at);
    }
    if let Some(due) = p.review_due {
        let name = if p.status == Status::UnderReReview { "re_review" } else { "review" };
        let asked = p.events.iter().rev().find(|e| e.action == "request_review").map_or(p.updated_at, |e| e.at);
        duty(name.into(), Owner::Role(Role::Leader), limits.review_decide, asked, due, None);
    }
    // Closing the loop: owed once replied, while the petition is open.
    if matches!(p.status, Status::Replied | Status::Reviewed | Status::ReReviewed) {
        let last = p.commitments.iter().map(|k| k.due_at).chain(p.follow_ups.iter().map(|f| f.due_at)).max();
        let window = p.review_open_until.unwrap_or(p.updated_at);
        let due = last.map_or(window, |l| l.max(window));
        duty("close".into(), officer, limits.review_window, p.replied_at.unwrap_or(p.updated_at), due, None);
    }
    crate::obligation::fill_next_alerts(&mut out, &history, terms.warn_fraction);
    out
}

fn alert_history(p: &Petition) -> Vec<crate::obligation::AlertRecord<'_>> {
    p.events
        .iter()
        .map(|e| crate::obligation::AlertRecord {
            action: &e.action,
            duty: e.duty.as_deref(),
            due_at: e.due_at,
            level: e.level,
        })
        .collect()
}

/// Records the warnings and escalations due by `now`, one event each in time order;
/// escalations count up the ladder. `None` when nothing is due.
pub fn record_alerts(p: &Petition, now: Timestamp, terms: &Terms, limits: &Limits, actor: &Actor) -> Option<Petition> {
    let due = crate::obligation::due_alerts(&obligations(p, terms, limits), &alert_history(p), now, terms);
    if due.is_empty() {
        return None;
    }
    let mut c = p.clone();
    let at = now.max(c.updated_at);
    for d in due {
        let mut e = event(&c, at, actor, if d.level.is_some() { "escalate" } else { "warn" }, None);
        e.duty = Some(d.duty);
        e.due_at = Some(d.due_at);
        e.level = d.level;
        c.events.push(e);
        c.version += 1;
    }
    c.updated_at = at;
    Some(c)
}

/// Names of the duties in the petition office's words.
pub fn duty_zh(name: &str) -> String {
    let (base, n) = name.split_once(':').map_or((name, None), |(b, n)| (b, n.parse::<usize>().ok()));
    let n = n.map(|n| n + 1).unwrap_or(0);
    match base {
        "assign" => "15日内登记交办".into(),
        "decide" => "15日内告知是否受理".into(),
        "reply" => "60日内书面答复".into(),
        "commitment" => format!("答复承诺事项{n}"),
        "follow_up" => format!("第{n}次回访"),
        "review" => "30日内复查决定".into(),
        "re_review" => "30日内复核决定".into(),
        "close" => "办结闭环".into(),
        _ => name.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone, Utc};
    use proptest::prelude::*;

    fn officer() -> Actor {
        Actor { user_id: 5, username: "xinfang".into(), role: Role::PetitionOfficer }
    }

    /// Jan 8 2024, 09:00 in Hangzhou.
    fn t0() -> Timestamp {
        Utc.with_ymd_and_hms(2024, 1, 8, 1, 0, 0).unwrap()
    }

    fn new_petition() -> NewPetition {
        NewPetition {
            channel: Channel::Letter,
            class: Class::Demand,
            topic: "drainage".into(),
            matter: "涵洞排水不畅，雨天积水".into(),
            demand: "疏通涵洞".into(),
            grid: GridCode::parse("330114004001001").unwrap(),
            location: None,
            address: Some("临江街道某村涵洞".into()),
            petitioners: vec![Petitioner {
                name: "陈阿姨".into(),
                phone: Some("13800138000".into()),
                address: None,
                representative: false,
            }],
            reported_by: None,
            from_case: None,
            repeat_of: vec![],
            after_re_review: false,
        }
    }

    fn day(n: i64) -> Timestamp {
        t0() + Duration::days(n)
    }

    fn run(steps: &[(i64, Action)]) -> Result<Petition, PetitionError> {
        let l = Limits::default();
        let mut p = register(1, new_petition(), officer(), t0(), &l)?;
        for (d, a) in steps {
            p = apply(&p, a, &officer(), None, day(*d), &l)?;
        }
        Ok(p)
    }

    #[test]
    fn the_statutory_clock_counts_calendar_days_to_the_end_of_a_working_day() {
        let l = Limits::default();
        let p = register(1, new_petition(), officer(), t0(), &l).unwrap();
        // Jan 8 + 15 days = Jan 23 (a Tuesday), due at its end.
        assert_eq!(p.assign_due, Utc.with_ymd_and_hms(2024, 1, 23, 16, 0, 0).unwrap());
        let obs = obligations(&p, &Terms::default(), &l);
        assert_eq!(obs.iter().map(|o| o.name.as_str()).collect::<Vec<_>>(), ["assign", "decide"]);
        assert!(obs.iter().all(|o| o.counting == Counting::CalendarDays && o.state == ObligationState::Open));
    }

    #[test]
    fn accepted_replied_with_commitments_then_closed_only_when_all_are_kept() {
        let p = run(&[
            (1, Action::Assign { body: "临江街道城建办".into(), officer: 5 }),
            (2, Action::Accept),
            (4, Action::Reply { text: "已实地勘察，涵洞管道破损，1月16日前修复".into() }),
            (4, Action::Commit { what: "施工方修复破损管道".into(), due_at: day(8), owner: 9 }),
        ])
        .unwrap();
        assert_eq!(p.status, Status::Replied);
        let l = Limits::default();
        let names: Vec<_> =
            obligations(&p, &Terms::default(), &l).into_iter().filter(|o| o.state.is_owed()).map(|o| o.name).collect();
        assert_eq!(names, ["commitment:0", "follow_up:0", "follow_up:1", "close"]);
        let blocked = apply(&p, &Action::Close, &officer(), None, day(9), &l).unwrap_err();
        assert!(blocked.to_string().contains("施工方修复破损管道"), "{blocked}");
        let kept = apply(&p, &Action::KeepCommitment { commitment: 0 }, &officer(), None, day(8), &l).unwrap();
        assert!(apply(&kept, &Action::Close, &officer(), None, day(9), &l)
            .unwrap_err()
            .to_string()
            .contains("follow-up"));
        let mut v = kept;
        for i in 0..2 {
            v = apply(
                &v,
                &Action::RecordFollowUp { follow_up: i, how: "visit".into(), said: "满意".into() },
                &officer(),
                None,
                day(20),
                &l,
            )
            .unwrap();
        }
        let closed = apply(&v, &Action::Close, &officer(), None, day(21), &l).unwrap();
        assert_eq!(closed.status, Status::Closed);
        assert!(obligations(&closed, &Terms::default(), &l).iter().all(|o| !o.state.is_owed()));
        // The petitioner may still ask for a review within 30 days of the reply: it reopens.
        let review = apply(&closed, &Action::RequestReview, &officer(), None, day(30), &l).unwrap();
        assert_eq!(review.status, Status::UnderReview);
        assert!(apply(&closed, &Action::RequestReview, &officer(), None, day(40), &l).is_err());
    }

    #[test]
    fn refusal_extension_review_and_re_review() {
        let refused =
            run(&[(3, Action::Refuse { reason: "属诉讼程序".into(), route: "向人民法院起诉".into() })]).unwrap();
        assert!(!refused.status.is_open());
        let l = Limits::default();
        let accepted = run(&[(1, Action::Assign { body: "城建办".into(), officer: 5 }), (2, Action::Accept)]).unwrap();
        let due = accepted.reply_due.unwrap();
        let extended = apply(
            &accepted,
            &Action::Extend { days: 30, reason: "需第三方检测".into(), approved_by: 2 },
            &officer(),
            None,
            day(50),
            &l,
        )
        .unwrap();
        assert_eq!(extended.reply_due.unwrap(), due + Duration::days(30));
        assert!(
            apply(
                &extended,
                &Action::Extend { days: 5, reason: "再延".into(), approved_by: 2 },
                &officer(),
                None,
                day(51),
                &l
            )
            .is_err(),
            "once only"
        );
        assert!(apply(
            &accepted,
            &Action::Extend { days: 31, reason: "太长".into(), approved_by: 2 },
            &officer(),
            None,
            day(51),
            &l
        )
        .is_err());
        let mut p = apply(&extended, &Action::Reply { text: "答复".into() }, &officer(), None, day(80), &l).unwrap();
        for (d, status) in [
            (90, Status::UnderReview),
            (100, Status::Reviewed),
            (110, Status::UnderReReview),
            (120, Status::ReReviewed),
        ] {
            let a = if matches!(status, Status::UnderReview | Status::UnderReReview) {
                Action::RequestReview
            } else {
                Action::DecideReview { result: "维持".into() }
            };
            p = apply(&p, &a, &officer(), None, day(d), &l).unwrap();
            assert_eq!(p.status, status);
        }
        assert!(apply(&p, &Action::RequestReview, &officer(), None, day(121), &l).is_err(), "no third review");
        let mut again = new_petition();
        again.after_re_review = true;
        let q = register(2, again, officer(), day(130), &l).unwrap();
        let q =
            apply(&q, &Action::Assign { body: "城建办".into(), officer: 5 }, &officer(), None, day(131), &l).unwrap();
        assert!(apply(&q, &Action::Accept, &officer(), None, day(131), &l).is_err(), "same facts after re-review");
    }

    #[test]
    fn groups_name_representatives() {
        let l = Limits::default();
        let mut g = new_petition();
        g.petitioners = (0..20)
            .map(|i| Petitioner { name: format!("送货工人{i}"), phone: None, address: None, representative: false })
            .collect();
        assert!(register(1, g.clone(), officer(), t0(), &l).is_err());
        for p in g.petitioners.iter_mut().take(6) {
            p.representative = true;
        }
        assert!(register(1, g.clone(), officer(), t0(), &l).is_err(), "six representatives");
        g.petitioners[5].representative = false;
        assert!(register(1, g, officer(), t0(), &l).is_ok());
    }

    #[test]
    fn alerts_warn_then_escalate_once_each() {
        let l = Limits::default();
        let terms = Terms::default();
        let p = register(1, new_petition(), officer(), t0(), &l).unwrap();
        let sys = Actor { user_id: 0, username: "deadline-runner".into(), role: Role::Admin };
        assert!(record_alerts(&p, day(10), &terms, &l, &sys).is_none());
        let warned = record_alerts(&p, day(13), &terms, &l, &sys).unwrap();
        assert_eq!(warned.events.iter().filter(|e| e.action == "warn").count(), 2, "assign and decide");
        assert!(record_alerts(&warned, day(13), &terms, &l, &sys).is_none());
        let late = record_alerts(&warned, day(16), &terms, &l, &sys).unwrap();
        let levels: Vec<_> = late.events.iter().filter(|e| e.action == "escalate").map(|e| e.level).collect();
        assert_eq!(levels, [Some(1), Some(2)]);
        assert!(obligations(&late, &terms, &l).iter().all(|o| o.next_alert_at.is_none()));
    }

    fn any_action() -> impl Strategy<Value = Action> {
        prop_oneof![
            Just(Action::Assign { body: "城建办".into(), officer: 5 }),
            Just(Action::Accept),
            Just(Action::Refuse { reason: "不属受理范围".into(), route: "仲裁".into() }),
            (1u32..40).prop_map(|days| Action::Extend { days, reason: "检测".into(), approved_by: 2 }),
            Just(Action::Reply { text: "答复".into() }),
            (1i64..200).prop_map(|d| Action::Commit { what: "修复".into(), due_at: day(400 + d), owner: 9 }),
            (0usize..3).prop_map(|commitment| Action::KeepCommitment { commitment }),
            (0usize..4).prop_map(|follow_up| Action::RecordFollowUp {
                follow_up,
                how: "phone".into(),
                said: "好".into()
            }),
            (1i64..50).prop_map(|d| Action::ScheduleFollowUp { due_at: day(400 + d) }),
            Just(Action::RequestReview),
            Just(Action::DecideReview { result: "维持".into() }),
            Just(Action::Rate { satisfaction: Satisfaction::Dissatisfied, reason: Some("没修好".into()) }),
            Just(Action::Rate { satisfaction: Satisfaction::Satisfied, reason: None }),
            Just(Action::Close),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]
        /// Whatever happens, an open petition owes something, and a refused step changes nothing.
        #[test]
        fn an_open_petition_always_owes_something(steps in prop::collection::vec((any_action(), 0i64..20), 1..30)) {
            let l = Limits::default();
            let terms = Terms::default();
            let sys = Actor { user_id: 0, username: "deadline-runner".into(), role: Role::Admin };
            let mut p = register(1, new_petition(), officer(), t0(), &l).unwrap();
            let mut d = 0;
            for (a, dt) in steps {
                d += dt;
                if let Some(alerted) = record_alerts(&p, day(d), &terms, &l, &sys) {
                    p = alerted;
                }
                if let Ok(next) = apply(&p, &a, &officer(), None, day(d), &l) {
                    prop_assert_eq!(next.version, p.version + 1);
                    p = next;
                }
                let obs = obligations(&p, &terms, &l);
                prop_assert!(crate::obligation::owes_something(p.status.is_open(), &obs), "{:?}", p.status);
                prop_assert_eq!(p.events.len() as u32, p.version);
            }
        }
    }
}
