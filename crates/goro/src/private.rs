//! Not public API: what goro's macros expand to. Reached through
//! `$crate::__private` so that the macros work when goro is renamed or
//! re-exported.

use std::cell::Cell;
use std::future::{ready, Future, IntoFuture, Ready};
use std::marker::PhantomData;
use std::process::Termination;

pub use std::process::ExitCode;

pub use crate::builder::Builder;
pub use crate::builder::Panic;
pub use crate::chan::select::{select, SelectOp};
pub use crate::spawn::spawn;
pub use goro_macros::{go_impl, select_impl};

/// Tells, at compile time, whether a `go!` call returned a future (the
/// goroutine awaits it) or a plain value (the goroutine's result). Method
/// resolution picks [`ViaFuture`] when `T: IntoFuture` and falls back to
/// [`ViaValue`] through one more auto-reference otherwise.
pub struct Tag<T>(PhantomData<fn() -> T>);

/// Builds the [`Tag`] of a value without taking it.
pub fn tag<T>(_: &T) -> Tag<T> {
    Tag(PhantomData)
}

/// The call returned a future.
pub struct FutureKind;
/// The call returned a plain value.
pub struct ValueKind;

/// Picked when the call's result is a future.
pub trait ViaFuture {
    /// See [`Tag`].
    fn __goro_kind(&self) -> FutureKind {
        FutureKind
    }
}
impl<T: IntoFuture> ViaFuture for Tag<T> {}

/// Picked when the call's result is not a future.
pub trait ViaValue {
    /// See [`Tag`].
    fn __goro_kind(&self) -> ValueKind {
        ValueKind
    }
}
impl<T> ViaValue for &Tag<T> {}

impl FutureKind {
    /// The future to await.
    pub fn into_future<F: IntoFuture>(self, future: F) -> F::IntoFuture {
        future.into_future()
    }
}

impl ValueKind {
    /// A future that is ready with the value.
    pub fn into_future<T>(self, value: T) -> Ready<T> {
        ready(value)
    }
}

/// The main future of `#[goro::main]` or `#[goro::test]` and its runtime's
/// builder. Method resolution picks [`MainOnWorker`] (`Builder::run`: main
/// is a goroutine on a worker) when the future and its output are `Send`,
/// and falls back to [`MainOnCaller`] (`Builder::run_local`) through one
/// more auto-reference otherwise.
pub struct Main<F> {
    parts: Cell<Option<(Builder, F)>>,
}

impl<F> Main<F> {
    /// See [`Main`].
    pub fn new(builder: Builder, future: F) -> Main<F> {
        Main {
            parts: Cell::new(Some((builder, future))),
        }
    }

    fn take(&self) -> (Builder, F) {
        self.parts.take().expect("the macros run a Main once")
    }
}

/// The builder of `#[goro::test]`'s runtime: a deadlock fails the test
/// (its `run` panics with the report), and the process is a test harness.
pub fn test_builder() -> Builder {
    crate::runtime::threads::in_test_harness();
    let mut builder = Builder::new();
    builder.in_test = true;
    builder
}

/// How many times the deadlock checker has looked at the runtimes, for the
/// process tests that show it stays silent while a program can go on.
pub fn deadlock_looks() -> u64 {
    crate::deadlock::looks()
}

/// Picked when the main future can run on a worker.
pub trait MainOnWorker {
    /// The main future's output.
    type Output;
    /// See [`Main`].
    fn __goro_run(&self) -> Self::Output;
}

impl<F> MainOnWorker for Main<F>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    type Output = F::Output;

    #[track_caller]
    fn __goro_run(&self) -> F::Output {
        let (builder, future) = self.take();
        builder.run(future)
    }
}

/// Picked when the main future is not `Send`: it runs on the calling
/// thread.
pub trait MainOnCaller {
    /// The main future's output.
    type Output;
    /// See [`Main`].
    fn __goro_run(&self) -> Self::Output;
}

impl<F: Future> MainOnCaller for &Main<F> {
    type Output = F::Output;

    #[track_caller]
    fn __goro_run(&self) -> F::Output {
        let (builder, future) = self.take();
        builder.run_local(future)
    }
}

/// `#[goro::test]`'s check when the body has returned: fails the test with
/// the goroutines it leaked.
pub async fn leak_check() {
    let leaked = crate::dump::leaked().await;
    if !leaked.is_empty() {
        panic!(
            "goro::test: the test leaked {} goroutine{} (alive at its end):\n\n{leaked}\n\
             end them before the test returns, or allow it with #[goro::test(leaks = \"allow\")]",
            leaked.len(),
            if leaked.len() == 1 { "" } else { "s" },
        );
    }
}

/// The value main's body returns, as it returns: from here on no other
/// goroutine of main's runtime runs, and only then are main's locals
/// dropped (their destructors would otherwise wake goroutines that then
/// run after main's end). `#[goro::main]` wraps every `return`, `?` and
/// the tail of main's body in it.
#[inline]
pub fn main_returns<T>(value: T) -> T {
    crate::runtime::context::main_returned();
    value
}

/// What `?` returns from main's body for an error `err`.
#[inline]
pub fn err<T, E, F: From<E>>(err: E) -> Result<T, F> {
    Err(F::from(err))
}

/// Awaits main's future and reports its output as `fn main` would (an
/// `Err` prints `Error: ..` and fails), inside the main goroutine.
pub async fn reported<F>(main: F) -> ExitCode
where
    F: Future,
    F::Output: Termination,
{
    main.await.report()
}

/// `reported`, then `#[goro::test]`'s leak check.
pub async fn reported_checked<F>(main: F) -> ExitCode
where
    F: Future,
    F::Output: Termination,
{
    let code = main.await.report();
    leak_check().await;
    main_returns(code)
}

/// Awaits a test's body, then runs the leak check.
pub async fn checked<F: Future<Output = ()>>(main: F) {
    main.await;
    leak_check().await;
    main_returns(());
}
