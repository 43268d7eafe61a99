//! The watchdog: a monitor thread that notices a goroutine holding a worker
//! thread for longer than a threshold, while it still holds it.
//!
//! Each worker owns a [`Slot`]. Around every poll it publishes which
//! goroutine it polls with a few plain stores (a sequence lock: the count is
//! `4n` between polls, `4n + 1` while the identity is written and `4n + 2`
//! while the poll runs), so the hot path takes no lock and no timestamp. The
//! monitor samples every slot a few times per threshold; a slot that shows
//! the same poll in progress for a whole threshold is reported once, with a
//! `WARN` at target `goro::watchdog` (and on stderr when the program has no
//! `tracing` subscriber, so the report is never lost).

use std::panic::Location;
use std::sync::{Arc, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use crate::event::{Gid, Nanos};
// loom's in the model checks, std's otherwise.
use crate::loom::{fence, AtomicBool, AtomicPtr, AtomicU64, Mutex, Ordering};

/// The threshold when none is configured.
pub const DEFAULT_THRESHOLD: Duration = Duration::from_millis(100);

/// A worker thread's published state.
/// Aligned to 128 bytes (two cache lines, as prefetchers pair them) so that
/// workers writing their own slots on every poll never share a line.
#[derive(Debug)]
#[repr(align(128))]
pub struct Slot {
    seq: AtomicU64,
    spawned_at: AtomicPtr<Location<'static>>,
    goroutine: AtomicU64,
    /// The goroutine whose name `name` holds (`NO_GOROUTINE` for none):
    /// ids are never reused, so while this is the polled goroutine, the
    /// name is its name and a poll of it writes nothing more.
    named: AtomicU64,
    name: Mutex<Option<Arc<str>>>,
    /// The `seq` of a poll the monitor reported, and when (recording time)
    /// and after how long it noticed, for the worker to record.
    flagged_seq: AtomicU64,
    flagged_at: AtomicU64,
    flagged_for: AtomicU64,
    threshold: AtomicU64,
    /// The worker thread's name, for the report (not part of the sequence
    /// lock, so std's mutex in the model checks too).
    thread: std::sync::Mutex<String>,
    /// The worker thread's id in the kernel, where known (Linux): the
    /// monitor reads how long the kernel kept it waiting for a CPU.
    tid: std::sync::atomic::AtomicU64,
    in_use: AtomicBool,
}

/// `Slot::named` when the slot holds no name: no goroutine has this id.
const NO_GOROUTINE: Gid = Gid::MAX;

/// The slots of all threads that ever had one; freed slots are reused.
static SLOTS: std::sync::Mutex<Vec<&'static Slot>> = std::sync::Mutex::new(Vec::new());

impl Slot {
    /// A slot for the calling worker thread, watched with `threshold`.
    /// Starts the monitor thread on first use. Give it back with
    /// [`Slot::release`] when the thread ends.
    pub fn acquire(threshold: Duration) -> &'static Slot {
        let thread = std::thread::current()
            .name()
            .unwrap_or("unnamed")
            .to_owned();
        // Saturating: a threshold past u64 nanoseconds (584 years) is
        // "never", not its low 64 bits.
        let threshold = u64::try_from(threshold.as_nanos())
            .unwrap_or(u64::MAX)
            .max(1);
        let mut slots = SLOTS.lock().unwrap_or_else(PoisonError::into_inner);
        let slot = match slots.iter().find(|s| !s.in_use.load(Ordering::Relaxed)) {
            Some(slot) => slot,
            None => {
                let slot: &'static Slot = Box::leak(Box::new(Slot::new(threshold)));
                slots.push(slot);
                slot
            }
        };
        *slot.thread.lock().unwrap_or_else(PoisonError::into_inner) = thread;
        slot.threshold.store(threshold, Ordering::Relaxed);
        slot.tid.store(
            current_tid().unwrap_or(0),
            std::sync::atomic::Ordering::Relaxed,
        );
        slot.in_use.store(true, Ordering::Release);
        drop(slots);
        start_monitor();
        slot
    }

    /// A slot of no thread, not watched yet.
    fn new(threshold: u64) -> Slot {
        Slot {
            seq: AtomicU64::new(0),
            spawned_at: AtomicPtr::new(std::ptr::null_mut()),
            goroutine: AtomicU64::new(0),
            named: AtomicU64::new(NO_GOROUTINE),
            name: Mutex::new(None),
            flagged_seq: AtomicU64::new(u64::MAX),
            flagged_at: AtomicU64::new(0),
            flagged_for: AtomicU64::new(0),
            threshold: AtomicU64::new(threshold),
            thread: std::sync::Mutex::new(String::new()),
            tid: std::sync::atomic::AtomicU64::new(0),
            in_use: AtomicBool::new(false),
        }
    }

    /// Gives the slot back (the worker thread ends).
    pub fn release(&'static self) {
        self.in_use.store(false, Ordering::Release);
    }

    /// The worker starts polling goroutine `goroutine` (0 if unknown),
    /// spawned at `spawned_at` and named `name`. Returns the poll's number
    /// for [`Slot::end`]. A handful of plain stores, unless the goroutine
    /// is named and not the named one this slot polled last: its name then
    /// goes the slow way.
    #[inline]
    pub fn begin(
        &self,
        goroutine: Gid,
        spawned_at: &'static Location<'static>,
        name: Option<&Arc<str>>,
    ) -> u64 {
        if let Some(name) = name {
            if self.named.load(Ordering::Relaxed) != goroutine {
                return self.begin_named(goroutine, spawned_at, name);
            }
        }
        let seq = self.write_identity(goroutine, spawned_at);
        self.seq.store(seq + 2, Ordering::Release);
        seq + 2
    }

    /// Marks the slot as being written (`4n + 1`) and writes the id and
    /// location; returns `4n`. The caller publishes `4n + 2` when done.
    #[inline(always)]
    fn write_identity(&self, goroutine: Gid, spawned_at: &'static Location<'static>) -> u64 {
        let seq = self.seq.load(Ordering::Relaxed);
        self.seq.store(seq + 1, Ordering::Relaxed);
        fence(Ordering::Release);
        self.goroutine.store(goroutine, Ordering::Relaxed);
        self.spawned_at
            .store(std::ptr::from_ref(spawned_at).cast_mut(), Ordering::Relaxed);
        seq
    }

    /// [`Slot::begin`] for a named goroutine whose name is not stored.
    #[cold]
    #[inline(never)]
    fn begin_named(
        &self,
        goroutine: Gid,
        spawned_at: &'static Location<'static>,
        name: &Arc<str>,
    ) -> u64 {
        let seq = self.write_identity(goroutine, spawned_at);
        let mut stored = self.name.lock().unwrap_or_else(PoisonError::into_inner);
        *stored = Some(name.clone());
        self.named.store(goroutine, Ordering::Relaxed);
        drop(stored);
        self.seq.store(seq + 2, Ordering::Release);
        seq + 2
    }

    /// The poll numbered `seq` ended. Returns whether the monitor reported
    /// it; [`Slot::flagged`] then says when and after how long.
    #[inline]
    pub fn end(&self, seq: u64) -> bool {
        self.seq.store(seq + 2, Ordering::Release);
        self.flagged_seq.load(Ordering::Acquire) == seq
    }

    /// When the monitor noticed the last poll it reported (a recorder
    /// stamp), and how long that poll had run then, in nanoseconds.
    pub fn flagged(&self) -> (crate::clock::Stamp, Nanos) {
        (
            self.flagged_at.load(Ordering::Relaxed),
            self.flagged_for.load(Ordering::Relaxed),
        )
    }

    /// What the worker is polling, if it is polling and the read was not torn.
    fn read(&self) -> Option<(u64, Polling)> {
        let before = self.seq.load(Ordering::Acquire);
        if before % 4 != 2 {
            return None;
        }
        let goroutine = self.goroutine.load(Ordering::Relaxed);
        let spawned_at = self.spawned_at.load(Ordering::Relaxed);
        let name = if self.named.load(Ordering::Relaxed) == goroutine {
            let stored = self.name.lock().unwrap_or_else(PoisonError::into_inner);
            // Under the lock, the name and its goroutine go together.
            (self.named.load(Ordering::Relaxed) == goroutine)
                .then(|| stored.clone())
                .flatten()
        } else {
            None
        };
        fence(Ordering::Acquire);
        if self.seq.load(Ordering::Relaxed) != before || spawned_at.is_null() {
            return None;
        }
        Some((
            before,
            Polling {
                goroutine,
                spawned_at: location(spawned_at),
                name,
            },
        ))
    }

    /// The monitor reported poll `seq`: it noticed it at `at` (a recorder
    /// stamp), when it had run for `held` nanoseconds. Published for the
    /// worker's [`Slot::end`] of that poll.
    fn flag(&self, seq: u64, at: crate::clock::Stamp, held: Nanos) {
        self.flagged_at.store(at, Ordering::Relaxed);
        self.flagged_for.store(held, Ordering::Relaxed);
        self.flagged_seq.store(seq, Ordering::Release);
    }
}

/// The monitor's side of a slot, for the model checks of the sequence lock
/// (`tests/loom_watchdog.rs`); only in builds with `--cfg goro_loom`.
#[cfg(goro_loom)]
#[doc(hidden)]
pub mod model {
    use super::*;

    /// What the monitor read: the poll's number, goroutine, spawn location
    /// and name.
    pub type Read = (u64, Gid, &'static Location<'static>, Option<Arc<str>>);

    /// A slot of no thread, outside the monitor's list.
    pub fn slot() -> Slot {
        Slot::new(1)
    }

    /// The monitor's read of `slot`.
    pub fn read(slot: &Slot) -> Option<Read> {
        slot.read()
            .map(|(seq, p)| (seq, p.goroutine, p.spawned_at, p.name))
    }

    /// The monitor's report of poll `seq` of `slot`.
    pub fn flag(slot: &Slot, seq: u64, at: u64, held: Nanos) {
        slot.flag(seq, at, held);
    }
}

/// Turns a pointer that `Slot::begin` stored back into the location.
#[allow(unsafe_code)]
fn location(ptr: *mut Location<'static>) -> &'static Location<'static> {
    // SAFETY: `Slot::begin` is the only writer of `spawned_at`, and it
    // stores pointers made from `&'static Location<'static>` references,
    // which stay valid and are never written through; `read` checks for
    // null before calling this. Storing the location as a pointer keeps the
    // per-poll cost at plain stores, where a lock measured several times
    // slower on the hot path.
    unsafe { &*ptr }
}

/// A poll in progress, as the monitor read it.
#[derive(Debug)]
struct Polling {
    goroutine: Gid,
    spawned_at: &'static Location<'static>,
    name: Option<Arc<str>>,
}

/// Run on the monitor thread as it starts (`on_monitor_start`).
static MONITOR_STARTS: OnceLock<fn()> = OnceLock::new();

/// Has `hook` run on the watchdog's monitor thread when it starts, before
/// it does anything else (goro lists the thread among its own). The first
/// hook set stays.
pub fn on_monitor_start(hook: fn()) {
    let _ = MONITOR_STARTS.set(hook);
}

/// Starts the monitor thread once per process.
fn start_monitor() {
    static STARTED: OnceLock<()> = OnceLock::new();
    STARTED.get_or_init(|| {
        let spawned = std::thread::Builder::new()
            .name("goro-watchdog".into())
            .spawn(monitor);
        if let Err(err) = spawned {
            eprintln!("goro: could not start the watchdog thread: {err}");
        }
    });
}

/// What the monitor remembers about a slot.
struct Seen {
    seq: u64,
    since: Instant,
    /// How long the kernel had kept the worker waiting for a CPU when the
    /// monitor saw this poll the second time (`Some(None)` where it cannot
    /// tell; `None` before the second time).
    waited: Option<Option<Duration>>,
    reported: bool,
}

/// The calling thread's id in the kernel: `/proc/thread-self` links to
/// `<pid>/task/<tid>`. `None` where there is no such file.
fn current_tid() -> Option<u64> {
    let link = std::fs::read_link("/proc/thread-self").ok()?;
    link.file_name()?.to_str()?.parse().ok()
}

/// How long the kernel has kept thread `tid` of this process runnable but
/// off every CPU (the second field of its `schedstat`). `None` where the
/// kernel does not say.
fn runqueue_wait(tid: u64) -> Option<Duration> {
    if tid == 0 {
        return None;
    }
    let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/schedstat")).ok()?;
    parse_runqueue_wait(&stat)
}

fn parse_runqueue_wait(schedstat: &str) -> Option<Duration> {
    let waited = schedstat.split_whitespace().nth(1)?.parse().ok()?;
    Some(Duration::from_nanos(waited))
}

/// How long a poll has held its worker: the time since the monitor first
/// saw it, less the time the kernel kept the worker off the CPU meanwhile
/// (a loaded machine descheduling the worker is not the goroutine's doing;
/// a blocking call, waiting in the kernel, is).
fn held(seen_for: Duration, descheduled: Duration) -> Duration {
    seen_for.saturating_sub(descheduled)
}

fn monitor() {
    if let Some(hook) = MONITOR_STARTS.get() {
        hook();
    }
    let mut seen: Vec<Option<Seen>> = Vec::new();
    loop {
        let slots: Vec<&'static Slot> =
            SLOTS.lock().unwrap_or_else(PoisonError::into_inner).clone();
        seen.resize_with(slots.len(), || None);
        let mut period = Duration::from_millis(25);
        for (slot, seen) in slots.iter().zip(seen.iter_mut()) {
            if !slot.in_use.load(Ordering::Acquire) {
                *seen = None;
                continue;
            }
            let threshold = Duration::from_nanos(slot.threshold.load(Ordering::Relaxed));
            period = period.min(threshold / 4).max(Duration::from_millis(1));
            let seq = slot.seq.load(Ordering::Acquire);
            if seq % 4 != 2 {
                *seen = None;
                continue;
            }
            match seen {
                Some(s) if s.seq == seq => {
                    if s.reported {
                        continue;
                    }
                    let tid = slot.tid.load(std::sync::atomic::Ordering::Relaxed);
                    let Some(waited) = s.waited else {
                        // Seen twice: the poll may be long. Only now is the
                        // kernel's figure worth a read.
                        s.waited = Some(runqueue_wait(tid));
                        continue;
                    };
                    let seen_for = s.since.elapsed();
                    if seen_for < threshold {
                        continue;
                    }
                    let descheduled = match (waited, runqueue_wait(tid)) {
                        (Some(then), Some(now)) => now.saturating_sub(then),
                        _ => Duration::ZERO,
                    };
                    let held = held(seen_for, descheduled);
                    if held >= threshold {
                        s.reported = true;
                        if let Some((seq, polling)) = slot.read().filter(|(q, _)| *q == seq) {
                            report(slot, seq, &polling, held);
                        }
                    }
                }
                _ => {
                    *seen = Some(Seen {
                        seq,
                        since: Instant::now(),
                        waited: None,
                        reported: false,
                    });
                }
            }
        }
        std::thread::sleep(period);
    }
}

fn report(slot: &Slot, seq: u64, polling: &Polling, held: Duration) {
    let thread = slot
        .thread
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    let site = crate::event::site(polling.spawned_at);
    let who = match &polling.name {
        Some(name) => format!("goroutine {} [{name}]", polling.goroutine),
        None => format!("goroutine {}", polling.goroutine),
    };
    let millis = held.as_millis();
    tracing::warn!(
        target: "goro::watchdog",
        goroutine = polling.goroutine,
        name = polling.name.as_deref(),
        spawned_at = %site,
        blocked_ms = millis as u64,
        worker = %thread,
        "{who} spawned at {site} has held worker thread {thread} for {millis} ms without yielding; \
         run blocking calls with goro::blocking(|| ..) or goro::spawn_blocking, and let long \
         computations yield (goro::gosched().await), so the worker stays free"
    );
    if !tracing::dispatcher::has_been_set() {
        eprintln!(
            "goro: watchdog: {who} spawned at {site} has held worker thread {thread} for {millis} ms \
             without yielding; run blocking calls with goro::blocking(|| ..) or goro::spawn_blocking, \
             and let long computations yield (goro::gosched().await)"
        );
    }
    slot.flag(seq, crate::recorder::now(), held.as_nanos() as u64);
}

#[cfg(all(test, not(goro_loom)))]
mod tests {
    use super::*;

    /// A worker the kernel kept off the CPU for part of a poll has held it
    /// only for the rest: a loaded machine is not the goroutine's doing.
    #[test]
    fn time_off_the_cpu_does_not_count_as_holding_the_worker() {
        let threshold = Duration::from_millis(100);
        // 110 ms seen, 30 ms of them descheduled: 80 ms held, no report.
        assert!(held(Duration::from_millis(110), Duration::from_millis(30)) < threshold);
        // A blocking call waits in the kernel, not on the run queue: all of
        // it counts.
        assert!(held(Duration::from_millis(110), Duration::ZERO) >= threshold);
        assert_eq!(
            held(Duration::from_millis(10), Duration::from_millis(30)),
            Duration::ZERO
        );
    }

    #[test]
    fn the_kernel_says_how_long_a_thread_waited_for_a_cpu() {
        assert_eq!(
            parse_runqueue_wait("21510 195339 1\n"),
            Some(Duration::from_nanos(195_339))
        );
        assert_eq!(parse_runqueue_wait("garbage"), None);
        if std::path::Path::new("/proc/thread-self").exists() {
            let tid = current_tid().expect("a tid on Linux");
            assert!(runqueue_wait(tid).is_some(), "schedstat of thread {tid}");
        }
    }

    #[test]
    fn a_threshold_too_long_for_nanoseconds_is_the_longest() {
        // 18446744074 s is u64::MAX ns plus 290448385 ns: cut to 64 bits,
        // it was a threshold of 0.29 s.
        for threshold in [Duration::from_secs(18_446_744_074), Duration::MAX] {
            let slot = Slot::acquire(threshold);
            let nanos = slot.threshold.load(Ordering::Relaxed);
            slot.release();
            assert_eq!(nanos, u64::MAX, "{threshold:?}");
        }
        let slot = Slot::acquire(Duration::from_millis(250));
        let nanos = slot.threshold.load(Ordering::Relaxed);
        slot.release();
        assert_eq!(nanos, 250_000_000);
    }
}
