//! The wrapper every goroutine runs in: it carries the goroutine's identity
//! and applies the runtime's panic policy around each poll.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe, Location};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use crate::id::{Current, Enter, GoroutineId};
use crate::panic;

/// Who a goroutine is: what traces and panic reports name it by.
#[derive(Clone, Debug)]
pub(crate) struct Meta {
    pub(crate) id: GoroutineId,
    pub(crate) name: Option<Arc<str>>,
    pub(crate) spawned_at: &'static Location<'static>,
    pub(crate) parent: Option<GoroutineId>,
    pub(crate) exit_on_panic: bool,
}

impl Meta {
    /// A new goroutine spawned by the current one (if any) at `spawned_at`.
    pub(crate) fn child(
        name: Option<Arc<str>>,
        spawned_at: &'static Location<'static>,
        exit_on_panic: bool,
    ) -> Meta {
        Meta {
            id: GoroutineId::next(),
            name,
            spawned_at,
            parent: crate::id::id(),
            exit_on_panic,
        }
    }

    fn current(&self) -> Current {
        Current {
            id: self.id,
            exit_on_panic: self.exit_on_panic,
        }
    }
}

pin_project! {
    /// A goroutine's future: the user's future plus who it is.
    pub(crate) struct Task<F> {
        #[pin]
        future: F,
        meta: Meta,
    }
}

impl<F> Task<F> {
    pub(crate) fn new(future: F, meta: Meta) -> Task<F> {
        Task { future, meta }
    }
}

impl<F: Future> Future for Task<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let _enter = Enter::new(this.meta.current());
        if !this.meta.exit_on_panic {
            return this.future.poll(cx);
        }
        let future = this.future;
        match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(poll) => {
                panic::poll_returned();
                poll
            }
            Err(payload) => panic::exit(this.meta, payload),
        }
    }
}

/// Runs a blocking closure as the goroutine `meta`, on the current thread.
pub(crate) fn run_blocking<R>(meta: &Meta, f: impl FnOnce() -> R) -> R {
    let _enter = Enter::new(meta.current());
    if !meta.exit_on_panic {
        return f();
    }
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(value) => value,
        Err(payload) => panic::exit(meta, payload),
    }
}
