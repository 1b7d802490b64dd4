//! The native HTTP server: axum as a thin shell around the shared router.

use super::cli::ServeArgs;
use super::host::SystemHost;
use crate::app::{App, Config};
use crate::db::libsql::{DriverOptions, LibsqlDriver};
use crate::db::{Driver, Statement};
use crate::error::{ApiError, ErrorCode};
use crate::schema::introspect::snapshot_sqlite;
use axum::extract::{Request, State};
use axum::response::Response;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower_http::cors::{AllowOrigin, Any, CorsLayer};

/// Opens the database (seeding the demo data when asked), introspects it and
/// serves until Ctrl-C or SIGTERM.
pub async fn serve(args: ServeArgs) -> anyhow_like::Result<()> {
    let started = Instant::now();
    let server = bind(args).await?;
    tracing::info!("rectus listening on http://{} (ready in {} ms)", server.addr, started.elapsed().as_millis());
    server.run(shutdown_signal()).await
}

/// A bound server, ready to run.
pub struct BoundServer {
    /// The address actually listened on (port 0 picks a free port).
    pub addr: std::net::SocketAddr,
    listener: tokio::net::TcpListener,
    router: axum::Router,
}

impl BoundServer {
    /// Serves until `shutdown` completes, then finishes in-flight requests.
    pub async fn run(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow_like::Result<()> {
        axum::serve(self.listener, self.router).with_graceful_shutdown(shutdown).await.map_err(|e| e.to_string())?;
        tracing::info!("rectus stopped");
        Ok(())
    }
}

/// Opens the database, mirrors its schema and binds the listener.
pub async fn bind(args: ServeArgs) -> anyhow_like::Result<BoundServer> {
    let path = args.db_path().to_string();
    if args.demo {
        seed_demo_if_empty(&path, args.demo_articles).await?;
    } else if !args.create && !std::path::Path::new(&path).exists() {
        return Err(format!(
            "{path} does not exist. Pass --create to start an empty database there, --demo to fill it with the demo data, or `rectus demo --out {path}`"
        )
        .into());
    }
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    let options = DriverOptions {
        readers: args.readers.unwrap_or(cores),
        max_readers: args.max_readers,
        statement_timeout: Duration::from_millis(args.statement_timeout_ms.max(1)),
    };
    let driver = Arc::new(LibsqlDriver::open(&path, &options).await.map_err(|e| format!("cannot open {path}: {e}"))?);
    let snapshot =
        snapshot_sqlite(driver.as_ref()).await.map_err(|e| format!("cannot read the schema of {path}: {e}"))?;
    let served = snapshot.collections.values().filter(|c| !c.is_system()).count();
    tracing::info!(collections = served, hash = %&snapshot.hash[..12], "schema mirrored from {path}");

    let config = Config {
        default_limit: args.query_limit_default,
        max_limit: args.query_limit_max,
        max_body_bytes: args.max_payload_size,
        max_relational_depth: args.max_relational_depth,
        ..Config::default()
    };
    let app = Arc::new(App::new(snapshot, driver.clone(), Arc::new(SystemHost), config));
    tokio::spawn(watch_schema(app.clone(), driver, Duration::from_secs(args.schema_poll_seconds.max(1))));

    let mut router = axum::Router::new().fallback(handle).with_state(app);
    if let Some(origins) = &args.cors_origin {
        router = router.layer(cors(origins));
    }
    router = router.layer(tower_http::trace::TraceLayer::new_for_http());

    let addr = std::net::SocketAddr::new(args.host, args.port);
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    Ok(BoundServer { addr, listener, router })
}

/// Converts axum's request to the core's `http::Request<Bytes>` and back.
async fn handle(State(app): State<Arc<App>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let response = match axum::body::to_bytes(body, app.config.max_body_bytes).await {
        Ok(bytes) => crate::rest::handle(&app, http::Request::from_parts(parts, bytes)).await,
        Err(_) => {
            crate::rest::response::error(&ApiError::new(ErrorCode::ContentTooLarge, "Uploaded content is too large."))
        }
    };
    response.map(axum::body::Body::from)
}

fn cors(origins: &str) -> CorsLayer {
    let layer = CorsLayer::new().allow_methods(Any).allow_headers(Any).max_age(Duration::from_secs(18_000));
    if origins.trim() == "*" {
        return layer.allow_origin(Any);
    }
    let list = origins.split(',').filter_map(|o| o.trim().parse().ok()).collect::<Vec<_>>();
    layer.allow_origin(AllowOrigin::list(list))
}

/// Re-introspects when another connection changed the schema (SQLite bumps
/// `schema_version` on every DDL), and swaps the snapshot.
async fn watch_schema(app: Arc<App>, driver: Arc<LibsqlDriver>, every: Duration) {
    let version = || async {
        driver
            .query(&Statement::new("PRAGMA schema_version"))
            .await
            .ok()
            .and_then(|r| r.scalar().and_then(|v| v.as_i64()))
    };
    let mut last = version().await;
    loop {
        tokio::time::sleep(every).await;
        let now = version().await;
        if now == last {
            continue;
        }
        match snapshot_sqlite(driver.as_ref()).await {
            Ok(s) if s.hash != app.schema().hash => {
                tracing::info!(hash = %&s.hash[..12], "schema changed; snapshot rebuilt");
                app.set_schema(s);
                last = now;
            }
            Ok(_) => last = now,
            Err(e) => tracing::warn!("schema re-introspection failed: {e}"),
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}

/// Seeds the demo data set into `path` when it holds no tables yet.
async fn seed_demo_if_empty(path: &str, articles: u64) -> anyhow_like::Result<()> {
    let db = libsql::Builder::new_local(path).build().await.map_err(|e| e.to_string())?;
    let conn = db.connect().map_err(|e| e.to_string())?;
    let mut rows =
        conn.query("SELECT count(*) FROM sqlite_master WHERE type = 'table'", ()).await.map_err(|e| e.to_string())?;
    let tables = match rows.next().await.map_err(|e| e.to_string())? {
        Some(r) => r.get::<i64>(0).unwrap_or(0),
        None => 0,
    };
    if tables > 0 {
        let has_demo = conn
            .query("SELECT 1 FROM sqlite_master WHERE name = 'articles'", ())
            .await
            .map_err(|e| e.to_string())?
            .next()
            .await
            .map_err(|e| e.to_string())?
            .is_some();
        if !has_demo {
            return Err(format!("--demo: {path} already holds other tables; use an empty or new file").into());
        }
        tracing::info!("--demo: {path} already holds the demo data set");
        return Ok(());
    }
    load_demo(&conn, articles).await
}

/// Loads the demo data set through `conn`, printing progress.
pub async fn load_demo(conn: &libsql::Connection, articles: u64) -> anyhow_like::Result<()> {
    eprintln!("Loading the demo data set ({articles} articles)...");
    let size = crate::fixtures::Size { articles };
    let ddl = [crate::fixtures::SCHEMA_SQL, crate::fixtures::METADATA_SQL];
    load_reporting(conn, &ddl, crate::fixtures::tables(&size)).await
}

/// Loads the music-store data set (plain SQLite, unindexed foreign keys).
pub async fn load_music(conn: &libsql::Connection, tracks: u64) -> anyhow_like::Result<()> {
    eprintln!("Loading the music store ({tracks} tracks)...");
    let size = crate::fixtures::music::MusicSize { tracks };
    let ddl = [crate::fixtures::music::SCHEMA_SQL];
    load_reporting(conn, &ddl, crate::fixtures::music::tables(&size)).await
}

async fn load_reporting(
    conn: &libsql::Connection,
    ddl: &[&str],
    tables: Vec<crate::fixtures::TableSpec>,
) -> anyhow_like::Result<()> {
    let started = Instant::now();
    // One line per table, plus one per 100k rows of the big ones.
    let mut progress = |table: &str, done: u64, total: u64| {
        if done == total || (done > 0 && done.is_multiple_of(100_000)) {
            eprintln!("  {table:<14} {done:>9}/{total}");
        }
    };
    crate::fixtures::load_tables(conn, ddl, tables, &mut progress).await.map_err(|e| e.to_string())?;
    eprintln!("Loaded in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// A minimal boxed-error result for the host's start-up path.
pub mod anyhow_like {
    pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;
}
