//! A GraphQL request's parameters from GET (`?query=&variables=&operationName=`)
//! or a POST JSON body, with Directus's errors for what is missing.

use crate::error::{ApiError, ApiResult, ErrorCode};
use apollo_compiler::response::JsonMap;
use bytes::Bytes;
use http::{Method, Request};
use serde_json::Value as Json;

pub struct Params {
    pub query: String,
    pub variables: JsonMap,
    pub operation_name: Option<String>,
}

pub fn read(req: &Request<Bytes>) -> ApiResult<Params> {
    let (query, variables, operation_name) = match *req.method() {
        Method::GET => {
            let params = crate::query::qs::parse(req.uri().query().unwrap_or(""));
            let text = |k: &str| params.get(k).and_then(Json::as_str).filter(|s| !s.is_empty()).map(str::to_string);
            let variables = match text("variables") {
                Some(raw) => Some(
                    serde_json::from_str::<Json>(&raw)
                        .map_err(|_| ApiError::invalid_query("Variables are invalid JSON"))?,
                ),
                None => None,
            };
            (text("query"), variables, text("operationName"))
        }
        Method::POST => {
            let body = json_body(req)?;
            let text = |k: &str| body.get(k).and_then(Json::as_str).filter(|s| !s.is_empty()).map(str::to_string);
            (text("query"), body.get("variables").cloned(), text("operationName"))
        }
        ref m => {
            return Err(ApiError::new(
                ErrorCode::MethodNotAllowed,
                format!("Invalid method \"{m}\" used. Should be one of \"GET\", \"POST\"."),
            ))
        }
    };
    let query = query.ok_or_else(|| ApiError::invalid_payload("Must provide query string"))?;
    let variables = match variables {
        None | Some(Json::Null) => JsonMap::new(),
        Some(Json::Object(map)) => {
            serde_json::from_value(Json::Object(map)).map_err(|_| ApiError::invalid_query("Variables are invalid JSON"))?
        }
        Some(_) => {
            return Err(ApiError::new(ErrorCode::GraphqlExecution, "GraphQL execution error.").with(
                "errors",
                serde_json::json!(["Variables must be provided as an Object where each property is a variable value. Perhaps look to see if an unparsed JSON string was provided."]),
            ))
        }
    };
    Ok(Params { query, variables, operation_name })
}

/// A POST body: JSON is read; any other type carries no query (Directus
/// parses only JSON bodies).
fn json_body(req: &Request<Bytes>) -> ApiResult<Json> {
    let content_type = req.headers().get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !content_type.to_ascii_lowercase().starts_with("application/json") || req.body().is_empty() {
        return Ok(Json::Null);
    }
    serde_json::from_slice(req.body()).map_err(|e| ApiError::invalid_payload(format!("Invalid JSON: {e}")))
}
