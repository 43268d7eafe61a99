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
//!
//! A waiter's packet (the value a send offers or a receive is handed) has no
//! lock of its own: the selection's state says who may touch it. A
//! counterpart that moves a value first moves the selection to `CLAIMING`
//! (one compare-and-swap, which only one counterpart can win and which the
//! owner's abort cannot pass), moves the value, then publishes `CLAIMED + i`
//! with a release store. The owner reads its packet only after it saw its
//! own operation `CLAIMED` (acquire), or when no counterpart can claim any
//! more (it aborted, or another operation committed). Why not a lock per
//! packet: it adds atomic read-modify-writes to every hand-off
//! (`docs/decisions/lock-free-packets.md`).
#![allow(unsafe_code)]

use std::task::Waker;

use crate::loom::{AtomicU32, AtomicUsize, Ordering, UnsafeCell};
use crate::util::pair::{Handles, Pair};

// The states of a selection. `WAITING` is the only one a counterpart can
// claim from and the owner can abort from; `ABORTED` and `CLAIMED + i` are
// final.

/// Waiting: a counterpart may claim it (to `CLAIMING`), the owner may abort
/// it (to `ABORTED`) or replace its waker (to `SETTING_WAKER`). Nobody
/// touches a packet but the owner before queueing.
const WAITING: u32 = 0;
/// The owner stopped waiting before any counterpart claimed it; final. No
/// counterpart touches its packets or waker any more.
const ABORTED: u32 = 1;
/// A counterpart is moving a value into or out of one of the selection's
/// packets, and taking the waker; only that counterpart touches them, and
/// `CLAIMED + i` follows (published with release).
const CLAIMING: u32 = 2;
/// The owner is replacing the waker (still waiting); only the owner
/// touches the waker, and `WAITING` follows.
const SETTING_WAKER: u32 = 3;
/// `CLAIMED + i`: operation `i` of the selection committed; final. The
/// counterpart is done with the packet, which is the owner's again.
const CLAIMED: u32 = 4;

/// What became of a selection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Waiting,
    Aborted,
    /// Claimed; the counterpart is still moving the value and taking the
    /// waker (a few instructions).
    Claiming,
    Claimed(usize),
}

/// One waiting `send`, `recv` or `select!`.
///
/// Its waker has no lock either: the owner replaces it only while it moves
/// the state from `WAITING` to `SETTING_WAKER` and back, and the claiming
/// counterpart takes it only while the state is `CLAIMING`, so the two never
/// overlap (a counterpart that finds the owner setting its waker waits for
/// those few instructions).
///
/// A plain operation's selection lives in its waiter (`Own`); each waiter
/// of a `select!` points to the select's (`In`, itself an `Own` in a
/// `Pair`), with its operation's index. One enum rather than a selection
/// plus a tag keeps the tag beside the 32-bit state: a parked goroutine's
/// waiter is two words smaller.
pub(crate) enum Selection {
    Own {
        state: AtomicU32,
        waker: UnsafeCell<Option<Waker>>,
        /// Which waker is stored (its data and vtable addresses, what
        /// `Waker::will_wake` compares), for the owner alone: a poll by
        /// the same task sets nothing.
        waker_id: [AtomicUsize; 2],
    },
    In {
        shared: Pair<Selection>,
        op: u32,
    },
}

/// The parts of a selection that lives in its place (`Selection::Own`).
struct Parts<'a> {
    state: &'a AtomicU32,
    waker: &'a UnsafeCell<Option<Waker>>,
    waker_id: &'a [AtomicUsize; 2],
}

// SAFETY: the waker cell is the only part not shareable as is; the state
// gives one thread at a time access to it (see above), and a `Waker` may
// move between threads.
unsafe impl Sync for Selection {}

impl std::fmt::Debug for Selection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Selection")
            .field("outcome", &self.outcome())
            .finish_non_exhaustive()
    }
}

/// A claimed operation's waker, taken while claiming: wake it once the
/// channel's lock is released.
#[must_use = "a claimed operation must be woken"]
pub(crate) struct Wake(Option<Waker>);

impl Wake {
    pub(crate) fn wake(self) {
        if let Some(waker) = self.0 {
            crate::runtime::context::handed_off();
            waker.wake();
        }
    }
}

/// A selection in the `CLAIMING` state, held by the counterpart that moved
/// it there.
struct Claiming<'a>(&'a Selection);

impl Claiming<'_> {
    /// Operation `op` committed (the value, if any, has moved): takes the
    /// waker and publishes the claim.
    fn claimed(self, op: usize) -> Wake {
        let parts = self.0.parts();
        // SAFETY: the state is `CLAIMING`, ours: the owner sets the waker
        // only from `WAITING`, and no other counterpart can claim.
        let waker = parts.waker.with_mut(|waker| unsafe { (*waker).take() });
        parts.state.store(CLAIMED + op as u32, Ordering::Release);
        Wake(waker)
    }
}

impl Selection {
    /// A selection shared by the operations of a `select!`: `handles`
    /// handles to it, one for the select and one per waiter.
    pub(crate) fn shared(waker: &Waker, handles: usize) -> Handles<Selection> {
        Handles::new(Selection::waiting(waker), handles)
    }

    fn waiting(waker: &Waker) -> Selection {
        let [data, vtable] = waker_id(waker);
        Selection::Own {
            state: AtomicU32::new(WAITING),
            waker: UnsafeCell::new(Some(waker.clone())),
            waker_id: [AtomicUsize::new(data), AtomicUsize::new(vtable)],
        }
    }

    /// The selection's parts. Every selection handled is an `Own`: a
    /// waiter's is reached through `Waiter::selection`, which follows an
    /// `In` to its select's.
    #[inline(always)]
    fn parts(&self) -> Parts<'_> {
        match self {
            Selection::Own {
                state,
                waker,
                waker_id,
            } => Parts {
                state,
                waker,
                waker_id,
            },
            Selection::In { .. } => {
                unreachable!("a waiter's selection is reached by `selection()`")
            }
        }
    }

    /// The place of this operation in its selection.
    fn op(&self) -> usize {
        match self {
            Selection::Own { .. } => 0,
            Selection::In { op, .. } => *op as usize,
        }
    }

    /// A counterpart claims the selection: until it calls
    /// [`Claiming::claimed`] it alone may touch the waker and the packet of
    /// the operation it claims. `None` if the selection was claimed or
    /// aborted already; waits while the owner sets its waker.
    fn begin_claim(&self) -> Option<Claiming<'_>> {
        let mut spins = 0u32;
        loop {
            match self.parts().state.compare_exchange(
                WAITING,
                CLAIMING,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return Some(Claiming(self)),
                Err(SETTING_WAKER) => crate::loom::spin_wait(&mut spins),
                Err(_) => return None,
            }
        }
    }

    /// The owner gives up waiting. Fails if a counterpart claimed it first.
    pub(crate) fn try_abort(&self) -> bool {
        self.parts()
            .state
            .compare_exchange(WAITING, ABORTED, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// Where the selection stands now (`Claiming` is not final).
    pub(crate) fn outcome(&self) -> Outcome {
        match self.parts().state.load(Ordering::Acquire) {
            WAITING | SETTING_WAKER => Outcome::Waiting,
            ABORTED => Outcome::Aborted,
            CLAIMING => Outcome::Claiming,
            n => Outcome::Claimed((n - CLAIMED) as usize),
        }
    }

    /// For the owner, once it cannot wait any more (it failed to abort):
    /// the final outcome, after the counterpart, if any is still moving a
    /// value, has moved it. That takes a few instructions of the other
    /// thread, as long as a lock held for them; a mutex on the packet waited
    /// the same way.
    pub(crate) fn final_outcome(&self) -> Outcome {
        let mut spins = 0u32;
        loop {
            match self.outcome() {
                Outcome::Claiming => crate::loom::spin_wait(&mut spins),
                outcome => return outcome,
            }
        }
    }

    /// For the owner: the waker to wake when a counterpart claims the
    /// selection. Does nothing if it is the stored one, or once the
    /// selection is claimed or aborted (the owner checks the outcome after
    /// this).
    pub(crate) fn set_waker(&self, waker: &Waker) {
        let parts = self.parts();
        let id = waker_id(waker);
        if parts.waker_id[0].load(Ordering::Relaxed) == id[0]
            && parts.waker_id[1].load(Ordering::Relaxed) == id[1]
        {
            return;
        }
        if parts
            .state
            .compare_exchange(WAITING, SETTING_WAKER, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            return;
        }
        // SAFETY: `SETTING_WAKER` is ours: a counterpart takes the waker only
        // after moving the state from `WAITING` to `CLAIMING`.
        parts
            .waker
            .with_mut(|slot| unsafe { *slot = Some(waker.clone()) });
        parts.waker_id[0].store(id[0], Ordering::Relaxed);
        parts.waker_id[1].store(id[1], Ordering::Relaxed);
        parts.state.store(WAITING, Ordering::Release);
    }
}

/// What `Waker::will_wake` compares: the data and vtable addresses.
fn waker_id(waker: &Waker) -> [usize; 2] {
    [waker.data() as usize, waker.vtable() as *const _ as usize]
}

/// A waiting operation's entry in a channel's queue. For a receive, the
/// packet is where the value is put (`None` after a claim means the channel
/// closed); for a send, it holds the value until a receiver takes it (still
/// `Some` after a claim means the channel closed).
///
/// A plain `send`/`recv` is a selection of one, which lives in its waiter:
/// one allocation per wait instead of two.
pub(crate) struct Waiter<T> {
    selection: Selection,
    packet: UnsafeCell<Option<T>>,
}

// A parked goroutine holds a waiter: a unit receive's, with its pair's
// count, stays within seven words, which glibc serves from its 64-byte
// chunks. (Loom's atomics and cells are bigger.)
#[cfg(all(target_pointer_width = "64", not(goro_loom)))]
const _: () = assert!(std::mem::size_of::<crate::util::pair::Inner<Waiter<()>>>() <= 56);

// SAFETY: the packet is the only part not shareable as is; the selection's
// state gives one thread at a time access to it (see the module's doc and
// each access), so sharing a waiter moves at most a `T` between threads.
unsafe impl<T: Send> Sync for Waiter<T> {}

impl<T> std::fmt::Debug for Waiter<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Waiter")
            .field("selection", self.selection())
            .field("op", &self.op())
            .finish_non_exhaustive()
    }
}

/// How an operation waits: alone, waking this waker, or as operation `op`
/// of a `select!`'s selection.
pub(crate) enum Joining<'a> {
    Alone(&'a Waker),
    Select(Pair<Selection>, usize),
}

impl<T> Waiter<T> {
    /// The waiter, as two handles: one for the owner, one for the queue.
    #[inline(always)]
    pub(crate) fn new(
        joining: Joining<'_>,
        packet: Option<T>,
    ) -> (Pair<Waiter<T>>, Pair<Waiter<T>>) {
        let selection = match joining {
            Joining::Alone(waker) => Selection::waiting(waker),
            Joining::Select(shared, op) => Selection::In {
                shared,
                op: op as u32,
            },
        };
        Pair::new(Waiter {
            selection,
            packet: UnsafeCell::new(packet),
        })
    }

    /// The selection this waiter belongs to (its own, or its select's).
    pub(crate) fn selection(&self) -> &Selection {
        match &self.selection {
            Selection::In { shared, .. } => shared,
            own => own,
        }
    }

    /// The place of its operation in the selection.
    fn op(&self) -> usize {
        self.selection.op()
    }

    /// Commits this waiting receive with `value`; gives it back if the
    /// selection was claimed or aborted already.
    pub(crate) fn claim_with(&self, value: T) -> Result<Wake, T> {
        let Some(claiming) = self.selection().begin_claim() else {
            return Err(value);
        };
        // SAFETY: `CLAIMING` is ours: no other counterpart can claim, and the
        // owner touches the packet only after `claimed` (or never again).
        self.packet
            .with_mut(|packet| unsafe { *packet = Some(value) });
        Ok(claiming.claimed(self.op()))
    }

    /// Commits this waiting send and takes its value; `None` if the
    /// selection was claimed or aborted already.
    pub(crate) fn claim_take(&self) -> Option<(T, Wake)> {
        let claiming = self.selection().begin_claim()?;
        // SAFETY: as in `claim_with`; the owner filled the packet before the
        // waiter was queued, and the channel's lock, which queued it and
        // under which we popped it, orders that write before this read.
        let value = unsafe { self.take_packet() };
        let wake = claiming.claimed(self.op());
        value.map(|value| (value, wake))
    }

    /// Commits this waiting operation without moving a value: its channel
    /// closed, or (buffered channels) a notice to try the ring again.
    pub(crate) fn claim_without_value(&self) -> Option<Wake> {
        Some(self.selection().begin_claim()?.claimed(self.op()))
    }

    /// For the owner, when no counterpart can claim this waiter (nobody saw
    /// it, or its selection ended elsewhere): the packet.
    pub(crate) fn take_unshared(&self) -> Option<T> {
        // SAFETY: no counterpart claims the selection any more (or ever saw
        // the waiter), and only a claiming counterpart touches a packet.
        unsafe { self.take_packet() }
    }

    /// Empties the packet.
    ///
    /// # Safety
    ///
    /// The caller has the packet to itself: it holds the selection in the
    /// `CLAIMING` state, or it is the owner and no counterpart can touch
    /// the packet (see the module's doc).
    unsafe fn take_packet(&self) -> Option<T> {
        // SAFETY: exclusive access, by the caller's contract.
        self.packet.with_mut(|packet| unsafe { (*packet).take() })
    }

    /// For the owner: if this operation committed, what its packet holds.
    /// Waits for a counterpart that is still moving the value.
    pub(crate) fn committed(&self) -> Option<Option<T>> {
        match self.selection().final_outcome() {
            Outcome::Claimed(op) if op == self.op() => {
                // SAFETY: the counterpart is done with the packet (`claimed`
                // was stored with release, read here with acquire), and no
                // other one can claim.
                Some(unsafe { self.take_packet() })
            }
            _ => None,
        }
    }
}
