//! The application state a host builds once and hands to every request.

use crate::db::Driver;
use crate::schema::SchemaSnapshot;
use std::sync::{Arc, RwLock};

/// What the core needs from its host and cannot do itself on every target:
/// the clock and randomness.
pub trait Host: crate::db::MaybeSendSync {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> i64;
    /// Fills `buf` with cryptographically secure random bytes.
    fn fill_random(&self, buf: &mut [u8]);
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
}

impl Default for Config {
    fn default() -> Self {
        Config {
            default_limit: 100,
            max_limit: None,
            max_body_bytes: 1024 * 1024,
            project_name: "rectus".into(),
            max_relational_depth: 10,
        }
    }
}

/// Everything a request needs: the schema snapshot, the database and the host.
pub struct App {
    schema: RwLock<Arc<SchemaSnapshot>>,
    pub driver: Arc<dyn Driver>,
    pub host: Arc<dyn Host>,
    pub config: Config,
    /// Compiled read plans.
    pub plans: crate::cache::PlanCache,
}

impl App {
    pub fn new(schema: SchemaSnapshot, driver: Arc<dyn Driver>, host: Arc<dyn Host>, config: Config) -> App {
        App { schema: RwLock::new(Arc::new(schema)), driver, host, config, plans: Default::default() }
    }

    /// The current snapshot (an `Arc` clone, never a deep copy).
    pub fn schema(&self) -> Arc<SchemaSnapshot> {
        match self.schema.read() {
            Ok(s) => s.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Swaps in a new snapshot after the database schema changed.
    pub fn set_schema(&self, schema: SchemaSnapshot) {
        let mut guard = match self.schema.write() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        *guard = Arc::new(schema);
    }

    /// The read compiler's context for this request.
    pub fn read_ctx<'a>(&self, schema: &'a SchemaSnapshot) -> crate::sql::ReadCtx<'a> {
        crate::sql::ReadCtx {
            schema,
            now_ms: self.host.now_ms(),
            default_limit: self.config.default_limit,
            max_limit: self.config.max_limit,
            max_relational_depth: self.config.max_relational_depth,
        }
    }
}
