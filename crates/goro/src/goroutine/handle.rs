//! `JoinHandle`: waiting for a goroutine's result.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::id::GoroutineId;
use super::join::{Join, JoinError};
use crate::util::pair::Pair;

/// An owned permission to wait for a goroutine's result.
///
/// Awaiting it gives `Ok(output)`, or a [`JoinError`] if the goroutine
/// panicked (under [`Panic::Isolate`](crate::Panic::Isolate)) or was
/// cancelled. Dropping it detaches the goroutine, which runs on: unlike Rust
/// futures, a goroutine does not need anyone to wait for it.
///
/// # Examples
///
/// ```
/// goro::run(async {
///     let handle = goro::go!(async { 40 + 2 });
///     assert_eq!(handle.await.unwrap(), 42);
/// });
/// ```
pub struct JoinHandle<T> {
    inner: Inner<T>,
}

enum Inner<T> {
    /// A goroutine of a goro runtime, hosted by a carrier.
    Hosted(Pair<Join<T>>),
    /// A goroutine that is a Tokio task of its own (on another Tokio
    /// runtime, or a blocking call).
    Task(tokio::task::JoinHandle<T>, GoroutineId),
}

impl<T> JoinHandle<T> {
    pub(crate) fn new(inner: tokio::task::JoinHandle<T>, id: GoroutineId) -> JoinHandle<T> {
        JoinHandle {
            inner: Inner::Task(inner, id),
        }
    }

    pub(crate) fn hosted(join: Pair<Join<T>>) -> JoinHandle<T> {
        JoinHandle {
            inner: Inner::Hosted(join),
        }
    }

    /// The goroutine's id.
    pub fn id(&self) -> GoroutineId {
        match &self.inner {
            Inner::Hosted(join) => join.id,
            Inner::Task(_, id) => *id,
        }
    }

    /// Cancels the goroutine: it is dropped at its next `.await` point (or
    /// at once if it is not running) and its handle resolves to a
    /// [`JoinError`] whose `is_cancelled()` is true. A goroutine that already
    /// finished keeps its result. A blocking call (`spawn_blocking`) that has
    /// started cannot be cancelled.
    pub fn abort(&self) {
        match &self.inner {
            Inner::Hosted(join) => join.abort(),
            Inner::Task(task, _) => task.abort(),
        }
    }

    /// Whether the goroutine has finished (returned, panicked or been
    /// cancelled).
    pub fn is_finished(&self) -> bool {
        match &self.inner {
            Inner::Hosted(join) => join.is_finished(),
            Inner::Task(task, _) => task.is_finished(),
        }
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.inner {
            Inner::Hosted(join) => join.poll_join(cx),
            Inner::Task(task, id) => {
                let id = *id;
                Pin::new(task).poll(cx).map(|result| {
                    result.map_err(|err| match err.try_into_panic() {
                        Ok(payload) => JoinError::panicked(id, payload),
                        Err(_) => JoinError::cancelled(id),
                    })
                })
            }
        }
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("id", &self.id())
            .field("finished", &self.is_finished())
            .finish()
    }
}
