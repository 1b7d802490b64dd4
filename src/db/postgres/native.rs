//! The native Postgres driver: a small deadpool of tokio-postgres
//! connections, statements prepared once per connection and reused.

use super::{classify, param_refs, params, render, rows};
use crate::db::{DbError, DbResult, Dialect, Driver, PoolOptions, Rows, Statement, Transaction};
use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, PoolError, RecyclingMethod, Runtime};
use std::time::Duration;

/// Takes a broken connection out of the pool for good.
fn discard(client: Object) {
    drop(Object::take(client));
}

/// A Postgres database reached through a connection pool.
pub struct PostgresDriver {
    pool: Pool,
    budget: Duration,
}

impl PostgresDriver {
    /// A pool for `url` (`postgres://user@host/db?sslmode=...&options=...`;
    /// TLS as `sslmode` says, see `tls`). No connection is made yet: the
    /// first statement opens one, so a server that is down now is not an
    /// error until something needs it.
    pub fn open(url: &str, options: &PoolOptions) -> DbResult<PostgresDriver> {
        let (mut config, tls) = super::tls::connector(url)?;
        config.connect_timeout(options.connect_timeout);
        config.keepalives(true);
        if config.get_application_name().is_none() {
            config.application_name("rectus");
        }
        super::set_session_options(&mut config, options.statement_timeout.as_millis() as u64);
        let manager = Manager::from_config(config, tls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
        let pool = Pool::builder(manager)
            .max_size(options.max_connections.max(1))
            .wait_timeout(Some(options.connect_timeout))
            .create_timeout(Some(options.connect_timeout))
            .recycle_timeout(Some(options.connect_timeout))
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(|e| DbError::Other(format!("cannot build the Postgres pool: {e}")))?;
        Ok(PostgresDriver { pool, budget: options.statement_timeout })
    }

    /// How many pooled connections a statement may find broken (closed by
    /// a restart or `pg_terminate_backend`, possibly not noticed yet) before
    /// it fails: every one the pool holds, each dropped and the statement
    /// run again on the next, so an outage that is over costs no request.
    /// Only reads and BEGIN are retried: nothing was written. A server that
    /// is still down fails the next connection attempt at once, which ends
    /// the retries.
    fn stale_retries(&self) -> usize {
        self.pool.status().max_size
    }

    /// Connections open right now.
    pub fn open_connections(&self) -> usize {
        self.pool.status().size
    }

    async fn connection(&self) -> DbResult<Object> {
        self.pool.get().await.map_err(|e| match e {
            // Not an outage: the configuration is wrong, and stays so.
            PoolError::Backend(e) if refused_certificate(&e) => {
                DbError::Other(format!("the server's TLS certificate was refused ({})", super::errors::with_causes(&e)))
            }
            PoolError::Backend(e) => classify(&e, self.ms()),
            e => DbError::Unavailable(e.to_string()),
        })
    }

    fn ms(&self) -> u64 {
        self.budget.as_millis() as u64
    }
}

/// Whether connecting failed on the server's certificate (`verify-ca`,
/// `verify-full`).
fn refused_certificate(e: &tokio_postgres::Error) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(c) = cause {
        let tls = c.downcast_ref::<rustls::Error>().or_else(|| {
            c.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()).and_then(|inner| inner.downcast_ref())
        });
        if matches!(tls, Some(rustls::Error::InvalidCertificate(_))) {
            return true;
        }
        cause = c.source();
    }
    false
}

/// Runs `stmt` on `client` and reads all its rows.
async fn query(client: &Object, stmt: &Statement, budget: Duration) -> DbResult<Rows> {
    tracing::trace!(sql = %stmt.sql, params = ?stmt.params, "query");
    within(budget, async {
        let ms = budget.as_millis() as u64;
        let prepared = prepare(client, stmt, ms).await?;
        let found = client.query(&prepared, &param_refs(&params(stmt))).await.map_err(|e| classify(&e, ms))?;
        rows(prepared.columns(), &found)
    })
    .await
}

/// Runs `stmt` on `client`; returns how many rows it changed.
async fn execute(client: &Object, stmt: &Statement, budget: Duration) -> DbResult<u64> {
    within(budget, async {
        let ms = budget.as_millis() as u64;
        let prepared = prepare(client, stmt, ms).await?;
        client.execute(&prepared, &param_refs(&params(stmt))).await.map_err(|e| classify(&e, ms))
    })
    .await
}

/// The connection's prepared statement for `stmt`'s SQL (prepared once).
async fn prepare(client: &Object, stmt: &Statement, ms: u64) -> DbResult<tokio_postgres::Statement> {
    client.prepare_cached(&render(&stmt.sql)).await.map_err(|e| classify(&e, ms))
}

/// `run`, given up a little after the server's own statement timeout, for
/// a server that stopped answering.
async fn within<T>(budget: Duration, run: impl std::future::Future<Output = DbResult<T>>) -> DbResult<T> {
    let ms = budget.as_millis() as u64;
    tokio::time::timeout(budget + Duration::from_secs(1), run).await.unwrap_or(Err(DbError::Timeout { ms }))
}

#[async_trait]
impl Driver for PostgresDriver {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    async fn query(&self, stmt: &Statement) -> DbResult<Rows> {
        let mut attempts = 0;
        loop {
            let client = self.connection().await?;
            match query(&client, stmt, self.budget).await {
                Err(DbError::Unavailable(_)) if attempts < self.stale_retries() => {
                    discard(client);
                    attempts += 1;
                }
                result => return result,
            }
        }
    }

    async fn begin(&self) -> DbResult<Box<dyn Transaction>> {
        let mut attempts = 0;
        loop {
            let client = self.connection().await?;
            match client.batch_execute("BEGIN").await.map_err(|e| classify(&e, self.ms())) {
                Ok(()) => return Ok(Box::new(PgTransaction { client: Some(client), budget: self.budget })),
                Err(DbError::Unavailable(_)) if attempts < self.stale_retries() => {
                    discard(client);
                    attempts += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// A transaction on one pooled connection, which it holds until it ends.
struct PgTransaction {
    client: Option<Object>,
    budget: Duration,
}

impl PgTransaction {
    fn client(&self) -> DbResult<&Object> {
        self.client.as_ref().ok_or_else(|| DbError::Other("transaction already finished".into()))
    }

    async fn finish(&mut self, sql: &str) -> DbResult<()> {
        let result = self.client()?.batch_execute(sql).await.map_err(|e| classify(&e, 0));
        self.client = None;
        result
    }
}

#[async_trait]
impl Transaction for PgTransaction {
    async fn query(&mut self, stmt: &Statement) -> DbResult<Rows> {
        query(self.client()?, stmt, self.budget).await
    }

    async fn execute(&mut self, stmt: &Statement) -> DbResult<u64> {
        execute(self.client()?, stmt, self.budget).await
    }

    async fn commit(mut self: Box<Self>) -> DbResult<()> {
        self.finish("COMMIT").await
    }

    async fn rollback(mut self: Box<Self>) -> DbResult<()> {
        self.finish("ROLLBACK").await
    }
}

impl Drop for PgTransaction {
    fn drop(&mut self) {
        // Dropped while open (a failed or cancelled request): roll back
        // before the connection goes back to the pool.
        if let Some(client) = self.client.take() {
            tokio::spawn(async move {
                if client.batch_execute("ROLLBACK").await.is_err() {
                    // A connection in an unknown state never goes back.
                    let _ = Object::take(client);
                }
            });
        }
    }
}
