//! Checks the meaning of the attributes, recording every problem with the
//! tokens that caused it. Type-level checks (a `body` that cannot be
//! deserialized, a `retry_after` on a `String`) are left to the compiler:
//! `expand.rs` places trait bounds on the field's own type.

use std::collections::BTreeMap;

use super::ast::{Enum, Kind, Variant, default_retry, option_inner};
use super::attr::{FieldRole, is_header_name, span_of};
use crate::ctxt::Ctxt;

pub(crate) fn check(cx: &Ctxt, input: &Enum<'_>) {
    check_container(cx, input);
    check_variant_kinds(cx, input);
    check_statuses(cx, input);
    for variant in &input.variants {
        check_fields(cx, variant);
        check_knows_its_retry(cx, input, variant);
    }
}

fn check_header_name(cx: &Ctxt, lit: &syn::LitStr) {
    if !is_header_name(&lit.value()) {
        cx.error_spanned_by(
            lit,
            format!(
                "{:?} is not a valid HTTP header name: use letters, digits and `-`, like \"Retry-After\"",
                lit.value()
            ),
        );
    }
}

fn check_container(cx: &Ctxt, input: &Enum<'_>) {
    if let Some(retry_after) = &input.attrs.retry_after {
        if retry_after.names.is_empty() {
            cx.error_spanned_by(
                &retry_after.key,
                "`retry_after` needs at least one header name, like `retry_after = \"Retry-After\"`",
            );
        }
        for name in &retry_after.names {
            check_header_name(cx, name);
        }
    }
    if let Some(request_id) = &input.attrs.request_id {
        check_header_name(cx, request_id);
    }
}

fn check_variant_kinds(cx: &Ctxt, input: &Enum<'_>) {
    let mut first_other = None;
    let mut first_transport = None;
    for variant in &input.variants {
        let attrs = &variant.attrs;
        let keys = [
            attrs.status.as_ref().map(|s| &s.key),
            attrs.transport.as_ref(),
            attrs.other.as_ref(),
        ];
        let mut given = keys.iter().flatten();
        if let (Some(first), Some(second)) = (given.next(), given.next()) {
            cx.error_spanned_by(
                second,
                format!(
                    "a variant is one of `status = …`, `transport` or `other`, but `{}` says both `{first}` and `{second}`",
                    variant.ident
                ),
            );
        }
        if let Some(key) = &attrs.other {
            match first_other {
                Some(first) => cx.error_spanned_by(
                    key,
                    format!("only one variant can be `other`, and `{first}` already is"),
                ),
                None => first_other = Some(variant.ident),
            }
        }
        if let Some(key) = &attrs.transport {
            match first_transport {
                Some(first) => cx.error_spanned_by(
                    key,
                    format!("only one variant can be `transport`, and `{first}` already is"),
                ),
                None => first_transport = Some(variant.ident),
            }
        }
        if variant.kind() == Kind::Local
            && let Some(retry) = &attrs.retry
        {
            cx.error_spanned_by(
                &retry.lit,
                "`retry` needs `status = …`, `transport` or `other` on the same variant; a variant without them is a local error that is never sent, so never retried",
            );
        }
    }
}

/// A claimed status range, for overlap checks.
struct Claim<'v> {
    variant: &'v syn::Ident,
    lo: u64,
    hi: u64,
}

fn check_statuses(cx: &Ctxt, input: &Enum<'_>) {
    let mut exact: BTreeMap<u64, &syn::Ident> = BTreeMap::new();
    let mut ranges: Vec<Claim<'_>> = Vec::new();
    for variant in &input.variants {
        let Some(status) = &variant.attrs.status else {
            continue;
        };
        for item in &status.items {
            if !(100..=599).contains(&item.lo) || !(100..=599).contains(&item.hi) {
                cx.error_spanned_by(&item.tokens, "an HTTP status is a number from 100 to 599");
                continue;
            }
            if item.lo > item.hi {
                cx.error_spanned_by(
                    &item.tokens,
                    format!(
                        "this range is empty: write the lower status first, `{}..={}`",
                        item.hi, item.lo
                    ),
                );
                continue;
            }
            if item.lo <= 299 && item.hi >= 200 {
                cx.error_spanned_by(
                    &item.tokens,
                    "2xx is success, not an error: an error variant cannot claim a 2xx status",
                );
                continue;
            }
            if item.is_range {
                if let Some(prior) = ranges.iter().find(|c| c.lo <= item.hi && item.lo <= c.hi) {
                    cx.error_spanned_by(
                        &item.tokens,
                        format!(
                            "this range overlaps {}..={} of `{}`: ranges cannot share statuses (a single status inside a range is allowed, and wins)",
                            prior.lo, prior.hi, prior.variant
                        ),
                    );
                    continue;
                }
                ranges.push(Claim {
                    variant: variant.ident,
                    lo: item.lo,
                    hi: item.hi,
                });
            } else if let Some(prior) = exact.get(&item.lo) {
                let what = if *prior == variant.ident {
                    "is listed twice on this variant".to_owned()
                } else {
                    format!("is already claimed by `{prior}`")
                };
                cx.error_spanned_by(
                    &item.tokens,
                    format!(
                        "status {} {what}: each status belongs to one variant",
                        item.lo
                    ),
                );
            } else {
                exact.insert(item.lo, variant.ident);
            }
        }
    }
    // A status inside a range of the same variant would never be told apart.
    for variant in &input.variants {
        let Some(status) = &variant.attrs.status else {
            continue;
        };
        for item in status.items.iter().filter(|i| !i.is_range) {
            if let Some(range) = status
                .items
                .iter()
                .find(|r| r.is_range && r.lo <= item.lo && item.lo <= r.hi)
            {
                cx.error_spanned_by(
                    &item.tokens,
                    format!(
                        "status {} is already inside {}..={} on this variant: drop one of them",
                        item.lo, range.lo, range.hi
                    ),
                );
            }
        }
    }
}

fn check_fields(cx: &Ctxt, variant: &Variant<'_>) {
    let kind = variant.kind();
    let mut seen: BTreeMap<String, &syn::Member> = BTreeMap::new();
    for field in &variant.fields {
        let Some(attr) = &field.attr else { continue };
        match kind {
            Kind::Status | Kind::Other => {}
            Kind::Transport => {
                cx.error_spanned_by(
                    &attr.key,
                    format!(
                        "`{}` needs a response, and a `transport` variant has none: leave its error field without `#[api]`",
                        attr.key
                    ),
                );
                continue;
            }
            Kind::Local => {
                cx.error_spanned_by(
                    &attr.key,
                    format!(
                        "`{}` is filled from a response, but `{}` has no `#[api(status = …)]` or `#[api(other)]`, so it is never decoded from one",
                        attr.key, variant.ident
                    ),
                );
                continue;
            }
        }
        let slot = match &attr.role {
            FieldRole::Header(name) => {
                check_header_name(cx, name);
                if kind == Kind::Other && option_inner(field.ty).is_none() {
                    cx.error_spanned_by(
                        field.ty,
                        "a `header` field of the `other` variant must be an `Option<…>`: that variant takes every response, with or without the header",
                    );
                }
                format!("header = \"{}\"", name.value().to_ascii_lowercase())
            }
            role => role.name().to_owned(),
        };
        if let Some(first) = seen.get(&slot) {
            let first = match first {
                syn::Member::Named(ident) => ident.to_string(),
                syn::Member::Unnamed(index) => index.index.to_string(),
            };
            cx.error_spanned_by(
                &attr.key,
                format!(
                    "`{}` already has a `{slot}` field, `{first}`: a variant has at most one",
                    variant.ident
                ),
            );
        } else {
            seen.insert(slot, &field.member);
        }
    }
}

/// A variant holding several statuses without keeping the one it got is
/// only valid when they all retry alike.
fn check_knows_its_retry(cx: &Ctxt, input: &Enum<'_>, variant: &Variant<'_>) {
    if variant.attrs.retry_given || variant.field("status").is_some() {
        return;
    }
    let add_field = "add a `#[api(status)] status: http::StatusCode` field so that it answers by the status it got, or say `retry = \"…\"`";
    match variant.kind() {
        Kind::Other => cx.error_spanned_by(
            span_of(variant.attrs.attr, variant.ident),
            format!(
                "`{}` takes every unclaimed status, and they retry differently: {add_field}",
                variant.ident
            ),
        ),
        Kind::Status => {
            let Some(status) = &variant.attrs.status else {
                return;
            };
            let mut kinds = input
                .held_codes(variant)
                .into_iter()
                .map(|code| (code, default_retry(code)));
            let Some((first_code, first)) = kinds.next() else {
                return;
            };
            if let Some((code, kind)) = kinds.find(|(_, k)| *k != first) {
                cx.error_spanned_by(
                    &status.tokens,
                    format!(
                        "`{}` holds statuses that retry differently ({first_code} is \"{}\", {code} is \"{}\"): {add_field}",
                        variant.ident,
                        first.name(),
                        kind.name()
                    ),
                );
            }
        }
        Kind::Transport | Kind::Local => {}
    }
}
