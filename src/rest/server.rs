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

/// `{"status": "ok"}` when the database answers and is bootstrapped;
/// `error` (503) with the failing checks when not.
pub async fn health(app: &App) -> HttpResponse {
    let mut checks = serde_json::Map::new();
    if app.driver.query(&Statement::new("SELECT 1")).await.is_err() {
        checks.insert("rectus:database".into(), json!([{"status": "error", "output": "The database does not answer"}]));
    } else if !app.access().bootstrapped {
        let output = super::not_bootstrapped().message;
        checks.insert("rectus:bootstrap".into(), json!([{"status": "error", "output": output}]));
    }
    let ok = checks.is_empty();
    let status = if ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let mut body = json!({ "status": if ok { "ok" } else { "error" } });
    if !ok {
        body["checks"] = serde_json::Value::Object(checks);
    }
    response::with_type(status, "application/health+json; charset=utf-8", body.to_string().into())
}

/// What Directus shows an unauthenticated caller: the project's public info.
pub fn info(app: &App) -> HttpResponse {
    response::json(&json!({ "data": info_data(app) }))
}

/// The `data` of `/server/info` (GraphQL's `server_info` too).
pub fn info_data(app: &App) -> serde_json::Value {
    json!({
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
            "rectus": { "version": env!("CARGO_PKG_VERSION"), "schema_hash": app.schema().hash, "schema_snapshot": app.schema_origin() }
    })
}
