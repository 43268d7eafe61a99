//! Go channel semantics: rendezvous, buffering, close, errors, both ends
//! cloned, all kinds of operations together.

use goro::chan::{TryRecvError, TrySendError};
use goro::sync::WaitGroup;

#[goro::test]
async fn unbuffered_send_waits_for_a_receiver() {
    let (tx, rx) = goro::chan::<u32>(0);
    assert_eq!(tx.cap(), 0);
    // No receiver waiting: nothing can be sent without waiting.
    assert!(matches!(tx.try_send(1), Err(TrySendError::Full(1))));
    let sent = WaitGroup::new();
    sent.add(1);
    let s = sent.clone();
    let sender = goro::go!(async move {
        tx.send(7).await.unwrap();
        s.done();
    });
    // The sender cannot complete until we receive: check it is still
    // waiting after it has had every chance to run.
    for _ in 0..100 {
        goro::gosched().await;
    }
    assert!(!sender.is_finished());
    assert_eq!(rx.recv().await, Some(7));
    sent.wait().await;
    sender.await.unwrap();
}

#[goro::test]
async fn buffered_channels_are_fifo_up_to_their_capacity() {
    let (tx, rx) = goro::chan::<u32>(3);
    for i in 0..3 {
        tx.try_send(i).unwrap();
    }
    assert_eq!(tx.len(), 3);
    assert_eq!(rx.len(), 3);
    assert!(matches!(tx.try_send(3), Err(TrySendError::Full(3))));
    assert_eq!(rx.try_recv(), Ok(0));
    tx.try_send(3).unwrap();
    assert_eq!(rx.recv().await, Some(1));
    assert_eq!(rx.recv().await, Some(2));
    assert_eq!(rx.recv().await, Some(3));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
}

#[goro::test]
async fn close_drains_then_ends() {
    let (tx, rx) = goro::chan::<u32>(2);
    tx.send(1).await.unwrap();
    tx.send(2).await.unwrap();
    assert!(rx.close());
    assert!(!tx.close(), "the second close reports it did not close");
    assert!(tx.is_closed() && rx.is_closed());
    let err = tx.send(3).await.unwrap_err();
    assert_eq!(err.0, 3, "the value comes back");
    assert!(matches!(tx.try_send(4), Err(TrySendError::Closed(4))));
    assert_eq!(rx.recv().await, Some(1));
    assert_eq!(rx.recv().await, Some(2));
    assert_eq!(rx.recv().await, None);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
}

#[goro::test]
async fn dropping_the_last_sender_closes() {
    let (tx, rx) = goro::chan::<u32>(1);
    let tx2 = tx.clone();
    tx.send(1).await.unwrap();
    drop(tx);
    assert!(!rx.is_closed());
    drop(tx2);
    assert_eq!(rx.recv().await, Some(1));
    assert_eq!(rx.recv().await, None);
}

#[goro::test]
async fn sends_fail_once_every_receiver_is_gone() {
    let (tx, rx) = goro::chan::<String>(0);
    let rx2 = rx.clone();
    drop(rx);
    assert!(!tx.is_closed());
    drop(rx2);
    assert!(tx.is_closed());
    let err = tx.send("kept".to_string()).await.unwrap_err();
    assert_eq!(err.into_inner(), "kept");
}

#[goro::test]
async fn a_sender_gets_its_value_back_when_the_channel_closes_under_it() {
    let (tx, rx) = goro::chan::<u32>(0);
    let sender = goro::go!(async move { tx.send(5).await });
    // Most often the sender is waiting by now; either way the value returns.
    for _ in 0..10 {
        goro::gosched().await;
    }
    rx.close();
    assert_eq!(sender.await.unwrap().unwrap_err().0, 5);
}

#[goro::test]
async fn a_waiting_receiver_gets_none_when_the_channel_closes() {
    let (tx, rx) = goro::chan::<u32>(0);
    let receiver = goro::go!(async move { rx.recv().await });
    for _ in 0..10 {
        goro::gosched().await;
    }
    tx.close();
    assert_eq!(receiver.await.unwrap(), None);
}

#[test]
fn blocking_and_async_operations_interoperate() {
    let (tx, rx) = goro::chan::<u32>(0);
    let (back_tx, back_rx) = goro::chan::<u32>(0);
    let thread = std::thread::spawn(move || {
        for i in 0..100 {
            tx.send_blocking(i).unwrap();
            assert_eq!(back_rx.recv_blocking(), Some(i * 2));
        }
    });
    goro::run(async move {
        for _ in 0..100 {
            let v = rx.recv().await.unwrap();
            back_tx.send(v * 2).await.unwrap();
        }
        assert_eq!(rx.recv().await, None);
    });
    thread.join().unwrap();
}

#[goro::test]
async fn the_receiver_is_a_stream() {
    use futures::StreamExt;
    let (tx, rx) = goro::chan::<u32>(4);
    goro::go!(async move {
        for i in 0..10 {
            tx.send(i).await.unwrap();
        }
    });
    let all: Vec<u32> = rx.collect().await;
    assert_eq!(all, (0..10).collect::<Vec<_>>());
}

#[goro::test]
async fn errors_say_what_happened() {
    let (tx, rx) = goro::chan::<u32>(0);
    assert!(tx.try_send(1).unwrap_err().to_string().contains("full"));
    assert!(rx.try_recv().unwrap_err().to_string().contains("empty"));
    tx.close();
    assert!(tx.try_send(1).unwrap_err().to_string().contains("closed"));
    assert!(tx.send(1).await.unwrap_err().to_string().contains("closed"));
    assert!(rx.try_recv().unwrap_err().to_string().contains("closed"));
}
