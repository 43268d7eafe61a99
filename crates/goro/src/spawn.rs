//! Starting goroutines: `spawn`, `spawn_blocking`, `blocking` and the
//! `Goroutine` builder for named ones.

use std::future::Future;
use std::panic::{resume_unwind, Location};
use std::sync::Arc;

use crate::context;
use crate::join::JoinHandle;
use crate::task::{self, Meta, Task};

/// Starts a goroutine running `future` and returns its handle at once.
///
/// Works inside a goro runtime, inside any Tokio runtime (as a drop-in for
/// `tokio::spawn`, with Tokio's panic behaviour there) and outside any
/// runtime, where a process-wide goro runtime starts on first use.
/// [`go!`](crate::go!) is the usual way to call it.
///
/// # Examples
///
/// ```
/// goro::run(async {
///     let handle = goro::spawn(async { "hello from a goroutine" });
///     assert_eq!(handle.await.unwrap(), "hello from a goroutine");
/// });
/// ```
///
/// The future must be `Send`, since goroutines move between worker threads:
///
/// ```compile_fail
/// goro::run(async {
///     let not_send = std::rc::Rc::new(1);
///     goro::spawn(async move { drop(not_send) });
/// });
/// ```
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    spawn_at(future, None, Location::caller())
}

/// Starts a goroutine that runs the blocking closure `f` on the blocking
/// pool, never on a worker thread, and returns its handle at once.
///
/// # Examples
///
/// ```
/// goro::run(async {
///     let handle = goro::spawn_blocking(|| std::fs::metadata("/").is_ok());
///     assert!(handle.await.unwrap());
/// });
/// ```
#[track_caller]
pub fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    spawn_blocking_at(f, None, Location::caller())
}

/// Runs the blocking closure `f` on the blocking pool and waits for it,
/// leaving the worker thread free for other goroutines meanwhile.
///
/// The closure starts when the returned future is first polled. Dropping the
/// future before it completes does not stop a call that has started; its
/// result is dropped. Under [`Panic::Isolate`](crate::Panic::Isolate) a panic
/// in `f` resumes in the caller; under [`Panic::Exit`](crate::Panic::Exit) it
/// ends the program, as any goroutine's panic does.
///
/// # Examples
///
/// ```
/// goro::run(async {
///     let n = goro::blocking(|| {
///         std::thread::sleep(std::time::Duration::from_millis(1));
///         7
///     })
///     .await;
///     assert_eq!(n, 7);
/// });
/// ```
#[track_caller]
pub fn blocking<F, R>(f: F) -> impl Future<Output = R> + Send + 'static
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let at = Location::caller();
    async move {
        match spawn_blocking_at(f, None, at).await {
            Ok(value) => value,
            Err(err) => match err.try_into_panic() {
                Ok(payload) => resume_unwind(payload),
                Err(cancelled) => panic!("goro::blocking: {cancelled}: the runtime shut down"),
            },
        }
    }
}

/// A builder for goroutines with a name, which traces and panic reports show.
///
/// # Examples
///
/// ```
/// goro::run(async {
///     let acceptor = goro::Goroutine::new().name("acceptor").spawn(async { 1 });
///     assert_eq!(acceptor.await.unwrap(), 1);
/// });
/// ```
#[derive(Clone, Debug, Default)]
#[must_use = "a Goroutine builder does nothing until `spawn` or `spawn_blocking` is called"]
pub struct Goroutine {
    name: Option<Arc<str>>,
}

impl Goroutine {
    /// A builder for an unnamed goroutine.
    pub fn new() -> Goroutine {
        Goroutine::default()
    }

    /// Names the goroutine.
    pub fn name(mut self, name: impl AsRef<str>) -> Goroutine {
        self.name = Some(Arc::from(name.as_ref()));
        self
    }

    /// Starts the goroutine running `future`; see [`spawn`](crate::spawn).
    #[track_caller]
    pub fn spawn<F>(self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        spawn_at(future, self.name, Location::caller())
    }

    /// Starts the goroutine running the blocking closure `f` on the blocking
    /// pool; see [`spawn_blocking`](crate::spawn_blocking).
    #[track_caller]
    pub fn spawn_blocking<F, R>(self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        spawn_blocking_at(f, self.name, Location::caller())
    }
}

pub(crate) fn spawn_at<F>(
    future: F,
    name: Option<Arc<str>>,
    at: &'static Location<'static>,
) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    context::with_runtime(|handle, settings| {
        let meta = Meta::child(name, at, settings.exit_on_panic);
        let id = meta.id;
        JoinHandle::new(handle.spawn(Task::new(future, meta)), id)
    })
}

fn spawn_blocking_at<F, R>(
    f: F,
    name: Option<Arc<str>>,
    at: &'static Location<'static>,
) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    context::with_runtime(|handle, settings| {
        let meta = Meta::child(name, at, settings.exit_on_panic);
        let id = meta.id;
        JoinHandle::new(
            handle.spawn_blocking(move || task::run_blocking(&meta, f)),
            id,
        )
    })
}
