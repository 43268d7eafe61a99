//! Dropping a `recv`, `send` or `select!` before it completes loses and
//! duplicates nothing, at each point where it can be dropped.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

/// A waker that counts its wakes: a wake means a counterpart committed the
/// waiting operation.
#[derive(Default)]
struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Awaits `future`, failing the test instead of hanging if a value was lost.
async fn within<F: Future>(future: F) -> F::Output {
    tokio::time::timeout(std::time::Duration::from_secs(60), future)
        .await
        .expect("no value arrived within 60 s: it was lost")
}

fn poll_once<F: Future + ?Sized>(
    future: Pin<&mut F>,
    waker: &Arc<CountingWaker>,
) -> Poll<F::Output> {
    let waker = Waker::from(waker.clone());
    future.poll(&mut Context::from_waker(&waker))
}

#[goro::test]
async fn a_receive_dropped_after_being_handed_a_value_puts_it_back() {
    for cap in [0, 1, 4] {
        let (tx, rx) = goro::chan::<u32>(cap);
        let flag = Arc::new(CountingWaker::default());
        let mut recv = Box::pin(rx.recv());
        assert!(poll_once(recv.as_mut(), &flag).is_pending());
        // The receive is waiting, so this send hands the value to it
        // (unbuffered), or buffers it and wakes the receive (buffered).
        tx.send(42).await.unwrap();
        assert_eq!(
            flag.0.load(Ordering::SeqCst),
            1,
            "the receive was committed and woken"
        );
        let second = tx.try_send(43).is_ok();
        assert_eq!(second, cap > 1, "room for a second value");
        drop(recv);
        assert_eq!(
            within(rx.recv()).await,
            Some(42),
            "the value went back (or stayed), in front"
        );
        if second {
            assert_eq!(within(rx.recv()).await, Some(43));
        }
    }
}

#[goro::test]
async fn a_receive_dropped_while_waiting_takes_nothing() {
    let (tx, rx) = goro::chan::<u32>(0);
    let flag = Arc::new(CountingWaker::default());
    let mut recv = Box::pin(rx.recv());
    assert!(poll_once(recv.as_mut(), &flag).is_pending());
    drop(recv);
    // Nobody waits now: an unbuffered send cannot complete at once.
    assert!(tx.try_send(1).unwrap_err().is_full());
}

#[goro::test]
async fn a_send_dropped_while_waiting_sends_nothing() {
    let (tx, rx) = goro::chan::<u32>(0);
    let flag = Arc::new(CountingWaker::default());
    let mut send = Box::pin(tx.send(9));
    assert!(poll_once(send.as_mut(), &flag).is_pending());
    drop(send);
    assert!(
        rx.try_recv().is_err(),
        "the dropped send gave its value away"
    );
}

#[goro::test]
async fn a_send_taken_before_it_was_dropped_was_sent_once() {
    let (tx, rx) = goro::chan::<u32>(0);
    let flag = Arc::new(CountingWaker::default());
    let mut send = Box::pin(tx.send(9));
    assert!(poll_once(send.as_mut(), &flag).is_pending());
    assert_eq!(within(rx.recv()).await, Some(9));
    assert_eq!(flag.0.load(Ordering::SeqCst), 1);
    drop(send);
    assert!(rx.try_recv().is_err(), "sent twice");
}

#[goro::test]
async fn a_select_dropped_after_a_receive_committed_puts_the_value_back() {
    let (tx_a, rx_a) = goro::chan::<u32>(0);
    let (_tx_b, rx_b) = goro::chan::<u32>(0);
    let flag = Arc::new(CountingWaker::default());
    let mut select = Box::pin(async {
        goro::select! {
            a = rx_a.recv() => a,
            b = rx_b.recv() => b,
        }
    });
    assert!(poll_once(select.as_mut(), &flag).is_pending());
    tx_a.send(5).await.unwrap();
    assert_eq!(flag.0.load(Ordering::SeqCst), 1);
    drop(select);
    assert_eq!(rx_a.try_recv(), Ok(5));
}

#[goro::test]
async fn a_select_dropped_while_waiting_commits_nothing() {
    let (tx_a, rx_a) = goro::chan::<u32>(0);
    let (tx_b, rx_b) = goro::chan::<u32>(0);
    let flag = Arc::new(CountingWaker::default());
    let mut select = Box::pin(async {
        goro::select! {
            a = rx_a.recv() => a,
            r = tx_b.send(1) => r.ok().map(|()| 0),
        }
    });
    assert!(poll_once(select.as_mut(), &flag).is_pending());
    drop(select);
    assert!(
        tx_a.try_send(1).unwrap_err().is_full(),
        "a receive is still queued"
    );
    assert!(rx_b.try_recv().is_err(), "the losing send sent");
}

#[goro::test]
async fn a_receive_polled_alone_then_used_in_select_loses_nothing() {
    let (tx, rx) = goro::chan::<u32>(0);
    let (_keep, never) = goro::chan::<u32>(0);
    let flag = Arc::new(CountingWaker::default());
    let mut recv = rx.recv();
    assert!(poll_once(Pin::new(&mut recv), &flag).is_pending());
    let sender = goro::go!(async move {
        tx.send(7).await.unwrap();
        tx
    });
    let got = within(async {
        goro::select! {
            v = recv => v,
            _ = never.recv() => None,
        }
    })
    .await;
    assert_eq!(got, Some(7));
    drop(sender.await.unwrap());
}

#[goro::test]
async fn a_send_polled_alone_then_used_in_select_still_sends_once() {
    let (tx, rx) = goro::chan::<u32>(0);
    let (_keep, never) = goro::chan::<u32>(0);
    let flag = Arc::new(CountingWaker::default());
    let mut send = tx.send(3);
    assert!(poll_once(Pin::new(&mut send), &flag).is_pending());
    let receiver = goro::go!(async move { (rx.recv().await, rx) });
    let sent = within(async {
        goro::select! {
            r = send => r.is_ok(),
            _ = never.recv() => false,
        }
    })
    .await;
    assert!(sent);
    let (got, rx) = receiver.await.unwrap();
    assert_eq!(got, Some(3));
    assert!(rx.try_recv().is_err(), "sent twice");
}

#[goro::test]
async fn a_value_handed_to_a_waiting_stream_comes_out_first() {
    use futures::StreamExt;
    let (tx, mut rx) = goro::chan::<u32>(4);
    // The stream waits, then its `next()` is given up.
    let timed_out = tokio::time::timeout(std::time::Duration::from_millis(5), rx.next()).await;
    assert!(timed_out.is_err());
    tx.send(1).await.unwrap(); // handed to the waiting stream
    tx.send(2).await.unwrap(); // buffered
    assert_eq!(within(rx.recv()).await, Some(1), "order kept");
    assert_eq!(rx.try_recv(), Ok(2));
    tx.send(3).await.unwrap();
    assert_eq!(within(rx.next()).await, Some(3));
}

#[goro::test]
async fn a_buffered_receive_woken_then_dropped_passes_the_wake_on() {
    let (tx, rx) = goro::chan::<u32>(2);
    let first = Arc::new(CountingWaker::default());
    let second = Arc::new(CountingWaker::default());
    let mut r1 = Box::pin(rx.recv());
    let mut r2 = Box::pin(rx.recv());
    assert!(poll_once(r1.as_mut(), &first).is_pending());
    assert!(poll_once(r2.as_mut(), &second).is_pending());
    tx.send(7).await.unwrap();
    assert_eq!(first.0.load(Ordering::SeqCst), 1, "the first receive woken");
    assert_eq!(second.0.load(Ordering::SeqCst), 0, "one value, one wake");
    drop(r1);
    assert_eq!(
        second.0.load(Ordering::SeqCst),
        1,
        "the dropped receive's wake went to the other one"
    );
    assert_eq!(poll_once(r2.as_mut(), &second), Poll::Ready(Some(7)));
}

#[goro::test]
async fn a_buffered_send_woken_then_dropped_passes_the_wake_on() {
    let (tx, rx) = goro::chan::<u32>(1);
    tx.send(1).await.unwrap();
    let first = Arc::new(CountingWaker::default());
    let second = Arc::new(CountingWaker::default());
    let mut s1 = Box::pin(tx.send(2));
    let mut s2 = Box::pin(tx.send(3));
    assert!(poll_once(s1.as_mut(), &first).is_pending());
    assert!(poll_once(s2.as_mut(), &second).is_pending());
    assert_eq!(rx.recv().await, Some(1));
    assert_eq!(first.0.load(Ordering::SeqCst), 1, "the first send woken");
    assert_eq!(second.0.load(Ordering::SeqCst), 0, "one slot, one wake");
    drop(s1);
    assert_eq!(second.0.load(Ordering::SeqCst), 1, "the wake was passed on");
    assert!(matches!(
        poll_once(s2.as_mut(), &second),
        Poll::Ready(Ok(()))
    ));
    assert_eq!(rx.recv().await, Some(3), "the dropped send sent nothing");
    assert!(rx.try_recv().is_err());
}
