//! Reference data: categories, stations, grids, responders and their live state.

use crate::auth::Session;
use crate::error::{ApiError, ApiJson, ApiResult};
use crate::wire::{self, CategoryOut, MoveUpOut, PositionRequest, ResponderOut, StationOut, StatusRequest};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use domain::case::Priority;
use domain::deadline::{format_duration, Promise};
use domain::geo::LatLng;
use domain::role::{Permission, Role};
use std::sync::Arc;

/// Responder statuses.
pub const RESPONDER_STATUSES: [&str; 5] = ["off_duty", "available", "en_route", "on_site", "busy"];
/// How far in the future a position's time may lie (phone clocks drift).
const POSITION_FUTURE_SECONDS_MAX: i64 = 120;
/// How old a position may be when it arrives (phones queue pings while offline).
const POSITION_AGE_HOURS_MAX: i64 = 24;

/// The case catalogue.
#[utoipa::path(get, path = "/api/v1/categories", responses((status = 200, body = [CategoryOut])), security(("bearer" = [])))]
pub async fn categories(State(s): State<Arc<AppState>>, _session: Session) -> Json<Vec<CategoryOut>> {
    Json(
        s.categories
            .values()
            .map(|c| {
                let chain = s.policy.chain(&c.code, c.default_priority);
                CategoryOut {
                    code: c.code.as_str().into(),
                    name: c.name_zh.clone(),
                    name_en: c.name_en.clone(),
                    kind: match c.kind {
                        domain::category::CategoryKind::Event => "event",
                        domain::category::CategoryKind::Component => "component",
                    }
                    .into(),
                    forces: c.forces.iter().map(|f| f.as_str().to_owned()).collect(),
                    default_priority: c.default_priority.as_str().into(),
                    working_hours: c.working_hours && c.default_priority != Priority::Urgent,
                    tags: c.tags.clone(),
                    deadlines: Promise::ALL
                        .iter()
                        .map(|p| (p.as_str().to_owned(), format_duration(chain.get(*p))))
                        .collect(),
                }
            })
            .collect(),
    )
}

/// The command centre and the joint-duty stations.
#[utoipa::path(get, path = "/api/v1/stations", responses((status = 200, body = [StationOut])), security(("bearer" = [])))]
pub async fn stations(State(s): State<Arc<AppState>>, _session: Session) -> Json<Vec<StationOut>> {
    Json(
        s.stations
            .iter()
            .map(|st| StationOut {
                code: st.code.clone(),
                name: st.name_zh.clone(),
                name_en: st.name_en.clone(),
                kind: st.kind.clone(),
                lat: st.lat,
                lng: st.lng,
                address: st.address.clone(),
                grids: s.station_grids.get(&st.code).map_or(0, Vec::len),
            })
            .collect(),
    )
}

/// The grids as a GeoJSON FeatureCollection.
#[utoipa::path(get, path = "/api/v1/grids", responses((status = 200, description = "GeoJSON FeatureCollection; properties code, name, name_en, community, station, area")), security(("bearer" = [])))]
pub async fn grids(State(s): State<Arc<AppState>>, _session: Session) -> Json<serde_json::Value> {
    let features: Vec<serde_json::Value> = s
        .grids
        .values()
        .map(|g| {
            serde_json::json!({
                "type": "Feature",
                "properties": {
                    "code": g.code.as_str(), "name": g.name_zh, "name_en": g.name_en,
                    "community": g.community, "station": g.station, "area": g.area,
                },
                "geometry": { "type": "Polygon", "coordinates": [g.ring] },
            })
        })
        .collect();
    Json(serde_json::json!({ "type": "FeatureCollection", "features": features }))
}

/// People on the roster with their live status and position.
#[utoipa::path(get, path = "/api/v1/responders", responses((status = 200, body = [ResponderOut])), security(("bearer" = [])))]
pub async fn responders(State(s): State<Arc<AppState>>, session: Session) -> ApiResult<Json<Vec<ResponderOut>>> {
    session.require(Permission::ViewResponders)?;
    Ok(Json(
        s.store
            .responders()
            .await?
            .iter()
            .filter(|r| crate::auth::sees_responder(&s, &session.user, r))
            .map(wire::responder_out)
            .collect(),
    ))
}

/// Move-ups (前置备勤): where idle police and patrol members should wait so that every grid
/// stays within ten minutes of someone — after a busy spell has pulled people away.
#[utoipa::path(get, path = "/api/v1/dispatch/moveups", responses((status = 200, body = [MoveUpOut])), security(("bearer" = [])))]
pub async fn moveups(State(s): State<Arc<AppState>>, session: Session) -> ApiResult<Json<Vec<MoveUpOut>>> {
    session.require(Permission::ViewResponders)?;
    /// Moves suggested per force at most.
    const PER_FORCE: usize = 5;
    let moves = crate::dispatching::move_ups(&s, PER_FORCE).await?;
    Ok(Json(
        moves
            .into_iter()
            .filter(|(who, ..)| crate::auth::sees_responder(&s, &session.user, who))
            .map(|(who, to, grid, m)| MoveUpOut {
                responder_id: who.id,
                name: who.name.clone(),
                force: who.force.as_str().into(),
                lat: to.lat(),
                lng: to.lng(),
                grid_name: grid.clone(),
                grid_name_en: s
                    .grids
                    .values()
                    .find(|g| g.name_zh == grid)
                    .map_or_else(|| grid.clone(), |g| g.name_en.clone()),
                eta_seconds: m.eta_seconds.round() as i64,
                grids_gained: m.gain.round() as i64,
                reason: format!(
                    "{}: move to {grid} (about {} min); {} more grid(s) within 10 minutes of a {}",
                    who.name,
                    (m.eta_seconds / 60.0).ceil(),
                    m.gain.round(),
                    who.force.as_str()
                ),
            })
            .collect(),
    ))
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveUpIn {
    pub responder_id: i64,
    /// Where to wait: the grid's name and its point.
    pub grid_name: String,
    pub lat: f64,
    pub lng: f64,
}

/// Sends a suggested move-up: the responder is told in the app where to wait (audited).
#[utoipa::path(post, path = "/api/v1/dispatch/moveups/apply", request_body = MoveUpIn, responses((status = 204)), security(("bearer" = [])))]
pub async fn apply_moveup(
    State(s): State<Arc<AppState>>,
    session: Session,
    ApiJson(m): ApiJson<MoveUpIn>,
) -> ApiResult<StatusCode> {
    if !matches!(session.role(), Role::Dispatcher | Role::StationOfficer | Role::Admin) {
        return Err(ApiError::forbidden("the centre and station heads move people up"));
    }
    let who = s.store.responder(m.responder_id).await.map_err(|_| ApiError::not_found("responder"))?;
    if !crate::auth::sees_responder(&s, &session.user, &who) {
        return Err(ApiError::forbidden("a station head moves their own station's people"));
    }
    let at = LatLng::new(m.lat, m.lng).map_err(|e| ApiError::invalid(e.to_string()))?;
    if s.area.locate(&at).is_none() {
        return Err(ApiError::invalid("the point is outside the street"));
    }
    let Some(user) = who.user_id else {
        return Err(ApiError::invalid(format!("{} has no account to tell: call them", who.name)));
    };
    let grid = m.grid_name.trim();
    if grid.is_empty() || grid.chars().count() > 60 {
        return Err(ApiError::invalid("grid_name needs 1 to 60 characters"));
    }
    let notice = store::writer::OutboxMessage {
        dedupe_key: "move_up".into(),
        channel: "web".into(),
        recipient_user: Some(user),
        recipient_phone: None,
        subject: format!("前置备勤：请前往{grid}待命"),
        body: format!(
            "指挥中心安排：请前往{grid}附近待命，以便10分钟内到达更多网格。导航坐标 {:.5},{:.5}。",
            m.lat, m.lng
        ),
    };
    let detail = serde_json::json!({ "grid": grid, "lat": m.lat, "lng": m.lng });
    s.store.send_move_up(who.id, &notice, detail, &session.label(), s.clock.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShiftIn {
    /// `day` (08:00–20:00), `night` or `all`.
    pub shift: String,
}

/// Puts a responder on another shift (the duty roster): administrators, and a station head
/// for their own station's people.
#[utoipa::path(post, path = "/api/v1/responders/{id}/shift", request_body = ShiftIn, responses((status = 204)), security(("bearer" = [])))]
pub async fn set_shift(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<ShiftIn>,
) -> ApiResult<StatusCode> {
    if !matches!(session.role(), Role::Admin | Role::StationOfficer | Role::Dispatcher) {
        return Err(ApiError::forbidden("administrators and station heads keep the duty roster"));
    }
    if !matches!(b.shift.as_str(), "day" | "night" | "all") {
        return Err(ApiError::invalid("shift must be day, night or all"));
    }
    let who = s.store.responder(id).await.map_err(|_| ApiError::not_found("responder"))?;
    if !crate::auth::sees_responder(&s, &session.user, &who) {
        return Err(ApiError::forbidden("a station head keeps their own station's roster"));
    }
    s.store.set_responder_shift(id, &b.shift, &session.label(), s.clock.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A responder may update their own position and status; the centre and station heads may
/// update anyone's.
async fn may_update(s: &AppState, session: &Session, id: i64) -> ApiResult<store::Responder> {
    let r = s.store.responder(id).await.map_err(|e| match e {
        store::StoreError::NotFound => ApiError::not_found("responder"),
        e => e.into(),
    })?;
    let own = r.user_id == Some(session.user.id);
    let manager = matches!(session.role(), Role::Dispatcher | Role::Admin)
        || (session.role() == Role::StationOfficer && session.user.station.as_deref() == Some(r.station.as_str()));
    if own || manager {
        Ok(r)
    } else {
        Err(ApiError::forbidden("only the responder or the centre may update this responder"))
    }
}

/// A position ping.
#[utoipa::path(post, path = "/api/v1/responders/{id}/position", request_body = PositionRequest,
    responses((status = 204), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn position(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<PositionRequest>,
) -> ApiResult<StatusCode> {
    let p = LatLng::new(req.lat, req.lng).map_err(|e| ApiError::invalid(e.to_string()))?;
    let now = s.clock.now();
    let at = match &req.at {
        Some(t) => wire::parse_time("at", t).map_err(ApiError::invalid)?,
        None => now,
    };
    if at > now + chrono::Duration::seconds(POSITION_FUTURE_SECONDS_MAX) {
        return Err(ApiError::invalid("at lies in the future"));
    }
    if at < now - chrono::Duration::hours(POSITION_AGE_HOURS_MAX) {
        return Err(ApiError::invalid(format!("at is older than {POSITION_AGE_HOURS_MAX} hours")));
    }
    may_update(&s, &session, id).await?;
    s.store.set_responder_position(id, p.lat(), p.lng(), at).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sets a responder's duty status.
#[utoipa::path(post, path = "/api/v1/responders/{id}/status", request_body = StatusRequest,
    responses((status = 204), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn status(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<StatusRequest>,
) -> ApiResult<StatusCode> {
    if !RESPONDER_STATUSES.contains(&req.status.as_str()) {
        return Err(ApiError::invalid(format!("status must be one of {}", RESPONDER_STATUSES.join(", "))));
    }
    may_update(&s, &session, id).await?;
    s.store.set_responder_status(id, &req.status, &session.label(), s.clock.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One road of the base map.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct BaseLine {
    /// OpenStreetMap's `highway` class: trunk, primary, secondary, tertiary, residential, …
    pub class: String,
    pub name: Option<String>,
    /// `[lng, lat]` pairs, to 5 decimals (about a metre).
    pub coords: Vec<[f64; 2]>,
}

/// The roads of a GeoJSON road file as base-map lines.
pub fn base_lines(path: &std::path::Path) -> anyhow::Result<Vec<BaseLine>> {
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    let round = |x: f64| (x * 1e5).round() / 1e5;
    let mut out = vec![];
    for f in v["features"].as_array().map(Vec::as_slice).unwrap_or_default() {
        let lines: Vec<&serde_json::Value> = match f["geometry"]["type"].as_str() {
            Some("LineString") => vec![&f["geometry"]["coordinates"]],
            Some("MultiLineString") => {
                f["geometry"]["coordinates"].as_array().map(|l| l.iter().collect()).unwrap_or_default()
            }
            _ => continue,
        };
        for line in lines {
            let coords: Vec<[f64; 2]> = line
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .filter_map(|p| Some([round(p[0].as_f64()?), round(p[1].as_f64()?)]))
                .collect();
            if coords.len() >= 2 {
                out.push(BaseLine {
                    class: f["properties"]["highway"].as_str().unwrap_or("road").to_owned(),
                    name: f["properties"]["name"].as_str().map(str::to_owned),
                    coords,
                });
            }
        }
    }
    Ok(out)
}

/// The roads drawn under every map (empty when the travel times come from another source).
#[utoipa::path(get, path = "/api/v1/basemap", responses((status = 200, body = [BaseLine])), security(("bearer" = [])))]
pub async fn basemap(State(s): State<Arc<AppState>>, _session: Session) -> impl axum::response::IntoResponse {
    (
        [(axum::http::header::CACHE_CONTROL, "private, max-age=3600")],
        Json(serde_json::to_value(&*s.basemap).unwrap_or_default()),
    )
}
