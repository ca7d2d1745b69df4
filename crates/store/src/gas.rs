//! Smart gas as rows: the detector registry with what each device last said (telemetry is
//! not audited: it is what devices report, not what people change), alarms as JSON
//! documents with the columns lists select on, their duties in `obligations` and one audit
//! record per step, and a count of messages from devices nobody registered.

use crate::audit::{AuditEntry, Chain};
use crate::rows::{insert_rows, Val};
use crate::writer::OutboxMessage;
use crate::{opt_from_millis, to_millis, Result, Store, StoreError};
use domain::gas::{Alarm, AlarmId, Device, DeviceKind, Vendor};
use domain::obligation::{MatterKind, Obligation};
use domain::Timestamp;
use sqlx::Row;

/// Most devices or alarms one list returns.
pub const GAS_PAGE_MAX: i64 = 1000;
/// Longest payload kept of a message that could not be read.
pub const BAD_PAYLOAD_CHARS_MAX: usize = 500;

const DEVICE_COLUMNS: [&str; 20] = [
    "device_id",
    "vendor",
    "model",
    "kind",
    "address",
    "lat",
    "lng",
    "grid",
    "owner_name",
    "owner_phone",
    "installed_on",
    "end_of_life_on",
    "eol_raised",
    "valve",
    "heartbeat_seconds",
    "registered_at",
    "messages",
    "bad_payloads",
    "silent_after",
    "last_seen_at",
];

const ALARM_COLUMNS: [&str; 12] = [
    "id",
    "version",
    "device_id",
    "kind",
    "severity",
    "state",
    "status",
    "level",
    "started_at",
    "updated_at",
    "case_id",
    "body",
];

/// A registered device and what it last said.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DeviceRow {
    #[serde(flatten)]
    pub device: Device,
    pub registered_at: Timestamp,
    pub last_seen_at: Option<Timestamp>,
    pub last_lel_pct: Option<f64>,
    pub last_level: Option<i64>,
    pub battery_pct: Option<i64>,
    pub rssi: Option<i64>,
    pub messages: i64,
    pub bad_payloads: i64,
    pub last_bad_at: Option<Timestamp>,
    pub last_bad_reason: Option<String>,
    pub last_bad_payload: Option<String>,
}

/// What a reading says of its device, kept on the device's row.
#[derive(Debug, Clone, PartialEq)]
pub struct Telemetry {
    pub at: Timestamp,
    /// Offline unless it reports again before this.
    pub silent_after: Timestamp,
    pub lel_pct: Option<f64>,
    pub level: Option<u8>,
    pub battery_pct: Option<u8>,
    pub rssi: Option<i32>,
}

/// One write about one device: what it said, and the alarms that follow.
#[derive(Debug, Clone, Default)]
pub struct GasWrite {
    pub device_id: String,
    pub telemetry: Option<Telemetry>,
    /// The watchdog raised its offline alarm: stop watching until it reports.
    pub offline_raised: bool,
    /// The watchdog raised its end-of-life alarm.
    pub eol_raised: bool,
    /// Alarms written: the stored one (`None` for a new alarm, id 0) and the new state.
    pub alarms: Vec<(Option<Alarm>, Alarm)>,
    pub outbox: Vec<OutboxMessage>,
}

/// Which alarms a list shows.
#[derive(Debug, Clone, Default)]
pub struct AlarmFilter {
    /// Only alarms still open (not cleared, or cleared and not acknowledged).
    pub open: bool,
    pub device_id: Option<String>,
    pub case_id: Option<i64>,
    pub limit: i64,
}

fn device_row(d: &Device, at: Timestamp) -> Vec<Val> {
    vec![
        d.device_id.as_str().into(),
        d.vendor.as_str().into(),
        d.model.as_str().into(),
        d.kind.as_str().into(),
        d.address.as_str().into(),
        Val::Real(d.location.map(|l| l.lat())),
        Val::Real(d.location.map(|l| l.lng())),
        Val::Text(d.grid.as_ref().map(|g| g.as_str().to_owned())),
        d.owner_name.as_str().into(),
        d.owner_phone.as_str().into(),
        d.installed_on.to_string().into(),
        d.end_of_life().to_string().into(),
        0i64.into(),
        (d.valve as i64).into(),
        (d.heartbeat_seconds as i64).into(),
        to_millis(at).into(),
        0i64.into(),
        0i64.into(),
        Val::Int(None),
        Val::Int(None),
    ]
}

fn device_from_row(r: &sqlx::any::AnyRow) -> Result<DeviceRow> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("gas device: {what}"));
    let lat: Option<f64> = r.try_get("lat")?;
    let lng: Option<f64> = r.try_get("lng")?;
    let location = match (lat, lng) {
        (Some(a), Some(b)) => Some(domain::geo::LatLng::new(a, b).map_err(|e| corrupt(&e.to_string()))?),
        _ => None,
    };
    let grid: Option<String> = r.try_get("grid")?;
    let installed: String = r.try_get("installed_on")?;
    let device = Device {
        device_id: r.try_get("device_id")?,
        vendor: Vendor::parse(&r.try_get::<String, _>("vendor")?).ok_or_else(|| corrupt("vendor"))?,
        model: r.try_get("model")?,
        kind: DeviceKind::parse(&r.try_get::<String, _>("kind")?).ok_or_else(|| corrupt("kind"))?,
        address: r.try_get("address")?,
        location,
        grid: grid.map(|g| domain::codes::GridCode::parse(&g)).transpose().map_err(|e| corrupt(&e.to_string()))?,
        owner_name: r.try_get("owner_name")?,
        owner_phone: r.try_get("owner_phone")?,
        installed_on: chrono::NaiveDate::parse_from_str(&installed, "%Y-%m-%d").map_err(|e| corrupt(&e.to_string()))?,
        valve: r.try_get::<i64, _>("valve")? != 0,
        heartbeat_seconds: r.try_get::<i64, _>("heartbeat_seconds")? as u32,
    };
    Ok(DeviceRow {
        device,
        registered_at: crate::from_millis(r.try_get("registered_at")?)?,
        last_seen_at: opt_from_millis(r.try_get("last_seen_at")?)?,
        last_lel_pct: r.try_get("last_lel")?,
        last_level: r.try_get("last_level")?,
        battery_pct: r.try_get("battery")?,
        rssi: r.try_get("rssi")?,
        messages: r.try_get("messages")?,
        bad_payloads: r.try_get("bad_payloads")?,
        last_bad_at: opt_from_millis(r.try_get("last_bad_at")?)?,
        last_bad_reason: r.try_get("last_bad_reason")?,
        last_bad_payload: r.try_get("last_bad_payload")?,
    })
}

fn alarm_row(a: &Alarm) -> Vec<Val> {
    vec![
        a.id.into(),
        (a.version as i64).into(),
        a.device_id.as_str().into(),
        a.kind.as_str().into(),
        a.severity.as_str().into(),
        a.state.as_str().into(),
        (if a.is_open() { "open" } else { "closed" }).into(),
        (a.level as i64).into(),
        to_millis(a.started_at).into(),
        to_millis(a.updated_at).into(),
        Val::Int(a.case_id),
        serde_json::to_string(a).expect("an alarm serialises").into(),
    ]
}

fn alarm_from_row(r: &sqlx::any::AnyRow) -> Result<Alarm> {
    let body: String = r.try_get("body")?;
    serde_json::from_str(&body).map_err(|e| StoreError::Corrupt(format!("gas alarm document: {e}")))
}

fn entry(a: &Alarm, e: &domain::gas::AlarmEvent) -> AuditEntry {
    AuditEntry {
        at: e.at,
        actor: e.by.clone(),
        action: format!("gas_alarm.{}", e.action),
        entity: "gas_alarm".into(),
        entity_id: a.id.to_string(),
        detail: serde_json::json!({ "device": a.device_id, "kind": a.kind, "note": e.note, "duty": e.duty, "level": e.level, "version": a.version })
            .to_string(),
    }
}

impl Store {
    /// Registers detectors (a CSV import), or updates the registry fields of those known
    /// already (a detector replaced: new install date, new owner). One audit record per
    /// device. Returns (added, updated).
    pub async fn register_gas_devices(&self, list: &[Device], actor: &str, at: Timestamp) -> Result<(usize, usize)> {
        let mut tx = self.begin_write().await?;
        let mut chain = Chain::lock(&mut tx, self.backend(), &self.audit_key).await?;
        let (mut added, mut updated) = (0, 0);
        for d in list {
            let known: Option<String> = sqlx::query_scalar("SELECT device_id FROM gas_devices WHERE device_id = $1")
                .bind(&d.device_id)
                .fetch_optional(&mut *tx)
                .await?;
            if known.is_some() {
                sqlx::query(
                    "UPDATE gas_devices SET vendor = $1, model = $2, kind = $3, address = $4, lat = $5, lng = $6, grid = $7, \
                     owner_name = $8, owner_phone = $9, installed_on = $10, end_of_life_on = $11, eol_raised = 0, valve = $12, \
                     heartbeat_seconds = $13 WHERE device_id = $14",
                )
                .bind(d.vendor.as_str())
                .bind(&d.model)
                .bind(d.kind.as_str())
                .bind(&d.address)
                .bind(d.location.map(|l| l.lat()))
                .bind(d.location.map(|l| l.lng()))
                .bind(d.grid.as_ref().map(|g| g.as_str().to_owned()))
                .bind(&d.owner_name)
                .bind(&d.owner_phone)
                .bind(d.installed_on.to_string())
                .bind(d.end_of_life().to_string())
                .bind(d.valve as i64)
                .bind(d.heartbeat_seconds as i64)
                .bind(&d.device_id)
                .execute(&mut *tx)
                .await?;
                updated += 1;
            } else {
                insert_rows(&mut tx, "gas_devices", &DEVICE_COLUMNS, &[device_row(d, at)]).await?;
                added += 1;
            }
            let e = AuditEntry {
                at,
                actor: actor.to_owned(),
                action: if known.is_some() { "gas_device.update".into() } else { "gas_device.register".into() },
                entity: "gas_device".into(),
                entity_id: d.device_id.clone(),
                detail: serde_json::json!({ "vendor": d.vendor, "kind": d.kind, "address": d.address, "installed_on": d.installed_on })
                    .to_string(),
            };
            chain.append(&mut tx, &e).await?;
        }
        chain.store(&mut tx).await?;
        tx.commit().await?;
        Ok((added, updated))
    }

    pub async fn gas_device(&self, device_id: &str) -> Result<DeviceRow> {
        let r = sqlx::query("SELECT * FROM gas_devices WHERE device_id = $1")
            .bind(device_id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        device_from_row(&r)
    }

    /// Devices by id; `q` matches id, address or owner; `owner_phone` a household's own.
    pub async fn gas_devices(&self, q: Option<&str>, owner_phone: Option<&str>, limit: i64) -> Result<Vec<DeviceRow>> {
        let like = q.map(|q| format!("%{}%", q.replace(['%', '_'], "")));
        let rows = sqlx::query(
            "SELECT * FROM gas_devices WHERE ($1 IS NULL OR device_id LIKE $1 OR address LIKE $1 OR owner_name LIKE $1) \
             AND ($2 IS NULL OR owner_phone = $2) ORDER BY device_id LIMIT $3",
        )
        .bind(like)
        .bind(owner_phone)
        .bind(limit.clamp(1, GAS_PAGE_MAX))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(device_from_row).collect()
    }

    /// Counts of registered devices: (all, ever reported, reported since `since`).
    pub async fn gas_device_counts(&self, since: Timestamp) -> Result<(i64, i64, i64)> {
        let r = sqlx::query(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n, CAST(COUNT(last_seen_at) AS BIGINT) AS seen, \
             CAST(COALESCE(SUM(CASE WHEN last_seen_at >= $1 THEN 1 ELSE 0 END), 0) AS BIGINT) AS recent FROM gas_devices",
        )
        .bind(to_millis(since))
        .fetch_one(self.pool())
        .await?;
        Ok((r.try_get("n")?, r.try_get("seen")?, r.try_get("recent")?))
    }

    /// Messages counted on registered devices (read or not), for benchmarks.
    pub async fn gas_messages_total(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT CAST(COALESCE(SUM(messages), 0) AS BIGINT) FROM gas_devices")
            .fetch_one(self.pool())
            .await?)
    }

    /// (device, case) of every alarm that has its case, for benchmarks.
    pub async fn gas_alarm_cases(&self) -> Result<Vec<(String, i64)>> {
        let rows = sqlx::query("SELECT device_id, case_id FROM gas_alarms WHERE case_id IS NOT NULL")
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(|r| Ok((r.try_get("device_id")?, r.try_get("case_id")?))).collect()
    }

    /// How many alarms of `kind` a device has had.
    pub async fn gas_alarm_count(&self, device_id: &str, kind: domain::gas::AlarmKind) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM gas_alarms WHERE device_id = $1 AND kind = $2")
            .bind(device_id)
            .bind(kind.as_str())
            .fetch_one(self.pool())
            .await?)
    }

    /// A device's alarms that are not cleared.
    pub async fn gas_current_alarms(&self, device_id: &str) -> Result<Vec<Alarm>> {
        let rows = sqlx::query("SELECT body FROM gas_alarms WHERE device_id = $1 AND state <> 'cleared' ORDER BY id")
            .bind(device_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(alarm_from_row).collect()
    }

    pub async fn gas_alarm(&self, id: AlarmId) -> Result<Alarm> {
        let r = sqlx::query("SELECT body FROM gas_alarms WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        alarm_from_row(&r)
    }

    /// Alarms, the newest first.
    pub async fn gas_alarms(&self, f: &AlarmFilter) -> Result<Vec<Alarm>> {
        let rows = sqlx::query(
            "SELECT body FROM gas_alarms WHERE ($1 = 0 OR status = 'open') AND ($2 IS NULL OR device_id = $2) \
             AND ($3 IS NULL OR case_id = $3) ORDER BY started_at DESC, id DESC LIMIT $4",
        )
        .bind(f.open as i64)
        .bind(f.device_id.clone())
        .bind(f.case_id)
        .bind(f.limit.clamp(1, GAS_PAGE_MAX))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(alarm_from_row).collect()
    }

    /// Devices the watchdog must look at by `now`: silent past their heartbeats, or past
    /// their service life with no end-of-life alarm yet.
    pub async fn gas_devices_for_watchdog(&self, now: Timestamp, limit: i64) -> Result<Vec<DeviceRow>> {
        let rows = sqlx::query(
            "SELECT * FROM gas_devices WHERE silent_after <= $1 \
             UNION SELECT * FROM gas_devices WHERE eol_raised = 0 AND end_of_life_on <= $2 LIMIT $3",
        )
        .bind(to_millis(now))
        .bind(now.date_naive().to_string())
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(device_from_row).collect()
    }

    /// Counts a message that could not be read: on its device's row when the device is
    /// registered (returns true), else among the unknown devices.
    pub async fn record_bad_gas_message(
        &self,
        vendor: &str,
        device_id: &str,
        at: Timestamp,
        reason: &str,
        payload: &[u8],
    ) -> Result<bool> {
        let kept: String = String::from_utf8_lossy(payload).chars().take(BAD_PAYLOAD_CHARS_MAX).collect();
        let reason: String = reason.chars().take(BAD_PAYLOAD_CHARS_MAX).collect();
        let done = sqlx::query(
            "UPDATE gas_devices SET bad_payloads = bad_payloads + 1, messages = messages + 1, last_bad_at = $1, \
             last_bad_reason = $2, last_bad_payload = $3 WHERE device_id = $4",
        )
        .bind(to_millis(at))
        .bind(&reason)
        .bind(&kept)
        .bind(device_id)
        .execute(self.pool())
        .await?;
        if done.rows_affected() == 1 {
            return Ok(true);
        }
        let vendor: String = vendor.chars().take(40).collect();
        let device: String = device_id.chars().take(100).collect();
        sqlx::query(
            "INSERT INTO gas_unknown (vendor, device_id, messages, last_at, last_reason, last_payload) VALUES ($1, $2, 1, $3, $4, $5) \
             ON CONFLICT (vendor, device_id) DO UPDATE SET messages = gas_unknown.messages + 1, last_at = excluded.last_at, \
             last_reason = excluded.last_reason, last_payload = excluded.last_payload",
        )
        .bind(vendor)
        .bind(device)
        .bind(to_millis(at))
        .bind(reason)
        .bind(kept)
        .execute(self.pool())
        .await?;
        Ok(false)
    }

    /// Messages from devices nobody registered: (vendor, device, count, last at, why).
    pub async fn gas_unknown(&self, limit: i64) -> Result<Vec<(String, String, i64, Timestamp, String)>> {
        let rows = sqlx::query("SELECT * FROM gas_unknown ORDER BY last_at DESC LIMIT $1")
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("vendor")?,
                    r.try_get("device_id")?,
                    r.try_get("messages")?,
                    crate::from_millis(r.try_get("last_at")?)?,
                    r.try_get("last_reason")?,
                ))
            })
            .collect()
    }

    /// Writes what one message or watchdog look caused, in one transaction: the device's
    /// telemetry, new alarms (given their ids here) and changed ones (each only if still at
    /// the version read — else a conflict, and the caller reads again), their duties,
    /// notices and audit records. Returns the alarms as written.
    pub async fn write_gas(&self, w: GasWrite, obligations: impl Fn(&Alarm) -> Vec<Obligation>) -> Result<Vec<Alarm>> {
        let mut tx = self.begin_write().await?;
        if let Some(t) = &w.telemetry {
            let done = sqlx::query(
                "UPDATE gas_devices SET messages = messages + 1, last_seen_at = $1, silent_after = $2, \
                 last_lel = COALESCE($3, last_lel), last_level = COALESCE($4, last_level), battery = COALESCE($5, battery), \
                 rssi = COALESCE($6, rssi) WHERE device_id = $7",
            )
            .bind(to_millis(t.at))
            .bind(to_millis(t.silent_after))
            .bind(t.lel_pct)
            .bind(t.level.map(i64::from))
            .bind(t.battery_pct.map(i64::from))
            .bind(t.rssi.map(i64::from))
            .bind(&w.device_id)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() != 1 {
                return Err(StoreError::NotFound);
            }
        }
        if w.offline_raised || w.eol_raised {
            sqlx::query(
                "UPDATE gas_devices SET silent_after = CASE WHEN $1 = 1 THEN NULL ELSE silent_after END, \
                 eol_raised = CASE WHEN $2 = 1 THEN 1 ELSE eol_raised END WHERE device_id = $3",
            )
            .bind(w.offline_raised as i64)
            .bind(w.eol_raised as i64)
            .bind(&w.device_id)
            .execute(&mut *tx)
            .await?;
        }
        if w.alarms.is_empty() {
            tx.commit().await?;
            return Ok(vec![]);
        }
        let mut chain = Chain::lock(&mut tx, self.backend(), &self.audit_key).await?;
        let mut next = crate::cases::next_id(&mut tx, "gas_alarms").await?;
        let mut written = vec![];
        for (before, mut after) in w.alarms {
            match &before {
                None => {
                    after.id = next;
                    next += 1;
                    insert_rows(&mut tx, "gas_alarms", &ALARM_COLUMNS, &[alarm_row(&after)]).await.map_err(
                        |e| match e {
                            StoreError::Database(e) => {
                                crate::unique_to_conflict(e, "a current alarm of this device and kind")
                            }
                            e => e,
                        },
                    )?;
                }
                Some(b) => {
                    let done = sqlx::query(
                        "UPDATE gas_alarms SET version = $1, severity = $2, state = $3, status = $4, level = $5, updated_at = $6, \
                         case_id = $7, body = $8 WHERE id = $9 AND version = $10",
                    )
                    .bind(after.version as i64)
                    .bind(after.severity.as_str())
                    .bind(after.state.as_str())
                    .bind(if after.is_open() { "open" } else { "closed" })
                    .bind(after.level as i64)
                    .bind(to_millis(after.updated_at))
                    .bind(after.case_id)
                    .bind(serde_json::to_string(&after).expect("an alarm serialises"))
                    .bind(after.id)
                    .bind(b.version as i64)
                    .execute(&mut *tx)
                    .await?;
                    if done.rows_affected() != 1 {
                        return Err(StoreError::Conflict(format!(
                            "gas alarm {} was changed by someone else; reload it",
                            after.id
                        )));
                    }
                }
            }
            crate::obligations::replace(&mut tx, MatterKind::GasAlarm, after.id, &obligations(&after)).await?;
            let seen = before.as_ref().map_or(0, |b| b.events.len());
            for e in after.events.iter().skip(seen) {
                chain.append(&mut tx, &entry(&after, e)).await?;
            }
            written.push(after);
        }
        let prefix = format!("gas{}", written[0].id);
        crate::writer::write_matter_outbox(&mut tx, &prefix, &w.outbox, written[0].updated_at).await?;
        chain.store(&mut tx).await?;
        tx.commit().await?;
        Ok(written)
    }
}
