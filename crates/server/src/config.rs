//! The configuration file (TOML), per CONTRACT.md:
//!
//! ```toml
//! [deadlines.default]
//! accept = "1m"
//! close = "24h"
//! [deadlines.priority.low]
//! close = "48h"
//! [deadlines.category."BJ0203"]
//! close = "72h"
//! ```
//!
//! Order of precedence for a case's chain: the street's default promise, then
//! `[deadlines.default]`, then `[deadlines.priority.P]`, then the category's own overrides in
//! the catalogue, then `[deadlines.category."CODE"]`.

use domain::case::Priority;
use domain::category::Category;
use domain::codes::CategoryCode;
use domain::deadline::{parse_duration, ChainOverride, DeadlineChain, DeadlinePolicy, Promise};
use serde::Deserialize;

pub use app::config::{DispatchConfig, EscalationConfig};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub deadlines: DeadlinesConfig,
    #[serde(default)]
    pub escalation: EscalationConfig,
    #[serde(default)]
    pub map: MapConfig,
    #[serde(default)]
    pub dispatch: DispatchConfig,
    #[serde(default)]
    pub audit: AuditConfig,
    #[serde(default)]
    pub calendar: CalendarConfig,
    #[serde(default)]
    pub petitions: PetitionsConfig,
    #[serde(default)]
    pub mediation: MediationConfig,
    #[serde(default)]
    pub food: FoodConfig,
    #[serde(default)]
    pub gas: GasConfig,
    #[serde(default)]
    pub mqtt: Option<MqttConfig>,
}

/// `[gas]`: alarm set points (GB/T 50493: level 1 at most 25 %LEL, level 2 at most 50) and
/// the time people have.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GasConfig {
    pub level1_pct: Option<f64>,
    pub level2_pct: Option<f64>,
    pub low_battery_pct: Option<u8>,
    /// A level-1 alarm lasting this long becomes an urgent case too ("5m").
    pub level1_case_after: Option<String>,
    pub acknowledge_within: Option<String>,
    pub gas_resolve_within: Option<String>,
    pub repair_within: Option<String>,
    pub offline_after_beats: Option<u32>,
    /// The gas company's duty phone, texted of every detector to repair.
    pub company_phone: Option<String>,
}

impl GasConfig {
    pub fn set_points(&self) -> Result<domain::gas::SetPoints, String> {
        let d = domain::gas::SetPoints::default();
        let span = |name: &str, v: &Option<String>, default: chrono::Duration| match v {
            None => Ok(default),
            Some(v) => parse_duration(v).map_err(|e| format!("[gas] {name}: {}", e.0)),
        };
        let sp = domain::gas::SetPoints {
            level1_pct: self.level1_pct.unwrap_or(d.level1_pct),
            level2_pct: self.level2_pct.unwrap_or(d.level2_pct),
            low_battery_pct: self.low_battery_pct.unwrap_or(d.low_battery_pct),
            level1_case_after: span("level1_case_after", &self.level1_case_after, d.level1_case_after)?,
            acknowledge_within: span("acknowledge_within", &self.acknowledge_within, d.acknowledge_within)?,
            gas_resolve_within: span("gas_resolve_within", &self.gas_resolve_within, d.gas_resolve_within)?,
            repair_within: span("repair_within", &self.repair_within, d.repair_within)?,
            offline_after_beats: self.offline_after_beats.unwrap_or(d.offline_after_beats),
        };
        sp.check().map_err(|e| format!("[gas] {e}"))?;
        if let Some(p) = &self.company_phone {
            domain::codes::PhoneNumber::parse(p).map_err(|e| format!("[gas] company_phone: {e}"))?;
        }
        Ok(sp)
    }
}

/// `[mqtt]`: the broker detectors report to.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MqttConfig {
    /// `mqtt://host:port`.
    pub url: String,
    #[serde(default = "mqtt_topic")]
    pub topic: String,
    /// The session's name at the broker: messages sent while civicgrid is down wait under it.
    #[serde(default = "mqtt_client_id")]
    pub client_id: String,
    pub username: Option<String>,
    pub password: Option<String>,
    /// Start a clean session each time (nothing kept at the broker while away). Off by
    /// default: messages sent while civicgrid is down wait for it.
    #[serde(default)]
    pub clean_session: bool,
    /// For `mqtts://`: the CA certificate(s) the broker's certificate is checked against (PEM);
    /// the system's roots when left out.
    pub ca_file: Option<std::path::PathBuf>,
    /// For `mqtts://` with client certificates: this node's certificate and key (PEM).
    pub client_cert_file: Option<std::path::PathBuf>,
    pub client_key_file: Option<std::path::PathBuf>,
}

fn mqtt_topic() -> String {
    "civicgrid/devices/+/+/up".into()
}
fn mqtt_client_id() -> String {
    "civicgrid".into()
}

impl MqttConfig {
    pub fn new(url: &str) -> Self {
        Self {
            url: url.into(),
            topic: mqtt_topic(),
            client_id: mqtt_client_id(),
            username: None,
            password: None,
            clean_session: false,
            ca_file: None,
            client_cert_file: None,
            client_key_file: None,
        }
    }

    /// The broker's host and port from `url`, and whether it speaks TLS.
    pub fn endpoint(&self) -> Result<(String, u16, bool), String> {
        let (rest, tls) = match self.url.split_once("://") {
            Some(("mqtt" | "tcp", rest)) => (rest, false),
            Some(("mqtts" | "ssl", rest)) => (rest, true),
            _ => {
                return Err(format!(
                    "[mqtt] url must look like mqtt://host:1883 or mqtts://host:8883, got {:?}",
                    self.url
                ))
            }
        };
        let rest = rest.trim_end_matches('/');
        let (host, port) = match rest.rsplit_once(':') {
            Some((h, p)) => (h, p.parse::<u16>().map_err(|_| format!("[mqtt] url: bad port {p:?}"))?),
            None => (rest, if tls { 8883 } else { 1883 }),
        };
        if host.is_empty() {
            return Err("[mqtt] url: no host".into());
        }
        if self.topic.split('/').filter(|l| *l == "+").count() < 2 {
            return Err("[mqtt] topic must hold the vendor and device levels, like civicgrid/devices/+/+/up".into());
        }
        if !tls && (self.ca_file.is_some() || self.client_cert_file.is_some()) {
            return Err("[mqtt] ca_file and client certificates need an mqtts:// url".into());
        }
        if self.client_cert_file.is_some() != self.client_key_file.is_some() {
            return Err("[mqtt] client_cert_file and client_key_file go together".into());
        }
        Ok((host.to_owned(), port, tls))
    }

    /// The broker's host and port (plain or TLS).
    pub fn broker(&self) -> Result<(String, u16), String> {
        self.endpoint().map(|(h, p, _)| (h, p))
    }

    /// Connection options: the session, credentials and, for `mqtts://`, TLS with the CA and
    /// client certificate files read now (a missing file is named).
    pub fn options(&self) -> Result<rumqttc::MqttOptions, String> {
        let (host, port, tls) = self.endpoint()?;
        let mut opts = rumqttc::MqttOptions::new(self.client_id.clone(), host, port);
        if let Some(user) = &self.username {
            opts.set_credentials(user.clone(), self.password.clone().unwrap_or_default());
        }
        if tls {
            let read = |p: &std::path::Path| std::fs::read(p).map_err(|e| format!("[mqtt] {}: {e}", p.display()));
            let client_auth = match (&self.client_cert_file, &self.client_key_file) {
                (Some(c), Some(k)) => Some((read(c)?, read(k)?)),
                _ => None,
            };
            let transport = match &self.ca_file {
                Some(ca) => rumqttc::Transport::tls(read(ca)?, client_auth, None),
                None if client_auth.is_none() => rumqttc::Transport::tls_with_default_config(),
                None => return Err("[mqtt] client certificates need ca_file too".into()),
            };
            opts.set_transport(transport);
        }
        Ok(opts)
    }
}

/// `[food]`: how often food businesses are inspected by risk grade, and the days to rectify.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FoodConfig {
    /// Days between inspections for grades A, B, C, D.
    #[serde(default = "food_intervals")]
    pub interval_days: [i64; 4],
    #[serde(default = "fifteen")]
    pub rectify_days: i64,
    #[serde(default = "seven")]
    pub rectify_key_days: i64,
    /// Inspection tables by kind of business: `shop = "checklists/shop.csv"` (lines
    /// `code,text,key,law`); kinds without one use the restaurant table shipped.
    #[serde(default)]
    pub checklists: BTreeMap<String, std::path::PathBuf>,
}

fn food_intervals() -> [i64; 4] {
    [365, 182, 121, 91]
}
fn fifteen() -> i64 {
    15
}
fn seven() -> i64 {
    7
}

impl Default for FoodConfig {
    fn default() -> Self {
        Self {
            interval_days: food_intervals(),
            rectify_days: fifteen(),
            rectify_key_days: seven(),
            checklists: BTreeMap::new(),
        }
    }
}

impl FoodConfig {
    pub fn rules(&self) -> Result<domain::food::Rules, String> {
        if self.interval_days.iter().any(|d| !(7..=730).contains(d))
            || !self.interval_days.windows(2).all(|w| w[0] >= w[1])
        {
            return Err("[food] interval_days: four values from 7 to 730 days, A the longest, D the shortest".into());
        }
        if !(1..=180).contains(&self.rectify_days) || !(1..=180).contains(&self.rectify_key_days) {
            return Err("[food] rectify_days and rectify_key_days: 1 to 180".into());
        }
        Ok(domain::food::Rules {
            interval_days: self.interval_days,
            rectify_days: self.rectify_days,
            rectify_key_days: self.rectify_key_days,
        })
    }

    /// Reads the configured checklists.
    pub fn checklists(&self) -> Result<domain::food::Checklists, String> {
        let mut out = domain::food::Checklists::default();
        for (kind, path) in &self.checklists {
            let k = domain::food::Kind::parse(kind)
                .ok_or_else(|| format!("[food.checklists] unknown kind of business {kind:?}"))?;
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("[food.checklists] {kind} {}: {e}", path.display()))?;
            let items = domain::food::parse_checklist(&text)
                .map_err(|e| format!("[food.checklists] {kind} {}: {e}", path.display()))?;
            out.by_kind.insert(k, items);
        }
        Ok(out)
    }
}

/// `[mediation]`: the studio's time limits.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MediationConfig {
    /// To conclude a mediation (agree or fail) from registration.
    #[serde(default = "days30")]
    pub conclude: String,
    /// A follow-up visit after the agreement.
    #[serde(default = "days7")]
    pub follow_up_after: String,
}

impl Default for MediationConfig {
    fn default() -> Self {
        Self { conclude: days30(), follow_up_after: days7() }
    }
}

impl MediationConfig {
    pub fn limits(&self, calendar: &domain::deadline::WorkingCalendar) -> Result<domain::mediation::Limits, String> {
        let span =
            |name: &str, v: &str| domain::deadline::parse_span(v).map_err(|e| format!("[mediation] {name}: {}", e.0));
        Ok(domain::mediation::Limits {
            conclude: span("conclude", &self.conclude)?,
            follow_up_after: span("follow_up_after", &self.follow_up_after)?,
            calendar: calendar.clone(),
        })
    }
}

/// `[petitions]`: the statutory time limits of petitions (信访工作条例), as spans: `15d`
/// (calendar days, ending on a working day), `15wd` (working days) or a duration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PetitionsConfig {
    #[serde(default = "days15")]
    pub assign: String,
    #[serde(default = "days15")]
    pub decide: String,
    #[serde(default = "days60")]
    pub handle: String,
    #[serde(default = "thirty")]
    pub extension_days_max: u32,
    #[serde(default = "days30")]
    pub review_window: String,
    #[serde(default = "days30")]
    pub review_decide: String,
    #[serde(default = "days7")]
    pub follow_up_after: String,
}

fn days15() -> String {
    "15d".into()
}
fn days60() -> String {
    "60d".into()
}
fn days30() -> String {
    "30d".into()
}
fn days7() -> String {
    "7d".into()
}
fn thirty() -> u32 {
    30
}

impl Default for PetitionsConfig {
    fn default() -> Self {
        Self {
            assign: days15(),
            decide: days15(),
            handle: days60(),
            extension_days_max: thirty(),
            review_window: days30(),
            review_decide: days30(),
            follow_up_after: days7(),
        }
    }
}

impl PetitionsConfig {
    /// The limits, counted in the street's calendar.
    pub fn limits(&self, calendar: &domain::deadline::WorkingCalendar) -> Result<domain::petition::Limits, String> {
        let span =
            |name: &str, v: &str| domain::deadline::parse_span(v).map_err(|e| format!("[petitions] {name}: {}", e.0));
        if !(1..=365).contains(&self.extension_days_max) {
            return Err("[petitions] extension_days_max must be 1 to 365".into());
        }
        Ok(domain::petition::Limits {
            assign: span("assign", &self.assign)?,
            decide: span("decide", &self.decide)?,
            handle: span("handle", &self.handle)?,
            extension_days_max: self.extension_days_max,
            review_window: span("review_window", &self.review_window)?,
            review_decide: span("review_decide", &self.review_decide)?,
            follow_up_after: span("follow_up_after", &self.follow_up_after)?,
            calendar: calendar.clone(),
        })
    }
}

/// `[calendar]`: which days are worked. Without it, mainland China's 2026 holidays and
/// worked weekend days (`domain::deadline::CN_HOLIDAYS_2026`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarConfig {
    /// A file of `YYYY-MM-DD off` and `YYYY-MM-DD work` lines (the next year's schedule, or
    /// a province's own holidays).
    pub holidays_file: Option<std::path::PathBuf>,
}

/// `[audit]`: the key the audit chain is keyed with, kept outside the database.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditConfig {
    /// A file holding the key in hex (at least 16 bytes). Nodes sharing a database need the
    /// same key. Without it: the file `CIVICGRID_AUDIT_KEY_FILE` names, or this machine's own
    /// key file, made on first use.
    pub key_file: Option<std::path::PathBuf>,
}

impl AuditConfig {
    pub fn key(&self) -> anyhow::Result<store::AuditKey> {
        Ok(match &self.key_file {
            Some(path) => store::AuditKey::from_file(path)?,
            None => store::AuditKey::machine_default()?,
        })
    }
}

/// `[map]`: an optional raster tile layer under the grids (for example Tianditu or AMap), for
/// places where the screen can reach one. Without it the map is drawn from the grids alone.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MapConfig {
    /// Web Mercator XYZ tiles: `{z}`, `{x}`, `{y}` and optionally `{s}` for a subdomain.
    pub tile_url: Option<String>,
    /// Letters or digits for `{s}`, e.g. "01234567".
    #[serde(default)]
    pub subdomains: String,
    /// The tile provider's required credit line.
    #[serde(default)]
    pub attribution: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadlinesConfig {
    #[serde(default)]
    pub default: BTreeMap<String, String>,
    #[serde(default)]
    pub priority: BTreeMap<String, BTreeMap<String, String>>,
    #[serde(default)]
    pub category: BTreeMap<String, BTreeMap<String, String>>,
}

fn overrides(section: &str, m: &BTreeMap<String, String>) -> Result<ChainOverride, String> {
    let mut o = ChainOverride::default();
    for (k, v) in m {
        let p = Promise::parse(k).ok_or_else(|| {
            format!("[{section}]: unknown promise {k:?} (accept, dispatch, on_site, first_feedback, close)")
        })?;
        o.0.insert(p, parse_duration(v).map_err(|e| format!("[{section}] {k}: {}", e.0))?);
    }
    Ok(o)
}

impl Config {
    pub fn parse(text: &str) -> Result<Self, String> {
        let c: Self = toml::from_str(text).map_err(|e| e.to_string())?;
        c.escalation.level_roles()?;
        if let Some(u) = &c.map.tile_url {
            let ok = (u.starts_with("http://") || u.starts_with("https://") || u.starts_with('/'))
                && ["{z}", "{x}", "{y}"].iter().all(|p| u.contains(p));
            if !ok {
                return Err(format!("[map] tile_url must be an http(s) URL with {{z}}, {{x}} and {{y}}, got {u:?}"));
            }
        }
        Ok(c)
    }

    pub fn load(path: &std::path::Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// The deadline policy for a catalogue, checked for chains that cannot be kept.
    pub fn policy(&self, categories: &[Category]) -> Result<DeadlinePolicy, String> {
        let mut p = DeadlinePolicy {
            default: DeadlineChain::default().overridden(&overrides("deadlines.default", &self.deadlines.default)?),
            ..Default::default()
        };
        for (name, m) in &self.deadlines.priority {
            let prio = Priority::parse(name).ok_or_else(|| format!("[deadlines.priority.{name}]: unknown priority"))?;
            p.by_priority.insert(prio, overrides(&format!("deadlines.priority.{name}"), m)?);
        }
        for c in categories {
            if !c.deadlines.0.is_empty() {
                p.by_category.insert(c.code.clone(), c.deadlines.clone());
            }
            if c.working_hours {
                p.working_hours_categories.insert(c.code.clone());
            }
        }
        for (code, m) in &self.deadlines.category {
            let section = format!("deadlines.category.\"{code}\"");
            let code = CategoryCode::parse(code).map_err(|e| format!("[{section}]: {}", e.0))?;
            let extra = overrides(&section, m)?;
            let entry = p.by_category.entry(code).or_default();
            entry.0.extend(extra.0);
        }
        if let Some(path) = &self.calendar.holidays_file {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("[calendar] holidays_file {}: {e}", path.display()))?;
            let table = domain::deadline::HolidayTable::parse(&text)
                .map_err(|e| format!("[calendar] holidays_file {}: {}", path.display(), e.0))?;
            p.calendar = p.calendar.with_holidays(table);
        }
        p.validate().map_err(|e| format!("deadlines: {}", e.0))?;
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn contract_example() {
        let c = Config::parse(
            r#"
[deadlines.default]
accept = "90s"
dispatch = "3m"
on_site = "10m"
first_feedback = "1h"
close = "24h"

[deadlines.category."BJ0203"]
close = "72h"
"#,
        )
        .unwrap();
        let p = c.policy(&[]).unwrap();
        let road = CategoryCode::parse("BJ0203").unwrap();
        assert_eq!(p.chain(&road, Priority::Normal).close, Duration::hours(72));
        assert_eq!(p.chain(&road, Priority::Normal).accept, Duration::seconds(90));
    }

    #[test]
    fn a_holiday_file_replaces_the_shipped_table() {
        let path = std::env::temp_dir().join(format!("civicgrid-holidays-{}.txt", std::process::id()));
        std::fs::write(&path, "2027-02-05 off  # a test holiday\n2027-02-06 work\n").unwrap();
        let c = Config::parse(&format!("[calendar]\nholidays_file = {:?}\n", path.display().to_string())).unwrap();
        let p = c.policy(&[]).unwrap();
        let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert!(!p.calendar.is_workday(d("2027-02-05")));
        assert!(p.calendar.is_workday(d("2027-02-06")));
        // The shipped 2026 table is replaced, not added to.
        assert!(p.calendar.is_workday(d("2026-10-08")) && p.calendar.is_workday(d("2026-10-01")));
        std::fs::write(&path, "2027-02-05 holiday\n").unwrap();
        assert!(c.policy(&[]).unwrap_err().contains("line 1"));
        std::fs::remove_file(&path).unwrap();
        // Without the section, 2026's holidays hold.
        let p = Config::parse("").unwrap().policy(&[]).unwrap();
        assert!(!p.calendar.is_workday(d("2026-10-01")) && p.calendar.is_workday(d("2026-10-10")));
    }

    #[test]
    fn mistakes_are_named() {
        for (text, expect) in [
            ("[deadlines.default]\nacept = \"1m\"", "unknown promise"),
            ("[deadlines.default]\naccept = \"1 minute\"", "not a duration"),
            ("[deadlines.priority.huge]\nclose = \"1h\"", "unknown priority"),
            ("[deadlines.category.\"X1\"]\nclose = \"1h\"", "category code"),
            ("[deadlines.default]\nclose = \"30s\"", "deadlines"),
            ("[server]\nport = 1", "unknown field"),
            ("[escalation]\nlevels = [\"king\"]", "unknown role"),
            ("[escalation]\nwarn_fraction = 1.5", "warn_fraction"),
            ("[map]\ntile_url = \"https://tiles.example/{z}/{x}.png\"", "tile_url"),
            ("[calendar]\nholidays_file = \"/nonexistent/holidays.txt\"", "holidays_file"),
        ] {
            let e = Config::parse(text).and_then(|c| c.policy(&[]).map(|_| ())).unwrap_err();
            assert!(e.contains(expect), "{text}: {e}");
        }
        let cal = domain::deadline::WorkingCalendar::default();
        let c = Config::parse("[petitions]\nhandle = \"sixty days\"").unwrap();
        assert!(c.petitions.limits(&cal).unwrap_err().contains("[petitions] handle"));
        let c = Config::parse("[mediation]\nconclude = \"45d\"\nfollow_up_after = \"5wd\"").unwrap();
        let l = c.mediation.limits(&cal).unwrap();
        assert_eq!(
            (l.conclude, l.follow_up_after),
            (domain::deadline::Span::CalendarDays(45), domain::deadline::Span::WorkingDays(5))
        );
        assert!(Config::parse("[mediation]\nconclude = \"0d\"")
            .unwrap()
            .mediation
            .limits(&cal)
            .unwrap_err()
            .contains("[mediation] conclude"));
        assert!(Config::parse("[food]\ninterval_days = [90, 182, 121, 91]")
            .unwrap()
            .food
            .rules()
            .unwrap_err()
            .contains("[food] interval_days"));
        assert_eq!(Config::parse("").unwrap().food.rules().unwrap(), domain::food::Rules::default());
        let path = std::env::temp_dir().join(format!("civicgrid-shop-{}.csv", std::process::id()));
        std::fs::write(&path, "编号,内容,重点项,依据\nS1,不销售过期食品,是,食品安全法 第34条\n").unwrap();
        let c = Config::parse(&format!("[food.checklists]\nshop = {:?}\n", path.display().to_string())).unwrap();
        let tables = c.food.checklists().unwrap();
        assert_eq!(tables.for_kind(domain::food::Kind::Shop).len(), 1);
        assert!(Config::parse("[food.checklists]\nspaceship = \"x.csv\"")
            .unwrap()
            .food
            .checklists()
            .unwrap_err()
            .contains("unknown kind"));
        std::fs::remove_file(&path).unwrap();
    }
}
