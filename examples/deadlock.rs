//! The deadlock report: two goroutines each wait for the other before they
//! send, and main waits for them. Nothing can ever run again, so goro
//! prints `fatal error: all goroutines are asleep - deadlock!` and every
//! goroutine's state, and exits with status 2, as Go does.
//!
//! `cargo run --example deadlock`

#[goro::main]
async fn main() {
    let (ping_tx, ping_rx) = goro::chan::<u32>(0);
    let (pong_tx, pong_rx) = goro::chan::<u32>(0);
    let (done_tx, done_rx) = goro::chan::<u32>(0);

    // Each waits to receive before it sends: neither ever sends.
    goro::Goroutine::new().name("ping").spawn(async move {
        while let Some(n) = pong_rx.recv().await {
            ping_tx.send(n + 1).await.ok();
        }
    });
    goro::Goroutine::new().name("pong").spawn(async move {
        while let Some(n) = ping_rx.recv().await {
            if n > 10 {
                done_tx.send(n).await.ok();
            }
            pong_tx.send(n + 1).await.ok();
        }
    });

    println!("waiting for the rally to end");
    let n = done_rx.recv().await;
    println!("ended at {n:?}");
}
