//! Files of a matter (a petition's scanned letter, photos of visits and sessions, a
//! signature drawn on the tablet), kept in the database so one backup holds everything.
//! Adding one is audited; so is every look at one (by the caller, who knows why it looks).

use crate::audit::AuditEntry;
use crate::{to_millis, Result, Store, StoreError};
use domain::obligation::MatterKind;
use domain::Timestamp;
use sqlx::Row;

/// A file of a matter, without its bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct MatterFile {
    pub id: i64,
    pub matter_id: i64,
    /// What it is: `letter`, `follow_up:N`, `session:N`, `signature:N`.
    pub purpose: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub uploaded_by: i64,
    pub created_at: Timestamp,
}

impl Store {
    /// Adds a file to a matter that exists; audited.
    #[allow(clippy::too_many_arguments)]
    pub async fn add_matter_file(
        &self,
        kind: MatterKind,
        matter_id: i64,
        purpose: &str,
        content_type: &str,
        data: &[u8],
        uploaded_by: i64,
        actor: &str,
        at: Timestamp,
    ) -> Result<i64> {
        use sha2::Digest;
        let table = crate::obligations::matter_table(kind);
        let mut tx = self.begin_write().await?;
        let exists: Option<i64> = sqlx::query_scalar(&format!("SELECT id FROM {table} WHERE id = $1"))
            .bind(matter_id)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound);
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO matter_files (matter_kind, matter_id, purpose, content_type, size_bytes, sha256, data, uploaded_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(kind.as_str())
        .bind(matter_id)
        .bind(purpose)
        .bind(content_type)
        .bind(data.len() as i64)
        .bind(hex::encode(sha2::Sha256::digest(data)))
        .bind(data)
        .bind(uploaded_by)
        .bind(to_millis(at))
        .fetch_one(&mut *tx)
        .await?;
        let entry = AuditEntry {
            at,
            actor: actor.into(),
            action: format!("{}.file", kind.as_str()),
            entity: kind.as_str().into(),
            entity_id: matter_id.to_string(),
            detail: serde_json::json!({ "file": id, "purpose": purpose, "bytes": data.len() }).to_string(),
        };
        self.audit_in(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Adds many files at once (an import: the demo's evidence photos), with one audit
    /// record; returns their ids in order.
    pub async fn import_matter_files(
        &self,
        kind: MatterKind,
        files: &[(i64, String, String, Vec<u8>)],
        actor: &str,
        at: Timestamp,
    ) -> Result<Vec<i64>> {
        use sha2::Digest;
        let mut tx = self.begin_write().await?;
        let mut ids = Vec::with_capacity(files.len());
        for (matter_id, purpose, content_type, data) in files {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO matter_files (matter_kind, matter_id, purpose, content_type, size_bytes, sha256, data, uploaded_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8) RETURNING id",
            )
            .bind(kind.as_str())
            .bind(*matter_id)
            .bind(purpose)
            .bind(content_type)
            .bind(data.len() as i64)
            .bind(hex::encode(sha2::Sha256::digest(data)))
            .bind(data.as_slice())
            .bind(to_millis(at))
            .fetch_one(&mut *tx)
            .await?;
            ids.push(id);
        }
        let entry = AuditEntry {
            at,
            actor: actor.into(),
            action: format!("{}.file.import", kind.as_str()),
            entity: kind.as_str().into(),
            entity_id: "*".into(),
            detail: serde_json::json!({ "files": ids.len() }).to_string(),
        };
        self.audit_in(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(ids)
    }

    /// The files of a matter, without their bytes.
    pub async fn matter_files(&self, kind: MatterKind, matter_id: i64) -> Result<Vec<MatterFile>> {
        let rows = sqlx::query(
            "SELECT id, matter_id, purpose, content_type, size_bytes, uploaded_by, created_at FROM matter_files \
             WHERE matter_kind = $1 AND matter_id = $2 ORDER BY id",
        )
        .bind(kind.as_str())
        .bind(matter_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(MatterFile {
                    id: r.try_get("id")?,
                    matter_id: r.try_get("matter_id")?,
                    purpose: r.try_get("purpose")?,
                    content_type: r.try_get("content_type")?,
                    size_bytes: r.try_get("size_bytes")?,
                    uploaded_by: r.try_get("uploaded_by")?,
                    created_at: crate::from_millis(r.try_get("created_at")?)?,
                })
            })
            .collect()
    }

    /// One file of a matter: its type and bytes. A file of another matter is not found.
    pub async fn matter_file_data(&self, kind: MatterKind, matter_id: i64, id: i64) -> Result<(String, Vec<u8>)> {
        let r = sqlx::query(
            "SELECT content_type, data FROM matter_files WHERE id = $1 AND matter_kind = $2 AND matter_id = $3",
        )
        .bind(id)
        .bind(kind.as_str())
        .bind(matter_id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok((r.try_get("content_type")?, r.try_get("data")?))
    }
}
