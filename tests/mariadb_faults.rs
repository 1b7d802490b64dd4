//! MariaDB failing under a running server: a statement past its budget, a
//! connection the server kills, and the server itself stopped in the middle
//! of a load and started again. rectus must answer OUT_OF_TIME or
//! SERVICE_UNAVAILABLE (never 500, never hang), say so in /server/health,
//! and recover by itself. The last test stops the machine's MariaDB: the
//! tests of this file take turns, and it is started again however it ends.

mod common;
use common::faults::{load, uncached};
use common::mariadb::{bootstrapped_database, sql_column};
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

/// A bootstrapped database with a small table (and a view that sleeps),
/// and its URL.
fn database(tag: &str) -> String {
    let url = bootstrapped_database(tag, "utf8mb4_unicode_ci");
    sql_column(&url, "CREATE TABLE notes (id int AUTO_INCREMENT PRIMARY KEY, body text)");
    sql_column(&url, "INSERT INTO notes (body) SELECT CONCAT('note ', seq) FROM seq_1_to_20");
    sql_column(&url, "CREATE VIEW slow AS SELECT 1 AS id, SLEEP(3) = 0 AS slept");
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
    let url = database("kill");
    let s = serve_file(&url, &[]);
    // Several connections in the pool, then every one of them killed.
    let load: Vec<_> =
        (0..4).map(|_| s.clone()).map(|s| std::thread::spawn(move || uncached(&s, "/items/notes").status)).collect();
    assert!(load.into_iter().all(|t| t.join().unwrap() == 200));
    let ids = sql_column(
        &url,
        "SELECT ID FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND ID <> CONNECTION_ID()",
    );
    assert!(!ids.is_empty(), "no connection of the server was found to kill");
    for id in ids {
        sql_column(&url, &format!("KILL CONNECTION {}", id.as_i64().unwrap()));
    }
    for _ in 0..10 {
        let r = uncached(&s, "/items/notes?limit=2");
        assert_eq!(r.status, 200, "{}", r.text);
    }
}

/// A request whose transaction InnoDB picks as a deadlock's victim (it is
/// rolled back whole) runs again and succeeds, rather than answering 500.
#[test]
fn a_request_that_loses_a_deadlock_runs_again() {
    let _turn = turn();
    deadlock_then(|s| s.patch("/items/notes", json!({"keys": [1, 2], "data": {"body": "patched"}})));
    // A GraphQL mutation: its root field runs again.
    let mutation = "mutation { update_notes_items(ids: [1, 2], data: {body: \"patched\"}) { id } }";
    let r = deadlock_then(move |s| s.post("/graphql", json!({ "query": mutation })));
    assert_eq!(r.json()["data"]["update_notes_items"], json!([{"id": "1"}, {"id": "2"}]), "{}", r.text);
}

/// Sends `request` (a write of notes 1 and 2) into a deadlock with another
/// client, whose transaction InnoDB keeps; checks that the request ran again
/// after it and its values stayed, and returns its reply.
fn deadlock_then(request: impl FnOnce(common::Server) -> common::Reply + Send + 'static) -> common::Reply {
    use rectus::db::{Driver, PoolOptions, Statement};
    let url = database("deadlock");
    let s = serve_file(&url, &[]);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let other = rectus::db::mysql::MariaDbDriver::open(&url, &PoolOptions { max_connections: 1, ..Default::default() })
        .expect("MariaDB URL");
    let run = |tx: &mut Box<dyn rectus::db::Transaction>, sql: &str| {
        rt.block_on(tx.execute(&Statement::new(sql))).unwrap_or_else(|e| panic!("{sql}: {e}"))
    };
    // Another client's transaction, heavier (more rows changed: InnoDB
    // gives up the lighter one), holds note 2.
    let before = deadlocks();
    let mut tx = rt.block_on(other.begin()).expect("begin");
    run(&mut tx, "UPDATE notes SET body = CONCAT(body, '!') WHERE id > 2");
    run(&mut tx, "UPDATE notes SET body = 'theirs' WHERE id = 2");
    // The request takes note 1 and waits for note 2 ...
    let writer = s.clone();
    let request = std::thread::spawn(move || request(writer));
    std::thread::sleep(Duration::from_millis(500));
    // ... and the other client now waits for note 1: a deadlock, which
    // InnoDB breaks by rolling the request's transaction back.
    run(&mut tx, "UPDATE notes SET body = 'theirs' WHERE id = 1");
    std::thread::sleep(Duration::from_millis(300));
    rt.block_on(tx.commit()).expect("commit");
    let r = request.join().unwrap();
    assert_eq!(r.status, 200, "{}", r.text);
    // The request ran again after the other client's commit: its values stay.
    let bodies = sql_column(&url, "SELECT body FROM notes WHERE id IN (1, 2) ORDER BY id");
    assert_eq!(bodies, [json!("patched"), json!("patched")]);
    assert!(deadlocks() > before, "no deadlock happened: the test proves nothing");
    r
}

/// Logins of one user at once take the user's row in one order: none
/// deadlocks (the expired-session sweep once made them, about one in 25).
#[test]
fn concurrent_logins_do_not_deadlock() {
    let _turn = turn();
    let s = serve_file(&database("logins"), &[]).anonymous();
    let before = deadlocks();
    let logins: Vec<_> = (0..16)
        .map(|_| s.clone())
        .map(|s| {
            std::thread::spawn(move || {
                (0..15)
                    .map(|_| {
                        let body = json!({"email": common::ADMIN_EMAIL, "password": common::ADMIN_PASSWORD});
                        s.post("/auth/login", body).status
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for login in logins {
        assert!(login.join().unwrap().iter().all(|&status| status == 200));
    }
    assert_eq!(deadlocks(), before, "logins deadlocked (each ran again, but they should not)");
}

/// Deadlocks InnoDB broke since the server started.
fn deadlocks() -> u64 {
    let sql = "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'INNODB_DEADLOCKS'";
    let found = sql_column(&common::mariadb::url_for("test"), sql);
    found[0].as_str().and_then(|v| v.parse().ok()).expect("Innodb_deadlocks")
}

/// Starts the machine's MariaDB again when dropped, however the test ends.
struct Outage;

fn mariadb_up() -> bool {
    std::process::Command::new("mariadb-admin")
        .args(["-h", "127.0.0.1", "-P", "3306", "-u", "root", "--connect-timeout=2", "ping"])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn stop_mariadb() {
    let status = std::process::Command::new("mariadb-admin")
        .args(["-h", "127.0.0.1", "-P", "3306", "-u", "root", "shutdown"])
        .status()
        .expect("mariadb-admin");
    assert!(status.success(), "mariadb-admin shutdown failed");
}

impl Drop for Outage {
    fn drop(&mut self) {
        // As scripts/start-databases starts it.
        let _ = std::process::Command::new("start-stop-daemon")
            .args(["--start", "--oknodo", "--background", "--exec", "/usr/sbin/mariadbd"])
            .status();
        let started = Instant::now();
        while !mariadb_up() && started.elapsed() < Duration::from_secs(30) {
            std::thread::sleep(Duration::from_millis(200));
        }
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
    stop_mariadb();
    while mariadb_up() {
        std::thread::sleep(Duration::from_millis(100));
    }
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
            assert!(back.elapsed() < Duration::from_secs(30), "no recovery within 30 s");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    assert_eq!(s.get("/server/health").status, 200);
    stop.store(true, Ordering::Relaxed);
    let statuses: Vec<u16> = workers.into_iter().flat_map(|w| w.join().expect("no request failed otherwise")).collect();
    assert!(statuses.iter().all(|s| *s == 200 || *s == 503), "{statuses:?}");
    assert!(statuses.contains(&503) && statuses.last() == Some(&200), "{statuses:?}");
}
