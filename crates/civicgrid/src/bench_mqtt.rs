//! `civicgrid bench mqtt`: gas detectors through the real broker. A `civicgrid serve`
//! process ingests from the broker (a persistent session, QoS 1) into a fresh database with
//! the scenario's streets and `--devices` registered detectors; this process publishes their
//! heartbeats, then an alarm storm, and reads the results back from the database:
//!
//! - ingest rate during the heartbeat soak (messages counted on devices ÷ seconds) against
//!   the rate published, and the backlog left;
//! - alarm → case latency: from the instant the alarm was handed to the broker to the moment
//!   its case is seen committed in the database (polled every 20 ms, so at most ~20 ms late),
//!   p50/p99/max; and to the case's creation time by the server's clock;
//! - duplicates: alarms or cases beyond one per storm detector (must be 0);
//! - the server's CPU (share of one core, from /proc) and resident memory;
//! - with `--kill`, a SIGKILL of the server halfway through the storm and a restart: every
//!   alarm the broker accepted must still get its one case.

use anyhow::Context;
use rumqttc::{AsyncClient, MqttOptions, QoS};
use std::time::{Duration, Instant};

pub struct Plan {
    pub devices: usize,
    pub heartbeat_seconds: u64,
    pub soak_seconds: u64,
    pub storm: usize,
    pub storm_seconds: u64,
    pub kill: bool,
}

fn device_id(i: usize) -> String {
    format!("B{i:06}")
}

fn heartbeat(i: usize) -> (String, Vec<u8>) {
    let id = device_id(i);
    (
        format!("civicgrid/devices/nbiot/{id}/up"),
        format!(r#"{{"imei":"{id}","lel":0.5,"level":0,"battery":90,"rssi":-80,"event":"heartbeat"}}"#).into_bytes(),
    )
}

fn alarm(i: usize) -> (String, Vec<u8>) {
    let id = device_id(i);
    if i % 2 == 0 {
        (
            format!("civicgrid/devices/nbiot/{id}/up"),
            format!(r#"{{"imei":"{id}","lel":62.0,"level":2,"battery":90,"rssi":-80,"event":"alarm"}}"#).into_bytes(),
        )
    } else {
        (
            format!("civicgrid/devices/tuya/{id}/up"),
            format!(r#"{{"devId":"{id}","t":1764400000,"dps":{{"gas_sensor_status":"alarm","gas_sensor_value":620,"fault":0,"battery_percentage":90}}}}"#).into_bytes(),
        )
    }
}

/// CPU seconds (user + system) a process has used, from /proc.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

fn spawn_server(url: &str, config: &std::path::Path) -> anyhow::Result<std::process::Child> {
    Ok(std::process::Command::new(std::env::current_exe()?)
        .args(["serve", "--db", url, "--bind", "127.0.0.1:0", "--config"])
        .arg(config)
        .env("RUST_LOG", "warn,sqlx=error")
        .stdout(std::process::Stdio::null())
        .spawn()?)
}

/// The value at fraction `p` of a sorted list (index ⌊n·p⌋, the last for p = 1); -1 when empty.
fn percentile(sorted: &[i64], p: f64) -> i64 {
    sorted.get(((sorted.len() as f64 * p) as usize).min(sorted.len().saturating_sub(1))).copied().unwrap_or(-1)
}

pub async fn run(
    backend: &str,
    postgres: &str,
    broker: &str,
    plan: &Plan,
    scenario: &std::path::Path,
) -> anyhow::Result<i32> {
    anyhow::ensure!(
        plan.storm <= plan.devices && plan.devices > 0 && plan.heartbeat_seconds > 0,
        "--storm must not exceed --devices"
    );
    let url = match backend {
        "postgres" => {
            std::env::set_var("CIVICGRID_TEST_PG", postgres);
            store::testing::fresh_postgres_url().await
        }
        "sqlite" => store::testing::fresh_sqlite_url(),
        other => anyhow::bail!("unknown backend {other:?}"),
    };
    let cfg = server::config::MqttConfig::new(broker);
    let (host, port) = cfg.broker().map_err(anyhow::Error::msg)?;
    let sc = scenario::load(scenario)?;
    let store = store::Store::open(&url).await?;
    store.load_reference(&sc.reference_data(), "bench", chrono::Utc::now()).await?;
    let area = app::served_area(&store.grids().await?);
    let centres: Vec<domain::geo::LatLng> =
        sc.grids.iter().filter_map(|g| domain::geo::Polygon::new(g.ring.clone()).map(|p| p.centroid())).collect();
    let started = Instant::now();
    const BATCH: usize = 10_000;
    for first in (0..plan.devices).step_by(BATCH) {
        let mut csv = String::from("device_id,vendor,model,kind,address,lat,lng,owner_name,owner_phone,installed_on\n");
        for i in first..(first + BATCH).min(plan.devices) {
            let c = centres[i % centres.len()];
            let vendor = if i % 2 == 0 { "nbiot" } else { "tuya" };
            csv.push_str(&format!(
                "{},{vendor},BENCH,household,测试小区{}号,{:.6},{:.6},住户{i},1380000{:04},2025-01-01\n",
                device_id(i),
                i,
                c.lat(),
                c.lng(),
                i % 10_000
            ));
        }
        app::gas::import(&store, &area, &csv, "bench", chrono::Utc::now()).await?;
    }
    println!("backend: {backend}; {} detectors registered in {:.1} s", plan.devices, started.elapsed().as_secs_f64());
    let dir = std::env::temp_dir().join(format!("cg-bench-mqtt-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let config = dir.join("civicgrid.toml");
    std::fs::write(
        &config,
        format!("[mqtt]\nurl = {broker:?}\nclient_id = \"civicgrid-bench-{}\"\n", std::process::id()),
    )?;
    let mut child = spawn_server(&url, &config)?;
    // Connected and subscribed before the load starts.
    tokio::time::sleep(Duration::from_secs(3)).await;

    let mut opts = MqttOptions::new(format!("bench-pub-{}", std::process::id()), host, port);
    opts.set_keep_alive(Duration::from_secs(30));
    opts.set_inflight(1000);
    let (client, mut events) = AsyncClient::new(opts, 10_000);
    let acked = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counter = acked.clone();
    let poller = tokio::spawn(async move {
        loop {
            match events.poll().await {
                Ok(rumqttc::Event::Incoming(rumqttc::Packet::PubAck(_))) => {
                    counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                Ok(_) => {}
                Err(e) => {
                    eprintln!("publisher: {e}");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
    });

    // Heartbeats: every device once per period, spread over ticks of 100 ms.
    let per_second = plan.devices as f64 / plan.heartbeat_seconds as f64;
    let stop_beats = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let beats = {
        let client = client.clone();
        let stop = stop_beats.clone();
        let devices = plan.devices;
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            let (mut next, mut owed, mut sent) = (0usize, 0.0f64, 0u64);
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                tick.tick().await;
                owed += per_second / 10.0;
                while owed >= 1.0 {
                    let (topic, payload) = heartbeat(next % devices);
                    if client.publish(topic, QoS::AtLeastOnce, false, payload).await.is_err() {
                        return sent;
                    }
                    next += 1;
                    sent += 1;
                    owed -= 1.0;
                }
            }
            sent
        })
    };
    let pid = child.id();
    tokio::time::sleep(Duration::from_secs(5)).await;
    let (m0, c0, t0) = (store.gas_messages_total().await?, cpu_seconds(pid), Instant::now());
    tokio::time::sleep(Duration::from_secs(plan.soak_seconds)).await;
    let (m1, c1, t1) = (store.gas_messages_total().await?, cpu_seconds(pid), Instant::now());
    let soak = (t1 - t0).as_secs_f64();
    let rss_soak = crate::bench::rss_kib(pid);
    println!(
        "heartbeats: {:.0} published/s; ingested {:.0} messages/s over {:.0} s; server CPU {:.0} % of one core; RSS {} MiB",
        per_second,
        (m1 - m0) as f64 / soak,
        soak,
        (c1 - c0) / soak * 100.0,
        rss_soak / 1024
    );

    // The storm, with heartbeats going on; a watcher notes when each alarm's case is committed.
    let watching = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let watcher = {
        let store = store.clone();
        let watching = watching.clone();
        let storm = plan.storm;
        tokio::spawn(async move {
            let mut seen: std::collections::HashMap<String, chrono::DateTime<chrono::Utc>> =
                std::collections::HashMap::new();
            while watching.load(std::sync::atomic::Ordering::Relaxed) && seen.len() < storm {
                if let Ok(list) = store.gas_alarm_cases().await {
                    let now = chrono::Utc::now();
                    for (device, _) in list {
                        seen.entry(device).or_insert(now);
                    }
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            seen
        })
    };
    let mut published_at = vec![chrono::Utc::now(); plan.storm];
    let gap = Duration::from_secs_f64(plan.storm_seconds as f64 / plan.storm.max(1) as f64);
    let storm_start = Instant::now();
    let c_storm = cpu_seconds(pid);
    let mut killed_at = None;
    for (i, at) in published_at.iter_mut().enumerate() {
        if plan.kill && i == plan.storm / 2 && killed_at.is_none() {
            child.kill()?;
            child.wait()?;
            killed_at = Some(i);
            child = spawn_server(&url, &config)?;
        }
        let (topic, payload) = alarm(i);
        *at = chrono::Utc::now();
        client.publish(topic, QoS::AtLeastOnce, false, payload).await?;
        let due = storm_start + gap * (i as u32 + 1);
        tokio::time::sleep_until(due.into()).await;
    }
    // Every alarm gets its case.
    let wait_from = Instant::now();
    let mut cases = vec![None; plan.storm];
    let mut alarms_seen = vec![0usize; plan.storm];
    loop {
        let mut missing = 0;
        for i in 0..plan.storm {
            if cases[i].is_some() {
                continue;
            }
            let list = store
                .gas_alarms(&store::gas::AlarmFilter { device_id: Some(device_id(i)), limit: 10, ..Default::default() })
                .await?;
            let gas: Vec<_> = list.iter().filter(|a| a.kind == domain::gas::AlarmKind::Gas).collect();
            alarms_seen[i] = gas.len();
            match gas.first().and_then(|a| a.case_id) {
                Some(id) => cases[i] = Some(id),
                None => missing += 1,
            }
        }
        if missing == 0 || wait_from.elapsed() > Duration::from_secs(180) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    watching.store(false, std::sync::atomic::Ordering::Relaxed);
    let seen = watcher.await.unwrap_or_default();
    let storm_secs = storm_start.elapsed().as_secs_f64();
    let cpu_storm = (cpu_seconds(child.id()) - if killed_at.is_some() { 0.0 } else { c_storm }) / storm_secs * 100.0;
    let rss_storm = crate::bench::rss_kib(child.id());
    stop_beats.store(true, std::sync::atomic::Ordering::Relaxed);
    let beats_sent = beats.await.unwrap_or(0);
    let (mut latency, mut created, mut after_kill) = (vec![], vec![], vec![]);
    for (i, id) in cases.iter().enumerate() {
        let Some(id) = id else { continue };
        let c = store.get_case(*id).await?;
        let committed = seen.get(&device_id(i)).map(|at| (*at - published_at[i]).num_milliseconds());
        if killed_at.is_some_and(|k| i >= k) {
            after_kill.extend(committed);
        } else {
            latency.extend(committed);
            created.push((c.created_at - published_at[i]).num_milliseconds());
        }
    }
    latency.sort_unstable();
    created.sort_unstable();
    after_kill.sort_unstable();
    let with_case = cases.iter().filter(|c| c.is_some()).count();
    let all_cases = store.count(store::Table::Cases).await?;
    let duplicate_alarms: usize = alarms_seen.iter().map(|n| n.saturating_sub(1)).sum();
    // An alarm with no alarm row never reached civicgrid: the broker dropped it (Mosquitto keeps
    // at most max_queued_messages, 1000 by default, for a session that is away or behind).
    let never_arrived = (0..plan.storm).filter(|i| cases[*i].is_none() && alarms_seen[*i] == 0).count();
    let arrived_without_case = (0..plan.storm).filter(|i| cases[*i].is_none() && alarms_seen[*i] > 0).count();
    println!(
        "storm: {} level-2 alarms in {} s; {} with their case; cases in all {} (duplicates {}), alarms beyond one per detector {}",
        plan.storm,
        plan.storm_seconds,
        with_case,
        all_cases,
        all_cases - with_case as i64,
        duplicate_alarms
    );
    println!(
        "alarm → case committed ms: p50 {} · p99 {} · max {} ({} alarms; to the case's creation by the server's clock p50 {} · p99 {}); server CPU during the storm {:.0} % of one core; RSS {} MiB",
        percentile(&latency, 0.5),
        percentile(&latency, 0.99),
        latency.last().copied().unwrap_or(-1),
        latency.len(),
        percentile(&created, 0.5),
        percentile(&created, 0.99),
        cpu_storm,
        rss_storm / 1024
    );
    if let Some(k) = killed_at {
        println!(
            "kill -9 after {k} alarms, restarted at once: the {} alarms from then on reached their case in p50 {} · max {} ms; without a case: {} never delivered by the broker, {} delivered and lost by civicgrid",
            after_kill.len(),
            percentile(&after_kill, 0.5),
            after_kill.last().copied().unwrap_or(-1),
            never_arrived,
            arrived_without_case
        );
    }
    println!(
        "published {} heartbeats and {} alarms; broker acknowledged {}; messages counted on devices {}",
        beats_sent,
        plan.storm,
        acked.load(std::sync::atomic::Ordering::Relaxed),
        store.gas_messages_total().await.context("reading the counts")?
    );
    let _ = client.disconnect().await;
    poller.abort();
    let _ = child.kill();
    let _ = child.wait();
    store.close().await;
    store::testing::discard(&url).await;
    let _ = std::fs::remove_dir_all(&dir);
    let ok = with_case == plan.storm && all_cases == plan.storm as i64 && duplicate_alarms == 0;
    Ok(if ok { 0 } else { 1 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_hand() {
        let v: Vec<i64> = (1..=100).collect();
        // ⌊100 · 0.5⌋ = index 50 → 51; ⌊100 · 0.99⌋ = index 99 → 100.
        assert_eq!((percentile(&v, 0.5), percentile(&v, 0.99), percentile(&v, 1.0)), (51, 100, 100));
        assert_eq!(percentile(&[7], 0.99), 7);
        assert_eq!(percentile(&[], 0.5), -1);
    }

    #[test]
    fn cpu_time_is_read_from_proc_stat() {
        // Our own process has used some CPU, and the count only grows.
        let me = std::process::id();
        let a = cpu_seconds(me);
        let mut x = 0u64;
        for i in 0..30_000_000u64 {
            x = x.wrapping_add(i * i);
        }
        assert!(x > 0);
        let b = cpu_seconds(me);
        assert!(a >= 0.0 && b > a, "{a} then {b}");
    }

    #[test]
    fn storm_payloads_are_level_two_in_both_formats() {
        let sp = domain::gas::SetPoints::default();
        for i in [0, 1] {
            let (topic, payload) = alarm(i);
            let vendor = topic.split('/').nth(2).unwrap();
            let r = domain::gas::parse(vendor, &device_id(i), &payload, chrono::Utc::now()).unwrap();
            assert_eq!(domain::gas::assess(&r, &sp).gas, Some(2), "{topic}");
        }
        let (topic, payload) = heartbeat(3);
        let r = domain::gas::parse("nbiot", &device_id(3), &payload, chrono::Utc::now()).unwrap();
        assert_eq!((domain::gas::assess(&r, &sp).gas, topic.as_str()), (Some(0), "civicgrid/devices/nbiot/B000003/up"));
    }
}
