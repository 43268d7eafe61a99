//! `select!`: exactly one operation commits, fairly, and select against
//! select over rendezvous channels balances exactly.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[goro::test]
async fn default_runs_when_nothing_is_ready() {
    let (tx, rx) = goro::chan::<u32>(0);
    let got = goro::select! {
        v = rx.recv() => Some(v),
        default => None,
    };
    assert_eq!(got, None);
    // The losing send of a select with default sends nothing.
    // Single-expression block bodies raise no `unused_braces` warning.
    let sent = goro::select! {
        r = tx.send(1) => { r.is_ok() }
        default => { false }
    };
    assert!(!sent);
    assert!(rx.try_recv().is_err());
}

#[goro::test]
async fn a_ready_receive_commits() {
    let (tx, rx) = goro::chan::<u32>(1);
    tx.send(3).await.unwrap();
    let got = goro::select! {
        v = rx.recv() => v,
        default => None,
    };
    assert_eq!(got, Some(3));
}

#[goro::test]
async fn a_closed_channel_is_ready_with_none() {
    let (tx, rx) = goro::chan::<u32>(0);
    let (_keep, never) = goro::chan::<u32>(0);
    tx.close();
    let got = goro::select! {
        v = rx.recv() => v.map_or("closed", |_| "value"),
        _ = never.recv() => "never",
    };
    assert_eq!(got, "closed");
}

#[goro::test]
async fn a_send_branch_commits_when_a_receiver_comes() {
    let (tx, rx) = goro::chan::<u32>(0);
    let (_keep, never) = goro::chan::<u32>(0);
    let receiver = goro::go!(async move {
        goro::time::sleep(Duration::from_millis(5)).await;
        rx.recv().await
    });
    let which = goro::select! {
        r = tx.send(11) => { r.unwrap(); "sent" }
        _ = never.recv() => "never",
    };
    assert_eq!(which, "sent");
    assert_eq!(receiver.await.unwrap(), Some(11));
}

#[goro::test]
async fn a_timeout_branch_fires() {
    let (_tx, rx) = goro::chan::<u32>(0);
    let timeout = goro::time::after(Duration::from_millis(5));
    let got = goro::select! {
        v = rx.recv() => v,
        _ = timeout.recv() => None,
    };
    assert_eq!(got, None);
}

#[goro::test]
async fn an_inline_time_after_works_as_in_go() {
    let (_tx, rx) = goro::chan::<u32>(0);
    let got = goro::select! {
        v = rx.recv() => v,
        _ = goro::time::after(Duration::from_millis(2)).recv() => Some(0),
    };
    assert_eq!(got, Some(0));
}

#[goro::test]
async fn the_same_channel_twice_in_one_select() {
    let (tx, rx) = goro::chan::<u32>(1);
    tx.send(8).await.unwrap();
    let got = goro::select! {
        a = rx.recv() => a,
        b = rx.recv() => b,
    };
    assert_eq!(got, Some(8));
    assert!(rx.try_recv().is_err(), "both branches committed");
}

/// Two always-ready branches: each chosen 40-60% of the time over many
/// selects (the chance of a fair coin leaving that band in 4000 tosses is
/// below 1e-35).
#[goro::test]
async fn the_choice_among_ready_branches_is_fair() {
    let (tx_a, rx_a) = goro::chan::<()>(1);
    let (tx_b, rx_b) = goro::chan::<()>(1);
    let mut a_wins = 0;
    const N: usize = 4_000;
    for _ in 0..N {
        tx_a.try_send(()).ok();
        tx_b.try_send(()).ok();
        goro::select! {
            _ = rx_a.recv() => a_wins += 1,
            _ = rx_b.recv() => {},
        }
    }
    let share = a_wins as f64 / N as f64;
    assert!(
        (0.4..=0.6).contains(&share),
        "branch a won {share:.3} of the time"
    );
}

/// Two goroutines each select between sending to and receiving from the
/// other over rendezvous channels: every commit pairs one send with one
/// receive, so each side's sent count equals the other's received count.
#[test]
fn select_against_select_balances_exactly() {
    goro::Builder::new()
        .worker_threads(2)
        .panic(goro::Panic::Isolate)
        .run(async {
            let (a_to_b, b_from_a) = goro::chan::<u64>(0);
            let (b_to_a, a_from_b) = goro::chan::<u64>(0);
            let (stop_tx, stop_rx) = goro::chan::<()>(0);
            let counts = Arc::new([
                AtomicU64::new(0), // a sent
                AtomicU64::new(0), // a received
                AtomicU64::new(0), // b sent
                AtomicU64::new(0), // b received
            ]);
            const ROUNDS: u64 = 20_000;
            let side = |tx: goro::chan::Sender<u64>,
                        rx: goro::chan::Receiver<u64>,
                        stop: goro::chan::Receiver<()>,
                        sent: usize,
                        received: usize,
                        counts: Arc<[AtomicU64; 4]>| async move {
                for i in 0..ROUNDS {
                    goro::select! {
                        r = tx.send(i) => { r.unwrap(); counts[sent].fetch_add(1, Ordering::SeqCst); }
                        v = rx.recv() => { v.unwrap(); counts[received].fetch_add(1, Ordering::SeqCst); }
                        _ = stop.recv() => return,
                    }
                }
            };
            let a = goro::go!(side(a_to_b, a_from_b, stop_rx.clone(), 0, 1, counts.clone()));
            let b = goro::go!(side(b_to_a, b_from_a, stop_rx, 2, 3, counts.clone()));
            // Whichever side finishes first leaves the other waiting: the
            // stop channel closes to release it.
            let a = tokio::time::timeout(Duration::from_secs(120), async {
                let mut a = a;
                let mut b = b;
                tokio::select! {
                    r = &mut a => { r.unwrap(); stop_tx.close(); b.await.unwrap(); }
                    r = &mut b => { r.unwrap(); stop_tx.close(); a.await.unwrap(); }
                }
            })
            .await;
            a.expect("the two sides deadlocked");
            let c: Vec<u64> = counts.iter().map(|c| c.load(Ordering::SeqCst)).collect();
            assert_eq!(c[0], c[3], "a sent {} but b received {}", c[0], c[3]);
            assert_eq!(c[2], c[1], "b sent {} but a received {}", c[2], c[1]);
            assert!(c[0] + c[2] >= ROUNDS, "too few exchanges: {c:?}");
        });
}

#[goro::test]
async fn a_false_guard_disables_its_branch_and_its_operation_is_not_made() {
    let (tx, rx) = goro::chan::<u32>(1);
    tx.send(7).await.unwrap();
    let receivers = [rx];
    let i = 5; // out of range: the operation must not be made
    let got = goro::select! {
        v = receivers[i].recv(), if i < receivers.len() => v,
        default => None,
    };
    assert_eq!(got, None);
    let i = 0;
    let got = goro::select! {
        v = receivers[i].recv(), if i < receivers.len() => v,
        default => None,
    };
    assert_eq!(got, Some(7));
}

#[goro::test]
async fn a_none_branch_never_fires_like_a_nil_channel() {
    let (tx, rx) = goro::chan::<u32>(1);
    tx.send(1).await.unwrap();
    let nil: Option<&goro::chan::Receiver<u32>> = None;
    let got = goro::select! {
        v = nil.map(|rx| rx.recv()) => v.map(|v| v + 100),
        default => Some(0),
    };
    assert_eq!(got, Some(0), "a None branch fired");
    let some = Some(&rx);
    let got = goro::select! {
        v = some.map(|rx| rx.recv()) => v,
        default => None,
    };
    assert_eq!(got, Some(1));
}

#[goro::test]
async fn merging_two_channels_disables_each_once_closed() {
    // Go's idiom: set a closed channel to nil so select stops choosing it.
    let (a_tx, a_rx) = goro::chan::<u32>(0);
    let (b_tx, b_rx) = goro::chan::<u32>(0);
    goro::go!(async move {
        for i in 0..50 {
            a_tx.send(i).await.unwrap();
        }
    });
    goro::go!(async move {
        for i in 100..130 {
            b_tx.send(i).await.unwrap();
        }
    });
    let (mut a, mut b) = (Some(a_rx), Some(b_rx));
    let mut got = Vec::new();
    while a.is_some() || b.is_some() {
        goro::select! {
            v = a.as_ref().map(|rx| rx.recv()) => match v {
                Some(v) => got.push(v),
                None => a = None,
            },
            v = b.as_ref().map(|rx| rx.recv()) => match v {
                Some(v) => got.push(v),
                None => b = None,
            },
        }
    }
    got.sort_unstable();
    let want: Vec<u32> = (0..50).chain(100..130).collect();
    assert_eq!(got, want);
}

#[goro::test]
async fn a_guarded_send_commits_only_when_enabled() {
    let (tx, rx) = goro::chan::<u32>(1);
    let full = false;
    goro::select! {
        r = tx.send(1), if !full => r.unwrap(),
        default => panic!("the send was enabled and had room"),
    }
    let full = tx.len() == tx.cap();
    goro::select! {
        _ = tx.send(2), if !full => panic!("a disabled send committed"),
        default => {}
    }
    assert_eq!(rx.try_recv(), Ok(1));
    assert!(rx.try_recv().is_err());
}

#[goro::test]
async fn every_branch_disabled_takes_default() {
    let (_tx, rx) = goro::chan::<u32>(0);
    let off = false;
    let got = goro::select! {
        v = rx.recv(), if off => v,
        v = None::<goro::chan::Recv<'_, u32>> => v,
        default => Some(9),
    };
    assert_eq!(got, Some(9));
}

#[goro::test]
async fn select_slice_takes_any_number_of_operations() {
    // More than select!'s 64 branches.
    let channels: Vec<_> = (0..300).map(|_| goro::chan::<u32>(0)).collect();
    let senders: Vec<_> = channels.iter().map(|(tx, _)| tx.clone()).collect();
    goro::go!(async move {
        for (i, tx) in senders.iter().enumerate().rev() {
            tx.send(i as u32).await.unwrap();
        }
    });
    let mut seen = vec![false; 300];
    for _ in 0..300 {
        let (i, v) = goro::chan::select_slice(channels.iter().map(|(_, rx)| rx.recv())).await;
        assert_eq!(v, Some(i as u32), "the value came from the channel chosen");
        assert!(!seen[i], "channel {i} chosen twice");
        seen[i] = true;
    }
    assert!(seen.iter().all(|&s| s));
}

#[goro::test]
async fn select_slice_skips_none_and_sends_too() {
    let (tx, rx) = goro::chan::<u32>(1);
    let (_other_tx, other) = goro::chan::<u32>(0);
    let ops = vec![None, Some(other.recv()), None];
    assert!(
        goro::chan::try_select_slice(ops).await.is_none(),
        "nothing ready"
    );
    let (i, sent) = goro::chan::select_slice([tx.send(5)]).await;
    assert_eq!(i, 0);
    assert!(sent.is_ok());
    let ops = [None, Some(rx.recv())];
    assert_eq!(goro::chan::try_select_slice(ops).await, Some((1, Some(5))));
}

#[goro::test]
async fn select_slice_commits_exactly_once_under_contention() {
    // Many goroutines each select over the same receivers while producers
    // send: every value is received once, none lost or duplicated.
    const CHANNELS: usize = 80;
    const PER: u32 = 50;
    let channels: Vec<_> = (0..CHANNELS).map(|_| goro::chan::<u32>(0)).collect();
    for (c, (tx, _)) in channels.iter().enumerate() {
        let tx = tx.clone();
        goro::go!(async move {
            for k in 0..PER {
                tx.send(c as u32 * 1000 + k).await.unwrap();
            }
        });
    }
    let receivers: Arc<Vec<goro::chan::Receiver<u32>>> =
        Arc::new(channels.iter().map(|(_, rx)| rx.clone()).collect());
    let (out_tx, out) = goro::chan::<u32>(64);
    for _ in 0..4 {
        let receivers = receivers.clone();
        let out_tx = out_tx.clone();
        goro::go!(async move {
            loop {
                let (_, v) = goro::chan::select_slice(receivers.iter().map(|rx| rx.recv())).await;
                // A closed channel (the test's end) or a closed output ends it.
                let Some(v) = v else { return };
                if out_tx.send(v).await.is_err() {
                    return;
                }
            }
        });
    }
    let mut got = Vec::new();
    for _ in 0..CHANNELS * PER as usize {
        got.push(out.recv().await.unwrap());
    }
    drop(out);
    got.sort_unstable();
    let want: Vec<u32> = (0..CHANNELS as u32)
        .flat_map(|c| (0..PER).map(move |k| c * 1000 + k))
        .collect();
    assert_eq!(got, want);
}
