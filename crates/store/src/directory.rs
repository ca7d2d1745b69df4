//! Reference data and accounts: stations, grids, categories, responders, users, sessions,
//! API keys, reporters and settings.

use crate::audit::AuditEntry;
use crate::{opt_from_millis, to_millis, unique_to_conflict, Result, Store, StoreError};
use domain::case::Priority;
use domain::category::{Category, CategoryKind, Force};
use domain::codes::{CategoryCode, GridCode};
use domain::role::Role;
use domain::Timestamp;
use sqlx::any::AnyRow;
use sqlx::Row;

#[derive(Debug, Clone, PartialEq)]
pub struct Station {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// `centre` for the command centre, `station` for a joint-duty police station.
    pub kind: String,
    pub lat: f64,
    pub lng: f64,
    pub address: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    pub code: GridCode,
    pub name_zh: String,
    pub name_en: String,
    pub community: String,
    pub station: String,
    /// `main` for the street's own area, `enclave` for the detached area it manages.
    pub area: String,
    /// Outer ring as `[lng, lat]` pairs.
    pub ring: Vec<[f64; 2]>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Responder {
    pub id: i64,
    pub name: String,
    pub force: Force,
    pub station: String,
    pub grid: Option<String>,
    pub travel_mode: String,
    pub skills: Vec<String>,
    /// `day`, `night` or `all`.
    pub shift: String,
    pub status: String,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub position_at: Option<Timestamp>,
    pub user_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
    pub role: Role,
    pub display_name: String,
    pub grid: Option<String>,
    pub station: Option<String>,
    pub phone: Option<String>,
    pub disabled: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewUser {
    pub username: String,
    pub password_hash: String,
    pub role: Role,
    pub display_name: String,
    pub grid: Option<String>,
    pub station: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Reporter {
    pub id: i64,
    pub name: Option<String>,
    pub phone: Option<String>,
}

fn user_from_row(r: &AnyRow) -> Result<User> {
    let role: String = r.try_get("role")?;
    Ok(User {
        id: r.try_get("id")?,
        username: r.try_get("username")?,
        password_hash: r.try_get("password_hash")?,
        role: Role::parse(&role).ok_or_else(|| StoreError::Corrupt(format!("unknown role {role}")))?,
        display_name: r.try_get("display_name")?,
        grid: r.try_get("grid")?,
        station: r.try_get("station")?,
        phone: r.try_get("phone")?,
        disabled: r.try_get::<i64, _>("disabled")? != 0,
    })
}

fn responder_from_row(r: &AnyRow) -> Result<Responder> {
    let force: String = r.try_get("force")?;
    let skills: String = r.try_get("skills")?;
    Ok(Responder {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        force: Force::parse(&force).ok_or_else(|| StoreError::Corrupt(format!("unknown force {force}")))?,
        station: r.try_get("station")?,
        grid: r.try_get("grid")?,
        travel_mode: r.try_get("travel_mode")?,
        skills: skills.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
        shift: r.try_get("shift")?,
        status: r.try_get("status")?,
        lat: r.try_get("lat")?,
        lng: r.try_get("lng")?,
        position_at: opt_from_millis(r.try_get("position_at")?)?,
        user_id: r.try_get("user_id")?,
    })
}

/// A change an administrator makes to an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserChange {
    /// A new password hash.
    Password(String),
    Disable,
    Enable,
    RevokeSessions,
}

/// The reference data of a scenario, loaded into an empty database in one transaction.
#[derive(Debug, Clone, Default)]
pub struct ReferenceData {
    pub stations: Vec<Station>,
    pub grids: Vec<Grid>,
    pub categories: Vec<Category>,
    pub responders: Vec<Responder>,
}

impl Store {
    /// Loads stations, grids, categories and responders; refuses if any are present already.
    pub async fn load_reference(&self, data: &ReferenceData, actor: &str, at: Timestamp) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let present: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM stations").fetch_one(&mut *tx).await?;
        if present > 0 {
            return Err(StoreError::Conflict("reference data is loaded already".into()));
        }
        for s in &data.stations {
            sqlx::query("INSERT INTO stations (code, name_zh, name_en, kind, lat, lng, address) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(&s.code)
                .bind(&s.name_zh)
                .bind(&s.name_en)
                .bind(&s.kind)
                .bind(s.lat)
                .bind(s.lng)
                .bind(&s.address)
                .execute(&mut *tx)
                .await?;
        }
        for g in &data.grids {
            sqlx::query("INSERT INTO grids (code, name_zh, name_en, community, station, area, ring) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(g.code.as_str())
                .bind(&g.name_zh)
                .bind(&g.name_en)
                .bind(&g.community)
                .bind(&g.station)
                .bind(&g.area)
                .bind(serde_json::to_string(&g.ring).expect("numbers serialise"))
                .execute(&mut *tx)
                .await?;
        }
        for c in &data.categories {
            sqlx::query(
                "INSERT INTO categories (code, name_zh, name_en, kind, forces, default_priority, working_hours, tags, deadlines, skills, auto_dispatch, public) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(c.code.as_str())
            .bind(&c.name_zh)
            .bind(&c.name_en)
            .bind(match c.kind {
                CategoryKind::Event => "event",
                CategoryKind::Component => "component",
            })
            .bind(c.forces.iter().map(Force::as_str).collect::<Vec<_>>().join(","))
            .bind(c.default_priority.as_str())
            .bind(c.working_hours as i64)
            .bind(c.tags.join(","))
            .bind(domain::deadline::format_overrides(&c.deadlines))
            .bind(domain::category::format_skills(&c.skills))
            .bind(c.auto_dispatch as i64)
            .bind(c.public.as_str())
            .execute(&mut *tx)
            .await?;
        }
        for r in &data.responders {
            sqlx::query(
                "INSERT INTO responders (name, force, station, grid, travel_mode, skills, shift, status, lat, lng, position_at, user_id) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(&r.name)
            .bind(r.force.as_str())
            .bind(&r.station)
            .bind(&r.grid)
            .bind(&r.travel_mode)
            .bind(r.skills.join(","))
            .bind(&r.shift)
            .bind(&r.status)
            .bind(r.lat)
            .bind(r.lng)
            .bind(r.position_at.map(to_millis))
            .bind(r.user_id)
            .execute(&mut *tx)
            .await?;
        }
        self.audit_in(
            &mut tx,
            AuditEntry {
                at,
                actor: actor.into(),
                action: "reference.load".into(),
                entity: "reference".into(),
                entity_id: "all".into(),
                detail: serde_json::json!({
                    "stations": data.stations.len(), "grids": data.grids.len(),
                    "categories": data.categories.len(), "responders": data.responders.len(),
                })
                .to_string(),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn stations(&self) -> Result<Vec<Station>> {
        let rows = sqlx::query("SELECT * FROM stations ORDER BY code").fetch_all(self.pool()).await?;
        rows.iter()
            .map(|r| {
                Ok(Station {
                    code: r.try_get("code")?,
                    name_zh: r.try_get("name_zh")?,
                    name_en: r.try_get("name_en")?,
                    kind: r.try_get("kind")?,
                    lat: r.try_get("lat")?,
                    lng: r.try_get("lng")?,
                    address: r.try_get("address")?,
                })
            })
            .collect()
    }

    pub async fn grids(&self) -> Result<Vec<Grid>> {
        let rows = sqlx::query("SELECT * FROM grids ORDER BY code").fetch_all(self.pool()).await?;
        rows.iter()
            .map(|r| {
                let code: String = r.try_get("code")?;
                let ring: String = r.try_get("ring")?;
                Ok(Grid {
                    code: GridCode::parse(&code).map_err(|e| StoreError::Corrupt(e.0))?,
                    name_zh: r.try_get("name_zh")?,
                    name_en: r.try_get("name_en")?,
                    community: r.try_get("community")?,
                    station: r.try_get("station")?,
                    area: r.try_get("area")?,
                    ring: serde_json::from_str(&ring)
                        .map_err(|e| StoreError::Corrupt(format!("grid {code} ring: {e}")))?,
                })
            })
            .collect()
    }

    pub async fn categories(&self) -> Result<Vec<Category>> {
        let rows = sqlx::query("SELECT * FROM categories ORDER BY code").fetch_all(self.pool()).await?;
        rows.iter()
            .map(|r| {
                let code: String = r.try_get("code")?;
                let kind: String = r.try_get("kind")?;
                let forces: String = r.try_get("forces")?;
                let prio: String = r.try_get("default_priority")?;
                Ok(Category {
                    code: CategoryCode::parse(&code).map_err(|e| StoreError::Corrupt(e.0))?,
                    name_zh: r.try_get("name_zh")?,
                    name_en: r.try_get("name_en")?,
                    kind: if kind == "component" { CategoryKind::Component } else { CategoryKind::Event },
                    forces: forces
                        .split(',')
                        .filter(|s| !s.is_empty())
                        .map(|f| Force::parse(f).ok_or_else(|| StoreError::Corrupt(format!("force {f}"))))
                        .collect::<Result<_>>()?,
                    default_priority: Priority::parse(&prio)
                        .ok_or_else(|| StoreError::Corrupt(format!("priority {prio}")))?,
                    working_hours: r.try_get::<i64, _>("working_hours")? != 0,
                    skills: domain::category::parse_skills(&r.try_get::<String, _>("skills")?)
                        .ok_or_else(|| StoreError::Corrupt(format!("category {code} skills")))?,
                    auto_dispatch: r.try_get::<i64, _>("auto_dispatch")? != 0,
                    public: domain::category::Publicity::parse(&r.try_get::<String, _>("public")?)
                        .ok_or_else(|| StoreError::Corrupt(format!("category {code} public")))?,
                    deadlines: domain::deadline::parse_overrides(&r.try_get::<String, _>("deadlines")?)
                        .map_err(|e| StoreError::Corrupt(format!("category {code} deadlines: {e}")))?,
                    tags: r
                        .try_get::<String, _>("tags")?
                        .split(',')
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect(),
                })
            })
            .collect()
    }

    pub async fn responders(&self) -> Result<Vec<Responder>> {
        let rows = sqlx::query("SELECT * FROM responders ORDER BY id").fetch_all(self.pool()).await?;
        rows.iter().map(responder_from_row).collect()
    }

    pub async fn responder(&self, id: i64) -> Result<Responder> {
        let row = sqlx::query("SELECT * FROM responders WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        responder_from_row(&row)
    }

    /// Records a position ping; an older ping than the stored one is ignored (pings can
    /// arrive out of order from phones with bad reception). A ping is one statement that
    /// takes no lock but the row's: it stamps the row with the next position number, which
    /// the stream hub follows ([`Store::positions_after`]), and stays out of the change log and
    /// the audit chain — thousands of pings an hour never wait for a case write.
    pub async fn set_responder_position(&self, id: i64, lat: f64, lng: f64, at: Timestamp) -> Result<()> {
        let next = match self.backend() {
            // One writer at a time: the statement reads the highest number and writes the next.
            crate::Backend::Sqlite => "(SELECT COALESCE(MAX(position_seq), 0) + 1 FROM responders)",
            crate::Backend::Postgres => "nextval('position_seq')",
        };
        let done = sqlx::query(&format!(
            "UPDATE responders SET lat = $1, lng = $2, position_at = $3, position_seq = {next} \
             WHERE id = $4 AND (position_at IS NULL OR position_at <= $5)"
        ))
        .bind(lat)
        .bind(lng)
        .bind(to_millis(at))
        .bind(id)
        .bind(to_millis(at))
        .execute(self.pool())
        .await?;
        if done.rows_affected() == 0 {
            // Unknown responder, or an older ping than the one stored.
            self.responder(id).await?;
        }
        Ok(())
    }

    /// Positions pinged after position number `after`, oldest first: (number, responder,
    /// lat, lng, when). A ping whose number was taken before another's but committed after
    /// it may be passed over by a reader; the next ping from that phone supersedes it.
    pub async fn positions_after(&self, after: i64, limit: i64) -> Result<Vec<(i64, i64, f64, f64, Timestamp)>> {
        let rows = sqlx::query(
            "SELECT position_seq, id, lat, lng, position_at FROM responders \
             WHERE position_seq > $1 AND lat IS NOT NULL AND position_at IS NOT NULL ORDER BY position_seq LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("position_seq")?,
                    r.try_get("id")?,
                    r.try_get("lat")?,
                    r.try_get("lng")?,
                    crate::from_millis(r.try_get("position_at")?)?,
                ))
            })
            .collect()
    }

    /// The highest position number so far.
    pub async fn last_position_seq(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT CAST(COALESCE(MAX(position_seq), 0) AS BIGINT) FROM responders")
            .fetch_one(self.pool())
            .await?)
    }

    pub async fn set_responder_status(&self, id: i64, status: &str, actor: &str, at: Timestamp) -> Result<()> {
        self.set_responder_word(id, "status", status, actor, at).await
    }

    /// Puts a responder on another shift (`day`, `night` or `all`). Audited.
    pub async fn set_responder_shift(&self, id: i64, shift: &str, actor: &str, at: Timestamp) -> Result<()> {
        self.set_responder_word(id, "shift", shift, actor, at).await
    }

    /// Sets one of a responder's word columns (`status` or `shift`), tells the live streams and
    /// records it in the audit log (`responder.<column>`), in one transaction.
    async fn set_responder_word(
        &self,
        id: i64,
        column: &'static str,
        value: &str,
        actor: &str,
        at: Timestamp,
    ) -> Result<()> {
        debug_assert!(matches!(column, "status" | "shift"), "a word column of responders");
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(&format!("UPDATE responders SET {column} = $1 WHERE id = $2"))
            .bind(value)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let mut change = serde_json::json!({ "id": id });
        change[column] = value.into();
        self.log_responder_change(&mut tx, id, at, change).await?;
        self.audit_in(
            &mut tx,
            AuditEntry {
                at,
                actor: actor.into(),
                action: format!("responder.{column}"),
                entity: "responder".into(),
                entity_id: id.to_string(),
                detail: {
                    let mut d = serde_json::json!({});
                    d[column] = value.into();
                    d.to_string()
                },
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Tells a responder's account where to wait (a move-up, 前置备勤) in the app, audited,
    /// in one transaction.
    pub async fn send_move_up(
        &self,
        responder: i64,
        notice: &crate::writer::OutboxMessage,
        detail: serde_json::Value,
        actor: &str,
        at: Timestamp,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        crate::writer::write_matter_outbox(
            &mut tx,
            &format!("moveup{responder}:{}", to_millis(at)),
            std::slice::from_ref(notice),
            at,
        )
        .await?;
        self.audit_in(
            &mut tx,
            AuditEntry {
                at,
                actor: actor.into(),
                action: "responder.move_up".into(),
                entity: "responder".into(),
                entity_id: responder.to_string(),
                detail: detail.to_string(),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Creates an account and records it in the audit log.
    pub async fn create_user(&self, u: &NewUser, actor: &str, at: Timestamp) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (username, password_hash, role, display_name, grid, station, phone, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(&u.username)
        .bind(&u.password_hash)
        .bind(u.role.as_str())
        .bind(&u.display_name)
        .bind(&u.grid)
        .bind(&u.station)
        .bind(&u.phone)
        .bind(to_millis(at))
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| unique_to_conflict(e, &format!("user {}", u.username)))?;
        self.audit_in(&mut tx, AuditEntry {
                    at,
                    actor: actor.into(),
                    action: "user.create".into(),
                    entity: "user".into(),
                    entity_id: id.to_string(),
                    detail: serde_json::json!({ "username": u.username, "role": u.role.as_str(), "grid": u.grid, "station": u.station })
                        .to_string(),
                }).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Creates many accounts in one transaction (the demo's residents and volunteers); one
    /// audit record covers them. Returns their ids in order.
    pub async fn create_users(&self, users: &[NewUser], actor: &str, at: Timestamp) -> Result<Vec<i64>> {
        let mut tx = self.begin_write().await?;
        let mut ids = Vec::with_capacity(users.len());
        for u in users {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO users (username, password_hash, role, display_name, grid, station, phone, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(&u.username)
            .bind(&u.password_hash)
            .bind(u.role.as_str())
            .bind(&u.display_name)
            .bind(&u.grid)
            .bind(&u.station)
            .bind(&u.phone)
            .bind(to_millis(at))
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| unique_to_conflict(e, &format!("user {}", u.username)))?;
            ids.push(id);
        }
        let detail = serde_json::json!({ "accounts": users.len() }).to_string();
        self.audit_in(
            &mut tx,
            AuditEntry {
                at,
                actor: actor.into(),
                action: "user.import".into(),
                entity: "user".into(),
                entity_id: format!("{}-{}", ids.first().unwrap_or(&0), ids.last().unwrap_or(&0)),
                detail,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(ids)
    }

    pub async fn user_by_name(&self, username: &str) -> Result<User> {
        let row = sqlx::query("SELECT * FROM users WHERE username = $1")
            .bind(username)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        user_from_row(&row)
    }

    /// The account of this role with this phone number (residents sign in by number; their
    /// usernames say nothing about it).
    pub async fn user_by_phone(&self, phone: &str, role: Role) -> Result<User> {
        let row = sqlx::query("SELECT * FROM users WHERE phone = $1 AND role = $2 ORDER BY id LIMIT 1")
            .bind(phone)
            .bind(role.as_str())
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        user_from_row(&row)
    }

    pub async fn user(&self, id: i64) -> Result<User> {
        let row = sqlx::query("SELECT * FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        user_from_row(&row)
    }

    pub async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        at: Timestamp,
        expires_at: Timestamp,
    ) -> Result<()> {
        sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(token_hash)
            .bind(user_id)
            .bind(to_millis(at))
            .bind(to_millis(expires_at))
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The user of a session that exists, has not expired at `now` and was not revoked.
    pub async fn session_user(&self, token_hash: &str, now: Timestamp) -> Result<User> {
        let row = sqlx::query(
            "SELECT u.* FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 AND u.disabled = 0",
        )
        .bind(token_hash)
        .bind(to_millis(now))
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)?;
        user_from_row(&row)
    }

    pub async fn revoke_session(&self, token_hash: &str, at: Timestamp) -> Result<()> {
        sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL")
            .bind(to_millis(at))
            .bind(token_hash)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// A partner key; `scope` says which cases it may read (`public`, `all` or category codes,
    /// as the server parses it).
    pub async fn create_api_key(
        &self,
        name: &str,
        key_hash: &str,
        scope: &str,
        actor: &str,
        at: Timestamp,
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO api_keys (name, key_hash, created_at, scope) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(name)
        .bind(key_hash)
        .bind(to_millis(at))
        .bind(scope)
        .fetch_one(&mut *tx)
        .await?;
        self.audit_in(
            &mut tx,
            AuditEntry {
                at,
                actor: actor.into(),
                action: "apikey.create".into(),
                entity: "api_key".into(),
                entity_id: id.to_string(),
                detail: serde_json::json!({ "name": name, "scope": scope }).to_string(),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The name and scope of a valid API key.
    pub async fn api_key(&self, key_hash: &str) -> Result<(String, String)> {
        let row = sqlx::query("SELECT name, scope FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL")
            .bind(key_hash)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok((row.try_get("name")?, row.try_get("scope")?))
    }

    /// A reporter's personal data. Callers record the viewing in the audit log.
    pub async fn reporter(&self, id: i64) -> Result<Reporter> {
        let row = sqlx::query("SELECT id, name, phone FROM reporters WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(Reporter { id: row.try_get("id")?, name: row.try_get("name")?, phone: row.try_get("phone")? })
    }

    pub async fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(self.pool())
            .await?)
    }

    pub async fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM settings WHERE key = $1").bind(key).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2)")
            .bind(key)
            .bind(value)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Number of rows of a table (for the demo loader and tests).
    pub async fn count(&self, table: Table) -> Result<i64> {
        Ok(sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {}", table.name())).fetch_one(self.pool()).await?)
    }
}

/// Tables whose rows can be counted.
#[derive(Debug, Clone, Copy)]
pub enum Table {
    Cases,
    CaseEvents,
    Users,
    Stations,
    Grids,
    Responders,
    AuditLog,
}

impl Table {
    fn name(&self) -> &'static str {
        match self {
            Table::Cases => "cases",
            Table::CaseEvents => "case_events",
            Table::Users => "users",
            Table::Stations => "stations",
            Table::Grids => "grids",
            Table::Responders => "responders",
            Table::AuditLog => "audit_log",
        }
    }
}

impl Store {
    /// Enables or disables accounts by name (demo accounts are enabled only in demo mode).
    /// What an administrator does to an account: a new password, disabled or enabled again,
    /// or every session ended. Each but enabling ends the user's sessions; each is audited.
    pub async fn change_user(&self, user_id: i64, change: UserChange, actor: &str, at: Timestamp) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query_scalar::<_, i64>("SELECT id FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let action = match &change {
            UserChange::Password(hash) => {
                sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                    .bind(hash)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                "user.password"
            }
            UserChange::Disable | UserChange::Enable => {
                let disable = change == UserChange::Disable;
                sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2")
                    .bind(disable as i64)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                if disable {
                    "user.disable"
                } else {
                    "user.enable"
                }
            }
            UserChange::RevokeSessions => "user.revoke_sessions",
        };
        let ended = if change == UserChange::Enable {
            0
        } else {
            sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
                .bind(to_millis(at))
                .bind(user_id)
                .execute(&mut *tx)
                .await?
                .rows_affected()
        };
        self.audit_in(
            &mut tx,
            AuditEntry {
                at,
                actor: actor.into(),
                action: action.into(),
                entity: "user".into(),
                entity_id: user_id.to_string(),
                detail: serde_json::json!({ "sessions_ended": ended }).to_string(),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every account, staff first, by username.
    pub async fn users(&self) -> Result<Vec<User>> {
        let rows =
            sqlx::query("SELECT * FROM users ORDER BY role = 'resident', username").fetch_all(self.pool()).await?;
        rows.iter().map(user_from_row).collect()
    }

    pub async fn set_users_disabled(&self, usernames: &[String], disabled: bool) -> Result<()> {
        let mut tx = self.begin_write().await?;
        for u in usernames {
            sqlx::query("UPDATE users SET disabled = $1 WHERE username = $2")
                .bind(disabled as i64)
                .bind(u)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

impl Store {
    /// Enabled accounts of a role, optionally only those of one station.
    pub async fn users_with_role(&self, role: Role, station: Option<&str>) -> Result<Vec<User>> {
        let rows = match station {
            Some(st) => {
                sqlx::query("SELECT * FROM users WHERE role = $1 AND station = $2 AND disabled = 0 ORDER BY id")
                    .bind(role.as_str())
                    .bind(st)
                    .fetch_all(self.pool())
                    .await?
            }
            None => {
                sqlx::query("SELECT * FROM users WHERE role = $1 AND disabled = 0 ORDER BY id")
                    .bind(role.as_str())
                    .fetch_all(self.pool())
                    .await?
            }
        };
        rows.iter().map(user_from_row).collect()
    }
}

/// What happened to a one-time code request or check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OtpOutcome {
    Ok,
    /// Asked again too soon, or too often this hour.
    TooSoon,
    TooOften,
    /// No code, expired, wrong, or too many wrong tries.
    Refused,
}

impl Store {
    /// The clause that locks the rows a write transaction reads, where the backend needs it.
    pub(crate) fn row_lock(&self) -> &'static str {
        match self.backend() {
            crate::Backend::Sqlite => "",
            crate::Backend::Postgres => " FOR UPDATE",
        }
    }

    /// Stores a new code for `phone` (its hash), unless one was sent within `min_gap` or
    /// `per_hour` were sent this hour.
    pub async fn put_otp(
        &self,
        phone: &str,
        code_hash: &str,
        now: Timestamp,
        expires_at: Timestamp,
        min_gap: chrono::Duration,
        per_hour: i64,
    ) -> Result<OtpOutcome> {
        let mut tx = self.begin_write().await?;
        // SQLite's BEGIN IMMEDIATE already serialises writers; PostgreSQL locks the row.
        let row = sqlx::query(&format!(
            "SELECT sent_at, hour_start, sent_in_hour FROM otp_codes WHERE phone = $1{}",
            self.row_lock()
        ))
        .bind(phone)
        .fetch_optional(&mut *tx)
        .await?;
        let hour = to_millis(now) / 3_600_000;
        let mut sent_in_hour = 0;
        if let Some(r) = row {
            let sent_at: i64 = r.try_get("sent_at")?;
            if to_millis(now) - sent_at < min_gap.num_milliseconds() {
                return Ok(OtpOutcome::TooSoon);
            }
            if r.try_get::<i64, _>("hour_start")? == hour {
                sent_in_hour = r.try_get("sent_in_hour")?;
            }
            if sent_in_hour >= per_hour {
                return Ok(OtpOutcome::TooOften);
            }
            sqlx::query("DELETE FROM otp_codes WHERE phone = $1").bind(phone).execute(&mut *tx).await?;
        }
        match sqlx::query(
            "INSERT INTO otp_codes (phone, code_hash, expires_at, attempts, sent_at, hour_start, sent_in_hour) VALUES ($1, $2, $3, 0, $4, $5, $6)",
        )
        .bind(phone)
        .bind(code_hash)
        .bind(to_millis(expires_at))
        .bind(to_millis(now))
        .bind(hour)
        .bind(sent_in_hour + 1)
        .execute(&mut *tx)
        .await
        .map_err(|e| unique_to_conflict(e, "a code for this number"))
        {
            // A request racing this one stored its code first.
            Err(StoreError::Conflict(_)) => return Ok(OtpOutcome::TooSoon),
            r => r?,
        };
        tx.commit().await?;
        Ok(OtpOutcome::Ok)
    }

    /// Checks a code; a right one is used up, a wrong one counts against `max_attempts`.
    pub async fn check_otp(
        &self,
        phone: &str,
        code_hash: &str,
        now: Timestamp,
        max_attempts: i64,
    ) -> Result<OtpOutcome> {
        let mut tx = self.begin_write().await?;
        // Concurrent guesses at one code wait for each other, so each counts.
        let Some(r) = sqlx::query(&format!(
            "SELECT code_hash, expires_at, attempts FROM otp_codes WHERE phone = $1{}",
            self.row_lock()
        ))
        .bind(phone)
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(OtpOutcome::Refused);
        };
        let (hash, expires, attempts): (String, i64, i64) =
            (r.try_get("code_hash")?, r.try_get("expires_at")?, r.try_get("attempts")?);
        if expires < to_millis(now) || attempts >= max_attempts {
            return Ok(OtpOutcome::Refused);
        }
        if hash != code_hash {
            sqlx::query("UPDATE otp_codes SET attempts = attempts + 1 WHERE phone = $1")
                .bind(phone)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            return Ok(OtpOutcome::Refused);
        }
        // Used up: expire it, keep the send counters.
        sqlx::query("UPDATE otp_codes SET expires_at = 0 WHERE phone = $1").bind(phone).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(OtpOutcome::Ok)
    }

    /// Records a notification that belongs to no case and was sent at once (a sign-in code:
    /// its body as kept here never holds the code).
    pub async fn record_sent_notification(&self, m: &crate::writer::OutboxMessage, at: Timestamp) -> Result<()> {
        sqlx::query(
            "INSERT INTO outbox (created_at, dedupe_key, channel, recipient_user, recipient_phone, subject, body, case_id, status, attempts, next_attempt_at, sent_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, 'sent', 1, $8, $8) ON CONFLICT (dedupe_key) DO NOTHING",
        )
        .bind(to_millis(at))
        .bind(&m.dedupe_key)
        .bind(&m.channel)
        .bind(m.recipient_user)
        .bind(&m.recipient_phone)
        .bind(&m.subject)
        .bind(&m.body)
        .bind(to_millis(at))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn follow(&self, case_id: i64, user_id: i64, at: Timestamp) -> Result<()> {
        sqlx::query("INSERT INTO followers (case_id, user_id, created_at) VALUES ($1, $2, $3) ON CONFLICT (case_id, user_id) DO NOTHING")
            .bind(case_id)
            .bind(user_id)
            .bind(to_millis(at))
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn follows(&self, case_id: i64, user_id: i64) -> Result<bool> {
        let v: Option<i64> = sqlx::query_scalar("SELECT case_id FROM followers WHERE case_id = $1 AND user_id = $2")
            .bind(case_id)
            .bind(user_id)
            .fetch_optional(self.pool())
            .await?;
        Ok(v.is_some())
    }

    pub async fn followers(&self, case_id: i64) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar("SELECT user_id FROM followers WHERE case_id = $1 ORDER BY user_id")
            .bind(case_id)
            .fetch_all(self.pool())
            .await?)
    }
}
