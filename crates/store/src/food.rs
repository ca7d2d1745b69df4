//! Food businesses as rows: the business (inspections and hazards included) as one JSON
//! document, the columns lists and the public side select on beside it, its duties in
//! `obligations`, one audit record per step; random draws kept and audited.

use crate::audit::{AuditEntry, Chain};
use crate::rows::{insert_rows, Val};
use crate::writer::OutboxMessage;
use crate::{to_millis, Result, Store, StoreError};
use domain::food::{Business, BusinessId, NewBusiness, Rules};
use domain::obligation::{MatterKind, Obligation};
use domain::Timestamp;
use sqlx::Row;

/// Most businesses one list returns.
pub const BUSINESS_PAGE_MAX: i64 = 500;

const COLUMNS: [&str; 16] = [
    "id",
    "version",
    "status",
    "name",
    "kind",
    "risk",
    "grid",
    "lat",
    "lng",
    "licence_no",
    "next_due",
    "last_inspected_at",
    "face",
    "open_hazards",
    "updated_at",
    "body",
];

fn row(b: &Business) -> Vec<Val> {
    let last = b.inspections.iter().rev().find(|i| !i.self_check);
    vec![
        b.id.into(),
        (b.version as i64).into(),
        "active".into(),
        b.name.as_str().into(),
        b.kind.as_str().into(),
        b.risk.as_str().into(),
        b.grid.as_str().into(),
        Val::Real(b.location.map(|l| l.lat())),
        Val::Real(b.location.map(|l| l.lng())),
        b.licence_no.as_str().into(),
        to_millis(b.next_due).into(),
        Val::Int(last.map(|i| to_millis(i.at))),
        Val::Text(last.map(|i| i.face.as_str().to_owned())),
        (b.hazards.iter().filter(|h| h.status == domain::food::HazardStatus::Open).count() as i64).into(),
        to_millis(b.updated_at).into(),
        serde_json::to_string(b).expect("a business serialises").into(),
    ]
}

fn from_row(r: &sqlx::any::AnyRow) -> Result<Business> {
    let body: String = r.try_get("body")?;
    serde_json::from_str(&body).map_err(|e| StoreError::Corrupt(format!("business document: {e}")))
}

fn entry(b: &Business, e: &domain::food::Event) -> AuditEntry {
    AuditEntry {
        at: e.at,
        actor: format!("{}:{}", e.actor.user_id, e.actor.username),
        action: format!("business.{}", e.action),
        entity: "business".into(),
        entity_id: b.id.to_string(),
        detail: serde_json::json!({ "note": e.note, "duty": e.duty, "level": e.level, "version": b.version })
            .to_string(),
    }
}

/// A published random draw.
#[derive(Debug, Clone, PartialEq)]
pub struct Draw {
    pub id: i64,
    pub at: Timestamp,
    pub seed: String,
    pub n: i64,
    /// (business, inspector) pairs.
    pub pairs: Vec<(i64, i64)>,
    pub drawn_by: i64,
}

impl Store {
    /// Registers businesses (one, or a CSV import): ids from the store, each made by the
    /// domain, all with their duties and one audit record each, in one transaction. A
    /// licence number already registered fails the whole import with a conflict.
    pub async fn register_businesses(
        &self,
        list: Vec<NewBusiness>,
        actor: &domain::case::Actor,
        at: Timestamp,
        rules: &Rules,
        obligations: impl Fn(&Business) -> Vec<Obligation>,
    ) -> Result<Vec<Business>> {
        let mut tx = self.begin_write().await?;
        let mut chain = Chain::lock(&mut tx, self.backend(), &self.audit_key).await?;
        let first = crate::cases::next_id(&mut tx, "businesses").await?;
        let mut made = vec![];
        for (i, new) in list.into_iter().enumerate() {
            made.push(
                domain::food::register(first + i as i64, new, actor.clone(), at, rules)
                    .map_err(|e| StoreError::Invalid(e.to_string()))?,
            );
        }
        insert_rows(&mut tx, "businesses", &COLUMNS, &made.iter().map(row).collect::<Vec<_>>()).await.map_err(|e| {
            match e {
                StoreError::Database(e) => crate::unique_to_conflict(e, "a business with this licence number"),
                e => e,
            }
        })?;
        let mut duties = vec![];
        for b in &made {
            duties.extend(crate::obligations::obligation_rows(MatterKind::Business, b.id, &obligations(b)));
            chain.append(&mut tx, &entry(b, &b.events[0])).await?;
        }
        insert_rows(&mut tx, "obligations", &crate::obligations::OBLIGATION_COLUMNS, &duties).await?;
        chain.store(&mut tx).await?;
        tx.commit().await?;
        Ok(made)
    }

    /// Writes `after`, computed by the domain from the stored business at `before_version`.
    pub async fn save_business(
        &self,
        before_version: u32,
        after: &Business,
        obligations: &[Obligation],
        messages: &[OutboxMessage],
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let mut chain = Chain::lock(&mut tx, self.backend(), &self.audit_key).await?;
        let r = row(after);
        let done = sqlx::query(
            "UPDATE businesses SET version = $1, next_due = $2, last_inspected_at = $3, face = $4, open_hazards = $5, \
             updated_at = $6, body = $7, risk = $8 WHERE id = $9 AND version = $10",
        )
        .bind(after.version as i64)
        .bind(to_millis(after.next_due))
        .bind(match &r[11] {
            Val::Int(v) => *v,
            _ => None,
        })
        .bind(match &r[12] {
            Val::Text(v) => v.clone(),
            _ => None,
        })
        .bind(match &r[13] {
            Val::Int(v) => v.unwrap_or(0),
            _ => 0,
        })
        .bind(to_millis(after.updated_at))
        .bind(serde_json::to_string(after).expect("a business serialises"))
        .bind(after.risk.as_str())
        .bind(after.id)
        .bind(before_version as i64)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict(format!("business {} was changed by someone else; reload it", after.id)));
        }
        crate::obligations::replace(&mut tx, MatterKind::Business, after.id, obligations).await?;
        crate::writer::write_matter_outbox(&mut tx, &format!("business{}", after.id), messages, after.updated_at)
            .await?;
        for e in after.events.iter().skip(before_version as usize) {
            chain.append(&mut tx, &entry(after, e)).await?;
        }
        chain.store(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn business(&self, id: BusinessId) -> Result<Business> {
        let r = sqlx::query("SELECT body FROM businesses WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        from_row(&r)
    }

    /// Businesses in the order of their next inspection (the most pressing first); `name`
    /// filters by part of the name.
    pub async fn businesses(&self, name: Option<&str>, limit: i64) -> Result<Vec<Business>> {
        let pattern = format!("%{}%", name.unwrap_or("").replace(['%', '_'], ""));
        let rows = sqlx::query("SELECT body FROM businesses WHERE name LIKE $1 ORDER BY next_due, id LIMIT $2")
            .bind(pattern)
            .bind(limit.clamp(1, BUSINESS_PAGE_MAX))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(from_row).collect()
    }

    /// Every business's id (for the random draw).
    pub async fn business_ids(&self) -> Result<Vec<BusinessId>> {
        Ok(sqlx::query_scalar("SELECT id FROM businesses WHERE status = 'active' ORDER BY id")
            .fetch_all(self.pool())
            .await?)
    }

    /// Records a random draw with its seed; audited.
    pub async fn record_draw(
        &self,
        seed: &str,
        pairs: &[(i64, i64)],
        drawn_by: i64,
        actor: &str,
        at: Timestamp,
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO food_draws (at, seed, n, pairs, drawn_by) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(to_millis(at))
        .bind(seed)
        .bind(pairs.len() as i64)
        .bind(serde_json::to_string(pairs).expect("pairs serialise"))
        .bind(drawn_by)
        .fetch_one(&mut *tx)
        .await?;
        let entry = AuditEntry {
            at,
            actor: actor.into(),
            action: "food.draw".into(),
            entity: "food_draw".into(),
            entity_id: id.to_string(),
            detail: serde_json::json!({ "seed": seed, "pairs": pairs }).to_string(),
        };
        self.audit_in(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The published draws, newest first.
    pub async fn draws(&self, limit: i64) -> Result<Vec<Draw>> {
        let rows = sqlx::query("SELECT id, at, seed, n, pairs, drawn_by FROM food_draws ORDER BY id DESC LIMIT $1")
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                let pairs: String = r.try_get("pairs")?;
                Ok(Draw {
                    id: r.try_get("id")?,
                    at: crate::from_millis(r.try_get("at")?)?,
                    seed: r.try_get("seed")?,
                    n: r.try_get("n")?,
                    pairs: serde_json::from_str(&pairs).map_err(|e| StoreError::Corrupt(format!("draw pairs: {e}")))?,
                    drawn_by: r.try_get("drawn_by")?,
                })
            })
            .collect()
    }

    /// Imports historical businesses with their duties (the demo); one audit record.
    pub async fn import_businesses(
        &self,
        list: &[Business],
        obligations: impl Fn(&Business) -> Vec<Obligation>,
        actor: &str,
        at: Timestamp,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let mut chain = Chain::lock(&mut tx, self.backend(), &self.audit_key).await?;
        let first = crate::cases::next_id(&mut tx, "businesses").await?;
        let (mut rows, mut duties) = (vec![], vec![]);
        for (i, b) in list.iter().enumerate() {
            let mut b = b.clone();
            b.id = first + i as i64;
            rows.push(row(&b));
            duties.extend(crate::obligations::obligation_rows(MatterKind::Business, b.id, &obligations(&b)));
        }
        insert_rows(&mut tx, "businesses", &COLUMNS, &rows).await?;
        insert_rows(&mut tx, "obligations", &crate::obligations::OBLIGATION_COLUMNS, &duties).await?;
        chain
            .append(
                &mut tx,
                &AuditEntry {
                    at,
                    actor: actor.into(),
                    action: "business.import".into(),
                    entity: "business".into(),
                    entity_id: format!("{first}-{}", first + list.len() as i64 - 1),
                    detail: serde_json::json!({ "businesses": list.len() }).to_string(),
                },
            )
            .await?;
        chain.store(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }
}
