//! Scheduler tracing (feature `trace`): recordings that open in Perfetto,
//! a timeline picture and a summary, and the blocked-worker watchdog.
//!
//! # Recording a program
//!
//! Set `GORO_TRACE=dir` in the environment of a program whose main
//! goroutine runs on a goro runtime ([`run`](crate::run),
//! [`#[goro::main]`](crate::main)). Recording starts with the runtime and
//! stops when the main goroutine ends, when a panic ends the program, or on
//! Ctrl-C (a second Ctrl-C exits without waiting for the files; on Unix
//! only while the program does not handle SIGINT itself, and SIGINT is left
//! as it was once the recording is written); then
//! three files are written and their place is printed to stderr:
//!
//! - `dir/trace.json`: a Chrome Trace Event file; open it in Perfetto
//!   (<https://ui.perfetto.dev>, "Open trace file"). Each worker thread is a
//!   track with one slice per poll of a goroutine, blocking-pool threads show
//!   their calls, arrows lead from a spawn or a wake to the poll that
//!   followed, and each goroutine's lifetime is an async row of its own.
//! - `dir/timeline.html`: one self-contained page (inline SVG) drawing each
//!   thread's lane over time, polls coloured by spawn location, idle time
//!   grey, with a legend.
//! - `dir/summary.txt`: goroutines grouped by spawn location with their
//!   count, busy, scheduled (runnable, waiting for a worker) and idle time
//!   and polls, as Go's goroutine analysis shows them, and per goroutine
//!   (mean, p50, p90, max); the goroutines still alive at the end with
//!   their states, as [`dump`](crate::dump) gives them; wake-to-poll
//!   latency percentiles; worker utilisation; the longest polls.
//!
//! `GORO_TRACE_EVENTS=N` sets how many events each thread keeps (262144 by
//! default); a thread that records more keeps its newest and the summary
//! says how many were dropped. Recording never blocks the program.
//!
//! From code, [`start`] records until the returned [`TraceGuard`] finishes.
//!
//! # Spans and events
//!
//! With or without a recording, every goroutine spawned while a `tracing`
//! subscriber listens to target `goro::sched` at `INFO` runs inside a span
//! `goroutine` with fields `id`, `name`, `spawned_at` (file:line) and
//! `parent`, so log lines from inside it say which goroutine wrote them.
//! A [`blocking`](crate::blocking) call runs in its caller's span, and a
//! [`spawn_blocking`](crate::spawn_blocking) goroutine in a span of its own.
//! Lifecycle events (spawned, first poll, completed, panicked, cancelled;
//! a `spawn_blocking` goroutine says `started` for its first poll) go to
//! target `goro::sched` at `TRACE`, each goroutine's in that order.
//!
//! A filter must let `goro::sched` through for the spans to exist:
//! `RUST_LOG=myapp=info,goro::sched=info` with
//! `tracing_subscriber::EnvFilter` (the `logging` example).
//!
//! The main goroutine gets its span as the others do when a subscriber
//! listens as the runtime starts; with one installed inside main, at main's
//! first poll after that (its first wait), and it runs in it from then on.

//! # tokio-console
//!
//! Built with `RUSTFLAGS="--cfg tokio_unstable"` (which console-subscriber
//! requires) and with console-subscriber's layer installed, tokio-console's
//! task list shows each goroutine as a task named `name (goroutine N)` or
//! `goroutine N`, at its spawn location, with its polls, busy time and
//! wakes. The Tokio tasks that host goroutines are listed beside them,
//! named `goro carrier`: each lives on to host the next goroutine, so its
//! figures add up those of many. Goroutines spawned before the layer was
//! installed are not listed; main is, from its first wait after it.
//!
//! # The watchdog
//!
//! A monitor thread notices a goroutine that holds a worker thread longer
//! than a threshold (100 ms by default) without yielding, because it made a
//! blocking call in async code or computes for long without awaiting, and
//! reports it while it still holds the worker: a `WARN` at target
//! `goro::watchdog` naming the goroutine's id, name and spawn location, also
//! printed to stderr when the program has no `tracing` subscriber. Set the
//! threshold with `GORO_WATCHDOG=250ms` (units `us`, `ms`, `s`; `off` turns
//! it off) or [`Builder::watchdog`](crate::Builder::watchdog). The watchdog
//! costs each poll a few plain stores and reads of the thread's state, and
//! no thread runs for it until a runtime starts.

#[cfg(tokio_unstable)]
mod console;
#[cfg(unix)]
mod interrupt;
mod traced;
mod watch;

use std::cell::Cell;
use std::panic::Location;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use goro_trace::recorder;
use goro_trace::{GoroutineInfo, Outcome};

use crate::goroutine::id::GoroutineId;
use crate::runtime::config::{positive_env, BuildError};
use crate::runtime::{context, panic};

pub(crate) use traced::{MainSpan, Traced};
pub(crate) use watch::{thread_started, thread_stopped, threshold_from_env, Watched};

pub use goro_trace::export::Files;

/// Whether goroutines spawned now get a span and are recorded: a recording
/// is in progress, or a `tracing` subscriber listens to `goro::sched` (or,
/// built with `tokio_unstable`, wants tokio-console's task spans).
#[inline]
pub(crate) fn active() -> bool {
    recorder::recording()
        || tracing::enabled!(target: "goro::sched", tracing::Level::INFO)
        || console_listens()
}

/// Whether tokio-console's layer wants goroutines as tasks (only in builds
/// with `tokio_unstable`, which console-subscriber requires).
#[inline(always)]
fn console_listens() -> bool {
    #[cfg(tokio_unstable)]
    return console::listens();
    #[cfg(not(tokio_unstable))]
    false
}

/// Goroutine `id`'s task span for tokio-console: disabled unless built
/// with `tokio_unstable` and console-subscriber's layer listens.
pub(crate) fn console_span(
    id: GoroutineId,
    name: Option<&str>,
    at: &'static Location<'static>,
) -> tracing::Span {
    #[cfg(tokio_unstable)]
    return console::span(id, name, at);
    #[cfg(not(tokio_unstable))]
    {
        let _ = (id, name, at);
        tracing::Span::none()
    }
}

/// The goroutine whose task span is `span` was woken (tokio-console counts
/// it).
#[inline]
pub(crate) fn console_woken(span: &tracing::Id) {
    #[cfg(tokio_unstable)]
    console::woken(span);
    #[cfg(not(tokio_unstable))]
    let _ = span;
}

/// A traced goroutine being spawned: what its spawner records.
pub(crate) struct Spawning {
    ts: goro_trace::clock::Stamp,
    id: GoroutineId,
    parent: Option<GoroutineId>,
}

impl Spawning {
    /// Goroutine `id` is about to be spawned from here. The id is known
    /// before the goroutine exists, so a subscriber hears `spawned` before
    /// any event of the goroutine's own.
    pub(crate) fn new(
        id: GoroutineId,
        name: Option<&str>,
        at: &'static Location<'static>,
    ) -> Spawning {
        let spawning = Spawning {
            ts: recorder::now(),
            id,
            parent: context::current(),
        };
        if tracing::enabled!(target: "goro::sched", tracing::Level::TRACE) {
            say_spawned(&tracing::Span::current(), id, spawning.parent, name, at);
        }
        spawning
    }

    /// The goroutine's future, traced.
    pub(crate) fn decorate<F>(
        &self,
        future: F,
        name: Option<Arc<str>>,
        at: &'static Location<'static>,
    ) -> Traced<F> {
        Traced::new(future, self.id, self.parent, name, at)
    }

    /// The goroutine was spawned: record it.
    pub(crate) fn spawned(self, name: Option<Arc<str>>, at: &'static Location<'static>) {
        recorder::spawn(
            self.ts,
            self.id.as_u64(),
            self.parent.map(GoroutineId::as_u64),
            name,
            at,
        );
    }
}

/// The `spawned` event of a traced goroutine, heard only when a subscriber
/// listens to `goro::sched` at `TRACE`.
fn say_spawned(
    span: &tracing::Span,
    id: GoroutineId,
    parent: Option<GoroutineId>,
    name: Option<&str>,
    at: &'static Location<'static>,
) {
    tracing::trace!(
        target: "goro::sched",
        parent: span,
        goroutine = id.as_u64(),
        name,
        spawned_at = %format_args!("{}:{}", at.file(), at.line()),
        parent = parent.map(GoroutineId::as_u64),
        "spawned"
    );
}

/// Wraps a blocking call so that its hand-off and run are recorded, if a
/// recording is in progress. Called by the submitting goroutine; the
/// returned closure runs as the goroutine the call belongs to: the caller
/// of `goro::blocking`, or, if `own_goroutine`, the goroutine
/// `spawn_blocking` starts, whose end (completed or panicked) it records
/// too.
#[inline]
pub(crate) fn blocking_call<R>(f: impl FnOnce() -> R, own_goroutine: bool) -> impl FnOnce() -> R {
    let job = recorder::recording()
        .then(|| recorder::blocking_submit(context::current().map(GoroutineId::as_u64)));
    move || match job {
        None => f(),
        Some(job) => {
            /// Records the run (and the goroutine's end) when the call
            /// returns or unwinds.
            struct Run(u64, goro_trace::clock::Stamp, bool);
            impl Drop for Run {
                fn drop(&mut self) {
                    let goroutine = context::current().map(GoroutineId::as_u64);
                    recorder::blocking_run(self.1, self.0, goroutine);
                    if let (true, Some(goroutine)) = (self.2, goroutine) {
                        let outcome = if std::thread::panicking() {
                            Outcome::Panicked
                        } else {
                            Outcome::Completed
                        };
                        recorder::end(goroutine, outcome);
                    }
                }
            }
            recorder::set_thread_kind(goro_trace::ThreadKind::Blocking);
            let _run = Run(job, recorder::now(), own_goroutine);
            f()
        }
    }
}

/// Traces the main goroutine's future, for `run`, if goroutines are
/// traced now; otherwise it gets its span once they are (`MainSpan`).
/// `on_caller` if it runs on the calling thread (`run_local`) rather than
/// on a worker.
pub(crate) fn main_goroutine<F>(
    future: F,
    at: &'static Location<'static>,
    on_caller: bool,
) -> Result<Traced<F>, MainSpan<F>> {
    if !active() {
        return Err(MainSpan::new(future, at));
    }
    if on_caller {
        recorder::set_thread_kind(goro_trace::ThreadKind::Main);
    }
    recorder::identify(GoroutineInfo {
        id: GoroutineId::MAIN.as_u64(),
        name: Some(Arc::from("main")),
        spawned_at: at,
        parent: None,
    });
    Ok(Traced::new(
        future,
        GoroutineId::MAIN,
        None,
        Some(Arc::from("main")),
        at,
    ))
}

/// Runs the blocking call `f` in the span of the code that makes it (the
/// calling goroutine's), so that what it logs says whose call it is.
#[inline]
pub(crate) fn in_callers_span<R>(f: impl FnOnce() -> R) -> impl FnOnce() -> R {
    let span = tracing::Span::current();
    // A task's span (tokio-console's, goro's or Tokio's) stands for the
    // task's polls: entered on the pool thread, it would count the call as
    // one.
    let span = match span.metadata() {
        Some(meta) if meta.name() == "runtime.spawn" => tracing::Span::none(),
        _ => span,
    };
    move || {
        if span.is_none() {
            f()
        } else {
            span.in_scope(f)
        }
    }
}

/// Wraps the closure of `spawn_blocking` goroutine `id`: when `traced`, it
/// runs in the goroutine's own span, and says `started` and then
/// `completed`, `panicked` or, if it never ran, `cancelled` (target
/// `goro::sched`, `TRACE`); its run is recorded if a recording runs.
pub(crate) fn blocking_goroutine<R>(
    f: impl FnOnce() -> R,
    id: GoroutineId,
    name: Option<&str>,
    at: &'static Location<'static>,
    traced: bool,
) -> impl FnOnce() -> R {
    /// Says how the goroutine ended, when its closure is dropped.
    struct Run {
        span: tracing::Span,
        console: tracing::Span,
        id: GoroutineId,
        started: bool,
    }
    impl Drop for Run {
        fn drop(&mut self) {
            let outcome = if !self.started {
                Outcome::Cancelled
            } else if std::thread::panicking() {
                Outcome::Panicked
            } else {
                Outcome::Completed
            };
            traced::say_ended(&self.span, self.id, outcome);
        }
    }
    let f = blocking_call(f, true);
    let mut run = traced.then(|| Run {
        span: traced::goroutine_span(id, name, at, context::current()),
        console: console_span(id, name, at),
        id,
        started: false,
    });
    move || match run.as_mut() {
        None => f(),
        Some(run) => {
            run.started = true;
            let goroutine = id.as_u64();
            tracing::trace!(target: "goro::sched", parent: &run.span, goroutine, "started");
            let _console = run.console.enter();
            run.span.in_scope(f)
        }
    }
}

/// Lists the goroutines alive and their states for a recording's summary
/// (`goro::dump`, a layer above), once a runtime has started.
static ALIVE: std::sync::OnceLock<fn() -> Vec<goro_trace::AliveGoroutine>> =
    std::sync::OnceLock::new();

/// Says how to list the goroutines alive when a recording ends.
pub(crate) fn list_alive_with(alive: fn() -> Vec<goro_trace::AliveGoroutine>) {
    let _ = ALIVE.set(alive);
}

/// The recording in progress, started by `GORO_TRACE` or by [`start`].
struct Active {
    dir: PathBuf,
    from_env: bool,
}

static ACTIVE: Mutex<Option<Active>> = Mutex::new(None);

/// What the environment asks of tracing for a runtime being built.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EnvRecording {
    /// This runtime started the `GORO_TRACE` recording: its main
    /// goroutine's end writes it.
    pub(crate) owner: bool,
}

/// Reads `GORO_TRACE` and `GORO_TRACE_EVENTS`, and starts the recording if
/// asked and none is in progress.
pub(crate) fn start_from_env() -> Result<EnvRecording, BuildError> {
    let dir = match std::env::var_os("GORO_TRACE") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => return Ok(EnvRecording { owner: false }),
    };
    let mut config = recorder::Config::default();
    if let Some(n) = positive_env("GORO_TRACE_EVENTS").map_err(BuildError::TraceEvents)? {
        config.events_per_thread = n;
    }
    let mut active = ACTIVE.lock().unwrap_or_else(PoisonError::into_inner);
    if active.is_some() || recorder::start(config).is_err() {
        return Ok(EnvRecording { owner: false });
    }
    *active = Some(Active {
        dir,
        from_env: true,
    });
    drop(active);
    // A panic exit, or Ctrl-C, writes the recording first.
    panic::set_exit_hook(exiting);
    listen_for_ctrl_c();
    Ok(EnvRecording { owner: true })
}

/// The main goroutine of the runtime that started the `GORO_TRACE`
/// recording ended: write it.
pub(crate) fn main_ended(env: EnvRecording) {
    if env.owner {
        finish_active(true, true);
    }
}

/// The runtime that started the `GORO_TRACE` recording could not start:
/// drop the recording, so that a later runtime starts (and writes) its own.
pub(crate) fn abandon(env: EnvRecording) {
    if !env.owner {
        return;
    }
    let mut active = ACTIVE.lock().unwrap_or_else(PoisonError::into_inner);
    if active.as_ref().is_some_and(|a| a.from_env) {
        *active = None;
        recorder::stop();
        stop_listening_for_ctrl_c();
    }
}

/// The process is about to exit (a panic, Ctrl-C): write any recording.
/// The exit hook a recording registers.
fn exiting() {
    finish_active(false, true);
}

/// Stops the recording in progress and writes it; says where on stderr if
/// `announce`, and always when it fails.
///
/// `ACTIVE` stays locked until the files are written, so that an exit (a
/// panic exit elsewhere, Ctrl-C), which comes here first, waits for a write
/// in progress instead of ending the process halfway through it; and a
/// guard finishing meanwhile returns once the files are there.
fn finish_active(only_env: bool, announce: bool) -> Option<std::io::Result<Files>> {
    thread_local! {
        /// This thread holds `ACTIVE` to write: a panic exit from its own
        /// hook (a panic while it writes) must not wait for itself.
        static WRITING: Cell<bool> = const { Cell::new(false) };
    }
    struct Writing;
    impl Drop for Writing {
        fn drop(&mut self) {
            WRITING.with(|w| w.set(false));
        }
    }
    if WRITING.with(Cell::get) {
        return None;
    }
    let mut active = ACTIVE.lock().unwrap_or_else(PoisonError::into_inner);
    if only_env && !active.as_ref().is_some_and(|a| a.from_env) {
        return None;
    }
    let Active { dir, .. } = active.take()?;
    stop_listening_for_ctrl_c();
    WRITING.with(|w| w.set(true));
    let _writing = Writing;
    let mut trace = recorder::stop()?;
    trace.alive = ALIVE.get().map(|alive| alive());
    let written = goro_trace::export::write_files(&trace, &dir);
    match &written {
        Ok(_) if !announce => {}
        Ok(_) => eprintln!(
            "goro: trace written to {}: trace.json (open in https://ui.perfetto.dev), timeline.html, summary.txt",
            dir.display()
        ),
        Err(err) => eprintln!("goro: could not write the trace to {}: {err}", dir.display()),
    }
    Some(written)
}

/// Ctrl-C while recording writes the recording and exits with status 130;
/// on Unix, only where the program does not handle SIGINT itself
/// (`interrupt.rs`).
#[cfg(unix)]
fn listen_for_ctrl_c() {
    interrupt::arm();
}

/// The recording ended: Ctrl-C is the program's again.
#[cfg(unix)]
fn stop_listening_for_ctrl_c() {
    interrupt::disarm();
}

#[cfg(not(unix))]
fn stop_listening_for_ctrl_c() {}

/// On Ctrl-C while recording, write the recording and exit with status 130
/// (128 + SIGINT), as the interrupted program would have. Writing a long
/// recording takes a while (or waits for one being written elsewhere): a
/// second Ctrl-C exits at once.
#[cfg(not(unix))]
fn listen_for_ctrl_c() {
    static LISTENING: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    LISTENING.get_or_init(|| {
        let listener = std::thread::Builder::new()
            .name("goro-trace-ctrl-c".into())
            .spawn(|| {
                let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                    .enable_io()
                    .build()
                else {
                    return;
                };
                runtime.block_on(async {
                    // One listener for both, made now: a second Ctrl-C that
                    // comes while the first is handled is not missed.
                    let Ok(mut interrupts) = interrupts() else {
                        return;
                    };
                    if interrupts.recv().await.is_none() {
                        return;
                    }
                    interrupted();
                    interrupts.recv().await;
                    std::process::exit(130)
                });
            });
        if let Err(err) = listener {
            eprintln!("goro: could not listen for Ctrl-C to write the trace: {err}");
        }
    });
}

#[cfg(windows)]
fn interrupts() -> std::io::Result<tokio::signal::windows::CtrlC> {
    tokio::signal::windows::ctrl_c()
}

/// The first Ctrl-C: writes the recording (if any) and exits with status
/// 130 (128 + SIGINT), as the interrupted program would have, from a thread
/// of its own, so that a second Ctrl-C is still heard meanwhile.
fn interrupted() {
    if trace_to_write() {
        eprintln!("goro: interrupted: writing the trace (Ctrl-C again to exit without it)");
    }
    let exit = || panic::exit_process(130);
    if std::thread::Builder::new()
        .name("goro-trace-exit".into())
        .spawn(exit)
        .is_err()
    {
        exit();
    }
}

/// Whether a recording is in progress or being written.
fn trace_to_write() -> bool {
    match ACTIVE.try_lock() {
        Ok(active) => active.is_some(),
        Err(std::sync::TryLockError::WouldBlock) => true,
        Err(std::sync::TryLockError::Poisoned(active)) => active.into_inner().is_some(),
    }
}

/// Why [`start`] could not start a recording.
#[derive(Debug)]
#[non_exhaustive]
pub enum TraceError {
    /// A recording is already in progress (`GORO_TRACE`, or another guard).
    AlreadyRecording,
}

impl std::fmt::Display for TraceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TraceError::AlreadyRecording => f.write_str(
                "a goro trace is already being recorded in this process (GORO_TRACE or another guard)",
            ),
        }
    }
}

impl std::error::Error for TraceError {}

/// Starts recording the scheduler, process-wide, until the returned guard
/// finishes; then writes `dir/trace.json`, `dir/timeline.html` and
/// `dir/summary.txt` (see the [module docs](self)).
///
/// Goroutines spawned before the recording started are not in it. A panic
/// exit or Ctrl-C while recording writes the files too.
///
/// # Examples
///
/// ```
/// let dir = std::env::temp_dir().join(format!("goro-trace-doc-{}", std::process::id()));
/// let to = dir.clone();
/// let files = goro::run(async move {
///     let guard = goro::trace::start(to).unwrap();
///     let workers: Vec<_> = (0..4).map(|i| goro::go!(async move { i * 2 })).collect();
///     for worker in workers {
///         worker.await.unwrap();
///     }
///     guard.finish().unwrap()
/// });
/// assert!(std::fs::read_to_string(&files.summary_txt).unwrap().contains("goroutines"));
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
pub fn start(dir: impl Into<PathBuf>) -> Result<TraceGuard, TraceError> {
    let mut active = ACTIVE.lock().unwrap_or_else(PoisonError::into_inner);
    if active.is_some() || recorder::start(recorder::Config::default()).is_err() {
        return Err(TraceError::AlreadyRecording);
    }
    *active = Some(Active {
        dir: dir.into(),
        from_env: false,
    });
    drop(active);
    // A panic exit, or Ctrl-C, writes the recording first.
    panic::set_exit_hook(exiting);
    listen_for_ctrl_c();
    Ok(TraceGuard { finished: false })
}

/// A recording started by [`start`]. [`finish`](TraceGuard::finish) stops
/// it and writes the files; dropping the guard does the same and reports a
/// write error on stderr.
#[derive(Debug)]
#[must_use = "the recording stops when the guard is dropped"]
pub struct TraceGuard {
    finished: bool,
}

impl TraceGuard {
    /// Stops the recording and writes the three files.
    ///
    /// # Errors
    ///
    /// A file could not be written, or the recording had already been
    /// written (a panic exit in progress).
    pub fn finish(mut self) -> std::io::Result<Files> {
        self.finished = true;
        finish_active(false, false)
            .unwrap_or_else(|| Err(std::io::Error::other("the goro trace was already written")))
    }
}

impl Drop for TraceGuard {
    fn drop(&mut self) {
        if !self.finished {
            finish_active(false, true);
        }
    }
}
