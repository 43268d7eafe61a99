//! 100,000 goroutines and a WaitGroup: how long they take and how much
//! memory the process peaked at.
//!
//! `cargo run --release --example spawn_many [N]` (N defaults to 100000).
//! Each goroutine parks until all have started, so all N are alive at once,
//! then they all finish.

use std::time::Instant;

use goro::sync::WaitGroup;

#[goro::main]
async fn main() {
    let n: usize = match std::env::args().nth(1) {
        None => 100_000,
        Some(arg) => match arg.parse() {
            Ok(n) => n,
            Err(_) => {
                eprintln!("spawn_many: N must be a whole number, got {arg:?}");
                std::process::exit(2);
            }
        },
    };
    let rss_before = peak_rss_kib();
    let start = Instant::now();

    let all_started = WaitGroup::new();
    all_started.add(1);
    let finished = WaitGroup::new();
    for _ in 0..n {
        let all_started = all_started.clone();
        finished.go(async move { all_started.wait().await });
    }
    let spawned = start.elapsed();
    let alive = goro::num_goroutine();
    let rss_peak = peak_rss_kib();
    all_started.done();
    finished.wait().await;
    let total = start.elapsed();

    println!("goroutines:        {n} (alive at once: {alive}, main included)");
    println!("workers:           {}", goro::gomaxprocs());
    println!(
        "spawn all:         {spawned:?} ({:.0} ns per goroutine)",
        ns_per(spawned, n)
    );
    println!("spawn + finish:    {total:?}");
    if let (Some(before), Some(peak)) = (rss_before, rss_peak) {
        println!("peak RSS:          {peak} KiB (before spawning: {before} KiB)");
        let per = (peak.saturating_sub(before) as f64 * 1024.0) / n as f64;
        println!("memory per parked goroutine: {per:.0} bytes");
    }
}

fn ns_per(d: std::time::Duration, n: usize) -> f64 {
    d.as_nanos() as f64 / n.max(1) as f64
}

/// The process's peak resident set size (Linux `VmHWM`), in KiB.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
