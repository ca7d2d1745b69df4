//! The hindsight bound: the fewest late arrivals any dispatch policy could have on a run's
//! calls, knowing every call in advance.
//!
//! In the simulation a unit leaves from its base, so a call `j` can be on time only through a
//! unit `u` of one of its forces whose trip from base takes `τ ≤ 540 s` (after the decision
//! minute). Whenever `u` is sent, it is busy at least over the *core* interval
//! `[t_j + 600 − τ, t_j + 60 + τ + service_j + return]` — whatever the moment it is sent — so
//! two calls kept on time by one unit need disjoint cores. Counting the most calls that can be
//! kept on time that way (and ignoring the work of late calls and of second forces, which can
//! only help) bounds the on-time count from above, so `calls − that` bounds late arrivals from
//! below for every policy, online or offline.
//!
//! That maximum is a job-interval selection problem. Its Lagrangian relaxation of "at most one
//! unit per call" splits into one weighted interval scheduling per unit (a dynamic program),
//! and any multipliers give a valid upper bound; subgradient steps tighten it to the linear
//! programming bound. A greedy schedule read off each step shows how close the bound is.

use crate::{hour_of, on_duty, Call, Unit, DISPATCH_DELAY_SECONDS};
use dispatch::{Travel, TravelModel};
use std::collections::BTreeMap;

/// Subgradient steps at most.
const ITERATIONS_MAX: usize = 400;

/// What the bound found.
#[derive(Debug, Clone)]
pub struct Bound {
    /// Late arrivals no policy can avoid.
    pub late: usize,
    /// The same bound computed for the calls of each priority alone.
    pub late_by_priority: BTreeMap<&'static str, usize>,
    /// Per call, the soonest anyone could be on site (seconds after the report).
    pub response: Vec<f64>,
    /// Late arrivals of the best schedule found that keeps the cores apart (the bound is
    /// exact when this equals `late`).
    pub late_found: usize,
}

/// One way a call can be kept on time: unit, call, core interval.
#[derive(Debug, Clone, Copy)]
struct Pair {
    unit: usize,
    call: usize,
    start: f64,
    end: f64,
}

/// The pairs of each unit sorted by end, with for each the number of earlier pairs that end
/// before it starts.
struct Machine {
    pairs: Vec<Pair>,
    before: Vec<usize>,
}

fn pairs(calls: &[Call], units: &[Unit], travel: &dyn Travel) -> (Vec<Pair>, Vec<f64>) {
    let setoff = TravelModel::default().setoff_seconds;
    let mut out = vec![];
    let mut response = vec![f64::NAN; calls.len()];
    for (c, call) in calls.iter().enumerate() {
        // Each call's own on-site promise.
        let travel_max = call.on_site_seconds - DISPATCH_DELAY_SECONDS;
        let (first, last) = (call.at + DISPATCH_DELAY_SECONDS, call.at + call.on_site_seconds);
        for (u, unit) in units.iter().enumerate() {
            if !call.needs.iter().any(|n| n.force == unit.force && n.skills.iter().all(|s| unit.skills.contains(s))) {
                continue;
            }
            // The trip may start in either hour the window touches: take the quicker.
            let hours = [hour_of(first), hour_of(last)];
            let bound = hours
                .iter()
                .map(|h| travel.lower_bound_seconds(&unit.home, &call.location, unit.mode, *h))
                .fold(f64::INFINITY, f64::min);
            if bound > travel_max && response[c].is_finite() && DISPATCH_DELAY_SECONDS + bound >= response[c] {
                continue;
            }
            let tau = hours
                .iter()
                .map(|h| travel.route(&unit.home, &call.location, unit.mode, *h).eta_seconds)
                .fold(f64::INFINITY, f64::min);
            if on_duty(&unit.shift, first) || on_duty(&unit.shift, last) {
                let r = DISPATCH_DELAY_SECONDS + tau;
                if !(response[c] <= r) {
                    response[c] = r;
                }
            }
            if tau > travel_max || !(on_duty(&unit.shift, first) || on_duty(&unit.shift, last - tau)) {
                continue;
            }
            let back_from = [first + tau + call.service_seconds, last + call.service_seconds];
            let back = back_from
                .iter()
                .map(|t| travel.route(&call.location, &unit.home, unit.mode, hour_of(*t)).eta_seconds)
                .fold(f64::INFINITY, f64::min);
            out.push(Pair {
                unit: u,
                call: c,
                start: last - tau,
                end: first + tau + call.service_seconds + (back - setoff).max(0.0),
            });
        }
    }
    (out, response)
}

fn machines(pairs: &[Pair], units: usize) -> Vec<Machine> {
    let mut by_unit: Vec<Vec<Pair>> = vec![vec![]; units];
    for p in pairs {
        by_unit[p.unit].push(*p);
    }
    by_unit
        .into_iter()
        .filter(|v| !v.is_empty())
        .map(|mut v| {
            v.sort_by(|a, b| a.end.total_cmp(&b.end).then(a.call.cmp(&b.call)));
            let ends: Vec<f64> = v.iter().map(|p| p.end).collect();
            let before = v.iter().map(|p| ends.partition_point(|e| *e <= p.start)).collect();
            Machine { pairs: v, before }
        })
        .collect()
}

/// Weighted interval scheduling on one unit: the best total weight and the calls chosen.
fn best_schedule(m: &Machine, weight: &[f64], chosen: &mut Vec<usize>) -> f64 {
    let n = m.pairs.len();
    let mut dp = vec![0.0; n + 1];
    for i in 0..n {
        let w = weight[m.pairs[i].call];
        let take = if w > 0.0 { w + dp[m.before[i]] } else { f64::NEG_INFINITY };
        dp[i + 1] = dp[i].max(take);
    }
    let mut i = n;
    while i > 0 {
        if dp[i] == dp[i - 1] {
            i -= 1;
        } else {
            chosen.push(m.pairs[i - 1].call);
            i = m.before[i - 1];
        }
    }
    dp[n]
}

/// The most calls of `subset` that can be kept on time (an upper bound), and the most found
/// by a schedule.
fn max_on_time(machines: &[Machine], calls: usize, subset: &[bool]) -> (usize, usize) {
    let mut lambda = vec![0.0_f64; calls];
    let mut best_upper = f64::INFINITY;
    let mut best_found = 0usize;
    let mut theta = 2.0;
    let mut stale = 0;
    for _ in 0..ITERATIONS_MAX {
        let weight: Vec<f64> = (0..calls).map(|c| if subset[c] { 1.0 - lambda[c] } else { 0.0 }).collect();
        let mut count = vec![0u32; calls];
        let mut upper: f64 = (0..calls).filter(|c| subset[*c]).map(|c| lambda[c]).sum();
        for m in machines {
            let mut chosen = vec![];
            upper += best_schedule(m, &weight, &mut chosen);
            for c in chosen {
                count[c] += 1;
            }
        }
        // Keeping one unit per chosen call gives a schedule: cores on each unit stay apart.
        let found = count.iter().filter(|k| **k > 0).count();
        best_found = best_found.max(found);
        if upper < best_upper - 1e-9 {
            best_upper = upper;
            stale = 0;
        } else {
            stale += 1;
            if stale >= 15 {
                theta /= 2.0;
                stale = 0;
            }
        }
        if best_upper.floor() as usize <= best_found || theta < 1e-4 {
            break;
        }
        let g: Vec<f64> = (0..calls).map(|c| if subset[c] { 1.0 - count[c] as f64 } else { 0.0 }).collect();
        let norm: f64 = g.iter().map(|x| x * x).sum();
        if norm == 0.0 {
            break;
        }
        let step = theta * (upper - best_found as f64).max(1.0) / norm;
        for c in 0..calls {
            lambda[c] = (lambda[c] - step * g[c]).clamp(0.0, 1.0);
        }
    }
    ((best_upper + 1e-6).floor() as usize, best_found)
}

/// A schedule keeping cores apart, greedily: calls by the end of their shortest core, each to
/// the unit free soonest before it (best fit). Its on-time count shows how tight the bound is.
fn greedy(pairs: &[Pair], calls: usize, units: usize) -> usize {
    let mut by_call: Vec<Vec<&Pair>> = vec![vec![]; calls];
    for p in pairs {
        by_call[p.call].push(p);
    }
    let mut order: Vec<usize> = (0..calls).filter(|c| !by_call[*c].is_empty()).collect();
    let key = |c: &usize| by_call[*c].iter().map(|p| p.end).fold(f64::INFINITY, f64::min);
    order.sort_by(|a, b| key(a).total_cmp(&key(b)).then(a.cmp(b)));
    let mut busy_until = vec![f64::NEG_INFINITY; units];
    let mut kept = 0;
    for c in order {
        let best = by_call[c]
            .iter()
            .filter(|p| busy_until[p.unit] <= p.start)
            .max_by(|a, b| busy_until[a.unit].total_cmp(&busy_until[b.unit]).then(b.end.total_cmp(&a.end)));
        if let Some(p) = best {
            busy_until[p.unit] = p.end;
            kept += 1;
        }
    }
    kept
}

/// [`max_on_time`] per independent part: calls join a part when some unit could keep both
/// and their cores on it overlap. An integral count per part is at most the floor of that
/// part's bound, which tightens the sum.
fn max_on_time_by_part(pairs: &[Pair], calls: usize, units: usize, subset: &[bool]) -> (usize, usize) {
    let pairs: Vec<Pair> = pairs.iter().filter(|p| subset[p.call]).copied().collect();
    let mut parent: Vec<usize> = (0..calls).collect();
    fn find(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    let mut by_unit: Vec<Vec<&Pair>> = vec![vec![]; units];
    for p in &pairs {
        by_unit[p.unit].push(p);
    }
    for list in &mut by_unit {
        list.sort_by(|a, b| a.start.total_cmp(&b.start));
        let mut run: Option<(usize, f64)> = None;
        for p in list.iter() {
            match run {
                Some((call, end)) if p.start < end => {
                    let (a, b) = (find(&mut parent, call), find(&mut parent, p.call));
                    parent[a] = b;
                    run = Some((p.call, end.max(p.end)));
                }
                _ => run = Some((p.call, p.end)),
            }
        }
    }
    let mut parts: std::collections::BTreeMap<usize, Vec<Pair>> = Default::default();
    for p in &pairs {
        parts.entry(find(&mut parent, p.call)).or_default().push(*p);
    }
    let (mut upper, mut found) = (0, 0);
    for part in parts.values() {
        // Calls of the part numbered from zero.
        let mut local: BTreeMap<usize, usize> = BTreeMap::new();
        for p in part {
            let n = local.len();
            local.entry(p.call).or_insert(n);
        }
        let renumbered: Vec<Pair> = part.iter().map(|p| Pair { call: local[&p.call], ..*p }).collect();
        let (u, f) = max_on_time(&machines(&renumbered, units), local.len(), &vec![true; local.len()]);
        upper += u.min(local.len());
        found += f.max(greedy(&renumbered, local.len(), units));
    }
    (upper, found)
}

/// The hindsight bound on late arrivals for `calls` served by `units`.
pub fn bound(calls: &[Call], units: &[Unit], travel: &dyn Travel) -> Bound {
    let (pairs, response) = pairs(calls, units, travel);
    let all = vec![true; calls.len()];
    let (upper, found) = max_on_time_by_part(&pairs, calls.len(), units.len(), &all);
    let mut late_by_priority = BTreeMap::new();
    for p in domain::case::Priority::ALL {
        let subset: Vec<bool> = calls.iter().map(|c| c.priority == p).collect();
        let n = subset.iter().filter(|x| **x).count();
        let (up, _) = max_on_time_by_part(&pairs, calls.len(), units.len(), &subset);
        late_by_priority.insert(p.as_str(), n - up.min(n));
    }
    Bound {
        late: calls.len() - upper.min(calls.len()),
        late_by_priority,
        response,
        late_found: calls.len() - found.min(calls.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dispatch::{Need, TravelMode};
    use domain::case::Priority;
    use domain::category::Force;
    use domain::geo::LatLng;

    fn call(at: f64, lat: f64) -> Call {
        Call {
            at,
            location: LatLng::new(lat, 120.6).unwrap(),
            priority: Priority::Normal,
            needs: vec![Need { force: Force::Police, skills: vec![] }],
            service_seconds: 1200.0,
            on_site_seconds: crate::ON_SITE_SECONDS,
        }
    }

    fn unit(id: i64, lat: f64) -> Unit {
        Unit {
            id,
            force: Force::Police,
            mode: TravelMode::Car,
            home: LatLng::new(lat, 120.6).unwrap(),
            shift: "all".into(),
            skills: vec![],
            free_at: 0.0,
            busy_seconds: 0.0,
        }
    }

    #[test]
    fn one_unit_cannot_keep_two_calls_at_once_but_two_units_can() {
        let m = TravelModel::default();
        // Two calls a minute apart next to one police base; a third far away.
        let calls = vec![call(0.0, 30.29), call(60.0, 30.291), call(100.0, 30.6)];
        let one = bound(&calls, &[unit(1, 30.29)], &m);
        assert_eq!((one.late, one.late_found), (2, 2));
        let two = bound(&calls, &[unit(1, 30.29), unit(2, 30.292)], &m);
        assert_eq!((two.late, two.late_found), (1, 1));
        // The same calls an hour apart: one unit keeps both.
        let spread = vec![call(0.0, 30.29), call(3600.0, 30.291)];
        assert_eq!(bound(&spread, &[unit(1, 30.29)], &m).late, 0);
        assert!(one.response[0] >= 60.0 && one.response[2] > 600.0);
    }
}
