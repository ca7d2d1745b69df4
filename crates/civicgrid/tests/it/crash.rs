//! Nothing acknowledged is lost: SIGKILL the server during a burst of case creations, then
//! find every case that was answered 201.

use super::*;
use std::sync::{Arc, Mutex};

/// Concurrent clients in the burst.
const CLIENTS: usize = 16;

async fn killed_during_a_burst_loses_nothing(db: &str) {
    let server = Server::start(db, true);
    let base = server.base.clone();
    let http = reqwest::Client::new();
    let token = login(&http, &base, "dispatcher").await;
    let acknowledged = Arc::new(Mutex::new(Vec::<i64>::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut tasks = vec![];
    for c in 0..CLIENTS {
        let (http, base, token, acknowledged, stop) =
            (http.clone(), base.clone(), token.clone(), acknowledged.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let mut i = 0;
            // Bounded: stops at the kill, or after 2,000 requests per client at most.
            while !stop.load(std::sync::atomic::Ordering::Relaxed) && i < 2000 {
                i += 1;
                let body = serde_json::json!({
                    "category": "SJ1003", "description": format!("crash test {c}-{i}"),
                    "location": {"lat": 30.2662, "lng": 120.5700}, "source": "hotline",
                });
                let r = http.post(format!("{base}/api/v1/cases")).bearer_auth(&token).json(&body).send().await;
                match r {
                    Ok(r) if r.status() == 201 => {
                        let v: serde_json::Value = match r.json().await {
                            Ok(v) => v,
                            Err(_) => break,
                        };
                        acknowledged.lock().unwrap().push(v["id"].as_i64().unwrap());
                    }
                    _ => break,
                }
            }
        }));
    }
    // Killed in the middle of the load: once a good number of reports are acknowledged, with
    // more in flight.
    let started = std::time::Instant::now();
    while acknowledged.lock().unwrap().len() < 100 {
        assert!(started.elapsed() < Duration::from_secs(30), "the server acknowledged too few reports");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.kill();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for t in tasks {
        t.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() > 20, "too few cases before the kill to prove anything: {}", acknowledged.len());
    // Restart and look for every acknowledged case through the API.
    let server = Server::start(db, true);
    let token = login(&http, &server.base, "dispatcher").await;
    for id in &acknowledged {
        let r = http.get(format!("{}/api/v1/cases/{id}", server.base)).bearer_auth(&token).send().await.unwrap();
        assert_eq!(r.status(), 200, "case {id} was acknowledged but is gone");
    }
    server.kill();
    let store = store::Store::open(db).await.unwrap();
    assert!(matches!(store.verify_audit().await.unwrap(), store::AuditReport::Intact { .. }));
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_loses_no_acknowledged_case_sqlite() {
    let db = store::testing::fresh_sqlite_url();
    killed_during_a_burst_loses_nothing(&db).await;
    store::testing::discard(&db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_loses_no_acknowledged_case_postgres() {
    let db = store::testing::fresh_postgres_url().await;
    killed_during_a_burst_loses_nothing(&db).await;
    store::testing::discard(&db).await;
}
