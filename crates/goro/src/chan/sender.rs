use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::core::{Chan, SendAttempt};
use super::error::{SendError, TrySendError};
use super::op::{Operation, SendOp};

/// The sending side of a channel. Clones send into the same channel; the
/// channel closes when the last one is dropped (or on [`close`](Sender::close)).
pub struct Sender<T> {
    pub(super) chan: Arc<Chan<T>>,
}

impl<T> Sender<T> {
    /// Sends `value`, waiting for room in the buffer or, on an unbuffered
    /// channel, for a receiver to take it.
    ///
    /// Fails, giving the value back, if the channel is closed or every
    /// receiver is gone. Dropping the future before it completes sends
    /// nothing, unless a receiver had taken the value already.
    ///
    /// # Examples
    ///
    /// ```
    /// goro::run(async {
    ///     let (tx, rx) = goro::chan::<&str>(0);
    ///     goro::go!(async move { tx.send("ping").await.unwrap() });
    ///     assert_eq!(rx.recv().await, Some("ping"));
    /// });
    /// ```
    pub fn send(&self, value: T) -> Send<'_, T> {
        Send {
            chan: &self.chan,
            op: SendOp::new(value),
            done: None,
        }
    }

    /// Sends `value` if that needs no waiting.
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        match self.chan.try_send(value) {
            SendAttempt::Sent => Ok(()),
            SendAttempt::Full(value) => Err(TrySendError::Full(value)),
            SendAttempt::Closed(value) => Err(TrySendError::Closed(value)),
        }
    }

    /// Sends `value`, blocking the thread until it can. For plain threads
    /// and the blocking pool; in a goroutine use [`send`](Sender::send).
    ///
    /// # Panics
    ///
    /// Panics if called in a goroutine's own code (not inside
    /// [`goro::blocking`](crate::blocking)), where it would block a worker
    /// thread and every goroutine waiting to run on it.
    #[track_caller]
    pub fn send_blocking(&self, value: T) -> Result<(), SendError<T>> {
        crate::runtime::context::refuse_blocking("Sender::send_blocking", "send(..).await");
        futures::executor::block_on(self.send(value))
    }
}

super::state_methods!(Sender);

impl<T> Sender<T> {
    /// Wakes `waker` once no send can succeed any more: the channel is
    /// closed or every receiver is gone. Returns `true`, waking nothing,
    /// if that is so already.
    pub(crate) fn when_gone(&self, waker: &std::task::Waker) -> bool {
        self.chan
            .poll_gone(&mut Context::from_waker(waker))
            .is_ready()
    }

    /// A timer's firing on its unbuffered channel: see
    /// [`Chan::offer`](super::core::Chan::offer).
    pub(crate) fn offer(&self, value: T) -> super::core::Offer {
        self.chan.offer(value)
    }

    /// Takes the values waiting to be received (from the sending side, as
    /// a timer's channel is emptied when it is stopped); returns whether
    /// there were any.
    pub(crate) fn drain(&self) -> bool {
        let mut any = false;
        while let super::core::RecvAttempt::Value(value) = self.chan.try_recv() {
            drop(value);
            any = true;
        }
        any
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Sender<T> {
        self.chan.add_sender();
        Sender {
            chan: Arc::clone(&self.chan),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.chan.drop_sender();
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("len", &self.len())
            .field("cap", &self.cap())
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// The future of [`Sender::send`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Send<'a, T> {
    pub(crate) chan: &'a Chan<T>,
    pub(crate) op: SendOp<T>,
    /// The result, when committed inside `select!`.
    pub(crate) done: Option<Result<(), T>>,
}

impl<T> Send<'_, T> {
    /// For `select!`: sends without waiting. With `hinted`, skips an
    /// unbuffered channel whose hint says it could not proceed a moment ago
    /// (see `Operation::worth_trying`).
    pub(crate) fn try_direct(&mut self, hinted: bool) -> Option<Result<(), T>> {
        if hinted && !self.op.worth_trying(self.chan) {
            return None;
        }
        self.op.try_now(self.chan)
    }
}

impl<T> Future for Send<'_, T> {
    type Output = Result<(), SendError<T>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        this.op.poll(this.chan, cx).map_err(SendError)
    }
}

// Values are moved in and out, never pinned in place.
impl<T> Unpin for Send<'_, T> {}

impl<T> Drop for Send<'_, T> {
    fn drop(&mut self) {
        self.op.cancel(self.chan);
    }
}

impl<T> fmt::Debug for Send<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Send").finish_non_exhaustive()
    }
}
