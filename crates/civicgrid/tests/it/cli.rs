//! Subcommands and their exit codes.

use super::*;
use std::io::Write;

fn run_with_stdin(args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child =
        bin().args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn run(args: &[&str]) -> (i32, String, String) {
    run_with_stdin(args, "")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_serve_users_audit_backup_restore() {
    let db = store::testing::fresh_sqlite_url();
    let server = Server::start(&db, true);
    let text = server.output.join("\n");
    assert!(text.contains(&format!("serving on {}/", server.base)), "{text}");
    assert!(text.contains("dispatcher") && text.contains("linjiang2024"), "{text}");
    let http = reqwest::Client::new();

    // A user added from the command line while the server runs can sign in.
    let (code, out, err) = run_with_stdin(
        &["user", "add", "--db", &db, "--username", "li.na", "--role", "grid_worker", "--grid", "330114004001002"],
        "tea-lantern-river-84\n",
    );
    assert_eq!(code, 0, "{out}{err}");
    let login = |password: &'static str| {
        http.post(format!("{}/api/v1/auth/login", server.base))
            .json(&serde_json::json!({"username": "li.na", "password": password}))
            .send()
    };
    let r = login("tea-lantern-river-84").await.unwrap();
    assert_eq!(r.status(), 200);
    // Signed out everywhere: a token from before no longer works.
    let token = r.json::<serde_json::Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
    let (code, out, err) = run(&["user", "revoke", "--db", &db, "--username", "li.na"]);
    assert_eq!(code, 0, "{out}{err}");
    let me = http.get(format!("{}/api/v1/me", server.base)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(me.status(), 401);
    // Disabled, then enabled again.
    assert_eq!(run(&["user", "disable", "--db", &db, "--username", "li.na"]).0, 0);
    assert_eq!(login("tea-lantern-river-84").await.unwrap().status(), 401);
    assert_eq!(run(&["user", "enable", "--db", &db, "--username", "li.na"]).0, 0);
    assert_eq!(login("tea-lantern-river-84").await.unwrap().status(), 200);
    // A new password must be hard to guess; the old one stops working.
    let (code, _, err) = run_with_stdin(&["user", "passwd", "--db", &db, "--username", "li.na"], "12345678\n");
    assert_ne!(code, 0);
    assert!(err.contains("password"), "{err}");
    let (code, out, err) =
        run_with_stdin(&["user", "passwd", "--db", &db, "--username", "li.na"], "orchid-bridge-kettle-19\n");
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(login("tea-lantern-river-84").await.unwrap().status(), 401);
    assert_eq!(login("orchid-bridge-kettle-19").await.unwrap().status(), 200);
    let (code, _, err) = run(&["user", "disable", "--db", &db, "--username", "nobody"]);
    assert_ne!(code, 0);
    assert!(err.contains("no account"), "{err}");
    // An administrator's password cannot be 12345678.
    let (code, _, err) =
        run_with_stdin(&["user", "add", "--db", &db, "--username", "root2", "--role", "admin"], "12345678\n");
    assert_ne!(code, 0);
    assert!(err.contains("password"), "{err}");
    let (code, _, err) = run_with_stdin(
        &["user", "add", "--db", &db, "--username", "li.na", "--role", "grid_worker"],
        "tea-lantern-river-84\n",
    );
    assert_ne!(code, 0);
    assert!(err.contains("already exists"), "{err}");
    let (code, _, err) =
        run_with_stdin(&["user", "add", "--db", &db, "--username", "x", "--role", "king"], "tea-lantern-river-84\n");
    assert_ne!(code, 0);
    assert!(err.contains("unknown role"), "{err}");
    let (code, _, err) =
        run_with_stdin(&["user", "add", "--db", &db, "--username", "y", "--role", "resident"], "short\n");
    assert_ne!(code, 0);
    assert!(err.contains("password"), "{err}");

    let (code, key, _) = run(&["apikey", "add", "--db", &db, "--name", "12345 热线"]);
    assert_eq!(code, 0);
    assert!(key.trim().len() >= 40, "{key}");

    // A backup of the running database restores into an empty one with an intact audit chain
    // holding everything written before the backup began (the demo's crew and the deadline
    // runner keep writing meanwhile, so the chain may have grown by the end).
    let records = |verified: &str| -> usize {
        assert!(verified.starts_with("audit log intact: "), "{verified}");
        verified["audit log intact: ".len()..].split(' ').next().unwrap().parse().unwrap()
    };
    let (code, before, _) = run(&["audit", "verify", "--db", &db]);
    assert_eq!(code, 0, "{before}");
    let backup = std::env::temp_dir().join(format!("civicgrid-backup-{}.jsonl", std::process::id()));
    let (code, out, err) = run(&["backup", "--db", &db, "--out", backup.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    server.kill();
    let (code, verified, _) = run(&["audit", "verify", "--db", &db]);
    assert_eq!(code, 0, "{verified}");
    assert!(verified.contains("records checked"), "{verified}");
    for target in [store::testing::fresh_sqlite_url(), store::testing::fresh_postgres_url().await] {
        let (code, out, err) = run(&["restore", "--db", &target, "--from", backup.to_str().unwrap()]);
        assert_eq!(code, 0, "{out}{err}");
        let (code, v, _) = run(&["audit", "verify", "--db", &target]);
        assert_eq!(code, 0, "{v}");
        let n = records(&v);
        assert!(records(&before) <= n && n <= records(&verified), "{before} / {v} / {verified}");
        let (code, _, err) = run(&["restore", "--db", &target, "--from", backup.to_str().unwrap()]);
        assert_ne!(code, 0);
        assert!(err.contains("not empty"), "{err}");
        store::testing::discard(&target).await;
    }
    std::fs::remove_file(&backup).unwrap();

    // Tampering is found and named.
    let path = db.strip_prefix("sqlite://").unwrap();
    let sql = "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET detail = '{\"forged\":1}' WHERE seq = 4;";
    let status = Command::new("sqlite3").args([path, sql]).status();
    match status {
        Ok(s) if s.success() => {
            let (code, out, _) = run(&["audit", "verify", "--db", &db]);
            assert_eq!(code, 1, "{out}");
            assert!(out.contains("record 4"), "{out}");
        }
        // Without the sqlite3 shell, tamper through the driver instead.
        _ => {
            use sqlx::{Connection, Executor};
            sqlx::any::install_default_drivers();
            let mut c = sqlx::AnyConnection::connect(&db).await.unwrap();
            c.execute(sql).await.unwrap();
            drop(c);
            let (code, out, _) = run(&["audit", "verify", "--db", &db]);
            assert_eq!(code, 1, "{out}");
            assert!(out.contains("record 4"), "{out}");
        }
    }
    store::testing::discard(&db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_accounts_live_only_in_demo_mode() {
    let db = store::testing::fresh_sqlite_url();
    let server = Server::start(&db, true);
    server.kill();
    let server = Server::start(&db, false);
    let http = reqwest::Client::new();
    let r = http
        .post(format!("{}/api/v1/auth/login", server.base))
        .json(&serde_json::json!({"username": "dispatcher", "password": "linjiang2024"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    server.kill();
    let server = Server::start(&db, true);
    login(&http, &server.base, "dispatcher").await;
    server.kill();
    store::testing::discard(&db).await;
}

#[test]
fn unreachable_database_and_busy_port_fail_with_one_line() {
    let (code, _, err) = run(&["serve", "--db", "postgres://nobody@127.0.0.1:1/none", "--bind", "127.0.0.1:0"]);
    assert_ne!(code, 0);
    assert!(err.trim().lines().last().unwrap().starts_with("civicgrid: cannot open the database"), "{err}");
    let (code, _, err) = run(&["serve", "--db", "mysql://x", "--bind", "127.0.0.1:0"]);
    assert_ne!(code, 0);
    assert!(err.contains("unsupported database URL"), "{err}");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let db = store::testing::fresh_sqlite_url();
    let (code, _, err) = run(&["serve", "--db", &db, "--bind", &format!("127.0.0.1:{port}")]);
    assert_ne!(code, 0);
    assert!(err.trim().lines().last().unwrap().starts_with("civicgrid: cannot listen on"), "{err}");
    let (code, _, err) = run(&["serve", "--db", &db, "--config", "/nonexistent/civicgrid.toml"]);
    assert_ne!(code, 0);
    assert!(err.contains("civicgrid.toml"), "{err}");
}

#[test]
fn import_osm_builds_a_road_graph_and_names_a_broken_file() {
    use dispatch::pbf_write::{write, Node, Way};
    let dir = std::env::temp_dir().join(format!("civicgrid-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // A 5 × 5 lattice of streets ~220 m apart, one main road across.
    let mut nodes = vec![];
    for i in 0..5 {
        for j in 0..5 {
            nodes.push(Node { id: 1 + i * 5 + j, lat: 30.28 + 0.002 * i as f64, lng: 120.59 + 0.0023 * j as f64 });
        }
    }
    let tag = |h: &str| vec![("highway".to_string(), h.to_string())];
    let mut ways = vec![];
    for i in 0..5 {
        ways.push(Way {
            id: 100 + i,
            refs: (0..5).map(|j| 1 + i * 5 + j).collect(),
            tags: tag(if i == 2 { "primary" } else { "residential" }),
        });
        ways.push(Way { id: 200 + i, refs: (0..5).map(|j| 1 + j * 5 + i).collect(), tags: tag("residential") });
    }
    let pbf = dir.join("lattice.osm.pbf");
    std::fs::write(&pbf, write(&nodes, &ways)).unwrap();
    let out = dir.join("lattice.graph");
    let (code, stdout, stderr) = run(&["import-osm", "--pbf", pbf.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("graph of 25 nodes"), "{stdout}");
    // The progress bar reached the end, then the contraction steps.
    assert!(stderr.contains("100%") && stderr.contains("contracting"), "{stderr}");
    let g = dispatch::road::RoadGraph::load(&out, dispatch::TravelModel::default()).unwrap();
    assert_eq!(g.stats().nodes, 25);
    let bad = dir.join("cut.osm.pbf");
    let bytes = write(&nodes, &ways);
    std::fs::write(&bad, &bytes[..bytes.len() / 2]).unwrap();
    let (code, _, stderr) =
        run(&["import-osm", "--pbf", bad.to_str().unwrap(), "--out", dir.join("x.graph").to_str().unwrap()]);
    assert_ne!(code, 0);
    assert!(stderr.contains("cut.osm.pbf") && stderr.contains("block"), "{stderr}");
    assert!(!dir.join("x.graph").exists(), "nothing written for a broken extract");
    std::fs::remove_dir_all(dir).ok();
}

/// SIGTERM stops the server within a few seconds even while a browser holds the live stream
/// open: the stream ends first, then writes finish and the process exits cleanly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_the_server_with_a_stream_open() {
    let db = store::testing::fresh_sqlite_url();
    let mut server = Server::start(&db, true);
    let http = reqwest::Client::new();
    let token = login(&http, &server.base, "dispatcher").await;
    let mut stream = http.get(format!("{}/api/v1/stream", server.base)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(stream.status(), 200);
    let pid = server.child.id().to_string();
    let asked = std::time::Instant::now();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    // The stream ends (the body finishes or the connection closes) …
    let ended = tokio::time::timeout(std::time::Duration::from_secs(3), async {
        loop {
            match stream.chunk().await {
                Ok(Some(_)) => continue,
                _ => break,
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the live stream stayed open after SIGTERM");
    // … and the process exits well within the grace period, successfully.
    let status = loop {
        if let Some(s) = server.child.try_wait().unwrap() {
            break s;
        }
        assert!(
            asked.elapsed() < std::time::Duration::from_secs(4),
            "still running {:?} after SIGTERM",
            asked.elapsed()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert!(status.success(), "{status}");
    store::testing::discard(&db).await;
}

/// The sensor contract as an outside check runs it: `serve --demo` subscribes to the local
/// broker; `device import` registers a detector while it runs; a level-2 reading published to
/// `civicgrid/devices/tuya/{id}/up` becomes exactly one urgent gas case, however often it is
/// delivered. A bad file is refused with the line named and nothing registered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_import_and_a_leak_through_the_local_broker() {
    use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
    let db = store::testing::fresh_sqlite_url();
    let server = Server::start(&db, true);
    let device = format!("CLI{}", rand::random::<u32>());
    let dir = std::env::temp_dir().join(format!("cg-devices-{device}"));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, "device_id,vendor,model,kind,address,lat,lng,owner_name,owner_phone,installed_on\nX1,tuya,m,household,x,,,,,2024-02-30\n").unwrap();
    let (code, _, err) = run(&["device", "import", "--db", &db, "--csv", bad.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("line 2") && err.contains("installed_on"), "{err}");
    let good = dir.join("devices.csv");
    std::fs::write(
        &good,
        format!("device_id,vendor,model,kind,address,lat,lng,owner_name,owner_phone,installed_on\n{device},tuya,JT-YQ01,household,临江花园3幢2单元501室,30.2662,120.5700,张伟,13800000001,2024-03-01\n"),
    )
    .unwrap();
    let (code, out, err) = run(&["device", "import", "--db", &db, "--csv", good.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("imported 1 detectors") && out.contains("1 new"), "{out}");

    let mut opts = MqttOptions::new(format!("cli-test-{device}"), "127.0.0.1", 1883);
    opts.set_keep_alive(Duration::from_secs(10));
    let (client, mut events) = AsyncClient::new(opts, 10);
    let payload = format!(
        r#"{{"devId":"{device}","t":1764400000,"dps":{{"gas_sensor_status":"alarm","gas_sensor_value":650,"fault":0,"battery_percentage":90}}}}"#
    );
    for _ in 0..3 {
        client
            .publish(format!("civicgrid/devices/tuya/{device}/up"), QoS::AtLeastOnce, false, payload.clone())
            .await
            .unwrap();
    }
    let mut acked = 0;
    while acked < 3 {
        if let Event::Incoming(Packet::PubAck(_)) =
            tokio::time::timeout(Duration::from_secs(10), events.poll()).await.unwrap().unwrap()
        {
            acked += 1;
        }
    }
    let http = reqwest::Client::new();
    let token = login(&http, &server.base, "dispatcher").await;
    let start = Instant::now();
    let alarms = loop {
        let list: serde_json::Value = http
            .get(format!("{}/api/v1/gas/alarms?device_id={device}", server.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if list[0]["case_id"].is_i64() && list[0]["readings"].as_i64() == Some(3) {
            break list;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "no case for the leak: {list}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(alarms.as_array().unwrap().len(), 1, "{alarms}");
    let case: serde_json::Value = http
        .get(format!("{}/api/v1/cases/{}", server.base, alarms[0]["case_id"]))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (case["category"].as_str(), case["priority"].as_str(), case["source"].as_str()),
        (Some("SJ0401"), Some("urgent"), Some("sensor")),
        "{case}"
    );
    let _ = client.disconnect().await;
    let _ = std::fs::remove_dir_all(&dir);
    server.kill();
}

/// `sim`: one JSON object of metrics; a policy it does not know is refused in one line; with
/// `--history-db` the demand is that database's cases of the last 90 days (an empty database
/// has too little to fit).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sim_prints_metrics_and_fits_demand_from_a_database() {
    let scenario = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/linjiang");
    let dir = scenario.to_str().unwrap();
    let (code, out, err) =
        run(&["sim", "--scenario", dir, "--policy", "default", "--days", "1", "--seed", "3", "--seeds", "2"]);
    assert_eq!(code, 0, "{err}");
    let m: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(m["policy"], "default");
    assert!(m["cases"].as_u64().unwrap() > 600, "two days' calls pooled: {m}");
    assert!(m["lateness_hours"].as_f64().unwrap() > 0.0, "{m}");
    let (code, _, err) = run(&["sim", "--scenario", dir, "--policy", "fastest"]);
    assert_ne!(code, 0);
    assert!(err.contains("unknown policy") && err.lines().count() <= 2, "{err}");
    // An empty database: nothing to fit.
    let db = store::testing::fresh_sqlite_url();
    let s = store::Store::open(&db).await.unwrap();
    let (code, _, err) = run(&["sim", "--scenario", dir, "--history-db", &db, "--days", "1"]);
    assert_ne!(code, 0);
    assert!(err.contains("too little history"), "{err}");
    // Ninety days of the scenario's history: about the same calls a day come out.
    let sc = scenario::load(&scenario).unwrap();
    let now = chrono::Utc::now();
    let history = scenario::history::generate(&sc, now, 90, 5);
    s.import_cases(&history, "test", now).await.unwrap();
    s.close().await;
    let (code, out, err) = run(&["sim", "--scenario", dir, "--history-db", &db, "--days", "1", "--seeds", "3"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("demand fitted from") && err.contains("cases of the last 90 days"), "{err}");
    let m: serde_json::Value = serde_json::from_str(&out).unwrap();
    let per_day = history.len() as f64 / 90.0;
    let got = m["cases"].as_f64().unwrap() / 3.0;
    assert!((got / per_day - 1.0).abs() < 0.15, "{got} a day from a history of {per_day} a day");
    store::testing::discard(&db).await;
}

/// A city with its own codes and force (the dense scenario: census tracts, an ambulance
/// service) runs in the simulator, bound included; the server refuses it with the reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_city_with_its_own_scheme_simulates_but_is_not_served() {
    let scenario = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/dense-one-force");
    let dir = scenario.to_str().unwrap();
    let (code, out, err) = run(&["sim", "--scenario", dir, "--policy", "offline", "--days", "1", "--seed", "2"]);
    assert_eq!(code, 0, "{err}");
    let m: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(m["cases"].as_u64().unwrap() > 200 && m["lateness_hours"].as_f64().is_some(), "{m}");
    let db = store::testing::fresh_sqlite_url();
    let (code, _, err) = run(&["serve", "--db", &db, "--bind", "127.0.0.1:0", "--demo", "--scenario", dir]);
    assert_ne!(code, 0);
    assert!(
        err.contains("[scheme] uses local codes or forces") && err.contains("the server runs the national schemes"),
        "{err}"
    );
    store::testing::discard(&db).await;
}
