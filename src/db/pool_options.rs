//! The settings every server driver (Postgres, MySQL/MariaDB) shares.

use std::time::Duration;

/// How a driver for a database server (Postgres, MySQL) uses it.
#[derive(Debug, Clone)]
pub struct PoolOptions {
    /// Most connections open at once.
    pub max_connections: usize,
    /// Time budget of one statement (the server's `statement_timeout`).
    pub statement_timeout: Duration,
    /// How long to wait for a connection (to open or to come free).
    pub connect_timeout: Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        PoolOptions {
            max_connections: (cores * 2).max(4),
            statement_timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(3),
        }
    }
}
