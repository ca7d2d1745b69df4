//! Open311 GeoReport v2: every JSON answer is checked against the official schemas
//! (`tests/fixtures/open311-schemas`, copied unchanged), every XML answer is well formed and
//! uses the specification's element names.

use super::*;
use serde_json::{json, Value};
use store::Table;

const KEY: &str = "partner-12345-hotline-key";

/// Validates `v` against one of the official schemas (`tests/fixtures/open311-schemas`,
/// copied unchanged; JSON Schema draft 4, with references to sibling files), formats
/// included.
fn validate(v: &Value, name: &str, at: &str) -> Result<(), String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/open311-schemas");
    let path = dir.join(name).canonicalize().unwrap();
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .with_base_uri(format!("file://{}", path.display()))
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("schema {name}: {e}"));
    let errors: Vec<String> = validator.iter_errors(v).map(|e| format!("{at}{}: {e}", e.instance_path())).collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("; "))
    }
}

#[test]
fn the_schema_check_refuses_what_the_specification_refuses() {
    let good = json!([{"service_request_id": "1", "status": "open", "service_code": "BJ0201",
        "requested_datetime": "2026-11-27T09:30:00.000+08:00", "lat": 30.27, "long": 120.58}]);
    validate(&good, "requests.json", "requests").unwrap();
    let mut bad = good.clone();
    bad[0]["status"] = json!("lost");
    assert!(validate(&bad, "requests.json", "requests").is_err(), "status outside the enum passed");
    let mut bad = good.clone();
    bad[0]["requested_datetime"] = json!("yesterday");
    assert!(validate(&bad, "requests.json", "requests").is_err(), "a date-time that is none passed");
}

/// Checks that XML is well formed (quick-xml reads it, with end tags checked), declared as
/// UTF-8; returns the element names in document order.
fn xml_elements(text: &str) -> Vec<String> {
    use quick_xml::events::Event;
    assert!(text.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>"), "XML declaration: {text}");
    let mut reader = quick_xml::Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut names = vec![];
    let mut depth = 0i32;
    loop {
        match reader.read_event().unwrap_or_else(|e| panic!("not well formed at {}: {e}", reader.buffer_position())) {
            Event::Start(e) => {
                depth += 1;
                let name = e.name().as_ref().to_owned();
                assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "bad element name {name:?}");
                names.push(name);
            }
            Event::End(_) => depth -= 1,
            Event::Empty(_) => panic!("empty elements are not written"),
            // Every entity in the text must be a defined one.
            Event::Text(t) => {
                quick_xml::escape::unescape(&t).unwrap();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(depth, 0, "unclosed elements");
    names
}

async fn get(app: &App, path: &str) -> (u16, String) {
    let r = app.http.get(app.url(path)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn post(app: &App, format: &str, form: &[(&str, &str)]) -> (u16, String) {
    let r = app.http.post(app.url(&format!("/open311/v2/requests.{format}"))).form(form).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

fn base_form() -> Vec<(&'static str, &'static str)> {
    vec![
        ("api_key", KEY),
        ("service_code", "SJ1003"),
        ("lat", "30.2662"),
        ("long", "120.5700"),
        ("description", "近20名送货工人向某运输公司催讨运费"),
        ("phone", "13800138000"),
        ("first_name", "师傅"),
        ("last_name", "王"),
        ("attribute[parties]", "20"),
        ("attribute[amount_yuan]", "700000"),
    ]
}

both_backends! {
    open311_json_matches_the_official_schemas(app) {
        app.store.create_api_key("12345热线", &server::auth::secret_hash(KEY), "all", "test", chrono::Utc::now()).await.unwrap();
        let (s, body) = get(app, "/open311/v2/services.json").await;
        assert_eq!(s, 200);
        let services: Value = serde_json::from_str(&body).unwrap();
        validate(&services, "services.json", "services").unwrap();
        assert!(services.as_array().unwrap().iter().any(|x| x["service_code"] == "SJ1003" && x["metadata"] == true));
        let (s, body) = get(app, "/open311/v2/services/SJ1003.json?jurisdiction_id=linjiang.qiantang.hangzhou.cn").await;
        assert_eq!(s, 200);
        let def: Value = serde_json::from_str(&body).unwrap();
        validate(&def, "service-definition.json", "definition").unwrap();
        assert_eq!(def["attributes"][0]["code"], "parties");

        let (s, body) = post(app, "json", &base_form()).await;
        assert_eq!(s, 201, "{body}");
        let made: Value = serde_json::from_str(&body).unwrap();
        let id = made[0]["service_request_id"].as_str().unwrap().to_owned();
        let token = made[0]["token"].as_str().unwrap().to_owned();
        // An ordinary case, channel recorded, attributes kept.
        let case = app.store.get_case(id.parse().unwrap()).await.unwrap();
        assert_eq!(case.source, domain::case::Source::Open311);
        assert!(case.description.contains("parties=20") && case.description.contains("amount_yuan=700000"));
        let (s, body) = get(app, &format!("/open311/v2/requests/{id}.json?api_key={KEY}")).await;
        assert_eq!(s, 200);
        let one: Value = serde_json::from_str(&body).unwrap();
        validate(&one, "requests.json", "request").unwrap();
        assert_eq!(one[0]["status"], "open");
        assert_eq!(one[0]["agency_responsible"], "传化公路港联勤警务站");
        let (s, body) = get(app, &format!("/open311/v2/requests.json?status=open&service_code=SJ1003&api_key={KEY}")).await;
        assert_eq!(s, 200);
        let list: Value = serde_json::from_str(&body).unwrap();
        validate(&list, "requests.json", "requests").unwrap();
        assert_eq!(list.as_array().unwrap().len(), 1);
        let (_, body) = get(app, &format!("/open311/v2/requests.json?status=closed&api_key={KEY}")).await;
        assert_eq!(body, "[]");
        let (_, body) = get(app, &format!("/open311/v2/requests.json?service_request_id={id},999999&api_key={KEY}")).await;
        assert_eq!(serde_json::from_str::<Value>(&body).unwrap().as_array().unwrap().len(), 1);
        let (s, body) = get(app, &format!("/open311/v2/tokens/{token}.json?api_key={KEY}")).await;
        assert_eq!(s, 200);
        assert_eq!(serde_json::from_str::<Value>(&body).unwrap()[0]["service_request_id"], json!(id));
        // Status changes reach partners through the updates extension.
        app.call(Some("dispatcher"), "POST", &format!("/api/v1/cases/{id}/actions"), Some(json!({"action": "accept"}))).await;
        let (s, body) = get(app, &format!("/open311/v2/request_updates.json?api_key={KEY}")).await;
        assert_eq!(s, 200);
        let updates: Value = serde_json::from_str(&body).unwrap();
        assert!(updates.as_array().unwrap().iter().any(|u| u["service_request_id"] == json!(id) && u["description"] == "accept"));
        let (s, body) = get(app, "/open311/v2/discovery.json").await;
        assert_eq!(s, 200);
        assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["endpoints"][0]["formats"][0], "application/json");
    }

    open311_xml_is_well_formed_with_the_specifications_names(app) {
        app.store.create_api_key("12345热线", &server::auth::secret_hash(KEY), "all", "test", chrono::Utc::now()).await.unwrap();
        let (s, body) = get(app, "/open311/v2/services.xml").await;
        assert_eq!(s, 200);
        let names = xml_elements(&body);
        assert_eq!(names[0], "services");
        for n in ["service", "service_code", "service_name", "description", "metadata", "type", "keywords", "group"] {
            assert!(names.iter().any(|x| x == n), "services.xml lacks <{n}>");
        }
        let (_, body) = get(app, "/open311/v2/services/SJ1003.xml").await;
        let names = xml_elements(&body);
        assert_eq!(&names[..3], ["service_definition", "service_code", "attributes"]);
        assert!(names.iter().any(|x| x == "attribute") && names.iter().any(|x| x == "datatype") && names.iter().any(|x| x == "values"));
        let (s, body) = post(app, "xml", &base_form()).await;
        assert_eq!(s, 201, "{body}");
        let names = xml_elements(&body);
        assert_eq!(&names[..3], ["service_requests", "request", "service_request_id"]);
        let (_, body) = get(app, &format!("/open311/v2/requests.xml?api_key={KEY}")).await;
        let names = xml_elements(&body);
        for n in ["service_requests", "request", "service_request_id", "status", "service_code", "requested_datetime", "lat", "long", "agency_responsible"] {
            assert!(names.iter().any(|x| x == n), "requests.xml lacks <{n}>");
        }
        let (_, body) = get(app, "/open311/v2/discovery.xml").await;
        let names = xml_elements(&body);
        for n in ["discovery", "changeset", "contact", "key_service", "endpoints", "endpoint", "specification", "url", "formats", "format"] {
            assert!(names.iter().any(|x| x == n), "discovery.xml lacks <{n}>");
        }
        let (s, body) = get(app, "/open311/v2/requests/424242.xml").await;
        assert_eq!(s, 404);
        assert_eq!(&xml_elements(&body)[..4], ["errors", "error", "code", "description"]);
    }

    open311_bad_input_is_refused_and_changes_nothing(app) {
        app.store.create_api_key("12345热线", &server::auth::secret_hash(KEY), "all", "test", chrono::Utc::now()).await.unwrap();
        let before = app.store.count(Table::Cases).await.unwrap();
        let long = "长".repeat(4001);
        let with = |k: &'static str, v: &'static str| {
            let mut f: Vec<(&str, &str)> = base_form().into_iter().filter(|(x, _)| *x != k).collect();
            if !v.is_empty() { f.push((k, v)); }
            f
        };
        let cases: Vec<(Vec<(&str, &str)>, u16)> = vec![
            (with("api_key", "wrong"), 403),
            (with("api_key", ""), 403),
            (with("service_code", "SJ9999"), 400),
            (with("service_code", ""), 400),
            (with("lat", ""), 400),
            (with("lat", "abc"), 400),
            (with("lat", "95"), 400),
            (with("long", "121.47"), 400),
            (with("phone", "12345"), 400),
            (with("attribute[colour]", "red"), 400),
            (with("media_url", "javascript:alert(1)"), 400),
            (with("jurisdiction_id", "shanghai"), 404),
        ];
        for (form, status) in cases {
            let (s, body) = post(app, "json", &form).await;
            assert_eq!(s, status, "{form:?}: {body}");
            let e: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(e[0]["code"], json!(status));
            assert!(e[0]["description"].as_str().is_some_and(|d| !d.is_empty()));
        }
        let mut f = base_form();
        f.retain(|(k, _)| *k != "description");
        f.push(("description", long.as_str()));
        let (s, _) = post(app, "json", &f).await;
        assert_eq!(s, 400);
        let (s, _) = get(app, "/open311/v2/services/SJ9999.json").await;
        assert_eq!(s, 404);
        let (s, _) = get(app, "/open311/v2/requests.json?start_date=yesterday").await;
        assert_eq!(s, 400);
        let (s, _) = get(app, "/open311/v2/requests.json?status=lost").await;
        assert_eq!(s, 400);
        assert_eq!(app.store.count(Table::Cases).await.unwrap(), before, "a refused request wrote a case");
        // A flood from one phone is cut off after the hourly limit.
        let mut accepted = 0;
        for _ in 0..(server::open311::REPORTS_PER_SOURCE_PER_HOUR + 3) {
            let mut f = base_form();
            f.retain(|(k, _)| *k != "phone");
            f.push(("phone", "13900139000"));
            if post(app, "json", &f).await.0 == 201 { accepted += 1; }
        }
        assert_eq!(accepted, server::open311::REPORTS_PER_SOURCE_PER_HOUR);
    }

    open311_shows_the_public_only_what_is_public(app) {
        app.store.create_api_key("12345热线", &server::auth::secret_hash(KEY), "all", "test", chrono::Utc::now()).await.unwrap();
        const DISPUTES: &str = "partner-disputes-only-key";
        app.store.create_api_key("劳动监察", &server::auth::secret_hash(DISPUTES), "SJ1003", "test", chrono::Utc::now()).await.unwrap();
        let file = |code: &'static str, description: &'static str| {
            let mut f: Vec<(&str, &str)> = base_form().into_iter().filter(|(k, _)| !matches!(*k, "service_code" | "description") && !k.starts_with("attribute")).collect();
            f.push(("service_code", code));
            f.push(("description", description));
            f.push(("address_string", "江东大道3号楼2单元"));
            f
        };
        let mut ids = vec![];
        for (code, d) in [("SJ1003", "运输公司拖欠运费，联系人电话13912345678"), ("BJ0201", "路灯不亮"), ("SJ0502", "车牌浙A12345的车堵住消防通道，电话13912345678")] {
            let (s, body) = post(app, "json", &file(code, d)).await;
            assert_eq!(s, 201, "{body}");
            ids.push(serde_json::from_str::<Value>(&body).unwrap()[0]["service_request_id"].as_str().unwrap().to_owned());
        }
        let (dispute, light, parking) = (&ids[0], &ids[1], &ids[2]);
        for id in &ids {
            let (s, _) = app.call(Some("dispatcher"), "POST", &format!("/api/v1/cases/{id}/actions"), Some(json!({"action": "accept", "note": "内部备注：当事人情绪激动"}))).await;
            assert_eq!(s, 200);
        }
        // Without a key: the public categories only, in public words.
        let (s, body) = get(app, "/open311/v2/requests.json").await;
        assert_eq!(s, 200);
        let list: Value = serde_json::from_str(&body).unwrap();
        validate(&list, "requests.json", "requests").unwrap();
        let listed: Vec<&str> = list.as_array().unwrap().iter().map(|r| r["service_request_id"].as_str().unwrap()).collect();
        assert!(listed.contains(&light.as_str()) && listed.contains(&parking.as_str()), "{listed:?}");
        assert!(!listed.contains(&dispute.as_str()), "a dispute was listed without a key");
        assert!(!body.contains("内部备注") && !body.contains("13912345678") && !body.contains("13800138000"), "{body}");
        let find = |id: &str| list.as_array().unwrap().iter().find(|r| r["service_request_id"] == json!(id)).unwrap().clone();
        assert_eq!(find(light)["status_notes"], "已受理");
        assert_eq!(find(light)["lat"], json!(30.2662));
        assert_eq!(find(light)["address"], "江东大道3号楼2单元");
        // Parking outside someone's home: placed to about 100 m, no address, numbers masked.
        let p = find(parking);
        assert_eq!(p["lat"], json!(30.266));
        assert_eq!(p["long"], json!(120.57));
        assert_eq!(p["address"], Value::Null);
        assert_eq!(p["description"], "车牌浙A*****的车堵住消防通道，电话***********");
        for path in [format!("/open311/v2/requests/{dispute}.json"), format!("/open311/v2/tokens/cg-{dispute}.json")] {
            let (s, _) = get(app, &path).await;
            assert_eq!(s, 404, "{path}");
        }
        let (_, body) = get(app, &format!("/open311/v2/requests.json?service_request_id={dispute},{light}")).await;
        assert_eq!(serde_json::from_str::<Value>(&body).unwrap().as_array().unwrap().len(), 1);
        let (_, body) = get(app, "/open311/v2/request_updates.json").await;
        let updates: Value = serde_json::from_str(&body).unwrap();
        assert!(updates.as_array().unwrap().iter().all(|u| u["service_request_id"] != json!(dispute)), "{body}");
        assert!(updates.as_array().unwrap().iter().any(|u| u["service_request_id"] == json!(light) && u["description"] == "已受理"));
        assert!(!body.contains("内部备注"));
        // A wrong key is refused rather than read as no key.
        let (s, _) = get(app, "/open311/v2/requests.json?api_key=guess").await;
        assert_eq!(s, 403);
        // A key scoped to freight disputes reads those with staff detail, and the public rest.
        let (_, body) = get(app, &format!("/open311/v2/requests.json?api_key={DISPUTES}")).await;
        let list: Value = serde_json::from_str(&body).unwrap();
        let d = list.as_array().unwrap().iter().find(|r| r["service_request_id"] == json!(dispute)).expect("the dispute for its key");
        assert_eq!(d["status_notes"], "内部备注：当事人情绪激动");
        assert_eq!(list.as_array().unwrap().len(), 3);
        // The city's hotline key reads everything.
        let (_, body) = get(app, &format!("/open311/v2/requests/{parking}.json?api_key={KEY}")).await;
        assert_eq!(serde_json::from_str::<Value>(&body).unwrap()[0]["lat"], json!(30.2662));
    }

    open311_refuses_control_characters(app) {
        app.store.create_api_key("12345热线", &server::auth::secret_hash(KEY), "all", "test", chrono::Utc::now()).await.unwrap();
        let before = app.store.count(Table::Cases).await.unwrap();
        for (k, v) in [("description", "路灯\u{0}不亮"), ("address_string", "江东\u{1b}[2J大道"), ("first_name", "\u{7f}"), ("attribute[parties]", "2\u{0}")] {
            let mut f: Vec<(&str, &str)> = base_form().into_iter().filter(|(x, _)| *x != k).collect();
            f.push((k, v));
            for format in ["json", "xml"] {
                let (s, body) = post(app, format, &f).await;
                assert_eq!(s, 400, "{k}: {body}");
                assert!(body.contains("control character"), "{body}");
            }
        }
        let (s, _) = get(app, "/open311/v2/requests.json?service_code=%00").await;
        assert_eq!(s, 400);
        // A browser's line breaks are text.
        let mut f: Vec<(&str, &str)> = base_form().into_iter().filter(|(x, _)| *x != "description").collect();
        f.push(("description", "第一行\r\n第二行\t完"));
        assert_eq!(post(app, "xml", &f).await.0, 201);
        assert_eq!(app.store.count(Table::Cases).await.unwrap(), before + 1);
    }

    open311_floods_naming_no_one_are_cut_off_too(app) {
        app.store.create_api_key("12345热线", &server::auth::secret_hash(KEY), "all", "test", chrono::Utc::now()).await.unwrap();
        let form: Vec<(&str, &str)> = base_form().into_iter().filter(|(k, _)| !matches!(*k, "phone" | "first_name" | "last_name")).collect();
        let mut accepted = 0;
        for _ in 0..(server::open311::UNIDENTIFIED_REPORTS_PER_HOUR + 2) {
            if post(app, "json", &form).await.0 == 201 {
                accepted += 1;
            }
        }
        assert_eq!(accepted, server::open311::UNIDENTIFIED_REPORTS_PER_HOUR);
    }
}
