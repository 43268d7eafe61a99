//! The same workloads in raw Tokio, with `flume` channels, and the
//! runtime they run on (`run`). Each body is registered in the
//! `workloads!` table of `main.rs`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use super::Form;

/// Counts tasks down; the last one wakes the waiter (a WaitGroup in Tokio).
/// Like Go's and goro's WaitGroup in the other sides, it counts each task
/// up as it is started (`add`), so all three do the same two atomic
/// operations per task on one shared counter; the starter holds one count
/// of its own until it has started them all.
struct Countdown {
    left: AtomicU64,
    zero: Notify,
}

impl Countdown {
    fn new(n: u64) -> Arc<Countdown> {
        Arc::new(Countdown {
            left: AtomicU64::new(n),
            zero: Notify::new(),
        })
    }

    fn add(&self) {
        self.left.fetch_add(1, Ordering::Relaxed);
    }

    fn done(&self) {
        if self.left.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.zero.notify_one();
        }
    }

    async fn wait(&self) {
        self.zero.notified().await;
    }
}

pub(crate) async fn spawn() -> String {
    const N: u64 = 1_000_000;
    let sum = Arc::new(AtomicU64::new(0));
    let countdown = Countdown::new(1);
    for i in 0..N {
        countdown.add();
        let (sum, countdown) = (sum.clone(), countdown.clone());
        tokio::spawn(async move {
            sum.fetch_add(i, Ordering::Relaxed);
            countdown.done();
        });
    }
    countdown.done();
    countdown.wait().await;
    format!("spawn {}", sum.load(Ordering::Relaxed))
}

fn link(i: u64, n: u64, done: flume::Sender<u64>) {
    if i == n {
        tokio::spawn(async move { done.send_async(i).await.unwrap() });
        return;
    }
    tokio::spawn(async move { link(i + 1, n, done) });
}

pub(crate) async fn chain() -> String {
    const N: u64 = 1_000_000;
    let (done_tx, done) = flume::bounded(0);
    tokio::spawn(async move { link(1, N, done_tx) });
    format!("chain {}", done.recv_async().await.unwrap())
}

pub(crate) async fn idle() -> String {
    const N: u64 = 1_000_000;
    let parked = Countdown::new(1);
    let finished = Countdown::new(1);
    // Released all at once by one `notify_waiters` (flume's channel close
    // took minutes to wake a million receivers).
    let release = Arc::new(Notify::new());
    for _ in 0..N {
        parked.add();
        finished.add();
        let (parked, finished, release) = (parked.clone(), finished.clone(), release.clone());
        tokio::spawn(async move {
            let released = release.notified();
            tokio::pin!(released);
            released.as_mut().enable();
            parked.done();
            released.await;
            finished.done();
        });
    }
    parked.done();
    parked.wait().await;
    release.notify_waiters();
    finished.done();
    finished.wait().await;
    format!("idle {N}")
}

pub(crate) async fn blocking() -> String {
    const N: u64 = 10_000;
    let countdown = Countdown::new(1);
    for _ in 0..N {
        countdown.add();
        let countdown = countdown.clone();
        tokio::spawn(async move {
            tokio::task::spawn_blocking(|| std::thread::sleep(Duration::from_micros(100)))
                .await
                .unwrap();
            countdown.done();
        });
    }
    countdown.done();
    countdown.wait().await;
    format!("blocking {N}")
}

pub(crate) async fn sleepers() -> String {
    const N: u64 = 100_000;
    const ROUNDS: u32 = 10;
    let countdown = Countdown::new(1);
    for _ in 0..N {
        countdown.add();
        let countdown = countdown.clone();
        tokio::spawn(async move {
            for _ in 0..ROUNDS {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            countdown.done();
        });
    }
    countdown.done();
    countdown.wait().await;
    format!("sleepers {N}x{ROUNDS}")
}

pub(crate) async fn pingpong() -> String {
    const N: u64 = 1_000_000;
    let (ping_tx, ping_rx) = flume::bounded::<u64>(0);
    let (pong_tx, pong_rx) = flume::bounded::<u64>(0);
    tokio::spawn(async move {
        while let Ok(v) = ping_rx.recv_async().await {
            pong_tx.send_async(v + 1).await.unwrap();
        }
    });
    let mut sum = 0;
    for i in 0..N {
        ping_tx.send_async(i).await.unwrap();
        sum += pong_rx.recv_async().await.unwrap() - i;
    }
    format!("pingpong {sum}")
}

pub(crate) async fn mpmc() -> String {
    const PER_PRODUCER: u64 = 1_000_000;
    let (tx, rx) = flume::bounded::<u64>(128);
    for _ in 0..4 {
        let tx = tx.clone();
        tokio::spawn(async move {
            for i in 0..PER_PRODUCER {
                tx.send_async(i).await.unwrap();
            }
        });
    }
    drop(tx);
    let mut consumers = Vec::new();
    for _ in 0..4 {
        let rx = rx.clone();
        consumers.push(tokio::spawn(async move {
            let mut n = 0u64;
            while rx.recv_async().await.is_ok() {
                n += 1;
            }
            n
        }));
    }
    drop(rx);
    let mut total = 0;
    for consumer in consumers {
        total += consumer.await.unwrap();
    }
    format!("mpmc {total}")
}

async fn filter(rx: flume::Receiver<u64>, tx: flume::Sender<u64>, prime: u64) {
    while let Ok(i) = rx.recv_async().await {
        if i % prime != 0 && tx.send_async(i).await.is_err() {
            return;
        }
    }
}

pub(crate) async fn sieve() -> String {
    const N: usize = 3000;
    let (tx, mut rx) = flume::bounded::<u64>(0);
    tokio::spawn(async move {
        for i in 2.. {
            if tx.send_async(i).await.is_err() {
                return;
            }
        }
    });
    let mut last = 0;
    for _ in 0..N {
        let prime = rx.recv_async().await.unwrap();
        last = prime;
        let (tx_next, rx_next) = flume::bounded(0);
        tokio::spawn(filter(rx, tx_next, prime));
        rx = rx_next;
    }
    format!("sieve {last}")
}

pub(crate) async fn select() -> String {
    const N: u64 = 1_000_000;
    let (a_tx, a) = flume::bounded::<u64>(0);
    let (b_tx, b) = flume::bounded::<u64>(0);
    tokio::spawn(async move {
        for i in 0..N {
            if i % 2 == 0 {
                a_tx.send_async(i).await.unwrap();
            } else {
                b_tx.send_async(i).await.unwrap();
            }
        }
    });
    let mut sum = 0;
    for _ in 0..N {
        // flume's receive futures give a value back if dropped unfinished,
        // so the losing branch loses nothing.
        tokio::select! {
            Ok(v) = a.recv_async() => sum += v,
            Ok(v) = b.recv_async() => sum += v,
        }
    }
    format!("select {sum}")
}

pub(crate) async fn exit() -> String {
    use super::{EXIT_PARKED, EXIT_STUCK};
    let running = Countdown::new(EXIT_PARKED + EXIT_STUCK);
    // Never notified. Not a flume receive, as in `idle`: dropping a waiting
    // one scans the channel's whole wait queue, quadratic over 100k tasks.
    let block = Arc::new(Notify::new());
    for _ in 0..EXIT_PARKED {
        let (running, block) = (running.clone(), block.clone());
        tokio::spawn(async move {
            running.done();
            block.notified().await;
        });
    }
    for _ in 0..EXIT_STUCK {
        let running = running.clone();
        tokio::task::spawn_blocking(move || {
            running.done();
            super::stuck_for_an_hour();
        });
    }
    running.wait().await;
    format!("exit {EXIT_PARKED} {EXIT_STUCK}")
}

/// How the runtime ends once the body has returned.
#[derive(Clone, Copy)]
pub(crate) enum End {
    /// `Runtime::shutdown_background()`: other tasks and blocking calls are
    /// abandoned, as in goro and Go (what a careful Tokio user writes).
    Background,
    /// The runtime is dropped, as `#[tokio::main]` does at main's end: that
    /// waits for every blocking call to return.
    Drop,
}

/// Runs the workload `name` on a default multi-threaded runtime (one
/// worker per core, as goro's), in `form`: awaited in `block_on` itself
/// (the main form, as `#[tokio::main]` runs main's body) or in a
/// `tokio::spawn`ed task that `block_on` awaits; main then prints the
/// result line, and the runtime ends as `end` says.
pub(crate) fn run(name: String, form: Form, end: End) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("build the Tokio runtime");
    match form {
        Form::Main => runtime.block_on(async move {
            let line = super::tokio_body(&name).await;
            super::end_of_main(&name, &line);
        }),
        Form::Goroutine => runtime.block_on(async move {
            let body = {
                let name = name.clone();
                tokio::spawn(async move { super::tokio_body(&name).await })
            };
            let line = body.await.unwrap();
            super::end_of_main(&name, &line);
        }),
    }
    match end {
        End::Background => runtime.shutdown_background(),
        End::Drop => drop(runtime),
    }
}
