//! The D1 driver. Every statement is one D1 call. D1 has no interactive
//! transactions, so a "transaction" here runs statements as they come and
//! allows one write: the items service keeps writes to a single statement on
//! such drivers (`interactive_transactions` is false), which makes them
//! atomic. Nested and batch writes need D1's `batch()` and answer
//! METHOD_NOT_ALLOWED for now.

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
        Ok(Box::new(SingleWrite {
            db: self.db.clone(),
            wrote: false,
        }))
    }

    fn interactive_transactions(&self) -> bool {
        false
    }
}

/// Reads as they come plus at most one write, which D1 applies atomically.
struct SingleWrite {
    db: Rc<D1Database>,
    wrote: bool,
}

impl SingleWrite {
    /// Refuses a second write: the first is already applied and could not
    /// be rolled back with it.
    fn count_write(&mut self, stmt: &Statement) -> DbResult<()> {
        let sql = stmt.sql.trim_start();
        let is_write = ["INSERT", "UPDATE", "DELETE", "REPLACE"]
            .iter()
            .any(|k| sql.len() >= k.len() && sql[..k.len()].eq_ignore_ascii_case(k));
        if is_write {
            if self.wrote {
                return Err(DbError::Unsupported(
                    "This write needs several statements, which D1 cannot run atomically yet."
                        .into(),
                ));
            }
            self.wrote = true;
        }
        Ok(())
    }
}

#[async_trait(?Send)]
impl Transaction for SingleWrite {
    async fn query(&mut self, stmt: &Statement) -> DbResult<Rows> {
        self.count_write(stmt)?;
        query(&self.db, stmt).await
    }

    async fn execute(&mut self, stmt: &Statement) -> DbResult<u64> {
        self.count_write(stmt)?;
        let result = prepare(&self.db, stmt)?.run().await.map_err(other)?;
        Ok(result
            .meta()
            .map_err(other)?
            .and_then(|m| m.changes)
            .unwrap_or(0) as u64)
    }

    async fn commit(self: Box<Self>) -> DbResult<()> {
        Ok(())
    }

    async fn rollback(self: Box<Self>) -> DbResult<()> {
        Ok(())
    }
}

fn prepare(db: &D1Database, stmt: &Statement) -> DbResult<D1PreparedStatement> {
    let args: Vec<JsValue> = stmt.params.iter().map(to_js).collect();
    db.prepare(stmt.sql.as_str()).bind(&args).map_err(other)
}

async fn query(db: &D1Database, stmt: &Statement) -> DbResult<Rows> {
    let result = prepare(db, stmt)?.all().await.map_err(other)?;
    let objects: Vec<serde_json::Map<String, Json>> = result.results().map_err(other)?;
    let columns: Vec<String> = objects
        .first()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    let rows = objects
        .into_iter()
        .map(|o| {
            columns
                .iter()
                .map(|c| from_json(o.get(c).unwrap_or(&Json::Null)))
                .collect()
        })
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
        Json::Number(n) => n
            .as_i64()
            .map(Value::Integer)
            .unwrap_or_else(|| Value::Real(n.as_f64().unwrap_or(0.0))),
        Json::String(s) => Value::Text(s.clone()),
        Json::Array(bytes) => Value::Blob(
            bytes
                .iter()
                .filter_map(|b| b.as_u64().map(|x| x as u8))
                .collect(),
        ),
        Json::Object(_) => Value::Text(v.to_string()),
    }
}

fn other(e: worker::Error) -> DbError {
    let msg = e.to_string();
    crate::db::classify_sqlite_message(&msg).unwrap_or(DbError::Other(msg))
}
