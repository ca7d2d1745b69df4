//! The rules of the residents' community features: places at activities with a waiting
//! list, and posts hidden once enough neighbours report them. The store applies them inside
//! its transactions and records each change in the audit log.

/// A resident's place at an activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Signed,
    Waitlisted,
    Cancelled,
}

impl Place {
    pub fn as_str(&self) -> &'static str {
        match self {
            Place::Signed => "signed",
            Place::Waitlisted => "waitlisted",
            Place::Cancelled => "cancelled",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Place::Signed, Place::Waitlisted, Place::Cancelled].into_iter().find(|p| p.as_str() == s)
    }
}

/// What signing up gives: the place held already (signing up twice changes nothing), else a
/// free place, else the waiting list.
pub fn sign_up(held: Option<Place>, signed: i64, capacity: i64) -> (Place, bool) {
    match held {
        Some(p @ (Place::Signed | Place::Waitlisted)) => (p, false),
        _ if signed < capacity => (Place::Signed, true),
        _ => (Place::Waitlisted, true),
    }
}

/// Who moves up when `cancelled` gives back a place: the earliest on the waiting list
/// (`(signed up at, user)` pairs), but only if a signed place was given back.
pub fn moves_up(cancelled: Option<Place>, waiting: &[(i64, i64)]) -> Option<i64> {
    (cancelled == Some(Place::Signed)).then(|| waiting.iter().min().map(|(_, user)| *user)).flatten()
}

/// Whether a check-in at the door counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckIn {
    /// Now checked in.
    Done,
    /// Checked in before: nothing changes.
    Already,
    /// No place: a waiting-list or cancelled sign-up, or none.
    NoPlace,
}

pub fn check_in(place: Option<Place>, checked_in: bool) -> CheckIn {
    match (place, checked_in) {
        (Some(Place::Signed), false) => CheckIn::Done,
        (Some(Place::Signed), true) => CheckIn::Already,
        _ => CheckIn::NoPlace,
    }
}

/// A post's status after one more neighbour's report: an open post is hidden for staff to
/// decide once `hide_at` people have reported it; any other status stays.
pub fn after_report<'a>(status: &'a str, reports: i64, hide_at: i64) -> &'a str {
    if status == "open" && reports >= hide_at {
        "hidden"
    } else {
        status
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_and_the_waiting_list() {
        assert_eq!(sign_up(None, 0, 1), (Place::Signed, true));
        assert_eq!(sign_up(None, 1, 1), (Place::Waitlisted, true));
        assert_eq!(sign_up(Some(Place::Signed), 5, 1), (Place::Signed, false));
        assert_eq!(sign_up(Some(Place::Waitlisted), 0, 1), (Place::Waitlisted, false));
        assert_eq!(sign_up(Some(Place::Cancelled), 0, 1), (Place::Signed, true));
        // The earliest waiting moves up, ties by user id, only for a signed place.
        assert_eq!(moves_up(Some(Place::Signed), &[(30, 7), (10, 9), (10, 4)]), Some(4));
        assert_eq!(moves_up(Some(Place::Waitlisted), &[(10, 4)]), None);
        assert_eq!(moves_up(Some(Place::Signed), &[]), None);
        assert_eq!(check_in(Some(Place::Signed), false), CheckIn::Done);
        assert_eq!(check_in(Some(Place::Signed), true), CheckIn::Already);
        assert_eq!(check_in(Some(Place::Waitlisted), false), CheckIn::NoPlace);
        assert_eq!(check_in(None, false), CheckIn::NoPlace);
    }

    #[test]
    fn three_reports_hide_an_open_post() {
        assert_eq!(after_report("open", 2, 3), "open");
        assert_eq!(after_report("open", 3, 3), "hidden");
        assert_eq!(after_report("removed", 9, 3), "removed");
        assert_eq!(after_report("done", 3, 3), "done");
    }
}
