//! Grid deliberation days and volunteer teams over HTTP, on a clock the test moves: a topic
//! raised in the app goes on an agenda, is discussed, and its resolution is carried out (one
//! step as a case that closes) while everyone who raised or supported it is told; volunteers
//! check in only at the place and only with a place free, and earn hours and stars.

use super::*;
use serde_json::{json, Value};

fn local(s: &str) -> domain::Timestamp {
    chrono::DateTime::parse_from_rfc3339(&format!("{s}+08:00")).unwrap().with_timezone(&chrono::Utc)
}

async fn step_to(app: &App, to: &str) {
    let to = local(to);
    app.advance_and_settle(to - app.now()).await;
}

async fn id_of(app: &App, name: &str) -> i64 {
    app.store.user_by_name(name).await.unwrap().id
}

async fn ok(app: &App, who: &str, method: &str, path: &str, body: Value) -> Value {
    let (s, b) = app.call(Some(who), method, path, Some(body.clone())).await;
    assert!((200..300).contains(&s), "{who} {method} {path} {body} → {s} {b}");
    b
}

/// What a person was told in the app as things stand on the test's clock (notices are written
/// with the step that causes them; a reminder shows once its time has come).
async fn told(app: &App, who: &str) -> Vec<String> {
    let id = id_of(app, who).await;
    app.store
        .outbox_for_user(id, app.now(), 100)
        .await
        .unwrap()
        .into_iter()
        .map(|m| format!("{} {}", m.subject, m.body))
        .collect()
}

const COMMUNITY: &str = "330114004001";

async fn topic_to_solved_resolution(app: &App) {
    // The community's day: the 15th, 19:00, two places (so the third is waitlisted).
    ok(
        app,
        "admin",
        "PUT",
        &format!("/api/v1/deliberation/communities/{COMMUNITY}/day"),
        json!({"day_of_month": 15, "time": "19:00", "place": "临江社区议事厅", "capacity": 2}),
    )
    .await;
    let (s, e) = app
        .call(
            Some("grid01"),
            "PUT",
            "/api/v1/deliberation/communities/330114004002/day",
            json!({"day_of_month": 15, "time": "19:00", "place": "x", "capacity": 2}).into(),
        )
        .await;
    assert_eq!(s, 403, "a grid worker runs only their own community: {e}");
    let (s, _) = app
        .call(
            Some("admin"),
            "PUT",
            &format!("/api/v1/deliberation/communities/{COMMUNITY}/day"),
            json!({"day_of_month": 31, "time": "19:00", "place": "x", "capacity": 2}).into(),
        )
        .await;
    assert_eq!(s, 422, "the 31st is not in every month");
    let meetings = ok(
        app,
        "grid01",
        "POST",
        &format!("/api/v1/deliberation/communities/{COMMUNITY}/meetings"),
        json!({"months": 2}),
    )
    .await;
    let dates: Vec<&str> = meetings.as_array().unwrap().iter().map(|m| m["starts_at"].as_str().unwrap()).collect();
    assert_eq!(dates, ["2026-03-15T19:00:00.000+08:00", "2026-04-15T19:00:00.000+08:00"]);
    let again = ok(
        app,
        "grid01",
        "POST",
        &format!("/api/v1/deliberation/communities/{COMMUNITY}/meetings"),
        json!({"months": 2}),
    )
    .await;
    assert_eq!(again[0]["id"], meetings[0]["id"], "each meeting is made once");
    let meeting = meetings[0]["id"].as_i64().unwrap();
    let activity = meetings[0]["activity_id"].as_i64().unwrap();

    // A resident raises a topic in the app; a neighbour supports it.
    let t = ok(app, "resident", "POST", "/api/v1/deliberation/topics",
        json!({"community": COMMUNITY, "title": "原职工活动中心闲置，建议改为邻里空间", "body": "老人和孩子没有活动的地方"})).await;
    let topic = t["id"].as_i64().unwrap();
    // Language-neutral: pages name the raiser in their own words ("我" / "you" for one's own).
    assert_eq!(
        (t["status"].as_str(), t["source"].as_str(), t["raised_by"].as_str(), t["raised_by_role"].as_str()),
        (Some("raised"), Some("app"), Some("resident"), Some("resident"))
    );
    assert_eq!(t["mine"], true);
    let (s, _) = app
        .call(
            Some("resident"),
            "POST",
            "/api/v1/deliberation/topics",
            json!({"community": COMMUNITY, "title": "x", "case_id": 1}).into(),
        )
        .await;
    assert_eq!(s, 403, "residents raise topics in their own words");
    let t = ok(
        app,
        "resident2",
        "POST",
        &format!("/api/v1/deliberation/topics/{topic}/actions"),
        json!({"action": "support"}),
    )
    .await;
    // A neighbour learns a resident raised it, never who.
    assert_eq!(
        (t["supporters"].as_u64(), t["i_support"].as_bool(), t["raised_by"].clone(), t["raised_by_role"].as_str()),
        (Some(1), Some(true), Value::Null, Some("resident"))
    );
    assert_eq!(t["mine"], false);
    let (s, _) = app
        .call(
            Some("resident2"),
            "POST",
            &format!("/api/v1/deliberation/topics/{topic}/actions"),
            json!({"action": "accept"}).into(),
        )
        .await;
    assert_eq!(s, 403, "residents do not screen topics");

    // Screened and put on the agenda: both are told each time.
    step_to(app, "2026-03-03T10:00:00").await;
    ok(app, "grid01", "POST", &format!("/api/v1/deliberation/topics/{topic}/actions"), json!({"action": "accept"}))
        .await;
    for who in ["resident", "resident2"] {
        let msgs = told(app, who).await;
        assert!(msgs.iter().any(|m| m.contains("议题进展") && m.contains("已受理，待列入议程")), "{who}: {msgs:?}");
    }
    let t = ok(
        app,
        "grid01",
        "POST",
        &format!("/api/v1/deliberation/topics/{topic}/actions"),
        json!({"action": "schedule", "meeting_id": meeting}),
    )
    .await;
    assert_eq!(t["status"], "on_agenda");
    let msgs = told(app, "resident2").await;
    assert!(msgs.iter().any(|m| m.contains("已列入议事日议程") && m.contains("2026-03-15 19:00")), "{msgs:?}");

    // Registration: two places, the third waits; the reminder comes 48 h before, not now.
    for (who, place) in [("resident", "signed"), ("resident2", "signed"), ("volunteer", "waitlisted")] {
        let r = ok(app, who, "POST", &format!("/api/v1/community/activities/{activity}/signup"), json!({})).await;
        assert_eq!(r["my_status"], place, "{who}");
    }
    assert!(!told(app, "resident").await.iter().any(|m| m.contains("活动提醒")), "no reminder two weeks ahead");
    step_to(app, "2026-03-13T20:00:00").await;
    let msgs = told(app, "resident").await;
    assert!(msgs.iter().any(|m| m.contains("活动提醒") && m.contains("临江社区议事厅")), "{msgs:?}");
    assert!(!told(app, "volunteer").await.iter().any(|m| m.contains("活动提醒")), "the waiting list is not reminded");

    // The meeting: residents check in at the door; the count comes from the check-ins.
    step_to(app, "2026-03-15T18:50:00").await;
    let code = app.store.activity(activity).await.unwrap().checkin_code;
    ok(app, "resident", "POST", &format!("/api/v1/community/activities/{activity}/checkin"), json!({"code": code}))
        .await;
    let (s, e) = app
        .call(
            Some("volunteer"),
            "POST",
            &format!("/api/v1/community/activities/{activity}/checkin"),
            json!({"code": code}).into(),
        )
        .await;
    assert_eq!((s, e["error"]["code"].as_str()), (409, Some("full")), "{e}");
    let (s, _) = app
        .call(
            Some("resident2"),
            "POST",
            &format!("/api/v1/community/activities/{activity}/checkin"),
            json!({"code": "wrong"}).into(),
        )
        .await;
    assert_eq!(s, 422);
    let m = ok(app, "grid01", "POST", &format!("/api/v1/deliberation/meetings/{meeting}/minutes"),
        json!({"minutes": "19:00 开会，议题一：原职工活动中心改造（讨论中）", "organisations": ["社区居委会", "物业公司", "派出所"]})).await;
    assert_eq!(
        (m["attended"].as_i64(), m["registered"].as_i64(), m["minutes_status"].as_str()),
        (Some(1), Some(2), Some("draft"))
    );
    let (_, seen) = app.call(Some("resident"), "GET", &format!("/api/v1/deliberation/meetings/{meeting}"), None).await;
    assert!(seen["minutes"].is_null(), "a draft is not shown to residents: {seen}");
    assert_eq!(seen["agenda"][0]["title"], "原职工活动中心闲置，建议改为邻里空间");
    let (s, e) = app
        .call(
            Some("grid01"),
            "POST",
            &format!("/api/v1/deliberation/meetings/{meeting}/minutes"),
            json!({"minutes": "终稿", "final": true}).into(),
        )
        .await;
    assert_eq!(s, 422, "every topic's outcome first: {e}");

    // Discussed: a resolution owned by the grid worker, due in two months.
    let grid01 = id_of(app, "grid01").await;
    let station1 = id_of(app, "station1").await;
    step_to(app, "2026-03-15T20:30:00").await;
    let t = ok(
        app,
        "grid01",
        "POST",
        &format!("/api/v1/deliberation/topics/{topic}/actions"),
        json!({
            "action": "discuss", "outcome": "同意改造为邻里空间，由社区牵头实施",
            "resolution": {"title": "原职工活动中心改造为邻里空间", "owner": grid01, "due_at": "2026-05-15T10:00:00Z"}
        }),
    )
    .await;
    assert_eq!(t["status"], "discussed");
    let rid = t["resolution_id"].as_i64().unwrap();
    let msgs = told(app, "resident2").await;
    assert!(msgs.iter().any(|m| m.contains("已上会讨论") && m.contains("同意改造为邻里空间")), "{msgs:?}");
    ok(
        app,
        "grid01",
        "POST",
        &format!("/api/v1/deliberation/meetings/{meeting}/minutes"),
        json!({"minutes": "议题一：同意改造为邻里空间。", "organisations": ["社区居委会", "物业公司"], "final": true}),
    )
    .await;
    let (_, seen) = app.call(Some("resident"), "GET", &format!("/api/v1/deliberation/meetings/{meeting}"), None).await;
    assert_eq!(seen["minutes"], "议题一：同意改造为邻里空间。");
    let (s, _) = app
        .call(
            Some("grid01"),
            "POST",
            &format!("/api/v1/deliberation/meetings/{meeting}/minutes"),
            json!({"minutes": "改"}).into(),
        )
        .await;
    assert_eq!(s, 409, "final minutes stay final");

    // Two steps: the repair as a case, the furniture by the station officer.
    for (title, owner, due) in
        [("维修屋顶和电路", grid01, "2026-04-15T10:00:00Z"), ("添置桌椅和图书", station1, "2026-05-01T10:00:00Z")]
    {
        ok(
            app,
            "grid01",
            "POST",
            &format!("/api/v1/deliberation/resolutions/{rid}/actions"),
            json!({"action": "add_step", "title": title, "owner": owner, "due_at": due}),
        )
        .await;
    }
    let r = ok(
        app,
        "grid01",
        "POST",
        &format!("/api/v1/deliberation/resolutions/{rid}/actions"),
        json!({"action": "spawn_case", "step": 1, "category": "BJ0105"}),
    )
    .await;
    let case_id = r["steps"][0]["case_id"].as_i64().unwrap();
    assert_eq!(r["phase"], "in_progress");
    assert!(told(app, "resident").await.iter().any(|m| m.contains("已开始实施")));
    let (s, _) = app
        .call(
            Some("resident"),
            "POST",
            &format!("/api/v1/deliberation/resolutions/{rid}/actions"),
            json!({"action": "progress", "step": 2, "progress": 50}).into(),
        )
        .await;
    assert_eq!(s, 403);
    let r = ok(
        app,
        "station1",
        "POST",
        &format!("/api/v1/deliberation/resolutions/{rid}/actions"),
        json!({"action": "progress", "step": 2, "progress": 100}),
    )
    .await;
    assert_eq!(r["progress"], 55, "(10 + 100) / 2");
    let (s, e) = app
        .call(
            Some("grid01"),
            "POST",
            &format!("/api/v1/deliberation/resolutions/{rid}/actions"),
            json!({"action": "solve"}).into(),
        )
        .await;
    assert_eq!(s, 422, "the case is still open: {e}");

    // The case goes through the ordinary chain; closing it completes the step.
    let (_, c) = app.call(Some("dispatcher"), "GET", &format!("/api/v1/cases/{case_id}"), None).await;
    assert!(c["description"].as_str().unwrap().contains(&format!("网格议事决议 #{rid}")), "{c}");
    let (_, recs) =
        app.call(Some("dispatcher"), "GET", &format!("/api/v1/cases/{case_id}/recommendations"), None).await;
    let who = recs[0]["responder_id"].as_i64().unwrap();
    for step in [
        json!({"action": "accept"}),
        json!({"action": "dispatch", "responders": [who]}),
        json!({"action": "contact_party", "note": "已联系社区"}),
        json!({"action": "arrive", "responder": who}),
        json!({"action": "feedback", "note": "屋顶已修"}),
        json!({"action": "close", "note": "维修完成"}),
    ] {
        let (s, b) =
            app.call(Some("dispatcher"), "POST", &format!("/api/v1/cases/{case_id}/actions"), Some(step.clone())).await;
        assert_eq!(s, 200, "{b}");
        if step["action"] == "arrive" {
            // The step's progress follows its case: someone on site is half way.
            let (_, r) =
                app.call(Some("grid01"), "GET", &format!("/api/v1/deliberation/resolutions/{rid}"), None).await;
            assert_eq!((r["steps"][0]["progress"].as_i64(), r["progress"].as_i64()), (Some(50), Some(75)), "{r}");
        }
    }
    let (_, r) = app.call(Some("grid01"), "GET", &format!("/api/v1/deliberation/resolutions/{rid}"), None).await;
    assert_eq!(r["steps"][0]["progress"], 100, "{r}");
    assert!(!r["steps"][0]["done_at"].is_null());
    let r = ok(
        app,
        "grid01",
        "POST",
        &format!("/api/v1/deliberation/resolutions/{rid}/actions"),
        json!({"action": "solve"}),
    )
    .await;
    assert_eq!((r["phase"].as_str(), r["progress"].as_i64()), (Some("solved"), Some(100)));
    for who in ["resident", "resident2"] {
        let msgs = told(app, who).await;
        assert!(msgs.iter().any(|m| m.contains("决议进展") && m.contains("已办结")), "{who}: {msgs:?}");
    }
    // The board, for anyone: one solved in the community and the street; nobody named.
    let (s, b) = app.call(None, "GET", &format!("/api/v1/public/board?community={COMMUNITY}"), None).await;
    assert_eq!(s, 200);
    assert_eq!((b["solved"].as_i64(), b["open"].as_i64()), (Some(1), Some(0)));
    assert_eq!(b["items"][0]["title"], "原职工活动中心改造为邻里空间");
    assert!(!b.to_string().contains("grid01") && !b.to_string().contains("station1"), "{b}");

    // A topic nobody screens: warned, then escalated to the grid workers after 7 days.
    let t = ok(
        app,
        "resident",
        "POST",
        "/api/v1/deliberation/topics",
        json!({"community": COMMUNITY, "title": "楼道堆物"}),
    )
    .await;
    let late = t["id"].as_i64().unwrap();
    step_to(app, "2026-03-21T12:00:00").await;
    step_to(app, "2026-03-23T09:00:00").await;
    let (_, t) = app.call(Some("grid01"), "GET", &format!("/api/v1/deliberation/topics/{late}"), None).await;
    let actions: Vec<&str> = t["events"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["raise", "warn", "escalate"], "{t}");
    // Each step says whose role it was, for pages to name people in their own language.
    assert_eq!(t["events"][0]["by_role"], json!("resident"), "{t}");
    assert!(told(app, "grid01").await.iter().any(|m| m.contains("【督办】议题") && m.contains("议题初审")));
    let (_, t) = app.call(Some("resident2"), "GET", &format!("/api/v1/deliberation/topics/{late}"), None).await;
    assert!(t["events"].as_array().unwrap().is_empty(), "residents do not see the staff's steps");

    assert!(app.store.open_matters_owing_nothing().await.unwrap().is_empty());
    assert!(matches!(app.store.verify_audit().await.unwrap(), store::AuditReport::Intact { .. }));
    let audit = app.store.audit_for("resolution", &rid.to_string(), 50).await.unwrap();
    assert!(audit.iter().any(|r| r.entry.action == "resolution.case_closed"), "{audit:?}");
}

async fn clocked(postgres: bool, at: &str) -> App {
    let url = if postgres { store::testing::fresh_postgres_url().await } else { store::testing::fresh_sqlite_url() };
    App::start_clocked(&url, &Default::default(), local(at)).await
}

async fn done(app: App) {
    let url = app.halt().await;
    store::testing::discard(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_topic_from_the_app_becomes_a_solved_resolution_sqlite() {
    let app = clocked(false, "2026-03-02T09:00:00").await;
    topic_to_solved_resolution(&app).await;
    done(app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_topic_from_the_app_becomes_a_solved_resolution_postgres() {
    let app = clocked(true, "2026-03-02T09:00:00").await;
    topic_to_solved_resolution(&app).await;
    done(app).await;
}

async fn volunteer_shift(app: &App) {
    let leader = id_of(app, "volunteer").await;
    let (s, _) = app.call(Some("resident"), "GET", "/api/v1/volunteers/teams", None).await;
    assert_eq!(s, 403);
    let team = ok(
        app,
        "admin",
        "POST",
        "/api/v1/volunteers/teams",
        json!({"community": COMMUNITY, "kind": "anti_fraud", "name": "临江社区反诈妈妈团", "leader_user": leader}),
    )
    .await;
    let team = team["id"].as_i64().unwrap();
    ok(
        app,
        "admin",
        "POST",
        &format!("/api/v1/volunteers/teams/{team}/members"),
        json!({"user_id": leader, "skills": "宣传"}),
    )
    .await;
    // The leader adds a neighbour by phone; she signs in to the app with that phone.
    let t = ok(
        app,
        "volunteer",
        "POST",
        &format!("/api/v1/volunteers/teams/{team}/members"),
        json!({"phone": "13700001111", "name": "沈月娥", "skills": "入户走访"}),
    )
    .await;
    assert_eq!(t["members"].as_array().unwrap().len(), 2);
    let (_, r) = app.call(None, "POST", "/api/v1/auth/otp/request", Some(json!({"phone": "13700001111"}))).await;
    let (s, login) = app
        .call(None, "POST", "/api/v1/auth/otp/verify", Some(json!({"phone": "13700001111", "code": r["demo_code"]})))
        .await;
    assert_eq!(s, 200, "{login}");
    assert_eq!(
        (login["user"]["role"].as_str(), login["user"]["display_name"].as_str()),
        (Some("volunteer"), Some("沈月娥"))
    );
    let shen = login["token"].as_str().unwrap().to_owned();
    let (_, mine) = app.call_with_token(Some(&shen), "GET", "/api/v1/me/volunteer", None).await;
    assert_eq!(mine["teams"][0]["name"], "临江社区反诈妈妈团");

    // A two-hour shift at the market, one place, check-in within 200 m.
    let place = (30.2662, 120.5700);
    let shift = ok(
        app,
        "volunteer",
        "POST",
        &format!("/api/v1/volunteers/teams/{team}/shifts"),
        json!({
            "title": "菜市场反诈宣传摊位", "place": "临江农贸市场门口", "lat": place.0, "lng": place.1, "radius_m": 200,
            "starts_at": "2026-06-06T01:00:00Z", "ends_at": "2026-06-06T03:00:00Z", "slots": 1
        }),
    )
    .await;
    let sid = shift["id"].as_i64().unwrap();
    let r = ok(app, "volunteer", "POST", &format!("/api/v1/community/activities/{sid}/signup"), json!({})).await;
    assert_eq!(r["my_status"], "signed");
    let (_, mine) = app.call_with_token(Some(&shen), "GET", "/api/v1/me/volunteer", None).await;
    assert_eq!((mine["shifts"][0]["slots"].as_i64(), mine["shifts"][0]["filled"].as_i64()), (Some(1), Some(1)));

    step_to(app, "2026-06-06T08:55:00").await;
    let code = app.store.activity(sid).await.unwrap().checkin_code;
    let at = |lat: f64| json!({"code": code, "lat": lat, "lng": place.1});
    // Full: no place for a walk-in.
    let (s, e) = app
        .call_with_token(Some(&shen), "POST", &format!("/api/v1/community/activities/{sid}/checkin"), Some(at(place.0)))
        .await;
    assert_eq!((s, e["error"]["code"].as_str()), (409, Some("full")), "{e}");
    // Too far (about 330 m), and without a position.
    let (s, e) = app
        .call(
            Some("volunteer"),
            "POST",
            &format!("/api/v1/community/activities/{sid}/checkin"),
            Some(at(place.0 + 0.003)),
        )
        .await;
    assert_eq!((s, e["error"]["code"].as_str()), (403, Some("too_far")), "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("within 200 m"));
    let (s, _) = app
        .call(
            Some("volunteer"),
            "POST",
            &format!("/api/v1/community/activities/{sid}/checkin"),
            Some(json!({"code": code})),
        )
        .await;
    assert_eq!(s, 422);
    let r =
        ok(app, "volunteer", "POST", &format!("/api/v1/community/activities/{sid}/checkin"), at(place.0 + 0.001)).await;
    assert_eq!(r["checked_in"], true);
    // In at 8:55, out at 10:50: 115 minutes (from check-in, capped at the shift's 120); again refused.
    step_to(app, "2026-06-06T10:50:00").await;
    ok(app, "volunteer", "POST", &format!("/api/v1/volunteers/shifts/{sid}/checkout"), json!({})).await;
    let (s, _) = app.call(Some("volunteer"), "POST", &format!("/api/v1/volunteers/shifts/{sid}/checkout"), None).await;
    assert_eq!(s, 409);
    // Minutes added by hand: never by oneself, never past the shift's length; audited.
    let (s, _) = app
        .call(
            Some("volunteer"),
            "POST",
            &format!("/api/v1/volunteers/shifts/{sid}/minutes"),
            Some(json!({"user_id": leader, "minutes": 10, "reason": "签退晚了"})),
        )
        .await;
    assert_eq!(s, 403);
    let (s, e) = app
        .call(
            Some("admin"),
            "POST",
            &format!("/api/v1/volunteers/shifts/{sid}/minutes"),
            Some(json!({"user_id": leader, "minutes": 10, "reason": "收摊整理"})),
        )
        .await;
    assert_eq!(s, 422, "115 + 10 > 120: {e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("leaves 5 minutes"));
    let r = ok(
        app,
        "admin",
        "POST",
        &format!("/api/v1/volunteers/shifts/{sid}/minutes"),
        json!({"user_id": leader, "minutes": 5, "reason": "收摊整理"}),
    )
    .await;
    assert_eq!((r["roster"][0]["minutes"].as_i64(), r["roster"][0]["added_minutes"].as_i64()), (Some(115), Some(5)));
    let audit = app.store.audit_for("activity", &sid.to_string(), 20).await.unwrap();
    assert!(audit.iter().any(|a| a.entry.action == "shift.add_minutes" && a.entry.detail.contains("收摊整理")));

    // A visit, a patrol report credited to her, the record and the certificate.
    ok(
        app,
        "volunteer",
        "POST",
        "/api/v1/me/volunteer/visits",
        json!({"households": 12, "leaflets": 30, "note": "老年人防诈骗宣传"}),
    )
    .await;
    let (s, c) = app.call(Some("volunteer"), "POST", "/api/v1/cases", Some(json!({
        "category": "BJ0105", "description": "巡查发现井盖破损", "source": "volunteer", "location": {"lat": place.0, "lng": place.1}
    }))).await;
    assert_eq!(s, 201, "{c}");
    assert_eq!(c["source"], "volunteer");
    let (_, mine) = app.call(Some("volunteer"), "GET", "/api/v1/me/volunteer", None).await;
    assert_eq!(
        (mine["hours"].as_f64(), mine["stars"].as_u64(), mine["hours_to_next_star"].as_f64()),
        (Some(2.0), Some(0), Some(98.0))
    );
    assert_eq!(
        (mine["households"].as_i64(), mine["leaflets"].as_i64(), mine["reports"].as_i64()),
        (Some(12), Some(30), Some(1))
    );
    let sources: Vec<&str> = mine["record"].as_array().unwrap().iter().map(|l| l["source"].as_str().unwrap()).collect();
    assert_eq!(sources.len(), 2);
    assert!(sources.contains(&"checkin") && sources.contains(&"leader"));
    // 98 more hours of history make the first star.
    let shifts: Vec<_> = (0..49)
        .map(|i| {
            let start = local("2025-01-04T09:00:00") + chrono::Duration::days(7 * i);
            let a = store::community::Activity {
                kind: "shift".into(),
                team_id: Some(team),
                ends_at: Some(start + chrono::Duration::hours(2)),
                ..store::community::Activity::public(
                    "周末巡防".into(),
                    String::new(),
                    "社区".into(),
                    start,
                    5,
                    format!("c{i}"),
                )
            };
            (a, vec![(leader, Some((start, start + chrono::Duration::hours(2), 120)))])
        })
        .collect();
    app.store.import_volunteering(&shifts, &[], leader, "test", app.now()).await.unwrap();
    let (_, mine) = app.call(Some("volunteer"), "GET", "/api/v1/me/volunteer", None).await;
    assert_eq!(
        (mine["hours"].as_f64(), mine["stars"].as_u64(), mine["hours_to_next_star"].as_f64()),
        (Some(100.0), Some(1), Some(200.0))
    );
    let (s, html) = app.call(Some("volunteer"), "GET", "/api/v1/me/volunteer/certificate", None).await;
    assert_eq!(s, 200);
    let html = html.as_str().unwrap();
    assert!(html.contains("志愿服务证明") && html.contains("100 小时") || html.contains("<b>100</b>"), "{html}");
    assert!(html.contains("反诈入户宣传 12 户"));
    let (s, _) = app.call(Some("resident"), "GET", "/api/v1/me/volunteer", None).await;
    assert_eq!(s, 403);
    let (s, _) = app.call(Some("resident"), "GET", &format!("/api/v1/volunteers/{leader}/certificate"), None).await;
    assert_eq!(s, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn volunteers_check_in_at_the_place_and_earn_hours_sqlite() {
    let app = clocked(false, "2026-06-01T09:00:00").await;
    volunteer_shift(&app).await;
    done(app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn volunteers_check_in_at_the_place_and_earn_hours_postgres() {
    let app = clocked(true, "2026-06-01T09:00:00").await;
    volunteer_shift(&app).await;
    done(app).await;
}

/// Who may read and change what on the new routes: residents read topics and the board but
/// not resolutions, the staff's pickers or the minutes; a grid worker works only their own
/// community; a volunteer manages only the team they lead; the base map needs a sign-in.
async fn who_may(app: &App) {
    ok(
        app,
        "admin",
        "PUT",
        &format!("/api/v1/deliberation/communities/{COMMUNITY}/day"),
        json!({"day_of_month": 15, "time": "19:00", "place": "议事厅", "capacity": 30}),
    )
    .await;
    let meetings = ok(
        app,
        "admin",
        "POST",
        &format!("/api/v1/deliberation/communities/{COMMUNITY}/meetings"),
        json!({"months": 1}),
    )
    .await;
    let meeting = meetings[0]["id"].as_i64().unwrap();
    let grid01 = id_of(app, "grid01").await;
    let t = ok(
        app,
        "resident",
        "POST",
        "/api/v1/deliberation/topics",
        json!({"community": COMMUNITY, "title": "路灯不亮"}),
    )
    .await;
    let topic = t["id"].as_i64().unwrap();
    ok(
        app,
        "grid01",
        "POST",
        &format!("/api/v1/deliberation/topics/{topic}/actions"),
        json!({"action": "schedule", "meeting_id": meeting}),
    )
    .await;
    let t = ok(
        app,
        "grid01",
        "POST",
        &format!("/api/v1/deliberation/topics/{topic}/actions"),
        json!({
        "action": "discuss", "outcome": "更换路灯",
        "resolution": {"title": "更换路灯", "owner": grid01, "due_at": "2026-08-01T10:00:00Z"}}),
    )
    .await;
    let rid = t["resolution_id"].as_i64().unwrap();
    let refused = [
        ("resident", "GET", "/api/v1/deliberation/resolutions".to_owned(), None),
        ("resident", "GET", format!("/api/v1/deliberation/resolutions/{rid}"), None),
        ("resident", "GET", "/api/v1/deliberation/staff".to_owned(), None),
        ("resident", "POST", format!("/api/v1/deliberation/meetings/{meeting}/minutes"), Some(json!({"minutes": "x"}))),
        (
            "resident",
            "POST",
            format!("/api/v1/deliberation/communities/{COMMUNITY}/meetings"),
            Some(json!({"months": 1})),
        ),
        (
            "resident",
            "POST",
            "/api/v1/deliberation/resolutions".to_owned(),
            Some(json!({"parent_id": rid, "title": "x", "owner": grid01, "due_at": "2026-07-01T10:00:00Z"})),
        ),
        (
            "resident",
            "POST",
            format!("/api/v1/deliberation/resolutions/{rid}/actions"),
            Some(json!({"action": "solve"})),
        ),
        ("volunteer", "GET", "/api/v1/volunteers/summary".to_owned(), None),
        ("resident", "GET", "/api/v1/volunteers/teams/1".to_owned(), None),
    ];
    let team = ok(
        app,
        "admin",
        "POST",
        "/api/v1/volunteers/teams",
        json!({"community": COMMUNITY, "kind": "patrol", "name": "平安巡防队"}),
    )
    .await;
    assert_eq!(team["id"], 1);
    for (who, method, path, body) in refused {
        let (s, b) = app.call(Some(who), method, &path, body).await;
        assert_eq!(s, 403, "{who} {method} {path}: {b}");
    }
    // A volunteer who does not lead the team neither reads it nor plans its shifts.
    let (s, _) = app.call(Some("volunteer"), "GET", "/api/v1/volunteers/teams/1", None).await;
    assert_eq!(s, 403);
    let (s, _) = app
        .call(
            Some("volunteer"),
            "POST",
            "/api/v1/volunteers/teams/1/shifts",
            Some(json!({
        "title": "x", "place": "x", "lat": 30.2662, "lng": 120.57, "radius_m": 200,
        "starts_at": "2026-07-01T01:00:00Z", "ends_at": "2026-07-01T03:00:00Z", "slots": 2})),
        )
        .await;
    assert_eq!(s, 403);
    // The community's own grid worker splits off a part.
    let (s, _) = app
        .call(
            Some("grid01"),
            "POST",
            "/api/v1/deliberation/resolutions",
            Some(json!({"parent_id": rid, "title": "清理灯杆", "owner": grid01, "due_at": "2026-07-01T10:00:00Z"})),
        )
        .await;
    assert_eq!(s, 201, "their own community");
    // Residents read their community's topics and the board; the base map needs a sign-in.
    let (s, _) =
        app.call(Some("resident2"), "GET", &format!("/api/v1/deliberation/topics?community={COMMUNITY}"), None).await;
    assert_eq!(s, 200);
    let (s, _) = app.call(None, "GET", "/api/v1/basemap", None).await;
    assert_eq!(s, 401);
    let (s, _) = app.call(Some("resident"), "GET", "/api/v1/basemap", None).await;
    assert_eq!(s, 200);
    // A case's notices and another force's candidates are for the centre.
    let (_, c) = app.call(Some("dispatcher"), "POST", "/api/v1/cases", Some(case_body())).await;
    let (s, _) = app.call(Some("resident"), "GET", &format!("/api/v1/cases/{}/notices", c["id"]), None).await;
    assert_eq!(s, 403);
    let (s, _) = app.call(Some("dispatcher"), "GET", &format!("/api/v1/cases/{}/notices", c["id"]), None).await;
    assert_eq!(s, 200);
    let (s, _) = app
        .call(Some("dispatcher"), "GET", &format!("/api/v1/cases/{}/recommendations?force=army", c["id"]), None)
        .await;
    assert_eq!(s, 422);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn who_may_read_and_change_deliberation_and_volunteering_sqlite() {
    let app = clocked(false, "2026-06-01T09:00:00").await;
    who_may(&app).await;
    done(app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn who_may_read_and_change_deliberation_and_volunteering_postgres() {
    let app = clocked(true, "2026-06-01T09:00:00").await;
    who_may(&app).await;
    done(app).await;
}
