//! `GORO_TRACE=dir` writes the trace when the main goroutine ends, on a
//! panic exit and on Ctrl-C; the watchdog reports a goroutine that blocks a
//! worker; bad settings fail at start with one line.

mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use support::process::{example, fixture, line_of, run, start};

/// A fresh directory for one test's trace.
fn trace_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("goro-trace-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn traced(mut cmd: Command, dir: &Path) -> Command {
    cmd.env("GORO_TRACE", dir).env_remove("GORO_WATCHDOG");
    cmd
}

/// The three files exist, and trace.json is one complete JSON document.
fn assert_written(dir: &Path, stderr: &str) -> serde_json::Value {
    assert!(
        stderr.contains(&format!("goro: trace written to {}", dir.display())),
        "{stderr}"
    );
    let summary = std::fs::read_to_string(dir.join("summary.txt")).expect("summary.txt");
    assert!(!summary.is_empty());
    let html = std::fs::read_to_string(dir.join("timeline.html")).expect("timeline.html");
    assert!(html.contains("<svg"), "timeline.html has a picture");
    let json = std::fs::read_to_string(dir.join("trace.json")).expect("trace.json");
    serde_json::from_str(&json).expect("trace.json is complete JSON")
}

/// The goroutine ids and spawn locations the trace's slices carry.
fn slice_args(trace: &serde_json::Value) -> Vec<String> {
    trace["traceEvents"]
        .as_array()
        .expect("traceEvents")
        .iter()
        .filter(|e| e["ph"] == "X")
        .map(|e| e["args"].to_string())
        .collect()
}

/// The structure Perfetto relies on, checked on a real recording: slices
/// on one track never overlap, every flow has both ends, every track is
/// named, and polls name their goroutine.
fn assert_well_formed(trace: &serde_json::Value) {
    use std::collections::{BTreeMap, BTreeSet};
    let events = trace["traceEvents"].as_array().expect("traceEvents");
    let mut slices: BTreeMap<i64, Vec<(f64, f64)>> = BTreeMap::new();
    let mut named = BTreeSet::new();
    let mut used = BTreeSet::new();
    let mut flows: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for e in events {
        let tid = e["tid"].as_i64();
        assert!(e["pid"].is_i64(), "integer pid: {e}");
        match e["ph"].as_str().expect("ph") {
            "X" => {
                let tid = tid.expect("integer tid");
                used.insert(tid);
                let ts = e["ts"].as_f64().expect("ts");
                let dur = e["dur"].as_f64().expect("dur");
                assert!(dur >= 0.0, "{e}");
                slices.entry(tid).or_default().push((ts, ts + dur));
                if e["cat"] == "poll" {
                    assert!(
                        e["args"]["goroutine"].is_u64(),
                        "a poll names its goroutine: {e}"
                    );
                    assert!(e["args"]["spawned_at"].is_string(), "{e}");
                }
            }
            "M" if e["name"] == "thread_name" => {
                named.insert(tid.expect("integer tid"));
            }
            "s" => flows.entry(e["id"].to_string()).or_default().0 += 1,
            "f" => flows.entry(e["id"].to_string()).or_default().1 += 1,
            _ => {}
        }
    }
    for (tid, mut spans) in slices {
        spans.sort_by(|a, b| a.partial_cmp(b).unwrap());
        for pair in spans.windows(2) {
            // Microseconds with three decimals: nanosecond order is kept.
            assert!(
                pair[0].1 <= pair[1].0 + 1e-9,
                "overlap on tid {tid}: {pair:?}"
            );
        }
    }
    assert!(
        used.is_subset(&named),
        "every track is named: {used:?} {named:?}"
    );
    assert!(!flows.is_empty(), "spawns and wakes have arrows");
    for (id, ends) in flows {
        assert_eq!(ends, (1, 1), "flow {id} has one start and one end");
    }
}

#[test]
fn main_end_writes_the_trace() {
    let dir = trace_dir("main-end");
    let ended = run(traced(example("sieve"), &dir));
    assert_eq!(ended.code(), Some(0), "{ended:?}");
    let trace = assert_written(&dir, &ended.stderr);
    assert_well_formed(&trace);
    let args = slice_args(&trace);
    assert!(
        args.iter()
            .any(|a| a.contains("tests-process/../examples/sieve.rs:")),
        "the polls name their spawn sites: {args:?}"
    );
    // The sieve's filters are left waiting on their channels when main
    // returns: the summary lists them with goro's states, and gives each
    // spawn location's per-goroutine figures.
    let summary = std::fs::read_to_string(dir.join("summary.txt")).unwrap();
    assert!(
        summary.contains("(states as goro's dump saw them)"),
        "{summary}"
    );
    let alive: Vec<&str> = summary
        .lines()
        .skip_while(|l| !l.starts_with("Goroutines alive at the end: "))
        .skip(1)
        .take_while(|l| !l.is_empty())
        .collect();
    assert!(!alive.is_empty(), "{summary}");
    assert!(
        alive
            .iter()
            .any(|l| l.contains("[chan receive, ") || l.contains("[chan send, ")),
        "{alive:?}"
    );
    assert!(
        alive.iter().all(
            |l| l.contains(" spawned at tests-process/../examples/sieve.rs:")
                || l.starts_with("  ... and ")
        ),
        "{alive:?}"
    );
    assert!(
        summary.contains("Per goroutine, by spawn location"),
        "{summary}"
    );
    assert!(summary.contains("    busy       mean "), "{summary}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_panic_exit_writes_the_trace() {
    let dir = trace_dir("panic");
    let ended = run(traced(fixture("panic-exit"), &dir));
    assert_eq!(ended.code(), Some(2), "{ended:?}");
    assert!(
        ended.stderr.starts_with("panic: boom: from a goroutine"),
        "{ended:?}"
    );
    let trace = assert_written(&dir, &ended.stderr);
    let args = slice_args(&trace);
    assert!(args.iter().any(|a| a.contains("exploder")), "{args:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_isolated_main_panic_writes_the_trace() {
    let dir = trace_dir("panic-main-isolate");
    let ended = run(traced(fixture("panic-main-isolate"), &dir));
    assert_eq!(ended.code(), Some(101), "{ended:?}");
    assert!(
        ended.stderr.contains("boom: from main, isolated"),
        "{ended:?}"
    );
    assert_written(&dir, &ended.stderr);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_run_after_a_configuration_error_writes_the_trace() {
    let dir = trace_dir("try-run-error");
    let ended = run(traced(fixture("try-run-error-then-run"), &dir));
    assert_eq!(ended.code(), Some(0), "{ended:?}");
    assert!(
        ended
            .stdout
            .starts_with("try_run: worker_threads(0) is not valid"),
        "{ended:?}"
    );
    let trace = assert_written(&dir, &ended.stderr);
    assert_well_formed(&trace);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A trap for the trace's first file in `dir`, written by process `pid`:
/// a FIFO where the exporter writes it before renaming it, so that the
/// write waits (opening it) until [`release`] reads it. A FIFO cannot be
/// synced, so the write then fails, with a message on stderr: the sign
/// that it ran to its end.
fn trap(dir: &Path, pid: u32) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let fifo = dir.join(format!(".trace.json.{pid}.tmp"));
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    fifo
}

/// Lets the write held by [`trap`] go on.
fn release(fifo: PathBuf) {
    // Opening blocks until the writer opens its end: off the test's thread.
    std::thread::spawn(move || std::fs::read(fifo));
}

const WRITE_ENDED: &str = "goro: could not write the trace to ";

#[test]
fn a_panic_exit_waits_for_the_trace_being_written() {
    let dir = trace_dir("panic-while-written");
    let mut cmd = fixture("panic-while-the-trace-is-written");
    cmd.arg(&dir)
        .env_remove("GORO_TRACE")
        .env("GORO_WATCHDOG", "off");
    let mut child = start(cmd);
    child.wait_for(true, |line| line == "ready");
    let fifo = trap(&dir, child.child.id());
    let mut stdin = child.child.stdin.take().unwrap();
    writeln!(stdin, "go").unwrap();
    // The main goroutine now writes the trace, held by the trap.
    child.wait_for(true, |line| line == "writing");
    writeln!(stdin, "panic").unwrap();
    child.wait_for(false, |line| {
        line.starts_with("panic: boom: while the trace is written")
    });
    // The panic exit must wait for the write.
    release(fifo);
    let status = child.wait();
    let stderr: Vec<String> = child.stderr.try_iter().collect();
    assert!(
        stderr.iter().any(|line| line.starts_with(WRITE_ENDED)),
        "the process ended before the trace was written: {stderr:?} {:?}",
        child.seen
    );
    assert_eq!(status.code(), Some(2), "{stderr:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_watchdog_is_quiet_while_a_panic_exit_writes_the_trace() {
    let dir = trace_dir("panic-exit-writes-slowly");
    let mut cmd = traced(fixture("panic-exit-writes-slowly"), &dir);
    cmd.env("GORO_WATCHDOG", "10ms");
    let mut child = start(cmd);
    child.wait_for(true, |line| line == "ready");
    let fifo = trap(&dir, child.child.id());
    let mut stdin = child.child.stdin.take().unwrap();
    writeln!(stdin, "go").unwrap();
    child.wait_for(false, |line| {
        line.starts_with("panic: boom: and the trace is written")
    });
    // The panic exit is writing the trace, held by the trap: the goroutine
    // that panicked holds its worker no more. Give the watchdog (sampling
    // every 2.5 ms) a good while to say otherwise.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
    let mut stderr = Vec::new();
    while let Ok(line) = child
        .stderr
        .recv_timeout(deadline.saturating_duration_since(std::time::Instant::now()))
    {
        stderr.push(line);
    }
    release(fifo);
    assert_eq!(child.wait().code(), Some(2));
    stderr.extend(child.stderr.try_iter());
    assert!(
        !stderr
            .iter()
            .any(|line| line.starts_with("goro: watchdog:")),
        "{stderr:#?}"
    );
    assert!(
        stderr.iter().any(|line| line.starts_with(WRITE_ENDED)),
        "{stderr:#?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn ctrl_c_writes_the_trace_and_exits_130() {
    let dir = trace_dir("ctrl-c");
    let mut child = start(traced(fixture("ctrl-c"), &dir));
    child.wait_for(true, |line| line == "ready");
    child.signal("INT");
    let status = child.wait();
    assert_eq!(status.code(), Some(130), "{:?}", child.seen);
    let stderr: Vec<String> = child.stderr.try_iter().collect();
    assert_written(&dir, &stderr.join("\n"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_second_ctrl_c_exits_without_waiting_for_the_trace() {
    let dir = trace_dir("ctrl-c-twice");
    let mut child = start(traced(fixture("ctrl-c"), &dir));
    child.wait_for(true, |line| line == "ready");
    // The write will wait at the trap until the end of the test.
    let fifo = trap(&dir, child.child.id());
    child.signal("INT");
    child.wait_for(false, |line| {
        line.starts_with("goro: interrupted: writing the trace")
    });
    child.signal("INT");
    let status = child.wait();
    assert_eq!(status.code(), Some(130), "{:?}", child.seen);
    // (The trap goes with the directory, unread.)
    drop(fifo);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_watchdog_reports_a_blocked_worker_on_stderr() {
    let mut cmd = fixture("watchdog");
    cmd.env("GORO_WATCHDOG", "20ms");
    let mut child = start(cmd);
    let report = child.wait_for(false, |line| line.starts_with("goro: watchdog: "));
    let line = line_of("src/bin/fixture_process.rs", "// spawn site: blocker");
    assert!(
        report.contains(&format!(
            " [stdin-reader] spawned at tests-process/src/bin/fixture_process.rs:{line} has held worker thread "
        )),
        "{report}"
    );
    assert!(report.contains("goro::blocking"), "{report}");
    // Now let the blocked goroutine go.
    let mut stdin = child.child.stdin.take().unwrap();
    writeln!(stdin, "thanks").unwrap();
    drop(stdin);
    child.wait_for(true, |line| line == "read \"thanks\"");
    assert_eq!(child.wait().code(), Some(0));
}

#[test]
fn the_watchdog_can_be_turned_off() {
    let mut cmd = fixture("gomaxprocs");
    cmd.env("GORO_WATCHDOG", "off");
    let ended = run(cmd);
    assert_eq!(ended.code(), Some(0), "{ended:?}");
}

#[test]
fn bad_trace_settings_fail_with_one_line() {
    for (var, value, expected) in [
        (
            "GORO_WATCHDOG",
            "fast",
            "goro: GORO_WATCHDOG=\"fast\" is not valid: set it to a threshold such as 100ms, 2s or 500us, to off, or unset it\n",
        ),
        (
            "GORO_TRACE_EVENTS",
            "0",
            "goro: GORO_TRACE_EVENTS=\"0\" is not valid: set it to a whole number of events per thread, 1 or more, or unset it\n",
        ),
    ] {
        let mut cmd = fixture("gomaxprocs");
        cmd.env(var, value).env("GORO_TRACE", trace_dir("bad-settings"));
        let ended = run(cmd);
        assert_eq!(ended.code(), Some(2), "{ended:?}");
        assert_eq!(ended.stderr, expected);
        assert_eq!(ended.stdout, "");
    }
}

/// A goroutine that computes for 60 ms while the kernel keeps its worker
/// off the CPU two thirds of the time (two spinning threads pinned to the
/// same CPU) has held the worker for 60 ms, not the 180 ms that passed:
/// no report at a 100 ms threshold.
#[test]
fn the_watchdog_does_not_count_time_the_kernel_kept_the_worker_off_the_cpu() {
    if !std::path::Path::new("/proc/thread-self/schedstat").exists()
        || std::process::Command::new("taskset")
            .arg("-V")
            .output()
            .is_err()
    {
        eprintln!("skipped: needs Linux's schedstat and taskset");
        return;
    }
    let fixture = fixture("descheduled");
    let mut cmd = std::process::Command::new("taskset");
    cmd.arg("-c")
        .arg("0")
        .arg(fixture.get_program())
        .args(fixture.get_args())
        .env("GORO_WATCHDOG", "100ms")
        .env_remove("GOMAXPROCS");
    let ended = run(cmd);
    assert_eq!(ended.code(), Some(0), "{ended:?}");
    assert_eq!(ended.stdout.trim(), "done");
    assert!(
        !ended.stderr.contains("goro: watchdog:"),
        "reported a goroutine the kernel had descheduled: {}",
        ended.stderr
    );
}

/// A program that handles SIGINT itself keeps its handling while
/// `GORO_TRACE` records: its handler runs, main returns (status 0), and
/// the recording is written at main's end, not cut off by goro's exit 130.
#[test]
fn the_programs_own_ctrl_c_handling_wins() {
    let dir = trace_dir("ctrl-c-own");
    let mut child = start(traced(fixture("ctrl-c-own-handler"), &dir));
    child.wait_for(true, |line| line == "ready");
    child.signal("INT");
    child.wait_for(true, |line| line == "own handler");
    let status = child.wait();
    assert_eq!(status.code(), Some(0), "{:?}", child.seen);
    let stderr: Vec<String> = child.stderr.try_iter().collect();
    assert_written(&dir, &stderr.join("\n"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A finished recording leaves no handler behind: Ctrl-C then kills the
/// program by SIGINT, as it would without goro.
#[test]
fn a_finished_recording_leaves_sigint_as_it_was() {
    use std::os::unix::process::ExitStatusExt;
    let dir = trace_dir("ctrl-c-after");
    let mut cmd = fixture("ctrl-c-after-the-trace");
    cmd.arg(&dir);
    let mut child = start(cmd);
    child.wait_for(true, |line| line == "ready");
    child.signal("INT");
    let status = child.wait();
    assert_eq!(status.signal(), Some(2), "{status:?} {:?}", child.seen);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The README's `RUST_LOG` line: with `goro::sched` let through, every line
/// from a goroutine, its blocking call or a `spawn_blocking` goroutine says
/// whose it is; without, none does.
#[test]
fn rust_log_with_goro_sched_puts_lines_in_goroutine_spans() {
    let mut cmd = example("logging");
    cmd.env("RUST_LOG", "logging=info,goro::sched=info");
    let ended = run(cmd);
    assert_eq!(ended.code(), Some(0), "{ended:?}");
    let lines: Vec<&str> = ended.stderr.lines().collect();
    assert_eq!(lines.len(), 9, "{ended:?}");
    for job in 0..3 {
        let span = "goroutine{id=";
        let name =
            format!("name=\"worker-{job}\" spawned_at=tests-process/../examples/logging.rs:");
        for message in [
            format!("working job={job}"),
            format!("in a blocking call job={job}"),
        ] {
            let line = lines
                .iter()
                .find(|line| line.ends_with(&format!("logging: {message}")))
                .unwrap_or_else(|| panic!("{message}: {ended:?}"));
            assert!(line.contains(span) && line.contains(&name), "{line}");
            assert!(line.contains(" parent=1}: "), "{line}");
        }
    }
    let pool = lines
        .iter()
        .find(|line| line.ends_with("logging: summing on the blocking pool"))
        .expect("the spawn_blocking goroutine's line");
    assert!(
        pool.contains("goroutine{id=") && pool.contains(" parent=1}: "),
        "{pool}"
    );
    assert!(!pool.contains("name="), "unnamed: {pool}");
    let done = lines.last().unwrap();
    assert!(
        done.contains(
            "goroutine{id=1 name=\"main\" spawned_at=tests-process/../examples/logging.rs:"
        ),
        "main's span, from its first wait on: {done}"
    );
    assert!(done.ends_with("logging: done sum=3"), "{done}");

    let mut cmd = example("logging");
    cmd.env("RUST_LOG", "logging=info");
    let ended = run(cmd);
    assert_eq!(ended.code(), Some(0), "{ended:?}");
    assert_eq!(ended.stderr.lines().count(), 9, "{ended:?}");
    assert!(!ended.stderr.contains("goroutine{"), "{ended:?}");
}
