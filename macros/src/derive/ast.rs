//! A typed model of the derive input. Every node keeps a reference to the
//! syntax it came from, so that any later check can point at exact tokens.

use std::cell::OnceCell;

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::spanned::Spanned;
use syn::{DeriveInput, Generics, Ident, Member, Type};

use super::attr::{
    self, BodyFormat, ContainerAttrs, FieldAttr, FieldRole, RetryKind, Role, StatusItem,
    VariantAttrs,
};
use crate::ctxt::Ctxt;

pub(crate) struct Enum<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) generics: &'a Generics,
    pub(crate) attrs: ContainerAttrs,
    pub(crate) variants: Vec<Variant<'a>>,
    pub(crate) claims: Claims,
}

pub(crate) struct Variant<'a> {
    /// The variant's place in the enum, from 0: how the claim table and
    /// the generated `match`es name it.
    pub(crate) index: usize,
    pub(crate) ident: &'a Ident,
    /// Written without fields, `V` (not `V {}` or `V()`): named by its path
    /// alone in patterns and expressions.
    pub(crate) unit: bool,
    pub(crate) attrs: VariantAttrs<'a>,
    pub(crate) fields: Vec<Field<'a>>,
}

pub(crate) struct Field<'a> {
    pub(crate) original: &'a syn::Field,
    pub(crate) member: Member,
    pub(crate) ty: &'a Type,
    pub(crate) attr: Option<FieldAttr>,
    /// The span of `ty`, where trait checks on the field are reported
    /// (computed once: joining a type's spans walks all its tokens).
    span: OnceCell<Span>,
    /// `ty` as text, to tell fields of equal types (computed once).
    ty_text: OnceCell<String>,
}

/// What a variant stands for, from its variant attribute.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Claims responses: by status, by `when(...)` conditions, or both.
    Status,
    /// Failures below HTTP.
    Transport,
    /// Every response no other variant claims.
    Other,
    /// Raised before anything was sent: no `#[api]` on the variant.
    Local,
}

impl<'a> Enum<'a> {
    /// `None` when the input is not an enum (the error is recorded).
    pub(crate) fn from_syn(cx: &Ctxt, input: &'a DeriveInput) -> Option<Self> {
        let data = match &input.data {
            syn::Data::Enum(data) => data,
            syn::Data::Struct(data) => {
                cx.syn_error(syn::Error::new(
                    data.struct_token.span,
                    "`ApiError` can only be derived for an enum: an API's errors are alternatives, one variant per status. Wrap this struct in a variant of an error enum",
                ));
                return None;
            }
            syn::Data::Union(data) => {
                cx.syn_error(syn::Error::new(
                    data.union_token.span,
                    "`ApiError` can only be derived for an enum, not a union",
                ));
                return None;
            }
        };
        let attrs = attr::container(cx, &input.attrs);
        let variants: Vec<Variant<'a>> = data
            .variants
            .iter()
            .enumerate()
            .map(|(index, variant)| Variant {
                index,
                ident: &variant.ident,
                unit: matches!(variant.fields, syn::Fields::Unit),
                attrs: attr::variant(cx, &variant.attrs),
                fields: variant
                    .fields
                    .iter()
                    .zip(variant.fields.members())
                    .map(|(field, member)| Field {
                        original: field,
                        member,
                        ty: &field.ty,
                        attr: attr::field(cx, &field.attrs),
                        span: OnceCell::new(),
                        ty_text: OnceCell::new(),
                    })
                    .collect(),
            })
            .collect();
        let claims = Claims::build(&variants, attrs.error_2xx.is_some());
        Some(Enum {
            ident: &input.ident,
            generics: &input.generics,
            attrs,
            variants,
            claims,
        })
    }

    pub(crate) fn other(&self) -> Option<&Variant<'a>> {
        self.variants.iter().find(|v| v.kind() == Kind::Other)
    }

    /// The statuses `variant` can be decoded from (see [`Claims`]), in
    /// ascending order.
    pub(crate) fn held_codes(&self, variant: &Variant<'_>) -> &[u16] {
        self.claims
            .held
            .get(variant.index)
            .map_or(&[], Vec::as_slice)
    }

    /// What this variant answers from `retry()` whatever the response, if
    /// that is known at compile time: its `retry = …`, or the one retry
    /// all the statuses it can hold share.
    pub(crate) fn static_retry(&self, variant: &Variant<'_>) -> Option<RetryKind> {
        if let Some(retry) = &variant.attrs.retry {
            return Some(retry.kind);
        }
        if variant.kind() != Kind::Status || variant.field(Role::Status).is_some() {
            return None;
        }
        let codes = self.held_codes(variant);
        let first = default_retry(u64::from(*codes.first()?));
        codes
            .iter()
            .all(|&code| default_retry(u64::from(code)) == first)
            .then_some(first)
    }
}

/// The one statement of which variant claims which response, built once
/// from the variant attributes and read by validation (what each variant
/// can hold), decoding (the order in which variants are tried) and serving
/// (the status a variant is served with).
///
/// Precedence, as the docs state it: a variant whose conditions hold beats
/// every variant without conditions; within each of those two groups, an
/// exact status beats a range, which beats a status-less `when` variant;
/// ties go to the first declared; `other` comes last.
pub(crate) struct Claims {
    /// Per status (index `status - 100`): the conditional variants that
    /// claim it, exact claims first, each group in declaration order.
    pub(crate) conditional: Vec<Vec<usize>>,
    /// Conditional variants without a status: they match any non-2xx.
    pub(crate) statusless: Vec<usize>,
    /// Per status: the unconditional variant holding it (an exact claim
    /// beats a range).
    pub(crate) unconditional: Vec<Option<usize>>,
    /// Claims that cannot all hold: the tokens to blame and why.
    pub(crate) conflicts: Vec<(TokenStream, String)>,
    /// Per variant: the statuses it can be decoded from, ascending (all it
    /// claims when it has conditions; without, its own less those another
    /// variant claims exactly, which win over a range). Computed once, for
    /// validation, classification and serving alike.
    pub(crate) held: Vec<Vec<u16>>,
}

/// Statuses a variant may claim; others are reported by `valid.rs`.
pub(crate) const STATUSES: core::ops::RangeInclusive<u64> = 100..=599;

fn claimable(item: &StatusItem, error_2xx: bool) -> bool {
    STATUSES.contains(&item.lo)
        && STATUSES.contains(&item.hi)
        && item.lo <= item.hi
        && (error_2xx || !(item.lo <= 299 && item.hi >= 200))
}

impl Claims {
    fn build(variants: &[Variant<'_>], error_2xx: bool) -> Claims {
        let size = (STATUSES.end() - STATUSES.start() + 1) as usize;
        let slot = |code: u64| (code - STATUSES.start()) as usize;
        let mut claims = Claims {
            conditional: vec![Vec::new(); size],
            statusless: Vec::new(),
            unconditional: vec![None; size],
            conflicts: Vec::new(),
            held: vec![Vec::new(); variants.len()],
        };
        let mut exact_owner: Vec<Option<usize>> = vec![None; size];
        let mut ranges: Vec<(usize, u64, u64)> = Vec::new();
        let claiming = variants
            .iter()
            .enumerate()
            .filter(|(_, v)| v.kind() == Kind::Status);
        // Exact claims first, so that a range declared earlier still yields.
        for exact_pass in [true, false] {
            for (index, variant) in claiming.clone() {
                let conditional = variant.attrs.when.is_some();
                let Some(status) = &variant.attrs.status else {
                    if exact_pass && conditional {
                        claims.statusless.push(index);
                    }
                    continue;
                };
                for item in status
                    .items
                    .iter()
                    .filter(|i| claimable(i, error_2xx) && i.is_range != exact_pass)
                {
                    if !item.is_range {
                        let mut own = status
                            .items
                            .iter()
                            .filter(|other| claimable(other, error_2xx));
                        if let Some(range) =
                            own.find(|r| r.is_range && r.lo <= item.lo && item.lo <= r.hi)
                        {
                            claims.conflicts.push((
                                item.tokens.clone(),
                                format!(
                                    "status {} is already inside {}..={} on this variant: drop one of them",
                                    item.lo, range.lo, range.hi
                                ),
                            ));
                            continue;
                        }
                        let listed_before = status
                            .items
                            .iter()
                            .take_while(|other| !std::ptr::eq(*other, item))
                            .any(|other| !other.is_range && other.lo == item.lo);
                        if listed_before {
                            claims.conflicts.push((
                                item.tokens.clone(),
                                format!("status {} is listed twice on this variant: each status belongs to one variant", item.lo),
                            ));
                            continue;
                        }
                    }
                    if conditional {
                        for code in item.lo..=item.hi {
                            let list = &mut claims.conditional[slot(code)];
                            if !list.contains(&index) {
                                list.push(index);
                            }
                        }
                        continue;
                    }
                    if item.is_range {
                        if let Some(&(prior, lo, hi)) = ranges
                            .iter()
                            .find(|(_, lo, hi)| *lo <= item.hi && item.lo <= *hi)
                        {
                            claims.conflicts.push((
                                item.tokens.clone(),
                                format!(
                                    "this range overlaps {lo}..={hi} of `{}`: ranges cannot share statuses (a single status inside a range is allowed, and wins)",
                                    variants[prior].ident
                                ),
                            ));
                            continue;
                        }
                        ranges.push((index, item.lo, item.hi));
                        for code in item.lo..=item.hi {
                            let held = &mut claims.unconditional[slot(code)];
                            if held.is_none() {
                                *held = Some(index);
                            }
                        }
                    } else if let Some(prior) = exact_owner[slot(item.lo)] {
                        claims.conflicts.push((
                            item.tokens.clone(),
                            format!(
                                "status {} is already claimed by `{}`: each status belongs to one variant without conditions (give one of them `when(...)` to tell them apart)",
                                item.lo, variants[prior].ident
                            ),
                        ));
                    } else {
                        exact_owner[slot(item.lo)] = Some(index);
                        claims.unconditional[slot(item.lo)] = Some(index);
                    }
                }
            }
        }
        for slot in 0..size {
            let code = (slot as u64 + STATUSES.start()) as u16;
            let holders = claims.unconditional[slot]
                .iter()
                .chain(&claims.conditional[slot]);
            for &index in holders {
                let held = &mut claims.held[index];
                if held.last() != Some(&code) {
                    held.push(code);
                }
            }
        }
        claims
    }

    /// The sorted, disjoint runs of statuses over which `value` is the
    /// same and not `None`: `(lo, hi, value)`.
    pub(crate) fn runs<T: PartialEq + Clone>(
        &self,
        value: impl Fn(usize) -> Option<T>,
    ) -> Vec<(u16, u16, T)> {
        let mut runs: Vec<(u16, u16, T)> = Vec::new();
        for slot in 0..self.unconditional.len() {
            let Some(v) = value(slot) else { continue };
            let code = (slot as u64 + STATUSES.start()) as u16;
            match runs.last_mut() {
                Some((_, hi, last)) if *hi + 1 == code && *last == v => *hi = code,
                _ => runs.push((code, code, v)),
            }
        }
        runs
    }
}

/// The runtime's `Retry::for_status`, from the table both share, so that
/// the macro can classify a variant that claims several statuses without
/// keeping the one it got.
pub(crate) fn default_retry(code: u64) -> RetryKind {
    apifault_rules::retry_for_status(u16::try_from(code).unwrap_or(u16::MAX))
}

/// The runtime's resend rule for one status, from the shared table.
pub(crate) fn default_safe_to_resend(code: u64) -> bool {
    apifault_rules::safe_to_resend_status(u16::try_from(code).unwrap_or(u16::MAX))
}

impl<'a> Variant<'a> {
    pub(crate) fn kind(&self) -> Kind {
        if self.attrs.status.is_some()
            || (self.attrs.when.is_some()
                && self.attrs.transport.is_none()
                && self.attrs.other.is_none())
        {
            Kind::Status
        } else if self.attrs.transport.is_some() {
            Kind::Transport
        } else if self.attrs.other.is_some() {
            Kind::Other
        } else {
            Kind::Local
        }
    }

    /// The field playing `role` (compared by role name).
    pub(crate) fn field(&self, role: Role) -> Option<&Field<'a>> {
        self.fields
            .iter()
            .find(|f| f.attr.as_ref().is_some_and(|a| a.role.role() == role))
    }

    /// The one status this variant claims, if it claims exactly one.
    pub(crate) fn single_status(&self) -> Option<u64> {
        match self.attrs.status.as_ref()?.items.as_slice() {
            [item] if item.lo == item.hi => Some(item.lo),
            _ => None,
        }
    }

    /// The error field of a `transport` variant: the one without `#[api]`,
    /// preferring one thiserror marks as `#[from]` or `#[source]`.
    pub(crate) fn transport_field(&self) -> Option<&Field<'a>> {
        let mut candidates = self.fields.iter().filter(|f| f.attr.is_none());
        let marked = self.fields.iter().find(|f| {
            f.attr.is_none()
                && f.original
                    .attrs
                    .iter()
                    .any(|a| a.path().is_ident("from") || a.path().is_ident("source"))
        });
        marked.or_else(|| candidates.next())
    }
}

impl Field<'_> {
    pub(crate) fn role(&self) -> Option<&FieldRole> {
        self.attr.as_ref().map(|a| &a.role)
    }

    /// Whether a `body` field is read and written as XML (`body(xml)`).
    pub(crate) fn is_xml(&self) -> bool {
        self.attr
            .as_ref()
            .is_some_and(|a| a.format == BodyFormat::Xml)
    }

    /// The span of the field's type.
    pub(crate) fn ty_span(&self) -> Span {
        *self.span.get_or_init(|| self.ty.span())
    }

    /// The field's type as text.
    pub(crate) fn ty_text(&self) -> &str {
        self.ty_text
            .get_or_init(|| self.ty.to_token_stream().to_string())
    }
}

/// `T` when `ty` is written `Option<T>` (or `core::option::Option<T>`, …).
pub(crate) fn option_inner(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ty else { return None };
    if path.qself.is_some() {
        return None;
    }
    let last = path.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        syn::GenericArgument::Type(inner) if args.args.len() == 1 => Some(inner),
        _ => None,
    }
}
