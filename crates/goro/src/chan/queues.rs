//! What both channel flavours share: the state they keep under their lock
//! (the two queues of waiting operations, whether the channel is closed,
//! its ends' counts, and who waits for it to close), and the outcomes of an
//! operation that does not wait.
//!
//! A waiter whose selection ended elsewhere stays queued, inert, until a
//! counterpart pops it or the queues are compacted: searching for it would
//! make every `select!` cost time linear in the number of waiters.

use std::collections::VecDeque;
use std::task::{Context, Poll, Waker};

use super::waiter::{Outcome, Selection, Waiter, Wake};
use crate::loom::AtomicBool;
use crate::util::pair::Pair;
use crate::util::watched;

/// How a direct (non-waiting) send went.
pub(crate) enum SendAttempt<T> {
    Sent,
    /// No room and no receiver: the caller would have to wait.
    Full(T),
    Closed(T),
}

/// How a direct (non-waiting) receive went.
pub(crate) enum RecvAttempt<T> {
    Value(T),
    Empty,
    Closed,
}

/// One of the two queues.
#[derive(Clone, Copy)]
pub(crate) enum Queue {
    Senders,
    Receivers,
}

/// Whether each queue may hold a waiter, readable without the lock. Each
/// flavour says what else its flags promise.
#[derive(Default)]
pub(crate) struct Flags {
    pub(crate) send_waiting: AtomicBool,
    pub(crate) recv_waiting: AtomicBool,
}

impl Flags {
    pub(crate) fn of(&self, which: Queue) -> &AtomicBool {
        match which {
            Queue::Senders => &self.send_waiting,
            Queue::Receivers => &self.recv_waiting,
        }
    }
}

pub(crate) struct Queues<T> {
    pub(crate) closed: bool,
    pub(crate) senders: usize,
    pub(crate) receivers: usize,
    send_waiters: VecDeque<Pair<Waiter<T>>>,
    recv_waiters: VecDeque<Pair<Waiter<T>>>,
    /// How many waiters were left in the queues after their selection
    /// ended elsewhere, since the last compaction. The queues are compacted
    /// when this passes 16 and half their length. It only grows, even when a
    /// counterpart pops such a waiter: an upper bound keeps inert waiters at
    /// most half the queue (plus 16), and since a compaction costs at most
    /// twice the count it resets, each unregistration pays for it. (A count
    /// lowered on pops could fall below the inert waiters still queued.)
    stale: usize,
    /// Woken when the channel closes or loses its last receiver: a
    /// timer's, which stops then (`goro::time`). One at most.
    gone_waker: Option<Waker>,
}

impl<T> Queues<T> {
    /// The queues of a new channel with one sender and one receiver.
    pub(crate) fn new() -> Queues<T> {
        Queues {
            closed: false,
            senders: 1,
            receivers: 1,
            send_waiters: VecDeque::new(),
            recv_waiters: VecDeque::new(),
            stale: 0,
            gone_waker: None,
        }
    }

    /// Whether no send can succeed any more: closed, or no receiver left.
    pub(crate) fn is_gone(&self) -> bool {
        self.closed || self.receivers == 0
    }

    /// Whether no value can come any more (besides those buffered).
    pub(crate) fn is_drained(&self) -> bool {
        self.closed || self.senders == 0
    }

    pub(crate) fn queue(&mut self, which: Queue) -> &mut VecDeque<Pair<Waiter<T>>> {
        match which {
            Queue::Senders => &mut self.send_waiters,
            Queue::Receivers => &mut self.recv_waiters,
        }
    }

    pub(crate) fn is_empty(&self, which: Queue) -> bool {
        match which {
            Queue::Senders => self.send_waiters.is_empty(),
            Queue::Receivers => self.recv_waiters.is_empty(),
        }
    }

    /// Claims the first waiter of `which` that is still waiting, without
    /// moving a value; inert waiters in front of it are dropped.
    pub(crate) fn claim_first(&mut self, which: Queue) -> Option<Wake> {
        let queue = self.queue(which);
        while let Some(waiter) = queue.pop_front() {
            if let Some(wake) = waiter.claim_without_value() {
                return Some(wake);
            }
        }
        None
    }

    /// Whether queue `which` holds a waiter of another selection than
    /// `own` that is still waiting; drops the inert ones in front of it.
    /// Also returns whether it dropped any (the queue's flag then needs a
    /// refresh).
    pub(crate) fn has_counterpart(&mut self, which: Queue, own: &Selection) -> (bool, bool) {
        let queue = self.queue(which);
        let mut popped = false;
        while let Some(front) = queue.front() {
            if front.selection().outcome() == Outcome::Waiting {
                break;
            }
            queue.pop_front();
            popped = true;
        }
        let found = queue.iter().any(|w| {
            !std::ptr::eq(w.selection(), own) && w.selection().outcome() == Outcome::Waiting
        });
        (found, popped)
    }

    /// Counts a waiter left inert in a queue (see `stale`); compacts the
    /// queues when enough are. Returns whether it compacted (the flags then
    /// need a refresh).
    pub(crate) fn left_inert(&mut self) -> bool {
        self.stale += 1;
        let queued = self.send_waiters.len() + self.recv_waiters.len();
        if self.stale <= 16 || self.stale * 2 <= queued {
            return false;
        }
        let waiting = |w: &Pair<Waiter<T>>| w.selection().outcome() == Outcome::Waiting;
        self.send_waiters.retain(waiting);
        self.recv_waiters.retain(waiting);
        self.stale = 0;
        true
    }

    /// No operation can wait any more (closed, or no receiver left):
    /// takes the waiting sends (and receives, if `receivers_too`) out of the
    /// queues, with the tasks waiting for this moment. [`Released::wake`]
    /// commits them without moving a value, after the lock: a taken waiter
    /// is unreachable for any other counterpart, and its owner can still
    /// only abort or be claimed, one compare-and-swap deciding. Claiming
    /// there rather than here also keeps the queues' own memory as the only
    /// list: a close of a million waiters allocates nothing.
    pub(crate) fn release(&mut self, receivers_too: bool) -> Released<T> {
        let receivers = if receivers_too {
            std::mem::take(&mut self.recv_waiters)
        } else {
            VecDeque::new()
        };
        self.stale = 0;
        Released {
            receivers,
            senders: std::mem::take(&mut self.send_waiters),
            gone: self.gone_waker.take(),
        }
    }

    /// Ready once no send can succeed any more; if not, `cx`'s waker is
    /// the one woken then, in place of any before.
    pub(crate) fn poll_gone(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.is_gone() {
            return Poll::Ready(());
        }
        let waker = watched::waker(cx.waker());
        match &mut self.gone_waker {
            Some(kept) => kept.clone_from(waker),
            None => self.gone_waker = Some(waker.clone()),
        }
        Poll::Pending
    }

    /// The waiters queued on each side, for tests.
    #[cfg(test)]
    pub(crate) fn queued(&self) -> (usize, usize) {
        (self.send_waiters.len(), self.recv_waiters.len())
    }
}

/// What a close wakes, after the lock.
#[must_use = "released operations must be woken"]
pub(crate) struct Released<T> {
    receivers: VecDeque<Pair<Waiter<T>>>,
    senders: VecDeque<Pair<Waiter<T>>>,
    gone: Option<Waker>,
}

impl<T> Released<T> {
    /// Commits each released operation that is still waiting and wakes it
    /// (each waiter is dropped as it goes), then the tasks waiting for the
    /// close.
    pub(crate) fn wake(self) {
        for waiter in self.receivers.into_iter().chain(self.senders) {
            if let Some(wake) = waiter.claim_without_value() {
                wake.wake();
            }
        }
        if let Some(gone) = self.gone {
            gone.wake();
        }
    }
}
