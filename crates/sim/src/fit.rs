//! Demand fitted from what happened: a street's own case history (grids, hours, categories
//! and times on scene) in place of the scenario's written demand. The place, the stations,
//! the roster and the promises stay the scenario's.

use chrono::Timelike;
use domain::Timestamp;
use scenario::{OnScene, Scenario, Stream, StreamCategories};

/// One case of the history as the fit reads it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub category: String,
    pub grid: String,
    pub at: Timestamp,
    /// From arrival to the first feedback (the work on scene), when both happened.
    pub on_scene_seconds: Option<f64>,
}

/// Fewest cases a fit is made from.
pub const CASES_MIN: usize = 50;
/// Fewest times on scene a category's own distribution is fitted from; with fewer it keeps
/// the scenario's.
const ON_SCENE_SAMPLES_MIN: usize = 20;
/// A time on scene longer than this is a case left open, not work on scene.
const ON_SCENE_SECONDS_MAX: f64 = 6.0 * 3600.0;

/// What the fit learned, for the note and the what-if page.
#[derive(Debug, Clone, PartialEq)]
pub struct Fitted {
    pub cases: usize,
    pub cases_per_day: f64,
    /// Categories whose time on scene was fitted.
    pub on_scene_fitted: usize,
}

/// The scenario with its demand fitted from `seen`, `days` days of history.
pub fn fit(sc: &Scenario, seen: &[Seen], days: f64) -> Result<(Scenario, Fitted), String> {
    if seen.len() < CASES_MIN || !(days > 0.0) {
        return Err(format!("too little history to fit: {} cases in {days} days (at least {CASES_MIN})", seen.len()));
    }
    let mut out = sc.clone();
    let per_day = seen.len() as f64 / days;
    // Hours of the local day (China Standard Time), smoothed by half a case each.
    let mut hours = [0.5_f64; 24];
    for s in seen {
        hours[(s.at + chrono::Duration::hours(8)).hour() as usize] += 1.0;
    }
    let mean = hours.iter().sum::<f64>() / 24.0;
    out.demand.hourly_profile = hours.iter().map(|h| h / mean).collect();
    out.demand.cases_per_day = per_day;
    // Grids by their cases; a grid with none keeps a tenth of a case.
    out.grid_weights =
        sc.grids.iter().map(|g| 0.1 + seen.iter().filter(|s| s.grid == g.code.as_str()).count() as f64).collect();
    // Categories by their cases, one stream of them all.
    for c in &mut out.categories {
        c.weight = seen.iter().filter(|s| s.category == c.category.code.as_str()).count() as f64;
    }
    if out.categories.iter().all(|c| c.weight == 0.0) {
        return Err("none of the history's categories is in the catalogue".into());
    }
    out.demand.history.streams = [(
        "fitted".to_owned(),
        Stream {
            source: "mixed".into(),
            categories: StreamCategories::Weighted("weighted".into()),
            current_per_day: per_day,
            previous_per_day: per_day,
        },
    )]
    .into_iter()
    .collect();
    // Times on scene: a log-normal with the sample's mean and spread.
    let mut on_scene_fitted = 0;
    for c in &mut out.categories {
        let v: Vec<f64> = seen
            .iter()
            .filter(|s| s.category == c.category.code.as_str())
            .filter_map(|s| s.on_scene_seconds)
            .filter(|x| *x > 0.0 && *x <= ON_SCENE_SECONDS_MAX)
            .collect();
        if v.len() < ON_SCENE_SAMPLES_MIN {
            continue;
        }
        let m = v.iter().sum::<f64>() / v.len() as f64;
        let sd = (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64).sqrt();
        c.on_scene = OnScene::LogNormal { mean: m, sd: sd.max(m * 0.01) };
        on_scene_fitted += 1;
    }
    Ok((out, Fitted { cases: seen.len(), cases_per_day: per_day, on_scene_fitted }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 100 cases over 10 days, all in one grid at 09:00 local (01:00 UTC), one category, on
    /// scene 20 or 30 minutes: ten a day, every weight there, the peak at nine, 25 ± 5 minutes.
    #[test]
    fn a_history_small_enough_to_count_by_hand() {
        let sc =
            scenario::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/linjiang")).unwrap();
        let grid = sc.grids[4].code.as_str().to_owned();
        let t0: Timestamp = "2026-11-01T01:00:00Z".parse().unwrap();
        let seen: Vec<Seen> = (0..100)
            .map(|i| Seen {
                category: "SJ0102".into(),
                grid: grid.clone(),
                at: t0 + chrono::Duration::days(i / 10) + chrono::Duration::minutes(i % 10),
                on_scene_seconds: Some(if i % 2 == 0 { 1200.0 } else { 1800.0 }),
            })
            .collect();
        let (fitted, what) = fit(&sc, &seen, 10.0).unwrap();
        assert_eq!((what.cases, what.cases_per_day, what.on_scene_fitted), (100, 10.0, 1));
        let total: f64 = fitted.grid_weights.iter().sum();
        assert!((fitted.grid_weights[4] - 100.1).abs() < 1e-9 && fitted.grid_weights[4] / total > 0.8);
        let peak = (0..24).max_by(|a, b| fitted.demand.hourly_profile[*a].total_cmp(&fitted.demand.hourly_profile[*b]));
        assert_eq!(peak, Some(9));
        // (100.5 of 112 half-cases land at nine: 24 × 100.5 / 112.)
        assert!((fitted.demand.hourly_profile[9] - 24.0 * 100.5 / 112.0).abs() < 1e-9);
        let c = fitted.categories.iter().find(|c| c.category.code.as_str() == "SJ0102").unwrap();
        match c.on_scene {
            OnScene::LogNormal { mean, sd } => {
                assert!((mean - 1500.0).abs() < 1e-9);
                // Sample standard deviation of 50 × 1200 and 50 × 1800: 300 × √(100/99).
                assert!((sd - 300.0 * (100.0_f64 / 99.0).sqrt()).abs() < 1e-9, "{sd}");
            }
            ref other => panic!("{other:?}"),
        }
        assert!(fitted.categories.iter().filter(|c| c.weight > 0.0).count() == 1);
        // The simulator runs on it: every call in that grid, about ten a day.
        let o = crate::Options { policy: crate::Policy::ClosestIdle, days: 3, seed: 1, demand_scale: 1.0 };
        let m = crate::run(&fitted, &o);
        assert!((20..=40).contains(&m.cases), "{}", m.cases);
        assert!(fit(&sc, &seen[..10], 1.0).unwrap_err().contains("too little history"));
    }
}
