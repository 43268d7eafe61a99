//! Go's panic behaviour by default (report, exit status 2) and Tokio's on
//! request.

mod support;

use support::process::{example, fixture, line_of, run};

#[test]
fn a_goroutine_panic_prints_gos_report_and_exits_2() {
    let ended = run(fixture("panic-exit"));
    assert_eq!(ended.code(), Some(2), "{ended:?}");
    let lines: Vec<&str> = ended.stderr.lines().collect();
    assert_eq!(lines[0], "panic: boom: from a goroutine", "{ended:?}");
    assert_eq!(lines[1], "", "{ended:?}");
    let line = line_of("src/bin/fixture_process.rs", "// spawn site: exploder");
    let spawned_at =
        format!(" [exploder] spawned at tests-process/src/bin/fixture_process.rs:{line}");
    assert!(
        lines[2].starts_with("goroutine ") && lines[2].ends_with(&spawned_at),
        "{ended:?}"
    );
    assert!(
        ended
            .stderr
            .contains("    panicked at tests-process/src/bin/fixture_process.rs:"),
        "{ended:?}"
    );
    // The standard hook's "thread '..' panicked" report is replaced, not added.
    assert!(!ended.stderr.contains("thread '"), "{ended:?}");
    assert!(!ended.stdout.contains("not reached"), "{ended:?}");
}

#[test]
fn the_report_names_the_go_call_site() {
    let ended = run(fixture("panic-go-site"));
    assert_eq!(ended.code(), Some(2), "{ended:?}");
    let line = line_of("src/bin/fixture_process.rs", "// spawn site: go!");
    assert!(
        ended.stderr.contains(&format!(
            " spawned at tests-process/src/bin/fixture_process.rs:{line}\n"
        )),
        "{ended:?}"
    );
}

#[test]
fn a_main_goroutine_panic_names_goroutine_1() {
    let ended = run(fixture("panic-main"));
    assert_eq!(ended.code(), Some(2), "{ended:?}");
    assert!(
        ended.stderr.starts_with(
            "panic: boom: from main\n\ngoroutine 1 [main] spawned at tests-process/src/bin/fixture_process.rs:"
        ),
        "{ended:?}"
    );
}

#[test]
fn isolate_turns_a_panic_into_a_join_error() {
    let ended = run(fixture("panic-isolate"));
    assert_eq!(ended.code(), Some(0), "{ended:?}");
    assert!(
        ended.stdout.contains("is_panic=true message=goroutine "),
        "{ended:?}"
    );
    assert!(
        ended.stdout.contains("panicked: boom: isolated"),
        "{ended:?}"
    );
    assert!(ended.stdout.contains("still running: 5"), "{ended:?}");
}

#[test]
fn a_panic_that_began_before_main_returned_still_exits_2() {
    let ended = run(fixture("panic-while-main-returns"));
    assert_eq!(ended.code(), Some(2), "{ended:?}");
    assert!(
        ended.stderr.starts_with("panic: boom: while main returns"),
        "{ended:?}"
    );
}

#[test]
fn panic_exit_example_shows_the_report() {
    let ended = run(example("panic_exit"));
    assert_eq!(ended.code(), Some(2), "{ended:?}");
    assert!(
        ended.stderr.starts_with("panic: index out of bounds"),
        "{ended:?}"
    );
    assert!(
        ended
            .stderr
            .contains("[worker] spawned at tests-process/../examples/panic_exit.rs:"),
        "{ended:?}"
    );
}

#[test]
fn panics_caught_by_user_code_do_not_end_the_program() {
    let ended = run(fixture("panic-caught"));
    assert_eq!(ended.code(), Some(0), "{ended:?}");
    assert_eq!(ended.stdout, "main returns\n", "{ended:?}");
}

#[test]
fn a_panic_recovered_while_main_returns_does_not_end_the_program() {
    let ended = run(fixture("panic-caught-while-main-returns"));
    assert_eq!(ended.code(), Some(0), "{ended:?}");
    assert_eq!(ended.stdout, "main returns\n", "{ended:?}");
}

/// The same when the poll that caught the panic never returns: nothing
/// says the panic was caught, and main's return must still be exit 0 (it
/// waited 10 s, then exited 2 without a word).
#[test]
fn a_panic_recovered_in_a_poll_that_never_returns_does_not_end_the_program() {
    let ended = run(fixture("panic-caught-in-an-endless-poll"));
    assert_eq!(ended.code(), Some(0), "{ended:?}");
    assert_eq!(ended.stdout, "main returns\n", "{ended:?}");
}

/// A destructor of an aborted goroutine's future that catches its own
/// panic ends nothing (the hook used to exit before the catch was reached).
#[test]
fn a_panic_caught_inside_a_destructor_does_not_end_the_program() {
    let ended = run(fixture("panic-caught-in-drop"));
    assert_eq!(ended.code(), Some(0), "{ended:?}");
    assert_eq!(ended.stdout, "cancelled=true\n", "{ended:?}");
    assert_eq!(ended.stderr, "", "{ended:?}");
}

/// An output nobody claims is dropped as part of its goroutine: a panic in
/// its destructor ends the program with that goroutine's report (it printed
/// Rust's message and exited 0).
#[test]
fn a_panic_dropping_an_unclaimed_output_is_the_goroutines() {
    let ended = run(fixture("output-drop-panics"));
    assert_eq!(ended.code(), Some(2), "{ended:?}");
    assert!(
        ended
            .stderr
            .starts_with("panic: boom: in an unclaimed output\n\ngoroutine "),
        "{ended:?}"
    );
    assert_eq!(ended.stdout, "", "{ended:?}");
}

/// A panic caught earlier in the same poll does not lend the report its
/// location, and Rust's own message is not printed beside Go's report.
#[test]
fn the_report_names_the_uncaught_panics_own_site() {
    let ended = run(fixture("caught-then-uncaught"));
    assert_eq!(ended.code(), Some(2), "{ended:?}");
    let line = line_of("src/bin/fixture_process.rs", "// panic site: second");
    assert!(
        ended
            .stderr
            .starts_with("panic: second, uncaught\n\ngoroutine "),
        "{ended:?}"
    );
    assert!(
        ended.stderr.contains(&format!(
            "    panicked at tests-process/src/bin/fixture_process.rs:{line}:"
        )),
        "{ended:?}"
    );
    assert!(!ended.stderr.contains("thread '"), "{ended:?}");
}

#[test]
fn a_blocking_call_panic_resumes_in_the_calling_goroutine() {
    let ended = run(fixture("panic-in-blocking"));
    assert_eq!(ended.code(), Some(2), "{ended:?}");
    assert!(
        ended
            .stderr
            .starts_with("panic: boom: in a blocking call\n"),
        "{ended:?}"
    );
    // The report names the caller, not a goroutine of the blocking call.
    assert!(ended.stderr.contains(" [caller] spawned at "), "{ended:?}");
    let explode_line = line_of("src/bin/fixture_process.rs", "panic!(\"boom: {what}\")");
    assert!(
        ended.stderr.contains(&format!(
            "panicked at tests-process/src/bin/fixture_process.rs:{explode_line}:"
        )),
        "{ended:?}"
    );
}

#[test]
fn a_panic_while_dropping_an_aborted_goroutine_ends_the_program() {
    let ended = run(fixture("panic-in-drop"));
    assert_eq!(ended.code(), Some(2), "{ended:?}");
    assert!(
        ended.stderr.starts_with("panic: boom: in a destructor\n"),
        "{ended:?}"
    );
    assert!(!ended.stdout.contains("not reached"), "{ended:?}");
}

#[test]
fn no_goroutine_runs_while_a_panicking_one_unwinds() {
    for _ in 0..5 {
        let ended = run(fixture("panic-unwinds-into-main"));
        assert_eq!(ended.code(), Some(2), "{ended:?}");
        assert!(
            ended.stderr.contains("panic: boom: while main waits"),
            "{ended:?}"
        );
        assert!(!ended.stdout.contains("main committed"), "{ended:?}");
    }
}

#[test]
fn a_panicking_errgroup_member_ends_the_process_naming_its_go_call() {
    let ended = run(fixture("errgroup-member-panics"));
    assert_eq!(ended.code(), Some(2), "{ended:?}");
    assert!(
        ended.stderr.starts_with("panic: member boom\n\ngoroutine "),
        "{ended:?}"
    );
    let line = line_of(
        "src/bin/fixture_process.rs",
        "// spawn site: errgroup member",
    );
    assert!(
        ended.stderr.contains(&format!(
            " spawned at tests-process/src/bin/fixture_process.rs:{line}\n"
        )),
        "{ended:?}"
    );
    assert!(!ended.stdout.contains("not reached"), "{ended:?}");
}
