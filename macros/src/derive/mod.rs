//! `#[derive(ApiError)]`: `attr` reads the attributes, `ast` models the
//! enum, `valid` checks it, `expand` writes the impls.

mod ast;
mod attr;
mod expand;
mod valid;

use proc_macro2::TokenStream;

use crate::ctxt::Ctxt;

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
