//! A goroutine as a carrier sees it: a type-erased future that runs, may
//! panic, and ends by telling its handle (`hosting::Hosting` is the one
//! implementation).

use std::any::Any;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::util::block::Block;

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
