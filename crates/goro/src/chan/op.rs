//! One channel operation that may have to wait: a receive or a send. The
//! futures of `recv()` and `send()`, the `Receiver`'s stream and `select!`
//! all drive their operations through these, so cancellation works the same
//! everywhere:
//!
//! - a waiting operation that is dropped aborts its selection and leaves the
//!   channel's queue; nothing moved, nothing is lost;
//! - if a counterpart committed it first, a receive puts the value it was
//!   handed back into the channel, and a send's value has been delivered;
//! - on a buffered channel a counterpart's claim only tells the operation to
//!   try the ring again (nothing was handed over); a dropped operation passes
//!   that notice on to the next waiter.

use std::task::{Context, Poll};

use super::core::{Chan, Queue, RecvAttempt, SendAttempt};
use super::waiter::{Joining, Waiter};
use crate::runtime::context;
use crate::runtime::status::{kind, Word};
use crate::util::pair::Pair;
use crate::util::watched;

/// Where a waiting operation stands.
pub(crate) enum Settled<O> {
    /// Not claimed yet (or not waiting at all).
    Waiting,
    /// Committed, with this result.
    Done(O),
    /// Woken on a buffered channel, but another operation got there first:
    /// not waiting any more, try again.
    Retry,
}

/// One operation that may wait; a plain `recv()`/`send()` polls it as a
/// selection of its own, `select!` drives several through `select.rs`.
pub(crate) trait Operation<T> {
    type Output;
    /// What its goroutine waits for while it waits (`goro::dump`).
    const WAIT: u8;

    /// Completes without waiting, if it can.
    fn try_now(&mut self, chan: &Chan<T>) -> Option<Self::Output>;
    /// Whether `try_now` might succeed: `false` when, a moment ago, an
    /// unbuffered channel had no counterpart queued and was open (and, for a
    /// receive, held no put-back value). Only a hint: queueing checks again
    /// under the channel's lock.
    fn worth_trying(&self, chan: &Chan<T>) -> bool;
    /// Queues it, alone or as an operation of a `select!`; `false` if it
    /// can proceed now (nothing queued).
    fn register(&mut self, chan: &Chan<T>, joining: Joining<'_>) -> bool;
    /// Stops waiting after its selection ended without committing it (it
    /// was aborted, or committed another operation); the waiter leaves its
    /// queue lazily (see `Chan::unregister`).
    fn unregister(&mut self, chan: &Chan<T>);
    /// Whether a counterpart claimed this waiting operation, and then its
    /// result (on a buffered channel: the result of trying again).
    fn settle(&mut self, chan: &Chan<T>) -> Settled<Self::Output>;
    /// Its waiter, if queued.
    fn waiter(&self) -> Option<&Pair<Waiter<T>>>;
    /// Whether it is queued.
    fn is_waiting(&self) -> bool;
    /// Its selection ended while nobody waits for it any more (the owner
    /// is dropped): if a counterpart committed this operation, its result
    /// is given up (a received value goes back into the channel); if not
    /// (another operation of the same `select!` committed, or was
    /// cancelled first), the operation leaves the queue.
    fn abandon(&mut self, chan: &Chan<T>);

    /// Polls as a plain operation: its own selection of one.
    fn poll(&mut self, chan: &Chan<T>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // The waiter is borrowed, not cloned: an `Arc` clone here was two
        // atomic operations on every poll of a waiting send or receive.
        if self.is_waiting() {
            match self.settle(chan) {
                Settled::Done(result) => return Poll::Ready(result),
                Settled::Retry => {}
                Settled::Waiting => {
                    if let Some(waiter) = self.waiter() {
                        waiter.selection().set_waker(watched::waker(cx.waker()));
                    }
                    // A claim between the check and the new waker woke the
                    // old one.
                    match self.settle(chan) {
                        Settled::Done(result) => return Poll::Ready(result),
                        Settled::Retry => {}
                        Settled::Waiting => {
                            Self::waits(chan);
                            return Poll::Pending;
                        }
                    }
                }
            }
        }
        // With no counterpart in sight, queue at once: queueing checks
        // again under the lock, and if it finds the operation can proceed
        // after all (or the channel closed), we try it then.
        let mut try_first = self.worth_trying(chan);
        loop {
            if try_first {
                if let Some(result) = self.try_now(chan) {
                    return Poll::Ready(result);
                }
            }
            if self.register(chan, Joining::Alone(watched::waker(cx.waker()))) {
                Self::waits(chan);
                return Poll::Pending;
            }
            try_first = true;
        }
    }

    /// Says what the goroutine polling it waits for.
    #[inline(always)]
    fn waits(chan: &Chan<T>) {
        context::waiting_chan(Word::chan(Self::WAIT, chan), chan.cap());
    }

    /// Takes the operation back from a wait it started on its own (a future
    /// polled before it became a `select!` branch): `None` if it was still
    /// waiting (it is unqueued now), or its result if a counterpart had
    /// committed it meanwhile.
    fn reclaim(&mut self, chan: &Chan<T>) -> Option<Self::Output> {
        if self.waiter()?.selection().try_abort() {
            self.unregister(chan);
            None
        } else {
            match self.settle(chan) {
                Settled::Done(result) => Some(result),
                Settled::Waiting | Settled::Retry => None,
            }
        }
    }

    /// Stops waiting (the owner is dropped): aborts its selection and leaves
    /// the queue, or, if the selection ended first, abandons it. Each
    /// operation cancels itself this way, alone or as a `select!` branch
    /// (the first branch dropped aborts the selection, the others find it
    /// ended), so a dropped `select!` has nothing of its own to undo.
    #[inline]
    fn cancel(&mut self, chan: &Chan<T>) {
        if self.is_waiting() {
            self.cancel_waiting(chan);
        }
    }

    /// `cancel` of an operation that waits (out of line: most operations
    /// are dropped after they completed).
    #[inline(never)]
    fn cancel_waiting(&mut self, chan: &Chan<T>) {
        let Some(aborted) = self.waiter().map(|w| w.selection().try_abort()) else {
            return;
        };
        if aborted {
            self.unregister(chan);
        } else {
            self.abandon(chan);
        }
    }
}

pub(crate) struct RecvOp<T> {
    waiting: Option<Pair<Waiter<T>>>,
}

impl<T> RecvOp<T> {
    pub(crate) fn new() -> RecvOp<T> {
        RecvOp { waiting: None }
    }
}

impl<T> Operation<T> for RecvOp<T> {
    /// `Some(v)`, or `None` once the channel is closed and drained.
    type Output = Option<T>;
    const WAIT: u8 = kind::CHAN_RECV;

    fn try_now(&mut self, chan: &Chan<T>) -> Option<Option<T>> {
        match chan.try_recv() {
            RecvAttempt::Value(value) => Some(Some(value)),
            RecvAttempt::Closed => Some(None),
            RecvAttempt::Empty => None,
        }
    }

    #[inline]
    fn worth_trying(&self, chan: &Chan<T>) -> bool {
        chan.may_recv_now()
    }

    fn register(&mut self, chan: &Chan<T>, joining: Joining<'_>) -> bool {
        let (waiter, entry) = Waiter::new(joining, None);
        let queued = chan.register_recv(entry);
        if queued {
            self.waiting = Some(waiter);
        }
        queued
    }

    fn unregister(&mut self, chan: &Chan<T>) {
        if let Some(waiter) = self.waiting.take() {
            chan.unregister(waiter);
        }
    }

    #[inline]
    fn settle(&mut self, chan: &Chan<T>) -> Settled<Option<T>> {
        let Some(handed) = self.waiting.as_ref().and_then(|w| w.committed()) else {
            return Settled::Waiting;
        };
        self.waiting = None;
        if !chan.is_buffered() {
            return Settled::Done(handed);
        }
        retry(self, chan)
    }

    fn waiter(&self) -> Option<&Pair<Waiter<T>>> {
        self.waiting.as_ref()
    }

    fn is_waiting(&self) -> bool {
        self.waiting.is_some()
    }

    /// If committed, the value it was handed goes back into the channel;
    /// on a buffered channel, the notice goes to the next waiting receive.
    /// If not, it leaves its queue.
    fn abandon(&mut self, chan: &Chan<T>) {
        let Some(waiter) = self.waiting.take() else {
            return;
        };
        let Some(handed) = waiter.committed() else {
            chan.unregister(waiter);
            return;
        };
        if chan.is_buffered() {
            chan.notify(Queue::Receivers);
        } else if let Some(value) = handed {
            chan.put_back(value);
        }
    }
}

pub(crate) struct SendOp<T> {
    /// The value, until it is sent or handed to a waiter.
    value: Option<T>,
    waiting: Option<Pair<Waiter<T>>>,
}

impl<T> SendOp<T> {
    pub(crate) fn new(value: T) -> SendOp<T> {
        SendOp {
            value: Some(value),
            waiting: None,
        }
    }
}

impl<T> Operation<T> for SendOp<T> {
    /// `Ok` once a receiver took the value, `Err(v)` if the channel closed.
    type Output = Result<(), T>;
    const WAIT: u8 = kind::CHAN_SEND;

    fn try_now(&mut self, chan: &Chan<T>) -> Option<Result<(), T>> {
        let value = self
            .value
            .take()
            .expect("a send future was polled (or used in select!) after it completed");
        match chan.try_send(value) {
            SendAttempt::Sent => Some(Ok(())),
            SendAttempt::Closed(value) => Some(Err(value)),
            SendAttempt::Full(value) => {
                self.value = Some(value);
                None
            }
        }
    }

    #[inline]
    fn worth_trying(&self, chan: &Chan<T>) -> bool {
        chan.may_send_now()
    }

    fn register(&mut self, chan: &Chan<T>, joining: Joining<'_>) -> bool {
        // A buffered send keeps its value: it will try the ring again.
        let packet = if chan.is_buffered() {
            None
        } else {
            self.value.take()
        };
        let (waiter, entry) = Waiter::new(joining, packet);
        let queued = chan.register_send(entry);
        if queued {
            self.waiting = Some(waiter);
        } else if let Some(value) = waiter.take_unshared() {
            // Nobody else saw the waiter: the value is still in it.
            self.value = Some(value);
        }
        queued
    }

    fn unregister(&mut self, chan: &Chan<T>) {
        if let Some(waiter) = self.waiting.take() {
            // Its selection ended elsewhere, so no receiver can claim it:
            // the value is ours again.
            if let Some(value) = waiter.take_unshared() {
                self.value = Some(value);
            }
            chan.unregister(waiter);
        }
    }

    #[inline]
    fn settle(&mut self, chan: &Chan<T>) -> Settled<Result<(), T>> {
        let Some(left) = self.waiting.as_ref().and_then(|w| w.committed()) else {
            return Settled::Waiting;
        };
        self.waiting = None;
        if !chan.is_buffered() {
            return Settled::Done(match left {
                None => Ok(()),
                Some(value) => Err(value),
            });
        }
        retry(self, chan)
    }

    fn waiter(&self) -> Option<&Pair<Waiter<T>>> {
        self.waiting.as_ref()
    }

    fn is_waiting(&self) -> bool {
        self.waiting.is_some()
    }

    /// If committed, the value was delivered (or the channel closed and it
    /// is dropped); on a buffered channel, the notice goes to the next
    /// waiting send. If not, it leaves its queue, its value with it.
    fn abandon(&mut self, chan: &Chan<T>) {
        let Some(waiter) = self.waiting.as_ref() else {
            return;
        };
        if waiter.committed().is_none() {
            self.unregister(chan);
            return;
        }
        self.waiting = None;
        if chan.is_buffered() {
            chan.notify(Queue::Senders);
        }
    }
}

/// A buffered channel's operation, woken by a notice: tries the ring again.
/// Out of line, so that the unbuffered hand-off (the common wait) stays
/// small enough to inline.
#[cold]
#[inline(never)]
fn retry<T, O: Operation<T>>(op: &mut O, chan: &Chan<T>) -> Settled<O::Output> {
    match op.try_now(chan) {
        Some(result) => Settled::Done(result),
        None => Settled::Retry,
    }
}
