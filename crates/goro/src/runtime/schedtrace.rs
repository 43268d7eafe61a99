//! `GORO_SCHEDTRACE=1s`: a line of the runtime's figures on stderr every
//! period, in the spirit of Go's `GODEBUG=schedtrace`. A thread of its own
//! (`goro-schedtrace`) reads `Metrics` and sleeps; nothing else runs for it,
//! and without the variable no thread starts.

use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use tokio::runtime::Handle;

use super::carriers::Carriers;
use super::config::{threshold_env, BuildError};
use super::context::Flags;
use super::metrics::Metrics;
use super::threads;

/// The period `GORO_SCHEDTRACE` asks for, if any.
pub(crate) fn period_from_env() -> Result<Option<Duration>, BuildError> {
    match threshold_env("GORO_SCHEDTRACE") {
        Ok(period) => Ok(period.flatten()),
        Err(value) => Err(BuildError::Schedtrace(value)),
    }
}

/// Starts the thread that prints the line every `period` until the runtime
/// of `carriers` shuts down.
pub(crate) fn start(period: Duration, carriers: &Arc<Carriers>, handle: Handle, flags: Flags) {
    let (stop, stopped) = std::sync::mpsc::channel();
    carriers.on_close(stop);
    let carriers = Arc::downgrade(carriers);
    let started = std::thread::Builder::new()
        .name("goro-schedtrace".into())
        .spawn(move || {
            /// The thread is goro's until it ends, however it ends.
            struct Known;
            impl Drop for Known {
                fn drop(&mut self) {
                    threads::leave();
                }
            }
            threads::enter();
            let _known = Known;
            run(period, &carriers, &handle, flags, &stopped);
        });
    if let Err(err) = started {
        eprintln!("goro: GORO_SCHEDTRACE: could not start its thread: {err}");
    }
}

fn run(
    period: Duration,
    carriers: &Weak<Carriers>,
    handle: &Handle,
    flags: Flags,
    stopped: &Receiver<()>,
) {
    let start = Instant::now();
    let mut next = start + period;
    let mut last = Metrics::default();
    loop {
        let wait = next.saturating_duration_since(Instant::now());
        // Ends as soon as the runtime closes (its sender is dropped), so
        // that the runtime's handle is not kept a period longer.
        if let Err(RecvTimeoutError::Disconnected) = stopped.recv_timeout(wait) {
            return;
        }
        let Some(runtime) = carriers.upgrade().filter(|c| !c.is_closed()) else {
            return;
        };
        let metrics = Metrics::read(handle, flags, Some(&runtime));
        drop(runtime);
        let at = Instant::now();
        // A closed stderr is no reason to stop the program.
        let _ = writeln!(
            std::io::stderr(),
            "{}",
            line(at - start, period, &metrics, &last)
        );
        last = metrics;
        next += period;
        if next < at {
            // Fell behind (a stopped process, a loaded machine): no burst.
            next = at + period;
        }
    }
}

/// One line: `goro: 1000ms: workers=2 idle=1 ...`, each figure a
/// `key=value` word; totals as their growth since the last line (`+n`);
/// each worker's busy share of the period in brackets.
pub(crate) fn line(at: Duration, period: Duration, now: &Metrics, last: &Metrics) -> String {
    let mut out = format!(
        "goro: {}ms: workers={} idle={} threads={} goroutines={} runqueue={} blocking={} queued={} \
         spawned=+{} ended=+{} panics=+{} polls=+{} busy=[",
        at.as_millis(),
        now.workers,
        now.idle_workers,
        now.workers + now.blocking_threads,
        now.goroutines,
        now.global_queue,
        now.blocking_running,
        now.blocking_queued,
        now.spawned.saturating_sub(last.spawned),
        now.ended.saturating_sub(last.ended),
        now.panics.saturating_sub(last.panics),
        now.polls.saturating_sub(last.polls),
    );
    for (i, worker) in now.per_worker.iter().enumerate() {
        let before = last
            .per_worker
            .iter()
            .find(|w| w.thread == worker.thread)
            .map_or(Duration::ZERO, |w| w.busy);
        let busy = worker.busy.saturating_sub(before).as_secs_f64() / period.as_secs_f64();
        let sep = if i == 0 { "" } else { " " };
        let _ = write!(out, "{sep}{:.0}%", (busy * 100.0).min(100.0));
    }
    let _ = write!(
        out,
        "] carriers={} idle_carriers={}",
        now.carriers, now.idle_carriers
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::metrics::WorkerMetrics;

    #[test]
    fn a_line_says_growth_and_busy_shares() {
        let worker = |thread, busy_ms| WorkerMetrics {
            thread,
            busy: Duration::from_millis(busy_ms),
            ..WorkerMetrics::default()
        };
        let last = Metrics {
            spawned: 10,
            ended: 4,
            polls: 100,
            per_worker: vec![worker(0, 100), worker(1, 0)],
            ..Metrics::default()
        };
        let now = Metrics {
            goroutines: 7,
            spawned: 60,
            ended: 54,
            polls: 1100,
            workers: 2,
            idle_workers: 1,
            blocking_threads: 1,
            per_worker: vec![worker(0, 600), worker(1, 250)],
            carriers: 9,
            idle_carriers: 3,
            ..Metrics::default()
        };
        assert_eq!(
            line(
                Duration::from_millis(1000),
                Duration::from_millis(1000),
                &now,
                &last
            ),
            "goro: 1000ms: workers=2 idle=1 threads=3 goroutines=7 runqueue=0 blocking=0 \
             queued=0 spawned=+50 ended=+50 panics=+0 polls=+1000 busy=[50% 25%] carriers=9 \
             idle_carriers=3"
        );
    }
}
