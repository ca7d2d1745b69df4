//! Mediations as rows: the mediation (history included) as one JSON document, the columns
//! lists and statistics select on beside it, its duties in `obligations`, one audit record
//! per step — all in one transaction, refusing a stale version.

use crate::audit::{AuditEntry, Chain};
use crate::rows::{insert_rows, Val};
use crate::writer::OutboxMessage;
use crate::{to_millis, Result, Store, StoreError};
use domain::case::Actor;
use domain::mediation::{Limits, Mediation, MediationId, NewMediation, Status};
use domain::obligation::{MatterKind, Obligation};
use domain::Timestamp;
use sqlx::Row;

/// Most mediations one list returns.
pub const MEDIATION_PAGE_MAX: i64 = 200;

const COLUMNS: [&str; 14] = [
    "id",
    "version",
    "status",
    "kind",
    "source",
    "grid",
    "place",
    "case_id",
    "registered_at",
    "concluded_at",
    "updated_at",
    "agreed_fen",
    "on_the_spot_fen",
    "body",
];

fn row(m: &Mediation) -> Vec<Val> {
    let money = domain::mediation::money(m, m.updated_at);
    vec![
        m.id.into(),
        (m.version as i64).into(),
        m.status.as_str().into(),
        m.kind.as_str().into(),
        m.source.as_str().into(),
        m.grid.as_str().into(),
        m.place.clone().into(),
        m.case_id.into(),
        to_millis(m.registered_at).into(),
        Val::Int(m.concluded_at.map(to_millis)),
        to_millis(m.updated_at).into(),
        money.agreed.into(),
        money.on_the_spot.into(),
        serde_json::to_string(m).expect("a mediation serialises").into(),
    ]
}

fn from_row(r: &sqlx::any::AnyRow) -> Result<Mediation> {
    let body: String = r.try_get("body")?;
    serde_json::from_str(&body).map_err(|e| StoreError::Corrupt(format!("mediation document: {e}")))
}

fn entry(m: &Mediation, e: &domain::mediation::Event) -> AuditEntry {
    AuditEntry {
        at: e.at,
        actor: format!("{}:{}", e.actor.user_id, e.actor.username),
        action: format!("mediation.{}", e.action),
        entity: "mediation".into(),
        entity_id: m.id.to_string(),
        detail: serde_json::json!({ "status": e.to.as_str(), "duty": e.duty, "level": e.level, "version": m.version })
            .to_string(),
    }
}

/// Which mediations a list shows.
#[derive(Debug, Clone, Default)]
pub struct MediationFilter {
    pub status: Option<Vec<Status>>,
    pub before_id: Option<MediationId>,
    pub limit: i64,
}

impl Store {
    /// Registers a mediation: the store gives it its id, the domain makes it.
    pub async fn create_mediation(
        &self,
        new: NewMediation,
        actor: &Actor,
        at: Timestamp,
        limits: &Limits,
        obligations: impl Fn(&Mediation) -> Vec<Obligation>,
    ) -> Result<Mediation> {
        let mut tx = self.begin_write().await?;
        let mut chain = Chain::lock(&mut tx, self.backend(), &self.audit_key).await?;
        let id = crate::cases::next_id(&mut tx, "mediations").await?;
        let m = domain::mediation::register(id, new, actor.clone(), at, limits)
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        insert_rows(&mut tx, "mediations", &COLUMNS, &[row(&m)]).await?;
        crate::obligations::replace(&mut tx, MatterKind::Mediation, m.id, &obligations(&m)).await?;
        chain.append(&mut tx, &entry(&m, &m.events[0])).await?;
        chain.store(&mut tx).await?;
        tx.commit().await?;
        Ok(m)
    }

    /// Writes `after`, computed by the domain from the stored mediation at `before_version`.
    pub async fn save_mediation(
        &self,
        before_version: u32,
        after: &Mediation,
        obligations: &[Obligation],
        messages: &[OutboxMessage],
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let mut chain = Chain::lock(&mut tx, self.backend(), &self.audit_key).await?;
        let money = domain::mediation::money(after, after.updated_at);
        let done = sqlx::query(
            "UPDATE mediations SET version = $1, status = $2, concluded_at = $3, updated_at = $4, agreed_fen = $5, \
             on_the_spot_fen = $6, body = $7 WHERE id = $8 AND version = $9",
        )
        .bind(after.version as i64)
        .bind(after.status.as_str())
        .bind(after.concluded_at.map(to_millis))
        .bind(to_millis(after.updated_at))
        .bind(money.agreed)
        .bind(money.on_the_spot)
        .bind(serde_json::to_string(after).expect("a mediation serialises"))
        .bind(after.id)
        .bind(before_version as i64)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict(format!("mediation {} was changed by someone else; reload it", after.id)));
        }
        crate::obligations::replace(&mut tx, MatterKind::Mediation, after.id, obligations).await?;
        crate::writer::write_matter_outbox(&mut tx, &format!("mediation{}", after.id), messages, after.updated_at)
            .await?;
        for e in after.events.iter().skip(before_version as usize) {
            chain.append(&mut tx, &entry(after, e)).await?;
        }
        chain.store(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn mediation(&self, id: MediationId) -> Result<Mediation> {
        let r = sqlx::query("SELECT body FROM mediations WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        from_row(&r)
    }

    /// Mediations newest first.
    pub async fn mediations(&self, f: &MediationFilter) -> Result<Vec<Mediation>> {
        let mut sql = "SELECT body FROM mediations WHERE id < $1".to_owned();
        if let Some(st) = &f.status {
            // Status names are our own fixed words, so inlining them is safe.
            let list: Vec<String> = st.iter().map(|s| format!("'{}'", s.as_str())).collect();
            sql.push_str(&format!(
                " AND status IN ({})",
                if list.is_empty() { "NULL".into() } else { list.join(", ") }
            ));
        }
        sql.push_str(" ORDER BY id DESC LIMIT $2");
        let rows = sqlx::query(&sql)
            .bind(f.before_id.unwrap_or(i64::MAX))
            .bind(f.limit.clamp(1, MEDIATION_PAGE_MAX))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(from_row).collect()
    }

    /// The mediation a case became, if any.
    pub async fn mediation_of_case(&self, case_id: i64) -> Result<Option<MediationId>> {
        Ok(sqlx::query_scalar("SELECT id FROM mediations WHERE case_id = $1 ORDER BY id LIMIT 1")
            .bind(case_id)
            .fetch_optional(self.pool())
            .await?)
    }

    /// Mediations registered in `[from, to)`.
    pub async fn mediations_registered(&self, from: Timestamp, to: Timestamp) -> Result<Vec<Mediation>> {
        let rows =
            sqlx::query("SELECT body FROM mediations WHERE registered_at >= $1 AND registered_at < $2 ORDER BY id")
                .bind(to_millis(from))
                .bind(to_millis(to))
                .fetch_all(self.pool())
                .await?;
        rows.iter().map(from_row).collect()
    }

    /// Imports historical mediations with their duties; one audit record covers the import.
    pub async fn import_mediations(
        &self,
        list: &[Mediation],
        obligations: impl Fn(&Mediation) -> Vec<Obligation>,
        actor: &str,
        at: Timestamp,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let mut chain = Chain::lock(&mut tx, self.backend(), &self.audit_key).await?;
        let first = crate::cases::next_id(&mut tx, "mediations").await?;
        let (mut rows, mut duties) = (vec![], vec![]);
        for (i, m) in list.iter().enumerate() {
            let mut m = m.clone();
            m.id = first + i as i64;
            rows.push(row(&m));
            duties.extend(crate::obligations::obligation_rows(MatterKind::Mediation, m.id, &obligations(&m)));
        }
        insert_rows(&mut tx, "mediations", &COLUMNS, &rows).await?;
        insert_rows(&mut tx, "obligations", &crate::obligations::OBLIGATION_COLUMNS, &duties).await?;
        chain
            .append(
                &mut tx,
                &AuditEntry {
                    at,
                    actor: actor.into(),
                    action: "mediation.import".into(),
                    entity: "mediation".into(),
                    entity_id: format!("{first}-{}", first + list.len() as i64 - 1),
                    detail: serde_json::json!({ "mediations": list.len() }).to_string(),
                },
            )
            .await?;
        chain.store(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }
}
