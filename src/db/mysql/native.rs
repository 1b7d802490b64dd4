//! The native MariaDB driver: a small mysql_async pool, statements
//! prepared once per connection (the driver's statement cache) and reused.

use super::{classify_server, named_unique, render, rows, session_setup, to_mysql, unique_lookup};
use crate::db::{DbError, DbResult, Dialect, Driver, PoolOptions, Rows, Statement, Transaction};
use async_trait::async_trait;
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Opts, OptsBuilder, Params, Pool, PoolConstraints, PoolOpts};
use std::time::Duration;

/// Prepared statements kept per connection.
const STATEMENT_CACHE: usize = 256;

/// A MariaDB database reached through a connection pool.
pub struct MariaDbDriver {
    pool: Pool,
    budget: Duration,
    connect_timeout: Duration,
    /// How many pooled connections a read or BEGIN may find broken (a
    /// restart, a `KILL`) before it fails: every one the pool holds, as
    /// with Postgres.
    stale_retries: usize,
}

impl MariaDbDriver {
    /// A pool for `url` (`mysql://user:pass@host:port/db`, or `mariadb://`;
    /// TLS by `ssl-mode` and `ssl-ca`, as libmysql reads them, or
    /// mysql_async's `require_ssl`/`verify_ca`/`verify_identity`). No
    /// connection is made yet.
    pub fn open(url: &str, options: &PoolOptions) -> DbResult<MariaDbDriver> {
        let DriverUrl { url, ca } = driver_url(url)?;
        let opts = Opts::from_url(&url).map_err(|e| DbError::Other(format!("not a MySQL URL: {e}")))?;
        // The CA that signed the server's certificate, trusted besides the
        // built-in roots (a private CA, a self-signed server).
        let tls = opts.ssl_opts().cloned().map(|tls| match ca {
            Some(ca) => tls.with_root_certs(vec![ca.into()]),
            None => tls,
        });
        let max = options.max_connections.max(1);
        let pool_opts = PoolOpts::default()
            .with_constraints(PoolConstraints::new(0, max).unwrap_or_default())
            // Keeps the session's settings: a reset would drop them.
            .with_reset_connection(false)
            .with_inactive_connection_ttl(Duration::from_secs(60));
        let budget_ms = options.statement_timeout.as_millis() as u64;
        let builder = OptsBuilder::from_opts(opts)
            .ssl_opts(tls)
            .pool_opts(pool_opts)
            .stmt_cache_size(STATEMENT_CACHE)
            // An UPDATE counts the rows it matched, as elsewhere, not only
            // those whose values it changed.
            .client_found_rows(true)
            .tcp_keepalive(Some(Duration::from_secs(30)))
            .setup(vec![session_setup(budget_ms)]);
        Ok(MariaDbDriver {
            pool: Pool::new(builder),
            budget: options.statement_timeout,
            connect_timeout: options.connect_timeout,
            stale_retries: max,
        })
    }

    async fn connection(&self) -> DbResult<Conn> {
        let conn = tokio::time::timeout(self.connect_timeout, self.pool.get_conn())
            .await
            .map_err(|_| DbError::Unavailable("no connection within the connect timeout".into()))?
            .map_err(|e| classify(&e, self.ms()))?;
        Ok(conn)
    }

    fn ms(&self) -> u64 {
        self.budget.as_millis() as u64
    }

    /// The server's version text, refusing MySQL itself: only MariaDB's
    /// SQL (RETURNING, JSON_ARRAYAGG with ORDER BY and LIMIT) is written yet.
    pub async fn check_server(&self) -> DbResult<String> {
        let rows = self.query(&Statement::new("SELECT VERSION()")).await?;
        let version = rows.scalar().and_then(|v| v.as_str()).unwrap_or_default().to_string();
        if !version.to_ascii_lowercase().contains("mariadb") {
            return Err(DbError::Unsupported(format!(
                "the server is MySQL {version}; rectus serves MariaDB 10.6 and later (MySQL 8 is not supported yet)"
            )));
        }
        Ok(version)
    }
}

/// A URL as mysql_async reads it, and the CA file it names.
#[derive(Debug, PartialEq)]
struct DriverUrl {
    url: String,
    ca: Option<std::path::PathBuf>,
}

/// `url` as mysql_async reads it: `mariadb://` is `mysql://`, and libmysql's
/// `ssl-mode` becomes mysql_async's own TLS switches. libmysql's `ssl-ca`
/// (a PEM file) is taken out: without an `ssl-mode` it means VERIFY_CA.
fn driver_url(url: &str) -> DbResult<DriverUrl> {
    let url = match url.strip_prefix("mariadb://") {
        Some(rest) => format!("mysql://{rest}"),
        None => url.to_string(),
    };
    let Some((base, query)) = url.split_once('?') else {
        return Ok(DriverUrl { url, ca: None });
    };
    let is = |key: &str, names: &[&str]| names.iter().any(|n| key.eq_ignore_ascii_case(n));
    let mut params = Vec::new();
    let mut ca = None;
    let mut mode = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if is(key, &["ssl-mode", "sslmode"]) {
            mode = Some(value.to_ascii_uppercase());
        } else if is(key, &["ssl-ca", "sslrootcert"]) {
            let path = percent_encoding::percent_decode_str(value)
                .decode_utf8()
                .map_err(|_| DbError::Other("ssl-ca is not UTF-8".into()))?;
            ca = Some(std::path::PathBuf::from(path.into_owned()));
        } else {
            params.push(pair.to_string());
        }
    }
    let mode = mode.unwrap_or_else(|| if ca.is_some() { "VERIFY_CA" } else { "DISABLED" }.into());
    let switches = match mode.as_str() {
        "DISABLED" | "DISABLE" => "",
        "REQUIRED" | "REQUIRE" | "PREFERRED" | "PREFER" => "require_ssl=true&verify_ca=false&verify_identity=false",
        "VERIFY_CA" | "VERIFY-CA" => "require_ssl=true&verify_ca=true&verify_identity=false",
        "VERIFY_IDENTITY" | "VERIFY-FULL" => "require_ssl=true&verify_ca=true&verify_identity=true",
        other => return Err(DbError::Other(format!("unknown ssl-mode {other:?}"))),
    };
    params.extend(switches.split('&').filter(|s| !s.is_empty()).map(str::to_string));
    let url = match params.is_empty() {
        true => base.to_string(),
        false => format!("{base}?{}", params.join("&")),
    };
    Ok(DriverUrl { url, ca })
}

/// A driver error as the core's.
fn classify(e: &mysql_async::Error, budget_ms: u64) -> DbError {
    match e {
        mysql_async::Error::Server(s) => classify_server(s.code, &s.message, budget_ms),
        mysql_async::Error::Io(_)
        | mysql_async::Error::Driver(
            mysql_async::DriverError::ConnectionClosed | mysql_async::DriverError::PoolDisconnected,
        ) => DbError::Unavailable(e.to_string()),
        e => DbError::Other(e.to_string()),
    }
}

/// Runs `stmt` on `conn`; its rows (none for a write) and how many rows it
/// changed.
async fn run(conn: &mut Conn, stmt: &Statement, budget: Duration) -> DbResult<(Rows, u64)> {
    tracing::trace!(sql = %stmt.sql, params = ?stmt.params, "query");
    let ms = budget.as_millis() as u64;
    let (sql, values) = render(stmt);
    let params = match values.is_empty() {
        true => Params::Empty,
        false => Params::Positional(values.iter().map(to_mysql).collect()),
    };
    let run = async {
        let mut result = conn.exec_iter(sql.as_str(), params).await?;
        let columns = result.columns().map(|c| c.to_vec()).unwrap_or_default();
        let found: Vec<mysql_async::Row> = result.collect().await?;
        let changed = result.affected_rows();
        result.drop_result().await?;
        Ok::<_, mysql_async::Error>((columns, found, changed))
    };
    let (columns, found, changed) = tokio::time::timeout(budget + Duration::from_secs(1), run)
        .await
        .map_err(|_| DbError::Timeout { ms })?
        .map_err(|e| classify(&e, ms))?;
    // Row::unwrap hands over the row's values (it panics only on values
    // taken out before, which nothing here does).
    Ok((rows(&columns, found.into_iter().map(mysql_async::Row::unwrap)), changed))
}

/// `run`, with a unique violation named by its table and column: MariaDB
/// names only the index.
async fn run_named(conn: &mut Conn, stmt: &Statement, budget: Duration) -> DbResult<(Rows, u64)> {
    match run(conn, stmt, budget).await {
        Err(DbError::Unique { field: index, .. }) => Err(name_unique(conn, stmt, &index, budget).await),
        other => other,
    }
}

async fn name_unique(conn: &mut Conn, stmt: &Statement, index: &str, budget: Duration) -> DbError {
    let (collection, lookup) = unique_lookup(stmt, index);
    let found = Box::pin(run(conn, &lookup, budget)).await.map(|(rows, _)| rows);
    named_unique(collection, index, found)
}

/// Takes a broken connection out of the pool for good.
fn discard(conn: Conn) {
    tokio::spawn(async move {
        let _ = conn.disconnect().await;
    });
}

#[async_trait]
impl Driver for MariaDbDriver {
    fn dialect(&self) -> Dialect {
        Dialect::MariaDb
    }

    async fn query(&self, stmt: &Statement) -> DbResult<Rows> {
        let mut attempts = 0;
        loop {
            let mut conn = self.connection().await?;
            match run(&mut conn, stmt, self.budget).await {
                Err(DbError::Unavailable(_)) if attempts < self.stale_retries => {
                    discard(conn);
                    attempts += 1;
                }
                result => return result.map(|(rows, _)| rows),
            }
        }
    }

    async fn begin(&self) -> DbResult<Box<dyn Transaction>> {
        let mut attempts = 0;
        loop {
            let mut conn = self.connection().await?;
            match conn.query_drop("BEGIN").await.map_err(|e| classify(&e, self.ms())) {
                Ok(()) => return Ok(Box::new(MariaDbTransaction { conn: Some(conn), budget: self.budget })),
                Err(DbError::Unavailable(_)) if attempts < self.stale_retries => {
                    discard(conn);
                    attempts += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// A transaction on one pooled connection, which it holds until it ends.
struct MariaDbTransaction {
    conn: Option<Conn>,
    budget: Duration,
}

impl MariaDbTransaction {
    fn conn(&mut self) -> DbResult<&mut Conn> {
        self.conn.as_mut().ok_or_else(|| DbError::Other("transaction already finished".into()))
    }

    async fn finish(&mut self, sql: &str) -> DbResult<()> {
        let result = self.conn()?.query_drop(sql).await.map_err(|e| classify(&e, 0));
        self.conn = None;
        result
    }
}

#[async_trait]
impl Transaction for MariaDbTransaction {
    async fn query(&mut self, stmt: &Statement) -> DbResult<Rows> {
        let budget = self.budget;
        run_named(self.conn()?, stmt, budget).await.map(|(rows, _)| rows)
    }

    async fn execute(&mut self, stmt: &Statement) -> DbResult<u64> {
        let budget = self.budget;
        run_named(self.conn()?, stmt, budget).await.map(|(_, changed)| changed)
    }

    async fn commit(mut self: Box<Self>) -> DbResult<()> {
        self.finish("COMMIT").await
    }

    async fn rollback(mut self: Box<Self>) -> DbResult<()> {
        self.finish("ROLLBACK").await
    }
}

impl Drop for MariaDbTransaction {
    fn drop(&mut self) {
        // Dropped while open (a failed or cancelled request): roll back
        // before the connection goes back to the pool.
        if let Some(mut conn) = self.conn.take() {
            tokio::spawn(async move {
                if conn.query_drop("ROLLBACK").await.is_err() {
                    let _ = conn.disconnect().await;
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_libmysql_ssl_modes_and_the_mariadb_scheme() {
        let url = |u: &str| driver_url(u).unwrap().url;
        assert_eq!(url("mariadb://root@h/db"), "mysql://root@h/db");
        assert_eq!(
            url("mysql://root@h/db?ssl-mode=REQUIRED"),
            "mysql://root@h/db?require_ssl=true&verify_ca=false&verify_identity=false"
        );
        assert_eq!(url("mysql://root@h/db?ssl-mode=disabled"), "mysql://root@h/db");
        assert!(driver_url("mysql://h/db?ssl-mode=maybe").is_err());
    }

    #[test]
    fn an_ssl_ca_verifies_the_server_against_it() {
        assert_eq!(
            driver_url("mysql://root@h/db?ssl-ca=/etc/my%20ca.pem&prefer_socket=false").unwrap(),
            DriverUrl {
                url: "mysql://root@h/db?prefer_socket=false&require_ssl=true&verify_ca=true&verify_identity=false"
                    .into(),
                ca: Some("/etc/my ca.pem".into()),
            }
        );
        let full = driver_url("mysql://root@h/db?ssl-mode=VERIFY_IDENTITY&ssl-ca=ca.pem").unwrap();
        assert_eq!(full.url, "mysql://root@h/db?require_ssl=true&verify_ca=true&verify_identity=true");
    }
}
