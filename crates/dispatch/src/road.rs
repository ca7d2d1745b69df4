//! The road graph: travel times along real (or scenario) roads.
//!
//! Built once from ways (an OpenStreetMap extract through [`crate::osm`], or a scenario's
//! `roads.geojson`), then contracted twice with contraction hierarchies (`fast_paths`): one
//! graph weighted by length for people on foot or e-bike (both directions of every road but
//! motorways), one weighted by car time (one-way streets respected). A query snaps both ends
//! to their nearest nodes (R-tree), adds the straight-line stretch off the road at the mode's
//! access speed, and asks the hierarchy — a few microseconds on a city-size graph.
//!
//! Saved as one file (`civicgrid import-osm --out`): a header line and the bincode of
//! [`RoadFile`].

use crate::{Route, Travel, TravelMode, TravelModel};
use domain::geo::LatLng;
use fast_paths::{FastGraph, InputGraph, PathCalculator};
use rstar::primitives::GeomWithData;
use rstar::RTree;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

const MAGIC: &[u8] = b"CIVICGRID-ROADS 1\n";
/// Speed off the road, to and from the nearest node, by car (parking, lanes, gates).
const CAR_ACCESS_METRES_PER_SECOND: f64 = 5.0;
/// Cars make this share of the posted speed on average (junctions, lights).
const CAR_SPEED_SHARE: f64 = 0.8;
/// Nodes tried at each end of a query, so a one-way street or a dead end next to the site does
/// not force a detour.
const SNAP_CANDIDATES: usize = 3;
/// How much farther than the nearest node another snapped node may be.
const SNAP_SLACK_METRES: f64 = 60.0;
/// The weight of padding edges: far above any real route, far below overflow.
const UNREACHABLE: usize = 1_000_000_000;

/// A road class and what it allows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RoadClass {
    /// Posted speed in km/h when the way gives none.
    pub kmh: f64,
    pub cars: bool,
    /// Walking and e-bikes.
    pub slow: bool,
    /// One way by default (motorways, roundabouts are tagged explicitly).
    pub oneway: bool,
}

/// The classes of OSM's `highway=*` that carry traffic; anything else is not a road.
pub fn road_class(highway: &str) -> Option<RoadClass> {
    let c = |kmh, cars, slow, oneway| Some(RoadClass { kmh, cars, slow, oneway });
    match highway {
        "motorway" => c(100.0, true, false, true),
        "motorway_link" => c(60.0, true, false, true),
        "trunk" => c(80.0, true, true, false),
        "trunk_link" => c(50.0, true, true, false),
        "primary" => c(60.0, true, true, false),
        "primary_link" => c(40.0, true, true, false),
        "secondary" | "secondary_link" => c(50.0, true, true, false),
        "tertiary" | "tertiary_link" => c(40.0, true, true, false),
        "unclassified" => c(30.0, true, true, false),
        "residential" => c(25.0, true, true, false),
        "living_street" => c(10.0, true, true, false),
        "service" | "track" => c(15.0, true, true, false),
        "pedestrian" | "footway" | "path" | "cycleway" | "steps" | "bridleway" => c(5.0, false, true, false),
        _ => None,
    }
}

/// One way of the source, as node indices into the builder's nodes.
#[derive(Debug, Clone)]
pub struct Way {
    pub nodes: Vec<u32>,
    pub class: RoadClass,
    /// km/h from `maxspeed`, when given.
    pub maxspeed: Option<f64>,
    /// `Some(true)`: one way along the nodes; `Some(false)`: both ways; `None`: the class's.
    pub oneway: Option<bool>,
    /// `oneway=-1`: one way against the nodes.
    pub reverse: bool,
}

/// Parses OSM's `maxspeed` (`50`, `50 km/h`, `30 mph`); anything else is ignored.
pub fn parse_maxspeed(v: &str) -> Option<f64> {
    let v = v.trim();
    let (num, factor) = match v.strip_suffix("mph") {
        Some(n) => (n.trim(), 1.609),
        None => (v.strip_suffix("km/h").unwrap_or(v).trim(), 1.0),
    };
    num.parse::<f64>().ok().filter(|s| *s > 0.0 && *s < 200.0).map(|s| s * factor)
}

/// Parses OSM's `oneway`: (one way, against the nodes).
pub fn parse_oneway(v: &str) -> Option<(bool, bool)> {
    match v {
        "yes" | "true" | "1" => Some((true, false)),
        "-1" | "reverse" => Some((true, true)),
        "no" | "false" | "0" => Some((false, false)),
        _ => None,
    }
}

/// The saved graph.
#[derive(Serialize, Deserialize)]
pub struct RoadFile {
    /// `[lat, lng]` per node.
    pub nodes: Vec<[f64; 2]>,
    /// Adjacency (both directions, any mode): `first_out[n]..first_out[n + 1]` into `out`.
    pub first_out: Vec<u32>,
    /// `(to, metres)`.
    pub out: Vec<(u32, f32)>,
    /// Length in decimetres; people on foot and e-bikes.
    pub slow: FastGraph,
    /// Car time in deciseconds.
    pub car: FastGraph,
    /// The fastest car speed anywhere on the graph (metres per second), for lower bounds.
    pub car_max_metres_per_second: f64,
}

/// Ways failed to make a graph.
#[derive(Debug, thiserror::Error)]
pub enum RoadError {
    #[error("{file}: {message}")]
    File { file: String, message: String },
}

pub(crate) fn file_error(file: &Path, message: impl Into<String>) -> RoadError {
    RoadError::File { file: file.display().to_string(), message: message.into() }
}

/// A road graph ready for queries.
pub struct RoadGraph {
    file: RoadFile,
    tree: RTree<GeomWithData<[f64; 2], u32>>,
    /// Calculators are big (two arrays the size of the graph); queries borrow one.
    calculators: Mutex<Vec<(PathCalculator, PathCalculator)>>,
    /// Speeds of people, set-off time and rush hours; the fallback for points the roads
    /// do not join.
    pub model: TravelModel,
}

/// Sizes, for the import's summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoadStats {
    pub nodes: usize,
    pub edges: usize,
}

fn planar(lat: f64, lng: f64) -> [f64; 2] {
    // Equirectangular metres around 30°N scaled by the node's own latitude: good enough to find
    // the nearest nodes, which are then measured properly.
    [lng * 111_320.0 * lat.to_radians().cos(), lat * 110_574.0]
}

fn metres(a: [f64; 2], b: [f64; 2]) -> f64 {
    LatLng::new(a[0], a[1]).expect("valid").distance_metres(&LatLng::new(b[0], b[1]).expect("valid"))
}

/// One direction of one road segment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DirectedEdge {
    pub from: u32,
    pub to: u32,
    pub metres: f64,
    /// Driving time, when cars may use it in this direction.
    pub car_seconds: Option<f64>,
    /// Walking and e-bikes may use it.
    pub slow: bool,
}

impl DirectedEdge {
    /// Weight in the walking graph: decimetres.
    pub fn slow_weight(&self) -> usize {
        (self.metres * 10.0).ceil().max(1.0) as usize
    }
    /// Weight in the car graph: deciseconds.
    pub fn car_weight(&self) -> Option<usize> {
        self.car_seconds.map(|s| (s * 10.0).ceil().max(1.0) as usize)
    }
}

/// The directed edges of `ways`, as the graph uses them.
pub fn directed_edges(nodes: &[[f64; 2]], ways: &[Way]) -> Vec<DirectedEdge> {
    let mut edges = vec![];
    for w in ways {
        let oneway = w.oneway.unwrap_or(w.class.oneway);
        let kmh = w.maxspeed.unwrap_or(w.class.kmh);
        for pair in w.nodes.windows(2) {
            let (from, to) = if w.reverse { (pair[1], pair[0]) } else { (pair[0], pair[1]) };
            if from == to {
                continue;
            }
            let metres = metres(nodes[from as usize], nodes[to as usize]);
            let car_seconds = w.class.cars.then(|| metres / (kmh / 3.6 * CAR_SPEED_SHARE));
            let slow = w.class.slow;
            edges.push(DirectedEdge { from, to, metres, car_seconds, slow });
            let back = DirectedEdge { from: to, to: from, ..edges[edges.len() - 1] };
            if !oneway {
                edges.push(back);
            } else if slow {
                // People walk and ride both ways along a one-way street.
                edges.push(DirectedEdge { car_seconds: None, ..back });
            }
        }
    }
    edges
}

/// Builds the graph from nodes (`[lat, lng]`) and ways. Keeps the largest connected part, so
/// no site snaps to an island; `stage` is told when the slow contraction steps begin.
pub fn build(nodes: &[[f64; 2]], ways: &[Way], stage: &mut dyn FnMut(&str)) -> Result<RoadFile, String> {
    let edges = directed_edges(nodes, ways);
    if edges.is_empty() {
        return Err("no roads: no way with a highway tag of a road class".into());
    }
    // Largest connected part, ignoring direction (union-find).
    let mut parent: Vec<u32> = (0..nodes.len() as u32).collect();
    fn find(p: &mut [u32], mut x: u32) -> u32 {
        while p[x as usize] != x {
            p[x as usize] = p[p[x as usize] as usize];
            x = p[x as usize];
        }
        x
    }
    for e in &edges {
        let (ra, rb) = (find(&mut parent, e.from), find(&mut parent, e.to));
        if ra != rb {
            parent[ra as usize] = rb;
        }
    }
    let mut size: HashMap<u32, usize> = HashMap::new();
    for e in &edges {
        *size.entry(find(&mut parent, e.from)).or_default() += 1;
    }
    let main = size.iter().max_by_key(|(r, n)| (**n, std::cmp::Reverse(**r))).map(|(r, _)| *r).expect("edges");
    // Renumber the nodes of the main part densely.
    let mut index = vec![u32::MAX; nodes.len()];
    let mut kept: Vec<[f64; 2]> = vec![];
    for e in &edges {
        for n in [e.from, e.to] {
            if index[n as usize] == u32::MAX && find(&mut parent, n) == main {
                index[n as usize] = kept.len() as u32;
                kept.push(nodes[n as usize]);
            }
        }
    }
    let edges: Vec<DirectedEdge> = edges
        .into_iter()
        .filter(|e| index[e.from as usize] != u32::MAX)
        .map(|e| DirectedEdge { from: index[e.from as usize], to: index[e.to as usize], ..e })
        .collect();
    let n = kept.len();
    let mut slow = InputGraph::new();
    let mut car = InputGraph::new();
    let mut car_max: f64 = CAR_ACCESS_METRES_PER_SECOND;
    // The largest node id each graph has seen.
    let (mut slow_top, mut car_top) = (0, 0);
    for e in &edges {
        let top = e.from.max(e.to) as usize;
        if e.slow {
            slow.add_edge(e.from as usize, e.to as usize, e.slow_weight());
            slow_top = slow_top.max(top);
        }
        if let (Some(w), Some(secs)) = (e.car_weight(), e.car_seconds) {
            car.add_edge(e.from as usize, e.to as usize, w);
            car_max = car_max.max(e.metres / secs);
            car_top = car_top.max(top);
        }
    }
    // Both hierarchies must know every node (fast_paths counts the largest id plus one), even
    // one only walkers or only cars reach: an edge of a weight no real route comes near.
    for (g, top) in [(&mut slow, slow_top), (&mut car, car_top)] {
        if top + 1 < n {
            g.add_edge(n - 1, n - 2, UNREACHABLE);
        }
        g.freeze();
    }
    let mut adjacency: Vec<Vec<(u32, f32)>> = vec![vec![]; n];
    for e in &edges {
        let list = &mut adjacency[e.from as usize];
        match list.iter_mut().find(|x| x.0 == e.to) {
            Some(x) => x.1 = x.1.min(e.metres as f32),
            None => list.push((e.to, e.metres as f32)),
        }
    }
    let mut first_out = Vec::with_capacity(n + 1);
    let mut out = vec![];
    for list in adjacency {
        first_out.push(out.len() as u32);
        out.extend(list);
    }
    first_out.push(out.len() as u32);
    stage("contracting the walking and e-bike graph");
    let slow = fast_paths::prepare(&slow);
    stage("contracting the car graph");
    let car = fast_paths::prepare(&car);
    Ok(RoadFile { nodes: kept, first_out, out, slow, car, car_max_metres_per_second: car_max })
}

impl RoadGraph {
    pub fn new(file: RoadFile, model: TravelModel) -> Self {
        let tree = RTree::bulk_load(
            file.nodes.iter().enumerate().map(|(i, p)| GeomWithData::new(planar(p[0], p[1]), i as u32)).collect(),
        );
        Self { file, tree, calculators: Mutex::new(vec![]), model }
    }

    pub fn stats(&self) -> RoadStats {
        RoadStats { nodes: self.file.nodes.len(), edges: self.file.out.len() }
    }

    /// Writes the graph to `path`.
    pub fn save(file: &RoadFile, path: &Path) -> Result<(), RoadError> {
        let mut bytes = MAGIC.to_vec();
        bincode::serialize_into(&mut bytes, file).map_err(|e| file_error(path, e.to_string()))?;
        std::fs::write(path, bytes).map_err(|e| file_error(path, e.to_string()))
    }

    /// Reads a graph written by [`RoadGraph::save`], or builds one from a `.geojson` of roads.
    pub fn load(path: &Path, model: TravelModel) -> Result<Self, RoadError> {
        let bytes = std::fs::read(path).map_err(|e| file_error(path, e.to_string()))?;
        let file = if path.extension().is_some_and(|e| e == "geojson" || e == "json") {
            let text = std::str::from_utf8(&bytes).map_err(|e| file_error(path, e.to_string()))?;
            let (nodes, ways) = crate::osm::geojson_ways(text).map_err(|e| file_error(path, e))?;
            build(&nodes, &ways, &mut |_| {}).map_err(|e| file_error(path, e))?
        } else {
            let body = bytes
                .strip_prefix(MAGIC)
                .ok_or_else(|| file_error(path, "not a civicgrid road graph (made by `civicgrid import-osm`)"))?;
            let file: RoadFile =
                bincode::deserialize(body).map_err(|e| file_error(path, format!("damaged road graph: {e}")))?;
            let n = file.nodes.len();
            if file.first_out.len() != n + 1
                || file.slow.get_num_nodes() != n
                || file.car.get_num_nodes() != n
                || file.out.iter().any(|(to, _)| *to as usize >= n)
            {
                return Err(file_error(path, "damaged road graph: its parts do not agree in size"));
            }
            file
        };
        Ok(Self::new(file, model))
    }

    /// The nearest nodes to `p` with their straight-line distance: the nearest, and others
    /// hardly farther (so nobody "drives" across fields to skip a one-way street).
    fn snap(&self, p: &LatLng) -> Vec<(usize, f64)> {
        let mut out: Vec<(usize, f64)> = self
            .tree
            .nearest_neighbor_iter(&planar(p.lat(), p.lng()))
            .take(SNAP_CANDIDATES)
            .map(|g| {
                let n = self.file.nodes[g.data as usize];
                (g.data as usize, metres([p.lat(), p.lng()], n))
            })
            .collect();
        let nearest = out.iter().map(|x| x.1).fold(f64::INFINITY, f64::min);
        out.retain(|x| x.1 <= nearest + SNAP_SLACK_METRES);
        out
    }

    fn edge_metres(&self, a: usize, b: usize) -> f64 {
        let range = self.file.first_out[a] as usize..self.file.first_out[a + 1] as usize;
        self.file.out[range].iter().find(|x| x.0 as usize == b).map(|x| x.1 as f64).unwrap_or(0.0)
    }

    /// Shortest path between two nodes by `mode`: (weight in the graph's unit, nodes).
    pub fn node_path(&self, from: usize, to: usize, mode: TravelMode) -> Option<(usize, Vec<usize>)> {
        self.multi_path(vec![(from, 0)], vec![(to, 0)], mode)
    }

    fn multi_path(
        &self,
        starts: Vec<(usize, usize)>,
        ends: Vec<(usize, usize)>,
        mode: TravelMode,
    ) -> Option<(usize, Vec<usize>)> {
        let taken = self.calculators.lock().expect("not poisoned").pop();
        let mut calcs = taken.unwrap_or_else(|| {
            (fast_paths::create_calculator(&self.file.slow), fast_paths::create_calculator(&self.file.car))
        });
        let found = match mode {
            TravelMode::Car => calcs.1.calc_path_multiple_sources_and_targets(&self.file.car, starts, ends),
            _ => calcs.0.calc_path_multiple_sources_and_targets(&self.file.slow, starts, ends),
        };
        self.calculators.lock().expect("not poisoned").push(calcs);
        let p = found?;
        // The padding edge of `build` is never a real route.
        (p.get_weight() < UNREACHABLE).then(|| (p.get_weight(), p.get_nodes().clone()))
    }

    fn slow_speed(&self, mode: TravelMode) -> f64 {
        match mode {
            TravelMode::Foot => self.model.foot_metres_per_second,
            _ => self.model.ebike_metres_per_second,
        }
    }

    fn rush_factor(&self, mode: TravelMode, hour: u32) -> f64 {
        if mode == TravelMode::Car && self.model.is_rush_hour(hour) {
            1.0 / self.model.rush_hour_car_factor
        } else {
            1.0
        }
    }

    /// Travel along the roads, or `None` when the roads do not join the two points.
    pub fn road_route(&self, a: &LatLng, b: &LatLng, mode: TravelMode, hour: u32) -> Option<Route> {
        let (from, to) = (self.snap(a), self.snap(b));
        let access_speed = match mode {
            TravelMode::Car => self.model.off_road_car_metres_per_second,
            _ => self.slow_speed(mode),
        };
        // Access weights in the graph's unit: decimetres walking, deciseconds driving.
        let weight = |m: f64| match mode {
            TravelMode::Car => (m / access_speed * 10.0).ceil() as usize,
            _ => (m * 10.0).ceil() as usize,
        };
        let starts = from.iter().map(|(n, m)| (*n, weight(*m))).collect();
        let ends = to.iter().map(|(n, m)| (*n, weight(*m))).collect();
        let (w, path) = self.multi_path(starts, ends, mode)?;
        let first = *path.first()?;
        let last = *path.last()?;
        let access = from.iter().find(|x| x.0 == first).map(|x| x.1).unwrap_or(0.0);
        let egress = to.iter().find(|x| x.0 == last).map(|x| x.1).unwrap_or(0.0);
        let along: f64 = path.windows(2).map(|p| self.edge_metres(p[0], p[1])).sum();
        let metres = access + along + egress;
        let moving = match mode {
            TravelMode::Car => w as f64 / 10.0 * self.rush_factor(mode, hour),
            _ => metres / self.slow_speed(mode),
        };
        Some(Route { eta_seconds: self.model.setoff_seconds + moving, metres })
    }
}

impl Travel for RoadGraph {
    fn route(&self, a: &LatLng, b: &LatLng, mode: TravelMode, hour: u32) -> Route {
        self.road_route(a, b, mode, hour).unwrap_or_else(|| self.model.route(a, b, mode, hour))
    }

    fn describe(&self) -> &'static str {
        "the roads"
    }

    fn lower_bound_seconds(&self, a: &LatLng, b: &LatLng, mode: TravelMode, hour: u32) -> f64 {
        let top = match mode {
            TravelMode::Car => self
                .file
                .car_max_metres_per_second
                .max(self.model.car_metres_per_second)
                .max(self.model.off_road_car_metres_per_second),
            _ => self.slow_speed(mode),
        };
        // The fallback's straight line × circuity is never below this either.
        self.model.setoff_seconds + a.distance_metres(b) / top * self.rush_factor(mode, hour)
    }
}
