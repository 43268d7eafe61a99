//! Synchronisation between goroutines, after Go's `sync` package.
//!
//! Channels live in their own module; this one holds [`WaitGroup`], which
//! waits for a set of goroutines to finish.

mod wait_group;

pub use wait_group::{Wait, WaitGroup};
