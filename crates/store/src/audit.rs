//! The audit log: append-only and hash-chained.
//!
//! Record `n` stores `hash_n = sha256(hash_{n-1} ‖ content_n)`, where the content is a JSON
//! array of the record's fields including its sequence number. The head row (`audit_head`)
//! holds the last sequence number and hash, and is locked by every writer, so records form one
//! chain even with several nodes. Verification recomputes every hash: a changed record breaks
//! its own hash, an inserted or deleted one breaks the sequence or the link, and a cut tail no
//! longer matches the head.

use crate::rows::{insert_rows, Val};
use crate::{from_millis, to_millis, Backend, Conn, Result, Store};
use domain::Timestamp;
use sha2::{Digest, Sha256};
use sqlx::Row;

const AUDIT_COLUMNS: [&str; 9] = ["seq", "at", "actor", "action", "entity", "entity_id", "detail", "prev_hash", "hash"];

/// Rows read per query while verifying, so a long log never sits in memory at once.
const VERIFY_PAGE_ROWS: i64 = 5_000;

/// What to record: who did what to which entity, with a short machine-readable detail.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub at: Timestamp,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    /// A JSON object with the facts of the change (never passwords or tokens).
    pub detail: String,
}

/// The chain's head while a transaction appends to it.
pub(crate) struct Chain {
    seq: i64,
    hash: String,
}

fn content(seq: i64, at_millis: i64, e: &AuditEntry) -> String {
    serde_json::json!([seq, at_millis, e.actor, e.action, e.entity, e.entity_id, e.detail]).to_string()
}

fn link(prev_hash: &str, content: &str) -> String {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(b"\n");
    h.update(content.as_bytes());
    hex::encode(h.finalize())
}

impl Chain {
    /// The head as read by a caller that holds the lock already.
    pub(crate) fn at(seq: i64, hash: String) -> Self {
        Self { seq, hash }
    }

    /// Reads the head and locks it until the transaction ends.
    pub(crate) async fn lock(conn: &mut Conn, backend: Backend) -> Result<Self> {
        let sql = match backend {
            // SQLite transactions here hold the database write lock already.
            Backend::Sqlite => "SELECT seq, hash FROM audit_head WHERE id = 1",
            Backend::Postgres => "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE",
        };
        let row = sqlx::query(sql).fetch_one(&mut *conn).await?;
        Ok(Self { seq: row.try_get("seq")?, hash: row.try_get("hash")? })
    }

    pub(crate) async fn append(&mut self, conn: &mut Conn, e: &AuditEntry) -> Result<i64> {
        let seq = self.seq + 1;
        let at = to_millis(e.at);
        let hash = link(&self.hash, &content(seq, at, e));
        sqlx::query(
            "INSERT INTO audit_log (seq, at, actor, action, entity, entity_id, detail, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(seq)
        .bind(at)
        .bind(&e.actor)
        .bind(&e.action)
        .bind(&e.entity)
        .bind(&e.entity_id)
        .bind(&e.detail)
        .bind(&self.hash)
        .bind(&hash)
        .execute(&mut *conn)
        .await?;
        self.seq = seq;
        self.hash = hash;
        Ok(seq)
    }

    /// Appends several records with one statement.
    pub(crate) async fn append_all(&mut self, conn: &mut Conn, entries: &[AuditEntry]) -> Result<()> {
        let mut rows = Vec::with_capacity(entries.len());
        for e in entries {
            let seq = self.seq + 1;
            let at = to_millis(e.at);
            let hash = link(&self.hash, &content(seq, at, e));
            rows.push(vec![
                Val::from(seq),
                at.into(),
                e.actor.as_str().into(),
                e.action.as_str().into(),
                e.entity.as_str().into(),
                e.entity_id.as_str().into(),
                e.detail.as_str().into(),
                self.hash.as_str().into(),
                hash.as_str().into(),
            ]);
            self.seq = seq;
            self.hash = hash;
        }
        insert_rows(conn, "audit_log", &AUDIT_COLUMNS, &rows).await
    }

    /// Writes the head back; call once before commit.
    pub(crate) async fn store(&self, conn: &mut Conn) -> Result<()> {
        sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
            .bind(self.seq)
            .bind(&self.hash)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }
}

/// The outcome of [`Store::verify_audit`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditReport {
    Intact {
        records: i64,
    },
    /// The first record (by sequence number) where the chain is broken, and how.
    Broken {
        seq: i64,
        reason: String,
    },
}

/// One stored audit record, as the history views show it.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    pub seq: i64,
    pub entry: AuditEntry,
    pub hash: String,
}

impl Store {
    /// Appends one record inside the caller's transaction, so the change and its record
    /// commit together.
    pub(crate) async fn audit_in(&self, tx: &mut crate::WriteTx, e: AuditEntry) -> Result<()> {
        let mut chain = Chain::lock(tx, self.backend).await?;
        chain.append(tx, &e).await?;
        chain.store(tx).await
    }

    /// Appends one record in its own transaction (for changes that have no other write).
    pub async fn audit(&self, e: &AuditEntry) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let mut chain = Chain::lock(&mut tx, self.backend).await?;
        let seq = chain.append(&mut tx, e).await?;
        chain.store(&mut tx).await?;
        tx.commit().await?;
        Ok(seq)
    }

    /// The most recent records about one entity, newest first.
    pub async fn audit_for(&self, entity: &str, entity_id: &str, limit: i64) -> Result<Vec<AuditRecord>> {
        let rows = sqlx::query(
            "SELECT seq, at, actor, action, entity, entity_id, detail, hash FROM audit_log \
             WHERE entity = $1 AND entity_id = $2 ORDER BY seq DESC LIMIT $3",
        )
        .bind(entity)
        .bind(entity_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditRecord {
                    seq: r.try_get("seq")?,
                    hash: r.try_get("hash")?,
                    entry: AuditEntry {
                        at: from_millis(r.try_get("at")?)?,
                        actor: r.try_get("actor")?,
                        action: r.try_get("action")?,
                        entity: r.try_get("entity")?,
                        entity_id: r.try_get("entity_id")?,
                        detail: r.try_get("detail")?,
                    },
                })
            })
            .collect()
    }

    /// Walks the whole chain and names the first record that does not fit.
    pub async fn verify_audit(&self) -> Result<AuditReport> {
        let mut expected_seq = 1i64;
        let mut prev = "0".repeat(64);
        loop {
            let rows = sqlx::query(
                "SELECT seq, at, actor, action, entity, entity_id, detail, prev_hash, hash FROM audit_log \
                 WHERE seq >= $1 ORDER BY seq LIMIT $2",
            )
            .bind(expected_seq)
            .bind(VERIFY_PAGE_ROWS)
            .fetch_all(self.pool())
            .await?;
            if rows.is_empty() {
                break;
            }
            for r in &rows {
                let seq: i64 = r.try_get("seq")?;
                if seq != expected_seq {
                    return Ok(AuditReport::Broken {
                        seq: expected_seq,
                        reason: format!("record {expected_seq} is missing (next present is {seq})"),
                    });
                }
                let prev_hash: String = r.try_get("prev_hash")?;
                if prev_hash != prev {
                    return Ok(AuditReport::Broken { seq, reason: "does not link to the record before it".into() });
                }
                let e = AuditEntry {
                    at: chrono::DateTime::UNIX_EPOCH,
                    actor: r.try_get("actor")?,
                    action: r.try_get("action")?,
                    entity: r.try_get("entity")?,
                    entity_id: r.try_get("entity_id")?,
                    detail: r.try_get("detail")?,
                };
                let at: i64 = r.try_get("at")?;
                let hash: String = r.try_get("hash")?;
                if link(&prev, &content(seq, at, &e)) != hash {
                    return Ok(AuditReport::Broken { seq, reason: "content does not match its hash".into() });
                }
                prev = hash;
                expected_seq += 1;
            }
        }
        let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_one(self.pool()).await?;
        let (head_seq, head_hash): (i64, String) = (head.try_get("seq")?, head.try_get("hash")?);
        let last = expected_seq - 1;
        if head_seq != last || head_hash != prev {
            return Ok(AuditReport::Broken {
                seq: last + 1,
                reason: format!(
                    "the log ends at record {last} but the head says {head_seq}: records were removed from the end"
                ),
            });
        }
        Ok(AuditReport::Intact { records: last })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_depend_on_everything() {
        let e = AuditEntry {
            at: chrono::DateTime::UNIX_EPOCH,
            actor: "a".into(),
            action: "case.create".into(),
            entity: "case".into(),
            entity_id: "1".into(),
            detail: "{}".into(),
        };
        let h = link("0", &content(1, 5, &e));
        assert_ne!(h, link("1", &content(1, 5, &e)));
        assert_ne!(h, link("0", &content(2, 5, &e)));
        assert_ne!(h, link("0", &content(1, 6, &e)));
        let mut e2 = e.clone();
        e2.detail = "{\"x\":1}".into();
        assert_ne!(h, link("0", &content(1, 5, &e2)));
        // Field boundaries cannot be shifted: "ab","c" differs from "a","bc".
        let mut e3 = e.clone();
        e3.actor = "ab".into();
        e3.action = "c".into();
        let mut e4 = e.clone();
        e4.actor = "a".into();
        e4.action = "bc".into();
        assert_ne!(link("0", &content(1, 5, &e3)), link("0", &content(1, 5, &e4)));
    }
}
