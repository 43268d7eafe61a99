//! `goro::sync::WaitGroup`: Go's semantics, `go`, `wait_blocking`, reuse,
//! and many threads at once.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use goro::sync::WaitGroup;

#[goro::test]
async fn wait_returns_at_once_on_a_zero_counter() {
    WaitGroup::new().wait().await;
    // A blocking wait belongs on a plain thread or the blocking pool.
    goro::blocking(|| WaitGroup::new().wait_blocking()).await;
}

#[goro::test]
async fn wait_returns_after_every_done() {
    let wg = WaitGroup::new();
    let finished = Arc::new(AtomicUsize::new(0));
    wg.add(50);
    for _ in 0..50 {
        let (wg, finished) = (wg.clone(), finished.clone());
        goro::go!(async move {
            goro::gosched().await;
            finished.fetch_add(1, Ordering::SeqCst);
            wg.done();
        });
    }
    wg.wait().await;
    assert_eq!(finished.load(Ordering::SeqCst), 50);
}

#[goro::test]
async fn go_marks_done_when_the_goroutine_returns() {
    let wg = WaitGroup::new();
    let handles: Vec<_> = (0..20u32).map(|i| wg.go(async move { i })).collect();
    wg.wait().await;
    let mut sum = 0;
    for h in handles {
        sum += h.await.unwrap();
    }
    assert_eq!(sum, (0..20).sum());
}

#[goro::test]
async fn go_marks_done_when_the_goroutine_panics() {
    let wg = WaitGroup::new();
    let handle = wg.go(async { panic!("unwinding through the facade") });
    wg.wait().await;
    assert!(handle.await.unwrap_err().is_panic());
}

#[goro::test]
async fn go_marks_done_when_the_goroutine_is_aborted() {
    let wg = WaitGroup::new();
    let handle = wg.go(std::future::pending::<()>());
    handle.abort();
    wg.wait().await;
    assert!(handle.await.unwrap_err().is_cancelled());
}

#[test]
fn go_marks_done_when_the_runtime_shuts_down() {
    let wg = WaitGroup::new();
    let inside = wg.clone();
    goro::run(async move {
        inside.go(std::future::pending::<()>());
    });
    // The abandoned goroutine is dropped by the runtime's shutdown.
    let waiter = std::thread::spawn(move || wg.wait_blocking());
    join_within(waiter, Duration::from_secs(60));
}

#[test]
#[should_panic(expected = "sync: negative WaitGroup counter")]
fn done_below_zero_panics_like_go() {
    WaitGroup::new().done();
}

#[test]
#[should_panic(expected = "sync: negative WaitGroup counter")]
fn add_below_zero_panics_like_go() {
    let wg = WaitGroup::new();
    wg.add(2);
    wg.add(-3);
}

#[test]
fn wait_blocking_waits_for_other_threads() {
    let wg = WaitGroup::new();
    let counter = Arc::new(AtomicUsize::new(0));
    wg.add(8);
    for _ in 0..8 {
        let (wg, counter) = (wg.clone(), counter.clone());
        std::thread::spawn(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            wg.done();
        });
    }
    wg.wait_blocking();
    assert_eq!(counter.load(Ordering::SeqCst), 8);
}

#[goro::test]
async fn a_group_can_be_reused_after_its_wait_returned() {
    let wg = WaitGroup::new();
    for round in 0..5 {
        for _ in 0..round + 1 {
            wg.go(goro::gosched());
        }
        wg.wait().await;
    }
}

#[goro::test]
async fn a_dropped_wait_does_not_swallow_the_wakeup_of_another() {
    let wg = WaitGroup::new();
    wg.add(1);
    {
        // Registers, then is dropped while still pending.
        let mut first = Box::pin(wg.wait());
        let waker = futures::task::noop_waker();
        let mut cx = std::task::Context::from_waker(&waker);
        assert!(first.as_mut().poll(&mut cx).is_pending());
    }
    let second = {
        let wg = wg.clone();
        goro::go!(async move { wg.wait().await })
    };
    goro::gosched().await;
    wg.done();
    second.await.unwrap();
}

#[goro::test]
async fn many_waiters_are_all_released() {
    let wg = WaitGroup::new();
    wg.add(1);
    let waiters: Vec<_> = (0..100)
        .map(|_| {
            let wg = wg.clone();
            goro::go!(async move { wg.wait().await })
        })
        .collect();
    let blocking_waiters: Vec<_> = (0..4)
        .map(|_| {
            let wg = wg.clone();
            std::thread::spawn(move || wg.wait_blocking())
        })
        .collect();
    wg.done();
    for w in waiters {
        w.await.unwrap();
    }
    for w in blocking_waiters {
        join_within(w, Duration::from_secs(60));
    }
}

/// Many threads adding and finishing at once, waiters async and blocking,
/// over many rounds: every wait returns, none early.
#[test]
fn stress_many_threads_many_rounds() {
    for _round in 0..200 {
        let wg = WaitGroup::new();
        let finished = Arc::new(AtomicUsize::new(0));
        let workers = 8;
        wg.add(workers as isize);
        let mut threads = Vec::new();
        for _ in 0..workers {
            let (wg, finished) = (wg.clone(), finished.clone());
            threads.push(std::thread::spawn(move || {
                finished.fetch_add(1, Ordering::SeqCst);
                wg.done();
            }));
        }
        let async_waiter = {
            let (wg, finished) = (wg.clone(), finished.clone());
            std::thread::spawn(move || {
                futures::executor::block_on(wg.wait());
                assert_eq!(finished.load(Ordering::SeqCst), workers);
            })
        };
        wg.wait_blocking();
        assert_eq!(finished.load(Ordering::SeqCst), workers);
        join_within(async_waiter, Duration::from_secs(60));
        for t in threads {
            t.join().unwrap();
        }
    }
}

fn join_within(thread: std::thread::JoinHandle<()>, limit: Duration) {
    let step = Duration::from_millis(5);
    let mut waited = Duration::ZERO;
    while !thread.is_finished() {
        assert!(waited < limit, "a wait did not return within {limit:?}");
        std::thread::sleep(step);
        waited += step;
    }
    thread.join().unwrap();
}

use std::future::Future;
