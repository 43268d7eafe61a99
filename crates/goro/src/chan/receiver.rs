use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::core::{Chan, RecvAttempt};
use super::error::TryRecvError;
use super::op::{Operation, RecvOp};

/// The receiving side of a channel. Clones receive from the same channel,
/// each value going to exactly one of them. Also a [`futures::Stream`].
pub struct Receiver<T> {
    pub(super) chan: Arc<Chan<T>>,
    /// The receive in progress when used as a stream.
    stream: RecvOp<T>,
}

impl<T> Receiver<T> {
    pub(super) fn new(chan: Arc<Chan<T>>) -> Receiver<T> {
        Receiver {
            chan,
            stream: RecvOp::new(),
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
            op: RecvOp::new(),
            done: None,
        }
    }

    /// Receives a value if one is ready.
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        match self.chan.try_recv() {
            RecvAttempt::Value(value) => Ok(value),
            RecvAttempt::Empty => Err(TryRecvError::Empty),
            RecvAttempt::Closed => Err(TryRecvError::Closed),
        }
    }

    /// Receives a value, blocking the thread until one arrives. For plain
    /// threads and the blocking pool; in a goroutine use
    /// [`recv`](Receiver::recv).
    pub fn recv_blocking(&self) -> Option<T> {
        futures::executor::block_on(self.recv())
    }

    /// Closes the channel; returns `true` if this call closed it.
    pub fn close(&self) -> bool {
        self.chan.close()
    }

    /// Whether the channel is closed, or every receiver is gone.
    pub fn is_closed(&self) -> bool {
        self.chan.is_closed()
    }

    /// The number of values in the buffer.
    pub fn len(&self) -> usize {
        self.chan.len()
    }

    /// Whether the buffer holds no value.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The buffer's capacity; 0 for an unbuffered channel.
    pub fn cap(&self) -> usize {
        self.chan.cap()
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Receiver<T> {
        self.chan.add_receiver();
        Receiver::new(Arc::clone(&self.chan))
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.stream.cancel(&self.chan);
        self.chan.drop_receiver();
    }
}

impl<T> futures::Stream for Receiver<T> {
    type Item = T;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = &mut *self;
        this.stream.poll(&this.chan, cx)
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
    pub(crate) op: RecvOp<T>,
    /// The result, when committed inside `select!`.
    pub(crate) done: Option<Option<T>>,
}

impl<T> Future for Recv<'_, T> {
    type Output = Option<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = &mut *self;
        this.op.poll(this.chan, cx)
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
