//! Request and response types of the JSON API, converted to and from domain types by hand
//! so the wire format stays stable while the domain changes. Times are RFC 3339 in Beijing
//! time (+08:00).

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use domain::case::{Assignment, AssignmentStatus, Case, CaseEvent};
use domain::deadline::Promise;
use domain::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

const BEIJING_OFFSET_SECONDS: i32 = 8 * 3600;

pub fn time(t: Timestamp) -> String {
    t.with_timezone(&FixedOffset::east_opt(BEIJING_OFFSET_SECONDS).expect("offset in range"))
        .to_rfc3339_opts(SecondsFormat::Millis, false)
}

/// Parses an RFC 3339 time with an offset.
pub fn parse_time(field: &str, s: &str) -> Result<Timestamp, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("{field} must be an RFC 3339 time with an offset, like 2026-11-27T09:30:00+08:00"))
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Location {
    pub lat: f64,
    pub lng: f64,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReporterIn {
    pub name: Option<String>,
    pub phone: Option<String>,
}

/// `POST /api/v1/cases`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCaseRequest {
    /// A category code from `GET /api/v1/categories`, e.g. `SJ1002`.
    pub category: String,
    /// What happened, 1 to 4,000 characters.
    pub description: String,
    pub location: Location,
    /// resident_app, hotline, police_110, grid_patrol, sensor, petition, volunteer, walk_in.
    pub source: String,
    /// urgent, high, normal or low; the category's default when absent.
    pub priority: Option<String>,
    pub reporter: Option<ReporterIn>,
    /// A street address or landmark, up to 200 characters.
    pub address: Option<String>,
    /// Keep the reporter's name and number from staff (the reporter can still follow it).
    pub anonymous: Option<bool>,
}

/// `POST /api/v1/cases/{id}/actions`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionRequest {
    /// accept, dispatch, contact_party, arrive, feedback, close, reject, reassign, suspend,
    /// resume, void, reopen, rate, archive.
    pub action: String,
    /// For dispatch and reassign: the responders sent.
    pub responders: Option<Vec<i64>>,
    /// For arrive: which responder arrived.
    pub responder: Option<i64>,
    /// What was done or said; required for feedback and close.
    pub note: Option<String>,
    /// Why; required for reject, reassign, suspend, void and reopen. Same as `note`.
    pub reason: Option<String>,
    /// For rate: satisfied, basically_satisfied or dissatisfied.
    pub satisfaction: Option<String>,
    /// For extend: which deadline moves (accept, dispatch, on_site, first_feedback, close).
    pub promise: Option<String>,
    /// For extend: by how much, like "24h".
    pub by: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Deadlines {
    pub accept: String,
    pub dispatch: String,
    pub on_site: String,
    pub first_feedback: String,
    pub close: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Milestones {
    pub accepted_at: Option<String>,
    pub dispatched_at: Option<String>,
    pub contacted_at: Option<String>,
    pub on_site_at: Option<String>,
    pub first_feedback_at: Option<String>,
    pub closed_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AssignmentOut {
    pub responder_id: i64,
    pub status: String,
    pub assigned_at: String,
    pub arrived_at: Option<String>,
    pub ended_at: Option<String>,
    /// The responder must take (接单) it by then, or it passes to the next candidate.
    pub answer_by: Option<String>,
    /// When the responder took it.
    pub answered_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActorOut {
    pub id: i64,
    pub username: String,
    pub role: String,
    /// The person's name, for staff accounts (None for residents and the platform itself).
    pub name: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventOut {
    pub seq: u32,
    pub at: String,
    pub actor: ActorOut,
    pub action: String,
    pub from: Option<String>,
    pub to: String,
    pub note: Option<String>,
    pub responders: Vec<i64>,
    /// For warnings, escalations and extensions: the promise concerned.
    pub promise: Option<String>,
    /// For warnings and escalations: the instant the alert was for; for extensions, the new
    /// deadline.
    pub due_at: Option<String>,
    /// For escalations: the level reached.
    pub level: Option<u8>,
}

/// A reporter as lists show it: masked.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReporterOut {
    pub name: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CaseOut {
    pub id: i64,
    pub status: String,
    pub category: String,
    pub category_name: Option<String>,
    pub priority: String,
    pub source: String,
    pub grid: String,
    pub grid_name: Option<String>,
    /// The grid's name in English, for pages read in English.
    pub grid_name_en: Option<String>,
    pub location: Location,
    pub description: String,
    pub address: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub deadlines: Deadlines,
    pub milestones: Milestones,
    /// Promises missed so far: accept, dispatch, on_site, first_feedback, close.
    pub overdue: Vec<String>,
    /// The next promise still owed and when it falls due.
    pub next_deadline: Option<NextDeadline>,
    pub satisfaction: Option<String>,
    pub reopened_count: u32,
    pub has_reporter: bool,
    /// The signed-in viewer reported this case (residents see their own reports and the
    /// ones they follow).
    pub reported_by_me: bool,
    pub reporter: Option<ReporterOut>,
    pub assignments: Vec<AssignmentOut>,
    pub events: Vec<EventOut>,
    pub version: u32,
    /// The mediation this dispute became, if any (shown on the one case's view).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mediation_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NextDeadline {
    pub promise: String,
    pub due_at: String,
}

fn assignment(a: &Assignment) -> AssignmentOut {
    AssignmentOut {
        responder_id: a.responder_id,
        status: match a.status {
            AssignmentStatus::Active => "active",
            AssignmentStatus::Arrived => "arrived",
            AssignmentStatus::Completed => "completed",
            AssignmentStatus::Withdrawn => "withdrawn",
            AssignmentStatus::Declined => "declined",
        }
        .into(),
        assigned_at: time(a.assigned_at),
        arrived_at: a.arrived_at.map(time),
        ended_at: a.ended_at.map(time),
        answer_by: a.answer_by.map(time),
        answered_at: a.answered_at.map(time),
    }
}

fn event(e: &CaseEvent) -> EventOut {
    EventOut {
        seq: e.seq,
        at: time(e.at),
        actor: ActorOut {
            id: e.actor.user_id,
            username: e.actor.username.clone(),
            role: e.actor.role.as_str().into(),
            name: None,
        },
        action: e.action.as_str().into(),
        from: e.from.map(|s| s.as_str().into()),
        to: e.to.as_str().into(),
        note: e.note.clone(),
        responders: e.responders.clone(),
        promise: e.promise.map(|p| p.as_str().into()),
        due_at: e.due_at.map(time),
        level: e.level,
    }
}

/// Builds the response for a case as seen at `now`; names come from the catalogue.
pub fn case_out(
    c: &Case,
    now: Timestamp,
    category_name: Option<String>,
    grid_name: Option<(String, String)>,
    reporter: Option<ReporterOut>,
) -> CaseOut {
    let m = &c.milestones;
    let next = c.status.is_open().then(|| Promise::ALL.into_iter().find(|p| m.kept_at(*p).is_none())).flatten();
    CaseOut {
        id: c.id,
        status: c.status.as_str().into(),
        category: c.category.as_str().into(),
        category_name,
        priority: c.priority.as_str().into(),
        source: c.source.as_str().into(),
        grid: c.grid.as_str().into(),
        grid_name_en: grid_name.as_ref().map(|g| g.1.clone()),
        grid_name: grid_name.map(|g| g.0),
        location: Location { lat: c.location.lat(), lng: c.location.lng() },
        description: c.description.clone(),
        address: c.address.clone(),
        created_at: time(c.created_at),
        updated_at: time(c.updated_at),
        deadlines: Deadlines {
            accept: time(c.deadlines.accept),
            dispatch: time(c.deadlines.dispatch),
            on_site: time(c.deadlines.on_site),
            first_feedback: time(c.deadlines.first_feedback),
            close: time(c.deadlines.close),
        },
        milestones: Milestones {
            accepted_at: m.accepted_at.map(time),
            dispatched_at: m.dispatched_at.map(time),
            contacted_at: m.contacted_at.map(time),
            on_site_at: m.on_site_at.map(time),
            first_feedback_at: m.first_feedback_at.map(time),
            closed_at: m.closed_at.map(time),
        },
        overdue: domain::case::overdue(c, now).iter().map(|p| p.as_str().to_owned()).collect(),
        next_deadline: next.map(|p| NextDeadline { promise: p.as_str().into(), due_at: time(c.deadlines.get(p)) }),
        satisfaction: c.satisfaction.map(|s| s.as_str().into()),
        reopened_count: c.reopened_count,
        has_reporter: c.reporter_id.is_some(),
        reported_by_me: false,
        reporter,
        assignments: c.assignments.iter().map(assignment).collect(),
        events: c.events.iter().map(event).collect(),
        version: c.version,
        mediation_id: None,
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CasePageOut {
    pub cases: Vec<CaseOut>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserOut {
    pub id: i64,
    pub username: String,
    pub role: String,
    pub role_name: String,
    pub display_name: String,
    pub grid: Option<String>,
    pub station: Option<String>,
    /// The place on the duty roster of a field account, if it has one.
    pub responder_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LoginResponse {
    pub token: String,
    pub expires_at: String,
    pub user: UserOut,
}

pub fn user_out(u: &store::User) -> UserOut {
    UserOut {
        id: u.id,
        username: u.username.clone(),
        role: u.role.as_str().into(),
        role_name: u.role.name_zh().into(),
        display_name: u.display_name.clone(),
        grid: u.grid.clone(),
        station: u.station.clone(),
        responder_id: None,
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CategoryOut {
    pub code: String,
    pub name: String,
    pub name_en: String,
    /// event (事件) or component (部件).
    pub kind: String,
    pub forces: Vec<String>,
    pub default_priority: String,
    pub working_hours: bool,
    pub tags: Vec<String>,
    /// The promise chain for the default priority, as durations like "10m".
    pub deadlines: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StationOut {
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub kind: String,
    pub lat: f64,
    pub lng: f64,
    pub address: String,
    pub grids: usize,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ResponderOut {
    pub id: i64,
    pub name: String,
    pub force: String,
    pub station: String,
    pub grid: Option<String>,
    pub travel_mode: String,
    pub skills: Vec<String>,
    pub shift: String,
    pub status: String,
    pub location: Option<Location>,
    pub position_at: Option<String>,
}

pub fn responder_out(r: &store::Responder) -> ResponderOut {
    ResponderOut {
        id: r.id,
        name: r.name.clone(),
        force: r.force.as_str().into(),
        station: r.station.clone(),
        grid: r.grid.clone(),
        travel_mode: r.travel_mode.clone(),
        skills: r.skills.clone(),
        shift: r.shift.clone(),
        status: r.status.clone(),
        location: r.lat.zip(r.lng).map(|(lat, lng)| Location { lat, lng }),
        position_at: r.position_at.map(time),
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PositionRequest {
    pub lat: f64,
    pub lng: f64,
    /// When the position was taken (RFC 3339); now when absent.
    pub at: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusRequest {
    /// off_duty, available, en_route, on_site or busy.
    pub status: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MoveUpOut {
    pub responder_id: i64,
    pub name: String,
    pub force: String,
    /// Where to wait.
    pub lat: f64,
    pub lng: f64,
    pub grid_name: String,
    pub grid_name_en: String,
    pub eta_seconds: i64,
    /// Grids newly within ten minutes, less any left uncovered by the move.
    pub grids_gained: i64,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Recommendation {
    pub responder_id: i64,
    pub name: String,
    pub force: String,
    pub eta_seconds: i64,
    pub distance_metres: i64,
    pub reason: String,
    /// On site before the on-site promise runs out.
    pub on_time: bool,
    /// Why the default policy puts this one here (Chinese, English).
    pub why: String,
    pub why_en: String,
    /// Grids nobody else free of this force would reach within nine minutes if this one went
    /// (names in the page's language order: Chinese, then English).
    pub leaves_uncovered: Vec<String>,
    pub leaves_uncovered_en: Vec<String>,
    /// The on-time arrivals of this force the street can expect to lose while this one is
    /// away (its share of the expected coverage × the force's cases a second × the trip).
    pub calls_lost: f64,
    /// How much longer the case may wait for someone coming clear instead of this one
    /// (`dispatch::policy::wait_allowed_seconds`); 0 unless `why` says it can wait.
    pub may_wait_seconds: i64,
}
