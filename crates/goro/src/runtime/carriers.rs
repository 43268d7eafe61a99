//! A goro runtime's carriers as a whole: the spare idle carriers that
//! workers share, and the counts behind `num_goroutine`. Each thread's own
//! idle list and count stripe live in its context (`context::Home`).

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::task::Waker;

use super::hosted::Goroutine;
use super::slot::Slot;
use super::status::{Listed, Status, Who, Word};
use crate::loom::Ordering;
use crate::util::padded::CachePadded;

/// Idle carriers a thread keeps for itself; beyond that it moves half to
/// the runtime's spare list.
pub(crate) const LOCAL_MAX: usize = 64;
/// Idle carriers moved between a thread and the spare list at once.
pub(crate) const BATCH: usize = LOCAL_MAX / 2;
/// Batches the spare list keeps; carriers beyond it end.
const SPARE_BATCHES: usize = 64;

/// A carrier's slot: goroutines are handed over in it, and it knows the
/// carrier's runtime and status.
pub(crate) type CarrierSlot = Slot<Goroutine, Owner>;

// A carrier's slot is one allocation per live goroutine: it stays within
// 88 bytes (104 with its `Arc`'s counts), the allocator's size class it had
// before statuses, which measured up to a fifth faster when a million
// goroutines start at once than the next class
// (docs/decisions/goroutine-status.md).
// (Loom's atomics and cells, in the model checks, are bigger.)
#[cfg(all(target_pointer_width = "64", not(goro_loom)))]
const _: () = assert!(std::mem::size_of::<CarrierSlot>() <= 88);

/// What a carrier's slot knows besides the goroutine handed over.
pub(crate) struct Owner {
    pub(crate) carriers: Arc<Carriers>,
    /// The status of the goroutine the carrier hosts.
    pub(crate) status: Status,
}

/// What holds a goroutine's status: a carrier's slot, or a status of its
/// own (main on the calling thread, a `spawn_blocking` goroutine).
pub(crate) trait HasStatus: Send + Sync {
    fn status(&self) -> &Status;
}

impl HasStatus for Status {
    fn status(&self) -> &Status {
        self
    }
}

impl HasStatus for CarrierSlot {
    fn status(&self) -> &Status {
        &self.owner().status
    }
}

/// An idle carrier: its waker, and the slot to put a goroutine in.
pub(crate) struct Idle {
    pub(crate) waker: Waker,
    pub(crate) slot: Arc<CarrierSlot>,
}

/// A goro runtime's carriers: the spare idle ones, and the counts behind
/// `num_goroutine`.
#[derive(Default)]
pub(crate) struct Carriers {
    spare: Mutex<Vec<Vec<Idle>>>,
    /// Goroutines started and ended: the sums of the threads' stripes
    /// (each written only by its thread, so no two workers share a
    /// contended counter) and of these, for threads without one and the
    /// stripes of threads that left.
    shared: Counts,
    stripes: Mutex<Vec<Arc<Stripe>>>,
    /// Goroutines whose panic a carrier caught (`Panic::Isolate`).
    panics: AtomicU64,
    /// Blocking calls and `spawn_blocking` closures: handed to the pool,
    /// started there, and finished.
    blocking: [AtomicU64; 3],
    /// `spawn_blocking` goroutines alive: counted among the goroutines,
    /// hosted by no carrier.
    on_pool: AtomicU64,
    /// Dropped at `close`: tells the `GORO_SCHEDTRACE` thread, which holds
    /// the runtime's handle (and through its hooks these carriers), to end.
    schedtrace: Mutex<Option<std::sync::mpsc::Sender<()>>>,
    /// Carrier tasks alive (idle or not): Tokio counts them as tasks.
    carriers: AtomicUsize,
    /// Set when the runtime shuts down: the spare list takes no more
    /// carriers. A carrier listed there would hold its task, whose
    /// scheduler holds the runtime, and its slot, which holds these
    /// `Carriers`: a cycle that nothing would break.
    closed: AtomicBool,
    /// The statuses of the runtime's goroutines: one per carrier, and one
    /// per goroutine hosted elsewhere. Pruned of dead ones as it grows.
    statuses: Mutex<Statuses>,
    /// Numbers the runtime's threads (`context::set_thread`).
    threads: AtomicU32,
    /// Set when the main goroutine returns, before its locals are dropped:
    /// from then on no other goroutine of the runtime is polled.
    main_returned: AtomicBool,
    /// Workers parked now (the low half), and a count of wake-ups (the
    /// high half, wrapping): each worker's unpark, each poll of a main
    /// goroutine on the calling thread. Equal readings with every worker
    /// parked mean that nothing of the runtime ran in between.
    activity: AtomicU64,
    /// Threads of the runtime alive: workers and blocking-pool threads.
    threads_alive: AtomicUsize,
    /// How many workers it has.
    workers: AtomicUsize,
    /// Set when a main goroutine on the calling thread is woken, cleared
    /// when it is polled: a wake whose thread is slow to run it.
    caller_woken: AtomicBool,
}

/// The steps of a blocking call, counted in `Carriers::blocking`.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Blocking {
    Queued = 0,
    Started = 1,
    Finished = 2,
}

/// One wake-up, in `Carriers::activity`.
const WAKE_UP: u64 = 1 << 32;

/// Why a goroutine about to be polled may have to wait or not run at all:
/// runtimes whose main goroutine has returned and whose carriers are still
/// alive, plus panics in flight (`panic`). One counter, so that a poll
/// checks both with one load.
static HOLD: AtomicUsize = AtomicUsize::new(0);

/// Whether a goroutine about to be polled must ask `panic::hold` first.
#[inline(always)]
pub(crate) fn may_hold() -> bool {
    HOLD.load(std::sync::atomic::Ordering::Relaxed) != 0
}

/// Counts `n` more reasons to hold polls (a panic in flight).
pub(crate) fn hold_more(n: usize) {
    HOLD.fetch_add(n, std::sync::atomic::Ordering::SeqCst);
}

/// Counts `n` fewer.
pub(crate) fn hold_less(n: usize) {
    HOLD.fetch_sub(n, std::sync::atomic::Ordering::SeqCst);
}

/// The registered statuses: the carriers' (in their slots) and those of
/// goroutines hosted elsewhere, two lists of thin pointers (a million
/// parked goroutines have a million carriers), each with how many were
/// alive at its last pruning.
#[derive(Default)]
struct Statuses {
    carriers: Listing<CarrierSlot>,
    alone: Listing<Status>,
    /// Counts prunings, which move entries (`Carriers::statuses`).
    prunings: u64,
}

struct Listing<T> {
    all: Vec<Weak<T>>,
    alive: usize,
}

impl<T> Default for Listing<T> {
    fn default() -> Listing<T> {
        Listing {
            all: Vec::new(),
            alive: 0,
        }
    }
}

impl<T: HasStatus + 'static> Listing<T> {
    /// Adds `weak`, first dropping the dead entries if the list doubled
    /// since the last pruning (counted in `prunings`).
    fn push(&mut self, weak: Weak<T>, prunings: &mut u64) {
        if self.all.len() >= 2 * self.alive.max(32) {
            self.all.retain(|weak| weak.strong_count() > 0);
            self.alive = self.all.len();
            *prunings += 1;
        }
        self.all.push(weak);
    }

    /// Adds the hosts of entries `from..` (at most `n`) that are alive to
    /// `out`; returns the index after the last entry looked at.
    fn upgrade(&self, from: usize, n: usize, out: &mut Vec<Arc<dyn HasStatus>>) -> usize {
        let to = from.saturating_add(n).min(self.all.len());
        out.extend(
            self.all[from.min(to)..to]
                .iter()
                .filter_map(Weak::upgrade)
                .map(|host| host as Arc<dyn HasStatus>),
        );
        to
    }
}

impl Statuses {
    /// `Listing::upgrade` on the carriers' list, or on the other one.
    fn upgrade(
        &self,
        carriers: bool,
        from: usize,
        n: usize,
        out: &mut Vec<Arc<dyn HasStatus>>,
    ) -> usize {
        if carriers {
            self.carriers.upgrade(from, n, out)
        } else {
            self.alone.upgrade(from, n, out)
        }
    }
}

/// How many statuses `Carriers::statuses` takes per hold of the lock, so
/// that a runtime starting carriers waits for no more than that.
const STATUS_CHUNK: usize = 1024;

/// Every goro runtime of the process that is still alive, for a dump taken
/// outside any.
static RUNTIMES: Mutex<Vec<Weak<Carriers>>> = Mutex::new(Vec::new());

/// One thread's share of a runtime's counts: goroutines started and ended
/// here, and, on a worker, its polls and busy time. Only its thread writes
/// it, so each count is a plain load and store.
#[derive(Default)]
pub(crate) struct Stripe(CachePadded<Counts>);

/// The counts in a `Stripe`, or those shared by threads without one.
#[derive(Default)]
pub(crate) struct Counts {
    started: AtomicU64,
    ended: AtomicU64,
    /// Goroutine polls run here, added in batches (`context::Polling`).
    polls: AtomicU64,
    /// Time spent unparked before the last park, in nanoseconds.
    busy: AtomicU64,
    /// Guards `busy` and `unparked_at` as a pair (`Counts::write`).
    version: AtomicU64,
    /// When the thread last unparked (`metrics::nanos`, never 0), or 0
    /// while it is parked.
    unparked_at: AtomicU64,
    parks: AtomicU64,
    /// The thread's number in its runtime plus 1; 0 until it parks or
    /// unparks once, which only workers do.
    worker: AtomicU32,
}

/// Adds `n` to a count only its own thread writes.
#[inline(always)]
fn bump(count: &AtomicU64, n: u64) {
    count.store(
        count.load(Ordering::Relaxed).wrapping_add(n),
        Ordering::Relaxed,
    );
}

impl Stripe {
    /// A goroutine started on the stripe's thread (only it calls this).
    #[inline]
    pub(crate) fn started(&self) {
        bump(&self.0.started, 1);
    }

    /// `n` goroutines ended on the stripe's thread.
    #[inline]
    pub(crate) fn ended(&self, n: u64) {
        let ended = &self.0.ended;
        // Release: a reader that sees this end (then an acquire fence)
        // sees the goroutine's start, which happened before it.
        ended.store(
            ended.load(Ordering::Relaxed).wrapping_add(n),
            Ordering::Release,
        );
    }

    /// `n` more goroutine polls ran on the stripe's thread.
    #[inline]
    pub(crate) fn polled(&self, n: u64) {
        bump(&self.0.polls, n);
    }

    /// The stripe's thread, worker number `thread`, parks.
    pub(crate) fn parks(&self, thread: u32) {
        let counts = &*self.0;
        counts
            .worker
            .store(thread.saturating_add(1), Ordering::Relaxed);
        counts.write(|| {
            let since = counts.unparked_at.load(Ordering::Relaxed);
            if since != 0 {
                bump(&counts.busy, nanos().saturating_sub(since));
            }
            counts.unparked_at.store(0, Ordering::Relaxed);
        });
        bump(&counts.parks, 1);
    }

    /// The stripe's thread, worker number `thread`, unparks.
    pub(crate) fn unparks(&self, thread: u32) {
        let counts = &*self.0;
        counts
            .worker
            .store(thread.saturating_add(1), Ordering::Relaxed);
        counts.write(|| {
            counts.unparked_at.store(nanos().max(1), Ordering::Relaxed);
        });
    }
}

impl Counts {
    /// Changes `busy` and `unparked_at` (only the stripe's thread does) as
    /// a seqlock's writer: `version` is odd meanwhile.
    #[inline]
    fn write(&self, change: impl FnOnce()) {
        let version = self.version.load(Ordering::Relaxed);
        self.version.store(version + 1, Ordering::Relaxed);
        std::sync::atomic::fence(Ordering::Release);
        change();
        self.version.store(version + 2, Ordering::Release);
    }

    /// `busy` and `unparked_at` as one pair, read as a seqlock's reader.
    fn busy_since(&self) -> (u64, u64) {
        loop {
            let before = self.version.load(Ordering::Acquire);
            let busy = self.busy.load(Ordering::Relaxed);
            let since = self.unparked_at.load(Ordering::Relaxed);
            std::sync::atomic::fence(Ordering::Acquire);
            if before % 2 == 0 && self.version.load(Ordering::Relaxed) == before {
                return (busy, since);
            }
            std::hint::spin_loop();
        }
    }
}

/// Nanoseconds since the first call, process-wide: when workers park and
/// unpark, for their busy time.
pub(crate) fn nanos() -> u64 {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    let start = *START.get_or_init(std::time::Instant::now);
    u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// One worker's figures, read from its stripe.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct WorkerCounts {
    pub(crate) thread: u32,
    pub(crate) polls: u64,
    pub(crate) busy_nanos: u64,
    pub(crate) parks: u64,
    pub(crate) parked: bool,
}

/// What `Carriers::counts` reads.
#[derive(Clone, Debug, Default)]
pub(crate) struct Totals {
    pub(crate) started: u64,
    pub(crate) ended: u64,
    pub(crate) polls: u64,
    pub(crate) workers: Vec<WorkerCounts>,
}

impl Carriers {
    pub(crate) fn new() -> Arc<Carriers> {
        Arc::new(Carriers::default())
    }

    /// Lists the runtime among the process's (`runtimes`).
    pub(crate) fn register_runtime(self: &Arc<Carriers>) {
        let mut all = RUNTIMES.lock().unwrap_or_else(PoisonError::into_inner);
        all.retain(|weak| weak.strong_count() > 0);
        all.push(Arc::downgrade(self));
    }

    /// Whether a goro runtime whose main goroutine has returned still has
    /// threads alive: they may run a program's code yet (a blocking call,
    /// an abandoned goroutine's destructor).
    pub(crate) fn ended_runtimes_run() -> bool {
        RUNTIMES
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter_map(Weak::upgrade)
            .any(|carriers| {
                carriers.is_closed() && carriers.threads_alive.load(Ordering::SeqCst) > 0
            })
    }

    /// The process's goro runtimes that are still running: not those
    /// whose main goroutine has returned, whose goroutines never run again
    /// and are dropped in the background.
    pub(crate) fn runtimes() -> Vec<Arc<Carriers>> {
        RUNTIMES
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter_map(Weak::upgrade)
            .filter(|carriers| !carriers.is_closed())
            .collect()
    }

    /// A status for goroutine `who`, hosted outside the carriers, in
    /// `state`, listed among the runtime's.
    pub(crate) fn list(&self, who: &Who, state: Word, now: u32) -> Listed {
        let status = Arc::new(Status::default());
        {
            let statuses = &mut *self.lock_statuses();
            statuses
                .alone
                .push(Arc::downgrade(&status), &mut statuses.prunings);
        }
        status.arrive(who, state, now);
        Listed(status)
    }

    /// Lists a new carrier's status among the runtime's goroutines'.
    pub(crate) fn register(&self, slot: &Arc<CarrierSlot>) {
        let statuses = &mut *self.lock_statuses();
        statuses
            .carriers
            .push(Arc::downgrade(slot), &mut statuses.prunings);
    }

    fn lock_statuses(&self) -> MutexGuard<'_, Statuses> {
        self.statuses.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The runtime has `n` workers.
    pub(crate) fn set_workers(&self, n: usize) {
        self.workers.store(n, Ordering::Relaxed);
    }

    /// A thread of the runtime starts (`true`) or stops.
    pub(crate) fn thread_alive(&self, alive: bool) {
        if alive {
            self.threads_alive.fetch_add(1, Ordering::SeqCst);
        } else {
            self.threads_alive.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// A worker parks (Tokio's park hook).
    #[inline]
    pub(crate) fn worker_parks(&self) {
        self.activity.fetch_add(1, Ordering::SeqCst);
    }

    /// A worker is back from parking (Tokio's unpark hook).
    #[inline]
    pub(crate) fn worker_unparks(&self) {
        self.activity.fetch_add(WAKE_UP - 1, Ordering::SeqCst);
    }

    /// The main goroutine, on the calling thread, is polled.
    #[inline]
    pub(crate) fn caller_polls(&self) {
        self.caller_woken.store(false, Ordering::SeqCst);
        self.activity.fetch_add(WAKE_UP, Ordering::SeqCst);
    }

    /// The main goroutine, on the calling thread, is woken: until its next
    /// poll the runtime is not at rest.
    pub(crate) fn caller_woken(&self) {
        self.caller_woken.store(true, Ordering::SeqCst);
        self.activity.fetch_add(WAKE_UP, Ordering::SeqCst);
    }

    /// If every worker is parked, no blocking-pool thread is alive and a
    /// main goroutine on the calling thread is not woken: the activity
    /// reading, to compare with a later one.
    pub(crate) fn at_rest(&self) -> Option<u64> {
        if self.caller_woken.load(Ordering::SeqCst) {
            return None;
        }
        let activity = self.activity.load(Ordering::SeqCst);
        let workers = self.workers.load(Ordering::Relaxed);
        let parked = usize::try_from(activity & (WAKE_UP - 1)).unwrap_or(usize::MAX);
        (workers > 0 && parked == workers && self.threads_alive.load(Ordering::SeqCst) == workers)
            .then_some(activity)
    }

    /// Carrier tasks alive, as Tokio counts them once it is done with
    /// those that ended (`carriers_ended`).
    pub(crate) fn carrier_tasks(&self) -> usize {
        self.carriers.load(Ordering::SeqCst)
    }

    /// The statuses of the runtime's goroutines' hosts that are alive,
    /// each once. Taken a chunk per hold of the lock (`each_host`), over
    /// again if a pruning moved them meanwhile (and, after a few such
    /// tries, at one hold).
    pub(crate) fn statuses(&self) -> Vec<Arc<dyn HasStatus>> {
        for _ in 0..3 {
            let mut taken = Vec::new();
            let walked = self.each_host(|host| {
                taken.push(host);
                true
            });
            if walked.is_some() {
                return taken;
            }
        }
        let statuses = self.lock_statuses();
        let mut all = Vec::new();
        for carriers in [true, false] {
            statuses.upgrade(carriers, 0, usize::MAX, &mut all);
        }
        all
    }

    /// Calls `each` with every goroutine's host that is alive, until it
    /// returns `false`; `None` if a pruning moved the hosts meanwhile (some
    /// may have been skipped), otherwise whether `each` saw them all. Takes
    /// a chunk per hold of the lock, so that a runtime starting carriers
    /// waits for no more than that: the carriers' list first, then the
    /// other one (each only grows at its end between prunings).
    pub(crate) fn each_host(
        &self,
        mut each: impl FnMut(Arc<dyn HasStatus>) -> bool,
    ) -> Option<bool> {
        let prunings = self.lock_statuses().prunings;
        let mut chunk: Vec<Arc<dyn HasStatus>> = Vec::with_capacity(STATUS_CHUNK);
        for carriers in [true, false] {
            let mut from = 0;
            loop {
                {
                    let statuses = self.lock_statuses();
                    if statuses.prunings != prunings {
                        return None;
                    }
                    let to = statuses.upgrade(carriers, from, STATUS_CHUNK, &mut chunk);
                    if to <= from {
                        break;
                    }
                    from = to;
                }
                for host in chunk.drain(..) {
                    if !each(host) {
                        return Some(false);
                    }
                }
            }
        }
        Some(true)
    }

    /// A number for a thread that joins the runtime.
    pub(crate) fn thread_number(&self) -> u32 {
        self.threads.fetch_add(1, Ordering::Relaxed)
    }

    /// Goroutines of this runtime alive now, not counting a main one on
    /// the calling thread: hosted ones and `spawn_blocking` ones, and Tokio
    /// tasks that are not carriers (spawned on the runtime by other
    /// means), of which `tokio_tasks` gives Tokio's count.
    pub(crate) fn goroutines(&self, tokio_tasks: impl FnOnce() -> usize) -> usize {
        let (started, ended) = self.started_ended();
        let hosted = usize::try_from(started.saturating_sub(ended)).unwrap_or(usize::MAX);
        hosted + self.other_tasks(tokio_tasks)
    }

    /// Tokio tasks that are not carriers, of `tokio_tasks` (Tokio's count).
    pub(crate) fn other_tasks(&self, tokio_tasks: impl FnOnce() -> usize) -> usize {
        // A carrier is counted here before Tokio counts its task, and
        // after Tokio stops (`Carrier`'s drop): so the larger of the counts
        // read before and after Tokio's covers every carrier Tokio counted,
        // and no carrier passes for another Tokio task.
        let before = self.carriers.load(Ordering::Relaxed);
        let tokio_tasks = tokio_tasks();
        let after = self.carriers.load(Ordering::Relaxed);
        tokio_tasks.saturating_sub(before.max(after))
    }

    /// Goroutines started and ended so far. Every end is read before any
    /// start, so a goroutine counted as ended is counted as started.
    fn started_ended(&self) -> (u64, u64) {
        // Under the lock, so that a thread's stripe is counted once even
        // while it retires (`retire`).
        let stripes = self.stripes();
        let sum = |count: fn(&Counts) -> &AtomicU64| {
            stripes
                .iter()
                .map(|stripe| count(&stripe.0))
                .chain(std::iter::once(count(&self.shared)))
                .fold(0u64, |sum, n| sum.wrapping_add(n.load(Ordering::Relaxed)))
        };
        let ended = sum(|c| &c.ended);
        std::sync::atomic::fence(Ordering::Acquire);
        let started = sum(|c| &c.started);
        (started, ended)
    }

    /// The runtime's counts as a whole and each worker's.
    pub(crate) fn totals(&self) -> Totals {
        let (started, ended) = self.started_ended();
        let now = nanos();
        let stripes = self.stripes();
        let mut workers: Vec<WorkerCounts> = stripes
            .iter()
            .map(|stripe| &*stripe.0)
            .filter(|counts| counts.worker.load(Ordering::Relaxed) != 0)
            .map(|counts| {
                // The busy time so far and the time awake since the last
                // unpark, read as a pair: a park between the two readings
                // would count an interval twice (and a later reading
                // would be lower).
                let (busy, since) = counts.busy_since();
                let running = if since == 0 {
                    0
                } else {
                    now.saturating_sub(since)
                };
                WorkerCounts {
                    thread: counts.worker.load(Ordering::Relaxed) - 1,
                    polls: counts.polls.load(Ordering::Relaxed),
                    busy_nanos: busy + running,
                    parks: counts.parks.load(Ordering::Relaxed),
                    parked: since == 0,
                }
            })
            .collect();
        let polls = stripes
            .iter()
            .map(|stripe| stripe.0.polls.load(Ordering::Relaxed))
            .sum::<u64>()
            + self.shared.polls.load(Ordering::Relaxed);
        drop(stripes);
        workers.sort_by_key(|w| w.thread);
        Totals {
            started,
            ended,
            polls,
            workers,
        }
    }

    /// Counts goroutines started (`true`) or ended on a thread without a
    /// stripe of this runtime.
    #[inline]
    pub(crate) fn count_shared(&self, started: bool, n: u64) {
        if started {
            self.shared.started.fetch_add(n, Ordering::Relaxed);
        } else {
            // As `Stripe::ended`.
            self.shared.ended.fetch_add(n, Ordering::Release);
        }
    }

    /// A goroutine's panic was caught (`Panic::Isolate`).
    pub(crate) fn panicked(&self) {
        self.panics.fetch_add(1, Ordering::Relaxed);
    }

    /// Goroutine panics caught so far.
    pub(crate) fn panics(&self) -> u64 {
        self.panics.load(Ordering::Relaxed)
    }

    /// A blocking call goes to the pool (`Blocking::Queued`), starts there
    /// (`Started`) or finishes (`Finished`).
    pub(crate) fn blocking(&self, step: Blocking) {
        // Release: a reader that sees a later step (then an acquire fence)
        // sees the earlier ones.
        self.blocking[step as usize].fetch_add(1, Ordering::Release);
    }

    /// A `spawn_blocking` goroutine starts (`true`) or ends.
    pub(crate) fn pool_goroutine(&self, starts: bool) {
        if starts {
            self.on_pool.fetch_add(1, Ordering::Relaxed);
        } else {
            self.on_pool.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// `spawn_blocking` goroutines alive now.
    pub(crate) fn on_pool(&self) -> u64 {
        self.on_pool.load(Ordering::Relaxed)
    }

    /// Blocking calls running on the pool, and waiting for a thread there.
    pub(crate) fn blocking_calls(&self) -> (u64, u64) {
        let load = |step: Blocking| self.blocking[step as usize].load(Ordering::Relaxed);
        let finished = load(Blocking::Finished);
        std::sync::atomic::fence(Ordering::Acquire);
        let started = load(Blocking::Started);
        std::sync::atomic::fence(Ordering::Acquire);
        let queued = load(Blocking::Queued);
        (
            started.saturating_sub(finished),
            queued.saturating_sub(started),
        )
    }

    /// Threads of the runtime alive now, workers included.
    pub(crate) fn threads_alive(&self) -> usize {
        self.threads_alive.load(Ordering::Relaxed)
    }

    /// Workers parked now.
    pub(crate) fn parked_workers(&self) -> usize {
        let activity = self.activity.load(Ordering::Relaxed);
        usize::try_from(activity & (WAKE_UP - 1)).unwrap_or(usize::MAX)
    }

    /// A carrier task starts.
    #[inline]
    pub(crate) fn carrier_started(&self) {
        self.carriers.fetch_add(1, Ordering::Relaxed);
    }

    /// `n` carrier tasks ended, and Tokio no longer counts them.
    #[inline]
    pub(crate) fn carriers_ended(&self, n: usize) {
        self.carriers.fetch_sub(n, Ordering::Relaxed);
    }

    /// At the runtime's end: drops the spare idle carriers, whose slots
    /// point back here, and takes no more.
    pub(crate) fn close(&self) {
        let spare = {
            let mut spare = self.spare();
            self.closed.store(true, Ordering::Relaxed);
            std::mem::take(&mut *spare)
        };
        drop(spare);
        drop(
            self.schedtrace
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take(),
        );
    }

    /// The `GORO_SCHEDTRACE` thread's end: its receiver hears the sender
    /// dropped when the runtime closes.
    pub(crate) fn on_close(&self, stop: std::sync::mpsc::Sender<()>) {
        *self
            .schedtrace
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(stop);
    }

    /// The main goroutine has returned: no other goroutine of the runtime
    /// runs from now on.
    pub(crate) fn main_returned(&self) {
        if !self.main_returned.swap(true, Ordering::SeqCst) {
            hold_more(1);
        }
    }

    /// Whether the main goroutine has returned.
    pub(crate) fn has_main_returned(&self) -> bool {
        self.main_returned.load(Ordering::Relaxed)
    }

    /// Whether the runtime has shut down (its main goroutine returned).
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Relaxed)
    }

    /// A new stripe for a thread that joins the runtime.
    pub(crate) fn stripe(&self) -> Arc<Stripe> {
        let stripe = Arc::new(Stripe::default());
        self.stripes().push(stripe.clone());
        stripe
    }

    /// A thread leaves the runtime (a blocking-pool thread ends after a
    /// while idle): its stripe's count moves to the shared counter, so that
    /// the stripes do not pile up.
    pub(crate) fn retire(&self, stripe: &Arc<Stripe>) {
        let mut stripes = self.stripes();
        let counts = &stripe.0;
        for (from, to) in [
            (&counts.started, &self.shared.started),
            (&counts.ended, &self.shared.ended),
            (&counts.polls, &self.shared.polls),
        ] {
            to.fetch_add(from.load(Ordering::Relaxed), Ordering::Relaxed);
        }
        stripes.retain(|s| !Arc::ptr_eq(s, stripe));
    }

    /// Takes a batch of spare idle carriers.
    pub(crate) fn take_spare(&self) -> Option<Vec<Idle>> {
        self.spare().pop()
    }

    /// Gives a batch of idle carriers, made by `batch`, to the spare
    /// list; `false` (and `batch` is not called) if the list is full or
    /// the runtime has shut down.
    pub(crate) fn give_spare(&self, batch: impl FnOnce() -> Vec<Idle>) -> bool {
        let mut spare = self.spare();
        // Under the lock, so that no batch comes in after `close`.
        if spare.len() >= SPARE_BATCHES || self.closed.load(Ordering::Relaxed) {
            return false;
        }
        spare.push(batch());
        true
    }

    #[cfg(test)]
    pub(crate) fn stripe_count(&self) -> usize {
        self.stripes().len()
    }

    fn stripes(&self) -> MutexGuard<'_, Vec<Arc<Stripe>>> {
        self.stripes.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn spare(&self) -> MutexGuard<'_, Vec<Vec<Idle>>> {
        self.spare.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Carriers {
    /// No thread of the runtime is left to poll its goroutines.
    fn drop(&mut self) {
        if self.main_returned.load(Ordering::Relaxed) {
            hold_less(1);
        }
    }
}
