//! Load benchmark: rectus against two baselines measured in the same run.
//!
//!   cargo bench --bench load                 # 10k and 100k articles
//!   RECTUS_BENCH_SIZES=10000 RECTUS_BENCH_SECONDS=2 cargo bench --bench load
//!
//! For each data size it starts `rectus serve` (release build) on the demo
//! data set and drives four scenarios with keep-alive connections. Baselines:
//!   (a) the same SQL executed directly through libSQL in-process (no HTTP);
//!   (b) a minimal handler on the same HTTP stack (axum, in a separate process)
//!       that runs that same SQL and writes the JSON — no parsing, schema or
//!       permissions: the ceiling for this machine.
//! It prints each scenario as a ratio of (b), the server's peak RSS and the
//! time to first response.
//!
//! With RECTUS_BENCH_EDGE=1 (needs scripts/setup-wasm) it also serves the
//! same data from the edge worker in local workerd over D1 (sizes up to
//! RECTUS_BENCH_EDGE_MAX, default 10000) and reports the worker's size, its
//! start with an empty and with a warm KV snapshot cache, and the scenarios.

use rectus::db::libsql::LibsqlDriver;
use rectus::db::{Driver, Statement, Value};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A key value the item scenario's statement is compiled with, then swapped.
const KEY_SENTINEL: i64 = 424_242_424;

struct Scenario {
    name: &'static str,
    /// Path and query; `{id}` is replaced by a rotating article id.
    url: &'static str,
}

const SCENARIOS: &[Scenario] = &[
    Scenario { name: "item by id", url: "/items/articles/{id}" },
    Scenario {
        name: "nested list of 20",
        url: "/items/articles?fields=id,title,author.name,tags.tags_id.name&filter[status][_eq]=published&sort=-published_at&limit=20",
    },
    Scenario { name: "aggregate+groupBy", url: "/items/articles?aggregate[count]=*&groupBy[]=status&groupBy[]=year(published_at)" },
    Scenario { name: "search", url: "/items/articles?search=rust&fields=id,title&limit=20" },
];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // Re-invoked as the baseline (b) server process.
    if let Some(i) = args.iter().position(|a| a == "--baseline-server") {
        return baseline_server(&args[i + 1], &args[i + 2]);
    }
    if args.iter().any(|a| a == "--list") {
        println!("load: benchmark");
        return;
    }
    let sizes: Vec<u64> = std::env::var("RECTUS_BENCH_SIZES")
        .unwrap_or_else(|_| "10000,100000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let seconds: f64 = std::env::var("RECTUS_BENCH_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(3.0);
    let connections: usize = std::env::var("RECTUS_BENCH_CONNECTIONS").ok().and_then(|s| s.parse().ok()).unwrap_or(8);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    for n in sizes {
        rt.block_on(bench_size(n, Duration::from_secs_f64(seconds), connections));
    }
}

async fn bench_size(articles: u64, duration: Duration, connections: usize) {
    let db = demo_db(articles).await;
    println!(
        "\n== {articles} articles ({}), {connections} connections, {:.1} s per run ==",
        db,
        duration.as_secs_f64()
    );

    // rectus itself.
    let port = free_port();
    let started = Instant::now();
    let mut rectus = Command::new(env!("CARGO_BIN_EXE_rectus"))
        .args(["serve", "--db", &db, "--port", &port.to_string()])
        .env("RECTUS_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("start rectus");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder().pool_max_idle_per_host(connections).build().expect("client");
    let first_response = wait_ready(&client, &format!("{base}/items/articles/1"), started).await;

    // The compiled SQL of each scenario, for the baselines.
    let driver = Arc::new(LibsqlDriver::open(&db, 2).await.expect("open db"));
    let snapshot = rectus::schema::introspect::snapshot_sqlite(driver.as_ref()).await.expect("snapshot");
    let statements: Vec<Statement> = SCENARIOS.iter().map(|s| compile(&snapshot, s.url)).collect();
    let plan_file = format!("{db}.plans.json");
    std::fs::write(&plan_file, plans_json(&statements)).expect("write plans");

    let bport = free_port();
    let exe = std::env::current_exe().expect("bench exe");
    let mut baseline = Command::new(exe)
        .args(["--baseline-server", &db, &format!("{bport}:{plan_file}")])
        .spawn()
        .expect("start baseline");
    let bbase = format!("http://127.0.0.1:{bport}");
    wait_ready(&client, &format!("{bbase}/0/1"), Instant::now()).await;

    println!(
        "{:<20} {:>22} {:>22} {:>12} {:>9}",
        "scenario", "rectus req/s p50/p99", "(b) req/s p50/p99", "(a) ops/s", "rectus/(b)"
    );
    for (i, sc) in SCENARIOS.iter().enumerate() {
        let url = format!("{base}{}", sc.url);
        let burl = format!("{bbase}/{i}/{{id}}");
        let r = load(&client, &url, articles, duration, connections).await;
        let b = load(&client, &burl, articles, duration, connections).await;
        let a = direct(&driver, &statements[i], articles, duration).await;
        println!(
            "{:<20} {:>8.0} {:>5.2}/{:>5.2}ms {:>8.0} {:>5.2}/{:>5.2}ms {:>12.0} {:>8.0}%",
            sc.name,
            r.rps,
            r.p50_ms,
            r.p99_ms,
            b.rps,
            b.p50_ms,
            b.p99_ms,
            a,
            100.0 * r.rps / b.rps.max(1e-9)
        );
    }
    println!("time to first response: {:.0} ms (spawn to first item answered)", first_response.as_secs_f64() * 1000.0);
    println!("rectus peak RSS: {:.1} MB", peak_rss_mb(rectus.id()));
    stop(&mut rectus);
    stop(&mut baseline);
    let edge_max: u64 = std::env::var("RECTUS_BENCH_EDGE_MAX").ok().and_then(|s| s.parse().ok()).unwrap_or(10_000);
    if std::env::var("RECTUS_BENCH_EDGE").is_ok() && articles <= edge_max {
        edge::bench(&db, &client, articles, duration, connections).await;
    }
}

/// The demo database for `articles`, generated once and kept under ~/.cache.
async fn demo_db(articles: u64) -> String {
    let dir = std::env::var("HOME")
        .map(|h| format!("{h}/.cache/rectus/bench"))
        .unwrap_or_else(|_| "/tmp/rectus-bench".into());
    std::fs::create_dir_all(&dir).expect("bench dir");
    let path = format!("{dir}/demo-{articles}-v2.db");
    if !std::path::Path::new(&path).exists() {
        let tmp = format!("{path}.tmp");
        let _ = std::fs::remove_file(&tmp);
        let db = libsql::Builder::new_local(&tmp).build().await.expect("create demo db");
        let conn = db.connect().expect("connect");
        rectus::native::server::load_demo(&conn, articles).await.expect("load demo data");
        drop(conn);
        drop(db);
        std::fs::rename(&tmp, &path).expect("keep demo db");
    }
    path
}

fn compile(snapshot: &rectus::schema::SchemaSnapshot, url: &str) -> Statement {
    let url = url.replace("{id}", &KEY_SENTINEL.to_string());
    let (path, query) = url.split_once('?').unwrap_or((&url, ""));
    let query = rectus::query::parse_query_string(query).expect("scenario query");
    let ctx = rectus::sql::ReadCtx { schema: snapshot, now_ms: 0, default_limit: 100, max_limit: None };
    let coll = snapshot.collection("articles").expect("articles");
    match path.rsplit_once('/') {
        Some((_, id)) if id.parse::<i64>().is_ok() => {
            ctx.item(coll, &query, Value::Integer(KEY_SENTINEL)).expect("compile item").statement
        }
        _ => ctx.list(coll, &query).expect("compile list"),
    }
}

fn plans_json(statements: &[Statement]) -> String {
    let plans: Vec<serde_json::Value> = statements
        .iter()
        .map(|s| serde_json::json!({ "sql": s.sql, "params": s.params.iter().map(Value::to_json).collect::<Vec<_>>() }))
        .collect();
    serde_json::Value::Array(plans).to_string()
}

fn plans_from_json(text: &str) -> Vec<Statement> {
    let v: serde_json::Value = serde_json::from_str(text).expect("plans");
    v.as_array()
        .expect("plan list")
        .iter()
        .map(|p| {
            let params = p["params"]
                .as_array()
                .expect("params")
                .iter()
                .map(|x| match x {
                    serde_json::Value::Number(n) if n.is_i64() => Value::Integer(n.as_i64().unwrap_or(0)),
                    serde_json::Value::Number(n) => Value::Real(n.as_f64().unwrap_or(0.0)),
                    serde_json::Value::String(s) => Value::Text(s.clone()),
                    _ => Value::Null,
                })
                .collect();
            Statement { sql: p["sql"].as_str().expect("sql").to_string(), params }
        })
        .collect()
}

/// Swaps the item key into a statement compiled with the sentinel.
fn with_key(stmt: &Statement, id: i64) -> Statement {
    let mut s = stmt.clone();
    for p in &mut s.params {
        if *p == Value::Integer(KEY_SENTINEL) {
            *p = Value::Integer(id);
        }
    }
    s
}

/// Baseline (b): axum + the same libSQL driver; the handler binds the id,
/// runs the precompiled SQL and writes `{"data":` + the JSON cell + `}`.
fn baseline_server(db: &str, port_and_plans: &str) {
    let (port, plan_file) = port_and_plans.split_once(':').expect("port:plans");
    let plans = Arc::new(plans_from_json(&std::fs::read_to_string(plan_file).expect("read plans")));
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let readers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    rt.block_on(async move {
        let driver = Arc::new(LibsqlDriver::open(db, readers).await.expect("open db"));
        let app = axum::Router::new().route(
            "/{plan}/{id}",
            axum::routing::get(move |axum::extract::Path((plan, id)): axum::extract::Path<(usize, i64)>| {
                let (driver, plans) = (driver.clone(), plans.clone());
                async move {
                    let stmt = with_key(&plans[plan], id);
                    let rows = driver.query(&stmt).await.expect("baseline query");
                    let cell = match rows.scalar() {
                        Some(Value::Text(t)) => t.clone(),
                        _ => "null".into(),
                    };
                    ([("content-type", "application/json")], format!("{{\"data\":{cell}}}"))
                }
            }),
        );
        let listener =
            tokio::net::TcpListener::bind(("127.0.0.1", port.parse::<u16>().expect("port"))).await.expect("bind");
        axum::serve(listener, app).await.expect("serve");
    });
}

struct LoadResult {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
}

/// Drives `url` with `connections` concurrent keep-alive clients.
async fn load(
    client: &reqwest::Client,
    url: &str,
    articles: u64,
    duration: Duration,
    connections: usize,
) -> LoadResult {
    // Warm up: statement caches, page cache.
    for i in 0..50u64 {
        let _ = client.get(url.replace("{id}", &(1 + i * 7919 % articles).to_string())).send().await;
    }
    let start = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..connections {
        let (client, url) = (client.clone(), url.to_string());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut i = c as u64;
            while start.elapsed() < duration {
                let id = 1 + (i * 7919) % articles;
                let t = Instant::now();
                let resp = client.get(url.replace("{id}", &id.to_string())).send().await.expect("request");
                assert!(resp.status().is_success(), "{url}: {}", resp.status());
                let _ = resp.bytes().await;
                lat.push(t.elapsed().as_secs_f64() * 1000.0);
                i += connections as u64;
            }
            lat
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("load task"));
    }
    let elapsed = start.elapsed().as_secs_f64();
    all.sort_by(|a, b| a.total_cmp(b));
    let pct =
        |p: f64| all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1))).copied().unwrap_or(0.0);
    LoadResult { rps: all.len() as f64 / elapsed, p50_ms: pct(0.50), p99_ms: pct(0.99) }
}

/// Baseline (a): the statement through libSQL in-process, two at a time.
async fn direct(driver: &Arc<LibsqlDriver>, stmt: &Statement, articles: u64, duration: Duration) -> f64 {
    let start = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..2u64 {
        let (driver, stmt) = (driver.clone(), stmt.clone());
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            let mut i = c;
            while start.elapsed() < duration {
                let s = with_key(&stmt, (1 + (i * 7919) % articles) as i64);
                let rows = driver.query(&s).await.expect("direct query");
                std::hint::black_box(rows);
                n += 1;
                i += 2;
            }
            n
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.expect("direct task");
    }
    total as f64 / start.elapsed().as_secs_f64()
}

async fn wait_ready(client: &reqwest::Client, url: &str, since: Instant) -> Duration {
    loop {
        if let Ok(r) = client.get(url).send().await {
            if r.status().is_success() {
                return since.elapsed();
            }
        }
        assert!(since.elapsed() < Duration::from_secs(120), "server did not start: {url}");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

/// VmHWM of a process, in MB.
fn peak_rss_mb(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(|l| l.to_string()))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<f64>().ok()))
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

fn stop(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// The edge worker under `wrangler dev` (local workerd, D1, KV).
mod edge {
    use super::*;

    const ROOT: &str = env!("CARGO_MANIFEST_DIR");

    fn wasm_env() -> String {
        std::env::var("RECTUS_WASM_PREFIX")
            .unwrap_or_else(|_| format!("{}/.cache/rectus/wasm-toolchain", std::env::var("HOME").unwrap_or_default()))
            + "/env.sh"
    }

    /// A shell command run with the wasm toolchain's environment.
    fn sh(cmd: &str) -> Command {
        let mut c = Command::new("bash");
        c.arg("-c").arg(format!(". {} && {cmd}", wasm_env())).current_dir(ROOT);
        c
    }

    pub async fn bench(db: &str, client: &reqwest::Client, articles: u64, duration: Duration, connections: usize) {
        let built = sh("scripts/edge-build").stdout(Stdio::null()).stderr(Stdio::null()).status().expect("edge build");
        assert!(built.success(), "scripts/edge-build failed");
        let wasm = format!("{ROOT}/build/index_bg.wasm");
        let raw = std::fs::metadata(&wasm).map(|m| m.len()).unwrap_or(0);
        let gz = Command::new("bash").arg("-c").arg(format!("gzip -9c {wasm} | wc -c")).output().expect("gzip");
        let gz: u64 = String::from_utf8_lossy(&gz.stdout).trim().parse().unwrap_or(0);

        let state = std::env::temp_dir().join(format!("rectus-bench-edge-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&state);
        std::fs::create_dir_all(&state).expect("state dir");
        let dump = state.join("import.sql");
        let mut out = std::io::BufWriter::new(std::fs::File::create(&dump).expect("dump file"));
        rectus::native::dump::dump(db, &mut out).await.expect("dump");
        drop(out);
        let import =
            sh(&format!("wrangler d1 execute DB --local --persist-to {} --file {}", state.display(), dump.display()))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .expect("import");
        assert!(import.success(), "D1 import failed");

        println!(
            "-- edge worker (local workerd over D1): {:.0} KB wasm, {:.0} KB gzipped",
            raw as f64 / 1024.0,
            gz as f64 / 1024.0
        );
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        for (warm, kv) in [(false, "an empty KV"), (true, "a warm KV")] {
            let started = Instant::now();
            let mut child = start(&state, port, "");
            let up = wait_port(port, started).await;
            let t = Instant::now();
            let r = client.get(format!("{base}/items/articles/1")).send().await.expect("first request");
            assert!(r.status().is_success(), "edge answered {}", r.status());
            let first = t.elapsed();
            println!(
                "start with {kv}: listening after {:.0} ms; first item answered {:.0} ms later (snapshot {})",
                up.as_secs_f64() * 1000.0,
                first.as_secs_f64() * 1000.0,
                if warm { "read from KV" } else { "introspected, then stored in KV" }
            );
            if warm {
                scenarios(client, &base, articles, duration, connections, "D1").await;
            }
            stop_group(&mut child);
        }
        // The same data in one Durable Object's SQLite storage.
        let mut child = start(&state, port, "--var RECTUS_BACKEND:durable-object --var RECTUS_IMPORT_TOKEN:bench");
        wait_port(port, Instant::now()).await;
        let dump_text = std::fs::read(&dump).expect("dump");
        let r = client
            .post(format!("{base}/rectus/import"))
            .header("x-rectus-import-token", "bench")
            .body(dump_text)
            .send()
            .await
            .expect("import");
        assert!(r.status().is_success(), "Durable Object import failed: {}", r.status());
        scenarios(client, &base, articles, duration, connections, "Durable Object").await;
        stop_group(&mut child);
        let _ = std::fs::remove_dir_all(&state);
    }

    async fn scenarios(
        client: &reqwest::Client,
        base: &str,
        articles: u64,
        duration: Duration,
        connections: usize,
        backend: &str,
    ) {
        println!("{:<20} {:>22}", "scenario", format!("edge/{backend} req/s p50/p99"));
        for sc in SCENARIOS {
            let e = load(client, &format!("{base}{}", sc.url), articles, duration, connections).await;
            println!("{:<20} {:>8.0} {:>5.2}/{:>5.2}ms", sc.name, e.rps, e.p50_ms, e.p99_ms);
        }
    }

    fn start(state: &std::path::Path, port: u16, vars: &str) -> Child {
        use std::os::unix::process::CommandExt;
        sh(&format!(
            "RECTUS_EDGE_PREBUILT=1 exec wrangler dev --local --ip 127.0.0.1 --port {port} --persist-to {} {vars}",
            state.display()
        ))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .stdin(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("wrangler dev")
    }

    async fn wait_port(port: u16, since: Instant) -> Duration {
        while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            assert!(since.elapsed() < Duration::from_secs(120), "wrangler dev did not start");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        since.elapsed()
    }

    fn stop_group(child: &mut Child) {
        let group = format!("-{}", child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        std::thread::sleep(Duration::from_millis(500));
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = child.wait();
    }
}
