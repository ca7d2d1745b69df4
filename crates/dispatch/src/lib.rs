//! Who goes to a case.
//!
//! # Layout
//! - [`Travel`]: travel time and distance between two points by a travel mode at an hour;
//!   [`TravelModel`] is the fallback (straight line × circuity, rush hours),
//!   [`road::RoadGraph`] the road network (contraction hierarchies, built by [`osm`]).
//! - [`rank`]: candidates for a case, for each force its category requires (and with the
//!   skills it requires), soonest on site first, each with its ETA and distance. Exact road
//!   times are computed only for candidates whose straight-line lower bound could still beat
//!   the ones already found.
//!
//! Pure apart from reading a road file: positions, times and the hour of day are passed in.

pub mod coverage;
pub mod osm;
pub mod pbf_write;
pub mod policy;
pub mod road;

use domain::category::Force;
use domain::geo::LatLng;

/// How long a trip takes and how long it is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Route {
    pub eta_seconds: f64,
    pub metres: f64,
}

/// Travel times between points.
pub trait Travel: Send + Sync {
    /// The trip from `a` to `b` by `mode`, setting off at local hour `hour`.
    fn route(&self, a: &LatLng, b: &LatLng, mode: TravelMode, hour: u32) -> Route;
    /// Never more than `route(..).eta_seconds`; cheap.
    fn lower_bound_seconds(&self, a: &LatLng, b: &LatLng, mode: TravelMode, hour: u32) -> f64;
    /// What the times follow, in words for a recommendation's reason.
    fn describe(&self) -> &'static str;
}

/// How someone travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TravelMode {
    Foot,
    Ebike,
    Car,
}

impl TravelMode {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "foot" => Some(Self::Foot),
            "ebike" => Some(Self::Ebike),
            "car" => Some(Self::Car),
            _ => None,
        }
    }
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Foot => "foot",
            Self::Ebike => "ebike",
            Self::Car => "car",
        }
    }
}

/// Straight line × circuity at a mode's speed, plus a fixed time to set off.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TravelModel {
    /// Road distance over straight-line distance; about 1.3–1.4 in Chinese suburban grids.
    pub circuity: f64,
    pub foot_metres_per_second: f64,
    pub ebike_metres_per_second: f64,
    pub car_metres_per_second: f64,
    /// Time to get going (leave the desk, start the car).
    pub setoff_seconds: f64,
    /// Speed factor for cars in the rush hours.
    pub rush_hour_car_factor: f64,
    /// The local hours (0–23) of the rush: by default the morning (7–9) and evening (17–19).
    pub rush_hours: [bool; 24],
    /// Speed off the road, between a point and the nearest junction, by car (parking, lanes,
    /// gates); people on foot or e-bike keep their own speed.
    pub off_road_car_metres_per_second: f64,
}

impl Default for TravelModel {
    fn default() -> Self {
        Self {
            circuity: 1.35,
            foot_metres_per_second: 1.3,
            ebike_metres_per_second: 5.0,
            car_metres_per_second: 9.0,
            setoff_seconds: 60.0,
            rush_hour_car_factor: 0.7,
            rush_hours: std::array::from_fn(|h| matches!(h, 7..=8 | 17..=18)),
            off_road_car_metres_per_second: 5.0,
        }
    }
}

impl TravelModel {
    /// Whether local hour `hour` is in the rush.
    pub fn is_rush_hour(&self, hour: u32) -> bool {
        self.rush_hours[(hour % 24) as usize]
    }
}

impl Travel for TravelModel {
    fn route(&self, a: &LatLng, b: &LatLng, mode: TravelMode, hour: u32) -> Route {
        let metres = a.distance_metres(b) * self.circuity;
        let speed = match mode {
            TravelMode::Foot => self.foot_metres_per_second,
            TravelMode::Ebike => self.ebike_metres_per_second,
            TravelMode::Car if self.is_rush_hour(hour) => self.car_metres_per_second * self.rush_hour_car_factor,
            TravelMode::Car => self.car_metres_per_second,
        };
        Route { eta_seconds: self.setoff_seconds + metres / speed, metres }
    }

    fn lower_bound_seconds(&self, a: &LatLng, b: &LatLng, mode: TravelMode, hour: u32) -> f64 {
        self.route(a, b, mode, hour).eta_seconds
    }

    fn describe(&self) -> &'static str {
        "a straight line × 1.35"
    }
}

/// Someone who could be sent.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub id: i64,
    pub force: Force,
    pub mode: TravelMode,
    pub position: LatLng,
    /// Free to take a case now.
    pub available: bool,
    pub skills: Vec<String>,
}

/// One force a case needs, with the skills whoever goes must have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    pub force: Force,
    pub skills: Vec<String>,
}

impl Need {
    /// The needs of a category: its forces, each with the skills listed for it.
    pub fn of(forces: &[Force], skills: &[(Force, String)]) -> Vec<Need> {
        forces
            .iter()
            .map(|f| Need {
                force: *f,
                skills: skills.iter().filter(|(sf, _)| sf == f).map(|(_, s)| s.clone()).collect(),
            })
            .collect()
    }

    pub fn admits(&self, c: &Candidate) -> bool {
        c.force == self.force && self.skills.iter().all(|s| c.skills.contains(s))
    }
}

/// One ranked candidate and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    pub id: i64,
    pub force: Force,
    pub eta_seconds: f64,
    /// Along the route.
    pub distance_metres: f64,
}

/// For each need, the `per_force` available candidates soonest on site; the whole list is
/// ordered by ETA, best first. Ties break by id so results are repeatable. Candidates are
/// visited in the order of their lower bound, and the search for a need stops once that bound
/// exceeds the `per_force`-th best ETA found: the result is the same as routing everyone.
pub fn rank(
    site: &LatLng,
    needs: &[Need],
    candidates: &[Candidate],
    travel: &dyn Travel,
    hour: u32,
    per_force: usize,
) -> Vec<Ranked> {
    let mut out = vec![];
    for need in needs {
        let mut bounded: Vec<(f64, &Candidate)> = candidates
            .iter()
            .filter(|c| c.available && need.admits(c))
            .map(|c| (travel.lower_bound_seconds(&c.position, site, c.mode, hour), c))
            .collect();
        bounded.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.id.cmp(&b.1.id)));
        let mut best: Vec<Ranked> = vec![];
        for (bound, c) in bounded {
            if best.len() >= per_force && bound > best[per_force - 1].eta_seconds {
                break;
            }
            let r = travel.route(&c.position, site, c.mode, hour);
            let ranked = Ranked { id: c.id, force: c.force, eta_seconds: r.eta_seconds, distance_metres: r.metres };
            let at = best.partition_point(|x| (x.eta_seconds, x.id) <= (ranked.eta_seconds, ranked.id));
            best.insert(at, ranked);
            best.truncate(per_force);
        }
        out.extend(best);
    }
    out.sort_by(|a, b| a.eta_seconds.total_cmp(&b.eta_seconds).then(a.id.cmp(&b.id)));
    out
}

/// A suggestion to move an idle responder to a place the promise no longer covers.
#[derive(Debug, Clone, PartialEq)]
pub struct MoveUp {
    pub id: i64,
    /// Index into the demand points: where to wait.
    pub to: usize,
    /// Demand weight newly covered, less the weight only this responder covered where they are.
    pub gain: f64,
    /// Time to get there.
    pub eta_seconds: f64,
}

/// Move-ups (for one force): demand points `points` (place, weight) are covered when some idle
/// candidate reaches them within `within` seconds. Greedily picks up to `limit` moves of idle
/// candidates to demand points, each the largest net gain in covered weight (the shorter trip
/// on a tie), and stops when no move gains.
pub fn move_ups(
    points: &[(LatLng, f64)],
    idle: &[Candidate],
    travel: &dyn Travel,
    hour: u32,
    within: f64,
    limit: usize,
) -> Vec<MoveUp> {
    let reaches = |from: &LatLng, mode: TravelMode, to: &LatLng| {
        travel.lower_bound_seconds(from, to, mode, hour) <= within
            && travel.route(from, to, mode, hour).eta_seconds <= within
    };
    let mut at: Vec<LatLng> = idle.iter().map(|c| c.position).collect();
    let mut reach: Vec<Vec<bool>> =
        idle.iter().zip(&at).map(|(c, a)| points.iter().map(|(p, _)| reaches(a, c.mode, p)).collect()).collect();
    // From each demand point, by each mode in use, which points it reaches.
    let mut from_point: std::collections::HashMap<(usize, &'static str), Vec<bool>> = Default::default();
    let mut out: Vec<MoveUp> = vec![];
    for _ in 0..limit {
        let cover: Vec<usize> = (0..points.len()).map(|p| reach.iter().filter(|r| r[p]).count()).collect();
        if cover.iter().all(|c| *c > 0) {
            break;
        }
        let mut best: Option<MoveUp> = None;
        for (ci, c) in idle.iter().enumerate() {
            if out.iter().any(|m| m.id == c.id) {
                continue;
            }
            let lost: f64 = (0..points.len()).filter(|p| cover[*p] == 1 && reach[ci][*p]).map(|p| points[p].1).sum();
            for (q, (qp, _)) in points.iter().enumerate() {
                if cover[q] > 0 {
                    continue;
                }
                let from_q = from_point
                    .entry((q, c.mode.as_str()))
                    .or_insert_with(|| points.iter().map(|(p, _)| reaches(qp, c.mode, p)).collect());
                let gained: f64 = (0..points.len()).filter(|p| cover[*p] == 0 && from_q[*p]).map(|p| points[p].1).sum();
                let kept: f64 = (0..points.len())
                    .filter(|p| cover[*p] == 1 && reach[ci][*p] && from_q[*p])
                    .map(|p| points[p].1)
                    .sum();
                let gain = gained - (lost - kept);
                if gain <= 0.0 {
                    continue;
                }
                let better = match &best {
                    None => true,
                    Some(b) => {
                        gain > b.gain + 1e-9
                            || ((gain - b.gain).abs() <= 1e-9 && {
                                let eta = travel.route(&at[ci], qp, c.mode, hour).eta_seconds;
                                eta < b.eta_seconds
                            })
                    }
                };
                if better {
                    let eta = travel.route(&at[ci], qp, c.mode, hour).eta_seconds;
                    best = Some(MoveUp { id: c.id, to: q, gain, eta_seconds: eta });
                }
            }
        }
        let Some(m) = best else { break };
        let ci = idle.iter().position(|c| c.id == m.id).expect("chosen from idle");
        at[ci] = points[m.to].0;
        reach[ci] = from_point[&(m.to, idle[ci].mode.as_str())].clone();
        out.push(m);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(lat: f64, lng: f64) -> LatLng {
        LatLng::new(lat, lng).unwrap()
    }

    #[test]
    fn eta_grows_with_distance_and_rush_hour() {
        let m = TravelModel::default();
        let (a, b, c) = (p(30.29, 120.60), p(30.30, 120.60), p(30.32, 120.60));
        assert!(m.route(&a, &b, TravelMode::Car, 11).eta_seconds < m.route(&a, &c, TravelMode::Car, 11).eta_seconds);
        assert!(m.route(&a, &b, TravelMode::Car, 8).eta_seconds > m.route(&a, &b, TravelMode::Car, 11).eta_seconds);
        assert!(m.route(&a, &b, TravelMode::Foot, 11).eta_seconds > m.route(&a, &b, TravelMode::Ebike, 11).eta_seconds);
        // 1.1 km by car at midday: set-off plus about 165 s.
        let eta = m.route(&a, &b, TravelMode::Car, 11).eta_seconds;
        assert!((eta - 225.0).abs() < 5.0, "{eta}");
    }

    #[test]
    fn move_ups_fill_an_uncovered_place_without_uncovering_another() {
        let m = TravelModel::default();
        let c = |id, lat, lng| Candidate {
            id,
            force: Force::Police,
            mode: TravelMode::Car,
            position: p(lat, lng),
            available: true,
            skills: vec![],
        };
        // Two police at the west end, none in the east 8 km away.
        let idle = vec![c(1, 30.29, 120.55), c(2, 30.291, 120.551)];
        let points = vec![(p(30.29, 120.55), 1.0), (p(30.29, 120.63), 1.0), (p(30.29, 120.631), 1.0)];
        let moves = move_ups(&points, &idle, &m, 11, 540.0, 3);
        assert_eq!(moves.len(), 1, "{moves:?}");
        assert_eq!((moves[0].to, moves[0].gain), (1, 2.0));
        // Alone, nobody moves: the west would be lost for as much as the east gains.
        let alone = move_ups(&points[..2], &idle[..1], &m, 11, 540.0, 3);
        assert!(alone.is_empty(), "{alone:?}");
        // Everything covered: nothing to do.
        assert!(move_ups(&points[..1], &idle, &m, 11, 540.0, 3).is_empty());
    }

    #[test]
    fn joint_dispatch_fills_every_force_soonest_first() {
        let site = p(30.29, 120.60);
        let cands = vec![
            Candidate {
                id: 1,
                force: Force::PatrolMember,
                mode: TravelMode::Car,
                position: p(30.30, 120.60),
                available: true,
                skills: vec![],
            },
            Candidate {
                id: 2,
                force: Force::PatrolMember,
                mode: TravelMode::Car,
                position: p(30.291, 120.60),
                available: true,
                skills: vec![],
            },
            Candidate {
                id: 3,
                force: Force::PatrolMember,
                mode: TravelMode::Car,
                position: p(30.2901, 120.60),
                available: false,
                skills: vec![],
            },
            Candidate {
                id: 4,
                force: Force::Mediator,
                mode: TravelMode::Car,
                position: p(30.31, 120.60),
                available: true,
                skills: vec![],
            },
            Candidate {
                id: 5,
                force: Force::Police,
                mode: TravelMode::Car,
                position: p(30.29, 120.60),
                available: true,
                skills: vec![],
            },
        ];
        let r = rank(
            &site,
            &Need::of(&[Force::PatrolMember, Force::Mediator], &[]),
            &cands,
            &TravelModel::default(),
            11,
            1,
        );
        let ids: Vec<i64> = r.iter().map(|x| x.id).collect();
        assert_eq!(ids, vec![2, 4]);
        let all = rank(&site, &Need::of(&[Force::PatrolMember], &[]), &cands, &TravelModel::default(), 11, 5);
        assert_eq!(all.iter().map(|x| x.id).collect::<Vec<_>>(), vec![2, 1]);
    }
}
