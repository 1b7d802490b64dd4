//! A second tier below each instance's memory: a cache the instances of
//! one place share (on the edge, the runtime's Cache API in each location),
//! so an isolate that has not answered a request yet can still answer it
//! without the database. Its entries carry the data versions of the tables
//! they read (their label); an entry is served only while this instance
//! knows every one of them to be current.

use crate::db::{BoxFuture, MaybeSendSync};
use bytes::Bytes;
use http::HeaderValue;

/// A response as the shared tier keeps it.
#[derive(Debug, Clone)]
pub struct SharedEntry {
    pub body: Bytes,
    pub content_type: Option<HeaderValue>,
    pub etag: Option<HeaderValue>,
    /// (table, data version) of every table it read, and of `*` (clears).
    pub label: Vec<(String, i64)>,
}

/// Where shared entries live.
pub trait SharedTier: MaybeSendSync {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Option<SharedEntry>>;
    /// Keeps `entry` for at most `ttl_s` seconds.
    fn put<'a>(&'a self, key: &'a str, entry: SharedEntry, ttl_s: u64) -> BoxFuture<'a, ()>;
}

impl SharedEntry {
    /// The tables it read (its label without `*`).
    pub fn tables(&self) -> Vec<String> {
        self.label.iter().filter(|(t, _)| t != EVERYTHING).map(|(t, _)| t.clone()).collect()
    }

    /// The label and the body in one blob, for stores that keep bytes: the
    /// label as a JSON line, then the body.
    pub fn to_blob(&self) -> Vec<u8> {
        let mut blob = serde_json::to_vec(&self.label).unwrap_or_default();
        blob.push(b'\n');
        blob.extend_from_slice(&self.body);
        blob
    }

    /// The entry `to_blob` wrote; `None` for anything else.
    pub fn from_blob(blob: &[u8], content_type: Option<HeaderValue>, etag: Option<HeaderValue>) -> Option<SharedEntry> {
        let newline = blob.iter().position(|&b| b == b'\n')?;
        let label = serde_json::from_slice(&blob[..newline]).ok()?;
        Some(SharedEntry { body: Bytes::copy_from_slice(&blob[newline + 1..]), content_type, etag, label })
    }
}

/// The label's pseudo-table that `POST /utils/cache/clear` bumps: every
/// entry depends on it.
pub const EVERYTHING: &str = "*";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blob_keeps_label_and_body() {
        let entry = SharedEntry {
            body: Bytes::from_static(b"{\"data\":\"a\nb\"}"),
            content_type: None,
            etag: None,
            label: vec![("articles".into(), 3), ("*".into(), 0)],
        };
        let back = SharedEntry::from_blob(&entry.to_blob(), None, None).unwrap();
        assert_eq!(entry.tables(), ["articles"]);
        assert_eq!((back.body, back.label), (entry.body, entry.label));
        assert!(SharedEntry::from_blob(b"no label", None, None).is_none());
    }
}
