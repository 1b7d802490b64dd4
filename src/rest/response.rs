//! HTTP responses in Directus's shapes.

use crate::error::ApiError;
use bytes::Bytes;
use http::{header, Response, StatusCode};

/// The response type of every handler.
pub type HttpResponse = Response<Bytes>;

/// `200` with a JSON body given as text (already shaped `{"data": ...}`).
pub fn json_text(body: String) -> HttpResponse {
    with_type(StatusCode::OK, "application/json; charset=utf-8", body.into())
}

/// `200` with a JSON value.
pub fn json(value: &serde_json::Value) -> HttpResponse {
    json_text(value.to_string())
}

/// `204 No Content`.
pub fn no_content() -> HttpResponse {
    let mut r = Response::new(Bytes::new());
    *r.status_mut() = StatusCode::NO_CONTENT;
    r
}

/// A Directus error body with its status.
pub fn error(e: &ApiError) -> HttpResponse {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    with_type(status, "application/json; charset=utf-8", e.to_body().to_string().into())
}

pub fn with_type(status: StatusCode, content_type: &'static str, body: Bytes) -> HttpResponse {
    let mut r = Response::new(body);
    *r.status_mut() = status;
    r.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static(content_type));
    r
}
