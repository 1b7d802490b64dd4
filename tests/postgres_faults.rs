//! Postgres failing under a running server: a statement past its budget, a
//! connection the server kills, and the server itself stopped in the middle
//! of a load and started again. rectus must answer OUT_OF_TIME or
//! SERVICE_UNAVAILABLE (never 500, never hang), say so in /server/health,
//! and recover by itself. The last test stops the machine's Postgres: the
//! tests of this file take turns, and it is started again however it ends.

mod common;
use common::faults::{load, uncached};
use common::postgres::{bootstrapped_schema, sql_column};
use common::serve_file;
use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One test at a time: the outage test stops the server the others use.
static TURN: Mutex<()> = Mutex::new(());

fn turn() -> std::sync::MutexGuard<'static, ()> {
    TURN.lock().unwrap_or_else(|e| e.into_inner())
}

/// A bootstrapped schema with a small table (and a view that sleeps), and
/// its URL.
fn database(tag: &str) -> String {
    let url = bootstrapped_schema(tag);
    sql_column(&url, "CREATE TABLE notes (id serial PRIMARY KEY, body text)");
    sql_column(&url, "INSERT INTO notes (body) SELECT 'note ' || n FROM generate_series(1, 20) AS n");
    sql_column(&url, "CREATE VIEW slow AS SELECT 1 AS id, pg_sleep(3) IS NULL AS slept");
    url
}

#[test]
fn a_statement_past_its_budget_answers_out_of_time() {
    let _turn = turn();
    let s = serve_file(&database("budget"), &["--statement-timeout-ms", "300"]);
    let started = Instant::now();
    let r = s.get("/items/slow");
    assert_eq!((r.status, r.code().as_str()), (408, "OUT_OF_TIME"), "{}", r.text);
    assert!(started.elapsed() < Duration::from_secs(2), "took {:?}", started.elapsed());
    // The server stopped it: the next reads are as fast as ever.
    assert_eq!(s.get("/items/notes?limit=1").status, 200);
}

#[test]
fn connections_the_server_kills_cost_no_request() {
    let _turn = turn();
    let app = format!("rectus-kill-{}", std::process::id());
    let url = database("kill");
    let s = serve_file(&format!("{url}&application_name={app}"), &[]);
    // Several connections in the pool, then every one of them killed.
    let load: Vec<_> =
        (0..4).map(|_| s.clone()).map(|s| std::thread::spawn(move || uncached(&s, "/items/notes").status)).collect();
    assert!(load.into_iter().all(|t| t.join().unwrap() == 200));
    let killed = sql_column(
        &url,
        &format!("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = '{app}'"),
    );
    assert!(killed[0].as_i64().unwrap() >= 1, "no connection of the server was found to kill");
    for _ in 0..10 {
        let r = uncached(&s, "/items/notes?limit=2");
        assert_eq!(r.status, 200, "{}", r.text);
    }
}

/// A request whose transaction Postgres aborts to break a deadlock runs
/// again and succeeds, rather than answering 500.
#[test]
fn a_request_that_loses_a_deadlock_runs_again() {
    use rectus::db::{Driver, PoolOptions, Statement};
    let _turn = turn();
    let url = database("deadlock");
    let s = serve_file(&url, &[]);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let other =
        rectus::db::postgres::PostgresDriver::open(&url, &PoolOptions { max_connections: 1, ..Default::default() })
            .expect("Postgres URL");
    let run = |tx: &mut Box<dyn rectus::db::Transaction>, sql: &str| {
        rt.block_on(tx.execute(&Statement::new(sql))).unwrap_or_else(|e| panic!("{sql}: {e}"))
    };
    let deadlocks = || sql_column(&url, "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()");
    let before = deadlocks();
    // Another client's transaction holds note 2 ...
    let mut tx = rt.block_on(other.begin()).expect("begin");
    run(&mut tx, "UPDATE notes SET body = 'theirs' WHERE id = 2");
    // ... the request takes note 1 and waits for note 2 ...
    let writer = s.clone();
    let request =
        std::thread::spawn(move || writer.patch("/items/notes", json!({"keys": [1, 2], "data": {"body": "patched"}})));
    std::thread::sleep(Duration::from_millis(400));
    // ... and the other client now waits for note 1: the request, waiting
    // longer, finds the deadlock (deadlock_timeout) and is aborted.
    run(&mut tx, "UPDATE notes SET body = 'theirs' WHERE id = 1");
    rt.block_on(tx.commit()).expect("commit");
    let r = request.join().unwrap();
    assert_eq!(r.status, 200, "{}", r.text);
    // The request ran again after the other client's commit: its values stay.
    let bodies = sql_column(&url, "SELECT body FROM notes WHERE id IN (1, 2) ORDER BY id");
    assert_eq!(bodies, [json!("patched"), json!("patched")]);
    // (The statistics arrive a moment later.)
    std::thread::sleep(Duration::from_millis(700));
    assert_ne!(deadlocks(), before, "no deadlock happened: the test proves nothing");
}

/// Starts the machine's Postgres again when dropped, however the test ends.
struct Outage;

fn cluster(action: &str) {
    let version = std::fs::read_dir("/etc/postgresql")
        .expect("/etc/postgresql")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .next()
        .expect("a Postgres cluster");
    let mut args = vec!["--skip-systemctl-redirect", &version, "main", action];
    if action == "stop" {
        args.extend(["-m", "fast"]);
    }
    let status = std::process::Command::new("pg_ctlcluster").args(&args).status().expect("pg_ctlcluster");
    assert!(status.success(), "pg_ctlcluster {action} failed");
}

impl Drop for Outage {
    fn drop(&mut self) {
        cluster("start");
    }
}

#[test]
fn the_database_stopped_mid_load_and_started_again() {
    let _turn = turn();
    let url = database("outage");
    let s = serve_file(&url, &[]);
    assert_eq!(s.get("/server/health").status, 200);
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..2).map(|_| load(&s, stop.clone())).collect();
    std::thread::sleep(Duration::from_millis(300));

    let outage = Outage;
    cluster("stop");
    std::thread::sleep(Duration::from_secs(1));
    let health = s.get("/server/health");
    assert_eq!(health.status, 503, "{}", health.text);
    assert_eq!(health.json()["checks"]["rectus:database"][0]["status"], json!("error"));
    // A server started while the database is down starts, and waits for it.
    let late = serve_file(&url, &[]);
    let r = uncached(&late, "/items/notes");
    assert_eq!((r.status, r.code().as_str()), (503, "SERVICE_UNAVAILABLE"), "{}", r.text);

    drop(outage);
    let back = Instant::now();
    for server in [&s, &late] {
        while uncached(server, "/items/notes?limit=5").status != 200 {
            assert!(back.elapsed() < Duration::from_secs(20), "no recovery within 20 s");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    assert_eq!(s.get("/server/health").status, 200);
    stop.store(true, Ordering::Relaxed);
    let statuses: Vec<u16> = workers.into_iter().flat_map(|w| w.join().expect("no request failed otherwise")).collect();
    assert!(statuses.iter().all(|s| *s == 200 || *s == 503), "{statuses:?}");
    assert!(statuses.contains(&503) && statuses.last() == Some(&200), "{statuses:?}");
}
