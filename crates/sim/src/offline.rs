//! The hindsight bound: the fewest late arrivals any dispatch policy could have on a run's
//! calls, knowing every call in advance.
//!
//! In the simulation a unit sets off from its base or, sent on its way home, from a point on
//! the straight line between its base and where it cleared an earlier call. So a call `j` can
//! be on time only through a unit `u` of one of its forces for which `τ`, the least travel
//! from any place `u` could be (its base, or the nearest point of any such line of an earlier
//! call it could have served; a lower bound), keeps `j`'s promise `P_j` after the decision
//! `δ_j`. Whenever `u` is sent, it is busy at least over the *core* interval
//! `[t_j + P_j − τ, t_j + δ_j + τ + service_j + leg_j]` (`leg_j`: the least the transport leg
//! and handover take) — whatever the moment and place it sets off from — so two calls kept on
//! time by one unit need disjoint cores. Counting the most calls that can be kept on time that
//! way bounds the on-time count from above, so `calls − that` bounds late arrivals from below
//! for every policy, online or offline.
//!
//! What it leaves out, and which way that errs: the work of late calls (every call is served
//! in the simulation, the bound serves late calls with no unit at all) and of second forces.
//! Both only make the bound lower — still a bound, but looser the busier the day: under
//! overload a policy's late count may sit well above it without any policy doing better.
//! (A count of late arrivals cannot charge for late work: a policy may put a late call off
//! for ever without one more late arrival. [`crate::backlog`] bounds the total lateness
//! instead, which can, and counts every call's work.)
//!
//! That maximum is a job-interval selection problem. Its Lagrangian relaxation of "at most one
//! unit per call" splits into one weighted interval scheduling per unit (a dynamic program),
//! and any multipliers give a valid upper bound; subgradient steps tighten it to the linear
//! programming bound. A greedy schedule read off each step shows how close the bound is.

use crate::{hour_of, on_duty, Call, Timing, Unit};
use dispatch::Travel;
use domain::geo::LatLng;
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
    /// The least total lateness (seconds past the promises, summed), every call's work
    /// counted ([`crate::backlog`]).
    pub lateness_seconds: f64,
}

/// One way a call can be kept on time: unit, call, core interval, and what the chain of the
/// unit's on-time calls needs to know of it.
#[derive(Debug, Clone, Copy)]
struct Pair {
    unit: usize,
    call: usize,
    /// The latest the unit can set off from the nearest place it could be.
    start: f64,
    /// The earliest it can be clear again (the core's end).
    end: f64,
    /// The decision: the earliest anyone sets off.
    first: f64,
    /// The promise: the latest arrival on site.
    latest: f64,
    /// The least travel from its base.
    from_home: f64,
    /// The least time from being free somewhere to being on site by way of serving another
    /// call first (set-off, its scene and handover, and on from its way home).
    via_another: f64,
    /// Where it clears (the scene, or the transport's place).
    clear_from: LatLng,
}

/// The pairs of one unit sorted by the end of their cores, and for each which earlier pairs
/// may come right before it in the unit's chain of on-time calls: every pair before
/// `before[i]`, and the pairs listed in `links[i]`.
struct Machine {
    pairs: Vec<Pair>,
    before: Vec<usize>,
    links: Vec<Vec<usize>>,
}

/// Planar metres around the street (east, north), for nearest points on short segments.
fn planar(p: &LatLng, lat0: f64) -> (f64, f64) {
    (p.lng() * lat0.to_radians().cos() * 111_320.0, p.lat() * 110_540.0)
}

/// The point of segment `a`–`b` nearest `p`.
fn nearest_on_segment(a: &LatLng, b: &LatLng, p: &LatLng) -> LatLng {
    let lat0 = p.lat();
    let ((ax, ay), (bx, by), (px, py)) = (planar(a, lat0), planar(b, lat0), planar(p, lat0));
    let (dx, dy) = (bx - ax, by - ay);
    let len2 = dx * dx + dy * dy;
    let f = if len2 > 0.0 { (((px - ax) * dx + (py - ay) * dy) / len2).clamp(0.0, 1.0) } else { 0.0 };
    LatLng::new(a.lat() + (b.lat() - a.lat()) * f, a.lng() + (b.lng() - a.lng()) * f).unwrap_or(*a)
}

fn serves(unit: &Unit, call: &Call) -> bool {
    call.needs.iter().any(|n| n.force == unit.force && n.skills.iter().all(|s| unit.skills.contains(s)))
}

/// The least travel from a point on the way home from `from` to `to` (a lower bound: a
/// second of slack for the planar nearest point).
fn from_the_way_home(from: &LatLng, unit: &Unit, to: &LatLng, travel: &dyn Travel, hours: [u32; 2]) -> f64 {
    let q = nearest_on_segment(from, &unit.home, to);
    hours.iter().map(|h| travel.lower_bound_seconds(&q, to, unit.mode, *h)).fold(f64::INFINITY, f64::min) - 1.0
}

/// The earliest a call can be cleared by anyone: decided, set off, on scene, the least of the
/// transport leg.
fn earliest_clear(call: &Call, timing: &Timing) -> f64 {
    call.at + call.decision_seconds + timing.setoff_seconds + work(call)
}

/// The least a call keeps a unit once there: the scene and the handover.
fn work(call: &Call) -> f64 {
    call.service_seconds + call.transport.map_or(0.0, |t| t.1)
}

/// The soonest unit `u` could reach call `c` from anywhere it may be while the call can still
/// be kept: its base, or on its way home from where it cleared an earlier call it could have
/// served (on the straight line between, as the simulation moves it). A lower bound.
fn from_anywhere(c: usize, calls: &[Call], unit: &Unit, travel: &dyn Travel, timing: &Timing, hours: [u32; 2]) -> f64 {
    let call = &calls[c];
    let latest = call.at + call.on_site_seconds;
    let lat0 = call.location.lat();
    let (px, py) = planar(&call.location, lat0);
    let mut best: Option<(f64, LatLng)> = None;
    for (k, other) in calls.iter().enumerate().take_while(|(_, k)| k.at < latest) {
        if k == c || earliest_clear(other, timing) >= latest || !serves(unit, other) {
            continue;
        }
        let from = other.transport.map_or(other.location, |t| t.0);
        let (qx, qy) = planar(&nearest_on_segment(&from, &unit.home, &call.location), lat0);
        let d = (qx - px).hypot(qy - py);
        if best.is_none_or(|b| d < b.0) {
            best = Some((d, from));
        }
    }
    best.map_or(f64::INFINITY, |(_, from)| from_the_way_home(&from, unit, &call.location, travel, hours))
}

/// The least time from being free (anywhere) to being on site at call `c` by way of serving
/// another call `l` first: set off, `l`'s scene and handover, then from the nearest point of
/// `l`'s way home (so a unit free at `e` reaches `c` that way no sooner than `e +` this). At
/// least `setoff + the shortest scene + tau` (the old, looser gap), found exactly by taking
/// the calls by their work, shortest first, until no later one can do better.
fn via_another(
    c: usize,
    calls: &[Call],
    by_work: &[usize],
    unit: &Unit,
    travel: &dyn Travel,
    timing: &Timing,
    hours: [u32; 2],
    tau: f64,
) -> f64 {
    let call = &calls[c];
    let latest = call.at + call.on_site_seconds;
    let mut best = f64::INFINITY;
    for &l in by_work {
        let other = &calls[l];
        if timing.setoff_seconds + work(other) + tau >= best {
            break;
        }
        if l == c || other.at >= latest || earliest_clear(other, timing) >= latest || !serves(unit, other) {
            continue;
        }
        let from = other.transport.map_or(other.location, |t| t.0);
        let way = from_the_way_home(&from, unit, &call.location, travel, hours).max(tau);
        // Sent on no sooner than the decision: from farther than the promise allows, never.
        if way <= call.on_site_seconds - call.decision_seconds {
            best = best.min(timing.setoff_seconds + work(other) + way);
        }
    }
    best
}

fn pairs(calls: &[Call], units: &[Unit], travel: &dyn Travel, timing: &Timing) -> (Vec<Pair>, Vec<f64>) {
    let setoff = timing.setoff_seconds;
    let mut out = vec![];
    let mut response = vec![f64::NAN; calls.len()];
    let mut by_work: Vec<usize> = (0..calls.len()).collect();
    by_work.sort_by(|a, b| work(&calls[*a]).total_cmp(&work(&calls[*b])).then(a.cmp(b)));
    for (c, call) in calls.iter().enumerate() {
        // Each call's own on-site promise.
        let decision = call.decision_seconds;
        let travel_max = call.on_site_seconds - decision;
        let (first, last) = (call.at + decision, call.at + call.on_site_seconds);
        for (u, unit) in units.iter().enumerate() {
            if !serves(unit, call) || !(on_duty(&unit.shift, first) || on_duty(&unit.shift, last)) {
                continue;
            }
            // The trip may start in either hour the window touches: take the quicker.
            let hours = [hour_of(first), hour_of(last)];
            let from_home = hours
                .iter()
                .map(|h| travel.route(&unit.home, &call.location, unit.mode, *h).eta_seconds)
                .fold(f64::INFINITY, f64::min);
            let tau = if timing.en_route {
                from_home.min(from_anywhere(c, calls, unit, travel, timing, hours)).max(0.0)
            } else {
                from_home
            };
            let r = decision + tau;
            if !(response[c] <= r) {
                response[c] = r;
            }
            if tau > travel_max {
                continue;
            }
            // The least the transport leg can take after the scene.
            let (leg, clear_from) = call.transport.map_or((0.0, call.location), |(place, handover)| {
                let lb = travel.lower_bound_seconds(&call.location, &place, unit.mode, hour_of(first));
                ((lb - setoff).max(0.0) + handover, place)
            });
            // Sent on from where it clears, the way home is not counted; otherwise it is.
            let home = if timing.en_route {
                0.0
            } else {
                let back_from = [first + tau + call.service_seconds + leg, last + call.service_seconds + leg];
                let back = back_from
                    .iter()
                    .map(|t| travel.route(&clear_from, &unit.home, unit.mode, hour_of(*t)).eta_seconds)
                    .fold(f64::INFINITY, f64::min);
                (back - setoff).max(0.0)
            };
            out.push(Pair {
                unit: u,
                call: c,
                start: last - tau,
                end: first + tau + call.service_seconds + leg + home,
                first,
                latest: last,
                from_home,
                via_another: if timing.en_route {
                    via_another(c, calls, &by_work, unit, travel, timing, hours, tau)
                } else {
                    f64::INFINITY
                },
                clear_from,
            });
        }
    }
    (out, response)
}

/// Each unit's pairs with the links of its chains. Pair `j` may come right before pair `i`
/// on one unit when the cores are apart and the unit, clear of `j` at the earliest, still
/// reaches `i` in time: from the way home from `j` (its base included), or — after a gap long
/// enough to serve some other call first and go on from its way home ([`via_another`]) — from
/// anywhere it could be.
fn machines(pairs: &[Pair], units: &[Unit], calls: &[Call], travel: &dyn Travel, timing: &Timing) -> Vec<Machine> {
    let mut by_unit: Vec<Vec<Pair>> = vec![vec![]; units.len()];
    for p in pairs {
        by_unit[p.unit].push(*p);
    }
    by_unit
        .into_iter()
        .filter(|v| !v.is_empty())
        .map(|mut v| {
            v.sort_by(|a, b| a.end.total_cmp(&b.end).then(a.call.cmp(&b.call)));
            let ends: Vec<f64> = v.iter().map(|p| p.end).collect();
            let unit = &units[v[0].unit];
            let mut before = vec![];
            let mut links = vec![];
            for (i, p) in v.iter().enumerate() {
                // Every pair ending by this time comes before `p` whatever it is (from base,
                // every pair whose core ends before `p`'s starts). Sent on its way home, the
                // unit may go home first only if its base is near enough once `p` is decided.
                let via_home =
                    if p.first + p.from_home <= p.latest { p.latest - p.from_home } else { f64::NEG_INFINITY };
                let any = if timing.en_route { via_home.max(p.latest - p.via_another) } else { p.start };
                let b = ends.partition_point(|e| *e <= any.min(p.start)).min(i);
                let call = &calls[p.call];
                let hours = [hour_of(call.at + call.decision_seconds), hour_of(p.latest)];
                let l: Vec<usize> = (b..i)
                    .filter(|j| {
                        let q = &v[*j];
                        // Clear of `q`, it sets off for `p` once both are done: `p` decided too.
                        q.end <= p.start
                            && q.end.max(p.first)
                                + from_the_way_home(&q.clear_from, unit, &call.location, travel, hours)
                                <= p.latest
                    })
                    .collect();
                before.push(b);
                links.push(l);
            }
            Machine { pairs: v, before, links }
        })
        .collect()
}

/// The best chain of on-time calls on one unit (a dynamic program over its pairs): the total
/// weight and the calls chosen.
fn best_schedule(m: &Machine, weight: &[f64], chosen: &mut Vec<usize>) -> f64 {
    let n = m.pairs.len();
    // Best chain ending with pair i; best chain among the first i pairs (and where it ends).
    let mut end_at = vec![f64::NEG_INFINITY; n];
    let mut pred = vec![usize::MAX; n];
    let mut prefix = vec![(0.0, usize::MAX); n + 1];
    for i in 0..n {
        let w = weight[m.pairs[i].call];
        if w > 0.0 {
            let (mut best, mut from) = prefix[m.before[i]];
            for j in &m.links[i] {
                if end_at[*j] > best {
                    (best, from) = (end_at[*j], *j);
                }
            }
            end_at[i] = w + best;
            pred[i] = from;
        }
        prefix[i + 1] = if end_at[i] > prefix[i].0 { (end_at[i], i) } else { prefix[i] };
    }
    let mut i = prefix[n].1;
    while i != usize::MAX {
        chosen.push(m.pairs[i].call);
        i = pred[i];
    }
    prefix[n].0
}

/// The most calls of `subset` that can be kept on time (an upper bound), and the most found
/// by a schedule of the relaxation.
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
        // Keeping one unit per chosen call gives a schedule of the relaxation.
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

/// A schedule of the relaxation, greedily: pairs by the end of their cores, each call kept by
/// the first unit whose chain it can follow. Its on-time count
/// shows how tight the bound is.
fn greedy(machines: &[Machine], calls: usize) -> usize {
    let mut order: Vec<(f64, usize, usize)> = vec![];
    for (mi, m) in machines.iter().enumerate() {
        order.extend(m.pairs.iter().enumerate().map(|(i, p)| (p.end, mi, i)));
    }
    order.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut last: Vec<Option<usize>> = vec![None; machines.len()];
    let mut kept = vec![false; calls];
    for (_, mi, i) in order {
        let m = &machines[mi];
        let c = m.pairs[i].call;
        let fits = match last[mi] {
            None => true,
            Some(j) => j < m.before[i] || m.links[i].contains(&j),
        };
        if !kept[c] && fits {
            kept[c] = true;
            last[mi] = Some(i);
        }
    }
    kept.iter().filter(|k| **k).count()
}

/// [`max_on_time`] per part: calls join a part when some unit could keep both and their
/// cores on it overlap. Any split is valid (a unit's chain kept to one part stays a chain:
/// the calls left out only make the gap longer), and an integral count per part is at most
/// the floor of that part's bound, which tightens the sum.
fn max_on_time_by_part(
    pairs: &[Pair],
    units: &[Unit],
    calls: &[Call],
    travel: &dyn Travel,
    timing: &Timing,
    subset: &[bool],
) -> (usize, usize) {
    // A call with a long promise may have a pair whose core is empty (the latest set-off
    // comes after the earliest clear): nothing orders it among the unit's other calls, so it
    // is counted as kept, whatever else its units do (looser, never wrong).
    let mut free = vec![false; calls.len()];
    for p in pairs.iter().filter(|p| subset[p.call] && p.end <= p.start) {
        free[p.call] = true;
    }
    let free_count = free.iter().filter(|f| **f).count();
    let pairs: Vec<Pair> = pairs.iter().filter(|p| subset[p.call] && !free[p.call]).copied().collect();
    let mut parent: Vec<usize> = (0..calls.len()).collect();
    fn find(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    let mut by_unit: Vec<Vec<&Pair>> = vec![vec![]; units.len()];
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
    let (mut upper, mut found) = (free_count, free_count);
    for part in parts.values() {
        // Calls of the part numbered from zero (after the links are made from the calls).
        let mut local: BTreeMap<usize, usize> = BTreeMap::new();
        for p in part {
            let n = local.len();
            local.entry(p.call).or_insert(n);
        }
        let mut ms = machines(part, units, calls, travel, timing);
        for m in &mut ms {
            for p in &mut m.pairs {
                p.call = local[&p.call];
            }
        }
        let (u, f) = max_on_time(&ms, local.len(), &vec![true; local.len()]);
        upper += u.min(local.len());
        found += f.max(greedy(&ms, local.len()));
    }
    (upper, found)
}

/// The hindsight bound on late arrivals for `calls` served by `units`.
pub fn bound(calls: &[Call], units: &[Unit], travel: &dyn Travel, timing: &Timing) -> Bound {
    let (pairs, response) = pairs(calls, units, travel, timing);
    let all = vec![true; calls.len()];
    let (upper, found) = max_on_time_by_part(&pairs, units, calls, travel, timing, &all);
    let mut late_by_priority = BTreeMap::new();
    for p in domain::case::Priority::ALL {
        let subset: Vec<bool> = calls.iter().map(|c| c.priority == p).collect();
        let n = subset.iter().filter(|x| **x).count();
        let (up, _) = max_on_time_by_part(&pairs, units, calls, travel, timing, &subset);
        late_by_priority.insert(p.as_str(), n - up.min(n));
    }
    Bound {
        late: calls.len() - upper.min(calls.len()),
        late_by_priority,
        response,
        late_found: calls.len() - found.min(calls.len()),
        lateness_seconds: crate::backlog::lateness(calls, units, travel, timing),
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
            decision_seconds: crate::DISPATCH_DELAY_SECONDS,
            transport: None,
        }
    }

    fn unit(id: i64, lat: f64) -> Unit {
        Unit::at_home(id, Force::Police, TravelMode::Car, LatLng::new(lat, 120.6).unwrap(), "all", vec![])
    }

    #[test]
    fn one_unit_cannot_keep_two_calls_at_once_but_two_units_can() {
        let m = dispatch::TravelModel::default();
        let t = Timing::default();
        // Two calls a minute apart next to one police base; a third far away.
        let calls = vec![call(0.0, 30.29), call(60.0, 30.291), call(100.0, 30.6)];
        let one = bound(&calls, &[unit(1, 30.29)], &m, &t);
        assert_eq!((one.late, one.late_found), (2, 2));
        let two = bound(&calls, &[unit(1, 30.29), unit(2, 30.292)], &m, &t);
        assert_eq!((two.late, two.late_found), (1, 1));
        // The same calls an hour apart: one unit keeps both.
        let spread = vec![call(0.0, 30.29), call(3600.0, 30.291)];
        assert_eq!(bound(&spread, &[unit(1, 30.29)], &m, &t).late, 0);
        assert!(one.response[0] >= 60.0 && one.response[2] > 600.0);
    }

    /// A unit at base keeps S (ten minutes' work next to it). L, 4 km away, is late for
    /// anyone and takes half an hour; P, reported at 25 minutes 100 m from L, is due at 35.
    /// By hand: once P is decided the unit needs 11¼ minutes from base, and going by L means
    /// L's half hour first — so the unit cannot keep P after S. The chain S → P was once
    /// allowed (the unit set off for P before anyone knew of it, or went home to a base too
    /// far away). S and P can still each be kept, by a unit that did not keep the other.
    #[test]
    fn a_call_is_reached_from_where_a_unit_could_be_once_it_is_decided() {
        let m = dispatch::TravelModel::default();
        let t = Timing::default();
        let north = |metres: f64| 30.29 + metres / 110_540.0;
        let s = Call { service_seconds: 600.0, ..call(0.0, north(0.0)) };
        let l = Call { service_seconds: 1800.0, ..call(0.0, north(4000.0)) };
        let p = call(1500.0, north(4100.0));
        let calls = [s, l, p];
        let units = [unit(1, 30.29)];
        let (pairs, _) = pairs(&calls, &units, &m, &t);
        let kept: Vec<usize> = pairs.iter().map(|p| p.call).collect();
        assert_eq!(kept, vec![0, 2], "L can be kept by nobody");
        let ms = machines(&pairs, &units, &calls, &m, &t);
        let (i, j) = (ms[0].pairs.iter().position(|p| p.call == 2).unwrap(), 0);
        assert_eq!(ms[0].pairs[j].call, 0);
        assert!(ms[0].before[i] <= j && !ms[0].links[i].contains(&j), "S may not come right before P");
        assert_eq!(bound(&calls, &units, &m, &t).late, 1);
    }

    /// Two-hour promises and short work: one unit keeps both calls whatever their order (the
    /// second, reported later, may even be served first), and the bound never says otherwise.
    #[test]
    fn long_promises_never_make_the_bound_count_too_many_late() {
        let m = dispatch::TravelModel::default();
        let t = Timing::default();
        let long = |at: f64, lat: f64| Call { on_site_seconds: 7200.0, service_seconds: 600.0, ..call(at, lat) };
        let calls = vec![long(0.0, 30.30), long(300.0, 30.29)];
        assert_eq!(bound(&calls, &[unit(1, 30.29)], &m, &t).late, 0);
    }
}
