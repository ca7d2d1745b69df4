//! The Linjiang demo: the scenario's reference data, two years of history, demo accounts and
//! a few cases under way right now, loaded into an empty database by `serve --demo`.
//!
//! Demo accounts exist only in demo mode: a server started on the same database without
//! `--demo` disables them.

use crate::auth;
use anyhow::Context;
use chrono::Duration;
use domain::case::{Action, Actor, Case, NewCase};
use domain::category::Force;
use domain::codes::CategoryCode;
use domain::geo::{LatLng, Polygon};
use domain::role::Role;
use domain::Timestamp;
use std::path::PathBuf;
use store::writer::{CreateCase, ReporterInput};
use store::{NewUser, Store, Table};

/// The password of every demo account (printed at start; demo mode only).
/// The local broker the demo's detectors report through.
pub const DEMO_MQTT_ADDR: &str = "127.0.0.1:1883";
pub const DEMO_PASSWORD: &str = "linjiang2024";
const DEMO_SETTING: &str = "demo";
const DEMO_ACCOUNTS_SETTING: &str = "demo_accounts";

#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub scenario_dir: PathBuf,
    /// Days of synthetic history; the full demo has two years (730).
    pub history_days: u32,
}

#[derive(Debug, Clone)]
pub struct DemoReport {
    /// False when the database held the demo already.
    pub loaded_now: bool,
    pub accounts: Vec<(String, Role, String)>,
    pub history_cases: usize,
    pub live_cases: usize,
    pub petitions: usize,
}

struct Account {
    username: &'static str,
    role: Role,
    name: &'static str,
    grid: Option<String>,
    station: Option<&'static str>,
}

fn accounts(first_grid: &str) -> Vec<Account> {
    let a = |username, role, name, station| Account { username, role, name, grid: None, station };
    vec![
        a("admin", Role::Admin, "系统管理员", None),
        a("dispatcher", Role::Dispatcher, "指挥中心值班员 陈敏", Some("CC")),
        a("leader", Role::Leader, "街道领导 周建国", None),
        a("station1", Role::StationOfficer, "传化公路港警务站 站长 刘强", Some("S1")),
        a("station5", Role::StationOfficer, "飞地警务站 站长 沈涛", Some("S5")),
        Account {
            username: "grid01",
            role: Role::GridWorker,
            name: "网格员 王芳",
            grid: Some(first_grid.to_owned()),
            station: None,
        },
        a("patrol01", Role::PatrolMember, "综管队员 李杰", Some("S1")),
        a("security01", Role::EnterpriseSecurity, "企业安保 赵磊", Some("S1")),
        a("mediator", Role::Mediator, "调解员 孙丽", Some("CC")),
        a("petition", Role::PetitionOfficer, "信访办 吴静", None),
        a("volunteer", Role::Volunteer, "临家阿姨 黄秀英", None),
        a("resident", Role::Resident, "居民 张伟", None),
    ]
}

/// Enables the demo accounts if the database holds the demo; called by `serve --demo`.
pub async fn load(store: &Store, opts: &DemoOptions, now: Timestamp) -> anyhow::Result<DemoReport> {
    let sc = scenario::load(&opts.scenario_dir)?;
    if !sc.settings.scheme.is_national() {
        anyhow::bail!(
            "{}: settings.toml [scheme] uses local codes or forces; `civicgrid sim` reads such a scenario, the server runs the national schemes and the street's nine forces only",
            opts.scenario_dir.display()
        );
    }
    let first_grid = sc.grids.first().context("the scenario has no grids")?.code.as_str().to_owned();
    let accounts = accounts(&first_grid);
    let listed = || accounts.iter().map(|a| (a.username.to_owned(), a.role, a.name.to_owned())).collect();
    if store.count(Table::Stations).await? > 0 {
        if store.setting(DEMO_SETTING).await?.is_none() {
            anyhow::bail!("--demo needs an empty database, and this one holds other data");
        }
        let names: Vec<String> = accounts.iter().map(|a| a.username.to_owned()).collect();
        store.set_users_disabled(&names, false).await?;
        return Ok(DemoReport { loaded_now: false, accounts: listed(), history_cases: 0, live_cases: 0, petitions: 0 });
    }
    // Accounts first, so field accounts can be linked to their place on the roster.
    let mut user_ids = std::collections::HashMap::new();
    for a in &accounts {
        let hash = auth::hash_password(DEMO_PASSWORD).map_err(anyhow::Error::msg)?;
        let id = store
            .create_user(
                &NewUser {
                    username: a.username.into(),
                    password_hash: hash,
                    role: a.role,
                    display_name: a.name.into(),
                    grid: a.grid.clone(),
                    station: a.station.map(str::to_owned),
                    // The petition officer's number is given to petitioners (电话/微信).
                    phone: match a.role {
                        Role::PetitionOfficer => Some("13957101234".to_owned()),
                        // Their home's gas detector is registered to this number.
                        Role::Resident => Some(crate::demo_gas::RESIDENT_PHONE.to_owned()),
                        _ => None,
                    },
                },
                "demo",
                now,
            )
            .await?;
        user_ids.insert(a.username, id);
    }
    let mut data = sc.reference_data();
    let day = (8..20).contains(&crate::dispatching::local_hour(now));
    for r in &mut data.responders {
        let on_duty = r.shift == "all" || (r.shift == "day") == day;
        r.status = if on_duty { "available" } else { "off_duty" }.into();
        r.position_at = Some(now);
    }
    // A field account is one person: the roster names them as the account does (综管队员 李杰
    // is 李杰 on the roster, not whoever the roster file had there).
    let person = |username: &str| {
        accounts.iter().find(|a| a.username == username).and_then(|a| a.name.rsplit(' ').next()).map(str::to_owned)
    };
    let mut link = |username: &str, pick: &dyn Fn(&store::Responder) -> bool| {
        if let Some(r) = data.responders.iter_mut().find(|r| pick(r) && r.user_id.is_none()) {
            r.user_id = user_ids.get(username).copied();
            r.status = "available".into();
            if let Some(name) = person(username) {
                r.name = name;
            }
        }
    };
    link("grid01", &|r| r.force == Force::GridWorker && r.grid.as_deref() == Some(first_grid.as_str()));
    link("patrol01", &|r| r.force == Force::PatrolMember && r.station == "S1");
    link("security01", &|r| r.force == Force::EnterpriseSecurity);
    link("mediator", &|r| r.force == Force::Mediator);
    store.load_reference(&data, "demo", now).await?;

    let history = scenario::history::generate(&sc, now, opts.history_days, sc.demand.history.seed);
    let terms = |c: &domain::case::Case| domain::obligation::Terms {
        working_hours: sc.policy.counts_working_hours(&c.category, c.priority),
        ..Default::default()
    };
    store.import_cases_with(&history, |c| domain::case::obligations(c, &terms(c)), "demo", now).await?;
    let live = live_cases(store, &sc, now).await?;
    let petitions = demo_petitions(store, &sc, &history, &user_ids, now).await?;
    let mediator = Actor {
        user_id: *user_ids.get("mediator").context("the demo mediator")?,
        username: "mediator".into(),
        role: Role::Mediator,
    };
    let limits = domain::mediation::Limits { calendar: sc.policy.calendar.clone(), ..Default::default() };
    let mediations = crate::demo_mediations::all(&sc.grids, &mediator, &limits, now)?;
    let terms = domain::obligation::Terms { ladder: vec![Role::Mediator, Role::Leader], ..Default::default() };
    store.import_mediations(&mediations, |m| domain::mediation::obligations(m, &terms, &limits), "demo", now).await?;
    demo_food(store, &sc, now).await?;
    let gas_terms = domain::obligation::Terms {
        ladder: vec![Role::Dispatcher, Role::StationOfficer, Role::Leader],
        ..Default::default()
    };
    let sp = domain::gas::SetPoints::default();
    crate::demo_gas::load(store, &sc.grids, &history, |a| domain::gas::obligations(a, &gas_terms, &sp), now).await?;
    let cs = crate::demo_deliberation::communities(&sc.grids);
    let id = |u: &str| user_ids.get(u).copied().with_context(|| format!("the demo account {u}"));
    let people = crate::demo_deliberation::people(
        store,
        &cs,
        id("resident")?,
        (id("grid01")?, "网格员 王芳"),
        (id("volunteer")?, "临家阿姨 黄秀英"),
        now,
    )
    .await?;
    let terms = domain::obligation::Terms { ladder: vec![Role::GridWorker, Role::Leader], ..Default::default() };
    crate::demo_deliberation::load_deliberation(store, &cs, &people, &terms, id("admin")?, now).await?;
    crate::demo_deliberation::load_volunteers(store, &cs, &people, opts.history_days, id("admin")?, now).await?;
    crate::demo_community::load(store, &people.residents.concat(), id("admin")?, now).await?;
    store.set_setting(DEMO_SETTING, "linjiang").await?;
    store
        .set_setting(DEMO_ACCOUNTS_SETTING, &accounts.iter().map(|a| a.username).collect::<Vec<_>>().join(","))
        .await?;
    Ok(DemoReport { loaded_now: true, accounts: listed(), history_cases: history.len(), live_cases: live, petitions })
}

/// A few hundred food businesses with two years of inspections; the evidence photos are
/// stored first, against the ids the businesses will have in this empty table.
async fn demo_food(store: &Store, sc: &scenario::Scenario, now: Timestamp) -> anyhow::Result<()> {
    let users = store.users().await?;
    let workers: Vec<(i64, Option<String>, String)> = users
        .iter()
        .filter(|u| u.role == Role::GridWorker)
        .map(|u| (u.id, u.grid.clone(), u.username.clone()))
        .collect();
    let (id, name) = workers.first().map(|w| (w.0, w.2.clone())).context("a demo grid worker")?;
    let inspector = Actor { user_id: id, username: name, role: Role::GridWorker };
    let rules = domain::food::Rules::default();
    let mut built = crate::demo_food::build(&sc.grids, &workers, &inspector, &rules, now)?;
    let first = store.business_ids().await?.last().copied().unwrap_or(0) + 1;
    let ids = store
        .import_matter_files(
            domain::obligation::MatterKind::Business,
            &crate::demo_food::photo_rows(&built, first),
            "demo",
            now,
        )
        .await?;
    crate::demo_food::attach(&mut built, &ids);
    let terms = domain::obligation::Terms {
        ladder: vec![Role::GridWorker, Role::StationOfficer, Role::Leader],
        ..Default::default()
    };
    store.import_businesses(&built.businesses, |b| domain::food::obligations(b, &terms), "demo", now).await?;
    Ok(())
}

/// Two years of petitions and the ones under way now (`demo_petitions`).
async fn demo_petitions(
    store: &Store,
    sc: &scenario::Scenario,
    history: &[Case],
    ids: &std::collections::HashMap<&str, i64>,
    now: Timestamp,
) -> anyhow::Result<usize> {
    let id = |name: &str| ids.get(name).copied().context("a demo account is missing");
    let people = crate::demo_petitions::People {
        officer: Actor { user_id: id("petition")?, username: "petition".into(), role: Role::PetitionOfficer },
        leader: Actor { user_id: id("leader")?, username: "leader".into(), role: Role::Leader },
        grid_worker: id("grid01")?,
    };
    let limits = domain::petition::Limits { calendar: sc.policy.calendar.clone(), ..Default::default() };
    let past = crate::demo_petitions::history(history, &people, &limits, now)?;
    let terms = crate::demo_petitions::terms();
    store.import_petitions(&past, |p| domain::petition::obligations(p, &terms, &limits), "demo", now).await?;
    let live = crate::demo_petitions::live(store, &people, &limits, &sc.grids, now).await?;
    Ok(past.len() + live)
}

/// Disables the demo accounts of a database that holds the demo; called when serving
/// without `--demo`.
pub async fn disable_demo_accounts(store: &Store) -> anyhow::Result<()> {
    if let Some(list) = store.setting(DEMO_ACCOUNTS_SETTING).await? {
        let names: Vec<String> = list.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect();
        store.set_users_disabled(&names, true).await?;
    }
    Ok(())
}

/// How far a live demo case has come.
#[derive(Clone, Copy, PartialEq, PartialOrd)]
enum Stage {
    New,
    Accepted,
    Dispatched,
    OnSite,
    Feedback,
}

/// A dozen cases under way right now, worked through the ordinary lifecycle so their
/// timelines are complete.
async fn live_cases(store: &Store, sc: &scenario::Scenario, now: Timestamp) -> anyhow::Result<usize> {
    let plan: [(&str, i64, Stage, &str, &str); 12] = [
        ("SJ1003", 2, Stage::New, "S1", "近20名送货工人向某运输公司催讨运费"),
        ("SJ0401", 1, Stage::New, "S3", "智能燃气报警器报警：厨房燃气浓度超标"),
        ("SJ1002", 5, Stage::Accepted, "S1", "物流园区十余名装卸工反映工资被拖欠两个月"),
        ("SJ1101", 4, Stage::Accepted, "S4", "两车追尾，占用一条车道"),
        ("SJ1006", 8, Stage::Dispatched, "S1", "停车场两名货车司机发生肢体冲突"),
        // At the demo grid worker's own station, so their phone has a task to take.
        ("SJ0102", 14, Stage::Dispatched, "S1", "河道边堆放生活垃圾"),
        ("SJ1004", 22, Stage::OnSite, "S2", "楼上漏水引发邻里争执"),
        ("BJ0101", 18, Stage::OnSite, "S3", "人行道井盖缺失"),
        ("BJ0105", 55, Stage::Feedback, "S5", "农场十六分涵涵管堵塞，农田排水不畅"),
        ("SJ1005", 40, Stage::Feedback, "S4", "顾客与餐馆因收费发生纠纷"),
        ("SJ0601", 35, Stage::OnSite, "S3", "餐饮店后厨卫生状况差"),
        ("SJ0502", 3, Stage::New, "S1", "货车长时间占用消防通道"),
    ];
    // The dispatcher on duty takes the steps, by their own account (its name reads on the
    // timeline).
    let duty = Actor {
        user_id: store.user_by_name("dispatcher").await?.id,
        username: "dispatcher".into(),
        role: Role::Dispatcher,
    };
    let model = dispatch::TravelModel::default();
    let mut roster = store.responders().await?;
    for (i, (code, minutes_ago, stage, station, text)) in plan.iter().enumerate() {
        let code = CategoryCode::parse(code).map_err(|e| anyhow::anyhow!(e.0))?;
        let cat = sc.category(&code).context("demo plan names a category the scenario lacks")?;
        let grids: Vec<_> = sc.grids.iter().filter(|g| g.station == *station).collect();
        let grid = grids[(i * 7) % grids.len()];
        let centre = Polygon::new(grid.ring.clone()).context("grid polygon")?.centroid();
        let location = LatLng::new(centre.lat() + 0.0007 * (i % 3) as f64, centre.lng() - 0.0009 * (i % 2) as f64)?;
        let t0 = now - Duration::minutes(*minutes_ago);
        let mut c: Case = store
            .create_case(CreateCase {
                deadlines: sc.policy.deadlines(&code, cat.default_priority, t0),
                new: NewCase {
                    category: code.clone(),
                    priority: cat.default_priority,
                    source: match code.as_str() {
                        "SJ0401" => domain::case::Source::Sensor,
                        "SJ1006" | "SJ1101" => domain::case::Source::Police110,
                        "BJ0105" => domain::case::Source::Petition,
                        _ => [
                            domain::case::Source::ResidentApp,
                            domain::case::Source::Hotline,
                            domain::case::Source::GridPatrol,
                        ][i % 3],
                    },
                    location,
                    grid: grid.code.clone(),
                    description: (*text).to_owned(),
                    address: Some(grid.name_zh.clone()),
                    reporter_id: None,
                    reported_by: None,
                },
                reporter: Some(ReporterInput {
                    name: Some("刘先生".into()),
                    phone: Some(format!("1380571{:04}", 1000 + i)),
                }),
                actor: duty.clone(),
                at: t0,
                // The alert index is set when the server starts (`reindex_alerts`).
                extras: Default::default(),
                idempotency_key: None,
            })
            .await?;
        let at = |secs: i64| (t0 + Duration::seconds(secs)).min(now);
        let mut steps: Vec<(Action, Option<&str>, i64)> = vec![];
        if *stage >= Stage::Accepted {
            steps.push((Action::Accept, None, 25));
        }
        let mut sent = vec![];
        if *stage >= Stage::Dispatched {
            // Everyone is at their post in the demo's past.
            let candidates: Vec<dispatch::Candidate> = roster
                .iter()
                .filter_map(|r| {
                    let at = LatLng::new(r.lat?, r.lng?).ok()?;
                    crate::dispatching::candidate(r, at, r.status == "available")
                })
                .collect();
            let hour = crate::dispatching::local_hour(t0);
            let needs = dispatch::Need::of(&cat.forces, &cat.skills);
            // The demo's own field accounts are sent where their force is needed at their
            // station, so their phones have work to show.
            sent = dispatch::rank(&location, &needs, &candidates, &model, hour, 1)
                .iter()
                .map(|r| {
                    roster
                        .iter()
                        .find(|x| {
                            x.user_id.is_some()
                                && x.force == r.force
                                && x.station == *station
                                && x.status == "available"
                        })
                        .map_or(r.id, |x| x.id)
                })
                .collect();
            if sent.is_empty() {
                continue;
            }
            steps.push((Action::Dispatch { responders: sent.clone() }, Some("指挥中心派单"), 70));
            steps.push((Action::ContactParty, Some("已电话联系当事人"), 110));
        }
        if *stage >= Stage::OnSite {
            steps.push((Action::Arrive { responder: sent.first().copied() }, None, 420));
        }
        if *stage >= Stage::Feedback {
            steps.push((Action::Feedback, Some("已到场核实情况，正在处置"), 1500));
        }
        for (action, note, secs) in steps {
            let next = domain::case::apply(&c, &action, &duty, note, at(secs))?;
            store.save_case(&c, next.clone(), Default::default()).await?;
            c = next;
        }
        let status = if *stage >= Stage::OnSite { "on_site" } else { "en_route" };
        for id in &sent {
            store.set_responder_status(*id, status, "demo", now).await?;
            if let Some(r) = roster.iter_mut().find(|r| r.id == *id) {
                r.status = status.into();
            }
        }
    }
    Ok(plan.len())
}
