//! Procedural macros of [apifault](https://docs.rs/apifault):
//! `#[derive(ApiError)]` and `#[retry]`. Depend on `apifault`, which re-exports them and
//! holds the documentation and the runtime the generated code calls.

mod ctxt;
mod derive;
mod retry;

use proc_macro::TokenStream;

/// Implements `apifault::ApiError` (and `apifault::FromResponse` when the
/// enum has an `#[api(other)]` variant). See the `apifault` crate for the
/// attribute grammar.
#[proc_macro_derive(ApiError, attributes(api))]
pub fn derive_api_error(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    derive::derive(&input).into()
}

/// Implements `axum_core::response::IntoResponse` for an enum that also
/// derives `ApiError`, from the same `#[api(...)]` attributes. See
/// `apifault::IntoResponse` (feature `axum`).
#[proc_macro_derive(IntoResponse, attributes(api))]
pub fn derive_into_response(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    derive::derive_into_response(&input).into()
}

/// Retries the function as its error type says: `Retry::Never` errors stop
/// at once, `Backoff` ones wait the policy's delay, `After` ones wait the
/// server's hint. See `apifault::retry` (the attribute) for the arguments.
#[proc_macro_attribute]
pub fn retry(args: TokenStream, item: TokenStream) -> TokenStream {
    retry::retry(args.into(), item.into()).into()
}
