//! Petitions (信访) over HTTP: registration, the statutory clock as duties with countdowns,
//! every step, the audited view of who the petitioners are, and the petitioner's own view.
//!
//! Who may do what: petition officers, leaders and administrators see and handle every
//! petition; anyone else only a petition they are the officer, the owning leader or a
//! commitment's owner of; a resident only what they filed, in public milestones. Petitioners
//! are masked everywhere except `GET /petitions/{id}/petitioners`, which is audited.

use crate::auth::Session;
use crate::error::{ApiError, ApiJson, ApiQuery, ApiResult};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use domain::case::Satisfaction;
use domain::codes::{mask_name, GridCode, PhoneNumber};
use domain::obligation::State as DutyState;
use domain::petition::{Action, Channel, Class, NewPetition, Petition, Petitioner, Status};
use domain::role::Role;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;

/// Petitions listed at most.
const LIST_MAX: i64 = 200;

fn office(role: Role) -> bool {
    matches!(role, Role::PetitionOfficer | Role::Leader | Role::Admin)
}

fn involved(p: &Petition, user: i64) -> bool {
    p.officer == Some(user) || p.leader == Some(user) || p.commitments.iter().any(|k| k.owner == user)
}

fn may_see(session: &Session, p: &Petition) -> bool {
    office(session.role()) || involved(p, session.user.id)
}

fn parse_id(s: &str) -> ApiResult<i64> {
    s.parse::<i64>().ok().filter(|i| *i > 0).ok_or_else(|| ApiError::not_found("petition"))
}

async fn load(s: &AppState, session: &Session, id: &str) -> ApiResult<Petition> {
    let p = s.store.petition(parse_id(id)?).await?;
    if !may_see(session, &p) {
        // Not named to someone who may not see it.
        return Err(ApiError::not_found("petition"));
    }
    Ok(p)
}

fn rule(e: app::petitions::Error) -> ApiError {
    match e {
        app::petitions::Error::Store(e) => e.into(),
        app::petitions::Error::Rule(domain::petition::PetitionError::InvalidStep { action, status }) => ApiError::new(
            StatusCode::CONFLICT,
            "invalid_transition",
            format!("cannot {action} a petition that is {status}"),
        ),
        app::petitions::Error::Rule(e) => ApiError::invalid(e.to_string()),
    }
}

#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PetitionerIn {
    pub name: String,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub representative: bool,
}

#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocationIn {
    pub lat: f64,
    pub lng: f64,
}

/// A petition as the office registers it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PetitionIn {
    /// `letter`, `visit`, `phone`, `online`, `resident_app`, `escalated`.
    pub channel: String,
    /// `demand`, `complaint`, `suggestion`.
    pub class: String,
    /// A short topic word, used to find repeats (e.g. `drainage`, `wages`).
    pub topic: String,
    pub matter: String,
    #[serde(default)]
    pub demand: String,
    /// The grid; found from `location` when left out.
    #[serde(default)]
    pub grid: Option<String>,
    #[serde(default)]
    pub location: Option<LocationIn>,
    #[serde(default)]
    pub address: Option<String>,
    pub petitioners: Vec<PetitionerIn>,
    /// The case it was escalated from.
    #[serde(default)]
    pub from_case: Option<i64>,
}

/// One duty of the petition's clock.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DutyOut {
    pub name: String,
    pub name_zh: String,
    /// A person's name, or `role:<role>` when a role owes it.
    pub owner: String,
    /// The person's role when a person owes it.
    pub owner_role: Option<String>,
    pub counting: String,
    pub starts_at: String,
    pub due_at: String,
    pub kept_at: Option<String>,
    /// `open`, `paused`, `kept`, `dropped`.
    pub state: String,
    pub level: u8,
    /// Open and past its due time, or kept after it.
    pub overdue: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PetitionerOut {
    pub name: String,
    pub phone: Option<String>,
    pub representative: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CommitmentOut {
    pub what: String,
    pub due_at: String,
    pub owner: i64,
    pub owner_name: String,
    pub owner_role: Option<String>,
    pub kept_at: Option<String>,
    pub case_id: Option<i64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FollowUpOut {
    pub due_at: String,
    pub reason: String,
    pub done_at: Option<String>,
    pub by: Option<String>,
    pub by_role: Option<String>,
    pub how: Option<String>,
    pub said: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StepOut {
    pub at: String,
    pub actor: String,
    /// The actor's role, so that a page names them in its own language.
    pub actor_role: String,
    pub action: String,
    pub status: String,
    pub note: Option<String>,
    pub duty: Option<String>,
    pub level: Option<u8>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PetitionOut {
    pub id: i64,
    pub version: u32,
    pub channel: String,
    pub class: String,
    pub topic: String,
    pub matter: String,
    pub demand: String,
    pub grid: String,
    pub grid_name: Option<String>,
    pub address: Option<String>,
    /// Masked: 陈**, 138****8000.
    pub petitioners: Vec<PetitionerOut>,
    pub status: String,
    pub body: Option<String>,
    pub officer: Option<i64>,
    pub officer_name: Option<String>,
    /// Roles beside names, so that pages name people in their own language.
    pub officer_role: Option<String>,
    pub leader: Option<i64>,
    pub leader_name: Option<String>,
    pub leader_role: Option<String>,
    pub registered_at: String,
    pub reply_due: Option<String>,
    pub extension_days: Option<u32>,
    pub extension_reason: Option<String>,
    pub refusal: Option<[String; 2]>,
    pub replied_at: Option<String>,
    pub reply: Option<String>,
    pub review_open_until: Option<String>,
    pub reviews: u8,
    pub satisfaction: Option<String>,
    pub repeat_of: Vec<i64>,
    /// An earlier petition of the same person on the same matter went through re-review.
    pub after_re_review: bool,
    pub from_case: Option<i64>,
    pub closed_at: Option<String>,
    pub commitments: Vec<CommitmentOut>,
    pub follow_ups: Vec<FollowUpOut>,
    pub duties: Vec<DutyOut>,
    /// The next duty to fall due, if any is open.
    pub next_due_at: Option<String>,
    pub steps: Vec<StepOut>,
}

fn ts(t: domain::Timestamp) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Display names and roles of accounts, by id and by username (steps record the username),
/// so that pages name people in their own language. The deadline runner's steps keep its
/// username, `deadline-runner`: pages call it the system's supervision in their words.
async fn people(s: &AppState) -> ApiResult<(HashMap<i64, Person>, HashMap<String, Person>)> {
    let users = s.store.users().await?;
    let who = users.iter().map(|u| (u.id, (u.display_name.clone(), u.role.as_str().to_owned()))).collect();
    let by_name = users.into_iter().map(|u| (u.username, (u.display_name, u.role.as_str().to_owned()))).collect();
    Ok((who, by_name))
}

/// A display name and a role.
type Person = (String, String);

fn out(s: &AppState, p: &Petition, who: &HashMap<i64, Person>, by_name: &HashMap<String, Person>) -> PetitionOut {
    let now = s.clock.now();
    let name = |id: Option<i64>| id.and_then(|i| who.get(&i)).map(|x| x.0.clone());
    let role = |id: Option<i64>| id.and_then(|i| who.get(&i)).map(|x| x.1.clone());
    let duties = app::petitions::obligations(&s.app, p);
    let next_due_at = duties.iter().filter(|d| d.state == DutyState::Open).map(|d| d.due_at).min().map(ts);
    PetitionOut {
        id: p.id,
        version: p.version,
        channel: p.channel.as_str().into(),
        class: p.class.as_str().into(),
        topic: p.topic.clone(),
        matter: p.matter.clone(),
        demand: p.demand.clone(),
        grid: p.grid.as_str().into(),
        grid_name: s.grids.get(&p.grid).map(|g| g.name_zh.clone()),
        address: p.address.clone(),
        petitioners: p
            .petitioners
            .iter()
            .map(|x| PetitionerOut {
                name: mask_name(&x.name),
                phone: x.phone.as_deref().and_then(|ph| PhoneNumber::parse(ph).ok()).map(|ph| ph.masked()),
                representative: x.representative,
            })
            .collect(),
        status: p.status.as_str().into(),
        body: p.body.clone(),
        officer: p.officer,
        officer_name: name(p.officer),
        officer_role: role(p.officer),
        leader: p.leader,
        leader_name: name(p.leader),
        leader_role: role(p.leader),
        registered_at: ts(p.registered_at),
        reply_due: p.reply_due.map(ts),
        extension_days: p.extension.as_ref().map(|x| x.0),
        extension_reason: p.extension.as_ref().map(|x| x.1.clone()),
        refusal: p.refusal.clone().map(|(a, b)| [a, b]),
        replied_at: p.replied_at.map(ts),
        reply: p.reply.clone(),
        review_open_until: p.review_open_until.map(ts),
        reviews: p.reviews,
        satisfaction: p.satisfaction.map(|x| x.as_str().into()),
        repeat_of: p.repeat_of.clone(),
        after_re_review: p.after_re_review,
        from_case: p.from_case,
        closed_at: p.closed_at.map(ts),
        commitments: p
            .commitments
            .iter()
            .map(|k| CommitmentOut {
                what: k.what.clone(),
                due_at: ts(k.due_at),
                owner: k.owner,
                owner_name: name(Some(k.owner)).unwrap_or_default(),
                owner_role: role(Some(k.owner)),
                kept_at: k.kept_at.map(ts),
                case_id: k.case_id,
            })
            .collect(),
        follow_ups: p
            .follow_ups
            .iter()
            .map(|f| FollowUpOut {
                due_at: ts(f.due_at),
                reason: f.reason.clone(),
                done_at: f.done_at.map(ts),
                by: f.by.as_ref().map(|u| by_name.get(u).map_or_else(|| u.clone(), |x| x.0.clone())),
                by_role: f.by.as_ref().and_then(|u| by_name.get(u)).map(|x| x.1.clone()),
                how: f.how.clone(),
                said: f.said.clone(),
            })
            .collect(),
        duties: duties
            .iter()
            .map(|d| DutyOut {
                name: d.name.clone(),
                name_zh: domain::petition::duty_zh(&d.name),
                owner: match &d.owner {
                    domain::obligation::Owner::User(id) => name(Some(*id)).unwrap_or_else(|| format!("#{id}")),
                    other => other.to_text(),
                },
                owner_role: match &d.owner {
                    domain::obligation::Owner::User(id) => role(Some(*id)),
                    _ => None,
                },
                counting: d.counting.as_str().into(),
                starts_at: ts(d.starts_at),
                due_at: ts(d.due_at),
                kept_at: d.kept_at.map(ts),
                state: d.state.as_str().into(),
                level: d.level,
                overdue: d.missed(now),
            })
            .collect(),
        next_due_at,
        steps: p
            .events
            .iter()
            .map(|e| StepOut {
                at: ts(e.at),
                actor: by_name.get(&e.actor.username).map_or_else(|| e.actor.username.clone(), |x| x.0.clone()),
                actor_role: e.actor.role.as_str().into(),
                action: e.action.clone(),
                status: e.to.as_str().into(),
                note: e.note.clone(),
                duty: e.duty.clone(),
                level: e.level,
            })
            .collect(),
    }
}

async fn out_one(s: &AppState, p: &Petition) -> ApiResult<PetitionOut> {
    let (who, by_name) = people(s).await?;
    Ok(out(s, p, &who, &by_name))
}

fn parse_new(s: &AppState, b: PetitionIn, session: &Session) -> ApiResult<NewPetition> {
    let channel = Channel::parse(&b.channel)
        .ok_or_else(|| ApiError::invalid("channel must be letter, visit, phone, online, resident_app or escalated"))?;
    let class =
        Class::parse(&b.class).ok_or_else(|| ApiError::invalid("class must be demand, complaint or suggestion"))?;
    let location = b
        .location
        .map(|l| domain::geo::LatLng::new(l.lat, l.lng).map_err(|e| ApiError::invalid(e.to_string())))
        .transpose()?;
    let grid = match (&b.grid, location) {
        (Some(g), _) => GridCode::parse(g).map_err(|e| ApiError::invalid(e.0))?,
        (None, Some(l)) => {
            s.area.locate(&l).cloned().ok_or_else(|| ApiError::invalid("the location is outside the street"))?
        }
        (None, None) => return Err(ApiError::invalid("a petition needs its grid or a location")),
    };
    if !s.grids.contains_key(&grid) {
        return Err(ApiError::invalid(format!("unknown grid {grid}")));
    }
    let mut petitioners = vec![];
    for p in b.petitioners {
        let phone = match p.phone.as_deref().map(str::trim).filter(|x| !x.is_empty()) {
            Some(ph) => Some(PhoneNumber::parse(ph).map_err(|e| ApiError::invalid(e.0))?.as_str().to_owned()),
            None => None,
        };
        petitioners.push(Petitioner { name: p.name, phone, address: p.address, representative: p.representative });
    }
    Ok(NewPetition {
        channel,
        class,
        topic: b.topic,
        matter: b.matter,
        demand: b.demand,
        grid,
        location,
        address: b.address,
        petitioners,
        reported_by: (session.role() == Role::Resident).then_some(session.user.id),
        from_case: b.from_case,
        repeat_of: vec![],
        after_re_review: false,
    })
}

/// Registers a petition from any channel. Petition officers, leaders, administrators and
/// dispatchers (escalating a case) register; a resident files their own in the app.
#[utoipa::path(post, path = "/api/v1/petitions", request_body = PetitionIn,
    responses((status = 201, body = PetitionOut), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn create(
    State(s): State<Arc<AppState>>,
    session: Session,
    ApiJson(b): ApiJson<PetitionIn>,
) -> ApiResult<(StatusCode, Json<PetitionOut>)> {
    if !(office(session.role()) || matches!(session.role(), Role::Dispatcher | Role::Resident)) {
        return Err(ApiError::forbidden("the petition office registers petitions"));
    }
    let mut new = parse_new(&s, b, &session)?;
    if session.role() == Role::Resident {
        // A resident files their own petition in the app.
        new.channel = Channel::ResidentApp;
        new.from_case = None;
    }
    let p = app::petitions::register(&s.app, new, &session.actor()).await.map_err(rule)?;
    Ok((StatusCode::CREATED, Json(out_one(&s, &p).await?)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Comma-separated statuses; `open` for every open one.
    pub status: Option<String>,
    /// Only the ones I handle.
    pub mine: Option<bool>,
    pub before_id: Option<i64>,
    pub limit: Option<i64>,
}

/// Petitions newest first: all of them for the office, the ones I handle for anyone else.
#[utoipa::path(get, path = "/api/v1/petitions", params(ListQuery), responses((status = 200, body = [PetitionOut])), security(("bearer" = [])))]
pub async fn list(
    State(s): State<Arc<AppState>>,
    session: Session,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Vec<PetitionOut>>> {
    if session.role() == Role::Resident {
        return Err(ApiError::forbidden("residents see their own petitions at /api/v1/me/petitions"));
    }
    let status = match q.status.as_deref() {
        None | Some("") => None,
        Some("open") => Some(Status::ALL.iter().copied().filter(Status::is_open).collect()),
        Some(list) => Some(
            list.split(',')
                .map(|x| Status::parse(x.trim()).ok_or_else(|| ApiError::invalid(format!("unknown status {x:?}"))))
                .collect::<ApiResult<Vec<_>>>()?,
        ),
    };
    let handled_by = (q.mine.unwrap_or(false) || !office(session.role())).then_some(session.user.id);
    let filter = store::petitions::PetitionFilter {
        status,
        handled_by,
        reported_by: None,
        before_id: q.before_id,
        limit: q.limit.unwrap_or(LIST_MAX).clamp(1, LIST_MAX),
    };
    let (who, by_name) = people(&s).await?;
    Ok(Json(
        s.store
            .petitions(&filter)
            .await?
            .iter()
            .filter(|p| may_see(&session, p))
            .map(|p| out(&s, p, &who, &by_name))
            .collect(),
    ))
}

#[utoipa::path(get, path = "/api/v1/petitions/{id}", responses((status = 200, body = PetitionOut), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn get(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(id): Path<String>,
) -> ApiResult<Json<PetitionOut>> {
    let p = load(&s, &session, &id).await?;
    Ok(Json(out_one(&s, &p).await?))
}

/// One step. `action` names it; the other fields are what the step needs.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionIn {
    /// `assign`, `accept`, `refuse`, `extend`, `reply`, `commit`, `link_case`,
    /// `keep_commitment`, `schedule_follow_up`, `record_follow_up`, `request_review`,
    /// `decide_review`, `rate`, `take_ownership`, `close`, `spawn_case` (a commitment carried
    /// out as an ordinary case of `category`).
    pub action: String,
    pub version: Option<u32>,
    pub body: Option<String>,
    pub officer: Option<i64>,
    pub reason: Option<String>,
    pub route: Option<String>,
    pub days: Option<u32>,
    pub approved_by: Option<i64>,
    pub text: Option<String>,
    pub what: Option<String>,
    pub due_at: Option<String>,
    pub owner: Option<i64>,
    pub commitment: Option<usize>,
    pub case_id: Option<i64>,
    pub follow_up: Option<usize>,
    pub how: Option<String>,
    pub said: Option<String>,
    pub result: Option<String>,
    pub satisfaction: Option<String>,
    /// For `spawn_case`: the category of the case that carries out the commitment.
    pub category: Option<String>,
    pub note: Option<String>,
}

fn need<T>(v: Option<T>, field: &str) -> ApiResult<T> {
    v.ok_or_else(|| ApiError::invalid(format!("this step needs {field}")))
}

fn instant(v: Option<String>, field: &str) -> ApiResult<domain::Timestamp> {
    let v = need(v, field)?;
    chrono::DateTime::parse_from_rfc3339(&v)
        .map(|t| t.with_timezone(&chrono::Utc))
        .or_else(|_| {
            // A date alone means the end of that day in the street's time.
            chrono::NaiveDate::parse_from_str(&v, "%Y-%m-%d").map(|d| {
                (d.succ_opt().unwrap_or(d).and_hms_opt(0, 0, 0).expect("midnight") - chrono::Duration::hours(8))
                    .and_utc()
            })
        })
        .map_err(|_| ApiError::invalid(format!("{field} must be a date (2024-01-16) or an RFC 3339 instant")))
}

fn parse_action(b: ActionIn) -> ApiResult<Action> {
    Ok(match b.action.as_str() {
        "assign" => Action::Assign { body: need(b.body, "body")?, officer: need(b.officer, "officer")? },
        "accept" => Action::Accept,
        "refuse" => Action::Refuse { reason: need(b.reason, "reason")?, route: need(b.route, "route")? },
        "extend" => Action::Extend {
            days: need(b.days, "days")?,
            reason: need(b.reason, "reason")?,
            approved_by: need(b.approved_by, "approved_by")?,
        },
        "reply" => Action::Reply { text: need(b.text, "text")? },
        "commit" => Action::Commit {
            what: need(b.what, "what")?,
            due_at: instant(b.due_at, "due_at")?,
            owner: need(b.owner, "owner")?,
        },
        "link_case" => {
            Action::LinkCase { commitment: need(b.commitment, "commitment")?, case_id: need(b.case_id, "case_id")? }
        }
        "keep_commitment" => Action::KeepCommitment { commitment: need(b.commitment, "commitment")? },
        "schedule_follow_up" => Action::ScheduleFollowUp { due_at: instant(b.due_at, "due_at")? },
        "record_follow_up" => Action::RecordFollowUp {
            follow_up: need(b.follow_up, "follow_up")?,
            how: need(b.how, "how")?,
            said: need(b.said, "said")?,
        },
        "request_review" => Action::RequestReview,
        "decide_review" => Action::DecideReview { result: need(b.result, "result")? },
        "rate" => Action::Rate {
            satisfaction: Satisfaction::parse(&need(b.satisfaction, "satisfaction")?).ok_or_else(|| {
                ApiError::invalid("satisfaction must be satisfied, basically_satisfied or dissatisfied")
            })?,
            reason: b.reason,
        },
        "take_ownership" => Action::TakeOwnership,
        "close" => Action::Close,
        other => return Err(ApiError::invalid(format!("unknown step {other:?}"))),
    })
}

/// Takes one step. The office takes any; someone involved takes the steps of their part
/// (an officer handles, a commitment's owner keeps it); a leader may take ownership.
#[utoipa::path(post, path = "/api/v1/petitions/{id}/actions", request_body = ActionIn,
    responses((status = 200, body = PetitionOut), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn act(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ActionIn>,
) -> ApiResult<Json<PetitionOut>> {
    let p = load(&s, &session, &id).await?;
    if let Some(v) = b.version {
        if v != p.version {
            return Err(ApiError::new(StatusCode::CONFLICT, "conflict", "the petition changed meanwhile; reload it"));
        }
    }
    let note = b.note.clone();
    if b.action == "spawn_case" {
        // The commitment carried out as an ordinary case, sent like any other.
        if !(office(session.role()) || p.officer == Some(session.user.id)) {
            return Err(ApiError::forbidden("this step is not yours to take"));
        }
        let category =
            domain::codes::CategoryCode::parse(&need(b.category, "category")?).map_err(|e| ApiError::invalid(e.0))?;
        let (after, _) =
            app::commitments::spawn_case(&s.app, p.id, need(b.commitment, "commitment")?, &category, &session.actor())
                .await
                .map_err(rule)?;
        return Ok(Json(out_one(&s, &after).await?));
    }
    let action = parse_action(b)?;
    let allowed = match &action {
        Action::KeepCommitment { commitment } | Action::LinkCase { commitment, .. } => {
            office(session.role())
                || p.officer == Some(session.user.id)
                || p.commitments.get(*commitment).is_some_and(|k| k.owner == session.user.id)
        }
        Action::Rate { .. } | Action::RequestReview => office(session.role()) || p.officer == Some(session.user.id),
        Action::Extend { approved_by, .. } => {
            // Approved by a leader (or the office's administrator), never by oneself.
            let approver = s.store.user(*approved_by).await.ok();
            office(session.role()) && approver.is_some_and(|u| matches!(u.role, Role::Leader | Role::Admin))
        }
        _ => office(session.role()) || p.officer == Some(session.user.id),
    };
    if !allowed {
        return Err(ApiError::forbidden("this step is not yours to take"));
    }
    if let Action::Assign { officer, .. } = &action {
        let u = s.store.user(*officer).await.map_err(|_| ApiError::invalid("no such officer"))?;
        if u.role == Role::Resident || u.disabled {
            return Err(ApiError::invalid("the responsible officer is a staff account"));
        }
    }
    if let Action::Commit { owner, .. } = &action {
        s.store.user(*owner).await.map_err(|_| ApiError::invalid("no such owner"))?;
    }
    let after = app::petitions::act(&s.app, p.id, &action, &session.actor(), note.as_deref()).await.map_err(rule)?;
    Ok(Json(out_one(&s, &after).await?))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PetitionerFull {
    pub name: String,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub representative: bool,
}

/// Who the petitioners are, unmasked: petition officers and leaders only, and audited.
#[utoipa::path(get, path = "/api/v1/petitions/{id}/petitioners", responses((status = 200, body = [PetitionerFull])), security(("bearer" = [])))]
pub async fn petitioners(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<PetitionerFull>>> {
    let p = load(&s, &session, &id).await?;
    if !matches!(session.role(), Role::PetitionOfficer | Role::Leader) && p.officer != Some(session.user.id) {
        return Err(ApiError::forbidden("only the petition office sees who the petitioners are"));
    }
    s.store
        .audit(&store::AuditEntry {
            at: s.clock.now(),
            actor: session.label(),
            action: "petitioners.view".into(),
            entity: "petition".into(),
            entity_id: p.id.to_string(),
            detail: serde_json::json!({ "petitioners": p.petitioners.len() }).to_string(),
        })
        .await?;
    Ok(Json(
        p.petitioners
            .into_iter()
            .map(|x| PetitionerFull {
                name: x.name,
                phone: x.phone,
                address: x.address,
                representative: x.representative,
            })
            .collect(),
    ))
}

/// A public milestone of a petition, as its petitioner sees it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MilestoneOut {
    pub at: String,
    pub what: String,
    pub detail: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MyPetitionOut {
    pub id: i64,
    pub topic: String,
    pub matter: String,
    pub status: String,
    pub body: Option<String>,
    pub officer_name: Option<String>,
    /// The officer's phone (and WeChat): the petitioner reaches them directly.
    pub officer_phone: Option<String>,
    pub reply_due: Option<String>,
    pub reply: Option<String>,
    pub satisfaction: Option<String>,
    /// May rate now (replied and not yet rated).
    pub may_rate: bool,
    pub milestones: Vec<MilestoneOut>,
}

/// The petitions I filed, as public milestones with dates (registered, assigned, accepted or
/// refused, extended, replied, reviewed, closed) — no staff notes.
#[utoipa::path(get, path = "/api/v1/me/petitions", responses((status = 200, body = [MyPetitionOut])), security(("bearer" = [])))]
pub async fn mine(State(s): State<Arc<AppState>>, session: Session) -> ApiResult<Json<Vec<MyPetitionOut>>> {
    let filter =
        store::petitions::PetitionFilter { reported_by: Some(session.user.id), limit: LIST_MAX, ..Default::default() };
    let mut out = vec![];
    for p in s.store.petitions(&filter).await? {
        out.push(petitioner_view(&s, &p).await?);
    }
    Ok(Json(out))
}

/// A petition as its petitioner sees it: public milestones, no staff notes.
async fn petitioner_view(s: &AppState, p: &Petition) -> ApiResult<MyPetitionOut> {
    let officer = match p.officer {
        Some(id) => s.store.user(id).await.ok(),
        None => None,
    };
    let milestones = p
        .events
        .iter()
        .filter_map(|e| {
            let (what, detail) = match e.action.as_str() {
                "register" => ("已登记", None),
                "assign" => ("已交办", p.body.clone()),
                "accept" => ("已受理", None),
                "refuse" => ("不予受理", p.refusal.as_ref().map(|r| format!("{}；可通过：{}", r.0, r.1))),
                "extend" => ("办理期限已延长", p.extension.as_ref().map(|x| x.1.clone())),
                "reply" => ("已书面答复", None),
                "request_review" => ("已申请复查/复核", None),
                "decide_review" => ("复查/复核意见已作出", None),
                "close" => ("已办结", None),
                _ => return None,
            };
            Some(MilestoneOut { at: ts(e.at), what: what.into(), detail })
        })
        .collect();
    Ok(MyPetitionOut {
        id: p.id,
        topic: p.topic.clone(),
        matter: p.matter.clone(),
        status: p.status.as_str().into(),
        body: p.body.clone(),
        officer_name: officer.as_ref().map(|u| u.display_name.clone()),
        officer_phone: officer.and_then(|u| u.phone),
        reply_due: p.reply_due.map(ts),
        reply: p.reply.clone(),
        satisfaction: p.satisfaction.map(|x| x.as_str().into()),
        may_rate: p.replied_at.is_some() && p.satisfaction.is_none(),
        milestones,
    })
}

/// Failed query-code look-ups an address gets before it must wait.
const FREE_QUERY_FAILURES: u32 = 10;

async fn by_code(s: &AppState, addr: &crate::http::ClientAddr, code: &str) -> ApiResult<Petition> {
    let key = format!("petition-query:{}", addr.key());
    let now = s.clock.now();
    if let Some(wait) = s.login_throttle.locked(&[&key], now) {
        let seconds = wait.num_seconds().max(1);
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            format!("too many wrong codes; try again in {seconds} s"),
        )
        .retry_after(seconds));
    }
    match s.store.petition_by_query_code(&app::petitions::query_code_hash(code)).await {
        Ok(p) => Ok(p),
        Err(store::StoreError::NotFound) => {
            s.login_throttle.failed(&key, FREE_QUERY_FAILURES, now);
            Err(ApiError::not_found("petition with this query code"))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CodeQuery {
    /// The query code texted with the reply.
    pub code: String,
}

/// A petition looked up with the query code texted to its petitioner: the public milestones,
/// without signing in. Wrong codes are throttled per address.
#[utoipa::path(get, path = "/api/v1/petition-query", params(CodeQuery), responses((status = 200, body = MyPetitionOut), (status = 404, body = crate::error::ErrorBody)))]
pub async fn query(
    State(s): State<Arc<AppState>>,
    addr: crate::http::ClientAddr,
    ApiQuery(q): ApiQuery<CodeQuery>,
) -> ApiResult<Json<MyPetitionOut>> {
    let p = by_code(&s, &addr, &q.code).await?;
    Ok(Json(petitioner_view(&s, &p).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeRateIn {
    pub code: String,
    /// `satisfied`, `basically_satisfied`, `dissatisfied` (with a reason).
    pub satisfaction: String,
    #[serde(default)]
    pub reason: Option<String>,
}

/// The petitioner rates the reply with the query code.
#[utoipa::path(post, path = "/api/v1/petition-query/rate", request_body = CodeRateIn, responses((status = 204)))]
pub async fn rate_by_code(
    State(s): State<Arc<AppState>>,
    addr: crate::http::ClientAddr,
    ApiJson(b): ApiJson<CodeRateIn>,
) -> ApiResult<StatusCode> {
    let p = by_code(&s, &addr, &b.code).await?;
    let petitioner = domain::case::Actor { user_id: 0, username: "petitioner".into(), role: Role::Resident };
    rate_as(&s, &p, &b.satisfaction, b.reason, &petitioner).await
}

async fn rate_as(
    s: &AppState,
    p: &Petition,
    satisfaction: &str,
    reason: Option<String>,
    who: &domain::case::Actor,
) -> ApiResult<StatusCode> {
    let satisfaction = Satisfaction::parse(satisfaction)
        .ok_or_else(|| ApiError::invalid("satisfaction must be satisfied, basically_satisfied or dissatisfied"))?;
    if p.satisfaction.is_some() {
        return Err(ApiError::new(StatusCode::CONFLICT, "invalid_transition", "already rated"));
    }
    app::petitions::act(&s.app, p.id, &Action::Rate { satisfaction, reason }, who, None).await.map_err(rule)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RateIn {
    /// `satisfied`, `basically_satisfied`, `dissatisfied` (with a reason).
    pub satisfaction: String,
    #[serde(default)]
    pub reason: Option<String>,
}

/// The petitioner rates the reply; dissatisfied (with a reason) sends someone back to hear why.
#[utoipa::path(post, path = "/api/v1/me/petitions/{id}/rate", request_body = RateIn, responses((status = 204)), security(("bearer" = [])))]
pub async fn rate(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<RateIn>,
) -> ApiResult<StatusCode> {
    let p = s.store.petition(parse_id(&id)?).await?;
    if p.reported_by != Some(session.user.id) {
        return Err(ApiError::not_found("petition"));
    }
    rate_as(&s, &p, &b.satisfaction, b.reason, &session.actor()).await
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StaffOut {
    pub id: i64,
    pub name: String,
    pub role: String,
}

/// The staff a petition can be assigned to, an extension approved by, or a commitment owned
/// by (the petition office's pickers).
#[utoipa::path(get, path = "/api/v1/petitions/staff", responses((status = 200, body = [StaffOut])), security(("bearer" = [])))]
pub async fn staff(State(s): State<Arc<AppState>>, session: Session) -> ApiResult<Json<Vec<StaffOut>>> {
    if !office(session.role()) {
        return Err(ApiError::forbidden("the petition office's pickers"));
    }
    Ok(Json(
        s.store
            .users()
            .await?
            .into_iter()
            .filter(|u| !u.disabled && !matches!(u.role, Role::Resident | Role::Volunteer | Role::Admin))
            .map(|u| StaffOut { id: u.id, name: u.display_name, role: u.role.as_str().into() })
            .collect(),
    ))
}

/// Files one petition holds at most.
const FILES_PER_PETITION_MAX: usize = 40;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct FileQuery {
    /// `letter` (the scanned letter, papers brought along) or `follow_up:N` (a visit's photo).
    pub purpose: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FileOut {
    pub id: i64,
    pub purpose: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub created_at: String,
    pub url: String,
}

pub fn file_out(kind: &str, f: &store::files::MatterFile) -> FileOut {
    FileOut {
        id: f.id,
        purpose: f.purpose.clone(),
        content_type: f.content_type.clone(),
        size_bytes: f.size_bytes,
        created_at: ts(f.created_at),
        url: format!("/api/v1/{kind}/{}/files/{}", f.matter_id, f.id),
    }
}

/// Sends one file's bytes, auditing the look.
pub async fn send_file(
    s: &AppState,
    session: &Session,
    kind: domain::obligation::MatterKind,
    matter_id: i64,
    file: &str,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let fid: i64 = file.parse().map_err(|_| ApiError::not_found("file"))?;
    let (content_type, data) = s.store.matter_file_data(kind, matter_id, fid).await.map_err(|e| match e {
        store::StoreError::NotFound => ApiError::not_found("file"),
        e => e.into(),
    })?;
    s.store
        .audit(&store::AuditEntry {
            at: s.clock.now(),
            actor: session.label(),
            action: format!("{}.file.view", kind.as_str()),
            entity: kind.as_str().into(),
            entity_id: matter_id.to_string(),
            detail: serde_json::json!({ "file": fid }).to_string(),
        })
        .await?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, content_type),
            (axum::http::header::CACHE_CONTROL, "private, no-store".into()),
        ],
        data,
    )
        .into_response())
}

/// Adds a scanned letter or a follow-up visit's photo (JPEG, PNG or WebP, re-encoded).
#[utoipa::path(post, path = "/api/v1/petitions/{id}/files", params(FileQuery), request_body(content = Vec<u8>, content_type = "image/jpeg"),
    responses((status = 201, body = FileOut), (status = 415, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn upload(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<FileQuery>,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<FileOut>)> {
    let p = load(&s, &session, &id).await?;
    let valid = q.purpose == "letter"
        || q.purpose
            .strip_prefix("follow_up:")
            .and_then(|n| n.parse::<usize>().ok())
            .is_some_and(|n| n < p.follow_ups.len());
    if !valid {
        return Err(ApiError::invalid("purpose must be letter or follow_up:N of an existing visit"));
    }
    use domain::obligation::MatterKind;
    if s.store.matter_files(MatterKind::Petition, p.id).await?.len() >= FILES_PER_PETITION_MAX {
        return Err(ApiError::invalid(format!("a petition holds at most {FILES_PER_PETITION_MAX} files")));
    }
    let (kind, clean) = crate::images::clean_upload(body).await?;
    let fid = s
        .store
        .add_matter_file(
            MatterKind::Petition,
            p.id,
            &q.purpose,
            kind,
            &clean,
            session.user.id,
            &session.label(),
            s.clock.now(),
        )
        .await?;
    let f = s
        .store
        .matter_files(MatterKind::Petition, p.id)
        .await?
        .into_iter()
        .find(|f| f.id == fid)
        .ok_or_else(|| ApiError::not_found("file"))?;
    Ok((StatusCode::CREATED, Json(file_out("petitions", &f))))
}

/// The files of a petition.
#[utoipa::path(get, path = "/api/v1/petitions/{id}/files", responses((status = 200, body = [FileOut])), security(("bearer" = [])))]
pub async fn files(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<FileOut>>> {
    let p = load(&s, &session, &id).await?;
    let list = s.store.matter_files(domain::obligation::MatterKind::Petition, p.id).await?;
    Ok(Json(list.iter().map(|f| file_out("petitions", f)).collect()))
}

/// One file's bytes; each view is audited (a letter carries the petitioner's identity).
#[utoipa::path(get, path = "/api/v1/petitions/{id}/files/{file}", responses((status = 200, content_type = "image/jpeg")), security(("bearer" = [])))]
pub async fn file(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path((id, file)): Path<(String, String)>,
) -> ApiResult<axum::response::Response> {
    let p = load(&s, &session, &id).await?;
    send_file(&s, &session, domain::obligation::MatterKind::Petition, p.id, &file).await
}
