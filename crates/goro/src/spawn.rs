//! Starting goroutines: `spawn`, `spawn_blocking`, `blocking` and the
//! `Goroutine` builder for named ones; which runtime a goroutine goes to
//! (this thread's goro runtime, the Tokio runtime it is in, or the
//! process-wide goro runtime); and the decorators the `trace` feature
//! puts around a goroutine's future.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe, Location};
use std::sync::{Arc, OnceLock};

use tokio::runtime::{Handle, Runtime};

use crate::builder::{fail_to_start, Builder};
use crate::deadlock::{OnDeadlock, Watch};
use crate::goroutine::handle::JoinHandle;
use crate::goroutine::id::GoroutineId;
use crate::goroutine::site::{Named, Spot};
use crate::runtime::carriers::{Blocking, Carriers};
use crate::runtime::context::{self, Enter, Flags};
use crate::runtime::hosting;
use crate::runtime::panic::Relay;
use crate::runtime::poll::{self, Identified, Task, Waits};
use crate::runtime::status::{kind, Who, Word};
#[cfg(feature = "trace")]
use crate::trace;

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
/// there; if the caller no longer waits for it, under
/// [`Panic::Exit`](crate::Panic::Exit) it ends the process all the same,
/// reported as the caller's. If the runtime shuts down (main returned) before the call
/// starts, the calling goroutine never resumes, as every goroutine is
/// abandoned then.
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
    let f = trace::in_callers_span(trace::blocking_call(f, false));
    let mut counted = PoolCall::queue(flags, false);
    let call = move || {
        counted.start();
        let _enter = caller.map(|caller| Enter::new(caller, false));
        match catch_unwind(AssertUnwindSafe(f)) {
            Ok(value) => {
                crate::runtime::panic::returned_normally();
                Ok(value)
            }
            // Boxed: a relayed panic is rare, and its report is large.
            Err(payload) => Err(Box::new(Relay::catch(payload, caller))),
        }
    };
    match Waits::new(Word::of(kind::BLOCKING), route_blocking(flags, call)).await {
        Ok(Ok(value)) => value,
        Ok(Err(relay)) => (*relay).resume(),
        // The runtime shut down before the call started: main has
        // returned, and this goroutine is abandoned with every other; it
        // never resumes.
        Err(_) => std::future::pending().await,
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
    if trace::active() {
        return spawn_traced(future, name, at);
    }
    start(context::flags(), future, name, at, GoroutineId::next())
}

/// Wraps `future` as goroutine `id` (its site inline, or boxed with its
/// name; the watchdog's decorator with the trace feature) and starts it.
#[inline(always)]
fn start<F>(
    flags: Flags,
    future: F,
    name: Option<Arc<str>>,
    at: &'static Location<'static>,
    id: GoroutineId,
) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    match name {
        None => route(
            flags,
            Task::new(watched(future), Spot { spawned_at: at, id }),
            id,
        ),
        Some(name) => {
            let future = watched_named(future, &name);
            route(flags, Task::new(future, named(name, at, id)), id)
        }
    }
}

/// `spawn_at` for a goroutine that gets a span and is recorded. Never
/// inlined, so that `spawn`'s fast path stays as small as without the
/// feature.
#[cfg(feature = "trace")]
#[inline(never)]
fn spawn_traced<F>(
    future: F,
    name: Option<Arc<str>>,
    at: &'static Location<'static>,
) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let flags = context::flags();
    let id = GoroutineId::next();
    let spawning = trace::Spawning::new(id, name.as_deref(), at);
    let future = spawning.decorate(future, name.clone(), at);
    let handle = start(flags, future, name.clone(), at, id);
    spawning.spawned(name, at);
    handle
}

/// The watchdog's decorator (feature `trace`): every goroutine's polls
/// are watched on a runtime with a watchdog.
#[cfg(feature = "trace")]
#[inline(always)]
fn watched<F>(future: F) -> trace::Watched<F, ()> {
    trace::Watched::new(future, ())
}

#[cfg(feature = "trace")]
#[inline(always)]
fn watched_named<F>(future: F, name: &Arc<str>) -> trace::Watched<F, Arc<str>> {
    trace::Watched::new(future, name.clone())
}

#[cfg(not(feature = "trace"))]
#[inline(always)]
fn watched<F>(future: F) -> F {
    future
}

#[cfg(not(feature = "trace"))]
#[inline(always)]
fn watched_named<F>(future: F, _name: &Arc<str>) -> F {
    future
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
    let (f, spawning, traced_name) = {
        let spawning = trace::active().then(|| trace::Spawning::new(id, name.as_deref(), at));
        let f = trace::blocking_goroutine(f, id, name.as_deref(), at, spawning.is_some());
        (f, spawning, name.clone())
    };
    // Counted, and listed among its runtime's goroutines, while its
    // closure lives.
    let mut counted = PoolCall::queue(flags, true);
    let listed = counted.carriers.as_ref().map(|carriers| {
        carriers.list(
            &Who {
                id,
                parent: context::current(),
                spawned_at: at,
                name: name.clone(),
            },
            Word::of(kind::ON_POOL),
            context::now(),
        )
    });
    let inner = match name {
        None => {
            let site = Spot { spawned_at: at, id };
            route_blocking(flags, move || {
                counted.start();
                let _listed = listed;
                poll::guarded(&site, f)
            })
        }
        Some(name) => {
            let site = named(name, at, id);
            route_blocking(flags, move || {
                counted.start();
                let _listed = listed;
                poll::guarded(&site, f)
            })
        }
    };
    #[cfg(feature = "trace")]
    if let Some(spawning) = spawning {
        spawning.spawned(traced_name, at);
    }
    JoinHandle::new(inner, id)
}

/// A blocking call (or a `spawn_blocking` goroutine, which is counted as a
/// goroutine too) in its goro runtime's counts: queued when made, started
/// when its closure starts on the pool, finished when the closure is
/// dropped (it returned, unwound, or never ran).
struct PoolCall {
    carriers: Option<Arc<Carriers>>,
    started: bool,
    goroutine: bool,
}

impl PoolCall {
    fn queue(flags: Flags, goroutine: bool) -> PoolCall {
        let carriers = flags.is_goro().then(context::carriers).flatten();
        if let Some(carriers) = &carriers {
            carriers.blocking(Blocking::Queued);
            if goroutine {
                carriers.pool_goroutine(true);
                context::count_started(carriers);
            }
        }
        PoolCall {
            carriers,
            started: false,
            goroutine,
        }
    }

    fn start(&mut self) {
        if let Some(carriers) = &self.carriers {
            carriers.blocking(Blocking::Started);
        }
        self.started = true;
    }
}

impl Drop for PoolCall {
    fn drop(&mut self) {
        let Some(carriers) = &self.carriers else {
            return;
        };
        if !self.started {
            carriers.blocking(Blocking::Started);
        }
        carriers.blocking(Blocking::Finished);
        if self.goroutine {
            if self.started && std::thread::panicking() {
                // Tokio catches it (`Panic::Isolate`).
                carriers.panicked();
            }
            // Before its handle hears of the end, as a hosted goroutine's.
            context::count_ended(carriers, 1);
            carriers.pool_goroutine(false);
        }
    }
}

fn named(name: Arc<str>, spawned_at: &'static Location<'static>, id: GoroutineId) -> Box<Named> {
    Named::new(spawned_at, Some(name), id)
}

/// Starts `task` as goroutine `id` on the runtime a goroutine started from
/// here belongs to: this thread's goro runtime (hosted by a carrier), else
/// the Tokio runtime the thread is in, else the process-wide goro runtime.
#[inline]
fn route<F>(flags: Flags, task: F, id: GoroutineId) -> JoinHandle<F::Output>
where
    F: Future + Identified + Send + 'static,
    F::Output: Send + 'static,
{
    if flags.is_goro() {
        // Every goro thread runs inside its runtime's Tokio context.
        context::handed_off();
        JoinHandle::hosted(hosting::spawn(task, id))
    } else {
        JoinHandle::new(with_foreign_or_global(|handle| handle.spawn(task)), id)
    }
}

/// `route` for a blocking closure.
fn route_blocking<F, R>(flags: Flags, f: F) -> tokio::task::JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    if flags.is_goro() {
        // The thread's own runtime's pool, even inside another runtime's
        // `Handle::enter`.
        match context::handle() {
            Some(handle) => handle.spawn_blocking(f),
            None => tokio::task::spawn_blocking(f),
        }
    } else {
        with_foreign_or_global(|handle| handle.spawn_blocking(f))
    }
}

fn with_foreign_or_global<R>(f: impl FnOnce(&Handle) -> R) -> R {
    match Handle::try_current() {
        Ok(handle) => f(&handle),
        Err(_) => f(global().0.handle()),
    }
}

/// The handle and flags of the runtime that `go!` here would use, and its
/// carriers if it is a goro runtime.
pub(crate) fn runtime() -> (Handle, Flags, Option<Arc<Carriers>>) {
    let flags = context::flags();
    if flags.is_goro() {
        let handle = context::handle().unwrap_or_else(Handle::current);
        (handle, flags, context::carriers())
    } else {
        match Handle::try_current() {
            Ok(handle) => (handle, Flags::NONE, None),
            Err(_) => {
                let (runtime, flags, carriers) = global();
                (runtime.handle().clone(), *flags, Some(carriers.clone()))
            }
        }
    }
}

/// The process-wide runtime that goroutines started outside any runtime run
/// on. It starts on first use, with the default [`Builder`] (so `GOMAXPROCS`
/// applies), and lives as long as the process.
fn global() -> &'static (Runtime, Flags, Arc<Carriers>) {
    static GLOBAL: OnceLock<(Runtime, Flags, Arc<Carriers>)> = OnceLock::new();
    GLOBAL.get_or_init(|| {
        let built = Builder::new()
            .build(false, false)
            .unwrap_or_else(|err| fail_to_start(&err));
        // Its goroutines may wake those of any runtime: the deadlock
        // checker looks at it too, for the process's life.
        std::mem::forget(Watch::new(
            &built.2,
            built.0.handle().clone(),
            false,
            OnDeadlock::Ignore,
        ));
        built
    })
}
