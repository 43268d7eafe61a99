//! Tests of the channel's queues that look inside it: how many waiters a
//! channel keeps queued, and the hints of unbuffered channels.
#![cfg(not(goro_loom))]

use super::core::Chan;

/// Runs `future` with Tokio's panic behaviour, so that a failed
/// assertion inside it fails this test (under Go's, the default, it
/// would end the whole test process).
fn run<F>(future: F) -> F::Output
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    crate::Builder::new()
        .panic(crate::Panic::Isolate)
        .run(future)
}

/// The waiters queued on each side of `chan`.
fn queued<T>(chan: &Chan<T>) -> (usize, usize) {
    chan.queued()
}

/// `n` selects between `quiet` (nothing is sent there meanwhile) and a
/// new channel that a goroutine sends `n` values on: each commits on
/// the busy channel and may leave an inert waiter on `quiet`. Returns
/// the most receivers ever queued on `quiet` after a select.
async fn lose_on(quiet: &crate::chan::Receiver<u32>, n: u32) -> usize {
    let (busy_tx, busy) = crate::chan::<u32>(0);
    crate::go!(async move {
        for i in 0..n {
            busy_tx.send(i).await.unwrap();
        }
    });
    let mut most = 0;
    for i in 0..n {
        crate::select! {
            _ = quiet.recv() => unreachable!("nothing is sent on the quiet channel"),
            v = busy.recv() => assert_eq!(v, Some(i)),
        }
        most = most.max(queued(&quiet.chan).1);
    }
    most
}

/// A select that always commits on one channel leaves an inert waiter
/// on the other each time; nobody ever pops those, so only compaction
/// removes them, and it must keep them bounded.
#[test]
fn selects_that_lose_on_a_quiet_channel_leave_a_bounded_queue() {
    let most = run(async {
        let (_quiet_tx, quiet) = crate::chan::<u32>(0);
        lose_on(&quiet, 5_000).await
    });
    // At most half inert (plus the 16 tolerated), and never a waiting
    // one here: 17 at the most.
    assert!(most <= 17, "{most} waiters left on the quiet channel");
}

/// Selects dropped while they wait (a timeout elsewhere, say) leave
/// inert waiters on both channels; each branch's own cancellation
/// counts its waiter, so compaction bounds both queues.
#[test]
fn dropped_selects_leave_bounded_queues() {
    use futures::FutureExt;
    let most = run(async {
        let (_a_tx, a) = crate::chan::<u32>(0);
        let (_b_tx, b) = crate::chan::<u32>(0);
        let mut most = (0, 0);
        for _ in 0..1_000 {
            let waiting = async {
                crate::select! {
                    _ = a.recv() => unreachable!("nothing is sent on a"),
                    _ = b.recv() => unreachable!("nothing is sent on b"),
                }
            };
            assert!(waiting.now_or_never().is_none(), "nothing was sent");
            most.0 = most.0.max(queued(&a.chan).1);
            most.1 = most.1.max(queued(&b.chan).1);
        }
        most
    });
    assert!(
        most.0 <= 17 && most.1 <= 17,
        "waiters left on a and b: {most:?}"
    );
}

/// On unbuffered channels a select's first pass skips channels with no
/// counterpart queued (a hint). A closed channel, and a value put back
/// by a dropped receive, are ready without a counterpart: the hint must
/// say so, or those branches would lose to every queued counterpart.
#[test]
fn unbuffered_branches_ready_without_a_counterpart_win_their_share() {
    const N: usize = 2_000;
    let shares = run(async {
        let (ready_tx, ready) = crate::chan::<u32>(0);
        let (closed_tx, closed) = crate::chan::<u32>(0);
        closed_tx.close();
        let (put_back_tx, put_back) = crate::chan::<u32>(0);
        crate::go!(async move { while ready_tx.send(1).await.is_ok() {} });
        let mut wins = [0usize; 2];
        for _ in 0..N {
            // A sender queued on `ready`, and a value put back on
            // `put_back`: every branch is ready.
            while queued(&ready.chan).0 == 0 {
                tokio::task::yield_now().await;
            }
            put_back.chan.put_back(2);
            crate::select! {
                v = ready.recv() => assert_eq!(v, Some(1)),
                v = closed.recv() => {
                    assert_eq!(v, None);
                    wins[0] += 1;
                }
                v = put_back.recv() => {
                    assert_eq!(v, Some(2));
                    wins[1] += 1;
                    continue;
                }
            }
            // Keep `put_back` empty for the next round.
            assert_eq!(put_back.try_recv(), Ok(2));
        }
        drop(put_back_tx);
        wins.map(|w| w as f64 / N as f64)
    });
    for (branch, share) in ["closed", "put back"].iter().zip(shares) {
        assert!(
            (0.2..=0.47).contains(&share),
            "the {branch} branch won {share:.3} of the selects (a third expected)"
        );
    }
}

/// The same with the inert waiters behind a receive that really waits:
/// compaction keeps that one and removes the rest.
#[test]
fn compaction_keeps_the_waiting_and_drops_the_inert() {
    let (most, received) = run(async {
        let (quiet_tx, quiet) = crate::chan::<u32>(0);
        let waiting = quiet.clone();
        let parked_one = crate::go!(async move { waiting.recv().await });
        // Wait for the goroutine's waiter before counting.
        while queued(&quiet.chan).1 == 0 {
            tokio::task::yield_now().await;
        }
        let most = lose_on(&quiet, 1_000).await;
        quiet_tx.send(7).await.unwrap();
        (most, parked_one.await.unwrap())
    });
    assert!(most <= 18, "{most} waiters left on the quiet channel");
    assert_eq!(received, Some(7), "the waiting receive survived compaction");
}

/// A value put back by a dropped receive on an unbuffered channel goes
/// with the last receiver, as a buffered value does.
#[test]
fn put_back_values_go_with_the_last_receiver() {
    #[allow(dead_code)]
    struct Holder(crate::chan::Sender<Holder>, std::sync::Arc<()>);
    let alive = std::sync::Arc::new(());
    let (tx, rx) = crate::chan::<Holder>(0);
    rx.chan.put_back(Holder(tx.clone(), alive.clone()));
    drop(tx);
    assert_eq!(std::sync::Arc::strong_count(&alive), 2);
    drop(rx);
    assert_eq!(std::sync::Arc::strong_count(&alive), 1);
}
