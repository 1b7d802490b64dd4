//! Data versions: what tells every instance that a table changed.
//!
//! `rectus_data_versions` holds, per table, a count of the writes committed
//! to it through rectus. A transaction bumps the rows of the tables it wrote
//! inside itself (so the bump commits or rolls back with the data), and ends
//! this instance's cached responses over those tables the moment it
//! commits. Every other instance — another process, isolate or location —
//! reads the rows at most every CACHE_VERSION_POLL and ends its responses
//! over the tables whose count moved: that interval bounds how long a write
//! made elsewhere stays unseen.

use super::shared::EVERYTHING;
use crate::app::App;
use crate::db::{DbResult, Rows, Statement, Transaction, Value};
use crate::schema::SchemaSnapshot;
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Mutex;

/// The table, created by migration 0002.
pub const TABLE: &str = "rectus_data_versions";

const READ_SQL: &str = r#"SELECT "collection", "version" FROM "rectus_data_versions""#;

/// Adds one to the count of every table in the JSON array `?1`.
const BUMP_SQL: &str = r#"INSERT INTO "rectus_data_versions" ("collection", "version") SELECT value, 1 FROM json_each(?1) WHERE true ON CONFLICT ("collection") DO UPDATE SET "version" = "version" + 1 RETURNING "collection", "version""#;

/// A transaction that notes the tables its statements write, and bumps
/// their versions when it commits. Its methods are the `Transaction`'s.
pub struct VersionedTx {
    tx: Box<dyn Transaction>,
    written: Vec<String>,
    deleted_from: Vec<String>,
}

impl VersionedTx {
    pub async fn begin(app: &App) -> DbResult<Self> {
        Ok(VersionedTx { tx: app.driver.begin().await?, written: Vec::new(), deleted_from: Vec::new() })
    }

    fn note(&mut self, stmt: &Statement) {
        if let Some(table) = crate::sql::tables::written_by(&stmt.sql) {
            let deletes = stmt.sql.trim_start().get(..6).is_some_and(|k| k.eq_ignore_ascii_case("DELETE"));
            if deletes && !self.deleted_from.contains(&table) {
                self.deleted_from.push(table.clone());
            }
            if !self.written.contains(&table) {
                self.written.push(table);
            }
        }
    }

    pub async fn query(&mut self, stmt: &Statement) -> DbResult<Rows> {
        self.note(stmt);
        self.tx.query(stmt).await
    }

    pub async fn execute(&mut self, stmt: &Statement) -> DbResult<u64> {
        self.note(stmt);
        self.tx.execute(stmt).await
    }

    pub async fn guard(&mut self, stmt: &Statement) -> DbResult<()> {
        self.tx.guard(stmt).await
    }

    /// Bumps the versions of what was written (and of the tables whose
    /// foreign keys the database updates or deletes by itself), commits, and
    /// ends this instance's responses over them, whether or not it committed.
    pub async fn commit(self, app: &App, schema: &SchemaSnapshot) -> DbResult<()> {
        let tables = touched(schema, &self.written, &self.deleted_from);
        self.commit_bumping(app, schema, tables).await
    }

    /// Bumps the versions of `tables` and commits.
    async fn commit_bumping(mut self, app: &App, schema: &SchemaSnapshot, tables: Vec<String>) -> DbResult<()> {
        let bumped = match tables.is_empty() || schema.collection(TABLE).is_none() {
            true => Ok(Rows::default()),
            false => {
                let bump = Statement::with_params(
                    BUMP_SQL,
                    vec![Value::Text(serde_json::to_string(&tables).unwrap_or_default())],
                );
                // Batched backends return nothing before the batch commits.
                match app.driver.interactive_transactions() {
                    true => self.tx.query(&bump).await,
                    false => self.tx.execute(&bump).await.map(|_| Rows::default()),
                }
            }
        };
        let committed = match bumped {
            Ok(rows) => self.tx.commit().await.map(|()| rows),
            Err(e) => {
                let _ = self.tx.rollback().await;
                Err(e)
            }
        };
        app.responses.tables_changed(tables.iter().map(String::as_str));
        let rows = committed?;
        if rows.rows.is_empty() && !tables.is_empty() {
            // Batched: the new versions are not known here yet.
            app.versions.written_here(&tables);
        }
        app.versions.saw(&rows);
        Ok(())
    }

    pub async fn rollback(self) -> DbResult<()> {
        self.tx.rollback().await
    }
}

/// The tables a transaction changed: those it wrote, plus, transitively,
/// those whose foreign keys the database rewrites when a row they point at
/// is deleted (`ON DELETE CASCADE`, `SET NULL`, `SET DEFAULT`). rectus's own
/// tables (`rectus_*`) are never read through the API and are left out.
fn touched(schema: &SchemaSnapshot, written: &[String], deleted_from: &[String]) -> Vec<String> {
    let mut tables: Vec<String> = written.to_vec();
    let mut pending: Vec<String> = deleted_from.to_vec();
    while let Some(parent) = pending.pop() {
        for r in schema.relations.iter().filter(|r| r.one_collection == parent) {
            let rewrites = r
                .on_delete
                .as_deref()
                .is_some_and(|a| ["CASCADE", "SET NULL", "SET DEFAULT"].iter().any(|k| a.eq_ignore_ascii_case(k)));
            if rewrites && !tables.contains(&r.many_collection) {
                tables.push(r.many_collection.clone());
                pending.push(r.many_collection.clone());
            }
        }
    }
    tables.retain(|t| !t.starts_with("rectus_"));
    tables
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
    /// look. Only one request looks at a time; the others go on meanwhile.
    pub async fn check(&self, app: &App) {
        let settings = &app.config.cache;
        let now = app.host.now_ms();
        let due = self.next_check_ms.load(Ordering::Acquire);
        if now < due {
            return;
        }
        let next = now + settings.version_poll_ms;
        if self.next_check_ms.compare_exchange(due, next, Ordering::AcqRel, Ordering::Acquire).is_err() {
            return; // another request is looking
        }
        self.read_now(app).await;
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
    fn written_here(&self, tables: &[String]) {
        self.seen.lock().unwrap_or_else(|p| p.into_inner()).pending.extend(tables.iter().cloned());
        self.next_check_ms.store(0, Ordering::Release);
    }

    /// Notes versions read (or returned by a bump); returns the tables whose
    /// version moved past what was seen. Versions only grow, so a late
    /// answer never takes a table back.
    fn saw(&self, rows: &Rows) -> Vec<String> {
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

/// `POST /utils/cache/clear` reaches every instance: it bumps `*`, which
/// every shared entry depends on and every instance's next read of the
/// versions sees.
pub async fn clear_everywhere(app: &App) -> DbResult<()> {
    let tx = VersionedTx::begin(app).await?;
    tx.commit_bumping(app, &app.schema(), vec![EVERYTHING.to_string()]).await
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
