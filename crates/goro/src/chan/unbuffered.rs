//! The unbuffered flavour (`cap == 0`): a rendezvous, as in Go's
//! `runtime/chan.go`. Every operation takes the channel's lock, moves at
//! most one value and releases it; a counterpart that finds a waiter claims
//! it and hands the value over directly. Wake-ups happen after the lock is
//! released.
//!
//! The flags (`Flags`) are hints here: an operation that sees no
//! counterpart waiting skips its attempt to proceed at once and goes
//! straight to queueing, which checks again under the lock. So a flag stays
//! set while the other side could proceed for another reason: a put-back
//! value to receive, a closed channel. A hint that is wrong either way only
//! costs time: a wrong `true` one attempt that fails, a wrong `false` (read
//! while another thread changes it) a queueing that finds the operation
//! ready after all.

use std::collections::VecDeque;

use super::queues::{Flags, Queue, Queues, RecvAttempt, SendAttempt};
use super::waiter::{Waiter, Wake};
use crate::loom::{Mutex, MutexGuard, Ordering};
use crate::util::pair::Pair;

/// What became of a timer's value ([`Unbuffered::offer`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Offer {
    /// A waiting receive took it.
    Taken,
    /// It waits for the next receive.
    Left,
    /// A value waited already; this one was dropped.
    Dropped,
    /// The channel is closed or has no receiver left.
    Closed,
}

pub(crate) struct Unbuffered<T> {
    flags: Flags,
    state: Mutex<State<T>>,
}

struct State<T> {
    queues: Queues<T>,
    /// Values handed to a receive that was then dropped, waiting for the
    /// next receive (they come before any sender's).
    put_back: VecDeque<T>,
}

impl<T> Unbuffered<T> {
    pub(crate) fn new() -> Unbuffered<T> {
        Unbuffered {
            flags: Flags::default(),
            state: Mutex::new(State {
                queues: Queues::new(),
                put_back: VecDeque::new(),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn len(&self) -> usize {
        self.lock().put_back.len()
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.lock().queues.is_gone()
    }

    /// Whether a send might proceed without waiting: `false` means that a
    /// moment ago no receiver was queued and the channel was open with
    /// receivers left. The send then queues itself at once (one lock
    /// instead of two).
    #[inline]
    pub(crate) fn may_send_now(&self) -> bool {
        self.flags.recv_waiting.load(Ordering::Relaxed)
    }

    /// Whether a receive might proceed without waiting: `false` means that
    /// a moment ago no sender was queued, no put-back value waited and the
    /// channel was open with senders left.
    #[inline]
    pub(crate) fn may_recv_now(&self) -> bool {
        self.flags.send_waiting.load(Ordering::Relaxed)
    }

    /// Sends `value` to a waiting receiver, if there is one.
    pub(crate) fn try_send(&self, value: T) -> SendAttempt<T> {
        let mut state = self.lock();
        if state.queues.is_gone() {
            return SendAttempt::Closed(value);
        }
        match self.hand_to_receiver(&mut state, value) {
            Ok(wake) => {
                drop(state);
                wake.wake();
                SendAttempt::Sent
            }
            Err(value) => SendAttempt::Full(value),
        }
    }

    /// Under the lock: claims the first receiver still waiting with `value`
    /// (its wake is for after the lock), or gives the value back if none is.
    #[inline]
    fn hand_to_receiver(&self, state: &mut State<T>, value: T) -> Result<Wake, T> {
        let mut value = value;
        while let Some(receiver) = state.queues.queue(Queue::Receivers).pop_front() {
            match receiver.claim_with(value) {
                Ok(wake) => {
                    if state.queues.is_empty(Queue::Receivers) {
                        self.refresh(state, Queue::Receivers);
                    }
                    return Ok(wake);
                }
                Err(back) => value = back,
            }
        }
        self.refresh(state, Queue::Receivers);
        Err(value)
    }

    /// Receives a put-back value, or one from a waiting sender.
    pub(crate) fn try_recv(&self) -> RecvAttempt<T> {
        let mut state = self.lock();
        if let Some(value) = state.put_back.pop_front() {
            if state.put_back.is_empty() {
                self.refresh(&state, Queue::Senders);
            }
            return RecvAttempt::Value(value);
        }
        while let Some(sender) = state.queues.queue(Queue::Senders).pop_front() {
            if let Some((value, wake)) = sender.claim_take() {
                if state.queues.is_empty(Queue::Senders) {
                    self.refresh(&state, Queue::Senders);
                }
                drop(state);
                wake.wake();
                return RecvAttempt::Value(value);
            }
        }
        self.refresh(&state, Queue::Senders);
        if state.queues.is_drained() {
            RecvAttempt::Closed
        } else {
            RecvAttempt::Empty
        }
    }

    /// Queues a waiting send, unless it can proceed now: then returns
    /// `false` without queueing, and the caller tries again directly.
    pub(crate) fn register_send(&self, waiter: Pair<Waiter<T>>) -> bool {
        let mut state = self.lock();
        let ready =
            state.queues.is_gone() || self.has_counterpart(&mut state, Queue::Receivers, &waiter);
        if !ready {
            state.queues.queue(Queue::Senders).push_back(waiter);
            self.flags.send_waiting.store(true, Ordering::Relaxed);
        }
        !ready
    }

    /// Queues a waiting receive, unless it can proceed now.
    pub(crate) fn register_recv(&self, waiter: Pair<Waiter<T>>) -> bool {
        let mut state = self.lock();
        let ready = state.queues.is_drained()
            || !state.put_back.is_empty()
            || self.has_counterpart(&mut state, Queue::Senders, &waiter);
        if !ready {
            state.queues.queue(Queue::Receivers).push_back(waiter);
            self.flags.recv_waiting.store(true, Ordering::Relaxed);
        }
        !ready
    }

    fn has_counterpart(&self, state: &mut State<T>, which: Queue, own: &Waiter<T>) -> bool {
        let (found, popped) = state.queues.has_counterpart(which, own.selection());
        if popped {
            self.refresh(state, which);
        }
        found
    }

    /// After a queue changed, under the lock: sets its flag again (see the
    /// module's doc for what the flags promise).
    fn refresh(&self, state: &State<T>, which: Queue) {
        let queues = &state.queues;
        let ready = match which {
            Queue::Senders => queues.is_drained() || !state.put_back.is_empty(),
            Queue::Receivers => queues.is_gone(),
        };
        self.flags
            .of(which)
            .store(!queues.is_empty(which) || ready, Ordering::Relaxed);
    }

    /// A waiter whose selection ended elsewhere was left in a queue.
    pub(crate) fn left_inert(&self) {
        let mut state = self.lock();
        if state.queues.left_inert() {
            self.refresh(&state, Queue::Senders);
            self.refresh(&state, Queue::Receivers);
        }
    }

    /// A receive was handed `value` but dropped before it returned it: the
    /// value goes to another waiting receiver, or back to the front of the
    /// put-back values, so that it is neither lost nor reordered.
    pub(crate) fn put_back(&self, value: T) {
        let mut state = self.lock();
        match self.hand_to_receiver(&mut state, value) {
            Ok(wake) => {
                drop(state);
                wake.wake();
            }
            Err(value) => {
                state.put_back.push_front(value);
                self.refresh(&state, Queue::Senders);
            }
        }
    }

    /// A timer's firing: hands `value` to a waiting receiver, or leaves it
    /// among the put-back values for the next receive if none waits there
    /// already; otherwise drops it (a tick for a receiver that fell
    /// behind).
    pub(crate) fn offer(&self, value: T) -> Offer {
        let mut state = self.lock();
        if state.queues.is_gone() {
            return Offer::Closed;
        }
        match self.hand_to_receiver(&mut state, value) {
            Ok(wake) => {
                drop(state);
                wake.wake();
                Offer::Taken
            }
            Err(value) if state.put_back.is_empty() => {
                state.put_back.push_back(value);
                self.refresh(&state, Queue::Senders);
                Offer::Left
            }
            Err(value) => {
                drop(state);
                drop(value);
                Offer::Dropped
            }
        }
    }

    /// Closes the channel; returns whether this call closed it. Waiting
    /// receivers get `None`; waiting senders get their values back.
    pub(crate) fn close(&self) -> bool {
        self.close_locked(self.lock())
    }

    fn close_locked(&self, mut state: MutexGuard<'_, State<T>>) -> bool {
        if state.queues.closed {
            return false;
        }
        state.queues.closed = true;
        self.release(state, true);
        true
    }

    fn release(&self, mut state: MutexGuard<'_, State<T>>, receivers_too: bool) {
        let released = state.queues.release(receivers_too);
        self.refresh(&state, Queue::Senders);
        self.refresh(&state, Queue::Receivers);
        drop(state);
        released.wake();
    }

    pub(crate) fn add_sender(&self) {
        self.lock().queues.senders += 1;
    }

    /// The last sender gone closes the channel.
    pub(crate) fn drop_sender(&self) {
        let mut state = self.lock();
        state.queues.senders -= 1;
        if state.queues.senders == 0 {
            self.close_locked(state);
        }
    }

    pub(crate) fn add_receiver(&self) {
        self.lock().queues.receivers += 1;
    }

    /// With the last receiver gone, sends fail: waiting senders get their
    /// values back, and values put back by dropped receives, which nobody
    /// can receive any more, are dropped now.
    pub(crate) fn drop_receiver(&self) {
        let mut state = self.lock();
        state.queues.receivers -= 1;
        if state.queues.receivers == 0 {
            let put_back = std::mem::take(&mut state.put_back);
            self.release(state, false);
            // After the lock: a value's drop may use this channel.
            drop(put_back);
        }
    }

    pub(crate) fn poll_gone(&self, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        self.lock().queues.poll_gone(cx)
    }

    #[cfg(test)]
    pub(crate) fn queued(&self) -> (usize, usize) {
        self.lock().queues.queued()
    }
}
