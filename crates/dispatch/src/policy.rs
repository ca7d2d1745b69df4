//! The default policy's choice among the free candidates of one force, and why — the order
//! the console shows and the simulator's `coverage`/`triage` policies send by.
//!
//! - An urgent call nobody keeps yet: the soonest on site.
//! - Otherwise, of those on site within the time left, the one whose leaving costs the area
//!   least expected coverage ([`crate::coverage::coverage_loss`]), then the soonest.
//! - Those who cannot make it in time follow, soonest first. When the force is busy, a call
//!   nobody can keep any more, or support for a call someone already keeps, can wait for
//!   someone coming clear if sending now is expected to cost more than one on-time call of the
//!   force, for as long as [`wait_allowed_seconds`] says: the console says so.

use crate::Ranked;

/// Why a candidate is where it is in the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// Urgent: the soonest on site, whatever the coverage.
    Urgent,
    /// The pick: on time, and the least expected coverage lost of those on time.
    Best,
    /// On time, and the area stays covered (nobody's only cover).
    KeepsCover,
    /// On time, but the only cover of some of the area for now.
    LeavesGap,
    /// Cannot make it within the time left; the soonest of those.
    Late,
    /// Cannot keep the promise (or someone already does), the force is busy and this one's
    /// trip would cost more on-time calls than a wait ([`wait_allowed_seconds`]): may wait for
    /// someone coming clear.
    CanWait,
}

impl Why {
    /// In the street's words, Chinese and English.
    pub fn words(&self) -> (&'static str, &'static str) {
        match self {
            Why::Urgent => ("紧急，最快到场", "urgent: the soonest"),
            Why::Best => ("首选：按时可达，对覆盖影响最小", "first choice: on time, least cover lost"),
            Why::KeepsCover => ("按时可达，片区仍有覆盖", "on time, area still covered"),
            Why::LeavesGap => ("按时可达，但会留下空白", "on time, but leaves a gap"),
            Why::Late => ("赶不上时限，此人最快", "too far for the promise; the soonest"),
            Why::CanWait => ("赶不上时限，力量紧张可稍后派", "too far; force busy, can wait"),
        }
    }
}

/// The situation of one need of a call.
#[derive(Debug, Clone, Copy)]
pub struct Situation {
    /// Seconds left until the on-site promise.
    pub left_seconds: f64,
    pub urgent: bool,
    /// Someone (of another force) already keeps the promise: this one is support.
    pub kept_already: bool,
    /// Fewer than [`BUSY_FREE_SHARE`] of the force on duty is free.
    pub force_busy: bool,
    /// Seconds the need has waited: since the report.
    pub waited_seconds: f64,
    /// Other calls of the force waiting with nobody there: a wait for this one makes each of
    /// them wait too.
    pub others_waiting: usize,
}

/// What one free candidate's leaving costs the area.
#[derive(Debug, Clone, Copy, Default)]
pub struct Leaving {
    /// The share of demand's expected coverage lost ([`crate::coverage::coverage_loss`]).
    pub loss: f64,
    /// The on-time calls of its force the area can expect to lose while it is away: `loss` ×
    /// the force's calls a second × the trip (there and on scene).
    pub calls_lost: f64,
    /// Some of the area would be out of everyone's reach ([`crate::coverage::sole_cover`]).
    pub gap: bool,
}

/// A force is busy while fewer than this share of it is free.
pub const BUSY_FREE_SHARE: f64 = 0.8;
/// The most on-time calls of its force a trip that cannot keep a promise may be expected to
/// cost while the force is busy; above it the need may wait for someone coming clear. A count
/// of calls, so its meaning does not depend on how finely the area is cut into grids or how
/// busy the street is.
pub const SPARE_CALLS_MAX: f64 = 1.0;
/// Each on-time call a wait saves is worth this many seconds of waiting, shared by every call
/// of the force waiting with nobody there; and a need waits only for someone coming clear who
/// would be on site at most this much later than a free one sent now (the simulator's check).
pub const HOLD_EXTRA_SECONDS: f64 = 600.0;
/// The longest any need waits for the area's sake — the street's promise of a first feedback
/// within the hour.
pub const WAIT_MAX_SECONDS: f64 = 3600.0;

/// How long a need nobody can keep on time any more may wait, from when it first waited, for
/// someone coming clear rather than take a free unit whose trip is expected to cost
/// `calls_lost` on-time calls of its force: not at all when that is at most
/// [`SPARE_CALLS_MAX`]; support for a call someone is at (`support`), [`WAIT_MAX_SECONDS`]
/// from the report; a call nobody is at, [`HOLD_EXTRA_SECONDS`] per call lost shared with the
/// `others_waiting` of its force, [`WAIT_MAX_SECONDS`] at most.
pub fn wait_allowed_seconds(calls_lost: f64, support: bool, others_waiting: usize) -> f64 {
    if calls_lost <= SPARE_CALLS_MAX {
        0.0
    } else if support {
        WAIT_MAX_SECONDS
    } else {
        (HOLD_EXTRA_SECONDS * calls_lost / (others_waiting + 1) as f64).min(WAIT_MAX_SECONDS)
    }
}

/// The candidates `ranked` (one force, free) in the policy's order, each with why;
/// `leaving[i]` is what `ranked[i]` leaving costs the area.
pub fn order(ranked: &[Ranked], leaving: &[Leaving], s: &Situation) -> Vec<(usize, Why)> {
    let loss: Vec<f64> = leaving.iter().map(|l| l.loss).collect();
    let gap = |i: usize| leaving[i].gap;
    let may_wait = |i: usize| {
        s.force_busy && s.waited_seconds < wait_allowed_seconds(leaving[i].calls_lost, s.kept_already, s.others_waiting)
    };
    let mut idx: Vec<usize> = (0..ranked.len()).collect();
    let on_time = |i: usize| !s.kept_already && ranked[i].eta_seconds <= s.left_seconds;
    if s.urgent && !s.kept_already {
        idx.sort_by(|a, b| ranked[*a].eta_seconds.total_cmp(&ranked[*b].eta_seconds).then(a.cmp(b)));
        return idx
            .into_iter()
            .enumerate()
            .map(|(k, i)| {
                (
                    i,
                    if k == 0 {
                        Why::Urgent
                    } else if on_time(i) {
                        Why::KeepsCover
                    } else {
                        Why::Late
                    },
                )
            })
            .collect();
    }
    idx.sort_by(|a, b| {
        on_time(*b)
            .cmp(&on_time(*a))
            .then_with(|| if on_time(*a) { loss[*a].total_cmp(&loss[*b]) } else { std::cmp::Ordering::Equal })
            .then(ranked[*a].eta_seconds.total_cmp(&ranked[*b].eta_seconds))
            .then(a.cmp(b))
    });
    idx.into_iter()
        .enumerate()
        .map(|(k, i)| {
            let why = if on_time(i) {
                if k == 0 && !gap(i) {
                    Why::Best
                } else if gap(i) {
                    Why::LeavesGap
                } else {
                    Why::KeepsCover
                }
            } else if may_wait(i) {
                Why::CanWait
            } else {
                Why::Late
            };
            (i, why)
        })
        .collect()
}

/// Among `ranked` on site within `within`, the one whose leaving costs least (then the
/// soonest): the policy's pick when the promise can be kept.
pub fn least_loss(ranked: &[Ranked], loss: &[f64], within: f64) -> Option<usize> {
    (0..ranked.len())
        .filter(|i| ranked[*i].eta_seconds <= within)
        .min_by(|a, b| loss[*a].total_cmp(&loss[*b]).then(ranked[*a].eta_seconds.total_cmp(&ranked[*b].eta_seconds)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::category::Force;

    fn r(id: i64, eta: f64) -> Ranked {
        Ranked { id, force: Force::Police, eta_seconds: eta, distance_metres: eta * 9.0 }
    }

    /// Three officers 3, 5 and 12 minutes away; the nearest is the only cover of the enclave
    /// (loss 0.2), the second costs little (0.001). Eight minutes left.
    #[test]
    fn on_time_and_covering_first_then_the_late() {
        let ranked = [r(1, 180.0), r(2, 300.0), r(3, 720.0)];
        let leaving = [
            Leaving { loss: 0.2, calls_lost: 3.0, gap: true },
            Leaving { loss: 0.001, calls_lost: 0.02, gap: false },
            Leaving { loss: 0.0, calls_lost: 0.0, gap: false },
        ];
        let s = Situation {
            left_seconds: 480.0,
            urgent: false,
            kept_already: false,
            force_busy: false,
            waited_seconds: 60.0,
            others_waiting: 0,
        };
        let o = order(&ranked, &leaving, &s);
        assert_eq!(o, vec![(1, Why::Best), (0, Why::LeavesGap), (2, Why::Late)]);
        assert_eq!(least_loss(&ranked, &[0.2, 0.001, 0.0], 480.0), Some(1));
        // Urgent: the nearest, whatever it costs.
        let o = order(&ranked, &leaving, &Situation { urgent: true, ..s });
        assert_eq!(o[0], (0, Why::Urgent));
        // Support while the force is busy: the two whose trips cost the area on-time calls may
        // wait; the one who costs nothing is the soonest of those who should just go.
        let support = Situation { kept_already: true, force_busy: true, ..s };
        let o = order(&ranked, &leaving, &support);
        assert_eq!(o, vec![(0, Why::CanWait), (1, Why::Late), (2, Why::Late)]);
        // An hour after the report support waits no longer.
        let o = order(&ranked, &leaving, &Situation { waited_seconds: 3600.0, ..support });
        assert!(o.iter().all(|x| x.1 == Why::Late), "{o:?}");
    }

    /// The allowance by hand: 3 calls lost × 10 minutes = 30 minutes alone, 10 with two others
    /// waiting; nothing for a trip costing one call or less; support an hour; never past an hour.
    #[test]
    fn a_wait_is_worth_ten_minutes_per_call_shared_by_the_waiting() {
        assert_eq!(wait_allowed_seconds(3.0, false, 0), 1800.0);
        assert_eq!(wait_allowed_seconds(3.0, false, 2), 600.0);
        assert_eq!(wait_allowed_seconds(1.0, false, 0), 0.0);
        assert_eq!(wait_allowed_seconds(1.5, true, 9), 3600.0);
        assert_eq!(wait_allowed_seconds(12.0, false, 0), 3600.0);
        let ranked = [r(1, 900.0)];
        let leaving = [Leaving { loss: 0.3, calls_lost: 3.0, gap: false }];
        let s = Situation {
            left_seconds: 0.0,
            urgent: false,
            kept_already: false,
            force_busy: true,
            waited_seconds: 700.0,
            others_waiting: 0,
        };
        assert_eq!(order(&ranked, &leaving, &s)[0].1, Why::CanWait);
        // Two more of the force's calls waiting: 700 s is past its share (600 s).
        assert_eq!(order(&ranked, &leaving, &Situation { others_waiting: 2, ..s })[0].1, Why::Late);
    }
}
