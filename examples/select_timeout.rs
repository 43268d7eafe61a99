//! `select!` with a timeout and a ticker, as in Go:
//!
//! ```go
//! select {
//! case v := <-results:
//! case <-time.After(50 * time.Millisecond):
//! }
//! ```
//!
//! `cargo run --example select_timeout`: a fast request gets its answer, a
//! slow one times out, and a ticker reports while main waits.

use std::time::Duration;

async fn request(delay: Duration) -> Option<&'static str> {
    let (tx, rx) = goro::chan(1);
    goro::go!(async move {
        goro::time::sleep(delay).await;
        let _ = tx.send("answer").await;
    });
    goro::select! {
        v = rx.recv() => v,
        _ = goro::time::after(Duration::from_millis(50)).recv() => None,
    }
}

#[goro::main]
async fn main() {
    match request(Duration::from_millis(1)).await {
        Some(v) => println!("fast request: {v}"),
        None => println!("fast request: timed out"),
    }
    match request(Duration::from_secs(10)).await {
        Some(v) => println!("slow request: {v}"),
        None => println!("slow request: timed out"),
    }

    let ticks = goro::time::tick(Duration::from_millis(10));
    let done = goro::time::after(Duration::from_millis(35));
    let mut n = 0;
    loop {
        goro::select! {
            _ = ticks.recv() => n += 1,
            _ = done.recv() => break,
        }
    }
    println!(
        "ticks before the deadline: {}",
        if n >= 1 { "some" } else { "none" }
    );
}
