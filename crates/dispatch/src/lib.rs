//! Who goes to a case.
//!
//! # Layout
//! - [`TravelModel`]: the fallback travel-time model — straight-line distance times a
//!   circuity factor, at a speed for each travel mode, slower in rush hours.
//! - [`rank`]: candidates for a case, for each force its category requires, soonest on site
//!   first, each with the reason it was chosen.
//!
//! Pure: positions, times and the hour of day are passed in.

use domain::category::Force;
use domain::geo::LatLng;

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
    /// Seconds to travel from `a` to `b` by `mode`, setting off at local hour `hour`.
    pub fn eta_seconds(&self, a: &LatLng, b: &LatLng, mode: TravelMode, hour: u32) -> f64 {
        let metres = a.distance_metres(b) * self.circuity;
        let rush = matches!(hour, 7..=8 | 17..=18);
        let speed = match mode {
            TravelMode::Foot => self.foot_metres_per_second,
            TravelMode::Ebike => self.ebike_metres_per_second,
            TravelMode::Car if rush => self.car_metres_per_second * self.rush_hour_car_factor,
            TravelMode::Car => self.car_metres_per_second,
        };
        self.setoff_seconds + metres / speed
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
}

/// One ranked candidate and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    pub id: i64,
    pub force: Force,
    pub eta_seconds: f64,
    pub distance_metres: f64,
}

/// For each required force, the `per_force` available candidates soonest on site; the whole
/// list is ordered by ETA, best first. Ties break by id so results are repeatable.
pub fn rank(
    site: &LatLng,
    forces: &[Force],
    candidates: &[Candidate],
    model: &TravelModel,
    hour: u32,
    per_force: usize,
) -> Vec<Ranked> {
    let mut out = vec![];
    for force in forces {
        let mut of_force: Vec<Ranked> = candidates
            .iter()
            .filter(|c| c.available && c.force == *force)
            .map(|c| Ranked {
                id: c.id,
                force: c.force,
                eta_seconds: model.eta_seconds(&c.position, site, c.mode, hour),
                distance_metres: c.position.distance_metres(site),
            })
            .collect();
        of_force.sort_by(|a, b| a.eta_seconds.total_cmp(&b.eta_seconds).then(a.id.cmp(&b.id)));
        out.extend(of_force.into_iter().take(per_force));
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
            },
            Candidate {
                id: 2,
                force: Force::PatrolMember,
                mode: TravelMode::Car,
                position: p(30.291, 120.60),
                available: true,
            },
            Candidate {
                id: 3,
                force: Force::PatrolMember,
                mode: TravelMode::Car,
                position: p(30.2901, 120.60),
                available: false,
            },
            Candidate {
                id: 4,
                force: Force::Mediator,
                mode: TravelMode::Car,
                position: p(30.31, 120.60),
                available: true,
            },
            Candidate {
                id: 5,
                force: Force::Police,
                mode: TravelMode::Car,
                position: p(30.29, 120.60),
                available: true,
            },
        ];
        let r = rank(&site, &[Force::PatrolMember, Force::Mediator], &cands, &TravelModel::default(), 11, 1);
        let ids: Vec<i64> = r.iter().map(|x| x.id).collect();
        assert_eq!(ids, vec![2, 4]);
        let all = rank(&site, &[Force::PatrolMember], &cands, &TravelModel::default(), 11, 5);
        assert_eq!(all.iter().map(|x| x.id).collect::<Vec<_>>(), vec![2, 1]);
    }
}
