//! The prime sieve from Go's tour, in goro: a chain of filter goroutines
//! joined by unbuffered channels. Each prime found starts one more filter.
//!
//! `cargo run --release --example sieve [N]` prints the first N primes
//! (default 100) and how long it took. When main has its N primes it
//! returns, and the program ends with the whole chain still running, as in
//! Go.

use std::time::Instant;

use goro::chan::{Receiver, Sender};

/// Sends 2, 3, 4, ... until nobody listens.
async fn generate(tx: Sender<u64>) {
    for i in 2.. {
        if tx.send(i).await.is_err() {
            return;
        }
    }
}

/// Passes on the numbers not divisible by `prime`.
async fn filter(rx: Receiver<u64>, tx: Sender<u64>, prime: u64) {
    while let Some(i) = rx.recv().await {
        if i % prime != 0 && tx.send(i).await.is_err() {
            return;
        }
    }
}

#[goro::main]
async fn main() {
    let n: usize = match std::env::args().nth(1) {
        None => 100,
        Some(arg) => arg.parse().unwrap_or_else(|_| {
            eprintln!("sieve: N must be a whole number, got {arg:?}");
            std::process::exit(2)
        }),
    };
    let start = Instant::now();
    let (tx, mut rx) = goro::chan(0);
    goro::go!(generate(tx));
    let mut last = 0;
    for i in 0..n {
        let prime = rx.recv().await.expect("the chain never ends");
        if n <= 100 || i + 1 == n {
            println!("{prime}");
        }
        last = prime;
        let (tx_next, rx_next) = goro::chan(0);
        goro::go!(filter(rx, tx_next, prime));
        rx = rx_next;
    }
    eprintln!(
        "{n} primes (the last {last}) in {:?} with {} goroutines",
        start.elapsed(),
        n + 1
    );
}
