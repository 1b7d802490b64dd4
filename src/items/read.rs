//! Reads: run the one compiled statement and wrap its JSON text, unparsed.

use super::db_error;
use crate::app::App;
use crate::db::{Statement, Value};
use crate::error::{ApiError, ApiResult};
use crate::query::Query;
use crate::schema::{Collection, SchemaSnapshot};
use crate::sql::{DATA_COLUMN, FILTER_COUNT_COLUMN, TOTAL_COUNT_COLUMN};

/// The response body of a read, as JSON text.
pub type Body = String;

/// `{"data": [...], "meta": {...}}` for a list or aggregate.
pub async fn read_list(app: &App, schema: &SchemaSnapshot, coll: &Collection, query: &Query) -> ApiResult<Body> {
    let stmt = app.read_ctx(schema).list(coll, query)?;
    let rows = app.driver.query(&stmt).await.map_err(db_error)?;
    let row = rows.rows.first().ok_or_else(|| ApiError::internal("read returned no row"))?;
    let cell = |name: &str| rows.columns.iter().position(|c| c == name).and_then(|i| row.get(i));
    let data = text_of(cell(DATA_COLUMN));
    let mut meta = Vec::new();
    for name in [TOTAL_COUNT_COLUMN, FILTER_COUNT_COLUMN] {
        if let Some(Value::Integer(n)) = cell(name) {
            meta.push(format!("\"{name}\":{n}"));
        }
    }
    Ok(if meta.is_empty() { format!("{{\"data\":{data}}}") } else { format!("{{\"data\":{data},\"meta\":{{{}}}}}", meta.join(",")) })
}

/// `{"data": {...}}` for one item; FORBIDDEN when it does not exist.
pub async fn read_item(app: &App, schema: &SchemaSnapshot, coll: &Collection, query: &Query, key: Value) -> ApiResult<Body> {
    let stmt = app.read_ctx(schema).item(coll, query, key)?;
    match run_single(app, &stmt).await? {
        Some(data) => Ok(format!("{{\"data\":{data}}}")),
        None => Err(ApiError::forbidden()),
    }
}

/// `{"data": [...]}` for the given keys (the re-read after a write).
pub async fn read_keys(app: &App, schema: &SchemaSnapshot, coll: &Collection, query: &Query, keys: &[Value]) -> ApiResult<Body> {
    let stmt = app.read_ctx(schema).items_by_keys(coll, query, keys)?;
    let data = run_single(app, &stmt).await?.unwrap_or_else(|| "[]".into());
    Ok(format!("{{\"data\":{data}}}"))
}

/// A singleton's object: its one row, or its defaults when there is none.
pub async fn read_singleton(app: &App, schema: &SchemaSnapshot, coll: &Collection, query: &Query) -> ApiResult<Body> {
    let mut q = query.clone();
    q.limit = Some(1);
    let stmt = app.read_ctx(schema).item_first(coll, &q)?;
    if let Some(data) = run_single(app, &stmt).await? {
        return Ok(format!("{{\"data\":{data}}}"));
    }
    let defaults: serde_json::Map<String, serde_json::Value> = coll
        .columns()
        .map(|f| (f.name.clone(), f.default_value.clone().unwrap_or(serde_json::Value::Null)))
        .collect();
    Ok(serde_json::json!({ "data": defaults }).to_string())
}

async fn run_single(app: &App, stmt: &Statement) -> ApiResult<Option<String>> {
    let rows = app.driver.query(stmt).await.map_err(db_error)?;
    Ok(rows.scalar().map(|v| text_of(Some(v))))
}

fn text_of(v: Option<&Value>) -> String {
    match v {
        Some(Value::Text(s)) => s.clone(),
        Some(Value::Null) | None => "null".into(),
        Some(other) => other.to_json().to_string(),
    }
}
