//! Choosing who goes, for the server: the roster as dispatch candidates, recommendations,
//! auto-dispatch, the hand-over to the next candidate when someone declines or does not
//! answer in time, and move-up suggestions. The ranking itself is `dispatch::rank`, the same
//! code the simulator drives.

use crate::{workflow, App};
use chrono::Timelike;
use dispatch::{Candidate, Need, Ranked, TravelMode};
use domain::case::{Action, Case, Status};
use domain::category::Force;
use domain::codes::GridCode;
use domain::geo::{LatLng, Polygon};
use domain::Timestamp;
use std::collections::{HashMap, HashSet};
use store::{Responder, StoreError};

/// Seconds a responder may need to be on site for the 10-minute promise, after a minute for
/// accepting and deciding.
pub const ON_SITE_WITHIN_SECONDS: f64 = 540.0;

/// The local hour (China Standard Time, UTC+8) at `t`, for rush hours.
pub fn local_hour(t: Timestamp) -> u32 {
    (t + chrono::Duration::hours(8)).hour()
}

/// Where a responder is based: the grid for a grid worker, else the station.
pub fn base(state: &App, r: &Responder) -> Option<LatLng> {
    if let Some(g) = r.grid.as_deref().and_then(|g| state.grids.values().find(|x| x.code.as_str() == g)) {
        return Polygon::new(g.ring.clone()).map(|p| p.centroid());
    }
    let st = state.stations.iter().find(|s| s.code == r.station)?;
    LatLng::new(st.lat, st.lng).ok()
}

/// Where dispatch takes a responder to be: the last known place (a stale ping ages out but
/// its place is kept), or the base for someone who never sent one. The flag says whether the
/// position is fresh (younger than `position_stale_minutes`).
pub fn position(state: &App, r: &Responder, now: Timestamp) -> Option<(LatLng, bool)> {
    let stale = chrono::Duration::minutes(state.dispatch.position_stale_minutes as i64);
    match (r.lat, r.lng) {
        (Some(lat), Some(lng)) => {
            let fresh = r.position_at.is_some_and(|at| now - at <= stale);
            LatLng::new(lat, lng).ok().map(|p| (p, fresh))
        }
        _ => base(state, r).map(|p| (p, false)),
    }
}

/// One person on the roster as a dispatch candidate at `position`; `None` for an unknown
/// travel mode.
pub fn candidate(r: &Responder, position: LatLng, available: bool) -> Option<Candidate> {
    Some(Candidate {
        id: r.id,
        force: r.force,
        mode: TravelMode::parse(&r.travel_mode)?,
        position,
        available,
        skills: r.skills.clone(),
    })
}

/// The roster as dispatch sees it: free when their status says available and they hold no
/// current assignment (`busy`).
pub fn candidates(state: &App, roster: &[Responder], busy: &HashSet<i64>, now: Timestamp) -> Vec<Candidate> {
    roster
        .iter()
        .filter_map(|r| candidate(r, position(state, r, now)?.0, r.status == "available" && !busy.contains(&r.id)))
        .collect()
}

/// The forces and skills a case's category needs.
pub fn needs(state: &App, case: &Case) -> Vec<Need> {
    state.categories.get(&case.category).map(|c| Need::of(&c.forces, &c.skills)).unwrap_or_default()
}

/// The best `per_force` for each of `needs`, leaving out `exclude` (people who already
/// declined).
pub async fn rank_case(
    state: &App,
    case: &Case,
    needs: &[Need],
    per_force: usize,
    exclude: &HashSet<i64>,
) -> Result<(Vec<Ranked>, Vec<Responder>), StoreError> {
    let roster = state.store.responders().await?;
    let mut busy = state.store.busy_responders().await?;
    busy.extend(exclude);
    let now = state.clock.now();
    let candidates = candidates(state, &roster, &busy, now);
    let ranked = dispatch::rank(&case.location, needs, &candidates, state.travel.as_ref(), local_hour(now), per_force);
    Ok((ranked, roster))
}

/// Seconds of travel that keep the on-site promise after the decision minute: the coverage
/// standard (a grid is covered when someone free reaches its centre this fast).
pub const COVER_SECONDS: f64 = 540.0;

/// What one free responder's leaving would cost the street.
#[derive(Debug, Clone, Default)]
pub struct Cost {
    /// Grids nobody else free of the same force would reach within [`COVER_SECONDS`].
    pub uncovered: Vec<GridCode>,
    /// The share of demand's expected coverage lost (DMEXCLP, grids weighed by their cases of
    /// the last 90 days, [`grid_shares`]).
    pub loss: f64,
}

/// Assumed share of time a responder is busy, for the expected coverage (DMEXCLP's q; the
/// simulator's too).
const BUSY_SHARE: f64 = 0.3;

/// Days of cases the grids' shares of demand are counted over.
const SHARE_DAYS: i64 = 90;

/// The street's demand as dispatch weighs it, from the cases of the last 90 days.
#[derive(Debug, Clone, Default)]
pub struct Demand {
    /// Each grid's share: its cases (a tenth of a case for a grid with none), summing to one.
    pub grid_shares: HashMap<GridCode, f64>,
    /// Per force, the cases a second that need it at each local hour (a joint category counts
    /// for each of its forces).
    pub force_per_second: HashMap<Force, [f64; 24]>,
}

/// The last 90 days' demand ([`Demand`]), counted at most once an hour.
pub async fn demand(state: &App) -> Result<Demand, StoreError> {
    let now = state.clock.now();
    if let Some((at, d)) = state.demand_shares.lock().expect("not poisoned").as_ref() {
        if *at <= now && now - *at < chrono::Duration::hours(1) {
            return Ok(d.clone());
        }
    }
    let from = now - chrono::Duration::days(SHARE_DAYS);
    let counts: HashMap<String, i64> =
        state.store.counts_by(store::stats::Dimension::Grid, from, now).await?.into_iter().collect();
    let raw: Vec<(GridCode, f64)> =
        state.grids.keys().map(|g| (g.clone(), 0.1 + counts.get(g.as_str()).copied().unwrap_or(0) as f64)).collect();
    let total: f64 = raw.iter().map(|x| x.1).sum();
    let grid_shares = raw.into_iter().map(|(g, w)| (g, w / total.max(f64::MIN_POSITIVE))).collect();
    // Cases a second per force over the period, shaped by the hour of the day the cases came.
    let by_category = state.store.counts_by(store::stats::Dimension::Category, from, now).await?;
    let by_hour = state.store.breakdown(store::stats::By::Hour, from, now, now).await?;
    let all: i64 = by_hour.iter().map(|g| g.count).sum();
    let hour_factor: [f64; 24] = std::array::from_fn(|h| {
        let n = by_hour.iter().find(|g| g.key.parse::<usize>().ok() == Some(h)).map_or(0, |g| g.count);
        if all > 0 {
            24.0 * n as f64 / all as f64
        } else {
            1.0
        }
    });
    let seconds = (SHARE_DAYS * 86_400) as f64;
    let mut force_per_second: HashMap<Force, [f64; 24]> = HashMap::new();
    for (code, n) in by_category {
        let Some(c) = state.categories.iter().find(|(k, _)| k.as_str() == code).map(|x| x.1) else { continue };
        for f in &c.forces {
            let rate = force_per_second.entry(*f).or_insert([0.0; 24]);
            for (h, r) in rate.iter_mut().enumerate() {
                *r += n as f64 / seconds * hour_factor[h];
            }
        }
    }
    let d = Demand { grid_shares, force_per_second };
    *state.demand_shares.lock().expect("not poisoned") = Some((now, d.clone()));
    Ok(d)
}

/// Each grid's share of demand: its cases of the last 90 days ([`demand`]).
pub async fn grid_shares(state: &App) -> Result<HashMap<GridCode, f64>, StoreError> {
    Ok(demand(state).await?.grid_shares)
}

/// The on-time calls of `force` the street can expect to lose while one of it whose leaving
/// costs `loss` (a share of expected coverage) is away `trip_seconds` from `now`: the
/// simulator's measure (`dispatch::policy::Leaving::calls_lost`).
pub fn calls_lost(d: &Demand, force: Force, loss: f64, trip_seconds: f64, now: Timestamp) -> f64 {
    let rate = d.force_per_second.get(&force).map_or(0.0, |r| r[local_hour(now) as usize]);
    loss * rate * trip_seconds
}

/// Seconds a responder is expected to stay on scene at a case of this category: the
/// simulator's default (25 minutes, 45 for disputes).
pub fn on_scene_seconds(state: &App, case: &Case) -> f64 {
    state.categories.get(&case.category).map_or(1500.0, |c| scenario::OnScene::default_for(&c.tags).mean())
}

/// Open cases read for the waiting count, at most: more than a street has open at once.
pub const OPEN_CASES_MAX: i64 = 5_000;

/// Of the `open` cases (`store.open_cases`), the others that need `force` and have nobody of
/// it sent nor anyone on site: the calls a wait for one more makes wait too.
pub fn waiting_for(
    state: &App,
    open: &[Case],
    roster: &[Responder],
    force: Force,
    except: domain::case::CaseId,
) -> usize {
    let of_force = |id: i64| roster.iter().any(|r| r.id == id && r.force == force);
    open.iter()
        .filter(|c| c.id != except && matches!(c.status, Status::New | Status::Accepted | Status::Dispatched))
        .filter(|c| state.categories.get(&c.category).is_some_and(|k| k.forces.contains(&force)))
        .filter(|c| c.assignments.iter().all(|a| a.arrived_at.is_none()))
        .filter(|c| !c.assignments.iter().any(|a| a.is_current() && of_force(a.responder_id)))
        .count()
}

/// For each of `ids` (free responders), what their leaving now would cost
/// (`dispatch::coverage`). `roster` is the one the recommendations were ranked from.
/// `busy` are those holding a current assignment.
pub async fn cost_if_sent(
    state: &App,
    roster: &[Responder],
    busy: &HashSet<i64>,
    ids: &[i64],
) -> Result<HashMap<i64, Cost>, StoreError> {
    let now = state.clock.now();
    let free: Vec<Candidate> = candidates(state, roster, &busy, now).into_iter().filter(|c| c.available).collect();
    let grids: Vec<(&GridCode, LatLng)> =
        state.grids.iter().filter_map(|(code, g)| Some((code, Polygon::new(g.ring.clone())?.centroid()))).collect();
    let points: Vec<LatLng> = grids.iter().map(|g| g.1).collect();
    let shares = grid_shares(state).await?;
    let weights: Vec<f64> = grids.iter().map(|g| shares.get(g.0).copied().unwrap_or(0.0)).collect();
    let mut out = HashMap::new();
    // One reach table per force, shared by everyone of it.
    let mut tables: HashMap<domain::category::Force, (Vec<Candidate>, Vec<Vec<bool>>)> = HashMap::new();
    for id in ids {
        let Some(me) = free.iter().find(|c| c.id == *id) else { continue };
        let (same, table) = tables.entry(me.force).or_insert_with(|| {
            let same: Vec<Candidate> = free.iter().filter(|c| c.force == me.force).cloned().collect();
            let table =
                dispatch::coverage::reach_table(&same, &points, state.travel.as_ref(), local_hour(now), COVER_SECONDS);
            (same, table)
        });
        let leaving = same.iter().position(|c| c.id == *id).expect("among the free");
        let all: Vec<usize> = (0..same.len()).collect();
        let reaches = |i: usize, p: usize| table[i][p];
        let sole = dispatch::coverage::sole_cover(leaving, &reaches, &all, points.len());
        let loss = dispatch::coverage::coverage_loss(leaving, &reaches, &all, &weights, BUSY_SHARE);
        out.insert(*id, Cost { uncovered: sole.into_iter().map(|p| grids[p].0.clone()).collect(), loss });
    }
    Ok(out)
}

/// Whether `force` is busy now: fewer than [`dispatch::policy::BUSY_FREE_SHARE`] of those of
/// it on duty are free.
/// `busy` are those holding a current assignment.
pub fn force_busy(roster: &[Responder], busy: &HashSet<i64>, force: domain::category::Force) -> bool {
    let duty: Vec<&Responder> = roster.iter().filter(|r| r.force == force && r.status != "off_duty").collect();
    let free = duty.iter().filter(|r| r.status == "available" && !busy.contains(&r.id)).count();
    (free as f64) < dispatch::policy::BUSY_FREE_SHARE * duty.len() as f64
}

/// Plain words on why a candidate is proposed, as the street reads them: "综管队员 李杰：驾车
/// 1.8公里，约5分钟，传化公路港警务站".
pub fn reason(state: &App, r: &Ranked, who: &Responder) -> String {
    let fresh = position(state, who, state.clock.now()).is_some_and(|p| p.1);
    let station =
        state.stations.iter().find(|s| s.code == who.station).map_or(who.station.as_str(), |s| s.name_zh.as_str());
    let mode = match who.travel_mode.as_str() {
        "car" => "驾车",
        "ebike" | "e_bike" | "scooter" => "骑电动车",
        "bike" | "bicycle" => "骑车",
        "foot" | "walk" => "步行",
        _ => "",
    };
    let how = if state.travel.describe().contains("road") { "沿道路" } else { "直线估算" };
    format!(
        "{} {}：{}{}{:.1}公里，约{}分钟，{}{}",
        force_zh(r.force),
        who.name,
        mode,
        how,
        r.distance_metres / 1000.0,
        (r.eta_seconds / 60.0).ceil(),
        station,
        if fresh { "" } else { "（位置为最近一次上报）" }
    )
}

/// A force in the street's words.
pub fn force_zh(f: domain::category::Force) -> &'static str {
    use domain::category::Force as F;
    match f {
        F::Police => "民警",
        F::GridWorker => "网格员",
        F::PatrolMember => "综管队员",
        F::EnterpriseSecurity => "企业安保",
        F::TrafficPolice => "交警",
        F::CityManagement => "城管",
        F::GasCompany => "燃气公司",
        F::MarketRegulator => "市场监管",
        F::Mediator => "调解员",
        // Only a scenario brought into the simulator declares one.
        F::Local(name) => name,
    }
}

/// Sends the best candidate of each need, as the platform: accepts first when the case is new.
/// Used for categories set to auto-dispatch. Nobody free: the case waits for a dispatcher.
pub async fn auto_dispatch(state: &App, case: Case) -> Result<Case, StoreError> {
    let mut case = case;
    if case.status == Status::New {
        case = act(state, &case, Action::Accept, "系统自动受理").await?;
    }
    let (ranked, _) = rank_case(state, &case, &needs(state, &case), 1, &HashSet::new()).await?;
    if ranked.is_empty() {
        return Ok(case);
    }
    let responders: Vec<i64> = ranked.iter().map(|r| r.id).collect();
    act(state, &case, Action::Dispatch { responders }, "系统自动派单").await
}

/// Takes one step on `case` as the platform's dispatcher, with `note`, and commits it.
async fn act(state: &App, case: &Case, action: Action, note: &str) -> Result<Case, StoreError> {
    let now = state.clock.now().max(case.updated_at);
    let after = domain::case::apply(case, &action, &workflow::dispatch_actor(), Some(note), now)
        .map_err(|e| StoreError::Conflict(e.to_string()))?;
    workflow::commit(state, case, after).await
}

/// After `declined` declined or did not answer: sends the next candidate of the same force
/// who has not been sent to this case before. `None` when nobody is free (the dispatch
/// promise's escalation then brings a dispatcher in).
pub async fn hand_over(state: &App, case_id: i64, declined: i64) -> Result<Option<Case>, StoreError> {
    let case = state.store.get_case(case_id).await?;
    if !matches!(case.status, Status::Accepted | Status::Dispatched | Status::OnSite | Status::InProgress) {
        return Ok(None);
    }
    let force = state.store.responder(declined).await?.force;
    let tried: HashSet<i64> = case.assignments.iter().map(|a| a.responder_id).collect();
    // Only the declined one's force, with the skills the category asks of it.
    let need: Vec<Need> = needs(state, &case).into_iter().filter(|n| n.force == force).collect();
    let (ranked, roster) = rank_case(state, &case, &need, 1, &tried).await?;
    let Some(next) = ranked.first() else {
        return Ok(None);
    };
    let who = roster.iter().find(|x| x.id == next.id).expect("ranked from the roster");
    let before = state.store.responder(declined).await?.name;
    let note = format!("{before}未接单或拒单，自动改派给{}", reason(state, next, who));
    act(state, &case, Action::Dispatch { responders: vec![next.id] }, &note).await.map(Some)
}

/// Records "no answer" for the responders whose time to answer has run out, and hands the
/// case over to the next candidate for each. Whether anyone had run out of time.
pub async fn expire_answers(state: &App, case: &Case) -> Result<bool, StoreError> {
    let now = state.clock.now().max(case.updated_at);
    let due = domain::case::unanswered_due(case, now);
    if due.is_empty() {
        return Ok(false);
    }
    let mut after = case.clone();
    for r in &due {
        after = domain::case::apply(
            &after,
            &Action::Decline { responder: *r },
            &workflow::dispatch_actor(),
            Some(&format!("{}秒内未接单", state.dispatch.answer_seconds)),
            now,
        )
        .map_err(|e| StoreError::Conflict(e.to_string()))?;
    }
    workflow::commit(state, case, after).await?;
    for r in due {
        hand_over(state, case.id, r).await?;
    }
    Ok(true)
}

/// Where idle responders should wait so that every grid stays within ten minutes of someone
/// of each force: at most `per_force` moves per force.
pub async fn move_ups(
    state: &App,
    per_force: usize,
) -> Result<Vec<(Responder, LatLng, String, dispatch::MoveUp)>, StoreError> {
    let roster = state.store.responders().await?;
    let busy = state.store.busy_responders().await?;
    let now = state.clock.now();
    let candidates = candidates(state, &roster, &busy, now);
    let grids: Vec<(String, LatLng)> = state
        .grids
        .values()
        .filter_map(|g| Some((g.name_zh.clone(), Polygon::new(g.ring.clone())?.centroid())))
        .collect();
    let points: Vec<(LatLng, f64)> = grids.iter().map(|g| (g.1, 1.0)).collect();
    let mut out = vec![];
    // Forces that patrol an area; partner agencies answer from their offices.
    for force in [domain::category::Force::Police, domain::category::Force::PatrolMember] {
        let idle: Vec<Candidate> = candidates.iter().filter(|c| c.available && c.force == force).cloned().collect();
        for m in dispatch::move_ups(
            &points,
            &idle,
            state.travel.as_ref(),
            local_hour(now),
            ON_SITE_WITHIN_SECONDS,
            per_force,
        ) {
            let who = roster.iter().find(|r| r.id == m.id).expect("idle from the roster").clone();
            out.push((who, grids[m.to].1, grids[m.to].0.clone(), m));
        }
    }
    Ok(out)
}
