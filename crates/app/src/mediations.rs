//! Every change of a mediation passes here: the domain decides the step
//! (`domain::mediation`); this adds the terms its duties are stated in and the escalation
//! notices, and the store writes it all in one transaction. A dispute case sent to a
//! mediator becomes a mediation with one step ([`from_case`]), linked both ways.

use crate::App;
use domain::case::Actor;
use domain::category::Force;
use domain::mediation::{Action, Kind, Mediation, MediationError, MediationId, NewMediation, Party, Source};
use domain::obligation::{Obligation, Terms};
use domain::role::Role;
use store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Rule(#[from] MediationError),
}

/// Missed mediation duties go to the studio's mediators, then the street's leaders.
pub fn terms(app: &App) -> Terms {
    Terms {
        warn_fraction: app.escalation.warn_fraction,
        ladder: vec![Role::Mediator, Role::Leader],
        working_hours: false,
    }
}

pub fn obligations(app: &App, m: &Mediation) -> Vec<Obligation> {
    domain::mediation::obligations(m, &terms(app), &app.mediation_limits)
}

pub async fn register(app: &App, new: NewMediation, actor: &Actor) -> Result<Mediation, Error> {
    let limits = app.mediation_limits.clone();
    let m = app.store.create_mediation(new, actor, app.clock.now(), &limits, |m| obligations(app, m)).await?;
    app.runner_wake.notify_one();
    Ok(m)
}

/// The kind of dispute a case's category names.
fn kind_of(category: &str) -> Kind {
    match category {
        "SJ1002" => Kind::Wages,
        "SJ1003" => Kind::Freight,
        "SJ1004" => Kind::Neighbours,
        "SJ1005" => Kind::Consumer,
        c if c.starts_with("SJ11") => Kind::Traffic,
        _ => Kind::Other,
    }
}

/// A dispute case (its category sends a mediator) becomes a mediation: its place, grid and
/// words, the reporter as the first claimant. The case names the mediation from then on.
pub async fn from_case(app: &App, case_id: i64, actor: &Actor) -> Result<Mediation, Error> {
    if let Some(id) = app.store.mediation_of_case(case_id).await? {
        return Err(MediationError::Invalid(format!("case {case_id} is already mediation {id}")).into());
    }
    let case = app.store.get_case(case_id).await?;
    let mediates = app.categories.get(&case.category).is_some_and(|c| c.forces.contains(&Force::Mediator));
    if !mediates {
        return Err(MediationError::Invalid(
            "only a dispute (a category that sends a mediator) becomes a mediation".into(),
        )
        .into());
    }
    let mut parties = vec![];
    if let Some(rid) = case.reporter_id {
        let r = app.store.reporter(rid).await?;
        parties.push(Party {
            name: r.name.unwrap_or_else(|| "报告人".into()),
            organisation: false,
            claimant: true,
            representative: None,
            phone: r.phone,
            claims: vec![],
        });
    }
    let new = NewMediation {
        source: Source::Case,
        kind: kind_of(case.category.as_str()),
        summary: case.description.clone(),
        grid: case.grid.clone(),
        place: case.address.clone(),
        case_id: Some(case.id),
        parties,
        mediators: (actor.role == Role::Mediator).then_some(actor.user_id).into_iter().collect(),
    };
    register(app, new, actor).await
}

pub async fn act(
    app: &App,
    id: MediationId,
    action: &Action,
    actor: &Actor,
    note: Option<&str>,
) -> Result<Mediation, Error> {
    let before = app.store.mediation(id).await?;
    let after = domain::mediation::apply(&before, action, actor, note, app.clock.now(), &app.mediation_limits)?;
    commit(app, &before, after).await
}

pub async fn commit(app: &App, before: &Mediation, after: Mediation) -> Result<Mediation, Error> {
    commit_with(app, before, after, vec![]).await
}

/// How long a texted confirmation code is good for.
pub const CODE_MINUTES: i64 = 10;

/// What is kept of a confirmation code: its SHA-256 (with the mediation and party, so a
/// code means nothing elsewhere).
pub fn code_hash(id: MediationId, party: usize, code: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(format!("{id}:{party}:{}", code.trim()).as_bytes()))
}

/// Texts a six-digit confirmation code to a party's phone (through the outbox); typed back,
/// it confirms the agreement for that party.
pub async fn send_code(app: &App, id: MediationId, party: usize, actor: &Actor) -> Result<Mediation, Error> {
    use rand::Rng;
    let before = app.store.mediation(id).await?;
    let code = format!("{:06}", rand::thread_rng().gen_range(0..1_000_000));
    let now = app.clock.now();
    let action = Action::SendCode {
        party,
        hash: code_hash(id, party, &code),
        expires_at: now + chrono::Duration::minutes(CODE_MINUTES),
    };
    let after = domain::mediation::apply(&before, &action, actor, None, now, &app.mediation_limits)?;
    let phone = after.parties[party].phone.clone();
    let sms = store::writer::OutboxMessage {
        dedupe_key: format!("code:{}:{party}", after.version),
        channel: "sms".into(),
        recipient_user: None,
        recipient_phone: phone,
        subject: format!("调解协议确认码（调解 {id}）"),
        body: format!(
            "您的调解协议确认码为 {code}，{CODE_MINUTES}分钟内有效。请核对协议内容后告知调解员。如非本人操作请忽略。"
        ),
    };
    commit_with(app, &before, after, vec![sms]).await
}

async fn commit_with(
    app: &App,
    before: &Mediation,
    after: Mediation,
    mut outbox: Vec<store::writer::OutboxMessage>,
) -> Result<Mediation, Error> {
    for e in after.events[before.events.len()..].iter().filter(|e| e.action == "escalate") {
        let duty = e.duty.as_deref().unwrap_or_default();
        let missed = crate::notify::Missed {
            duty,
            due_at: e.due_at,
            level: e.level.unwrap_or(1),
            station: app.grids.get(&after.grid).map(|g| g.station.as_str()),
            subject: format!("【督办】调解 {} 超期", after.id),
            body: format!(
                "调解（{}）未按时完成“{}”，已升级至第{}级督办。",
                after.summary,
                domain::mediation::duty_zh(duty),
                e.level.unwrap_or(1)
            ),
        };
        outbox.extend(crate::notify::escalation_notices(app, &terms(app).ladder, &missed).await?);
    }
    app.store.save_mediation(before.version, &after, &obligations(app, &after), &outbox).await?;
    app.runner_wake.notify_one();
    Ok(after)
}

/// The deadline runner's rule for mediations.
pub async fn fire(app: &App, id: MediationId, actor: &Actor) -> Result<(), StoreError> {
    let m = app.store.mediation(id).await?;
    match domain::mediation::record_alerts(&m, app.clock.now(), &terms(app), &app.mediation_limits, actor) {
        Some(after) => match commit(app, &m, after).await {
            Ok(_) => Ok(()),
            Err(Error::Store(e)) => Err(e),
            Err(Error::Rule(e)) => Err(StoreError::Invalid(e.to_string())),
        },
        None => app.store.restate_mediation_obligations(m.id, m.version, &obligations(app, &m)).await,
    }
}
