//! The wrapper every goroutine runs in: who it is, and the panic policy
//! applied around each poll and around the drop of its future.
//!
//! The wrapper adds one or two words to the user's future: an unnamed
//! goroutine's `Spot` (spawn location and id) inline, a named one's behind
//! a box (`Named`), so that the common goroutine stays as small as it can.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use super::context::{self, Enter};
use super::status::{kind, Listed, Word};
use super::{handoff, panic};
use crate::goroutine::site::{Running, Site};
use crate::util::watched;

pin_project! {
    /// A goroutine's future: the user's future plus who it is.
    ///
    /// While the user's future is dropped (after it completed, or when the
    /// goroutine is aborted or abandoned), the thread is marked as dropping
    /// that goroutine, so that a panic in a destructor follows the panic
    /// policy too: `PinnedDrop` marks it, and `scope`, dropped after
    /// `future`, unmarks it.
    pub(crate) struct Task<F, S: Site> {
        #[pin]
        future: F,
        scope: DropScope<S>,
    }

    impl<F, S: Site> PinnedDrop for Task<F, S> {
        fn drop(this: Pin<&mut Self>) {
            context::enter_drop(this.scope.0.running());
        }
    }
}

/// Unmarks the thread once the goroutine's future has been dropped.
struct DropScope<S>(S);

impl<S> Drop for DropScope<S> {
    fn drop(&mut self) {
        context::leave_drop();
    }
}

impl<F, S: Site> Task<F, S> {
    pub(crate) fn new(future: F, site: S) -> Task<F, S> {
        Task {
            future,
            scope: DropScope(site),
        }
    }
}

/// A goroutine's future that says which goroutine it is.
pub(crate) trait Identified {
    fn running(&self) -> Running;
    /// Its name, if it has one.
    fn name(&self) -> Option<Arc<str>>;
}

impl<F, S: Site> Identified for Task<F, S> {
    fn running(&self) -> Running {
        self.scope.0.running()
    }
    fn name(&self) -> Option<Arc<str>> {
        self.scope.0.shared_name()
    }
}

impl<F: Future, S: Site> Future for Task<F, S> {
    type Output = F::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let site = &this.scope.0;
        if panic::may_hold() && panic::hold(site.running()) {
            // Its runtime's main goroutine has returned: it never runs
            // again, and the runtime's shutdown drops it.
            return Poll::Pending;
        }
        let future = this.future;
        let (poll, foreign) = run_guarded(site, true, || watched::watch(cx, |cx| future.poll(cx)));
        if foreign && poll.is_pending() {
            // Something goro cannot see into may wake it, whatever goro's
            // primitives said.
            context::waiting(Word::of(kind::OTHER));
        }
        if context::run_ends() {
            handoff::end_run(cx);
        }
        poll
    }
}

/// Runs `f` (a blocking call) as goroutine `site` on the current thread,
/// applying the panic policy of the thread's runtime: under `Panic::Exit` a
/// panic prints Go's report and ends the process; otherwise it unwinds to
/// the caller (Tokio).
#[inline]
pub(crate) fn guarded<S: Site, R>(site: &S, f: impl FnOnce() -> R) -> R {
    run_guarded(site, false, f)
}

/// `guarded`, for a poll of the goroutine if `polling`.
#[inline(always)]
fn run_guarded<S: Site, R>(site: &S, polling: bool, f: impl FnOnce() -> R) -> R {
    let (enter, exit_on_panic) = Enter::new(site.running(), polling);
    if !exit_on_panic {
        return f();
    }
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(value) => {
            panic::returned_normally();
            value
        }
        Err(payload) => {
            // The poll is over: the thread is no longer in the goroutine
            // while the exit runs its hook, or while a second panicking
            // goroutine waits for the first to end the process.
            drop(enter);
            panic::exit(site, payload)
        }
    }
}

pin_project! {
    /// `future`, which says, whenever it returns `Pending`, that its
    /// goroutine waits for `state` (a sleep, a blocking call).
    pub(crate) struct Waits<F> {
        #[pin]
        future: F,
        state: Word,
    }
}

impl<F> Waits<F> {
    pub(crate) fn new(state: Word, future: F) -> Waits<F> {
        Waits { future, state }
    }
}

impl<F: Future> Future for Waits<F> {
    type Output = F::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        // goro knows what wakes it: the waker it keeps is no foreign one.
        let future = this.future;
        let poll = watched::unwatched(cx, |cx| future.poll(cx));
        if poll.is_pending() {
            context::waiting(*this.state);
        }
        poll
    }
}

pin_project! {
    /// A goroutine hosted outside the carriers (main on the calling
    /// thread), keeping its own status.
    pub(crate) struct Tracked<F> {
        #[pin]
        future: F,
        status: Listed,
    }
}

impl<F> Tracked<F> {
    pub(crate) fn new(future: F, status: Listed) -> Tracked<F> {
        Tracked { future, status }
    }
}

impl<F: Future> Future for Tracked<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let polling = context::Polling::enter(&this.status.0);
        let poll = this.future.poll(cx);
        drop(polling);
        if poll.is_pending() {
            this.status.0.pending(context::now);
        }
        poll
    }
}
