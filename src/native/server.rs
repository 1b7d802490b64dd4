//! The native HTTP server: axum as a thin shell around the shared router.

use super::cli::ServeArgs;
use super::database::{Database, Opened};
use super::host::SystemHost;
use crate::access::AccessSnapshot;
use crate::app::{App, AuthConfig, Config};
use crate::cache::CacheSettings;
use crate::db::libsql::{DriverOptions, LibsqlDriver};
use crate::db::PoolOptions;
use crate::db::{DbError, Driver, Statement};
use crate::error::{ApiError, ErrorCode};
use crate::schema::introspect::{fingerprint, snapshot};
use crate::schema::SchemaSnapshot;
use axum::extract::{ConnectInfo, Request, State};
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
        let service = self.router.into_make_service_with_connect_info::<std::net::SocketAddr>();
        axum::serve(self.listener, service).with_graceful_shutdown(shutdown).await.map_err(|e| e.to_string())?;
        tracing::info!("rectus stopped");
        Ok(())
    }
}

/// Opens the database, mirrors its schema and binds the listener.
pub async fn bind(args: ServeArgs) -> anyhow_like::Result<BoundServer> {
    let db = Database::parse(&args.db);
    let label = db.label();
    match &db {
        Database::File(path) if args.demo => ensure_demo(path, &args).await?,
        Database::File(path) if !args.create && !std::path::Path::new(path).exists() => {
            return Err(format!(
                "{path} does not exist. Pass --create to start an empty database there, --demo to fill it with the demo data, or run `rectus bootstrap --db {path}`"
            )
            .into())
        }
        _ if args.demo && db.is_server() => {
            return Err("--demo writes a SQLite file; serve a database server's data as it is (or `rectus copy` the demo into it)".into())
        }
        _ => {}
    }
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    let statement_timeout = Duration::from_millis(args.statement_timeout_ms.max(1));
    let file_options =
        DriverOptions { readers: args.readers.unwrap_or(cores), max_readers: args.max_readers, statement_timeout };
    let pool_options =
        PoolOptions { max_connections: args.db_connections, statement_timeout, ..PoolOptions::default() };
    let opened = Opened::open(&db, &file_options, &pool_options).await?;
    let driver = opened.driver();
    let (snapshot, access) = match mirror(driver.as_ref()).await {
        Ok((snapshot, access)) => {
            let served = snapshot.collections.values().filter(|c| !c.is_system()).count();
            tracing::info!(collections = served, hash = %&snapshot.hash[..12], "schema mirrored from {label}");
            warn_if_incomplete(&snapshot, &access, &label, args.cache_enabled);
            (snapshot, access)
        }
        // A server that is down now is served once it is back (the schema
        // watcher notices); meanwhile every request answers SERVICE_UNAVAILABLE.
        Err(DbError::Unavailable(e)) if db.is_server() => {
            tracing::error!("{label} cannot be reached ({e}); serving SERVICE_UNAVAILABLE until it can");
            (SchemaSnapshot::default(), AccessSnapshot::empty())
        }
        Err(e) => return Err(format!("cannot read the schema and access tables of {label}: {e}").into()),
    };

    let config = Config {
        default_limit: args.query_limit_default,
        max_limit: args.query_limit_max,
        max_body_bytes: args.max_payload_size,
        max_relational_depth: args.max_relational_depth,
        auth: auth_config(&args),
        cache: CacheSettings {
            enabled: args.cache_enabled,
            ttl_ms: args.cache_ttl,
            max_bytes: args.cache_max_mb << 20,
            skip_allowed: args.cache_skip_allowed,
            s_maxage: args.cache_control_s_maxage,
            status_header: args.cache_status_header.clone(),
            version_poll_ms: args.cache_version_poll,
        },
        ..Config::default()
    };
    let app = Arc::new(App::new(snapshot, access, driver.clone(), Arc::new(SystemHost), config));
    let poll = Duration::from_secs(args.schema_poll_seconds.max(1));
    match &opened {
        // Another program writing the file is seen through SQLite's
        // data_version; on a server, only rectus's own version bumps are.
        Opened::File(file) if app.config.cache.enabled => {
            tokio::spawn(watch_foreign_writes(app.clone(), file.clone(), poll));
        }
        _ => {}
    }
    tokio::spawn(watch_schema(app.clone(), opened, poll));

    let mut router = axum::Router::new().fallback(handle).with_state(app);
    if let Some(origins) = &args.cors_origin {
        router = router.layer(cors(origins));
    }
    // gzip or brotli, as the client's Accept-Encoding asks (the edge
    // runtime compresses by itself).
    router = router.layer(tower_http::compression::CompressionLayer::new().gzip(true).br(true));
    router = router.layer(tower_http::trace::TraceLayer::new_for_http());

    let addr = std::net::SocketAddr::new(args.host, args.port);
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    Ok(BoundServer { addr, listener, router })
}

/// Says what a database lacks: the system tables, or the data versions.
fn warn_if_incomplete(snapshot: &SchemaSnapshot, access: &AccessSnapshot, label: &str, cache_enabled: bool) {
    if !access.bootstrapped {
        tracing::warn!(
            "{label} has no Directus system tables: nothing is served until `rectus bootstrap --db {label}` creates them"
        );
    } else if cache_enabled && snapshot.collection(crate::cache::VERSIONS_TABLE).is_none() {
        tracing::warn!(
            "{label} has no {}: writes through other rectus instances stay unseen in the cache until --cache-ttl; `rectus bootstrap --db {label}` adds it",
            crate::cache::VERSIONS_TABLE
        );
    }
}

/// The schema snapshot and the access tables of the database behind `driver`.
async fn mirror(driver: &dyn Driver) -> Result<(SchemaSnapshot, AccessSnapshot), DbError> {
    let snapshot = snapshot(driver).await?;
    let access = AccessSnapshot::load(driver, &snapshot).await?;
    Ok((snapshot, access))
}

/// Converts axum's request to the core's `http::Request<Bytes>` and back.
async fn handle(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    req: Request,
) -> Response {
    let (mut parts, body) = req.into_parts();
    parts.extensions.insert(crate::auth::ClientIp(peer.ip()));
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

/// Authentication settings from the flags (Directus's variables).
fn auth_config(args: &ServeArgs) -> AuthConfig {
    let secret = crate::auth::signing_secret(args.secret.as_deref(), &SystemHost);
    AuthConfig {
        secret,
        access_token_ttl_ms: args.access_token_ttl,
        refresh_token_ttl_ms: args.refresh_token_ttl,
        session_cookie_ttl_ms: args.session_cookie_ttl,
        login_stall_ms: args.login_stall_time,
        cookie_secure: args.cookie_secure,
        hash: args.hash.params(),
        ..AuthConfig::default()
    }
}

/// Re-introspects when another connection changed the schema (SQLite bumps
/// `schema_version` on every DDL; on a server the catalog's fingerprint
/// moves), and swaps the snapshot; re-reads the access tables, swapping
/// them in when they changed.
async fn watch_schema(app: Arc<App>, opened: Opened, every: Duration) {
    let driver = opened.driver();
    let version = || async {
        match &opened {
            Opened::File(file) => file
                .query(&Statement::new("PRAGMA schema_version"))
                .await
                .ok()
                .and_then(|r| r.scalar().and_then(|v| v.as_i64()))
                .map(|v| v.to_string()),
            Opened::Postgres(_) | Opened::MariaDb(_) => match fingerprint(driver.as_ref()).await {
                Ok(f) => Some(f),
                Err(e) => {
                    tracing::warn!("the schema's fingerprint could not be read: {e}");
                    None
                }
            },
        }
    };
    let mut last = version().await;
    loop {
        tokio::time::sleep(every).await;
        match AccessSnapshot::load(driver.as_ref(), &app.schema()).await {
            Ok(access) if access.fingerprint != app.access().fingerprint => {
                tracing::info!("roles, policies or permissions changed; access snapshot rebuilt");
                app.set_access(access);
            }
            Ok(_) => {}
            Err(e) => tracing::warn!("access tables could not be read: {e}"),
        }
        let now = version().await;
        if now == last {
            continue;
        }
        match snapshot(driver.as_ref()).await {
            Ok(s) if s.hash != app.schema().hash => {
                tracing::info!(hash = %&s.hash[..12], "schema changed; snapshot rebuilt");
                app.set_schema(s);
                if let Err(e) = app.reload_access().await {
                    tracing::warn!("access tables could not be read: {e}");
                }
                last = now;
            }
            Ok(_) => last = now,
            Err(e) => tracing::warn!("schema re-introspection failed: {e}"),
        }
    }
}

/// Writes made behind rectus's back (another program on the file): SQLite's
/// `data_version` on the writer connection moves when another connection
/// commits, and then every cached response is stale, so such writes are
/// seen within one poll interval. rectus's own writes leave it alone.
async fn watch_foreign_writes(app: Arc<App>, driver: Arc<LibsqlDriver>, every: Duration) {
    let mut last = driver.foreign_data_version().await.ok();
    loop {
        tokio::time::sleep(every).await;
        match driver.foreign_data_version().await {
            Ok(now) if Some(now) != last => {
                app.responses.data_changed();
                last = Some(now);
            }
            Ok(_) => {}
            Err(e) => tracing::warn!("data_version could not be read: {e}"),
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

/// Creates the demo database at `path` unless it holds it already (then
/// its admin was printed when it was made).
async fn ensure_demo(path: &str, args: &ServeArgs) -> anyhow_like::Result<()> {
    if std::path::Path::new(path).exists() {
        let db = libsql::Builder::new_local(path).build().await.map_err(|e| e.to_string())?;
        let conn = db.connect().map_err(|e| e.to_string())?;
        let mut rows = conn
            .query("SELECT (SELECT count(*) FROM sqlite_master WHERE type = 'table'), (SELECT count(*) FROM sqlite_master WHERE name = 'articles')", ())
            .await
            .map_err(|e| e.to_string())?;
        let (tables, demo) = match rows.next().await.map_err(|e| e.to_string())? {
            Some(r) => (r.get::<i64>(0).unwrap_or(0), r.get::<i64>(1).unwrap_or(0)),
            None => (0, 0),
        };
        if demo > 0 {
            tracing::info!("--demo: {path} already holds the demo data set (its admin was printed when it was made)");
            return Ok(());
        }
        if tables > 0 {
            return Err(format!("--demo: {path} already holds other tables; use an empty or new file").into());
        }
    }
    let created =
        super::demo::create(path, super::cli::DataSet::Cms, args.demo_articles, &args.admin, args.hash.params())
            .await?;
    super::demo::print_admin(&created);
    Ok(())
}

/// A minimal boxed-error result for the host's start-up path.
pub mod anyhow_like {
    pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;
}
