//! Synchronisation between goroutines, after Go's `sync` package and
//! `golang.org/x/sync`.
//!
//! goro's own: [`WaitGroup`], which waits for a set of goroutines to
//! finish, and [`ErrGroup`], which does that and keeps the first error.
//! Where Tokio's type already behaves as a goroutine needs (it waits
//! without blocking the worker thread), goro re-exports it; channels live
//! in [`chan`](mod@crate::chan).
//!
//! | Go | goro |
//! | --- | --- |
//! | `sync.WaitGroup` | [`WaitGroup`] |
//! | `errgroup.Group`, `errgroup.WithContext` | [`ErrGroup`], [`ErrGroup::with_context`] |
//! | `sync.Mutex` | [`Mutex`] (Tokio's: `lock().await`); `std::sync::Mutex` for a short critical section with no `.await` inside |
//! | `sync.RWMutex` | [`RwLock`] (Tokio's) |
//! | `sync.Once`, `sync.OnceValue` | `std::sync::OnceLock` (`get_or_init`), or [`OnceCell`] (Tokio's) for an async initialiser |
//! | `sync.Cond` | [`Notify`] (Tokio's: `notified().await`, `notify_one`, `notify_waiters`) |
//! | `semaphore.Weighted` (x/sync) | [`Semaphore`] (Tokio's: `acquire_many(n).await`) |
//! | `sync.Map` | a `HashMap` behind a `std::sync::Mutex` or [`RwLock`] (no `sync.Map` of its own) |
//! | `sync.Pool` | a buffered channel of reusable values (`try_recv` to take one, `try_send` to give it back), or a `Vec` behind a mutex |
//! | `atomic.Int64`, `atomic.Value` | `std::sync::atomic`, `Arc` |
//!
//! A goroutine that waits on one of Tokio's locks is not one the deadlock
//! report can see into: it shows as `other wait` in a dump, and it is
//! never reported as deadlocked.

mod err_group;
mod wait_group;

pub use err_group::ErrGroup;
pub use tokio::sync::{Mutex, Notify, OnceCell, RwLock, Semaphore};
pub use wait_group::{Wait, WaitGroup};
