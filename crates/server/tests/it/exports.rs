//! Exports as a leader's office uses them: cases as CSV that Excel opens with Chinese intact
//! (read back), as XLSX (read back with calamine), reporters masked, out of reach of
//! residents, each export audited; the monthly report as a printable page and a PDF.

use super::*;
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
