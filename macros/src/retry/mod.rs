//! `#[apifault::retry]`: `args` reads the arguments and the function,
//! `expand` rewrites the function. On any error the function is emitted
//! unchanged next to the errors, so that one mistake does not cascade.

pub(crate) mod args;
mod expand;

use proc_macro2::TokenStream;
use quote::quote;

use crate::ctxt::Ctxt;

pub(crate) fn retry(args: TokenStream, item: TokenStream) -> TokenStream {
    let cx = Ctxt::default();
    let parsed_args = args::Args::parse(&cx, args);
    let function: args::RetryFn = match syn::parse2(item.clone()) {
        Ok(function) => function,
        Err(_) => {
            // Blame the item's keyword (`struct`, `impl`, …), past its
            // attributes and visibility.
            let span = item
                .clone()
                .into_iter()
                .find_map(|tt| match tt {
                    proc_macro2::TokenTree::Ident(ident) if ident != "pub" => Some(ident.span()),
                    _ => None,
                })
                .unwrap_or_else(proc_macro2::Span::call_site);
            cx.syn_error(syn::Error::new(
                span,
                "#[apifault::retry] goes on a function with a body (`fn` or `async fn`, free or in an `impl`)",
            ));
            let mut tokens = cx.into_compile_errors();
            tokens.extend(item);
            return tokens;
        }
    };
    let sig = &function.sig;
    if let Some(constness) = &sig.constness {
        cx.error_spanned_by(
            constness,
            "#[apifault::retry] cannot go on a `const fn`: retrying waits, which a const fn cannot do",
        );
    }
    if function.body.is_none() {
        let function_semi = &function.semi;
        cx.error_spanned_by(
            quote!(#sig #function_semi),
            "#[apifault::retry] needs the function's body to retry: put it on the function in the `impl`, not on a declaration",
        );
    }
    let ret = expand::return_type(sig);
    if ret.is_none() {
        cx.error_spanned_by(
            &sig.ident,
            format!(
                "`{}` returns nothing to retry on: a retried function returns `Result<_, E>` where `E: apifault::ApiError`",
                sig.ident
            ),
        );
    }
    match (cx.has_errors(), &function.body, ret) {
        (false, Some(body), Some(ret)) => expand::expand(&parsed_args, &function, body, ret),
        _ => {
            let mut tokens = cx.into_compile_errors();
            tokens.extend(quote!(#item));
            tokens
        }
    }
}
