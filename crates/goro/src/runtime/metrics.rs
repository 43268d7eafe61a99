//! `Metrics`: a runtime's figures at the goroutine level, read from the
//! counts its threads keep (`carriers::Stripe`) and from Tokio's stable
//! metrics, without stopping anything.

use std::time::Duration;

use tokio::runtime::Handle;

use super::carriers::Carriers;
use super::context::Flags;

/// A snapshot of a runtime's figures at the goroutine level, as
/// [`goro::metrics()`](crate::metrics) reads them: the numbers to export
/// (to Prometheus, OpenTelemetry, a log line), Go's `runtime/metrics` for
/// goroutines.
///
/// Totals (`spawned`, `ended`, `panics`, `polls`, each worker's `polls`,
/// `busy` and `parks`) only grow: export them as counters, and the rest as
/// gauges. Each figure is read on its own, without stopping the runtime, so
/// two figures may be a few goroutines apart; `goroutines` is always
/// [`goro::num_goroutine()`](crate::num_goroutine).
///
/// `spawned`, `ended` and `panics` count the goroutines started on the
/// runtime's own threads (by its goroutines and blocking calls, and `run`'s
/// main). A goroutine started from a thread outside any runtime runs on the
/// process-wide runtime as a Tokio task of its own: it counts in
/// `goroutines` while it lives, not in those totals.
///
/// Inside a Tokio runtime that goro did not start, only `goroutines` (its
/// tasks), `workers` and `global_queue` are known; the rest are zero.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Metrics {
    /// Goroutines alive now, main included: what
    /// [`num_goroutine`](crate::num_goroutine) returns.
    pub goroutines: usize,
    /// Goroutines started since the runtime started, main included.
    pub spawned: u64,
    /// Goroutines that ended since the runtime started (completed,
    /// panicked or aborted).
    pub ended: u64,
    /// Goroutines that panicked and were isolated
    /// ([`Panic::Isolate`](crate::Panic::Isolate)); under the default
    /// [`Panic::Exit`](crate::Panic::Exit) the first panic ends the process.
    pub panics: u64,
    /// Blocking calls ([`blocking`](crate::blocking) and
    /// [`spawn_blocking`](crate::spawn_blocking) closures) running on the
    /// blocking pool now.
    pub blocking_running: u64,
    /// Blocking calls waiting for a thread of the blocking pool.
    pub blocking_queued: u64,
    /// Threads of the blocking pool alive now, busy or idle (Tokio keeps
    /// an idle one for ten seconds).
    pub blocking_threads: usize,
    /// Worker threads: [`gomaxprocs`](crate::gomaxprocs).
    pub workers: usize,
    /// Workers parked now, with nothing to run.
    pub idle_workers: usize,
    /// Goroutines in the runtime's global queue, waiting for a worker to
    /// take them (Go's `runqueue`; each worker's own queue is not counted).
    pub global_queue: usize,
    /// Goroutine polls since the runtime started, all threads together.
    /// Each worker adds its polls every 64 polls and whenever it parks, so
    /// a busy worker's latest few are not in yet.
    pub polls: u64,
    /// Each worker's figures, by thread number. A worker is listed once it
    /// has parked or woken up once, which every worker does soon after the
    /// runtime starts.
    pub per_worker: Vec<WorkerMetrics>,
    /// Carrier tasks alive: the Tokio tasks that host goroutines, which
    /// outlive them to host the next. An implementation figure, for
    /// comparing with Tokio's own task metrics.
    pub carriers: usize,
    /// Carriers hosting no goroutine now, kept for the next one.
    pub idle_carriers: usize,
}

/// One worker thread's figures in [`Metrics`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WorkerMetrics {
    /// The worker's thread number in its runtime, as
    /// [`State::Running`](crate::State::Running) names it.
    pub thread: u32,
    /// Goroutine polls it ran.
    pub polls: u64,
    /// Time it spent awake (running goroutines, or looking for them),
    /// since the runtime started.
    pub busy: Duration,
    /// Times it parked for want of work.
    pub parks: u64,
    /// Whether it is parked now.
    pub parked: bool,
}

impl Metrics {
    /// Reads the figures of the runtime of `handle`, a goro runtime if
    /// `carriers` is given.
    pub(crate) fn read(handle: &Handle, flags: Flags, carriers: Option<&Carriers>) -> Metrics {
        let tokio = handle.metrics();
        let Some(carriers) = carriers else {
            return Metrics {
                goroutines: tokio.num_alive_tasks(),
                workers: tokio.num_workers(),
                global_queue: tokio.global_queue_depth(),
                ..Metrics::default()
            };
        };
        let on_caller = u64::from(flags.has_main());
        let totals = carriers.totals();
        let others = carriers.other_tasks(|| tokio.num_alive_tasks());
        let hosted = totals.started.saturating_sub(totals.ended);
        let (blocking_running, blocking_queued) = carriers.blocking_calls();
        let workers = tokio.num_workers();
        let carrier_tasks = carriers.carrier_tasks();
        Metrics {
            goroutines: to_usize(hosted + on_caller).saturating_add(others),
            spawned: totals.started + on_caller,
            ended: totals.ended,
            panics: carriers.panics(),
            blocking_running,
            blocking_queued,
            blocking_threads: carriers.threads_alive().saturating_sub(workers),
            workers,
            idle_workers: carriers.parked_workers().min(workers),
            global_queue: tokio.global_queue_depth(),
            polls: totals.polls,
            per_worker: totals
                .workers
                .iter()
                .map(|w| WorkerMetrics {
                    thread: w.thread,
                    polls: w.polls,
                    busy: Duration::from_nanos(w.busy_nanos),
                    parks: w.parks,
                    parked: w.parked,
                })
                .collect(),
            carriers: carrier_tasks,
            // Every carrier that is not idle hosts one goroutine; the
            // spawn_blocking ones have none.
            idle_carriers: carrier_tasks
                .saturating_sub(to_usize(hosted.saturating_sub(carriers.on_pool()))),
        }
    }
}

fn to_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}
