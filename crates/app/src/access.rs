//! Who may see what: cases by the scope of a role, responders' positions likewise. The API,
//! the live stream and the notices all ask here.

/// Whether a user's scope covers a case: everything, their grid, their station's grids, or
/// their own reports. (A resident's followed cases are checked apart, against the
/// followers table.)
pub fn covers(s: &crate::App, user: &store::User, case: &domain::case::Case) -> bool {
    use domain::role::Scope;
    // Whoever reported a case follows it, wherever it is (a patrol member's report from
    // outside their own grid, with its photos).
    if case.reported_by == Some(user.id) {
        return true;
    }
    match user.role.scope() {
        Scope::All => true,
        Scope::Grid => user.grid.as_deref() == Some(case.grid.as_str()),
        Scope::Station => {
            user.station.as_ref().and_then(|st| s.station_grids.get(st)).is_some_and(|gs| gs.contains(&case.grid))
        }
        Scope::OwnReports => case.reported_by == Some(user.id),
    }
}

/// [`covers`], or the user is one of the people sent to the case: a grid worker sent to a
/// neighbouring grid sees the task, hears of it and reports on it.
pub async fn may_see(s: &crate::App, user: &store::User, case: &domain::case::Case) -> Result<bool, store::StoreError> {
    if covers(s, user, case) {
        return Ok(true);
    }
    if case.assignments.is_empty() {
        return Ok(false);
    }
    let mine = responder_of(s, user.id).await?;
    Ok(mine.is_some_and(|id| case.assignments.iter().any(|a| a.responder_id == id)))
}

/// The roster place linked to an account, if any.
pub async fn responder_of(s: &crate::App, user: i64) -> Result<Option<i64>, store::StoreError> {
    Ok(s.store.responders().await?.iter().find(|r| r.user_id == Some(user)).map(|r| r.id))
}

/// Whether a user may see where a responder is and what they do: the centre everyone, a
/// station its own people, a grid worker the people of the station covering their grid.
pub fn sees_responder(s: &crate::App, user: &store::User, r: &store::Responder) -> bool {
    use domain::role::{Permission, Scope};
    if !user.role.may(Permission::ViewResponders) {
        return false;
    }
    match user.role.scope() {
        Scope::All => true,
        Scope::Station => user.station.as_deref() == Some(r.station.as_str()),
        Scope::Grid => user
            .grid
            .as_deref()
            .and_then(|g| s.grids.values().find(|x| x.code.as_str() == g))
            .is_some_and(|g| g.station == r.station),
        Scope::OwnReports => false,
    }
}
