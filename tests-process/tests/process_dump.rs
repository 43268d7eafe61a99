//! SIGQUIT prints the goroutine dump and exits 2, unless turned off or
//! handled by the program.
#![cfg(unix)]

mod support;

use std::os::unix::process::ExitStatusExt;
use support::process::{fixture, start};

#[test]
fn sigquit_prints_every_goroutine_and_exits_2() {
    let mut child = start(fixture("sigquit"));
    child.wait_for(true, |line| line == "ready");
    child.signal("QUIT");
    let status = child.wait();
    assert_eq!(status.code(), Some(2), "{status:?}");
    let stderr: Vec<String> = child.stderr.try_iter().collect();
    let text = stderr.join("\n");
    assert!(text.starts_with("SIGQUIT: quit\n"), "{text}");
    assert!(
        text.contains("goroutine 1 \"main\" [chan receive"),
        "{text}"
    );
    assert!(text.contains("\"worker\" [chan receive"), "{text}");
    assert!(text.contains("by goroutine 1"), "{text}");
}

#[test]
fn goro_sigquit_off_leaves_the_default_action() {
    let mut cmd = fixture("sigquit");
    cmd.env("GORO_SIGQUIT", "off");
    let mut child = start(cmd);
    child.wait_for(true, |line| line == "ready");
    child.signal("QUIT");
    let status = child.wait();
    assert_eq!(status.signal(), Some(SIGQUIT), "{status:?}");
    let stderr: Vec<String> = child.stderr.try_iter().collect();
    assert!(!stderr.iter().any(|l| l.contains("SIGQUIT")), "{stderr:#?}");
}

#[test]
fn a_bad_goro_sigquit_is_a_clear_error() {
    let mut cmd = fixture("sigquit");
    cmd.env("GORO_SIGQUIT", "maybe");
    let ended = support::process::run(cmd);
    assert_ne!(ended.code(), Some(0));
    assert!(
        ended.stderr.contains("GORO_SIGQUIT=\"maybe\" is not valid"),
        "{}",
        ended.stderr
    );
}

#[test]
fn the_programs_own_sigquit_handling_wins() {
    let mut child = start(fixture("sigquit-own-handler"));
    child.wait_for(true, |line| line == "ready");
    child.signal("QUIT");
    child.wait_for(true, |line| line == "own handler");
    let status = child.wait();
    assert_eq!(status.code(), Some(0), "{status:?}");
    let stderr: Vec<String> = child.stderr.try_iter().collect();
    assert!(!stderr.iter().any(|l| l.contains("SIGQUIT")), "{stderr:#?}");
}

/// SIGQUIT's number (3 on every Unix goro runs on).
const SIGQUIT: i32 = 3;
