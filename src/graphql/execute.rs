//! Runs one operation: each concrete root field through the items service
//! (the same compiled statement or write a REST request runs), then
//! apollo-compiler's executor shapes the response from their JSON.

use super::args;
use super::plain;
use super::resolve::{Root, RootResult};
use super::schema::{CallerSchema, RootKind};
use super::select::{self, Ctx};
use crate::access::Caller;
use crate::app::App;
use crate::db::Value;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::items::{self as svc, QuerySource};
use crate::query::{Aggregate, AggregateFunc, Query};
use crate::schema::{Collection, SchemaSnapshot};
use apollo_compiler::executable::{Field, Operation};
use apollo_compiler::resolvers::Execution;
use apollo_compiler::response::JsonValue;
use apollo_compiler::validation::Valid;
use apollo_compiler::ExecutableDocument;
use serde_json::Value as Json;
use std::collections::HashMap;

/// What an operation runs against.
pub struct Request<'a> {
    pub app: &'a App,
    /// The HTTP request (client details and cookies for the auth fields).
    pub http: &'a http::Request<bytes::Bytes>,
    pub schema: &'a SchemaSnapshot,
    pub caller: &'a Caller,
    pub gql: &'a CallerSchema,
    pub document: &'a Valid<ExecutableDocument>,
    pub operation: &'a Operation,
    pub vars: &'a Valid<args::Vars>,
    /// The document's text and the operation's name: with the variables,
    /// what the plans of its root fields are cached under.
    pub text_key: &'a str,
}

/// A root field's answer before the executor sees it.
enum Answer {
    /// The statement's JSON text, already in the response's shape when the
    /// operation is plain.
    Text(String),
    /// JSON that the executor must still shape.
    Value(JsonValue),
}

/// The response body: data, and errors with Directus's codes in `extensions`.
pub async fn run(r: &Request<'_>) -> ApiResult<String> {
    let ctx = Ctx { schema: r.schema, document: r.document, vars: r.vars };
    let mut answers: Vec<(&str, ApiResult<Answer>)> = Vec::new();
    for (key, fields) in select::collect(&ctx, &r.operation.selection_set) {
        let Some(root) = r.gql.roots.get(fields[0].name.as_str()) else {
            continue; // __typename, __schema, __type: the executor answers them.
        };
        // Each root field writes in a transaction of its own: one the
        // database aborted to break a deadlock kept nothing and runs again.
        let mut attempt = 1;
        let outcome = loop {
            let outcome = match (root.kind.is_system(), r.schema.collection(&root.collection)) {
                (true, _) => system_field(r, &ctx, root.kind, fields[0]).await.map(Answer::Value),
                (false, Some(coll)) => root_field(r, &ctx, root.kind, coll, key, &fields).await,
                (false, None) => Err(ApiError::forbidden()),
            };
            match outcome {
                Err(e) if e.code == ErrorCode::TransactionConflict && attempt < crate::rest::CONFLICT_ATTEMPTS => {
                    attempt += 1
                }
                outcome => break outcome,
            }
        };
        // A failed non-null field nulls the whole answer: as in Directus,
        // the mutations after it do not run.
        let stop = outcome.is_err() && r.operation.is_mutation() && fields[0].definition.ty.is_non_null();
        answers.push((key, outcome));
        if stop {
            break;
        }
    }
    if answers.iter().all(|(_, a)| matches!(a, Ok(Answer::Text(_)))) && plain::is_plain(&ctx, r.gql, r.operation) {
        let texts: Vec<(&str, String)> = answers
            .into_iter()
            .filter_map(|(k, a)| match a {
                Ok(Answer::Text(t)) => Some((k, t)),
                _ => None,
            })
            .collect();
        return Ok(plain::body(&texts));
    }
    execute(r, answers)
}

/// The spec's execution over the root fields' answers: `__typename`,
/// fragments, null propagation and result coercion.
fn execute(r: &Request<'_>, answers: Vec<(&str, ApiResult<Answer>)>) -> ApiResult<String> {
    let mut results: HashMap<String, RootResult> = HashMap::new();
    let mut codes: HashMap<String, ApiError> = HashMap::new();
    for (key, answer) in answers {
        let value = match answer {
            Ok(Answer::Text(text)) => Ok(parse(&text)?),
            Ok(Answer::Value(value)) => Ok(value),
            Err(e) => {
                let message = e.message.clone();
                codes.insert(key.to_string(), e);
                Err(message)
            }
        };
        results.insert(key.to_string(), value);
    }
    let root = Root { type_name: r.operation.object_type().as_str(), results: &results };
    let mut response = Execution::new(&r.gql.schema, r.document)
        .implementers_map(&r.gql.implementers)
        .operation(r.operation)
        .coerced_variable_values(r.vars)
        .enable_schema_introspection(true)
        .execute_sync(&root)
        .map_err(|e| ApiError::new(ErrorCode::GraphqlExecution, e.message().to_string()))?;
    for error in &mut response.errors {
        if let Some(message) = error.message.strip_prefix("resolver error: ") {
            error.message = message.to_string();
        }
        let root_key = error.path.first().and_then(|s| match s {
            apollo_compiler::response::ResponseDataPathSegment::Field(name) => Some(name.as_str()),
            _ => None,
        });
        if let Some(e) = root_key.and_then(|k| codes.get(k)) {
            for (k, v) in e.extensions.iter() {
                error.extensions.insert(k.as_str(), serde_json::from_value(v.clone()).unwrap_or(JsonValue::Null));
            }
            error.extensions.insert("code", JsonValue::from(e.code.as_str()));
        }
    }
    Ok(super::response_body(response))
}

/// One root field's answer.
async fn root_field(
    r: &Request<'_>,
    ctx: &Ctx<'_>,
    kind: RootKind,
    coll: &Collection,
    key: &str,
    fields: &[&Field],
) -> ApiResult<Answer> {
    let (app, s, c) = (r.app, r.schema, r.caller);
    let field = fields[0];
    let plan_key = plan_key(r, field, key, kind);
    let query = || select::query_for(ctx, coll, fields);
    let source = QuerySource::Graphql(&plan_key, &query);
    let value = |body: String| data(body).map(Answer::Value);
    match kind {
        RootKind::List => Ok(Answer::Text(svc::read_list_data(app, s, c, coll, source).await?)),
        RootKind::Singleton => value(svc::read_singleton(app, s, c, coll, source).await?),
        RootKind::UsersMe => {
            let user = c.user.clone().ok_or_else(ApiError::forbidden)?;
            Ok(Answer::Text(svc::read_item_data(app, s, c, coll, source, Value::Text(user)).await?))
        }
        RootKind::ById => {
            // As Directus: an item that is not there (or not readable) is
            // null with a FORBIDDEN error.
            let key = svc::key_value(coll, &given(ctx, field, "id"))?;
            Ok(Answer::Text(svc::read_item_data(app, s, c, coll, source, key).await?))
        }
        RootKind::Aggregated => {
            let q = aggregate_query(ctx, field, fields)?;
            let aggregate = || Ok(q.clone());
            let body = svc::read_list(app, s, c, coll, QuerySource::Graphql(&plan_key, &aggregate)).await?;
            Ok(Answer::Value(grouped(data(body)?, &q)))
        }
        _ => write_field(r, ctx, kind, coll, fields).await.map(Answer::Value),
    }
}

/// The plan cache key of one root field: the document, the operation, the
/// response key and the variables, but for an item's `id` variable used
/// nowhere else, so that one plan serves every id.
fn plan_key(r: &Request<'_>, field: &Field, key: &str, kind: RootKind) -> String {
    let id_variable = match field.arguments.iter().find(|a| a.name == "id").map(|a| a.value.as_ref()) {
        Some(apollo_compiler::ast::Value::Variable(name)) if kind == RootKind::ById => {
            Some(name.as_str()).filter(|name| used_once(r.text_key, name))
        }
        _ => None,
    };
    let mut out = format!("graphql\u{0}{}\u{0}{key}", r.text_key);
    for (name, value) in r.vars.iter() {
        if Some(name.as_str()) != id_variable {
            out.push('\u{0}');
            out.push_str(name.as_str());
            out.push('=');
            out.push_str(&serde_json::to_string(value).unwrap_or_default());
        }
    }
    out
}

/// Whether `$name` appears in the text exactly twice (its definition and
/// one use) and every `$` starts a variable name directly, so no other use
/// can hide as `$ name`. Strings and comments holding `$` only make this
/// say no, which is safe.
fn used_once(text: &str, name: &str) -> bool {
    let is_name_char = |c: char| c == '_' || c.is_ascii_alphanumeric();
    let mut uses = 0;
    for (at, _) in text.match_indices('$') {
        let rest = &text[at + 1..];
        if !rest.starts_with(is_name_char) {
            return false;
        }
        if rest.starts_with(name) && !rest[name.len()..].starts_with(is_name_char) {
            uses += 1;
        }
    }
    uses == 2
}

/// A mutation root field: the write, then the written items re-read with
/// the selection.
async fn write_field(
    r: &Request<'_>,
    ctx: &Ctx<'_>,
    kind: RootKind,
    coll: &Collection,
    fields: &[&Field],
) -> ApiResult<JsonValue> {
    let (app, s, c) = (r.app, r.schema, r.caller);
    let field = fields[0];
    match kind {
        RootKind::CreateOne => {
            let payload = given(ctx, field, "data");
            let key = svc::create_one(app, s, c, coll, &payload).await?;
            reread(r, ctx, coll, fields, &[key], true).await
        }
        RootKind::CreateMany => {
            let payload = given(ctx, field, "data");
            let items = payload.as_array().cloned().unwrap_or_default();
            let keys = svc::create_many(app, s, c, coll, &items).await?;
            reread(r, ctx, coll, fields, &keys, false).await
        }
        RootKind::UpdateOne => {
            let id = given(ctx, field, "id");
            let payload = given(ctx, field, "data");
            let key = svc::update_one(app, s, c, coll, svc::key_value(coll, &id)?, &payload).await?;
            reread(r, ctx, coll, fields, &[key], true).await
        }
        RootKind::UpdateMany => {
            let keys = key_list(coll, argument(ctx, field, "ids"))?;
            let payload = given(ctx, field, "data");
            let keys = svc::update_keys(app, s, c, coll, &keys, &payload).await?;
            reread(r, ctx, coll, fields, &keys, false).await
        }
        RootKind::UpdateBatch => {
            let payload = given(ctx, field, "data");
            let items = payload.as_array().cloned().unwrap_or_default();
            let keys = svc::update_batch(app, s, c, coll, &items).await?;
            reread(r, ctx, coll, fields, &keys, false).await
        }
        RootKind::UpdateSingleton => {
            let payload = given(ctx, field, "data");
            let key = svc::upsert_singleton(app, s, c, coll, &payload).await?;
            reread(r, ctx, coll, fields, &[key], true).await
        }
        RootKind::DeleteOne => {
            let id = given(ctx, field, "id");
            svc::delete_keys(app, s, c, coll, &[svc::key_value(coll, &id)?]).await?;
            Ok(JsonValue::from(serde_json_bytes::json!({ "id": id_json(&id) })))
        }
        // Reads are `root_field`'s; the rest `system_field`'s.
        RootKind::List
        | RootKind::Singleton
        | RootKind::UsersMe
        | RootKind::ById
        | RootKind::Aggregated
        | RootKind::ServerInfo
        | RootKind::AuthLogin
        | RootKind::AuthRefresh
        | RootKind::AuthLogout => Err(ApiError::forbidden()),
        RootKind::DeleteMany => {
            let ids = given(ctx, field, "ids");
            let keys = key_list(coll, Some(ids.clone()))?;
            svc::delete_keys(app, s, c, coll, &keys).await?;
            let ids: Vec<JsonValue> = ids.as_array().into_iter().flatten().map(id_json).collect();
            Ok(serde_json_bytes::json!({ "ids": ids }))
        }
    }
}

/// A `/graphql/system` field that is not a collection's: the project's
/// info and the auth mutations (tokens in the body: mode json).
async fn system_field(r: &Request<'_>, ctx: &Ctx<'_>, kind: RootKind, field: &Field) -> ApiResult<JsonValue> {
    use crate::auth::session::{self, Mode};
    let app = r.app;
    let text = |name: &str| argument(ctx, field, name).and_then(|v| v.as_str().map(str::to_string));
    let json_mode = || match text("mode").as_deref() {
        None | Some("json") => Ok(Mode::Json),
        Some(_) => Err(ApiError::invalid_payload("GraphQL answers tokens in the body only: use mode json")),
    };
    let tokens = |t: session::Tokens| serde_json_bytes::json!({"access_token": t.access_token, "expires": t.expires_ms, "refresh_token": t.refresh_token});
    let client = crate::rest::auth::client(r.http);
    match kind {
        RootKind::ServerInfo => {
            let info = crate::rest::server::info_data(app);
            Ok(serde_json::from_value(info).unwrap_or(JsonValue::Null))
        }
        RootKind::AuthLogin => {
            let mode = json_mode()?;
            let (email, password) = (text("email").unwrap_or_default(), text("password").unwrap_or_default());
            Ok(tokens(session::login(app, &email, &password, mode, &client).await?))
        }
        RootKind::AuthRefresh => {
            let mode = json_mode()?;
            let token = refresh_token(r, text("refresh_token"))?;
            Ok(tokens(session::refresh(app, &token, mode, &client).await?))
        }
        RootKind::AuthLogout => {
            let token = refresh_token(r, text("refresh_token"))?;
            session::logout(app, &token).await?;
            Ok(JsonValue::Bool(true))
        }
        _ => Err(ApiError::forbidden()),
    }
}

/// The refresh token given, or the one in the refresh cookie.
fn refresh_token(r: &Request<'_>, given: Option<String>) -> ApiResult<String> {
    given
        .filter(|t| !t.is_empty())
        .or_else(|| crate::auth::request::cookie(r.http, &r.app.config.auth.refresh_cookie_name))
        .ok_or_else(|| ApiError::invalid_payload("The refresh token is required in either the payload or cookie"))
}

/// The items a mutation wrote, read back with its selection; null when the
/// caller may not read them (as Directus).
async fn reread(
    r: &Request<'_>,
    ctx: &Ctx<'_>,
    coll: &Collection,
    fields: &[&Field],
    keys: &[Value],
    one: bool,
) -> ApiResult<JsonValue> {
    if fields[0].selection_set.selections.is_empty() {
        return Ok(JsonValue::Bool(true));
    }
    let mut q = select::query_for(ctx, coll, fields)?;
    q.filter = None;
    q.limit = Some(-1);
    match svc::read_keys(r.app, r.schema, r.caller, coll, &q, keys).await {
        Ok(body) => {
            let rows = data(body)?;
            Ok(match (one, rows) {
                (true, JsonValue::Array(mut items)) if !items.is_empty() => items.swap_remove(0),
                (true, _) => JsonValue::Null,
                (false, rows) => rows,
            })
        }
        Err(e) if e.code == ErrorCode::Forbidden => Ok(JsonValue::Null),
        Err(e) => Err(e),
    }
}

/// A field's argument as JSON (variables put in).
fn argument(ctx: &Ctx, field: &Field, name: &str) -> Option<Json> {
    let arg = field.arguments.iter().find(|a| a.name == name)?;
    args::to_json(&arg.value, ctx.vars)
}

/// A field's argument, null when absent.
fn given(ctx: &Ctx, field: &Field, name: &str) -> Json {
    argument(ctx, field, name).unwrap_or(Json::Null)
}

fn key_list(coll: &Collection, ids: Option<Json>) -> ApiResult<Vec<Value>> {
    match ids {
        Some(Json::Array(items)) => items.iter().map(|k| svc::key_value(coll, k)).collect(),
        Some(single) if !single.is_null() => Ok(vec![svc::key_value(coll, &single)?]),
        _ => Ok(Vec::new()),
    }
}

fn id_json(id: &Json) -> JsonValue {
    match id {
        Json::String(s) => JsonValue::from(s.as_str()),
        other => JsonValue::from(other.to_string().as_str()),
    }
}

/// `X_aggregated(groupBy:, filter:, …) { count { id } sum { price } countAll }`
/// as the REST `aggregate`/`groupBy` query.
fn aggregate_query(ctx: &Ctx, field: &Field, fields: &[&Field]) -> ApiResult<Query> {
    let mut q = select::arguments_query(ctx, field)?;
    if let Some(group) = argument(ctx, field, "groupBy") {
        q.group_by = match group {
            Json::Array(items) => items.iter().filter_map(|g| g.as_str().map(str::to_string)).collect(),
            Json::String(s) => vec![s],
            _ => Vec::new(),
        };
    }
    for f in fields {
        for (_, merged) in select::collect(ctx, &f.selection_set) {
            let Some(func) = AggregateFunc::from_name(merged[0].name.as_str()) else {
                continue; // group, __typename
            };
            if func == AggregateFunc::CountAll {
                push_aggregate(&mut q, func, "*");
                continue;
            }
            for m in &merged {
                for (_, of) in select::collect(ctx, &m.selection_set) {
                    if of[0].name != "__typename" {
                        push_aggregate(&mut q, func, of[0].name.as_str());
                    }
                }
            }
        }
    }
    if q.aggregate.is_empty() {
        // Only `group` asked for: still one row per group.
        push_aggregate(&mut q, AggregateFunc::CountAll, "*");
    }
    Ok(q)
}

fn push_aggregate(q: &mut Query, func: AggregateFunc, field: &str) {
    let agg = Aggregate { func, field: field.to_string() };
    if !q.aggregate.contains(&agg) {
        q.aggregate.push(agg);
    }
}

/// REST's aggregate rows (`{"status": "draft", "count": {"id": 3}}`) in
/// GraphQL's shape (`{"group": {"status": "draft"}, "count": {"id": 3}}`).
fn grouped(rows: JsonValue, q: &Query) -> JsonValue {
    let group_keys: Vec<String> = q.group_by.iter().map(|g| crate::sql::functions::output_name(g)).collect();
    let JsonValue::Array(rows) = rows else {
        return rows;
    };
    let shaped = rows.into_iter().map(|row| {
        let JsonValue::Object(mut obj) = row else {
            return row;
        };
        let mut group = apollo_compiler::response::JsonMap::new();
        for k in &group_keys {
            if let Some(v) = obj.remove(k.as_str()) {
                group.insert(k.as_str(), v);
            }
        }
        if !group_keys.is_empty() {
            obj.insert("group", JsonValue::Object(group));
        }
        JsonValue::Object(obj)
    });
    JsonValue::Array(shaped.collect())
}

/// A statement's JSON text as a value.
fn parse(text: &str) -> ApiResult<JsonValue> {
    serde_json::from_str(text).map_err(|e| ApiError::internal(format!("unreadable read result: {e}")))
}

/// The `data` of a REST body.
fn data(body: String) -> ApiResult<JsonValue> {
    let mut v = parse(&body)?;
    Ok(match &mut v {
        JsonValue::Object(obj) => obj.remove("data").unwrap_or(JsonValue::Null),
        _ => JsonValue::Null,
    })
}

#[cfg(test)]
mod tests {
    use super::used_once;

    #[test]
    fn an_id_variable_is_left_out_of_the_plan_key_only_when_nothing_else_uses_it() {
        let text = "query($id: ID!) { articles_by_id(id: $id) { id } }";
        assert!(used_once(text, "id"));
        assert!(!used_once(
            "query($id: ID!) { a: articles_by_id(id: $id) { id } b: articles(search: $id) { id } }",
            "id"
        ));
        // `$ id` is a use too: any `$` not followed by a name says no.
        assert!(!used_once(
            "query($id: ID!, $s: String) { articles_by_id(id: $id) { id t: title(filter: $ id) } }",
            "id"
        ));
        // `$idx` is another variable.
        assert!(used_once(
            "query($id: ID!, $idx: Int) { articles_by_id(id: $id) { id } x: articles(limit: $idx) { id } }",
            "id"
        ));
    }
}
