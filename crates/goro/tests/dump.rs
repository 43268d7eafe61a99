//! `goro::dump()`: every live goroutine with its state, consistent under
//! concurrent starts, ends, panics and aborts.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use goro::sync::WaitGroup;
use goro::{GoroutineId, Panic, State};

/// Waits (yielding) until `ok` holds for the dump's entry of `id`; panics
/// after a generous timeout with the last dump.
async fn until(id: GoroutineId, ok: impl Fn(&State) -> bool) -> goro::GoroutineDump {
    let start = Instant::now();
    loop {
        let dump = goro::dump();
        if let Some(g) = dump.get(id) {
            if ok(g.state()) {
                return g.clone();
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "goroutine {id} never reached the state; last dump:\n{dump}"
        );
        goro::time::sleep(Duration::from_millis(1)).await;
    }
}

#[goro::test]
async fn each_wait_shows_its_state() {
    let (jobs_tx, jobs) = goro::chan::<u32>(0);
    let jobs2 = jobs.clone();
    let (full_tx, _full_rx) = goro::chan::<u32>(1);
    full_tx.send(0).await.unwrap();
    let (_a_tx, a) = goro::chan::<u32>(3);
    let (_b_tx, b) = goro::chan::<u32>(0);
    let group = WaitGroup::new();
    group.add(1);
    let (release_tx, release) = mpsc::channel::<()>();
    let (pool_tx, pool) = mpsc::channel::<()>();
    let notify = Arc::new(tokio::sync::Notify::new());

    let recv1 = goro::go!(async move { jobs.recv().await });
    let recv2 = goro::go!(async move { jobs2.recv().await });
    let sender = goro::go!(async move { full_tx.send(1).await });
    let selector = goro::go!(async move {
        goro::select! {
            v = a.recv() => v,
            v = b.recv() => v,
        }
    });
    let waiter = goro::go!({
        let group = group.clone();
        async move { group.wait().await }
    });
    let sleeper = goro::go!(goro::time::sleep(Duration::from_secs(3600)));
    let caller = goro::go!(goro::blocking(move || release.recv()));
    let pooled = goro::spawn_blocking(move || pool.recv());
    let other = goro::go!({
        let notify = notify.clone();
        async move { notify.notified().await }
    });

    let r1 = until(recv1.id(), |s| matches!(s, State::ChanReceive { .. })).await;
    let r2 = until(recv2.id(), |s| matches!(s, State::ChanReceive { .. })).await;
    match (r1.state(), r2.state()) {
        (
            State::ChanReceive {
                chan: c1,
                capacity: 0,
                len: 0,
            },
            State::ChanReceive { chan: c2, .. },
        ) => assert_eq!(c1, c2, "one channel, one number"),
        states => panic!("{states:?}"),
    }
    let s = until(sender.id(), |s| matches!(s, State::ChanSend { .. })).await;
    assert!(matches!(
        s.state(),
        State::ChanSend {
            capacity: 1,
            len: 1,
            ..
        }
    ));
    until(selector.id(), |s| *s == State::Select { branches: 2 }).await;
    until(waiter.id(), |s| *s == State::WaitGroup).await;
    until(sleeper.id(), |s| *s == State::Sleep).await;
    until(caller.id(), |s| *s == State::BlockingCall).await;
    until(pooled.id(), |s| *s == State::RunningBlocking).await;
    until(other.id(), |s| *s == State::Other).await;

    let dump = goro::dump();
    let main = dump.get(GoroutineId::MAIN).expect("main is listed");
    assert!(matches!(main.state(), State::Running { .. }), "{main}");
    assert_eq!(main.name(), Some("main"));
    let text = dump.to_string();
    for shown in [
        "[chan receive",
        "[chan send",
        "(capacity 1, length 1)",
        "[select, 2 branches",
        "[WaitGroup wait",
        "[sleep",
        "[blocking call",
        "[running on the blocking pool",
        "[other wait",
        "[running on thread",
    ] {
        assert!(text.contains(shown), "{shown:?} missing from\n{text}");
    }
    let entry = dump.get(recv1.id()).unwrap();
    assert_eq!(entry.parent(), Some(GoroutineId::MAIN));
    assert_eq!(entry.spawned_at().file(), file!());

    // Once they end, they are gone from the dump.
    drop(jobs_tx);
    group.done();
    release_tx.send(()).unwrap();
    pool_tx.send(()).unwrap();
    notify.notify_one();
    let ids = [
        recv1.id(),
        recv2.id(),
        waiter.id(),
        caller.id(),
        pooled.id(),
        other.id(),
        sleeper.id(),
    ];
    recv1.await.unwrap();
    recv2.await.unwrap();
    waiter.await.unwrap();
    caller.await.unwrap().unwrap();
    pooled.await.unwrap().unwrap();
    other.await.unwrap();
    sleeper.abort();
    assert!(sleeper.await.unwrap_err().is_cancelled());
    let dump = goro::dump();
    for id in ids {
        assert!(dump.get(id).is_none(), "goroutine {id} ended:\n{dump}");
    }
}

/// A poll that waits on a goro primitive and on something goro cannot see
/// into at once (a Tokio timer, a `tokio::sync` lock) waits on the latter
/// too: it shows `Other`, never the goro wait alone.
#[goro::test]
async fn a_goro_wait_beside_a_tokio_one_is_other() {
    let (tx, rx) = goro::chan::<u32>(0);
    let timed = goro::go!({
        let rx = rx.clone();
        async move { tokio::time::timeout(Duration::from_secs(3600), rx.recv()).await }
    });
    let lock = std::sync::Arc::new(tokio::sync::Mutex::new(()));
    let held = lock.clone().lock_owned().await;
    let selecting = goro::go!(async move {
        tokio::select! {
            v = rx.recv() => v,
            _ = lock.lock() => None,
        }
    });
    let plain = goro::go!({
        let (keep, rx) = goro::chan::<u32>(0);
        async move {
            let _keep = keep;
            rx.recv().await
        }
    });
    until(plain.id(), |s| matches!(s, State::ChanReceive { .. })).await;
    until(timed.id(), |s| *s == State::Other).await;
    until(selecting.id(), |s| *s == State::Other).await;
    // They stay so: each poll of theirs keeps the foreign waker again.
    for _ in 0..3 {
        goro::gosched().await;
        let dump = goro::dump();
        assert_eq!(
            dump.get(timed.id()).unwrap().state(),
            &State::Other,
            "{dump}"
        );
        assert_eq!(
            dump.get(selecting.id()).unwrap().state(),
            &State::Other,
            "{dump}"
        );
    }
    drop(held);
    drop(tx);
    plain.abort();
    let _ = (timed.await, selecting.await, plain.await);
}

#[goro::test]
async fn names_parents_and_the_time_in_a_state_show() {
    let (_tx, rx) = goro::chan::<()>(0);
    let child = goro::Goroutine::new().name("listener").spawn(async move {
        let inner = goro::go!(async move { rx.recv().await });
        let id = inner.id();
        (id, inner.await)
    });
    let dump = loop {
        let dump = goro::dump();
        if dump.goroutines().iter().any(|g| {
            g.parent() == Some(child.id()) && matches!(g.state(), State::ChanReceive { .. })
        }) {
            break dump;
        }
        goro::time::sleep(Duration::from_millis(1)).await;
    };
    let named = dump.get(child.id()).expect("listed");
    assert_eq!(named.name(), Some("listener"));
    assert!(named
        .to_string()
        .starts_with(&format!("goroutine {} \"listener\" [", child.id())));
    let grandchild = dump
        .goroutines()
        .iter()
        .find(|g| g.parent() == Some(child.id()))
        .unwrap();
    assert_eq!(grandchild.name(), None);
    // The coarse clock moves on while it waits.
    goro::time::sleep(Duration::from_millis(1200)).await;
    let later = goro::dump();
    let since = later.get(grandchild.id()).unwrap().since();
    assert!(since >= Duration::from_millis(1000), "{since:?}");
    assert!(later.to_string().contains("seconds]"), "{later}");
    child.abort();
}

/// Dumps taken without pause, inside and outside the runtime, while
/// goroutines start, end, panic and are aborted: each completes, lists no
/// goroutine twice, and lists every goroutine known to be parked.
#[test]
fn dumps_under_churn_are_consistent() {
    let builder = goro::Builder::new().worker_threads(2).panic(Panic::Isolate);
    let stop = Arc::new(AtomicBool::new(false));
    let outside = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut dumps = 0u32;
            while !stop.load(Ordering::Relaxed) {
                check(&goro::dump());
                dumps += 1;
            }
            dumps
        })
    };
    builder.run(async move {
        let (_keep, parked_rx) = goro::chan::<()>(0);
        let parked: Vec<_> = (0..50)
            .map(|_| {
                let rx = parked_rx.clone();
                goro::go!(async move { rx.recv().await })
            })
            .collect();
        let ids: Vec<_> = parked.iter().map(|g| g.id()).collect();
        for &id in &ids {
            until(id, |s| matches!(s, State::ChanReceive { .. })).await;
        }
        let dumper = goro::go!({
            let ids = ids.clone();
            async move {
                for _ in 0..300 {
                    let dump = goro::dump();
                    check(&dump);
                    for &id in &ids {
                        assert!(dump.get(id).is_some(), "parked {id} missing:\n{dump}");
                    }
                    goro::gosched().await;
                }
            }
        });
        let churn = goro::go!(async {
            for round in 0..300u32 {
                let group = WaitGroup::new();
                for i in 0..20u32 {
                    let h = group.go(async move {
                        if i % 5 == 0 {
                            goro::gosched().await;
                        }
                    });
                    drop(h);
                }
                let panicking = goro::go!(async move {
                    if round % 2 == 0 {
                        panic!("churn {round}");
                    }
                });
                let named = goro::Goroutine::new().name("churn").spawn(goro::gosched());
                let aborted = goro::go!(goro::time::sleep(Duration::from_secs(60)));
                aborted.abort();
                let _ = panicking.await;
                let _ = aborted.await;
                named.await.unwrap();
                group.wait().await;
            }
        });
        churn.await.unwrap();
        dumper.await.unwrap();
    });
    stop.store(true, Ordering::Relaxed);
    assert!(outside.join().unwrap() > 0);
}

fn check(dump: &goro::Dump) {
    let mut seen = HashSet::new();
    for g in dump.goroutines() {
        assert!(seen.insert(g.id()), "goroutine {} twice:\n{dump}", g.id());
    }
    assert!(dump.goroutines().windows(2).all(|w| w[0].id() < w[1].id()));
}

/// The leak check of `#[goro::test]` fails a test that leaves a goroutine
/// waiting, naming it.
mod leaks {
    #[goro::test(leaks = "allow")]
    async fn leaked_lists_a_goroutine_left_waiting_and_not_one_that_ended() {
        let (tx, rx) = goro::chan::<u32>(0);
        let ends = goro::go!({
            let rx = rx.clone();
            async move { while rx.recv().await.is_some() {} }
        });
        let (_keep, never) = goro::chan::<()>(0);
        let stuck = goro::Goroutine::new()
            .name("stuck")
            .spawn(async move { never.recv().await });
        drop((tx, rx));
        let leaked = goro::leaked().await;
        assert_eq!(leaked.len(), 1, "{leaked}");
        assert_eq!(leaked.goroutines()[0].id(), stuck.id());
        assert!(leaked.get(ends.id()).is_none());
        // A timer is no goroutine.
        let _timer = goro::time::after(std::time::Duration::from_secs(3600));
        assert_eq!(goro::leaked().await.len(), 1);
    }

    #[goro::test]
    async fn a_test_whose_goroutines_end_with_its_locals_passes() {
        let (tx, rx) = goro::chan::<u32>(0);
        goro::go!(async move { while rx.recv().await.is_some() {} });
        tx.send(1).await.unwrap();
        // `tx` is dropped as the body returns, which ends the goroutine.
    }

    #[goro::test]
    #[should_panic(expected = "the test leaked 1 goroutine (alive at its end):\n\ngoroutine")]
    async fn a_test_that_leaks_fails_with_the_dump() {
        let (tx, rx) = goro::chan::<u32>(0);
        goro::Goroutine::new()
            .name("leaky-worker")
            .spawn(async move { rx.recv().await });
        std::mem::forget(tx);
    }
}
