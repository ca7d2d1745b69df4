//! Sensor ingest over MQTT: a persistent session at the broker (`[mqtt]`), QoS 1, each
//! message acknowledged only after what it caused is committed (`app::gas::ingest`), so a
//! crash or a broker restart loses nothing: what was not acknowledged is delivered again.
//! Messages of one device are handled in order by one of a few workers (chosen by the
//! device id), so devices do not wait for each other.

use crate::config::MqttConfig;
use app::App;
use rumqttc::{AsyncClient, Event, Packet, Publish, QoS};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Workers handling messages at once (each in device order).
const WORKERS: usize = 16;
/// Messages waiting per worker before the broker connection is slowed down.
const QUEUE_PER_WORKER: usize = 256;
/// Longest wait before the next try to reach the broker.
const BACKOFF_MAX: Duration = Duration::from_secs(30);

/// What the ingest has seen since it started (the device page and `/api/v1/gas/summary`).
#[derive(Debug, Default)]
pub struct Stats {
    pub connected: AtomicBool,
    /// The broker has acknowledged the subscription of this connection.
    pub subscribed: AtomicBool,
    pub received: AtomicU64,
    pub recorded: AtomicU64,
    pub rejected: AtomicU64,
    pub unknown: AtomicU64,
    pub reconnects: AtomicU64,
}

/// The levels of `topic` that stand where `filter` has `+`: (vendor, device id).
pub fn topic_levels<'a>(filter: &str, topic: &'a str) -> Option<(&'a str, &'a str)> {
    let f: Vec<&str> = filter.split('/').collect();
    let t: Vec<&str> = topic.split('/').collect();
    if f.len() != t.len() {
        return None;
    }
    let mut wild = vec![];
    for (a, b) in f.iter().zip(&t) {
        match *a {
            "+" => wild.push(*b),
            a if a == *b => {}
            _ => return None,
        }
    }
    match wild[..] {
        [vendor, device, ..] if !vendor.is_empty() && !device.is_empty() => Some((vendor, device)),
        _ => None,
    }
}

fn shard(device: &str) -> usize {
    // FNV-1a: stable and cheap; any hash that keeps a device on one worker does.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in device.bytes() {
        h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
    }
    (h % WORKERS as u64) as usize
}

/// Connects, subscribes and ingests until `stop`.
pub async fn run(app: Arc<App>, cfg: MqttConfig, stats: Arc<Stats>, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut opts = match cfg.options() {
        Ok(o) => o,
        Err(e) => {
            tracing::error!("{e}");
            return;
        }
    };
    let (host, port) = opts.broker_address();
    opts.set_keep_alive(Duration::from_secs(30));
    // The broker keeps the session (subscription and unacknowledged messages) while civicgrid
    // is away, and every message stays unacknowledged until it is committed.
    opts.set_clean_session(cfg.clean_session);
    opts.set_manual_acks(true);
    opts.set_inflight(100);
    let (client, mut events) = AsyncClient::new(opts, 64);
    let mut workers = vec![];
    let mut queues = vec![];
    for _ in 0..WORKERS {
        let (tx, rx) = tokio::sync::mpsc::channel::<Publish>(QUEUE_PER_WORKER);
        queues.push(tx);
        workers.push(tokio::spawn(work(
            app.clone(),
            cfg.topic.clone(),
            client.clone(),
            rx,
            stats.clone(),
            stop.clone(),
        )));
    }
    let mut backoff = Duration::from_millis(250);
    loop {
        let event = tokio::select! {
            e = events.poll() => e,
            _ = stop.changed() => break,
        };
        match event {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                stats.connected.store(true, Ordering::Relaxed);
                backoff = Duration::from_millis(250);
                tracing::info!(broker = %format!("{host}:{port}"), topic = cfg.topic, "connected to the MQTT broker");
                if let Err(e) = client.subscribe(cfg.topic.clone(), QoS::AtLeastOnce).await {
                    tracing::warn!(error = %e, "cannot subscribe");
                }
            }
            Ok(Event::Incoming(Packet::SubAck(_))) => {
                stats.subscribed.store(true, Ordering::Relaxed);
            }
            Ok(Event::Incoming(Packet::Publish(p))) => {
                stats.received.fetch_add(1, Ordering::Relaxed);
                let device = topic_levels(&cfg.topic, &p.topic).map_or("", |(_, d)| d);
                let queue = &queues[shard(device)];
                tokio::select! {
                    r = queue.send(p) => if r.is_err() { break },
                    _ = stop.changed() => break,
                }
            }
            Ok(_) => {}
            Err(e) => {
                stats.subscribed.store(false, Ordering::Relaxed);
                if stats.connected.swap(false, Ordering::Relaxed) {
                    tracing::warn!(error = %e, "lost the MQTT broker; reconnecting");
                } else {
                    tracing::debug!(error = %e, "MQTT broker not reachable");
                }
                stats.reconnects.fetch_add(1, Ordering::Relaxed);
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    _ = stop.changed() => break,
                }
                backoff = (backoff * 2).min(BACKOFF_MAX);
            }
        }
    }
    drop(queues);
    for w in workers {
        let _ = w.await;
    }
    let _ = client.disconnect().await;
    stats.connected.store(false, Ordering::Relaxed);
    stats.subscribed.store(false, Ordering::Relaxed);
}

/// Handles one worker's messages in order; acknowledges each once it is committed. A store
/// failure (the database away) is tried again until it works or the node stops — then the
/// message stays unacknowledged and the broker delivers it again.
async fn work(
    app: Arc<App>,
    filter: String,
    client: AsyncClient,
    mut rx: tokio::sync::mpsc::Receiver<Publish>,
    stats: Arc<Stats>,
    stop: tokio::sync::watch::Receiver<bool>,
) {
    while let Some(p) = rx.recv().await {
        let Some((vendor, device)) = topic_levels(&filter, &p.topic) else {
            tracing::warn!(topic = p.topic, "a message on a topic without vendor and device; dropped");
            stats.rejected.fetch_add(1, Ordering::Relaxed);
            let _ = client.ack(&p).await;
            continue;
        };
        let mut wait = Duration::from_millis(100);
        loop {
            match app::gas::ingest(&app, vendor, device, &p.payload).await {
                Ok(outcome) => {
                    let counter = match outcome {
                        app::gas::Outcome::Recorded(_) => &stats.recorded,
                        app::gas::Outcome::Rejected(_) => &stats.rejected,
                        app::gas::Outcome::UnknownDevice => &stats.unknown,
                    };
                    counter.fetch_add(1, Ordering::Relaxed);
                    let _ = client.ack(&p).await;
                    break;
                }
                Err(e) => {
                    if *stop.borrow() {
                        return;
                    }
                    tracing::warn!(device, error = %e, "cannot record a detector message; trying again");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(5));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_topic_names_vendor_and_device() {
        let f = "civicgrid/devices/+/+/up";
        assert_eq!(topic_levels(f, "civicgrid/devices/tuya/GD-1/up"), Some(("tuya", "GD-1")));
        assert_eq!(topic_levels(f, "civicgrid/devices/tuya/GD-1/down"), None);
        assert_eq!(topic_levels(f, "civicgrid/devices/tuya/up"), None);
        assert_eq!(topic_levels(f, "civicgrid/devices//GD-1/up"), None);
        assert_eq!(shard("GD-1"), shard("GD-1"));
    }
}
