//! The synchronisation primitives goro's own concurrent code uses: std's, or
//! loom's when built with `RUSTFLAGS="--cfg goro_loom"` for model checking.

#[cfg(goro_loom)]
pub(crate) use loom::sync::{
    atomic::{AtomicIsize, AtomicUsize, Ordering},
    Condvar, Mutex, MutexGuard,
};
#[cfg(not(goro_loom))]
pub(crate) use std::sync::{
    atomic::{AtomicIsize, AtomicUsize, Ordering},
    Condvar, Mutex, MutexGuard,
};
