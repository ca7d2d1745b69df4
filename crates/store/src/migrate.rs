//! Per-backend migrations, applied in order at start and recorded in `schema_migrations`.
//! An applied migration is never edited; a change is a new file.

use crate::{Backend, Result};
use sqlx::{AnyPool, Executor};

struct Migration {
    version: i64,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        sqlite: include_str!("../migrations/sqlite/0001_init.sql"),
        postgres: include_str!("../migrations/postgres/0001_init.sql"),
    },
    Migration {
        version: 2,
        sqlite: include_str!("../migrations/sqlite/0002_deadlines.sql"),
        postgres: include_str!("../migrations/postgres/0002_deadlines.sql"),
    },
    Migration {
        version: 3,
        sqlite: include_str!("../migrations/sqlite/0003_attachments.sql"),
        postgres: include_str!("../migrations/postgres/0003_attachments.sql"),
    },
    Migration {
        version: 4,
        sqlite: include_str!("../migrations/sqlite/0004_residents.sql"),
        postgres: include_str!("../migrations/postgres/0004_residents.sql"),
    },
    Migration {
        version: 5,
        sqlite: include_str!("../migrations/sqlite/0005_community.sql"),
        postgres: include_str!("../migrations/postgres/0005_community.sql"),
    },
    Migration {
        version: 6,
        sqlite: include_str!("../migrations/sqlite/0006_article_images.sql"),
        postgres: include_str!("../migrations/postgres/0006_article_images.sql"),
    },
    Migration {
        version: 7,
        sqlite: include_str!("../migrations/sqlite/0007_one_assignment.sql"),
        postgres: include_str!("../migrations/postgres/0007_one_assignment.sql"),
    },
    Migration {
        version: 8,
        sqlite: include_str!("../migrations/sqlite/0008_dispatch.sql"),
        postgres: include_str!("../migrations/postgres/0008_dispatch.sql"),
    },
    Migration {
        version: 9,
        sqlite: include_str!("../migrations/sqlite/0009_security.sql"),
        postgres: include_str!("../migrations/postgres/0009_security.sql"),
    },
    Migration {
        version: 10,
        sqlite: include_str!("../migrations/sqlite/0010_audit_key.sql"),
        postgres: include_str!("../migrations/postgres/0010_audit_key.sql"),
    },
    Migration {
        version: 11,
        sqlite: include_str!("../migrations/sqlite/0011_idempotency.sql"),
        postgres: include_str!("../migrations/postgres/0011_idempotency.sql"),
    },
    Migration {
        version: 12,
        sqlite: include_str!("../migrations/sqlite/0012_position_seq.sql"),
        postgres: include_str!("../migrations/postgres/0012_position_seq.sql"),
    },
    Migration {
        version: 13,
        sqlite: include_str!("../migrations/sqlite/0013_obligations.sql"),
        postgres: include_str!("../migrations/postgres/0013_obligations.sql"),
    },
    Migration {
        version: 14,
        sqlite: include_str!("../migrations/sqlite/0014_petitions.sql"),
        postgres: include_str!("../migrations/postgres/0014_petitions.sql"),
    },
    Migration {
        version: 15,
        sqlite: include_str!("../migrations/sqlite/0015_mediations.sql"),
        postgres: include_str!("../migrations/postgres/0015_mediations.sql"),
    },
    Migration {
        version: 16,
        sqlite: include_str!("../migrations/sqlite/0016_food.sql"),
        postgres: include_str!("../migrations/postgres/0016_food.sql"),
    },
    Migration {
        version: 17,
        sqlite: include_str!("../migrations/sqlite/0017_gas.sql"),
        postgres: include_str!("../migrations/postgres/0017_gas.sql"),
    },
    Migration {
        version: 18,
        sqlite: include_str!("../migrations/sqlite/0018_case_daily.sql"),
        postgres: include_str!("../migrations/postgres/0018_case_daily.sql"),
    },
    Migration {
        version: 19,
        sqlite: include_str!("../migrations/sqlite/0019_deliberation_volunteers.sql"),
        postgres: include_str!("../migrations/postgres/0019_deliberation_volunteers.sql"),
    },
    Migration {
        version: 20,
        sqlite: include_str!("../migrations/sqlite/0020_community_more.sql"),
        postgres: include_str!("../migrations/postgres/0020_community_more.sql"),
    },
];

pub(crate) async fn run(pool: &AnyPool, backend: Backend) -> Result<()> {
    run_to(pool, backend, i64::MAX).await
}

/// Applies the migrations up to `last` (tests of an upgrade start from an older schema).
pub(crate) async fn run_to(pool: &AnyPool, backend: Backend, last: i64) -> Result<()> {
    pool.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
    )
    .await?;
    let mut tx = crate::begin_write(pool, backend).await?;
    if backend == Backend::Postgres {
        // Two nodes starting together must not both migrate.
        tx.execute("LOCK TABLE schema_migrations IN EXCLUSIVE MODE").await?;
    }
    let done: Vec<i64> = sqlx::query_scalar("SELECT version FROM schema_migrations").fetch_all(&mut *tx).await?;
    for m in MIGRATIONS.iter().filter(|m| m.version <= last) {
        if done.contains(&m.version) {
            continue;
        }
        let sql = match backend {
            Backend::Sqlite => m.sqlite,
            Backend::Postgres => m.postgres,
        };
        tx.execute(sql).await?;
        sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
            .bind(m.version)
            .bind(chrono::Utc::now().timestamp_millis())
            .execute(&mut *tx)
            .await?;
        tracing::info!(version = m.version, "applied migration");
    }
    tx.commit().await?;
    Ok(())
}
