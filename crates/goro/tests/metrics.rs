//! `goro::metrics()`: its figures against `num_goroutine` and against
//! workloads whose counts are known. Waits are on events (a channel, a
//! barrier), with generous deadlines; no figure depends on timing.

use std::time::{Duration, Instant};

const GENEROUS: Duration = Duration::from_secs(60);

/// Polls `metrics()` (yielding between looks) until `want` holds.
async fn until(what: &str, want: impl Fn(&goro::Metrics) -> bool) -> goro::Metrics {
    let deadline = Instant::now() + GENEROUS;
    loop {
        let metrics = goro::metrics();
        if want(&metrics) {
            return metrics;
        }
        assert!(Instant::now() < deadline, "never {what}: {metrics:#?}");
        goro::time::sleep(Duration::from_millis(1)).await;
    }
}

fn runtime() -> goro::Builder {
    goro::Builder::new()
        .worker_threads(2)
        .panic(goro::Panic::Isolate)
}

#[test]
fn counts_follow_a_known_workload() {
    runtime().run(async {
        let start = goro::metrics();
        assert_eq!(start.spawned, 1, "main: {start:#?}");
        assert_eq!(start.ended, 0);
        assert_eq!(start.goroutines, 1);
        assert_eq!(start.workers, 2);

        const N: usize = 500;
        let (release, parked) = goro::chan::<()>(0);
        let handles: Vec<_> = (0..N)
            .map(|_| {
                let parked = parked.clone();
                goro::go!(async move { parked.recv().await })
            })
            .collect();
        let during = goro::metrics();
        assert_eq!(during.spawned, 1 + N as u64, "{during:#?}");
        assert_eq!(during.ended, 0, "{during:#?}");
        assert_eq!(during.goroutines, 1 + N);
        assert_eq!(during.goroutines, goro::num_goroutine());
        // Every goroutine but main's is on a carrier of its own.
        assert!(during.carriers >= N, "{during:#?}");

        drop(release);
        for handle in handles {
            assert_eq!(handle.await.unwrap(), None);
        }
        let after = goro::metrics();
        assert_eq!(after.spawned, 1 + N as u64, "{after:#?}");
        assert_eq!(after.ended, N as u64, "{after:#?}");
        assert_eq!(after.goroutines, 1);
        assert_eq!(after.goroutines, goro::num_goroutine());
        // The carriers stay, idle, for the next goroutines.
        assert!(
            after.idle_carriers >= N.min(after.carriers) - 1,
            "{after:#?}"
        );
        assert!(after.idle_carriers <= after.carriers);
        assert_eq!(after.panics, 0);
    });
}

#[test]
fn polls_and_busy_time_are_counted_per_worker() {
    runtime().run(async {
        const N: u64 = 1000;
        let handles: Vec<_> = (0..N)
            .map(|_| goro::go!(async { goro::gosched().await }))
            .collect();
        for handle in handles {
            handle.await.unwrap();
        }
        // Each goroutine was polled at least twice (the yield); a worker
        // adds its polls every 64 and when it parks, so the one running
        // main may not have added its last 63 yet.
        let metrics = until("both workers listed", |m| m.per_worker.len() == 2).await;
        assert!(metrics.polls >= 2 * N - 63, "{metrics:#?}");
        let threads: Vec<u32> = metrics.per_worker.iter().map(|w| w.thread).collect();
        assert_eq!(threads.len(), 2, "{metrics:#?}");
        assert!(threads[0] < threads[1], "by thread number: {metrics:#?}");
        let per_worker: u64 = metrics.per_worker.iter().map(|w| w.polls).sum();
        assert!(per_worker <= metrics.polls, "{metrics:#?}");
        assert!(per_worker >= 2 * N - 63, "{metrics:#?}");
        assert!(
            metrics.per_worker.iter().any(|w| !w.busy.is_zero()),
            "{metrics:#?}"
        );
        let later = goro::metrics();
        for (before, after) in metrics.per_worker.iter().zip(&later.per_worker) {
            assert!(after.busy >= before.busy && after.polls >= before.polls);
        }
    });
}

#[test]
fn blocking_calls_running_and_queued() {
    runtime().max_blocking_threads(1).run(async {
        let (release, released) = std::sync::mpsc::channel::<()>();
        // The pool's one thread is held by the first call; the second waits.
        let first = goro::go!(goro::blocking(move || released.recv().unwrap()));
        until("one call running", |m| m.blocking_running == 1).await;
        let second = goro::spawn_blocking(|| 2);
        let metrics = until("one running and one queued", |m| m.blocking_queued == 1).await;
        assert_eq!(metrics.blocking_running, 1, "{metrics:#?}");
        assert_eq!(metrics.blocking_threads, 1, "{metrics:#?}");
        // A spawn_blocking goroutine is a goroutine, queued or running.
        assert_eq!(metrics.goroutines, 3, "main, first, second: {metrics:#?}");
        assert_eq!(goro::num_goroutine(), 3);
        release.send(()).unwrap();
        first.await.unwrap();
        assert_eq!(second.await.unwrap(), 2);
        let after = goro::metrics();
        assert_eq!(
            (after.blocking_running, after.blocking_queued),
            (0, 0),
            "{after:#?}"
        );
        assert_eq!(after.goroutines, 1, "{after:#?}");
        assert_eq!(after.spawned, 3);
        assert_eq!(after.ended, 2);
    });
}

#[test]
fn isolated_panics_are_counted() {
    runtime().run(async {
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let handles: Vec<_> = (0..3)
            .map(|i| goro::go!(async move { assert!(i > 5, "goroutine {i} panics") }))
            .collect();
        let blocking = goro::spawn_blocking(|| panic!("on the pool"));
        for handle in handles {
            assert!(handle.await.unwrap_err().is_panic());
        }
        assert!(blocking.await.unwrap_err().is_panic());
        std::panic::set_hook(hook);
        let metrics = goro::metrics();
        assert_eq!(metrics.panics, 4, "{metrics:#?}");
        assert_eq!(metrics.ended, 4, "{metrics:#?}");
        assert_eq!(metrics.goroutines, 1);
    });
}

#[test]
fn inside_a_plain_tokio_runtime_tasks_are_the_goroutines() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(3)
        .build()
        .unwrap();
    runtime.block_on(async {
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let parked = goro::spawn(async move { rx.await.ok() });
        let metrics = goro::metrics();
        assert_eq!(metrics.workers, 3);
        assert_eq!(metrics.goroutines, 1, "{metrics:#?}");
        assert_eq!(metrics.goroutines, goro::num_goroutine());
        assert_eq!(metrics.spawned, 0, "unknown there: {metrics:#?}");
        drop(tx);
        parked.await.unwrap();
    });
}

/// Without `GORO_SCHEDTRACE` no thread runs for it.
#[cfg(target_os = "linux")]
#[test]
fn no_schedtrace_thread_unless_asked() {
    assert!(std::env::var_os("GORO_SCHEDTRACE").is_none());
    let names = runtime().run(async {
        std::fs::read_dir("/proc/self/task")
            .unwrap()
            // A thread of another test may end meanwhile.
            .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
            .collect::<Vec<_>>()
    });
    assert!(
        names.iter().any(|name| name.starts_with("goro")),
        "{names:?}"
    );
    assert!(
        !names.iter().any(|name| name.trim() == "goro-schedtrace"),
        "{names:?}"
    );
}

/// A worker's busy time is a counter: read while workers park and wake
/// thousands of times, it never goes back.
#[test]
fn busy_time_never_goes_back() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    runtime().run(async {
        let stop = Arc::new(AtomicBool::new(false));
        let nappers: Vec<_> = (0..4)
            .map(|_| {
                let stop = stop.clone();
                goro::go!(async move {
                    while !stop.load(Ordering::Relaxed) {
                        goro::time::sleep(Duration::from_micros(20)).await;
                    }
                })
            })
            .collect();
        let mut last: std::collections::HashMap<u32, Duration> = Default::default();
        for i in 0..20_000 {
            for worker in goro::metrics().per_worker {
                let before = last.entry(worker.thread).or_default();
                assert!(
                    worker.busy >= *before,
                    "worker {} went from {before:?} to {:?}",
                    worker.thread,
                    worker.busy
                );
                *before = worker.busy;
            }
            if i % 64 == 0 {
                goro::gosched().await;
            }
        }
        stop.store(true, Ordering::Relaxed);
        for napper in nappers {
            napper.await.unwrap();
        }
    });
}
