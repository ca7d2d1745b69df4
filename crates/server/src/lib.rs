//! The civicgrid server.
//!
//! # Layout
//! - [`router`] builds every route from an [`AppState`] with no side effects, so tests can
//!   serve it on port 0. [`serve`] opens the store, optionally loads the demo, binds and runs
//!   until the shutdown future completes.
//! - `api/`: the JSON API under `/api/v1` (cases, reference data, statistics); handlers turn
//!   HTTP into domain calls and back, with no SQL.
//! - [`wire`]: request and response types — the only place that knows the JSON shape.
//! - [`auth`]: passwords, tokens and the [`auth::Session`] extractor.
//! - [`error`]: the one error type and the contract's error body.
//! - [`config`]: the TOML configuration; [`demo`]: the Linjiang demo loader.
//! - [`openapi`]: `/openapi.json`, generated from the handlers' annotations.
//!
//! A case creation flows: `POST /api/v1/cases` → [`api::cases::create`] parses and checks
//! the body against the catalogue and the served area → the deadline policy gives its
//! deadlines → `Store::create_case` queues it for group commit → 201 once durable.

pub mod api;
pub mod auth;
pub mod config;
pub mod demo;
pub mod error;
pub mod openapi;
pub mod wire;

use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::serve::ListenerExt;
use axum::Router;
use domain::category::Category;
use domain::codes::{CategoryCode, GridCode};
use domain::deadline::DeadlinePolicy;
use domain::geo::ServedArea;
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use store::{Grid, Station, Store};

/// Largest JSON body the API reads: a case with a 4,000-character description and its
/// fields fits many times over; anything larger is a mistake or an attack.
pub const API_BODY_BYTES_MAX: usize = 64 * 1024;

/// Everything a request handler needs; shared by all requests.
pub struct AppState {
    pub store: Store,
    pub policy: DeadlinePolicy,
    pub area: ServedArea,
    pub categories: BTreeMap<CategoryCode, Category>,
    pub grids: BTreeMap<GridCode, Grid>,
    pub stations: Vec<Station>,
    /// The grids each station covers, for station-scoped roles.
    pub station_grids: HashMap<String, Vec<GridCode>>,
    /// Recently checked sessions, so a busy client does not cost a database read per request.
    pub sessions: auth::SessionCache,
}

impl AppState {
    /// Reads the reference data the handlers use from the store.
    pub async fn load(store: Store, config: &config::Config) -> anyhow::Result<Self> {
        let categories = store.categories().await?;
        let policy = config.policy(&categories).map_err(anyhow::Error::msg)?;
        let grids = store.grids().await?;
        let mut station_grids: HashMap<String, Vec<GridCode>> = HashMap::new();
        for g in &grids {
            station_grids.entry(g.station.clone()).or_default().push(g.code.clone());
        }
        Ok(Self {
            area: scenario_area(&grids),
            policy,
            categories: categories.into_iter().map(|c| (c.code.clone(), c)).collect(),
            grids: grids.into_iter().map(|g| (g.code.clone(), g)).collect(),
            stations: store.stations().await?,
            station_grids,
            store,
            sessions: auth::SessionCache::default(),
        })
    }
}

fn scenario_area(grids: &[Grid]) -> ServedArea {
    ServedArea::new(
        grids.iter().filter_map(|g| domain::geo::Polygon::new(g.ring.clone()).map(|p| (g.code.clone(), p))).collect(),
    )
}

/// All routes. No side effects: binding and background work belong to [`serve`].
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/health", get(api::health))
        .route("/openapi.json", get(openapi::spec))
        .nest("/api/v1", api::routes())
        .layer(DefaultBodyLimit::max(API_BODY_BYTES_MAX))
        .with_state(state)
}

/// How to run a server.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub db: String,
    pub bind: String,
    pub config: config::Config,
    /// Load the Linjiang demo from this scenario folder into an empty database.
    pub demo: Option<demo::DemoOptions>,
}

/// Opens the store, loads the demo if asked, binds and serves until `shutdown` completes.
/// `on_ready` gets the bound address (the port may have been 0).
pub async fn serve(
    opts: ServeOptions,
    on_ready: impl FnOnce(SocketAddr, Option<&demo::DemoReport>),
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let store = Store::open(&opts.db)
        .await
        .map_err(|e| anyhow::anyhow!("cannot open the database {}: {e}", redact(&opts.db)))?;
    let report = match &opts.demo {
        Some(d) => Some(demo::load(&store, d, chrono::Utc::now()).await?),
        None => {
            demo::disable_demo_accounts(&store).await?;
            None
        }
    };
    let state = Arc::new(AppState::load(store.clone(), &opts.config).await?);
    let listener = tokio::net::TcpListener::bind(&opts.bind)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", opts.bind))?;
    let addr = listener.local_addr()?;
    on_ready(addr, report.as_ref());
    // Small JSON answers go out at once instead of waiting for the peer's ACK (Nagle).
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, router(state)).with_graceful_shutdown(shutdown).await?;
    store.close().await;
    Ok(())
}

/// A database URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}
