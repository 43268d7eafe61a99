//! What the current thread is: whether it belongs to a goro runtime (and
//! that runtime's settings and carriers), the idle carriers it keeps, and
//! which goroutine it is polling or dropping. All of it lives here, and
//! only this module's functions change it.
//!
//! Two thread-locals hold it. `STATE` is plain `Cell`s of `Copy` values,
//! read on every spawn and poll: a thread-local without a destructor costs
//! a few instructions and no check that it was registered for destruction.
//! `HOME` holds what needs dropping (the runtime's carriers, the idle list),
//! read on spawn and at a goroutine's end. The runtime a thread belongs to
//! is written into both at once, by `set` alone (through `set_thread`,
//! `clear_thread` and `EnterThread`), so the two never disagree.
//!
//! A goroutine always runs on the threads of the runtime it was spawned on,
//! so the thread's settings are the goroutine's runtime's.

use std::cell::{Cell, RefCell};
use std::sync::Arc;

use tokio::runtime::Handle;

use super::carriers::{Carriers, Idle, Stripe};
use super::handoff;
use super::status::{self, Status, Word};
use crate::goroutine::id::GoroutineId;
use crate::goroutine::site::Running;

/// Settings of the runtime a thread belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Flags(u8);

impl Flags {
    /// Not a thread of a goro runtime.
    pub(crate) const NONE: Flags = Flags(0);
    const GORO: u8 = 1;
    const EXIT_ON_PANIC: u8 = 2;
    const HAS_MAIN: u8 = 4;

    /// The flags of the threads of a goro runtime.
    pub(crate) fn goro(exit_on_panic: bool, has_main: bool) -> Flags {
        let mut bits = Flags::GORO;
        if exit_on_panic {
            bits |= Flags::EXIT_ON_PANIC;
        }
        if has_main {
            bits |= Flags::HAS_MAIN;
        }
        Flags(bits)
    }

    pub(crate) fn is_goro(self) -> bool {
        self.0 & Flags::GORO != 0
    }

    pub(crate) fn exits_on_panic(self) -> bool {
        self.0 & Flags::EXIT_ON_PANIC != 0
    }

    /// Whether a main goroutine runs on the thread that called `run`,
    /// outside the carriers' count.
    pub(crate) fn has_main(self) -> bool {
        self.0 & Flags::HAS_MAIN != 0
    }
}

/// A thread's place in a goro runtime's carriers.
pub(crate) struct Home {
    /// The runtime's carriers; `None` on a thread of no goro runtime.
    pub(crate) carriers: Option<Arc<Carriers>>,
    /// The runtime's Tokio handle: goroutines and blocking calls started
    /// here go to it, even inside another runtime's `Handle::enter`. Kept
    /// per thread, not in the carriers, which the runtime's hooks hold.
    pub(crate) handle: Option<Handle>,
    /// This thread's share of the runtime's goroutine count.
    pub(crate) stripe: Option<Arc<Stripe>>,
    /// The idle carriers this thread keeps.
    pub(crate) idle: Vec<Idle>,
    /// Carriers of this runtime that ended on this thread and are still
    /// counted as alive (`hosting::Carrier`'s drop says why).
    pub(crate) ended: usize,
}

impl Home {
    /// Stops counting the carriers that ended here: Tokio is done with
    /// them once this thread runs anything else (another task, a spawn, its
    /// park hook).
    #[inline]
    pub(crate) fn settle_ended(&mut self) {
        if self.ended > 0 {
            if let Some(carriers) = &self.carriers {
                carriers.carriers_ended(self.ended);
            }
            self.ended = 0;
        }
    }

    /// Whether this thread belongs to the runtime of `carriers`.
    #[inline]
    pub(crate) fn is_home_of(&self, carriers: &Arc<Carriers>) -> bool {
        self.carriers
            .as_ref()
            .is_some_and(|home| Arc::ptr_eq(home, carriers))
    }

    /// Counts `n` goroutines of `carriers` ended here.
    fn count_ended(&self, carriers: &Arc<Carriers>, n: u64) {
        match &self.stripe {
            Some(stripe) if self.is_home_of(carriers) => stripe.ended(n),
            _ => carriers.count_shared(false, n),
        }
    }

    /// Counts a goroutine of `carriers` started here.
    pub(crate) fn count_started(&self, carriers: &Arc<Carriers>) {
        match &self.stripe {
            Some(stripe) if self.is_home_of(carriers) => stripe.started(),
            _ => carriers.count_shared(true, 1),
        }
    }

    /// Makes `carriers` this thread's runtime; returns the previous one and
    /// the idle carriers kept for it, which the caller drops after letting
    /// go of the context (their drop may run a goroutine's destructors).
    fn rehome(
        &mut self,
        carriers: Option<Arc<Carriers>>,
        handle: Option<Handle>,
    ) -> (Option<Arc<Carriers>>, Option<Handle>, Vec<Idle>) {
        self.settle_ended();
        let idle = std::mem::take(&mut self.idle);
        if let Some(stripe) = self.stripe.take() {
            if let Some(prev) = &self.carriers {
                prev.retire(&stripe);
            }
        }
        self.stripe = carriers.as_ref().map(|carriers| carriers.stripe());
        (
            std::mem::replace(&mut self.carriers, carriers),
            std::mem::replace(&mut self.handle, handle),
            idle,
        )
    }
}

struct ThreadState {
    flags: Cell<Flags>,
    /// The goroutine this thread is polling or dropping, if any.
    current: Cell<Option<Running>>,
    /// Whether it is dropping it (its future's destructors run).
    dropping: Cell<bool>,
    /// Whether it is polling it (a goroutine's code runs on this thread's
    /// stack, which a blocking call would hold), rather than running a
    /// blocking call as it.
    polling: Cell<bool>,
    /// Whether the current poll woke or started a goroutine.
    handed_off: Cell<bool>,
    /// How many polls in a row on this thread handed off (see `handoff`).
    run: Cell<u8>,
    /// The status of the goroutine being polled (`Polling`), for the goro
    /// primitives to say what it waits for; null outside a poll.
    status: Cell<*const Status>,
    /// This thread's number in its runtime, for `Running` states.
    thread: Cell<u32>,
    /// The coarse clock, as read at the start of a recent poll.
    now: Cell<u32>,
    /// Polls until the cached clock is read again.
    ticks: Cell<u8>,
    /// Goroutine polls not yet added to the thread's stripe.
    polls: Cell<u32>,
}

thread_local! {
    static STATE: ThreadState = const {
        ThreadState {
            flags: Cell::new(Flags::NONE),
            current: Cell::new(None),
            dropping: Cell::new(false),
            polling: Cell::new(false),
            handed_off: Cell::new(false),
            run: Cell::new(0),
            status: Cell::new(std::ptr::null()),
            thread: Cell::new(0),
            now: Cell::new(0),
            ticks: Cell::new(0),
            polls: Cell::new(0),
        }
    };

    static HOME: RefCell<Home> = const {
        RefCell::new(Home {
            carriers: None,
            handle: None,
            stripe: None,
            idle: Vec::new(),
            ended: 0,
        })
    };
}

/// The thread's flags.
#[inline]
pub(crate) fn flags() -> Flags {
    STATE.with(|s| s.flags.get())
}

/// The goroutine the thread is polling or dropping.
#[inline]
pub(crate) fn running() -> Option<Running> {
    STATE.with(|s| s.current.get())
}

/// Its id.
#[inline]
pub(crate) fn current() -> Option<GoroutineId> {
    running().map(|running| running.id)
}

/// What a thread is part of: its flags, and its runtime's carriers and
/// Tokio handle (none for a thread of no goro runtime).
type Membership = (Flags, Option<Arc<Carriers>>, Option<Handle>);

/// Makes the thread part of the runtime of `carriers`, with `flags`, or
/// of none (`Flags::NONE`, `None`); returns what it was part of before.
fn set((flags, carriers, handle): Membership) -> Membership {
    let prev_flags = STATE.with(|s| s.flags.replace(flags));
    let (prev, prev_handle, idle) = HOME.with(|home| home.borrow_mut().rehome(carriers, handle));
    // Idle carriers of another runtime are of no use here.
    drop(idle);
    (prev_flags, prev, prev_handle)
}

/// Marks the current thread as one of a goro runtime's threads (Tokio's
/// `on_thread_start`, which runs inside the runtime's context).
pub(crate) fn set_thread(flags: Flags, carriers: &Arc<Carriers>) {
    STATE.with(|s| s.thread.set(carriers.thread_number()));
    set((flags, Some(carriers.clone()), Handle::try_current().ok()));
}

/// Tokio's `on_thread_stop`.
pub(crate) fn clear_thread() {
    set((Flags::NONE, None, None));
}

/// Makes the calling thread part of a runtime until dropped: the thread
/// that calls `run` while it starts the main goroutine, or for the whole
/// run of a main goroutine that runs on it (`run_local`).
pub(crate) struct EnterThread {
    prev: Option<Membership>,
}

impl EnterThread {
    pub(crate) fn new(flags: Flags, carriers: &Arc<Carriers>, handle: &Handle) -> EnterThread {
        let prev = set((flags, Some(carriers.clone()), Some(handle.clone())));
        EnterThread { prev: Some(prev) }
    }
}

impl Drop for EnterThread {
    fn drop(&mut self) {
        if let Some(prev) = self.prev.take() {
            set(prev);
        }
    }
}

/// Runs `f` with the thread's home; `None` if the thread is being torn
/// down. Not reentrant (nothing `f` does may reach the home again).
#[inline]
pub(crate) fn with_home<R>(f: impl FnOnce(&mut Home) -> R) -> Option<R> {
    HOME.try_with(|home| f(&mut home.borrow_mut())).ok()
}

/// `with_home`, or `None` if the home is in use further up this thread's
/// stack (a carrier dropped while the home hands over another).
#[inline]
pub(crate) fn try_with_home<R>(f: impl FnOnce(&mut Home) -> R) -> Option<R> {
    HOME.try_with(|home| home.try_borrow_mut().ok().map(|mut home| f(&mut home)))
        .ok()
        .flatten()
}

/// Counts `n` goroutines of `carriers` ended on the calling thread.
#[inline]
pub(crate) fn count_ended(carriers: &Arc<Carriers>, n: u64) {
    let counted = HOME.try_with(|home| match home.try_borrow() {
        Ok(home) => home.count_ended(carriers, n),
        Err(_) => carriers.count_shared(false, n),
    });
    if counted.is_err() {
        carriers.count_shared(false, n);
    }
}

/// Counts a goroutine of `carriers` started on the calling thread.
pub(crate) fn count_started(carriers: &Arc<Carriers>) {
    let counted = HOME.try_with(|home| match home.try_borrow() {
        Ok(home) => home.count_started(carriers),
        Err(_) => carriers.count_shared(true, 1),
    });
    if counted.is_err() {
        carriers.count_shared(true, 1);
    }
}

/// Tokio's park hook for a goro runtime's threads: see `Home::ended`; the
/// worker's polls and busy time.
pub(crate) fn on_park() {
    let (thread, polls) = STATE.with(|s| (s.thread.get(), s.polls.replace(0)));
    try_with_home(|home| {
        home.settle_ended();
        if let Some(stripe) = &home.stripe {
            stripe.polled(u64::from(polls));
            stripe.parks(thread);
        }
    });
}

/// Tokio's unpark hook for a goro runtime's threads.
pub(crate) fn on_unpark() {
    let thread = STATE.with(|s| s.thread.get());
    try_with_home(|home| {
        if let Some(stripe) = &home.stripe {
            stripe.unparks(thread);
        }
    });
}

/// Goroutine polls a thread counts before it adds them to its stripe.
const POLLS_PER_FLUSH: u32 = 64;

/// Adds the thread's uncounted polls to its stripe.
#[cold]
#[inline(never)]
fn flush_polls(polls: u32) {
    let flushed = try_with_home(|home| {
        if let Some(stripe) = &home.stripe {
            stripe.polled(u64::from(polls));
        }
    });
    if flushed.is_none() {
        // The home is busy further up the stack: count them later.
        STATE.with(|s| s.polls.set(polls));
    }
}

/// The calling thread's runtime's carriers, if it is a goro thread.
pub(crate) fn carriers() -> Option<Arc<Carriers>> {
    HOME.with(|home| home.borrow().carriers.clone())
}

/// The calling thread's goro runtime's Tokio handle, if it is a goro
/// thread (and not being torn down).
pub(crate) fn handle() -> Option<Handle> {
    HOME.try_with(|home| home.try_borrow().ok().and_then(|home| home.handle.clone()))
        .ok()
        .flatten()
}

/// Whether the calling thread belongs to a goro runtime whose main
/// goroutine has returned (it is shutting down).
pub(crate) fn runtime_has_ended() -> bool {
    HOME.try_with(|home| {
        home.try_borrow()
            .is_ok_and(|home| home.carriers.as_ref().is_some_and(|c| c.is_closed()))
    })
    .unwrap_or(false)
}

/// Marks the calling thread's runtime as one whose main goroutine has
/// returned (no other goroutine of it runs from now on).
pub(crate) fn main_returned() {
    let _ = HOME.try_with(|home| {
        if let Ok(home) = home.try_borrow() {
            if let Some(carriers) = &home.carriers {
                carriers.main_returned();
            }
        }
    });
}

/// Whether the calling thread belongs to a goro runtime whose main
/// goroutine has returned.
pub(crate) fn main_has_returned() -> bool {
    HOME.try_with(|home| {
        home.try_borrow().is_ok_and(|home| {
            home.carriers
                .as_ref()
                .is_some_and(|c| c.has_main_returned())
        })
    })
    .unwrap_or(false)
}

/// Whether the calling thread is inside any runtime, goro's or Tokio's.
pub(crate) fn inside_runtime() -> bool {
    flags().is_goro() || Handle::try_current().is_ok()
}

/// Marks the thread as running goroutine `running` until dropped: polling
/// it, or running a blocking call as it; nests.
pub(crate) struct Enter {
    prev: Option<Running>,
    prev_polling: bool,
}

impl Enter {
    /// Enters the goroutine, to poll it if `polling`, and returns whether
    /// its runtime exits on panic.
    #[inline]
    pub(crate) fn new(running: Running, polling: bool) -> (Enter, bool) {
        STATE.with(|s| {
            let enter = Enter {
                prev: s.current.replace(Some(running)),
                prev_polling: s.polling.replace(polling),
            };
            (enter, s.flags.get().exits_on_panic())
        })
    }
}

impl Drop for Enter {
    #[inline]
    fn drop(&mut self) {
        STATE.with(|s| {
            s.current.set(self.prev);
            s.polling.set(self.prev_polling);
        });
    }
}

/// Panics if the thread is polling a goroutine: `what` would block the
/// thread, and with it every goroutine waiting to run there (a deadlock, if
/// the one it waits for is among them). `instead` names the async form.
#[track_caller]
#[inline]
pub(crate) fn refuse_blocking(what: &str, instead: &str) {
    if STATE.with(|s| s.polling.get()) {
        refused(what, instead);
    }
}

#[cold]
#[track_caller]
fn refused(what: &str, instead: &str) -> ! {
    panic!(
        "{what} called inside a goroutine, where it would block the worker thread: \
         use {instead}, or call it inside goro::blocking(..)"
    )
}

/// Notes that the current poll woke a goroutine, or started one: Tokio runs
/// it next on this worker, from the LIFO slot.
#[inline]
pub(crate) fn handed_off() {
    STATE.with(|s| s.handed_off.set(true));
}

/// At the end of a goroutine's poll on a worker: whether it ends a run of
/// `handoff::RUN` polls in a row that handed off, so that the worker should
/// take its next task from the queue (`handoff::end_run`). A nested poll
/// (one goroutine's future polled inside another's) never ends a run.
#[inline]
pub(crate) fn run_ends() -> bool {
    STATE.with(|s| {
        if !s.handed_off.replace(false) {
            s.run.set(0);
            return false;
        }
        if s.current.get().is_some() {
            return false;
        }
        let run = s.run.get() + 1;
        let ends = run >= handoff::RUN;
        s.run.set(if ends { 0 } else { run });
        ends
    })
}

/// Marks the thread as dropping the future of goroutine `running`. Tokio
/// drops futures outside any poll, so nothing else is marked then.
#[inline]
pub(crate) fn enter_drop(running: Running) {
    STATE.with(|s| {
        s.current.set(Some(running));
        s.dropping.set(true);
    });
}

#[inline]
pub(crate) fn leave_drop() {
    STATE.with(|s| {
        s.current.set(None);
        s.dropping.set(false);
    });
}

/// The goroutine the thread is polling (`false`) or dropping (`true`), if
/// its runtime exits on panic (for the panic hook).
pub(crate) fn in_exit_goroutine() -> Option<(Running, bool)> {
    STATE.with(|s| {
        let running = s.current.get().filter(|_| s.flags.get().exits_on_panic())?;
        Some((running, s.dropping.get()))
    })
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
                set_thread(Flags::goro(true, false), &carriers);
                count_started(&carriers);
                clear_thread();
            })
            .join()
            .unwrap();
        }
        assert_eq!(carriers.stripe_count(), 0);
        assert_eq!(carriers.goroutines(|| 0), 3);
    }
}

/// How many waits share one reading of the clock.
const WAITS_PER_CLOCK: u8 = 16;

/// Marks the thread as polling the goroutine whose status is `status`
/// until dropped: the status says `Running` meanwhile, and goro primitives
/// that make the poll wait write into it. Nests.
pub(crate) struct Polling {
    prev: *const Status,
}

impl Polling {
    #[inline]
    pub(crate) fn enter(status: &Status) -> Polling {
        let polling = STATE.with(|s| {
            status.run(Word::new(status::kind::RUNNING, u64::from(s.thread.get())));
            let polls = s.polls.get() + 1;
            s.polls
                .set(if polls >= POLLS_PER_FLUSH { 0 } else { polls });
            (
                Polling {
                    prev: s.status.replace(status),
                },
                polls,
            )
        });
        if polling.1 >= POLLS_PER_FLUSH {
            flush_polls(polling.1);
        }
        polling.0
    }
}

impl Drop for Polling {
    #[inline]
    fn drop(&mut self) {
        STATE.with(|s| s.status.set(self.prev));
    }
}

/// The coarse clock, as this thread read it lately: every few waits, and
/// when it wakes up from idle.
#[inline]
pub(crate) fn now() -> u32 {
    STATE.with(|s| {
        let ticks = s.ticks.get();
        if ticks == 0 {
            s.now.set(status::clock());
            s.ticks.set(WAITS_PER_CLOCK);
        } else {
            s.ticks.set(ticks - 1);
        }
        s.now.get()
    })
}

/// Reads the clock into the thread's cache (a thread that was idle).
pub(crate) fn refresh_clock() {
    STATE.with(|s| {
        s.now.set(status::clock());
        s.ticks.set(WAITS_PER_CLOCK);
    });
}

/// Says what the goroutine being polled waits for (`state`), if the thread
/// polls one.
#[inline]
pub(crate) fn waiting(state: Word) {
    with_status(|status| {
        if status.may_report(state) {
            status.set(state, now());
        }
    });
}

/// `waiting`, for a channel operation on a channel of capacity `cap`.
#[inline]
pub(crate) fn waiting_chan(state: Word, cap: usize) {
    with_status(|status| {
        if status.may_report(state) {
            status.set_chan(state, cap, now());
        }
    });
}

#[inline(always)]
fn with_status(f: impl FnOnce(&Status)) {
    let status = STATE.with(|s| s.status.get());
    if !status.is_null() {
        // SAFETY: `Polling` stores a pointer to a status that its caller
        // holds (an `Arc`) for as long as the guard lives, and takes it out
        // again when dropped; the pointer is only read on this thread,
        // within that time.
        #[allow(unsafe_code)]
        let status = unsafe { &*status };
        f(status);
    }
}
