//! The recorder under load: several threads record polls and wakes at once
//! into small buffers while another thread takes snapshots, and recordings
//! stop while threads are still recording.
//!
//! Every event carries its thread's number and its place in that thread's
//! sequence, so a recording can be checked exactly: each thread's events
//! come out in the order it recorded them, on that thread's track, as one
//! unbroken run of its newest events, and the dropped count is exactly the
//! number of older events missing.
//!
//! The recorder is process-wide, so this binary starts recordings from one
//! test function only.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use goro_trace::event::{Gid, Tid};
use goro_trace::recorder::{self, Config};
use goro_trace::{Event, ThreadKind, Trace};

const THREADS: u64 = 4;
/// Small buffers: every thread records many times this.
const EVENTS_PER_THREAD: usize = 1000;
/// Events each thread records at least in the first recording.
const RECORDED: u64 = 20_000;
/// Snapshots taken while the threads record.
const SNAPSHOTS: u64 = 20;

/// Only a hang reaches it.
const GENEROUS: Duration = Duration::from_secs(120);

/// Sets its flag when dropped.
struct SetOnDrop(Arc<AtomicBool>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

/// The goroutine id an event of thread `thread` carries: its thread and
/// its place in the thread's sequence.
fn gid(thread: u64, seq: u64) -> Gid {
    ((thread + 1) << 40) | seq
}

fn decode(gid: Gid) -> (u64, u64) {
    ((gid >> 40) - 1, gid & ((1 << 40) - 1))
}

fn name(thread: u64) -> String {
    format!("stress-{thread}")
}

/// Records event number `seq` of thread `thread`: polls and wakes in turn.
fn record(thread: u64, seq: u64) {
    if seq % 2 == 0 {
        let start = recorder::now();
        recorder::poll(start, gid(thread, seq), seq % 4 == 0);
    } else {
        recorder::wake(gid(thread, seq), Some(thread + 1));
    }
}

/// Each thread's events in `trace`, as (thread, seq) in output order, after
/// checking that every event is a stress thread's poll or wake, on that
/// thread's track, well formed.
fn per_thread(trace: &Trace) -> BTreeMap<u64, Vec<u64>> {
    let names: BTreeMap<Tid, &str> = trace
        .threads
        .iter()
        .map(|t| (t.tid, t.name.as_str()))
        .collect();
    assert_eq!(names.len(), trace.threads.len(), "thread ids are unique");
    let mut tracks: BTreeMap<Tid, u64> = BTreeMap::new();
    let mut seen: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    let mut polled = BTreeSet::new();
    for event in &trace.events {
        let (tid, gid) = match *event {
            Event::Poll {
                start,
                end,
                tid,
                goroutine,
                ready,
            } => {
                assert!(start <= end, "{event:?}");
                let (_, seq) = decode(goroutine);
                assert_eq!(seq % 2, 0, "a poll is an even event: {event:?}");
                assert_eq!(ready, seq % 4 == 0, "{event:?}");
                polled.insert(tid);
                (tid, goroutine)
            }
            Event::Wake {
                tid, target, by, ..
            } => {
                let (thread, seq) = decode(target);
                assert_eq!(seq % 2, 1, "a wake is an odd event: {event:?}");
                assert_eq!(by, Some(thread + 1), "{event:?}");
                (tid, target)
            }
            ref other => panic!("only polls and wakes were recorded: {other:?}"),
        };
        let (thread, seq) = decode(gid);
        assert!(thread < THREADS, "{event:?}");
        assert_eq!(
            names.get(&tid).copied(),
            Some(name(thread).as_str()),
            "an event of thread {thread} on the track of {:?}: {event:?}",
            names.get(&tid)
        );
        // One track per thread per recording.
        assert_eq!(*tracks.entry(tid).or_insert(thread), thread);
        seen.entry(thread).or_default().push(seq);
    }
    for info in &trace.threads {
        // Polls make a worker (a snapshot may catch a thread between taking
        // its buffer and storing its first event, and a thread may have
        // kept only wakes).
        if polled.contains(&info.tid) {
            assert_eq!(
                info.kind,
                ThreadKind::Worker,
                "polls make a worker: {info:?}"
            );
        }
    }
    seen
}

/// Checks `trace` taken at any moment: each thread's events are one
/// unbroken run in recording order, and the events missing before each run
/// are exactly the dropped ones (each thread's first event was its number
/// 0). Returns each thread's run.
fn check_consistent(trace: &Trace) -> BTreeMap<u64, (u64, u64)> {
    let mut runs = BTreeMap::new();
    let mut missing = 0;
    for (thread, seqs) in per_thread(trace) {
        let (first, last) = (seqs[0], *seqs.last().unwrap());
        for pair in seqs.windows(2) {
            assert_eq!(
                pair[1],
                pair[0] + 1,
                "thread {thread}'s events in the order it recorded them, none missing in between"
            );
        }
        assert!(
            seqs.len() <= EVENTS_PER_THREAD,
            "thread {thread} kept {} events",
            seqs.len()
        );
        missing += first;
        runs.insert(thread, (first, last));
    }
    assert_eq!(trace.dropped, missing, "dropped = older events not kept");
    runs
}

#[test]
fn concurrent_recording_snapshots_and_stops() {
    let config = Config {
        events_per_thread: EVENTS_PER_THREAD,
    };

    // 1. Threads record while snapshots are taken; stop once they are done.
    recorder::start(config).expect("no other recording");
    let snapshots = Arc::new(AtomicU64::new(0));
    let recording_done = Arc::new(AtomicBool::new(false));
    // Set when the snapshot thread ends, even by a failed check, so that
    // the recording threads do not wait for its snapshots forever.
    let snapshotter_ended = Arc::new(AtomicBool::new(false));
    let snapshotter = {
        let (snapshots, done) = (snapshots.clone(), recording_done.clone());
        let ended = SetOnDrop(snapshotter_ended.clone());
        thread::spawn(move || {
            let _ended = ended;
            let mut taken = 0;
            while !done.load(Ordering::Acquire) {
                let trace = recorder::snapshot().expect("recording");
                check_consistent(&trace);
                taken += 1;
                snapshots.store(taken, Ordering::Release);
            }
            taken
        })
    };
    let recorders: Vec<_> = (0..THREADS)
        .map(|t| {
            let (snapshots, snapshotter_ended) = (snapshots.clone(), snapshotter_ended.clone());
            thread::Builder::new()
                .name(name(t))
                .spawn(move || {
                    // Record until enough events and enough snapshots
                    // overlapped the recording, however the threads are
                    // scheduled.
                    let mut seq = 0;
                    while seq < RECORDED
                        || (snapshots.load(Ordering::Acquire) < SNAPSHOTS
                            && !snapshotter_ended.load(Ordering::Acquire))
                    {
                        record(t, seq);
                        seq += 1;
                    }
                    seq
                })
                .unwrap()
        })
        .collect();
    let recorded: Vec<u64> = recorders.into_iter().map(|r| r.join().unwrap()).collect();
    recording_done.store(true, Ordering::Release);
    assert!(snapshotter.join().unwrap() >= SNAPSHOTS);
    let trace = recorder::stop().expect("the recording");
    assert!(recorder::stop().is_none(), "stopped once");
    let runs = check_consistent(&trace);
    assert_eq!(runs.len() as u64, THREADS, "every thread is in the trace");
    let kept = trace.events.len() as u64;
    assert_eq!(
        recorded.iter().sum::<u64>(),
        kept + trace.dropped,
        "recorded = kept + dropped"
    );
    for (thread, (first, last)) in runs {
        assert_eq!(
            last + 1,
            recorded[thread as usize],
            "thread {thread} kept its newest events"
        );
        assert!(
            last + 1 - first >= (EVENTS_PER_THREAD - EVENTS_PER_THREAD / 32) as u64,
            "thread {thread} kept {} of its newest events",
            last + 1 - first
        );
    }

    // 2. A recording stops while threads are still recording into it, and
    //    the next one starts while they go on.
    recorder::start(config).expect("no other recording");
    let go_on = Arc::new(AtomicBool::new(true));
    let progress: Arc<Vec<AtomicU64>> = Arc::new((0..THREADS).map(|_| AtomicU64::new(0)).collect());
    let restarted = Arc::new(Barrier::new(THREADS as usize + 1));
    let recorders: Vec<_> = (0..THREADS)
        .map(|t| {
            let (go_on, progress, restarted) = (go_on.clone(), progress.clone(), restarted.clone());
            thread::Builder::new()
                .name(name(t))
                .spawn(move || {
                    let mut seq = 0;
                    while go_on.load(Ordering::Acquire) {
                        record(t, seq);
                        seq += 1;
                        progress[t as usize].store(seq, Ordering::Release);
                    }
                    // The third recording: these threads' buffers of the
                    // second one are stale now.
                    restarted.wait();
                    for _ in 0..3 * EVENTS_PER_THREAD as u64 {
                        record(t, seq);
                        seq += 1;
                    }
                    seq
                })
                .unwrap()
        })
        .collect();
    // Stop once every thread has filled its buffer more than once.
    let deadline = Instant::now() + GENEROUS;
    for p in progress.iter() {
        while p.load(Ordering::Acquire) < 3 * EVENTS_PER_THREAD as u64 {
            assert!(Instant::now() < deadline, "the recording threads stalled");
            thread::yield_now();
        }
    }
    let trace = recorder::stop().expect("the recording");
    assert!(!recorder::recording());
    go_on.store(false, Ordering::Release);
    let runs = check_consistent(&trace);
    assert_eq!(runs.len() as u64, THREADS);
    for (thread, (first, _)) in runs {
        assert!(first > 0, "thread {thread} dropped its oldest events");
    }

    recorder::start(config).expect("no other recording");
    restarted.wait();
    let recorded: Vec<u64> = recorders.into_iter().map(|r| r.join().unwrap()).collect();
    let trace = recorder::stop().expect("the recording");
    // Each thread's events of this recording: its newest, in order, none
    // from before the recording started.
    for (thread, seqs) in per_thread(&trace) {
        for pair in seqs.windows(2) {
            assert_eq!(pair[1], pair[0] + 1, "thread {thread}, in order");
        }
        assert_eq!(*seqs.last().unwrap() + 1, recorded[thread as usize]);
        assert!(
            *seqs.first().unwrap() + 3 * EVENTS_PER_THREAD as u64 >= recorded[thread as usize],
            "thread {thread}: only events of this recording"
        );
    }
    assert_eq!(trace.threads.len() as u64, THREADS);
}
