//! Test harness: a real rectus server (real HTTP on a free port, real libSQL
//! file) started per test file, and a tiny blocking client.
//!
//! `RECTUS_TEST_URL` points the suite at an already running server instead
//! (for example the edge worker under workerd) — one suite, several hosts;
//! `RECTUS_TEST_DB` is then the SQLite file it serves (the oracle's copy).

#![allow(dead_code)]

pub mod faults;
pub mod graphql;
pub mod mariadb;
pub mod postgres;
pub mod reads;

use rectus::native::cli::{Cli, Command};
use serde_json::Value;
use std::sync::OnceLock;

/// A running server and its base URL.
#[derive(Clone)]
pub struct Server {
    pub base: String,
    pub db_path: String,
    /// Sent as `Authorization: Bearer` with every request (None: anonymous).
    pub token: Option<String>,
}

/// The demo admin's static token and password in every test database.
pub const ADMIN_TOKEN: &str = "rectus-test-admin-token";
pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const ADMIN_PASSWORD: &str = "Adm1n-pass-123";
/// The SECRET test servers sign tokens with (the edge worker's too).
pub const SECRET: &str = "rectus-test-secret";

/// Flags every test server gets: known credentials and secret, cheap password
/// hashing and a short login stall, so tests stay fast.
pub const TEST_FLAGS: &[&str] = &[
    "--admin-token",
    ADMIN_TOKEN,
    "--admin-password",
    ADMIN_PASSWORD,
    "--secret",
    SECRET,
    "--hash-memory-cost",
    "64",
    "--hash-time-cost",
    "1",
    "--hash-parallelism",
    "1",
    "--login-stall-time",
    "20",
    // Every suite runs with the response cache on: a stale answer anywhere
    // fails the suite that sees it.
    "--cache-enabled",
    "true",
    "--cache-skip-allowed",
    "true",
    "--cache-status-header",
    "X-Cache-Status",
];

/// Articles in the test data set.
pub const ARTICLES: u64 = 300;

/// The shared read-only server of this test binary (demo data, untouched by writes).
pub fn shared() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| match std::env::var("RECTUS_TEST_URL") {
        Ok(url) => Server {
            base: url.trim_end_matches('/').to_string(),
            db_path: std::env::var("RECTUS_TEST_DB").expect("RECTUS_TEST_DB names the database RECTUS_TEST_URL serves"),
            token: Some(ADMIN_TOKEN.to_string()),
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
            token: None,
        },
        Err(_) => serve_file(&music_db(&format!("music-{}", std::process::id()), MUSIC_TRACKS), &[]).anonymous(),
    })
}

/// Tracks in the test music store.
pub const MUSIC_TRACKS: u64 = 600;

/// A new music-store database file named after `tag`, with `tracks`
/// tracks, bootstrapped as `rectus demo --set music` makes it (public read).
pub fn music_db(tag: &str, tracks: u64) -> String {
    let path = fresh_path(tag);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        rectus::native::demo::create(&path, rectus::native::cli::DataSet::Music, tracks, &admin_args(), cheap_hash())
            .await
            .expect("create the music store");
    });
    path
}

/// The test admin's credentials, as the CLI would parse them.
pub fn admin_args() -> rectus::native::cli::AdminArgs {
    rectus::native::cli::AdminArgs {
        admin_email: ADMIN_EMAIL.to_string(),
        admin_password: Some(ADMIN_PASSWORD.to_string()),
        admin_token: Some(ADMIN_TOKEN.to_string()),
    }
}

/// argon2 parameters cheap enough for tests.
pub fn cheap_hash() -> rectus::auth::password::HashParams {
    rectus::auth::password::HashParams { memory_kib: 64, iterations: 1, parallelism: 1 }
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

/// A server of the calling test file's own, over a fresh demo database of
/// `articles` articles, so its writes disturb no other suite; against an
/// external host (RECTUS_TEST_URL) the shared one, which scripts/edge-test
/// points the writing suites at only after the read suites ran.
pub fn own_demo(tag: &str, articles: &str) -> Server {
    if std::env::var("RECTUS_TEST_URL").is_ok() {
        shared().clone()
    } else {
        start(tag, &["--demo", "--demo-articles", articles])
    }
}

/// Which database the server under test keeps its data in
/// (RECTUS_TEST_BACKEND: `postgres`, `mariadb`, `d1`, `durable-object`; SQLite
/// when unset).
pub fn backend() -> String {
    std::env::var("RECTUS_TEST_BACKEND").unwrap_or_else(|_| "sqlite".into())
}

/// What an oracle query (SQLite) adds after an ascending `ORDER BY` key so
/// NULLs land where the server's database puts them: first on SQLite, last
/// on Postgres (as Directus on each; docs/compatibility.md).
pub fn asc_nulls() -> &'static str {
    if backend() == "postgres" {
        " NULLS LAST"
    } else {
        ""
    }
}

/// A name no earlier run used (an external server keeps what earlier runs
/// made, and unique columns would refuse a repeat).
pub fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("{prefix}-{}-{nanos}", std::process::id())
}

/// Starts a server over the existing (or new) database file at `db_path`.
pub fn serve_file(db_path: &str, extra: &[&str]) -> Server {
    let db_path = db_path.to_string();
    let mut argv = vec!["rectus", "serve", "--db", &db_path, "--port", "0", "--schema-poll-seconds", "1"];
    argv.extend_from_slice(TEST_FLAGS);
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
    Server { base: format!("http://{addr}"), db_path, token: Some(ADMIN_TOKEN.to_string()) }
}

/// A response: status, content type, headers and body.
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub headers: reqwest::header::HeaderMap,
    pub bytes: Vec<u8>,
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
    /// A header's value, when it is there.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
    }
    /// The Directus error code of an error reply.
    pub fn code(&self) -> String {
        self.json()["errors"][0]["extensions"]["code"].as_str().unwrap_or_default().to_string()
    }
}

fn reply(resp: reqwest::blocking::Response) -> Reply {
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let content_type = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let bytes = resp.bytes().map(|b| b.to_vec()).unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    Reply { status, content_type, headers, bytes, text }
}

fn client() -> &'static reqwest::blocking::Client {
    static CLIENT: OnceLock<reqwest::blocking::Client> = OnceLock::new();
    CLIENT.get_or_init(reqwest::blocking::Client::new)
}

impl Server {
    /// The same server, asked without credentials.
    pub fn anonymous(&self) -> Server {
        Server { token: None, ..self.clone() }
    }

    /// The same server, asked with `token` (a static token or a JWT).
    pub fn as_token(&self, token: &str) -> Server {
        Server { token: Some(token.to_string()), ..self.clone() }
    }

    pub fn request(&self, method: &str, path: &str, body: Option<&Value>) -> Reply {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = client().request(method, format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
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
        let mut req = own.request(method, format!("{}{path}", self.base)).header("content-type", content_type);
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        let resp = req.body(body.to_string()).send().expect("request reaches the server");
        reply(resp)
    }
    pub fn get(&self, path: &str) -> Reply {
        self.request("GET", path, None)
    }
    /// A GET with extra request headers (`If-None-Match`, `Accept-Encoding`).
    pub fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        let mut req = client().get(format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        reply(req.send().expect("request reaches the server"))
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

/// Runs hand-written SQL on the server's database file (or Postgres URL):
/// the oracle the API's answers are checked against. Returns the first
/// column as JSON values.
pub fn sql_column(db_path: &str, sql: &str) -> Vec<Value> {
    if db_path.starts_with("postgres://") {
        return postgres::sql_column(db_path, sql);
    }
    if db_path.starts_with("mysql://") {
        return mariadb::sql_column(db_path, sql);
    }
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
