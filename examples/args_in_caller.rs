//! The arguments of a `go!` call are evaluated in the calling goroutine,
//! before `go!` returns; only the call runs in the new goroutine:
//!
//! ```go
//! go foo(bar())     // bar() is called in this goroutine before the new goroutine is created
//! ```
//!
//! Run it: `cargo run --example args_in_caller`. Every line names the
//! goroutine it ran in; `bar` always runs in goroutine 1 (main), `foo` in
//! the new one.

use goro::sync::WaitGroup;

fn bar() -> String {
    println!("bar() runs in goroutine {}", goroutine());
    String::from("bar's value")
}

fn foo(value: String, wg: WaitGroup) {
    println!("foo({value:?}) runs in goroutine {}", goroutine());
    wg.done();
}

fn goroutine() -> String {
    goro::id().map_or_else(|| "none".into(), |id| id.to_string())
}

#[goro::main]
async fn main() {
    let wg = WaitGroup::new();
    wg.add(1);
    let handle = goro::go!(foo(bar(), wg.clone()));
    println!(
        "go! returned in goroutine {}; the new goroutine is {}",
        goroutine(),
        handle.id()
    );
    wg.wait().await;
}
