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
            input.parse::<Token![=>]>()?;
            let body = body(input)?;
            branches.push(Branch { pat, op, body });
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
    let mut arms = TokenStream::new();
    for (i, branch) in select.branches.iter().enumerate() {
        let name = format_ident!("__goro_op{}", i, span = Span::mixed_site());
        let op = &branch.op;
        let span = op.span();
        binds.push((name.clone(), quote_spanned! {span=> #op }));
        refs.push(quote_spanned! {span=>
            &mut #name as &mut (dyn #krate::__private::SelectOp + ::core::marker::Send)
        });
        let pat = &branch.pat;
        let body = &branch.body;
        let output = quote_spanned! {span=>
            #krate::__private::SelectOutput::take_output(&mut #name)
        };
        arms.extend(quote! {
            #[allow(unused_braces)]
            ::core::option::Option::Some(#i) => {
                let #pat = #output;
                #body
            }
        });
    }
    let has_default = select.default.is_some();
    if let Some(default) = &select.default {
        arms.extend(quote! {
            #[allow(unused_braces)]
            ::core::option::Option::None => { #default }
        });
    }
    let mut expanded = quote! {
        {
            let __goro_chosen = #krate::__private::select(&mut [#(#refs),*], #has_default).await;
            #[allow(unreachable_patterns)]
            match __goro_chosen {
                #arms
                _ => ::core::unreachable!("select! committed no branch"),
            }
        }
    };
    // Each operation is bound by a `match` rather than a `let`, so that
    // temporaries in it (`time::after(d).recv()`) live through the select.
    for (name, op) in binds.into_iter().rev() {
        expanded = quote! {
            match #op {
                mut #name => #expanded
            }
        };
    }
    Ok(expanded)
}
