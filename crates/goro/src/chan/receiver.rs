use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use super::core::{Chan, RecvAttempt};
use super::error::TryRecvError;
use super::op::{Operation, RecvOp};

/// The receiving side of a channel. Clones receive from the same channel,
/// each value going to exactly one of them.
///
/// Also a [`futures::Stream`]. A stream that was polled and is waiting is a
/// receiver in wait, as a goroutine in `for v := range ch` is: a value a
/// sender hands it meanwhile is this receiver's, and comes out of its next
/// `next()`, `recv()` or `try_recv()`, in order (or goes back to the channel
/// when the receiver is dropped).
pub struct Receiver<T> {
    pub(super) chan: Arc<Chan<T>>,
    stream: StreamSlot<T>,
}

/// The receive in progress when a `Receiver` is used as a stream.
pub(crate) struct StreamSlot<T> {
    used: AtomicBool,
    op: Mutex<RecvOp<T>>,
}

impl<T> StreamSlot<T> {
    fn new() -> StreamSlot<T> {
        StreamSlot {
            used: AtomicBool::new(false),
            op: Mutex::new(RecvOp::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, RecvOp<T>> {
        self.op.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Before any other receive on this receiver: a value handed to the
    /// waiting stream comes first; a stream still waiting stops waiting.
    pub(crate) fn reclaim(&self, chan: &Chan<T>) -> Option<Option<T>> {
        if !self.used.load(Ordering::Acquire) {
            return None;
        }
        self.lock().reclaim(chan)
    }
}

impl<T> Receiver<T> {
    pub(super) fn new(chan: Arc<Chan<T>>) -> Receiver<T> {
        Receiver {
            chan,
            stream: StreamSlot::new(),
        }
    }

    /// Receives a value, waiting for one; `None` once the channel is closed
    /// and drained.
    ///
    /// Dropping the future before it completes takes nothing: a value that
    /// a sender had already handed to it goes back to the channel.
    ///
    /// # Examples
    ///
    /// ```
    /// goro::run(async {
    ///     let (tx, rx) = goro::chan(2);
    ///     tx.send(1).await.unwrap();
    ///     tx.send(2).await.unwrap();
    ///     drop(tx); // closes the channel; buffered values still arrive
    ///     assert_eq!(rx.recv().await, Some(1));
    ///     assert_eq!(rx.recv().await, Some(2));
    ///     assert_eq!(rx.recv().await, None);
    /// });
    /// ```
    pub fn recv(&self) -> Recv<'_, T> {
        Recv {
            chan: &self.chan,
            stream: &self.stream,
            op: RecvOp::new(),
            done: None,
        }
    }

    /// Receives a value if one is ready.
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        if let Some(done) = self.stream.reclaim(&self.chan) {
            return done.ok_or(TryRecvError::Closed);
        }
        match self.chan.try_recv() {
            RecvAttempt::Value(value) => Ok(value),
            RecvAttempt::Empty => Err(TryRecvError::Empty),
            RecvAttempt::Closed => Err(TryRecvError::Closed),
        }
    }

    /// Receives a value, blocking the thread until one arrives. For plain
    /// threads and the blocking pool; in a goroutine use
    /// [`recv`](Receiver::recv).
    ///
    /// # Panics
    ///
    /// Panics if called in a goroutine's own code (not inside
    /// [`goro::blocking`](crate::blocking)), where it would block a worker
    /// thread and every goroutine waiting to run on it.
    #[track_caller]
    pub fn recv_blocking(&self) -> Option<T> {
        crate::runtime::context::refuse_blocking("Receiver::recv_blocking", "recv().await");
        futures::executor::block_on(self.recv())
    }
}

super::state_methods!(Receiver);

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Receiver<T> {
        self.chan.add_receiver();
        Receiver::new(Arc::clone(&self.chan))
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let op = self.stream.op.get_mut().unwrap_or_else(|e| e.into_inner());
        op.cancel(&self.chan);
        self.chan.drop_receiver();
    }
}

impl<T> futures::Stream for Receiver<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = self.get_mut();
        this.stream.used.store(true, Ordering::Release);
        let mut op = this.stream.lock();
        op.poll(&this.chan, cx)
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("len", &self.len())
            .field("cap", &self.cap())
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// The future of [`Receiver::recv`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Recv<'a, T> {
    pub(crate) chan: &'a Chan<T>,
    pub(crate) stream: &'a StreamSlot<T>,
    pub(crate) op: RecvOp<T>,
    /// The result, when committed inside `select!`.
    pub(crate) done: Option<Option<T>>,
}

impl<T> Future for Recv<'_, T> {
    type Output = Option<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = &mut *self;
        if !this.op.is_waiting() {
            if let Some(done) = this.stream.reclaim(this.chan) {
                return Poll::Ready(done);
            }
        }
        this.op.poll(this.chan, cx)
    }
}

impl<T> Recv<'_, T> {
    /// For `select!`: receives without waiting, the stream's value first.
    /// With `hinted`, skips an unbuffered channel whose hint says it could
    /// not proceed a moment ago (see `Operation::worth_trying`).
    pub(crate) fn try_direct(&mut self, hinted: bool) -> Option<Option<T>> {
        if let Some(done) = self.stream.reclaim(self.chan) {
            return Some(done);
        }
        if hinted && !self.op.worth_trying(self.chan) {
            return None;
        }
        self.op.try_now(self.chan)
    }
}

// Values are moved in and out, never pinned in place.
impl<T> Unpin for Recv<'_, T> {}

impl<T> Drop for Recv<'_, T> {
    fn drop(&mut self) {
        self.op.cancel(self.chan);
    }
}

impl<T> fmt::Debug for Recv<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recv").finish_non_exhaustive()
    }
}
