//! Road sources: OpenStreetMap PBF extracts and GeoJSON line files, read into nodes and
//! [`Way`]s for [`crate::road::build`].

use crate::road::{self, file_error, parse_maxspeed, parse_oneway, road_class, RoadError, RoadFile, Way};
use osmpbf::{BlobDecode, BlobReader, Element};
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// How far an import has got.
#[derive(Debug, Clone)]
pub enum Progress {
    /// Bytes of the file read so far, of all.
    Reading { bytes: u64, total: u64 },
    /// A step without a measure of its own.
    Stage(String),
}

/// What an import read and kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub blocks: usize,
    pub nodes_read: usize,
    pub ways_read: usize,
    pub road_ways: usize,
    /// Way references to nodes outside the extract (ways cut at its edge are split there).
    pub missing_refs: usize,
    pub graph_nodes: usize,
    pub graph_edges: usize,
}

/// Counts the bytes read, for the progress bar and for naming where an error is.
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// One way as read, before its node references are resolved.
struct RawWay {
    refs: Vec<i64>,
    highway: String,
    maxspeed: Option<String>,
    oneway: Option<String>,
}

/// Reads an OSM PBF extract and builds the road graph of its roads.
pub fn import_pbf(path: &Path, progress: &mut dyn FnMut(Progress)) -> Result<(RoadFile, ImportSummary), RoadError> {
    let file = std::fs::File::open(path).map_err(|e| file_error(path, e.to_string()))?;
    let total = file.metadata().map(|m| m.len()).unwrap_or(0);
    let count = Arc::new(AtomicU64::new(0));
    let reader = BlobReader::new(Counting { inner: std::io::BufReader::new(file), count: count.clone() });
    let mut coords: HashMap<i64, [f64; 2]> = HashMap::new();
    let mut raw_ways: Vec<RawWay> = vec![];
    let mut summary = ImportSummary::default();
    let mut seen_header = false;
    let mut invalid: Option<String> = None;
    for (i, blob) in reader.enumerate() {
        let at = count.load(Ordering::Relaxed);
        let blob = blob.map_err(|e| file_error(path, format!("block {} (near byte {at}): {e}", i + 1)))?;
        let decoded = blob.decode().map_err(|e| file_error(path, format!("block {} (near byte {at}): {e}", i + 1)))?;
        match decoded {
            BlobDecode::OsmHeader(h) => {
                seen_header = true;
                if let Some(f) =
                    h.required_features().iter().find(|f| !matches!(f.as_str(), "OsmSchema-V0.6" | "DenseNodes"))
                {
                    return Err(file_error(path, format!("block {}: unsupported required feature {f}", i + 1)));
                }
            }
            BlobDecode::OsmData(block) => {
                if !seen_header {
                    return Err(file_error(path, format!("block {}: data before the OSMHeader block", i + 1)));
                }
                summary.blocks += 1;
                block.for_each_element(|el| match el {
                    Element::Node(n) => {
                        summary.nodes_read += 1;
                        let p = [n.lat(), n.lon()];
                        if invalid.is_none() && (!(-90.0..=90.0).contains(&p[0]) || !(-180.0..=180.0).contains(&p[1])) {
                            invalid = Some(format!("block {}: node {} at impossible coordinates {p:?}", i + 1, n.id()));
                        }
                        coords.insert(n.id(), p);
                    }
                    Element::DenseNode(n) => {
                        summary.nodes_read += 1;
                        let p = [n.lat(), n.lon()];
                        if invalid.is_none() && (!(-90.0..=90.0).contains(&p[0]) || !(-180.0..=180.0).contains(&p[1])) {
                            invalid = Some(format!("block {}: node {} at impossible coordinates {p:?}", i + 1, n.id()));
                        }
                        coords.insert(n.id(), p);
                    }
                    Element::Way(w) => {
                        summary.ways_read += 1;
                        let mut highway = None;
                        let (mut maxspeed, mut oneway) = (None, None);
                        for (k, v) in w.tags() {
                            match k {
                                "highway" => highway = Some(v.to_owned()),
                                "maxspeed" => maxspeed = Some(v.to_owned()),
                                "oneway" => oneway = Some(v.to_owned()),
                                _ => {}
                            }
                        }
                        if let Some(highway) = highway.filter(|h| road_class(h).is_some()) {
                            raw_ways.push(RawWay { refs: w.refs().collect(), highway, maxspeed, oneway });
                        }
                    }
                    Element::Relation(_) => {}
                });
                if let Some(m) = invalid.take() {
                    return Err(file_error(path, m));
                }
            }
            _ => {}
        }
        progress(Progress::Reading { bytes: count.load(Ordering::Relaxed), total });
    }
    if !seen_header {
        return Err(file_error(path, "not an OSM PBF file: no OSMHeader block"));
    }
    summary.road_ways = raw_ways.len();
    // Compact indices for the nodes the roads use; a way is split where it leaves the extract.
    let mut index: HashMap<i64, u32> = HashMap::new();
    let mut nodes: Vec<[f64; 2]> = vec![];
    let mut ways: Vec<Way> = vec![];
    for w in raw_ways {
        let class = road_class(&w.highway).expect("filtered");
        let (oneway, reverse) = match w.oneway.as_deref().and_then(parse_oneway) {
            Some((o, r)) => (Some(o), r),
            None => (None, false),
        };
        let maxspeed = w.maxspeed.as_deref().and_then(parse_maxspeed);
        let mut piece: Vec<u32> = vec![];
        let flush = |piece: &mut Vec<u32>, ways: &mut Vec<Way>| {
            if piece.len() >= 2 {
                ways.push(Way { nodes: std::mem::take(piece), class, maxspeed, oneway, reverse });
            }
            piece.clear();
        };
        for r in w.refs {
            match coords.get(&r) {
                Some(p) => {
                    let i = *index.entry(r).or_insert_with(|| {
                        nodes.push(*p);
                        (nodes.len() - 1) as u32
                    });
                    piece.push(i);
                }
                None => {
                    summary.missing_refs += 1;
                    flush(&mut piece, &mut ways);
                }
            }
        }
        flush(&mut piece, &mut ways);
    }
    drop(coords);
    let file = road::build(&nodes, &ways, &mut |s| progress(Progress::Stage(s.to_owned())))
        .map_err(|e| file_error(path, e))?;
    summary.graph_nodes = file.nodes.len();
    summary.graph_edges = file.out.len();
    Ok((file, summary))
}

/// Reads a GeoJSON FeatureCollection of LineStrings (or MultiLineStrings) with the OSM
/// properties `highway`, and optionally `maxspeed` and `oneway`. Lines join where they share a
/// vertex (to 1e-7°). Errors name the feature.
pub fn geojson_ways(text: &str) -> Result<(Vec<[f64; 2]>, Vec<Way>), String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let features = v.get("features").and_then(|f| f.as_array()).ok_or("expected a FeatureCollection")?;
    let mut index: HashMap<(i64, i64), u32> = HashMap::new();
    let mut nodes = vec![];
    let mut ways = vec![];
    for (i, f) in features.iter().enumerate() {
        let at = |m: &str| format!("feature {i}: {m}");
        let props = f.get("properties").ok_or_else(|| at("no properties"))?;
        let text_prop =
            |k: &str| props.get(k).and_then(|x| x.as_str().map(str::to_owned).or(x.as_f64().map(|n| n.to_string())));
        let highway = text_prop("highway").ok_or_else(|| at("no highway property"))?;
        let class = road_class(&highway).ok_or_else(|| at(&format!("highway={highway} is not a road class")))?;
        let (oneway, reverse) = match text_prop("oneway") {
            Some(o) => parse_oneway(&o).map(|(a, b)| (Some(a), b)).ok_or_else(|| at(&format!("bad oneway {o}")))?,
            None => (None, false),
        };
        let maxspeed = match text_prop("maxspeed") {
            Some(m) => Some(parse_maxspeed(&m).ok_or_else(|| at(&format!("bad maxspeed {m}")))?),
            None => None,
        };
        let g = f.get("geometry").ok_or_else(|| at("no geometry"))?;
        let coords = g.get("coordinates").ok_or_else(|| at("no coordinates"))?;
        let lines: Vec<&serde_json::Value> = match g.get("type").and_then(|t| t.as_str()) {
            Some("LineString") => vec![coords],
            Some("MultiLineString") => coords.as_array().ok_or_else(|| at("bad coordinates"))?.iter().collect(),
            other => return Err(at(&format!("geometry must be a LineString, not {other:?}"))),
        };
        for line in lines {
            let pts = line.as_array().ok_or_else(|| at("bad coordinates"))?;
            if pts.len() < 2 {
                return Err(at("a line needs at least two points"));
            }
            let mut way = vec![];
            for p in pts {
                let (lng, lat) =
                    match p.as_array().map(|a| (a.first().and_then(|x| x.as_f64()), a.get(1).and_then(|x| x.as_f64())))
                    {
                        Some((Some(lng), Some(lat))) => (lng, lat),
                        _ => return Err(at("a point must be [lng, lat]")),
                    };
                domain::geo::LatLng::new(lat, lng).map_err(|e| at(&format!("point [{lng}, {lat}]: {e}")))?;
                let key = ((lat * 1e7).round() as i64, (lng * 1e7).round() as i64);
                let id = *index.entry(key).or_insert_with(|| {
                    nodes.push([lat, lng]);
                    (nodes.len() - 1) as u32
                });
                way.push(id);
            }
            ways.push(Way { nodes: way, class, maxspeed, oneway, reverse });
        }
    }
    Ok((nodes, ways))
}
