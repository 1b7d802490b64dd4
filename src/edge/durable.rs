//! The Durable-Object SQLite backend: one object (`RECTUS_DO`, named
//! "rectus") owns the database; the worker forwards each request to it and
//! it runs the same router over its own SQLite storage. Writes are buffered
//! as on D1 and applied inside one `storage.transaction()` at commit (the SQL
//! API forbids BEGIN; the storage transaction rolls everything back on error).

use super::buffered::{db_error, Backend, BufferedDriver};
use super::{from_http, snapshot, to_http};
use crate::app::App;
use crate::db::{DbError, DbResult, Rows, Statement, Value};
use async_trait::async_trait;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use worker::{durable_object, DurableObject, Env, Request, Response, Result, SqlStorage, SqlStorageValue, State};

/// The object holding the database.
#[durable_object]
pub struct RectusObject {
    state: Rc<State>,
    env: Env,
    app: RefCell<Option<Rc<App>>>,
    /// Bumped by every import: an app built while one ran is not kept.
    generation: std::cell::Cell<u64>,
}

impl DurableObject for RectusObject {
    fn new(state: State, env: Env) -> Self {
        super::log::init();
        RectusObject { state: Rc::new(state), env, app: RefCell::new(None), generation: Default::default() }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        if req.path() == "/rectus/import" {
            return self.import(req).await;
        }
        let cached = self.app.borrow().clone();
        let app = match cached {
            Some(app) => app,
            None => {
                let generation = self.generation.get();
                let driver = Arc::new(BufferedDriver::new(DoSql { state: self.state.clone() }));
                let kv = self.env.kv("RECTUS_KV").ok();
                let fingerprint = snapshot::fingerprint(driver.as_ref()).await?;
                let (schema, origin) = snapshot::load(driver.as_ref(), kv.as_ref(), &fingerprint).await?;
                let access = snapshot::access(driver.as_ref(), &schema).await?;
                let config = super::config_from(&self.env);
                let app = App::new(schema, access, driver, Arc::new(super::host::WorkerHost), config);
                app.set_schema_origin(origin);
                let app = Rc::new(app);
                if self.generation.get() == generation {
                    *self.app.borrow_mut() = Some(app.clone());
                }
                app
            }
        };
        let request = to_http(req).await?;
        from_http(crate::rest::handle(&app, request).await)
    }
}

impl RectusObject {
    /// `POST /rectus/import` with `x-rectus-import-token: $RECTUS_IMPORT_TOKEN`
    /// and a SQL dump (`rectus dump`) as body loads a database into the
    /// object. Refused unless the worker has that secret set.
    async fn import(&self, mut req: Request) -> Result<Response> {
        let expected = self.env.var("RECTUS_IMPORT_TOKEN").map(|v| v.to_string()).unwrap_or_default();
        let given = req.headers().get("x-rectus-import-token")?.unwrap_or_default();
        if expected.is_empty() || !crate::auth::request::constant_time_eq(given.as_bytes(), expected.as_bytes()) {
            return from_http(crate::rest::response::error(&crate::error::ApiError::forbidden()));
        }
        let dump = req.text().await?;
        let sql = self.state.storage().sql();
        let mut count = 0usize;
        // Statements of a `rectus dump` end with `;` at the end of a line.
        for statement in dump.split(";\n").map(str::trim).filter(|s| !s.is_empty()) {
            sql.exec(statement, None)?.raw().try_for_each(|row| row.map(drop))?;
            count += 1;
        }
        *self.app.borrow_mut() = None;
        self.generation.set(self.generation.get() + 1);
        Response::ok(format!("imported {count} statements"))
    }
}

/// The object's SQLite storage as a backend: the writes of a request run
/// inside one `storage.transaction()`.
struct DoSql {
    state: Rc<State>,
}

#[async_trait(?Send)]
impl Backend for DoSql {
    async fn read(&self, stmt: &Statement) -> DbResult<Rows> {
        query(&self.state.storage().sql(), stmt)
    }

    async fn write_all(&self, writes: Vec<Statement>) -> DbResult<()> {
        let sql = self.state.storage().sql();
        let first_error: Rc<RefCell<Option<DbError>>> = Rc::new(RefCell::new(None));
        let record = first_error.clone();
        let result = self
            .state
            .storage()
            .transaction(move |_| async move {
                for w in &writes {
                    let w = crate::sql::builder::fit_param_limit(w, 100);
                    // A cursor left unread keeps its statement open, and the
                    // transaction cannot end while one is.
                    let done = sql.exec(&w.sql, bindings(&w)).and_then(|c| c.raw().try_for_each(|row| row.map(drop)));
                    if let Err(e) = done {
                        *record.borrow_mut() = Some(db_error(e));
                        return Err(worker::Error::RustError("write failed".into()));
                    }
                }
                Ok(())
            })
            .await;
        let failed = first_error.borrow_mut().take();
        match (result, failed) {
            (Ok(()), _) => Ok(()),
            (Err(_), Some(e)) => Err(e),
            (Err(e), None) => Err(db_error(e)),
        }
    }
}

/// The parameters as SQL storage values (the statement is already within
/// the 100-parameter limit).
fn bindings(stmt: &Statement) -> Vec<SqlStorageValue> {
    stmt.params
        .iter()
        .map(|v| match v {
            Value::Null => SqlStorageValue::Null,
            Value::Integer(i) => SqlStorageValue::Integer(*i),
            Value::Real(f) => SqlStorageValue::Float(*f),
            Value::Text(s) => SqlStorageValue::String(s.clone()),
            Value::Blob(b) => SqlStorageValue::Blob(b.clone()),
        })
        .collect()
}

fn query(sql: &SqlStorage, stmt: &Statement) -> DbResult<Rows> {
    let packed = crate::sql::builder::fit_param_limit(stmt, 100);
    let cursor = sql.exec(&packed.sql, bindings(&packed)).map_err(db_error)?;
    let columns = cursor.column_names();
    let mut rows = Vec::new();
    for row in cursor.raw() {
        let row = row.map_err(db_error)?;
        rows.push(
            row.into_iter()
                .map(|v| match v {
                    SqlStorageValue::Null => Value::Null,
                    SqlStorageValue::Boolean(b) => Value::Integer(b as i64),
                    SqlStorageValue::Integer(i) => Value::Integer(i),
                    SqlStorageValue::Float(f) => Value::Real(f),
                    SqlStorageValue::String(s) => Value::Text(s),
                    SqlStorageValue::Blob(b) => Value::Blob(b),
                })
                .collect(),
        );
    }
    Ok(Rows { columns, rows })
}
