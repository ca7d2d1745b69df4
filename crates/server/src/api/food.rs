//! Smart food safety over HTTP: the register of businesses (one by one or a CSV import), the
//! checklist, inspections item by item with photos, hazards to rectify with evidence, the
//! random draw, one timeline per business, and the public side (the face at the door, open
//! data).
//!
//! Who may do what: grid workers, station officers, leaders and administrators inspect and
//! manage; dispatchers read; anyone (no sign-in) sees a business's face and last inspection
//! date and the open-data CSV, never people's contacts.

use crate::auth::Session;
use crate::error::{ApiError, ApiJson, ApiQuery, ApiResult};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use domain::codes::{GridCode, PhoneNumber};
use domain::food::{self, Business, ItemResult, Kind, NewBusiness, Risk};
use domain::obligation::MatterKind;
use domain::role::Role;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

fn inspector(role: Role) -> bool {
    matches!(role, Role::GridWorker | Role::StationOfficer | Role::Leader | Role::Admin)
}

fn reader(role: Role) -> bool {
    inspector(role) || role == Role::Dispatcher
}

fn rule(e: app::food::Error) -> ApiError {
    match e {
        app::food::Error::Store(e) => e.into(),
        app::food::Error::Rule(e) => ApiError::invalid(e.to_string()),
    }
}

fn ts(t: domain::Timestamp) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn parse_id(s: &str) -> ApiResult<i64> {
    s.parse::<i64>().ok().filter(|i| *i > 0).ok_or_else(|| ApiError::not_found("business"))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ItemOut {
    pub code: String,
    pub text: String,
    pub key: bool,
    pub law: String,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ChecklistQuery {
    /// The kind of business; restaurant when left out.
    pub kind: Option<String>,
}

/// The inspection table for a kind of business (the restaurant table unless one is configured).
#[utoipa::path(get, path = "/api/v1/food/checklist", params(ChecklistQuery), responses((status = 200, body = [ItemOut])), security(("bearer" = [])))]
pub async fn checklist(
    State(s): State<Arc<AppState>>,
    session: Session,
    ApiQuery(q): ApiQuery<ChecklistQuery>,
) -> ApiResult<Json<Vec<ItemOut>>> {
    if !reader(session.role()) {
        return Err(ApiError::forbidden("food safety staff"));
    }
    let kind = match q.kind.as_deref() {
        Some(k) => Kind::parse(k).ok_or_else(|| ApiError::invalid("unknown kind of business"))?,
        None => Kind::Restaurant,
    };
    Ok(Json(
        s.food_checklists
            .for_kind(kind)
            .into_iter()
            .map(|i| ItemOut { code: i.code, text: i.text, key: i.key, law: i.law })
            .collect(),
    ))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BusinessOut {
    pub id: i64,
    pub version: u32,
    pub name: String,
    pub licence_no: String,
    pub kind: String,
    pub risk: String,
    pub address: String,
    pub grid: String,
    pub grid_name: Option<String>,
    pub grid_name_en: Option<String>,
    pub person_in_charge: String,
    /// Masked unless the viewer inspects.
    pub phone: Option<String>,
    pub scale: String,
    pub next_due: String,
    pub inspection_overdue: bool,
    pub last_inspected_at: Option<String>,
    /// The last official inspection's face: good, fair, poor.
    pub face: Option<String>,
    /// The year's grade (none in the first three months after licensing).
    pub grade: Option<String>,
    pub open_hazards: usize,
    pub overdue_hazards: usize,
    #[schema(value_type = Object)]
    pub inspections: serde_json::Value,
    #[schema(value_type = Object)]
    pub hazards: serde_json::Value,
    #[schema(value_type = Object)]
    pub steps: serde_json::Value,
}

fn out(s: &AppState, session: &Session, b: &Business, full: bool) -> BusinessOut {
    let now = s.clock.now();
    let last = b.inspections.iter().rev().find(|i| !i.self_check);
    let open: Vec<&food::Hazard> = b.hazards.iter().filter(|h| h.status == food::HazardStatus::Open).collect();
    BusinessOut {
        id: b.id,
        version: b.version,
        name: b.name.clone(),
        licence_no: b.licence_no.clone(),
        kind: b.kind.as_str().into(),
        risk: b.risk.as_str().into(),
        address: b.address.clone(),
        grid: b.grid.as_str().into(),
        grid_name: s.grids.get(&b.grid).map(|g| g.name_zh.clone()),
        grid_name_en: s.grids.get(&b.grid).map(|g| g.name_en.clone()),
        person_in_charge: b.person_in_charge.clone(),
        phone: b.phone.as_deref().map(|p| {
            if inspector(session.role()) {
                p.to_owned()
            } else {
                PhoneNumber::parse(p).map(|x| x.masked()).unwrap_or_default()
            }
        }),
        scale: b.scale.clone(),
        next_due: ts(b.next_due),
        inspection_overdue: b.next_due < now,
        last_inspected_at: last.map(|i| ts(i.at)),
        face: last.map(|i| i.face.as_str().into()),
        grade: food::grade(b, now).map(|f| f.as_str().into()),
        open_hazards: open.len(),
        overdue_hazards: open.iter().filter(|h| h.deadline < now).count(),
        inspections: if full {
            serde_json::to_value(&b.inspections).unwrap_or_default()
        } else {
            serde_json::Value::Null
        },
        hazards: if full { serde_json::to_value(&b.hazards).unwrap_or_default() } else { serde_json::Value::Null },
        steps: if full { serde_json::to_value(&b.events).unwrap_or_default() } else { serde_json::Value::Null },
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Part of the name.
    pub q: Option<String>,
    pub limit: Option<i64>,
}

/// The register, the most pressing inspection first.
#[utoipa::path(get, path = "/api/v1/food/businesses", params(ListQuery), responses((status = 200, body = [BusinessOut])), security(("bearer" = [])))]
pub async fn list(
    State(s): State<Arc<AppState>>,
    session: Session,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Vec<BusinessOut>>> {
    if !reader(session.role()) {
        return Err(ApiError::forbidden("food safety staff"));
    }
    let list = s.store.businesses(q.q.as_deref(), q.limit.unwrap_or(200)).await?;
    Ok(Json(list.iter().map(|b| out(&s, &session, b, false)).collect()))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BusinessIn {
    pub name: String,
    pub licence_no: String,
    /// YYYY-MM-DD.
    #[serde(default)]
    pub licence_valid_until: Option<String>,
    /// YYYY-MM-DD.
    pub licensed_on: String,
    /// restaurant, canteen, shop, stall, central_kitchen, other.
    pub kind: String,
    pub address: String,
    pub grid: String,
    #[serde(default)]
    pub lat: Option<f64>,
    #[serde(default)]
    pub lng: Option<f64>,
    pub person_in_charge: String,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub scale: String,
    /// A, B, C or D.
    pub risk: String,
}

/// The grid worker of the business's grid supervises it (any grid worker where the grid has none).
fn supervisor_of(users: &[store::User], grid: &GridCode) -> Option<i64> {
    users
        .iter()
        .find(|u| u.role == Role::GridWorker && !u.disabled && u.grid.as_deref() == Some(grid.as_str()))
        .or_else(|| users.iter().find(|u| u.role == Role::GridWorker && !u.disabled))
        .map(|u| u.id)
}

fn parse_business(s: &AppState, users: &[store::User], b: BusinessIn) -> ApiResult<NewBusiness> {
    let date = |v: &str, f: &str| {
        chrono::NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d")
            .map_err(|_| ApiError::invalid(format!("{f} must be a date like 2024-05-06")))
    };
    let grid = GridCode::parse(b.grid.trim()).map_err(|e| ApiError::invalid(e.0))?;
    if !s.grids.contains_key(&grid) {
        return Err(ApiError::invalid(format!("unknown grid {grid}")));
    }
    let location = match (b.lat, b.lng) {
        (Some(lat), Some(lng)) => {
            Some(domain::geo::LatLng::new(lat, lng).map_err(|e| ApiError::invalid(e.to_string()))?)
        }
        (None, None) => None,
        _ => return Err(ApiError::invalid("give both lat and lng, or neither")),
    };
    let phone = match b.phone.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => Some(PhoneNumber::parse(p).map_err(|e| ApiError::invalid(e.0))?.as_str().to_owned()),
        None => None,
    };
    Ok(NewBusiness {
        supervisor: supervisor_of(users, &grid).ok_or_else(|| ApiError::invalid("no grid worker to supervise it"))?,
        name: b.name,
        licence_no: b.licence_no,
        licence_valid_until: b.licence_valid_until.as_deref().map(|v| date(v, "licence_valid_until")).transpose()?,
        licensed_on: date(&b.licensed_on, "licensed_on")?,
        kind: Kind::parse(b.kind.trim()).ok_or_else(|| {
            ApiError::invalid("kind must be restaurant, canteen, shop, stall, central_kitchen or other")
        })?,
        address: b.address,
        grid,
        location,
        person_in_charge: b.person_in_charge,
        phone,
        scale: b.scale,
        risk: Risk::parse(b.risk.trim()).ok_or_else(|| ApiError::invalid("risk must be A, B, C or D"))?,
    })
}

/// Registers one business.
#[utoipa::path(post, path = "/api/v1/food/businesses", request_body = BusinessIn, responses((status = 201, body = BusinessOut)), security(("bearer" = [])))]
pub async fn create(
    State(s): State<Arc<AppState>>,
    session: Session,
    ApiJson(b): ApiJson<BusinessIn>,
) -> ApiResult<(StatusCode, Json<BusinessOut>)> {
    if !inspector(session.role()) {
        return Err(ApiError::forbidden("food safety staff register businesses"));
    }
    let users = s.store.users().await?;
    let new = parse_business(&s, &users, b)?;
    let made = app::food::register(&s.app, vec![new], &session.actor()).await.map_err(rule)?;
    Ok((StatusCode::CREATED, Json(out(&s, &session, &made[0], true))))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ImportOut {
    pub registered: usize,
}

/// Imports businesses from CSV (UTF-8, a header line): `name,licence_no,kind,address,grid,
/// person_in_charge,phone,scale,risk,licensed_on[,lat,lng]`. All or nothing: a bad line is
/// named and nothing is registered.
#[utoipa::path(post, path = "/api/v1/food/businesses/import", request_body(content = String, content_type = "text/csv"),
    responses((status = 201, body = ImportOut), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn import(
    State(s): State<Arc<AppState>>,
    session: Session,
    body: String,
) -> ApiResult<(StatusCode, Json<ImportOut>)> {
    if !inspector(session.role()) {
        return Err(ApiError::forbidden("food safety staff register businesses"));
    }
    const LINES_MAX: usize = 5000;
    let users = s.store.users().await?;
    let mut list = vec![];
    for (i, line) in body.lines().enumerate().skip(1) {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if list.len() >= LINES_MAX {
            return Err(ApiError::invalid(format!("at most {LINES_MAX} businesses per import")));
        }
        let c: Vec<&str> = line.split(',').map(str::trim).collect();
        if c.len() != 10 && c.len() != 12 {
            return Err(ApiError::invalid(format!("line {}: 10 or 12 fields expected, {} found", i + 1, c.len())));
        }
        let num =
            |v: &str| v.parse::<f64>().map_err(|_| ApiError::invalid(format!("line {}: {v:?} is not a number", i + 1)));
        let (lat, lng) = if c.len() == 12 { (Some(num(c[10])?), Some(num(c[11])?)) } else { (None, None) };
        let b = BusinessIn {
            name: c[0].into(),
            licence_no: c[1].into(),
            kind: c[2].into(),
            address: c[3].into(),
            grid: c[4].into(),
            person_in_charge: c[5].into(),
            phone: Some(c[6].into()),
            scale: c[7].into(),
            risk: c[8].into(),
            licensed_on: c[9].into(),
            licence_valid_until: None,
            lat,
            lng,
        };
        list.push(
            parse_business(&s, &users, b).map_err(|e| ApiError::invalid(format!("line {}: {}", i + 1, e.message)))?,
        );
    }
    if list.is_empty() {
        return Err(ApiError::invalid("the file holds no business"));
    }
    let made = app::food::register(&s.app, list, &session.actor()).await.map_err(rule)?;
    Ok((StatusCode::CREATED, Json(ImportOut { registered: made.len() })))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TimelineEntry {
    pub at: String,
    /// inspection, hazard, rectified, complaint, escalate, warn, register.
    pub kind: String,
    pub text: String,
    pub case_id: Option<i64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BusinessFull {
    #[serde(flatten)]
    pub business: BusinessOut,
    /// Inspections, hazards, rectifications, escalations and complaints (food cases reported
    /// within 50 m), newest first.
    pub timeline: Vec<TimelineEntry>,
}

/// One business with its whole story.
#[utoipa::path(get, path = "/api/v1/food/businesses/{id}", responses((status = 200, body = BusinessFull)), security(("bearer" = [])))]
pub async fn get(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(id): Path<String>,
) -> ApiResult<Json<BusinessFull>> {
    if !reader(session.role()) {
        return Err(ApiError::forbidden("food safety staff"));
    }
    let b = s.store.business(parse_id(&id)?).await?;
    let mut timeline: Vec<TimelineEntry> = vec![];
    for (i, x) in b.inspections.iter().enumerate() {
        let failed = x.results.iter().filter(|r| !r.pass).count();
        timeline.push(TimelineEntry {
            at: ts(x.at),
            kind: "inspection".into(),
            text: format!(
                "{}{} · {} · {}项不合格",
                if x.self_check { "自查 · " } else { "" },
                x.by_name,
                app::food::outcome_zh(x.outcome),
                failed
            ),
            case_id: None,
        });
        for h in b.hazards.iter().filter(|h| h.inspection == i) {
            if let Some(at) = h.rectified_at {
                timeline.push(TimelineEntry {
                    at: ts(at),
                    kind: "rectified".into(),
                    text: format!("已整改：{}", h.text),
                    case_id: h.case_id,
                });
            }
        }
    }
    for e in b.events.iter().filter(|e| matches!(e.action.as_str(), "escalate" | "register")) {
        let text = match e.action.as_str() {
            "register" => "登记".to_owned(),
            _ => format!("超期督办（第{}级）：{}", e.level.unwrap_or(1), e.duty.as_deref().unwrap_or_default()),
        };
        timeline.push(TimelineEntry { at: ts(e.at), kind: e.action.clone(), text, case_id: None });
    }
    // Complaints: food-safety cases reported at the business.
    if let Some(at) = b.location {
        let f = store::CaseFilter {
            category: Some(domain::codes::CategoryCode::parse(app::food::FOOD_CATEGORY).expect("valid")),
            limit: 200,
            ..Default::default()
        };
        for c in s.store.list_cases(&f).await?.cases.iter().filter(|c| c.location.distance_metres(&at) <= 50.0) {
            timeline.push(TimelineEntry {
                at: ts(c.created_at),
                kind: "complaint".into(),
                text: c.description.clone(),
                case_id: Some(c.id),
            });
        }
    }
    timeline.sort_by(|a, b| b.at.cmp(&a.at));
    Ok(Json(BusinessFull { business: out(&s, &session, &b, true), timeline }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResultIn {
    pub code: String,
    pub pass: bool,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub photos: Vec<i64>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InspectionIn {
    /// The business's own check (自查).
    #[serde(default)]
    pub self_check: bool,
    /// The random draw that chose this inspection, if any.
    #[serde(default)]
    pub draw: Option<i64>,
    pub results: Vec<ResultIn>,
}

/// An inspection, item by item; the result, face, hazards and deadlines follow the rules.
#[utoipa::path(post, path = "/api/v1/food/businesses/{id}/inspections", request_body = InspectionIn,
    responses((status = 200, body = BusinessOut), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn inspect(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<InspectionIn>,
) -> ApiResult<Json<BusinessOut>> {
    if !inspector(session.role()) {
        return Err(ApiError::forbidden("inspectors and grid workers inspect"));
    }
    let id = parse_id(&id)?;
    let files: Vec<i64> = s.store.matter_files(MatterKind::Business, id).await?.into_iter().map(|f| f.id).collect();
    if let Some(p) = b.results.iter().flat_map(|r| &r.photos).find(|p| !files.contains(p)) {
        return Err(ApiError::invalid(format!("photo {p} was not uploaded for this business")));
    }
    let results = b
        .results
        .into_iter()
        .map(|r| ItemResult { code: r.code, pass: r.pass, note: r.note, photos: r.photos })
        .collect();
    let after = app::food::inspect(&s.app, id, results, b.self_check, b.draw, &session.actor()).await.map_err(rule)?;
    Ok(Json(out(&s, &session, &after, true)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RectifyIn {
    /// Photos from before rectification (besides those of the inspection).
    #[serde(default)]
    pub before: Vec<i64>,
    /// Photos after rectification.
    pub after: Vec<i64>,
}

/// The supervisor confirms a hazard rectified, with photos before and after.
#[utoipa::path(post, path = "/api/v1/food/businesses/{id}/hazards/{hazard}/rectify", request_body = RectifyIn,
    responses((status = 200, body = BusinessOut)), security(("bearer" = [])))]
pub async fn rectify(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path((id, hazard)): Path<(String, usize)>,
    ApiJson(b): ApiJson<RectifyIn>,
) -> ApiResult<Json<BusinessOut>> {
    if !inspector(session.role()) {
        return Err(ApiError::forbidden("the supervising grid worker confirms"));
    }
    let id = parse_id(&id)?;
    let files: Vec<i64> = s.store.matter_files(MatterKind::Business, id).await?.into_iter().map(|f| f.id).collect();
    if let Some(p) = b.before.iter().chain(&b.after).find(|p| !files.contains(p)) {
        return Err(ApiError::invalid(format!("photo {p} was not uploaded for this business")));
    }
    let after = app::food::rectify(&s.app, id, hazard, b.before, b.after, &session.actor()).await.map_err(rule)?;
    Ok(Json(out(&s, &session, &after, true)))
}

/// A photo for an inspection or a rectification (re-encoded).
#[utoipa::path(post, path = "/api/v1/food/businesses/{id}/files", request_body(content = Vec<u8>, content_type = "image/jpeg"),
    responses((status = 201, body = crate::api::petitions::FileOut)), security(("bearer" = [])))]
pub async fn upload(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<crate::api::petitions::FileOut>)> {
    if !inspector(session.role()) {
        return Err(ApiError::forbidden("inspectors add photos"));
    }
    let id = parse_id(&id)?;
    const FILES_MAX: usize = 500;
    if s.store.matter_files(MatterKind::Business, id).await?.len() >= FILES_MAX {
        return Err(ApiError::invalid(format!("a business holds at most {FILES_MAX} photos")));
    }
    let (kind, clean) = crate::images::clean_upload(body).await?;
    let fid = s
        .store
        .add_matter_file(
            MatterKind::Business,
            id,
            "photo",
            kind,
            &clean,
            session.user.id,
            &session.label(),
            s.clock.now(),
        )
        .await?;
    let f = s
        .store
        .matter_files(MatterKind::Business, id)
        .await?
        .into_iter()
        .find(|f| f.id == fid)
        .ok_or_else(|| ApiError::not_found("file"))?;
    Ok((StatusCode::CREATED, Json(crate::api::petitions::file_out("food/businesses", &f))))
}

/// One photo; each look audited.
#[utoipa::path(get, path = "/api/v1/food/businesses/{id}/files/{file}", responses((status = 200, content_type = "image/jpeg")), security(("bearer" = [])))]
pub async fn file(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path((id, file)): Path<(String, String)>,
) -> ApiResult<axum::response::Response> {
    if !reader(session.role()) {
        return Err(ApiError::forbidden("food safety staff"));
    }
    crate::api::petitions::send_file(&s, &session, MatterKind::Business, parse_id(&id)?, &file).await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DrawIn {
    /// How many businesses to draw.
    pub n: usize,
    /// The inspectors to pair them with; every active grid worker when left out.
    #[serde(default)]
    pub inspectors: Vec<i64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DrawOut {
    pub id: i64,
    pub at: String,
    /// The generator's seed: `domain::food::draw` with it and the same register gives the same draw.
    pub seed: String,
    pub pairs: Vec<DrawPair>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DrawPair {
    pub business: i64,
    pub business_name: String,
    pub inspector: i64,
    pub inspector_name: String,
}

async fn draw_out(s: &AppState, d: &store::food::Draw) -> ApiResult<DrawOut> {
    let users = s.store.users().await?;
    let mut pairs = vec![];
    for (b, i) in &d.pairs {
        let name = s.store.business(*b).await.map(|x| x.name).unwrap_or_default();
        pairs.push(DrawPair {
            business: *b,
            business_name: name,
            inspector: *i,
            inspector_name: users.iter().find(|u| u.id == *i).map(|u| u.display_name.clone()).unwrap_or_default(),
        });
    }
    Ok(DrawOut { id: d.id, at: ts(d.at), seed: d.seed.clone(), pairs })
}

/// A random draw (双随机) of businesses and inspectors; the seed is published with it.
#[utoipa::path(post, path = "/api/v1/food/draws", request_body = DrawIn, responses((status = 201, body = DrawOut)), security(("bearer" = [])))]
pub async fn draw(
    State(s): State<Arc<AppState>>,
    session: Session,
    ApiJson(b): ApiJson<DrawIn>,
) -> ApiResult<(StatusCode, Json<DrawOut>)> {
    if !matches!(session.role(), Role::StationOfficer | Role::Leader | Role::Admin) {
        return Err(ApiError::forbidden("station officers and leaders hold the draw"));
    }
    if b.n == 0 || b.n > 200 {
        return Err(ApiError::invalid("draw 1 to 200 businesses"));
    }
    let users = s.store.users().await?;
    let inspectors: Vec<i64> = if b.inspectors.is_empty() {
        users.iter().filter(|u| u.role == Role::GridWorker && !u.disabled).map(|u| u.id).collect()
    } else {
        for i in &b.inspectors {
            if !users.iter().any(|u| u.id == *i && inspector(u.role) && !u.disabled) {
                return Err(ApiError::invalid(format!("{i} is not an inspector")));
            }
        }
        b.inspectors.clone()
    };
    let (id, _, _) = app::food::draw(&s.app, b.n, &inspectors, &session.actor()).await.map_err(rule)?;
    let d = s.store.draws(50).await?.into_iter().find(|d| d.id == id).ok_or_else(|| ApiError::not_found("draw"))?;
    Ok((StatusCode::CREATED, Json(draw_out(&s, &d).await?)))
}

/// The published draws, newest first (public: results are published).
#[utoipa::path(get, path = "/api/v1/food/draws", responses((status = 200, body = [DrawOut])))]
pub async fn draws(State(s): State<Arc<AppState>>) -> ApiResult<Json<Vec<DrawOut>>> {
    let mut out = vec![];
    for d in s.store.draws(20).await? {
        out.push(draw_out(&s, &d).await?);
    }
    Ok(Json(out))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PublicOut {
    pub id: i64,
    pub name: String,
    pub address: String,
    pub kind: String,
    /// The face at the door: good, fair, poor; none before the first graded inspection.
    pub face: Option<String>,
    pub last_inspected_on: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PublicQuery {
    /// Part of the name.
    pub q: Option<String>,
}

/// What residents see of a business (as hygiene ratings are shown): its face and the date of
/// its last inspection. No sign-in.
#[utoipa::path(get, path = "/api/v1/food/public", params(PublicQuery), responses((status = 200, body = [PublicOut])))]
pub async fn public(
    State(s): State<Arc<AppState>>,
    ApiQuery(q): ApiQuery<PublicQuery>,
) -> ApiResult<Json<Vec<PublicOut>>> {
    let now = s.clock.now();
    let list = s.store.businesses(q.q.as_deref().filter(|x| !x.trim().is_empty()), 50).await?;
    Ok(Json(
        list.iter()
            .map(|b| PublicOut {
                id: b.id,
                name: b.name.clone(),
                address: b.address.clone(),
                kind: b.kind.as_str().into(),
                face: food::grade(b, now).map(|f| f.as_str().into()),
                last_inspected_on: b.inspections.iter().rev().find(|i| !i.self_check).map(|i| {
                    i.at.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8"))
                        .date_naive()
                        .to_string()
                }),
            })
            .collect(),
    ))
}

/// Open data: every business and official inspection as CSV (UTF-8 with a BOM so spreadsheets
/// read the Chinese), with fields like the LIVES / FHRS open formats. No personal data.
#[utoipa::path(get, path = "/api/v1/food/open-data.csv", responses((status = 200, content_type = "text/csv")))]
pub async fn open_data(State(s): State<Arc<AppState>>) -> ApiResult<axum::response::Response> {
    let now = s.clock.now();
    let quote = |v: &str| format!("\"{}\"", v.replace('"', "\"\""));
    let mut csv = String::from("\u{feff}business_id,name,address,postal_code,latitude,longitude,business_type,inspection_date,result,face,current_grade\n");
    for b in s.store.businesses(None, store::food::BUSINESS_PAGE_MAX).await? {
        let grade = food::grade(&b, now).map(|f| f.as_str()).unwrap_or("");
        let (lat, lng) = b.location.map(|l| (format!("{:.5}", l.lat()), format!("{:.5}", l.lng()))).unwrap_or_default();
        let official: Vec<&food::Inspection> = b.inspections.iter().filter(|i| !i.self_check).collect();
        if official.is_empty() {
            csv.push_str(&format!(
                "{},{},{},311200,{lat},{lng},{},,,,{grade}\n",
                b.id,
                quote(&b.name),
                quote(&b.address),
                b.kind.as_str()
            ));
        }
        for i in official {
            let day = i.at.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8")).date_naive();
            csv.push_str(&format!(
                "{},{},{},311200,{lat},{lng},{},{day},{},{},{grade}\n",
                b.id,
                quote(&b.name),
                quote(&b.address),
                b.kind.as_str(),
                i.outcome.as_str(),
                i.face.as_str()
            ));
        }
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"food-inspections.csv\""),
        ],
        csv,
    )
        .into_response())
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FoodStatsOut {
    pub businesses: usize,
    /// By the year's grade: good, fair, poor, and none (new or not yet inspected).
    pub by_grade: std::collections::BTreeMap<String, usize>,
    pub inspections_overdue: usize,
    pub hazards_open: usize,
    pub hazards_overdue: usize,
    /// Official inspections in the last 365 days.
    pub inspections_last_year: usize,
}

/// The food-safety figures for the big screen and leaders.
#[utoipa::path(get, path = "/api/v1/stats/food", responses((status = 200, body = FoodStatsOut)), security(("bearer" = [])))]
pub async fn stats(State(s): State<Arc<AppState>>, session: Session) -> ApiResult<Json<FoodStatsOut>> {
    session.require(domain::role::Permission::ViewStatistics)?;
    let now = s.clock.now();
    let list = s.store.businesses(None, store::food::BUSINESS_PAGE_MAX).await?;
    let mut by_grade = std::collections::BTreeMap::new();
    let (mut due, mut open, mut late, mut year) = (0, 0, 0, 0);
    for b in &list {
        *by_grade.entry(food::grade(b, now).map_or("none", |f| f.as_str()).to_owned()).or_insert(0) += 1;
        due += usize::from(b.next_due < now);
        for h in b.hazards.iter().filter(|h| h.status == food::HazardStatus::Open) {
            open += 1;
            late += usize::from(h.deadline < now);
        }
        year += b.inspections.iter().filter(|i| !i.self_check && i.at > now - chrono::Duration::days(365)).count();
    }
    Ok(Json(FoodStatsOut {
        businesses: list.len(),
        by_grade,
        inspections_overdue: due,
        hazards_open: open,
        hazards_overdue: late,
        inspections_last_year: year,
    }))
}
