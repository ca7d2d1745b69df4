//! A new case, from whatever channel: stored first (the reporter's "accepted" never depends
//! on what follows), then sent at once where its category is dispatched automatically.

use crate::App;
use domain::case::Case;
use store::writer::CreateCase;
use store::StoreError;

/// Stores a new case and, for categories set to auto-dispatch (gas alarms), accepts it and
/// sends the best of each force. The case is safe before dispatching starts, so a failure
/// there leaves it to the dispatcher (and the dispatch promise's escalation).
pub async fn report(app: &App, c: CreateCase) -> Result<Case, StoreError> {
    let case = crate::workflow::create(app, c).await?;
    if app.categories.get(&case.category).is_some_and(|c| c.auto_dispatch) {
        match crate::dispatching::auto_dispatch(app, case.clone()).await {
            Ok(sent) => return Ok(sent),
            Err(e) => tracing::warn!(case = case.id, error = %e, "auto-dispatch failed; left to the dispatcher"),
        }
    }
    Ok(case)
}
