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

/// The forces (队伍) that can be sent to a case; a category names the ones it needs. The nine
/// of the street, or — for a city brought into the simulator — one its scenario declares
/// ([`Force::local`]); the server knows only the nine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
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
    /// A force a scenario declares (`[scheme] forces` of its `settings.toml`), by its name.
    Local(&'static str),
}

impl Serialize for Force {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Reads the nine only: a declared force never comes in from outside a scenario.
impl<'de> Deserialize<'de> for Force {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Force::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("unknown force {s:?}")))
    }
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
            Force::Local(name) => name,
        }
    }
    /// One of the nine, by name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }
    /// A force a scenario declares: a lower-case name (letters, digits, `_`, up to 32) that is
    /// not one of the nine. The name lives as long as the process (a scenario declares few).
    pub fn local(name: &str) -> Result<Self, String> {
        let ok = (1..=32).contains(&name.len())
            && name.starts_with(|c: char| c.is_ascii_lowercase())
            && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !ok {
            return Err(format!("a force's name is lower-case letters, digits and _ (up to 32), got {name:?}"));
        }
        if Self::parse(name).is_some() {
            return Err(format!("{name:?} is one of the street's forces already; declare only others"));
        }
        Ok(Force::Local(Box::leak(name.to_owned().into_boxed_str())))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A declared force reads and writes as its name; from outside a scenario only the nine
    /// come in.
    #[test]
    fn a_declared_force_is_its_name_and_never_read_from_outside() {
        let a = Force::local("ambulance").unwrap();
        assert_eq!(a.as_str(), "ambulance");
        assert_eq!(serde_json::to_string(&a).unwrap(), "\"ambulance\"");
        assert_eq!(serde_json::to_string(&Force::GridWorker).unwrap(), "\"grid_worker\"");
        assert_eq!(serde_json::from_str::<Force>("\"grid_worker\"").unwrap(), Force::GridWorker);
        assert!(serde_json::from_str::<Force>("\"ambulance\"").is_err());
        assert_eq!(Force::parse("ambulance"), None);
        assert!(Force::local("police").is_err() && Force::local("").is_err() && Force::local("9lives").is_err());
    }
}
