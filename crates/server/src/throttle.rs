//! Sign-in throttling. Failed sign-ins are counted per account and per address; past a few
//! free failures each further one locks that key for twice as long as the one before (1 s,
//! 2 s, 4 s … up to 15 minutes). While a key is locked every sign-in through it is refused
//! without looking at the password — the right one too — so guessing costs time whatever
//! the guesser does. A success clears the account's count. Counts live in the node's memory:
//! a restart forgets them, and with several nodes each counts its own share.

use domain::Timestamp;
use std::collections::HashMap;
use std::sync::Mutex;

/// Failures an account may have before it is locked: enough for typing mistakes.
pub const FREE_FAILURES_PER_ACCOUNT: u32 = 5;
/// Failures one address may have (a street office's staff share one public address).
pub const FREE_FAILURES_PER_ADDRESS: u32 = 30;
/// The first lock; each further failure doubles it.
const BACKOFF_FIRST: chrono::Duration = chrono::Duration::seconds(1);
/// The longest lock.
pub const BACKOFF_MAX: chrono::Duration = chrono::Duration::minutes(15);
/// A key with no failure for this long starts over.
const FORGET_AFTER: chrono::Duration = chrono::Duration::hours(24);
/// Keys remembered at most; past this the oldest half is forgotten.
const KEYS_MAX: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    last: Timestamp,
    locked_until: Option<Timestamp>,
}

#[derive(Default)]
pub struct LoginThrottle {
    entries: Mutex<HashMap<String, Entry>>,
}

impl LoginThrottle {
    /// How long the longest lock of `keys` still lasts at `now`; None when none is locked.
    pub fn locked(&self, keys: &[&str], now: Timestamp) -> Option<chrono::Duration> {
        let entries = self.entries.lock().expect("throttle lock");
        keys.iter()
            .filter_map(|k| entries.get(*k))
            .filter_map(|e| e.locked_until)
            .filter(|until| *until > now)
            .map(|until| until - now)
            .max()
    }

    /// Counts a failure of `key`, which has `free` failures before it locks.
    pub fn failed(&self, key: &str, free: u32, now: Timestamp) {
        let mut entries = self.entries.lock().expect("throttle lock");
        if entries.len() >= KEYS_MAX && !entries.contains_key(key) {
            let mut by_age: Vec<(Timestamp, String)> = entries.iter().map(|(k, e)| (e.last, k.clone())).collect();
            by_age.sort();
            for (_, k) in by_age.into_iter().take(KEYS_MAX / 2) {
                entries.remove(&k);
            }
        }
        let e = entries.entry(key.to_owned()).or_insert(Entry { failures: 0, last: now, locked_until: None });
        if now - e.last > FORGET_AFTER {
            *e = Entry { failures: 0, last: now, locked_until: None };
        }
        e.failures += 1;
        e.last = now;
        if e.failures > free {
            let doublings = (e.failures - free - 1).min(20);
            let lock = (BACKOFF_FIRST * 2i32.pow(doublings)).min(BACKOFF_MAX);
            e.locked_until = Some(now + lock);
        }
    }

    /// A successful sign-in clears the key.
    pub fn succeeded(&self, key: &str) {
        self.entries.lock().expect("throttle lock").remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> Timestamp {
        chrono::DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap()
    }

    #[test]
    fn locks_double_after_the_free_failures() {
        let th = LoginThrottle::default();
        for i in 0..5 {
            th.failed("user:a", 5, t(i));
            assert_eq!(th.locked(&["user:a"], t(i)), None, "failure {}", i + 1);
        }
        // 6th failure at t=10: locked 1 s; 7th at t=11: 2 s; 8th at t=13: 4 s.
        th.failed("user:a", 5, t(10));
        assert_eq!(th.locked(&["user:a"], t(10)), Some(chrono::Duration::seconds(1)));
        assert_eq!(th.locked(&["user:a"], t(11)), None);
        th.failed("user:a", 5, t(11));
        assert_eq!(th.locked(&["user:a"], t(11)), Some(chrono::Duration::seconds(2)));
        th.failed("user:a", 5, t(13));
        assert_eq!(th.locked(&["user:a", "addr:x"], t(14)), Some(chrono::Duration::seconds(3)));
        // Capped at 15 minutes however many failures follow.
        for i in 0..40 {
            th.failed("user:a", 5, t(100 + i));
        }
        assert_eq!(th.locked(&["user:a"], t(139)), Some(BACKOFF_MAX));
        // Another account is not locked by this one.
        assert_eq!(th.locked(&["user:b"], t(139)), None);
        // A success clears it; a day without failures starts over.
        th.succeeded("user:a");
        assert_eq!(th.locked(&["user:a"], t(139)), None);
        for i in 0..6 {
            th.failed("user:c", 5, t(i));
        }
        th.failed("user:c", 5, t(200_000));
        assert_eq!(th.locked(&["user:c"], t(200_000)), None);
    }
}
