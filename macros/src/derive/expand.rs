//! Writes `impl ApiError` and, for an enum with an `other` variant,
//! `impl FromResponse`, inside one `const _: () = { … };` scope that reaches
//! the runtime through one alias, `use ::apifault::__private as
//! __apifault;`, and names the runtime's version first.
//!
//! The expansion is kept lean, because rustc checks and compiles every
//! token of it in the user's crate:
//! - what a variant answers whatever its fields hold (its status, retry and
//!   resend facts) is one number per variant in one `match`, read by
//!   non-generic runtime functions; a method has its own arms only for the
//!   variants whose answer reads a field;
//! - `retry_after` and `request_id` are written only when some variant has
//!   something to say, as the trait's defaults serve the rest;
//! - which variant claims a response is data (`__apifault::Claims`),
//!   resolved by one runtime function, `pick`; the generated `match` on its
//!   answer only builds the chosen variant, and variants whose fields
//!   decode alike (same names, types and roles) share that decoding.
//!
//! Logic lives in `apifault::__private`; trait checks are spanned on the
//! user's field types.

use proc_macro2::{Ident, Literal, Span, TokenStream, TokenTree};
use quote::{ToTokens, quote, quote_spanned};
use syn::Type;
use syn::spanned::Spanned;

use super::ast::{Enum, Field, Kind, Variant, default_safe_to_resend, option_inner};
use super::attr::{BodyTest, Condition, FieldRole, HintSource, HintUnit, RetryKind, Role};

/// The version of `apifault::__private` this expansion is written for: it
/// must equal `apifault::__private::VERSION`, which the expansion checks.
const RUNTIME_VERSION: u32 = 1;

/// A name the expansion defines for itself (a local, a static, a helper).
/// Mixed-site hygiene keeps locals apart from the user's, and the
/// `__apifault_` prefix keeps clear of their items (a `const __parts` in
/// scope would otherwise turn a binding into a pattern).
fn own(name: &str) -> Ident {
    Ident::new(&format!("__apifault_{name}"), Span::mixed_site())
}

/// The alias of `::apifault::__private` inside the expansion's scope, for
/// paths written inside tokens spanned on the user's code (plain `quote!`
/// writes `__apifault` itself).
fn rt() -> Ident {
    Ident::new("__apifault", Span::call_site())
}

/// `const _: () = { use ::apifault::__private as __apifault; <check>; body };`
fn scope(body: TokenStream) -> TokenStream {
    let version = Literal::u32_unsuffixed(RUNTIME_VERSION);
    quote! {
        const _: () = {
            use ::apifault::__private as __apifault;
            __apifault::check_version::<__apifault::Expansion<#version>>();
            #body
        };
    }
}

fn lit_u16(value: u16) -> Literal {
    Literal::u16_unsuffixed(value)
}

pub(crate) fn expand(input: &Enum<'_>) -> TokenStream {
    let api_error = impl_api_error(input);
    let decoding = match input.other() {
        Some(other) => impl_from_response(input, other),
        None => assert_decodable(input),
    };
    scope(quote! {
        #api_error
        #decoding
    })
}

/// Without an `other` variant there is no `FromResponse` impl to type-check
/// the fields only decoding uses; check them anyway, so that a `body` that
/// cannot be deserialized is an error whether or not the enum decodes yet.
/// Fields whose types involve the enum's parameters are bounded where used.
fn assert_decodable(input: &Enum<'_>) -> TokenStream {
    let params = type_params(input);
    let a = rt();
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
                        quote_spanned!(field.ty_span()=> let _ = <#ty as #a::RateLimitField>::rate_limit;)
                    });
                }
                _ => return None,
            };
            (!mentions_param(ty, &params))
                .then(|| quote_spanned!(ty.span()=> #a::#check::<#ty>();))
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
    if variant.unit {
        return quote!(Self::#ident);
    }
    let members = fields.iter().map(|f| &f.member);
    let bound = fields.iter().map(|f| binding(f));
    quote!(Self::#ident { #(#members: #bound,)* .. })
}

/// The tokens of an answer, written only for the first variant of the
/// arm that gives it (the others join its pattern).
type Value<'v> = Box<dyn FnOnce() -> TokenStream + 'v>;

/// What one method answers for one variant.
enum Answer<'v> {
    /// An expression reading `fields` (bound by the arm's pattern); `key`
    /// tells equal arms apart, so that they share one or-pattern.
    Reads {
        fields: Vec<&'v Field<'v>>,
        value: Value<'v>,
        key: String,
    },
    /// The same whatever the variant holds: `value`, told apart by `key`.
    Constant { value: Value<'v>, key: String },
    /// Read from the variant's packed facts (see [`facts`]).
    Fact,
}

impl<'v> Answer<'v> {
    fn reads(
        fields: Vec<&'v Field<'v>>,
        kind: &str,
        value: impl FnOnce() -> TokenStream + 'v,
    ) -> Self {
        // Arms read alike when they bind fields of the same names and
        // types and compute the same kind of answer from them.
        let mut key = String::from(kind);
        for field in &fields {
            key.push('|');
            match &field.member {
                syn::Member::Named(ident) => key.push_str(&ident.to_string()),
                syn::Member::Unnamed(index) => key.push_str(&index.index.to_string()),
            }
            key.push(':');
            key.push_str(field.ty_text());
        }
        Answer::Reads {
            fields,
            value: Box::new(value),
            key,
        }
    }

    fn constant(key: impl Into<String>, value: impl FnOnce() -> TokenStream + 'v) -> Self {
        Answer::Constant {
            value: Box::new(value),
            key: key.into(),
        }
    }
}

/// One `match self` over the answers of `answer` for every variant: arms
/// that read fields are one per distinct reading (equal ones share an
/// or-pattern); constant answers share an arm per answer, the most common
/// one as `_`; answers read from the facts go to one `_` arm calling
/// `fact` on them.
fn match_self<'v>(
    input: &'v Enum<'_>,
    fact: Option<TokenStream>,
    mut answer: impl FnMut(&'v Variant<'v>) -> Answer<'v>,
) -> TokenStream {
    type Group<'v> = (
        String,
        TokenStream,
        Vec<(&'v Variant<'v>, Vec<&'v Field<'v>>)>,
    );
    if input.variants.is_empty() {
        return quote!(match *self {});
    }
    let mut reading: Vec<Group<'v>> = Vec::new();
    let mut constant: Vec<Group<'v>> = Vec::new();
    let mut from_facts = 0usize;
    for variant in &input.variants {
        let (groups, key, value, fields) = match answer(variant) {
            Answer::Reads { fields, value, key } => (&mut reading, key, value, fields),
            Answer::Constant { value, key } => (&mut constant, key, value, Vec::new()),
            Answer::Fact => {
                from_facts += 1;
                continue;
            }
        };
        match groups.iter_mut().find(|(k, _, _)| *k == key) {
            Some((_, _, members)) => members.push((variant, fields)),
            None => groups.push((key, value(), vec![(variant, fields)])),
        }
    }
    if reading.is_empty() && constant.is_empty() {
        return fact.unwrap_or_default();
    }
    // Patterns are written only for the arms that are not `_`.
    let arm = |(_, value, members): Group<'v>| {
        let pats = members
            .iter()
            .map(|(variant, fields)| pattern(variant, fields));
        quote!(#(#pats)|* => #value,)
    };
    let mut arms: Vec<TokenStream> = reading.into_iter().map(arm).collect();
    let wildcard = if from_facts > 0 {
        arms.extend(constant.into_iter().map(arm));
        Some(quote!(_ => #fact,))
    } else {
        // A `_` that stands for one variant only would trip clippy's
        // `match_wildcard_for_single_variants`: spell that one out.
        let most = (0..constant.len())
            .max_by_key(|&i| (constant[i].2.len(), usize::MAX - i))
            .filter(|&i| constant[i].2.len() > 1);
        let mut wildcard = None;
        for (i, group) in constant.into_iter().enumerate() {
            if Some(i) == most {
                let value = &group.1;
                wildcard = Some(quote!(_ => #value,));
            } else {
                arms.push(arm(group));
            }
        }
        wildcard
    };
    quote!(match self { #(#arms)* #wildcard })
}

fn status_lit(code: u16) -> TokenStream {
    let code = lit_u16(code);
    quote!(__apifault::status(#code))
}

fn retry_tokens(kind: RetryKind) -> TokenStream {
    match kind {
        RetryKind::Never => quote!(__apifault::Retry::Never),
        RetryKind::Backoff => quote!(__apifault::Retry::Backoff),
        RetryKind::After => quote!(__apifault::Retry::After),
    }
}

fn to_status(field: &Field<'_>) -> TokenStream {
    let ty = field.ty;
    let bound = binding(field);
    let a = rt();
    quote_spanned!(field.ty_span()=> <#ty as #a::StatusField>::to_status(#bound))
}

fn millis_tokens(millis: u64) -> TokenStream {
    quote!(::core::time::Duration::from_millis(#millis))
}

/// What a variant answers from `retry()` whatever it holds, if known here.
fn constant_retry(input: &Enum<'_>, variant: &Variant<'_>) -> Option<RetryKind> {
    if let Some(kind) = input.static_retry(variant) {
        return Some(kind);
    }
    match (variant.kind(), variant.field(Role::Status)) {
        (Kind::Status | Kind::Other, Some(_)) => None,
        (Kind::Transport, _) if variant.transport_field().is_some() => None,
        (Kind::Transport, _) => Some(RetryKind::Backoff),
        _ => Some(RetryKind::Never),
    }
}

/// What a variant answers from `safe_to_resend()` whatever it holds, if
/// known here.
fn constant_safe(input: &Enum<'_>, variant: &Variant<'_>) -> Option<bool> {
    match (variant.kind(), variant.field(Role::Status)) {
        (Kind::Status | Kind::Other, _) if input.attrs.atomic.is_some() => Some(true),
        (Kind::Status | Kind::Other, Some(_)) => None,
        (Kind::Status, None) => {
            let codes = input.held_codes(variant);
            Some(!codes.is_empty() && codes.iter().all(|&c| default_safe_to_resend(u64::from(c))))
        }
        (Kind::Other, None) => Some(false),
        (Kind::Transport, _) if variant.transport_field().is_some() => None,
        (Kind::Transport, _) => Some(false),
        (Kind::Local, _) => Some(true),
    }
}

/// The status a variant answers whatever it holds (`0`: none), when it has
/// no status field.
fn constant_status(variant: &Variant<'_>) -> Option<u16> {
    match (variant.kind(), variant.field(Role::Status)) {
        (Kind::Status | Kind::Other, Some(_)) => None,
        (Kind::Status, None) => Some(variant.single_status().map_or(0, |code| code as u16)),
        _ => Some(0),
    }
}

/// A variant's answers packed as `apifault::__private::Facts`: decimal
/// digits `R S NNN` (retry 0 never, 1 backoff, 2 after, 3 by the status it
/// holds; resend 0 no, 1 yes, 2 by the status it holds; the status, 000
/// for none). An answer the variant reads from another field (a transport
/// error, the server's word) is left 0: its method has an arm of its own.
fn facts(input: &Enum<'_>, variant: &Variant<'_>) -> u16 {
    let by_status = variant.field(Role::Status).is_some()
        && matches!(variant.kind(), Kind::Status | Kind::Other);
    let retry = match constant_retry(input, variant) {
        Some(RetryKind::Never) => 0,
        Some(RetryKind::Backoff) => 1,
        Some(RetryKind::After) => 2,
        None if by_status => 3,
        None => 0,
    };
    let safe = match constant_safe(input, variant) {
        Some(safe) => u16::from(safe),
        None if by_status => 2,
        None => 0,
    };
    let status = constant_status(variant).unwrap_or(0);
    retry * 10_000 + safe * 1000 + status
}

/// The answers the packed facts hold, each read by its runtime function.
#[derive(Clone, Copy)]
enum Fact {
    Status,
    Retry,
    Safe,
}

/// The `_` arm of a method answered from the facts: `fact_status`,
/// `fact_retry` or `fact_safe` on them (the last two ask `status()` for a
/// variant whose answer is by the status it holds).
fn from_facts(fact: Fact) -> TokenStream {
    let facts = own("facts");
    match fact {
        Fact::Status => quote!(__apifault::fact_status(#facts(self))),
        Fact::Retry => {
            quote!(__apifault::fact_retry(#facts(self), || __apifault::ApiError::status(self)))
        }
        Fact::Safe => {
            quote!(__apifault::fact_safe(#facts(self), || __apifault::ApiError::status(self)))
        }
    }
}

/// `fn __apifault_facts(&Enum) -> Facts`: one arm per distinct packed
/// number (the most common one as `_`).
fn facts_fn(input: &Enum<'_>) -> TokenStream {
    let ident = input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let mut groups: Vec<(u16, Vec<&Variant<'_>>)> = Vec::new();
    for variant in &input.variants {
        let value = facts(input, variant);
        match groups.iter_mut().find(|(v, _)| *v == value) {
            Some((_, variants)) => variants.push(variant),
            None => groups.push((value, vec![variant])),
        }
    }
    let most = (0..groups.len())
        .max_by_key(|&i| (groups[i].1.len(), usize::MAX - i))
        .filter(|&i| groups[i].1.len() > 1);
    let mut arms = Vec::new();
    let mut wildcard = None;
    for (i, (value, variants)) in groups.into_iter().enumerate() {
        let value = lit_u16(value);
        if Some(i) == most {
            wildcard = Some(quote!(_ => #value,));
        } else {
            let pats = variants.iter().map(|v| {
                let name = v.ident;
                if v.unit {
                    quote!(#ident::#name)
                } else {
                    quote!(#ident::#name { .. })
                }
            });
            arms.push(quote!(#(#pats)|* => #value,));
        }
    }
    let facts = own("facts");
    let this = own("self");
    quote! {
        #[allow(deprecated)]
        fn #facts #impl_generics (#this: &#ident #ty_generics) -> __apifault::Facts #where_clause {
            match #this { #(#arms)* #wildcard }
        }
    }
}

fn impl_api_error(input: &Enum<'_>) -> TokenStream {
    let ident = input.ident;
    let (impl_generics, ty_generics, _) = input.generics.split_for_impl();
    let where_clause = where_clause(input, false);
    let mut uses_facts = false;
    let status = match_self(input, Some(from_facts(Fact::Status)), |variant| {
        match (variant.kind(), variant.field(Role::Status)) {
            (Kind::Status | Kind::Other, Some(field)) => {
                Answer::reads(vec![field], "status", move || to_status(field))
            }
            _ => {
                uses_facts = true;
                Answer::Fact
            }
        }
    });

    // A variant whose retry or resend answer is by its status is answered
    // from the facts, through `status()`; only a transport error or the
    // server's word (`should_retry`) needs an arm.
    let retry = match_self(input, Some(from_facts(Fact::Retry)), |variant| {
        let Some(said) = variant.field(Role::ShouldRetry) else {
            return match constant_retry(input, variant) {
                None if variant.kind() == Kind::Transport => {
                    let field = variant
                        .transport_field()
                        .expect("a transport variant without a constant retry reads its error");
                    Answer::reads(vec![field], "transport", move || {
                        transport_call(input, field, "retry")
                    })
                }
                _ => {
                    uses_facts = true;
                    Answer::Fact
                }
            };
        };
        let mut fields = Vec::new();
        let (base, kind) = match constant_retry(input, variant) {
            Some(kind) => (retry_tokens(kind), format!("{kind:?}")),
            None => match (variant.kind(), variant.field(Role::Status)) {
                (Kind::Status | Kind::Other, Some(field)) => {
                    fields.push(field);
                    let status = to_status(field);
                    (quote!(__apifault::retry_for(#status)), "status".to_owned())
                }
                _ => match variant.transport_field() {
                    Some(field) => {
                        fields.push(field);
                        (
                            transport_call(input, field, "retry"),
                            "transport".to_owned(),
                        )
                    }
                    None => (retry_tokens(RetryKind::Backoff), "Backoff".to_owned()),
                },
            },
        };
        fields.push(said);
        Answer::reads(fields, &format!("obey {kind}"), move || {
            let ty = said.ty;
            let bound = binding(said);
            let a = rt();
            let said = quote_spanned!(said.ty_span()=> <#ty as #a::ShouldRetryField>::said(#bound));
            quote!(__apifault::obey_server(#base, #said))
        })
    });

    let safe_to_resend = match_self(input, Some(from_facts(Fact::Safe)), |variant| match variant
        .transport_field()
    {
        Some(field)
            if variant.kind() == Kind::Transport && constant_safe(input, variant).is_none() =>
        {
            Answer::reads(vec![field], "transport", move || {
                transport_call(input, field, "safe_to_resend")
            })
        }
        _ => {
            uses_facts = true;
            Answer::Fact
        }
    });

    let retry_after = input
        .variants
        .iter()
        .any(|v| v.field(Role::RetryAfter).is_some() || v.attrs.default_wait.is_some())
        .then(|| {
            let arms = match_self(input, None, |variant| {
                let default = variant.attrs.default_wait.as_ref().and_then(|w| w.millis);
                match (variant.field(Role::RetryAfter), default) {
                    (Some(field), default) => {
                        let kind = match default {
                            Some(millis) => format!("hint or {millis}"),
                            None => "hint".to_owned(),
                        };
                        Answer::reads(vec![field], &kind, move || {
                            let ty = field.ty;
                            let bound = binding(field);
                            let a = rt();
                            let hint = quote_spanned!(field.ty_span()=> <#ty as #a::RetryAfterField>::hint(#bound));
                            match default {
                                Some(millis) => {
                                    let default = millis_tokens(millis);
                                    quote!(__apifault::hint_or(#hint, #default))
                                }
                                None => hint,
                            }
                        })
                    }
                    (None, Some(millis)) => Answer::constant(format!("{millis}"), move || {
                        let default = millis_tokens(millis);
                        quote!(::core::option::Option::Some(#default))
                    }),
                    (None, None) => {
                        Answer::constant("none", || quote!(::core::option::Option::None))
                    }
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
            let arms = match_self(input, None, |variant| {
                match variant.field(Role::RequestId) {
                    Some(field) => Answer::reads(vec![field], "id", move || {
                        let ty = field.ty;
                        let bound = binding(field);
                        let a = rt();
                        quote_spanned!(field.ty_span()=> <#ty as #a::RequestIdField>::id(#bound))
                    }),
                    None => Answer::constant("none", || quote!(::core::option::Option::None)),
                }
            });
            quote! {
                fn request_id(&self) -> ::core::option::Option<&::core::primitive::str> {
                    #arms
                }
            }
        });

    let facts = (uses_facts && !input.variants.is_empty()).then(|| facts_fn(input));

    quote! {
        #facts
        #[automatically_derived]
        #[allow(deprecated)]
        impl #impl_generics __apifault::ApiError for #ident #ty_generics #where_clause {
            fn status(&self) -> ::core::option::Option<__apifault::StatusCode> {
                #status
            }
            fn retry(&self) -> __apifault::Retry {
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
        let a = rt();
        return quote_spanned!(field.ty_span()=> <#ty as #a::TransportError>::#method(#bound));
    }
    let method = Ident::new(&format!("transport_{method}"), Span::call_site());
    quote!({
        #[allow(unused_imports)]
        use __apifault::{TransportFallback as _, TransportViaTrait as _};
        (&__apifault::Probe(#bound)).#method()
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
    !params.is_empty() && walk(ty.to_token_stream(), params)
}

/// The user's where clause plus, for every field whose type involves a type
/// parameter, the bound its role needs (serde_derive's approach: bound the
/// field's type, not the parameter).
fn where_clause(input: &Enum<'_>, from_response: bool) -> TokenStream {
    let params = type_params(input);
    let mut bounds = Vec::new();
    for variant in input.variants.iter().filter(|_| !params.is_empty()) {
        let decoded = matches!(variant.kind(), Kind::Status | Kind::Other);
        for field in &variant.fields {
            // Every role is named: a new one cannot lose its bound to a
            // wildcard.
            let (ty, bound) = match field.role() {
                Some(FieldRole::Status) => (field.ty, quote!(__apifault::StatusField)),
                Some(FieldRole::RetryAfter) => (field.ty, quote!(__apifault::RetryAfterField)),
                Some(FieldRole::RequestId) => (field.ty, quote!(__apifault::RequestIdField)),
                Some(FieldRole::ShouldRetry) => (field.ty, quote!(__apifault::ShouldRetryField)),
                // Decoding fills it and serving reads it.
                Some(FieldRole::RateLimit) => (field.ty, quote!(__apifault::RateLimitField)),
                Some(FieldRole::Body) if !from_response => continue,
                Some(FieldRole::Body) => match option_inner(field.ty) {
                    Some(inner) => (inner, quote!(__apifault::DeserializeOwned)),
                    None if variant.kind() == Kind::Other => {
                        (field.ty, quote!(__apifault::OtherBody))
                    }
                    None => (field.ty, quote!(__apifault::DeserializeOwned)),
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
                    (field.ty, quote!(__apifault::TransportError))
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
    quote!(__apifault::HeaderName::from_static(#lower))
}

/// A reference to a header name in a `static`, so that it is checked and
/// built once, at compile time.
fn header_static(name: &str, span: Span) -> TokenStream {
    let name = header_const(name, span);
    let header = own("HEADER");
    quote!({
        static #header: __apifault::HeaderName = #name;
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
    quote!(__apifault::HintUnit::#unit)
}

/// One hint source as a `Hint` constant.
fn hint_tokens(source: &HintSource) -> TokenStream {
    match source {
        HintSource::At { unit, lit } => {
            let unit = unit_tokens(*unit);
            let text = lit.value();
            if text.starts_with('/') {
                quote!(__apifault::Hint::body(#unit, #lit))
            } else {
                let name = header_const(&text, lit.span());
                quote!(__apifault::Hint::header(#unit, #name))
            }
        }
        HintSource::Function(path) => {
            let a = rt();
            quote_spanned!(path.span()=> #a::Hint::function(#path))
        }
    }
}

/// A static list of hint sources (a variant's or the enum's).
fn hint_list(sources: &[HintSource]) -> TokenStream {
    let hints = sources.iter().map(hint_tokens);
    let len = sources.len();
    let list = own("HINTS");
    quote!({
        static #list: [__apifault::Hint; #len] = [#(#hints),*];
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

/// The expression decoding one field. A fallible one (see [`fallible`])
/// gives an `Option` of the field's value, which the caller unwraps.
fn decode_field(
    variant: &Variant<'_>,
    field: &Field<'_>,
    in_other: bool,
    has_rate_limit_spec: bool,
) -> TokenStream {
    let ty = field.ty;
    let span = field.ty_span();
    // Names the generated code defines itself keep their own spans, even
    // inside expressions spanned on the user's type, so that they resolve
    // when the enum is written by a `macro_rules!`.
    let a = rt();
    let parts = own("parts");
    let request_id = own("REQUEST_ID");
    let should_retry = own("SHOULD_RETRY");
    match field.role() {
        None => quote_spanned!(span=> <#ty as #a::DefaultField>::fill()),
        Some(FieldRole::Status) => quote_spanned! {span=>
            <#ty as #a::StatusField>::from_status(#parts.status)
        },
        Some(FieldRole::Body) => match option_inner(ty) {
            Some(inner) if field.is_xml() => {
                let body = own("body");
                quote_spanned! {inner.span()=>
                    #a::non_empty(#parts.body).and_then(|#body| {
                        #[allow(unused_imports)]
                        use ::apifault::__private::XmlBody as _;
                        #a::Body::<#inner>::new().decode_xml(#body)
                    })
                }
            }
            Some(inner) => quote_spanned! {inner.span()=>
                #a::Body::<#inner>::new().decode_non_empty(#parts.body)
            },
            None if in_other => quote_spanned! {span=>
                <#ty as #a::OtherBody>::decode_any(#parts.body)
            },
            None if field.is_xml() => quote_spanned! {span=> {
                #[allow(unused_imports)]
                use ::apifault::__private::XmlBody as _;
                #a::Body::<#ty>::new().decode_xml(#parts.body)
            }},
            None => quote_spanned! {span=>
                #a::Body::<#ty>::new().decode(#parts.body)
            },
        },
        Some(FieldRole::RetryAfter) => {
            let sources = retry_after_sources(variant);
            quote_spanned! {span=>
                <#ty as #a::RetryAfterField>::from_hint(#a::hint(&#parts, #sources))
            }
        }
        Some(FieldRole::RequestId) => quote_spanned! {span=>
            <#ty as #a::RequestIdField>::from_id(#a::request_id(#parts.headers, &#request_id))
        },
        Some(FieldRole::RateLimit) => {
            let read = if has_rate_limit_spec {
                let spec = own("RATE_LIMIT");
                quote!(__apifault::rate_limit_with(#parts.headers, &#spec))
            } else {
                quote!(__apifault::rate_limit(#parts.headers))
            };
            quote_spanned! {span=>
                <#ty as #a::RateLimitField>::from_rate_limit(#read)
            }
        }
        Some(FieldRole::ShouldRetry) => quote_spanned! {span=>
            <#ty as #a::ShouldRetryField>::from_said(#a::should_retry(#parts.headers, &#should_retry))
        },
        Some(FieldRole::Header(name)) => {
            let name = header_static(&name.value(), name.span());
            let (target, span) = match option_inner(ty) {
                Some(inner) => (inner, inner.span()),
                None => (ty, span),
            };
            quote_spanned! {span=>
                #a::header::<#target>(#parts.headers, #name)
            }
        }
    }
}

/// Whether decoding this field of a claimed variant may fail: a typed body
/// or a header that is not an `Option` (which send the response to `other`
/// instead).
fn fallible(field: &Field<'_>) -> bool {
    matches!(field.role(), Some(FieldRole::Body | FieldRole::Header(_)))
        && option_inner(field.ty).is_none()
}

/// What tells apart how the fields of a claimed variant decode: their
/// names, types and roles. Variants with the same shape decode alike, so
/// that their fields are decoded by one piece of code.
fn shape(variant: &Variant<'_>) -> String {
    let mut key = String::new();
    for field in &variant.fields {
        match &field.member {
            syn::Member::Named(ident) => key.push_str(&ident.to_string()),
            syn::Member::Unnamed(index) => key.push_str(&index.index.to_string()),
        }
        key.push(':');
        key.push_str(field.ty_text());
        key.push(':');
        match field.role() {
            None => key.push_str("default"),
            // A body read as XML decodes apart from one read as JSON.
            Some(FieldRole::Body) if field.is_xml() => key.push_str("body xml"),
            Some(FieldRole::RetryAfter) if variant.attrs.retry_after.is_some() => {
                // The variant's own hint sources: a shape of its own.
                key.push_str(&format!("hint of {}", variant.index));
            }
            Some(FieldRole::Header(name)) => {
                key.push_str("header ");
                key.push_str(&name.value().to_ascii_lowercase());
            }
            Some(role) => key.push_str(role.name()),
        }
        key.push(';');
    }
    key
}

/// The arm of `from_response`'s `match` for the claimed `variants`, all of
/// one [`shape`]: their fields are decoded once, a fallible one (a typed
/// body, a header not in an `Option`) in an `if let`, so that a field that
/// does not decode leaves the arm and the response goes to `other`; then
/// the chosen variant is built.
fn decode_arm(input: &Enum<'_>, variants: &[&Variant<'_>]) -> TokenStream {
    let first = variants[0];
    let spec = input.attrs.rate_limit.is_some();
    let build = |variant: &Variant<'_>, decode_here: bool| {
        let ident = variant.ident;
        let inits = variant.fields.iter().map(|field| {
            let member = &field.member;
            if fallible(field) || !decode_here {
                let bound = binding(field);
                quote!(#member: #bound)
            } else {
                let value = decode_field(variant, field, false, spec);
                quote!(#member: #value)
            }
        });
        quote!(return Self::#ident { #(#inits),* })
    };
    let indices = variants.iter().map(|v| v.index);
    if let [variant] = variants
        && variant.fields.is_empty()
    {
        let (index, ident) = (variant.index, variant.ident);
        return if variant.unit {
            quote!(#index => return Self::#ident,)
        } else {
            quote!(#index => return Self::#ident {},)
        };
    }
    let (mut built, lets) = if let [variant] = variants {
        (build(variant, true), Vec::new())
    } else {
        let pick = own("pick");
        let arms = variants.iter().map(|variant| {
            let index = variant.index;
            let built = build(variant, false);
            quote!(#index => #built,)
        });
        let lets = first
            .fields
            .iter()
            .filter(|f| !fallible(f))
            .map(|field| {
                let bound = binding(field);
                let value = decode_field(first, field, false, spec);
                quote!(let #bound = #value;)
            })
            .collect();
        (quote!(match #pick { #(#arms)* _ => {} }), lets)
    };
    for field in first.fields.iter().rev().filter(|f| fallible(f)) {
        let bound = binding(field);
        let value = decode_field(first, field, false, spec);
        built = quote!(if let ::core::option::Option::Some(#bound) = #value { #built });
    }
    quote!(#(#indices)|* => { #(#lets)* #built })
}

/// `Self::Other { … }`, every field of which decodes from any response.
fn construct_other(input: &Enum<'_>, variant: &Variant<'_>) -> TokenStream {
    let ident = variant.ident;
    let spec = input.attrs.rate_limit.is_some();
    let inits = variant.fields.iter().map(|field| {
        let member = &field.member;
        let value = decode_field(variant, field, true, spec);
        quote!(#member: #value)
    });
    quote!(Self::#ident { #(#inits),* })
}

/// Which of the enum's header statics some field reads.
#[derive(Default)]
struct Needs {
    retry_after: bool,
    request_id: bool,
    should_retry: bool,
}

impl Needs {
    fn of(input: &Enum<'_>) -> Needs {
        let mut needs = Needs::default();
        let decoded = input
            .variants
            .iter()
            .filter(|v| matches!(v.kind(), Kind::Status | Kind::Other));
        for variant in decoded {
            for field in &variant.fields {
                match field.role() {
                    Some(FieldRole::RetryAfter) if variant.attrs.retry_after.is_none() => {
                        needs.retry_after = true;
                    }
                    Some(FieldRole::RequestId) => needs.request_id = true,
                    Some(FieldRole::ShouldRetry) => needs.should_retry = true,
                    _ => {}
                }
            }
        }
        needs
    }
}

/// The enum's header names (hints, request id, the server's retry
/// decision) and rate-limit spec that some field reads, built at compile
/// time, as statics of the expansion's scope.
fn header_statics(input: &Enum<'_>) -> TokenStream {
    let needs = Needs::of(input);
    let retry_after = needs.retry_after.then(|| {
        let hints: Vec<TokenStream> = match &input.attrs.retry_after {
            Some(sources) => sources.sources.iter().map(hint_tokens).collect(),
            None => {
                let name = header_const("retry-after", Span::call_site());
                vec![quote!(__apifault::Hint::header(__apifault::HintUnit::Plain, #name))]
            }
        };
        let len = hints.len();
        let name = own("RETRY_AFTER");
        quote!(static #name: [__apifault::Hint; #len] = [#(#hints),*];)
    });
    let request_id = needs.request_id.then(|| {
        let value = match &input.attrs.request_id {
            Some(name) => header_const(&name.value(), name.span()),
            None => header_const("x-request-id", Span::call_site()),
        };
        let name = own("REQUEST_ID");
        quote!(static #name: __apifault::HeaderName = #value;)
    });
    let should_retry = needs.should_retry.then(|| {
        let value = match &input.attrs.should_retry {
            Some(name) => header_const(&name.value(), name.span()),
            None => header_const("x-should-retry", Span::call_site()),
        };
        let name = own("SHOULD_RETRY");
        quote!(static #name: __apifault::HeaderName = #value;)
    });
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
            static #static_name: __apifault::RateLimitSpec = __apifault::RateLimitSpec {
                limit: #limit,
                remaining: #remaining,
                reset: #reset,
                used: #used,
            };
        }
    });
    quote!(#retry_after #request_id #should_retry #rate_limit)
}

/// The claim table as `static __apifault_CLAIMS: Claims`, and the `when =
/// path` predicates it names by place, as typed locals of `from_response`.
fn claims_static(input: &Enum<'_>) -> (TokenStream, Vec<TokenStream>, Vec<Ident>) {
    let claims = &input.claims;
    let mut tests: Vec<TokenStream> = Vec::new();
    let mut predicate_lets = Vec::new();
    let mut predicates = Vec::new();
    // Per variant, its conditions' place in `tests`, written once.
    let mut test_ranges: Vec<Option<(u16, u16)>> = vec![None; input.variants.len()];
    let mut tries: Vec<[u16; 3]> = Vec::new();
    let mut lists: Vec<(Vec<usize>, [u16; 2])> = Vec::new();
    let mut list_range = |list: &[usize], tries: &mut Vec<[u16; 3]>| -> [u16; 2] {
        if let Some((_, range)) = lists.iter().find(|(l, _)| l == list) {
            return *range;
        }
        let start = tries.len() as u16;
        for &index in list {
            let (first, end) = *test_ranges[index].get_or_insert_with(|| {
                let first = tests.len() as u16;
                for condition in input.variants[index]
                    .attrs
                    .when
                    .iter()
                    .flat_map(|w| &w.conditions)
                {
                    tests.push(test_tokens(condition, &mut predicate_lets, &mut predicates));
                }
                (first, tests.len() as u16)
            });
            tries.push([index as u16, first, end]);
        }
        let range = [start, tries.len() as u16];
        lists.push((list.to_vec(), range));
        range
    };
    // Flat lists of records (see `apifault::__private::Claims`).
    let conditional: Vec<Literal> = claims
        .runs(|slot| {
            let list = &claims.conditional[slot];
            (!list.is_empty()).then(|| list.clone())
        })
        .into_iter()
        .flat_map(|(lo, hi, list)| {
            let [start, end] = list_range(&list, &mut tries);
            [lo, hi, start, end]
        })
        .map(lit_u16)
        .collect();
    let statusless = if claims.statusless.is_empty() {
        [0, 0]
    } else {
        list_range(&claims.statusless, &mut tries)
    };
    let statusless = statusless.map(lit_u16);
    let statuses = claims
        .runs(|slot| claims.unconditional[slot])
        .into_iter()
        .flat_map(|(lo, hi, index)| [lo, hi, index as u16])
        .map(lit_u16);
    let tries = tries.iter().flatten().copied().map(lit_u16);
    let code: Vec<&syn::LitStr> = input.attrs.code.iter().flat_map(|c| &c.pointers).collect();
    let tests_static = own("TESTS");
    let (tests_item, tests_ref) = if tests.is_empty() {
        (TokenStream::new(), quote!(&[]))
    } else {
        let len = tests.len();
        (
            quote!(static #tests_static: [__apifault::Test; #len] = [#(#tests),*];),
            quote!(&#tests_static),
        )
    };
    let claims_static = own("CLAIMS");
    let item = quote! {
        #tests_item
        static #claims_static: __apifault::Claims = __apifault::Claims {
            statuses: &[#(#statuses),*],
            conditional: &[#(#conditional),*],
            statusless: [#(#statusless),*],
            tries: &[#(#tries),*],
            tests: #tests_ref,
            code: &[#(#code),*],
        };
    };
    (item, predicate_lets, predicates)
}

/// One `when(...)` condition as a `Test`; a predicate becomes a typed local
/// (spanned on its path, so that a wrong signature is reported there).
fn test_tokens(
    condition: &Condition,
    predicate_lets: &mut Vec<TokenStream>,
    predicates: &mut Vec<Ident>,
) -> TokenStream {
    match condition {
        Condition::Header { lit, name, value } => {
            let header = header_const(name, lit.span());
            match value {
                Some(value) => quote!(__apifault::Test::HeaderIs(#header, #value)),
                None => quote!(__apifault::Test::Header(#header)),
            }
        }
        Condition::Code { codes, .. } => quote!(__apifault::Test::Code(&[#(#codes),*])),
        Condition::Body(test) => {
            let (pointer, value) = body_test_tokens(test);
            quote!(__apifault::Test::Body(#pointer, #value))
        }
        Condition::Predicate(path) => {
            let at = predicates.len();
            let name = own(&format!("when_{at}"));
            let a = rt();
            predicate_lets.push(quote_spanned! {path.span()=>
                let #name: fn(&#a::ResponseParts<'_>) -> ::core::primitive::bool = #path;
            });
            predicates.push(name);
            quote!(__apifault::Test::Predicate(#at))
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

fn impl_from_response(input: &Enum<'_>, other: &Variant<'_>) -> TokenStream {
    let ident = input.ident;
    let (impl_generics, ty_generics, _) = input.generics.split_for_impl();
    let where_clause = where_clause(input, true);
    let statics = header_statics(input);
    let parts = own("parts");
    let claimed: Vec<&Variant<'_>> = input
        .variants
        .iter()
        .filter(|v| v.kind() == Kind::Status)
        .collect();

    let (claims, predicate_lets, predicates) = if claimed.is_empty() {
        (TokenStream::new(), Vec::new(), Vec::new())
    } else {
        claims_static(input)
    };
    let pick = (!claimed.is_empty()).then(|| {
        let mut shapes: Vec<(String, Vec<&Variant<'_>>)> = Vec::new();
        for variant in &claimed {
            let key = shape(variant);
            match shapes.iter_mut().find(|(k, _)| *k == key) {
                Some((_, variants)) => variants.push(variant),
                None => shapes.push((key, vec![variant])),
            }
        }
        // A variant without fields is built at once: one arm each.
        let arms = shapes.iter().flat_map(|(_, variants)| {
            if variants[0].fields.is_empty() {
                variants.iter().map(|v| decode_arm(input, &[v])).collect()
            } else {
                vec![decode_arm(input, variants)]
            }
        });
        let (claims, pick) = (own("CLAIMS"), own("pick"));
        quote! {
            let #pick = __apifault::pick(&#parts, &#claims, &[#(#predicates),*]);
            match #pick {
                #(#arms)*
                _ => {}
            }
        }
    });
    let json_body = input
        .variants
        .iter()
        .filter(|v| matches!(v.kind(), Kind::Status | Kind::Other))
        .flat_map(|v| &v.fields)
        .any(|f| matches!(f.role(), Some(FieldRole::Body)))
        .then(|| {
            quote!(
                #[allow(unused_imports)]
                use __apifault::JsonBody as _;
            )
        });
    let is_error = input.attrs.error_2xx.as_ref().map(|error| {
        let (pointer, value) = body_test_tokens(&error.body);
        quote! {
            fn is_error(#parts: &__apifault::ResponseParts<'_>) -> ::core::primitive::bool {
                __apifault::error_in_2xx(#parts, #pointer, #value)
            }
            const ERRORS_IN_2XX: ::core::primitive::bool = true;
        }
    });
    let rate_limit_fn = input.attrs.rate_limit.is_some().then(|| {
        let headers = own("headers");
        let spec = own("RATE_LIMIT");
        quote! {
            fn rate_limit(#headers: &__apifault::HeaderMap) -> ::core::option::Option<__apifault::RateLimit> {
                __apifault::rate_limit_with(#headers, &#spec)
            }
        }
    });
    // A success's request id (`Success`, the middleware) is read from the
    // header the enum names, as its errors' are.
    let request_id_header = input.attrs.request_id.as_ref().map(|name| {
        let text = name.value().to_ascii_lowercase();
        quote!(const REQUEST_ID_HEADER: &'static ::core::primitive::str = #text;)
    });
    let other = construct_other(input, other);

    quote! {
        #statics
        #claims
        #[automatically_derived]
        #[allow(deprecated)]
        impl #impl_generics __apifault::FromResponse for #ident #ty_generics #where_clause {
            #request_id_header
            #[allow(unused_variables, unreachable_code, unreachable_patterns)]
            fn from_response(#parts: __apifault::ResponseParts<'_>) -> Self {
                #json_body
                #(#predicate_lets)*
                #pick
                #other
            }
            #is_error
            #rate_limit_fn
        }
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
    let statics = header_statics(input);
    let a = rt();
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
                quote!(__apifault::ServerResponse::new(
                    __apifault::status_or_500(#status), #fallback))
            }
            (Kind::Status | Kind::Other, None) => {
                quote!(__apifault::ServerResponse::new(#fallback, #fallback))
            }
            (Kind::Transport, _) => {
                let status = status_lit(502);
                quote!(__apifault::ServerResponse::internal(#status))
            }
            (Kind::Local, _) => quote!(__apifault::ServerResponse::internal(#fallback)),
        };
        let writes = role_fields.iter().map(|field| {
            let ty = field.ty;
            let bound = binding(field);
            match field.role() {
                // Only the trait call is spanned on the field's type: the
                // names defined here keep their own spans (see `decode_field`).
                Some(FieldRole::RetryAfter) => {
                    let hint = quote_spanned!(field.ty_span()=> <#ty as #a::RetryAfterField>::hint(#bound));
                    let sources = retry_after_sources(variant);
                    quote!(#response.hint(#sources, #hint);)
                }
                Some(FieldRole::RequestId) => {
                    let id = quote_spanned!(field.ty_span()=> <#ty as #a::RequestIdField>::id(#bound));
                    quote!(#response.request_id(&#request_id_name, #id);)
                }
                Some(FieldRole::RateLimit) => {
                    let announced = quote_spanned!(field.ty_span()=> <#ty as #a::RateLimitField>::rate_limit(#bound));
                    if input.attrs.rate_limit.is_some() {
                        let spec = own("RATE_LIMIT");
                        quote!(#response.rate_limit_as(&#spec, #announced);)
                    } else {
                        quote!(#response.rate_limit(#announced);)
                    }
                }
                Some(FieldRole::ShouldRetry) => {
                    let said = quote_spanned!(field.ty_span()=> <#ty as #a::ShouldRetryField>::said(#bound));
                    quote!(#response.should_retry(&#should_retry_name, #said);)
                }
                Some(FieldRole::Header(header)) => {
                    let header = header_static(&header.value(), header.span());
                    if option_inner(ty).is_some() {
                        quote!(if let ::core::option::Option::Some(#value) = #bound {
                            #response.header(#header, (&&__apifault::DisplayProbe(#value)).display());
                        })
                    } else {
                        quote!(#response.header(#header, (&&__apifault::DisplayProbe(#bound)).display());)
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
                            ::core::option::Option::None => #response.body(__apifault::Rendered::Empty),
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
    scope(quote! {
        #statics
        #[automatically_derived]
        #[allow(deprecated)]
        impl #impl_generics __apifault::axum_core::response::IntoResponse for #ident #ty_generics #where_clause {
            #[allow(unused_imports, unused_variables, unreachable_code)]
            fn into_response(self) -> __apifault::axum_core::response::Response {
                use __apifault::{ViaDisplay as _, ViaNoDisplay as _, ViaOpaque as _, ViaRaw as _, ViaSerialize as _};
                let #response: __apifault::ServerResponse = #matched;
                #response.finish((&&__apifault::DisplayProbe(&self)).display())
            }
        }
    })
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
