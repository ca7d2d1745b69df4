//! Breakdowns for leaders: cases of a period grouped by grid, community, station, category,
//! source, priority, force, responder, hour or weekday, each group with its counts and rates,
//! compared with the same period a year earlier or the period before, ranked, and the cases
//! behind any figure.

use crate::auth::Session;
use crate::error::{ApiError, ApiQuery, ApiResult};
use crate::wire;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, TimeZone, Utc};
use domain::case::{Priority, Source};
use domain::role::{Permission, Scope};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;
use store::stats::{By, Group, Measure};

/// A group needs this many cases whose close promise is decided to be ranked: a grid with
/// one late case out of one is not the street's worst.
pub const RANK_SAMPLE_MIN: i64 = 5;
/// Groups named at each end of a ranking.
const RANK_LEN: usize = 5;
/// Longest custom period.
const PERIOD_DAYS_MAX: i64 = 800;

#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct BreakdownQuery {
    /// grid, community, station, category, source, priority, force, responder, hour, weekday.
    pub by: String,
    /// day, week, month (default), quarter or year, the one holding `date`; or give `from` and `to`.
    pub period: Option<String>,
    /// A day of the period, YYYY-MM-DD (Beijing); today when absent.
    pub date: Option<String>,
    /// Start of a custom period (RFC 3339).
    pub from: Option<String>,
    /// End of a custom period, exclusive (RFC 3339).
    pub to: Option<String>,
    /// yoy (default: the same period a year earlier), pop (the period before) or none.
    pub compare: Option<String>,
    /// zh (default) or en: the language of the labels.
    pub lang: Option<String>,
    /// With `/cases`: the group (absent: every group).
    pub key: Option<String>,
    /// With `/cases`: all, open, closed, urgent, close_on_time, close_missed, on_site_missed,
    /// unsatisfied, reopened.
    pub measure: Option<String>,
    /// With `/cases`: 1–200 (default 50).
    pub limit: Option<i64>,
}

/// A period, and when it is cut short by now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// The period's planned end: after `to` while it is under way.
    pub end: DateTime<Utc>,
}

fn beijing() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8")
}

fn midnight(d: NaiveDate) -> DateTime<Utc> {
    beijing()
        .from_local_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight"))
        .single()
        .expect("fixed offset")
        .with_timezone(&Utc)
}

/// The start and planned end of the named period holding `day`.
pub fn calendar_period(kind: &str, day: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
    let month1 = |m: u32| NaiveDate::from_ymd_opt(day.year(), m, 1);
    let (start, end) = match kind {
        "day" => (day, day.succ_opt()?),
        "week" => {
            let monday = day - Duration::days(i64::from(day.weekday().num_days_from_monday()));
            (monday, monday + Duration::days(7))
        }
        "month" => {
            let s = month1(day.month())?;
            (s, s.checked_add_months(Months::new(1))?)
        }
        "quarter" => {
            let s = month1((day.month() - 1) / 3 * 3 + 1)?;
            (s, s.checked_add_months(Months::new(3))?)
        }
        "year" => {
            let s = month1(1)?;
            (s, s.checked_add_months(Months::new(12))?)
        }
        _ => return None,
    };
    Some((start, end))
}

/// The periods a query asks about: the period itself and the one it is compared with. A period
/// under way ends now, and its comparison covers the same stretch of time (a month 10 days in
/// is compared with the first 10 days of the other month), so a partial period never looks
/// like a fall.
pub fn periods(q: &BreakdownQuery, now: DateTime<Utc>) -> Result<(Period, Option<Period>), String> {
    let current = match (&q.from, &q.to, q.period.as_deref()) {
        (Some(f), Some(t), None | Some("custom")) => {
            let (from, to) = (wire::parse_time("from", f)?, wire::parse_time("to", t)?);
            if to <= from || to - from > Duration::days(PERIOD_DAYS_MAX) {
                return Err(format!("the period must be positive and at most {PERIOD_DAYS_MAX} days"));
            }
            Period { from, to: to.min(now).max(from), end: to }
        }
        (None, None, kind) => {
            let kind = kind.unwrap_or("month");
            let day = match &q.date {
                Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| format!("date {d:?}: YYYY-MM-DD"))?,
                None => now.with_timezone(&beijing()).date_naive(),
            };
            let (s, e) = calendar_period(kind, day)
                .ok_or_else(|| format!("period {kind:?}: day, week, month, quarter, year or custom"))?;
            let (from, end) = (midnight(s), midnight(e));
            if from >= now {
                return Err("that period has not begun".into());
            }
            Period { from, to: end.min(now), end }
        }
        _ => return Err("give either period (and date) or both from and to".into()),
    };
    let span = current.to - current.from;
    let other = match q.compare.as_deref().unwrap_or("yoy") {
        "none" => None,
        "yoy" => {
            let from = current.from.checked_sub_months(Months::new(12)).ok_or("period too early")?;
            let end = current.end.checked_sub_months(Months::new(12)).ok_or("period too early")?;
            Some(Period { from, to: (from + span).min(end), end })
        }
        "pop" => {
            // The period before: the previous calendar period for a named one, else the same length before.
            let from = match q.period.as_deref() {
                Some(k @ ("day" | "week" | "month" | "quarter" | "year")) => {
                    let before = (current.from.with_timezone(&beijing()) - Duration::days(1)).date_naive();
                    midnight(calendar_period(k, before).ok_or("period")?.0)
                }
                _ if q.from.is_none() => {
                    let before = (current.from.with_timezone(&beijing()) - Duration::days(1)).date_naive();
                    midnight(calendar_period("month", before).ok_or("period")?.0)
                }
                _ => current.from - (current.end - current.from),
            };
            let end = current.from;
            Some(Period { from, to: (from + span).min(end), end })
        }
        c => return Err(format!("compare {c:?}: yoy, pop or none")),
    };
    Ok((current, other))
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PeriodOut {
    pub from: String,
    /// Exclusive; now while the period is under way.
    pub to: String,
    /// The planned end.
    pub end: String,
}

fn period_out(p: &Period) -> PeriodOut {
    PeriodOut { from: wire::time(p.from), to: wire::time(p.to), end: wire::time(p.end) }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Earlier {
    pub count: i64,
    pub close_rate: Option<f64>,
    pub on_site_rate: Option<f64>,
    pub satisfaction_rate: Option<f64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GroupOut {
    pub key: String,
    /// The group's name in the asked language.
    pub label: String,
    pub count: i64,
    pub open: i64,
    pub closed: i64,
    pub urgent: i64,
    /// 24-hour close promise: kept by the deadline / missed (late, or open past it).
    pub close_kept: i64,
    pub close_missed: i64,
    /// close_kept ÷ (close_kept + close_missed); null when none is decided.
    pub close_rate: Option<f64>,
    pub on_site_kept: i64,
    pub on_site_missed: i64,
    pub on_site_rate: Option<f64>,
    pub rated: i64,
    /// 满意 or 基本满意.
    pub satisfied: i64,
    pub satisfaction_rate: Option<f64>,
    pub reopened: i64,
    /// The comparison period's figures for this group; null without a comparison.
    pub previous: Option<Earlier>,
    /// Percentage change in count; null when the earlier period had none.
    pub count_change_pct: Option<f64>,
    /// Changes of the rates in percentage points (个百分点).
    pub close_rate_change_pp: Option<f64>,
    pub on_site_rate_change_pp: Option<f64>,
    pub satisfaction_rate_change_pp: Option<f64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Ranking {
    /// What the groups are ranked by: close_rate (按期结案率), then the count.
    pub measure: String,
    /// Groups with fewer decided close promises are not ranked.
    pub sample_min: i64,
    /// Keys, best first.
    pub best: Vec<String>,
    /// Keys, worst first.
    pub worst: Vec<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BreakdownOut {
    pub by: String,
    pub period: PeriodOut,
    /// yoy, pop or none.
    pub compare: String,
    pub compared_with: Option<PeriodOut>,
    /// When the figures were read: open promises are judged as of then.
    pub as_of: String,
    /// A case sent to two forces (or responders) counts in both groups; `total` counts it once.
    pub counts_overlap: bool,
    pub rows: Vec<GroupOut>,
    pub total: GroupOut,
    pub ranking: Ranking,
}

fn ratio(n: i64, d: i64) -> Option<f64> {
    (d > 0).then(|| n as f64 / d as f64)
}

fn pp(now: Option<f64>, then: Option<f64>) -> Option<f64> {
    Some(((now? - then?) * 1000.0).round() / 10.0)
}

fn pct(now: i64, then: i64) -> Option<f64> {
    (then > 0).then(|| ((now - then) as f64 / then as f64 * 1000.0).round() / 10.0)
}

fn group_out(g: &Group, label: String, earlier: Option<&Group>, compared: bool) -> GroupOut {
    let rates = |g: &Group| {
        (
            ratio(g.close.0, g.close.0 + g.close.1),
            ratio(g.on_site.0, g.on_site.0 + g.on_site.1),
            ratio(g.satisfied, g.rated),
        )
    };
    let (c, o, s) = rates(g);
    let none = Group::default();
    let e = earlier.unwrap_or(&none);
    let (pc, po, ps) = rates(e);
    GroupOut {
        key: g.key.clone(),
        label,
        count: g.count,
        open: g.open,
        closed: g.closed,
        urgent: g.urgent,
        close_kept: g.close.0,
        close_missed: g.close.1,
        close_rate: c,
        on_site_kept: g.on_site.0,
        on_site_missed: g.on_site.1,
        on_site_rate: o,
        rated: g.rated,
        satisfied: g.satisfied,
        satisfaction_rate: s,
        reopened: g.reopened,
        previous: compared.then(|| Earlier { count: e.count, close_rate: pc, on_site_rate: po, satisfaction_rate: ps }),
        count_change_pct: if compared { pct(g.count, e.count) } else { None },
        close_rate_change_pp: if compared { pp(c, pc) } else { None },
        on_site_rate_change_pp: if compared { pp(o, po) } else { None },
        satisfaction_rate_change_pp: if compared { pp(s, ps) } else { None },
    }
}

fn sum(groups: &[Group]) -> Group {
    let mut t = Group { key: "total".into(), ..Default::default() };
    for g in groups {
        t.count += g.count;
        t.open += g.open;
        t.closed += g.closed;
        t.urgent += g.urgent;
        t.close = (t.close.0 + g.close.0, t.close.1 + g.close.1);
        t.on_site = (t.on_site.0 + g.on_site.0, t.on_site.1 + g.on_site.1);
        t.rated += g.rated;
        t.satisfied += g.satisfied;
        t.reopened += g.reopened;
    }
    t
}

/// Best and worst groups by 按期结案率, among those with enough decided cases.
pub fn rank(rows: &[GroupOut]) -> Ranking {
    let mut ranked: Vec<&GroupOut> =
        rows.iter().filter(|r| r.close_kept + r.close_missed >= RANK_SAMPLE_MIN && r.close_rate.is_some()).collect();
    ranked.sort_by(|a, b| {
        b.close_rate
            .partial_cmp(&a.close_rate)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.close_missed.cmp(&b.close_missed))
            .then(a.key.cmp(&b.key))
    });
    // With few groups, each end takes at most half, so no group is both best and worst.
    let k = RANK_LEN.min((ranked.len() / 2).max(1));
    Ranking {
        measure: "close_rate".into(),
        sample_min: RANK_SAMPLE_MIN,
        best: ranked.iter().take(k).map(|r| r.key.clone()).collect(),
        worst: if ranked.len() > 1 { ranked.iter().rev().take(k).map(|r| r.key.clone()).collect() } else { vec![] },
    }
}

pub fn source_en(s: Source) -> &'static str {
    match s {
        Source::ResidentApp => "Resident app",
        Source::Hotline => "Hotline",
        Source::Police110 => "110 police calls",
        Source::GridPatrol => "Grid patrol",
        Source::Sensor => "Sensors",
        Source::Petition => "Petitions",
        Source::Volunteer => "Volunteers",
        Source::WalkIn => "Walk-in",
        Source::Open311 => "Open311",
    }
}

fn force_en(f: domain::category::Force) -> &'static str {
    use domain::category::Force as F;
    match f {
        F::Police => "Police",
        F::GridWorker => "Grid workers",
        F::PatrolMember => "Patrol",
        F::EnterpriseSecurity => "Enterprise security",
        F::TrafficPolice => "Traffic police",
        F::CityManagement => "City management",
        F::GasCompany => "Gas company",
        F::MarketRegulator => "Market regulator",
        F::Mediator => "Mediators",
        // Only a scenario brought into the simulator declares one.
        F::Local(name) => name,
    }
}

/// The names of a dimension's keys in a language (`en`, else Chinese).
pub async fn labels(s: &AppState, by: By, en: bool) -> ApiResult<HashMap<String, String>> {
    let pick = |zh: &str, e: &str| if en { e.to_owned() } else { zh.to_owned() };
    Ok(match by {
        By::Grid => s.grids.values().map(|g| (g.code.to_string(), pick(&g.name_zh, &g.name_en))).collect(),
        // A community is named by its grids' names without the grid number
        // (临江社区第1网格 → 临江社区, Linjiang Community Grid 1 → Linjiang Community).
        By::Community => s
            .grids
            .values()
            .map(|g| {
                let zh = g.name_zh.split('第').next().unwrap_or(&g.name_zh);
                let en_name = g.name_en.rsplit_once(" Grid").map_or(g.name_en.as_str(), |(a, _)| a);
                (g.community.clone(), pick(zh, en_name))
            })
            .collect(),
        By::Station => s.stations.iter().map(|st| (st.code.clone(), pick(&st.name_zh, &st.name_en))).collect(),
        By::Category => s.categories.values().map(|c| (c.code.to_string(), pick(&c.name_zh, &c.name_en))).collect(),
        By::Source => Source::ALL
            .iter()
            .map(|x| (x.as_str().to_owned(), pick(super::exports::source_zh(*x), source_en(*x))))
            .collect(),
        By::Priority => Priority::ALL
            .iter()
            .map(|x| (x.as_str().to_owned(), pick(super::exports::priority_zh(*x), x.as_str())))
            .collect(),
        By::Force => domain::category::Force::ALL
            .iter()
            .map(|f| (f.as_str().to_owned(), pick(app::dispatching::force_zh(*f), force_en(*f))))
            .collect(),
        By::Responder => s.store.responders().await?.into_iter().map(|r| (r.id.to_string(), r.name)).collect(),
        By::Hour => (0..24).map(|h| (h.to_string(), format!("{h:02}:00–{:02}:00", h + 1))).collect(),
        By::Weekday => {
            const ZH: [&str; 7] = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];
            const EN: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
            (0..7).map(|d| ((d + 1).to_string(), pick(ZH[d], EN[d]))).collect()
        }
    })
}

fn bad(m: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", m)
}

fn parse_by(q: &BreakdownQuery) -> ApiResult<By> {
    By::parse(&q.by).ok_or_else(|| {
        bad(format!("by {:?}: one of {}", q.by, By::ALL.iter().map(|b| b.as_str()).collect::<Vec<_>>().join(", ")))
    })
}

/// Whether a `lang` parameter asks for English (zh, the default, or en; else a 400).
pub fn english(lang: Option<&str>) -> ApiResult<bool> {
    match lang {
        None | Some("zh") => Ok(false),
        Some("en") => Ok(true),
        Some(l) => Err(bad(format!("lang {l:?}: zh or en"))),
    }
}

/// Reads a breakdown (shared by the API and the exports).
pub async fn read(s: &AppState, session: &Session, q: &BreakdownQuery) -> ApiResult<BreakdownOut> {
    session.require(Permission::ViewStatistics)?;
    if q.key.is_some() || q.measure.is_some() || q.limit.is_some() {
        return Err(bad("key, measure and limit belong to /api/v1/stats/breakdown/cases"));
    }
    let by = parse_by(q)?;
    let en = english(q.lang.as_deref())?;
    let now = s.clock.now();
    let (current, other) = periods(q, now).map_err(bad)?;
    let groups = s.store.breakdown(by, current.from, current.to, now).await?;
    let earlier = match &other {
        Some(p) => s.store.breakdown(by, p.from, p.to, now).await?,
        None => vec![],
    };
    let overlap = matches!(by, By::Force | By::Responder);
    // Each case once in the total, even where groups overlap.
    let total = if overlap {
        sum(&s.store.breakdown(By::Priority, current.from, current.to, now).await?)
    } else {
        sum(&groups)
    };
    let total_then = match (&other, overlap) {
        (Some(p), true) => sum(&s.store.breakdown(By::Priority, p.from, p.to, now).await?),
        _ => sum(&earlier),
    };
    let names = labels(s, by, en).await?;
    let then: HashMap<&str, &Group> = earlier.iter().map(|g| (g.key.as_str(), g)).collect();
    let compared = other.is_some();
    let rows: Vec<GroupOut> = groups
        .iter()
        .map(|g| {
            group_out(
                g,
                names.get(&g.key).cloned().unwrap_or_else(|| g.key.clone()),
                then.get(g.key.as_str()).copied(),
                compared,
            )
        })
        .collect();
    let ranking = rank(&rows);
    Ok(BreakdownOut {
        by: by.as_str().into(),
        period: period_out(&current),
        compare: q.compare.clone().unwrap_or_else(|| "yoy".into()),
        compared_with: other.as_ref().map(period_out),
        as_of: wire::time(now),
        counts_overlap: overlap,
        total: group_out(&total, if en { "Total".into() } else { "合计".into() }, Some(&total_then), compared),
        rows,
        ranking,
    })
}

/// Cases of a period grouped by one dimension, with their counts and rates, the comparison and
/// the ranking.
#[utoipa::path(get, path = "/api/v1/stats/breakdown", params(BreakdownQuery),
    responses((status = 200, body = BreakdownOut), (status = 400, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn breakdown(
    State(s): State<Arc<AppState>>,
    session: Session,
    ApiQuery(q): ApiQuery<BreakdownQuery>,
) -> ApiResult<Json<BreakdownOut>> {
    Ok(Json(read(&s, &session, &q).await?))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SliceOut {
    /// How many cases are behind the figure (within the caller's scope).
    pub total: i64,
    /// The newest of them, as the case list shows them.
    pub cases: Vec<crate::wire::CaseOut>,
}

/// The cases behind one figure of a breakdown: `by`, `key` (the group; absent for the total),
/// `measure` and the period, within the caller's scope.
#[utoipa::path(get, path = "/api/v1/stats/breakdown/cases", params(BreakdownQuery),
    responses((status = 200, body = SliceOut), (status = 400, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn cases(
    State(s): State<Arc<AppState>>,
    session: Session,
    ApiQuery(q): ApiQuery<BreakdownQuery>,
) -> ApiResult<Json<SliceOut>> {
    session.require(Permission::ViewStatistics)?;
    session.require(Permission::ViewCases)?;
    let by = parse_by(&q)?;
    english(q.lang.as_deref())?;
    let measure = match q.measure.as_deref() {
        None => Measure::All,
        Some(m) => Measure::parse(m).ok_or_else(|| {
            bad(format!(
                "measure {m:?}: one of {}",
                Measure::ALL.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(", ")
            ))
        })?,
    };
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(bad("limit must be 1 to 200"));
    }
    let now = s.clock.now();
    let (current, _) = periods(&BreakdownQuery { compare: Some("none".into()), ..q.clone() }, now).map_err(bad)?;
    let within: Option<Vec<String>> = match session.role().scope() {
        Scope::All => None,
        Scope::Station => Some(
            session
                .user
                .station
                .as_ref()
                .and_then(|st| s.station_grids.get(st))
                .map_or(vec![], |g| g.iter().map(|c| c.to_string()).collect()),
        ),
        Scope::Grid => Some(session.user.grid.iter().cloned().collect()),
        Scope::OwnReports => return Err(ApiError::forbidden("statistics are for staff")),
    };
    let (list, total) = s
        .store
        .breakdown_cases(by, q.key.as_deref(), measure, current.from, current.to, now, limit, within.as_deref())
        .await?;
    let cases = super::cases::outs(&s, &session, &list).await?;
    Ok(Json(SliceOut { total, cases }))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StationOut {
    pub code: String,
    /// `station` (joint-duty police station) or `centre` (the command centre).
    pub kind: String,
    /// In the asked language.
    pub name: String,
    /// Responders of the station on duty (not off duty), and of them free now.
    pub on_duty: i64,
    pub available: i64,
    /// Open cases in the station's grids, and of them those past a deadline.
    pub open: i64,
    pub overdue: i64,
    /// Reported today (Beijing) in its grids, and how today's promises fared.
    pub today: i64,
    pub on_site_kept: i64,
    pub on_site_missed: i64,
    pub on_site_rate: Option<f64>,
    pub close_kept: i64,
    pub close_missed: i64,
    pub close_rate: Option<f64>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct StationsQuery {
    /// zh (default) or en.
    pub lang: Option<String>,
}

/// Each joint-duty station (and the command centre) as the big screen shows it: people on
/// duty, open and overdue cases in its grids, and today's rates with their samples.
#[utoipa::path(get, path = "/api/v1/stats/stations", params(StationsQuery),
    responses((status = 200, body = [StationOut]), (status = 400, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn stations(
    State(s): State<Arc<AppState>>,
    session: Session,
    ApiQuery(q): ApiQuery<StationsQuery>,
) -> ApiResult<Json<Vec<StationOut>>> {
    session.require(Permission::ViewStatistics)?;
    let en = english(q.lang.as_deref())?;
    let now = s.clock.now();
    let today = midnight(now.with_timezone(&beijing()).date_naive());
    let station_of: HashMap<String, String> =
        s.grids.values().map(|g| (g.code.to_string(), g.station.clone())).collect();
    let responders = s.store.responders().await?;
    let open = s.store.open_by_grid(now).await?;
    let groups = s.store.breakdown(By::Station, today, now, now).await?;
    let out = s
        .stations
        .iter()
        .map(|st| {
            let mine = responders.iter().filter(|r| r.station == st.code);
            let (on_duty, available) = mine.fold((0, 0), |(d, a), r| {
                (d + i64::from(r.status != "off_duty"), a + i64::from(r.status == "available"))
            });
            let (o, late) = open
                .iter()
                .filter(|(g, _, _)| station_of.get(g) == Some(&st.code))
                .fold((0, 0), |(o, l), (_, n, d)| (o + n, l + d));
            let g = groups.iter().find(|g| g.key == st.code).cloned().unwrap_or_default();
            StationOut {
                code: st.code.clone(),
                kind: st.kind.clone(),
                name: if en { st.name_en.clone() } else { st.name_zh.clone() },
                on_duty,
                available,
                open: o,
                overdue: late,
                today: g.count,
                on_site_kept: g.on_site.0,
                on_site_missed: g.on_site.1,
                on_site_rate: ratio(g.on_site.0, g.on_site.0 + g.on_site.1),
                close_kept: g.close.0,
                close_missed: g.close.1,
                close_rate: ratio(g.close.0, g.close.0 + g.close.1),
            }
        })
        .collect();
    Ok(Json(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(period: &str, date: &str, compare: &str) -> BreakdownQuery {
        BreakdownQuery {
            by: "grid".into(),
            period: Some(period.into()),
            date: Some(date.into()),
            from: None,
            to: None,
            compare: Some(compare.into()),
            lang: None,
            key: None,
            measure: None,
            limit: None,
        }
    }

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn calendar_periods_start_on_beijing_midnight() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 18).unwrap(); // a Wednesday
        let ymd = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(calendar_period("week", d), Some((ymd(2026, 11, 16), ymd(2026, 11, 23))));
        assert_eq!(calendar_period("quarter", d), Some((ymd(2026, 10, 1), ymd(2027, 1, 1))));
        assert_eq!(calendar_period("year", d), Some((ymd(2026, 1, 1), ymd(2027, 1, 1))));
        assert_eq!(calendar_period("fortnight", d), None);
        let now = t("2026-12-01T00:00:00Z");
        let (p, _) = periods(&q("month", "2026-11-18", "none"), now).unwrap();
        assert_eq!((p.from, p.to), (t("2026-10-31T16:00:00Z"), t("2026-11-30T16:00:00Z")));
    }

    #[test]
    fn a_period_under_way_is_compared_over_the_same_stretch() {
        // Ten and a half days into November (Beijing).
        let now = t("2026-11-11T04:00:00Z");
        let (p, yoy) = periods(&q("month", "2026-11-11", "yoy"), now).unwrap();
        assert_eq!(p.to, now);
        let yoy = yoy.unwrap();
        assert_eq!(yoy.from, t("2025-10-31T16:00:00Z"));
        assert_eq!(yoy.to, t("2025-11-11T04:00:00Z"));
        let (_, pop) = periods(&q("month", "2026-11-11", "pop"), now).unwrap();
        let pop = pop.unwrap();
        assert_eq!(
            (pop.from, pop.to, pop.end),
            (t("2026-09-30T16:00:00Z"), t("2026-10-11T04:00:00Z"), t("2026-10-31T16:00:00Z"))
        );
        assert!(periods(&q("month", "2027-01-05", "yoy"), now).is_err());
        assert!(periods(&q("decade", "2026-01-05", "yoy"), now).is_err());
    }

    #[test]
    fn rates_change_in_points_and_counts_in_percent() {
        let g = Group { key: "a".into(), count: 12, close: (9, 3), ..Default::default() };
        let e = Group { key: "a".into(), count: 8, close: (4, 4), ..Default::default() };
        let o = group_out(&g, "A".into(), Some(&e), true);
        assert_eq!(o.close_rate, Some(0.75));
        assert_eq!(o.close_rate_change_pp, Some(25.0));
        assert_eq!(o.count_change_pct, Some(50.0));
        let fresh = group_out(&g, "A".into(), None, true);
        assert_eq!(fresh.count_change_pct, None, "nothing a year ago: no percentage");
    }

    #[test]
    fn rankings_skip_small_samples() {
        let row = |k: &str, kept, missed| {
            group_out(
                &Group { key: k.into(), count: kept + missed, close: (kept, missed), ..Default::default() },
                k.into(),
                None,
                false,
            )
        };
        let rows = vec![row("tiny", 0, 1), row("good", 9, 1), row("bad", 3, 7), row("mid", 5, 5), row("fair", 7, 3)];
        let r = rank(&rows);
        assert_eq!(r.best, ["good", "fair"]);
        assert_eq!(r.worst, ["bad", "mid"]);
        let many: Vec<GroupOut> = (0..12).map(|i| row(&format!("g{i:02}"), 10 - i % 10, i % 10)).collect();
        assert_eq!(rank(&many).best.len(), RANK_LEN);
    }
}
