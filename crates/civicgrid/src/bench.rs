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
    let BenchCommand::Intake { backend, postgres, clients, seconds, scenario } = cmd;
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
