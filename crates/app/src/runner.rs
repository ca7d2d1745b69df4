//! The deadline runner: fires each case's warnings and escalations when they fall due.
//!
//! Deadlines live in the database (`cases.next_alert_at`), never only in memory, so a
//! restart or another node picks them up: an alert that fell due while the server was down
//! fires as soon as it is back. The runner sleeps until the earliest alert (woken early when
//! this node writes a case, and at least every [`POLL_MAX`] for changes made by other nodes),
//! records the alerts through the domain and commits them with the case's version, so when
//! two nodes race for one case, one wins and the other finds nothing left to do: each alert
//! fires exactly once.

use crate::{workflow, App};
use std::sync::Arc;
use std::time::Duration;
use store::StoreError;

/// Longest sleep between looks at the database: bounds how late an alert set by another
/// node can fire.
pub const POLL_MAX: Duration = Duration::from_millis(250);
/// Cases handled per look; more wait for the next one, which follows at once.
const CASES_PER_ROUND_MAX: i64 = 500;
/// Cases handled at the same time; their writes share the writer's group commits.
const CONCURRENT_CASES_MAX: usize = 32;

pub async fn run(state: Arc<App>, mut stop: tokio::sync::watch::Receiver<bool>) {
    let levels = state.escalation_roles.len().min(u8::MAX as usize) as u8;
    loop {
        if *stop.borrow() {
            break;
        }
        let now = state.clock.now();
        let due = match state.store.cases_with_alerts_due(now, CASES_PER_ROUND_MAX).await {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(error = %e, "deadline runner cannot read due cases; retrying");
                tokio::time::sleep(POLL_MAX).await;
                continue;
            }
        };
        let full = due.len() as i64 == CASES_PER_ROUND_MAX;
        let mut tasks = tokio::task::JoinSet::new();
        for id in due {
            while tasks.len() >= CONCURRENT_CASES_MAX {
                tasks.join_next().await;
            }
            let state = state.clone();
            tasks.spawn(async move {
                if let Err(e) = fire(&state, id, levels).await {
                    // A conflict means someone else changed the case first; it is looked at
                    // again on the next round.
                    if !matches!(e, StoreError::Conflict(_)) {
                        tracing::warn!(case = id, error = %e, "deadline runner could not record alerts");
                    }
                }
            });
        }
        while tasks.join_next().await.is_some() {}
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

/// Records whatever alerts of one case are due now, and passes assignments nobody took in
/// time to the next candidate.
async fn fire(state: &App, id: i64, levels: u8) -> Result<(), StoreError> {
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
        // Nothing due after all (the case moved on): correct the index.
        let next = domain::case::next_alert_at(&case, state.escalation.warn_fraction);
        state.store.set_next_alert(id, case.version, next).await?;
    }
    Ok(())
}
