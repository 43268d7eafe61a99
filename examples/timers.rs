//! Go by Example's "Timers", in goro: a timer fires once; a timer stopped
//! before it fires never does.
//!
//! `cargo run --example timers`

use std::time::Duration;

use goro::time::Timer;

#[goro::main]
async fn main() {
    // A timer delivers on its channel once its time has passed.
    let timer1 = Timer::new(Duration::from_millis(200));
    timer1.c.recv().await;
    println!("Timer 1 fired");

    // A timer can be stopped before it fires; its goroutine then waits
    // forever, and main's end ends it.
    let timer2 = std::sync::Arc::new(Timer::new(Duration::from_millis(100)));
    let waiting = timer2.clone();
    goro::go!(async move {
        waiting.c.recv().await;
        println!("Timer 2 fired");
    });
    if timer2.stop() {
        println!("Timer 2 stopped");
    }
    goro::time::sleep(Duration::from_millis(200)).await;
}
