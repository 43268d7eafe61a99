//! Blocking calls go to the blocking pool, so the worker threads keep
//! running other goroutines meanwhile.
//!
//! `cargo run --example blocking`: four goroutines each make a blocking call
//! of 300 ms (`std::thread::sleep`, standing in for a file read or a C
//! library) through `goro::blocking`, with one worker thread only. A ticker
//! goroutine keeps counting on that worker the whole time; had the calls run
//! on the worker, it would have stalled for 1.2 s.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use goro::sync::WaitGroup;

async fn slow_lookup(i: u32) -> u32 {
    goro::blocking(move || {
        std::thread::sleep(Duration::from_millis(300));
        i * 10
    })
    .await
}

#[goro::main(worker_threads = 1)]
async fn main() {
    let stop = Arc::new(AtomicBool::new(false));
    let ticks = Arc::new(AtomicU64::new(0));
    let ticker = {
        let (stop, ticks) = (stop.clone(), ticks.clone());
        goro::go!(async move {
            while !stop.load(Ordering::Relaxed) {
                tokio::time::sleep(Duration::from_millis(10)).await;
                ticks.fetch_add(1, Ordering::Relaxed);
            }
        })
    };

    let start = Instant::now();
    let wg = WaitGroup::new();
    let mut handles = Vec::new();
    for i in 0..4 {
        handles.push(wg.go(slow_lookup(i)));
    }
    wg.wait().await;
    let elapsed = start.elapsed();
    stop.store(true, Ordering::Relaxed);
    ticker.await.unwrap();

    let mut results = Vec::new();
    for handle in handles {
        results.push(handle.await.unwrap());
    }
    println!("results: {results:?}");
    println!(
        "4 blocking calls of 300 ms took {elapsed:?} in all (on the blocking pool, side by side)"
    );
    println!(
        "the ticker goroutine ticked {} times meanwhile on the only worker thread",
        ticks.load(Ordering::Relaxed)
    );
}
