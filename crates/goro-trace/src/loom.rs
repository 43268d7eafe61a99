//! The synchronisation primitives the watchdog's slots use: std's, or
//! loom's when built with `RUSTFLAGS="--cfg goro_loom"` for model checking
//! (`tests/loom_watchdog.rs`). The std build is what runs; loom's types are
//! only ever created inside a model.

#[cfg(goro_loom)]
pub(crate) use loom::sync::{
    atomic::{fence, AtomicBool, AtomicPtr, AtomicU64, Ordering},
    Mutex,
};
#[cfg(not(goro_loom))]
pub(crate) use std::sync::{
    atomic::{fence, AtomicBool, AtomicPtr, AtomicU64, Ordering},
    Mutex,
};
