//! The runtime under the goroutines: the thread context, carriers and the
//! slot protocol, the poll wrapper, panics, the hand-off budget, and the
//! configuration read from the environment. Nothing here spawns through
//! the public API or knows of tracing.

pub(crate) mod carriers;
pub(crate) mod config;
pub(crate) mod context;
pub(crate) mod handoff;
pub(crate) mod hosted;
pub(crate) mod hosting;
pub(crate) mod metrics;
pub(crate) mod panic;
pub(crate) mod poll;
pub(crate) mod probe;
pub(crate) mod rlimit;
pub(crate) mod schedtrace;
#[cfg(unix)]
pub(crate) mod signal_pipe;
pub(crate) mod slot;
pub(crate) mod status;
pub(crate) mod threads;
pub(crate) mod timers;
