//! Exports as a leader's office uses them: cases as CSV that Excel opens with Chinese intact
//! (read back), as XLSX (read back with calamine), reporters masked, out of reach of
//! residents, each export audited; the monthly report as a printable page and a PDF.

use super::*;
use serde_json::json;
use std::io::Cursor;

async fn two_cases(app: &App) {
    for text in ["十余名工人反映工资被拖欠，聚集在公司门口", "井盖缺失，有行人险些踩空"]
    {
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
        assert!(html.contains("考核指标") && html.contains("按期结案率") && html.contains("按期结案率最低的网格") && html.contains("<svg"), "{html}");
        let (s, kind, pdf) = get(app, "leader", &format!("/api/v1/reports/monthly?month={month}&format=pdf")).await;
        assert_eq!((s, kind.as_str()), (200, "application/pdf"));
        assert!(pdf.starts_with(b"%PDF-") && pdf.windows(8).any(|w| w == b"Linjiang"), "a PDF of the report");
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("On-time closure rate") && text.contains("Indicators"), "the indicators are in the PDF");
        let pages = text.matches("/Type /Page").count() - text.matches("/Type /Pages").count();
        assert_eq!(pages, 1, "two cases fit one A4 page");
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
        let patrol = recs.as_array().unwrap().iter().find(|r| r["force"] == "patrol_member").unwrap()["responder_id"]
            .as_i64()
            .unwrap();
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
    let patrol = recs.as_array().unwrap().iter().find(|r| r["force"] == "patrol_member").unwrap()["responder_id"]
        .as_i64()
        .unwrap();
    for step in [
        json!({"action": "dispatch", "responders": [patrol]}),
        json!({"action": "contact_party", "note": "再次联系"}),
        json!({"action": "arrive", "responder": patrol}),
        json!({"action": "feedback", "note": "返工处置中"}),
        json!({"action": "close", "note": "再次处置完毕"}),
    ] {
        act(&app, "dispatcher", e, step).await;
    }
    act(&app, "dispatcher", a, json!({"action": "rate", "satisfaction": "satisfied"})).await;
    act(&app, "dispatcher", e, json!({"action": "rate", "satisfaction": "dissatisfied"})).await;
    act(&app, "dispatcher", c, json!({"action": "suspend", "note": "当事人外出，待其返回"})).await;
    act(&app, "leader", d, json!({"action": "extend", "promise": "close", "by": "48h", "reason": "需协调施工单位"}))
        .await;
    // B's feedback and closure come after its close deadline.
    let (_, bb) = app.call(Some("dispatcher"), "GET", &format!("/api/v1/cases/{b}"), None).await;
    let b_close = chrono::DateTime::parse_from_rfc3339(bb["deadlines"]["close"].as_str().unwrap())
        .unwrap()
        .with_timezone(&chrono::Utc);
    app.advance(b_close - app.now() + chrono::Duration::minutes(5));
    act(&app, "dispatcher", b, json!({"action": "feedback", "note": "正在处置"})).await;
    act(&app, "dispatcher", b, json!({"action": "close", "note": "已处置完毕"})).await;

    let q = format!(
        "/api/v1/stats/indicators?from={}&to={}",
        urlencode(t0 - chrono::Duration::hours(1)),
        urlencode(t0 + chrono::Duration::days(30))
    );
    let (s, out) = app.call(Some("leader"), "GET", &q, None).await;
    assert_eq!(s, 200, "{out}");
    let by = |key: &str| {
        let i = out["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["key"] == key)
            .unwrap_or_else(|| panic!("{key} in {out}"));
        (i["numerator"].as_i64().unwrap(), i["denominator"].as_i64().unwrap())
    };
    assert_eq!(
        by("timely_accept_rate"),
        (5, 5),
        "all five accepted at once (C's acceptance was kept before it stood still)"
    );
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

/// Moves a case from accepted to closed through a patrol member, at the current time.
async fn work_to_close(app: &App, id: i64) {
    let (_, recs) = app.call(Some("dispatcher"), "GET", &format!("/api/v1/cases/{id}/recommendations"), None).await;
    let patrol = recs.as_array().unwrap().iter().find(|r| r["force"] == "patrol_member").unwrap()["responder_id"]
        .as_i64()
        .unwrap();
    for step in [
        json!({"action": "dispatch", "responders": [patrol]}),
        json!({"action": "contact_party", "note": "已电话联系"}),
        json!({"action": "arrive", "responder": patrol}),
        json!({"action": "feedback", "note": "正在处置"}),
        json!({"action": "close", "note": "已处置完毕"}),
    ] {
        act(app, "dispatcher", id, step).await;
    }
}

async fn report(app: &App, source: &str) -> i64 {
    let mut body = case_body();
    body["source"] = json!(source);
    let (s, b) = app.call(Some("dispatcher"), "POST", "/api/v1/cases", Some(body)).await;
    assert_eq!(s, 201, "{b}");
    let id = b["id"].as_i64().unwrap();
    act(app, "dispatcher", id, json!({"action": "accept"})).await;
    id
}

/// Seven cases made by hand, each figure counted on paper. A year earlier (Monday 3 March
/// 2025, 10:00): two hotline cases, never closed. This week (Monday 2 March 2026): at 09:00
/// hotline H1 (closed at once), H2 (closed after its deadline), H3 (never closed) and 110 call
/// P1; at 14:00 110 call P2. Judged after every close deadline has passed, on Tuesday.
async fn breakdown_on_known_cases(postgres: bool) {
    let url = if postgres { store::testing::fresh_postgres_url().await } else { store::testing::fresh_sqlite_url() };
    let app = App::start_clocked(&url, &Default::default(), local("2025-03-03T10:00:00")).await;
    for _ in 0..2 {
        report(&app, "hotline").await;
    }
    app.advance(local("2026-03-02T09:00:00") - app.now());
    let (h1, h2, h3, p1) = (
        report(&app, "hotline").await,
        report(&app, "hotline").await,
        report(&app, "hotline").await,
        report(&app, "police_110").await,
    );
    work_to_close(&app, h1).await;
    app.advance(chrono::Duration::hours(5));
    let p2 = report(&app, "police_110").await;
    let mut last_due = app.now();
    for id in [h2, h3, p1, p2] {
        let (_, c) = app.call(Some("dispatcher"), "GET", &format!("/api/v1/cases/{id}"), None).await;
        last_due = last_due.max(
            chrono::DateTime::parse_from_rfc3339(c["deadlines"]["close"].as_str().unwrap())
                .unwrap()
                .with_timezone(&chrono::Utc),
        );
    }
    app.advance(last_due - app.now() + chrono::Duration::minutes(5));
    work_to_close(&app, h2).await;

    let week = "from=2026-03-02T00:00:00%2B08:00&to=2026-03-09T00:00:00%2B08:00";
    let (s, out) = app.call(Some("leader"), "GET", &format!("/api/v1/stats/breakdown?by=source&{week}"), None).await;
    assert_eq!(s, 200, "{out}");
    let row = |out: &serde_json::Value, key: &str| {
        out["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["key"] == key)
            .unwrap_or_else(|| panic!("{key} in {out}"))
            .clone()
    };
    let hotline = row(&out, "hotline");
    assert_eq!(hotline["label"], "热线");
    assert_eq!(
        (hotline["count"].as_i64(), hotline["closed"].as_i64(), hotline["open"].as_i64()),
        (Some(3), Some(2), Some(1))
    );
    assert_eq!(
        (hotline["close_kept"].as_i64(), hotline["close_missed"].as_i64()),
        (Some(1), Some(2)),
        "H1 on time; H2 late, H3 open past due"
    );
    assert!((hotline["close_rate"].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-9);
    assert_eq!(hotline["previous"]["count"], 2, "the same stretch a year earlier: {out}");
    assert_eq!(hotline["count_change_pct"], 50.0, "3 against 2");
    assert_eq!(hotline["close_rate_change_pp"], 33.3, "33.3 % against 0 %, in points");
    let calls = row(&out, "police_110");
    assert_eq!(
        (calls["count"].as_i64(), calls["close_kept"].as_i64(), calls["close_missed"].as_i64()),
        (Some(2), Some(0), Some(2))
    );
    assert_eq!(calls["count_change_pct"], json!(null), "none a year earlier: no percentage");
    assert_eq!(
        (out["total"]["count"].as_i64(), out["total"]["close_kept"].as_i64(), out["total"]["close_missed"].as_i64()),
        (Some(5), Some(1), Some(4))
    );
    assert_eq!(out["total"]["label"], "合计");
    assert_eq!(out["ranking"]["best"], json!([]), "no group has five decided cases");
    assert_eq!(out["compared_with"]["from"], "2025-03-02T00:00:00.000+08:00");

    let (_, hours) = app
        .call(Some("leader"), "GET", &format!("/api/v1/stats/breakdown?by=hour&compare=none&{week}&lang=en"), None)
        .await;
    let counts: Vec<(String, i64, String)> = hours["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["key"].as_str().unwrap().to_owned(),
                r["count"].as_i64().unwrap(),
                r["label"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(counts, [("9".into(), 4, "09:00–10:00".into()), ("14".into(), 1, "14:00–15:00".into())]);
    let (_, days) =
        app.call(Some("leader"), "GET", &format!("/api/v1/stats/breakdown?by=weekday&{week}&lang=en"), None).await;
    assert_eq!(
        (days["rows"][0]["key"].as_str(), days["rows"][0]["label"].as_str(), days["rows"][0]["count"].as_i64()),
        (Some("1"), Some("Monday"), Some(5))
    );
    let (_, people) =
        app.call(Some("leader"), "GET", &format!("/api/v1/stats/breakdown?by=responder&{week}"), None).await;
    assert_eq!(people["counts_overlap"], true);
    assert_eq!(people["total"]["count"], 5, "the total counts each case once");
    assert_eq!(
        people["rows"].as_array().unwrap().iter().map(|r| r["count"].as_i64().unwrap()).sum::<i64>(),
        2,
        "H1 and H2 were sent someone"
    );

    // The cases behind a figure: the hotline's late or overdue ones.
    let (s, late) = app
        .call(
            Some("leader"),
            "GET",
            &format!("/api/v1/stats/breakdown/cases?by=source&key=hotline&measure=close_missed&{week}"),
            None,
        )
        .await;
    assert_eq!(s, 200, "{late}");
    assert_eq!(late["total"], 2);
    assert_eq!(
        late["cases"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect::<Vec<_>>(),
        [h3, h2]
    );
    let (_, all) = app
        .call(Some("leader"), "GET", &format!("/api/v1/stats/breakdown/cases?by=source&measure=all&{week}"), None)
        .await;
    assert_eq!(all["total"], 5);
    let (_, nine) =
        app.call(Some("leader"), "GET", &format!("/api/v1/stats/breakdown/cases?by=hour&key=14&{week}"), None).await;
    assert_eq!(nine["cases"][0]["id"].as_i64(), Some(p2));

    // The same table as CSV (English) and XLSX (Chinese), read back; each export audited.
    let audited = app.store.count(store::Table::AuditLog).await.unwrap();
    let (s, _, csv) = get(&app, "leader", &format!("/api/v1/exports/breakdown.csv?by=source&{week}&lang=en")).await;
    assert_eq!(s, 200);
    let text = String::from_utf8(csv[3..].to_vec()).unwrap();
    assert!(text.starts_with("Name,Code,Cases,Open,Closed"), "{text}");
    assert!(text.contains("\r\nHotline,hotline,3,1,2,0,1,2,33.3,"), "{text}");
    assert!(text.contains("\r\nTotal,total,5,"), "{text}");
    let (_, _, xlsx) = get(&app, "leader", &format!("/api/v1/exports/breakdown.xlsx?by=source&{week}")).await;
    use calamine::{DataType, Reader};
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(xlsx)).unwrap();
    let sheet = book.worksheet_range("分项统计").unwrap();
    assert_eq!(sheet.get_value((0, 8)).unwrap().to_string(), "按期结案率(%)");
    let hot = (1..sheet.height() as u32).find(|r| sheet.get_value((*r, 1)).unwrap().to_string() == "hotline").unwrap();
    assert_eq!(sheet.get_value((hot, 0)).unwrap().to_string(), "热线");
    assert_eq!(sheet.get_value((hot, 2)).unwrap().get_float(), Some(3.0), "counts are numbers Excel can sum");
    assert_eq!(app.store.count(store::Table::AuditLog).await.unwrap(), audited + 2);
    let (s, _, csv) = get(&app, "leader", &format!("/api/v1/exports/indicators.csv?{week}")).await;
    assert_eq!(s, 200);
    let text = String::from_utf8(csv[3..].to_vec()).unwrap();
    assert!(text.starts_with("指标,分子,分母,比率(%),口径"), "{text}");
    assert!(text.contains("\r\n按期结案率,"), "{text}");
    let (_, _, xlsx) = get(&app, "leader", &format!("/api/v1/exports/indicators.xlsx?{week}&lang=en")).await;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(xlsx)).unwrap();
    let sheet = book.worksheet_range("Indicators").unwrap();
    assert_eq!(sheet.get_value((2, 0)).unwrap().to_string(), "On-time closure rate");
    assert_eq!(app.store.count(store::Table::AuditLog).await.unwrap(), audited + 4, "each export audited");

    // Clear refusals; residents and field roles never see statistics.
    for (q, status) in [
        ("by=planet", 400),
        ("by=grid&period=decade", 400),
        ("by=grid&compare=ever", 400),
        ("by=grid&date=2026-13-01", 400),
        ("by=grid&key=x", 400),
    ] {
        let (s, b) = app.call(Some("leader"), "GET", &format!("/api/v1/stats/breakdown?{q}"), None).await;
        assert_eq!(s, status, "{q}: {b}");
    }
    let (s, _) = app
        .call(Some("leader"), "GET", &format!("/api/v1/stats/breakdown/cases?by=source&measure=most&{week}"), None)
        .await;
    assert_eq!(s, 400);
    for user in ["resident", "grid01", "patrol01", "volunteer"] {
        for path in [
            format!("/api/v1/stats/breakdown?by=grid&{week}"),
            format!("/api/v1/stats/breakdown/cases?by=grid&{week}"),
            "/api/v1/stats/stations".to_owned(),
            format!("/api/v1/stats/year-on-year?{week}"),
            format!("/api/v1/exports/breakdown.csv?by=grid&{week}"),
            format!("/api/v1/exports/indicators.xlsx?{week}"),
        ] {
            let (s, _) = app.call(Some(user), "GET", &path, None).await;
            assert_eq!(s, 403, "{user} {path}");
        }
    }
    // A station officer reads the street's figures but opens only the cases of their own
    // station's grids.
    let (_, stations) =
        app.call(Some("leader"), "GET", &format!("/api/v1/stats/breakdown?by=station&{week}"), None).await;
    let home = stations["rows"][0]["key"].as_str().unwrap().to_owned();
    assert!(home == "S1" || home == "S5", "the test's cases lie in {home}");
    for (officer, station) in [("station1", "S1"), ("station5", "S5")] {
        let (s, list) =
            app.call(Some(officer), "GET", &format!("/api/v1/stats/breakdown/cases?by=source&{week}"), None).await;
        assert_eq!(s, 200, "{list}");
        assert_eq!(list["total"], if station == home { 5 } else { 0 }, "{officer}: {list}");
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn breakdown_on_known_cases_sqlite() {
    breakdown_on_known_cases(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn breakdown_on_known_cases_postgres() {
    breakdown_on_known_cases(true).await;
}

/// The demo's two years of police calls and public-security incidents, imported as the demo
/// imports them: the year-on-year the screen shows for the last twelve months is the change
/// the demo was built for (the source's −25.8 % and −9 %).
async fn year_on_year_on_the_demo_history(postgres: bool) {
    let url = if postgres { store::testing::fresh_postgres_url().await } else { store::testing::fresh_sqlite_url() };
    let now = local("2026-11-27T12:00:00");
    let app = App::start_clocked(&url, &Default::default(), now).await;
    let sc = scenario::load(&scenario_dir()).unwrap();
    let security = ["SJ1001", "SJ1006", "SJ1007"];
    let history: Vec<_> = scenario::history::generate(&sc, now, 730, sc.demand.history.seed)
        .into_iter()
        .filter(|c| c.source == domain::case::Source::Police110 || security.contains(&c.category.as_str()))
        .collect();
    app.store.import_cases(&history, "demo", now).await.unwrap();
    let year = now - chrono::Duration::days(365);
    let (s, out) =
        app.call(Some("leader"), "GET", &format!("/api/v1/stats/year-on-year?from={}", urlencode(year)), None).await;
    assert_eq!(s, 200, "{out}");
    let change = |k: &str| out["year_on_year"][k]["change_pct"].as_f64().unwrap_or_else(|| panic!("{k} in {out}"));
    assert!((change("police_calls") + 25.8).abs() < 1.0, "{out}");
    assert!((change("public_security") + 9.0).abs() < 1.5, "{out}");
    // The same counts straight from the cases, not the daily rollup.
    let count = |from: domain::Timestamp, to: domain::Timestamp| {
        history
            .iter()
            .filter(|c| c.source == domain::case::Source::Police110 && c.created_at >= from && c.created_at < to)
            .count() as i64
    };
    assert_eq!(out["year_on_year"]["police_calls"]["current"].as_i64(), Some(count(year, now)));
    assert_eq!(
        out["year_on_year"]["police_calls"]["previous"].as_i64(),
        Some(count(year - chrono::Duration::days(365), year))
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn year_on_year_on_the_demo_history_sqlite() {
    year_on_year_on_the_demo_history(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn year_on_year_on_the_demo_history_postgres() {
    year_on_year_on_the_demo_history(true).await;
}
