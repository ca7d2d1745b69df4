//! The pages and their assets, compiled into the binary: `cargo run` needs no JavaScript
//! build step and nothing is loaded from the internet at run time. Pages are Simplified
//! Chinese by default; `?lang=en` or the switch in each page changes to English.

use crate::AppState;
use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use std::sync::Arc;

/// Static files: name, content type, bytes.
const ASSETS: &[(&str, &str, &[u8])] = &[
    ("app.css", "text/css; charset=utf-8", include_bytes!("../assets/app.css")),
    ("app.js", "text/javascript; charset=utf-8", include_bytes!("../assets/app.js")),
    ("console.js", "text/javascript; charset=utf-8", include_bytes!("../assets/console.js")),
    ("field.js", "text/javascript; charset=utf-8", include_bytes!("../assets/field.js")),
    ("screen.js", "text/javascript; charset=utf-8", include_bytes!("../assets/screen.js")),
    ("resident.js", "text/javascript; charset=utf-8", include_bytes!("../assets/resident.js")),
    ("login.js", "text/javascript; charset=utf-8", include_bytes!("../assets/login.js")),
    ("admin.js", "text/javascript; charset=utf-8", include_bytes!("../assets/admin.js")),
    ("petitions.js", "text/javascript; charset=utf-8", include_bytes!("../assets/petitions.js")),
    ("mediation.js", "text/javascript; charset=utf-8", include_bytes!("../assets/mediation.js")),
    ("food.js", "text/javascript; charset=utf-8", include_bytes!("../assets/food.js")),
    ("gas.js", "text/javascript; charset=utf-8", include_bytes!("../assets/gas.js")),
    ("stats.js", "text/javascript; charset=utf-8", include_bytes!("../assets/stats.js")),
    ("deliberation.js", "text/javascript; charset=utf-8", include_bytes!("../assets/deliberation.js")),
    ("board.js", "text/javascript; charset=utf-8", include_bytes!("../assets/board.js")),
    ("basemap.js", "text/javascript; charset=utf-8", include_bytes!("../assets/basemap.js")),
    ("volunteers.js", "text/javascript; charset=utf-8", include_bytes!("../assets/volunteers.js")),
    ("whatif.js", "text/javascript; charset=utf-8", include_bytes!("../assets/whatif.js")),
    (
        "vendor/echarts-5.6.0.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/vendor/echarts-5.6.0.min.js"),
    ),
];

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/login") }))
        .route("/login", get(|| async { page(include_str!("../assets/login.html")) }))
        .route("/console", get(|| async { page(include_str!("../assets/console.html")) }))
        .route("/field", get(|| async { page(include_str!("../assets/field.html")) }))
        .route("/screen", get(|| async { page(include_str!("../assets/screen.html")) }))
        .route("/app", get(|| async { page(include_str!("../assets/app.html")) }))
        .route("/admin", get(|| async { page(include_str!("../assets/admin.html")) }))
        .route("/petitions", get(|| async { page(include_str!("../assets/petitions.html")) }))
        .route("/mediation", get(|| async { page(include_str!("../assets/mediation.html")) }))
        .route("/food", get(|| async { page(include_str!("../assets/food.html")) }))
        .route("/gas", get(|| async { page(include_str!("../assets/gas.html")) }))
        .route("/stats", get(|| async { page(include_str!("../assets/stats.html")) }))
        .route("/deliberation", get(|| async { page(include_str!("../assets/deliberation.html")) }))
        .route("/board", get(|| async { page(include_str!("../assets/board.html")) }))
        .route("/volunteers", get(|| async { page(include_str!("../assets/volunteers.html")) }))
        .route("/whatif", get(|| async { page(include_str!("../assets/whatif.html")) }))
        .route("/assets/{*path}", get(asset))
}

fn page(html: &'static str) -> Response {
    // Pages carry no data; they are safe to cache briefly and never framed by others.
    ([(header::CACHE_CONTROL, "no-cache"), (header::X_FRAME_OPTIONS, "DENY")], Html(html)).into_response()
}

async fn asset(Path(path): Path<String>) -> Response {
    match ASSETS.iter().find(|(name, _, _)| *name == path) {
        Some((_, kind, bytes)) => {
            ([(header::CONTENT_TYPE, *kind), (header::CACHE_CONTROL, "public, max-age=3600")], *bytes).into_response()
        }
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}
