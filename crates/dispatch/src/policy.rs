//! The default policy's choice among the free candidates of one force, and why — the order
//! the console shows and the simulator's `coverage`/`triage` policies send by.
//!
//! - An urgent call nobody keeps yet: the soonest on site.
//! - Otherwise, of those on site within the time left, the one whose leaving costs the area
//!   least expected coverage ([`crate::coverage::coverage_loss`]), then the soonest.
//! - Those who cannot make it in time follow, soonest first. When the force is busy, a call
//!   nobody can keep any more, or support for a call someone already keeps, can wait for
//!   someone coming clear: the console says so.

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
    /// Cannot keep the promise (or someone already does) and the force is busy: may wait for
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
}

/// A force is busy while fewer than this share of it is free.
pub const BUSY_FREE_SHARE: f64 = 0.8;
/// The candidates `ranked` (one force, free) in the policy's order, each with why. `loss[i]`
/// is what `ranked[i]` leaving costs the area (a share of demand's expected coverage);
/// `gap[i]` whether some of the area would then be out of everyone's reach
/// ([`crate::coverage::sole_cover`]).
pub fn order(ranked: &[Ranked], loss: &[f64], gap: &[bool], s: &Situation) -> Vec<(usize, Why)> {
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
                if k == 0 && !gap[i] {
                    Why::Best
                } else if gap[i] {
                    Why::LeavesGap
                } else {
                    Why::KeepsCover
                }
            } else if s.force_busy {
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
        let loss = [0.2, 0.001, 0.0];
        let s = Situation { left_seconds: 480.0, urgent: false, kept_already: false, force_busy: false };
        let gap = [true, false, false];
        let o = order(&ranked, &loss, &gap, &s);
        assert_eq!(o, vec![(1, Why::Best), (0, Why::LeavesGap), (2, Why::Late)]);
        assert_eq!(least_loss(&ranked, &loss, 480.0), Some(1));
        // Urgent: the nearest, whatever it costs.
        let o = order(&ranked, &loss, &gap, &Situation { urgent: true, ..s });
        assert_eq!(o[0], (0, Why::Urgent));
        // Support while the force is busy: may wait.
        let o = order(&ranked, &loss, &gap, &Situation { kept_already: true, force_busy: true, ..s });
        assert!(o.iter().all(|x| x.1 == Why::CanWait));
        assert_eq!(o[0].0, 0, "the soonest first among those who can wait");
    }
}
