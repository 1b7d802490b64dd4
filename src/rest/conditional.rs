//! Conditional GETs: every successful GET carries an `ETag` naming its
//! bytes, and a client that sends it back in `If-None-Match` gets
//! `304 Not Modified` without the body (a polling player's cheap answer).

use super::response::HttpResponse;
use bytes::Bytes;
use http::{header, HeaderValue, Method, Request, StatusCode};
use sha2::{Digest, Sha256};

/// Adds the `ETag` to a successful GET's response.
pub fn tag(req: &Request<Bytes>, mut response: HttpResponse) -> HttpResponse {
    if !matches!(*req.method(), Method::GET | Method::HEAD) || response.status() != StatusCode::OK {
        return response;
    }
    if let Ok(value) = HeaderValue::from_str(&etag(response.body())) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

/// The response, or a bodiless 304 when the client already holds its bytes
/// (its `If-None-Match` names the response's `ETag`).
pub fn not_modified(req: &Request<Bytes>, response: HttpResponse) -> HttpResponse {
    let Some(tag) = response.headers().get(header::ETAG).and_then(|t| t.to_str().ok()) else {
        return response;
    };
    let held = req.headers().get_all(header::IF_NONE_MATCH).iter().any(|v| v.to_str().is_ok_and(|v| matches(v, tag)));
    if !held {
        return response;
    }
    let mut not_modified = HttpResponse::new(Bytes::new());
    *not_modified.status_mut() = StatusCode::NOT_MODIFIED;
    for name in [header::ETAG, header::CACHE_CONTROL, header::VARY] {
        if let Some(v) = response.headers().get(&name) {
            not_modified.headers_mut().insert(name, v.clone());
        }
    }
    not_modified
}

/// A weak validator from the body's hash: weak, because a compressing
/// layer or CDN may change the bytes on the wire but not what they mean.
fn etag(body: &[u8]) -> String {
    use std::fmt::Write;
    let digest = Sha256::digest(body);
    let mut tag = String::with_capacity(36);
    tag.push_str("W/\"");
    for b in &digest[..16] {
        let _ = write!(tag, "{b:02x}");
    }
    tag.push('"');
    tag
}

/// `If-None-Match` against our tag, by the weak comparison RFC 9110 asks
/// for: `*`, or any listed tag with the same opaque value.
fn matches(if_none_match: &str, tag: &str) -> bool {
    let opaque = |t: &str| t.trim().trim_start_matches("W/").to_string();
    let ours = opaque(tag);
    if_none_match.split(',').any(|t| t.trim() == "*" || opaque(t) == ours)
}

#[cfg(test)]
mod tests {
    use super::{etag, matches};

    #[test]
    fn tags_compare_weakly_and_in_lists() {
        let tag = etag(b"{\"data\":[]}");
        assert!(tag.starts_with("W/\"") && tag.len() == 36);
        assert!(matches(&tag, &tag));
        assert!(matches(tag.trim_start_matches("W/"), &tag));
        assert!(matches(&format!("\"other\", {tag}"), &tag));
        assert!(matches("*", &tag));
        assert!(!matches("\"other\"", &tag));
        assert_ne!(tag, etag(b"{\"data\":[1]}"));
    }
}
