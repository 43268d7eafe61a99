//! Go by Example's "Context", in goro: a handler that takes a while
//! watches its request's context and gives up when the context is done.
//! Here the client's timeout cancels it (Go's example waits for Ctrl-C on
//! an HTTP request instead).
//!
//! `cargo run --example context`

use std::time::Duration;

use goro::context::{self, Context, Error};

async fn hello(ctx: Context) -> Result<&'static str, Error> {
    println!("server: hello handler started");
    let answer = goro::select! {
        _ = goro::time::after(Duration::from_secs(10)).recv() => Ok("hello\n"),
        _ = ctx.done().recv() => {
            let err = ctx.err().expect("done means cancelled");
            println!("server: {err}");
            Err(err)
        }
    };
    println!("server: hello handler ended");
    answer
}

#[goro::main]
async fn main() {
    let (ctx, cancel) = context::with_timeout(&context::background(), Duration::from_millis(100));
    let handler = goro::go!(hello(ctx));
    match handler.await.unwrap() {
        Ok(body) => print!("client: {body}"),
        Err(err) => println!("client: request failed: {err}"),
    }
    cancel.cancel();
}
