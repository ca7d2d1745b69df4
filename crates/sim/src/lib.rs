//! Discrete-event simulation of a street: demand from the scenario, responders on shifts
//! travelling along the scenario's roads (the dispatch crate's road graph, or its straight-line
//! model), and a dispatch policy that calls the very ranking the server uses. Deterministic:
//! the same scenario, options and seed give the same metrics, bit for bit.
//!
//! # The model
//! A call needs one unit of each force its category names (with the skills named for that
//! force). A decision takes [`DISPATCH_DELAY_SECONDS`]; a unit sent travels from its base,
//! serves, and travels back, and is free again once home. "On time" is someone on site within
//! [`ON_SITE_SECONDS`] of the report. Because units leave only from their bases, the offline
//! bound ([`offline`]) is a true bound for every policy.
//!
//! # Layout
//! - [`run`]: the event loop (arrivals, dispatch, units coming home, the waiting served).
//! - [`Policy`]: `closest-idle`, `coverage`, `triage` (the default) and `offline` (the
//!   hindsight bound).
//! - [`Metrics`]: the JSON object of CONTRACT.md.

pub mod offline;

use dispatch::road::RoadGraph;
use dispatch::{Candidate, Need, Ranked, Travel, TravelMode, TravelModel};
use domain::case::Priority;
use domain::category::Force;
use domain::geo::{LatLng, Polygon};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use scenario::{Scenario, StreamCategories};
use serde::Serialize;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;

/// Seconds from a report to a dispatch decision: accepting and deciding (the 1- and 3-minute
/// promises leave room for this; the street usually needs about a minute).
pub const DISPATCH_DELAY_SECONDS: f64 = 60.0;
/// The on-site promise.
pub const ON_SITE_SECONDS: f64 = 600.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// The nearest free responder of each force, the waiting served first come first
    /// served: the standard of dispatch systems.
    ClosestIdle,
    /// Keeps the area covered while it sends someone (DMEXCLP): among free responders who
    /// keep the 10-minute promise, the one whose leaving costs the least expected coverage
    /// (urgent cases get the nearest); once someone keeps the promise, the other forces send
    /// whoever the area misses least within 20 minutes; a call nobody free can reach in time
    /// goes to the nearest, unless the force is stretched (fewer than half its units free):
    /// then it waits for a unit coming back, keeping the few free for calls they can still
    /// keep. Units coming back take the waiting call they can still reach in time (urgent
    /// first), else the oldest; a call whose force has nobody out gets the nearest free unit.
    Coverage,
    /// `coverage` that keeps busy forces for promises they can still keep (the default): while
    /// a force is busy (fewer than [`BUSY_FREE_SHARE`] of it free), a unit goes where no promise
    /// can be kept any more — support for a call someone already keeps on time, or a call
    /// nobody free reaches in time — only if the area would miss it little (DMEXCLP loss at most
    /// [`SPARE_LOSS_MAX`]). Such needs wait until a unit the area can spare is free (every
    /// waiting need is offered again whenever its force has someone free), a unit comes home
    /// with nothing it can still keep, or [`WAIT_MAX_SECONDS`] have passed. Fewer late
    /// arrivals, at the price of joint forces arriving later on a busy day
    /// (`joint_wait_seconds`).
    Triage,
    /// Not a policy but a bound: the fewest late arrivals any policy could have, with every
    /// call known in advance ([`offline::bound`]).
    Offline,
}

impl Policy {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "closest-idle" => Some(Self::ClosestIdle),
            "coverage" => Some(Self::Coverage),
            "triage" | "default" => Some(Self::Triage),
            "offline" => Some(Self::Offline),
            _ => None,
        }
    }
    pub fn name(&self) -> &'static str {
        match self {
            Self::ClosestIdle => "closest-idle",
            Self::Coverage => "coverage",
            Self::Triage => "triage",
            Self::Offline => "offline",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Options {
    pub policy: Policy,
    pub days: u32,
    pub seed: u64,
    pub demand_scale: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Seconds {
    pub mean: f64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Group {
    pub cases: usize,
    pub on_site_within_10min_pct: f64,
    pub late_fraction: f64,
    pub response_seconds: Seconds,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Metrics {
    pub policy: String,
    pub seed: u64,
    pub days: u32,
    pub cases: usize,
    pub urgent_cases: usize,
    pub on_site_within_10min_pct: f64,
    pub late_fraction: f64,
    pub response_seconds: Seconds,
    /// From the report until a unit leaves for a call someone else already keeps on time: how
    /// long joint forces wait (zero for `offline`, which leaves their work out).
    pub joint_wait_seconds: Seconds,
    pub by_priority: std::collections::BTreeMap<String, Group>,
    pub responder_utilisation_pct: f64,
}

/// One call of the simulated demand.
pub struct Call {
    /// Seconds from the start.
    pub at: f64,
    pub location: LatLng,
    pub priority: Priority,
    pub needs: Vec<Need>,
    /// Time on site.
    pub service_seconds: f64,
    /// The call's own on-site promise (its category and priority), seconds after the report.
    pub on_site_seconds: f64,
}

/// One responder.
pub struct Unit {
    pub id: i64,
    pub force: Force,
    pub mode: TravelMode,
    /// The base: a station, or the grid of a grid worker.
    pub home: LatLng,
    pub shift: String,
    pub skills: Vec<String>,
    /// When the unit is back at base and free.
    pub free_at: f64,
    pub busy_seconds: f64,
}

/// Whether a shift is on duty at second `t` of the simulation (day 08:00–20:00 local).
pub fn on_duty(shift: &str, t: f64) -> bool {
    let hour = ((t / 3600.0) as u64) % 24;
    match shift {
        "day" => (8..20).contains(&hour),
        "night" => !(8..20).contains(&hour),
        _ => true,
    }
}

pub fn hour_of(t: f64) -> u32 {
    (((t / 3600.0) as u64) % 24) as u32
}

/// The calls of `days` days, from the scenario's demand.
fn demand(sc: &Scenario, o: &Options, rng: &mut ChaCha8Rng) -> Vec<Call> {
    let d = &sc.demand;
    let mean = d.hourly_profile.iter().sum::<f64>() / 24.0;
    // The category mix of the current year's streams, scaled to the daily demand.
    let mut mix: Vec<(String, f64)> = vec![];
    let weighted_total: f64 = sc.categories.iter().map(|c| c.weight).sum();
    for s in d.history.streams.values() {
        match &s.categories {
            StreamCategories::List(l) => mix.extend(l.iter().map(|c| (c.clone(), s.current_per_day / l.len() as f64))),
            StreamCategories::Weighted(_) => mix.extend(
                sc.categories
                    .iter()
                    .filter(|c| c.weight > 0.0)
                    .map(|c| (c.category.code.as_str().to_owned(), s.current_per_day * c.weight / weighted_total)),
            ),
        }
    }
    let mix_total: f64 = mix.iter().map(|m| m.1).sum();
    let grid_weights: Vec<f64> = sc
        .grids
        .iter()
        .map(|g| {
            d.weights.get(&format!("station_{}", g.station)).copied().unwrap_or(1.0)
                * d.weights.get(&format!("area_{}", g.area)).copied().unwrap_or(1.0)
        })
        .collect();
    let grid_total: f64 = grid_weights.iter().sum();
    let polygons: Vec<Polygon> = sc.grids.iter().map(|g| Polygon::new(g.ring.clone()).expect("validated")).collect();
    let per_second = d.cases_per_day * o.demand_scale / 86_400.0;
    let pick = |rng: &mut ChaCha8Rng, weights: &mut dyn Iterator<Item = f64>, total: f64| {
        let mut x = rng.gen_range(0.0..total);
        let mut i: usize = 0;
        for w in weights {
            if x < w {
                return i;
            }
            x -= w;
            i += 1;
        }
        i.saturating_sub(1)
    };
    let mut calls = vec![];
    let end = o.days as f64 * 86_400.0;
    let mut t = 0.0;
    while t < end {
        let rate = per_second * d.hourly_profile[hour_of(t) as usize] / mean;
        let u: f64 = rng.gen_range(1e-12..1.0);
        let gap = -u.ln() / rate.max(1e-9);
        // A gap that crosses into the next hour restarts there with that hour's rate.
        let next_hour = ((t / 3600.0).floor() + 1.0) * 3600.0;
        if t + gap > next_hour {
            t = next_hour;
            continue;
        }
        t += gap;
        if t >= end {
            break;
        }
        let code = &mix[pick(rng, &mut mix.iter().map(|m| m.1), mix_total)].0;
        let Some(cat) = sc.categories.iter().find(|c| c.category.code.as_str() == code) else { continue };
        let gi = pick(rng, &mut grid_weights.iter().copied(), grid_total);
        let poly = &polygons[gi];
        let ring = poly.ring();
        let (x0, x1) = ring.iter().fold((f64::MAX, f64::MIN), |a, p| (a.0.min(p[0]), a.1.max(p[0])));
        let (y0, y1) = ring.iter().fold((f64::MAX, f64::MIN), |a, p| (a.0.min(p[1]), a.1.max(p[1])));
        let location = loop {
            let p = LatLng::new(rng.gen_range(y0..y1), rng.gen_range(x0..x1)).expect("inside a valid box");
            if poly.contains(&p) {
                break p;
            }
        };
        let base = if cat.category.tags.iter().any(|t| t == "dispute") { 2700.0 } else { 1500.0 };
        let service_seconds = base * rng.gen_range(0.5..1.5);
        let priority = cat.category.default_priority;
        calls.push(Call {
            at: t,
            location,
            priority,
            needs: Need::of(&cat.category.forces, &cat.category.skills),
            service_seconds,
            on_site_seconds: on_site_promise(sc, &cat.category.code, priority),
        });
    }
    calls
}

/// The on-site promise of a category at a priority, in seconds (the policy's chain; the
/// on-site step never counts office hours).
pub fn on_site_promise(sc: &Scenario, code: &domain::codes::CategoryCode, priority: Priority) -> f64 {
    let t0 = domain::Timestamp::UNIX_EPOCH;
    (sc.policy.deadlines(code, priority, t0).on_site - t0).num_milliseconds() as f64 / 1000.0
}

/// Travel for a scenario: its road graph when it has one, else the straight-line model.
pub fn travel_for(sc: &Scenario) -> Result<Arc<dyn Travel>, String> {
    match scenario::roads_file(&sc.dir) {
        Some(path) => Ok(Arc::new(RoadGraph::load(&path, TravelModel::default()).map_err(|e| e.to_string())?)),
        None => Ok(Arc::new(TravelModel::default())),
    }
}

/// The responders of a scenario as simulated units.
fn units(sc: &Scenario) -> Vec<Unit> {
    sc.responders
        .iter()
        .filter_map(|r| {
            let home = LatLng::new(r.lat?, r.lng?).ok()?;
            Some(Unit {
                id: r.id,
                force: r.force,
                mode: TravelMode::parse(&r.travel_mode)?,
                home,
                shift: r.shift.clone(),
                skills: r.skills.clone(),
                free_at: 0.0,
                busy_seconds: 0.0,
            })
        })
        .collect()
}

/// Demand points for coverage: grid centres weighted by their share of demand.
fn demand_points(sc: &Scenario) -> Vec<(LatLng, f64)> {
    let d = &sc.demand;
    sc.grids
        .iter()
        .map(|g| {
            let w = d.weights.get(&format!("station_{}", g.station)).copied().unwrap_or(1.0)
                * d.weights.get(&format!("area_{}", g.area)).copied().unwrap_or(1.0);
            (Polygon::new(g.ring.clone()).expect("validated").centroid(), w)
        })
        .collect()
}

/// Which demand points each unit covers from home (on site within the promise after the
/// decision minute), at ordinary hours and in rush hours.
struct Reach {
    normal: Vec<Vec<bool>>,
    rush: Vec<Vec<bool>>,
}

impl Reach {
    fn new(units: &[Unit], points: &[(LatLng, f64)], travel: &dyn Travel) -> Self {
        let table = |hour| {
            units
                .iter()
                .map(|u| {
                    points
                        .iter()
                        .map(|(p, _)| {
                            travel.lower_bound_seconds(&u.home, p, u.mode, hour) <= TRAVEL_SECONDS_MAX
                                && travel.route(&u.home, p, u.mode, hour).eta_seconds <= TRAVEL_SECONDS_MAX
                        })
                        .collect()
                })
                .collect()
        };
        Self { normal: table(11), rush: table(8) }
    }
    fn of(&self, u: usize, hour: u32) -> &[bool] {
        if TravelModel::is_rush_hour(hour) {
            &self.rush[u]
        } else {
            &self.normal[u]
        }
    }
}

/// Seconds of travel that still keep the on-site promise after the decision minute.
const TRAVEL_SECONDS_MAX: f64 = ON_SITE_SECONDS - DISPATCH_DELAY_SECONDS;
/// Assumed share of time a unit is busy, for the expected-coverage weights (DMEXCLP's q).
const BUSY_SHARE: f64 = 0.3;
/// A force is stretched when fewer than this share of its units on duty are free: then a call
/// nobody free can reach in time waits for a unit coming back.
const STRETCHED_FREE_SHARE: f64 = 0.5;
/// A unit sent in support, once someone else keeps the promise, may take up to this long.
const SUPPORT_SECONDS_MAX: f64 = 1200.0;
/// `triage`: the most expected coverage (in grid weights: one grid of ordinary demand covered
/// by this unit alone costs 0.7) a trip that cannot keep a promise may cost while its force is
/// busy.
const SPARE_LOSS_MAX: f64 = 1.0;
/// `triage`: a force is busy while fewer than this share of it is free.
const BUSY_FREE_SHARE: f64 = 0.8;
/// `triage`: a need waits at most this long for a unit the area can spare.
const WAIT_MAX_SECONDS: f64 = 12.0 * 3600.0;

/// The state of a run.
struct World<'a> {
    calls: &'a [Call],
    units: Vec<Unit>,
    travel: &'a dyn Travel,
    points: Vec<(LatLng, f64)>,
    reach: Reach,
    policy: Policy,
    /// First arrival on site per call, seconds after the report.
    response: Vec<f64>,
    /// Needs waiting for a free unit: (call, index of the need).
    waiting: Vec<(usize, usize)>,
    /// When units come home free: (milliseconds, unit).
    frees: BinaryHeap<Reverse<(u64, usize)>>,
    /// Per unit sent to a call someone else already keeps on time, seconds since the report.
    joint_waits: Vec<f64>,
    /// Needs served so far.
    served: usize,
}

impl World<'_> {
    fn candidates(&self, need: &Need, now: f64, free: bool) -> Vec<Candidate> {
        self.units
            .iter()
            .enumerate()
            .filter(|(_, u)| need.force == u.force && on_duty(&u.shift, now))
            .map(|(i, u)| Candidate {
                id: i as i64,
                force: u.force,
                mode: u.mode,
                position: u.home,
                available: !free || u.free_at <= now,
                skills: u.skills.clone(),
            })
            .collect()
    }

    /// Whether `free` units are fewer than `share` of `force` on duty at `now`.
    fn free_below(&self, free: usize, force: Force, now: f64, share: f64) -> bool {
        let duty = self.units.iter().filter(|u| u.force == force && on_duty(&u.shift, now)).count();
        (free as f64) < share * duty as f64
    }

    /// DMEXCLP: the expected coverage lost if unit `u` leaves now (`dispatch::coverage`).
    fn coverage_loss(&self, u: usize, now: f64) -> f64 {
        let hour = hour_of(now);
        let force = self.units[u].force;
        let free: Vec<usize> = (0..self.units.len())
            .filter(|i| {
                let x = &self.units[*i];
                x.force == force && x.free_at <= now && on_duty(&x.shift, now)
            })
            .collect();
        let weights: Vec<f64> = self.points.iter().map(|(_, w)| *w).collect();
        let reaches = |i: usize, p: usize| self.reach.of(i, hour)[p];
        dispatch::coverage::coverage_loss(u, &reaches, &free, &weights, BUSY_SHARE)
    }

    /// Sends unit `u` to call `c` at `now`; it is busy until back at base.
    fn send(&mut self, u: usize, c: usize, now: f64) {
        let call = &self.calls[c];
        if self.on_time_already(c) {
            self.joint_waits.push(now - call.at);
        }
        self.served += 1;
        let unit = &self.units[u];
        let hour = hour_of(now);
        let there = self.travel.route(&unit.home, &call.location, unit.mode, hour).eta_seconds;
        let back =
            self.travel.route(&call.location, &unit.home, unit.mode, hour_of(now + there + call.service_seconds));
        let arrive = now + there;
        let r = arrive - call.at;
        if self.response[c].is_nan() || r < self.response[c] {
            self.response[c] = r;
        }
        // Coming home does not need the set-off minute.
        let home = arrive + call.service_seconds + (back.eta_seconds - TravelModel::default().setoff_seconds).max(0.0);
        let unit = &mut self.units[u];
        unit.busy_seconds += home - now;
        unit.free_at = home;
        self.frees.push(Reverse((millis(home), u)));
    }

    fn on_time_already(&self, c: usize) -> bool {
        self.response[c].is_finite() && self.response[c] <= self.calls[c].on_site_seconds
    }

    /// Chooses who goes for need `n` of call `c` at `now`; `None` leaves it waiting.
    fn choose(&self, c: usize, n: usize, now: f64) -> Option<usize> {
        let call = &self.calls[c];
        let need = &call.needs[n];
        let hour = hour_of(now);
        // The very ranking the server uses, over the free units, everyone ranked.
        let ranked = dispatch::rank(
            &call.location,
            std::slice::from_ref(need),
            &self.candidates(need, now, true),
            self.travel,
            hour,
            usize::MAX,
        );
        let nearest = ranked.first()?;
        if self.policy == Policy::ClosestIdle {
            return Some(nearest.id as usize);
        }
        let left = call.at + call.on_site_seconds - now;
        if call.priority == Priority::Urgent && !self.on_time_already(c) {
            // Urgent: the soonest on site, always.
            return Some(nearest.id as usize);
        }
        if self.on_time_already(c) {
            return self.spare(c, &ranked, now);
        }
        if nearest.eta_seconds <= left {
            return self.least_loss(&ranked, left, now).map(|x| x.0);
        }
        // Nobody free keeps the promise. While the force is stretched the call waits for a unit
        // coming back, so the few free stay free for calls they can still keep (units coming
        // back take the waiting in order); otherwise the nearest goes now.
        if self.free_below(ranked.len(), need.force, now, STRETCHED_FREE_SHARE) {
            return None;
        }
        if self.policy == Policy::Triage {
            return self.spare(c, &ranked, now);
        }
        Some(nearest.id as usize)
    }

    /// Among the free units `ranked` on site within `within`, the one whose leaving costs the
    /// area least expected coverage, with that cost.
    fn least_loss(&self, ranked: &[Ranked], within: f64, now: f64) -> Option<(usize, f64)> {
        ranked
            .iter()
            .filter(|r| r.eta_seconds <= within)
            .map(|r| (r.id as usize, self.coverage_loss(r.id as usize, now), r.eta_seconds))
            .min_by(|a, b| a.1.total_cmp(&b.1).then(a.2.total_cmp(&b.2)))
            .map(|x| (x.0, x.1))
    }

    /// For a need whose promise nobody can keep any more (support for a call someone already
    /// keeps, or a call nobody free reaches in time): the free unit within 20 minutes the area
    /// misses least. Under `triage`, while its force is busy, only if the area misses it
    /// little, or once the need has waited its longest.
    fn spare(&self, c: usize, ranked: &[Ranked], now: f64) -> Option<usize> {
        let nearest = ranked.first()?;
        let (u, loss) = self.least_loss(ranked, SUPPORT_SECONDS_MAX.max(nearest.eta_seconds), now)?;
        let busy = self.free_below(ranked.len(), self.units[u].force, now, BUSY_FREE_SHARE);
        if self.policy != Policy::Triage || !busy || loss <= SPARE_LOSS_MAX {
            return Some(u);
        }
        (now - self.calls[c].at >= WAIT_MAX_SECONDS).then_some(nearest.id as usize)
    }

    /// Waiting calls whose force has nobody out (so nobody will come back to take them, as after
    /// a shift change) get the nearest free unit; under `triage`, every waiting need whose force
    /// has someone free is offered to the policy again ([`World::choose`]).
    fn sweep(&mut self, now: f64) {
        let mut i = 0;
        while i < self.waiting.len() {
            let (c, n) = self.waiting[i];
            let call = &self.calls[c];
            let need = &call.needs[n];
            let on_duty = self.candidates(need, now, true);
            if self.policy == Policy::Triage && on_duty.iter().any(|x| x.available) {
                if let Some(u) = self.choose(c, n, now) {
                    self.waiting.remove(i);
                    self.send(u, c, now);
                    continue;
                }
            }
            // Nobody free, or someone on duty is out and will come back to take it.
            if !on_duty.iter().all(|x| x.available) || on_duty.is_empty() {
                i += 1;
                continue;
            }
            let ranked =
                dispatch::rank(&call.location, std::slice::from_ref(need), &on_duty, self.travel, hour_of(now), 1);
            match ranked.first() {
                Some(r) => {
                    let u = r.id as usize;
                    self.waiting.remove(i);
                    self.send(u, c, now);
                }
                None => i += 1,
            }
        }
    }

    /// A unit came home at `t`: it takes a need it can still keep on time (urgent first, then
    /// the earliest promise), else the oldest; closest-idle takes the oldest.
    fn serve_waiting(&mut self, u: usize, t: f64) {
        let unit = &self.units[u];
        let fits: Vec<usize> = (0..self.waiting.len())
            .filter(|i| {
                let (c, n) = self.waiting[*i];
                self.calls[c].needs[n].force == unit.force
                    && self.calls[c].needs[n].skills.iter().all(|s| unit.skills.contains(s))
            })
            .collect();
        // The most urgent waiting need first, then the one waiting longest.
        let rank = |p: Priority| Priority::ALL.iter().position(|x| *x == p).unwrap_or(usize::MAX);
        let first = fits.iter().copied().min_by(|a, b| {
            let (ca, cb) = (&self.calls[self.waiting[*a].0], &self.calls[self.waiting[*b].0]);
            rank(ca.priority).cmp(&rank(cb.priority)).then(ca.at.total_cmp(&cb.at))
        });
        let pick = if self.policy == Policy::ClosestIdle {
            first
        } else {
            let saves = |i: &usize| {
                let (c, _) = self.waiting[*i];
                let call = &self.calls[c];
                !self.on_time_already(c)
                    && t + self.travel.route(&unit.home, &call.location, unit.mode, hour_of(t)).eta_seconds
                        <= call.at + call.on_site_seconds
            };
            fits.iter()
                .copied()
                .filter(saves)
                .min_by_key(|i| {
                    let call = &self.calls[self.waiting[*i].0];
                    (call.priority != Priority::Urgent, (call.at * 1000.0) as u64)
                })
                .or(first)
        };
        if let Some(i) = pick {
            let (c, _) = self.waiting.remove(i);
            self.send(u, c, t);
        }
    }

    /// Lets units that came home by `t` serve the waiting.
    fn release_until(&mut self, t: f64) {
        while let Some(Reverse((ms, u))) = self.frees.peek().copied() {
            let at = ms as f64 / 1000.0;
            if at > t {
                break;
            }
            self.frees.pop();
            // Stale when the unit was sent again since: compared in the heap's own whole
            // milliseconds (its exact `free_at` lies a fraction of a millisecond later than
            // the event, which once made every homecoming look stale).
            if millis(self.units[u].free_at) > ms || !on_duty(&self.units[u].shift, at) {
                continue;
            }
            self.serve_waiting(u, at);
        }
    }

    /// After the last call: everything still waiting is served by the first unit of its
    /// force back at base.
    fn flush(&mut self) {
        self.release_until(f64::INFINITY);
        let rank = |p: Priority| Priority::ALL.iter().position(|x| *x == p).unwrap_or(usize::MAX);
        let calls = self.calls;
        self.waiting.sort_by(|a, b| {
            let (ca, cb) = (&calls[a.0], &calls[b.0]);
            rank(ca.priority).cmp(&rank(cb.priority)).then(ca.at.total_cmp(&cb.at)).then(a.cmp(b))
        });
        while !self.waiting.is_empty() {
            let (c, n) = self.waiting.remove(0);
            let need = &self.calls[c].needs[n];
            let first = self
                .units
                .iter()
                .enumerate()
                .filter(|(_, u)| need.force == u.force && need.skills.iter().all(|s| u.skills.contains(s)))
                .min_by(|a, b| a.1.free_at.total_cmp(&b.1.free_at).then(a.0.cmp(&b.0)))
                .map(|(i, u)| (i, u.free_at));
            if let Some((u, free_at)) = first {
                let at = free_at.max(self.calls[c].at + DISPATCH_DELAY_SECONDS);
                self.send(u, c, at);
            }
        }
    }
}

/// Runs the simulation.
pub fn run(sc: &Scenario, o: &Options) -> Metrics {
    let travel = travel_for(sc).unwrap_or_else(|e| panic!("{e}"));
    run_with(sc, o, travel.as_ref())
}

/// Runs the simulation with the given travel times.
pub fn run_with(sc: &Scenario, o: &Options, travel: &dyn Travel) -> Metrics {
    run_with_bound(sc, o, travel).0
}

/// Runs the simulation; for `offline`, also the bound itself (with how close a schedule found
/// comes to it).
pub fn run_with_bound(sc: &Scenario, o: &Options, travel: &dyn Travel) -> (Metrics, Option<offline::Bound>) {
    let mut rng = ChaCha8Rng::seed_from_u64(o.seed);
    let calls = demand(sc, o, &mut rng);
    let units = units(sc);
    let points = demand_points(sc);
    if o.policy == Policy::Offline {
        let bound = offline::bound(&calls, &units, travel);
        return (metrics(o, &calls, &bound.response, &[], &units, Some(&bound)), Some(bound));
    }
    let w = simulate(&calls, units, points, o, travel);
    (metrics(o, &calls, &w.response, &w.joint_waits, &w.units, None), None)
}

/// An instant as the event heap keeps it: whole milliseconds.
fn millis(t: f64) -> u64 {
    (t * 1000.0) as u64
}

/// Runs the calls through a policy to the end, everything served.
fn simulate<'a>(
    calls: &'a [Call],
    units: Vec<Unit>,
    points: Vec<(LatLng, f64)>,
    o: &Options,
    travel: &'a dyn Travel,
) -> World<'a> {
    let reach = Reach::new(&units, &points, travel);
    // A shift coming on duty takes what waits for its force.
    let mut frees = BinaryHeap::new();
    for (i, u) in units.iter().enumerate() {
        for day in 0..o.days as u64 {
            let start = match u.shift.as_str() {
                "day" => 8,
                "night" => 20,
                _ => continue,
            };
            frees.push(Reverse(((day * 86_400 + start * 3600) * 1000, i)));
        }
    }
    let mut w = World {
        calls,
        units,
        travel,
        points,
        reach,
        policy: o.policy,
        response: vec![f64::NAN; calls.len()],
        waiting: vec![],
        frees,
        joint_waits: vec![],
        served: 0,
    };
    for (c, call) in calls.iter().enumerate() {
        let now = call.at + DISPATCH_DELAY_SECONDS;
        w.release_until(now);
        if w.policy != Policy::ClosestIdle {
            w.sweep(now);
        }
        // The need that can be on site soonest leads; the others follow.
        let mut order: Vec<(f64, usize)> = (0..call.needs.len())
            .map(|n| {
                let free = w.candidates(&call.needs[n], now, true);
                let eta = dispatch::rank(
                    &call.location,
                    std::slice::from_ref(&call.needs[n]),
                    &free,
                    travel,
                    hour_of(now),
                    1,
                )
                .first()
                .map_or(f64::INFINITY, |r| r.eta_seconds);
                (eta, n)
            })
            .collect();
        order.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        for (_, n) in order {
            match w.choose(c, n, now) {
                Some(u) => w.send(u, c, now),
                None => w.waiting.push((c, n)),
            }
        }
    }
    // Needs still waiting at the end are served as units come home.
    w.flush();
    w
}

fn seconds(mut v: Vec<f64>) -> Seconds {
    v.retain(|x| x.is_finite());
    v.sort_by(f64::total_cmp);
    let pct =
        |p: f64| v.get(((v.len() as f64 * p) as usize).min(v.len().saturating_sub(1))).copied().unwrap_or(0.0).round();
    let mean = if v.is_empty() { 0.0 } else { (v.iter().sum::<f64>() / v.len() as f64).round() };
    Seconds { mean, p50: pct(0.5), p90: pct(0.9), p99: pct(0.99) }
}

/// The bound's late count replaces the count from per-call responses.
fn set_late(g: &mut Group, late: usize) {
    let n = g.cases.max(1) as f64;
    let on_time = (g.cases - late.min(g.cases)) as f64;
    g.on_site_within_10min_pct = (on_time / n * 1000.0).round() / 10.0;
    g.late_fraction = ((n - on_time) / n * 10_000.0).round() / 10_000.0;
}

fn group(idx: &[usize], response: &[f64], calls: &[Call]) -> Group {
    let r: Vec<f64> = idx.iter().map(|i| response[*i]).collect();
    let n = r.len().max(1) as f64;
    let within = r.iter().filter(|x| x.is_finite() && **x <= ON_SITE_SECONDS).count() as f64;
    // Late by each call's own on-site promise.
    let on_time =
        idx.iter().filter(|i| response[**i].is_finite() && response[**i] <= calls[**i].on_site_seconds).count() as f64;
    Group {
        cases: idx.len(),
        on_site_within_10min_pct: (within / n * 1000.0).round() / 10.0,
        late_fraction: ((n - on_time) / n * 10_000.0).round() / 10_000.0,
        response_seconds: seconds(r),
    }
}

fn metrics(
    o: &Options,
    calls: &[Call],
    response: &[f64],
    joint_waits: &[f64],
    units: &[Unit],
    bound: Option<&offline::Bound>,
) -> Metrics {
    let all: Vec<usize> = (0..calls.len()).collect();
    let mut total = group(&all, response, calls);
    let mut by_priority = std::collections::BTreeMap::new();
    for p in Priority::ALL {
        let idx: Vec<usize> = all.iter().copied().filter(|i| calls[*i].priority == p).collect();
        let mut g = group(&idx, response, calls);
        if let Some(b) = bound {
            set_late(&mut g, b.late_by_priority.get(p.as_str()).copied().unwrap_or(0));
        }
        by_priority.insert(p.as_str().to_owned(), g);
    }
    if let Some(b) = bound {
        set_late(&mut total, b.late);
    }
    let horizon = o.days as f64 * 86_400.0;
    let on_duty_seconds: f64 = units
        .iter()
        .map(|u| match u.shift.as_str() {
            "day" | "night" => horizon / 2.0,
            _ => horizon,
        })
        .sum();
    // A unit's busy time counts up to its time on duty (work running past the end of a
    // shift or of the run is not more than all of it), so utilisation never exceeds 100 %.
    let duty_of = |u: &Unit| match u.shift.as_str() {
        "day" | "night" => horizon / 2.0,
        _ => horizon,
    };
    let busy: f64 = units.iter().map(|u| u.busy_seconds.min(duty_of(u))).sum();
    Metrics {
        policy: o.policy.name().into(),
        seed: o.seed,
        days: o.days,
        cases: calls.len(),
        urgent_cases: by_priority["urgent"].cases,
        on_site_within_10min_pct: total.on_site_within_10min_pct,
        late_fraction: total.late_fraction,
        response_seconds: total.response_seconds,
        joint_wait_seconds: seconds(joint_waits.to_vec()),
        by_priority,
        responder_utilisation_pct: if o.policy == Policy::Offline {
            0.0
        } else {
            (busy / on_duty_seconds.max(1.0) * 1000.0).round() / 10.0
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn linjiang() -> Scenario {
        scenario::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/linjiang")).unwrap()
    }

    /// A unit home a fraction of a millisecond after a whole millisecond takes the call that
    /// waited for it, before a call that comes in later (the old comparison skipped every
    /// such homecoming, and the later call took the unit).
    #[test]
    fn a_unit_coming_home_takes_the_call_that_waited() {
        let base = LatLng::new(30.26, 120.57).unwrap();
        let there = LatLng::new(30.2637, 120.5731).unwrap();
        let unit = Unit {
            id: 1,
            force: Force::Police,
            mode: TravelMode::Car,
            home: base,
            shift: "all".into(),
            skills: vec![],
            free_at: 0.0,
            busy_seconds: 0.0,
        };
        let call = |at: f64| Call {
            at,
            location: there,
            priority: Priority::Normal,
            needs: vec![dispatch::Need { force: Force::Police, skills: vec![] }],
            service_seconds: 600.4,
            on_site_seconds: ON_SITE_SECONDS,
        };
        let travel = TravelModel::default();
        let calls = vec![call(0.0), call(30.0), call(5_000.0)];
        let o = Options { policy: Policy::ClosestIdle, days: 1, seed: 1, demand_scale: 1.0 };
        let w = simulate(&calls, vec![unit], vec![(there, 1.0)], &o, &travel);
        // The first trip ends at a fractional instant.
        let first = &w.calls[0];
        let out = travel.route(&base, &there, TravelMode::Car, hour_of(DISPATCH_DELAY_SECONDS)).eta_seconds;
        assert!(out.fract() != 0.0 || first.service_seconds.fract() != 0.0);
        // The second call was answered when the unit came home, long before the third came in.
        assert!(w.response[1] < 5_000.0 - 30.0, "the waiting call took {} s", w.response[1]);
        assert!(w.response[2] < 600.0, "the later call found the unit at home: {} s", w.response[2]);
    }

    fn one_police_unit() -> (Unit, LatLng, LatLng) {
        let base = LatLng::new(30.26, 120.57).unwrap();
        let there = LatLng::new(30.2637, 120.5731).unwrap();
        let unit = Unit {
            id: 1,
            force: Force::Police,
            mode: TravelMode::Car,
            home: base,
            shift: "all".into(),
            skills: vec![],
            free_at: 0.0,
            busy_seconds: 0.0,
        };
        (unit, base, there)
    }

    /// Calls waiting for the one unit are served most urgent first, then oldest — not in the
    /// order they came (a parking complaint does not keep a fight waiting).
    #[test]
    fn the_waiting_are_served_by_priority_then_age() {
        let (unit, _, there) = one_police_unit();
        let call = |at: f64, priority| Call {
            at,
            location: there,
            priority,
            needs: vec![dispatch::Need { force: Force::Police, skills: vec![] }],
            service_seconds: 1800.0,
            on_site_seconds: ON_SITE_SECONDS,
        };
        // The unit is out on the first call; a low-priority call and then an urgent one wait.
        let calls = vec![call(0.0, Priority::Normal), call(100.0, Priority::Low), call(200.0, Priority::Urgent)];
        let o = Options { policy: Policy::ClosestIdle, days: 1, seed: 1, demand_scale: 1.0 };
        let travel = TravelModel::default();
        let w = simulate(&calls, vec![unit], vec![(there, 1.0)], &o, &travel);
        assert!(w.response[2] < w.response[1] + 100.0, "urgent {} s, low {} s", w.response[2], w.response[1]);
        // Served one after the other: the urgent one a full trip before the low one.
        assert!(w.response[1] - w.response[2] > 1800.0 - 200.0, "{:?}", w.response);
    }

    /// A call is late by its own promise: 30 minutes for one, 10 for another, the same
    /// arrival after 15 minutes.
    #[test]
    fn late_is_judged_by_each_calls_own_promise() {
        let (_, _, there) = one_police_unit();
        let call = |on_site_seconds: f64| Call {
            at: 0.0,
            location: there,
            priority: Priority::Normal,
            needs: vec![],
            service_seconds: 60.0,
            on_site_seconds,
        };
        let calls = vec![call(1800.0), call(600.0)];
        let g = group(&[0, 1], &[900.0, 900.0], &calls);
        assert_eq!(g.late_fraction, 0.5);
        assert_eq!(g.on_site_within_10min_pct, 0.0, "the 10-minute figure stays literal");
        // The scenario's own promises: Linjiang's on-site step is 10 minutes.
        let sc = linjiang();
        let code = domain::codes::CategoryCode::parse("SJ1006").unwrap();
        assert_eq!(on_site_promise(&sc, &code, Priority::Urgent), 600.0);
    }

    /// Work that runs past the end of a shift or of the run never makes a unit more than fully
    /// busy.
    #[test]
    fn utilisation_never_exceeds_a_hundred_per_cent() {
        let sc = linjiang();
        for policy in [Policy::ClosestIdle, Policy::Triage] {
            let m = run(&sc, &Options { policy, days: 1, seed: 4, demand_scale: 6.0 });
            assert!(m.responder_utilisation_pct <= 100.0, "{policy:?}: {}", m.responder_utilisation_pct);
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_metrics() {
        let sc = linjiang();
        let o = Options { policy: Policy::Coverage, days: 1, seed: 42, demand_scale: 1.0 };
        let a = serde_json::to_string(&run(&sc, &o)).unwrap();
        let b = serde_json::to_string(&run(&sc, &o)).unwrap();
        assert_eq!(a, b);
        let c = serde_json::to_string(&run(&sc, &Options { seed: 43, ..o })).unwrap();
        assert_ne!(a, c);
    }

    #[test]
    fn demand_and_bound_behave() {
        let sc = linjiang();
        let run_with = |policy, scale| run(&sc, &Options { policy, days: 2, seed: 7, demand_scale: scale });
        let normal = run_with(Policy::ClosestIdle, 1.0);
        // About 400 cases a day, about a tenth urgent.
        assert!((700..900).contains(&normal.cases), "{}", normal.cases);
        assert!((normal.urgent_cases as f64 / normal.cases as f64 - 0.10).abs() < 0.05);
        let busy = run_with(Policy::ClosestIdle, 3.0);
        assert!(busy.cases > 2 * normal.cases);
        // The bound is never worse than a policy, and a busier day is never better.
        let bound = run_with(Policy::Offline, 3.0);
        assert!(bound.late_fraction <= busy.late_fraction);
        assert!(busy.late_fraction >= normal.late_fraction);
        assert!(normal.responder_utilisation_pct > 0.0 && normal.responder_utilisation_pct < 100.0);
        // Every case got someone.
        assert!(normal.response_seconds.p99 > 0.0);
    }

    #[test]
    fn every_need_of_every_call_is_served_under_every_policy() {
        let sc = linjiang();
        let travel = travel_for(&sc).unwrap();
        for policy in [Policy::ClosestIdle, Policy::Coverage, Policy::Triage] {
            let o = Options { policy, days: 1, seed: 3, demand_scale: 3.0 };
            let calls = demand(&sc, &o, &mut ChaCha8Rng::seed_from_u64(o.seed));
            let w = simulate(&calls, units(&sc), demand_points(&sc), &o, travel.as_ref());
            let needs: usize = calls.iter().map(|c| c.needs.len()).sum();
            assert_eq!(w.served, needs, "{policy:?}");
            assert!(w.waiting.is_empty(), "{policy:?}");
            assert!(w.response.iter().all(|r| r.is_finite() && *r >= DISPATCH_DELAY_SECONDS), "{policy:?}");
        }
    }

    #[test]
    fn triage_holds_support_back_on_a_busy_day_and_keeps_more_calls() {
        let sc = linjiang();
        let travel = travel_for(&sc).unwrap();
        let o = |policy| Options { policy, days: 1, seed: 2, demand_scale: 3.0 };
        let coverage = run_with(&sc, &o(Policy::Coverage), travel.as_ref());
        let triage = run_with(&sc, &o(Policy::Triage), travel.as_ref());
        // Coverage sends support at once when anyone is free; triage lets it wait for a unit
        // the area can spare, and keeps more first responses on time for it.
        assert_eq!(coverage.joint_wait_seconds.p50, DISPATCH_DELAY_SECONDS);
        // (Half of all support waits more than five decision minutes; the most urgent waiting
        // needs are served first, so support is not always the oldest.)
        assert!(triage.joint_wait_seconds.p50 > 5.0 * DISPATCH_DELAY_SECONDS, "{:?}", triage.joint_wait_seconds);
        assert!(triage.late_fraction < coverage.late_fraction);
        // At normal demand a force is seldom busy: support mostly goes at once.
        let normal = run_with(&sc, &Options { demand_scale: 1.0, ..o(Policy::Triage) }, travel.as_ref());
        assert_eq!(normal.joint_wait_seconds.p50, DISPATCH_DELAY_SECONDS);
    }

    #[test]
    fn the_offline_bound_is_never_beaten() {
        let sc = linjiang();
        let travel = travel_for(&sc).unwrap();
        for seed in [1, 2] {
            let o = |policy| Options { policy, days: 1, seed, demand_scale: 3.0 };
            let bound = run_with(&sc, &o(Policy::Offline), travel.as_ref());
            for policy in [Policy::ClosestIdle, Policy::Coverage, Policy::Triage] {
                let m = run_with(&sc, &o(policy), travel.as_ref());
                assert!(
                    bound.late_fraction <= m.late_fraction,
                    "{seed} {policy:?}: {} > {}",
                    bound.late_fraction,
                    m.late_fraction
                );
                assert_eq!(m.cases, bound.cases);
                assert!(m.response_seconds.p99.is_finite() && m.response_seconds.p99 > 0.0);
            }
        }
    }
}
