//! Facade overhead: what goro adds on top of `tokio::spawn`.
//!
//! Compared, in one criterion group (`facade/spawn_complete`), are four ways
//! to spawn the same trivial task, the spawn call being the only difference:
//!
//! - `tokio_spawn`: `tokio::spawn(async move { tick(c) })` on a plain Tokio
//!   runtime,
//! - `goro_spawn`: `goro::spawn(async move { tick(c) })`,
//! - `goro_go_call`: `goro::go!(tick(c))`, a call of a sync function,
//! - `goro_go_async`: `goro::go!(async move { tick(c) })`,
//!
//! the last three on a goro runtime. Both runtimes are configured alike: multi
//! threaded, 2 worker threads, IO and time drivers on
//! (`goro::Builder::new().worker_threads(2)` against
//! `tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all()`).
//!
//! One iteration spawns N = 100,000 tasks from inside a spawned task (a worker
//! thread, not the `block_on` thread, so spawns go to the worker's local
//! queue); each task decrements a shared counter and the one that brings it to
//! zero wakes the spawner through a `tokio::sync::Notify`; the iteration ends
//! when the spawner has been woken. Throughput is per task.
//!
//! A goro runtime cannot outlive `goro::run`, so each criterion sample (for
//! both sides alike) builds a fresh runtime, spawns one driver task on it and
//! times its loop of iterations with `Instant` inside that task
//! (`iter_custom`): building and shutting down the runtime are not measured.
//!
//! Run with
//!
//! ```text
//! cargo bench --bench facade
//! ```
//!
//! For the literal "1M goroutines" figure, skip criterion and print, per goro
//! variant, the median wall time of spawning and completing 1,000,000 tasks
//! over 7 rounds that alternate Tokio and goro, and the goro/Tokio ratio:
//!
//! ```text
//! GORO_BENCH_1M=1 cargo bench --bench facade
//! ```

#[path = "support/runtimes.rs"]
mod runtimes;

use runtimes::{on_goro, on_tokio, WORKERS};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use tokio::sync::Notify;

/// Tasks per iteration in the criterion group.
const N: usize = 100_000;
/// Tasks per run in the `GORO_BENCH_1M` mode.
const N_1M: usize = 1_000_000;
/// Rounds in the `GORO_BENCH_1M` mode; each round runs Tokio, then goro, once
/// per goro variant.
const ROUNDS_1M: usize = 7;

/// Counts the tasks still to finish; the last one wakes the spawner.
struct Countdown {
    remaining: AtomicUsize,
    done: Notify,
}

/// The whole body of every spawned task: a sync function, so that the
/// `go!(f(x))` form can call it directly.
fn tick(countdown: Arc<Countdown>) {
    if countdown.remaining.fetch_sub(1, Ordering::AcqRel) == 1 {
        // `notify_one` stores a permit if the spawner is not waiting yet.
        countdown.done.notify_one();
    }
}

/// Spawns `$n` tasks, binding each one's `Arc<Countdown>` to `$c` for the
/// spawn expression, then waits until all of them have run.
macro_rules! spawn_and_complete {
    ($n:expr, |$c:ident| $spawn:expr) => {{
        let n: usize = $n;
        assert!(n > 0, "nothing to wait for");
        let countdown = Arc::new(Countdown {
            remaining: AtomicUsize::new(n),
            done: Notify::new(),
        });
        for _ in 0..n {
            let $c = Arc::clone(&countdown);
            // The handle is dropped: the task is detached and runs on.
            $spawn;
        }
        countdown.done.notified().await;
    }};
}

/// The spawn call under test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Variant {
    TokioSpawn,
    GoroSpawn,
    GoroGoCall,
    GoroGoAsync,
}

impl Variant {
    const ALL: [Variant; 4] = [
        Variant::TokioSpawn,
        Variant::GoroSpawn,
        Variant::GoroGoCall,
        Variant::GoroGoAsync,
    ];

    /// The benchmark id.
    fn id(self) -> &'static str {
        match self {
            Variant::TokioSpawn => "tokio_spawn",
            Variant::GoroSpawn => "goro_spawn",
            Variant::GoroGoCall => "goro_go_call",
            Variant::GoroGoAsync => "goro_go_async",
        }
    }

    /// The spawn call as written.
    fn call(self) -> &'static str {
        match self {
            Variant::TokioSpawn => "tokio::spawn(async move {..})",
            Variant::GoroSpawn => "goro::spawn(async move {..})",
            Variant::GoroGoCall => "goro::go!(tick(c))",
            Variant::GoroGoAsync => "goro::go!(async move {..})",
        }
    }
}

/// One iteration: spawn `n` tasks with `variant`'s call and wait for all.
async fn spawn_and_complete(variant: Variant, n: usize) {
    match variant {
        Variant::TokioSpawn => spawn_and_complete!(n, |c| tokio::spawn(async move { tick(c) })),
        Variant::GoroSpawn => spawn_and_complete!(n, |c| goro::spawn(async move { tick(c) })),
        Variant::GoroGoCall => spawn_and_complete!(n, |c| goro::go!(tick(c))),
        Variant::GoroGoAsync => spawn_and_complete!(n, |c| goro::go!(async move { tick(c) })),
    }
}

/// The driver task: `iters` iterations, timed from inside the task.
async fn timed(variant: Variant, n: usize, iters: u64) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        spawn_and_complete(variant, n).await;
    }
    start.elapsed()
}

/// `iters` iterations of `n` tasks on a fresh runtime of `variant`'s kind.
fn sample(variant: Variant, n: usize, iters: u64) -> Duration {
    let driver = timed(variant, n, iters);
    match variant {
        Variant::TokioSpawn => on_tokio(driver),
        _ => on_goro(driver),
    }
}

fn spawn_complete(c: &mut Criterion) {
    let mut group = c.benchmark_group("facade/spawn_complete");
    group.throughput(Throughput::Elements(N as u64));
    for variant in Variant::ALL {
        group.bench_function(BenchmarkId::new(variant.id(), N), |b| {
            b.iter_custom(|iters| sample(variant, N, iters));
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    // Set here rather than on the group so that `--sample-size`,
    // `--warm-up-time` and `--measurement-time` on the command line win.
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    targets = spawn_complete
}

/// The middle value (the upper one of the middle two for an even count).
fn median(times: &[Duration]) -> Duration {
    let mut sorted = times.to_vec();
    sorted.sort();
    sorted[sorted.len() / 2]
}

/// `GORO_BENCH_1M=1`: medians of 1,000,000 spawns and completions.
fn one_million() {
    let goro_variants = [
        Variant::GoroSpawn,
        Variant::GoroGoCall,
        Variant::GoroGoAsync,
    ];
    // For each goro variant: the Tokio runs paired with it, and its own runs.
    let mut tokio_times = vec![Vec::new(); goro_variants.len()];
    let mut goro_times = vec![Vec::new(); goro_variants.len()];
    println!(
        "spawn + complete of {N_1M} tasks, {WORKERS} worker threads, \
         {ROUNDS_1M} rounds alternating Tokio and goro"
    );
    for round in 1..=ROUNDS_1M {
        for (i, &variant) in goro_variants.iter().enumerate() {
            tokio_times[i].push(sample(Variant::TokioSpawn, N_1M, 1));
            goro_times[i].push(sample(variant, N_1M, 1));
        }
        eprintln!("round {round}/{ROUNDS_1M} done");
    }
    let all_tokio: Vec<Duration> = tokio_times.iter().flatten().copied().collect();
    let tokio_median = median(&all_tokio);
    println!();
    println!(
        "{:<30} {:>11} {:>12} {:>18} {:>13}",
        "variant", "median ms", "ns per task", "paired tokio ms", "goro / tokio"
    );
    println!(
        "{:<30} {:>11.1} {:>12.1} {:>18}",
        Variant::TokioSpawn.call(),
        millis(tokio_median),
        ns_per_task(tokio_median),
        format!("(all {} runs)", all_tokio.len()),
    );
    for (i, &variant) in goro_variants.iter().enumerate() {
        let goro = median(&goro_times[i]);
        // The ratio is against the median of the Tokio runs that alternated
        // with this variant's, so both saw the same machine load.
        let paired = median(&tokio_times[i]);
        println!(
            "{:<30} {:>11.1} {:>12.1} {:>18.1} {:>13.3}",
            variant.call(),
            millis(goro),
            ns_per_task(goro),
            millis(paired),
            goro.as_secs_f64() / paired.as_secs_f64(),
        );
    }
}

fn millis(time: Duration) -> f64 {
    time.as_secs_f64() * 1e3
}

fn ns_per_task(time: Duration) -> f64 {
    time.as_nanos() as f64 / N_1M as f64
}

fn main() {
    let one_million_mode =
        std::env::var_os("GORO_BENCH_1M").is_some_and(|v| !v.is_empty() && v != "0");
    if one_million_mode {
        one_million();
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
