//! Rewrites the function: its body runs once per attempt inside a loop, as a
//! non-`move` `async` block (or closure, for a blocking function), so that
//! `?` and `return` end one attempt, arguments are borrowed afresh each time,
//! and the future stays `Send`. No helper item is emitted, so the attribute
//! works in trait impls too.

use proc_macro2::{Delimiter, Group, Ident, Span, TokenStream, TokenTree};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{FnArg, ReturnType, Type};

use super::args::{Args, KnobValue, RetryFn};

pub(crate) fn expand(args: &Args, item: &RetryFn, body: &Group, ret: &Type) -> TokenStream {
    let RetryFn {
        attrs, vis, sig, ..
    } = item;
    let (inner_attrs, body) = lift_inner_attrs(body);
    // The statements go straight into our block: wrapping the user's braces
    // in another block would make a one-line body trip `unused_braces`.
    let body_stream = body.stream();
    let asynchronous = sig.asyncness.is_some();

    let mixed = Span::mixed_site();
    let policy = Ident::new("__apifault_policy", mixed);
    let attempts = Ident::new("__apifault_attempts", mixed);
    let result = Ident::new("__apifault_result", mixed);
    let delay = Ident::new("__apifault_delay", mixed);
    let previous = Ident::new("__apifault_previous", mixed);

    let idempotent = match &args.idempotent {
        // Spanned on the expression, so that a non-`bool` is reported there.
        Some((_, expr)) => {
            quote_spanned!(expr.span()=> ::core::option::Option::<::core::primitive::bool>::Some(#expr))
        }
        None => quote!(::core::option::Option::None),
    };
    // `policy` holds the policy (owned or borrowed), `policy_ref` is a
    // `&RetryPolicy` to it: `Borrow` takes a `RetryPolicy`, a
    // `&RetryPolicy` or an `Arc<RetryPolicy>` alike.
    let (policy_expr, policy_ref) = match &args.policy {
        Some((_, expr)) => {
            // A body that may mutate `self` or an argument borrows it
            // mutably each attempt, so the policy must not stay borrowed from
            // it: keep a clone (it shares its hooks and budget; no
            // allocation).
            if may_mutate_inputs(sig) {
                (
                    quote_spanned!(expr.span()=> ::core::clone::Clone::clone(
                        ::core::borrow::Borrow::<::apifault::__private::RetryPolicy>::borrow(&(#expr))
                    )),
                    quote_spanned!(mixed=> &#policy),
                )
            } else {
                (
                    quote_spanned!(expr.span()=> &(#expr)),
                    quote_spanned!(expr.span()=> ::core::borrow::Borrow::<::apifault::__private::RetryPolicy>::borrow(#policy)),
                )
            }
        }
        None => (knob_policy(args), quote_spanned!(mixed=> &#policy)),
    };
    // A call that sends its idempotency key is safe to resend.
    let idempotent = if args.idempotency_key.is_some() {
        quote!(::core::option::Option::<::core::primitive::bool>::Some(true))
    } else {
        idempotent
    };
    let key_binding = match &args.idempotency_key {
        Some((_, name)) => {
            quote_spanned!(name.span()=> let #name: ::apifault::__private::IdempotencyKey = ::apifault::__private::IdempotencyKey::new();)
        }
        None => TokenStream::new(),
    };
    let constructor = Ident::new(if asynchronous { "asynchronous" } else { "blocking" }, mixed);
    let fake_ret = replace_impl_trait(ret);
    // Spanned on the return type, so that "not `Result<_, E: ApiError>`"
    // points there.
    let result_at_ret = Ident::new("__apifault_result", mixed.located_at(ret.span()));
    // An async attempt is raced against `max_elapsed` and the error it
    // would retry is kept, to be returned if the next attempt is cut.
    let check = if asynchronous {
        // `keep` does the work; `check`, in code that never runs, gives a
        // return type that is not `Result<_, E: ApiError>` the same error
        // as a blocking function (rustc reports one of the two).
        let unchecked = Ident::new("__apifault_unchecked", mixed);
        let unchecked_at_ret = Ident::new("__apifault_unchecked", mixed.located_at(ret.span()));
        let check_types = quote_spanned!(ret.span()=> ::apifault::__private::Attempts::check(&mut #attempts, #unchecked_at_ret));
        let keep = quote_spanned!(ret.span()=> ::apifault::__private::Attempts::keep(&mut #attempts, #unchecked_at_ret));
        quote_spanned! {mixed=> {
            #[allow(unreachable_code)]
            if false {
                let #unchecked = ::apifault::__private::Attempts::same_type(&#result);
                let _ = #check_types;
            }
            let #unchecked = #result;
            #keep
        }}
    } else {
        quote_spanned!(ret.span()=> ::apifault::__private::Attempts::check(&mut #attempts, #result_at_ret))
    };

    let attempt = if asynchronous {
        quote_spanned! {mixed=>
            {
                let __apifault_attempt = ::core::pin::pin!(async {
                    #[allow(unreachable_code, clippy::diverging_sub_expression)]
                    if false {
                        let __apifault_fake_return: #fake_ret = loop {};
                        return __apifault_fake_return;
                    }
                    #body_stream
                });
                // A retry that a deadline may cut, or a first attempt that
                // starts the call's time, is watched; any other is awaited
                // as it is.
                if ::apifault::__private::Attempts::watches(&#attempts, #previous.is_some()) {
                    ::apifault::__private::Attempts::bounded(&mut #attempts, __apifault_attempt, &mut #previous).await
                } else {
                    __apifault_attempt.await
                }
            }
        }
    } else {
        quote_spanned! {mixed=>
            (|| -> #fake_ret { #body_stream })()
        }
    };
    let on_continue = if asynchronous {
        quote_spanned! {mixed=>
            ::apifault::__private::ControlFlow::Continue((#delay, #result)) => {
                #previous = ::core::option::Option::Some(#result);
                #attempts.wait(#delay).await
            }
        }
    } else {
        quote_spanned! {mixed=>
            ::apifault::__private::ControlFlow::Continue(#delay) => #attempts.wait_blocking(#delay),
        }
    };
    let keep_previous = if asynchronous {
        quote_spanned!(mixed=> let mut #previous = ::core::option::Option::None;)
    } else {
        TokenStream::new()
    };

    quote_spanned! {mixed=>
        #(#attrs)*
        #vis #sig {
            #(#inner_attrs)*
            let #policy = #policy_expr;
            #key_binding
            let mut #attempts = ::apifault::__private::Attempts::#constructor(#policy_ref)
                .idempotent(#idempotent);
            #keep_previous
            loop {
                let #result = #attempt;
                match #check {
                    ::apifault::__private::ControlFlow::Break(#result) => return #result,
                    #on_continue
                }
            }
        }
    }
}

/// A policy from inline knobs: the default policy with each knob applied.
fn knob_policy(args: &Args) -> TokenStream {
    let setters = args.knobs.iter().filter_map(|knob| {
        let key = &knob.key;
        let value = match &knob.value {
            KnobValue::MaxRetries(n) => quote!(#n),
            KnobValue::Duration(millis) => quote!(::core::time::Duration::from_millis(#millis)),
            KnobValue::Factor(f) => quote!(#f),
            KnobValue::Jitter(name) => {
                let variant = Ident::new(name, key.span());
                quote!(::apifault::__private::Jitter::#variant)
            }
            // The schedule is where the policy starts, below.
            KnobValue::Delays(_) => return None,
        };
        Some(quote!(.#key(#value)))
    });
    let start = args.knobs.iter().find_map(|knob| match &knob.value {
        KnobValue::Delays(millis) => Some(quote!(
            ::apifault::__private::RetryPolicy::delays([#(::core::time::Duration::from_millis(#millis)),*])
        )),
        _ => None,
    });
    let start = start.unwrap_or_else(
        || quote!(<::apifault::__private::RetryPolicy as ::core::default::Default>::default()),
    );
    quote!(#start #(#setters)*)
}

/// Whether the body could mutate what a policy expression borrows: any
/// receiver but `&self`, any `&mut` argument, any `mut` binding.
fn may_mutate_inputs(sig: &syn::Signature) -> bool {
    sig.inputs.iter().any(|input| match input {
        FnArg::Receiver(receiver) => {
            !matches!(receiver.kind, syn::ReceiverKind::Reference(_, _, None))
                || receiver.mutability.is_some()
        }
        FnArg::Typed(typed) => {
            has_mut(typed.pat.to_token_stream(), false) || has_mut(typed.ty.to_token_stream(), true)
        }
    })
}

/// Whether `tokens` hold a `mut` binding (a pattern) or, in a type, a
/// mutable borrow or pointer: `&mut T`, `&'a mut T`, `*mut T`, at any
/// depth (`Option<&'a mut T>`). Read from the tokens, not their printing,
/// so that no spacing or lifetime hides one.
fn has_mut(tokens: TokenStream, in_type: bool) -> bool {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    tokens.iter().enumerate().any(|(i, tt)| match tt {
        TokenTree::Group(group) => has_mut(group.stream(), in_type),
        TokenTree::Ident(ident) if ident == "mut" => {
            if !in_type {
                return true;
            }
            // Look back past a lifetime (`'a`) for `&` or `*`.
            let mut back = tokens[..i].iter().rev();
            match back.next() {
                Some(TokenTree::Punct(p)) if matches!(p.as_char(), '&' | '*') => true,
                Some(TokenTree::Ident(_)) => matches!(
                    (back.next(), back.next()),
                    (Some(TokenTree::Punct(q)), Some(TokenTree::Punct(amp)))
                        if q.as_char() == '\'' && amp.as_char() == '&'
                ),
                _ => false,
            }
        }
        _ => false,
    })
}

/// `#![...]` at the top of the body belongs to the function, not to the
/// block that runs once per attempt.
fn lift_inner_attrs(body: &Group) -> (Vec<TokenStream>, Group) {
    let tokens: Vec<TokenTree> = body.stream().into_iter().collect();
    let mut lifted = Vec::new();
    let mut rest = tokens.as_slice();
    while let [
        TokenTree::Punct(pound),
        TokenTree::Punct(bang),
        TokenTree::Group(group),
        tail @ ..,
    ] = rest
    {
        if pound.as_char() != '#'
            || bang.as_char() != '!'
            || group.delimiter() != Delimiter::Bracket
        {
            break;
        }
        lifted.push(quote!(#pound #bang #group));
        rest = tail;
    }
    let mut inner = Group::new(Delimiter::Brace, rest.iter().cloned().collect());
    inner.set_span(body.span());
    (lifted, inner)
}

/// The return type with every `impl Trait` replaced by `_`, for the type
/// annotations that pin the attempt's output type.
fn replace_impl_trait(ty: &Type) -> TokenStream {
    fn walk(tokens: TokenStream) -> TokenStream {
        let mut out = TokenStream::new();
        let mut iter = tokens.into_iter().peekable();
        while let Some(tt) = iter.next() {
            match tt {
                TokenTree::Ident(ident) if ident == "impl" => {
                    // Skip the bounds up to the next `,` or `>` at this
                    // depth; the `>` of an arrow (`Fn() -> T`) closes nothing.
                    let mut depth = 0usize;
                    let mut after_joint_minus = false;
                    while let Some(next) = iter.peek() {
                        let arrow = after_joint_minus;
                        after_joint_minus = false;
                        match next {
                            TokenTree::Punct(p) if p.as_char() == '-' => {
                                after_joint_minus = p.spacing() == proc_macro2::Spacing::Joint;
                            }
                            TokenTree::Punct(p) if p.as_char() == '>' && arrow => {}
                            TokenTree::Punct(p) if p.as_char() == '<' => depth += 1,
                            TokenTree::Punct(p) if p.as_char() == '>' && depth == 0 => break,
                            TokenTree::Punct(p) if p.as_char() == '>' => depth -= 1,
                            TokenTree::Punct(p) if p.as_char() == ',' && depth == 0 => break,
                            _ => {}
                        }
                        iter.next();
                    }
                    out.extend(quote!(_));
                }
                TokenTree::Group(group) => {
                    let mut new = Group::new(group.delimiter(), walk(group.stream()));
                    new.set_span(group.span());
                    out.extend(std::iter::once(TokenTree::Group(new)));
                }
                other => out.extend(std::iter::once(other)),
            }
        }
        out
    }
    walk(ty.to_token_stream())
}

pub(crate) fn return_type(sig: &syn::Signature) -> Option<&Type> {
    match &sig.output {
        ReturnType::Default => None,
        ReturnType::Type(_, ty) => Some(ty),
    }
}
