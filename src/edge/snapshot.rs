//! The schema snapshot on the edge. A cold isolate takes it, in order, from
//! the snapshot bundled into the worker (`rectus build`), from KV (under a
//! key carrying the schema's fingerprint), or by introspecting — then
//! stores it in KV for the next isolates. Each step checks the fingerprint,
//! one small query, so a changed schema is never served from a stale copy.

use crate::db::Driver;
use crate::schema::introspect::{BuiltSnapshot, SNAPSHOT_FORMAT};
use crate::schema::SchemaSnapshot;
use worker::kv::KvStore;

/// The snapshot bundled at build time (`RECTUS_SNAPSHOT=... scripts/edge-build`).
#[cfg(bundled_snapshot)]
const BUNDLED: Option<&str> = Some(include_str!(env!("RECTUS_SNAPSHOT_PATH")));
#[cfg(not(bundled_snapshot))]
const BUNDLED: Option<&str> = None;

/// Where an isolate's snapshot came from (shown by `/server/info`).
pub const FROM_BUNDLE: &str = "bundled";
pub const FROM_KV: &str = "kv";
pub const FROM_INTROSPECTION: &str = "introspected";

fn err(e: crate::db::DbError) -> worker::Error {
    worker::Error::RustError(e.to_string())
}

/// The access tables (roles, policies, permissions), read in one statement.
pub async fn access(driver: &dyn Driver, schema: &SchemaSnapshot) -> worker::Result<crate::access::AccessSnapshot> {
    crate::access::AccessSnapshot::load(driver, schema).await.map_err(err)
}

/// A short digest of the schema's DDL: it changes iff the schema does.
pub async fn fingerprint(driver: &dyn Driver) -> worker::Result<String> {
    crate::schema::introspect::fingerprint(driver).await.map_err(err)
}

/// The snapshot for the schema with `digest` and where it came from: the
/// bundle, KV, else introspected (and then stored in KV).
pub async fn load(
    driver: &dyn Driver,
    kv: Option<&KvStore>,
    digest: &str,
) -> worker::Result<(SchemaSnapshot, &'static str)> {
    if let Some(built) = BUNDLED.and_then(|text| serde_json::from_str::<BuiltSnapshot>(text).ok()) {
        if built.format == SNAPSHOT_FORMAT && built.fingerprint == digest {
            return Ok((built.schema, FROM_BUNDLE));
        }
    }
    let key = format!("rectus:schema:{SNAPSHOT_FORMAT}:{digest}");
    if let Some(kv) = kv {
        if let Ok(Some(json)) = kv.get(&key).text().await {
            if let Ok(snapshot) = serde_json::from_str::<SchemaSnapshot>(&json) {
                return Ok((snapshot, FROM_KV));
            }
        }
    }
    let snapshot = crate::schema::introspect::snapshot(driver).await.map_err(err)?;
    if let Some(kv) = kv {
        if let Ok(json) = serde_json::to_string(&snapshot) {
            // A failed put only costs the next cold start an introspection.
            if let Ok(put) = kv.put(&key, json) {
                let _ = put.execute().await;
            }
        }
    }
    Ok((snapshot, FROM_INTROSPECTION))
}
