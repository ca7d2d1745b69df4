//! Accounts: an administrator lists staff accounts, sets a new password, disables or
//! enables an account and ends its sessions; everyone changes their own password. Every
//! change is audited and ends the sessions it should.

use crate::auth::{self, Session};
use crate::error::{ApiError, ApiJson, ApiResult};
use crate::wire::LoginResponse;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use domain::role::{Permission, Role};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use store::UserChange;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AccountOut {
    pub id: i64,
    pub username: String,
    pub role: String,
    pub display_name: String,
    pub station: Option<String>,
    pub grid: Option<String>,
    pub disabled: bool,
}

/// Staff accounts (residents sign in by code and are not managed here).
#[utoipa::path(get, path = "/api/v1/users", responses((status = 200, body = [AccountOut]), (status = 403, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn list(State(s): State<Arc<AppState>>, session: Session) -> ApiResult<Json<Vec<AccountOut>>> {
    session.require(Permission::ManageUsers)?;
    Ok(Json(
        s.store
            .users()
            .await?
            .into_iter()
            .filter(|u| u.role != Role::Resident)
            .map(|u| AccountOut {
                id: u.id,
                username: u.username,
                role: u.role.as_str().into(),
                display_name: u.display_name,
                station: u.station,
                grid: u.grid,
                disabled: u.disabled,
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPassword {
    pub password: String,
}

/// Hashes a new password for `user` once it passes the policy, one check at a time.
async fn new_hash(s: &AppState, password: &str, user: &store::User) -> ApiResult<String> {
    auth::password_policy(password, &user.username, user.role)
        .map_err(|m| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "weak_password", m))?;
    let _permit = s.hashing.acquire().await.map_err(ApiError::internal)?;
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || auth::hash_password(&password))
        .await
        .map_err(ApiError::internal)?
        .map_err(|m| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "weak_password", m))
}

async fn target(s: &AppState, session: &Session, id: i64) -> ApiResult<store::User> {
    session.require(Permission::ManageUsers)?;
    match s.store.user(id).await {
        Ok(u) if u.role != Role::Resident => Ok(u),
        Ok(_) | Err(store::StoreError::NotFound) => Err(ApiError::not_found("account")),
        Err(e) => Err(e.into()),
    }
}

async fn apply(s: &AppState, session: &Session, user: &store::User, change: UserChange) -> ApiResult<StatusCode> {
    s.store.change_user(user.id, change, &session.label(), s.clock.now()).await?;
    s.sessions.forget_user(user.id);
    Ok(StatusCode::NO_CONTENT)
}

/// Sets a new password for an account (it must pass the password policy); the account's
/// sessions end.
#[utoipa::path(post, path = "/api/v1/users/{id}/password", request_body = NewPassword, responses((status = 204), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn set_password(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<NewPassword>,
) -> ApiResult<StatusCode> {
    let user = target(&s, &session, id).await?;
    let hash = new_hash(&s, &req.password, &user).await?;
    apply(&s, &session, &user, UserChange::Password(hash)).await
}

/// Disables an account: it can no longer sign in, and its sessions end.
#[utoipa::path(post, path = "/api/v1/users/{id}/disable", responses((status = 204), (status = 409, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn disable(State(s): State<Arc<AppState>>, session: Session, Path(id): Path<i64>) -> ApiResult<StatusCode> {
    let user = target(&s, &session, id).await?;
    if user.id == session.user.id {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            "an administrator cannot disable their own account",
        ));
    }
    apply(&s, &session, &user, UserChange::Disable).await
}

/// Enables a disabled account again.
#[utoipa::path(post, path = "/api/v1/users/{id}/enable", responses((status = 204)), security(("bearer" = [])))]
pub async fn enable(State(s): State<Arc<AppState>>, session: Session, Path(id): Path<i64>) -> ApiResult<StatusCode> {
    let user = target(&s, &session, id).await?;
    apply(&s, &session, &user, UserChange::Enable).await
}

/// Ends every session of an account (a lost phone).
#[utoipa::path(post, path = "/api/v1/users/{id}/revoke", responses((status = 204)), security(("bearer" = [])))]
pub async fn revoke(State(s): State<Arc<AppState>>, session: Session, Path(id): Path<i64>) -> ApiResult<StatusCode> {
    let user = target(&s, &session, id).await?;
    apply(&s, &session, &user, UserChange::RevokeSessions).await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current: String,
    pub new: String,
}

/// Changes one's own password: the current one is checked, the new one must pass the policy;
/// every session ends and a new one is opened for this device.
#[utoipa::path(post, path = "/api/v1/auth/password", request_body = PasswordChange, responses((status = 200, body = LoginResponse), (status = 401, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn change_own(
    State(s): State<Arc<AppState>>,
    session: Session,
    ApiJson(req): ApiJson<PasswordChange>,
) -> ApiResult<Json<LoginResponse>> {
    let user = s.store.user(session.user.id).await?;
    if !user.password_hash.starts_with("$argon2") {
        return Err(ApiError::forbidden("this account signs in with a code, not a password"));
    }
    if req.current.chars().count() > auth::PASSWORD_CHARS_MAX {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "wrong_password", "the current password is wrong"));
    }
    let ok = {
        let _permit = s.hashing.acquire().await.map_err(ApiError::internal)?;
        let (current, hash) = (req.current.clone(), user.password_hash.clone());
        tokio::task::spawn_blocking(move || auth::verify_password(&current, &hash)).await.map_err(ApiError::internal)?
    };
    if !ok {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "wrong_password", "the current password is wrong"));
    }
    let hash = new_hash(&s, &req.new, &user).await?;
    s.store.change_user(user.id, UserChange::Password(hash), &session.label(), s.clock.now()).await?;
    s.sessions.forget_user(user.id);
    Ok(Json(crate::api::wire_login(&s, &user).await?))
}
