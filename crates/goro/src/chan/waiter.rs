//! Waiting on a channel: the selection a waiting operation belongs to, and
//! the entry it leaves in a channel's queue.
//!
//! A plain `send`/`recv` and a `select!` both wait the same way: they create
//! one [`Selection`] and put one [`Waiter`] per operation into the queue of
//! that operation's channel. A counterpart that finds a waiter claims its
//! selection (one compare-and-swap) before any value moves; a selection is
//! claimed at most once, so exactly one of its operations commits. The owner
//! can also abort its own selection (when it stops waiting, or when it finds
//! an operation ready after registering); a counterpart that finds an aborted
//! or already claimed selection skips its waiter.

use std::sync::Arc;
use std::task::Waker;

use crate::loom::{AtomicUsize, Mutex, MutexGuard, Ordering};

const WAITING: usize = 0;
const ABORTED: usize = 1;
/// `CLAIMED + i`: operation `i` of the selection committed.
const CLAIMED: usize = 2;

/// What became of a selection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Waiting,
    Aborted,
    Claimed(usize),
}

/// One waiting `send`, `recv` or `select!`.
#[derive(Debug)]
pub(crate) struct Selection {
    state: AtomicUsize,
    waker: Mutex<Option<Waker>>,
}

impl Selection {
    /// A selection shared by the operations of a `select!`.
    pub(crate) fn new(waker: &Waker) -> Arc<Selection> {
        Arc::new(Selection::waiting(waker))
    }

    fn waiting(waker: &Waker) -> Selection {
        Selection {
            state: AtomicUsize::new(WAITING),
            waker: Mutex::new(Some(waker.clone())),
        }
    }

    /// A counterpart commits operation `op` of this selection. Fails if the
    /// selection was claimed or aborted already.
    pub(crate) fn try_claim(&self, op: usize) -> bool {
        self.state
            .compare_exchange(WAITING, CLAIMED + op, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// The owner gives up waiting. Fails if a counterpart claimed it first.
    pub(crate) fn try_abort(&self) -> bool {
        self.state
            .compare_exchange(WAITING, ABORTED, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    pub(crate) fn outcome(&self) -> Outcome {
        match self.state.load(Ordering::Acquire) {
            WAITING => Outcome::Waiting,
            ABORTED => Outcome::Aborted,
            n => Outcome::Claimed(n - CLAIMED),
        }
    }

    /// Stores the waker to wake when a counterpart claims the selection.
    pub(crate) fn set_waker(&self, waker: &Waker) {
        let mut slot = self.waker.lock().unwrap_or_else(|e| e.into_inner());
        match &mut *slot {
            Some(old) if old.will_wake(waker) => {}
            slot => *slot = Some(waker.clone()),
        }
    }

    /// Wakes the owner (after a claim).
    pub(crate) fn wake(&self) {
        let waker = self.waker.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(waker) = waker {
            crate::context::handed_off();
            waker.wake();
        }
    }
}

/// A waiting operation's entry in a channel's queue. For a receive, the
/// packet is where the value is put (`None` after a claim means the channel
/// closed); for a send, it holds the value until a receiver takes it (still
/// `Some` after a claim means the channel closed).
///
/// A plain `send`/`recv` is a selection of one, which lives in its waiter:
/// one allocation per wait instead of two.
#[derive(Debug)]
pub(crate) struct Waiter<T> {
    selection: Joined,
    pub(crate) op: usize,
    pub(crate) packet: Mutex<Option<T>>,
}

/// Where a waiter's selection lives.
#[derive(Debug)]
enum Joined {
    /// A plain operation's own.
    Alone(Selection),
    /// The one of a `select!`, shared by its operations.
    Select(Arc<Selection>),
}

/// How an operation waits: alone, waking this waker, or as operation `op`
/// of a `select!`'s selection.
#[derive(Clone, Copy)]
pub(crate) enum Joining<'a> {
    Alone(&'a Waker),
    Select(&'a Arc<Selection>, usize),
}

impl<T> Waiter<T> {
    pub(crate) fn new(joining: Joining<'_>, packet: Option<T>) -> Arc<Waiter<T>> {
        let (selection, op) = match joining {
            Joining::Alone(waker) => (Joined::Alone(Selection::waiting(waker)), 0),
            Joining::Select(selection, op) => (Joined::Select(Arc::clone(selection)), op),
        };
        Arc::new(Waiter {
            selection,
            op,
            packet: Mutex::new(packet),
        })
    }

    /// The selection this waiter belongs to.
    pub(crate) fn selection(&self) -> &Selection {
        match &self.selection {
            Joined::Alone(selection) => selection,
            Joined::Select(selection) => selection,
        }
    }

    fn packet(&self) -> MutexGuard<'_, Option<T>> {
        self.packet.lock().unwrap_or_else(|e| e.into_inner())
    }

    // A counterpart claims the selection while it holds the packet's lock,
    // and fills or empties the packet before releasing it: whoever sees the
    // claim and then locks the packet sees the value moved.

    /// Commits this waiting receive with `value`; gives it back if the
    /// selection was claimed or aborted already.
    pub(crate) fn claim_with(&self, value: T) -> Result<(), T> {
        let mut packet = self.packet();
        if self.selection().try_claim(self.op) {
            *packet = Some(value);
            Ok(())
        } else {
            Err(value)
        }
    }

    /// Commits this waiting send and takes its value; `None` if the
    /// selection was claimed or aborted already.
    pub(crate) fn claim_take(&self) -> Option<T> {
        let mut packet = self.packet();
        if self.selection().try_claim(self.op) {
            packet.take()
        } else {
            None
        }
    }

    /// Commits this waiting operation without moving a value: its channel
    /// closed, or (buffered channels) a notice to try the ring again.
    pub(crate) fn claim_without_value(&self) -> bool {
        let _packet = self.packet();
        self.selection().try_claim(self.op)
    }

    /// For the owner, when no channel holds the waiter any more: the packet.
    pub(crate) fn take_unshared(&self) -> Option<T> {
        self.packet().take()
    }

    /// For the owner: if this operation committed, what its packet holds.
    pub(crate) fn committed(&self) -> Option<Option<T>> {
        let mut packet = self.packet();
        (self.selection().outcome() == Outcome::Claimed(self.op)).then(|| packet.take())
    }
}
