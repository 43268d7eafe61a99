//! The Go tutorial's first program, in goro.
//!
//! ```go
//! func foo() {
//!     fmt.Println("foo")
//! }
//!
//! func main() {
//!     fmt.Println("before")
//!     go foo()                  // spawn a new goroutine which starts execution by calling foo()
//!     fmt.Println("after")
//! }
//! ```
//!
//! `main` does not wait for `foo`: "foo" may be printed before "after",
//! after it, or not at all, because the program ends when `main` returns.
//! Run it a few times: `cargo run --example hello`.

fn foo() {
    println!("foo");
}

#[goro::main]
async fn main() {
    println!("before");
    goro::go!(foo()); // spawn a new goroutine which starts execution by calling foo()
    println!("after");
}
