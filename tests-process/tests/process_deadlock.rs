//! The deadlock report: a program stuck on goro's primitives prints Go's
//! `fatal error: all goroutines are asleep - deadlock!` and the dump, and
//! exits 2; a program that something can still wake is never reported.
//! The programs are tests-process/src/bin/fixture_deadlock.rs and
//! examples/deadlock.rs.
#![cfg(target_os = "linux")]

mod support;

use std::io::{Read, Write};
use std::process::Command;

use support::process::{deadlock_fixture, example, line_of, run, start, Ended};

const FATAL: &str = "fatal error: all goroutines are asleep - deadlock!\n\n";

fn scenario(name: &str) -> Command {
    deadlock_fixture(name)
}

fn reported(ended: &Ended) {
    assert_eq!(ended.code(), Some(2), "{ended:?}");
    assert!(ended.stderr.starts_with(FATAL), "{}", ended.stderr);
}

fn survived(name: &str) {
    let ended = run(scenario(name));
    assert_eq!(ended.code(), Some(0), "{name}: {ended:?}");
    assert!(ended.stdout.contains("survived"), "{name}: {ended:?}");
}

#[test]
fn the_example_reports_main_and_both_goroutines_and_exits_2() {
    let mut cmd = example("deadlock");
    cmd.env_remove("GORO_DEADLOCK");
    let ended = run(cmd);
    reported(&ended);
    assert!(
        ended.stdout.contains("waiting for the rally to end"),
        "{ended:?}"
    );
    let text = &ended.stderr;
    assert!(
        text.contains(
            "goroutine 1 \"main\" [chan receive]:\n    on chan #1 (capacity 0, length 0)"
        ),
        "{text}"
    );
    assert!(
        text.contains("goroutine 2 \"ping\" [chan receive]"),
        "{text}"
    );
    assert!(
        text.contains("goroutine 3 \"pong\" [chan receive]"),
        "{text}"
    );
    assert!(text.contains("by goroutine 1"), "{text}");
}

#[test]
fn a_wait_group_a_select_and_a_main_on_the_caller_are_reported() {
    let ended = run(scenario("stuck-wait-group"));
    reported(&ended);
    assert!(
        ended.stderr.contains("\"main\" [WaitGroup wait]"),
        "{}",
        ended.stderr
    );
    assert_eq!(
        ended.stderr.matches("[chan receive]").count(),
        3,
        "{}",
        ended.stderr
    );

    let ended = run(scenario("stuck-select"));
    reported(&ended);
    assert!(
        ended.stderr.contains("\"main\" [select, 2 branches]"),
        "{}",
        ended.stderr
    );

    let ended = run(scenario("stuck-local-main"));
    reported(&ended);
    assert!(
        ended.stderr.contains("\"main\" [chan receive]"),
        "{}",
        ended.stderr
    );
}

#[test]
fn under_goro_test_the_run_panics_with_the_report() {
    let ended = run(scenario("stuck-in-test"));
    assert_eq!(ended.code(), Some(0), "{ended:?}");
    assert!(
        ended.stdout.contains(
            "caught: all goroutines are asleep - deadlock!\n\ngoroutine 1 \"main\" [chan receive]"
        ),
        "{ended:?}"
    );
}

#[test]
fn a_runtime_with_the_report_off_is_left_out() {
    let ended = run(scenario("stuck-two-runtimes"));
    reported(&ended);
    let file = "src/bin/fixture_deadlock.rs";
    // Each marker is on the line after its runtime's `run` call.
    let reported_at = format!(":{}\n", line_of(file, "// the reported runtime") - 1);
    let silent_at = format!(":{}\n", line_of(file, "// the silent runtime") - 1);
    assert!(
        ended.stderr.contains(&reported_at),
        "{reported_at}: {}",
        ended.stderr
    );
    assert!(
        !ended.stderr.contains(&silent_at),
        "{silent_at}: {}",
        ended.stderr
    );
}

#[test]
fn a_bad_goro_deadlock_value_is_refused() {
    let mut cmd = scenario("stuck-select");
    cmd.env("GORO_DEADLOCK", "maybe");
    let ended = run(cmd);
    assert_eq!(ended.code(), Some(2), "{ended:?}");
    assert!(
        ended
            .stderr
            .contains("GORO_DEADLOCK=\"maybe\" is not valid"),
        "{ended:?}"
    );
}

#[test]
fn a_thread_of_the_programs_own_may_still_send() {
    survived("alive-thread-send");
}

#[test]
fn a_sleep_or_a_time_after_branch_may_still_end() {
    survived("alive-goro-sleep");
    survived("alive-after");
}

#[test]
fn a_ticker_or_an_after_func_may_still_deliver() {
    survived("alive-ticker");
    survived("alive-after-func");
}

#[test]
fn stopped_and_dropped_timers_deliver_nothing_and_are_reported() {
    reported(&run(scenario("stuck-stopped-timer")));
    reported(&run(scenario("stuck-dropped-timers")));
}

#[test]
fn a_goro_wait_beside_a_tokio_timer_or_lock_may_still_end() {
    survived("alive-tokio-timeout");
    survived("alive-tokio-select");
    survived("alive-tokio-mutex");
}

#[test]
fn a_blocking_call_or_a_tokio_blocking_task_may_still_send() {
    survived("alive-blocking");
    survived("alive-raw-spawn-blocking");
}

#[test]
fn a_tokio_task_may_still_send() {
    survived("alive-tokio-task");
}

#[test]
fn a_goro_sleep_beside_a_goro_wait_in_one_poll_may_still_end() {
    survived("alive-sleep-beside-recv");
    survived("alive-sleep-beside-wait-group");
}

#[test]
fn a_runtime_that_ended_may_still_run_a_blocking_call() {
    survived("alive-ended-runtime");
}

#[test]
fn a_goroutine_started_outside_any_runtime_may_still_send() {
    survived("alive-outside-goroutine");
}

#[test]
fn a_goroutine_in_accept_may_still_get_a_connection() {
    let mut child = start(scenario("alive-accept"));
    let port: u16 = child
        .wait_for(true, |line| line.starts_with("port "))
        .trim_start_matches("port ")
        .parse()
        .unwrap();
    // Connect until the program has been looked at enough (it answers 1).
    loop {
        let mut conn = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        let mut answer = [0; 1];
        conn.read_exact(&mut answer).unwrap();
        conn.write_all(b"x").unwrap();
        if answer == *b"1" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    child.wait_for(true, |line| line == "survived");
    let status = child.wait();
    assert_eq!(status.code(), Some(0), "{status:?}");
}
