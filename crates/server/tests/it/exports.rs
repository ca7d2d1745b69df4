//! Exports as a leader's office uses them: cases as CSV that Excel opens with Chinese intact
//! (read back), as XLSX (read back with calamine), reporters masked, out of reach of
//! residents, each export audited; the monthly report as a printable page and a PDF.

use super::*;
use serde_json::json;
use std::io::Cursor;

async fn two_cases(app: &App) {
    for text in ["十余名工人反映工资被拖欠，聚集在公司门口", "井盖缺失，有行人险些踩空"] {
        let mut body = case_body();
        body["description"] = serde_json::json!(text);
        let (s, b) = app.call(Some("dispatcher"), "POST", "/api/v1/cases", Some(body)).await;
        assert_eq!(s, 201, "{b}");
    }
}

async fn get(app: &App, user: &str, path: &str) -> (u16, String, Vec<u8>) {
    let token = app.token(user).await;
    let r = app.http.get(app.url(path)).bearer_auth(token).send().await.unwrap();
    let status = r.status().as_u16();
    let kind = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, kind, r.bytes().await.unwrap().to_vec())
}

both_backends! {
    cases_export_as_csv_and_xlsx(app) {
        two_cases(app).await;
        let audited = app.store.count(store::Table::AuditLog).await.unwrap();
        let (s, kind, body) = get(app, "dispatcher", "/api/v1/exports/cases.csv").await;
        assert_eq!(s, 200);
        assert!(kind.starts_with("text/csv"), "{kind}");
        assert_eq!(&body[..3], b"\xEF\xBB\xBF", "a byte-order mark for Excel");
        let text = String::from_utf8(body[3..].to_vec()).unwrap();
        let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
        assert!(lines[0].starts_with("案件编号,类别代码,类别,优先级,状态"), "{}", lines[0]);
        assert!(text.contains("十余名工人反映工资被拖欠，聚集在公司门口") && text.contains("井盖缺失"), "{text}");
        assert!(text.contains("138****8000") && !text.contains("13800138000"), "the reporter is masked: {text}");
        assert!(text.contains("王**") || text.contains("王*"), "{text}");
        // Each row's timeline is one quoted cell; the two cases make two records after the header.
        assert_eq!(text.matches("\r\n").count(), 3);
        assert_eq!(app.store.count(store::Table::AuditLog).await.unwrap(), audited + 1, "the export is audited");
        assert!(matches!(app.store.verify_audit().await.unwrap(), store::AuditReport::Intact { .. }));

        let (s, kind, body) = get(app, "dispatcher", "/api/v1/exports/cases.xlsx?category=SJ1002").await;
        assert_eq!(s, 200);
        assert!(kind.contains("spreadsheetml"), "{kind}");
        use calamine::Reader;
        let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(body)).unwrap();
        let sheet = book.worksheet_range("案件").unwrap();
        assert_eq!(sheet.height(), 3, "header and two cases");
        let cell = |r: u32, c: u32| sheet.get_value((r, c)).map(|v| v.to_string()).unwrap_or_default();
        assert_eq!(cell(0, 9), "描述");
        let descriptions = [cell(1, 9), cell(2, 9)];
        assert!(descriptions.contains(&"井盖缺失，有行人险些踩空".to_owned()), "{descriptions:?}");
        assert_eq!(cell(1, 19), "138****8000");

        // Residents get a resident's view, never a list of everyone's cases.
        let (s, _, _) = get(app, "resident", "/api/v1/exports/cases.csv").await;
        assert_eq!(s, 403);
        let (s, _, body) = get(app, "dispatcher", "/api/v1/exports/cases.csv?from=yesterday").await;
        assert_eq!(s, 400, "{}", String::from_utf8_lossy(&body));
    }

    monthly_report_as_page_and_pdf(app) {
        two_cases(app).await;
        let month = chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap()).format("%Y-%m").to_string();
        let (s, kind, body) = get(app, "leader", &format!("/api/v1/reports/monthly?month={month}")).await;
        assert_eq!(s, 200);
        assert!(kind.starts_with("text/html"), "{kind}");
        let html = String::from_utf8(body).unwrap();
        assert!(html.contains("临江街道社会治理月报") && html.contains("五项承诺履约情况") && html.contains("同比情况"), "{html}");
        assert!(html.contains("<b>2</b>案件总数"), "{html}");
        let (s, kind, pdf) = get(app, "leader", &format!("/api/v1/reports/monthly?month={month}&format=pdf")).await;
        assert_eq!((s, kind.as_str()), (200, "application/pdf"));
        assert!(pdf.starts_with(b"%PDF-") && pdf.windows(8).any(|w| w == b"Linjiang"), "a PDF of the report");
        let (s, _, _) = get(app, "leader", "/api/v1/reports/monthly?month=2026-13").await;
        assert_eq!(s, 400);
        let (s, _, _) = get(app, "grid01", &format!("/api/v1/reports/monthly?month={month}")).await;
        assert_eq!(s, 403);
    }
}

fn local(s: &str) -> domain::Timestamp {
    chrono::DateTime::parse_from_rfc3339(&format!("{s}+08:00")).unwrap().with_timezone(&chrono::Utc)
}

async fn act(app: &App, user: &str, id: i64, body: serde_json::Value) -> serde_json::Value {
    let (s, b) = app.call(Some(user), "POST", &format!("/api/v1/cases/{id}/actions"), Some(body.clone())).await;
    assert_eq!(s, 200, "{body} → {b}");
    b
}

/// Five cases made by hand, each indicator's numerator and denominator counted on paper:
/// A all on time, rated satisfied; B on time to the scene, then feedback and closure after its
/// close deadline; C suspended after acceptance (left out); D accepted, then nothing, its close
/// deadline extended (counted by the new date, named); E all on time, reopened and closed again
/// at once (返工), rated dissatisfied.
async fn indicators_on_known_cases(postgres: bool) {
    let url = if postgres { store::testing::fresh_postgres_url().await } else { store::testing::fresh_sqlite_url() };
    let t0 = local("2026-03-02T09:00:00");
    let app = App::start_clocked(&url, &Default::default(), t0).await;
    let mut ids = vec![];
    for _ in 0..5 {
        let (s, b) = app.call(Some("dispatcher"), "POST", "/api/v1/cases", Some(case_body())).await;
        assert_eq!(s, 201, "{b}");
        ids.push(b["id"].as_i64().unwrap());
    }
    let [a, b, c, d, e] = ids[..] else { unreachable!() };
    for id in ids.iter().copied() {
        act(&app, "dispatcher", id, json!({"action": "accept"})).await;
    }
    for id in [a, b, e] {
        // A patrol member free now (one case at a time each).
        let (_, recs) = app.call(Some("dispatcher"), "GET", &format!("/api/v1/cases/{id}/recommendations"), None).await;
        let patrol = recs.as_array().unwrap().iter().find(|r| r["force"] == "patrol_member").unwrap()["responder_id"].as_i64().unwrap();
        act(&app, "dispatcher", id, json!({"action": "dispatch", "responders": [patrol]})).await;
        act(&app, "dispatcher", id, json!({"action": "contact_party", "note": "已电话联系"})).await;
        act(&app, "dispatcher", id, json!({"action": "arrive", "responder": patrol})).await;
    }
    for id in [a, e] {
        act(&app, "dispatcher", id, json!({"action": "feedback", "note": "正在处置"})).await;
        act(&app, "dispatcher", id, json!({"action": "close", "note": "已处置完毕"})).await;
    }
    act(&app, "dispatcher", e, json!({"action": "reopen", "note": "居民反映问题仍在"})).await;
    let (_, recs) = app.call(Some("dispatcher"), "GET", &format!("/api/v1/cases/{e}/recommendations"), None).await;
    let patrol = recs.as_array().unwrap().iter().find(|r| r["force"] == "patrol_member").unwrap()["responder_id"].as_i64().unwrap();
    for step in [json!({"action": "dispatch", "responders": [patrol]}), json!({"action": "contact_party", "note": "再次联系"}), json!({"action": "arrive", "responder": patrol}),
        json!({"action": "feedback", "note": "返工处置中"}), json!({"action": "close", "note": "再次处置完毕"})] {
        act(&app, "dispatcher", e, step).await;
    }
    act(&app, "dispatcher", a, json!({"action": "rate", "satisfaction": "satisfied"})).await;
    act(&app, "dispatcher", e, json!({"action": "rate", "satisfaction": "dissatisfied"})).await;
    act(&app, "dispatcher", c, json!({"action": "suspend", "note": "当事人外出，待其返回"})).await;
    act(&app, "leader", d, json!({"action": "extend", "promise": "close", "by": "48h", "reason": "需协调施工单位"})).await;
    // B's feedback and closure come after its close deadline.
    let (_, bb) = app.call(Some("dispatcher"), "GET", &format!("/api/v1/cases/{b}"), None).await;
    let b_close = chrono::DateTime::parse_from_rfc3339(bb["deadlines"]["close"].as_str().unwrap()).unwrap().with_timezone(&chrono::Utc);
    app.advance(b_close - app.now() + chrono::Duration::minutes(5));
    act(&app, "dispatcher", b, json!({"action": "feedback", "note": "正在处置"})).await;
    act(&app, "dispatcher", b, json!({"action": "close", "note": "已处置完毕"})).await;

    let q = format!("/api/v1/stats/indicators?from={}&to={}", urlencode(t0 - chrono::Duration::hours(1)), urlencode(t0 + chrono::Duration::days(30)));
    let (s, out) = app.call(Some("leader"), "GET", &q, None).await;
    assert_eq!(s, 200, "{out}");
    let by = |key: &str| {
        let i = out["indicators"].as_array().unwrap().iter().find(|i| i["key"] == key).unwrap_or_else(|| panic!("{key} in {out}"));
        (i["numerator"].as_i64().unwrap(), i["denominator"].as_i64().unwrap())
    };
    assert_eq!(by("timely_accept_rate"), (5, 5), "all five accepted at once (C's acceptance was kept before it stood still)");
    assert_eq!(by("timely_dispatch_rate"), (3, 4), "A, B, E on time; D never; C left out");
    assert_eq!(by("timely_on_site_rate"), (3, 4));
    assert_eq!(by("timely_feedback_rate"), (2, 4), "B's feedback was late");
    assert_eq!(by("close_rate"), (3, 4), "A, B, E closed of A, B, D, E due");
    assert_eq!(by("on_time_close_rate"), (2, 4), "B closed late");
    assert_eq!(by("rework_rate"), (1, 3), "E reopened, of three closed");
    assert_eq!(by("satisfaction_rate"), (1, 2), "A satisfied, E not; B unrated");
    assert_eq!(by("follow_up_rate"), (2, 3));
    assert_eq!(out["left_out_suspended"], json!([c]));
    assert_eq!(out["extended"], json!([d]));
    let close = out["indicators"].as_array().unwrap().iter().find(|i| i["key"] == "close_rate").unwrap();
    assert_eq!(close["rate"].as_f64().unwrap(), 0.75);
    assert!(close["formula"].as_str().unwrap().contains("应结案数"));
    app.stop().await;
}

fn urlencode(t: domain::Timestamp) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true).replace('+', "%2B")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn indicators_on_known_cases_sqlite() {
    indicators_on_known_cases(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn indicators_on_known_cases_postgres() {
    indicators_on_known_cases(true).await;
}
