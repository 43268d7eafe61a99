//! The channel: a thin front over its two flavours, as crossbeam-channel
//! has one per kind of channel. `unbuffered.rs` is the rendezvous,
//! `buffered.rs` the ring; both keep their waiting operations in the same
//! kind of queues (`queues.rs`) and are driven the same way (`op.rs`).

use std::task::{Context, Poll};

use super::buffered::Buffered;
use super::unbuffered::Unbuffered;
use super::waiter::Waiter;
use crate::util::pair::Pair;

pub(crate) use super::queues::{Queue, RecvAttempt, SendAttempt};
pub(crate) use super::unbuffered::Offer;

pub(crate) enum Chan<T> {
    Unbuffered(Unbuffered<T>),
    Buffered(Buffered<T>),
}

/// Calls the same method of whichever flavour `$chan` is.
macro_rules! flavor {
    ($chan:expr, $c:ident => $call:expr) => {
        match $chan {
            Chan::Unbuffered($c) => $call,
            Chan::Buffered($c) => $call,
        }
    };
}

impl<T> Chan<T> {
    pub(crate) fn new(cap: usize) -> Chan<T> {
        if cap == 0 {
            Chan::Unbuffered(Unbuffered::new())
        } else {
            Chan::Buffered(Buffered::new(cap))
        }
    }

    pub(crate) fn cap(&self) -> usize {
        match self {
            Chan::Unbuffered(_) => 0,
            Chan::Buffered(c) => c.cap(),
        }
    }

    /// Whether this channel has a buffer. Its waiters are then woken as a
    /// notice to try again, not handed a value.
    #[inline]
    pub(crate) fn is_buffered(&self) -> bool {
        matches!(self, Chan::Buffered(_))
    }

    /// The number of values in the buffer (on an unbuffered channel, the
    /// values put back by dropped receives).
    pub(crate) fn len(&self) -> usize {
        flavor!(self, c => c.len())
    }

    pub(crate) fn is_closed(&self) -> bool {
        flavor!(self, c => c.is_closed())
    }

    /// Whether a send might proceed without waiting (a hint; buffered
    /// channels try their ring first always).
    #[inline]
    pub(crate) fn may_send_now(&self) -> bool {
        match self {
            Chan::Unbuffered(c) => c.may_send_now(),
            Chan::Buffered(_) => true,
        }
    }

    /// Whether a receive might proceed without waiting (a hint).
    #[inline]
    pub(crate) fn may_recv_now(&self) -> bool {
        match self {
            Chan::Unbuffered(c) => c.may_recv_now(),
            Chan::Buffered(_) => true,
        }
    }

    /// Sends `value` if that needs no waiting: to a waiting receiver, or
    /// into the buffer.
    #[inline]
    pub(crate) fn try_send(&self, value: T) -> SendAttempt<T> {
        flavor!(self, c => c.try_send(value))
    }

    /// Receives a value if that needs no waiting: from the buffer, or from
    /// a waiting sender.
    #[inline]
    pub(crate) fn try_recv(&self) -> RecvAttempt<T> {
        flavor!(self, c => c.try_recv())
    }

    /// Queues a waiting send, unless the send can proceed now: then returns
    /// `false` without queueing, and the caller tries again directly.
    /// `waiter` is the handle the queue would keep; the caller keeps the
    /// other one.
    pub(crate) fn register_send(&self, waiter: Pair<Waiter<T>>) -> bool {
        flavor!(self, c => c.register_send(waiter))
    }

    /// Queues a waiting receive, unless it can proceed now (see
    /// `register_send`).
    pub(crate) fn register_recv(&self, waiter: Pair<Waiter<T>>) -> bool {
        flavor!(self, c => c.register_recv(waiter))
    }

    /// Forgets a waiter whose selection ended (aborted, or committed
    /// another operation). It stays queued, inert, until a counterpart pops
    /// it or the queues are compacted.
    ///
    /// If it left the queue already (the caller's handle is the last:
    /// queueing kept the only other one, and whoever removes the waiter
    /// from the queue, a counterpart, a compaction or a close, drops that;
    /// handles are never cloned), there is nothing to count and the lock is
    /// not taken. That is the common case for a select's losing waiter on
    /// an unbuffered channel: the next send or receive there pops it and
    /// finds it inert.
    pub(crate) fn unregister(&self, waiter: Pair<Waiter<T>>) {
        if Pair::is_last(&waiter) {
            return;
        }
        drop(waiter);
        flavor!(self, c => c.left_inert())
    }

    /// A buffered channel's waiting operation was woken but will not use
    /// the notice (it was cancelled): passes it on to the next waiter of
    /// its queue.
    pub(crate) fn notify(&self, which: Queue) {
        if let Chan::Buffered(c) = self {
            c.notify(which);
        }
    }

    /// An unbuffered channel's receive was handed `value` but dropped
    /// before it returned it: the value goes to another waiting receiver,
    /// or back to the channel, neither lost nor reordered. (A buffered
    /// channel never hands a value to a waiter.)
    pub(crate) fn put_back(&self, value: T) {
        match self {
            Chan::Unbuffered(c) => c.put_back(value),
            Chan::Buffered(_) => unreachable!("a buffered channel hands no value to a waiter"),
        }
    }

    /// Closes the channel; returns whether this call closed it. Waiting
    /// receivers get `None` (after the buffer is drained, since none wait
    /// while it holds values); waiting senders get their values back.
    pub(crate) fn close(&self) -> bool {
        flavor!(self, c => c.close())
    }

    pub(crate) fn add_sender(&self) {
        flavor!(self, c => c.add_sender())
    }

    /// For a timer's channel (unbuffered): hands `value` to a waiting
    /// receive, or leaves it for the next one if no value waits already
    /// (else drops it).
    pub(crate) fn offer(&self, value: T) -> Offer {
        match self {
            Chan::Unbuffered(c) => c.offer(value),
            Chan::Buffered(_) => unreachable!("timers offer on unbuffered channels"),
        }
    }

    /// The last sender gone closes the channel.
    pub(crate) fn drop_sender(&self) {
        flavor!(self, c => c.drop_sender())
    }

    pub(crate) fn add_receiver(&self) {
        flavor!(self, c => c.add_receiver())
    }

    /// With the last receiver gone, sends fail: waiting senders get their
    /// values back.
    pub(crate) fn drop_receiver(&self) {
        flavor!(self, c => c.drop_receiver())
    }

    /// Ready once the channel is closed or its last receiver is gone: no
    /// send can succeed any more. One task at a time waits for it: a
    /// second poll replaces the first one's waker.
    pub(crate) fn poll_gone(&self, cx: &mut Context<'_>) -> Poll<()> {
        flavor!(self, c => c.poll_gone(cx))
    }

    /// The waiters queued on each side, for tests.
    #[cfg(test)]
    pub(crate) fn queued(&self) -> (usize, usize) {
        flavor!(self, c => c.queued())
    }
}
