//! Test harness: a real rectus server (real HTTP on a free port, real libSQL
//! file) started per test file, and a tiny blocking client.
//!
//! `RECTUS_TEST_URL` points the suite at an already running server instead
//! (for example the edge worker under workerd) — one suite, several hosts;
//! `RECTUS_TEST_DB` is then the SQLite file it serves (the oracle's copy).

#![allow(dead_code)]

use rectus::native::cli::{Cli, Command};
use serde_json::Value;
use std::sync::OnceLock;

/// A running server and its base URL.
pub struct Server {
    pub base: String,
    pub db_path: String,
}

/// Articles in the test data set.
pub const ARTICLES: u64 = 300;

/// The shared read-only server of this test binary (demo data, untouched by writes).
pub fn shared() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| match std::env::var("RECTUS_TEST_URL") {
        Ok(url) => Server {
            base: url.trim_end_matches('/').to_string(),
            db_path: std::env::var("RECTUS_TEST_DB").expect("RECTUS_TEST_DB names the database RECTUS_TEST_URL serves"),
        },
        Err(_) => {
            start(&format!("shared-{}", std::process::id()), &["--demo", "--demo-articles", &ARTICLES.to_string()])
        }
    })
}

/// The shared server over the music store (plain SQLite: foreign keys
/// without indexes, no Directus metadata). `RECTUS_TEST_MUSIC_URL` and
/// `RECTUS_TEST_MUSIC_DB` point it at a running host instead.
pub fn music() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| match std::env::var("RECTUS_TEST_MUSIC_URL") {
        Ok(url) => Server {
            base: url.trim_end_matches('/').to_string(),
            db_path: std::env::var("RECTUS_TEST_MUSIC_DB").expect("RECTUS_TEST_MUSIC_DB names the music database"),
        },
        Err(_) => serve_file(&music_db(&format!("music-{}", std::process::id()), MUSIC_TRACKS), &[]),
    })
}

/// Tracks in the test music store.
pub const MUSIC_TRACKS: u64 = 600;

/// A new music-store database file named after `tag`, with `tracks` tracks.
pub fn music_db(tag: &str, tracks: u64) -> String {
    let path = fresh_path(tag);
    let rt = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
    rt.block_on(async {
        let db = libsql::Builder::new_local(&path).build().await.expect("create db");
        let conn = db.connect().expect("connect");
        let size = rectus::fixtures::music::MusicSize { tracks };
        let tables = rectus::fixtures::music::tables(&size);
        rectus::fixtures::load_tables(&conn, &[rectus::fixtures::music::SCHEMA_SQL], tables, &mut |_, _, _| {})
            .await
            .expect("load the music store");
    });
    path
}

/// A path for a new database file named after `tag`, with no file there yet.
pub fn fresh_path(tag: &str) -> String {
    let dir = std::env::temp_dir().join("rectus-tests");
    let _ = std::fs::create_dir_all(&dir);
    let db = dir.join(format!("{tag}-{}.db", std::process::id()));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    db.display().to_string()
}

/// Starts a fresh server over a new database file named after `tag`, with
/// extra `rectus serve` flags. It runs in its own thread and runtime until
/// the test process exits.
pub fn start(tag: &str, extra: &[&str]) -> Server {
    serve_file(&fresh_path(tag), extra)
}

/// Starts a server over the existing (or new) database file at `db_path`.
pub fn serve_file(db_path: &str, extra: &[&str]) -> Server {
    let db_path = db_path.to_string();
    let mut argv = vec!["rectus", "serve", "--db", &db_path, "--port", "0", "--schema-poll-seconds", "1"];
    argv.extend_from_slice(extra);
    let Command::Serve(args) = <Cli as clap::Parser>::parse_from(argv).command else { unreachable!() };
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
        rt.block_on(async move {
            let server = rectus::native::server::bind(args).await.expect("server starts");
            tx.send(server.addr).expect("report address");
            server.run(std::future::pending()).await.expect("server runs");
        });
    });
    let addr = rx.recv().expect("server address");
    Server { base: format!("http://{addr}"), db_path }
}

/// A response: status, content type and body.
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
    /// `data` of a successful reply.
    pub fn data(&self) -> Value {
        assert_eq!(self.status, 200, "expected 200, got {}: {}", self.status, self.text);
        self.json()["data"].clone()
    }
    /// The Directus error code of an error reply.
    pub fn code(&self) -> String {
        self.json()["errors"][0]["extensions"]["code"].as_str().unwrap_or_default().to_string()
    }
}

fn reply(resp: reqwest::blocking::Response) -> Reply {
    Reply {
        status: resp.status().as_u16(),
        content_type: resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string(),
        text: resp.text().unwrap_or_default(),
    }
}

fn client() -> &'static reqwest::blocking::Client {
    static CLIENT: OnceLock<reqwest::blocking::Client> = OnceLock::new();
    CLIENT.get_or_init(reqwest::blocking::Client::new)
}

impl Server {
    pub fn request(&self, method: &str, path: &str, body: Option<&Value>) -> Reply {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = client().request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.header("content-type", "application/json").body(b.to_string());
        }
        let resp = req.send().expect("request reaches the server");
        reply(resp)
    }
    /// A request with any content type and body, on its own connection: the
    /// server may answer early (413) and close it, which must not break the
    /// shared client's pooled connections.
    pub fn raw(&self, method: &str, path: &str, content_type: &str, body: &str) -> Reply {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let own = reqwest::blocking::Client::builder().pool_max_idle_per_host(0).build().expect("client");
        let resp = own
            .request(method, format!("{}{path}", self.base))
            .header("content-type", content_type)
            .body(body.to_string())
            .send()
            .expect("request reaches the server");
        reply(resp)
    }
    pub fn get(&self, path: &str) -> Reply {
        self.request("GET", path, None)
    }
    pub fn post(&self, path: &str, body: Value) -> Reply {
        self.request("POST", path, Some(&body))
    }
    pub fn patch(&self, path: &str, body: Value) -> Reply {
        self.request("PATCH", path, Some(&body))
    }
    pub fn delete(&self, path: &str, body: Option<Value>) -> Reply {
        self.request("DELETE", path, body.as_ref())
    }
}

/// The `id`s of a list reply, in order.
pub fn ids(data: &Value) -> Vec<i64> {
    data.as_array().expect("array").iter().map(|r| r["id"].as_i64().expect("id")).collect()
}

/// Runs hand-written SQL on the server's database file: the oracle the API's
/// answers are checked against. Returns the first column as JSON values.
pub fn sql_column(db_path: &str, sql: &str) -> Vec<Value> {
    let rt = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
    rt.block_on(async {
        let db = libsql::Builder::new_local(db_path).build().await.expect("open db");
        let conn = db.connect().expect("connect");
        // The server may be writing at the same moment: wait for its lock.
        conn.busy_timeout(std::time::Duration::from_secs(10)).expect("busy timeout");
        let mut rows = conn.query(sql, ()).await.expect("oracle query");
        let mut out = Vec::new();
        while let Some(row) = rows.next().await.expect("row") {
            out.push(match row.get_value(0).expect("value") {
                libsql::Value::Null => Value::Null,
                libsql::Value::Integer(i) => Value::from(i),
                libsql::Value::Real(f) => Value::from(f),
                libsql::Value::Text(s) => Value::from(s),
                libsql::Value::Blob(_) => Value::Null,
            });
        }
        out
    })
}

/// `sql_column` as integers (ids).
pub fn sql_ids(db_path: &str, sql: &str) -> Vec<i64> {
    sql_column(db_path, sql).iter().map(|v| v.as_i64().expect("integer")).collect()
}
