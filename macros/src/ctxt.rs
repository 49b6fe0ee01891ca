//! Collects every error of one macro input, so that a user sees all their
//! mistakes in one build instead of fixing them one compile at a time.

use std::cell::RefCell;

use proc_macro2::TokenStream;
use quote::ToTokens;

#[derive(Default)]
pub(crate) struct Ctxt {
    errors: RefCell<Vec<syn::Error>>,
}

impl Ctxt {
    /// An error pointing at the first through the last token of `tokens`.
    pub(crate) fn error_spanned_by<T: ToTokens, M: std::fmt::Display>(
        &self,
        tokens: T,
        message: M,
    ) {
        self.errors
            .borrow_mut()
            .push(syn::Error::new_spanned(tokens.into_token_stream(), message));
    }

    pub(crate) fn syn_error(&self, error: syn::Error) {
        self.errors.borrow_mut().push(error);
    }

    pub(crate) fn has_errors(&self) -> bool {
        !self.errors.borrow().is_empty()
    }

    /// The collected errors as `compile_error!` invocations, in source order
    /// of discovery.
    pub(crate) fn into_compile_errors(self) -> TokenStream {
        self.errors
            .into_inner()
            .into_iter()
            .map(syn::Error::into_compile_error)
            .collect()
    }
}
