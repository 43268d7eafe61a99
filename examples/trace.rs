//! Records the scheduler while a small workload runs, and says where the
//! files went: a prime sieve of 200 filter goroutines over unbuffered
//! channels, a few blocking calls on the blocking pool, and a ticker.
//!
//! `cargo run --release --example trace [DIR]` (default: a `goro-trace`
//! directory in the system's temporary directory). Open `DIR/trace.json` in
//! <https://ui.perfetto.dev>, `DIR/timeline.html` in a browser, and read
//! `DIR/summary.txt`.
//!
//! The same recording, without a line of code: `GORO_TRACE=DIR cargo run
//! --example sieve 200`.

use std::time::Duration;

use goro::chan::{Receiver, Sender};

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

/// The first `n` primes, from a daisy chain of `n` filters.
async fn sieve(n: usize) -> u64 {
    let (tx, mut rx) = goro::chan(0);
    goro::go!(generate(tx));
    let mut last = 0;
    for _ in 0..n {
        last = rx.recv().await.expect("the chain never ends");
        let (tx_next, rx_next) = goro::chan(0);
        goro::go!(filter(rx, tx_next, last));
        rx = rx_next;
    }
    last
}

#[goro::main]
async fn main() {
    let dir = std::env::args_os()
        .nth(1)
        .map_or_else(|| std::env::temp_dir().join("goro-trace"), Into::into);
    let guard = goro::trace::start(&dir).unwrap_or_else(|err| {
        eprintln!("trace: {err}");
        std::process::exit(2)
    });

    let ticker = goro::Goroutine::new().name("ticker").spawn(async {
        let ticks = goro::time::tick(Duration::from_millis(2));
        for _ in 0..5 {
            ticks.recv().await;
        }
    });
    let blocking: Vec<_> = (0..3)
        .map(|i| {
            goro::spawn_blocking(move || std::thread::sleep(Duration::from_millis(5 * (i + 1))))
        })
        .collect();
    let last = sieve(200).await;
    for call in blocking {
        call.await.unwrap();
    }
    ticker.await.unwrap();

    let files = guard.finish().unwrap_or_else(|err| {
        eprintln!("trace: could not write the files: {err}");
        std::process::exit(1)
    });
    println!("the 200th prime is {last}");
    println!(
        "trace (open in https://ui.perfetto.dev): {}",
        files.trace_json.display()
    );
    println!(
        "timeline (open in a browser):           {}",
        files.timeline_html.display()
    );
    println!(
        "summary:                                {}",
        files.summary_txt.display()
    );
}
