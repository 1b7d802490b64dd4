//! Writes that bump the data versions of the tables they touch, inside
//! their own transaction, so the bump commits or rolls back with the data;
//! this instance's cached responses over those tables end the moment it
//! commits.

use super::shared::EVERYTHING;
use super::versions::{bump_sql, TABLE};
use crate::app::App;
use crate::db::{DbResult, Rows, Statement, Transaction, Value};
use crate::schema::SchemaSnapshot;

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
        if let Some(write) = crate::sql::tables::written_by(&stmt.sql) {
            if write.deletes && !self.deleted_from.contains(&write.table) {
                self.deleted_from.push(write.table.clone());
            }
            if !self.written.contains(&write.table) {
                self.written.push(write.table);
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
                    bump_sql(app.dialect()),
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

/// `POST /utils/cache/clear` reaches every instance: it bumps `*`, which
/// every shared entry depends on and every instance's next read of the
/// versions sees.
pub async fn clear_everywhere(app: &App) -> DbResult<()> {
    let tx = VersionedTx::begin(app).await?;
    tx.commit_bumping(app, &app.schema(), vec![EVERYTHING.to_string()]).await
}
