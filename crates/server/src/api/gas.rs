//! Smart gas over HTTP: the detector registry (list, one device with its alarms and the
//! messages it sent that could not be read, a CSV import), alarms (list, acknowledge,
//! clear), a summary for the big screen, and a household's own detectors.
//!
//! Who may do what: dispatchers, station officers, grid workers, patrol members, leaders and
//! administrators read; dispatchers, station officers and leaders acknowledge; those and grid
//! workers clear (after repairing); administrators and dispatchers import. Owners' phones are
//! shown whole to those who act on alarms, masked to others; residents see only the detectors
//! registered to their own phone.

use crate::auth::Session;
use crate::error::{ApiError, ApiJson, ApiQuery, ApiResult};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use domain::gas::{Alarm, AlarmKind, AlarmState};
use domain::role::Role;
use serde::{Deserialize, Serialize};
use std::sync::atomic::Ordering;
use std::sync::Arc;

fn reader(role: Role) -> bool {
    matches!(
        role,
        Role::Dispatcher | Role::StationOfficer | Role::GridWorker | Role::PatrolMember | Role::Leader | Role::Admin
    )
}

fn acknowledger(role: Role) -> bool {
    matches!(role, Role::Dispatcher | Role::StationOfficer | Role::Leader | Role::Admin)
}

fn sees_contacts(role: Role) -> bool {
    matches!(role, Role::Dispatcher | Role::StationOfficer | Role::GridWorker | Role::Admin)
}

fn ts(t: domain::Timestamp) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn rule(e: app::gas::Error) -> ApiError {
    match e {
        app::gas::Error::Store(e) => e.into(),
        app::gas::Error::Rule(e @ domain::gas::AlarmError::NoteNeeded(_)) => ApiError::invalid(e.to_string()),
        app::gas::Error::Rule(e) => ApiError::new(StatusCode::CONFLICT, "conflict", e.to_string()),
    }
}

/// A detector as staff see it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeviceOut {
    pub device_id: String,
    pub vendor: String,
    pub model: String,
    /// household or business
    pub kind: String,
    pub address: String,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub grid: Option<String>,
    pub grid_name: Option<String>,
    pub grid_name_en: Option<String>,
    pub owner_name: String,
    pub owner_phone: String,
    pub installed_on: String,
    pub end_of_life: String,
    pub valve: bool,
    /// normal, alarm, fault, offline, end_of_life, low_battery, tamper, never_seen
    pub status: String,
    pub last_seen_at: Option<String>,
    pub last_lel_pct: Option<f64>,
    pub battery_pct: Option<i64>,
    pub rssi: Option<i64>,
    pub messages: i64,
    pub bad_payloads: i64,
    pub last_bad_at: Option<String>,
    pub last_bad_reason: Option<String>,
    pub last_bad_payload: Option<String>,
    #[schema(value_type = Vec<Object>)]
    pub alarms: Vec<AlarmOut>,
}

/// An alarm.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AlarmOut {
    pub id: i64,
    pub device_id: String,
    pub kind: String,
    pub kind_zh: String,
    pub severity: String,
    /// active, acknowledged, cleared
    pub state: String,
    pub open: bool,
    pub level: u8,
    pub peak_level: u8,
    pub peak_lel_pct: Option<f64>,
    pub muted: bool,
    pub readings: u32,
    pub started_at: String,
    pub updated_at: String,
    pub acknowledged_at: Option<String>,
    pub acknowledged_by: Option<String>,
    pub cleared_at: Option<String>,
    pub cleared_by: Option<String>,
    pub case_id: Option<i64>,
    pub address: Option<String>,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    #[schema(value_type = Vec<Object>)]
    pub recent: Vec<domain::gas::Sample>,
    #[schema(value_type = Vec<Object>)]
    pub steps: Vec<domain::gas::AlarmEvent>,
}

fn alarm_out(a: &Alarm, device: Option<&store::gas::DeviceRow>) -> AlarmOut {
    AlarmOut {
        id: a.id,
        device_id: a.device_id.clone(),
        kind: a.kind.as_str().into(),
        kind_zh: a.kind.zh().into(),
        severity: a.severity.as_str().into(),
        state: a.state.as_str().into(),
        open: a.is_open(),
        level: a.level,
        peak_level: a.peak_level,
        peak_lel_pct: a.peak_lel_pct,
        muted: a.muted,
        readings: a.readings,
        started_at: ts(a.started_at),
        updated_at: ts(a.updated_at),
        acknowledged_at: a.acknowledged_at.map(ts),
        acknowledged_by: a.acknowledged_by.clone(),
        cleared_at: a.cleared_at.map(ts),
        cleared_by: a.cleared_by.clone(),
        case_id: a.case_id,
        address: device.map(|d| d.device.address.clone()),
        lat: device.and_then(|d| d.device.location).map(|l| l.lat()),
        lng: device.and_then(|d| d.device.location).map(|l| l.lng()),
        recent: a.recent.clone(),
        steps: a.events.clone(),
    }
}

/// A device's status: its most pressing current alarm, else normal (or never seen).
fn status(d: &store::gas::DeviceRow, current: &[&Alarm]) -> String {
    let rank = |k: AlarmKind| match k {
        AlarmKind::Gas => 0,
        AlarmKind::Offline => 1,
        AlarmKind::Fault => 2,
        AlarmKind::Tamper => 3,
        AlarmKind::EndOfLife => 4,
        AlarmKind::LowBattery => 5,
    };
    match current.iter().filter(|a| a.is_current()).min_by_key(|a| rank(a.kind)) {
        Some(a) if a.kind == AlarmKind::Gas => "alarm".into(),
        Some(a) => a.kind.as_str().into(),
        None if d.last_seen_at.is_none() => "never_seen".into(),
        None => "normal".into(),
    }
}

fn device_out(
    s: &AppState,
    session: &Session,
    d: &store::gas::DeviceRow,
    alarms: Vec<&Alarm>,
    full: bool,
) -> DeviceOut {
    let phone = if sees_contacts(session.role()) || session.role() == Role::Resident {
        d.device.owner_phone.clone()
    } else {
        domain::codes::PhoneNumber::parse(&d.device.owner_phone).map(|p| p.masked()).unwrap_or_default()
    };
    DeviceOut {
        device_id: d.device.device_id.clone(),
        vendor: d.device.vendor.as_str().into(),
        model: d.device.model.clone(),
        kind: d.device.kind.as_str().into(),
        address: d.device.address.clone(),
        lat: d.device.location.map(|l| l.lat()),
        lng: d.device.location.map(|l| l.lng()),
        grid: d.device.grid.as_ref().map(|g| g.as_str().into()),
        grid_name: d.device.grid.as_ref().and_then(|g| s.grids.get(g)).map(|g| g.name_zh.clone()),
        grid_name_en: d.device.grid.as_ref().and_then(|g| s.grids.get(g)).map(|g| g.name_en.clone()),
        owner_name: d.device.owner_name.clone(),
        owner_phone: phone,
        installed_on: d.device.installed_on.to_string(),
        end_of_life: d.device.end_of_life().to_string(),
        valve: d.device.valve,
        status: status(d, &alarms),
        last_seen_at: d.last_seen_at.map(ts),
        last_lel_pct: d.last_lel_pct,
        battery_pct: d.battery_pct,
        rssi: d.rssi,
        messages: d.messages,
        bad_payloads: d.bad_payloads,
        last_bad_at: if full { d.last_bad_at.map(ts) } else { None },
        last_bad_reason: if full { d.last_bad_reason.clone() } else { None },
        last_bad_payload: if full { d.last_bad_payload.clone() } else { None },
        alarms: if full { alarms.into_iter().map(|a| alarm_out(a, Some(d))).collect() } else { vec![] },
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DeviceQuery {
    /// Part of the id, address or owner's name.
    pub q: Option<String>,
    pub limit: Option<i64>,
}

/// The registry with each detector's status.
#[utoipa::path(get, path = "/api/v1/gas/devices", params(DeviceQuery), responses((status = 200, body = Vec<DeviceOut>)), security(("bearer" = [])))]
pub async fn devices(
    State(s): State<Arc<AppState>>,
    session: Session,
    ApiQuery(q): ApiQuery<DeviceQuery>,
) -> ApiResult<Json<Vec<DeviceOut>>> {
    if !reader(session.role()) {
        return Err(ApiError::forbidden("command centre, station and grid staff"));
    }
    let list = s.store.gas_devices(q.q.as_deref(), None, q.limit.unwrap_or(store::gas::GAS_PAGE_MAX)).await?;
    let open = s
        .store
        .gas_alarms(&store::gas::AlarmFilter { open: true, limit: store::gas::GAS_PAGE_MAX, ..Default::default() })
        .await?;
    Ok(Json(
        list.iter()
            .map(|d| {
                device_out(&s, &session, d, open.iter().filter(|a| a.device_id == d.device.device_id).collect(), false)
            })
            .collect(),
    ))
}

/// One detector: its alarms (newest first) and its last unreadable message.
#[utoipa::path(get, path = "/api/v1/gas/devices/{id}", responses((status = 200, body = DeviceOut), (status = 404)), security(("bearer" = [])))]
pub async fn device(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(id): Path<String>,
) -> ApiResult<Json<DeviceOut>> {
    if !reader(session.role()) {
        return Err(ApiError::forbidden("command centre, station and grid staff"));
    }
    let d = s.store.gas_device(&id).await.map_err(|e| match e {
        store::StoreError::NotFound => ApiError::not_found("detector"),
        e => e.into(),
    })?;
    let alarms =
        s.store.gas_alarms(&store::gas::AlarmFilter { device_id: Some(id), limit: 50, ..Default::default() }).await?;
    Ok(Json(device_out(&s, &session, &d, alarms.iter().collect(), true)))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ImportOut {
    pub added: usize,
    pub updated: usize,
}

/// Registers detectors from CSV (the header of `civicgrid device import`); detectors known
/// already have their registry fields updated. All or nothing: a bad line is named.
#[utoipa::path(post, path = "/api/v1/gas/devices/import", request_body(content = String, content_type = "text/csv"),
    responses((status = 201, body = ImportOut), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn import(
    State(s): State<Arc<AppState>>,
    session: Session,
    body: String,
) -> ApiResult<(StatusCode, Json<ImportOut>)> {
    if !matches!(session.role(), Role::Admin | Role::Dispatcher) {
        return Err(ApiError::forbidden("administrators and dispatchers register detectors"));
    }
    const LINES_MAX: usize = 20_000;
    if body.lines().count() > LINES_MAX + 1 {
        return Err(ApiError::invalid(format!("at most {LINES_MAX} detectors per import")));
    }
    let (added, updated) = app::gas::import(&s.store, &s.area, &body, &session.label(), s.clock.now()).await?;
    Ok((StatusCode::CREATED, Json(ImportOut { added, updated })))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AlarmQuery {
    /// Only open alarms (the default); `false` for all.
    pub open: Option<bool>,
    pub device_id: Option<String>,
    /// The alarm behind a case.
    pub case_id: Option<i64>,
    pub limit: Option<i64>,
}

/// Alarms, the newest first, with where the detector is.
#[utoipa::path(get, path = "/api/v1/gas/alarms", params(AlarmQuery), responses((status = 200, body = Vec<AlarmOut>)), security(("bearer" = [])))]
pub async fn alarms(
    State(s): State<Arc<AppState>>,
    session: Session,
    ApiQuery(q): ApiQuery<AlarmQuery>,
) -> ApiResult<Json<Vec<AlarmOut>>> {
    if !reader(session.role()) {
        return Err(ApiError::forbidden("command centre, station and grid staff"));
    }
    let f = store::gas::AlarmFilter {
        open: q.open.unwrap_or(q.case_id.is_none() && q.device_id.is_none()),
        device_id: q.device_id,
        case_id: q.case_id,
        limit: q.limit.unwrap_or(200),
    };
    let list = s.store.gas_alarms(&f).await?;
    let mut out = vec![];
    for a in &list {
        let d = s.store.gas_device(&a.device_id).await.ok();
        out.push(alarm_out(a, d.as_ref()));
    }
    Ok(Json(out))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteIn {
    #[serde(default)]
    pub note: Option<String>,
}

fn note(n: Option<String>) -> ApiResult<Option<String>> {
    match n {
        Some(n) if n.chars().count() > 500 || n.chars().any(|c| c.is_control() && c != '\n') => {
            Err(ApiError::invalid("note: at most 500 characters, no control characters"))
        }
        n => Ok(n.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty())),
    }
}

/// The command centre has seen the alarm.
#[utoipa::path(post, path = "/api/v1/gas/alarms/{id}/acknowledge", request_body = NoteIn,
    responses((status = 200, body = AlarmOut), (status = 409, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn acknowledge(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<NoteIn>,
) -> ApiResult<Json<AlarmOut>> {
    if !acknowledger(session.role()) {
        return Err(ApiError::forbidden("the command centre and stations acknowledge alarms"));
    }
    let a = app::gas::acknowledge(&s, id, &session.actor(), &session.user.display_name, note(b.note)?)
        .await
        .map_err(rule)?;
    let d = s.store.gas_device(&a.device_id).await.ok();
    Ok(Json(alarm_out(&a, d.as_ref())))
}

/// Cleared by whoever dealt with it, saying what was done; a gas alarm only once the
/// detector reads no gas.
#[utoipa::path(post, path = "/api/v1/gas/alarms/{id}/clear", request_body = NoteIn,
    responses((status = 200, body = AlarmOut), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn clear(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<NoteIn>,
) -> ApiResult<Json<AlarmOut>> {
    if !(acknowledger(session.role()) || session.role() == Role::GridWorker) {
        return Err(ApiError::forbidden("staff who dealt with the alarm clear it"));
    }
    let a = app::gas::clear(&s, id, &session.actor(), &session.user.display_name, note(b.note)?).await.map_err(rule)?;
    let d = s.store.gas_device(&a.device_id).await.ok();
    Ok(Json(alarm_out(&a, d.as_ref())))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SummaryOut {
    pub devices: i64,
    pub ever_reported: i64,
    /// Reported in the last 15 minutes.
    pub online: i64,
    /// Current (not cleared) alarms by kind.
    #[schema(value_type = Object)]
    pub alarms_by_kind: std::collections::BTreeMap<String, usize>,
    /// Open alarms nobody has acknowledged yet.
    pub unacknowledged: usize,
    /// Gas leaks under way, for the screen to flash.
    #[schema(value_type = Vec<Object>)]
    pub leaks: Vec<AlarmOut>,
    pub ingest_connected: bool,
    pub messages_received: u64,
    pub messages_rejected: u64,
    pub messages_from_unknown_devices: u64,
}

/// The big screen's gas panel.
#[utoipa::path(get, path = "/api/v1/gas/summary", responses((status = 200, body = SummaryOut)), security(("bearer" = [])))]
pub async fn summary(State(s): State<Arc<AppState>>, session: Session) -> ApiResult<Json<SummaryOut>> {
    if !reader(session.role()) {
        return Err(ApiError::forbidden("command centre, station and grid staff"));
    }
    let now = s.clock.now();
    let (devices, ever_reported, online) = s.store.gas_device_counts(now - chrono::Duration::minutes(15)).await?;
    let open = s
        .store
        .gas_alarms(&store::gas::AlarmFilter { open: true, limit: store::gas::GAS_PAGE_MAX, ..Default::default() })
        .await?;
    let mut by_kind = std::collections::BTreeMap::new();
    for a in open.iter().filter(|a| a.is_current()) {
        *by_kind.entry(a.kind.as_str().to_owned()).or_insert(0) += 1;
    }
    let mut leaks = vec![];
    for a in open.iter().filter(|a| a.kind == AlarmKind::Gas && a.state != AlarmState::Cleared) {
        let d = s.store.gas_device(&a.device_id).await.ok();
        leaks.push(alarm_out(a, d.as_ref()));
    }
    Ok(Json(SummaryOut {
        devices,
        ever_reported,
        online,
        alarms_by_kind: by_kind,
        unacknowledged: open.iter().filter(|a| a.acknowledged_at.is_none()).count(),
        leaks,
        ingest_connected: s.mqtt.connected.load(Ordering::Relaxed),
        messages_received: s.mqtt.received.load(Ordering::Relaxed),
        messages_rejected: s.mqtt.rejected.load(Ordering::Relaxed),
        messages_from_unknown_devices: s.mqtt.unknown.load(Ordering::Relaxed),
    }))
}

/// A household's own detectors (registered to the resident's phone), with their alarms.
#[utoipa::path(get, path = "/api/v1/me/gas", responses((status = 200, body = Vec<DeviceOut>)), security(("bearer" = [])))]
pub async fn mine(State(s): State<Arc<AppState>>, session: Session) -> ApiResult<Json<Vec<DeviceOut>>> {
    let Some(phone) = session.user.phone.clone().filter(|p| !p.is_empty()) else {
        return Ok(Json(vec![]));
    };
    let list = s.store.gas_devices(None, Some(&phone), 50).await?;
    let mut out = vec![];
    for d in &list {
        let alarms = s
            .store
            .gas_alarms(&store::gas::AlarmFilter {
                device_id: Some(d.device.device_id.clone()),
                limit: 10,
                ..Default::default()
            })
            .await?;
        let mut o = device_out(&s, &session, d, alarms.iter().collect(), true);
        // A household sees what its detector said, not the platform's internals.
        o.last_bad_payload = None;
        o.last_bad_reason = None;
        for a in &mut o.alarms {
            a.steps.retain(|e| !matches!(e.action.as_str(), "warn" | "escalate"));
        }
        out.push(o);
    }
    Ok(Json(out))
}
