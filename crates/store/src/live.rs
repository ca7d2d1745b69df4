//! What the background workers and live screens read: cases whose alerts fall due, the
//! notifications outbox, and the change log that live streams replay and follow.

use crate::audit::Chain;
use crate::rows::insert_rows;
use crate::writer::CHANGE_COLUMNS;
use crate::{from_millis, opt_from_millis, to_millis, Backend, Result, Store};
use domain::case::CaseId;
use domain::Timestamp;
use sqlx::Row;

/// One notification waiting in (or sent from) the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRow {
    pub id: i64,
    pub dedupe_key: String,
    pub channel: String,
    pub recipient_user: Option<i64>,
    pub recipient_phone: Option<String>,
    pub subject: String,
    pub body: String,
    pub case_id: Option<i64>,
    pub status: String,
    pub attempts: i64,
    pub sent_at: Option<Timestamp>,
    pub last_error: Option<String>,
}

/// What a change is about, as the change log names it; each kind says who may see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeKind {
    Case,
    Responder,
    /// A kind this version does not know (a newer node wrote it).
    Other(String),
}

/// Who may see a kind of change in the live stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Whoever may see the case: the scope of their role, or their own report.
    CaseScope,
    /// Whoever may see where that responder is.
    ResponderScope,
    Nobody,
}

impl ChangeKind {
    pub fn parse(s: &str) -> Self {
        match s {
            "case" => Self::Case,
            "responder" => Self::Responder,
            other => Self::Other(other.to_owned()),
        }
    }
    pub fn as_str(&self) -> &str {
        match self {
            Self::Case => "case",
            Self::Responder => "responder",
            Self::Other(s) => s,
        }
    }
    /// Unknown kinds are shown to nobody rather than judged by another kind's rules.
    pub fn audience(&self) -> Audience {
        match self {
            Self::Case => Audience::CaseScope,
            Self::Responder => Audience::ResponderScope,
            Self::Other(_) => Audience::Nobody,
        }
    }
}

/// One entry of the change log.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub seq: i64,
    pub at: Timestamp,
    pub kind: ChangeKind,
    pub entity_id: i64,
    pub grid: Option<String>,
    pub reported_by: Option<i64>,
    /// A JSON object describing the new state.
    pub payload: String,
}

impl OutboxRow {
    /// A message about to go out at once, never stored as it is (a sign-in code).
    pub fn unsent(m: &crate::writer::OutboxMessage) -> Self {
        Self {
            id: 0,
            dedupe_key: m.dedupe_key.clone(),
            channel: m.channel.clone(),
            recipient_user: m.recipient_user,
            recipient_phone: m.recipient_phone.clone(),
            subject: m.subject.clone(),
            body: m.body.clone(),
            case_id: None,
            status: "sending".into(),
            attempts: 0,
            sent_at: None,
            last_error: None,
        }
    }
}

fn outbox_from_row(r: &sqlx::any::AnyRow) -> Result<OutboxRow> {
    Ok(OutboxRow {
        id: r.try_get("id")?,
        dedupe_key: r.try_get("dedupe_key")?,
        channel: r.try_get("channel")?,
        recipient_user: r.try_get("recipient_user")?,
        recipient_phone: r.try_get("recipient_phone")?,
        subject: r.try_get("subject")?,
        body: r.try_get("body")?,
        case_id: r.try_get("case_id")?,
        status: r.try_get("status")?,
        attempts: r.try_get("attempts")?,
        sent_at: opt_from_millis(r.try_get("sent_at")?)?,
        last_error: r.try_get("last_error")?,
    })
}

const OUTBOX_SELECT: &str =
    "id, dedupe_key, channel, recipient_user, recipient_phone, subject, body, case_id, status, \
     attempts, sent_at, last_error";

impl Store {
    /// Takes up to `limit` notifications due for sending and leases them to this node until
    /// `lease_until`, so no other node sends them meanwhile; a node that dies holding a lease
    /// leaves them to be taken again when it runs out.
    pub async fn claim_outbox(&self, now: Timestamp, lease_until: Timestamp, limit: i64) -> Result<Vec<OutboxRow>> {
        let pick = match self.backend() {
            Backend::Sqlite => {
                "SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= $2 \
                 AND (lease_until IS NULL OR lease_until < $2) ORDER BY id LIMIT $3"
            }
            Backend::Postgres => {
                "SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= $2 \
                 AND (lease_until IS NULL OR lease_until < $2) ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED"
            }
        };
        let mut tx = self.begin_write().await?;
        let rows =
            sqlx::query(&format!("UPDATE outbox SET lease_until = $1 WHERE id IN ({pick}) RETURNING {OUTBOX_SELECT}"))
                .bind(to_millis(lease_until))
                .bind(to_millis(now))
                .bind(limit)
                .fetch_all(&mut *tx)
                .await?;
        tx.commit().await?;
        rows.iter().map(outbox_from_row).collect()
    }

    pub async fn outbox_sent(&self, id: i64, at: Timestamp) -> Result<()> {
        sqlx::query("UPDATE outbox SET status = 'sent', sent_at = $1, attempts = attempts + 1, lease_until = NULL WHERE id = $2")
            .bind(to_millis(at))
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Records a failed attempt: tried again at `retry_at`, or given up when `None`.
    pub async fn outbox_failed(&self, id: i64, error: &str, retry_at: Option<Timestamp>) -> Result<()> {
        sqlx::query(
            "UPDATE outbox SET status = $1, attempts = attempts + 1, last_error = $2, next_attempt_at = $3, \
             lease_until = NULL WHERE id = $4",
        )
        .bind(if retry_at.is_some() { "pending" } else { "failed" })
        .bind(error)
        .bind(retry_at.map(to_millis).unwrap_or(0))
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The notifications of one case, oldest first.
    pub async fn outbox_for_case(&self, case_id: CaseId) -> Result<Vec<OutboxRow>> {
        let rows = sqlx::query(&format!("SELECT {OUTBOX_SELECT} FROM outbox WHERE case_id = $1 ORDER BY id"))
            .bind(case_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(outbox_from_row).collect()
    }

    /// Changes after `seq`, oldest first.
    pub async fn changes_after(&self, seq: i64, limit: i64) -> Result<Vec<Change>> {
        let rows = sqlx::query(
            "SELECT seq, at, kind, entity_id, grid, reported_by, payload FROM change_log WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(seq)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Change {
                    seq: r.try_get("seq")?,
                    at: from_millis(r.try_get("at")?)?,
                    kind: ChangeKind::parse(&r.try_get::<String, _>("kind")?),
                    entity_id: r.try_get("entity_id")?,
                    grid: r.try_get("grid")?,
                    reported_by: r.try_get("reported_by")?,
                    payload: r.try_get("payload")?,
                })
            })
            .collect()
    }

    /// The newest change's number (0 when none).
    pub async fn last_change_seq(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT CAST(COALESCE(MAX(seq), 0) AS BIGINT) FROM change_log")
            .fetch_one(self.pool())
            .await?)
    }

    /// The oldest change still kept (streams cannot resume from before it).
    pub async fn first_change_seq(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT CAST(COALESCE(MIN(seq), 0) AS BIGINT) FROM change_log")
            .fetch_one(self.pool())
            .await?)
    }

    /// Forgets changes older than `before`.
    pub async fn prune_changes(&self, before: Timestamp) -> Result<u64> {
        let done =
            sqlx::query("DELETE FROM change_log WHERE at < $1").bind(to_millis(before)).execute(self.pool()).await?;
        Ok(done.rows_affected())
    }

    /// Records a responder change in the change log, under the chain's lock so the log's
    /// order is the commit order on every backend.
    pub(crate) async fn log_responder_change(
        &self,
        tx: &mut crate::WriteTx,
        id: i64,
        at: Timestamp,
        payload: serde_json::Value,
    ) -> Result<()> {
        Chain::lock(tx, self.backend(), &self.audit_key).await?;
        insert_rows(
            tx,
            "change_log",
            &CHANGE_COLUMNS,
            &[vec![
                to_millis(at).into(),
                ChangeKind::Responder.as_str().into(),
                id.into(),
                None::<String>.into(),
                None::<i64>.into(),
                payload.to_string().into(),
            ]],
        )
        .await
    }
}

impl Store {
    /// Text messages to a phone number (a petitioner's, a reporter's), newest first.
    pub async fn outbox_to_phone(&self, phone: &str, limit: i64) -> Result<Vec<OutboxRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {OUTBOX_SELECT} FROM outbox WHERE recipient_phone = $1 ORDER BY id DESC LIMIT $2"
        ))
        .bind(phone)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(outbox_from_row).collect()
    }

    /// A user's notifications as they stand at `now`, newest first — not those scheduled for
    /// later (a reminder before a shift) until their time has come.
    pub async fn outbox_for_user(&self, user: i64, now: Timestamp, limit: i64) -> Result<Vec<OutboxRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {OUTBOX_SELECT} FROM outbox WHERE recipient_user = $1 \
             AND (status <> 'pending' OR attempts > 0 OR next_attempt_at <= $2) ORDER BY id DESC LIMIT $3"
        ))
        .bind(user)
        .bind(to_millis(now))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(outbox_from_row).collect()
    }
}

/// A file attached to a case, without its bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct Attachment {
    pub id: i64,
    pub case_id: CaseId,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub uploaded_by: i64,
    pub created_at: Timestamp,
}

impl Store {
    /// Stores a file for a case, recorded in the audit log.
    pub async fn add_attachment(
        &self,
        case_id: CaseId,
        content_type: &str,
        data: &[u8],
        uploaded_by: i64,
        actor: &str,
        at: Timestamp,
    ) -> Result<Attachment> {
        use sha2::Digest;
        let sha = hex::encode(sha2::Sha256::digest(data));
        let mut tx = self.begin_write().await?;
        let exists: Option<i64> =
            sqlx::query_scalar("SELECT id FROM cases WHERE id = $1").bind(case_id).fetch_optional(&mut *tx).await?;
        if exists.is_none() {
            return Err(crate::StoreError::NotFound);
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO attachments (case_id, content_type, size_bytes, sha256, data, uploaded_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(case_id)
        .bind(content_type)
        .bind(data.len() as i64)
        .bind(&sha)
        .bind(data.to_vec())
        .bind(uploaded_by)
        .bind(to_millis(at))
        .fetch_one(&mut *tx)
        .await?;
        self.audit_in(
            &mut tx,
            crate::AuditEntry {
                at,
                actor: actor.into(),
                action: "attachment.add".into(),
                entity: "case".into(),
                entity_id: case_id.to_string(),
                detail: serde_json::json!({"attachment": id, "sha256": sha, "bytes": data.len(), "type": content_type})
                    .to_string(),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Attachment {
            id,
            case_id,
            content_type: content_type.into(),
            size_bytes: data.len() as i64,
            sha256: sha,
            uploaded_by,
            created_at: at,
        })
    }

    pub async fn attachments(&self, case_id: CaseId) -> Result<Vec<Attachment>> {
        let rows = sqlx::query(
            "SELECT id, case_id, content_type, size_bytes, sha256, uploaded_by, created_at FROM attachments WHERE case_id = $1 ORDER BY id",
        )
        .bind(case_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Attachment {
                    id: r.try_get("id")?,
                    case_id: r.try_get("case_id")?,
                    content_type: r.try_get("content_type")?,
                    size_bytes: r.try_get("size_bytes")?,
                    sha256: r.try_get("sha256")?,
                    uploaded_by: r.try_get("uploaded_by")?,
                    created_at: from_millis(r.try_get("created_at")?)?,
                })
            })
            .collect()
    }

    /// An attachment's case, type and bytes.
    pub async fn attachment_data(&self, id: i64) -> Result<(CaseId, String, Vec<u8>)> {
        let r = sqlx::query("SELECT case_id, content_type, data FROM attachments WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(crate::StoreError::NotFound)?;
        Ok((r.try_get("case_id")?, r.try_get("content_type")?, r.try_get("data")?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_names_its_audience() {
        assert_eq!(ChangeKind::parse("case").audience(), Audience::CaseScope);
        assert_eq!(ChangeKind::parse("responder").audience(), Audience::ResponderScope);
        // A mediation change written by a newer node is shown to nobody, not as a case.
        let other = ChangeKind::parse("mediation");
        assert_eq!((other.audience(), other.as_str()), (Audience::Nobody, "mediation"));
        for k in [ChangeKind::Case, ChangeKind::Responder] {
            assert_eq!(ChangeKind::parse(k.as_str()), k);
        }
    }
}
