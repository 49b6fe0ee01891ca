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

    // `.idempotent(…)` only where the call says: a call that sends its
    // idempotency key is safe to resend; else `idempotent = EXPR`, spanned
    // on the expression, so that a non-`bool` is reported there.
    let idempotent = match (&args.idempotency_key, &args.idempotent) {
        (Some(_), Some((_, expr))) => quote_spanned!(expr.span()=>
            .idempotent(::core::option::Option::Some({ let _: ::core::primitive::bool = #expr; true }))
        ),
        (Some(_), None) => quote!(.idempotent(::core::option::Option::Some(true))),
        (None, Some((_, expr))) => quote_spanned!(expr.span()=>
            .idempotent(::core::option::Option::<::core::primitive::bool>::Some(#expr))
        ),
        (None, None) => TokenStream::new(),
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
    let key_binding = match &args.idempotency_key {
        Some((_, name)) => {
            quote_spanned!(name.span()=> let #name: ::apifault::__private::IdempotencyKey = ::apifault::__private::IdempotencyKey::new();)
        }
        None => TokenStream::new(),
    };
    let constructor = Ident::new(
        if asynchronous {
            "asynchronous"
        } else {
            "blocking"
        },
        mixed,
    );
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
            let mut #attempts = ::apifault::__private::Attempts::#constructor(#policy_ref) #idempotent;
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
    let start = start.unwrap_or_else(|| {
        quote!(<::apifault::__private::RetryPolicy as ::core::default::Default>::default())
    });
    quote!(#start #(#setters)*)
}

/// Whether the body could mutate what a policy expression borrows: any
/// receiver but `&self`, any argument whose type holds a mutable borrow or
/// pointer (`&mut T`, `&'a mut T`, `*mut T`, at any depth:
/// `Option<&'a mut T>`), any `mut` binding. Read from syn's tree, so no
/// spelling hides one; what syn does not interpret (a macro in type
/// position) counts as mutable, which only costs a clone of the policy.
fn may_mutate_inputs(sig: &syn::Signature) -> bool {
    sig.inputs.iter().any(|input| match input {
        FnArg::Receiver(receiver) => {
            !matches!(receiver.kind, syn::ReceiverKind::Reference(_, _, None))
                || receiver.mutability.is_some()
        }
        FnArg::Typed(typed) => pat_binds_mut(&typed.pat) || type_borrows_mut(&typed.ty),
    })
}

/// Whether a type holds a mutable borrow or pointer anywhere.
fn type_borrows_mut(ty: &Type) -> bool {
    match ty {
        Type::Reference(reference) => {
            reference.mutability.is_some() || type_borrows_mut(&reference.elem)
        }
        Type::Ptr(ptr) => {
            matches!(ptr.mutability, syn::PointerMutability::Mut(_)) || type_borrows_mut(&ptr.elem)
        }
        Type::Array(array) => type_borrows_mut(&array.elem),
        Type::Slice(slice) => type_borrows_mut(&slice.elem),
        Type::Group(group) => type_borrows_mut(&group.elem),
        Type::Paren(paren) => type_borrows_mut(&paren.elem),
        Type::Tuple(tuple) => tuple.elems.iter().any(type_borrows_mut),
        Type::Path(path) => {
            path.qself.as_ref().is_some_and(|q| type_borrows_mut(&q.ty))
                || path_borrows_mut(&path.path)
        }
        Type::ImplTrait(bounds) => bounds.bounds.iter().any(bound_borrows_mut),
        Type::TraitObject(bounds) => bounds.bounds.iter().any(bound_borrows_mut),
        // A function pointer's arguments borrow nothing of the caller's.
        Type::FnPtr(_) | Type::Never(_) | Type::Infer(_) => false,
        _ => true,
    }
}

fn path_borrows_mut(path: &syn::Path) -> bool {
    path.segments
        .iter()
        .any(|segment| match &segment.arguments {
            syn::PathArguments::AngleBracketed(args) => args.args.iter().any(|arg| match arg {
                syn::GenericArgument::Type(ty) => type_borrows_mut(ty),
                syn::GenericArgument::AssocType(assoc) => type_borrows_mut(&assoc.ty),
                _ => false,
            }),
            // `Fn(&mut T)`: a closure's own arguments, not the caller's.
            _ => false,
        })
}

fn bound_borrows_mut(bound: &syn::TypeParamBound) -> bool {
    match bound {
        syn::TypeParamBound::Trait(bound) => path_borrows_mut(&bound.path),
        _ => false,
    }
}

/// Whether a pattern binds anything `mut` (`mut x`, `(a, mut b)`, `&mut x`).
fn pat_binds_mut(pat: &syn::Pat) -> bool {
    use syn::Pat;
    match pat {
        Pat::Ident(ident) => {
            ident.mutability.is_some()
                || ident
                    .subpat
                    .as_ref()
                    .is_some_and(|(_, sub)| pat_binds_mut(sub))
        }
        Pat::Reference(reference) => {
            reference.mutability.is_some() || pat_binds_mut(&reference.pat)
        }
        Pat::Tuple(tuple) => tuple.elems.iter().any(pat_binds_mut),
        Pat::TupleStruct(tuple) => tuple.elems.iter().any(pat_binds_mut),
        Pat::Slice(slice) => slice.elems.iter().any(pat_binds_mut),
        Pat::Struct(fields) => fields.fields.iter().any(|field| pat_binds_mut(&field.pat)),
        Pat::Paren(paren) => pat_binds_mut(&paren.pat),
        Pat::Or(or) => or.cases.iter().any(pat_binds_mut),
        Pat::Type(typed) => pat_binds_mut(&typed.pat),
        Pat::Wild(_) | Pat::Rest(_) | Pat::Lit(_) | Pat::Path(_) | Pat::Range(_) => false,
        _ => true,
    }
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

#[cfg(test)]
mod tests {
    use super::may_mutate_inputs;

    #[test]
    fn mutable_inputs_are_found_by_structure() {
        let cases = [
            ("fn f(&self)", false),
            ("fn f(&'a self)", false),
            ("fn f(&mut self)", true),
            ("fn f(&'a mut self)", true),
            ("fn f(self)", true),
            ("fn f(x: &T)", false),
            ("fn f(x: &mut T)", true),
            ("fn f(x: &'a mut T)", true),
            ("fn f(x: &'a  mut T)", true),
            ("fn f(x: Option<&'a mut T>)", true),
            ("fn f(x: (u8, &'static mut T))", true),
            ("fn f(x: *mut T)", true),
            ("fn f(x: *const T)", false),
            ("fn f(mut x: u8)", true),
            ("fn f((a, mut b): (u8, u8))", true),
            ("fn f((a, b): (u8, u8))", false),
            ("fn f(x: impl Iterator<Item = &'a mut T>)", true),
            ("fn f(x: impl Fn(&mut T))", false),
            ("fn f(x: &dyn Fn(&mut T))", false),
            ("fn f(mutable: &Mutex<T>, x: Vec<&'a T>)", false),
        ];
        for (sig, expected) in cases {
            let sig: syn::Signature = syn::parse_str(sig).unwrap();
            assert_eq!(may_mutate_inputs(&sig), expected, "{}", quote::quote!(#sig));
        }
    }
}
