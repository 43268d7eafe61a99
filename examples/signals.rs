//! Go by Example's "Signals", in goro: wait for Ctrl-C (SIGINT) or
//! SIGTERM, and exit gracefully when one comes.
//!
//! `cargo run --example signals`, then Ctrl-C.

use goro::signal::{self, Signal};

#[goro::main]
async fn main() {
    let sigs = signal::notify(&[Signal::Interrupt, Signal::Terminate]);
    let (done_tx, done) = goro::chan::<bool>(1);
    goro::go!(async move {
        let sig = sigs.recv().await.unwrap();
        println!();
        println!("{sig}");
        done_tx.send(true).await.unwrap();
    });
    println!("awaiting signal");
    done.recv().await;
    println!("exiting");
}
