//! What the current thread is: a thread of a goro runtime (and with which
//! panic policy), and which goroutine it is polling. Kept in one
//! thread-local of plain `Cell`s, so that reading it on every spawn and poll
//! costs a few instructions and no reference count.
//!
//! A goroutine always runs on the threads of the runtime it was spawned on,
//! so the thread's flags are the goroutine's runtime's settings.

use std::cell::Cell;
use std::future::Future;
use std::panic::Location;
use std::sync::{Arc, OnceLock};

use tokio::runtime::{Handle, Runtime};

use crate::builder::Builder;
use crate::carrier::{self, Carriers};
use crate::id::GoroutineId;
use crate::join::JoinHandle;

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

    pub(crate) fn exit_on_panic(self) -> bool {
        self.0 & Flags::EXIT_ON_PANIC != 0
    }

    /// Whether a main goroutine runs on the thread that called `run`.
    pub(crate) fn has_main(self) -> bool {
        self.0 & Flags::HAS_MAIN != 0
    }
}

/// The goroutine a thread is running.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Running {
    pub(crate) spawned_at: &'static Location<'static>,
    pub(crate) id: GoroutineId,
}

impl Running {
    pub(crate) fn id(self) -> GoroutineId {
        self.id
    }
}

struct ThreadState {
    flags: Cell<Flags>,
    /// The watchdog's slot of this thread, on the threads of a runtime
    /// with a watchdog. Blocking-pool threads have one too (Tokio starts
    /// them the same way), but only goroutine polls use it, and those run on
    /// workers.
    #[cfg(feature = "trace")]
    watch: Cell<Option<&'static goro_trace::watchdog::Slot>>,
    /// The goroutine this thread is polling or dropping, if any.
    current: Cell<Option<Running>>,
    /// Whether it is dropping it (its future's destructors run).
    dropping: Cell<bool>,
    /// Whether the current poll woke or started a goroutine.
    handed_off: Cell<bool>,
    /// How many polls in a row on this thread handed off (see `handoff`).
    run: Cell<u8>,
}

thread_local! {
    static STATE: ThreadState = const {
        ThreadState {
            flags: Cell::new(Flags::NONE),
            #[cfg(feature = "trace")]
            watch: Cell::new(None),
            current: Cell::new(None),
            dropping: Cell::new(false),
            handed_off: Cell::new(false),
            run: Cell::new(0),
        }
    };
}

/// The thread's flags.
#[inline]
pub(crate) fn flags() -> Flags {
    STATE.with(|s| s.flags.get())
}

pub(crate) fn current() -> Option<GoroutineId> {
    running().map(Running::id)
}

pub(crate) fn running() -> Option<Running> {
    STATE.with(|s| s.current.get())
}

/// Marks the current thread as one of a goro runtime's threads (Tokio's
/// `on_thread_start`).
pub(crate) fn set_thread(
    flags: Flags,
    carriers: &Arc<Carriers>,
    #[cfg(feature = "trace")] watchdog: Option<std::time::Duration>,
) {
    carrier::set_home(Some(carriers.clone()));
    STATE.with(|s| {
        s.flags.set(flags);
        #[cfg(feature = "trace")]
        if let Some(slot) = s
            .watch
            .replace(watchdog.map(goro_trace::watchdog::Slot::acquire))
        {
            slot.release();
        }
    });
}

/// Tokio's `on_thread_stop`.
pub(crate) fn clear_thread() {
    carrier::set_home(None);
    STATE.with(|s| {
        s.flags.set(Flags::NONE);
        #[cfg(feature = "trace")]
        if let Some(slot) = s.watch.take() {
            slot.release();
        }
    });
}

/// Makes the calling thread part of a runtime until dropped: `run`'s main
/// goroutine runs on the caller's thread.
///
/// The watchdog does not watch this thread: it is not a worker, and a main
/// goroutine that blocks it holds up no other goroutine.
pub(crate) struct EnterThread {
    prev: Flags,
    prev_home: Option<Arc<Carriers>>,
    #[cfg(feature = "trace")]
    prev_watch: Option<&'static goro_trace::watchdog::Slot>,
}

impl EnterThread {
    pub(crate) fn new(flags: Flags, carriers: &Arc<Carriers>) -> EnterThread {
        let prev_home = carrier::set_home(Some(carriers.clone()));
        STATE.with(|s| EnterThread {
            prev: s.flags.replace(flags),
            prev_home,
            #[cfg(feature = "trace")]
            prev_watch: s.watch.take(),
        })
    }
}

impl Drop for EnterThread {
    fn drop(&mut self) {
        carrier::set_home(self.prev_home.take());
        STATE.with(|s| {
            s.flags.set(self.prev);
            #[cfg(feature = "trace")]
            s.watch.set(self.prev_watch);
        });
    }
}

/// Marks the thread as polling goroutine `id` until dropped; nests.
pub(crate) struct Enter {
    prev: Option<Running>,
    /// The watchdog slot and poll number, if the watchdog watches this poll.
    #[cfg(feature = "trace")]
    watched: Option<(&'static goro_trace::watchdog::Slot, u64)>,
}

impl Enter {
    /// Enters the goroutine and returns whether its runtime exits on panic.
    #[inline]
    pub(crate) fn new(running: Running) -> (Enter, bool) {
        STATE.with(|s| {
            let prev = s.current.replace(Some(running));
            let enter = Enter {
                prev,
                #[cfg(feature = "trace")]
                watched: None,
            };
            (enter, s.flags.get().exit_on_panic())
        })
    }

    /// Enters the goroutine for a poll by a worker, which the watchdog
    /// watches; returns whether its runtime exits on panic. Always inlined,
    /// as is the watchdog's common case (an unnamed goroutine); a named one
    /// takes the slot's slow path. Called, this cost 20-40 instructions per
    /// poll more (callgrind).
    #[inline(always)]
    pub(crate) fn poll(
        running: Running,
        #[cfg(feature = "trace")] name: Option<&std::sync::Arc<str>>,
    ) -> (Enter, bool) {
        let (prev, exit_on_panic, slot) = STATE.with(|s| {
            let prev = s.current.replace(Some(running));
            #[cfg(feature = "trace")]
            let slot = s.watch.get();
            #[cfg(not(feature = "trace"))]
            let slot = ();
            (prev, s.flags.get().exit_on_panic(), slot)
        });
        // A nested poll is part of the outer one.
        #[cfg(feature = "trace")]
        let watched = match slot {
            Some(slot) if prev.is_none() => Some((slot, watch_begin(slot, running, name))),
            _ => None,
        };
        #[cfg(not(feature = "trace"))]
        let () = slot;
        let enter = Enter {
            prev,
            #[cfg(feature = "trace")]
            watched,
        };
        (enter, exit_on_panic)
    }
}

/// The watchdog reported the poll that just ended: record it.
#[cfg(feature = "trace")]
#[cold]
fn watched_poll_was_blocked(slot: &goro_trace::watchdog::Slot) {
    let (noticed, held) = slot.flagged();
    if let Some(running) = running() {
        goro_trace::recorder::blocked(noticed, running.id.as_u64(), held);
    }
}

#[cfg(feature = "trace")]
#[inline(always)]
fn watch_begin(
    slot: &goro_trace::watchdog::Slot,
    running: Running,
    name: Option<&std::sync::Arc<str>>,
) -> u64 {
    slot.begin(running.id.as_u64(), running.spawned_at, name)
}

impl Drop for Enter {
    #[inline]
    fn drop(&mut self) {
        #[cfg(feature = "trace")]
        if let Some((slot, seq)) = self.watched {
            if slot.end(seq) {
                watched_poll_was_blocked(slot);
            }
        }
        STATE.with(|s| s.current.set(self.prev));
    }
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
        let ends = run >= crate::handoff::RUN;
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
        let running = s.current.get().filter(|_| s.flags.get().exit_on_panic())?;
        Some((running, s.dropping.get()))
    })
}

/// Starts `task` as goroutine `id` on the runtime a goroutine started from
/// here belongs to: this thread's goro runtime (hosted by a carrier), else
/// the Tokio runtime the thread is in, else the process-wide goro runtime.
#[inline]
pub(crate) fn spawn<F>(flags: Flags, task: F, id: GoroutineId) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    if flags.is_goro() {
        // Every goro thread runs inside its runtime's Tokio context.
        handed_off();
        JoinHandle::hosted(crate::carrier::spawn(task, id))
    } else {
        JoinHandle::new(with_foreign_or_global(|handle| handle.spawn(task)), id)
    }
}

/// `spawn` for a blocking closure.
pub(crate) fn spawn_blocking<F, R>(flags: Flags, f: F) -> tokio::task::JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    if flags.is_goro() {
        tokio::task::spawn_blocking(f)
    } else {
        with_foreign_or_global(|handle| handle.spawn_blocking(f))
    }
}

fn with_foreign_or_global<R>(f: impl FnOnce(&Handle) -> R) -> R {
    match Handle::try_current() {
        Ok(handle) => f(&handle),
        Err(_) => f(global().0.handle()),
    }
}

/// The handle and flags of the runtime that `go!` here would use, and its
/// carriers if it is a goro runtime.
pub(crate) fn runtime() -> (Handle, Flags, Option<Arc<Carriers>>) {
    let flags = STATE.with(|s| s.flags.get());
    if flags.is_goro() {
        (Handle::current(), flags, carrier::home())
    } else {
        match Handle::try_current() {
            Ok(handle) => (handle, Flags::NONE, None),
            Err(_) => {
                let (runtime, flags, carriers) = global();
                (runtime.handle().clone(), *flags, Some(carriers.clone()))
            }
        }
    }
}

/// Whether the calling thread is inside any runtime, goro's or Tokio's.
pub(crate) fn inside_runtime() -> bool {
    STATE.with(|s| s.flags.get().is_goro()) || Handle::try_current().is_ok()
}

/// The process-wide runtime that goroutines started outside any runtime run
/// on. It starts on first use, with the default [`Builder`] (so `GOMAXPROCS`
/// applies), and lives as long as the process.
fn global() -> &'static (Runtime, Flags, Arc<Carriers>) {
    static GLOBAL: OnceLock<(Runtime, Flags, Arc<Carriers>)> = OnceLock::new();
    GLOBAL.get_or_init(|| {
        Builder::new()
            .build(false)
            .unwrap_or_else(|err| crate::builder::fail_to_start(&err))
    })
}
