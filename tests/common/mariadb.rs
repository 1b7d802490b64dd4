//! MariaDB for the tests: the local server (RECTUS_TEST_MARIADB_URL,
//! default mysql://root@127.0.0.1:3306/test), one fresh database per use so
//! runs never collide, and copies of the SQLite test databases in it.

use rectus::db::mysql::MariaDbDriver;
use rectus::db::PoolOptions;
use rectus::db::{Driver, Statement, Value};

/// The server (and its database `test`) the tests use.
pub fn base_url() -> String {
    std::env::var("RECTUS_TEST_MARIADB_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into())
}

/// `base_url()` naming the database `db` instead.
pub fn url_for(db: &str) -> String {
    let base = base_url();
    let (server, query) = match base.split_once('?') {
        Some((s, q)) => (s.to_string(), format!("?{q}")),
        None => (base.clone(), String::new()),
    };
    let scheme_end = server.find("://").map(|i| i + 3).unwrap_or(0);
    let host_end = server[scheme_end..].find('/').map(|i| i + scheme_end).unwrap_or(server.len());
    format!("{}/{db}{query}", &server[..host_end])
}

fn block_on<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime").block_on(f)
}

fn driver(url: &str) -> MariaDbDriver {
    MariaDbDriver::open(url, &PoolOptions { max_connections: 1, ..PoolOptions::default() }).expect("MariaDB URL")
}

async fn run(driver: &MariaDbDriver, sql: &str) {
    driver.query(&Statement::new(sql)).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// A new empty database named after this process and `tag`, comparing
/// text in `collation` (utf8mb4's), and its URL. Databases of test
/// processes that are gone are dropped first.
pub fn fresh_database(tag: &str, collation: &str) -> String {
    let name = format!("rx_{}_{tag}", std::process::id());
    block_on(async {
        let server = driver(&base_url());
        let old = server
            .query(&Statement::new(
                "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'rx\\_%'",
            ))
            .await
            .expect("list databases");
        for row in &old.rows {
            let Some(db) = row.first().and_then(Value::as_str) else { continue };
            let pid: Option<u32> = db.split('_').nth(1).and_then(|p| p.parse().ok());
            if pid.is_some_and(|p| !std::path::Path::new(&format!("/proc/{p}")).exists()) || db == name {
                run(&server, &format!("DROP DATABASE IF EXISTS \"{db}\"")).await;
            }
        }
        run(&server, &format!("CREATE DATABASE \"{name}\" CHARACTER SET utf8mb4 COLLATE {collation}")).await;
    });
    url_for(&name)
}

/// A fresh database (in `collation`) that `rectus bootstrap` made, with
/// the tests' admin, and its URL.
pub fn bootstrapped_database(tag: &str, collation: &str) -> String {
    let url = fresh_database(tag, collation);
    bootstrap(&url);
    url
}

/// Runs `rectus bootstrap` on the database at `url`, with the tests' admin.
pub fn bootstrap(url: &str) {
    block_on(async {
        let seed = rectus::bootstrap::AdminSeed {
            email: super::ADMIN_EMAIL.into(),
            password: Some(super::ADMIN_PASSWORD.into()),
            token: Some(super::ADMIN_TOKEN.into()),
        };
        rectus::bootstrap::bootstrap(&driver(url), &rectus::native::host::SystemHost, &seed, super::cheap_hash())
            .await
            .expect("bootstrap");
    });
}

/// A fresh database (in `collation`) holding a copy of the SQLite database
/// at `path` (rectus copy), and its URL.
pub fn copy_of(path: &str, tag: &str, collation: &str) -> String {
    let url = fresh_database(tag, collation);
    block_on(async {
        let from = rectus::db::libsql::LibsqlDriver::open(path, &Default::default()).await.expect("open source");
        rectus::native::copy::copy(&from, &driver(&url), &rectus::native::host::SystemHost).await.expect("copy");
    });
    url
}

/// The first column of `sql`'s rows on the database at `url`.
pub fn sql_column(url: &str, sql: &str) -> Vec<serde_json::Value> {
    block_on(async {
        let rows = driver(url).query(&Statement::new(sql)).await.unwrap_or_else(|e| panic!("oracle query {sql}: {e}"));
        rows.rows.iter().map(|r| r.first().map(Value::to_json).unwrap_or_default()).collect()
    })
}

/// Runs a SQL file (statements end with `;` at the end of a line) in the
/// database at `url`.
pub fn load_sql(url: &str, sql: &str) {
    block_on(async {
        let driver = driver(url);
        for s in rectus::bootstrap::split(sql) {
            driver.query(&s).await.unwrap_or_else(|e| panic!("{}: {e}", s.sql));
        }
    });
}
