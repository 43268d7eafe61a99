//! What `goro::dump()` costs with many goroutines parked.
//!
//! `cargo bench --bench dump_cost [N]` parks N goroutines (default
//! 1,000,000) on one channel, then takes five dumps and prints the median
//! time of `goro::dump()`, of formatting it, the dump's heap size (its
//! entries, not counting the text) and the process's resident memory per
//! parked goroutine before the dump.

use std::time::{Duration, Instant};

use goro::sync::WaitGroup;

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    goro::run(async move {
        let base = rss_kib();
        let parked = WaitGroup::new();
        let finished = WaitGroup::new();
        let (release_tx, release) = goro::chan::<()>(0);
        for _ in 0..n {
            parked.add(1);
            let (parked, release) = (parked.clone(), release.clone());
            finished.go(async move {
                parked.done();
                release.recv().await;
            });
        }
        parked.wait().await;
        // Every goroutine has reached its receive: give the last ones time
        // to park (their state is written when they do).
        goro::time::sleep(Duration::from_millis(200)).await;
        let with_goroutines = rss_kib();
        let (mut takes, mut formats, mut entries, mut bytes) = (vec![], vec![], 0, 0);
        for _ in 0..5 {
            let start = Instant::now();
            let dump = goro::dump();
            takes.push(start.elapsed());
            let start = Instant::now();
            let text = dump.to_string();
            formats.push(start.elapsed());
            entries = dump.len();
            bytes = text.len();
        }
        println!(
            "dump of {entries} goroutines ({n} parked + main): take {:?}, format {:?} ({} MiB of text)",
            median(takes),
            median(formats),
            bytes >> 20,
        );
        println!(
            "entries: {} bytes each; resident memory per parked goroutine: {} bytes",
            std::mem::size_of::<goro::GoroutineDump>(),
            (with_goroutines.saturating_sub(base) * 1024) / n as u64,
        );
        drop(release_tx);
        finished.wait().await;
    });
}
