//! Connection threads: each libSQL connection lives on an OS thread of its
//! own and runs the jobs sent to it, so SQLite's work never blocks the async
//! runtime that accepts and routes requests.
//!
//! A job can be cancelled from the async side (its time budget ran out, or
//! the request was dropped because its client went away): a queued job is
//! skipped, a running one is stopped with `sqlite3_interrupt`. The job's
//! [`Slot`] serialises the two sides, so an interrupt can only ever hit the
//! statement it was meant for.

use super::conn::Conn;
use crate::db::{DbError, DbResult, Rows, Statement};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What a connection thread is asked to do.
pub enum Op {
    /// A statement whose rows are wanted.
    Query(Statement),
    /// A statement whose changed-row count is wanted.
    Execute(Statement),
    /// Transaction control (`BEGIN IMMEDIATE`, `COMMIT`, `ROLLBACK`).
    Control(&'static str),
}

/// What a job produced.
pub enum Output {
    Rows(Rows),
    Changed(u64),
    Done,
}

/// Where a job is, shared by the thread running it and the request awaiting it.
enum SlotState {
    Queued,
    /// Running on this connection (a handle to interrupt it with).
    Running(libsql::Connection),
    Finished,
    Cancelled,
}

/// One job's cancellation point.
pub struct Slot {
    state: Mutex<SlotState>,
}

impl Slot {
    pub fn new() -> Arc<Slot> {
        Arc::new(Slot { state: Mutex::new(SlotState::Queued) })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SlotState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Skips the job if it has not started, interrupts it if it runs.
    pub fn cancel(&self) {
        let mut state = self.lock();
        match &*state {
            SlotState::Queued => *state = SlotState::Cancelled,
            SlotState::Running(conn) => {
                // Under the lock: the thread marks the job finished under the
                // same lock, so this cannot reach a later job's statement.
                let _ = conn.interrupt();
                *state = SlotState::Cancelled;
            }
            SlotState::Finished | SlotState::Cancelled => {}
        }
    }

    /// Marks the job running on `conn`; false when it was cancelled first.
    fn start(&self, conn: &libsql::Connection) -> bool {
        let mut state = self.lock();
        if matches!(*state, SlotState::Cancelled) {
            return false;
        }
        *state = SlotState::Running(conn.clone());
        true
    }

    fn finish(&self) {
        *self.lock() = SlotState::Finished;
    }
}

/// A job for a connection thread.
pub struct Job {
    pub op: Op,
    pub slot: Arc<Slot>,
    pub reply: tokio::sync::oneshot::Sender<DbResult<Output>>,
}

/// Opens a connection (on the thread that will own it).
pub type Opener = Arc<dyn Fn() -> DbResult<Conn> + Send + Sync>;

/// A thread counts as held by a slow statement once its job has run this long.
const SLOW_AFTER: Duration = Duration::from_millis(20);

/// How often the pool looks for queued jobs that only slow threads could take.
const WATCH_EVERY: Duration = Duration::from_millis(10);

/// Connection threads sharing one job queue. It starts with `min` threads;
/// when jobs wait while slow statements hold threads, it opens more, up to
/// `max`, so that every waiting job has a thread no slow statement holds.
/// Cheap statements thus never queue behind slow ones, while a burst of
/// cheap ones does not grow the pool.
pub struct Pool {
    name: &'static str,
    sender: crossbeam_channel::Sender<Job>,
    receiver: crossbeam_channel::Receiver<Job>,
    open: Opener,
    /// Per thread (in start order): since when it runs its current job, in
    /// microseconds after `epoch` plus one; 0 while it waits for a job.
    busy_since: Arc<Vec<AtomicU64>>,
    epoch: Instant,
    /// Jobs queued and not yet taken by a thread.
    queued: Arc<AtomicUsize>,
    total: Arc<AtomicUsize>,
    max: usize,
}

impl Pool {
    /// Starts `min` connection threads (at least one); fails when the first
    /// connection cannot be opened.
    pub fn start(name: &'static str, open: Opener, min: usize, max: usize) -> DbResult<Arc<Pool>> {
        let (sender, receiver) = crossbeam_channel::unbounded();
        let min = min.max(1);
        let max = max.max(min);
        let pool = Arc::new(Pool {
            name,
            sender,
            receiver,
            open,
            busy_since: Arc::new((0..max).map(|_| AtomicU64::new(0)).collect()),
            epoch: Instant::now(),
            queued: Arc::new(AtomicUsize::new(0)),
            total: Arc::new(AtomicUsize::new(0)),
            max,
        });
        for _ in 0..min {
            pool.spawn()?;
        }
        if max > min {
            // Jobs queued before threads turned slow get a thread too.
            let weak = Arc::downgrade(&pool);
            let _ = std::thread::Builder::new().name(format!("rectus-{name}-watch")).spawn(move || loop {
                std::thread::sleep(WATCH_EVERY);
                match weak.upgrade() {
                    Some(pool) => pool.grow_if_held(),
                    None => return,
                }
            });
        }
        Ok(pool)
    }

    /// Queues a job, opening more connections when slow statements hold the
    /// ones it could wait for.
    pub fn submit(&self, job: Job) -> DbResult<()> {
        self.queued.fetch_add(1, Ordering::AcqRel);
        self.grow_if_held();
        self.sender.send(job).map_err(|_| DbError::Other("the database connections have stopped".into()))
    }

    /// Opens connections while jobs wait that only threads held by slow
    /// statements could take.
    fn grow_if_held(&self) {
        loop {
            let total = self.total.load(Ordering::Acquire);
            let slow = self.slow_threads(total);
            if slow == 0 || total >= self.max || self.queued.load(Ordering::Acquire) <= total - slow {
                return;
            }
            if let Err(e) = self.spawn() {
                tracing::warn!("cannot open another {} connection: {e}", self.name);
                return;
            }
        }
    }

    /// Open connections (busy or idle).
    pub fn size(&self) -> usize {
        self.total.load(Ordering::Acquire)
    }

    /// Threads whose current job has run longer than SLOW_AFTER.
    fn slow_threads(&self, total: usize) -> usize {
        let now = self.epoch.elapsed().as_micros() as u64 + 1;
        let slow = SLOW_AFTER.as_micros() as u64;
        self.busy_since[..total]
            .iter()
            .filter(|b| {
                let since = b.load(Ordering::Acquire);
                since != 0 && now.saturating_sub(since) > slow
            })
            .count()
    }

    /// Starts one more connection thread and waits until its connection is open.
    fn spawn(&self) -> DbResult<()> {
        let index = self.total.fetch_add(1, Ordering::AcqRel);
        if index >= self.max {
            self.total.fetch_sub(1, Ordering::AcqRel);
            return Ok(());
        }
        let (opened_tx, opened_rx) = std::sync::mpsc::channel();
        let (open, receiver, busy_since, queued, epoch) =
            (self.open.clone(), self.receiver.clone(), self.busy_since.clone(), self.queued.clone(), self.epoch);
        let spawned =
            std::thread::Builder::new().name(format!("rectus-{}-{index}", self.name)).spawn(move || match open() {
                Ok(conn) => {
                    let _ = opened_tx.send(Ok(()));
                    serve(conn, &receiver, &busy_since[index], &queued, epoch);
                }
                Err(e) => {
                    let _ = opened_tx.send(Err(e));
                }
            });
        let opened = match spawned {
            Ok(_) => opened_rx.recv().unwrap_or_else(|_| Err(DbError::Other("connection thread died".into()))),
            Err(e) => Err(DbError::Other(format!("cannot start a connection thread: {e}"))),
        };
        if opened.is_err() {
            // Only the last slot can be given back; a failed open is rare
            // (the file went away) and the next spawn retries it.
            let _ = self.total.compare_exchange(index + 1, index, Ordering::AcqRel, Ordering::Acquire);
        }
        opened
    }
}

/// A connection thread's loop: take a job, run it unless cancelled, answer.
/// Ends when the pool (every sender) is gone.
fn serve(
    mut conn: Conn,
    receiver: &crossbeam_channel::Receiver<Job>,
    busy_since: &AtomicU64,
    queued: &AtomicUsize,
    epoch: Instant,
) {
    // libSQL's local API is async in form only; a current-thread runtime
    // drives it without any reactor.
    let Ok(rt) = tokio::runtime::Builder::new_current_thread().build() else {
        return;
    };
    loop {
        let Ok(job) = receiver.recv() else {
            return;
        };
        queued.fetch_sub(1, Ordering::AcqRel);
        if !job.slot.start(conn.handle()) {
            continue;
        }
        busy_since.store(epoch.elapsed().as_micros() as u64 + 1, Ordering::Release);
        let result = rt.block_on(conn.run(&job.op));
        busy_since.store(0, Ordering::Release);
        job.slot.finish();
        let _ = job.reply.send(result);
    }
}
