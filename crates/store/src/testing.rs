//! Fresh databases for tests: a new SQLite file or a new PostgreSQL database per call, so
//! tests never share state. PostgreSQL is reached at `CIVICGRID_TEST_PG` (default
//! `postgres://postgres@127.0.0.1:5432`).

use sqlx::Executor;
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique(prefix: &str) -> String {
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    format!("{prefix}_{}_{}_{nanos}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// The PostgreSQL server that tests use, without a database name.
pub fn postgres_server() -> String {
    std::env::var("CIVICGRID_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// A URL of a new, empty SQLite database file in the system's temporary folder.
pub fn fresh_sqlite_url() -> String {
    let dir = std::env::temp_dir().join("civicgrid-tests");
    std::fs::create_dir_all(&dir).expect("temporary folder is writable");
    format!("sqlite://{}", dir.join(format!("{}.db", unique("t"))).display())
}

/// Creates a new, empty PostgreSQL database and returns its URL.
pub async fn fresh_postgres_url() -> String {
    sqlx::any::install_default_drivers();
    let server = postgres_server();
    let name = unique("cg_t");
    let mut admin = <sqlx::AnyConnection as sqlx::Connection>::connect(&format!("{server}/postgres"))
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL at {server} is needed for these tests (start it as .ci/run does): {e}"));
    admin.execute(format!("CREATE DATABASE {name}").as_str()).await.expect("create test database");
    format!("{server}/{name}")
}

/// Drops a database made by [`fresh_postgres_url`], or deletes a SQLite file.
pub async fn discard(url: &str) {
    if let Some(path) = url.strip_prefix("sqlite://") {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{path}{suffix}"));
        }
    } else if let Some((server, name)) = url.rsplit_once('/') {
        if let Ok(mut admin) = <sqlx::AnyConnection as sqlx::Connection>::connect(&format!("{server}/postgres")).await {
            let _ = admin.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await;
        }
    }
}

/// Makes every later commit that creates a case, or that the health check's probe makes,
/// fail at COMMIT — as a full disk or a read-only database file does — until
/// [`let_commits_pass`]. A deferred foreign key that can never hold does it on both
/// backends with the real database.
pub async fn fail_commits(store: &crate::Store) {
    let sql: &[&str] = match store.backend() {
        crate::Backend::Sqlite => &[
            "CREATE TABLE commit_trap (case_id INTEGER REFERENCES cases(id) DEFERRABLE INITIALLY DEFERRED)",
            "CREATE TRIGGER commit_trap_case AFTER INSERT ON cases BEGIN INSERT INTO commit_trap VALUES (-1); END",
            "CREATE TRIGGER commit_trap_probe AFTER INSERT ON writer_probe BEGIN INSERT INTO commit_trap VALUES (-1); END",
            "CREATE TRIGGER commit_trap_probe2 AFTER UPDATE ON writer_probe BEGIN INSERT INTO commit_trap VALUES (-1); END",
        ],
        crate::Backend::Postgres => &[
            "CREATE TABLE commit_trap (case_id BIGINT REFERENCES cases(id) DEFERRABLE INITIALLY DEFERRED)",
            "CREATE FUNCTION commit_trap_fn() RETURNS trigger AS $$ BEGIN INSERT INTO commit_trap VALUES (-1); RETURN NEW; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER commit_trap_case AFTER INSERT ON cases FOR EACH ROW EXECUTE FUNCTION commit_trap_fn()",
            "CREATE TRIGGER commit_trap_probe AFTER INSERT OR UPDATE ON writer_probe FOR EACH ROW EXECUTE FUNCTION commit_trap_fn()",
        ],
    };
    for s in sql {
        store.pool().execute(*s).await.expect("arm the commit trap");
    }
}

/// Undoes [`fail_commits`].
pub async fn let_commits_pass(store: &crate::Store) {
    let sql: &[&str] = match store.backend() {
        crate::Backend::Sqlite => &[
            "DROP TRIGGER commit_trap_case",
            "DROP TRIGGER commit_trap_probe",
            "DROP TRIGGER commit_trap_probe2",
            "DROP TABLE commit_trap",
        ],
        crate::Backend::Postgres => &[
            "DROP TRIGGER commit_trap_case ON cases",
            "DROP TRIGGER commit_trap_probe ON writer_probe",
            "DROP TABLE commit_trap",
            "DROP FUNCTION commit_trap_fn()",
        ],
    };
    for s in sql {
        store.pool().execute(*s).await.expect("disarm the commit trap");
    }
}

/// The wrong tries counted against the code of `phone` (tests check that concurrent
/// guesses each count).
pub async fn otp_attempts(store: &crate::Store, phone: &str) -> i64 {
    sqlx::query_scalar("SELECT attempts FROM otp_codes WHERE phone = $1")
        .bind(phone)
        .fetch_one(store.pool())
        .await
        .expect("a code for this number")
}

/// Brings a new database at `url` to the schema of migration `last` and no further, so a
/// test can write data as an older release did and then open it with this one.
pub async fn migrate_to(url: &str, last: i64) {
    sqlx::any::install_default_drivers();
    let (backend, url) = crate::normalise_url(url).expect("a database URL");
    let pool = sqlx::any::AnyPoolOptions::new().max_connections(1).connect(&url).await.expect("connect");
    crate::migrate::run_to(&pool, backend, last).await.expect("migrate");
    pool.close().await;
}
