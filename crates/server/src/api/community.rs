//! Community features of 临灵通: 大美临江 news and 工具箱 service guides (staff publish),
//! 邻里互助 mutual help (residents post, match, mark done, report abuse; staff moderate), and
//! public activities (sign-up with capacity and waiting list, QR check-in at the door).

use crate::auth::{new_secret, Session};
use crate::error::{ApiError, ApiJson, ApiQuery, ApiResult};
use crate::{wire, AppState};
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use domain::role::Role;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use store::community::{Activity, Article};

/// Reports by different residents that hide a post until staff look at it.
pub const REPORTS_TO_HIDE: i64 = 3;
/// Items listed at most.
const LIST_MAX: i64 = 100;
/// Longest title and body.
const TITLE_CHARS_MAX: usize = 100;
const BODY_CHARS_MAX: usize = 4000;
/// Mutual-help topics, so asks and offers can be matched.
pub const TOPICS: [&str; 6] = ["pickup", "repair", "care", "shopping", "tutoring", "other"];

fn staff(session: &Session) -> ApiResult<()> {
    if matches!(
        session.role(),
        Role::Admin | Role::Dispatcher | Role::Leader | Role::StationOfficer | Role::PetitionOfficer
    ) {
        Ok(())
    } else {
        Err(ApiError::forbidden("only street staff publish and moderate"))
    }
}

fn text(field: &str, v: &str, max: usize, required: bool) -> ApiResult<String> {
    let v = v.trim();
    let n = v.chars().count();
    if (required && n == 0) || n > max {
        return Err(ApiError::invalid(format!("{field} needs {} to {max} characters", usize::from(required))));
    }
    Ok(v.to_owned())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArticleIn {
    /// `news` or `guide`.
    pub kind: String,
    pub title: String,
    pub body: String,
    #[serde(default)]
    pub documents: String,
    #[serde(default)]
    pub office_hours: String,
    #[serde(default)]
    pub phone: String,
    /// A picture uploaded with `POST /api/v1/community/images`.
    pub image_id: Option<i64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ArticleOut {
    pub id: i64,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub documents: String,
    pub office_hours: String,
    pub phone: String,
    pub image_url: Option<String>,
    pub updated_at: String,
    pub published: bool,
}

fn article_out(a: &Article) -> ArticleOut {
    ArticleOut {
        id: a.id,
        kind: a.kind.clone(),
        title: a.title.clone(),
        body: a.body.clone(),
        documents: a.documents.clone(),
        office_hours: a.office_hours.clone(),
        phone: a.phone.clone(),
        image_url: a.image_id.map(|i| format!("/api/v1/community/images/{i}")),
        updated_at: wire::time(a.updated_at),
        published: a.published,
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct KindQuery {
    /// `news` or `guide`.
    pub kind: String,
    /// Staff: `1` lists the articles taken down too.
    pub all: Option<u8>,
}

fn article_in(session: &Session, a: &ArticleIn, now: domain::Timestamp) -> ApiResult<Article> {
    if !matches!(a.kind.as_str(), "news" | "guide") {
        return Err(ApiError::invalid("kind must be news or guide"));
    }
    if !a.phone.trim().is_empty() {
        domain::codes::PhoneNumber::parse(&a.phone).map_err(|e| ApiError::invalid(e.0))?;
    }
    Ok(Article {
        id: 0,
        kind: a.kind.clone(),
        title: text("title", &a.title, TITLE_CHARS_MAX, true)?,
        body: text("body", &a.body, BODY_CHARS_MAX, true)?,
        documents: text("documents", &a.documents, 1000, false)?,
        office_hours: text("office_hours", &a.office_hours, 200, false)?,
        phone: a.phone.trim().to_owned(),
        author: session.user.id,
        created_at: now,
        updated_at: now,
        image_id: a.image_id,
        published: true,
    })
}

async fn check_image(s: &AppState, a: &Article) -> ApiResult<()> {
    match a.image_id {
        Some(i) if !s.store.image_exists(i).await? => Err(ApiError::invalid(format!("no image {i}"))),
        _ => Ok(()),
    }
}

/// Uploads a picture for an article (staff): JPEG, PNG or WebP, the raw bytes as the body.
#[utoipa::path(post, path = "/api/v1/community/images", request_body(content = Vec<u8>, content_type = "image/jpeg"), responses((status = 201)), security(("bearer" = [])))]
pub async fn upload_image(
    State(s): State<Arc<AppState>>,
    session: Session,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    staff(&session)?;
    let (kind, clean) = crate::images::clean_upload(body).await?;
    let id = s.store.add_image(kind, &clean, session.user.id, s.clock.now()).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": id, "url": format!("/api/v1/community/images/{id}") }))))
}

/// An article's picture.
#[utoipa::path(get, path = "/api/v1/community/images/{id}", responses((status = 200, description = "the image")), security(("bearer" = [])))]
pub async fn image(State(s): State<Arc<AppState>>, _session: Session, Path(id): Path<i64>) -> ApiResult<Response> {
    let (kind, data) = s.store.image(id).await.map_err(|_| ApiError::not_found("image"))?;
    Ok(([(header::CONTENT_TYPE, kind), (header::CACHE_CONTROL, "private, max-age=86400".into())], data).into_response())
}

/// News (大美临江) or service guides (工具箱).
#[utoipa::path(get, path = "/api/v1/community/articles", params(KindQuery), responses((status = 200, body = [ArticleOut])), security(("bearer" = [])))]
pub async fn articles(
    State(s): State<Arc<AppState>>,
    session: Session,
    ApiQuery(q): ApiQuery<KindQuery>,
) -> ApiResult<Json<Vec<ArticleOut>>> {
    if !matches!(q.kind.as_str(), "news" | "guide") {
        return Err(ApiError::invalid("kind must be news or guide"));
    }
    let all = q.all == Some(1);
    if all {
        staff(&session)?;
    }
    Ok(Json(s.store.articles(&q.kind, all, LIST_MAX).await?.iter().map(article_out).collect()))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishedIn {
    pub published: bool,
}

/// Takes an article down, or puts it back (staff).
#[utoipa::path(post, path = "/api/v1/community/articles/{id}/published", request_body = PublishedIn, responses((status = 204)), security(("bearer" = [])))]
pub async fn set_published(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(id): Path<i64>,
    ApiJson(p): ApiJson<PublishedIn>,
) -> ApiResult<StatusCode> {
    staff(&session)?;
    s.store.set_article_published(id, p.published, &session.label(), s.clock.now()).await.map_err(|e| match e {
        store::StoreError::NotFound => ApiError::not_found("article"),
        e => e.into(),
    })?;
    Ok(StatusCode::NO_CONTENT)
}

/// Publishes an article (staff).
#[utoipa::path(post, path = "/api/v1/community/articles", request_body = ArticleIn, responses((status = 201)), security(("bearer" = [])))]
pub async fn publish(
    State(s): State<Arc<AppState>>,
    session: Session,
    ApiJson(a): ApiJson<ArticleIn>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    staff(&session)?;
    let a = article_in(&session, &a, s.clock.now())?;
    check_image(&s, &a).await?;
    let id = s.store.save_article(None, &a, &session.label(), s.clock.now()).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": id }))))
}

/// Edits an article (staff).
#[utoipa::path(put, path = "/api/v1/community/articles/{id}", request_body = ArticleIn, responses((status = 204)), security(("bearer" = [])))]
pub async fn edit(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(id): Path<i64>,
    ApiJson(a): ApiJson<ArticleIn>,
) -> ApiResult<StatusCode> {
    staff(&session)?;
    let a = article_in(&session, &a, s.clock.now())?;
    check_image(&s, &a).await?;
    s.store.save_article(Some(id), &a, &session.label(), s.clock.now()).await.map_err(|e| match e {
        store::StoreError::NotFound => ApiError::not_found("article"),
        e => e.into(),
    })?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostIn {
    /// `ask` or `offer`.
    pub kind: String,
    /// pickup, repair, care, shopping, tutoring, other.
    pub topic: String,
    pub title: String,
    pub body: String,
    /// Where (a building, a street); optional.
    #[serde(default)]
    pub place: String,
    /// When the help is needed (RFC 3339); optional.
    pub needed_at: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PostOut {
    pub id: i64,
    pub kind: String,
    pub topic: String,
    pub title: String,
    pub body: String,
    pub status: String,
    pub reports: i64,
    pub mine: bool,
    pub created_at: String,
    pub place: String,
    pub needed_at: Option<String>,
    /// Neighbours who answered.
    pub responses: i64,
}

fn post_out(p: &store::community::Post, me: i64) -> PostOut {
    PostOut {
        id: p.id,
        kind: p.kind.clone(),
        topic: p.topic.clone(),
        title: p.title.clone(),
        body: p.body.clone(),
        status: p.status.clone(),
        reports: p.reports,
        mine: p.author == me,
        created_at: wire::time(p.created_at),
        place: p.place.clone(),
        needed_at: p.needed_at.map(wire::time),
        responses: p.responses,
    }
}

/// Open mutual-help posts.
#[utoipa::path(get, path = "/api/v1/community/posts", responses((status = 200, body = [PostOut])), security(("bearer" = [])))]
pub async fn posts(State(s): State<Arc<AppState>>, session: Session) -> ApiResult<Json<Vec<PostOut>>> {
    Ok(Json(s.store.posts(&["open"], LIST_MAX).await?.iter().map(|p| post_out(p, session.user.id)).collect()))
}

/// Posts an ask or an offer.
#[utoipa::path(post, path = "/api/v1/community/posts", request_body = PostIn, responses((status = 201)), security(("bearer" = [])))]
pub async fn create_post(
    State(s): State<Arc<AppState>>,
    session: Session,
    ApiJson(p): ApiJson<PostIn>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    if !matches!(p.kind.as_str(), "ask" | "offer") {
        return Err(ApiError::invalid("kind must be ask or offer"));
    }
    if !TOPICS.contains(&p.topic.as_str()) {
        return Err(ApiError::invalid(format!("topic must be one of {}", TOPICS.join(", "))));
    }
    let title = text("title", &p.title, TITLE_CHARS_MAX, true)?;
    let body = text("body", &p.body, BODY_CHARS_MAX, false)?;
    let place = text("place", &p.place, 200, false)?;
    let now = s.clock.now();
    let needed_at = match p.needed_at.as_deref().filter(|t| !t.is_empty()) {
        Some(t) => {
            let at = wire::parse_time("needed_at", t).map_err(ApiError::invalid)?;
            if at < now - chrono::Duration::hours(1) || at > now + chrono::Duration::days(90) {
                return Err(ApiError::invalid("needed_at is within the next 90 days"));
            }
            Some(at)
        }
        None => None,
    };
    let id = s.store.create_post(&p.kind, &p.topic, &title, &body, &place, needed_at, session.user.id, now).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": id }))))
}

async fn open_post(s: &AppState, id: i64) -> ApiResult<store::community::Post> {
    s.store
        .post(id)
        .await
        .ok()
        .filter(|p| p.status == "open" || p.status == "done")
        .ok_or_else(|| ApiError::not_found("post"))
}

/// Offers that match an ask (or asks that match an offer): same topic, the other kind.
#[utoipa::path(get, path = "/api/v1/community/posts/{id}/matches", responses((status = 200, body = [PostOut])), security(("bearer" = [])))]
pub async fn matches(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<PostOut>>> {
    let p = open_post(&s, id).await?;
    let other = if p.kind == "ask" { "offer" } else { "ask" };
    Ok(Json(
        s.store
            .posts(&["open"], LIST_MAX)
            .await?
            .iter()
            .filter(|q| q.kind == other && q.topic == p.topic && q.author != p.author)
            .map(|q| post_out(q, session.user.id))
            .collect(),
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RespondIn {
    /// What the neighbour says: when they can come, how to reach them.
    pub note: String,
}

/// A neighbour answers an open post; its author is told in the app.
#[utoipa::path(post, path = "/api/v1/community/posts/{id}/respond", request_body = RespondIn, responses((status = 200, body = PostOut)), security(("bearer" = [])))]
pub async fn respond(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(id): Path<i64>,
    ApiJson(r): ApiJson<RespondIn>,
) -> ApiResult<Json<PostOut>> {
    let p = s.store.post(id).await.ok().filter(|p| p.status == "open").ok_or_else(|| ApiError::not_found("post"))?;
    if p.author == session.user.id {
        return Err(ApiError::invalid("this is your own post"));
    }
    let note = text("note", &r.note, 500, true)?;
    let who = &session.user.display_name;
    let notice = store::writer::OutboxMessage {
        dedupe_key: "respond".into(),
        channel: "web".into(),
        recipient_user: Some(p.author),
        recipient_phone: None,
        subject: format!("邻里互助：{who} 回应了您的“{}”", p.title),
        body: format!("{who}：{note}"),
    };
    s.store.respond_to_post(id, session.user.id, &note, &notice, &session.label(), s.clock.now()).await?;
    Ok(Json(post_out(&s.store.post(id).await?, session.user.id)))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ResponseOut {
    pub name: String,
    pub note: String,
    pub at: String,
}

/// The answers to a post: its author (and staff) read who answered and what they said.
#[utoipa::path(get, path = "/api/v1/community/posts/{id}/responses", responses((status = 200, body = [ResponseOut])), security(("bearer" = [])))]
pub async fn responses(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<ResponseOut>>> {
    let p = s.store.post(id).await.map_err(|_| ApiError::not_found("post"))?;
    if p.author != session.user.id && staff(&session).is_err() {
        return Err(ApiError::forbidden("only the post's author reads the answers"));
    }
    Ok(Json(
        s.store
            .post_responses(id)
            .await?
            .into_iter()
            .map(|r| ResponseOut { name: r.display_name, note: r.note, at: wire::time(r.created_at) })
            .collect(),
    ))
}

/// The author marks a post done.
#[utoipa::path(post, path = "/api/v1/community/posts/{id}/done", responses((status = 204)), security(("bearer" = [])))]
pub async fn done(State(s): State<Arc<AppState>>, session: Session, Path(id): Path<i64>) -> ApiResult<StatusCode> {
    let p = open_post(&s, id).await?;
    if p.author != session.user.id {
        return Err(ApiError::forbidden("only the author marks a post done"));
    }
    s.store.set_post_status(id, "done", &session.label(), s.clock.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportIn {
    pub reason: String,
}

/// Reports abuse; after three residents report a post it is hidden for moderation.
#[utoipa::path(post, path = "/api/v1/community/posts/{id}/report", request_body = ReportIn, responses((status = 200)), security(("bearer" = [])))]
pub async fn report(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(id): Path<i64>,
    ApiJson(r): ApiJson<ReportIn>,
) -> ApiResult<Json<serde_json::Value>> {
    let reason = text("reason", &r.reason, 500, true)?;
    open_post(&s, id).await?;
    let status =
        s.store.report_post(id, session.user.id, &reason, REPORTS_TO_HIDE, &session.label(), s.clock.now()).await?;
    Ok(Json(serde_json::json!({ "status": status })))
}

/// Reported posts awaiting a decision (staff).
#[utoipa::path(get, path = "/api/v1/community/moderation", responses((status = 200, body = [PostOut])), security(("bearer" = [])))]
pub async fn moderation(State(s): State<Arc<AppState>>, session: Session) -> ApiResult<Json<Vec<PostOut>>> {
    staff(&session)?;
    Ok(Json(s.store.moderation_queue(LIST_MAX).await?.iter().map(|p| post_out(p, session.user.id)).collect()))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// `restore` or `remove`.
    pub decision: String,
}

/// Restores or removes a reported post (staff).
#[utoipa::path(post, path = "/api/v1/community/posts/{id}/moderate", request_body = Decision, responses((status = 204)), security(("bearer" = [])))]
pub async fn moderate(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(id): Path<i64>,
    ApiJson(d): ApiJson<Decision>,
) -> ApiResult<StatusCode> {
    staff(&session)?;
    let status = match d.decision.as_str() {
        "restore" => "open",
        "remove" => "removed",
        _ => return Err(ApiError::invalid("decision must be restore or remove")),
    };
    s.store.set_post_status(id, status, &session.label(), s.clock.now()).await.map_err(|e| match e {
        store::StoreError::NotFound => ApiError::not_found("post"),
        e => e.into(),
    })?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivityIn {
    pub title: String,
    pub body: String,
    pub place: String,
    /// RFC 3339.
    pub starts_at: String,
    pub capacity: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ActivityOut {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub place: String,
    pub starts_at: String,
    pub capacity: i64,
    pub signed: i64,
    pub waitlisted: i64,
    /// The viewer's place: signed, waitlisted, cancelled or none.
    pub my_status: String,
    pub checked_in: bool,
}

/// Coming activities with the viewer's place.
#[utoipa::path(get, path = "/api/v1/community/activities", responses((status = 200, body = [ActivityOut])), security(("bearer" = [])))]
pub async fn activities(State(s): State<Arc<AppState>>, session: Session) -> ApiResult<Json<Vec<ActivityOut>>> {
    let since = s.clock.now() - chrono::Duration::days(1);
    let mut out = vec![];
    for a in s.store.activities(since, LIST_MAX).await? {
        out.push(activity_out(&s, &a, session.user.id).await?);
    }
    Ok(Json(out))
}

async fn activity_out(s: &AppState, a: &Activity, me: i64) -> ApiResult<ActivityOut> {
    let mine = s.store.signup_of(a.id, me).await?;
    Ok(ActivityOut {
        id: a.id,
        title: a.title.clone(),
        body: a.body.clone(),
        place: a.place.clone(),
        starts_at: wire::time(a.starts_at),
        capacity: a.capacity,
        signed: a.signed,
        waitlisted: a.waitlisted,
        my_status: mine.as_ref().map_or("none".into(), |m| m.status.clone()),
        checked_in: mine.is_some_and(|m| m.checked_in_at.is_some()),
    })
}

/// Creates an activity (staff).
#[utoipa::path(post, path = "/api/v1/community/activities", request_body = ActivityIn, responses((status = 201)), security(("bearer" = [])))]
pub async fn create_activity(
    State(s): State<Arc<AppState>>,
    session: Session,
    ApiJson(a): ApiJson<ActivityIn>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    staff(&session)?;
    if !(1..=10_000).contains(&a.capacity) {
        return Err(ApiError::invalid("capacity must be 1 to 10,000"));
    }
    let starts_at = wire::parse_time("starts_at", &a.starts_at).map_err(ApiError::invalid)?;
    let activity = Activity::public(
        text("title", &a.title, TITLE_CHARS_MAX, true)?,
        text("body", &a.body, BODY_CHARS_MAX, false)?,
        text("place", &a.place, 200, true)?,
        starts_at,
        a.capacity,
        // The secret the door's QR code carries.
        new_secret(),
    );
    let id = s.store.create_activity(&activity, session.user.id, &session.label(), s.clock.now()).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": id }))))
}

/// Signs the viewer up (or onto the waiting list).
#[utoipa::path(post, path = "/api/v1/community/activities/{id}/signup", responses((status = 200, body = ActivityOut)), security(("bearer" = [])))]
pub async fn signup(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(id): Path<i64>,
) -> ApiResult<Json<ActivityOut>> {
    s.store.sign_up(id, session.user.id, &session.label(), s.clock.now()).await.map_err(|e| match e {
        store::StoreError::NotFound => ApiError::not_found("activity"),
        e => e.into(),
    })?;
    Ok(Json(activity_out(&s, &s.store.activity(id).await?, session.user.id).await?))
}

/// Gives the viewer's place up; the first on the waiting list moves up.
#[utoipa::path(post, path = "/api/v1/community/activities/{id}/cancel", responses((status = 200, body = ActivityOut)), security(("bearer" = [])))]
pub async fn cancel(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(id): Path<i64>,
) -> ApiResult<Json<ActivityOut>> {
    let a = s.store.activity(id).await.map_err(|_| ApiError::not_found("activity"))?;
    s.store.cancel_signup(id, session.user.id, &session.label(), s.clock.now()).await?;
    Ok(Json(activity_out(&s, &a, session.user.id).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckIn {
    /// The code from the QR at the door.
    pub code: String,
    /// The phone's position: a volunteer shift accepts check-in only near its place.
    pub lat: Option<f64>,
    pub lng: Option<f64>,
}

/// Checks the viewer in with the code from the door's QR. At a deliberation meeting or a
/// volunteer shift a free place is taken at the door; a full one refuses. A shift also
/// needs the phone within its radius of the place.
#[utoipa::path(post, path = "/api/v1/community/activities/{id}/checkin", request_body = CheckIn, responses((status = 200, body = ActivityOut)), security(("bearer" = [])))]
pub async fn checkin(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(id): Path<i64>,
    ApiJson(c): ApiJson<CheckIn>,
) -> ApiResult<Json<ActivityOut>> {
    let a = s.store.activity(id).await.map_err(|_| ApiError::not_found("activity"))?;
    if c.code != a.checkin_code {
        return Err(ApiError::invalid("this is not the code of this activity's door"));
    }
    if a.kind == "public" {
        if !s.store.check_in(id, session.user.id, &session.label(), s.clock.now()).await? {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "not_signed_up",
                "sign up (and have a place) before checking in",
            ));
        }
        return Ok(Json(activity_out(&s, &a, session.user.id).await?));
    }
    if let (Some(place), Some(radius)) = (a.place_at, a.radius_m) {
        let (Some(lat), Some(lng)) = (c.lat, c.lng) else {
            return Err(ApiError::invalid("share the phone's position to check in at this place"));
        };
        let phone = domain::geo::LatLng::new(lat, lng).map_err(|e| ApiError::invalid(e.to_string()))?;
        if let domain::volunteer::Near::No(d) = domain::volunteer::near(&place, &phone, radius as f64) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "too_far",
                format!("check in at the place: you are {d:.0} m away, within {radius} m is needed"),
            ));
        }
    }
    let now = s.clock.now();
    if a.ends_at.is_some_and(|e| now > e) || now < a.starts_at - chrono::Duration::hours(2) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_now",
            "check-in opens two hours before the start and closes at the end",
        ));
    }
    match s.store.check_in_at_shift(id, session.user.id, &session.label(), now).await? {
        store::volunteers::ShiftCheckIn::Full => Err(ApiError::new(
            StatusCode::CONFLICT,
            "full",
            "every place is taken; sign up for the waiting list instead",
        )),
        _ => Ok(Json(activity_out(&s, &s.store.activity(id).await?, session.user.id).await?)),
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RosterOut {
    pub name: String,
    /// signed, waitlisted or cancelled.
    pub status: String,
    pub checked_in_at: Option<String>,
}

/// Who signed up for an activity and who came (staff).
#[utoipa::path(get, path = "/api/v1/community/activities/{id}/roster", responses((status = 200, body = [RosterOut])), security(("bearer" = [])))]
pub async fn roster(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<RosterOut>>> {
    staff(&session)?;
    s.store.activity(id).await.map_err(|_| ApiError::not_found("activity"))?;
    Ok(Json(
        s.store
            .roster(id)
            .await?
            .into_iter()
            .map(|l| RosterOut { name: l.name, status: l.status, checked_in_at: l.checked_in_at.map(wire::time) })
            .collect(),
    ))
}

/// The door's QR code (SVG): it opens the resident app and checks the scanner in (staff).
#[utoipa::path(get, path = "/api/v1/community/activities/{id}/qr.svg", responses((status = 200, description = "image/svg+xml")), security(("bearer" = [])))]
pub async fn qr(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(id): Path<i64>,
    headers: axum::http::HeaderMap,
) -> ApiResult<Response> {
    let a = s.store.activity(id).await.map_err(|_| ApiError::not_found("activity"))?;
    // Staff; for a meeting those who run deliberation days; for a shift also its team's leader.
    let leads = match a.team_id {
        Some(t) => s.store.team(t).await?.leader_user == Some(session.user.id),
        None => false,
    };
    if staff(&session).is_err()
        && !(a.kind != "public" && domain::deliberation::runs_meetings(session.role()))
        && !leads
    {
        return Err(ApiError::forbidden("only staff and the team's leader show the door's code"));
    }
    // A phone scanning the code needs the whole address: the one staff reached us by.
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let scheme = headers.get("x-forwarded-proto").and_then(|h| h.to_str().ok()).unwrap_or("http");
    let url = format!("{scheme}://{host}/app?checkin={}&code={}", a.id, a.checkin_code);
    let code = qrcode::QrCode::new(url.as_bytes()).map_err(ApiError::internal)?;
    let svg = code.render::<qrcode::render::svg::Color>().min_dimensions(240, 240).build();
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}
