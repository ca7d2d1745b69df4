//! Open311 GeoReport v2 at `/open311/v2`, in JSON and XML, so a city 12345 hotline or any
//! other platform can file and follow cases. Service codes are civicgrid's category codes; a
//! request made here is an ordinary case with the channel `open311`. Also the widely used
//! service-request-updates extension (`/request_updates`).
//!
//! Who reads what: without a key, only the categories the catalogue marks public (street
//! lights, potholes…), in public words — no staff notes, no reporter, numbers in the text
//! masked, the place rounded where the category says so. A partner key reads what its
//! scope (`public`, `all` or a list of category codes) covers, with staff detail for the
//! categories named. Police calls, disputes and petitions are never public. Filing needs a
//! key.
//!
//! Errors are what the specification says: a list of `{code, description}`, status 403 for a
//! bad API key, 404 for an unknown resource, 400 otherwise.

use crate::auth::secret_hash;
use crate::{wire, AppState};
use axum::extract::{Path, RawForm, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use domain::case::{ActionKind, Actor, Case, NewCase, Source, DESCRIPTION_CHARS_MAX};
use domain::category::{Category, CategoryKind, Publicity};
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
/// Reports naming neither a phone nor a device, per key and client address an hour.
pub const UNIDENTIFIED_REPORTS_PER_HOUR: u32 = 30;
/// Reports one partner key may file an hour: the street's busiest day sees ~2,400 cases,
/// so a hotline relaying a third of them stays under it.
pub const REPORTS_PER_KEY_PER_HOUR: u32 = 600;

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

/// The XML form of an answer (quick-xml escapes the text): each JSON member an element, a
/// plural array a container of singular items (attributes/attribute, values/value,
/// formats/format), as the specification names them.
struct Xml(quick_xml::Writer<Vec<u8>>);

impl Xml {
    fn new(root: &str) -> Self {
        use quick_xml::events::{BytesDecl, Event};
        let mut w = quick_xml::Writer::new(Vec::new());
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None))).expect("writing to memory");
        let mut x = Self(w);
        x.open(root);
        x
    }
    fn open(&mut self, tag: &str) {
        let e = quick_xml::events::Event::Start(quick_xml::events::BytesStart::new(tag));
        self.0.write_event(e).expect("writing to memory");
    }
    fn close(&mut self, tag: &str) {
        let e = quick_xml::events::Event::End(quick_xml::events::BytesEnd::new(tag));
        self.0.write_event(e).expect("writing to memory");
    }
    fn leaf(&mut self, tag: &str, value: &serde_json::Value) {
        let text = match value {
            serde_json::Value::Null => String::new(),
            serde_json::Value::String(s) => s.clone(),
            v => v.to_string(),
        };
        self.open(tag);
        let e = quick_xml::events::Event::Text(quick_xml::events::BytesText::new(&text));
        self.0.write_event(e).expect("writing to memory");
        self.close(tag);
    }
    /// One member of an object: a leaf, a nested element, or a plural container of singular
    /// items.
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
        String::from_utf8(self.0.into_inner()).expect("written from strings")
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

/// The query's parameters: well-formed, free of control characters, for this jurisdiction.
fn params(format: Format, q: &Option<String>) -> Result<HashMap<String, String>, Response> {
    let pairs = serde_urlencoded::from_str::<Vec<(String, String)>>(q.as_deref().unwrap_or_default())
        .map_err(|_| error(format, StatusCode::BAD_REQUEST, "the query string is not well-formed"))?;
    crate::error::check_pairs_text(&pairs).map_err(|m| error(format, StatusCode::BAD_REQUEST, m))?;
    let map: HashMap<String, String> = pairs.into_iter().collect();
    check_jurisdiction(format, &map)?;
    Ok(map)
}

/// An internal failure: logged here, never shown (database text stays inside).
fn internal(format: Format, e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "open311: internal error");
    error(format, StatusCode::INTERNAL_SERVER_ERROR, "internal error; it has been logged")
}

/// What a partner key may read; stored with the key (`civicgrid apikey add --scope`).
#[derive(Debug, Clone, PartialEq)]
pub enum KeyScope {
    /// The categories the catalogue marks public, as anyone sees them.
    Public,
    /// Every category, with staff detail (a city 12345 hotline).
    All,
    /// These categories with staff detail, and the public ones as anyone sees them.
    Categories(Vec<CategoryCode>),
}

impl KeyScope {
    /// `public`, `all`, or category codes separated by commas.
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim() {
            "public" => Ok(KeyScope::Public),
            "all" => Ok(KeyScope::All),
            "" => Err("a key scope is public, all, or category codes separated by commas".into()),
            list => list
                .split(',')
                .map(|c| CategoryCode::parse(c.trim()).map_err(|e| format!("scope: {}", e.0)))
                .collect::<Result<Vec<_>, _>>()
                .map(KeyScope::Categories),
        }
    }

    /// Whether the key reads this category's cases with staff detail: the exact place and
    /// the staff's notes.
    fn detailed(&self, c: &Category) -> bool {
        match self {
            KeyScope::Public => false,
            KeyScope::All => true,
            KeyScope::Categories(codes) => codes.contains(&c.code),
        }
    }

    /// Whether the key reads this category's cases at all.
    fn covers(&self, c: &Category) -> bool {
        c.public.is_public() || self.detailed(c)
    }
}

/// Who reads: anyone without a key sees the public categories; a key, what its scope says.
async fn reader(s: &AppState, format: Format, p: &HashMap<String, String>) -> Result<KeyScope, Response> {
    let Some(key) = p.get("api_key").filter(|k| !k.is_empty()) else {
        return Ok(KeyScope::Public);
    };
    match s.store.api_key(&secret_hash(key)).await {
        Ok((name, scope)) => Ok(KeyScope::parse(&scope).unwrap_or_else(|e| {
            tracing::warn!(partner = %name, error = %e, "open311: a key's stored scope is unreadable; reading as public");
            KeyScope::Public
        })),
        Err(store::StoreError::NotFound) => Err(error(format, StatusCode::FORBIDDEN, "invalid api_key")),
        Err(e) => Err(internal(format, e)),
    }
}

/// The categories a reader may see.
fn visible_categories(s: &AppState, scope: &KeyScope) -> Vec<CategoryCode> {
    s.categories.values().filter(|c| scope.covers(c)).map(|c| c.code.clone()).collect()
}

/// Whether the reader may see the case.
fn may_read(s: &AppState, scope: &KeyScope, c: &Case) -> bool {
    s.categories.get(&c.category).is_some_and(|k| scope.covers(k))
}

/// Why a `jurisdiction_id` is refused (404): another one than this server's.
fn foreign_jurisdiction(j: Option<&str>) -> Option<String> {
    j.filter(|j| !j.is_empty() && *j != JURISDICTION_ID)
        .map(|j| format!("unknown jurisdiction_id {j:?}; this server serves {JURISDICTION_ID}"))
}

fn check_jurisdiction(format: Format, params: &HashMap<String, String>) -> Result<(), Response> {
    match foreign_jurisdiction(params.get("jurisdiction_id").map(String::as_str)) {
        Some(m) => Err(error(format, StatusCode::NOT_FOUND, m)),
        None => Ok(()),
    }
}

async fn top(State(s): State<Arc<AppState>>, Path(file): Path<String>, RawQuery(q): RawQuery) -> Response {
    let Some((name, format)) = split(&file) else {
        return error(Format::Json, StatusCode::NOT_FOUND, "unknown resource");
    };
    let params = match params(format, &q) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let scope = match name {
        "requests" | "request_updates" => match reader(&s, format, &params).await {
            Ok(scope) => scope,
            Err(r) => return r,
        },
        _ => KeyScope::Public,
    };
    match name {
        "discovery" => discovery(format),
        "services" => services(&s, format),
        "requests" => list_requests(&s, format, &params, &scope).await,
        "request_updates" => request_updates(&s, format, &params, &scope).await,
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
    if let Err(r) = params(format, &q) {
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

/// A case as Open311 shows it. Without staff detail: plain-words status instead of staff
/// notes, long digit runs (phone numbers) masked in the description, and the place rounded
/// to about 100 m where the category says so.
fn request_json(s: &AppState, scope: &KeyScope, c: &Case) -> serde_json::Value {
    let cat = s.categories.get(&c.category);
    let detailed = cat.is_some_and(|k| scope.detailed(k));
    let approximate = !detailed && cat.is_some_and(|k| k.public == Publicity::Approximate);
    let grid = s.grids.get(&c.grid);
    let agency = grid.and_then(|g| s.stations.iter().find(|st| st.code == g.station)).map(|st| st.name_zh.clone());
    let updated = if is_open(c) { None } else { Some(wire::time(c.updated_at)) };
    let status_notes = if detailed {
        c.events.iter().rev().find_map(|e| e.note.clone())
    } else {
        c.events.iter().rev().find_map(|e| public_words(e.action)).map(str::to_owned)
    };
    let round = |x: f64| if approximate { (x * 1000.0).round() / 1000.0 } else { x };
    serde_json::json!({
        "service_request_id": c.id.to_string(),
        "status": if is_open(c) { "open" } else { "closed" },
        "status_notes": status_notes,
        "service_name": cat.map(|k| k.name_zh.clone()),
        "service_code": c.category.as_str(),
        "description": if detailed { c.description.clone() } else { mask_digit_runs(&c.description) },
        "agency_responsible": agency,
        "service_notice": "临江街道承诺：1分钟受理，3分钟派单并联系，10分钟到场，1小时反馈，24小时办结",
        "requested_datetime": wire::time(c.created_at),
        "updated_datetime": updated,
        "expected_datetime": wire::time(c.deadlines.close),
        "address": if approximate { None } else { c.address.clone() },
        "address_id": null,
        "zipcode": null,
        "lat": round(c.location.lat()),
        "long": round(c.location.lng()),
        "media_url": null,
    })
}

/// A step in words the public may read.
fn public_words(a: ActionKind) -> Option<&'static str> {
    Some(match a {
        ActionKind::Create => "已登记",
        ActionKind::Accept => "已受理",
        ActionKind::Dispatch | ActionKind::Reassign | ActionKind::Take => "已派员处理",
        ActionKind::Arrive => "工作人员已到场",
        ActionKind::Feedback => "正在处理",
        ActionKind::Close => "已办结",
        ActionKind::Reject => "未予受理",
        ActionKind::Void => "已撤销",
        ActionKind::Reopen => "重新办理",
        ActionKind::Suspend => "暂缓处理",
        ActionKind::Resume => "恢复处理",
        _ => return None,
    })
}

/// Runs of five or more digits (phone, ID and plate numbers) become asterisks, so a public
/// list repeats no one's number from a report; years and house numbers stay.
fn mask_digit_runs(text: &str) -> String {
    /// Digits in a row from which a run is taken for a number.
    const DIGITS_MIN: usize = 5;
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.chars().count() >= DIGITS_MIN {
            out.extend(std::iter::repeat_n('*', run.chars().count()));
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for ch in text.chars() {
        if ch.is_ascii_digit() {
            run.push(ch);
        } else {
            flush(&mut run, &mut out);
            out.push(ch);
        }
    }
    flush(&mut run, &mut out);
    out
}

async fn list_requests(s: &AppState, format: Format, p: &HashMap<String, String>, scope: &KeyScope) -> Response {
    let bad = |m: String| error(format, StatusCode::BAD_REQUEST, m);
    if let Some(ids) = p.get("service_request_id").filter(|v| !v.is_empty()) {
        let mut out = vec![];
        for id in ids.split(',').take(REQUESTS_MAX as usize) {
            let Ok(id) = id.trim().parse::<i64>() else {
                return bad(format!("service_request_id {id:?} is not a number"));
            };
            match s.store.get_case(id).await {
                Ok(c) if may_read(s, scope, &c) => out.push(request_json(s, scope, &c)),
                Ok(_) => {}
                Err(store::StoreError::NotFound) => {}
                Err(e) => return internal(format, e),
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
        categories: Some(visible_categories(s, scope)),
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
            serde_json::Value::Array(page.cases.iter().map(|c| request_json(s, scope, c)).collect()),
        ),
        Err(e) => internal(format, e),
    }
}

async fn one_request(State(s): State<Arc<AppState>>, Path(file): Path<String>, RawQuery(q): RawQuery) -> Response {
    let Some((id, format)) = split(&file) else {
        return error(Format::Json, StatusCode::NOT_FOUND, "unknown resource");
    };
    let p = match params(format, &q) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let scope = match reader(&s, format, &p).await {
        Ok(scope) => scope,
        Err(r) => return r,
    };
    let Ok(id) = id.parse::<i64>() else {
        return error(format, StatusCode::NOT_FOUND, format!("unknown service_request_id {id:?}"));
    };
    // A case the reader may not see is as good as absent.
    match s.store.get_case(id).await {
        Ok(c) if may_read(&s, &scope, &c) => respond(
            StatusCode::OK,
            format,
            "service_requests",
            "request",
            serde_json::json!([request_json(&s, &scope, &c)]),
        ),
        Ok(_) | Err(store::StoreError::NotFound) => {
            error(format, StatusCode::NOT_FOUND, format!("unknown service_request_id {id}"))
        }
        Err(e) => internal(format, e),
    }
}

/// Tokens: requests are created at once, so a token is the request id with a prefix.
async fn token(State(s): State<Arc<AppState>>, Path(file): Path<String>, RawQuery(q): RawQuery) -> Response {
    let Some((tok, format)) = split(&file) else {
        return error(Format::Json, StatusCode::NOT_FOUND, "unknown resource");
    };
    let scope = match params(format, &q) {
        Ok(p) => match reader(&s, format, &p).await {
            Ok(scope) => scope,
            Err(r) => return r,
        },
        Err(r) => return r,
    };
    let id = tok.strip_prefix("cg-").and_then(|i| i.parse::<i64>().ok());
    let known = match id {
        Some(id) => s.store.get_case(id).await.ok().is_some_and(|c| may_read(&s, &scope, &c)),
        None => false,
    };
    match id {
        Some(id) if known => respond(
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
async fn request_updates(s: &AppState, format: Format, p: &HashMap<String, String>, scope: &KeyScope) -> Response {
    let time = |k: &str| p.get(k).filter(|v| !v.is_empty()).map(|v| wire::parse_time(k, v)).transpose();
    let (start, end) = match (time("start_date"), time("end_date")) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return error(format, StatusCode::BAD_REQUEST, e),
    };
    let start = start.unwrap_or_else(|| s.clock.now() - chrono::Duration::days(1));
    let end = end.unwrap_or_else(chrono::Utc::now);
    let f = CaseFilter {
        since: Some(start - chrono::Duration::days(DEFAULT_WINDOW_DAYS)),
        categories: Some(visible_categories(s, scope)),
        limit: REQUESTS_MAX,
        ..Default::default()
    };
    let page = match s.store.list_cases(&f).await {
        Ok(p) => p,
        Err(e) => return internal(format, e),
    };
    let mut updates = vec![];
    for c in &page.cases {
        let detailed = s.categories.get(&c.category).is_some_and(|k| scope.detailed(k));
        for e in c.events.iter().filter(|e| e.at >= start && e.at < end) {
            let description = if detailed {
                e.note.clone().unwrap_or_else(|| e.action.as_str().to_owned())
            } else {
                match public_words(e.action) {
                    Some(w) => w.to_owned(),
                    None => continue,
                }
            };
            updates.push(serde_json::json!({
                "update_id": format!("{}-{}", c.id, e.seq),
                "service_request_id": c.id.to_string(),
                "status": if e.to.is_open() { "open" } else { "closed" },
                "updated_datetime": wire::time(e.at),
                "description": description,
                "media_url": null,
            }));
        }
    }
    respond(StatusCode::OK, format, "service_request_updates", "request_update", serde_json::Value::Array(updates))
}

/// `POST /requests.{json|xml}`, form-encoded, with `api_key`.
async fn post_request(
    State(s): State<Arc<AppState>>,
    Path(file): Path<String>,
    client: crate::http::ClientAddr,
    RawForm(body): RawForm,
) -> Response {
    let Some((name, format)) = split(&file) else {
        return error(Format::Json, StatusCode::NOT_FOUND, "unknown resource");
    };
    if name != "requests" {
        return error(format, StatusCode::NOT_FOUND, format!("cannot POST to {name:?}"));
    }
    let form = match parse_form(&body) {
        Ok(f) => f,
        Err((status, m)) => return error(format, status, m),
    };
    let bad = |m: String| error(format, StatusCode::BAD_REQUEST, m);
    let partner = match s.store.api_key(&secret_hash(&form.api_key)).await {
        Ok((name, _)) => name,
        Err(store::StoreError::NotFound) => return error(format, StatusCode::FORBIDDEN, "invalid api_key"),
        Err(e) => return internal(format, e),
    };
    let Some(cat) = s.categories.get(&form.service_code) else {
        return bad(format!("unknown service_code {:?}", form.service_code.as_str()));
    };
    let category = cat.code.clone();
    let location = form.location;
    let Some(grid) = s.area.locate(&location).cloned() else {
        return bad("the location lies outside the area this street serves".into());
    };
    // Attributes and media travel in the description, labelled.
    let known: Vec<String> = attributes(cat).iter().filter_map(|a| a["code"].as_str().map(str::to_owned)).collect();
    let mut extra = vec![];
    for (code, v) in &form.attributes {
        if !known.iter().any(|c| c == code) {
            return bad(format!("service {} has no attribute {code:?}", category));
        }
        extra.push(format!("{code}={v}"));
    }
    if let Some(m) = &form.media_url {
        extra.push(format!("media={m}"));
    }
    let description = form.description.clone();
    let mut text = if description.is_empty() { cat.name_zh.clone() } else { description };
    if !extra.is_empty() {
        text = format!("{text}\n附加信息：{}", extra.join("; "));
    }
    if text.chars().count() > DESCRIPTION_CHARS_MAX {
        return bad(format!("description with attributes is longer than {DESCRIPTION_CHARS_MAX} characters"));
    }
    let phone = form.phone.clone();
    // Floods from one phone, device or address are refused; so is a flood of reports that
    // name no one, and a key filing more than any hotline does.
    let identified = phone.is_some() || form.device_id.is_some();
    for (who, per_hour) in [
        (phone.as_ref().map(|p| format!("phone:{}", p.as_str())), REPORTS_PER_SOURCE_PER_HOUR),
        (form.device_id.as_ref().map(|d| format!("device:{d}")), REPORTS_PER_SOURCE_PER_HOUR),
        (form.address.as_ref().map(|a| format!("address:{a}")), REPORTS_PER_SOURCE_PER_HOUR),
        ((!identified).then(|| format!("unidentified:{partner}:{}", client.key())), UNIDENTIFIED_REPORTS_PER_HOUR),
        (Some(format!("key:{partner}")), REPORTS_PER_KEY_PER_HOUR),
    ] {
        if let Some(who) = who {
            if !s.report_limits.allow(&who, per_hour, s.clock.now()) {
                return bad(format!("too many reports from the same source; at most {per_hour} an hour"));
            }
        }
    }
    let name = form.name.clone();
    let reporter = (phone.is_some() || !name.is_empty()).then(|| store::writer::ReporterInput {
        name: (!name.is_empty()).then(|| name.chars().take(50).collect()),
        phone: phone.map(|p| p.as_str().to_owned()),
    });
    let now = s.clock.now();
    let key = form.idempotency_key.as_ref().map(|k| {
        let who = form.device_id.as_deref().or(form.account_id.as_deref()).unwrap_or_default();
        format!("open311:{partner}:{who}:{k}")
    });
    let made = |id: i64| {
        respond(
            StatusCode::CREATED,
            format,
            "service_requests",
            "request",
            serde_json::json!([{
                "service_request_id": id.to_string(),
                "token": format!("cg-{id}"),
                "service_notice": "已受理登记；临江街道承诺24小时内办结。",
                "account_id": null,
            }]),
        )
    };
    if let Some(k) = &key {
        match s.store.case_for_key(k, now - store::IDEMPOTENCY_WINDOW).await {
            Ok(Some(c)) => return made(c.id),
            Ok(None) => {}
            Err(e) => return internal(format, e),
        }
    }
    let actor = Actor { user_id: 0, username: format!("open311:{partner}"), role: Role::Dispatcher };
    let priority = cat.default_priority;
    let created = app::intake::report(
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
                address: form.address.clone(),
                reporter_id: None,
                reported_by: None,
            },
            reporter,
            actor,
            at: now,
            extras: Default::default(),
            idempotency_key: key.clone(),
        },
    )
    .await;
    match (created, &key) {
        (Ok(c), _) => made(c.id),
        // The same token raced this request and won: its request is the answer.
        (Err(store::StoreError::Conflict(_)), Some(k)) => {
            match s.store.case_for_key(k, now - store::IDEMPOTENCY_WINDOW).await {
                Ok(Some(c)) => made(c.id),
                Ok(None) => error(format, StatusCode::CONFLICT, "the same idempotency_key is being used"),
                Err(e) => internal(format, e),
            }
        }
        (Err(e), _) => internal(format, e),
    }
}

/// A service request as filed, with every field checked that can be checked without the
/// store, the catalogue or the map: the edge's whole parse of a `POST /requests` form.
#[derive(Debug, Clone, PartialEq)]
pub struct Open311Form {
    pub api_key: String,
    pub service_code: CategoryCode,
    pub location: LatLng,
    pub description: String,
    /// `attribute[code]=value` pairs, in order.
    pub attributes: Vec<(String, String)>,
    pub media_url: Option<String>,
    pub phone: Option<domain::codes::PhoneNumber>,
    /// Last name then first name, as Chinese names are written; at most 50 characters.
    pub name: String,
    /// At most 200 characters.
    pub address: Option<String>,
    pub device_id: Option<String>,
    pub account_id: Option<String>,
    /// The client's token for this report (`idempotency_key`): a retry with the same token
    /// from the same device or account within 24 hours gets the request it made.
    pub idempotency_key: Option<String>,
}

/// Longest attribute value.
const ATTRIBUTE_CHARS_MAX: usize = 200;
/// Longest media URL.
const MEDIA_URL_BYTES_MAX: usize = 1000;

/// Parses a `POST /requests` form body; a refusal says the status (400, 403 for a missing
/// key, 404 for another jurisdiction) and why. The fuzz target `open311_form` drives this.
pub fn parse_form(body: &[u8]) -> Result<Open311Form, (StatusCode, String)> {
    let bad = |m: String| (StatusCode::BAD_REQUEST, m);
    let pairs = serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .map_err(|_| bad("the body must be application/x-www-form-urlencoded".into()))?;
    crate::error::check_pairs_text(&pairs).map_err(bad)?;
    let p: HashMap<&str, &str> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let get = |k: &str| p.get(k).copied().filter(|v| !v.is_empty());
    if let Some(m) = foreign_jurisdiction(get("jurisdiction_id")) {
        return Err((StatusCode::NOT_FOUND, m));
    }
    let api_key = get("api_key").ok_or((StatusCode::FORBIDDEN, "api_key is required".to_owned()))?.to_owned();
    let code = get("service_code").ok_or_else(|| bad("service_code is required".into()))?;
    let service_code = CategoryCode::parse(code).map_err(|_| bad(format!("unknown service_code {code:?}")))?;
    let num = |k: &str| get(k).map(|v| v.parse::<f64>().map_err(|_| format!("{k} must be a number")));
    let location = match (num("lat"), num("long")) {
        (Some(Ok(lat)), Some(Ok(lng))) => LatLng::new(lat, lng).map_err(|e| bad(e.to_string()))?,
        (Some(Err(e)), _) | (_, Some(Err(e))) => return Err(bad(e)),
        _ => {
            return Err(bad("a location is required: lat and long (addresses alone cannot be placed in a grid)".into()))
        }
    };
    let description = get("description").unwrap_or_default().trim().to_owned();
    if description.chars().count() > DESCRIPTION_CHARS_MAX {
        return Err(bad(format!("description is longer than {DESCRIPTION_CHARS_MAX} characters")));
    }
    let mut attributes = vec![];
    for (k, v) in &pairs {
        if let Some(code) = k.strip_prefix("attribute[").and_then(|k| k.strip_suffix(']')) {
            if v.chars().count() > ATTRIBUTE_CHARS_MAX {
                return Err(bad(format!("attribute {code} is longer than {ATTRIBUTE_CHARS_MAX} characters")));
            }
            attributes.push((code.to_owned(), v.clone()));
        }
    }
    let media_url = get("media_url").map(str::to_owned);
    if media_url
        .as_ref()
        .is_some_and(|m| !(m.starts_with("http://") || m.starts_with("https://")) || m.len() > MEDIA_URL_BYTES_MAX)
    {
        return Err(bad("media_url must be an http(s) URL".into()));
    }
    let phone =
        get("phone").map(domain::codes::PhoneNumber::parse).transpose().map_err(|e| bad(format!("phone: {}", e.0)))?;
    let name: String =
        [get("last_name"), get("first_name")].into_iter().flatten().collect::<String>().chars().take(50).collect();
    Ok(Open311Form {
        api_key,
        service_code,
        location,
        description,
        attributes,
        media_url,
        phone,
        name,
        address: get("address_string").map(|a| a.chars().take(200).collect()),
        device_id: get("device_id").map(str::to_owned),
        account_id: get("account_id").map(str::to_owned),
        idempotency_key: match get("idempotency_key") {
            Some(k) if k.len() > 100 => return Err(bad("idempotency_key is longer than 100 characters".into())),
            k => k.map(str::to_owned),
        },
    })
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
    pub fn allow(&self, who: &str, per_hour: u32, now: domain::Timestamp) -> bool {
        let hour = now.timestamp() / 3600;
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
