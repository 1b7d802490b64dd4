//! The REST API: one router shared by every host. HTTP request in, HTTP
//! response out; the host only converts its own request type.

mod items;
mod meta;
pub mod response;
mod server;

use crate::app::App;
use crate::error::{ApiError, ApiResult, ErrorCode};
use bytes::Bytes;
use http::{Method, Request};
use response::HttpResponse;

/// Handles one request. Never panics on input; every failure is a Directus
/// error response.
pub async fn handle(app: &App, req: Request<Bytes>) -> HttpResponse {
    match route(app, &req).await {
        Ok(r) => r,
        Err(e) => response::error(&e),
    }
}

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
        ["items", collection] => items::collection(app, req, collection).await,
        ["items", collection, id] => items::item(app, req, collection, id).await,
        ["server", "ping"] => only(method, &[Method::GET], server::ping),
        ["server", "health"] => match *method {
            Method::GET => Ok(server::health(app).await),
            _ => Err(ApiError::method_not_allowed(method.as_str())),
        },
        ["server", "info"] => only(method, &[Method::GET], || Ok(server::info(app))),
        ["collections"] => only(method, &[Method::GET], || meta::collections(app, None)),
        ["collections", c] => only(method, &[Method::GET], || meta::collections(app, Some(c))),
        ["fields"] => only(method, &[Method::GET], || meta::fields(app, None, None)),
        ["fields", c] => only(method, &[Method::GET], || meta::fields(app, Some(c), None)),
        ["fields", c, f] => only(method, &[Method::GET], || meta::fields(app, Some(c), Some(f))),
        ["relations"] => only(method, &[Method::GET], || meta::relations(app, None, None)),
        ["relations", c] => only(method, &[Method::GET], || meta::relations(app, Some(c), None)),
        ["relations", c, f] => only(method, &[Method::GET], || meta::relations(app, Some(c), Some(f))),
        _ => Err(ApiError::route_not_found(path)),
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
