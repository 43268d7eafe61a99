//! Nothing leaks from one run to the next, and main's end is exit 0 whatever
//! the abandoned goroutines were doing.

mod support;

use support::process::{fixture, run};

fn figures(stdout: &str, name: &str) -> (i64, i64) {
    let line = stdout
        .lines()
        .find(|l| l.starts_with(name))
        .unwrap_or_else(|| panic!("no {name} line in {stdout:?}"));
    let numbers: Vec<i64> = line
        .split_whitespace()
        .skip(1)
        .map(|n| n.parse().expect("a number"))
        .collect();
    (numbers[0], numbers[1])
}

/// A finished `run` frees its runtime: 100 runs of 20,000 goroutines each
/// leave the open file descriptors where the first run left them, and the
/// live heap within a few hundred kilobytes of it (a leaked runtime holds
/// its event queue's descriptors and megabytes of carriers).
#[test]
fn repeated_runs_keep_fds_and_memory_flat() {
    let ended = run(fixture("repeated-runs"));
    assert_eq!(ended.code(), Some(0), "{ended:?}");
    let (fds_before, fds_after) = figures(&ended.stdout, "fds");
    assert!(
        fds_after <= fds_before,
        "open fds grew from {fds_before} to {fds_after} over 100 runs"
    );
    let (live_before, live_after) = figures(&ended.stdout, "live");
    assert!(
        live_after <= live_before + (1 << 20),
        "the live heap grew from {live_before} to {live_after} bytes over 100 runs"
    );
}

/// Goroutines in the middle of `goro::blocking` calls when main returns are
/// abandoned like any other: the runtime's shutdown cancelling their next
/// call is no panic, and the exit status is 0. Repeated, since the race
/// between a call and the shutdown goes either way.
#[test]
fn blocking_calls_while_main_returns_exit_zero() {
    for round in 0..40 {
        let ended = run(fixture("blocking-while-main-returns"));
        assert_eq!(ended.code(), Some(0), "round {round}: {ended:?}");
        assert_eq!(ended.stderr, "", "round {round}: {ended:?}");
    }
}

/// Main's return is exit status 0, always: destructors of abandoned
/// goroutines that panic as the runtime drops them change nothing and
/// print nothing. Repeated, since the drops race the process's exit.
#[test]
fn panics_in_abandoned_goroutines_destructors_do_not_change_exit_zero() {
    for round in 0..20 {
        let ended = run(fixture("drop-panics-at-main-end"));
        assert_eq!(ended.code(), Some(0), "round {round}: {ended:?}");
        assert_eq!(ended.stdout, "main returned\n", "round {round}: {ended:?}");
        assert_eq!(ended.stderr, "", "round {round}: {ended:?}");
    }
}

/// A panic in a `goro::blocking` call the goroutine stopped waiting for is
/// caught by nobody: it ends the process with Go's report, naming the
/// goroutine that made the call, instead of vanishing.
#[test]
fn a_panic_in_an_abandoned_blocking_call_is_reported() {
    let ended = run(fixture("abandoned-blocking-panic"));
    assert_eq!(ended.code(), Some(2), "{ended:?}");
    assert!(
        ended
            .stderr
            .starts_with("panic: boom in an abandoned call\n\ngoroutine 1 spawned at "),
        "{ended:?}"
    );
    assert_eq!(ended.stdout, "", "{ended:?}");
}
