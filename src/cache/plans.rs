//! Compiled read statements keyed by what decides them: the schema and
//! access snapshots, the caller's policies, the collection and the raw query
//! string. The item key and request variables are bound per request.

use crate::error::ApiResult;
use crate::sql::Plan;
use cached::{Cached, SizedCache};
use std::sync::{Arc, Mutex};

/// Plans kept; the least recently used is dropped first.
const CAPACITY: usize = 512;

/// What a plan answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PlanKind {
    List,
    Item,
    Singleton,
}

/// A bounded LRU of plans.
pub struct PlanCache {
    plans: Mutex<SizedCache<String, Arc<Plan>>>,
}

impl Default for PlanCache {
    fn default() -> Self {
        PlanCache { plans: Mutex::new(SizedCache::with_size(CAPACITY)) }
    }
}

impl PlanCache {
    /// The cached plan, or `compile()`'s result (cached when it succeeds).
    /// `context` names the snapshots and the caller's policies.
    pub fn get_or_compile(
        &self,
        context: &str,
        collection: &str,
        kind: PlanKind,
        raw_query: &str,
        compile: impl FnOnce() -> ApiResult<Plan>,
    ) -> ApiResult<Arc<Plan>> {
        let key = format!("{context}\u{0}{collection}\u{0}{kind:?}\u{0}{raw_query}");
        if let Some(plan) = self.lock().cache_get(&key) {
            return Ok(plan.clone());
        }
        let plan = Arc::new(compile()?);
        self.lock().cache_set(key, plan.clone());
        Ok(plan)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SizedCache<String, Arc<Plan>>> {
        self.plans.lock().unwrap_or_else(|p| p.into_inner())
    }
}
