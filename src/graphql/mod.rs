//! GraphQL over the same Query AST as REST (`/graphql`): a schema generated
//! per policy set, documents parsed and validated by apollo-compiler, and
//! each root field compiled into the one statement (or write) the
//! equivalent REST request runs, with the caller's permissions inside it.

mod args;
mod cache;
mod execute;
mod plain;
mod request;
mod resolve;
mod schema;
mod select;

pub use cache::GraphqlCache;
pub use schema::Scope;

use crate::app::App;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::rest::response::{self, HttpResponse};
use apollo_compiler::executable::OperationType;
use apollo_compiler::request::coerce_variable_values;
use apollo_compiler::response::{ExecutionResponse, GraphQLError};
use bytes::Bytes;
use http::{Method, Request};
use serde_json::{json, Value as Json};

/// `/graphql` and `/graphql/system`: a query (GET or POST) or a mutation (POST).
pub async fn handle(app: &App, req: &Request<Bytes>, scope: Scope) -> ApiResult<HttpResponse> {
    let params = request::read(req)?;
    let caller = crate::rest::caller(app, req).await?;
    let snapshot = app.schema();
    let gql = app.graphql.schema_for(app, &snapshot, &caller, scope)?;
    let document = app.graphql.document(&gql, &params.query).map_err(validation_error)?;

    let operation = match document.operations.get(params.operation_name.as_deref()) {
        Ok(op) => op,
        Err(_) if *req.method() == Method::GET => return Err(post_only()),
        Err(e) => return Ok(errors_only(vec![internal(e.message().to_string())])),
    };
    if *req.method() == Method::GET && operation.operation_type != OperationType::Query {
        return Err(post_only());
    }
    let vars = match coerce_variable_values(&gql.schema.schema, operation, &params.variables) {
        Ok(v) => v,
        Err(e) => return Ok(errors_only(vec![internal(e.message().to_string())])),
    };
    let text_key = format!("{}\u{0}{}", params.query, params.operation_name.as_deref().unwrap_or(""));
    let run = execute::Request {
        app,
        http: req,
        schema: &snapshot,
        caller: &caller,
        gql: &gql,
        document: &document,
        operation,
        vars: &vars,
        text_key: &text_key,
    };
    Ok(response::json_text(execute::run(&run).await?))
}

/// The executor's response as the body Directus sends: `data` when there
/// is any, `errors` when there are any, each with a code.
fn response_body(response: ExecutionResponse) -> String {
    #[derive(serde::Serialize)]
    struct Body {
        #[serde(skip_serializing_if = "Option::is_none")]
        data: Option<apollo_compiler::response::JsonMap>,
        #[serde(skip_serializing_if = "Option::is_none")]
        errors: Option<Json>,
    }
    let errors = (!response.errors.is_empty()).then(|| errors_json(&response.errors));
    serde_json::to_string(&Body { data: response.data, errors }).unwrap_or_default()
}

/// `/server/specs/graphql[/system]`: the caller's schema as SDL, a download
/// named as Directus names it.
pub async fn sdl(app: &App, req: &Request<Bytes>, scope: Scope) -> ApiResult<HttpResponse> {
    let caller = crate::rest::caller(app, req).await?;
    let gql = app.graphql.schema_for(app, &app.schema(), &caller, scope)?;
    let date = chrono::DateTime::from_timestamp_millis(app.host.now_ms()).map(|d| d.format("%Y-%m-%d").to_string());
    let file = format!("{}_{}.graphql", app.config.project_name, date.unwrap_or_default());
    let mut r = response::with_type(http::StatusCode::OK, "application/octet-stream", gql.sdl.clone().into());
    if let Ok(v) = http::HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
        r.headers_mut().insert(http::header::CONTENT_DISPOSITION, v);
    }
    Ok(r)
}

/// A document that does not parse or validate: 400 GRAPHQL_VALIDATION with
/// each finding under `extensions.errors`, as Directus answers.
fn validation_error(errors: Vec<GraphQLError>) -> ApiError {
    let found: Vec<Json> = errors.iter().map(|e| serde_json::to_value(e).unwrap_or(Json::Null)).collect();
    ApiError::new(ErrorCode::GraphqlValidation, "GraphQL validation error.").with("errors", Json::Array(found))
}

/// Directus lets only queries through GET.
fn post_only() -> ApiError {
    ApiError::new(ErrorCode::MethodNotAllowed, "Invalid method \"GET\" used. Should be one of \"POST\".")
}

/// A request error found before execution (operation name, variables):
/// HTTP 200 with only `errors`, as graphql-js answers inside Directus.
fn internal(message: String) -> Json {
    json!({ "message": message, "extensions": { "code": ErrorCode::Internal.as_str() } })
}

fn errors_only(errors: Vec<Json>) -> HttpResponse {
    response::json(&json!({ "errors": errors }))
}

fn errors_json(errors: &[GraphQLError]) -> Json {
    Json::Array(
        errors
            .iter()
            .map(|e| {
                let mut v = serde_json::to_value(e).unwrap_or(Json::Null);
                if let Some(obj) = v.as_object_mut() {
                    let ext = obj.entry("extensions").or_insert_with(|| json!({}));
                    if let Some(ext) = ext.as_object_mut() {
                        ext.entry("code").or_insert_with(|| json!(ErrorCode::Internal.as_str()));
                    }
                }
                v
            })
            .collect(),
    )
}
