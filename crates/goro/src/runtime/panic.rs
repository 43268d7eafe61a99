//! Go's panic behaviour: an unrecovered panic in a goroutine prints
//! `panic: <message>` and where the goroutine was spawned, then ends the
//! process with exit status 2.
//!
//! A process-wide panic hook, installed when the first goro runtime starts,
//! tells panics inside goroutines that run under [`Panic::Exit`] apart from
//! all others. For those it stays silent (the goroutine's wrapper prints the
//! Go-style report once the panic has unwound to it) and records where the
//! panic happened; every other panic goes to the hook installed before.
//!
//! The hook also counts such panics "in flight", so that `run` does not race
//! a panicking goroutine to exit status 0 when main returns meanwhile. A panic
//! that the goroutine's own code catches is taken off the count when the poll
//! (or blocking call) it happened in returns normally.
//!
//! While a panic is in flight, no other goroutine starts a poll (`hold`): the
//! panicking goroutine's destructors run as it unwinds, and what they do
//! (a `Sender` dropped, closing its channel) must not let another goroutine
//! act on it before the process ends. The same holds once the main goroutine
//! has returned, for good.
//!
//! [`Panic::Exit`]: crate::Panic::Exit

use std::any::Any;
use std::backtrace::{Backtrace, BacktraceStatus};
use std::cell::{Cell, RefCell};
use std::io::Write;
use std::panic::Location;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use std::sync::OnceLock;

use super::{carriers, context};
use crate::goroutine::id::GoroutineId;
use crate::goroutine::join::message;
use crate::goroutine::site::{Running, Site};

/// Panics that started under `Panic::Exit` and were neither caught by user
/// code nor turned into an exit yet.
static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);
/// Set by the first goroutine that reports a panic and ends the process.
static EXITING: AtomicBool = AtomicBool::new(false);
/// Set when a goroutine has waited `IN_FLIGHT_GRACE` for the panics in
/// flight to settle (one was caught in a poll that goes on and on): polls
/// start again until none is in flight.
static HOLD_EXPIRED: AtomicBool = AtomicBool::new(false);
/// Goroutines that a panic in flight is relayed to (from a `blocking` call
/// they wait for): they still run, to resume it.
static RELAYED_TO: Mutex<Vec<GoroutineId>> = Mutex::new(Vec::new());

/// Where a panic happened, for the report.
pub(crate) struct PanicSite {
    /// Its message, to tell it from others of the same poll.
    message: String,
    location: Option<String>,
    backtrace: Backtrace,
}

thread_local! {
    /// Exit-policy panics that started on this thread and are still in flight.
    static STARTED_HERE: Cell<usize> = const { Cell::new(0) };
    /// Where the exit-policy panics in flight on this thread happened,
    /// oldest first: one caught in a poll stays until the poll returns, so
    /// a later uncaught one finds its own by its message.
    static SITE: RefCell<Vec<PanicSite>> = const { RefCell::new(Vec::new()) };
    /// The goroutine whose future's destructor that panic started in.
    static DROPPING: Cell<Option<Running>> = const { Cell::new(None) };
    /// The worker count of the runtime this thread is building, if any.
    static BUILDING: Cell<Option<usize>> = const { Cell::new(None) };
}

/// Runs `build`, Tokio's build of a runtime with `workers` worker threads.
/// Tokio panics there when the system refuses it a worker thread, and then
/// hangs in its own cleanup, waiting for the workers that did start: so a
/// panic inside ends the process with one line, from the hook.
pub(crate) fn building<R>(workers: usize, build: impl FnOnce() -> R) -> R {
    struct Unmark(Option<usize>);
    impl Drop for Unmark {
        fn drop(&mut self) {
            BUILDING.with(|b| b.set(self.0));
        }
    }
    let _unmark = Unmark(BUILDING.with(|b| b.replace(Some(workers))));
    build()
}

/// Installs the hook once. A thread that is already panicking cannot change
/// the hook; it leaves the job to the next call.
pub(crate) fn install_hook() {
    static INSTALLED: AtomicBool = AtomicBool::new(false);
    static LOCK: Mutex<()> = Mutex::new(());
    if INSTALLED.load(Ordering::Acquire) || std::thread::panicking() {
        return;
    }
    let _lock = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    if INSTALLED.load(Ordering::Acquire) {
        return;
    }
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if let Some(workers) = BUILDING.with(Cell::get) {
            let text = message(info.payload());
            let mut err = std::io::stderr().lock();
            let _ = match text.strip_prefix("OS can't spawn worker thread: ") {
                Some(os_error) => writeln!(
                    err,
                    "goro: could not start the runtime: the system refused to start \
                     {workers} worker threads: {os_error}; lower GOMAXPROCS or \
                     Builder::worker_threads"
                ),
                None => writeln!(err, "goro: could not start the runtime: {text}"),
            };
            let _ = err.flush();
            std::process::exit(2);
        }
        match context::in_exit_goroutine() {
            None => previous(info),
            // Main has returned: the program ends with status 0, and what
            // its abandoned goroutines do meanwhile (a destructor that
            // panics as they are dropped) changes nothing, nor is it
            // reported. The panic unwinds into Tokio, which drops it.
            Some(_) if context::runtime_has_ended() => {}
            // A panic escaping a destructor while another unwinds: the
            // process aborts, and only the standard hook says why.
            Some(_) if message(info.payload()) == "panic in a destructor during cleanup" => {
                previous(info)
            }
            // Nothing will catch it (panic = "abort"): report now.
            Some((running, dropping)) if cfg!(panic = "abort") => {
                report_from_hook(running, info);
                if dropping {
                    exit_process(2);
                }
            }
            Some((running, dropping)) => {
                IN_FLIGHT.fetch_add(1, Ordering::SeqCst);
                carriers::hold_more(1);
                STARTED_HERE.with(|n| n.set(n.get() + 1));
                let site = PanicSite {
                    message: message(info.payload()).to_owned(),
                    location: info.location().map(|l| l.to_string()),
                    backtrace: Backtrace::capture(),
                };
                SITE.with(|s| s.borrow_mut().push(site));
                // A destructor of the goroutine's future: the poll wrapper
                // is not on the stack, the carrier's drop of the future is
                // (`drop_panicked`), unless the destructor catches it.
                if dropping {
                    DROPPING.with(|d| d.set(Some(running)));
                }
            }
        }
    }));
    INSTALLED.store(true, Ordering::Release);
}

/// A goroutine's future was dropped without a panic escaping: one that
/// started in a destructor was caught there.
#[inline(always)]
pub(crate) fn dropped_normally() {
    if IN_FLIGHT.load(Ordering::Relaxed) != 0 {
        DROPPING.with(|d| d.set(None));
        settle_caught();
    }
}

/// A panic escaped a goroutine's future as it was dropped: under
/// `Panic::Exit`, report it as that goroutine's and end the process;
/// otherwise (or once main has returned) let it unwind on.
pub(crate) fn drop_panicked(payload: Box<dyn Any + Send>) -> ! {
    exit_if_dropping(&*payload);
    std::panic::resume_unwind(payload)
}

/// If `payload` escaped a goroutine's future as it was dropped under
/// `Panic::Exit` (and main has not returned), reports it as that
/// goroutine's and ends the process.
pub(crate) fn exit_if_dropping(payload: &(dyn Any + Send)) {
    if let Some(running) = DROPPING.with(|d| d.take()) {
        if !context::runtime_has_ended() {
            let site = take_site(payload);
            report_and_exit(running.id, None, running.spawned_at, payload, site)
        }
    }
}

/// Called when a guarded poll or call returned normally: an exit-policy
/// panic that started during it was caught by the goroutine's own code.
#[inline(always)]
pub(crate) fn returned_normally() {
    if IN_FLIGHT.load(Ordering::Relaxed) != 0 {
        settle_caught();
    }
}

#[cold]
#[inline(never)]
fn settle_caught() {
    let caught = STARTED_HERE.with(|n| n.replace(0));
    if caught != 0 {
        settled(caught);
        SITE.with(|s| s.borrow_mut().clear());
    }
}

/// `n` panics in flight are settled (caught, or ignored).
fn settled(n: usize) {
    if IN_FLIGHT.fetch_sub(n, Ordering::SeqCst) == n {
        HOLD_EXPIRED.store(false, Ordering::SeqCst);
    }
    carriers::hold_less(n);
}

/// Whether a goroutine about to be polled must wait or not run: a panic is
/// in flight, or some runtime's main goroutine has returned.
#[inline(always)]
pub(crate) fn may_hold() -> bool {
    carriers::may_hold()
}

/// Called before goroutine `running` is polled when `may_hold`: waits while
/// a panic is in flight (for at most `IN_FLIGHT_GRACE`, and not if the
/// panic is being relayed to this goroutine), and returns `true` if the
/// goroutine must not run at all, its runtime's main goroutine having
/// returned.
#[cold]
#[inline(never)]
pub(crate) fn hold(running: Running) -> bool {
    let ended = || running.id != GoroutineId::MAIN && context::main_has_returned();
    if ended() {
        return true;
    }
    let mut waited = 0u32;
    let mut deadline = None;
    while IN_FLIGHT.load(Ordering::SeqCst) != 0 && !HOLD_EXPIRED.load(Ordering::SeqCst) {
        if relayed_to(running.id) {
            return false;
        }
        if EXITING.load(Ordering::SeqCst) {
            // The process ends: nothing else runs meanwhile.
            loop {
                std::thread::park();
            }
        }
        if ended() {
            return true;
        }
        waited += 1;
        if waited < 64 {
            std::thread::yield_now();
            continue;
        }
        let deadline = *deadline.get_or_insert_with(|| Instant::now() + IN_FLIGHT_GRACE);
        if Instant::now() >= deadline {
            HOLD_EXPIRED.store(true, Ordering::SeqCst);
            break;
        }
        std::thread::sleep(Duration::from_micros(100));
    }
    ended()
}

fn relayed_to(id: GoroutineId) -> bool {
    RELAYED_TO
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .contains(&id)
}

fn relay_to(id: GoroutineId, add: bool) {
    let mut list = RELAYED_TO.lock().unwrap_or_else(|e| e.into_inner());
    if add {
        list.push(id);
    } else if let Some(i) = list.iter().position(|&other| other == id) {
        list.swap_remove(i);
    }
}

/// Called by `run` when the main goroutine has returned. If another
/// goroutine is unwinding towards a Go-style exit, its panic began first and
/// wins: wait for it to end the process. If user code catches the panic
/// instead, return. A caught panic is only known to be caught when the poll
/// that caught it returns, which may be never: so after `IN_FLIGHT_GRACE`
/// main's return wins, as it would in Go against a goroutine still running
/// its deferred calls.
pub(crate) fn settle_in_flight() {
    let deadline = Instant::now() + IN_FLIGHT_GRACE;
    while IN_FLIGHT.load(Ordering::SeqCst) != 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// How long main's return waits for a panic in flight elsewhere: far more
/// than unwinding takes, short enough not to hold a program's exit.
const IN_FLIGHT_GRACE: Duration = Duration::from_secs(1);

/// A panic of a `goro::blocking` closure on its way back to the goroutine
/// that called it, where it resumes (the count in flight moves with it).
pub(crate) struct Relay {
    payload: Option<Box<dyn Any + Send>>,
    site: Option<PanicSite>,
    counted: bool,
    /// The goroutine the call belongs to.
    caller: Option<Running>,
}

impl Relay {
    /// On the blocking thread, right after catching `payload`, a panic of a
    /// call that goroutine `caller` made.
    pub(crate) fn catch(payload: Box<dyn Any + Send>, caller: Option<Running>) -> Relay {
        let counted = STARTED_HERE.with(|n| {
            let was = n.get();
            n.set(was.saturating_sub(1));
            was != 0
        });
        if let (true, Some(caller)) = (counted, caller) {
            relay_to(caller.id, true);
        }
        Relay {
            site: take_site(&*payload),
            payload: Some(payload),
            counted,
            caller,
        }
    }

    /// In the calling goroutine: resume the panic as if it happened here.
    pub(crate) fn resume(mut self) -> ! {
        if self.counted {
            STARTED_HERE.with(|n| n.set(n.get() + 1));
            self.counted = false;
            if let Some(caller) = self.caller {
                relay_to(caller.id, false);
            }
        }
        if let Some(site) = self.site.take() {
            SITE.with(|s| s.borrow_mut().push(site));
        }
        let payload = self.payload.take().expect("a relayed panic resumes once");
        std::panic::resume_unwind(payload)
    }
}

impl Drop for Relay {
    /// Nobody waits for the call any more (the calling goroutine stopped
    /// waiting, or was cancelled): under `Panic::Exit` its panic is still
    /// the goroutine's, and uncaught, so it ends the process as one would;
    /// once main has returned, nothing is reported.
    fn drop(&mut self) {
        if !self.counted {
            return;
        }
        let (Some(payload), Some(caller)) = (self.payload.take(), self.caller) else {
            settled(1);
            return;
        };
        relay_to(caller.id, false);
        if context::runtime_has_ended() {
            settled(1);
            return;
        }
        report_and_exit(
            caller.id,
            None,
            caller.spawned_at,
            &*payload,
            self.site.take(),
        )
    }
}

/// Claims the right to end the process; a second claimant waits for the
/// first to do so.
fn claim_exit() {
    if EXITING.swap(true, Ordering::SeqCst) {
        loop {
            std::thread::park();
        }
    }
}

/// The report when the panic cannot unwind to the goroutine's wrapper.
fn report_from_hook(running: Running, info: &std::panic::PanicHookInfo<'_>) {
    claim_exit();
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "panic: {}\n", message(info.payload()));
    let _ = write_goroutine(&mut err, running.id, None, running.spawned_at);
    if let Some(location) = info.location() {
        let _ = writeln!(err, "    panicked at {location}");
    }
    let _ = err.flush();
}

/// Takes the sites of the panics in flight on this thread, and returns
/// `payload`'s: the newest with its message (the newest of all if none
/// has it).
fn take_site(payload: &(dyn Any + Send)) -> Option<PanicSite> {
    let mut sites = SITE.with(|s| std::mem::take(&mut *s.borrow_mut()));
    let text = message(payload);
    let i = sites
        .iter()
        .rposition(|site| site.message == text)
        .or_else(|| sites.len().checked_sub(1))?;
    Some(sites.swap_remove(i))
}

/// Prints Go's panic report for the goroutine `site` and ends the process
/// with status 2. If another goroutine is already doing so, waits for it.
pub(crate) fn exit<S: Site>(goroutine: &S, payload: Box<dyn Any + Send>) -> ! {
    if context::runtime_has_ended() {
        // Main has returned (see the hook): no report, no exit status.
        std::panic::resume_unwind(payload);
    }
    let site = take_site(&*payload);
    report_and_exit(
        goroutine.id(),
        goroutine.name(),
        goroutine.spawned_at(),
        &*payload,
        site,
    )
}

/// Prints Go's panic report for goroutine `id` and ends the process with
/// status 2. If another goroutine is already doing so, waits for it.
fn report_and_exit(
    id: GoroutineId,
    name: Option<&str>,
    spawned_at: &Location<'_>,
    payload: &(dyn Any + Send),
    site: Option<PanicSite>,
) -> ! {
    claim_exit();
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "panic: {}\n", message(payload));
    let _ = write_goroutine(&mut err, id, name, spawned_at);
    if let Some(site) = site {
        if let Some(location) = site.location {
            let _ = writeln!(err, "    panicked at {location}");
        }
        if site.backtrace.status() == BacktraceStatus::Captured {
            let _ = writeln!(err, "{}", site.backtrace);
        }
    }
    let _ = err.flush();
    drop(err);
    exit_process(2)
}

/// `goroutine <id> [<name>] spawned at <file>:<line>`
fn write_goroutine(
    out: &mut impl Write,
    id: GoroutineId,
    name: Option<&str>,
    at: &Location<'_>,
) -> std::io::Result<()> {
    write!(out, "goroutine {id}")?;
    if let Some(name) = name {
        write!(out, " [{name}]")?;
    }
    writeln!(out, " spawned at {}:{}", at.file(), at.line())
}

/// What runs before the process exits on a panic (or on another exit that
/// goro makes for the program): set once, by the first add-on that asks
/// (the trace session, which writes its recording).
static EXIT_HOOK: OnceLock<fn()> = OnceLock::new();

/// Registers `hook` to run before goro ends the process; `false` if a
/// hook is registered already.
// Unused in a build without an add-on that needs it.
#[allow(dead_code)]
pub(crate) fn set_exit_hook(hook: fn()) -> bool {
    EXIT_HOOK.set(hook).is_ok()
}

/// Prints `text` to stderr, then ends the process with status 2 (the
/// exit hook runs): a fatal report, such as SIGQUIT's or a deadlock's.
pub(crate) fn print_and_exit(text: impl std::fmt::Display) -> ! {
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "{text}");
    let _ = err.flush();
    drop(err);
    exit_process(2)
}

/// Runs the exit hook, then ends the process with `status`.
pub(crate) fn exit_process(status: i32) -> ! {
    if let Some(hook) = EXIT_HOOK.get() {
        hook();
    }
    std::process::exit(status)
}
