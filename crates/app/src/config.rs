//! The parts of the configuration the application layer reads: escalation and dispatch.
//! (`server::config` holds the whole file and re-exports these.)

use serde::Deserialize;

/// `[dispatch]`: the road graph and how long a responder has to answer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DispatchConfig {
    /// A road graph from `civicgrid import-osm`, or a `.geojson` of roads. Without it (and
    /// without a demo scenario's roads) travel times use the straight-line model.
    pub roads: Option<std::path::PathBuf>,
    /// Seconds a responder has to take (接单) an assignment before it passes to the next.
    #[serde(default = "default_answer_seconds")]
    pub answer_seconds: u32,
    /// A position older than this many minutes is stale: still the last known place, but the
    /// recommendation says so.
    #[serde(default = "default_stale_minutes")]
    pub position_stale_minutes: u32,
}

fn default_answer_seconds() -> u32 {
    90
}
fn default_stale_minutes() -> u32 {
    15
}

impl Default for DispatchConfig {
    fn default() -> Self {
        Self { roads: None, answer_seconds: default_answer_seconds(), position_stale_minutes: default_stale_minutes() }
    }
}

/// `[escalation]`: when the amber warning shows and who is told when a promise is missed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscalationConfig {
    /// Share of a promise's time after which the amber warning fires.
    #[serde(default = "default_warn_fraction")]
    pub warn_fraction: f64,
    /// Who holds each level, lowest first: the first missed promise of a case goes to the
    /// first, the next to the second, and so on. `station_officer` means the heads of the
    /// case's own station.
    #[serde(default = "default_levels")]
    pub levels: Vec<String>,
    /// The channel escalations are sent on: `sms`, `wechat` or `web`.
    #[serde(default = "default_channel")]
    pub channel: String,
}

fn default_warn_fraction() -> f64 {
    0.8
}
fn default_levels() -> Vec<String> {
    vec!["station_officer".into(), "dispatcher".into(), "leader".into()]
}
fn default_channel() -> String {
    "sms".into()
}

impl Default for EscalationConfig {
    fn default() -> Self {
        Self { warn_fraction: default_warn_fraction(), levels: default_levels(), channel: default_channel() }
    }
}

impl EscalationConfig {
    /// The roles of the levels, checked.
    pub fn level_roles(&self) -> Result<Vec<domain::role::Role>, String> {
        if self.levels.is_empty() {
            return Err("[escalation] levels needs at least one role".into());
        }
        if !(self.warn_fraction > 0.0 && self.warn_fraction < 1.0) {
            return Err("[escalation] warn_fraction must lie between 0 and 1".into());
        }
        if !matches!(self.channel.as_str(), "sms" | "wechat" | "web") {
            return Err(format!("[escalation] channel must be sms, wechat or web, got {:?}", self.channel));
        }
        self.levels
            .iter()
            .map(|l| domain::role::Role::parse(l).ok_or_else(|| format!("[escalation] levels: unknown role {l:?}")))
            .collect()
    }
}
