//! Statistics for leaders and the big screen.

use crate::auth::Session;
use crate::error::{ApiError, ApiQuery, ApiResult};
use crate::wire;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{Duration, TimeZone};
use domain::role::Permission;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use store::stats::Dimension;

/// Longest period one summary covers; longer questions are exports, not screens.
const PERIOD_DAYS_MAX: i64 = 800;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SummaryQuery {
    /// Start (RFC 3339); today 00:00 Beijing time when absent.
    pub from: Option<String>,
    /// End, exclusive (RFC 3339); now when absent.
    pub to: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PromiseOut {
    pub kept: i64,
    pub missed: i64,
    /// Share kept on time, 0–1; null when no case has reached the promise yet.
    pub rate: Option<f64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Change {
    pub current: i64,
    /// The same period a year earlier.
    pub previous: i64,
    /// Percentage change; null when the earlier period had none.
    pub change_pct: Option<f64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SummaryOut {
    pub from: String,
    pub to: String,
    pub total: i64,
    pub open: i64,
    pub closed: i64,
    pub urgent: i64,
    /// accept, dispatch, on_site, first_feedback, close.
    pub promises: BTreeMap<String, PromiseOut>,
    pub by_source: BTreeMap<String, i64>,
    pub by_category: BTreeMap<String, i64>,
    pub by_status: BTreeMap<String, i64>,
    /// Against the same period one year earlier: all cases, police calls (110 transfers),
    /// criminal and public-security incidents, demand petitions.
    pub year_on_year: BTreeMap<String, Change>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DayCount {
    /// Local (Beijing) date, YYYY-MM-DD.
    pub day: String,
    pub count: i64,
}

/// Cases reported per local day in a period (for trend charts).
#[utoipa::path(get, path = "/api/v1/stats/daily", params(SummaryQuery), responses((status = 200, body = [DayCount])), security(("bearer" = [])))]
pub async fn daily(
    State(s): State<Arc<AppState>>,
    session: Session,
    ApiQuery(q): ApiQuery<SummaryQuery>,
) -> ApiResult<Json<Vec<DayCount>>> {
    session.require(Permission::ViewStatistics)?;
    let bad = |m: String| ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", m);
    let now = s.clock.now();
    let to = q.to.as_deref().map(|t| wire::parse_time("to", t).map_err(bad)).transpose()?.unwrap_or(now);
    let from = q
        .from
        .as_deref()
        .map(|t| wire::parse_time("from", t).map_err(bad))
        .transpose()?
        .unwrap_or(to - Duration::days(30));
    if to <= from || to - from > Duration::days(PERIOD_DAYS_MAX) {
        return Err(bad(format!("the period must be positive and at most {PERIOD_DAYS_MAX} days")));
    }
    let rows = s.store.counts_by(Dimension::Day, from, to).await?;
    Ok(Json(rows.into_iter().map(|(day, count)| DayCount { day, count }).collect()))
}

fn change(current: i64, previous: i64) -> Change {
    Change {
        current,
        previous,
        change_pct: (previous > 0).then(|| ((current - previous) as f64 / previous as f64 * 1000.0).round() / 10.0),
    }
}

/// The counts the street's leaders quote against the same period a year earlier: all cases,
/// police calls (110 transfers), criminal and public-security incidents, demand petitions.
/// Also returns the period's counts by source and by category, read on the way.
async fn year_on_year(
    s: &AppState,
    from: chrono::DateTime<chrono::Utc>,
    to: chrono::DateTime<chrono::Utc>,
) -> ApiResult<(Vec<(String, i64)>, Vec<(String, i64)>, BTreeMap<String, Change>)> {
    let now_sources = s.store.counts_by(Dimension::Source, from, to).await?;
    let now_cats = s.store.counts_by(Dimension::Category, from, to).await?;
    let (pf, pt) = (from - Duration::days(365), to - Duration::days(365));
    let source_count = |rows: &[(String, i64)], key: &str| rows.iter().find(|r| r.0 == key).map_or(0, |r| r.1);
    let then_sources = s.store.counts_by(Dimension::Source, pf, pt).await?;
    let security: Vec<&str> = s
        .categories
        .values()
        .filter(|c| c.tags.iter().any(|t| t == "public_security"))
        .map(|c| c.code.as_str())
        .collect();
    let then_cats = s.store.counts_by(Dimension::Category, pf, pt).await?;
    let sec =
        |rows: &[(String, i64)]| rows.iter().filter(|r| security.contains(&r.0.as_str())).map(|r| r.1).sum::<i64>();
    let total = |rows: &[(String, i64)]| rows.iter().map(|r| r.1).sum::<i64>();
    let mut yoy = BTreeMap::new();
    yoy.insert("all_cases".to_owned(), change(total(&now_sources), total(&then_sources)));
    yoy.insert(
        "police_calls".to_owned(),
        change(source_count(&now_sources, "police_110"), source_count(&then_sources, "police_110")),
    );
    yoy.insert("public_security".to_owned(), change(sec(&now_cats), sec(&then_cats)));
    // Demand petitions (求决类信访) are the petitions registered as demands, whatever
    // channel they came by.
    use domain::petition::Class;
    yoy.insert(
        "demand_petitions".to_owned(),
        change(
            s.store.petition_count(Class::Demand, from, to).await?,
            s.store.petition_count(Class::Demand, pf, pt).await?,
        ),
    );
    Ok((now_sources, now_cats, yoy))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct YearOnYearOut {
    pub from: String,
    pub to: String,
    /// all_cases, police_calls, public_security, demand_petitions.
    pub year_on_year: BTreeMap<String, Change>,
}

/// The year-on-year panel alone (the big screen's): counts only, read from the daily
/// rollup for whole days, so a year so far answers as fast as a day.
#[utoipa::path(get, path = "/api/v1/stats/year-on-year", params(SummaryQuery), responses((status = 200, body = YearOnYearOut)), security(("bearer" = [])))]
pub async fn year_on_year_panel(
    State(s): State<Arc<AppState>>,
    session: Session,
    ApiQuery(q): ApiQuery<SummaryQuery>,
) -> ApiResult<Json<YearOnYearOut>> {
    session.require(Permission::ViewStatistics)?;
    let bad = |m: String| ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", m);
    let now = s.clock.now();
    let to = q.to.as_deref().map(|t| wire::parse_time("to", t).map_err(bad)).transpose()?.unwrap_or(now);
    let from = match q.from.as_deref() {
        Some(f) => wire::parse_time("from", f).map_err(bad)?,
        None => return Err(bad("from is required".into())),
    };
    if to <= from || to - from > Duration::days(PERIOD_DAYS_MAX) {
        return Err(bad(format!("the period must be positive and at most {PERIOD_DAYS_MAX} days")));
    }
    let (_, _, year_on_year) = year_on_year(&s, from, to).await?;
    Ok(Json(YearOnYearOut { from: wire::time(from), to: wire::time(to), year_on_year }))
}

/// Counts and the rates of the five promises for cases reported in a period.
#[utoipa::path(get, path = "/api/v1/stats/summary", params(SummaryQuery), responses((status = 200, body = SummaryOut)), security(("bearer" = [])))]
pub async fn summary(
    State(s): State<Arc<AppState>>,
    session: Session,
    ApiQuery(q): ApiQuery<SummaryQuery>,
) -> ApiResult<Json<SummaryOut>> {
    session.require(Permission::ViewStatistics)?;
    let bad = |m: String| ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", m);
    let now = s.clock.now();
    let beijing = chrono::FixedOffset::east_opt(8 * 3600).expect("offset");
    let today = beijing
        .from_local_datetime(&now.with_timezone(&beijing).date_naive().and_hms_opt(0, 0, 0).expect("midnight"))
        .single()
        .expect("fixed offset")
        .with_timezone(&chrono::Utc);
    let from = q.from.as_deref().map(|t| wire::parse_time("from", t).map_err(bad)).transpose()?.unwrap_or(today);
    let to = q.to.as_deref().map(|t| wire::parse_time("to", t).map_err(bad)).transpose()?.unwrap_or(now);
    if to <= from {
        return Err(bad("to must be after from".into()));
    }
    if to - from > Duration::days(PERIOD_DAYS_MAX) {
        return Err(bad(format!("a summary covers at most {PERIOD_DAYS_MAX} days")));
    }
    let sum = s.store.summary(from, to, now).await?;
    let (now_sources, now_cats, yoy) = year_on_year(&s, from, to).await?;
    let by_status = s.store.counts_by(Dimension::Status, from, to).await?.into_iter().collect();
    Ok(Json(SummaryOut {
        from: wire::time(from),
        to: wire::time(to),
        total: sum.total,
        open: sum.open,
        closed: sum.closed,
        urgent: sum.urgent,
        promises: sum
            .promises
            .iter()
            .map(|(p, st)| (p.as_str().to_owned(), PromiseOut { kept: st.kept, missed: st.missed, rate: st.rate() }))
            .collect(),
        by_source: now_sources.iter().cloned().collect(),
        by_category: now_cats.iter().cloned().collect(),
        by_status,
        year_on_year: yoy,
    }))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PetitionStatsOut {
    pub from: String,
    pub to: String,
    /// Registered in the period, by class (demand, complaint, suggestion).
    pub registered: BTreeMap<String, i64>,
    /// By channel (letter, visit, phone, online, resident_app, escalated).
    pub by_channel: BTreeMap<String, i64>,
    pub open: i64,
    pub closed: i64,
    pub refused: i64,
    /// Each statutory duty: kept on time, missed (kept late, or open past due).
    pub duties: BTreeMap<String, PromiseOut>,
    /// Follow-up visits made.
    pub follow_ups_made: i64,
    /// Rated 满意 or 基本满意, of those rated.
    pub satisfied: i64,
    pub rated: i64,
    pub satisfaction_rate: Option<f64>,
    /// Petitions on a matter petitioned before (same person, or same place and topic).
    pub repeats: i64,
    /// Demand petitions against the same period a year earlier.
    pub demand_year_on_year: Change,
}

/// Petitions in a period: counts, the statutory duties kept on time, follow-ups,
/// satisfaction, repeats, and demand petitions year on year.
#[utoipa::path(get, path = "/api/v1/stats/petitions", params(SummaryQuery), responses((status = 200, body = PetitionStatsOut)), security(("bearer" = [])))]
pub async fn petitions(
    State(s): State<Arc<AppState>>,
    session: Session,
    ApiQuery(q): ApiQuery<SummaryQuery>,
) -> ApiResult<Json<PetitionStatsOut>> {
    use domain::case::Satisfaction;
    use domain::petition::{Class, Status};
    session.require(Permission::ViewStatistics)?;
    let bad = |m: String| ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", m);
    let now = s.clock.now();
    let from = match q.from.as_deref() {
        Some(t) => wire::parse_time("from", t).map_err(bad)?,
        None => now - Duration::days(365),
    };
    let to = q.to.as_deref().map(|t| wire::parse_time("to", t).map_err(bad)).transpose()?.unwrap_or(now);
    if to <= from || to - from > Duration::days(PERIOD_DAYS_MAX) {
        return Err(bad(format!("from must come before to, at most {PERIOD_DAYS_MAX} days apart")));
    }
    let list = s.store.petitions_registered(from, to).await?;
    let mut out = PetitionStatsOut {
        from: wire::time(from),
        to: wire::time(to),
        registered: BTreeMap::new(),
        by_channel: BTreeMap::new(),
        open: 0,
        closed: 0,
        refused: 0,
        duties: BTreeMap::new(),
        follow_ups_made: 0,
        satisfied: 0,
        rated: 0,
        satisfaction_rate: None,
        repeats: 0,
        demand_year_on_year: change(
            s.store.petition_count(Class::Demand, from, to).await?,
            s.store.petition_count(Class::Demand, from - Duration::days(365), to - Duration::days(365)).await?,
        ),
    };
    for p in &list {
        *out.registered.entry(p.class.as_str().into()).or_default() += 1;
        *out.by_channel.entry(p.channel.as_str().into()).or_default() += 1;
        match p.status {
            Status::Closed => out.closed += 1,
            Status::Refused => out.refused += 1,
            _ => out.open += 1,
        }
        out.follow_ups_made += p.follow_ups.iter().filter(|f| f.done_at.is_some()).count() as i64;
        if let Some(r) = p.satisfaction {
            out.rated += 1;
            if r != Satisfaction::Dissatisfied {
                out.satisfied += 1;
            }
        }
        if !p.repeat_of.is_empty() {
            out.repeats += 1;
        }
    }
    out.satisfaction_rate = (out.rated > 0).then(|| out.satisfied as f64 / out.rated as f64);
    out.duties = s
        .store
        .petition_duties_kept(from, to, now)
        .await?
        .into_iter()
        .map(|(k, v)| (k, PromiseOut { kept: v.kept, missed: v.missed, rate: v.rate() }))
        .collect();
    Ok(Json(out))
}

/// A rate with what it is made of.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Rate {
    pub numerator: i64,
    pub denominator: i64,
    /// numerator ÷ denominator; null when the denominator is 0.
    pub rate: Option<f64>,
}

fn rate(numerator: i64, denominator: i64) -> Rate {
    Rate { numerator, denominator, rate: (denominator > 0).then(|| numerator as f64 / denominator as f64) }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct MediationQuery {
    /// Start (RFC 3339); a year ago when absent.
    pub from: Option<String>,
    /// End, exclusive; now when absent.
    pub to: Option<String>,
    /// Only mediations held at this place (a studio), e.g. 传化公路港调解工作室.
    pub place: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MediationStatsOut {
    pub from: String,
    pub to: String,
    pub registered: i64,
    pub by_kind: BTreeMap<String, i64>,
    pub by_source: BTreeMap<String, i64>,
    /// agreed (and performed), failed, open.
    pub by_outcome: BTreeMap<String, i64>,
    pub by_grid: BTreeMap<String, i64>,
    /// Agreed ÷ concluded (agreed or failed).
    pub success: Rate,
    /// Agreements whose every payment is made and visit done ÷ agreements.
    pub performance: Rate,
    /// Yuan: agreed, paid on the spot, paid later, outstanding, overdue.
    pub money: BTreeMap<String, f64>,
}

/// The mediation studio's figures for a period, each rate with its numerator and denominator.
#[utoipa::path(get, path = "/api/v1/stats/mediation", params(MediationQuery), responses((status = 200, body = MediationStatsOut)), security(("bearer" = [])))]
pub async fn mediation(
    State(s): State<Arc<AppState>>,
    session: Session,
    ApiQuery(q): ApiQuery<MediationQuery>,
) -> ApiResult<Json<MediationStatsOut>> {
    use domain::mediation::Status;
    session.require(Permission::ViewStatistics)?;
    let bad = |m: String| ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", m);
    let now = s.clock.now();
    let from = match q.from.as_deref() {
        Some(t) => wire::parse_time("from", t).map_err(bad)?,
        None => now - Duration::days(365),
    };
    let to = q.to.as_deref().map(|t| wire::parse_time("to", t).map_err(bad)).transpose()?.unwrap_or(now);
    if to <= from || to - from > Duration::days(PERIOD_DAYS_MAX * 2) {
        return Err(bad(format!("from must come before to, at most {} days apart", PERIOD_DAYS_MAX * 2)));
    }
    let list: Vec<_> = s
        .store
        .mediations_registered(from, to)
        .await?
        .into_iter()
        .filter(|m| q.place.as_deref().is_none_or(|p| m.place.as_deref() == Some(p)))
        .collect();
    let mut by_kind = BTreeMap::new();
    let mut by_source = BTreeMap::new();
    let mut by_outcome = BTreeMap::new();
    let mut by_grid = BTreeMap::new();
    let (mut agreed, mut failed, mut performed) = (0, 0, 0);
    let mut money = domain::mediation::Money::default();
    for m in &list {
        *by_kind.entry(m.kind.as_str().to_owned()).or_insert(0) += 1;
        *by_source.entry(m.source.as_str().to_owned()).or_insert(0) += 1;
        *by_grid.entry(m.grid.as_str().to_owned()).or_insert(0) += 1;
        let outcome = match m.status {
            Status::Agreed | Status::Performed => {
                agreed += 1;
                "agreed"
            }
            Status::Failed => {
                failed += 1;
                "failed"
            }
            _ => "open",
        };
        if m.status == Status::Performed {
            performed += 1;
        }
        *by_outcome.entry(outcome.to_owned()).or_insert(0) += 1;
        let x = domain::mediation::money(m, now);
        money.agreed += x.agreed;
        money.on_the_spot += x.on_the_spot;
        money.paid_later += x.paid_later;
        money.outstanding += x.outstanding;
        money.overdue += x.overdue;
    }
    let y = |fen: i64| fen as f64 / 100.0;
    Ok(Json(MediationStatsOut {
        from: wire::time(from),
        to: wire::time(to),
        registered: list.len() as i64,
        by_kind,
        by_source,
        by_outcome,
        by_grid,
        success: rate(agreed, agreed + failed),
        performance: rate(performed, agreed),
        money: [
            ("agreed", y(money.agreed)),
            ("on_the_spot", y(money.on_the_spot)),
            ("paid_later", y(money.paid_later)),
            ("outstanding", y(money.outstanding)),
            ("overdue", y(money.overdue)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect(),
    }))
}

/// One indicator with what it is made of.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IndicatorOut {
    pub key: String,
    pub name_zh: String,
    pub name_en: String,
    /// The standard formula, in words.
    pub formula: String,
    pub formula_en: String,
    pub numerator: i64,
    pub denominator: i64,
    /// numerator ÷ denominator, 0–1; null when the denominator is 0.
    pub rate: Option<f64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IndicatorsOut {
    pub from: String,
    pub to: String,
    pub as_of: String,
    pub indicators: Vec<IndicatorOut>,
    /// Cases left out: suspended (their duty stands still), by id.
    pub left_out_suspended: Vec<i64>,
    /// Cases whose close deadline was extended: counted by the extended date, named here.
    pub extended: Vec<i64>,
}

/// The standard indicators of city-management and 12345 systems for a period, each with its
/// numerator, denominator and formula: 结案率, 按期结案率, 及时受理/派遣/到场/反馈率 (duties
/// that fell due in the period), 返工率, 满意率, 回访率 (cases closed in the period).
#[utoipa::path(get, path = "/api/v1/stats/indicators", params(SummaryQuery), responses((status = 200, body = IndicatorsOut)), security(("bearer" = [])))]
pub async fn indicators(
    State(s): State<Arc<AppState>>,
    session: Session,
    ApiQuery(q): ApiQuery<SummaryQuery>,
) -> ApiResult<Json<IndicatorsOut>> {
    session.require(Permission::ViewStatistics)?;
    let bad = |m: String| ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", m);
    let now = s.clock.now();
    let from = q
        .from
        .as_deref()
        .map(|t| wire::parse_time("from", t).map_err(bad))
        .transpose()?
        .unwrap_or(now - Duration::days(30));
    let to = q.to.as_deref().map(|t| wire::parse_time("to", t).map_err(bad)).transpose()?.unwrap_or(now);
    if to <= from {
        return Err(bad("to must be after from".into()));
    }
    if to - from > Duration::days(PERIOD_DAYS_MAX) {
        return Err(bad(format!("a period covers at most {PERIOD_DAYS_MAX} days")));
    }
    let c = s.store.indicator_counts(from, to, now).await?;
    let rate = |n: i64, d: i64| (d > 0).then(|| n as f64 / d as f64);
    let ind = |key: &str, zh: &str, en: &str, (formula, formula_en): (&str, &str), n: i64, d: i64| IndicatorOut {
        key: key.into(),
        name_zh: zh.into(),
        name_en: en.into(),
        formula: formula.into(),
        formula_en: formula_en.into(),
        numerator: n,
        denominator: d,
        rate: rate(n, d),
    };
    let p = |name: &str| c.promises.get(name).copied().unwrap_or_default();
    let close = p("close");
    let mut list = vec![
        ind(
            "close_rate",
            "结案率",
            "Closure rate",
            (
                "结案数 / 应结案数（应结案：办结期限在本期内的案件）",
                "closed / due to close (cases whose close deadline fell in the period)",
            ),
            close.kept,
            close.due,
        ),
        ind(
            "on_time_close_rate",
            "按期结案率",
            "On-time closure rate",
            ("按期结案数 / 应结案数", "closed by the deadline / due to close"),
            close.on_time,
            close.due,
        ),
    ];
    for (name, key, zh, en) in [
        ("accept", "timely_accept_rate", "及时受理率", "Timely acceptance"),
        ("dispatch", "timely_dispatch_rate", "及时派遣率", "Timely dispatch"),
        ("on_site", "timely_on_site_rate", "及时到场率", "Timely arrival"),
        ("first_feedback", "timely_feedback_rate", "及时反馈率", "Timely first feedback"),
    ] {
        let x = p(name);
        list.push(ind(
            key,
            zh,
            en,
            ("按时履约数 / 本期到期数", "kept on time / fell due in the period"),
            x.on_time,
            x.due,
        ));
    }
    list.push(ind(
        "rework_rate",
        "返工率",
        "Rework rate",
        ("返工（重新打开）数 / 本期结案数", "reopened / closed in the period"),
        c.reopened,
        c.closed,
    ));
    list.push(ind(
        "satisfaction_rate",
        "满意率",
        "Satisfaction rate",
        ("（满意 + 基本满意）/ 参评数", "(satisfied + basically satisfied) / rated"),
        c.satisfied,
        c.rated,
    ));
    list.push(ind(
        "follow_up_rate",
        "回访率",
        "Follow-up rate",
        ("回访评价数 / 本期结案数", "rated on follow-up / closed in the period"),
        c.rated,
        c.closed,
    ));
    let ts = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    Ok(Json(IndicatorsOut {
        from: ts(from),
        to: ts(to),
        as_of: ts(now),
        indicators: list,
        left_out_suspended: c.suspended,
        extended: c.extended,
    }))
}
