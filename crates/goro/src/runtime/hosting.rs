//! Goroutines hosted by reusable carrier tasks, as Go reuses a finished
//! goroutine instead of freeing it.
//!
//! On a goro runtime a goroutine is not a Tokio task of its own. It is a
//! boxed future (`hosted::Goroutine`) run by a *carrier*: a Tokio task that
//! polls one goroutine at a time and, when that goroutine ends, parks itself
//! on its thread's list of idle carriers instead of ending. Starting a
//! goroutine takes an idle carrier from the spawning thread's list (or a
//! batch from the runtime's spare list), hands it the goroutine through the
//! carrier's slot and wakes it; only when there is none does it spawn a new
//! carrier with `tokio::spawn`. A Tokio task costs an allocation and two
//! passes through the runtime's owned-task list; waking an idle carrier
//! costs neither (`docs/decisions/carriers.md`).
//!
//! The carrier's waker is the goroutine's waker while it hosts it, so a
//! goroutine's wake-ups are Tokio's own (LIFO slot included). Wake-ups that
//! arrive after a goroutine ended (its old waker, kept somewhere) find the
//! carrier idle or hosting another goroutine: a spurious poll, which futures
//! allow.
//!
//! A goroutine's result goes through its `Join`, shared with the
//! `JoinHandle`. A goroutine ends when its future completes, panics (under
//! `Panic::Isolate`; under `Panic::Exit` the process ends first), is
//! aborted, or is dropped with its carrier when the runtime shuts down; in
//! every case the handle resolves.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use super::carriers::{CarrierSlot, Carriers, Idle, BATCH, LOCAL_MAX};
use super::context::{self, Home};
use super::hosted::{self, Goroutine, BOX, JOIN};
use super::panic;
use crate::goroutine::id::GoroutineId;
use crate::goroutine::join::Join;
use crate::util::block::{Block, Kept};
use crate::util::pair::Pair;

/// Starts `future` as goroutine `id` on the calling thread's goro runtime
/// (the caller checked that it is one, inside its Tokio context).
pub(crate) fn spawn<F>(future: F, id: GoroutineId) -> Pair<Join<F::Output>>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let mut future = Some(future);
    // Made in the memory the first idle carrier kept, if any: its handle's
    // share of its `Join`, and its box (given back by a dead carrier).
    let mut join = None;
    let mut boxed: Option<Goroutine> = None;
    // A thread being torn down has no home: a carrier of its own, counted
    // nowhere, still runs the goroutine.
    let handed = context::with_home(|home| {
        home.settle_ended();
        let Home {
            carriers,
            stripe,
            idle,
            ..
        } = home;
        let carriers = carriers
            .as_ref()
            .expect("hosting::spawn on a goro runtime's thread");
        // `Home::count`, knowing this is the thread's own runtime.
        match stripe {
            Some(stripe) => stripe.add(1),
            None => carriers.count_shared(1),
        }
        loop {
            let Some(next) = idle.pop() else {
                match carriers.take_spare() {
                    Some(batch) => {
                        *idle = batch;
                        continue;
                    }
                    None => return Err(carriers.clone()),
                }
            };
            let goroutine = match boxed.take() {
                Some(goroutine) => goroutine,
                None => {
                    let future = future.take().expect("made once");
                    let (handle, goroutine) = hosted::make(future, id, next.slot.take_kept());
                    join = Some(handle);
                    goroutine
                }
            };
            match next.slot.give(goroutine) {
                Ok(()) => return Ok(next.waker),
                // Its runtime is shutting down: try the next.
                Err(back) => boxed = Some(back),
            }
        }
    });
    let carriers = match handed {
        Some(Ok(waker)) => {
            waker.wake();
            return join.expect("made for the carrier");
        }
        Some(Err(carriers)) => carriers,
        None => {
            let carriers = Carriers::new();
            carriers.count_shared(1);
            carriers
        }
    };
    let (join, goroutine) = match (join, boxed) {
        (Some(join), Some(goroutine)) => (join, goroutine),
        _ => hosted::make(future.expect("made once"), id, Kept::default()),
    };
    start(goroutine, carriers);
    join
}

/// Starts a new carrier hosting `goroutine`.
#[cold]
#[inline(never)]
fn start(goroutine: Goroutine, carriers: Arc<Carriers>) {
    carriers.carrier_started();
    tokio::spawn(Carrier {
        slot: Arc::new(CarrierSlot::new(carriers)),
        current: Some(goroutine),
    });
}

/// A carrier task's future.
struct Carrier {
    slot: Arc<CarrierSlot>,
    current: Option<Goroutine>,
}

impl Carrier {
    fn carriers(&self) -> &Arc<Carriers> {
        self.slot.owner()
    }
}

impl Future for Carrier {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        let hosted = match &mut this.current {
            Some(hosted) => hosted,
            None => match this.slot.take() {
                Some(hosted) => this.current.insert(hosted),
                // Idle: an old waker of a goroutine that ended.
                None => return Poll::Pending,
            },
        };
        let ended = match catch_unwind(AssertUnwindSafe(|| hosted.as_mut().run(cx))) {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(())) => None,
            Err(payload) => Some(payload),
        };
        let mut hosted = this.current.take().expect("hosting a goroutine");
        if let Some(payload) = ended {
            hosted.as_mut().panicked(payload);
        }
        // Counted as ended before its handle hears of it.
        context::count(this.carriers(), -1);
        // Dropping its future may panic too: under `Panic::Exit` that ends
        // the process as the goroutine's panic; otherwise this carrier ends
        // (Tokio catches it) and the goroutine's handle hears of the end as
        // the box is dropped.
        let join = match catch_unwind(AssertUnwindSafe(|| hosted.as_mut().end())) {
            Ok(join) => {
                panic::dropped_normally();
                join
            }
            Err(payload) => panic::drop_panicked(payload),
        };
        // SAFETY: the box's value is dropped in place, never moved; only
        // its memory is used again, which `Pin` allows.
        #[allow(unsafe_code)]
        let goroutine = Block::keep(unsafe { Pin::into_inner_unchecked(hosted) });
        if this.park(cx.waker(), goroutine, join) {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    }
}

impl Carrier {
    /// Puts this carrier on the thread's idle list; `false` if the lists
    /// are full, or the thread is not of this carrier's runtime (the
    /// carrier then ends).
    fn park(&self, waker: &Waker, goroutine: Option<Block>, join: Option<Block>) -> bool {
        context::with_home(|home| {
            if !home.is_home_of(self.carriers()) {
                return false;
            }
            home.settle_ended();
            if home.idle.len() >= LOCAL_MAX
                && !self
                    .carriers()
                    .give_spare(|| home.idle.drain(..BATCH).collect())
            {
                return false;
            }
            self.slot.keep([(BOX, goroutine), (JOIN, join)]);
            home.idle.push(Idle {
                waker: waker.clone(),
                slot: self.slot.clone(),
            });
            true
        })
        .unwrap_or(false)
    }
}

impl Drop for Carrier {
    fn drop(&mut self) {
        // Tokio still counts this carrier's task until it is done with it,
        // after this drop: so do the carriers, until this thread runs
        // anything else (`Home::settle_ended`), else `num_goroutine` could
        // take the task for a Tokio task that is not a carrier.
        let deferred = context::try_with_home(|home| {
            let ours = home.is_home_of(self.carriers());
            if ours {
                home.ended += 1;
            }
            ours
        })
        .unwrap_or(false);
        if !deferred {
            self.carriers().carriers_ended(1);
        }
        // The runtime shuts down (or this carrier ends): the goroutine it
        // hosts, and one handed to it meanwhile, are cancelled.
        // Counted as ended before their handles hear of it.
        let current = self.current.take();
        let handed = self.slot.kill();
        let ended = usize::from(current.is_some()) + usize::from(handed.is_some());
        if ended > 0 {
            context::count(self.carriers(), -(ended as isize));
        }
        drop(current);
        drop(handed);
    }
}
