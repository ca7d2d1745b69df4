//! The HTTP contract, against a real server on port 0 and a fresh database of each backend.

mod api;
mod browser;
mod deadlines;
mod deliberation;
mod dispatching;
mod exports;
mod food;
mod gas;
mod limits;
mod mediation;
mod open311;
mod petitions;
mod webdriver;
mod whatif;

use domain::role::Role;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use store::Store;

pub struct App {
    pub addr: SocketAddr,
    pub store: Store,
    pub state: Arc<server::AppState>,
    /// The clock the server reads, when the test drives it.
    pub clock: Option<Arc<server::clock::ManualClock>>,
    pub http: reqwest::Client,
    pub url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    workers: Option<server::Workers>,
}

pub const PASSWORD: &str = "test-password-1";

/// One hash for every test account: argon2 is slow by design.
fn password_hash() -> &'static str {
    static H: OnceLock<String> = OnceLock::new();
    H.get_or_init(|| server::auth::hash_password(PASSWORD).unwrap())
}

pub fn scenario_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/linjiang")
}

/// Accounts every test app has: (username, role, grid, station).
pub const ACCOUNTS: &[(&str, Role, Option<&str>, Option<&str>)] = &[
    ("admin", Role::Admin, None, None),
    ("dispatcher", Role::Dispatcher, None, Some("CC")),
    ("leader", Role::Leader, None, None),
    ("grid01", Role::GridWorker, Some("330114004001001"), None),
    ("station5", Role::StationOfficer, None, Some("S5")),
    ("station1", Role::StationOfficer, None, Some("S1")),
    ("patrol01", Role::PatrolMember, None, Some("S1")),
    ("petition", Role::PetitionOfficer, None, None),
    ("mediator", Role::Mediator, None, Some("S1")),
    ("volunteer", Role::Volunteer, None, None),
    ("resident", Role::Resident, None, None),
    ("resident2", Role::Resident, None, None),
];

impl App {
    pub async fn start(postgres: bool) -> App {
        let url =
            if postgres { store::testing::fresh_postgres_url().await } else { store::testing::fresh_sqlite_url() };
        Self::start_with(&url, &server::config::Config::default()).await
    }

    /// Serves the database at `url` (set up on first use) with `config`, with the node's
    /// background workers running.
    pub async fn start_with(url: &str, config: &server::config::Config) -> App {
        Self::start_limited(url, config, server::http::HttpLimits::default()).await
    }

    /// As [`App::start_with`], with the HTTP server's limits given.
    pub async fn start_limited(url: &str, config: &server::config::Config, limits: server::http::HttpLimits) -> App {
        Self::start_full(url, config, limits, None).await
    }

    /// Serves the database at `url` with a clock standing at `at` that only the test moves.
    pub async fn start_clocked(url: &str, config: &server::config::Config, at: domain::Timestamp) -> App {
        let clock = Arc::new(server::clock::ManualClock::new(at));
        Self::start_full(url, config, Default::default(), Some(clock)).await
    }

    /// The time as the server reads it.
    pub fn now(&self) -> domain::Timestamp {
        server::clock::Clock::now(&*self.state.clock)
    }

    /// Moves the test's clock forward and wakes the deadline runner.
    pub fn advance(&self, by: chrono::Duration) {
        self.clock.as_ref().expect("a clocked app").advance(by);
        self.state.runner_wake.notify_one();
    }

    /// Moves the test's clock forward and fires every alert then due, as the deadline runner
    /// would (its own task may race it: each alert still fires once).
    pub async fn advance_and_settle(&self, by: chrono::Duration) {
        self.advance(by);
        assert!(app::runner::settle(&self.state.app).await.unwrap(), "alerts left due at {}", self.now());
    }

    async fn start_full(
        url: &str,
        config: &server::config::Config,
        limits: server::http::HttpLimits,
        clock: Option<Arc<server::clock::ManualClock>>,
    ) -> App {
        let url = url.to_owned();
        let store = Store::open(&url).await.unwrap();
        if store.count(store::Table::Stations).await.unwrap() == 0 {
            setup(&store).await;
        }
        let mut state = server::AppState::load(store.clone(), config).await.unwrap();
        // As in demo mode: sign-in codes are shown, there being no SMS gateway.
        state.show_otp_codes = true;
        if let Some(c) = &clock {
            state.app_mut().clock = c.clone();
        }
        let state = Arc::new(state);
        server::reindex_alerts(&state).await.unwrap();
        let workers = server::Workers::spawn(state.clone(), server::notify::default_senders());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(server::http::serve(
            listener,
            server::router(state.clone()),
            limits,
            async move { drop(rx.await) },
        ));
        App { addr, store, state, clock, http: reqwest::Client::new(), url, stop: Some(tx), workers: Some(workers) }
    }

    /// Adds the MQTT ingest from `cfg`'s broker to the node's workers.
    pub fn add_mqtt(&mut self, cfg: server::config::MqttConfig) {
        self.workers.as_mut().expect("running").add_mqtt(self.state.app.clone(), cfg, self.state.mqtt.clone());
    }

    /// Stops serving and the workers, keeping the database; returns its URL.
    pub async fn halt(mut self) -> String {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(w) = self.workers.take() {
            w.stop().await;
        }
        self.store.close().await;
        self.url.clone()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn token(&self, user: &str) -> String {
        let r = self
            .http
            .post(self.url("/api/v1/auth/login"))
            .json(&serde_json::json!({"username": user, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "login {user}");
        r.json::<serde_json::Value>().await.unwrap()["token"].as_str().unwrap().to_owned()
    }

    /// A request as `user`; returns status and JSON body (Null when empty).
    pub async fn call(
        &self,
        user: Option<&str>,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let token = match user {
            Some(u) => Some(self.token(u).await),
            None => None,
        };
        self.call_with_token(token.as_deref(), method, path, body).await
    }

    /// A request with a bearer token (a resident's, say); returns status and JSON body.
    pub async fn call_with_token(
        &self,
        token: Option<&str>,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let mut req = self.http.request(method.parse().unwrap(), self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (
            status,
            if text.is_empty() {
                serde_json::Value::Null
            } else {
                serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text))
            },
        )
    }

    pub async fn stop(self) {
        let url = self.halt().await;
        store::testing::discard(&url).await;
    }
}

/// A case body inside the first grid of the Linjiang demo.
/// Recommendations come force by force in the default policy's order: those on time first
/// (each saying why), then the late ones soonest first.
pub fn assert_policy_order(recs: &[serde_json::Value]) {
    let mut forces: Vec<&str> = vec![];
    for r in recs {
        let f = r["force"].as_str().unwrap();
        if forces.last() != Some(&f) {
            assert!(!forces.contains(&f), "a force's candidates come together: {recs:?}");
            forces.push(f);
        }
    }
    for f in forces {
        let mine: Vec<&serde_json::Value> = recs.iter().filter(|r| r["force"] == f).collect();
        let on_time: Vec<bool> = mine.iter().map(|r| r["on_time"].as_bool().unwrap()).collect();
        assert!(on_time.windows(2).all(|w| w[0] >= w[1]), "{f}: on time first: {on_time:?}");
        let late: Vec<i64> =
            mine.iter().filter(|r| r["on_time"] == false).map(|r| r["eta_seconds"].as_i64().unwrap()).collect();
        assert!(late.windows(2).all(|w| w[0] <= w[1]), "{f}: the late soonest first: {late:?}");
        for r in &mine {
            assert!(!r["why"].as_str().unwrap().is_empty() && !r["why_en"].as_str().unwrap().is_empty(), "{r}");
        }
    }
}

pub fn case_body() -> serde_json::Value {
    serde_json::json!({
        "category": "SJ1002",
        "description": "十余名工人反映工资被拖欠",
        "location": {"lat": 30.2662, "lng": 120.5700},
        "source": "hotline",
        "reporter": {"name": "王师傅", "phone": "13800138000"}
    })
}

/// Runs `body` against an app on each backend.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident($app:ident) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run($app: &$crate::App) $body
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::App::start(false).await;
                run(&app).await;
                app.stop().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let app = $crate::App::start(true).await;
                run(&app).await;
                app.stop().await;
            }
        }
    )*};
}

/// The Linjiang reference data and the test accounts.
async fn setup(store: &Store) {
    let sc = scenario::load(&scenario_dir()).unwrap();
    let now = chrono::Utc::now();
    let mut data = sc.reference_data();
    for r in &mut data.responders {
        r.status = "available".into();
    }
    let mut ids = vec![];
    for (name, role, grid, station) in ACCOUNTS {
        let user = store::NewUser {
            username: (*name).into(),
            password_hash: password_hash().into(),
            role: *role,
            // The dispatcher's name carries a title, as the street's accounts do; the
            // administrator's is the title alone.
            display_name: match *name {
                "dispatcher" => "指挥中心值班员 陈敏".into(),
                "admin" => "系统管理员".into(),
                _ => (*name).into(),
            },
            grid: grid.map(Into::into),
            station: station.map(Into::into),
            phone: None,
        };
        ids.push((*name, store.create_user(&user, "test", now).await.unwrap()));
    }
    // patrol01 is the first S1 patrol member on the roster.
    let patrol = data
        .responders
        .iter_mut()
        .find(|r| r.force == domain::category::Force::PatrolMember && r.station == "S1")
        .unwrap();
    patrol.user_id = ids.iter().find(|(n, _)| *n == "patrol01").map(|x| x.1);
    store.load_reference(&data, "test", now).await.unwrap();
}
