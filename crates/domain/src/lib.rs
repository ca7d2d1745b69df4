//! Pure rules of civicgrid.
//!
//! # Layout
//! - [`codes`]: identifiers parsed where input enters (grid, category, phone).
//! - [`geo`]: coordinates, polygons and the served area.
//! - [`category`]: the case catalogue (事件/部件, major + minor class).
//! - [`deadline`]: the promise chain (1 min / 3 min / 10 min / 1 h / 24 h), policies, the
//!   working-hours calendar.
//! - [`case`]: the case and its lifecycle state machine; every transition yields an event.
//! - [`food`]: food businesses, checklists, inspections and their grades, hazards to
//!   rectify, the random draw.
//! - [`gas`]: gas detectors, vendor payloads read at the edge, alarms and their duties.
//! - [`mediation`]: the mediation studio: parties and claims, sessions, the agreement, money
//!   paid on the spot and in instalments, the judicial-confirmation window.
//! - [`petition`]: petitions (信访) with the statutory clock, commitments, follow-ups and
//!   review, as a second kind of matter.
//! - [`obligation`]: duties with due times (a case's promises, a responder's answer), their
//!   warnings and escalation, whatever the kind of matter.
//! - [`role`]: roles, what each may do, and masking of personal data.
//! - [`text`]: what free text may contain (no control characters).
//! - [`community`]: places at activities, the waiting list, hiding reported posts.
//! - [`deliberation`]: grid deliberation days: topics, meetings' dates, resolutions tracked
//!   to completion (two kinds of matter).
//! - [`volunteer`]: volunteer hours, star levels, check-in near the place.
//!
//! A request flows: the server parses input into these types, calls [`case::apply`] with the
//! actor and the time it read from its clock, and hands the resulting case and event to the
//! store. Nothing here does IO, reads a clock or draws random numbers.

/// An enum of fixed words: its snake_case text, `ALL`, `as_str` and `parse`.
macro_rules! names {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(&self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
            pub fn parse(s: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s)
            }
        }
    };
}

pub mod case;
pub mod category;
pub mod codes;
pub mod community;
pub mod deadline;
pub mod deliberation;
pub mod food;
pub mod gas;
pub mod geo;
pub mod mediation;
pub mod obligation;
pub mod petition;
pub mod role;
pub mod text;
pub mod volunteer;

pub use chrono;

/// All instants in the domain are UTC; local (Asia/Shanghai) time appears only in calendars.
pub type Timestamp = chrono::DateTime<chrono::Utc>;
