//! Open311 GeoReport v2 at `/open311/v2`, in JSON and XML, so a city 12345 hotline or any
//! other platform can file and follow cases. Service codes are civicgrid's category codes; a
//! request made here is an ordinary case with the channel `open311`. Also the widely used
//! service-request-updates extension (`/request_updates`).
//!
//! Errors are what the specification says: a list of `{code, description}`, status 403 for a
//! bad API key, 404 for an unknown resource, 400 otherwise.

use crate::auth::secret_hash;
use crate::{wire, workflow, AppState};
use axum::extract::{Path, RawForm, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use domain::case::{Actor, Case, NewCase, Source, DESCRIPTION_CHARS_MAX};
use domain::category::{Category, CategoryKind};
use domain::codes::CategoryCode;
use domain::geo::LatLng;
use domain::role::Role;
use std::collections::HashMap;
use std::sync::Arc;
use store::writer::CreateCase;
use store::CaseFilter;

/// The jurisdiction this server answers for.
pub const JURISDICTION_ID: &str = "linjiang.qiantang.hangzhou.cn";
/// Requests listed at most (the specification's default window is 90 days and 1,000 items).
const REQUESTS_MAX: i64 = 200;
/// Days a request list covers when no dates are given.
const DEFAULT_WINDOW_DAYS: i64 = 90;
/// Reports one phone number, device or address may file per hour through Open311; more is
/// a flood, refused with 429-like 400 (the specification has no 429).
pub const REPORTS_PER_SOURCE_PER_HOUR: u32 = 10;

#[derive(Clone, Copy, PartialEq)]
enum Format {
    Json,
    Xml,
}

/// Splits `name.json` / `name.xml`.
fn split(file: &str) -> Option<(&str, Format)> {
    if let Some(n) = file.strip_suffix(".json") {
        Some((n, Format::Json))
    } else {
        file.strip_suffix(".xml").map(|n| (n, Format::Xml))
    }
}

/// A tiny XML writer: elements with escaped text.
struct Xml(String);

impl Xml {
    fn new(root: &str) -> Self {
        Self(format!("<?xml version=\"1.0\" encoding=\"utf-8\"?><{root}>"))
    }
    fn open(&mut self, tag: &str) {
        self.0.push_str(&format!("<{tag}>"));
    }
    fn close(&mut self, tag: &str) {
        self.0.push_str(&format!("</{tag}>"));
    }
    fn leaf(&mut self, tag: &str, value: &serde_json::Value) {
        let text = match value {
            serde_json::Value::Null => String::new(),
            serde_json::Value::String(s) => s.clone(),
            v => v.to_string(),
        };
        let escaped = text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;");
        self.0.push_str(&format!("<{tag}>{escaped}</{tag}>"));
    }
    /// One member of an object: a leaf, a nested element, or a plural container of singular
    /// items (attributes/attribute, values/value, formats/format).
    fn member(&mut self, k: &str, x: &serde_json::Value) {
        match x {
            serde_json::Value::Object(_) => self.object(k, x),
            serde_json::Value::Array(items) => {
                self.open(k);
                let item = k.strip_suffix('s').unwrap_or(k);
                for i in items {
                    if i.is_object() {
                        self.object(item, i)
                    } else {
                        self.leaf(item, i)
                    }
                }
                self.close(k);
            }
            _ => self.leaf(k, x),
        }
    }
    fn members(&mut self, v: &serde_json::Value) {
        if let Some(o) = v.as_object() {
            for (k, x) in o {
                self.member(k, x);
            }
        }
    }
    fn object(&mut self, tag: &str, v: &serde_json::Value) {
        self.open(tag);
        self.members(v);
        self.close(tag);
    }
    fn finish(mut self, root: &str) -> String {
        self.close(root);
        self.0
    }
}

fn respond(status: StatusCode, format: Format, root: &str, item: &str, body: serde_json::Value) -> Response {
    match format {
        Format::Json => (status, axum::Json(body)).into_response(),
        Format::Xml => {
            let mut x = Xml::new(root);
            match &body {
                serde_json::Value::Array(items) => items.iter().for_each(|i| x.object(item, i)),
                serde_json::Value::Object(_) => x.members(&body),
                _ => {}
            }
            (status, [(header::CONTENT_TYPE, "text/xml; charset=utf-8")], x.finish(root)).into_response()
        }
    }
}

/// An Open311 error answer.
fn error(format: Format, status: StatusCode, description: impl Into<String>) -> Response {
    let body = serde_json::json!([{ "code": status.as_u16(), "description": description.into() }]);
    respond(status, format, "errors", "error", body)
}

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/open311/v2/{file}", get(top).post(post_request))
        .route("/open311/v2/services/{file}", get(service_definition))
        .route("/open311/v2/requests/{file}", get(one_request))
        .route("/open311/v2/tokens/{file}", get(token))
}

fn query_map(q: &Option<String>) -> HashMap<String, String> {
    q.as_deref()
        .map(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).unwrap_or_default())
        .unwrap_or_default()
        .into_iter()
        .collect()
}

fn check_jurisdiction(format: Format, params: &HashMap<String, String>) -> Result<(), Response> {
    match params.get("jurisdiction_id") {
        Some(j) if !j.is_empty() && j != JURISDICTION_ID => Err(error(
            format,
            StatusCode::NOT_FOUND,
            format!("unknown jurisdiction_id {j:?}; this server serves {JURISDICTION_ID}"),
        )),
        _ => Ok(()),
    }
}

async fn top(State(s): State<Arc<AppState>>, Path(file): Path<String>, RawQuery(q): RawQuery) -> Response {
    let Some((name, format)) = split(&file) else {
        return error(Format::Json, StatusCode::NOT_FOUND, "unknown resource");
    };
    let params = query_map(&q);
    if let Err(r) = check_jurisdiction(format, &params) {
        return r;
    }
    match name {
        "discovery" => discovery(format),
        "services" => services(&s, format),
        "requests" => list_requests(&s, format, &params).await,
        "request_updates" => request_updates(&s, format, &params).await,
        _ => error(format, StatusCode::NOT_FOUND, format!("unknown resource {name:?}")),
    }
}

fn discovery(format: Format) -> Response {
    let body = serde_json::json!({
        "changeset": "2026-11-27T00:00:00+08:00",
        "contact": "临江街道社会治理中心 · 0571-00000000",
        "key_service": "civicgrid apikey add (街道指挥中心发放)",
        "endpoints": [{
            "specification": "http://wiki.open311.org/GeoReport_v2",
            "url": "/open311/v2",
            "changeset": "2026-11-27T00:00:00+08:00",
            "type": "production",
            "formats": ["application/json", "text/xml"],
        }],
    });
    respond(StatusCode::OK, format, "discovery", "discovery", body)
}

/// The attributes (extra form fields) of a category.
fn attributes(c: &Category) -> Vec<serde_json::Value> {
    let attr = |code: &str, datatype: &str, required: bool, order: i64, desc: &str| {
        serde_json::json!({
            "variable": true, "code": code, "datatype": datatype, "required": required,
            "datatype_description": null, "order": order, "description": desc, "values": [],
        })
    };
    if c.tags.iter().any(|t| t == "dispute") {
        vec![
            attr("parties", "number", false, 1, "涉及人数 (people involved)"),
            attr("amount_yuan", "number", false, 2, "涉及金额（元） (amount in dispute, yuan)"),
        ]
    } else if c.kind == CategoryKind::Component {
        vec![attr("component_id", "string", false, 1, "部件编号 (asset number)")]
    } else {
        vec![]
    }
}

fn service_json(c: &Category) -> serde_json::Value {
    serde_json::json!({
        "service_code": c.code.as_str(),
        "service_name": c.name_zh,
        "description": format!("{} ({})", c.name_zh, c.name_en),
        "metadata": !attributes(c).is_empty(),
        "type": "realtime",
        "keywords": c.tags.join(","),
        "group": match c.kind { CategoryKind::Event => "事件", CategoryKind::Component => "部件" },
    })
}

fn services(s: &AppState, format: Format) -> Response {
    let list: Vec<_> = s.categories.values().map(service_json).collect();
    respond(StatusCode::OK, format, "services", "service", serde_json::Value::Array(list))
}

async fn service_definition(
    State(s): State<Arc<AppState>>,
    Path(file): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let Some((code, format)) = split(&file) else {
        return error(Format::Json, StatusCode::NOT_FOUND, "unknown resource");
    };
    if let Err(r) = check_jurisdiction(format, &query_map(&q)) {
        return r;
    }
    let Some(c) = CategoryCode::parse(code).ok().and_then(|c| s.categories.get(&c)) else {
        return error(format, StatusCode::NOT_FOUND, format!("unknown service_code {code:?}"));
    };
    let body = serde_json::json!({ "service_code": c.code.as_str(), "attributes": attributes(c) });
    respond(StatusCode::OK, format, "service_definition", "service_definition", body)
}

fn is_open(c: &Case) -> bool {
    c.status.is_open()
}

fn request_json(s: &AppState, c: &Case) -> serde_json::Value {
    let cat = s.categories.get(&c.category);
    let grid = s.grids.get(&c.grid);
    let agency = grid.and_then(|g| s.stations.iter().find(|st| st.code == g.station)).map(|st| st.name_zh.clone());
    let updated = if is_open(c) { None } else { Some(wire::time(c.updated_at)) };
    let last_note = c.events.iter().rev().find_map(|e| e.note.clone());
    serde_json::json!({
        "service_request_id": c.id.to_string(),
        "status": if is_open(c) { "open" } else { "closed" },
        "status_notes": last_note,
        "service_name": cat.map(|k| k.name_zh.clone()),
        "service_code": c.category.as_str(),
        "description": c.description,
        "agency_responsible": agency,
        "service_notice": "临江街道承诺：1分钟受理，3分钟派单并联系，10分钟到场，1小时反馈，24小时办结",
        "requested_datetime": wire::time(c.created_at),
        "updated_datetime": updated,
        "expected_datetime": wire::time(c.deadlines.close),
        "address": c.address,
        "address_id": null,
        "zipcode": null,
        "lat": c.location.lat(),
        "long": c.location.lng(),
        "media_url": null,
    })
}

async fn list_requests(s: &AppState, format: Format, p: &HashMap<String, String>) -> Response {
    let bad = |m: String| error(format, StatusCode::BAD_REQUEST, m);
    if let Some(ids) = p.get("service_request_id").filter(|v| !v.is_empty()) {
        let mut out = vec![];
        for id in ids.split(',').take(REQUESTS_MAX as usize) {
            let Ok(id) = id.trim().parse::<i64>() else {
                return bad(format!("service_request_id {id:?} is not a number"));
            };
            match s.store.get_case(id).await {
                Ok(c) => out.push(request_json(s, &c)),
                Err(store::StoreError::NotFound) => {}
                Err(e) => return error(format, StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
            }
        }
        return respond(StatusCode::OK, format, "service_requests", "request", serde_json::Value::Array(out));
    }
    let time = |k: &str| p.get(k).filter(|v| !v.is_empty()).map(|v| wire::parse_time(k, v)).transpose();
    let (start, end) = match (time("start_date"), time("end_date")) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return bad(e),
    };
    let end_or_now = end.unwrap_or_else(chrono::Utc::now);
    let mut f = CaseFilter {
        since: Some(start.unwrap_or(end_or_now - chrono::Duration::days(DEFAULT_WINDOW_DAYS))),
        until: end,
        limit: REQUESTS_MAX,
        ..Default::default()
    };
    if let Some(code) = p.get("service_code").filter(|v| !v.is_empty()) {
        match CategoryCode::parse(code) {
            Ok(c) => f.category = Some(c),
            Err(e) => return bad(e.0),
        }
    }
    match p.get("status").map(String::as_str) {
        None | Some("") => {}
        Some("open") => f.status = Some(domain::case::Status::ALL.into_iter().filter(|s| s.is_open()).collect()),
        Some("closed") => f.status = Some(domain::case::Status::ALL.into_iter().filter(|s| !s.is_open()).collect()),
        Some(other) => return bad(format!("status must be open or closed, got {other:?}")),
    }
    match s.store.list_cases(&f).await {
        Ok(page) => respond(
            StatusCode::OK,
            format,
            "service_requests",
            "request",
            serde_json::Value::Array(page.cases.iter().map(|c| request_json(s, c)).collect()),
        ),
        Err(e) => error(format, StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

async fn one_request(State(s): State<Arc<AppState>>, Path(file): Path<String>, RawQuery(q): RawQuery) -> Response {
    let Some((id, format)) = split(&file) else {
        return error(Format::Json, StatusCode::NOT_FOUND, "unknown resource");
    };
    if let Err(r) = check_jurisdiction(format, &query_map(&q)) {
        return r;
    }
    let Ok(id) = id.parse::<i64>() else {
        return error(format, StatusCode::NOT_FOUND, format!("unknown service_request_id {id:?}"));
    };
    match s.store.get_case(id).await {
        Ok(c) => {
            respond(StatusCode::OK, format, "service_requests", "request", serde_json::json!([request_json(&s, &c)]))
        }
        Err(store::StoreError::NotFound) => {
            error(format, StatusCode::NOT_FOUND, format!("unknown service_request_id {id}"))
        }
        Err(e) => error(format, StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// Tokens: requests are created at once, so a token is the request id with a prefix.
async fn token(State(s): State<Arc<AppState>>, Path(file): Path<String>) -> Response {
    let Some((tok, format)) = split(&file) else {
        return error(Format::Json, StatusCode::NOT_FOUND, "unknown resource");
    };
    let id = tok.strip_prefix("cg-").and_then(|i| i.parse::<i64>().ok());
    match id {
        Some(id) if s.store.get_case(id).await.is_ok() => respond(
            StatusCode::OK,
            format,
            "service_requests",
            "request",
            serde_json::json!([{ "service_request_id": id.to_string(), "token": tok }]),
        ),
        _ => error(format, StatusCode::NOT_FOUND, format!("unknown token {tok:?}")),
    }
}

/// The service-request-updates extension: one update per step of each case.
async fn request_updates(s: &AppState, format: Format, p: &HashMap<String, String>) -> Response {
    let time = |k: &str| p.get(k).filter(|v| !v.is_empty()).map(|v| wire::parse_time(k, v)).transpose();
    let (start, end) = match (time("start_date"), time("end_date")) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return error(format, StatusCode::BAD_REQUEST, e),
    };
    let start = start.unwrap_or_else(|| chrono::Utc::now() - chrono::Duration::days(1));
    let end = end.unwrap_or_else(chrono::Utc::now);
    let f = CaseFilter {
        since: Some(start - chrono::Duration::days(DEFAULT_WINDOW_DAYS)),
        limit: REQUESTS_MAX,
        ..Default::default()
    };
    let page = match s.store.list_cases(&f).await {
        Ok(p) => p,
        Err(e) => return error(format, StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    let mut updates = vec![];
    for c in &page.cases {
        for e in c.events.iter().filter(|e| e.at >= start && e.at < end) {
            updates.push(serde_json::json!({
                "update_id": format!("{}-{}", c.id, e.seq),
                "service_request_id": c.id.to_string(),
                "status": if e.to.is_open() { "open" } else { "closed" },
                "updated_datetime": wire::time(e.at),
                "description": e.note.clone().unwrap_or_else(|| e.action.as_str().to_owned()),
                "media_url": null,
            }));
        }
    }
    respond(StatusCode::OK, format, "service_request_updates", "request_update", serde_json::Value::Array(updates))
}

/// `POST /requests.{json|xml}`, form-encoded, with `api_key`.
async fn post_request(State(s): State<Arc<AppState>>, Path(file): Path<String>, RawForm(body): RawForm) -> Response {
    let Some((name, format)) = split(&file) else {
        return error(Format::Json, StatusCode::NOT_FOUND, "unknown resource");
    };
    if name != "requests" {
        return error(format, StatusCode::NOT_FOUND, format!("cannot POST to {name:?}"));
    }
    let Ok(pairs) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body) else {
        return error(format, StatusCode::BAD_REQUEST, "the body must be application/x-www-form-urlencoded");
    };
    let p: HashMap<String, String> = pairs.iter().cloned().collect();
    if let Err(r) = check_jurisdiction(format, &p) {
        return r;
    }
    let bad = |m: String| error(format, StatusCode::BAD_REQUEST, m);
    let Some(key) = p.get("api_key").filter(|k| !k.is_empty()) else {
        return error(format, StatusCode::FORBIDDEN, "api_key is required");
    };
    let partner = match s.store.api_key_name(&secret_hash(key)).await {
        Ok(n) => n,
        Err(store::StoreError::NotFound) => return error(format, StatusCode::FORBIDDEN, "invalid api_key"),
        Err(e) => return error(format, StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    let Some(code) = p.get("service_code").filter(|c| !c.is_empty()) else {
        return bad("service_code is required".into());
    };
    let Some(category) = CategoryCode::parse(code).ok().filter(|c| s.categories.contains_key(c)) else {
        return bad(format!("unknown service_code {code:?}"));
    };
    let num = |k: &str| {
        p.get(k).filter(|v| !v.is_empty()).map(|v| v.parse::<f64>().map_err(|_| format!("{k} must be a number")))
    };
    let location = match (num("lat"), num("long")) {
        (Some(Ok(lat)), Some(Ok(lng))) => match LatLng::new(lat, lng) {
            Ok(l) => l,
            Err(e) => return bad(e.to_string()),
        },
        (Some(Err(e)), _) | (_, Some(Err(e))) => return bad(e),
        _ => return bad("a location is required: lat and long (addresses alone cannot be placed in a grid)".into()),
    };
    let Some(grid) = s.area.locate(&location).cloned() else {
        return bad("the location lies outside the area this street serves".into());
    };
    let description = p.get("description").map(|d| d.trim()).unwrap_or_default().to_owned();
    if description.chars().count() > DESCRIPTION_CHARS_MAX {
        return bad(format!("description is longer than {DESCRIPTION_CHARS_MAX} characters"));
    }
    // Attributes and media travel in the description, labelled.
    let cat = &s.categories[&category];
    let known: Vec<String> = attributes(cat).iter().filter_map(|a| a["code"].as_str().map(str::to_owned)).collect();
    let mut extra = vec![];
    for (k, v) in &pairs {
        if let Some(code) = k.strip_prefix("attribute[").and_then(|k| k.strip_suffix(']')) {
            if !known.iter().any(|c| c == code) {
                return bad(format!("service {} has no attribute {code:?}", category));
            }
            if v.chars().count() > 200 {
                return bad(format!("attribute {code} is longer than 200 characters"));
            }
            extra.push(format!("{code}={v}"));
        }
    }
    if let Some(m) = p.get("media_url").filter(|m| !m.is_empty()) {
        if !(m.starts_with("http://") || m.starts_with("https://")) || m.len() > 1000 {
            return bad("media_url must be an http(s) URL".into());
        }
        extra.push(format!("media={m}"));
    }
    let mut text = if description.is_empty() { cat.name_zh.clone() } else { description };
    if !extra.is_empty() {
        text = format!("{text}\n附加信息：{}", extra.join("; "));
    }
    if text.chars().count() > DESCRIPTION_CHARS_MAX {
        return bad(format!("description with attributes is longer than {DESCRIPTION_CHARS_MAX} characters"));
    }
    let phone = p.get("phone").filter(|v| !v.is_empty());
    let phone = match phone.map(|v| domain::codes::PhoneNumber::parse(v)) {
        Some(Err(e)) => return bad(format!("phone: {}", e.0)),
        Some(Ok(v)) => Some(v),
        None => None,
    };
    // Floods from one phone, device or address are refused.
    for who in [
        phone.as_ref().map(|p| format!("phone:{}", p.as_str())),
        p.get("device_id").map(|d| format!("device:{d}")),
        p.get("address_string").map(|a| format!("address:{a}")),
    ]
    .into_iter()
    .flatten()
    {
        if !s.report_limits.allow(&who, REPORTS_PER_SOURCE_PER_HOUR) {
            return bad(format!(
                "too many reports from the same source; at most {REPORTS_PER_SOURCE_PER_HOUR} an hour"
            ));
        }
    }
    let name = [p.get("last_name"), p.get("first_name")]
        .into_iter()
        .flatten()
        .filter(|n| !n.is_empty())
        .cloned()
        .collect::<Vec<_>>()
        .join("");
    let reporter = (phone.is_some() || !name.is_empty()).then(|| store::writer::ReporterInput {
        name: (!name.is_empty()).then(|| name.chars().take(50).collect()),
        phone: phone.map(|p| p.as_str().to_owned()),
    });
    let now = chrono::Utc::now();
    let actor = Actor { user_id: 0, username: format!("open311:{partner}"), role: Role::Dispatcher };
    let priority = cat.default_priority;
    let created = workflow::create(
        &s,
        CreateCase {
            deadlines: s.policy.deadlines(&category, priority, now),
            new: NewCase {
                category,
                priority,
                source: Source::Open311,
                location,
                grid,
                description: text,
                address: p.get("address_string").filter(|a| !a.is_empty()).map(|a| a.chars().take(200).collect()),
                reporter_id: None,
                reported_by: None,
            },
            reporter,
            actor,
            at: now,
            extras: Default::default(),
        },
    )
    .await;
    match created {
        Ok(c) => respond(
            StatusCode::CREATED,
            format,
            "service_requests",
            "request",
            serde_json::json!([{
                "service_request_id": c.id.to_string(),
                "token": format!("cg-{}", c.id),
                "service_notice": "已受理登记；临江街道承诺24小时内办结。",
                "account_id": null,
            }]),
        ),
        Err(e) => error(format, StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// Counts reports per source in the current hour; a small fixed-window limiter.
#[derive(Default)]
pub struct ReportLimits {
    windows: std::sync::Mutex<HashMap<String, (i64, u32)>>,
}

/// Sources remembered at most; the table is cleared when full (limits restart).
const LIMIT_SOURCES_MAX: usize = 100_000;

impl ReportLimits {
    /// Counts one report from `who`; false when it is over `per_hour`.
    pub fn allow(&self, who: &str, per_hour: u32) -> bool {
        let hour = chrono::Utc::now().timestamp() / 3600;
        let mut w = self.windows.lock().expect("limits lock");
        if w.len() >= LIMIT_SOURCES_MAX {
            w.clear();
        }
        let e = w.entry(who.to_owned()).or_insert((hour, 0));
        if e.0 != hour {
            *e = (hour, 0);
        }
        e.1 += 1;
        e.1 <= per_hour
    }
}
