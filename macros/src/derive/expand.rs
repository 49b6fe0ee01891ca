//! Writes `impl ApiError` and, for an enum with an `other` variant,
//! `impl FromResponse`. Logic lives in `apifault::__private`; this file emits
//! calls to it, with trait checks spanned on the user's field types.

use proc_macro2::{Ident, Span, TokenStream, TokenTree};
use quote::{ToTokens, quote, quote_spanned};
use syn::Type;
use syn::spanned::Spanned;

use super::ast::{Enum, Field, Kind, STATUSES, Variant, default_safe_to_resend, option_inner};
use super::attr::{BodyTest, Condition, FieldRole, HintSource, HintUnit, RetryKind, Role};

/// A name the expansion defines for itself (a local, a label, a static).
/// Mixed-site hygiene keeps locals apart from the user's, and the
/// `__apifault_` prefix keeps clear of their items (a `const __parts` in
/// scope would otherwise turn a binding into a pattern).
fn own(name: &str) -> Ident {
    Ident::new(&format!("__apifault_{name}"), Span::mixed_site())
}

fn own_label(name: &str) -> syn::Lifetime {
    syn::Lifetime::new(&format!("'__apifault_{name}"), Span::mixed_site())
}

pub(crate) fn expand(input: &Enum<'_>) -> TokenStream {
    let api_error = impl_api_error(input);
    let decoding = match input.other() {
        Some(other) => impl_from_response(input, other),
        None => assert_decodable(input),
    };
    quote! {
        #api_error
        #decoding
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
                FieldRole::Body if field.is_xml() => quote!(assert_xml_body),
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
            fn safe_to_resend(&self) -> ::core::primitive::bool {
                ::core::panic!("apifault: #[derive(ApiError)] failed, see the compile errors")
            }
        }
        #from_response
    }
}

fn binding(field: &Field<'_>) -> Ident {
    match &field.member {
        syn::Member::Named(ident) => own(&format!("field_{ident}")),
        syn::Member::Unnamed(index) => own(&format!("field_{}", index.index)),
    }
}

/// `Self::Variant { a: __apifault_field_a, .. }`, binding just `fields`.
fn pattern(variant: &Variant<'_>, fields: &[&Field<'_>]) -> TokenStream {
    let ident = variant.ident;
    let members = fields.iter().map(|f| &f.member);
    let bound = fields.iter().map(|f| binding(f));
    quote!(Self::#ident { #(#members: #bound,)* .. })
}

/// One `match self` with an arm per variant; `body` gets the variant and
/// says which fields its expression reads.
fn match_self<'v>(
    input: &'v Enum<'_>,
    mut body: impl FnMut(&'v Variant<'_>) -> (Vec<&'v Field<'v>>, TokenStream),
) -> TokenStream {
    if input.variants.is_empty() {
        return quote!(match *self {});
    }
    // Arms that read a field stay one per variant; the variants whose
    // answer is a constant share an arm per answer, and the most common
    // answer becomes `_`: rustc checks each answer once, not once per
    // variant (a 200-variant enum compiles in a fraction of the time).
    let mut reading: Vec<(String, TokenStream, Vec<TokenStream>)> = Vec::new();
    let mut constant: Vec<(String, TokenStream, Vec<TokenStream>)> = Vec::new();
    for variant in &input.variants {
        let (fields, value) = body(variant);
        let pat = pattern(variant, &fields);
        // Arms that read fields share an or-pattern when they read them
        // alike: the same answer over bindings of the same names and types.
        let (groups, key) = if fields.is_empty() {
            (&mut constant, value.to_string())
        } else {
            let types = fields.iter().map(|f| {
                let ty = f.ty;
                let name = binding(f);
                quote!(#name: #ty,).to_string()
            });
            (&mut reading, types.chain([value.to_string()]).collect())
        };
        match groups.iter_mut().find(|(k, _, _)| *k == key) {
            Some((_, _, pats)) => pats.push(pat),
            None => groups.push((key, value, vec![pat])),
        }
    }
    let reading: Vec<TokenStream> = reading
        .into_iter()
        .map(|(_, value, pats)| quote!(#(#pats)|* => #value,))
        .collect();
    // A `_` that stands for one variant only would trip clippy's
    // `match_wildcard_for_single_variants`: spell that one out.
    let most = (0..constant.len())
        .max_by_key(|&i| (constant[i].2.len(), usize::MAX - i))
        .filter(|&i| constant[i].2.len() > 1);
    let mut arms = reading;
    let mut wildcard = None;
    for (i, (_, value, pats)) in constant.into_iter().enumerate() {
        if Some(i) == most {
            wildcard = Some(quote!(_ => #value,));
        } else {
            arms.push(quote!(#(#pats)|* => #value,));
        }
    }
    quote!(match self { #(#arms)* #wildcard })
}

fn status_lit(code: u16) -> TokenStream {
    quote!(::apifault::__private::status(#code))
}

fn retry_tokens(kind: RetryKind) -> TokenStream {
    match kind {
        RetryKind::Never => quote!(::apifault::__private::Retry::Never),
        RetryKind::Backoff => quote!(::apifault::__private::Retry::Backoff),
        RetryKind::After => quote!(::apifault::__private::Retry::After),
    }
}

fn to_status(field: &Field<'_>) -> TokenStream {
    let ty = field.ty;
    let bound = binding(field);
    quote_spanned!(ty.span()=> <#ty as ::apifault::__private::StatusField>::to_status(#bound))
}

fn millis_tokens(millis: u64) -> TokenStream {
    quote!(::core::time::Duration::from_millis(#millis))
}

fn impl_api_error(input: &Enum<'_>) -> TokenStream {
    let ident = input.ident;
    let (impl_generics, ty_generics, _) = input.generics.split_for_impl();
    let where_clause = where_clause(input, false);
    let atomic = input.attrs.atomic.is_some();

    let status = match_self(input, |variant| {
        match (variant.kind(), variant.field(Role::Status)) {
            (Kind::Status | Kind::Other, Some(field)) => (vec![field], to_status(field)),
            (Kind::Status, None) => match variant.single_status() {
                Some(code) => {
                    let status = status_lit(code as u16);
                    (vec![], quote!(::core::option::Option::Some(#status)))
                }
                None => (vec![], quote!(::core::option::Option::None)),
            },
            _ => (vec![], quote!(::core::option::Option::None)),
        }
    });

    let retry = match_self(input, |variant| {
        let mut fields = Vec::new();
        let base = match (variant.kind(), variant.field(Role::Status)) {
            _ if variant.attrs.retry.is_some() || input.static_retry(variant).is_some() => {
                retry_tokens(input.static_retry(variant).unwrap_or(RetryKind::Never))
            }
            (Kind::Status | Kind::Other, Some(field)) => {
                fields.push(field);
                let status = to_status(field);
                quote!(::apifault::__private::retry_for(#status))
            }
            (Kind::Transport, _) => match variant.transport_field() {
                Some(field) => {
                    fields.push(field);
                    transport_call(input, field, "retry")
                }
                None => quote!(::apifault::__private::Retry::Backoff),
            },
            _ => quote!(::apifault::__private::Retry::Never),
        };
        match variant.field(Role::ShouldRetry) {
            Some(field) => {
                fields.push(field);
                let ty = field.ty;
                let bound = binding(field);
                let said = quote_spanned!(ty.span()=> <#ty as ::apifault::__private::ShouldRetryField>::said(#bound));
                (
                    fields,
                    quote!(::apifault::__private::obey_server(#base, #said)),
                )
            }
            None => (fields, base),
        }
    });

    let retry_after = input
        .variants
        .iter()
        .any(|v| v.field(Role::RetryAfter).is_some() || v.attrs.default_wait.is_some())
        .then(|| {
            let arms = match_self(input, |variant| {
                let default = variant
                    .attrs
                    .default_wait
                    .as_ref()
                    .and_then(|w| w.millis)
                    .map(millis_tokens);
                match (variant.field(Role::RetryAfter), default) {
                    (Some(field), default) => {
                        let ty = field.ty;
                        let bound = binding(field);
                        let hint = quote_spanned!(ty.span()=> <#ty as ::apifault::__private::RetryAfterField>::hint(#bound));
                        let value = match default {
                            Some(default) => quote!(::apifault::__private::hint_or(#hint, #default)),
                            None => hint,
                        };
                        (vec![field], value)
                    }
                    (None, Some(default)) => (vec![], quote!(::core::option::Option::Some(#default))),
                    (None, None) => (vec![], quote!(::core::option::Option::None)),
                }
            });
            quote! {
                fn retry_after(&self) -> ::core::option::Option<::core::time::Duration> {
                    #arms
                }
            }
        });

    let request_id = input
        .variants
        .iter()
        .any(|v| v.field(Role::RequestId).is_some())
        .then(|| {
            let arms = match_self(input, |variant| match variant.field(Role::RequestId) {
                Some(field) => {
                    let ty = field.ty;
                    let bound = binding(field);
                    (
                        vec![field],
                        quote_spanned!(ty.span()=> <#ty as ::apifault::__private::RequestIdField>::id(#bound)),
                    )
                }
                None => (vec![], quote!(::core::option::Option::None)),
            });
            quote! {
                fn request_id(&self) -> ::core::option::Option<&::core::primitive::str> {
                    #arms
                }
            }
        });

    let safe_to_resend = match_self(input, |variant| {
        match (variant.kind(), variant.field(Role::Status)) {
            (Kind::Status | Kind::Other, _) if atomic => (vec![], quote!(true)),
            (Kind::Status | Kind::Other, Some(field)) => {
                let status = to_status(field);
                (
                    vec![field],
                    quote!(::apifault::__private::safe_status(#status)),
                )
            }
            (Kind::Status, None) => {
                let codes = input.held_codes(variant);
                let safe = !codes.is_empty()
                    && codes
                        .into_iter()
                        .all(|c| default_safe_to_resend(u64::from(c)));
                (vec![], quote!(#safe))
            }
            (Kind::Other, None) => (vec![], quote!(false)),
            (Kind::Transport, _) => match variant.transport_field() {
                Some(field) => (vec![field], transport_call(input, field, "safe_to_resend")),
                None => (vec![], quote!(false)),
            },
            (Kind::Local, _) => (vec![], quote!(true)),
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
            #retry_after
            #request_id
            fn safe_to_resend(&self) -> ::core::primitive::bool {
                #safe_to_resend
            }
        }
    }
}

/// Asks the transport error field: through `TransportError` when its type
/// is generic (the impl is then bounded by it), else by autoref dispatch,
/// which falls back to "backoff, not safe" for types without the trait.
fn transport_call(input: &Enum<'_>, field: &Field<'_>, method: &str) -> TokenStream {
    let ty = field.ty;
    let bound = &binding(field);
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
            // Every role is named: a new one cannot lose its bound to a
            // wildcard.
            let (ty, bound) = match field.role() {
                Some(FieldRole::Status) => (field.ty, quote!(::apifault::__private::StatusField)),
                Some(FieldRole::RetryAfter) => {
                    (field.ty, quote!(::apifault::__private::RetryAfterField))
                }
                Some(FieldRole::RequestId) => {
                    (field.ty, quote!(::apifault::__private::RequestIdField))
                }
                Some(FieldRole::ShouldRetry) => {
                    (field.ty, quote!(::apifault::__private::ShouldRetryField))
                }
                // Decoding fills it and serving reads it.
                Some(FieldRole::RateLimit) => {
                    (field.ty, quote!(::apifault::__private::RateLimitField))
                }
                Some(FieldRole::Body) if !from_response => continue,
                Some(FieldRole::Body) => match option_inner(field.ty) {
                    Some(inner) => (inner, quote!(::apifault::__private::DeserializeOwned)),
                    None if variant.kind() == Kind::Other => {
                        (field.ty, quote!(::apifault::__private::OtherBody))
                    }
                    None => (field.ty, quote!(::apifault::__private::DeserializeOwned)),
                },
                Some(FieldRole::Header(_)) if !from_response => continue,
                Some(FieldRole::Header(_)) => (
                    option_inner(field.ty).unwrap_or(field.ty),
                    quote!(::core::str::FromStr),
                ),
                None if from_response && decoded => (field.ty, quote!(::core::default::Default)),
                None if !from_response
                    && variant.kind() == Kind::Transport
                    && variant
                        .transport_field()
                        .is_some_and(|f| f.member == field.member) =>
                {
                    (field.ty, quote!(::apifault::__private::TransportError))
                }
                None => continue,
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
fn header_const(name: &str, span: Span) -> TokenStream {
    let lower = syn::LitStr::new(&name.to_ascii_lowercase(), span);
    quote!(::apifault::__private::HeaderName::from_static(#lower))
}

/// A reference to a header name in a `static`, so that it is checked and
/// built once, at compile time.
fn header_static(name: &str, span: Span) -> TokenStream {
    let name = header_const(name, span);
    let header = own("HEADER");
    quote!({
        static #header: ::apifault::__private::HeaderName = #name;
        &#header
    })
}

fn unit_tokens(unit: HintUnit) -> TokenStream {
    let unit = match unit {
        HintUnit::Plain => quote!(Plain),
        HintUnit::Secs => quote!(Secs),
        HintUnit::Ms => quote!(Ms),
        HintUnit::Unix => quote!(Unix),
        HintUnit::Timestamp => quote!(Timestamp),
        HintUnit::Duration => quote!(Duration),
    };
    quote!(::apifault::__private::HintUnit::#unit)
}

/// One hint source as a `Hint` constant.
fn hint_tokens(source: &HintSource) -> TokenStream {
    match source {
        HintSource::At { unit, lit } => {
            let unit = unit_tokens(*unit);
            let text = lit.value();
            if text.starts_with('/') {
                quote!(::apifault::__private::Hint::body(#unit, #lit))
            } else {
                let name = header_const(&text, lit.span());
                quote!(::apifault::__private::Hint::header(#unit, #name))
            }
        }
        HintSource::Function(path) => {
            quote_spanned!(path.span()=> ::apifault::__private::Hint::function(#path))
        }
    }
}

/// A static list of hint sources (a variant's or the enum's).
fn hint_list(sources: &[HintSource]) -> TokenStream {
    let hints = sources.iter().map(hint_tokens);
    let len = sources.len();
    let list = own("HINTS");
    quote!({
        static #list: [::apifault::__private::Hint; #len] = [#(#hints),*];
        &#list
    })
}

/// The hint sources of `variant`: its own `retry_after = …`, else the enum's.
fn retry_after_sources(variant: &Variant<'_>) -> TokenStream {
    match &variant.attrs.retry_after {
        Some(sources) => hint_list(&sources.sources),
        None => {
            let names = own("RETRY_AFTER");
            quote!(&#names)
        }
    }
}

/// The expression decoding one field; for a fallible one in a claimed
/// variant, a failure leaves the variant's block with `None`, sending the
/// response to the `other` variant.
fn decode_field(
    variant: &Variant<'_>,
    field: &Field<'_>,
    in_other: bool,
    has_rate_limit_spec: bool,
) -> TokenStream {
    let ty = field.ty;
    let span = ty.span();
    // Names the generated code defines itself keep their own spans, even
    // inside expressions spanned on the user's type, so that they resolve
    // when the enum is written by a `macro_rules!`.
    let parts = own("parts");
    let label = own_label("variant");
    let value = own("value");
    let request_id = own("REQUEST_ID");
    let should_retry = own("SHOULD_RETRY");
    let fallible = |expr: TokenStream| {
        quote_spanned! {span=>
            match #expr {
                ::core::option::Option::Some(#value) => #value,
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
            Some(inner) => {
                let body = own("body");
                let decode = decode_body(field, inner, &body);
                quote_spanned! {inner.span()=>
                    ::apifault::__private::non_empty(#parts.body)
                        .and_then(|#body| #decode)
                }
            }
            None if in_other => quote_spanned! {span=>
                <#ty as ::apifault::__private::OtherBody>::decode_any(#parts.body)
            },
            None => fallible(decode_body(field, ty, &quote!(#parts.body))),
        },
        Some(FieldRole::RetryAfter) => {
            let sources = retry_after_sources(variant);
            quote_spanned! {span=>
                <#ty as ::apifault::__private::RetryAfterField>::from_hint(
                    ::apifault::__private::hint(&#parts, #sources),
                )
            }
        }
        Some(FieldRole::RequestId) => quote_spanned! {span=>
            <#ty as ::apifault::__private::RequestIdField>::from_id(
                ::apifault::__private::request_id(#parts.headers, &#request_id),
            )
        },
        Some(FieldRole::RateLimit) => {
            let read = if has_rate_limit_spec {
                let spec = own("RATE_LIMIT");
                quote!(::apifault::__private::rate_limit_with(#parts.headers, &#spec))
            } else {
                quote!(::apifault::__private::rate_limit(#parts.headers))
            };
            quote_spanned! {span=>
                <#ty as ::apifault::__private::RateLimitField>::from_rate_limit(#read)
            }
        }
        Some(FieldRole::ShouldRetry) => quote_spanned! {span=>
            <#ty as ::apifault::__private::ShouldRetryField>::from_said(
                ::apifault::__private::should_retry(#parts.headers, &#should_retry),
            )
        },
        Some(FieldRole::Header(name)) => {
            let name = header_static(&name.value(), name.span());
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

/// Decodes `bytes` into a body field of type `ty`: `Body`'s dispatch for
/// JSON (`String` and `Vec<u8>` kept raw), `XmlBody`'s for `body(xml)`.
fn decode_body(field: &Field<'_>, ty: &Type, bytes: &impl ToTokens) -> TokenStream {
    if field.is_xml() {
        quote_spanned! {ty.span()=> {
            #[allow(unused_imports)]
            use ::apifault::__private::XmlBody as _;
            ::apifault::__private::Body::<#ty>::new().decode_xml(#bytes)
        }}
    } else {
        quote_spanned! {ty.span()=> ::apifault::__private::Body::<#ty>::new().decode(#bytes)}
    }
}

/// Whether decoding a claimed variant may fail: a typed body or a header
/// that is not an `Option` (which send the response to `other` instead).
fn can_fail(variant: &Variant<'_>) -> bool {
    variant.fields.iter().any(|field| {
        matches!(field.role(), Some(FieldRole::Body | FieldRole::Header(_)))
            && option_inner(field.ty).is_none()
    })
}

/// `Self::Variant { a: <decode a>, 0: <decode 0>, … }`.
fn construct(input: &Enum<'_>, variant: &Variant<'_>, in_other: bool) -> TokenStream {
    let ident = variant.ident;
    let spec = input.attrs.rate_limit.is_some();
    let inits = variant.fields.iter().map(|field| {
        let member = &field.member;
        let value = decode_field(variant, field, in_other, spec);
        quote!(#member: #value)
    });
    quote!(Self::#ident { #(#inits),* })
}

/// The enum's header names (hints, request id, the server's retry
/// decision), built at compile time, and its code pointers.
fn header_statics(input: &Enum<'_>) -> TokenStream {
    let retry_after_hints: Vec<TokenStream> = match &input.attrs.retry_after {
        Some(sources) => sources.sources.iter().map(hint_tokens).collect(),
        None => {
            let name = header_const("retry-after", Span::call_site());
            vec![
                quote!(::apifault::__private::Hint::header(::apifault::__private::HintUnit::Plain, #name)),
            ]
        }
    };
    let retry_after_len = retry_after_hints.len();
    let request_id_name = match &input.attrs.request_id {
        Some(name) => header_const(&name.value(), name.span()),
        None => header_const("x-request-id", Span::call_site()),
    };
    let should_retry_name = match &input.attrs.should_retry {
        Some(name) => header_const(&name.value(), name.span()),
        None => header_const("x-should-retry", Span::call_site()),
    };
    let (retry_after, request_id, should_retry) =
        (own("RETRY_AFTER"), own("REQUEST_ID"), own("SHOULD_RETRY"));
    let rate_limit = input.attrs.rate_limit.as_ref().map(|spec| {
        let name = |lit: &Option<syn::LitStr>| match lit {
            Some(lit) => {
                let name = header_const(&lit.value(), lit.span());
                quote!(::core::option::Option::Some(#name))
            }
            None => quote!(::core::option::Option::None),
        };
        let (limit, remaining, used) = (name(&spec.limit), name(&spec.remaining), name(&spec.used));
        let reset = match &spec.reset {
            Some(source) => {
                let hint = hint_tokens(source);
                quote!(::core::option::Option::Some(#hint))
            }
            None => quote!(::core::option::Option::None),
        };
        let static_name = own("RATE_LIMIT");
        quote! {
            #[allow(dead_code)]
            static #static_name: ::apifault::__private::RateLimitSpec = ::apifault::__private::RateLimitSpec {
                limit: #limit,
                remaining: #remaining,
                reset: #reset,
                used: #used,
            };
        }
    });
    quote! {
        #[allow(dead_code)]
        static #retry_after: [::apifault::__private::Hint; #retry_after_len] = [#(#retry_after_hints),*];
        #[allow(dead_code)]
        static #request_id: ::apifault::__private::HeaderName = #request_id_name;
        #[allow(dead_code)]
        static #should_retry: ::apifault::__private::HeaderName = #should_retry_name;
        #rate_limit
    }
}

/// `derive(IntoResponse)` next to `derive(ApiError)`: a check, spanned on
/// the enum's name, that the enum implements `ApiError`.
pub(crate) fn requires_api_error(input: &syn::DeriveInput) -> TokenStream {
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    quote_spanned! {ident.span()=>
        const _: () = {
            fn __apifault_requires_api_error #impl_generics () #where_clause {
                ::apifault::__private::derive_api_error_too::<#ident #ty_generics>();
            }
        };
    }
}

/// `impl IntoResponse`, for an enum that asks for it with
/// `#[derive(apifault::IntoResponse)]`: the variant's status, its hint, request
/// id, rate-limit and header fields as headers, its body field (text,
/// bytes or JSON) or else an RFC 9457 problem document, and what its
/// conditions test (a header's value, the error code at the enum's code
/// pointer) so that the response decodes back to the same variant.
pub(crate) fn impl_into_response(input: &Enum<'_>) -> TokenStream {
    let ident = input.ident;
    let (impl_generics, ty_generics, _) = input.generics.split_for_impl();
    let where_clause = where_clause(input, false);
    let header_statics = header_statics(input);
    let response = own("response");
    let value = own("value");
    let request_id_name = own("REQUEST_ID");
    let should_retry_name = own("SHOULD_RETRY");
    let arms = input.variants.iter().map(|variant| {
        let role_fields: Vec<&Field<'_>> = variant.fields.iter().filter(|f| f.attr.is_some()).collect();
        let pat = pattern(variant, &role_fields);
        let fallback = status_lit(input.held_codes(variant).first().copied().unwrap_or(500));
        let new = match (variant.kind(), variant.field(Role::Status)) {
            (Kind::Status | Kind::Other, Some(field)) => {
                let status = to_status(field);
                quote!(::apifault::__private::ServerResponse::new(
                    ::apifault::__private::status_or_500(#status), #fallback))
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
        let writes = role_fields.iter().map(|field| {
            let ty = field.ty;
            let bound = binding(field);
            match field.role() {
                // Only the trait call is spanned on the field's type: the
                // names defined here keep their own spans (see `decode_field`).
                Some(FieldRole::RetryAfter) => {
                    let hint = quote_spanned!(ty.span()=> <#ty as ::apifault::__private::RetryAfterField>::hint(#bound));
                    let sources = retry_after_sources(variant);
                    quote!(#response.hint(#sources, #hint);)
                }
                Some(FieldRole::RequestId) => {
                    let id = quote_spanned!(ty.span()=> <#ty as ::apifault::__private::RequestIdField>::id(#bound));
                    quote!(#response.request_id(&#request_id_name, #id);)
                }
                Some(FieldRole::RateLimit) => {
                    let announced = quote_spanned!(ty.span()=> <#ty as ::apifault::__private::RateLimitField>::rate_limit(#bound));
                    if input.attrs.rate_limit.is_some() {
                        let spec = own("RATE_LIMIT");
                        quote!(#response.rate_limit_as(&#spec, #announced);)
                    } else {
                        quote!(#response.rate_limit(#announced);)
                    }
                }
                Some(FieldRole::ShouldRetry) => {
                    let said = quote_spanned!(ty.span()=> <#ty as ::apifault::__private::ShouldRetryField>::said(#bound));
                    quote!(#response.should_retry(&#should_retry_name, #said);)
                }
                Some(FieldRole::Header(header)) => {
                    let header = header_static(&header.value(), header.span());
                    if option_inner(ty).is_some() {
                        quote!(if let ::core::option::Option::Some(#value) = #bound {
                            #response.header(#header, (&&::apifault::__private::DisplayProbe(#value)).display());
                        })
                    } else {
                        quote!(#response.header(#header, (&&::apifault::__private::DisplayProbe(#bound)).display());)
                    }
                }
                Some(FieldRole::Body) => {
                    let render = |value: &Ident| if field.is_xml() {
                        quote!({
                            use ::apifault::__private::{XmlViaOpaque as _, XmlViaRaw as _, XmlViaSerialize as _};
                            (&&::apifault::__private::XmlProbe(#value)).render_xml()
                        })
                    } else {
                        quote!((&&::apifault::__private::BodyProbe(#value)).render_body())
                    };
                    if option_inner(ty).is_some() {
                        let rendered = render(&value);
                        quote!(match #bound {
                            ::core::option::Option::Some(#value) => {
                                #response.body(#rendered);
                            }
                            ::core::option::Option::None => #response.body(::apifault::__private::Rendered::Empty),
                        })
                    } else {
                        let rendered = render(&bound);
                        quote!(#response.body(#rendered);)
                    }
                }
                Some(FieldRole::Status) | None => TokenStream::new(),
            }
        });
        let conditions = serve_conditions(input, variant);
        quote! {
            #pat => {
                let mut #response = #new;
                #(#writes)*
                #conditions
                #response
            }
        }
    });
    let matched = if input.variants.is_empty() {
        quote!(match self {})
    } else {
        quote!(match &self { #(#arms)* })
    };
    quote! {
        #[automatically_derived]
        #[allow(deprecated)]
        impl #impl_generics ::apifault::__private::axum_core::response::IntoResponse for #ident #ty_generics #where_clause {
            #[allow(unused_imports, unused_variables, unreachable_code)]
            fn into_response(self) -> ::apifault::__private::axum_core::response::Response {
                use ::apifault::__private::{ViaDisplay as _, ViaNoDisplay as _, ViaOpaque as _, ViaRaw as _, ViaSerialize as _};
                #header_statics
                let #response: ::apifault::__private::ServerResponse = #matched;
                #response.finish((&&::apifault::__private::DisplayProbe(&self)).display())
            }
        }
    }
}

/// What a served variant writes so that its conditions hold again when the
/// response is decoded: a header condition's declared value, and the first
/// code at the first code pointer when the variant has no body field of its
/// own. A presence-only header is written by the field that fills it, if
/// any; a predicate cannot be written back.
fn serve_conditions(input: &Enum<'_>, variant: &Variant<'_>) -> TokenStream {
    let response = own("response");
    let has_body = variant.field(Role::Body).is_some();
    // A variant standing for a 2xx is an error only where the body says so.
    let error_2xx = input.attrs.error_2xx.as_ref().filter(|_| {
        !has_body
            && input
                .held_codes(variant)
                .iter()
                .any(|code| (200..=299).contains(code))
    });
    let error_2xx = error_2xx.map(|error| {
        let (pointer, value) = body_test_tokens(&error.body);
        quote!(#response.body_at(#pointer, #value);)
    });
    let Some(when) = &variant.attrs.when else {
        return quote!(#error_2xx);
    };
    let writes = when
        .conditions
        .iter()
        .filter_map(|condition| match condition {
            Condition::Header {
                lit,
                name,
                value: Some(value),
            } => {
                let header = header_static(name, lit.span());
                Some(quote!(#response.condition_header(#header, #value);))
            }
            Condition::Code { codes, .. } if !has_body => {
                let pointer = input.attrs.code.as_ref()?.pointers.first()?;
                let code = codes.first()?;
                Some(quote!(#response.code_at(#pointer, #code);))
            }
            Condition::Body(test) if !has_body => {
                let (pointer, value) = body_test_tokens(test);
                Some(quote!(#response.body_at(#pointer, #value);))
            }
            _ => None,
        });
    quote!(#error_2xx #(#writes)*)
}

/// The test of one `when(...)` condition on the response being decoded.
fn condition_test(input: &Enum<'_>, condition: &Condition) -> TokenStream {
    let parts = own("parts");
    let json = own("json");
    match condition {
        Condition::Header { lit, name, value } => {
            let header = header_static(name, lit.span());
            match value {
                Some(value) => {
                    quote!(::apifault::__private::header_is(#parts.headers, #header, #value))
                }
                None => quote!(#parts.headers.contains_key(#header)),
            }
        }
        Condition::Code { codes, .. } => {
            let pointers = input.attrs.code.iter().flat_map(|c| &c.pointers);
            quote!(#json.code_is(&[#(#pointers),*], &[#(#codes),*]))
        }
        Condition::Body(test) => {
            let (pointer, value) = body_test_tokens(test);
            quote!(#json.holds(#pointer, #value))
        }
        Condition::Predicate(path) => {
            let when = own("when");
            quote_spanned! {path.span()=>
                {
                    let #when: fn(&::apifault::__private::ResponseParts<'_>) -> ::core::primitive::bool = #path;
                    #when(&#parts)
                }
            }
        }
    }
}

/// A body test's pointer and `Option<&str>` value as tokens.
fn body_test_tokens(test: &BodyTest) -> (TokenStream, TokenStream) {
    let pointer = syn::LitStr::new(&test.pointer, test.lit.span());
    let value = match &test.value {
        Some(value) => {
            let value = syn::LitStr::new(value, test.lit.span());
            quote!(::core::option::Option::Some(#value))
        }
        None => quote!(::core::option::Option::None),
    };
    (quote!(#pointer), value)
}

/// `if <all conditions of variant> { break 'pick index; }`.
fn try_variant(input: &Enum<'_>, index: usize) -> TokenStream {
    let pick = own_label("pick");
    let tests: Vec<TokenStream> = input.variants[index]
        .attrs
        .when
        .iter()
        .flat_map(|w| &w.conditions)
        .map(|c| condition_test(input, c))
        .collect();
    quote!(if #(#tests)&&* { break #pick #index; })
}

/// Statuses with the same claims, as match patterns: runs of consecutive
/// codes become ranges.
fn status_patterns(codes: &[u16]) -> TokenStream {
    let mut patterns = Vec::new();
    let mut i = 0;
    while i < codes.len() {
        let mut j = i;
        while j + 1 < codes.len() && codes[j + 1] == codes[j] + 1 {
            j += 1;
        }
        let (lo, hi) = (codes[i], codes[j]);
        patterns.push(if lo == hi {
            quote!(#lo)
        } else {
            quote!(#lo..=#hi)
        });
        i = j + 1;
    }
    quote!(#(#patterns)|*)
}

/// Groups statuses by what `key` says of them (skipping `None`), in order of
/// first appearance.
fn group_by<K: PartialEq + Clone>(key: impl Fn(usize) -> Option<K>) -> Vec<(K, Vec<u16>)> {
    let mut groups: Vec<(K, Vec<u16>)> = Vec::new();
    let slots = (STATUSES.end() - STATUSES.start() + 1) as usize;
    for slot in 0..slots {
        let Some(k) = key(slot) else { continue };
        let code = (slot as u64 + STATUSES.start()) as u16;
        match groups.iter_mut().find(|(g, _)| *g == k) {
            Some((_, codes)) => codes.push(code),
            None => groups.push((k, vec![code])),
        }
    }
    groups
}

fn impl_from_response(input: &Enum<'_>, other: &Variant<'_>) -> TokenStream {
    let ident = input.ident;
    let (impl_generics, ty_generics, _) = input.generics.split_for_impl();
    let where_clause = where_clause(input, true);
    let header_statics = header_statics(input);
    let claims = &input.claims;
    let (parts, pick, claimed, label) = (
        own("parts"),
        own_label("pick"),
        own("claimed"),
        own_label("variant"),
    );
    let rate_limit_static = own("RATE_LIMIT");
    let status = quote!(#parts.status.as_u16());

    // 1. Conditional variants, by status then status-less.
    let conditional_arms = group_by(|slot| {
        let list = &claims.conditional[slot];
        (!list.is_empty()).then(|| list.clone())
    })
    .into_iter()
    .map(|(list, codes)| {
        let patterns = status_patterns(&codes);
        let tries = list.iter().map(|&index| try_variant(input, index));
        quote!(#patterns => { #(#tries)* })
    })
    .collect::<Vec<_>>();
    let conditional = (!conditional_arms.is_empty()).then(|| {
        quote! {
            match #status {
                #(#conditional_arms)*
                _ => {}
            }
        }
    });
    let statusless = (!claims.statusless.is_empty()).then(|| {
        let tries = claims
            .statusless
            .iter()
            .map(|&index| try_variant(input, index));
        quote! {
            if !#parts.status.is_success() {
                #(#tries)*
            }
        }
    });
    // 2. Unconditional variants: exact claims already beat ranges in the table.
    let none = input.variants.len();
    let unconditional_arms =
        group_by(|slot| claims.unconditional[slot])
            .into_iter()
            .map(|(index, codes)| {
                let patterns = status_patterns(&codes);
                quote!(#patterns => #index,)
            });
    let choose = quote! {
        match #status {
            #(#unconditional_arms)*
            _ => #none,
        }
    };
    let pick_value = if conditional.is_none() && statusless.is_none() {
        choose
    } else {
        quote!(#pick: {
            #conditional
            #statusless
            #choose
        })
    };
    let json = own("json");
    let code_reader = input
        .variants
        .iter()
        .flat_map(|v| v.attrs.when.iter())
        .flat_map(|w| &w.conditions)
        .any(|c| matches!(c, Condition::Code { .. } | Condition::Body(_)))
        .then(|| quote!(let mut #json = ::apifault::__private::Json::new(#parts.body);));
    let is_error = input.attrs.error_2xx.as_ref().map(|error| {
        let (pointer, value) = body_test_tokens(&error.body);
        quote! {
            fn is_error(#parts: &::apifault::__private::ResponseParts<'_>) -> ::core::primitive::bool {
                ::apifault::__private::error_in_2xx(#parts, #pointer, #value)
            }
            const ERRORS_IN_2XX: ::core::primitive::bool = true;
        }
    });
    let rate_limit_fn = input.attrs.rate_limit.is_some().then(|| {
        let headers = own("headers");
        quote! {
            fn rate_limit(#headers: &::apifault::__private::HeaderMap) -> ::core::option::Option<::apifault::__private::RateLimit> {
                #header_statics
                ::apifault::__private::rate_limit_with(#headers, &#rate_limit_static)
            }
        }
    });

    let decode_arms = input
        .variants
        .iter()
        .enumerate()
        .filter(|(_, v)| v.kind() == Kind::Status)
        .map(|(index, variant)| {
            let build = construct(input, variant, false);
            // Only a variant with a field that may fail to decode needs the
            // block its failure breaks out of.
            if can_fail(variant) {
                quote!(#index => #label: { ::core::option::Option::Some(#build) },)
            } else {
                quote!(#index => ::core::option::Option::Some(#build),)
            }
        });
    let other = construct(input, other, true);
    let pick_var = own("pick");
    let error = own("error");

    quote! {
        #[automatically_derived]
        #[allow(deprecated)]
        impl #impl_generics ::apifault::__private::FromResponse for #ident #ty_generics #where_clause {
            #[allow(unused_variables, unreachable_code, unreachable_patterns, unused_mut, clippy::match_single_binding)]
            fn from_response(#parts: ::apifault::__private::ResponseParts<'_>) -> Self {
                #[allow(unused_imports)]
                use ::apifault::__private::JsonBody as _;
                #header_statics
                #code_reader
                let #pick_var: ::core::primitive::usize = #pick_value;
                #[allow(unreachable_patterns)]
                let #claimed: ::core::option::Option<Self> = match #pick_var {
                    #(#decode_arms)*
                    _ => ::core::option::Option::None,
                };
                match #claimed {
                    ::core::option::Option::Some(#error) => #error,
                    ::core::option::Option::None => #other,
                }
            }
            #is_error
            #rate_limit_fn
        }
    }
}
