//! Every change of a deliberation topic or resolution passes here: the domain decides the
//! step (`domain::deliberation`); this adds the terms their duties are stated in, tells
//! everyone who raised or supported the topic whenever it (or its resolution) moves on, and
//! the escalation notices; the store writes it all in one transaction.

use crate::App;
use domain::case::Actor;
use domain::deliberation::{
    DeliberationError, NewResolution, NewTopic, Resolution, ResolutionAction, ResolutionId, Topic, TopicAction,
    TopicId, TopicStatus,
};
use domain::obligation::{MatterKind, Obligation, Terms};
use domain::role::Role;
use store::writer::OutboxMessage;
use store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Rule(#[from] DeliberationError),
}

/// Missed deliberation duties go to the community's grid workers, then the street's leaders.
pub fn terms(app: &App) -> Terms {
    Terms {
        warn_fraction: app.escalation.warn_fraction,
        ladder: vec![Role::GridWorker, Role::Leader],
        working_hours: false,
    }
}

pub fn topic_obligations(app: &App, t: &Topic) -> Vec<Obligation> {
    domain::deliberation::topic_obligations(t, &terms(app))
}

pub fn resolution_obligations(app: &App, r: &Resolution) -> Vec<Obligation> {
    domain::deliberation::resolution_obligations(r, &terms(app))
}

/// The Chinese word for a topic's status, as residents read it.
pub fn topic_status_zh(s: TopicStatus) -> &'static str {
    match s {
        TopicStatus::Raised => "已提交，待初审",
        TopicStatus::Accepted => "已受理，待列入议程",
        TopicStatus::OnAgenda => "已列入议事日议程",
        TopicStatus::Discussed => "已上会讨论",
        TopicStatus::Declined => "未予受理",
    }
}

pub async fn raise(app: &App, new: NewTopic, actor: &Actor) -> Result<Topic, Error> {
    let t = app.store.create_topic(new, actor, app.clock.now(), |t| topic_obligations(app, t)).await?;
    app.runner_wake.notify_one();
    Ok(t)
}

pub async fn act_topic(app: &App, id: TopicId, action: &TopicAction, actor: &Actor) -> Result<Topic, Error> {
    let before = app.store.topic(id).await?;
    let after = domain::deliberation::apply_topic(&before, action, actor, app.clock.now())?;
    commit_topic(app, &before, after).await
}

/// Who hears of a topic's progress: the one who raised it and everyone who supported it.
fn followers(t: &Topic) -> Vec<i64> {
    let mut out = vec![t.raised_by];
    out.extend(t.supporters.iter().copied().filter(|u| *u != t.raised_by));
    out
}

fn notices(t: &Topic, key: &str, subject: &str, body: &str) -> Vec<OutboxMessage> {
    followers(t)
        .into_iter()
        .map(|u| OutboxMessage {
            dedupe_key: format!("{key}:user{u}"),
            channel: "web".into(),
            recipient_user: Some(u),
            recipient_phone: None,
            subject: subject.into(),
            body: body.into(),
        })
        .collect()
}

async fn commit_topic(app: &App, before: &Topic, after: Topic) -> Result<Topic, Error> {
    if after.version == before.version {
        return Ok(after);
    }
    let mut outbox = escalations(
        app,
        &after.grid,
        &after.events[before.events.len()..],
        &format!("议题 {}", after.id),
        &after.title,
    )
    .await?;
    if after.status != before.status {
        let mut body = format!("您提出或支持的议题“{}”{}。", after.title, topic_status_zh(after.status));
        if let (TopicStatus::OnAgenda, Some(at)) = (after.status, after.meeting_at) {
            body.push_str(&format!("议事时间：{}。", store::local_time_text(at)));
        }
        if let Some(o) =
            after.outcome.as_ref().filter(|_| matches!(after.status, TopicStatus::Discussed | TopicStatus::Declined))
        {
            body.push_str(&format!("结果：{o}"));
        }
        outbox.extend(notices(&after, &format!("v{}", after.version), &format!("议题进展：{}", after.title), &body));
    }
    app.store.save_topic(before.version, &after, &topic_obligations(app, &after), &outbox).await?;
    app.runner_wake.notify_one();
    Ok(after)
}

/// Records a resolution (of a topic discussed, or a part of another resolution).
pub async fn resolve(app: &App, new: NewResolution, actor: &Actor) -> Result<Resolution, Error> {
    if let Some(parent) = new.parent_id {
        let p = app.store.resolution(parent).await?;
        if p.status != domain::deliberation::ResolutionStatus::Open {
            return Err(DeliberationError::Invalid(format!("resolution {parent} is {}", p.status.as_str())).into());
        }
    }
    let r = app.store.create_resolution(new, actor, app.clock.now(), |r| resolution_obligations(app, r)).await?;
    app.runner_wake.notify_one();
    Ok(r)
}

pub async fn act_resolution(
    app: &App,
    id: ResolutionId,
    action: &ResolutionAction,
    actor: &Actor,
) -> Result<Resolution, Error> {
    let before = app.store.resolution(id).await?;
    let action = match action {
        // The parts still open are counted here, not taken from the caller.
        ResolutionAction::Solve { .. } => {
            let parts = app.store.resolution_parts(id).await?;
            let open = parts.iter().filter(|p| p.status == domain::deliberation::ResolutionStatus::Open).count();
            ResolutionAction::Solve { open_children: open }
        }
        a => a.clone(),
    };
    let after = domain::deliberation::apply_resolution(&before, &action, actor, app.clock.now())?;
    commit_resolution(app, &before, after).await
}

/// The topic a resolution answers (its own, or its whole's).
async fn topic_of(app: &App, r: &Resolution) -> Result<Option<Topic>, StoreError> {
    let mut cur = r.clone();
    for _ in 0..16 {
        if let Some(t) = cur.topic_id {
            return Ok(Some(app.store.topic(t).await?));
        }
        match cur.parent_id {
            Some(p) => cur = app.store.resolution(p).await?,
            None => return Ok(None),
        }
    }
    Ok(None)
}

async fn commit_resolution(app: &App, before: &Resolution, after: Resolution) -> Result<Resolution, Error> {
    if after.version == before.version {
        return Ok(after);
    }
    let mut outbox = escalations(
        app,
        &after.grid,
        &after.events[before.events.len()..],
        &format!("决议 {}", after.id),
        &after.title,
    )
    .await?;
    let (was, now) = (domain::deliberation::phase(before), domain::deliberation::phase(&after));
    let step_done = after.steps.iter().zip(&before.steps).position(|(a, b)| a.done_at.is_some() && b.done_at.is_none());
    if was != now || step_done.is_some() {
        if let Some(t) = topic_of(app, &after).await? {
            let what = match (now, step_done) {
                ("solved", _) => "已办结".to_owned(),
                ("dropped", _) => "已终止".to_owned(),
                (_, Some(i)) => format!("第{}项工作“{}”已完成", i + 1, after.steps[i].title),
                _ => "已开始实施".to_owned(),
            };
            let body = format!(
                "您提出或支持的议题“{}”形成的决议“{}”{}，当前进度 {}%。",
                t.title,
                after.title,
                what,
                domain::deliberation::progress(&after)
            );
            outbox.extend(notices(
                &t,
                &format!("r{}v{}", after.id, after.version),
                &format!("决议进展：{}", after.title),
                &body,
            ));
        }
    }
    app.store.save_resolution(before.version, &after, &resolution_obligations(app, &after), &outbox).await?;
    app.runner_wake.notify_one();
    Ok(after)
}

async fn escalations(
    app: &App,
    grid: &domain::codes::GridCode,
    new_events: &[domain::deliberation::Event],
    what: &str,
    title: &str,
) -> Result<Vec<OutboxMessage>, StoreError> {
    let mut out = vec![];
    for e in new_events.iter().filter(|e| e.action == "escalate") {
        let duty = e.duty.as_deref().unwrap_or_default();
        let missed = crate::notify::Missed {
            duty,
            due_at: e.due_at,
            level: e.level.unwrap_or(1),
            station: app.grids.get(grid).map(|g| g.station.as_str()),
            subject: format!("【督办】{what} 超期"),
            body: format!(
                "{what}（{title}）未按时完成“{}”，已升级至第{}级督办。",
                domain::deliberation::duty_zh(duty),
                e.level.unwrap_or(1)
            ),
        };
        out.extend(crate::notify::escalation_notices(app, &terms(app).ladder, &missed).await?);
    }
    Ok(out)
}

/// A case that carries out a resolution's step completes it when it closes (called by
/// `workflow::commit` after the case is stored; a failure is logged, and the step's own
/// deadline still reminds and escalates).
pub async fn case_closed(app: &App, case_id: i64) {
    let link = match app.store.resolution_step_of_case(case_id).await {
        Ok(Some(link)) => link,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(case = case_id, error = %e, "cannot look up the resolution this case serves");
            return;
        }
    };
    let (id, step) = link;
    match act_resolution(app, id, &ResolutionAction::CaseClosed { step }, &crate::workflow::system_actor()).await {
        Ok(_) | Err(Error::Rule(DeliberationError::InvalidStep { .. })) => {}
        Err(e) => {
            tracing::warn!(case = case_id, resolution = id, error = %e, "could not complete the resolution's step")
        }
    }
}

/// The deadline runner's rule for topics and resolutions.
pub async fn fire(app: &App, kind: MatterKind, id: i64, actor: &Actor) -> Result<(), StoreError> {
    let now = app.clock.now();
    let terms = terms(app);
    let result = match kind {
        MatterKind::Topic => {
            let t = app.store.topic(id).await?;
            let duties = topic_obligations(app, &t);
            let due = domain::deliberation::record_alerts(&t.events, &duties, now, &terms, actor, t.status.as_str());
            if due.is_empty() {
                return app.store.restate_matter_obligations(kind, id, t.version, &duties).await;
            }
            let mut after = t.clone();
            after.version += due.len() as u32;
            after.updated_at = now.max(t.updated_at);
            after.events.extend(due);
            commit_topic(app, &t, after).await.map(|_| ())
        }
        MatterKind::Resolution => {
            let r = app.store.resolution(id).await?;
            let duties = resolution_obligations(app, &r);
            let due = domain::deliberation::record_alerts(&r.events, &duties, now, &terms, actor, r.status.as_str());
            if due.is_empty() {
                return app.store.restate_matter_obligations(kind, id, r.version, &duties).await;
            }
            let mut after = r.clone();
            after.version += due.len() as u32;
            after.updated_at = now.max(r.updated_at);
            after.events.extend(due);
            commit_resolution(app, &r, after).await.map(|_| ())
        }
        _ => return Ok(()),
    };
    result.map_err(|e| match e {
        Error::Store(e) => e,
        Error::Rule(e) => StoreError::Invalid(e.to_string()),
    })
}
