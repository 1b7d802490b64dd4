//! Whole GET responses kept in memory, keyed by everything that decides
//! their bytes, and valid only while the data version they were read at
//! is current: a write through rectus bumps the version once it commits,
//! so no response read before a write is served after it. Writes made
//! behind rectus's back (another process on the file, another isolate)
//! are bounded by the TTL.

use bytes::Bytes;
use cached::{Cached, SizedCache};
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
        }
    }
}

/// A response as it was sent.
#[derive(Debug)]
pub struct CachedResponse {
    pub body: Bytes,
    pub content_type: Option<http::HeaderValue>,
    pub etag: Option<http::HeaderValue>,
    /// The data version it was read at.
    version: u64,
    stored_ms: i64,
}

/// The response cache and the data version it is checked against.
pub struct ResponseCache {
    entries: Mutex<Store>,
    version: AtomicU64,
}

struct Store {
    lru: SizedCache<String, Arc<CachedResponse>>,
    bytes: usize,
}

impl Default for ResponseCache {
    fn default() -> Self {
        ResponseCache {
            entries: Mutex::new(Store { lru: SizedCache::with_size(ENTRIES), bytes: 0 }),
            version: AtomicU64::new(0),
        }
    }
}

impl ResponseCache {
    /// The data version now: read it before running a read, and store the
    /// response under it.
    pub fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    /// Called once a write has committed (or failed to): every response
    /// read before it is stale from now on.
    pub fn data_changed(&self) {
        self.version.fetch_add(1, Ordering::AcqRel);
    }

    /// The response stored under `key`, when it is still current.
    pub fn get(&self, key: &str, now_ms: i64, settings: &CacheSettings) -> Option<Arc<CachedResponse>> {
        let mut store = lock(&self.entries);
        let hit = store.lru.cache_get(key)?.clone();
        if hit.version == self.version() && now_ms - hit.stored_ms < settings.ttl_ms {
            return Some(hit);
        }
        store.remove(key);
        None
    }

    /// Keeps a response read at `version`, evicting the least recently used
    /// ones while the bodies exceed the memory bound.
    pub fn put(
        &self,
        key: String,
        response: &http::Response<Bytes>,
        version: u64,
        now_ms: i64,
        settings: &CacheSettings,
    ) {
        let size = response.body().len() + key.len();
        if size > settings.max_bytes / 8 || version != self.version() {
            return; // too large to be worth a slot, or already stale
        }
        let entry = Arc::new(CachedResponse {
            body: response.body().clone(),
            content_type: response.headers().get(http::header::CONTENT_TYPE).cloned(),
            etag: response.headers().get(http::header::ETAG).cloned(),
            version,
            stored_ms: now_ms,
        });
        let mut store = lock(&self.entries);
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
        let v = cache.version();
        cache.put("a".into(), &response("[1]"), v, 0, &settings);
        assert_eq!(cache.get("a", 10, &settings).unwrap().body, "[1]");
        assert!(cache.get("a", 1000, &settings).is_none(), "expired");

        cache.put("a".into(), &response("[1]"), v, 0, &settings);
        cache.data_changed();
        assert!(cache.get("a", 10, &settings).is_none(), "stale after a write");

        // Read before a write, stored after it: never kept.
        cache.put("b".into(), &response("[2]"), v, 0, &settings);
        assert!(cache.get("b", 10, &settings).is_none());

        cache.put("c".into(), &response("[3]"), cache.version(), 0, &settings);
        cache.clear();
        assert!(cache.get("c", 10, &settings).is_none());
    }

    #[test]
    fn bodies_stay_within_the_memory_bound() {
        let settings = CacheSettings { enabled: true, max_bytes: 800, ..CacheSettings::default() };
        let cache = ResponseCache::default();
        for i in 0..100 {
            cache.put(format!("k{i}"), &response("0123456789012345678901234567890123456789"), 0, 0, &settings);
        }
        assert!(lock(&cache.entries).bytes <= 800);
        assert!(cache.get("k99", 1, &settings).is_some(), "the newest stays");
        assert!(cache.get("k0", 1, &settings).is_none(), "the oldest went first");
    }
}
