//! Wakers under goro's watch: how a goroutine's poll tells goro whether
//! anything besides goro's own primitives (a Tokio timer, a socket, a
//! `tokio::sync` lock, another thread) kept its waker.
//!
//! A goroutine's future is polled with a waker that wraps the task's own
//! (`watch`). goro's primitives unwrap it (`waker`) and keep the task's
//! waker, as they would without the watch. Anything else that keeps the
//! waker clones it, and a clone of a watched waker is the task's waker,
//! plus a mark on the poll: the poll then waits on something goro cannot
//! see into, whatever goro's primitives said (the deadlock report must
//! never take such a wait for a stuck one). A `wake_by_ref` during the
//! poll marks it too. Since a watched waker is never equal to a kept one
//! (`will_wake`), a future that keeps a waker clones it at every poll, so
//! each poll's mark is its own.

use std::mem::ManuallyDrop;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, RawWaker, RawWakerVTable, Waker};

/// What a watched waker points to: the waker it wraps, and the poll's mark.
struct Watch<'a> {
    inner: &'a Waker,
    foreign: &'a AtomicBool,
}

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop_nothing);

/// Polls with `cx`'s waker watched; returns the result and whether
/// anything but goro's primitives kept the waker or woke it meanwhile.
#[inline(always)]
pub(crate) fn watch<R>(
    cx: &mut Context<'_>,
    poll: impl FnOnce(&mut Context<'_>) -> R,
) -> (R, bool) {
    let foreign = AtomicBool::new(false);
    let out = with_watch(cx.waker(), &foreign, poll);
    (out, foreign.load(Ordering::Relaxed))
}

/// Polls with `inner` (a wrapper's waker around `outer`'s) watched as
/// `outer` is, if it is: for a wrapper between the watch and the future.
#[cfg_attr(not(feature = "trace"), allow(dead_code))]
#[inline]
pub(crate) fn rewatch<R>(
    outer: &Waker,
    inner: &Waker,
    poll: impl FnOnce(&mut Context<'_>) -> R,
) -> R {
    match watch_of(outer) {
        Some(watch) => with_watch(inner, watch.foreign, poll),
        None => poll(&mut Context::from_waker(inner)),
    }
}

/// The waker goro's primitives keep: `waker` without its watch.
#[inline(always)]
pub(crate) fn waker(mut waker: &Waker) -> &Waker {
    while let Some(watch) = watch_of(waker) {
        waker = watch.inner;
    }
    waker
}

/// Polls with `cx`'s waker unwatched: for a goro primitive built on a
/// Tokio future (a sleep, a blocking call), whose waits goro knows.
#[inline]
pub(crate) fn unwatched<R>(cx: &mut Context<'_>, poll: impl FnOnce(&mut Context<'_>) -> R) -> R {
    let inner = waker(cx.waker());
    if std::ptr::eq(inner, cx.waker()) {
        poll(cx)
    } else {
        poll(&mut Context::from_waker(inner))
    }
}

#[inline(always)]
fn with_watch<R>(
    inner: &Waker,
    foreign: &AtomicBool,
    poll: impl FnOnce(&mut Context<'_>) -> R,
) -> R {
    let watch = Watch { inner, foreign };
    let raw = RawWaker::new(std::ptr::from_ref(&watch).cast(), &VTABLE);
    // SAFETY: the vtable's functions take `raw`'s data as the `Watch`
    // above, which outlives the waker: the waker lives in this frame, is
    // only lent out (as `&Waker`, which the `Context` holds), and dropping
    // it does nothing. A clone is `inner`'s own, so no copy that could
    // outlive this frame points at the `Watch`. `Watch` is `Sync` (a
    // shared reference to a `Waker` and an atomic), as a waker must be.
    #[allow(unsafe_code)]
    let waker = ManuallyDrop::new(unsafe { Waker::from_raw(raw) });
    poll(&mut Context::from_waker(&waker))
}

#[inline(always)]
fn watch_of(waker: &Waker) -> Option<&Watch<'_>> {
    if std::ptr::eq(waker.vtable(), &VTABLE) {
        // SAFETY: only `with_watch` makes wakers with this vtable, with a
        // `Watch` as their data that lives as long as the waker.
        #[allow(unsafe_code)]
        Some(unsafe { &*waker.data().cast::<Watch<'_>>() })
    } else {
        None
    }
}

// The vtable's functions: each `data` is a `Watch` that outlives the call
// (see `with_watch`).

#[allow(unsafe_code)]
unsafe fn clone(data: *const ()) -> RawWaker {
    // SAFETY: `data` is a live `Watch` (see above).
    let watch = unsafe { &*data.cast::<Watch<'_>>() };
    watch.foreign.store(true, Ordering::Relaxed);
    let kept = ManuallyDrop::new(watch.inner.clone());
    RawWaker::new(kept.data(), kept.vtable())
}

#[allow(unsafe_code)]
unsafe fn wake(data: *const ()) {
    // SAFETY: `data` is a live `Watch`. The watched waker is never owned:
    // waking it is waking by reference.
    unsafe { wake_by_ref(data) }
}

#[allow(unsafe_code)]
unsafe fn wake_by_ref(data: *const ()) {
    // SAFETY: `data` is a live `Watch` (see above).
    let watch = unsafe { &*data.cast::<Watch<'_>>() };
    watch.foreign.store(true, Ordering::Relaxed);
    watch.inner.wake_by_ref();
}

fn drop_nothing(_: *const ()) {}

#[cfg(all(test, not(goro_loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::sync::Arc;
    use std::task::Wake;

    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn task() -> (Arc<Count>, Waker) {
        let count = Arc::new(Count(AtomicUsize::new(0)));
        (count.clone(), Waker::from(count))
    }

    #[test]
    fn a_clone_is_the_tasks_waker_and_marks_the_poll() {
        let (count, task) = task();
        let mut cx = Context::from_waker(&task);
        let (kept, foreign) = watch(&mut cx, |cx| cx.waker().clone());
        assert!(foreign);
        assert!(kept.will_wake(&task));
        kept.wake();
        assert_eq!(count.0.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn goros_unwrapped_waker_leaves_no_mark() {
        let (_, task) = task();
        let mut cx = Context::from_waker(&task);
        let (kept, foreign) = watch(&mut cx, |cx| waker(cx.waker()).clone());
        assert!(!foreign);
        assert!(kept.will_wake(&task));
        let (_, foreign) = watch(&mut cx, |cx| unwatched(cx, |cx| cx.waker().clone()));
        assert!(!foreign);
    }

    #[test]
    fn a_wake_during_the_poll_marks_it_and_wakes_the_task() {
        let (count, task) = task();
        let mut cx = Context::from_waker(&task);
        let ((), foreign) = watch(&mut cx, |cx| cx.waker().wake_by_ref());
        assert!(foreign);
        assert_eq!(count.0.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn nested_watches_and_rewatches_mark_the_outer_poll() {
        let (_, task) = task();
        let (count, wrapper) = self::task();
        let mut cx = Context::from_waker(&task);
        let (kept, foreign) = watch(&mut cx, |cx| {
            let ((), inner) = watch(cx, |_| ());
            assert!(!inner);
            rewatch(cx.waker(), &wrapper, |cx| cx.waker().clone())
        });
        assert!(foreign);
        kept.wake();
        assert_eq!(count.0.load(Ordering::Relaxed), 1);
        let (kept, foreign) = watch(&mut cx, |cx| watch(cx, |cx| cx.waker().clone()));
        assert!(foreign);
        assert!(kept.0.will_wake(&task) && kept.1);
    }
}
