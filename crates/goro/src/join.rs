//! `JoinHandle` and `JoinError`: waiting for a goroutine's result.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::carrier::Join;
use crate::chan::pair::Pair;
use crate::id::GoroutineId;

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
                    result.map_err(|err| JoinError {
                        id,
                        panic: err.try_into_panic().ok(),
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

/// Why a goroutine produced no result: it panicked, or it was cancelled.
pub struct JoinError {
    id: GoroutineId,
    /// The panic's payload; `None` when cancelled.
    panic: Option<Box<dyn Any + Send + 'static>>,
}

impl JoinError {
    pub(crate) fn panicked(id: GoroutineId, payload: Box<dyn Any + Send + 'static>) -> JoinError {
        JoinError {
            id,
            panic: Some(payload),
        }
    }

    pub(crate) fn cancelled(id: GoroutineId) -> JoinError {
        JoinError { id, panic: None }
    }

    /// The goroutine that failed.
    pub fn id(&self) -> GoroutineId {
        self.id
    }

    /// Whether the goroutine panicked.
    pub fn is_panic(&self) -> bool {
        self.panic.is_some()
    }

    /// Whether the goroutine was cancelled: by [`JoinHandle::abort`], or
    /// because its runtime shut down.
    pub fn is_cancelled(&self) -> bool {
        self.panic.is_none()
    }

    /// The panic's payload, to resume it with [`std::panic::resume_unwind`].
    ///
    /// # Panics
    ///
    /// Panics if the goroutine was cancelled; see
    /// [`try_into_panic`](JoinError::try_into_panic).
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        self.try_into_panic()
            .unwrap_or_else(|err| panic!("`JoinError::into_panic` called on a cancellation: {err}"))
    }

    /// The panic's payload, or the error itself if it was a cancellation.
    pub fn try_into_panic(self) -> Result<Box<dyn Any + Send + 'static>, JoinError> {
        match self.panic {
            Some(payload) => Ok(payload),
            None => Err(self),
        }
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.panic {
            Some(payload) => write!(
                f,
                "goroutine {} panicked: {}",
                self.id,
                crate::panic::message(&**payload)
            ),
            None => write!(f, "goroutine {} was cancelled", self.id),
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.panic {
            Some(payload) => f
                .debug_struct("JoinError::Panic")
                .field("id", &self.id)
                .field("message", &crate::panic::message(&**payload))
                .finish(),
            None => f
                .debug_struct("JoinError::Cancelled")
                .field("id", &self.id)
                .finish(),
        }
    }
}

impl std::error::Error for JoinError {}
