//! Which database `--db` names, and opening its driver: a SQLite/libSQL
//! file (the embedded default), a Postgres or a MariaDB server.

use crate::db::libsql::{DriverOptions, LibsqlDriver};
use crate::db::mysql::MariaDbDriver;
use crate::db::postgres::PostgresDriver;
use crate::db::Driver;
use crate::db::PoolOptions;
use std::sync::Arc;

/// What `--db` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// A SQLite/libSQL file path (`file:` URLs accepted).
    File(String),
    /// A `postgres://` or `postgresql://` URL.
    Postgres(String),
    /// A `mysql://` or `mariadb://` URL (a MariaDB server).
    MariaDb(String),
}

impl Database {
    pub fn parse(db: &str) -> Database {
        if db.starts_with("postgres://") || db.starts_with("postgresql://") {
            return Database::Postgres(db.to_string());
        }
        if db.starts_with("mysql://") || db.starts_with("mariadb://") {
            return Database::MariaDb(db.to_string());
        }
        let path = db.strip_prefix("file://").or_else(|| db.strip_prefix("file:")).unwrap_or(db);
        Database::File(path.to_string())
    }

    /// How logs and errors name it: a URL without its password.
    pub fn label(&self) -> String {
        match self {
            Database::File(path) => path.clone(),
            Database::Postgres(url) | Database::MariaDb(url) => without_password(url),
        }
    }

    /// A database server (rather than a file): it may be down for a while.
    pub fn is_server(&self) -> bool {
        !matches!(self, Database::File(_))
    }
}

/// An open database, with the driver type the host's background tasks need.
#[derive(Clone)]
pub enum Opened {
    File(Arc<LibsqlDriver>),
    Postgres(Arc<PostgresDriver>),
    MariaDb(Arc<MariaDbDriver>),
}

impl Opened {
    pub async fn open(db: &Database, file: &DriverOptions, pool: &PoolOptions) -> Result<Opened, String> {
        let fail = |e: crate::db::DbError| format!("cannot open {}: {e}", db.label());
        Ok(match db {
            Database::File(path) => Opened::File(Arc::new(LibsqlDriver::open(path, file).await.map_err(fail)?)),
            Database::Postgres(url) => Opened::Postgres(Arc::new(PostgresDriver::open(url, pool).map_err(fail)?)),
            Database::MariaDb(url) => {
                let driver = MariaDbDriver::open(url, pool).map_err(fail)?;
                // A server that is down now is checked when it is back.
                match driver.check_server().await {
                    Ok(_) | Err(crate::db::DbError::Unavailable(_)) => {}
                    Err(e) => return Err(fail(e)),
                }
                Opened::MariaDb(Arc::new(driver))
            }
        })
    }

    pub fn driver(&self) -> Arc<dyn Driver> {
        match self {
            Opened::File(d) => d.clone(),
            Opened::Postgres(d) => d.clone(),
            Opened::MariaDb(d) => d.clone(),
        }
    }
}

fn without_password(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let user_info = &url[scheme + 3..at];
            let user = user_info.split(':').next().unwrap_or_default();
            format!("{}{user}{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_files_from_servers() {
        assert_eq!(Database::parse("file:a.db"), Database::File("a.db".into()));
        assert_eq!(Database::parse("rectus.db"), Database::File("rectus.db".into()));
        let pg = Database::parse("postgres://me:secret@db/test");
        assert_eq!(pg.label(), "postgres://me@db/test");
        let maria = Database::parse("mysql://root:pw@127.0.0.1:3306/test");
        assert_eq!(maria, Database::MariaDb("mysql://root:pw@127.0.0.1:3306/test".into()));
        assert_eq!(maria.label(), "mysql://root@127.0.0.1:3306/test");
    }
}
