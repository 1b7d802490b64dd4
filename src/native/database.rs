//! Which database `--db` names, and opening its driver: a SQLite/libSQL
//! file (the embedded default) or a Postgres server.

use crate::db::libsql::{DriverOptions, LibsqlDriver};
use crate::db::postgres::{PgOptions, PostgresDriver};
use crate::db::Driver;
use std::sync::Arc;

/// What `--db` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// A SQLite/libSQL file path (`file:` URLs accepted).
    File(String),
    /// A `postgres://` or `postgresql://` URL.
    Postgres(String),
}

impl Database {
    pub fn parse(db: &str) -> Database {
        if db.starts_with("postgres://") || db.starts_with("postgresql://") {
            return Database::Postgres(db.to_string());
        }
        let path = db.strip_prefix("file://").or_else(|| db.strip_prefix("file:")).unwrap_or(db);
        Database::File(path.to_string())
    }

    /// How logs and errors name it: a URL without its password.
    pub fn label(&self) -> String {
        match self {
            Database::File(path) => path.clone(),
            Database::Postgres(url) => without_password(url),
        }
    }
}

/// An open database, with the driver type the host's background tasks need.
#[derive(Clone)]
pub enum Opened {
    File(Arc<LibsqlDriver>),
    Postgres(Arc<PostgresDriver>),
}

impl Opened {
    pub async fn open(db: &Database, file: &DriverOptions, pg: &PgOptions) -> Result<Opened, String> {
        let fail = |e: crate::db::DbError| format!("cannot open {}: {e}", db.label());
        Ok(match db {
            Database::File(path) => Opened::File(Arc::new(LibsqlDriver::open(path, file).await.map_err(fail)?)),
            Database::Postgres(url) => Opened::Postgres(Arc::new(PostgresDriver::open(url, pg).map_err(fail)?)),
        })
    }

    pub fn driver(&self) -> Arc<dyn Driver> {
        match self {
            Opened::File(d) => d.clone(),
            Opened::Postgres(d) => d.clone(),
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
    }
}
