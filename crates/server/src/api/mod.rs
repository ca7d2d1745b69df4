//! The JSON API under `/api/v1`.

pub mod breakdown;
pub mod cases;
pub mod community;
pub mod deliberation;
pub mod exports;
pub mod food;
pub mod gas;
pub mod mediations;
pub mod petitions;
pub mod reference;
pub mod residents;
pub mod stats;
pub mod users;
pub mod volunteers;
pub mod whatif;

use crate::auth::{self, Session};
use crate::error::{ApiError, ApiJson, ApiResult};
use crate::wire::{self, LoginRequest, LoginResponse, UserOut};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use std::sync::Arc;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/auth/login", post(login))
        .route("/auth/logout", post(logout))
        .route("/auth/password", post(users::change_own))
        .route("/users", get(users::list))
        .route("/users/{id}/password", post(users::set_password))
        .route("/users/{id}/disable", post(users::disable))
        .route("/users/{id}/enable", post(users::enable))
        .route("/users/{id}/revoke", post(users::revoke))
        .route("/auth/otp/request", post(residents::otp_request))
        .route("/auth/otp/verify", post(residents::otp_verify))
        .route("/cases/nearby", get(residents::nearby))
        .route("/cases/{id}/follow", post(residents::follow))
        .route("/me", get(me))
        .route("/cases", post(cases::create).get(cases::list))
        .route("/cases/{id}", get(cases::get))
        .route("/cases/{id}/actions", post(cases::act))
        .route("/cases/{id}/reporter", get(cases::reporter))
        .route("/cases/{id}/recommendations", get(cases::recommendations))
        .route("/cases/{id}/notices", get(cases::notices))
        .route("/cases/{id}/merge", post(cases::merge))
        .route("/petitions", post(petitions::create).get(petitions::list))
        .route("/exports/cases.csv", get(exports::cases_csv))
        .route("/exports/cases.xlsx", get(exports::cases_xlsx))
        .route("/reports/monthly", get(exports::monthly))
        .route("/gas/devices", get(gas::devices))
        .route("/gas/devices/import", post(gas::import))
        .route("/gas/devices/{id}", get(gas::device))
        .route("/gas/alarms", get(gas::alarms))
        .route("/gas/alarms/{id}/acknowledge", post(gas::acknowledge))
        .route("/gas/alarms/{id}/clear", post(gas::clear))
        .route("/gas/summary", get(gas::summary))
        .route("/me/gas", get(gas::mine))
        .route("/food/checklist", get(food::checklist))
        .route("/food/businesses", get(food::list).post(food::create))
        .route("/food/businesses/import", post(food::import))
        .route("/food/businesses/{id}", get(food::get))
        .route("/food/businesses/{id}/inspections", post(food::inspect))
        .route("/food/businesses/{id}/hazards/{hazard}/rectify", post(food::rectify))
        .route(
            "/food/businesses/{id}/files",
            post(food::upload).layer(axum::extract::DefaultBodyLimit::max(cases::ATTACHMENT_BYTES_MAX)),
        )
        .route("/food/businesses/{id}/files/{file}", get(food::file))
        .route("/food/draws", get(food::draws).post(food::draw))
        .route("/food/public", get(food::public))
        .route("/food/open-data.csv", get(food::open_data))
        .route("/stats/food", get(food::stats))
        .route("/mediations", post(mediations::create).get(mediations::list))
        .route("/mediations/from-case/{case_id}", post(mediations::from_case))
        .route("/mediations/{id}", get(mediations::get))
        .route("/mediations/{id}/actions", post(mediations::act))
        .route("/mediations/{id}/agreement", get(mediations::agreement))
        .route("/mediations/{id}/judicial-application", get(mediations::judicial_application))
        .route(
            "/mediations/{id}/signature",
            post(mediations::signature).layer(axum::extract::DefaultBodyLimit::max(cases::ATTACHMENT_BYTES_MAX)),
        )
        .route(
            "/mediations/{id}/files",
            post(mediations::upload)
                .get(mediations::files)
                .layer(axum::extract::DefaultBodyLimit::max(cases::ATTACHMENT_BYTES_MAX)),
        )
        .route("/mediations/{id}/files/{file}", get(mediations::file))
        .route("/stats/mediation", get(stats::mediation))
        .route("/petitions/staff", get(petitions::staff))
        .route("/petitions/{id}", get(petitions::get))
        .route("/petitions/{id}/actions", post(petitions::act))
        .route("/petitions/{id}/petitioners", get(petitions::petitioners))
        .route(
            "/petitions/{id}/files",
            post(petitions::upload)
                .get(petitions::files)
                .layer(axum::extract::DefaultBodyLimit::max(cases::ATTACHMENT_BYTES_MAX)),
        )
        .route("/petitions/{id}/files/{file}", get(petitions::file))
        .route("/me/petitions", get(petitions::mine))
        .route("/petition-query", get(petitions::query))
        .route("/petition-query/rate", post(petitions::rate_by_code))
        .route("/me/petitions/{id}/rate", post(petitions::rate))
        .route("/categories", get(reference::categories))
        .route("/stations", get(reference::stations))
        .route("/grids", get(reference::grids))
        .route("/basemap", get(reference::basemap))
        .route("/responders", get(reference::responders))
        .route("/dispatch/moveups", get(reference::moveups))
        .route("/dispatch/moveups/apply", post(reference::apply_moveup))
        .route("/responders/{id}/shift", post(reference::set_shift))
        .route("/responders/{id}/position", post(reference::position))
        .route("/responders/{id}/status", post(reference::status))
        .route("/stats/indicators", get(stats::indicators))
        .route("/stats/breakdown", get(breakdown::breakdown))
        .route("/stats/stations", get(breakdown::stations))
        .route("/stats/year-on-year", get(stats::year_on_year_panel))
        .route("/stats/breakdown/cases", get(breakdown::cases))
        .route("/exports/breakdown.csv", get(exports::breakdown_csv))
        .route("/exports/indicators.csv", get(exports::indicators_csv))
        .route("/exports/indicators.xlsx", get(exports::indicators_xlsx))
        .route("/exports/breakdown.xlsx", get(exports::breakdown_xlsx))
        .route("/stats/summary", get(stats::summary))
        .route("/stats/daily", get(stats::daily))
        .route("/whatif", post(whatif::whatif))
        .route("/stats/petitions", get(stats::petitions))
        .route(
            "/cases/{id}/attachments",
            post(cases::upload)
                .get(cases::attachments)
                .layer(axum::extract::DefaultBodyLimit::max(cases::ATTACHMENT_BYTES_MAX)),
        )
        .route("/attachments/{id}", get(cases::attachment))
        .route("/stream", get(crate::stream::stream))
        .route("/notifications", get(notifications))
        .route("/map", get(map_settings))
        .route("/community/articles", get(community::articles).post(community::publish))
        .route("/community/articles/{id}", axum::routing::put(community::edit))
        .route("/community/articles/{id}/published", post(community::set_published))
        .route("/community/posts/{id}/respond", post(community::respond))
        .route("/community/posts/{id}/responses", get(community::responses))
        .route("/community/activities/{id}/roster", get(community::roster))
        .route(
            "/community/images",
            post(community::upload_image).layer(axum::extract::DefaultBodyLimit::max(cases::ATTACHMENT_BYTES_MAX)),
        )
        .route("/community/images/{id}", get(community::image))
        .route("/community/posts", get(community::posts).post(community::create_post))
        .route("/community/posts/{id}/matches", get(community::matches))
        .route("/community/posts/{id}/done", post(community::done))
        .route("/community/posts/{id}/report", post(community::report))
        .route("/community/posts/{id}/moderate", post(community::moderate))
        .route("/community/moderation", get(community::moderation))
        .route("/community/activities", get(community::activities).post(community::create_activity))
        .route("/community/activities/{id}/signup", post(community::signup))
        .route("/community/activities/{id}/cancel", post(community::cancel))
        .route("/community/activities/{id}/checkin", post(community::checkin))
        .route("/community/activities/{id}/qr.svg", get(community::qr))
        .route("/deliberation/communities", get(deliberation::list_communities))
        .route("/deliberation/staff", get(deliberation::staff))
        .route("/deliberation/communities/{code}/day", axum::routing::put(deliberation::set_day))
        .route("/deliberation/communities/{code}/meetings", post(deliberation::generate))
        .route("/deliberation/meetings", get(deliberation::meetings))
        .route("/deliberation/meetings/{id}", get(deliberation::meeting))
        .route("/deliberation/meetings/{id}/minutes", post(deliberation::minutes))
        .route("/deliberation/topics", get(deliberation::topics).post(deliberation::raise))
        .route("/deliberation/topics/{id}", get(deliberation::topic))
        .route("/deliberation/topics/{id}/actions", post(deliberation::act_topic))
        .route("/deliberation/resolutions", get(deliberation::resolutions).post(deliberation::add_part))
        .route("/deliberation/resolutions/{id}", get(deliberation::resolution))
        .route("/deliberation/resolutions/{id}/actions", post(deliberation::act_resolution))
        .route("/public/board", get(deliberation::board))
        .route("/volunteers/teams", get(volunteers::teams).post(volunteers::create_team))
        .route("/volunteers/teams/{id}", get(volunteers::team))
        .route("/volunteers/teams/{id}/members", post(volunteers::add_member))
        .route("/volunteers/teams/{id}/shifts", post(volunteers::create_shift))
        .route("/volunteers/shifts/{id}/minutes", post(volunteers::add_minutes))
        .route("/volunteers/shifts/{id}/checkout", post(volunteers::checkout))
        .route("/volunteers/summary", get(volunteers::summary))
        .route("/volunteers/{user}/certificate", get(volunteers::certificate_of))
        .route("/me/volunteer", get(volunteers::mine))
        .route("/me/volunteer/visits", post(volunteers::add_visit))
        .route("/me/volunteer/certificate", get(volunteers::my_certificate))
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such API route") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "this route does not take that method")
        })
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Health {
    status: &'static str,
}

/// 200 once the database answers and the node can commit (after a failed commit, a probe
/// write must succeed); 503 naming the cause otherwise.
#[utoipa::path(get, path = "/health", responses((status = 200, body = Health), (status = 503, body = crate::error::ErrorBody)))]
pub async fn health(State(s): State<Arc<AppState>>) -> ApiResult<Json<Health>> {
    s.store.health().await.map_err(|e| {
        tracing::warn!(error = %e, "health check failed");
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "the database does not answer or cannot commit")
    })?;
    Ok(Json(Health { status: "ok" }))
}

/// Signs in with a username and password.
#[utoipa::path(post, path = "/api/v1/auth/login", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = crate::error::ErrorBody)))]
pub async fn login(
    State(s): State<Arc<AppState>>,
    addr: crate::http::ClientAddr,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<Json<LoginResponse>> {
    use crate::throttle::{FREE_FAILURES_PER_ACCOUNT, FREE_FAILURES_PER_ADDRESS};
    let refused = || ApiError::new(StatusCode::UNAUTHORIZED, "invalid_credentials", "wrong username or password");
    if req.username.len() > 64 || req.password.chars().count() > auth::PASSWORD_CHARS_MAX {
        return Err(refused());
    }
    let now = s.clock.now();
    let (account, address) = (format!("user:{}", req.username.to_lowercase()), addr.key());
    if let Some(wait) = s.login_throttle.locked(&[&account, &address], now) {
        let seconds = wait.num_seconds().max(1);
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            format!("too many failed sign-ins; try again in {seconds} s"),
        )
        .retry_after(seconds));
    }
    let user = match s.store.user_by_name(&req.username).await {
        Ok(u) => Some(u),
        Err(store::StoreError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    // Unknown accounts and accounts without a password (residents sign in by code) cost
    // the same hashing as a real check, so timing reveals no account.
    let hash = user
        .as_ref()
        .map(|u| u.password_hash.clone())
        .filter(|h| h.starts_with("$argon2"))
        .unwrap_or_else(|| dummy_hash().to_owned());
    let real = user.as_ref().is_some_and(|u| u.password_hash == hash);
    let password = req.password.clone();
    let ok = {
        // Each check holds ~19 MiB; a bounded number run at once.
        let _permit = s.hashing.acquire().await.map_err(ApiError::internal)?;
        tokio::task::spawn_blocking(move || auth::verify_password(&password, &hash))
            .await
            .map_err(ApiError::internal)?
    };
    match user {
        Some(user) if ok && real && !user.disabled => {
            s.login_throttle.succeeded(&account);
            Ok(Json(wire_login(&s, &user).await?))
        }
        _ => {
            s.login_throttle.failed(&account, FREE_FAILURES_PER_ACCOUNT, now);
            s.login_throttle.failed(&address, FREE_FAILURES_PER_ADDRESS, now);
            Err(refused())
        }
    }
}

/// Opens a session for a user who proved who they are.
pub async fn wire_login(s: &AppState, user: &store::User) -> ApiResult<LoginResponse> {
    let token = auth::new_secret();
    let now = s.clock.now();
    let expires = now + chrono::Duration::hours(auth::SESSION_HOURS);
    s.store.create_session(&auth::secret_hash(&token), user.id, now, expires).await?;
    let mut out = wire::user_out(user);
    out.responder_id = responder_of(s, user.id).await?;
    Ok(LoginResponse { token, expires_at: wire::time(expires), user: out })
}

/// An argon2 hash of a random password, checked against when the username is unknown.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| auth::hash_password(&auth::new_secret()).expect("a random secret is a valid password"))
}

/// Ends the session of the token sent.
#[utoipa::path(post, path = "/api/v1/auth/logout", responses((status = 204)), security(("bearer" = [])))]
pub async fn logout(State(s): State<Arc<AppState>>, session: Session) -> ApiResult<StatusCode> {
    s.store.revoke_session(&session.token_hash, s.clock.now()).await?;
    s.sessions.forget(&session.token_hash);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct NotificationOut {
    pub id: i64,
    pub case_id: Option<i64>,
    pub channel: String,
    pub subject: String,
    pub body: String,
    pub status: String,
    pub sent_at: Option<String>,
}

/// The signed-in user's notifications (in-app messages, escalations), newest first.
#[utoipa::path(get, path = "/api/v1/notifications", responses((status = 200, body = [NotificationOut])), security(("bearer" = [])))]
pub async fn notifications(State(s): State<Arc<AppState>>, session: Session) -> ApiResult<Json<Vec<NotificationOut>>> {
    /// Notifications listed at most.
    const NOTIFICATIONS_MAX: i64 = 100;
    let rows = s.store.outbox_for_user(session.user.id, s.clock.now(), NOTIFICATIONS_MAX).await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| NotificationOut {
                id: r.id,
                case_id: r.case_id,
                channel: r.channel,
                subject: r.subject,
                body: r.body,
                status: r.status,
                sent_at: r.sent_at.map(wire::time),
            })
            .collect(),
    ))
}

/// How the screens draw their map: the optional tile layer.
#[utoipa::path(get, path = "/api/v1/map", responses((status = 200, body = crate::config::MapConfig)), security(("bearer" = [])))]
pub async fn map_settings(State(s): State<Arc<AppState>>, _session: Session) -> Json<crate::config::MapConfig> {
    Json(s.map.clone())
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/me", responses((status = 200, body = UserOut)), security(("bearer" = [])))]
pub async fn me(State(s): State<Arc<AppState>>, session: Session) -> ApiResult<Json<UserOut>> {
    let mut out = wire::user_out(&session.user);
    out.responder_id = responder_of(&s, session.user.id).await?;
    Ok(Json(out))
}

/// The roster place linked to an account.
pub async fn responder_of(s: &AppState, user: i64) -> ApiResult<Option<i64>> {
    Ok(app::access::responder_of(s, user).await?)
}
