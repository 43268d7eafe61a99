//! Go's errgroup "JustErrors" example, in goro: fetch several URLs at
//! once (at most two at a time), stop the others at the first failure,
//! and report it.
//!
//! `cargo run --example errgroup`

use std::time::Duration;

use goro::context::{self, Context};
use goro::sync::ErrGroup;

/// A pretend fetch: slow for most, failing for one.
async fn fetch(ctx: Context, url: &'static str) -> Result<(), String> {
    goro::select! {
        _ = goro::time::after(Duration::from_millis(20)).recv() => {}
        _ = ctx.done().recv() => return Err(format!("{url}: {}", ctx.err().unwrap())),
    }
    if url.contains("somestupidname") {
        return Err(format!("Get \"{url}\": no such host"));
    }
    println!("fetched {url}");
    Ok(())
}

#[goro::main]
async fn main() {
    let (group, ctx) = ErrGroup::with_context(&context::background());
    group.set_limit(2);
    let urls = [
        "http://www.golang.org/",
        "http://www.google.com/",
        "http://www.somestupidname.com/",
    ];
    for url in urls {
        group.go(fetch(ctx.clone(), url)).await;
    }
    match group.wait().await {
        Ok(()) => println!("Successfully fetched all URLs."),
        Err(err) => println!("error: {err}"),
    }
}
