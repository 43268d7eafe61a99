//! The workloads of the side-by-side comparison with Go
//! (`benches/go/<name>/main.go` is the Go program of each), written the
//! same way in goro and in raw Tokio: `cargo bench --bench workloads --
//! <name> <side>` runs one and prints its result line, which must be the
//! same for every side and form; `benches/compare.sh` times them (with Go
//! 1.27, and optionally Go 1.19, for the Go programs) and measures the peak
//! RSS of each process on its own (`ru_maxrss` from `wait4`, through the
//! small launcher `benches/run_child.c`). `... -- list` prints the names.
//!
//! Every workload runs in two forms, since users write the loop in `main`
//! and goro's main goroutine runs on a worker like any goroutine:
//!
//! | side | runtime | form |
//! | --- | --- | --- |
//! | `goro` (the default) | goro | main: the body is awaited in the future passed to `goro::run` |
//! | `goro-go` | goro | goroutine: the body runs in a `go!`, main only awaits it |
//! | `tokio` | Tokio | main: the body is awaited in `Runtime::block_on`, as in `#[tokio::main]` |
//! | `tokio-go` | Tokio | goroutine: the body runs in a `tokio::spawn`, main only awaits it |
//! | `tokio-drop`, `tokio-drop-go` | Tokio | as `tokio` and `tokio-go` |
//!
//! `tokio` ends its runtime with `Runtime::shutdown_background()`, as goro
//! does; `tokio-drop` drops it, as `#[tokio::main]` does at main's end
//! (it matters only for `exit`). The Go programs take the forms as an
//! argument: none (or `main`) and `goroutine`. In every form, main prints
//! the result line at its end.
//!
//! Raw Tokio uses `flume` for channels: the only Tokio-ecosystem
//! channel with rendezvous (capacity 0) and several consumers, and the
//! fastest on most of `cargo bench --bench chan`.
//!
//! | name | what |
//! | --- | --- |
//! | `spawn` | 1M goroutines, each marking a WaitGroup done |
//! | `chain` | each goroutine starts the next, 1M deep |
//! | `idle` | 1M goroutines parked at once (peak RSS is the measure) |
//! | `blocking` | 10k goroutines each make a 100 µs blocking call |
//! | `sleepers` | 100k goroutines each sleep 10 ms, ten times over |
//! | `pingpong` | 1M round trips between two goroutines over unbuffered channels |
//! | `mpmc` | 4 producers, 4 consumers, buffer 128, 4M messages |
//! | `sieve` | the first 3000 primes through a daisy chain of filters |
//! | `select` | 1M values sent alternately on two unbuffered channels, received by a select |
//! | `exit` | main's end to process exit, with 100k goroutines parked and 8 blocking calls stuck for an hour |
//! | `fanout` | 1000 clients, each 100 round trips of 64 bytes with a goroutine-per-connection echo server over loopback |
//! | `pipeline` | 1000 clients, each 50 request lines answered with 1 KiB, one at a time, over loopback |
//!
//! `fanout` and `pipeline` (in `net.rs`) check every byte they get back and
//! print the clients and the bytes verified; `GORO_BENCH_CLIENTS` sets the
//! number of clients, for every side. They hold two sockets per client:
//! Tokio, unlike goro and Go, does not raise the soft open-file limit, so
//! `compare.sh` raises it to the hard limit for every side.
//!
//! `exit`'s main prints its result line and then `main-end <ns>`, the
//! wall-clock time (nanoseconds since the epoch) just before main's end;
//! `compare.sh` measures from there to the moment the process has exited.
//!
//! A new workload is an `async fn() -> String` (returning its result line)
//! for each Rust side, one line in the [`workloads!`] table below, and a Go
//! program `benches/go/<name>/main.go` whose `main` is `form.Main(run)`.

mod net;
mod tokio_side;

/// `--features mimalloc` (`ALLOC=mimalloc benches/compare.sh`): both Rust
/// sides allocate with mimalloc instead of the system's malloc.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The workloads, one line each: `"name" => goro body, raw-Tokio body;`,
/// each body an `async fn() -> String` returning the result line (in this
/// file, in `tokio_side.rs`, or in a module of their own). Defines
/// [`WORKLOADS`], [`goro_body`] and [`tokio_body`].
macro_rules! workloads {
    ($($name:literal => $goro:path, $tokio:path;)*) => {
        /// The names of the workloads, in the order of the table.
        const WORKLOADS: &[&str] = &[$($name),*];

        /// The goro body of the workload `name`.
        async fn goro_body(name: &str) -> String {
            match name {
                $($name => $goro().await,)*
                other => usage(&format!("unknown workload {other:?}")),
            }
        }

        /// The raw-Tokio body of the workload `name`.
        async fn tokio_body(name: &str) -> String {
            match name {
                $($name => $tokio().await,)*
                other => usage(&format!("unknown workload {other:?}")),
            }
        }
    };
}

workloads! {
    "spawn" => spawn, tokio_side::spawn;
    "chain" => chain, tokio_side::chain;
    "idle" => idle, tokio_side::idle;
    "blocking" => blocking, tokio_side::blocking;
    "sleepers" => sleepers, tokio_side::sleepers;
    "pingpong" => pingpong, tokio_side::pingpong;
    "mpmc" => mpmc, tokio_side::mpmc;
    "sieve" => sieve, tokio_side::sieve;
    "select" => select, tokio_side::select;
    "exit" => exit, tokio_side::exit;
    "fanout" => net::fanout, net::tokio_fanout;
    "pipeline" => net::pipeline, net::tokio_pipeline;
}

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use goro::chan::{Receiver, Sender};
use goro::sync::WaitGroup;

async fn spawn() -> String {
    const N: u64 = 1_000_000;
    let sum = Arc::new(AtomicU64::new(0));
    let wg = WaitGroup::new();
    for i in 0..N {
        let sum = sum.clone();
        wg.go(async move {
            sum.fetch_add(i, Ordering::Relaxed);
        });
    }
    wg.wait().await;
    format!("spawn {}", sum.load(Ordering::Relaxed))
}

fn link(i: u64, n: u64, done: Sender<u64>) {
    if i == n {
        goro::go!(async move { done.send(i).await.unwrap() });
        return;
    }
    goro::go!(link(i + 1, n, done));
}

async fn chain() -> String {
    const N: u64 = 1_000_000;
    let (done_tx, done) = goro::chan(0);
    goro::go!(link(1, N, done_tx));
    format!("chain {}", done.recv().await.unwrap())
}

async fn idle() -> String {
    const N: u64 = 1_000_000;
    let parked = WaitGroup::new();
    let finished = WaitGroup::new();
    let (release_tx, release) = goro::chan::<()>(0);
    for _ in 0..N {
        parked.add(1);
        let (parked, release) = (parked.clone(), release.clone());
        finished.go(async move {
            parked.done();
            release.recv().await;
        });
    }
    parked.wait().await;
    release_tx.close();
    finished.wait().await;
    format!("idle {N}")
}

async fn blocking() -> String {
    const N: u64 = 10_000;
    let wg = WaitGroup::new();
    for _ in 0..N {
        wg.go(goro::blocking(|| {
            std::thread::sleep(Duration::from_micros(100))
        }));
    }
    wg.wait().await;
    format!("blocking {N}")
}

async fn sleepers() -> String {
    const N: u64 = 100_000;
    const ROUNDS: u32 = 10;
    let wg = WaitGroup::new();
    for _ in 0..N {
        wg.go(async {
            for _ in 0..ROUNDS {
                goro::time::sleep(Duration::from_millis(10)).await;
            }
        });
    }
    wg.wait().await;
    format!("sleepers {N}x{ROUNDS}")
}

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

/// The goroutines `exit` leaves parked at main's end.
const EXIT_PARKED: u64 = 100_000;
/// The blocking calls `exit` leaves stuck at main's end.
const EXIT_STUCK: u64 = 8;

/// A blocking call that does not return before the process exits.
fn stuck_for_an_hour() {
    std::thread::sleep(Duration::from_secs(3600));
}

/// The end of main, in every side and form: prints the result line and,
/// for `exit`, then the wall-clock time in nanoseconds since the epoch
/// (Go's `time.Now().UnixNano()`).
fn end_of_main(name: &str, line: &str) {
    println!("{line}");
    if name == "exit" {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("the clock is after 1970");
        println!("main-end {}", now.as_nanos());
    }
}

async fn exit() -> String {
    let running = WaitGroup::new();
    let (block_tx, block) = goro::chan::<()>(0);
    for _ in 0..EXIT_PARKED {
        running.add(1);
        let (running, block) = (running.clone(), block.clone());
        goro::go!(async move {
            running.done();
            block.recv().await;
        });
    }
    for _ in 0..EXIT_STUCK {
        running.add(1);
        let running = running.clone();
        goro::spawn_blocking(move || {
            running.done();
            stuck_for_an_hour();
        });
    }
    running.wait().await;
    // As in Go, nothing closes the channel: dropping the last sender would
    // wake every goroutine at main's end.
    std::mem::forget(block_tx);
    format!("exit {EXIT_PARKED} {EXIT_STUCK}")
}

/// Where a side runs the workload's body.
#[derive(Clone, Copy)]
enum Form {
    /// In main itself: the future passed to `goro::run`, or to Tokio's
    /// `Runtime::block_on`.
    Main,
    /// In a goroutine (a task) that main only awaits.
    Goroutine,
}

fn main() {
    // `cargo bench` passes `--bench`; the workload and the side follow.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let name = args.first().cloned().unwrap_or_default();
    if name == "list" {
        println!("{}", WORKLOADS.join(" "));
        return;
    }
    if !WORKLOADS.contains(&name.as_str()) {
        usage(&format!("unknown workload {name:?}"));
    }
    let side = args.get(1).map_or("goro", String::as_str);
    let (runtime, form) = match side.strip_suffix("-go") {
        Some(runtime) => (runtime, Form::Goroutine),
        None => (side, Form::Main),
    };
    match runtime {
        "goro" => run_goro(name, form),
        "tokio" => tokio_side::run(name, form, tokio_side::End::Background),
        "tokio-drop" => tokio_side::run(name, form, tokio_side::End::Drop),
        _ => usage(&format!("unknown side {side:?}")),
    }
}

fn usage(why: &str) -> ! {
    eprintln!(
        "workloads: {why}: expected <{}|list> [goro|goro-go|tokio|tokio-go|tokio-drop|tokio-drop-go]",
        WORKLOADS.join("|")
    );
    std::process::exit(2)
}

fn run_goro(name: String, form: Form) {
    match form {
        Form::Main => goro::run(async move {
            let line = goro_body(&name).await;
            end_of_main(&name, &line);
        }),
        Form::Goroutine => goro::run(async move {
            let body = {
                let name = name.clone();
                goro::go!(async move { goro_body(&name).await })
            };
            let line = body.await.unwrap();
            end_of_main(&name, &line);
        }),
    }
}
