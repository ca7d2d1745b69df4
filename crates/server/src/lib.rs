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
mod demo_community;
mod demo_deliberation;
mod demo_food;
pub mod demo_gas;
mod demo_mediations;
mod demo_petitions;
pub mod error;
pub mod gas_sim;
pub mod http;
pub mod images;
pub mod mqtt;
pub mod open311;
pub mod openapi;
pub mod stream;
pub mod throttle;
pub mod web;
pub mod wire;

pub use app::{clock, dispatching, intake, notify, runner, workflow};

use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::Router;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use store::Store;

/// Largest JSON body the API reads: a case with a 4,000-character description and its
/// fields fits many times over; anything larger is a mistake or an attack.
pub const API_BODY_BYTES_MAX: usize = 64 * 1024;

/// Everything a request handler needs; shared by all requests: the application layer
/// ([`app::App`], reached through `Deref`: `state.store`, `state.clock`…) and what only the
/// HTTP side keeps.
pub struct AppState {
    pub app: Arc<app::App>,
    /// Recently checked sessions, so a busy client does not cost a database read per request.
    pub sessions: auth::SessionCache,
    /// The node's broadcast of changes to open streams.
    pub hub: stream::Hub,
    pub map: config::MapConfig,
    /// Reports per source per hour through Open311.
    pub report_limits: open311::ReportLimits,
    /// Demo mode: sign-in codes are shown on screen, since no SMS gateway exists.
    pub show_otp_codes: bool,
    /// Failed sign-ins per account and address.
    pub login_throttle: throttle::LoginThrottle,
    /// Password checks running at once (argon2 holds ~19 MiB each).
    pub hashing: tokio::sync::Semaphore,
    /// The senders of messages that go out at once instead of through the outbox (sign-in
    /// codes, which must never be stored).
    pub senders: notify::Senders,
    /// What the MQTT ingest has seen since start.
    pub mqtt: Arc<mqtt::Stats>,
    /// The roads drawn under every map (the base map), when the road graph came from GeoJSON.
    pub basemap: Arc<Vec<api::reference::BaseLine>>,
}

impl std::ops::Deref for AppState {
    type Target = app::App;
    fn deref(&self) -> &app::App {
        &self.app
    }
}

/// Password checks at once: a 2-core machine gains nothing from more, and each holds
/// ~19 MiB, so a burst of sign-ins queues instead of taking gigabytes.
pub const HASHING_CONCURRENT_MAX: usize = 4;

impl AppState {
    /// Reads the reference data the handlers use from the store.
    pub async fn load(store: Store, config: &config::Config) -> anyhow::Result<Self> {
        let categories = store.categories().await?;
        let policy = config.policy(&categories).map_err(anyhow::Error::msg)?;
        let petition_limits = config.petitions.limits(&policy.calendar).map_err(anyhow::Error::msg)?;
        let mediation_limits = config.mediation.limits(&policy.calendar).map_err(anyhow::Error::msg)?;
        let food_rules = config.food.rules().map_err(anyhow::Error::msg)?;
        let food_checklists = config.food.checklists().map_err(anyhow::Error::msg)?;
        let gas = config.gas.set_points().map_err(anyhow::Error::msg)?;
        let mut app = app::App::load(store, categories, policy, config.escalation.clone(), config.dispatch.clone())
            .await
            .map_err(anyhow::Error::msg)?;
        app.petition_limits = petition_limits;
        app.mediation_limits = mediation_limits;
        app.food_rules = food_rules;
        app.food_checklists = food_checklists;
        app.gas = gas;
        app.gas_company_phone = config.gas.company_phone.clone();
        Self {
            app: Arc::new(app),
            sessions: auth::SessionCache::default(),
            hub: stream::Hub::default(),
            map: config.map.clone(),
            report_limits: open311::ReportLimits::default(),
            show_otp_codes: false,
            login_throttle: Default::default(),
            hashing: tokio::sync::Semaphore::new(HASHING_CONCURRENT_MAX),
            senders: notify::default_senders(),
            mqtt: Arc::default(),
            basemap: Arc::default(),
        }
        .with_roads(config.dispatch.roads.as_deref())
    }

    /// The application layer, to change before the state is shared (tests set the clock).
    pub fn app_mut(&mut self) -> &mut app::App {
        Arc::get_mut(&mut self.app).expect("the application layer is changed before it is shared")
    }

    /// Uses the road graph at `path` for travel times (none: the straight-line model).
    pub fn with_roads(mut self, path: Option<&std::path::Path>) -> anyhow::Result<Self> {
        if let Some(path) = path {
            let g = dispatch::road::RoadGraph::load(path, dispatch::TravelModel::default())?;
            tracing::info!(nodes = g.stats().nodes, edges = g.stats().edges, file = %path.display(), "road graph loaded");
            self.app_mut().travel = Arc::new(g);
            if path.extension().is_some_and(|e| e == "geojson" || e == "json") {
                self.basemap = Arc::new(api::reference::base_lines(path)?);
            }
        }
        Ok(self)
    }
}

/// All routes. No side effects: binding and background work belong to [`serve`].
pub fn router(state: Arc<AppState>) -> Router {
    let csp = content_security_policy(state.map.tile_url.as_deref());
    let clock = state.clock.clone();
    Router::new()
        .route("/health", get(api::health))
        .route("/openapi.json", get(openapi::spec))
        .nest("/api/v1", api::routes())
        .merge(web::routes())
        .merge(open311::routes())
        .layer(DefaultBodyLimit::max(API_BODY_BYTES_MAX))
        .layer(axum::middleware::from_fn(move |req: axum::extract::Request, next: axum::middleware::Next| {
            let (csp, clock) = (csp.clone(), clock.clone());
            async move { security_headers(req, next, csp, clock).await }
        }))
        .with_state(state)
}

/// Pages run only this site's scripts, talk only to this site and draw map tiles only from
/// the configured tile server; nobody frames them.
fn content_security_policy(tile_url: Option<&str>) -> axum::http::HeaderValue {
    let tiles = tile_url
        .and_then(|u| {
            let (scheme, rest) = u.split_once("://")?;
            let host = rest.split('/').next()?.replace("{s}", "*");
            Some(format!(" {scheme}://{host}"))
        })
        .unwrap_or_default();
    let policy = format!(
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:{tiles}; \
         connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    );
    axum::http::HeaderValue::from_str(&policy)
        .unwrap_or_else(|_| axum::http::HeaderValue::from_static("default-src 'self'"))
}

/// The headers every answer carries; answers of the API (personal data) are never stored
/// by a browser or proxy, and say the server's time (`x-server-time`, milliseconds since the
/// epoch) so pages count down by the street's clock, not the desk computer's.
async fn security_headers(
    req: axum::extract::Request,
    next: axum::middleware::Next,
    csp: axum::http::HeaderValue,
    clock: Arc<dyn clock::Clock>,
) -> axum::response::Response {
    use axum::http::{header, HeaderValue, StatusCode};
    let api = req.uri().path().starts_with("/api/") || req.uri().path().starts_with("/open311/");
    let mut r = next.run(req).await;
    let h = r.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::CONTENT_SECURITY_POLICY, csp);
    h.entry(header::X_FRAME_OPTIONS).or_insert(HeaderValue::from_static("DENY"));
    if api {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        h.insert("x-server-time", HeaderValue::from(clock.now().timestamp_millis()));
    }
    // Refused before its body was read: the rest of the body may still be on the way, so the
    // connection is not reused (a client would otherwise send its next request into it).
    if matches!(r.status(), StatusCode::PAYLOAD_TOO_LARGE | StatusCode::REQUEST_TIMEOUT) {
        r.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    r
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
    let store = Store::open_keyed(&opts.db, opts.config.audit.key()?)
        .await
        .map_err(|e| anyhow::anyhow!("cannot open the database {}: {e}", redact(&opts.db)))?;
    let report = match &opts.demo {
        Some(d) => Some(demo::load(&store, d, chrono::Utc::now()).await?),
        None => {
            demo::disable_demo_accounts(&store).await?;
            None
        }
    };
    let mut state = AppState::load(store.clone(), &opts.config).await?;
    state.show_otp_codes = opts.demo.is_some();
    // The demo's scenario brings its roads unless the configuration names a graph.
    if let (Some(d), None) = (&opts.demo, &opts.config.dispatch.roads) {
        let roads = scenario::roads_file(&d.scenario_dir);
        state = state.with_roads(roads.as_deref())?;
    }
    let state = Arc::new(state);
    reindex_alerts(&state).await?;
    let mut workers = Workers::spawn(state.clone(), notify::default_senders());
    if opts.demo.is_some() {
        workers.add_demo_crew(state.app.clone());
    }
    if let Some(mqtt) = mqtt_config(&opts).await {
        mqtt.options().map_err(anyhow::Error::msg)?;
        let (host, port) = mqtt.broker().map_err(anyhow::Error::msg)?;
        workers.add_mqtt(state.app.clone(), mqtt, state.mqtt.clone());
        // The demo's detectors report live through the broker: heartbeats now, the first
        // leak or fault after ten quiet minutes.
        if opts.demo.is_some() {
            let devices = state
                .store
                .gas_devices(None, None, store::gas::GAS_PAGE_MAX)
                .await?
                .into_iter()
                .map(|d| d.device)
                .collect();
            let plan =
                gas_sim::Plan { quiet_start_seconds: 600.0, seed: std::process::id() as u64, ..Default::default() };
            workers.add_gas_sim(host, port, devices, plan);
        }
    }
    let listener = tokio::net::TcpListener::bind(&opts.bind)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", opts.bind))?;
    let addr = listener.local_addr()?;
    on_ready(addr, report.as_ref());
    // When shutdown is asked, live streams end first, so they do not hold it up.
    let closing = state.clone();
    let shutdown = async move {
        shutdown.await;
        closing.hub.close();
    };
    http::serve(listener, router(state), http::HttpLimits::default(), shutdown).await;
    workers.stop().await;
    store.close().await;
    Ok(())
}

/// The background work of a node: the deadline runner, the outbox sender and the stream hub.
pub struct Workers {
    stop: tokio::sync::watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Workers {
    pub fn spawn(state: Arc<AppState>, senders: notify::Senders) -> Self {
        let (stop, rx) = tokio::sync::watch::channel(false);
        let tasks = vec![
            tokio::spawn(runner::run(state.app.clone(), rx.clone())),
            tokio::spawn(notify::run(state.store.clone(), senders, state.clock.clone(), rx.clone())),
            tokio::spawn(stream::run_hub(state, rx)),
        ];
        Self { stop, tasks }
    }

    /// The demo's crew answering its assignments (`serve --demo` only).
    pub fn add_demo_crew(&mut self, app: Arc<app::App>) {
        self.tasks.push(tokio::spawn(app::demo_crew::run(app, self.stop.subscribe())));
    }

    /// Sensor ingest from the MQTT broker.
    pub fn add_mqtt(&mut self, app: Arc<app::App>, cfg: config::MqttConfig, stats: Arc<mqtt::Stats>) {
        self.tasks.push(tokio::spawn(mqtt::run(app, cfg, stats, self.stop.subscribe())));
    }

    /// The demo's detector traffic (`serve --demo` with a broker).
    pub fn add_gas_sim(&mut self, host: String, port: u16, devices: Vec<domain::gas::Device>, plan: gas_sim::Plan) {
        let mut stop = self.stop.subscribe();
        self.tasks.push(tokio::spawn(async move {
            let until = async move {
                let _ = stop.changed().await;
            };
            if let Err(e) = gas_sim::publish(&host, port, devices, plan, until).await {
                tracing::warn!(error = %e, "the demo's detector traffic stopped");
            }
        }));
    }

    /// Stops after the work under way.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

/// The broker to ingest from: the configured one, or for the demo the local broker when
/// one answers (a session of its own that keeps nothing while away).
async fn mqtt_config(opts: &ServeOptions) -> Option<config::MqttConfig> {
    if let Some(c) = &opts.config.mqtt {
        return Some(c.clone());
    }
    opts.demo.as_ref()?;
    let reachable = tokio::time::timeout(
        std::time::Duration::from_millis(500),
        tokio::net::TcpStream::connect(demo::DEMO_MQTT_ADDR),
    )
    .await;
    if !matches!(reachable, Ok(Ok(_))) {
        tracing::info!("no MQTT broker at {}: the demo runs without live gas data", demo::DEMO_MQTT_ADDR);
        return None;
    }
    let mut c = config::MqttConfig::new(&format!("mqtt://{}", demo::DEMO_MQTT_ADDR));
    c.client_id = format!("civicgrid-demo-{}-{}", std::process::id(), opts.bind.replace([':', '.'], "-"));
    c.clean_session = true;
    Some(c)
}

/// Restates the obligations of open cases with no alert ahead (imported or demo data, or
/// written before the index existed), so the runner sees every deadline.
pub async fn reindex_alerts(state: &AppState) -> anyhow::Result<()> {
    /// Open cases indexed at start at most; a street has a few hundred open at a time.
    const OPEN_CASES_MAX: i64 = 100_000;
    for c in state.store.open_cases_unindexed(OPEN_CASES_MAX).await? {
        let duties = domain::case::obligations(&c, &state.case_terms(&c));
        state.store.restate_case_obligations(c.id, c.version, &duties).await?;
    }
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
