//! The demo's crew: roster members without an account of their own (the demo has a dozen
//! accounts and a hundred-odd responders) answer their assignments as people do — most take
//! them within a minute, about one in eight declines — so a demo case is not handed from one
//! responder to the next every 90 seconds. Runs only with `serve --demo`; every step goes
//! through the domain and the workflow like anyone's, named by the responder.

use crate::{dispatching, workflow, App};
use domain::case::{Action, Actor, Status};
use domain::role::Role;
use std::sync::Arc;
use std::time::Duration;
use store::StoreError;

/// How often the crew looks at its assignments.
const LOOK_EVERY: Duration = Duration::from_secs(5);
/// Open cases looked at per round.
const CASES_MAX: i64 = 500;

/// How a crew member answers an assignment: after how many seconds, and whether they take it.
/// Fixed by the case and the responder, so a demo run can be followed and tested.
pub fn answer(case_id: i64, responder_id: i64) -> (i64, bool) {
    let h = (case_id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ (responder_id as u64).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    let h = (h ^ (h >> 31)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (10 + (h % 50) as i64, (h >> 8) % 8 != 0)
}

pub async fn run(app: Arc<App>, mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        if let Err(e) = round(&app).await {
            tracing::debug!(error = %e, "the demo crew will look again");
        }
        tokio::select! {
            _ = tokio::time::sleep(LOOK_EVERY) => {}
            _ = stop.changed() => break,
        }
    }
}

/// One look: every assignment of a crew member whose time to answer has come is taken or
/// declined (a decline is handed over as any is).
pub async fn round(app: &App) -> Result<usize, StoreError> {
    let roster = app.store.responders().await?;
    let mut answered = 0;
    for case in app.store.open_cases(CASES_MAX).await? {
        if !matches!(case.status, Status::Dispatched | Status::OnSite | Status::InProgress) {
            continue;
        }
        let due: Vec<(i64, bool, String)> = domain::case::unanswered(&case)
            .filter_map(|a| {
                let r = roster.iter().find(|r| r.id == a.responder_id && r.user_id.is_none())?;
                let (wait, takes) = answer(case.id, r.id);
                (app.clock.now() >= a.assigned_at + chrono::Duration::seconds(wait))
                    .then(|| (r.id, takes, r.name.clone()))
            })
            .collect();
        for (responder, takes, name) in due {
            let before = app.store.get_case(case.id).await?;
            let actor = Actor { user_id: 0, username: name, role: Role::PatrolMember };
            let (action, note) = if takes {
                (Action::Take { responder }, None)
            } else {
                (Action::Decline { responder }, Some("手头有任务，无法前往"))
            };
            let now = app.clock.now().max(before.updated_at);
            let Ok(after) = domain::case::apply(&before, &action, &actor, note, now) else { continue };
            workflow::commit(app, &before, after).await?;
            if !takes {
                dispatching::hand_over(app, case.id, responder).await?;
            }
            answered += 1;
        }
    }
    Ok(answered)
}
