//! `goro::dump()` called outside any runtime: it lists every runtime's
//! goroutines. Alone in its binary, so that no other test's runtime shows.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use goro::{GoroutineId, State};

async fn until(id: GoroutineId, ok: impl Fn(&State) -> bool) {
    let start = Instant::now();
    while !goro::dump().get(id).is_some_and(|g| ok(g.state())) {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{}",
            goro::dump()
        );
        goro::time::sleep(Duration::from_millis(1)).await;
    }
}

#[test]
fn a_dump_outside_a_runtime_lists_every_runtime_and_none_once_they_end() {
    assert!(goro::dump().is_empty());
    let (parked_tx, parked_rx) = mpsc::channel::<GoroutineId>();
    let (stop_tx, stop_rx) = mpsc::channel::<()>();
    let runtime = std::thread::spawn(move || {
        goro::run(async move {
            let (_tx, rx) = goro::chan::<()>(0);
            let g = goro::go!(async move { rx.recv().await });
            until(g.id(), |s| matches!(s, State::ChanReceive { .. })).await;
            parked_tx.send(g.id()).unwrap();
            goro::blocking(move || stop_rx.recv()).await.unwrap();
        })
    });
    let id = parked_rx.recv().unwrap();
    let dump = goro::dump();
    assert!(dump.get(id).is_some(), "{dump}");
    assert!(dump.get(GoroutineId::MAIN).is_some(), "{dump}");
    stop_tx.send(()).unwrap();
    runtime.join().unwrap();
    assert!(goro::dump().is_empty(), "{}", goro::dump());
}
