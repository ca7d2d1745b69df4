//! The case catalogue.

use crate::case::Priority;
use crate::codes::CategoryCode;
use serde::{Deserialize, Serialize};

/// Whether a category is an event (事件: something that happened) or a component (部件: a
/// piece of public infrastructure in a bad state), as the national scheme separates them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CategoryKind {
    Event,
    Component,
}

/// The forces (队伍) that can be sent to a case; a category names the ones it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Force {
    Police,
    GridWorker,
    PatrolMember,
    EnterpriseSecurity,
    TrafficPolice,
    CityManagement,
    GasCompany,
    MarketRegulator,
    Mediator,
}

impl Force {
    pub const ALL: [Force; 9] = [
        Force::Police,
        Force::GridWorker,
        Force::PatrolMember,
        Force::EnterpriseSecurity,
        Force::TrafficPolice,
        Force::CityManagement,
        Force::GasCompany,
        Force::MarketRegulator,
        Force::Mediator,
    ];
    pub fn as_str(&self) -> &'static str {
        match self {
            Force::Police => "police",
            Force::GridWorker => "grid_worker",
            Force::PatrolMember => "patrol_member",
            Force::EnterpriseSecurity => "enterprise_security",
            Force::TrafficPolice => "traffic_police",
            Force::CityManagement => "city_management",
            Force::GasCompany => "gas_company",
            Force::MarketRegulator => "market_regulator",
            Force::Mediator => "mediator",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// One entry of the catalogue.
#[derive(Debug, Clone, PartialEq)]
pub struct Category {
    pub code: CategoryCode,
    pub name_zh: String,
    pub name_en: String,
    pub kind: CategoryKind,
    /// The forces a case of this category needs on site (警网协同 joint dispatch).
    pub forces: Vec<Force>,
    /// The priority a case gets when the reporter gives none.
    pub default_priority: Priority,
    /// Non-urgent cases of this category count feedback and closing deadlines in working
    /// hours only (for example a pavement repair reported on Friday evening).
    pub working_hours: bool,
    /// Groups the statistics report on, such as `public_security` or `dispute`.
    pub tags: Vec<String>,
    /// This category's changes to the promise chain (for example a 72-hour close for road
    /// repairs).
    pub deadlines: crate::deadline::ChainOverride,
    /// Skills whoever goes for a force must have (a mediator who knows labour law for a
    /// wage dispute).
    pub skills: Vec<(Force, String)>,
    /// Cases are accepted and sent to the best candidates without waiting for a dispatcher.
    pub auto_dispatch: bool,
    /// Whether anyone may read this category's cases through Open311 without a key (a
    /// broken street light), and how precisely; police calls, disputes and petitions never.
    pub public: Publicity,
}

/// Who may see a category's cases on the open Open311 list, and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Publicity {
    /// Staff and partners whose key covers it only.
    #[default]
    Private,
    /// Public, at the exact place (a street light, a pothole).
    Exact,
    /// Public, placed to about 100 m (garbage or parking outside someone's home).
    Approximate,
}

impl Publicity {
    pub fn as_str(&self) -> &'static str {
        match self {
            Publicity::Private => "",
            Publicity::Exact => "exact",
            Publicity::Approximate => "approximate",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Publicity::Private, Publicity::Exact, Publicity::Approximate].into_iter().find(|p| p.as_str() == s)
    }
    pub fn is_public(&self) -> bool {
        *self != Publicity::Private
    }
}

/// `force:skill` pairs, comma-separated, as stored.
pub fn format_skills(skills: &[(Force, String)]) -> String {
    skills.iter().map(|(f, s)| format!("{}:{s}", f.as_str())).collect::<Vec<_>>().join(",")
}

/// Reads [`format_skills`]' text.
pub fn parse_skills(text: &str) -> Option<Vec<(Force, String)>> {
    text.split(',')
        .filter(|x| !x.is_empty())
        .map(|x| {
            let (f, s) = x.split_once(':')?;
            Some((Force::parse(f)?, s.to_owned()))
        })
        .collect()
}
