//! One libSQL connection with its prepared statements, as a connection
//! thread owns it. Prepared statements are cached: the compiled SQL of a
//! query shape repeats.

use super::worker::{Op, Output};
use crate::db::{DbError, DbResult, Rows, Statement, Value};
use std::collections::HashMap;

/// Statements kept per connection before the cache is emptied.
const STATEMENT_CACHE_SIZE: usize = 256;

/// SQLite's result code for a statement stopped by `sqlite3_interrupt`.
const SQLITE_INTERRUPT: i32 = 9;

pub struct Conn {
    conn: libsql::Connection,
    statements: HashMap<String, libsql::Statement>,
}

impl Conn {
    /// Opens a connection to `db` with rectus's per-connection settings.
    pub async fn open(db: &libsql::Database) -> DbResult<Conn> {
        let conn = db.connect().map_err(map_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(map_err)?;
        // Foreign keys are per connection in SQLite and off by default.
        conn.execute("PRAGMA foreign_keys = ON", ()).await.map_err(map_err)?;
        Ok(Conn { conn, statements: HashMap::new() })
    }

    /// The connection handle (also what interrupts it from another thread).
    pub fn handle(&self) -> &libsql::Connection {
        &self.conn
    }

    pub async fn run(&mut self, op: &Op) -> DbResult<Output> {
        match op {
            Op::Query(stmt) => self.query(stmt).await.map(Output::Rows),
            Op::Execute(stmt) => self.execute(stmt).await.map(Output::Changed),
            Op::Control(sql) => self.conn.execute(sql, ()).await.map(|_| Output::Done).map_err(map_err),
        }
    }

    async fn prepared(&mut self, sql: &str) -> DbResult<&libsql::Statement> {
        if !self.statements.contains_key(sql) {
            if self.statements.len() >= STATEMENT_CACHE_SIZE {
                self.statements.clear();
            }
            let stmt = self.conn.prepare(sql).await.map_err(map_err)?;
            self.statements.insert(sql.to_string(), stmt);
        }
        let stmt = &self.statements[sql];
        stmt.reset();
        Ok(stmt)
    }

    async fn query(&mut self, stmt: &Statement) -> DbResult<Rows> {
        let prepared = self.prepared(&stmt.sql).await?;
        let mut rows = prepared.query(to_params(&stmt.params)).await.map_err(map_err)?;
        let columns = (0..rows.column_count()).map(|i| rows.column_name(i).unwrap_or("").to_string()).collect();
        let mut out = Rows { columns, rows: Vec::new() };
        while let Some(row) = rows.next().await.map_err(map_err)? {
            let mut values = Vec::with_capacity(out.columns.len());
            for i in 0..row.column_count() {
                values.push(from_libsql(row.get_value(i).map_err(map_err)?));
            }
            out.rows.push(values);
        }
        Ok(out)
    }

    async fn execute(&mut self, stmt: &Statement) -> DbResult<u64> {
        let prepared = self.prepared(&stmt.sql).await?;
        let n = prepared.execute(to_params(&stmt.params)).await.map_err(map_err)?;
        Ok(n as u64)
    }
}

fn to_params(values: &[Value]) -> Vec<libsql::Value> {
    values.iter().map(to_libsql).collect()
}

/// One core value as libSQL's.
pub fn to_libsql(v: &Value) -> libsql::Value {
    match v {
        Value::Null => libsql::Value::Null,
        Value::Integer(i) => libsql::Value::Integer(*i),
        Value::Real(f) => libsql::Value::Real(*f),
        Value::Text(s) => libsql::Value::Text(s.clone()),
        Value::Blob(b) => libsql::Value::Blob(b.clone()),
    }
}

fn from_libsql(v: libsql::Value) -> Value {
    match v {
        libsql::Value::Null => Value::Null,
        libsql::Value::Integer(i) => Value::Integer(i),
        libsql::Value::Real(f) => Value::Real(f),
        libsql::Value::Text(s) => Value::Text(s),
        libsql::Value::Blob(b) => Value::Blob(b),
    }
}

/// Classifies SQLite's errors: constraint messages (`UNIQUE constraint
/// failed: t.c`) and interrupted statements.
pub fn map_err(e: libsql::Error) -> DbError {
    if let libsql::Error::SqliteFailure(code, _) = &e {
        if code & 0xff == SQLITE_INTERRUPT {
            return DbError::Interrupted;
        }
    }
    let msg = e.to_string();
    crate::db::classify_sqlite_message(&msg).unwrap_or(DbError::Other(msg))
}
