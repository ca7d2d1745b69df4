//! The audit log: append-only and hash-chained with a key.
//!
//! Record `n` stores `hash_n = HMAC-SHA256(key, hash_{n-1} ‖ content_n)`, where the content
//! is a JSON array of the record's fields including its sequence number. The key
//! ([`AuditKey`]) lives outside the database, so someone who can write the database can
//! still not rewrite the log and recompute the chain. (Records written before keying, up to
//! `audit_head.keyed_from`, keep plain SHA-256 links.) The head row (`audit_head`)
//! holds the last sequence number and hash, and is locked by every writer, so records form one
//! chain even with several nodes. Verification recomputes every hash: a changed record breaks
//! its own hash, an inserted or deleted one breaks the sequence or the link, and a cut tail no
//! longer matches the head.

use crate::rows::{insert_rows, Val};
use crate::{from_millis, to_millis, Backend, Conn, Result, Store, StoreError};
use domain::Timestamp;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use sqlx::Row;
use std::sync::Arc;

/// The secret the audit chain is keyed with. It is kept outside the database: in the file
/// the configuration names (`[audit] key_file`), the file `CIVICGRID_AUDIT_KEY_FILE` names,
/// or else the machine's own key file, made on first use. Nodes sharing a database share it.
#[derive(Clone)]
pub struct AuditKey(Arc<Vec<u8>>);

/// Shortest key accepted: 128 bits.
const AUDIT_KEY_BYTES_MIN: usize = 16;

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey(…)")
    }
}

impl AuditKey {
    pub fn new(bytes: Vec<u8>) -> Result<Self> {
        if bytes.len() < AUDIT_KEY_BYTES_MIN {
            return Err(StoreError::Invalid(format!("an audit key needs at least {AUDIT_KEY_BYTES_MIN} bytes")));
        }
        Ok(Self(Arc::new(bytes)))
    }

    /// Reads a key file: the key in hex (what [`AuditKey::machine_default`] writes).
    pub fn from_file(path: &std::path::Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| StoreError::Invalid(format!("cannot read the audit key file {}: {e}", path.display())))?;
        let bytes = hex::decode(text.trim())
            .map_err(|_| StoreError::Invalid(format!("the audit key file {} does not hold hex", path.display())))?;
        Self::new(bytes)
    }

    /// The key named by `CIVICGRID_AUDIT_KEY_FILE`, or else this machine's key file
    /// (`$XDG_STATE_HOME/civicgrid/audit.key`, or under `~/.local/state`), made with a new
    /// random key, readable by its owner only, the first time it is needed.
    pub fn machine_default() -> Result<Self> {
        if let Some(p) = std::env::var_os("CIVICGRID_AUDIT_KEY_FILE") {
            return Self::from_file(std::path::Path::new(&p));
        }
        let base = std::env::var_os("XDG_STATE_HOME")
            .map(std::path::PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".local/state")))
            .unwrap_or_else(std::env::temp_dir);
        let path = base.join("civicgrid").join("audit.key");
        if !path.exists() {
            create_key_file(&path).map_err(|e| {
                StoreError::Invalid(format!("cannot create the audit key file {}: {e}", path.display()))
            })?;
        }
        Self::from_file(&path)
    }
}

/// Writes a new random key to `path` unless another process got there first.
fn create_key_file(path: &std::path::Path) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path.parent().expect("a key file lies in a folder");
    std::fs::create_dir_all(dir)?;
    let mut key = [0u8; 32];
    getrandom(&mut key)?;
    let tmp = dir.join(format!(".audit.key.{}", std::process::id()));
    {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts.open(&tmp)?;
        f.write_all(hex::encode(key).as_bytes())?;
        f.sync_all()?;
    }
    // A hard link never replaces an existing file: the first writer's key wins.
    let linked = std::fs::hard_link(&tmp, path);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => Err(e),
        _ => Ok(()),
    }
}

/// Random bytes from the operating system.
fn getrandom(buf: &mut [u8]) -> std::io::Result<()> {
    use std::io::Read;
    std::fs::File::open("/dev/urandom")?.read_exact(buf)
}

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
    keyed_from: i64,
    key: AuditKey,
}

fn content(seq: i64, at_millis: i64, e: &AuditEntry) -> String {
    serde_json::json!([seq, at_millis, e.actor, e.action, e.entity, e.entity_id, e.detail]).to_string()
}

/// The link of a record to the one before it: keyed with `key`, or plain SHA-256 for
/// records written before the chain was keyed.
fn link(key: Option<&AuditKey>, prev_hash: &str, content: &str) -> String {
    match key {
        Some(k) => {
            let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&k.0).expect("HMAC takes keys of any length");
            m.update(prev_hash.as_bytes());
            m.update(b"\n");
            m.update(content.as_bytes());
            hex::encode(m.finalize().into_bytes())
        }
        None => {
            let mut h = Sha256::new();
            h.update(prev_hash.as_bytes());
            h.update(b"\n");
            h.update(content.as_bytes());
            hex::encode(h.finalize())
        }
    }
}

impl Chain {
    /// The head as read by a caller that holds the lock already.
    pub(crate) fn at(seq: i64, hash: String, keyed_from: i64, key: AuditKey) -> Self {
        Self { seq, hash, keyed_from, key }
    }

    /// Reads the head and locks it until the transaction ends.
    pub(crate) async fn lock(conn: &mut Conn, backend: Backend, key: &AuditKey) -> Result<Self> {
        let sql = match backend {
            // SQLite transactions here hold the database write lock already.
            Backend::Sqlite => "SELECT seq, hash, keyed_from FROM audit_head WHERE id = 1",
            Backend::Postgres => "SELECT seq, hash, keyed_from FROM audit_head WHERE id = 1 FOR UPDATE",
        };
        let row = sqlx::query(sql).fetch_one(&mut *conn).await?;
        Ok(Self::at(row.try_get("seq")?, row.try_get("hash")?, row.try_get("keyed_from")?, key.clone()))
    }

    fn link(&self, seq: i64, content: &str) -> String {
        link((seq >= self.keyed_from).then_some(&self.key), &self.hash, content)
    }

    pub(crate) async fn append(&mut self, conn: &mut Conn, e: &AuditEntry) -> Result<i64> {
        let seq = self.seq + 1;
        let at = to_millis(e.at);
        let hash = self.link(seq, &content(seq, at, e));
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
            let hash = self.link(seq, &content(seq, at, e));
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
        let mut chain = Chain::lock(tx, self.backend, &self.audit_key).await?;
        chain.append(tx, &e).await?;
        chain.store(tx).await
    }

    /// Appends one record in its own transaction (for changes that have no other write).
    pub async fn audit(&self, e: &AuditEntry) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let mut chain = Chain::lock(&mut tx, self.backend, &self.audit_key).await?;
        let seq = chain.append(&mut tx, e).await?;
        chain.store(&mut tx).await?;
        tx.commit().await?;
        Ok(seq)
    }

    /// The first record keyed with the audit key (1 unless the database holds records from
    /// before keying).
    pub async fn audit_keyed_from(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT keyed_from FROM audit_head WHERE id = 1").fetch_one(self.pool()).await?)
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
        let keyed_from = self.audit_keyed_from().await?;
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
                let key = (seq >= keyed_from).then_some(&self.audit_key);
                if link(key, &prev, &content(seq, at, &e)) != hash {
                    return Ok(AuditReport::Broken {
                        seq,
                        reason: "content does not match its hash (or the chain was written with another key)".into(),
                    });
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
        if let Some(broken) = self.verify_case_states().await? {
            return Ok(broken);
        }
        Ok(AuditReport::Intact { records: last })
    }

    /// Checks every case against the state the last audit record about it names (records
    /// from before states were recorded name none; such cases are not checked).
    async fn verify_case_states(&self) -> Result<Option<AuditReport>> {
        let mut expected: std::collections::HashMap<i64, (i64, String)> = Default::default();
        let mut after = 0i64;
        loop {
            let rows = sqlx::query(
                "SELECT seq, entity_id, detail FROM audit_log WHERE entity = 'case' AND seq > $1 ORDER BY seq LIMIT $2",
            )
            .bind(after)
            .bind(VERIFY_PAGE_ROWS)
            .fetch_all(self.pool())
            .await?;
            if rows.is_empty() {
                break;
            }
            for r in &rows {
                let seq: i64 = r.try_get("seq")?;
                after = seq;
                let id: String = r.try_get("entity_id")?;
                let detail: serde_json::Value =
                    serde_json::from_str(&r.try_get::<String, _>("detail")?).unwrap_or_default();
                if let (Some(state), Ok(id)) = (detail["state"].as_str(), id.parse::<i64>()) {
                    expected.insert(id, (seq, state.to_owned()));
                } else if let (Some(states), Some((first, _))) = (detail["states"].as_array(), id.split_once('-')) {
                    let first: i64 = first.parse().unwrap_or(0);
                    for (k, st) in states.iter().enumerate() {
                        if let Some(st) = st.as_str() {
                            expected.insert(first + k as i64, (seq, st.to_owned()));
                        }
                    }
                }
            }
        }
        let mut before_id = None;
        loop {
            let page = self
                .list_cases(&crate::CaseFilter { before_id, limit: crate::cases::CASE_PAGE_MAX, ..Default::default() })
                .await?;
            for c in &page.cases {
                if let Some((seq, state)) = expected.remove(&c.id) {
                    if crate::cases::state_digest(c) != state {
                        return Ok(Some(AuditReport::Broken {
                            seq,
                            reason: format!(
                                "case {} differs from the state audit record {seq} names: it was changed outside the platform",
                                c.id
                            ),
                        }));
                    }
                }
            }
            match page.next_before_id {
                Some(id) => before_id = Some(id),
                None => break,
            }
        }
        if let Some((id, (seq, _))) = expected.into_iter().min_by_key(|(id, _)| *id) {
            return Ok(Some(AuditReport::Broken {
                seq,
                reason: format!("case {id} is gone from the database, though audit record {seq} names it"),
            }));
        }
        Ok(None)
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
        let key = AuditKey::new(vec![7; 32]).unwrap();
        let k = Some(&key);
        let h = link(k, "0", &content(1, 5, &e));
        assert_ne!(h, link(k, "1", &content(1, 5, &e)));
        assert_ne!(h, link(k, "0", &content(2, 5, &e)));
        assert_ne!(h, link(k, "0", &content(1, 6, &e)));
        let mut e2 = e.clone();
        e2.detail = "{\"x\":1}".into();
        assert_ne!(h, link(k, "0", &content(1, 5, &e2)));
        // The key matters: the same record under another key, or none, links differently.
        assert_ne!(h, link(Some(&AuditKey::new(vec![8; 32]).unwrap()), "0", &content(1, 5, &e)));
        assert_ne!(h, link(None, "0", &content(1, 5, &e)));
        // HMAC-SHA256 as RFC 4231 test case 2 computes it ("Jefe").
        let jefe = AuditKey(Arc::new(b"Jefe".to_vec()));
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&jefe.0).unwrap();
        m.update(b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(m.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Field boundaries cannot be shifted: "ab","c" differs from "a","bc".
        let mut e3 = e.clone();
        e3.actor = "ab".into();
        e3.action = "c".into();
        let mut e4 = e.clone();
        e4.actor = "a".into();
        e4.action = "bc".into();
        assert_ne!(link(k, "0", &content(1, 5, &e3)), link(k, "0", &content(1, 5, &e4)));
    }
}
