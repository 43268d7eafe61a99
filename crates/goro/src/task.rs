//! The wrapper every goroutine runs in: where it was spawned, and the panic
//! policy applied around each poll and around the drop of its future.
//!
//! The wrapper adds one word to the user's future. Tokio allocates tasks in
//! steps of 128 bytes, and a small future (up to 24 bytes) still fits the
//! smallest step with that word: with a 40-byte header of our own it would
//! not, and spawning such goroutines measured 15-30% slower than
//! `tokio::spawn` for that reason alone. So the id is Tokio's own, and a
//! name (rare) lives behind the word.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe, Location};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use crate::context::{self, Enter, Running};
use crate::id::GoroutineId;
use crate::panic;

/// Who a goroutine is, beyond its id.
pub(crate) trait Site: Send + 'static {
    fn spawned_at(&self) -> &'static Location<'static>;
    fn name(&self) -> Option<&str>;
    fn id(&self) -> GoroutineId;

    /// The name as shared, for the watchdog.
    #[cfg(feature = "trace")]
    fn name_arc(&self) -> Option<&Arc<str>> {
        None
    }

    /// The goroutine's tracing state, if it is traced.
    #[cfg(feature = "trace")]
    fn traced(&self) -> Option<&crate::trace::Traced> {
        None
    }

    fn running(&self) -> Running {
        Running {
            spawned_at: self.spawned_at(),
            id: self.id(),
        }
    }
}

/// An unnamed goroutine: where it was spawned, and its id.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Spot {
    pub(crate) spawned_at: &'static Location<'static>,
    pub(crate) id: GoroutineId,
}

impl Site for Spot {
    fn spawned_at(&self) -> &'static Location<'static> {
        self.spawned_at
    }
    fn name(&self) -> Option<&str> {
        None
    }
    fn id(&self) -> GoroutineId {
        self.id
    }
}

/// A named goroutine, the main one, or a traced one.
#[derive(Debug)]
pub(crate) struct Named {
    pub(crate) spawned_at: &'static Location<'static>,
    pub(crate) name: Option<Arc<str>>,
    pub(crate) id: GoroutineId,
    #[cfg(feature = "trace")]
    pub(crate) traced: Option<crate::trace::Traced>,
}

impl Named {
    pub(crate) fn new(
        spawned_at: &'static Location<'static>,
        name: Option<Arc<str>>,
        id: GoroutineId,
    ) -> Box<Named> {
        Box::new(Named {
            spawned_at,
            name,
            id,
            #[cfg(feature = "trace")]
            traced: None,
        })
    }
}

impl Site for Box<Named> {
    fn spawned_at(&self) -> &'static Location<'static> {
        self.spawned_at
    }
    fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
    fn id(&self) -> GoroutineId {
        self.id
    }
    #[cfg(feature = "trace")]
    fn name_arc(&self) -> Option<&Arc<str>> {
        self.name.as_ref()
    }
    #[cfg(feature = "trace")]
    fn traced(&self) -> Option<&crate::trace::Traced> {
        self.traced.as_ref()
    }
}

pin_project! {
    /// A goroutine's future: the user's future plus where it came from.
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
            let site = &this.scope.0;
            #[cfg(feature = "trace")]
            if let Some(traced) = site.traced() {
                traced.dropped(site);
            }
            context::enter_drop(site.running());
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

impl<F: Future, S: Site> Future for Task<F, S> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let future = this.future;
        let site = &this.scope.0;
        #[cfg(feature = "trace")]
        let poll = match site.traced() {
            Some(traced) => guarded_poll(site, || traced.poll(site, future, cx)),
            None => guarded_poll(site, || future.poll(cx)),
        };
        #[cfg(not(feature = "trace"))]
        let poll = guarded_poll(site, || future.poll(cx));
        if context::run_ends() {
            crate::handoff::end_run(cx);
        }
        poll
    }
}

/// [`guarded`] for a worker's poll of goroutine `site`: the watchdog
/// watches it.
#[inline]
fn guarded_poll<S: Site, R>(site: &S, f: impl FnOnce() -> R) -> R {
    let entered = Enter::poll(
        site.running(),
        #[cfg(feature = "trace")]
        site.name_arc(),
    );
    run_guarded(site, entered, f)
}

/// Runs `f` as goroutine `site` on the current thread, applying the panic
/// policy of the thread's runtime: under `Panic::Exit` a panic prints Go's
/// report and ends the process; otherwise it unwinds to the caller (Tokio).
#[inline]
pub(crate) fn guarded<S: Site, R>(site: &S, f: impl FnOnce() -> R) -> R {
    run_guarded(site, Enter::new(site.running()), f)
}

#[inline]
fn run_guarded<S: Site, R>(site: &S, entered: (Enter, bool), f: impl FnOnce() -> R) -> R {
    let (enter, exit_on_panic) = entered;
    if !exit_on_panic {
        return f();
    }
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(value) => {
            panic::returned_normally();
            value
        }
        Err(payload) => {
            // The poll is over. Ending it here keeps the watchdog from
            // reporting the goroutine as holding its worker while the exit
            // writes a trace, or while a second panicking goroutine waits
            // for the first to end the process.
            drop(enter);
            panic::exit(site, payload)
        }
    }
}
