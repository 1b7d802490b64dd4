//! Postgres for the tests: the local server (RECTUS_TEST_PG_URL, default
//! postgres://postgres@127.0.0.1:5432/test), one fresh schema per use so
//! runs never collide, and copies of the SQLite test databases in it.

use rectus::db::postgres::PostgresDriver;
use rectus::db::PoolOptions;
use rectus::db::{Driver, Statement, Value};

/// The server and database the tests use.
pub fn base_url() -> String {
    std::env::var("RECTUS_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// `base_url()` with its current schema set to `schema`.
pub fn url_for(schema: &str) -> String {
    let sep = if base_url().contains('?') { '&' } else { '?' };
    format!("{}{sep}options=-csearch_path%3D{schema}", base_url())
}

fn block_on<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime").block_on(f)
}

async fn run(driver: &PostgresDriver, sql: &str) {
    driver.query(&Statement::new(sql)).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// A new empty schema named after this process and `tag`, and its URL.
/// Schemas of test processes that are gone are dropped first.
pub fn fresh_schema(tag: &str) -> String {
    block_on(async {
        let driver = PostgresDriver::open(&base_url(), &PoolOptions::default()).expect("Postgres URL");
        let schemas = driver
            .query(&Statement::new(r"SELECT nspname FROM pg_namespace WHERE nspname LIKE 'rx\_%'"))
            .await
            .unwrap_or_else(|e| {
                panic!("Postgres at {} is needed by this suite ({e}); scripts/test starts it", base_url())
            });
        for name in schemas.rows.iter().filter_map(|r| r.first().and_then(Value::as_str)) {
            let pid = name.split('_').nth(1).and_then(|p| p.parse::<u32>().ok());
            if pid.is_some_and(|p| !std::path::Path::new(&format!("/proc/{p}")).exists()) {
                run(&driver, &format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE")).await;
            }
        }
        let schema = format!("rx_{}_{tag}", std::process::id());
        run(&driver, &format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE")).await;
        run(&driver, &format!("CREATE SCHEMA \"{schema}\"")).await;
        url_for(&schema)
    })
}

/// A fresh schema with rectus's system tables and the test admin
/// (`rectus bootstrap`), and its URL.
pub fn bootstrapped_schema(tag: &str) -> String {
    let url = fresh_schema(tag);
    block_on(async {
        let driver = PostgresDriver::open(&url, &PoolOptions::default()).expect("Postgres URL");
        let seed = rectus::bootstrap::AdminSeed {
            email: super::ADMIN_EMAIL.into(),
            password: Some(super::ADMIN_PASSWORD.into()),
            token: Some(super::ADMIN_TOKEN.into()),
        };
        rectus::bootstrap::bootstrap(&driver, &rectus::native::host::SystemHost, &seed, super::cheap_hash())
            .await
            .expect("bootstrap");
    });
    url
}

/// A fresh schema holding a copy of the SQLite database at `sqlite_path`
/// (`rectus copy`), and its URL.
pub fn copy_of(sqlite_path: &str, tag: &str) -> String {
    let url = fresh_schema(tag);
    block_on(async {
        let from = rectus::db::libsql::LibsqlDriver::open(sqlite_path, &Default::default()).await.expect("open");
        let to = PostgresDriver::open(&url, &PoolOptions::default()).expect("Postgres URL");
        rectus::native::copy::copy(&from, &to, &rectus::native::host::SystemHost).await.expect("copy to Postgres");
    });
    url
}

/// `common::sql_column` on Postgres: the first column of `sql`'s rows.
pub fn sql_column(url: &str, sql: &str) -> Vec<serde_json::Value> {
    block_on(async {
        let driver = PostgresDriver::open(url, &PoolOptions::default()).expect("Postgres URL");
        let rows = driver.query(&Statement::new(sql)).await.unwrap_or_else(|e| panic!("oracle query {sql}: {e}"));
        rows.rows.iter().map(|r| r.first().map(Value::to_json).unwrap_or_default()).collect()
    })
}

/// Runs a SQL file (statements end with `;` at the end of a line, as
/// `rectus bootstrap` reads its migrations) in the schema of `url`, in one
/// transaction.
pub fn load_sql(url: &str, sql: &str) {
    block_on(async {
        let driver = PostgresDriver::open(url, &PoolOptions::default()).expect("Postgres URL");
        let mut tx = driver.begin().await.expect("begin");
        for s in rectus::bootstrap::split(sql) {
            tx.execute(&s).await.unwrap_or_else(|e| panic!("{}: {e}", s.sql));
        }
        tx.commit().await.expect("commit");
    });
}
