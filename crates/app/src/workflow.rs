//! Every change of a case passes here. The domain decides what the change is; this adds what
//! follows from it — the terms its obligations are stated in (and so when its next warning
//! or escalation falls due), and the notifications to send — and the store writes it all in
//! one transaction.

use crate::App;
use domain::case::{ActionKind, Actor, Case, CaseEvent};
use domain::role::Role;
use store::writer::{CreateCase, Extras, OutboxMessage};
use store::StoreError;

/// The actor of steps the platform takes by itself (warnings, escalations).
pub fn system_actor() -> Actor {
    Actor { user_id: 0, username: "deadline-runner".into(), role: Role::Admin }
}

/// The actor of dispatch steps the platform takes by itself (auto-dispatch, hand-over).
pub fn dispatch_actor() -> Actor {
    Actor { user_id: 0, username: "auto-dispatch".into(), role: Role::Dispatcher }
}

/// Stores a new case with its obligations and notifications (`intake::report` adds
/// auto-dispatch). The store gives the case its id, then the domain makes it.
pub async fn create(state: &App, mut c: CreateCase) -> Result<Case, StoreError> {
    c.extras.terms = domain::obligation::Terms {
        warn_fraction: state.escalation.warn_fraction,
        ladder: state.escalation_roles.clone(),
        working_hours: state.policy.counts_working_hours(&c.new.category, c.new.priority),
    };
    let case = state.store.create_case(c).await?;
    state.runner_wake.notify_one();
    Ok(case)
}

/// Stores `after`, computed from `before` by the domain, with its alert index and the
/// notifications its new events cause. A stale `before` fails with a conflict.
pub async fn commit(state: &App, before: &Case, mut after: Case) -> Result<Case, StoreError> {
    // Whoever is newly sent must take the assignment in time, or it passes to the next.
    if state.dispatch.answer_seconds > 0 {
        let within = chrono::Duration::seconds(state.dispatch.answer_seconds as i64);
        for a in after.assignments.iter_mut().skip(before.assignments.len()) {
            if a.status == domain::case::AssignmentStatus::Active && a.answered_at.is_none() && a.answer_by.is_none() {
                a.answer_by = Some(a.assigned_at + within);
            }
        }
    }
    let new_events = &after.events[before.events.len()..];
    let mut outbox = progress_notices(state, &after, new_events).await?;
    outbox.extend(escalation_notices(state, &after, new_events).await?);
    let outbox = within_scope(state, &after, outbox).await?;
    let extras = Extras { terms: state.case_terms(&after), outbox };
    state.store.save_case(before, after.clone(), extras).await?;
    state.runner_wake.notify_one();
    if new_closure(before, &after) {
        keep_commitment(state, &after).await;
        crate::deliberation::case_closed(state, after.id).await;
    }
    Ok(after)
}

fn new_closure(before: &Case, after: &Case) -> bool {
    after.events[before.events.len()..].iter().any(|e| e.action == ActionKind::Close)
}

/// A case that carries out a petition's commitment keeps it when it closes. The case is
/// committed already; a failure here is logged and left to the petition office (the
/// commitment's own deadline still reminds and escalates).
async fn keep_commitment(state: &App, case: &Case) {
    let link = match state.store.commitment_of_case(case.id).await {
        Ok(Some(link)) => link,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(case = case.id, error = %e, "cannot look up the petition this case serves");
            return;
        }
    };
    let (petition, commitment) = link;
    let step = domain::petition::Action::KeepCommitment { commitment };
    let note = format!("案件 {} 已办结", case.id);
    match crate::petitions::act(state, petition, &step, &system_actor(), Some(&note)).await {
        Ok(_) | Err(crate::petitions::Error::Rule(domain::petition::PetitionError::InvalidStep { .. })) => {}
        Err(e) => tracing::warn!(case = case.id, petition, error = %e, "could not keep the petition's commitment"),
    }
}

/// Keeps the notices whose recipient may see the case: staff within their scope, the
/// resident who reported it, residents who follow it. Nobody hears of a case they could not
/// open.
async fn within_scope(state: &App, case: &Case, outbox: Vec<OutboxMessage>) -> Result<Vec<OutboxMessage>, StoreError> {
    let mut kept = Vec::with_capacity(outbox.len());
    for m in outbox {
        let Some(id) = m.recipient_user else {
            kept.push(m);
            continue;
        };
        let user = state.store.user(id).await?;
        let follower =
            matches!(user.role, Role::Resident | Role::Volunteer) && state.store.follows(case.id, id).await?;
        if follower || crate::access::may_see(state, &user, case).await? {
            kept.push(m);
        } else {
            tracing::warn!(case = case.id, user = id, "notice withheld: the recipient may not see this case");
        }
    }
    Ok(kept)
}

/// Plain words for a resident following their report.
fn progress_words(e: &CaseEvent) -> Option<&'static str> {
    Some(match e.action {
        ActionKind::Accept => "您的报告已受理。",
        ActionKind::Dispatch | ActionKind::Reassign => "已派出工作人员处理您的报告。",
        ActionKind::Arrive => "工作人员已到达现场。",
        ActionKind::Feedback => "处理进展已更新。",
        ActionKind::Close => "您的报告已办结，欢迎评价。",
        ActionKind::Reject if e.to == domain::case::Status::Rejected => "您的报告未予受理。",
        ActionKind::Void => "您的报告已作废。",
        ActionKind::Reopen => "您的报告已重新办理。",
        _ => return None,
    })
}

async fn progress_notices(state: &App, case: &Case, events: &[CaseEvent]) -> Result<Vec<OutboxMessage>, StoreError> {
    if !events.iter().any(|e| progress_words(e).is_some()) {
        return Ok(vec![]);
    }
    // The resident who reported it, and the residents who follow it.
    let mut people = vec![];
    if let Some(user) = case.reported_by {
        if matches!(state.store.user(user).await?.role, Role::Resident | Role::Volunteer) {
            people.push(user);
        }
    }
    for f in state.store.followers(case.id).await? {
        if !people.contains(&f) {
            people.push(f);
        }
    }
    Ok(people
        .into_iter()
        .flat_map(|user| events.iter().map(move |e| (user, e)))
        .filter_map(|(user, e)| {
            // The reporter hears the answer given; a follower only the step.
            let answer = (case.reported_by == Some(user)
                && matches!(
                    e.action,
                    ActionKind::Feedback | ActionKind::Close | ActionKind::Reject | ActionKind::Void
                ))
            .then_some(e.note.as_deref())
            .flatten();
            progress_words(e).map(|words| OutboxMessage {
                dedupe_key: format!("progress:{}:{user}", e.seq),
                channel: "web".into(),
                recipient_user: Some(user),
                recipient_phone: None,
                subject: format!("案件 {} 有新进展", case.id),
                body: format!("{words}{}", answer.map(|n| format!("（{n}）")).unwrap_or_default()),
            })
        })
        .collect())
}

async fn escalation_notices(state: &App, case: &Case, events: &[CaseEvent]) -> Result<Vec<OutboxMessage>, StoreError> {
    let mut out = vec![];
    for e in events.iter().filter(|e| e.action == ActionKind::Escalate) {
        let level = e.level.unwrap_or(1).max(1);
        let promise = e.promise.map_or("", |p| p.as_str());
        let category = state.categories.get(&case.category).map_or(case.category.as_str(), |c| c.name_zh.as_str());
        let grid = state.grids.get(&case.grid);
        let missed = crate::notify::Missed {
            duty: promise,
            due_at: e.due_at,
            level,
            station: grid.map(|g| g.station.as_str()),
            subject: format!("【督办】案件 {} 超时", case.id),
            body: format!(
                "{category}（{}）未按时完成“{}”，已升级至第{level}级督办。",
                grid.map_or(case.grid.as_str(), |g| g.name_zh.as_str()),
                promise_zh(promise)
            ),
        };
        out.extend(crate::notify::escalation_notices(state, &state.escalation_roles, &missed).await?);
    }
    Ok(out)
}

fn promise_zh(p: &str) -> &'static str {
    match p {
        "accept" => "1分钟受理",
        "dispatch" => "3分钟派单并联系当事人",
        "on_site" => "10分钟到场",
        "first_feedback" => "1小时首次反馈",
        "close" => "24小时办结",
        _ => "承诺时限",
    }
}
