//! The storage contract: every test runs on SQLite and on PostgreSQL, each in a fresh database.

mod contract;

use domain::case::{Actor, NewCase, Priority, Source};
use domain::codes::{CategoryCode, GridCode};
use domain::deadline::DeadlinePolicy;
use domain::geo::LatLng;
use domain::role::Role;
use domain::Timestamp;
use store::writer::{CreateCase, ReporterInput};
use store::Store;

/// Runs `body` against a fresh store of each backend.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident($store:ident) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run($store: store::Store) $body
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let url = store::testing::fresh_sqlite_url();
                let s = store::Store::open(&url).await.expect("open sqlite");
                run(s.clone()).await;
                s.close().await;
                store::testing::discard(&url).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let url = store::testing::fresh_postgres_url().await;
                let s = store::Store::open(&url).await.expect("open postgres");
                run(s.clone()).await;
                s.close().await;
                store::testing::discard(&url).await;
            }
        }
    )*};
}

pub fn t(s: &str) -> Timestamp {
    chrono::DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&chrono::Utc)
}

pub fn dispatcher() -> Actor {
    Actor { user_id: 1, username: "duty".into(), role: Role::Dispatcher }
}

pub fn new_case(at: Timestamp, grid: &str, with_reporter: bool) -> CreateCase {
    let category = CategoryCode::parse("SJ1002").unwrap();
    CreateCase {
        deadlines: DeadlinePolicy::default().deadlines(&category, Priority::Normal, at),
        new: NewCase {
            category,
            priority: Priority::Normal,
            source: Source::Hotline,
            location: LatLng::new(30.29, 120.60).unwrap(),
            grid: GridCode::parse(grid).unwrap(),
            description: "近20名送货工人催讨运费".into(),
            address: Some("传化公路港".into()),
            reporter_id: None,
            reported_by: None,
        },
        reporter: with_reporter
            .then(|| ReporterInput { name: Some("王师傅".into()), phone: Some("13800138000".into()) }),
        actor: dispatcher(),
        at,
        extras: Default::default(),
        idempotency_key: None,
    }
}

pub async fn create(s: &Store, at: &str) -> domain::case::Case {
    s.create_case(new_case(t(at), "330114004001001", true)).await.unwrap()
}
