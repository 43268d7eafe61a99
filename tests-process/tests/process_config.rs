//! Worker counts: cores by default, GOMAXPROCS over that, the builder over
//! both; bad values fail at start with one line naming them.

mod support;

use support::process::{fixture, run};

fn with_gomaxprocs(value: &str) -> support::process::Ended {
    let mut cmd = fixture("gomaxprocs");
    cmd.env("GOMAXPROCS", value);
    run(cmd)
}

#[test]
fn default_is_one_worker_per_core() {
    let ended = run(fixture("gomaxprocs"));
    let cores = std::thread::available_parallelism().unwrap().get();
    assert_eq!(ended.code(), Some(0), "{ended:?}");
    assert_eq!(ended.stdout.trim(), format!("gomaxprocs={cores}"));
}

#[test]
fn gomaxprocs_overrides_the_core_count() {
    let ended = with_gomaxprocs("5");
    assert_eq!(ended.code(), Some(0), "{ended:?}");
    assert_eq!(ended.stdout.trim(), "gomaxprocs=5");
}

#[test]
fn empty_gomaxprocs_counts_as_unset() {
    let ended = with_gomaxprocs("");
    assert_eq!(ended.code(), Some(0), "{ended:?}");
}

#[test]
fn gomaxprocs_abc_fails_with_one_line() {
    let ended = with_gomaxprocs("abc");
    assert_eq!(ended.code(), Some(2), "{ended:?}");
    assert_eq!(
        ended.stderr,
        "goro: GOMAXPROCS=\"abc\" is not valid: set it to a whole number of worker threads from 1 to 1024, or unset it\n"
    );
    assert_eq!(ended.stdout, "");
}

#[test]
fn gomaxprocs_zero_fails_with_one_line() {
    let ended = with_gomaxprocs("0");
    assert_eq!(ended.code(), Some(2), "{ended:?}");
    assert_eq!(ended.stderr.lines().count(), 1, "{ended:?}");
    assert!(ended
        .stderr
        .starts_with("goro: GOMAXPROCS=\"0\" is not valid"));
}

#[test]
fn worker_threads_zero_fails_with_one_line() {
    let ended = run(fixture("worker-threads-zero"));
    assert_eq!(ended.code(), Some(2), "{ended:?}");
    assert_eq!(
        ended.stderr,
        "goro: worker_threads(0) is not valid: a runtime needs at least 1 worker thread\n"
    );
}

#[test]
fn run_inside_a_runtime_points_to_go() {
    let ended = run(fixture("run-inside-runtime"));
    assert_eq!(ended.code(), Some(2), "{ended:?}");
    assert!(
        ended
            .stderr
            .starts_with("panic: goro::run was called inside a runtime"),
        "{ended:?}"
    );
    assert!(ended.stderr.contains("go!(..)"), "{ended:?}");
}

/// A runtime raises the soft open-file limit to the hard one, as Go's
/// does; the program starts with a soft limit lowered below the hard one.
#[test]
fn a_runtime_raises_the_open_file_limit_to_the_hard_one() {
    let fixture = fixture("open-files");
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c")
        .arg("ulimit -Sn 256 && exec \"$0\" open-files")
        .arg(fixture.get_program());
    let ended = run(cmd);
    assert_eq!(ended.code(), Some(0), "{ended:?}");
    let lines: Vec<&str> = ended.stdout.lines().collect();
    let hard = lines[0].split(' ').nth(2).expect("the hard limit");
    assert_eq!(lines[0], format!("before 256 {hard}"), "{ended:?}");
    assert_eq!(lines[1], format!("inside {hard} {hard}"), "{ended:?}");
}

/// A typo must not start a million threads: past the documented maximum,
/// the runtime refuses to start, with one line, at once.
#[test]
fn gomaxprocs_past_the_maximum_fails_with_one_line() {
    let ended = with_gomaxprocs("1000000");
    assert_eq!(ended.code(), Some(2), "{ended:?}");
    assert_eq!(
        ended.stderr,
        "goro: GOMAXPROCS=\"1000000\" is not valid: set it to a whole number of worker threads from 1 to 1024, or unset it\n"
    );
    assert_eq!(ended.stdout, "");
    let ended = with_gomaxprocs("1024");
    assert_eq!(ended.code(), Some(0), "{ended:?}");
    assert_eq!(ended.stdout.trim(), "gomaxprocs=1024");
}

/// The fixture under `ulimit -v`: too little address space for the
/// stacks of 1,000 worker threads.
fn with_little_memory(scenario: &str) -> std::process::Command {
    let program = fixture(scenario).get_program().to_owned();
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c")
        .arg("ulimit -v 1000000 && exec \"$0\" \"$1\"")
        .arg(program)
        .arg(scenario);
    cmd
}

#[test]
fn workers_the_system_refuses_fail_with_one_line() {
    let mut cmd = with_little_memory("gomaxprocs");
    cmd.env("GOMAXPROCS", "1000");
    let ended = run(cmd);
    assert_eq!(ended.code(), Some(2), "{ended:?}");
    assert_eq!(ended.stderr.lines().count(), 1, "{ended:?}");
    assert!(
        ended.stderr.starts_with(
            "goro: could not start the runtime: the system refused to start 1000 worker threads"
        ),
        "{ended:?}"
    );
    assert_eq!(ended.stdout, "");
}

#[test]
fn try_run_returns_the_refusal_and_the_program_goes_on() {
    let ended = run(with_little_memory("threads-refused-then-run"));
    assert_eq!(ended.code(), Some(0), "{ended:?}");
    assert_eq!(ended.stdout, "refused: true\nthen ran\n", "{ended:?}");
    assert!(ended.stderr.contains("lower GOMAXPROCS"), "{ended:?}");
}
