//! A `Driver` for edge databases without interactive transactions (D1,
//! Durable-Object SQLite): reads run as they come, writes are buffered and
//! sent together at commit, which the backend applies atomically. The items
//! service knows (`interactive_transactions` is false) and never needs a
//! write's result: it assigns keys and checks existence with reads first.

use crate::db::{DbError, DbResult, Dialect, Driver, Rows, Statement, Transaction};
use async_trait::async_trait;
use std::rc::Rc;

/// What an edge backend provides.
#[async_trait(?Send)]
pub(super) trait Backend {
    /// Runs one read.
    async fn read(&self, stmt: &Statement) -> DbResult<Rows>;
    /// Applies all the writes atomically, or none of them.
    async fn write_all(&self, writes: Vec<Statement>) -> DbResult<()>;
}

/// A backend as the core's `Driver`.
pub(super) struct BufferedDriver<B: Backend> {
    backend: Rc<B>,
}

impl<B: Backend> BufferedDriver<B> {
    pub(super) fn new(backend: B) -> Self {
        BufferedDriver { backend: Rc::new(backend) }
    }
}

#[async_trait(?Send)]
impl<B: Backend + 'static> Driver for BufferedDriver<B> {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    async fn query(&self, stmt: &Statement) -> DbResult<Rows> {
        self.backend.read(stmt).await
    }

    async fn begin(&self) -> DbResult<Box<dyn Transaction>> {
        Ok(Box::new(Buffered { backend: self.backend.clone(), writes: Vec::new() }))
    }

    fn interactive_transactions(&self) -> bool {
        false
    }
}

/// Reads run at once; writes wait for `commit`.
struct Buffered<B: Backend> {
    backend: Rc<B>,
    writes: Vec<Statement>,
}

#[async_trait(?Send)]
impl<B: Backend + 'static> Transaction for Buffered<B> {
    async fn query(&mut self, stmt: &Statement) -> DbResult<Rows> {
        if crate::sql::tables::written_by(&stmt.sql).is_some() {
            return Err(DbError::Unsupported("A write's result is not available before the batch commits.".into()));
        }
        self.backend.read(stmt).await
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
        self.backend.write_all(self.writes).await
    }

    async fn rollback(self: Box<Self>) -> DbResult<()> {
        // Nothing was sent: dropping the buffer is the rollback.
        Ok(())
    }

    /// Sent with the batch: it fails the whole batch unless it finds a row.
    async fn guard(&mut self, stmt: &Statement) -> DbResult<()> {
        self.writes.push(crate::db::guard_statement(stmt));
        Ok(())
    }
}

/// Classifies a runtime error like SQLite's messages.
pub(super) fn db_error(e: worker::Error) -> DbError {
    let msg = e.to_string();
    crate::db::classify_sqlite_message(&msg).unwrap_or(DbError::Other(msg))
}
