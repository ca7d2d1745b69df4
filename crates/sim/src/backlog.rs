//! The work-counting bound: the least total lateness any policy could have when every call is
//! served — the hours by which arrivals miss their promises, summed over the calls.
//!
//! The offline bound ([`crate::offline`]) counts late arrivals and serves late calls with no
//! unit at all; a late call's work can be put off for ever without costing another late
//! arrival. Lateness cannot be put off: a call waiting past its promise adds to it every
//! second until someone is there. So this bound counts the work of every call.
//!
//! Lateness is `∫ U(t) dt`, `U(t)` the calls past their promise with nobody on site yet. For a
//! force `f` and the calls only `f` serves (disjoint sets across forces, so the counts add),
//! at each instant `t` and for every earlier `s`:
//! - a call no unit could reach by `t` (decided, the first of its forces on duty, set off and
//!   the least travel) is unreached — this holds for every call, whatever it needs;
//! - of the calls decided after `s`, those reached by `t` are either finished by `t` — their
//!   least travel, scene and transport leg inside `[s, t]`, so the on-duty time of `f`'s units
//!   over `[s, t]` holds them (at most the most of their sizes that fit in it) — or in
//!   progress at `t` (at most one per unit on duty then), or begun before a shift of `f` ended
//!   meanwhile and not done by its end (nobody is sent off duty: at most one per shift end).
//!
//! So `U(t) ≥ unreachable + max_s (decided after s − the most that could be reached)`. Any
//! `s` gives a valid count; time is taken in steps of [`STEP_SECONDS`], each counted with the
//! calls due by its start and the capacity up to its end, which only lowers the bound.
//!
//! What it leaves out, and which way that errs: space (a unit's capacity is pooled over the
//! whole area, its travel is the least from anywhere it could be — from the force's nearest
//! base and back to one when units are sent only from base), the work of calls needing more
//! than one force, and skills. All of these only lower it; it is tight when one force is
//! simply short of hands, loose when the hands are in the wrong place.

use crate::{Call, Timing, Unit};
use dispatch::{Travel, TravelMode};
use domain::category::Force;
use domain::geo::LatLng;
use std::collections::BTreeMap;

/// The step of the integral over time.
pub const STEP_SECONDS: f64 = 15.0;
/// Calls decided longer ago than this are not counted at all (any subset of the calls and
/// of the starts gives a valid bound; a day covers a shift's absence), and counting stops
/// this long after the last promise.
const WINDOW_SECONDS: f64 = 24.0 * 3600.0;

/// One call only one force serves: decided at `r`, the least work from being sent until done
/// (`size`: set-off, travel, scene, transport, handover and, when units are sent only from
/// base, the way back to one), promise `due`, the soonest anyone is on site (`earliest`).
#[derive(Debug, Clone, Copy)]
struct Job {
    r: f64,
    size: f64,
    due: f64,
    earliest: f64,
}

/// Seconds on duty of a shift in `[0, t]`.
fn duty_until(shift: &str, t: f64) -> f64 {
    let day = |t: f64| {
        let whole = (t / 86_400.0).floor();
        let rest = t - whole * 86_400.0;
        whole * 43_200.0 + (rest - 28_800.0).clamp(0.0, 43_200.0)
    };
    match shift {
        "day" => day(t),
        "night" => t - day(t),
        _ => t,
    }
}

/// How many times a shift ends in `(a, b]`.
fn ends_between(shift: &str, a: f64, b: f64) -> f64 {
    let at = match shift {
        "day" => 20.0 * 3600.0,
        "night" => 8.0 * 3600.0,
        _ => return 0.0,
    };
    let count = |t: f64| ((t - at) / 86_400.0).floor() + 1.0;
    (count(b) - count(a)).max(0.0)
}

/// Sizes kept by rank (each rank one call): the most calls whose sizes fit in a capacity.
struct Fenwick {
    count: Vec<u32>,
    sum: Vec<f64>,
}

impl Fenwick {
    fn new(n: usize) -> Self {
        Self { count: vec![0; n + 1], sum: vec![0.0; n + 1] }
    }
    fn add(&mut self, rank: usize, size: f64, sign: i32) {
        let mut i = rank + 1;
        while i < self.count.len() {
            self.count[i] = (self.count[i] as i32 + sign) as u32;
            self.sum[i] += size * sign as f64;
            i += i & i.wrapping_neg();
        }
    }
    /// The most of the held sizes (the smallest first) whose sum is at most `capacity`.
    fn most_within(&self, capacity: f64) -> u32 {
        let n = self.count.len() - 1;
        let (mut pos, mut left, mut taken) = (0usize, capacity, 0u32);
        let mut step = n.next_power_of_two();
        while step > 0 {
            let next = pos + step;
            if next <= n && self.sum[next] <= left + 1e-9 {
                pos = next;
                left -= self.sum[next];
                taken += self.count[next];
            }
            step /= 2;
        }
        taken
    }
}

/// One force: its units counted by shift, and the calls only it serves.
struct Pool {
    /// Units per shift.
    shifts: Vec<(String, f64)>,
    /// Sorted by decision.
    jobs: Vec<Job>,
    /// Each job's rank by size.
    rank: Vec<usize>,
    fenwick: Fenwick,
}

impl Pool {
    fn capacity(&self, a: f64, b: f64) -> f64 {
        self.shifts.iter().map(|(s, n)| n * (duty_until(s, b) - duty_until(s, a))).sum()
    }
    fn ended(&self, a: f64, b: f64) -> f64 {
        self.shifts.iter().map(|(s, n)| n * ends_between(s, a, b)).sum()
    }

    /// The most calls due by `t`, decided after some `s`, that cannot all have been reached
    /// over `[t, b)`, beyond those nobody can reach by `b`.
    fn short(&mut self, t: f64, b: f64) -> f64 {
        // Steps fall on whole quarter minutes, shifts change on the hour: nobody comes on or
        // goes off duty inside a step.
        let working: f64 = self.shifts.iter().filter(|(s, _)| crate::on_duty(s, t)).map(|(_, n)| n).sum();
        let (mut best, mut decided_after, mut inserted) = (0.0_f64, 0.0, vec![]);
        let mut k = self.jobs.partition_point(|j| j.r <= b);
        while k > 0 {
            k -= 1;
            let j = self.jobs[k];
            if j.r < t - WINDOW_SECONDS {
                break;
            }
            if j.due > t || j.earliest > b {
                continue;
            }
            self.fenwick.add(self.rank[k], j.size, 1);
            inserted.push(k);
            decided_after += 1.0;
            // Evaluate once every call decided at this instant is in.
            if k > 0 && self.jobs[k - 1].r == j.r {
                continue;
            }
            let reachable = self.fenwick.most_within(self.capacity(j.r, b)) as f64 + working + self.ended(j.r, t);
            best = best.max(decided_after - reachable);
        }
        for k in inserted {
            self.fenwick.add(self.rank[k], self.jobs[k].size, -1);
        }
        best
    }
}

/// The least total lateness (seconds past the promises, summed) of `calls` served by `units`.
pub fn lateness(calls: &[Call], units: &[Unit], travel: &dyn Travel, timing: &Timing) -> f64 {
    // The fastest hour: travel bounds taken then hold at every hour.
    let hour = (0..24u32).find(|h| !timing.rush_hours[*h as usize]).unwrap_or(0);
    let of = |f: Force| units.iter().filter(move |u| u.force == f);
    // Each force's bases and how it travels there, each once.
    let mut bases: BTreeMap<Force, Vec<(LatLng, TravelMode)>> = BTreeMap::new();
    for u in units {
        let b = bases.entry(u.force).or_default();
        if !b.contains(&(u.home, u.mode)) {
            b.push((u.home, u.mode));
        }
    }
    // The least trip from `a` to `b` by one of `f`'s units already out (no set-off).
    let on = |f: Force, a: &LatLng, b: &LatLng| {
        let t = bases[&f].iter().map(|(_, m)| travel.route(a, b, *m, hour).eta_seconds).fold(f64::INFINITY, f64::min);
        (t - timing.setoff_seconds).max(0.0)
    };
    // Per call and need, the least from being sent to being on site by one of the need's
    // force: sent only from base, the route from the nearest; else it may be anywhere.
    let reach: Vec<Vec<f64>> = calls
        .iter()
        .map(|c| {
            c.needs
                .iter()
                .map(|n| match (timing.en_route, bases.get(&n.force)) {
                    (true, _) | (false, None) => timing.setoff_seconds,
                    (false, Some(b)) => b
                        .iter()
                        .map(|(h, m)| travel.route(h, &c.location, *m, hour).eta_seconds)
                        .fold(f64::INFINITY, f64::min),
                })
                .collect()
        })
        .collect();
    // The soonest anyone is on site: the first of its forces on duty after the decision.
    let earliest: Vec<f64> = calls
        .iter()
        .zip(&reach)
        .map(|(c, reach)| {
            let r = c.at + c.decision_seconds;
            c.needs
                .iter()
                .zip(reach)
                .map(|(n, reach)| {
                    let sent = of(n.force).map(|u| crate::next_on_duty(&u.shift, r)).fold(f64::INFINITY, f64::min);
                    sent + reach
                })
                .fold(f64::INFINITY, f64::min)
        })
        .collect();
    let mut forces: Vec<Force> = units.iter().map(|u| u.force).collect();
    forces.sort();
    forces.dedup();
    let mut pools: Vec<Pool> = forces
        .iter()
        .map(|f| {
            let mut jobs: Vec<Job> = calls
                .iter()
                .enumerate()
                .filter(|(_, c)| c.needs.len() == 1 && c.needs[0].force == *f)
                .map(|(i, c)| {
                    let leg = c.transport.map_or(0.0, |(place, handover)| on(*f, &c.location, &place) + handover);
                    // Sent only from base, a unit is not free again until it is back at one.
                    let home = if timing.en_route {
                        0.0
                    } else {
                        let clear = c.transport.map_or(c.location, |t| t.0);
                        bases[f]
                            .iter()
                            .map(|(h, m)| travel.route(&clear, h, *m, hour).eta_seconds - timing.setoff_seconds)
                            .fold(f64::INFINITY, f64::min)
                            .max(0.0)
                    };
                    Job {
                        r: c.at + c.decision_seconds,
                        size: reach[i][0] + c.service_seconds + leg + home,
                        due: c.at + c.on_site_seconds,
                        earliest: earliest[i],
                    }
                })
                .collect();
            jobs.sort_by(|a, b| a.r.total_cmp(&b.r));
            let mut by_size: Vec<usize> = (0..jobs.len()).collect();
            by_size.sort_by(|a, b| jobs[*a].size.total_cmp(&jobs[*b].size).then(a.cmp(b)));
            let mut rank = vec![0; jobs.len()];
            for (k, j) in by_size.iter().enumerate() {
                rank[*j] = k;
            }
            let mut shifts: Vec<(String, f64)> = vec![];
            for u in of(*f) {
                match shifts.iter_mut().find(|(s, _)| *s == u.shift) {
                    Some((_, n)) => *n += 1.0,
                    None => shifts.push((u.shift.clone(), 1.0)),
                }
            }
            Pool { shifts, fenwick: Fenwick::new(jobs.len()), jobs, rank }
        })
        .collect();
    // Every call by its decision, for those nobody can reach.
    let mut all: Vec<(f64, f64, f64)> =
        calls.iter().zip(&earliest).map(|(c, e)| (c.at + c.decision_seconds, c.at + c.on_site_seconds, *e)).collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    let first_due = all.iter().map(|x| x.1).fold(f64::INFINITY, f64::min);
    let last_due = all.iter().map(|x| x.1).fold(f64::NEG_INFINITY, f64::max);
    if all.is_empty() {
        return 0.0;
    }
    let mut total = 0.0;
    let mut t = (first_due / STEP_SECONDS).floor() * STEP_SECONDS;
    while t <= last_due + WINDOW_SECONDS {
        let b = t + STEP_SECONDS;
        let hi = all.partition_point(|x| x.0 <= b);
        let unreachable =
            all[..hi].iter().rev().take_while(|x| x.0 >= t - WINDOW_SECONDS).filter(|x| x.1 <= t && x.2 > b).count()
                as f64;
        let short: f64 = pools.iter_mut().map(|p| p.short(t, b)).sum();
        total += (unreachable + short) * STEP_SECONDS;
        t = b;
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use dispatch::{Need, TravelMode, TravelModel};
    use domain::case::Priority;
    use domain::geo::LatLng;

    fn call(at: f64, service: f64, promise: f64) -> Call {
        Call {
            at,
            location: LatLng::new(30.29, 120.6).unwrap(),
            priority: Priority::Normal,
            needs: vec![Need { force: Force::Police, skills: vec![] }],
            service_seconds: service,
            on_site_seconds: promise,
            decision_seconds: 0.0,
            transport: None,
        }
    }

    fn unit(shift: &str) -> Unit {
        Unit::at_home(1, Force::Police, TravelMode::Car, LatLng::new(30.29, 120.6).unwrap(), shift, vec![])
    }

    fn timing() -> Timing {
        Timing { setoff_seconds: 0.0, rush_hours: [false; 24], ..Timing::default() }
    }

    #[test]
    fn shifts_by_hand() {
        assert_eq!(duty_until("day", 86_400.0), 43_200.0);
        assert_eq!(duty_until("day", 9.0 * 3600.0), 3600.0);
        assert_eq!(duty_until("night", 9.0 * 3600.0), 8.0 * 3600.0);
        assert_eq!(duty_until("all", 100.0), 100.0);
        assert_eq!(ends_between("day", 0.0, 86_400.0), 1.0);
        assert_eq!(ends_between("day", 20.0 * 3600.0, 86_400.0), 0.0);
        assert_eq!(ends_between("night", 0.0, 2.0 * 86_400.0), 2.0);
        let mut f = Fenwick::new(4);
        for (r, s) in [(0, 1.0), (1, 2.0), (2, 3.0), (3, 10.0)] {
            f.add(r, s, 1);
        }
        assert_eq!(f.most_within(5.9), 2);
        assert_eq!(f.most_within(6.0), 3);
        f.add(1, 2.0, -1);
        assert_eq!(f.most_within(6.0), 2);
    }

    /// One unit, two calls at once on its doorstep, ten minutes' work each, a five-minute
    /// promise: the second waits ten minutes, five of them late. Nothing beats that, and the
    /// bound finds it within a step.
    #[test]
    fn two_calls_for_one_unit_by_hand() {
        let m = TravelModel { setoff_seconds: 0.0, ..TravelModel::default() };
        let calls = vec![call(3600.0, 600.0, 300.0), call(3600.0, 600.0, 300.0)];
        let b = lateness(&calls, &[unit("all")], &m, &timing());
        assert!(b <= 300.0 && b >= 300.0 - STEP_SECONDS, "{b}");
        // Two units: nobody needs to be late.
        let two = [unit("all"), Unit { id: 2, ..unit("all") }];
        assert_eq!(lateness(&calls, &two, &m, &timing()), 0.0);
    }

    /// Sent only from base: one unit, two calls at once at a place `T` from its base (3 km), ten
    /// minutes' work each, a ten-minute promise. By hand the second is reached after the first
    /// trip there, its work, the way back and the trip out again: `3T + 10 min − 10 min` late.
    /// The bound counts the first trip's way home as work, so the second is in progress no
    /// sooner than `2T + 10 min` after the decision: `2T` late (within a step). Without the way
    /// home it counted `T`.
    #[test]
    fn a_unit_sent_only_from_base_is_busy_until_it_is_back() {
        let m = TravelModel { setoff_seconds: 0.0, ..TravelModel::default() };
        let there = LatLng::new(30.29 + 3000.0 / 110_540.0, 120.6).unwrap();
        let calls: Vec<Call> = (0..2).map(|_| Call { location: there, ..call(3600.0, 600.0, 600.0) }).collect();
        let from_base = Timing { en_route: false, ..timing() };
        let t = m.lower_bound_seconds(&unit("all").home, &there, TravelMode::Car, 0);
        assert!(t > 4.0 * STEP_SECONDS && t < 600.0, "{t}");
        let b = lateness(&calls, &[unit("all")], &m, &from_base);
        assert!(b >= 2.0 * t - STEP_SECONDS && b <= 3.0 * t, "{b} against T = {t}");
    }

    /// Three calls at 19:50, due at 19:55, for one day-shift unit. By hand, the best is one
    /// call at 19:50 and the other two at 08:00 and 08:10 the next morning: 12 h 5 min +
    /// 12 h 15 min late. The bound lets one call be done before the shift's end and one more
    /// run past it, so it counts the third from 19:55 to 08:00 (12 h 5 min) and the second
    /// from 19:55 until the first could be done at 20:00, less a step: valid, not tight.
    #[test]
    fn a_shift_that_ends_leaves_the_rest_for_the_next() {
        let m = TravelModel { setoff_seconds: 0.0, ..TravelModel::default() };
        let at = 19.0 * 3600.0 + 50.0 * 60.0;
        let calls: Vec<Call> = (0..3).map(|_| call(at, 600.0, 300.0)).collect();
        let b = lateness(&calls, &[unit("day")], &m, &timing());
        let by_hand = (12.0 * 3600.0 + 300.0) + (12.0 * 3600.0 + 900.0);
        let counted = (12.0 * 3600.0 + 300.0) + 300.0;
        assert!(b <= by_hand && b >= counted - 2.0 * STEP_SECONDS, "{b}");
    }

    /// A dispute at 22:00 that needs a market regulator and a mediator, both on day shifts,
    /// due at 22:30: nobody can be there before 08:00, 9 h 30 min past the promise, whoever
    /// else is on duty at night.
    #[test]
    fn a_call_whose_forces_are_all_off_duty_waits_for_the_morning() {
        let m = TravelModel { setoff_seconds: 0.0, ..TravelModel::default() };
        let need = |force| Need { force, skills: vec![] };
        let dispute = Call {
            needs: vec![need(Force::MarketRegulator), need(Force::Mediator)],
            ..call(22.0 * 3600.0, 1800.0, 1800.0)
        };
        let day = |force| Unit { force, ..unit("day") };
        let units = [day(Force::MarketRegulator), day(Force::Mediator), unit("all")];
        let b = lateness(&[dispute], &units, &m, &timing());
        assert!((b - 9.5 * 3600.0).abs() <= STEP_SECONDS, "{b}");
    }
}
