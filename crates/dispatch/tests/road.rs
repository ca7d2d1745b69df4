//! The road graph against a plain shortest-path search, and the PBF importer on files the
//! tests write (good and broken).

use dispatch::osm::{import_pbf, Progress};
use dispatch::pbf_write::{self, Node, Way as PbfWay};
use dispatch::road::{self, directed_edges, road_class, RoadGraph, Way};
use dispatch::{Candidate, Need, Travel, TravelMode, TravelModel};
use domain::category::Force;
use domain::geo::LatLng;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

/// Plain Dijkstra over the edges, with the weight each mode's graph uses.
fn dijkstra(n: usize, edges: &[road::DirectedEdge], from: usize, to: usize, car: bool) -> Option<usize> {
    let mut adj: Vec<Vec<(usize, usize)>> = vec![vec![]; n];
    for e in edges {
        let w = if car { e.car_weight() } else { e.slow.then(|| e.slow_weight()) };
        if let Some(w) = w {
            adj[e.from as usize].push((e.to as usize, w));
        }
    }
    let mut dist = vec![usize::MAX; n];
    let mut heap = BinaryHeap::new();
    dist[from] = 0;
    heap.push(Reverse((0, from)));
    while let Some(Reverse((d, u))) = heap.pop() {
        if u == to {
            return Some(d);
        }
        if d > dist[u] {
            continue;
        }
        for &(v, w) in &adj[u] {
            if d + w < dist[v] {
                dist[v] = d + w;
                heap.push(Reverse((d + w, v)));
            }
        }
    }
    None
}

/// A connected random road network around Linjiang: a chain through every node plus random
/// roads of random classes, some one way.
fn random_network(rng: &mut ChaCha8Rng, n: usize) -> (Vec<[f64; 2]>, Vec<Way>) {
    let nodes: Vec<[f64; 2]> =
        (0..n).map(|_| [30.25 + rng.gen_range(0.0..0.08), 120.55 + rng.gen_range(0.0..0.1)]).collect();
    let classes = ["primary", "secondary", "residential", "service", "footway", "trunk", "motorway"];
    let mut ways = vec![];
    for i in 1..n {
        ways.push(Way {
            nodes: vec![(i - 1) as u32, i as u32],
            class: road_class("residential").unwrap(),
            maxspeed: None,
            oneway: None,
            reverse: false,
        });
    }
    for _ in 0..n * 2 {
        let len = rng.gen_range(2..5);
        let way: Vec<u32> = (0..len).map(|_| rng.gen_range(0..n) as u32).collect();
        let class = road_class(classes[rng.gen_range(0..classes.len())]).unwrap();
        let oneway = match rng.gen_range(0..4) {
            0 => Some(true),
            1 => Some(false),
            _ => None,
        };
        let maxspeed = rng.gen_bool(0.2).then(|| rng.gen_range(20.0..90.0));
        ways.push(Way { nodes: way, class, maxspeed, oneway, reverse: rng.gen_bool(0.1) });
    }
    (nodes, ways)
}

#[test]
fn hierarchy_answers_equal_plain_dijkstra_on_random_graphs() {
    let mut rng = ChaCha8Rng::seed_from_u64(2024);
    let mut compared = 0;
    for round in 0..6 {
        let n = 60 + round * 40;
        let (nodes, ways) = random_network(&mut rng, n);
        let file = road::build(&nodes, &ways, &mut |_| {}).unwrap();
        // The chain joins everything, so every node is kept; map ours to the graph's by place.
        assert_eq!(file.nodes.len(), n);
        let at: HashMap<(u64, u64), usize> =
            file.nodes.iter().enumerate().map(|(i, p)| ((p[0].to_bits(), p[1].to_bits()), i)).collect();
        let map: Vec<usize> = nodes.iter().map(|p| at[&(p[0].to_bits(), p[1].to_bits())]).collect();
        let edges = directed_edges(&nodes, &ways);
        let g = RoadGraph::new(file, TravelModel::default());
        for _ in 0..150 {
            let (a, b) = (rng.gen_range(0..n), rng.gen_range(0..n));
            for (mode, car) in [(TravelMode::Car, true), (TravelMode::Foot, false)] {
                let want = dijkstra(n, &edges, a, b, car);
                let got = g.node_path(map[a], map[b], mode).map(|p| p.0);
                assert_eq!(got, want, "round {round}, {a} → {b}, {mode:?}");
                compared += 1;
            }
        }
    }
    assert_eq!(compared, 6 * 150 * 2);
}

#[test]
fn ranking_with_the_road_graph_equals_routing_everyone() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let (nodes, ways) = random_network(&mut rng, 300);
    let g = RoadGraph::new(road::build(&nodes, &ways, &mut |_| {}).unwrap(), TravelModel::default());
    let modes = [TravelMode::Foot, TravelMode::Ebike, TravelMode::Car];
    let candidates: Vec<Candidate> = (0..120)
        .map(|i| Candidate {
            id: i,
            force: if i % 3 == 0 { Force::Mediator } else { Force::PatrolMember },
            mode: modes[i as usize % 3],
            position: LatLng::new(30.25 + rng.gen_range(0.0..0.08), 120.55 + rng.gen_range(0.0..0.1)).unwrap(),
            available: i % 7 != 0,
            skills: if i % 2 == 0 { vec!["labour_law".into()] } else { vec![] },
        })
        .collect();
    for hour in [3, 8, 14] {
        let site = LatLng::new(30.29, 120.6).unwrap();
        let needs = Need::of(&[Force::PatrolMember, Force::Mediator], &[(Force::Mediator, "labour_law".into())]);
        let top = dispatch::rank(&site, &needs, &candidates, &g, hour, 3);
        // Brute force: route every admissible candidate.
        let mut want = vec![];
        for need in &needs {
            let mut all: Vec<(f64, i64)> = candidates
                .iter()
                .filter(|c| c.available && need.admits(c))
                .map(|c| (g.route(&c.position, &site, c.mode, hour).eta_seconds, c.id))
                .collect();
            all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            for (eta, id) in &all {
                assert!(
                    g.lower_bound_seconds(
                        &candidates[*id as usize].position,
                        &site,
                        candidates[*id as usize].mode,
                        hour
                    ) <= *eta + 1e-9
                );
            }
            want.extend(all.into_iter().take(3));
        }
        want.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        assert_eq!(top.iter().map(|r| r.id).collect::<Vec<_>>(), want.iter().map(|w| w.1).collect::<Vec<_>>());
        // Mediators without the skill are never proposed.
        assert!(top.iter().all(|r| r.force != Force::Mediator || candidates[r.id as usize].skills.len() == 1));
    }
}

/// A little town: a two-way main road west–east, a one-way street north, a footpath across.
fn town() -> (Vec<Node>, Vec<PbfWay>) {
    let p = |id, lat, lng| Node { id, lat, lng };
    let nodes = vec![
        p(1, 30.290, 120.590),
        p(2, 30.290, 120.600),
        p(3, 30.290, 120.610),
        p(4, 30.300, 120.610),
        p(5, 30.300, 120.590),
        p(6, 30.295, 120.600),
        // A node of nothing.
        p(7, 30.5, 120.9),
    ];
    let tags = |kv: &[(&str, &str)]| kv.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let ways = vec![
        PbfWay { id: 10, refs: vec![1, 2, 3], tags: tags(&[("highway", "primary"), ("name", "江东大道")]) },
        PbfWay { id: 11, refs: vec![3, 4, 5, 1], tags: tags(&[("highway", "residential"), ("oneway", "yes")]) },
        PbfWay { id: 12, refs: vec![2, 6, 4], tags: tags(&[("highway", "footway")]) },
        // Leaves the extract: node 99 is not in it.
        PbfWay { id: 13, refs: vec![5, 99], tags: tags(&[("highway", "service")]) },
        PbfWay { id: 14, refs: vec![1, 5], tags: tags(&[("waterway", "river")]) },
    ];
    (nodes, ways)
}

fn temp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("civicgrid-road-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_pbf_extract_becomes_a_road_graph_that_is_saved_and_loaded() {
    let (nodes, ways) = town();
    let dir = temp("ok");
    let pbf = dir.join("town.osm.pbf");
    std::fs::write(&pbf, pbf_write::write(&nodes, &ways)).unwrap();
    let mut reading = 0;
    let mut stages = vec![];
    let (file, summary) = import_pbf(&pbf, &mut |p| match p {
        Progress::Reading { bytes, total } => {
            assert!(bytes <= total);
            reading += 1;
        }
        Progress::Stage(s) => stages.push(s),
    })
    .unwrap();
    assert!(reading >= 2 && stages.len() == 2, "{reading} {stages:?}");
    assert_eq!(summary.nodes_read, 7);
    assert_eq!(summary.ways_read, 5);
    assert_eq!(summary.road_ways, 4);
    assert_eq!(summary.missing_refs, 1);
    // Nodes 1–6 are on roads; node 7 and the river are not.
    assert_eq!(summary.graph_nodes, 6);
    let out = dir.join("town.graph");
    RoadGraph::save(&file, &out).unwrap();
    let g = RoadGraph::load(&out, TravelModel::default()).unwrap();
    assert_eq!(g.stats().nodes, 6);
    let ll = |lat, lng| LatLng::new(lat, lng).unwrap();
    // West to east along the main road: about 1.93 km at 60 km/h × 0.8.
    let r = g.road_route(&ll(30.290, 120.590), &ll(30.290, 120.610), TravelMode::Car, 11).unwrap();
    assert!((r.metres - 1924.0).abs() < 15.0, "{r:?}");
    assert!((r.eta_seconds - (60.0 + r.metres / (60.0 / 3.6 * 0.8))).abs() < 1.0, "{r:?}");
    // Rush hour is slower by car.
    let rush = g.road_route(&ll(30.290, 120.590), &ll(30.290, 120.610), TravelMode::Car, 8).unwrap();
    assert!(rush.eta_seconds > r.eta_seconds + 30.0);
    // By car from 4 to 3 the one-way street forbids the short way back: round 4 → 5 → 1 → 3.
    let back = g.road_route(&ll(30.300, 120.610), &ll(30.290, 120.610), TravelMode::Car, 11).unwrap();
    assert!(back.metres > 3000.0, "{back:?}");
    // On foot the footpath and both directions of the one-way street are open.
    let walk = g.road_route(&ll(30.300, 120.610), &ll(30.290, 120.610), TravelMode::Foot, 11).unwrap();
    assert!(walk.metres < 1200.0, "{walk:?}");
    assert!((walk.eta_seconds - (60.0 + walk.metres / 1.3)).abs() < 1.0);
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn broken_pbf_files_are_refused_with_the_file_and_the_place() {
    let (nodes, ways) = town();
    let good = pbf_write::write(&nodes, &ways);
    let dir = temp("bad");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("truncated.osm.pbf", good[..good.len() - 20].to_vec(), "block 2"),
        ("garbage.osm.pbf", b"this is not a protocol buffer at all, just text".to_vec(), "block 1"),
        ("empty.osm.pbf", vec![], "no OSMHeader"),
        ("roadless.osm.pbf", pbf_write::write(&nodes, &ways[4..]), "no roads"),
    ];
    for (name, bytes, want) in cases {
        let path = dir.join(name);
        std::fs::write(&path, &bytes).unwrap();
        let err = import_pbf(&path, &mut |_| {}).err().unwrap_or_else(|| panic!("{name} was accepted")).to_string();
        assert!(err.contains(name) && err.contains(want), "{name}: {err}");
    }
    // A road graph file that is not one.
    let fake = dir.join("fake.graph");
    std::fs::write(&fake, b"CIVICGRID-ROADS 1\nnonsense").unwrap();
    let err = RoadGraph::load(&fake, TravelModel::default()).err().unwrap().to_string();
    assert!(err.contains("fake.graph") && err.contains("damaged"), "{err}");
    // GeoJSON roads name the feature at fault.
    let gj = dir.join("roads.geojson");
    std::fs::write(
        &gj,
        r#"{"type":"FeatureCollection","features":[
        {"type":"Feature","properties":{"highway":"primary"},"geometry":{"type":"LineString","coordinates":[[120.6,30.29],[120.61,30.29]]}},
        {"type":"Feature","properties":{"highway":"primary"},"geometry":{"type":"LineString","coordinates":[[120.6,30.29],[120.61,95.0]]}}]}"#,
    )
    .unwrap();
    let err = RoadGraph::load(&gj, TravelModel::default()).err().unwrap().to_string();
    assert!(err.contains("roads.geojson") && err.contains("feature 1"), "{err}");
    std::fs::remove_dir_all(dir).ok();
}
