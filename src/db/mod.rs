//! The database seam: the [`Driver`] trait the core talks to, and its values.
//!
//! The core never sees a backend type. A host (native or edge) hands the core
//! a `Driver`; statements arrive as SQL text built from the schema snapshot
//! plus bound parameters.

#[cfg(not(target_arch = "wasm32"))]
pub mod libsql;
pub mod mysql;
#[cfg(not(target_arch = "wasm32"))]
mod pool_options;
#[cfg(not(target_arch = "wasm32"))]
pub use pool_options::PoolOptions;
pub mod postgres;
mod sqlite_errors;
pub use sqlite_errors::classify_sqlite_message;
mod value;

pub use value::{compact_json, Value};

use async_trait::async_trait;

/// A boxed future, `Send` where the target has threads (native) and not on
/// wasm32, where JS-backed futures cannot be.
#[cfg(not(target_arch = "wasm32"))]
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;
#[cfg(target_arch = "wasm32")]
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + 'a>>;

/// `Send + Sync` on native targets, nothing on wasm32: JS-backed handles
/// (D1, KV) are single-threaded and cannot be `Send`.
#[cfg(not(target_arch = "wasm32"))]
pub trait MaybeSendSync: Send + Sync {}
#[cfg(not(target_arch = "wasm32"))]
impl<T: Send + Sync + ?Sized> MaybeSendSync for T {}
#[cfg(target_arch = "wasm32")]
pub trait MaybeSendSync {}
#[cfg(target_arch = "wasm32")]
impl<T: ?Sized> MaybeSendSync for T {}

/// `Send` on native targets, nothing on wasm32.
#[cfg(not(target_arch = "wasm32"))]
pub trait MaybeSend: Send {}
#[cfg(not(target_arch = "wasm32"))]
impl<T: Send + ?Sized> MaybeSend for T {}
#[cfg(target_arch = "wasm32")]
pub trait MaybeSend {}
#[cfg(target_arch = "wasm32")]
impl<T: ?Sized> MaybeSend for T {}

/// One SQL statement with its bound parameters. The SQL text is shared, so
/// binding a cached plan or handing it to a connection thread copies none of it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Statement {
    pub sql: std::sync::Arc<str>,
    pub params: Vec<Value>,
}

impl Statement {
    pub fn new(sql: impl Into<String>) -> Self {
        Statement { sql: sql.into().into(), params: Vec::new() }
    }
    pub fn with_params(sql: impl Into<String>, params: Vec<Value>) -> Self {
        Statement { sql: sql.into().into(), params }
    }
}

/// The header a client sends back to read at least what it saw before (a
/// D1 session bookmark), and in which it gets the latest one.
pub const BOOKMARK_HEADER: &str = "x-d1-bookmark";

/// A result set, fully read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rows {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

impl Rows {
    /// The first cell of the first row, when there is one.
    pub fn scalar(&self) -> Option<&Value> {
        self.rows.first().and_then(|r| r.first())
    }
}

/// What went wrong in the database, classified so the API can answer with the
/// right Directus error.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DbError {
    #[error("unique constraint failed on {collection}.{field}")]
    Unique { collection: String, field: String },
    #[error("not null constraint failed on {collection}.{field}")]
    NotNull { collection: String, field: String },
    #[error("foreign key constraint failed")]
    ForeignKey,
    /// The backend cannot do this (yet), e.g. interactive transactions on D1.
    #[error("{0}")]
    Unsupported(String),
    /// The statement ran out of its time budget and was stopped.
    #[error("statement timed out after {ms} ms")]
    Timeout { ms: u64 },
    /// The statement was stopped because its request went away.
    #[error("statement interrupted")]
    Interrupted,
    /// A guard of the transaction found no row (a permission rule on what
    /// the transaction wrote did not hold).
    #[error("a guard of the transaction failed")]
    Guard,
    /// The database cannot be reached (down, restarting, out of connections).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The database gave the transaction up to break a deadlock (or a
    /// serialization conflict) and kept nothing of it: it may run again.
    #[error("transaction conflict: {0}")]
    Conflict(String),
    /// A value the database could not take as its column's type.
    #[error("invalid value: {0}")]
    InvalidValue(String),
    #[error("database error: {0}")]
    Other(String),
}

pub type DbResult<T> = Result<T, DbError>;

/// The SQL dialect a driver speaks; the compiler shapes statements for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
    /// MariaDB (10.6 and later; MySQL 8 is not served yet).
    MariaDb,
}

/// A database connection (or pool) as the core sees it.
#[cfg_attr(not(target_arch = "wasm32"), async_trait)]
#[cfg_attr(target_arch = "wasm32", async_trait(?Send))]
pub trait Driver: MaybeSendSync {
    fn dialect(&self) -> Dialect;

    /// Runs a read and returns all rows.
    async fn query(&self, stmt: &Statement) -> DbResult<Rows>;

    /// Starts a transaction; everything through it is atomic.
    async fn begin(&self) -> DbResult<Box<dyn Transaction>>;

    /// False where a transaction cannot span several statements (D1): the
    /// caller must then keep every write to one statement.
    fn interactive_transactions(&self) -> bool {
        true
    }
}

/// An open transaction. Dropping it without `commit` rolls it back.
#[cfg_attr(not(target_arch = "wasm32"), async_trait)]
#[cfg_attr(target_arch = "wasm32", async_trait(?Send))]
pub trait Transaction: MaybeSend {
    /// Runs a statement and returns its rows (`RETURNING` included).
    async fn query(&mut self, stmt: &Statement) -> DbResult<Rows>;
    /// Runs a statement and returns the number of rows it changed.
    async fn execute(&mut self, stmt: &Statement) -> DbResult<u64>;
    async fn commit(self: Box<Self>) -> DbResult<()>;
    async fn rollback(self: Box<Self>) -> DbResult<()>;
    /// Fails with `DbError::Guard` unless `stmt` returns a row, evaluated
    /// after the writes before it: at once where writes run at once, inside
    /// the atomic batch where they are buffered.
    async fn guard(&mut self, stmt: &Statement) -> DbResult<()> {
        if self.query(stmt).await?.rows.is_empty() {
            return Err(DbError::Guard);
        }
        Ok(())
    }
}

/// A marker in the error a buffered guard raises (a JSON path error naming it).
pub const GUARD_MARKER: &str = "rectus_guard";

/// `stmt` as a statement that raises an error unless it returns a row: for
/// backends that apply writes in one batch and cannot stop half-way.
pub fn guard_statement(stmt: &Statement) -> Statement {
    let mut params = stmt.params.clone();
    params.push(Value::Text("[]".into()));
    let n = params.len();
    // The path (no leading `$`) is invalid from its first character, so
    // json_extract fails whatever the document, with the path in its message
    // ("bad JSON path: 'rectus_guard'"); it runs only in that branch. A path
    // that is only invalid further on (`$.x[`) is not checked by SQLite
    // when `x` is missing, and would let every guard pass.
    Statement::with_params(
        format!("SELECT CASE WHEN EXISTS ({}) THEN 1 ELSE json_extract(?{n}, '{GUARD_MARKER}') END", stmt.sql),
        params,
    )
}
