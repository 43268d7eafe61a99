//! Many goroutines on one channel at once: every value is received exactly
//! once, whatever the capacity, and cancelled receives lose nothing.

use std::collections::HashSet;
use std::future::Future;
use std::sync::{Arc, Mutex};

use goro::sync::WaitGroup;

const PRODUCERS: u64 = 4;
const CONSUMERS: usize = 4;
const PER_PRODUCER: u64 = 5_000;

fn mpmc(cap: usize) {
    goro::Builder::new()
        .worker_threads(4)
        .panic(goro::Panic::Isolate)
        .run(async move {
            let (tx, rx) = goro::chan::<u64>(cap);
            let producers = WaitGroup::new();
            for p in 0..PRODUCERS {
                let tx = tx.clone();
                producers.go(async move {
                    for i in 0..PER_PRODUCER {
                        tx.send(p * PER_PRODUCER + i).await.unwrap();
                    }
                });
            }
            drop(tx);
            let seen = Arc::new(Mutex::new(Vec::new()));
            let consumers = WaitGroup::new();
            for _ in 0..CONSUMERS {
                let (rx, seen) = (rx.clone(), seen.clone());
                consumers.go(async move {
                    let mut mine = Vec::new();
                    while let Some(v) = rx.recv().await {
                        mine.push(v);
                    }
                    seen.lock().unwrap().extend(mine);
                });
            }
            drop(rx);
            producers.wait().await;
            consumers.wait().await;
            let seen = seen.lock().unwrap();
            let total = (PRODUCERS * PER_PRODUCER) as usize;
            assert_eq!(seen.len(), total, "values lost or duplicated");
            let distinct: HashSet<_> = seen.iter().collect();
            assert_eq!(distinct.len(), total, "values duplicated");
        });
}

#[test]
fn four_by_four_unbuffered() {
    mpmc(0);
}

#[test]
fn four_by_four_capacity_1() {
    mpmc(1);
}

#[test]
fn four_by_four_capacity_128() {
    mpmc(128);
}

/// A channel of a zero-sized type counts its values: as many are received
/// as were sent, each dropped once, at capacities 1 and 64, and one whose
/// capacity no buffer of slots could hold.
#[test]
fn zero_sized_values_four_by_four() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static DROPPED: AtomicUsize = AtomicUsize::new(0);
    struct Token;
    impl Drop for Token {
        fn drop(&mut self) {
            DROPPED.fetch_add(1, Ordering::SeqCst);
        }
    }
    for cap in [1, 64, usize::MAX / 8] {
        DROPPED.store(0, Ordering::SeqCst);
        let received = goro::Builder::new()
            .worker_threads(4)
            .panic(goro::Panic::Isolate)
            .run(async move {
                let (tx, rx) = goro::chan::<Token>(cap);
                let producers = WaitGroup::new();
                for _ in 0..PRODUCERS {
                    let tx = tx.clone();
                    producers.go(async move {
                        for _ in 0..PER_PRODUCER {
                            tx.send(Token).await.unwrap();
                        }
                    });
                }
                drop(tx);
                let received = Arc::new(AtomicUsize::new(0));
                let consumers = WaitGroup::new();
                for _ in 0..CONSUMERS {
                    let (rx, received) = (rx.clone(), received.clone());
                    consumers.go(async move {
                        while let Some(token) = rx.recv().await {
                            drop(token);
                            received.fetch_add(1, Ordering::SeqCst);
                        }
                    });
                }
                drop(rx);
                producers.wait().await;
                consumers.wait().await;
                received.load(Ordering::SeqCst)
            });
        let total = (PRODUCERS * PER_PRODUCER) as usize;
        assert_eq!(received, total, "capacity {cap}");
        assert_eq!(DROPPED.load(Ordering::SeqCst), total, "capacity {cap}");
    }
}

/// Each value's order per producer is kept for a single consumer.
#[test]
fn one_consumer_sees_each_producers_values_in_order() {
    goro::Builder::new()
        .worker_threads(2)
        .panic(goro::Panic::Isolate)
        .run(async {
            let (tx, rx) = goro::chan::<(u64, u64)>(0);
            for p in 0..PRODUCERS {
                let tx = tx.clone();
                goro::go!(async move {
                    for i in 0..1_000 {
                        tx.send((p, i)).await.unwrap();
                    }
                });
            }
            drop(tx);
            let mut next = vec![0u64; PRODUCERS as usize];
            while let Some((p, i)) = rx.recv().await {
                assert_eq!(i, next[p as usize], "producer {p} out of order");
                next[p as usize] += 1;
            }
            assert!(next.iter().all(|n| *n == 1_000));
        });
}

/// A consumer that gives up on most of its receives (dropping the future
/// while it waits, or after a sender handed it a value) still sees every
/// value, in order.
#[test]
fn a_consumer_cancelling_most_receives_still_sees_every_value_in_order() {
    for cap in [0, 1, 16] {
        goro::Builder::new()
            .worker_threads(2)
            .panic(goro::Panic::Isolate)
            .run(async move {
                let (tx, rx) = goro::chan::<u64>(cap);
                const N: u64 = 3_000;
                goro::go!(async move {
                    for i in 0..N {
                        tx.send(i).await.unwrap();
                    }
                });
                let mut expected = 0;
                let mut round = 0u64;
                while expected < N {
                    round += 1;
                    let mut recv = Box::pin(rx.recv());
                    let first = {
                        let waker = futures::task::noop_waker();
                        recv.as_mut()
                            .poll(&mut std::task::Context::from_waker(&waker))
                    };
                    if let std::task::Poll::Ready(v) = first {
                        assert_eq!(v, Some(expected));
                        expected += 1;
                        continue;
                    }
                    // Waiting: give the sender time to hand it a value (or not),
                    // then give up on most receives, whatever happened.
                    for _ in 0..round % 5 {
                        goro::gosched().await;
                    }
                    if round % 4 != 0 {
                        drop(recv);
                    } else {
                        let got =
                            tokio::time::timeout(std::time::Duration::from_secs(60), recv).await;
                        assert_eq!(got, Ok(Some(expected)), "a value was lost or reordered");
                        expected += 1;
                    }
                }
                assert_eq!(rx.recv().await, None);
            });
    }
}

/// Sends that are dropped while waiting send nothing; those that completed
/// were received exactly once.
#[test]
fn cancelled_sends_send_nothing() {
    goro::Builder::new()
        .worker_threads(2)
        .panic(goro::Panic::Isolate)
        .run(async {
            let (tx, rx) = goro::chan::<u64>(0);
            let sent = Arc::new(Mutex::new(Vec::new()));
            let log = sent.clone();
            let producer = goro::go!(async move {
                for i in 0..2_000u64 {
                    let send = tx.send(i);
                    // Give each send a short chance, then give up on it.
                    let timeout = goro::time::after(std::time::Duration::from_micros(50));
                    let done = goro::select! {
                        r = send => r.is_ok(),
                        _ = timeout.recv() => false,
                    };
                    if done {
                        log.lock().unwrap().push(i);
                    }
                }
            });
            let mut received = Vec::new();
            let consumer = goro::go!(async move {
                while let Some(v) = rx.recv().await {
                    received.push(v);
                }
                received
            });
            producer.await.unwrap();
            let received = consumer.await.unwrap();
            assert_eq!(*sent.lock().unwrap(), received);
        });
}

/// Buffered channels with every kind of operation at once: goroutines
/// sending and receiving through `select!` over two channels, plain
/// threads with `send_blocking`/`recv_blocking`, and a `try_` spinner.
/// Every value arrives exactly once; both channels drain and close.
#[test]
fn buffered_channels_under_selects_blocking_threads_and_try_ops() {
    // A lost wake-up would hang a thread or goroutine: fail instead.
    let done = Deadline::after(
        std::time::Duration::from_secs(120),
        "a value or a wake-up was lost",
    );
    for cap in [1, 2, 64] {
        goro::Builder::new()
            .worker_threads(4)
            .panic(goro::Panic::Isolate)
            .run(async move {
                const PER: u64 = 4_000;
                let (tx_a, rx_a) = goro::chan::<u64>(cap);
                let (tx_b, rx_b) = goro::chan::<u64>(cap);
                let senders = WaitGroup::new();
                // Two goroutines send to whichever channel has room.
                for s in 0..2u64 {
                    let (tx_a, tx_b) = (tx_a.clone(), tx_b.clone());
                    senders.go(async move {
                        for i in 0..PER {
                            let v = s * PER + i;
                            goro::select! {
                                r = tx_a.send(v) => r.unwrap(),
                                r = tx_b.send(v) => r.unwrap(),
                            }
                        }
                    });
                }
                // A thread sends with send_blocking, one with try_send.
                let blocking_tx = tx_a.clone();
                let blocking = std::thread::spawn(move || {
                    for i in 0..PER {
                        blocking_tx.send_blocking(2 * PER + i).unwrap();
                    }
                });
                let trying_tx = tx_b.clone();
                let trying = std::thread::spawn(move || {
                    for i in 0..PER {
                        let mut v = 3 * PER + i;
                        loop {
                            match trying_tx.try_send(v) {
                                Ok(()) => break,
                                Err(goro::chan::TrySendError::Full(back)) => {
                                    v = back;
                                    std::thread::yield_now();
                                }
                                Err(e) => panic!("{e:?}"),
                            }
                        }
                    }
                });
                drop((tx_a, tx_b));
                let seen = Arc::new(Mutex::new(Vec::new()));
                let receivers = WaitGroup::new();
                // Two goroutines receive from whichever channel has a value
                // until both are closed and drained.
                for _ in 0..2 {
                    let (rx_a, rx_b, seen) = (rx_a.clone(), rx_b.clone(), seen.clone());
                    receivers.go(async move {
                        let mut mine = Vec::new();
                        let (mut a_open, mut b_open) = (true, true);
                        while a_open || b_open {
                            if a_open && b_open {
                                goro::select! {
                                    v = rx_a.recv() => match v {
                                        Some(v) => mine.push(v),
                                        None => a_open = false,
                                    },
                                    v = rx_b.recv() => match v {
                                        Some(v) => mine.push(v),
                                        None => b_open = false,
                                    },
                                }
                            } else {
                                let rx = if a_open { &rx_a } else { &rx_b };
                                match rx.recv().await {
                                    Some(v) => mine.push(v),
                                    None => (a_open, b_open) = (false, false),
                                }
                            }
                        }
                        seen.lock().unwrap().extend(mine);
                    });
                }
                // And a thread receives from `a` with recv_blocking.
                let (blocking_rx, seen_by_thread) = (rx_a.clone(), seen.clone());
                let blocking_receiver = std::thread::spawn(move || {
                    let mut mine = Vec::new();
                    while let Some(v) = blocking_rx.recv_blocking() {
                        mine.push(v);
                    }
                    seen_by_thread.lock().unwrap().extend(mine);
                });
                drop((rx_a, rx_b));
                senders.wait().await;
                goro::blocking(move || {
                    blocking.join().unwrap();
                    trying.join().unwrap();
                })
                .await;
                receivers.wait().await;
                goro::blocking(move || blocking_receiver.join().unwrap()).await;
                let mut seen = std::mem::take(&mut *seen.lock().unwrap());
                seen.sort_unstable();
                let want: Vec<u64> = (0..4 * PER).collect();
                assert!(seen == want, "cap {cap}: values lost or duplicated");
            });
    }
    drop(done);
}

/// Ends the test process with a message if it is still alive (not dropped)
/// after `limit`: for tests whose failure mode is hanging.
struct Deadline(Option<std::sync::mpsc::Sender<()>>);

impl Deadline {
    fn after(limit: std::time::Duration, what: &'static str) -> Deadline {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        std::thread::spawn(move || {
            if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(limit) {
                eprintln!("still running after {limit:?}: {what}");
                std::process::exit(101);
            }
        });
        Deadline(Some(tx))
    }
}

impl Drop for Deadline {
    fn drop(&mut self) {
        self.0.take();
    }
}
