//! The D1 driver. Reads run as one prepared statement each. D1 has no
//! interactive transactions, and rectus's nested writes read between
//! statements, so writes answer METHOD_NOT_ALLOWED on D1 for now.

use crate::db::{DbError, DbResult, Dialect, Driver, Rows, Statement, Transaction, Value};
use async_trait::async_trait;
use serde_json::Value as Json;
use wasm_bindgen::JsValue;
use worker::D1Database;

pub struct D1Driver {
    db: D1Database,
}

impl D1Driver {
    pub fn new(db: D1Database) -> Self {
        D1Driver { db }
    }
}

#[async_trait(?Send)]
impl Driver for D1Driver {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    async fn query(&self, stmt: &Statement) -> DbResult<Rows> {
        let args: Vec<JsValue> = stmt.params.iter().map(to_js).collect();
        let prepared = self
            .db
            .prepare(stmt.sql.as_str())
            .bind(&args)
            .map_err(other)?;
        let result = prepared.all().await.map_err(other)?;
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

    async fn begin(&self) -> DbResult<Box<dyn Transaction>> {
        Err(DbError::Unsupported(
            "Writes are not available on D1 yet: this edge deployment is read-only.".into(),
        ))
    }
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
