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

use std::any::Any;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;

use std::task::{Context, Poll, Waker};
use tokio::runtime::Handle;

use pin_project_lite::pin_project;

use super::carriers::{CarrierSlot, Carriers, Idle, Owner, BATCH, LOCAL_MAX};
use super::context::{self, Home};
use super::hosted::{Goroutine, Hosted, BOX, JOIN};
use super::panic;
use super::poll::Identified;
use super::status::{kind, Status, Who, Word};
use crate::goroutine::id::GoroutineId;
use crate::goroutine::join::{Join, JoinError};
use crate::goroutine::site::Running;
use crate::util::block::{Block, Kept};
use crate::util::pair::Pair;

/// Starts `future` as goroutine `id` on the calling thread's goro runtime
/// (the caller checked that it is one, inside its Tokio context).
pub(crate) fn spawn<F>(future: F, id: GoroutineId) -> Pair<Join<F::Output>>
where
    F: Future + Identified + Send + 'static,
    F::Output: Send + 'static,
{
    let who = Who {
        id,
        parent: context::current(),
        spawned_at: future.running().spawned_at,
        name: future.name(),
    };
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
            handle,
            stripe,
            idle,
            ..
        } = home;
        let carriers = carriers
            .as_ref()
            .expect("hosting::spawn on a goro runtime's thread");
        // `Home::count`, knowing this is the thread's own runtime.
        match stripe {
            Some(stripe) => stripe.started(),
            None => carriers.count_shared(true, 1),
        }
        loop {
            let Some(next) = idle.pop() else {
                match carriers.take_spare() {
                    Some(batch) => {
                        *idle = batch;
                        continue;
                    }
                    None => return Err((carriers.clone(), handle.clone())),
                }
            };
            let goroutine = match boxed.take() {
                Some(goroutine) => goroutine,
                None => {
                    let future = future.take().expect("made once");
                    let (handle, goroutine) = make(future, id, next.slot.take_kept());
                    join = Some(handle);
                    goroutine
                }
            };
            next.slot
                .owner()
                .status
                .arrive(&who, RUNNABLE, context::now());
            match next.slot.give(goroutine) {
                Ok(()) => return Ok(next.waker),
                // Its runtime is shutting down: try the next.
                Err(back) => boxed = Some(back),
            }
        }
    });
    let (carriers, handle) = match handed {
        Some(Ok(waker)) => {
            waker.wake();
            return join.expect("made for the carrier");
        }
        Some(Err(home)) => home,
        None => {
            let carriers = Carriers::new();
            carriers.count_shared(true, 1);
            (carriers, None)
        }
    };
    let (join, goroutine) = match (join, boxed) {
        (Some(join), Some(goroutine)) => (join, goroutine),
        _ => make(future.expect("made once"), id, Kept::default()),
    };
    start(goroutine, who, carriers, handle);
    join
}

/// Starts a new carrier hosting `goroutine`, on the runtime of `handle`
/// (the thread's goro runtime, even inside another runtime's
/// `Handle::enter`), or the current one for a thread being torn down.
#[cold]
#[inline(never)]
fn start(goroutine: Goroutine, who: Who, carriers: Arc<Carriers>, handle: Option<Handle>) {
    carriers.carrier_started();
    let slot = Arc::new(CarrierSlot::new(Owner {
        carriers: carriers.clone(),
        status: Status::default(),
    }));
    // In place: a named goroutine's name is found by its status's address.
    slot.owner().status.arrive(&who, RUNNABLE, context::now());
    carriers.register(&slot);
    let carrier = Carrier {
        slot,
        current: Some(goroutine),
    };
    spawn_carrier(carrier, handle.as_ref());
}

/// Spawns a carrier task on the runtime of `handle`, or the current one.
#[cfg(not(all(tokio_unstable, feature = "trace")))]
fn spawn_carrier(carrier: Carrier, handle: Option<&Handle>) {
    match handle {
        Some(handle) => drop(handle.spawn(carrier)),
        None => drop(tokio::spawn(carrier)),
    }
}

/// Spawns a carrier task on the runtime of `handle`, or the current one,
/// named `goro carrier` for Tokio's instrumentation (tokio-console shows
/// carriers beside the goroutines they host).
#[cfg(all(tokio_unstable, feature = "trace"))]
fn spawn_carrier(carrier: Carrier, handle: Option<&Handle>) {
    let builder = tokio::task::Builder::new().name("goro carrier");
    let spawned = match handle {
        Some(handle) => builder.spawn_on(carrier, handle),
        None => builder.spawn(carrier),
    };
    drop(spawned.expect("Tokio's task builder spawns on a running runtime"));
}

/// A carrier task's future.
struct Carrier {
    slot: Arc<CarrierSlot>,
    current: Option<Goroutine>,
}

impl Carrier {
    fn carriers(&self) -> &Arc<Carriers> {
        &self.slot.owner().carriers
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
        let status = &this.slot.owner().status;
        let polling = context::Polling::enter(status);
        let ended = match catch_unwind(AssertUnwindSafe(|| hosted.as_mut().run(cx))) {
            Err(payload) => {
                this.carriers().panicked();
                Some(payload)
            }
            Ok(Poll::Pending) => {
                drop(polling);
                status.pending(context::now);
                return Poll::Pending;
            }
            Ok(Poll::Ready(())) => None,
        };
        drop(polling);
        status.leave();
        let mut hosted = this.current.take().expect("hosting a goroutine");
        if let Some(payload) = ended {
            hosted.as_mut().panicked(payload);
        }
        // Counted as ended before its handle hears of it.
        context::count_ended(this.carriers(), 1);
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
        self.slot.owner().status.leave();
        let ended = usize::from(current.is_some()) + usize::from(handed.is_some());
        if ended > 0 {
            context::count_ended(self.carriers(), ended as u64);
        }
        drop(current);
        drop(handed);
    }
}

/// Makes goroutine `id`, in `kept` memory where it fits: its handle's share
/// of its `Join`, and its box.
fn make<F>(future: F, id: GoroutineId, mut kept: Kept) -> (Pair<Join<F::Output>>, Goroutine)
where
    F: Future + Identified + Send + 'static,
    F::Output: Send + 'static,
{
    // Two handles, counted at once: the goroutine's end and its handle's.
    let (join, end) = Pair::new_with(Join::new(id), |inner| kept.boxed(JOIN, inner));
    let hosting = Hosting {
        future: Some(future),
        waited: false,
        end: Ending {
            join: Some(end),
            result: None,
        },
    };
    (join, Box::into_pin(kept.boxed(BOX, hosting)))
}

pin_project! {
    /// A goroutine's future and its end. `Hosted::end` drops the future,
    /// then gives the handle the result. Dropped without that (the runtime
    /// shuts down, or the future's drop panicked), the fields drop in the
    /// same order: the future, then `end`, which gives the handle the
    /// result or says "cancelled".
    struct Hosting<F: Future> {
        // `None` once ended (`Hosted::end`).
        #[pin]
        future: Option<F>,
        // Whether the goroutine waited already (its `Join` has the
        // carrier's waker): the carrier's own note, so that later waits
        // need not look at the `Join`.
        waited: bool,
        end: Ending<F::Output>,
    }
}

impl<F> Hosted for Hosting<F>
where
    F: Future + Identified + Send,
    F::Output: Send,
{
    fn run(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        let (Some(future), Some(join)) = (this.future.as_pin_mut(), &this.end.join) else {
            return Poll::Ready(());
        };
        if join.is_aborted() {
            return Poll::Ready(());
        }
        match future.poll(cx) {
            Poll::Ready(output) => {
                if join.id == GoroutineId::MAIN {
                    // Nothing of the program runs after main: the other
                    // goroutines stop here, before `run` returns.
                    context::main_returned();
                }
                this.end.result = Some(Ok(output));
                Poll::Ready(())
            }
            Poll::Pending => {
                if !*this.waited {
                    *this.waited = true;
                    join.park(cx.waker());
                }
                Poll::Pending
            }
        }
    }

    fn panicked(self: Pin<&mut Self>, payload: Box<dyn Any + Send>) {
        let end = self.project().end;
        if let Some(join) = &end.join {
            end.result = Some(Err(JoinError::panicked(join.id, payload)));
        }
    }

    fn end(self: Pin<&mut Self>) -> Option<Block> {
        let mut this = self.project();
        let running = this.future.as_ref().get_ref().as_ref().map(F::running);
        this.future.set(None);
        // The output, if its handle is gone, is dropped here: as part of
        // the goroutine, so that a panic in its destructor follows the
        // panic policy as one in the future's would.
        let _dropping = running.map(Dropping::enter);
        this.end.finish()
    }
}

/// Marks the thread as dropping goroutine `running`'s values until dropped
/// (also when a destructor unwinds).
struct Dropping;

impl Dropping {
    fn enter(running: Running) -> Dropping {
        context::enter_drop(running);
        Dropping
    }
}

impl Drop for Dropping {
    fn drop(&mut self) {
        context::leave_drop();
    }
}

/// Gives the handle the goroutine's result when finished or dropped
/// (after its future), or says "cancelled" if there is none.
struct Ending<T> {
    /// `None` once finished.
    join: Option<Pair<Join<T>>>,
    result: Option<Result<T, JoinError>>,
}

impl<T> Ending<T> {
    /// Tells the handle, once; returns the `Join`'s memory if the handle
    /// was dropped.
    fn finish(&mut self) -> Option<Block> {
        let join = self.join.take()?;
        let result = self
            .result
            .take()
            .unwrap_or_else(|| Err(JoinError::cancelled(join.id)));
        Join::finish(join, result)
    }
}

impl<T> Drop for Ending<T> {
    fn drop(&mut self) {
        drop(self.finish());
    }
}

/// A goroutine handed over, not polled yet.
const RUNNABLE: Word = Word::of(kind::RUNNABLE);
