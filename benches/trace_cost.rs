//! What goro's `trace` feature costs.
//!
//! `trace_cost spawn [ROUNDS] [N]` prints the median time per goroutine of
//! spawning and completing 1,000,000 goroutines (`goro::spawn`, 2 workers),
//! alternating with `tokio::spawn` on a plain Tokio runtime. Built with and
//! without the feature (`benches/trace_cost.sh` does both and alternates
//! them), it gives the cost of the feature while `GORO_TRACE` is unset: the
//! per-goroutine span check, the watchdog's per-poll stores and its read of
//! Tokio's task id.
//!
//! `trace_cost goro-only N` spawns and completes N goroutines on one worker
//! and prints nothing: for instruction counts, the difference of two
//! `valgrind --tool=callgrind` runs (N = 100000 and 200000) divided by the
//! difference in N, with each build.
//!
//! `trace_cost record [ROUNDS]` (feature on) measures the cost of
//! recording: the same workloads with and without a recording in progress,
//! alternating, and the extra time divided by the number of events
//! recorded: per poll and wake (ping-pong of two goroutines over unbuffered
//! channels) and per goroutine spawned.

#[path = "support/runtimes.rs"]
mod runtimes;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[cfg(feature = "trace")]
use goro_trace::Event;
use runtimes::{on_goro, on_tokio};
use tokio::sync::Notify;

const SPAWNS: usize = 1_000_000;
#[cfg_attr(not(feature = "trace"), allow(dead_code))]
const ROUND_TRIPS: usize = 200_000;

struct Countdown {
    remaining: AtomicUsize,
    done: Notify,
}

fn tick(countdown: &Countdown) {
    if countdown.remaining.fetch_sub(1, Ordering::AcqRel) == 1 {
        countdown.done.notify_one();
    }
}

fn countdown(n: usize) -> Arc<Countdown> {
    Arc::new(Countdown {
        remaining: AtomicUsize::new(n),
        done: Notify::new(),
    })
}

/// Spawns and completes `n` goroutines; returns the time per goroutine.
async fn goro_spawns(n: usize) -> Duration {
    let start = Instant::now();
    let countdown = countdown(n);
    for _ in 0..n {
        let c = Arc::clone(&countdown);
        goro::spawn(async move { tick(&c) });
    }
    countdown.done.notified().await;
    start.elapsed() / n as u32
}

async fn tokio_spawns(n: usize) -> Duration {
    let start = Instant::now();
    let countdown = countdown(n);
    for _ in 0..n {
        let c = Arc::clone(&countdown);
        tokio::spawn(async move { tick(&c) });
    }
    countdown.done.notified().await;
    start.elapsed() / n as u32
}

/// `n` round trips between two goroutines over unbuffered channels.
#[cfg_attr(not(feature = "trace"), allow(dead_code))]
async fn pingpong(n: usize) -> Duration {
    let (ping_tx, ping_rx) = goro::chan::<usize>(0);
    let (pong_tx, pong_rx) = goro::chan::<usize>(0);
    let start = Instant::now();
    let echo = goro::go!(async move {
        while let Some(i) = ping_rx.recv().await {
            if pong_tx.send(i).await.is_err() {
                break;
            }
        }
    });
    for i in 0..n {
        ping_tx.send(i).await.unwrap();
        assert_eq!(pong_rx.recv().await, Some(i));
    }
    drop(ping_tx);
    echo.await.unwrap();
    start.elapsed()
}

fn median(times: &mut [f64]) -> f64 {
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let mode = args.next().unwrap_or_default();
    let rounds: usize = args
        .next()
        .map_or(7, |r| r.parse().expect("ROUNDS is a number"));
    match mode.as_str() {
        "spawn" => spawn(
            rounds,
            args.next()
                .map_or(SPAWNS, |n| n.parse().expect("N is a number")),
        ),
        #[cfg(feature = "trace")]
        "record" => record(rounds),
        // For instruction counts (callgrind): N goro spawns on one worker.
        "goro-only" => {
            goro::Builder::new()
                .worker_threads(1)
                .run(async move { goro::spawn(goro_spawns(rounds)).await.unwrap() });
        }
        // `cargo bench` runs every bench; this one runs only when asked.
        _ => println!(
            "trace_cost: pass `spawn [ROUNDS] [N]`, `record [ROUNDS]` or `goro-only N`; see benches/trace_cost.rs"
        ),
    }
}

fn spawn(rounds: usize, n: usize) {
    let (mut goro, mut tokio) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        tokio.push(on_tokio(tokio_spawns(n)).as_nanos() as f64);
        goro.push(on_goro(goro_spawns(n)).as_nanos() as f64);
    }
    let (goro, tokio) = (median(&mut goro), median(&mut tokio));
    println!(
        "trace feature {}: spawn+complete of {n}, median of {rounds}: goro {goro:.0} ns, tokio {tokio:.0} ns, goro/tokio {:.3}",
        if cfg!(feature = "trace") { "on" } else { "off" },
        goro / tokio
    );
}

/// Runs `driver` on a fresh goro runtime while recording (into buffers big
/// enough to drop nothing); returns its output and the events recorded.
#[cfg(feature = "trace")]
fn recorded<F>(driver: F) -> (F::Output, Vec<Event>)
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let config = goro_trace::recorder::Config {
        events_per_thread: 1 << 23,
    };
    goro_trace::recorder::start(config).expect("no other recording");
    let output = on_goro(driver);
    let trace = goro_trace::recorder::stop().expect("the recording");
    assert_eq!(trace.dropped, 0, "the buffers are big enough");
    (output, trace.events)
}

#[cfg(feature = "trace")]
fn record(rounds: usize) {
    let (mut per_event, mut per_spawn) = (Vec::new(), Vec::new());
    let mut counts = (0, 0);
    for _ in 0..rounds {
        // Ping-pong: polls and wakes (and the workers' parks and unparks).
        let plain = on_goro(pingpong(ROUND_TRIPS));
        let (traced, events) = recorded(pingpong(ROUND_TRIPS));
        let n = events
            .iter()
            .filter(|e| matches!(e, Event::Poll { .. } | Event::Wake { .. }))
            .count();
        counts.0 = n;
        let extra = traced.as_nanos() as f64 - plain.as_nanos() as f64;
        per_event.push(extra / events.len() as f64);
        // Spawns: spawn, poll and end of each goroutine.
        let plain = on_goro(goro_spawns(SPAWNS / 10));
        let (traced, events) = recorded(goro_spawns(SPAWNS / 10));
        counts.1 = events.len();
        per_spawn.push(traced.as_nanos() as f64 - plain.as_nanos() as f64);
    }
    println!(
        "recording, median of {rounds}: ping-pong of {ROUND_TRIPS} round trips ({} polls and wakes): {:.1} ns more per event recorded",
        counts.0,
        median(&mut per_event)
    );
    println!(
        "recording, median of {rounds}: {} goroutines spawned and completed ({} events): {:.1} ns more per goroutine",
        SPAWNS / 10,
        counts.1,
        median(&mut per_spawn)
    );
}
