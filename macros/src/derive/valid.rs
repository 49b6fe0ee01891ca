//! Checks the meaning of the attributes, recording every problem with the
//! tokens that caused it. Type-level checks (a `body` that cannot be
//! deserialized, a `retry_after` on a `String`) are left to the compiler:
//! `expand.rs` places trait bounds on the field's own type.

use std::collections::BTreeMap;

use super::ast::{Enum, Kind, Variant, default_retry, option_inner};
use super::attr::{
    BodyTest, Condition, FieldRole, HintSource, HintSources, HintUnit, RetryKind, Role,
    is_header_name, span_of,
};
use crate::ctxt::Ctxt;

pub(crate) fn check(cx: &Ctxt, input: &Enum<'_>) {
    check_container(cx, input);
    check_variant_kinds(cx, input);
    check_statuses(cx, input);
    for variant in &input.variants {
        check_fields(cx, variant);
        check_conditions(cx, input, variant);
        check_knows_its_retry(cx, input, variant);
    }
}

fn check_hint_sources(cx: &Ctxt, sources: &HintSources) {
    if sources.sources.is_empty() {
        cx.error_spanned_by(
            &sources.key,
            "`retry_after` needs at least one source, like `retry_after = \"Retry-After\"`",
        );
    }
    for source in &sources.sources {
        check_hint_source(cx, source, true);
    }
}

/// A hint source: a header name, or (where the body may be read) a JSON
/// pointer with its unit.
fn check_hint_source(cx: &Ctxt, source: &HintSource, body_allowed: bool) {
    let HintSource::At { unit, lit } = source else {
        return;
    };
    let text = lit.value();
    if text.starts_with('/') || text.is_empty() {
        if !body_allowed {
            cx.error_spanned_by(
                lit,
                "a rate-limit reset is read from the headers (a `Throttle` sees no body): name a header here",
            );
        } else if *unit == HintUnit::Plain {
            cx.error_spanned_by(
                lit,
                format!(
                    "a wait in the body needs its unit: write `secs({text:?})`, or `ms`, `unix`, `timestamp`, `duration`"
                ),
            );
        } else if !is_json_pointer(&text) {
            check_pointer(cx, lit, &text);
        }
        return;
    }
    if !is_header_name(&text) {
        check_header_name(cx, lit);
        return;
    }
    let lower = text.to_ascii_lowercase();
    if *unit == HintUnit::Plain && lower.ends_with("-ms") {
        cx.error_spanned_by(
            lit,
            format!(
                "{text:?} holds milliseconds, but a bare header name is read as seconds: write `ms({text:?})`"
            ),
        );
    }
}

fn check_pointer(cx: &Ctxt, lit: &syn::LitStr, pointer: &str) {
    if !is_json_pointer(pointer) {
        cx.error_spanned_by(
            lit,
            format!(
                "{pointer:?} is not a JSON pointer (RFC 6901): start it with `/`, like \"/error/code\", and write `~` as `~0` and `/` inside a name as `~1`"
            ),
        );
    }
}

fn check_body_test(cx: &Ctxt, test: &BodyTest) {
    if test.pointer.is_empty() || !is_json_pointer(&test.pointer) {
        cx.error_spanned_by(
            &test.lit,
            format!(
                "{:?} is not a JSON pointer (RFC 6901): write `\"/pointer: value\"` to compare the value there, or `\"/pointer\"` to test that it is present and not null, false, empty or zero",
                test.pointer
            ),
        );
    } else if test.value.as_deref() == Some("") {
        cx.error_spanned_by(
            &test.lit,
            "nothing after the colon: write `\"/pointer: value\"`, or drop the colon to test that the value is present",
        );
    }
}

/// Whether `pointer` is an RFC 6901 JSON pointer: empty (the whole
/// document) or `/`-separated tokens in which `~` only starts `~0` or `~1`.
fn is_json_pointer(pointer: &str) -> bool {
    if pointer.is_empty() {
        return true;
    }
    pointer.starts_with('/')
        && pointer
            .split('~')
            .skip(1)
            .all(|after| after.starts_with('0') || after.starts_with('1'))
}

/// A header value as `http::HeaderValue` accepts it: visible ASCII, spaces
/// and tabs, not empty.
fn is_header_value(value: &str) -> bool {
    !value.is_empty()
        && value
            .bytes()
            .all(|b| b == b'\t' || (b' '..=b'~').contains(&b))
}

fn check_conditions(cx: &Ctxt, input: &Enum<'_>, variant: &Variant<'_>) {
    let attrs = &variant.attrs;
    if let Some(sources) = &attrs.retry_after {
        check_hint_sources(cx, sources);
    }
    if let Some(when) = &attrs.when {
        if let Some(key) = attrs.transport.as_ref().or(attrs.other.as_ref()) {
            cx.error_spanned_by(
                &when.key,
                format!(
                    "`when` chooses among the variants that claim a response; the `{key}` variant takes what is left when none does, so it takes no conditions"
                ),
            );
        }
        for condition in &when.conditions {
            match condition {
                Condition::Header { lit, name, value } => {
                    if !is_header_name(name) {
                        cx.error_spanned_by(
                            lit,
                            format!(
                                "{name:?} is not a valid HTTP header name: write `header = \"Name\"` to test that the header is present, or `header = \"Name: value\"` to test its value"
                            ),
                        );
                    } else if let Some(value) = value
                        && !is_header_value(value)
                    {
                        cx.error_spanned_by(
                            lit,
                            format!(
                                "{value:?} is not a header value to compare with: give visible ASCII after the colon, like \"{name}: 0\", or drop the colon to test that the header is present"
                            ),
                        );
                    }
                }
                Condition::Code { key, .. } => {
                    if input.attrs.code.is_none() {
                        cx.error_spanned_by(
                            key,
                            "`when(code = …)` needs to know where the body keeps its error code: add `#[api(code = \"/error/code\")]` (a JSON pointer) on the enum",
                        );
                    }
                }
                Condition::Body(test) => check_body_test(cx, test),
                Condition::Predicate(_) => {}
            }
        }
    }
    if let Some(wait) = &attrs.default_wait {
        if wait.millis.is_none() {
            cx.error_spanned_by(
                &wait.lit,
                "expected a duration like \"60s\", \"500ms\", \"2m\" or \"1h\": digits, then `ms`, `s`, `m` or `h`",
            );
        }
        let never = match variant.kind() {
            Kind::Local => true,
            Kind::Transport => false,
            Kind::Status | Kind::Other => {
                input.static_retry(variant) == Some(RetryKind::Never)
                    && variant.field(Role::ShouldRetry).is_none()
            }
        };
        if never {
            cx.error_spanned_by(
                &wait.key,
                format!(
                    "`{}` is never retried, so `default_wait` would never be waited: drop it, or say `retry = \"after\"`",
                    variant.ident
                ),
            );
        }
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
        check_hint_sources(cx, retry_after);
    }
    if let Some(spec) = &input.attrs.rate_limit {
        let names = [&spec.limit, &spec.remaining, &spec.used];
        for name in names.into_iter().flatten() {
            check_header_name(cx, name);
        }
        match &spec.reset {
            Some(HintSource::Function(path)) => cx.error_spanned_by(
                path,
                "a rate-limit reset is read from a header (a `Throttle` sees only headers): name it, like `reset = duration(\"x-ratelimit-reset-requests\")`",
            ),
            Some(source) => check_hint_source(cx, source, false),
            None => {}
        }
        if names.iter().all(|n| n.is_none()) && spec.reset.is_none() {
            cx.error_spanned_by(
                &spec.key,
                "`rate_limit(...)` names no header: give at least one of `limit`, `remaining`, `reset` or `used`",
            );
        }
    }
    if let Some(error) = &input.attrs.error_2xx {
        check_body_test(cx, &error.body);
    }
    if let Some(request_id) = &input.attrs.request_id {
        check_header_name(cx, request_id);
    }
    if let Some(should_retry) = &input.attrs.should_retry {
        check_header_name(cx, should_retry);
    }
    if let Some(code) = &input.attrs.code {
        if code.pointers.is_empty() {
            cx.error_spanned_by(
                &code.key,
                "`code` needs at least one JSON pointer, like `code = \"/error/code\"`",
            );
        }
        for pointer in &code.pointers {
            check_pointer(cx, pointer, &pointer.value());
        }
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

/// Statuses out of range, empty ranges and 2xx claims, then the conflicts
/// the claim table found (two unconditional claims on one status).
fn check_statuses(cx: &Ctxt, input: &Enum<'_>) {
    for variant in &input.variants {
        let Some(status) = &variant.attrs.status else {
            continue;
        };
        for item in &status.items {
            if !(100..=599).contains(&item.lo) || !(100..=599).contains(&item.hi) {
                cx.error_spanned_by(&item.tokens, "an HTTP status is a number from 100 to 599");
            } else if item.lo > item.hi {
                cx.error_spanned_by(
                    &item.tokens,
                    format!(
                        "this range is empty: write the lower status first, `{}..={}`",
                        item.hi, item.lo
                    ),
                );
            } else if item.lo <= 299 && item.hi >= 200 && !input.attrs.error_2xx_given {
                cx.error_spanned_by(
                    &item.tokens,
                    "2xx is success, not an error: an error variant cannot claim a 2xx status, unless the API reports errors inside a 2xx and the enum says how to tell, `#[api(error_2xx(body = \"/ok: false\"))]`",
                );
            }
        }
    }
    for (tokens, message) in &input.claims.conflicts {
        cx.error_spanned_by(tokens, message);
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
    if variant.attrs.retry_given || variant.field(Role::Status).is_some() {
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
                if let Some(when) = &variant.attrs.when {
                    cx.error_spanned_by(
                        &when.key,
                        format!(
                            "`{}` has conditions and no status, so it takes any error status, and they retry differently: {add_field}",
                            variant.ident
                        ),
                    );
                }
                return;
            };
            let mut kinds = input
                .held_codes(variant)
                .iter()
                .map(|&code| (code, default_retry(u64::from(code))));
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
