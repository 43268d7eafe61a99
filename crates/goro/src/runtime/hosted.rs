//! A goroutine as a carrier sees it: a type-erased future that runs, may
//! panic, and ends by telling its handle.

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use crate::goroutine::id::GoroutineId;
use crate::goroutine::join::{Join, JoinError};
use crate::util::block::{Block, Kept};
use crate::util::pair::Pair;

/// A goroutine as a carrier hosts it.
pub(crate) type Goroutine = Pin<Box<dyn Hosted>>;

/// Which block of a carrier's kept memory holds what.
pub(crate) const BOX: usize = 0;
pub(crate) const JOIN: usize = 1;

/// A goroutine as a carrier sees it.
pub(crate) trait Hosted: Send {
    /// Polls the goroutine; `Ready` once it is over: it completed (its
    /// output is kept for its handle) or was aborted.
    fn run(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()>;
    /// Its poll panicked with `payload`.
    fn panicked(self: Pin<&mut Self>, payload: Box<dyn Any + Send>);
    /// Once it is over: drops its future, then tells its handle. The future
    /// goes first: dropping it may be what others wait for (a `WaitGroup`
    /// member, a channel's last sender), as with Tokio's tasks. Returns the
    /// memory of its `Join` if its handle was dropped already.
    fn end(self: Pin<&mut Self>) -> Option<Block>;
}

/// Makes goroutine `id`, in `kept` memory where it fits: its handle's share
/// of its `Join`, and its box.
pub(crate) fn make<F>(
    future: F,
    id: GoroutineId,
    mut kept: Kept,
) -> (Pair<Join<F::Output>>, Goroutine)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    // Two handles, counted at once: the goroutine's end and its handle's.
    let (join, end) = Pair::new_with(Join::new(id), |inner| kept.boxed(JOIN, inner));
    let hosting = Hosting {
        future: Some(future),
        waited: false,
        end: Ending {
            join: Some(end),
            result: None,
        },
    };
    (join, Box::into_pin(kept.boxed(BOX, hosting)))
}

pin_project! {
    /// A goroutine's future and its end. `Hosted::end` drops the future,
    /// then gives the handle the result. Dropped without that (the runtime
    /// shuts down, or the future's drop panicked), the fields drop in the
    /// same order: the future, then `end`, which gives the handle the
    /// result or says "cancelled".
    struct Hosting<F: Future> {
        // `None` once ended (`Hosted::end`).
        #[pin]
        future: Option<F>,
        // Whether the goroutine waited already (its `Join` has the
        // carrier's waker): the carrier's own note, so that later waits
        // need not look at the `Join`.
        waited: bool,
        end: Ending<F::Output>,
    }
}

impl<F> Hosted for Hosting<F>
where
    F: Future + Send,
    F::Output: Send,
{
    fn run(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        let (Some(future), Some(join)) = (this.future.as_pin_mut(), &this.end.join) else {
            return Poll::Ready(());
        };
        if join.is_aborted() {
            return Poll::Ready(());
        }
        match future.poll(cx) {
            Poll::Ready(output) => {
                this.end.result = Some(Ok(output));
                Poll::Ready(())
            }
            Poll::Pending => {
                if !*this.waited {
                    *this.waited = true;
                    join.park(cx.waker());
                }
                Poll::Pending
            }
        }
    }

    fn panicked(self: Pin<&mut Self>, payload: Box<dyn Any + Send>) {
        let end = self.project().end;
        if let Some(join) = &end.join {
            end.result = Some(Err(JoinError::panicked(join.id, payload)));
        }
    }

    fn end(self: Pin<&mut Self>) -> Option<Block> {
        let mut this = self.project();
        this.future.set(None);
        this.end.finish()
    }
}

/// Gives the handle the goroutine's result when finished or dropped
/// (after its future), or says "cancelled" if there is none.
struct Ending<T> {
    /// `None` once finished.
    join: Option<Pair<Join<T>>>,
    result: Option<Result<T, JoinError>>,
}

impl<T> Ending<T> {
    /// Tells the handle, once; returns the `Join`'s memory if the handle
    /// was dropped.
    fn finish(&mut self) -> Option<Block> {
        let join = self.join.take()?;
        let result = self
            .result
            .take()
            .unwrap_or_else(|| Err(JoinError::cancelled(join.id)));
        Join::finish(join, result)
    }
}

impl<T> Drop for Ending<T> {
    fn drop(&mut self) {
        drop(self.finish());
    }
}
