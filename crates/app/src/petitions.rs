//! Every change of a petition passes here: the domain decides the step
//! (`domain::petition`), this adds what follows — repeat detection at registration, the
//! terms its obligations are stated in, the notices (the petitioner told who handles it and
//! how to reach them, told the decision and the reply; escalations up the ladder) — and the
//! store writes it all in one transaction.

use crate::App;
use domain::case::Actor;
use domain::obligation::{Obligation, Terms};
use domain::petition::{Action, NewPetition, Petition, PetitionError, PetitionId};
use domain::role::Role;
use store::writer::OutboxMessage;
use store::StoreError;

/// Earlier petitions looked at for repeats: the last year.
pub const REPEAT_WINDOW_DAYS: i64 = 365;
/// Same topic this close counts as the same place.
pub const REPEAT_RADIUS_M: f64 = 300.0;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Rule(#[from] PetitionError),
}

/// The terms a petition's obligations are stated in: the configured warning share and ladder.
pub fn terms(app: &App) -> Terms {
    Terms { warn_fraction: app.escalation.warn_fraction, ladder: petition_ladder(app), working_hours: false }
}

/// Who a missed petition duty goes up to: the petition office's officers, then the
/// street's leaders (督办), then the configured top level.
fn petition_ladder(app: &App) -> Vec<Role> {
    let mut ladder = vec![Role::PetitionOfficer, Role::Leader];
    if let Some(top) = app.escalation_roles.last().filter(|r| !ladder.contains(r)) {
        ladder.push(*top);
    }
    ladder
}

pub fn obligations(app: &App, p: &Petition) -> Vec<Obligation> {
    domain::petition::obligations(p, &terms(app), &app.petition_limits)
}

/// Registers a petition, linking earlier ones on the same matter (same person, or the same
/// topic within [`REPEAT_RADIUS_M`] in the last year); one that went through re-review with
/// the same person is flagged: the same facts are not accepted again.
pub async fn register(app: &App, mut new: NewPetition, actor: &Actor) -> Result<Petition, Error> {
    let now = app.clock.now();
    let phones: Vec<String> = new.petitioners.iter().filter_map(|p| p.phone.clone()).collect();
    let repeats = app
        .store
        .petition_repeats(
            &phones,
            &new.topic,
            new.location,
            REPEAT_RADIUS_M,
            now - chrono::Duration::days(REPEAT_WINDOW_DAYS),
        )
        .await?;
    new.repeat_of = repeats.iter().map(|r| r.id).collect();
    new.after_re_review = repeats.iter().any(|r| r.same_person && r.reviews >= 2);
    let limits = app.petition_limits.clone();
    let p = app.store.create_petition(new, actor, now, &limits, |p| obligations(app, p), &[]).await?;
    app.runner_wake.notify_one();
    Ok(p)
}

/// Applies one step to a stored petition and writes it with its obligations and notices.
pub async fn act(
    app: &App,
    id: PetitionId,
    action: &Action,
    actor: &Actor,
    note: Option<&str>,
) -> Result<Petition, Error> {
    let before = app.store.petition(id).await?;
    let after = domain::petition::apply(&before, action, actor, note, app.clock.now(), &app.petition_limits)?;
    commit(app, &before, after).await
}

/// Writes `after`, computed by the domain from `before`, with what follows from its new events.
pub async fn commit(app: &App, before: &Petition, after: Petition) -> Result<Petition, Error> {
    let new_events = &after.events[before.events.len()..];
    // With the reply, the petitioner gets a query code to follow and rate it without an account.
    let code = new_events.iter().any(|e| e.action == "reply").then(new_query_code);
    let mut outbox = petitioner_notices(app, &after, new_events, code.as_deref()).await?;
    outbox.extend(escalations(app, &after, new_events).await?);
    let hash = code.as_deref().map(query_code_hash);
    app.store.save_petition(before.version, &after, &obligations(app, &after), &outbox, hash.as_deref()).await?;
    app.runner_wake.notify_one();
    Ok(after)
}

/// The deadline runner's rule for petitions: record the warnings and escalations due now.
pub async fn fire(app: &App, id: PetitionId, actor: &Actor) -> Result<(), StoreError> {
    let p = app.store.petition(id).await?;
    let now = app.clock.now();
    match domain::petition::record_alerts(&p, now, &terms(app), &app.petition_limits, actor) {
        Some(after) => match commit(app, &p, after).await {
            Ok(_) => Ok(()),
            Err(Error::Store(e)) => Err(e),
            Err(Error::Rule(e)) => Err(StoreError::Invalid(e.to_string())),
        },
        None => {
            // Nothing due after all: restate the duties so the index moves on.
            let duties = obligations(app, &p);
            app.store.restate_petition_obligations(p.id, p.version, &duties).await
        }
    }
}

/// Symbols of query codes: no 0/O, 1/I/L to misread.
const QUERY_CODE_SYMBOLS: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
/// Symbols per code: 31^10 ≈ 8 × 10^14 codes.
const QUERY_CODE_LEN: usize = 10;

fn new_query_code() -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    (0..QUERY_CODE_LEN).map(|_| QUERY_CODE_SYMBOLS[rng.gen_range(0..QUERY_CODE_SYMBOLS.len())] as char).collect()
}

/// What is stored of a query code: its SHA-256, as typed (spaces and case ignored).
pub fn query_code_hash(code: &str) -> String {
    use sha2::Digest;
    let norm: String = code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect();
    hex::encode(sha2::Sha256::digest(norm.as_bytes()))
}

/// Text messages to the petitioners (on the phone they gave) at the steps they must hear of.
async fn petitioner_notices(
    app: &App,
    p: &Petition,
    events: &[domain::petition::Event],
    query_code: Option<&str>,
) -> Result<Vec<OutboxMessage>, StoreError> {
    let mut out = vec![];
    for e in events {
        let body = match e.action.as_str() {
            "assign" => {
                let officer = match p.officer {
                    Some(id) => Some(app.store.user(id).await?),
                    None => None,
                };
                let (name, phone) = officer.map_or((String::new(), None), |u| (u.display_name, u.phone));
                format!(
                    "您的信访事项（编号{}）已交{}办理，经办人{}{}，有事可直接联系。",
                    p.id,
                    p.body.as_deref().unwrap_or("责任单位"),
                    name,
                    phone.map(|ph| format!("（电话/微信 {ph}）")).unwrap_or_default()
                )
            }
            "accept" => format!(
                "您的信访事项（编号{}）已受理，将于{}前书面答复。",
                p.id,
                p.reply_due.map(local_date).unwrap_or_default()
            ),
            "refuse" => {
                let (reason, route) = p.refusal.clone().unwrap_or_default();
                format!("您的信访事项（编号{}）不予受理：{reason}。请通过以下途径办理：{route}。", p.id)
            }
            "extend" => {
                let why = p.extension.as_ref().map(|x| x.1.clone()).unwrap_or_default();
                format!(
                    "您的信访事项（编号{}）办理期限延长至{}，原因：{why}。",
                    p.id,
                    p.reply_due.map(local_date).unwrap_or_default()
                )
            }
            "reply" => format!(
                "您的信访事项（编号{}）已书面答复。凭查询码 {} 可在临灵通“信访查询”中查看答复并评价（满意/基本满意/不满意）；如不服，可于{}前申请复查。",
                p.id,
                query_code.unwrap_or_default(),
                p.review_open_until.map(local_date).unwrap_or_default()
            ),
            "decide_review" => format!("您的信访事项（编号{}）复查/复核意见已作出，请查收书面意见。", p.id),
            _ => continue,
        };
        for (i, who) in p.petitioners.iter().enumerate().filter(|(_, x)| x.phone.is_some()) {
            if p.petitioners.len() >= 5 && !who.representative {
                continue;
            }
            out.push(OutboxMessage {
                dedupe_key: format!("petitioner:{}:{i}", e.seq),
                channel: "sms".into(),
                recipient_user: None,
                recipient_phone: who.phone.clone(),
                subject: format!("信访事项 {} 办理进展", p.id),
                body: body.clone(),
            });
        }
    }
    Ok(out)
}

async fn escalations(
    app: &App,
    p: &Petition,
    events: &[domain::petition::Event],
) -> Result<Vec<OutboxMessage>, StoreError> {
    let mut out = vec![];
    let ladder = petition_ladder(app);
    for e in events.iter().filter(|e| e.action == "escalate") {
        let duty = e.duty.as_deref().unwrap_or_default();
        let level = e.level.unwrap_or(1).max(1);
        let missed = crate::notify::Missed {
            duty,
            due_at: e.due_at,
            level,
            station: app.grids.get(&p.grid).map(|g| g.station.as_str()),
            subject: format!("【督办】信访事项 {} 超期", p.id),
            body: format!(
                "信访事项（{}）未按时完成“{}”，已升级至第{level}级督办。",
                p.topic,
                domain::petition::duty_zh(duty)
            ),
        };
        out.extend(crate::notify::escalation_notices(app, &ladder, &missed).await?);
    }
    Ok(out)
}

/// A date as the street reads it: 2024年1月16日.
pub fn local_date(t: domain::Timestamp) -> String {
    use chrono::Datelike;
    let d = t.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8")) - chrono::Duration::seconds(1);
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}
