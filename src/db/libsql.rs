//! The embedded libSQL/SQLite driver (native only).
//!
//! WAL mode, a small pool of read connections (one per core) and a single
//! writer, so reads never wait behind a global lock. Prepared statements are
//! cached per connection: the compiled SQL of a query shape repeats.

use super::{DbError, DbResult, Dialect, Driver, Rows, Statement, Transaction, Value};
use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::{Mutex, OwnedMutexGuard};

/// Statements kept per connection before the cache is emptied.
const STATEMENT_CACHE_SIZE: usize = 256;

/// One connection with its prepared statements.
struct Conn {
    conn: libsql::Connection,
    statements: HashMap<String, libsql::Statement>,
}

impl Conn {
    async fn open(db: &libsql::Database) -> DbResult<Conn> {
        let conn = db.connect().map_err(map_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(map_err)?;
        // Foreign keys are per connection in SQLite and off by default.
        conn.execute("PRAGMA foreign_keys = ON", ()).await.map_err(map_err)?;
        Ok(Conn { conn, statements: HashMap::new() })
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

/// A libSQL database file served through a reader pool and one writer.
pub struct LibsqlDriver {
    _db: libsql::Database,
    readers: Vec<Mutex<Conn>>,
    next_reader: AtomicUsize,
    writer: Arc<Mutex<Conn>>,
}

impl LibsqlDriver {
    /// Opens (creating when missing) the database file at `path` with
    /// `readers` read connections.
    pub async fn open(path: &str, readers: usize) -> DbResult<LibsqlDriver> {
        let db = libsql::Builder::new_local(path).build().await.map_err(map_err)?;
        let writer = Conn::open(&db).await?;
        // WAL lets readers run while the writer writes. `PRAGMA journal_mode`
        // returns a row, so it goes through query.
        let _ = writer.conn.query("PRAGMA journal_mode = WAL", ()).await;
        writer.conn.execute("PRAGMA synchronous = NORMAL", ()).await.map_err(map_err)?;
        let mut pool = Vec::new();
        for _ in 0..readers.max(1) {
            pool.push(Mutex::new(Conn::open(&db).await?));
        }
        Ok(LibsqlDriver {
            _db: db,
            readers: pool,
            next_reader: AtomicUsize::new(0),
            writer: Arc::new(Mutex::new(writer)),
        })
    }

    /// A free reader if there is one, else the next in turn.
    async fn reader(&self) -> tokio::sync::MutexGuard<'_, Conn> {
        for r in &self.readers {
            if let Ok(guard) = r.try_lock() {
                return guard;
            }
        }
        let i = self.next_reader.fetch_add(1, Ordering::Relaxed) % self.readers.len();
        self.readers[i].lock().await
    }
}

#[async_trait]
impl Driver for LibsqlDriver {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    async fn query(&self, stmt: &Statement) -> DbResult<Rows> {
        self.reader().await.query(stmt).await
    }

    async fn begin(&self) -> DbResult<Box<dyn Transaction>> {
        let guard = self.writer.clone().lock_owned().await;
        guard.conn.execute("BEGIN IMMEDIATE", ()).await.map_err(map_err)?;
        Ok(Box::new(LibsqlTransaction { guard: Some(guard) }))
    }
}

/// A transaction on the writer connection; holds the writer until it ends.
struct LibsqlTransaction {
    guard: Option<OwnedMutexGuard<Conn>>,
}

impl LibsqlTransaction {
    fn conn(&mut self) -> DbResult<&mut Conn> {
        self.guard.as_deref_mut().ok_or_else(|| DbError::Other("transaction already finished".into()))
    }

    async fn finish(&mut self, sql: &str) -> DbResult<()> {
        let guard = self.guard.take().ok_or_else(|| DbError::Other("transaction already finished".into()))?;
        guard.conn.execute(sql, ()).await.map_err(map_err)?;
        Ok(())
    }
}

#[async_trait]
impl Transaction for LibsqlTransaction {
    async fn query(&mut self, stmt: &Statement) -> DbResult<Rows> {
        self.conn()?.query(stmt).await
    }

    async fn execute(&mut self, stmt: &Statement) -> DbResult<u64> {
        self.conn()?.execute(stmt).await
    }

    async fn commit(mut self: Box<Self>) -> DbResult<()> {
        let result = self.finish("COMMIT").await;
        if result.is_err() {
            let _ = self.finish("ROLLBACK").await;
        }
        result
    }

    async fn rollback(mut self: Box<Self>) -> DbResult<()> {
        self.finish("ROLLBACK").await
    }
}

impl Drop for LibsqlTransaction {
    fn drop(&mut self) {
        // A dropped transaction (a failed or cancelled request) must not stay
        // open: roll back before the writer is released to anyone else.
        if let Some(guard) = self.guard.take() {
            if let Ok(handle) = tokio::runtime::Handle::try_current() {
                handle.spawn(async move {
                    let _ = guard.conn.execute("ROLLBACK", ()).await;
                    drop(guard);
                });
            }
        }
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

/// Classifies SQLite's constraint messages (`UNIQUE constraint failed: t.c`).
fn map_err(e: libsql::Error) -> DbError {
    let msg = e.to_string();
    super::classify_sqlite_message(&msg).unwrap_or(DbError::Other(msg))
}
