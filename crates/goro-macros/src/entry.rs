//! `#[goro::main]` and `#[goro::test]`.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::visit_mut::{self, VisitMut};
use syn::{
    Block, Error, Expr, ExprLit, Item, ItemFn, Lit, MetaNameValue, ReturnType, Stmt, Token, Type,
};

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Main,
    Test,
}

impl Kind {
    fn attr(self) -> &'static str {
        match self {
            Kind::Main => "#[goro::main]",
            Kind::Test => "#[goro::test]",
        }
    }
}

struct Options {
    krate: TokenStream,
    worker_threads: Option<usize>,
    /// `Some(true)` for "exit", `Some(false)` for "isolate".
    exit_on_panic: Option<bool>,
    /// `leaks = "allow"`: a test may leave goroutines alive.
    allow_leaks: bool,
}

pub(crate) fn expand(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    let function: ItemFn = match syn::parse2(item.clone()) {
        Ok(function) => function,
        // Not a function: say so, and keep the item so that IDEs still see it.
        Err(err) => return with_item(err, item),
    };
    match options(args).and_then(|options| expand_fn(kind, options, function.clone())) {
        Ok(tokens) => tokens,
        Err(err) => with_item(err, fallback(function)),
    }
}

/// The function as a synchronous one whose body still type-checks, so that
/// the error above is the only one and IDEs keep analysing the body.
fn fallback(mut function: ItemFn) -> TokenStream {
    function.sig.asyncness = None;
    let block = &function.block;
    *function.block = syn::parse_quote! {{
        let _ = async move #block;
        ::core::unimplemented!()
    }};
    function.into_token_stream()
}

fn with_item(err: Error, item: TokenStream) -> TokenStream {
    let err = err.into_compile_error();
    quote! { #err #item }
}

fn options(args: TokenStream) -> syn::Result<Options> {
    let mut options = Options {
        krate: quote! { ::goro },
        worker_threads: None,
        exit_on_panic: None,
        allow_leaks: false,
    };
    let parsed = Punctuated::<MetaNameValue, Token![,]>::parse_terminated.parse2(args)?;
    for option in parsed {
        let name = option
            .path
            .get_ident()
            .map(ToString::to_string)
            .unwrap_or_default();
        match name.as_str() {
            "worker_threads" => {
                let n = int_value(&option.value)?;
                if n == 0 {
                    return Err(Error::new(
                        option.value.span(),
                        "worker_threads = 0 is not valid: a runtime needs at least 1 worker thread",
                    ));
                }
                options.worker_threads = Some(n);
            }
            "panic" => {
                options.exit_on_panic = Some(match str_value(&option.value)?.as_str() {
                    "exit" => true,
                    "isolate" => false,
                    other => {
                        return Err(Error::new(
                            option.value.span(),
                            format!(
                                "panic = {other:?} is not valid: use panic = \"exit\" (Go's behaviour) \
                                 or panic = \"isolate\" (Tokio's)"
                            ),
                        ))
                    }
                });
            }
            "leaks" => {
                options.allow_leaks = match str_value(&option.value)?.as_str() {
                    "allow" => true,
                    "fail" => false,
                    other => {
                        return Err(Error::new(
                            option.value.span(),
                            format!(
                            "leaks = {other:?} is not valid: use leaks = \"fail\" (the default: \
                                 a test that leaves goroutines alive fails) or leaks = \"allow\""
                        ),
                        ))
                    }
                };
            }
            "crate" => {
                let path: syn::Path = syn::parse_str(&str_value(&option.value)?)
                    .map_err(|_| Error::new(option.value.span(), "crate = \"..\" takes a path"))?;
                options.krate = path.into_token_stream();
            }
            _ => {
                return Err(Error::new(
                    option.path.span(),
                    "unknown option: the options are worker_threads = N, \
                     panic = \"exit\" | \"isolate\", leaks = \"fail\" | \"allow\" (tests), \
                     crate = \"path\"",
                ))
            }
        }
    }
    Ok(options)
}

fn int_value(value: &Expr) -> syn::Result<usize> {
    match value {
        Expr::Lit(ExprLit {
            lit: Lit::Int(int), ..
        }) => int.base10_parse(),
        _ => Err(Error::new(value.span(), "expected a whole number")),
    }
}

fn str_value(value: &Expr) -> syn::Result<String> {
    match value {
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => Ok(s.value()),
        _ => Err(Error::new(value.span(), "expected a string literal")),
    }
}

fn expand_fn(kind: Kind, options: Options, mut function: ItemFn) -> syn::Result<TokenStream> {
    let sig = &function.sig;
    if sig.asyncness.is_none() {
        return Err(Error::new(
            sig.fn_token.span(),
            format!("{} goes on an `async fn`: add `async`", kind.attr()),
        ));
    }
    if kind == Kind::Main && sig.ident != "main" {
        return Err(Error::new(
            sig.ident.span(),
            "#[goro::main] goes on `async fn main`; use #[goro::test] for tests",
        ));
    }
    if let Some(attr) = function.attrs.iter().find(|a| a.path().is_ident("test")) {
        return Err(Error::new(
            attr.span(),
            format!(
                "{} already makes the function a test: remove this #[test]",
                kind.attr()
            ),
        ));
    }
    if !sig.inputs.is_empty() {
        return Err(Error::new(
            sig.inputs.span(),
            format!("{} takes a function without parameters", kind.attr()),
        ));
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        return Err(Error::new(
            sig.generics.span(),
            format!("{} takes a function without generics", kind.attr()),
        ));
    }
    let krate = &options.krate;
    let mut config = TokenStream::new();
    if let Some(n) = options.worker_threads {
        config.extend(quote! { .worker_threads(#n) });
    }
    let exit_on_panic = options.exit_on_panic.unwrap_or(kind == Kind::Main);
    let panic = if exit_on_panic {
        quote! { Exit }
    } else {
        quote! { Isolate }
    };
    config.extend(quote! { .panic(#krate::__private::Panic::#panic) });

    function.sig.asyncness = None;
    let return_type = match &function.sig.output {
        ReturnType::Default => Some(quote! { () }),
        // An opaque type cannot be named: the value is not annotated.
        ReturnType::Type(_, ty) if matches!(**ty, Type::ImplTrait(_)) => None,
        ReturnType::Type(_, ty) => Some(ty.to_token_stream()),
    };
    if options.allow_leaks && kind == Kind::Main {
        return Err(Error::new(
            Span::call_site(),
            "leaks = \"..\" is an option of #[goro::test]",
        ));
    }
    // A test's leak check runs once its body has returned and its locals
    // are dropped (which may be what ends its goroutines): main's return is
    // marked after it, not at the body's `return`s.
    let check_leaks = kind == Kind::Test && !options.allow_leaks;
    if !check_leaks {
        mark_returns(krate, return_type.as_ref(), &mut function.block);
    }
    let block = &function.block;
    let span = block.span();
    // The body becomes a nested `async fn`, whose future's type is known
    // outside it, so that `__private::Main` can tell at compile time
    // whether it is `Send` (main on a worker) or not (on the calling
    // thread). A declared return type is reported inside the main
    // goroutine, as `fn main` would report it, so that a value that is not
    // `Send` (`Box<dyn Error>`) keeps main on a worker too.
    let (inner_output, future) = match &function.sig.output {
        ReturnType::Default if check_leaks => (
            TokenStream::new(),
            quote! { #krate::__private::checked(__goro_main()) },
        ),
        ReturnType::Default => (TokenStream::new(), quote! { __goro_main() }),
        ReturnType::Type(arrow, ty) => (quote! { #arrow #ty }, {
            let report = if check_leaks {
                quote! { reported_checked }
            } else {
                quote! { reported }
            };
            quote_spanned! {ty.span()=> #krate::__private::#report(__goro_main()) }
        }),
    };
    if let ReturnType::Type(arrow, ty) = &function.sig.output {
        let code = quote_spanned! {ty.span()=> #krate::__private::ExitCode };
        function.sig.output = ReturnType::Type(*arrow, Box::new(syn::parse2(code)?));
    }
    let builder = if kind == Kind::Test {
        quote! { test_builder }
    } else {
        quote! { Builder::new }
    };
    let body = quote_spanned! {span=>
        {
            #[allow(clippy::unused_async)]
            async fn __goro_main() #inner_output #block
            #[allow(unused_imports)]
            use #krate::__private::{MainOnCaller as _, MainOnWorker as _};
            let __goro_builder = #krate::__private::#builder() #config;
            (&#krate::__private::Main::new(__goro_builder, #future)).__goro_run()
        }
    };
    *function.block = syn::parse2(body)?;
    let test_attr = match kind {
        Kind::Test => quote_spanned! {Span::call_site()=> #[::core::prelude::v1::test] },
        Kind::Main => TokenStream::new(),
    };
    Ok(quote! { #test_attr #function })
}

/// Makes main's body say when it returns, before its locals are dropped:
/// each `return e` becomes `return main_returns(e)`, each `e?` returns
/// `main_returns(Err(..))`, and the tail (or the end of a body without one)
/// goes through `main_returns` too. Closures, async blocks and nested items
/// return on their own and are left alone, as are macro calls, whose tokens
/// are not parsed here (the runtime then marks main's return when its
/// future completes, after its locals are dropped).
fn mark_returns(krate: &TokenStream, ty: Option<&TokenStream>, block: &mut Block) {
    let call = |span: Span| {
        let krate = respan(krate, span);
        match ty {
            Some(ty) => quote_spanned! {span=> #krate::__private::main_returns::<#ty> },
            None => quote_spanned! {span=> #krate::__private::main_returns },
        }
    };
    let mut returns = Returns { krate, call: &call };
    returns.visit_block_mut(block);
    let (tail, span) = match block.stmts.last() {
        Some(Stmt::Expr(_, None)) => {
            let Some(Stmt::Expr(tail, None)) = block.stmts.pop() else {
                unreachable!()
            };
            let span = tail.span();
            (tail.into_token_stream(), span)
        }
        // A body without a tail returns `()`.
        _ => (quote! { () }, block.brace_token.span.close()),
    };
    let call = call(span);
    // After a tail that never completes (`loop { .. }`), the call cannot
    // be reached: no warning for code the user did not write, whose span
    // (the macro's) also keeps Clippy's lints on `let` quiet.
    let site = Span::call_site();
    block.stmts.push(syn::parse_quote_spanned! {site=>
        #[allow(unreachable_code)]
        let __goro_returned = #call(#tail);
    });
    block.stmts.push(Stmt::Expr(
        syn::parse_quote_spanned! {site=> __goro_returned },
        None,
    ));
}

struct Returns<'a> {
    krate: &'a TokenStream,
    call: &'a dyn Fn(Span) -> TokenStream,
}

impl VisitMut for Returns<'_> {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        match expr {
            Expr::Closure(_) | Expr::Async(_) | Expr::Const(_) => {}
            Expr::Return(ret) => {
                if let Some(value) = &mut ret.expr {
                    self.visit_expr_mut(value);
                }
                let span = ret.span();
                let value = match ret.expr.take() {
                    Some(value) => value.into_token_stream(),
                    None => quote_spanned! {span=> () },
                };
                let call = (self.call)(span);
                ret.expr = Some(Box::new(syn::parse_quote_spanned! {span=> #call(#value) }));
            }
            Expr::Try(try_expr) => {
                self.visit_expr_mut(&mut try_expr.expr);
                let span = try_expr.question_token.span();
                let value = &try_expr.expr;
                let call = (self.call)(span);
                // Errors in the conversion point at the `?`.
                let krate = respan(self.krate, span);
                *expr = syn::parse_quote_spanned! {span=>
                    match #value {
                        ::core::result::Result::Ok(__goro_ok) => __goro_ok,
                        ::core::result::Result::Err(__goro_err) => {
                            return #call(#krate::__private::err(__goro_err))
                        }
                    }
                };
            }
            _ => visit_mut::visit_expr_mut(self, expr),
        }
    }

    fn visit_item_mut(&mut self, _: &mut Item) {}
}

/// `tokens` with every span set to `span`.
fn respan(tokens: &TokenStream, span: Span) -> TokenStream {
    tokens
        .clone()
        .into_iter()
        .map(|mut token| {
            token.set_span(span);
            token
        })
        .collect()
}
