//! The application layer: what happens when someone reports, dispatches or lets a deadline
//! pass, whoever asks — the HTTP handlers, the command line or (later) the sensor ingest.
//!
//! # Layout
//! - [`App`]: what the layer needs — the store, the reference data, the deadline policy,
//!   travel times, the clock. `server::AppState` holds one and adds the HTTP-only parts.
//! - [`intake`]: a new case, with auto-dispatch where the category asks for it.
//! - [`workflow`]: every write of a case (alert index, notices, scope-checked).
//! - [`dispatching`]: recommendations, auto-dispatch, hand-over, move-ups.
//! - [`runner`]: the deadline runner; [`notify`]: the outbox sender.
//! - [`access`]: who may see which case and whose position.
//! - [`clock`]: the injected time; [`config`]: the escalation and dispatch settings.
//!
//! Dependencies run one way: `intake` → `dispatching` → `workflow`.

pub mod access;
pub mod clock;
pub mod commitments;
pub mod config;
pub mod deliberation;
pub mod demo_crew;
pub mod dispatching;
pub mod food;
pub mod gas;
pub mod intake;
pub mod mediations;
pub mod notify;
pub mod petitions;
pub mod runner;
pub mod whatif;
pub mod workflow;

use domain::category::Category;
use domain::codes::{CategoryCode, GridCode};
use domain::deadline::DeadlinePolicy;
use domain::geo::ServedArea;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use store::{Grid, Station, Store};

/// Everything the application layer reads; shared by all requests and workers.
pub struct App {
    pub store: Store,
    pub policy: DeadlinePolicy,
    pub area: ServedArea,
    pub categories: BTreeMap<CategoryCode, Category>,
    pub grids: BTreeMap<GridCode, Grid>,
    pub stations: Vec<Station>,
    /// The grids each station covers, for station-scoped roles.
    pub station_grids: HashMap<String, Vec<GridCode>>,
    pub escalation: config::EscalationConfig,
    /// The roles holding each escalation level, lowest first.
    pub escalation_roles: Vec<domain::role::Role>,
    /// Wakes the deadline runner when this node writes a case.
    pub runner_wake: tokio::sync::Notify,
    pub dispatch: config::DispatchConfig,
    /// Travel times: the road graph when there is one, else the straight-line model.
    pub travel: Arc<dyn dispatch::Travel>,
    /// The time (real in production, set by hand in tests).
    pub clock: Arc<dyn clock::Clock>,
    /// The statutory time limits of petitions (`[petitions]`).
    pub petition_limits: domain::petition::Limits,
    /// The mediation studio's time limits.
    pub mediation_limits: domain::mediation::Limits,
    /// How often food businesses are inspected and how long hazards may take.
    pub food_rules: domain::food::Rules,
    /// The inspection tables by kind of business (`[food.checklists]`).
    pub food_checklists: domain::food::Checklists,
    /// Gas alarm set points and the time people have (`[gas]`).
    pub gas: domain::gas::SetPoints,
    /// The gas company's duty phone, told of every detector to repair (`[gas] company_phone`).
    pub gas_company_phone: Option<String>,
    /// One message of a device at a time on this node.
    pub gas_locks: gas::DeviceLocks,
    /// The last 90 days' demand and when it was counted (refreshed hourly): the weights of
    /// the recommendations' coverage cost and the forces' calls a second.
    pub demand_shares: std::sync::Mutex<Option<(domain::Timestamp, dispatching::Demand)>>,
    /// One what-if at a time on this node: a run takes the cores for seconds.
    pub whatif_running: tokio::sync::Semaphore,
}

impl App {
    /// Reads the rest of the reference data from the store (the caller has the catalogue
    /// already: the deadline policy is made from it).
    pub async fn load(
        store: Store,
        categories: Vec<Category>,
        policy: DeadlinePolicy,
        escalation: config::EscalationConfig,
        dispatch: config::DispatchConfig,
    ) -> Result<Self, String> {
        let grids = store.grids().await.map_err(|e| e.to_string())?;
        let mut station_grids: HashMap<String, Vec<GridCode>> = HashMap::new();
        for g in &grids {
            station_grids.entry(g.station.clone()).or_default().push(g.code.clone());
        }
        Ok(Self {
            area: served_area(&grids),
            policy: policy.clone(),
            categories: categories.into_iter().map(|c| (c.code.clone(), c)).collect(),
            grids: grids.into_iter().map(|g| (g.code.clone(), g)).collect(),
            stations: store.stations().await.map_err(|e| e.to_string())?,
            station_grids,
            store,
            escalation_roles: escalation.level_roles()?,
            escalation,
            runner_wake: tokio::sync::Notify::new(),
            dispatch,
            travel: Arc::new(dispatch::TravelModel::default()),
            petition_limits: domain::petition::Limits { calendar: policy.calendar.clone(), ..Default::default() },
            mediation_limits: domain::mediation::Limits { calendar: policy.calendar.clone(), ..Default::default() },
            food_rules: domain::food::Rules::default(),
            food_checklists: domain::food::Checklists::default(),
            gas: domain::gas::SetPoints::default(),
            gas_company_phone: None,
            gas_locks: Default::default(),
            demand_shares: Default::default(),
            whatif_running: tokio::sync::Semaphore::new(1),
            clock: Arc::new(clock::SystemClock),
        })
    }
}

impl App {
    /// The terms a case's obligations are stated in: the warning share and escalation
    /// ladder configured, and whether its category counts in office hours.
    pub fn case_terms(&self, case: &domain::case::Case) -> domain::obligation::Terms {
        domain::obligation::Terms {
            warn_fraction: self.escalation.warn_fraction,
            ladder: self.escalation_roles.clone(),
            working_hours: self.policy.counts_working_hours(&case.category, case.priority),
        }
    }
}

/// The street's grids as polygons to place points in.
pub fn served_area(grids: &[Grid]) -> ServedArea {
    ServedArea::new(
        grids.iter().filter_map(|g| domain::geo::Polygon::new(g.ring.clone()).map(|p| (g.code.clone(), p))).collect(),
    )
}
