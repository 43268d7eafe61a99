//! Go's panic behaviour, goro's default: a panic in any goroutine prints
//! `panic: <message>`, which goroutine it was and where it was spawned, and
//! ends the program with exit status 2.
//!
//! `cargo run --example panic_exit; echo "exit status $?"`
//!
//! ```text
//! panic: index out of bounds: the len is 3 but the index is 7
//!
//! goroutine 4 [worker] spawned at examples/panic_exit.rs:24
//!     panicked at examples/panic_exit.rs:16:5
//! exit status 2
//! ```

fn lookup(table: &[u32], i: usize) -> u32 {
    table[i]
}

#[goro::main]
async fn main() {
    let table = vec![1, 2, 3];
    let worker = goro::Goroutine::new()
        .name("worker")
        .spawn(async move { lookup(&table, 7) });
    let _ = worker.await;
    println!("not reached: the panic ended the program");
}
