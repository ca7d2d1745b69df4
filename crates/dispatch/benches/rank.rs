//! Ranking 500 responders for one case on the Linjiang road graph (target: under 1 ms at
//! p99). `cargo bench -p dispatch --bench rank`; prints the p50/p99 of 20,000 rankings first,
//! then criterion's estimate.

use criterion::{criterion_group, criterion_main, Criterion};
use dispatch::road::RoadGraph;
use dispatch::{Candidate, Need, TravelMode, TravelModel};
use domain::category::Force;
use domain::geo::LatLng;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::hint::black_box;
use std::time::Instant;

/// Responders and case sites spread over the main area and the enclave.
fn setup() -> (RoadGraph, Vec<Candidate>, Vec<LatLng>) {
    let roads = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/linjiang/roads.geojson");
    let g = RoadGraph::load(&roads, TravelModel::default()).expect("the Linjiang roads");
    let mut rng = ChaCha8Rng::seed_from_u64(500);
    let place = |rng: &mut ChaCha8Rng| {
        if rng.gen_bool(0.8) {
            LatLng::new(rng.gen_range(30.265..30.325), rng.gen_range(120.565..120.635)).unwrap()
        } else {
            LatLng::new(rng.gen_range(30.34..30.43), rng.gen_range(120.72..120.83)).unwrap()
        }
    };
    let modes = [TravelMode::Car, TravelMode::Ebike, TravelMode::Foot];
    let candidates = (0..500)
        .map(|i| Candidate {
            id: i,
            force: Force::ALL[i as usize % Force::ALL.len()],
            mode: modes[i as usize % 3],
            position: place(&mut rng),
            available: i % 5 != 0,
            skills: if i % 2 == 0 { vec!["labour_law".into()] } else { vec![] },
        })
        .collect();
    let sites = (0..1000).map(|_| place(&mut rng)).collect();
    (g, candidates, sites)
}

/// A city-size grid of streets (`side`² junctions ~150 m apart, main roads every tenth line,
/// a few streets missing): contraction time and ETA query times.
fn city(side: usize) {
    use dispatch::road::{road_class, Way};
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let nodes: Vec<[f64; 2]> = (0..side * side)
        .map(|k| {
            let (i, j) = (k / side, k % side);
            [
                30.0 + i as f64 * 0.00135 + rng.gen_range(-0.0002..0.0002),
                120.0 + j as f64 * 0.00156 + rng.gen_range(-0.0002..0.0002),
            ]
        })
        .collect();
    let mut ways = vec![];
    for line in 0..side {
        let class = road_class(if line % 10 == 0 { "primary" } else { "residential" }).unwrap();
        for horizontal in [true, false] {
            let at = |k: usize| (if horizontal { line * side + k } else { k * side + line }) as u32;
            let mut run = vec![at(0)];
            for k in 1..side {
                if class.kmh < 50.0 && rng.gen_bool(0.05) {
                    if run.len() > 1 {
                        ways.push(Way {
                            nodes: std::mem::take(&mut run),
                            class,
                            maxspeed: None,
                            oneway: None,
                            reverse: false,
                        });
                    }
                    run = vec![];
                }
                run.push(at(k));
            }
            if run.len() > 1 {
                ways.push(Way { nodes: run, class, maxspeed: None, oneway: None, reverse: false });
            }
        }
    }
    let t = Instant::now();
    let file = dispatch::road::build(&nodes, &ways, &mut |_| {}).unwrap();
    let built = t.elapsed().as_secs_f64();
    let g = RoadGraph::new(file, TravelModel::default());
    let mut times = vec![];
    for _ in 0..20_000 {
        let a = nodes[rng.gen_range(0..nodes.len())];
        let b = nodes[rng.gen_range(0..nodes.len())];
        let (a, b) = (LatLng::new(a[0], a[1]).unwrap(), LatLng::new(b[0], b[1]).unwrap());
        let t = Instant::now();
        black_box(g.road_route(&a, &b, TravelMode::Car, 11));
        times.push(t.elapsed().as_secs_f64() * 1e6);
    }
    let mut bare = vec![];
    for _ in 0..20_000 {
        let (a, b) = (rng.gen_range(0..g.stats().nodes), rng.gen_range(0..g.stats().nodes));
        let t = Instant::now();
        black_box(g.node_path(a, b, TravelMode::Car));
        bare.push(t.elapsed().as_secs_f64() * 1e6);
    }
    bare.sort_by(f64::total_cmp);
    println!(
        "city: one hierarchy query between two junctions (path unpacked): p50 {:.1} µs, p99 {:.1} µs",
        bare[bare.len() / 2],
        bare[bare.len() * 99 / 100]
    );
    times.sort_by(f64::total_cmp);
    let pct = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
    println!(
        "city of {} nodes, {} edges: contracted in {built:.1} s; one ETA (snap both ends, car): p50 {:.1} µs, p99 {:.1} µs",
        g.stats().nodes,
        g.stats().edges,
        pct(0.5),
        pct(0.99)
    );
}

fn bench(c: &mut Criterion) {
    city(300);
    let (g, candidates, sites) = setup();
    // A wage dispute: patrol member and a mediator who knows labour law; three of each.
    let needs = Need::of(&[Force::PatrolMember, Force::Mediator], &[(Force::Mediator, "labour_law".into())]);
    let mut times = vec![];
    for i in 0..20_000 {
        let site = &sites[i % sites.len()];
        let t = Instant::now();
        black_box(dispatch::rank(site, &needs, &candidates, &g, (i % 24) as u32, 3));
        times.push(t.elapsed().as_secs_f64() * 1e6);
    }
    times.sort_by(f64::total_cmp);
    let pct = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
    println!(
        "rank 500 responders ({} nodes): p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs",
        g.stats().nodes,
        pct(0.5),
        pct(0.99),
        times[times.len() - 1]
    );
    let mut i = 0;
    c.bench_function("rank_500_responders", |b| {
        b.iter(|| {
            i += 1;
            black_box(dispatch::rank(&sites[i % sites.len()], &needs, &candidates, &g, (i % 24) as u32, 3))
        })
    });
    // Every force at once, routing everyone (the simulator's worst case).
    let all = Need::of(&Force::ALL, &[]);
    c.bench_function("rank_500_responders_all_forces_everyone", |b| {
        b.iter(|| {
            i += 1;
            black_box(dispatch::rank(&sites[i % sites.len()], &all, &candidates, &g, 11, usize::MAX))
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
