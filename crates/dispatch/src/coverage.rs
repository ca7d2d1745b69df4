//! Coverage of the area by free responders: which demand points each can reach within the
//! promise, what the area loses when one of them leaves (DMEXCLP's expected coverage, the cost
//! the simulator's `coverage` and `triage` policies rank by), and the points only they reach.
//! Pure: travel times come from the [`Travel`] given.

use crate::{Candidate, Travel};
use domain::geo::LatLng;

/// For each candidate, which of `points` it reaches within `within` seconds at `hour`.
pub fn reach_table(
    candidates: &[Candidate],
    points: &[LatLng],
    travel: &dyn Travel,
    hour: u32,
    within: f64,
) -> Vec<Vec<bool>> {
    candidates
        .iter()
        .map(|c| {
            points
                .iter()
                .map(|p| {
                    travel.lower_bound_seconds(&c.position, p, c.mode, hour) <= within
                        && travel.route(&c.position, p, c.mode, hour).eta_seconds <= within
                })
                .collect()
        })
        .collect()
}

/// DMEXCLP: the expected coverage the area loses if `leaving` goes. `reaches(i, p)` says
/// whether unit `i` reaches point `p` in time; `free` are the free units of the same force
/// (the leaving one among them); `weights` the points' shares of demand; `busy_share` the
/// assumed share of time a unit is busy (q).
pub fn coverage_loss(
    leaving: usize,
    reaches: &dyn Fn(usize, usize) -> bool,
    free: &[usize],
    weights: &[f64],
    busy_share: f64,
) -> f64 {
    let mut loss = 0.0;
    for (p, w) in weights.iter().enumerate() {
        if !reaches(leaving, p) {
            continue;
        }
        let k = free.iter().filter(|i| reaches(**i, p)).count().max(1);
        loss += w * (1.0 - busy_share) * busy_share.powi(k as i32 - 1);
    }
    loss
}

/// The points only `leaving` reaches in time among `free`: what nobody would cover if it went.
pub fn sole_cover(leaving: usize, reaches: &dyn Fn(usize, usize) -> bool, free: &[usize], points: usize) -> Vec<usize> {
    (0..points).filter(|p| reaches(leaving, *p) && !free.iter().any(|i| *i != leaving && reaches(*i, *p))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two units and three points: unit 0 alone reaches point 0, both reach point 1, unit 1
    /// alone reaches point 2 (computed by hand with q = 0.5, weights 1).
    #[test]
    fn the_cost_of_leaving_by_hand() {
        let table = [[true, true, false], [false, true, true]];
        let reaches = |i: usize, p: usize| table[i][p];
        let free = [0, 1];
        let w = [1.0, 1.0, 1.0];
        // Point 0: only unit 0 → 1 · 0.5 · 0.5⁰ = 0.5; point 1: two units → 1 · 0.5 · 0.5¹ = 0.25.
        assert!((coverage_loss(0, &reaches, &free, &w, 0.5) - 0.75).abs() < 1e-12);
        assert_eq!(sole_cover(0, &reaches, &free, 3), vec![0]);
        assert_eq!(sole_cover(1, &reaches, &free, 3), vec![2]);
        // Alone on duty, unit 0 leaves points 0 and 1 uncovered.
        assert_eq!(sole_cover(0, &reaches, &[0], 3), vec![0, 1]);
    }
}
