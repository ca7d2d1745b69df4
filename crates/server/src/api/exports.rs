//! Exports: cases as CSV (UTF-8 with a byte-order mark, so Excel opens Chinese correctly) and
//! as XLSX (rust_xlsxwriter), with the filters of `GET /api/v1/cases` plus `from`/`to`, each row
//! with the case's whole timeline; and the street's monthly report (月报) as a printable page.
//! Who may: the roles that read cases, within their scope. Reporters are masked in every
//! export (the full number is the audited `GET /cases/{id}/reporter`); every export is audited
//! with who, what and how many rows.

use crate::auth::Session;
use crate::error::{ApiError, ApiQuery, ApiResult};
use crate::AppState;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::case::{Case, Priority, Source, Status};
use domain::deadline::Promise;
use domain::role::Permission;
use serde::Deserialize;
use std::sync::Arc;

/// Most cases one export holds; more asks for a narrower period.
pub const EXPORT_ROWS_MAX: usize = 50_000;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    pub status: Option<String>,
    pub grid: Option<String>,
    pub station: Option<String>,
    pub category: Option<String>,
    pub source: Option<String>,
    pub priority: Option<String>,
    /// Cases reported at or after this RFC 3339 time (or `since`).
    pub from: Option<String>,
    /// Cases reported before this RFC 3339 time (or `until`).
    pub to: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
}

fn beijing(t: domain::Timestamp) -> String {
    t.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8")).format("%Y-%m-%d %H:%M:%S").to_string()
}

pub fn status_zh(s: Status) -> &'static str {
    match s {
        Status::New => "待受理",
        Status::Accepted => "已受理",
        Status::Dispatched => "已派遣",
        Status::OnSite => "已到场",
        Status::InProgress => "处置中",
        Status::Closed => "已办结",
        Status::Rated => "已评价",
        Status::Archived => "已归档",
        Status::Rejected => "已退回",
        Status::Suspended => "已挂起",
        Status::Voided => "已作废",
    }
}

pub(crate) fn priority_zh(p: Priority) -> &'static str {
    match p {
        Priority::Urgent => "紧急",
        Priority::High => "高",
        Priority::Normal => "一般",
        Priority::Low => "低",
    }
}

pub(crate) fn source_zh(s: Source) -> &'static str {
    match s {
        Source::ResidentApp => "临灵通",
        Source::Hotline => "热线",
        Source::Police110 => "110警情",
        Source::GridPatrol => "网格巡查",
        Source::Sensor => "物联感知",
        Source::Petition => "信访",
        Source::Volunteer => "志愿者",
        Source::WalkIn => "来访",
        Source::Open311 => "Open311",
    }
}

const HEADER: [&str; 21] = [
    "案件编号",
    "类别代码",
    "类别",
    "优先级",
    "状态",
    "来源",
    "网格代码",
    "网格",
    "地址",
    "描述",
    "上报时间",
    "受理时间",
    "派遣联系时间",
    "到场时间",
    "首次反馈时间",
    "办结时间",
    "超时承诺",
    "满意度",
    "上报人",
    "上报人电话",
    "全程记录",
];

/// One case as a row of text cells, the reporter masked.
async fn row(s: &AppState, c: &Case) -> ApiResult<Vec<String>> {
    let (name, phone) = match c.reporter_id {
        Some(id) => {
            let r = s.store.reporter(id).await?;
            (
                r.name.as_deref().map(domain::codes::mask_name).unwrap_or_default(),
                r.phone
                    .as_deref()
                    .and_then(|p| domain::codes::PhoneNumber::parse(p).ok())
                    .map(|p| p.masked())
                    .unwrap_or_default(),
            )
        }
        None => (String::new(), String::new()),
    };
    let t = |x: Option<domain::Timestamp>| x.map(beijing).unwrap_or_default();
    let m = &c.milestones;
    let now = s.clock.now();
    let missed: Vec<&str> = domain::case::overdue(c, now).iter().map(Promise::zh).collect();
    let timeline: Vec<String> = c
        .events
        .iter()
        .map(|e| {
            let who = if e.actor.username.is_empty() { String::new() } else { format!(" {}", e.actor.username) };
            let note = e.note.as_deref().map(|n| format!("：{n}")).unwrap_or_default();
            format!("{} {}{who}{note}", beijing(e.at), e.action.as_str())
        })
        .collect();
    Ok(vec![
        c.id.to_string(),
        c.category.as_str().to_owned(),
        s.categories.get(&c.category).map(|x| x.name_zh.clone()).unwrap_or_default(),
        priority_zh(c.priority).into(),
        status_zh(c.status).into(),
        source_zh(c.source).into(),
        c.grid.as_str().to_owned(),
        s.grids.get(&c.grid).map(|g| g.name_zh.clone()).unwrap_or_default(),
        c.address.clone().unwrap_or_default(),
        c.description.clone(),
        beijing(c.created_at),
        t(m.accepted_at),
        t(m.contacted_at.max(m.dispatched_at)),
        t(m.on_site_at),
        t(m.first_feedback_at),
        t(m.closed_at),
        missed.join("、"),
        c.satisfaction.map(|x| x.as_str().to_owned()).unwrap_or_default(),
        name,
        phone,
        timeline.join("\n"),
    ])
}

/// The cases of the export, newest first, within the caller's scope.
async fn cases(s: &AppState, session: &Session, q: ExportQuery) -> ApiResult<Vec<Case>> {
    session.require(Permission::ViewCases)?;
    // The timeline holds staff notes: exports are for staff (residents follow their own
    // reports in 临灵通).
    if session.role().scope() == domain::role::Scope::OwnReports {
        return Err(ApiError::forbidden("exports are for staff"));
    }
    let list = super::cases::ListQuery {
        status: q.status,
        grid: q.grid,
        station: q.station,
        category: q.category,
        source: q.source,
        priority: q.priority,
        since: q.from.or(q.since),
        until: q.to.or(q.until),
        responder: None,
        limit: Some(store::cases::CASE_PAGE_MAX),
        cursor: None,
        mine: None,
    };
    let mut f = super::cases::filter(s, session, &list)?;
    let mut out = vec![];
    loop {
        let page = s.store.list_cases(&f).await?;
        out.extend(page.cases);
        if out.len() > EXPORT_ROWS_MAX {
            return Err(ApiError::invalid(format!(
                "more than {EXPORT_ROWS_MAX} cases: narrow the period or the filters"
            )));
        }
        match page.next_before_id {
            Some(id) => f.before_id = Some(id),
            None => break,
        }
    }
    Ok(out)
}

async fn audited(s: &AppState, session: &Session, what: &str, rows: usize) -> ApiResult<()> {
    audit_export(s, session, what, serde_json::json!({ "rows": rows, "masked": true })).await
}

/// Records who exported what, when: every export is audited.
async fn audit_export(s: &AppState, session: &Session, what: &str, detail: serde_json::Value) -> ApiResult<()> {
    s.store
        .audit(&store::AuditEntry {
            at: s.clock.now(),
            actor: session.label(),
            action: "export".into(),
            entity: "export".into(),
            entity_id: what.into(),
            detail: detail.to_string(),
        })
        .await?;
    Ok(())
}

/// CSV with RFC 4180 quoting: a field with a comma, quote or line break is quoted.
pub fn csv_field(v: &str) -> String {
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v.to_owned()
    }
}

fn attachment(body: Vec<u8>, content_type: &'static str, name: &str) -> Response {
    let mut r = (StatusCode::OK, body).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

/// Cases as CSV (UTF-8 with a byte-order mark), one row per case with its timeline.
#[utoipa::path(get, path = "/api/v1/exports/cases.csv", params(ExportQuery),
    responses((status = 200, content_type = "text/csv"), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn cases_csv(
    State(s): State<Arc<AppState>>,
    session: Session,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> ApiResult<Response> {
    let list = cases(&s, &session, q).await?;
    let mut text = String::from("\u{feff}");
    text.push_str(&HEADER.join(","));
    text.push_str("\r\n");
    for c in &list {
        let cells = row(&s, c).await?;
        text.push_str(&cells.iter().map(|v| csv_field(v)).collect::<Vec<_>>().join(","));
        text.push_str("\r\n");
    }
    audited(&s, &session, "cases.csv", list.len()).await?;
    Ok(attachment(text.into_bytes(), "text/csv; charset=utf-8", "cases.csv"))
}

/// Cases as an Excel workbook: the same columns, a frozen header row.
#[utoipa::path(get, path = "/api/v1/exports/cases.xlsx", params(ExportQuery),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn cases_xlsx(
    State(s): State<Arc<AppState>>,
    session: Session,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> ApiResult<Response> {
    let list = cases(&s, &session, q).await?;
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let fail = |e: rust_xlsxwriter::XlsxError| ApiError::internal(e);
    sheet.set_name("案件").map_err(fail)?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (col, h) in HEADER.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, *h, &bold).map_err(fail)?;
    }
    for (i, c) in list.iter().enumerate() {
        let cells = row(&s, c).await?;
        sheet.write_number(i as u32 + 1, 0, c.id as f64).map_err(fail)?;
        for (col, v) in cells.iter().enumerate().skip(1) {
            sheet.write_string(i as u32 + 1, col as u16, v).map_err(fail)?;
        }
    }
    sheet.set_freeze_panes(1, 0).map_err(fail)?;
    let bytes = book.save_to_buffer().map_err(fail)?;
    audited(&s, &session, "cases.xlsx", list.len()).await?;
    Ok(attachment(bytes, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "cases.xlsx"))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct MonthlyQuery {
    /// YYYY-MM (Beijing time).
    pub month: String,
    /// `html` (default, for print) or `pdf`.
    pub format: Option<String>,
}

/// What the monthly report says, read once for both formats.
struct Monthly {
    month: chrono::NaiveDate,
    /// The last day counted: the month's last, or today for the month under way.
    last_day: chrono::NaiveDate,
    summary: super::stats::SummaryOut,
    grids: Vec<(String, i64)>,
    categories: Vec<(String, i64)>,
    indicators: super::stats::IndicatorsOut,
    /// The grids with the lowest on-time closure, worst first (Chinese and English names).
    worst: Vec<(String, String, super::breakdown::GroupOut)>,
    /// Cases per day of the month, and on the same days a year earlier.
    daily: Vec<(String, i64)>,
    daily_last_year: Vec<(String, i64)>,
    /// Grid names in English, for the PDF.
    grid_en: std::collections::HashMap<String, String>,
}

const PROMISE_KEYS: [(&str, &str, &str); 5] = [
    ("accept", "1分钟受理", "Accepted in 1 min"),
    ("dispatch", "3分钟派单联系", "Dispatched in 3 min"),
    ("on_site", "10分钟到场", "On site in 10 min"),
    ("first_feedback", "1小时反馈", "First feedback in 1 h"),
    ("close", "24小时办结", "Closed in 24 h"),
];

const YOY_KEYS: [(&str, &str, &str); 4] = [
    ("all_cases", "案件总数", "All cases"),
    ("police_calls", "110警情", "Police calls (110)"),
    ("public_security", "刑事治安警情", "Criminal and public-security incidents"),
    ("demand_petitions", "求决类信访", "Demand petitions"),
];

fn pct(v: Option<f64>) -> String {
    v.map_or("—".into(), |r| format!("{:.1}%", r * 100.0))
}

fn change(v: Option<f64>) -> String {
    match v {
        None => "—".into(),
        Some(c) if c.abs() < 0.05 => "0.0%".into(),
        Some(c) => format!("{c:+.1}%"),
    }
}

async fn monthly_data(s: &Arc<AppState>, session: &Session, month: &str) -> ApiResult<Monthly> {
    session.require(Permission::ViewStatistics)?;
    let bad = || ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", "month must look like 2026-10");
    let first = chrono::NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").map_err(|_| bad())?;
    let next = first.checked_add_months(chrono::Months::new(1)).ok_or_else(bad)?;
    let beijing = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8");
    let at = |d: chrono::NaiveDate| {
        chrono::TimeZone::from_local_datetime(&beijing, &d.and_hms_opt(0, 0, 0).expect("midnight"))
            .single()
            .expect("fixed offset")
            .with_timezone(&chrono::Utc)
    };
    let (from, to) = (at(first), at(next).min(s.clock.now()));
    if to <= from {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", "that month has not begun"));
    }
    let q = super::stats::SummaryQuery { from: Some(from.to_rfc3339()), to: Some(to.to_rfc3339()) };
    let axum::Json(summary) = super::stats::summary(State(s.clone()), session.clone(), ApiQuery(q)).await?;
    let mut grids = s.store.counts_by(store::stats::Dimension::Grid, from, to).await?;
    grids.sort_by(|a, b| b.1.cmp(&a.1));
    grids.truncate(10);
    let mut categories = s.store.counts_by(store::stats::Dimension::Category, from, to).await?;
    categories.sort_by(|a, b| b.1.cmp(&a.1));
    categories.truncate(10);
    s.store
        .audit(&store::AuditEntry {
            at: s.clock.now(),
            actor: session.label(),
            action: "export".into(),
            entity: "report".into(),
            entity_id: format!("monthly:{month}"),
            detail: serde_json::json!({ "cases": summary.total }).to_string(),
        })
        .await?;
    let last_day = (to - chrono::Duration::milliseconds(1)).with_timezone(&beijing).date_naive();
    let q = super::stats::SummaryQuery { from: Some(from.to_rfc3339()), to: Some(to.to_rfc3339()) };
    let axum::Json(indicators) = super::stats::indicators(State(s.clone()), session.clone(), ApiQuery(q)).await?;
    let bq = super::breakdown::BreakdownQuery {
        by: "grid".into(),
        period: None,
        date: None,
        from: Some(from.to_rfc3339()),
        to: Some(to.to_rfc3339()),
        compare: Some("none".into()),
        lang: None,
        key: None,
        measure: None,
        limit: None,
    };
    let by_grid = super::breakdown::read(s, session, &bq).await?;
    let names_en = super::breakdown::labels(s, store::stats::By::Grid, true).await?;
    let worst = by_grid
        .ranking
        .worst
        .iter()
        .filter_map(|k| by_grid.rows.iter().find(|r| &r.key == k))
        .map(|r| (r.label.clone(), names_en.get(&r.key).cloned().unwrap_or_else(|| r.key.clone()), r.clone()))
        .collect();
    let year_ago = |t: domain::Timestamp| t.checked_sub_months(chrono::Months::new(12)).unwrap_or(t);
    let daily = s.store.counts_by(store::stats::Dimension::Day, from, to).await?;
    let daily_last_year = s.store.counts_by(store::stats::Dimension::Day, year_ago(from), year_ago(to)).await?;
    Ok(Monthly {
        month: first,
        last_day,
        summary,
        grids,
        categories,
        indicators,
        worst,
        daily,
        daily_last_year,
        grid_en: names_en,
    })
}

fn monthly_html(s: &AppState, m: &Monthly) -> String {
    use chrono::Datelike;
    let esc = |t: &str| t.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let sum = &m.summary;
    let promises: String = PROMISE_KEYS
        .iter()
        .filter_map(|(k, zh, _)| {
            sum.promises.get(*k).map(|p| {
                format!(
                    "<tr><td>{zh}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    p.kept + p.missed,
                    p.kept,
                    pct(p.rate)
                )
            })
        })
        .collect();
    let yoy: String = YOY_KEYS
        .iter()
        .filter_map(|(k, zh, _)| {
            sum.year_on_year.get(*k).map(|c| {
                format!(
                    "<tr><td>{zh}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    c.current,
                    c.previous,
                    change(c.change_pct)
                )
            })
        })
        .collect();
    let name_of_grid = |code: &str| {
        domain::codes::GridCode::parse(code)
            .ok()
            .and_then(|g| s.grids.get(&g))
            .map_or(code.to_owned(), |g| g.name_zh.clone())
    };
    let name_of_cat = |code: &str| {
        domain::codes::CategoryCode::parse(code)
            .ok()
            .and_then(|c| s.categories.get(&c))
            .map_or(code.to_owned(), |c| c.name_zh.clone())
    };
    let grids: String = m
        .grids
        .iter()
        .enumerate()
        .map(|(i, (g, n))| format!("<tr><td>{}</td><td>{}</td><td>{n}</td></tr>", i + 1, esc(&name_of_grid(g))))
        .collect();
    let cats: String = m
        .categories
        .iter()
        .enumerate()
        .map(|(i, (c, n))| format!("<tr><td>{}</td><td>{}</td><td>{n}</td></tr>", i + 1, esc(&name_of_cat(c))))
        .collect();
    let indicators: String = m
        .indicators
        .indicators
        .iter()
        .map(|i| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"muted\">{}</td></tr>",
                esc(&i.name_zh),
                i.numerator,
                i.denominator,
                pct(i.rate),
                esc(&i.formula)
            )
        })
        .collect();
    let worst: String = m
        .worst
        .iter()
        .enumerate()
        .map(|(n, (zh, _, g))| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                n + 1,
                esc(zh),
                g.count,
                g.close_kept + g.close_missed,
                g.close_missed,
                pct(g.close_rate)
            )
        })
        .collect();
    let chart = daily_chart(&m.daily, &m.daily_last_year);
    let sources: String = sum
        .by_source
        .iter()
        .map(|(k, n)| {
            format!("<tr><td>{}</td><td>{n}</td></tr>", Source::parse(k).map(source_zh).unwrap_or(k.as_str()))
        })
        .collect();
    format!(
        r#"<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>临江街道社会治理月报 {y}年{mo}月</title>
<style>body{{font:15px/1.6 "Noto Sans CJK SC","WenQuanYi Zen Hei",sans-serif;max-width:900px;margin:24px auto;color:#111}}
h1{{font-size:24px;text-align:center}} h2{{font-size:18px;border-left:4px solid #1565c0;padding-left:8px;margin-top:24px}}
table{{border-collapse:collapse;width:100%;margin:8px 0}} td,th{{border:1px solid #999;padding:4px 8px;text-align:left}} th{{background:#eef3fa}}
.kpi{{display:flex;gap:16px}} .kpi div{{flex:1;border:1px solid #ccd;padding:8px;text-align:center}} .kpi b{{display:block;font-size:26px}}
.muted{{color:#555;font-size:13px}} @media print{{h2{{break-after:avoid}} table{{break-inside:avoid}}}}</style></head>
<body>
<h1>临江街道社会治理月报<br>{y}年{mo}月</h1>
<p class="muted">统计口径：{from} 至 {to}（北京时间）上报的案件；同比为去年同期；生成于 {asof}。</p>
<div class="kpi"><div><b>{total}</b>案件总数</div><div><b>{closed}</b>已办结</div><div><b>{open}</b>在办</div><div><b>{urgent}</b>紧急</div></div>
<h2>一、考核指标</h2><table><tr><th>指标</th><th>分子</th><th>分母</th><th>比率</th><th>口径</th></tr>{indicators}</table>
<p class="muted">挂账（暂停计时）未计入 {susp} 件；经批准延期、按新期限计 {ext} 件。</p>
<h2>二、五项承诺履约情况</h2><table><tr><th>承诺</th><th>应履约</th><th>按时履约</th><th>履约率</th></tr>{promises}</table>
<h2>三、同比情况</h2><table><tr><th>指标</th><th>本月</th><th>去年同期</th><th>同比</th></tr>{yoy}</table>
<h2>四、每日案件数（本月与去年同期）</h2>{chart}
<h2>五、按期结案率最低的网格</h2><table><tr><th>名次</th><th>网格</th><th>案件数</th><th>应结案</th><th>超期</th><th>按期结案率</th></tr>{worst}</table>
<p class="muted">本月办结期限已到的案件不少于{min}件的网格参与排名。</p>
<h2>六、案件来源</h2><table><tr><th>来源</th><th>案件数</th></tr>{sources}</table>
<h2>七、类别排行（前十）</h2><table><tr><th>名次</th><th>类别</th><th>案件数</th></tr>{cats}</table>
<h2>八、案件最多的网格（前十）</h2><table><tr><th>名次</th><th>网格</th><th>案件数</th></tr>{grids}</table>
</body></html>"#,
        y = m.month.year(),
        mo = m.month.month(),
        from = m.month.format("%Y-%m-%d"),
        to = m.last_day.format("%Y-%m-%d"),
        asof = beijing(s.clock.now()),
        total = sum.total,
        closed = sum.closed,
        open = sum.open,
        urgent = sum.urgent,
        susp = m.indicators.left_out_suspended.len(),
        ext = m.indicators.extended.len(),
        min = super::breakdown::RANK_SAMPLE_MIN,
    )
}

/// Cases per day as an SVG bar chart for print: this month's bars, last year's as a line.
fn daily_chart(days: &[(String, i64)], last_year: &[(String, i64)]) -> String {
    let (w, h, left, bottom) = (860.0_f64, 220.0_f64, 40.0_f64, 24.0_f64);
    let n = days.len().max(last_year.len()).max(1);
    let top = days.iter().chain(last_year).map(|d| d.1).max().unwrap_or(0).max(1) as f64;
    let step = (w - left) / n as f64;
    let y = |v: i64| (h - bottom) - (v as f64 / top) * (h - bottom - 10.0);
    let mut svg = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" role="img" aria-label="每日案件数"><line x1="{left}" y1="{b}" x2="{w}" y2="{b}" stroke="#999"/><text x="0" y="14" font-size="11">{top}</text><text x="0" y="{b}" font-size="11">0</text>"##,
        b = h - bottom
    );
    for (i, (day, v)) in days.iter().enumerate() {
        let x = left + i as f64 * step;
        svg.push_str(&format!(r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="#1565c0"><title>{day}: {v}</title></rect>"##, x + 1.0, y(*v), (step - 2.0).max(1.0), (h - bottom) - y(*v)));
        if i % 5 == 0 {
            svg.push_str(&format!(
                r##"<text x="{:.1}" y="{}" font-size="11">{}</text>"##,
                x,
                h - 6.0,
                day.get(5..).unwrap_or(day)
            ));
        }
    }
    let points: Vec<String> = last_year
        .iter()
        .enumerate()
        .map(|(i, (_, v))| format!("{:.1},{:.1}", left + (i as f64 + 0.5) * step, y(*v)))
        .collect();
    svg.push_str(&format!(
        r##"<polyline points="{}" fill="none" stroke="#e65100" stroke-width="2"/>"##,
        points.join(" ")
    ));
    svg.push_str("</svg><p class=\"muted\">蓝色柱：本月每日案件数；橙色线：去年同期。</p>");
    svg
}

/// A one-page PDF of the report's figures. Its text is in English with the standard
/// Helvetica font (no CJK font is embedded); the printable page is the Chinese original.
fn monthly_pdf(m: &Monthly) -> Vec<u8> {
    let sum = &m.summary;
    let mut lines: Vec<(f32, String)> = vec![
        (18.0, format!("Linjiang Street governance report, {}", m.month.format("%B %Y"))),
        (10.0, format!("Cases reported {} to {} (Beijing time)", m.month, m.last_day)),
        (10.0, String::new()),
    ];
    lines.push((
        12.0,
        format!("Cases: {}   closed: {}   open: {}   urgent: {}", sum.total, sum.closed, sum.open, sum.urgent),
    ));
    lines.push((10.0, String::new()));
    lines.push((13.0, "The five promises: kept on time / reached / rate".into()));
    for (k, _, en) in PROMISE_KEYS {
        if let Some(p) = sum.promises.get(k) {
            lines.push((11.0, format!("  {en}: {} / {} / {}", p.kept, p.kept + p.missed, pct(p.rate))));
        }
    }
    lines.push((10.0, String::new()));
    lines.push((13.0, "Year on year: this month / same month last year / change".into()));
    for (k, _, en) in YOY_KEYS {
        if let Some(c) = sum.year_on_year.get(k) {
            lines.push((11.0, format!("  {en}: {} / {} / {}", c.current, c.previous, change(c.change_pct))));
        }
    }
    lines.push((10.0, String::new()));
    lines.push((13.0, "Indicators: numerator / denominator / rate".into()));
    for i in &m.indicators.indicators {
        lines.push((11.0, format!("  {}: {} / {} / {}", i.name_en, i.numerator, i.denominator, pct(i.rate))));
    }
    lines.push((10.0, String::new()));
    lines.push((13.0, "Grids with the lowest on-time closure: late / due / rate".into()));
    for (_, en, g) in &m.worst {
        lines.push((
            11.0,
            format!("  {en}: {} / {} / {}", g.close_missed, g.close_kept + g.close_missed, pct(g.close_rate)),
        ));
    }
    lines.push((10.0, String::new()));
    lines.push((13.0, "Grids with the most cases".into()));
    for (g, n) in &m.grids {
        lines.push((11.0, format!("  {}: {n}", m.grid_en.get(g).unwrap_or(g))));
    }
    pdf_of_lines(&lines)
}

/// Lines of text laid out top to bottom in Helvetica, a new A4 page whenever one is full.
fn pdf_of_lines(lines: &[(f32, String)]) -> Vec<u8> {
    use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};
    let mut pages: Vec<Content> = vec![];
    let mut c = Content::new();
    let mut y = 790.0;
    for (size, text) in lines {
        if y < 50.0 {
            pages.push(std::mem::replace(&mut c, Content::new()));
            y = 790.0;
        }
        // Helvetica has no CJK glyphs: anything else is left out rather than drawn wrong.
        let ascii: String = text.chars().filter(|ch| ch.is_ascii()).collect();
        c.begin_text().set_font(Name(b"F1"), *size).next_line(50.0, y).show(Str(ascii.as_bytes())).end_text();
        y -= size * 1.6;
    }
    pages.push(c);
    let (catalog, tree, font) = (Ref::new(1), Ref::new(2), Ref::new(3));
    let ids: Vec<(Ref, Ref)> = (0..pages.len() as i32).map(|i| (Ref::new(4 + 2 * i), Ref::new(5 + 2 * i))).collect();
    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids(ids.iter().map(|(page, _)| *page)).count(pages.len() as i32);
    pdf.type1_font(font).base_font(Name(b"Helvetica"));
    for ((page, content), c) in ids.into_iter().zip(pages) {
        let mut p = pdf.page(page);
        p.media_box(Rect::new(0.0, 0.0, 595.0, 842.0)).parent(tree).contents(content);
        p.resources().fonts().pair(Name(b"F1"), font);
        p.finish();
        pdf.stream(content, &c.finish());
    }
    pdf.finish()
}

/// The street's monthly report (月报): the cases, the five promises, year on year, sources,
/// categories and grids — a printable page, or `format=pdf`.
#[utoipa::path(get, path = "/api/v1/reports/monthly", params(MonthlyQuery),
    responses((status = 200, content_type = "text/html"), (status = 200, content_type = "application/pdf"), (status = 400, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn monthly(
    State(s): State<Arc<AppState>>,
    session: Session,
    ApiQuery(q): ApiQuery<MonthlyQuery>,
) -> ApiResult<Response> {
    let m = monthly_data(&s, &session, &q.month).await?;
    match q.format.as_deref() {
        None | Some("html") => {
            let mut r = monthly_html(&s, &m).into_response();
            r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
            Ok(r)
        }
        Some("pdf") => Ok(attachment(monthly_pdf(&m), "application/pdf", &format!("report-{}.pdf", q.month))),
        Some(f) => Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", format!("format {f:?}: html or pdf"))),
    }
}

/// A table as CSV text: UTF-8 with a byte-order mark, CRLF line ends.
fn table_csv(header: &[String], rows: &[Vec<String>]) -> Vec<u8> {
    let mut text = String::from("\u{feff}");
    for line in std::iter::once(header).chain(rows.iter().map(Vec::as_slice)) {
        text.push_str(&line.iter().map(|v| csv_field(v)).collect::<Vec<_>>().join(","));
        text.push_str("\r\n");
    }
    text.into_bytes()
}

/// A table as a workbook of one sheet: bold frozen header; cells that are numbers are
/// written as numbers, so Excel can sum them.
fn table_xlsx(sheet_name: &str, header: &[String], rows: &[Vec<String>]) -> ApiResult<Vec<u8>> {
    let fail = |e: rust_xlsxwriter::XlsxError| ApiError::internal(e);
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(sheet_name).map_err(fail)?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (col, h) in header.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, h, &bold).map_err(fail)?;
    }
    for (i, r) in rows.iter().enumerate() {
        for (col, v) in r.iter().enumerate() {
            let (row, col) = (i as u32 + 1, col as u16);
            match v.parse::<f64>() {
                Ok(n) if col > 0 => sheet.write_number(row, col, n).map_err(fail)?,
                _ => sheet.write_string(row, col, v).map_err(fail)?,
            };
        }
    }
    sheet.set_freeze_panes(1, 0).map_err(fail)?;
    book.save_to_buffer().map_err(fail)
}

/// A breakdown as a table: its header and rows (the total last), in the asked language.
fn breakdown_table(b: &super::breakdown::BreakdownOut, en: bool) -> (Vec<String>, Vec<Vec<String>>) {
    let zh = [
        "名称",
        "代码",
        "案件数",
        "在办",
        "已办结",
        "紧急",
        "按期办结",
        "超期",
        "按期结案率(%)",
        "及时到场率(%)",
        "满意率(%)",
        "返工",
        "对比期案件数",
        "案件数变化(%)",
        "按期结案率变化(个百分点)",
    ];
    let english = [
        "Name",
        "Code",
        "Cases",
        "Open",
        "Closed",
        "Urgent",
        "Closed on time",
        "Late",
        "On-time close rate (%)",
        "On-site on time (%)",
        "Satisfaction (%)",
        "Reopened",
        "Cases, compared period",
        "Change in cases (%)",
        "Change in on-time close rate (pp)",
    ];
    let header = if en { english } else { zh }.iter().map(|h| h.to_string()).collect();
    let num = |v: Option<f64>| v.map_or(String::new(), |x| format!("{x:.1}"));
    let rate = |v: Option<f64>| num(v.map(|x| x * 100.0));
    let line = |g: &super::breakdown::GroupOut| {
        vec![
            g.label.clone(),
            g.key.clone(),
            g.count.to_string(),
            g.open.to_string(),
            g.closed.to_string(),
            g.urgent.to_string(),
            g.close_kept.to_string(),
            g.close_missed.to_string(),
            rate(g.close_rate),
            rate(g.on_site_rate),
            rate(g.satisfaction_rate),
            g.reopened.to_string(),
            g.previous.as_ref().map_or(String::new(), |p| p.count.to_string()),
            num(g.count_change_pct),
            num(g.close_rate_change_pp),
        ]
    };
    let rows = b.rows.iter().chain(std::iter::once(&b.total)).map(line).collect();
    (header, rows)
}

async fn breakdown_export(
    s: &AppState,
    session: &Session,
    q: &super::breakdown::BreakdownQuery,
    what: &str,
) -> ApiResult<(Vec<String>, Vec<Vec<String>>)> {
    let b = super::breakdown::read(s, session, q).await?;
    let table = breakdown_table(&b, q.lang.as_deref() == Some("en"));
    audit_export(
        s,
        session,
        what,
        serde_json::json!({ "by": b.by, "from": b.period.from, "to": b.period.to, "rows": b.rows.len() }),
    )
    .await?;
    Ok(table)
}

/// A breakdown (`/api/v1/stats/breakdown`, same query) as CSV.
#[utoipa::path(get, path = "/api/v1/exports/breakdown.csv", params(super::breakdown::BreakdownQuery),
    responses((status = 200, content_type = "text/csv"), (status = 400, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn breakdown_csv(
    State(s): State<Arc<AppState>>,
    session: Session,
    ApiQuery(q): ApiQuery<super::breakdown::BreakdownQuery>,
) -> ApiResult<Response> {
    let (header, rows) = breakdown_export(&s, &session, &q, "breakdown.csv").await?;
    Ok(attachment(table_csv(&header, &rows), "text/csv; charset=utf-8", &format!("breakdown-{}.csv", q.by)))
}

/// A breakdown as an Excel workbook.
#[utoipa::path(get, path = "/api/v1/exports/breakdown.xlsx", params(super::breakdown::BreakdownQuery),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 400, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn breakdown_xlsx(
    State(s): State<Arc<AppState>>,
    session: Session,
    ApiQuery(q): ApiQuery<super::breakdown::BreakdownQuery>,
) -> ApiResult<Response> {
    let (header, rows) = breakdown_export(&s, &session, &q, "breakdown.xlsx").await?;
    let sheet = if q.lang.as_deref() == Some("en") { "Breakdown" } else { "分项统计" };
    Ok(attachment(
        table_xlsx(sheet, &header, &rows)?,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("breakdown-{}.xlsx", q.by),
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct IndicatorsExportQuery {
    /// Start (RFC 3339); 30 days ago when absent.
    pub from: Option<String>,
    /// End, exclusive (RFC 3339); now when absent.
    pub to: Option<String>,
    /// zh (default) or en.
    pub lang: Option<String>,
}

async fn indicators_export(
    s: &Arc<AppState>,
    session: &Session,
    q: IndicatorsExportQuery,
    what: &str,
) -> ApiResult<(Vec<String>, Vec<Vec<String>>)> {
    let en = super::breakdown::english(q.lang.as_deref())?;
    let sq = super::stats::SummaryQuery { from: q.from, to: q.to };
    let axum::Json(ind) = super::stats::indicators(State(s.clone()), session.clone(), ApiQuery(sq)).await?;
    let header: Vec<String> = if en {
        ["Indicator", "Numerator", "Denominator", "Rate (%)", "Formula", "From", "To", "As of"]
    } else {
        ["指标", "分子", "分母", "比率(%)", "口径", "起", "止", "统计时间"]
    }
    .iter()
    .map(|h| h.to_string())
    .collect();
    let rows: Vec<Vec<String>> = ind
        .indicators
        .iter()
        .map(|i| {
            vec![
                if en { i.name_en.clone() } else { i.name_zh.clone() },
                i.numerator.to_string(),
                i.denominator.to_string(),
                i.rate.map_or(String::new(), |r| format!("{:.1}", r * 100.0)),
                if en { i.formula_en.clone() } else { i.formula.clone() },
                ind.from.clone(),
                ind.to.clone(),
                ind.as_of.clone(),
            ]
        })
        .collect();
    audit_export(s, session, what, serde_json::json!({ "from": ind.from, "to": ind.to })).await?;
    Ok((header, rows))
}

/// The standard indicators of a period as CSV.
#[utoipa::path(get, path = "/api/v1/exports/indicators.csv", params(IndicatorsExportQuery),
    responses((status = 200, content_type = "text/csv"), (status = 400, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn indicators_csv(
    State(s): State<Arc<AppState>>,
    session: Session,
    ApiQuery(q): ApiQuery<IndicatorsExportQuery>,
) -> ApiResult<Response> {
    let (header, rows) = indicators_export(&s, &session, q, "indicators.csv").await?;
    Ok(attachment(table_csv(&header, &rows), "text/csv; charset=utf-8", "indicators.csv"))
}

/// The standard indicators of a period as an Excel workbook.
#[utoipa::path(get, path = "/api/v1/exports/indicators.xlsx", params(IndicatorsExportQuery),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 400, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn indicators_xlsx(
    State(s): State<Arc<AppState>>,
    session: Session,
    ApiQuery(q): ApiQuery<IndicatorsExportQuery>,
) -> ApiResult<Response> {
    let en = q.lang.as_deref() == Some("en");
    let (header, rows) = indicators_export(&s, &session, q, "indicators.xlsx").await?;
    Ok(attachment(
        table_xlsx(if en { "Indicators" } else { "考核指标" }, &header, &rows)?,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "indicators.xlsx",
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_long_report_runs_onto_more_pages() {
        let count = |pdf: &[u8]| {
            let t = String::from_utf8_lossy(pdf);
            t.matches("/Type /Page").count() - t.matches("/Type /Pages").count()
        };
        // 11 pt lines take 17.6 pt each: 43 fit from y = 790 down to y = 50 (the 43rd at 50.8).
        let lines = |n: usize| (0..n).map(|i| (11.0, format!("line {i}"))).collect::<Vec<_>>();
        assert_eq!(count(&super::pdf_of_lines(&lines(43))), 1);
        assert_eq!(count(&super::pdf_of_lines(&lines(44))), 2);
        assert_eq!(count(&super::pdf_of_lines(&lines(100))), 3);
    }
}
