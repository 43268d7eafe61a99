//! Goroutines on a goro runtime are hosted by reusable carrier tasks: what
//! that must not change. A goroutine ends once, its handle always resolves,
//! and a carrier's next goroutine is not disturbed by its last one.

use std::future::{poll_fn, Future};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::task::Poll;
use std::time::Duration;

use goro::Panic;

/// Generous: only a hang waits this long.
const HANG: Duration = Duration::from_secs(60);

#[goro::test(worker_threads = 1)]
async fn a_goroutine_aborted_before_it_runs_never_runs() {
    let ran = Arc::new(AtomicBool::new(false));
    let flag = ran.clone();
    // On the only worker, in one poll: the goroutine cannot start before
    // the abort.
    let outcome = goro::go!(async move {
        let handle = goro::spawn(async move { flag.store(true, Ordering::SeqCst) });
        handle.abort();
        handle.await
    })
    .await
    .unwrap();
    assert!(outcome.unwrap_err().is_cancelled());
    assert!(!ran.load(Ordering::SeqCst));
}

#[goro::test(worker_threads = 1)]
async fn a_stale_wake_of_an_ended_goroutine_does_not_disturb_the_next() {
    goro::go!(async {
        // The first goroutine keeps its waker and ends; spawned from the
        // only worker, the next one is hosted by the carrier it left idle.
        let (waker_tx, waker_rx) = mpsc::channel();
        goro::spawn(poll_fn(move |cx| {
            waker_tx.send(cx.waker().clone()).unwrap();
            Poll::Ready(())
        }))
        .await
        .unwrap();
        let stale = waker_rx.recv().unwrap();

        let (tx, rx) = goro::chan::<u32>(0);
        let polls = Arc::new(AtomicUsize::new(0));
        let counted = polls.clone();
        let mut recv = Box::pin(async move { rx.recv().await });
        let waiting = goro::spawn(poll_fn(move |cx| {
            counted.fetch_add(1, Ordering::SeqCst);
            recv.as_mut().poll(cx)
        }));
        for _ in 0..100 {
            stale.wake_by_ref();
            goro::gosched().await;
        }
        assert!(!waiting.is_finished(), "it has nothing to receive yet");
        // The stale wakes reached it (else this test tests nothing).
        assert!(polls.load(Ordering::SeqCst) > 1);
        tx.send(7).await.unwrap();
        assert_eq!(waiting.await.unwrap(), Some(7));
    })
    .await
    .unwrap();
}

#[goro::test(panic = "isolate", worker_threads = 1)]
async fn a_panicking_goroutine_leaves_its_carrier_working() {
    goro::go!(async {
        let err = goro::spawn(async { panic!("boom") }).await.unwrap_err();
        assert!(err.is_panic());
        for i in 0..10 {
            assert_eq!(goro::spawn(async move { i }).await.unwrap(), i);
        }
    })
    .await
    .unwrap();
}

/// A goroutine's future that panics while it is dropped, after it
/// completed: its handle still gets the output (nothing is dropped twice),
/// and goroutines after it run.
#[goro::test(panic = "isolate", worker_threads = 1)]
async fn a_future_panicking_in_its_drop_after_completing_still_gives_its_output() {
    struct PanicsOnDrop;
    impl Drop for PanicsOnDrop {
        fn drop(&mut self) {
            panic!("drop");
        }
    }
    /// Completes with its number, and panics when dropped after.
    struct Armed(usize, PanicsOnDrop);
    impl Future for Armed {
        type Output = usize;
        fn poll(self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> Poll<usize> {
            Poll::Ready(self.0)
        }
    }
    goro::go!(async {
        for i in 0..10 {
            let handle = goro::spawn(Armed(i, PanicsOnDrop));
            let output = tokio::time::timeout(HANG, handle).await;
            assert_eq!(output.expect("the goroutine ends").unwrap(), i);
            assert_eq!(goro::spawn(async move { i + 1 }).await.unwrap(), i + 1);
        }
    })
    .await
    .unwrap();
}

#[goro::test]
async fn a_goroutine_has_ended_for_num_goroutine_when_its_handle_resolves() {
    let handles: Vec<_> = (0..100)
        .map(|i| {
            goro::spawn(async move {
                goro::gosched().await;
                i
            })
        })
        .collect();
    for (i, handle) in handles.into_iter().enumerate() {
        assert_eq!(handle.await.unwrap(), i);
    }
    assert_eq!(goro::num_goroutine(), 1);
}

#[test]
fn a_goroutine_parked_at_mains_end_resolves_as_cancelled() {
    let (handle_tx, handle_rx) = mpsc::channel();
    goro::Builder::new().panic(Panic::Isolate).run(async move {
        handle_tx
            .send(goro::spawn(std::future::pending::<()>()))
            .unwrap();
    });
    let handle = handle_rx.recv().unwrap();
    let (done_tx, done_rx) = mpsc::channel();
    std::thread::spawn(move || done_tx.send(futures::executor::block_on(handle)));
    let outcome = done_rx.recv_timeout(HANG).expect("the handle resolves");
    assert!(outcome.unwrap_err().is_cancelled());
}

#[goro::test]
async fn goroutines_started_from_a_blocking_call_run() {
    let handle = goro::spawn_blocking(|| goro::spawn(async { goro::id() }));
    let inner = handle.await.unwrap();
    let id = inner.id();
    assert_eq!(inner.await.unwrap(), Some(id));
}

#[goro::test]
async fn a_goroutine_ends_for_num_goroutine_before_its_future_is_dropped_and_for_its_handle_after()
{
    /// Tells the test its drop began, then waits to be let go.
    struct Guard {
        dropping: mpsc::Sender<()>,
        release: mpsc::Receiver<()>,
    }
    impl Drop for Guard {
        fn drop(&mut self) {
            self.dropping.send(()).unwrap();
            self.release.recv_timeout(HANG).expect("released");
        }
    }
    let (dropping_tx, dropping_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel();
    let guard = Guard {
        dropping: dropping_tx,
        release: release_rx,
    };
    // A future that owns the guard until it is dropped, after it completed
    // (an async block would drop it as it completes).
    let handle = goro::spawn(poll_fn(move |_| {
        let _owned = &guard;
        Poll::Ready(())
    }));
    // The main goroutine waits off its worker, and looks while a worker
    // drops the goroutine's future.
    goro::blocking(move || dropping_rx.recv_timeout(HANG))
        .await
        .expect("the future is dropped");
    assert_eq!(goro::num_goroutine(), 1);
    // What the future owns (a WaitGroup member, a channel's last sender)
    // is dropped before the handle says the goroutine finished.
    assert!(!handle.is_finished());
    release_tx.send(()).unwrap();
    handle.await.unwrap();
}

/// Stress: goroutines that end at once, wait first, are aborted while they
/// wait or before they run, or panic, started from several goroutines on
/// four workers at once, so that carriers move between workers and the
/// spare list. Every handle resolves as it must, and the count returns to
/// the main goroutine alone.
#[goro::test(panic = "isolate", worker_threads = 4)]
async fn goroutines_ending_every_way_at_once_all_resolve() {
    /// A few: each prints its panic.
    fn panics(i: usize) -> bool {
        i % 1000 < 5
    }
    const SPAWNERS: usize = 8;
    const EACH: usize = 2_000;
    let spawners: Vec<_> = (0..SPAWNERS)
        .map(|s| {
            goro::spawn(async move {
                let (tx, rx) = goro::chan::<()>(0);
                let mut handles = Vec::with_capacity(EACH);
                // Goroutines nobody waits for: their `Join`s' memory goes
                // back to their carriers, for the goroutines above.
                let detached = goro::sync::WaitGroup::new();
                for i in 0..EACH {
                    let waits = rx.clone();
                    drop(detached.go(async move {
                        if i % 2 == 0 {
                            waits.recv().await;
                        }
                        i
                    }));
                    let rx = rx.clone();
                    let handle = match (s + i) % 5 {
                        0 => goro::spawn(async move { i }),
                        1 => goro::spawn(async move {
                            rx.recv().await;
                            i
                        }),
                        2 => goro::spawn(async move {
                            goro::gosched().await;
                            i
                        }),
                        3 => goro::spawn(async move {
                            std::future::pending::<()>().await;
                            i
                        }),
                        _ => goro::spawn(async move {
                            if panics(i) {
                                panic!("goroutine {i} panics");
                            }
                            i
                        }),
                    };
                    if (s + i) % 5 == 3 {
                        handle.abort();
                    }
                    handles.push(handle);
                }
                drop(tx); // releases the waiting ones (receive `None`)
                detached.wait().await;
                for (i, handle) in handles.into_iter().enumerate() {
                    match ((s + i) % 5, handle.await) {
                        (3, Err(err)) => assert!(err.is_cancelled()),
                        (4, Err(err)) if panics(i) => assert!(err.is_panic()),
                        (_, Ok(value)) => assert_eq!(value, i),
                        (kind, other) => panic!("goroutine {i} of kind {kind}: {other:?}"),
                    }
                }
            })
        })
        .collect();
    for spawner in spawners {
        spawner.await.unwrap();
    }
    assert_eq!(goro::num_goroutine(), 1);
}

/// A carrier keeps its last goroutine's memory for the next one of the same
/// layout: goroutines of two sizes, alternating on one worker (each reuses
/// or refuses the memory its carrier kept), each dropped exactly once.
#[goro::test(worker_threads = 1)]
async fn goroutines_of_different_sizes_reusing_carriers_are_each_dropped_once() {
    /// Counts its drops.
    struct Counted(Arc<AtomicUsize>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    const N: usize = 1_000;
    let drops = Arc::new(AtomicUsize::new(0));
    let counted = drops.clone();
    goro::go!(async move {
        for i in 0..N {
            let guard = Counted(counted.clone());
            let handle = if i % 2 == 0 {
                goro::spawn(async move {
                    let _guard = guard;
                    i
                })
            } else {
                let padding = [i as u8; 200];
                goro::spawn(async move {
                    let _guard = guard;
                    usize::from(padding[199]) + i - usize::from(i as u8)
                })
            };
            let output = tokio::time::timeout(HANG, handle).await;
            assert_eq!(output.expect("the goroutine ends").unwrap(), i);
        }
    })
    .await
    .unwrap();
    assert_eq!(drops.load(Ordering::SeqCst), N);
}

/// A goroutine whose handle was dropped leaves its `Join`'s memory to its
/// carrier for the next goroutine. Goroutines of three kinds alternate on
/// one worker: handle dropped with a small output, handle dropped with a
/// bigger one (another `Join` layout), handle kept. Each output is dropped
/// exactly once, and each kept handle gets its own goroutine's output,
/// never one written into memory its handle still uses.
#[goro::test(worker_threads = 1)]
async fn outputs_nobody_waits_for_are_dropped_once_and_kept_handles_get_their_own() {
    /// An output that reports its drop, and fails on a second one.
    struct Output {
        id: usize,
        dropped: Arc<Vec<AtomicBool>>,
        drops: mpsc::Sender<usize>,
    }
    impl Drop for Output {
        fn drop(&mut self) {
            assert!(
                !self.dropped[self.id].swap(true, Ordering::SeqCst),
                "output {} dropped twice",
                self.id
            );
            let _ = self.drops.send(self.id);
        }
    }
    const N: usize = 3_000;
    let dropped = Arc::new((0..N).map(|_| AtomicBool::new(false)).collect::<Vec<_>>());
    let (drops, dropped_ids) = mpsc::channel();
    let mut kept = Vec::new();
    for i in 0..N {
        let output = Output {
            id: i,
            dropped: dropped.clone(),
            drops: drops.clone(),
        };
        match i % 3 {
            0 => drop(goro::go!(async move { output })),
            1 => {
                let padding = [i as u8; 64];
                drop(goro::go!(async move { (padding, output) }));
            }
            _ => kept.push((i, goro::go!(async move { output }))),
        }
        // Let the goroutines run and end now and then, while the kept
        // handles wait.
        if i % 7 == 0 {
            tokio::task::yield_now().await;
        }
    }
    drop(drops);
    for (i, handle) in kept {
        let output = tokio::time::timeout(HANG, handle).await;
        let output = output.expect("the goroutine ends").unwrap();
        assert_eq!(output.id, i);
    }
    // Every output is dropped (the kept ones above), each once (`Output`
    // fails on a second drop).
    let every = goro::blocking(move || {
        let mut seen = vec![false; N];
        for _ in 0..N {
            seen[dropped_ids
                .recv_timeout(HANG)
                .expect("every output dropped")] = true;
        }
        seen.iter().all(|&seen| seen)
    })
    .await;
    assert!(every);
}
