//! GET reads through the response cache: while none of the tables it read
//! has been written since, a response is answered from memory (or as a 304)
//! without the database.

use super::conditional;
use super::response::HttpResponse;
use crate::access::Caller;
use crate::app::App;
use crate::cache::{CacheSettings, ReadLog, SharedEntry, EVERYTHING};
use crate::error::{ApiError, ApiResult};
use bytes::Bytes;
use http::{header, HeaderValue, Method, Request, StatusCode};
use std::collections::HashMap;

/// Routes the request; cacheable reads go through the response cache, and
/// every successful GET leaves with its `ETag`.
pub async fn route(app: &App, req: &mut Request<Bytes>) -> ApiResult<HttpResponse> {
    let settings = &app.config.cache;
    if !settings.enabled || !cacheable(req) {
        return Ok(conditional::tag(req, super::route(app, req).await?));
    }
    // Writes made through other instances, seen at most a poll later.
    let polled = app.versions.check(app).await;
    let caller = super::caller(app, req).await?;
    let headers = shared_cache_headers(settings, &caller);
    let now = app.host.now_ms();
    let key = key(app, req, &caller);
    // `no-store` neither reads nor fills the cache.
    let skip = skipped(req, settings);
    if !skip {
        if let Some(hit) = app.responses.get(&key, now, settings) {
            return Ok(with_status(
                with_headers(replay(&hit.body, &hit.content_type, &hit.etag), &headers),
                settings,
                "HIT",
            ));
        }
        if let Some(hit) = shared_hit(app, &key, now).await {
            return Ok(with_status(with_headers(hit, &headers), settings, "HIT-SHARED"));
        }
    }
    // A response for the shared tier is labelled with the versions read
    // before its data, in the same session: its data is at least as new.
    // The poll above, when this request made it, is such a read.
    let before = match (&app.shared_tier, skip, polled) {
        (Some(_), false, Some(polled)) => Some(polled),
        (Some(_), false, None) => app.versions.read_now(app).await,
        _ => None,
    };
    // The handler takes the caller from here instead of authenticating
    // again (a session token costs a database read), and its reads note
    // the tables they read in the log.
    let log = std::sync::Arc::new(ReadLog::default());
    req.extensions_mut().insert(std::sync::Arc::new(caller.logging_reads(log.clone())));
    let req = &*req;
    // Read the version first: a write committing meanwhile makes this
    // response stale, never the other way round.
    let version = app.responses.version();
    let response = conditional::tag(req, super::route(app, req).await?);
    if response.status() == StatusCode::OK && !skip {
        let tables = log.tables();
        if let (Some(tier), Some(before), false) = (&app.shared_tier, before, tables.is_empty()) {
            tier.put(&key, shared_entry(&response, &tables, &before), (settings.ttl_ms / 1000).max(1) as u64).await;
        }
        app.responses.put(key, &response, (version, tables), now, settings);
    }
    Ok(with_status(with_headers(response, &headers), settings, "MISS"))
}

/// The shared tier's entry for `key`, when this instance knows every
/// version on its label to be current; it is kept in memory too.
async fn shared_hit(app: &App, key: &str, now: i64) -> Option<HttpResponse> {
    let tier = app.shared_tier.as_ref()?;
    let version = app.responses.version();
    let entry = tier.get(key).await?;
    if !app.versions.current(&entry.label) {
        return None;
    }
    let response = replay(&entry.body, &entry.content_type, &entry.etag);
    app.responses.put(key.to_string(), &response, (version, entry.tables()), now, &app.config.cache);
    Some(response)
}

/// `response` labelled with the versions of the tables it read, and of `*`.
fn shared_entry(response: &HttpResponse, tables: &[String], versions: &HashMap<String, i64>) -> SharedEntry {
    let label = tables
        .iter()
        .map(String::as_str)
        .chain([EVERYTHING])
        .map(|t| (t.to_string(), versions.get(t).copied().unwrap_or(0)))
        .collect();
    SharedEntry {
        body: response.body().clone(),
        content_type: response.headers().get(header::CONTENT_TYPE).cloned(),
        etag: response.headers().get(header::ETAG).cloned(),
        label,
    }
}

/// CACHE_STATUS_HEADER, when the operator named one.
fn with_status(mut r: HttpResponse, settings: &CacheSettings, status: &'static str) -> HttpResponse {
    if let Some(name) = &settings.status_header {
        r.headers_mut().insert(name.clone(), HeaderValue::from_static(status));
    }
    r
}

/// `POST /utils/cache/clear`: admins only, as in Directus.
pub async fn clear(app: &App, req: &Request<Bytes>) -> ApiResult<HttpResponse> {
    if *req.method() != Method::POST {
        return Err(ApiError::method_not_allowed(req.method().as_str()));
    }
    let caller = super::caller(app, req).await?;
    if !caller.policies.admin {
        return Err(ApiError::forbidden());
    }
    app.responses.clear();
    // Other instances (and the shared tier) see it at their next look.
    crate::cache::clear_everywhere(app).await.map_err(crate::items::db_error)?;
    let mut r = HttpResponse::new(Bytes::new());
    *r.status_mut() = StatusCode::OK;
    Ok(r)
}

/// Item reads and GraphQL queries by GET: what feeds poll.
fn cacheable(req: &Request<Bytes>) -> bool {
    let path = req.uri().path();
    *req.method() == Method::GET && (path.starts_with("/items/") || path == "/graphql")
}

/// The client asked to bypass the cache (`Cache-Control: no-store`), and
/// the operator allows it (CACHE_SKIP_ALLOWED); or it reads from a point in
/// the database's history (a D1 bookmark, after its own write elsewhere)
/// that this instance's cache may not have seen yet.
fn skipped(req: &Request<Bytes>, settings: &CacheSettings) -> bool {
    let no_store = || {
        req.headers().get_all(header::CACHE_CONTROL).iter().any(|v| v.to_str().is_ok_and(|v| v.contains("no-store")))
    };
    req.headers().contains_key(crate::db::BOOKMARK_HEADER) || (settings.skip_allowed && no_store())
}

/// Everything that decides the bytes: the request, the schema and access
/// snapshots, the caller's policies, and who the caller is (rules may use
/// `$CURRENT_USER` and `$CURRENT_ROLE`).
fn key(app: &App, req: &Request<Bytes>, caller: &Caller) -> String {
    let uri = req.uri().path_and_query().map_or("", |p| p.as_str());
    format!(
        "{uri}\u{0}{}\u{0}{}\u{0}{}\u{0}{}\u{0}{}",
        app.schema().hash,
        app.access().fingerprint,
        caller.plan_key(),
        caller.user.as_deref().unwrap_or(""),
        caller.role.as_deref().unwrap_or("")
    )
}

fn replay(body: &Bytes, content_type: &Option<HeaderValue>, etag: &Option<HeaderValue>) -> HttpResponse {
    let mut r = HttpResponse::new(body.clone());
    for (name, value) in [(header::CONTENT_TYPE, content_type), (header::ETAG, etag)] {
        if let Some(v) = value {
            r.headers_mut().insert(name, v.clone());
        }
    }
    r
}

/// What shared caches in front (a CDN) may do with a cached read: keep it
/// for CACHE_CONTROL_S_MAXAGE seconds when set (anonymous reads publicly,
/// signed-in ones privately), else revalidate every time: rectus knows at
/// once when data changed, a cache in front does not.
fn shared_cache_headers(settings: &CacheSettings, caller: &Caller) -> [(header::HeaderName, HeaderValue); 2] {
    let control = match settings.s_maxage {
        Some(s) => {
            let access = if caller.user.is_none() { "public" } else { "private" };
            format!("{access}, max-age=0, s-maxage={s}")
        }
        None => "no-cache".to_string(),
    };
    [
        (header::CACHE_CONTROL, HeaderValue::from_str(&control).unwrap_or(HeaderValue::from_static("no-cache"))),
        // Responses differ by who asks.
        (header::VARY, HeaderValue::from_static("Authorization, Cookie")),
    ]
}

fn with_headers(mut r: HttpResponse, headers: &[(header::HeaderName, HeaderValue)]) -> HttpResponse {
    for (name, value) in headers {
        r.headers_mut().insert(name.clone(), value.clone());
    }
    r
}
