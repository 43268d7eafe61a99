//! The recorder: one bounded ring buffer per thread, so recording an event
//! takes an uncontended lock of the thread's own buffer and never waits for
//! another thread. When a buffer is full the oldest event goes and is
//! counted; the program is never blocked.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::panic::Location;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::clock::{self, Stamp};
use crate::event::{Event, Gid, GoroutineInfo, Nanos, Outcome, ThreadInfo, ThreadKind, Tid, Trace};

/// Events kept per thread when [`Config::events_per_thread`] is not set.
pub const DEFAULT_EVENTS_PER_THREAD: usize = 1 << 18;

/// How a recording is set up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// The ring buffer size of each thread, in events (at least 1). A thread
    /// that records more keeps its newest events and counts the dropped ones:
    /// never more than this many, and, since the oldest go a 64th of the
    /// buffer at a time, never fewer than 31/32 of it (all of it below 64).
    pub events_per_thread: usize,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            events_per_thread: DEFAULT_EVENTS_PER_THREAD,
        }
    }
}

/// The number of the recording in progress, 0 when none is.
static SESSION: AtomicU64 = AtomicU64::new(0);
/// The recording in progress.
static STATE: Mutex<Option<Session>> = Mutex::new(None);

struct Session {
    number: u64,
    start: Stamp,
    config: Config,
    rings: Vec<Arc<Ring>>,
}

/// A thread's buffer.
struct Ring {
    tid: Tid,
    name: String,
    /// `ThreadKind` as set by `set_thread_kind`, or `UNSET`.
    kind: AtomicU8,
    inner: Mutex<RingInner>,
}

const UNSET: u8 = u8::MAX;

struct RingInner {
    /// Events in chunks that never move once allocated; the oldest chunk
    /// goes when the buffer is over capacity.
    chunks: VecDeque<Vec<Raw>>,
    len: usize,
    capacity: usize,
    chunk: usize,
    goroutines: VecDeque<GoroutineInfo>,
    dropped: u64,
}

/// Events per chunk at most: a 64th of the default buffer.
const CHUNK: usize = 4096;

impl RingInner {
    fn new(capacity: usize) -> RingInner {
        RingInner {
            chunks: VecDeque::new(),
            len: 0,
            capacity,
            // A 64th of the buffer, so that dropping the oldest chunk
            // leaves most of it (a whole-buffer chunk left one event).
            chunk: (capacity / 64).clamp(1, CHUNK),
            goroutines: VecDeque::new(),
            dropped: 0,
        }
    }

    #[inline]
    fn push(&mut self, raw: Raw) {
        match self.chunks.back_mut() {
            Some(chunk) if chunk.len() < self.chunk => chunk.push(raw),
            _ => self.push_chunk(raw),
        }
        self.len += 1;
    }

    /// Starts a new chunk, dropping the oldest if the new one, once full,
    /// would take the buffer over its capacity.
    #[cold]
    fn push_chunk(&mut self, raw: Raw) {
        if self.len + self.chunk > self.capacity {
            if let Some(oldest) = self.chunks.pop_front() {
                self.len -= oldest.len();
                self.dropped += oldest.len() as u64;
            }
        }
        let mut chunk = Vec::with_capacity(self.chunk);
        chunk.push(raw);
        self.chunks.push_back(chunk);
    }
}

/// An event as stored: 40 bytes, times as clock stamps, 0 for "none" (no
/// goroutine has id 0).
#[derive(Clone, Copy, Debug)]
struct Raw {
    kind: Kind,
    t0: Stamp,
    t1: u64,
    a: u64,
    b: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Spawn,
    Poll { ready: bool },
    Wake,
    BlockingSubmit,
    BlockingRun,
    Park,
    Unpark,
    End(Outcome),
    Blocked,
}

fn some(id: u64) -> Option<Gid> {
    (id != 0).then_some(id)
}

impl Raw {
    fn event(self, tid: Tid, ns: impl Fn(Stamp) -> Nanos) -> Event {
        let ts = ns(self.t0);
        match self.kind {
            Kind::Spawn => Event::Spawn {
                ts,
                tid,
                goroutine: self.a,
                parent: some(self.b),
            },
            Kind::Poll { ready } => Event::Poll {
                start: ts,
                end: ns(self.t1).max(ts),
                tid,
                goroutine: self.a,
                ready,
            },
            Kind::Wake => Event::Wake {
                ts,
                tid,
                target: self.a,
                by: some(self.b),
            },
            Kind::BlockingSubmit => Event::BlockingSubmit {
                ts,
                tid,
                job: self.a,
                by: some(self.b),
            },
            Kind::BlockingRun => Event::BlockingRun {
                start: ts,
                end: ns(self.t1).max(ts),
                tid,
                job: self.a,
                goroutine: some(self.b),
            },
            Kind::Park => Event::Park { ts, tid },
            Kind::Unpark => Event::Unpark { ts, tid },
            Kind::End(outcome) => Event::End {
                ts,
                tid,
                goroutine: self.a,
                outcome,
            },
            Kind::Blocked => Event::Blocked {
                ts,
                tid,
                goroutine: self.a,
                blocked_for: self.t1,
            },
        }
    }
}

/// The thread's buffer in the recording numbered `session`.
struct Local {
    session: u64,
    ring: Arc<Ring>,
}

thread_local! {
    static LOCAL: RefCell<Option<Local>> = const { RefCell::new(None) };
    static KIND: Cell<Option<ThreadKind>> = const { Cell::new(None) };
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Whether a recording is in progress: one relaxed load.
#[inline]
pub fn recording() -> bool {
    SESSION.load(Ordering::Relaxed) != 0
}

/// Why [`start`] refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AlreadyRecording;

impl std::fmt::Display for AlreadyRecording {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a goro trace is already being recorded in this process")
    }
}

impl std::error::Error for AlreadyRecording {}

/// Starts recording, process-wide. Events before this are not recorded.
pub fn start(config: Config) -> Result<(), AlreadyRecording> {
    static NUMBER: AtomicU64 = AtomicU64::new(0);
    let mut state = lock(&STATE);
    if state.is_some() {
        return Err(AlreadyRecording);
    }
    let number = NUMBER.fetch_add(1, Ordering::Relaxed) + 1;
    *state = Some(Session {
        number,
        start: clock::now(),
        config: Config {
            events_per_thread: config.events_per_thread.max(1),
        },
        rings: Vec::new(),
    });
    SESSION.store(number, Ordering::Release);
    Ok(())
}

/// Stops recording and returns what was recorded, or `None` if nothing was
/// being recorded.
pub fn stop() -> Option<Trace> {
    let mut state = lock(&STATE);
    SESSION.store(0, Ordering::Release);
    let session = state.take()?;
    let trace = collect(&session);
    // Each thread holds on to its buffer until it records in the next
    // recording, or ends: free what the buffers hold now. (A thread that
    // was recording an event as the recording stopped may store it after
    // this, into a chunk of its own; the next recording frees that.)
    for ring in &session.rings {
        let mut inner = lock(&ring.inner);
        inner.len = 0;
        inner.chunks = VecDeque::new();
        inner.goroutines = VecDeque::new();
    }
    Some(trace)
}

/// What has been recorded so far, without stopping; `None` if nothing is
/// being recorded.
pub fn snapshot() -> Option<Trace> {
    let state = lock(&STATE);
    state.as_ref().map(collect)
}

fn collect(session: &Session) -> Trace {
    let scale = clock::Scale::now();
    let ns = |stamp: Stamp| scale.nanos(session.start, stamp);
    let mut trace = Trace {
        end: ns(clock::now()),
        ..Trace::default()
    };
    for ring in &session.rings {
        let inner = lock(&ring.inner);
        trace.dropped += inner.dropped;
        // A thread that did not say what it is, is what it recorded.
        let mut derived = None;
        for raw in inner.chunks.iter().flatten() {
            if raw.t0 < session.start {
                continue;
            }
            trace.events.push(raw.event(ring.tid, ns));
            derived = derived.or(match raw.kind {
                Kind::Poll { .. } | Kind::Park | Kind::Unpark => Some(ThreadKind::Worker),
                Kind::BlockingRun => Some(ThreadKind::Blocking),
                _ => None,
            });
        }
        for info in &inner.goroutines {
            trace.goroutines.insert(info.id, info.clone());
        }
        let kind = match ring.kind.load(Ordering::Relaxed) {
            UNSET => derived.unwrap_or(ThreadKind::Other),
            kind => kind_from_u8(kind),
        };
        trace.threads.push(ThreadInfo {
            tid: ring.tid,
            name: ring.name.clone(),
            kind,
        });
    }
    // Stable: events of one thread keep their order at equal times.
    trace.events.sort_by_key(Event::ts);
    trace
}

fn kind_to_u8(kind: ThreadKind) -> u8 {
    match kind {
        ThreadKind::Main => 0,
        ThreadKind::Worker => 1,
        ThreadKind::Blocking => 2,
        ThreadKind::Other => 3,
    }
}

fn kind_from_u8(kind: u8) -> ThreadKind {
    match kind {
        0 => ThreadKind::Main,
        1 => ThreadKind::Worker,
        2 => ThreadKind::Blocking,
        _ => ThreadKind::Other,
    }
}

/// Says what the calling thread is, for the thread names in the exports.
/// Threads that do not say are classified by what they record (polls make a
/// worker, blocking calls a blocking-pool thread).
pub fn set_thread_kind(kind: ThreadKind) {
    KIND.with(|k| k.set(Some(kind)));
    with_local(|local| {
        if let Some(local) = local.as_ref() {
            local.ring.kind.store(kind_to_u8(kind), Ordering::Relaxed);
        }
    });
}

/// Runs `f` on the calling thread's buffer, unless the thread is exiting
/// and its thread-locals are gone: events recorded from the destructors of
/// other thread-locals (a waker woken or dropped there) after this one's
/// are not kept. (`LOCAL.with` would panic there, and a panic in a
/// thread-local's destructor aborts the process.)
#[inline]
fn with_local(f: impl FnOnce(&mut Option<Local>)) {
    let _ = LOCAL.try_with(|local| f(&mut local.borrow_mut()));
}

/// Stores `raw` in the calling thread's buffer, if a recording is in
/// progress.
#[inline]
fn record(raw: Raw) {
    with_ring(|ring| ring.push(raw));
}

/// Runs `f` on the calling thread's buffer in the recording in progress,
/// giving the thread one first if need be; does nothing when nothing is
/// being recorded.
#[inline]
fn with_ring(f: impl FnOnce(&mut RingInner)) {
    let session = SESSION.load(Ordering::Acquire);
    if session == 0 {
        return;
    }
    with_local(|local| {
        if local.as_ref().is_none_or(|l| l.session != session) {
            *local = register(session);
        }
        if let Some(local) = local.as_ref() {
            f(&mut lock(&local.ring.inner));
        }
    });
}

/// Gives the calling thread a buffer in recording `session`, if that is
/// still the one in progress.
#[cold]
fn register(session: u64) -> Option<Local> {
    let mut state = lock(&STATE);
    let state = state.as_mut().filter(|s| s.number == session)?;
    let kind = KIND.with(Cell::get);
    let ring = Arc::new(Ring {
        tid: state.rings.len() as Tid + 1,
        name: std::thread::current()
            .name()
            .unwrap_or("unnamed")
            .to_owned(),
        kind: AtomicU8::new(kind.map_or(UNSET, kind_to_u8)),
        inner: Mutex::new(RingInner::new(state.config.events_per_thread)),
    });
    state.rings.push(Arc::clone(&ring));
    Some(Local { session, ring })
}

/// The time now, as the recorder stamps events: pass it back as the start
/// of a [`poll`] or [`blocking_run`]. A read of the CPU's time-stamp counter
/// where the kernel trusts it (x86-64 Linux with the `tsc` clock source),
/// else of the monotonic clock.
#[inline]
pub fn now() -> Stamp {
    clock::now()
}

/// Goroutine `goroutine` was spawned at `ts` (taken with [`now`] just
/// before the spawn, when its id was not known yet).
pub fn spawn(
    ts: Stamp,
    goroutine: Gid,
    parent: Option<Gid>,
    name: Option<Arc<str>>,
    spawned_at: &'static Location<'static>,
) {
    let session = SESSION.load(Ordering::Acquire);
    if session == 0 {
        return;
    }
    record(Raw {
        kind: Kind::Spawn,
        t0: ts,
        t1: 0,
        a: goroutine,
        b: parent.unwrap_or(0),
    });
    identify(GoroutineInfo {
        id: goroutine,
        name,
        spawned_at,
        parent,
    });
}

/// Says who goroutine `info.id` is: one that was not spawned while
/// recording (the main goroutine, or one spawned before the recording
/// started) or, from [`spawn`], a new one.
pub fn identify(info: GoroutineInfo) {
    with_ring(|ring| {
        if ring.goroutines.len() >= ring.capacity {
            ring.goroutines.pop_front();
        }
        ring.goroutines.push_back(info);
    });
}

/// One poll of `goroutine` that started at `start` and ends now.
#[inline]
pub fn poll(start: Stamp, goroutine: Gid, ready: bool) {
    record(Raw {
        kind: Kind::Poll { ready },
        t0: start,
        t1: clock::now(),
        a: goroutine,
        b: 0,
    });
}

/// `target` is being woken, by goroutine `by` if the caller knows it runs
/// one.
#[inline]
pub fn wake(target: Gid, by: Option<Gid>) {
    record(Raw {
        kind: Kind::Wake,
        t0: clock::now(),
        t1: 0,
        a: target,
        b: by.unwrap_or(0),
    });
}

/// A blocking call is being handed to the blocking pool by goroutine `by`;
/// returns the hand-off's number for [`blocking_run`].
pub fn blocking_submit(by: Option<Gid>) -> u64 {
    static JOBS: AtomicU64 = AtomicU64::new(1);
    let job = JOBS.fetch_add(1, Ordering::Relaxed);
    record(Raw {
        kind: Kind::BlockingSubmit,
        t0: clock::now(),
        t1: 0,
        a: job,
        b: by.unwrap_or(0),
    });
    job
}

/// Hand-off `job` ran from `start` until now, as goroutine `goroutine`.
pub fn blocking_run(start: Stamp, job: u64, goroutine: Option<Gid>) {
    record(Raw {
        kind: Kind::BlockingRun,
        t0: start,
        t1: clock::now(),
        a: job,
        b: goroutine.unwrap_or(0),
    });
}

/// The calling worker parks (has no work).
pub fn park() {
    record(Raw {
        kind: Kind::Park,
        t0: clock::now(),
        t1: 0,
        a: 0,
        b: 0,
    });
}

/// The calling worker unparks.
pub fn unpark() {
    record(Raw {
        kind: Kind::Unpark,
        t0: clock::now(),
        t1: 0,
        a: 0,
        b: 0,
    });
}

/// Goroutine `goroutine` ended.
pub fn end(goroutine: Gid, outcome: Outcome) {
    record(Raw {
        kind: Kind::End(outcome),
        t0: clock::now(),
        t1: 0,
        a: goroutine,
        b: 0,
    });
}

/// The watchdog saw `goroutine` hold the calling worker for `blocked_for`
/// nanoseconds at `noticed`; the worker records it when the poll ends.
pub fn blocked(noticed: Stamp, goroutine: Gid, blocked_for: Nanos) {
    record(Raw {
        kind: Kind::Blocked,
        t0: noticed,
        t1: blocked_for,
        a: goroutine,
        b: 0,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The only test in this binary that records: the recorder is
    /// process-wide.
    #[test]
    fn stop_frees_the_buffers_of_threads_that_live_on() {
        use std::sync::mpsc;
        start(Config::default()).expect("no other recording");
        let (recorded_tx, recorded) = mpsc::channel();
        let (end_tx, end) = mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            for n in 1..=10_000 {
                wake(n, None);
            }
            recorded_tx.send(()).unwrap();
            // Lives on, recording nothing more, until the test is done.
            let _ = end.recv();
        });
        recorded.recv().unwrap();
        let rings: Vec<Arc<Ring>> = lock(&STATE).as_ref().unwrap().rings.clone();
        let trace = stop().expect("the recording");
        assert_eq!(trace.events.len(), 10_000);
        assert_eq!(rings.len(), 1);
        for ring in rings {
            let inner = lock(&ring.inner);
            assert_eq!(inner.len, 0);
            assert!(
                inner.chunks.is_empty(),
                "{} chunks held",
                inner.chunks.len()
            );
        }
        drop(end_tx);
        thread.join().unwrap();
    }

    fn raw(n: u64) -> Raw {
        Raw {
            kind: Kind::Wake,
            t0: n,
            t1: 0,
            a: n,
            b: 0,
        }
    }

    /// A buffer of `capacity` after `recorded` events: what it keeps.
    fn kept(capacity: usize, recorded: u64) -> Vec<u64> {
        let mut ring = RingInner::new(capacity);
        for n in 0..recorded {
            ring.push(raw(n));
            assert!(
                ring.len <= capacity,
                "over capacity: {} > {capacity}",
                ring.len
            );
        }
        let kept: Vec<u64> = ring.chunks.iter().flatten().map(|r| r.a).collect();
        assert_eq!(kept.len(), ring.len);
        assert_eq!(ring.dropped + kept.len() as u64, recorded);
        kept
    }

    #[test]
    fn a_full_buffer_keeps_most_of_its_newest_events() {
        for capacity in [1, 2, 63, 64, 100, 1000, 4097, 100_000, 300_000, 1 << 18] {
            for recorded in [capacity as u64 + 1, 3 * capacity as u64 + 17] {
                let kept = kept(capacity, recorded);
                // The newest, in order.
                assert_eq!(kept.last(), Some(&(recorded - 1)), "{capacity}");
                assert!(kept.windows(2).all(|w| w[1] == w[0] + 1), "{capacity}");
                let least = if capacity < 64 {
                    capacity
                } else {
                    capacity - capacity / 32
                };
                assert!(
                    kept.len() >= least,
                    "a buffer of {capacity} kept {} of {recorded}",
                    kept.len()
                );
            }
        }
    }
}
