//! Residents (临灵通): sign-in with a phone number and a one-time code, reports nearby that
//! a resident may follow instead of filing a duplicate, and following.

use crate::api::wire_login;
use crate::auth::{self, Session};
use crate::error::{ApiError, ApiJson, ApiQuery, ApiResult};
use crate::wire::{self, LoginResponse};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use domain::codes::{CategoryCode, PhoneNumber};
use domain::geo::LatLng;
use domain::role::Role;
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use store::directory::OtpOutcome;

/// A code is good for five minutes.
const OTP_LIFETIME: chrono::Duration = chrono::Duration::minutes(5);
/// One code a minute per phone, at most five an hour: enough for a person, useless for abuse.
const OTP_GAP: chrono::Duration = chrono::Duration::seconds(60);
const OTP_PER_HOUR: i64 = 5;
/// Codes one address may ask for in an hour, whatever the numbers: a family or an office
/// behind one address needs a few; a script texting strangers is stopped.
pub const OTP_PER_ADDRESS_PER_HOUR: u32 = 20;
/// Wrong tries before a code is dead.
const OTP_ATTEMPTS_MAX: i64 = 5;
/// How close another open report must be to count as the same problem.
pub const NEARBY_METRES: f64 = 50.0;
/// Open cases scanned for duplicates at most.
const OPEN_SCAN_MAX: i64 = 5_000;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OtpRequest {
    pub phone: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OtpSent {
    pub expires_in_seconds: i64,
    /// Only in demo mode, where no SMS gateway exists: the code, shown on screen.
    pub demo_code: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OtpVerify {
    pub phone: String,
    pub code: String,
}

fn mobile(phone: &str) -> ApiResult<PhoneNumber> {
    let p = PhoneNumber::parse(phone).map_err(|e| ApiError::invalid(e.0))?;
    if p.as_str().len() != 11 {
        return Err(ApiError::invalid("sign-in needs a mobile number"));
    }
    Ok(p)
}

fn code_hash(phone: &PhoneNumber, code: &str) -> String {
    auth::secret_hash(&format!("{}:{code}", phone.as_str()))
}

/// Sends a one-time sign-in code by SMS (through the notification outbox).
#[utoipa::path(post, path = "/api/v1/auth/otp/request", request_body = OtpRequest,
    responses((status = 200, body = OtpSent), (status = 429, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn otp_request(
    State(s): State<Arc<AppState>>,
    addr: crate::http::ClientAddr,
    ApiJson(req): ApiJson<OtpRequest>,
) -> ApiResult<Json<OtpSent>> {
    let phone = mobile(&req.phone)?;
    // One client cannot make the street text many numbers.
    if !s.report_limits.allow(&format!("otp:{}", addr.key()), OTP_PER_ADDRESS_PER_HOUR, s.clock.now()) {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            format!("at most {OTP_PER_ADDRESS_PER_HOUR} codes an hour from one address"),
        ));
    }
    let code = format!("{:06}", rand::thread_rng().gen_range(0..1_000_000));
    let now = s.clock.now();
    match s
        .store
        .put_otp(phone.as_str(), &code_hash(&phone, &code), now, now + OTP_LIFETIME, OTP_GAP, OTP_PER_HOUR)
        .await?
    {
        OtpOutcome::Ok => {}
        OtpOutcome::TooSoon => {
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                "a code was sent less than a minute ago",
            ))
        }
        _ => {
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                format!("at most {OTP_PER_HOUR} codes an hour"),
            ))
        }
    }
    // The code goes out now and is never stored: the outbox keeps the message without it.
    let message = |body: String| store::writer::OutboxMessage {
        dedupe_key: format!("otp:{}:{}", phone.as_str(), now.timestamp_millis()),
        channel: "sms".into(),
        recipient_user: None,
        recipient_phone: Some(phone.as_str().into()),
        subject: "临灵通登录验证码".into(),
        body,
    };
    let text = |code: &str| format!("【临江街道】您的临灵通验证码为{code}，5分钟内有效。");
    let sms = s.senders.get("sms").ok_or_else(|| ApiError::internal("no sms sender"))?;
    if let Err(e) = sms.send(&store::live::OutboxRow::unsent(&message(text(&code)))).await {
        tracing::warn!(error = %e, "sign-in code could not be sent");
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the code could not be sent; try again in a minute",
        ));
    }
    s.store.record_sent_notification(&message(text("******")), now).await?;
    Ok(Json(OtpSent { expires_in_seconds: OTP_LIFETIME.num_seconds(), demo_code: s.show_otp_codes.then_some(code) }))
}

/// Signs a resident in with the code; the account is made on first sign-in.
#[utoipa::path(post, path = "/api/v1/auth/otp/verify", request_body = OtpVerify,
    responses((status = 200, body = LoginResponse), (status = 401, body = crate::error::ErrorBody)))]
pub async fn otp_verify(
    State(s): State<Arc<AppState>>,
    ApiJson(req): ApiJson<OtpVerify>,
) -> ApiResult<Json<LoginResponse>> {
    let phone = mobile(&req.phone)?;
    let refused = || ApiError::new(StatusCode::UNAUTHORIZED, "invalid_code", "the code is wrong or expired");
    if req.code.len() != 6 || !req.code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(refused());
    }
    let now = s.clock.now();
    if s.store.check_otp(phone.as_str(), &code_hash(&phone, &req.code), now, OTP_ATTEMPTS_MAX).await? != OtpOutcome::Ok
    {
        return Err(refused());
    }
    // A volunteer signs in to the same app with their phone and finds their team there.
    let volunteer = match s.store.user_by_phone(phone.as_str(), Role::Volunteer).await {
        Ok(u) if !u.disabled => Some(u),
        Ok(_) | Err(store::StoreError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    if let Some(v) = volunteer {
        return Ok(Json(wire_login(&s, &v).await?));
    }
    let user = match s.store.user_by_phone(phone.as_str(), Role::Resident).await {
        Ok(u) => u,
        Err(store::StoreError::NotFound) => {
            let new = store::NewUser {
                // Opaque: a username is shown as the actor of steps, a number must not be.
                username: format!("r{}", &auth::new_secret()[..12]),
                // No password: residents sign in with codes only.
                password_hash: "!".into(),
                role: Role::Resident,
                display_name: format!("居民 {}", phone.masked()),
                grid: None,
                station: None,
                phone: Some(phone.as_str().into()),
            };
            match s.store.create_user(&new, "otp", now).await {
                // A sign-in racing this one made the account first.
                Ok(_) | Err(store::StoreError::Conflict(_)) => {
                    s.store.user_by_phone(phone.as_str(), Role::Resident).await?
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(e) => return Err(e.into()),
    };
    if user.role != Role::Resident || user.disabled {
        return Err(refused());
    }
    Ok(Json(wire_login(&s, &user).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct NearbyQuery {
    pub category: String,
    pub lat: f64,
    pub lng: f64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NearbyCase {
    pub id: i64,
    pub category: String,
    pub status: String,
    pub description: String,
    pub distance_metres: i64,
    pub created_at: String,
}

/// Open reports of the same category within about 50 m: "follow this one instead".
#[utoipa::path(get, path = "/api/v1/cases/nearby", params(NearbyQuery), responses((status = 200, body = [NearbyCase])), security(("bearer" = [])))]
pub async fn nearby(
    State(s): State<Arc<AppState>>,
    _session: Session,
    ApiQuery(q): ApiQuery<NearbyQuery>,
) -> ApiResult<Json<Vec<NearbyCase>>> {
    let here = LatLng::new(q.lat, q.lng).map_err(|e| ApiError::invalid(e.to_string()))?;
    let category = CategoryCode::parse(&q.category).map_err(|e| ApiError::invalid(e.0))?;
    let mut out: Vec<NearbyCase> = s
        .store
        .open_cases(OPEN_SCAN_MAX)
        .await?
        .into_iter()
        .filter(|c| c.category == category)
        .filter_map(|c| {
            let d = c.location.distance_metres(&here);
            (d <= NEARBY_METRES).then(|| NearbyCase {
                id: c.id,
                category: c.category.as_str().into(),
                status: c.status.as_str().into(),
                // Others' words only, never who they are.
                description: c.description.chars().take(120).collect(),
                distance_metres: d.round() as i64,
                created_at: wire::time(c.created_at),
            })
        })
        .collect();
    out.sort_by_key(|c| c.distance_metres);
    Ok(Json(out))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowRequest {
    /// What the resident was about to report and where they are: the case must be one
    /// `nearby` offers for that category there.
    pub category: String,
    pub lat: f64,
    pub lng: f64,
}

/// Follows a case instead of reporting it again: its progress notices come to the follower,
/// and it shows in "my reports" in a resident's view. Only residents follow, and only an open
/// case within 50 m of where they stand — what `nearby` offered them.
#[utoipa::path(post, path = "/api/v1/cases/{id}/follow", request_body = FollowRequest,
    responses((status = 204), (status = 404, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn follow(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<FollowRequest>,
) -> ApiResult<StatusCode> {
    if !matches!(session.role(), Role::Resident | Role::Volunteer) {
        return Err(ApiError::forbidden("following is for residents; staff see cases in their scope"));
    }
    let here = LatLng::new(req.lat, req.lng).map_err(|e| ApiError::invalid(e.to_string()))?;
    let category = CategoryCode::parse(&req.category).map_err(|e| ApiError::invalid(e.0))?;
    // Anything but an open case of that category near the resident is as good as absent.
    let c = s.store.get_case(id).await.map_err(|_| ApiError::not_found("case"))?;
    if !c.status.is_open() || c.category != category || c.location.distance_metres(&here) > NEARBY_METRES {
        return Err(ApiError::not_found("case"));
    }
    s.store.follow(id, session.user.id, s.clock.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}
