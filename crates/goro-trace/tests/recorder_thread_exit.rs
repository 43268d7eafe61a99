//! Events recorded while a thread exits, from the destructors of its
//! thread-locals (a waker dropped or woken there, a goroutine's future
//! dropped with a thread-local runtime): the recorder keeps what it still
//! can and never takes the process down.
//!
//! The recorder is process-wide: one test function starts recordings here.

use std::thread;

use goro_trace::recorder::{self, Config};
use goro_trace::Event;

/// Records a wake of `.0` when dropped.
struct WakeOnDrop(u64);

impl Drop for WakeOnDrop {
    fn drop(&mut self) {
        recorder::wake(self.0, None);
        recorder::poll(recorder::now(), self.0, true);
    }
}

thread_local! {
    static BEFORE: WakeOnDrop = const { WakeOnDrop(101) };
    static AFTER: WakeOnDrop = const { WakeOnDrop(102) };
    static ONLY: WakeOnDrop = const { WakeOnDrop(103) };
}

fn woken(events: &[Event]) -> Vec<u64> {
    events
        .iter()
        .filter_map(|e| match *e {
            Event::Wake { target, .. } => Some(target),
            _ => None,
        })
        .collect()
}

#[test]
fn recording_from_thread_local_destructors() {
    recorder::start(Config::default()).expect("no other recording");
    // Thread-locals are destroyed in some order around the recorder's own:
    // one made before it and one after, so that one of them records after
    // the recorder's is gone, whichever the order.
    thread::Builder::new()
        .name("exiting".into())
        .spawn(|| {
            BEFORE.with(|_| {});
            recorder::wake(100, None);
            AFTER.with(|_| {});
        })
        .unwrap()
        .join()
        .expect("the thread ends normally");
    // A thread whose first event comes from a destructor.
    thread::Builder::new()
        .name("first-at-exit".into())
        .spawn(|| ONLY.with(|_| {}))
        .unwrap()
        .join()
        .expect("the thread ends normally");
    let trace = recorder::stop().expect("the recording");
    let woken = woken(&trace.events);
    assert!(woken.contains(&100), "{woken:?}");
    // Those recorded while the recorder's thread-local still lived are kept.
    assert!(woken.iter().all(|w| (100..=103).contains(w)), "{woken:?}");
}
