//! The deadline runner: fires the warnings and escalations of every matter's obligations
//! when they fall due.
//!
//! Obligations live in the database (`obligations.next_alert_at`), never only in memory, so
//! a restart or another node picks them up: an alert that fell due while the server was down
//! fires as soon as it is back. The runner sleeps until the earliest alert of any matter
//! (woken early when this node writes one, and at least every [`POLL_MAX`] for changes made
//! by other nodes), hands each matter with something due to its kind's rules ([`fire`]),
//! which record the alerts through the domain and commit them with the matter's version, so
//! when two nodes race for one matter, one wins and the other finds nothing left to do: each
//! alert fires exactly once. A new kind of matter adds an arm to [`fire`], not a runner.

use crate::{workflow, App};
use domain::obligation::MatterKind;
use std::sync::Arc;
use std::time::Duration;
use store::StoreError;

/// Longest sleep between looks at the database: bounds how late an alert set by another
/// node can fire.
pub const POLL_MAX: Duration = Duration::from_millis(250);
/// Matters handled per look; more wait for the next one, which follows at once.
const MATTERS_PER_ROUND_MAX: i64 = 500;
/// Matters handled at the same time; their writes share the writer's group commits.
const CONCURRENT_MATTERS_MAX: usize = 32;

pub async fn run(state: Arc<App>, mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        if *stop.borrow() {
            break;
        }
        let full = match round(&state).await {
            Ok(full) => full,
            Err(e) => {
                tracing::warn!(error = %e, "deadline runner cannot read due obligations; retrying");
                tokio::time::sleep(POLL_MAX).await;
                continue;
            }
        };
        if full {
            continue;
        }
        let sleep = match state.store.next_alert_due().await {
            Ok(Some(next)) => (next - state.clock.now()).to_std().unwrap_or(Duration::ZERO).min(POLL_MAX),
            _ => POLL_MAX,
        };
        tokio::select! {
            _ = tokio::time::sleep(sleep) => {}
            _ = state.runner_wake.notified() => {}
            _ = stop.changed() => {}
        }
    }
}

/// Rounds [`settle`] runs at most before it gives up on alerts that stay due.
const SETTLE_ROUNDS_MAX: usize = 100;

/// Handles every alert due now, as the runner does, until none is left: for a caller that
/// moved the clock and must see the alerts fired before it goes on (another runner racing
/// it fires each alert once all the same). Whether none is left.
pub async fn settle(state: &Arc<App>) -> Result<bool, StoreError> {
    for _ in 0..SETTLE_ROUNDS_MAX {
        let more = round(state).await?;
        if !more && state.store.matters_with_alerts_due(state.clock.now(), 1).await?.is_empty() {
            return Ok(true);
        }
    }
    Ok(false)
}

/// One look: fires what is due (at most [`MATTERS_PER_ROUND_MAX`] matters); whether there
/// may be more.
async fn round(state: &Arc<App>) -> Result<bool, StoreError> {
    let levels = state.escalation_roles.len().min(u8::MAX as usize) as u8;
    let due = state.store.matters_with_alerts_due(state.clock.now(), MATTERS_PER_ROUND_MAX).await?;
    let full = due.len() as i64 == MATTERS_PER_ROUND_MAX;
    // Detectors gone silent or past their service years raise their own alarms.
    if let Err(e) = crate::gas::watchdog(state).await {
        tracing::warn!(error = %e, "gas watchdog could not look at the detectors; retrying");
    }
    let mut tasks = tokio::task::JoinSet::new();
    for (kind, id) in due {
        while tasks.len() >= CONCURRENT_MATTERS_MAX {
            tasks.join_next().await;
        }
        let state = state.clone();
        tasks.spawn(async move {
            if let Err(e) = fire(&state, kind, id, levels).await {
                // A conflict means someone else changed the matter first; it is looked at
                // again on the next round.
                if !matches!(e, StoreError::Conflict(_)) {
                    tracing::warn!(kind = kind.as_str(), id, error = %e, "deadline runner could not record alerts");
                }
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    Ok(full)
}

/// Hands a matter with an alert due to the rules of its kind.
async fn fire(state: &App, kind: MatterKind, id: i64, levels: u8) -> Result<(), StoreError> {
    match kind {
        MatterKind::Case => fire_case(state, id, levels).await,
        MatterKind::Petition => crate::petitions::fire(state, id, &workflow::system_actor()).await,
        MatterKind::Mediation => crate::mediations::fire(state, id, &workflow::system_actor()).await,
        MatterKind::Business => crate::food::fire(state, id, &workflow::system_actor()).await,
        MatterKind::GasAlarm => crate::gas::fire(state, id).await,
        MatterKind::Topic | MatterKind::Resolution => {
            crate::deliberation::fire(state, kind, id, &workflow::system_actor()).await
        }
    }
}

/// Records whatever alerts of one case are due now, and passes assignments nobody took in
/// time to the next candidate.
async fn fire_case(state: &App, id: i64, levels: u8) -> Result<(), StoreError> {
    let mut case = state.store.get_case(id).await?;
    let now = state.clock.now();
    let alerted = match domain::case::record_alerts(
        &case,
        now,
        state.escalation.warn_fraction,
        levels,
        &workflow::system_actor(),
    ) {
        Some(after) => {
            case = workflow::commit(state, &case, after).await?;
            true
        }
        None => false,
    };
    let handed_over = crate::dispatching::expire_answers(state, &case).await?;
    if !alerted && !handed_over {
        // Nothing due after all (the case moved on): restate its obligations.
        let duties = domain::case::obligations(&case, &state.case_terms(&case));
        state.store.restate_case_obligations(id, case.version, &duties).await?;
    }
    Ok(())
}
