//! The civicgrid binary: wiring only. Each subcommand parses its flags, calls into the
//! library crates and reports.

mod bench;
mod bench_mqtt;
mod bench_stats;

/// mimalloc: the server allocates many small, short-lived buffers across threads (JSON,
/// rows), where it measured clearly faster than the system allocator in `bench intake`.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use std::io::{BufRead, Write};
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "civicgrid", version, about = "Command platform of a street office (街道指挥平台)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the server.
    Serve {
        #[arg(long, env = "CIVICGRID_DB", default_value = "sqlite://civicgrid.db")]
        db: String,
        #[arg(long, env = "CIVICGRID_BIND", default_value = "127.0.0.1:8080")]
        bind: String,
        #[arg(long, env = "CIVICGRID_CONFIG")]
        config: Option<PathBuf>,
        /// Load the Linjiang demo into an empty database, with demo accounts.
        #[arg(long)]
        demo: bool,
        /// The scenario folder the demo is loaded from.
        #[arg(long, env = "CIVICGRID_SCENARIO", default_value = "scenarios/linjiang")]
        scenario: PathBuf,
        /// Days of synthetic history in the demo (two years by default).
        #[arg(long, env = "CIVICGRID_DEMO_HISTORY_DAYS", default_value_t = 730)]
        demo_history_days: u32,
    },
    /// Accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Open311 API keys for partner systems.
    Apikey {
        #[command(subcommand)]
        command: ApikeyCommand,
    },
    /// Gas detectors.
    Device {
        #[command(subcommand)]
        command: DeviceCommand,
    },
    /// Publishes a day of realistic detector traffic (heartbeats, the occasional leak, a
    /// fault) for the registered detectors to an MQTT broker, sped up by `--speed`.
    GasSim {
        #[arg(long, env = "CIVICGRID_DB")]
        db: String,
        #[arg(long, default_value = "mqtt://127.0.0.1:1883")]
        mqtt: String,
        /// Simulated seconds per real second.
        #[arg(long, default_value_t = 1.0)]
        speed: f64,
        /// Real seconds to run (0 = until stopped).
        #[arg(long, default_value_t = 0)]
        seconds: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Writes a consistent backup of a (running) database.
    Backup {
        #[arg(long, env = "CIVICGRID_DB")]
        db: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// Restores a backup into an empty database.
    Restore {
        #[arg(long, env = "CIVICGRID_DB")]
        db: String,
        #[arg(long)]
        from: PathBuf,
    },
    /// Builds a road graph from an OpenStreetMap PBF extract, for `[dispatch] roads` or a
    /// scenario's `roads.graph`.
    ImportOsm {
        #[arg(long)]
        pbf: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
    /// Simulates the scenario's demand and responders under a dispatch policy; prints one
    /// JSON object of metrics.
    Sim {
        #[arg(long, default_value = "scenarios/linjiang")]
        scenario: PathBuf,
        /// closest-idle, coverage, triage (the default), or offline (a bound).
        #[arg(long, default_value = "default")]
        policy: String,
        #[arg(long, default_value_t = 7)]
        days: u32,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Runs this many seeds from `--seed` on and reports every call of them pooled.
        #[arg(long, default_value_t = 1)]
        seeds: u64,
        /// Fits the demand from this database's cases (grids, hours, categories, times on
        /// scene) instead of the scenario's.
        #[arg(long)]
        history_db: Option<String>,
        /// Days of history, back from now, for `--history-db`.
        #[arg(long, default_value_t = 90)]
        history_days: i64,
        /// Multiplies the scenario's demand (3 = a busy day).
        #[arg(long, default_value_t = 1.0)]
        demand_scale: f64,
        /// Print JSON (the only output format).
        #[arg(long)]
        json: bool,
    },
    /// Benchmarks.
    Bench {
        #[command(subcommand)]
        command: bench::BenchCommand,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Creates an account; the password is read from standard input.
    Add {
        #[arg(long, env = "CIVICGRID_DB")]
        db: String,
        #[arg(long)]
        username: String,
        #[arg(long)]
        role: String,
        #[arg(long)]
        grid: Option<String>,
        #[arg(long)]
        station: Option<String>,
        /// The name shown to others; the username when absent.
        #[arg(long)]
        name: Option<String>,
    },
    /// Sets a new password, read from standard input; the account's sessions end.
    Passwd {
        #[arg(long, env = "CIVICGRID_DB")]
        db: String,
        #[arg(long)]
        username: String,
    },
    /// Disables an account: it cannot sign in, and its sessions end.
    Disable {
        #[arg(long, env = "CIVICGRID_DB")]
        db: String,
        #[arg(long)]
        username: String,
    },
    /// Enables a disabled account.
    Enable {
        #[arg(long, env = "CIVICGRID_DB")]
        db: String,
        #[arg(long)]
        username: String,
    },
    /// Ends every session of an account (a lost phone).
    Revoke {
        #[arg(long, env = "CIVICGRID_DB")]
        db: String,
        #[arg(long)]
        username: String,
    },
}

#[derive(Subcommand)]
enum DeviceCommand {
    /// Registers detectors from a CSV file (header
    /// `device_id,vendor,model,kind,address,lat,lng,owner_name,owner_phone,installed_on`);
    /// detectors known already have their registry fields updated.
    Import {
        #[arg(long, env = "CIVICGRID_DB")]
        db: String,
        #[arg(long)]
        csv: PathBuf,
    },
}

#[derive(Subcommand)]
enum ApikeyCommand {
    /// Creates a key and prints it (only its hash is stored).
    Add {
        #[arg(long, env = "CIVICGRID_DB")]
        db: String,
        #[arg(long)]
        name: String,
        /// What the key may read: `public` (the public categories, as anyone sees them),
        /// `all` (every case, with staff detail: a city 12345 hotline) or category codes
        /// separated by commas.
        #[arg(long, default_value = "public")]
        scope: String,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Checks the hash chain; exit 0 with the count when intact, 1 naming the first bad record.
    Verify {
        #[arg(long, env = "CIVICGRID_DB")]
        db: String,
    },
}

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=error".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    match runtime.block_on(run(cli)) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            // One line, with the causes, for people and scripts.
            let chain: Vec<String> = e.chain().map(|c| c.to_string()).collect();
            eprintln!("civicgrid: {}", chain.join(": "));
            std::process::exit(2);
        }
    }
}

async fn open(db: &str) -> anyhow::Result<store::Store> {
    store::Store::open(db).await.with_context(|| format!("cannot open the database {}", server::redact(db)))
}

async fn run(cli: Cli) -> anyhow::Result<i32> {
    match cli.command {
        Command::Serve { db, bind, config, demo, scenario, demo_history_days } => {
            let config = match config {
                Some(p) => server::config::Config::load(&p).map_err(anyhow::Error::msg)?,
                None => server::config::Config::default(),
            };
            let opts = server::ServeOptions {
                db,
                bind,
                config,
                demo: demo
                    .then(|| server::demo::DemoOptions { scenario_dir: scenario, history_days: demo_history_days }),
            };
            server::serve(
                opts,
                |addr, report| {
                    println!("civicgrid is serving on http://{addr}/");
                    if let Some(r) = report {
                        if r.loaded_now {
                            println!(
                                "Loaded the Linjiang demo: {} cases of history, {} under way now, {} petitions.",
                                r.history_cases, r.live_cases, r.petitions
                            );
                        }
                        println!("Demo logins (password {}):", server::demo::DEMO_PASSWORD);
                        for (user, role, name) in &r.accounts {
                            println!("  {user:<12} {:<20} {name}", role.as_str());
                        }
                    }
                    let _ = std::io::stdout().flush();
                },
                shutdown_signal(),
            )
            .await?;
            Ok(0)
        }
        Command::User { command: UserCommand::Add { db, username, role, grid, station, name } } => {
            let role = domain::role::Role::parse(&role).with_context(|| {
                let all: Vec<&str> = domain::role::Role::ALL.iter().map(|r| r.as_str()).collect();
                format!("unknown role {role:?}; one of {}", all.join(", "))
            })?;
            if let Some(g) = &grid {
                domain::codes::GridCode::parse(g).map_err(|e| anyhow::anyhow!(e.0))?;
            }
            if username.is_empty()
                || username.len() > 64
                || !username.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
            {
                anyhow::bail!("a username has 1 to 64 letters, digits, dots, dashes or underscores");
            }
            let password = read_password()?;
            server::auth::password_policy(&password, &username, role).map_err(anyhow::Error::msg)?;
            let hash = server::auth::hash_password(&password).map_err(anyhow::Error::msg)?;
            let store = open(&db).await?;
            let id = store
                .create_user(
                    &store::NewUser {
                        display_name: name.unwrap_or_else(|| username.clone()),
                        username: username.clone(),
                        password_hash: hash,
                        role,
                        grid,
                        station,
                        phone: None,
                    },
                    "cli",
                    chrono::Utc::now(),
                )
                .await?;
            store.close().await;
            println!("created user {username} (id {id}, role {})", role.as_str());
            Ok(0)
        }
        Command::User { command: UserCommand::Passwd { db, username } } => {
            let store = open(&db).await?;
            let user = account(&store, &username).await?;
            let password = read_password()?;
            server::auth::password_policy(&password, &username, user.role).map_err(anyhow::Error::msg)?;
            let hash = server::auth::hash_password(&password).map_err(anyhow::Error::msg)?;
            store.change_user(user.id, store::UserChange::Password(hash), "cli", chrono::Utc::now()).await?;
            store.close().await;
            println!("password of {username} changed; its sessions ended");
            Ok(0)
        }
        Command::User { command: UserCommand::Disable { db, username } } => {
            change(&db, &username, store::UserChange::Disable, "disabled; its sessions ended").await
        }
        Command::User { command: UserCommand::Enable { db, username } } => {
            change(&db, &username, store::UserChange::Enable, "enabled").await
        }
        Command::User { command: UserCommand::Revoke { db, username } } => {
            change(&db, &username, store::UserChange::RevokeSessions, "signed out everywhere").await
        }
        Command::Apikey { command: ApikeyCommand::Add { db, name, scope } } => {
            server::open311::KeyScope::parse(&scope).map_err(anyhow::Error::msg)?;
            let store = open(&db).await?;
            let key = server::auth::new_secret();
            store
                .create_api_key(&name, &server::auth::secret_hash(&key), scope.trim(), "cli", chrono::Utc::now())
                .await?;
            store.close().await;
            println!("{key}");
            Ok(0)
        }
        Command::Audit { command: AuditCommand::Verify { db } } => {
            let store = open(&db).await?;
            let report = store.verify_audit().await?;
            let keyed_from = store.audit_keyed_from().await?;
            store.close().await;
            match report {
                store::AuditReport::Intact { records } => {
                    println!("audit log intact: {records} records checked, every case as its last record says");
                    if keyed_from > 1 {
                        println!("records 1 to {} were written before the chain was keyed", keyed_from - 1);
                    }
                    Ok(0)
                }
                store::AuditReport::Broken { seq, reason } => {
                    println!("audit log broken at record {seq}: {reason}");
                    Ok(1)
                }
            }
        }
        Command::Device { command: DeviceCommand::Import { db, csv } } => {
            let text = std::fs::read_to_string(&csv).with_context(|| format!("cannot read {}", csv.display()))?;
            let store = open(&db).await?;
            let area = app::served_area(&store.grids().await?);
            let done = app::gas::import(&store, &area, &text, "cli", chrono::Utc::now()).await;
            store.close().await;
            match done {
                Ok((added, updated)) => {
                    println!(
                        "imported {} detectors from {}: {added} new, {updated} updated",
                        added + updated,
                        csv.display()
                    );
                    Ok(0)
                }
                Err(store::StoreError::Invalid(e)) => {
                    eprintln!("{}: {e}", csv.display());
                    Ok(2)
                }
                Err(e) => Err(e.into()),
            }
        }
        Command::GasSim { db, mqtt, speed, seconds, seed } => {
            let store = open(&db).await?;
            let devices = store.gas_devices(None, None, store::gas::GAS_PAGE_MAX).await?;
            store.close().await;
            let cfg = server::config::MqttConfig::new(&mqtt);
            let (host, port) = cfg.broker().map_err(anyhow::Error::msg)?;
            let run = server::gas_sim::Plan { speed, seed, ..Default::default() };
            let stop = async move {
                if seconds > 0 {
                    tokio::time::sleep(std::time::Duration::from_secs(seconds)).await
                } else {
                    shutdown_signal().await
                }
            };
            let sent =
                server::gas_sim::publish(&host, port, devices.into_iter().map(|d| d.device).collect(), run, stop)
                    .await?;
            println!(
                "published {} messages ({} heartbeats, {} alarm readings, {} faults)",
                sent.total(),
                sent.heartbeats,
                sent.alarms,
                sent.faults
            );
            Ok(0)
        }
        Command::Backup { db, out } => {
            let store = open(&db).await?;
            let tmp = out.with_extension("partial");
            let file = std::fs::File::create(&tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
            let mut w = std::io::BufWriter::new(file);
            let rows = store.backup(&mut w).await?;
            w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
            std::fs::rename(&tmp, &out)?;
            store.close().await;
            println!("backup written to {}: {rows} rows", out.display());
            Ok(0)
        }
        Command::Restore { db, from } => {
            let file = std::fs::File::open(&from).with_context(|| format!("cannot read {}", from.display()))?;
            let store = open(&db).await?;
            let rows = store.restore(&mut std::io::BufReader::new(file)).await?;
            store.close().await;
            println!("restored {rows} rows from {}", from.display());
            Ok(0)
        }
        Command::Sim { scenario, policy, days, seed, seeds, history_db, history_days, demand_scale, json: _ } => {
            let parsed = sim::Policy::parse(&policy).with_context(|| {
                format!("unknown policy {policy:?}: closest-idle, coverage, triage, default or offline")
            })?;
            if !(demand_scale > 0.0 && demand_scale <= 100.0) || days == 0 || days > 366 {
                anyhow::bail!("--demand-scale must be in (0, 100] and --days in 1..=366");
            }
            let mut sc = scenario::load(&scenario)?;
            if let Some(db) = history_db {
                if !(1..=3650).contains(&history_days) {
                    anyhow::bail!("--history-days must be in 1..=3650");
                }
                let store = open(&db).await?;
                let now = chrono::Utc::now();
                let history = store.case_history(now - chrono::Duration::days(history_days), now).await?;
                store.close().await;
                let seen = app::whatif::seen(&history);
                let (fitted, what) = sim::fit::fit(&sc, &seen, history_days as f64).map_err(anyhow::Error::msg)?;
                eprintln!(
                    "demand fitted from {} cases of the last {history_days} days: {:.1} a day; times on scene fitted for {} categories",
                    what.cases, what.cases_per_day, what.on_scene_fitted
                );
                sc = fitted;
            }
            let travel = sim::travel_for(&sc).map_err(anyhow::Error::msg)?;
            let options = sim::Options { policy: parsed, days, seed, demand_scale };
            if !(1..=100).contains(&seeds) {
                anyhow::bail!("--seeds must be in 1..=100");
            }
            let (mut metrics, bound) = sim::run_seeds(&sc, &options, seeds, travel.as_ref());
            // The policy as asked for: `default` stays `default`.
            metrics.policy = policy.clone();
            if let Some(b) = bound {
                eprintln!(
                    "offline: at least {} of {} calls late for any policy; a hindsight schedule (cores apart) found with {} late",
                    b.late, metrics.cases, b.late_found
                );
            }
            println!("{}", serde_json::to_string(&metrics)?);
            Ok(0)
        }
        Command::ImportOsm { pbf, out } => {
            let started = std::time::Instant::now();
            let mut bar = Progress::new();
            let (file, summary) = dispatch::osm::import_pbf(&pbf, &mut |p| bar.show(&p))?;
            bar.done();
            dispatch::road::RoadGraph::save(&file, &out)?;
            println!(
                "{}: {} blocks, {} nodes and {} ways read, {} roads; graph of {} nodes and {} edges written to {} in {:.1} s{}",
                pbf.display(),
                summary.blocks,
                summary.nodes_read,
                summary.ways_read,
                summary.road_ways,
                summary.graph_nodes,
                summary.graph_edges,
                out.display(),
                started.elapsed().as_secs_f64(),
                if summary.missing_refs > 0 {
                    format!(" ({} references to nodes outside the extract skipped)", summary.missing_refs)
                } else {
                    String::new()
                }
            );
            Ok(0)
        }
        Command::Bench { command } => bench::run(command).await,
    }
}

/// A progress bar on standard error: redrawn in place on a terminal, a line per tenth
/// otherwise (logs, CI).
struct Progress {
    tty: bool,
    last_tenth: u64,
}

impl Progress {
    fn new() -> Self {
        use std::io::IsTerminal;
        Self { tty: std::io::stderr().is_terminal(), last_tenth: u64::MAX }
    }

    fn show(&mut self, p: &dispatch::osm::Progress) {
        let mut err = std::io::stderr();
        match p {
            dispatch::osm::Progress::Reading { bytes, total } => {
                let pct = if *total > 0 { bytes * 100 / total } else { 100 };
                const WIDTH: u64 = 30;
                let filled = (pct * WIDTH / 100) as usize;
                let line = format!(
                    "reading [{}{}] {pct:>3}% {:.1}/{:.1} MB",
                    "#".repeat(filled),
                    "-".repeat(WIDTH as usize - filled),
                    *bytes as f64 / 1e6,
                    *total as f64 / 1e6
                );
                if self.tty {
                    let _ = write!(err, "\r{line}");
                } else if pct / 10 != self.last_tenth {
                    self.last_tenth = pct / 10;
                    let _ = writeln!(err, "{line}");
                }
            }
            dispatch::osm::Progress::Stage(s) => {
                let _ = writeln!(err, "{}{s} …", if self.tty { "\n" } else { "" });
            }
        }
    }

    fn done(&mut self) {
        let _ = writeln!(std::io::stderr(), "done");
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// A password from the first line of standard input.
fn read_password() -> anyhow::Result<String> {
    let mut password = String::new();
    std::io::stdin().lock().read_line(&mut password).context("reading the password from standard input")?;
    Ok(password.trim_end_matches(['\r', '\n']).to_owned())
}

async fn account(store: &store::Store, username: &str) -> anyhow::Result<store::User> {
    match store.user_by_name(username).await {
        Ok(u) => Ok(u),
        Err(store::StoreError::NotFound) => anyhow::bail!("no account {username:?}"),
        Err(e) => Err(e.into()),
    }
}

/// Disables, enables or signs out an account, audited as the command line's doing.
async fn change(db: &str, username: &str, change: store::UserChange, done: &str) -> anyhow::Result<i32> {
    let store = open(db).await?;
    let user = account(&store, username).await?;
    store.change_user(user.id, change, "cli", chrono::Utc::now()).await?;
    store.close().await;
    println!("{username} {done}");
    Ok(0)
}
