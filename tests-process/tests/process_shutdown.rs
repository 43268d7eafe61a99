//! Starting goroutines while or after a runtime shuts down: no panic, no
//! hang, and the handle resolves to a cancelled JoinError.

mod support;

use support::process::{fixture, run};

#[test]
fn go_from_a_destructor_of_an_abandoned_goroutine_is_cancelled() {
    let ended = run(fixture("spawn-during-shutdown"));
    assert_eq!(ended.code(), Some(0), "{ended:?}");
    assert!(ended.stdout.starts_with("cancelled=true"), "{ended:?}");
    assert_eq!(ended.stderr, "", "{ended:?}");
}

#[test]
fn go_from_a_blocking_call_that_outlived_its_runtime_is_cancelled() {
    let ended = run(fixture("spawn-after-shutdown"));
    assert_eq!(ended.code(), Some(0), "{ended:?}");
    assert!(ended.stdout.starts_with("cancelled=true"), "{ended:?}");
    assert_eq!(ended.stderr, "", "{ended:?}");
}
