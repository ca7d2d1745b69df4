//! The time, injected: everything reads it from [`App::clock`](crate::App), real in
//! production, set by hand in tests — so a promise of ten minutes or a month of follow-ups is
//! tested by moving the clock, not by waiting.

use domain::Timestamp;
use std::sync::Mutex;

pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// The system's clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        chrono::Utc::now()
    }
}

/// A clock that stands still until moved; it never goes back.
pub struct ManualClock {
    at: Mutex<Timestamp>,
}

impl ManualClock {
    pub fn new(at: Timestamp) -> Self {
        Self { at: Mutex::new(at) }
    }

    /// Moves the clock forward by `by` (a negative step is refused).
    pub fn advance(&self, by: chrono::Duration) {
        assert!(by >= chrono::Duration::zero(), "a clock does not go back");
        *self.at.lock().expect("clock lock") += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.at.lock().expect("clock lock")
    }
}
