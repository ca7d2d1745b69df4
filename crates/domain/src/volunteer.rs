//! Volunteer service (志愿服务): teams, shifts with check-in at the place, hours and the star
//! levels of the service record (志愿服务条例 2017; the 2021 rules on service records: hours
//! come from the record of attendance, not from what the volunteer says).

use crate::geo::LatLng;
use crate::Timestamp;

names! {
    /// The kind of team.
    TeamKind { Aunties => "aunties", AntiFraud => "anti_fraud", Patrol => "patrol", Publicity => "publicity",
               Mediation => "mediation", Help => "help" }
}

/// Hours at which a volunteer reaches one to five stars.
pub const STAR_HOURS: [u32; 5] = [100, 300, 600, 1000, 1500];

/// Stars (0–5) for a number of service minutes.
pub fn stars(minutes: i64) -> u8 {
    STAR_HOURS.iter().filter(|&&h| minutes >= h as i64 * 60).count() as u8
}

/// Hours still to serve for the next star, or `None` at five stars.
pub fn hours_to_next_star(minutes: i64) -> Option<f64> {
    STAR_HOURS.iter().find(|&&h| minutes < h as i64 * 60).map(|&h| (h as i64 * 60 - minutes) as f64 / 60.0)
}

/// The minutes a check-in and check-out give: the time between them, never more than the
/// shift's length (a volunteer who forgot to check out is not credited the night).
pub fn served_minutes(checked_in: Timestamp, checked_out: Timestamp, starts_at: Timestamp, ends_at: Timestamp) -> i64 {
    let length = (ends_at - starts_at).num_minutes().max(0);
    (checked_out - checked_in).num_minutes().clamp(0, length)
}

/// Minutes a team leader may still add for one volunteer at one shift: what the shift's
/// length leaves after what was recorded already.
pub fn addable_minutes(recorded: i64, starts_at: Timestamp, ends_at: Timestamp) -> i64 {
    ((ends_at - starts_at).num_minutes() - recorded).max(0)
}

/// Whether a phone's position is close enough to the place to check in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Near {
    Yes,
    /// Too far: how far it is, in metres.
    No(f64),
}

pub fn near(place: &LatLng, phone: &LatLng, radius_m: f64) -> Near {
    let d = place.distance_metres(phone);
    if d <= radius_m {
        Near::Yes
    } else {
        Near::No(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn star_levels_at_100_300_600_1000_1500_hours() {
        assert_eq!(stars(0), 0);
        assert_eq!(stars(99 * 60 + 59), 0);
        assert_eq!(stars(100 * 60), 1);
        assert_eq!(stars(299 * 60), 1);
        assert_eq!(stars(300 * 60), 2);
        assert_eq!(stars(600 * 60), 3);
        assert_eq!(stars(1000 * 60), 4);
        assert_eq!(stars(1500 * 60), 5);
        assert_eq!(hours_to_next_star(90 * 60), Some(10.0));
        assert_eq!(hours_to_next_star(1500 * 60), None);
    }

    #[test]
    fn hours_are_capped_at_the_shift() {
        let t = |h: i64, m: i64| {
            chrono::Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap() + chrono::Duration::minutes(h * 60 + m)
        };
        // A two-hour shift 9:00–11:00.
        assert_eq!(served_minutes(t(8, 55), t(10, 40), t(9, 0), t(11, 0)), 105);
        assert_eq!(served_minutes(t(9, 0), t(23, 0), t(9, 0), t(11, 0)), 120);
        assert_eq!(served_minutes(t(10, 0), t(9, 0), t(9, 0), t(11, 0)), 0);
        assert_eq!(addable_minutes(105, t(9, 0), t(11, 0)), 15);
        assert_eq!(addable_minutes(120, t(9, 0), t(11, 0)), 0);
    }

    #[test]
    fn check_in_only_near_the_place() {
        let place = LatLng::new(30.2650, 120.4900).unwrap();
        // About 111 m north per 0.001° of latitude.
        let close = LatLng::new(30.2659, 120.4900).unwrap();
        let far = LatLng::new(30.2680, 120.4900).unwrap();
        assert_eq!(near(&place, &close, 200.0), Near::Yes);
        match near(&place, &far, 200.0) {
            Near::No(d) => assert!((330.0..340.0).contains(&d), "{d}"),
            Near::Yes => panic!("333 m is outside 200 m"),
        }
    }
}
