//! `goro::time`: sleep, after, tick, Timer, Ticker, after_func, Time.
//!
//! No assertion here depends on how late a timer fires: where a test must
//! see a timer fire, it waits for the event with a generous timeout; where
//! it must see one not fire, the promise holds at once (a stopped timer's
//! channel is empty when `stop` returns) and a later look only adds a
//! chance to catch a bug.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use goro::chan::{Receiver, TryRecvError};
use goro::time::{after, after_func, sleep, tick, Ticker, Time, Timer};

/// Long enough never to come during a test.
const HOUR: Duration = Duration::from_secs(3600);
/// How long a test waits for something that must happen.
const PATIENCE: Duration = Duration::from_secs(60);

/// The next value on `c`, or a failure after `PATIENCE`.
async fn next(c: &Receiver<Time>) -> Time {
    goro::select! {
        v = c.recv() => v.expect("a timer's channel never closes"),
        _ = after(PATIENCE).recv() => panic!("nothing came in {PATIENCE:?}"),
    }
}

/// Waits until `cond` holds, polling, or fails after `PATIENCE`.
async fn until(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < PATIENCE, "{what}: not in {PATIENCE:?}");
        sleep(Duration::from_micros(200)).await;
    }
}

#[goro::test]
async fn sleep_waits_at_least_its_duration() {
    for micros in [0, 1, 50, 1000, 3000] {
        let d = Duration::from_micros(micros);
        let start = Instant::now();
        sleep(d).await;
        assert!(start.elapsed() >= d, "{d:?}");
    }
}

#[goro::test]
async fn a_sleep_too_long_for_the_clock_never_ends_and_never_panics() {
    let timed_out = tokio::time::timeout(Duration::from_millis(20), sleep(Duration::MAX)).await;
    assert!(timed_out.is_err());
}

#[goro::test]
async fn dropped_sleeps_leave_nothing_behind_that_fires() {
    // Sleeps started and dropped: their entries are swept out of the
    // heap, and none of their wakers is kept.
    for _ in 0..1000 {
        let timed_out = tokio::time::timeout(Duration::ZERO, sleep(HOUR)).await;
        assert!(timed_out.is_err());
    }
    sleep(Duration::from_millis(1)).await;
}

#[test]
fn sleep_works_outside_any_runtime() {
    let start = Instant::now();
    futures::executor::block_on(sleep(Duration::from_millis(2)));
    assert!(start.elapsed() >= Duration::from_millis(2));
}

#[goro::test]
async fn after_delivers_the_time_once_and_its_channel_stays_open() {
    let start = Instant::now();
    let c = after(Duration::from_millis(2));
    let at = next(&c).await;
    assert!(at >= start + Duration::from_millis(2), "{at:?}");
    assert!(*at <= Instant::now());
    // Go's channel never closes: a second receive would wait forever.
    assert_eq!(c.try_recv(), Err(TryRecvError::Empty));
    assert!(!c.is_closed());
}

#[goro::test]
async fn tick_delivers_rising_times() {
    let ticks = tick(Duration::from_millis(1));
    let a = next(&ticks).await;
    let b = next(&ticks).await;
    let c = next(&ticks).await;
    assert!(a < b && b < c);
}

#[goro::test]
async fn a_zero_tick_never_ticks_like_gos_nil_channel() {
    let ticks = tick(Duration::ZERO);
    goro::select! {
        v = ticks.recv() => panic!("a zero tick delivered {v:?}"),
        _ = after(Duration::from_millis(20)).recv() => {}
    }
    assert!(!ticks.is_closed());
}

#[goro::test]
async fn extreme_durations_never_fire_and_never_panic() {
    let c = after(Duration::MAX);
    let t = tick(Duration::MAX);
    let timer = Timer::new(Duration::MAX);
    let ticker = Ticker::new(Duration::MAX);
    goro::select! {
        v = c.recv() => panic!("after(MAX) delivered {v:?}"),
        v = t.recv() => panic!("tick(MAX) delivered {v:?}"),
        v = timer.c.recv() => panic!("Timer(MAX) delivered {v:?}"),
        v = ticker.c.recv() => panic!("Ticker(MAX) delivered {v:?}"),
        _ = after(Duration::from_millis(20)).recv() => {}
    }
    assert!(timer.reset(Duration::MAX));
    assert!(timer.stop());
    assert!(!timer.stop());
    ticker.reset(Duration::MAX);
    ticker.stop();
}

#[goro::test]
async fn timers_and_tickers_start_no_goroutine() {
    let before = goro::num_goroutine();
    let mut keep = Vec::new();
    for _ in 0..100 {
        keep.push(after(HOUR));
        keep.push(tick(HOUR));
        keep.push(after(Duration::ZERO));
        keep.push(Timer::new(HOUR).c);
        keep.push(Ticker::new(HOUR).c);
    }
    let timers: Vec<Timer> = (0..100).map(|_| after_func(HOUR, || {})).collect();
    assert_eq!(goro::num_goroutine(), before);
    drop((keep, timers));
}

#[goro::test]
async fn a_timer_fires_once_and_then_stop_says_false() {
    let timer = Timer::new(Duration::from_millis(1));
    next(&timer.c).await;
    assert!(!timer.stop(), "the value was received: nothing to stop");
    assert!(!timer.reset(HOUR), "expired and received: reset says false");
    assert!(timer.stop(), "armed again by reset");
}

#[goro::test]
async fn stop_before_firing_says_true_once_and_nothing_comes() {
    let timer = Timer::new(Duration::from_millis(2));
    assert!(timer.stop());
    assert!(!timer.stop());
    assert_eq!(timer.c.try_recv(), Err(TryRecvError::Empty));
    sleep(Duration::from_millis(5)).await;
    assert_eq!(timer.c.try_recv(), Err(TryRecvError::Empty));
}

#[goro::test]
async fn stop_after_firing_takes_the_unreceived_value_go_1_23() {
    let timer = Timer::new(Duration::from_micros(100));
    until("the timer fired", || timer.c.len() == 1).await;
    assert!(
        timer.stop(),
        "a value still waited: stop prevented its receipt"
    );
    assert_eq!(timer.c.try_recv(), Err(TryRecvError::Empty));
    assert!(!timer.stop());
}

#[goro::test]
async fn reset_after_firing_drops_the_stale_value() {
    let timer = Timer::new(Duration::from_micros(100));
    until("the timer fired", || timer.c.len() == 1).await;
    let before_reset = Instant::now();
    assert!(timer.reset(Duration::from_millis(2)));
    assert_eq!(timer.c.len(), 0, "no stale value after reset");
    let at = next(&timer.c).await;
    assert!(
        at >= before_reset + Duration::from_millis(2),
        "the value is the new arming's"
    );
}

#[goro::test]
async fn reset_while_a_receiver_waits_delivers_to_it() {
    let timer = Arc::new(Timer::new(HOUR));
    let (done_tx, done) = goro::chan(0);
    let waiting = timer.clone();
    goro::go!(async move {
        let at = next(&waiting.c).await;
        done_tx.send(at).await.unwrap();
    });
    goro::time::sleep(Duration::from_millis(1)).await;
    assert!(timer.reset(Duration::from_millis(1)), "it was armed");
    assert!(done.recv().await.is_some());
}

#[goro::test]
async fn stop_racing_the_fire_never_leaves_a_value_behind() {
    // Timers due about when they are stopped: whichever wins, once stop
    // returns the channel is empty and stays so, and stop's answer agrees
    // with what happened.
    for i in 0..2000u64 {
        let timer = Timer::new(Duration::from_nanos(i * 37 % 150_000));
        let spin = Instant::now();
        while spin.elapsed() < Duration::from_nanos(i * 53 % 100_000) {
            std::hint::spin_loop();
        }
        timer.stop();
        assert_eq!(timer.c.try_recv(), Err(TryRecvError::Empty), "round {i}");
        assert!(!timer.stop(), "round {i}: stopped twice");
    }
    sleep(Duration::from_millis(1)).await;
}

#[goro::test]
async fn stop_racing_the_fire_from_another_thread() {
    // The same race with the stop on a thread of its own while a goroutine
    // waits on the channel: every round, exactly one of "stop says true"
    // and "the receiver got the value" happens.
    for round in 0..300u64 {
        let timer = Arc::new(Timer::new(Duration::from_micros(round % 60)));
        let (got_tx, got) = goro::chan::<bool>(1);
        let receiver = timer.clone();
        goro::go!(async move {
            let v = goro::select! {
                v = receiver.c.recv() => v.is_some(),
                _ = after(Duration::from_millis(50)).recv() => false,
            };
            got_tx.send(v).await.unwrap();
        });
        let stopper = timer.clone();
        let stopped = goro::blocking(move || {
            std::thread::sleep(Duration::from_micros(round % 40));
            stopper.stop()
        })
        .await;
        let received = got.recv().await.unwrap();
        assert!(
            stopped != received,
            "round {round}: stop said {stopped}, receiver got a value: {received}"
        );
    }
}

#[goro::test]
async fn a_timer_is_a_select_branch() {
    let timer = Timer::new(Duration::from_millis(1));
    let (_tx, rx) = goro::chan::<u32>(0);
    let which = goro::select! {
        _ = rx.recv() => "channel",
        _ = timer.c.recv() => "timer",
    };
    assert_eq!(which, "timer");
}

#[goro::test]
async fn a_ticker_ticks_until_stopped_and_then_never() {
    let ticker = Ticker::new(Duration::from_micros(300));
    for _ in 0..5 {
        next(&ticker.c).await;
    }
    ticker.stop();
    assert_eq!(ticker.c.try_recv(), Err(TryRecvError::Empty));
    sleep(Duration::from_millis(3)).await;
    assert_eq!(ticker.c.try_recv(), Err(TryRecvError::Empty));
    ticker.reset(Duration::from_micros(300));
    next(&ticker.c).await;
}

#[goro::test]
async fn a_slow_receiver_finds_one_tick_waiting() {
    let ticker = Ticker::new(Duration::from_micros(100));
    until("a tick", || ticker.c.len() == 1).await;
    sleep(Duration::from_millis(2)).await;
    assert_eq!(ticker.c.len(), 1, "ticks for a slow receiver are dropped");
    next(&ticker.c).await;
    next(&ticker.c).await;
}

#[goro::test]
async fn ticker_reset_changes_the_period() {
    let ticker = Ticker::new(HOUR);
    ticker.reset(Duration::from_micros(200));
    let a = next(&ticker.c).await;
    let b = next(&ticker.c).await;
    assert!(b > a);
}

#[test]
#[should_panic(expected = "Ticker::new: the period must be greater than zero")]
fn a_ticker_refuses_a_zero_period() {
    goro::Builder::new().panic(goro::Panic::Isolate).run(async {
        Ticker::new(Duration::ZERO);
    });
}

#[test]
#[should_panic(expected = "Ticker::reset: the period must be greater than zero")]
fn ticker_reset_refuses_a_zero_period() {
    goro::Builder::new().panic(goro::Panic::Isolate).run(async {
        Ticker::new(HOUR).reset(Duration::ZERO);
    });
}

#[goro::test]
async fn after_func_runs_in_a_goroutine_of_its_own() {
    let (tx, rx) = goro::chan(1);
    let _timer = after_func(Duration::from_millis(1), move || {
        let _ = tx.try_send(goro::id());
    });
    let id = rx.recv().await.unwrap();
    assert!(id.is_some());
    assert_ne!(id, goro::id());
}

#[goro::test]
async fn after_func_stopped_in_time_never_runs() {
    let ran = Arc::new(AtomicUsize::new(0));
    let counted = ran.clone();
    let timer = after_func(HOUR, move || {
        counted.fetch_add(1, Ordering::SeqCst);
    });
    assert!(timer.stop());
    assert!(!timer.stop());
    drop(timer);
    sleep(Duration::from_millis(2)).await;
    assert_eq!(ran.load(Ordering::SeqCst), 0);
}

#[goro::test]
async fn after_func_runs_again_after_reset_and_a_dropped_timer_still_runs() {
    let (tx, rx) = goro::chan(2);
    let timer = after_func(Duration::from_micros(100), move || {
        let _ = tx.try_send(());
    });
    rx.recv().await.unwrap();
    assert!(!timer.reset(Duration::from_micros(100)), "it had fired");
    drop(timer);
    rx.recv().await.unwrap();
    // Its channel never receives.
    let timer = after_func(HOUR, || {});
    assert_eq!(timer.c.try_recv(), Err(TryRecvError::Empty));
}

#[goro::test]
async fn times_print_as_go_prints_them() {
    let at = next(&after(Duration::ZERO)).await;
    let text = at.to_string();
    // 2026-12-05 22:47:27.123456789 +0000 UTC (the fraction may be shorter).
    let bytes = text.as_bytes();
    assert!(text.ends_with(" +0000 UTC"), "{text}");
    assert_eq!(
        (bytes[4], bytes[7], bytes[10], bytes[13], bytes[16]),
        (b'-', b'-', b' ', b':', b':'),
        "{text}"
    );
    assert!(text[..4].parse::<u32>().unwrap() >= 2024, "{text}");
    assert_eq!(format!("{at:?}"), format!("Time({text})"));
}
