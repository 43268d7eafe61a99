//! Programs for tests/process_deadlock.rs: `fixture_deadlock <scenario>`.
//!
//! The `alive-*` scenarios look stuck to a careless checker: main and the
//! goroutines wait on channels while one thing goro cannot see into (a
//! thread, a timer, a socket, a Tokio task, a blocking call) is about to
//! wake one of them. That thing waits until the deadlock checker has
//! looked at the program several times (`__private::deadlock_looks`), then
//! wakes it; the program prints `survived` and exits 0. A false report
//! would exit 2 first.
//!
//! The `stuck-*` scenarios are real deadlocks, which must be reported.

use std::time::Duration;

use goro::__private::deadlock_looks;
use goro::sync::WaitGroup;

/// Looks the checker must take while the program waits: two at rest in a
/// row make a report, so this leaves it several chances.
const LOOKS: u64 = 6;

fn main() {
    let scenario = std::env::args().nth(1).unwrap_or_default();
    match scenario.as_str() {
        "alive-thread-send" => alive_thread_send(),
        "alive-goro-sleep" => alive_goro_sleep(),
        "alive-after" => alive_after(),
        "alive-ticker" => alive_ticker(),
        "alive-after-func" => alive_after_func(),
        "alive-tokio-timeout" => alive_tokio_timeout(),
        "alive-tokio-select" => alive_tokio_select(),
        "alive-tokio-mutex" => alive_tokio_mutex(),
        "alive-blocking" => alive_blocking(),
        "alive-raw-spawn-blocking" => alive_raw_spawn_blocking(),
        "alive-tokio-task" => alive_tokio_task(),
        "alive-accept" => alive_accept(),
        "alive-outside-goroutine" => alive_outside_goroutine(),
        "alive-sleep-beside-recv" => alive_sleep_beside_recv(),
        "alive-sleep-beside-wait-group" => alive_sleep_beside_wait_group(),
        "alive-ended-runtime" => alive_ended_runtime(),
        "stuck-two-runtimes" => stuck_two_runtimes(),
        "stuck-wait-group" => stuck_wait_group(),
        "stuck-select" => stuck_select(),
        "stuck-stopped-timer" => stuck_stopped_timer(),
        "stuck-dropped-timers" => stuck_dropped_timers(),
        "stuck-local-main" => stuck_local_main(),
        "stuck-in-test" => stuck_in_test(),
        other => {
            eprintln!("fixture_deadlock: unknown scenario {other:?}");
            std::process::exit(64);
        }
    }
}

/// Blocks the calling thread until the checker has taken `LOOKS` more
/// looks than at `from`.
fn until_looked(from: u64) {
    while deadlock_looks() < from + LOOKS {
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Whether the checker has taken `LOOKS` looks since `from`.
fn looked(from: u64) -> bool {
    deadlock_looks() >= from + LOOKS
}

/// Sleeps in goro's `sleep` until the checker has taken `LOOKS` looks
/// since `from`.
async fn goro_sleep_until_looked(from: u64) {
    while !looked(from) {
        goro::time::sleep(Duration::from_millis(400)).await;
    }
}

/// Sleeps in Tokio's `sleep` until the checker has taken `LOOKS` looks
/// since `from`.
async fn tokio_sleep_until_looked(from: u64) {
    while !looked(from) {
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
}

/// A thread the program started sends later, with `send_blocking`.
fn alive_thread_send() {
    goro::run(async {
        let (tx, rx) = goro::chan::<u32>(0);
        let from = deadlock_looks();
        std::thread::spawn(move || {
            until_looked(from);
            tx.send_blocking(1).unwrap();
        });
        assert_eq!(rx.recv().await, Some(1));
        println!("survived");
    });
}

/// A goroutine in goro's `sleep` sends when it wakes.
fn alive_goro_sleep() {
    goro::run(async {
        let (tx, rx) = goro::chan::<u32>(0);
        let from = deadlock_looks();
        goro::go!(async move {
            goro_sleep_until_looked(from).await;
            tx.send(1).await.unwrap();
        });
        assert_eq!(rx.recv().await, Some(1));
        println!("survived");
    });
}

/// main's `select!` has a `time::after` branch (and a receive that never
/// comes).
fn alive_after() {
    goro::run(async {
        let (_tx, rx) = goro::chan::<u32>(0);
        let from = deadlock_looks();
        loop {
            goro::select! {
                _ = rx.recv() => unreachable!(),
                _ = goro::time::after(Duration::from_millis(400)).recv() => {
                    if looked(from) {
                        break;
                    }
                }
            }
        }
        println!("survived");
    });
}

/// main waits on a ticker's channel, with nothing else armed between
/// ticks.
fn alive_ticker() {
    goro::run(async {
        let ticker = goro::time::Ticker::new(Duration::from_millis(400));
        let from = deadlock_looks();
        while !looked(from) {
            ticker.c.recv().await.unwrap();
        }
        println!("survived");
    });
}

/// main waits on a channel that only a function run by `after_func` sends
/// on; the function arms its timer again until the checker has looked.
fn alive_after_func() {
    goro::run(async {
        let (tx, rx) = goro::chan::<u32>(1);
        let from = deadlock_looks();
        let timer = std::sync::Arc::new(std::sync::OnceLock::<goro::time::Timer>::new());
        let again = timer.clone();
        let armed = goro::time::after_func(Duration::from_millis(300), move || {
            if looked(from) {
                let _ = tx.try_send(1);
            } else {
                again
                    .get()
                    .expect("set before it fires")
                    .reset(Duration::from_millis(300));
            }
        });
        assert!(timer.set(armed).is_ok());
        assert_eq!(rx.recv().await, Some(1));
        println!("survived");
    });
}

/// main waits on a receive under a Tokio timeout.
fn alive_tokio_timeout() {
    goro::run(async {
        let (_tx, rx) = goro::chan::<u32>(0);
        let from = deadlock_looks();
        while !looked(from) {
            let timed_out = tokio::time::timeout(Duration::from_millis(400), rx.recv()).await;
            assert!(timed_out.is_err());
        }
        println!("survived");
    });
}

/// A goroutine selects (Tokio's `select!`) between a receive and a Tokio
/// sleep; main waits for it.
fn alive_tokio_select() {
    goro::run(async {
        let (_tx, rx) = goro::chan::<u32>(0);
        let (done_tx, done_rx) = goro::chan::<()>(0);
        let from = deadlock_looks();
        goro::go!(async move {
            loop {
                tokio::select! {
                    _ = rx.recv() => unreachable!(),
                    () = tokio::time::sleep(Duration::from_millis(400)) => {
                        if looked(from) {
                            break;
                        }
                    }
                }
            }
            done_tx.send(()).await.unwrap();
        });
        done_rx.recv().await.unwrap();
        println!("survived");
    });
}

/// A goroutine waits for a `tokio::sync::Mutex` that another holds across
/// Tokio sleeps; main waits on a channel.
fn alive_tokio_mutex() {
    goro::run(async {
        let lock = std::sync::Arc::new(tokio::sync::Mutex::new(()));
        let (tx, rx) = goro::chan::<u32>(0);
        let guard = lock.clone().lock_owned().await;
        let from = deadlock_looks();
        goro::go!(async move {
            tokio_sleep_until_looked(from).await;
            drop(guard);
        });
        goro::go!(async move {
            let _guard = lock.lock().await;
            tx.send(1).await.unwrap();
        });
        assert_eq!(rx.recv().await, Some(1));
        println!("survived");
    });
}

/// A goroutine waits for its blocking call.
fn alive_blocking() {
    goro::run(async {
        let (tx, rx) = goro::chan::<u32>(0);
        let from = deadlock_looks();
        goro::go!(async move {
            goro::blocking(move || until_looked(from)).await;
            tx.send(1).await.unwrap();
        });
        assert_eq!(rx.recv().await, Some(1));
        println!("survived");
    });
}

/// A closure given to Tokio's own `spawn_blocking`, not awaited, sends.
fn alive_raw_spawn_blocking() {
    goro::run(async {
        let (tx, rx) = goro::chan::<u32>(0);
        let from = deadlock_looks();
        drop(tokio::task::spawn_blocking(move || {
            until_looked(from);
            tx.send_blocking(1).unwrap();
        }));
        assert_eq!(rx.recv().await, Some(1));
        println!("survived");
    });
}

/// A task spawned with `tokio::spawn` (not a goroutine) sends.
fn alive_tokio_task() {
    goro::run(async {
        let (tx, rx) = goro::chan::<u32>(0);
        let from = deadlock_looks();
        drop(tokio::spawn(async move {
            tokio_sleep_until_looked(from).await;
            tx.send(1).await.unwrap();
        }));
        assert_eq!(rx.recv().await, Some(1));
        println!("survived");
    });
}

/// A goroutine accepts connections, main waits on a channel. The test
/// connects (from its own process) until the program says it has been
/// looked at enough, by answering `1` rather than `0`.
fn alive_accept() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    goro::run(async {
        let listener = goro::net::listen("127.0.0.1:0").await.unwrap();
        println!("port {}", listener.local_addr().unwrap().port());
        let (tx, rx) = goro::chan::<u32>(0);
        let from = deadlock_looks();
        goro::go!(async move {
            loop {
                let (mut conn, _) = listener.accept().await.unwrap();
                let done = looked(from);
                conn.write_all(if done { b"1" } else { b"0" })
                    .await
                    .unwrap();
                let _ = conn.read(&mut [0; 1]).await;
                if done {
                    tx.send(1).await.unwrap();
                    return;
                }
            }
        });
        assert_eq!(rx.recv().await, Some(1));
        println!("survived");
    });
}

/// A goroutine started outside any runtime (on the process-wide one)
/// sends to main's runtime after a sleep.
fn alive_outside_goroutine() {
    let (tx, rx) = goro::chan::<u32>(0);
    let from = deadlock_looks();
    goro::go!(async move {
        goro_sleep_until_looked(from).await;
        tx.send(1).await.unwrap();
    });
    goro::run(async move {
        assert_eq!(rx.recv().await, Some(1));
        println!("survived");
    });
}

/// main's poll waits on goro's `sleep` first and a receive second, in one
/// `select`: the sleep ends the wait.
fn alive_sleep_beside_recv() {
    goro::run(async {
        let (_tx, rx) = goro::chan::<u32>(0);
        let from = deadlock_looks();
        while !looked(from) {
            tokio::select! {
                biased;
                () = goro::time::sleep(Duration::from_millis(400)) => {}
                _ = rx.recv() => unreachable!(),
            }
        }
        println!("survived");
    });
}

/// The same with a `WaitGroup` wait, through `futures`' `select`.
fn alive_sleep_beside_wait_group() {
    goro::run(async {
        let group = WaitGroup::new();
        group.add(1);
        let from = deadlock_looks();
        while !looked(from) {
            let sleep = std::pin::pin!(goro::time::sleep(Duration::from_millis(400)));
            let wait = std::pin::pin!(group.wait());
            assert!(matches!(
                futures::future::select(sleep, wait).await,
                futures::future::Either::Left(_)
            ));
        }
        println!("survived");
    });
}

/// A runtime that has ended still runs a blocking call, which sends to the
/// next runtime's main.
fn alive_ended_runtime() {
    let (tx, rx) = goro::chan::<u32>(0);
    let from = deadlock_looks();
    goro::run(async move {
        goro::spawn_blocking(move || {
            until_looked(from);
            tx.send_blocking(7).unwrap();
        });
    });
    goro::run(async move {
        assert_eq!(rx.recv().await, Some(7));
        println!("survived");
    });
}

/// Two runtimes, both stuck: one with the report off, which the report
/// leaves out, and one with it on.
fn stuck_two_runtimes() {
    let (started_tx, started_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let silent = goro::Builder::new().deadlock_report(false);
        silent.run(async move {
            // the silent runtime
            let (_tx, rx) = goro::chan::<u32>(0);
            started_tx.send(()).unwrap();
            let _ = rx.recv().await;
        })
    });
    started_rx.recv().unwrap();
    goro::run(async {
        // the reported runtime
        let (_tx, rx) = goro::chan::<u32>(0);
        let _ = rx.recv().await;
    });
}

/// main waits for a WaitGroup whose goroutines wait on a channel.
fn stuck_wait_group() {
    goro::run(async {
        let group = WaitGroup::new();
        let (_tx, rx) = goro::chan::<u32>(0);
        for _ in 0..3 {
            group.add(1);
            let (group, rx) = (group.clone(), rx.clone());
            goro::go!(async move {
                let _ = rx.recv().await;
                group.done();
            });
        }
        group.wait().await;
    });
}

/// main selects over two channels nobody sends on, after a sleep that has
/// ended.
fn stuck_select() {
    goro::run(async {
        goro::time::sleep(Duration::from_millis(10)).await;
        let (_a_tx, a) = goro::chan::<u32>(0);
        let (_b_tx, b) = goro::chan::<u32>(1);
        goro::select! {
            _ = a.recv() => {}
            _ = b.recv() => {}
        }
    });
}

/// main waits on the channel of a timer it stopped.
fn stuck_stopped_timer() {
    goro::run(async {
        let timer = goro::time::Timer::new(Duration::from_secs(3600));
        assert!(timer.stop());
        let _ = timer.c.recv().await;
    });
}

/// main drops timers it made, and waits on a channel: dropped timers stop,
/// and nothing is left that could send.
fn stuck_dropped_timers() {
    goro::run(async {
        for _ in 0..100 {
            drop(goro::time::after(Duration::from_secs(3600)));
        }
        drop(goro::time::tick(Duration::from_secs(3600)));
        drop(goro::time::Ticker::new(Duration::from_secs(3600)));
        drop(goro::time::Timer::new(Duration::from_secs(3600)));
        let (_tx, rx) = goro::chan::<u32>(0);
        let _ = rx.recv().await;
    });
}

/// A main that is not `Send`, on the calling thread, waits on a channel.
fn stuck_local_main() {
    let local = std::rc::Rc::new(1);
    goro::run_local(async move {
        let (_tx, rx) = goro::chan::<u32>(0);
        let _ = rx.recv().await;
        drop(local);
    });
}

/// Under `#[goro::test]`'s runtime, a deadlock makes `run` panic with the
/// report instead of ending the process.
fn stuck_in_test() {
    let caught = std::panic::catch_unwind(|| {
        goro::__private::test_builder().run(async {
            let (_tx, rx) = goro::chan::<u32>(0);
            let _ = rx.recv().await;
        })
    });
    let payload = caught.expect_err("a deadlock fails the test");
    let report = payload
        .downcast_ref::<String>()
        .expect("the report is the panic's message");
    println!("caught: {report}");
}
