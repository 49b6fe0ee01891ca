//! A typed model of the derive input. Every node keeps a reference to the
//! syntax it came from, so that any later check can point at exact tokens.

use std::collections::BTreeSet;

use syn::{DeriveInput, Generics, Ident, Member, Type};

use super::attr::{self, ContainerAttrs, FieldAttr, FieldRole, RetryKind, VariantAttrs};
use crate::ctxt::Ctxt;

pub(crate) struct Enum<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) generics: &'a Generics,
    pub(crate) attrs: ContainerAttrs,
    pub(crate) variants: Vec<Variant<'a>>,
}

pub(crate) struct Variant<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) attrs: VariantAttrs<'a>,
    pub(crate) fields: Vec<Field<'a>>,
}

pub(crate) struct Field<'a> {
    pub(crate) original: &'a syn::Field,
    pub(crate) member: Member,
    pub(crate) ty: &'a Type,
    pub(crate) attr: Option<FieldAttr>,
}

/// What a variant stands for, from its variant attribute.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Claims one or more statuses.
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
        let variants = data
            .variants
            .iter()
            .map(|variant| Variant {
                ident: &variant.ident,
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
                    })
                    .collect(),
            })
            .collect();
        Some(Enum {
            ident: &input.ident,
            generics: &input.generics,
            attrs,
            variants,
        })
    }

    pub(crate) fn other(&self) -> Option<&Variant<'a>> {
        self.variants.iter().find(|v| v.kind() == Kind::Other)
    }

    /// The statuses `variant` can actually be decoded from: its own, less
    /// those that another variant claims exactly (which win over a range).
    pub(crate) fn held_codes(&self, variant: &Variant<'_>) -> Vec<u64> {
        let claimed_elsewhere: BTreeSet<u64> = self
            .variants
            .iter()
            .filter(|v| v.ident != variant.ident)
            .flat_map(|v| v.attrs.status.iter().flat_map(|s| &s.items))
            .filter(|item| !item.is_range)
            .map(|item| item.lo)
            .collect();
        let Some(status) = &variant.attrs.status else {
            return Vec::new();
        };
        let mut codes: Vec<u64> = status
            .items
            .iter()
            .filter(|item| item.lo <= item.hi && item.hi <= 599)
            .flat_map(|item| {
                let range = item.is_range;
                let claimed = &claimed_elsewhere;
                (item.lo..=item.hi).filter(move |code| !range || !claimed.contains(code))
            })
            .collect();
        codes.sort_unstable();
        codes.dedup();
        codes
    }
}

/// Mirrors `apifault::Retry::for_status`, so that the macro can classify a
/// variant that claims several statuses without keeping the one it got.
pub(crate) fn default_retry(code: u64) -> RetryKind {
    match code {
        408 => RetryKind::Backoff,
        429 => RetryKind::After,
        501 | 505 => RetryKind::Never,
        500..=599 => RetryKind::Backoff,
        _ => RetryKind::Never,
    }
}

/// Mirrors the runtime's `status_safe_to_resend`: 429 and 503 reject a
/// request before processing it.
pub(crate) fn default_safe_to_resend(code: u64) -> bool {
    matches!(code, 429 | 503)
}

impl<'a> Variant<'a> {
    pub(crate) fn kind(&self) -> Kind {
        if self.attrs.status.is_some() {
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
    pub(crate) fn field(&self, role: &str) -> Option<&Field<'a>> {
        self.fields
            .iter()
            .find(|f| f.attr.as_ref().is_some_and(|a| a.role.name() == role))
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
