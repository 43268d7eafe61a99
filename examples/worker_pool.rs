//! A worker pool: jobs go out on one channel to a fixed set of worker
//! goroutines and results come back on another (fan-in). Each worker holds
//! a sender of the results channel, so it closes when the last worker
//! returns; a WaitGroup tracks the workers.
//!
//! `cargo run --example worker_pool`

use goro::chan::{Receiver, Sender};
use goro::sync::WaitGroup;

/// A job: a number to check; the result: the number and whether it is prime.
async fn worker(id: usize, jobs: Receiver<u64>, results: Sender<(usize, u64, bool)>) {
    while let Some(n) = jobs.recv().await {
        let prime = n >= 2 && (2..).take_while(|d| d * d <= n).all(|d| n % d != 0);
        if results.send((id, n, prime)).await.is_err() {
            return;
        }
    }
}

#[goro::main]
async fn main() {
    const WORKERS: usize = 4;
    const JOBS: u64 = 1_000;
    let (jobs_tx, jobs_rx) = goro::chan::<u64>(16);
    let (results_tx, results_rx) = goro::chan(16);

    let workers = WaitGroup::new();
    for id in 0..WORKERS {
        workers.go(worker(id, jobs_rx.clone(), results_tx.clone()));
    }
    // Only the workers hold result senders now.
    drop(results_tx);

    goro::go!(async move {
        for n in 0..JOBS {
            jobs_tx.send(n).await.unwrap();
        }
        // Dropping the last sender closes the jobs channel: workers finish.
    });

    let mut per_worker = [0usize; WORKERS];
    let mut primes = 0;
    while let Some((id, _n, prime)) = results_rx.recv().await {
        per_worker[id] += 1;
        primes += usize::from(prime);
    }
    workers.wait().await;
    println!("{JOBS} jobs, {primes} primes among them");
    println!("jobs per worker: {per_worker:?}");
}
