//! Go's `time` for goroutines: [`sleep`]; [`after`], [`tick`], [`Timer`]
//! and [`Ticker`], which deliver a [`Time`] on a channel so that they work
//! as [`select!`](crate::select!) branches; and [`after_func`].
//!
//! goro keeps time on a thread of its own rather than on Tokio's timer
//! wheel, which counts whole milliseconds: `sleep(Duration::from_millis(1))`
//! takes about a millisecond, as in Go. Timers need no goroutine:
//! [`num_goroutine`](crate::num_goroutine) does not count them. As in Go
//! 1.23 and later, a timer that nothing refers to any more (its
//! [`Timer`] or [`Ticker`] and every clone of its channel dropped) stops,
//! and after [`Timer::stop`] or [`Timer::reset`] returns, no value of the
//! earlier arming can be received.
//!
//! goro's timers follow the real clock; Tokio's paused test clock
//! (`tokio::time::pause`) does not move them.

mod wall;

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use pin_project_lite::pin_project;
use tokio::runtime::Handle;

use crate::chan::{chan, Offer, Receiver, Sender};
use crate::runtime::poll::Waits;
use crate::runtime::status::{kind, Word};
use crate::runtime::timers::{self, Alarm, Deliver, Wakeup};

pub use wall::Time;

/// Waits for `duration` without blocking the worker thread: Go's
/// `time.Sleep`. A duration too long for the clock to hold never ends.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
///
/// goro::run(async {
///     let start = Instant::now();
///     goro::time::sleep(Duration::from_millis(1)).await;
///     assert!(start.elapsed() >= Duration::from_millis(1));
/// });
/// ```
pub fn sleep(duration: Duration) -> Sleep {
    Sleep {
        inner: Waits::new(
            Word::of(kind::SLEEP),
            Nap {
                deadline: timers::deadline(duration),
                wakeup: None,
            },
        ),
    }
}

pin_project! {
    /// The future of [`sleep`]. Dropping it before it completes takes its
    /// timer out at once.
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Sleep {
        #[pin]
        inner: Waits<Nap>,
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.project().inner.poll(cx)
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep").finish_non_exhaustive()
    }
}

/// A sleep's deadline (`None`: never) and its timer, once it waits.
struct Nap {
    deadline: Option<Instant>,
    wakeup: Option<Arc<Wakeup>>,
}

impl Future for Nap {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let Some(deadline) = self.deadline else {
            return Poll::Pending;
        };
        match &self.wakeup {
            Some(wakeup) => {
                if wakeup.poll(cx.waker()) {
                    return Poll::Ready(());
                }
            }
            None => {
                if Instant::now() >= deadline {
                    return Poll::Ready(());
                }
                self.wakeup = Some(Wakeup::at(deadline, cx.waker()));
            }
        }
        Poll::Pending
    }
}

impl Drop for Nap {
    fn drop(&mut self) {
        if let Some(wakeup) = self.wakeup.take() {
            wakeup.cancel();
        }
    }
}

/// A channel that receives the current time once, after `duration`: Go's
/// `time.After`. The timer stops as soon as every receiver is dropped (as
/// Go's do since Go 1.23); the channel never closes.
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
pub fn after(duration: Duration) -> Receiver<Time> {
    Timer::new(duration).c
}

/// A channel that receives the current time every `period`: Go's
/// `time.Tick`. A receiver that falls behind finds one tick waiting and
/// the others dropped, as in Go. The ticking stops as soon as every
/// receiver is dropped. A zero period gives a channel that never receives
/// (Go's `time.Tick` returns a nil channel then).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// goro::run(async {
///     let ticks = goro::time::tick(Duration::from_millis(1));
///     for _ in 0..3 {
///         let at = ticks.recv().await.unwrap();
///         println!("Tick at {at}");
///     }
/// });
/// ```
pub fn tick(period: Duration) -> Receiver<Time> {
    if period.is_zero() {
        return never();
    }
    Ticker::new(period).c
}

/// A single event in the future: Go's `time.Timer`. Its channel [`c`]
/// receives the time once, when the timer fires.
///
/// With Go 1.23's semantics: after [`stop`](Timer::stop) or
/// [`reset`](Timer::reset) returns, `c` holds no value from before, so a
/// receive waits for the next firing; and a timer whose `Timer` and
/// channel are all dropped stops by itself.
///
/// [`c`]: Timer::c
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use goro::time::Timer;
///
/// goro::run(async {
///     let timer1 = Timer::new(Duration::from_millis(5));
///     timer1.c.recv().await.unwrap();
///     println!("Timer 1 fired");
///
///     let timer2 = Timer::new(Duration::from_secs(1));
///     goro::go!(async move {
///         timer2.c.recv().await.unwrap();
///         println!("Timer 2 fired");
///     });
/// });
/// ```
///
/// Stopping a timer before it fires:
///
/// ```
/// use std::time::Duration;
/// use goro::time::Timer;
///
/// goro::run(async {
///     let timer = Timer::new(Duration::from_secs(3600));
///     assert!(timer.stop());
///     assert!(!timer.stop());
///     assert!(timer.c.try_recv().is_err());
/// });
/// ```
pub struct Timer {
    /// The channel on which the timer delivers the time it fired at.
    /// For a timer made by [`after_func`], nothing is ever sent on it.
    pub c: Receiver<Time>,
    alarm: Arc<Alarm<Fire>>,
}

impl Timer {
    /// A timer that sends the current time on its channel after
    /// `duration`: Go's `time.NewTimer`.
    pub fn new(duration: Duration) -> Timer {
        let (c, alarm) = sending();
        alarm.arm(timers::deadline(duration), None, |_, _| ());
        Timer { c, alarm }
    }

    /// Stops the timer: Go's `Timer.Stop`. Returns `true` if this call
    /// stopped it before its time was received: it was armed, or it had
    /// fired and its value still waited on the channel (now taken out).
    /// `false` if it had been stopped already or its value was received.
    pub fn stop(&self) -> bool {
        self.alarm.disarm(|fire, was| fire.drain() | was)
    }

    /// Arms the timer again, to fire after `duration` from now, in place of
    /// any earlier arming: Go's `Timer.Reset`. Returns what
    /// [`stop`](Timer::stop) would have. For a timer made by
    /// [`after_func`], the function runs again after `duration`.
    pub fn reset(&self, duration: Duration) -> bool {
        self.alarm
            .arm(timers::deadline(duration), None, |fire, was| {
                fire.drain() | was
            })
    }
}

impl fmt::Debug for Timer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timer").finish_non_exhaustive()
    }
}

/// Runs `f` in a goroutine of its own after `duration`: Go's
/// `time.AfterFunc`. The returned [`Timer`]'s [`stop`](Timer::stop)
/// keeps `f` from running if it has not started (and returns `true` then);
/// [`reset`](Timer::reset) runs it again later. Dropping the `Timer` does
/// not cancel it. The goroutine starts on the runtime `go!` at the call
/// site would use, as if spawned there; its channel `c` never receives.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// goro::run(async {
///     let (tx, rx) = goro::chan(1);
///     let _timer = goro::time::after_func(Duration::from_millis(1), move || {
///         let _ = tx.try_send("fired");
///     });
///     assert_eq!(rx.recv().await, Some("fired"));
/// });
/// ```
#[track_caller]
pub fn after_func<F>(duration: Duration, f: F) -> Timer
where
    F: Fn() + Send + Sync + 'static,
{
    let (runtime, _, _) = crate::spawn::runtime();
    let alarm = Alarm::new(Fire::Call(Box::new(Call {
        f: Arc::new(f),
        runtime,
        at: Location::caller(),
    })));
    alarm.arm(timers::deadline(duration), None, |_, _| ());
    Timer { c: never(), alarm }
}

/// Ticks at intervals: Go's `time.Ticker`. Its channel [`c`] receives the
/// time of each tick; a receiver that falls behind finds one tick waiting
/// and the others dropped.
///
/// [`c`]: Ticker::c
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use goro::time::Ticker;
///
/// goro::run(async {
///     let ticker = Ticker::new(Duration::from_millis(2));
///     for _ in 0..3 {
///         let t = ticker.c.recv().await.unwrap();
///         println!("Tick at {t}");
///     }
///     ticker.stop();
///     println!("Ticker stopped");
/// });
/// ```
pub struct Ticker {
    /// The channel on which the ticks are delivered.
    pub c: Receiver<Time>,
    alarm: Arc<Alarm<Fire>>,
}

impl Ticker {
    /// A ticker that sends the current time on its channel every
    /// `period`: Go's `time.NewTicker`.
    ///
    /// # Panics
    ///
    /// Panics if `period` is zero, as Go's `time.NewTicker` does.
    #[track_caller]
    pub fn new(period: Duration) -> Ticker {
        positive(period, "Ticker::new");
        let (c, alarm) = sending();
        alarm.arm(timers::deadline(period), Some(period), |_, _| ());
        Ticker { c, alarm }
    }

    /// Stops the ticker: Go's `Ticker.Stop`. No tick is received after it
    /// returns, not even one that was waiting on the channel. The channel
    /// does not close.
    pub fn stop(&self) {
        self.alarm.disarm(|fire, _| {
            fire.drain();
        });
    }

    /// Stops the ticker and starts it again with `period`, the next tick
    /// after `period` from now: Go's `Ticker.Reset`.
    ///
    /// # Panics
    ///
    /// Panics if `period` is zero, as Go's `Ticker.Reset` does.
    #[track_caller]
    pub fn reset(&self, period: Duration) {
        positive(period, "Ticker::reset");
        self.alarm
            .arm(timers::deadline(period), Some(period), |fire, _| {
                fire.drain();
            });
    }
}

impl fmt::Debug for Ticker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ticker").finish_non_exhaustive()
    }
}

#[track_caller]
fn positive(period: Duration, what: &str) {
    assert!(
        !period.is_zero(),
        "goro::time::{what}: the period must be greater than zero"
    );
}

/// A timer's channel and its alarm, disarmed, which sends on it. The
/// channel is unbuffered, as Go's timer channels are since Go 1.23: a
/// firing with no receive waiting leaves its value for the next one.
/// The alarm is the channel's gone-waker: it keeps the channel open (a
/// timer's channel never closes, as in Go) while any receiver is left,
/// and is disarmed, and let go, when the last one is dropped.
fn sending() -> (Receiver<Time>, Arc<Alarm<Fire>>) {
    let (tx, c) = chan(0);
    let alarm = Alarm::new(Fire::Send(tx));
    let gone = alarm.with(|fire| match fire {
        Fire::Send(tx) => tx.when_gone(&Waker::from(Arc::clone(&alarm))),
        Fire::Call(_) => unreachable!("made above"),
    });
    debug_assert!(!gone, "a new timer's channel has its receiver");
    (c, alarm)
}

/// A channel on which nothing is ever sent and which never closes: Go's
/// nil channel, for `tick(0)` and `after_func`'s timers.
fn never() -> Receiver<Time> {
    let (tx, c) = chan(0);
    let gone = tx.when_gone(&Waker::from(Arc::new(Open(tx.clone()))));
    debug_assert!(!gone, "a new channel has its receiver");
    c
}

/// Keeps a channel open until its last receiver is gone.
struct Open(#[allow(dead_code)] Sender<Time>);

impl Wake for Open {
    fn wake(self: Arc<Self>) {}
}

/// What a timer does when it fires.
enum Fire {
    /// Hands the time to a waiting receive, or leaves it for the next
    /// one, or drops it if a value waits already.
    Send(Sender<Time>),
    /// `after_func`: starts a goroutine running a function.
    Call(Box<Call>),
}

struct Call {
    f: Arc<dyn Fn() + Send + Sync>,
    runtime: Handle,
    at: &'static Location<'static>,
}

impl Fire {
    /// Takes a value that waits on the channel; returns whether there was
    /// one.
    fn drain(&self) -> bool {
        match self {
            Fire::Send(tx) => tx.drain(),
            Fire::Call(_) => false,
        }
    }
}

impl Deliver for Fire {
    fn deliver(&mut self) -> bool {
        match self {
            Fire::Send(tx) => tx.offer(Time::now()) != Offer::Closed,
            Fire::Call(call) => {
                // The timer thread is no runtime's: a task on the runtime
                // starts the goroutine there, as `go!` at `at` would.
                let (f, at) = (Arc::clone(&call.f), call.at);
                drop(call.runtime.spawn(async move {
                    drop(crate::spawn::spawn_at(async move { f() }, None, at));
                }));
                true
            }
        }
    }
}

#[cfg(all(test, goro_loom))]
mod loom_tests {
    use super::*;
    use crate::chan::TryRecvError;
    use crate::runtime::timers::{alarms_armed, fire_due};

    /// A due timer fired by the timer thread while it is stopped and a
    /// receive is tried: exactly one of "stop says true" and "the receive
    /// got the value", and no value is left behind.
    #[test]
    fn stop_racing_the_fire_and_a_receive() {
        loom::model(|| {
            let timer = Arc::new(Timer::new(Duration::ZERO));
            let firing = loom::thread::spawn(fire_due);
            let receiver = timer.clone();
            let receiving = loom::thread::spawn(move || receiver.c.try_recv().is_ok());
            let stopped = timer.stop();
            firing.join().unwrap();
            let received = receiving.join().unwrap();
            assert!(
                stopped != received,
                "stopped {stopped}, received {received}"
            );
            assert_eq!(timer.c.try_recv(), Err(TryRecvError::Empty));
            assert!(!alarms_armed());
        });
    }

    /// A reset racing the fire of the arming before: the stale value never
    /// stays, and the new arming counts.
    #[test]
    fn reset_racing_the_fire() {
        loom::model(|| {
            let timer = Timer::new(Duration::ZERO);
            let firing = loom::thread::spawn(fire_due);
            assert!(
                timer.reset(Duration::from_secs(3600)),
                "armed, or its value drained"
            );
            firing.join().unwrap();
            assert_eq!(timer.c.try_recv(), Err(TryRecvError::Empty));
            assert!(alarms_armed());
            assert!(timer.stop());
            assert!(!alarms_armed());
        });
    }

    /// The last receiver dropped while the timer fires: the alarm ends
    /// disarmed either way, and the count of armed alarms agrees.
    #[test]
    fn receivers_gone_racing_the_fire() {
        loom::model(|| {
            let c = after(Duration::ZERO);
            let firing = loom::thread::spawn(fire_due);
            drop(c);
            firing.join().unwrap();
            assert!(!alarms_armed());
        });
    }
}
