//! `civicgrid bench intake`: cases per second and latency of `POST /api/v1/cases` over
//! loopback with durable commits, at several numbers of concurrent clients.
//!
//! The server runs in this process on a fresh database (a temporary SQLite file, or a new
//! PostgreSQL database on the given server) with the scenario's reference data; clients are
//! HTTP/1.1 connections on loopback, each sending one case after another.

use anyhow::Context;
use clap::Subcommand;
use std::time::{Duration, Instant};

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Deadline runner: memory and disk per open obligation, and how late alerts fire.
    Deadlines {
        /// sqlite or postgres.
        #[arg(long, default_value = "sqlite")]
        backend: String,
        #[arg(long, env = "CIVICGRID_TEST_PG", default_value = "postgres://postgres@127.0.0.1:5432")]
        postgres: String,
        /// Open cases, each with its deadlines.
        #[arg(long, default_value_t = 1_000_000)]
        open: usize,
        /// Of those, how many fall due during the measured window.
        #[arg(long, default_value_t = 2_000)]
        due: usize,
        /// Length of the measured window.
        #[arg(long, default_value_t = 20)]
        window_seconds: u64,
        #[arg(long, default_value = "scenarios/linjiang")]
        scenario: std::path::PathBuf,
    },
    /// Gas detectors through a real MQTT broker: heartbeats of many detectors, then an alarm
    /// storm; ingest rate, alarm → case latency, duplicates, CPU and memory; optionally a
    /// kill -9 of the server during the storm.
    Mqtt {
        /// sqlite or postgres.
        #[arg(long, default_value = "sqlite")]
        backend: String,
        #[arg(long, env = "CIVICGRID_TEST_PG", default_value = "postgres://postgres@127.0.0.1:5432")]
        postgres: String,
        #[arg(long, default_value = "mqtt://127.0.0.1:1883")]
        broker: String,
        /// Registered detectors, each sending a heartbeat every `--heartbeat-seconds`.
        #[arg(long, default_value_t = 100_000)]
        devices: usize,
        #[arg(long, default_value_t = 300)]
        heartbeat_seconds: u64,
        /// Seconds of heartbeats measured before the storm.
        #[arg(long, default_value_t = 60)]
        soak_seconds: u64,
        /// Detectors raising a level-2 alarm within `--storm-seconds` (heartbeats go on).
        #[arg(long, default_value_t = 1_000)]
        storm: usize,
        #[arg(long, default_value_t = 10)]
        storm_seconds: u64,
        /// Kill the server with SIGKILL halfway through the storm and start it again.
        #[arg(long)]
        kill: bool,
        #[arg(long, default_value = "scenarios/linjiang")]
        scenario: std::path::PathBuf,
    },
    /// Statistics over a city-sized history: a synthetic city of many streets, millions of
    /// cases with their obligations; times the summary, the year-on-year panel and breakdowns.
    Stats {
        /// sqlite or postgres.
        #[arg(long, default_value = "postgres")]
        backend: String,
        #[arg(long, env = "CIVICGRID_TEST_PG", default_value = "postgres://postgres@127.0.0.1:5432")]
        postgres: String,
        #[arg(long, default_value_t = 5_000_000)]
        cases: usize,
        #[arg(long, default_value_t = 190)]
        streets: usize,
        /// Runs of each query (the first is cold).
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Keep the database afterwards.
        #[arg(long)]
        keep: bool,
        /// Time the queries on a database an earlier `--keep` run left (its URL).
        #[arg(long)]
        reuse: Option<String>,
        #[arg(long, default_value = "scenarios/linjiang")]
        scenario: std::path::PathBuf,
    },
    /// Case intake throughput and latency.
    Intake {
        /// sqlite, postgres, or both.
        #[arg(long, default_value = "both")]
        backend: String,
        /// PostgreSQL server (a fresh database is created on it).
        #[arg(long, env = "CIVICGRID_TEST_PG", default_value = "postgres://postgres@127.0.0.1:5432")]
        postgres: String,
        /// Comma-separated numbers of concurrent clients.
        #[arg(long, default_value = "1,8,64")]
        clients: String,
        /// Seconds of load per row, after one second of warm-up.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        #[arg(long, default_value = "scenarios/linjiang")]
        scenario: std::path::PathBuf,
    },
}

pub async fn run(cmd: BenchCommand) -> anyhow::Result<i32> {
    let (backend, postgres, clients, seconds, scenario) = match cmd {
        BenchCommand::Intake { backend, postgres, clients, seconds, scenario } => {
            (backend, postgres, clients, seconds, scenario)
        }
        BenchCommand::Deadlines { backend, postgres, open, due, window_seconds, scenario } => {
            return deadlines(&backend, &postgres, open, due, window_seconds, &scenario).await;
        }
        BenchCommand::Stats { backend, postgres, cases, streets, runs, keep, reuse, scenario } => {
            anyhow::ensure!(
                streets > 0 && streets < 1000 && runs > 0 && cases > 0,
                "--streets 1 to 999, --runs and --cases at least 1"
            );
            let plan = crate::bench_stats::Plan { cases, streets, runs, keep, reuse };
            return crate::bench_stats::run(&backend, &postgres, &plan, &scenario).await;
        }
        BenchCommand::Mqtt {
            backend,
            postgres,
            broker,
            devices,
            heartbeat_seconds,
            soak_seconds,
            storm,
            storm_seconds,
            kill,
            scenario,
        } => {
            let plan = crate::bench_mqtt::Plan { devices, heartbeat_seconds, soak_seconds, storm, storm_seconds, kill };
            return crate::bench_mqtt::run(&backend, &postgres, &broker, &plan, &scenario).await;
        }
    };
    let clients: Vec<usize> = clients
        .split(',')
        .map(|c| c.trim().parse())
        .collect::<Result<_, _>>()
        .context("--clients: numbers like 1,8,64")?;
    let backends: Vec<&str> = match backend.as_str() {
        "both" => vec!["sqlite", "postgres"],
        "sqlite" => vec!["sqlite"],
        "postgres" => vec!["postgres"],
        other => anyhow::bail!("unknown backend {other:?}"),
    };
    println!("| backend | clients | cases/s | p50 ms | p99 ms | max ms | errors |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for b in backends {
        let url = match b {
            "sqlite" => store::testing::fresh_sqlite_url(),
            _ => {
                std::env::set_var("CIVICGRID_TEST_PG", &postgres);
                store::testing::fresh_postgres_url().await
            }
        };
        let (addr, token, stop) = start_server(&url, &scenario).await?;
        for &n in &clients {
            let r = load(addr, &token, n, Duration::from_secs(seconds)).await?;
            println!(
                "| {b} | {n} | {:.0} | {:.2} | {:.2} | {:.2} | {} |",
                r.per_second, r.p50_ms, r.p99_ms, r.max_ms, r.errors
            );
        }
        let _ = stop.send(());
        tokio::time::sleep(Duration::from_millis(200)).await;
        store::testing::discard(&url).await;
    }
    Ok(0)
}

async fn start_server(
    url: &str,
    scenario: &std::path::Path,
) -> anyhow::Result<(std::net::SocketAddr, String, tokio::sync::oneshot::Sender<()>)> {
    let store = store::Store::open(url).await?;
    let sc = scenario::load(scenario)?;
    let now = chrono::Utc::now();
    store.load_reference(&sc.reference_data(), "bench", now).await?;
    let password = server::auth::new_secret();
    store
        .create_user(
            &store::NewUser {
                username: "bench".into(),
                password_hash: server::auth::hash_password(&password).map_err(anyhow::Error::msg)?,
                role: domain::role::Role::Dispatcher,
                display_name: "bench".into(),
                grid: None,
                station: None,
                phone: None,
            },
            "bench",
            now,
        )
        .await?;
    store.close().await;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let opts =
        server::ServeOptions { db: url.into(), bind: "127.0.0.1:0".into(), config: Default::default(), demo: None };
    tokio::spawn(async move {
        let r = server::serve(
            opts,
            move |addr, _| {
                let _ = ready_tx.send(addr);
            },
            async move { drop(rx.await) },
        )
        .await;
        if let Err(e) = r {
            eprintln!("bench server: {e:#}");
        }
    });
    let addr = ready_rx.await.context("the server did not start")?;
    let client = reqwest::Client::new();
    let login: serde_json::Value = client
        .post(format!("http://{addr}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "bench", "password": password}))
        .send()
        .await?
        .json()
        .await?;
    let token = login["token"].as_str().context("login gave no token")?.to_owned();
    Ok((addr, token, tx))
}

struct LoadResult {
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    errors: usize,
}

/// `clients` loops, each sending cases one after another for `duration` after a warm-up.
async fn load(
    addr: std::net::SocketAddr,
    token: &str,
    clients: usize,
    duration: Duration,
) -> anyhow::Result<LoadResult> {
    let warmup = Duration::from_secs(1);
    let start = Instant::now();
    let measure_from = start + warmup;
    let end = measure_from + duration;
    let mut tasks = vec![];
    for c in 0..clients {
        let client = reqwest::Client::builder().pool_max_idle_per_host(1).build()?;
        let url = format!("http://{addr}/api/v1/cases");
        let auth = format!("Bearer {token}");
        tasks.push(tokio::spawn(async move {
            let mut latencies = vec![];
            let mut errors = 0usize;
            let mut i = 0u64;
            while Instant::now() < end {
                i += 1;
                // Points spread over the main area so every case lands in a grid.
                let lat = 30.27 + ((c as u64 * 7919 + i * 104_729) % 1000) as f64 * 0.00004;
                let lng = 120.575 + ((c as u64 * 6151 + i * 7_561) % 1000) as f64 * 0.00004;
                let body = serde_json::json!({
                    "category": "SJ1002", "description": "bench: 工人反映工资被拖欠",
                    "location": {"lat": lat, "lng": lng}, "source": "hotline",
                    "reporter": {"name": "测试", "phone": "13800138000"},
                });
                let t = Instant::now();
                // Reading the body lets the connection be reused (keep-alive), as a real client would.
                let ok = match client.post(&url).header("authorization", &auth).json(&body).send().await {
                    Ok(r) => {
                        let created = r.status().as_u16() == 201;
                        r.bytes().await.map(|_| created)
                    }
                    Err(e) => Err(e),
                };
                let took = t.elapsed();
                if t >= measure_from && Instant::now() <= end {
                    match ok {
                        Ok(true) => latencies.push(took),
                        _ => errors += 1,
                    }
                }
            }
            (latencies, errors)
        }));
    }
    let mut all = vec![];
    let mut errors = 0;
    for t in tasks {
        let (l, e) = t.await?;
        all.extend(l);
        errors += e;
    }
    all.sort_unstable();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    Ok(LoadResult {
        per_second: all.len() as f64 / duration.as_secs_f64(),
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
        max_ms: all.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0),
        errors,
    })
}

/// Loads `open` open cases (all with deadlines ahead), `due` of them with their first alert
/// inside the window, serves the database from a child process for the window, and reports
/// the child's memory and how late each alert fired.
async fn deadlines(
    backend: &str,
    postgres: &str,
    open: usize,
    due: usize,
    window_seconds: u64,
    scenario: &std::path::Path,
) -> anyhow::Result<i32> {
    let fresh = || async {
        match backend {
            "postgres" => {
                std::env::set_var("CIVICGRID_TEST_PG", postgres);
                Ok(store::testing::fresh_postgres_url().await)
            }
            "sqlite" => Ok(store::testing::fresh_sqlite_url()),
            other => anyhow::bail!("unknown backend {other:?}"),
        }
    };
    let sc = scenario::load(scenario)?;
    let (url, empty_url) = (fresh().await?, fresh().await?);
    for u in [&url, &empty_url] {
        let s = store::Store::open(u).await?;
        s.load_reference(&sc.reference_data(), "bench", chrono::Utc::now()).await?;
        s.close().await;
    }
    // The window starts once the data is loaded; alerts are placed relative to it.
    let store = store::Store::open(&url).await?;
    let category = domain::codes::CategoryCode::parse("SJ1004").map_err(|e| anyhow::anyhow!(e.0))?;
    let grid = sc.grids[0].code.clone();
    let actor = domain::case::Actor { user_id: 0, username: "bench".into(), role: domain::role::Role::Dispatcher };
    let terms = domain::obligation::Terms {
        warn_fraction: server::config::EscalationConfig::default().warn_fraction,
        ..Default::default()
    };
    let load_started = std::time::Instant::now();
    // Loading 1M cases takes a while; the measured alerts are placed after it.
    let estimate = chrono::Duration::seconds(15 + (open as i64 / 25_000));
    let window_start = chrono::Utc::now() + estimate;
    let accept = chrono::Duration::minutes(1);
    let lead = chrono::Duration::milliseconds((accept.num_milliseconds() as f64 * terms.warn_fraction) as i64);
    const SLICE: usize = 50_000;
    let mut made = 0;
    while made < open {
        let n = SLICE.min(open - made);
        let cases: Vec<domain::case::Case> = (made..made + n)
            .map(|i| {
                // The first `due` cases warn inside the window; the rest days later.
                let warn_at = if i < due {
                    window_start
                        + chrono::Duration::milliseconds((i as i64 * window_seconds as i64 * 1000) / due.max(1) as i64)
                } else {
                    window_start + chrono::Duration::hours(2) + chrono::Duration::seconds((i % 86_400) as i64)
                };
                let created = warn_at - lead;
                let new = domain::case::NewCase {
                    category: category.clone(),
                    priority: domain::case::Priority::Normal,
                    source: domain::case::Source::Hotline,
                    location: domain::geo::LatLng::new(30.266, 120.57).expect("valid"),
                    grid: grid.clone(),
                    description: format!("bench {i}"),
                    address: None,
                    reporter_id: None,
                    reported_by: None,
                };
                let deadlines = sc.policy.deadlines(&category, domain::case::Priority::Normal, created);
                domain::case::create(0, new, deadlines, actor.clone(), created)
            })
            .collect();
        store.import_cases_with(&cases, |c| domain::case::obligations(c, &terms), "bench", chrono::Utc::now()).await?;
        made += n;
    }
    store.close().await;
    let loaded_in = load_started.elapsed();
    if chrono::Utc::now() > window_start {
        anyhow::bail!("loading took longer than planned ({loaded_in:?}); the window has passed");
    }
    let mut child = serve_child(&url)?;
    let mut baseline = serve_child(&empty_url)?;
    let wait =
        (window_start - chrono::Utc::now()).to_std().unwrap_or_default() + Duration::from_secs(window_seconds + 3);
    tokio::time::sleep(wait).await;
    let rss = rss_kib(child.id());
    let rss_empty = rss_kib(baseline.id());
    let _ = child.kill();
    let _ = baseline.kill();
    let _ = child.wait();
    let _ = baseline.wait();
    let store = store::Store::open(&url).await?;
    let mut lateness = vec![];
    for id in 1..=due as i64 {
        let c = store.get_case(id).await?;
        let fired = c.events.iter().find(|e| e.action == domain::case::ActionKind::Warn);
        if let Some(e) = fired {
            lateness.push((e.at - e.due_at.expect("alerts carry their due time")).num_milliseconds());
        }
    }
    let (owed, obligation_bytes) = store.obligation_footprint().await?;
    let db_bytes = match backend {
        "sqlite" => url.strip_prefix("sqlite://").and_then(|p| std::fs::metadata(p).ok()).map(|m| m.len()).unwrap_or(0),
        _ => 0,
    };
    store.close().await;
    lateness.sort_unstable();
    let pct = |p: f64| {
        lateness
            .get(((lateness.len() as f64 * p) as usize).min(lateness.len().saturating_sub(1)))
            .copied()
            .unwrap_or(-1)
    };
    println!(
        "backend: {backend}; open cases with their obligations: {open}; loaded in {:.1} s",
        loaded_in.as_secs_f64()
    );
    println!("alerts due in the {window_seconds} s window: {due}; fired: {}", lateness.len());
    println!("lateness ms: p50 {} · p99 {} · max {}", pct(0.5), pct(0.99), lateness.last().copied().unwrap_or(-1));
    println!(
        "server RSS: {} KiB with the open cases, {} KiB with none: {:.1} bytes per open case (obligations stay on disk)",
        rss,
        rss_empty,
        (rss as f64 - rss_empty as f64) * 1024.0 / open as f64
    );
    println!("open obligations: {owed} ({:.1} per open case)", owed as f64 / open as f64);
    if let Some(b) = obligation_bytes {
        println!(
            "obligations table with its indexes: {:.0} MiB, {:.0} bytes per open obligation on disk",
            b as f64 / 1048576.0,
            b as f64 / owed.max(1) as f64
        );
    }
    if db_bytes > 0 {
        println!(
            "database file: {:.0} MiB, {:.0} bytes per open case on disk",
            db_bytes as f64 / 1048576.0,
            db_bytes as f64 / open as f64
        );
    }
    store::testing::discard(&url).await;
    store::testing::discard(&empty_url).await;
    Ok(if lateness.len() == due { 0 } else { 1 })
}

pub(crate) fn serve_child(url: &str) -> anyhow::Result<std::process::Child> {
    Ok(std::process::Command::new(std::env::current_exe()?)
        .args(["serve", "--db", url, "--bind", "127.0.0.1:0"])
        .env("RUST_LOG", "warn,sqlx=error")
        .stdout(std::process::Stdio::null())
        .spawn()?)
}

/// Resident memory of a process, from /proc.
pub(crate) fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}
