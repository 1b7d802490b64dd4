//! `/items/{collection}` and `/items/{collection}/{id}`.

use super::response::{self, HttpResponse};
use crate::access::Caller;
use crate::app::App;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::items::{self as svc, served_collection, QuerySource};
use crate::query::{parse_query_json, parse_query_string, Query};
use crate::schema::{Collection, SchemaSnapshot};
use bytes::Bytes;
use http::{Method, Request};
use serde_json::Value as Json;

pub async fn collection(app: &App, req: &Request<Bytes>, name: &str) -> ApiResult<HttpResponse> {
    let caller = super::caller(app, req).await?;
    let schema = app.schema();
    let coll = served_collection(&schema, name)?;
    collection_with(app, req, &schema, &caller, coll).await
}

/// `/items/{collection}` (and the system collections' own routes) for `caller`.
pub async fn collection_with(
    app: &App,
    req: &Request<Bytes>,
    schema: &SchemaSnapshot,
    caller: &Caller,
    coll: &Collection,
) -> ApiResult<HttpResponse> {
    let c = caller;
    let s = schema;
    let raw = req.uri().query().unwrap_or("");
    if *req.method() == Method::GET {
        let source = QuerySource::Url(raw);
        let body = if coll.singleton {
            svc::read_singleton(app, s, c, coll, source).await?
        } else {
            svc::read_list(app, s, c, coll, source).await?
        };
        return Ok(response::json_text(body));
    }
    let query = url_query(req)?;
    match *req.method() {
        ref m if m.as_str() == "SEARCH" => {
            let body = json_body(req)?;
            let q = match body.get("query") {
                Some(q) => parse_query_json(q)?,
                None => query,
            };
            match body.get("keys") {
                Some(keys) => {
                    let keys = key_list(coll, keys)?;
                    Ok(response::json_text(svc::read_keys(app, s, c, coll, &q, &keys).await?))
                }
                None => Ok(response::json_text(svc::read_list(app, s, c, coll, QuerySource::Parsed(&q)).await?)),
            }
        }
        Method::POST => {
            let body = json_body(req)?;
            match &body {
                Json::Array(items) => {
                    let keys = svc::create_many(app, s, c, coll, items).await?;
                    reread_many(app, s, c, coll, &query, &keys).await
                }
                Json::Object(_) => {
                    let key = svc::create_one(app, s, c, coll, &body).await?;
                    reread_one(app, s, c, coll, &query, key).await
                }
                _ => Err(ApiError::invalid_payload("Payload has to be an object or an array of objects")),
            }
        }
        Method::PATCH if coll.singleton => {
            let body = json_body(req)?;
            let key = svc::upsert_singleton(app, s, c, coll, &body).await?;
            reread_one(app, s, c, coll, &query, key).await
        }
        Method::PATCH => {
            let body = json_body(req)?;
            let keys = match &body {
                Json::Array(items) => svc::update_batch(app, s, c, coll, items).await?,
                Json::Object(o) => {
                    let data = o.get("data").ok_or_else(|| ApiError::invalid_payload("\"data\" is required"))?;
                    let keys = batch_keys(app, s, c, coll, o).await?;
                    svc::update_keys(app, s, c, coll, &keys, data).await?
                }
                _ => {
                    return Err(ApiError::invalid_payload("Payload has to be an array or {keys, data} / {query, data}"))
                }
            };
            reread_many(app, s, c, coll, &query, &keys).await
        }
        Method::DELETE => {
            let body = json_body(req)?;
            let keys = match &body {
                Json::Array(_) => key_list(coll, &body)?,
                Json::Object(o) => batch_keys(app, s, c, coll, o).await?,
                _ => return Err(ApiError::invalid_payload("Payload has to be an array of keys or {keys} / {query}")),
            };
            svc::delete_keys(app, s, c, coll, &keys).await?;
            Ok(response::no_content())
        }
        ref m => Err(ApiError::method_not_allowed(m.as_str())),
    }
}

pub async fn item(app: &App, req: &Request<Bytes>, name: &str, id: &str) -> ApiResult<HttpResponse> {
    let caller = super::caller(app, req).await?;
    let schema = app.schema();
    let coll = served_collection(&schema, name)?;
    item_with(app, req, &schema, &caller, coll, id).await
}

/// `/items/{collection}/{id}` (and the system collections' own routes) for `caller`.
pub async fn item_with(
    app: &App,
    req: &Request<Bytes>,
    s: &SchemaSnapshot,
    c: &Caller,
    coll: &Collection,
    id: &str,
) -> ApiResult<HttpResponse> {
    let key = svc::key_value(coll, &Json::String(id.to_string()))?;
    if *req.method() == Method::GET {
        let source = QuerySource::Url(req.uri().query().unwrap_or(""));
        return Ok(response::json_text(svc::read_item(app, s, c, coll, source, key).await?));
    }
    let query = url_query(req)?;
    match *req.method() {
        Method::PATCH => {
            let body = json_body(req)?;
            let key = svc::update_one(app, s, c, coll, key, &body).await?;
            reread_one(app, s, c, coll, &query, key).await
        }
        Method::DELETE => {
            svc::delete_keys(app, s, c, coll, &[key]).await?;
            Ok(response::no_content())
        }
        ref m => Err(ApiError::method_not_allowed(m.as_str())),
    }
}

/// Keys of a `{keys}` or `{query}` batch body.
async fn batch_keys(
    app: &App,
    s: &SchemaSnapshot,
    c: &Caller,
    coll: &Collection,
    body: &serde_json::Map<String, Json>,
) -> ApiResult<Vec<crate::db::Value>> {
    match (body.get("keys"), body.get("query")) {
        (Some(keys), _) => key_list(coll, keys),
        (None, Some(q)) => svc::keys_for_query(app, s, c, coll, &parse_query_json(q)?).await,
        (None, None) => Err(ApiError::invalid_payload("Either \"keys\" or \"query\" is required")),
    }
}

fn key_list(coll: &Collection, keys: &Json) -> ApiResult<Vec<crate::db::Value>> {
    let arr = keys.as_array().ok_or_else(|| ApiError::invalid_payload("\"keys\" has to be an array"))?;
    arr.iter().map(|k| svc::key_value(coll, k)).collect()
}

async fn reread_one(
    app: &App,
    s: &SchemaSnapshot,
    c: &Caller,
    coll: &Collection,
    query: &Query,
    key: crate::db::Value,
) -> ApiResult<HttpResponse> {
    match svc::read_item(app, s, c, coll, QuerySource::Parsed(query), key).await {
        Ok(body) => Ok(response::json_text(body)),
        Err(e) if e.code == ErrorCode::Forbidden => Ok(response::no_content()),
        Err(e) => Err(e),
    }
}

async fn reread_many(
    app: &App,
    s: &SchemaSnapshot,
    c: &Caller,
    coll: &Collection,
    query: &Query,
    keys: &[crate::db::Value],
) -> ApiResult<HttpResponse> {
    // As Directus: a write the caller may not read back answers 204.
    match svc::read_keys(app, s, c, coll, query, keys).await {
        Ok(body) => Ok(response::json_text(body)),
        Err(e) if e.code == ErrorCode::Forbidden => Ok(response::no_content()),
        Err(e) => Err(e),
    }
}

fn url_query(req: &Request<Bytes>) -> ApiResult<Query> {
    parse_query_string(req.uri().query().unwrap_or(""))
}

/// The JSON body; UNSUPPORTED_MEDIA_TYPE unless it is JSON.
fn json_body(req: &Request<Bytes>) -> ApiResult<Json> {
    let body = req.body();
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::invalid_payload("Payload is empty"));
    }
    let content_type = req.headers().get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !content_type.to_ascii_lowercase().starts_with("application/json") {
        return Err(ApiError::new(
            ErrorCode::UnsupportedMediaType,
            format!("Unsupported media type \"{content_type}\"."),
        ));
    }
    serde_json::from_slice(body).map_err(|e| ApiError::invalid_payload(format!("Invalid JSON: {e}")))
}
