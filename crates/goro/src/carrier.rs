//! Goroutines hosted by reusable carrier tasks, as Go reuses a finished
//! goroutine instead of freeing it.
//!
//! On a goro runtime a goroutine is not a Tokio task of its own. It is a
//! boxed future (its [`Hosting`]) run by a *carrier*: a Tokio task that
//! polls one goroutine at a time and, when that goroutine ends, parks itself
//! on its worker's list of idle carriers instead of ending. Starting a
//! goroutine takes an idle carrier from the spawning thread's list (or a
//! batch from the runtime's spare list), hands it the goroutine and wakes it;
//! only when there is none does it spawn a new carrier with `tokio::spawn`.
//!
//! Why: a Tokio task costs, beyond the goroutine's own work, an allocation
//! aligned to 128 bytes (which glibc's malloc serves under its arena lock),
//! and a lock and unlock of the runtime's owned-task list when it starts and
//! again when it ends. Waking an idle carrier costs neither.
//!
//! The carrier's waker is the goroutine's waker while it hosts it, so a
//! goroutine's wake-ups are Tokio's own (LIFO slot included). Wake-ups that
//! arrive after a goroutine ended (its old waker, kept somewhere) find the
//! carrier idle or hosting another goroutine: a spurious poll, which futures
//! allow.
//!
//! A goroutine's result goes through its [`Join`], shared with the
//! [`JoinHandle`](crate::JoinHandle). A goroutine ends when its future
//! completes, panics (under `Panic::Isolate`; under `Panic::Exit` the
//! process ends first), is aborted, or is dropped with its carrier when the
//! runtime shuts down; in every case the handle resolves.

#![allow(unsafe_code)]

use std::any::Any;
use std::cell::RefCell;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicIsize, AtomicUsize};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use pin_project_lite::pin_project;

use crate::chan::pair::Pair;
use crate::id::GoroutineId;
use crate::join::JoinError;
use crate::loom::{AtomicU8, Ordering, UnsafeCell};

/// Idle carriers a worker keeps for itself; beyond that it moves half to
/// the runtime's spare list.
const LOCAL_MAX: usize = 64;
/// Idle carriers moved between a worker and the spare list at once.
const BATCH: usize = LOCAL_MAX / 2;
/// Batches the spare list keeps; carriers beyond it end.
const SPARE_BATCHES: usize = 64;

/// A goro runtime's carriers: the spare idle ones, and the counts behind
/// `num_goroutine`.
#[derive(Default)]
pub(crate) struct Carriers {
    spare: Mutex<Vec<Vec<Idle>>>,
    /// Goroutines started and not yet ended: the sum of the threads'
    /// stripes (each written only by its thread, so no two workers share a
    /// contended counter) and of this, for threads without one.
    hosted: AtomicIsize,
    stripes: Mutex<Vec<Arc<Stripe>>>,
    /// Carrier tasks alive (idle or not): Tokio counts them as tasks.
    carriers: AtomicUsize,
}

impl Carriers {
    pub(crate) fn new() -> Arc<Carriers> {
        Arc::new(Carriers::default())
    }

    /// Goroutines of this runtime alive now, not counting the main one:
    /// hosted ones, and Tokio tasks that are not carriers (spawned on the
    /// runtime by other means).
    pub(crate) fn goroutines(&self, tokio_tasks: usize) -> usize {
        let hosted = {
            // Under the lock, so that a thread's stripe is counted once
            // even while it retires (`retire`).
            let stripes = self.stripes();
            let striped: isize = stripes
                .iter()
                .map(|stripe| stripe.0.load(Ordering::Relaxed))
                .sum();
            self.hosted.load(Ordering::Relaxed) + striped
        };
        let hosted = usize::try_from(hosted).unwrap_or(0);
        let carriers = self.carriers.load(Ordering::Relaxed);
        hosted + tokio_tasks.saturating_sub(carriers)
    }

    /// At the runtime's end: drops the spare idle carriers, whose slots
    /// point back here.
    pub(crate) fn forget_idle(&self) {
        let spare = std::mem::take(&mut *self.spare());
        drop(spare);
    }

    fn stripes(&self) -> MutexGuard<'_, Vec<Arc<Stripe>>> {
        self.stripes.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A thread leaves the runtime (a blocking-pool thread ends after a
    /// while idle): its stripe's count moves to the shared counter, so that
    /// the stripes do not pile up.
    fn retire(&self, stripe: &Arc<Stripe>) {
        let mut stripes = self.stripes();
        self.hosted
            .fetch_add(stripe.0.load(Ordering::Relaxed), Ordering::Relaxed);
        stripes.retain(|s| !Arc::ptr_eq(s, stripe));
    }

    fn spare(&self) -> MutexGuard<'_, Vec<Vec<Idle>>> {
        self.spare.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

type Goroutine = Pin<Box<dyn Hosted>>;

/// One thread's share of a runtime's count of hosted goroutines; on a cache
/// line of its own.
#[derive(Default)]
#[repr(align(128))]
struct Stripe(AtomicIsize);

impl Stripe {
    /// Only the stripe's own thread calls it.
    fn add(&self, delta: isize) {
        let count = self.0.load(Ordering::Relaxed);
        self.0.store(count + delta, Ordering::Relaxed);
    }
}

/// Goroutine boxes up to this size are kept by their carrier for the next
/// goroutine; bigger ones are freed.
const KEEP_MAX: usize = 256;

/// The memory of a goroutine's box whose value was dropped: Go reuses a
/// finished goroutine, and glibc's malloc pays for a box made on one worker
/// and freed on another. Reused for the next goroutine of the same layout
/// (the same future type, the common case of a loop of `go!`); freed
/// otherwise.
struct Block {
    ptr: std::ptr::NonNull<u8>,
    layout: std::alloc::Layout,
}

// SAFETY: a `Block` is plain memory that nothing else points to.
unsafe impl Send for Block {}

impl Drop for Block {
    fn drop(&mut self) {
        // SAFETY: `ptr` was allocated by the global allocator with `layout`
        // (for a `Box`), and its value was dropped.
        unsafe { std::alloc::dealloc(self.ptr.as_ptr(), self.layout) }
    }
}

impl Block {
    /// Drops `goroutine`'s value in place and keeps its memory, if small.
    fn keep(goroutine: Goroutine) -> Option<Block> {
        let layout = std::alloc::Layout::for_value::<dyn Hosted>(&*goroutine);
        if layout.size() > KEEP_MAX {
            drop(goroutine);
            return None;
        }
        // SAFETY: the value is dropped in place and never moved; only its
        // memory is used again, which `Pin` allows once the value is dropped.
        let raw = Box::into_raw(unsafe { Pin::into_inner_unchecked(goroutine) });
        // A panic here leaks the memory (it is not kept).
        // SAFETY: `raw` is a valid, owned value, dropped once.
        unsafe { std::ptr::drop_in_place(raw) };
        let ptr = std::ptr::NonNull::new(raw.cast::<u8>()).expect("a box is never null");
        Some(Block { ptr, layout })
    }

    /// Boxes `hosting` in this memory if the layouts match, else in a new
    /// box (this memory is freed).
    fn reuse<F>(block: Option<Block>, hosting: Hosting<F>) -> Goroutine
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let layout = std::alloc::Layout::new::<Hosting<F>>();
        match block {
            Some(block) if block.layout == layout => {
                let ptr = block.ptr.cast::<Hosting<F>>().as_ptr();
                std::mem::forget(block);
                // SAFETY: the memory was allocated by the global allocator
                // with this layout, for a box, and holds no value; writing
                // the value and taking the box back is what `Box::new`
                // does.
                unsafe {
                    ptr.write(hosting);
                    Pin::new_unchecked(Box::from_raw(ptr))
                }
            }
            _ => Box::pin(hosting),
        }
    }
}

/// An idle carrier: its waker, and the slot to put a goroutine in.
struct Idle {
    waker: Waker,
    slot: Arc<Slot>,
}

const EMPTY: u8 = 0;
const FULL: u8 = 1;
/// The carrier was dropped (its runtime shut down).
const DEAD: u8 = 2;

/// Where a goroutine (`G`) is handed to an idle carrier.
///
/// Only one spawner at a time can hold a carrier's `Idle` (it popped it
/// from a list), and only that spawner writes `goroutine`, while `state`
/// is `EMPTY`; the carrier reads it only after it saw `FULL`. The carrier
/// is dropped (`kill`) only when no poll of it runs. Model-checked below
/// (`loom_tests`).
struct Slot<G = Goroutine> {
    state: AtomicU8,
    goroutine: UnsafeCell<Option<G>>,
    /// The memory of the carrier's last goroutine, kept for the next one
    /// (`Block`). Accessed like `goroutine` while `EMPTY`: by the carrier
    /// before it goes on an idle list, by the spawner that took it off.
    block: UnsafeCell<Option<Block>>,
    /// The carrier's runtime (here rather than in `Carrier`, whose future
    /// then fits Tokio's smallest task cell).
    carriers: Arc<Carriers>,
}

// SAFETY: `goroutine` is accessed by one thread at a time, as the protocol
// above says, and what it holds is `Send`.
unsafe impl<G: Send> Sync for Slot<G> {}

impl<G> Slot<G> {
    fn new(carriers: Arc<Carriers>) -> Slot<G> {
        Slot {
            state: AtomicU8::new(EMPTY),
            goroutine: UnsafeCell::new(None),
            block: UnsafeCell::new(None),
            carriers,
        }
    }

    /// Hands `goroutine` over; gives it back if the carrier is dead.
    /// Call only holding the carrier's `Idle`.
    fn give(&self, goroutine: G) -> Result<(), G> {
        // SAFETY: we hold the `Idle`, so the state is `EMPTY` or `DEAD`,
        // and in neither does anyone else touch the cell.
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
    fn take(&self) -> Option<G> {
        if self.state.load(Ordering::Acquire) != FULL {
            return None;
        }
        // SAFETY: `FULL`: the spawner is done with the cell, and only the
        // carrier (which is polling now) touches it until it stores `EMPTY`.
        let goroutine = self.goroutine.with_mut(|cell| unsafe { (*cell).take() });
        self.state.store(EMPTY, Ordering::Relaxed);
        goroutine
    }

    /// Takes the kept memory. Call only holding the carrier's `Idle`.
    fn take_block(&self) -> Option<Block> {
        // SAFETY: holding the `Idle`, the spawner has the slot to itself
        // (the carrier stored the block before it listed itself).
        self.block.with_mut(|block| unsafe { (*block).take() })
    }

    /// Keeps `block` for the next goroutine. Called by the carrier before
    /// it puts itself on an idle list.
    fn keep_block(&self, block: Block) {
        // SAFETY: the carrier is on no list, so no spawner can reach the
        // slot, and the last spawner that did is done with it (it gave a
        // goroutine, which the carrier took after seeing `FULL`).
        self.block.with_mut(|kept| unsafe { *kept = Some(block) });
    }

    /// Marks the carrier dead; returns a goroutine handed over meanwhile.
    /// Called by the carrier's drop.
    fn kill(&self) -> Option<G> {
        if self.state.swap(DEAD, Ordering::Acquire) == FULL {
            // SAFETY: it was `FULL`: as in `take`.
            self.goroutine.with_mut(|cell| unsafe { (*cell).take() })
        } else {
            None
        }
    }
}

thread_local! {
    /// The runtime this thread belongs to, and the idle carriers it keeps.
    static HOME: RefCell<Home> = const {
        RefCell::new(Home {
            carriers: None,
            stripe: None,
            idle: Vec::new(),
        })
    };
}

struct Home {
    carriers: Option<Arc<Carriers>>,
    stripe: Option<Arc<Stripe>>,
    idle: Vec<Idle>,
}

impl Home {
    /// Counts goroutines of `carriers` started (1) or ended (-1) here.
    fn count(&self, carriers: &Arc<Carriers>, delta: isize) {
        match (&self.carriers, &self.stripe) {
            (Some(home), Some(stripe)) if Arc::ptr_eq(home, carriers) => stripe.add(delta),
            _ => count_elsewhere(carriers, delta),
        }
    }
}

/// Counts goroutines of `carriers` started (1) or ended (-1) on the calling
/// thread.
fn count(carriers: &Arc<Carriers>, delta: isize) {
    if HOME
        .try_with(|home| match home.try_borrow() {
            Ok(home) => home.count(carriers, delta),
            Err(_) => count_elsewhere(carriers, delta),
        })
        .is_err()
    {
        count_elsewhere(carriers, delta);
    }
}

/// Counts on a thread that is not one of `carriers`' runtime.
fn count_elsewhere(carriers: &Carriers, delta: isize) {
    carriers.hosted.fetch_add(delta, Ordering::Relaxed);
}

/// Makes `carriers` the calling thread's runtime (a worker or blocking
/// thread at its start, or `run`'s thread); returns the previous one.
pub(crate) fn set_home(carriers: Option<Arc<Carriers>>) -> Option<Arc<Carriers>> {
    HOME.with(|home| {
        let mut home = home.borrow_mut();
        // Idle carriers of another runtime are of no use here.
        let idle = std::mem::take(&mut home.idle);
        if let Some(stripe) = home.stripe.take() {
            if let Some(prev) = &home.carriers {
                prev.retire(&stripe);
            }
        }
        home.stripe = carriers.as_ref().map(|carriers| {
            let stripe = Arc::new(Stripe::default());
            carriers.stripes().push(stripe.clone());
            stripe
        });
        let prev = std::mem::replace(&mut home.carriers, carriers);
        drop(home);
        drop(idle);
        prev
    })
}

/// The calling thread's runtime's carriers, if it is a goro thread.
pub(crate) fn home() -> Option<Arc<Carriers>> {
    HOME.with(|home| home.borrow().carriers.clone())
}

/// Starts `future` as goroutine `id` on the calling thread's goro runtime
/// (the caller checked that it is one, inside its Tokio context).
pub(crate) fn spawn<F>(future: F, id: GoroutineId) -> Pair<Join<F::Output>>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    // Two handles, counted at once: the goroutine's end and its handle's.
    let (join, end) = Pair::new(Join::new(id));
    let mut hosting = Some(Hosting {
        future,
        waited: false,
        end: Ending {
            join: end,
            result: None,
        },
    });
    let mut boxed: Option<Goroutine> = None;
    // A thread being torn down has no home: a carrier of its own, counted
    // nowhere, still runs the goroutine.
    let handed = HOME.try_with(|home| {
        let mut home = home.borrow_mut();
        let Home {
            carriers,
            stripe,
            idle,
        } = &mut *home;
        let carriers = carriers
            .as_ref()
            .expect("carrier::spawn on a goro runtime's thread");
        match stripe {
            Some(stripe) => stripe.add(1),
            None => count_elsewhere(carriers, 1),
        }
        loop {
            let Some(next) = idle.pop() else {
                match carriers.spare().pop() {
                    Some(batch) => {
                        *idle = batch;
                        continue;
                    }
                    None => return Err(carriers.clone()),
                }
            };
            let goroutine = match boxed.take() {
                Some(goroutine) => goroutine,
                None => Block::reuse(
                    next.slot.take_block(),
                    hosting.take().expect("not boxed yet"),
                ),
            };
            match next.slot.give(goroutine) {
                Ok(()) => return Ok(next.waker),
                // Its runtime is shutting down: try the next.
                Err(back) => boxed = Some(back),
            }
        }
    });
    let hosted = boxed.or_else(|| hosting.map(|hosting| Box::pin(hosting) as Goroutine));
    match handed {
        Ok(Ok(waker)) => waker.wake(),
        Ok(Err(carriers)) => start(hosted, carriers),
        Err(_) => {
            let carriers = Carriers::new();
            count_elsewhere(&carriers, 1);
            start(hosted, carriers)
        }
    }
    join
}

/// Starts a new carrier hosting `hosted`.
#[cold]
#[inline(never)]
fn start(hosted: Option<Goroutine>, carriers: Arc<Carriers>) {
    carriers.carriers.fetch_add(1, Ordering::Relaxed);
    tokio::spawn(Carrier {
        slot: Arc::new(Slot::new(carriers)),
        current: hosted,
    });
}

/// A carrier task's future.
struct Carrier {
    slot: Arc<Slot>,
    current: Option<Goroutine>,
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
        count(&this.slot.carriers, -1);
        // Dropping its future may panic too; then this carrier ends (Tokio
        // catches it) and the goroutine's handle says it was cancelled.
        let block = Block::keep(hosted);
        if this.park(cx.waker(), block) {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    }
}

impl Carrier {
    /// Puts this carrier on the thread's idle list; `false` if the lists
    /// are full (the carrier then ends).
    fn park(&self, waker: &Waker, block: Option<Block>) -> bool {
        HOME.with(|home| {
            let mut home = home.borrow_mut();
            match &home.carriers {
                Some(carriers) if Arc::ptr_eq(carriers, &self.slot.carriers) => {}
                _ => return false,
            }
            if home.idle.len() >= LOCAL_MAX {
                let mut spare = self.slot.carriers.spare();
                if spare.len() >= SPARE_BATCHES {
                    return false;
                }
                spare.push(home.idle.drain(..BATCH).collect());
            }
            if let Some(block) = block {
                self.slot.keep_block(block);
            }
            home.idle.push(Idle {
                waker: waker.clone(),
                slot: self.slot.clone(),
            });
            true
        })
    }
}

impl Drop for Carrier {
    fn drop(&mut self) {
        self.slot.carriers.carriers.fetch_sub(1, Ordering::Relaxed);
        // The runtime shuts down (or this carrier ends): the goroutine it
        // hosts, and one handed to it meanwhile, are cancelled.
        // Counted as ended before their handles hear of it.
        let current = self.current.take();
        let handed = self.slot.kill();
        let ended = usize::from(current.is_some()) + usize::from(handed.is_some());
        if ended > 0 {
            count(&self.slot.carriers, -(ended as isize));
        }
        drop(current);
        drop(handed);
    }
}

/// A goroutine as a carrier sees it.
trait Hosted: Send {
    /// Polls the goroutine; `Ready` once it is over: it completed (its
    /// output is kept for its handle) or was aborted. Its handle hears of
    /// it when the carrier drops it, after its future: dropping the future
    /// may be what others wait for (a `WaitGroup` member, a channel's last
    /// sender), as with Tokio's tasks.
    fn run(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()>;
    /// Its poll panicked with `payload`.
    fn panicked(self: Pin<&mut Self>, payload: Box<dyn Any + Send>);
}

pin_project! {
    /// A goroutine's future and its end. Fields drop in order: the future,
    /// then `end`, which gives the handle the result (or says "cancelled").
    struct Hosting<F: Future> {
        #[pin]
        future: F,
        // Whether the goroutine waited already (its `Join` has the
        // carrier's waker): the carrier's own note, so that later waits
        // need not look at the `Join`.
        waited: bool,
        end: Ending<F::Output>,
    }
}

impl<F> Hosted for Hosting<F>
where
    F: Future + Send,
    F::Output: Send,
{
    fn run(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        let join = &this.end.join;
        if join.aborted() {
            return Poll::Ready(());
        }
        match this.future.poll(cx) {
            Poll::Ready(output) => {
                this.end.result = Some(Ok(output));
                Poll::Ready(())
            }
            Poll::Pending => {
                if !*this.waited {
                    *this.waited = true;
                    join.parked(cx.waker());
                }
                Poll::Pending
            }
        }
    }

    fn panicked(self: Pin<&mut Self>, payload: Box<dyn Any + Send>) {
        let end = self.project().end;
        end.result = Some(Err(JoinError::panicked(end.join.id, payload)));
    }
}

/// Gives the handle the goroutine's result when dropped (after its
/// future), or says "cancelled" if there is none.
struct Ending<T> {
    join: Pair<Join<T>>,
    result: Option<Result<T, JoinError>>,
}

impl<T> Drop for Ending<T> {
    fn drop(&mut self) {
        let id = self.join.id;
        let result = self
            .result
            .take()
            .unwrap_or_else(|| Err(JoinError::cancelled(id)));
        Join::finish(&self.join, result);
    }
}

const FINISHED: u8 = 1;
const ABORTED: u8 = 2;
/// The carrier's waker is in `JoinState::carrier` (for `abort`).
const PARKED: u8 = 4;

/// A hosted goroutine's result, shared with its handle.
pub(crate) struct Join<T> {
    pub(crate) id: GoroutineId,
    state: AtomicU8,
    inner: crate::loom::Mutex<JoinState<T>>,
}

struct JoinState<T> {
    result: Option<Result<T, JoinError>>,
    /// Whoever awaits the handle.
    waiter: Option<Waker>,
    /// The carrier, once the goroutine waited: `abort` wakes it.
    carrier: Option<Waker>,
}

impl<T> Join<T> {
    fn new(id: GoroutineId) -> Join<T> {
        Join {
            id,
            state: AtomicU8::new(0),
            inner: crate::loom::Mutex::new(JoinState {
                result: None,
                waiter: None,
                carrier: None,
            }),
        }
    }

    fn lock(&self) -> crate::loom::MutexGuard<'_, JoinState<T>> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn is_finished(&self) -> bool {
        self.state.load(Ordering::Acquire) & FINISHED != 0
    }

    fn aborted(&self) -> bool {
        self.state.load(Ordering::Acquire) & ABORTED != 0
    }

    fn finish(this: &Pair<Self>, result: Result<T, JoinError>) {
        if Pair::is_last(this) {
            // Nobody holds the handle, nor can again: nobody to tell.
            return;
        }
        let waiter = {
            let mut inner = this.lock();
            inner.result = Some(result);
            inner.carrier = None;
            this.state.fetch_or(FINISHED, Ordering::Release);
            inner.waiter.take()
        };
        if let Some(waiter) = waiter {
            waiter.wake();
        }
    }

    /// The goroutine waits: the first time, keep the carrier's waker for
    /// `abort`.
    #[cold]
    fn parked(&self, waker: &Waker) {
        self.lock().carrier = Some(waker.clone());
        // After the store: an `abort` that missed the waker is seen here.
        if self.state.fetch_or(PARKED, Ordering::AcqRel) & ABORTED != 0 {
            waker.wake_by_ref();
        }
    }

    pub(crate) fn abort(&self) {
        let state = self.state.fetch_or(ABORTED, Ordering::AcqRel);
        if state & FINISHED != 0 {
            return;
        }
        if state & PARKED != 0 {
            let carrier = self.lock().carrier.clone();
            if let Some(carrier) = carrier {
                carrier.wake();
            }
        }
    }

    pub(crate) fn poll_join(&self, cx: &mut Context<'_>) -> Poll<Result<T, JoinError>> {
        let mut inner = self.lock();
        if let Some(result) = inner.result.take() {
            return Poll::Ready(result);
        }
        assert!(
            !self.is_finished(),
            "a goroutine's JoinHandle polled after it returned the result"
        );
        match &inner.waiter {
            Some(waiter) if waiter.will_wake(cx.waker()) => {}
            _ => inner.waiter = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

#[cfg(all(test, not(goro_loom)))]
mod tests {
    use super::*;

    /// Threads that leave a runtime (blocking-pool threads come and go)
    /// leave their count behind but not their stripe.
    #[test]
    fn a_thread_that_leaves_keeps_its_count_and_drops_its_stripe() {
        let carriers = Carriers::new();
        for _ in 0..3 {
            let carriers = carriers.clone();
            std::thread::spawn(move || {
                set_home(Some(carriers.clone()));
                count(&carriers, 1);
                set_home(None);
            })
            .join()
            .unwrap();
        }
        assert_eq!(carriers.stripes().len(), 0);
        assert_eq!(carriers.goroutines(0), 3);
    }
}

#[cfg(all(test, goro_loom))]
mod loom_tests {
    use super::*;

    /// A goroutine handed to a carrier that its runtime's end kills meanwhile
    /// is either the carrier's (killed with it) or given back: never both,
    /// never neither.
    #[test]
    fn a_goroutine_handed_to_a_dying_carrier_is_given_back_or_killed_once() {
        loom::model(|| {
            let slot = Arc::new(Slot::<usize>::new(Carriers::new()));
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

    /// An abort racing the goroutine's first wait is never missed: the
    /// carrier is woken (by the abort, or by itself) to see it.
    #[test]
    fn an_abort_racing_the_first_wait_wakes_the_carrier() {
        use std::sync::atomic::AtomicUsize as Count;
        use std::task::Wake;

        struct Counting(Count);
        impl Wake for Counting {
            fn wake(self: Arc<Self>) {
                self.wake_by_ref();
            }
            fn wake_by_ref(self: &Arc<Self>) {
                self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        }
        loom::model(|| {
            let (handle, end) = Pair::new(Join::<()>::new(GoroutineId::MAIN));
            let wakes = Arc::new(Counting(Count::new(0)));
            let waker = Waker::from(wakes.clone());
            let aborter = loom::thread::spawn(move || handle.abort());
            end.parked(&waker);
            aborter.join().unwrap();
            assert!(wakes.0.load(std::sync::atomic::Ordering::SeqCst) >= 1);
            assert!(end.aborted());
        });
    }

    /// A carrier polled by an old waker while a spawner hands it a goroutine
    /// takes it now or at its next poll, exactly once.
    #[test]
    fn a_goroutine_handed_over_during_a_stale_poll_is_taken_once() {
        loom::model(|| {
            let slot = Arc::new(Slot::<usize>::new(Carriers::new()));
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
