//! Scheduler tracing for goro.
//!
//! goro's goroutine wrapper reports spawns, polls, wakes, blocking hand-offs
//! and goroutine ends to the recorder here; the exporters turn a recording
//! into three files:
//!
//! - `trace.json`: Chrome Trace Event JSON that opens in Perfetto
//!   (<https://ui.perfetto.dev>), one track per thread, one slice per poll,
//!   flow arrows from spawn and wake to the poll that follows;
//! - `timeline.html`: a self-contained picture (inline SVG) of the workers
//!   over time, goroutine slices coloured by spawn location;
//! - `summary.txt`: goroutines grouped by spawn location with their busy,
//!   scheduled and idle time, wake-to-poll latency percentiles, worker
//!   utilisation and the longest polls.
//!
//! Programs do not use this crate directly: `goro` enables it with its
//! `trace` feature (on by default), and `GORO_TRACE=dir` in the environment
//! records and writes `dir/trace.json`, `dir/timeline.html` and
//! `dir/summary.txt`.

#![deny(unsafe_code)]

pub mod event;
pub mod export;

pub use event::{AliveGoroutine, Event, GoroutineInfo, Outcome, ThreadInfo, ThreadKind, Trace};
pub mod clock;
mod loom;
pub mod recorder;
pub mod watchdog;
