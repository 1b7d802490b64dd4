//! Data versions: what tells every instance that a table changed.
//!
//! `rectus_data_versions` holds, per table, a count of the writes committed
//! to it through rectus; a write bumps it inside its own transaction
//! (`versioned_tx`). Every instance — another process, isolate or location
//! — reads the rows at most every CACHE_VERSION_POLL and ends its responses
//! over the tables whose count moved: that interval bounds how long a write
//! made elsewhere stays unseen.

use super::shared::EVERYTHING;
use crate::app::App;
use crate::db::{Rows, Statement, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Mutex;

/// The table, created by migration 0002.
pub const TABLE: &str = "rectus_data_versions";

const READ_SQL: &str = r#"SELECT "collection", "version" FROM "rectus_data_versions""#;

/// Adds one to the count of every table in the JSON array `?1`, and
/// returns the new counts. (`WHERE true` keeps SQLite from reading the
/// `ON` of the upsert as a join's.)
pub(super) fn bump_sql(d: &dyn crate::sql::dialect::Dialect) -> String {
    format!(
        r#"INSERT INTO "rectus_data_versions" ("collection", "version") SELECT l.value, 1 FROM ({}) AS l WHERE true{} RETURNING "collection", "version""#,
        d.json_list("?1", None),
        d.on_conflict_update(r#""collection""#, r#""version" = "rectus_data_versions"."version" + 1"#)
    )
}

/// What this instance last saw of `rectus_data_versions`, and when it looks
/// again.
#[derive(Default)]
pub struct VersionSync {
    seen: Mutex<Seen>,
    next_check_ms: AtomicI64,
}

#[derive(Default)]
struct Seen {
    versions: HashMap<String, i64>,
    /// Tables written here whose new version has not been read back yet:
    /// no shared entry over them is current.
    pending: std::collections::HashSet<String>,
}

impl VersionSync {
    /// At most every CACHE_VERSION_POLL: reads the versions and ends the
    /// cached responses over every table written elsewhere since the last
    /// look; returns them when this request looked. Only one request looks
    /// at a time; the others go on meanwhile.
    pub async fn check(&self, app: &App) -> Option<HashMap<String, i64>> {
        let settings = &app.config.cache;
        let now = app.host.now_ms();
        let due = self.next_check_ms.load(Ordering::Acquire);
        if now < due {
            return None;
        }
        let next = now + settings.version_poll_ms;
        if self.next_check_ms.compare_exchange(due, next, Ordering::AcqRel, Ordering::Acquire).is_err() {
            return None; // another request is looking
        }
        self.read_now(app).await
    }

    /// Reads the versions now (through the request's own session, so its
    /// later reads see at least this state), ends the responses over tables
    /// that moved, and returns them all.
    pub async fn read_now(&self, app: &App) -> Option<HashMap<String, i64>> {
        if app.schema().collection(TABLE).is_none() {
            return None;
        }
        match app.driver.query(&Statement::new(READ_SQL)).await {
            Ok(rows) => {
                let moved = self.saw(&rows);
                if moved.iter().any(|t| t == EVERYTHING) {
                    app.responses.data_changed();
                } else if !moved.is_empty() {
                    tracing::debug!(tables = ?moved, "written elsewhere");
                    app.responses.tables_changed(moved.iter().map(String::as_str));
                }
                Some(rows.rows.iter().filter_map(version_row).map(|(t, v)| (t.to_string(), v)).collect())
            }
            Err(e) => {
                tracing::warn!("data versions could not be read: {e}");
                None
            }
        }
    }

    /// True while every (table, version) of `label` is the version this
    /// instance knows, and none of those tables was written here since.
    pub fn current(&self, label: &[(String, i64)]) -> bool {
        let seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        label.iter().all(|(t, v)| seen.versions.get(t).copied().unwrap_or(0) == *v && !seen.pending.contains(t))
    }

    /// A write here whose new versions are not known yet (a batch returns
    /// none): the tables stay pending until a read shows them moved, which
    /// happens at the next request.
    pub(super) fn written_here(&self, tables: &[String]) {
        self.seen.lock().unwrap_or_else(|p| p.into_inner()).pending.extend(tables.iter().cloned());
        self.next_check_ms.store(0, Ordering::Release);
    }

    /// Notes versions read (or returned by a bump); returns the tables whose
    /// version moved past what was seen. Versions only grow, so a late
    /// answer never takes a table back.
    pub(super) fn saw(&self, rows: &Rows) -> Vec<String> {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        let mut moved = Vec::new();
        for (table, version) in rows.rows.iter().filter_map(version_row) {
            let known = seen.versions.entry(table.to_string()).or_insert(0);
            if version > *known {
                *known = version;
                seen.pending.remove(table);
                moved.push(table.to_string());
            }
        }
        moved
    }
}

fn version_row(row: &Vec<Value>) -> Option<(&str, i64)> {
    Some((row.first()?.as_str()?, row.get(1)?.as_i64()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(r: &[(&str, i64)]) -> Rows {
        Rows {
            columns: vec!["collection".into(), "version".into()],
            rows: r.iter().map(|(t, v)| vec![Value::Text(t.to_string()), Value::Integer(*v)]).collect(),
        }
    }

    #[test]
    fn a_label_is_current_while_its_versions_are_and_nothing_is_pending() {
        let sync = VersionSync::default();
        sync.saw(&rows(&[("a", 2)]));
        let label = |v: i64| vec![("a".to_string(), v), ("b".to_string(), 0)];
        assert!(sync.current(&label(2)), "b never written: version 0");
        assert!(!sync.current(&label(1)));
        sync.written_here(&["a".to_string()]);
        assert!(!sync.current(&label(2)), "written here, new version unknown");
        sync.saw(&rows(&[("a", 3)]));
        assert!(sync.current(&label(3)));
    }

    #[test]
    fn only_versions_that_moved_forward_count() {
        let sync = VersionSync::default();
        assert_eq!(sync.saw(&rows(&[("a", 1), ("b", 2)])), ["a", "b"]);
        assert!(sync.saw(&rows(&[("a", 1), ("b", 2)])).is_empty());
        assert_eq!(sync.saw(&rows(&[("a", 3), ("b", 1)])), ["a"], "an older answer takes nothing back");
        assert!(sync.saw(&rows(&[("b", 2)])).is_empty());
    }
}
