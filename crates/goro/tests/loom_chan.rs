//! Model checks of the channel core and the select commit protocol with
//! loom: every interleaving of the operations below, up to loom's bound.
//!
//! `RUSTFLAGS="--cfg goro_loom" cargo test -p goro --release --test loom_chan`
#![cfg(goro_loom)]

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use loom::future::block_on;
use loom::thread;

/// Polls `future` once, with a waker that does nothing.
fn poll_once<F: Future + ?Sized>(future: Pin<&mut F>) -> Poll<F::Output> {
    let waker = futures::task::noop_waker();
    future.poll(&mut Context::from_waker(&waker))
}

#[test]
fn rendezvous_handoff_delivers_once() {
    loom::model(|| {
        let (tx, rx) = goro::chan::<u32>(0);
        let t = thread::spawn(move || block_on(tx.send(1)).is_ok());
        assert_eq!(block_on(rx.recv()), Some(1));
        assert!(t.join().unwrap());
    });
}

#[test]
fn close_racing_send_and_recv() {
    loom::model(|| {
        let (tx, rx) = goro::chan::<u32>(0);
        let closer = tx.clone();
        let sender = thread::spawn(move || block_on(tx.send(1)).is_ok());
        let t_close = thread::spawn(move || {
            closer.close();
        });
        let got = block_on(rx.recv());
        t_close.join().unwrap();
        let sent = sender.join().unwrap();
        // Sent exactly when received.
        assert_eq!(sent, got == Some(1), "sent: {sent}, received: {got:?}");
        assert_eq!(block_on(rx.recv()), None);
    });
}

#[test]
fn select_racing_two_senders_commits_one_and_loses_nothing() {
    loom::model(|| {
        let (tx_a, rx_a) = goro::chan::<u32>(0);
        let (tx_b, rx_b) = goro::chan::<u32>(0);
        let ta = thread::spawn(move || block_on(tx_a.send(1)).unwrap());
        let tb = thread::spawn(move || block_on(tx_b.send(2)).unwrap());
        let first = block_on(async {
            goro::select! {
                a = rx_a.recv() => (a, 'a'),
                b = rx_b.recv() => (b, 'b'),
            }
        });
        // The other sender is still waiting: receive its value plainly.
        let second = match first.1 {
            'a' => block_on(rx_b.recv()),
            _ => block_on(rx_a.recv()),
        };
        let mut got = [first.0.unwrap(), second.unwrap()];
        got.sort();
        assert_eq!(got, [1, 2]);
        ta.join().unwrap();
        tb.join().unwrap();
    });
}

#[test]
fn select_against_select_commits_both_sides_of_one_exchange() {
    loom::model(|| {
        let (tx, rx) = goro::chan::<u32>(0);
        let (_keep, never) = goro::chan::<u32>(0);
        let (_keep2, never2) = goro::chan::<u32>(0);
        let t = thread::spawn(move || {
            block_on(async {
                goro::select! {
                    r = tx.send(7) => r.is_ok(),
                    _ = never.recv() => false,
                }
            })
        });
        let got = block_on(async {
            goro::select! {
                v = rx.recv() => v,
                _ = never2.recv() => None,
            }
        });
        assert_eq!(got, Some(7));
        assert!(t.join().unwrap());
    });
}

/// A wait for a value from `rx`, as the models below start it.
type Wait<'a> = Pin<Box<dyn Future<Output = Option<u32>> + 'a>>;

/// A send of 5 races a wait made by `wait`, which is polled once and, if
/// still waiting, dropped (possibly while the send is handing it 5): 5 must
/// come out of the wait or of a receive after it.
fn a_cancelled_wait_racing_a_send_loses_nothing(
    wait: impl for<'a> Fn(&'a goro::chan::Receiver<u32>) -> Wait<'a> + Send + Sync + 'static,
) {
    loom::model(move || {
        let (tx, rx) = goro::chan::<u32>(0);
        let t = thread::spawn(move || block_on(tx.send(5)).unwrap());
        {
            let mut waiting = wait(&rx);
            if let Poll::Ready(v) = poll_once(waiting.as_mut()) {
                assert_eq!(v, Some(5));
                t.join().unwrap();
                return;
            }
        }
        assert_eq!(block_on(rx.recv()), Some(5));
        t.join().unwrap();
    });
}

#[test]
fn a_cancelled_receive_racing_a_send_loses_nothing() {
    a_cancelled_wait_racing_a_send_loses_nothing(|rx| Box::pin(rx.recv()));
}

#[test]
fn a_cancelled_select_racing_a_send_loses_nothing() {
    a_cancelled_wait_racing_a_send_loses_nothing(|rx| {
        Box::pin(async move {
            let (_keep, never) = goro::chan::<u32>(0);
            goro::select! {
                v = rx.recv() => v,
                _ = never.recv() => None,
            }
        })
    });
}

#[test]
fn a_receive_polled_with_a_new_waker_while_a_send_claims_it_is_woken() {
    loom::model(|| {
        let (tx, rx) = goro::chan::<u32>(0);
        let t = thread::spawn(move || block_on(tx.send(5)).unwrap());
        let mut recv = Box::pin(rx.recv());
        if let Poll::Ready(v) = poll_once(recv.as_mut()) {
            assert_eq!(v, Some(5));
            t.join().unwrap();
            return;
        }
        // `block_on` polls with a waker of its own: the stored waker is
        // replaced, possibly while the send claims the receive. A lost
        // wake-up leaves this blocked, which loom reports.
        assert_eq!(block_on(recv), Some(5));
        t.join().unwrap();
    });
}

// A close takes its waiters out under the lock and commits them after it:
// the commit races the owner's cancellation, its new waker, and another
// channel's close committing the same select.

#[test]
fn a_close_racing_a_cancelled_receive_decides_it_once() {
    loom::model(|| {
        let (tx, rx) = goro::chan::<u32>(0);
        let tx2 = tx.clone();
        {
            let mut recv = Box::pin(rx.recv());
            assert!(poll_once(recv.as_mut()).is_pending());
            let t = thread::spawn(move || assert!(tx.close()));
            // Dropped, perhaps while the close commits it.
            drop(recv);
            t.join().unwrap();
        }
        assert_eq!(block_on(rx.recv()), None);
        assert!(block_on(tx2.send(1)).is_err());
    });
}

#[test]
fn a_receive_polled_with_a_new_waker_while_a_close_commits_it_is_woken() {
    loom::model(|| {
        let (tx, rx) = goro::chan::<u32>(0);
        let mut recv = Box::pin(rx.recv());
        assert!(poll_once(recv.as_mut()).is_pending());
        let t = thread::spawn(move || assert!(tx.close()));
        // A lost wake-up leaves this blocked, which loom reports.
        assert_eq!(block_on(recv), None);
        t.join().unwrap();
    });
}

/// Also the select's second poll, with a new waker, may find a close in the
/// middle of its commit: it must not return pending while the commit wakes
/// the old waker.
#[test]
fn two_closes_racing_for_one_select_commit_one_branch() {
    loom::model(|| {
        let (tx_a, rx_a) = goro::chan::<u32>(0);
        let (tx_b, rx_b) = goro::chan::<u32>(0);
        let mut select = Box::pin(async {
            goro::select! {
                a = rx_a.recv() => ('a', a),
                b = rx_b.recv() => ('b', b),
            }
        });
        assert!(poll_once(select.as_mut()).is_pending());
        let t = thread::spawn(move || assert!(tx_a.close()));
        assert!(tx_b.close());
        // A lost wake-up leaves this blocked, which loom reports.
        let (branch, value) = block_on(select);
        assert!(branch == 'a' || branch == 'b');
        assert_eq!(value, None);
        t.join().unwrap();
    });
}

// Buffered channels: values go through the lock-free ring, waiters are woken
// with a notice to try again.

#[test]
fn buffered_values_pass_a_full_ring_in_order() {
    loom::model(|| {
        let (tx, rx) = goro::chan::<u32>(1);
        let t = thread::spawn(move || {
            block_on(tx.send(1)).unwrap();
            block_on(tx.send(2)).unwrap();
        });
        assert_eq!(block_on(rx.recv()), Some(1));
        assert_eq!(block_on(rx.recv()), Some(2));
        t.join().unwrap();
    });
}

/// A channel of a zero-sized type counts its values instead of storing
/// them: a full count makes the send wait, and close still lets the
/// receiver drain what was sent.
#[test]
fn zero_sized_values_pass_a_full_count_and_a_close() {
    loom::model(|| {
        let (tx, rx) = goro::chan::<()>(1);
        let t = thread::spawn(move || {
            block_on(tx.send(())).unwrap();
            block_on(tx.send(())).unwrap();
            tx.close();
        });
        assert_eq!(block_on(rx.recv()), Some(()));
        assert_eq!(block_on(rx.recv()), Some(()));
        assert_eq!(block_on(rx.recv()), None);
        t.join().unwrap();
    });
}

#[test]
fn buffered_close_racing_send_and_recv() {
    loom::model(|| {
        let (tx, rx) = goro::chan::<u32>(1);
        let closer = tx.clone();
        let sender = thread::spawn(move || block_on(tx.send(1)).is_ok());
        let t_close = thread::spawn(move || {
            closer.close();
        });
        let got = block_on(rx.recv());
        t_close.join().unwrap();
        let sent = sender.join().unwrap();
        if got.is_none() {
            // Closed before the value arrived; if it was sent all the
            // same (it won its slot before the close), it is still there.
            assert_eq!(block_on(rx.recv()), sent.then_some(1));
        } else {
            assert!(sent);
            assert_eq!(got, Some(1));
        }
        assert_eq!(block_on(rx.recv()), None);
    });
}

#[test]
fn buffered_select_racing_two_senders_loses_nothing() {
    loom::model(|| {
        let (tx_a, rx_a) = goro::chan::<u32>(1);
        let (tx_b, rx_b) = goro::chan::<u32>(1);
        let ta = thread::spawn(move || block_on(tx_a.send(1)).unwrap());
        let tb = thread::spawn(move || block_on(tx_b.send(2)).unwrap());
        let first = block_on(async {
            goro::select! {
                a = rx_a.recv() => (a, 'a'),
                b = rx_b.recv() => (b, 'b'),
            }
        });
        let second = match first.1 {
            'a' => block_on(rx_b.recv()),
            _ => block_on(rx_a.recv()),
        };
        let mut got = [first.0.unwrap(), second.unwrap()];
        got.sort();
        assert_eq!(got, [1, 2]);
        ta.join().unwrap();
        tb.join().unwrap();
    });
}

#[test]
fn a_woken_buffered_receive_that_is_dropped_passes_the_wake_on() {
    loom::model(|| {
        let (tx, rx) = goro::chan::<u32>(1);
        // Kept open: only a wake passed on can get the other receiver out.
        let keep = tx.clone();
        let other = rx.clone();
        let sender = thread::spawn(move || block_on(tx.send(5)).unwrap());
        let receiver = thread::spawn(move || block_on(other.recv()));
        let mine = {
            let mut recv = Box::pin(rx.recv());
            let waker = futures::task::noop_waker();
            let mut cx = Context::from_waker(&waker);
            match recv.as_mut().poll(&mut cx) {
                Poll::Ready(v) => v,
                // Dropped while waiting, perhaps after being woken for 5:
                // the other receiver must get it (or loom reports it stuck).
                Poll::Pending => None,
            }
        };
        if mine.is_some() {
            // Nothing left for the other receiver: let it out.
            keep.close();
        }
        sender.join().unwrap();
        let theirs = receiver.join().unwrap();
        let mut got: Vec<u32> = [mine, theirs].into_iter().flatten().collect();
        got.sort();
        assert_eq!(got, [5], "received exactly once");
        drop(keep);
    });
}
