//! Go's runtime functions: `gomaxprocs`, `num_goroutine`, `gosched`, and
//! the current goroutine's `id`.

use crate::goroutine::id::GoroutineId;
use crate::runtime::context;
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
/// count. Blocking calls on the blocking pool do not count either.
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
