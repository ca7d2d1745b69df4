//! Food safety over HTTP on a clock the test moves: the register (one and a CSV import), an
//! inspection with nine general failures → 不符合 → hazards with deadlines → one rectified with
//! evidence, the rest overdue and escalated → re-inspection → grade; a key item sent to the
//! market regulator as a case; the random draw re-run from its seed; the public side.

use super::*;
use serde_json::{json, Value};

fn local(s: &str) -> domain::Timestamp {
    chrono::DateTime::parse_from_rfc3339(&format!("{s}+08:00")).unwrap().with_timezone(&chrono::Utc)
}

async fn step_to(app: &App, to: &str) {
    let to = local(to);
    app.advance_and_settle(to - app.now()).await;
}

fn png() -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image::RgbImage::from_pixel(6, 6, image::Rgb([200, 180, 160])).write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

async fn photo(app: &App, who: &str, id: i64) -> i64 {
    let token = app.token(who).await;
    let r = app
        .http
        .post(app.url(&format!("/api/v1/food/businesses/{id}/files")))
        .bearer_auth(&token)
        .body(png())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    r.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

async fn answers(app: &App, failed: &[&str], photo_for_failed: Option<i64>) -> Vec<Value> {
    let (_, list) = app.call(Some("grid01"), "GET", "/api/v1/food/checklist", None).await;
    list.as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let code = i["code"].as_str().unwrap();
            let fail = failed.contains(&code);
            json!({"code": code, "pass": !fail, "note": if fail { Some("现场发现问题") } else { None }, "photos": if fail { photo_for_failed.into_iter().collect::<Vec<_>>() } else { vec![] }})
        })
        .collect()
}

async fn food_on(postgres: bool) {
    let url = if postgres { store::testing::fresh_postgres_url().await } else { store::testing::fresh_sqlite_url() };
    let app = App::start_clocked(&url, &Default::default(), local("2024-05-06T09:00:00")).await;
    let (s, b) = app
        .call(
            Some("grid01"),
            "POST",
            "/api/v1/food/businesses",
            Some(json!({
        "name": "港湾小吃", "licence_no": "JY23301140012345", "licensed_on": "2023-01-10", "kind": "restaurant",
        "address": "传化公路港A区12号", "grid": "330114004001001", "lat": 30.2662, "lng": 120.5700,
        "person_in_charge": "陈老板", "phone": "13900001111", "scale": "40座", "risk": "C"})),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let id = b["id"].as_i64().unwrap();
    assert_eq!(b["next_due"], "2024-09-04T01:00:00.000Z", "a C business is inspected every 121 days");
    // Its grid by name, in both languages the pages read.
    let grid = &app.state.grids[&domain::codes::GridCode::parse("330114004001001").unwrap()];
    assert_eq!(
        (b["grid_name"].as_str(), b["grid_name_en"].as_str()),
        (Some(grid.name_zh.as_str()), Some(grid.name_en.as_str()))
    );
    // A CSV import: all or nothing.
    let csv = "name,licence_no,kind,address,grid,person_in_charge,phone,scale,risk,licensed_on\n\
               园区食堂,JY23301140020001,canteen,传化公路港B区,330114004001001,王经理,13900002222,300人,D,2022-06-01\n\
               兴围小卖部,JY23301140020002,shop,兴围村12号,330114004001001,李阿姨,13900003333,20平方米,A,2021-03-15\n";
    let token = app.token("grid01").await;
    let r =
        app.http.post(app.url("/api/v1/food/businesses/import")).bearer_auth(&token).body(csv).send().await.unwrap();
    assert_eq!(r.status(), 201);
    let dup = format!("{csv}重复店,JY23301140012345,shop,某地,330114004001001,某人,13900004444,10座,B,2020-01-01\n");
    let r =
        app.http.post(app.url("/api/v1/food/businesses/import")).bearer_auth(&token).body(dup).send().await.unwrap();
    assert_eq!(r.status(), 409, "a licence already registered");
    let bad = "name,licence_no\n坏行,JY1\n";
    let r =
        app.http.post(app.url("/api/v1/food/businesses/import")).bearer_auth(&token).body(bad).send().await.unwrap();
    assert_eq!(r.status(), 422);
    let (_, list) = app.call(Some("dispatcher"), "GET", "/api/v1/food/businesses", None).await;
    assert_eq!(list.as_array().unwrap().len(), 3);
    // Nine general items failed: 不符合, nine hazards to rectify in 15 days, the business texted.
    step_to(&app, "2024-05-08T10:00:00").await;
    let before = photo(&app, "grid01", id).await;
    let nine = ["1.2", "2.2", "2.3", "3.3", "4.2", "4.3", "5.1", "5.2", "6.1"];
    let (s, b) = app
        .call(
            Some("grid01"),
            "POST",
            &format!("/api/v1/food/businesses/{id}/inspections"),
            Some(json!({"results": answers(&app, &nine, Some(before)).await})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["inspections"][0]["outcome"], "non_compliant");
    assert_eq!(b["face"], "poor");
    assert_eq!(b["open_hazards"], 9);
    assert_eq!(b["hazards"][0]["deadline"], "2024-05-23T02:00:00Z");
    let sms = app.store.outbox_to_phone("13900001111", 5).await.unwrap();
    assert!(sms[0].body.contains("不符合") && sms[0].body.contains("限期整改"), "{}", sms[0].body);
    // One rectified with photos before and after, confirmed by its supervisor only.
    step_to(&app, "2024-05-15T15:00:00").await;
    let after = photo(&app, "grid01", id).await;
    let (s, _) = app
        .call(
            Some("station1"),
            "POST",
            &format!("/api/v1/food/businesses/{id}/hazards/0/rectify"),
            Some(json!({"after": [after]})),
        )
        .await;
    assert_eq!(s, 422, "not the supervisor");
    let (s, _) = app
        .call(
            Some("grid01"),
            "POST",
            &format!("/api/v1/food/businesses/{id}/hazards/0/rectify"),
            Some(json!({"after": []})),
        )
        .await;
    assert_eq!(s, 422, "no evidence after");
    let (s, b) = app
        .call(
            Some("grid01"),
            "POST",
            &format!("/api/v1/food/businesses/{id}/hazards/0/rectify"),
            Some(json!({"after": [after]})),
        )
        .await;
    assert_eq!((s, b["open_hazards"].as_i64()), (200, Some(8)));
    // The rest overdue: each escalated once, the grid workers told.
    step_to(&app, "2024-05-24T09:00:00").await;
    let (_, full) = app.call(Some("grid01"), "GET", &format!("/api/v1/food/businesses/{id}"), None).await;
    let escalated: Vec<&str> = full["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "escalate")
        .filter_map(|e| e["duty"].as_str())
        .collect();
    // Eight hazards, and the re-inspection that was due with them.
    assert_eq!(escalated.len(), 9, "{escalated:?}");
    assert!(escalated.contains(&"inspect") && !escalated.contains(&"hazard:0"));
    assert_eq!(escalated.iter().filter(|d| d.starts_with("hazard:")).count(), 8);
    let grid01 = app.store.user_by_name("grid01").await.unwrap().id;
    assert!(app
        .store
        .outbox_for_user(grid01, app.now(), 20)
        .await
        .unwrap()
        .iter()
        .any(|n| n.body.contains("逾期未整改")));
    assert_eq!(full["overdue_hazards"], 8);
    // The re-inspection finds everything in order: 符合 today, but the year's grade stays poor.
    let fixes: Vec<i64> = {
        let mut v = vec![];
        for _ in 0..1 {
            v.push(photo(&app, "grid01", id).await);
        }
        v
    };
    for h in 1..9 {
        let (s, e) = app
            .call(
                Some("grid01"),
                "POST",
                &format!("/api/v1/food/businesses/{id}/hazards/{h}/rectify"),
                Some(json!({"after": fixes})),
            )
            .await;
        assert_eq!(s, 200, "{e}");
    }
    let (_, b) = app
        .call(
            Some("grid01"),
            "POST",
            &format!("/api/v1/food/businesses/{id}/inspections"),
            Some(json!({"results": answers(&app, &[], None).await})),
        )
        .await;
    assert_eq!(
        (b["face"].as_str(), b["grade"].as_str(), b["open_hazards"].as_i64()),
        (Some("good"), Some("poor"), Some(0))
    );
    let timeline: Vec<String> = full_timeline(&app, id).await;
    assert!(
        timeline.iter().any(|t| t.contains("不符合")) && timeline.iter().any(|t| t.contains("已整改")),
        "{timeline:?}"
    );
    // A key item (health certificates) at the canteen: sent to the market regulator as a case.
    let canteen = list.as_array().unwrap().iter().find(|x| x["name"] == "园区食堂").unwrap()["id"].as_i64().unwrap();
    let (s, b) = app
        .call(
            Some("grid01"),
            "POST",
            &format!("/api/v1/food/businesses/{canteen}/inspections"),
            Some(json!({"results": answers(&app, &["2.1"], None).await})),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(b["inspections"][0]["stop_operating"], true);
    let case_id = b["hazards"][0]["case_id"].as_i64();
    assert_eq!(case_id, None, "the canteen has no location: no case can be placed");
    let (_, b) = app
        .call(
            Some("grid01"),
            "POST",
            &format!("/api/v1/food/businesses/{id}/inspections"),
            Some(json!({"results": answers(&app, &["3.2"], None).await})),
        )
        .await;
    let case_id =
        b["hazards"].as_array().unwrap().last().unwrap()["case_id"].as_i64().expect("a case for the regulator");
    let (s, c) = app.call(Some("dispatcher"), "GET", &format!("/api/v1/cases/{case_id}"), None).await;
    assert_eq!((s, c["category"].as_str(), c["priority"].as_str()), (200, Some("SJ0601"), Some("high")));
    // The random draw, re-run from its published seed.
    let (s, d) = app.call(Some("leader"), "POST", "/api/v1/food/draws", Some(json!({"n": 2}))).await;
    assert_eq!(s, 201, "{d}");
    let seed: u64 = d["seed"].as_str().unwrap().parse().unwrap();
    let ids = app.store.business_ids().await.unwrap();
    let inspectors: Vec<i64> = app
        .store
        .users()
        .await
        .unwrap()
        .into_iter()
        .filter(|u| u.role == domain::role::Role::GridWorker)
        .map(|u| u.id)
        .collect();
    let again = domain::food::draw(&ids, &inspectors, 2, seed);
    let drawn: Vec<(i64, i64)> = d["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["business"].as_i64().unwrap(), p["inspector"].as_i64().unwrap()))
        .collect();
    assert_eq!(drawn, again);
    let audit = app.store.audit_for("food_draw", &d["id"].as_i64().unwrap().to_string(), 5).await.unwrap();
    assert!(audit[0].entry.detail.contains(&seed.to_string()));
    // The public side: the face and the date, no contact.
    let (s, p) = app.call(None, "GET", "/api/v1/food/public?q=%E6%B8%AF%E6%B9%BE", None).await;
    assert_eq!(s, 200);
    assert_eq!(
        (p[0]["name"].as_str(), p[0]["face"].as_str(), p[0]["last_inspected_on"].as_str()),
        (Some("港湾小吃"), Some("poor"), Some("2024-05-24"))
    );
    assert!(!p.to_string().contains("13900001111"));
    let csv = app.http.get(app.url("/api/v1/food/open-data.csv")).send().await.unwrap().text().await.unwrap();
    assert!(csv.starts_with('\u{feff}') && csv.contains("港湾小吃") && csv.contains("non_compliant"));
    assert!(!csv.contains("13900001111") && !csv.contains("陈老板"));
    let (s, st) = app.call(Some("leader"), "GET", "/api/v1/stats/food", None).await;
    assert_eq!(s, 200, "{st}");
    assert_eq!(
        (st["businesses"].as_i64(), st["by_grade"]["poor"].as_i64(), st["by_grade"]["none"].as_i64()),
        (Some(3), Some(2), Some(1)),
        "港湾 and the canteen poor, the shop not yet inspected"
    );
    assert_eq!(st["hazards_open"].as_i64(), Some(2), "the canteen's and the shop's key items");
    // Who may: residents see nothing of the register; dispatchers read but do not inspect.
    let (s, _) = app.call(Some("resident"), "GET", "/api/v1/food/businesses", None).await;
    assert_eq!(s, 403);
    let (s, _) = app
        .call(
            Some("dispatcher"),
            "POST",
            &format!("/api/v1/food/businesses/{id}/inspections"),
            Some(json!({"results": []})),
        )
        .await;
    assert_eq!(s, 403);
    let (s, _) = app
        .call(
            Some("grid01"),
            "POST",
            &format!("/api/v1/food/businesses/{id}/inspections"),
            Some(json!({"results": answers(&app, &[], None).await[1..]})),
        )
        .await;
    assert_eq!(s, 422, "every item answered");
    assert!(app.store.open_matters_owing_nothing().await.unwrap().is_empty());
    assert!(matches!(app.store.verify_audit().await.unwrap(), store::AuditReport::Intact { .. }));
    let url = app.halt().await;
    store::testing::discard(&url).await;
}

async fn full_timeline(app: &App, id: i64) -> Vec<String> {
    let (_, full) = app.call(Some("grid01"), "GET", &format!("/api/v1/food/businesses/{id}"), None).await;
    full["timeline"].as_array().unwrap().iter().map(|t| t["text"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn food_safety_sqlite() {
    food_on(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn food_safety_postgres() {
    food_on(true).await;
}
