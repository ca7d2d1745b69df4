//! The five promises as live timers: escalation, restart, notifications, streams.

use super::*;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

async fn create(app: &App) -> Value {
    let (s, c) = app.call(Some("dispatcher"), "POST", "/api/v1/cases", Some(case_body())).await;
    assert_eq!(s, 201, "{c}");
    c
}

/// Waits until the case's events satisfy `pred`, or fails after `within`.
async fn wait_for(app: &App, id: i64, within: Duration, pred: impl Fn(&[Value]) -> bool) -> Value {
    let token = app.token("dispatcher").await;
    let start = Instant::now();
    loop {
        let c: Value = app
            .http
            .get(app.url(&format!("/api/v1/cases/{id}")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if pred(c["events"].as_array().unwrap()) {
            return c;
        }
        assert!(start.elapsed() < within, "condition not met within {within:?}: {}", c["events"]);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn t(v: &Value) -> chrono::DateTime<chrono::FixedOffset> {
    chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap()
}

fn escalations(events: &[Value]) -> Vec<(String, i64)> {
    events
        .iter()
        .filter(|e| e["action"] == "escalate")
        .map(|e| (e["promise"].as_str().unwrap().to_owned(), e["level"].as_i64().unwrap()))
        .collect()
}

/// The street's own promise (1, 3, 10 minutes), on a clock the test moves: each warning and
/// escalation fires at its instant, once, and reaches the holders of its level.
async fn promises_escalate_on_the_clock(postgres: bool) {
    let url = if postgres { store::testing::fresh_postgres_url().await } else { store::testing::fresh_sqlite_url() };
    let t0 = chrono::DateTime::parse_from_rfc3339("2026-11-27T09:30:00+08:00").unwrap().with_timezone(&chrono::Utc);
    let app = App::start_clocked(&url, &Default::default(), t0).await;
    let c = create(&app).await;
    let id = c["id"].as_i64().unwrap();
    assert_eq!(t(&c["deadlines"]["accept"]), t0 + chrono::Duration::minutes(1));
    // At 80 % of the minute the amber warning, and nothing more.
    app.advance(chrono::Duration::seconds(48));
    let c = wait_for(&app, id, Duration::from_secs(5), |ev| ev.iter().any(|e| e["action"] == "warn")).await;
    assert!(escalations(c["events"].as_array().unwrap()).is_empty());
    // Each missed promise escalates a level at the very instant it falls due.
    for (to, promise, level) in [(60, "accept", 1), (180, "dispatch", 2), (600, "on_site", 3)] {
        app.advance(t0 + chrono::Duration::seconds(to) - app.now());
        let c = wait_for(&app, id, Duration::from_secs(5), |ev| escalations(ev).len() >= level as usize).await;
        let ev = c["events"].as_array().unwrap();
        let e = ev.iter().rfind(|e| e["action"] == "escalate").unwrap();
        assert_eq!((e["promise"].as_str(), e["level"].as_i64()), (Some(promise), Some(level)));
        assert_eq!(t(&e["at"]), t(&e["due_at"]), "{promise} fired off its instant");
        assert_eq!(t(&e["due_at"]), t(&c["deadlines"][promise]));
    }
    // Fifty minutes on, the first-feedback promise falls due too; by then every earlier alert
    // has fired exactly once.
    app.advance(chrono::Duration::minutes(50));
    let c = wait_for(&app, id, Duration::from_secs(5), |ev| escalations(ev).len() >= 4).await;
    let ev = c["events"].as_array().unwrap();
    let promises: Vec<String> = escalations(ev).into_iter().map(|(p, _)| p).collect();
    assert_eq!(promises, ["accept", "dispatch", "on_site", "first_feedback"]);
    // The clock jumped past the other warnings' instants straight to their deadlines: a
    // promise already missed gets its escalation, not a warning as well.
    assert_eq!(ev.iter().filter(|e| e["action"] == "warn").count(), 1, "{ev:?}");
    // Overdue once past the instant.
    app.advance(chrono::Duration::seconds(1));
    let (_, c) = app.call(Some("dispatcher"), "GET", &format!("/api/v1/cases/{id}"), None).await;
    assert_eq!(c["overdue"], json!(["accept", "dispatch", "on_site", "first_feedback"]));
    // Level 1 went to the head of the case's station (S1), level 2 to the centre.
    let start = Instant::now();
    loop {
        let (_, notes) = app.call(Some("station1"), "GET", "/api/v1/notifications", None).await;
        let notes = notes.as_array().unwrap().clone();
        if notes.iter().any(|n| n["status"] == "sent") {
            assert_eq!(notes.len(), 1, "{notes:?}");
            assert!(notes[0]["subject"].as_str().unwrap().contains("督办"));
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(5), "escalation notice not sent: {notes:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (_, notes) = app.call(Some("dispatcher"), "GET", "/api/v1/notifications", None).await;
    assert_eq!(notes.as_array().unwrap().len(), 1);
    let (_, notes) = app.call(Some("station5"), "GET", "/api/v1/notifications", None).await;
    assert_eq!(notes, json!([]), "another station's head was told");
    assert!(matches!(app.store.verify_audit().await.unwrap(), store::AuditReport::Intact { .. }));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promises_escalate_on_the_clock_sqlite() {
    promises_escalate_on_the_clock(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promises_escalate_on_the_clock_postgres() {
    promises_escalate_on_the_clock(true).await;
}

/// An alert that fell due while the server was down fires when it is back.
async fn fires_after_restart(postgres: bool) {
    let url = if postgres { store::testing::fresh_postgres_url().await } else { store::testing::fresh_sqlite_url() };
    let t0 = chrono::DateTime::parse_from_rfc3339("2026-11-27T09:30:00+08:00").unwrap().with_timezone(&chrono::Utc);
    let app = App::start_clocked(&url, &Default::default(), t0).await;
    let id = create(&app).await["id"].as_i64().unwrap();
    let url = app.halt().await;
    // Down for two minutes: the accept deadline passes meanwhile.
    let app = App::start_clocked(&url, &Default::default(), t0 + chrono::Duration::minutes(2)).await;
    let c = wait_for(&app, id, Duration::from_secs(5), |ev| !escalations(ev).is_empty()).await;
    let ev = c["events"].as_array().unwrap();
    assert_eq!(escalations(ev), vec![("accept".to_owned(), 1)]);
    let e = ev.iter().find(|e| e["action"] == "escalate").unwrap();
    assert_eq!(t(&e["at"]), t0 + chrono::Duration::minutes(2), "recorded when the server was back");
    assert_eq!(t(&e["due_at"]), t0 + chrono::Duration::minutes(1));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fires_after_restart_sqlite() {
    fires_after_restart(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fires_after_restart_postgres() {
    fires_after_restart(true).await;
}

/// Reads SSE events (id, event, data) from a response until `n` arrived or `within` passed.
async fn read_events(resp: &mut reqwest::Response, n: usize, within: Duration) -> Vec<(i64, String, Value)> {
    let mut out = vec![];
    let mut buf = String::new();
    let deadline = Instant::now() + within;
    while out.len() < n {
        let left = deadline.saturating_duration_since(Instant::now());
        let chunk = match tokio::time::timeout(left, resp.chunk()).await {
            Ok(Ok(Some(c))) => c,
            _ => break,
        };
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let block: String = buf.drain(..end + 2).collect();
            let (mut id, mut ev, mut data) = (None, String::new(), String::new());
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("id:") {
                    id = v.trim().parse().ok();
                } else if let Some(v) = line.strip_prefix("event:") {
                    ev = v.trim().into();
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push_str(v.trim());
                }
            }
            // Position pings come without an id (0 here); keep-alive comments have no event.
            if id.is_some() || !ev.is_empty() {
                out.push((id.unwrap_or(0), ev, serde_json::from_str(&data).unwrap_or(Value::Null)));
            }
        }
    }
    out
}

both_backends! {
    streams_resume_without_gaps_and_respect_scope(app) {
        let token = app.token("dispatcher").await;
        let mut live = app.http.get(app.url("/api/v1/stream")).bearer_auth(&token).send().await.unwrap();
        assert_eq!(live.status(), 200);
        assert!(live.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
        let grid01 = app.token("station5").await;
        let mut other = app.http.get(app.url("/api/v1/stream")).bearer_auth(&grid01).send().await.unwrap();
        let first = create(app).await["id"].as_i64().unwrap();
        let got = read_events(&mut live, 1, Duration::from_secs(3)).await;
        assert_eq!(got.len(), 1, "a new case reached the stream");
        assert_eq!((got[0].1.as_str(), got[0].2["id"].as_i64()), ("case", Some(first)));
        let resume_from = got[0].0;
        drop(live);
        // Missed while disconnected: two creations and an action.
        let second = create(app).await["id"].as_i64().unwrap();
        let third = create(app).await["id"].as_i64().unwrap();
        app.call(Some("dispatcher"), "POST", &format!("/api/v1/cases/{second}/actions"), Some(json!({"action": "accept"}))).await;
        let mut again = app.http.get(app.url("/api/v1/stream")).bearer_auth(&token).header("Last-Event-ID", resume_from.to_string()).send().await.unwrap();
        let got = read_events(&mut again, 3, Duration::from_secs(3)).await;
        let seen: Vec<(i64, &str)> = got.iter().map(|e| (e.2["id"].as_i64().unwrap(), e.2["status"].as_str().unwrap())).collect();
        assert_eq!(seen, vec![(second, "new"), (third, "new"), (second, "accepted")]);
        assert!(got.windows(2).all(|w| w[0].0 < w[1].0));
        // The enclave's station saw none of these cases from the main area.
        let theirs = read_events(&mut other, 1, Duration::from_millis(700)).await;
        assert!(theirs.is_empty(), "{theirs:?}");
        // Responder changes reach the centre.
        app.call(Some("dispatcher"), "POST", "/api/v1/responders/1/status", Some(json!({"status": "busy"}))).await;
        let got = read_events(&mut again, 1, Duration::from_secs(3)).await;
        assert_eq!((got[0].1.as_str(), &got[0].2["status"]), ("responder", &json!("busy")));
        // Position pings reach the stream too, without an id, and stay out of the change log
        // and the audit chain.
        let audit = app.store.count(store::Table::AuditLog).await.unwrap();
        let logged = app.store.last_change_seq().await.unwrap();
        let (s, _) = app.call(Some("dispatcher"), "POST", "/api/v1/responders/1/position", Some(json!({"lat": 30.2701, "lng": 120.5801}))).await;
        assert_eq!(s, 204);
        let got = read_events(&mut again, 1, Duration::from_secs(3)).await;
        assert_eq!((got[0].0, got[0].1.as_str(), got[0].2["id"].as_i64(), got[0].2["lat"].as_f64()), (0, "responder", Some(1), Some(30.2701)));
        assert_eq!(app.store.count(store::Table::AuditLog).await.unwrap(), audit);
        assert_eq!(app.store.last_change_seq().await.unwrap(), logged);
        let (_, roster) = app.call(Some("dispatcher"), "GET", "/api/v1/responders", None).await;
        assert_eq!(roster.as_array().unwrap().iter().find(|r| r["id"] == 1).unwrap()["location"]["lat"], json!(30.2701));
        let (s, b) = app.call(Some("dispatcher"), "GET", "/api/v1/stream?last_event_id=abc", None).await;
        assert_eq!((s, b["error"]["code"].as_str()), (400, Some("bad_request")));
    }

    extension_moves_a_deadline_with_a_reason(app) {
        let id = create(app).await["id"].as_i64().unwrap();
        let (s, c) = app.call(Some("leader"), "POST", &format!("/api/v1/cases/{id}/actions"), Some(json!({"action": "extend", "promise": "close", "by": "48h", "reason": "需协调施工单位"}))).await;
        assert_eq!(s, 200, "{c}");
        let e = c["events"].as_array().unwrap().last().unwrap().clone();
        assert_eq!((e["action"].as_str(), e["promise"].as_str()), (Some("extend"), Some("close")));
        assert_eq!(t(&c["deadlines"]["close"]) - t(&c["created_at"]), chrono::Duration::hours(72));
        let (s, b) = app.call(Some("leader"), "POST", &format!("/api/v1/cases/{id}/actions"), Some(json!({"action": "extend", "promise": "close", "by": "48h"}))).await;
        assert_eq!((s, b["error"]["code"].as_str()), (422, Some("invalid_input")));
        let (s, _) = app.call(Some("grid01"), "POST", &format!("/api/v1/cases/{id}/actions"), Some(json!({"action": "extend", "promise": "close", "by": "1h", "reason": "x"}))).await;
        assert_eq!(s, 403);
        let (s, _) = app.call(Some("dispatcher"), "POST", &format!("/api/v1/cases/{id}/actions"), Some(json!({"action": "escalate"}))).await;
        assert_eq!(s, 403);
    }

    residents_are_told_of_progress(app) {
        let mut body = case_body();
        body["source"] = json!("resident_app");
        // A resident reports under their own account, without naming a reporter.
        body.as_object_mut().unwrap().remove("reporter");
        let (s, c) = app.call(Some("resident"), "POST", "/api/v1/cases", Some(body)).await;
        assert_eq!(s, 201, "{c}");
        let id = c["id"].as_i64().unwrap();
        app.call(Some("dispatcher"), "POST", &format!("/api/v1/cases/{id}/actions"), Some(json!({"action": "accept"}))).await;
        let start = Instant::now();
        loop {
            let (_, notes) = app.call(Some("resident"), "GET", "/api/v1/notifications", None).await;
            let notes = notes.as_array().unwrap().clone();
            if notes.iter().any(|n| n["status"] == "sent") {
                assert_eq!(notes.len(), 1);
                assert_eq!(notes[0]["body"], "您的报告已受理。");
                assert_eq!(notes[0]["case_id"], id);
                break;
            }
            assert!(start.elapsed() < Duration::from_secs(5), "{notes:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Fails the first `failures` sends, then succeeds.
struct Flaky {
    failures: std::sync::atomic::AtomicUsize,
}

impl server::notify::Sender for Flaky {
    fn send<'a>(&'a self, _: &'a store::live::OutboxRow) -> futures_util::future::BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let left = self.failures.load(std::sync::atomic::Ordering::SeqCst);
            if left > 0 {
                self.failures.store(left - 1, std::sync::atomic::Ordering::SeqCst);
                Err("SMS gateway timeout".into())
            } else {
                Ok(())
            }
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outbox_retries_with_backoff_then_delivers() {
    let url = store::testing::fresh_sqlite_url();
    let s = Store::open(&url).await.unwrap();
    let at = chrono::Utc::now();
    let category = domain::codes::CategoryCode::parse("SJ1002").unwrap();
    let new = domain::case::NewCase {
        category: category.clone(),
        priority: domain::case::Priority::High,
        source: domain::case::Source::Hotline,
        location: domain::geo::LatLng::new(30.27, 120.57).unwrap(),
        grid: domain::codes::GridCode::parse("330114004001001").unwrap(),
        description: "x".into(),
        address: None,
        reporter_id: None,
        reported_by: None,
    };
    let msg = store::writer::OutboxMessage {
        dedupe_key: "escalate:accept:1".into(),
        channel: "sms".into(),
        recipient_user: None,
        recipient_phone: Some("13800138000".into()),
        subject: "督办".into(),
        body: "超时".into(),
    };
    let case = s
        .create_case(store::writer::CreateCase {
            new,
            reporter: None,
            deadlines: domain::deadline::DeadlinePolicy::default().deadlines(
                &category,
                domain::case::Priority::High,
                at,
            ),
            actor: server::workflow::system_actor(),
            at,
            extras: store::writer::Extras { outbox: vec![msg], ..Default::default() },
            idempotency_key: None,
        })
        .await
        .unwrap();
    let flaky: std::sync::Arc<dyn server::notify::Sender> = std::sync::Arc::new(Flaky { failures: 2.into() });
    let senders: server::notify::Senders = [("sms".to_owned(), flaky)].into_iter().collect();
    // First try fails; nothing is due again until its backoff has passed.
    assert_eq!(server::notify::round(&s, &senders, at).await.unwrap(), 1);
    assert_eq!(server::notify::round(&s, &senders, at + chrono::Duration::seconds(9)).await.unwrap(), 0);
    // Second try (after 10 s) fails again; the third (20 s later) delivers.
    assert_eq!(server::notify::round(&s, &senders, at + chrono::Duration::seconds(11)).await.unwrap(), 1);
    assert_eq!(server::notify::round(&s, &senders, at + chrono::Duration::seconds(25)).await.unwrap(), 0);
    assert_eq!(server::notify::round(&s, &senders, at + chrono::Duration::seconds(32)).await.unwrap(), 1);
    let rows = s.outbox_for_case(case.id).await.unwrap();
    assert_eq!((rows[0].status.as_str(), rows[0].attempts), ("sent", 3));
    assert_eq!(rows[0].last_error.as_deref(), Some("SMS gateway timeout"));
    // Nothing is sent twice.
    assert_eq!(server::notify::round(&s, &senders, at + chrono::Duration::hours(1)).await.unwrap(), 0);
    s.close().await;
    store::testing::discard(&url).await;
}
