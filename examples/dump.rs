//! `goro::dump()`: what every goroutine is doing, as Go's goroutine dump
//! shows it.
//!
//! `cargo run --example dump`

use std::time::Duration;

use goro::sync::WaitGroup;
use goro::State;

#[goro::main]
async fn main() {
    let (jobs_tx, jobs_rx) = goro::chan::<u32>(0);
    let (results_tx, results_rx) = goro::chan::<u32>(4);
    let done = WaitGroup::new();

    // A worker waiting for a job, one waiting in a select, one waiting for
    // the others, one asleep and one in a blocking call.
    let worker = goro::Goroutine::new()
        .name("worker")
        .spawn(async move { jobs_rx.recv().await });
    let (_quit_tx, quit_rx) = goro::chan::<()>(0);
    let selector = goro::go!(async move {
        goro::select! {
            r = results_rx.recv() => r,
            _ = quit_rx.recv() => None,
        }
    });
    done.add(1);
    let wait = done.clone();
    let waiter = goro::go!(async move { wait.wait().await });
    let sleeper = goro::go!(goro::time::sleep(Duration::from_secs(60)));
    let caller = goro::go!(goro::blocking(|| std::thread::sleep(Duration::from_secs(
        60
    ))));

    // Wait until each has started to wait, then take the dump.
    let ids = [
        worker.id(),
        selector.id(),
        waiter.id(),
        sleeper.id(),
        caller.id(),
    ];
    loop {
        let dump = goro::dump();
        let waiting = ids.iter().all(|&id| {
            dump.get(id)
                .is_some_and(|g| !matches!(g.state(), State::Runnable | State::Running { .. }))
        });
        if waiting {
            print!("{dump}");
            break;
        }
        goro::time::sleep(Duration::from_millis(1)).await;
    }
    drop((jobs_tx, results_tx));
    done.done();
}
