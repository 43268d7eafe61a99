//! Model checks of `WaitGroup` with loom: every interleaving of the counter
//! reaching zero against waiters registering, async and blocking.
//!
//! `RUSTFLAGS="--cfg goro_loom" cargo test -p goro --release --test loom_wait_group`
//! (`.ci/run` does this with its own target directory).
#![cfg(goro_loom)]

use goro::sync::WaitGroup;
use loom::thread;

#[test]
fn done_racing_a_blocking_wait_wakes_it() {
    loom::model(|| {
        let wg = WaitGroup::new();
        wg.add(1);
        let other = wg.clone();
        let t = thread::spawn(move || other.done());
        wg.wait_blocking();
        t.join().unwrap();
    });
}

#[test]
fn done_racing_an_async_wait_wakes_it() {
    loom::model(|| {
        let wg = WaitGroup::new();
        wg.add(1);
        let other = wg.clone();
        let t = thread::spawn(move || other.done());
        loom::future::block_on(wg.wait());
        t.join().unwrap();
    });
}

#[test]
fn two_dones_from_two_threads_release_the_waiter_once_both_ran() {
    loom::model(|| {
        let wg = WaitGroup::new();
        wg.add(2);
        let ran = std::sync::Arc::new(loom::sync::atomic::AtomicUsize::new(0));
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let (wg, ran) = (wg.clone(), ran.clone());
                thread::spawn(move || {
                    ran.fetch_add(1, loom::sync::atomic::Ordering::Relaxed);
                    wg.done();
                })
            })
            .collect();
        loom::future::block_on(wg.wait());
        // The counter reached zero only after both decrements, each made
        // after its increment of `ran`.
        assert_eq!(ran.load(loom::sync::atomic::Ordering::Relaxed), 2);
        for t in threads {
            t.join().unwrap();
        }
    });
}

#[test]
fn a_waiter_released_by_a_zero_crossing_returns_even_if_the_group_is_reused() {
    loom::model(|| {
        let wg = WaitGroup::new();
        wg.add(1);
        let other = wg.clone();
        let t = thread::spawn(move || {
            other.done();
            // Reuse at once: the waiter may see the counter at 1 again.
            other.add(1);
            other.done();
        });
        loom::future::block_on(wg.wait());
        t.join().unwrap();
    });
}

#[test]
fn a_wait_after_reuse_is_not_released_by_the_previous_rounds_zero_crossing() {
    use std::future::Future;
    use std::task::{Context, Poll};
    loom::model(|| {
        let wg = WaitGroup::new();
        wg.add(1);
        let other = wg.clone();
        let t = thread::spawn(move || other.done());
        // Round one ends (maybe by the fast path, while `done` is still
        // releasing), round two starts at once.
        loom::future::block_on(wg.wait());
        wg.add(1);
        let waker = futures::task::noop_waker();
        let mut cx = Context::from_waker(&waker);
        let mut second = Box::pin(wg.wait());
        assert!(second.as_mut().poll(&mut cx).is_pending());
        t.join().unwrap();
        // Round one's release is over; the counter is still 1.
        assert_eq!(second.as_mut().poll(&mut cx), Poll::Pending);
        drop(second);
        wg.done();
    });
}
