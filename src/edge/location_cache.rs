//! The shared tier on the edge: the runtime's Cache API, which the isolates
//! of one location share. Entries are stored under a URL made from a digest
//! of the response cache's key (it names the caller, so nothing is shared
//! between callers that the memory cache would not share), for CACHE_TTL.
//! On a `*.workers.dev` address the Cache API keeps nothing: every lookup
//! misses and the memory cache alone answers.

use crate::cache::{SharedEntry, SharedTier};
use crate::db::BoxFuture;
use http::HeaderValue;
use sha2::{Digest, Sha256};
use worker::{Cache, Context, Headers, Response};

pub struct LocationCache {
    /// The request's context: a put runs after the response is sent.
    ctx: Context,
}

impl LocationCache {
    pub fn new(ctx: Context) -> Self {
        LocationCache { ctx }
    }
}

/// The Cache API's key for a response cache key.
fn url(key: &str) -> String {
    let digest: String = Sha256::digest(key.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    format!("https://rectus-cache.invalid/{digest}")
}

impl SharedTier for LocationCache {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Option<SharedEntry>> {
        Box::pin(async move {
            let mut found = Cache::default().get(url(key), false).await.ok()??;
            let header =
                |name: &str| found.headers().get(name).ok().flatten().and_then(|v| HeaderValue::from_str(&v).ok());
            let (content_type, etag) = (header("content-type"), header("etag"));
            let blob = found.bytes().await.ok()?;
            SharedEntry::from_blob(&blob, content_type, etag)
        })
    }

    fn put<'a>(&'a self, key: &'a str, entry: SharedEntry, ttl_s: u64) -> BoxFuture<'a, ()> {
        let headers = Headers::new();
        let set = |name: &str, value: &str| {
            let _ = headers.set(name, value);
        };
        set("cache-control", &format!("max-age={ttl_s}"));
        for (name, value) in [("content-type", &entry.content_type), ("etag", &entry.etag)] {
            if let Some(v) = value.as_ref().and_then(|v| v.to_str().ok()) {
                set(name, v);
            }
        }
        if let Ok(stored) = Response::from_bytes(entry.to_blob()) {
            let (url, stored) = (url(key), stored.with_headers(headers));
            self.ctx.wait_until(async move {
                if let Err(e) = Cache::default().put(url, stored).await {
                    tracing::warn!("Cache API put failed: {e}");
                }
            });
        }
        Box::pin(async {})
    }
}
