//! Go's `time` helpers for goroutines: [`sleep`], and [`after`] and [`tick`],
//! which deliver on channels so that they work as [`select!`](crate::select!)
//! branches.

use std::future::Future;
use std::panic::Location;
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use crate::chan::{chan, Receiver, TrySendError};
use crate::runtime::poll::Waits;
use crate::runtime::status::{kind, Word};

/// Waits for `duration` without blocking the worker thread: Go's
/// `time.Sleep`.
///
/// # Examples
///
/// ```
/// goro::run(async {
///     goro::time::sleep(std::time::Duration::from_millis(1)).await;
/// });
/// ```
pub async fn sleep(duration: Duration) {
    Waits::new(Word::of(kind::SLEEP), tokio::time::sleep(duration)).await;
}

/// A channel that receives the current time once, after `duration`: Go's
/// `time.After`. Its capacity is 1, so the value waits there until someone
/// receives it. The timer behind it stops as soon as its receiver is
/// dropped (as Go's do since Go 1.23).
///
/// # Examples
///
/// A receive with a timeout:
///
/// ```
/// use std::time::Duration;
///
/// goro::run(async {
///     let (_tx, rx) = goro::chan::<u32>(0);
///     let timeout = goro::time::after(Duration::from_millis(10));
///     let got = goro::select! {
///         v = rx.recv() => v,
///         _ = timeout.recv() => None,
///     };
///     assert_eq!(got, None);
/// });
/// ```
#[track_caller]
pub fn after(duration: Duration) -> Receiver<Instant> {
    let (tx, rx) = chan(1);
    internal(&AFTER, async move {
        tokio::select! {
            () = tokio::time::sleep(duration) => {
                let _ = tx.try_send(Instant::now());
            }
            () = tx.gone() => {}
        }
    });
    rx
}

/// A channel that receives the current time every `period`: Go's
/// `time.Tick`. Its capacity is 1: a receiver that falls behind finds one
/// tick waiting and the others dropped, as in Go. The ticking stops as soon
/// as every receiver is dropped.
///
/// # Panics
///
/// Panics if `period` is zero, as Go's `time.NewTicker` does.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// goro::run(async {
///     let ticks = goro::time::tick(Duration::from_millis(1));
///     for _ in 0..3 {
///         ticks.recv().await.unwrap();
///     }
/// });
/// ```
#[track_caller]
pub fn tick(period: Duration) -> Receiver<Instant> {
    assert!(
        !period.is_zero(),
        "goro::time::tick: the period must be greater than zero"
    );
    let (tx, rx) = chan(1);
    internal(&TICK, async move {
        // A period past the timer's range never ticks.
        let Some(start) = tokio::time::Instant::now().checked_add(period) else {
            tx.gone().await;
            return;
        };
        let mut interval = tokio::time::interval_at(start, period);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = interval.tick() => {
                    if let Err(TrySendError::Closed(_)) = tx.try_send(Instant::now()) {
                        return;
                    }
                }
                () = tx.gone() => return,
            }
        }
    });
    rx
}

/// The names of goro's own timer goroutines, made once.
static AFTER: LazyLock<Arc<str>> = LazyLock::new(|| Arc::from("goro::time::after"));
static TICK: LazyLock<Arc<str>> = LazyLock::new(|| Arc::from("goro::time::tick"));

/// Starts one of goro's own goroutines, named `name` (`goro::..`, which
/// `goro::leaked` leaves out), as if at the caller's call site.
#[track_caller]
fn internal<F>(name: &LazyLock<Arc<str>>, future: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    drop(crate::spawn::spawn_at(
        future,
        Some(Arc::clone(name)),
        Location::caller(),
    ));
}
