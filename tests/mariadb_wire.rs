//! The edge's MariaDB client (`db::mysql::wire`), run natively over a
//! tokio TcpStream against the local server: it binds values, reads rows
//! and counts changes exactly as the native driver (mysql_async) does, and
//! classifies the server's errors the same way.

mod common;
use common::mariadb::fresh_database;
use rectus::db::mysql::wire::{Conn, Options};
use rectus::db::mysql::MariaDbDriver;
use rectus::db::{DbError, Driver, PoolOptions, Rows, Statement, Value};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
}

async fn wire(url: &str, budget_ms: u64) -> Conn<TcpStream> {
    let options = Options::from_url(url).expect("MySQL URL");
    let stream = TcpStream::connect((options.host.as_str(), options.port)).await.expect("TCP connection");
    Conn::connect(stream, &options, budget_ms).await.expect("MariaDB connection")
}

fn native(url: &str, budget_ms: u64) -> MariaDbDriver {
    let options = PoolOptions {
        max_connections: 1,
        statement_timeout: Duration::from_millis(budget_ms),
        ..PoolOptions::default()
    };
    MariaDbDriver::open(url, &options).expect("MariaDB URL")
}

fn stmt(sql: &str, params: Vec<Value>) -> Statement {
    Statement::with_params(sql, params)
}

/// Drops the test's database when the test ends, passed or not.
struct Dropped(String);

impl Drop for Dropped {
    fn drop(&mut self) {
        let name = self.0.rsplit('/').next().unwrap_or_default().to_string();
        let server = common::mariadb::url_for("test");
        runtime().block_on(async {
            let _ = native(&server, 5_000).query(&Statement::new(format!("DROP DATABASE IF EXISTS \"{name}\""))).await;
        });
    }
}

const TABLE: &str = r#"CREATE TABLE "things" (
    "id" BIGINT AUTO_INCREMENT PRIMARY KEY,
    "label" VARCHAR(200) NOT NULL,
    "note" TEXT NULL,
    "n" BIGINT NULL,
    "x" DOUBLE NULL,
    "f" FLOAT NULL,
    "data" BLOB NULL,
    "price" DECIMAL(10,2) NULL,
    "flag" TINYINT(1) NULL,
    "big" BIGINT UNSIGNED NULL,
    "day" DATE NULL,
    "at" DATETIME(3) NULL,
    "dur" TIME NULL,
    "doc" JSON NULL,
    UNIQUE KEY "things_label_unique" ("label")
)"#;

const TRICKY: &str = "it's \"quoted\", back\\slashed \\' and ünïcødé 🦀; ?1 -- not a placeholder";

#[test]
fn the_wire_client_reads_and_writes_as_the_native_driver() {
    let url = fresh_database("wire", "utf8mb4_bin");
    let _cleanup = Dropped(url.clone());
    runtime().block_on(async {
        let mut conn = wire(&url, 5_000).await;
        let driver = native(&url, 5_000);
        conn.run(&Statement::new(TABLE)).await.expect("create table");

        let insert = r#"INSERT INTO "things" ("label", "note", "n", "x", "f", "data", "price", "flag", "big", "day", "at", "dur", "doc") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"#;
        let blob = vec![0u8, 255, 1, 2, b'\'', b'\\', 0x80];
        let first = vec![
            TRICKY.into(),
            Value::Null,
            Value::Integer(i64::MIN),
            Value::Real(1.5e-7),
            Value::Real(0.25),
            Value::Blob(blob.clone()),
            "12345678.90".into(),
            Value::Integer(1),
            "18446744073709551615".into(),
            "2024-02-29".into(),
            "2024-02-29 23:59:58.123".into(),
            "-838:59:59".into(),
            r#"{"k": [1, "two", null]}"#.into(),
        ];
        let (rows, changed) = conn.run(&stmt(insert, first)).await.expect("insert");
        assert_eq!((rows, changed), (Rows::default(), 1));
        let second = vec![
            "second".into(),
            "a note".into(),
            Value::Integer(i64::MAX),
            Value::Real(-2.5),
            Value::Null,
            Value::Blob(Vec::new()),
            Value::Integer(7),
            Value::Integer(0),
            Value::Integer(42),
            Value::Null,
            "1970-01-01 00:00:00".into(),
            "12:00:00".into(),
            Value::Null,
        ];
        // Through the native driver: the wire client must read what it wrote.
        let mut tx = driver.begin().await.expect("begin");
        assert_eq!(tx.execute(&stmt(insert, second)).await.expect("native insert"), 1);
        tx.commit().await.expect("commit");

        let reads = [
            stmt(r#"SELECT * FROM "things" ORDER BY "id""#, vec![]),
            stmt(r#"SELECT "label", "note" FROM "things" WHERE "label" = ?1 OR "label" = ?1"#, vec![TRICKY.into()]),
            stmt(r#"SELECT "id" FROM "things" WHERE "data" = ?1"#, vec![Value::Blob(blob.clone())]),
            stmt(
                "SELECT ?1 AS i, ?2 AS r, ?3 AS t, ?4 AS b, ?5 AS z, '?1' AS q",
                vec![Value::Integer(-3), Value::Real(0.1), TRICKY.into(), Value::Blob(vec![9, 0, 9]), Value::Null],
            ),
            stmt(r#"SELECT count(*) AS n, sum("n") AS s, avg("x") AS a FROM "things""#, vec![]),
            stmt(r#"SELECT * FROM "things" WHERE "id" < 0"#, vec![]),
        ];
        for read in &reads {
            let (from_wire, changed) = conn.run(read).await.unwrap_or_else(|e| panic!("{}: {e}", read.sql));
            let from_native = driver.query(read).await.unwrap_or_else(|e| panic!("native {}: {e}", read.sql));
            assert_eq!(from_wire, from_native, "{}", read.sql);
            assert_eq!(changed, 0);
        }
        let all = conn.run(&reads[0]).await.expect("select").0;
        assert_eq!(all.rows.len(), 2);
        assert_eq!(all.rows[0][1], Value::Text(TRICKY.into()));
        assert_eq!(all.rows[0][2], Value::Null);
        assert_eq!(all.rows[0][3], Value::Integer(i64::MIN));
        assert_eq!(all.rows[0][6], Value::Blob(blob));
        assert_eq!(all.rows[1][3], Value::Integer(i64::MAX));

        // An UPDATE counts the rows it matched, changed or not (FOUND_ROWS).
        let same = stmt(r#"UPDATE "things" SET "n" = "n" WHERE "id" > ?1"#, vec![Value::Integer(0)]);
        assert_eq!(conn.run(&same).await.expect("update").1, 2);
        let mut tx = driver.begin().await.expect("begin");
        assert_eq!(tx.execute(&same).await.expect("native update"), 2);
        tx.rollback().await.expect("rollback");
        let one = stmt(r#"UPDATE "things" SET "note" = ?1 WHERE "label" = ?2"#, vec!["new".into(), "second".into()]);
        assert_eq!(conn.run(&one).await.expect("update").1, 1);

        // A JSON document: compacted as the native driver does.
        let json = stmt("SELECT JSON_OBJECT('a', 1, 'b', JSON_ARRAY(1, 'x y')) AS data", vec![]);
        let (from_wire, _) = conn.run(&json).await.expect("json");
        assert_eq!(from_wire.scalar(), Some(&Value::Text(r#"{"a":1,"b":[1,"x y"]}"#.into())));
        assert_eq!(from_wire, driver.query(&json).await.expect("native json"));

        // A transaction: rolled back, nothing stays.
        conn.query_drop("BEGIN").await.expect("begin");
        conn.run(&stmt(r#"DELETE FROM "things" WHERE "label" = ?1"#, vec!["second".into()])).await.expect("delete");
        conn.query_drop("ROLLBACK").await.expect("rollback");
        let count = stmt(r#"SELECT count(*) FROM "things""#, vec![]);
        assert_eq!(conn.run(&count).await.expect("count").0.scalar(), Some(&Value::Integer(2)));

        let delete = stmt(r#"DELETE FROM "things" WHERE "id" > ?1"#, vec![Value::Integer(0)]);
        assert_eq!(conn.run(&delete).await.expect("delete").1, 2);
        conn.quit().await;
    });
}

#[test]
fn server_errors_are_classified_and_leave_the_connection_usable() {
    let url = fresh_database("wire_errors", "utf8mb4_bin");
    let _cleanup = Dropped(url.clone());
    runtime().block_on(async {
        let mut conn = wire(&url, 5_000).await;
        conn.run(&Statement::new(TABLE)).await.expect("create table");
        let insert = stmt(r#"INSERT INTO "things" ("label") VALUES (?1)"#, vec!["twice".into()]);
        conn.run(&insert).await.expect("first insert");

        // A duplicate: the index by itself, the column once looked up.
        let e = conn.run(&insert).await.expect_err("duplicate");
        assert_eq!(e, DbError::Unique { collection: String::new(), field: "things_label_unique".into() });
        let e = conn.run_named(&insert).await.expect_err("duplicate");
        assert_eq!(e, DbError::Unique { collection: "things".into(), field: "label".into() });
        let mut tx = native(&url, 5_000).begin().await.expect("begin");
        assert_eq!(tx.execute(&insert).await.expect_err("native duplicate"), e);
        drop(tx);

        // NOT NULL, and a statement the server cannot prepare (the pipelined
        // execute and close then fail quietly behind it).
        let e = conn.run(&stmt(r#"INSERT INTO "things" ("label") VALUES (?1)"#, vec![Value::Null])).await;
        assert_eq!(e.expect_err("null"), DbError::NotNull { collection: String::new(), field: "label".into() });
        match conn.run(&stmt("SELEC ?1", vec![Value::Integer(1)])).await {
            Err(DbError::Other(message)) => assert!(message.contains("(1064)"), "{message}"),
            other => panic!("a syntax error, not {other:?}"),
        }
        match conn.run(&Statement::new(r#"SELECT * FROM "missing""#)).await {
            Err(DbError::Other(message)) => assert!(message.contains("(1146)"), "{message}"),
            other => panic!("a missing table, not {other:?}"),
        }
        let one = conn.run(&Statement::new("SELECT 1 AS one")).await.expect("still usable");
        assert_eq!(one.0.scalar(), Some(&Value::Integer(1)));
        assert!(conn.is_usable());
    });
}

#[test]
fn a_statement_past_its_budget_times_out() {
    let url = fresh_database("wire_budget", "utf8mb4_bin");
    let _cleanup = Dropped(url.clone());
    runtime().block_on(async {
        let mut conn = wire(&url, 1_000).await;
        let started = std::time::Instant::now();
        let e = conn.run(&Statement::new("SELECT SLEEP(3)")).await.expect_err("timeout");
        assert_eq!(e, DbError::Timeout { ms: 1_000 });
        assert!(started.elapsed() < Duration::from_millis(2_500), "{:?}", started.elapsed());
        assert_eq!(native(&url, 1_000).query(&Statement::new("SELECT SLEEP(3)")).await.expect_err("native"), e);
        let one = conn.run(&Statement::new("SELECT 1 AS one")).await.expect("still usable");
        assert_eq!(one.0.scalar(), Some(&Value::Integer(1)));
    });
}

#[test]
fn long_values_travel_in_several_packets() {
    let url = fresh_database("wire_long", "utf8mb4_bin");
    let _cleanup = Dropped(url.clone());
    runtime().block_on(async {
        let mut conn = wire(&url, 30_000).await;
        conn.run(&Statement::new(
            r#"CREATE TABLE "big" ("id" INT PRIMARY KEY, "body" LONGTEXT, "raw" LONGBLOB, "none" BLOB)"#,
        ))
        .await
        .expect("create table");
        // Past one packet (16 MB) together, so the values go as long data,
        // and read back in rows of several packets.
        let body: String = "ab€".repeat(2 << 20);
        let raw: Vec<u8> = (0..(7u32 << 20)).map(|i| (i % 251) as u8).collect();
        let insert = stmt(
            r#"INSERT INTO "big" ("id", "body", "raw", "none") VALUES (?1, ?2, ?3, ?4)"#,
            vec![Value::Integer(1), body.clone().into(), Value::Blob(raw.clone()), Value::Blob(Vec::new())],
        );
        assert_eq!(conn.run(&insert).await.expect("insert").1, 1);
        let (rows, _) =
            conn.run(&Statement::new(r#"SELECT "id", "body", "raw", "none" FROM "big""#)).await.expect("select");
        assert_eq!(
            rows.rows,
            vec![vec![Value::Integer(1), Value::Text(body), Value::Blob(raw), Value::Blob(Vec::new())]]
        );
    });
}

/// A stream that counts round trips: a write after a read starts a new one.
struct Counted {
    inner: TcpStream,
    trips: Arc<AtomicUsize>,
    reading: bool,
}

impl AsyncRead for Counted {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        self.reading = true;
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Counted {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        if self.reading {
            self.reading = false;
            self.trips.fetch_add(1, Ordering::SeqCst);
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[test]
fn each_statement_is_one_round_trip() {
    let url = fresh_database("wire_trips", "utf8mb4_bin");
    let _cleanup = Dropped(url.clone());
    runtime().block_on(async {
        let options = Options::from_url(&url).expect("MySQL URL");
        let inner = TcpStream::connect((options.host.as_str(), options.port)).await.expect("TCP connection");
        let trips = Arc::new(AtomicUsize::new(0));
        let counted = Counted { inner, trips: trips.clone(), reading: false };
        let mut conn = Conn::connect(counted, &options, 5_000).await.expect("connect");
        let statements = [
            Statement::new(r#"CREATE TABLE "t" ("id" INT PRIMARY KEY, "v" TEXT)"#),
            stmt(r#"INSERT INTO "t" VALUES (?1, ?2)"#, vec![Value::Integer(1), "one".into()]),
            stmt(r#"SELECT * FROM "t" WHERE "id" = ?1"#, vec![Value::Integer(1)]),
            stmt("SELEC ?1", vec![Value::Integer(1)]),
            stmt(r#"UPDATE "t" SET "v" = ?1"#, vec!["uno".into()]),
        ];
        let before = trips.load(Ordering::SeqCst);
        for s in &statements {
            let _ = conn.run(s).await;
        }
        // The last statement's answer is read, but no write follows it yet.
        conn.query_drop("DO 1").await.expect("a last command");
        assert_eq!(trips.load(Ordering::SeqCst) - before, statements.len() + 1);
    });
}

/// Behind a proxy (Hyperdrive), which may not pass MariaDB's "the statement
/// prepared last" on, each statement is prepared in a round trip of its own
/// and executed by its id: two round trips, the same answers and errors.
#[test]
fn behind_a_proxy_statements_are_prepared_apart() {
    let url = fresh_database("wire_proxied", "utf8mb4_bin");
    let _cleanup = Dropped(url.clone());
    runtime().block_on(async {
        let options = Options { proxied: true, ..Options::from_url(&url).expect("MySQL URL") };
        let inner = TcpStream::connect((options.host.as_str(), options.port)).await.expect("TCP connection");
        let trips = Arc::new(AtomicUsize::new(0));
        let counted = Counted { inner, trips: trips.clone(), reading: false };
        let mut conn = Conn::connect(counted, &options, 5_000).await.expect("connect");
        let driver = native(&url, 5_000);
        conn.run(&Statement::new(TABLE)).await.expect("create table");
        let big = r#"CREATE TABLE "big" ("id" INT PRIMARY KEY, "label" TEXT, "body" LONGTEXT, "raw" LONGBLOB)"#;
        conn.run(&Statement::new(big)).await.expect("create table");
        let long = stmt(
            r#"INSERT INTO "big" ("id", "label", "body", "raw") VALUES (?1, ?2, ?3, ?4)"#,
            // 18 MB together: past one packet, so they go as long data.
            vec![Value::Integer(1), TRICKY.into(), "ab€".repeat(3 << 20).into(), Value::Blob(vec![7; 3 << 20])],
        );
        assert_eq!(conn.run(&long).await.expect("insert").1, 1);

        let before = trips.load(Ordering::SeqCst);
        let read = stmt(
            r#"SELECT "id", "label", length("raw") AS r, length("body") AS b FROM "big" WHERE "label" = ?1"#,
            vec![TRICKY.into()],
        );
        let (rows, _) = conn.run(&read).await.expect("select");
        conn.query_drop("DO 1").await.expect("a last command");
        assert_eq!(trips.load(Ordering::SeqCst) - before, 3, "prepare, execute, then the last command");
        assert_eq!(rows, driver.query(&read).await.expect("native select"));
        assert_eq!(rows.rows[0][2..], [Value::Integer(3 << 20), Value::Integer(15 << 20)]);

        // Errors: a duplicate named by its column, a statement the server
        // cannot prepare; the connection stays in step.
        let insert = stmt(r#"INSERT INTO "things" ("label") VALUES (?1)"#, vec!["twice".into()]);
        conn.run(&insert).await.expect("first insert");
        let e = conn.run_named(&insert).await.expect_err("duplicate");
        assert_eq!(e, DbError::Unique { collection: "things".into(), field: "label".into() });
        match conn.run(&stmt("SELEC ?1", vec![Value::Integer(1)])).await {
            Err(DbError::Other(message)) => assert!(message.contains("(1064)"), "{message}"),
            other => panic!("a syntax error, not {other:?}"),
        }
        let one = conn.run(&Statement::new("SELECT 1 AS one")).await.expect("still usable");
        assert_eq!(one.0.scalar(), Some(&Value::Integer(1)));
        // Every statement prepared was closed: all but the one that failed
        // to prepare and this one, whose close follows its answer.
        let counts = Statement::new(
            "SELECT (SELECT VARIABLE_VALUE FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = 'COM_STMT_PREPARE'), \
             (SELECT VARIABLE_VALUE FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = 'COM_STMT_CLOSE')",
        );
        let (counts, _) = conn.run(&counts).await.expect("statement counts");
        let count = |i: usize| counts.rows[0][i].as_str().and_then(|v| v.parse::<u64>().ok()).expect("a count");
        let (prepared, closed) = (count(0), count(1));
        assert!(prepared >= 10 && prepared == closed + 2, "{prepared} prepared, {closed} closed");
        conn.quit().await;
    });
}
