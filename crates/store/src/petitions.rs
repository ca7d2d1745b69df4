//! Petitions as rows: the petition (history included) as one JSON document, the columns
//! lists and statistics select on beside it, its duties in `obligations`, and one audit
//! record per step — all in one transaction, refusing a stale version.

use crate::audit::{AuditEntry, Chain};
use crate::rows::{insert_new_rows, Val};
use crate::writer::OutboxMessage;
use crate::{to_millis, Result, Store, StoreError};
use domain::case::Actor;
use domain::obligation::{MatterKind, Obligation};
use domain::petition::{Class, NewPetition, Petition, PetitionId, Status};
use domain::Timestamp;
use sqlx::Row;

/// Most petitions one list returns.
pub const PETITION_PAGE_MAX: i64 = 200;

/// Which petitions a list shows. Empty fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct PetitionFilter {
    pub status: Option<Vec<Status>>,
    /// Only those this account is the officer or the owning leader of.
    pub handled_by: Option<i64>,
    /// Only those this resident filed.
    pub reported_by: Option<i64>,
    pub before_id: Option<PetitionId>,
    pub limit: i64,
}

/// An earlier petition that looks like the same matter.
#[derive(Debug, Clone, PartialEq)]
pub struct Repeat {
    pub id: PetitionId,
    pub status: Status,
    pub reviews: u8,
    pub same_person: bool,
}

fn phones(p: &Petition) -> String {
    let list: Vec<&str> = p.petitioners.iter().filter_map(|x| x.phone.as_deref()).collect();
    format!(",{},", list.join(","))
}

fn from_row(r: &sqlx::any::AnyRow) -> Result<Petition> {
    let body: String = r.try_get("body")?;
    serde_json::from_str(&body).map_err(|e| StoreError::Corrupt(format!("petition document: {e}")))
}

fn audit_entry(p: &Petition, e: &domain::petition::Event) -> AuditEntry {
    AuditEntry {
        at: e.at,
        actor: format!("{}:{}", e.actor.user_id, e.actor.username),
        action: format!("petition.{}", e.action),
        entity: "petition".into(),
        entity_id: p.id.to_string(),
        detail: serde_json::json!({
            "status": e.to.as_str(),
            "duty": e.duty,
            "level": e.level,
            "version": p.version,
        })
        .to_string(),
    }
}

impl Store {
    /// Registers a petition: the store gives it its id, the domain makes it
    /// (`domain::petition::register`), `obligations` states its duties, and petition,
    /// duties, notices and audit record commit together.
    pub async fn create_petition(
        &self,
        new: NewPetition,
        actor: &Actor,
        at: Timestamp,
        limits: &domain::petition::Limits,
        obligations: impl Fn(&Petition) -> Vec<Obligation>,
        outbox: &[OutboxMessage],
    ) -> Result<Petition> {
        let mut tx = self.begin_write().await?;
        let mut chain = Chain::lock(&mut tx, self.backend(), &self.audit_key).await?;
        let id = crate::cases::next_id(&mut tx, "petitions").await?;
        let p = domain::petition::register(id, new, actor.clone(), at, limits)
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        let body = serde_json::to_string(&p).expect("a petition serialises");
        sqlx::query(
            "INSERT INTO petitions (id, version, status, class, channel, topic, grid, lat, lng, registered_at, updated_at, \
             closed_at, officer, leader, reported_by, reviews, petitioner_phones, body) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
        )
        .bind(p.id)
        .bind(p.version as i64)
        .bind(p.status.as_str())
        .bind(p.class.as_str())
        .bind(p.channel.as_str())
        .bind(&p.topic)
        .bind(p.grid.as_str())
        .bind(p.location.map(|l| l.lat()))
        .bind(p.location.map(|l| l.lng()))
        .bind(to_millis(p.registered_at))
        .bind(to_millis(p.updated_at))
        .bind(p.closed_at.map(to_millis))
        .bind(p.officer)
        .bind(p.leader)
        .bind(p.reported_by)
        .bind(p.reviews as i64)
        .bind(phones(&p))
        .bind(body)
        .execute(&mut *tx)
        .await?;
        crate::obligations::replace(&mut tx, MatterKind::Petition, p.id, &obligations(&p)).await?;
        crate::writer::write_matter_outbox(&mut tx, &format!("petition{}", p.id), outbox, at).await?;
        chain.append(&mut tx, &audit_entry(&p, &p.events[0])).await?;
        chain.store(&mut tx).await?;
        tx.commit().await?;
        Ok(p)
    }

    /// Writes `after`, computed by the domain from the stored petition at `before_version`,
    /// with its duties, notices and one audit record per new event. A stale version fails
    /// with a conflict and writes nothing.
    pub async fn save_petition(
        &self,
        before_version: u32,
        after: &Petition,
        obligations: &[Obligation],
        outbox: &[OutboxMessage],
        query_code_hash: Option<&str>,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let mut chain = Chain::lock(&mut tx, self.backend(), &self.audit_key).await?;
        let done = sqlx::query(
            "UPDATE petitions SET version = $1, status = $2, class = $3, topic = $4, updated_at = $5, closed_at = $6, \
             officer = $7, leader = $8, reviews = $9, body = $10 WHERE id = $11 AND version = $12",
        )
        .bind(after.version as i64)
        .bind(after.status.as_str())
        .bind(after.class.as_str())
        .bind(&after.topic)
        .bind(to_millis(after.updated_at))
        .bind(after.closed_at.map(to_millis))
        .bind(after.officer)
        .bind(after.leader)
        .bind(after.reviews as i64)
        .bind(serde_json::to_string(after).expect("a petition serialises"))
        .bind(after.id)
        .bind(before_version as i64)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict(format!("petition {} was changed by someone else; reload it", after.id)));
        }
        if let Some(hash) = query_code_hash {
            sqlx::query("UPDATE petitions SET query_code_hash = $1 WHERE id = $2")
                .bind(hash)
                .bind(after.id)
                .execute(&mut *tx)
                .await?;
        }
        crate::obligations::replace(&mut tx, MatterKind::Petition, after.id, obligations).await?;
        let links: Vec<Vec<Val>> = after
            .commitments
            .iter()
            .enumerate()
            .filter_map(|(i, k)| k.case_id.map(|c| vec![Val::from(c), after.id.into(), (i as i64).into()]))
            .collect();
        insert_new_rows(&mut tx, "petition_case_links", &["case_id", "petition_id", "commitment"], &links, "case_id")
            .await?;
        crate::writer::write_matter_outbox(&mut tx, &format!("petition{}", after.id), outbox, after.updated_at).await?;
        for e in after.events.iter().skip(before_version as usize) {
            chain.append(&mut tx, &audit_entry(after, e)).await?;
        }
        chain.store(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn petition(&self, id: PetitionId) -> Result<Petition> {
        let r = sqlx::query("SELECT body FROM petitions WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        from_row(&r)
    }

    /// Petitions newest first.
    pub async fn petitions(&self, f: &PetitionFilter) -> Result<Vec<Petition>> {
        let mut sql = "SELECT body FROM petitions WHERE id < $1".to_owned();
        if let Some(st) = &f.status {
            // Status names are our own fixed words, so inlining them is safe.
            let list: Vec<String> = st.iter().map(|s| format!("'{}'", s.as_str())).collect();
            sql.push_str(&format!(
                " AND status IN ({})",
                if list.is_empty() { "NULL".into() } else { list.join(", ") }
            ));
        }
        if f.handled_by.is_some() {
            sql.push_str(" AND (officer = $3 OR leader = $3)");
        }
        if f.reported_by.is_some() {
            sql.push_str(" AND reported_by = $4");
        }
        sql.push_str(" ORDER BY id DESC LIMIT $2");
        let mut q = sqlx::query(&sql).bind(f.before_id.unwrap_or(i64::MAX)).bind(f.limit.clamp(1, PETITION_PAGE_MAX));
        if f.handled_by.is_some() || f.reported_by.is_some() {
            q = q.bind(f.handled_by.unwrap_or(-1));
        }
        if f.reported_by.is_some() {
            q = q.bind(f.reported_by.unwrap_or(-1));
        }
        let rows = q.fetch_all(self.pool()).await?;
        rows.iter().map(from_row).collect()
    }

    /// Earlier petitions on what looks like the same matter: any of these phones, or the
    /// same topic within `radius_m` of `near`, registered at or after `since`.
    pub async fn petition_repeats(
        &self,
        phones: &[String],
        topic: &str,
        near: Option<domain::geo::LatLng>,
        radius_m: f64,
        since: Timestamp,
    ) -> Result<Vec<Repeat>> {
        let rows = sqlx::query(
            "SELECT id, status, reviews, petitioner_phones, lat, lng, topic FROM petitions \
             WHERE registered_at >= $1 ORDER BY id",
        )
        .bind(to_millis(since))
        .fetch_all(self.pool())
        .await?;
        let mut out = vec![];
        for r in &rows {
            let stored: String = r.try_get("petitioner_phones")?;
            let same_person = phones.iter().any(|p| !p.is_empty() && stored.contains(&format!(",{p},")));
            let same_place = r.try_get::<String, _>("topic")? == topic
                && match (near, r.try_get::<Option<f64>, _>("lat")?, r.try_get::<Option<f64>, _>("lng")?) {
                    (Some(n), Some(lat), Some(lng)) => {
                        domain::geo::LatLng::new(lat, lng).map(|l| l.distance_metres(&n) <= radius_m).unwrap_or(false)
                    }
                    _ => false,
                };
            if same_person || same_place {
                let status: String = r.try_get("status")?;
                out.push(Repeat {
                    id: r.try_get("id")?,
                    status: Status::parse(&status)
                        .ok_or_else(|| StoreError::Corrupt(format!("petition status {status:?}")))?,
                    reviews: r.try_get::<i64, _>("reviews")?.clamp(0, 2) as u8,
                    same_person,
                });
            }
        }
        Ok(out)
    }

    /// The petition whose query code has this hash.
    pub async fn petition_by_query_code(&self, hash: &str) -> Result<Petition> {
        let r = sqlx::query("SELECT body FROM petitions WHERE query_code_hash = $1")
            .bind(hash)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        from_row(&r)
    }

    /// The petition commitment a case carries out, if any: (petition, commitment index).
    pub async fn commitment_of_case(&self, case_id: i64) -> Result<Option<(PetitionId, usize)>> {
        let r = sqlx::query("SELECT petition_id, commitment FROM petition_case_links WHERE case_id = $1")
            .bind(case_id)
            .fetch_optional(self.pool())
            .await?;
        r.map(|r| Ok((r.try_get("petition_id")?, r.try_get::<i64, _>("commitment")? as usize))).transpose()
    }

    /// The petitions registered in `[from, to)` (for statistics: a street registers a few
    /// thousand a year).
    pub async fn petitions_registered(&self, from: Timestamp, to: Timestamp) -> Result<Vec<Petition>> {
        let rows =
            sqlx::query("SELECT body FROM petitions WHERE registered_at >= $1 AND registered_at < $2 ORDER BY id")
                .bind(to_millis(from))
                .bind(to_millis(to))
                .fetch_all(self.pool())
                .await?;
        rows.iter().map(from_row).collect()
    }

    /// Petitions of a class registered in `[from, to)`.
    pub async fn petition_count(&self, class: Class, from: Timestamp, to: Timestamp) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM petitions WHERE class = $1 AND registered_at >= $2 AND registered_at < $3",
        )
        .bind(class.as_str())
        .bind(to_millis(from))
        .bind(to_millis(to))
        .fetch_one(self.pool())
        .await?)
    }

    /// Imports historical petitions (the demo's two years), each with its duties, into a
    /// database without petitions; one audit record covers the import.
    pub async fn import_petitions(
        &self,
        petitions: &[Petition],
        obligations: impl Fn(&Petition) -> Vec<Obligation>,
        actor: &str,
        at: Timestamp,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let mut chain = Chain::lock(&mut tx, self.backend(), &self.audit_key).await?;
        let first = crate::cases::next_id(&mut tx, "petitions").await?;
        let columns = [
            "id",
            "version",
            "status",
            "class",
            "channel",
            "topic",
            "grid",
            "lat",
            "lng",
            "registered_at",
            "updated_at",
            "closed_at",
            "officer",
            "leader",
            "reported_by",
            "reviews",
            "petitioner_phones",
            "body",
        ];
        let mut rows = vec![];
        let mut duties = vec![];
        for (i, p) in petitions.iter().enumerate() {
            let mut p = p.clone();
            p.id = first + i as i64;
            let t = |x: Option<Timestamp>| Val::Int(x.map(to_millis));
            rows.push(vec![
                p.id.into(),
                (p.version as i64).into(),
                p.status.as_str().into(),
                p.class.as_str().into(),
                p.channel.as_str().into(),
                p.topic.as_str().into(),
                p.grid.as_str().into(),
                Val::Real(p.location.map(|l| l.lat())),
                Val::Real(p.location.map(|l| l.lng())),
                to_millis(p.registered_at).into(),
                to_millis(p.updated_at).into(),
                t(p.closed_at),
                p.officer.into(),
                p.leader.into(),
                p.reported_by.into(),
                (p.reviews as i64).into(),
                phones(&p).into(),
                serde_json::to_string(&p).expect("a petition serialises").into(),
            ]);
            duties.extend(crate::obligations::obligation_rows(MatterKind::Petition, p.id, &obligations(&p)));
        }
        crate::rows::insert_rows(&mut tx, "petitions", &columns, &rows).await?;
        crate::rows::insert_rows(&mut tx, "obligations", &crate::obligations::OBLIGATION_COLUMNS, &duties).await?;
        chain
            .append(
                &mut tx,
                &AuditEntry {
                    at,
                    actor: actor.into(),
                    action: "petition.import".into(),
                    entity: "petition".into(),
                    entity_id: format!("{first}-{}", first + petitions.len() as i64 - 1),
                    detail: serde_json::json!({ "petitions": petitions.len() }).to_string(),
                },
            )
            .await?;
        chain.store(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }
}
