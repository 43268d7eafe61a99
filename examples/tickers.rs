//! Go by Example's "Tickers", in goro: a ticker delivers the time at
//! regular intervals until it is stopped.
//!
//! `cargo run --example tickers`

use std::time::Duration;

use goro::time::Ticker;

#[goro::main]
async fn main() {
    let ticker = std::sync::Arc::new(Ticker::new(Duration::from_millis(50)));
    let (done_tx, done) = goro::chan::<bool>(0);
    let ticks = ticker.clone();
    goro::go!(async move {
        loop {
            goro::select! {
                _ = done.recv() => return,
                t = ticks.c.recv() => println!("Tick at {}", t.unwrap()),
            }
        }
    });
    goro::time::sleep(Duration::from_millis(160)).await;
    ticker.stop();
    done_tx.send(true).await.unwrap();
    println!("Ticker stopped");
}
