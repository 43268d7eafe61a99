//! `go!(CALL)` and `go!(FUTURE)`.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{Error, Expr, ExprCall, ExprMethodCall};

/// Input: `[crate-path] expression`, as `goro::go!` passes it.
pub(crate) fn expand(input: TokenStream) -> syn::Result<TokenStream> {
    let (krate, rest) = crate::split_crate_path(input, "go!(..)")?;
    if rest.is_empty() {
        return Err(Error::new(
            Span::call_site(),
            "go! needs a call such as `go!(f(x))` or a future such as `go!(async { .. })`",
        ));
    }
    let expr: Expr = syn::parse2(rest)?;
    match peel(expr) {
        Expr::Call(call) => Ok(expand_call(&krate, call)),
        Expr::MethodCall(call) => Ok(expand_method_call(&krate, call)),
        Expr::Await(expr) => Err(Error::new(
            expr.await_token.span(),
            "go! starts the call in a new goroutine and returns at once: remove `.await` \
             (await the JoinHandle that go! returns to get the result)",
        )),
        Expr::Closure(closure) => Err(Error::new(
            closure.span(),
            "go! takes a call such as `go!(f(x))` or a future such as `go!(async move { .. })`, \
             not a closure: put the closure's body in an `async move` block",
        )),
        future => {
            let span = future.span();
            Ok(quote_spanned! {span=> #krate::__private::spawn(#future) })
        }
    }
}

/// Looks through parentheses, and through the invisible group a
/// `macro_rules!` `$e:expr` forwards, so that `go!((f(x)))` is still a call.
fn peel(expr: Expr) -> Expr {
    match expr {
        Expr::Paren(paren) if paren.attrs.is_empty() => peel(*paren.expr),
        Expr::Group(group) if group.attrs.is_empty() => peel(*group.expr),
        expr => expr,
    }
}

/// Binds each argument to a local, in order, and returns the bindings and
/// the locals' names.
fn bind_args<'a>(args: impl Iterator<Item = &'a Expr>) -> (TokenStream, Vec<syn::Ident>) {
    let mut lets = TokenStream::new();
    let mut names = Vec::new();
    for (i, arg) in args.enumerate() {
        let name = format_ident!("__goro_arg{}", i, span = Span::mixed_site());
        let span = arg.span();
        lets.extend(quote_spanned! {span=> let #name = #arg; });
        names.push(name);
    }
    (lets, names)
}

fn expand_call(krate: &TokenStream, call: ExprCall) -> TokenStream {
    let mut lets = TokenStream::new();
    let name = format_ident!("__goro_fn", span = Span::mixed_site());
    match peel(*call.func) {
        // A function or a local func value: copied into the goroutine, as
        // Go copies a func value, so that a `Clone` closure can start any
        // number of goroutines. The path stays the callee's type, so a
        // generic function is still inferred from the arguments.
        Expr::Path(path) => {
            let span = path.span();
            lets.extend(quote_spanned! {span=>
                let #name = ::core::clone::Clone::clone(&#path);
            });
        }
        func => {
            let span = func.span();
            lets.extend(quote_spanned! {span=> #[allow(unused_mut)] let mut #name = #func; });
        }
    }
    let callee = name.into_token_stream();
    let (arg_lets, args) = bind_args(call.args.iter());
    lets.extend(arg_lets);
    let span = call.paren_token.span.join();
    spawn_goroutine(
        krate,
        span,
        lets,
        quote_spanned! {span=> #callee(#(#args),*) },
    )
}

fn expand_method_call(krate: &TokenStream, call: ExprMethodCall) -> TokenStream {
    let receiver = format_ident!("__goro_recv", span = Span::mixed_site());
    let recv_expr = &call.receiver;
    let span = recv_expr.span();
    // `mut`, for methods that take `&mut self`.
    let mut lets = quote_spanned! {span=> #[allow(unused_mut)] let mut #receiver = #recv_expr; };
    let (arg_lets, args) = bind_args(call.args.iter());
    lets.extend(arg_lets);
    let method = &call.method;
    let turbofish = &call.turbofish;
    let call_tokens = quote! { #receiver.#method #turbofish(#(#args),*) };
    spawn_goroutine(krate, call.method.span(), lets, call_tokens)
}

/// `{ lets; spawn(async move { await-or-return call }) }`, spanned at the
/// user's call so that errors about the goroutine point there.
fn spawn_goroutine(
    krate: &TokenStream,
    span: Span,
    lets: TokenStream,
    call: TokenStream,
) -> TokenStream {
    let out = format_ident!("__goro_out", span = Span::mixed_site());
    let kind = format_ident!("__goro_kind", span = Span::mixed_site());
    quote_spanned! {span=>
        {
            #lets
            #krate::__private::spawn(
                #[allow(unreachable_code)]
                async move {
                    #[allow(unused_imports)]
                    use #krate::__private::{ViaFuture as _, ViaValue as _};
                    let #out = #call;
                    // Its own statement: no temporary lives across the await.
                    let #kind = (&#krate::__private::tag(&#out)).__goro_kind();
                    #kind.into_future(#out).await
                },
            )
        }
    }
}
