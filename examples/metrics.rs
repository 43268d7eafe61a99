//! Exporting goro's metrics: a reporter goroutine prints `goro::metrics()`
//! once a second in Prometheus' text format (what a `/metrics` endpoint
//! would serve), while a small service runs: a producer sends jobs to
//! worker goroutines, each job starting a goroutine and making a blocking
//! call.
//!
//! `cargo run --example metrics` (an argument sets the period in
//! milliseconds; the program runs for three periods). With
//! `GORO_SCHEDTRACE=1s` the runtime prints its own line to stderr too.

use std::time::Duration;

use goro::sync::WaitGroup;

/// The metrics in Prometheus' text exposition format: totals as counters,
/// the rest as gauges.
fn exposition(m: &goro::Metrics) -> String {
    let mut out = String::new();
    let mut metric = |name: &str, kind: &str, value: String| {
        out.push_str(&format!("# TYPE {name} {kind}\n{name} {value}\n"));
    };
    metric("goro_goroutines", "gauge", m.goroutines.to_string());
    metric(
        "goro_goroutines_spawned_total",
        "counter",
        m.spawned.to_string(),
    );
    metric(
        "goro_goroutines_ended_total",
        "counter",
        m.ended.to_string(),
    );
    metric("goro_panics_total", "counter", m.panics.to_string());
    metric(
        "goro_blocking_running",
        "gauge",
        m.blocking_running.to_string(),
    );
    metric(
        "goro_blocking_queued",
        "gauge",
        m.blocking_queued.to_string(),
    );
    metric(
        "goro_blocking_threads",
        "gauge",
        m.blocking_threads.to_string(),
    );
    metric("goro_workers", "gauge", m.workers.to_string());
    metric("goro_workers_idle", "gauge", m.idle_workers.to_string());
    metric("goro_global_queue", "gauge", m.global_queue.to_string());
    metric("goro_polls_total", "counter", m.polls.to_string());
    out.push_str("# TYPE goro_worker_busy_seconds_total counter\n");
    for w in &m.per_worker {
        out.push_str(&format!(
            "goro_worker_busy_seconds_total{{thread=\"{}\"}} {:.6}\n",
            w.thread,
            w.busy.as_secs_f64()
        ));
    }
    out.push_str("# TYPE goro_worker_polls_total counter\n");
    for w in &m.per_worker {
        out.push_str(&format!(
            "goro_worker_polls_total{{thread=\"{}\"}} {}\n",
            w.thread, w.polls
        ));
    }
    out
}

#[goro::main]
async fn main() {
    let period = std::env::args()
        .nth(1)
        .and_then(|ms| ms.parse().ok())
        .map_or(Duration::from_secs(1), Duration::from_millis);

    // The reporter: its own goroutine, woken by a ticker.
    let (stop, stopped) = goro::chan::<()>(0);
    let reporter = goro::Goroutine::new().name("metrics").spawn(async move {
        let tick = goro::time::tick(period);
        loop {
            goro::select! {
                _ = stopped.recv() => return,
                _ = tick.recv() => println!("{}", exposition(&goro::metrics())),
            }
        }
    });

    // The service: jobs from a producer to eight workers.
    let (jobs_tx, jobs) = goro::chan::<u64>(64);
    let workers = WaitGroup::new();
    for _ in 0..8 {
        let jobs = jobs.clone();
        workers.go(async move {
            while let Some(job) = jobs.recv().await {
                // A goroutine per job, and a blocking call.
                goro::go!(async move { job.wrapping_mul(31) });
                goro::blocking(move || std::thread::sleep(Duration::from_micros(200 + job % 300)))
                    .await;
            }
        });
    }
    drop(jobs);
    let until = goro::time::after(period * 3 + period / 2);
    let mut job = 0;
    loop {
        goro::select! {
            _ = until.recv() => break,
            _ = jobs_tx.send(job) => job += 1,
        }
    }
    drop(jobs_tx);
    workers.wait().await;
    stop.send(()).await.unwrap();
    reporter.await.unwrap();
    println!("{job} jobs done");
}
