//! Procedural macros for [goro](https://docs.rs/goro): `go!`, `#[goro::main]`
//! and `#[goro::test]`. Use them through the `goro` crate, which documents
//! them; this crate holds only the expansions.
#![forbid(unsafe_code)]

use proc_macro::TokenStream;

mod entry;
mod go;
mod select;

use proc_macro2::TokenTree;

/// Splits `[crate-path] rest`, as goro's `macro_rules!` fronts pass their
/// input to the proc macros (`$crate` cannot reach a proc macro otherwise).
fn split_crate_path(
    input: proc_macro2::TokenStream,
    front: &str,
) -> syn::Result<(proc_macro2::TokenStream, proc_macro2::TokenStream)> {
    let mut tokens = input.into_iter();
    match tokens.next() {
        Some(TokenTree::Group(group)) => Ok((group.stream(), tokens.collect())),
        _ => Err(syn::Error::new(
            proc_macro2::Span::call_site(),
            format!("this macro is internal: use goro::{front}"),
        )),
    }
}

/// The expansion behind `goro::go!`; call that macro instead, which passes
/// its own crate path in front of the call.
#[doc(hidden)]
#[proc_macro]
pub fn go_impl(input: TokenStream) -> TokenStream {
    go::expand(input.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// The expansion behind `goro::select!`; call that macro instead.
#[doc(hidden)]
#[proc_macro]
pub fn select_impl(input: TokenStream) -> TokenStream {
    select::expand(input.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Runs `async fn main` as the main goroutine of a goro runtime.
///
/// The program ends when `main` returns: other goroutines are abandoned and
/// blocking calls are not waited for. No other goroutine runs from the moment
/// main's body produces its value (a `return`, a `?` that returns, or its
/// tail): main's locals are dropped after that, so a `Sender` among them
/// that closes its channel as it goes wakes nobody. A destructor of main's
/// locals must therefore not wait for another goroutine. `main` may return anything `fn main`
/// may; a declared return type is reported inside the main goroutine, as
/// `fn main` reports it (an `Err` prints `Error: ..` and exits with status
/// 1), and the function returns the `std::process::ExitCode`.
///
/// The main goroutine runs on a worker like any goroutine (`goro::run`)
/// when its future is `Send`, and on the thread that called `main`
/// otherwise (`goro::run_local`, where every hand-off between main and
/// another goroutine crosses threads: keep values that are not `Send`,
/// such as an `Rc`, from living across an `.await` in main).
///
/// Options: `worker_threads = N` (overrides `GOMAXPROCS` and the core count),
/// `panic = "exit"` (Go's behaviour, the default) or `panic = "isolate"`
/// (Tokio's), and `crate = "path"` when goro is renamed.
///
/// ```
/// #[goro::main(worker_threads = 2)]
/// async fn main() -> Result<(), std::num::ParseIntError> {
///     let n: u32 = "42".parse()?;
///     assert_eq!(goro::go!(async move { n + 1 }).await.unwrap(), 43);
///     Ok(())
/// }
/// # fn _call() { let _ = main(); }
/// ```
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::expand(entry::Kind::Main, args.into(), item.into()).into()
}

/// Runs an `async fn` test as the main goroutine of its own goro runtime.
///
/// Takes the same options as `#[goro::main]`, but `panic` defaults to
/// `"isolate"`: the tests of a binary share one process, and Go's exit on
/// panic would end them all. A panic in the test body fails the test as
/// usual.
///
/// A test that leaves goroutines alive fails too, listing them as
/// `goro::dump()` does: once the body has returned (and its locals are
/// dropped), the other goroutines get up to two seconds to end. Add
/// `leaks = "allow"` to allow it (a test of something that runs forever).
///
/// ```
/// #[goro::test]
/// async fn adds() {
///     assert_eq!(goro::go!(async { 1 + 1 }).await.unwrap(), 2);
/// }
/// ```
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::expand(entry::Kind::Test, args.into(), item.into()).into()
}
