//! Go's channels: typed pipes between goroutines.
//!
//! [`chan`](crate::chan())`::<T>(cap)` makes a channel and returns its two
//! ends. With `cap == 0` it is unbuffered: a send completes only when a
//! receiver takes the value (a rendezvous). Otherwise it buffers up to `cap`
//! values, first in first out. Both ends are `Clone`: any number of
//! goroutines may send and receive (each value goes to exactly one
//! receiver).
//!
//! | Go | goro |
//! | --- | --- |
//! | `ch := make(chan T, n)` | `let (tx, rx) = goro::chan::<T>(n);` |
//! | `ch <- v` | `tx.send(v).await?` |
//! | `v, ok := <-ch` | `let v: Option<T> = rx.recv().await;` |
//! | `for v := range ch` | `while let Some(v) = rx.recv().await` (or `rx` as a `Stream`) |
//! | `close(ch)` | `tx.close()` (or drop every `Sender`) |
//! | `len(ch)`, `cap(ch)` | `tx.len()`, `tx.cap()` |
//! | `select { .. }` | [`select!`](crate::select!) |
//!
//! Closing: [`Sender::close`] or [`Receiver::close`], or dropping the last
//! `Sender`. Receivers still get every buffered value, then `None`. A send
//! on a closed channel, or with every `Receiver` gone, returns the value in
//! the error instead of panicking as Go does.
//!
//! Cancellation is safe: dropping a `send` or `recv` future before it
//! completes loses and duplicates nothing. Operations interoperate: a value
//! sent with `send_blocking` on a thread can be received with `recv().await`
//! in a goroutine, and so on.
//!
//! # Examples
//!
//! ```
//! goro::run(async {
//!     let (tx, rx) = goro::chan::<u64>(0);
//!     for worker in 0..4 {
//!         let tx = tx.clone();
//!         goro::go!(async move { tx.send(worker * worker).await.unwrap() });
//!     }
//!     drop(tx);
//!     let mut sum = 0;
//!     while let Some(square) = rx.recv().await {
//!         sum += square;
//!     }
//!     assert_eq!(sum, 0 + 1 + 4 + 9);
//! });
//! ```

/// The methods both ends share: closing, and the channel's state.
macro_rules! state_methods {
    ($end:ident) => {
        impl<T> $end<T> {
            /// Closes the channel; returns `true` if this call closed it.
            /// Receivers still get the values buffered before, then `None`.
            pub fn close(&self) -> bool {
                self.chan.close()
            }

            /// Whether the channel is closed, or every receiver is gone.
            pub fn is_closed(&self) -> bool {
                self.chan.is_closed()
            }

            /// The number of values in the buffer. A value handed to a
            /// receive that was then dropped goes back to the buffer, so an
            /// unbuffered channel can briefly report 1.
            pub fn len(&self) -> usize {
                self.chan.len()
            }

            /// Whether the buffer holds no value.
            pub fn is_empty(&self) -> bool {
                self.len() == 0
            }

            /// The buffer's capacity; 0 for an unbuffered channel.
            pub fn cap(&self) -> usize {
                self.chan.cap()
            }
        }
    };
}
use state_methods;

mod buffered;
mod core;
mod error;
mod op;
mod queues;
mod receiver;
mod ring;
pub(crate) mod select;
mod sender;
mod unbuffered;
mod waiter;

#[cfg(test)]
mod tests;

use std::sync::Arc;

pub(crate) use self::core::Offer;
pub use error::{SendError, TryRecvError, TrySendError};
pub use receiver::{Receiver, Recv};
#[doc(hidden)]
pub use select::{branch, Branch};
pub use select::{select_slice, try_select_slice, Selectable};
pub use sender::{Send, Sender};

/// Makes a channel of `T` with room for `cap` values; `cap == 0` makes an
/// unbuffered (rendezvous) channel. See [the module](mod@crate::chan).
///
/// As Go's `make(chan T, cap)` does, a buffered channel allocates its whole
/// buffer here: `cap` slots of a `T` and a stamp (`usize`) each. Sends and
/// receives on it take no lock.
///
/// # Panics
///
/// If `cap` is too large for a buffer (more than `usize::MAX / 4` slots,
/// or more memory than can be allocated), with a message that starts
/// `goro::chan: capacity`. A channel of a zero-sized type (`chan::<()>`,
/// Go's `chan struct{}`) allocates no buffer: any capacity up to
/// `usize::MAX / 4` costs the same.
///
/// # Examples
///
/// ```
/// goro::run(async {
///     let (tx, rx) = goro::chan::<String>(1);
///     tx.send("buffered".to_string()).await.unwrap();
///     assert_eq!(tx.len(), 1);
///     assert_eq!(rx.recv().await.as_deref(), Some("buffered"));
/// });
/// ```
pub fn chan<T>(cap: usize) -> (Sender<T>, Receiver<T>) {
    let chan = Arc::new(core::Chan::new(cap));
    (
        Sender {
            chan: Arc::clone(&chan),
        },
        Receiver::new(chan),
    )
}
