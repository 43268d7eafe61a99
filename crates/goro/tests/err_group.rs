//! `goro::sync::ErrGroup`: the first error, the context it cancels, the
//! limit, and a panicking member.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use goro::context::{self, Error};
use goro::sync::ErrGroup;

#[goro::test]
async fn wait_returns_ok_when_every_member_does() {
    let group = ErrGroup::<String>::new();
    let done = Arc::new(AtomicUsize::new(0));
    for _ in 0..100 {
        let done = done.clone();
        group
            .go(async move {
                done.fetch_add(1, Ordering::SeqCst);
                Ok(())
            })
            .await;
    }
    assert_eq!(group.wait().await, Ok(()));
    assert_eq!(done.load(Ordering::SeqCst), 100);
}

#[goro::test]
async fn the_first_error_wins_and_cancels_the_context() {
    let (group, ctx) = ErrGroup::<u32>::with_context(&context::background());
    let (release_tx, release) = goro::chan::<()>(0);
    // Members that wait for the context to be cancelled: only the error
    // below can release them.
    for _ in 0..5 {
        let ctx = ctx.clone();
        group
            .go(async move {
                ctx.done().recv().await;
                assert_eq!(ctx.err(), Some(Error::Canceled));
                Ok(())
            })
            .await;
    }
    let failing = group.clone();
    group
        .go(async move {
            let _ = release.recv().await;
            // A member may start members.
            failing.go(async { Err(2) }).await;
            Err(1)
        })
        .await;
    assert_eq!(ctx.err(), None);
    release_tx.close();
    let err = group.wait().await.unwrap_err();
    assert!(err == 1 || err == 2, "{err}");
    assert!(ctx.err().is_some());
    assert_eq!(group.wait().await, Ok(()), "the error was taken");
}

#[goro::test]
async fn wait_cancels_the_context_even_without_an_error() {
    let (group, ctx) = ErrGroup::<()>::with_context(&context::background());
    group.go(async { Ok(()) }).await;
    assert_eq!(group.wait().await, Ok(()));
    assert_eq!(ctx.err(), Some(Error::Canceled));
}

#[goro::test]
async fn the_limit_bounds_members_running_at_once() {
    let group = ErrGroup::<()>::new();
    group.set_limit(2);
    let running = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    for _ in 0..40 {
        let (running, most) = (running.clone(), most.clone());
        group
            .go(async move {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                for _ in 0..3 {
                    goro::gosched().await;
                }
                running.fetch_sub(1, Ordering::SeqCst);
                Ok(())
            })
            .await;
    }
    group.wait().await.unwrap();
    let most = most.load(Ordering::SeqCst);
    assert!((1..=2).contains(&most), "{most} members ran at once");
}

#[goro::test]
async fn try_go_declines_while_the_limit_is_reached() {
    let group = ErrGroup::<()>::new();
    group.set_limit(1);
    let (release_tx, release) = goro::chan::<()>(0);
    assert!(group.try_go(async move {
        let _ = release.recv().await;
        Ok(())
    }));
    assert!(!group.try_go(async { Ok(()) }), "the one slot is taken");
    release_tx.close();
    group.wait().await.unwrap();
    assert!(group.try_go(async { Ok(()) }), "the slot is free again");
    group.wait().await.unwrap();
    group.set_limit(usize::MAX);
    for _ in 0..10 {
        assert!(group.try_go(async { Ok(()) }));
    }
    group.wait().await.unwrap();
}

#[test]
#[should_panic(expected = "members are still running under the old limit")]
fn changing_the_limit_while_members_run_panics() {
    goro::Builder::new().panic(goro::Panic::Isolate).run(async {
        let group = ErrGroup::<()>::new();
        group.set_limit(1);
        let (_hold, wait) = goro::chan::<()>(0);
        group
            .go(async move {
                let _ = wait.recv().await;
                Ok(())
            })
            .await;
        group.set_limit(3);
    });
}

#[test]
#[should_panic(expected = "member boom")]
fn a_panicking_member_cancels_the_group_and_resumes_in_wait_under_isolate() {
    goro::Builder::new().panic(goro::Panic::Isolate).run(async {
        let (group, ctx) = ErrGroup::<()>::with_context(&context::background());
        let watcher = ctx.clone();
        group
            .go(async move {
                watcher.done().recv().await;
                Ok(())
            })
            .await;
        group.go(async { panic!("member boom") }).await;
        // The panic cancels the context, which releases the watcher;
        // wait then resumes the panic here.
        let _ = tokio::time::timeout(Duration::from_secs(60), group.wait()).await;
        unreachable!("wait returned instead of resuming the panic");
    });
}
