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
//! Per unit, the calls it keeps on time form a chain: cores apart, and each reached in time
//! from where the unit can be once the one before is clear — on its way home from it (never
//! sooner than going straight from where it cleared: it moves no faster than that), at its
//! base if the base is near enough, or on the way home from some other call it served in
//! between (that call's scene and handover included). A call served on the way is served
//! once: one unit per need, whether it keeps the call on time or only passes by way of it.
//!
//! What it leaves out, and which way that errs: the work of late calls no unit goes by way of
//! (every call is served in the simulation; the bound may put a late call off for ever), and
//! of second forces; the quickest few calls on the way to each pair are used up, the rest are
//! free. All only make the bound lower — still a bound, but looser the busier the day: under
//! overload a policy's late count may sit well above it without any policy doing better.
//! (A count of late arrivals cannot charge for late work: a policy may put a late call off
//! for ever without one more late arrival. [`crate::backlog`] bounds the total lateness
//! instead, which can, and counts every call's work.)
//!
//! That maximum is a job-interval selection problem. Its Lagrangian relaxation of "at most one
//! unit keeps a call" and "at most one unit per need serves a call" splits into one weighted
//! interval scheduling per unit (a dynamic program), and any multipliers give a valid upper
//! bound; subgradient steps tighten it towards the linear programming bound. A greedy schedule
//! read off each step shows how close the bound is.

use crate::{hour_of, on_duty, Call, Timing, Unit};
use dispatch::Travel;
use domain::geo::LatLng;
use std::collections::BTreeMap;

/// Subgradient steps at most.
const ITERATIONS_MAX: usize = 3000;

/// Calls each pair may be reached by way of, charged one unit's use each (the rest stand
/// together for one free way: see [`Pair::via`]).
const VIA: usize = 6;

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
    /// The ways from being free somewhere to being on site by way of serving another call
    /// first (set-off, its scene and handover, and on from its way home): the [`VIA`]
    /// quickest, with the call served (`u32::MAX`: none), each of which uses that call up.
    via: [(f64, u32); VIA],
    /// The quickest way by any call not in `via`, taken for free (a relaxation: every such
    /// way is slower).
    via_rest: f64,
    /// Where it clears (the scene, or the transport's place).
    clear_from: LatLng,
}

impl Pair {
    /// The ways by another call that use it up: (time, call), quickest first.
    fn ways(&self) -> impl Iterator<Item = (f64, usize)> + '_ {
        self.via.iter().filter(|(_, l)| *l != u32::MAX).map(|(t, l)| (*t, *l as usize))
    }
}

/// The pairs of one unit sorted by the end of their cores, and for each which earlier pairs
/// may come right before it in the unit's chain of on-time calls: every pair before
/// `before[i]` (none if `None`: nor may the chain begin with it that way), the pairs listed
/// in `links[i]`, and — by way of serving call `l` first, which uses `l` up — every pair
/// before `b` for each `(b, l)` of `via[i]`.
struct Machine {
    pairs: Vec<Pair>,
    before: Vec<Option<usize>>,
    links: Vec<Vec<usize>>,
    via: Vec<Vec<(usize, usize)>>,
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

/// The least travel from where a unit cleared (at `cleared` at the earliest) to `to`, sent
/// on at any point of its way home by `latest`: it moves along the way no faster than the
/// least travel, so (the triangle inequality) never sooner than going straight there.
/// The least over the hours between, for the rush hours.
fn from_where_it_cleared(
    from: &LatLng,
    unit: &Unit,
    to: &LatLng,
    travel: &dyn Travel,
    cleared: f64,
    latest: f64,
) -> f64 {
    let hours = (((latest - cleared) / 3600.0).ceil().max(0.0) as u32 + 1).min(24);
    (0..hours)
        .map(|k| travel.lower_bound_seconds(from, to, unit.mode, (hour_of(cleared) + k) % 24))
        .fold(f64::INFINITY, f64::min)
        - 1.0
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

/// The ways from being free (anywhere) to being on site at call `c` by way of serving another
/// call `l` first: set off, `l`'s scene and handover, then from the nearest point of `l`'s
/// way home (so a unit free at `e` reaches `c` that way no sooner than `max(e, l decided) +`
/// this). The [`VIA`] quickest with their calls, and the next quickest (any other call's way
/// is no quicker), found by taking the calls by their work, shortest first, until no later
/// one can do better. Each at least `setoff + work + tau`.
#[allow(clippy::too_many_arguments)]
fn ways_via_another(
    c: usize,
    calls: &[Call],
    by_work: &[usize],
    unit: &Unit,
    travel: &dyn Travel,
    timing: &Timing,
    hours: [u32; 2],
    tau: f64,
) -> ([(f64, u32); VIA], f64) {
    let call = &calls[c];
    let latest = call.at + call.on_site_seconds;
    // The quickest VIA + 1 so far, quickest first.
    let mut best: Vec<(f64, u32)> = Vec::with_capacity(VIA + 1);
    let bar = |best: &Vec<(f64, u32)>| if best.len() > VIA { best[VIA].0 } else { f64::INFINITY };
    for &l in by_work {
        let other = &calls[l];
        if timing.setoff_seconds + work(other) + tau >= bar(&best) {
            break;
        }
        if l == c || other.at >= latest || earliest_clear(other, timing) >= latest || !serves(unit, other) {
            continue;
        }
        let from = other.transport.map_or(other.location, |t| t.0);
        let way = from_the_way_home(&from, unit, &call.location, travel, hours).max(tau);
        let straight =
            from_where_it_cleared(&from, unit, &call.location, travel, earliest_clear(other, timing), latest);
        let t = timing.setoff_seconds + work(other) + way.max(straight);
        // Sent on no sooner than the decision (from farther than the promise allows, never),
        // and `l` served no sooner than it is decided.
        if way <= call.on_site_seconds - call.decision_seconds
            && other.at + other.decision_seconds + t <= latest
            && t < bar(&best)
        {
            let at = best.partition_point(|b| b.0 <= t);
            best.insert(at, (t, l as u32));
            best.truncate(VIA + 1);
        }
    }
    let mut via = [(f64::INFINITY, u32::MAX); VIA];
    for (k, b) in best.iter().take(VIA).enumerate() {
        via[k] = *b;
    }
    (via, bar(&best))
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
            let (via, via_rest) = if timing.en_route {
                ways_via_another(c, calls, &by_work, unit, travel, timing, hours, tau)
            } else {
                ([(f64::INFINITY, u32::MAX); VIA], f64::INFINITY)
            };
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
                via,
                via_rest,
                clear_from,
            });
        }
    }
    (out, response)
}

/// Each unit's pairs with the links of its chains. Pair `j` may come right before pair `i`
/// on one unit when the cores are apart and the unit, clear of `j` at the earliest, still
/// reaches `i` in time: from the way home from `j`, from its base if that is near enough once
/// `i` is decided, or — sent on its way home — by serving some other call first and going on
/// from that call's way home ([`ways_via_another`]; the quickest few use that call up).
/// A unit begins the day at its base, so a chain begins only in one of those ways too.
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
            // The pairs ending by `t` (and before `i`): all may come before `i`.
            let upto = |t: f64, i: usize| ends.partition_point(|e| *e <= t).min(i);
            let unit = &units[v[0].unit];
            let (mut before, mut links, mut via) = (vec![], vec![], vec![]);
            for (i, p) in v.iter().enumerate() {
                // From base, every pair whose core ends before `p`'s starts. Sent on its way
                // home, the unit may go home first only if its base is near enough once `p`
                // is decided, or come by way of any call but the quickest few, for free.
                let via_home =
                    if p.first + p.from_home <= p.latest { p.latest - p.from_home } else { f64::NEG_INFINITY };
                let free = if timing.en_route { via_home.max(p.latest - p.via_rest) } else { p.start };
                let b = (free > f64::NEG_INFINITY).then(|| upto(free.min(p.start), i));
                let ways: Vec<(usize, usize)> = p
                    .ways()
                    .map(|(t, l)| (upto((p.latest - t).min(p.start), i), l))
                    .filter(|(k, _)| b.is_none_or(|b| *k > b))
                    .collect();
                let call = &calls[p.call];
                let hours = [hour_of(call.at + call.decision_seconds), hour_of(p.latest)];
                let l: Vec<usize> = (b.unwrap_or(0)..i)
                    .filter(|j| {
                        let q = &v[*j];
                        // Clear of `q`, it sets off for `p` once both are done: `p` decided too.
                        q.end <= p.start
                            && q.end.max(p.first)
                                + from_the_way_home(&q.clear_from, unit, &call.location, travel, hours)
                                <= p.latest
                            && q.end
                                + from_where_it_cleared(&q.clear_from, unit, &call.location, travel, q.end, p.latest)
                                <= p.latest
                    })
                    .collect();
                before.push(b);
                links.push(l);
                via.push(ways);
            }
            Machine { pairs: v, before, links, via }
        })
        .collect()
}

/// The best chain of on-time calls on one unit (a dynamic program over its pairs) for the
/// calls' weights, less `toll[l]` for each call `l` it is reached by way of: the total, the
/// calls kept and the calls used on the way.
fn best_schedule(m: &Machine, weight: &[f64], toll: &[f64], chosen: &mut Vec<usize>, used: &mut Vec<usize>) -> f64 {
    let n = m.pairs.len();
    // Best chain ending with pair i (and how it got there: the pair before, the call used on
    // the way); best chain among the first i pairs (and where it ends).
    let mut end_at = vec![f64::NEG_INFINITY; n];
    let mut pred = vec![(usize::MAX, usize::MAX); n];
    let mut prefix = vec![(0.0, usize::MAX); n + 1];
    for i in 0..n {
        let w = weight[m.pairs[i].call];
        if w > 0.0 {
            let (mut best, mut from) = m.before[i]
                .map_or((f64::NEG_INFINITY, (usize::MAX, usize::MAX)), |b| (prefix[b].0, (prefix[b].1, usize::MAX)));
            for j in &m.links[i] {
                if end_at[*j] > best {
                    (best, from) = (end_at[*j], (*j, usize::MAX));
                }
            }
            // Quickest first, so the chains they may follow only shrink: stop once even a
            // free way could not do better.
            for (b, l) in &m.via[i] {
                if prefix[*b].0 <= best {
                    break;
                }
                if prefix[*b].0 - toll[*l] > best {
                    (best, from) = (prefix[*b].0 - toll[*l], (prefix[*b].1, *l));
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
        if pred[i].1 != usize::MAX {
            used.push(pred[i].1);
        }
        i = pred[i].0;
    }
    prefix[n].0
}

/// The most calls of `subset` that can be kept on time (an upper bound), and the most found
/// by a schedule of the relaxation. Relaxed: "at most one unit keeps a call on time"
/// (multipliers `lambda`) and "at most `uses[l]` units serve call `l`, on time or on the way
/// to another" (multipliers `toll`: one unit per need).
fn max_on_time(machines: &[Machine], uses: &[f64], subset: &[bool]) -> (usize, usize) {
    let calls = uses.len();
    let mut lambda = vec![0.0_f64; calls];
    let mut toll = vec![0.0_f64; calls];
    let mut best_upper = f64::INFINITY;
    let mut best_found = 0usize;
    let mut theta = 2.0;
    let mut stale = 0;
    for _ in 0..ITERATIONS_MAX {
        let weight: Vec<f64> = (0..calls).map(|c| if subset[c] { 1.0 - lambda[c] - toll[c] } else { 0.0 }).collect();
        let (mut count, mut served) = (vec![0u32; calls], vec![0u32; calls]);
        let mut upper: f64 = (0..calls).map(|c| if subset[c] { lambda[c] } else { 0.0 } + toll[c] * uses[c]).sum();
        for m in machines {
            let (mut chosen, mut used) = (vec![], vec![]);
            upper += best_schedule(m, &weight, &toll, &mut chosen, &mut used);
            for c in chosen {
                count[c] += 1;
                served[c] += 1;
            }
            for l in used {
                served[l] += 1;
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
        // The subgradients: each constraint's room left (negative when broken).
        let g: Vec<f64> = (0..calls).map(|c| if subset[c] { 1.0 - count[c] as f64 } else { 0.0 }).collect();
        let h: Vec<f64> = (0..calls).map(|c| uses[c] - served[c] as f64).collect();
        // A toll whose call has room to spare and no toll cannot fall: leave it out.
        let norm: f64 = g.iter().map(|x| x * x).sum::<f64>()
            + h.iter().zip(&toll).filter(|(h, t)| **h < 0.0 || **t > 0.0).map(|(h, _)| h * h).sum::<f64>();
        if norm == 0.0 {
            break;
        }
        let step = theta * (upper - best_found as f64).max(1.0) / norm;
        for c in 0..calls {
            lambda[c] = (lambda[c] - step * g[c]).clamp(0.0, 1.0);
            toll[c] = (toll[c] - step * h[c]).clamp(0.0, 1.0);
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
        // Only the free ways: the calls on the way are not counted.
        let fits = match last[mi] {
            None => m.before[i].is_some(),
            Some(j) => m.before[i].is_some_and(|b| j < b) || m.links[i].contains(&j),
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
    // A call a pair may be reached by way of (using it up) joins the pair's part.
    for p in &pairs {
        for (_, l) in p.ways() {
            let (a, b) = (find(&mut parent, l), find(&mut parent, p.call));
            parent[a] = b;
        }
    }
    let mut parts: std::collections::BTreeMap<usize, Vec<Pair>> = Default::default();
    for p in &pairs {
        parts.entry(find(&mut parent, p.call)).or_default().push(*p);
    }
    let (mut upper, mut found) = (free_count, free_count);
    for part in parts.values() {
        // Calls of the part numbered from zero (after the links are made from the calls): the
        // calls that may be kept, then the calls only used on the way.
        let mut local: BTreeMap<usize, usize> = BTreeMap::new();
        for p in part {
            let n = local.len();
            local.entry(p.call).or_insert(n);
        }
        let kept = local.len();
        for p in part {
            for (_, l) in p.ways() {
                let n = local.len();
                local.entry(l).or_insert(n);
            }
        }
        let mut ms = machines(part, units, calls, travel, timing);
        for m in &mut ms {
            for p in &mut m.pairs {
                p.call = local[&p.call];
            }
            for ways in &mut m.via {
                for (_, l) in ways {
                    *l = local[l];
                }
            }
        }
        let mut uses = vec![0.0; local.len()];
        for (c, k) in &local {
            uses[*k] = calls[*c].needs.len() as f64;
        }
        let may_keep: Vec<bool> = (0..local.len()).map(|k| k < kept).collect();
        let (u, f) = max_on_time(&ms, &uses, &may_keep);
        upper += u.min(kept);
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

    /// The latitude `metres` north of 30.29°.
    fn north(metres: f64) -> f64 {
        30.29 + metres / 110_540.0
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
        assert!(
            ms[0].before[i].is_none_or(|b| b <= j) && !ms[0].links[i].contains(&j),
            "S may not come right before P"
        );
        assert_eq!(bound(&calls, &units, &m, &t).late, 1);
    }

    /// A unit at base B; L, 10 km away, is late for anyone (ten minutes' work); P1 and P2,
    /// 100 m past L, are reported at 5 minutes with twenty minutes' work each. From B nobody
    /// keeps them; a unit that served L first and goes on from there keeps one (on site by
    /// 13¼ minutes at the earliest, due at 15); the other needs a second unit near L, and
    /// only L could have brought it there — but L is served once. By hand: L and one of P1,
    /// P2 late, two in all. The bound once let both units come by way of L (one late).
    #[test]
    fn a_call_on_the_way_is_served_once() {
        let m = dispatch::TravelModel::default();
        let t = Timing::default();
        let l = Call { service_seconds: 600.0, ..call(0.0, north(10_000.0)) };
        let p = || call(300.0, north(10_100.0));
        let calls = [l, p(), p()];
        let units = [unit(1, 30.29), unit(2, 30.29)];
        let b = bound(&calls, &units, &m, &t);
        assert_eq!(b.late, 2);
        // One unit keeps one of them that way: the bound is exact here.
        assert_eq!(bound(&calls[..2], &units, &m, &t).late, 1);
    }

    /// A unit on foot clears L, 3 km from its base, at 12 minutes at the earliest; its way home
    /// passes P, 1.5 km from base, due at 13⅓ minutes. It walks home no faster than it would
    /// walk straight to P (1.5 km: 26 minutes), so P is late whichever point of the way it is
    /// sent from; from base too. The bound once took the unit to be wherever on that way it
    /// liked when L was clear (P on time).
    #[test]
    fn a_unit_on_its_way_home_is_no_nearer_than_the_straight_way() {
        let m = dispatch::TravelModel::default();
        let t = Timing::default();
        let walker =
            || [Unit::at_home(1, Force::Police, TravelMode::Foot, LatLng::new(30.29, 120.6).unwrap(), "all", vec![])];
        let l = || Call { service_seconds: 600.0, ..call(0.0, north(3000.0)) };
        assert_eq!(bound(&[l(), call(200.0, north(1500.0))], &walker(), &m, &t).late, 2);
        // Reported at 33⅓ minutes (due at 43⅓), P is within the straight walk from L cleared
        // at 12 minutes (26 more): the bound counts only L.
        assert_eq!(bound(&[l(), call(2000.0, north(1500.0))], &walker(), &m, &t).late, 1);
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
