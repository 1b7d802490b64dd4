//! Postgres from the edge worker: one connection per request over the
//! runtime's TCP sockets (a Worker cannot keep I/O across requests;
//! Hyperdrive, when bound, pools in front of the server). Every statement
//! is one round trip: parse, bind and execute go out together, with the
//! parameter types left to the server, so nothing is prepared first.

use super::{classify, param_refs, params, parse_url, render, rows};
use crate::db::{DbError, DbResult, Dialect, Driver, Rows, Statement, Transaction};
use async_trait::async_trait;
use futures_util::TryStreamExt;
use std::cell::RefCell;
use std::rc::Rc;
use tokio_postgres::types::{Kind, Type};
use tokio_postgres::Client;
use worker::postgres_tls::PassthroughTls;
use worker::wasm_bindgen_futures;
use worker::{SecureTransport, Socket};

/// Where the worker's Postgres is.
pub enum Target {
    /// A Hyperdrive binding (pooled, near the database).
    Hyperdrive(worker::Hyperdrive),
    /// A connection string (`postgres://...`; `sslmode=disable` for plain TCP).
    Url(String),
}

/// The driver of one request: connects on its first statement.
pub struct EdgePostgres {
    target: Target,
    budget_ms: u64,
    client: RefCell<Option<Rc<Client>>>,
}

impl EdgePostgres {
    pub fn new(target: Target, budget_ms: u64) -> EdgePostgres {
        EdgePostgres { target, budget_ms, client: RefCell::new(None) }
    }

    async fn client(&self) -> DbResult<Rc<Client>> {
        if let Some(client) = self.client.borrow().as_ref() {
            return Ok(client.clone());
        }
        let client = Rc::new(self.connect().await?);
        *self.client.borrow_mut() = Some(client.clone());
        Ok(client)
    }

    async fn connect(&self) -> DbResult<Client> {
        let unavailable = |e: worker::Error| DbError::Unavailable(e.to_string());
        let (mut config, socket) = match &self.target {
            Target::Hyperdrive(hd) => {
                let config = parse_url(&hd.connection_string())?;
                let socket = Socket::builder()
                    .secure_transport(SecureTransport::StartTls)
                    .connect(hd.host(), hd.port())
                    .map_err(unavailable)?;
                (config, socket)
            }
            Target::Url(url) => {
                let config = parse_url(url)?;
                let host = match config.get_hosts().first() {
                    Some(tokio_postgres::config::Host::Tcp(host)) => host.clone(),
                    _ => return Err(DbError::Other("the Postgres URL names no TCP host".into())),
                };
                let port = config.get_ports().first().copied().unwrap_or(5432);
                let tls = match config.get_ssl_mode() {
                    tokio_postgres::config::SslMode::Disable => SecureTransport::Off,
                    _ => SecureTransport::StartTls,
                };
                let socket = Socket::builder().secure_transport(tls).connect(host, port).map_err(unavailable)?;
                (config, socket)
            }
        };
        super::set_session_options(&mut config, self.budget_ms);
        let (client, connection) =
            config.connect_raw(socket, PassthroughTls).await.map_err(|e| classify(&e, self.budget_ms))?;
        wasm_bindgen_futures::spawn_local(async move {
            if let Err(e) = connection.await {
                tracing::warn!("Postgres connection ended: {e}");
            }
        });
        Ok(client)
    }
}

/// A parameter type the server infers from where the parameter is used.
fn unspecified() -> Type {
    Type::new("unspecified".into(), 0, Kind::Simple, "pg_catalog".into())
}

/// Runs `stmt` in one round trip; returns its rows and how many it changed.
async fn run(client: &Client, stmt: &Statement, budget_ms: u64) -> DbResult<(Rows, u64)> {
    let values = params(stmt);
    let typed: Vec<_> = param_refs(&values).into_iter().map(|p| (p, unspecified())).collect();
    let stream = client.query_typed_raw(&render(&stmt.sql), typed).await.map_err(|e| classify(&e, budget_ms))?;
    futures_util::pin_mut!(stream);
    let mut found = Vec::new();
    while let Some(row) = stream.try_next().await.map_err(|e| classify(&e, budget_ms))? {
        found.push(row);
    }
    let changed = stream.rows_affected().unwrap_or(0);
    let columns = found.first().map(|r| r.columns()).unwrap_or_default();
    Ok((rows(columns, &found)?, changed))
}

#[async_trait(?Send)]
impl Driver for EdgePostgres {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    async fn query(&self, stmt: &Statement) -> DbResult<Rows> {
        Ok(run(&*self.client().await?, stmt, self.budget_ms).await?.0)
    }

    async fn begin(&self) -> DbResult<Box<dyn Transaction>> {
        let client = self.client().await?;
        client.batch_execute("BEGIN").await.map_err(|e| classify(&e, self.budget_ms))?;
        Ok(Box::new(EdgeTransaction { client, budget_ms: self.budget_ms, open: true }))
    }
}

/// A transaction on the request's connection.
struct EdgeTransaction {
    client: Rc<Client>,
    budget_ms: u64,
    open: bool,
}

impl EdgeTransaction {
    async fn finish(&mut self, sql: &str) -> DbResult<()> {
        if !self.open {
            return Err(DbError::Other("transaction already finished".into()));
        }
        self.open = false;
        self.client.batch_execute(sql).await.map_err(|e| classify(&e, self.budget_ms))
    }
}

#[async_trait(?Send)]
impl Transaction for EdgeTransaction {
    async fn query(&mut self, stmt: &Statement) -> DbResult<Rows> {
        Ok(run(&self.client, stmt, self.budget_ms).await?.0)
    }

    async fn execute(&mut self, stmt: &Statement) -> DbResult<u64> {
        Ok(run(&self.client, stmt, self.budget_ms).await?.1)
    }

    async fn commit(mut self: Box<Self>) -> DbResult<()> {
        self.finish("COMMIT").await
    }

    async fn rollback(mut self: Box<Self>) -> DbResult<()> {
        self.finish("ROLLBACK").await
    }
}

impl Drop for EdgeTransaction {
    fn drop(&mut self) {
        // Dropped while open (a failed request): roll back, so a later
        // statement of the same request does not run inside it.
        if self.open {
            let client = self.client.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let _ = client.batch_execute("ROLLBACK").await;
            });
        }
    }
}
