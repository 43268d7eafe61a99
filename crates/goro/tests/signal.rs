//! `goro::signal`: signals the process sends itself (`kill`) reach the
//! channel and cancel the context. Each test uses its own signal, since
//! the tests share the process.
#![cfg(unix)]

use std::time::Duration;

use goro::context;
use goro::signal::{self, Signal};

fn send_self(signal: &str) {
    let status = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &std::process::id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
}

#[goro::test]
async fn notify_delivers_the_signal() {
    let sigs = signal::notify(&[Signal::User1]);
    send_self("USR1");
    let got = tokio::time::timeout(Duration::from_secs(60), sigs.recv()).await;
    assert_eq!(got.expect("the signal came").unwrap(), Signal::User1);
    assert_eq!(Signal::User1.to_string(), "user defined signal 1");
    assert_eq!(Signal::Interrupt.to_string(), "interrupt");
}

#[goro::test]
async fn notify_context_is_cancelled_by_the_signal() {
    let (ctx, _stop) = signal::notify_context(&context::background(), &[Signal::User2]);
    assert_eq!(ctx.err(), None);
    send_self("USR2");
    let done = tokio::time::timeout(Duration::from_secs(60), ctx.cancelled()).await;
    assert!(done.is_ok(), "not cancelled");
    assert_eq!(ctx.err(), Some(context::Error::Canceled));
}

#[test]
#[should_panic(expected = "cannot handle signal 9")]
fn sigkill_cannot_be_asked_for() {
    goro::Builder::new().panic(goro::Panic::Isolate).run(async {
        signal::notify(&[Signal::Other(9)]);
    });
}
