//! Channel costs in one process, goro against the channels a raw-Tokio
//! program would use, on identically configured 2-worker runtimes (goro's
//! on a goro runtime, the others on a Tokio runtime):
//!
//! - `chan/spsc`: one producer, one consumer, buffer 128, 100k messages:
//!   goro, `tokio::sync::mpsc`, `async-channel`, `flume`;
//! - `chan/pingpong`: 10k round trips on rendezvous channels: goro (cap 0),
//!   `flume` (bounded 0), and `tokio::sync::mpsc` / `async-channel` with
//!   capacity 1 (they have no rendezvous);
//! - `chan/mpmc`: 4 producers, 4 consumers, buffer 128, 100k messages: goro,
//!   `async-channel`, `flume` (Tokio's mpsc has a single consumer);
//! - `chan/select`: 10k values sent alternately on two channels and received
//!   by a select: `goro::select!` against `tokio::select!` over two Tokio
//!   channels (which does not promise exactly-once across branches).
//!
//! - `chan/op_pair`: one `try_send` and one `try_recv` on a buffered
//!   channel, no waiting, one thread: the cost of a channel operation;
//! - `chan/select_ready`: a `select!` over two ready channels (and the send
//!   that refills the chosen one), one thread: the cost of a select.
//!
//! `cargo bench --bench chan`

#[path = "support/runtimes.rs"]
mod runtimes;

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use runtimes::{on_goro, on_tokio};

const SPSC: u64 = 100_000;
const PINGPONG: u64 = 10_000;
const MPMC: u64 = 100_000;
const SELECT: u64 = 10_000;

/// Times `iters` runs of `workload` on a fresh runtime of the right kind.
fn timed<F, Fut>(goro: bool, iters: u64, workload: F) -> Duration
where
    F: Fn() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let driver = async move {
        let start = Instant::now();
        for _ in 0..iters {
            workload().await;
        }
        start.elapsed()
    };
    if goro {
        on_goro(driver)
    } else {
        on_tokio(driver)
    }
}

async fn spsc_goro() {
    let (tx, rx) = goro::chan::<u64>(128);
    goro::go!(async move {
        for i in 0..SPSC {
            tx.send(i).await.unwrap();
        }
    });
    while rx.recv().await.is_some() {}
}

async fn spsc_tokio() {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<u64>(128);
    tokio::spawn(async move {
        for i in 0..SPSC {
            tx.send(i).await.unwrap();
        }
    });
    while rx.recv().await.is_some() {}
}

async fn spsc_async_channel() {
    let (tx, rx) = async_channel::bounded::<u64>(128);
    tokio::spawn(async move {
        for i in 0..SPSC {
            tx.send(i).await.unwrap();
        }
    });
    while rx.recv().await.is_ok() {}
}

async fn spsc_flume() {
    let (tx, rx) = flume::bounded::<u64>(128);
    tokio::spawn(async move {
        for i in 0..SPSC {
            tx.send_async(i).await.unwrap();
        }
    });
    while rx.recv_async().await.is_ok() {}
}

async fn pingpong_goro() {
    let (ping_tx, ping_rx) = goro::chan::<u64>(0);
    let (pong_tx, pong_rx) = goro::chan::<u64>(0);
    goro::go!(async move {
        while let Some(v) = ping_rx.recv().await {
            pong_tx.send(v).await.unwrap();
        }
    });
    for i in 0..PINGPONG {
        ping_tx.send(i).await.unwrap();
        pong_rx.recv().await.unwrap();
    }
}

async fn pingpong_tokio() {
    let (ping_tx, mut ping_rx) = tokio::sync::mpsc::channel::<u64>(1);
    let (pong_tx, mut pong_rx) = tokio::sync::mpsc::channel::<u64>(1);
    tokio::spawn(async move {
        while let Some(v) = ping_rx.recv().await {
            pong_tx.send(v).await.unwrap();
        }
    });
    for i in 0..PINGPONG {
        ping_tx.send(i).await.unwrap();
        pong_rx.recv().await.unwrap();
    }
}

async fn pingpong_async_channel() {
    let (ping_tx, ping_rx) = async_channel::bounded::<u64>(1);
    let (pong_tx, pong_rx) = async_channel::bounded::<u64>(1);
    tokio::spawn(async move {
        while let Ok(v) = ping_rx.recv().await {
            pong_tx.send(v).await.unwrap();
        }
    });
    for i in 0..PINGPONG {
        ping_tx.send(i).await.unwrap();
        pong_rx.recv().await.unwrap();
    }
}

async fn pingpong_flume() {
    let (ping_tx, ping_rx) = flume::bounded::<u64>(0);
    let (pong_tx, pong_rx) = flume::bounded::<u64>(0);
    tokio::spawn(async move {
        while let Ok(v) = ping_rx.recv_async().await {
            pong_tx.send_async(v).await.unwrap();
        }
    });
    for i in 0..PINGPONG {
        ping_tx.send_async(i).await.unwrap();
        pong_rx.recv_async().await.unwrap();
    }
}

async fn mpmc_goro() {
    let (tx, rx) = goro::chan::<u64>(128);
    for _ in 0..4 {
        let tx = tx.clone();
        goro::go!(async move {
            for i in 0..MPMC / 4 {
                tx.send(i).await.unwrap();
            }
        });
    }
    drop(tx);
    let wg = goro::sync::WaitGroup::new();
    for _ in 0..4 {
        let rx = rx.clone();
        wg.go(async move { while rx.recv().await.is_some() {} });
    }
    wg.wait().await;
}

async fn mpmc_async_channel() {
    let (tx, rx) = async_channel::bounded::<u64>(128);
    for _ in 0..4 {
        let tx = tx.clone();
        tokio::spawn(async move {
            for i in 0..MPMC / 4 {
                tx.send(i).await.unwrap();
            }
        });
    }
    drop(tx);
    let mut consumers = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let rx = rx.clone();
        consumers.spawn(async move { while rx.recv().await.is_ok() {} });
    }
    while consumers.join_next().await.is_some() {}
}

async fn mpmc_flume() {
    let (tx, rx) = flume::bounded::<u64>(128);
    for _ in 0..4 {
        let tx = tx.clone();
        tokio::spawn(async move {
            for i in 0..MPMC / 4 {
                tx.send_async(i).await.unwrap();
            }
        });
    }
    drop(tx);
    let mut consumers = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let rx = rx.clone();
        consumers.spawn(async move { while rx.recv_async().await.is_ok() {} });
    }
    while consumers.join_next().await.is_some() {}
}

async fn select_goro() {
    let (a_tx, a) = goro::chan::<u64>(0);
    let (b_tx, b) = goro::chan::<u64>(0);
    goro::go!(async move {
        for i in 0..SELECT {
            if i % 2 == 0 {
                a_tx.send(i).await.unwrap();
            } else {
                b_tx.send(i).await.unwrap();
            }
        }
    });
    for _ in 0..SELECT {
        goro::select! {
            v = a.recv() => { v.unwrap(); }
            v = b.recv() => { v.unwrap(); }
        }
    }
}

async fn select_tokio() {
    let (a_tx, mut a) = tokio::sync::mpsc::channel::<u64>(1);
    let (b_tx, mut b) = tokio::sync::mpsc::channel::<u64>(1);
    tokio::spawn(async move {
        for i in 0..SELECT {
            if i % 2 == 0 {
                a_tx.send(i).await.unwrap();
            } else {
                b_tx.send(i).await.unwrap();
            }
        }
    });
    for _ in 0..SELECT {
        // A closed channel's branch is disabled by the pattern, as Tokio
        // channels buffer and the sender may finish (and close) early.
        tokio::select! {
            Some(_) = a.recv() => {}
            Some(_) = b.recv() => {}
        }
    }
}

macro_rules! variant {
    ($group:expr, $name:literal, $n:expr, $goro:expr, $workload:path) => {
        $group.bench_function(BenchmarkId::new($name, $n), |b| {
            b.iter_custom(|iters| timed($goro, iters, $workload));
        });
    };
}

/// Single-thread costs: no runtime, nothing waits.
fn micro(c: &mut Criterion) {
    let mut group = c.benchmark_group("chan/op_pair");
    group.throughput(Throughput::Elements(1));
    {
        let (tx, rx) = goro::chan::<u64>(16);
        group.bench_function("goro", |b| {
            b.iter(|| {
                tx.try_send(1).unwrap();
                rx.try_recv().unwrap()
            })
        });
    }
    {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<u64>(16);
        group.bench_function("tokio_mpsc", |b| {
            b.iter(|| {
                tx.try_send(1).unwrap();
                rx.try_recv().unwrap()
            })
        });
    }
    {
        let (tx, rx) = async_channel::bounded::<u64>(16);
        group.bench_function("async_channel", |b| {
            b.iter(|| {
                tx.try_send(1).unwrap();
                rx.try_recv().unwrap()
            })
        });
    }
    {
        let (tx, rx) = flume::bounded::<u64>(16);
        group.bench_function("flume", |b| {
            b.iter(|| {
                tx.try_send(1).unwrap();
                rx.try_recv().unwrap()
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("chan/select_ready");
    group.throughput(Throughput::Elements(1));
    let (a_tx, a) = goro::chan::<u64>(1);
    let (b_tx, b) = goro::chan::<u64>(1);
    a_tx.try_send(0).unwrap();
    b_tx.try_send(0).unwrap();
    group.bench_function("goro_select", |bench| {
        bench.iter(|| {
            futures::executor::block_on(async {
                goro::select! {
                    v = a.recv() => { a_tx.try_send(v.unwrap()).unwrap(); }
                    v = b.recv() => { b_tx.try_send(v.unwrap()).unwrap(); }
                }
            })
        })
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("chan/spsc");
    group.throughput(Throughput::Elements(SPSC));
    variant!(group, "goro", SPSC, true, spsc_goro);
    variant!(group, "tokio_mpsc", SPSC, false, spsc_tokio);
    variant!(group, "async_channel", SPSC, false, spsc_async_channel);
    variant!(group, "flume", SPSC, false, spsc_flume);
    group.finish();

    let mut group = c.benchmark_group("chan/pingpong");
    group.throughput(Throughput::Elements(PINGPONG));
    variant!(group, "goro", PINGPONG, true, pingpong_goro);
    variant!(group, "tokio_mpsc_cap1", PINGPONG, false, pingpong_tokio);
    variant!(
        group,
        "async_channel_cap1",
        PINGPONG,
        false,
        pingpong_async_channel
    );
    variant!(group, "flume_cap0", PINGPONG, false, pingpong_flume);
    group.finish();

    let mut group = c.benchmark_group("chan/mpmc");
    group.throughput(Throughput::Elements(MPMC));
    variant!(group, "goro", MPMC, true, mpmc_goro);
    variant!(group, "async_channel", MPMC, false, mpmc_async_channel);
    variant!(group, "flume", MPMC, false, mpmc_flume);
    group.finish();

    let mut group = c.benchmark_group("chan/select");
    group.throughput(Throughput::Elements(SELECT));
    variant!(group, "goro_select", SELECT, true, select_goro);
    variant!(group, "tokio_select", SELECT, false, select_tokio);
    group.finish();
}

criterion_group! {
    name = chan;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = micro, benches
}
criterion_main!(chan);
