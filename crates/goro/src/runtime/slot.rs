//! The slot through which a spawner hands a goroutine to an idle carrier.
//!
//! Only one spawner at a time can hold a carrier's idle entry (it popped it
//! from an idle list), and only that spawner writes `goroutine`, while the
//! state is `EMPTY`; the carrier reads it only after it saw `FULL`. The
//! carrier is killed only by its own drop, when no poll of it runs.
//! Model-checked below (`loom_tests`).
#![allow(unsafe_code)]

use crate::loom::{AtomicU8, Ordering, UnsafeCell};
use crate::util::block::{Block, Kept};

// The states of a slot.

/// Nothing handed over: the carrier is busy or idle, and the holder of its
/// idle entry (if any) may write `goroutine` and `kept`.
const EMPTY: u8 = 0;
/// A goroutine is in `goroutine`; only the carrier touches the cell until
/// it stores `EMPTY` again.
const FULL: u8 = 1;
/// The carrier was dropped (its runtime shut down); final. A goroutine
/// handed over after this is given back.
const DEAD: u8 = 2;

/// Where a goroutine (`G`) is handed to an idle carrier, with the memory
/// the carrier kept from its last goroutine, and the carrier's `owner` (its
/// runtime), kept here rather than in the carrier task so that the task's
/// future stays small.
pub(crate) struct Slot<G, O> {
    state: AtomicU8,
    goroutine: UnsafeCell<Option<G>>,
    /// The memory of the carrier's last goroutine (its box, and its
    /// `Join` if its handle was dropped), kept for the next one. Accessed
    /// like `goroutine` while `EMPTY`: by the carrier before it goes on an
    /// idle list, by the spawner that took it off.
    kept: UnsafeCell<Kept>,
    owner: O,
}

// SAFETY: `goroutine` and `kept` are accessed by one thread at a time, as
// the protocol above says, and what they hold is `Send`.
unsafe impl<G: Send, O: Sync> Sync for Slot<G, O> {}

impl<G, O> Slot<G, O> {
    pub(crate) fn new(owner: O) -> Slot<G, O> {
        Slot {
            state: AtomicU8::new(EMPTY),
            goroutine: UnsafeCell::new(None),
            kept: UnsafeCell::new(Kept::default()),
            owner,
        }
    }

    pub(crate) fn owner(&self) -> &O {
        &self.owner
    }

    /// Hands `goroutine` over; gives it back if the carrier is dead.
    /// Call only holding the carrier's idle entry.
    pub(crate) fn give(&self, goroutine: G) -> Result<(), G> {
        // SAFETY: we hold the idle entry, so the state is `EMPTY` or
        // `DEAD`, and in neither does anyone else touch the cell.
        self.goroutine
            .with_mut(|cell| unsafe { *cell = Some(goroutine) });
        match self
            .state
            .compare_exchange(EMPTY, FULL, Ordering::Release, Ordering::Relaxed)
        {
            Ok(_) => Ok(()),
            // SAFETY: still ours: the state stays `DEAD`.
            Err(_) => Err(self
                .goroutine
                .with_mut(|cell| unsafe { (*cell).take() })
                .expect("just put there")),
        }
    }

    /// Takes a goroutine handed over; called by the carrier's poll.
    pub(crate) fn take(&self) -> Option<G> {
        if self.state.load(Ordering::Acquire) != FULL {
            return None;
        }
        // SAFETY: `FULL`: the spawner is done with the cell, and only the
        // carrier (which is polling now) touches it until it stores `EMPTY`.
        let goroutine = self.goroutine.with_mut(|cell| unsafe { (*cell).take() });
        self.state.store(EMPTY, Ordering::Relaxed);
        goroutine
    }

    /// Takes the kept memory. Call only holding the carrier's idle entry.
    pub(crate) fn take_kept(&self) -> Kept {
        // SAFETY: holding the idle entry, the spawner has the slot to
        // itself (the carrier stored the memory before it listed itself).
        self.kept
            .with_mut(|kept| unsafe { std::mem::take(&mut *kept) })
    }

    /// Keeps memory for the next goroutine: block `i` of the kept memory
    /// for each `(i, block)`. Called by the carrier before it puts itself
    /// on an idle list.
    pub(crate) fn keep(&self, blocks: [(usize, Option<Block>); 2]) {
        self.kept.with_mut(|kept| {
            // SAFETY: the carrier is on no list, so no spawner can reach
            // the slot, and the last spawner that did is done with it (it
            // gave a goroutine, which the carrier took after seeing `FULL`).
            let kept = unsafe { &mut *kept };
            for (i, block) in blocks {
                kept.put(i, block);
            }
        });
    }

    /// Marks the carrier dead; returns a goroutine handed over meanwhile.
    /// Called by the carrier's drop.
    pub(crate) fn kill(&self) -> Option<G> {
        if self.state.swap(DEAD, Ordering::Acquire) == FULL {
            // SAFETY: it was `FULL`: as in `take`.
            self.goroutine.with_mut(|cell| unsafe { (*cell).take() })
        } else {
            None
        }
    }
}

#[cfg(all(test, goro_loom))]
mod loom_tests {
    use super::*;
    use std::sync::Arc;

    /// A goroutine handed to a carrier that its runtime's end kills meanwhile
    /// is either the carrier's (killed with it) or given back: never both,
    /// never neither.
    #[test]
    fn a_goroutine_handed_to_a_dying_carrier_is_given_back_or_killed_once() {
        loom::model(|| {
            let slot = Arc::new(Slot::<usize, ()>::new(()));
            let dying = slot.clone();
            let killer = loom::thread::spawn(move || dying.kill());
            let given_back = slot.give(7).err();
            let killed = killer.join().unwrap();
            assert_eq!(
                given_back.into_iter().chain(killed).collect::<Vec<_>>(),
                [7]
            );
        });
    }

    /// A carrier polled by an old waker while a spawner hands it a goroutine
    /// takes it now or at its next poll, exactly once.
    #[test]
    fn a_goroutine_handed_over_during_a_stale_poll_is_taken_once() {
        loom::model(|| {
            let slot = Arc::new(Slot::<usize, ()>::new(()));
            let spawner = slot.clone();
            let giver = loom::thread::spawn(move || spawner.give(7).is_ok());
            let stale = slot.take();
            assert!(giver.join().unwrap());
            // The spawner's wake-up: the carrier's next poll.
            let woken = slot.take();
            assert_eq!(stale.into_iter().chain(woken).collect::<Vec<_>>(), [7]);
            assert_eq!(slot.take(), None);
        });
    }
}
