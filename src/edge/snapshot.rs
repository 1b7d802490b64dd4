//! The schema snapshot on the edge: kept in KV under a key carrying a
//! fingerprint of the database schema, so a cold isolate reads it with one
//! small query plus one KV get instead of introspecting. It is rebuilt and
//! stored again only when the schema (its `sqlite_master` text) changes.

use crate::db::{Driver, Statement};
use crate::schema::SchemaSnapshot;
use sha2::{Digest, Sha256};
use worker::kv::KvStore;

/// Bumped when the snapshot's serialized form changes.
const FORMAT: &str = "v2";

const FINGERPRINT_SQL: &str =
    "SELECT group_concat(type || ':' || name || ':' || coalesce(sql, ''), ';') FROM (SELECT * FROM sqlite_master ORDER BY name)";

fn err(e: crate::db::DbError) -> worker::Error {
    worker::Error::RustError(e.to_string())
}

/// The access tables (roles, policies, permissions), read in one statement.
pub async fn access(driver: &dyn Driver, schema: &SchemaSnapshot) -> worker::Result<crate::access::AccessSnapshot> {
    crate::access::AccessSnapshot::load(driver, schema).await.map_err(err)
}

/// A short digest of the schema's DDL: it changes iff the schema does.
pub async fn fingerprint(driver: &dyn Driver) -> worker::Result<String> {
    let rows = driver.query(&Statement::new(FINGERPRINT_SQL)).await.map_err(err)?;
    let text = rows.scalar().and_then(|v| v.as_str()).unwrap_or("").to_string();
    Ok(Sha256::digest(text.as_bytes()).iter().take(12).map(|b| format!("{b:02x}")).collect())
}

/// The snapshot for the schema with `digest`: from KV, else introspected
/// (and then stored in KV).
pub async fn load(driver: &dyn Driver, kv: Option<&KvStore>, digest: &str) -> worker::Result<SchemaSnapshot> {
    let key = format!("rectus:schema:{FORMAT}:{digest}");
    if let Some(kv) = kv {
        if let Ok(Some(json)) = kv.get(&key).text().await {
            if let Ok(snapshot) = serde_json::from_str::<SchemaSnapshot>(&json) {
                return Ok(snapshot);
            }
        }
    }
    let snapshot = crate::schema::introspect::snapshot_sqlite(driver).await.map_err(err)?;
    if let Some(kv) = kv {
        if let Ok(json) = serde_json::to_string(&snapshot) {
            // A failed put only costs the next cold start an introspection.
            if let Ok(put) = kv.put(&key, json) {
                let _ = put.execute().await;
            }
        }
    }
    Ok(snapshot)
}
