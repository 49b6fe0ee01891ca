//! Writes `impl ApiError` and, for an enum with an `other` variant,
//! `impl FromResponse`. Logic lives in `apifault::__private`; this file emits
//! calls to it, with trait checks spanned on the user's field types.

use proc_macro2::{Ident, Span, TokenStream, TokenTree};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::Type;
use syn::spanned::Spanned;

use super::ast::{Enum, Field, Kind, Variant, default_retry, default_safe_to_resend, option_inner};
use super::attr::{FieldRole, RetryKind};

pub(crate) fn expand(input: &Enum<'_>) -> TokenStream {
    let api_error = impl_api_error(input);
    let decoding = match input.other() {
        Some(other) => impl_from_response(input, other),
        None => assert_decodable(input),
    };
    let into_response = impl_into_response(input);
    quote! {
        #api_error
        #decoding
        #into_response
    }
}

/// Without an `other` variant there is no `FromResponse` impl to type-check
/// the fields only decoding uses; check them anyway, so that a `body` that
/// cannot be deserialized is an error whether or not the enum decodes yet.
/// Fields whose types involve the enum's parameters are bounded where used.
fn assert_decodable(input: &Enum<'_>) -> TokenStream {
    let params = type_params(input);
    let checks = input
        .variants
        .iter()
        .filter(|v| v.kind() == Kind::Status)
        .flat_map(|v| &v.fields)
        .filter_map(|field| {
            let ty = option_inner(field.ty).unwrap_or(field.ty);
            let check = match field.role()? {
                FieldRole::Body => quote!(assert_body),
                FieldRole::Header(_) => quote!(assert_header),
                FieldRole::RateLimit => {
                    // The same obligation as `IntoResponse`'s call, so that
                    // rustc reports a wrong type once, not twice.
                    let ty = field.ty;
                    return (!mentions_param(ty, &params)).then(|| {
                        quote_spanned!(ty.span()=> let _ = <#ty as ::apifault::__private::RateLimitField>::rate_limit;)
                    });
                }
                _ => return None,
            };
            (!mentions_param(ty, &params))
                .then(|| quote_spanned!(ty.span()=> ::apifault::__private::#check::<#ty>();))
        })
        .collect::<Vec<_>>();
    if checks.is_empty() {
        return TokenStream::new();
    }
    quote! {
        #[allow(deprecated)]
        const _: () = {
            #(#checks)*
        };
    }
}

/// The impl stubs emitted next to compile errors, so that code using the
/// enum does not add a cascade of "trait not implemented" errors.
pub(crate) fn fallback(input: &syn::DeriveInput, with_from_response: bool) -> TokenStream {
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let from_response = with_from_response.then(|| {
        quote! {
            #[automatically_derived]
            impl #impl_generics ::apifault::__private::FromResponse for #ident #ty_generics #where_clause {
                fn from_response(_: ::apifault::__private::ResponseParts<'_>) -> Self {
                    ::core::panic!("apifault: #[derive(ApiError)] failed, see the compile errors")
                }
            }
        }
    });
    quote! {
        #[automatically_derived]
        impl #impl_generics ::apifault::__private::ApiError for #ident #ty_generics #where_clause {
            fn status(&self) -> ::core::option::Option<::apifault::__private::StatusCode> {
                ::core::panic!("apifault: #[derive(ApiError)] failed, see the compile errors")
            }
            fn retry(&self) -> ::apifault::__private::Retry {
                ::core::panic!("apifault: #[derive(ApiError)] failed, see the compile errors")
            }
            fn safe_to_resend(&self) -> bool {
                ::core::panic!("apifault: #[derive(ApiError)] failed, see the compile errors")
            }
        }
        #from_response
    }
}

fn binding(field: &Field<'_>) -> Ident {
    match &field.member {
        syn::Member::Named(ident) => format_ident!("__field_{}", ident),
        syn::Member::Unnamed(index) => format_ident!("__field_{}", index.index),
    }
}

/// `Self::Variant { member: __field_member, .. }`, binding just `field`.
fn pattern(variant: &Variant<'_>, field: Option<&Field<'_>>) -> TokenStream {
    let ident = variant.ident;
    match field {
        Some(field) => {
            let member = &field.member;
            let bound = binding(field);
            quote!(Self::#ident { #member: #bound, .. })
        }
        None => quote!(Self::#ident { .. }),
    }
}

/// The arms of one `match self` in `impl ApiError`, one per variant, each
/// binding the field `role` names (if the variant has it), or for the
/// `transport` variant its error field when `bind_transport` says so.
fn arms<'v>(
    input: &'v Enum<'_>,
    role: &str,
    bind_transport: bool,
    mut body: impl FnMut(&'v Variant<'_>, Option<(&'v Field<'_>, Ident)>) -> TokenStream,
) -> TokenStream {
    if input.variants.is_empty() {
        return quote!(match *self {});
    }
    let arms = input.variants.iter().map(|variant| {
        let field = match variant.kind() {
            Kind::Transport if bind_transport => variant.transport_field(),
            Kind::Transport => None,
            _ => variant.field(role),
        };
        let pat = pattern(variant, field);
        let value = body(variant, field.map(|f| (f, binding(f))));
        quote!(#pat => #value,)
    });
    quote!(match self { #(#arms)* })
}

fn status_lit(code: u64) -> TokenStream {
    let code = code as u16;
    quote!(::apifault::__private::status(#code))
}

fn retry_tokens(kind: RetryKind) -> TokenStream {
    match kind {
        RetryKind::Never => quote!(::apifault::__private::Retry::Never),
        RetryKind::Backoff => quote!(::apifault::__private::Retry::Backoff),
        RetryKind::After => quote!(::apifault::__private::Retry::After),
    }
}

fn impl_api_error(input: &Enum<'_>) -> TokenStream {
    let ident = input.ident;
    let (impl_generics, ty_generics, _) = input.generics.split_for_impl();
    let where_clause = where_clause(input, false);
    let atomic = input.attrs.atomic.is_some();

    let status = arms(input, "status", false, |variant, field| {
        match (variant.kind(), field) {
            (Kind::Status | Kind::Other, Some((field, bound))) => {
                let ty = field.ty;
                quote_spanned!(ty.span()=> <#ty as ::apifault::__private::StatusField>::to_status(#bound))
            }
            (Kind::Status, None) => match variant.single_status() {
                Some(code) => {
                    let status = status_lit(code);
                    quote!(::core::option::Option::Some(#status))
                }
                None => quote!(::core::option::Option::None),
            },
            _ => quote!(::core::option::Option::None),
        }
    });

    let retry = arms(input, "status", true, |variant, field| {
        if let Some(retry) = &variant.attrs.retry {
            return retry_tokens(retry.kind);
        }
        match (variant.kind(), field) {
            (Kind::Status | Kind::Other, Some((field, bound))) => {
                let ty = field.ty;
                quote_spanned!(ty.span()=> ::apifault::__private::retry_for(
                    <#ty as ::apifault::__private::StatusField>::to_status(#bound)
                ))
            }
            (Kind::Status, None) => {
                // `valid.rs` made sure every status this variant can hold
                // retries alike, so the first one answers for all.
                let kind = input
                    .held_codes(variant)
                    .first()
                    .map_or(RetryKind::Never, |&code| default_retry(code));
                retry_tokens(kind)
            }
            (Kind::Transport, field) => match field {
                Some((field, bound)) => transport_call(input, field, &bound, "retry"),
                None => quote!(::apifault::__private::Retry::Backoff),
            },
            _ => quote!(::apifault::__private::Retry::Never),
        }
    });
    let retry_after = arms(input, "retry_after", false, |_, field| match field {
        Some((field, bound)) => {
            let ty = field.ty;
            quote_spanned!(ty.span()=> <#ty as ::apifault::__private::RetryAfterField>::hint(#bound))
        }
        None => quote!(::core::option::Option::None),
    });

    let request_id = arms(input, "request_id", false, |_, field| match field {
        Some((field, bound)) => {
            let ty = field.ty;
            quote_spanned!(ty.span()=> <#ty as ::apifault::__private::RequestIdField>::id(#bound))
        }
        None => quote!(::core::option::Option::None),
    });

    let safe_to_resend = arms(input, "status", true, |variant, field| {
        match (variant.kind(), field) {
            (Kind::Status | Kind::Other, _) if atomic => quote!(true),
            (Kind::Status | Kind::Other, Some((field, bound))) => {
                let ty = field.ty;
                quote_spanned!(ty.span()=> ::apifault::__private::safe_status(
                    <#ty as ::apifault::__private::StatusField>::to_status(#bound)
                ))
            }
            (Kind::Status, None) => {
                let codes = input.held_codes(variant);
                let safe = !codes.is_empty() && codes.into_iter().all(default_safe_to_resend);
                quote!(#safe)
            }
            (Kind::Other, None) => quote!(false),
            (Kind::Transport, Some((field, bound))) => {
                transport_call(input, field, &bound, "safe_to_resend")
            }
            (Kind::Transport, None) => quote!(false),
            (Kind::Local, _) => quote!(true),
        }
    });

    quote! {
        #[automatically_derived]
        #[allow(deprecated)]
        impl #impl_generics ::apifault::__private::ApiError for #ident #ty_generics #where_clause {
            fn status(&self) -> ::core::option::Option<::apifault::__private::StatusCode> {
                #status
            }
            fn retry(&self) -> ::apifault::__private::Retry {
                #retry
            }
            fn retry_after(&self) -> ::core::option::Option<::core::time::Duration> {
                #retry_after
            }
            fn request_id(&self) -> ::core::option::Option<&str> {
                #request_id
            }
            fn safe_to_resend(&self) -> bool {
                #safe_to_resend
            }
        }
    }
}

/// Asks the transport error field: through `TransportError` when its type
/// is generic (the impl is then bounded by it), else by autoref dispatch,
/// which falls back to "backoff, not safe" for types without the trait.
fn transport_call(input: &Enum<'_>, field: &Field<'_>, bound: &Ident, method: &str) -> TokenStream {
    let ty = field.ty;
    if mentions_param(ty, &type_params(input)) {
        let method = Ident::new(method, Span::call_site());
        return quote_spanned!(ty.span()=> <#ty as ::apifault::__private::TransportError>::#method(#bound));
    }
    let method = Ident::new(&format!("transport_{method}"), Span::call_site());
    quote!({
        #[allow(unused_imports)]
        use ::apifault::__private::{TransportFallback as _, TransportViaTrait as _};
        (&::apifault::__private::Probe(#bound)).#method()
    })
}

fn type_params<'a>(input: &'a Enum<'_>) -> Vec<&'a Ident> {
    input.generics.type_params().map(|p| &p.ident).collect()
}

/// Whether `ty` names one of the enum's type parameters anywhere inside.
fn mentions_param(ty: &Type, params: &[&Ident]) -> bool {
    fn walk(tokens: TokenStream, params: &[&Ident]) -> bool {
        tokens.into_iter().any(|tt| match tt {
            TokenTree::Ident(ident) => params.iter().any(|p| **p == ident),
            TokenTree::Group(group) => walk(group.stream(), params),
            _ => false,
        })
    }
    walk(ty.to_token_stream(), params)
}

/// The user's where clause plus, for every field whose type involves a type
/// parameter, the bound its role needs (serde_derive's approach: bound the
/// field's type, not the parameter).
fn where_clause(input: &Enum<'_>, from_response: bool) -> TokenStream {
    let params = type_params(input);
    let mut bounds = Vec::new();
    for variant in &input.variants {
        let decoded = matches!(variant.kind(), Kind::Status | Kind::Other);
        for field in &variant.fields {
            let (ty, bound) = match (field.role(), from_response) {
                (Some(FieldRole::Status), _) => {
                    (field.ty, quote!(::apifault::__private::StatusField))
                }
                (Some(FieldRole::RetryAfter), _) => {
                    (field.ty, quote!(::apifault::__private::RetryAfterField))
                }
                (Some(FieldRole::RequestId), _) => {
                    (field.ty, quote!(::apifault::__private::RequestIdField))
                }
                (Some(FieldRole::RateLimit), true) => {
                    (field.ty, quote!(::apifault::__private::RateLimitField))
                }
                (Some(FieldRole::Body), true) => match option_inner(field.ty) {
                    Some(inner) => (inner, quote!(::apifault::__private::DeserializeOwned)),
                    None if variant.kind() == Kind::Other => {
                        (field.ty, quote!(::apifault::__private::OtherBody))
                    }
                    None => (field.ty, quote!(::apifault::__private::DeserializeOwned)),
                },
                (Some(FieldRole::Header(_)), true) => (
                    option_inner(field.ty).unwrap_or(field.ty),
                    quote!(::core::str::FromStr),
                ),
                (None, true) if decoded => (field.ty, quote!(::core::default::Default)),
                (None, false)
                    if variant.kind() == Kind::Transport
                        && variant
                            .transport_field()
                            .is_some_and(|f| f.member == field.member) =>
                {
                    (field.ty, quote!(::apifault::__private::TransportError))
                }
                _ => continue,
            };
            if mentions_param(ty, &params) {
                bounds.push(quote!(#ty: #bound));
            }
        }
    }
    let existing = input.generics.where_clause.as_ref().map(|w| {
        let predicates = w.predicates.iter();
        quote!(#(#predicates,)*)
    });
    if existing.is_none() && bounds.is_empty() {
        return TokenStream::new();
    }
    quote!(where #existing #(#bounds,)*)
}

/// A header name built at compile time, lowercased as `from_static` requires
/// (`valid.rs` checked it is a token).
fn header_const(name: &syn::LitStr) -> TokenStream {
    let lower = syn::LitStr::new(&name.value().to_ascii_lowercase(), name.span());
    quote!(::apifault::__private::HeaderName::from_static(#lower))
}

/// A reference to a header name in a `static`, so that it is checked and
/// built once, at compile time.
fn header_static(name: &syn::LitStr) -> TokenStream {
    let name = header_const(name);
    quote!({
        static __HEADER: ::apifault::__private::HeaderName = #name;
        &__HEADER
    })
}

/// The expression decoding one field; for a fallible one in a claimed
/// variant, a failure leaves the block labelled `'__variant` with `None`,
/// sending the response to the `other` variant.
fn decode_field(field: &Field<'_>, in_other: bool) -> TokenStream {
    let ty = field.ty;
    let span = ty.span();
    // Names the generated code defines itself get call-site spans, even
    // inside expressions spanned on the user's type, so that they resolve
    // when the enum is written by a `macro_rules!`.
    let call_site = Span::call_site();
    let parts = Ident::new("__parts", call_site);
    let label = syn::Lifetime::new("'__variant", call_site);
    let retry_after = Ident::new("__RETRY_AFTER", call_site);
    let request_id = Ident::new("__REQUEST_ID", call_site);
    let fallible = |expr: TokenStream| {
        quote_spanned! {span=>
            match #expr {
                ::core::option::Option::Some(__value) => __value,
                ::core::option::Option::None => break #label ::core::option::Option::None,
            }
        }
    };
    match field.role() {
        None => quote_spanned!(span=> <#ty as ::apifault::__private::DefaultField>::fill()),
        Some(FieldRole::Status) => quote_spanned! {span=>
            <#ty as ::apifault::__private::StatusField>::from_status(#parts.status)
        },
        Some(FieldRole::Body) => match option_inner(ty) {
            Some(inner) => quote_spanned! {inner.span()=>
                ::apifault::__private::non_empty(#parts.body)
                    .and_then(|__body| ::apifault::__private::Body::<#inner>::new().decode(__body))
            },
            None if in_other => quote_spanned! {span=>
                <#ty as ::apifault::__private::OtherBody>::decode_any(#parts.body)
            },
            None => fallible(quote_spanned! {span=>
                ::apifault::__private::Body::<#ty>::new().decode(#parts.body)
            }),
        },
        Some(FieldRole::RetryAfter) => quote_spanned! {span=>
            <#ty as ::apifault::__private::RetryAfterField>::from_hint(
                ::apifault::__private::retry_after(#parts.headers, &#retry_after),
            )
        },
        Some(FieldRole::RequestId) => quote_spanned! {span=>
            <#ty as ::apifault::__private::RequestIdField>::from_id(
                ::apifault::__private::request_id(#parts.headers, &#request_id),
            )
        },
        Some(FieldRole::RateLimit) => quote_spanned! {span=>
            <#ty as ::apifault::__private::RateLimitField>::from_rate_limit(
                ::apifault::__private::rate_limit(#parts.headers),
            )
        },
        Some(FieldRole::Header(name)) => {
            let name = header_static(name);
            match option_inner(ty) {
                Some(inner) => quote_spanned! {inner.span()=>
                    ::apifault::__private::header::<#inner>(#parts.headers, #name)
                },
                None => fallible(quote_spanned! {span=>
                    ::apifault::__private::header::<#ty>(#parts.headers, #name)
                }),
            }
        }
    }
}

/// `Self::Variant { a: <decode a>, 0: <decode 0>, … }`.
fn construct(variant: &Variant<'_>, in_other: bool) -> TokenStream {
    let ident = variant.ident;
    let inits = variant.fields.iter().map(|field| {
        let member = &field.member;
        let value = decode_field(field, in_other);
        quote!(#member: #value)
    });
    quote!(Self::#ident { #(#inits),* })
}

/// `__RETRY_AFTER` and `__REQUEST_ID`: the enum's header names, built at
/// compile time.
fn header_statics(input: &Enum<'_>) -> TokenStream {
    let retry_after_names = match &input.attrs.retry_after {
        Some(names) => names.names.iter().map(header_const).collect(),
        None => vec![quote!(::apifault::__private::HeaderName::from_static(
            "retry-after"
        ))],
    };
    let retry_after_len = retry_after_names.len();
    let request_id_name = match &input.attrs.request_id {
        Some(name) => header_const(name),
        None => quote!(::apifault::__private::HeaderName::from_static(
            "x-request-id"
        )),
    };
    quote! {
        #[allow(dead_code)]
        static __RETRY_AFTER: [::apifault::__private::HeaderName; #retry_after_len] = [#(#retry_after_names),*];
        #[allow(dead_code)]
        static __REQUEST_ID: ::apifault::__private::HeaderName = #request_id_name;
    }
}

/// `impl IntoResponse`, emitted through `if_axum!` so that it exists only
/// with apifault's `axum` feature: the variant's status, its hint, request
/// id, rate-limit and header fields as headers, and its body field (text,
/// bytes or JSON) or else an RFC 9457 problem document.
fn impl_into_response(input: &Enum<'_>) -> TokenStream {
    let ident = input.ident;
    let (impl_generics, ty_generics, _) = input.generics.split_for_impl();
    let where_clause = where_clause(input, false);
    let header_statics = header_statics(input);
    let arms = input.variants.iter().map(|variant| {
        let role_fields: Vec<&Field<'_>> = variant.fields.iter().filter(|f| f.attr.is_some()).collect();
        let members = role_fields.iter().map(|f| &f.member);
        let bindings: Vec<Ident> = role_fields.iter().map(|f| binding(f)).collect();
        let name = variant.ident;
        let fallback = status_lit(input.held_codes(variant).first().copied().unwrap_or(500));
        let new = match (variant.kind(), variant.field("status")) {
            (Kind::Status | Kind::Other, Some(field)) => {
                let ty = field.ty;
                let bound = binding(field);
                let status = quote_spanned!(ty.span()=> ::apifault::__private::status_or_500(
                    <#ty as ::apifault::__private::StatusField>::to_status(#bound)
                ));
                quote!(::apifault::__private::ServerResponse::new(#status, #fallback))
            }
            (Kind::Status | Kind::Other, None) => {
                quote!(::apifault::__private::ServerResponse::new(#fallback, #fallback))
            }
            (Kind::Transport, _) => {
                let status = status_lit(502);
                quote!(::apifault::__private::ServerResponse::internal(#status))
            }
            (Kind::Local, _) => quote!(::apifault::__private::ServerResponse::internal(#fallback)),
        };
        let writes = role_fields.iter().zip(&bindings).map(|(field, bound)| {
            let ty = field.ty;
            match field.role() {
                // Only the trait call is spanned on the field's type: the
                // names defined here keep call-site spans (see `decode_field`).
                Some(FieldRole::RetryAfter) => {
                    let hint = quote_spanned!(ty.span()=> <#ty as ::apifault::__private::RetryAfterField>::hint(#bound));
                    quote!(__response.retry_after(&__RETRY_AFTER, #hint);)
                }
                Some(FieldRole::RequestId) => {
                    let id = quote_spanned!(ty.span()=> <#ty as ::apifault::__private::RequestIdField>::id(#bound));
                    quote!(__response.request_id(&__REQUEST_ID, #id);)
                }
                Some(FieldRole::RateLimit) => {
                    let announced = quote_spanned!(ty.span()=> <#ty as ::apifault::__private::RateLimitField>::rate_limit(#bound));
                    quote!(__response.rate_limit(#announced);)
                }
                Some(FieldRole::Header(header)) => {
                    let header = header_static(header);
                    if option_inner(ty).is_some() {
                        quote!(if let ::core::option::Option::Some(__value) = #bound {
                            __response.header(#header, (&&::apifault::__private::DisplayProbe(__value)).display());
                        })
                    } else {
                        quote!(__response.header(#header, (&&::apifault::__private::DisplayProbe(#bound)).display());)
                    }
                }
                Some(FieldRole::Body) => {
                    if option_inner(ty).is_some() {
                        quote!(match #bound {
                            ::core::option::Option::Some(__value) => {
                                __response.body((&&::apifault::__private::BodyProbe(__value)).render_body());
                            }
                            ::core::option::Option::None => __response.body(::apifault::__private::Rendered::Empty),
                        })
                    } else {
                        quote!(__response.body((&&::apifault::__private::BodyProbe(#bound)).render_body());)
                    }
                }
                Some(FieldRole::Status) | None => TokenStream::new(),
            }
        });
        quote! {
            Self::#name { #(#members: #bindings,)* .. } => {
                let mut __response = #new;
                #(#writes)*
                __response
            }
        }
    });
    let matched = if input.variants.is_empty() {
        quote!(match self {})
    } else {
        quote!(match &self { #(#arms)* })
    };
    quote! {
        ::apifault::__private::if_axum! {
            #[automatically_derived]
            #[allow(deprecated)]
            impl #impl_generics ::apifault::__private::axum_core::response::IntoResponse for #ident #ty_generics #where_clause {
                #[allow(unused_imports, unused_variables, unreachable_code)]
                fn into_response(self) -> ::apifault::__private::axum_core::response::Response {
                    use ::apifault::__private::{ViaDisplay as _, ViaNoDisplay as _, ViaOpaque as _, ViaRaw as _, ViaSerialize as _};
                    #header_statics
                    let __response: ::apifault::__private::ServerResponse = #matched;
                    __response.finish((&&::apifault::__private::DisplayProbe(&self)).display())
                }
            }
        }
    }
}

fn impl_from_response(input: &Enum<'_>, other: &Variant<'_>) -> TokenStream {
    let ident = input.ident;
    let (impl_generics, ty_generics, _) = input.generics.split_for_impl();
    let where_clause = where_clause(input, true);

    let header_statics = header_statics(input);

    // Exact statuses first: a status listed on its own wins over a range.
    let mut exact_arms = Vec::new();
    let mut range_arms = Vec::new();
    for variant in input.variants.iter().filter(|v| v.kind() == Kind::Status) {
        let Some(status) = &variant.attrs.status else {
            continue;
        };
        let build = construct(variant, false);
        let arm_body = quote!('__variant: { ::core::option::Option::Some(#build) });
        let exact: Vec<u16> = status
            .items
            .iter()
            .filter(|i| !i.is_range)
            .map(|i| i.lo as u16)
            .collect();
        if !exact.is_empty() {
            exact_arms.push(quote!(#(#exact)|* => #arm_body,));
        }
        let ranges: Vec<TokenStream> = status
            .items
            .iter()
            .filter(|i| i.is_range)
            .map(|i| {
                let (lo, hi) = (i.lo as u16, i.hi as u16);
                quote!(#lo..=#hi)
            })
            .collect();
        if !ranges.is_empty() {
            range_arms.push(quote!(#(#ranges)|* => #arm_body,));
        }
    }
    let other = construct(other, true);
    let span = Span::call_site();

    quote_spanned! {span=>
        #[automatically_derived]
        #[allow(deprecated)]
        impl #impl_generics ::apifault::__private::FromResponse for #ident #ty_generics #where_clause {
            #[allow(unused_variables, unreachable_code, clippy::match_single_binding)]
            fn from_response(__parts: ::apifault::__private::ResponseParts<'_>) -> Self {
                #[allow(unused_imports)]
                use ::apifault::__private::JsonBody as _;
                #header_statics
                #[allow(unreachable_patterns)]
                let __claimed: ::core::option::Option<Self> = match __parts.status.as_u16() {
                    #(#exact_arms)*
                    #(#range_arms)*
                    _ => ::core::option::Option::None,
                };
                match __claimed {
                    ::core::option::Option::Some(__error) => __error,
                    ::core::option::Option::None => #other,
                }
            }
        }
    }
}
