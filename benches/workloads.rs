//! The channel workloads of the side-by-side comparison with Go
//! (`benches/go/<name>/main.go` is the Go program of each), written the
//! same way in goro: `cargo bench --bench workloads -- <name>` runs one and
//! prints its result line; `benches/compare.sh` times them against Go.
//!
//! As in Go, where `main` is a goroutine like any other, each workload's
//! body runs in a goroutine on the worker threads; `main` only waits.
//!
//! | name | what |
//! | --- | --- |
//! | `pingpong` | 1M round trips between two goroutines over unbuffered channels |
//! | `mpmc` | 4 producers, 4 consumers, buffer 128, 4M messages |
//! | `sieve` | the first 3000 primes through a daisy chain of filters |
//! | `select` | 1M values sent alternately on two unbuffered channels, received by a select |

use goro::chan::{Receiver, Sender};
use goro::sync::WaitGroup;

async fn pingpong() -> String {
    const N: u64 = 1_000_000;
    let (ping_tx, ping_rx) = goro::chan::<u64>(0);
    let (pong_tx, pong_rx) = goro::chan::<u64>(0);
    goro::go!(async move {
        while let Some(v) = ping_rx.recv().await {
            pong_tx.send(v + 1).await.unwrap();
        }
    });
    let mut sum = 0;
    for i in 0..N {
        ping_tx.send(i).await.unwrap();
        sum += pong_rx.recv().await.unwrap() - i;
    }
    format!("pingpong {sum}")
}

async fn mpmc() -> String {
    const PRODUCERS: usize = 4;
    const CONSUMERS: usize = 4;
    const PER_PRODUCER: u64 = 1_000_000;
    let (tx, rx) = goro::chan::<u64>(128);
    for _ in 0..PRODUCERS {
        let tx = tx.clone();
        goro::go!(async move {
            for i in 0..PER_PRODUCER {
                tx.send(i).await.unwrap();
            }
        });
    }
    drop(tx);
    let consumers = WaitGroup::new();
    let mut counts = Vec::new();
    for _ in 0..CONSUMERS {
        let rx = rx.clone();
        counts.push(consumers.go(async move {
            let mut n = 0u64;
            while rx.recv().await.is_some() {
                n += 1;
            }
            n
        }));
    }
    drop(rx);
    let mut total = 0;
    for count in counts {
        total += count.await.unwrap();
    }
    format!("mpmc {total}")
}

async fn generate(tx: Sender<u64>) {
    for i in 2.. {
        if tx.send(i).await.is_err() {
            return;
        }
    }
}

async fn filter(rx: Receiver<u64>, tx: Sender<u64>, prime: u64) {
    while let Some(i) = rx.recv().await {
        if i % prime != 0 && tx.send(i).await.is_err() {
            return;
        }
    }
}

async fn sieve() -> String {
    const N: usize = 3000;
    let (tx, mut rx) = goro::chan(0);
    goro::go!(generate(tx));
    let mut last = 0;
    for _ in 0..N {
        let prime = rx.recv().await.unwrap();
        last = prime;
        let (tx_next, rx_next) = goro::chan(0);
        goro::go!(filter(rx, tx_next, prime));
        rx = rx_next;
    }
    format!("sieve {last}")
}

async fn select() -> String {
    const N: u64 = 1_000_000;
    let (a_tx, a) = goro::chan::<u64>(0);
    let (b_tx, b) = goro::chan::<u64>(0);
    goro::go!(async move {
        for i in 0..N {
            if i % 2 == 0 {
                a_tx.send(i).await.unwrap();
            } else {
                b_tx.send(i).await.unwrap();
            }
        }
    });
    let mut sum = 0;
    for _ in 0..N {
        goro::select! {
            v = a.recv() => sum += v.unwrap(),
            v = b.recv() => sum += v.unwrap(),
        }
    }
    format!("select {sum}")
}

fn main() {
    // `cargo bench` passes `--bench`; the workload is the first other argument.
    let name = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with("--"))
        .unwrap_or_default();
    let line = goro::run(async move {
        let body = match name.as_str() {
            "pingpong" => goro::go!(pingpong()),
            "mpmc" => goro::go!(mpmc()),
            "sieve" => goro::go!(sieve()),
            "select" => goro::go!(select()),
            other => {
                eprintln!("workloads: unknown workload {other:?}: pingpong, mpmc, sieve or select");
                std::process::exit(2);
            }
        };
        body.await.unwrap()
    });
    println!("{line}");
}
