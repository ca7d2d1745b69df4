//! What-if for leaders: the simulator run on the live street — the roster as it stands, each
//! person at their base, the grids and the catalogue, and demand fitted from the last 90 days
//! of cases — once as it is and once with one change (a unit more at a station, a station
//! moved, demand × k). Both runs see the same calls (the same seeds), so the difference is
//! the change's.

use crate::dispatching::{base, COVER_SECONDS};
use crate::App;
use dispatch::{Candidate, TravelMode};
use domain::category::Force;
use domain::geo::{LatLng, Polygon};
use scenario::{CategorySpec, Demand, HistorySpec, OnScene, Scenario, Settings};
use std::collections::BTreeMap;

/// Days of history demand is fitted from.
pub const HISTORY_DAYS: i64 = 90;
/// Runs per side at most (seeds), and days per run at most: a what-if answers in seconds.
pub const SEEDS_MAX: u64 = 5;
pub const DAYS_MAX: u32 = 3;

/// The one change tried.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// `count` more people of `force` at `station`, travelling by `mode`, on every shift.
    AddUnits { station: String, force: Force, mode: TravelMode, count: u32 },
    /// A station, and everyone based there, moved to a new place.
    MoveStation { station: String, to: LatLng },
    /// Demand multiplied.
    Demand { scale: f64 },
}

/// One side of the comparison.
#[derive(Debug, Clone)]
pub struct Side {
    pub metrics: sim::Metrics,
    pub late: usize,
    /// Per grid: how many first responders (police and patrol members, at their bases) reach
    /// its centre within the promise at 11:00.
    pub cover: BTreeMap<String, usize>,
}

#[derive(Debug, Clone)]
pub struct Outcome {
    pub before: Side,
    pub after: Side,
    pub fitted: sim::fit::Fitted,
}

/// Why a what-if cannot run, in words for the page.
#[derive(Debug, thiserror::Error)]
pub enum WhatIfError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] store::StoreError),
}

/// A case history as the fit reads it: on scene from arrival to the first feedback.
pub fn seen(history: &[store::stats::HistoryCase]) -> Vec<sim::fit::Seen> {
    history
        .iter()
        .map(|h| sim::fit::Seen {
            category: h.category.clone(),
            grid: h.grid.clone(),
            at: h.created_at,
            on_scene_seconds: h
                .on_site_at
                .zip(h.first_feedback_at)
                .map(|(a, b)| (b - a).num_milliseconds() as f64 / 1000.0),
        })
        .collect()
}

/// The live street as a scenario: demand fitted from the history.
pub async fn live_scenario(app: &App) -> Result<(Scenario, sim::fit::Fitted), WhatIfError> {
    let now = app.clock.now();
    let history = app.store.case_history(now - chrono::Duration::days(HISTORY_DAYS), now).await?;
    let seen = seen(&history);
    let mut responders = app.store.responders().await?;
    for r in &mut responders {
        // Everyone starts from their base, not where they happen to be now.
        let home = base(app, r);
        r.lat = home.map(|p| p.lat());
        r.lng = home.map(|p| p.lng());
    }
    let grids: Vec<store::Grid> = app.grids.values().cloned().collect();
    let sc = Scenario {
        dir: Default::default(),
        stations: app.stations.clone(),
        parks: vec![],
        grid_weights: vec![1.0; grids.len()],
        grids,
        categories: app
            .categories
            .values()
            .map(|c| CategorySpec {
                on_scene: OnScene::default_for(&c.tags),
                category: c.clone(),
                weight: 1.0,
                transport: None,
            })
            .collect(),
        responders,
        demand: Demand {
            cases_per_day: 1.0,
            hourly_profile: vec![1.0; 24],
            sources: Default::default(),
            weights: Default::default(),
            history: HistorySpec { days: 0, seed: 0, streams: Default::default() },
        },
        policy: app.policy.clone(),
        settings: Settings::default(),
    };
    sim::fit::fit(&sc, &seen, HISTORY_DAYS as f64).map_err(WhatIfError::Invalid)
}

/// The scenario with the change made.
pub fn apply(sc: &Scenario, change: &Change) -> Result<(Scenario, f64), WhatIfError> {
    let mut out = sc.clone();
    let station = |code: &str| {
        sc.stations
            .iter()
            .find(|s| s.code == code && s.kind == "station")
            .ok_or_else(|| WhatIfError::Invalid(format!("no station {code}")))
    };
    let mut scale = 1.0;
    match change {
        Change::AddUnits { station: code, force, mode, count } => {
            let st = station(code)?;
            if !(1..=20).contains(count) {
                return Err(WhatIfError::Invalid("count must be 1 to 20".into()));
            }
            let next = sc.responders.iter().map(|r| r.id).max().unwrap_or(0);
            for i in 0..*count {
                out.responders.push(store::Responder {
                    id: next + 1 + i as i64,
                    name: format!("+{}", i + 1),
                    force: *force,
                    station: code.clone(),
                    grid: None,
                    travel_mode: mode.as_str().into(),
                    // The skills of the first of that force on the roster.
                    skills: sc
                        .responders
                        .iter()
                        .find(|r| r.force == *force)
                        .map(|r| r.skills.clone())
                        .unwrap_or_default(),
                    shift: "all".into(),
                    status: "available".into(),
                    lat: Some(st.lat),
                    lng: Some(st.lng),
                    position_at: None,
                    user_id: None,
                });
            }
        }
        Change::MoveStation { station: code, to } => {
            station(code)?;
            if sc.served_area().locate(to).is_none() {
                return Err(WhatIfError::Invalid("the new place is outside the street".into()));
            }
            for s in &mut out.stations {
                if s.code == *code {
                    (s.lat, s.lng) = (to.lat(), to.lng());
                }
            }
            for r in &mut out.responders {
                if r.station == *code && r.grid.is_none() {
                    (r.lat, r.lng) = (Some(to.lat()), Some(to.lng()));
                }
            }
        }
        Change::Demand { scale: k } => {
            if !(k.is_finite() && *k > 0.0 && *k <= 5.0) {
                return Err(WhatIfError::Invalid("demand must be scaled by more than 0 and at most 5".into()));
            }
            scale = *k;
        }
    }
    Ok((out, scale))
}

/// Per grid, the first responders (police and patrol members) whose base reaches its centre
/// within [`COVER_SECONDS`] at 11:00.
pub fn cover(app: &App, sc: &Scenario) -> BTreeMap<String, usize> {
    let candidates: Vec<Candidate> = sc
        .responders
        .iter()
        .filter(|r| matches!(r.force, Force::Police | Force::PatrolMember))
        .filter_map(|r| {
            let at = LatLng::new(r.lat?, r.lng?).ok()?;
            crate::dispatching::candidate(r, at, true)
        })
        .collect();
    let points: Vec<LatLng> = sc
        .grids
        .iter()
        .map(|g| Polygon::new(g.ring.clone()).map_or(LatLng::new(0.0, 0.0).unwrap(), |p| p.centroid()))
        .collect();
    let table = dispatch::coverage::reach_table(&candidates, &points, app.travel.as_ref(), 11, COVER_SECONDS);
    sc.grids
        .iter()
        .enumerate()
        .map(|(p, g)| (g.code.as_str().to_owned(), table.iter().filter(|row| row[p]).count()))
        .collect()
}

/// Runs both sides: the default policy, `days` days, `seeds` seeds pooled.
pub async fn run(app: &App, change: &Change, days: u32, seeds: u64) -> Result<Outcome, WhatIfError> {
    if !(1..=DAYS_MAX).contains(&days) || !(1..=SEEDS_MAX).contains(&seeds) {
        return Err(WhatIfError::Invalid(format!("days 1–{DAYS_MAX} and seeds 1–{SEEDS_MAX}")));
    }
    let (before, fitted) = live_scenario(app).await?;
    let (after, scale) = apply(&before, change)?;
    let travel = app.travel.clone();
    let side = |sc: Scenario, scale: f64| {
        let travel = travel.clone();
        tokio::task::spawn_blocking(move || {
            let o = sim::Options { policy: sim::Policy::Triage, days, seed: 1, demand_scale: scale };
            sim::run_seeds(&sc, &o, seeds, travel.as_ref()).0
        })
    };
    let (m0, m1) = (side(before.clone(), 1.0).await, side(after.clone(), scale).await);
    let join = |e: tokio::task::JoinError| WhatIfError::Invalid(format!("the simulation failed: {e}"));
    let (m0, m1) = (m0.map_err(join)?, m1.map_err(join)?);
    let late = |m: &sim::Metrics| (m.late_fraction * m.cases as f64).round() as usize;
    Ok(Outcome {
        before: Side { late: late(&m0), cover: cover(app, &before), metrics: m0 },
        after: Side { late: late(&m1), cover: cover(app, &after), metrics: m1 },
        fitted,
    })
}
