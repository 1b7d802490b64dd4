//! The REST API: one router shared by every host. HTTP request in, HTTP
//! response out; the host only converts its own request type.

pub(crate) mod auth;
mod cached;
mod conditional;
mod items;
mod meta;
pub mod response;
pub(crate) mod server;
mod system;

use crate::app::App;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::graphql::Scope;
use bytes::Bytes;
use http::{Method, Request};
use response::HttpResponse;

/// Handles one request. Never panics on input; every failure is a Directus
/// error response.
pub async fn handle(app: &App, mut req: Request<Bytes>) -> HttpResponse {
    let mut attempt = 1;
    loop {
        match cached::route(app, &mut req).await {
            Ok(r) => return conditional::not_modified(&req, r),
            // The database broke a deadlock by rolling this request's
            // transaction back: nothing of it was kept, so it runs again.
            Err(e) if e.code == ErrorCode::TransactionConflict && attempt < CONFLICT_ATTEMPTS => attempt += 1,
            Err(e) => return response::error(&e),
        }
    }
}

/// How often a request whose transaction lost a deadlock is run.
pub(crate) const CONFLICT_ATTEMPTS: usize = 3;

async fn route(app: &App, req: &Request<Bytes>) -> ApiResult<HttpResponse> {
    if req.body().len() > app.config.max_body_bytes {
        return Err(ApiError::new(ErrorCode::ContentTooLarge, "Uploaded content is too large."));
    }
    let path = req.uri().path();
    let segments: Vec<String> = path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned())
        .collect();
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    let method = req.method();
    match segs.as_slice() {
        ["graphql"] => crate::graphql::handle(app, req, Scope::Items).await,
        ["graphql", "system"] => crate::graphql::handle(app, req, Scope::System).await,
        ["server", "specs", "graphql", scope @ ..] if scope.len() <= 1 => {
            if *method != Method::GET {
                return Err(ApiError::method_not_allowed(method.as_str()));
            }
            let scope = match scope {
                [] | ["items"] => Scope::Items,
                ["system"] => Scope::System,
                _ => return Err(ApiError::route_not_found(path)),
            };
            crate::graphql::sdl(app, req, scope).await
        }
        ["utils", "cache", "clear"] => cached::clear(app, req).await,
        ["items", collection] => items::collection(app, req, collection).await,
        ["items", collection, id] => items::item(app, req, collection, id).await,
        ["auth", "login"] => {
            post_only(method)?;
            auth::login(app, req).await
        }
        ["auth", "refresh"] => {
            post_only(method)?;
            auth::refresh(app, req).await
        }
        ["auth", "logout"] => {
            post_only(method)?;
            auth::logout(app, req).await
        }
        [route] if system::collection_of(route).is_some() => system::handle(app, req, route, None).await,
        [route, id] if system::collection_of(route).is_some() => system::handle(app, req, route, Some(id)).await,
        ["server", "ping"] => only(method, &[Method::GET], server::ping),
        ["server", "health"] => match *method {
            Method::GET => Ok(server::health(app).await),
            _ => Err(ApiError::method_not_allowed(method.as_str())),
        },
        ["server", "info"] => only(method, &[Method::GET], || Ok(server::info(app))),
        ["collections" | "fields" | "relations", ..] if segs.len() <= 3 => {
            if *method != Method::GET {
                return Err(ApiError::method_not_allowed(method.as_str()));
            }
            let caller = caller(app, req).await?;
            match segs.as_slice() {
                ["collections"] => meta::collections(app, &caller, None),
                ["collections", c] => meta::collections(app, &caller, Some(c)),
                ["fields"] => meta::fields(app, &caller, None, None),
                ["fields", c] => meta::fields(app, &caller, Some(c), None),
                ["fields", c, f] => meta::fields(app, &caller, Some(c), Some(f)),
                ["relations"] => meta::relations(app, &caller, None, None),
                ["relations", c] => meta::relations(app, &caller, Some(c), None),
                ["relations", c, f] => meta::relations(app, &caller, Some(c), Some(f)),
                _ => Err(ApiError::route_not_found(path)),
            }
        }
        _ => Err(ApiError::route_not_found(path)),
    }
}

/// The caller of an API request: refused with SERVICE_UNAVAILABLE while the
/// database has no system tables (nothing is served to anyone by accident).
pub(crate) async fn caller(app: &App, req: &Request<Bytes>) -> ApiResult<std::sync::Arc<crate::access::Caller>> {
    // Already resolved for this request (by the response cache, for its key).
    if let Some(known) = req.extensions().get::<std::sync::Arc<crate::access::Caller>>() {
        return Ok(known.clone());
    }
    if !app.access().bootstrapped {
        return Err(match app.schema().is_mirrored() {
            true => not_bootstrapped(),
            // Down since the start (or its TLS or credentials refused): the
            // schema watcher mirrors it once it answers.
            false => ApiError::unavailable("database", "Cannot connect"),
        });
    }
    crate::auth::authenticate(app, req).await
}

/// The error of every data route on a database without system tables.
pub fn not_bootstrapped() -> ApiError {
    ApiError::unavailable(
        "database",
        "The database has no Directus system tables yet; run `rectus bootstrap --db <file>` first",
    )
}

fn post_only(method: &Method) -> ApiResult<()> {
    if *method == Method::POST {
        Ok(())
    } else {
        Err(ApiError::method_not_allowed(method.as_str()))
    }
}

/// Runs `f` when the method is one of `allowed`, else METHOD_NOT_ALLOWED.
fn only(method: &Method, allowed: &[Method], f: impl FnOnce() -> ApiResult<HttpResponse>) -> ApiResult<HttpResponse> {
    if allowed.contains(method) {
        f()
    } else {
        Err(ApiError::method_not_allowed(method.as_str()))
    }
}
