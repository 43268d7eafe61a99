//! What a demanding user runs into first: values that outlive their
//! channel's receivers, blocking calls inside goroutines, busy `select!`
//! loops, extreme durations and bad configuration.

use std::sync::Arc;
use std::time::Duration;

use goro::chan::Sender;
use goro::{BuildError, Builder, Panic};

/// Runs `future` with Tokio's panic behaviour, so that a failed assertion
/// inside it fails this test instead of ending the test process.
fn run<F>(future: F) -> F::Output
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    Builder::new().panic(Panic::Isolate).run(future)
}

/// A value that holds a sender of its own channel, and a marker whose count
/// says whether the value is still alive.
struct Holder {
    _sender: Sender<Holder>,
    _alive: Arc<()>,
}

#[test]
fn buffered_values_go_with_the_last_receiver() {
    for cap in [1, 4] {
        let alive = Arc::new(());
        let (tx, rx) = goro::chan::<Holder>(cap);
        tx.try_send(Holder {
            _sender: tx.clone(),
            _alive: alive.clone(),
        })
        .unwrap();
        drop(tx);
        assert_eq!(Arc::strong_count(&alive), 2, "the value is buffered");
        drop(rx);
        // The value held the channel's last sender: if it stayed in the
        // buffer, the channel and the value would keep each other alive.
        assert_eq!(
            Arc::strong_count(&alive),
            1,
            "cap {cap}: the buffered value outlived the last receiver"
        );
    }
}

#[test]
fn blocking_channel_calls_inside_a_goroutine_panic_naming_the_async_form() {
    let messages = run(async {
        let (tx, rx) = goro::chan::<u32>(1);
        let wg = goro::sync::WaitGroup::new();
        let send = {
            let tx = tx.clone();
            goro::go!(async move { tx.send_blocking(1).is_ok() })
        };
        let recv = {
            let rx = rx.clone();
            goro::go!(async move { rx.recv_blocking() })
        };
        let wait = {
            let wg = wg.clone();
            goro::go!(async move { wg.wait_blocking() })
        };
        let mut messages = Vec::new();
        for err in [
            send.await.map(|_| ()).unwrap_err(),
            recv.await.map(|_| ()).unwrap_err(),
            wait.await.unwrap_err(),
        ] {
            let payload = err.into_panic();
            let text = payload
                .downcast_ref::<String>()
                .cloned()
                .unwrap_or_default();
            messages.push(text);
        }
        // Inside goro::blocking they are what they are for.
        let blocking_tx = tx.clone();
        assert!(goro::blocking(move || blocking_tx.send_blocking(2).is_ok()).await);
        assert_eq!(goro::blocking(move || rx.recv_blocking()).await, Some(2));
        goro::blocking(move || wg.wait_blocking()).await;
        messages
    });
    for (message, (what, instead)) in messages.iter().zip([
        ("Sender::send_blocking", "send(..).await"),
        ("Receiver::recv_blocking", "recv().await"),
        ("WaitGroup::wait_blocking", "wait().await"),
    ]) {
        assert!(
            message.contains(what) && message.contains(instead),
            "{message:?} should name {what} and {instead}"
        );
    }
}

/// With one worker, a loop around a `select!` whose `default` is always
/// taken must still let the goroutine it waits for run (Go preempts it).
#[test]
fn a_busy_select_with_default_lets_the_worker_run_others() {
    let (done_tx, done) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let spins = Builder::new()
            .worker_threads(1)
            .panic(Panic::Isolate)
            .run(async {
                let (tx, rx) = goro::chan::<u32>(0);
                goro::go!(async move { tx.send(7).await.unwrap() });
                let mut spins = 0u64;
                loop {
                    goro::select! {
                        v = rx.recv() => {
                            assert_eq!(v, Some(7));
                            break spins;
                        }
                        default => spins += 1,
                    }
                }
            });
        let _ = done_tx.send(spins);
    });
    // Only a livelock reaches this.
    let spins = done
        .recv_timeout(Duration::from_secs(120))
        .expect("the select! loop starved the sending goroutine");
    assert!(spins > 0);
}

#[test]
fn a_tick_too_long_to_happen_never_ticks_and_never_panics() {
    run(async {
        let ticks = goro::time::tick(Duration::MAX);
        let timeout = goro::time::after(Duration::from_millis(300));
        goro::select! {
            v = ticks.recv() => panic!("a tick of Duration::MAX came, or its timer died: {v:?}"),
            _ = timeout.recv() => {}
        }
    });
}

#[test]
fn bad_thread_names_and_worker_counts_are_build_errors() {
    let err = Builder::new()
        .thread_name("bad\0name")
        .try_run(async {})
        .unwrap_err();
    assert!(matches!(err, BuildError::ThreadName(_)), "{err:?}");
    assert!(err.to_string().contains("NUL"), "{err}");

    let err = Builder::new()
        .worker_threads(Builder::MAX_WORKERS + 1)
        .try_run(async {})
        .unwrap_err();
    assert!(
        matches!(err, BuildError::TooManyWorkerThreads(_)),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "worker_threads({}) is not valid: a runtime has at most {} worker threads",
            Builder::MAX_WORKERS + 1,
            Builder::MAX_WORKERS
        )
    );
}

#[test]
fn a_capacity_too_large_to_allocate_is_one_clear_panic() {
    for cap in [usize::MAX / 8, usize::MAX / 4, usize::MAX] {
        let payload = std::panic::catch_unwind(|| goro::chan::<u64>(cap)).unwrap_err();
        let message = payload
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_default();
        assert!(
            message.starts_with(&format!("goro::chan: capacity {cap} is too large")),
            "cap {cap}: {message:?}"
        );
    }
}
