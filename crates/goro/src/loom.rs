//! The synchronisation primitives goro's own concurrent code uses: std's, or
//! loom's when built with `RUSTFLAGS="--cfg goro_loom"` for model checking.

#[cfg(goro_loom)]
pub(crate) use loom::sync::{
    atomic::{AtomicBool, AtomicIsize, AtomicU32, AtomicU8, AtomicUsize, Ordering},
    Condvar, Mutex, MutexGuard,
};
#[cfg(not(goro_loom))]
pub(crate) use std::sync::{
    atomic::{AtomicBool, AtomicIsize, AtomicU32, AtomicU8, AtomicUsize, Ordering},
    Condvar, Mutex, MutexGuard,
};

#[cfg(goro_loom)]
pub(crate) use loom::sync::atomic::fence;
#[cfg(not(goro_loom))]
pub(crate) use std::sync::atomic::fence;

#[cfg(goro_loom)]
pub(crate) use loom::cell::UnsafeCell;

/// std's `UnsafeCell` with loom's interface (access through closures), so
/// that loom can check the accesses in model runs.
#[cfg(not(goro_loom))]
#[derive(Debug)]
pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

#[cfg(not(goro_loom))]
impl<T> UnsafeCell<T> {
    pub(crate) const fn new(value: T) -> UnsafeCell<T> {
        UnsafeCell(std::cell::UnsafeCell::new(value))
    }

    #[inline(always)]
    pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }

    #[inline(always)]
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}

/// One step of waiting for another thread that is in the middle of a few
/// instructions: spin, then yield the thread. Under loom, a yield, so that
/// the model lets the other thread run.
#[inline]
pub(crate) fn spin_wait(spins: &mut u32) {
    #[cfg(goro_loom)]
    {
        let _ = spins;
        loom::thread::yield_now();
    }
    #[cfg(not(goro_loom))]
    {
        if *spins < 64 {
            *spins += 1;
            std::hint::spin_loop();
        } else {
            std::thread::yield_now();
        }
    }
}

/// After losing a compare-and-swap to another thread: wait a little before
/// trying again, twice as long each time (up to 64 spin hints), so that
/// threads contending for one cache line take turns instead of stealing it
/// from each other on every attempt. Never yields the thread. Under loom,
/// nothing: the model explores the retries themselves.
#[inline]
pub(crate) fn backoff(step: &mut u32) {
    #[cfg(goro_loom)]
    {
        let _ = step;
    }
    #[cfg(not(goro_loom))]
    {
        for _ in 0..1u32 << (*step).min(6) {
            std::hint::spin_loop();
        }
        *step += 1;
    }
}
