//! MariaDB from the edge worker: one connection per request over the
//! runtime's TCP sockets (a Worker cannot keep I/O across requests), spoken
//! by the small [`wire`](super::wire) client: each statement is one round
//! trip (prepare, execute and close pipelined; two through Hyperdrive).
//! Plain TCP only for now.

use super::wire::{Conn, Options};
use crate::db::{DbError, DbResult, Dialect, Driver, Rows, Statement, Transaction};
use async_trait::async_trait;
use futures_util::future::{select, Either};
use futures_util::lock::Mutex;
use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;
use worker::wasm_bindgen_futures;
use worker::{SecureTransport, Socket};

/// How long past the server's own budget (`max_statement_time`) a
/// statement may take before the worker gives its connection up: the
/// server stops the statement first, this only covers a server or network
/// that stopped answering.
const GRACE_MS: u64 = 1_000;

/// What the worker reads through: the socket, buffered.
type Link = Conn<Socket>;

/// The request's connection, shared by the driver and its transactions:
/// as with Postgres on the edge, a read through the driver while a
/// transaction is open runs inside it (one connection per request).
struct Shared {
    options: Options,
    budget_ms: u64,
    conn: Mutex<Option<Link>>,
    /// A transaction is open on the connection: if it breaks, the next
    /// statements fail rather than go on, on a new one, outside it.
    in_transaction: Cell<bool>,
}

/// The driver of one request: connects on its first statement.
pub struct EdgeMariaDb {
    shared: Rc<Shared>,
}

impl EdgeMariaDb {
    /// A driver for the server of `options` ([`Options::from_url`]); no
    /// connection yet.
    pub fn new(options: Options, budget_ms: u64) -> EdgeMariaDb {
        let conn = Mutex::new(None);
        EdgeMariaDb { shared: Rc::new(Shared { options, budget_ms, conn, in_transaction: Cell::new(false) }) }
    }

    /// Closes the request's connection (COM_QUIT), once its answer is
    /// ready: the isolate may keep the driver (its first request's, in the
    /// app it caches), never the socket. A later statement connects again.
    pub async fn close(&self) {
        let conn = self.shared.conn.lock().await.take();
        if let Some(conn) = conn {
            conn.quit().await;
        }
    }
}

/// The server behind a Hyperdrive binding: Hyperdrive gives the Worker a
/// host of its own, and credentials for it.
pub fn hyperdrive_options(hd: &worker::Hyperdrive) -> Options {
    Options {
        host: hd.host(),
        port: hd.port(),
        user: hd.user(),
        password: Some(hd.password()).filter(|p| !p.is_empty()),
        database: Some(hd.database()).filter(|d| !d.is_empty()),
        proxied: true,
    }
}

impl Shared {
    /// The request's connection: opened on first use, and again after one
    /// that broke off, unless a transaction was open on that one.
    async fn link<'a>(&self, slot: &'a mut Option<Link>) -> DbResult<&'a mut Link> {
        if slot.as_ref().is_some_and(|c| !c.is_usable()) {
            *slot = None;
        }
        if slot.is_none() {
            if self.in_transaction.get() {
                return Err(broken_transaction());
            }
            let socket = Socket::builder()
                .secure_transport(SecureTransport::Off)
                .connect(self.options.host.clone(), self.options.port)
                .map_err(|e| DbError::Unavailable(e.to_string()))?;
            *slot = Some(Conn::connect(socket, &self.options, self.budget_ms).await?);
        }
        slot.as_mut().ok_or_else(broken_transaction)
    }

    /// Runs `stmt`; `named`: a unique violation named by its column, as a
    /// transaction's writes need.
    async fn run(&self, stmt: &Statement, named: bool) -> DbResult<(Rows, u64)> {
        let mut slot = self.conn.lock().await;
        let conn = self.link(&mut slot).await?;
        let work = async {
            match named {
                true => conn.run_named(stmt).await,
                false => conn.run(stmt).await,
            }
        };
        let limit = worker::Delay::from(Duration::from_millis(self.budget_ms + GRACE_MS));
        let outcome = match select(Box::pin(work), limit).await {
            Either::Left((result, _)) => Some(result),
            Either::Right(_) => None,
        };
        outcome.unwrap_or_else(|| {
            // Given up mid-statement: the connection is out of step.
            *slot = None;
            Err(DbError::Timeout { ms: self.budget_ms })
        })
    }

    async fn begin(&self) -> DbResult<()> {
        let mut slot = self.conn.lock().await;
        self.link(&mut slot).await?.query_drop("BEGIN").await?;
        self.in_transaction.set(true);
        Ok(())
    }

    /// COMMIT or ROLLBACK.
    async fn end(&self, sql: &str) -> DbResult<()> {
        let mut slot = self.conn.lock().await;
        self.in_transaction.set(false);
        match slot.as_mut().filter(|c| c.is_usable()) {
            Some(conn) => conn.query_drop(sql).await,
            // The server rolled it back when the connection went.
            None if sql == "ROLLBACK" => Ok(()),
            None => Err(broken_transaction()),
        }
    }
}

fn broken_transaction() -> DbError {
    DbError::Unavailable("the MariaDB connection of the transaction broke off; nothing of it was committed".into())
}

impl Drop for Shared {
    fn drop(&mut self) {
        // The request is over: say goodbye rather than leave the server an
        // aborted connection.
        if let Some(conn) = self.conn.get_mut().take() {
            wasm_bindgen_futures::spawn_local(conn.quit());
        }
    }
}

#[async_trait(?Send)]
impl Driver for EdgeMariaDb {
    fn dialect(&self) -> Dialect {
        Dialect::MariaDb
    }

    async fn query(&self, stmt: &Statement) -> DbResult<Rows> {
        Ok(self.shared.run(stmt, false).await?.0)
    }

    async fn begin(&self) -> DbResult<Box<dyn Transaction>> {
        self.shared.begin().await?;
        Ok(Box::new(EdgeTransaction { shared: self.shared.clone(), open: true }))
    }
}

/// A transaction on the request's connection.
struct EdgeTransaction {
    shared: Rc<Shared>,
    open: bool,
}

impl EdgeTransaction {
    async fn finish(&mut self, sql: &str) -> DbResult<()> {
        if !self.open {
            return Err(DbError::Other("transaction already finished".into()));
        }
        self.open = false;
        self.shared.end(sql).await
    }
}

#[async_trait(?Send)]
impl Transaction for EdgeTransaction {
    async fn query(&mut self, stmt: &Statement) -> DbResult<Rows> {
        Ok(self.shared.run(stmt, true).await?.0)
    }

    async fn execute(&mut self, stmt: &Statement) -> DbResult<u64> {
        Ok(self.shared.run(stmt, true).await?.1)
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
            let shared = self.shared.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let _ = shared.end("ROLLBACK").await;
            });
        }
    }
}
