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
            .run(async {
                // The only worker is held, so the victim cannot be polled
                // before it is aborted.
                let (held_tx, held) = mpsc::channel();
                let (release, release_rx) = mpsc::channel::<()>();
                let holder = goro::go!(async move {
                    held_tx.send(()).unwrap();
                    // Blocks its worker until released, on purpose.
                    let _ = release_rx.recv_timeout(GENEROUS);
                });
                // The main goroutine runs on the caller's thread, not the worker.
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
