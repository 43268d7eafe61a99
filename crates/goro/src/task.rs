//! The wrapper every goroutine runs in: it carries the goroutine's identity
//! and applies the runtime's panic policy around each poll, and around the
//! drop of its future.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe, Location};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use pin_project_lite::pin_project;

use crate::context::Enter;
use crate::id::GoroutineId;
use crate::panic;

/// Who a goroutine is: what traces and panic reports name it by.
#[derive(Clone, Debug)]
pub(crate) struct Meta {
    pub(crate) id: GoroutineId,
    pub(crate) name: Option<Arc<str>>,
    pub(crate) spawned_at: &'static Location<'static>,
    pub(crate) parent: Option<GoroutineId>,
}

pin_project! {
    /// The user's future, until it completes or is dropped.
    #[project = StageProj]
    enum Stage<F> {
        Running { #[pin] future: F },
        Done,
    }
}

pin_project! {
    /// A goroutine's future: the user's future plus who it is.
    ///
    /// The user's future is dropped inside the wrapper (as soon as it
    /// completes, or when the goroutine is aborted or abandoned), so that a
    /// panic in its destructor follows the panic policy too.
    pub(crate) struct Task<F> {
        #[pin]
        stage: Stage<F>,
        meta: Meta,
    }

    impl<F> PinnedDrop for Task<F> {
        fn drop(this: Pin<&mut Self>) {
            let mut this = this.project();
            if let StageProj::Running { .. } = this.stage.as_mut().project() {
                let mut stage = this.stage;
                guarded(this.meta, || stage.set(Stage::Done));
            }
        }
    }
}

impl<F> Task<F> {
    pub(crate) fn new(future: F, meta: Meta) -> Task<F> {
        Task {
            stage: Stage::Running { future },
            meta,
        }
    }
}

impl<F: Future> Future for Task<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let mut stage = this.stage;
        guarded(this.meta, || {
            let output = match stage.as_mut().project() {
                StageProj::Running { future } => ready!(future.poll(cx)),
                StageProj::Done => panic!("goroutine polled after it completed"),
            };
            stage.set(Stage::Done);
            Poll::Ready(output)
        })
    }
}

/// Runs `f` as goroutine `meta` on the current thread, applying the panic
/// policy of the thread's runtime: under `Panic::Exit` a panic prints Go's
/// report and ends the process; otherwise it unwinds to the caller (Tokio).
#[inline]
pub(crate) fn guarded<R>(meta: &Meta, f: impl FnOnce() -> R) -> R {
    let (_enter, exit_on_panic) = Enter::new(meta.id, meta.spawned_at);
    if !exit_on_panic || std::thread::panicking() {
        return f();
    }
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(value) => {
            panic::returned_normally();
            value
        }
        Err(payload) => panic::exit(meta, payload),
    }
}
