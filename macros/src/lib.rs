//! Procedural macros of [apifault](https://docs.rs/apifault):
//! `#[derive(ApiError)]`. Depend on `apifault`, which re-exports them and
//! holds the documentation and the runtime the generated code calls.

mod ctxt;
mod derive;

use proc_macro::TokenStream;

/// Implements `apifault::ApiError` (and `apifault::FromResponse` when the
/// enum has an `#[api(other)]` variant). See the `apifault` crate for the
/// attribute grammar.
#[proc_macro_derive(ApiError, attributes(api))]
pub fn derive_api_error(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    derive::derive(&input).into()
}
