//! `/server/*`: ping, health and public info.

use super::response::{self, HttpResponse};
use crate::app::App;
use crate::db::Statement;
use crate::error::ApiResult;
use http::StatusCode;
use serde_json::json;

pub fn ping() -> ApiResult<HttpResponse> {
    Ok(response::with_type(StatusCode::OK, "text/html; charset=utf-8", "pong".into()))
}

/// `{"status": "ok"}` when the database answers, `error` (503) when not.
pub async fn health(app: &App) -> HttpResponse {
    let ok = app.driver.query(&Statement::new("SELECT 1")).await.is_ok();
    let status = if ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let body = json!({ "status": if ok { "ok" } else { "error" } });
    response::with_type(status, "application/health+json; charset=utf-8", body.to_string().into())
}

/// What Directus shows an unauthenticated caller: the project's public info.
pub fn info(app: &App) -> HttpResponse {
    response::json(&json!({
        "data": {
            "project": {
                "project_name": app.config.project_name,
                "project_descriptor": null,
                "project_logo": null,
                "project_color": "#6644FF",
                "default_language": "en-US",
                "public_foreground": null,
                "public_background": null,
                "public_note": null,
                "custom_css": null,
                "public_registration": false,
                "public_registration_verify_email": false
            },
            "rectus": { "version": env!("CARGO_PKG_VERSION"), "schema_hash": app.schema().hash }
        }
    }))
}
