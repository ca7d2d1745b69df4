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

/// One entry of `categories.toml`: the category and its share of demand.
#[derive(Debug, Clone)]
pub struct CategorySpec {
    pub category: Category,
    /// Relative share of general demand.
    pub weight: f64,
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

/// Reads a scenario folder.
pub fn load(dir: &Path) -> Result<Scenario, ScenarioError> {
    parse(dir, &Files::read(dir)?)
}

/// Checks a scenario's files as read (`dir` names them in messages). The fuzz target
/// `scenario_files` drives this.
pub fn parse(dir: &Path, f: &Files) -> Result<Scenario, ScenarioError> {
    let (stations, parks) = load_stations(&dir.join(STATIONS), &f.stations)?;
    let grids = load_grids(&dir.join(GRIDS), &f.grids, &stations)?;
    let (categories, policy) = load_categories(&dir.join(CATEGORIES), &f.categories)?;
    let responders = load_responders(&dir.join(RESPONDERS), &f.responders, &stations, &grids)?;
    let demand = load_demand(&dir.join(DEMAND), &f.demand, &categories, &stations, &grids)?;
    check_served(&dir.join(CATEGORIES), &categories, &responders)?;
    Ok(Scenario { dir: dir.to_owned(), stations, parks, grids, categories, responders, demand, policy })
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

fn load_grids(path: &Path, text: &str, stations: &[Station]) -> Result<Vec<Grid>, ScenarioError> {
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|e| err(path, format!("line {}, column {}: {e}", e.line(), e.column())))?;
    let features = v["features"].as_array().ok_or_else(|| err(path, "not a GeoJSON FeatureCollection"))?;
    let mut grids: Vec<Grid> = vec![];
    for (i, f) in features.iter().enumerate() {
        let at = |m: String| err(path, format!("feature {i}: {m}"));
        let p = &f["properties"];
        let text = |k: &str| p[k].as_str().map(str::to_owned).ok_or_else(|| at(format!("property {k:?} missing")));
        let code = GridCode::parse(&text("code")?).map_err(|e| at(e.0))?;
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
    Ok(grids)
}

fn load_categories(path: &Path, text: &str) -> Result<(Vec<CategorySpec>, DeadlinePolicy), ScenarioError> {
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
        let code = CategoryCode::parse(&r.code).map_err(|e| at(e.0))?;
        let forces = r
            .forces
            .iter()
            .map(|s| Force::parse(s).ok_or_else(|| at(format!("unknown force {s:?}"))))
            .collect::<Result<Vec<_>, _>>()?;
        if forces.is_empty() {
            return Err(at("needs at least one force".into()));
        }
        let mut skills = vec![];
        for (f, list) in &r.skills {
            let force = Force::parse(f).ok_or_else(|| at(format!("skills: unknown force {f:?}")))?;
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
        out.push(CategorySpec {
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
        let force = Force::parse(f[1]).ok_or_else(|| at(format!("unknown force {:?}", f[1])))?;
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
        for f in ["stations.json", "grids.geojson", "categories.toml", "responders.csv", "demand.toml"] {
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
        ];
        for (file, from, to, expect) in cases {
            let dir = broken_copy(file, from, to);
            let e = load(&dir).expect_err(expect).to_string();
            assert!(e.contains(file) && e.contains(expect), "{e}");
            std::fs::remove_dir_all(dir).unwrap();
        }
    }
}
