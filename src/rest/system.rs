//! Directus's routes for its own collections: `/users` (and `/users/me`),
//! `/roles`, `/policies`, `/access`, `/permissions` (and `/permissions/me`).
//! They are items routes over the `directus_*` tables, with the caller's
//! permissions; a write to them refreshes the access snapshot everywhere in
//! this process at once.

use super::items::{collection_with, item_with};
use super::response::{self, HttpResponse};
use crate::access::{Action, Caller};
use crate::app::App;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::items::{self as svc, QuerySource};
use bytes::Bytes;
use http::{Method, Request};
use serde_json::{json, Map, Value as Json};

/// The system collection behind a route's first segment.
pub fn collection_of(route: &str) -> Option<&'static str> {
    Some(match route {
        "users" => "directus_users",
        "roles" => "directus_roles",
        "policies" => "directus_policies",
        "access" => "directus_access",
        "permissions" => "directus_permissions",
        _ => return None,
    })
}

/// `/{route}` and `/{route}/{id}` over a system collection.
pub async fn handle(app: &App, req: &Request<Bytes>, route: &str, id: Option<&str>) -> ApiResult<HttpResponse> {
    let caller = super::caller(app, req).await?;
    let name = collection_of(route).ok_or_else(|| ApiError::route_not_found(req.uri().path()))?;
    let schema = app.schema();
    let coll = schema.collection(name).ok_or_else(|| crate::sql::forbidden_collection(name, ""))?;
    // Writes re-read the access snapshot themselves (items::write).
    match (route, id) {
        ("users", Some("me")) => me(app, req, &caller).await,
        ("permissions", Some("me")) if *req.method() == Method::GET => permissions_me(app, &caller),
        (_, Some(id)) => item_with(app, req, &schema, &caller, coll, id).await,
        (_, None) => collection_with(app, req, &schema, &caller, coll).await,
    }
}

/// `/users/me`: the caller's own user (`{"data": {"id"}}` when they may
/// not read it, as Directus answers).
async fn me(app: &App, req: &Request<Bytes>, caller: &Caller) -> ApiResult<HttpResponse> {
    let user = caller.user.clone().ok_or_else(ApiError::invalid_credentials)?;
    let schema = app.schema();
    let coll = schema.collection("directus_users").ok_or_else(ApiError::invalid_credentials)?;
    match *req.method() {
        Method::GET => {
            let source = QuerySource::Url(req.uri().query().unwrap_or(""));
            match svc::read_item(app, &schema, caller, coll, source, user.clone().into()).await {
                Ok(body) => Ok(response::json_text(body)),
                Err(e) if e.code == ErrorCode::Forbidden => Ok(response::json(&json!({"data": {"id": user}}))),
                Err(e) => Err(e),
            }
        }
        Method::PATCH => item_with(app, req, &schema, caller, coll, &user).await,
        ref m => Err(ApiError::method_not_allowed(m.as_str())),
    }
}

/// `/permissions/me`: per collection and action, whether the caller may
/// act on all items (`full`), some (`partial`) or none, and which fields.
fn permissions_me(app: &App, caller: &Caller) -> ApiResult<HttpResponse> {
    if caller.user.is_none() && caller.role.is_none() {
        return Err(ApiError::forbidden());
    }
    let mut out = Map::new();
    match &caller.grants {
        None => {
            let full = json!({"access": "full", "fields": ["*"]});
            for name in app.schema().collections.keys() {
                let actions: Map<String, Json> =
                    Action::ALL.iter().map(|a| (a.name().to_string(), full.clone())).collect();
                out.insert(name.clone(), Json::Object(actions));
            }
        }
        Some(grants) => {
            let mut collections: Vec<&str> = grants.iter().map(|(c, _, _)| c).collect();
            collections.sort_unstable();
            collections.dedup();
            for c in collections {
                let mut actions = Map::new();
                for a in Action::ALL {
                    let entry = match grants.get(c, a) {
                        None => json!({"access": "none"}),
                        Some(g) => {
                            let access = if g.all_items() { "full" } else { "partial" };
                            let mut e = json!({"access": access, "fields": g.fields.to_json()});
                            if !g.presets.is_empty() {
                                e["presets"] = Json::Object(g.presets.clone());
                            }
                            e
                        }
                    };
                    actions.insert(a.name().to_string(), entry);
                }
                out.insert(c.to_string(), Json::Object(actions));
            }
        }
    }
    Ok(response::json(&json!({ "data": out })))
}
