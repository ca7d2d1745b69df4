//! Grid deliberation days (“临距离”) over HTTP: each community's fixed day and its meetings
//! (registration and QR check-in through the meeting's activity), topics raised in the
//! resident app, by grid workers or from cases and petitions, the minutes, resolutions with
//! steps and parts, and the public board.
//!
//! Who may do what: staff who run deliberation days (`domain::deliberation::runs_meetings`)
//! do everything; a grid worker only in their own community; residents and volunteers raise
//! and support topics and read their community's topics and meetings — without other
//! residents' names or the staff's steps; anyone, signed in or not, reads the board.

use crate::auth::Session;
use crate::error::{ApiError, ApiJson, ApiQuery, ApiResult};
use crate::{wire, AppState};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use domain::deliberation::{
    self as d, Day, DeliberationError, NewResolution, NewTopic, Resolution, ResolutionAction, Topic, TopicAction,
    TopicSource, TopicStatus,
};
use domain::role::Role;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

const LIST_MAX: i64 = 300;
/// Most months of meetings made at once.
const MONTHS_MAX: u32 = 12;

fn rule(e: app::deliberation::Error) -> ApiError {
    match e {
        app::deliberation::Error::Store(e) => e.into(),
        app::deliberation::Error::Rule(DeliberationError::InvalidStep { action, kind, status }) => ApiError::new(
            StatusCode::CONFLICT,
            "invalid_transition",
            format!("cannot {action} a {kind} that is {status}"),
        ),
        app::deliberation::Error::Rule(e) => ApiError::invalid(e.to_string()),
    }
}

/// A community of the street: its code and names (from its grids).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Community {
    pub code: String,
    pub name: String,
    pub name_en: String,
}

/// The street's communities, from the grids (a grid's name is its community's name and
/// “第N网格”).
pub fn communities(s: &AppState) -> Vec<Community> {
    let mut out: Vec<Community> = vec![];
    for g in s.grids.values() {
        if out.iter().any(|c| c.code == g.community) {
            continue;
        }
        let name = g.name_zh.split("第").next().unwrap_or(&g.name_zh).trim().to_owned();
        let name_en = g.name_en.split(" Grid").next().unwrap_or(&g.name_en).trim().to_owned();
        out.push(Community { code: g.community.clone(), name, name_en });
    }
    out.sort_by(|a, b| a.code.cmp(&b.code));
    out
}

fn community(s: &AppState, code: &str) -> ApiResult<Community> {
    communities(s).into_iter().find(|c| c.code == code).ok_or_else(|| ApiError::invalid(format!("no community {code}")))
}

/// The first grid of a community (where its notices are routed).
fn grid_of(s: &AppState, community: &str) -> ApiResult<domain::codes::GridCode> {
    s.grids
        .values()
        .find(|g| g.community == community)
        .map(|g| g.code.clone())
        .ok_or_else(|| ApiError::invalid(format!("no community {community}")))
}

/// Staff who run deliberation days; a grid worker only in their own community.
fn runs(s: &AppState, session: &Session, community: &str) -> ApiResult<()> {
    if !d::runs_meetings(session.role()) {
        return Err(ApiError::forbidden("only the staff who run deliberation days may do this"));
    }
    if session.role() == Role::GridWorker {
        let own = session.user.grid.as_deref().and_then(|g| g.parse().ok()).and_then(|g| s.grids.get(&g));
        if own.is_none_or(|g| g.community != community) {
            return Err(ApiError::forbidden("a grid worker runs their own community's deliberation day"));
        }
    }
    Ok(())
}

fn signed_in_reader(session: &Session) -> ApiResult<()> {
    if matches!(session.role(), Role::EnterpriseSecurity) {
        return Err(ApiError::forbidden("deliberation days are for the community's residents and staff"));
    }
    Ok(())
}

fn is_staff(session: &Session) -> bool {
    d::runs_meetings(session.role())
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DayOut {
    pub day_of_month: u8,
    /// `HH:MM`, Beijing time.
    pub time: String,
    pub place: String,
    pub capacity: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CommunityOut {
    #[serde(flatten)]
    pub community: Community,
    pub day: Option<DayOut>,
    pub next_meeting: Option<MeetingOut>,
    pub open: i64,
    pub in_progress: i64,
    pub solved: i64,
}

fn day_out(day: &Day) -> DayOut {
    DayOut {
        day_of_month: day.day_of_month,
        time: format!("{:02}:{:02}", day.minute_of_day / 60, day.minute_of_day % 60),
        place: day.place.clone(),
        capacity: day.capacity,
    }
}

/// The communities with their deliberation day, next meeting and resolutions by phase.
#[utoipa::path(get, path = "/api/v1/deliberation/communities", responses((status = 200, body = [CommunityOut])), security(("bearer" = [])))]
pub async fn list_communities(State(s): State<Arc<AppState>>, session: Session) -> ApiResult<Json<Vec<CommunityOut>>> {
    signed_in_reader(&session)?;
    let days = s.store.days_by_community().await?;
    let now = s.clock.now();
    let coming =
        s.store.meetings(None, now - chrono::Duration::hours(3), now + chrono::Duration::days(62), LIST_MAX).await?;
    let mut out = vec![];
    for c in communities(&s) {
        let counts = s.store.board_counts(Some(&c.code)).await?;
        let next = coming.iter().find(|m| m.community == c.code);
        out.push(CommunityOut {
            day: days.get(&c.code).map(day_out),
            next_meeting: match next {
                Some(m) => Some(meeting_out(&s, &session, m, View::Card).await?),
                None => None,
            },
            open: counts.open,
            in_progress: counts.in_progress,
            solved: counts.solved,
            community: c,
        });
    }
    Ok(Json(out))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DayIn {
    /// 1–28.
    pub day_of_month: u8,
    /// `HH:MM`, Beijing time.
    pub time: String,
    pub place: String,
    pub capacity: i64,
}

/// Sets a community's fixed deliberation day.
#[utoipa::path(put, path = "/api/v1/deliberation/communities/{code}/day", request_body = DayIn, responses((status = 204)), security(("bearer" = [])))]
pub async fn set_day(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(code): Path<String>,
    ApiJson(req): ApiJson<DayIn>,
) -> ApiResult<StatusCode> {
    community(&s, &code)?;
    runs(&s, &session, &code)?;
    let minute_of_day = parse_hhmm(&req.time)?;
    let day = Day {
        community: code,
        day_of_month: req.day_of_month,
        minute_of_day,
        place: req.place.trim().into(),
        capacity: req.capacity,
    };
    day.check().map_err(|e| ApiError::invalid(e.to_string()))?;
    s.store.set_deliberation_day(&day, &session.label(), s.clock.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn parse_hhmm(t: &str) -> ApiResult<u16> {
    let bad = || ApiError::invalid("time must be HH:MM");
    let (h, m) = t.split_once(':').ok_or_else(bad)?;
    let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if h >= 24 || m >= 60 {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerateIn {
    /// How many months of meetings to make from today (1–12).
    pub months: u32,
}

/// Makes the meetings of a community's fixed day for the coming months (each once).
#[utoipa::path(post, path = "/api/v1/deliberation/communities/{code}/meetings", request_body = GenerateIn, responses((status = 200, body = [MeetingOut])), security(("bearer" = [])))]
pub async fn generate(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(code): Path<String>,
    ApiJson(req): ApiJson<GenerateIn>,
) -> ApiResult<Json<Vec<MeetingOut>>> {
    let c = community(&s, &code)?;
    runs(&s, &session, &code)?;
    if !(1..=MONTHS_MAX).contains(&req.months) {
        return Err(ApiError::invalid(format!("months must be 1 to {MONTHS_MAX}")));
    }
    let day = s
        .store
        .days_by_community()
        .await?
        .remove(&code)
        .ok_or_else(|| ApiError::invalid("set the community's deliberation day first"))?;
    let now = s.clock.now();
    let today = (now + chrono::Duration::hours(8)).date_naive();
    let mut out = vec![];
    for date in d::meeting_dates(&day, today, req.months) {
        let starts_at = beijing(date, day.minute_of_day);
        if starts_at <= now {
            continue;
        }
        let (id, _) = s
            .store
            .ensure_meeting(
                &code,
                &c.name,
                starts_at,
                &day.place,
                day.capacity,
                &crate::auth::new_secret(),
                session.user.id,
                &session.label(),
                now,
            )
            .await?;
        out.push(meeting_out(&s, &session, &s.store.meeting(id).await?, View::Card).await?);
    }
    Ok(Json(out))
}

/// A local (Beijing) date and minute of the day as an instant.
pub fn beijing(date: chrono::NaiveDate, minute_of_day: u16) -> domain::Timestamp {
    let local = date.and_hms_opt(0, 0, 0).expect("midnight exists") + chrono::Duration::minutes(minute_of_day as i64);
    chrono::DateTime::from_naive_utc_and_offset(local - chrono::Duration::hours(8), chrono::Utc)
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MeetingOut {
    pub id: i64,
    pub community: String,
    pub community_name: String,
    /// The activity to register for and check in at.
    pub activity_id: i64,
    pub starts_at: String,
    pub place: String,
    pub capacity: i64,
    pub registered: i64,
    /// Checked in at the door (from the check-ins).
    pub attended: i64,
    /// `none`, `draft` or `final`; the text of a draft is shown to staff only.
    pub minutes_status: String,
    pub minutes: Option<String>,
    pub organisations: Vec<String>,
    /// The viewer's place: signed, waitlisted, cancelled or none.
    pub my_status: String,
    pub checked_in: bool,
    pub agenda: Vec<TopicOut>,
    /// Who checked in (staff only, in a meeting's own view).
    pub attendees: Vec<String>,
}

/// How much of a meeting to show: a card (no agenda), a line of a list (with its agenda), or
/// the meeting itself (with who checked in, for staff).
#[derive(Clone, Copy, PartialEq)]
enum View {
    Card,
    List,
    Full,
}

async fn meeting_out(
    s: &AppState,
    session: &Session,
    m: &store::deliberation::Meeting,
    view: View,
) -> ApiResult<MeetingOut> {
    let a = s.store.activity(m.activity_id).await?;
    let mine = s.store.signup_of(m.activity_id, session.user.id).await?;
    let agenda = if view != View::Card {
        let mut list = s.store.topics(Some(&m.community), None, Some(m.id), LIST_MAX).await?;
        list.reverse();
        topics_out(s, session, &list).await?
    } else {
        vec![]
    };
    let show = m.minutes_status == "final" || is_staff(session);
    let attendees = if view == View::Full && is_staff(session) {
        s.store.roster(m.activity_id).await?.into_iter().filter(|l| l.checked_in_at.is_some()).map(|l| l.name).collect()
    } else {
        vec![]
    };
    Ok(MeetingOut {
        id: m.id,
        community: m.community.clone(),
        community_name: community(s, &m.community).map(|c| c.name).unwrap_or_default(),
        activity_id: m.activity_id,
        starts_at: wire::time(m.starts_at),
        place: m.place.clone(),
        capacity: a.capacity,
        registered: m.registered,
        attended: m.attended,
        minutes_status: m.minutes_status.clone(),
        minutes: show.then(|| m.minutes.clone()),
        organisations: m.organisations.clone(),
        my_status: mine.as_ref().map_or("none".into(), |x| x.status.clone()),
        checked_in: mine.is_some_and(|x| x.checked_in_at.is_some()),
        agenda,
        attendees,
    })
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct MeetingQuery {
    pub community: Option<String>,
    /// `upcoming` (default) or `past`.
    pub when: Option<String>,
}

/// Meetings of a community (or all): the coming ones, or the past ones newest first.
#[utoipa::path(get, path = "/api/v1/deliberation/meetings", params(MeetingQuery), responses((status = 200, body = [MeetingOut])), security(("bearer" = [])))]
pub async fn meetings(
    State(s): State<Arc<AppState>>,
    session: Session,
    ApiQuery(q): ApiQuery<MeetingQuery>,
) -> ApiResult<Json<Vec<MeetingOut>>> {
    signed_in_reader(&session)?;
    if let Some(c) = &q.community {
        community(&s, c)?;
    }
    let now = s.clock.now();
    let list = match q.when.as_deref() {
        None | Some("upcoming") => {
            s.store
                .meetings(
                    q.community.as_deref(),
                    now - chrono::Duration::hours(3),
                    now + chrono::Duration::days(400),
                    LIST_MAX,
                )
                .await?
        }
        Some("past") => {
            let mut l = s.store.meetings(q.community.as_deref(), now - chrono::Duration::days(800), now, 5000).await?;
            l.reverse();
            l.truncate(LIST_MAX as usize);
            l
        }
        Some(w) => return Err(ApiError::invalid(format!("when must be upcoming or past, not {w}"))),
    };
    let mut out = vec![];
    for m in &list {
        out.push(meeting_out(&s, &session, m, View::List).await?);
    }
    Ok(Json(out))
}

fn meeting_id(id: &str) -> ApiResult<i64> {
    id.parse::<i64>().ok().filter(|i| *i > 0).ok_or_else(|| ApiError::not_found("meeting"))
}

/// One meeting with its agenda.
#[utoipa::path(get, path = "/api/v1/deliberation/meetings/{id}", responses((status = 200, body = MeetingOut)), security(("bearer" = [])))]
pub async fn meeting(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(id): Path<String>,
) -> ApiResult<Json<MeetingOut>> {
    signed_in_reader(&session)?;
    let m = s.store.meeting(meeting_id(&id)?).await.map_err(|_| ApiError::not_found("meeting"))?;
    Ok(Json(meeting_out(&s, &session, &m, View::Full).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MinutesIn {
    pub minutes: String,
    #[serde(default)]
    pub organisations: Vec<String>,
    /// Final minutes are not changed again.
    #[serde(default)]
    pub r#final: bool,
}

/// Records the minutes (a draft during the meeting, then final).
#[utoipa::path(post, path = "/api/v1/deliberation/meetings/{id}/minutes", request_body = MinutesIn, responses((status = 200, body = MeetingOut)), security(("bearer" = [])))]
pub async fn minutes(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<MinutesIn>,
) -> ApiResult<Json<MeetingOut>> {
    let m = s.store.meeting(meeting_id(&id)?).await.map_err(|_| ApiError::not_found("meeting"))?;
    runs(&s, &session, &m.community)?;
    if req.minutes.chars().count() > d::TEXT_CHARS_MAX {
        return Err(ApiError::invalid(format!("minutes are at most {} characters", d::TEXT_CHARS_MAX)));
    }
    if req.organisations.len() > 30 || req.organisations.iter().any(|o| o.trim().is_empty() || o.chars().count() > 100)
    {
        return Err(ApiError::invalid("at most 30 organisations, each 1 to 100 characters"));
    }
    if req.r#final {
        if req.minutes.trim().is_empty() {
            return Err(ApiError::invalid("final minutes cannot be empty"));
        }
        let open = s.store.topics(Some(&m.community), Some(&[TopicStatus::OnAgenda]), Some(m.id), LIST_MAX).await?;
        if !open.is_empty() {
            return Err(ApiError::invalid(format!(
                "record the outcome of every topic on the agenda first ({} left)",
                open.len()
            )));
        }
    }
    let orgs: Vec<String> = req.organisations.iter().map(|o| o.trim().to_owned()).collect();
    s.store.save_minutes(m.id, req.minutes.trim(), &orgs, req.r#final, &session.label(), s.clock.now()).await?;
    Ok(Json(meeting_out(&s, &session, &s.store.meeting(m.id).await?, View::Full).await?))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TopicOut {
    pub id: i64,
    pub community: String,
    pub title: String,
    pub body: String,
    pub source: String,
    pub case_id: Option<i64>,
    pub petition_id: Option<i64>,
    pub status: String,
    /// The status in the resident's words (Chinese).
    pub status_zh: String,
    /// Who raised it, where the viewer may know: their name for staff and for themselves, a
    /// grid worker's name for everyone; `null` to other residents (`mine` says it is theirs).
    pub raised_by: Option<String>,
    /// The raiser's role (`resident`, `grid_worker`, …): pages name them in their language.
    pub raised_by_role: Option<String>,
    pub supporters: usize,
    pub i_support: bool,
    pub mine: bool,
    pub meeting_id: Option<i64>,
    pub meeting_at: Option<String>,
    pub outcome: Option<String>,
    pub resolution_id: Option<i64>,
    pub raised_at: String,
    /// The steps with who took them (staff only).
    pub events: Vec<serde_json::Value>,
}

/// Display names of the people who took steps (the runner's steps are the platform's).
async fn names(s: &AppState, events: &[d::Event], known: &mut std::collections::HashMap<i64, String>) -> ApiResult<()> {
    for e in events {
        if let std::collections::hash_map::Entry::Vacant(v) = known.entry(e.actor.user_id) {
            let name = if e.actor.user_id == 0 {
                "系统".to_owned()
            } else {
                s.store.user(e.actor.user_id).await.map(|u| u.display_name).unwrap_or_else(|_| e.actor.username.clone())
            };
            v.insert(name);
        }
    }
    Ok(())
}

fn events_out(events: &[d::Event], known: &std::collections::HashMap<i64, String>) -> Vec<serde_json::Value> {
    events
        .iter()
        .map(|e| {
            serde_json::json!({ "at": wire::time(e.at), "action": e.action,
                "by": known.get(&e.actor.user_id).cloned().unwrap_or_else(|| e.actor.username.clone()),
                "by_role": e.actor.role.as_str(), "note": e.note, "duty": e.duty, "level": e.level })
        })
        .collect()
}

async fn topics_out(s: &AppState, session: &Session, list: &[Topic]) -> ApiResult<Vec<TopicOut>> {
    let mut known = std::collections::HashMap::new();
    if is_staff(session) {
        for t in list {
            names(s, &t.events, &mut known).await?;
        }
    }
    Ok(list.iter().map(|t| topic_out(session, t, &known)).collect())
}

fn topic_out(session: &Session, t: &Topic, known: &std::collections::HashMap<i64, String>) -> TopicOut {
    let me = session.user.id;
    let staff = is_staff(session) || matches!(session.role(), Role::Leader | Role::Admin);
    TopicOut {
        id: t.id,
        community: t.community.clone(),
        title: t.title.clone(),
        body: t.body.clone(),
        source: t.source.as_str().into(),
        case_id: t.case_id.filter(|_| staff),
        petition_id: t.petition_id.filter(|_| staff),
        status: t.status.as_str().into(),
        status_zh: app::deliberation::topic_status_zh(t.status).into(),
        raised_by: if staff {
            Some(known.get(&t.raised_by).cloned().unwrap_or_else(|| t.raised_by_name.clone()))
        } else if t.raised_by == me || t.source == TopicSource::GridWorker {
            Some(t.raised_by_name.clone())
        } else {
            None
        },
        raised_by_role: t.events.iter().find(|e| e.action == "raise").map(|e| e.actor.role.as_str().to_owned()),
        supporters: t.supporters.len(),
        i_support: t.supporters.contains(&me),
        mine: t.raised_by == me,
        meeting_id: t.meeting_id,
        meeting_at: t.meeting_at.map(wire::time),
        outcome: t.outcome.clone(),
        resolution_id: t.resolution_id,
        raised_at: wire::time(t.raised_at),
        events: if staff { events_out(&t.events, known) } else { vec![] },
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct TopicQuery {
    pub community: Option<String>,
    /// Comma-separated statuses.
    pub status: Option<String>,
}

/// Topics newest first (a community's, or all for staff).
#[utoipa::path(get, path = "/api/v1/deliberation/topics", params(TopicQuery), responses((status = 200, body = [TopicOut])), security(("bearer" = [])))]
pub async fn topics(
    State(s): State<Arc<AppState>>,
    session: Session,
    ApiQuery(q): ApiQuery<TopicQuery>,
) -> ApiResult<Json<Vec<TopicOut>>> {
    signed_in_reader(&session)?;
    if let Some(c) = &q.community {
        community(&s, c)?;
    } else if !is_staff(&session) {
        return Err(ApiError::invalid("community is required"));
    }
    let status = match &q.status {
        Some(list) => Some(
            list.split(',')
                .map(|x| TopicStatus::parse(x.trim()).ok_or_else(|| ApiError::invalid(format!("unknown status {x}"))))
                .collect::<ApiResult<Vec<_>>>()?,
        ),
        None => None,
    };
    let list = s.store.topics(q.community.as_deref(), status.as_deref(), None, LIST_MAX).await?;
    Ok(Json(topics_out(&s, &session, &list).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TopicIn {
    pub community: String,
    pub title: String,
    #[serde(default)]
    pub body: String,
    /// Staff only: a topic taken from a case or a petition.
    pub case_id: Option<i64>,
    pub petition_id: Option<i64>,
}

/// Raises a topic: residents and volunteers from the app, staff as grid workers or from a
/// case or a petition (linked).
#[utoipa::path(post, path = "/api/v1/deliberation/topics", request_body = TopicIn, responses((status = 201, body = TopicOut)), security(("bearer" = [])))]
pub async fn raise(
    State(s): State<Arc<AppState>>,
    session: Session,
    ApiJson(req): ApiJson<TopicIn>,
) -> ApiResult<(StatusCode, Json<TopicOut>)> {
    let grid = grid_of(&s, &req.community)?;
    let source = match session.role() {
        Role::Resident | Role::Volunteer => {
            if req.case_id.is_some() || req.petition_id.is_some() {
                return Err(ApiError::forbidden("residents raise topics in their own words"));
            }
            TopicSource::App
        }
        _ => {
            runs(&s, &session, &req.community)?;
            if let Some(c) = req.case_id {
                s.store.get_case(c).await.map_err(|_| ApiError::invalid(format!("no case {c}")))?;
                TopicSource::Case
            } else if let Some(p) = req.petition_id {
                s.store.petition(p).await.map_err(|_| ApiError::invalid(format!("no petition {p}")))?;
                TopicSource::Petition
            } else {
                TopicSource::GridWorker
            }
        }
    };
    let new = NewTopic {
        community: req.community,
        grid,
        title: req.title,
        body: req.body,
        source,
        case_id: req.case_id,
        petition_id: req.petition_id,
        raised_by_name: session.user.display_name.clone(),
    };
    let t = app::deliberation::raise(&s, new, &session.actor()).await.map_err(rule)?;
    Ok((StatusCode::CREATED, Json(topics_out(&s, &session, std::slice::from_ref(&t)).await?.remove(0))))
}

fn topic_id(id: &str) -> ApiResult<i64> {
    id.parse::<i64>().ok().filter(|i| *i > 0).ok_or_else(|| ApiError::not_found("topic"))
}

#[utoipa::path(get, path = "/api/v1/deliberation/topics/{id}", responses((status = 200, body = TopicOut)), security(("bearer" = [])))]
pub async fn topic(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(id): Path<String>,
) -> ApiResult<Json<TopicOut>> {
    signed_in_reader(&session)?;
    let t = s.store.topic(topic_id(&id)?).await.map_err(|_| ApiError::not_found("topic"))?;
    Ok(Json(topics_out(&s, &session, std::slice::from_ref(&t)).await?.remove(0)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolutionIn {
    pub title: String,
    /// The account that owns it (a staff member).
    pub owner: i64,
    /// RFC 3339.
    pub due_at: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TopicActionIn {
    /// `support`, `accept`, `decline`, `schedule`, `discuss` or `defer`.
    pub action: String,
    pub reason: Option<String>,
    pub meeting_id: Option<i64>,
    pub outcome: Option<String>,
    /// With `discuss`: the resolution the meeting made.
    pub resolution: Option<ResolutionIn>,
}

async fn owner_name(s: &AppState, id: i64) -> ApiResult<String> {
    let u = s.store.user(id).await.map_err(|_| ApiError::invalid(format!("no account {id}")))?;
    if u.disabled || matches!(u.role, Role::Resident) {
        return Err(ApiError::invalid(format!("{} cannot own a resolution's work", u.display_name)));
    }
    Ok(u.display_name)
}

/// One step of a topic.
#[utoipa::path(post, path = "/api/v1/deliberation/topics/{id}/actions", request_body = TopicActionIn, responses((status = 200, body = TopicOut)), security(("bearer" = [])))]
pub async fn act_topic(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<TopicActionIn>,
) -> ApiResult<Json<TopicOut>> {
    let t = s.store.topic(topic_id(&id)?).await.map_err(|_| ApiError::not_found("topic"))?;
    if req.action != "support" {
        runs(&s, &session, &t.community)?;
    } else if !matches!(session.role(), Role::Resident | Role::Volunteer) {
        return Err(ApiError::forbidden("residents support topics"));
    }
    let need = |v: &Option<String>, f: &str| v.clone().ok_or_else(|| ApiError::invalid(format!("{f} is required")));
    let action = match req.action.as_str() {
        "support" => TopicAction::Support { user: session.user.id },
        "accept" => TopicAction::Accept,
        "decline" => TopicAction::Decline { reason: need(&req.reason, "reason")? },
        "defer" => TopicAction::Defer,
        "schedule" => {
            let mid = req.meeting_id.ok_or_else(|| ApiError::invalid("meeting_id is required"))?;
            let m = s.store.meeting(mid).await.map_err(|_| ApiError::invalid(format!("no meeting {mid}")))?;
            if m.community != t.community {
                return Err(ApiError::invalid("the meeting is another community's"));
            }
            if m.starts_at <= s.clock.now() {
                return Err(ApiError::invalid("the meeting has already begun; choose a coming one"));
            }
            TopicAction::Schedule { meeting_id: m.id, meeting_at: m.starts_at }
        }
        "discuss" => {
            let outcome = need(&req.outcome, "outcome")?;
            if t.status != TopicStatus::OnAgenda {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "invalid_transition",
                    format!("cannot discuss a topic that is {}", t.status.as_str()),
                ));
            }
            let resolution_id = match &req.resolution {
                Some(r) => {
                    let due_at = wire::parse_time("due_at", &r.due_at).map_err(ApiError::invalid)?;
                    let new = NewResolution {
                        community: t.community.clone(),
                        grid: t.grid.clone(),
                        topic_id: Some(t.id),
                        parent_id: None,
                        title: r.title.clone(),
                        owner: r.owner,
                        owner_name: owner_name(&s, r.owner).await?,
                        due_at,
                    };
                    Some(app::deliberation::resolve(&s, new, &session.actor()).await.map_err(rule)?.id)
                }
                None => None,
            };
            TopicAction::Discuss { outcome, resolution_id }
        }
        a => return Err(ApiError::invalid(format!("unknown action {a}"))),
    };
    let t = app::deliberation::act_topic(&s, t.id, &action, &session.actor()).await.map_err(rule)?;
    Ok(Json(topics_out(&s, &session, std::slice::from_ref(&t)).await?.remove(0)))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StepOut {
    pub title: String,
    pub owner: i64,
    pub owner_name: String,
    pub due_at: String,
    pub progress: u8,
    pub case_id: Option<i64>,
    pub done_at: Option<String>,
    pub overdue: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ResolutionOut {
    pub id: i64,
    pub community: String,
    pub community_name: String,
    pub topic_id: Option<i64>,
    pub parent_id: Option<i64>,
    pub title: String,
    pub owner: i64,
    pub owner_name: String,
    pub due_at: String,
    pub status: String,
    /// `open`, `in_progress`, `solved` or `dropped`.
    pub phase: String,
    pub progress: u8,
    pub steps: Vec<StepOut>,
    /// The parts (child resolutions), each as this, without parts of their own.
    #[schema(no_recursion)]
    pub parts: Vec<ResolutionOut>,
    pub created_at: String,
    pub solved_at: Option<String>,
    pub overdue: bool,
    pub events: Vec<serde_json::Value>,
}

fn resolution_out(
    s: &AppState,
    r: &Resolution,
    parts: Vec<ResolutionOut>,
    staff: bool,
    known: &std::collections::HashMap<i64, String>,
) -> ResolutionOut {
    let now = s.clock.now();
    let open = r.status == d::ResolutionStatus::Open;
    ResolutionOut {
        id: r.id,
        community: r.community.clone(),
        community_name: community(s, &r.community).map(|c| c.name).unwrap_or_default(),
        topic_id: r.topic_id,
        parent_id: r.parent_id,
        title: r.title.clone(),
        owner: r.owner,
        owner_name: r.owner_name.clone(),
        due_at: wire::time(r.due_at),
        status: r.status.as_str().into(),
        phase: d::phase(r).into(),
        progress: d::progress(r),
        steps: r
            .steps
            .iter()
            .map(|x| StepOut {
                title: x.title.clone(),
                owner: x.owner,
                owner_name: x.owner_name.clone(),
                due_at: wire::time(x.due_at),
                progress: x.progress,
                case_id: x.case_id,
                done_at: x.done_at.map(wire::time),
                overdue: open && x.done_at.is_none() && x.due_at < now,
            })
            .collect(),
        parts,
        created_at: wire::time(r.created_at),
        solved_at: r.solved_at.map(wire::time),
        overdue: open && r.due_at < now,
        events: if staff { events_out(&r.events, known) } else { vec![] },
    }
}

/// The resolution with its open steps at their cases' progress.
async fn with_cases(s: &AppState, r: &Resolution) -> ApiResult<Resolution> {
    let mut statuses = std::collections::HashMap::new();
    for c in r.steps.iter().filter(|x| x.done_at.is_none()).filter_map(|x| x.case_id) {
        if let Ok(case) = s.store.get_case(c).await {
            statuses.insert(c, case.status);
        }
    }
    Ok(d::following_cases(r, |c| statuses.get(&c).copied()))
}

async fn full_resolution(s: &AppState, r: &Resolution, staff: bool) -> ApiResult<ResolutionOut> {
    let r = &with_cases(s, r).await?;
    let parts = s.store.resolution_parts(r.id).await?;
    let mut known = std::collections::HashMap::new();
    if staff {
        names(s, &r.events, &mut known).await?;
    }
    Ok(resolution_out(s, r, parts.iter().map(|p| resolution_out(s, p, vec![], staff, &known)).collect(), staff, &known))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ResolutionQuery {
    pub community: Option<String>,
    /// `open`, `in_progress`, `solved` or `dropped`.
    pub phase: Option<String>,
}

/// Resolutions newest first (staff; residents read the board).
#[utoipa::path(get, path = "/api/v1/deliberation/resolutions", params(ResolutionQuery), responses((status = 200, body = [ResolutionOut])), security(("bearer" = [])))]
pub async fn resolutions(
    State(s): State<Arc<AppState>>,
    session: Session,
    ApiQuery(q): ApiQuery<ResolutionQuery>,
) -> ApiResult<Json<Vec<ResolutionOut>>> {
    if !is_staff(&session) {
        return Err(ApiError::forbidden("residents read resolutions on the board"));
    }
    if let Some(c) = &q.community {
        community(&s, c)?;
    }
    if let Some(p) = &q.phase {
        if !["open", "in_progress", "solved", "dropped"].contains(&p.as_str()) {
            return Err(ApiError::invalid("phase is open, in_progress, solved or dropped"));
        }
    }
    let list = s.store.resolutions(q.community.as_deref(), q.phase.as_deref(), LIST_MAX).await?;
    let mut out = vec![];
    for r in list.iter().filter(|r| r.parent_id.is_none()) {
        out.push(full_resolution(&s, r, true).await?);
    }
    Ok(Json(out))
}

fn resolution_id(id: &str) -> ApiResult<i64> {
    id.parse::<i64>().ok().filter(|i| *i > 0).ok_or_else(|| ApiError::not_found("resolution"))
}

#[utoipa::path(get, path = "/api/v1/deliberation/resolutions/{id}", responses((status = 200, body = ResolutionOut)), security(("bearer" = [])))]
pub async fn resolution(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(id): Path<String>,
) -> ApiResult<Json<ResolutionOut>> {
    let r = s.store.resolution(resolution_id(&id)?).await.map_err(|_| ApiError::not_found("resolution"))?;
    // Staff, and whoever owns the resolution or one of its steps.
    let involved = r.owner == session.user.id || r.steps.iter().any(|x| x.owner == session.user.id);
    if !is_staff(&session) && !involved {
        return Err(ApiError::forbidden("residents read resolutions on the board"));
    }
    Ok(Json(full_resolution(&s, &r, is_staff(&session)).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartIn {
    pub parent_id: i64,
    pub title: String,
    pub owner: i64,
    pub due_at: String,
}

/// Splits a resolution: a part (child resolution) with its own owner and due date.
#[utoipa::path(post, path = "/api/v1/deliberation/resolutions", request_body = PartIn, responses((status = 201, body = ResolutionOut)), security(("bearer" = [])))]
pub async fn add_part(
    State(s): State<Arc<AppState>>,
    session: Session,
    ApiJson(req): ApiJson<PartIn>,
) -> ApiResult<(StatusCode, Json<ResolutionOut>)> {
    let parent = s
        .store
        .resolution(req.parent_id)
        .await
        .map_err(|_| ApiError::invalid(format!("no resolution {}", req.parent_id)))?;
    runs(&s, &session, &parent.community)?;
    let due_at = wire::parse_time("due_at", &req.due_at).map_err(ApiError::invalid)?;
    if due_at > parent.due_at {
        return Err(ApiError::invalid("a part is due no later than its whole"));
    }
    let new = NewResolution {
        community: parent.community.clone(),
        grid: parent.grid.clone(),
        topic_id: None,
        parent_id: Some(parent.id),
        title: req.title,
        owner: req.owner,
        owner_name: owner_name(&s, req.owner).await?,
        due_at,
    };
    let r = app::deliberation::resolve(&s, new, &session.actor()).await.map_err(rule)?;
    Ok((StatusCode::CREATED, Json(full_resolution(&s, &r, true).await?)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolutionActionIn {
    /// `add_step`, `progress`, `spawn_case`, `solve` or `drop`.
    pub action: String,
    pub title: Option<String>,
    pub owner: Option<i64>,
    pub due_at: Option<String>,
    /// The step (1-based, as people count).
    pub step: Option<usize>,
    pub progress: Option<u8>,
    /// With `spawn_case`: the category of the case.
    pub category: Option<String>,
    pub reason: Option<String>,
}

/// One step of a resolution.
#[utoipa::path(post, path = "/api/v1/deliberation/resolutions/{id}/actions", request_body = ResolutionActionIn, responses((status = 200, body = ResolutionOut)), security(("bearer" = [])))]
pub async fn act_resolution(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ResolutionActionIn>,
) -> ApiResult<Json<ResolutionOut>> {
    let r = s.store.resolution(resolution_id(&id)?).await.map_err(|_| ApiError::not_found("resolution"))?;
    let step_owner = req
        .step
        .and_then(|i| i.checked_sub(1))
        .and_then(|i| r.steps.get(i))
        .is_some_and(|x| x.owner == session.user.id);
    let own = r.owner == session.user.id;
    match req.action.as_str() {
        "progress" if step_owner => {}
        "solve" if own => {}
        _ => runs(&s, &session, &r.community)?,
    }
    let step = || {
        req.step.and_then(|i| i.checked_sub(1)).ok_or_else(|| ApiError::invalid("step is required (1 for the first)"))
    };
    let action = match req.action.as_str() {
        "add_step" => {
            let owner = req.owner.ok_or_else(|| ApiError::invalid("owner is required"))?;
            ResolutionAction::AddStep {
                title: req.title.clone().ok_or_else(|| ApiError::invalid("title is required"))?,
                owner,
                owner_name: owner_name(&s, owner).await?,
                due_at: wire::parse_time("due_at", req.due_at.as_deref().unwrap_or("")).map_err(ApiError::invalid)?,
            }
        }
        "progress" => ResolutionAction::Progress {
            step: step()?,
            progress: req.progress.ok_or_else(|| ApiError::invalid("progress is required (0 to 100)"))?,
        },
        "solve" => ResolutionAction::Solve { open_children: 0 },
        "drop" => ResolutionAction::Drop {
            reason: req.reason.clone().ok_or_else(|| ApiError::invalid("reason is required"))?,
        },
        "spawn_case" => {
            let category: domain::codes::CategoryCode = req
                .category
                .as_deref()
                .unwrap_or("")
                .parse()
                .map_err(|_| ApiError::invalid("category must be a category code"))?;
            let (after, _case) =
                app::commitments::spawn_step_case(&s, r.id, step()?, &category, None, &session.actor())
                    .await
                    .map_err(rule)?;
            return Ok(Json(full_resolution(&s, &after, true).await?));
        }
        a => return Err(ApiError::invalid(format!("unknown action {a}"))),
    };
    let after = app::deliberation::act_resolution(&s, r.id, &action, &session.actor()).await.map_err(rule)?;
    Ok(Json(full_resolution(&s, &after, is_staff(&session)).await?))
}

/// The staff who can own a resolution or a step (the pickers of the deliberation page).
#[utoipa::path(get, path = "/api/v1/deliberation/staff", responses((status = 200, body = [crate::api::petitions::StaffOut])), security(("bearer" = [])))]
pub async fn staff(
    State(s): State<Arc<AppState>>,
    session: Session,
) -> ApiResult<Json<Vec<crate::api::petitions::StaffOut>>> {
    if !is_staff(&session) {
        return Err(ApiError::forbidden("the deliberation page's pickers"));
    }
    Ok(Json(
        s.store
            .users()
            .await?
            .into_iter()
            .filter(|u| !u.disabled && !matches!(u.role, Role::Resident | Role::Volunteer | Role::Admin))
            .map(|u| crate::api::petitions::StaffOut { id: u.id, name: u.display_name, role: u.role.as_str().into() })
            .collect(),
    ))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BoardItem {
    pub id: i64,
    pub title: String,
    pub community_name: String,
    pub phase: String,
    pub progress: u8,
    pub due_at: String,
    pub solved_at: Option<String>,
    pub steps: Vec<BoardStep>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BoardStep {
    pub title: String,
    pub done: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BoardOut {
    pub community: Option<Community>,
    pub open: i64,
    pub in_progress: i64,
    pub solved: i64,
    pub items: Vec<BoardItem>,
    pub communities: Vec<Community>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct BoardQuery {
    pub community: Option<String>,
}

/// The public board (no sign-in): resolutions open, in progress and solved, of a community
/// or the whole street. Names no one.
#[utoipa::path(get, path = "/api/v1/public/board", params(BoardQuery), responses((status = 200, body = BoardOut)))]
pub async fn board(State(s): State<Arc<AppState>>, ApiQuery(q): ApiQuery<BoardQuery>) -> ApiResult<Json<BoardOut>> {
    let c = match &q.community {
        Some(code) => Some(community(&s, code)?),
        None => None,
    };
    let code = c.as_ref().map(|c| c.code.as_str());
    let counts = s.store.board_counts(code).await?;
    let list = s.store.resolutions(code, None, LIST_MAX).await?;
    let items = list
        .iter()
        .filter(|r| r.parent_id.is_none() && r.status != d::ResolutionStatus::Dropped)
        .map(|r| BoardItem {
            id: r.id,
            title: r.title.clone(),
            community_name: community(&s, &r.community).map(|c| c.name).unwrap_or_default(),
            phase: d::phase(r).into(),
            progress: d::progress(r),
            due_at: wire::time(r.due_at),
            solved_at: r.solved_at.map(wire::time),
            steps: r.steps.iter().map(|x| BoardStep { title: x.title.clone(), done: x.done_at.is_some() }).collect(),
        })
        .collect();
    Ok(Json(BoardOut {
        community: c,
        open: counts.open,
        in_progress: counts.in_progress,
        solved: counts.solved,
        items,
        communities: communities(&s),
    }))
}
