//! Model checks of the watchdog slot's sequence lock with loom: a worker
//! publishes two polls, one after the other, while the monitor reads the
//! slot (and reports what it read). In every interleaving, and with every
//! value the memory model lets a load return, the monitor never sees a torn
//! identity (the goroutine of one poll with the location or name of the
//! other, or of nothing), never sees a poll in progress once it knows that
//! poll ended, and a worker told that its poll was reported reads the
//! report's own time and duration.
//!
//! `RUSTFLAGS="--cfg goro_loom" LOOM_MAX_PREEMPTIONS=3 cargo test -p goro-trace --release --test loom_watchdog`
//! (`.ci/run` does this with its own target directory).
#![cfg(goro_loom)]

use std::panic::Location;

use goro_trace::watchdog::model;
use goro_trace::watchdog::Slot;
use loom::sync::atomic::{AtomicBool, Ordering};
use loom::sync::Arc;
use loom::thread;

/// One poll as the worker publishes it.
#[derive(Clone)]
struct Poll {
    goroutine: u64,
    spawned_at: &'static Location<'static>,
    name: Option<std::sync::Arc<str>>,
}

/// Two different places in the program.
fn site_a() -> &'static Location<'static> {
    Location::caller()
}

fn site_b() -> &'static Location<'static> {
    Location::caller()
}

fn poll(goroutine: u64, spawned_at: &'static Location<'static>, name: Option<&str>) -> Poll {
    Poll {
        goroutine,
        spawned_at,
        name: name.map(std::sync::Arc::from),
    }
}

/// The report the monitor makes of poll `seq`: recognisable values.
fn report_of(seq: u64) -> (u64, u64) {
    (seq * 10 + 1, seq * 100 + 7)
}

/// The worker polls `first`, then `second`; the monitor reads the slot
/// `reads` times, reporting what it read if `report`.
fn check(first: Poll, second: Poll, reads: usize, report: bool) {
    loom::model(move || {
        let slot: Arc<Slot> = Arc::new(model::slot());
        // Set (with Release) by the worker once a poll has ended.
        let ended = Arc::new([AtomicBool::new(false), AtomicBool::new(false)]);
        let polls = [first.clone(), second.clone()];
        let published = polls.clone();

        let (slot_, ended_) = (slot.clone(), ended.clone());
        let worker = thread::spawn(move || {
            let (slot, ended) = (slot_, ended_);
            let mut seqs = Vec::new();
            for (i, p) in published.iter().enumerate() {
                let seq = slot.begin(p.goroutine, p.spawned_at, p.name.as_ref());
                if slot.end(seq) {
                    // What the worker records for a reported poll.
                    assert_eq!(slot.flagged(), report_of(seq), "the report of poll {seq}");
                }
                ended[i].store(true, Ordering::Release);
                seqs.push(seq);
            }
            seqs
        });

        let mut seen = Vec::new();
        for _ in 0..reads {
            let ended_before = [
                ended[0].load(Ordering::Acquire),
                ended[1].load(Ordering::Acquire),
            ];
            let Some((seq, goroutine, spawned_at, name)) = model::read(&slot) else {
                continue;
            };
            let i = polls
                .iter()
                .position(|p| p.goroutine == goroutine)
                .unwrap_or_else(|| panic!("poll {seq} of an unknown goroutine {goroutine}"));
            let p = &polls[i];
            assert!(
                std::ptr::eq(spawned_at, p.spawned_at),
                "torn: goroutine {goroutine} with the location {spawned_at} (poll {seq})"
            );
            assert_eq!(
                name, p.name,
                "torn: goroutine {goroutine}'s name (poll {seq})"
            );
            assert!(
                !ended_before[i],
                "poll {seq} of goroutine {goroutine} read as running after it ended"
            );
            seen.push((i, seq));
            if report {
                let (at, held) = report_of(seq);
                model::flag(&slot, seq, at, held);
            }
        }

        let seqs = worker.join().unwrap();
        assert_eq!(seqs.len(), 2);
        assert!(seqs[0] % 4 == 2 && seqs[1] == seqs[0] + 4, "{seqs:?}");
        for (i, seq) in seen {
            assert_eq!(seq, seqs[i], "poll {i} read under its own number");
        }
        // Between polls the slot reads as idle.
        assert!(model::read(&slot).is_none());
    });
}

#[test]
fn two_named_polls_are_never_torn() {
    check(
        poll(7, site_a(), Some("alpha")),
        poll(9, site_b(), Some("beta")),
        2,
        false,
    );
}

#[test]
fn a_named_then_an_unnamed_poll_are_never_torn() {
    check(
        poll(7, site_a(), Some("alpha")),
        poll(9, site_b(), None),
        2,
        false,
    );
}

#[test]
fn unnamed_polls_are_never_torn() {
    check(poll(7, site_a(), None), poll(9, site_b(), None), 3, false);
}

#[test]
fn a_reported_poll_reads_its_own_report() {
    check(poll(7, site_a(), None), poll(9, site_b(), None), 2, true);
}
