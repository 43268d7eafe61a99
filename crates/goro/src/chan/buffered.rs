//! The buffered flavour (`cap > 0`): values go through a lock-free ring
//! (`ring.rs`), as in crossbeam-channel's `array` flavour, and the lock
//! guards only the queues of waiting operations.
//!
//! An operation waits only when the ring is full (send) or empty
//! (receive). A counterpart that changes that claims one waiter as a
//! notice, and the woken operation tries the ring again; a counterpart
//! never hands a value to a waiter. Registering a waiter and checking the
//! ring happen in the opposite order from changing the ring and checking
//! for waiters, with a `SeqCst` fence between each pair, so one side always
//! sees the other. Why fences rather than `SeqCst` accesses: loom models
//! such accesses as acquire/release only, and with fences the protocol is
//! model-checked (`docs/decisions/fences.md`).
//!
//! Wake-ups happen after the lock is released.

use super::queues::{Flags, Queue, Queues, RecvAttempt, SendAttempt};
use super::ring::{PopError, PushError, Ring};
use super::waiter::Waiter;
use crate::loom::{fence, Mutex, MutexGuard, Ordering};
use crate::util::pair::Pair;

pub(crate) struct Buffered<T> {
    /// Boxed: its cache-padded positions would make the channel, and so
    /// every unbuffered one beside it, 128-byte aligned.
    ring: Box<Ring<T>>,
    /// Whether a queue may hold a waiter (changed under the lock): a send
    /// or receive looks here, not at the lock, to know whether it must wake
    /// someone.
    flags: Flags,
    state: Mutex<Queues<T>>,
}

impl<T> Buffered<T> {
    pub(crate) fn new(cap: usize) -> Buffered<T> {
        Buffered {
            ring: Box::new(Ring::new(cap)),
            flags: Flags::default(),
            state: Mutex::new(Queues::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Queues<T>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn cap(&self) -> usize {
        self.ring.cap()
    }

    pub(crate) fn len(&self) -> usize {
        self.ring.len()
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.lock().is_gone()
    }

    /// Sends `value` into the ring if it has room.
    #[inline(never)]
    pub(crate) fn try_send(&self, value: T) -> SendAttempt<T> {
        match self.ring.push(value) {
            Ok(()) => {
                self.wake_one(Queue::Receivers);
                SendAttempt::Sent
            }
            Err(PushError::Full(value)) => SendAttempt::Full(value),
            Err(PushError::Marked(value)) => SendAttempt::Closed(value),
        }
    }

    /// Receives a value from the ring if it holds one.
    #[inline(never)]
    pub(crate) fn try_recv(&self) -> RecvAttempt<T> {
        match self.ring.pop() {
            Ok(value) => {
                self.wake_one(Queue::Senders);
                RecvAttempt::Value(value)
            }
            Err(PopError::Empty) => RecvAttempt::Empty,
            // The mark is set by closing (or the last sender's drop) and by
            // the last receiver's drop, which cannot have happened while
            // this receiver exists.
            Err(PopError::Drained) => RecvAttempt::Closed,
        }
    }

    /// Queues a waiting send unless the ring has room now: then returns
    /// `false` without queueing, and the caller tries again directly.
    pub(crate) fn register_send(&self, waiter: Pair<Waiter<T>>) -> bool {
        self.register(Queue::Senders, waiter, || self.ring.can_push())
    }

    /// Queues a waiting receive unless the ring has a value (or is drained)
    /// now.
    pub(crate) fn register_recv(&self, waiter: Pair<Waiter<T>>) -> bool {
        self.register(Queue::Receivers, waiter, || self.ring.can_pop())
    }

    /// Queues `waiter` unless `ready` says the ring lets it proceed: the
    /// waiter is queued and announced first, the ring checked after.
    #[inline(never)]
    fn register(&self, which: Queue, waiter: Pair<Waiter<T>>, ready: impl Fn() -> bool) -> bool {
        let mut state = self.lock();
        let flag = self.flags.of(which);
        let queue = state.queue(which);
        queue.push_back(waiter);
        flag.store(true, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        if ready() {
            queue.pop_back();
            flag.store(!queue.is_empty(), Ordering::Relaxed);
            return false;
        }
        true
    }

    /// After a send (receivers) or receive (senders): if an operation on
    /// the other side waits, wake one.
    #[inline]
    fn wake_one(&self, which: Queue) {
        fence(Ordering::SeqCst);
        if self.flags.of(which).load(Ordering::Relaxed) {
            self.notify(which);
        }
    }

    /// Claims the first waiter of a queue that is still waiting and wakes
    /// it to try the ring again. Also passes on a notice that a woken
    /// operation will not use (it was cancelled).
    #[cold]
    pub(crate) fn notify(&self, which: Queue) {
        let mut state = self.lock();
        let woken = state.claim_first(which);
        self.refresh(&state, which);
        drop(state);
        if let Some(wake) = woken {
            wake.wake();
        }
    }

    /// After a queue changed, under the lock: sets its flag again.
    fn refresh(&self, state: &Queues<T>, which: Queue) {
        self.flags
            .of(which)
            .store(!state.is_empty(which), Ordering::Relaxed);
    }

    /// A waiter whose selection ended elsewhere was left in a queue.
    pub(crate) fn left_inert(&self) {
        let mut state = self.lock();
        if state.left_inert() {
            self.refresh(&state, Queue::Senders);
            self.refresh(&state, Queue::Receivers);
        }
    }

    /// Closes the channel; returns whether this call closed it. Waiting
    /// receivers get `None` after the ring is drained (none wait while it
    /// holds values); waiting senders get their values back.
    pub(crate) fn close(&self) -> bool {
        self.close_locked(self.lock())
    }

    fn close_locked(&self, mut state: MutexGuard<'_, Queues<T>>) -> bool {
        if state.closed {
            return false;
        }
        state.closed = true;
        self.ring.mark();
        self.release(state, true);
        true
    }

    fn release(&self, mut state: MutexGuard<'_, Queues<T>>, receivers_too: bool) {
        let released = state.release(receivers_too);
        self.refresh(&state, Queue::Senders);
        self.refresh(&state, Queue::Receivers);
        drop(state);
        released.wake();
    }

    pub(crate) fn add_sender(&self) {
        self.lock().senders += 1;
    }

    /// The last sender gone closes the channel.
    pub(crate) fn drop_sender(&self) {
        let mut state = self.lock();
        state.senders -= 1;
        if state.senders == 0 {
            self.close_locked(state);
        }
    }

    pub(crate) fn add_receiver(&self) {
        self.lock().receivers += 1;
    }

    /// With the last receiver gone, sends fail: waiting senders get their
    /// values back, and the values in the buffer, which nobody can receive
    /// any more, are dropped now rather than with the last sender (a value
    /// may hold a sender of this very channel).
    pub(crate) fn drop_receiver(&self) {
        let mut state = self.lock();
        state.receivers -= 1;
        if state.receivers == 0 {
            self.ring.mark();
            self.release(state, false);
            // After the lock: a value's drop may use this channel. A send
            // still writing its slot (it won the position before the mark)
            // leaves its value to the ring's own drop.
            while let Ok(value) = self.ring.pop() {
                drop(value);
            }
        }
    }

    pub(crate) fn poll_gone(&self, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        self.lock().poll_gone(cx)
    }

    #[cfg(test)]
    pub(crate) fn queued(&self) -> (usize, usize) {
        self.lock().queued()
    }
}
