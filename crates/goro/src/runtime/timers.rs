//! goro's timers: one thread per process (`goro-timer`) with a heap of
//! deadlines, which wakes sleeping goroutines and fires alarms (the
//! deliveries behind `goro::time`'s channels and `after_func`).
//!
//! Tokio's timer wheel counts in whole milliseconds and rounds a deadline
//! up to the next one, so a 1 ms sleep takes about 2 ms. This thread waits
//! for the earliest deadline itself, to the nanosecond the kernel gives,
//! with the thread's timer slack set low. It also means a timer needs no
//! task: `after`, `tick`, `Timer` and `Ticker` start no goroutine.
//!
//! Each entry knows its place in the heap, as Go's timers do, so a timer
//! stopped or a sleep dropped leaves the heap at once, and its memory is
//! freed by the thread that stopped it: a loop that makes a one-hour
//! `after` per message keeps nothing behind.
//!
//! Locks: an alarm's own lock, then the heap's; never the other way. The
//! thread takes due entries out of the heap and fires them after letting
//! the heap's lock go; entries taken out are dropped after it too.

use std::sync::{Arc, PoisonError, Weak};
use std::task::{Wake, Waker};
use std::time::{Duration, Instant};

use futures::task::AtomicWaker;

use crate::loom::{AtomicBool, AtomicUsize, Condvar, Mutex, MutexGuard, Ordering};
#[cfg(not(goro_loom))]
use crate::runtime::threads;

/// Something in the heap: told when its deadline comes.
trait Due: Send + Sync {
    /// Its place in the heap, plus one (0: not in it). Read and written
    /// under the heap's lock only.
    fn slot(&self) -> &AtomicUsize;

    /// Its entry `seq`, for `at`, came up at `now`. Called on the timer
    /// thread, without the heap's lock.
    fn due(&self, seq: u64, at: Instant, now: Instant);
}

struct Node {
    at: Instant,
    /// Orders entries with the same deadline by arming, and tells an
    /// alarm's armings apart.
    seq: u64,
    what: Arc<dyn Due>,
}

/// Children per node of the heap: four, as Go's timer heap has, for a
/// shallower heap (fewer entries moved, and told their places, per pop).
const ARITY: usize = 4;

/// Entries the thread fires per taking of the heap's lock, so that
/// goroutines starting sleeps are not kept waiting behind a long batch.
const BATCH: usize = 64;

/// A 4-ary min-heap of deadlines whose entries know their places.
struct Heap {
    nodes: Vec<Node>,
    /// The last sequence number given out.
    seq: u64,
    /// Alarms armed with a deadline, firing ones included: what may still
    /// deliver.
    alarms: usize,
    /// What the thread waits for: `None` while it waits without a deadline
    /// (or has not started).
    until: Option<Instant>,
    started: bool,
}

impl Heap {
    fn earlier(&self, a: usize, b: usize) -> bool {
        let (a, b) = (&self.nodes[a], &self.nodes[b]);
        (a.at, a.seq) < (b.at, b.seq)
    }

    /// Tells the entry at `i` its place.
    fn place(&self, i: usize) {
        self.nodes[i].what.slot().store(i + 1, Ordering::Relaxed);
    }

    fn insert(&mut self, node: Node) {
        self.nodes.push(node);
        self.up(self.nodes.len() - 1);
    }

    /// Takes the entry at `i` out.
    fn remove(&mut self, i: usize) -> Node {
        let node = self.nodes.swap_remove(i);
        node.what.slot().store(0, Ordering::Relaxed);
        if i < self.nodes.len() && !self.up(i) {
            self.down(i);
        }
        node
    }

    /// Takes out up to `BATCH` entries due at `now`, earliest first.
    fn take_due(&mut self, now: Instant, due: &mut Vec<Node>) {
        while due.len() < BATCH && self.nodes.first().is_some_and(|node| node.at <= now) {
            due.push(self.remove(0));
        }
    }

    /// Takes `what`'s entry out, if it has one.
    fn take(&mut self, what: &dyn Due) -> Option<Node> {
        match what.slot().load(Ordering::Relaxed) {
            0 => None,
            slot => Some(self.remove(slot - 1)),
        }
    }

    /// Moves the entry at `i` up to its place; returns whether it moved.
    fn up(&mut self, mut i: usize) -> bool {
        let from = i;
        while i > 0 {
            let parent = (i - 1) / ARITY;
            if !self.earlier(i, parent) {
                break;
            }
            self.nodes.swap(i, parent);
            self.place(i);
            i = parent;
        }
        self.place(i);
        i != from
    }

    fn down(&mut self, mut i: usize) {
        let len = self.nodes.len();
        loop {
            let first = ARITY * i + 1;
            if first >= len {
                break;
            }
            let mut child = first;
            for other in first + 1..(first + ARITY).min(len) {
                if self.earlier(other, child) {
                    child = other;
                }
            }
            if !self.earlier(child, i) {
                break;
            }
            self.nodes.swap(i, child);
            self.place(i);
            i = child;
        }
        self.place(i);
    }
}

struct Driver {
    heap: Mutex<Heap>,
    /// The thread waits here; told when an earlier deadline comes in.
    wake: Condvar,
}

fn new_driver() -> Driver {
    Driver {
        heap: Mutex::new(Heap {
            nodes: Vec::new(),
            seq: 0,
            alarms: 0,
            until: None,
            started: false,
        }),
        wake: Condvar::new(),
    }
}

#[cfg(not(goro_loom))]
fn driver() -> &'static Driver {
    static DRIVER: std::sync::OnceLock<Driver> = std::sync::OnceLock::new();
    DRIVER.get_or_init(new_driver)
}

/// Under loom, a driver per model run; its thread is the model's, which
/// calls `fire_due`.
#[cfg(goro_loom)]
fn driver() -> &'static Driver {
    loom::lazy_static! {
        static ref DRIVER: Driver = new_driver();
    }
    &DRIVER
}

impl Driver {
    fn lock(&self) -> MutexGuard<'_, Heap> {
        self.heap.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `what` for `at`; returns the entry's sequence number. `what`
    /// has no entry in the heap.
    fn push(&self, heap: &mut Heap, at: Instant, what: Arc<dyn Due>) -> u64 {
        if !heap.started {
            heap.started = true;
            start();
        }
        heap.seq += 1;
        let seq = heap.seq;
        heap.insert(Node { at, seq, what });
        if heap.until.is_none_or(|until| at < until) {
            heap.until = Some(at);
            self.wake.notify_one();
        }
        seq
    }

    /// The thread's loop.
    #[cfg(not(goro_loom))]
    fn serve(&self) -> ! {
        let mut due = Vec::new();
        let mut heap = self.lock();
        loop {
            let now = Instant::now();
            heap.take_due(now, &mut due);
            if !due.is_empty() {
                // Busy, and back for the heap before it waits: entries
                // that come in meanwhile need not wake it.
                heap.until = Some(now);
                drop(heap);
                for node in due.drain(..) {
                    node.what.due(node.seq, node.at, now);
                }
                heap = self.lock();
                continue;
            }
            let until = heap.nodes.first().map(|node| node.at);
            heap.until = until;
            heap = match until {
                None => self.wake.wait(heap).unwrap_or_else(PoisonError::into_inner),
                Some(until) => {
                    self.wake
                        .wait_timeout(heap, until.saturating_duration_since(now))
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
            };
        }
    }
}

/// Fires what is due now, on the calling thread: the timer thread's work,
/// for loom models (which have no timer thread).
#[cfg(goro_loom)]
pub(crate) fn fire_due() {
    let now = Instant::now();
    let mut due = Vec::new();
    driver().lock().take_due(now, &mut due);
    for node in due {
        node.what.due(node.seq, node.at, now);
    }
}

#[cfg(goro_loom)]
fn start() {}

/// Starts the timer thread; a process that cannot start it cannot keep
/// time, and stops with the reason.
#[cfg(not(goro_loom))]
fn start() {
    let spawned = std::thread::Builder::new()
        .name("goro-timer".into())
        .stack_size(256 * 1024)
        .spawn(|| {
            threads::enter();
            fine_slack();
            driver().serve()
        });
    if let Err(err) = spawned {
        eprintln!("goro: could not start the timer thread: {err}");
        std::process::abort();
    }
}

/// Asks the kernel to end the thread's timed waits within a microsecond
/// of their deadline rather than the default 50.
#[cfg(not(goro_loom))]
fn fine_slack() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: PR_SET_TIMERSLACK takes one integer argument, and
        // changes only the calling thread's timer slack.
        #[allow(unsafe_code)]
        unsafe {
            libc::prctl(libc::PR_SET_TIMERSLACK, 1_000 as libc::c_ulong);
        }
    }
}

/// Whether some alarm is armed or firing anywhere in the process: a
/// goroutine waiting on a timer's channel may still get a value.
pub(crate) fn alarms_armed() -> bool {
    driver().lock().alarms > 0
}

/// The deadline `after` from now, or `None` where that is beyond what the
/// clock can hold (never).
pub(crate) fn deadline(after: Duration) -> Option<Instant> {
    Instant::now().checked_add(after)
}

/// A sleeping goroutine's entry: its waker, woken once at the deadline.
pub(crate) struct Wakeup {
    slot: AtomicUsize,
    fired: AtomicBool,
    waker: AtomicWaker,
}

impl Due for Wakeup {
    fn slot(&self) -> &AtomicUsize {
        &self.slot
    }

    fn due(&self, _seq: u64, _at: Instant, _now: Instant) {
        self.fired.store(true, Ordering::Release);
        self.waker.wake();
    }
}

impl Wakeup {
    /// Wakes `waker` at `at`.
    pub(crate) fn at(at: Instant, waker: &Waker) -> Arc<Wakeup> {
        let wakeup = Arc::new(Wakeup {
            slot: AtomicUsize::new(0),
            fired: AtomicBool::new(false),
            waker: AtomicWaker::new(),
        });
        wakeup.waker.register(waker);
        let driver = driver();
        let what: Arc<dyn Due> = wakeup.clone();
        driver.push(&mut driver.lock(), at, what);
        wakeup
    }

    /// Whether the deadline has come; if not, `waker` is the one woken
    /// when it does.
    pub(crate) fn poll(&self, waker: &Waker) -> bool {
        if self.fired.load(Ordering::Acquire) {
            return true;
        }
        self.waker.register(waker);
        self.fired.load(Ordering::Acquire)
    }

    /// Takes the entry out of the heap (the sleep was dropped first).
    pub(crate) fn cancel(&self) {
        if !self.fired.load(Ordering::Acquire) {
            let taken = driver().lock().take(self);
            drop(taken);
            drop(self.waker.take());
        }
    }
}

/// What an alarm does when it fires.
pub(crate) trait Deliver: Send + 'static {
    /// Fires; returns `false` if it never can again (its channel is gone),
    /// which disarms it even if it is periodic.
    fn deliver(&mut self) -> bool;
}

/// A timer that fires a [`Deliver`], once or every period, until stopped.
/// Its lock orders it against firing: once `disarm` or `arm` returns, no
/// firing of an earlier arming happens.
pub(crate) struct Alarm<D> {
    slot: AtomicUsize,
    /// Itself, for the heap entries its firing queues.
    own: Weak<Alarm<D>>,
    state: Mutex<Armed<D>>,
}

/// An alarm's state, under its lock.
pub(crate) struct Armed<D> {
    /// Armed: stopping it would stop something.
    armed: bool,
    /// The heap entry of this arming (0: none, disarmed or armed for
    /// never). Alarms with one are counted in `Heap::alarms`.
    seq: u64,
    period: Option<Duration>,
    /// The owner's part.
    pub(crate) deliver: D,
}

impl<D: Deliver> Due for Alarm<D> {
    fn slot(&self) -> &AtomicUsize {
        &self.slot
    }

    fn due(&self, seq: u64, at: Instant, now: Instant) {
        let mut state = self.lock();
        if !state.armed || state.seq != seq {
            return;
        }
        let again = state.deliver.deliver();
        let driver = driver();
        let mut heap = driver.lock();
        // The next tick on the period's grid after now: ticks the thread
        // was late for are skipped, as Go's tickers skip them. A period
        // past the clock's range never ticks again.
        let next = match state.period {
            Some(period) if again => next_tick(at, period, now),
            _ => None,
        };
        match (next, self.own.upgrade()) {
            (Some(at), Some(this)) => state.seq = driver.push(&mut heap, at, this),
            _ => {
                state.armed = false;
                state.seq = 0;
                heap.alarms -= 1;
            }
        }
    }
}

/// The first instant `at + k * period` (k >= 1) after `now`.
fn next_tick(at: Instant, period: Duration, now: Instant) -> Option<Instant> {
    let next = at.checked_add(period)?;
    if next > now {
        return Some(next);
    }
    let late = now.duration_since(at).as_nanos();
    let period_ns = period.as_nanos().max(1);
    let ticks = late / period_ns + 1;
    let skip = u64::try_from(period_ns.checked_mul(ticks)?).ok()?;
    at.checked_add(Duration::from_nanos(skip))
}

impl<D: Deliver> Alarm<D> {
    /// A disarmed alarm.
    pub(crate) fn new(deliver: D) -> Arc<Alarm<D>> {
        Arc::new_cyclic(|own| Alarm {
            slot: AtomicUsize::new(0),
            own: own.clone(),
            state: Mutex::new(Armed {
                armed: false,
                seq: 0,
                period: None,
                deliver,
            }),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Armed<D>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Arms the alarm to fire at `at` (`None`: never, though it counts as
    /// armed) and then every `period`, if given, in place of any arming
    /// before. Runs `then` first, under the alarm's lock, with whether it
    /// was armed: nothing of the earlier arming fires after it.
    pub(crate) fn arm<R>(
        &self,
        at: Option<Instant>,
        period: Option<Duration>,
        then: impl FnOnce(&mut D, bool) -> R,
    ) -> R {
        let mut state = self.lock();
        let was = state.armed;
        let out = then(&mut state.deliver, was);
        let driver = driver();
        let mut heap = driver.lock();
        let taken = heap.take(self);
        let counted = state.seq != 0;
        state.armed = true;
        state.period = period;
        state.seq = match (at, self.own.upgrade()) {
            (Some(at), Some(this)) => driver.push(&mut heap, at, this),
            _ => 0,
        };
        heap.alarms = heap.alarms + usize::from(state.seq != 0) - usize::from(counted);
        drop(heap);
        drop(taken);
        out
    }

    /// Runs `f` on the owner's part, under the alarm's lock.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut D) -> R) -> R {
        f(&mut self.lock().deliver)
    }

    /// Disarms the alarm; runs `then` under its lock with whether it was
    /// armed: nothing fires after it.
    pub(crate) fn disarm<R>(&self, then: impl FnOnce(&mut D, bool) -> R) -> R {
        let mut state = self.lock();
        let was = state.armed;
        if state.seq != 0 {
            let mut heap = driver().lock();
            let taken = heap.take(self);
            heap.alarms -= 1;
            drop(heap);
            drop(taken);
        }
        state.armed = false;
        state.seq = 0;
        then(&mut state.deliver, was)
    }
}

/// Waking an alarm disarms it: a timer's alarm is the waker its channel
/// wakes when the last receiver is gone.
impl<D: Deliver> Wake for Alarm<D> {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.disarm(|_, _| ());
    }
}

#[cfg(all(test, not(goro_loom)))]
mod tests {
    use super::*;

    struct Mark(AtomicUsize);

    impl Due for Mark {
        fn slot(&self) -> &AtomicUsize {
            &self.0
        }
        fn due(&self, _seq: u64, _at: Instant, _now: Instant) {}
    }

    fn heap() -> Heap {
        Heap {
            nodes: Vec::new(),
            seq: 0,
            alarms: 0,
            until: None,
            started: true,
        }
    }

    /// Every entry's slot names its place, and no child is earlier than
    /// its parent.
    fn check(heap: &Heap) {
        for (i, node) in heap.nodes.iter().enumerate() {
            assert_eq!(node.what.slot().load(Ordering::Relaxed), i + 1);
            if i > 0 {
                assert!(
                    !heap.earlier(i, (i - 1) / ARITY),
                    "entry {i} above its parent"
                );
            }
        }
    }

    #[test]
    fn entries_leave_in_deadline_order_and_removals_keep_the_heap() {
        let base = Instant::now();
        let mut heap = heap();
        let marks: Vec<Arc<Mark>> = (0..500)
            .map(|_| Arc::new(Mark(AtomicUsize::new(0))))
            .collect();
        for (k, mark) in marks.iter().enumerate() {
            // Scrambled deadlines, some equal (ordered then by arming).
            let at = base + Duration::from_micros((k as u64 * 7919) % 250);
            heap.seq += 1;
            let seq = heap.seq;
            let what: Arc<dyn Due> = mark.clone();
            heap.insert(Node { at, seq, what });
        }
        check(&heap);
        // Stop every third one, wherever it sits.
        for mark in marks.iter().step_by(3) {
            assert!(heap.take(&**mark).is_some());
            assert!(heap.take(&**mark).is_none(), "taken twice");
            check(&heap);
        }
        let mut due = Vec::new();
        let mut last = (base, 0);
        loop {
            heap.take_due(base + Duration::from_secs(1), &mut due);
            if due.is_empty() {
                break;
            }
            for node in due.drain(..) {
                assert!((node.at, node.seq) > last, "out of order");
                last = (node.at, node.seq);
                assert_eq!(node.what.slot().load(Ordering::Relaxed), 0);
            }
            check(&heap);
        }
        assert!(heap.nodes.is_empty());
    }

    #[test]
    fn the_next_tick_skips_ticks_the_thread_was_late_for() {
        let at = Instant::now();
        let ms = Duration::from_millis(1);
        assert_eq!(next_tick(at, ms, at), Some(at + ms));
        assert_eq!(next_tick(at, ms, at + ms * 3 + ms / 2), Some(at + ms * 4));
        assert_eq!(next_tick(at, ms, at + ms * 4), Some(at + ms * 5));
        assert_eq!(next_tick(at, Duration::MAX, at), None);
    }
}
