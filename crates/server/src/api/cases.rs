//! Cases: intake, reading, lists, the lifecycle actions, the reporter, recommendations.

use crate::auth::Session;
use crate::error::{ApiError, ApiJson, ApiQuery, ApiResult};
use crate::wire::{self, ActionRequest, CaseOut, CasePageOut, CreateCaseRequest, Recommendation, ReporterOut};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use domain::case::{Action, ActionKind, Case, NewCase, Priority, Satisfaction, Source, Status, DESCRIPTION_CHARS_MAX};
use domain::codes::{mask_name, CategoryCode, GridCode, PhoneNumber};
use domain::geo::LatLng;
use domain::role::{Permission, Role, Scope};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;
use store::writer::{CreateCase, ReporterInput};
use store::{CaseFilter, StoreError};

/// Longest address or landmark.
const ADDRESS_CHARS_MAX: usize = 200;
/// Longest reporter name.
const REPORTER_NAME_CHARS_MAX: usize = 50;
/// Default page size of case lists.
const CASE_PAGE_DEFAULT: i64 = 50;
/// Recommendations offered for each force a category needs.
const RECOMMENDATIONS_PER_FORCE: usize = 3;

fn not_found(e: StoreError) -> ApiError {
    match e {
        StoreError::NotFound => ApiError::not_found("case"),
        e => e.into(),
    }
}

/// Whether the session's scope covers a case.
async fn in_scope(s: &AppState, session: &Session, case: &Case) -> ApiResult<bool> {
    Ok(app::access::may_see(s, &session.user, case).await?)
}

/// Residents sign in as residents or volunteers and see a resident's view.
fn is_resident(session: &Session) -> bool {
    session.role().scope() == Scope::OwnReports
}

async fn load_visible(s: &AppState, session: &Session, id: i64) -> ApiResult<Case> {
    let case = s.store.get_case(id).await.map_err(not_found)?;
    let follower = session.role().scope() == Scope::OwnReports
        && case.reported_by != Some(session.user.id)
        && s.store.follows(id, session.user.id).await?;
    if !follower && !in_scope(s, session, &case).await? {
        // Outside one's scope a case is as good as absent: do not confirm it exists.
        return Err(ApiError::not_found("case"));
    }
    Ok(case)
}

pub(crate) async fn out(s: &AppState, session: &Session, c: &Case) -> ApiResult<CaseOut> {
    let mut v = outs(s, session, std::slice::from_ref(c)).await?;
    Ok(v.remove(0))
}

/// [`out`] for a page of cases: each staff member's name is read once for the whole page.
pub(crate) async fn outs(s: &AppState, session: &Session, cases: &[Case]) -> ApiResult<Vec<CaseOut>> {
    let mut names = HashMap::new();
    let mut v = Vec::with_capacity(cases.len());
    for c in cases {
        let reporter = match c.reporter_id {
            Some(id) if session.role().may(Permission::ViewReporter) => {
                let r = s.store.reporter(id).await?;
                Some(masked(r.name.as_deref(), r.phone.as_deref()))
            }
            _ => None,
        };
        let mut o = out_for(s, c, reporter, Some(session.user.id));
        if is_resident(session) {
            resident_view(&mut o, session.user.id);
        } else {
            name_staff(s, &mut o, &mut names).await;
        }
        v.push(o);
    }
    Ok(v)
}

/// Staff read each step with the name of the person who took it, not the account's
/// (`names`: those read so far).
async fn name_staff(s: &AppState, out: &mut CaseOut, names: &mut HashMap<i64, Option<String>>) {
    for e in &mut out.events {
        if e.actor.id <= 0 || matches!(e.actor.role.as_str(), "resident" | "volunteer") {
            continue;
        }
        if !names.contains_key(&e.actor.id) {
            let name = s.store.user(e.actor.id).await.ok().map(|u| u.display_name);
            names.insert(e.actor.id, name);
        }
        e.actor.name = names[&e.actor.id].clone();
    }
}

/// A case as a resident sees it — their own report or one they follow: the steps in plain
/// words, nobody named and nobody sent. Staff notes are left out; the reporter keeps the
/// answers given to them (feedback, closing, rejection and void reasons), a follower gets
/// none.
fn resident_view(out: &mut CaseOut, viewer: i64) {
    let own = out.reported_by_me;
    out.assignments.clear();
    out.events.retain(|e| !matches!(e.action.as_str(), "warn" | "escalate" | "take" | "decline" | "extend"));
    for e in &mut out.events {
        let theirs = e.actor.id == viewer;
        let answer = own && matches!(e.action.as_str(), "feedback" | "close" | "reject" | "void");
        if !theirs && !answer {
            e.note = None;
        }
        e.responders.clear();
        if !theirs {
            e.actor.id = 0;
            e.actor.username.clear();
        }
    }
}

/// A reporter as lists show them.
fn masked(name: Option<&str>, phone: Option<&str>) -> ReporterOut {
    ReporterOut { name: name.map(mask_name), phone: phone.and_then(|p| PhoneNumber::parse(p).ok()).map(|p| p.masked()) }
}

fn out_for(s: &AppState, c: &Case, reporter: Option<ReporterOut>, viewer: Option<i64>) -> CaseOut {
    let mut out = wire::case_out(
        c,
        s.clock.now(),
        s.categories.get(&c.category).map(|k| k.name_zh.clone()),
        s.grids.get(&c.grid).map(|g| (g.name_zh.clone(), g.name_en.clone())),
        reporter,
    );
    out.reported_by_me = viewer.is_some() && c.reported_by == viewer;
    // Residents' steps name no one (their username once was their number); on an anonymous
    // report nothing points back at the reporter.
    let anonymous = c.reporter_id.is_none();
    for e in &mut out.events {
        if matches!(e.actor.role.as_str(), "resident" | "volunteer") && Some(e.actor.id) != viewer {
            e.actor.username.clear();
            if anonymous {
                e.actor.id = 0;
            }
        }
    }
    out
}

/// A case report with every field checked that can be checked without the catalogue, the
/// map or the caller: the edge's whole parse of a `POST /api/v1/cases` body.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseIntake {
    pub category: CategoryCode,
    pub description: String,
    pub location: LatLng,
    pub source: Source,
    pub priority: Option<Priority>,
    pub address: Option<String>,
    pub anonymous: bool,
    pub reporter: Option<ReporterInput>,
}

fn unknown_category(code: &str) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "unknown_category", format!("unknown category {code:?}"))
}

use store::IDEMPOTENCY_WINDOW;
/// Longest `Idempotency-Key` (a UUID has 36 characters).
const IDEMPOTENCY_KEY_CHARS_MAX: usize = 100;

/// The request's `Idempotency-Key`, if it sent one: printable ASCII, at most 100 characters.
pub fn idempotency_key(headers: &axum::http::HeaderMap) -> ApiResult<Option<String>> {
    let Some(v) = headers.get("idempotency-key") else { return Ok(None) };
    match v.to_str() {
        Ok(k)
            if !k.is_empty()
                && k.len() <= IDEMPOTENCY_KEY_CHARS_MAX
                && k.bytes().all(|b| (0x21..0x7f).contains(&b)) =>
        {
            Ok(Some(k.to_owned()))
        }
        _ => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("Idempotency-Key must be 1 to {IDEMPOTENCY_KEY_CHARS_MAX} printable ASCII characters"),
        )),
    }
}

/// Checks a case report's fields one by one (the fuzz target `case_json` drives this with
/// the JSON edge in front of it).
pub fn intake(req: &CreateCaseRequest) -> ApiResult<CaseIntake> {
    let category = CategoryCode::parse(&req.category).map_err(|_| unknown_category(&req.category))?;
    let description = req.description.trim();
    let n = description.chars().count();
    if n == 0 || n > DESCRIPTION_CHARS_MAX {
        return Err(ApiError::invalid(format!("description needs 1 to {DESCRIPTION_CHARS_MAX} characters, got {n}")));
    }
    let location = LatLng::new(req.location.lat, req.location.lng).map_err(|e| ApiError::invalid(e.to_string()))?;
    let source = Source::parse(&req.source)
        .filter(|s| *s != Source::Open311)
        .ok_or_else(|| ApiError::invalid(format!("unknown source {:?}", req.source)))?;
    let priority = match &req.priority {
        Some(p) => Some(Priority::parse(p).ok_or_else(|| ApiError::invalid(format!("unknown priority {p:?}")))?),
        None => None,
    };
    let address = req.address.as_deref().map(str::trim).filter(|a| !a.is_empty()).map(str::to_owned);
    if address.as_ref().is_some_and(|a| a.chars().count() > ADDRESS_CHARS_MAX) {
        return Err(ApiError::invalid(format!("address is longer than {ADDRESS_CHARS_MAX} characters")));
    }
    let reporter = match &req.reporter {
        None => None,
        Some(r) => {
            let name = r.name.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned);
            if name.as_ref().is_some_and(|n| n.chars().count() > REPORTER_NAME_CHARS_MAX) {
                return Err(ApiError::invalid(format!(
                    "reporter name is longer than {REPORTER_NAME_CHARS_MAX} characters"
                )));
            }
            let phone = match r.phone.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
                Some(p) => {
                    Some(PhoneNumber::parse(p).map_err(|e| ApiError::invalid(format!("reporter phone: {}", e.0)))?)
                }
                None => None,
            };
            (name.is_some() || phone.is_some())
                .then(|| ReporterInput { name, phone: phone.map(|p| p.as_str().to_owned()) })
        }
    };
    Ok(CaseIntake {
        category,
        description: description.to_owned(),
        location,
        source,
        priority,
        address,
        anonymous: req.anonymous.unwrap_or(false),
        reporter,
    })
}

/// Reports a case. Answers 201 only after the case is durably committed.
#[utoipa::path(post, path = "/api/v1/cases", request_body = CreateCaseRequest,
    responses((status = 201, body = CaseOut), (status = 422, body = crate::error::ErrorBody),
              (status = 400, body = crate::error::ErrorBody), (status = 413, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn create(
    State(s): State<Arc<AppState>>,
    session: Session,
    headers: axum::http::HeaderMap,
    ApiJson(req): ApiJson<CreateCaseRequest>,
) -> ApiResult<(StatusCode, Json<CaseOut>)> {
    session.require(Permission::CreateCase)?;
    // A retry with the same key (a phone that lost the answer) gets the case it made before.
    let key = idempotency_key(&headers)?.map(|k| format!("api:{}:{k}", session.user.id));
    if let Some(k) = &key {
        if let Some(c) = s.store.case_for_key(k, s.clock.now() - IDEMPOTENCY_WINDOW).await? {
            return Ok((StatusCode::CREATED, Json(out(&s, &session, &c).await?)));
        }
    }
    let CaseIntake { category, description, location, source, priority, address, anonymous, reporter } = intake(&req)?;
    if !s.categories.contains_key(&category) {
        return Err(unknown_category(&req.category));
    }
    let grid: GridCode = s.area.locate(&location).cloned().ok_or_else(|| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "outside_area",
            "the location lies outside the area this street serves",
        )
    })?;
    // A resident's app cannot flood the centre.
    let resident = is_resident(&session);
    if resident
        && !s.report_limits.allow(
            &format!("user:{}", session.user.id),
            crate::open311::REPORTS_PER_SOURCE_PER_HOUR,
            s.clock.now(),
        )
    {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            format!("at most {} reports an hour from one account", crate::open311::REPORTS_PER_SOURCE_PER_HOUR),
        ));
    }
    let own_channel = match session.role() {
        Role::Resident => Some(Source::ResidentApp),
        Role::Volunteer => Some(Source::Volunteer),
        _ => None,
    };
    if !session.role().may(Permission::ChooseSource) && own_channel != Some(source) {
        return Err(ApiError::forbidden(format!(
            "a {} reports through {}",
            session.role().as_str(),
            own_channel.map_or("", |s| s.as_str())
        )));
    }
    // A resident reports under their own number, at the category's priority.
    if resident && (priority.is_some() || reporter.is_some()) {
        return Err(ApiError::forbidden(
            "residents report under their own number, and the category sets the priority: leave out priority and reporter",
        ));
    }
    let priority = priority.unwrap_or(s.categories[&category].default_priority);
    let reporter = match reporter {
        // Anonymous towards staff: no name or number is kept with the case.
        _ if anonymous => None,
        // A signed-in resident's own number, so staff can call back.
        None if resident => session.user.phone.as_ref().map(|p| ReporterInput { name: None, phone: Some(p.clone()) }),
        r => r,
    };
    let now = s.clock.now();
    // The reporter was just given, so the answer masks it without reading it back.
    let reporter_out = reporter
        .as_ref()
        .filter(|_| session.role().may(Permission::ViewReporter))
        .map(|r| masked(r.name.as_deref(), r.phone.as_deref()));
    let case = app::intake::report(
        &s,
        CreateCase {
            deadlines: s.policy.deadlines(&category, priority, now),
            new: NewCase {
                category,
                priority,
                source,
                location,
                grid,
                description: description.to_owned(),
                address,
                reporter_id: None,
                reported_by: Some(session.user.id),
            },
            reporter,
            actor: session.actor(),
            at: now,
            extras: Default::default(),
            idempotency_key: key.clone(),
        },
    )
    .await;
    let case = match (case, &key) {
        (Ok(c), _) => c,
        // The same key raced this request and won: its case is the answer.
        (Err(StoreError::Conflict(_)), Some(k)) => match s.store.case_for_key(k, now - IDEMPOTENCY_WINDOW).await? {
            Some(c) => return Ok((StatusCode::CREATED, Json(out(&s, &session, &c).await?))),
            None => {
                return Err(ApiError::new(StatusCode::CONFLICT, "conflict", "the same Idempotency-Key is being used"))
            }
        },
        (Err(e), _) => return Err(e.into()),
    };
    let mut o = out_for(&s, &case, reporter_out, Some(session.user.id));
    if !is_resident(&session) {
        name_staff(&s, &mut o, &mut HashMap::new()).await;
    }
    Ok((StatusCode::CREATED, Json(o)))
}

/// One case with its deadlines, what is overdue, who was sent and every step.
#[utoipa::path(get, path = "/api/v1/cases/{id}", responses((status = 200, body = CaseOut), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get(State(s): State<Arc<AppState>>, session: Session, Path(id): Path<String>) -> ApiResult<Json<CaseOut>> {
    let id = parse_id(&id)?;
    let case = load_visible(&s, &session, id).await?;
    let mut o = out(&s, &session, &case).await?;
    if !is_resident(&session) {
        o.mediation_id = s.store.mediation_of_case(id).await?;
    }
    Ok(Json(o))
}

fn parse_id(s: &str) -> ApiResult<i64> {
    s.parse::<i64>().ok().filter(|i| *i > 0).ok_or_else(|| ApiError::not_found("case"))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Comma-separated statuses, e.g. `new,accepted`.
    pub status: Option<String>,
    pub grid: Option<String>,
    pub station: Option<String>,
    pub category: Option<String>,
    pub source: Option<String>,
    pub priority: Option<String>,
    /// Cases reported at or after this RFC 3339 time.
    pub since: Option<String>,
    /// Cases reported before this RFC 3339 time.
    pub until: Option<String>,
    /// Only cases this responder is currently assigned to.
    pub responder: Option<i64>,
    /// 1 to 200; 50 when absent.
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// `true`: only the cases the caller reported (or follows), wherever they are.
    pub mine: Option<bool>,
}

/// Cases newest first, filtered and paged, within the caller's scope.
#[utoipa::path(get, path = "/api/v1/cases", params(ListQuery), responses((status = 200, body = CasePageOut)), security(("bearer" = [])))]
pub async fn list(
    State(s): State<Arc<AppState>>,
    session: Session,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<CasePageOut>> {
    let mut f = filter(&s, &session, &q)?;
    // One's own tasks, wherever they lie (a grid worker sent to the next grid).
    if q.responder.is_some() && q.responder == app::access::responder_of(&s, session.user.id).await? {
        f.grids = None;
    }
    let page = s.store.list_cases(&f).await?;
    let cases = outs(&s, &session, &page.cases).await?;
    Ok(Json(CasePageOut { cases, next_cursor: page.next_before_id.map(|i| i.to_string()) }))
}

/// The store's filter for a list query, narrowed to the caller's scope (lists and exports).
pub(crate) fn filter(s: &AppState, session: &Session, q: &ListQuery) -> ApiResult<CaseFilter> {
    session.require(Permission::ViewCases)?;
    let bad = |m: String| ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", m);
    let mut f = CaseFilter { limit: q.limit.unwrap_or(CASE_PAGE_DEFAULT), ..Default::default() };
    if !(1..=store::cases::CASE_PAGE_MAX).contains(&f.limit) {
        return Err(bad(format!("limit must be 1 to {}", store::cases::CASE_PAGE_MAX)));
    }
    if let Some(st) = &q.status {
        f.status = Some(
            st.split(',')
                .map(|x| Status::parse(x.trim()).ok_or_else(|| bad(format!("unknown status {x:?}"))))
                .collect::<ApiResult<_>>()?,
        );
    }
    let mut grids: Option<Vec<GridCode>> = None;
    if let Some(g) = &q.grid {
        grids = Some(vec![GridCode::parse(g).map_err(|e| bad(e.0))?]);
    }
    if let Some(st) = &q.station {
        let of_station = s.station_grids.get(st).cloned().ok_or_else(|| bad(format!("unknown station {st:?}")))?;
        grids = Some(match grids {
            Some(g) => g.into_iter().filter(|c| of_station.contains(c)).collect(),
            None => of_station,
        });
    }
    // The caller's scope narrows whatever was asked.
    match session.role().scope() {
        Scope::All => {}
        Scope::Grid => {
            let own: Vec<GridCode> =
                session.user.grid.as_deref().and_then(|g| GridCode::parse(g).ok()).into_iter().collect();
            grids = Some(grids.map_or(own.clone(), |g| g.into_iter().filter(|c| own.contains(c)).collect()));
        }
        Scope::Station => {
            let own = session.user.station.as_ref().and_then(|st| s.station_grids.get(st)).cloned().unwrap_or_default();
            grids = Some(grids.map_or(own.clone(), |g| g.into_iter().filter(|c| own.contains(c)).collect()));
        }
        Scope::OwnReports => f.reported_by = Some(session.user.id),
    }
    // One's own reports are one's own to follow, in whatever grid they lie.
    if q.mine == Some(true) {
        f.reported_by = Some(session.user.id);
        grids = None;
    }
    f.grids = grids;
    f.category = q.category.as_deref().map(|c| CategoryCode::parse(c).map_err(|e| bad(e.0))).transpose()?;
    f.source = q
        .source
        .as_deref()
        .map(|x| Source::parse(x).ok_or_else(|| bad(format!("unknown source {x:?}"))))
        .transpose()?;
    f.priority = q
        .priority
        .as_deref()
        .map(|x| Priority::parse(x).ok_or_else(|| bad(format!("unknown priority {x:?}"))))
        .transpose()?;
    f.since = q.since.as_deref().map(|t| wire::parse_time("since", t).map_err(bad)).transpose()?;
    f.until = q.until.as_deref().map(|t| wire::parse_time("until", t).map_err(bad)).transpose()?;
    f.responder = q.responder;
    f.before_id = q
        .cursor
        .as_deref()
        .map(|c| {
            c.parse::<i64>().ok().filter(|i| *i > 0).ok_or_else(|| bad("cursor is not one this server gave".into()))
        })
        .transpose()?;
    Ok(f)
}

/// How close to the case a field responder's phone must place them for 到场 to count.
pub const ARRIVE_RADIUS_M: f64 = 200.0;

fn parse_action(req: &ActionRequest) -> ApiResult<Action> {
    let kind = ActionKind::parse(&req.action)
        .filter(|k| *k != ActionKind::Create)
        .ok_or_else(|| ApiError::invalid(format!("unknown action {:?}", req.action)))?;
    let responders =
        || req.responders.clone().ok_or_else(|| ApiError::invalid(format!("{} needs responders", req.action)));
    let responder = || req.responder.ok_or_else(|| ApiError::invalid(format!("{} needs responder", req.action)));
    Ok(match kind {
        ActionKind::Accept => Action::Accept,
        ActionKind::Dispatch => Action::Dispatch { responders: responders()? },
        ActionKind::ContactParty => Action::ContactParty,
        ActionKind::Arrive => Action::Arrive { responder: req.responder },
        ActionKind::Feedback => Action::Feedback,
        ActionKind::Close => Action::Close,
        ActionKind::Reject => Action::Reject,
        ActionKind::Reassign => Action::Reassign { responders: responders()? },
        ActionKind::Suspend => Action::Suspend,
        ActionKind::Resume => Action::Resume,
        ActionKind::Void => Action::Void,
        ActionKind::Reopen => Action::Reopen,
        ActionKind::Rate => Action::Rate {
            satisfaction: req.satisfaction.as_deref().and_then(Satisfaction::parse).ok_or_else(|| {
                ApiError::invalid("rate needs satisfaction: satisfied, basically_satisfied or dissatisfied")
            })?,
        },
        ActionKind::Archive => Action::Archive,
        ActionKind::Extend => Action::Extend {
            promise: req.promise.as_deref().and_then(domain::deadline::Promise::parse).ok_or_else(|| {
                ApiError::invalid("extend needs promise: accept, dispatch, on_site, first_feedback or close")
            })?,
            by: domain::deadline::parse_duration(req.by.as_deref().unwrap_or(""))
                .map_err(|e| ApiError::invalid(format!("extend needs by, a duration like \"24h\": {}", e.0)))?,
        },
        ActionKind::Take => Action::Take { responder: responder()? },
        ActionKind::Decline => Action::Decline { responder: responder()? },
        ActionKind::Warn | ActionKind::Escalate => {
            return Err(ApiError::forbidden("warnings and escalations come only from the deadline runner"))
        }
        ActionKind::Create => unreachable!("filtered above"),
    })
}

/// Takes one step of the case's lifecycle. A step its status does not allow answers 409
/// `invalid_transition` and changes nothing.
#[utoipa::path(post, path = "/api/v1/cases/{id}/actions", request_body = ActionRequest,
    responses((status = 200, body = CaseOut), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn act(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ActionRequest>,
) -> ApiResult<Json<CaseOut>> {
    let id = parse_id(&id)?;
    let action = parse_action(&req)?;
    if !session.role().may_act(action.kind()) {
        return Err(ApiError::forbidden(format!(
            "the role {} may not {}",
            session.role().as_str(),
            action.kind().as_str()
        )));
    }
    if let Action::Dispatch { responders } | Action::Reassign { responders } = &action {
        for r in responders {
            s.store.responder(*r).await.map_err(|e| match e {
                StoreError::NotFound => {
                    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "unknown_responder", format!("no responder {r}"))
                }
                e => e.into(),
            })?;
        }
    }
    // In the field one takes or declines only one's own assignment.
    if let Action::Take { responder } | Action::Decline { responder } = &action {
        if !matches!(session.role(), Role::Dispatcher | Role::Admin | Role::StationOfficer) {
            let r = s.store.responder(*responder).await.map_err(|e| match e {
                StoreError::NotFound => ApiError::not_found("responder"),
                e => e.into(),
            })?;
            if r.user_id != Some(session.user.id) {
                return Err(ApiError::forbidden("one takes or declines only one's own assignment"));
            }
        }
    }
    let before = load_visible(&s, &session, id).await?;
    // Field roles other than the grid's own worker act only on cases they were sent to.
    if matches!(session.role(), Role::PatrolMember | Role::EnterpriseSecurity | Role::Mediator) {
        let mine: Vec<i64> =
            s.store.responders().await?.iter().filter(|r| r.user_id == Some(session.user.id)).map(|r| r.id).collect();
        if !before.assignments.iter().any(|a| a.is_current() && mine.contains(&a.responder_id)) {
            return Err(ApiError::forbidden("only responders sent to this case may act on it"));
        }
    }
    // Arrival from the field counts only at the place: a responder whose phone last placed
    // them farther away (a fresh position) is told how far, and nothing is recorded.
    if let Action::Arrive { .. } = &action {
        if matches!(session.role(), Role::PatrolMember | Role::GridWorker | Role::EnterpriseSecurity | Role::Mediator) {
            let now = s.clock.now();
            for r in s.store.responders().await?.iter().filter(|r| r.user_id == Some(session.user.id)) {
                if let Some((at, true)) = crate::dispatching::position(&s, r, now) {
                    let away = at.distance_metres(&before.location);
                    if away > ARRIVE_RADIUS_M {
                        return Err(ApiError::invalid(format!(
                            "you are {:.0} m from the case: arrival counts within {ARRIVE_RADIUS_M:.0} m",
                            away
                        )));
                    }
                }
            }
        }
    }
    // Closing from the field needs the party contacted (the 3-minute promise): otherwise the
    // centre contacts them and closes it after review.
    if let Action::Close = &action {
        if matches!(session.role(), Role::PatrolMember | Role::GridWorker | Role::EnterpriseSecurity | Role::Mediator)
            && before.reporter_id.is_some()
            && before.milestones.contacted_at.is_none()
        {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "party_not_contacted",
                "the party has not been contacted: send your feedback, and the centre contacts them and closes the case",
            ));
        }
    }
    // Residents rate and reopen their own reports, not the ones they follow.
    if is_resident(&session) && before.reported_by != Some(session.user.id) {
        return Err(ApiError::forbidden("only the resident who reported a case may rate or reopen it"));
    }
    // A resident's report is rated by that resident, never by staff; staff record a
    // caller's satisfaction (回访) only on cases they took by phone or in person.
    if let (Action::Rate { .. }, Some(reporter)) = (&action, before.reported_by) {
        if reporter != session.user.id && matches!(s.store.user(reporter).await?.role, Role::Resident | Role::Volunteer)
        {
            return Err(ApiError::forbidden("only the resident who reported this case rates it"));
        }
    }
    let note = req.note.as_deref().or(req.reason.as_deref());
    // Never date a step before the last one, even if this node's clock lags another's.
    let now = s.clock.now().max(before.updated_at);
    let after = domain::case::apply(&before, &action, &session.actor(), note, now)?;
    let mut after = crate::workflow::commit(&s, &before, after).await?;
    // A decline passes the assignment to the next candidate at once.
    if let Action::Decline { responder } = action {
        if let Some(handed) = crate::dispatching::hand_over(&s, id, responder).await? {
            after = handed;
        }
    }
    Ok(Json(out(&s, &session, &after).await?))
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    /// The case this one duplicates (it stays; this one is voided into it).
    pub into: i64,
}

/// Merges a duplicate into the case it repeats: the duplicate is voided saying which case
/// carries on, and whoever reported or followed it now follows that case (and hears its
/// progress). Dispatchers and station officers.
#[utoipa::path(post, path = "/api/v1/cases/{id}/merge", request_body = MergeRequest, responses((status = 200, body = CaseOut)), security(("bearer" = [])))]
pub async fn merge(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<MergeRequest>,
) -> ApiResult<Json<CaseOut>> {
    if !matches!(session.role(), Role::Dispatcher | Role::StationOfficer | Role::Admin) {
        return Err(ApiError::forbidden("dispatchers and station officers merge duplicates"));
    }
    let id = parse_id(&id)?;
    if req.into == id {
        return Err(ApiError::invalid("a case cannot be merged into itself"));
    }
    let dup = load_visible(&s, &session, id).await?;
    let keep = load_visible(&s, &session, req.into)
        .await
        .map_err(|_| ApiError::invalid(format!("no case {} to merge into", req.into)))?;
    if !keep.status.is_open() {
        return Err(ApiError::invalid(format!(
            "case {} is {}: merge into an open case",
            keep.id,
            keep.status.as_str()
        )));
    }
    if dup.category != keep.category && dup.location.distance_metres(&keep.location) > MERGE_RADIUS_M {
        return Err(ApiError::invalid(format!(
            "case {} is another category more than {MERGE_RADIUS_M:.0} m away: not a duplicate",
            keep.id
        )));
    }
    let now = s.clock.now().max(dup.updated_at);
    let note = format!("重复案件，已并入 #{}", keep.id);
    let after = domain::case::apply(&dup, &Action::Void, &session.actor(), Some(&note), now)?;
    let after = crate::workflow::commit(&s, &dup, after).await?;
    // Whoever reported the duplicate hears the case that carries on.
    if let Some(user) = dup.reported_by {
        s.store.follow(keep.id, user, now).await?;
    }
    Ok(Json(out(&s, &session, &after).await?))
}

/// How far apart two reports of different categories may be and still be one matter.
const MERGE_RADIUS_M: f64 = 300.0;

/// The reporter's personal data, unmasked. Every viewing is recorded in the audit log.
#[utoipa::path(get, path = "/api/v1/cases/{id}/reporter", responses((status = 200, body = ReporterOut), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn reporter(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(id): Path<String>,
) -> ApiResult<Json<ReporterOut>> {
    let id = parse_id(&id)?;
    let case = load_visible(&s, &session, id).await?;
    // Besides the roles that may, a responder sent to the case may call its reporter.
    if !session.role().may(Permission::ViewReporter) {
        let mine: Vec<i64> =
            s.store.responders().await?.iter().filter(|r| r.user_id == Some(session.user.id)).map(|r| r.id).collect();
        if !case.assignments.iter().any(|a| a.is_current() && mine.contains(&a.responder_id)) {
            session.require(Permission::ViewReporter)?;
        }
    }
    let rid = case.reporter_id.ok_or_else(|| ApiError::not_found("reporter (the case was reported anonymously)"))?;
    let r = s.store.reporter(rid).await?;
    s.store
        .audit(&store::AuditEntry {
            at: s.clock.now(),
            actor: session.label(),
            action: "reporter.view".into(),
            entity: "case".into(),
            entity_id: id.to_string(),
            detail: serde_json::json!({ "reporter": rid }).to_string(),
        })
        .await?;
    Ok(Json(ReporterOut { name: r.name, phone: r.phone }))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RecommendationQuery {
    /// One force (police, grid_worker, patrol_member, …) instead of the category's.
    pub force: Option<String>,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct NoticeOut {
    pub at: Option<String>,
    /// Who was told: an account's name, or a phone number masked.
    pub to: String,
    pub channel: String,
    pub subject: String,
    /// pending, sent or failed.
    pub status: String,
}

/// Who was told of a case and when (escalations, hand-overs, the reporter's progress notes).
#[utoipa::path(get, path = "/api/v1/cases/{id}/notices", responses((status = 200, body = [NoticeOut])), security(("bearer" = [])))]
pub async fn notices(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<NoticeOut>>> {
    session.require(Permission::ViewResponders)?;
    let id = parse_id(&id)?;
    load_visible(&s, &session, id).await?;
    let mut out = vec![];
    for n in s.store.outbox_for_case(id).await? {
        let to = match (n.recipient_user, &n.recipient_phone) {
            (Some(u), _) => s.store.user(u).await.map(|u| u.display_name).unwrap_or_else(|_| format!("#{u}")),
            (None, Some(p)) => {
                domain::codes::PhoneNumber::parse(p).map(|p| p.masked()).unwrap_or_else(|_| "***".into())
            }
            (None, None) => String::new(),
        };
        out.push(NoticeOut {
            at: n.sent_at.map(wire::time),
            to,
            channel: n.channel,
            subject: n.subject,
            status: n.status,
        });
    }
    Ok(Json(out))
}

/// Who to send, for each force the case's category needs: the soonest on site, in the order
/// the default policy would choose them (`dispatch::policy`), each with why.
#[utoipa::path(get, path = "/api/v1/cases/{id}/recommendations", params(RecommendationQuery), responses((status = 200, body = [Recommendation])), security(("bearer" = [])))]
pub async fn recommendations(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<RecommendationQuery>,
) -> ApiResult<Json<Vec<Recommendation>>> {
    session.require(Permission::ViewResponders)?;
    let id = parse_id(&id)?;
    let case = load_visible(&s, &session, id).await?;
    // A force the category does not list can be added by the dispatcher.
    let needs = match q.force.as_deref() {
        Some(f) => {
            let force =
                domain::category::Force::parse(f).ok_or_else(|| ApiError::invalid(format!("unknown force {f}")))?;
            vec![dispatch::Need { force, skills: vec![] }]
        }
        None => crate::dispatching::needs(&s, &case),
    };
    let (ranked, roster) =
        crate::dispatching::rank_case(&s, &case, &needs, RECOMMENDATIONS_PER_FORCE, &Default::default()).await?;
    // What each one's leaving would cost the rest of the street.
    let ids: Vec<i64> = ranked.iter().map(|r| r.id).collect();
    let busy = s.store.busy_responders().await?;
    let costs = crate::dispatching::cost_if_sent(&s, &roster, &busy, &ids).await?;
    let names = |codes: &[GridCode], en: bool| -> Vec<String> {
        codes
            .iter()
            .filter_map(|g| s.grids.get(g))
            .map(|g| if en { g.name_en.clone() } else { g.name_zh.clone() })
            .collect()
    };
    // Someone already on site on time: whoever goes now is support.
    let now = s.clock.now();
    let kept_already = case.assignments.iter().any(|a| a.arrived_at.is_some_and(|t| t <= case.deadlines.on_site));
    let left = (case.deadlines.on_site - now).num_milliseconds() as f64 / 1000.0;
    let mut out = vec![];
    // Force by force, in the order the needs come, each in the default policy's order.
    let mut forces: Vec<domain::category::Force> = vec![];
    for r in &ranked {
        if !forces.contains(&r.force) {
            forces.push(r.force);
        }
    }
    let demand = crate::dispatching::demand(&s).await?;
    let on_scene = crate::dispatching::on_scene_seconds(&s, &case);
    let waited = (now - case.created_at).num_milliseconds() as f64 / 1000.0;
    // Read once, and only if some force is busy.
    let mut open: Option<Vec<domain::case::Case>> = None;
    for force in forces {
        let mine: Vec<dispatch::Ranked> = ranked.iter().filter(|r| r.force == force).cloned().collect();
        let leaving: Vec<dispatch::policy::Leaving> = mine
            .iter()
            .map(|r| {
                let cost = costs.get(&r.id);
                let loss = cost.map_or(0.0, |c| c.loss);
                dispatch::policy::Leaving {
                    loss,
                    calls_lost: crate::dispatching::calls_lost(&demand, force, loss, r.eta_seconds + on_scene, now),
                    gap: cost.is_some_and(|c| !c.uncovered.is_empty()),
                }
            })
            .collect();
        let force_busy = crate::dispatching::force_busy(&roster, &busy, force);
        let situation = dispatch::policy::Situation {
            left_seconds: left,
            urgent: case.priority == domain::case::Priority::Urgent,
            kept_already,
            force_busy,
            waited_seconds: waited,
            others_waiting: if force_busy {
                if open.is_none() {
                    open = Some(s.store.open_cases(crate::dispatching::OPEN_CASES_MAX).await?);
                }
                crate::dispatching::waiting_for(&s, open.as_deref().unwrap_or_default(), &roster, force, case.id)
            } else {
                0
            },
        };
        for (i, why) in dispatch::policy::order(&mine, &leaving, &situation) {
            let may_wait = match why {
                dispatch::policy::Why::CanWait => {
                    dispatch::policy::wait_allowed_seconds(
                        leaving[i].calls_lost,
                        kept_already,
                        situation.others_waiting,
                    ) - waited
                }
                _ => 0.0,
            };
            let r = &mine[i];
            let who = roster.iter().find(|x| x.id == r.id).expect("ranked from the roster");
            let lost = costs.get(&r.id).map(|c| c.uncovered.as_slice()).unwrap_or_default();
            let (why_zh, why_en) = why.words();
            out.push(Recommendation {
                responder_id: r.id,
                name: who.name.clone(),
                force: r.force.as_str().into(),
                eta_seconds: r.eta_seconds.round() as i64,
                distance_metres: r.distance_metres.round() as i64,
                reason: crate::dispatching::reason(&s, r, who),
                on_time: r.eta_seconds <= left,
                why: why_zh.into(),
                why_en: why_en.into(),
                leaves_uncovered: names(lost, false),
                leaves_uncovered_en: names(lost, true),
                calls_lost: (leaving[i].calls_lost * 100.0).round() / 100.0,
                may_wait_seconds: may_wait.max(0.0).ceil() as i64,
            });
        }
    }
    Ok(Json(out))
}

/// Largest photo accepted: a phone photo at full resolution fits; anything larger is not a
/// photo of a case.
pub const ATTACHMENT_BYTES_MAX: usize = 8 * 1024 * 1024;
/// Photos per case at most.
const ATTACHMENTS_PER_CASE_MAX: usize = 30;

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct AttachmentOut {
    pub id: i64,
    pub case_id: i64,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub url: String,
    pub created_at: String,
}

fn attachment_out(a: &store::live::Attachment) -> AttachmentOut {
    AttachmentOut {
        id: a.id,
        case_id: a.case_id,
        content_type: a.content_type.clone(),
        size_bytes: a.size_bytes,
        sha256: a.sha256.clone(),
        url: format!("/api/v1/attachments/{}", a.id),
        created_at: wire::time(a.created_at),
    }
}

/// Attaches a photo (JPEG, PNG or WebP, the raw bytes as the body, up to 8 MiB).
#[utoipa::path(post, path = "/api/v1/cases/{id}/attachments", request_body(content = Vec<u8>, content_type = "image/jpeg"),
    responses((status = 201, body = AttachmentOut), (status = 415, body = crate::error::ErrorBody), (status = 413, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn upload(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<AttachmentOut>)> {
    let id = parse_id(&id)?;
    let case = load_visible(&s, &session, id).await?;
    if is_resident(&session) && case.reported_by != Some(session.user.id) {
        return Err(ApiError::forbidden("residents add photos to their own reports only"));
    }
    if !case.status.is_open() && !matches!(case.status, Status::Closed) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "invalid_transition",
            "photos can be added only while the case is worked",
        ));
    }
    if s.store.attachments(id).await?.len() >= ATTACHMENTS_PER_CASE_MAX {
        return Err(ApiError::invalid(format!("a case holds at most {ATTACHMENTS_PER_CASE_MAX} photos")));
    }
    let (kind, clean) = crate::images::clean_upload(body).await?;
    let a = s.store.add_attachment(id, kind, &clean, session.user.id, &session.label(), s.clock.now()).await?;
    Ok((StatusCode::CREATED, Json(attachment_out(&a))))
}

/// The photos of a case.
#[utoipa::path(get, path = "/api/v1/cases/{id}/attachments", responses((status = 200, body = [AttachmentOut])), security(("bearer" = [])))]
pub async fn attachments(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<AttachmentOut>>> {
    let id = parse_id(&id)?;
    let case = load_visible(&s, &session, id).await?;
    let mut out = vec![];
    for a in s.store.attachments(id).await? {
        if resident_sees(&s, &session, &case, &a).await? {
            out.push(attachment_out(&a));
        }
    }
    Ok(Json(out))
}

/// Residents see the photos they took, and — on a case they reported — the photos the staff
/// took while handling it (the repair done); never other residents' photos.
async fn resident_sees(s: &AppState, session: &Session, case: &Case, a: &store::live::Attachment) -> ApiResult<bool> {
    if !is_resident(session) || a.uploaded_by == session.user.id {
        return Ok(true);
    }
    if case.reported_by != Some(session.user.id) {
        return Ok(false);
    }
    let by = s.store.user(a.uploaded_by).await.map(|u| u.role).unwrap_or(domain::role::Role::Resident);
    Ok(!matches!(by, domain::role::Role::Resident | domain::role::Role::Volunteer))
}

/// One photo's bytes.
#[utoipa::path(get, path = "/api/v1/attachments/{id}", responses((status = 200, description = "the image"), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn attachment(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(id): Path<String>,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let id: i64 = id.parse().map_err(|_| ApiError::not_found("attachment"))?;
    let (case_id, content_type, data) = s.store.attachment_data(id).await.map_err(|e| match e {
        StoreError::NotFound => ApiError::not_found("attachment"),
        e => e.into(),
    })?;
    let case = load_visible(&s, &session, case_id).await.map_err(|_| ApiError::not_found("attachment"))?;
    if is_resident(&session) {
        let list = s.store.attachments(case_id).await?;
        let a = list.iter().find(|a| a.id == id).ok_or_else(|| ApiError::not_found("attachment"))?;
        if !resident_sees(&s, &session, &case, a).await? {
            return Err(ApiError::not_found("attachment"));
        }
    }
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, content_type),
            (axum::http::header::CACHE_CONTROL, "private, max-age=86400".into()),
        ],
        data,
    )
        .into_response())
}
