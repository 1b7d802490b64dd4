//! Whole GET responses kept in memory, keyed by everything that decides
//! their bytes, and valid only while no collection they read has changed
//! since: a write through rectus marks the collections it wrote once it
//! commits, so no response read before a write is served after it, while
//! responses over other collections stay. Writes seen only as "something
//! changed" (behind rectus's back, a clear) end every response.

use bytes::Bytes;
use cached::{Cached, SizedCache};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Responses kept at most, whatever their size.
const ENTRIES: usize = 4096;

/// What the cache may hold and for how long (Directus's CACHE_* names).
#[derive(Debug, Clone)]
pub struct CacheSettings {
    /// CACHE_ENABLED.
    pub enabled: bool,
    /// CACHE_TTL in milliseconds: how long a response may be served, and so
    /// the bound on staleness after a write rectus did not see.
    pub ttl_ms: i64,
    /// Memory kept for bodies, all responses together.
    pub max_bytes: usize,
    /// CACHE_SKIP_ALLOWED: a client's `Cache-Control: no-store` skips it.
    pub skip_allowed: bool,
    /// CACHE_CONTROL_S_MAXAGE: how long shared caches in front may keep a
    /// response (seconds); `None` tells them to revalidate every time.
    pub s_maxage: Option<u64>,
    /// CACHE_STATUS_HEADER: a response header saying HIT or MISS.
    pub status_header: Option<http::HeaderName>,
    /// CACHE_VERSION_POLL in milliseconds: how often this instance reads the
    /// data versions, and so how long a write made through another instance
    /// (process, isolate, location) stays unseen here.
    pub version_poll_ms: i64,
}

impl Default for CacheSettings {
    fn default() -> Self {
        CacheSettings {
            enabled: false,
            ttl_ms: 5 * 60 * 1000,
            max_bytes: 64 << 20,
            skip_allowed: false,
            s_maxage: None,
            status_header: None,
            version_poll_ms: 1000,
        }
    }
}

/// A response as it was sent.
#[derive(Debug)]
pub struct CachedResponse {
    pub body: Bytes,
    pub content_type: Option<http::HeaderValue>,
    pub etag: Option<http::HeaderValue>,
    /// The version it was read at, and the tables it read (none recorded:
    /// it depends on every table).
    version: u64,
    reads: Box<[String]>,
    stored_ms: i64,
}

/// The response cache and the version counter reads are checked against.
pub struct ResponseCache {
    entries: Mutex<Store>,
    /// Counts changes; a read notes it before it starts.
    version: AtomicU64,
}

struct Store {
    lru: SizedCache<String, Arc<CachedResponse>>,
    bytes: usize,
    changes: Changes,
}

/// When things last changed, as values of the version counter.
#[derive(Default)]
struct Changes {
    /// Last change of anything (a table or everything).
    latest: u64,
    /// Last change of everything at once.
    everything: u64,
    by_table: HashMap<String, u64>,
}

impl Changes {
    /// True when nothing `reads` depends on changed after `version`.
    fn unchanged_since(&self, reads: &[String], version: u64) -> bool {
        if reads.is_empty() {
            return self.latest <= version;
        }
        self.everything <= version && reads.iter().all(|t| self.by_table.get(t).is_none_or(|&v| v <= version))
    }
}

impl Default for ResponseCache {
    fn default() -> Self {
        ResponseCache {
            entries: Mutex::new(Store { lru: SizedCache::with_size(ENTRIES), bytes: 0, changes: Changes::default() }),
            version: AtomicU64::new(0),
        }
    }
}

impl ResponseCache {
    /// The version now: read it before running a read, and store the
    /// response under it.
    pub fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    /// Called once a write to `tables` has committed (or failed to): every
    /// response that read one of them before is stale from now on.
    pub fn tables_changed<'t>(&self, tables: impl IntoIterator<Item = &'t str>) {
        let mut store = lock(&self.entries);
        let now = self.version.fetch_add(1, Ordering::AcqRel) + 1;
        store.changes.latest = now;
        for t in tables {
            store.changes.by_table.insert(t.to_string(), now);
        }
    }

    /// Something changed, nobody knows where: every response is stale.
    pub fn data_changed(&self) {
        let mut store = lock(&self.entries);
        let now = self.version.fetch_add(1, Ordering::AcqRel) + 1;
        store.changes.latest = now;
        store.changes.everything = now;
    }

    /// The response stored under `key`, when it is still current.
    pub fn get(&self, key: &str, now_ms: i64, settings: &CacheSettings) -> Option<Arc<CachedResponse>> {
        let mut store = lock(&self.entries);
        let hit = store.lru.cache_get(key)?.clone();
        if now_ms - hit.stored_ms < settings.ttl_ms && store.changes.unchanged_since(&hit.reads, hit.version) {
            return Some(hit);
        }
        store.remove(key);
        None
    }

    /// Keeps a response that read `reads` at `version`, evicting the least
    /// recently used ones while the bodies exceed the memory bound.
    pub fn put(
        &self,
        key: String,
        response: &http::Response<Bytes>,
        (version, reads): (u64, Vec<String>),
        now_ms: i64,
        settings: &CacheSettings,
    ) {
        let size = response.body().len() + key.len();
        if size > settings.max_bytes / 8 {
            return; // too large to be worth a slot
        }
        let entry = Arc::new(CachedResponse {
            body: response.body().clone(),
            content_type: response.headers().get(http::header::CONTENT_TYPE).cloned(),
            etag: response.headers().get(http::header::ETAG).cloned(),
            version,
            reads: reads.into_boxed_slice(),
            stored_ms: now_ms,
        });
        let mut store = lock(&self.entries);
        if !store.changes.unchanged_since(&entry.reads, version) {
            return; // a write committed while it was read
        }
        store.remove(&key);
        while store.bytes + size > settings.max_bytes {
            let Some(oldest) = store.lru.key_order().last().cloned() else {
                break;
            };
            store.remove(&oldest);
        }
        store.bytes += size;
        if let Some(evicted) = store.lru.cache_set(key.clone(), entry) {
            store.bytes = store.bytes.saturating_sub(evicted.body.len() + key.len());
        }
    }

    /// `POST /utils/cache/clear`.
    pub fn clear(&self) {
        let mut store = lock(&self.entries);
        store.lru.cache_clear();
        store.bytes = 0;
        drop(store);
        self.data_changed();
    }
}

impl Store {
    fn remove(&mut self, key: &str) {
        if let Some(old) = self.lru.cache_remove(key) {
            self.bytes = self.bytes.saturating_sub(old.body.len() + key.len());
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(body: &'static str) -> http::Response<Bytes> {
        http::Response::new(Bytes::from_static(body.as_bytes()))
    }

    #[test]
    fn a_write_a_ttl_or_a_clear_ends_an_entry() {
        let settings = CacheSettings { enabled: true, ttl_ms: 1000, ..CacheSettings::default() };
        let cache = ResponseCache::default();
        let reads = |t: &[&str]| t.iter().map(|t| t.to_string()).collect::<Vec<_>>();
        let v = cache.version();
        cache.put("a".into(), &response("[1]"), (v, reads(&["a"])), 0, &settings);
        assert_eq!(cache.get("a", 10, &settings).unwrap().body, "[1]");
        assert!(cache.get("a", 1000, &settings).is_none(), "expired");

        cache.put("a".into(), &response("[1]"), (v, reads(&["a", "b"])), 0, &settings);
        cache.tables_changed(["c"]);
        assert!(cache.get("a", 10, &settings).is_some(), "a write elsewhere leaves it");
        cache.tables_changed(["b"]);
        assert!(cache.get("a", 10, &settings).is_none(), "stale after a write to a table it read");

        // Read before a write, stored after it: never kept.
        cache.put("b".into(), &response("[2]"), (v, reads(&["b"])), 0, &settings);
        assert!(cache.get("b", 10, &settings).is_none());
        // Nothing recorded: any write ends it.
        cache.put("n".into(), &response("[]"), (cache.version(), vec![]), 0, &settings);
        cache.tables_changed(["z"]);
        assert!(cache.get("n", 10, &settings).is_none());

        cache.put("c".into(), &response("[3]"), (cache.version(), reads(&["c"])), 0, &settings);
        cache.data_changed();
        assert!(cache.get("c", 10, &settings).is_none(), "a change anywhere ends it");
        cache.put("c".into(), &response("[3]"), (cache.version(), reads(&["c"])), 0, &settings);
        cache.clear();
        assert!(cache.get("c", 10, &settings).is_none());
    }

    #[test]
    fn bodies_stay_within_the_memory_bound() {
        let settings = CacheSettings { enabled: true, max_bytes: 800, ..CacheSettings::default() };
        let cache = ResponseCache::default();
        for i in 0..100 {
            let read = (0, vec!["t".to_string()]);
            cache.put(format!("k{i}"), &response("0123456789012345678901234567890123456789"), read, 0, &settings);
        }
        assert!(lock(&cache.entries).bytes <= 800);
        assert!(cache.get("k99", 1, &settings).is_some(), "the newest stays");
        assert!(cache.get("k0", 1, &settings).is_none(), "the oldest went first");
    }
}
