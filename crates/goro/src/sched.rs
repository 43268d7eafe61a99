//! Go's runtime functions: `gomaxprocs`, `num_goroutine`, `gosched`, and
//! the current goroutine's `id`.

use crate::goroutine::id::GoroutineId;
use crate::runtime::context;
use crate::runtime::metrics::Metrics;
use crate::runtime::poll::Waits;
use crate::runtime::status::{kind, Word};
use crate::spawn::runtime;

/// The number of worker threads that run goroutines at once: Go's
/// `runtime.GOMAXPROCS(0)`.
///
/// Inside a runtime, its worker count; outside any, the process-wide
/// runtime's (which starts on first use).
///
/// # Examples
///
/// ```
/// goro::Builder::new().worker_threads(3).run(async {
///     assert_eq!(goro::gomaxprocs(), 3);
/// });
/// ```
pub fn gomaxprocs() -> usize {
    runtime().0.metrics().num_workers()
}

/// The number of goroutines alive in the current runtime, the main goroutine
/// included: Go's `runtime.NumGoroutine()`.
///
/// Goroutines that have finished but whose result nobody collected do not
/// count. A [`spawn_blocking`](crate::spawn_blocking) goroutine started
/// inside a goro runtime counts until its closure returns, as Go counts a
/// goroutine in a system call (one started from outside any runtime does
/// not); a [`blocking`](crate::blocking) call is part of its caller and adds
/// none.
///
/// # Examples
///
/// ```
/// goro::run(async {
///     assert_eq!(goro::num_goroutine(), 1);
///     let (tx, rx) = tokio::sync::oneshot::channel::<()>();
///     let parked = goro::go!(async move { rx.await.ok() });
///     assert_eq!(goro::num_goroutine(), 2);
///     drop(tx);
///     parked.await.unwrap();
/// });
/// ```
pub fn num_goroutine() -> usize {
    let (handle, flags, carriers) = runtime();
    let tasks = || handle.metrics().num_alive_tasks();
    let goroutines = match carriers {
        Some(carriers) => carriers.goroutines(tasks),
        None => tasks(),
    };
    goroutines + usize::from(flags.has_main())
}

/// A snapshot of the current runtime's figures at the goroutine level:
/// goroutines alive, started and ended, panics, blocking calls, workers and
/// their polls and busy time, carriers; see [`Metrics`].
///
/// `GORO_SCHEDTRACE=1s` in the environment prints the same figures to
/// stderr every second (as Go's `GODEBUG=schedtrace=1000`), totals as
/// their growth since the line before and each worker's busy share:
///
/// ```text
/// goro: 1000ms: workers=2 idle=0 threads=17 goroutines=12 runqueue=2 blocking=4 queued=1 spawned=+7458 ended=+7456 panics=+0 polls=+18606 busy=[40% 41%] carriers=13 idle_carriers=1
/// ```
///
/// Inside a runtime, its figures; outside any, the process-wide runtime's
/// (which starts on first use). It reads counters the runtime keeps anyway
/// and locks nothing a goroutine needs: a few hundred nanoseconds, plus a
/// little per thread of the runtime. Call it as often as you export.
///
/// # Examples
///
/// ```
/// goro::run(async {
///     let workers: Vec<_> = (0..10).map(|i| goro::go!(async move { i })).collect();
///     for worker in workers {
///         worker.await.unwrap();
///     }
///     let metrics = goro::metrics();
///     assert_eq!(metrics.spawned, 11); // main and ten
///     assert_eq!(metrics.ended, 10);
///     assert_eq!(metrics.goroutines, goro::num_goroutine());
///     assert_eq!(metrics.workers, goro::gomaxprocs());
/// });
/// ```
///
/// Exporting them once a second, from a goroutine of its own:
///
/// ```no_run
/// goro::run(async {
///     goro::go!(async {
///         let tick = goro::time::tick(std::time::Duration::from_secs(1));
///         while tick.recv().await.is_some() {
///             let m = goro::metrics();
///             println!("goroutines={} spawned={} blocking={}", m.goroutines, m.spawned, m.blocking_running);
///         }
///     });
///     // ... the program's work
/// });
/// ```
pub fn metrics() -> Metrics {
    let (handle, flags, carriers) = runtime();
    Metrics::read(&handle, flags, carriers.as_deref())
}

/// Yields the worker thread, letting other goroutines run: Go's
/// `runtime.Gosched()`.
///
/// # Examples
///
/// ```
/// goro::run(async {
///     goro::gosched().await;
/// });
/// ```
pub async fn gosched() {
    Waits::new(Word::of(kind::RUNNABLE), tokio::task::yield_now()).await;
}

/// Returns the id of the goroutine running this code, or `None` outside any
/// goroutine (a plain thread, or a Tokio task not started through goro).
///
/// # Examples
///
/// ```
/// assert_eq!(goro::id(), None);
/// goro::run(async {
///     assert_eq!(goro::id(), Some(goro::GoroutineId::MAIN));
/// });
/// ```
pub fn id() -> Option<GoroutineId> {
    context::current()
}
