//! When main returns, the program ends: live goroutines are abandoned and
//! stuck blocking calls are not waited for.

mod support;

use support::process::{example, fixture, run};

#[test]
fn main_returning_ends_the_program_despite_parked_goroutines_and_stuck_calls() {
    // 100,000 parked goroutines and 8 spawn_blocking goroutines sleeping
    // for an hour (all counted, as Go counts a goroutine in a system call),
    // and main: a hang here is caught by `run`'s generous limit.
    let ended = run(fixture("main-returns"));
    assert_eq!(ended.code(), Some(0), "{ended:?}");
    assert_eq!(
        ended.stdout.trim(),
        "main returns with 100009 goroutines alive",
        "{ended:?}"
    );
}

#[test]
fn hello_prints_before_and_after_and_maybe_foo() {
    let ended = run(example("hello"));
    assert_eq!(ended.code(), Some(0), "{ended:?}");
    let lines: Vec<&str> = ended.stdout.lines().collect();
    // "foo" may come before "after", after it, or not at all; "before" is
    // always first and "after" always follows it.
    let without_foo: Vec<&str> = lines.iter().copied().filter(|l| *l != "foo").collect();
    assert_eq!(without_foo, ["before", "after"], "{ended:?}");
    assert!(lines.len() <= 3, "foo printed more than once: {ended:?}");
    assert_eq!(lines[0], "before");
}

#[test]
fn args_in_caller_evaluates_bar_in_main() {
    let ended = run(example("args_in_caller"));
    assert_eq!(ended.code(), Some(0), "{ended:?}");
    assert!(
        ended.stdout.contains("bar() runs in goroutine 1\n"),
        "{ended:?}"
    );
    let foo_line = ended
        .stdout
        .lines()
        .find(|l| l.starts_with("foo("))
        .expect("foo ran");
    assert!(!foo_line.ends_with("goroutine 1"), "{ended:?}");
    // bar ran before go! returned.
    let bar_at = ended.stdout.find("bar() runs").unwrap();
    let returned_at = ended.stdout.find("go! returned").unwrap();
    assert!(bar_at < returned_at, "{ended:?}");
}

#[test]
fn n_workers_run_n_threads_at_once() {
    for n in ["1", "2", "3"] {
        let mut cmd = fixture("threads");
        cmd.env("GOMAXPROCS", n);
        let ended = run(cmd);
        assert_eq!(ended.code(), Some(0), "{ended:?}");
        assert_eq!(
            ended.stdout.trim(),
            format!("workers={n} distinct_threads={n}"),
            "{ended:?}"
        );
    }
}

#[test]
fn blocking_example_keeps_the_worker_free() {
    let ended = run(example("blocking"));
    assert_eq!(ended.code(), Some(0), "{ended:?}");
    assert!(
        ended.stdout.contains("results: [0, 10, 20, 30]"),
        "{ended:?}"
    );
}

#[test]
fn sieve_prints_the_first_primes() {
    let mut cmd = example("sieve");
    cmd.arg("10");
    let ended = run(cmd);
    assert_eq!(ended.code(), Some(0), "{ended:?}");
    let primes: Vec<&str> = ended.stdout.lines().collect();
    assert_eq!(
        primes,
        ["2", "3", "5", "7", "11", "13", "17", "19", "23", "29"]
    );
}

#[test]
fn worker_pool_fans_results_in() {
    let ended = run(example("worker_pool"));
    assert_eq!(ended.code(), Some(0), "{ended:?}");
    assert!(
        ended.stdout.contains("1000 jobs, 168 primes among them"),
        "{ended:?}"
    );
}

#[test]
fn select_timeout_times_out_the_slow_request_only() {
    let ended = run(example("select_timeout"));
    assert_eq!(ended.code(), Some(0), "{ended:?}");
    assert!(
        ended.stdout.contains("slow request: timed out"),
        "{ended:?}"
    );
}

#[test]
fn no_goroutine_runs_while_mains_locals_are_dropped() {
    for _ in 0..5 {
        let ended = run(fixture("main-locals-dropped"));
        assert_eq!(ended.code(), Some(0), "{ended:?}");
        assert_eq!(ended.stdout, "main returns\n", "{ended:?}");
    }
}
