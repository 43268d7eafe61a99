//! One channel operation that may have to wait: a receive or a send. The
//! futures of `recv()` and `send()`, the `Receiver`'s stream and `select!`
//! all drive their operations through these, so cancellation works the same
//! everywhere:
//!
//! - a waiting operation that is dropped aborts its selection and leaves the
//!   channel's queue; nothing moved, nothing is lost;
//! - if a counterpart committed it first, a receive puts the value it was
//!   handed back into the channel, and a send's value has been delivered.

use std::sync::Arc;
use std::task::{Context, Poll};

use super::core::{Chan, RecvAttempt, SendAttempt};
use super::waiter::{Selection, Waiter};

pub(crate) struct RecvOp<T> {
    waiting: Option<Arc<Waiter<T>>>,
}

impl<T> RecvOp<T> {
    pub(crate) fn new() -> RecvOp<T> {
        RecvOp { waiting: None }
    }

    /// Receives without waiting: `Some(Some(v))`, `Some(None)` if closed,
    /// `None` if it would have to wait.
    pub(crate) fn try_now(&mut self, chan: &Chan<T>) -> Option<Option<T>> {
        match chan.try_recv() {
            RecvAttempt::Value(value) => Some(Some(value)),
            RecvAttempt::Closed => Some(None),
            RecvAttempt::Empty => None,
        }
    }

    /// Queues this receive as operation `op` of `selection`; `false` if it
    /// can proceed now (nothing queued).
    pub(crate) fn register(
        &mut self,
        chan: &Chan<T>,
        selection: &Arc<Selection>,
        op: usize,
    ) -> bool {
        let waiter = Waiter::new(Arc::clone(selection), op, None);
        let queued = chan.register_recv(&waiter);
        if queued {
            self.waiting = Some(waiter);
        }
        queued
    }

    /// Leaves the queue (the selection committed another operation).
    pub(crate) fn unregister(&mut self, chan: &Chan<T>) {
        if let Some(waiter) = self.waiting.take() {
            chan.unregister_recv(&waiter);
        }
    }

    /// The result, once a counterpart committed this operation.
    pub(crate) fn committed(&mut self) -> Option<Option<T>> {
        let result = self.waiting.as_ref()?.committed()?;
        self.waiting = None;
        Some(result)
    }

    /// Polls as a plain `recv()`: its own selection of one operation.
    pub(crate) fn poll(&mut self, chan: &Chan<T>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        if let Some(waiter) = self.waiting.clone() {
            if let Some(result) = self.committed() {
                return Poll::Ready(result);
            }
            waiter.selection.set_waker(cx.waker());
            // A claim between the check and the new waker woke the old one.
            return match self.committed() {
                Some(result) => Poll::Ready(result),
                None => Poll::Pending,
            };
        }
        loop {
            if let Some(result) = self.try_now(chan) {
                return Poll::Ready(result);
            }
            if self.register(chan, &Selection::new(cx.waker()), 0) {
                return Poll::Pending;
            }
        }
    }

    /// Stops waiting (the owner is dropped): aborts, or if a counterpart
    /// committed first, puts the value back.
    pub(crate) fn cancel(&mut self, chan: &Chan<T>) {
        if let Some(waiter) = self.waiting.take() {
            if waiter.selection.try_abort() {
                chan.unregister_recv(&waiter);
            } else if let Some(Some(value)) = waiter.committed() {
                chan.put_back(value);
            }
        }
    }
}

pub(crate) struct SendOp<T> {
    /// The value, until it is sent or handed to a waiter.
    value: Option<T>,
    waiting: Option<Arc<Waiter<T>>>,
}

impl<T> SendOp<T> {
    pub(crate) fn new(value: T) -> SendOp<T> {
        SendOp {
            value: Some(value),
            waiting: None,
        }
    }

    /// Sends without waiting: `Some(Ok)`, `Some(Err(v))` if closed, `None`
    /// if it would have to wait.
    pub(crate) fn try_now(&mut self, chan: &Chan<T>) -> Option<Result<(), T>> {
        let value = self.value.take().expect("a send is completed once");
        match chan.try_send(value) {
            SendAttempt::Sent => Some(Ok(())),
            SendAttempt::Closed(value) => Some(Err(value)),
            SendAttempt::Full(value) => {
                self.value = Some(value);
                None
            }
        }
    }

    pub(crate) fn register(
        &mut self,
        chan: &Chan<T>,
        selection: &Arc<Selection>,
        op: usize,
    ) -> bool {
        let waiter = Waiter::new(Arc::clone(selection), op, self.value.take());
        let queued = chan.register_send(&waiter);
        if queued {
            self.waiting = Some(waiter);
        } else {
            // Nobody else saw the waiter: the value is still in it.
            self.value = waiter.take_unshared();
        }
        queued
    }

    pub(crate) fn unregister(&mut self, chan: &Chan<T>) {
        if let Some(waiter) = self.waiting.take() {
            chan.unregister_send(&waiter);
            self.value = waiter.take_unshared();
        }
    }

    /// `Ok` once a receiver took the value, `Err(v)` if the channel closed.
    pub(crate) fn committed(&mut self) -> Option<Result<(), T>> {
        let left = self.waiting.as_ref()?.committed()?;
        self.waiting = None;
        Some(match left {
            None => Ok(()),
            Some(value) => Err(value),
        })
    }

    pub(crate) fn poll(&mut self, chan: &Chan<T>, cx: &mut Context<'_>) -> Poll<Result<(), T>> {
        if let Some(waiter) = self.waiting.clone() {
            if let Some(result) = self.committed() {
                return Poll::Ready(result);
            }
            waiter.selection.set_waker(cx.waker());
            return match self.committed() {
                Some(result) => Poll::Ready(result),
                None => Poll::Pending,
            };
        }
        loop {
            if let Some(result) = self.try_now(chan) {
                return Poll::Ready(result);
            }
            if self.register(chan, &Selection::new(cx.waker()), 0) {
                return Poll::Pending;
            }
        }
    }

    /// Stops waiting: the value is not sent (unless a receiver took it
    /// first, in which case it was).
    pub(crate) fn cancel(&mut self, chan: &Chan<T>) {
        if let Some(waiter) = self.waiting.take() {
            if waiter.selection.try_abort() {
                chan.unregister_send(&waiter);
            }
        }
    }
}
