//! Volunteer teams over HTTP: teams and members, shifts with slots (sign-up, cancellation and
//! the waiting list through the activity routes; reminders 48 h before), check-in at the
//! place and check-out, hours a leader adds (capped, audited), anti-fraud visits, the
//! service record with its star level, and a printable service certificate.
//!
//! Who may do what: street staff manage every team; a team's leader manages their own team;
//! a volunteer sees their teams, signs up, checks in and out, records visits and reads their
//! own record; residents are refused.

use crate::auth::Session;
use crate::error::{ApiError, ApiJson, ApiResult};
use crate::{wire, AppState};
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use domain::role::Role;
use domain::volunteer::TeamKind;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Most shifts one list shows.
const SHIFTS_MAX: i64 = 200;
/// Longest shift: a day.
const SHIFT_HOURS_MAX: i64 = 24;
/// Widest check-in radius, in metres.
const RADIUS_M_MAX: i64 = 2000;

fn manages_all(session: &Session) -> bool {
    matches!(session.role(), Role::Admin | Role::Leader | Role::Dispatcher | Role::StationOfficer | Role::GridWorker)
}

/// Staff, or the team's leader.
async fn manages(s: &AppState, session: &Session, team: i64) -> ApiResult<store::volunteers::Team> {
    let t = s.store.team(team).await.map_err(|_| ApiError::not_found("team"))?;
    if manages_all(session) || t.leader_user == Some(session.user.id) {
        Ok(t)
    } else {
        Err(ApiError::forbidden("only street staff and the team's leader manage a team"))
    }
}

fn kind_zh(k: &str) -> &'static str {
    match TeamKind::parse(k) {
        Some(TeamKind::Aunties) => "临家阿姨",
        Some(TeamKind::AntiFraud) => "反诈妈妈团",
        Some(TeamKind::Patrol) => "平安巡防",
        Some(TeamKind::Publicity) => "宣传帮扶",
        Some(TeamKind::Mediation) => "纠纷调解",
        Some(TeamKind::Help) => "邻里帮扶",
        None => "志愿服务",
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TeamOut {
    pub id: i64,
    pub community: String,
    pub community_name: String,
    pub community_name_en: String,
    pub kind: String,
    pub kind_zh: String,
    pub name: String,
    pub leader_user: Option<i64>,
    pub leader_name: Option<String>,
    pub members: i64,
}

async fn team_out(s: &AppState, t: &store::volunteers::Team) -> ApiResult<TeamOut> {
    let leader_name = match t.leader_user {
        Some(u) => Some(s.store.user(u).await?.display_name),
        None => None,
    };
    let community = crate::api::deliberation::communities(s).into_iter().find(|c| c.code == t.community);
    let (community_name, community_name_en) = community.map(|c| (c.name, c.name_en)).unwrap_or_default();
    Ok(TeamOut {
        id: t.id,
        community: t.community.clone(),
        community_name,
        community_name_en,
        kind: t.kind.clone(),
        kind_zh: kind_zh(&t.kind).into(),
        name: t.name.clone(),
        leader_user: t.leader_user,
        leader_name,
        members: t.members,
    })
}

/// Every team (staff), or the teams one leads.
#[utoipa::path(get, path = "/api/v1/volunteers/teams", responses((status = 200, body = [TeamOut])), security(("bearer" = [])))]
pub async fn teams(State(s): State<Arc<AppState>>, session: Session) -> ApiResult<Json<Vec<TeamOut>>> {
    let list = if manages_all(&session) {
        s.store.teams(None).await?
    } else if session.role() == Role::Volunteer {
        s.store
            .teams_of(session.user.id)
            .await?
            .into_iter()
            .filter(|t| t.leader_user == Some(session.user.id))
            .collect()
    } else {
        return Err(ApiError::forbidden("only street staff and team leaders manage teams"));
    };
    let mut out = vec![];
    for t in &list {
        out.push(team_out(&s, t).await?);
    }
    Ok(Json(out))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamIn {
    pub community: String,
    /// `aunties`, `anti_fraud`, `patrol`, `publicity`, `mediation` or `help`.
    pub kind: String,
    pub name: String,
    pub leader_user: Option<i64>,
}

#[utoipa::path(post, path = "/api/v1/volunteers/teams", request_body = TeamIn, responses((status = 201, body = TeamOut)), security(("bearer" = [])))]
pub async fn create_team(
    State(s): State<Arc<AppState>>,
    session: Session,
    ApiJson(req): ApiJson<TeamIn>,
) -> ApiResult<(StatusCode, Json<TeamOut>)> {
    if !manages_all(&session) {
        return Err(ApiError::forbidden("only street staff set up teams"));
    }
    if !crate::api::deliberation::communities(&s).iter().any(|c| c.code == req.community) {
        return Err(ApiError::invalid(format!("no community {}", req.community)));
    }
    TeamKind::parse(&req.kind).ok_or_else(|| ApiError::invalid(format!("unknown kind {}", req.kind)))?;
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > 50 {
        return Err(ApiError::invalid("name needs 1 to 50 characters"));
    }
    if let Some(u) = req.leader_user {
        let u = s.store.user(u).await.map_err(|_| ApiError::invalid(format!("no account {u}")))?;
        if u.role != Role::Volunteer {
            return Err(ApiError::invalid(format!("{} is not a volunteer", u.display_name)));
        }
    }
    let id =
        s.store.create_team(&req.community, &req.kind, name, req.leader_user, &session.label(), s.clock.now()).await?;
    Ok((StatusCode::CREATED, Json(team_out(&s, &s.store.team(id).await?).await?)))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MemberOut {
    pub user_id: i64,
    pub name: String,
    pub skills: String,
    pub hours: f64,
    pub stars: u8,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SignupOut {
    pub user_id: i64,
    pub name: String,
    /// signed, waitlisted or cancelled.
    pub status: String,
    pub checked_in_at: Option<String>,
    pub checked_out_at: Option<String>,
    pub minutes: Option<i64>,
    pub added_minutes: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ShiftOut {
    pub id: i64,
    pub team_id: Option<i64>,
    pub title: String,
    pub body: String,
    pub place: String,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub radius_m: Option<i64>,
    pub starts_at: String,
    pub ends_at: Option<String>,
    /// Places needed and taken.
    pub slots: i64,
    pub filled: i64,
    pub waitlisted: i64,
    /// The viewer's place: signed, waitlisted, cancelled or none.
    pub my_status: String,
    pub checked_in: bool,
    pub checked_out: bool,
    /// The roster (leaders and staff only).
    pub roster: Vec<SignupOut>,
}

async fn shift_out(s: &AppState, a: &store::community::Activity, me: i64, roster: bool) -> ApiResult<ShiftOut> {
    let mine = s.store.signup_of(a.id, me).await?;
    let list = if roster { s.store.roster(a.id).await? } else { vec![] };
    let checked_out = if mine.is_some() {
        s.store.roster_line(a.id, me).await?.and_then(|l| l.checked_out_at).is_some()
    } else {
        false
    };
    Ok(ShiftOut {
        id: a.id,
        team_id: a.team_id,
        title: a.title.clone(),
        body: a.body.clone(),
        place: a.place.clone(),
        lat: a.place_at.map(|p| p.lat()),
        lng: a.place_at.map(|p| p.lng()),
        radius_m: a.radius_m,
        starts_at: wire::time(a.starts_at),
        ends_at: a.ends_at.map(wire::time),
        slots: a.capacity,
        filled: a.signed,
        waitlisted: a.waitlisted,
        my_status: mine.as_ref().map_or("none".into(), |m| m.status.clone()),
        checked_in: mine.is_some_and(|m| m.checked_in_at.is_some()),
        checked_out,
        roster: list
            .into_iter()
            .map(|l| SignupOut {
                user_id: l.user_id,
                name: l.name,
                status: l.status,
                checked_in_at: l.checked_in_at.map(wire::time),
                checked_out_at: l.checked_out_at.map(wire::time),
                minutes: l.minutes,
                added_minutes: l.added_minutes,
            })
            .collect(),
    })
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TeamDetail {
    pub team: TeamOut,
    pub members: Vec<MemberOut>,
    pub shifts: Vec<ShiftOut>,
    pub past_shifts: Vec<ShiftOut>,
    pub visits: i64,
    pub households: i64,
    pub leaflets: i64,
    pub hours: f64,
}

fn hours(minutes: i64) -> f64 {
    (minutes as f64 / 6.0).round() / 10.0
}

/// A team with its members (hours, stars), its coming shifts with rosters, and visits.
#[utoipa::path(get, path = "/api/v1/volunteers/teams/{id}", responses((status = 200, body = TeamDetail)), security(("bearer" = [])))]
pub async fn team(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(id): Path<i64>,
) -> ApiResult<Json<TeamDetail>> {
    let t = manages(&s, &session, id).await?;
    let members = s.store.members(id).await?;
    let now = s.clock.now();
    let mut shifts = vec![];
    for a in
        s.store.shifts(&[id], now - chrono::Duration::hours(12), now + chrono::Duration::days(60), SHIFTS_MAX).await?
    {
        shifts.push(shift_out(&s, &a, session.user.id, true).await?);
    }
    let mut past_shifts = vec![];
    let mut past =
        s.store.shifts(&[id], now - chrono::Duration::days(30), now - chrono::Duration::hours(12), SHIFTS_MAX).await?;
    past.reverse();
    for a in past.iter().take(10) {
        past_shifts.push(shift_out(&s, a, session.user.id, true).await?);
    }
    let (visits, households, leaflets) = s.store.visit_totals(None, Some(id)).await?;
    let total: i64 = members.iter().map(|m| m.minutes).sum();
    Ok(Json(TeamDetail {
        team: team_out(&s, &t).await?,
        members: members
            .into_iter()
            .map(|m| MemberOut {
                user_id: m.user_id,
                name: m.display_name,
                skills: m.skills,
                hours: hours(m.minutes),
                stars: domain::volunteer::stars(m.minutes),
            })
            .collect(),
        shifts,
        past_shifts,
        visits,
        households,
        leaflets,
        hours: hours(total),
    }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberIn {
    /// An existing volunteer account, or a phone number and a name for a new one (they sign
    /// in to the resident app with that phone).
    pub user_id: Option<i64>,
    pub phone: Option<String>,
    pub name: Option<String>,
    #[serde(default)]
    pub skills: String,
}

/// Adds a member to a team.
#[utoipa::path(post, path = "/api/v1/volunteers/teams/{id}/members", request_body = MemberIn, responses((status = 200, body = TeamDetail)), security(("bearer" = [])))]
pub async fn add_member(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<MemberIn>,
) -> ApiResult<Json<TeamDetail>> {
    manages(&s, &session, id).await?;
    if req.skills.chars().count() > 200 {
        return Err(ApiError::invalid("skills are at most 200 characters"));
    }
    let now = s.clock.now();
    let user = match (req.user_id, &req.phone) {
        (Some(u), _) => {
            let u = s.store.user(u).await.map_err(|_| ApiError::invalid(format!("no account {u}")))?;
            if u.role != Role::Volunteer {
                return Err(ApiError::invalid(format!("{} is not a volunteer", u.display_name)));
            }
            u.id
        }
        (None, Some(phone)) => {
            let phone: domain::codes::PhoneNumber =
                phone.parse().map_err(|_| ApiError::invalid("phone must be a mobile number"))?;
            match s.store.user_by_phone(phone.as_str(), Role::Volunteer).await {
                Ok(u) => u.id,
                Err(store::StoreError::NotFound) => {
                    let name = req.name.as_deref().map(str::trim).filter(|n| !n.is_empty() && n.chars().count() <= 30);
                    let name =
                        name.ok_or_else(|| ApiError::invalid("a new volunteer needs a name (1 to 30 characters)"))?;
                    let new = store::NewUser {
                        username: format!("v{}", &crate::auth::new_secret()[..12]),
                        // No password: volunteers sign in with codes texted to their phone.
                        password_hash: "!".into(),
                        role: Role::Volunteer,
                        display_name: name.into(),
                        grid: None,
                        station: None,
                        phone: Some(phone.as_str().into()),
                    };
                    s.store.create_user(&new, &session.label(), now).await?
                }
                Err(e) => return Err(e.into()),
            }
        }
        (None, None) => return Err(ApiError::invalid("give user_id, or phone and name")),
    };
    s.store.add_member(id, user, req.skills.trim(), &session.label(), now).await?;
    team(State(s), session, Path(id)).await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShiftIn {
    pub title: String,
    #[serde(default)]
    pub body: String,
    pub place: String,
    /// Where check-in is accepted.
    pub lat: f64,
    pub lng: f64,
    /// Metres around the place (20–2,000).
    pub radius_m: i64,
    pub starts_at: String,
    pub ends_at: String,
    /// Volunteers needed.
    pub slots: i64,
}

/// Plans a shift for a team.
#[utoipa::path(post, path = "/api/v1/volunteers/teams/{id}/shifts", request_body = ShiftIn, responses((status = 201, body = ShiftOut)), security(("bearer" = [])))]
pub async fn create_shift(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<ShiftIn>,
) -> ApiResult<(StatusCode, Json<ShiftOut>)> {
    let t = manages(&s, &session, id).await?;
    let starts_at = wire::parse_time("starts_at", &req.starts_at).map_err(ApiError::invalid)?;
    let ends_at = wire::parse_time("ends_at", &req.ends_at).map_err(ApiError::invalid)?;
    if ends_at <= starts_at || ends_at - starts_at > chrono::Duration::hours(SHIFT_HOURS_MAX) {
        return Err(ApiError::invalid(format!("a shift ends after it starts, within {SHIFT_HOURS_MAX} hours")));
    }
    if starts_at <= s.clock.now() {
        return Err(ApiError::invalid("a shift is planned for the future"));
    }
    if !(1..=500).contains(&req.slots) {
        return Err(ApiError::invalid("slots must be 1 to 500"));
    }
    if !(20..=RADIUS_M_MAX).contains(&req.radius_m) {
        return Err(ApiError::invalid(format!("radius_m must be 20 to {RADIUS_M_MAX}")));
    }
    let place_at = domain::geo::LatLng::new(req.lat, req.lng).map_err(|e| ApiError::invalid(e.to_string()))?;
    let (title, place) = (req.title.trim(), req.place.trim());
    if title.is_empty() || title.chars().count() > 100 || place.is_empty() || place.chars().count() > 200 {
        return Err(ApiError::invalid("title needs 1 to 100 characters and place 1 to 200"));
    }
    if req.body.chars().count() > 4000 {
        return Err(ApiError::invalid("body is at most 4,000 characters"));
    }
    let a = store::community::Activity {
        kind: "shift".into(),
        community: Some(t.community.clone()),
        team_id: Some(t.id),
        ends_at: Some(ends_at),
        place_at: Some(place_at),
        radius_m: Some(req.radius_m),
        ..store::community::Activity::public(
            title.into(),
            req.body.trim().into(),
            place.into(),
            starts_at,
            req.slots,
            crate::auth::new_secret(),
        )
    };
    let aid = s.store.create_activity(&a, session.user.id, &session.label(), s.clock.now()).await?;
    Ok((StatusCode::CREATED, Json(shift_out(&s, &s.store.activity(aid).await?, session.user.id, true).await?)))
}

async fn shift(s: &AppState, id: i64) -> ApiResult<store::community::Activity> {
    let a = s.store.activity(id).await.map_err(|_| ApiError::not_found("shift"))?;
    if a.kind != "shift" {
        return Err(ApiError::not_found("shift"));
    }
    Ok(a)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MinutesIn {
    pub user_id: i64,
    pub minutes: i64,
    pub reason: String,
}

/// A leader adds minutes for a volunteer who served but could not check in (recorded as the
/// leader's, capped at the shift's length, audited).
#[utoipa::path(post, path = "/api/v1/volunteers/shifts/{id}/minutes", request_body = MinutesIn, responses((status = 200, body = ShiftOut)), security(("bearer" = [])))]
pub async fn add_minutes(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<MinutesIn>,
) -> ApiResult<Json<ShiftOut>> {
    let a = shift(&s, id).await?;
    manages(&s, &session, a.team_id.unwrap_or(0)).await?;
    if req.user_id == session.user.id {
        return Err(ApiError::forbidden("nobody adds hours for themselves"));
    }
    let reason = req.reason.trim();
    if reason.is_empty() || reason.chars().count() > 200 {
        return Err(ApiError::invalid("reason needs 1 to 200 characters"));
    }
    let members = s.store.members(a.team_id.unwrap_or(0)).await?;
    if !members.iter().any(|m| m.user_id == req.user_id) {
        return Err(ApiError::invalid("hours are added for the team's members"));
    }
    s.store
        .add_service_minutes(id, req.user_id, req.minutes, reason, session.user.id, &session.label(), s.clock.now())
        .await?;
    Ok(Json(shift_out(&s, &s.store.activity(id).await?, session.user.id, true).await?))
}

/// The volunteer checks out; the minutes come from check-in and check-out.
#[utoipa::path(post, path = "/api/v1/volunteers/shifts/{id}/checkout", responses((status = 200, body = ShiftOut)), security(("bearer" = [])))]
pub async fn checkout(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(id): Path<i64>,
) -> ApiResult<Json<ShiftOut>> {
    let a = shift(&s, id).await?;
    s.store.check_out_of_shift(id, session.user.id, &session.label(), s.clock.now()).await?;
    Ok(Json(shift_out(&s, &a, session.user.id, false).await?))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RecordLine {
    pub shift_id: i64,
    pub title: String,
    pub starts_at: String,
    pub hours: f64,
    /// `checkin` or `leader`.
    pub source: String,
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VisitOut {
    pub visited_at: String,
    pub households: i64,
    pub leaflets: i64,
    pub note: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MyVolunteering {
    pub name: String,
    pub teams: Vec<TeamOut>,
    pub shifts: Vec<ShiftOut>,
    pub hours: f64,
    pub stars: u8,
    pub hours_to_next_star: Option<f64>,
    pub record: Vec<RecordLine>,
    pub reports: i64,
    pub visits: Vec<VisitOut>,
    pub households: i64,
    pub leaflets: i64,
}

async fn volunteering(s: &AppState, user: &store::User, me: i64) -> ApiResult<MyVolunteering> {
    let teams = s.store.teams_of(user.id).await?;
    let now = s.clock.now();
    let ids: Vec<i64> = teams.iter().map(|t| t.id).collect();
    let mut shifts = vec![];
    for a in
        s.store.shifts(&ids, now - chrono::Duration::hours(12), now + chrono::Duration::days(30), SHIFTS_MAX).await?
    {
        shifts.push(shift_out(s, &a, me, false).await?);
    }
    let record = s.store.service_record(user.id).await?;
    let minutes: i64 = record.iter().map(|l| l.minutes).sum();
    let (_, households, leaflets) = s.store.visit_totals(Some(user.id), None).await?;
    let mut team_list = vec![];
    for t in &teams {
        team_list.push(team_out(s, t).await?);
    }
    Ok(MyVolunteering {
        name: user.display_name.clone(),
        teams: team_list,
        shifts,
        hours: hours(minutes),
        stars: domain::volunteer::stars(minutes),
        hours_to_next_star: domain::volunteer::hours_to_next_star(minutes).map(|h| (h * 10.0).round() / 10.0),
        record: record
            .into_iter()
            .take(100)
            .map(|l| RecordLine {
                shift_id: l.activity_id,
                title: l.title,
                starts_at: wire::time(l.starts_at),
                hours: hours(l.minutes),
                source: l.source,
                reason: l.reason,
            })
            .collect(),
        reports: s.store.cases_reported_by(user.id).await?,
        visits: s
            .store
            .visits(Some(user.id), None, 20)
            .await?
            .into_iter()
            .map(|v| VisitOut {
                visited_at: wire::time(v.visited_at),
                households: v.households,
                leaflets: v.leaflets,
                note: v.note,
            })
            .collect(),
        households,
        leaflets,
    })
}

/// The volunteer's own part of the app: teams, coming shifts, hours, stars, record, visits.
#[utoipa::path(get, path = "/api/v1/me/volunteer", responses((status = 200, body = MyVolunteering)), security(("bearer" = [])))]
pub async fn mine(State(s): State<Arc<AppState>>, session: Session) -> ApiResult<Json<MyVolunteering>> {
    if session.role() != Role::Volunteer {
        return Err(ApiError::forbidden("this is a volunteer's page"));
    }
    Ok(Json(volunteering(&s, &session.user, session.user.id).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisitIn {
    pub households: i64,
    pub leaflets: i64,
    #[serde(default)]
    pub note: String,
    /// When (RFC 3339); now if left out.
    pub visited_at: Option<String>,
}

/// Records an anti-fraud home visit.
#[utoipa::path(post, path = "/api/v1/me/volunteer/visits", request_body = VisitIn, responses((status = 201)), security(("bearer" = [])))]
pub async fn add_visit(
    State(s): State<Arc<AppState>>,
    session: Session,
    ApiJson(req): ApiJson<VisitIn>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    if session.role() != Role::Volunteer {
        return Err(ApiError::forbidden("volunteers record their visits"));
    }
    if !(1..=500).contains(&req.households) || !(0..=5000).contains(&req.leaflets) {
        return Err(ApiError::invalid("households must be 1 to 500 and leaflets 0 to 5,000"));
    }
    if req.note.chars().count() > 1000 {
        return Err(ApiError::invalid("note is at most 1,000 characters"));
    }
    let now = s.clock.now();
    let visited_at = match &req.visited_at {
        Some(t) => wire::parse_time("visited_at", t).map_err(ApiError::invalid)?,
        None => now,
    };
    if visited_at > now || visited_at < now - chrono::Duration::days(30) {
        return Err(ApiError::invalid("a visit is recorded within 30 days, not in the future"));
    }
    let teams = s.store.teams_of(session.user.id).await?;
    let team = teams.iter().find(|t| t.kind == "anti_fraud").or(teams.first());
    let Some(team) = team else {
        return Err(ApiError::invalid("join a team before recording visits"));
    };
    let v = store::volunteers::Visit {
        id: 0,
        user_id: session.user.id,
        team_id: Some(team.id),
        community: team.community.clone(),
        visited_at,
        households: req.households,
        leaflets: req.leaflets,
        note: req.note.trim().into(),
    };
    let id = s.store.add_visit(&v, &session.label(), now).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": id }))))
}

/// The printable service certificate (志愿服务证明) of the signed-in volunteer.
#[utoipa::path(get, path = "/api/v1/me/volunteer/certificate", responses((status = 200, description = "text/html")), security(("bearer" = [])))]
pub async fn my_certificate(State(s): State<Arc<AppState>>, session: Session) -> ApiResult<Response> {
    if session.role() != Role::Volunteer {
        return Err(ApiError::forbidden("this is a volunteer's certificate"));
    }
    certificate(&s, &session.user).await
}

/// A volunteer's certificate, for staff and the leader of one of their teams.
#[utoipa::path(get, path = "/api/v1/volunteers/{user}/certificate", responses((status = 200, description = "text/html")), security(("bearer" = [])))]
pub async fn certificate_of(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(user): Path<i64>,
) -> ApiResult<Response> {
    let u = s.store.user(user).await.map_err(|_| ApiError::not_found("volunteer"))?;
    if u.role != Role::Volunteer {
        return Err(ApiError::not_found("volunteer"));
    }
    let leads = s.store.teams_of(user).await?.iter().any(|t| t.leader_user == Some(session.user.id));
    if !manages_all(&session) && !leads {
        return Err(ApiError::forbidden("only street staff and the volunteer's team leader"));
    }
    certificate(&s, &u).await
}

async fn certificate(s: &AppState, u: &store::User) -> ApiResult<Response> {
    let v = volunteering(s, u, u.id).await?;
    let esc = crate::api::mediations::esc;
    let teams = v
        .teams
        .iter()
        .map(|t| format!("{}（{}）", esc(&t.name), esc(&t.community_name)))
        .collect::<Vec<_>>()
        .join("、");
    let first = v.record.last().map(|l| l.starts_at[..10].to_owned()).unwrap_or_default();
    let last = v.record.first().map(|l| l.starts_at[..10].to_owned()).unwrap_or_default();
    let stars = "★".repeat(v.stars as usize) + &"☆".repeat(5 - v.stars as usize);
    let today = store::local_time_text(s.clock.now())[..10].to_owned();
    let html = format!(
        r#"<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>志愿服务证明 · {name}</title>
<style>body{{font-family:"Noto Serif CJK SC","Songti SC",serif;max-width:720px;margin:40px auto;padding:40px;border:6px double #b22;}}
h1{{text-align:center;letter-spacing:8px;color:#b22}}p{{font-size:18px;line-height:2}}.stars{{color:#c90;font-size:24px}}
table{{border-collapse:collapse;width:100%;margin-top:12px}}td,th{{border:1px solid #999;padding:4px 8px;font-size:14px}}
.sign{{text-align:right;margin-top:40px}}@media print{{body{{border:6px double #b22;margin:0 auto}}}}</style></head><body>
<h1>志愿服务证明</h1>
<p>兹证明 <b>{name}</b> 同志系{teams}志愿者，自 {first} 至 {last}，累计参加志愿服务 <b>{hours}</b> 小时，
其中经签到签退记录的服务时长与服务队负责人补录的时长均已在系统中留痕。星级：<span class="stars">{stars}</span>（{n}星）。</p>
<p>参与反诈入户宣传 {households} 户，发放宣传资料 {leaflets} 份；通过临灵通上报事件 {reports} 件。</p>
<p>特此证明。</p>
<table><tr><th>日期</th><th>活动</th><th>时长（小时）</th><th>记录方式</th></tr>{rows}</table>
<p class="sign">临江街道志愿服务中心<br>{today}</p>
<p style="font-size:12px;color:#666">依据《志愿服务条例》，服务时长以签到、签退记录为准；星级以累计100/300/600/1000/1500小时评定。</p>
</body></html>"#,
        name = esc(&v.name),
        hours = v.hours,
        n = v.stars,
        households = v.households,
        leaflets = v.leaflets,
        reports = v.reports,
        rows = v
            .record
            .iter()
            .take(30)
            .map(|l| format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                &l.starts_at[..10],
                esc(&l.title),
                l.hours,
                if l.source == "leader" { "负责人补录" } else { "签到签退" }
            ))
            .collect::<String>(),
    );
    Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response())
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Summary {
    pub teams: i64,
    pub volunteers: i64,
    pub communities_covered: i64,
    pub communities: i64,
    pub hours_this_year: f64,
    pub shifts_this_year: i64,
    pub households_this_year: i64,
}

/// The street's volunteering at a glance (staff).
#[utoipa::path(get, path = "/api/v1/volunteers/summary", responses((status = 200, body = Summary)), security(("bearer" = [])))]
pub async fn summary(State(s): State<Arc<AppState>>, session: Session) -> ApiResult<Json<Summary>> {
    if !manages_all(&session) {
        return Err(ApiError::forbidden("street staff only"));
    }
    let teams = s.store.teams(None).await?;
    let now = s.clock.now();
    let local = now + chrono::Duration::hours(8);
    let year_start = crate::api::deliberation::beijing(
        chrono::NaiveDate::from_ymd_opt(chrono::Datelike::year(&local.date_naive()), 1, 1).expect("1 January exists"),
        0,
    );
    let y = s.store.volunteering_between(year_start, now).await?;
    let mut covered: Vec<&str> = teams.iter().map(|t| t.community.as_str()).collect();
    covered.sort();
    covered.dedup();
    Ok(Json(Summary {
        teams: teams.len() as i64,
        volunteers: s.store.volunteer_count().await?,
        communities_covered: covered.len() as i64,
        communities: crate::api::deliberation::communities(&s).len() as i64,
        hours_this_year: hours(y.0),
        shifts_this_year: y.1,
        households_this_year: y.2,
    }))
}
