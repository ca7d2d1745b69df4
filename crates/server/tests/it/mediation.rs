//! The mediation studio over HTTP on a clock the test moves: the source's freight-money
//! dispute — about twenty delivery workers against a transport company — from the case to a
//! performed agreement; failure paths; who may do what.

use super::*;
use serde_json::{json, Value};

fn local(s: &str) -> domain::Timestamp {
    chrono::DateTime::parse_from_rfc3339(&format!("{s}+08:00")).unwrap().with_timezone(&chrono::Utc)
}

async fn step_to(app: &App, to: &str) {
    let to = local(to);
    app.advance_and_settle(to - app.now()).await;
}

async fn act(app: &App, id: i64, body: Value) -> Value {
    let (s, m) =
        app.call(Some("mediator"), "POST", &format!("/api/v1/mediations/{id}/actions"), Some(body.clone())).await;
    assert_eq!(s, 200, "{body} → {m}");
    m
}

async fn freight(postgres: bool) {
    let url = if postgres { store::testing::fresh_postgres_url().await } else { store::testing::fresh_sqlite_url() };
    let app = App::start_clocked(&url, &Default::default(), local("2024-03-04T09:00:00")).await;
    // The case: the workers call; the dispatcher sends it to the studio with one step.
    let mut body = case_body();
    body["category"] = json!("SJ1003");
    body["description"] = json!("近20名送货工人向某运输公司催讨运费");
    let (s, case) = app.call(Some("dispatcher"), "POST", "/api/v1/cases", Some(body)).await;
    assert_eq!(s, 201);
    let case_id = case["id"].as_i64().unwrap();
    let (s, m) = app.call(Some("dispatcher"), "POST", &format!("/api/v1/mediations/from-case/{case_id}"), None).await;
    assert_eq!(s, 201, "{m}");
    let id = m["id"].as_i64().unwrap();
    assert_eq!((m["kind"].as_str(), m["case_id"].as_i64()), (Some("freight"), Some(case_id)));
    assert_eq!(m["parties"][0]["name"], "王师傅", "the reporter is the first claimant");
    let (_, c) = app.call(Some("dispatcher"), "GET", &format!("/api/v1/cases/{case_id}"), None).await;
    assert_eq!(c["mediation_id"], id, "linked both ways");
    let (s, _) = app.call(Some("dispatcher"), "POST", &format!("/api/v1/mediations/from-case/{case_id}"), None).await;
    assert_eq!(s, 422, "one mediation per case");
    // The company and nineteen more workers, pasted as a list with a claim each.
    let list: String = (1..20).map(|i| format!("送货工人{i},{},1390000{:04}\n", 35_000 + i * 100, i)).collect();
    let m = act(
        &app,
        id,
        json!({"action": "add_parties",
        "parties": [{"name": "某运输公司", "organisation": true, "representative": "经理 钱某", "claims": []}],
        "claimants": {"text": format!("姓名,金额\n{list}"), "item": "运费"}}),
    )
    .await;
    assert_eq!(m["parties"].as_array().unwrap().len(), 21);
    // Four sessions over four days, offers and counter-offers.
    for (day, offer) in [(4, 500_000.0), (5, 600_000.0), (6, 680_000.0), (7, 720_000.0)] {
        step_to(&app, &format!("2024-03-0{day}T14:00:00")).await;
        act(&app, id, json!({"action": "session", "attended": [0, 1, 2], "record": format!("3月{day}日调解：公司出价{offer}元"),
            "offers": [{"party": 1, "amount": offer, "note": "公司报价"}, {"party": 0, "amount": 760_000.0, "note": "工人要求"}]})).await;
    }
    // The agreement: ¥720,000 — ¥400,000 on the spot, the rest in a month.
    let payments: Vec<Value> = (0..21)
        .filter(|p| *p != 1)
        .map(|p| {
            json!({"payer": 1, "payee": p, "item": "运费及劳务费",
        "amount": 36_000.0, "on_the_spot": 20_000.0, "instalments": [{"due": "2024-04-07", "amount": 16_000.0}]})
        })
        .collect();
    let m = act(
        &app,
        id,
        json!({"action": "agree", "facts": "运输公司拖欠二十名送货工人运费及劳务费",
        "responsibility": "公司承担全部支付责任", "terms": "当场支付40万元，余款于4月7日前付清", "payments": payments}),
    )
    .await;
    assert_eq!(m["status"], "agreed");
    assert_eq!((m["money"]["agreed"].as_f64(), m["money"]["on_the_spot"].as_f64()), (Some(720_000.0), Some(400_000.0)));
    // The company signs on the tablet; each worker types back the code texted to them.
    let mut png = std::io::Cursor::new(Vec::new());
    image::GrayImage::from_fn(120, 40, |x, y| image::Luma([if (x + 2 * y) % 17 < 2 { 0 } else { 255 }]))
        .write_to(&mut png, image::ImageFormat::Png)
        .unwrap();
    let token = app.token("mediator").await;
    let signed = app
        .http
        .post(app.url(&format!("/api/v1/mediations/{id}/signature?party=1")))
        .bearer_auth(&token)
        .body(png.into_inner())
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), 200);
    let (s, e) = app
        .call(
            Some("mediator"),
            "POST",
            &format!("/api/v1/mediations/{id}/actions"),
            Some(json!({"action": "confirm", "party": 0, "how": "sms_code", "code": "000000"})),
        )
        .await;
    assert_eq!(s, 422, "no code was sent: {e}");
    for p in (0..21).filter(|p| *p != 1) {
        let m = act(&app, id, json!({"action": "send_code", "party": p})).await;
        let phone = m["parties"][p]["phone"].as_str().unwrap().to_owned();
        let sms = app.store.outbox_to_phone(&phone, 5).await.unwrap();
        let code: String = sms[0].body.chars().filter(char::is_ascii_digit).take(6).collect();
        let (s, _) = app
            .call(
                Some("mediator"),
                "POST",
                &format!("/api/v1/mediations/{id}/actions"),
                Some(json!({"action": "confirm", "party": p, "how": "sms_code", "code": "999999x"})),
            )
            .await;
        assert_eq!(s, 422, "a wrong code is refused");
        act(&app, id, json!({"action": "confirm", "party": p, "how": "sms_code", "code": code})).await;
    }
    let (_, files) = app.call(Some("mediator"), "GET", &format!("/api/v1/mediations/{id}/files"), None).await;
    assert_eq!(files[0]["purpose"], "signature:1");
    let m = act(&app, id, json!({"action": "mediator_confirm"})).await;
    assert_eq!(m["judicial_until"], "2024-04-06T06:00:00.000Z", "30 days from taking effect");
    // The printable agreement: one copy per party and one for the committee.
    let token = app.token("mediator").await;
    let html = app
        .http
        .get(app.url(&format!("/api/v1/mediations/{id}/agreement")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(html.matches("人民调解协议书</h1>").count(), 22);
    assert!(html.contains("¥36000.00") && html.contains("2024年04月07日 ¥16000.00"), "the payments and when");
    assert!(html.contains("已签名") && html.contains("短信确认"), "how each party confirmed");
    let app_form = app
        .http
        .get(app.url(&format!("/api/v1/mediations/{id}/judicial-application")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        app_form.contains("司法确认申请书") && app_form.contains("某运输公司") && app_form.contains("2024年03月07日"),
        "pre-filled from the agreement"
    );
    // The visit; nineteen instalments paid on time, one missed: escalated once, to the mediators.
    step_to(&app, "2024-03-14T10:00:00").await;
    act(&app, id, json!({"action": "record_follow_up", "follow_up": 0, "note": "首笔款项已到账，双方无异议"})).await;
    step_to(&app, "2024-04-06T10:00:00").await;
    for p in 0..19 {
        act(&app, id, json!({"action": "pay", "payment": p, "instalment": 0})).await;
    }
    step_to(&app, "2024-04-09T10:00:00").await;
    let (_, m) = app.call(Some("mediator"), "GET", &format!("/api/v1/mediations/{id}"), None).await;
    let escalated: Vec<&str> = m["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "escalate")
        .filter_map(|e| e["duty"].as_str())
        .collect();
    assert_eq!(escalated, ["instalment:19:0", "perform"]);
    assert_eq!(m["money"]["overdue"].as_f64(), Some(16_000.0));
    let mediator = app.store.user_by_name("mediator").await.unwrap().id;
    assert!(app
        .store
        .outbox_for_user(mediator, app.now(), 10)
        .await
        .unwrap()
        .iter()
        .any(|n| n.subject.contains("调解")));
    let m = act(&app, id, json!({"action": "pay", "payment": 19, "instalment": 0})).await;
    assert_eq!(m["status"], "performed");
    assert!(m["duties"].as_array().unwrap().iter().all(|d| d["state"] == "kept"), "{}", m["duties"]);
    // The figures are queries over what happened.
    let (s, st) = app
        .call(
            Some("leader"),
            "GET",
            "/api/v1/stats/mediation?from=2024-03-01T00:00:00%2B08:00&to=2024-05-01T00:00:00%2B08:00",
            None,
        )
        .await;
    assert_eq!(s, 200, "{st}");
    assert_eq!(st["money"]["agreed"], 720_000.0);
    assert_eq!(st["money"]["on_the_spot"], 400_000.0);
    assert_eq!(st["money"]["paid_later"], 320_000.0);
    assert_eq!((st["success"]["numerator"].as_i64(), st["success"]["denominator"].as_i64()), (Some(1), Some(1)));
    assert_eq!(st["performance"]["rate"], 1.0);
    assert!(matches!(app.store.verify_audit().await.unwrap(), store::AuditReport::Intact { .. }));
    assert!(app.store.open_matters_owing_nothing().await.unwrap().is_empty());
    let url = app.halt().await;
    store::testing::discard(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_freight_money_dispute_sqlite() {
    freight(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_freight_money_dispute_postgres() {
    freight(true).await;
}

both_backends! {
    failures_bad_input_and_who_may(app) {
        let grid = "330114004001001";
        let walk_in = json!({"source": "walk_in", "kind": "neighbours", "summary": "楼上漏水引发邻里纠纷", "grid": grid,
            "parties": [{"name": "张先生", "claimant": true, "phone": "13800001234", "claims": [{"item": "维修费", "amount": 3000.0}]},
                        {"name": "李女士", "phone": "13900005678"}]});
        for (who, status) in [("resident", 403), ("grid01", 403), ("dispatcher", 403)] {
            let (s, _) = app.call(Some(who), "POST", "/api/v1/mediations", Some(walk_in.clone())).await;
            assert_eq!(s, status, "{who}");
        }
        let (s, m) = app.call(Some("mediator"), "POST", "/api/v1/mediations", Some(walk_in)).await;
        assert_eq!(s, 201, "{m}");
        let id = m["id"].as_i64().unwrap();
        assert_eq!(m["parties"][0]["phone"], "13800001234", "the mediator reaches the parties");
        let (_, seen) = app.call(Some("leader"), "GET", &format!("/api/v1/mediations/{id}"), None).await;
        assert_eq!(seen["parties"][0]["phone"], "138****1234", "masked for others");
        for bad in [
            json!({"action": "agree", "facts": "x", "terms": "y", "payments": [{"payer": 1, "payee": 0, "item": "维修费", "amount": 3000.0, "on_the_spot": 1000.0}]}),
            json!({"action": "session", "attended": [7], "record": "x"}),
            json!({"action": "fail", "reason": "tired", "note": "x"}),
            json!({"action": "extend", "days": 200, "consent": "双方同意"}),
            json!({"action": "confirm", "party": 0, "how": "paper"}),
        ] {
            let (s, e) = app.call(Some("mediator"), "POST", &format!("/api/v1/mediations/{id}/actions"), Some(bad.clone())).await;
            assert!((400..500).contains(&s), "{bad} → {s} {e}");
        }
        let (_, same) = app.call(Some("mediator"), "GET", &format!("/api/v1/mediations/{id}"), None).await;
        assert_eq!(same["version"], 1, "nothing changed");
        let m = act(app, id, json!({"action": "extend", "days": 15, "consent": "双方当庭同意延期"})).await;
        assert_eq!(m["extension_days"], 15);
        let m = act(app, id, json!({"action": "fail", "reason": "referred", "note": "金额争议大，引导至法院诉讼"})).await;
        assert_eq!((m["status"].as_str(), m["failure"][0].as_str()), (Some("failed"), Some("referred")));
        assert!(m["duties"].as_array().unwrap().iter().all(|d| d["state"] != "open"));
        let (s, _) = app.call(Some("leader"), "POST", &format!("/api/v1/mediations/{id}/actions"), Some(json!({"action": "session", "attended": [], "record": "x"}))).await;
        assert_eq!(s, 403, "leaders read, mediators work");
    }
}
