//! Go's goroutines for Rust, on Tokio's multi-threaded runtime.
//!
//! `go!(f(x))` starts a goroutine; the program ends when `main` ends, as in
//! Go; blocking calls go to a blocking pool; a panic prints Go's report and
//! exits with status 2. Underneath is Tokio with one worker thread per core,
//! so every Tokio library works inside a goroutine.
//!
//! # A tour
//!
//! The Go tutorial's first program: `main` starts `foo` in a new goroutine
//! and goes on at once. Whether "foo" is printed before "after", or at all,
//! is up to the scheduler: when `main` returns, the program ends.
//!
//! ```
//! fn foo() {
//!     println!("foo");
//! }
//!
//! #[goro::main]
//! async fn main() {
//!     println!("before");
//!     goro::go!(foo()); // spawn a new goroutine, which calls foo()
//!     println!("after");
//! }
//! # // doctests do not call `main` for us when it is attributed
//! # main();
//! ```
//!
//! The function and its arguments are evaluated in the calling goroutine,
//! before `go!` returns; only the call runs in the new one:
//!
//! ```
//! fn bar() -> u32 {
//!     // runs now, in main
//!     assert_eq!(goro::id(), Some(goro::GoroutineId::MAIN));
//!     7
//! }
//!
//! async fn foo(x: u32) -> u32 {
//!     // runs in the new goroutine
//!     assert_ne!(goro::id(), Some(goro::GoroutineId::MAIN));
//!     x * 6
//! }
//!
//! goro::run(async {
//!     let handle = goro::go!(foo(bar()));
//!     assert_eq!(handle.await.unwrap(), 42);
//! });
//! ```
//!
//! Waiting for goroutines, and handing a blocking call to the blocking pool
//! so that the worker threads stay free:
//!
//! ```
//! use goro::sync::WaitGroup;
//!
//! goro::run(async {
//!     let wg = WaitGroup::new();
//!     for i in 0..100 {
//!         wg.go(async move { i * 2 });
//!     }
//!     let bytes = goro::blocking(|| std::fs::read("/proc/self/stat").map(|b| b.len())).await;
//!     wg.wait().await;
//!     assert!(bytes.unwrap() > 0);
//! });
//! ```
//!
//! # Go and goro
//!
//! | Go | goro |
//! | --- | --- |
//! | `go f(x)` | [`go!(f(x))`](go!), [`spawn`] |
//! | `func main()` | [`#[goro::main]`](main), [`run`] ([`run_local`] for a main that is not `Send`) |
//! | `net.Listen("tcp", addr)` | [`net::listen`] |
//! | `runtime.GOMAXPROCS(0)`, `GOMAXPROCS=N` | [`gomaxprocs`], `GOMAXPROCS=N`, [`Builder::worker_threads`] |
//! | `runtime.NumGoroutine()`, `runtime.Gosched()` | [`num_goroutine`], [`gosched`] |
//! | a blocking syscall | [`blocking`], [`spawn_blocking`] |
//! | `sync.WaitGroup` | [`sync::WaitGroup`] |
//! | unrecovered panic: exit status 2 | [`Panic::Exit`] (default), [`Panic::Isolate`] for Tokio's way |
//!
//! # Where goroutines run
//!
//! Inside a goro runtime ([`run`], [`#[goro::main]`](main)), goroutines run
//! on its workers. Inside any other Tokio runtime, [`spawn`] and [`go!`] are
//! drop-ins for `tokio::spawn` and keep Tokio's panic behaviour. Outside any
//! runtime, a process-wide goro runtime starts on first use, as Go's always
//! exists.
//!
//! On a goro runtime a goroutine runs inside a Tokio task that goes on to
//! host other goroutines after it ends (a carrier, as Go reuses a finished
//! goroutine), so there `tokio::task::id()` names that task, not the
//! goroutine: [`id`] names the goroutine.
//!
//! # Spawning by the million: the allocator
//!
//! On a goro runtime a finished goroutine's Tokio task hosts the next one,
//! as Go reuses a finished goroutine, but each goroutine still allocates
//! its handle's state (and its own box, unless the task kept one of the
//! same size) on the worker that starts it, freed by the worker that runs
//! it. goro leaves the global allocator to the program (a binary has
//! one, and a library that chose it would clash with the program's own), so
//! a program that starts and ends goroutines by the hundred thousand should
//! choose one, as a Tokio program would, for example mimalloc:
//!
//! ```ignore
//! #[global_allocator]
//! static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
//! ```
//!
//! `benches/README.md` in the repository shows both allocators side by side.
#![deny(unsafe_code)]
#![doc(test(attr(deny(warnings))))]

// The layers, each using only those above it in this list (see
// ARCHITECTURE.md): primitives, utilities, plain goroutine data, the
// runtime, tracing (an add-on), spawning and the builder, then the
// user-facing modules.
mod builder;
mod deadlock;
mod dump;
mod goroutine;
mod loom;
#[cfg(unix)]
mod quit;
mod runtime;
mod sched;
mod spawn;
mod util;

pub mod chan;
pub mod context;
pub mod net;
#[cfg(unix)]
pub mod signal;
pub mod sync;
pub mod time;
#[cfg(feature = "trace")]
pub mod trace;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

/// Starts a goroutine: `go!(f(a, b))`, `go!(recv.method(a))` or
/// `go!(future)`. Returns a [`JoinHandle`] at once.
///
/// For a call, the function, the receiver and the arguments are evaluated
/// now, in the calling goroutine, left to right; the call itself runs in
/// the new goroutine. A function named by a path (a `fn`, or a local
/// closure: Go's func value) is copied into the goroutine with `Clone`, so
/// one closure can start any number of goroutines; a closure called on the
/// spot needs its parentheses, `go!((|msg: &str| ..)("going"))`, and gets
/// no warning for them. If the call returns a future,
/// the goroutine awaits it; otherwise the goroutine's result is the call's
/// value. Any other expression must be a future (an `async` block, a
/// variable holding a future), which becomes the goroutine.
///
/// # Examples
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
///
/// struct Counter(AtomicUsize);
/// impl Counter {
///     async fn bump(self: Arc<Self>, by: usize) -> usize {
///         self.0.fetch_add(by, Ordering::SeqCst) + by
///     }
/// }
///
/// fn square(x: u64) -> u64 {
///     x * x
/// }
///
/// goro::run(async {
///     // A plain function: it runs in the new goroutine.
///     assert_eq!(goro::go!(square(12)).await.unwrap(), 144);
///
///     // A method returning a future: the receiver is evaluated here.
///     let counter = Arc::new(Counter(AtomicUsize::new(0)));
///     assert_eq!(goro::go!(counter.clone().bump(5)).await.unwrap(), 5);
///
///     // Any future.
///     let answer = goro::go!(async { 42 });
///     assert_eq!(answer.await.unwrap(), 42);
/// });
/// ```
///
/// Whether the goroutine awaits the call's result is decided from the
/// call's static type. In generic code a `T` that happens to be a future is
/// returned, not awaited; a function returning `!` does not fit either way
/// (write `go!(async { serve() })`).
///
/// The receiver and arguments are moved into the goroutine, so they must be
/// `Send + 'static`: borrowing from the caller is an error.
///
/// ```compile_fail
/// fn len(s: &str) -> usize { s.len() }
/// goro::run(async {
///     let text = String::from("borrowed");
///     goro::go!(len(&text));
/// });
/// ```
#[macro_export]
macro_rules! go {
    ($($call:tt)*) => {
        $crate::__private::go_impl!([$crate] $($call)*)
    };
}

/// Waits on several channel operations and commits exactly one: Go's
/// `select`.
///
/// ```text
/// goro::select! {
///     v = rx.recv() => { /* v: Option<T>; None once rx's channel is closed */ }
///     r = tx.send(x) => { /* r: Result<(), SendError<T>> */ }
///     _ = timeout.recv() => { /* a goro::time::after channel */ }
///     v = jobs.recv(), if open => { /* only while `open` holds */ }
///     v = maybe.as_ref().map(|rx| rx.recv()) => { /* never while `maybe` is None */ }
///     default => { /* none was ready */ }
/// }
/// ```
///
/// Exactly one operation commits. Among those ready at once the choice is
/// uniformly random. A losing send sends nothing (its value is dropped with
/// the branch), a losing receive takes nothing. Without `default`, the
/// select waits until one operation can proceed; with it, `default` runs
/// when none can right away. The whole `select!` is an expression whose
/// value is the chosen branch's. Dropping it while it waits commits nothing,
/// unless a counterpart committed a branch first: then a receive puts its
/// value back into the channel, and a send has delivered its value.
///
/// Branches must be goro channel operations, which can promise
/// exactly-once; for other futures use `tokio::select!`. A `recv()` or
/// `send()` future that was polled on its own before may be a branch too.
/// The values sent and received must be `Send` (the select is a goroutine's
/// state), and a branch's pattern must match every result (bind
/// `v = rx.recv()` and match on `v` in the body).
///
/// Go's nil channel, which never fires, is an `Option` of an operation:
/// a `None` branch never commits (see [`Selectable`](chan::Selectable)). A
/// branch with a guard, `v = rx.recv(), if cond => ..`, is such an
/// `Option`: its condition is evaluated first, and the operation is made
/// only if it holds. A `select!` whose branches are all disabled waits
/// forever, or takes `default`. The operations are dropped before the
/// chosen body runs, so a body may change what its operation borrowed:
///
/// ```
/// goro::run(async {
///     let (a_tx, a_rx) = goro::chan::<u32>(0);
///     let (b_tx, b_rx) = goro::chan::<u32>(0);
///     goro::go!(async move { a_tx.send(1).await.unwrap() });
///     goro::go!(async move { b_tx.send(2).await.unwrap() });
///     // Merge until both are closed, disabling each once it is.
///     let (mut a, mut b) = (Some(a_rx), Some(b_rx));
///     let mut sum = 0;
///     while a.is_some() || b.is_some() {
///         goro::select! {
///             v = a.as_ref().map(|rx| rx.recv()) => match v {
///                 Some(v) => sum += v,
///                 None => a = None,
///             },
///             v = b.as_ref().map(|rx| rx.recv()) => match v {
///                 Some(v) => sum += v,
///                 None => b = None,
///             },
///         }
///     }
///     assert_eq!(sum, 3);
/// });
/// ```
///
/// # Examples
///
/// ```
/// goro::run(async {
///     let (tx, rx) = goro::chan::<u32>(1);
///     let (quit_tx, quit) = goro::chan::<()>(0);
///     let worker = goro::go!(async move {
///         let mut sum = 0;
///         loop {
///             goro::select! {
///                 v = rx.recv() => sum += v.unwrap_or(0),
///                 _ = quit.recv() => return sum,
///             }
///         }
///     });
///     for i in 1..=4 {
///         tx.send(i).await.unwrap();
///     }
///     while !tx.is_empty() {
///         goro::gosched().await;
///     }
///     quit_tx.send(()).await.unwrap();
///     assert_eq!(worker.await.unwrap(), 10);
/// });
/// ```
#[macro_export]
macro_rules! select {
    ($($branches:tt)*) => {
        $crate::__private::select_impl!([$crate] $($branches)*)
    };
}

pub use builder::{run, run_local, BuildError, Builder, Panic};
pub use chan::chan;
pub use dump::{dump, leaked, Dump, GoroutineDump, State};
pub use goro_macros::{main, test};
pub use goroutine::handle::JoinHandle;
pub use goroutine::id::GoroutineId;
pub use goroutine::join::JoinError;
pub use runtime::metrics::{Metrics, WorkerMetrics};
pub use sched::{gomaxprocs, gosched, id, metrics, num_goroutine};
pub use spawn::{blocking, spawn, spawn_blocking, Goroutine};
