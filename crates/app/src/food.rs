//! Every change of a food business passes here: the domain decides (`domain::food`); this
//! adds what follows — the business texted its deadlines, a serious hazard sent to the
//! market regulator as an ordinary case, escalation notices — and the store writes it all in
//! one transaction. Sits above `intake` (it makes cases): `food` → `intake` → … → `workflow`.

use crate::App;
use domain::case::Actor;
use domain::food::{Business, BusinessId, FoodError, ItemResult, NewBusiness};
use domain::obligation::{Obligation, Terms};
use domain::role::Role;
use store::writer::OutboxMessage;
use store::StoreError;

/// The category a serious hazard is sent as: food safety, whose force is the market regulator.
pub const FOOD_CATEGORY: &str = "SJ0601";

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Rule(#[from] FoodError),
}

/// Missed food duties go to the grid workers, then the station, then the street's leaders.
pub fn terms(app: &App) -> Terms {
    Terms {
        warn_fraction: app.escalation.warn_fraction,
        ladder: vec![Role::GridWorker, Role::StationOfficer, Role::Leader],
        working_hours: false,
    }
}

pub fn obligations(app: &App, b: &Business) -> Vec<Obligation> {
    domain::food::obligations(b, &terms(app))
}

pub async fn register(app: &App, list: Vec<NewBusiness>, actor: &Actor) -> Result<Vec<Business>, Error> {
    let rules = app.food_rules.clone();
    let made = app.store.register_businesses(list, actor, app.clock.now(), &rules, |b| obligations(app, b)).await?;
    app.runner_wake.notify_one();
    Ok(made)
}

/// Records an inspection. Failed items become hazards with deadlines; the business is texted
/// them; a key item failed (risk: stop operating) goes to the market regulator as an urgent
/// ordinary case, linked to its hazard.
pub async fn inspect(
    app: &App,
    id: BusinessId,
    results: Vec<ItemResult>,
    self_check: bool,
    draw: Option<i64>,
    actor: &Actor,
) -> Result<Business, Error> {
    let before = app.store.business(id).await?;
    let checklist = app.food_checklists.for_kind(before.kind);
    let mut after =
        domain::food::inspect(&before, &checklist, results, self_check, draw, actor, app.clock.now(), &app.food_rules)?;
    let new_hazards: Vec<usize> = (before.hazards.len()..after.hazards.len()).collect();
    let mut outbox = vec![];
    if !new_hazards.is_empty() {
        let list: Vec<String> = new_hazards
            .iter()
            .map(|i| {
                let h = &after.hazards[*i];
                format!("{}（{}前）", h.text, crate::petitions::local_date(h.deadline))
            })
            .collect();
        outbox.push(OutboxMessage {
            dedupe_key: format!("hazards:{}", after.inspections.len()),
            channel: "sms".into(),
            recipient_user: None,
            recipient_phone: after.phone.clone(),
            subject: format!("{} 食品安全检查整改通知", after.name),
            body: format!(
                "{}：本次检查结果为{}，请限期整改：{}。整改后请拍照留存，网格员将上门复查。{}",
                after.name,
                outcome_zh(after.inspections.last().expect("just inspected").outcome),
                list.join("；"),
                if after.inspections.last().is_some_and(|i| i.stop_operating) {
                    "存在食品安全风险，请立即停止相关经营活动。"
                } else {
                    ""
                }
            ),
        });
    }
    // Serious: a key item failed. One case for the inspection, sent to the market regulator.
    let serious: Vec<usize> = new_hazards.iter().copied().filter(|i| after.hazards[*i].key).collect();
    if let (Some(first), Some(location)) = (serious.first(), after.location) {
        let code = domain::codes::CategoryCode::parse(FOOD_CATEGORY).expect("a valid code");
        if app.categories.contains_key(&code) {
            let now = app.clock.now();
            let texts: Vec<&str> = serious.iter().map(|i| after.hazards[*i].text.as_str()).collect();
            let case = crate::intake::report(
                app,
                store::writer::CreateCase {
                    new: domain::case::NewCase {
                        category: code.clone(),
                        priority: domain::case::Priority::High,
                        source: domain::case::Source::GridPatrol,
                        location,
                        grid: after.grid.clone(),
                        description: format!("{}食品安全检查发现重点项问题：{}", after.name, texts.join("；")),
                        address: Some(after.address.clone()),
                        reporter_id: None,
                        reported_by: None,
                    },
                    reporter: None,
                    deadlines: app.policy.deadlines(&code, domain::case::Priority::High, now),
                    actor: actor.clone(),
                    at: now,
                    extras: Default::default(),
                    idempotency_key: Some(format!("business:{}:inspection:{}", after.id, after.inspections.len())),
                },
            )
            .await?;
            after = domain::food::link_case(&after, *first, case.id, actor, now)?;
        }
    }
    commit(app, &before, after, outbox).await
}

pub fn outcome_zh(o: domain::food::Outcome) -> &'static str {
    match o {
        domain::food::Outcome::Compliant => "符合",
        domain::food::Outcome::BasicallyCompliant => "基本符合",
        domain::food::Outcome::NonCompliant => "不符合",
    }
}

pub async fn rectify(
    app: &App,
    id: BusinessId,
    hazard: usize,
    before_photos: Vec<i64>,
    after_photos: Vec<i64>,
    actor: &Actor,
) -> Result<Business, Error> {
    let before = app.store.business(id).await?;
    let after = domain::food::rectify(&before, hazard, before_photos, after_photos, actor, app.clock.now())?;
    commit(app, &before, after, vec![]).await
}

async fn commit(
    app: &App,
    before: &Business,
    after: Business,
    mut outbox: Vec<OutboxMessage>,
) -> Result<Business, Error> {
    for e in after.events[before.events.len()..].iter().filter(|e| e.action == "escalate") {
        let duty = e.duty.as_deref().unwrap_or_default();
        let what = match duty.split(':').next() {
            Some("hazard") => {
                let h = duty.split(':').nth(1).and_then(|n| n.parse::<usize>().ok()).and_then(|n| after.hazards.get(n));
                format!("隐患“{}”逾期未整改", h.map_or("", |h| h.text.as_str()))
            }
            _ => "逾期未检查".into(),
        };
        let missed = crate::notify::Missed {
            duty,
            due_at: e.due_at,
            level: e.level.unwrap_or(1),
            station: app.grids.get(&after.grid).map(|g| g.station.as_str()),
            subject: format!("【督办】{} 食品安全", after.name),
            body: format!("{}（{}）{}，已升级至第{}级督办。", after.name, after.address, what, e.level.unwrap_or(1)),
        };
        outbox.extend(crate::notify::escalation_notices(app, &terms(app).ladder, &missed).await?);
    }
    app.store.save_business(before.version, &after, &obligations(app, &after), &outbox).await?;
    app.runner_wake.notify_one();
    Ok(after)
}

/// The deadline runner's rule for food businesses.
pub async fn fire(app: &App, id: BusinessId, actor: &Actor) -> Result<(), StoreError> {
    let b = app.store.business(id).await?;
    match domain::food::record_alerts(&b, app.clock.now(), &terms(app), actor) {
        Some(after) => match commit(app, &b, after, vec![]).await {
            Ok(_) => Ok(()),
            Err(Error::Store(e)) => Err(e),
            Err(Error::Rule(e)) => Err(StoreError::Invalid(e.to_string())),
        },
        None => app.store.restate_business_obligations(b.id, b.version, &obligations(app, &b)).await,
    }
}

/// The random draw (双随机) for a period: `n` businesses, each with an inspector from
/// `inspectors`; the seed is drawn here, recorded with the result in the audit log, and
/// anyone can re-run `domain::food::draw` with it.
pub async fn draw(
    app: &App,
    n: usize,
    inspectors: &[i64],
    actor: &Actor,
) -> Result<(i64, u64, Vec<(i64, i64)>), Error> {
    use rand::Rng;
    let seed: u64 = rand::thread_rng().gen();
    let businesses = app.store.business_ids().await?;
    let pairs = domain::food::draw(&businesses, inspectors, n, seed);
    let id = app
        .store
        .record_draw(
            &seed.to_string(),
            &pairs,
            actor.user_id,
            &format!("{}:{}", actor.user_id, actor.username),
            app.clock.now(),
        )
        .await?;
    Ok((id, seed, pairs))
}
