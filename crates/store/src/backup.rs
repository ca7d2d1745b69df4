//! Logical backup and restore: every table as JSON lines, read in one consistent snapshot of
//! a running database and written into an empty one of either backend.
//!
//! Format: a header line `{"format":"civicgrid-backup","version":2}` (version 2: deadlines
//! moved to `obligations`), then for each table a
//! line `{"table":NAME,"columns":[…],"rows":N}` followed by its N rows as JSON arrays.

use crate::rows::{insert_rows, Val};
use crate::{Backend, Result, Store, StoreError};
use sqlx::Row;
use std::io::{BufRead, Write};

const FORMAT: &str = "civicgrid-backup";
const FORMAT_VERSION: i64 = 2;
/// Rows read or inserted per statement: keeps memory flat for large tables and stays well
/// under both backends' limits on bound parameters.
const ROWS_PER_CHUNK: usize = 500;

#[derive(Clone, Copy, PartialEq)]
enum Ty {
    Int,
    Real,
    Text,
    /// Bytes, written as hex in the backup.
    Blob,
}

struct TableSpec {
    name: &'static str,
    key: &'static str,
    columns: &'static [(&'static str, Ty)],
    /// Its key is generated; the PostgreSQL sequence must move past restored rows.
    serial: bool,
}

use Ty::{Blob as B, Int as I, Real as R, Text as T};

/// Every table in restore order (referenced tables first). A new table must be added here,
/// and `backup_covers_every_table` in the tests fails until it is.
const TABLES: &[TableSpec] = &[
    TableSpec {
        name: "stations",
        key: "code",
        serial: false,
        columns: &[("code", T), ("name_zh", T), ("name_en", T), ("kind", T), ("lat", R), ("lng", R), ("address", T)],
    },
    TableSpec {
        name: "grids",
        key: "code",
        serial: false,
        columns: &[
            ("code", T),
            ("name_zh", T),
            ("name_en", T),
            ("community", T),
            ("station", T),
            ("area", T),
            ("ring", T),
        ],
    },
    TableSpec {
        name: "categories",
        key: "code",
        serial: false,
        columns: &[
            ("code", T),
            ("name_zh", T),
            ("name_en", T),
            ("kind", T),
            ("forces", T),
            ("default_priority", T),
            ("working_hours", I),
            ("tags", T),
            ("deadlines", T),
            ("skills", T),
            ("auto_dispatch", I),
            ("public", T),
        ],
    },
    TableSpec {
        name: "users",
        key: "id",
        serial: true,
        columns: &[
            ("id", I),
            ("username", T),
            ("password_hash", T),
            ("role", T),
            ("display_name", T),
            ("grid", T),
            ("station", T),
            ("phone", T),
            ("created_at", I),
            ("disabled", I),
        ],
    },
    TableSpec {
        name: "sessions",
        key: "token_hash",
        serial: false,
        columns: &[("token_hash", T), ("user_id", I), ("created_at", I), ("expires_at", I), ("revoked_at", I)],
    },
    TableSpec {
        name: "api_keys",
        key: "id",
        serial: true,
        columns: &[("id", I), ("name", T), ("key_hash", T), ("created_at", I), ("revoked_at", I), ("scope", T)],
    },
    TableSpec {
        name: "responders",
        key: "id",
        serial: true,
        columns: &[
            ("id", I),
            ("name", T),
            ("force", T),
            ("station", T),
            ("grid", T),
            ("travel_mode", T),
            ("skills", T),
            ("shift", T),
            ("status", T),
            ("lat", R),
            ("lng", R),
            ("position_at", I),
            ("user_id", I),
            ("position_seq", I),
        ],
    },
    TableSpec {
        name: "reporters",
        key: "id",
        serial: true,
        columns: &[("id", I), ("name", T), ("phone", T), ("created_at", I)],
    },
    TableSpec {
        name: "cases",
        key: "id",
        serial: true,
        columns: &[
            ("id", I),
            ("version", I),
            ("category", T),
            ("priority", T),
            ("source", T),
            ("grid", T),
            ("lat", R),
            ("lng", R),
            ("description", T),
            ("address", T),
            ("reporter_id", I),
            ("reported_by", I),
            ("status", T),
            ("suspended_from", T),
            ("suspended_at", I),
            ("created_at", I),
            ("updated_at", I),
            ("accepted_at", I),
            ("dispatched_at", I),
            ("contacted_at", I),
            ("on_site_at", I),
            ("first_feedback_at", I),
            ("closed_at", I),
            ("satisfaction", T),
            ("reopened_count", I),
        ],
    },
    TableSpec {
        name: "petitions",
        key: "id",
        serial: false,
        columns: &[
            ("id", I),
            ("version", I),
            ("status", T),
            ("class", T),
            ("channel", T),
            ("topic", T),
            ("grid", T),
            ("lat", R),
            ("lng", R),
            ("registered_at", I),
            ("updated_at", I),
            ("closed_at", I),
            ("officer", I),
            ("leader", I),
            ("reported_by", I),
            ("reviews", I),
            ("petitioner_phones", T),
            ("query_code_hash", T),
            ("body", T),
        ],
    },
    TableSpec {
        name: "matter_files",
        key: "id",
        serial: true,
        columns: &[
            ("id", I),
            ("matter_kind", T),
            ("matter_id", I),
            ("purpose", T),
            ("content_type", T),
            ("size_bytes", I),
            ("sha256", T),
            ("data", B),
            ("uploaded_by", I),
            ("created_at", I),
        ],
    },
    TableSpec {
        name: "petition_case_links",
        key: "case_id",
        serial: false,
        columns: &[("case_id", I), ("petition_id", I), ("commitment", I)],
    },
    TableSpec {
        name: "mediations",
        key: "id",
        serial: false,
        columns: &[
            ("id", I),
            ("version", I),
            ("status", T),
            ("kind", T),
            ("source", T),
            ("grid", T),
            ("place", T),
            ("case_id", I),
            ("registered_at", I),
            ("concluded_at", I),
            ("updated_at", I),
            ("agreed_fen", I),
            ("on_the_spot_fen", I),
            ("body", T),
        ],
    },
    TableSpec {
        name: "businesses",
        key: "id",
        serial: false,
        columns: &[
            ("id", I),
            ("version", I),
            ("status", T),
            ("name", T),
            ("kind", T),
            ("risk", T),
            ("grid", T),
            ("lat", R),
            ("lng", R),
            ("licence_no", T),
            ("next_due", I),
            ("last_inspected_at", I),
            ("face", T),
            ("open_hazards", I),
            ("updated_at", I),
            ("body", T),
        ],
    },
    TableSpec {
        name: "food_draws",
        key: "id",
        serial: true,
        columns: &[("id", I), ("at", I), ("seed", T), ("n", I), ("pairs", T), ("drawn_by", I)],
    },
    TableSpec {
        name: "gas_devices",
        key: "device_id",
        serial: false,
        columns: &[
            ("device_id", T),
            ("vendor", T),
            ("model", T),
            ("kind", T),
            ("address", T),
            ("lat", R),
            ("lng", R),
            ("grid", T),
            ("owner_name", T),
            ("owner_phone", T),
            ("installed_on", T),
            ("end_of_life_on", T),
            ("eol_raised", I),
            ("valve", I),
            ("heartbeat_seconds", I),
            ("registered_at", I),
            ("last_seen_at", I),
            ("silent_after", I),
            ("last_lel", R),
            ("last_level", I),
            ("battery", I),
            ("rssi", I),
            ("messages", I),
            ("bad_payloads", I),
            ("last_bad_at", I),
            ("last_bad_reason", T),
            ("last_bad_payload", T),
        ],
    },
    TableSpec {
        name: "gas_alarms",
        key: "id",
        serial: false,
        columns: &[
            ("id", I),
            ("version", I),
            ("device_id", T),
            ("kind", T),
            ("severity", T),
            ("state", T),
            ("status", T),
            ("level", I),
            ("started_at", I),
            ("updated_at", I),
            ("case_id", I),
            ("body", T),
        ],
    },
    TableSpec {
        name: "gas_unknown",
        key: "vendor, device_id",
        serial: false,
        columns: &[
            ("vendor", T),
            ("device_id", T),
            ("messages", I),
            ("last_at", I),
            ("last_reason", T),
            ("last_payload", T),
        ],
    },
    TableSpec {
        name: "obligations",
        key: "matter_kind, matter_id, name",
        serial: false,
        columns: &[
            ("matter_kind", T),
            ("matter_id", I),
            ("name", T),
            ("owner", T),
            ("counting", T),
            ("starts_at", I),
            ("due_at", I),
            ("kept_at", I),
            ("state", T),
            ("ladder", T),
            ("level", I),
            ("next_alert_at", I),
        ],
    },
    TableSpec {
        name: "case_events",
        key: "case_id, seq",
        serial: false,
        columns: &[
            ("case_id", I),
            ("seq", I),
            ("at", I),
            ("actor_id", I),
            ("actor_name", T),
            ("actor_role", T),
            ("action", T),
            ("from_status", T),
            ("to_status", T),
            ("note", T),
            ("responders", T),
            ("promise", T),
            ("due_at", I),
            ("level", I),
        ],
    },
    TableSpec {
        name: "assignments",
        key: "case_id, idx",
        serial: false,
        columns: &[
            ("case_id", I),
            ("idx", I),
            ("responder_id", I),
            ("status", T),
            ("assigned_at", I),
            ("arrived_at", I),
            ("ended_at", I),
            ("answer_by", I),
            ("answered_at", I),
        ],
    },
    TableSpec {
        name: "audit_log",
        key: "seq",
        serial: false,
        columns: &[
            ("seq", I),
            ("at", I),
            ("actor", T),
            ("action", T),
            ("entity", T),
            ("entity_id", T),
            ("detail", T),
            ("prev_hash", T),
            ("hash", T),
        ],
    },
    TableSpec {
        name: "outbox",
        key: "id",
        serial: true,
        columns: &[
            ("id", I),
            ("created_at", I),
            ("dedupe_key", T),
            ("channel", T),
            ("recipient_user", I),
            ("recipient_phone", T),
            ("subject", T),
            ("body", T),
            ("case_id", I),
            ("status", T),
            ("attempts", I),
            ("next_attempt_at", I),
            ("lease_until", I),
            ("sent_at", I),
            ("last_error", T),
        ],
    },
    TableSpec {
        name: "attachments",
        key: "id",
        serial: true,
        columns: &[
            ("id", I),
            ("case_id", I),
            ("content_type", T),
            ("size_bytes", I),
            ("sha256", T),
            ("data", B),
            ("uploaded_by", I),
            ("created_at", I),
        ],
    },
    TableSpec {
        name: "otp_codes",
        key: "phone",
        serial: false,
        columns: &[
            ("phone", T),
            ("code_hash", T),
            ("expires_at", I),
            ("attempts", I),
            ("sent_at", I),
            ("hour_start", I),
            ("sent_in_hour", I),
        ],
    },
    TableSpec {
        name: "idempotency_keys",
        key: "key",
        serial: false,
        columns: &[("key", T), ("case_id", I), ("created_at", I)],
    },
    TableSpec {
        name: "followers",
        key: "case_id, user_id",
        serial: false,
        columns: &[("case_id", I), ("user_id", I), ("created_at", I)],
    },
    TableSpec {
        name: "images",
        key: "id",
        serial: true,
        columns: &[("id", I), ("content_type", T), ("sha256", T), ("data", B), ("uploaded_by", I), ("created_at", I)],
    },
    TableSpec {
        name: "articles",
        key: "id",
        serial: true,
        columns: &[
            ("id", I),
            ("kind", T),
            ("title", T),
            ("body", T),
            ("documents", T),
            ("office_hours", T),
            ("phone", T),
            ("author", I),
            ("created_at", I),
            ("updated_at", I),
            ("image_id", I),
            ("published", I),
        ],
    },
    TableSpec {
        name: "posts",
        key: "id",
        serial: true,
        columns: &[
            ("id", I),
            ("kind", T),
            ("topic", T),
            ("title", T),
            ("body", T),
            ("author", I),
            ("status", T),
            ("reports", I),
            ("created_at", I),
            ("updated_at", I),
            ("place", T),
            ("needed_at", I),
        ],
    },
    TableSpec {
        name: "post_responses",
        key: "post_id, user_id",
        serial: false,
        columns: &[("post_id", I), ("user_id", I), ("note", T), ("created_at", I)],
    },
    TableSpec {
        name: "post_reports",
        key: "post_id, user_id",
        serial: false,
        columns: &[("post_id", I), ("user_id", I), ("reason", T), ("created_at", I)],
    },
    TableSpec {
        name: "activities",
        key: "id",
        serial: true,
        columns: &[
            ("id", I),
            ("title", T),
            ("body", T),
            ("place", T),
            ("starts_at", I),
            ("capacity", I),
            ("checkin_code", T),
            ("created_by", I),
            ("created_at", I),
            ("kind", T),
            ("community", T),
            ("team_id", I),
            ("ends_at", I),
            ("lat", R),
            ("lng", R),
            ("radius_m", I),
        ],
    },
    TableSpec {
        name: "signups",
        key: "activity_id, user_id",
        serial: false,
        columns: &[
            ("activity_id", I),
            ("user_id", I),
            ("status", T),
            ("created_at", I),
            ("checked_in_at", I),
            ("checked_out_at", I),
            ("minutes", I),
        ],
    },
    TableSpec {
        name: "topics",
        key: "id",
        serial: false,
        columns: &[
            ("id", I),
            ("version", I),
            ("status", T),
            ("community", T),
            ("grid", T),
            ("source", T),
            ("raised_by", I),
            ("case_id", I),
            ("petition_id", I),
            ("meeting_id", I),
            ("raised_at", I),
            ("updated_at", I),
            ("body", T),
        ],
    },
    TableSpec {
        name: "resolutions",
        key: "id",
        serial: false,
        columns: &[
            ("id", I),
            ("version", I),
            ("status", T),
            ("phase", T),
            ("community", T),
            ("grid", T),
            ("topic_id", I),
            ("parent_id", I),
            ("owner", I),
            ("due_at", I),
            ("created_at", I),
            ("solved_at", I),
            ("updated_at", I),
            ("body", T),
        ],
    },
    TableSpec {
        name: "resolution_case_links",
        key: "case_id",
        serial: false,
        columns: &[("case_id", I), ("resolution_id", I), ("step", I)],
    },
    TableSpec {
        name: "deliberation_days",
        key: "community",
        serial: false,
        columns: &[("community", T), ("day_of_month", I), ("minute_of_day", I), ("place", T), ("capacity", I)],
    },
    TableSpec {
        name: "meetings",
        key: "id",
        serial: true,
        columns: &[
            ("id", I),
            ("community", T),
            ("activity_id", I),
            ("starts_at", I),
            ("place", T),
            ("minutes_status", T),
            ("minutes", T),
            ("organisations", T),
            ("updated_at", I),
        ],
    },
    TableSpec {
        name: "volunteer_teams",
        key: "id",
        serial: true,
        columns: &[("id", I), ("community", T), ("kind", T), ("name", T), ("leader_user", I), ("created_at", I)],
    },
    TableSpec {
        name: "volunteer_members",
        key: "team_id, user_id",
        serial: false,
        columns: &[("team_id", I), ("user_id", I), ("skills", T), ("joined_at", I)],
    },
    TableSpec {
        name: "service_credits",
        key: "id",
        serial: true,
        columns: &[
            ("id", I),
            ("activity_id", I),
            ("user_id", I),
            ("minutes", I),
            ("reason", T),
            ("added_by", I),
            ("created_at", I),
        ],
    },
    TableSpec {
        name: "volunteer_visits",
        key: "id",
        serial: true,
        columns: &[
            ("id", I),
            ("user_id", I),
            ("team_id", I),
            ("community", T),
            ("visited_at", I),
            ("households", I),
            ("leaflets", I),
            ("note", T),
            ("created_at", I),
        ],
    },
    TableSpec {
        name: "change_log",
        key: "seq",
        serial: true,
        columns: &[
            ("seq", I),
            ("at", I),
            ("kind", T),
            ("entity_id", I),
            ("grid", T),
            ("reported_by", I),
            ("payload", T),
        ],
    },
    TableSpec { name: "settings", key: "key", serial: false, columns: &[("key", T), ("value", T)] },
];

/// The `(table, column)` pairs a backup covers (the audit head is written from the
/// restored log; migrations are the target's own).
pub fn backed_up_columns() -> Vec<(String, String)> {
    TABLES.iter().flat_map(|t| t.columns.iter().map(|c| (t.name.to_owned(), c.0.to_owned()))).collect()
}

impl Store {
    /// Every `(table, column)` of the live schema, except the tables a backup leaves out on
    /// purpose: for checking that the backup covers everything.
    pub async fn schema_columns(&self) -> Result<Vec<(String, String)>> {
        let sql = match self.backend() {
            Backend::Sqlite => {
                "SELECT m.name AS t, p.name AS c FROM sqlite_master m JOIN pragma_table_info(m.name) p \
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'"
            }
            Backend::Postgres => {
                "SELECT table_name::text AS t, column_name::text AS c FROM information_schema.columns \
                 WHERE table_schema = current_schema()"
            }
        };
        let rows = sqlx::query(sql).fetch_all(self.pool()).await?;
        let mut out = vec![];
        for r in &rows {
            let t: String = r.try_get("t")?;
            if !matches!(t.as_str(), "schema_migrations" | "audit_head" | "writer_probe" | "case_daily") {
                out.push((t, r.try_get("c")?));
            }
        }
        Ok(out)
    }
}

fn value_of(row: &sqlx::any::AnyRow, col: &str, ty: Ty) -> Result<serde_json::Value> {
    Ok(match ty {
        Ty::Int => row.try_get::<Option<i64>, _>(col)?.map_or(serde_json::Value::Null, Into::into),
        Ty::Real => row.try_get::<Option<f64>, _>(col)?.map_or(serde_json::Value::Null, Into::into),
        Ty::Text => row.try_get::<Option<String>, _>(col)?.map_or(serde_json::Value::Null, Into::into),
        Ty::Blob => row.try_get::<Option<Vec<u8>>, _>(col)?.map_or(serde_json::Value::Null, |b| hex::encode(b).into()),
    })
}

fn bad(line: usize, why: impl std::fmt::Display) -> StoreError {
    StoreError::Invalid(format!("backup line {line}: {why}"))
}

impl Store {
    /// Writes a consistent snapshot of every table. Safe while the server runs.
    pub async fn backup(&self, out: &mut dyn Write) -> Result<u64> {
        let mut tx = match self.backend() {
            Backend::Sqlite => self.pool().begin().await?,
            Backend::Postgres => self.pool().begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await?,
        };
        let io = |e: std::io::Error| StoreError::Invalid(format!("writing the backup: {e}"));
        let keyed_from: i64 =
            sqlx::query_scalar("SELECT keyed_from FROM audit_head WHERE id = 1").fetch_one(&mut *tx).await?;
        writeln!(
            out,
            "{}",
            serde_json::json!({"format": FORMAT, "version": FORMAT_VERSION, "audit_keyed_from": keyed_from})
        )
        .map_err(io)?;
        let mut total = 0u64;
        for t in TABLES {
            let cols: Vec<&str> = t.columns.iter().map(|c| c.0).collect();
            let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {}", t.name)).fetch_one(&mut *tx).await?;
            writeln!(out, "{}", serde_json::json!({"table": t.name, "columns": cols, "rows": n})).map_err(io)?;
            let mut offset = 0i64;
            while offset < n {
                let rows = sqlx::query(&format!(
                    "SELECT {} FROM {} ORDER BY {} LIMIT {} OFFSET {}",
                    cols.join(", "),
                    t.name,
                    t.key,
                    ROWS_PER_CHUNK,
                    offset
                ))
                .fetch_all(&mut *tx)
                .await?;
                if rows.is_empty() {
                    break;
                }
                for r in &rows {
                    let values = t.columns.iter().map(|(c, ty)| value_of(r, c, *ty)).collect::<Result<Vec<_>>>()?;
                    writeln!(out, "{}", serde_json::Value::Array(values)).map_err(io)?;
                }
                offset += rows.len() as i64;
                total += rows.len() as u64;
            }
        }
        tx.rollback().await?;
        out.flush().map_err(io)?;
        Ok(total)
    }

    /// Restores a backup into this database, which must be empty. All or nothing.
    pub async fn restore(&self, input: &mut dyn BufRead) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        for t in TABLES {
            let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {}", t.name)).fetch_one(&mut *tx).await?;
            if n > 0 {
                return Err(StoreError::Conflict(format!(
                    "the target database is not empty: table {} has {n} rows",
                    t.name
                )));
            }
        }
        let mut lines = input.lines().enumerate().map(|(i, l)| (i + 1, l));
        let mut next = || -> Result<Option<(usize, serde_json::Value)>> {
            match lines.next() {
                None => Ok(None),
                Some((i, Err(e))) => Err(bad(i, e)),
                Some((i, Ok(l))) => serde_json::from_str(&l).map(|v| Some((i, v))).map_err(|e| bad(i, e)),
            }
        };
        let (i, header) = next()?.ok_or_else(|| bad(1, "empty file"))?;
        if header["format"] != FORMAT || header["version"] != FORMAT_VERSION {
            return Err(bad(i, "not a civicgrid backup of a known version"));
        }
        let mut total = 0u64;
        let mut last_audit: Option<(i64, String)> = None;
        for t in TABLES {
            let (i, h) = next()?.ok_or_else(|| bad(0, format!("ends before table {}", t.name)))?;
            let cols: Vec<&str> = t.columns.iter().map(|c| c.0).collect();
            if h["table"] != t.name || h["columns"] != serde_json::json!(cols) {
                return Err(bad(i, format!("expected table {} with columns {:?}", t.name, cols)));
            }
            let n = h["rows"].as_u64().ok_or_else(|| bad(i, "row count missing"))? as usize;
            let mut chunk: Vec<Vec<serde_json::Value>> = Vec::with_capacity(ROWS_PER_CHUNK);
            for k in 0..n {
                let (i, row) = next()?.ok_or_else(|| bad(0, format!("table {} ends early", t.name)))?;
                let row = row
                    .as_array()
                    .filter(|r| r.len() == cols.len())
                    .ok_or_else(|| bad(i, "row has the wrong number of values"))?;
                for ((_, ty), v) in t.columns.iter().zip(row) {
                    let ok = v.is_null()
                        || match ty {
                            Ty::Int => v.is_i64(),
                            Ty::Real => v.is_number(),
                            Ty::Text => v.is_string(),
                            Ty::Blob => v.as_str().is_some_and(|h| hex::decode(h).is_ok()),
                        };
                    if !ok {
                        return Err(bad(i, format!("value {v} has the wrong type")));
                    }
                }
                if t.name == "audit_log" {
                    last_audit = Some((row[0].as_i64().unwrap_or(0), row[8].as_str().unwrap_or_default().to_owned()));
                }
                chunk.push(row.clone());
                if chunk.len() == ROWS_PER_CHUNK || k + 1 == n {
                    let rows: Vec<Vec<Val>> = chunk
                        .iter()
                        .map(|row| {
                            t.columns
                                .iter()
                                .zip(row)
                                .map(|((_, ty), v)| match ty {
                                    Ty::Int => Val::Int(v.as_i64()),
                                    Ty::Real => Val::Real(v.as_f64()),
                                    Ty::Text => Val::Text(v.as_str().map(str::to_owned)),
                                    Ty::Blob => Val::Blob(v.as_str().and_then(|h| hex::decode(h).ok())),
                                })
                                .collect()
                        })
                        .collect();
                    insert_rows(&mut tx, t.name, &cols, &rows).await?;
                    total += chunk.len() as u64;
                    chunk.clear();
                }
            }
        }
        if let Some((seq, hash)) = last_audit {
            // The chain continues as it was keyed in the source (the same key is needed).
            sqlx::query("UPDATE audit_head SET seq = $1, hash = $2, keyed_from = $3 WHERE id = 1")
                .bind(seq)
                .bind(hash)
                .bind(header["audit_keyed_from"].as_i64().unwrap_or(1))
                .execute(&mut *tx)
                .await?;
        }
        if self.backend() == Backend::Postgres {
            for t in TABLES.iter().filter(|t| t.serial) {
                sqlx::query(&format!(
                    "SELECT setval(pg_get_serial_sequence('{0}', '{1}'), COALESCE((SELECT MAX({1}) FROM {0}), 0) + 1, false)",
                    t.name, t.key
                ))
                .execute(&mut *tx)
                .await?;
            }
            // Position pings continue above the restored numbers.
            sqlx::query(
                "SELECT setval('position_seq', COALESCE((SELECT MAX(position_seq) FROM responders), 0) + 1, false)",
            )
            .execute(&mut *tx)
            .await?;
        }
        crate::stats::rebuild_daily(&mut tx).await?;
        tx.commit().await?;
        Ok(total)
    }
}
