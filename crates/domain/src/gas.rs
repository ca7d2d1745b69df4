//! Smart gas (智慧燃气): detectors, their readings and their alarms.
//!
//! Each vendor's payload is parsed at the edge into one [`Reading`] ([`parse`]); the set
//! points ([`SetPoints`], GB/T 50493: level 1 at most 25 %LEL, level 2 at most 50 %LEL)
//! turn a reading into conditions ([`assess`]); [`observe`] turns conditions into alarms —
//! one per device and kind of alarm while it lasts, updated by every reading, never
//! duplicated. An alarm is a matter: it owes its acknowledgement, its resolution and, for a
//! gas leak, the urgent case people go out on ([`obligations`]).

use crate::case::Actor;
use crate::codes::GridCode;
use crate::geo::LatLng;
use crate::obligation::{Counting, Obligation, Owner, State as DutyState, Terms};
use crate::role::Role;
use crate::Timestamp;
use chrono::Duration;
use serde::{Deserialize, Serialize};

pub type AlarmId = i64;

/// Longest device id, address or name, in characters.
pub const TEXT_CHARS_MAX: usize = 200;
/// Readings an alarm keeps (the newest), for the case's timeline and the device page.
pub const RECENT_READINGS_MAX: usize = 30;

names! {
    /// The payload formats read; the topic's first level names it.
    Vendor { Tuya => "tuya", Nbiot => "nbiot" }
}

names! {
    /// A home's detector (GB 15322.2, 5 years' service) or a business's (3 years).
    DeviceKind { Household => "household", Business => "business" }
}

names! {
    AlarmKind { Gas => "gas", Fault => "fault", Tamper => "tamper", LowBattery => "low_battery",
                Offline => "offline", EndOfLife => "end_of_life" }
}

names! {
    Severity { Critical => "critical", Major => "major", Minor => "minor" }
}

names! {
    /// active → acknowledged → cleared; an alarm cleared before anyone acknowledged it still
    /// waits for its acknowledgement.
    AlarmState { Active => "active", Acknowledged => "acknowledged", Cleared => "cleared" }
}

impl DeviceKind {
    pub fn service_years(&self) -> i32 {
        match self {
            DeviceKind::Household => 5,
            DeviceKind::Business => 3,
        }
    }
}

impl AlarmKind {
    pub fn zh(&self) -> &'static str {
        match self {
            AlarmKind::Gas => "燃气泄漏",
            AlarmKind::Fault => "设备故障",
            AlarmKind::Tamper => "防拆报警",
            AlarmKind::LowBattery => "电量低",
            AlarmKind::Offline => "设备离线",
            AlarmKind::EndOfLife => "超期服役",
        }
    }
}

/// Where each alarm starts and how long people have (`[gas]`).
#[derive(Debug, Clone, PartialEq)]
pub struct SetPoints {
    /// %LEL at or above which the gas alarm is level 1.
    pub level1_pct: f64,
    /// %LEL at or above which it is level 2.
    pub level2_pct: f64,
    /// Battery percentage at or below which a low-battery alarm starts.
    pub low_battery_pct: u8,
    /// A level-1 alarm still on after this long becomes an urgent case too.
    pub level1_case_after: Duration,
    /// For the command centre to acknowledge an alarm.
    pub acknowledge_within: Duration,
    /// For the gas to be gone (the case's people see to it).
    pub gas_resolve_within: Duration,
    /// For a fault, tamper, offline, low-battery or end-of-life alarm to be repaired.
    pub repair_within: Duration,
    /// Heartbeats a device may miss before it is offline.
    pub offline_after_beats: u32,
}

impl Default for SetPoints {
    fn default() -> Self {
        Self {
            level1_pct: 20.0,
            level2_pct: 50.0,
            low_battery_pct: 20,
            level1_case_after: Duration::minutes(5),
            acknowledge_within: Duration::minutes(3),
            gas_resolve_within: Duration::hours(24),
            repair_within: Duration::days(3),
            offline_after_beats: 3,
        }
    }
}

impl SetPoints {
    pub fn check(&self) -> Result<(), String> {
        if !(self.level1_pct > 0.0 && self.level1_pct <= 25.0) {
            return Err("level1_pct must lie in (0, 25] %LEL (GB/T 50493)".into());
        }
        if !(self.level2_pct > self.level1_pct && self.level2_pct <= 50.0) {
            return Err("level2_pct must lie above level1_pct and at most 50 %LEL (GB/T 50493)".into());
        }
        if self.offline_after_beats == 0 {
            return Err("offline_after_beats must be at least 1".into());
        }
        Ok(())
    }
}

/// A registered detector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Device {
    pub device_id: String,
    pub vendor: Vendor,
    pub model: String,
    pub kind: DeviceKind,
    pub address: String,
    pub location: Option<LatLng>,
    pub grid: Option<GridCode>,
    pub owner_name: String,
    pub owner_phone: String,
    pub installed_on: chrono::NaiveDate,
    /// A shut-off valve the detector closes.
    pub valve: bool,
    /// How often it reports when all is well.
    pub heartbeat_seconds: u32,
}

impl Device {
    /// The day its service life ends.
    pub fn end_of_life(&self) -> chrono::NaiveDate {
        self.installed_on
            .checked_add_months(chrono::Months::new(12 * self.kind.service_years() as u32))
            .unwrap_or(chrono::NaiveDate::MAX)
    }
}

/// A CSV row of `civicgrid device import` (`device_id,vendor,model,kind,address,lat,lng,
/// owner_name,owner_phone,installed_on`), checked; the grid is found by the caller.
pub fn parse_device_csv(text: &str) -> Result<Vec<Device>, String> {
    const HEADER: [&str; 10] =
        ["device_id", "vendor", "model", "kind", "address", "lat", "lng", "owner_name", "owner_phone", "installed_on"];
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    let (_, head) = lines.next().ok_or("the file is empty")?;
    let cols: Vec<&str> = head.trim_start_matches('\u{feff}').split(',').map(str::trim).collect();
    if cols != HEADER {
        return Err(format!("the header must be {}", HEADER.join(",")));
    }
    let mut out = vec![];
    let mut seen = std::collections::HashSet::new();
    for (n, line) in lines {
        let row = n + 1;
        let f: Vec<&str> = line.split(',').map(str::trim).collect();
        if f.len() != HEADER.len() {
            return Err(format!("line {row}: {} fields, expected {}", f.len(), HEADER.len()));
        }
        let bad = |what: &str| format!("line {row}: {what}");
        let text = |i: usize, name: &str, required: bool| -> Result<String, String> {
            let v = f[i];
            if required && v.is_empty() {
                return Err(bad(&format!("{name} is empty")));
            }
            if v.chars().count() > TEXT_CHARS_MAX || v.chars().any(char::is_control) {
                return Err(bad(&format!("{name} is too long or holds control characters")));
            }
            Ok(v.to_owned())
        };
        let device_id = text(0, "device_id", true)?;
        if !device_id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) || device_id.len() > 64 {
            return Err(bad("device_id: letters, digits, - _ . only, at most 64"));
        }
        if !seen.insert(device_id.clone()) {
            return Err(bad(&format!("device {device_id} appears twice")));
        }
        let vendor = Vendor::parse(f[1]).ok_or_else(|| bad(&format!("vendor {:?}: tuya or nbiot", f[1])))?;
        let kind = DeviceKind::parse(f[3]).ok_or_else(|| bad(&format!("kind {:?}: household or business", f[3])))?;
        let location = match (f[5], f[6]) {
            ("", "") => None,
            (lat, lng) => {
                let lat: f64 = lat.parse().map_err(|_| bad("lat is not a number"))?;
                let lng: f64 = lng.parse().map_err(|_| bad("lng is not a number"))?;
                Some(LatLng::new(lat, lng).map_err(|e| bad(&e.to_string()))?)
            }
        };
        let owner_phone = text(8, "owner_phone", false)?;
        if !owner_phone.is_empty() {
            crate::codes::PhoneNumber::parse(&owner_phone).map_err(|e| bad(&format!("owner_phone: {e}")))?;
        }
        let installed_on =
            chrono::NaiveDate::parse_from_str(f[9], "%Y-%m-%d").map_err(|_| bad("installed_on must be YYYY-MM-DD"))?;
        out.push(Device {
            device_id,
            vendor,
            model: text(2, "model", false)?,
            kind,
            address: text(4, "address", true)?,
            location,
            grid: None,
            owner_name: text(7, "owner_name", false)?,
            owner_phone,
            installed_on,
            valve: false,
            heartbeat_seconds: 300,
        });
    }
    Ok(out)
}

/// One message of a detector, whatever its vendor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reading {
    pub device_id: String,
    /// When the platform received it (device clocks drift; the device's own time is kept in
    /// `sent_at`).
    pub at: Timestamp,
    pub sent_at: Option<Timestamp>,
    /// Gas concentration in %LEL.
    pub lel_pct: Option<f64>,
    /// The alarm level the device itself states (0, 1, 2), taken as sent.
    pub level: Option<u8>,
    /// The device says it is alarming, whatever the value.
    pub alarming: Option<bool>,
    pub preheat: bool,
    pub self_test: bool,
    pub muted: bool,
    /// `Some(true)` a fault, `Some(false)` no fault, `None` not said.
    pub fault: Option<bool>,
    pub tamper: Option<bool>,
    pub battery_pct: Option<u8>,
    pub rssi: Option<i32>,
}

/// Why a payload was not read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PayloadError {
    #[error("not a JSON object: {0}")]
    NotJson(String),
    #[error("unknown vendor {0:?}")]
    UnknownVendor(String),
    #[error("field {field}: {why}")]
    Field { field: &'static str, why: String },
    #[error("the payload names device {named:?} but came on the topic of {topic:?}")]
    WrongDevice { named: String, topic: String },
}

fn field(field: &'static str, why: impl Into<String>) -> PayloadError {
    PayloadError::Field { field, why: why.into() }
}

type Obj = serde_json::Map<String, serde_json::Value>;

fn opt_bool(o: &Obj, name: &'static str) -> Result<Option<bool>, PayloadError> {
    match o.get(name) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::Bool(b)) => Ok(Some(*b)),
        Some(v) => Err(field(name, format!("expected true or false, got {v}"))),
    }
}

fn opt_num(o: &Obj, name: &'static str, range: std::ops::RangeInclusive<f64>) -> Result<Option<f64>, PayloadError> {
    match o.get(name) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::Number(n)) => {
            let v = n.as_f64().filter(|v| v.is_finite()).ok_or_else(|| field(name, "not a finite number"))?;
            if range.contains(&v) {
                Ok(Some(v))
            } else {
                Err(field(name, format!("{v} outside {}–{}", range.start(), range.end())))
            }
        }
        Some(v) => Err(field(name, format!("expected a number, got {v}"))),
    }
}

fn opt_str<'a>(o: &'a Obj, name: &'static str) -> Result<Option<&'a str>, PayloadError> {
    match o.get(name) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(s)) => Ok(Some(s)),
        Some(v) => Err(field(name, format!("expected text, got {v}"))),
    }
}

fn check_device(named: Option<&str>, topic: &str) -> Result<(), PayloadError> {
    match named {
        Some(n) if n != topic => Err(PayloadError::WrongDevice { named: n.to_owned(), topic: topic.to_owned() }),
        _ => Ok(()),
    }
}

/// Reads one message of `vendor` that came on the topic of `device_id`, received at `at`.
pub fn parse(vendor: &str, device_id: &str, payload: &[u8], at: Timestamp) -> Result<Reading, PayloadError> {
    let vendor = Vendor::parse(vendor).ok_or_else(|| PayloadError::UnknownVendor(vendor.chars().take(40).collect()))?;
    let value: serde_json::Value = serde_json::from_slice(payload).map_err(|e| PayloadError::NotJson(e.to_string()))?;
    let serde_json::Value::Object(o) = value else {
        return Err(PayloadError::NotJson("the payload is not an object".into()));
    };
    let mut r = Reading {
        device_id: device_id.to_owned(),
        at,
        sent_at: None,
        lel_pct: None,
        level: None,
        alarming: None,
        preheat: false,
        self_test: false,
        muted: false,
        fault: None,
        tamper: None,
        battery_pct: None,
        rssi: None,
    };
    match vendor {
        Vendor::Tuya => {
            check_device(opt_str(&o, "devId")?, device_id)?;
            r.sent_at = opt_num(&o, "t", 0.0..=4.0e10)?.and_then(|t| chrono::DateTime::from_timestamp(t as i64, 0));
            let dps = match o.get("dps") {
                Some(serde_json::Value::Object(d)) => d,
                _ => return Err(field("dps", "missing or not an object")),
            };
            r.alarming = match opt_str(dps, "gas_sensor_status")? {
                None => None,
                Some("alarm") => Some(true),
                Some("normal") => Some(false),
                Some(s) => return Err(field("gas_sensor_status", format!("{s:?}: alarm or normal"))),
            };
            r.lel_pct = opt_num(dps, "gas_sensor_value", 0.0..=1000.0)?.map(|permille| permille / 10.0);
            r.preheat = opt_bool(dps, "preheat")?.unwrap_or(false);
            r.self_test = opt_bool(dps, "self_checking")?.unwrap_or(false);
            r.muted = opt_bool(dps, "muffling")?.unwrap_or(false);
            r.fault = match dps.get("fault") {
                None | Some(serde_json::Value::Null) => None,
                Some(serde_json::Value::Bool(b)) => Some(*b),
                Some(serde_json::Value::Number(n)) => {
                    Some(n.as_u64().ok_or_else(|| field("fault", "a fault bitmap is a whole number"))? != 0)
                }
                Some(v) => return Err(field("fault", format!("expected a number, got {v}"))),
            };
            r.tamper = opt_bool(dps, "temper_alarm")?.or(opt_bool(dps, "tamper_alarm")?);
            r.battery_pct = opt_num(dps, "battery_percentage", 0.0..=100.0)?.map(|b| b as u8);
            if r.alarming.is_none()
                && r.lel_pct.is_none()
                && r.fault.is_none()
                && r.battery_pct.is_none()
                && !r.preheat
                && !r.self_test
            {
                return Err(field("dps", "none of the data points civicgrid reads"));
            }
        }
        Vendor::Nbiot => {
            check_device(opt_str(&o, "imei")?, device_id)?;
            if let Some(ts) = opt_str(&o, "ts")? {
                r.sent_at = Some(
                    chrono::DateTime::parse_from_rfc3339(ts)
                        .map_err(|e| field("ts", e.to_string()))?
                        .with_timezone(&chrono::Utc),
                );
            }
            r.lel_pct = opt_num(&o, "lel", 0.0..=100.0)?;
            r.level = match opt_num(&o, "level", 0.0..=2.0)? {
                Some(l) if l.fract() == 0.0 => Some(l as u8),
                Some(l) => return Err(field("level", format!("{l}: 0, 1 or 2"))),
                None => None,
            };
            r.battery_pct = opt_num(&o, "battery", 0.0..=100.0)?.map(|b| b as u8);
            r.rssi = opt_num(&o, "rssi", -200.0..=0.0)?.map(|v| v as i32);
            match opt_str(&o, "event")? {
                Some("heartbeat") | None => r.fault = Some(false),
                Some("alarm") => {
                    r.fault = Some(false);
                    r.alarming = Some(true);
                }
                Some("fault") => r.fault = Some(true),
                Some("selftest") => r.self_test = true,
                Some(e) => return Err(field("event", format!("{e:?}: heartbeat, alarm, fault or selftest"))),
            }
            if r.lel_pct.is_none() && r.level.is_none() && r.alarming.is_none() {
                r.alarming = Some(false);
            }
            r.tamper = opt_bool(&o, "tamper")?;
        }
    }
    Ok(r)
}

/// What one reading says about each kind of alarm: `Some(true)` the condition holds,
/// `Some(false)` it is over, `None` the reading says nothing of it (a preheating or
/// self-testing detector says nothing of gas).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Assessment {
    /// The gas level (0 none, 1, 2).
    pub gas: Option<u8>,
    pub fault: Option<bool>,
    pub tamper: Option<bool>,
    pub low_battery: Option<bool>,
}

/// The gas level of a concentration.
pub fn level_of(lel_pct: f64, sp: &SetPoints) -> u8 {
    if lel_pct >= sp.level2_pct {
        2
    } else if lel_pct >= sp.level1_pct {
        1
    } else {
        0
    }
}

pub fn assess(r: &Reading, sp: &SetPoints) -> Assessment {
    let gas = if r.preheat || r.self_test {
        None
    } else if let Some(l) = r.level {
        Some(l)
    } else {
        let by_value = r.lel_pct.map(|v| level_of(v, sp));
        match (r.alarming, by_value) {
            (Some(true), v) => Some(v.unwrap_or(1).max(1)),
            (_, Some(v)) => Some(v),
            (Some(false), None) => Some(0),
            (None, None) => None,
        }
    };
    Assessment { gas, fault: r.fault, tamper: r.tamper, low_battery: r.battery_pct.map(|b| b <= sp.low_battery_pct) }
}

/// One step of an alarm's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlarmEvent {
    pub at: Timestamp,
    /// raise, update, acknowledge, clear, link_case, warn, escalate
    pub action: String,
    /// Who: a person's name, or 设备 for the device itself.
    pub by: String,
    /// A person's role ([`crate::role::Role::as_str`]), so that a page names them in its
    /// own language; none for the device and the platform.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duty: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<u8>,
}

/// A reading as an alarm keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    pub at: Timestamp,
    pub lel_pct: Option<f64>,
    pub level: Option<u8>,
    pub muted: bool,
}

/// One alarm of one device and kind, from its start to its clearing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alarm {
    pub id: AlarmId,
    pub version: u32,
    pub device_id: String,
    pub kind: AlarmKind,
    pub severity: Severity,
    pub state: AlarmState,
    /// The gas level now (0 once clear) and the highest reached.
    pub level: u8,
    pub peak_level: u8,
    pub peak_lel_pct: Option<f64>,
    pub muted: bool,
    pub readings: u32,
    pub started_at: Timestamp,
    pub updated_at: Timestamp,
    pub acknowledged_at: Option<Timestamp>,
    pub acknowledged_by: Option<String>,
    pub cleared_at: Option<Timestamp>,
    pub cleared_by: Option<String>,
    /// The urgent case people went out on (gas alarms).
    pub case_id: Option<i64>,
    pub recent: Vec<Sample>,
    pub events: Vec<AlarmEvent>,
}

/// What acting on an alarm may refuse.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AlarmError {
    #[error("alarm {0} is acknowledged already")]
    AcknowledgedAlready(AlarmId),
    #[error("alarm {0} is cleared already")]
    ClearedAlready(AlarmId),
    #[error("a gas alarm at level {0} cannot be cleared by hand while the detector still reads gas")]
    StillReading(u8),
    #[error("a note is needed ({0})")]
    NoteNeeded(&'static str),
}

/// The device itself, as the one who raised or cleared an alarm.
pub const BY_DEVICE: &str = "设备";
/// The platform's watchdog, as the one who raised an offline or end-of-life alarm.
pub const BY_PLATFORM: &str = "平台";

fn severity_of(kind: AlarmKind, level: u8) -> Severity {
    match kind {
        AlarmKind::Gas if level >= 2 => Severity::Critical,
        AlarmKind::Gas | AlarmKind::Fault | AlarmKind::Tamper | AlarmKind::Offline => Severity::Major,
        AlarmKind::LowBattery | AlarmKind::EndOfLife => Severity::Minor,
    }
}

impl Alarm {
    pub fn is_current(&self) -> bool {
        self.state != AlarmState::Cleared
    }
    /// Open as a matter: not yet cleared, or cleared and never acknowledged.
    pub fn is_open(&self) -> bool {
        self.state != AlarmState::Cleared || self.acknowledged_at.is_none()
    }
    fn push(&mut self, at: Timestamp, action: &str, by: &str, note: Option<String>) {
        self.events.push(AlarmEvent {
            at,
            action: action.into(),
            by: by.into(),
            role: None,
            note,
            duty: None,
            due_at: None,
            level: None,
        });
        self.version += 1;
        self.updated_at = at.max(self.updated_at);
    }
    /// The step just recorded was a person's: keeps their role.
    fn by_person(&mut self, by: &Actor) {
        if let Some(e) = self.events.last_mut() {
            e.role = Some(by.role.as_str().to_owned());
        }
    }
    fn sample(&mut self, r: &Reading, level: Option<u8>) {
        self.readings += 1;
        self.recent.push(Sample { at: r.at, lel_pct: r.lel_pct, level, muted: r.muted });
        if self.recent.len() > RECENT_READINGS_MAX {
            self.recent.remove(0);
        }
        if let Some(v) = r.lel_pct {
            self.peak_lel_pct = Some(self.peak_lel_pct.map_or(v, |p| p.max(v)));
        }
    }
}

/// Starts an alarm (`id` 0 until the store gives it one).
pub fn raise(
    device_id: &str,
    kind: AlarmKind,
    level: u8,
    reading: Option<&Reading>,
    at: Timestamp,
    by: &str,
    note: Option<String>,
) -> Alarm {
    let mut a = Alarm {
        id: 0,
        version: 0,
        device_id: device_id.to_owned(),
        kind,
        severity: severity_of(kind, level),
        state: AlarmState::Active,
        level,
        peak_level: level,
        peak_lel_pct: None,
        muted: false,
        readings: 0,
        started_at: at,
        updated_at: at,
        acknowledged_at: None,
        acknowledged_by: None,
        cleared_at: None,
        cleared_by: None,
        case_id: None,
        recent: vec![],
        events: vec![],
    };
    if let Some(r) = reading {
        a.sample(r, (kind == AlarmKind::Gas).then_some(level));
        a.muted = r.muted;
    }
    a.push(at, "raise", by, note);
    if kind == AlarmKind::Gas {
        // The level raised at, for pages that say it in their own words.
        a.events.last_mut().expect("just pushed").level = Some(level);
    }
    a
}

fn clear_now(a: &mut Alarm, at: Timestamp, by: &str, note: Option<String>) {
    a.state = AlarmState::Cleared;
    a.level = 0;
    a.cleared_at = Some(at);
    a.cleared_by = Some(by.to_owned());
    a.push(at, "clear", by, note);
}

/// What one reading does to the alarms of its device: alarms to write (new ones with id 0,
/// changed ones with their version raised). `current` are the device's alarms not cleared.
pub fn observe(current: &[Alarm], r: &Reading, sp: &SetPoints) -> Vec<Alarm> {
    let a = assess(r, sp);
    let mut out = vec![];
    let conditions = [
        (AlarmKind::Gas, a.gas.map(|l| (l > 0, l))),
        (AlarmKind::Fault, a.fault.map(|f| (f, 0))),
        (AlarmKind::Tamper, a.tamper.map(|f| (f, 0))),
        (AlarmKind::LowBattery, a.low_battery.map(|f| (f, 0))),
        // Any message at all says the device is online again.
        (AlarmKind::Offline, Some((false, 0))),
    ];
    for (kind, said) in conditions {
        let Some((holds, level)) = said else { continue };
        let existing = current.iter().find(|x| x.kind == kind && x.is_current());
        match (existing, holds) {
            (None, true) => {
                let what = match kind {
                    AlarmKind::Gas => format!("{}级报警，{}", level, lel_text(r.lel_pct)),
                    _ => kind.zh().to_owned(),
                };
                out.push(raise(&r.device_id, kind, level, Some(r), r.at, BY_DEVICE, Some(what)));
            }
            (Some(x), true) => {
                let mut x = x.clone();
                x.sample(r, (kind == AlarmKind::Gas).then_some(level));
                x.muted = r.muted;
                if kind == AlarmKind::Gas && level != x.level {
                    let note = format!("{}级 → {}级，{}", x.level, level, lel_text(r.lel_pct));
                    x.level = level;
                    x.peak_level = x.peak_level.max(level);
                    x.severity = severity_of(kind, x.peak_level);
                    x.push(r.at, "update", BY_DEVICE, Some(note));
                    x.events.last_mut().expect("just pushed").level = Some(level);
                } else {
                    // A repeated reading: counted and kept, no new step.
                    x.version += 1;
                    x.updated_at = r.at.max(x.updated_at);
                }
                out.push(x);
            }
            (Some(x), false) => {
                let mut x = x.clone();
                if kind == AlarmKind::Gas {
                    x.sample(r, Some(0));
                }
                let note = match kind {
                    AlarmKind::Gas => format!("浓度恢复正常（{}）", lel_text(r.lel_pct)),
                    _ => "恢复正常".to_owned(),
                };
                clear_now(&mut x, r.at, BY_DEVICE, Some(note));
                out.push(x);
            }
            (None, false) => {}
        }
    }
    out
}

/// The platform's own alarms of a device: offline when silent past its heartbeats, end of
/// life when its service years are over. `current` as in [`observe`].
pub fn watchdog(
    current: &[Alarm],
    device: &Device,
    last_seen: Option<Timestamp>,
    now: Timestamp,
    sp: &SetPoints,
) -> Vec<Alarm> {
    let mut out = vec![];
    let has = |k: AlarmKind| current.iter().any(|x| x.kind == k && x.is_current());
    if let Some(seen) = last_seen {
        let silent = Duration::seconds(device.heartbeat_seconds as i64 * sp.offline_after_beats as i64);
        if now - seen > silent && !has(AlarmKind::Offline) {
            let minutes = (now - seen).num_minutes();
            out.push(raise(
                &device.device_id,
                AlarmKind::Offline,
                0,
                None,
                now,
                BY_PLATFORM,
                Some(format!("{minutes} 分钟未上报")),
            ));
        }
    }
    let eol = device.end_of_life();
    if now.date_naive() >= eol && !has(AlarmKind::EndOfLife) {
        out.push(raise(
            &device.device_id,
            AlarmKind::EndOfLife,
            0,
            None,
            now,
            BY_PLATFORM,
            Some(format!("{} 到期，应更换", eol)),
        ));
    }
    out
}

fn lel_text(v: Option<f64>) -> String {
    match v {
        Some(v) => format!("{v:.1}%LEL"),
        None => "浓度未报".into(),
    }
}

/// Someone in the command centre has seen it.
pub fn acknowledge(
    a: &Alarm,
    by: &Actor,
    name: &str,
    at: Timestamp,
    note: Option<String>,
) -> Result<Alarm, AlarmError> {
    if a.acknowledged_at.is_some() {
        return Err(AlarmError::AcknowledgedAlready(a.id));
    }
    let mut x = a.clone();
    x.acknowledged_at = Some(at);
    x.acknowledged_by = Some(name.to_owned());
    if x.state == AlarmState::Active {
        x.state = AlarmState::Acknowledged;
    }
    x.push(at, "acknowledge", name, note);
    x.by_person(by);
    Ok(x)
}

/// Cleared by a person (the fault repaired, the detector replaced); a gas alarm only once the
/// detector reads no gas — muting it is not clearing it. Clearing acknowledges too.
pub fn clear(a: &Alarm, by: &Actor, name: &str, at: Timestamp, note: Option<String>) -> Result<Alarm, AlarmError> {
    if a.state == AlarmState::Cleared {
        return Err(AlarmError::ClearedAlready(a.id));
    }
    if a.kind == AlarmKind::Gas && a.level > 0 {
        return Err(AlarmError::StillReading(a.level));
    }
    let note = note.filter(|n| !n.trim().is_empty()).ok_or(AlarmError::NoteNeeded("what was done"))?;
    let mut x = a.clone();
    if x.acknowledged_at.is_none() {
        x.acknowledged_at = Some(at);
        x.acknowledged_by = Some(name.to_owned());
    }
    clear_now(&mut x, at, name, Some(note));
    x.by_person(by);
    Ok(x)
}

/// Records the case people went out on.
pub fn link_case(a: &Alarm, case_id: i64, at: Timestamp) -> Alarm {
    let mut x = a.clone();
    if x.case_id.is_none() {
        x.case_id = Some(case_id);
        x.push(at, "link_case", BY_PLATFORM, Some(format!("已生成紧急案件 #{case_id}")));
    }
    x
}

/// When a gas alarm must have its urgent case: at once at level 2, after
/// `level1_case_after` at level 1; `None` when it needs none (any more).
pub fn case_due(a: &Alarm, sp: &SetPoints) -> Option<Timestamp> {
    if a.kind != AlarmKind::Gas || !a.is_current() || a.case_id.is_some() || a.peak_level == 0 {
        return None;
    }
    if a.peak_level >= 2 {
        return Some(a.started_at);
    }
    Some(a.started_at + sp.level1_case_after)
}

/// Whether the urgent case is due by `now`.
pub fn needs_case(a: &Alarm, now: Timestamp, sp: &SetPoints) -> bool {
    case_due(a, sp).is_some_and(|due| due <= now)
}

/// The duty named for the urgent case; its alert is the case itself, not a warning.
pub const CASE_DUTY: &str = "open_case";

fn alert_history(a: &Alarm) -> Vec<crate::obligation::AlertRecord<'_>> {
    a.events
        .iter()
        .map(|e| crate::obligation::AlertRecord {
            action: &e.action,
            duty: e.duty.as_deref(),
            due_at: e.due_at,
            level: e.level,
        })
        .collect()
}

/// An alarm's duties: the command centre acknowledges it; the gas is gone or the device is
/// repaired (grid workers see to it with the owner and the gas company); a gas alarm gets its
/// urgent case.
pub fn obligations(a: &Alarm, terms: &Terms, sp: &SetPoints) -> Vec<Obligation> {
    let history = alert_history(a);
    let mut out = vec![];
    let mut duty =
        |name: &str, owner: Owner, counting: Counting, due_at: Timestamp, kept_at: Option<Timestamp>, dropped: bool| {
            out.push(Obligation {
                name: name.into(),
                owner,
                counting,
                starts_at: a.started_at,
                due_at,
                kept_at,
                state: if kept_at.is_some() {
                    DutyState::Kept
                } else if dropped {
                    DutyState::Dropped
                } else {
                    DutyState::Open
                },
                ladder: terms.ladder.clone(),
                level: crate::obligation::level_of(&history, name, due_at),
                next_alert_at: None,
            });
        };
    duty(
        "acknowledge",
        Owner::Role(Role::Dispatcher),
        Counting::Minutes,
        a.started_at + sp.acknowledge_within,
        a.acknowledged_at,
        false,
    );
    let resolve_within = if a.kind == AlarmKind::Gas { sp.gas_resolve_within } else { sp.repair_within };
    duty(
        "resolve",
        Owner::Role(Role::GridWorker),
        Counting::Minutes,
        a.started_at + resolve_within,
        a.cleared_at,
        false,
    );
    if a.kind == AlarmKind::Gas && a.peak_level > 0 {
        let due = a.started_at + if a.peak_level >= 2 { Duration::zero() } else { sp.level1_case_after };
        let made_at = a.events.iter().find(|e| e.action == "link_case").map(|e| e.at);
        duty(CASE_DUTY, Owner::Role(Role::Dispatcher), Counting::Minutes, due, made_at, !a.is_current());
    }
    crate::obligation::fill_next_alerts(&mut out, &history, terms.warn_fraction);
    for o in out.iter_mut().filter(|o| o.name == CASE_DUTY) {
        o.next_alert_at = (o.state == DutyState::Open).then_some(o.due_at);
    }
    out
}

/// Records the warnings and escalations due by `now` (the urgent case is not one: the caller
/// makes it); `None` when nothing is due.
pub fn record_alerts(a: &Alarm, now: Timestamp, terms: &Terms, sp: &SetPoints) -> Option<Alarm> {
    let duties: Vec<Obligation> = obligations(a, terms, sp).into_iter().filter(|o| o.name != CASE_DUTY).collect();
    let due = crate::obligation::due_alerts(&duties, &alert_history(a), now, terms);
    if due.is_empty() {
        return None;
    }
    let mut x = a.clone();
    let at = now.max(x.updated_at);
    for d in due {
        let action = if d.level.is_some() { "escalate" } else { "warn" };
        x.events.push(AlarmEvent {
            at,
            action: action.into(),
            by: BY_PLATFORM.into(),
            role: None,
            note: None,
            duty: Some(d.duty),
            due_at: Some(d.due_at),
            level: d.level,
        });
        x.version += 1;
    }
    x.updated_at = at;
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(s: i64) -> Timestamp {
        chrono::Utc.timestamp_opt(1_764_400_000 + s, 0).unwrap()
    }
    fn tuya(status: &str, permille: u32) -> Vec<u8> {
        format!(r#"{{"devId":"D1","t":1764400000,"dps":{{"gas_sensor_status":"{status}","gas_sensor_value":{permille},"preheat":false,"self_checking":false,"muffling":false,"fault":0,"battery_percentage":87}}}}"#).into_bytes()
    }

    #[test]
    fn both_payloads_read_into_one_reading() {
        let r = parse("tuya", "D1", &tuya("alarm", 350), t(0)).unwrap();
        assert_eq!((r.lel_pct, r.alarming, r.fault, r.battery_pct), (Some(35.0), Some(true), Some(false), Some(87)));
        let n = parse("nbiot", "8612", br#"{"imei":"8612","ts":"2026-11-29T08:00:00+08:00","lel":55.0,"level":2,"battery":87,"rssi":-80,"event":"alarm"}"#, t(0)).unwrap();
        assert_eq!((n.lel_pct, n.level, n.rssi), (Some(55.0), Some(2), Some(-80)));
        assert_eq!(n.sent_at, Some(chrono::Utc.with_ymd_and_hms(2026, 11, 29, 0, 0, 0).unwrap()));
    }

    #[test]
    fn malformed_payloads_say_what_is_wrong() {
        assert!(matches!(parse("tuya", "D1", b"not json", t(0)), Err(PayloadError::NotJson(_))));
        assert!(matches!(parse("acme", "D1", b"{}", t(0)), Err(PayloadError::UnknownVendor(_))));
        assert_eq!(
            parse("tuya", "D1", br#"{"devId":"D1","dps":{"gas_sensor_value":5000}}"#, t(0)).unwrap_err().to_string(),
            "field gas_sensor_value: 5000 outside 0–1000"
        );
        assert!(matches!(
            parse("tuya", "D1", br#"{"devId":"D2","dps":{"gas_sensor_value":1}}"#, t(0)),
            Err(PayloadError::WrongDevice { .. })
        ));
        assert!(matches!(
            parse("nbiot", "X", br#"{"imei":"X","level":3}"#, t(0)),
            Err(PayloadError::Field { field: "level", .. })
        ));
        assert!(matches!(
            parse("nbiot", "X", br#"{"imei":"X","event":"boom"}"#, t(0)),
            Err(PayloadError::Field { field: "event", .. })
        ));
        assert!(matches!(
            parse("tuya", "D1", br#"{"devId":"D1","dps":{}}"#, t(0)),
            Err(PayloadError::Field { field: "dps", .. })
        ));
    }

    #[test]
    fn set_points_make_the_levels_and_preheat_says_nothing() {
        let sp = SetPoints::default();
        let lvl = |status: &str, v: u32| assess(&parse("tuya", "D1", &tuya(status, v), t(0)).unwrap(), &sp).gas;
        assert_eq!(lvl("normal", 199), Some(0));
        assert_eq!(lvl("normal", 200), Some(1));
        assert_eq!(lvl("alarm", 499), Some(1));
        assert_eq!(lvl("alarm", 500), Some(2));
        // The device says alarm below the set point: at least level 1.
        assert_eq!(lvl("alarm", 50), Some(1));
        let mut r = parse("tuya", "D1", &tuya("alarm", 600), t(0)).unwrap();
        r.preheat = true;
        assert_eq!(assess(&r, &sp).gas, None);
        let n = parse("nbiot", "X", br#"{"imei":"X","lel":10.0,"level":2,"event":"alarm"}"#, t(0)).unwrap();
        assert_eq!(assess(&n, &sp).gas, Some(2), "an nbiot level is taken as sent");
    }

    #[test]
    fn readings_update_one_alarm_and_clear_it() {
        let sp = SetPoints::default();
        let r1 = parse("tuya", "D1", &tuya("alarm", 300), t(0)).unwrap();
        let first = observe(&[], &r1, &sp);
        assert_eq!(first.len(), 1);
        let mut a = first[0].clone();
        a.id = 7;
        assert_eq!((a.kind, a.level, a.severity, a.state), (AlarmKind::Gas, 1, Severity::Major, AlarmState::Active));
        assert_eq!(case_due(&a, &sp), Some(t(300)));
        // The same reading again: the same alarm, counted, no duplicate.
        let again = observe(std::slice::from_ref(&a), &r1, &sp);
        assert_eq!((again.len(), again[0].id, again[0].readings, again[0].events.len()), (1, 7, 2, 1));
        // Up to level 2: the same alarm, critical, its case due at once.
        let r2 = parse("tuya", "D1", &tuya("alarm", 550), t(20)).unwrap();
        let up = observe(&again, &r2, &sp)[0].clone();
        assert_eq!((up.id, up.level, up.severity), (7, 2, Severity::Critical));
        assert!(needs_case(&up, t(20), &sp));
        // Muted is not clear.
        let mut m = parse("tuya", "D1", &tuya("alarm", 550), t(30)).unwrap();
        m.muted = true;
        let muted = observe(std::slice::from_ref(&up), &m, &sp)[0].clone();
        assert!(muted.muted && muted.is_current());
        // Back to normal: cleared by the device; still open until acknowledged.
        let r3 = parse("tuya", "D1", &tuya("normal", 10), t(60)).unwrap();
        let cleared = observe(std::slice::from_ref(&muted), &r3, &sp)[0].clone();
        assert_eq!((cleared.state, cleared.cleared_by.as_deref()), (AlarmState::Cleared, Some(BY_DEVICE)));
        assert!(cleared.is_open() && !cleared.is_current());
        assert!(!needs_case(&cleared, t(60), &sp));
        let actor = Actor { user_id: 1, username: "d".into(), role: Role::Dispatcher };
        let acked = acknowledge(&cleared, &actor, "王芳", t(70), None).unwrap();
        assert!(!acked.is_open());
        // The person's step keeps their role; the device's has none.
        let roles: Vec<Option<&str>> = acked.events.iter().map(|e| e.role.as_deref()).collect();
        assert_eq!(roles.last(), Some(&Some("dispatcher")));
        assert!(roles[..roles.len() - 1].iter().all(|r| r.is_none()));
        assert_eq!(acknowledge(&acked, &actor, "王芳", t(71), None).unwrap_err(), AlarmError::AcknowledgedAlready(7));
    }

    #[test]
    fn a_gas_alarm_is_not_cleared_by_hand_while_gas_is_read() {
        let sp = SetPoints::default();
        let a = observe(&[], &parse("tuya", "D1", &tuya("alarm", 600), t(0)).unwrap(), &sp)[0].clone();
        let worker = Actor { user_id: 2, username: "g".into(), role: Role::GridWorker };
        assert_eq!(clear(&a, &worker, "李杰", t(10), Some("已处置".into())).unwrap_err(), AlarmError::StillReading(2));
        let f = raise("D1", AlarmKind::Fault, 0, None, t(0), BY_DEVICE, None);
        assert_eq!(clear(&f, &worker, "李杰", t(10), None).unwrap_err(), AlarmError::NoteNeeded("what was done"));
        let c = clear(&f, &worker, "李杰", t(10), Some("更换传感器".into())).unwrap();
        assert!(!c.is_open());
        assert_eq!(c.events.last().map(|e| (e.by.as_str(), e.role.as_deref())), Some(("李杰", Some("grid_worker"))));
    }

    #[test]
    fn obligations_follow_the_alarm() {
        let sp = SetPoints::default();
        let terms = Terms::default();
        let mut a = observe(&[], &parse("tuya", "D1", &tuya("alarm", 600), t(0)).unwrap(), &sp)[0].clone();
        let duties = obligations(&a, &terms, &sp);
        let by = |d: &[Obligation], n: &str| d.iter().find(|o| o.name == n).cloned().unwrap();
        assert_eq!(by(&duties, CASE_DUTY).next_alert_at, Some(t(0)));
        assert_eq!(by(&duties, "acknowledge").due_at, t(180));
        assert_eq!(by(&duties, "resolve").due_at, t(86_400));
        a = link_case(&a, 42, t(1));
        let duties = obligations(&a, &terms, &sp);
        assert_eq!((by(&duties, CASE_DUTY).state, by(&duties, CASE_DUTY).kept_at), (DutyState::Kept, Some(t(1))));
        assert!(crate::obligation::owes_something(a.is_open(), &duties));
        // Unacknowledged past 3 minutes: escalated once, never twice for the same deadline.
        let late = record_alerts(&a, t(200), &terms, &sp).unwrap();
        let esc: Vec<_> = late.events.iter().filter(|e| e.action == "escalate").collect();
        assert_eq!((esc.len(), esc[0].duty.as_deref(), esc[0].level), (1, Some("acknowledge"), Some(1)));
        assert!(record_alerts(&late, t(201), &terms, &sp).is_none());
    }

    #[test]
    fn the_watchdog_raises_offline_once_and_a_message_clears_it() {
        let sp = SetPoints::default();
        let d = Device {
            device_id: "D1".into(),
            vendor: Vendor::Tuya,
            model: "m".into(),
            kind: DeviceKind::Business,
            address: "a".into(),
            location: None,
            grid: None,
            owner_name: "o".into(),
            owner_phone: "".into(),
            installed_on: chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
            valve: false,
            heartbeat_seconds: 300,
        };
        // 3 heartbeats of 300 s: silent 900 s is still fine, 901 s is offline.
        assert!(watchdog(&[], &d, Some(t(0)), t(900), &sp).is_empty());
        let off = watchdog(&[], &d, Some(t(0)), t(901), &sp);
        assert_eq!(off.len(), 1);
        assert!(watchdog(&off, &d, Some(t(0)), t(2000), &sp).is_empty());
        let back = observe(&off, &parse("tuya", "D1", &tuya("normal", 0), t(2100)).unwrap(), &sp);
        assert_eq!(back[0].state, AlarmState::Cleared);
        // A business detector installed 2022-11-01 is past its 3 years on 2026-11-29.
        let old = Device { installed_on: chrono::NaiveDate::from_ymd_opt(2022, 11, 1).unwrap(), ..d };
        assert_eq!(old.end_of_life(), chrono::NaiveDate::from_ymd_opt(2025, 11, 1).unwrap());
        assert_eq!(watchdog(&[], &old, None, t(0), &sp)[0].kind, AlarmKind::EndOfLife);
    }

    #[test]
    fn device_csv_is_checked_line_by_line() {
        let head = "device_id,vendor,model,kind,address,lat,lng,owner_name,owner_phone,installed_on\n";
        let ok = parse_device_csv(&format!(
            "{head}GD-1,tuya,JT-01,household,临江花园1幢,30.3,120.5,张伟,13800000001,2024-03-01\n"
        ))
        .unwrap();
        assert_eq!((ok[0].kind, ok[0].end_of_life().to_string()), (DeviceKind::Household, "2029-03-01".to_owned()));
        assert!(parse_device_csv("a,b\n").unwrap_err().contains("header"));
        assert!(parse_device_csv(&format!("{head}GD-1,acme,m,household,x,,,,,2024-03-01\n"))
            .unwrap_err()
            .contains("line 2: vendor"));
        assert!(parse_device_csv(&format!("{head}GD-1,tuya,m,household,x,,,,,2024-13-01\n"))
            .unwrap_err()
            .contains("installed_on"));
        assert!(parse_device_csv(&format!(
            "{head}GD-1,tuya,m,household,x,,,,,2024-03-01\nGD-1,tuya,m,household,x,,,,,2024-03-01\n"
        ))
        .unwrap_err()
        .contains("twice"));
    }
}
