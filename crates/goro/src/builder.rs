//! `goro::run` and `goro::Builder`: a Tokio multi-threaded runtime whose
//! main goroutine's end is the program's end.

use std::future::Future;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe, Location};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use tokio::runtime::Runtime;

pub use crate::runtime::config::BuildError;

use crate::deadlock::{OnDeadlock, Watch};
use crate::goroutine::handle::JoinHandle;
use crate::goroutine::id::GoroutineId;
use crate::goroutine::site::Named;
use crate::runtime::carriers::Carriers;
use crate::runtime::config::{self, cores, gomaxprocs_env, MAX_WORKERS};
use crate::runtime::context::{self, EnterThread, Flags};
use crate::runtime::poll::{Task, Tracked};
use crate::runtime::status::{self, kind, Who, Word};
use crate::runtime::{hosting, panic, probe, rlimit, schedtrace, threads};

/// What a panic in a goroutine does to the program.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Panic {
    /// Go's behaviour, the default: print `panic: <message>` and the
    /// goroutine's id, name and spawn location to stderr, then end the
    /// process with exit status 2.
    ///
    /// ```text
    /// panic: index out of bounds: the len is 3 but the index is 7
    ///
    /// goroutine 5 [worker] spawned at src/main.rs:25
    ///     panicked at src/main.rs:17:5
    /// ```
    ///
    /// The name is shown for goroutines started with
    /// [`Goroutine::name`](crate::Goroutine::name). With `RUST_BACKTRACE=1`
    /// a backtrace follows. These panics do not reach a panic hook that was
    /// installed before the runtime started; a panic that the goroutine's
    /// own code catches (`catch_unwind`) does not end the program.
    ///
    /// While such a panic unwinds, no other goroutine starts a poll: what
    /// the panicking goroutine's destructors do (a dropped `Sender` closes
    /// its channel) is not acted upon before the process ends. A panic that
    /// user code catches holds the other goroutines until the poll that
    /// caught it returns, for at most a second. When the
    /// main goroutine returns while another goroutine's panic is unwinding,
    /// the panic wins if it reaches the goroutine's end within a second
    /// (unwinding takes far less); a panic caught meanwhile leaves the exit
    /// status 0. Once the
    /// main goroutine has returned, the program ends with status 0: a panic
    /// in an abandoned goroutine meanwhile (a destructor, as the runtime
    /// drops them) is neither reported nor changes that.
    #[default]
    Exit,
    /// Tokio's behaviour: the panicking goroutine ends, its [`JoinHandle`]
    /// resolves to a [`JoinError`] whose `is_panic()` is true, and everything
    /// else runs on. A panic in the main goroutine resumes in the caller of
    /// [`run`](Builder::run).
    ///
    /// [`JoinHandle`]: crate::JoinHandle
    /// [`JoinError`]: crate::JoinError
    Isolate,
}

/// Configures and starts a goro runtime.
///
/// Defaults: one worker thread per core ([`std::thread::available_parallelism`],
/// which honours cgroup quotas), overridden by `GOMAXPROCS=N` in the
/// environment, overridden in turn by [`worker_threads`](Builder::worker_threads);
/// Tokio's blocking pool (512 threads at most); [`Panic::Exit`]; IO and time
/// drivers on.
///
/// # Examples
///
/// ```
/// let answer = goro::Builder::new()
///     .worker_threads(2)
///     .panic(goro::Panic::Isolate)
///     .run(async { 6 * 7 });
/// assert_eq!(answer, 42);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Builder {
    worker_threads: Option<usize>,
    max_blocking_threads: Option<usize>,
    panic: Panic,
    thread_name: Option<String>,
    quit_dump: Option<bool>,
    deadlock_report: Option<bool>,
    /// Set by `#[goro::test]`: a deadlock makes `run` panic.
    pub(crate) in_test: bool,
    #[cfg(feature = "trace")]
    watchdog: Option<Option<std::time::Duration>>,
}

impl Builder {
    /// The most worker threads a runtime may have, from `GOMAXPROCS` or
    /// [`worker_threads`](Builder::worker_threads); more is refused when
    /// the runtime starts.
    pub const MAX_WORKERS: usize = MAX_WORKERS;

    /// A builder with the defaults described above.
    pub fn new() -> Builder {
        Builder::default()
    }

    /// The number of worker threads, overriding `GOMAXPROCS` and the core
    /// count. 0, and more than [`MAX_WORKERS`](Builder::MAX_WORKERS), are
    /// refused when the runtime starts.
    pub fn worker_threads(mut self, n: usize) -> Builder {
        self.worker_threads = Some(n);
        self
    }

    /// The most threads the blocking pool may run at once (Tokio's default
    /// is 512). 0 is refused when the runtime starts.
    pub fn max_blocking_threads(mut self, n: usize) -> Builder {
        self.max_blocking_threads = Some(n);
        self
    }

    /// What a panic in a goroutine does; [`Panic::Exit`] by default.
    pub fn panic(mut self, panic: Panic) -> Builder {
        self.panic = panic;
        self
    }

    /// Whether SIGQUIT (Ctrl-\\) prints [`goro::dump()`](crate::dump) to
    /// stderr and exits with status 2, as it does in Go; overrides
    /// `GORO_SIGQUIT` (`off` or `on`), and is on by default (Unix only).
    ///
    /// goro installs its handler when the first runtime that has it on
    /// starts, and only if SIGQUIT has its default disposition then: a
    /// program that handles SIGQUIT itself (before, or by installing its
    /// handler later, which replaces goro's) keeps its handling. A thread
    /// named `goro-sigquit`, asleep until the signal comes, prints the dump
    /// (a signal handler may not allocate).
    ///
    /// ```text
    /// SIGQUIT: quit
    ///
    /// goroutine 1 "main" [chan receive, 3 minutes]:
    ///     on chan #1 (capacity 0, length 0)
    ///     spawned at src/main.rs:4
    /// ```
    pub fn quit_dump(mut self, on: bool) -> Builder {
        self.quit_dump = Some(on);
        self
    }

    /// Whether a program whose goroutines are all stuck on goro's
    /// primitives prints `fatal error: all goroutines are asleep -
    /// deadlock!` and the [`goro::dump()`](crate::dump) to stderr and exits
    /// with status 2, as Go does; overrides `GORO_DEADLOCK` (`off` or
    /// `on`), and is on by default. Under [`#[goro::test]`](crate::test)
    /// the test fails with the report instead.
    ///
    /// The report comes only when nothing can wake a goroutine again:
    /// every goroutine, main included, waits on a channel, a
    /// [`select!`](crate::select!) without `default` or a
    /// [`WaitGroup`](crate::sync::WaitGroup), and in the poll that made it
    /// wait nothing else kept its waker (a sleep, a timer, a socket, a
    /// `tokio::sync` lock, a [`JoinHandle`](crate::JoinHandle)); no
    /// blocking call runs and no blocking-pool thread is alive (Tokio keeps
    /// an idle one for ten seconds); Tokio runs no task but goroutines, and
    /// no woken goroutine waits for a thread to run it; and
    /// every thread of the process is goro's (a thread the program started
    /// may send on a channel later). Every goro runtime of the process must
    /// be so. Within these rules it never reports a program that can go on;
    /// it may stay silent about a stuck one (one waiting on a Tokio
    /// resource nothing will ready).
    ///
    /// A thread named `goro-deadlock` looks ten times a second while a
    /// runtime that reports runs, and reports within a few tenths of a
    /// second. It looks at threads through `/proc`, so the report is made
    /// on Linux only.
    ///
    /// ```text
    /// fatal error: all goroutines are asleep - deadlock!
    ///
    /// goroutine 1 "main" [chan receive]:
    ///     on chan #1 (capacity 0, length 0)
    ///     spawned at src/main.rs:4
    /// ```
    pub fn deadlock_report(mut self, on: bool) -> Builder {
        self.deadlock_report = Some(on);
        self
    }

    /// The name of the runtime's threads (workers and blocking pool);
    /// `goro` by default. A name with a NUL byte is refused when the
    /// runtime starts.
    pub fn thread_name(mut self, name: impl Into<String>) -> Builder {
        self.thread_name = Some(name.into());
        self
    }

    /// The watchdog's threshold: a goroutine that holds a worker thread
    /// longer than this in one poll is reported while it does (see
    /// [`goro::trace`](crate::trace)). `None` turns the watchdog off.
    /// Overrides `GORO_WATCHDOG`; the default is 100 ms.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// goro::Builder::new()
    ///     .watchdog(Some(Duration::from_millis(500)))
    ///     .run(async { /* polls of up to 500 ms pass unreported */ });
    /// ```
    #[cfg(feature = "trace")]
    pub fn watchdog(mut self, threshold: Option<std::time::Duration>) -> Builder {
        self.watchdog = Some(threshold.filter(|t| !t.is_zero()));
        self
    }

    /// Runs `future` as the main goroutine (id 1) of a new runtime and
    /// returns its output as soon as it completes.
    ///
    /// The main goroutine is an ordinary goroutine on one of the worker
    /// threads, as in Go; the calling thread only waits for it. Other
    /// goroutines still alive when it completes are abandoned and blocking
    /// calls are not waited for: none of them is polled again, the runtime
    /// shuts down in the background and `run` returns at once.
    ///
    /// `future`'s own locals are dropped before it completes, and the other
    /// goroutines may still run meanwhile (woken by a `Sender` among them
    /// that closes its channel). [`#[goro::main]`](crate::main) stops them
    /// before main's locals are dropped.
    ///
    /// `future` must be `Send + 'static`, as a goroutine's must; a main
    /// future that is not runs on the calling thread with
    /// [`run_local`](Builder::run_local).
    ///
    /// # Panics
    ///
    /// Panics if called inside a runtime (use [`go!`](crate::go!) there).
    /// If the configuration is invalid (`GOMAXPROCS=abc`,
    /// `worker_threads(0)`), prints one line naming the setting and its value
    /// and exits with status 2, as it does if the system refuses to start
    /// the worker threads; use [`try_run`](Builder::try_run) to handle
    /// that yourself. Under [`Panic::Isolate`] a panic of the main goroutine
    /// resumes here.
    #[track_caller]
    pub fn run<F>(self, future: F) -> F::Output
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        or_fail(self.start(Location::caller(), false, false, on_worker(future)))
    }

    /// Like [`run`](Builder::run), but returns a configuration error instead
    /// of ending the process.
    ///
    /// A system that refuses to start the worker threads (a limit on
    /// threads or on address space) is [`BuildError::Io`]: before building
    /// the runtime, `try_run` starts and ends as many threads as it will
    /// have workers, which costs a thread's start and end per worker.
    ///
    /// # Examples
    ///
    /// ```
    /// let err = goro::Builder::new().worker_threads(0).try_run(async {}).unwrap_err();
    /// assert!(err.to_string().contains("worker_threads(0)"));
    /// ```
    #[track_caller]
    pub fn try_run<F>(self, future: F) -> Result<F::Output, BuildError>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.start(Location::caller(), false, true, on_worker(future))
    }

    /// Runs `future` as the main goroutine (id 1) of a new runtime on the
    /// calling thread, for a main future that is not `Send` (it holds an
    /// `Rc` across an `.await`) or borrows from the caller; otherwise as
    /// [`run`](Builder::run).
    ///
    /// The main goroutine then runs outside the worker threads, so every
    /// hand-off between it and another goroutine (a channel operation, a
    /// `WaitGroup`, a join) wakes a thread and crosses between threads: a
    /// program whose main goroutine talks to other goroutines in a loop runs
    /// many times slower than with [`run`](Builder::run).
    /// [`#[goro::main]`](crate::main) picks `run` whenever main's future is
    /// `Send`, and this otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    ///
    /// let shared = Rc::new(5);
    /// let n = goro::Builder::new().run_local(async {
    ///     goro::gosched().await;
    ///     *shared + 1
    /// });
    /// assert_eq!(n, 6);
    /// ```
    #[track_caller]
    pub fn run_local<F: Future>(self, future: F) -> F::Output {
        or_fail(self.start(Location::caller(), true, false, on_caller(future)))
    }

    /// Like [`run_local`](Builder::run_local), but returns a configuration
    /// error instead of ending the process, and the system's refusal to
    /// start the worker threads as [`BuildError::Io`] (see
    /// [`try_run`](Builder::try_run)).
    #[track_caller]
    pub fn try_run_local<F: Future>(self, future: F) -> Result<F::Output, BuildError> {
        self.start(Location::caller(), true, true, on_caller(future))
    }

    /// Starts the runtime and runs the main goroutine with `main`, on the
    /// calling thread if `on_caller`; `fallible` for the `try_` forms.
    fn start<T>(
        self,
        at: &'static Location<'static>,
        on_caller: bool,
        fallible: bool,
        main: impl FnOnce(Started<'_>) -> std::thread::Result<T>,
    ) -> Result<T, BuildError> {
        if context::inside_runtime() {
            return Err(BuildError::InsideRuntime);
        }
        #[cfg(feature = "trace")]
        let env = crate::trace::start_from_env()?;
        let built = self
            .on_deadlock()
            .and_then(|on_deadlock| Ok((on_deadlock, self.build(on_caller, fallible)?)));
        let (on_deadlock, (runtime, flags, carriers)) = match built {
            Ok(built) => built,
            Err(err) => {
                // The program may go on (try_run) and run again.
                #[cfg(feature = "trace")]
                crate::trace::abandon(env);
                return Err(err);
            }
        };
        // This thread only waits for the main goroutine (or runs it).
        let known = threads::Known::enter();
        let watch = Watch::new(&carriers, runtime.handle().clone(), true, on_deadlock);
        let output = main(Started {
            at,
            runtime: &runtime,
            flags,
            carriers: &carriers,
            watch: &watch,
        });
        drop(watch);
        drop(known);
        if output.is_ok() {
            panic::settle_in_flight();
        }
        // A panic that resumes here (Panic::Isolate) ends the main
        // goroutine too: write the recording as at its return.
        #[cfg(feature = "trace")]
        crate::trace::main_ended(env);
        // From here on the runtime's goroutines are abandoned: closed
        // before the shutdown starts dropping them, so that a panic in
        // their destructors is no exit status (the panic hook asks).
        carriers.close();
        // Dropping the runtime would wait for blocking calls.
        runtime.shutdown_background();
        match output {
            Ok(output) => Ok(output),
            Err(payload) => resume_unwind(payload),
        }
    }

    /// What a deadlock does: builder, then `GORO_DEADLOCK`.
    fn on_deadlock(&self) -> Result<OnDeadlock, BuildError> {
        let on = match self.deadlock_report {
            Some(on) => on,
            None => config::switch_env("GORO_DEADLOCK").map_err(BuildError::Deadlock)?,
        };
        Ok(match (on, self.in_test) {
            (false, _) => OnDeadlock::Ignore,
            (true, false) => OnDeadlock::Exit,
            (true, true) => OnDeadlock::Panic,
        })
    }

    /// Resolves the worker count: builder, then `GOMAXPROCS`, then cores.
    pub(crate) fn workers(&self) -> Result<usize, BuildError> {
        match self.worker_threads {
            Some(0) => Err(BuildError::ZeroWorkerThreads),
            Some(n) if n > MAX_WORKERS => Err(BuildError::TooManyWorkerThreads(n)),
            Some(n) => Ok(n),
            None => gomaxprocs_env().map(|env| env.unwrap_or_else(|| cores().min(MAX_WORKERS))),
        }
    }

    /// Builds the runtime; if `refusal_is_an_error`, first checks that the
    /// system starts as many threads as it has workers, so that a refusal
    /// comes back as `BuildError::Io` (otherwise it ends the process).
    pub(crate) fn build(
        &self,
        has_main: bool,
        refusal_is_an_error: bool,
    ) -> Result<(Runtime, Flags, Arc<Carriers>), BuildError> {
        let workers = self.workers()?;
        if self.max_blocking_threads == Some(0) {
            return Err(BuildError::ZeroMaxBlockingThreads);
        }
        if let Some(name) = self.thread_name.as_ref().filter(|name| name.contains('\0')) {
            return Err(BuildError::ThreadName(name.clone()));
        }
        let flags = Flags::goro(self.panic == Panic::Exit, has_main);
        #[cfg(feature = "trace")]
        let watchdog = match self.watchdog {
            Some(threshold) => threshold,
            None => crate::trace::threshold_from_env()?,
        };
        let schedtrace = schedtrace::period_from_env()?;
        let quit_dump = match self.quit_dump {
            Some(on) => on,
            None => config::switch_env("GORO_SIGQUIT").map_err(BuildError::Sigquit)?,
        };
        panic::install_hook();
        #[cfg(feature = "trace")]
        goro_trace::watchdog::on_monitor_start(threads::enter);
        // A recording's summary lists the goroutines alive at its end.
        #[cfg(feature = "trace")]
        crate::trace::list_alive_with(crate::dump::alive_for_trace);
        rlimit::raise_open_files();
        #[cfg(unix)]
        if quit_dump {
            crate::quit::arm();
        }
        #[cfg(not(unix))]
        let _ = quit_dump;
        if refusal_is_an_error {
            // Tokio's build would panic if it could not start them all.
            probe::start_threads(workers, probe::WORKER_STACK).map_err(BuildError::Io)?;
        }
        let mut tokio = tokio::runtime::Builder::new_multi_thread();
        tokio
            .worker_threads(workers)
            .enable_all()
            .thread_name(self.thread_name.as_deref().unwrap_or("goro"));
        if let Some(n) = self.max_blocking_threads {
            tokio.max_blocking_threads(n);
        }
        // Tokio runs these on each worker and blocking-pool thread, which
        // stay inside the runtime's context for their whole life.
        let carriers = Carriers::new();
        carriers.set_workers(workers);
        let home = carriers.clone();
        let (stopping, parking, unparking) = (carriers.clone(), carriers.clone(), carriers.clone());
        tokio
            .on_thread_start(move || {
                home.thread_alive(true);
                threads::enter();
                context::set_thread(flags, &home);
                #[cfg(feature = "trace")]
                crate::trace::thread_started(watchdog);
            })
            .on_thread_stop(move || {
                context::clear_thread();
                #[cfg(feature = "trace")]
                crate::trace::thread_stopped();
                threads::leave();
                stopping.thread_alive(false);
            })
            .on_thread_park(move || {
                context::on_park();
                #[cfg(feature = "trace")]
                goro_trace::recorder::park();
                parking.worker_parks();
            });
        tokio.on_thread_unpark(move || {
            unparking.worker_unparks();
            context::on_unpark();
            // The thread may have been idle for long: its clock is stale.
            context::refresh_clock();
            #[cfg(feature = "trace")]
            goro_trace::recorder::unpark();
        });
        // A panic inside (a worker thread the system refuses) ends the
        // process with one line: Tokio would hang in its cleanup.
        let runtime = panic::building(workers, || tokio.build()).map_err(BuildError::Io)?;
        carriers.register_runtime();
        if let Some(period) = schedtrace {
            schedtrace::start(period, &carriers, runtime.handle().clone(), flags);
        }
        Ok((runtime, flags, carriers))
    }
}

/// Runs `future` as the main goroutine of a new runtime with the default
/// configuration, and returns its output as soon as it completes; see
/// [`Builder::run`].
///
/// # Examples
///
/// The seed's program: `main` does not wait for `foo`, so "foo" may or may
/// not be printed.
///
/// ```
/// fn foo() {
///     println!("foo");
/// }
///
/// goro::run(async {
///     println!("before");
///     goro::go!(foo());
///     println!("after");
/// });
/// ```
#[track_caller]
pub fn run<F>(future: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    Builder::new().run(future)
}

/// Runs `future` as the main goroutine of a new runtime on the calling
/// thread, with the default configuration: for a main future that is not
/// `Send` or borrows from the caller; see [`Builder::run_local`], and
/// [`run`] for everything else.
///
/// # Examples
///
/// ```
/// use std::cell::RefCell;
///
/// let log = RefCell::new(Vec::new());
/// goro::run_local(async {
///     log.borrow_mut().push("main");
///     let handle = goro::go!(async { "goroutine" });
///     log.borrow_mut().push(handle.await.unwrap());
/// });
/// assert_eq!(log.into_inner(), ["main", "goroutine"]);
/// ```
#[track_caller]
pub fn run_local<F: Future>(future: F) -> F::Output {
    Builder::new().run_local(future)
}

/// A runtime started for a main goroutine, and where `run` was called.
struct Started<'a> {
    at: &'static Location<'static>,
    runtime: &'a Runtime,
    flags: Flags,
    carriers: &'a Arc<Carriers>,
    watch: &'a Watch,
}

impl Started<'_> {
    /// The main goroutine: id 1, named `main`, spawned where `run` was
    /// called.
    fn site(&self) -> Box<Named> {
        Named::new(self.at, Some(Arc::from("main")), GoroutineId::MAIN)
    }
}

/// Runs the main goroutine on a worker, as a goroutine like any other, and
/// waits for it on the calling thread.
fn on_worker<F>(future: F) -> impl FnOnce(Started<'_>) -> std::thread::Result<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    move |started| {
        #[cfg(feature = "trace")]
        return match crate::trace::main_goroutine(future, started.at, false) {
            Ok(traced) => spawn_main(
                started,
                crate::trace::Watched::new(traced, Arc::from("main")),
            ),
            Err(future) => spawn_main(
                started,
                crate::trace::Watched::new(future, Arc::from("main")),
            ),
        };
        #[cfg(not(feature = "trace"))]
        spawn_main(started, future)
    }
}

/// `on_worker`, for the main goroutine's future as decorated.
fn spawn_main<F>(started: Started<'_>, future: F) -> std::thread::Result<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    // Hosted by a carrier and counted as any goroutine is: the calling
    // thread belongs to the runtime only while it starts it.
    let main = {
        let _tokio = started.runtime.enter();
        let _thread = EnterThread::new(started.flags, started.carriers, started.runtime.handle());
        let task = Task::new(future, started.site());
        JoinHandle::hosted(hosting::spawn(task, GoroutineId::MAIN))
    };
    match started
        .runtime
        .block_on(until_deadlock(started.watch, main))?
    {
        Ok(output) => Ok(output),
        Err(err) => match err.try_into_panic() {
            Ok(payload) => Err(payload),
            // Only the runtime's shutdown cancels it, and that comes
            // after this.
            Err(err) => unreachable!("{err}"),
        },
    }
}

/// Runs the main goroutine on the calling thread, which belongs to the
/// runtime meanwhile. No worker runs it, so the watchdog does not watch it.
fn on_caller<F: Future>(future: F) -> impl FnOnce(Started<'_>) -> std::thread::Result<F::Output> {
    move |started| {
        #[cfg(feature = "trace")]
        return match crate::trace::main_goroutine(future, started.at, true) {
            Ok(traced) => block_on_caller(started, traced),
            Err(future) => block_on_caller(started, future),
        };
        #[cfg(not(feature = "trace"))]
        block_on_caller(started, future)
    }
}

/// `on_caller`, for the main goroutine's future as decorated.
fn block_on_caller<F: Future>(started: Started<'_>, future: F) -> std::thread::Result<F::Output> {
    let status = started.carriers.list(
        &Who {
            id: GoroutineId::MAIN,
            parent: None,
            spawned_at: started.at,
            name: Some(Arc::from("main")),
        },
        Word::of(kind::RUNNABLE),
        status::clock(),
    );
    let main = Tracked::new(Task::new(future, started.site()), status);
    let _thread = EnterThread::new(started.flags, started.carriers, started.runtime.handle());
    let carriers = started.carriers;
    let main = async {
        let mut main = std::pin::pin!(main);
        // The task's waker, and the one main gets, which tells the
        // deadlock checker of each wake (`CallerWake`).
        let mut wakers: Option<(Waker, Waker)> = None;
        let output = std::future::poll_fn(|cx| {
            // Seen by the deadlock checker: the main goroutine runs.
            carriers.caller_polls();
            let (_, waker) = match wakers.take() {
                Some((task, ours)) if task.will_wake(cx.waker()) => wakers.insert((task, ours)),
                _ => wakers.insert((
                    cx.waker().clone(),
                    Waker::from(Arc::new(CallerWake {
                        carriers: carriers.clone(),
                        task: cx.waker().clone(),
                    })),
                )),
            };
            main.as_mut().poll(&mut Context::from_waker(waker))
        })
        .await;
        // Nothing of the program runs after main (see `Hosting::run`).
        context::main_returned();
        output
    };
    let main = until_deadlock(started.watch, main);
    match catch_unwind(AssertUnwindSafe(|| started.runtime.block_on(main))) {
        Ok(output) => output,
        Err(payload) => {
            // Main's future is dropped here, outside any carrier.
            panic::exit_if_dropping(&*payload);
            Err(payload)
        }
    }
}

/// The waker of a main goroutine on the calling thread: marks the runtime
/// busy before it wakes the thread, so that the deadlock checker cannot
/// take a woken main that has not run yet for one still waiting.
struct CallerWake {
    carriers: Arc<Carriers>,
    task: Waker,
}

impl std::task::Wake for CallerWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.carriers.caller_woken();
        self.task.wake_by_ref();
    }
}

/// `main`'s output, or the deadlock report as a panic's payload if the
/// runtime deadlocks first (`OnDeadlock::Panic`).
async fn until_deadlock<F: Future>(watch: &Watch, main: F) -> std::thread::Result<F::Output> {
    let mut main = std::pin::pin!(main);
    std::future::poll_fn(|cx| {
        if let Poll::Ready(report) = watch.poll_found(cx) {
            return Poll::Ready(Err(Box::new(report) as Box<dyn std::any::Any + Send>));
        }
        main.as_mut().poll(cx).map(Ok)
    })
    .await
}

/// A configuration error ends the process; `run` inside a runtime panics.
#[track_caller]
fn or_fail<T>(result: Result<T, BuildError>) -> T {
    match result {
        Ok(output) => output,
        Err(err @ BuildError::InsideRuntime) => panic!("{err}"),
        Err(err) => fail_to_start(&err),
    }
}

/// Prints why the runtime could not start as one line and exits with status 2.
pub(crate) fn fail_to_start(err: &BuildError) -> ! {
    eprintln!("goro: {err}");
    std::process::exit(2)
}
