//! `spawn`, `spawn_blocking`, `blocking`, the `Goroutine` builder,
//! `JoinHandle` and `JoinError`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use goro::GoroutineId;

#[goro::test]
async fn main_is_goroutine_1_and_ids_count_up() {
    assert_eq!(goro::id(), Some(GoroutineId::MAIN));
    assert_eq!(GoroutineId::MAIN.as_u64(), 1);
    assert_eq!(GoroutineId::MAIN.to_string(), "1");
    let a = goro::spawn(async { goro::id() });
    let b = goro::spawn_blocking(goro::id);
    let c = goro::spawn(async { goro::id() });
    assert!(a.id() < b.id() && b.id() < c.id());
    assert_eq!(a.id(), a.await.unwrap().unwrap());
    assert_eq!(b.id(), b.await.unwrap().unwrap());
    assert_eq!(c.id(), c.await.unwrap().unwrap());
}

#[test]
fn id_is_none_outside_goroutines() {
    assert_eq!(goro::id(), None);
}

#[goro::test]
async fn spawn_blocking_runs_off_the_worker_threads() {
    let worker = goro::spawn(async { std::thread::current().name().map(String::from) });
    let worker_name = worker.await.unwrap();
    let blocking = goro::spawn_blocking(|| std::thread::current().id());
    let blocking_thread = blocking.await.unwrap();
    assert_eq!(worker_name.as_deref(), Some("goro"));
    assert_ne!(blocking_thread, std::thread::current().id());
}

#[goro::test(worker_threads = 1)]
async fn blocking_leaves_the_only_worker_free() {
    // The blocking call waits until a goroutine on the only worker has run:
    // had it run on that worker, this would deadlock (caught by the timeout).
    let ran = Arc::new(AtomicBool::new(false));
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let flag = ran.clone();
    let call = goro::blocking(move || rx.recv_timeout(Duration::from_secs(60)).is_ok());
    let waiter = goro::go!(call);
    goro::go!(async move {
        flag.store(true, Ordering::SeqCst);
        tx.send(()).unwrap();
    });
    assert!(
        waiter.await.unwrap(),
        "the blocking call never saw the goroutine run"
    );
    assert!(ran.load(Ordering::SeqCst));
}

#[goro::test]
async fn blocking_returns_the_value() {
    let n = goro::blocking(|| 6 * 7).await;
    assert_eq!(n, 42);
}

#[goro::test]
async fn blocking_resumes_a_panic_in_the_caller_under_isolate() {
    let caller = goro::go!(async { goro::blocking(|| -> u32 { panic!("disk on fire") }).await });
    let err = caller.await.unwrap_err();
    assert!(err.is_panic());
    assert_eq!(
        goro::JoinError::into_panic(err)
            .downcast_ref::<&str>()
            .copied(),
        Some("disk on fire")
    );
}

#[goro::test]
async fn named_goroutines_keep_their_name_in_errors() {
    let handle = goro::Goroutine::new()
        .name("acceptor")
        .spawn(async { panic!("refused") });
    let id = handle.id();
    let err = handle.await.unwrap_err();
    assert_eq!(err.id(), id);
    assert_eq!(err.to_string(), format!("goroutine {id} panicked: refused"));
    let blocking = goro::Goroutine::new()
        .name("reader")
        .spawn_blocking(|| 3)
        .await
        .unwrap();
    assert_eq!(blocking, 3);
}

#[goro::test]
async fn abort_cancels_a_parked_goroutine() {
    let handle = goro::spawn(std::future::pending::<()>());
    handle.abort();
    let err = handle.await.unwrap_err();
    assert!(err.is_cancelled());
    assert!(!err.is_panic());
    assert!(err.to_string().ends_with("was cancelled"));
    assert!(err.try_into_panic().is_err());
}

#[goro::test]
async fn abort_after_completion_keeps_the_result() {
    let handle = goro::spawn(async { 9 });
    while !handle.is_finished() {
        goro::gosched().await;
    }
    handle.abort();
    assert_eq!(handle.await.unwrap(), 9);
}

#[goro::test]
async fn dropping_the_handle_detaches_the_goroutine() {
    let (tx, rx) = tokio::sync::oneshot::channel();
    drop(goro::spawn(async move {
        goro::gosched().await;
        tx.send("still ran").unwrap();
    }));
    assert_eq!(rx.await.unwrap(), "still ran");
}

#[goro::test]
async fn num_goroutine_counts_live_goroutines_and_main() {
    assert_eq!(goro::num_goroutine(), 1);
    let (tx, rx) = tokio::sync::watch::channel(false);
    let mut parked = Vec::new();
    for _ in 0..10 {
        let mut rx = rx.clone();
        parked.push(goro::spawn(async move {
            let _ = rx.wait_for(|stop| *stop).await;
        }));
    }
    assert_eq!(goro::num_goroutine(), 11);
    tx.send(true).unwrap();
    for handle in parked {
        handle.await.unwrap();
    }
}

#[goro::test(worker_threads = 3)]
async fn gomaxprocs_reports_the_worker_count() {
    assert_eq!(goro::gomaxprocs(), 3);
}

#[goro::test]
async fn gosched_yields_to_other_goroutines() {
    // With one goroutine spinning on gosched, another still gets to run.
    let flag = Arc::new(AtomicBool::new(false));
    let setter = flag.clone();
    goro::spawn(async move { setter.store(true, Ordering::SeqCst) });
    while !flag.load(Ordering::SeqCst) {
        goro::gosched().await;
    }
}

#[goro::test(worker_threads = 1, leaks = "allow")]
async fn a_pair_handing_off_forever_leaves_the_worker_to_others() {
    // Two goroutines hand a value back and forth forever on the only
    // worker; each hand-off puts the partner first in line (Tokio's LIFO
    // slot). A goroutine one of them starts must still run: goro ends such
    // runs every few polls so that the worker's queue is served
    // (`handoff.rs`), as Tokio's own LIFO limit does.
    let (ping_tx, ping_rx) = goro::chan::<u64>(0);
    let (pong_tx, pong_rx) = goro::chan::<u64>(0);
    let (ran_tx, ran_rx) = std::sync::mpsc::channel::<()>();
    goro::go!(async move {
        while let Some(v) = ping_rx.recv().await {
            if pong_tx.send(v).await.is_err() {
                break;
            }
        }
    });
    goro::go!(async move {
        let mut v = 0;
        while ping_tx.send(v).await.is_ok() {
            let Some(back) = pong_rx.recv().await else {
                break;
            };
            v = back + 1;
            if v == 100 {
                let ran_tx = ran_tx.clone();
                goro::go!(async move {
                    let _ = ran_tx.send(());
                });
            }
        }
    });
    let ran = goro::blocking(move || ran_rx.recv_timeout(Duration::from_secs(60))).await;
    assert!(
        ran.is_ok(),
        "a goroutine waited 60 s behind two goroutines handing off"
    );
}
