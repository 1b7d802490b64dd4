//! The D1 backend: one D1 call per read; the writes of a request go out as
//! one `batch()`, which D1 applies atomically (all or nothing). A request
//! runs in a D1 session (Sessions API): its reads may be served by the
//! nearest read replica, never older than the bookmark the client sent.

use super::buffered::{db_error, Backend, BufferedDriver};
use crate::db::{DbResult, Rows, Statement, Value};
use async_trait::async_trait;
use serde_json::Value as Json;
use std::rc::Rc;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1DatabaseSession, D1PreparedStatement};

/// The driver over a D1 binding.
pub type D1Driver = BufferedDriver<D1>;

/// Where statements go: the database itself (its primary), or a session.
pub enum D1 {
    Database(D1Database),
    Session(Rc<D1DatabaseSession>),
}

/// The driver for the worker's D1 binding.
pub fn driver(db: D1Database) -> D1Driver {
    BufferedDriver::new(D1::Database(db))
}

/// The driver of one request, through its session.
pub fn session_driver(session: Rc<D1DatabaseSession>) -> D1Driver {
    BufferedDriver::new(D1::Session(session))
}

/// A bookmark as D1 writes them (`0000000a-00000002-00004f6a-<hex>`):
/// anything else from a client is refused before it reaches D1.
pub fn is_bookmark(text: &str) -> bool {
    !text.is_empty() && text.len() <= 128 && text.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
}

impl D1 {
    fn prepare_sql(&self, sql: &str) -> D1PreparedStatement {
        match self {
            D1::Database(db) => db.prepare(sql),
            D1::Session(session) => session.prepare(sql),
        }
    }
}

#[async_trait(?Send)]
impl Backend for D1 {
    async fn read(&self, stmt: &Statement) -> DbResult<Rows> {
        query(self, stmt).await
    }

    async fn write_all(&self, writes: Vec<Statement>) -> DbResult<()> {
        let statements = writes.iter().map(|w| prepare(self, w)).collect::<DbResult<Vec<_>>>()?;
        match self {
            D1::Database(db) => db.batch(statements).await,
            D1::Session(session) => session.batch(statements).await,
        }
        .map_err(db_error)?;
        Ok(())
    }
}

/// Bound parameters D1 accepts per statement.
const D1_MAX_PARAMS: usize = 100;

fn prepare(db: &D1, stmt: &Statement) -> DbResult<D1PreparedStatement> {
    let stmt = crate::sql::builder::fit_param_limit(stmt, D1_MAX_PARAMS);
    let args: Vec<JsValue> = stmt.params.iter().map(to_js).collect();
    db.prepare_sql(&stmt.sql).bind(&args).map_err(db_error)
}

async fn query(db: &D1, stmt: &Statement) -> DbResult<Rows> {
    let result = prepare(db, stmt)?.all().await.map_err(db_error)?;
    let objects: Vec<serde_json::Map<String, Json>> = result.results().map_err(db_error)?;
    let columns: Vec<String> = objects.first().map(|o| o.keys().cloned().collect()).unwrap_or_default();
    let rows = objects
        .into_iter()
        .map(|o| columns.iter().map(|c| from_json(o.get(c).unwrap_or(&Json::Null))).collect())
        .collect();
    Ok(Rows { columns, rows })
}

fn to_js(v: &Value) -> JsValue {
    match v {
        Value::Null => JsValue::null(),
        // D1 numbers are JS doubles: integers are exact up to 2^53.
        Value::Integer(i) => JsValue::from_f64(*i as f64),
        Value::Real(f) => JsValue::from_f64(*f),
        Value::Text(s) => JsValue::from_str(s),
        Value::Blob(b) => js_sys::Uint8Array::from(b.as_slice()).into(),
    }
}

fn from_json(v: &Json) -> Value {
    match v {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Integer(*b as i64),
        Json::Number(n) => n.as_i64().map(Value::Integer).unwrap_or_else(|| Value::Real(n.as_f64().unwrap_or(0.0))),
        Json::String(s) => Value::Text(s.clone()),
        Json::Array(bytes) => Value::Blob(bytes.iter().filter_map(|b| b.as_u64().map(|x| x as u8)).collect()),
        Json::Object(_) => Value::Text(v.to_string()),
    }
}
