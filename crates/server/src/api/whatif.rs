//! `POST /api/v1/whatif`: the simulator on the live street with one change, for leaders
//! (`app::whatif`). One at a time per node: it keeps a core busy for a few seconds.

use crate::auth::Session;
use crate::error::{ApiError, ApiJson, ApiResult};
use crate::AppState;
use app::whatif::{Change, Side, WhatIfError};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use domain::role::Permission;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WhatIfRequest {
    /// `add_units`, `move_station` or `demand`.
    pub kind: String,
    /// For `add_units` and `move_station`: a station's code.
    pub station: Option<String>,
    /// For `add_units`: the force (default police), travel mode (default car) and how many.
    pub force: Option<String>,
    pub mode: Option<String>,
    pub count: Option<u32>,
    /// For `move_station`: the new place.
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    /// For `demand`: the factor (0–5].
    pub scale: Option<f64>,
    /// Days per run (1–3, default 1) and runs pooled (1–5, default 3).
    pub days: Option<u32>,
    pub seeds: Option<u64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WhatIfSide {
    pub cases: usize,
    pub late: usize,
    /// Hours by which arrivals missed their promises, summed: late calls that wait longer
    /// count for more.
    pub lateness_hours: f64,
    pub on_site_within_10min_pct: f64,
    pub response_p50_seconds: f64,
    pub response_p90_seconds: f64,
    pub utilisation_pct: f64,
    /// Grid code → first responders (police and patrol members) within the promise.
    pub cover: BTreeMap<String, usize>,
    /// Grids nobody reaches within the promise.
    pub uncovered: usize,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WhatIfOut {
    /// Cases of the last 90 days the demand was fitted from, and a day's worth.
    pub history_cases: usize,
    pub cases_per_day: f64,
    pub before: WhatIfSide,
    pub after: WhatIfSide,
}

fn side(s: Side) -> WhatIfSide {
    WhatIfSide {
        cases: s.metrics.cases,
        late: s.late,
        lateness_hours: s.metrics.lateness_hours,
        on_site_within_10min_pct: s.metrics.on_site_within_10min_pct,
        response_p50_seconds: s.metrics.response_seconds.p50,
        response_p90_seconds: s.metrics.response_seconds.p90,
        utilisation_pct: s.metrics.responder_utilisation_pct,
        uncovered: s.cover.values().filter(|n| **n == 0).count(),
        cover: s.cover,
    }
}

/// Runs the default policy on the live roster and the demand of the last 90 days, as it is
/// and with one change; the same calls both times.
#[utoipa::path(post, path = "/api/v1/whatif", request_body = WhatIfRequest,
    responses((status = 200, body = WhatIfOut), (status = 422, body = crate::error::ErrorBody), (status = 429, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn whatif(
    State(s): State<Arc<AppState>>,
    session: Session,
    ApiJson(q): ApiJson<WhatIfRequest>,
) -> ApiResult<Json<WhatIfOut>> {
    session.require(Permission::ViewStatistics)?;
    let need = |v: Option<String>, what: &str| v.ok_or_else(|| ApiError::invalid(format!("{} needs {what}", q.kind)));
    let change = match q.kind.as_str() {
        "add_units" => Change::AddUnits {
            station: need(q.station.clone(), "station")?,
            force: domain::category::Force::parse(q.force.as_deref().unwrap_or("police"))
                .ok_or_else(|| ApiError::invalid("unknown force"))?,
            mode: dispatch::TravelMode::parse(q.mode.as_deref().unwrap_or("car"))
                .ok_or_else(|| ApiError::invalid("mode must be foot, ebike or car"))?,
            count: q.count.unwrap_or(1),
        },
        "move_station" => Change::MoveStation {
            station: need(q.station.clone(), "station")?,
            to: domain::geo::LatLng::new(
                q.lat.ok_or_else(|| ApiError::invalid("move_station needs lat and lng"))?,
                q.lng.ok_or_else(|| ApiError::invalid("move_station needs lat and lng"))?,
            )
            .map_err(|e| ApiError::invalid(e.to_string()))?,
        },
        "demand" => Change::Demand { scale: q.scale.ok_or_else(|| ApiError::invalid("demand needs scale"))? },
        k => return Err(ApiError::invalid(format!("kind must be add_units, move_station or demand, got {k:?}"))),
    };
    let _one = s.whatif_running.try_acquire().map_err(|_| {
        ApiError::new(StatusCode::TOO_MANY_REQUESTS, "busy", "another what-if is running; try again shortly")
            .retry_after(5)
    })?;
    let out = app::whatif::run(&s, &change, q.days.unwrap_or(1), q.seeds.unwrap_or(3)).await.map_err(|e| match e {
        WhatIfError::Invalid(m) => ApiError::invalid(m),
        WhatIfError::Store(e) => e.into(),
    })?;
    Ok(Json(WhatIfOut {
        history_cases: out.fitted.cases,
        cases_per_day: (out.fitted.cases_per_day * 10.0).round() / 10.0,
        before: side(out.before),
        after: side(out.after),
    }))
}
