//! Load benchmark: rectus against baselines measured in the same run, with
//! load driven by `wrk` (Debian package `wrk`).
//!
//!   cargo bench --bench load                 # everything, 10k and 100k articles
//!   RECTUS_BENCH_SIZES=10000 RECTUS_BENCH_SECONDS=3 cargo bench --bench load
//!   RECTUS_BENCH_ONLY=music cargo bench --bench load      # one part: cms, music, saturation, access, postgres, mariadb, ...
//!
//! Parts:
//! - cms: the demo data set (Directus metadata, indexed foreign keys), four
//!   scenarios, at each size in RECTUS_BENCH_SIZES.
//! - music: a plain SQLite file with unindexed foreign keys (`rectus demo
//!   --set music`): the default-fields list and item next to the same
//!   requests naming the columns.
//! - saturation: cheap point reads, alone and then for a minute beside
//!   expensive reads that run into the statement budget; the cheap ones'
//!   p99 and errors.
//! - access: the cms reads as the admin, as a user whose policy has a row
//!   rule and a field mask, and anonymously; a JWT against a static token;
//!   the cost of a login (argon2id with Directus's parameters).
//! - graphql: the nested list and the item through `/graphql` next to the
//!   same requests through REST, and the same query sent with a different
//!   text each time (parse, validate and plan on every request).
//! - postgres, mariadb: the cms scenarios over a copy of the demo data in
//!   the local Postgres / MariaDB (`rectus copy`), the baselines sending the
//!   same SQL through the same driver; rectus's connections to the server
//!   after the run.
//! - cache: the cms reads with the response cache off and on (item ids from
//!   a hot set of 100), a fixed body through the same HTTP stack
//!   (`/server/ping`), and pollers sending `If-None-Match` while a writer
//!   changes an article for about 1% of the requests.
//!
//! Baselines, same run: (a) the same SQL through libSQL in-process, no HTTP;
//! (b) a bare axum handler (separate process) running that same SQL on its
//! runtime threads and writing the JSON — no parsing, schema, permissions,
//! connection threads or budget: the ceiling on this machine.
//!
//! With RECTUS_BENCH_EDGE=1 (needs scripts/setup-wasm) the cms scenarios are
//! also run against the edge worker in local workerd, over D1, over a
//! Durable Object and over the local Postgres and MariaDB (sizes up to
//! RECTUS_BENCH_EDGE_MAX, default 10000).

use rectus::db::{Statement, Value};
use rectus::native::cli::DataSet;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A key value a scenario's item statement is compiled with, then swapped.
const KEY_SENTINEL: i64 = 424_242_424;

struct Scenario {
    name: &'static str,
    collection: &'static str,
    /// Path and query; `{id}` is replaced by a rotating id.
    url: &'static str,
}

const CMS: &[Scenario] = &[
    Scenario { name: "item by id", collection: "articles", url: "/items/articles/{id}" },
    Scenario {
        name: "nested list of 20",
        collection: "articles",
        url: "/items/articles?fields=id,title,author.name,tags.tags_id.name&filter[status][_eq]=published&sort=-published_at&limit=20",
    },
    Scenario {
        name: "aggregate+groupBy",
        collection: "articles",
        url: "/items/articles?aggregate[count]=*&groupBy[]=status&groupBy[]=year(published_at)",
    },
    Scenario { name: "search", collection: "articles", url: "/items/articles?search=rust&fields=id,title&limit=20" },
];

const MUSIC: &[Scenario] = &[
    Scenario { name: "list, default fields", collection: "track", url: "/items/track" },
    Scenario {
        name: "list, columns named",
        collection: "track",
        url: "/items/track?fields=id,name,album,media_type,genre,composer,milliseconds,bytes,unit_price",
    },
    Scenario { name: "item, default fields", collection: "track", url: "/items/track/{id}" },
    Scenario {
        name: "item, columns named",
        collection: "track",
        url: "/items/track/{id}?fields=id,name,album,media_type,genre,composer,milliseconds,bytes,unit_price",
    },
];

/// Settings from the environment.
struct Settings {
    seconds: u64,
    connections: usize,
    saturation_seconds: u64,
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|s| s.parse().ok()).unwrap_or(default)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // Re-invoked as the baseline (b) server process.
    if let Some(i) = args.iter().position(|a| a == "--baseline-server") {
        return baseline::serve(&args[i + 1], &args[i + 2]);
    }
    if args.iter().any(|a| a == "--list") {
        println!("load: benchmark");
        return;
    }
    assert!(
        Command::new("wrk").arg("--version").output().is_ok(),
        "the bench drives load with wrk: apt-get install wrk"
    );
    let settings = Settings {
        seconds: env_or("RECTUS_BENCH_SECONDS", 5),
        connections: env_or("RECTUS_BENCH_CONNECTIONS", 32),
        saturation_seconds: env_or("RECTUS_BENCH_SATURATION_SECONDS", 60),
    };
    let only = std::env::var("RECTUS_BENCH_ONLY").unwrap_or_default();
    let wanted = |part: &str| only.is_empty() || only.split(',').any(|p| p == part);
    let sizes: Vec<u64> = std::env::var("RECTUS_BENCH_SIZES")
        .unwrap_or_else(|_| "10000,100000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    rt.block_on(async {
        if wanted("music") {
            let db = data_set("music-3503-v3", DataSet::Music, 3503).await;
            println!("\n== music store (3503 tracks, unindexed foreign keys), wrk -c{} -d{}s ==", settings.connections, settings.seconds);
            let rows = compare(&db, MUSIC, 3503, &settings, None).await;
            let ratio = |a: usize, b: usize| 100.0 * rows[a].rectus.rps / rows[b].rectus.rps.max(1e-9);
            println!(
                "default fields / columns named: list {:.0}%, item {:.0}%  (targets >= 90%); item / (b): {:.0}% (target >= 70%)",
                ratio(0, 1),
                ratio(2, 3),
                100.0 * rows[2].rectus.rps / rows[2].baseline.rps.max(1e-9)
            );
        }
        if wanted("cms") {
            for &n in &sizes {
                let db = cms_db(n).await;
                println!("\n== {n} articles, wrk -c{} -d{}s ==", settings.connections, settings.seconds);
                compare(&db, CMS, n, &settings, Some(ADMIN_TOKEN)).await;
                let edge_max: u64 = env_or("RECTUS_BENCH_EDGE_MAX", 10_000);
                if std::env::var("RECTUS_BENCH_EDGE").is_ok() && n <= edge_max {
                    edge::bench(&db, n, &settings).await;
                }
            }
        }
        if wanted("postgres") {
            let n = sizes.first().copied().unwrap_or(10_000);
            let url = postgres_copy(&cms_db(n).await, n).await;
            println!(
                "\n== Postgres (local server), {n} articles, wrk -c{} -d{}s; (a) and (b) send the same SQL through the same driver ==",
                settings.connections, settings.seconds
            );
            compare(&url, CMS, n, &settings, Some(ADMIN_TOKEN)).await;
        }
        if wanted("mariadb") {
            let n = sizes.first().copied().unwrap_or(10_000);
            let url = mariadb_copy(&cms_db(n).await, n).await;
            println!(
                "\n== MariaDB (local server), {n} articles, wrk -c{} -d{}s; (a) and (b) send the same SQL through the same driver ==",
                settings.connections, settings.seconds
            );
            compare(&url, CMS, n, &settings, Some(ADMIN_TOKEN)).await;
        }
        if wanted("saturation") {
            let db = data_set("music-3503-v3", DataSet::Music, 3503).await;
            saturation(&db, &settings).await;
        }
        if wanted("graphql") {
            let db = cms_db(sizes.first().copied().unwrap_or(10_000)).await;
            graphql(&db, &settings).await;
        }
        if wanted("cache") {
            let db = cms_db(sizes.first().copied().unwrap_or(10_000)).await;
            cache(&db, &settings).await;
        }
        if wanted("access") {
            let db = cms_db(sizes.first().copied().unwrap_or(10_000)).await;
            access::bench(&db, &settings).await;
        }
    });
}

/// rectus's and the baseline's figures for one scenario.
struct Row {
    rectus: Wrk,
    baseline: Wrk,
}

/// Runs `scenarios` against rectus, (b) and (a) on `db`, printing a table.
/// `token`: who rectus is asked as (None: anonymous).
async fn compare(db: &str, scenarios: &[Scenario], max_id: u64, settings: &Settings, token: Option<&str>) -> Vec<Row> {
    let started = Instant::now();
    let rectus = spawn_rectus(db, &[]);
    let first_response = wait_ready(&format!("{}/server/ping", rectus.base), started).await;

    let (snapshot, dialect) = snapshot_of(db).await;
    let statements: Vec<Statement> = scenarios.iter().map(|s| compile(&snapshot, dialect, s)).collect();
    let baseline = baseline::spawn(db, &statements);
    wait_ready(&format!("{}/0/1", baseline.base), Instant::now()).await;

    println!(
        "{:<22} {:>24} {:>24} {:>12} {:>10}",
        "scenario", "rectus req/s p50/p99", "(b) req/s p50/p99", "(a) ops/s", "rectus/(b)"
    );
    let mut rows = Vec::new();
    for (i, sc) in scenarios.iter().enumerate() {
        let r = wrk(&rectus.base, sc.url, max_id, settings.seconds, settings.connections, None, token);
        let b =
            wrk(&baseline.base, &format!("/{i}/{{id}}"), max_id, settings.seconds, settings.connections, None, None);
        let a = direct::ops_per_second(db, &statements[i], max_id, Duration::from_secs(settings.seconds.min(3))).await;
        assert_eq!(r.errors, 0, "{}: {} failed requests", sc.name, r.errors);
        println!(
            "{:<22} {:>9.0} {:>6.2}/{:>6.2}ms {:>9.0} {:>6.2}/{:>6.2}ms {:>12.0} {:>9.0}%",
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
        rows.push(Row { rectus: r, baseline: b });
    }
    println!("time to first response: {:.0} ms (spawn to first answer)", first_response.as_secs_f64() * 1000.0);
    println!("rectus peak RSS: {:.1} MB", peak_rss_mb(rectus.child.id()));
    // The baseline's connections go first, so only rectus's are counted.
    drop(baseline);
    if db.starts_with("postgres://") {
        println!("rectus's connections to Postgres after the run: {}", postgres_connections(db, "rectus").await);
    }
    if db.starts_with("mysql://") {
        println!("rectus's connections to MariaDB after the run: {}", mariadb_connections(db).await);
    }
    drop(rectus);
    rows
}

/// Cheap point reads alone, then beside expensive reads for a minute.
async fn saturation(db: &str, settings: &Settings) {
    const CHEAP: &str = "/items/track/{id}";
    // Seconds of work per request on unindexed foreign keys: each one runs
    // into the statement budget.
    const EXPENSIVE: &str = "/items/track?fields=id,playlist_track.track.playlist_track.id&limit=-1";
    let budget_ms = 2000;
    let rectus = spawn_rectus(db, &["--statement-timeout-ms", &budget_ms.to_string()]);
    wait_ready(&format!("{}/server/ping", rectus.base), Instant::now()).await;
    let cheap_connections = 8;
    println!(
        "\n== saturation: {CHEAP} ({cheap_connections} connections) alone, then for {} s beside {EXPENSIVE} (4 connections, budget {budget_ms} ms) ==",
        settings.saturation_seconds
    );
    let alone = wrk(&rectus.base, CHEAP, 3503, settings.seconds.max(10), cheap_connections, None, None);
    let base = rectus.base.clone();
    let seconds = settings.saturation_seconds;
    let expensive = std::thread::spawn(move || wrk(&base, EXPENSIVE, 1, seconds, 4, Some(budget_ms * 2), None));
    std::thread::sleep(Duration::from_millis(500));
    let loaded = wrk(&rectus.base, CHEAP, 3503, seconds.saturating_sub(1).max(1), cheap_connections, None, None);
    let expensive = expensive.join().expect("expensive load");
    println!("{:<28} {:>10} {:>10} {:>10} {:>8}", "", "req/s", "p50 ms", "p99 ms", "errors");
    for (name, w) in
        [("cheap, alone", &alone), ("cheap, beside expensive", &loaded), ("expensive (budget)", &expensive)]
    {
        println!("{name:<28} {:>10.0} {:>10.2} {:>10.2} {:>8}", w.rps, w.p50_ms, w.p99_ms, w.errors);
    }
    println!(
        "cheap p99 beside expensive / alone: {:.1}x; cheap errors: {}; expensive answered OUT_OF_TIME: {}",
        loaded.p99_ms / alone.p99_ms.max(1e-9),
        loaded.errors,
        expensive.errors
    );
    println!(
        "read connections opened meanwhile: see the server's log; peak RSS {:.1} MB",
        peak_rss_mb(rectus.child.id())
    );
}

/// A rectus server process, stopped when dropped.
struct Running {
    child: Child,
    base: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn_rectus(db: &str, extra: &[&str]) -> Running {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_rectus"))
        .args(["serve", "--db", db, "--port", &port.to_string()])
        // The response cache is on by default: the other parts measure the
        // reads themselves, and the cache part turns it on.
        .args(["--cache-enabled", "false"])
        .args(extra)
        .env("RECTUS_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("start rectus");
    Running { child, base: format!("http://127.0.0.1:{port}") }
}

/// GraphQL requests next to their REST equivalents, same server, same run.
async fn graphql(db: &str, settings: &Settings) {
    let rectus = spawn_rectus(db, &[]);
    wait_ready(&format!("{}/server/ping", rectus.base), Instant::now()).await;
    let nested = "{ articles(filter: {status: {_eq: \"published\"}}, sort: [\"-published_at\"], limit: 20) { id title author { name } tags { tags_id { name } } } }";
    let item = "query($id: ID!) { articles_by_id(id: $id) { id title status author { name } } }";
    let gql = |query: &str, vars: &str| {
        let enc = |s: &str| percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string();
        format!(
            "/graphql?query={}{}",
            enc(query),
            if vars.is_empty() { String::new() } else { format!("&variables={}", enc(vars)) }
        )
    };
    // `{id}` inside a comment makes every text new: nothing is cached.
    let uncached = gql(&format!("#{{id}}\n{nested}"), "").replace("%7Bid%7D", "{id}");
    let item_gql = gql(item, "{\"id\":{id}}").replace("%7Bid%7D", "{id}");
    let cases: [(&str, String); 5] = [
        ("nested list, REST", CMS[1].url.to_string()),
        ("nested list, GraphQL", gql(nested, "")),
        ("nested list, GraphQL new text", uncached),
        ("item, REST", "/items/articles/{id}?fields=id,title,status,author.name".to_string()),
        ("item, GraphQL ($id)", item_gql),
    ];
    println!("\n== GraphQL next to REST, wrk -c{} -d{}s ==", settings.connections, settings.seconds);
    println!("{:<32} {:>24}", "scenario", "req/s p50/p99");
    let mut rps = Vec::new();
    for (name, path) in &cases {
        let w = wrk(&rectus.base, path, 10_000, settings.seconds, settings.connections, None, Some(ADMIN_TOKEN));
        assert_eq!(w.errors, 0, "{name}: errors");
        println!("{name:<32} {:>10.0} {:>5.2}/{:<6.2}", w.rps, w.p50_ms, w.p99_ms);
        rps.push(w.rps);
    }
    println!(
        "GraphQL / REST: nested list {:.0}% (target >= 90%), item {:.0}%; parse+validate+plan per request: {:.0} us",
        100.0 * rps[1] / rps[0].max(1e-9),
        100.0 * rps[4] / rps[3].max(1e-9),
        // Both cores serve: a request's CPU cost is 2 cores / rate.
        (2.0 / rps[2].max(1e-9) - 2.0 / rps[1].max(1e-9)) * 1e6
    );
}

/// The cms reads with the response cache off and on, same run.
async fn cache(db: &str, settings: &Settings) {
    let plain = spawn_rectus(db, &[]);
    let cached = spawn_rectus(db, &["--cache-enabled", "true"]);
    for server in [&plain, &cached] {
        wait_ready(&format!("{}/server/ping", server.base), Instant::now()).await;
    }
    // A hot set: a feed's items are asked for again and again.
    let hot: Vec<String> = (1..=100).map(|i| i.to_string()).collect();
    std::env::set_var("BENCH_IDS", hot.join(","));
    let run = |base: &str, path: &str| {
        let w = wrk(base, path, 100, settings.seconds, settings.connections, None, Some(ADMIN_TOKEN));
        assert_eq!(w.errors, 0, "{path}: errors");
        w
    };
    println!("\n== response cache off and on, wrk -c{} -d{}s ==", settings.connections, settings.seconds);
    println!("{:<22} {:>22} {:>22} {:>8}", "scenario", "off req/s p50/p99", "on req/s p50/p99", "on/off");
    let mut item_cached = 0.0;
    for sc in CMS {
        let (off, on) = (run(&plain.base, sc.url), run(&cached.base, sc.url));
        println!(
            "{:<22} {:>8.0} {:>5.2}/{:<6.2} {:>8.0} {:>5.2}/{:<6.2} {:>7.0}%",
            sc.name,
            off.rps,
            off.p50_ms,
            off.p99_ms,
            on.rps,
            on.p50_ms,
            on.p99_ms,
            100.0 * on.rps / off.rps.max(1e-9)
        );
        if sc.name == "item by id" {
            item_cached = on.rps;
        }
    }
    let fixed = run(&cached.base, "/server/ping");
    println!(
        "fixed body (/server/ping) {:.0} req/s; cached item / fixed body: {:.0}% (target >= 70%)",
        fixed.rps,
        100.0 * item_cached / fixed.rps.max(1e-9)
    );
    std::env::remove_var("BENCH_IDS");

    // Pollers of one feed: 304 while nothing changes; a writer changes an
    // article (a table the feed reads), then a comment (one it does not
    // read), at about 1% of the request rate.
    let feed = CMS[1].url;
    std::env::set_var("BENCH_POLL", "1");
    let quiet = run(&cached.base, feed);
    let interval = Duration::from_secs_f64(100.0 / quiet.rps.max(1.0));
    // Writers keep to a schedule (catching up when a write was slow), four
    // of them, since one PATCH under this load takes longer than the gap.
    const WRITERS: u32 = 4;
    let with_writes = |path: &'static str, body: serde_json::Value| {
        let stop = Arc::new(AtomicBool::new(false));
        let writers: Vec<_> = (0..WRITERS)
            .map(|_| {
                let (stop, base, body) = (stop.clone(), cached.base.clone(), body.clone());
                std::thread::spawn(move || {
                    let client = reqwest::blocking::Client::new();
                    let started = Instant::now();
                    let mut writes = 0u32;
                    while !stop.load(Ordering::Relaxed) {
                        let r = client.patch(format!("{base}{path}")).bearer_auth(ADMIN_TOKEN).json(&body).send();
                        assert!(r.is_ok_and(|r| r.status().is_success()), "the writer's PATCH");
                        writes += 1;
                        let due = started + interval * WRITERS * writes;
                        std::thread::sleep(due.saturating_duration_since(Instant::now()));
                    }
                    writes as u64
                })
            })
            .collect();
        let busy = run(&cached.base, feed);
        stop.store(true, Ordering::Relaxed);
        let writes: u64 = writers.into_iter().map(|w| w.join().expect("writer")).sum();
        (busy.rps, 100.0 * writes as f64 / (busy.rps * settings.seconds as f64).max(1.0))
    };
    let (same, same_share) = with_writes("/items/articles/1", serde_json::json!({ "views": 7 }));
    let (other, other_share) = with_writes("/items/comments/1", serde_json::json!({ "body": "edited" }));
    std::env::remove_var("BENCH_POLL");
    let plain_poll = run(&plain.base, feed);
    println!(
        "pollers with If-None-Match: {:.0} req/s with no writes; {same:.0} req/s with writes to articles ({same_share:.1}% of requests); {other:.0} req/s with writes to comments, which the feed does not read ({other_share:.1}%); the same feed uncached: {:.0} req/s",
        quiet.rps, plain_poll.rps
    );
}

/// rectus's pool size on a database server (`--db-connections`' default);
/// the baseline keeps as many connections.
const SERVER_CONNECTIONS: usize = 8;

/// A copy of the SQLite `db` in a fresh schema of the local Postgres
/// (RECTUS_BENCH_PG_URL), and its URL.
async fn postgres_copy(db: &str, articles: u64) -> String {
    use rectus::db::{Driver, Statement};
    let base =
        std::env::var("RECTUS_BENCH_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let schema = format!("rx_bench_{articles}");
    let admin = rectus::db::postgres::PostgresDriver::open(&base, &Default::default()).expect("Postgres URL");
    for sql in [format!("DROP SCHEMA IF EXISTS {schema} CASCADE"), format!("CREATE SCHEMA {schema}")] {
        admin.query(&Statement::new(sql)).await.expect("the bench's Postgres schema");
    }
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}options=-csearch_path%3D{schema}");
    let started = Instant::now();
    let from = rectus::db::libsql::LibsqlDriver::open(db, &Default::default()).await.expect("open db");
    let to = rectus::db::postgres::PostgresDriver::open(&url, &Default::default()).expect("Postgres URL");
    let report = rectus::native::copy::copy(&from, &to, &rectus::native::host::SystemHost).await.expect("copy");
    println!("copied {} rows into Postgres schema {schema} in {:.1} s", report.rows, started.elapsed().as_secs_f64());
    url
}

/// A copy of the SQLite `db` in a fresh database of the local MariaDB
/// (RECTUS_BENCH_MARIADB_SERVER), in a case-insensitive collation as most
/// are, and its URL.
async fn mariadb_copy(db: &str, articles: u64) -> String {
    use rectus::db::{Driver, Statement};
    let server = std::env::var("RECTUS_BENCH_MARIADB_SERVER").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into());
    let name = format!("rx_bench_{articles}");
    let admin = rectus::db::mysql::MariaDbDriver::open(&format!("{server}/test"), &Default::default()).expect("URL");
    for sql in [
        format!("DROP DATABASE IF EXISTS {name}"),
        format!("CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"),
    ] {
        admin.query(&Statement::new(sql)).await.expect("the bench's MariaDB database");
    }
    let url = format!("{server}/{name}");
    let started = Instant::now();
    let from = rectus::db::libsql::LibsqlDriver::open(db, &Default::default()).await.expect("open db");
    let to = rectus::db::mysql::MariaDbDriver::open(&url, &Default::default()).expect("MariaDB URL");
    let report = rectus::native::copy::copy(&from, &to, &rectus::native::host::SystemHost).await.expect("copy");
    println!("copied {} rows into MariaDB database {name} in {:.1} s", report.rows, started.elapsed().as_secs_f64());
    url
}

/// Connections to the MariaDB database of `url` but the probe's own.
async fn mariadb_connections(url: &str) -> i64 {
    use rectus::db::{Driver, Statement};
    let driver = rectus::db::mysql::MariaDbDriver::open(url, &Default::default()).expect("MariaDB URL");
    let sql = "SELECT count(*) FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND ID <> CONNECTION_ID()";
    let rows = driver.query(&Statement::new(sql)).await.expect("PROCESSLIST");
    rows.scalar().and_then(Value::as_i64).unwrap_or(0)
}

/// Connections to Postgres open under `application_name`.
async fn postgres_connections(url: &str, application_name: &str) -> i64 {
    use rectus::db::{Driver, Statement};
    // Under a name of its own, so the probe does not count itself.
    let probe = format!("{url}&application_name=rectus-bench-probe");
    let driver = rectus::db::postgres::PostgresDriver::open(&probe, &Default::default()).expect("Postgres URL");
    let sql = "SELECT count(*) FROM pg_stat_activity WHERE application_name = ?1";
    let rows =
        driver.query(&Statement::with_params(sql, vec![application_name.into()])).await.expect("pg_stat_activity");
    rows.scalar().and_then(Value::as_i64).unwrap_or(0)
}

/// The cms demo database for `articles`, generated once and kept under ~/.cache.
async fn cms_db(articles: u64) -> String {
    data_set(&format!("demo-{articles}-v4"), DataSet::Cms, articles).await
}

/// The bench databases' admin token (requests are sent as this admin).
const ADMIN_TOKEN: &str = "rectus-bench-admin-token";

/// A data set's file under ~/.cache/rectus/bench, made by `rectus demo` once.
async fn data_set(name: &str, set: DataSet, size: u64) -> String {
    let dir = std::env::var("HOME")
        .map(|h| format!("{h}/.cache/rectus/bench"))
        .unwrap_or_else(|_| "/tmp/rectus-bench".into());
    std::fs::create_dir_all(&dir).expect("bench dir");
    let path = format!("{dir}/{name}.db");
    if !std::path::Path::new(&path).exists() {
        let tmp = format!("{path}.tmp");
        let _ = std::fs::remove_file(&tmp);
        let admin = rectus::native::cli::AdminArgs {
            admin_email: "admin@example.com".into(),
            admin_password: Some("bench-password".into()),
            admin_token: Some(ADMIN_TOKEN.into()),
        };
        let hash = rectus::auth::password::HashParams { memory_kib: 1024, iterations: 1, parallelism: 1 };
        rectus::native::demo::create(&tmp, set, size, &admin, hash).await.expect("create the data set");
        // The write-ahead log holds the last transactions: it moves along.
        for suffix in ["-wal", "-shm", ""] {
            if std::path::Path::new(&format!("{tmp}{suffix}")).exists() {
                std::fs::rename(format!("{tmp}{suffix}"), format!("{path}{suffix}")).expect("keep bench db");
            }
        }
    }
    path
}

/// The driver for a SQLite file, a Postgres or a MariaDB URL.
async fn open_driver(db: &str) -> Box<dyn rectus::db::Driver> {
    if db.starts_with("postgres://") {
        Box::new(rectus::db::postgres::PostgresDriver::open(db, &Default::default()).expect("Postgres URL"))
    } else if db.starts_with("mysql://") {
        Box::new(rectus::db::mysql::MariaDbDriver::open(db, &Default::default()).expect("MariaDB URL"))
    } else {
        Box::new(rectus::db::libsql::LibsqlDriver::open(db, &Default::default()).await.expect("open db"))
    }
}

/// The schema snapshot of `db` and the SQL dialect it speaks.
async fn snapshot_of(db: &str) -> (rectus::schema::SchemaSnapshot, rectus::db::Dialect) {
    let driver = open_driver(db).await;
    (rectus::schema::introspect::snapshot(driver.as_ref()).await.expect("snapshot"), driver.dialect())
}

/// The statement rectus compiles for a scenario, with the item key as
/// KEY_SENTINEL.
fn compile(snapshot: &rectus::schema::SchemaSnapshot, dialect: rectus::db::Dialect, sc: &Scenario) -> Statement {
    let url = sc.url.replace("{id}", &KEY_SENTINEL.to_string());
    let (path, query) = url.split_once('?').unwrap_or((&url, ""));
    let query = rectus::query::parse_query_string(query).expect("scenario query");
    let ctx = rectus::sql::ReadCtx {
        dialect: rectus::sql::dialect::of(dialect),
        schema: snapshot,
        grants: None,
        default_limit: 100,
        max_limit: None,
        max_relational_depth: 10,
        graphql_scalars: false,
    };
    let coll = snapshot.collection(sc.collection).expect("collection");
    match path.rsplit_once('/') {
        Some((_, id)) if id.parse::<i64>().is_ok() => {
            ctx.item(coll, &query, Value::Integer(KEY_SENTINEL)).expect("compile item").compiled.statement
        }
        _ => ctx.list(coll, &query).expect("compile list").statement,
    }
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

/// What wrk measured.
struct Wrk {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    /// Non-2xx answers plus socket errors and timeouts.
    errors: u64,
}

/// Runs wrk against `base` + `path` (`{id}` rotating over 1..=max_id).
fn wrk(
    base: &str,
    path: &str,
    max_id: u64,
    seconds: u64,
    connections: usize,
    timeout_ms: Option<u64>,
    token: Option<&str>,
) -> Wrk {
    let script = std::env::temp_dir().join(format!("rectus-bench-{}.lua", std::process::id()));
    std::fs::write(&script, WRK_SCRIPT).expect("wrk script");
    let mut cmd = Command::new("wrk");
    cmd.args(["-t2", &format!("-c{connections}"), &format!("-d{seconds}s"), "--latency"])
        .arg("-s")
        .arg(&script)
        .env("BENCH_PATH", path)
        .env("BENCH_MAX_ID", max_id.to_string())
        .env("BENCH_TOKEN", token.unwrap_or(""))
        .env("BENCH_IDS", std::env::var("BENCH_IDS").unwrap_or_default());
    if let Some(ms) = timeout_ms {
        cmd.arg(format!("--timeout={}s", ms.div_ceil(1000)));
    }
    let out = cmd.arg(base).output().expect("run wrk");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    parse_wrk(&text)
        .unwrap_or_else(|| panic!("cannot read wrk's output:\n{text}{}", String::from_utf8_lossy(&out.stderr)))
}

/// Rotates `{id}` through the ids; each thread starts elsewhere.
const WRK_SCRIPT: &str = r#"
local counter = 0
local max = tonumber(os.getenv("BENCH_MAX_ID"))
local path = os.getenv("BENCH_PATH")
-- BENCH_IDS: the ids to rotate through (else 1..BENCH_MAX_ID).
local ids = {}
for id in string.gmatch(os.getenv("BENCH_IDS") or "", "[^,]+") do ids[#ids + 1] = id end
local threads = 0
local token = os.getenv("BENCH_TOKEN")
-- BENCH_POLL=1: each thread sends back the last ETag it got, as a poller.
if os.getenv("BENCH_POLL") == "1" then
  local etag = nil
  response = function(status, headers, body)
    if status == 200 and headers["etag"] then
      etag = headers["etag"]
      wrk.headers["If-None-Match"] = etag
    end
  end
end
if token and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end
function setup(thread)
  thread:set("counter", threads * 100003)
  threads = threads + 1
end
request = function()
  counter = counter + 1
  local id = 1 + (counter * 7919) % max
  if #ids > 0 then id = ids[1 + (counter * 7919) % #ids] end
  return wrk.format("GET", (path:gsub("{id}", tostring(id))))
end
"#;

fn parse_wrk(text: &str) -> Option<Wrk> {
    let ms = |v: &str| -> Option<f64> {
        let (num, unit) = v.split_at(v.find(|c: char| c.is_alphabetic())?);
        let n: f64 = num.parse().ok()?;
        Some(match unit {
            "us" => n / 1000.0,
            "ms" => n,
            "s" => n * 1000.0,
            "m" => n * 60_000.0,
            _ => return None,
        })
    };
    let field = |prefix: &str| text.lines().find_map(|l| l.trim().strip_prefix(prefix).map(|r| r.trim().to_string()));
    let rps = field("Requests/sec:")?.parse().ok()?;
    let p50 = ms(field("50%")?.as_str())?;
    let p99 = ms(field("99%")?.as_str())?;
    let non_2xx: u64 = field("Non-2xx or 3xx responses:").and_then(|v| v.parse().ok()).unwrap_or(0);
    // "Socket errors: connect 0, read 0, write 0, timeout 0"
    let socket: u64 = field("Socket errors:")
        .map(|v| v.split(',').filter_map(|p| p.split_whitespace().last()?.parse::<u64>().ok()).sum())
        .unwrap_or(0);
    Some(Wrk { rps, p50_ms: p50, p99_ms: p99, errors: non_2xx + socket })
}

async fn wait_ready(url: &str, since: Instant) -> Duration {
    let client = reqwest::Client::new();
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

/// libSQL used directly: a connection, its prepared statements, the rows.
mod direct {
    use super::*;
    use std::collections::HashMap;

    /// A connection with the statements it has prepared.
    pub enum Conn {
        Libsql {
            _db: libsql::Database,
            conn: libsql::Connection,
            prepared: HashMap<String, libsql::Statement>,
        },
        /// rectus's own Postgres or MariaDB driver with one connection,
        /// whose statements it keeps prepared: the same driver rectus
        /// serves with.
        Server(Box<dyn rectus::db::Driver>),
    }

    pub async fn connect(db: &str) -> Conn {
        if db.starts_with("postgres://") {
            // Named apart from rectus's own connections, which the bench counts.
            let url = format!("{db}&application_name=rectus-baseline");
            let options = rectus::db::PoolOptions { max_connections: 1, ..Default::default() };
            return Conn::Server(Box::new(
                rectus::db::postgres::PostgresDriver::open(&url, &options).expect("Postgres URL"),
            ));
        }
        if db.starts_with("mysql://") {
            let options = rectus::db::PoolOptions { max_connections: 1, ..Default::default() };
            return Conn::Server(Box::new(rectus::db::mysql::MariaDbDriver::open(db, &options).expect("MariaDB URL")));
        }
        let database = libsql::Builder::new_local(db).build().await.expect("open db");
        let conn = database.connect().expect("connect");
        Conn::Libsql { _db: database, conn, prepared: HashMap::new() }
    }

    impl Conn {
        /// Runs `stmt` and returns its first cell as text.
        pub async fn run(&mut self, stmt: &Statement) -> String {
            let (conn, prepared) = match self {
                Conn::Libsql { conn, prepared, .. } => (conn, prepared),
                Conn::Server(driver) => {
                    let rows = driver.query(stmt).await.expect("query");
                    return rows.scalar().and_then(Value::as_str).unwrap_or("null").to_string();
                }
            };
            if !prepared.contains_key(&*stmt.sql) {
                let p = conn.prepare(&stmt.sql).await.expect("prepare");
                prepared.insert(stmt.sql.to_string(), p);
            }
            let prepared = &prepared[&*stmt.sql];
            prepared.reset();
            let params: Vec<libsql::Value> = stmt.params.iter().map(rectus::db::libsql::to_libsql).collect();
            let mut rows = prepared.query(params).await.expect("query");
            match rows.next().await.expect("row").map(|r| r.get_value(0)) {
                Some(Ok(libsql::Value::Text(t))) => t,
                _ => "null".into(),
            }
        }
    }

    /// Baseline (a): the statement through libSQL in-process, one thread.
    pub async fn ops_per_second(db: &str, stmt: &Statement, max_id: u64, duration: Duration) -> f64 {
        let mut conn = connect(db).await;
        let start = Instant::now();
        let mut n = 0u64;
        while start.elapsed() < duration {
            let s = with_key(stmt, (1 + (n * 7919) % max_id) as i64);
            std::hint::black_box(conn.run(&s).await);
            n += 1;
        }
        n as f64 / start.elapsed().as_secs_f64()
    }
}

/// The price of access control: the same reads as different callers.
mod access {
    use super::*;
    use serde_json::{json, Value};

    /// The reads of a restricted caller are compiled with their rules.
    const READS: &[Scenario] = &[
        // Published articles, which every caller may read (see BENCH_IDS).
        Scenario {
            name: "item by id",
            collection: "articles",
            url: "/items/articles/{id}?fields=id,title,status,author,published_at",
        },
        Scenario {
            name: "list of 20",
            collection: "articles",
            url: "/items/articles?fields=id,title,author.name&sort=-published_at&limit=20",
        },
    ];

    pub async fn bench(db: &str, settings: &Settings) {
        // A copy: the users and rules made here stay out of the cached data set.
        let copy = format!("{db}.access-run.db");
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{copy}{suffix}"));
        }
        for suffix in ["", "-wal"] {
            if std::path::Path::new(&format!("{db}{suffix}")).exists() {
                std::fs::copy(format!("{db}{suffix}"), format!("{copy}{suffix}")).expect("copy the data set");
            }
        }
        let rectus = spawn_rectus(&copy, &["--secret", "bench-secret", "--login-stall-time", "0"]);
        let published = published_ids(&copy).await;
        // SAFETY-free: the bench is single-threaded here; wrk reads it from its environment.
        std::env::set_var("BENCH_IDS", published.join(","));
        wait_ready(&format!("{}/server/ping", rectus.base), Instant::now()).await;
        let client = reqwest::Client::new();
        let api = |method: reqwest::Method, path: &str, body: Value| {
            client.request(method, format!("{}{path}", rectus.base)).bearer_auth(ADMIN_TOKEN).json(&body).send()
        };
        // An editor whose policy reads published articles or their own
        // author's (a relational rule with $CURRENT_USER.email), without
        // internal_notes and body.
        let role = data(api(reqwest::Method::POST, "/roles", json!({"name": "Bench editor"})).await).await;
        let policy = data(
            api(reqwest::Method::POST, "/policies", json!({"name": "Bench editors", "roles": [{"role": role["id"]}]}))
                .await,
        )
        .await;
        let fields = "id,title,slug,status,author,category,published_at,views,featured,tags,comments";
        let rule =
            json!({"_or": [{"status": {"_eq": "published"}}, {"author": {"email": {"_eq": "$CURRENT_USER.email"}}}]});
        for (collection, rule) in [("articles", Some(rule)), ("authors", None)] {
            let body = json!({"policy": policy["id"], "collection": collection, "action": "read", "fields": if collection == "articles" { json!(fields.split(',').collect::<Vec<_>>()) } else { json!(["*"]) }, "permissions": rule});
            data(api(reqwest::Method::POST, "/permissions", body).await).await;
        }
        let user_token = "bench-user-token";
        let email = "bench-user@example.com";
        data(
            api(
                reqwest::Method::POST,
                "/users",
                json!({"email": email, "password": "bench-pass-1", "role": role["id"], "token": user_token}),
            )
            .await,
        )
        .await;
        // A reader: a plain row rule (published only) and the same field mask.
        let reader_policy = data(api(reqwest::Method::POST, "/policies", json!({"name": "Bench readers"})).await).await;
        for (collection, rule) in [("articles", Some(json!({"status": {"_eq": "published"}}))), ("authors", None)] {
            let body = json!({"policy": reader_policy["id"], "collection": collection, "action": "read", "fields": if collection == "articles" { json!(fields.split(',').collect::<Vec<_>>()) } else { json!(["*"]) }, "permissions": rule});
            data(api(reqwest::Method::POST, "/permissions", body).await).await;
        }
        let reader_token = "bench-reader-token";
        data(api(reqwest::Method::POST, "/users", json!({"email": "bench-reader@example.com", "token": reader_token, "policies": [{"policy": reader_policy["id"]}]})).await).await;
        let login = |email: &'static str, password: &'static str| {
            let (client, base) = (client.clone(), rectus.base.clone());
            async move {
                let r = client
                    .post(format!("{base}/auth/login"))
                    .json(&json!({"email": email, "password": password}))
                    .send()
                    .await;
                data(r).await["access_token"].as_str().unwrap_or_default().to_string()
            }
        };
        let jwt = login(email, "bench-pass-1").await;
        let admin_jwt = login("admin@example.com", "bench-password").await;

        println!(
            "\n== access control: the same reads as different callers, wrk -c{} -d{}s ==",
            settings.connections, settings.seconds
        );
        println!(
            "{:<14} {:>16} {:>16} {:>16} {:>16} {:>16} {:>12} {:>12}",
            "scenario",
            "admin (token)",
            "editor (token)",
            "editor (JWT)",
            "reader (token)",
            "anonymous",
            "editor/admin",
            "reader/admin"
        );
        for sc in READS {
            let run = |token: Option<&str>| {
                wrk(&rectus.base, sc.url, 10_000, settings.seconds, settings.connections, None, token)
            };
            let admin = run(Some(ADMIN_TOKEN));
            let user = run(Some(user_token));
            let user_jwt = run(Some(&jwt));
            let reader = run(Some(reader_token));
            let anonymous = run(None);
            for w in [&admin, &user, &user_jwt, &reader, &anonymous] {
                assert_eq!(w.errors, 0, "{}: failed requests", sc.name);
            }
            println!(
                "{:<14} {:>10.0} req/s {:>10.0} req/s {:>10.0} req/s {:>10.0} req/s {:>10.0} req/s {:>11.0}% {:>11.0}%",
                sc.name,
                admin.rps,
                user.rps,
                user_jwt.rps,
                reader.rps,
                anonymous.rps,
                100.0 * user.rps / admin.rps.max(1e-9),
                100.0 * reader.rps / admin.rps.max(1e-9)
            );
        }
        let admin_jwt_run =
            wrk(&rectus.base, READS[0].url, 10_000, settings.seconds, settings.connections, None, Some(&admin_jwt));
        println!("admin, item by id, with a JWT: {:.0} req/s", admin_jwt_run.rps);
        std::env::remove_var("BENCH_IDS");

        // Logins, one at a time (argon2id m=64 MiB, t=3, p=4; no stall).
        let n = 10;
        let t = Instant::now();
        for _ in 0..n {
            let _ = login(email, "bench-pass-1").await;
        }
        println!(
            "login (argon2id m=65536,t=3,p=4): {:.0} ms each, {n} in a row",
            t.elapsed().as_secs_f64() * 1000.0 / n as f64
        );
        // JWT verification alone, in-process.
        let secret = b"bench-secret";
        let iterations = 20_000;
        let t = Instant::now();
        for _ in 0..iterations {
            std::hint::black_box(rectus::auth::jwt::verify(secret, &jwt, 0).is_ok());
        }
        println!("JWT verification (HS256): {:.1} us each", t.elapsed().as_secs_f64() * 1e6 / iterations as f64);
    }

    /// Ids of published articles (readable by every caller of this bench).
    async fn published_ids(db: &str) -> Vec<String> {
        let database = libsql::Builder::new_local(db).build().await.expect("open db");
        let conn = database.connect().expect("connect");
        let mut rows =
            conn.query("SELECT id FROM articles WHERE status = 'published' ORDER BY id", ()).await.expect("ids");
        let mut ids = Vec::new();
        while let Some(r) = rows.next().await.expect("row") {
            ids.push(r.get::<i64>(0).expect("id").to_string());
        }
        ids
    }

    async fn data(r: reqwest::Result<reqwest::Response>) -> Value {
        let r = r.expect("request");
        let status = r.status();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{status}: {body}");
        body["data"].clone()
    }
}

/// Baseline (b): axum + libSQL connections used on the runtime threads.
mod baseline {
    use super::*;

    pub struct Baseline {
        child: Child,
        pub base: String,
    }

    impl Drop for Baseline {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    pub fn spawn(db: &str, statements: &[Statement]) -> Baseline {
        let plans: Vec<serde_json::Value> = statements
            .iter()
            .map(|s| serde_json::json!({ "sql": &*s.sql, "params": s.params.iter().map(Value::to_json).collect::<Vec<_>>() }))
            .collect();
        let port = free_port();
        let plan_file = std::env::temp_dir().join(format!("rectus-bench-plans-{port}.json")).display().to_string();
        std::fs::write(&plan_file, serde_json::Value::Array(plans).to_string()).expect("write plans");
        let child = Command::new(std::env::current_exe().expect("bench exe"))
            .args(["--baseline-server", db, &format!("{port}:{plan_file}")])
            .spawn()
            .expect("start baseline");
        Baseline { child, base: format!("http://127.0.0.1:{port}") }
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
                Statement::with_params(p["sql"].as_str().expect("sql"), params)
            })
            .collect()
    }

    /// The baseline process: one connection per core (Postgres: as many as
    /// rectus's pool), each behind a mutex, used right on the runtime
    /// thread that handles the request.
    pub fn serve(db: &str, port_and_plans: &str) {
        let (port, plan_file) = port_and_plans.split_once(':').expect("port:plans");
        let plans = Arc::new(plans_from_json(&std::fs::read_to_string(plan_file).expect("read plans")));
        let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        let server = db.starts_with("postgres://") || db.starts_with("mysql://");
        let conns_wanted = if server { SERVER_CONNECTIONS } else { cores };
        rt.block_on(async move {
            let mut conns = Vec::new();
            for _ in 0..conns_wanted {
                conns.push(tokio::sync::Mutex::new(direct::connect(db).await));
            }
            let conns = Arc::new(conns);
            let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
            let app = axum::Router::new().route(
                "/{plan}/{id}",
                axum::routing::get(move |axum::extract::Path((plan, id)): axum::extract::Path<(usize, i64)>| {
                    let (conns, plans, next) = (conns.clone(), plans.clone(), next.clone());
                    async move {
                        let stmt = with_key(&plans[plan], id);
                        // A free connection if there is one, else the next in turn.
                        let free = conns.iter().find_map(|c| c.try_lock().ok());
                        let mut conn = match free {
                            Some(guard) => guard,
                            None => {
                                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % conns.len();
                                conns[i].lock().await
                            }
                        };
                        let cell = conn.run(&stmt).await;
                        ([("content-type", "application/json")], format!("{{\"data\":{cell}}}"))
                    }
                }),
            );
            let listener =
                tokio::net::TcpListener::bind(("127.0.0.1", port.parse::<u16>().expect("port"))).await.expect("bind");
            axum::serve(listener, app).await.expect("serve");
        });
    }
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

    pub async fn bench(db: &str, articles: u64, settings: &Settings) {
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
        let client = reqwest::Client::new();
        let mut uncached = Vec::new();
        for (warm, kv) in [(false, "an empty KV"), (true, "a warm KV")] {
            let started = Instant::now();
            let mut child = start(&state, port, "--var SECRET:bench-secret --var LOGIN_STALL_TIME:0");
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
                uncached = scenarios(&base, articles, settings, "D1", None);
                auth_costs(&client, &base, settings).await;
            }
            stop_group(&mut child);
        }
        // The response cache on the worker: memory first, then the location's
        // Cache API; and the Cache API alone (memory keeps nothing), as an
        // isolate that never answered these requests sees it.
        // A feed's hot set, as in the native cache part.
        std::env::set_var("BENCH_IDS", (1..=100).map(|i| i.to_string()).collect::<Vec<_>>().join(","));
        for (label, vars) in [
            ("D1, cache on", "--var CACHE_ENABLED:true"),
            ("D1, Cache API only", "--var CACHE_ENABLED:true --var RECTUS_CACHE_MAX_MB:0"),
        ] {
            let mut child = start(&state, port, &format!("--var SECRET:bench-secret {vars}"));
            wait_port(port, Instant::now()).await;
            scenarios(&base, articles, settings, label, Some(&uncached));
            stop_group(&mut child);
        }
        std::env::remove_var("BENCH_IDS");
        // What the local runtime answers at most: a fixed body.
        let mut child = start(&state, port, "--var SECRET:bench-secret");
        wait_port(port, Instant::now()).await;
        let ping = wrk(&base, "/server/ping", 1, settings.seconds, settings.connections.min(8), None, None);
        println!(
            "fixed body (/server/ping) on the worker: {:.0} req/s, {:.2}/{:.2}ms",
            ping.rps, ping.p50_ms, ping.p99_ms
        );
        stop_group(&mut child);
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
        scenarios(&base, articles, settings, "Durable Object", None);
        stop_group(&mut child);
        // The same data in the local Postgres, one connection per request
        // over the runtime's sockets (plain TCP: workerd does not trust the
        // local server's certificate).
        let url = format!("{}&sslmode=disable", postgres_copy(db, articles).await);
        let vars = format!("--var SECRET:bench-secret --var RECTUS_BACKEND:postgres --var 'RECTUS_DB_URL:{url}'");
        let mut child = start(&state, port, &vars);
        wait_port(port, Instant::now()).await;
        scenarios(&base, articles, settings, "Postgres", None);
        stop_group(&mut child);
        // And in the local MariaDB, through the worker's own client.
        let url = mariadb_copy(db, articles).await;
        let vars = format!("--var SECRET:bench-secret --var RECTUS_BACKEND:mariadb --var 'RECTUS_DB_URL:{url}'");
        let mut child = start(&state, port, &vars);
        wait_port(port, Instant::now()).await;
        scenarios(&base, articles, settings, "MariaDB", None);
        stop_group(&mut child);
        let _ = std::fs::remove_dir_all(&state);
    }

    /// The cms scenarios on the worker; with `baseline` (req/s of the same
    /// scenarios, same order) their ratio to it. Returns the req/s.
    fn scenarios(base: &str, articles: u64, settings: &Settings, backend: &str, baseline: Option<&[f64]>) -> Vec<f64> {
        println!("{:<22} {:>24} {:>8}", "scenario", format!("edge/{backend} req/s p50/p99"), "ratio");
        let mut rps = Vec::new();
        for (i, sc) in CMS.iter().enumerate() {
            let e = wrk(base, sc.url, articles, settings.seconds, settings.connections.min(8), None, Some(ADMIN_TOKEN));
            let ratio = baseline.and_then(|b| b.get(i)).map(|b| format!("{:.0}%", 100.0 * e.rps / b.max(1e-9)));
            println!(
                "{:<22} {:>9.0} {:>6.2}/{:>6.2}ms {:>8}",
                sc.name,
                e.rps,
                e.p50_ms,
                e.p99_ms,
                ratio.unwrap_or_default()
            );
            rps.push(e.rps);
        }
        rps
    }

    /// Login (argon2id with Directus's parameters, as the worker hashes by
    /// default) and access-token checks, timed from outside the worker.
    async fn auth_costs(client: &reqwest::Client, base: &str, settings: &Settings) {
        let email = format!("edge-bench-{}@example.com", std::process::id());
        let created = client
            .post(format!("{base}/users"))
            .bearer_auth(ADMIN_TOKEN)
            .json(&serde_json::json!({"email": email, "password": "edge-pass-1", "role": null}))
            .send()
            .await
            .expect("create user");
        assert!(created.status().is_success(), "{}", created.text().await.unwrap_or_default());
        let login = |email: String, password: &'static str| async move {
            let r = client
                .post(format!("{base}/auth/login"))
                .json(&serde_json::json!({"email": email, "password": password}))
                .send()
                .await
                .expect("login");
            let body: serde_json::Value = r.json().await.expect("login body");
            body["data"]["access_token"].as_str().unwrap_or_default().to_string()
        };
        let n = 5;
        let t = Instant::now();
        for _ in 0..n {
            assert!(!login(email.clone(), "edge-pass-1").await.is_empty(), "login failed");
        }
        println!(
            "login on the worker (argon2id m=65536,t=3,p=4, no stall): {:.0} ms each",
            t.elapsed().as_secs_f64() * 1000.0 / n as f64
        );
        let jwt = login("admin@example.com".into(), "bench-password").await;
        let url = "/items/articles/{id}?fields=id";
        let static_token = wrk(base, url, 1000, settings.seconds, 8, None, Some(ADMIN_TOKEN));
        let with_jwt = wrk(base, url, 1000, settings.seconds, 8, None, Some(&jwt));
        println!(
            "item by id on the worker: {:.0} req/s with the static token, {:.0} req/s with a JWT (verified once per isolate, then cached)",
            static_token.rps, with_jwt.rps
        );
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
