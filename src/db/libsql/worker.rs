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
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};
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

/// How often the pool looks for slow threads and for jobs waiting on them.
const WATCH_EVERY: Duration = Duration::from_millis(10);

/// The nice value a thread running a slow statement is lowered to (Linux),
/// so the OS schedules cheap statements' threads first.
const SLOW_NICE: i32 = 10;

/// One connection thread's place in the pool.
#[derive(Default)]
struct ThreadSlot {
    /// A thread lives in this slot.
    in_use: AtomicBool,
    /// Since when its current job runs, in microseconds after the pool's
    /// epoch plus one; 0 while it waits for a job.
    busy_since: AtomicU64,
    /// Its job turned slow: the thread was demoted and leaves after the job
    /// (a demoted thread cannot raise its own priority again).
    demoted: AtomicBool,
    /// The OS thread id (Linux), to demote it from the watcher.
    tid: AtomicI64,
}

/// Connection threads sharing one job queue. It keeps at least `min`
/// threads; when jobs wait while slow statements hold threads, it opens
/// more, up to `max`, so that every waiting job has a thread no slow
/// statement holds. A thread whose statement turns slow is given a lower
/// OS priority and replaced once its job ends. Cheap statements thus never
/// queue behind slow ones, while a burst of cheap ones does not grow it.
pub struct Pool {
    name: &'static str,
    sender: crossbeam_channel::Sender<Job>,
    receiver: crossbeam_channel::Receiver<Job>,
    open: Opener,
    slots: Arc<Vec<ThreadSlot>>,
    epoch: Instant,
    /// Jobs queued and not yet taken by a thread.
    queued: Arc<AtomicUsize>,
    /// Threads alive.
    live: Arc<AtomicUsize>,
    min: usize,
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
            slots: Arc::new((0..max).map(|_| ThreadSlot::default()).collect()),
            epoch: Instant::now(),
            queued: Arc::new(AtomicUsize::new(0)),
            live: Arc::new(AtomicUsize::new(0)),
            min,
        });
        for _ in 0..min {
            pool.spawn()?;
        }
        if max > min {
            let weak = Arc::downgrade(&pool);
            let _ = std::thread::Builder::new().name(format!("rectus-{name}-watch")).spawn(move || loop {
                std::thread::sleep(WATCH_EVERY);
                match weak.upgrade() {
                    Some(pool) => {
                        pool.demote_slow();
                        pool.grow_if_held();
                    }
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

    /// Open connections (busy or idle).
    pub fn size(&self) -> usize {
        self.live.load(Ordering::Acquire)
    }

    /// Opens connections while fewer than `min` live, or while jobs wait
    /// that only threads held by slow statements could take.
    fn grow_if_held(&self) {
        loop {
            let live = self.live.load(Ordering::Acquire);
            let slow = self.slow_threads();
            let waiting = self.queued.load(Ordering::Acquire);
            let short = live < self.min || (slow > 0 && waiting > live.saturating_sub(slow));
            if !short || live >= self.slots.len() {
                return;
            }
            if let Err(e) = self.spawn() {
                tracing::warn!("cannot open another {} connection: {e}", self.name);
                return;
            }
        }
    }

    fn is_slow(&self, slot: &ThreadSlot, now: u64) -> bool {
        let since = slot.busy_since.load(Ordering::Acquire);
        since != 0 && now.saturating_sub(since) > SLOW_AFTER.as_micros() as u64
    }

    fn now(&self) -> u64 {
        self.epoch.elapsed().as_micros() as u64 + 1
    }

    /// Threads whose current job has run longer than SLOW_AFTER.
    fn slow_threads(&self) -> usize {
        let now = self.now();
        self.slots.iter().filter(|s| s.in_use.load(Ordering::Acquire) && self.is_slow(s, now)).count()
    }

    /// Lowers the OS priority of threads running slow statements; they leave
    /// the pool when their job ends.
    fn demote_slow(&self) {
        let now = self.now();
        for slot in self.slots.iter() {
            if slot.in_use.load(Ordering::Acquire)
                && self.is_slow(slot, now)
                && !slot.demoted.swap(true, Ordering::AcqRel)
            {
                lower_priority(slot.tid.load(Ordering::Acquire));
            }
        }
    }

    /// Starts one more connection thread in a free slot and waits until its
    /// connection is open.
    fn spawn(&self) -> DbResult<()> {
        let Some(index) = self
            .slots
            .iter()
            .position(|s| s.in_use.compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire).is_ok())
        else {
            return Ok(());
        };
        let slot = &self.slots[index];
        slot.busy_since.store(0, Ordering::Release);
        slot.demoted.store(false, Ordering::Release);
        self.live.fetch_add(1, Ordering::AcqRel);
        let (opened_tx, opened_rx) = std::sync::mpsc::channel();
        let (open, receiver, slots, queued, live, epoch) = (
            self.open.clone(),
            self.receiver.clone(),
            self.slots.clone(),
            self.queued.clone(),
            self.live.clone(),
            self.epoch,
        );
        let spawned = std::thread::Builder::new().name(format!("rectus-{}-{index}", self.name)).spawn(move || {
            let slot = &slots[index];
            slot.tid.store(thread_id(), Ordering::Release);
            match open() {
                Ok(conn) => {
                    let _ = opened_tx.send(Ok(()));
                    serve(conn, &receiver, slot, &queued, epoch);
                }
                Err(e) => {
                    let _ = opened_tx.send(Err(e));
                }
            }
            live.fetch_sub(1, Ordering::AcqRel);
            slot.in_use.store(false, Ordering::Release);
        });
        match spawned {
            Ok(_) => opened_rx.recv().unwrap_or_else(|_| Err(DbError::Other("connection thread died".into()))),
            Err(e) => {
                self.live.fetch_sub(1, Ordering::AcqRel);
                slot.in_use.store(false, Ordering::Release);
                Err(DbError::Other(format!("cannot start a connection thread: {e}")))
            }
        }
    }
}

/// A connection thread's loop: take a job, run it unless cancelled, answer.
/// Ends when the pool (every sender) is gone, or after a job during which
/// the thread was demoted.
fn serve(
    mut conn: Conn,
    receiver: &crossbeam_channel::Receiver<Job>,
    slot: &ThreadSlot,
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
        slot.busy_since.store(epoch.elapsed().as_micros() as u64 + 1, Ordering::Release);
        let result = rt.block_on(conn.run(&job.op));
        slot.busy_since.store(0, Ordering::Release);
        job.slot.finish();
        let _ = job.reply.send(result);
        if slot.demoted.load(Ordering::Acquire) {
            return;
        }
    }
}

#[cfg(target_os = "linux")]
fn thread_id() -> i64 {
    // SAFETY: gettid has no preconditions.
    unsafe { libc::gettid() as i64 }
}

#[cfg(not(target_os = "linux"))]
fn thread_id() -> i64 {
    0
}

/// Raises a thread's nice value to SLOW_NICE (lower priority). Best effort:
/// where it is not possible, the thread keeps its priority.
#[cfg(target_os = "linux")]
fn lower_priority(tid: i64) {
    if tid > 0 {
        // SAFETY: setpriority only reads its arguments.
        unsafe {
            libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, SLOW_NICE);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_priority(_tid: i64) {}
