//! The D1 driver. D1 has no interactive transactions, so a transaction here
//! runs reads as they come and buffers every write; commit sends the writes
//! as one `batch()`, which D1 applies atomically (all or nothing). The items
//! service knows (`interactive_transactions` is false) and never needs a
//! write's result: it assigns keys and checks existence with reads first.

use crate::db::{DbError, DbResult, Dialect, Driver, Rows, Statement, Transaction, Value};
use async_trait::async_trait;
use serde_json::Value as Json;
use std::rc::Rc;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement};

pub struct D1Driver {
    db: Rc<D1Database>,
}

impl D1Driver {
    pub fn new(db: D1Database) -> Self {
        D1Driver { db: Rc::new(db) }
    }
}

#[async_trait(?Send)]
impl Driver for D1Driver {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    async fn query(&self, stmt: &Statement) -> DbResult<Rows> {
        query(&self.db, stmt).await
    }

    async fn begin(&self) -> DbResult<Box<dyn Transaction>> {
        Ok(Box::new(Batch { db: self.db.clone(), writes: Vec::new() }))
    }

    fn interactive_transactions(&self) -> bool {
        false
    }
}

/// Reads run at once; writes wait for `commit`, then run as one D1 batch.
struct Batch {
    db: Rc<D1Database>,
    writes: Vec<Statement>,
}

#[async_trait(?Send)]
impl Transaction for Batch {
    async fn query(&mut self, stmt: &Statement) -> DbResult<Rows> {
        if is_write(&stmt.sql) {
            return Err(DbError::Unsupported("A write's result is not available before a D1 batch commits.".into()));
        }
        query(&self.db, stmt).await
    }

    /// Buffers the write; its changed-row count is not known until commit.
    async fn execute(&mut self, stmt: &Statement) -> DbResult<u64> {
        self.writes.push(stmt.clone());
        Ok(1)
    }

    async fn commit(self: Box<Self>) -> DbResult<()> {
        if self.writes.is_empty() {
            return Ok(());
        }
        let statements = self.writes.iter().map(|w| prepare(&self.db, w)).collect::<DbResult<Vec<_>>>()?;
        self.db.batch(statements).await.map_err(other)?;
        Ok(())
    }

    async fn rollback(self: Box<Self>) -> DbResult<()> {
        // Nothing was sent: dropping the buffer is the rollback.
        Ok(())
    }
}

/// True for statements that change data (buffered until commit).
pub(super) fn is_write(sql: &str) -> bool {
    let sql = sql.trim_start();
    ["INSERT", "UPDATE", "DELETE", "REPLACE"]
        .iter()
        .any(|k| sql.get(..k.len()).is_some_and(|p| p.eq_ignore_ascii_case(k)))
}

/// Bound parameters D1 accepts per statement.
const D1_MAX_PARAMS: usize = 100;

fn prepare(db: &D1Database, stmt: &Statement) -> DbResult<D1PreparedStatement> {
    let stmt = crate::sql::builder::fit_param_limit(stmt, D1_MAX_PARAMS);
    let args: Vec<JsValue> = stmt.params.iter().map(to_js).collect();
    db.prepare(stmt.sql.as_str()).bind(&args).map_err(other)
}

async fn query(db: &D1Database, stmt: &Statement) -> DbResult<Rows> {
    let result = prepare(db, stmt)?.all().await.map_err(other)?;
    let objects: Vec<serde_json::Map<String, Json>> = result.results().map_err(other)?;
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

fn other(e: worker::Error) -> DbError {
    let msg = e.to_string();
    crate::db::classify_sqlite_message(&msg).unwrap_or(DbError::Other(msg))
}
