//! Smart gas: every message of a detector and every act on an alarm passes here. The
//! domain reads and decides (`domain::gas`); this adds what follows — the household texted
//! at once, a leak sent out as an urgent case of the gas category (auto-dispatched as that
//! category is), repairs made known to the owner and the gas company, escalation of alarms
//! nobody acknowledged — and the store writes it in one transaction. Sits above `intake`.
//!
//! Exactly one case per leak, however often a message is delivered or whoever gets there
//! first (the ingest, the deadline runner after a crash): the case is created with the
//! alarm's idempotency key, so a second try finds the first case and links it.

use crate::App;
use domain::case::Actor;
use domain::gas::{Alarm, AlarmId, AlarmKind, Reading};
use domain::obligation::{Obligation, Terms};
use domain::role::Role;
use store::gas::{GasWrite, Telemetry};
use store::writer::OutboxMessage;
use store::StoreError;

/// The category a leak is sent out as.
pub const GAS_CATEGORY: &str = "SJ0401";
/// Tries of one write when another write of the same alarm got there first (another node;
/// on one node a device's messages wait for each other, see [`DeviceLocks`]).
const CONFLICT_RETRIES: usize = 20;

/// Messages of one device are written one after another on this node: a device repeating
/// itself or a redelivery would otherwise race its own alarm. Striped: a few locks, each
/// shared by the devices that hash to it.
pub struct DeviceLocks(Vec<tokio::sync::Mutex<()>>);

impl Default for DeviceLocks {
    fn default() -> Self {
        Self((0..64).map(|_| tokio::sync::Mutex::new(())).collect())
    }
}

impl DeviceLocks {
    fn of(&self, device: &str) -> &tokio::sync::Mutex<()> {
        let h = device.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3));
        &self.0[(h % self.0.len() as u64) as usize]
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Rule(#[from] domain::gas::AlarmError),
}

/// What became of one message.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Read and recorded; the alarms it raised, changed or cleared.
    Recorded(Vec<Alarm>),
    /// Not readable: counted on its device (or among unknown devices) with the reason.
    Rejected(String),
    /// From a device nobody registered: counted.
    UnknownDevice,
}

/// Missed alarm duties go to the dispatchers, then the station, then the street's leaders.
pub fn terms(app: &App) -> Terms {
    Terms {
        warn_fraction: app.escalation.warn_fraction,
        ladder: vec![Role::Dispatcher, Role::StationOfficer, Role::Leader],
        working_hours: false,
    }
}

pub fn obligations(app: &App, a: &Alarm) -> Vec<Obligation> {
    domain::gas::obligations(a, &terms(app), &app.gas)
}

/// Registers detectors from the CSV of `civicgrid device import`, each placed in the grid
/// its position falls in. Returns (added, updated).
pub async fn import(
    store: &store::Store,
    area: &domain::geo::ServedArea,
    csv: &str,
    actor: &str,
    at: domain::Timestamp,
) -> Result<(usize, usize), StoreError> {
    let mut list = domain::gas::parse_device_csv(csv).map_err(StoreError::Invalid)?;
    for d in &mut list {
        d.grid = d.location.and_then(|l| area.locate(&l).cloned());
    }
    store.register_gas_devices(&list, actor, at).await
}

/// Reads and records one message that came on `civicgrid/devices/{vendor}/{device_id}/up`.
/// Returns once everything it caused is committed (the MQTT acknowledgement waits for it).
pub async fn ingest(app: &App, vendor: &str, device_id: &str, payload: &[u8]) -> Result<Outcome, StoreError> {
    let now = app.clock.now();
    let device = match app.store.gas_device(device_id).await {
        Ok(d) => d,
        Err(StoreError::NotFound) => {
            app.store
                .record_bad_gas_message(vendor, device_id, now, "未登记的设备 (unregistered device)", payload)
                .await?;
            return Ok(Outcome::UnknownDevice);
        }
        Err(e) => return Err(e),
    };
    let reading = match domain::gas::parse(vendor, device_id, payload, now) {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(device = device_id, vendor, error = %e, "unreadable gas detector message");
            app.store.record_bad_gas_message(vendor, device_id, now, &e.to_string(), payload).await?;
            return Ok(Outcome::Rejected(e.to_string()));
        }
    };
    let silent = chrono::Duration::seconds(device.device.heartbeat_seconds as i64 * app.gas.offline_after_beats as i64);
    let level = domain::gas::assess(&reading, &app.gas).gas;
    let _turn = app.gas_locks.of(device_id).lock().await;
    let mut tries = 0;
    let written = loop {
        let current = app.store.gas_current_alarms(device_id).await?;
        let mut changed = domain::gas::observe(&current, &reading, &app.gas);
        // A new leak at level 2 goes out at once: its case first, so the alarm is written
        // already linked (one write fewer on the way to the people). The case's key names the
        // device's next gas alarm, which stays the same until that alarm is written: a retry
        // or a redelivery after a crash finds the case instead of making another.
        for a in changed.iter_mut().filter(|a| a.id == 0 && domain::gas::needs_case(a, now, &app.gas)) {
            let n = app.store.gas_alarm_count(device_id, AlarmKind::Gas).await? + 1;
            if let Some(case_id) =
                make_case(app, &device.device, a, &reading_note(&reading), &format!("gas:{device_id}:{n}")).await?
            {
                *a = domain::gas::link_case(a, case_id, now);
            }
        }
        let outbox = notices(app, &device, &current, &changed);
        let w = GasWrite {
            device_id: device_id.to_owned(),
            telemetry: Some(Telemetry {
                at: reading.at,
                silent_after: reading.at + silent,
                lel_pct: reading.lel_pct,
                level,
                battery_pct: reading.battery_pct,
                rssi: reading.rssi,
            }),
            alarms: pair(&current, changed),
            outbox,
            ..Default::default()
        };
        match app.store.write_gas(w, |a| obligations(app, a)).await {
            Err(StoreError::Conflict(_)) if tries < CONFLICT_RETRIES => tries += 1,
            r => break r?,
        }
    };
    if !written.is_empty() {
        app.runner_wake.notify_one();
    }
    let mut out = vec![];
    for a in written {
        out.push(if domain::gas::needs_case(&a, now, &app.gas) {
            open_case(app, &a, &reading_note(&reading)).await?
        } else {
            a
        });
    }
    Ok(Outcome::Recorded(out))
}

fn pair(current: &[Alarm], changed: Vec<Alarm>) -> Vec<(Option<Alarm>, Alarm)> {
    changed
        .into_iter()
        .map(|a| {
            let before = (a.id != 0).then(|| current.iter().find(|c| c.id == a.id).cloned()).flatten();
            (before, a)
        })
        .collect()
}

fn reading_note(r: &Reading) -> String {
    match r.lel_pct {
        Some(v) => format!("{v:.1}%LEL"),
        None => "浓度未报".into(),
    }
}

/// Texts that go with newly raised alarms: the household at once for gas; the owner and the
/// gas company for a device to repair.
fn notices(app: &App, device: &store::gas::DeviceRow, current: &[Alarm], changed: &[Alarm]) -> Vec<OutboxMessage> {
    let d = &device.device;
    let mut out = vec![];
    for a in changed.iter().filter(|a| a.id == 0 || !current.iter().any(|c| c.id == a.id)) {
        let key = format!("{}:{}:{}", a.device_id, a.kind.as_str(), a.started_at.timestamp_millis());
        let sms = |recipient: &str, body: String, who: &str| OutboxMessage {
            dedupe_key: format!("{key}:{who}"),
            channel: "sms".into(),
            recipient_user: None,
            recipient_phone: Some(recipient.to_owned()),
            subject: format!("燃气报警器 {}", a.kind.zh()),
            body,
        };
        match a.kind {
            AlarmKind::Gas if !d.owner_phone.is_empty() => out.push(sms(
                &d.owner_phone,
                format!(
                    "【临江街道】{}，您在{}的燃气报警器检测到可燃气体（{}级报警）。请立即关闭燃气阀门、开窗通风，切勿开关电器或使用明火，并撤离到安全地带。工作人员正赶往现场。",
                    d.owner_name, d.address, a.level
                ),
                "owner",
            )),
            AlarmKind::Gas => {}
            AlarmKind::Fault | AlarmKind::Tamper | AlarmKind::Offline | AlarmKind::EndOfLife | AlarmKind::LowBattery => {
                let due = crate::petitions::local_date(a.started_at + app.gas.repair_within);
                let body = format!("【临江街道】{}的燃气报警器（{}）{}，请于{}前检修或更换，以免漏气时无法报警。", d.address, d.device_id, a.kind.zh(), due);
                if !d.owner_phone.is_empty() {
                    out.push(sms(&d.owner_phone, body.clone(), "owner"));
                }
                if let Some(company) = &app.gas_company_phone {
                    out.push(sms(company, format!("{body}（用户：{} {}）", d.owner_name, d.owner_phone), "company"));
                }
            }
        }
    }
    out
}

/// Sends a stored leak out as an urgent case and links it to the alarm. Safe to repeat: the
/// case's idempotency key is the alarm's, so a second call finds the first case.
async fn open_case(app: &App, a: &Alarm, reading: &str) -> Result<Alarm, StoreError> {
    let device = app.store.gas_device(&a.device_id).await?.device;
    match make_case(app, &device, a, reading, &format!("gas-alarm:{}", a.id)).await? {
        Some(case_id) => link(app, a.id, case_id).await,
        None => Ok(a.clone()),
    }
}

/// The urgent case of a leak, made once per `key` (a second call finds the first case);
/// `None` when the detector has no position in the street (left to the dispatchers: the
/// alarm's case duty escalates).
async fn make_case(
    app: &App,
    device: &domain::gas::Device,
    a: &Alarm,
    reading: &str,
    key: &str,
) -> Result<Option<i64>, StoreError> {
    let now = app.clock.now();
    let Some(location) = device.location else {
        tracing::warn!(
            alarm = a.id,
            device = a.device_id,
            "a leak at a device with no position: left to the dispatchers (its case duty escalates)"
        );
        return Ok(None);
    };
    let Some(grid) = device.grid.clone().or_else(|| app.area.locate(&location).cloned()) else {
        tracing::warn!(
            alarm = a.id,
            device = a.device_id,
            "a leak outside the street's grids: left to the dispatchers"
        );
        return Ok(None);
    };
    let code = domain::codes::CategoryCode::parse(GAS_CATEGORY).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let priority = domain::case::Priority::Urgent;
    let who = if device.kind == domain::gas::DeviceKind::Business { "商户" } else { "住户" };
    let made = crate::intake::report(
        app,
        store::writer::CreateCase {
            new: domain::case::NewCase {
                category: code.clone(),
                priority,
                source: domain::case::Source::Sensor,
                location,
                grid,
                description: format!(
                    "燃气报警器 {} {}级报警（{}），{}{}，{}。",
                    device.device_id, a.peak_level, reading, who, device.owner_name, device.address
                ),
                address: Some(device.address.clone()),
                reporter_id: None,
                reported_by: None,
            },
            reporter: (!device.owner_phone.is_empty()).then(|| store::writer::ReporterInput {
                name: Some(device.owner_name.clone()),
                phone: Some(device.owner_phone.clone()),
            }),
            deadlines: app.policy.deadlines(&code, priority, now),
            actor: sensor_actor(),
            at: now,
            extras: Default::default(),
            idempotency_key: Some(key.to_owned()),
        },
    )
    .await;
    match made {
        Ok(c) => Ok(Some(c.id)),
        Err(StoreError::Conflict(_)) => match app.store.case_for_key(key, now - store::IDEMPOTENCY_WINDOW).await? {
            Some(c) => Ok(Some(c.id)),
            None => Err(StoreError::Conflict(format!("the case of {key} is being made"))),
        },
        Err(e) => Err(e),
    }
}

/// The sensor platform, as the actor of what detectors cause.
pub fn sensor_actor() -> Actor {
    Actor { user_id: 0, username: "gas-sensor".into(), role: Role::Dispatcher }
}

async fn link(app: &App, id: AlarmId, case_id: i64) -> Result<Alarm, StoreError> {
    for _ in 0..=CONFLICT_RETRIES {
        let a = app.store.gas_alarm(id).await?;
        if a.case_id.is_some() {
            return Ok(a);
        }
        let after = domain::gas::link_case(&a, case_id, app.clock.now());
        match save(app, &a, after, vec![]).await {
            Err(StoreError::Conflict(_)) => continue,
            r => return r,
        }
    }
    Err(StoreError::Conflict(format!("gas alarm {id} keeps changing")))
}

async fn save(app: &App, before: &Alarm, after: Alarm, outbox: Vec<OutboxMessage>) -> Result<Alarm, StoreError> {
    let w = GasWrite {
        device_id: after.device_id.clone(),
        alarms: vec![(Some(before.clone()), after)],
        outbox,
        ..Default::default()
    };
    let mut written = app.store.write_gas(w, |a| obligations(app, a)).await?;
    app.runner_wake.notify_one();
    Ok(written.remove(0))
}

/// Someone in the command centre has seen the alarm.
pub async fn acknowledge(
    app: &App,
    id: AlarmId,
    actor: &Actor,
    name: &str,
    note: Option<String>,
) -> Result<Alarm, Error> {
    let a = app.store.gas_alarm(id).await?;
    let after = domain::gas::acknowledge(&a, actor, name, app.clock.now(), note)?;
    Ok(save(app, &a, after, vec![]).await?)
}

/// Cleared by a person who dealt with it.
pub async fn clear(app: &App, id: AlarmId, actor: &Actor, name: &str, note: Option<String>) -> Result<Alarm, Error> {
    let a = app.store.gas_alarm(id).await?;
    let after = domain::gas::clear(&a, actor, name, app.clock.now(), note)?;
    Ok(save(app, &a, after, vec![]).await?)
}

/// The deadline runner's rule for gas alarms: the urgent case when it is due (after a crash
/// between the alarm and its case, too), else warnings and escalations.
pub async fn fire(app: &App, id: AlarmId) -> Result<(), StoreError> {
    let a = app.store.gas_alarm(id).await?;
    let now = app.clock.now();
    if domain::gas::needs_case(&a, now, &app.gas) {
        let note = a.recent.last().and_then(|s| s.lel_pct).map_or("浓度未报".to_owned(), |v| format!("{v:.1}%LEL"));
        open_case(app, &a, &note).await?;
        return Ok(());
    }
    match domain::gas::record_alerts(&a, now, &terms(app), &app.gas) {
        Some(after) => {
            let mut outbox = vec![];
            let device = app.store.gas_device(&a.device_id).await.ok();
            let station = device
                .as_ref()
                .and_then(|d| d.device.grid.as_ref())
                .and_then(|g| app.grids.get(g))
                .map(|g| g.station.clone());
            for e in after.events.iter().skip(a.events.len()).filter(|e| e.action == "escalate") {
                let duty = e.duty.as_deref().unwrap_or("");
                let what = match duty {
                    "acknowledge" => "无人确认",
                    _ => "未按期处置",
                };
                let place = device.as_ref().map_or(String::new(), |d| d.device.address.clone());
                let missed = crate::notify::Missed {
                    duty,
                    due_at: e.due_at,
                    level: e.level.unwrap_or(1),
                    station: station.as_deref(),
                    subject: format!("燃气报警 #{} 超时督办", a.id),
                    body: format!("{}：{}（{}）{}，请督促处置。", a.kind.zh(), place, a.device_id, what),
                };
                outbox.extend(crate::notify::escalation_notices(app, &terms(app).ladder, &missed).await?);
            }
            save(app, &a, after, outbox).await.map(|_| ())
        }
        None => app.store.restate_gas_alarm_obligations(a.id, a.version, &obligations(app, &a)).await,
    }
}

/// Most devices the watchdog looks at per round.
const WATCHDOG_BATCH: i64 = 500;

/// Raises offline alarms for devices silent past their heartbeats and end-of-life alarms
/// for those past their service years. Run by the deadline runner every round (one indexed
/// query when nothing is due). Returns the alarms raised.
pub async fn watchdog(app: &App) -> Result<Vec<Alarm>, StoreError> {
    let now = app.clock.now();
    let mut raised = vec![];
    for d in app.store.gas_devices_for_watchdog(now, WATCHDOG_BATCH).await? {
        let current = app.store.gas_current_alarms(&d.device.device_id).await?;
        let new = domain::gas::watchdog(&current, &d.device, d.last_seen_at, now, &app.gas);
        let offline =
            new.iter().any(|a| a.kind == AlarmKind::Offline) || current.iter().any(|a| a.kind == AlarmKind::Offline);
        let eol = new.iter().any(|a| a.kind == AlarmKind::EndOfLife)
            || current.iter().any(|a| a.kind == AlarmKind::EndOfLife);
        let offline_due = d.last_seen_at.is_some_and(|s| {
            now - s > chrono::Duration::seconds(d.device.heartbeat_seconds as i64 * app.gas.offline_after_beats as i64)
        });
        let outbox = notices(app, &d, &current, &new);
        let w = GasWrite {
            device_id: d.device.device_id.clone(),
            offline_raised: offline && offline_due,
            eol_raised: eol,
            alarms: new.into_iter().map(|a| (None, a)).collect(),
            outbox,
            ..Default::default()
        };
        match app.store.write_gas(w, |a| obligations(app, a)).await {
            Ok(w) => raised.extend(w),
            // A message came in meanwhile: looked at again next round.
            Err(StoreError::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
    }
    if !raised.is_empty() {
        app.runner_wake.notify_one();
    }
    Ok(raised)
}
