//! Several nodes on one PostgreSQL database: any node serves any request, screens see
//! changes made through other nodes, each deadline fires exactly once, and a killed node's
//! work is taken over.

use super::*;
use serde_json::Value;

fn short_deadlines() -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("civicgrid-nodes-{}.toml", std::process::id()));
    std::fs::write(
        &path,
        "[deadlines.default]\naccept = \"1s\"\ndispatch = \"2s\"\non_site = \"3s\"\nfirst_feedback = \"1h\"\nclose = \"24h\"\n",
    )
    .unwrap();
    path
}

async fn create(http: &reqwest::Client, base: &str, token: &str) -> i64 {
    let body = serde_json::json!({
        "category": "SJ1004", "description": "楼上漏水引发邻里争执",
        "location": {"lat": 30.2662, "lng": 120.5700}, "source": "hotline",
    });
    let r = http.post(format!("{base}/api/v1/cases")).bearer_auth(token).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 201);
    r.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

/// The cases once each has at least `n` escalations (the promises run on the real clock in
/// other processes, so this polls, bounded), then a moment more for any second firing to
/// show.
async fn until_escalated(store: &store::Store, ids: &[i64], n: usize) -> Vec<domain::case::Case> {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let mut cases = vec![];
        for id in ids {
            cases.push(store.get_case(*id).await.unwrap());
        }
        if cases.iter().all(|c| escalations(c).len() >= n) {
            // Both runners look at least every 250 ms: a duplicate would be written by now.
            tokio::time::sleep(Duration::from_millis(600)).await;
            let mut again = vec![];
            for id in ids {
                again.push(store.get_case(*id).await.unwrap());
            }
            return again;
        }
        assert!(std::time::Instant::now() < deadline, "escalations did not fire within 20 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn escalations(c: &domain::case::Case) -> Vec<domain::deadline::Promise> {
    c.events.iter().filter(|e| e.action == domain::case::ActionKind::Escalate).map(|e| e.promise.unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_share_the_work_exactly_once() {
    let db = store::testing::fresh_postgres_url().await;
    let config = short_deadlines();
    let flags = ["--config", config.to_str().unwrap()];
    let a = Server::start_with(&db, true, &flags);
    let b = Server::start_with(&db, true, &flags);
    let http = reqwest::Client::new();
    let token_a = login(&http, &a.base, "dispatcher").await;
    let token_b = login(&http, &b.base, "dispatcher").await;

    // A screen on node B sees a case created through node A.
    let mut screen = http.get(format!("{}/api/v1/stream", b.base)).bearer_auth(&token_b).send().await.unwrap();
    let first = create(&http, &a.base, &token_a).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(3);
    let mut text = String::new();
    while !text.contains(&format!("\"id\":{first}")) {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match tokio::time::timeout(left, screen.chunk()).await {
            Ok(Ok(Some(c))) => text.push_str(&String::from_utf8_lossy(&c)),
            _ => panic!("node B's stream did not show the case made on node A: {text}"),
        }
    }
    drop(screen);
    // Any node serves any request: node B reads and acts on node A's case.
    let r = http.get(format!("{}/api/v1/cases/{first}", b.base)).bearer_auth(&token_b).send().await.unwrap();
    assert_eq!(r.status(), 200);

    // Both runners race for the same deadlines; each fires once.
    let mut ids = vec![first];
    for i in 0..10 {
        let (base, token) = if i % 2 == 0 { (&a.base, &token_a) } else { (&b.base, &token_b) };
        ids.push(create(&http, base, token).await);
    }
    let store = store::Store::open(&db).await.unwrap();
    use domain::deadline::Promise::*;
    let fired = until_escalated(&store, &ids, 3).await;
    for (id, c) in ids.iter().zip(fired) {
        assert_eq!(escalations(&c), vec![Accept, Dispatch, OnSite], "case {id}: {:?}", c.events);
    }

    // Node A dies with deadlines still ahead; node B fires them.
    let late: Vec<i64> = {
        let mut v = vec![];
        for _ in 0..3 {
            v.push(create(&http, &a.base, &token_a).await);
        }
        v
    };
    a.kill();
    for (id, c) in late.iter().zip(until_escalated(&store, &late, 3).await) {
        assert_eq!(escalations(&c).len(), 3, "case {id} was left behind by the dead node");
    }
    assert!(matches!(store.verify_audit().await.unwrap(), store::AuditReport::Intact { .. }));
    store.close().await;
    b.kill();
    let _ = std::fs::remove_file(config);
    store::testing::discard(&db).await;
}
