//! The channel itself: two queues of waiting operations behind one lock, as
//! in Go's `runtime/chan.go`, and for a buffered channel a lock-free ring.
//!
//! - Unbuffered (`cap == 0`): every operation takes the lock, moves at most
//!   one value and releases it. A counterpart that finds a waiter claims it
//!   and hands the value over directly.
//! - Buffered: values go through the ring without the lock, as in
//!   crossbeam-channel's `array` flavour. An operation waits only when the
//!   ring is full (send) or empty (receive); a counterpart that changes that
//!   claims one waiter as a notice, and the woken operation tries the ring
//!   again. Registering a waiter and checking the ring happen in the
//!   opposite order from changing the ring and checking for waiters, with a
//!   `SeqCst` fence between each pair, so one side always sees the other.
//!   (`SeqCst` stores and loads instead of the fences would be one `mfence`
//!   cheaper per operation on x86, about 3 ns, and equally correct, but loom
//!   models such accesses as acquire/release only and reports lost wake-ups
//!   that cannot happen; with fences the protocol is model-checked.)
//!
//! Wake-ups happen after the lock is released.

use std::collections::VecDeque;
use std::task::{Context, Poll, Waker};

use super::pair::Pair;
use super::ring::{PopError, PushError, Ring};
use super::waiter::{Outcome, Selection, Waiter, Wake};
use crate::loom::{fence, AtomicBool, Mutex, MutexGuard, Ordering};

pub(crate) struct Chan<T> {
    cap: usize,
    /// The buffer of a buffered channel. Boxed: inline, its cache-padded
    /// positions made every channel 128-byte aligned and four times its
    /// size, and the unbuffered `pingpong` and `sieve` measured 5-10%
    /// slower for it (medians of 20 alternations).
    ring: Option<Box<Ring<T>>>,
    /// Whether `recv_waiters` / `send_waiters` may hold a waiter (changed
    /// under the lock). A buffered send or receive looks here, not at the
    /// lock, to know whether it must wake someone. On an unbuffered channel
    /// they are hints: an operation that sees no counterpart waiting skips
    /// its attempt to proceed at once and goes straight to queueing, which
    /// checks again under the lock (see `may_send_now`).
    recv_waiting: AtomicBool,
    send_waiting: AtomicBool,
    state: Mutex<State<T>>,
}

struct State<T> {
    /// Unbuffered channels only: values handed to a receive that was then
    /// dropped, waiting for the next receive.
    buf: VecDeque<T>,
    closed: bool,
    senders: usize,
    receivers: usize,
    send_waiters: VecDeque<Pair<Waiter<T>>>,
    recv_waiters: VecDeque<Pair<Waiter<T>>>,
    /// How many waiters were left in the queues after their selection
    /// ended elsewhere, since the last compaction (unregistered lazily: such
    /// a waiter is inert, every claim on it fails). The queues are compacted
    /// when this passes 16 and half their length. It only grows, even when a
    /// counterpart pops such a waiter: an upper bound keeps inert waiters at
    /// most half the queue (plus 16), and since a compaction costs at most
    /// twice the count it resets, each unregistration pays for it. (A count
    /// lowered on pops could fall below the inert waiters still queued.)
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
            ring: (cap > 0).then(|| Box::new(Ring::new(cap))),
            recv_waiting: AtomicBool::new(false),
            send_waiting: AtomicBool::new(false),
            state: Mutex::new(State {
                buf: VecDeque::new(),
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

    /// Whether this channel has a buffer. Its waiters are then woken as a
    /// notice to try again, not handed a value.
    pub(crate) fn is_buffered(&self) -> bool {
        self.ring.is_some()
    }

    pub(crate) fn len(&self) -> usize {
        match &self.ring {
            Some(ring) => ring.len(),
            None => self.lock().buf.len(),
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        let state = self.lock();
        state.closed || state.receivers == 0
    }

    /// Whether a send might proceed without waiting. On an unbuffered
    /// channel, `false` means that a moment ago no receiver was queued and
    /// the channel was open with receivers left: the send then queues itself
    /// at once (one lock instead of two), since queueing checks all that
    /// again under the lock and proceeds instead if it changed. A stale hint
    /// costs at most that second check. Buffered channels try their ring
    /// first always.
    #[inline]
    pub(crate) fn may_send_now(&self) -> bool {
        self.ring.is_some() || self.recv_waiting.load(Ordering::Relaxed)
    }

    /// Whether a receive might proceed without waiting; see
    /// `may_send_now`. On an unbuffered channel, `false` means that a moment
    /// ago no sender was queued, no put-back value waited and the channel
    /// was open with senders left.
    #[inline]
    pub(crate) fn may_recv_now(&self) -> bool {
        self.ring.is_some() || self.send_waiting.load(Ordering::Relaxed)
    }

    /// Sends `value` if that needs no waiting: to a waiting receiver, or
    /// into the buffer.
    pub(crate) fn try_send(&self, value: T) -> SendAttempt<T> {
        if let Some(ring) = &self.ring {
            return self.try_send_buffered(ring, value);
        }
        let mut state = self.lock();
        if state.closed || state.receivers == 0 {
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

    /// Unbuffered channels, under the lock: claims the first receiver still
    /// waiting with `value` (its wake is for after the lock), or gives the
    /// value back if none is.
    #[inline]
    fn hand_to_receiver(&self, state: &mut State<T>, value: T) -> Result<Wake, T> {
        let mut value = value;
        while let Some(receiver) = state.recv_waiters.pop_front() {
            match receiver.claim_with(value) {
                Ok(wake) => {
                    if state.recv_waiters.is_empty() {
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

    /// Receives a value if that needs no waiting: from the buffer, or from
    /// a waiting sender.
    pub(crate) fn try_recv(&self) -> RecvAttempt<T> {
        if let Some(ring) = &self.ring {
            return self.try_recv_buffered(ring);
        }
        let mut state = self.lock();
        // Values put back by dropped receives come first.
        if let Some(value) = state.buf.pop_front() {
            if state.buf.is_empty() {
                self.refresh(&state, Queue::Senders);
            }
            return RecvAttempt::Value(value);
        }
        while let Some(sender) = state.send_waiters.pop_front() {
            if let Some((value, wake)) = sender.claim_take() {
                if state.send_waiters.is_empty() {
                    self.refresh(&state, Queue::Senders);
                }
                drop(state);
                wake.wake();
                return RecvAttempt::Value(value);
            }
        }
        self.refresh(&state, Queue::Senders);
        if state.closed || state.senders == 0 {
            RecvAttempt::Closed
        } else {
            RecvAttempt::Empty
        }
    }

    // The buffered paths stay out of line, so that the unbuffered ones
    // (which share these entry points) keep the size they had before the
    // ring: inlined, the ring's code cost the unbuffered `pingpong` 3.7%
    // more instructions (callgrind, one worker).

    #[inline(never)]
    fn try_send_buffered(&self, ring: &Ring<T>, value: T) -> SendAttempt<T> {
        match ring.push(value) {
            Ok(()) => {
                self.wake_one(Queue::Receivers);
                SendAttempt::Sent
            }
            Err(PushError::Full(value)) => SendAttempt::Full(value),
            Err(PushError::Marked(value)) => SendAttempt::Closed(value),
        }
    }

    #[inline(never)]
    fn try_recv_buffered(&self, ring: &Ring<T>) -> RecvAttempt<T> {
        match ring.pop() {
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

    /// Queues a waiting send, unless the send can proceed now: then returns
    /// `false` without queueing, and the caller tries again directly.
    /// `waiter` is the handle the queue would keep; the caller keeps the
    /// other one.
    pub(crate) fn register_send(&self, waiter: Pair<Waiter<T>>) -> bool {
        if let Some(ring) = &self.ring {
            return self.register_buffered(Queue::Senders, waiter, || ring.can_push());
        }
        let mut state = self.lock();
        let ready = state.closed
            || state.receivers == 0
            || self.has_counterpart(&mut state, Queue::Receivers, waiter.selection());
        if !ready {
            state.send_waiters.push_back(waiter);
            self.send_waiting.store(true, Ordering::Relaxed);
        }
        !ready
    }

    /// Queues a waiting receive, unless it can proceed now (see
    /// `register_send`).
    pub(crate) fn register_recv(&self, waiter: Pair<Waiter<T>>) -> bool {
        if let Some(ring) = &self.ring {
            return self.register_buffered(Queue::Receivers, waiter, || ring.can_pop());
        }
        let mut state = self.lock();
        let ready = state.closed
            || state.senders == 0
            || !state.buf.is_empty()
            || self.has_counterpart(&mut state, Queue::Senders, waiter.selection());
        if !ready {
            state.recv_waiters.push_back(waiter);
            self.recv_waiting.store(true, Ordering::Relaxed);
        }
        !ready
    }

    /// Queues a waiter on a buffered channel unless `ready` says the ring
    /// lets it proceed: the waiter is queued and announced first, the ring
    /// checked after (see the module's comment).
    #[inline(never)]
    fn register_buffered(
        &self,
        which: Queue,
        waiter: Pair<Waiter<T>>,
        ready: impl Fn() -> bool,
    ) -> bool {
        let mut state = self.lock();
        let (queue, flag) = self.queue(&mut state, which);
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

    fn queue<'s>(
        &self,
        state: &'s mut State<T>,
        which: Queue,
    ) -> (&'s mut VecDeque<Pair<Waiter<T>>>, &AtomicBool) {
        match which {
            Queue::Senders => (&mut state.send_waiters, &self.send_waiting),
            Queue::Receivers => (&mut state.recv_waiters, &self.recv_waiting),
        }
    }

    /// After a queue changed, under the lock: sets its flag again. On an
    /// unbuffered channel the flag is also the hint that operations of the
    /// other side read (`may_send_now`, `may_recv_now`), so it stays set
    /// while they could proceed for another reason: a put-back value to
    /// receive, a closed channel. A hint that is wrong either way only
    /// costs time: a wrong `true` one attempt that fails, a wrong `false`
    /// (read while another thread changes it) a queueing that finds the
    /// operation ready after all.
    fn refresh(&self, state: &State<T>, which: Queue) {
        let unbuffered = self.ring.is_none();
        let (queued, flag, ready) = match which {
            Queue::Senders => (
                !state.send_waiters.is_empty(),
                &self.send_waiting,
                unbuffered && (state.closed || state.senders == 0 || !state.buf.is_empty()),
            ),
            Queue::Receivers => (
                !state.recv_waiters.is_empty(),
                &self.recv_waiting,
                unbuffered && (state.closed || state.receivers == 0),
            ),
        };
        flag.store(queued || ready, Ordering::Relaxed);
    }

    /// After a buffered send (receivers) or receive (senders): if an
    /// operation on the other side waits, wake one.
    #[inline]
    fn wake_one(&self, which: Queue) {
        fence(Ordering::SeqCst);
        let flag = match which {
            Queue::Senders => &self.send_waiting,
            Queue::Receivers => &self.recv_waiting,
        };
        if flag.load(Ordering::Relaxed) {
            self.notify(which);
        }
    }

    /// Claims the first waiter of a buffered channel's queue that is still
    /// waiting and wakes it to try the ring again. Also passes on a notice
    /// that a woken operation will not use (it was cancelled).
    #[cold]
    pub(crate) fn notify(&self, which: Queue) {
        let mut guard = self.lock();
        let state = &mut *guard;
        let (queue, flag) = self.queue(state, which);
        let mut woken = None;
        while let Some(waiter) = queue.pop_front() {
            if let Some(wake) = waiter.claim_without_value() {
                woken = Some(wake);
                break;
            }
        }
        flag.store(!queue.is_empty(), Ordering::Relaxed);
        drop(guard);
        if let Some(wake) = woken {
            wake.wake();
        }
    }

    /// Forgets a waiter whose selection ended (aborted, or committed
    /// another operation). It stays queued, inert, until a counterpart pops
    /// it or the queues are compacted: searching for it would make every
    /// select cost time linear in the number of waiters.
    ///
    /// If it left the queue already (the caller's reference is the last:
    /// queueing made the only clone, and whoever removes the waiter from
    /// the queue, a counterpart, a compaction or a close, drops that one;
    /// no new clone is ever made), there is nothing to count and the lock
    /// is not taken. That is the common case for a select's losing waiter on an
    /// unbuffered channel: the next send or receive there pops it and finds
    /// it inert.
    pub(crate) fn unregister(&self, waiter: Pair<Waiter<T>>) {
        if Pair::is_last(&waiter) {
            return;
        }
        drop(waiter);
        let mut state = self.lock();
        state.stale += 1;
        let queued = state.send_waiters.len() + state.recv_waiters.len();
        if state.stale > 16 && state.stale * 2 > queued {
            let waiting = |w: &Pair<Waiter<T>>| w.selection().outcome() == Outcome::Waiting;
            state.send_waiters.retain(waiting);
            state.recv_waiters.retain(waiting);
            state.stale = 0;
            self.refresh(&state, Queue::Senders);
            self.refresh(&state, Queue::Receivers);
        }
    }

    /// A receive was handed `value` but dropped before it returned it: the
    /// value goes to another waiting receiver, or back to the front of the
    /// buffer, so that it is neither lost nor reordered. Unbuffered channels
    /// only: a buffered channel never hands a value to a waiter.
    pub(crate) fn put_back(&self, value: T) {
        debug_assert!(!self.is_buffered());
        let mut state = self.lock();
        match self.hand_to_receiver(&mut state, value) {
            Ok(wake) => {
                drop(state);
                wake.wake();
            }
            Err(value) => {
                state.buf.push_front(value);
                self.refresh(&state, Queue::Senders);
            }
        }
    }

    /// Closes the channel; returns whether this call closed it. Waiting
    /// receivers get `None` (after the buffer is drained, since none wait
    /// while it holds values); waiting senders get their values back.
    pub(crate) fn close(&self) -> bool {
        self.close_locked(self.lock())
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
    /// values back.
    pub(crate) fn drop_receiver(&self) {
        let mut state = self.lock();
        state.receivers -= 1;
        if state.receivers == 0 {
            if let Some(ring) = &self.ring {
                ring.mark();
            }
            self.release_waiters(state, false);
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
pub(crate) enum Queue {
    Senders,
    Receivers,
}

impl<T> Chan<T> {
    /// Whether a queue holds a waiter of another selection that is still
    /// waiting; drops the inert ones in front of it.
    fn has_counterpart(&self, state: &mut State<T>, which: Queue, own: &Selection) -> bool {
        let (queue, _) = self.queue(state, which);
        let mut popped = false;
        while let Some(front) = queue.front() {
            if front.selection().outcome() == Outcome::Waiting {
                break;
            }
            queue.pop_front();
            popped = true;
        }
        if queue.is_empty() {
            if popped {
                self.refresh(state, which);
            }
            return false;
        }
        queue.iter().any(|w| {
            !std::ptr::eq(w.selection(), own) && w.selection().outcome() == Outcome::Waiting
        })
    }

    /// Closes the locked channel and commits every waiting operation; returns
    /// whether it was open.
    fn close_locked(&self, mut state: MutexGuard<'_, State<T>>) -> bool {
        if state.closed {
            return false;
        }
        state.closed = true;
        if let Some(ring) = &self.ring {
            ring.mark();
        }
        self.release_waiters(state, true);
        true
    }

    /// No operation can wait any more (closed, or no receiver left): commits
    /// the waiting sends (and receives, if `receivers_too`) without moving a
    /// value, and wakes them and the tasks waiting for this moment.
    fn release_waiters(&self, mut state: MutexGuard<'_, State<T>>, receivers_too: bool) {
        let inner = &mut *state;
        let receivers = if receivers_too {
            std::mem::take(&mut inner.recv_waiters)
        } else {
            VecDeque::new()
        };
        let woken: Vec<_> = receivers
            .into_iter()
            .chain(inner.send_waiters.drain(..))
            .filter_map(|w| w.claim_without_value())
            .collect();
        inner.stale = 0;
        self.refresh(inner, Queue::Senders);
        self.refresh(inner, Queue::Receivers);
        let gone = std::mem::take(&mut inner.gone_wakers);
        drop(state);
        for wake in woken {
            wake.wake();
        }
        gone.into_iter().for_each(Waker::wake);
    }
}

#[cfg(all(test, not(goro_loom)))]
mod tests {
    use super::*;

    /// Runs `future` with Tokio's panic behaviour, so that a failed
    /// assertion inside it fails this test (under Go's, the default, it
    /// would end the whole test process).
    fn run<F>(future: F) -> F::Output
    where
        F: std::future::Future + Send + 'static,
        F::Output: Send + 'static,
    {
        crate::Builder::new()
            .panic(crate::Panic::Isolate)
            .run(future)
    }

    /// The waiters queued on each side of `chan`.
    fn queued<T>(chan: &Chan<T>) -> (usize, usize) {
        let state = chan.lock();
        (state.send_waiters.len(), state.recv_waiters.len())
    }

    /// `n` selects between `quiet` (nothing is sent there meanwhile) and a
    /// new channel that a goroutine sends `n` values on: each commits on
    /// the busy channel and may leave an inert waiter on `quiet`. Returns
    /// the most receivers ever queued on `quiet` after a select.
    async fn lose_on(quiet: &crate::chan::Receiver<u32>, n: u32) -> usize {
        let (busy_tx, busy) = crate::chan::<u32>(0);
        crate::go!(async move {
            for i in 0..n {
                busy_tx.send(i).await.unwrap();
            }
        });
        let mut most = 0;
        for i in 0..n {
            crate::select! {
                _ = quiet.recv() => unreachable!("nothing is sent on the quiet channel"),
                v = busy.recv() => assert_eq!(v, Some(i)),
            }
            most = most.max(queued(&quiet.chan).1);
        }
        most
    }

    /// A select that always commits on one channel leaves an inert waiter
    /// on the other each time; nobody ever pops those, so only compaction
    /// removes them, and it must keep them bounded.
    #[test]
    fn selects_that_lose_on_a_quiet_channel_leave_a_bounded_queue() {
        let most = run(async {
            let (_quiet_tx, quiet) = crate::chan::<u32>(0);
            lose_on(&quiet, 5_000).await
        });
        // At most half inert (plus the 16 tolerated), and never a waiting
        // one here: 17 at the most.
        assert!(most <= 17, "{most} waiters left on the quiet channel");
    }

    /// Selects dropped while they wait (a timeout elsewhere, say) leave
    /// inert waiters on both channels; each branch's own cancellation
    /// counts its waiter, so compaction bounds both queues.
    #[test]
    fn dropped_selects_leave_bounded_queues() {
        use futures::FutureExt;
        let most = run(async {
            let (_a_tx, a) = crate::chan::<u32>(0);
            let (_b_tx, b) = crate::chan::<u32>(0);
            let mut most = (0, 0);
            for _ in 0..1_000 {
                let waiting = async {
                    crate::select! {
                        _ = a.recv() => unreachable!("nothing is sent on a"),
                        _ = b.recv() => unreachable!("nothing is sent on b"),
                    }
                };
                assert!(waiting.now_or_never().is_none(), "nothing was sent");
                most.0 = most.0.max(queued(&a.chan).1);
                most.1 = most.1.max(queued(&b.chan).1);
            }
            most
        });
        assert!(
            most.0 <= 17 && most.1 <= 17,
            "waiters left on a and b: {most:?}"
        );
    }

    /// On unbuffered channels a select's first pass skips channels with no
    /// counterpart queued (a hint). A closed channel, and a value put back
    /// by a dropped receive, are ready without a counterpart: the hint must
    /// say so, or those branches would lose to every queued counterpart.
    #[test]
    fn unbuffered_branches_ready_without_a_counterpart_win_their_share() {
        const N: usize = 2_000;
        let shares = run(async {
            let (ready_tx, ready) = crate::chan::<u32>(0);
            let (closed_tx, closed) = crate::chan::<u32>(0);
            closed_tx.close();
            let (put_back_tx, put_back) = crate::chan::<u32>(0);
            crate::go!(async move { while ready_tx.send(1).await.is_ok() {} });
            let mut wins = [0usize; 2];
            for _ in 0..N {
                // A sender queued on `ready`, and a value put back on
                // `put_back`: every branch is ready.
                while queued(&ready.chan).0 == 0 {
                    tokio::task::yield_now().await;
                }
                put_back.chan.put_back(2);
                crate::select! {
                    v = ready.recv() => assert_eq!(v, Some(1)),
                    v = closed.recv() => {
                        assert_eq!(v, None);
                        wins[0] += 1;
                    }
                    v = put_back.recv() => {
                        assert_eq!(v, Some(2));
                        wins[1] += 1;
                        continue;
                    }
                }
                // Keep `put_back` empty for the next round.
                assert_eq!(put_back.try_recv(), Ok(2));
            }
            drop(put_back_tx);
            wins.map(|w| w as f64 / N as f64)
        });
        for (branch, share) in ["closed", "put back"].iter().zip(shares) {
            assert!(
                (0.2..=0.47).contains(&share),
                "the {branch} branch won {share:.3} of the selects (a third expected)"
            );
        }
    }

    /// The same with the inert waiters behind a receive that really waits:
    /// compaction keeps that one and removes the rest.
    #[test]
    fn compaction_keeps_the_waiting_and_drops_the_inert() {
        let (most, received) = run(async {
            let (quiet_tx, quiet) = crate::chan::<u32>(0);
            let waiting = quiet.clone();
            let parked_one = crate::go!(async move { waiting.recv().await });
            // Wait for the goroutine's waiter before counting.
            while queued(&quiet.chan).1 == 0 {
                tokio::task::yield_now().await;
            }
            let most = lose_on(&quiet, 1_000).await;
            quiet_tx.send(7).await.unwrap();
            (most, parked_one.await.unwrap())
        });
        assert!(most <= 18, "{most} waiters left on the quiet channel");
        assert_eq!(received, Some(7), "the waiting receive survived compaction");
    }
}
