//! Detector traffic for the demo and for trying the ingest: every registered detector sends
//! its heartbeat, now and then one leaks (the concentration rises through level 1 to level 2,
//! holds, and falls back) and one reports a fault that is repaired later. Published to a
//! real broker in each device's own vendor format, at QoS 1, on
//! `civicgrid/devices/{vendor}/{device_id}/up`.

use domain::gas::{Device, Vendor};
use rand::{Rng, SeedableRng};
use rumqttc::{AsyncClient, MqttOptions, QoS};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::time::Duration;

/// How the traffic is made.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Simulated seconds per real second.
    pub speed: f64,
    pub seed: u64,
    /// Mean simulated minutes between leaks anywhere in the street.
    pub leak_every_minutes: f64,
    /// Mean simulated minutes between faults anywhere.
    pub fault_every_minutes: f64,
    /// Simulated seconds before the first leak or fault.
    pub quiet_start_seconds: f64,
}

impl Default for Plan {
    fn default() -> Self {
        Self { speed: 1.0, seed: 1, leak_every_minutes: 45.0, fault_every_minutes: 120.0, quiet_start_seconds: 0.0 }
    }
}

/// What was published.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sent {
    pub heartbeats: u64,
    pub alarms: u64,
    pub faults: u64,
}

impl Sent {
    pub fn total(&self) -> u64 {
        self.heartbeats + self.alarms + self.faults
    }
}

/// The topic a device reports on.
pub fn topic(d: &Device) -> String {
    format!("civicgrid/devices/{}/{}/up", d.vendor.as_str(), d.device_id)
}

/// One message in the device's vendor format: `lel` in %LEL, `level` as the device judges it,
/// `event` heartbeat / alarm / fault.
pub fn payload(
    d: &Device,
    at: chrono::DateTime<chrono::Utc>,
    lel: f64,
    level: u8,
    fault: bool,
    battery: u8,
) -> Vec<u8> {
    match d.vendor {
        Vendor::Tuya => serde_json::json!({
            "devId": d.device_id,
            "t": at.timestamp(),
            "dps": {
                "gas_sensor_status": if level > 0 { "alarm" } else { "normal" },
                "gas_sensor_value": (lel * 10.0).round() as i64,
                "preheat": false, "self_checking": false, "muffling": false,
                "fault": if fault { 1 } else { 0 },
                "battery_percentage": battery,
            }
        }),
        Vendor::Nbiot => serde_json::json!({
            "imei": d.device_id,
            "ts": at.to_rfc3339(),
            "lel": (lel * 10.0).round() / 10.0,
            "level": level,
            "battery": battery,
            "rssi": -75,
            "event": if fault { "fault" } else if level > 0 { "alarm" } else { "heartbeat" },
        }),
    }
    .to_string()
    .into_bytes()
}

/// The concentration `t` seconds into a leak (rises over a minute, holds, falls after 3).
fn leak_curve(t: f64) -> f64 {
    match t {
        t if t < 60.0 => 5.0 + t * 0.9,
        t if t < 180.0 => 59.0,
        t if t < 240.0 => 59.0 - (t - 180.0),
        _ => 1.0,
    }
}

/// Publishes until `stop` completes.
pub async fn publish(
    host: &str,
    port: u16,
    devices: Vec<Device>,
    plan: Plan,
    stop: impl std::future::Future<Output = ()>,
) -> anyhow::Result<Sent> {
    anyhow::ensure!(plan.speed > 0.0 && plan.speed.is_finite(), "--speed must be above 0");
    let mut opts = MqttOptions::new(format!("civicgrid-gas-sim-{}", std::process::id()), host, port);
    opts.set_keep_alive(Duration::from_secs(30));
    opts.set_inflight(200);
    let (client, mut events) = AsyncClient::new(opts, 1000);
    let poller = tokio::spawn(async move {
        loop {
            if let Err(e) = events.poll().await {
                tracing::debug!(error = %e, "gas simulator: broker not reachable");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    });
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(plan.seed);
    let mut sent = Sent::default();
    let started = tokio::time::Instant::now();
    let sim_now = |started: tokio::time::Instant| started.elapsed().as_secs_f64() * plan.speed;
    // (next heartbeat in simulated seconds, device index), earliest first.
    let mut beats: BinaryHeap<Reverse<(u64, usize)>> = devices
        .iter()
        .enumerate()
        .map(|(i, d)| Reverse(((rng.gen::<f64>() * d.heartbeat_seconds as f64 * 1000.0) as u64, i)))
        .collect();
    // Leaks under way: device → simulated second it began.
    let mut leaks: HashMap<usize, f64> = HashMap::new();
    let mut faults: HashMap<usize, f64> = HashMap::new();
    let mut next_leak = plan.quiet_start_seconds + rng.gen::<f64>() * plan.leak_every_minutes * 60.0;
    let mut next_fault = plan.quiet_start_seconds + rng.gen::<f64>() * plan.fault_every_minutes * 60.0;
    let mut last_leak_reading = 0.0;
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => break,
            _ = tokio::time::sleep(Duration::from_millis(200)) => {}
        }
        if devices.is_empty() {
            continue;
        }
        let now_s = sim_now(started);
        let wall = chrono::Utc::now();
        while let Some(Reverse((due_ms, i))) = beats.peek().copied() {
            if due_ms as f64 / 1000.0 > now_s {
                break;
            }
            beats.pop();
            let d = &devices[i];
            if !leaks.contains_key(&i) {
                let fault = faults.contains_key(&i);
                let lel = rng.gen_range(0.0..2.0);
                client
                    .publish(topic(d), QoS::AtLeastOnce, false, payload(d, wall, lel, 0, fault, 80 + (i % 20) as u8))
                    .await?;
                sent.heartbeats += 1;
            }
            beats.push(Reverse((due_ms + d.heartbeat_seconds as u64 * 1000, i)));
        }
        if now_s >= next_leak {
            let i = rng.gen_range(0..devices.len());
            leaks.entry(i).or_insert(now_s);
            next_leak = now_s + -plan.leak_every_minutes * 60.0 * (1.0 - rng.gen::<f64>()).ln();
        }
        if now_s >= next_fault {
            let i = rng.gen_range(0..devices.len());
            faults.insert(i, now_s);
            let d = &devices[i];
            client.publish(topic(d), QoS::AtLeastOnce, false, payload(d, wall, 0.0, 0, true, 60)).await?;
            sent.faults += 1;
            next_fault = now_s + -plan.fault_every_minutes * 60.0 * (1.0 - rng.gen::<f64>()).ln();
        }
        // A fault is repaired after half an hour; the next heartbeat says so.
        faults.retain(|_, began| now_s - *began < 1800.0);
        // Leaking devices report every 10 simulated seconds.
        if now_s - last_leak_reading >= 10.0 {
            last_leak_reading = now_s;
            let mut over = vec![];
            for (&i, &began) in &leaks {
                let t = now_s - began;
                let lel = leak_curve(t);
                let level = domain::gas::level_of(lel, &domain::gas::SetPoints::default());
                let d = &devices[i];
                client.publish(topic(d), QoS::AtLeastOnce, false, payload(d, wall, lel, level, false, 80)).await?;
                sent.alarms += 1;
                if t >= 240.0 {
                    over.push(i);
                }
            }
            for i in over {
                leaks.remove(&i);
            }
        }
    }
    // Let the last messages leave before the connection goes.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let _ = client.disconnect().await;
    poller.abort();
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_leak_rises_through_both_levels_and_falls_back() {
        let sp = domain::gas::SetPoints::default();
        let levels: Vec<u8> =
            [0.0, 20.0, 60.0, 120.0, 250.0].iter().map(|t| domain::gas::level_of(leak_curve(*t), &sp)).collect();
        assert_eq!(levels, vec![0, 1, 2, 2, 0]);
    }

    #[test]
    fn payloads_read_back_as_sent() {
        let mut d = domain::gas::parse_device_csv(
            "device_id,vendor,model,kind,address,lat,lng,owner_name,owner_phone,installed_on\nGD-1,tuya,m,household,x,,,,,2024-01-01\n",
        )
        .unwrap()
        .remove(0);
        let at = chrono::Utc::now();
        let r = domain::gas::parse("tuya", "GD-1", &payload(&d, at, 35.0, 1, false, 80), at).unwrap();
        assert_eq!((r.lel_pct, r.alarming, r.battery_pct), (Some(35.0), Some(true), Some(80)));
        d.vendor = Vendor::Nbiot;
        let r = domain::gas::parse("nbiot", "GD-1", &payload(&d, at, 55.0, 2, false, 80), at).unwrap();
        assert_eq!((r.lel_pct, r.level), (Some(55.0), Some(2)));
    }
}
