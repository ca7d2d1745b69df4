use super::*;
use serde_json::{json, Value};
use store::Table;

async fn create(app: &App, user: &str, body: Value) -> Value {
    let (status, case) = app.call(Some(user), "POST", "/api/v1/cases", Some(body)).await;
    assert_eq!(status, 201, "{case}");
    case
}

async fn act(app: &App, user: &str, id: i64, body: Value) -> (u16, Value) {
    app.call(Some(user), "POST", &format!("/api/v1/cases/{id}/actions"), Some(body)).await
}

fn assert_error(status: u16, body: &Value, expect_status: u16, code: &str) {
    assert_eq!(status, expect_status, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
}

both_backends! {
    health_and_sign_in(app) {
        let (s, b) = app.call(None, "GET", "/health", None).await;
        assert_eq!((s, b), (200, json!({"status": "ok"})));
        let (s, b) = app.call(None, "GET", "/api/v1/cases", None).await;
        assert_error(s, &b, 401, "unauthorized");
        let (s, b) = app.call(None, "POST", "/api/v1/auth/login", Some(json!({"username": "dispatcher", "password": "nope-nope"}))).await;
        assert_error(s, &b, 401, "invalid_credentials");
        let (s, b) = app.call(None, "POST", "/api/v1/auth/login", Some(json!({"username": "ghost", "password": "nope-nope"}))).await;
        assert_error(s, &b, 401, "invalid_credentials");
        // A revoked token no longer works.
        let token = app.token("dispatcher").await;
        let me = app.http.get(app.url("/api/v1/me")).bearer_auth(&token).send().await.unwrap();
        assert_eq!(me.status(), 200);
        assert_eq!(me.json::<Value>().await.unwrap()["role"], "dispatcher");
        let out = app.http.post(app.url("/api/v1/auth/logout")).bearer_auth(&token).send().await.unwrap();
        assert_eq!(out.status(), 204);
        let me = app.http.get(app.url("/api/v1/me")).bearer_auth(&token).send().await.unwrap();
        assert_eq!(me.status(), 401);
        let bogus = app.http.get(app.url("/api/v1/me")).bearer_auth("forged").send().await.unwrap();
        assert_eq!(bogus.status(), 401);
    }

    case_is_created_with_its_promise_deadlines(app) {
        let case = create(app, "dispatcher", case_body()).await;
        assert_eq!(case["status"], "new");
        assert_eq!(case["grid"], "330114004001001");
        let grid = &app.state.grids[&domain::codes::GridCode::parse("330114004001001").unwrap()];
        assert_eq!((case["grid_name"].as_str(), case["grid_name_en"].as_str()), (Some(grid.name_zh.as_str()), Some(grid.name_en.as_str())));
        assert_eq!(case["priority"], "high");
        assert_eq!(case["source"], "hotline");
        assert_eq!(case["overdue"], json!([]));
        let created = chrono::DateTime::parse_from_rfc3339(case["created_at"].as_str().unwrap()).unwrap();
        for (k, minutes) in [("accept", 1), ("dispatch", 3), ("on_site", 10), ("first_feedback", 60), ("close", 1440)] {
            let d = chrono::DateTime::parse_from_rfc3339(case["deadlines"][k].as_str().unwrap()).unwrap();
            assert_eq!(d - created, chrono::Duration::minutes(minutes), "{k}");
        }
        assert!(case["created_at"].as_str().unwrap().ends_with("+08:00"));
        assert_eq!(case["reporter"], json!({"name": "王**", "phone": "138****8000"}));
        assert_eq!(case["events"][0]["action"], "create");
        assert_eq!(case["events"][0]["actor"]["username"], "dispatcher");
        let id = case["id"].as_i64().unwrap();
        let (s, got) = app.call(Some("dispatcher"), "GET", &format!("/api/v1/cases/{id}"), None).await;
        assert_eq!(s, 200);
        assert_eq!(got["deadlines"], case["deadlines"]);
        // Staff read the step with the person's name.
        let name = app.store.user_by_name("dispatcher").await.unwrap().display_name;
        assert_eq!(got["events"][0]["actor"]["name"], json!(name));
        let (s, b) = app.call(Some("dispatcher"), "GET", "/api/v1/cases/999999", None).await;
        assert_error(s, &b, 404, "not_found");
        let (s, b) = app.call(Some("dispatcher"), "GET", "/api/v1/cases/abc", None).await;
        assert_error(s, &b, 404, "not_found");
    }

    bad_input_is_refused_and_changes_nothing(app) {
        create(app, "dispatcher", case_body()).await;
        let before = (app.store.count(Table::Cases).await.unwrap(), app.store.count(Table::AuditLog).await.unwrap());
        let token = app.token("dispatcher").await;
        let with = |f: &dyn Fn(&mut Value)| { let mut b = case_body(); f(&mut b); b };
        let cases: Vec<(Value, u16, &str)> = vec![
            (with(&|b| b["category"] = json!("SJ9999")), 422, "unknown_category"),
            (with(&|b| b["category"] = json!("not a code")), 422, "unknown_category"),
            (with(&|b| b["location"] = json!({"lat": 31.23, "lng": 121.47})), 422, "outside_area"),
            (with(&|b| b["location"] = json!({"lat": 95.0, "lng": 120.6})), 422, "invalid_input"),
            (with(&|b| b["location"] = json!({"lat": "north", "lng": 120.6})), 422, "invalid_input"),
            (with(&|b| b["location"] = json!(null)), 422, "invalid_input"),
            (with(&|b| b["description"] = json!(42)), 422, "invalid_input"),
            (with(&|b| b["description"] = json!("   ")), 422, "invalid_input"),
            (with(&|b| b["description"] = json!("长".repeat(4001))), 422, "invalid_input"),
            (with(&|b| b["source"] = json!("carrier_pigeon")), 422, "invalid_input"),
            (with(&|b| b["priority"] = json!("asap")), 422, "invalid_input"),
            (with(&|b| b["reporter"]["phone"] = json!("12345")), 422, "invalid_input"),
            (with(&|b| b["reporter"]["name"] = json!("名".repeat(51))), 422, "invalid_input"),
            (with(&|b| b["address"] = json!("路".repeat(201))), 422, "invalid_input"),
            (with(&|b| b["surprise"] = json!(true)), 422, "invalid_input"),
            (with(&|b| { b.as_object_mut().unwrap().remove("category"); }), 422, "invalid_input"),
        ];
        for (body, status, code) in cases {
            let r = app.http.post(app.url("/api/v1/cases")).bearer_auth(&token).json(&body).send().await.unwrap();
            let s = r.status().as_u16();
            assert_error(s, &r.json().await.unwrap(), status, code);
        }
        // Malformed JSON, no content type, and a body over the limit.
        let raw = |body: Vec<u8>, ct: Option<&str>| {
            let mut r = app.http.post(app.url("/api/v1/cases")).bearer_auth(&token).body(body);
            if let Some(ct) = ct { r = r.header("content-type", ct); }
            r
        };
        for (req, status, code) in [
            (raw(b"{\"category\": ".to_vec(), Some("application/json")), 400, "invalid_json"),
            (raw(b"{\"category\": \"SJ1002\",}".to_vec(), Some("application/json")), 400, "invalid_json"),
            (raw(case_body().to_string().into_bytes(), None), 415, "unsupported_media_type"),
            (raw(vec![b' '; 70 * 1024], Some("application/json")), 413, "payload_too_large"),
        ] {
            let r = req.send().await.unwrap();
            let s = r.status().as_u16();
            assert_error(s, &r.json().await.unwrap(), status, code);
        }
        let after = (app.store.count(Table::Cases).await.unwrap(), app.store.count(Table::AuditLog).await.unwrap());
        assert_eq!(before, after, "a refused request wrote something");
        // Bad queries too.
        for q in ["?limit=0", "?limit=201", "?status=lost", "?since=yesterday", "?cursor=xyz", "?grid=12", "?colour=red"] {
            let (s, b) = app.call(Some("dispatcher"), "GET", &format!("/api/v1/cases{q}"), None).await;
            assert_error(s, &b, 400, "invalid_query");
        }
    }

    the_whole_lifecycle_through_the_api(app) {
        let case = create(app, "dispatcher", case_body()).await;
        let id = case["id"].as_i64().unwrap();
        let (s, b) = act(app, "dispatcher", id, json!({"action": "close", "note": "x"})).await;
        assert_error(s, &b, 409, "invalid_transition");
        let (s, c) = act(app, "dispatcher", id, json!({"action": "accept"})).await;
        assert_eq!((s, c["status"].as_str()), (200, Some("accepted")));
        let (s, recs) = app.call(Some("dispatcher"), "GET", &format!("/api/v1/cases/{id}/recommendations"), None).await;
        assert_eq!(s, 200);
        let recs = recs.as_array().unwrap().clone();
        assert!(!recs.is_empty());
        crate::assert_policy_order(&recs);
        // A wage dispute needs a patrol member and a mediator: both forces are offered.
        let forces: std::collections::BTreeSet<&str> = recs.iter().map(|r| r["force"].as_str().unwrap()).collect();
        assert_eq!(forces, ["mediator", "patrol_member"].into_iter().collect());
        let patrol = recs.iter().find(|r| r["force"] == "patrol_member").unwrap()["responder_id"].as_i64().unwrap();
        let mediator = recs.iter().find(|r| r["force"] == "mediator").unwrap()["responder_id"].as_i64().unwrap();
        let (s, b) = act(app, "dispatcher", id, json!({"action": "dispatch", "responders": [99999]})).await;
        assert_error(s, &b, 422, "unknown_responder");
        let (s, b) = act(app, "dispatcher", id, json!({"action": "dispatch"})).await;
        assert_error(s, &b, 422, "invalid_input");
        let (s, c) = act(app, "dispatcher", id, json!({"action": "dispatch", "responders": [patrol, mediator]})).await;
        assert_eq!((s, c["status"].as_str()), (200, Some("dispatched")), "{c}");
        assert_eq!(c["assignments"].as_array().unwrap().len(), 2);
        let (s, _) = act(app, "dispatcher", id, json!({"action": "contact_party", "note": "电话联系王师傅"})).await;
        assert_eq!(s, 200);
        let (s, c) = act(app, "dispatcher", id, json!({"action": "arrive", "responder": patrol})).await;
        assert_eq!((s, c["status"].as_str()), (200, Some("on_site")));
        let (s, b) = act(app, "dispatcher", id, json!({"action": "feedback"})).await;
        assert_error(s, &b, 422, "invalid_input");
        let (s, c) = act(app, "dispatcher", id, json!({"action": "feedback", "note": "四方调解中"})).await;
        assert_eq!((s, c["status"].as_str()), (200, Some("in_progress")));
        let (s, c) = act(app, "dispatcher", id, json!({"action": "close", "note": "工资当天支付到位"})).await;
        assert_eq!((s, c["status"].as_str()), (200, Some("closed")));
        assert_eq!(c["overdue"], json!([]));
        let (s, c) = act(app, "dispatcher", id, json!({"action": "rate", "satisfaction": "satisfied"})).await;
        assert_eq!((s, c["status"].as_str()), (200, Some("rated")));
        let actions: Vec<&str> = c["events"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["create", "accept", "dispatch", "contact_party", "arrive", "feedback", "close", "rate"]);
        assert_eq!(app.store.verify_audit().await.unwrap(), store::AuditReport::Intact { records: app.store.count(Table::AuditLog).await.unwrap() });
        let (s, b) = act(app, "dispatcher", id, json!({"action": "fly"})).await;
        assert_error(s, &b, 422, "invalid_input");
    }

    roles_and_scopes_are_enforced(app) {
        let case = create(app, "dispatcher", case_body()).await;
        let id = case["id"].as_i64().unwrap();
        // A resident may neither accept nor see someone else's case.
        let (s, b) = act(app, "resident", id, json!({"action": "accept"})).await;
        assert_error(s, &b, 403, "forbidden");
        let (s, b) = app.call(Some("resident"), "GET", &format!("/api/v1/cases/{id}"), None).await;
        assert_error(s, &b, 404, "not_found");
        // A resident reports through the app only, and sees their own reports.
        let mut mine = case_body();
        mine["source"] = json!("police_110");
        let (s, b) = app.call(Some("resident"), "POST", "/api/v1/cases", Some(mine.clone())).await;
        assert_error(s, &b, 403, "forbidden");
        mine["source"] = json!("resident_app");
        // Under their own number, at the category's priority.
        let (s, b) = app.call(Some("resident"), "POST", "/api/v1/cases", Some(mine.clone())).await;
        assert_error(s, &b, 403, "forbidden");
        mine.as_object_mut().unwrap().remove("reporter");
        mine["priority"] = json!("urgent");
        let (s, b) = app.call(Some("resident"), "POST", "/api/v1/cases", Some(mine.clone())).await;
        assert_error(s, &b, 403, "forbidden");
        mine.as_object_mut().unwrap().remove("priority");
        let own = create(app, "resident", mine).await;
        assert!(own["reporter"].is_null(), "residents do not see reporter data");
        let (s, list) = app.call(Some("resident"), "GET", "/api/v1/cases", None).await;
        assert_eq!(s, 200);
        let ids: Vec<i64> = list["cases"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
        assert_eq!(ids, vec![own["id"].as_i64().unwrap()]);
        let (_, list) = app.call(Some("resident2"), "GET", "/api/v1/cases", None).await;
        assert_eq!(list["cases"], json!([]));
        // The grid worker of grid 001001 sees it; the enclave's station does not.
        let (s, _) = app.call(Some("grid01"), "GET", &format!("/api/v1/cases/{id}"), None).await;
        assert_eq!(s, 200);
        let (s, _) = app.call(Some("station5"), "GET", &format!("/api/v1/cases/{id}"), None).await;
        assert_eq!(s, 404);
        let (_, list) = app.call(Some("station5"), "GET", "/api/v1/cases", None).await;
        assert_eq!(list["cases"], json!([]));
        // A patrol member not sent to the case may not act on it.
        app.call(Some("dispatcher"), "POST", &format!("/api/v1/cases/{id}/actions"), Some(json!({"action": "accept"}))).await;
        let (s, b) = act(app, "patrol01", id, json!({"action": "contact_party"})).await;
        assert_error(s, &b, 403, "forbidden");
        // Statistics are for leaders and the centre.
        let (s, _) = app.call(Some("leader"), "GET", "/api/v1/stats/summary", None).await;
        assert_eq!(s, 200);
        let (s, b) = app.call(Some("resident"), "GET", "/api/v1/stats/summary", None).await;
        assert_error(s, &b, 403, "forbidden");
        let (s, b) = act(app, "leader", id, json!({"action": "void", "reason": "x"})).await;
        assert_error(s, &b, 403, "forbidden");
    }

    the_sent_patrol_member_works_the_case(app) {
        let case = create(app, "dispatcher", case_body()).await;
        let id = case["id"].as_i64().unwrap();
        let (_, responders) = app.call(Some("dispatcher"), "GET", "/api/v1/responders", None).await;
        let me = app.store.user_by_name("patrol01").await.unwrap().id;
        let mine = app.store.responders().await.unwrap().into_iter().find(|r| r.user_id == Some(me)).unwrap().id;
        assert!(responders.as_array().unwrap().iter().any(|r| r["id"] == mine));
        act(app, "dispatcher", id, json!({"action": "accept"})).await;
        let (s, _) = act(app, "dispatcher", id, json!({"action": "dispatch", "responders": [mine]})).await;
        assert_eq!(s, 200);
        let (s, c) = act(app, "patrol01", id, json!({"action": "arrive", "responder": mine})).await;
        assert_eq!((s, c["status"].as_str()), (200, Some("on_site")), "{c}");
        let (_, list) = app.call(Some("patrol01"), "GET", &format!("/api/v1/cases?responder={mine}"), None).await;
        assert_eq!(list["cases"][0]["id"], id);
        // Position pings: own ones accepted, impossible ones refused.
        let (s, _) = app.call(Some("patrol01"), "POST", &format!("/api/v1/responders/{mine}/position"), Some(json!({"lat": 30.27, "lng": 120.57}))).await;
        assert_eq!(s, 204);
        let (s, b) = app.call(Some("patrol01"), "POST", &format!("/api/v1/responders/{mine}/position"), Some(json!({"lat": 130.0, "lng": 120.57}))).await;
        assert_error(s, &b, 422, "invalid_input");
        let (s, b) = app.call(Some("patrol01"), "POST", &format!("/api/v1/responders/{mine}/position"), Some(json!({"lat": 30.27, "lng": 120.57, "at": "2030-01-01T00:00:00+08:00"}))).await;
        assert_error(s, &b, 422, "invalid_input");
        let (s, b) = app.call(Some("patrol01"), "POST", &format!("/api/v1/responders/{}/position", mine + 1), Some(json!({"lat": 30.27, "lng": 120.57}))).await;
        assert_error(s, &b, 403, "forbidden");
        let (s, b) = app.call(Some("patrol01"), "POST", &format!("/api/v1/responders/{mine}/status"), Some(json!({"status": "asleep"}))).await;
        assert_error(s, &b, 422, "invalid_input");
        let (s, _) = app.call(Some("patrol01"), "POST", &format!("/api/v1/responders/{mine}/status"), Some(json!({"status": "busy"}))).await;
        assert_eq!(s, 204);
        assert_eq!(app.store.responder(mine).await.unwrap().status, "busy");
    }

    a_patrol_member_sent_beyond_their_station_sees_the_task(app) {
        let me = app.store.user_by_name("patrol01").await.unwrap().id;
        let mine = app.store.responders().await.unwrap().into_iter().find(|r| r.user_id == Some(me)).unwrap().id;
        // Sent to the next station's grid (S2; theirs is S1), they see the task and work it; before
        // they were sent the case was not theirs to see.
        let mut far = case_body();
        far["location"] = json!({"lat": 30.2988, "lng": 120.5781});
        let other = create(app, "dispatcher", far).await;
        assert_eq!(other["grid"], "330114004009002");
        let oid = other["id"].as_i64().unwrap();
        let (s, _) = app.call(Some("patrol01"), "GET", &format!("/api/v1/cases/{oid}"), None).await;
        assert_eq!(s, 404);
        act(app, "dispatcher", oid, json!({"action": "accept"})).await;
        let (s, r) = act(app, "dispatcher", oid, json!({"action": "dispatch", "responders": [mine]})).await;
        assert_eq!(s, 200, "{r}");
        let (s, _) = app.call(Some("patrol01"), "GET", &format!("/api/v1/cases/{oid}"), None).await;
        assert_eq!(s, 200);
        let (_, list) = app.call(Some("patrol01"), "GET", &format!("/api/v1/cases?responder={mine}"), None).await;
        assert!(list["cases"].as_array().unwrap().iter().any(|c| c["id"] == oid), "{list}");
        let (_, all) = app.call(Some("patrol01"), "GET", "/api/v1/cases", None).await;
        assert!(!all["cases"].as_array().unwrap().iter().any(|c| c["id"] == oid), "the station's list stays the station's");
        let (s, c) = act(app, "patrol01", oid, json!({"action": "arrive", "responder": mine})).await;
        assert_eq!((s, c["status"].as_str()), (200, Some("on_site")), "{c}");
    }

    viewing_a_reporter_is_audited(app) {
        let case = create(app, "dispatcher", case_body()).await;
        let id = case["id"].as_i64().unwrap();
        let (s, r) = app.call(Some("dispatcher"), "GET", &format!("/api/v1/cases/{id}/reporter"), None).await;
        assert_eq!((s, r), (200, json!({"name": "王师傅", "phone": "13800138000"})));
        let trail = app.store.audit_for("case", &id.to_string(), 5).await.unwrap();
        assert_eq!(trail[0].entry.action, "reporter.view");
        assert!(trail[0].entry.actor.ends_with(":dispatcher"));
        let (s, _) = app.call(Some("leader"), "GET", &format!("/api/v1/cases/{id}/reporter"), None).await;
        assert_eq!(s, 403);
    }

    lists_page_with_a_cursor(app) {
        for _ in 0..5 {
            create(app, "dispatcher", case_body()).await;
        }
        let mut seen = vec![];
        let mut cursor: Option<String> = None;
        loop {
            let q = match &cursor { Some(c) => format!("?limit=2&cursor={c}"), None => "?limit=2".into() };
            let (s, page) = app.call(Some("dispatcher"), "GET", &format!("/api/v1/cases{q}"), None).await;
            assert_eq!(s, 200);
            seen.extend(page["cases"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()));
            match page["next_cursor"].as_str() { Some(c) => cursor = Some(c.to_owned()), None => break }
        }
        assert_eq!(seen.len(), 5);
        assert!(seen.windows(2).all(|w| w[0] > w[1]));
        let (_, page) = app.call(Some("dispatcher"), "GET", "/api/v1/cases?grid=330114004001001&status=new,accepted&category=SJ1002&source=hotline", None).await;
        assert_eq!(page["cases"].as_array().unwrap().len(), 5);
        let (_, page) = app.call(Some("dispatcher"), "GET", "/api/v1/cases?station=S5", None).await;
        assert_eq!(page["cases"], json!([]));
    }

    reference_data_and_openapi(app) {
        let (s, cats) = app.call(Some("resident"), "GET", "/api/v1/categories", None).await;
        assert_eq!(s, 200);
        let road = cats.as_array().unwrap().iter().find(|c| c["code"] == "BJ0203").unwrap();
        assert_eq!(road["deadlines"]["close"], "3d");
        assert_eq!(road["name"], "道路破损");
        let (_, stations) = app.call(Some("dispatcher"), "GET", "/api/v1/stations", None).await;
        assert_eq!(stations.as_array().unwrap().len(), 6);
        assert!(stations.as_array().unwrap().iter().all(|s| s["lat"].is_f64() && s["lng"].is_f64()));
        let (_, grids) = app.call(Some("dispatcher"), "GET", "/api/v1/grids", None).await;
        assert_eq!(grids["type"], "FeatureCollection");
        assert_eq!(grids["features"].as_array().unwrap().len(), 78);
        assert!(grids["features"][0]["properties"]["code"].is_string() && grids["features"][0]["properties"]["name"].is_string());
        let (s, spec) = app.call(None, "GET", "/openapi.json", None).await;
        assert_eq!(s, 200);
        assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
        for path in [
            "/api/v1/cases",
            "/api/v1/cases/{id}/actions",
            "/api/v1/auth/login",
            "/api/v1/stats/summary",
            "/health",
            "/api/v1/deliberation/topics/{id}/actions",
            "/api/v1/deliberation/resolutions/{id}",
            "/api/v1/public/board",
            "/api/v1/me/volunteer",
            "/api/v1/volunteers/teams/{id}/shifts",
        ] {
            assert!(spec["paths"][path].is_object(), "{path} missing from openapi.json");
        }
        assert!(spec["components"]["schemas"]["CreateCaseRequest"].is_object());
        let (s, b) = app.call(Some("dispatcher"), "GET", "/api/v1/nowhere", None).await;
        assert_error(s, &b, 404, "not_found");
    }

    statistics_count_the_promises(app) {
        let case = create(app, "dispatcher", case_body()).await;
        let id = case["id"].as_i64().unwrap();
        act(app, "dispatcher", id, json!({"action": "accept"})).await;
        create(app, "dispatcher", case_body()).await;
        let (s, sum) = app.call(Some("leader"), "GET", "/api/v1/stats/summary", None).await;
        assert_eq!(s, 200, "{sum}");
        assert_eq!(sum["total"], 2);
        assert_eq!(sum["open"], 2);
        assert_eq!(sum["promises"]["accept"]["kept"], 1);
        assert_eq!(sum["by_source"]["hotline"], 2);
        assert_eq!(sum["year_on_year"]["all_cases"]["current"], 2);
        assert_eq!(sum["year_on_year"]["all_cases"]["change_pct"], Value::Null);
        let (s, b) = app.call(Some("leader"), "GET", "/api/v1/stats/summary?from=2026-02-01T00:00:00%2B08:00&to=2026-01-01T00:00:00%2B08:00", None).await;
        assert_error(s, &b, 400, "invalid_query");
    }
}

both_backends! {
    resident_codes_are_limited_and_single_use(app) {
        let (s, r) = app.call(None, "POST", "/api/v1/auth/otp/request", Some(json!({"phone": "13800005555"}))).await;
        assert_eq!(s, 200, "{r}");
        let code = r["demo_code"].as_str().unwrap().to_owned();
        let (s, b) = app.call(None, "POST", "/api/v1/auth/otp/request", Some(json!({"phone": "13800005555"}))).await;
        assert_error(s, &b, 429, "too_many_requests");
        for bad in ["12345", "057186001234", "abc"] {
            let (s, b) = app.call(None, "POST", "/api/v1/auth/otp/request", Some(json!({"phone": bad}))).await;
            assert_error(s, &b, 422, "invalid_input");
        }
        // A wrong code counts; the right one works once.
        let wrong = if code == "000000" { "000001" } else { "000000" };
        let (s, b) = app.call(None, "POST", "/api/v1/auth/otp/verify", Some(json!({"phone": "13800005555", "code": wrong}))).await;
        assert_error(s, &b, 401, "invalid_code");
        let (s, r) = app.call(None, "POST", "/api/v1/auth/otp/verify", Some(json!({"phone": "13800005555", "code": code}))).await;
        assert_eq!(s, 200, "{r}");
        assert_eq!(r["user"]["role"], "resident");
        let resident_token = r["token"].as_str().unwrap().to_owned();
        let (s, b) = app.call(None, "POST", "/api/v1/auth/otp/verify", Some(json!({"phone": "13800005555", "code": code}))).await;
        assert_error(s, &b, 401, "invalid_code");
        // Five wrong tries kill a code.
        let (_, r) = app.call(None, "POST", "/api/v1/auth/otp/request", Some(json!({"phone": "13900006666"}))).await;
        let code = r["demo_code"].as_str().unwrap().to_owned();
        let wrong = if code == "000000" { "000001" } else { "000000" };
        for _ in 0..5 {
            app.call(None, "POST", "/api/v1/auth/otp/verify", Some(json!({"phone": "13900006666", "code": wrong}))).await;
        }
        let (s, _) = app.call(None, "POST", "/api/v1/auth/otp/verify", Some(json!({"phone": "13900006666", "code": code}))).await;
        assert_eq!(s, 401);
        // A flood of reports from one resident is cut off.
        let token = resident_token;
        let mut body = case_body();
        body["source"] = json!("resident_app");
        body.as_object_mut().unwrap().remove("reporter");
        let mut statuses = vec![];
        for _ in 0..(server::open311::REPORTS_PER_SOURCE_PER_HOUR + 1) {
            let resp = app.http.post(app.url("/api/v1/cases")).bearer_auth(&token).json(&body).send().await.unwrap();
            statuses.push(resp.status().as_u16());
        }
        assert_eq!(statuses.iter().filter(|s| **s == 201).count() as u32, server::open311::REPORTS_PER_SOURCE_PER_HOUR);
        assert_eq!(*statuses.last().unwrap(), 429);
        // Staff accounts cannot be reached through codes: the account made is a resident's.
        let u = app.store.user_by_phone("13800005555", domain::role::Role::Resident).await.unwrap();
        assert_eq!((u.role, u.phone.as_deref()), (domain::role::Role::Resident, Some("13800005555")));
    }
}

both_backends! {
    community_articles_posts_and_activities(app) {
        // Staff publish; residents read; residents cannot publish.
        let (s, _) = app.call(Some("dispatcher"), "POST", "/api/v1/community/articles", Some(json!({"kind": "news", "title": "临江街道开展反诈宣传", "body": "反诈妈妈团走进物流园区"}))).await;
        assert_eq!(s, 201);
        let (s, g) = app.call(Some("dispatcher"), "POST", "/api/v1/community/articles", Some(json!({"kind": "guide", "title": "居住证办理", "body": "新临江人办理居住证", "documents": "身份证、租房合同", "office_hours": "周一至周五 8:30-17:30", "phone": "0571-86001234"}))).await;
        assert_eq!(s, 201);
        let (s, _) = app.call(Some("dispatcher"), "PUT", &format!("/api/v1/community/articles/{}", g["id"]), Some(json!({"kind": "guide", "title": "居住证办理（更新）", "body": "新临江人办理居住证", "documents": "身份证、租房合同、照片"}))).await;
        assert_eq!(s, 204);
        let (_, guides) = app.call(Some("resident"), "GET", "/api/v1/community/articles?kind=guide", None).await;
        assert_eq!(guides[0]["title"], "居住证办理（更新）");
        assert_eq!(guides[0]["documents"], "身份证、租房合同、照片");
        let (s, b) = app.call(Some("resident"), "POST", "/api/v1/community/articles", Some(json!({"kind": "news", "title": "x", "body": "y"}))).await;
        assert_error(s, &b, 403, "forbidden");
        let (s, b) = app.call(Some("dispatcher"), "POST", "/api/v1/community/articles", Some(json!({"kind": "ads", "title": "x", "body": "y"}))).await;
        assert_error(s, &b, 422, "invalid_input");

        // Mutual help: an ask finds the matching offer; three reports hide a post for moderation.
        let (_, ask) = app.call(Some("resident"), "POST", "/api/v1/community/posts", Some(json!({"kind": "ask", "topic": "pickup", "title": "周三需要人帮忙接孩子", "body": ""}))).await;
        let (_, offer) = app.call(Some("resident2"), "POST", "/api/v1/community/posts", Some(json!({"kind": "offer", "topic": "pickup", "title": "下午有空可以帮忙接送", "body": ""}))).await;
        let (_, m) = app.call(Some("resident"), "GET", &format!("/api/v1/community/posts/{}/matches", ask["id"]), None).await;
        assert_eq!(m.as_array().unwrap().iter().map(|p| p["id"].clone()).collect::<Vec<_>>(), vec![offer["id"].clone()]);
        let (s, b) = app.call(Some("resident2"), "POST", &format!("/api/v1/community/posts/{}/done", ask["id"]), None).await;
        assert_error(s, &b, 403, "forbidden");
        let (s, _) = app.call(Some("resident"), "POST", &format!("/api/v1/community/posts/{}/done", ask["id"]), None).await;
        assert_eq!(s, 204);
        let (s, b) = app.call(Some("resident"), "POST", "/api/v1/community/posts", Some(json!({"kind": "ask", "topic": "lottery", "title": "x", "body": ""}))).await;
        assert_error(s, &b, 422, "invalid_input");
        let bad = offer["id"].as_i64().unwrap();
        for (who, expect) in [("resident", "open"), ("resident", "open"), ("grid01", "open"), ("leader", "hidden")] {
            let (_, r) = app.call(Some(who), "POST", &format!("/api/v1/community/posts/{bad}/report"), Some(json!({"reason": "广告"}))).await;
            assert_eq!(r["status"], expect, "{who}");
        }
        let (_, open) = app.call(Some("resident"), "GET", "/api/v1/community/posts", None).await;
        assert!(open.as_array().unwrap().iter().all(|p| p["id"] != json!(bad)), "a hidden post is still listed");
        let (_, queue) = app.call(Some("dispatcher"), "GET", "/api/v1/community/moderation", None).await;
        assert_eq!(queue[0]["id"], json!(bad));
        let (s, _) = app.call(Some("resident"), "GET", "/api/v1/community/moderation", None).await;
        assert_eq!(s, 403);
        let (s, _) = app.call(Some("dispatcher"), "POST", &format!("/api/v1/community/posts/{bad}/moderate"), Some(json!({"decision": "remove"}))).await;
        assert_eq!(s, 204);

        // Activities: capacity, waiting list, moving up, check-in with the door's code.
        let starts = (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339();
        let (s, a) = app.call(Some("dispatcher"), "POST", "/api/v1/community/activities", Some(json!({"title": "临家阿姨茶话会", "body": "", "place": "临江社区文化家园", "starts_at": starts, "capacity": 1}))).await;
        assert_eq!(s, 201);
        let id = a["id"].as_i64().unwrap();
        let (_, r1) = app.call(Some("resident"), "POST", &format!("/api/v1/community/activities/{id}/signup"), None).await;
        assert_eq!(r1["my_status"], "signed");
        let (_, r2) = app.call(Some("resident2"), "POST", &format!("/api/v1/community/activities/{id}/signup"), None).await;
        assert_eq!((r2["my_status"].as_str(), r2["waitlisted"].as_i64()), (Some("waitlisted"), Some(1)));
        let (s, b) = app.call(Some("resident2"), "POST", &format!("/api/v1/community/activities/{id}/checkin"), Some(json!({"code": "wrong"}))).await;
        assert_error(s, &b, 422, "invalid_input");
        let act = app.store.activity(id).await.unwrap();
        let (s, b) = app.call(Some("resident2"), "POST", &format!("/api/v1/community/activities/{id}/checkin"), Some(json!({"code": act.checkin_code}))).await;
        assert_error(s, &b, 409, "not_signed_up");
        app.call(Some("resident"), "POST", &format!("/api/v1/community/activities/{id}/cancel"), None).await;
        let (_, list) = app.call(Some("resident2"), "GET", "/api/v1/community/activities", None).await;
        assert_eq!(list[0]["my_status"], "signed", "the waiting list moved up");
        let (s, c) = app.call(Some("resident2"), "POST", &format!("/api/v1/community/activities/{id}/checkin"), Some(json!({"code": act.checkin_code}))).await;
        assert_eq!((s, c["checked_in"].as_bool()), (200, Some(true)));
        let r = app.http.get(app.url(&format!("/api/v1/community/activities/{id}/qr.svg"))).bearer_auth(app.token("dispatcher").await).send().await.unwrap();
        assert_eq!(r.headers()["content-type"], "image/svg+xml");
        assert!(r.text().await.unwrap().contains("<svg"));
        // Every step is in the audit log, with who took it; a second check-in adds nothing.
        app.call(Some("resident2"), "POST", &format!("/api/v1/community/activities/{id}/checkin"), Some(json!({"code": act.checkin_code}))).await;
        let steps: Vec<(String, String)> = app.store.audit_for("activity", &id.to_string(), 20).await.unwrap().into_iter().rev().map(|r| (r.entry.action, r.entry.actor)).collect();
        let actions: Vec<&str> = steps.iter().map(|(a, _)| a.as_str()).collect();
        assert_eq!(actions, ["activity.create", "activity.signup", "activity.signup", "activity.cancel", "activity.checkin"], "{steps:?}");
        assert!(steps[4].1.ends_with(":resident2"));
        let reports: Vec<String> = app.store.audit_for("post", &bad.to_string(), 20).await.unwrap().into_iter().map(|r| r.entry.action).collect();
        assert_eq!(reports.iter().filter(|a| *a == "post.report").count(), 3, "{reports:?}");
        assert!(matches!(app.store.verify_audit().await.unwrap(), store::AuditReport::Intact { .. }));
    }
}

/// A whole 1×1 PNG (one blue pixel).
const PNG_1X1: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0D, 0x49,
    0x44, 0x41, 0x54, 0x78, 0xDA, 0x63, 0x90, 0xCF, 0xBF, 0xF4, 0x1F, 0x00, 0x04, 0x71, 0x02, 0x60, 0xB3, 0xDA, 0x74,
    0xB2, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

both_backends! {
    photos_are_checked_by_type_and_size(app) {
        let case = create(app, "dispatcher", case_body()).await;
        let id = case["id"].as_i64().unwrap();
        let token = app.token("dispatcher").await;
        let up = |body: Vec<u8>| app.http.post(app.url(&format!("/api/v1/cases/{id}/attachments"))).bearer_auth(&token).body(body).send();
        let r = up(PNG_1X1.to_vec()).await.unwrap();
        assert_eq!(r.status(), 201);
        let a: Value = r.json().await.unwrap();
        assert_eq!(a["content_type"], "image/png");
        let img = app.http.get(app.url(a["url"].as_str().unwrap())).bearer_auth(&token).send().await.unwrap();
        assert_eq!(img.headers()["content-type"], "image/png");
        // Kept as its pixels, encoded anew (no metadata of the original survives).
        let kept = image::load_from_memory(&img.bytes().await.unwrap()).unwrap();
        assert_eq!((kept.width(), kept.height()), (1, 1));
        for (body, status, code) in [
            (b"<script>alert(1)</script>".to_vec(), 415, "unsupported_media_type"),
            ([&[0xFFu8, 0xD8, 0xFF, 0xE0][..], b"<html><script>alert(1)</script></html>"].concat(), 415, "unsupported_media_type"),
            (PNG_1X1[..PNG_1X1.len() - 20].to_vec(), 415, "unsupported_media_type"),
            (vec![], 422, "invalid_input"),
            // One byte over: the server has read all of it when it refuses, so the client is
            // never cut off mid-write (a broken pipe instead of the answer).
            ([&[0xFFu8, 0xD8, 0xFF][..], &vec![0u8; server::api::cases::ATTACHMENT_BYTES_MAX - 2]].concat(), 413, "payload_too_large"),
        ] {
            let r = up(body).await.unwrap();
            let s = r.status().as_u16();
            let b: Value = r.json().await.unwrap_or(Value::Null);
            assert_eq!(s, status, "{b}");
            if status != 413 { assert_error(s, &b, status, code); }
        }
        assert_eq!(app.store.attachments(id).await.unwrap().len(), 1, "a refused photo was stored");
        // Someone outside the case's scope gets nothing.
        let r = app.http.get(app.url(a["url"].as_str().unwrap())).bearer_auth(app.token("station5").await).send().await.unwrap();
        assert_eq!(r.status(), 404);

        // Article pictures.
        let r = app.http.post(app.url("/api/v1/community/images")).bearer_auth(&token).body(PNG_1X1.to_vec()).send().await.unwrap();
        assert_eq!(r.status(), 201);
        let img: Value = r.json().await.unwrap();
        let (s, _) = app.call(Some("dispatcher"), "POST", "/api/v1/community/articles", Some(json!({"kind": "news", "title": "网格议事日", "body": "临距离议事", "image_id": img["id"]}))).await;
        assert_eq!(s, 201);
        let (_, news) = app.call(Some("resident"), "GET", "/api/v1/community/articles?kind=news", None).await;
        assert_eq!(news[0]["image_url"], img["url"]);
        let (s, b) = app.call(Some("dispatcher"), "POST", "/api/v1/community/articles", Some(json!({"kind": "news", "title": "x", "body": "y", "image_id": 424242}))).await;
        assert_error(s, &b, 422, "invalid_input");
        let r = app.http.post(app.url("/api/v1/community/images")).bearer_auth(app.token("resident").await).body(PNG_1X1.to_vec()).send().await.unwrap();
        assert_eq!(r.status(), 403);
    }
}

/// Signs a resident in with a one-time code (shown, as in demo mode); returns the token.
async fn resident_token(app: &App, phone: &str) -> String {
    let (s, r) = app.call(None, "POST", "/api/v1/auth/otp/request", Some(json!({"phone": phone}))).await;
    assert_eq!(s, 200, "{r}");
    let code = r["demo_code"].as_str().unwrap().to_owned();
    let (s, r) = app.call(None, "POST", "/api/v1/auth/otp/verify", Some(json!({"phone": phone, "code": code}))).await;
    assert_eq!(s, 200, "{r}");
    assert!(!r["user"]["username"].as_str().unwrap().contains(&phone[3..]), "a username shows the number: {r}");
    r["token"].as_str().unwrap().to_owned()
}

both_backends! {
    residents_get_a_residents_view_and_follow_only_what_is_near(app) {
        let a = resident_token(app, "13800007777").await;
        let b = resident_token(app, "13900008888").await;
        let here = json!({"lat": 30.2662, "lng": 120.5700});
        let report = json!({"category": "SJ1004", "description": "楼上漏水", "location": here, "source": "resident_app"});
        let (s, c) = app.call_with_token(Some(&a), "POST", "/api/v1/cases", Some(report.clone())).await;
        assert_eq!(s, 201, "{c}");
        let id = c["id"].as_i64().unwrap();
        let worker = app.store.responders().await.unwrap().into_iter().find(|r| r.force == domain::category::Force::GridWorker && r.grid.as_deref() == Some("330114004001001")).unwrap().id;
        for body in [json!({"action": "accept", "note": "内部：此户多次投诉"}), json!({"action": "dispatch", "responders": [worker], "note": "派网格员"})] {
            let (s, r) = act(app, "dispatcher", id, body).await;
            assert_eq!(s, 200, "{r}");
        }
        // Staff see the resident's steps without the resident's number or name.
        let (_, staff) = app.call(Some("dispatcher"), "GET", &format!("/api/v1/cases/{id}"), None).await;
        assert_eq!(staff["events"][0]["actor"]["username"], "");
        assert_eq!(staff["events"][0]["actor"]["role"], "resident");
        assert_eq!(staff["reporter"]["phone"], "138****7777");
        assert!(!staff.to_string().contains("13800007777"));

        // Following: residents only, an open case near where they stand, with that place given.
        let follow = format!("/api/v1/cases/{id}/follow");
        let (s, _) = app.call_with_token(Some(&b), "POST", &follow, None).await;
        assert!(s == 415 || s == 400, "{s}");
        let near = json!({"category": "SJ1004", "lat": 30.2662, "lng": 120.5700});
        let (s, _) = app.call_with_token(Some(&b), "POST", &follow, Some(json!({"category": "SJ1004", "lat": 30.2700, "lng": 120.5800}))).await;
        assert_eq!(s, 404, "a case far away");
        let (s, _) = app.call_with_token(Some(&b), "POST", &follow, Some(json!({"category": "SJ1002", "lat": 30.2662, "lng": 120.5700}))).await;
        assert_eq!(s, 404, "a case of another category");
        let (s, _) = app.call(Some("grid01"), "POST", &follow, Some(near.clone())).await;
        assert_eq!(s, 403);
        let (s, _) = app.call_with_token(Some(&b), "POST", &format!("/api/v1/cases/{}/follow", id + 1000), Some(near.clone())).await;
        assert_eq!(s, 404);
        let (s, r) = app.call_with_token(Some(&b), "POST", &follow, Some(near.clone())).await;
        assert_eq!(s, 204, "{r}");

        // A follower's view: status and plain steps, no notes, nobody named, nobody sent.
        let (s, seen) = app.call_with_token(Some(&b), "GET", &format!("/api/v1/cases/{id}"), None).await;
        assert_eq!(s, 200);
        assert_eq!(seen["status"], "dispatched");
        assert_eq!(seen["assignments"], json!([]));
        assert!(seen["events"].as_array().unwrap().iter().all(|e| e["note"].is_null() && e["actor"]["username"] == "" && e["actor"]["name"].is_null() && e["responders"] == json!([])), "{seen}");
        assert!(!seen.to_string().contains("内部"), "{seen}");
        // The reporter's own view leaves out staff notes too.
        let (_, mine) = app.call_with_token(Some(&a), "GET", &format!("/api/v1/cases/{id}"), None).await;
        assert!(!mine.to_string().contains("内部"), "{mine}");
        assert_eq!(mine["reported_by_me"], true);

        // Photos: the reporter adds to their own report; a follower neither adds nor sees them.
        let upload = |token: String| {
            app.http.post(app.url(&format!("/api/v1/cases/{id}/attachments"))).bearer_auth(token).body(PNG_1X1.to_vec()).send()
        };
        assert_eq!(upload(b.clone()).await.unwrap().status(), 403);
        let r = upload(a.clone()).await.unwrap();
        assert_eq!(r.status(), 201);
        let photo: serde_json::Value = r.json().await.unwrap();
        let (_, list) = app.call_with_token(Some(&b), "GET", &format!("/api/v1/cases/{id}/attachments"), None).await;
        assert_eq!(list, json!([]));
        let (s, _) = app.call_with_token(Some(&b), "GET", photo["url"].as_str().unwrap(), None).await;
        assert_eq!(s, 404);
        let (_, list) = app.call_with_token(Some(&a), "GET", &format!("/api/v1/cases/{id}/attachments"), None).await;
        assert_eq!(list.as_array().unwrap().len(), 1);
        // The staff's photo of the work: the reporter sees it, the follower does not.
        let r = upload(app.token("dispatcher").await).await.unwrap();
        assert_eq!(r.status(), 201);
        let staff_photo: serde_json::Value = r.json().await.unwrap();
        let (_, list) = app.call_with_token(Some(&a), "GET", &format!("/api/v1/cases/{id}/attachments"), None).await;
        assert_eq!(list.as_array().unwrap().len(), 2, "{list}");
        let (s, _) = app.call_with_token(Some(&a), "GET", staff_photo["url"].as_str().unwrap(), None).await;
        assert_eq!(s, 200);
        let (_, list) = app.call_with_token(Some(&b), "GET", &format!("/api/v1/cases/{id}/attachments"), None).await;
        assert_eq!(list, json!([]));
        let (s, _) = app.call_with_token(Some(&b), "GET", staff_photo["url"].as_str().unwrap(), None).await;
        assert_eq!(s, 404);

        // A station officer who once followed a case outside their station hears nothing of it.
        let outsider = app.store.user_by_name("station5").await.unwrap().id;
        app.store.follow(id, outsider, chrono::Utc::now()).await.unwrap();
        let (s, r) = act(app, "dispatcher", id, json!({"action": "arrive", "responder": worker})).await;
        assert_eq!(s, 200, "{r}");
        let (s, r) = act(app, "dispatcher", id, json!({"action": "close", "note": "已协调楼上住户维修水管"})).await;
        assert_eq!(s, 200, "{r}");
        let (_, notes) = app.call(Some("station5"), "GET", "/api/v1/notifications", None).await;
        assert!(notes.as_array().unwrap().iter().all(|n| n["case_id"] != json!(id)), "{notes}");
        // The reporter hears the answer; the follower only the step.
        let (_, notes) = app.call_with_token(Some(&a), "GET", "/api/v1/notifications", None).await;
        assert!(notes.as_array().unwrap().iter().any(|n| n["body"].as_str().unwrap().contains("已协调楼上住户维修水管")), "{notes}");
        let (_, notes) = app.call_with_token(Some(&b), "GET", "/api/v1/notifications", None).await;
        assert!(notes.as_array().unwrap().iter().any(|n| n["case_id"] == json!(id)), "{notes}");
        assert!(!notes.to_string().contains("维修水管") && !notes.to_string().contains("内部"), "{notes}");

        // Only the reporter rates a resident's report.
        let (s, r) = act(app, "dispatcher", id, json!({"action": "rate", "satisfaction": "satisfied"})).await;
        assert_error(s, &r, 403, "forbidden");
        let (s, r) = app.call_with_token(Some(&b), "POST", &format!("/api/v1/cases/{id}/actions"), Some(json!({"action": "rate", "satisfaction": "dissatisfied"}))).await;
        assert_error(s, &r, 403, "forbidden");
        let (s, r) = app.call_with_token(Some(&a), "POST", &format!("/api/v1/cases/{id}/actions"), Some(json!({"action": "rate", "satisfaction": "satisfied"}))).await;
        assert_eq!(s, 200, "{r}");

        // An anonymous report points back at no one.
        let mut anon = report.clone();
        anon["anonymous"] = json!(true);
        let (_, c) = app.call_with_token(Some(&a), "POST", "/api/v1/cases", Some(anon)).await;
        let (_, staff) = app.call(Some("dispatcher"), "GET", &format!("/api/v1/cases/{}", c["id"]), None).await;
        assert_eq!(staff["events"][0]["actor"], json!({"id": 0, "username": "", "role": "resident", "name": null}));
        assert!(staff["reporter"].is_null());
    }

    control_characters_are_refused_on_every_text_field(app) {
        let before = app.store.count(store::Table::Cases).await.unwrap();
        for (field, value) in [("description", "工资\u{0}拖欠"), ("address", "江东\u{1b}[2J大道"), ("description", "x\u{85}y")] {
            let mut body = case_body();
            body[field] = json!(value);
            let (s, b) = app.call(Some("dispatcher"), "POST", "/api/v1/cases", Some(body)).await;
            assert_error(s, &b, 422, "invalid_input");
            assert!(b["error"]["message"].as_str().unwrap().contains(field), "{b}");
        }
        let mut body = case_body();
        body["reporter"]["name"] = json!("王\u{7}师傅");
        let (s, b) = app.call(Some("dispatcher"), "POST", "/api/v1/cases", Some(body)).await;
        assert_error(s, &b, 422, "invalid_input");
        assert!(b["error"]["message"].as_str().unwrap().contains("reporter.name"), "{b}");
        // Sign-in and every other JSON route too (on PostgreSQL NUL once answered 500).
        let (s, b) = app.call(None, "POST", "/api/v1/auth/login", Some(json!({"username": "dis\u{0}patcher", "password": "x"}))).await;
        assert_error(s, &b, 422, "invalid_input");
        let (s, b) = app.call(Some("resident"), "POST", "/api/v1/community/posts", Some(json!({"kind": "ask", "topic": "pickup", "title": "帮忙\u{0}", "body": ""}))).await;
        assert_error(s, &b, 422, "invalid_input");
        let (s, b) = app.call(Some("dispatcher"), "GET", "/api/v1/cases?since=%00", None).await;
        assert_error(s, &b, 400, "invalid_query");
        // Line breaks and tabs are text.
        let mut body = case_body();
        body["description"] = json!("第一行\n第二行\r\n\t第三行");
        let (s, b) = app.call(Some("dispatcher"), "POST", "/api/v1/cases", Some(body)).await;
        assert_eq!(s, 201, "{b}");
        assert_eq!(app.store.count(store::Table::Cases).await.unwrap(), before + 1);
    }
}

both_backends! {
    a_patrol_report_from_outside_ones_station_keeps_its_photos(app) {
        // A grid another station covers.
        let grid = app.store.grids().await.unwrap().into_iter().find(|g| g.station != "S1").unwrap();
        let centre = domain::geo::Polygon::new(grid.ring.clone()).unwrap().centroid();
        let (s, c) = app.call(Some("patrol01"), "POST", "/api/v1/cases", Some(serde_json::json!({
            "category": "BJ0101", "description": "人行道井盖缺失", "source": "grid_patrol",
            "location": {"lat": centre.lat(), "lng": centre.lng()}}))).await;
        assert_eq!(s, 201, "{c}");
        let id = c["id"].as_i64().unwrap();
        // The one who reported it still sees it and adds the photo.
        let (s, _) = app.call(Some("patrol01"), "GET", &format!("/api/v1/cases/{id}"), None).await;
        assert_eq!(s, 200);
        let token = app.token("patrol01").await;
        let r = app.http.post(app.url(&format!("/api/v1/cases/{id}/attachments"))).bearer_auth(&token).body(PNG_1X1.to_vec()).send().await.unwrap();
        assert_eq!(r.status(), 201);
    }
}

both_backends! {
    arrival_counts_only_at_the_place(app) {
        let (_, c) = app.call(Some("dispatcher"), "POST", "/api/v1/cases", Some(case_body())).await;
        let id = c["id"].as_i64().unwrap();
        let patrol = app.store.user_by_name("patrol01").await.unwrap().id;
        let me = app.store.responders().await.unwrap().into_iter().find(|r| r.user_id == Some(patrol)).unwrap().id;
        let (s, _) = act(app, "dispatcher", id, serde_json::json!({"action": "accept"})).await;
        assert_eq!(s, 200);
        let (s, b) = act(app, "dispatcher", id, serde_json::json!({"action": "dispatch", "responders": [me]})).await;
        assert_eq!(s, 200, "{b}");
        // About 600 m away: refused, saying how far.
        let (s, _) = app.call(Some("patrol01"), "POST", &format!("/api/v1/responders/{me}/position"), Some(serde_json::json!({"lat": 30.2716, "lng": 120.5700}))).await;
        assert_eq!(s, 204);
        let (s, e) = act(app, "patrol01", id, serde_json::json!({"action": "arrive", "responder": me})).await;
        assert_eq!(s, 422, "{e}");
        assert!(e["error"]["message"].as_str().unwrap().contains("m from the case"));
        // At the place: recorded.
        let (s, _) = app.call(Some("patrol01"), "POST", &format!("/api/v1/responders/{me}/position"), Some(serde_json::json!({"lat": 30.2664, "lng": 120.5701}))).await;
        assert_eq!(s, 204);
        let (s, c) = act(app, "patrol01", id, serde_json::json!({"action": "arrive", "responder": me})).await;
        assert_eq!((s, c["status"].as_str()), (200, Some("on_site")));
    }
}

both_backends! {
    neighbours_answer_posts_and_staff_take_articles_down(app) {
        // A post says where and when; a neighbour answers; the author (only) reads who and what,
        // and was told in the app.
        let when = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
        let (s, p) = app.call(Some("resident"), "POST", "/api/v1/community/posts", Some(json!({
            "kind": "ask", "topic": "pickup", "title": "周三下午帮忙接孩子", "body": "四点放学", "place": "临江花园3幢", "needed_at": when
        }))).await;
        assert_eq!(s, 201, "{p}");
        let id = p["id"].as_i64().unwrap();
        let (s, b) = app.call(Some("resident"), "POST", "/api/v1/community/posts", Some(json!({
            "kind": "ask", "topic": "pickup", "title": "x", "body": "", "needed_at": "2020-01-01T00:00:00Z"
        }))).await;
        assert_error(s, &b, 422, "invalid_input");
        let (s, b) = app.call(Some("resident"), "POST", &format!("/api/v1/community/posts/{id}/respond"), Some(json!({"note": "我来"}))).await;
        assert_error(s, &b, 422, "invalid_input");
        let (s, r) = app.call(Some("resident2"), "POST", &format!("/api/v1/community/posts/{id}/respond"), Some(json!({"note": "我下午在家，可以去接"}))).await;
        assert_eq!((s, r["responses"].as_i64(), r["place"].as_str()), (200, Some(1), Some("临江花园3幢")), "{r}");
        let (s, b) = app.call(Some("resident2"), "POST", &format!("/api/v1/community/posts/{id}/respond"), Some(json!({"note": ""}))).await;
        assert_error(s, &b, 422, "invalid_input");
        let (s, _) = app.call(Some("resident2"), "GET", &format!("/api/v1/community/posts/{id}/responses"), None).await;
        assert_eq!(s, 403);
        let (_, answers) = app.call(Some("resident"), "GET", &format!("/api/v1/community/posts/{id}/responses"), None).await;
        assert_eq!(answers[0]["note"], "我下午在家，可以去接");
        let (_, listed) = app.call(Some("resident"), "GET", "/api/v1/community/posts", None).await;
        let mine = listed.as_array().unwrap().iter().find(|x| x["id"] == json!(id)).unwrap().clone();
        assert_eq!((mine["responses"].as_i64(), mine["needed_at"].is_string()), (Some(1), true));
        // The notice is written with the answer, in the same transaction.
        let author = app.store.user_by_name("resident").await.unwrap().id;
        let told = app.store.outbox_for_user(author, app.now(), 10).await.unwrap();
        assert!(told.iter().any(|m| m.subject.contains("回应了您的“周三下午帮忙接孩子”")), "{told:?}");

        // An article taken down is gone for residents, listed for staff, and can be put back.
        let (_, a) = app.call(Some("dispatcher"), "POST", "/api/v1/community/articles", Some(json!({"kind": "news", "title": "公益集市", "body": "每月最后一个周六"}))).await;
        let aid = a["id"].as_i64().unwrap();
        let (s, _) = app.call(Some("resident"), "POST", &format!("/api/v1/community/articles/{aid}/published"), Some(json!({"published": false}))).await;
        assert_eq!(s, 403);
        let (s, _) = app.call(Some("dispatcher"), "POST", &format!("/api/v1/community/articles/{aid}/published"), Some(json!({"published": false}))).await;
        assert_eq!(s, 204);
        let (_, news) = app.call(Some("resident"), "GET", "/api/v1/community/articles?kind=news", None).await;
        assert!(news.as_array().unwrap().iter().all(|x| x["id"] != json!(aid)));
        let (s, _) = app.call(Some("resident"), "GET", "/api/v1/community/articles?kind=news&all=1", None).await;
        assert_eq!(s, 403);
        let (_, all) = app.call(Some("dispatcher"), "GET", "/api/v1/community/articles?kind=news&all=1", None).await;
        assert_eq!(all[0]["published"], false);
        app.call(Some("dispatcher"), "POST", &format!("/api/v1/community/articles/{aid}/published"), Some(json!({"published": true}))).await;
        let (_, news) = app.call(Some("resident"), "GET", "/api/v1/community/articles?kind=news", None).await;
        assert_eq!(news[0]["id"], json!(aid));
        let audit = app.store.audit_for("article", &aid.to_string(), 10).await.unwrap();
        assert_eq!(audit.iter().filter(|r| r.entry.action == "article.publish").count(), 2);

        // The roster of an activity, for staff.
        let starts = (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339();
        let (_, e) = app.call(Some("dispatcher"), "POST", "/api/v1/community/activities", Some(json!({"title": "义诊进社区", "body": "量血压、测血糖", "place": "新围村文化礼堂", "starts_at": starts, "capacity": 1}))).await;
        let eid = e["id"].as_i64().unwrap();
        app.call(Some("resident"), "POST", &format!("/api/v1/community/activities/{eid}/signup"), None).await;
        app.call(Some("resident2"), "POST", &format!("/api/v1/community/activities/{eid}/signup"), None).await;
        let (s, _) = app.call(Some("resident"), "GET", &format!("/api/v1/community/activities/{eid}/roster"), None).await;
        assert_eq!(s, 403);
        let (_, roster) = app.call(Some("dispatcher"), "GET", &format!("/api/v1/community/activities/{eid}/roster"), None).await;
        let statuses: Vec<(&str, &str)> = roster.as_array().unwrap().iter().map(|r| (r["name"].as_str().unwrap(), r["status"].as_str().unwrap())).collect();
        assert_eq!(statuses, [("resident", "signed"), ("resident2", "waitlisted")]);
    }
}

both_backends! {
    a_duplicate_is_merged_into_the_case_it_repeats(app) {
        let body = json!({"category": "SJ0102", "description": "北门垃圾满了", "location": {"lat": 30.2662, "lng": 120.5700}, "source": "resident_app"});
        let (_, keep) = app.call(Some("resident"), "POST", "/api/v1/cases", Some(body.clone())).await;
        let (_, dup) = app.call(Some("resident2"), "POST", "/api/v1/cases", Some(body)).await;
        let (keep, dup) = (keep["id"].as_i64().unwrap(), dup["id"].as_i64().unwrap());
        let merge = format!("/api/v1/cases/{dup}/merge");
        let (s, _) = app.call(Some("grid01"), "POST", &merge, Some(json!({"into": keep}))).await;
        assert_eq!(s, 403);
        let (s, b) = app.call(Some("dispatcher"), "POST", &merge, Some(json!({"into": dup}))).await;
        assert_error(s, &b, 422, "invalid_input");
        let (s, c) = app.call(Some("dispatcher"), "POST", &merge, Some(json!({"into": keep}))).await;
        assert_eq!((s, c["status"].as_str()), (200, Some("voided")), "{c}");
        assert_eq!(c["events"].as_array().unwrap().last().unwrap()["note"], json!(format!("重复案件，已并入 #{keep}")));
        // Its reporter now follows the case that carries on.
        let reporter2 = app.store.user_by_name("resident2").await.unwrap().id;
        assert!(app.store.follows(keep, reporter2).await.unwrap());
        let (s, _) = app.call(Some("dispatcher"), "POST", &merge, Some(json!({"into": keep}))).await;
        assert_eq!(s, 409, "a voided case is not merged again");
    }
}

both_backends! {
    the_centre_moves_people_up_keeps_the_roster_and_reviews_field_closures(app) {
        let patrol01 = app.store.user_by_name("patrol01").await.unwrap().id;
        let me = app.store.responders().await.unwrap().into_iter().find(|r| r.user_id == Some(patrol01)).unwrap();
        // A move-up: the responder is told where to wait; audited; residents and grid workers may not.
        let body = json!({"responder_id": me.id, "grid_name": "临江社区第2网格", "lat": 30.2662, "lng": 120.5700});
        let (s, _) = app.call(Some("grid01"), "POST", "/api/v1/dispatch/moveups/apply", Some(body.clone())).await;
        assert_eq!(s, 403);
        let (s, b) = app.call(Some("dispatcher"), "POST", "/api/v1/dispatch/moveups/apply", Some(json!({"responder_id": me.id, "grid_name": "x", "lat": 10.0, "lng": 10.0}))).await;
        assert_error(s, &b, 422, "invalid_input");
        let (s, _) = app.call(Some("dispatcher"), "POST", "/api/v1/dispatch/moveups/apply", Some(body)).await;
        assert_eq!(s, 204);
        let (_, notes) = app.call(Some("patrol01"), "GET", "/api/v1/notifications", None).await;
        assert!(notes.as_array().unwrap().iter().any(|n| n["subject"] == "前置备勤：请前往临江社区第2网格待命"), "{notes}");
        // The roster: a station head moves their own people to the night shift, not others'.
        let (s, _) = app.call(Some("station1"), "POST", &format!("/api/v1/responders/{}/shift", me.id), Some(json!({"shift": "night"}))).await;
        assert_eq!(s, 204);
        assert_eq!(app.store.responder(me.id).await.unwrap().shift, "night");
        let other = app.store.responders().await.unwrap().into_iter().find(|r| r.station == "S5").unwrap();
        let (s, _) = app.call(Some("station1"), "POST", &format!("/api/v1/responders/{}/shift", other.id), Some(json!({"shift": "night"}))).await;
        assert_eq!(s, 403);
        let (s, b) = app.call(Some("admin"), "POST", &format!("/api/v1/responders/{}/shift", other.id), Some(json!({"shift": "weekends"}))).await;
        assert_error(s, &b, 422, "invalid_input");
        app.call(Some("station1"), "POST", &format!("/api/v1/responders/{}/shift", me.id), Some(json!({"shift": "all"}))).await;

        // A patrol member sent to a case may see its caller's number (audited), but closes it
        // only once the party was contacted.
        let (_, c) = app.call(Some("dispatcher"), "POST", "/api/v1/cases", Some(case_body())).await;
        let id = c["id"].as_i64().unwrap();
        let (s, _) = app.call(Some("patrol01"), "GET", &format!("/api/v1/cases/{id}/reporter"), None).await;
        assert_eq!(s, 403, "not sent yet");
        for step in [json!({"action": "accept"}), json!({"action": "dispatch", "responders": [me.id]})] {
            let (s, b) = app.call(Some("dispatcher"), "POST", &format!("/api/v1/cases/{id}/actions"), Some(step)).await;
            assert_eq!(s, 200, "{b}");
        }
        let (s, r) = app.call(Some("patrol01"), "GET", &format!("/api/v1/cases/{id}/reporter"), None).await;
        assert_eq!((s, r["phone"].as_str()), (200, Some("13800138000")), "{r}");
        for step in [json!({"action": "arrive", "responder": me.id}), json!({"action": "feedback", "note": "已到场"})] {
            let (s, b) = app.call(Some("dispatcher"), "POST", &format!("/api/v1/cases/{id}/actions"), Some(step)).await;
            assert_eq!(s, 200, "{b}");
        }
        let (s, b) = app.call(Some("patrol01"), "POST", &format!("/api/v1/cases/{id}/actions"), Some(json!({"action": "close", "note": "已处理"}))).await;
        assert_error(s, &b, 409, "party_not_contacted");
        let (s, _) = app.call(Some("patrol01"), "POST", &format!("/api/v1/cases/{id}/actions"), Some(json!({"action": "contact_party", "note": "已电话联系王师傅"}))).await;
        assert_eq!(s, 200);
        let (s, c) = app.call(Some("patrol01"), "POST", &format!("/api/v1/cases/{id}/actions"), Some(json!({"action": "close", "note": "已处理"}))).await;
        assert_eq!((s, c["status"].as_str()), (200, Some("closed")), "{c}");
    }
}
