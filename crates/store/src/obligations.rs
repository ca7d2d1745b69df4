//! Obligations as rows: one per duty of a matter (`domain::obligation`), written with the
//! matter in the same transaction. `obligations_next_alert` — the one index on the earliest
//! alert — is what the deadline runner reads, whatever the kind of matter.

use crate::rows::{insert_rows, Val};
use crate::{from_millis, opt_from_millis, to_millis, Conn, Result, Store, StoreError};
use domain::obligation::{Counting, MatterKind, Obligation, Owner, State};
use domain::role::Role;
use domain::Timestamp;
use sqlx::any::AnyRow;
use sqlx::Row;

pub(crate) const OBLIGATION_COLUMNS: [&str; 12] = [
    "matter_kind",
    "matter_id",
    "name",
    "owner",
    "counting",
    "starts_at",
    "due_at",
    "kept_at",
    "state",
    "ladder",
    "level",
    "next_alert_at",
];

/// The statuses in which a case is open (the matter is not finished).
pub(crate) const CASE_OPEN_SQL: &str = "('new', 'accepted', 'dispatched', 'on_site', 'in_progress', 'suspended')";

/// The rows of a matter's obligations in [`OBLIGATION_COLUMNS`] order.
pub(crate) fn obligation_rows(kind: MatterKind, id: i64, obs: &[Obligation]) -> Vec<Vec<Val>> {
    obs.iter()
        .map(|o| {
            vec![
                kind.as_str().into(),
                id.into(),
                o.name.as_str().into(),
                o.owner.to_text().into(),
                o.counting.as_str().into(),
                to_millis(o.starts_at).into(),
                to_millis(o.due_at).into(),
                Val::Int(o.kept_at.map(to_millis)),
                o.state.as_str().into(),
                o.ladder.iter().map(Role::as_str).collect::<Vec<_>>().join(",").into(),
                i64::from(o.level).into(),
                Val::Int(o.next_alert_at.map(to_millis)),
            ]
        })
        .collect()
}

fn corrupt(what: &str, v: &str) -> StoreError {
    StoreError::Corrupt(format!("unknown obligation {what} {v:?}"))
}

/// The matter id and the obligation of one row.
pub(crate) fn obligation_from_row(r: &AnyRow) -> Result<(i64, Obligation)> {
    let text = |c: &str| -> Result<String> { Ok(r.try_get::<String, _>(c)?) };
    let owner = text("owner")?;
    let counting = text("counting")?;
    let state = text("state")?;
    let ladder = text("ladder")?;
    Ok((
        r.try_get("matter_id")?,
        Obligation {
            name: text("name")?,
            owner: Owner::parse(&owner).ok_or_else(|| corrupt("owner", &owner))?,
            counting: Counting::parse(&counting).ok_or_else(|| corrupt("counting", &counting))?,
            starts_at: from_millis(r.try_get("starts_at")?)?,
            due_at: from_millis(r.try_get("due_at")?)?,
            kept_at: opt_from_millis(r.try_get("kept_at")?)?,
            state: State::parse(&state).ok_or_else(|| corrupt("state", &state))?,
            ladder: ladder
                .split(',')
                .filter(|l| !l.is_empty())
                .map(|l| Role::parse(l).ok_or_else(|| corrupt("ladder role", l)))
                .collect::<Result<_>>()?,
            level: r.try_get::<i64, _>("level")?.clamp(0, u8::MAX as i64) as u8,
            next_alert_at: opt_from_millis(r.try_get("next_alert_at")?)?,
        },
    ))
}

/// Replaces the obligations of one matter with `obs`.
pub(crate) async fn replace(conn: &mut Conn, kind: MatterKind, id: i64, obs: &[Obligation]) -> Result<()> {
    sqlx::query("DELETE FROM obligations WHERE matter_kind = $1 AND matter_id = $2")
        .bind(kind.as_str())
        .bind(id)
        .execute(&mut *conn)
        .await?;
    insert_rows(conn, "obligations", &OBLIGATION_COLUMNS, &obligation_rows(kind, id, obs)).await
}

/// The table each kind of matter lives in.
pub(crate) fn matter_table(kind: MatterKind) -> &'static str {
    match kind {
        MatterKind::Case => "cases",
        MatterKind::Petition => "petitions",
        MatterKind::Mediation => "mediations",
        MatterKind::Business => "businesses",
        MatterKind::GasAlarm => "gas_alarms",
        MatterKind::Topic => "topics",
        MatterKind::Resolution => "resolutions",
    }
}

/// The obligations of the given matters of one kind, by matter id, in name order.
pub(crate) async fn of_matters(pool: &sqlx::AnyPool, kind: MatterKind, ids: &[i64]) -> Result<Vec<(i64, Obligation)>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    // The ids are integers, so inlining them is safe.
    let rows = sqlx::query(&format!(
        "SELECT * FROM obligations WHERE matter_kind = $1 AND matter_id IN ({list}) ORDER BY matter_id, name"
    ))
    .bind(kind.as_str())
    .fetch_all(pool)
    .await?;
    rows.iter().map(obligation_from_row).collect()
}

impl Store {
    /// The obligations of one matter.
    pub async fn obligations(&self, kind: MatterKind, id: i64) -> Result<Vec<Obligation>> {
        Ok(of_matters(self.pool(), kind, &[id]).await?.into_iter().map(|(_, o)| o).collect())
    }

    /// Matters with an alert due by `now`, earliest alert first.
    pub async fn matters_with_alerts_due(&self, now: Timestamp, limit: i64) -> Result<Vec<(MatterKind, i64)>> {
        // Walks the alert index in order and stops early: a plain ORDER BY … LIMIT keeps
        // PostgreSQL on the index even with a generic plan, which would otherwise guess that
        // a third of the rows qualify and scan them all. A matter may have several duties
        // due, so a few rows per matter are read and the matters kept in first-seen order.
        const ROWS_PER_MATTER: i64 = 4;
        let rows = sqlx::query(
            "SELECT matter_kind, matter_id FROM obligations WHERE next_alert_at IS NOT NULL AND next_alert_at <= $1 \
             ORDER BY next_alert_at LIMIT $2",
        )
        .bind(to_millis(now))
        .bind(limit.saturating_mul(ROWS_PER_MATTER))
        .fetch_all(self.pool())
        .await?;
        let mut out: Vec<(MatterKind, i64)> = Vec::with_capacity(rows.len());
        let mut seen = std::collections::HashSet::new();
        for r in &rows {
            let kind: String = r.try_get("matter_kind")?;
            let m = (MatterKind::parse(&kind).ok_or_else(|| corrupt("matter kind", &kind))?, r.try_get("matter_id")?);
            if seen.insert(m) && out.len() < limit as usize {
                out.push(m);
            }
        }
        Ok(out)
    }

    /// When the earliest alert of any obligation falls due.
    pub async fn next_alert_due(&self) -> Result<Option<Timestamp>> {
        let v: Option<i64> =
            sqlx::query_scalar("SELECT MIN(next_alert_at) FROM obligations WHERE next_alert_at IS NOT NULL")
                .fetch_one(self.pool())
                .await?;
        opt_from_millis(v)
    }

    /// Restates the obligations of a case still at `version` (an index correction: the
    /// case itself does not change, so nothing is audited).
    pub async fn restate_case_obligations(&self, id: i64, version: u32, obs: &[Obligation]) -> Result<()> {
        self.restate_obligations(MatterKind::Case, id, version, obs).await
    }

    /// As [`Store::restate_case_obligations`], for a food business.
    pub async fn restate_business_obligations(&self, id: i64, version: u32, obs: &[Obligation]) -> Result<()> {
        self.restate_obligations(MatterKind::Business, id, version, obs).await
    }

    /// As [`Store::restate_case_obligations`], for a gas alarm.
    pub async fn restate_gas_alarm_obligations(&self, id: i64, version: u32, obs: &[Obligation]) -> Result<()> {
        self.restate_obligations(MatterKind::GasAlarm, id, version, obs).await
    }

    /// As [`Store::restate_case_obligations`], for a mediation.
    pub async fn restate_mediation_obligations(&self, id: i64, version: u32, obs: &[Obligation]) -> Result<()> {
        self.restate_obligations(MatterKind::Mediation, id, version, obs).await
    }

    /// As [`Store::restate_case_obligations`], for a deliberation topic or resolution.
    pub async fn restate_matter_obligations(
        &self,
        kind: MatterKind,
        id: i64,
        version: u32,
        obs: &[Obligation],
    ) -> Result<()> {
        self.restate_obligations(kind, id, version, obs).await
    }

    /// As [`Store::restate_case_obligations`], for a petition.
    pub async fn restate_petition_obligations(&self, id: i64, version: u32, obs: &[Obligation]) -> Result<()> {
        self.restate_obligations(MatterKind::Petition, id, version, obs).await
    }

    async fn restate_obligations(&self, kind: MatterKind, id: i64, version: u32, obs: &[Obligation]) -> Result<()> {
        let table = matter_table(kind);
        let mut tx = self.begin_write().await?;
        let current: Option<i64> =
            sqlx::query_scalar(&format!("SELECT CAST(version AS BIGINT) FROM {table} WHERE id = $1"))
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        if current != Some(version as i64) {
            return Ok(());
        }
        replace(&mut tx, kind, id, obs).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Obligations still owed, and the bytes the obligations table and its indexes take on
    /// disk (`None` where the backend cannot tell).
    pub async fn obligation_footprint(&self) -> Result<(i64, Option<i64>)> {
        let owed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM obligations WHERE state IN ('open', 'paused')")
            .fetch_one(self.pool())
            .await?;
        let bytes: Option<i64> = match self.backend() {
            crate::Backend::Postgres => {
                sqlx::query_scalar("SELECT CAST(pg_total_relation_size('obligations') AS BIGINT)")
                    .fetch_optional(self.pool())
                    .await?
            }
            // dbstat is compiled into the bundled SQLite; a build without it answers None.
            crate::Backend::Sqlite => sqlx::query_scalar(
                "SELECT CAST(SUM(pgsize) AS BIGINT) FROM dbstat WHERE name = 'obligations' OR tbl_name = 'obligations'",
            )
            .fetch_optional(self.pool())
            .await
            .ok()
            .flatten(),
        };
        Ok((owed, bytes))
    }

    /// Open matters that owe nothing — what must never exist: an open matter always has an
    /// owner and a next due date. Empty on a sound database.
    pub async fn open_matters_owing_nothing(&self) -> Result<Vec<(MatterKind, i64)>> {
        let mut out = vec![];
        for (kind, table, open) in [
            (MatterKind::Case, "cases", CASE_OPEN_SQL),
            (MatterKind::Petition, "petitions", "('registered', 'assigned', 'accepted', 'replied', 'under_review', 'reviewed', 'under_re_review', 're_reviewed')"),
            (MatterKind::Mediation, "mediations", "('registered', 'in_session', 'agreed')"),
            (MatterKind::Business, "businesses", "('active')"),
            (MatterKind::GasAlarm, "gas_alarms", "('open')"),
            (MatterKind::Topic, "topics", crate::deliberation::TOPIC_OPEN_SQL),
            (MatterKind::Resolution, "resolutions", crate::deliberation::RESOLUTION_OPEN_SQL),
        ] {
            let ids: Vec<i64> = sqlx::query_scalar(&format!(
                "SELECT id FROM {table} m WHERE status IN {open} AND NOT EXISTS \
                 (SELECT 1 FROM obligations o WHERE o.matter_kind = '{}' AND o.matter_id = m.id \
                  AND o.state IN ('open', 'paused')) ORDER BY id",
                kind.as_str()
            ))
            .fetch_all(self.pool())
            .await?;
            out.extend(ids.into_iter().map(|id| (kind, id)));
        }
        Ok(out)
    }
}
