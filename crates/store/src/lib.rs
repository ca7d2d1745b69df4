//! Storage for civicgrid.
//!
//! # Layout
//! - [`Store`] is the one interface the server and the binary use. It runs on SQLite (the
//!   embedded default: WAL, `synchronous=FULL`) or on PostgreSQL (several nodes), chosen by the
//!   URL. Both run through sqlx's `Any` driver with portable SQL; the few places where the
//!   dialects differ ask [`Backend`]. Each backend has its own migrations under `migrations/`.
//! - [`writer`]: group commit. Case creations and case updates from many requests are queued to
//!   one task that writes a batch in one transaction (each job in its own savepoint) and answers
//!   every request only after the commit is durable.
//! - [`audit`]: the append-only, hash-chained audit log, written in the same transaction as the
//!   change it records, and its verification.
//! - [`cases`]: mapping between domain cases and rows; reads and list queries.
//! - [`directory`]: reference data (stations, grids, categories, responders), users, sessions,
//!   API keys and reporters.
//! - [`backup`]: a consistent logical backup of a running database and restore into an empty one,
//!   across backends.
//! - [`stats`]: counts and promise compliance over a period.
//!
//! The contract suite in `tests/it` runs every behaviour on both backends.

pub mod audit;
pub mod backup;
pub mod cases;
pub mod community;
pub mod deliberation;
pub mod directory;
pub mod files;
pub mod food;
pub mod gas;
pub mod live;
pub mod mediations;
mod migrate;
pub mod obligations;
pub mod petitions;
mod rows;
pub mod stats;
pub mod testing;
pub mod volunteers;
pub mod writer;

use domain::Timestamp;
use sqlx::any::AnyPoolOptions;
use sqlx::AnyConnection;
use sqlx::{AnyPool, Executor};
use std::time::Duration;

pub use audit::{AuditEntry, AuditKey, AuditReport};
pub use cases::{CaseFilter, CasePage};
pub use directory::*;

/// How long an idempotency key stands for the case it made: a client retrying after a lost
/// answer does so within minutes; a day covers a phone that was offline overnight.
pub const IDEMPOTENCY_WINDOW: chrono::Duration = chrono::Duration::hours(24);

/// Connections to SQLite: one writer at a time plus concurrent WAL readers.
const SQLITE_POOL_CONNECTIONS_MAX: u32 = 6;
/// Connections per node to PostgreSQL; several nodes share the server's connection limit.
const POSTGRES_POOL_CONNECTIONS_MAX: u32 = 10;
/// How long a SQLite writer waits for another process (for example `civicgrid user add`)
/// holding the write lock before giving up.
const SQLITE_BUSY_TIMEOUT_MILLIS: u32 = 10_000;
/// How long to wait for a free connection before an operation fails.
const POOL_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// Someone else changed the record first, or a unique value is taken.
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("invalid: {0}")]
    Invalid(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("the store is shutting down")]
    Closed,
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The storage of one civicgrid node.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    writer: writer::Handle,
    url: String,
    audit_key: AuditKey,
}

impl Store {
    /// Connects with the machine's audit key ([`AuditKey::machine_default`]).
    /// URLs: `sqlite://PATH` (created if missing) or `postgres://…`.
    pub async fn open(url: &str) -> Result<Self> {
        Self::open_keyed(url, AuditKey::machine_default()?).await
    }

    /// Connects, runs the backend's migrations and starts the group-commit writer; the
    /// audit chain is keyed with `audit_key`.
    pub async fn open_keyed(url: &str, audit_key: AuditKey) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let (backend, url) = normalise_url(url)?;
        let options = AnyPoolOptions::new().acquire_timeout(POOL_ACQUIRE_TIMEOUT).max_connections(match backend {
            Backend::Sqlite => SQLITE_POOL_CONNECTIONS_MAX,
            Backend::Postgres => POSTGRES_POOL_CONNECTIONS_MAX,
        });
        let options = match backend {
            Backend::Sqlite => options.after_connect(|conn, _| {
                Box::pin(async move {
                    // FULL: a commit is on disk before the writer answers "accepted".
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA synchronous = FULL").await?;
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                    conn.execute(format!("PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MILLIS}").as_str()).await?;
                    Ok(())
                })
            }),
            // JIT compilation costs 80–150 ms a query and pays back only on queries running
            // many seconds; the statistics over a month of a city's cases ran 2.5× slower with it.
            // Random reads cost little more than sequential ones on solid-state storage: with
            // the default 4.0 the planner scanned every obligation (2.2 s at 5 million cases)
            // instead of the month's range of `obligations_started` (0.1–0.5 s).
            Backend::Postgres => options.after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute("SET jit = off").await?;
                    conn.execute("SET random_page_cost = 1.1").await?;
                    Ok(())
                })
            }),
        };
        let pool = options.connect(&url).await?;
        let url = url.clone();
        migrate::run(&pool, backend).await?;
        let writer = writer::spawn(pool.clone(), backend, audit_key.clone());
        Ok(Self { pool, backend, writer, url, audit_key })
    }

    /// The connection URL, for tests that reach the database directly (as an attacker or
    /// a second node would).
    pub fn url_for_tests(&self) -> String {
        self.url.clone()
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// True once the database answers.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Refreshes the query planner's statistics (after a bulk load; PostgreSQL's autovacuum
    /// does this on its own in time, SQLite only when asked).
    pub async fn analyze(&self) -> Result<()> {
        sqlx::query("ANALYZE").execute(self.pool()).await?;
        Ok(())
    }

    /// Stops the writer after the jobs already queued, and closes the pool.
    pub async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await;
    }

    /// Begins a write transaction. On SQLite it takes the write lock at once (`BEGIN
    /// IMMEDIATE`), so a transaction that reads before it writes never fails to upgrade.
    pub(crate) async fn begin_write(&self) -> Result<WriteTx> {
        begin_write(&self.pool, self.backend).await
    }

    /// Whether this node can write: the database answers, and if the writer's last commit
    /// failed (disk full, read-only file), a probe write now commits.
    pub async fn health(&self) -> Result<()> {
        self.ping().await?;
        if let Some(failure) = self.writer.failure() {
            let probe = async {
                let mut tx = self.begin_write().await?;
                sqlx::query(
                    "INSERT INTO writer_probe (id, at) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET at = excluded.at",
                )
                .bind(to_millis(chrono::Utc::now()))
                .execute(&mut *tx)
                .await?;
                tx.commit().await
            };
            probe.await.map_err(|e| {
                StoreError::Invalid(format!("the writer cannot commit ({failure}); a probe failed too: {e}"))
            })?;
            self.writer.recovered();
        }
        Ok(())
    }
}

/// A write transaction on a connection of its own. A transaction that does not commit —
/// an error on the way, or a failed COMMIT (disk full, a read-only file, a deferred
/// constraint) — takes its connection with it: the connection is closed instead of going
/// back to the pool, so no later write inherits a half-open transaction.
pub(crate) struct WriteTx {
    conn: Option<sqlx::pool::PoolConnection<sqlx::Any>>,
}

impl WriteTx {
    /// Commits; on failure the connection is dropped and the transaction is gone.
    pub(crate) async fn commit(mut self) -> Result<()> {
        let mut conn = self.conn.take().expect("an open transaction has its connection");
        match conn.execute("COMMIT").await {
            Ok(_) => Ok(()),
            Err(e) => {
                conn.close_on_drop();
                Err(e.into())
            }
        }
    }
}

impl std::ops::Deref for WriteTx {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        self.conn.as_ref().expect("an open transaction has its connection")
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        self.conn.as_mut().expect("an open transaction has its connection")
    }
}

impl Drop for WriteTx {
    /// Not committed: closing the connection rolls the transaction back on both backends.
    fn drop(&mut self) {
        if let Some(mut conn) = self.conn.take() {
            conn.close_on_drop();
        }
    }
}

pub(crate) async fn begin_write(pool: &AnyPool, backend: Backend) -> Result<WriteTx> {
    let mut conn = pool.acquire().await?;
    let begin = match backend {
        Backend::Sqlite => "BEGIN IMMEDIATE",
        Backend::Postgres => "BEGIN",
    };
    if let Err(e) = conn.execute(begin).await {
        conn.close_on_drop();
        return Err(e.into());
    }
    Ok(WriteTx { conn: Some(conn) })
}

fn normalise_url(url: &str) -> Result<(Backend, String)> {
    if let Some(rest) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
        if rest.is_empty() {
            return Err(StoreError::Invalid("sqlite URL needs a file path".into()));
        }
        let sep = if rest.contains('?') { '&' } else { '?' };
        let url =
            if rest.contains("mode=") { format!("sqlite://{rest}") } else { format!("sqlite://{rest}{sep}mode=rwc") };
        Ok((Backend::Sqlite, url))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok((Backend::Postgres, url.to_owned()))
    } else {
        Err(StoreError::Invalid(format!("unsupported database URL {url:?}: use sqlite://PATH or postgres://…")))
    }
}

/// Milliseconds since the Unix epoch, as stored.
pub(crate) fn to_millis(t: Timestamp) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn from_millis(ms: i64) -> Result<Timestamp> {
    chrono::DateTime::from_timestamp_millis(ms).ok_or_else(|| StoreError::Corrupt(format!("time {ms} out of range")))
}

pub(crate) fn opt_from_millis(ms: Option<i64>) -> Result<Option<Timestamp>> {
    ms.map(from_millis).transpose()
}

/// Maps a unique-constraint violation to [`StoreError::Conflict`].
pub(crate) fn unique_to_conflict(e: sqlx::Error, what: &str) -> StoreError {
    if let sqlx::Error::Database(d) = &e {
        if d.is_unique_violation() {
            return StoreError::Conflict(format!("{what} already exists"));
        }
    }
    StoreError::Database(e)
}

pub(crate) type Conn = AnyConnection;

/// A time as the street reads it (Beijing time), for text the store writes into notices.
pub fn local_time_text(t: Timestamp) -> String {
    let beijing = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
    t.with_timezone(&beijing).format("%Y-%m-%d %H:%M").to_string()
}
