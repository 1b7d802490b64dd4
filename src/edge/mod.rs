//! The edge host: a Cloudflare Worker (`#[event(fetch)]`) serving the same
//! router as the native host over D1, a Durable Object's SQLite,
//! Postgres or MariaDB. No business logic lives here: it converts the worker request
//! to the core's `http::Request<Bytes>`, runs `rest::handle`, and converts
//! the answer back.

mod buffered;
mod d1;
mod durable;
mod host;
mod location_cache;
mod log;
mod snapshot;

use crate::app::{App, Config};
use bytes::Bytes;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use worker::{event, Context, Env, Request, Response, Result};

/// Time budget of one statement on a database server (the native default).
const STATEMENT_TIMEOUT_MS: u64 = 5_000;

/// How often a long-lived isolate checks whether the schema changed.
const SCHEMA_CHECK_MS: f64 = 10_000.0;

/// The isolate's application state, built on its first request.
struct Isolate {
    app: Rc<App>,
    fingerprint: String,
    checked_ms: f64,
}

thread_local! {
    static ISOLATE: RefCell<Option<Isolate>> = const { RefCell::new(None) };
}

/// Where the worker's data lives (`RECTUS_BACKEND`).
enum Backend {
    D1,
    /// One Durable Object's SQLite storage serves every request.
    DurableObject,
    /// A Postgres server over the runtime's sockets.
    Postgres(crate::db::postgres::Target),
    /// A MariaDB server over the runtime's sockets (plain TCP).
    MariaDb(crate::db::mysql::wire::Options),
}

/// A var, else a secret, of the worker.
fn setting(env: &Env, name: &str) -> Option<String> {
    env.var(name).ok().map(|v| v.to_string()).or_else(|| env.secret(name).ok().map(|v| v.to_string()))
}

fn backend(env: &Env) -> Result<Backend> {
    let var = |name: &str| setting(env, name);
    Ok(match var("RECTUS_BACKEND").as_deref().unwrap_or("d1") {
        "durable-object" => Backend::DurableObject,
        "postgres" => match (env.hyperdrive("HYPERDRIVE"), var("RECTUS_DB_URL")) {
            (Ok(hd), _) => Backend::Postgres(crate::db::postgres::Target::Hyperdrive(hd)),
            (Err(_), Some(url)) => Backend::Postgres(crate::db::postgres::Target::Url(url)),
            (Err(_), None) => {
                return Err(worker::Error::RustError(
                    "RECTUS_BACKEND=postgres needs a HYPERDRIVE binding or a RECTUS_DB_URL".into(),
                ))
            }
        },
        "mariadb" | "mysql" => match (env.hyperdrive("HYPERDRIVE"), var("RECTUS_DB_URL")) {
            (Ok(hd), _) => Backend::MariaDb(crate::db::mysql::hyperdrive_options(&hd)),
            (Err(_), Some(url)) => Backend::MariaDb(
                crate::db::mysql::wire::Options::from_url(&url)
                    .map_err(|e| worker::Error::RustError(format!("RECTUS_DB_URL: {e}")))?,
            ),
            (Err(_), None) => {
                return Err(worker::Error::RustError(
                    "RECTUS_BACKEND=mariadb needs a HYPERDRIVE binding or a RECTUS_DB_URL".into(),
                ))
            }
        },
        _ => Backend::D1,
    })
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    log::init();
    match backend(&env)? {
        Backend::DurableObject => {
            let stub = env.durable_object("RECTUS_DO")?.id_from_name("rectus")?.get_stub()?;
            stub.fetch_with_request(req).await
        }
        Backend::Postgres(target) => {
            let driver = crate::db::postgres::EdgePostgres::new(target, statement_budget(&env));
            on_server(Arc::new(driver), req, &env, ctx).await
        }
        Backend::MariaDb(options) => {
            let driver = Arc::new(crate::db::mysql::EdgeMariaDb::new(options, statement_budget(&env)));
            let response = on_server(driver.clone(), req, &env, ctx).await;
            driver.close().await;
            response
        }
        Backend::D1 => {
            let app = match current_app(&env, Arc::new(d1::driver(env.d1("DB")?))).await {
                Ok(app) => app,
                Err(e) => return from_http(unreachable_database(e)),
            };
            let request = to_http(req).await?;
            from_http(in_d1_session(&app, &env, ctx, request).await?)
        }
    }
}

/// The statement budget on a database server (`RECTUS_STATEMENT_TIMEOUT_MS`).
fn statement_budget(env: &Env) -> u64 {
    setting(env, "RECTUS_STATEMENT_TIMEOUT_MS").and_then(|v| v.parse().ok()).unwrap_or(STATEMENT_TIMEOUT_MS)
}

/// Handles the request on a database server (Postgres, MariaDB) through
/// `driver`, the request's own connection: one per request, as a Worker
/// keeps no I/O across requests.
async fn on_server(driver: Arc<dyn crate::db::Driver>, req: Request, env: &Env, ctx: Context) -> Result<Response> {
    let app = match current_app(env, driver.clone()).await {
        Ok(app) => app,
        Err(e) => return from_http(unreachable_database(e)),
    };
    let app = with_location_cache(app.with_driver(driver), ctx);
    from_http(crate::rest::handle(&app, to_http(req).await?).await)
}

/// Handles the request in a D1 session that starts at the client's
/// bookmark (reads see at least what the client saw or wrote) or, without
/// one, anywhere (the nearest replica); the session's bookmark goes back
/// to the client in the same header.
async fn in_d1_session(
    app: &App,
    env: &Env,
    ctx: Context,
    request: http::Request<Bytes>,
) -> Result<http::Response<Bytes>> {
    let sent = request.headers().get(crate::db::BOOKMARK_HEADER).map(|v| v.to_str().unwrap_or("").to_string());
    if let Some(b) = sent.as_deref().filter(|b| !d1::is_bookmark(b)) {
        let e = crate::error::ApiError::new(
            crate::error::ErrorCode::InvalidQuery,
            format!("\"{b}\" is not a D1 bookmark ({} header)", crate::db::BOOKMARK_HEADER),
        );
        return Ok(crate::rest::response::error(&e));
    }
    let session = match env.d1("DB")?.with_session(sent.as_deref()) {
        Ok(session) => Rc::new(session),
        Err(e) => {
            tracing::warn!("no D1 session ({e}); reading from the primary");
            return Ok(crate::rest::handle(app, request).await);
        }
    };
    let app = with_location_cache(app.with_driver(Arc::new(d1::session_driver(session.clone()))), ctx);
    let mut response = crate::rest::handle(&app, request).await;
    if let Ok(Some(bookmark)) = session.get_bookmark() {
        if let Ok(value) = http::HeaderValue::from_str(&bookmark) {
            response.headers_mut().insert(crate::db::BOOKMARK_HEADER, value);
        }
    }
    Ok(response)
}

/// `app` with the location's Cache API below its memory cache (filled
/// after the response is sent), when the cache is on.
fn with_location_cache(app: App, ctx: Context) -> App {
    match app.config.cache.enabled {
        true => app.with_shared_tier(Arc::new(location_cache::LocationCache::new(ctx))),
        false => app,
    }
}

/// What a request gets when the database could not be read to set the
/// isolate up (a Postgres or MariaDB server that is down or refuses the
/// worker, D1 failing):
/// Directus's SERVICE_UNAVAILABLE, not the runtime's bare 500.
fn unreachable_database(e: worker::Error) -> http::Response<Bytes> {
    tracing::error!("the database cannot be read: {e}");
    let reason = "The database cannot be reached";
    crate::rest::response::error(&crate::error::ApiError::unavailable("database", reason))
}

/// The isolate's app; at most every SCHEMA_CHECK_MS it compares the schema
/// fingerprint (one small query through `driver`, the request's) and swaps
/// in a new snapshot when it changed.
async fn current_app(env: &Env, driver: Arc<dyn crate::db::Driver>) -> Result<Rc<App>> {
    let now = worker::Date::now().as_millis() as f64;
    let cached = ISOLATE.with(|i| i.borrow().as_ref().map(|i| (i.app.clone(), i.fingerprint.clone(), i.checked_ms)));
    let (app, fingerprint) = match cached {
        Some((app, _, checked)) if now - checked < SCHEMA_CHECK_MS => return Ok(app),
        Some((app, old, _)) => {
            let new = snapshot::fingerprint(driver.as_ref()).await?;
            if new != old {
                let kv = env.kv("RECTUS_KV").ok();
                let (schema, origin) = snapshot::load(driver.as_ref(), kv.as_ref(), &new).await?;
                app.set_schema(schema);
                app.set_schema_origin(origin);
            }
            // Roles, policies and permissions changed by another isolate or
            // behind rectus: picked up on the same schedule.
            let access = snapshot::access(driver.as_ref(), &app.schema()).await?;
            if access.fingerprint != app.access().fingerprint {
                app.set_access(access);
            }
            (app, new)
        }
        None => {
            let fingerprint = snapshot::fingerprint(driver.as_ref()).await?;
            let kv = env.kv("RECTUS_KV").ok();
            let (schema, origin) = snapshot::load(driver.as_ref(), kv.as_ref(), &fingerprint).await?;
            let access = snapshot::access(driver.as_ref(), &schema).await?;
            let app = App::new(schema, access, driver, Arc::new(host::WorkerHost), config_from(env));
            app.set_schema_origin(origin);
            (Rc::new(app), fingerprint)
        }
    };
    ISOLATE.with(|i| *i.borrow_mut() = Some(Isolate { app: app.clone(), fingerprint, checked_ms: now }));
    Ok(app)
}

/// API settings from the worker's vars and secrets (Directus's names).
pub(super) fn config_from(env: &Env) -> Config {
    let var = |name: &str| setting(env, name);
    let mut config = Config::default();
    // Without one, tokens verify only in the isolate that signed them.
    config.auth.secret = crate::auth::signing_secret(var("SECRET").as_deref(), &host::WorkerHost);
    let ms = |name: &str| var(name).and_then(|v| crate::auth::duration_ms(&v).ok());
    if let Some(v) = ms("ACCESS_TOKEN_TTL") {
        config.auth.access_token_ttl_ms = v;
    }
    if let Some(v) = ms("REFRESH_TOKEN_TTL") {
        config.auth.refresh_token_ttl_ms = v;
    }
    if let Some(v) = ms("SESSION_COOKIE_TTL") {
        config.auth.session_cookie_ttl_ms = v;
    }
    if let Some(v) = var("LOGIN_STALL_TIME").and_then(|v| v.parse().ok()) {
        config.auth.login_stall_ms = v;
    }
    let cost = |name: &str| var(name).and_then(|v| v.parse::<u32>().ok());
    if let Some(v) = cost("HASH_MEMORY_COST") {
        config.auth.hash.memory_kib = v;
    }
    if let Some(v) = cost("HASH_TIME_COST") {
        config.auth.hash.iterations = v;
    }
    if let Some(v) = cost("HASH_PARALLELISM") {
        config.auth.hash.parallelism = v;
    }
    if let Some(v) = var("MAX_RELATIONAL_DEPTH").and_then(|v| v.parse().ok()) {
        config.max_relational_depth = v;
    }
    if let Some(n) = var("QUERY_LIMIT_DEFAULT").and_then(|v| v.parse().ok()) {
        config.default_limit = n;
    }
    config.max_limit = var("QUERY_LIMIT_MAX").and_then(|v| v.parse().ok());
    if let Some(name) = var("PROJECT_NAME") {
        config.project_name = name;
    }
    let flag = |name: &str| var(name).map(|v| matches!(v.trim(), "true" | "1"));
    config.cache.enabled = flag("CACHE_ENABLED").unwrap_or(false);
    config.cache.skip_allowed = flag("CACHE_SKIP_ALLOWED").unwrap_or(false);
    if let Some(v) = ms("CACHE_TTL") {
        config.cache.ttl_ms = v;
    }
    if let Some(v) = ms("CACHE_VERSION_POLL") {
        config.cache.version_poll_ms = v;
    }
    // An isolate's memory is small: 8 MB of bodies unless told otherwise.
    config.cache.max_bytes = var("RECTUS_CACHE_MAX_MB").and_then(|v| v.parse::<usize>().ok()).unwrap_or(8) << 20;
    config.cache.s_maxage = var("CACHE_CONTROL_S_MAXAGE").and_then(|v| v.parse().ok());
    config.cache.status_header = var("CACHE_STATUS_HEADER").and_then(|v| v.parse().ok());
    config
}

pub(super) async fn to_http(mut req: Request) -> Result<http::Request<Bytes>> {
    let body = req.bytes().await.unwrap_or_default();
    let url = req.url()?;
    let path_and_query = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    // The raw method: worker's `Method` folds verbs it does not know (SEARCH) into GET.
    let method = req.inner().method();
    let mut builder = http::Request::builder().method(method.as_str()).uri(path_and_query);
    for (name, value) in req.headers().entries() {
        builder = builder.header(name, value);
    }
    // Cloudflare names the client's address in a header it sets itself.
    if let Some(ip) = req.headers().get("cf-connecting-ip")?.and_then(|v| v.parse().ok()) {
        builder = builder.extension(crate::auth::ClientIp(ip));
    }
    builder.body(Bytes::from(body)).map_err(|e| worker::Error::RustError(e.to_string()))
}

pub(super) fn from_http(resp: http::Response<Bytes>) -> Result<Response> {
    let status = resp.status().as_u16();
    let headers = worker::Headers::new();
    for (name, value) in resp.headers() {
        if let Ok(v) = value.to_str() {
            headers.set(name.as_str(), v)?;
        }
    }
    Ok(Response::from_bytes(resp.into_body().to_vec())?.with_status(status).with_headers(headers))
}
