//! Timer accuracy and cost, goro against raw Tokio (and, through
//! `benches/timers.sh`, Go's `benches/go/timers/main.go`, which prints the
//! same lines):
//!
//! | line | what |
//! | --- | --- |
//! | `sleep_1ms_median_us`, `sleep_1ms_p90_us` | 500 sleeps of 1 ms one after another in main: how long each took |
//! | `tick_1ms_per_s` | ticks received in one second from a 1 ms ticker |
//! | `timer_create_stop_ns` | making a one-hour timer and stopping it, 1,000,000 times: time per pair |
//! | `armed_timer_bytes` | resident memory per armed timer, 1,000,000 one-hour timers held at once |
//!
//! `timers goro` or `timers tokio`. goro's `Timer` holds a channel, as
//! Go's does; Tokio's nearest is a `Sleep`, registered by one poll, so
//! Tokio's figures are of a lighter thing.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

const HOUR: Duration = Duration::from_secs(3600);
const SLEEPS: usize = 500;
const TIMERS: usize = 1_000_000;

fn main() {
    let side = std::env::args().nth(1).unwrap_or_default();
    match side.as_str() {
        "goro" => goro::run(goro_side()),
        "tokio" => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("a Tokio runtime")
            .block_on(async { tokio::spawn(tokio_side()).await.unwrap() }),
        _ => {
            eprintln!("usage: timers goro|tokio");
            std::process::exit(64);
        }
    }
}

async fn goro_side() {
    let mut took = Vec::with_capacity(SLEEPS);
    for _ in 0..SLEEPS {
        let start = Instant::now();
        goro::time::sleep(Duration::from_millis(1)).await;
        took.push(start.elapsed());
    }
    sleeps(took);

    let ticker = goro::time::Ticker::new(Duration::from_millis(1));
    let end = goro::time::after(Duration::from_secs(1));
    let mut ticks = 0;
    loop {
        goro::select! {
            _ = ticker.c.recv() => ticks += 1,
            _ = end.recv() => break,
        }
    }
    ticker.stop();
    println!("tick_1ms_per_s {ticks}");

    let start = Instant::now();
    for i in 0..TIMERS {
        let timer = goro::time::Timer::new(HOUR);
        timer.stop();
        if i % 10_000 == 0 {
            goro::gosched().await;
        }
    }
    per_op("timer_create_stop_ns", start.elapsed());

    let before = rss();
    let mut armed = Vec::with_capacity(TIMERS);
    for i in 0..TIMERS {
        armed.push(goro::time::Timer::new(HOUR));
        if i % 10_000 == 0 {
            goro::gosched().await;
        }
    }
    println!("armed_timer_bytes {}", (rss() - before) / TIMERS);
    // Main's end ends the program: the timers are not dropped one by one.
    std::mem::forget(armed);
}

async fn tokio_side() {
    let mut took = Vec::with_capacity(SLEEPS);
    for _ in 0..SLEEPS {
        let start = Instant::now();
        tokio::time::sleep(Duration::from_millis(1)).await;
        took.push(start.elapsed());
    }
    sleeps(took);

    let mut interval = tokio::time::interval(Duration::from_millis(1));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let end = tokio::time::sleep(Duration::from_secs(1));
    tokio::pin!(end);
    let mut ticks = 0;
    loop {
        tokio::select! {
            _ = interval.tick() => ticks += 1,
            () = &mut end => break,
        }
    }
    println!("tick_1ms_per_s {ticks}");

    let start = Instant::now();
    for _ in 0..TIMERS {
        let mut sleep = std::pin::pin!(tokio::time::sleep(HOUR));
        registered(sleep.as_mut());
    }
    per_op("timer_create_stop_ns", start.elapsed());

    let before = rss();
    let armed: Vec<Pin<Box<tokio::time::Sleep>>> = (0..TIMERS)
        .map(|_| {
            let mut sleep = Box::pin(tokio::time::sleep(HOUR));
            registered(sleep.as_mut());
            sleep
        })
        .collect();
    println!("armed_timer_bytes {}", (rss() - before) / TIMERS);
    drop(armed);
}

/// Polls a Tokio sleep once, which puts it in the timer wheel.
fn registered(sleep: Pin<&mut tokio::time::Sleep>) {
    let pending = sleep.poll(&mut Context::from_waker(futures::task::noop_waker_ref()));
    assert!(matches!(pending, Poll::Pending));
}

fn sleeps(mut took: Vec<Duration>) {
    took.sort();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!("sleep_1ms_median_us {:.0}", us(took[took.len() / 2]));
    println!("sleep_1ms_p90_us {:.0}", us(took[took.len() * 9 / 10]));
}

fn per_op(name: &str, total: Duration) {
    println!("{name} {:.0}", total.as_secs_f64() * 1e9 / TIMERS as f64);
}

/// The process's resident memory, in bytes.
fn rss() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}
