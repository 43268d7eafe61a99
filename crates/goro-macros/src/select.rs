//! `select!`: branches `pattern = operation => body` and at most one
//! `default => body`, expanded into a call of goro's select engine.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{Error, Expr, Pat, Token};

struct Branch {
    pat: Pat,
    op: Expr,
    /// `, if cond`: the branch takes part only when `cond` holds.
    guard: Option<Expr>,
    body: Expr,
}

struct Select {
    branches: Vec<Branch>,
    default: Option<Expr>,
}

/// The most branches; the same bound as the engine's `MAX_BRANCHES`.
const MAX_BRANCHES: usize = 64;

impl Parse for Select {
    fn parse(input: ParseStream<'_>) -> syn::Result<Select> {
        let mut branches = Vec::new();
        let mut default = None;
        while !input.is_empty() {
            if input.peek(Token![default]) {
                let keyword: Token![default] = input.parse()?;
                if default.is_some() {
                    return Err(Error::new(
                        keyword.span(),
                        "select! has more than one `default` branch: keep one",
                    ));
                }
                input.parse::<Token![=>]>()?;
                default = Some(body(input)?);
                continue;
            }
            let pat = Pat::parse_single(input)?;
            input.parse::<Token![=]>().map_err(|e| {
                Error::new(
                    e.span(),
                    "expected `pattern = operation => body`, e.g. `v = rx.recv() => ..`",
                )
            })?;
            let op: Expr = input.parse()?;
            let guard = if input.peek(Token![,]) && input.peek2(Token![if]) {
                input.parse::<Token![,]>()?;
                input.parse::<Token![if]>()?;
                Some(Expr::parse_without_eager_brace(input)?)
            } else {
                None
            };
            input.parse::<Token![=>]>().map_err(|e| {
                Error::new(
                    e.span(),
                    "expected `=> body`, or `, if condition => body` for a guarded branch",
                )
            })?;
            let body = body(input)?;
            branches.push(Branch {
                pat,
                op,
                guard,
                body,
            });
        }
        Ok(Select { branches, default })
    }
}

/// A branch body, then the comma that separates it from the next branch
/// (optional after a block and after the last branch).
fn body(input: ParseStream<'_>) -> syn::Result<Expr> {
    let body: Expr = input.parse()?;
    let is_block = matches!(body, Expr::Block(_));
    if input.peek(Token![,]) {
        input.parse::<Token![,]>()?;
    } else if !is_block && !input.is_empty() {
        return Err(input.error("expected `,` after this select! branch"));
    }
    Ok(body)
}

/// Input: `[crate-path] branches`, as `goro::select!` passes it.
pub(crate) fn expand(input: TokenStream) -> syn::Result<TokenStream> {
    let (krate, rest) = crate::split_crate_path(input, "select! { .. }")?;
    let select: Select = syn::parse2(rest)?;
    if select.branches.is_empty() {
        return Err(Error::new(
            Span::call_site(),
            "select! needs at least one channel operation, e.g. `v = rx.recv() => ..`",
        ));
    }
    if select.branches.len() > MAX_BRANCHES {
        return Err(Error::new(
            select.branches[MAX_BRANCHES].op.span(),
            format!("select! takes at most {MAX_BRANCHES} branches"),
        ));
    }
    let mut binds = Vec::new();
    let mut refs = Vec::new();
    // The committed branch's output leaves the operations' scope in
    // `__GoroChosen`, so that the operations (and what they borrow) are
    // dropped before the body runs: a body may assign what its operation
    // borrowed (`a = None` for a closed channel).
    let mut takes = TokenStream::new();
    let mut arms = TokenStream::new();
    let mut variants = Vec::new();
    let mut takers = Vec::new();
    for (i, branch) in select.branches.iter().enumerate() {
        let op = &branch.op;
        let span = op.span();
        // One call, `chan::branch`, located at the operation, gives the
        // operation to drive and a function that takes its output later
        // (`__goro_take{i}`): an operation that is not a branch is
        // reported there, once, in terms of `Selectable`, and the rest of
        // the expansion names no type of it that could fail again.
        let name = format_ident!("__goro_op{}", i, span = span);
        let variant = format_ident!("__GoroBranch{}", i);
        let op = match &branch.guard {
            // The condition first: the operation is made only if it holds.
            Some(guard) => quote_spanned! {span=>
                if #guard {
                    ::core::option::Option::Some(#op)
                } else {
                    ::core::option::Option::None
                }
            },
            None => quote_spanned! {span=> #op },
        };
        let krate = located(&krate, span);
        binds.push((name.clone(), quote_spanned! {span=> #op }));
        let taker = format_ident!("__goro_take{}", i, span = span);
        refs.push(quote_spanned! {span=>
            {
                let (op, take) = #krate::chan::branch(&mut #name);
                #taker = take;
                op
            }
        });
        takers.push(taker.clone());
        let output = quote_spanned! {span=> #taker(&mut #name) };
        takes.extend(quote! {
            ::core::option::Option::Some(#i) => __GoroChosen::#variant(#output),
        });
        let pat = &branch.pat;
        let body = &branch.body;
        arms.extend(quote! {
            #[allow(unused_braces)]
            __GoroChosen::#variant(__goro_output) => {
                let #pat = __goro_output;
                #body
            }
        });
        variants.push(variant);
    }
    let has_default = select.default.is_some();
    let mut default_variant = TokenStream::new();
    if let Some(default) = &select.default {
        default_variant = quote! { __GoroDefault, };
        takes.extend(quote! {
            ::core::option::Option::None => __GoroChosen::__GoroDefault,
        });
        arms.extend(quote! {
            #[allow(unused_braces)]
            __GoroChosen::__GoroDefault => { #default }
        });
    }
    let mut chosen = quote! {
        {
            #(let #takers;)*
            let __goro_chosen = #krate::__private::select(&mut [#(#refs),*], #has_default).await;
            #[allow(unreachable_patterns)]
            match __goro_chosen {
                #takes
                _ => ::core::unreachable!("select! committed no branch"),
            }
        }
    };
    // Each operation is bound by a `match` rather than a `let`, so that
    // temporaries in it (`time::after(d).recv()`) live through the select.
    for (name, op) in binds.into_iter().rev() {
        let span = op.span();
        chosen = quote_spanned! {span=>
            match #op {
                mut #name => #chosen
            }
        };
    }
    Ok(quote! {
        {
            #[allow(non_camel_case_types)]
            enum __GoroChosen<#(#variants),*> {
                #(#variants(#variants),)*
                #default_variant
            }
            match #chosen {
                #arms
            }
        }
    })
}

/// `tokens`, reported at `at` (their name resolution unchanged).
fn located(tokens: &TokenStream, at: Span) -> TokenStream {
    tokens
        .clone()
        .into_iter()
        .map(|mut token| {
            if let proc_macro2::TokenTree::Group(group) = &token {
                let mut inner =
                    proc_macro2::Group::new(group.delimiter(), located(&group.stream(), at));
                inner.set_span(group.span().located_at(at));
                return proc_macro2::TokenTree::Group(inner);
            }
            token.set_span(token.span().located_at(at));
            token
        })
        .collect()
}
