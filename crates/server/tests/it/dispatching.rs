//! Choosing who goes, on a live server: recommendations along the roads with skills, take and
//! decline, no answer in time, auto-dispatch, move-ups — on SQLite and PostgreSQL.

use super::*;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// The Linjiang roads; 90 seconds to answer an assignment, as configured by default.
fn config() -> server::config::Config {
    let roads = scenario_dir().join("roads.geojson");
    server::config::Config::parse(&format!("[dispatch]\nroads = {:?}\n", roads.display().to_string())).unwrap()
}

/// A Friday morning on a clock the test moves.
pub async fn start(postgres: bool) -> App {
    let url = if postgres { store::testing::fresh_postgres_url().await } else { store::testing::fresh_sqlite_url() };
    let t0 = chrono::DateTime::parse_from_rfc3339("2026-11-27T09:30:00+08:00").unwrap().with_timezone(&chrono::Utc);
    App::start_clocked(&url, &config(), t0).await
}

async fn act(app: &App, id: i64, body: Value) -> (u16, Value) {
    app.call(Some("dispatcher"), "POST", &format!("/api/v1/cases/{id}/actions"), Some(body)).await
}

fn current(case: &Value) -> Vec<i64> {
    case["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["status"] == "active" || a["status"] == "arrived")
        .map(|a| a["responder_id"].as_i64().unwrap())
        .collect()
}

async fn wait_for(app: &App, id: i64, within: Duration, pred: impl Fn(&Value) -> bool) -> Value {
    let start = Instant::now();
    loop {
        let (_, c) = app.call(Some("dispatcher"), "GET", &format!("/api/v1/cases/{id}"), None).await;
        if pred(&c) {
            return c;
        }
        assert!(start.elapsed() < within, "condition not met within {within:?}: {}", c["assignments"]);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn recommendations_decline_and_no_answer(postgres: bool) {
    let app = start(postgres).await;
    let (s, case) = app.call(Some("dispatcher"), "POST", "/api/v1/cases", Some(case_body())).await;
    assert_eq!(s, 201);
    let id = case["id"].as_i64().unwrap();
    act(&app, id, json!({"action": "accept"})).await;
    let (s, recs) = app.call(Some("dispatcher"), "GET", &format!("/api/v1/cases/{id}/recommendations"), None).await;
    assert_eq!(s, 200, "{recs}");
    let recs = recs.as_array().unwrap().clone();
    crate::assert_policy_order(&recs);
    assert!(recs.iter().all(|r| r["reason"].as_str().unwrap().contains("沿道路")), "{recs:?}");
    // A wage dispute's mediator must know labour law: only those are proposed.
    let (_, roster) = app.call(Some("dispatcher"), "GET", "/api/v1/responders", None).await;
    let skills = |rid: i64| -> Vec<String> {
        let r = roster.as_array().unwrap().iter().find(|r| r["id"] == rid).unwrap();
        serde_json::from_value(r["skills"].clone()).unwrap()
    };
    let mediators: Vec<i64> =
        recs.iter().filter(|r| r["force"] == "mediator").map(|r| r["responder_id"].as_i64().unwrap()).collect();
    assert!(!mediators.is_empty());
    assert!(mediators.iter().all(|m| skills(*m).contains(&"labour_law".to_string())));
    let patrols: Vec<i64> =
        recs.iter().filter(|r| r["force"] == "patrol_member").map(|r| r["responder_id"].as_i64().unwrap()).collect();
    let first = patrols[0];
    // A ping half an hour old still places someone (the last known place) but says so; a fresh
    // one does not.
    let old_ping = (app.now() - chrono::Duration::minutes(30)).to_rfc3339();
    let (s, _) = app
        .call(
            Some("dispatcher"),
            "POST",
            &format!("/api/v1/responders/{first}/position"),
            Some(json!({"lat": 30.2662, "lng": 120.5701, "at": old_ping})),
        )
        .await;
    assert_eq!(s, 204);
    let (s, _) = app
        .call(
            Some("dispatcher"),
            "POST",
            &format!("/api/v1/responders/{}/position", patrols[1]),
            Some(json!({"lat": 30.2663, "lng": 120.5702})),
        )
        .await;
    assert_eq!(s, 204);
    let (_, recs) = app.call(Some("dispatcher"), "GET", &format!("/api/v1/cases/{id}/recommendations"), None).await;
    let reason = |rid: i64| {
        recs.as_array().unwrap().iter().find(|r| r["responder_id"] == rid).unwrap()["reason"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert!(reason(first).contains("位置为最近一次上报"), "{}", reason(first));
    assert!(!reason(patrols[1]).contains("位置为最近一次上报"), "{}", reason(patrols[1]));

    // Sent, then declined: the next patrol member is sent at once.
    let (s, c) = act(&app, id, json!({"action": "dispatch", "responders": [first]})).await;
    assert_eq!(s, 200, "{c}");
    assert!(c["assignments"][0]["answer_by"].is_string(), "{c}");
    let (s, c) = act(&app, id, json!({"action": "decline", "responder": first, "reason": "车辆故障"})).await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(c["assignments"][0]["status"], "declined");
    let second = current(&c);
    assert_eq!(second.len(), 1, "{c}");
    assert_ne!(second[0], first);
    assert_eq!(c["status"], "dispatched");
    // Declining again, or without saying who, is refused.
    let (s, _) = act(&app, id, json!({"action": "decline", "responder": first})).await;
    assert_eq!(s, 422);
    let (s, _) = act(&app, id, json!({"action": "decline"})).await;
    assert_eq!(s, 422);

    // The second does not answer within 90 seconds: a third is sent, and the record says why.
    app.advance(chrono::Duration::seconds(91));
    let c = wait_for(&app, id, Duration::from_secs(5), |c| current(c).len() == 1 && current(c)[0] != second[0]).await;
    let third = current(&c)[0];
    assert!(![first, second[0]].contains(&third));
    let declined = c["events"].as_array().unwrap().iter().filter(|e| e["action"] == "decline").count();
    assert_eq!(declined, 2, "{}", c["events"]);
    assert!(c["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["note"].as_str().is_some_and(|n| n.contains("秒内未接单"))));
    // The third takes it in time: nobody else is sent, by the time the on-site promise is
    // missed ten minutes in.
    let (s, c) = act(&app, id, json!({"action": "take", "responder": third})).await;
    assert_eq!(s, 200, "{c}");
    app.advance(chrono::Duration::minutes(10));
    let on_site_missed = |c: &Value| {
        c["events"].as_array().unwrap().iter().any(|e| e["action"] == "escalate" && e["promise"] == "on_site")
    };
    let c = wait_for(&app, id, Duration::from_secs(5), on_site_missed).await;
    assert_eq!(current(&c), vec![third], "{}", c["assignments"]);
    let taken = c["assignments"].as_array().unwrap().iter().find(|a| a["responder_id"] == third).unwrap();
    assert!(taken["answered_at"].is_string());
    // A field worker may not take or decline someone else's assignment (a grid worker here:
    // the policy's order decides which patrol member holds it).
    let (s, _) = app
        .call(
            Some("grid01"),
            "POST",
            &format!("/api/v1/cases/{id}/actions"),
            Some(json!({"action": "take", "responder": third})),
        )
        .await;
    assert_eq!(s, 403);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recommendations_decline_and_no_answer_sqlite() {
    recommendations_decline_and_no_answer(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recommendations_decline_and_no_answer_postgres() {
    recommendations_decline_and_no_answer(true).await;
}

async fn auto_dispatch_and_move_ups(postgres: bool) {
    let app = start(postgres).await;
    // A gas alarm is sent without a dispatcher: a grid worker and the gas company, the soonest.
    let (s, c) = app
        .call(
            Some("dispatcher"),
            "POST",
            "/api/v1/cases",
            Some(json!({"category": "SJ0401", "description": "燃气报警器报警", "location": {"lat": 30.2662, "lng": 120.5700}, "source": "sensor"})),
        )
        .await;
    assert_eq!(s, 201, "{c}");
    assert_eq!(c["status"], "dispatched", "{c}");
    let (_, roster) = app.call(Some("dispatcher"), "GET", "/api/v1/responders", None).await;
    let force = |rid: i64| {
        roster.as_array().unwrap().iter().find(|r| r["id"] == rid).unwrap()["force"].as_str().unwrap().to_owned()
    };
    let mut forces: Vec<String> = current(&c).into_iter().map(force).collect();
    forces.sort();
    assert_eq!(forces, ["gas_company", "grid_worker"]);
    let actors: Vec<&str> = c["events"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actors, ["create", "accept", "dispatch"]);

    // Nobody of the enclave's station free: move-ups send others there, never someone off
    // duty, and never leave a grid uncovered for a grid they cover. (Travel times follow the
    // hour the test runs, rush hours included, so the counts of grids gained vary with it.)
    let enclave = ["十六分涵农场", "围垦一村", "江海村", "外六工段"];
    let mut s5 = vec![];
    for r in roster.as_array().unwrap() {
        if r["station"] == "S5" && (r["force"] == "police" || r["force"] == "patrol_member") {
            let id = r["id"].as_i64().unwrap();
            app.store.set_responder_status(id, "off_duty", "test", app.now()).await.unwrap();
            s5.push(id);
        }
    }
    let (s, moves) = app.call(Some("dispatcher"), "GET", "/api/v1/dispatch/moveups", None).await;
    assert_eq!(s, 200, "{moves}");
    let moves = moves.as_array().unwrap();
    assert!(moves.iter().any(|m| enclave.iter().any(|e| m["grid_name"].as_str().unwrap().starts_with(e))), "{moves:?}");
    assert!(moves.iter().all(|m| !s5.contains(&m["responder_id"].as_i64().unwrap())), "{moves:?}");
    assert!(moves.iter().all(|m| m["grids_gained"].as_i64().unwrap() > 0 && !m["reason"].as_str().unwrap().is_empty()));
    // Residents see none of it.
    let (s, _) = app.call(Some("resident"), "GET", "/api/v1/dispatch/moveups", None).await;
    assert_eq!(s, 403);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_dispatch_and_move_ups_sqlite() {
    auto_dispatch_and_move_ups(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_dispatch_and_move_ups_postgres() {
    auto_dispatch_and_move_ups(true).await;
}

/// The demo's crew answers like people: nothing before its time, then a take (or a decline
/// handed over), named by the responder.
async fn demo_crew_on(postgres: bool) {
    let url = if postgres { store::testing::fresh_postgres_url().await } else { store::testing::fresh_sqlite_url() };
    let t0 = chrono::DateTime::parse_from_rfc3339("2026-11-27T10:00:00+08:00").unwrap().with_timezone(&chrono::Utc);
    let app = App::start_clocked(&url, &Default::default(), t0).await;
    let (_, case) = app.call(Some("dispatcher"), "POST", "/api/v1/cases", Some(case_body())).await;
    let id = case["id"].as_i64().unwrap();
    let crew: Vec<store::Responder> = app
        .store
        .responders()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.user_id.is_none() && r.force == domain::category::Force::PatrolMember && r.status == "available")
        .collect();
    let r = &crew[0];
    act(&app, id, json!({"action": "accept"})).await;
    let (s, _) = act(&app, id, json!({"action": "dispatch", "responders": [r.id]})).await;
    assert_eq!(s, 200);
    let (wait, takes) = app::demo_crew::answer(id, r.id);
    assert!((10..60).contains(&wait));
    app.advance(chrono::Duration::seconds(wait - 2));
    assert_eq!(app::demo_crew::round(&app.state.app).await.unwrap(), 0, "not before its time");
    app.advance(chrono::Duration::seconds(3));
    assert_eq!(app::demo_crew::round(&app.state.app).await.unwrap(), 1);
    let c = app.store.get_case(id).await.unwrap();
    let mine = c.assignments.iter().find(|a| a.responder_id == r.id).unwrap();
    if takes {
        assert!(mine.answered_at.is_some());
        assert_eq!(c.events.last().unwrap().actor.username, r.name, "named by the responder");
    } else {
        assert_eq!(mine.status, domain::case::AssignmentStatus::Declined);
        assert!(c.assignments.iter().any(|a| a.responder_id != r.id && a.is_current()), "handed over");
    }
    // Answered once; whoever the case was handed to answers in their own time, not now.
    assert_eq!(app::demo_crew::round(&app.state.app).await.unwrap(), 0);
    let url = app.halt().await;
    store::testing::discard(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_crew_answers_like_people_sqlite() {
    demo_crew_on(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_crew_answers_like_people_postgres() {
    demo_crew_on(true).await;
}

/// Each recommendation says what sending that person costs the rest of the street: the last
/// free police officer of the enclave leaves its grids out of ten-minute reach; one of many
/// in the main area leaves nothing uncovered.
async fn coverage_cost_on(postgres: bool) {
    let app = start(postgres).await;
    let roster = app.store.responders().await.unwrap();
    let enclave_police: Vec<_> =
        roster.iter().filter(|r| r.station == "S5" && r.force == domain::category::Force::Police).collect();
    assert!(enclave_police.len() >= 2, "the scenario has several enclave officers");
    for r in &enclave_police[1..] {
        app.store.set_responder_status(r.id, "off_duty", "test", app.now()).await.unwrap();
    }
    let last = enclave_police[0];
    let enclave = app.state.grids.values().find(|g| g.area == "enclave").unwrap();
    let centre = domain::geo::Polygon::new(enclave.ring.clone()).unwrap().centroid();
    let body = json!({"category": "SJ1006", "description": "农场工人打架", "location": {"lat": centre.lat(), "lng": centre.lng()}, "source": "police_110"});
    let (s, c) = app.call(Some("dispatcher"), "POST", "/api/v1/cases", Some(body)).await;
    assert_eq!(s, 201, "{c}");
    let (_, recs) =
        app.call(Some("dispatcher"), "GET", &format!("/api/v1/cases/{}/recommendations", c["id"]), None).await;
    let mine = recs
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["responder_id"] == json!(last.id))
        .unwrap_or_else(|| panic!("{recs}"));
    let lost: Vec<&str> = mine["leaves_uncovered"].as_array().unwrap().iter().map(|g| g.as_str().unwrap()).collect();
    let enclave_names: Vec<&str> =
        app.state.grids.values().filter(|g| g.area == "enclave").map(|g| g.name_zh.as_str()).collect();
    assert!(!lost.is_empty() && lost.iter().all(|g| enclave_names.contains(g)), "{lost:?}");
    assert_eq!(mine["leaves_uncovered_en"].as_array().unwrap().len(), lost.len());
    // A fight is urgent: the soonest on site goes first, whatever it leaves uncovered.
    let police: Vec<&serde_json::Value> = recs.as_array().unwrap().iter().filter(|r| r["force"] == "police").collect();
    assert_eq!(police[0]["responder_id"], json!(last.id), "{recs}");
    assert_eq!(police[0]["why"], "紧急，最快到场");
    assert_eq!(police[0]["why_en"], "urgent: the soonest");
    crate::assert_policy_order(recs.as_array().unwrap());
    // With the enclave's other officers back on duty, the next one after the soonest (last
    // reported 5.5 km off) is too far for the promise, and the list says so.
    for r in &enclave_police[1..] {
        app.store.set_responder_status(r.id, "available", "test", app.now()).await.unwrap();
    }
    let (_, recs) =
        app.call(Some("dispatcher"), "GET", &format!("/api/v1/cases/{}/recommendations", c["id"]), None).await;
    crate::assert_policy_order(recs.as_array().unwrap());
    let second = recs.as_array().unwrap().iter().filter(|r| r["force"] == "police").nth(1).unwrap().clone();
    assert_eq!(second["on_time"], false, "{second}");
    assert_eq!(second["why"], "赶不上时限，此人最快", "{second}");
    assert_eq!(second["leaves_uncovered"], json!([]));
    // In the main area, where many are free, sending one costs nothing.
    let (_, c2) = app.call(Some("dispatcher"), "POST", "/api/v1/cases", Some(case_body())).await;
    let (_, recs) =
        app.call(Some("dispatcher"), "GET", &format!("/api/v1/cases/{}/recommendations", c2["id"]), None).await;
    assert!(recs.as_array().unwrap().iter().any(|r| r["leaves_uncovered"] == json!([])), "{recs}");
    // Not urgent: each force's first choice is on time and costs the area's cover least.
    crate::assert_policy_order(recs.as_array().unwrap());
    for force in ["patrol_member", "mediator"] {
        let first = recs.as_array().unwrap().iter().find(|r| r["force"] == force).unwrap();
        assert_eq!((&first["on_time"], &first["leaves_uncovered"]), (&json!(true), &json!([])), "{first}");
        assert_eq!(first["why"], "首选：按时可达，对覆盖影响最小", "{first}");
        assert_eq!(first["why_en"], "first choice: on time, least cover lost");
    }
    let url = app.halt().await;
    store::testing::discard(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recommendations_say_what_sending_costs_the_street_sqlite() {
    coverage_cost_on(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recommendations_say_what_sending_costs_the_street_postgres() {
    coverage_cost_on(true).await;
}

/// The case's two city-management recommendations, both too far for the promise.
async fn far_city_management(app: &App, id: i64) -> Vec<Value> {
    let (s, recs) = app.call(Some("dispatcher"), "GET", &format!("/api/v1/cases/{id}/recommendations"), None).await;
    assert_eq!(s, 200, "{recs}");
    let mine: Vec<Value> =
        recs.as_array().unwrap().iter().filter(|r| r["force"] == "city_management").cloned().collect();
    assert_eq!(mine.len(), 2, "{recs}");
    assert!(mine.iter().all(|r| r["on_time"] == false), "{recs}");
    mine
}

/// City management: two of the main area free, everyone else busy.
pub async fn city_management_busy(app: &App) {
    let roster = app.store.responders().await.unwrap();
    let cm: Vec<_> = roster.iter().filter(|r| r.force == domain::category::Force::CityManagement).collect();
    let free: Vec<i64> = cm.iter().filter(|r| r.station != "S5").take(2).map(|r| r.id).collect();
    for r in &cm {
        let status = if free.contains(&r.id) { "available" } else { "busy" };
        app.store.set_responder_status(r.id, status, "test", app.now()).await.unwrap();
    }
}

/// Street vending reported in the enclave's farmland (nobody of the main area reaches it in
/// ten minutes); the case's id.
pub async fn vending_in_the_enclave(app: &App, description: &str) -> i64 {
    let enclave = app.state.grids.values().find(|g| g.area == "enclave").unwrap();
    let centre = domain::geo::Polygon::new(enclave.ring.clone()).unwrap().centroid();
    let body = json!({"category": "SJ0501", "description": description, "location": {"lat": centre.lat(), "lng": centre.lng()}, "source": "hotline"});
    let (s, c) = app.call(Some("dispatcher"), "POST", "/api/v1/cases", Some(body)).await;
    assert_eq!(s, 201, "{c}");
    c["id"].as_i64().unwrap()
}

/// Ninety days of the demo's history, counted afresh by dispatch.
pub async fn with_history(app: &App) {
    let now = app.now();
    let sc = scenario::load(&scenario_dir()).unwrap();
    let history = scenario::history::generate(&sc, now, 90, sc.demand.history.seed);
    app.store.import_cases(&history, "demo", now).await.unwrap();
    app.state.demand_shares.lock().unwrap().take();
}

/// A far responder of a busy force "can wait" only while the wait is worth it: sending must be
/// expected to cost more than one on-time arrival of the force (nothing, before the street has
/// any history of its cases), and the allowance — ten minutes per arrival lost — is shared by
/// the force's other cases waiting with nobody there, and runs out.
async fn a_wait_must_be_worth_it_on(postgres: bool) {
    let app = start(postgres).await;
    city_management_busy(&app).await;
    let id = vending_in_the_enclave(&app, "占道卖菜").await;
    // No history: the force has had no cases, a trip costs none; go, the soonest first.
    for r in far_city_management(&app, id).await {
        assert_eq!((&r["calls_lost"], &r["may_wait_seconds"]), (&json!(0.0), &json!(0)), "{r}");
        assert_eq!(r["why_en"], "too far for the promise; the soonest", "{r}");
    }
    // Ninety days of the demo's history: the morning's city-management cases make a trip of
    // this length cost more than one on-time arrival.
    with_history(&app).await;
    let allowance = |r: &Value, sharing: f64| (600.0 * r["calls_lost"].as_f64().unwrap() / sharing).min(3600.0);
    let before = far_city_management(&app, id).await;
    for r in &before {
        assert!(r["calls_lost"].as_f64().unwrap() > 1.0, "{r}");
        assert_eq!(
            (&r["why"], &r["why_en"]),
            (&json!("赶不上时限，力量紧张可稍后派"), &json!("too far; force busy, can wait"))
        );
        // Ten minutes per arrival lost (calls_lost is rounded to hundredths: ± 3 s).
        assert!((r["may_wait_seconds"].as_f64().unwrap() - allowance(r, 1.0)).abs() <= 4.0, "{r}");
    }
    // Two more vending cases nobody has been sent to: the three share the allowance.
    for d in ["桥头占道卖水果", "田边占道摆摊"] {
        vending_in_the_enclave(&app, d).await;
    }
    let shared = far_city_management(&app, id).await;
    for (r, b) in shared.iter().zip(&before) {
        assert_eq!(r["calls_lost"], b["calls_lost"]);
        assert_eq!(r["why_en"], "too far; force busy, can wait", "{r}");
        assert!((r["may_wait_seconds"].as_f64().unwrap() - allowance(r, 3.0)).abs() <= 2.0, "{r}");
    }
    // Once the case has waited its share, whoever is soonest should go.
    let longest = shared.iter().map(|r| r["may_wait_seconds"].as_i64().unwrap()).max().unwrap();
    app.advance_and_settle(chrono::Duration::seconds(longest + 1)).await;
    for r in far_city_management(&app, id).await {
        assert_eq!((&r["why_en"], &r["may_wait_seconds"]), (&json!("too far for the promise; the soonest"), &json!(0)));
    }
    let url = app.halt().await;
    store::testing::discard(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wait_must_be_worth_it_sqlite() {
    a_wait_must_be_worth_it_on(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wait_must_be_worth_it_postgres() {
    a_wait_must_be_worth_it_on(true).await;
}
