//! The cost of `goro::sync::WaitGroup`.
//!
//! Two criterion groups:
//!
//! - `wait_group/add_done`: one `add(1)` + `done()` pair per element, on one
//!   thread, no runtime involved. `to_zero` starts each pair at a counter of
//!   zero, so every `done()` brings it back to zero and takes the release
//!   path (the waiter lock, even with nobody waiting); `held` keeps one extra
//!   count in the group, so a pair is just the two atomic updates.
//! - `wait_group/spawn_wait`: spawn N = 100,000 trivial tasks and wait for
//!   all of them, per task: `goro_wait_group_go` uses `wg.go(async {})` then
//!   `wg.wait().await` on a goro runtime; `tokio_join_set` uses
//!   `set.spawn(async {})` then `join_next().await` until the set is empty,
//!   on a plain Tokio runtime. Both runtimes are multi-threaded with 2 worker
//!   threads and all drivers on; the spawning runs inside a spawned task (a
//!   worker thread, as in `benches/facade.rs`), and each criterion sample
//!   builds a fresh runtime and times its iterations with `Instant` inside
//!   that task (`iter_custom`), so building the runtime is not measured.
//!
//! Run with
//!
//! ```text
//! cargo bench --bench wait_group
//! ```

#[path = "support/runtimes.rs"]
mod runtimes;

use runtimes::{on_goro, on_tokio};
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use goro::sync::WaitGroup;
use tokio::task::JoinSet;

/// Tasks per iteration in `wait_group/spawn_wait`.
const N: usize = 100_000;

fn add_done(c: &mut Criterion) {
    let mut group = c.benchmark_group("wait_group/add_done");
    group.throughput(Throughput::Elements(1));

    group.bench_function("to_zero", |b| {
        let wg = WaitGroup::new();
        b.iter(|| {
            let wg = black_box(&wg);
            wg.add(1);
            wg.done();
        });
    });

    group.bench_function("held", |b| {
        let wg = WaitGroup::new();
        wg.add(1);
        b.iter(|| {
            let wg = black_box(&wg);
            wg.add(1);
            wg.done();
        });
        wg.done();
    });

    group.finish();
}

/// The spawn-and-wait mechanism under test.
#[derive(Clone, Copy, Debug)]
enum Variant {
    GoroWaitGroupGo,
    TokioJoinSet,
}

impl Variant {
    fn id(self) -> &'static str {
        match self {
            Variant::GoroWaitGroupGo => "goro_wait_group_go",
            Variant::TokioJoinSet => "tokio_join_set",
        }
    }
}

/// One iteration: `n` trivial goroutines in a `WaitGroup`, then `wait`.
async fn wait_group_go(n: usize) {
    let wg = WaitGroup::new();
    for _ in 0..n {
        wg.go(async {});
    }
    wg.wait().await;
}

/// One iteration: `n` trivial tasks in a `JoinSet`, then join them all.
async fn join_set(n: usize) {
    let mut set = JoinSet::new();
    for _ in 0..n {
        set.spawn(async {});
    }
    while let Some(joined) = set.join_next().await {
        joined.expect("trivial task");
    }
}

/// The driver task: `iters` iterations, timed from inside the task.
async fn timed(variant: Variant, n: usize, iters: u64) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        match variant {
            Variant::GoroWaitGroupGo => wait_group_go(n).await,
            Variant::TokioJoinSet => join_set(n).await,
        }
    }
    start.elapsed()
}

fn spawn_wait(c: &mut Criterion) {
    let mut group = c.benchmark_group("wait_group/spawn_wait");
    group.throughput(Throughput::Elements(N as u64));
    for variant in [Variant::GoroWaitGroupGo, Variant::TokioJoinSet] {
        group.bench_function(BenchmarkId::new(variant.id(), N), |b| {
            b.iter_custom(|iters| {
                let driver = timed(variant, N, iters);
                match variant {
                    Variant::GoroWaitGroupGo => on_goro(driver),
                    Variant::TokioJoinSet => on_tokio(driver),
                }
            });
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    // Set here rather than on the groups so that `--sample-size`,
    // `--warm-up-time` and `--measurement-time` on the command line win.
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = add_done, spawn_wait
}
criterion_main!(benches);
