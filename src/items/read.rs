//! Reads: run the one compiled statement and wrap its JSON text, unparsed.
//! Plans for raw URL queries are cached, so a repeated shape skips parsing
//! and compiling.

use super::db_error;
use crate::access::Caller;
use crate::app::App;
use crate::cache::PlanKind;
use crate::db::{Statement, Value};
use crate::error::{ApiError, ApiResult};
use crate::query::{parse_query_string, Query};
use crate::schema::{Collection, SchemaSnapshot};
use crate::sql::{Plan, DATA_COLUMN, FILTER_COUNT_COLUMN, TOTAL_COUNT_COLUMN};
use std::sync::Arc;

/// The response body of a read, as JSON text.
pub type Body = String;

/// Where a read's query comes from.
#[derive(Clone, Copy)]
pub enum QuerySource<'q> {
    /// A raw URL query string: its plan is cached.
    Url(&'q str),
    /// An already parsed query (SEARCH bodies, re-reads after writes).
    Parsed(&'q Query),
    /// A GraphQL field: its plan is cached under a key naming everything the
    /// query is built from, so the query is built only when no plan is
    /// cached; the statement writes IDs and big integers as GraphQL does.
    Graphql(&'q str, &'q (dyn Fn() -> ApiResult<Query> + Sync)),
}

/// The plan for `source`, from the cache when the source is a URL.
fn plan(
    app: &App,
    schema: &SchemaSnapshot,
    caller: &Caller,
    coll: &Collection,
    kind: PlanKind,
    source: QuerySource,
    key: Option<Value>,
) -> ApiResult<Arc<Plan>> {
    let compile = |q: &Query| -> ApiResult<Plan> {
        let mut ctx = app.read_ctx(schema, caller);
        ctx.graphql_scalars = matches!(source, QuerySource::Graphql(..));
        match (kind, key.clone()) {
            (PlanKind::Item, Some(k)) => ctx.item(coll, q, k),
            (PlanKind::Singleton, _) => {
                let mut first = q.clone();
                first.limit = Some(1);
                Ok(Plan { compiled: ctx.item_first(coll, &first)?, key_slot: None })
            }
            _ => Ok(Plan { compiled: ctx.list(coll, q)?, key_slot: None }),
        }
    };
    let context = || format!("{}\u{0}{}\u{0}{}", schema.hash, app.access().fingerprint, caller.plan_key());
    match source {
        QuerySource::Url(raw) => {
            app.plans.get_or_compile(&context(), &coll.name, kind, raw, || compile(&parse_query_string(raw)?))
        }
        QuerySource::Graphql(key, build) => {
            app.plans.get_or_compile(&context(), &coll.name, kind, key, || compile(&build()?))
        }
        QuerySource::Parsed(q) => compile(q).map(Arc::new),
    }
}

/// `{"data": [...], "meta": {...}}` for a list or aggregate.
pub async fn read_list(
    app: &App,
    schema: &SchemaSnapshot,
    caller: &Caller,
    coll: &Collection,
    source: QuerySource<'_>,
) -> ApiResult<Body> {
    let (data, meta) = list(app, schema, caller, coll, source).await?;
    Ok(if meta.is_empty() { wrap_data(&data) } else { format!("{{\"data\":{data},\"meta\":{{{}}}}}", meta.join(",")) })
}

/// The `data` of a list or aggregate alone, as JSON text.
pub async fn read_list_data(
    app: &App,
    schema: &SchemaSnapshot,
    caller: &Caller,
    coll: &Collection,
    source: QuerySource<'_>,
) -> ApiResult<String> {
    Ok(list(app, schema, caller, coll, source).await?.0)
}

/// A list's data and its `meta` members (`"total_count":3`), when asked for.
async fn list(
    app: &App,
    schema: &SchemaSnapshot,
    caller: &Caller,
    coll: &Collection,
    source: QuerySource<'_>,
) -> ApiResult<(String, Vec<String>)> {
    let vars = caller.vars(app.host.now_ms());
    let stmt = plan(app, schema, caller, coll, PlanKind::List, source, None)?.bind(None, &vars);
    let rows = caller.query(app.driver.as_ref(), &stmt).await.map_err(db_error)?;
    let position = |name: &str| rows.columns.iter().position(|c| c == name);
    let (data_at, counts) =
        (position(DATA_COLUMN), [TOTAL_COUNT_COLUMN, FILTER_COUNT_COLUMN].map(|n| (n, position(n))));
    let mut row = rows.rows.into_iter().next().ok_or_else(|| ApiError::internal("read returned no row"))?;
    let mut meta = Vec::new();
    for (name, at) in counts {
        if let Some(Value::Integer(n)) = at.and_then(|i| row.get(i)) {
            meta.push(format!("\"{name}\":{n}"));
        }
    }
    let data = into_text(data_at.map(|i| std::mem::take(&mut row[i])).unwrap_or(Value::Null));
    Ok((data, meta))
}

/// `{"data": {...}}` for one item; FORBIDDEN when it does not exist.
pub async fn read_item(
    app: &App,
    schema: &SchemaSnapshot,
    caller: &Caller,
    coll: &Collection,
    source: QuerySource<'_>,
    key: Value,
) -> ApiResult<Body> {
    Ok(wrap_data(&read_item_data(app, schema, caller, coll, source, key).await?))
}

/// One item's object alone, as JSON text; FORBIDDEN when it does not exist.
pub async fn read_item_data(
    app: &App,
    schema: &SchemaSnapshot,
    caller: &Caller,
    coll: &Collection,
    source: QuerySource<'_>,
    key: Value,
) -> ApiResult<String> {
    let vars = caller.vars(app.host.now_ms());
    let stmt = plan(app, schema, caller, coll, PlanKind::Item, source, Some(key.clone()))?.bind(Some(key), &vars);
    run_single(app, caller, &stmt).await?.ok_or_else(ApiError::forbidden)
}

/// `{"data": [...]}` for the given keys (the re-read after a write).
pub async fn read_keys(
    app: &App,
    schema: &SchemaSnapshot,
    caller: &Caller,
    coll: &Collection,
    query: &Query,
    keys: &[Value],
) -> ApiResult<Body> {
    let vars = caller.vars(app.host.now_ms());
    let stmt = app.read_ctx(schema, caller).items_by_keys(coll, query, keys)?.bind(&vars);
    let data = run_single(app, caller, &stmt).await?.unwrap_or_else(|| "[]".into());
    Ok(wrap_data(&data))
}

/// A singleton's object: its one row, or its defaults when there is none.
pub async fn read_singleton(
    app: &App,
    schema: &SchemaSnapshot,
    caller: &Caller,
    coll: &Collection,
    source: QuerySource<'_>,
) -> ApiResult<Body> {
    let vars = caller.vars(app.host.now_ms());
    let stmt = plan(app, schema, caller, coll, PlanKind::Singleton, source, None)?.bind(None, &vars);
    if let Some(data) = run_single(app, caller, &stmt).await? {
        return Ok(wrap_data(&data));
    }
    let defaults: serde_json::Map<String, serde_json::Value> =
        coll.columns().map(|f| (f.name.clone(), f.default_value.clone().unwrap_or(serde_json::Value::Null))).collect();
    Ok(serde_json::json!({ "data": defaults }).to_string())
}

/// The first cell of the statement's first row, when there is a row.
async fn run_single(app: &App, caller: &Caller, stmt: &Statement) -> ApiResult<Option<String>> {
    let rows = caller.query(app.driver.as_ref(), stmt).await.map_err(db_error)?;
    Ok(rows.rows.into_iter().next().map(|row| into_text(row.into_iter().next().unwrap_or(Value::Null))))
}

/// A cell holding JSON text, as that text (moved, not copied).
fn into_text(v: Value) -> String {
    match v {
        Value::Text(s) => s,
        Value::Null => "null".into(),
        other => other.to_json().to_string(),
    }
}

/// `{"data":` + the JSON text + `}` in one allocation.
fn wrap_data(data: &str) -> String {
    let mut body = String::with_capacity(data.len() + 9);
    body.push_str("{\"data\":");
    body.push_str(data);
    body.push('}');
    body
}
