//! `goro::context`: cancellation flowing to descendants, deadlines, values,
//! and races between them. Where a test waits for a deadline it waits on
//! the context with a generous limit; no assertion depends on how late a
//! timer fires.

use std::time::{Duration, Instant};

use goro::chan::TryRecvError;
use goro::context::{
    self, background, with_cancel, with_deadline, with_timeout, with_value, Error,
};

const PATIENCE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);

/// Waits until `ctx` is cancelled, or fails after `PATIENCE`.
async fn cancelled(ctx: &context::Context) {
    goro::select! {
        v = ctx.done().recv() => assert!(v.is_none(), "done() carries no values"),
        _ = goro::time::after(PATIENCE).recv() => panic!("not cancelled in {PATIENCE:?}"),
    }
}

fn is_done(ctx: &context::Context) -> bool {
    ctx.done().try_recv() == Err(TryRecvError::Closed)
}

#[goro::test]
async fn background_is_never_cancelled() {
    let bg = background();
    assert_eq!(bg.err(), None);
    assert_eq!(bg.deadline(), None);
    assert_eq!(bg.done().try_recv(), Err(TryRecvError::Empty));
    assert_eq!(context::todo().err(), None);
    assert_eq!(context::Context::default().err(), None);
}

#[goro::test]
async fn cancel_closes_done_sets_err_and_is_idempotent() {
    let (ctx, cancel) = with_cancel(&background());
    assert!(!is_done(&ctx));
    cancel.cancel();
    assert!(is_done(&ctx));
    assert_eq!(ctx.err(), Some(Error::Canceled));
    cancel.cancel();
    assert_eq!(ctx.err(), Some(Error::Canceled));
    assert_eq!(ctx.done().recv().await, None);
    assert_eq!(Error::Canceled.to_string(), "context canceled");
    assert_eq!(
        Error::DeadlineExceeded.to_string(),
        "context deadline exceeded"
    );
}

#[goro::test]
async fn cancellation_flows_to_every_descendant_and_never_up() {
    let (parent, cancel_parent) = with_cancel(&background());
    let (sibling, _cancel_sibling) = with_cancel(&parent);
    let (child, cancel_child) = with_cancel(&parent);
    let valued = with_value(&child, 5u32);
    let (grandchild, _g) = with_timeout(&valued, HOUR);
    cancel_child.cancel();
    assert!(is_done(&child) && is_done(&valued) && is_done(&grandchild));
    assert_eq!(grandchild.err(), Some(Error::Canceled));
    assert!(!is_done(&parent) && !is_done(&sibling));
    cancel_parent.cancel();
    assert_eq!(sibling.err(), Some(Error::Canceled));
    // A context derived from a cancelled one starts cancelled.
    let (late, _c) = with_cancel(&parent);
    assert_eq!(late.err(), Some(Error::Canceled));
    assert_eq!(with_value(&parent, ()).err(), Some(Error::Canceled));
}

#[goro::test]
async fn dropping_cancel_does_not_cancel() {
    let (ctx, cancel) = with_cancel(&background());
    drop(cancel);
    assert_eq!(ctx.err(), None);
}

#[goro::test]
async fn a_timeout_cancels_with_deadline_exceeded() {
    let start = Instant::now();
    let (ctx, _cancel) = with_timeout(&background(), Duration::from_millis(2));
    let deadline = ctx.deadline().expect("a deadline");
    assert!(deadline >= start + Duration::from_millis(2));
    cancelled(&ctx).await;
    assert!(Instant::now() >= deadline);
    assert_eq!(ctx.err(), Some(Error::DeadlineExceeded));
    // Cancelling after the deadline changes nothing.
    _cancel.cancel();
    assert_eq!(ctx.err(), Some(Error::DeadlineExceeded));
}

#[goro::test]
async fn a_parents_deadline_reaches_its_children() {
    let (parent, _p) = with_timeout(&background(), Duration::from_millis(2));
    let (child, _c) = with_cancel(&parent);
    let later = Instant::now() + HOUR;
    let (capped, _d) = with_deadline(&parent, later);
    assert_eq!(
        capped.deadline(),
        parent.deadline(),
        "a later deadline is the parent's"
    );
    assert_eq!(child.deadline(), parent.deadline());
    // Each is cancelled in turn by the parent's timer: wait for each.
    cancelled(&child).await;
    cancelled(&capped).await;
    assert_eq!(child.err(), Some(Error::DeadlineExceeded));
    assert_eq!(capped.err(), Some(Error::DeadlineExceeded));
}

#[goro::test]
async fn a_deadline_already_past_cancels_at_once() {
    let (ctx, _cancel) = with_deadline(&background(), Instant::now());
    assert_eq!(ctx.err(), Some(Error::DeadlineExceeded));
    let (ctx, _cancel) = with_timeout(&background(), Duration::ZERO);
    assert_eq!(ctx.err(), Some(Error::DeadlineExceeded));
    let (ctx, _cancel) = with_timeout(&background(), Duration::MAX);
    assert_eq!(ctx.err(), None);
    assert_eq!(ctx.deadline(), None);
}

#[goro::test]
async fn cancel_racing_the_deadline_settles_once() {
    for round in 0..500u64 {
        let (ctx, cancel) = with_timeout(&background(), Duration::from_micros(round % 50));
        let (child, _c) = with_cancel(&ctx);
        let spin = Instant::now();
        while spin.elapsed() < Duration::from_micros(round * 7 % 60) {
            std::hint::spin_loop();
        }
        cancel.cancel();
        let err = ctx.err().expect("cancelled one way or the other");
        assert!(is_done(&ctx) && is_done(&child), "round {round}");
        assert_eq!(child.err(), Some(err), "round {round}: the child agrees");
        goro::gosched().await;
        assert_eq!(
            ctx.err(),
            Some(err),
            "round {round}: err changed after it was set"
        );
    }
}

#[goro::test]
async fn values_are_found_by_type_nearest_first() {
    #[derive(Debug, PartialEq)]
    struct User(&'static str);
    let ctx = with_value(&background(), User("ann"));
    let ctx = with_value(&ctx, 42u64);
    let (ctx, _c) = with_cancel(&ctx);
    let shadowed = with_value(&ctx, User("bob"));
    assert_eq!(ctx.value::<User>(), Some(&User("ann")));
    assert_eq!(shadowed.value::<User>(), Some(&User("bob")));
    assert_eq!(shadowed.value::<u64>(), Some(&42));
    assert_eq!(shadowed.value::<u32>(), None);
    assert_eq!(background().value::<u64>(), None);
}

#[goro::test]
async fn done_is_a_select_branch_and_cancelled_a_future() {
    let (ctx, cancel) = with_cancel(&background());
    let (tx, rx) = goro::chan::<u32>(0);
    let worker_ctx = ctx.clone();
    let worker = goro::go!(async move {
        let mut got = 0;
        loop {
            goro::select! {
                v = rx.recv() => got += v.unwrap_or(0),
                _ = worker_ctx.done().recv() => return (got, worker_ctx.err()),
            }
        }
    });
    tx.send(3).await.unwrap();
    tx.send(4).await.unwrap();
    cancel.cancel();
    assert_eq!(worker.await.unwrap(), (7, Some(Error::Canceled)));

    let (ctx, cancel) = with_cancel(&background());
    let waiter = goro::go!(async move {
        tokio::select! {
            () = ctx.cancelled() => "cancelled",
            () = tokio::time::sleep(PATIENCE) => "timed out",
        }
    });
    cancel.cancel();
    assert_eq!(waiter.await.unwrap(), "cancelled");
}

#[goro::test]
async fn many_children_nobody_holds_leave_the_parent_as_it_was() {
    // Short-lived children of a long-lived parent, never cancelled (the
    // parent's list staying short is a unit test in the crate).
    let (parent, _p) = with_cancel(&background());
    for _ in 0..100_000 {
        let (child, _cancel) = with_timeout(&parent, HOUR);
        drop(child);
    }
    assert_eq!(parent.err(), None);
}
