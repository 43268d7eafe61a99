//! The blocked-worker watchdog's side in goro: each runtime thread's slot,
//! and the decorator that publishes every goroutine poll in it.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use goro_trace::watchdog::{Slot, DEFAULT_THRESHOLD};
use pin_project_lite::pin_project;

use crate::runtime::config::{threshold_env, BuildError};
use crate::runtime::context;

struct Watch {
    /// This thread's slot, on the threads of a runtime with a watchdog.
    /// Blocking-pool threads have one too (Tokio starts them the same way),
    /// but only goroutine polls use it, and those run on workers.
    slot: Cell<Option<&'static Slot>>,
    /// Whether a watched poll runs on this thread: a poll nested in it is
    /// part of it.
    polling: Cell<bool>,
}

thread_local! {
    static WATCH: Watch = const {
        Watch {
            slot: Cell::new(None),
            polling: Cell::new(false),
        }
    };
}

/// A runtime thread starts: watch its polls with `threshold`, if any.
pub(crate) fn thread_started(threshold: Option<Duration>) {
    let previous = WATCH.with(|w| w.slot.replace(threshold.map(Slot::acquire)));
    if let Some(slot) = previous {
        slot.release();
    }
}

/// A runtime thread stops.
pub(crate) fn thread_stopped() {
    if let Some(slot) = WATCH.with(|w| w.slot.take()) {
        slot.release();
    }
}

/// The watchdog's threshold from `GORO_WATCHDOG`: unset or empty is the
/// default, `off` or `0` turns it off, otherwise a number with a unit.
pub(crate) fn threshold_from_env() -> Result<Option<Duration>, BuildError> {
    match threshold_env("GORO_WATCHDOG") {
        Ok(None) => Ok(Some(DEFAULT_THRESHOLD)),
        Ok(Some(threshold)) => Ok(threshold),
        Err(value) => Err(BuildError::Watchdog(value)),
    }
}

/// A goroutine's name as the watchdog shows it: `()` for an unnamed one.
pub(crate) trait WatchName: Send + 'static {
    fn name(&self) -> Option<&Arc<str>>;
}

impl WatchName for () {
    #[inline(always)]
    fn name(&self) -> Option<&Arc<str>> {
        None
    }
}

impl WatchName for Arc<str> {
    fn name(&self) -> Option<&Arc<str>> {
        Some(self)
    }
}

pin_project! {
    /// A goroutine's future whose polls the watchdog watches, on a thread
    /// with a slot. Adds nothing to an unnamed goroutine's size.
    pub(crate) struct Watched<F, N> {
        #[pin]
        future: F,
        name: N,
    }
}

impl<F, N> Watched<F, N> {
    pub(crate) fn new(future: F, name: N) -> Watched<F, N> {
        Watched { future, name }
    }
}

impl<F: Future, N: WatchName> Future for Watched<F, N> {
    type Output = F::Output;

    /// Always inlined, as is the slot's common case (an unnamed goroutine
    /// after another): a call here costs more than the watching itself.
    #[inline(always)]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let slot = WATCH.with(|w| match w.slot.get() {
            Some(slot) if !w.polling.replace(true) => Some(slot),
            _ => None,
        });
        let Some(slot) = slot else {
            return this.future.poll(cx);
        };
        let seq = match context::running() {
            Some(running) => slot.begin(running.id.as_u64(), running.spawned_at, this.name.name()),
            None => slot.begin(0, std::panic::Location::caller(), this.name.name()),
        };
        // Ends the watch when the poll returns or unwinds: a goroutine whose
        // panic ends the process holds its worker no longer.
        let _watched = WatchedPoll { slot, seq };
        this.future.poll(cx)
    }
}

/// One watched poll in progress.
struct WatchedPoll {
    slot: &'static Slot,
    seq: u64,
}

impl Drop for WatchedPoll {
    #[inline(always)]
    fn drop(&mut self) {
        if self.slot.end(self.seq) {
            was_blocked(self.slot);
        }
        WATCH.with(|w| w.polling.set(false));
    }
}

/// The watchdog reported the poll that just ended: record it.
#[cold]
fn was_blocked(slot: &Slot) {
    let (noticed, held) = slot.flagged();
    if let Some(id) = context::current() {
        goro_trace::recorder::blocked(noticed, id.as_u64(), held);
    }
}
