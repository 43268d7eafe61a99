//! The deadlock report: Go's `fatal error: all goroutines are asleep -
//! deadlock!`, for goroutines stuck on goro's own primitives, and never for
//! one that something may still wake.
//!
//! A thread of its own (`goro-deadlock`, one per process, started with the
//! first runtime that reports) looks every `TICK` at every goro runtime of
//! the process. It reports when, at two looks in a row, every runtime is at
//! rest:
//!
//! - every worker is parked, no blocking-pool thread is alive, and no
//!   worker woke up between the looks (nor was a main goroutine on the
//!   calling thread polled);
//! - Tokio has no task but goro's carriers (nothing spawned with
//!   `tokio::spawn`, which may wake a goroutine), and none waits in its
//!   global queue (woken from outside the workers, by a thread that may
//!   have ended since); a main goroutine on the calling thread is not
//!   woken and waiting for its thread to poll it;
//! - every goroutine, main included, waits on a channel, a `select!`
//!   without `default` or a `WaitGroup`, with nothing else kept its waker
//!   in the poll that made it wait (`util::watched`): no sleep, timer,
//!   socket, `tokio::sync` lock or JoinHandle, and the same goroutines in
//!   the same states at both looks;
//! - every thread of the process is goro's (`runtime::threads`): a thread
//!   the program started may send on a channel later;
//! - no goro timer is armed (`runtime::timers`): one may send on a channel
//!   or start a goroutine later.
//!
//! Then nothing can run again: a goroutine runs only when woken, and all
//! that can wake one (another goroutine, a timer, a socket, a Tokio task, a
//! thread) is ruled out. Runtimes that do not report still count.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use tokio::runtime::Handle;

use crate::runtime::carriers::Carriers;
use crate::runtime::status::Glance;
use crate::runtime::{panic, threads, timers};

/// How often the checker looks while some runtime reports.
const TICK: Duration = Duration::from_millis(100);

/// How much longer than a look takes the checker waits before the next,
/// so that looking at many goroutines costs a small share of one core.
const LOOK_SHARE: u32 = 20;

/// What a runtime does on a deadlock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OnDeadlock {
    /// Look, but report nothing (`Builder::deadlock_report(false)`).
    Ignore,
    /// Print the report and exit with status 2, as Go does.
    Exit,
    /// Make `run` panic with the report (`#[goro::test]`).
    Panic,
}

/// A runtime the checker looks at, while it runs.
pub(crate) struct Watched {
    carriers: Arc<Carriers>,
    tokio: Handle,
    /// Whether it has a main goroutine (all but the process-wide runtime
    /// of goroutines started outside any).
    has_main: bool,
    on_deadlock: OnDeadlock,
    /// The report, once made (`OnDeadlock::Panic`), and who waits for it.
    found: Mutex<(Option<String>, Option<Waker>)>,
}

/// The runtimes that are running, and a signal for the checker when one
/// starts.
static WATCHED: Mutex<Vec<Arc<Watched>>> = Mutex::new(Vec::new());
static STARTED: Condvar = Condvar::new();
/// How many looks the checker has taken, for tests that must know it
/// looked while a program was in a given state.
static LOOKS: AtomicU64 = AtomicU64::new(0);

/// How many looks the checker has taken.
pub(crate) fn looks() -> u64 {
    LOOKS.load(Ordering::SeqCst)
}

/// Whether the checker thread was started.
static CHECKER: Mutex<bool> = Mutex::new(false);

fn watched() -> MutexGuard<'static, Vec<Arc<Watched>>> {
    WATCHED.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Lists a runtime for the checker until dropped.
pub(crate) struct Watch(Arc<Watched>);

impl Watch {
    pub(crate) fn new(
        carriers: &Arc<Carriers>,
        tokio: Handle,
        has_main: bool,
        on_deadlock: OnDeadlock,
    ) -> Watch {
        let runtime = Arc::new(Watched {
            carriers: carriers.clone(),
            tokio,
            has_main,
            on_deadlock,
            found: Mutex::new((None, None)),
        });
        watched().push(runtime.clone());
        if on_deadlock != OnDeadlock::Ignore {
            start_checker();
            STARTED.notify_all();
        }
        Watch(runtime)
    }

    /// Resolves to the report once the checker finds the runtime
    /// deadlocked, under `OnDeadlock::Panic`; never otherwise (and then
    /// costs no lock: a main on the calling thread polls it at each poll).
    pub(crate) fn poll_found(&self, cx: &mut Context<'_>) -> Poll<String> {
        if self.0.on_deadlock != OnDeadlock::Panic {
            return Poll::Pending;
        }
        let mut found = self.0.found.lock().unwrap_or_else(PoisonError::into_inner);
        match found.0.take() {
            Some(report) => Poll::Ready(report),
            None => {
                match &mut found.1 {
                    Some(waker) => waker.clone_from(cx.waker()),
                    none => *none = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        watched().retain(|runtime| !Arc::ptr_eq(runtime, &self.0));
    }
}

fn start_checker() {
    let mut started = CHECKER.lock().unwrap_or_else(PoisonError::into_inner);
    if *started {
        return;
    }
    let spawned = std::thread::Builder::new()
        .name("goro-deadlock".into())
        .stack_size(256 * 1024)
        .spawn(check_forever);
    match spawned {
        Ok(_) => *started = true,
        Err(err) => eprintln!("goro: could not start the deadlock checker: {err}"),
    }
}

fn check_forever() {
    threads::enter();
    let mut previous: Option<Vec<Rest>> = None;
    let mut wait = TICK;
    loop {
        {
            let mut runtimes = watched();
            while !runtimes
                .iter()
                .any(|runtime| runtime.on_deadlock != OnDeadlock::Ignore)
            {
                previous = None;
                runtimes = STARTED
                    .wait(runtimes)
                    .unwrap_or_else(PoisonError::into_inner);
            }
        }
        std::thread::sleep(wait);
        let runtimes: Vec<Arc<Watched>> = watched().clone();
        let start = Instant::now();
        let rest = look(&runtimes);
        LOOKS.fetch_add(1, Ordering::SeqCst);
        wait = TICK.max(start.elapsed() * LOOK_SHARE);
        match (rest, previous.take()) {
            (Some(now), Some(before)) if now == before => {
                report(&runtimes);
                previous = None;
            }
            (now, _) => previous = now,
        }
    }
}

/// What one look saw of a runtime at rest.
#[derive(PartialEq, Eq)]
struct Rest {
    /// The runtime's address, to tell runtimes apart.
    runtime: usize,
    activity: u64,
    goroutines: usize,
    digest: u64,
}

/// Every runtime's rest, if all are at rest and every thread of the
/// process is known.
fn look(runtimes: &[Arc<Watched>]) -> Option<Vec<Rest>> {
    let mut rests = Vec::with_capacity(runtimes.len());
    for runtime in runtimes {
        rests.push(at_rest(runtime)?);
    }
    // A runtime that ended may still run code on its threads; they stay
    // known until they stop. An armed timer may still send on a channel.
    (!Carriers::ended_runtimes_run() && threads::all_known() && !timers::alarms_armed())
        .then_some(rests)
}

fn at_rest(runtime: &Arc<Watched>) -> Option<Rest> {
    let carriers = &runtime.carriers;
    if carriers.has_main_returned() {
        return None;
    }
    let activity = carriers.at_rest()?;
    // Tokio counts carriers among its tasks: any other task may wake one.
    let metrics = runtime.tokio.metrics();
    if metrics.num_alive_tasks() != carriers.carrier_tasks() {
        return None;
    }
    // A goroutine woken from outside the workers (a thread that sent and
    // ended, another runtime's worker) waits in the runtime's global queue
    // until a worker takes it, however long the woken worker takes to run.
    if metrics.global_queue_depth() > 0 {
        return None;
    }
    let mut goroutines = 0;
    let mut digest = 0u64;
    let all = carriers.each_host(|host| match host.status().glance() {
        Glance::Empty => true,
        Glance::Changing => false,
        Glance::Goroutine(id, state) => {
            goroutines += 1;
            digest = digest.rotate_left(5) ^ id.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ state.bits();
            state.is_goro_wait()
        }
    })?;
    // Looked again after the statuses: nothing ran meanwhile.
    (all && (goroutines > 0 || !runtime.has_main) && carriers.at_rest() == Some(activity))
        .then_some(Rest {
            runtime: Arc::as_ptr(runtime) as usize,
            activity,
            goroutines,
            digest,
        })
}

/// Reports the deadlock for each runtime that reports.
fn report(runtimes: &[Arc<Watched>]) {
    for runtime in runtimes {
        if runtime.on_deadlock == OnDeadlock::Ignore {
            continue;
        }
        let mut report = String::from("all goroutines are asleep - deadlock!\n\n");
        let _ = write!(
            report,
            "{}",
            crate::dump::dump_of(std::slice::from_ref(&runtime.carriers))
        );
        match runtime.on_deadlock {
            OnDeadlock::Exit => panic::print_and_exit(format_args!("fatal error: {report}")),
            OnDeadlock::Panic => {
                let waker = {
                    let mut found = runtime.found.lock().unwrap_or_else(PoisonError::into_inner);
                    found.0 = Some(report);
                    found.1.take()
                };
                if let Some(waker) = waker {
                    waker.wake();
                }
            }
            OnDeadlock::Ignore => {}
        }
    }
}
