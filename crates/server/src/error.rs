//! The one HTTP error type: a status, a stable snake_case code and a message for people.
//! Internal causes are logged once here and never shown to clients.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use domain::case::TransitionError;
use store::StoreError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Seconds to wait before trying again (`Retry-After`), for 429 and 503.
    pub retry_after: Option<i64>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), retry_after: None }
    }
    pub fn retry_after(mut self, seconds: i64) -> Self {
        self.retry_after = Some(seconds);
        self
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", message)
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }
    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", format!("{what} not found"))
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }
    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", "sign in first: send Authorization: Bearer TOKEN")
    }
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error; it has been logged")
    }
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable, snake_case: what a program can match on.
    pub code: String,
    /// For people.
    pub message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody { error: ErrorDetail { code: self.code.into(), message: self.message } };
        let mut r = (self.status, Json(body)).into_response();
        if let Some(s) = self.retry_after {
            r.headers_mut().insert(axum::http::header::RETRY_AFTER, s.into());
        }
        r
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::not_found("record"),
            StoreError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, "conflict", m),
            StoreError::Invalid(m) => ApiError::invalid(m),
            StoreError::Closed => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "the server is shutting down")
            }
            e @ (StoreError::Corrupt(_) | StoreError::Database(_)) => ApiError::internal(e),
        }
    }
}

impl From<TransitionError> for ApiError {
    fn from(e: TransitionError) -> Self {
        match e {
            TransitionError::InvalidTransition { .. } => {
                ApiError::new(StatusCode::CONFLICT, "invalid_transition", e.to_string())
            }
            TransitionError::AlreadyAssigned(_) => {
                ApiError::new(StatusCode::CONFLICT, "already_assigned", e.to_string())
            }
            TransitionError::TimeTravel => ApiError::new(StatusCode::CONFLICT, "conflict", e.to_string()),
            _ => ApiError::invalid(e.to_string()),
        }
    }
}

/// JSON bodies whose rejections (bad syntax, wrong types, too large, wrong content type)
/// answer with the contract's error body.
pub struct ApiJson<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for ApiJson<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        use axum::extract::rejection::JsonRejection as R;
        let value = match Json::<serde_json::Value>::from_request(req, state).await {
            Ok(Json(v)) => v,
            Err(R::JsonDataError(e)) => return Err(ApiError::invalid(e.body_text())),
            Err(R::JsonSyntaxError(e)) => {
                return Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_json", e.body_text()))
            }
            Err(R::MissingJsonContentType(_)) => {
                return Err(ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                    "send Content-Type: application/json",
                ))
            }
            Err(R::BytesRejection(e)) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    format!("the body is larger than {} bytes", crate::API_BODY_BYTES_MAX),
                ))
            }
            Err(e) => return Err(ApiError::bad_request(e.body_text())),
        };
        from_json_value(value).map(Self)
    }
}

/// A JSON body's value as `T`, once every string in it is free of control characters.
pub fn from_json_value<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> ApiResult<T> {
    check_json_text("", &value)?;
    serde_json::from_value(value).map_err(|e| ApiError::invalid(format!("the body does not fit: {e}")))
}

/// A JSON body's bytes as `T`, as the API's JSON edge reads them (for the fuzz targets).
pub fn parse_json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> ApiResult<T> {
    let value = serde_json::from_slice(body)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_json", format!("the body is not JSON: {e}")))?;
    from_json_value(value)
}

/// Refuses control characters in every string of a JSON body, keys included, naming the
/// field.
fn check_json_text(path: &str, v: &serde_json::Value) -> ApiResult<()> {
    let field = |k: &str| if path.is_empty() { k.to_owned() } else { format!("{path}.{k}") };
    match v {
        serde_json::Value::String(s) => {
            domain::text::check(if path.is_empty() { "the body" } else { path }, s).map_err(ApiError::invalid)
        }
        serde_json::Value::Array(items) => {
            items.iter().enumerate().try_for_each(|(i, x)| check_json_text(&format!("{path}[{i}]"), x))
        }
        serde_json::Value::Object(o) => o.iter().try_for_each(|(k, x)| {
            domain::text::check("a field name", k).map_err(ApiError::invalid)?;
            check_json_text(&field(k), x)
        }),
        _ => Ok(()),
    }
}

/// Refuses control characters in decoded form or query pairs, naming the field.
pub fn check_pairs_text(pairs: &[(String, String)]) -> Result<(), String> {
    pairs.iter().try_for_each(|(k, v)| {
        domain::text::check("a parameter name", k)?;
        domain::text::check(k, v)
    })
}

/// Query strings that answer bad parameters with the contract's error body.
pub struct ApiQuery<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for ApiQuery<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, Self::Rejection> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(parts.uri.query().unwrap_or_default())
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", e.to_string()))?;
        check_pairs_text(&pairs).map_err(|m| ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", m))?;
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Self(q.0))
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", e.body_text()))
    }
}
