//! The demo's gas detectors: one in each of the demo's food businesses that cooks (business
//! detectors with a shut-off valve, 3 years' service) and a few hundred in homes across the
//! grids (5 years), the resident 张伟's among them; what each last reported; two years of
//! alarms behind the history's gas cases, each with its case, acknowledged and cleared; and
//! today's trouble: a detector offline, one faulty, one with a flat battery, those past
//! their service life.

use chrono::Duration;
use domain::gas::{self, Device, DeviceKind, Vendor};
use domain::geo::{LatLng, Polygon};
use domain::Timestamp;
use store::gas::{GasWrite, Telemetry};
use store::Store;

/// The demo resident's phone: their home detector is theirs to see in the app.
pub const RESIDENT_PHONE: &str = "13857100001";
const HOMES: usize = 220;
const SURNAMES: [&str; 14] = ["陈", "王", "李", "张", "刘", "杨", "黄", "周", "吴", "徐", "孙", "沈", "朱", "胡"];
const GIVEN: [&str; 12] = ["建华", "秀英", "伟", "芳", "明", "丽娟", "国强", "桂兰", "志刚", "海燕", "俊", "玉梅"];

fn h(a: usize, b: usize) -> usize {
    (a.wrapping_mul(2_654_435_761) ^ b.wrapping_mul(40_503)).wrapping_add(a * 11 + b * 17) % 1000
}

fn devices(
    grids: &[store::Grid],
    businesses: &[domain::food::Business],
    now: Timestamp,
) -> anyhow::Result<Vec<Device>> {
    let mut out = vec![];
    let today = now.date_naive();
    for (i, b) in businesses
        .iter()
        .filter(|b| {
            matches!(
                b.kind,
                domain::food::Kind::Restaurant | domain::food::Kind::Canteen | domain::food::Kind::CentralKitchen
            )
        })
        .enumerate()
    {
        out.push(Device {
            device_id: format!("GB{:05}", 10_001 + i),
            vendor: if i % 3 == 0 { Vendor::Nbiot } else { Vendor::Tuya },
            model: if i % 3 == 0 {
                "HK-NB20 商用可燃气体探测器".into()
            } else {
                "JT-YQ08 商用燃气报警器（联动切断阀）".into()
            },
            kind: DeviceKind::Business,
            address: b.address.clone(),
            location: b.location,
            grid: Some(b.grid.clone()),
            owner_name: b.name.clone(),
            owner_phone: b.phone.clone().unwrap_or_default(),
            // Most within their 3 years; a few past them (to be replaced).
            installed_on: today
                - Duration::days(if i % 29 == 3 {
                    1_100 + (h(i, 1) % 200) as i64
                } else {
                    30 + (h(i, 1) % 1_000) as i64
                }),
            valve: i % 3 != 0,
            heartbeat_seconds: 300,
        });
    }
    for i in 0..HOMES {
        let g = &grids[(i * 5 + i / 7) % grids.len()];
        let centre = Polygon::new(g.ring.clone()).map(|p| p.centroid()).unwrap_or(LatLng::new(30.27, 120.57)?);
        let location = LatLng::new(
            centre.lat() + (h(i, 2) as f64 - 500.0) * 0.000005,
            centre.lng() + (h(i, 3) as f64 - 500.0) * 0.000005,
        )?;
        let (name, phone) = if i == 0 {
            ("张伟".to_owned(), RESIDENT_PHONE.to_owned())
        } else {
            (
                format!("{}{}", SURNAMES[i % SURNAMES.len()], GIVEN[(i / 3) % GIVEN.len()]),
                format!("1385710{:04}", 2000 + i),
            )
        };
        out.push(Device {
            device_id: format!("GH{:05}", 20_001 + i),
            vendor: if i % 2 == 0 { Vendor::Tuya } else { Vendor::Nbiot },
            model: if i % 2 == 0 {
                "JT-YQ01 家用可燃气体探测器".into()
            } else {
                "HK-NB10 NB-IoT 家用燃气报警器".into()
            },
            kind: DeviceKind::Household,
            address: format!(
                "{}{}幢{}单元{}室",
                g.name_zh,
                1 + h(i, 4) % 18,
                1 + h(i, 5) % 3,
                101 + (h(i, 6) % 18) * 100 + h(i, 7) % 4
            ),
            location: Some(location),
            grid: Some(g.code.clone()),
            owner_name: name,
            owner_phone: phone,
            installed_on: today
                - Duration::days(if i % 37 == 5 {
                    1_850 + (h(i, 8) % 300) as i64
                } else {
                    20 + (h(i, 8) % 1_700) as i64
                }),
            valve: false,
            heartbeat_seconds: 300,
        });
    }
    Ok(out)
}

fn reading(d: &Device, at: Timestamp, lel: f64, level: u8) -> gas::Reading {
    gas::Reading {
        device_id: d.device_id.clone(),
        at,
        sent_at: Some(at),
        lel_pct: Some(lel),
        level: Some(level),
        alarming: Some(level > 0),
        preheat: false,
        self_test: false,
        muted: false,
        fault: Some(false),
        tamper: None,
        battery_pct: Some(85),
        rssi: Some(-78),
    }
}

/// Loads the detectors, what they said and their alarms.
pub async fn load(
    store: &Store,
    grids: &[store::Grid],
    history: &[domain::case::Case],
    obligations: impl Fn(&gas::Alarm) -> Vec<domain::obligation::Obligation>,
    now: Timestamp,
) -> anyhow::Result<usize> {
    let businesses = store.businesses(None, store::food::BUSINESS_PAGE_MAX).await?;
    let list = devices(grids, &businesses, now)?;
    store.register_gas_devices(&list, "demo", now - Duration::days(730)).await?;
    let sp = gas::SetPoints::default();
    // Everyone reported within the last five minutes, except: one new detector not yet
    // online, one gone silent two hours ago (the watchdog raises it when serving starts).
    for (i, d) in list.iter().enumerate() {
        let at = match i {
            7 => continue,
            11 => now - Duration::hours(2),
            _ => now - Duration::seconds((h(i, 9) % 290) as i64),
        };
        let silent = Duration::seconds(d.heartbeat_seconds as i64 * sp.offline_after_beats as i64);
        let w = GasWrite {
            device_id: d.device_id.clone(),
            telemetry: Some(Telemetry {
                at,
                silent_after: at + silent,
                lel_pct: Some((h(i, 10) % 30) as f64 / 10.0),
                level: Some(0),
                battery_pct: Some(60 + (h(i, 11) % 40) as u8),
                rssi: Some(-60 - (h(i, 12) % 40) as i32),
            }),
            ..Default::default()
        };
        store.write_gas(w, &obligations).await?;
    }
    // Two years of leaks: the history's gas cases, each behind an alarm of the nearest home
    // detector, acknowledged within a minute or two, cleared when the gas was gone.
    let mut alarms = 0;
    let homes: Vec<&Device> = list.iter().filter(|d| d.kind == DeviceKind::Household).collect();
    // The history was imported first into the empty database: its cases hold ids 1, 2, … in order.
    let gas_cases =
        history.iter().enumerate().filter(|(_, c)| c.category.as_str() == app::gas::GAS_CATEGORY).rev().take(150);
    for (k, (index, c)) in gas_cases.enumerate() {
        let case_id = index as i64 + 1;
        let Some(d) = homes.iter().min_by(|a, b| {
            let da = a.location.map_or(f64::MAX, |l| l.distance_metres(&c.location));
            let db = b.location.map_or(f64::MAX, |l| l.distance_metres(&c.location));
            da.total_cmp(&db)
        }) else {
            break;
        };
        let start = c.created_at - Duration::seconds(20);
        let level = if k % 4 == 0 { 1 } else { 2 };
        let lel = if level == 2 { 52.0 + (k % 30) as f64 } else { 28.0 + (k % 15) as f64 };
        let mut a = gas::observe(&[], &reading(d, start, lel, level), &sp).remove(0);
        a = gas::link_case(&a, case_id, c.created_at);
        let who = "指挥中心值班员 陈敏";
        let actor =
            domain::case::Actor { user_id: 0, username: "dispatcher".into(), role: domain::role::Role::Dispatcher };
        a = gas::acknowledge(&a, &actor, who, c.created_at + Duration::seconds(40 + (k % 80) as i64), None)?;
        let gone = c
            .milestones
            .closed_at
            .unwrap_or(c.created_at + Duration::minutes(40))
            .min(c.created_at + Duration::minutes(25 + (k % 40) as i64));
        a = gas::observe(std::slice::from_ref(&a), &reading(d, gone, 1.0, 0), &sp).remove(0);
        store
            .write_gas(
                GasWrite { device_id: d.device_id.clone(), alarms: vec![(None, a)], ..Default::default() },
                &obligations,
            )
            .await?;
        alarms += 1;
    }
    // Today's trouble: a faulty sensor and a flat battery, reported this morning.
    let trouble = [(3usize, gas::AlarmKind::Fault), (20, gas::AlarmKind::LowBattery)];
    for (i, kind) in trouble {
        let d = &list[i % list.len()];
        let at = now - Duration::hours(3) - Duration::minutes(i as i64);
        let mut r = reading(d, at, 0.5, 0);
        match kind {
            gas::AlarmKind::Fault => r.fault = Some(true),
            _ => r.battery_pct = Some(12),
        }
        let made = gas::observe(&[], &r, &sp);
        store
            .write_gas(
                GasWrite {
                    device_id: d.device_id.clone(),
                    alarms: made.into_iter().map(|a| (None, a)).collect(),
                    ..Default::default()
                },
                &obligations,
            )
            .await?;
        alarms += 1;
    }
    Ok(alarms)
}
