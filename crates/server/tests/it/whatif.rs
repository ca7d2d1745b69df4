//! The leaders' what-if on a live server: demand fitted from the stored history, the roster
//! as it stands, one change; who may run it and what it refuses.

use super::*;
use serde_json::json;

fn local(s: &str) -> domain::Timestamp {
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").unwrap().and_utc() - chrono::Duration::hours(8)
}

async fn whatif_on(postgres: bool) {
    let url = if postgres { store::testing::fresh_postgres_url().await } else { store::testing::fresh_sqlite_url() };
    let now = local("2026-11-27T12:00:00");
    let app = App::start_clocked(&url, &Default::default(), now).await;
    let body = json!({"kind": "demand", "scale": 2.0, "seeds": 1});
    // Only those who read the statistics run it; a mistake is refused before anything runs.
    let (s, _) = app.call(Some("resident"), "POST", "/api/v1/whatif", Some(body.clone())).await;
    assert_eq!(s, 403);
    let (s, b) = app.call(Some("leader"), "POST", "/api/v1/whatif", Some(json!({"kind": "teleport"}))).await;
    assert_eq!((s, b["error"]["code"].as_str()), (422, Some("invalid_input")), "{b}");
    let (s, _) = app
        .call(Some("leader"), "POST", "/api/v1/whatif", Some(json!({"kind": "demand", "scale": 2, "speed": 9})))
        .await;
    assert!((400..500).contains(&s), "{s}");
    // Without history there is nothing to fit.
    let (s, b) = app.call(Some("leader"), "POST", "/api/v1/whatif", Some(body.clone())).await;
    assert_eq!(s, 422, "{b}");
    assert!(b["error"]["message"].as_str().unwrap().contains("too little history"), "{b}");
    // One at a time on a node (not per process: tests run several servers at once): while one
    // runs, another is told to try again shortly.
    {
        let _running = app.state.whatif_running.try_acquire().unwrap();
        let (s, b) = app.call(Some("leader"), "POST", "/api/v1/whatif", Some(body.clone())).await;
        assert_eq!((s, b["error"]["code"].as_str()), (429, Some("busy")), "{b}");
    }
    // Ninety days of the demo's history.
    let sc = scenario::load(&scenario_dir()).unwrap();
    let history = scenario::history::generate(&sc, now, 90, sc.demand.history.seed);
    app.store.import_cases(&history, "demo", now).await.unwrap();
    let (s, out) = app.call(Some("leader"), "POST", "/api/v1/whatif", Some(body)).await;
    assert_eq!(s, 200, "{out}");
    // The recommendations' coverage cost weighs grids by the same history: the port's grids
    // (2.5 × the demand) weigh more than the enclave's farmland (a quarter).
    app.state.demand_shares.lock().unwrap().take();
    let shares = app::dispatching::grid_shares(&app.state).await.unwrap();
    assert!((shares.values().sum::<f64>() - 1.0).abs() < 1e-9);
    let mean = |f: &dyn Fn(&store::Grid) -> bool| {
        let v: Vec<f64> = app.state.grids.iter().filter(|(_, g)| f(g)).map(|(c, _)| shares[c]).collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    let (port, enclave) = (mean(&|g| g.station == "S1" && g.area == "main"), mean(&|g| g.area == "enclave"));
    assert!(port > 5.0 * enclave, "port {port}, enclave {enclave}");
    let per_day = out["cases_per_day"].as_f64().unwrap();
    let in_window = history.iter().filter(|c| c.created_at >= now - chrono::Duration::days(90)).count();
    assert!((per_day - in_window as f64 / 90.0).abs() < 0.1, "{per_day} vs {in_window} in 90 days");
    let (before, after) = (&out["before"], &out["after"]);
    // Twice the demand: about twice the calls, more of them late, busier; the map unchanged.
    let calls = |s: &serde_json::Value| s["cases"].as_f64().unwrap();
    assert!((calls(after) / calls(before) - 2.0).abs() < 0.25, "{out}");
    assert!(after["late"].as_u64() >= before["late"].as_u64());
    assert!(after["lateness_hours"].as_f64().unwrap() > before["lateness_hours"].as_f64().unwrap(), "{out}");
    assert!(after["utilisation_pct"].as_f64() > before["utilisation_pct"].as_f64());
    assert_eq!(after["cover"], before["cover"]);
    // Three more officers at the enclave's station: the same calls, nobody less covered, and
    // some enclave grid reached by more of them.
    let enclave = app.state.stations.iter().find(|s| s.code == "S5").unwrap();
    let (s, out) = app
        .call(
            Some("leader"),
            "POST",
            "/api/v1/whatif",
            Some(json!({"kind": "add_units", "station": "S5", "force": "police", "count": 3, "seeds": 1})),
        )
        .await;
    assert_eq!(s, 200, "{out}");
    assert_eq!(out["before"]["cases"], out["after"]["cases"]);
    let cover = |side: &str| out[side]["cover"].as_object().unwrap().clone();
    let (b, a) = (cover("before"), cover("after"));
    assert!(b.iter().all(|(g, n)| a[g].as_u64() >= n.as_u64()));
    assert!(b.iter().any(|(g, n)| a[g].as_u64().unwrap() >= n.as_u64().unwrap() + 3), "{out}");
    // The enclave's station moved out of the street is refused; moved within it runs.
    let (s, _) = app
        .call(
            Some("leader"),
            "POST",
            "/api/v1/whatif",
            Some(json!({"kind": "move_station", "station": "S5", "lat": 30.0, "lng": 119.0, "seeds": 1})),
        )
        .await;
    assert_eq!(s, 422);
    let (s, out) = app
        .call(
            Some("leader"),
            "POST",
            "/api/v1/whatif",
            Some(json!({"kind": "move_station", "station": "S5", "lat": enclave.lat + 0.01, "lng": enclave.lng, "seeds": 1})),
        )
        .await;
    assert_eq!(s, 200, "{out}");
    assert_ne!(out["before"]["cover"], out["after"]["cover"]);
    let url = app.halt().await;
    store::testing::discard(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_tries_a_change_on_the_live_street_sqlite() {
    whatif_on(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_tries_a_change_on_the_live_street_postgres() {
    whatif_on(true).await;
}
