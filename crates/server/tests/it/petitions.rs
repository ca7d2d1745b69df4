//! Petitions (信访) over HTTP on a clock the test moves: the culvert letter of the source
//! from registration through commitments and follow-ups to closing, six months in a few
//! seconds; refusal, extension and review; repeats; who sees what.

use super::*;
use serde_json::{json, Value};

/// An instant in the street's time.
fn local(s: &str) -> domain::Timestamp {
    chrono::DateTime::parse_from_rfc3339(&format!("{s}+08:00")).unwrap().with_timezone(&chrono::Utc)
}

/// Moves the clock to `to` and waits until the deadline runner has handled everything due.
async fn step_to(app: &App, to: &str) {
    let to = local(to);
    assert!(to >= app.now(), "the test's clock only moves forward");
    app.advance_and_settle(to - app.now()).await;
}

async fn user_id(app: &App, name: &str) -> i64 {
    app.store.user_by_name(name).await.unwrap().id
}

async fn act(app: &App, who: &str, id: i64, body: Value) -> Value {
    let (s, p) = app.call(Some(who), "POST", &format!("/api/v1/petitions/{id}/actions"), Some(body.clone())).await;
    assert_eq!(s, 200, "{body} → {p}");
    p
}

fn letter() -> Value {
    json!({
        "channel": "letter", "class": "demand", "topic": "drainage",
        "matter": "村口涵洞排水不畅，雨天积水漫进农户家中（手写来信扫描件已附）",
        "demand": "尽快疏通涵洞，解决积水",
        "location": {"lat": 30.2662, "lng": 120.5700}, "address": "临江街道某村村口涵洞",
        "petitioners": [{"name": "陈阿姨", "phone": "13912345678"}]
    })
}

fn alerts(p: &Value, action: &str) -> Vec<String> {
    p["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == action)
        .map(|e| e["duty"].as_str().unwrap().to_owned())
        .collect()
}

fn duty<'a>(p: &'a Value, name: &str) -> &'a Value {
    p["duties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == name)
        .unwrap_or_else(|| panic!("no duty {name}: {}", p["duties"]))
}

async fn culvert(app: &App) {
    let officer = user_id(app, "petition").await;
    let grid_worker = user_id(app, "grid01").await;
    // Jan 8: the handwritten letter arrives and is registered.
    let (s, p) = app.call(Some("petition"), "POST", "/api/v1/petitions", Some(letter())).await;
    assert_eq!(s, 201, "{p}");
    let id = p["id"].as_i64().unwrap();
    assert_eq!(p["status"], "registered");
    assert_eq!(p["petitioners"][0]["name"], "陈**", "masked");
    assert_eq!(p["petitioners"][0]["phone"], "139****5678");
    assert_eq!(
        duty(&p, "assign")["due_at"].as_str().unwrap(),
        "2024-01-23T16:00:00.000Z",
        "15 days, to the end of Jan 23"
    );
    // Jan 9: assigned; the petitioner is told who handles it.
    step_to(app, "2024-01-09T10:00:00").await;
    act(app, "petition", id, json!({"action": "assign", "body": "临江街道城建办", "officer": officer})).await;
    let sms = app.store.outbox_to_phone("13912345678", 10).await.unwrap();
    assert!(sms.iter().any(|m| m.body.contains("临江街道城建办") && m.body.contains("经办人petition")), "{sms:?}");
    // Jan 10: accepted: a written reply within 60 days, to the end of Mar 11 (Mar 10 is a Sunday).
    step_to(app, "2024-01-10T09:00:00").await;
    let p = act(app, "petition", id, json!({"action": "accept"})).await;
    assert_eq!(p["reply_due"], "2024-03-11T16:00:00.000Z");
    // Jan 12: the first survey finds a broken conduit; the reply promises the repair by Jan 16.
    step_to(app, "2024-01-12T15:00:00").await;
    act(
        app,
        "petition",
        id,
        json!({"action": "reply", "text": "经1月12日实地勘察，涵洞内管道破损堵塞，责成施工方于1月16日前修复。"}),
    )
    .await;
    let p = act(
        app,
        "petition",
        id,
        json!({"action": "commit", "what": "施工方修复破损管道", "due_at": "2024-01-16", "owner": grid_worker}),
    )
    .await;
    assert_eq!(p["status"], "replied");
    let (s, closed) = app
        .call(Some("petition"), "POST", &format!("/api/v1/petitions/{id}/actions"), Some(json!({"action": "close"})))
        .await;
    assert_eq!(s, 422, "a commitment is open: {closed}");
    assert!(closed["error"]["message"].as_str().unwrap().contains("施工方修复破损管道"));
    // Jan 16: repaired by the builder (the commitment's owner, the grid worker, marks it).
    step_to(app, "2024-01-16T11:00:00").await;
    act(app, "grid01", id, json!({"action": "keep_commitment", "commitment": 0})).await;
    // Jan 17: the on-site review agrees two sedimentation wells, completion mid-July.
    step_to(app, "2024-01-17T10:00:00").await;
    act(
        app,
        "petition",
        id,
        json!({"action": "commit", "what": "新建两处沉淀井", "due_at": "2024-07-15", "owner": grid_worker}),
    )
    .await;
    // The follow-ups after the reply and after the repair, made on time.
    step_to(app, "2024-01-19T10:00:00").await;
    act(
        app,
        "petition",
        id,
        json!({"action": "record_follow_up", "follow_up": 0, "how": "phone", "said": "积水已明显减少"}),
    )
    .await;
    step_to(app, "2024-01-23T10:00:00").await;
    act(
        app,
        "petition",
        id,
        json!({"action": "record_follow_up", "follow_up": 1, "how": "visit", "said": "管道修好了，谢谢"}),
    )
    .await;
    // The officer schedules a visit for Apr 18 — and makes it two days late: escalated once.
    let p = act(app, "petition", id, json!({"action": "schedule_follow_up", "due_at": "2024-04-18"})).await;
    let visit = p["follow_ups"].as_array().unwrap().len() - 1;
    step_to(app, "2024-04-20T09:00:00").await;
    let (_, p) = app.call(Some("petition"), "GET", &format!("/api/v1/petitions/{id}"), None).await;
    assert_eq!(alerts(&p, "escalate"), [format!("follow_up:{visit}")]);
    // Named so that pages can say it in their language: the supervision by its username,
    // people beside their roles.
    let steps = p["steps"].as_array().unwrap();
    assert!(steps.iter().filter(|e| e["action"] == "escalate").all(|e| e["actor"] == "deadline-runner"), "{p}");
    assert_eq!(p["officer_role"], "petition_officer");
    assert!(p["commitments"].as_array().unwrap().iter().all(|k| k["owner_role"].is_string()), "{p}");
    let visited = p["follow_ups"].as_array().unwrap().iter().find(|f| !f["done_at"].is_null()).unwrap();
    assert_eq!(visited["by_role"], "petition_officer");
    assert_eq!(duty(&p, &format!("follow_up:{visit}"))["level"], 1);
    let told = app.store.outbox_for_user(officer, app.now(), 20).await.unwrap();
    assert!(told.iter().any(|m| m.subject.contains("信访事项") && m.body.contains("回访")), "{told:?}");
    act(
        app,
        "petition",
        id,
        json!({"action": "record_follow_up", "follow_up": visit, "how": "visit", "said": "沉淀井正在施工"}),
    )
    .await;
    // Mid-July: the wells are finished on time, the last follow-up made, the loop closed.
    step_to(app, "2024-07-12T16:00:00").await;
    act(app, "grid01", id, json!({"action": "keep_commitment", "commitment": 1})).await;
    step_to(app, "2024-07-22T10:00:00").await;
    let (_, p) = app.call(Some("petition"), "GET", &format!("/api/v1/petitions/{id}"), None).await;
    let last = p["follow_ups"].as_array().unwrap().iter().position(|f| f["done_at"].is_null()).unwrap();
    act(
        app,
        "petition",
        id,
        json!({"action": "record_follow_up", "follow_up": last, "how": "visit", "said": "雨季没有再积水"}),
    )
    .await;
    let p = act(app, "petition", id, json!({"action": "close"})).await;
    assert_eq!(p["status"], "closed");
    // Every duty was reminded at most once and escalated at most once; nothing is owed now.
    for kind in ["warn", "escalate"] {
        let mut fired = alerts(&p, kind);
        let n = fired.len();
        fired.sort();
        fired.dedup();
        assert_eq!(fired.len(), n, "{kind} fired twice for one duty: {:?}", alerts(&p, kind));
    }
    assert!(alerts(&p, "warn").contains(&"commitment:1".to_owned()), "the wells were reminded before mid-July");
    assert!(
        p["duties"].as_array().unwrap().iter().all(|d| d["state"] == "kept" || d["state"] == "dropped"),
        "{}",
        p["duties"]
    );
    assert!(app.store.open_matters_owing_nothing().await.unwrap().is_empty());
    assert!(matches!(app.store.verify_audit().await.unwrap(), store::AuditReport::Intact { .. }));
    let audit = app.store.audit_for("petition", &id.to_string(), 100).await.unwrap();
    assert!(audit.iter().any(|r| r.entry.action == "petition.close"));
}

async fn culvert_on(postgres: bool) {
    let url = if postgres { store::testing::fresh_postgres_url().await } else { store::testing::fresh_sqlite_url() };
    let app = App::start_clocked(&url, &Default::default(), local("2024-01-08T09:00:00")).await;
    culvert(&app).await;
    let url = app.halt().await;
    store::testing::discard(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_culvert_letter_closes_its_loop_in_six_months_sqlite() {
    culvert_on(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_culvert_letter_closes_its_loop_in_six_months_postgres() {
    culvert_on(true).await;
}

both_backends! {
    refusal_extension_review_repeats_and_who_sees_what(app) {
        let (s, p) = app.call(Some("petition"), "POST", "/api/v1/petitions", Some(letter())).await;
        assert_eq!(s, 201);
        let id = p["id"].as_i64().unwrap();
        let officer = user_id(app, "petition").await;
        let leader = user_id(app, "leader").await;
        // Bad input: a clear 4xx, nothing changes.
        for bad in [
            json!({"action": "fly"}),
            json!({"action": "assign", "body": "城建办"}),
            json!({"action": "extend", "days": 10, "reason": "x", "approved_by": leader}),
            json!({"action": "commit", "what": "x", "due_at": "someday", "owner": officer}),
        ] {
            let (s, e) = app.call(Some("petition"), "POST", &format!("/api/v1/petitions/{id}/actions"), Some(bad.clone())).await;
            assert!((400..500).contains(&s), "{bad} → {s} {e}");
        }
        let (_, same) = app.call(Some("petition"), "GET", &format!("/api/v1/petitions/{id}"), None).await;
        assert_eq!(same["version"], 1);
        // Extension: approved by a leader, at most 30 days, once; the petitioner is told why.
        act(app, "petition", id, json!({"action": "assign", "body": "城建办", "officer": officer})).await;
        let p = act(app, "petition", id, json!({"action": "accept"})).await;
        let due = chrono::DateTime::parse_from_rfc3339(p["reply_due"].as_str().unwrap()).unwrap();
        let (s, _) = app.call(Some("petition"), "POST", &format!("/api/v1/petitions/{id}/actions"),
            Some(json!({"action": "extend", "days": 20, "reason": "自批", "approved_by": officer}))).await;
        assert_eq!(s, 403, "an officer does not approve their own extension");
        let p = act(app, "petition", id, json!({"action": "extend", "days": 20, "reason": "需第三方检测", "approved_by": leader})).await;
        let later = chrono::DateTime::parse_from_rfc3339(p["reply_due"].as_str().unwrap()).unwrap();
        assert!(later - due >= chrono::Duration::days(20));
        let sms = app.store.outbox_to_phone("13912345678", 10).await.unwrap();
        assert!(sms.iter().any(|m| m.body.contains("需第三方检测")));
        // Review, then re-review; a new letter of the same person is then flagged and refused.
        act(app, "petition", id, json!({"action": "reply", "text": "答复意见"})).await;
        act(app, "petition", id, json!({"action": "request_review"})).await;
        act(app, "leader", id, json!({"action": "decide_review", "result": "维持原答复"})).await;
        act(app, "petition", id, json!({"action": "request_review"})).await;
        let p = act(app, "leader", id, json!({"action": "decide_review", "result": "复核维持"})).await;
        assert_eq!(p["status"], "re_reviewed");
        let (_, again) = app.call(Some("petition"), "POST", "/api/v1/petitions", Some(letter())).await;
        assert_eq!(again["repeat_of"], json!([id]));
        assert_eq!(again["after_re_review"], true);
        let again_id = again["id"].as_i64().unwrap();
        act(app, "petition", again_id, json!({"action": "assign", "body": "城建办", "officer": officer})).await;
        let (s, e) = app.call(Some("petition"), "POST", &format!("/api/v1/petitions/{again_id}/actions"), Some(json!({"action": "accept"}))).await;
        assert_eq!(s, 422, "{e}");
        let p = act(app, "petition", again_id, json!({"action": "refuse", "reason": "已经复核终结", "route": "不再受理，可向人民法院起诉"})).await;
        assert_eq!(p["status"], "refused");
        // Who sees what: the dispatcher is not told the petition exists; the office sees
        // the petitioners only through the audited route.
        let (s, _) = app.call(Some("dispatcher"), "GET", &format!("/api/v1/petitions/{id}"), None).await;
        assert_eq!(s, 404);
        let (s, list) = app.call(Some("dispatcher"), "GET", "/api/v1/petitions", None).await;
        assert_eq!((s, list.as_array().map(Vec::len)), (200, Some(0)));
        let (s, _) = app.call(Some("resident"), "GET", "/api/v1/petitions", None).await;
        assert_eq!(s, 403);
        let (s, who) = app.call(Some("petition"), "GET", &format!("/api/v1/petitions/{id}/petitioners"), None).await;
        assert_eq!((s, who[0]["phone"].as_str()), (200, Some("13912345678")));
        let audit = app.store.audit_for("petition", &id.to_string(), 50).await.unwrap();
        assert!(audit.iter().any(|r| r.entry.action == "petitioners.view"));
        let (s, _) = app.call(Some("leader"), "GET", &format!("/api/v1/petitions/{id}/petitioners"), None).await;
        assert_eq!(s, 200);
        let (s, _) = app.call(Some("admin"), "GET", &format!("/api/v1/petitions/{id}/petitioners"), None).await;
        assert_eq!(s, 403);
    }

    a_resident_follows_their_own_petition(app) {
        // Filed in the app: the channel is the app's, the petition the resident's own.
        let mut body = letter();
        body["channel"] = json!("letter");
        let (s, p) = app.call(Some("resident"), "POST", "/api/v1/petitions", Some(body)).await;
        assert_eq!(s, 201, "{p}");
        assert_eq!(p["channel"], "resident_app");
        let id = p["id"].as_i64().unwrap();
        let (_, mine) = app.call(Some("resident2"), "GET", "/api/v1/me/petitions", None).await;
        assert_eq!(mine.as_array().unwrap().len(), 0, "another resident sees nothing");
        let (s, _) = app.call(Some("resident2"), "GET", &format!("/api/v1/petitions/{id}"), None).await;
        assert_eq!(s, 404);
        let officer = user_id(app, "petition").await;
        act(app, "petition", id, json!({"action": "assign", "body": "临江街道城建办", "officer": officer, "note": "内部：该户曾多次来访"})).await;
        act(app, "petition", id, json!({"action": "accept"})).await;
        let (s, _) = app.call(Some("resident"), "POST", &format!("/api/v1/me/petitions/{id}/rate"), Some(json!({"satisfaction": "satisfied"}))).await;
        assert_eq!(s, 409, "nothing to rate before the reply");
        act(app, "petition", id, json!({"action": "reply", "text": "已安排疏通涵洞"})).await;
        let (_, mine) = app.call(Some("resident"), "GET", "/api/v1/me/petitions", None).await;
        let m = &mine[0];
        let steps: Vec<&str> = m["milestones"].as_array().unwrap().iter().map(|x| x["what"].as_str().unwrap()).collect();
        assert_eq!(steps, ["已登记", "已交办", "已受理", "已书面答复"]);
        assert_eq!(m["officer_name"], "petition");
        assert_eq!(m["may_rate"], true);
        assert!(!mine.to_string().contains("内部"), "staff notes stay with staff: {mine}");
        let (s, e) = app.call(Some("resident"), "POST", &format!("/api/v1/me/petitions/{id}/rate"), Some(json!({"satisfaction": "dissatisfied"}))).await;
        assert_eq!(s, 422, "dissatisfied needs a reason: {e}");
        let (s, _) = app.call(Some("resident"), "POST", &format!("/api/v1/me/petitions/{id}/rate"), Some(json!({"satisfaction": "dissatisfied", "reason": "雨后仍有积水"}))).await;
        assert_eq!(s, 204);
        let (_, p) = app.call(Some("petition"), "GET", &format!("/api/v1/petitions/{id}"), None).await;
        assert!(p["follow_ups"].as_array().unwrap().iter().any(|f| f["reason"] == "dissatisfied" && f["done_at"].is_null()));
        let (s, _) = app.call(Some("resident"), "POST", &format!("/api/v1/me/petitions/{id}/rate"), Some(json!({"satisfaction": "satisfied"}))).await;
        assert_eq!(s, 409, "rated once");
    }

    a_commitment_carried_out_as_a_case_is_kept_when_the_case_closes(app) {
        let officer = user_id(app, "petition").await;
        let grid_worker = user_id(app, "grid01").await;
        let (_, p) = app.call(Some("petition"), "POST", "/api/v1/petitions", Some(letter())).await;
        let id = p["id"].as_i64().unwrap();
        act(app, "petition", id, json!({"action": "assign", "body": "城建办", "officer": officer})).await;
        act(app, "petition", id, json!({"action": "accept"})).await;
        act(app, "petition", id, json!({"action": "reply", "text": "管道破损，安排修复"})).await;
        let due = (app.now() + chrono::Duration::days(10)).format("%Y-%m-%d").to_string();
        act(app, "petition", id, json!({"action": "commit", "what": "修复涵洞破损管道", "due_at": due, "owner": grid_worker})).await;
        let (s, e) = app.call(Some("petition"), "POST", &format!("/api/v1/petitions/{id}/actions"),
            Some(json!({"action": "spawn_case", "commitment": 0, "category": "XX9999"}))).await;
        assert_eq!(s, 422, "{e}");
        let p = act(app, "petition", id, json!({"action": "spawn_case", "commitment": 0, "category": "BJ0105"})).await;
        let case_id = p["commitments"][0]["case_id"].as_i64().unwrap();
        let (s, _) = app.call(Some("petition"), "POST", &format!("/api/v1/petitions/{id}/actions"),
            Some(json!({"action": "spawn_case", "commitment": 0, "category": "BJ0105"}))).await;
        assert_eq!(s, 409, "one case per commitment");
        // The case is an ordinary one: the dispatcher sees it, from the petition channel.
        let (s, c) = app.call(Some("dispatcher"), "GET", &format!("/api/v1/cases/{case_id}"), None).await;
        assert_eq!(s, 200);
        assert_eq!(c["source"], "petition");
        assert!(c["description"].as_str().unwrap().contains(&format!("信访 #{id}")));
        let (_, recs) = app.call(Some("dispatcher"), "GET", &format!("/api/v1/cases/{case_id}/recommendations"), None).await;
        let who = recs[0]["responder_id"].as_i64().unwrap();
        for step in [
            json!({"action": "accept"}), json!({"action": "dispatch", "responders": [who]}), json!({"action": "contact_party", "note": "已联系村委"}),
            json!({"action": "arrive", "responder": who}), json!({"action": "feedback", "note": "正在更换管道"}),
        ] {
            let (s, b) = app.call(Some("dispatcher"), "POST", &format!("/api/v1/cases/{case_id}/actions"), Some(step)).await;
            assert_eq!(s, 200, "{b}");
        }
        let (_, p) = app.call(Some("petition"), "GET", &format!("/api/v1/petitions/{id}"), None).await;
        assert!(p["commitments"][0]["kept_at"].is_null(), "kept only when the case closes");
        let (s, _) = app.call(Some("dispatcher"), "POST", &format!("/api/v1/cases/{case_id}/actions"), Some(json!({"action": "close", "note": "管道已更换"}))).await;
        assert_eq!(s, 200);
        let (_, p) = app.call(Some("petition"), "GET", &format!("/api/v1/petitions/{id}"), None).await;
        assert!(!p["commitments"][0]["kept_at"].is_null(), "{}", p["commitments"]);
        let step = p["steps"].as_array().unwrap().iter().rfind(|e| e["action"] == "keep_commitment").unwrap().clone();
        assert_eq!(step["note"], json!(format!("案件 {case_id} 已办结")));
        assert_eq!(duty(&p, "commitment:0")["state"], "kept");
    }

    the_petitioner_follows_and_rates_with_the_texted_code(app) {
        let officer = user_id(app, "petition").await;
        let (_, p) = app.call(Some("petition"), "POST", "/api/v1/petitions", Some(letter())).await;
        let id = p["id"].as_i64().unwrap();
        act(app, "petition", id, json!({"action": "assign", "body": "城建办", "officer": officer})).await;
        act(app, "petition", id, json!({"action": "accept"})).await;
        act(app, "petition", id, json!({"action": "reply", "text": "已安排疏通涵洞", "note": "内部备注：施工队下周进场"})).await;
        // The reply's text message carries the code.
        let sms = app.store.outbox_to_phone("13912345678", 10).await.unwrap();
        let text = sms.iter().find(|m| m.body.contains("查询码")).unwrap_or_else(|| panic!("{sms:?}")).body.clone();
        let code: String = text.split("查询码 ").nth(1).unwrap().chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
        assert_eq!(code.len(), 10, "{text}");
        let (s, v) = app.call(None, "GET", &format!("/api/v1/petition-query?code={}", code.to_lowercase()), None).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["id"], id);
        assert_eq!(v["may_rate"], true);
        assert!(!v.to_string().contains("内部备注"), "no staff notes: {v}");
        let (s, _) = app.call(None, "GET", "/api/v1/petition-query?code=ZZZZZZZZZZ", None).await;
        assert_eq!(s, 404);
        let (s, _) = app.call(None, "POST", "/api/v1/petition-query/rate", Some(json!({"code": code, "satisfaction": "basically_satisfied"}))).await;
        assert_eq!(s, 204);
        let (_, p) = app.call(Some("petition"), "GET", &format!("/api/v1/petitions/{id}"), None).await;
        assert_eq!(p["satisfaction"], "basically_satisfied");
        // Guessing is throttled per address.
        let mut last = 0;
        for i in 0..12 {
            last = app.call(None, "GET", &format!("/api/v1/petition-query?code=WRONG{i:05}"), None).await.0;
        }
        assert_eq!(last, 429);
    }

    a_scanned_letter_is_kept_and_each_look_at_it_audited(app) {
        let (_, p) = app.call(Some("petition"), "POST", "/api/v1/petitions", Some(letter())).await;
        let id = p["id"].as_i64().unwrap();
        let mut png = std::io::Cursor::new(Vec::new());
        image::RgbImage::from_pixel(8, 8, image::Rgb([250, 250, 240])).write_to(&mut png, image::ImageFormat::Png).unwrap();
        let token = app.token("petition").await;
        let up = |purpose: &str, body: Vec<u8>| app.http.post(app.url(&format!("/api/v1/petitions/{id}/files?purpose={purpose}"))).bearer_auth(&token).body(body).send();
        let r = up("letter", png.get_ref().clone()).await.unwrap();
        assert_eq!(r.status(), 201);
        let f: Value = r.json().await.unwrap();
        assert_eq!(up("letter", b"<html>".to_vec()).await.unwrap().status(), 415);
        assert_eq!(up("follow_up:7", png.get_ref().clone()).await.unwrap().status(), 422, "no such visit");
        let (s, list) = app.call(Some("petition"), "GET", &format!("/api/v1/petitions/{id}/files"), None).await;
        assert_eq!((s, list.as_array().unwrap().len()), (200, 1));
        let got = app.http.get(app.url(f["url"].as_str().unwrap())).bearer_auth(&token).send().await.unwrap();
        assert_eq!(got.headers()["content-type"], "image/png");
        let audit = app.store.audit_for("petition", &id.to_string(), 20).await.unwrap();
        let actions: Vec<&str> = audit.iter().map(|r| r.entry.action.as_str()).collect();
        assert!(actions.contains(&"petition.file") && actions.contains(&"petition.file.view"), "{actions:?}");
        let other = app.token("dispatcher").await;
        let r = app.http.get(app.url(f["url"].as_str().unwrap())).bearer_auth(&other).send().await.unwrap();
        assert_eq!(r.status(), 404, "not shown to those not handling it");
    }
}

/// Petition statistics on three petitions worked by hand: every figure is known.
async fn statistics_on(postgres: bool) {
    let url = if postgres { store::testing::fresh_postgres_url().await } else { store::testing::fresh_sqlite_url() };
    let app = App::start_clocked(&url, &Default::default(), local("2024-03-04T09:00:00")).await;
    let officer = user_id(&app, "petition").await;
    let mut ids = vec![];
    for (i, phone) in ["13911110001", "13911110002", "13911110003"].iter().enumerate() {
        let mut body = letter();
        body["petitioners"] = json!([{"name": format!("信访人{i}"), "phone": phone}]);
        body["topic"] = json!(["drainage", "wages", "noise"][i]);
        let (s, p) = app.call(Some("petition"), "POST", "/api/v1/petitions", Some(body)).await;
        assert_eq!(s, 201);
        ids.push(p["id"].as_i64().unwrap());
    }
    step_to(&app, "2024-03-05T09:00:00").await;
    act(&app, "petition", ids[0], json!({"action": "assign", "body": "城建办", "officer": officer})).await;
    act(&app, "petition", ids[0], json!({"action": "accept"})).await;
    step_to(&app, "2024-03-06T09:00:00").await;
    act(
        &app,
        "petition",
        ids[1],
        json!({"action": "refuse", "reason": "属劳动仲裁受理范围", "route": "向区劳动人事争议仲裁委员会申请仲裁"}),
    )
    .await;
    step_to(&app, "2024-03-09T09:00:00").await;
    act(&app, "petition", ids[0], json!({"action": "reply", "text": "已疏通"})).await;
    step_to(&app, "2024-03-15T09:00:00").await;
    act(
        &app,
        "petition",
        ids[0],
        json!({"action": "record_follow_up", "follow_up": 0, "how": "phone", "said": "满意"}),
    )
    .await;
    act(&app, "petition", ids[0], json!({"action": "rate", "satisfaction": "satisfied"})).await;
    // Past the 15 days: the third petition was neither assigned nor decided.
    step_to(&app, "2024-03-24T09:00:00").await;
    let (s, st) = app
        .call(
            Some("leader"),
            "GET",
            "/api/v1/stats/petitions?from=2024-03-01T00:00:00%2B08:00&to=2024-04-01T00:00:00%2B08:00",
            None,
        )
        .await;
    assert_eq!(s, 200, "{st}");
    assert_eq!(st["registered"], json!({"demand": 3}));
    assert_eq!((st["open"].as_i64(), st["closed"].as_i64(), st["refused"].as_i64()), (Some(2), Some(0), Some(1)));
    let d = |k: &str| (st["duties"][k]["kept"].as_i64().unwrap(), st["duties"][k]["missed"].as_i64().unwrap());
    assert_eq!(d("assign"), (2, 1));
    assert_eq!(d("decide"), (2, 1));
    assert_eq!(d("reply"), (1, 0));
    assert_eq!(d("follow_up"), (1, 0));
    assert_eq!(
        (st["follow_ups_made"].as_i64(), st["rated"].as_i64(), st["satisfaction_rate"].as_f64()),
        (Some(1), Some(1), Some(1.0))
    );
    assert_eq!(st["repeats"], 0);
    assert_eq!(st["demand_year_on_year"]["current"], 3);
    let url = app.halt().await;
    store::testing::discard(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn petition_statistics_sqlite() {
    statistics_on(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn petition_statistics_postgres() {
    statistics_on(true).await;
}
