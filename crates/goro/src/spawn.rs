//! Starting goroutines: `spawn`, `spawn_blocking`, `blocking` and the
//! `Goroutine` builder for named ones.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe, Location};
use std::sync::Arc;

use crate::context::{self, Enter};
use crate::id::GoroutineId;
use crate::join::JoinHandle;
use crate::panic::Relay;
use crate::task::{self, Named, Spot, Task};

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
#[inline]
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
/// The call is part of the calling goroutine (inside it, [`id`](crate::id)
/// is the caller's), not a goroutine of its own. It starts when the returned
/// future is first polled. Dropping the future before it completes does not
/// stop a call that has started; its result is dropped. A panic in `f`
/// resumes in the caller, where the panic policy applies as to any panic
/// there.
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
pub async fn blocking<F, R>(f: F) -> R
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let flags = context::flags();
    // The call runs as the caller: on another thread, so with its id.
    let caller = context::running();
    #[cfg(feature = "trace")]
    let f = crate::trace::blocking_call(f, false);
    let call = move || {
        let _enter = caller.map(Enter::new);
        match catch_unwind(AssertUnwindSafe(f)) {
            Ok(value) => {
                crate::panic::returned_normally();
                Ok(value)
            }
            Err(payload) => Err(Relay::catch(payload)),
        }
    };
    match context::spawn_blocking(flags, call).await {
        Ok(Ok(value)) => value,
        Ok(Err(relay)) => relay.resume(),
        Err(err) => panic!("goro::blocking: the call was cancelled, its runtime shut down ({err})"),
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

#[inline(always)]
pub(crate) fn spawn_at<F>(
    future: F,
    name: Option<Arc<str>>,
    at: &'static Location<'static>,
) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    #[cfg(feature = "trace")]
    if crate::trace::active() {
        return crate::trace::spawn(future, name, at);
    }
    let flags = context::flags();
    let id = GoroutineId::next();
    match name {
        None => context::spawn(flags, Task::new(future, Spot { spawned_at: at, id }), id),
        Some(name) => context::spawn(flags, Task::new(future, named(name, at, id)), id),
    }
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
    let flags = context::flags();
    let id = GoroutineId::next();
    #[cfg(feature = "trace")]
    let (f, ts, parent, traced_name) = (
        crate::trace::blocking_call(f, true),
        goro_trace::recorder::now(),
        context::current(),
        name.clone(),
    );
    let inner = match name {
        None => {
            let site = Spot { spawned_at: at, id };
            context::spawn_blocking(flags, move || task::guarded(&site, f))
        }
        Some(name) => {
            let site = named(name, at, id);
            context::spawn_blocking(flags, move || task::guarded(&site, f))
        }
    };
    #[cfg(feature = "trace")]
    if goro_trace::recorder::recording() {
        crate::trace::spawned(ts, id, parent, traced_name, at);
    }
    JoinHandle::new(inner, id)
}

fn named(name: Arc<str>, spawned_at: &'static Location<'static>, id: GoroutineId) -> Box<Named> {
    Named::new(spawned_at, Some(name), id)
}
