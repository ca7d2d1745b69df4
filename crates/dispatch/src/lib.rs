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

pub mod osm;
pub mod pbf_write;
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
#[derive(Debug, Clone, Copy)]
pub struct TravelModel {
    /// Road distance over straight-line distance; about 1.3–1.4 in Chinese suburban grids.
    pub circuity: f64,
    pub foot_metres_per_second: f64,
    pub ebike_metres_per_second: f64,
    pub car_metres_per_second: f64,
    /// Time to get going (leave the desk, start the car).
    pub setoff_seconds: f64,
    /// Speed factor for cars in the morning (7–9) and evening (17–19) rush.
    pub rush_hour_car_factor: f64,
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
        }
    }
}

impl TravelModel {
    /// The morning (7–9) and evening (17–19) rush.
    pub fn is_rush_hour(hour: u32) -> bool {
        matches!(hour, 7..=8 | 17..=18)
    }

    /// Seconds to travel from `a` to `b` by `mode`, setting off at local hour `hour`.
    pub fn eta_seconds(&self, a: &LatLng, b: &LatLng, mode: TravelMode, hour: u32) -> f64 {
        self.route(a, b, mode, hour).eta_seconds
    }
}

impl Travel for TravelModel {
    fn route(&self, a: &LatLng, b: &LatLng, mode: TravelMode, hour: u32) -> Route {
        let metres = a.distance_metres(b) * self.circuity;
        let speed = match mode {
            TravelMode::Foot => self.foot_metres_per_second,
            TravelMode::Ebike => self.ebike_metres_per_second,
            TravelMode::Car if Self::is_rush_hour(hour) => self.car_metres_per_second * self.rush_hour_car_factor,
            TravelMode::Car => self.car_metres_per_second,
        };
        Route { eta_seconds: self.setoff_seconds + metres / speed, metres }
    }

    fn lower_bound_seconds(&self, a: &LatLng, b: &LatLng, mode: TravelMode, hour: u32) -> f64 {
        self.route(a, b, mode, hour).eta_seconds
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
        assert!(m.eta_seconds(&a, &b, TravelMode::Car, 11) < m.eta_seconds(&a, &c, TravelMode::Car, 11));
        assert!(m.eta_seconds(&a, &b, TravelMode::Car, 8) > m.eta_seconds(&a, &b, TravelMode::Car, 11));
        assert!(m.eta_seconds(&a, &b, TravelMode::Foot, 11) > m.eta_seconds(&a, &b, TravelMode::Ebike, 11));
        // 1.1 km by car at midday: set-off plus about 165 s.
        let eta = m.eta_seconds(&a, &b, TravelMode::Car, 11);
        assert!((eta - 225.0).abs() < 5.0, "{eta}");
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
        let r = rank(&site, &Need::of(&[Force::PatrolMember, Force::Mediator], &[]), &cands, &TravelModel::default(), 11, 1);
        let ids: Vec<i64> = r.iter().map(|x| x.id).collect();
        assert_eq!(ids, vec![2, 4]);
        let all = rank(&site, &Need::of(&[Force::PatrolMember], &[]), &cands, &TravelModel::default(), 11, 5);
        assert_eq!(all.iter().map(|x| x.id).collect::<Vec<_>>(), vec![2, 1]);
    }
}
