//! The two runtimes the benches compare, configured alike: multi-threaded,
//! `WORKERS` worker threads, IO and time drivers on. Each runs a driver
//! future as a spawned task (so that it runs on a worker, not on the
//! `block_on` thread) and returns its output.

use std::future::Future;

/// Worker threads of both runtimes.
pub(crate) const WORKERS: usize = 2;

/// Runs `driver` as a task spawned on a fresh Tokio runtime.
pub(crate) fn on_tokio<F>(driver: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKERS)
        .enable_all()
        .build()
        .expect("build the Tokio runtime");
    let output = runtime.block_on(async { tokio::spawn(driver).await.expect("driver task") });
    // As goro::run does: do not wait for the worker threads to stop.
    runtime.shutdown_background();
    output
}

/// Runs `driver` as a goroutine spawned on a fresh goro runtime.
pub(crate) fn on_goro<F>(driver: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    goro::Builder::new()
        .worker_threads(WORKERS)
        .run(async { goro::spawn(driver).await.expect("driver goroutine") })
}
