//! Reads `#[api(...)]` attributes on the enum, its variants and their fields.
//! Syntax errors are recorded and parsing goes on with the next key, so that
//! one build reports every bad key; meaning is checked later, in `valid.rs`.

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use syn::meta::ParseNestedMeta;
use syn::parse::ParseStream;
use syn::{Attribute, Ident, LitInt, LitStr, Token};

use crate::ctxt::Ctxt;

/// `#[api(...)]` on the enum.
#[derive(Default)]
pub(crate) struct ContainerAttrs {
    pub(crate) retry_after: Option<HintSources>,
    pub(crate) request_id: Option<LitStr>,
    pub(crate) atomic: Option<Ident>,
    /// `code = "/json/pointer"` or a list: where a JSON body keeps its error code.
    pub(crate) code: Option<CodePointers>,
    /// `should_retry = "Header"`: the server's own retry decision.
    pub(crate) should_retry: Option<LitStr>,
    /// `rate_limit(limit = …, remaining = …, reset = …, used = …)`.
    pub(crate) rate_limit: Option<RateLimitAttr>,
    /// `error_2xx(body = "/pointer: value")`: such a 2xx is an error.
    pub(crate) error_2xx: Option<Error2xx>,
    /// Whether `error_2xx` was written, even in a form that did not parse,
    /// so that its 2xx variants are not also reported.
    pub(crate) error_2xx_given: bool,
}

/// `retry_after = …`: where the wait hint is, tried in order.
pub(crate) struct HintSources {
    pub(crate) key: Ident,
    pub(crate) sources: Vec<HintSource>,
}

/// How a hint is written.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum HintUnit {
    /// A bare `"Header"`: `Retry-After` as RFC 9110 says, `RateLimit` as the
    /// IETF field, any other header as a reset.
    Plain,
    Secs,
    Ms,
    Unix,
    Timestamp,
    Duration,
}

impl HintUnit {
    pub(crate) const NAMES: &str = "`secs`, `ms`, `unix`, `timestamp` or `duration`";

    fn from_name(name: &str) -> Option<HintUnit> {
        Some(match name {
            "secs" => HintUnit::Secs,
            "ms" => HintUnit::Ms,
            "unix" => HintUnit::Unix,
            "timestamp" => HintUnit::Timestamp,
            "duration" => HintUnit::Duration,
            _ => return None,
        })
    }
}

pub(crate) enum HintSource {
    /// A header (`"Name"`) or, starting with `/`, a JSON pointer into the body.
    At { unit: HintUnit, lit: LitStr },
    /// `retry_after = path`: a `fn(&ResponseParts<'_>) -> Option<Duration>`.
    Function(syn::Path),
}

pub(crate) struct RateLimitAttr {
    pub(crate) key: Ident,
    pub(crate) limit: Option<LitStr>,
    pub(crate) remaining: Option<LitStr>,
    pub(crate) reset: Option<HintSource>,
    pub(crate) used: Option<LitStr>,
}

pub(crate) struct Error2xx {
    pub(crate) body: BodyTest,
}

/// `"/pointer: value"` (the value there, as text, equals this) or
/// `"/pointer"` (present and not null, false, empty or zero).
pub(crate) struct BodyTest {
    pub(crate) lit: LitStr,
    pub(crate) pointer: String,
    pub(crate) value: Option<String>,
}

impl BodyTest {
    fn new(lit: LitStr) -> BodyTest {
        let text = lit.value();
        let (pointer, value) = match text.split_once(':') {
            Some((pointer, value)) => (pointer.trim().to_owned(), Some(value.trim().to_owned())),
            None => (text.trim().to_owned(), None),
        };
        BodyTest {
            lit,
            pointer,
            value,
        }
    }
}

pub(crate) struct CodePointers {
    pub(crate) key: Ident,
    pub(crate) pointers: Vec<LitStr>,
}

/// `when(...)` or `when = path` on a variant: conditions that must all hold.
pub(crate) struct When {
    pub(crate) key: Ident,
    pub(crate) conditions: Vec<Condition>,
}

pub(crate) enum Condition {
    /// `header = "Name"` (present) or `header = "Name: value"`.
    Header {
        lit: LitStr,
        name: String,
        /// The value after the first `:`, trimmed; `None` without a colon.
        value: Option<String>,
    },
    /// `code = "X"` or `code = ["X", "Y"]`.
    Code { key: Ident, codes: Vec<LitStr> },
    /// `body = "/pointer: value"` or `body = "/pointer"`.
    Body(BodyTest),
    /// `when = path`: a `fn(&ResponseParts<'_>) -> bool`.
    Predicate(syn::Path),
}

/// `default_wait = "60s"` on a variant.
pub(crate) struct DefaultWait {
    pub(crate) key: Ident,
    pub(crate) lit: LitStr,
    /// `None` when the text does not parse (reported by `valid.rs`).
    pub(crate) millis: Option<u64>,
}

/// `#[api(...)]` on a variant.
#[derive(Default)]
pub(crate) struct VariantAttrs<'a> {
    /// The first `#[api]` attribute, for errors about the variant as a whole.
    pub(crate) attr: Option<&'a Attribute>,
    pub(crate) status: Option<StatusAttr>,
    pub(crate) retry: Option<RetryAttr>,
    /// Whether `retry` was written, even with a value that did not parse,
    /// so that a typo does not also report "say `retry = …`".
    pub(crate) retry_given: bool,
    pub(crate) transport: Option<Ident>,
    pub(crate) other: Option<Ident>,
    pub(crate) when: Option<When>,
    pub(crate) default_wait: Option<DefaultWait>,
    /// This variant's own hint sources, replacing the enum's.
    pub(crate) retry_after: Option<HintSources>,
}

pub(crate) struct StatusAttr {
    pub(crate) key: Ident,
    pub(crate) items: Vec<StatusItem>,
    /// The whole value, for errors about the set of statuses.
    pub(crate) tokens: TokenStream,
}

/// One status (`lo == hi`, written without `..=`) or an inclusive range.
pub(crate) struct StatusItem {
    pub(crate) lo: u64,
    pub(crate) hi: u64,
    pub(crate) is_range: bool,
    pub(crate) tokens: TokenStream,
}

/// A variant's retry rule: the same table and words the runtime uses.
pub(crate) use apifault_rules::RetryRule as RetryKind;

pub(crate) struct RetryAttr {
    pub(crate) lit: LitStr,
    pub(crate) kind: RetryKind,
}

/// The one role a field plays, from `#[api(...)]` on the field.
pub(crate) enum FieldRole {
    Status,
    Body,
    RetryAfter,
    RequestId,
    Header(LitStr),
    RateLimit,
    ShouldRetry,
}

/// A role without its data, to ask a variant for the field playing it: an
/// exhaustive enum, so that a new role cannot be asked for by a misspelt
/// name.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Role {
    Status,
    Body,
    RetryAfter,
    RequestId,
    Header,
    RateLimit,
    ShouldRetry,
}

impl FieldRole {
    pub(crate) fn role(&self) -> Role {
        match self {
            FieldRole::Status => Role::Status,
            FieldRole::Body => Role::Body,
            FieldRole::RetryAfter => Role::RetryAfter,
            FieldRole::RequestId => Role::RequestId,
            FieldRole::Header(_) => Role::Header,
            FieldRole::RateLimit => Role::RateLimit,
            FieldRole::ShouldRetry => Role::ShouldRetry,
        }
    }

    /// The key that gives the role.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            FieldRole::Status => key::STATUS,
            FieldRole::Body => key::BODY,
            FieldRole::RetryAfter => key::RETRY_AFTER,
            FieldRole::RequestId => key::REQUEST_ID,
            FieldRole::Header(_) => key::HEADER,
            FieldRole::RateLimit => key::RATE_LIMIT,
            FieldRole::ShouldRetry => key::SHOULD_RETRY,
        }
    }
}

pub(crate) struct FieldAttr {
    pub(crate) key: Ident,
    pub(crate) role: FieldRole,
    /// How a `body` field is written on the wire; `Json` for other roles.
    pub(crate) format: BodyFormat,
}

/// `body` (JSON), `body(json)` or `body(xml)`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum BodyFormat {
    Json,
    Xml,
}

const BODY_FORMATS: &str = "`json` or `xml`";

/// The format in `body(…)`, after the key.
fn body_format(meta: &ParseNestedMeta<'_>) -> syn::Result<BodyFormat> {
    if !meta.input.peek(syn::token::Paren) {
        return Ok(BodyFormat::Json);
    }
    let content;
    let parens = syn::parenthesized!(content in meta.input);
    let format = body_format_in(&content, parens.span.join());
    // What is left after a mistake is skipped: the mistake is the error.
    let _ = content.parse::<TokenStream>();
    format
}

fn body_format_in(content: ParseStream<'_>, parens: proc_macro2::Span) -> syn::Result<BodyFormat> {
    if content.is_empty() {
        return Err(syn::Error::new(
            parens,
            format!("`body()` names no format; write `body`, or `body(…)` with {BODY_FORMATS}"),
        ));
    }
    if content.peek(LitStr) {
        let lit: LitStr = content.parse()?;
        return Err(syn::Error::new_spanned(
            &lit,
            format!("write the format without quotes: `body({})`", lit.value()),
        ));
    }
    let name: Ident = content.parse()?;
    let format = match name.to_string().as_str() {
        "json" => BodyFormat::Json,
        "xml" => BodyFormat::Xml,
        _ => {
            return Err(syn::Error::new_spanned(
                &name,
                format!("unknown body format `{name}`; expected {BODY_FORMATS}"),
            ));
        }
    };
    if !content.is_empty() {
        content.parse::<Token![,]>()?;
        if !content.is_empty() {
            return Err(content.error("a body has one format: give one of `json` or `xml`"));
        }
    }
    Ok(format)
}

/// The keys of `#[api(...)]`, as constants: the parser matches on them and
/// the lists in its messages are made of them, so that a key is spelt in
/// one place.
pub(crate) mod key {
    pub(crate) const RETRY_AFTER: &str = "retry_after";
    pub(crate) const REQUEST_ID: &str = "request_id";
    pub(crate) const ATOMIC: &str = "atomic";
    pub(crate) const CODE: &str = "code";
    pub(crate) const SHOULD_RETRY: &str = "should_retry";
    pub(crate) const RATE_LIMIT: &str = "rate_limit";
    pub(crate) const ERROR_2XX: &str = "error_2xx";
    pub(crate) const STATUS: &str = "status";
    pub(crate) const RETRY: &str = "retry";
    pub(crate) const TRANSPORT: &str = "transport";
    pub(crate) const OTHER: &str = "other";
    pub(crate) const WHEN: &str = "when";
    pub(crate) const DEFAULT_WAIT: &str = "default_wait";
    pub(crate) const BODY: &str = "body";
    pub(crate) const HEADER: &str = "header";
    /// Inside `rate_limit(...)`.
    pub(crate) const LIMIT: &str = "limit";
    pub(crate) const REMAINING: &str = "remaining";
    pub(crate) const RESET: &str = "reset";
    pub(crate) const USED: &str = "used";

    /// What the enum takes, in the order messages list them.
    pub(crate) const CONTAINER: &[&str] = &[
        RETRY_AFTER,
        REQUEST_ID,
        ATOMIC,
        CODE,
        SHOULD_RETRY,
        RATE_LIMIT,
        ERROR_2XX,
    ];
    /// What a variant takes.
    pub(crate) const VARIANT: &[&str] = &[
        STATUS,
        RETRY,
        TRANSPORT,
        OTHER,
        WHEN,
        DEFAULT_WAIT,
        RETRY_AFTER,
    ];
    /// What a field takes (one of).
    pub(crate) const FIELD: &[&str] = &[
        STATUS,
        BODY,
        RETRY_AFTER,
        REQUEST_ID,
        HEADER,
        RATE_LIMIT,
        SHOULD_RETRY,
    ];
}

/// `keys` as a list for a message: "`a`, `b`, `c`".
fn listed(keys: &[&str]) -> String {
    keys.iter()
        .map(|key| format!("`{key}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

const CONDITIONS: &str =
    "`header = \"Name\"`, `header = \"Name: value\"`, `code = …` or `body = \"/pointer: value\"`";

/// One attribute value being read. It knows its key, and a second value
/// for it is reported as a duplicate, on the key's second occurrence.
/// Parsing fills these, then hands their values on with [`Attr::get`].
pub(crate) struct Attr<T> {
    key: &'static str,
    value: Option<T>,
    /// Whether the key was written, even with a value that did not parse.
    given: bool,
}

impl<T> Attr<T> {
    pub(crate) const fn none(key: &'static str) -> Self {
        Attr {
            key,
            value: None,
            given: false,
        }
    }

    /// Reads the value of `key` (this attribute's key, as written) with
    /// `read`; when the key already has a value, `read` is not run and the
    /// error is a duplicate, on `key`.
    pub(crate) fn set_with(
        &mut self,
        key: &Ident,
        read: impl FnOnce() -> syn::Result<T>,
    ) -> syn::Result<()> {
        if self.value.is_some() {
            return Err(duplicate(key, self.key));
        }
        self.given = true;
        self.value = Some(read()?);
        Ok(())
    }

    /// Whether the key was written, even if its value did not parse (so
    /// that a typo does not also report the key as missing).
    pub(crate) fn given(&self) -> bool {
        self.given
    }

    pub(crate) fn get(self) -> Option<T> {
        self.value
    }
}

/// The error on a key given a second time.
fn duplicate(at: &Ident, key: &str) -> syn::Error {
    syn::Error::new_spanned(at, format!("duplicate `{key}`: give it once"))
}

fn api_attrs(attrs: &[Attribute]) -> impl Iterator<Item = &Attribute> {
    attrs.iter().filter(|attr| attr.path().is_ident("api"))
}

/// Runs `each` on every key of every `#[api(...)]` in `attrs`; an error from
/// `each` is recorded and the rest of that key's tokens skipped.
fn for_each_key<'a>(
    cx: &Ctxt,
    attrs: &'a [Attribute],
    place: &str,
    mut each: impl FnMut(&'a Attribute, &ParseNestedMeta<'_>) -> syn::Result<()>,
) {
    for attr in api_attrs(attrs) {
        match &attr.meta {
            syn::Meta::Path(_) | syn::Meta::NameValue(_) => {
                cx.error_spanned_by(
                    attr,
                    format!("expected `#[api(...)]` with a list of keys {place}"),
                );
                continue;
            }
            syn::Meta::List(list) if list.tokens.is_empty() => {
                cx.error_spanned_by(
                    attr,
                    format!("empty `#[api()]` {place}: give it a key, or remove it"),
                );
                continue;
            }
            syn::Meta::List(_) => {}
        }
        let result = attr.parse_nested_meta(|meta| {
            if let Err(error) = each(attr, &meta) {
                cx.syn_error(error);
                skip_to_comma(meta.input)?;
            }
            Ok(())
        });
        if let Err(error) = result {
            cx.syn_error(error);
        }
    }
}

/// Skips what is left of a key's value, up to the next `,` at this level.
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

fn key_ident(meta: &ParseNestedMeta<'_>) -> syn::Result<Ident> {
    meta.path
        .get_ident()
        .cloned()
        .ok_or_else(|| syn::Error::new_spanned(&meta.path, "expected a key, not a path"))
}

fn no_value(meta: &ParseNestedMeta<'_>, key: &Ident) -> syn::Result<()> {
    if meta.input.peek(Token![=]) || meta.input.peek(syn::token::Paren) {
        return Err(meta.error(format!("`{key}` takes no value: write just `{key}`")));
    }
    Ok(())
}

pub(crate) fn container(cx: &Ctxt, attrs: &[Attribute]) -> ContainerAttrs {
    let mut retry_after = Attr::none(key::RETRY_AFTER);
    let mut request_id = Attr::none(key::REQUEST_ID);
    let mut atomic = Attr::none(key::ATOMIC);
    let mut code = Attr::none(key::CODE);
    let mut should_retry = Attr::none(key::SHOULD_RETRY);
    let mut rate_limit = Attr::none(key::RATE_LIMIT);
    let mut error_2xx = Attr::none(key::ERROR_2XX);
    for_each_key(cx, attrs, "on the enum", |_, meta| {
        let key = key_ident(meta)?;
        match key.to_string().as_str() {
            key::RETRY_AFTER => retry_after.set_with(&key, || {
                let sources = hint_sources(meta.value()?)?;
                Ok(HintSources {
                    key: key.clone(),
                    sources,
                })
            }),
            key::RATE_LIMIT => rate_limit.set_with(&key, || parse_rate_limit(meta, key.clone())),
            key::ERROR_2XX => error_2xx.set_with(&key, || parse_error_2xx(meta, key.clone())),
            key::CODE => code.set_with(&key, || {
                let pointers = one_or_list(meta.value()?, pointer_str)?;
                Ok(CodePointers {
                    key: key.clone(),
                    pointers,
                })
            }),
            key::SHOULD_RETRY => should_retry.set_with(&key, || lit_str(meta.value()?)),
            key::REQUEST_ID => request_id.set_with(&key, || lit_str(meta.value()?)),
            key::ATOMIC => atomic.set_with(&key, || {
                no_value(meta, &key)?;
                Ok(key.clone())
            }),
            name if key::VARIANT.contains(&name) => Err(syn::Error::new_spanned(
                &key,
                format!(
                    "`{key}` belongs on a variant, not on the enum; the enum takes {}",
                    listed(key::CONTAINER)
                ),
            )),
            _ => Err(syn::Error::new_spanned(
                &key,
                format!(
                    "unknown key `{key}` on the enum; expected one of {}",
                    listed(key::CONTAINER)
                ),
            )),
        }
    });
    ContainerAttrs {
        retry_after: retry_after.get(),
        request_id: request_id.get(),
        atomic: atomic.get(),
        code: code.get(),
        should_retry: should_retry.get(),
        rate_limit: rate_limit.get(),
        error_2xx_given: error_2xx.given(),
        error_2xx: error_2xx.get(),
    }
}

/// `"x"` or `["x", "y"]`, each item read by `item`.
fn one_or_list(
    input: ParseStream<'_>,
    item: fn(ParseStream<'_>) -> syn::Result<LitStr>,
) -> syn::Result<Vec<LitStr>> {
    if input.peek(syn::token::Bracket) {
        let content;
        syn::bracketed!(content in input);
        let list = content.parse_terminated(item, Token![,])?;
        Ok(list.into_iter().collect())
    } else {
        Ok(vec![item(input)?])
    }
}

fn pointer_str(input: ParseStream<'_>) -> syn::Result<LitStr> {
    if input.peek(LitStr) {
        input.parse()
    } else {
        Err(input.error("expected a JSON pointer in quotes, like \"/error/code\" (RFC 6901)"))
    }
}

fn code_str(input: ParseStream<'_>) -> syn::Result<LitStr> {
    if input.peek(LitStr) {
        input.parse()
    } else {
        Err(input.error("expected an error code in quotes, like \"rate_limit\""))
    }
}

/// `when(header = "…", code = …)` or `when = path`.
fn parse_when(meta: &ParseNestedMeta<'_>, key: Ident) -> syn::Result<When> {
    if meta.input.peek(Token![=]) {
        let path: syn::Path = meta.value()?.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected `when = path::to::predicate` (a `fn(&ResponseParts<'_>) -> bool`) or `when(header = \"Name: value\", code = \"X\")`",
            )
        })?;
        return Ok(When {
            key,
            conditions: vec![Condition::Predicate(path)],
        });
    }
    if !meta.input.peek(syn::token::Paren) {
        return Err(syn::Error::new_spanned(
            &key,
            "`when` needs its conditions, like `when(header = \"X-Mode: slow\")` or `when(code = \"rate_limit\")`, or a predicate, `when = path::to::predicate`",
        ));
    }
    let mut conditions = Vec::new();
    let empty = format!("`when()` has no condition: give at least one, {CONDITIONS}");
    nested(meta, &key, &empty, |inner| {
        parse_condition(inner, &mut conditions)
    })?;
    Ok(When { key, conditions })
}

/// The `(...)` after `key`, each of its keys read by `each`: every bad one
/// is reported on its own tokens, and what follows still parses.
fn nested(
    meta: &ParseNestedMeta<'_>,
    key: &Ident,
    empty: &str,
    mut each: impl FnMut(&ParseNestedMeta<'_>) -> syn::Result<()>,
) -> syn::Result<()> {
    let content;
    syn::parenthesized!(content in meta.input);
    if content.is_empty() {
        return Err(syn::Error::new_spanned(key, empty));
    }
    let mut errors: Option<syn::Error> = None;
    let parser = syn::meta::parser(|inner| {
        if let Err(error) = each(&inner) {
            match &mut errors {
                Some(errors) => errors.combine(error),
                None => errors = Some(error),
            }
            skip_to_comma(inner.input)?;
        }
        Ok(())
    });
    syn::parse::Parser::parse2(parser, content.parse::<TokenStream>()?)?;
    errors.map_or(Ok(()), Err)
}

fn parse_condition(
    inner: &ParseNestedMeta<'_>,
    conditions: &mut Vec<Condition>,
) -> syn::Result<()> {
    let cond = key_ident(inner)?;
    match cond.to_string().as_str() {
        key::HEADER => {
            let lit = lit_str(inner.value()?)?;
            let text = lit.value();
            let (name, value) = match text.split_once(':') {
                Some((name, value)) => (
                    name.to_owned(),
                    Some(value.trim_matches([' ', '\t']).to_owned()),
                ),
                None => (text.clone(), None),
            };
            conditions.push(Condition::Header { lit, name, value });
        }
        key::CODE => {
            let codes = one_or_list(inner.value()?, code_str)?;
            if codes.is_empty() {
                return Err(syn::Error::new_spanned(
                    &cond,
                    "`code = []` matches nothing: list at least one code",
                ));
            }
            conditions.push(Condition::Code { key: cond, codes });
        }
        key::BODY => {
            let lit: LitStr = inner.value()?.parse().map_err(|e| {
                syn::Error::new(
                    e.span(),
                    "expected a JSON pointer and value in quotes, like `body = \"/error/type: insufficient_quota\"`",
                )
            })?;
            conditions.push(Condition::Body(BodyTest::new(lit)));
        }
        _ => {
            return Err(syn::Error::new_spanned(
                &cond,
                format!(
                    "unknown condition `{cond}`; expected {CONDITIONS}, or a predicate as `when = path`"
                ),
            ));
        }
    }
    Ok(())
}

/// One hint source: `"Header"`, `"/pointer"`, or `unit("…")`.
fn hint_source(input: ParseStream<'_>) -> syn::Result<HintSource> {
    if input.peek(LitStr) {
        return Ok(HintSource::At {
            unit: HintUnit::Plain,
            lit: input.parse()?,
        });
    }
    let path: syn::Path = input.parse().map_err(|e| {
        syn::Error::new(
            e.span(),
            format!(
                "expected a header name in quotes, like \"Retry-After\", a typed source like `ms(\"retry-after-ms\")` ({}), or a hint function's path",
                HintUnit::NAMES
            ),
        )
    })?;
    if !input.peek(syn::token::Paren) {
        return Ok(HintSource::Function(path));
    }
    let name = path
        .get_ident()
        .map(ToString::to_string)
        .unwrap_or_default();
    let Some(unit) = HintUnit::from_name(&name) else {
        return Err(syn::Error::new_spanned(
            &path,
            format!(
                "unknown unit `{}`; expected {}",
                path.to_token_stream(),
                HintUnit::NAMES
            ),
        ));
    };
    let content;
    syn::parenthesized!(content in input);
    let tokens: TokenStream = content.parse()?;
    let expected = format!(
        "expected one header name or JSON pointer in quotes: `{name}(\"X-Reset\")` or `{name}(\"/retry_after\")`"
    );
    let lit = syn::parse2::<LitStr>(tokens.clone())
        .map_err(|_| syn::Error::new_spanned(&tokens, &expected))?;
    Ok(HintSource::At { unit, lit })
}

/// `retry_after = …`: one source, a list of them, or a hint function.
fn hint_sources(input: ParseStream<'_>) -> syn::Result<Vec<HintSource>> {
    if input.peek(syn::token::Bracket) {
        let content;
        syn::bracketed!(content in input);
        let tokens: TokenStream = content.parse()?;
        // Parsed apart, so that a bad source is reported alone, on its own
        // tokens, and the keys after the list still parse.
        let list = syn::parse::Parser::parse2(
            |input: ParseStream<'_>| input.parse_terminated(hint_source, Token![,]),
            tokens,
        )?;
        for source in &list {
            if let HintSource::Function(path) = source {
                return Err(syn::Error::new_spanned(
                    path,
                    "a hint function stands alone, `retry_after = path`: it reads whatever it needs itself",
                ));
            }
        }
        Ok(list.into_iter().collect())
    } else {
        Ok(vec![hint_source(input)?])
    }
}

fn parse_rate_limit(meta: &ParseNestedMeta<'_>, key: Ident) -> syn::Result<RateLimitAttr> {
    if !meta.input.peek(syn::token::Paren) {
        return Err(syn::Error::new_spanned(
            &key,
            "`rate_limit` on the enum names the API's own rate-limit headers: `rate_limit(limit = \"…\", remaining = \"…\", reset = duration(\"…\"), used = \"…\")`",
        ));
    }
    let mut limit = Attr::none(key::LIMIT);
    let mut remaining = Attr::none(key::REMAINING);
    let mut reset = Attr::none(key::RESET);
    let mut used = Attr::none(key::USED);
    nested(
        meta,
        &key,
        "`rate_limit()` names no header: give at least one of `limit = \"…\"`, `remaining = \"…\"`, `reset = …` or `used = \"…\"`",
        |inner| {
            let name = key_ident(inner)?;
            let slot = match name.to_string().as_str() {
                key::LIMIT => &mut limit,
                key::REMAINING => &mut remaining,
                key::USED => &mut used,
                key::RESET => return reset.set_with(&name, || hint_source(inner.value()?)),
                _ => {
                    return Err(syn::Error::new_spanned(
                        &name,
                        format!(
                            "unknown key `{name}` in `rate_limit(...)`; expected `limit`, `remaining`, `reset` or `used`"
                        ),
                    ));
                }
            };
            slot.set_with(&name, || lit_str(inner.value()?))
        },
    )?;
    Ok(RateLimitAttr {
        key,
        limit: limit.get(),
        remaining: remaining.get(),
        reset: reset.get(),
        used: used.get(),
    })
}

fn parse_error_2xx(meta: &ParseNestedMeta<'_>, key: Ident) -> syn::Result<Error2xx> {
    let missing = || {
        syn::Error::new_spanned(
            &key,
            "`error_2xx` says which 2xx responses are errors: `error_2xx(body = \"/ok: false\")` or `error_2xx(body = \"/errors\")`",
        )
    };
    if !meta.input.peek(syn::token::Paren) {
        return Err(missing());
    }
    let mut body = Attr::none(key::BODY);
    nested(
        meta,
        &key,
        "`error_2xx()` needs `body = \"/ok: false\"`",
        |inner| {
            let name = key_ident(inner)?;
            if name != key::BODY {
                return Err(syn::Error::new_spanned(
                    &name,
                    format!(
                        "unknown key `{name}` in `error_2xx(...)`; expected `body = \"/pointer: value\"`"
                    ),
                ));
            }
            body.set_with(&name, || Ok(BodyTest::new(inner.value()?.parse()?)))
        },
    )?;
    Ok(Error2xx {
        body: body.get().ok_or_else(missing)?,
    })
}

fn lit_str(input: ParseStream<'_>) -> syn::Result<LitStr> {
    if input.peek(LitStr) {
        input.parse()
    } else {
        Err(input.error("expected a header name in quotes, like \"Retry-After\""))
    }
}

pub(crate) fn variant<'a>(cx: &Ctxt, attrs: &'a [Attribute]) -> VariantAttrs<'a> {
    let mut first = None;
    let mut status = Attr::none(key::STATUS);
    let mut retry = Attr::none(key::RETRY);
    let mut transport = Attr::none(key::TRANSPORT);
    let mut other = Attr::none(key::OTHER);
    let mut when = Attr::none(key::WHEN);
    let mut default_wait = Attr::none(key::DEFAULT_WAIT);
    let mut retry_after = Attr::none(key::RETRY_AFTER);
    for_each_key(cx, attrs, "on a variant", |attr, meta| {
        first.get_or_insert(attr);
        let key = key_ident(meta)?;
        match key.to_string().as_str() {
            key::STATUS => status.set_with(&key, || {
                if meta.input.is_empty() || meta.input.peek(Token![,]) {
                    return Err(syn::Error::new_spanned(
                        &key,
                        "`status` on a variant needs the statuses it stands for: `status = 404`, `status = 500..=599` or `status = [502, 504]`",
                    ));
                }
                let value = meta.value()?;
                let fork = value.fork();
                let items = parse_statuses(value)?;
                let tokens = tokens_between(&fork, value);
                Ok(StatusAttr {
                    key: key.clone(),
                    items,
                    tokens,
                })
            }),
            key::RETRY => retry.set_with(&key, || {
                let lit: LitStr = meta.value()?.parse().map_err(|e| {
                    syn::Error::new(
                        e.span(),
                        "expected `retry = \"never\"`, `\"backoff\"` or `\"after\"`",
                    )
                })?;
                let Some(kind) = RetryKind::from_name(&lit.value()) else {
                    return Err(syn::Error::new_spanned(
                        &lit,
                        format!(
                            "unknown retry `{}`; expected {}",
                            lit.value(),
                            RetryKind::NAMES
                        ),
                    ));
                };
                Ok(RetryAttr { lit, kind })
            }),
            key::TRANSPORT => transport.set_with(&key, || {
                no_value(meta, &key)?;
                Ok(key.clone())
            }),
            key::OTHER => other.set_with(&key, || {
                no_value(meta, &key)?;
                Ok(key.clone())
            }),
            key::WHEN => when.set_with(&key, || parse_when(meta, key.clone())),
            key::DEFAULT_WAIT => default_wait.set_with(&key, || {
                let lit: LitStr = meta.value()?.parse().map_err(|e| {
                    syn::Error::new(
                        e.span(),
                        "expected a duration in quotes, like `default_wait = \"60s\"`",
                    )
                })?;
                let millis = crate::retry::args::parse_duration(&lit.value());
                Ok(DefaultWait {
                    key: key.clone(),
                    lit,
                    millis,
                })
            }),
            key::RETRY_AFTER => retry_after.set_with(&key, || {
                if !meta.input.peek(Token![=]) {
                    return Err(syn::Error::new_spanned(
                        &key,
                        "`retry_after` on a variant names its hint headers, `retry_after = \"X-RateLimit-Reset\"`; to keep the hint, put `#[api(retry_after)]` on a field",
                    ));
                }
                let sources = hint_sources(meta.value()?)?;
                Ok(HintSources {
                    key: key.clone(),
                    sources,
                })
            }),
            key::ATOMIC => Err(syn::Error::new_spanned(
                &key,
                "`atomic` belongs on the enum: the whole API promises that a failed request changed nothing",
            )),
            key::RATE_LIMIT => Err(syn::Error::new_spanned(
                &key,
                "`rate_limit` belongs on a field (`#[api(rate_limit)] limits: Option<RateLimit>`), or on the enum to name the API's own headers (`#[api(rate_limit(remaining = \"…\"))]`)",
            )),
            key::ERROR_2XX => Err(syn::Error::new_spanned(
                &key,
                "`error_2xx` belongs on the enum: it says which 2xx responses of the API are errors",
            )),
            key::CODE => Err(syn::Error::new_spanned(
                &key,
                "`code` on the enum says where the body keeps its error code (`#[api(code = \"/error/code\")]`); on a variant, test it with `when(code = \"…\")`",
            )),
            name if key::FIELD.contains(&name) => Err(syn::Error::new_spanned(
                &key,
                format!(
                    "`{key}` belongs on a field of the variant, not on the variant; a variant takes {}",
                    listed(key::VARIANT)
                ),
            )),
            _ => Err(syn::Error::new_spanned(
                &key,
                format!(
                    "unknown key `{key}` on a variant; expected one of {}",
                    listed(key::VARIANT)
                ),
            )),
        }
    });
    VariantAttrs {
        attr: first,
        status: status.get(),
        retry_given: retry.given(),
        retry: retry.get(),
        transport: transport.get(),
        other: other.get(),
        when: when.get(),
        default_wait: default_wait.get(),
        retry_after: retry_after.get(),
    }
}

/// The tokens a parse consumed: from `start` up to where `end` is now.
fn tokens_between(start: ParseStream<'_>, end: ParseStream<'_>) -> TokenStream {
    let end = end.cursor();
    let mut tokens = TokenStream::new();
    let mut cursor = start.cursor();
    while cursor != end {
        let Some((tt, next)) = cursor.token_tree() else {
            break;
        };
        tokens.extend(std::iter::once(tt));
        cursor = next;
    }
    tokens
}

fn parse_statuses(input: ParseStream<'_>) -> syn::Result<Vec<StatusItem>> {
    if input.peek(syn::token::Bracket) {
        let content;
        syn::bracketed!(content in input);
        if content.is_empty() {
            return Err(
                content.error("expected at least one status in the list, like `[502, 504]`")
            );
        }
        let mut items = Vec::new();
        while !content.is_empty() {
            items.push(parse_status_item(&content)?);
            if content.is_empty() {
                break;
            }
            content.parse::<Token![,]>()?;
        }
        Ok(items)
    } else {
        Ok(vec![parse_status_item(input)?])
    }
}

fn parse_status_item(input: ParseStream<'_>) -> syn::Result<StatusItem> {
    let fork = input.fork();
    let lo = status_number(input)?;
    let (hi, is_range) = if input.peek(Token![..=]) {
        input.parse::<Token![..=]>()?;
        (status_number(input)?, true)
    } else if input.peek(Token![..]) {
        let dots: Token![..] = input.parse()?;
        return Err(syn::Error::new_spanned(
            dots,
            "write status ranges inclusively, like `500..=599`",
        ));
    } else {
        (lo, false)
    };
    let tokens = tokens_between(&fork, input);
    Ok(StatusItem {
        lo,
        hi,
        is_range,
        tokens,
    })
}

fn status_number(input: ParseStream<'_>) -> syn::Result<u64> {
    if !input.peek(LitInt) {
        return Err(input.error("expected a status code like `404`, a range like `500..=599`, or a list like `[502, 504]`"));
    }
    let lit: LitInt = input.parse()?;
    if !lit.suffix().is_empty() {
        return Err(syn::Error::new_spanned(
            &lit,
            "write the status without a suffix, like `404`",
        ));
    }
    // Out-of-range values are kept and reported by `valid.rs` with the others.
    Ok(lit.base10_parse::<u64>().unwrap_or(u64::MAX))
}

pub(crate) fn field(cx: &Ctxt, attrs: &[Attribute]) -> Option<FieldAttr> {
    let mut out: Option<FieldAttr> = None;
    for_each_key(cx, attrs, "on a field", |_, meta| {
        let key = key_ident(meta)?;
        let mut format = BodyFormat::Json;
        let role = match key.to_string().as_str() {
            key::STATUS => FieldRole::Status,
            key::BODY => {
                format = body_format(meta)?;
                FieldRole::Body
            }
            key::RETRY_AFTER => FieldRole::RetryAfter,
            key::REQUEST_ID => FieldRole::RequestId,
            key::RATE_LIMIT => FieldRole::RateLimit,
            key::SHOULD_RETRY => FieldRole::ShouldRetry,
            key::HEADER => {
                if !meta.input.peek(Token![=]) {
                    return Err(syn::Error::new_spanned(
                        &key,
                        "`header` needs the header's name: `header = \"X-Quota-Left\"`",
                    ));
                }
                FieldRole::Header(lit_str(meta.value()?)?)
            }
            name if key::VARIANT.contains(&name) || key::CONTAINER.contains(&name) => {
                return Err(syn::Error::new_spanned(
                    &key,
                    format!(
                        "`{key}` does not belong on a field; a field takes one of {}",
                        listed(key::FIELD)
                    ),
                ));
            }
            _ => {
                return Err(syn::Error::new_spanned(
                    &key,
                    format!(
                        "unknown key `{key}` on a field; expected one of {}",
                        listed(key::FIELD)
                    ),
                ));
            }
        };
        if !matches!(role, FieldRole::Header(_)) && meta.input.peek(Token![=]) {
            return Err(meta.error(format!(
                "`{key}` on a field takes no value: write `#[api({key})]`"
            )));
        }
        // A field plays one role: the same one twice is a duplicate key,
        // another one a second role.
        if let Some(first) = &out {
            if first.role.role() == role.role() {
                return Err(duplicate(&key, role.name()));
            }
            return Err(syn::Error::new_spanned(
                &key,
                format!(
                    "a field plays one role: it is already `{}`; put `{key}` on another field",
                    first.role.name()
                ),
            ));
        }
        out = Some(FieldAttr { key, role, format });
        Ok(())
    });
    out
}

/// Whether `name` is a valid HTTP header name (an RFC 9110 token).
pub(crate) fn is_header_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// A span to blame for the whole variant attribute when there is one.
pub(crate) fn span_of(attr: Option<&Attribute>, fallback: &Ident) -> TokenStream {
    match attr {
        Some(attr) => attr.to_token_stream(),
        None => fallback.to_token_stream(),
    }
}
