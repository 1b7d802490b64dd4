//! The embedded libSQL/SQLite driver (native only).
//!
//! WAL mode, a pool of read connections and a single writer, each connection
//! on a thread of its own (see `worker`): reads never wait behind a global
//! lock, and a slow statement occupies one connection thread, never the
//! async runtime. Every statement has a time budget; one that outlives it,
//! or whose request went away, is interrupted inside SQLite.

mod conn;
mod worker;

pub use conn::to_libsql;

use super::{DbError, DbResult, Dialect, Driver, Rows, Statement, Transaction};
use async_trait::async_trait;
use conn::{map_err, Conn};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, OwnedMutexGuard};
use worker::{Job, Op, Opener, Output, Pool, Slot};

/// How the driver uses the database file.
#[derive(Debug, Clone)]
pub struct DriverOptions {
    /// Read connections kept open.
    pub readers: usize,
    /// Most read connections open at once (more are opened while slow
    /// statements hold the others).
    pub max_readers: usize,
    /// Time budget of one statement.
    pub statement_timeout: Duration,
}

impl Default for DriverOptions {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        DriverOptions { readers: cores, max_readers: 32, statement_timeout: Duration::from_secs(5) }
    }
}

/// A libSQL database file served through a reader pool and one writer.
pub struct LibsqlDriver {
    inner: Arc<Inner>,
}

struct Inner {
    readers: Arc<Pool>,
    writer: Arc<Pool>,
    /// Held by the open transaction: one at a time on the one writer.
    writer_lock: Arc<Mutex<()>>,
    budget: Duration,
}

impl LibsqlDriver {
    /// Opens the database file at `path` (SQLite creates it when missing;
    /// the host decides whether that is allowed).
    pub async fn open(path: &str, options: &DriverOptions) -> DbResult<LibsqlDriver> {
        let db = Arc::new(libsql::Builder::new_local(path).build().await.map_err(map_err)?);
        // WAL lets readers run while the writer writes. It is a property of
        // the file, set once; `PRAGMA journal_mode` returns a row.
        let setup = db.connect().map_err(map_err)?;
        let _ = setup.query("PRAGMA journal_mode = WAL", ()).await;
        drop(setup);
        let readers = Pool::start("reader", opener(&db, &[]), options.readers, options.max_readers)?;
        let writer = Pool::start("writer", opener(&db, &["PRAGMA synchronous = NORMAL"]), 1, 1)?;
        Ok(LibsqlDriver {
            inner: Arc::new(Inner {
                readers,
                writer,
                writer_lock: Arc::new(Mutex::new(())),
                budget: options.statement_timeout,
            }),
        })
    }

    /// SQLite's `data_version` on the writer connection: it moves when
    /// another connection (another process on the file) commits, never for
    /// rectus's own writes, which all run on the writer.
    pub async fn foreign_data_version(&self) -> DbResult<i64> {
        let _writer = self.inner.writer_lock.lock().await;
        let rows = self.inner.query(&self.inner.writer, &Statement::new("PRAGMA data_version")).await?;
        rows.scalar()
            .and_then(|v| v.as_i64())
            .ok_or_else(|| DbError::Other("PRAGMA data_version returned nothing".into()))
    }

    /// Read connections open right now.
    pub fn open_readers(&self) -> usize {
        self.inner.readers.size()
    }
}

/// Opens connections to `db` on the calling (connection) thread.
fn opener(db: &Arc<libsql::Database>, pragmas: &'static [&'static str]) -> Opener {
    let db = db.clone();
    Arc::new(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .map_err(|e| DbError::Other(format!("cannot start a connection thread: {e}")))?;
        rt.block_on(async {
            let conn = Conn::open(&db).await?;
            for pragma in pragmas {
                conn.handle().execute(pragma, ()).await.map_err(map_err)?;
            }
            Ok(conn)
        })
    })
}

impl Inner {
    /// Runs `op` on a connection of `pool` within `budget`. Dropping the
    /// returned future (the client went away) stops the statement too.
    async fn run(&self, pool: &Pool, op: Op, budget: Option<Duration>) -> DbResult<Output> {
        let slot = Slot::new();
        let (reply, answer) = tokio::sync::oneshot::channel();
        pool.submit(Job { op, slot: slot.clone(), reply })?;
        let _cancel = CancelOnDrop(slot);
        let answer = match budget {
            Some(budget) => match tokio::time::timeout(budget, answer).await {
                Ok(answer) => answer,
                Err(_) => return Err(DbError::Timeout { ms: budget.as_millis() as u64 }),
            },
            None => answer.await,
        };
        answer.unwrap_or_else(|_| Err(DbError::Other("the connection thread stopped".into())))
    }

    async fn query(&self, pool: &Pool, stmt: &Statement) -> DbResult<Rows> {
        tracing::trace!(sql = %stmt.sql, params = ?stmt.params, "query");
        match self.run(pool, Op::Query(stmt.clone()), Some(self.budget)).await? {
            Output::Rows(rows) => Ok(rows),
            _ => Ok(Rows::default()),
        }
    }
}

/// Cancels a job when the request awaiting it ends, however it ends: a no-op
/// once the job has finished.
struct CancelOnDrop(Arc<Slot>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

#[async_trait]
impl Driver for LibsqlDriver {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    async fn query(&self, stmt: &Statement) -> DbResult<Rows> {
        self.inner.query(&self.inner.readers, stmt).await
    }

    async fn begin(&self) -> DbResult<Box<dyn Transaction>> {
        let guard = self.inner.writer_lock.clone().lock_owned().await;
        let tx = LibsqlTransaction { inner: self.inner.clone(), guard: Some(guard) };
        tx.inner.run(&tx.inner.writer, Op::Control("BEGIN IMMEDIATE"), Some(tx.inner.budget)).await?;
        Ok(Box::new(tx))
    }
}

/// A transaction on the writer connection; holds the writer until it ends.
struct LibsqlTransaction {
    inner: Arc<Inner>,
    guard: Option<OwnedMutexGuard<()>>,
}

impl LibsqlTransaction {
    fn check_open(&self) -> DbResult<()> {
        match self.guard {
            Some(_) => Ok(()),
            None => Err(DbError::Other("transaction already finished".into())),
        }
    }

    /// Runs COMMIT or ROLLBACK (no time budget: ending must not be cut short).
    async fn finish(&mut self, sql: &'static str) -> DbResult<()> {
        self.check_open()?;
        let result = self.inner.run(&self.inner.writer, Op::Control(sql), None).await.map(drop);
        if result.is_ok() {
            self.guard = None;
        }
        result
    }
}

#[async_trait]
impl Transaction for LibsqlTransaction {
    async fn query(&mut self, stmt: &Statement) -> DbResult<Rows> {
        self.check_open()?;
        self.inner.query(&self.inner.writer, stmt).await
    }

    async fn execute(&mut self, stmt: &Statement) -> DbResult<u64> {
        self.check_open()?;
        match self.inner.run(&self.inner.writer, Op::Execute(stmt.clone()), Some(self.inner.budget)).await? {
            Output::Changed(n) => Ok(n),
            _ => Ok(0),
        }
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
        // A transaction dropped while open (a failed or cancelled request)
        // is rolled back. The ROLLBACK is queued on the writer before the
        // writer lock is released, so the next transaction's BEGIN runs after it.
        if let Some(guard) = self.guard.take() {
            let (reply, _) = tokio::sync::oneshot::channel();
            let _ = self.inner.writer.submit(Job { op: Op::Control("ROLLBACK"), slot: Slot::new(), reply });
            drop(guard);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{guard_statement, DbError, Value};

    /// A buffered guard (what D1 runs inside its batch) must fail when its
    /// check finds no row, on a real SQLite engine.
    #[tokio::test]
    async fn a_guard_statement_fails_without_a_row() {
        let path = std::env::temp_dir().join(format!("rectus-guard-{}.db", std::process::id()));
        let driver = LibsqlDriver::open(path.to_str().unwrap(), &DriverOptions::default()).await.unwrap();
        let empty = guard_statement(&Statement::with_params("SELECT 1 WHERE ?1 = 2", vec![Value::Integer(1)]));
        assert!(matches!(driver.query(&empty).await, Err(DbError::Guard)));
        let found = guard_statement(&Statement::with_params("SELECT 1 WHERE ?1 = 1", vec![Value::Integer(1)]));
        assert_eq!(driver.query(&found).await.unwrap().rows.len(), 1);
        let _ = std::fs::remove_file(&path);
    }
}
