//! What a hostile client can do to the server itself: guess passwords, hold connections
//! open, text strangers. These tests wait on the network stack's real timers, kept short
//! (a fraction of a second) and bounded.

use super::*;
use serde_json::json;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Reads until the server closes the connection or `within` passes; true if it closed.
async fn closed_within(tcp: &mut tokio::net::TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 1024];
    tokio::time::timeout(within, async {
        loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_half_sent_connections_are_closed() {
    let limits = server::http::HttpLimits {
        connections_max: 64,
        header_read_timeout: Duration::from_millis(300),
        body_read_timeout: Duration::from_millis(500),
    };
    let app = App::start_limited(&store::testing::fresh_sqlite_url(), &Default::default(), limits).await;
    // Connected, nothing sent.
    let mut idle = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    assert!(closed_within(&mut idle, Duration::from_secs(5)).await, "an idle connection stayed open");
    // Half a request head.
    let mut half = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    half.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    assert!(closed_within(&mut half, Duration::from_secs(5)).await, "a half-sent head stayed open");
    // A body that stops coming gets an answer and the connection ends.
    let mut slow = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    slow.write_all(b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"user").await.unwrap();
    let mut answer = vec![];
    let _ = tokio::time::timeout(Duration::from_secs(5), slow.read_to_end(&mut answer))
        .await
        .expect("a stalled body was waited for");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 4"), "{answer}");
    // A kept-alive connection that goes quiet after a request is closed too.
    let mut kept = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    kept.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    assert!(closed_within(&mut kept, Duration::from_secs(5)).await, "a quiet kept-alive connection stayed open");
    // Ordinary requests are served as before.
    let (s, _) = app.call(None, "GET", "/health", None).await;
    assert_eq!(s, 200);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_cap_wait_for_a_free_one() {
    let limits = server::http::HttpLimits {
        connections_max: 3,
        header_read_timeout: Duration::from_secs(30),
        body_read_timeout: Duration::from_secs(30),
    };
    let app = App::start_limited(&store::testing::fresh_sqlite_url(), &Default::default(), limits).await;
    // Three kept-alive connections, each answered once: the server holds all three now.
    let mut held = vec![];
    for _ in 0..3 {
        let mut tcp = tokio::net::TcpStream::connect(app.addr).await.unwrap();
        tcp.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
        let mut answer = Vec::new();
        let mut buf = [0u8; 1024];
        while !String::from_utf8_lossy(&answer).contains("\"ok\"}") {
            let n = tokio::time::timeout(Duration::from_secs(5), tcp.read(&mut buf)).await.unwrap().unwrap();
            assert!(n > 0, "closed before answering");
            answer.extend_from_slice(&buf[..n]);
        }
        held.push(tcp);
    }
    // A fourth is not served while they stay.
    let client = reqwest::Client::builder().timeout(Duration::from_millis(700)).build().unwrap();
    assert!(client.get(app.url("/health")).send().await.is_err(), "a fourth connection was served past the cap");
    held.pop();
    let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
    assert_eq!(client.get(app.url("/health")).send().await.unwrap().status(), 200);
    drop(held);
    app.stop().await;
}

both_backends! {
    guessing_a_password_locks_the_account_and_not_others(app) {
        let wrong = json!({"username": "dispatcher", "password": "wrong-password"});
        for i in 0..=server::throttle::FREE_FAILURES_PER_ACCOUNT {
            let (s, _) = app.call(None, "POST", "/api/v1/auth/login", Some(wrong.clone())).await;
            assert_eq!(s, 401, "failure {}", i + 1);
        }
        // Locked: the right password is refused too, with when to come back.
        let r = app.http.post(app.url("/api/v1/auth/login")).json(&json!({"username": "dispatcher", "password": PASSWORD})).send().await.unwrap();
        assert_eq!(r.status(), 429);
        assert!(r.headers().get("retry-after").is_some());
        // Case does not matter to the lock.
        let (s, _) = app.call(None, "POST", "/api/v1/auth/login", Some(json!({"username": "DISPATCHER", "password": PASSWORD}))).await;
        assert_eq!(s, 429);
        // Another account from the same address still signs in.
        let (s, _) = app.call(None, "POST", "/api/v1/auth/login", Some(json!({"username": "leader", "password": PASSWORD}))).await;
        assert_eq!(s, 200);
        // A resident has no password: no password signs them in.
        let (_, r) = app.call(None, "POST", "/api/v1/auth/otp/request", Some(json!({"phone": "13800009999"}))).await;
        let code = r["demo_code"].as_str().unwrap().to_owned();
        let (_, r) = app.call(None, "POST", "/api/v1/auth/otp/verify", Some(json!({"phone": "13800009999", "code": code}))).await;
        let username = r["user"]["username"].as_str().unwrap().to_owned();
        for password in ["!", "", "linjiang2024"] {
            let (s, _) = app.call(None, "POST", "/api/v1/auth/login", Some(json!({"username": username, "password": password}))).await;
            assert_eq!(s, 401, "{password:?}");
        }
    }

    sign_in_codes_are_never_stored_and_each_guess_counts(app) {
        let (s, r) = app.call(None, "POST", "/api/v1/auth/otp/request", Some(json!({"phone": "13800001234"}))).await;
        assert_eq!(s, 200, "{r}");
        let code = r["demo_code"].as_str().unwrap().to_owned();
        // Neither the outbox nor a backup holds the code.
        let mut backup = vec![];
        app.store.backup(&mut backup).await.unwrap();
        let backup = String::from_utf8(backup).unwrap();
        assert!(backup.contains("验证码为******"), "the message was not recorded");
        assert!(!backup.contains(&format!("验证码为{code}")), "the code is in the backup");
        // Forty guesses at once: exactly five are counted, the rest refused unread.
        let wrong = if code == "000000" { "000001" } else { "000000" };
        let mut tasks = vec![];
        for _ in 0..40 {
            let http = app.http.clone();
            let url = app.url("/api/v1/auth/otp/verify");
            tasks.push(tokio::spawn(async move {
                http.post(url).json(&json!({"phone": "13800001234", "code": wrong})).send().await.unwrap().status().as_u16()
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap(), 401);
        }
        assert_eq!(store::testing::otp_attempts(&app.store, "13800001234").await, 5);
        let (s, _) = app.call(None, "POST", "/api/v1/auth/otp/verify", Some(json!({"phone": "13800001234", "code": code}))).await;
        assert_eq!(s, 401, "the code survived five wrong guesses");
        // One address cannot have the street text many numbers.
        let mut statuses = vec![];
        for i in 0..server::api::residents::OTP_PER_ADDRESS_PER_HOUR {
            let phone = format!("1390000{:04}", i);
            statuses.push(app.call(None, "POST", "/api/v1/auth/otp/request", Some(json!({"phone": phone}))).await.0);
        }
        assert_eq!(statuses.iter().filter(|s| **s == 200).count() as u32, server::api::residents::OTP_PER_ADDRESS_PER_HOUR - 1);
        assert_eq!(*statuses.last().unwrap(), 429);
    }
}

both_backends! {
    answers_carry_security_headers_and_positions_are_scoped(app) {
        let r = app.http.get(app.url("/login")).send().await.unwrap();
        let h = r.headers();
        assert!(h["content-security-policy"].to_str().unwrap().contains("script-src 'self';"));
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["referrer-policy"], "no-referrer");
        assert_eq!(h["x-frame-options"], "DENY");
        let r = app.http.get(app.url("/api/v1/cases")).bearer_auth(app.token("dispatcher").await).send().await.unwrap();
        assert_eq!(r.headers()["cache-control"], "no-store");
        // Positions: the centre sees everyone; a station its own people; a grid worker the
        // station covering the grid; residents nobody.
        let roster = app.store.responders().await.unwrap();
        let stations = |list: &serde_json::Value| -> std::collections::BTreeSet<String> {
            list.as_array().unwrap().iter().map(|r| {
                let id = r["id"].as_i64().unwrap();
                roster.iter().find(|x| x.id == id).unwrap().station.clone()
            }).collect()
        };
        let (_, all) = app.call(Some("dispatcher"), "GET", "/api/v1/responders", None).await;
        assert_eq!(all.as_array().unwrap().len(), roster.len());
        let (_, s5) = app.call(Some("station5"), "GET", "/api/v1/responders", None).await;
        assert_eq!(stations(&s5), ["S5".to_owned()].into());
        assert!(!s5.as_array().unwrap().is_empty());
        let (_, p) = app.call(Some("patrol01"), "GET", "/api/v1/responders", None).await;
        assert_eq!(stations(&p), ["S1".to_owned()].into());
        let (_, g) = app.call(Some("grid01"), "GET", "/api/v1/responders", None).await;
        assert_eq!(stations(&g), ["S1".to_owned()].into());
        let (s, _) = app.call(Some("resident"), "GET", "/api/v1/responders", None).await;
        assert_eq!(s, 403);
    }
}

both_backends! {
    accounts_are_managed_by_administrators_and_every_change_is_audited(app) {
        let (s, _) = app.call(Some("dispatcher"), "GET", "/api/v1/users", None).await;
        assert_eq!(s, 403);
        let (s, list) = app.call(Some("admin"), "GET", "/api/v1/users", None).await;
        assert_eq!(s, 200);
        let id_of = |name: &str| list.as_array().unwrap().iter().find(|u| u["username"] == name).unwrap()["id"].as_i64().unwrap();
        assert!(list.as_array().unwrap().iter().all(|u| u["role"] != "resident"));
        let (dispatcher, admin) = (id_of("dispatcher"), id_of("admin"));
        let admin_token = app.token("admin").await;
        let as_admin = |method: &'static str, path: String, body: Option<serde_json::Value>| {
            let mut r = app.http.request(method.parse().unwrap(), app.url(&path)).bearer_auth(&admin_token);
            if let Some(b) = body {
                r = r.json(&b);
            }
            r.send()
        };
        // Signed out everywhere: a token in use stops at once.
        let token = app.token("dispatcher").await;
        let me = |t: String| app.http.get(app.url("/api/v1/me")).bearer_auth(t).send();
        assert_eq!(me(token.clone()).await.unwrap().status(), 200);
        assert_eq!(as_admin("POST", format!("/api/v1/users/{dispatcher}/revoke"), None).await.unwrap().status(), 204);
        assert_eq!(me(token).await.unwrap().status(), 401);
        // Disabled and enabled; an administrator cannot lock themselves out.
        assert_eq!(as_admin("POST", format!("/api/v1/users/{dispatcher}/disable"), None).await.unwrap().status(), 204);
        let login = |password: &'static str| app.http.post(app.url("/api/v1/auth/login")).json(&json!({"username": "dispatcher", "password": password})).send();
        assert_eq!(login(PASSWORD).await.unwrap().status(), 401);
        assert_eq!(as_admin("POST", format!("/api/v1/users/{admin}/disable"), None).await.unwrap().status(), 409);
        assert_eq!(as_admin("POST", format!("/api/v1/users/{dispatcher}/enable"), None).await.unwrap().status(), 204);
        assert_eq!(login(PASSWORD).await.unwrap().status(), 200);
        // A new password must be hard to guess.
        let r = as_admin("POST", format!("/api/v1/users/{dispatcher}/password"), Some(json!({"password": "12345678"}))).await.unwrap();
        assert_eq!(r.status(), 422);
        assert_eq!(r.json::<serde_json::Value>().await.unwrap()["error"]["code"], "weak_password");
        let r = as_admin("POST", format!("/api/v1/users/{dispatcher}/password"), Some(json!({"password": "harbour-violet-spoon-71"}))).await.unwrap();
        assert_eq!(r.status(), 204);
        assert_eq!(login(PASSWORD).await.unwrap().status(), 401);
        assert_eq!(login("harbour-violet-spoon-71").await.unwrap().status(), 200);
        assert_eq!(as_admin("POST", "/api/v1/users/999999/disable".into(), None).await.unwrap().status(), 404);
        // Everyone changes their own password, knowing the current one.
        let grid = app.token("grid01").await;
        let change = |body: serde_json::Value| app.http.post(app.url("/api/v1/auth/password")).bearer_auth(&grid).json(&body).send();
        let r = change(json!({"current": "not-it", "new": "lantern-harbour-cedar-5"})).await.unwrap();
        assert_eq!(r.status(), 403);
        let r = change(json!({"current": PASSWORD, "new": "qwertyuiop"})).await.unwrap();
        assert_eq!(r.status(), 422);
        let r = change(json!({"current": PASSWORD, "new": "lantern-harbour-cedar-5"})).await.unwrap();
        assert_eq!(r.status(), 200);
        let fresh = r.json::<serde_json::Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
        assert_eq!(me(grid.clone()).await.unwrap().status(), 401, "the old session survived a password change");
        assert_eq!(me(fresh).await.unwrap().status(), 200);
        // Residents manage no accounts, and one who signs in by code has no password to change.
        let (s, _) = app.call(Some("resident"), "GET", "/api/v1/users", None).await;
        assert_eq!(s, 403);
        let (_, r) = app.call(None, "POST", "/api/v1/auth/otp/request", Some(json!({"phone": "13800004321"}))).await;
        let code = r["demo_code"].as_str().unwrap().to_owned();
        let (_, r) = app.call(None, "POST", "/api/v1/auth/otp/verify", Some(json!({"phone": "13800004321", "code": code}))).await;
        let (s, _) = app.call_with_token(r["token"].as_str(), "POST", "/api/v1/auth/password", Some(json!({"current": "", "new": "lantern-harbour-cedar-5"}))).await;
        assert_eq!(s, 403);
        // Each change is in the audit log, with who did it.
        let actions: Vec<String> = app.store.audit_for("user", &dispatcher.to_string(), 20).await.unwrap().into_iter().map(|r| r.entry.action).collect();
        for a in ["user.revoke_sessions", "user.disable", "user.enable", "user.password"] {
            assert!(actions.iter().any(|x| x == a), "{a} missing from {actions:?}");
        }
        assert!(app.store.audit_for("user", &dispatcher.to_string(), 1).await.unwrap()[0].entry.actor.ends_with(":admin"));
    }
}

both_backends! {
    a_writer_that_cannot_commit_is_reported_and_recovers(app) {
        let (s, _) = app.call(None, "GET", "/health", None).await;
        assert_eq!(s, 200);
        store::testing::fail_commits(&app.store).await;
        let (s, b) = app.call(Some("dispatcher"), "POST", "/api/v1/cases", Some(case_body())).await;
        assert_eq!(s, 500, "{b}");
        assert_eq!(b["error"]["message"], "internal error; it has been logged", "database text leaked: {b}");
        let (s, _) = app.call(None, "GET", "/health", None).await;
        assert_eq!(s, 503);
        store::testing::let_commits_pass(&app.store).await;
        // Space is back: no restart needed.
        let (s, b) = app.call(Some("dispatcher"), "POST", "/api/v1/cases", Some(case_body())).await;
        assert_eq!(s, 201, "{b}");
        let (s, _) = app.call(None, "GET", "/health", None).await;
        assert_eq!(s, 200);
    }
}

both_backends! {
    retries_with_one_idempotency_key_make_one_case(app) {
        let before = app.store.count(store::Table::Cases).await.unwrap();
        let token = app.token("dispatcher").await;
        let mut tasks = vec![];
        for _ in 0..10 {
            let req = app.http.post(app.url("/api/v1/cases")).bearer_auth(&token).header("Idempotency-Key", "3f2b8c1e-retry").json(&case_body());
            tasks.push(tokio::spawn(async move {
                let r = req.send().await.unwrap();
                (r.status().as_u16(), r.json::<serde_json::Value>().await.unwrap()["id"].as_i64())
            }));
        }
        let mut ids = vec![];
        for t in tasks {
            let (status, id) = t.await.unwrap();
            assert_eq!(status, 201);
            ids.push(id.unwrap());
        }
        ids.dedup();
        assert_eq!(ids.len(), 1, "{ids:?}");
        assert_eq!(app.store.count(store::Table::Cases).await.unwrap(), before + 1);
        // Another account's key of the same text is another key.
        let r = app.http.post(app.url("/api/v1/cases")).bearer_auth(app.token("station1").await).header("Idempotency-Key", "3f2b8c1e-retry").json(&case_body()).send().await.unwrap();
        assert_eq!(r.status(), 201);
        assert_ne!(r.json::<serde_json::Value>().await.unwrap()["id"].as_i64(), Some(ids[0]));
        for bad in ["", "键", &"x".repeat(101)] {
            let r = app.http.post(app.url("/api/v1/cases")).bearer_auth(&token).header("Idempotency-Key", bad).json(&case_body()).send().await;
            // Non-ASCII header values may be refused by the client itself.
            if let Ok(r) = r {
                assert_eq!(r.status(), 400, "{bad:?}");
            }
        }
        assert_eq!(app.store.count(store::Table::Cases).await.unwrap(), before + 2);
        // Open311: the same token from the same device files once.
        app.store.create_api_key("12345热线", &server::auth::secret_hash("k-idem"), "all", "test", chrono::Utc::now()).await.unwrap();
        let form = [("api_key", "k-idem"), ("service_code", "BJ0201"), ("lat", "30.2662"), ("long", "120.5700"), ("device_id", "hotline-7"), ("idempotency_key", "t-42")];
        let mut seen = vec![];
        for _ in 0..3 {
            let r = app.http.post(app.url("/open311/v2/requests.json")).form(&form).send().await.unwrap();
            assert_eq!(r.status(), 201);
            seen.push(r.json::<serde_json::Value>().await.unwrap()[0]["service_request_id"].clone());
        }
        seen.dedup();
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert_eq!(app.store.count(store::Table::Cases).await.unwrap(), before + 3);
    }
}
