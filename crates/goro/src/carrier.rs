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
    /// runtime by other means), of which `tokio_tasks` gives Tokio's count.
    pub(crate) fn goroutines(&self, tokio_tasks: impl FnOnce() -> usize) -> usize {
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
        // A carrier is counted here before Tokio counts its task, and
        // after Tokio stops (`Carrier`'s drop): so the larger of the counts
        // read before and after Tokio's covers every carrier Tokio counted,
        // and no carrier passes for another Tokio task.
        let before = self.carriers.load(Ordering::Relaxed);
        let tokio_tasks = tokio_tasks();
        let after = self.carriers.load(Ordering::Relaxed);
        hosted + tokio_tasks.saturating_sub(before.max(after))
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

/// Goroutine boxes (and `Join`s) up to this size are kept by their carrier
/// for the next goroutine; bigger ones are freed.
const KEEP_MAX: usize = 256;
// `Kept` stores a kept size in 16 bits.
const _: () = assert!(KEEP_MAX <= u16::MAX as usize);

/// The memory of a box whose value was dropped: a goroutine's, or its
/// `Join`'s. Go reuses a finished goroutine, and glibc's malloc pays for a
/// box made on one worker and freed on another. Reused for the next value
/// of the same layout (the same future type, the common case of a loop of
/// `go!`); freed otherwise.
pub(crate) struct Block {
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
    /// Drops the boxed value in place and keeps its memory, if small.
    pub(crate) fn keep<T: ?Sized>(boxed: Box<T>) -> Option<Block> {
        let layout = std::alloc::Layout::for_value::<T>(&*boxed);
        if layout.size() > KEEP_MAX || layout.size() == 0 {
            drop(boxed);
            return None;
        }
        let raw = Box::into_raw(boxed);
        // A panic here leaks the memory (it is not kept).
        // SAFETY: `raw` is a valid, owned value, dropped once and never
        // used again; only its memory is.
        unsafe { std::ptr::drop_in_place(raw) };
        let ptr = std::ptr::NonNull::new(raw.cast::<u8>()).expect("a box is never null");
        Some(Block { ptr, layout })
    }
}

/// What a carrier keeps of its last goroutine for the next one: the memory
/// of its box, and of its `Join` when its handle was dropped before it
/// ended (as `go!` used as a statement does). Packed (a kept size fits in
/// 16 bits, an alignment in its logarithm), so that a carrier's slot is no
/// bigger for it: a million parked goroutines have a million slots.
#[derive(Default)]
struct Kept {
    ptrs: [Option<std::ptr::NonNull<u8>>; 2],
    sizes: [u16; 2],
    align_logs: [u8; 2],
}

/// Which memory of a `Kept`: the goroutine's box, or its `Join`.
const BOX: usize = 0;
const JOIN: usize = 1;

// SAFETY: it holds memory that nothing else points to, as a `Block`.
unsafe impl Send for Kept {}

impl Kept {
    /// Keeps `block` as memory `i`, freeing what was there.
    fn put(&mut self, i: usize, block: Option<Block>) {
        self.free(i);
        if let Some(block) = block {
            // `Block::keep` keeps nothing bigger than `KEEP_MAX`, which
            // fits 16 bits (asserted at compile time), and an alignment is
            // at most the size.
            debug_assert!(block.layout.size() <= KEEP_MAX);
            self.ptrs[i] = Some(block.ptr);
            self.sizes[i] = block.layout.size() as u16;
            self.align_logs[i] = block.layout.align().trailing_zeros() as u8;
            std::mem::forget(block);
        }
    }

    /// Boxes `value` in memory `i` if it has `T`'s layout, else in a new
    /// box (memory `i` is freed).
    #[inline]
    fn boxed<T>(&mut self, i: usize, value: T) -> Box<T> {
        if usize::from(self.sizes[i]) == std::mem::size_of::<T>()
            && u32::from(self.align_logs[i]) == std::mem::align_of::<T>().trailing_zeros()
        {
            if let Some(ptr) = self.ptrs[i].take() {
                let ptr = ptr.cast::<T>().as_ptr();
                // SAFETY: the memory was allocated by the global allocator
                // with `T`'s layout, for a box, and holds no value; writing
                // the value and taking the box back is what `Box::new`
                // does.
                unsafe {
                    ptr.write(value);
                    return Box::from_raw(ptr);
                }
            }
        }
        self.free(i);
        Box::new(value)
    }

    fn free(&mut self, i: usize) {
        if let Some(ptr) = self.ptrs[i].take() {
            // SAFETY: `put` stored a `Block`'s pointer and layout, whose
            // size and alignment fit these fields.
            let layout = unsafe {
                std::alloc::Layout::from_size_align_unchecked(
                    usize::from(self.sizes[i]),
                    1 << self.align_logs[i],
                )
            };
            drop(Block { ptr, layout });
        }
    }
}

impl Drop for Kept {
    fn drop(&mut self) {
        self.free(BOX);
        self.free(JOIN);
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
    /// The memory of the carrier's last goroutine (its box, and its
    /// `Join` if its handle was dropped), kept for the next one. Accessed
    /// like `goroutine` while `EMPTY`: by the carrier before it goes on an
    /// idle list, by the spawner that took it off.
    kept: UnsafeCell<Kept>,
    /// The carrier's runtime (here rather than in `Carrier`, whose future
    /// then fits Tokio's smallest task cell).
    carriers: Arc<Carriers>,
}

// SAFETY: `goroutine` and `kept` are accessed by one thread at a time, as
// the protocol above says, and what they hold is `Send`.
unsafe impl<G: Send> Sync for Slot<G> {}

impl<G> Slot<G> {
    fn new(carriers: Arc<Carriers>) -> Slot<G> {
        Slot {
            state: AtomicU8::new(EMPTY),
            goroutine: UnsafeCell::new(None),
            kept: UnsafeCell::new(Kept::default()),
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
    fn take_kept(&self) -> Kept {
        // SAFETY: holding the `Idle`, the spawner has the slot to itself
        // (the carrier stored the memory before it listed itself).
        self.kept
            .with_mut(|kept| unsafe { std::mem::take(&mut *kept) })
    }

    /// Keeps memory for the next goroutine. Called by the carrier before
    /// it puts itself on an idle list.
    fn keep(&self, goroutine: Option<Block>, join: Option<Block>) {
        self.kept.with_mut(|kept| {
            // SAFETY: the carrier is on no list, so no spawner can reach
            // the slot, and the last spawner that did is done with it (it
            // gave a goroutine, which the carrier took after seeing `FULL`).
            let kept = unsafe { &mut *kept };
            kept.put(BOX, goroutine);
            kept.put(JOIN, join);
        });
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
            ended: 0,
        })
    };
}

struct Home {
    carriers: Option<Arc<Carriers>>,
    stripe: Option<Arc<Stripe>>,
    idle: Vec<Idle>,
    /// Carriers of this runtime that ended on this thread and are still
    /// counted in `Carriers::carriers` (`Carrier`'s drop says why).
    ended: usize,
}

impl Home {
    /// Stops counting the carriers that ended here: Tokio is done with
    /// them once this thread runs anything else (another task, a spawn, its
    /// park hook).
    fn settle_ended(&mut self) {
        if self.ended > 0 {
            if let Some(carriers) = &self.carriers {
                carriers.carriers.fetch_sub(self.ended, Ordering::Relaxed);
            }
            self.ended = 0;
        }
    }

    /// Whether this thread belongs to the runtime of `carriers`.
    fn is_home_of(&self, carriers: &Arc<Carriers>) -> bool {
        self.carriers
            .as_ref()
            .is_some_and(|home| Arc::ptr_eq(home, carriers))
    }

    /// Counts goroutines of `carriers` started (1) or ended (-1) here.
    fn count(&self, carriers: &Arc<Carriers>, delta: isize) {
        match &self.stripe {
            Some(stripe) if self.is_home_of(carriers) => stripe.add(delta),
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
        home.settle_ended();
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

/// Tokio's park hook for a goro runtime's threads: see `Home::ended`.
pub(crate) fn on_park() {
    let _ = HOME.try_with(|home| {
        if let Ok(mut home) = home.try_borrow_mut() {
            home.settle_ended();
        }
    });
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
    let mut future = Some(future);
    // Made in the memory the first idle carrier kept, if any: its handle's
    // share of its `Join`, and its box (given back by a dead carrier).
    let mut join = None;
    let mut boxed: Option<Goroutine> = None;
    // A thread being torn down has no home: a carrier of its own, counted
    // nowhere, still runs the goroutine.
    let handed = HOME.try_with(|home| {
        let mut home = home.borrow_mut();
        home.settle_ended();
        let Home {
            carriers,
            stripe,
            idle,
            ..
        } = &mut *home;
        let carriers = carriers
            .as_ref()
            .expect("carrier::spawn on a goro runtime's thread");
        // `Home::count`, knowing this is the thread's own runtime.
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
                None => {
                    let future = future.take().expect("made once");
                    let (handle, goroutine) = make(future, id, next.slot.take_kept());
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
        Ok(Ok(waker)) => {
            waker.wake();
            return join.expect("made for the carrier");
        }
        Ok(Err(carriers)) => carriers,
        Err(_) => {
            let carriers = Carriers::new();
            count_elsewhere(&carriers, 1);
            carriers
        }
    };
    let (join, goroutine) = match (join, boxed) {
        (Some(join), Some(goroutine)) => (join, goroutine),
        _ => make(future.expect("made once"), id, Kept::default()),
    };
    start(goroutine, carriers);
    join
}

/// Makes goroutine `id`, in `kept` memory where it fits: its handle's share
/// of its `Join`, and its box.
fn make<F>(future: F, id: GoroutineId, mut kept: Kept) -> (Pair<Join<F::Output>>, Goroutine)
where
    F: Future + Send + 'static,
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

/// Starts a new carrier hosting `hosted`.
#[cold]
#[inline(never)]
fn start(hosted: Goroutine, carriers: Arc<Carriers>) {
    carriers.carriers.fetch_add(1, Ordering::Relaxed);
    tokio::spawn(Carrier {
        slot: Arc::new(Slot::new(carriers)),
        current: Some(hosted),
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
        // catches it) and the goroutine's handle hears of the end as the
        // box is dropped.
        let join = hosted.as_mut().end();
        // SAFETY: the box's value is dropped in place, never moved; only
        // its memory is used again, which `Pin` allows.
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
    /// are full (the carrier then ends).
    fn park(&self, waker: &Waker, goroutine: Option<Block>, join: Option<Block>) -> bool {
        HOME.with(|home| {
            let mut home = home.borrow_mut();
            if !home.is_home_of(&self.slot.carriers) {
                return false;
            }
            home.settle_ended();
            if home.idle.len() >= LOCAL_MAX {
                let mut spare = self.slot.carriers.spare();
                if spare.len() >= SPARE_BATCHES {
                    return false;
                }
                spare.push(home.idle.drain(..BATCH).collect());
            }
            self.slot.keep(goroutine, join);
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
        // Tokio still counts this carrier's task until it is done with it,
        // after this drop: so does `Carriers::carriers`, until this thread
        // runs anything else (`Home::settle_ended`), else `num_goroutine`
        // could take the task for a Tokio task that is not a carrier.
        let deferred = HOME
            .try_with(|home| match home.try_borrow_mut() {
                Ok(mut home) if home.is_home_of(&self.slot.carriers) => {
                    home.ended += 1;
                    true
                }
                _ => false,
            })
            .unwrap_or(false);
        if !deferred {
            self.slot.carriers.carriers.fetch_sub(1, Ordering::Relaxed);
        }
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
    /// output is kept for its handle) or was aborted.
    fn run(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()>;
    /// Its poll panicked with `payload`.
    fn panicked(self: Pin<&mut Self>, payload: Box<dyn Any + Send>);
    /// Once it is over: drops its future, then tells its handle. The future
    /// goes first: dropping it may be what others wait for (a `WaitGroup`
    /// member, a channel's last sender), as with Tokio's tasks. Returns the
    /// memory of its `Join` if its handle was dropped already.
    fn end(self: Pin<&mut Self>) -> Option<Block>;
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
    F: Future + Send,
    F::Output: Send,
{
    fn run(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        let (Some(future), Some(join)) = (this.future.as_pin_mut(), &this.end.join) else {
            return Poll::Ready(());
        };
        if join.aborted() {
            return Poll::Ready(());
        }
        match future.poll(cx) {
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
        if let Some(join) = &end.join {
            end.result = Some(Err(JoinError::panicked(join.id, payload)));
        }
    }

    fn end(self: Pin<&mut Self>) -> Option<Block> {
        let mut this = self.project();
        this.future.set(None);
        this.end.finish()
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

    /// Gives the handle `result`, or, if the handle was dropped (nobody
    /// to tell, nor can there be again), returns this `Join`'s memory.
    fn finish(this: Pair<Self>, result: Result<T, JoinError>) -> Option<Block> {
        let this = match Pair::recycle(this) {
            Ok(memory) => return memory,
            Err(this) => this,
        };
        let waiter = {
            let mut inner = this.lock();
            inner.result = Some(result);
            inner.carrier = None;
            this.state.fetch_or(FINISHED, Ordering::Release);
            inner.waiter.take()
        };
        drop(this);
        if let Some(waiter) = waiter {
            waiter.wake();
        }
        None
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
        assert_eq!(carriers.goroutines(|| 0), 3);
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
