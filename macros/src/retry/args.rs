//! Reads `#[apifault::retry(...)]`'s arguments and the function it is on.
//! As in the derive, each bad argument is recorded and parsing goes on.

use proc_macro2::{TokenStream, TokenTree};
use syn::parse::{Parse, ParseStream};
use syn::{Attribute, Expr, Ident, LitInt, LitStr, Signature, Token, Visibility};

use crate::ctxt::Ctxt;

const KNOBS: &str = "`policy`, `max_retries`, `base`, `factor`, `delays`, `max_delay`, `max_elapsed`, `max_server_wait`, `jitter`, `idempotent`, `idempotency_key`";

#[derive(Default)]
pub(crate) struct Args {
    pub(crate) policy: Option<(Ident, Expr)>,
    pub(crate) knobs: Vec<Knob>,
    /// `idempotent = EXPR`: any `bool` expression, evaluated once per call.
    pub(crate) idempotent: Option<(Ident, Expr)>,
    /// `idempotency_key = name`: binds `name: IdempotencyKey` in the body.
    pub(crate) idempotency_key: Option<(Ident, Ident)>,
}

pub(crate) struct Knob {
    pub(crate) key: Ident,
    pub(crate) value: KnobValue,
}

pub(crate) enum KnobValue {
    MaxRetries(u32),
    Duration(u64),
    Factor(f64),
    Jitter(&'static str),
    /// `delays = ["2s", "4s", "16s"]`, in milliseconds.
    Delays(Vec<u64>),
}

impl Args {
    pub(crate) fn parse(cx: &Ctxt, tokens: TokenStream) -> Args {
        let mut args = Args::default();
        let parser = syn::meta::parser(|meta| {
            if let Err(error) = args.parse_one(&meta) {
                cx.syn_error(error);
                skip_to_comma(meta.input)?;
            }
            Ok(())
        });
        if let Err(error) = syn::parse::Parser::parse2(parser, tokens) {
            cx.syn_error(error);
        }
        args.check(cx);
        args
    }

    fn parse_one(&mut self, meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<()> {
        let key = meta.path.get_ident().cloned().ok_or_else(|| {
            syn::Error::new_spanned(&meta.path, format!("expected one of {KNOBS}"))
        })?;
        let name = key.to_string();
        let seen = match name.as_str() {
            "policy" => self.policy.is_some(),
            "idempotent" => self.idempotent.is_some(),
            "idempotency_key" => self.idempotency_key.is_some(),
            _ => self.knobs.iter().any(|k| k.key == key),
        };
        if seen {
            return Err(syn::Error::new_spanned(
                &key,
                format!("duplicate `{key}`: give it once"),
            ));
        }
        if !meta.input.peek(Token![=]) {
            let known = matches!(
                name.as_str(),
                "policy"
                    | "max_retries"
                    | "base"
                    | "factor"
                    | "max_delay"
                    | "max_elapsed"
                    | "max_server_wait"
                    | "jitter"
                    | "idempotent"
                    | "idempotency_key"
                    | "delays"
            );
            if known {
                return Err(syn::Error::new_spanned(
                    &key,
                    format!("`{key}` needs a value: `{key} = …`"),
                ));
            }
        }
        match name.as_str() {
            "policy" => {
                let expr: Expr = meta.value()?.parse()?;
                self.policy = Some((key, expr));
            }
            "idempotent" => {
                let expr: Expr = meta.value()?.parse().map_err(|e| {
                    syn::Error::new(
                        e.span(),
                        "expected `idempotent = true`, `idempotent = false` or any `bool` expression, like `idempotent = self.idempotent`",
                    )
                })?;
                self.idempotent = Some((key, expr));
            }
            "idempotency_key" => {
                let name: Ident = meta.value()?.parse().map_err(|e| {
                    syn::Error::new(
                        e.span(),
                        "expected a name to bind the key to, like `idempotency_key = key`",
                    )
                })?;
                self.idempotency_key = Some((key, name));
            }
            "delays" => {
                let value = meta.value()?;
                if !value.peek(syn::token::Bracket) {
                    return Err(value.error(
                        "expected a list of durations in brackets, like `delays = [\"2s\", \"4s\", \"16s\"]`",
                    ));
                }
                let content;
                let brackets = syn::bracketed!(content in value);
                let list = content
                    .parse_terminated(|input| input.parse::<LitStr>(), Token![,])
                    .map_err(|e| {
                        syn::Error::new(
                            e.span(),
                            "expected durations in quotes, like `delays = [\"2s\", \"4s\", \"16s\"]`",
                        )
                    })?;
                if list.is_empty() {
                    return Err(syn::Error::new(
                        brackets.span.join(),
                        "`delays` needs at least one delay, like `delays = [\"2s\", \"4s\", \"16s\"]` (the last one repeats)",
                    ));
                }
                let mut millis = Vec::with_capacity(list.len());
                for lit in &list {
                    millis.push(duration_millis(lit)?);
                }
                self.knobs.push(Knob {
                    key,
                    value: KnobValue::Delays(millis),
                });
            }
            "max_retries" => {
                let lit: LitInt = meta.value()?.parse().map_err(|e| {
                    syn::Error::new(
                        e.span(),
                        "expected a number of retries, like `max_retries = 4`",
                    )
                })?;
                let n = lit.base10_parse::<u32>().map_err(|_| {
                    syn::Error::new_spanned(
                        &lit,
                        "expected a number of retries from 0 to 4294967295",
                    )
                })?;
                self.knobs.push(Knob {
                    key,
                    value: KnobValue::MaxRetries(n),
                });
            }
            "base" | "max_delay" | "max_elapsed" | "max_server_wait" => {
                let lit: LitStr = meta.value()?.parse().map_err(|e| {
                    syn::Error::new(
                        e.span(),
                        format!("expected a duration in quotes, like `{key} = \"2s\"`"),
                    )
                })?;
                let millis = duration_millis(&lit)?;
                self.knobs.push(Knob {
                    key,
                    value: KnobValue::Duration(millis),
                });
            }
            "factor" => {
                let value = meta.value()?;
                let span = value.span();
                let factor = if value.peek(syn::LitFloat) {
                    value.parse::<syn::LitFloat>()?.base10_parse::<f64>()?
                } else if value.peek(LitInt) {
                    value.parse::<LitInt>()?.base10_parse::<f64>()?
                } else {
                    return Err(value.error("expected a number, like `factor = 2.0`"));
                };
                if !(factor.is_finite() && factor >= 1.0) {
                    return Err(syn::Error::new(
                        span,
                        "`factor` must be at least 1.0, or delays would shrink",
                    ));
                }
                self.knobs.push(Knob {
                    key,
                    value: KnobValue::Factor(factor),
                });
            }
            "jitter" => {
                let lit: LitStr = meta.value()?.parse().map_err(|e| {
                    syn::Error::new(e.span(), "expected `jitter = \"none\"`, `\"full\"`, `\"equal\"` or `\"decorrelated\"`")
                })?;
                // `Jitter`'s variants, in the order of the shared word list.
                const VARIANTS: [&str; 4] = ["None", "Full", "Equal", "Decorrelated"];
                let Some(index) = apifault_rules::JITTERS
                    .iter()
                    .position(|word| *word == lit.value())
                else {
                    return Err(syn::Error::new_spanned(
                        &lit,
                        format!(
                            "unknown jitter `{}`; expected {}",
                            lit.value(),
                            apifault_rules::JITTER_NAMES
                        ),
                    ));
                };
                let jitter = VARIANTS[index];
                self.knobs.push(Knob {
                    key,
                    value: KnobValue::Jitter(jitter),
                });
            }
            _ => {
                return Err(syn::Error::new_spanned(
                    &key,
                    format!("unknown argument `{key}`; expected one of {KNOBS}"),
                ));
            }
        }
        Ok(())
    }

    fn check(&self, cx: &Ctxt) {
        // `delays` is the whole schedule: the exponential one's knobs have
        // nothing to shape.
        if self.knobs.iter().any(|k| k.key == "delays") {
            for knob in self
                .knobs
                .iter()
                .filter(|k| k.key == "base" || k.key == "factor")
            {
                cx.error_spanned_by(
                    &knob.key,
                    format!(
                        "`{}` shapes an exponential backoff, and `delays` gives the schedule itself: keep one of them",
                        knob.key
                    ),
                );
            }
        }
        if self.policy.is_some() {
            for knob in &self.knobs {
                let on_the_policy = if knob.key == "delays" {
                    "make the policy with `RetryPolicy::delays(…)`".to_owned()
                } else {
                    format!("set it on the policy (`.{}(…)`)", knob.key)
                };
                cx.error_spanned_by(
                    &knob.key,
                    format!(
                        "`{}` cannot be combined with `policy = …`: {on_the_policy}, or drop `policy` and use knobs only",
                        knob.key
                    ),
                );
            }
        }
    }
}

/// A duration literal as milliseconds, or an error on it.
fn duration_millis(lit: &LitStr) -> syn::Result<u64> {
    parse_duration(&lit.value()).ok_or_else(|| {
        syn::Error::new_spanned(
            lit,
            format!(
                "{:?} is not a duration: write a whole number and a unit, like \"250ms\", \"2s\", \"1m\" or \"1h\"",
                lit.value()
            ),
        )
    })
}

/// `"250ms"`, `"2s"`, `"1m"`, `"1h"` as milliseconds: digits then a unit,
/// nothing else.
pub(crate) fn parse_duration(text: &str) -> Option<u64> {
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (digits, unit) = text.split_at(split);
    if digits.is_empty() {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    let scale = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        _ => return None,
    };
    n.checked_mul(scale)
}

fn skip_to_comma(input: ParseStream<'_>) -> syn::Result<()> {
    input.step(|cursor| {
        let mut rest = *cursor;
        while let Some((tt, next)) = rest.token_tree() {
            if let TokenTree::Punct(punct) = &tt
                && punct.as_char() == ','
            {
                return Ok(((), rest));
            }
            rest = next;
        }
        Ok(((), rest))
    })
}

/// The function under the attribute, with its body kept as tokens.
pub(crate) struct RetryFn {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) sig: Signature,
    /// `None` for a declaration without a body (`fn f();`).
    pub(crate) body: Option<proc_macro2::Group>,
    pub(crate) semi: Option<Token![;]>,
}

impl Parse for RetryFn {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        let sig: Signature = input.parse()?;
        if input.peek(Token![;]) {
            let semi = input.parse()?;
            return Ok(RetryFn {
                attrs,
                vis,
                sig,
                body: None,
                semi: Some(semi),
            });
        }
        let body = input.step(|cursor| match cursor.token_tree() {
            Some((TokenTree::Group(group), next))
                if group.delimiter() == proc_macro2::Delimiter::Brace =>
            {
                Ok((group, next))
            }
            _ => Err(cursor.error("expected the function's body")),
        })?;
        if !input.is_empty() {
            return Err(input.error("unexpected tokens after the function's body"));
        }
        Ok(RetryFn {
            attrs,
            vis,
            sig,
            body: Some(body),
            semi: None,
        })
    }
}
