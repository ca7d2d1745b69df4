//! A scenario folder: the place, the people on duty, the catalogue and the demand.
//!
//! # Layout
//! - [`load`] reads and checks every file of a folder (documented in `scenarios/README.md`);
//!   a mistake fails with the file and the line or element that holds it.
//! - [`history`] makes the synthetic case history that statistics need, deterministically
//!   from the scenario's seed.

pub mod history;

use domain::case::Priority;
use domain::category::{Category, CategoryKind, Force};
use domain::codes::{CategoryCode, GridCode};
use domain::deadline::{parse_duration, ChainOverride, DeadlinePolicy, Promise};
use domain::geo::{LatLng, Polygon, ServedArea};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use store::{Grid, ReferenceData, Responder, Station};

/// A mistake in a scenario, naming where it is.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct ScenarioError {
    pub file: PathBuf,
    pub message: String,
}

fn err(file: &Path, message: impl Into<String>) -> ScenarioError {
    ScenarioError { file: file.to_owned(), message: message.into() }
}

/// A logistics park or similar site inside a station's area.
#[derive(Debug, Clone, Deserialize)]
pub struct Park {
    pub name_zh: String,
    pub name_en: String,
    pub station: String,
    pub lat: f64,
    pub lng: f64,
}

/// One entry of `categories.toml`: the category, its share of demand and what its calls take.
#[derive(Debug, Clone)]
pub struct CategorySpec {
    pub category: Category,
    /// Relative share of general demand.
    pub weight: f64,
    /// Time on scene.
    pub on_scene: OnScene,
    /// A leg after the scene (to a hospital or the station), for some of the calls.
    pub transport: Option<Transport>,
}

/// How long a unit stays on scene, in seconds.
#[derive(Debug, Clone, PartialEq)]
pub enum OnScene {
    Fixed(f64),
    Uniform {
        min: f64,
        max: f64,
    },
    Exponential {
        mean: f64,
    },
    /// Log-normal with this mean and standard deviation (of the time, not of its logarithm).
    LogNormal {
        mean: f64,
        sd: f64,
    },
}

impl OnScene {
    pub fn mean(&self) -> f64 {
        match *self {
            Self::Fixed(m) | Self::Exponential { mean: m } | Self::LogNormal { mean: m, .. } => m,
            Self::Uniform { min, max } => (min + max) / 2.0,
        }
    }

    /// What a category without `on_scene` takes: 25 minutes ± half (45 for disputes).
    pub fn default_for(tags: &[String]) -> Self {
        let base = if tags.iter().any(|t| t == "dispute") { 2700.0 } else { 1500.0 };
        Self::Uniform { min: base * 0.5, max: base * 1.5 }
    }

    fn parse(t: &OnSceneRow) -> Result<Self, String> {
        let d = |v: &Option<String>, k: &str| -> Result<f64, String> {
            let v = v.as_deref().ok_or_else(|| format!("on_scene: {:?} needs {k}", t.distribution))?;
            let d = parse_duration(v).map_err(|e| format!("on_scene.{k}: {}", e.0))?;
            Ok(d.num_milliseconds() as f64 / 1000.0)
        };
        let unused = |keys: &[(&str, bool)]| match keys.iter().find(|(_, set)| *set) {
            Some((k, _)) => Err(format!("on_scene: {k} is not read by {:?}", t.distribution)),
            None => Ok(()),
        };
        let o = match t.distribution.as_str() {
            "fixed" => {
                unused(&[("min", t.min.is_some()), ("max", t.max.is_some()), ("sd", t.sd.is_some())])?;
                Self::Fixed(d(&t.mean, "mean")?)
            }
            "uniform" => {
                unused(&[("mean", t.mean.is_some()), ("sd", t.sd.is_some())])?;
                Self::Uniform { min: d(&t.min, "min")?, max: d(&t.max, "max")? }
            }
            "exponential" => {
                unused(&[("min", t.min.is_some()), ("max", t.max.is_some()), ("sd", t.sd.is_some())])?;
                Self::Exponential { mean: d(&t.mean, "mean")? }
            }
            "lognormal" => {
                unused(&[("min", t.min.is_some()), ("max", t.max.is_some())])?;
                Self::LogNormal { mean: d(&t.mean, "mean")?, sd: d(&t.sd, "sd")? }
            }
            x => {
                return Err(format!(
                    "on_scene: distribution must be fixed, uniform, exponential or lognormal, got {x:?}"
                ))
            }
        };
        let ok = match o {
            Self::Fixed(m) | Self::Exponential { mean: m } => m > 0.0,
            Self::Uniform { min, max } => min > 0.0 && max >= min,
            Self::LogNormal { mean, sd } => mean > 0.0 && sd > 0.0,
        };
        if !ok {
            return Err("on_scene: times must be positive (and max at least min)".into());
        }
        Ok(o)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct OnSceneRow {
    distribution: String,
    mean: Option<String>,
    sd: Option<String>,
    min: Option<String>,
    max: Option<String>,
}

/// After the scene, a share of calls take the unit on to a place (the patient to a hospital,
/// the detained to the station), where it hands over before it is free again.
#[derive(Debug, Clone, PartialEq)]
pub struct Transport {
    /// Share of the category's calls, 0–1.
    pub share: f64,
    /// Where to: the nearest of these places.
    pub to: Vec<LatLng>,
    /// Seconds at the place before the unit is free.
    pub handover_seconds: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct TransportRow {
    share: f64,
    /// `"station"` (the nearest station), or a list of `[lat, lng]` places.
    to: TransportTo,
    handover: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum TransportTo {
    Places(Vec<[f64; 2]>),
    Named(String),
}

/// `settings.toml` (optional): how the simulator and dispatch model time. Every key is read.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Seconds from a report to the decision who goes (a dispatcher's minute).
    pub decision_seconds: f64,
    /// The same for categories sent without a dispatcher (`auto_dispatch`).
    pub auto_decision_seconds: f64,
    /// A unit may be sent again as soon as it is clear, from wherever it is on its way home
    /// (`[dispatch] send_on_the_way_home`, true by default); false: only once back at base.
    pub en_route: bool,
    pub travel: dispatch::TravelModel,
    pub scheme: Scheme,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            decision_seconds: 60.0,
            auto_decision_seconds: 60.0,
            en_route: true,
            travel: dispatch::TravelModel::default(),
            scheme: Scheme::default(),
        }
    }
}

/// `[scheme]` of `settings.toml`: whose codes and forces a scenario uses. By default the
/// national schemes (15-digit grids, `SJ`/`BJ` categories) and the street's nine forces; a
/// city brought into the simulator may use its own codes (`codes = "local"`) and declare its
/// own forces (`forces = ["ambulance"]`). The server runs national scenarios only.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scheme {
    pub local_codes: bool,
    /// Forces beyond the nine.
    pub forces: Vec<Force>,
}

impl Scheme {
    pub fn is_national(&self) -> bool {
        !self.local_codes && self.forces.is_empty()
    }
    /// One of the nine, or a declared force.
    pub fn force(&self, name: &str) -> Option<Force> {
        Force::parse(name).or_else(|| self.forces.iter().copied().find(|f| f.as_str() == name))
    }
    fn grid_code(&self, s: &str) -> Result<GridCode, domain::codes::CodeError> {
        if self.local_codes {
            GridCode::local(s)
        } else {
            GridCode::parse(s)
        }
    }
    fn category_code(&self, s: &str) -> Result<CategoryCode, domain::codes::CodeError> {
        if self.local_codes {
            CategoryCode::local(s)
        } else {
            CategoryCode::parse(s)
        }
    }
    fn unknown_force(&self, name: &str) -> String {
        let mut known: Vec<&str> = Force::ALL.iter().map(|f| f.as_str()).collect();
        known.extend(self.forces.iter().map(|f| f.as_str()));
        format!(
            "unknown force {name:?}: use one of {} or declare it in settings.toml [scheme] forces",
            known.join(", ")
        )
    }
}

/// `demand.toml`. Every key is read by something: an unknown one is a mistake and fails
/// loudly (the share of urgent calls follows from the categories' priorities, not a setting).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Demand {
    pub cases_per_day: f64,
    pub hourly_profile: Vec<f64>,
    pub sources: BTreeMap<String, f64>,
    pub weights: BTreeMap<String, f64>,
    pub history: HistorySpec,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistorySpec {
    pub days: u32,
    pub seed: u64,
    pub streams: BTreeMap<String, Stream>,
}

/// A stream of cases with its own channel, categories and rates in the two years.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stream {
    /// A channel name, or `mixed` for the general channel mix.
    pub source: String,
    /// A list of category codes, or the string `weighted` for the general category mix.
    pub categories: StreamCategories,
    pub current_per_day: f64,
    pub previous_per_day: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum StreamCategories {
    List(Vec<String>),
    Weighted(String),
}

/// The scenario's road graph, if it has one: `roads.graph` (made by `civicgrid import-osm`)
/// or else `roads.geojson` (lines with OSM `highway` tags).
pub fn roads_file(dir: &Path) -> Option<PathBuf> {
    ["roads.graph", "roads.geojson"].iter().map(|f| dir.join(f)).find(|p| p.is_file())
}

#[derive(Debug, Clone)]
pub struct Scenario {
    pub dir: PathBuf,
    pub stations: Vec<Station>,
    pub parks: Vec<Park>,
    pub grids: Vec<Grid>,
    pub categories: Vec<CategorySpec>,
    pub responders: Vec<Responder>,
    pub demand: Demand,
    pub policy: DeadlinePolicy,
    /// Each grid's share of general demand (relative): its `weight` property times the
    /// `[weights]` of its station and area.
    pub grid_weights: Vec<f64>,
    pub settings: Settings,
}

impl Scenario {
    pub fn reference_data(&self) -> ReferenceData {
        ReferenceData {
            stations: self.stations.clone(),
            grids: self.grids.clone(),
            categories: self.categories.iter().map(|c| c.category.clone()).collect(),
            responders: self.responders.clone(),
        }
    }

    pub fn served_area(&self) -> ServedArea {
        served_area(&self.grids)
    }

    pub fn category(&self, code: &CategoryCode) -> Option<&Category> {
        self.categories.iter().map(|c| &c.category).find(|c| &c.code == code)
    }
}

/// The served area made of stored grids.
pub fn served_area(grids: &[Grid]) -> ServedArea {
    ServedArea::new(grids.iter().filter_map(|g| Polygon::new(g.ring.clone()).map(|p| (g.code.clone(), p))).collect())
}

/// The texts of a scenario's five files.
#[derive(Debug, Clone)]
pub struct Files {
    pub stations: String,
    pub grids: String,
    pub categories: String,
    pub responders: String,
    pub demand: String,
}

impl Files {
    pub fn read(dir: &Path) -> Result<Self, ScenarioError> {
        Ok(Self {
            stations: read(&dir.join(STATIONS))?,
            grids: read(&dir.join(GRIDS))?,
            categories: read(&dir.join(CATEGORIES))?,
            responders: read(&dir.join(RESPONDERS))?,
            demand: read(&dir.join(DEMAND))?,
        })
    }
}

const STATIONS: &str = "stations.json";
const GRIDS: &str = "grids.geojson";
const CATEGORIES: &str = "categories.toml";
const RESPONDERS: &str = "responders.csv";
const DEMAND: &str = "demand.toml";

const SETTINGS: &str = "settings.toml";

/// Reads a scenario folder.
pub fn load(dir: &Path) -> Result<Scenario, ScenarioError> {
    let path = dir.join(SETTINGS);
    let settings = if path.is_file() { parse_settings(&path, &read(&path)?)? } else { Settings::default() };
    parse_with(dir, &Files::read(dir)?, settings)
}

/// Reads `settings.toml`: `[dispatch]` decision times, `[travel]` speeds, set-off, the rush.
pub fn parse_settings(path: &Path, text: &str) -> Result<Settings, ScenarioError> {
    #[derive(Deserialize, Default)]
    #[serde(deny_unknown_fields)]
    struct File {
        #[serde(default)]
        dispatch: DispatchRow,
        #[serde(default)]
        travel: TravelRow,
        #[serde(default)]
        scheme: SchemeRow,
    }
    #[derive(Deserialize, Default)]
    #[serde(deny_unknown_fields)]
    struct SchemeRow {
        codes: Option<String>,
        #[serde(default)]
        forces: Vec<String>,
    }
    #[derive(Deserialize, Default)]
    #[serde(deny_unknown_fields)]
    struct DispatchRow {
        decision: Option<String>,
        auto_decision: Option<String>,
        send_on_the_way_home: Option<bool>,
    }
    #[derive(Deserialize, Default)]
    #[serde(deny_unknown_fields)]
    struct TravelRow {
        setoff: Option<String>,
        circuity: Option<f64>,
        foot_kmh: Option<f64>,
        ebike_kmh: Option<f64>,
        car_kmh: Option<f64>,
        off_road_car_kmh: Option<f64>,
        rush_hours: Option<Vec<u32>>,
        rush_hour_car_factor: Option<f64>,
    }
    let f: File = toml::from_str(text).map_err(|e| err(path, e.to_string()))?;
    let mut s = Settings::default();
    let secs = |v: &Option<String>, k: &str, into: &mut f64| -> Result<(), ScenarioError> {
        if let Some(v) = v {
            let d = parse_duration(v).map_err(|e| err(path, format!("{k}: {}", e.0)))?;
            *into = d.num_milliseconds() as f64 / 1000.0;
        }
        Ok(())
    };
    secs(&f.dispatch.decision, "[dispatch] decision", &mut s.decision_seconds)?;
    s.auto_decision_seconds = s.decision_seconds;
    secs(&f.dispatch.auto_decision, "[dispatch] auto_decision", &mut s.auto_decision_seconds)?;
    s.en_route = f.dispatch.send_on_the_way_home.unwrap_or(true);
    s.scheme.local_codes = match f.scheme.codes.as_deref() {
        None | Some("national") => false,
        Some("local") => true,
        Some(x) => return Err(err(path, format!("[scheme] codes must be \"national\" or \"local\", got {x:?}"))),
    };
    for name in &f.scheme.forces {
        let force = Force::local(name).map_err(|e| err(path, format!("[scheme] forces: {e}")))?;
        if s.scheme.forces.contains(&force) {
            return Err(err(path, format!("[scheme] forces: {name:?} appears twice")));
        }
        s.scheme.forces.push(force);
    }
    let t = &mut s.travel;
    secs(&f.travel.setoff, "[travel] setoff", &mut t.setoff_seconds)?;
    let speed = |v: Option<f64>, k: &str, into: &mut f64| -> Result<(), ScenarioError> {
        if let Some(v) = v {
            if !(v.is_finite() && v > 0.0) {
                return Err(err(path, format!("[travel] {k} must be positive")));
            }
            *into = v / 3.6;
        }
        Ok(())
    };
    speed(f.travel.foot_kmh, "foot_kmh", &mut t.foot_metres_per_second)?;
    speed(f.travel.ebike_kmh, "ebike_kmh", &mut t.ebike_metres_per_second)?;
    speed(f.travel.car_kmh, "car_kmh", &mut t.car_metres_per_second)?;
    speed(f.travel.off_road_car_kmh, "off_road_car_kmh", &mut t.off_road_car_metres_per_second)?;
    if let Some(c) = f.travel.circuity {
        if !(1.0..=3.0).contains(&c) {
            return Err(err(path, "[travel] circuity must be between 1 and 3"));
        }
        t.circuity = c;
    }
    if let Some(r) = f.travel.rush_hour_car_factor {
        if !(r > 0.0 && r <= 1.0) {
            return Err(err(path, "[travel] rush_hour_car_factor must be above 0 and at most 1"));
        }
        t.rush_hour_car_factor = r;
    }
    if let Some(hours) = &f.travel.rush_hours {
        t.rush_hours = [false; 24];
        for h in hours {
            *t.rush_hours
                .get_mut(*h as usize)
                .ok_or_else(|| err(path, format!("[travel] rush_hours: no hour {h}")))? = true;
        }
    }
    Ok(s)
}

/// Checks a scenario's files as read (`dir` names them in messages), with the default
/// settings. The fuzz target `scenario_files` drives this.
pub fn parse(dir: &Path, f: &Files) -> Result<Scenario, ScenarioError> {
    parse_with(dir, f, Settings::default())
}

/// [`parse`] with the scenario's settings (its scheme decides how codes and forces read).
pub fn parse_with(dir: &Path, f: &Files, settings: Settings) -> Result<Scenario, ScenarioError> {
    let scheme = &settings.scheme;
    let (stations, parks) = load_stations(&dir.join(STATIONS), &f.stations)?;
    let (grids, own_weights) = load_grids(&dir.join(GRIDS), &f.grids, &stations, scheme)?;
    let (mut categories, policy) = load_categories(&dir.join(CATEGORIES), &f.categories, scheme)?;
    let responders = load_responders(&dir.join(RESPONDERS), &f.responders, &stations, &grids, scheme)?;
    let demand = load_demand(&dir.join(DEMAND), &f.demand, &categories, &stations, &grids)?;
    check_served(&dir.join(CATEGORIES), &categories, &responders)?;
    fill_transport(&mut categories, &stations);
    let grid_weights = grids
        .iter()
        .zip(own_weights)
        .map(|(g, w)| {
            w * demand.weights.get(&format!("station_{}", g.station)).copied().unwrap_or(1.0)
                * demand.weights.get(&format!("area_{}", g.area)).copied().unwrap_or(1.0)
        })
        .collect::<Vec<f64>>();
    if !(grid_weights.iter().sum::<f64>() > 0.0) {
        return Err(err(&dir.join(DEMAND), "every grid weighs nothing: no demand anywhere"));
    }
    Ok(Scenario {
        dir: dir.to_owned(),
        stations,
        parks,
        grids,
        categories,
        responders,
        demand,
        policy,
        grid_weights,
        settings,
    })
}

fn read(path: &Path) -> Result<String, ScenarioError> {
    std::fs::read_to_string(path).map_err(|e| err(path, format!("cannot read: {e}")))
}

fn load_stations(path: &Path, text: &str) -> Result<(Vec<Station>, Vec<Park>), ScenarioError> {
    #[derive(Deserialize)]
    struct File {
        stations: Vec<StationRow>,
        #[serde(default)]
        parks: Vec<Park>,
    }
    #[derive(Deserialize)]
    struct StationRow {
        code: String,
        kind: String,
        name_zh: String,
        name_en: String,
        lat: f64,
        lng: f64,
        address: String,
    }
    let f: File =
        serde_json::from_str(text).map_err(|e| err(path, format!("line {}, column {}: {e}", e.line(), e.column())))?;
    let mut out = vec![];
    for (i, s) in f.stations.into_iter().enumerate() {
        LatLng::new(s.lat, s.lng).map_err(|e| err(path, format!("station {} ({}): {e}", i + 1, s.code)))?;
        if !matches!(s.kind.as_str(), "centre" | "station") {
            return Err(err(path, format!("station {}: kind must be centre or station, got {:?}", s.code, s.kind)));
        }
        if out.iter().any(|o: &Station| o.code == s.code) {
            return Err(err(path, format!("station code {} appears twice", s.code)));
        }
        out.push(Station {
            code: s.code,
            name_zh: s.name_zh,
            name_en: s.name_en,
            kind: s.kind,
            lat: s.lat,
            lng: s.lng,
            address: s.address,
        });
    }
    for p in &f.parks {
        if !out.iter().any(|s| s.code == p.station) {
            return Err(err(path, format!("park {} names unknown station {}", p.name_en, p.station)));
        }
    }
    Ok((out, f.parks))
}

/// The grids, and each one's own demand weight (its `weight` property, 1 without one).
fn load_grids(
    path: &Path,
    text: &str,
    stations: &[Station],
    scheme: &Scheme,
) -> Result<(Vec<Grid>, Vec<f64>), ScenarioError> {
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|e| err(path, format!("line {}, column {}: {e}", e.line(), e.column())))?;
    let features = v["features"].as_array().ok_or_else(|| err(path, "not a GeoJSON FeatureCollection"))?;
    let mut grids: Vec<Grid> = vec![];
    let mut weights = vec![];
    for (i, f) in features.iter().enumerate() {
        let at = |m: String| err(path, format!("feature {i}: {m}"));
        let p = &f["properties"];
        let text = |k: &str| p[k].as_str().map(str::to_owned).ok_or_else(|| at(format!("property {k:?} missing")));
        let code = scheme.grid_code(&text("code")?).map_err(|e| at(e.0))?;
        let station = text("station")?;
        if !stations.iter().any(|s| s.code == station) {
            return Err(at(format!("unknown station {station}")));
        }
        if f["geometry"]["type"] != "Polygon" {
            return Err(at("geometry must be a Polygon".into()));
        }
        let ring: Vec<[f64; 2]> = serde_json::from_value(f["geometry"]["coordinates"][0].clone())
            .map_err(|e| at(format!("coordinates: {e}")))?;
        for pt in &ring {
            LatLng::new(pt[1], pt[0]).map_err(|e| at(e.to_string()))?;
        }
        Polygon::new(ring.clone()).ok_or_else(|| at("a polygon needs at least three points".into()))?;
        if grids.iter().any(|g| g.code == code) {
            return Err(at(format!("grid code {code} appears twice")));
        }
        let weight = match &p["weight"] {
            serde_json::Value::Null => 1.0,
            v => v
                .as_f64()
                .filter(|w| w.is_finite() && *w >= 0.0)
                .ok_or_else(|| at(format!("property \"weight\" must be a number, not negative, got {v}")))?,
        };
        weights.push(weight);
        grids.push(Grid {
            community: text("community")?,
            name_zh: text("name")?,
            name_en: text("name_en")?,
            area: text("area")?,
            station,
            code,
            ring,
        });
    }
    if grids.is_empty() {
        return Err(err(path, "no grids"));
    }
    Ok((grids, weights))
}

fn load_categories(
    path: &Path,
    text: &str,
    scheme: &Scheme,
) -> Result<(Vec<CategorySpec>, DeadlinePolicy), ScenarioError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Row {
        code: String,
        name_zh: String,
        name_en: String,
        kind: String,
        forces: Vec<String>,
        priority: String,
        #[serde(default)]
        working_hours: bool,
        #[serde(default)]
        tags: Vec<String>,
        weight: f64,
        #[serde(default)]
        deadlines: BTreeMap<String, String>,
        /// Per force, the skills whoever goes must have.
        #[serde(default)]
        skills: BTreeMap<String, Vec<String>>,
        #[serde(default)]
        auto_dispatch: bool,
        /// `exact` or `approximate`: listed on Open311 without a key.
        #[serde(default)]
        public: String,
        /// Time on scene (the simulator's).
        on_scene: Option<OnSceneRow>,
        /// A leg after the scene (the simulator's).
        transport: Option<TransportRow>,
    }
    #[derive(Deserialize)]
    struct File {
        category: Vec<Row>,
    }
    let f: File = toml::from_str(text).map_err(|e| err(path, e.to_string()))?;
    let mut policy = DeadlinePolicy::default();
    let mut out: Vec<CategorySpec> = vec![];
    for r in f.category {
        let at = |m: String| err(path, format!("category {}: {m}", r.code));
        let code = scheme.category_code(&r.code).map_err(|e| at(e.0))?;
        let forces = r
            .forces
            .iter()
            .map(|s| scheme.force(s).ok_or_else(|| at(scheme.unknown_force(s))))
            .collect::<Result<Vec<_>, _>>()?;
        if forces.is_empty() {
            return Err(at("needs at least one force".into()));
        }
        let mut skills = vec![];
        for (f, list) in &r.skills {
            let force = scheme.force(f).ok_or_else(|| at(format!("skills: {}", scheme.unknown_force(f))))?;
            if !forces.contains(&force) {
                return Err(at(format!("skills: {f} is not among the category's forces")));
            }
            for s in list {
                if s.is_empty() || s.contains([',', ':', ';']) {
                    return Err(at(format!("skills: bad skill name {s:?}")));
                }
                skills.push((force, s.clone()));
            }
        }
        let priority = Priority::parse(&r.priority).ok_or_else(|| at(format!("unknown priority {:?}", r.priority)))?;
        let kind = match r.kind.as_str() {
            "event" => CategoryKind::Event,
            "component" => CategoryKind::Component,
            k => return Err(at(format!("kind must be event or component, got {k:?}"))),
        };
        if !(r.weight >= 0.0 && r.weight.is_finite()) {
            return Err(at("weight must be zero or more".into()));
        }
        let chain = parse_overrides(&r.deadlines).map_err(at)?;
        if !chain.0.is_empty() {
            policy.by_category.insert(code.clone(), chain.clone());
        }
        if r.working_hours {
            policy.working_hours_categories.insert(code.clone());
        }
        if out.iter().any(|c| c.category.code == code) {
            return Err(at("appears twice".into()));
        }
        let on_scene = match &r.on_scene {
            Some(o) => OnScene::parse(o).map_err(at)?,
            None => OnScene::default_for(&r.tags),
        };
        let transport = match &r.transport {
            None => None,
            Some(t) => {
                if !(0.0..=1.0).contains(&t.share) {
                    return Err(at("transport: share must be between 0 and 1".into()));
                }
                let handover = parse_duration(&t.handover).map_err(|e| at(format!("transport.handover: {}", e.0)))?;
                let to = match &t.to {
                    TransportTo::Places(list) if !list.is_empty() => list
                        .iter()
                        .map(|p| LatLng::new(p[0], p[1]).map_err(|e| at(format!("transport.to: {e}"))))
                        .collect::<Result<Vec<_>, _>>()?,
                    // Filled with the stations once they are known (`fill_transport`).
                    TransportTo::Named(n) if n == "station" => vec![],
                    other => {
                        return Err(at(format!(
                            "transport.to must be \"station\" or a list of [lat, lng] places, got {other:?}"
                        )))
                    }
                };
                Some(Transport { share: t.share, to, handover_seconds: handover.num_milliseconds() as f64 / 1000.0 })
            }
        };
        out.push(CategorySpec {
            on_scene,
            transport,
            category: Category {
                code,
                name_zh: r.name_zh,
                name_en: r.name_en,
                kind,
                forces,
                default_priority: priority,
                working_hours: r.working_hours,
                tags: r.tags,
                deadlines: chain,
                skills,
                auto_dispatch: r.auto_dispatch,
                public: domain::category::Publicity::parse(&r.public)
                    .filter(|p| r.public.is_empty() || p.is_public())
                    .ok_or_else(|| at(format!("public must be \"exact\" or \"approximate\", got {:?}", r.public)))?,
            },
            weight: r.weight,
        });
    }
    policy.validate().map_err(|e| err(path, e.0))?;
    Ok((out, policy))
}

/// Reads `{accept = "1m", close = "72h", …}` as overrides of the promise chain.
pub fn parse_overrides(m: &BTreeMap<String, String>) -> Result<ChainOverride, String> {
    let mut o = ChainOverride::default();
    for (k, v) in m {
        let p = Promise::ALL
            .into_iter()
            .find(|p| p.as_str() == k)
            .ok_or_else(|| format!("unknown deadline {k:?} (accept, dispatch, on_site, first_feedback, close)"))?;
        o.0.insert(p, parse_duration(v).map_err(|e| e.0)?);
    }
    Ok(o)
}

fn load_responders(
    path: &Path,
    text: &str,
    stations: &[Station],
    grids: &[Grid],
    scheme: &Scheme,
) -> Result<Vec<Responder>, ScenarioError> {
    let mut lines = text.lines().enumerate();
    let header = lines.next().map(|(_, l)| l).unwrap_or_default();
    const HEADER: &str = "name,force,station,grid,travel_mode,skills,shift";
    if header.trim() != HEADER {
        return Err(err(path, format!("line 1: header must be {HEADER}")));
    }
    let mut out = vec![];
    for (i, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let at = |m: String| err(path, format!("line {}: {m}", i + 1));
        let f: Vec<&str> = line.split(',').map(str::trim).collect();
        if f.len() != 7 {
            return Err(at(format!("expected 7 fields, found {}", f.len())));
        }
        let force = scheme.force(f[1]).ok_or_else(|| at(scheme.unknown_force(f[1])))?;
        if !stations.iter().any(|s| s.code == f[2]) {
            return Err(at(format!("unknown station {:?}", f[2])));
        }
        if !f[3].is_empty() && !grids.iter().any(|g| g.code.as_str() == f[3]) {
            return Err(at(format!("unknown grid {:?}", f[3])));
        }
        if !matches!(f[4], "foot" | "ebike" | "car") {
            return Err(at(format!("travel mode must be foot, ebike or car, got {:?}", f[4])));
        }
        if !matches!(f[6], "day" | "night" | "all") {
            return Err(at(format!("shift must be day, night or all, got {:?}", f[6])));
        }
        // Start at the home grid's centre, or the station.
        let home = if f[3].is_empty() {
            stations.iter().find(|s| s.code == f[2]).map(|s| (s.lat, s.lng))
        } else {
            grids.iter().find(|g| g.code.as_str() == f[3]).and_then(|g| Polygon::new(g.ring.clone())).map(|p| {
                let c = p.centroid();
                (c.lat(), c.lng())
            })
        };
        out.push(Responder {
            id: out.len() as i64 + 1,
            name: f[0].to_owned(),
            force,
            station: f[2].to_owned(),
            grid: (!f[3].is_empty()).then(|| f[3].to_owned()),
            travel_mode: f[4].to_owned(),
            skills: f[5].split(';').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
            shift: f[6].to_owned(),
            status: "off_duty".into(),
            lat: home.map(|h| h.0),
            lng: home.map(|h| h.1),
            position_at: None,
            user_id: None,
        });
    }
    Ok(out)
}

/// A transport leg `to = "station"` goes to the nearest station.
fn fill_transport(categories: &mut [CategorySpec], stations: &[Station]) {
    for c in categories.iter_mut() {
        if let Some(t) = c.transport.as_mut().filter(|t| t.to.is_empty()) {
            t.to = stations
                .iter()
                .filter(|s| s.kind == "station")
                .filter_map(|s| LatLng::new(s.lat, s.lng).ok())
                .collect();
        }
    }
}

/// Every category's calls can be served: each force it names has someone on the roster, with
/// the skills it asks of that force.
fn check_served(path: &Path, categories: &[CategorySpec], responders: &[Responder]) -> Result<(), ScenarioError> {
    for c in categories {
        for force in &c.category.forces {
            let skills: Vec<&String> = c.category.skills.iter().filter(|(f, _)| f == force).map(|(_, s)| s).collect();
            let able = responders.iter().any(|r| r.force == *force && skills.iter().all(|s| r.skills.contains(s)));
            if !able {
                return Err(err(
                    path,
                    format!(
                        "category {}: nobody on the roster serves it: no responder of force {}{}",
                        c.category.code,
                        force.as_str(),
                        if skills.is_empty() { String::new() } else { format!(" with {:?}", skills) }
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn load_demand(
    path: &Path,
    text: &str,
    categories: &[CategorySpec],
    stations: &[Station],
    grids: &[Grid],
) -> Result<Demand, ScenarioError> {
    let d: Demand = toml::from_str(text).map_err(|e| err(path, e.to_string()))?;
    // Weights name a station, an area or disputes at a station that exist.
    for (k, w) in &d.weights {
        let known = match k.split_once('_') {
            Some(("station", code)) => stations.iter().any(|s| s.code == code),
            Some(("area", area)) => grids.iter().any(|g| g.area == area),
            _ => k.strip_prefix("dispute_at_").is_some_and(|code| stations.iter().any(|s| s.code == code)),
        };
        if !known {
            return Err(err(
                path,
                format!("[weights]: unknown key {k:?}: use station_<code>, area_<area> or dispute_at_<code> of this scenario"),
            ));
        }
        if !(w.is_finite() && *w >= 0.0) {
            return Err(err(path, format!("[weights]: {k} must be a number, not negative")));
        }
    }
    if d.hourly_profile.len() != 24 || d.hourly_profile.iter().any(|v| !(v.is_finite() && *v >= 0.0)) {
        return Err(err(path, "hourly_profile needs 24 values, none negative"));
    }
    if !(d.cases_per_day > 0.0) {
        return Err(err(path, "cases_per_day must be positive"));
    }
    for (name, s) in &d.history.streams {
        if s.source != "mixed" && domain::case::Source::parse(&s.source).is_none() {
            return Err(err(path, format!("history stream {name}: unknown source {:?}", s.source)));
        }
        match &s.categories {
            StreamCategories::List(l) => {
                for c in l {
                    if !categories.iter().any(|k| k.category.code.as_str() == c) {
                        return Err(err(path, format!("history stream {name}: unknown category {c:?}")));
                    }
                }
            }
            StreamCategories::Weighted(w) if w == "weighted" => {}
            StreamCategories::Weighted(w) => {
                return Err(err(
                    path,
                    format!("history stream {name}: categories must be a list or \"weighted\", got {w:?}"),
                ))
            }
        }
    }
    for k in d.sources.keys() {
        if domain::case::Source::parse(k).is_none() {
            return Err(err(path, format!("[sources]: unknown source {k:?}")));
        }
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn linjiang() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/linjiang")
    }

    #[test]
    fn linjiang_loads_with_the_source_figures() {
        let s = load(&linjiang()).unwrap();
        assert_eq!(s.stations.iter().filter(|s| s.kind == "station").count(), 5);
        assert_eq!(s.stations.iter().filter(|s| s.kind == "centre").count(), 1);
        assert_eq!(s.parks.len(), 3);
        let main: f64 =
            s.grids.iter().filter(|g| g.area == "main").map(|g| Polygon::new(g.ring.clone()).unwrap().area_km2()).sum();
        let enclave: f64 = s
            .grids
            .iter()
            .filter(|g| g.area == "enclave")
            .map(|g| Polygon::new(g.ring.clone()).unwrap().area_km2())
            .sum();
        assert!((main - 44.1).abs() < 1.0, "main area {main} km²");
        assert!((enclave - 105.0).abs() < 2.0, "enclave {enclave} km²");
        // Every grid's centre is located in that grid.
        let area = s.served_area();
        for g in &s.grids {
            let c = Polygon::new(g.ring.clone()).unwrap().centroid();
            assert_eq!(area.locate(&c), Some(&g.code));
        }
        assert!(area.locate(&LatLng::new(30.0, 120.0).unwrap()).is_none());
        assert!(s.responders.len() > 150);
        assert!(s.categories.len() >= 20);
    }

    fn broken_copy(file: &str, from: &str, to: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("civicgrid-scenario-{}-{file}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for f in ["stations.json", "grids.geojson", "categories.toml", "responders.csv", "demand.toml", "settings.toml"]
        {
            if !linjiang().join(f).exists() {
                continue;
            }
            let text = std::fs::read_to_string(linjiang().join(f)).unwrap();
            let text = if f == file { text.replacen(from, to, 1) } else { text };
            std::fs::write(dir.join(f), text).unwrap();
        }
        dir
    }

    #[test]
    fn mistakes_name_the_file_and_place() {
        let cases = [
            ("responders.csv", ",police,S1,", ",policeman,S1,", "responders.csv: line 2: unknown force"),
            ("responders.csv", ",police,S1,", ",police,S9,", "line 2: unknown station"),
            (
                "categories.toml",
                "forces = [\"city_management\", \"grid_worker\"]",
                "forces = [\"army\"]",
                "category SJ0101: unknown force",
            ),
            ("categories.toml", "close = \"72h\"", "close = \"72x\"", "category SJ0101: not a duration"),
            ("categories.toml", "close = \"72h\"", "close = \"30s\"", "categories.toml"),
            (
                "categories.toml",
                "skills = { mediator = [\"labour_law\"] }",
                "skills = { police = [\"labour_law\"] }",
                "category SJ1002: skills: police is not among",
            ),
            ("grids.geojson", "\"station\": \"S2\"", "\"station\": \"S7\"", "unknown station S7"),
            ("stations.json", "\"kind\": \"centre\"", "\"kind\": \"castle\"", "kind must be centre or station"),
            ("demand.toml", "cases_per_day = 400", "cases_per_day = \"many\"", "demand.toml"),
            (
                "demand.toml",
                "cases_per_day = 400",
                "cases_per_day = 400\nurgent_share = 0.1",
                "unknown field `urgent_share`",
            ),
            ("demand.toml", "station_S1 = 2.5", "station_S9 = 2.5", "[weights]: unknown key \"station_S9\""),
            ("demand.toml", "area_enclave = 0.25", "area_moon = 0.25", "unknown key \"area_moon\""),
            ("demand.toml", "station_S1 = 2.5", "station_S1 = -1", "station_S1 must be a number, not negative"),
            (
                "categories.toml",
                "skills = { mediator = [\"labour_law\"] }",
                "skills = { mediator = [\"maritime_law\"] }",
                "category SJ1002: nobody on the roster serves it: no responder of force mediator with",
            ),
            ("stations.json", "{", "[", "line 2, column 7"),
            (
                "grids.geojson",
                "\"area\": \"main\"",
                "\"area\": \"main\", \"weight\": -2",
                "property \"weight\" must be",
            ),
            (
                "categories.toml",
                "deadlines = { close = \"72h\" }",
                "on_scene = { distribution = \"gamma\", mean = \"20m\" }",
                "category SJ0101: on_scene: distribution must be",
            ),
            (
                "categories.toml",
                "deadlines = { close = \"72h\" }",
                "on_scene = { distribution = \"uniform\", min = \"10m\", max = \"20m\", sd = \"1m\" }",
                "on_scene: sd is not read by \"uniform\"",
            ),
            (
                "categories.toml",
                "deadlines = { close = \"72h\" }",
                "on_scene = { distribution = \"lognormal\", mean = \"20m\" }",
                "on_scene: \"lognormal\" needs sd",
            ),
            (
                "categories.toml",
                "deadlines = { close = \"72h\" }",
                "transport = { share = 0.5, to = \"hospital\", handover = \"10m\" }",
                "transport.to must be \"station\" or a list",
            ),
            (
                "categories.toml",
                "deadlines = { close = \"72h\" }",
                "transport = { share = 1.5, to = \"station\", handover = \"10m\" }",
                "transport: share must be between 0 and 1",
            ),
            (
                "categories.toml",
                "deadlines = { close = \"72h\" }",
                "on_scene_minutes = 20",
                "unknown field `on_scene_minutes`",
            ),
        ];
        for (file, from, to, expect) in cases {
            let dir = broken_copy(file, from, to);
            let e = load(&dir).expect_err(expect).to_string();
            assert!(e.contains(file) && e.contains(expect), "{e}");
            std::fs::remove_dir_all(dir).unwrap();
        }
    }

    /// A city brought in with its own settings, grid weights, times on scene and a transport
    /// leg: each one read as written.
    #[test]
    fn settings_grid_weights_on_scene_and_transport_are_read() {
        let dir = broken_copy(
            "categories.toml",
            "deadlines = { close = \"72h\" }",
            "deadlines = { close = \"72h\" }\non_scene = { distribution = \"lognormal\", mean = \"40m\", sd = \"15m\" }\ntransport = { share = 0.3, to = \"station\", handover = \"10m\" }",
        );
        let grids = std::fs::read_to_string(dir.join("grids.geojson")).unwrap();
        std::fs::write(
            dir.join("grids.geojson"),
            grids.replacen("\"area\": \"main\"", "\"area\": \"main\", \"weight\": 4", 1),
        )
        .unwrap();
        std::fs::write(
            dir.join("settings.toml"),
            "[dispatch]\ndecision = \"2m\"\nauto_decision = \"5s\"\nsend_on_the_way_home = false\n\n[travel]\nsetoff = \"30s\"\ncar_kmh = 36\noff_road_car_kmh = 9\nrush_hours = [6, 7]\nrush_hour_car_factor = 0.5\n",
        )
        .unwrap();
        let s = load(&dir).unwrap();
        let c = s.categories.iter().find(|c| c.category.code.as_str() == "SJ0101").unwrap();
        assert_eq!(c.on_scene, OnScene::LogNormal { mean: 2400.0, sd: 900.0 });
        let t = c.transport.as_ref().unwrap();
        assert_eq!((t.share, t.handover_seconds, t.to.len()), (0.3, 600.0, 5));
        // Without on_scene: 25 minutes ± half.
        let other = s.categories.iter().find(|c| c.category.code.as_str() == "SJ0102").unwrap();
        assert_eq!(other.on_scene, OnScene::Uniform { min: 750.0, max: 2250.0 });
        // The first grid (station S1, weight 2.5 there) weighs 4 × 2.5.
        assert_eq!(s.grid_weights[0], 10.0);
        let st = &s.settings;
        assert_eq!((st.decision_seconds, st.auto_decision_seconds, st.en_route), (120.0, 5.0, false));
        assert_eq!(st.travel.setoff_seconds, 30.0);
        assert!((st.travel.car_metres_per_second - 10.0).abs() < 1e-9);
        assert!((st.travel.off_road_car_metres_per_second - 2.5).abs() < 1e-9);
        assert!(st.travel.is_rush_hour(6) && st.travel.is_rush_hour(7) && !st.travel.is_rush_hour(8));
        // A key nobody reads fails loudly.
        std::fs::write(dir.join("settings.toml"), "[travel]\nbus_kmh = 20\n").unwrap();
        let e = load(&dir).unwrap_err().to_string();
        assert!(e.contains("settings.toml") && e.contains("unknown field `bus_kmh`"), "{e}");
        std::fs::write(dir.join("settings.toml"), "[travel]\nrush_hours = [25]\n").unwrap();
        assert!(load(&dir).unwrap_err().to_string().contains("no hour 25"));
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// A city with its own codes and force: the dense scenario (census tracts, `EMS-A`, an
    /// ambulance service) loads as written; each mistake of the scheme fails loudly.
    #[test]
    fn a_city_brings_its_own_codes_and_forces() {
        let dense = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/dense-one-force");
        let s = load(&dense).unwrap();
        let ambulance = Force::local("ambulance").unwrap();
        assert_eq!(s.settings.scheme, Scheme { local_codes: true, forces: vec![ambulance] });
        assert!(!s.settings.scheme.is_national());
        assert_eq!(s.grids[0].code.as_str(), "tract-1-1");
        assert_eq!(s.categories[0].category.code.as_str(), "EMS-A");
        assert_eq!(s.categories[0].category.forces, vec![ambulance]);
        assert!(s.responders.iter().all(|r| r.force == ambulance) && s.responders.len() == 16);
        assert!(load(&linjiang()).unwrap().settings.scheme.is_national());

        let copy = |settings: &str| {
            let dir = std::env::temp_dir().join(format!("cg-scheme-{}", rand_suffix()));
            std::fs::create_dir_all(&dir).unwrap();
            for f in [STATIONS, GRIDS, CATEGORIES, RESPONDERS, DEMAND] {
                std::fs::copy(dense.join(f), dir.join(f)).unwrap();
            }
            std::fs::write(dir.join(SETTINGS), settings).unwrap();
            let e = load(&dir).map(|_| ()).unwrap_err().to_string();
            std::fs::remove_dir_all(dir).unwrap();
            e
        };
        // Without the scheme the city's codes and force are mistakes, named where they are.
        let e = copy("");
        assert!(e.contains("grids.geojson") && e.contains("grid code must be 15 digits, got \"tract-1-1\""), "{e}");
        let e = copy("[scheme]\ncodes = \"local\"\n");
        assert!(e.contains("categories.toml") && e.contains("unknown force \"ambulance\""), "{e}");
        assert!(e.contains("declare it in settings.toml [scheme] forces"), "{e}");
        let e = copy("[scheme]\nforces = [\"ambulance\"]\n");
        assert!(e.contains("grid code must be 15 digits"), "{e}");
        let e = copy("[scheme]\ncodes = \"own\"\n");
        assert!(e.contains("[scheme] codes must be \"national\" or \"local\""), "{e}");
        let e = copy("[scheme]\ncodes = \"local\"\nforces = [\"police\"]\n");
        assert!(e.contains("one of the street's forces already"), "{e}");
        let e = copy("[scheme]\ncodes = \"local\"\nforces = [\"Ambulance Service\"]\n");
        assert!(e.contains("lower-case letters"), "{e}");
        let e = copy("[scheme]\ncodes = \"local\"\nforces = [\"ambulance\", \"ambulance\"]\n");
        assert!(e.contains("appears twice"), "{e}");
        let e = copy("[scheme]\ncodes = \"local\"\nforces = [\"ambulance\"]\nnames = 1\n");
        assert!(e.contains("unknown field `names`"), "{e}");
        assert!(GridCode::local("tract 1").is_err() && CategoryCode::local(&"x".repeat(33)).is_err());
    }

    fn rand_suffix() -> String {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        format!("{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed))
    }
}
