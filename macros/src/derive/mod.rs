//! `#[derive(ApiError)]`: `attr` reads the attributes, `ast` models the
//! enum, `valid` checks it, `expand` writes the impls.

mod ast;
mod attr;
mod expand;
mod valid;

use proc_macro2::TokenStream;

use crate::ctxt::Ctxt;

/// `#[derive(apifault::IntoResponse)]`: the impl, when the attributes are
/// sound. Their errors are `ApiError`'s to report (it is required next to
/// this derive, and a check says so), so that each shows once.
pub(crate) fn derive_into_response(input: &syn::DeriveInput) -> TokenStream {
    let cx = Ctxt::default();
    let model = ast::Enum::from_syn(&cx, input);
    if let Some(model) = &model {
        valid::check(&cx, model);
    }
    let requires_api_error = expand::requires_api_error(input);
    match model {
        Some(model) if !cx.has_errors() => {
            let into_response = expand::impl_into_response(&model);
            quote::quote!(#requires_api_error #into_response)
        }
        // A struct or union: say so here too, as `ApiError` does.
        None => cx.into_compile_errors(),
        Some(_) => {
            // Drop the errors: `derive(ApiError)` reports the same ones.
            drop(cx.into_compile_errors());
            requires_api_error
        }
    }
}

pub(crate) fn derive(input: &syn::DeriveInput) -> TokenStream {
    let cx = Ctxt::default();
    let model = ast::Enum::from_syn(&cx, input);
    if let Some(model) = &model {
        valid::check(&cx, model);
    }
    match model {
        Some(model) if !cx.has_errors() => expand::expand(&model),
        model => {
            let with_from_response = model.is_some_and(|m| m.other().is_some());
            let mut tokens = cx.into_compile_errors();
            tokens.extend(expand::fallback(input, with_from_response));
            tokens
        }
    }
}
