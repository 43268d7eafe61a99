//! The channel itself: a buffer and two queues of waiting operations behind
//! one lock, as in Go's `runtime/chan.go`. Every operation takes the lock,
//! moves at most one value and releases it; wake-ups happen after the lock
//! is released.

use std::collections::VecDeque;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use super::waiter::{Outcome, Selection, Waiter};
use crate::loom::{Mutex, MutexGuard};

pub(crate) struct Chan<T> {
    cap: usize,
    state: Mutex<State<T>>,
}

struct State<T> {
    /// Buffered values. It can briefly hold more than `cap`: a value handed
    /// to a receive that was then dropped goes back to its front.
    buf: VecDeque<T>,
    closed: bool,
    senders: usize,
    receivers: usize,
    send_waiters: VecDeque<Arc<Waiter<T>>>,
    recv_waiters: VecDeque<Arc<Waiter<T>>>,
    /// Waiters left in the queues after their selection ended elsewhere
    /// (unregistered lazily: such a waiter is inert, every claim on it
    /// fails). The queues are compacted when these outnumber the others.
    stale: usize,
    /// Tasks waiting for the channel to close or lose its last receiver
    /// (the timers of `time::after` and `time::tick`).
    gone_wakers: Vec<Waker>,
}

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

impl<T> Chan<T> {
    pub(crate) fn new(cap: usize) -> Chan<T> {
        Chan {
            cap,
            state: Mutex::new(State {
                buf: VecDeque::with_capacity(cap.min(1024)),
                closed: false,
                senders: 1,
                receivers: 1,
                send_waiters: VecDeque::new(),
                recv_waiters: VecDeque::new(),
                stale: 0,
                gone_wakers: Vec::new(),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn cap(&self) -> usize {
        self.cap
    }

    pub(crate) fn len(&self) -> usize {
        self.lock().buf.len()
    }

    pub(crate) fn is_closed(&self) -> bool {
        let state = self.lock();
        state.closed || state.receivers == 0
    }

    /// Sends `value` if that needs no waiting: to a waiting receiver, or
    /// into the buffer.
    pub(crate) fn try_send(&self, value: T) -> SendAttempt<T> {
        let mut state = self.lock();
        if state.closed || state.receivers == 0 {
            return SendAttempt::Closed(value);
        }
        let mut value = value;
        while let Some(receiver) = state.recv_waiters.pop_front() {
            match receiver.claim_with(value) {
                Ok(()) => {
                    drop(state);
                    receiver.selection().wake();
                    return SendAttempt::Sent;
                }
                Err(back) => {
                    value = back;
                    state.stale = state.stale.saturating_sub(1);
                }
            }
        }
        if state.buf.len() < self.cap {
            state.buf.push_back(value);
            return SendAttempt::Sent;
        }
        SendAttempt::Full(value)
    }

    /// Receives a value if that needs no waiting: from the buffer (moving a
    /// waiting sender's value into the room it leaves), or from a waiting
    /// sender.
    pub(crate) fn try_recv(&self) -> RecvAttempt<T> {
        let mut state = self.lock();
        if let Some(value) = state.buf.pop_front() {
            let mut woken = None;
            if state.buf.len() < self.cap {
                while let Some(sender) = state.send_waiters.pop_front() {
                    if let Some(moved) = sender.claim_take() {
                        state.buf.push_back(moved);
                        woken = Some(sender);
                        break;
                    }
                    state.stale = state.stale.saturating_sub(1);
                }
            }
            drop(state);
            if let Some(sender) = woken {
                sender.selection().wake();
            }
            return RecvAttempt::Value(value);
        }
        while let Some(sender) = state.send_waiters.pop_front() {
            if let Some(value) = sender.claim_take() {
                drop(state);
                sender.selection().wake();
                return RecvAttempt::Value(value);
            }
            state.stale = state.stale.saturating_sub(1);
        }
        if state.closed || state.senders == 0 {
            RecvAttempt::Closed
        } else {
            RecvAttempt::Empty
        }
    }

    /// Queues a waiting send, unless the send can proceed now: then returns
    /// `false` without queueing, and the caller tries again directly.
    pub(crate) fn register_send(&self, waiter: &Arc<Waiter<T>>) -> bool {
        let mut state = self.lock();
        let ready = state.closed
            || state.receivers == 0
            || state.buf.len() < self.cap
            || has_counterpart(&mut state, Queue::Receivers, waiter.selection());
        if !ready {
            state.send_waiters.push_back(Arc::clone(waiter));
        }
        !ready
    }

    /// Queues a waiting receive, unless it can proceed now (see
    /// `register_send`).
    pub(crate) fn register_recv(&self, waiter: &Arc<Waiter<T>>) -> bool {
        let mut state = self.lock();
        let ready = state.closed
            || state.senders == 0
            || !state.buf.is_empty()
            || has_counterpart(&mut state, Queue::Senders, waiter.selection());
        if !ready {
            state.recv_waiters.push_back(Arc::clone(waiter));
        }
        !ready
    }

    /// Forgets a waiter whose selection ended (aborted, or committed
    /// another operation). It stays queued, inert, until a counterpart pops
    /// it or the queues are compacted: searching for it would make every
    /// select cost time linear in the number of waiters.
    pub(crate) fn unregister(&self) {
        let mut state = self.lock();
        state.stale += 1;
        let queued = state.send_waiters.len() + state.recv_waiters.len();
        if state.stale > 16 && state.stale * 2 > queued {
            let waiting = |w: &Arc<Waiter<T>>| w.selection().outcome() == Outcome::Waiting;
            state.send_waiters.retain(waiting);
            state.recv_waiters.retain(waiting);
            state.stale = 0;
        }
    }

    /// A receive was handed `value` but dropped before it returned it: the
    /// value goes to another waiting receiver, or back to the front of the
    /// buffer, so that it is neither lost nor reordered.
    pub(crate) fn put_back(&self, value: T) {
        let mut state = self.lock();
        let mut value = value;
        while let Some(receiver) = state.recv_waiters.pop_front() {
            match receiver.claim_with(value) {
                Ok(()) => {
                    drop(state);
                    receiver.selection().wake();
                    return;
                }
                Err(back) => {
                    value = back;
                    state.stale = state.stale.saturating_sub(1);
                }
            }
        }
        state.buf.push_front(value);
    }

    /// Closes the channel; returns whether this call closed it. Waiting
    /// receivers get `None` (after the buffer is drained, since none wait
    /// while it holds values); waiting senders get their values back.
    pub(crate) fn close(&self) -> bool {
        close_locked(self.lock())
    }

    pub(crate) fn add_sender(&self) {
        self.lock().senders += 1;
    }

    /// The last sender gone closes the channel.
    pub(crate) fn drop_sender(&self) {
        let mut state = self.lock();
        state.senders -= 1;
        if state.senders == 0 {
            close_locked(state);
        }
    }

    pub(crate) fn add_receiver(&self) {
        self.lock().receivers += 1;
    }

    /// With the last receiver gone, sends fail: waiting senders get their
    /// values back.
    pub(crate) fn drop_receiver(&self) {
        let mut state = self.lock();
        state.receivers -= 1;
        if state.receivers == 0 {
            release_waiters(state, false);
        }
    }

    /// Ready once the channel is closed or its last receiver is gone: no
    /// send can succeed any more.
    pub(crate) fn poll_gone(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.lock();
        if state.closed || state.receivers == 0 {
            return Poll::Ready(());
        }
        if !state.gone_wakers.iter().any(|w| w.will_wake(cx.waker())) {
            state.gone_wakers.push(cx.waker().clone());
        }
        Poll::Pending
    }
}

#[derive(Clone, Copy)]
enum Queue {
    Senders,
    Receivers,
}

/// Whether a queue holds a waiter of another selection that is still
/// waiting; drops the inert ones in front of it.
fn has_counterpart<T>(state: &mut State<T>, which: Queue, own: &Selection) -> bool {
    let queue = match which {
        Queue::Senders => &mut state.send_waiters,
        Queue::Receivers => &mut state.recv_waiters,
    };
    while let Some(front) = queue.front() {
        if front.selection().outcome() == Outcome::Waiting {
            break;
        }
        queue.pop_front();
        state.stale = state.stale.saturating_sub(1);
    }
    queue
        .iter()
        .any(|w| !std::ptr::eq(w.selection(), own) && w.selection().outcome() == Outcome::Waiting)
}

/// Closes the locked channel and commits every waiting operation; returns
/// whether it was open.
fn close_locked<T>(mut state: MutexGuard<'_, State<T>>) -> bool {
    if state.closed {
        return false;
    }
    state.closed = true;
    release_waiters(state, true);
    true
}

/// No operation can wait any more (closed, or no receiver left): commits
/// the waiting sends (and receives, if `receivers_too`) without moving a
/// value, and wakes them and the tasks waiting for this moment.
fn release_waiters<T>(mut state: MutexGuard<'_, State<T>>, receivers_too: bool) {
    let inner = &mut *state;
    let receivers = if receivers_too {
        std::mem::take(&mut inner.recv_waiters)
    } else {
        VecDeque::new()
    };
    let woken: Vec<_> = receivers
        .into_iter()
        .chain(inner.send_waiters.drain(..))
        .filter(|w| w.claim_closed())
        .collect();
    inner.stale = 0;
    let gone = std::mem::take(&mut inner.gone_wakers);
    drop(state);
    for waiter in woken {
        waiter.selection().wake();
    }
    gone.into_iter().for_each(Waker::wake);
}
