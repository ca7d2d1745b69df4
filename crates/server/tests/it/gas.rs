//! Smart gas through a real Mosquitto broker (one per test, on its own port, so tests can
//! restart it): a leak → exactly one urgent case, dispatched, however often the message is
//! delivered; a lasting level 1 → a case when the clock passes the set time; unreadable and
//! unknown messages counted; a silent detector offline when the clock passes its heartbeats;
//! nothing lost over a broker restart or while civicgrid is away. Both backends.

use super::*;
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use std::time::{Duration, Instant};

/// A Mosquitto of the test's own, persistent across its restarts.
pub struct Broker {
    pub port: u16,
    /// A second listener speaking TLS, when started with [`Broker::start_tls`].
    pub tls_port: Option<u16>,
    dir: std::path::PathBuf,
    child: Option<std::process::Child>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Broker {
    pub fn start() -> Broker {
        Self::start_with(false)
    }

    /// With a TLS listener too, its certificate (for `localhost`) signed by a CA made here
    /// (`ca.crt` in [`Broker::dir`]).
    pub fn start_tls() -> Broker {
        Self::start_with(true)
    }

    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    fn start_with(tls: bool) -> Broker {
        let port = free_port();
        let dir = std::env::temp_dir().join(format!("cg-mosq-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // Run as root, mosquitto drops to its own user, which must be able to save sessions here.
        std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
        let mut conf = format!("listener {port} 127.0.0.1\nallow_anonymous true\npersistence true\npersistence_location {}/\nlog_dest none\n", dir.display());
        let tls_port = tls.then(|| {
            let openssl = |args: &[&str]| {
                let out = std::process::Command::new("openssl")
                    .args(args)
                    .current_dir(&dir)
                    .output()
                    .expect("openssl is installed");
                assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
            };
            openssl(&[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "ca.key",
                "-out",
                "ca.crt",
                "-days",
                "2",
                "-subj",
                "/CN=civicgrid test CA",
            ]);
            openssl(&[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "server.key",
                "-out",
                "server.csr",
                "-subj",
                "/CN=localhost",
            ]);
            std::fs::write(dir.join("ext.cnf"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n").unwrap();
            openssl(&[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "server.crt",
                "-days",
                "2",
                "-extfile",
                "ext.cnf",
            ]);
            for f in ["server.key", "server.crt", "ca.crt"] {
                std::fs::set_permissions(dir.join(f), std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
            }
            let p = free_port();
            conf.push_str(&format!(
                "listener {p} 127.0.0.1\ncafile {d}/ca.crt\ncertfile {d}/server.crt\nkeyfile {d}/server.key\n",
                d = dir.display()
            ));
            p
        });
        std::fs::write(dir.join("mosquitto.conf"), conf).unwrap();
        let mut b = Broker { port, tls_port, dir, child: None };
        b.up();
        b
    }

    fn up(&mut self) {
        let child = std::process::Command::new("mosquitto")
            .arg("-c")
            .arg(self.dir.join("mosquitto.conf"))
            .spawn()
            .expect("mosquitto is installed");
        self.child = Some(child);
        let start = Instant::now();
        for port in std::iter::once(self.port).chain(self.tls_port) {
            while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
                assert!(start.elapsed() < Duration::from_secs(10), "mosquitto did not start");
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }

    /// Stops it cleanly (it saves its sessions) and starts it again on the same port.
    pub fn restart(&mut self) {
        self.down();
        self.up();
    }

    fn down(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = std::process::Command::new("kill").arg("-TERM").arg(c.id().to_string()).status();
            let _ = c.wait();
        }
    }

    pub fn config(&self, client_id: &str) -> server::config::MqttConfig {
        let mut c = server::config::MqttConfig::new(&format!("mqtt://127.0.0.1:{}", self.port));
        c.client_id = client_id.into();
        c
    }

    /// Publishes at QoS 1 and waits for the broker's acknowledgement of each.
    pub async fn publish(&self, messages: &[(String, Vec<u8>)]) {
        let mut opts = MqttOptions::new(format!("pub-{}", rand::random::<u32>()), "127.0.0.1", self.port);
        opts.set_keep_alive(Duration::from_secs(10));
        let (client, mut events) = AsyncClient::new(opts, messages.len() + 10);
        for (topic, payload) in messages {
            client.publish(topic.clone(), QoS::AtLeastOnce, false, payload.clone()).await.unwrap();
        }
        let mut acked = 0;
        let deadline = Instant::now() + Duration::from_secs(10);
        while acked < messages.len() {
            assert!(Instant::now() < deadline, "the broker did not acknowledge");
            if let Ok(Event::Incoming(Packet::PubAck(_))) =
                tokio::time::timeout(Duration::from_secs(10), events.poll()).await.unwrap()
            {
                acked += 1;
            }
        }
        let _ = client.disconnect().await;
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.down();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

const CSV: &str = "device_id,vendor,model,kind,address,lat,lng,owner_name,owner_phone,installed_on\n\
GD-001,tuya,JT-YQ01,household,临江花园3幢2单元501,30.2662,120.5700,张伟,13800000001,2024-03-01\n\
GD-002,nbiot,HK-NB20,business,港湾小吃,30.2663,120.5701,陈老板,13900001111,2025-05-10\n\
GD-003,tuya,JT-YQ01,household,临江花园3幢2单元502,30.2661,120.5699,李娜,13800000003,2024-03-01\n";

fn tuya(device: &str, status: &str, permille: u32) -> (String, Vec<u8>) {
    (
        format!("civicgrid/devices/tuya/{device}/up"),
        format!(r#"{{"devId":"{device}","t":1764400000,"dps":{{"gas_sensor_status":"{status}","gas_sensor_value":{permille},"preheat":false,"self_checking":false,"muffling":false,"fault":0,"battery_percentage":87}}}}"#).into_bytes(),
    )
}

fn nbiot(device: &str, lel: f64, level: u8, event: &str) -> (String, Vec<u8>) {
    (
        format!("civicgrid/devices/nbiot/{device}/up"),
        format!(r#"{{"imei":"{device}","ts":"2026-11-29T08:00:00+08:00","lel":{lel},"level":{level},"battery":87,"rssi":-80,"event":"{event}"}}"#).into_bytes(),
    )
}

async fn start(postgres: bool, broker: &Broker) -> App {
    let url = if postgres { store::testing::fresh_postgres_url().await } else { store::testing::fresh_sqlite_url() };
    let mut app = App::start_clocked(&url, &Default::default(), whole_second()).await;
    let (added, _) = app::gas::import(&app.store, &app.state.area, CSV, "test", app.now()).await.unwrap();
    assert_eq!(added, 3);
    app.add_mqtt(broker.config(&format!("cg-test-{}", rand::random::<u32>())));
    app
}

/// Now, in whole seconds (the store keeps milliseconds; a clock standing between two would
/// make "silent for exactly 900 s" read as 900.000 3 s).
fn whole_second() -> domain::Timestamp {
    chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 0)
}

/// Waits until `check` holds (messages travel through the broker and a worker).
async fn until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !check().await {
        assert!(start.elapsed() < Duration::from_secs(15), "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn connected(app: &App) {
    let stats = app.state.mqtt.clone();
    // Connected and the subscription acknowledged by the broker.
    until("the ingest subscribed", || {
        let s = stats.clone();
        async move { s.subscribed.load(std::sync::atomic::Ordering::Relaxed) }
    })
    .await;
}

async fn alarms(app: &App, device: &str) -> Vec<domain::gas::Alarm> {
    app.store
        .gas_alarms(&store::gas::AlarmFilter { device_id: Some(device.into()), limit: 100, ..Default::default() })
        .await
        .unwrap()
}

/// Every case there is (the test's database starts with none), each checked to be a gas case.
async fn gas_cases(app: &App) -> Vec<domain::case::Case> {
    let n = app.store.count(store::Table::Cases).await.unwrap();
    let mut out = vec![];
    for id in 1..=n {
        let c = app.store.get_case(id).await.unwrap();
        assert_eq!(c.category.as_str(), "SJ0401");
        out.push(c);
    }
    out
}

async fn a_leak_is_one_dispatched_case(postgres: bool) {
    let broker = Broker::start();
    let app = start(postgres, &broker).await;
    connected(&app).await;
    // Level 1: an alarm, no case yet; the household is texted at once.
    broker.publish(&[tuya("GD-001", "alarm", 300)]).await;
    until("a level-1 alarm", || async { alarms(&app, "GD-001").await.len() == 1 }).await;
    let a = alarms(&app, "GD-001").await.remove(0);
    assert_eq!(
        (a.kind, a.level, a.state, a.case_id),
        (domain::gas::AlarmKind::Gas, 1, domain::gas::AlarmState::Active, None)
    );
    let texts = app.store.outbox_to_phone("13800000001", 10).await.unwrap();
    assert!(texts.iter().any(|m| m.body.contains("张伟") && m.body.contains("开窗通风")), "{texts:?}");
    // Level 2, delivered five times over (a device repeating itself, a redelivery): one
    // alarm, one urgent case, dispatched at once.
    let up = tuya("GD-001", "alarm", 620);
    broker.publish(&vec![up.clone(); 5]).await;
    until("the case", || async { alarms(&app, "GD-001").await[0].case_id.is_some() }).await;
    until("all five counted", || async { alarms(&app, "GD-001").await[0].readings >= 6 }).await;
    let a = alarms(&app, "GD-001").await;
    assert_eq!(a.len(), 1, "one alarm per device and kind");
    assert_eq!((a[0].level, a[0].severity), (2, domain::gas::Severity::Critical));
    let cases = gas_cases(&app).await;
    assert_eq!(cases.len(), 1, "exactly one case");
    let c = &cases[0];
    assert_eq!(Some(c.id), a[0].case_id);
    assert_eq!((c.priority, c.source), (domain::case::Priority::Urgent, domain::case::Source::Sensor));
    assert_eq!(c.status, domain::case::Status::Dispatched, "auto-dispatched as the gas category is");
    assert!(
        c.description.contains("GD-001")
            && c.description.contains("62.0%LEL")
            && c.description.contains("临江花园3幢2单元501"),
        "{}",
        c.description
    );
    // Back to normal: the alarm clears, the case stays for the people on site to close.
    broker.publish(&[tuya("GD-001", "normal", 5)]).await;
    until("cleared", || async { alarms(&app, "GD-001").await[0].state == domain::gas::AlarmState::Cleared }).await;
    assert_eq!(app.store.get_case(c.id).await.unwrap().status, domain::case::Status::Dispatched);
    // Still owed: its acknowledgement. Past 3 minutes unacknowledged, it is escalated.
    assert!(app.store.open_matters_owing_nothing().await.unwrap().is_empty());
    app.advance(chrono::Duration::minutes(4));
    until("escalated", || async { alarms(&app, "GD-001").await[0].events.iter().any(|e| e.action == "escalate") })
        .await;
    let id = a[0].id;
    let (s, b) = app
        .call(Some("dispatcher"), "POST", &format!("/api/v1/gas/alarms/{id}/acknowledge"), Some(serde_json::json!({})))
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["state"], "cleared");
    assert!(b["acknowledged_by"].is_string());

    // A level 1 that lasts: its case when the clock passes 5 minutes, made by the runner.
    broker.publish(&[nbiot("GD-002", 30.0, 1, "alarm")]).await;
    until("the nbiot alarm", || async { alarms(&app, "GD-002").await.len() == 1 }).await;
    assert_eq!(gas_cases(&app).await.len(), 1);
    app.advance(chrono::Duration::minutes(5) + chrono::Duration::seconds(1));
    until("the lasting level 1's case", || async { alarms(&app, "GD-002").await[0].case_id.is_some() }).await;
    assert_eq!(gas_cases(&app).await.len(), 2);
    assert!(app.store.open_matters_owing_nothing().await.unwrap().is_empty());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leak_is_one_dispatched_case_sqlite() {
    a_leak_is_one_dispatched_case(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leak_is_one_dispatched_case_postgres() {
    a_leak_is_one_dispatched_case(true).await;
}

/// The same level-2 message handled ten times at once (redelivered while the first is still
/// being written): one alarm, one case.
async fn concurrent_deliveries_make_one_case(postgres: bool) {
    let broker = Broker::start();
    let app = start(postgres, &broker).await;
    let (_, payload) = nbiot("GD-002", 70.0, 2, "alarm");
    let runs: Vec<_> = (0..10)
        .map(|_| {
            let state = app.state.app.clone();
            let payload = payload.clone();
            tokio::spawn(async move { app::gas::ingest(&state, "nbiot", "GD-002", &payload).await.unwrap() })
        })
        .collect();
    for r in runs {
        assert!(matches!(r.await.unwrap(), app::gas::Outcome::Recorded(_)));
    }
    let a = alarms(&app, "GD-002").await;
    assert_eq!((a.len(), a[0].readings), (1, 10));
    assert!(a[0].case_id.is_some());
    assert_eq!(gas_cases(&app).await.len(), 1);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_deliveries_make_one_case_sqlite() {
    concurrent_deliveries_make_one_case(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_deliveries_make_one_case_postgres() {
    concurrent_deliveries_make_one_case(true).await;
}

/// Unreadable and unknown messages are counted with their reason and never stop the ingest;
/// a detector silent past three heartbeats goes offline when the clock passes them, is a
/// repair task for its owner, and is back with its next message.
async fn bad_messages_and_silence(postgres: bool) {
    let broker = Broker::start();
    let app = start(postgres, &broker).await;
    connected(&app).await;
    broker
        .publish(&[
            ("civicgrid/devices/tuya/GD-003/up".into(), b"{not json".to_vec()),
            ("civicgrid/devices/nbiot/GD-002/up".into(), br#"{"imei":"GD-002","level":7}"#.to_vec()),
            tuya("GD-999", "alarm", 900),
            ("civicgrid/devices/acme/GD-003/up".into(), b"{}".to_vec()),
            tuya("GD-003", "normal", 3),
        ])
        .await;
    until("the good message after the bad ones", || async {
        app.store.gas_device("GD-003").await.unwrap().last_seen_at.is_some()
    })
    .await;
    let d3 = app.store.gas_device("GD-003").await.unwrap();
    assert_eq!(d3.bad_payloads, 2, "not JSON, and an unknown vendor");
    assert!(d3.last_bad_reason.as_deref().unwrap().contains("vendor"), "{:?}", d3.last_bad_reason);
    let d2 = app.store.gas_device("GD-002").await.unwrap();
    assert_eq!(d2.bad_payloads, 1);
    assert!(d2.last_bad_reason.as_deref().unwrap().contains("level"));
    let unknown = app.store.gas_unknown(10).await.unwrap();
    assert_eq!((unknown.len(), unknown[0].1.as_str()), (1, "GD-999"));
    assert!(alarms(&app, "GD-999").await.is_empty() && gas_cases(&app).await.is_empty());
    // The device page shows it.
    let (s, b) = app.call(Some("dispatcher"), "GET", "/api/v1/gas/devices/GD-003", None).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["bad_payloads"], 2);

    // Silent for 15 minutes (3 × 300 s) is still online; a second more is offline.
    app.advance(chrono::Duration::seconds(900));
    // The watchdog looks now (as the runner does each round): nothing yet.
    app::gas::watchdog(&app.state).await.unwrap();
    let none = alarms(&app, "GD-003").await;
    assert!(none.is_empty(), "{none:?}");
    app.advance(chrono::Duration::seconds(2));
    until("offline", || async {
        alarms(&app, "GD-003").await.iter().any(|a| a.kind == domain::gas::AlarmKind::Offline)
    })
    .await;
    // Another look finds the alarm already raised and raises no second one.
    app::gas::watchdog(&app.state).await.unwrap();
    let off = alarms(&app, "GD-003").await;
    assert_eq!(off.len(), 1, "raised once: {off:?}");
    let duties = app.store.obligations(domain::obligation::MatterKind::GasAlarm, off[0].id).await.unwrap();
    let resolve = duties.iter().find(|o| o.name == "resolve").unwrap();
    assert_eq!(resolve.due_at - off[0].started_at, chrono::Duration::days(3));
    assert!(app.store.outbox_to_phone("13800000003", 10).await.unwrap().iter().any(|m| m.body.contains("设备离线")));
    // It reports again: the offline alarm clears.
    broker.publish(&[tuya("GD-003", "normal", 2)]).await;
    until("back online", || async { alarms(&app, "GD-003").await[0].state == domain::gas::AlarmState::Cleared }).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_messages_and_silence_sqlite() {
    bad_messages_and_silence(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_messages_and_silence_postgres() {
    bad_messages_and_silence(true).await;
}

/// Messages sent while civicgrid is away wait in its session at the broker, through a
/// broker restart; a broker restart while civicgrid runs is reconnected to.
async fn nothing_lost_over_restarts(postgres: bool) {
    let mut broker = Broker::start();
    let client_id = format!("cg-restart-{}", rand::random::<u32>());
    let url = if postgres { store::testing::fresh_postgres_url().await } else { store::testing::fresh_sqlite_url() };
    let mut app = App::start_clocked(&url, &Default::default(), whole_second()).await;
    app::gas::import(&app.store, &app.state.area, CSV, "test", app.now()).await.unwrap();
    app.add_mqtt(broker.config(&client_id));
    connected(&app).await;
    let url = app.halt().await;
    // civicgrid is away: a leak is reported, then the broker restarts.
    broker.publish(&[tuya("GD-001", "alarm", 650)]).await;
    broker.restart();
    let mut app = App::start_clocked(&url, &Default::default(), whole_second()).await;
    app.add_mqtt(broker.config(&client_id));
    until("the leak sent while away", || async {
        alarms(&app, "GD-001").await.first().is_some_and(|a| a.case_id.is_some())
    })
    .await;
    // The broker restarts under a running civicgrid: it reconnects and goes on.
    broker.restart();
    broker.publish(&[nbiot("GD-002", 60.0, 2, "alarm")]).await;
    until("the leak after the restart", || async {
        alarms(&app, "GD-002").await.first().is_some_and(|a| a.case_id.is_some())
    })
    .await;
    assert_eq!(gas_cases(&app).await.len(), 2);
    assert!(app.state.mqtt.reconnects.load(std::sync::atomic::Ordering::Relaxed) >= 1);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_lost_over_restarts_sqlite() {
    nothing_lost_over_restarts(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_lost_over_restarts_postgres() {
    nothing_lost_over_restarts(true).await;
}

/// Over TLS: civicgrid checks the broker's certificate against the CA it is given and carries a
/// leak through; given no CA (the system's roots), it refuses the broker's certificate and
/// never connects.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leak_over_tls() {
    let broker = Broker::start_tls();
    let url = store::testing::fresh_sqlite_url();
    let mut app = App::start_clocked(&url, &Default::default(), whole_second()).await;
    app::gas::import(&app.store, &app.state.area, CSV, "test", app.now()).await.unwrap();
    let mut untrusted = server::config::MqttConfig::new(&format!("mqtts://localhost:{}", broker.tls_port.unwrap()));
    untrusted.client_id = format!("cg-untrusted-{}", rand::random::<u32>());
    let mut trusted = untrusted.clone();
    trusted.client_id = format!("cg-tls-{}", rand::random::<u32>());
    trusted.ca_file = Some(broker.dir().join("ca.crt"));
    app.add_mqtt(trusted);
    connected(&app).await;
    broker.publish(&[tuya("GD-001", "alarm", 700)]).await;
    until("the leak over TLS", || async { alarms(&app, "GD-001").await.first().is_some_and(|a| a.case_id.is_some()) })
        .await;
    let url = app.halt().await;

    let mut app = App::start_clocked(&url, &Default::default(), whole_second()).await;
    app.add_mqtt(untrusted);
    // Two attempts refused (the handshake fails; the ingest backs off and tries again).
    let stats = app.state.mqtt.clone();
    until("two refused attempts", || {
        let s = stats.clone();
        async move { s.reconnects.load(std::sync::atomic::Ordering::Relaxed) >= 2 }
    })
    .await;
    assert!(
        !app.state.mqtt.connected.load(std::sync::atomic::Ordering::Relaxed),
        "connected to a broker whose certificate nobody vouched for"
    );
    assert!(app.state.mqtt.reconnects.load(std::sync::atomic::Ordering::Relaxed) >= 1);
    app.stop().await;
}
