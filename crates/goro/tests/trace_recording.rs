//! What goroutines record while the recorder runs, read from the recorder
//! itself.
//!
//! The recorder is process-wide: the tests here take [`RECORDING`] so that
//! their recordings do not overlap.
#![cfg(feature = "trace")]

use std::sync::mpsc;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use goro_trace::recorder::{self, Config};
use goro_trace::{Event, Outcome, Trace};

/// Only a hang reaches it.
const GENEROUS: Duration = Duration::from_secs(120);

static RECORDING: Mutex<()> = Mutex::new(());

/// Records while `f` runs.
fn record<R>(f: impl FnOnce() -> R) -> (R, Trace) {
    let _one_at_a_time: MutexGuard<'_, ()> =
        RECORDING.lock().unwrap_or_else(PoisonError::into_inner);
    recorder::start(Config::default()).expect("no other recording");
    let output = f();
    (output, recorder::stop().expect("the recording"))
}

fn ends_of(trace: &Trace, goroutine: u64) -> Vec<Outcome> {
    trace
        .events
        .iter()
        .filter_map(|e| match *e {
            Event::End {
                goroutine: g,
                outcome,
                ..
            } if g == goroutine => Some(outcome),
            _ => None,
        })
        .collect()
}

#[test]
fn a_goroutine_aborted_before_its_first_poll_ends_cancelled() {
    let (victim, trace) = record(|| {
        goro::Builder::new()
            .worker_threads(1)
            .watchdog(None)
            .panic(goro::Panic::Isolate)
            // The main goroutine runs on the caller's thread, not the
            // worker, so that it can act while the worker is held.
            .run_local(async {
                // The only worker is held, so the victim cannot be polled
                // before it is aborted.
                let (held_tx, held) = mpsc::channel();
                let (release, release_rx) = mpsc::channel::<()>();
                let holder = goro::go!(async move {
                    held_tx.send(()).unwrap();
                    // Blocks its worker until released, on purpose.
                    let _ = release_rx.recv_timeout(GENEROUS);
                });
                held.recv_timeout(GENEROUS).expect("the holder runs");
                let victim = goro::go!(async { unreachable!("never polled") });
                let id = victim.id().as_u64();
                victim.abort();
                release.send(()).unwrap();
                assert!(victim.await.unwrap_err().is_cancelled());
                holder.await.unwrap();
                id
            })
    });
    assert!(
        trace
            .events
            .iter()
            .any(|e| matches!(*e, Event::Spawn { goroutine, .. } if goroutine == victim)),
        "the spawn is recorded"
    );
    assert!(
        !trace
            .events
            .iter()
            .any(|e| matches!(*e, Event::Poll { goroutine, .. } if goroutine == victim)),
        "never polled"
    );
    assert_eq!(ends_of(&trace, victim), [Outcome::Cancelled]);
    // The exporters take a goroutine that ended without a poll.
    let mut out = Vec::new();
    goro_trace::export::write_chrome_json(&trace, &mut out).unwrap();
    goro_trace::export::write_summary(&trace, &mut out).unwrap();
}

/// Where a goroutine leaves its waker and waits to be woken, `rounds`
/// times; another thread wakes it, by value and by reference in turn.
struct Rendezvous {
    state: Mutex<(Option<std::task::Waker>, bool)>,
    changed: std::sync::Condvar,
}

#[test]
fn each_wake_through_the_recording_waker_is_recorded_once_and_delivered() {
    use std::sync::Arc;
    use std::task::Poll;

    const ROUNDS: usize = 50;
    let rendezvous = Arc::new(Rendezvous {
        state: Mutex::new((None, false)),
        changed: std::sync::Condvar::new(),
    });
    let ((id, same_waker), trace) = record(|| {
        let rendezvous = rendezvous.clone();
        goro::Builder::new()
            .worker_threads(2)
            .watchdog(None)
            .panic(goro::Panic::Isolate)
            .run(async move {
                let r = rendezvous.clone();
                let waiter = goro::go!(async move {
                    // Whether the waker each poll lets a future keep could
                    // stand for the one before (the cache hit).
                    let mut same_waker = 0;
                    let mut last: Option<std::task::Waker> = None;
                    for _ in 0..ROUNDS {
                        std::future::poll_fn(|cx| {
                            let kept = cx.waker().clone();
                            if last.as_ref().is_some_and(|w| w.will_wake(&kept)) {
                                same_waker += 1;
                            }
                            last = Some(kept);
                            let mut state = r.state.lock().unwrap();
                            if std::mem::take(&mut state.1) {
                                return Poll::Ready(());
                            }
                            state.0 = Some(cx.waker().clone());
                            r.changed.notify_all();
                            Poll::Pending
                        })
                        .await;
                    }
                    same_waker
                });
                let id = waiter.id().as_u64();
                // Wakes from a thread outside the runtime (by: none).
                let r = rendezvous.clone();
                let waker_thread = std::thread::spawn(move || {
                    for round in 0..ROUNDS {
                        let state = r.state.lock().unwrap();
                        let (mut state, timeout) = r
                            .changed
                            .wait_timeout_while(state, GENEROUS, |s| s.0.is_none())
                            .unwrap();
                        assert!(!timeout.timed_out(), "round {round}: never waited");
                        let waker = state.0.take().unwrap();
                        state.1 = true;
                        drop(state);
                        if round % 2 == 0 {
                            waker.wake();
                        } else {
                            waker.wake_by_ref();
                        }
                    }
                });
                let same_waker = waiter.await.unwrap();
                waker_thread.join().unwrap();
                (id, same_waker)
            })
    });
    // Every wake reached the goroutine (it finished), each recorded once.
    let wakes: Vec<Option<u64>> = trace
        .events
        .iter()
        .filter_map(|e| match *e {
            Event::Wake { target, by, .. } if target == id => Some(by),
            _ => None,
        })
        .collect();
    assert_eq!(wakes.len(), ROUNDS, "{wakes:?}");
    assert!(wakes.iter().all(Option::is_none), "{wakes:?}");
    // Tokio's waker stays the same, so the recording waker is reused.
    assert!(same_waker >= ROUNDS - 1, "{same_waker} of {ROUNDS}");
    assert_eq!(ends_of(&trace, id), [Outcome::Completed]);
}

#[test]
fn a_recording_started_outside_any_runtime_records_the_global_runtimes_goroutines() {
    let (ids, trace) = record(|| {
        // Spawned from a thread of no runtime: on the process-wide one.
        let handles: Vec<_> = (0..4).map(|i| goro::go!(async move { i })).collect();
        let ids: Vec<u64> = handles.iter().map(|h| h.id().as_u64()).collect();
        for handle in handles {
            futures::executor::block_on(handle).unwrap();
        }
        ids
    });
    for id in ids {
        assert!(
            trace.events.iter().any(
                |e| matches!(*e, Event::Spawn { goroutine, parent: None, .. } if goroutine == id)
            ),
            "the spawn of {id}, by no goroutine"
        );
        assert!(
            trace.events.iter().any(
                |e| matches!(*e, Event::Poll { goroutine, ready: true, .. } if goroutine == id)
            ),
            "the poll of {id}"
        );
        assert_eq!(ends_of(&trace, id), [Outcome::Completed]);
        assert!(trace.goroutines.contains_key(&id), "who {id} is");
    }
}

#[test]
fn a_spawn_blocking_goroutine_records_its_end() {
    let ((done, failed), trace) = record(|| {
        goro::Builder::new()
            .watchdog(None)
            .panic(goro::Panic::Isolate)
            .run(async {
                let done = goro::spawn_blocking(|| 6 * 7);
                let done_id = done.id();
                assert_eq!(done.await.unwrap(), 42);
                let failed = goro::spawn_blocking(|| panic!("on purpose"));
                let failed_id = failed.id();
                assert!(failed.await.unwrap_err().is_panic());
                (done_id, failed_id)
            })
    });
    assert_eq!(ends_of(&trace, done.as_u64()), [Outcome::Completed]);
    assert_eq!(ends_of(&trace, failed.as_u64()), [Outcome::Panicked]);
}

#[test]
fn a_blocking_call_is_part_of_its_caller_and_ends_nothing() {
    let (caller, trace) = record(|| {
        goro::Builder::new().watchdog(None).run(async {
            let caller = goro::spawn(async {
                goro::blocking(|| 1).await;
                goro::id().unwrap()
            });
            caller.await.unwrap()
        })
    });
    // Its one end is its own completion, not the blocking call's.
    assert_eq!(ends_of(&trace, caller.as_u64()), [Outcome::Completed]);
    assert!(trace.events.iter().any(|e| matches!(
        *e,
        Event::BlockingRun { goroutine: Some(g), .. } if g == caller.as_u64()
    )));
}
