//! The application state a host builds once and hands to every request.

use crate::access::{AccessSnapshot, Caller};
use crate::auth::password::HashParams;
use crate::db::{BoxFuture, Driver};
use crate::schema::SchemaSnapshot;
use std::sync::{Arc, RwLock};

/// What the core needs from its host and cannot do itself on every target:
/// the clock, randomness, waiting, and where CPU-heavy work runs.
pub trait Host: crate::db::MaybeSendSync {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> i64;
    /// Fills `buf` with cryptographically secure random bytes.
    fn fill_random(&self, buf: &mut [u8]);
    /// Completes after `ms` milliseconds (the login stall).
    fn sleep(&self, ms: u64) -> BoxFuture<'static, ()>;
    /// Hashes a password (argon2 is expensive: natively it runs off the
    /// threads that serve requests).
    fn hash_password(
        &self,
        password: String,
        salt: [u8; 16],
        params: HashParams,
    ) -> BoxFuture<'static, Result<String, String>>;
    /// Checks a password against a PHC hash, likewise off the request threads.
    fn verify_password(&self, hash: String, password: String) -> BoxFuture<'static, bool>;
}

/// Settings of the API (Directus's env names in parentheses).
#[derive(Debug, Clone)]
pub struct Config {
    /// Rows returned when a query gives no `limit` (QUERY_LIMIT_DEFAULT).
    pub default_limit: i64,
    /// Largest `limit` accepted; `None` allows `-1` (QUERY_LIMIT_MAX).
    pub max_limit: Option<i64>,
    /// Largest request body accepted (MAX_PAYLOAD_SIZE).
    pub max_body_bytes: usize,
    /// Shown by `/server/info` (PROJECT_NAME).
    pub project_name: String,
    /// Deepest relational path in fields, filter, sort and deep
    /// (MAX_RELATIONAL_DEPTH; Directus treats less than 2 as 2).
    pub max_relational_depth: usize,
    pub auth: AuthConfig,
    /// The response cache (CACHE_*).
    pub cache: crate::cache::CacheSettings,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            default_limit: 100,
            max_limit: None,
            max_body_bytes: 1024 * 1024,
            project_name: "rectus".into(),
            max_relational_depth: 10,
            auth: AuthConfig::default(),
            cache: Default::default(),
        }
    }
}

/// Authentication settings, with Directus's names and defaults.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// Signs access tokens (SECRET). Every host sharing it accepts the
    /// others' tokens.
    pub secret: Vec<u8>,
    /// ACCESS_TOKEN_TTL (15 minutes).
    pub access_token_ttl_ms: i64,
    /// REFRESH_TOKEN_TTL (7 days).
    pub refresh_token_ttl_ms: i64,
    /// SESSION_COOKIE_TTL (1 day).
    pub session_cookie_ttl_ms: i64,
    /// SESSION_REFRESH_GRACE_PERIOD (10 seconds).
    pub session_refresh_grace_ms: i64,
    /// LOGIN_STALL_TIME (500 ms): every login answers no sooner.
    pub login_stall_ms: u64,
    /// REFRESH_TOKEN_COOKIE_NAME, SESSION_COOKIE_NAME.
    pub refresh_cookie_name: String,
    pub session_cookie_name: String,
    /// *_COOKIE_SECURE, *_COOKIE_SAME_SITE, *_COOKIE_DOMAIN.
    pub cookie_secure: bool,
    pub cookie_same_site: String,
    pub cookie_domain: Option<String>,
    /// HASH_MEMORY_COST, HASH_TIME_COST, HASH_PARALLELISM.
    pub hash: HashParams,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            secret: Vec::new(),
            access_token_ttl_ms: 15 * 60 * 1000,
            refresh_token_ttl_ms: 7 * 24 * 3600 * 1000,
            session_cookie_ttl_ms: 24 * 3600 * 1000,
            session_refresh_grace_ms: 10_000,
            login_stall_ms: 500,
            refresh_cookie_name: "directus_refresh_token".into(),
            session_cookie_name: "directus_session_token".into(),
            cookie_secure: false,
            cookie_same_site: "Lax".into(),
            cookie_domain: None,
            hash: HashParams::default(),
        }
    }
}

/// Everything a request needs: the database it talks to, and the state
/// every request of this instance shares (snapshots, caches, host).
pub struct App {
    /// The database as this request sees it: the instance's driver, or a
    /// request's own (a D1 session that follows the client's bookmark).
    pub driver: Arc<dyn Driver>,
    /// Responses shared with the other instances of this place (the edge
    /// runtime's Cache API, reached through the request's context), below
    /// the instance's memory cache.
    pub shared_tier: Option<Arc<dyn crate::cache::SharedTier>>,
    shared: Arc<Shared>,
}

/// What every request of an instance shares.
pub struct Shared {
    schema: RwLock<Arc<SchemaSnapshot>>,
    access: RwLock<Arc<AccessSnapshot>>,
    pub host: Arc<dyn Host>,
    pub config: Config,
    /// Compiled read plans.
    pub plans: crate::cache::PlanCache,
    /// Whole GET responses, valid until a table they read is written.
    pub responses: crate::cache::ResponseCache,
    /// What this instance last saw of the data versions in the database.
    pub versions: crate::cache::VersionSync,
    /// Static tokens recently looked up.
    pub static_tokens: crate::auth::StaticTokenCache,
    /// Access tokens already verified.
    pub verified_tokens: crate::auth::VerifiedTokenCache,
    /// GraphQL schemas per policy set and validated documents.
    pub graphql: crate::graphql::GraphqlCache,
    /// Where the schema snapshot came from (introspected, kv, bundled).
    schema_origin: RwLock<&'static str>,
}

impl std::ops::Deref for App {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.shared
    }
}

impl App {
    pub fn new(
        schema: SchemaSnapshot,
        access: AccessSnapshot,
        driver: Arc<dyn Driver>,
        host: Arc<dyn Host>,
        config: Config,
    ) -> App {
        let shared = Shared {
            schema: RwLock::new(Arc::new(schema)),
            access: RwLock::new(Arc::new(access)),
            host,
            config,
            plans: Default::default(),
            responses: Default::default(),
            versions: Default::default(),
            static_tokens: Default::default(),
            verified_tokens: Default::default(),
            graphql: Default::default(),
            schema_origin: RwLock::new("introspected"),
        };
        App { driver, shared_tier: None, shared: Arc::new(shared) }
    }

    /// The same instance, talking to the database through `driver`.
    pub fn with_driver(&self, driver: Arc<dyn Driver>) -> App {
        App { driver, shared_tier: self.shared_tier.clone(), shared: self.shared.clone() }
    }

    /// With `tier` below the memory cache.
    pub fn with_shared_tier(mut self, tier: Arc<dyn crate::cache::SharedTier>) -> App {
        self.shared_tier = Some(tier);
        self
    }

    /// The SQL dialect of the database behind the driver.
    pub fn dialect(&self) -> &'static dyn crate::sql::dialect::Dialect {
        crate::sql::dialect::of(self.driver.dialect())
    }

    /// The read compiler's context for a request of `caller`.
    pub fn read_ctx<'a>(&self, schema: &'a SchemaSnapshot, caller: &'a Caller) -> crate::sql::ReadCtx<'a> {
        crate::sql::ReadCtx {
            dialect: self.dialect(),
            schema,
            grants: caller.grants.as_deref(),
            default_limit: self.config.default_limit,
            max_limit: self.config.max_limit,
            max_relational_depth: self.config.max_relational_depth,
            graphql_scalars: false,
        }
    }

    /// Re-reads the access tables (after a write to them through the API).
    pub async fn reload_access(&self) -> crate::db::DbResult<()> {
        let schema = self.schema();
        let access = AccessSnapshot::load(self.driver.as_ref(), &schema).await?;
        self.set_access(access);
        Ok(())
    }
}

impl Shared {
    /// Where the current schema snapshot came from.
    pub fn schema_origin(&self) -> &'static str {
        *self.schema_origin.read().unwrap_or_else(|p| p.into_inner())
    }

    pub fn set_schema_origin(&self, origin: &'static str) {
        *self.schema_origin.write().unwrap_or_else(|p| p.into_inner()) = origin;
    }

    /// The current schema snapshot (an `Arc` clone, never a deep copy).
    pub fn schema(&self) -> Arc<SchemaSnapshot> {
        read(&self.schema)
    }

    /// Swaps in a new snapshot after the database schema changed.
    pub fn set_schema(&self, schema: SchemaSnapshot) {
        write(&self.schema, schema);
    }

    /// The current access snapshot.
    pub fn access(&self) -> Arc<AccessSnapshot> {
        read(&self.access)
    }

    /// Swaps in a new access snapshot after roles, policies or permissions
    /// changed; static tokens are looked up afresh.
    pub fn set_access(&self, access: AccessSnapshot) {
        write(&self.access, access);
        self.static_tokens.clear();
    }
}

fn read<T>(lock: &RwLock<Arc<T>>) -> Arc<T> {
    match lock.read() {
        Ok(s) => s.clone(),
        Err(poisoned) => poisoned.into_inner().clone(),
    }
}

fn write<T>(lock: &RwLock<Arc<T>>, value: T) {
    let mut guard = match lock.write() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    };
    *guard = Arc::new(value);
}
