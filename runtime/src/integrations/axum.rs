//! Serving a derived enum as an HTTP response (`impl IntoResponse`, written
//! by the derive when the `axum` feature is on). What the expansion calls
//! lives here: a response builder, and autoref dispatch that picks a body
//! format from the field's type.

// Everything here is reached only through the hidden `__private` module.
#![allow(missing_docs)]

use core::fmt::Display;
use core::time::Duration;

use axum_core::body::Body;
use axum_core::response::Response;
use http::header::{CONTENT_TYPE, HeaderValue};
use http::{HeaderMap, HeaderName, StatusCode};
use serde::Serialize;

use crate::headers::{RateLimit, SATURATED_WAIT};

/// A body as the derive renders it.
#[derive(Debug)]
pub enum Rendered {
    Text(String),
    Bytes(Vec<u8>),
    Json(Vec<u8>),
    /// A `body(xml)` field: its document, served as `application/xml`.
    Xml(Vec<u8>),
    /// An `Option` body field that is `None`: no body, so that the client
    /// decodes `None` again.
    Empty,
    /// Not serializable: the response carries a problem document instead.
    Opaque,
}

/// Builds the response of one variant.
#[derive(Debug)]
pub struct ServerResponse {
    status: StatusCode,
    headers: HeaderMap,
    body: Option<Rendered>,
    /// Values to put at JSON pointers of the problem document (codes,
    /// body conditions, hints kept in the body).
    body_values: Vec<(&'static str, serde_json::Value)>,
    /// Transport and local errors are the server's own business: their
    /// message stays out of the problem document.
    internal: bool,
}

/// Whole seconds, rounded up (a client must not come back early), and no
/// more than [`SATURATED_WAIT`] (what the client's parser reads back).
fn whole_seconds(wait: Duration) -> u64 {
    apifault_rules::whole_seconds_up(wait.as_secs(), wait.subsec_nanos())
        .min(SATURATED_WAIT.as_secs())
}

fn seconds_value(wait: Duration) -> HeaderValue {
    HeaderValue::from(whole_seconds(wait))
}

/// A header value the client's reader accepts back: visible ASCII only
/// (`HeaderValue::to_str`), else the header is left out.
fn visible(value: &str) -> Option<HeaderValue> {
    let value = HeaderValue::from_str(value).ok()?;
    value.to_str().is_ok().then_some(value)
}

impl ServerResponse {
    /// The response of a variant that stands for `status`; a status field
    /// holding something that is not an error (a 2xx, say) is served as
    /// `fallback` instead, so that an error never goes out as a success.
    pub fn new(status: StatusCode, fallback: StatusCode) -> Self {
        let status = if status.is_client_error() || status.is_server_error() {
            status
        } else {
            fallback
        };
        ServerResponse {
            status,
            headers: HeaderMap::new(),
            body: None,
            body_values: Vec::new(),
            internal: false,
        }
    }

    /// The response of a transport or local variant: its status, and a
    /// problem document without the error's message.
    pub fn internal(status: StatusCode) -> Self {
        ServerResponse {
            internal: true,
            ..Self::new(status, StatusCode::INTERNAL_SERVER_ERROR)
        }
    }

    /// The wait hint, in the first hint source that can carry it (a header
    /// in its unit, or a body pointer).
    pub fn hint(&mut self, sources: &[crate::hints::Hint], wait: Option<Duration>) {
        let Some(wait) = wait else { return };
        let now = std::time::SystemTime::now();
        for source in sources {
            if let Some((name, value)) = source.render(wait.min(SATURATED_WAIT), now) {
                self.headers.insert(name, value);
                return;
            }
            if let Some((pointer, value)) = source.render_body(wait.min(SATURATED_WAIT), now) {
                self.body_values.push((pointer, value));
                return;
            }
        }
    }

    /// Rate-limit state in the enum's own headers, `rate_limit(…)`.
    pub fn rate_limit_as(
        &mut self,
        spec: &crate::hints::RateLimitSpec,
        announced: Option<RateLimit>,
    ) {
        let Some(announced) = announced else { return };
        for (name, value) in spec.render(announced, std::time::SystemTime::now()) {
            self.headers.insert(name, value);
        }
    }

    /// A `when(body = …)` or `error_2xx(body = …)` test of a variant without
    /// a body field: the value (JSON text, else a string) at the pointer of
    /// the problem document, or `true` for a presence test.
    pub fn body_at(&mut self, pointer: &'static str, value: Option<&'static str>) {
        let value = match value {
            Some(text) => serde_json::from_str(text).unwrap_or_else(|_| text.into()),
            None => serde_json::Value::Bool(true),
        };
        self.body_values.push((pointer, value));
    }

    pub fn request_id(&mut self, name: &HeaderName, id: Option<&str>) {
        if let Some(value) = id.and_then(visible) {
            self.headers.insert(name.clone(), value);
        }
    }

    pub fn rate_limit(&mut self, announced: Option<RateLimit>) {
        let Some(announced) = announced else { return };
        if let Some(limit) = announced.limit {
            self.headers.insert(
                apifault_rules::header::RATELIMIT_LIMIT,
                HeaderValue::from(limit),
            );
        }
        if let Some(remaining) = announced.remaining {
            self.headers.insert(
                apifault_rules::header::RATELIMIT_REMAINING,
                HeaderValue::from(remaining),
            );
        }
        if let Some(reset) = announced.reset {
            self.headers.insert(
                apifault_rules::header::RATELIMIT_RESET,
                seconds_value(reset),
            );
        }
    }

    /// A `should_retry` field: the server's decision, where it made one.
    pub fn should_retry(&mut self, name: &HeaderName, said: Option<bool>) {
        if let Some(said) = said {
            let value = if said { "true" } else { "false" };
            self.headers
                .insert(name.clone(), HeaderValue::from_static(value));
        }
    }

    /// A `when(header = "Name: value")` condition, written with its
    /// declared value so that the response decodes to the same variant.
    pub fn condition_header(&mut self, name: &HeaderName, value: &'static str) {
        if let Ok(value) = HeaderValue::try_from(value) {
            self.headers.insert(name.clone(), value);
        }
    }

    /// A `when(code = …)` condition of a variant without a body field: the
    /// code goes at the enum's first code pointer in the problem document.
    pub fn code_at(&mut self, pointer: &'static str, code: &'static str) {
        self.body_values.push((pointer, code.into()));
    }

    /// An `#[api(header = …)]` field, written with `Display`.
    pub fn header(&mut self, name: &HeaderName, value: Option<String>) {
        if let Some(value) = value.as_deref().and_then(visible) {
            self.headers.insert(name.clone(), value);
        }
    }

    pub fn body(&mut self, body: Rendered) {
        self.body = Some(body);
    }

    /// The response; without a body field (or with one that cannot be
    /// serialized), an RFC 9457 problem document.
    pub fn finish(self, detail: Option<String>) -> Response {
        let (content_type, bytes) = match self.body {
            Some(Rendered::Empty) => {
                let mut response = Response::new(Body::empty());
                *response.status_mut() = self.status;
                *response.headers_mut() = self.headers;
                return response;
            }
            Some(Rendered::Text(text)) => ("text/plain; charset=utf-8", text.into_bytes()),
            Some(Rendered::Bytes(bytes)) => ("application/octet-stream", bytes),
            Some(Rendered::Json(json)) => ("application/json", json),
            Some(Rendered::Xml(xml)) => ("application/xml", xml),
            Some(Rendered::Opaque) | None => {
                let mut problem = serde_json::Map::new();
                problem.insert("type".into(), "about:blank".into());
                if let Some(title) = self.status.canonical_reason() {
                    problem.insert("title".into(), title.into());
                }
                problem.insert("status".into(), self.status.as_u16().into());
                if let Some(detail) = detail.filter(|_| !self.internal) {
                    problem.insert("detail".into(), detail.into());
                }
                let mut problem = serde_json::Value::Object(problem);
                for (pointer, value) in self.body_values {
                    put_at(&mut problem, pointer, value);
                }
                let json = serde_json::to_vec(&problem).unwrap_or_default();
                ("application/problem+json", json)
            }
        };
        let mut response = Response::new(Body::from(bytes));
        *response.status_mut() = self.status;
        *response.headers_mut() = self.headers;
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        response
    }
}

/// Sets the value at an RFC 6901 `pointer` (which `valid.rs` checked),
/// making objects on the way and replacing what is not an object.
fn put_at(document: &mut serde_json::Value, pointer: &str, value: serde_json::Value) {
    let mut place = document;
    for token in pointer.split('/').skip(1) {
        let token = token.replace("~1", "/").replace("~0", "~");
        // A `*` segment names any element: write the first.
        if token == "*" {
            if !matches!(place, serde_json::Value::Array(items) if !items.is_empty()) {
                *place = serde_json::Value::Array(vec![serde_json::Value::Null]);
            }
            let serde_json::Value::Array(items) = place else {
                return;
            };
            place = &mut items[0];
            continue;
        }
        if !place.is_object() {
            *place = serde_json::Value::Object(serde_json::Map::new());
        }
        let serde_json::Value::Object(map) = place else {
            return;
        };
        place = map.entry(token).or_insert(serde_json::Value::Null);
    }
    *place = value;
}

/// Autoref dispatch on a body field: raw text and bytes first, then any
/// `Serialize` type as JSON, else a problem document. Call as
/// `(&&BodyProbe(field)).render_body()`.
pub struct BodyProbe<'a, T: ?Sized>(pub &'a T);

/// Bodies sent as they are.
pub trait RawBody {
    fn raw(&self) -> Rendered;
}

impl RawBody for String {
    fn raw(&self) -> Rendered {
        Rendered::Text(self.clone())
    }
}

impl RawBody for str {
    fn raw(&self) -> Rendered {
        Rendered::Text(self.to_owned())
    }
}

impl RawBody for Vec<u8> {
    fn raw(&self) -> Rendered {
        Rendered::Bytes(self.clone())
    }
}

pub trait ViaRaw {
    fn render_body(&self) -> Rendered;
}

impl<T: RawBody + ?Sized> ViaRaw for &BodyProbe<'_, T> {
    fn render_body(&self) -> Rendered {
        self.0.raw()
    }
}

pub trait ViaSerialize {
    fn render_body(&self) -> Rendered;
}

impl<T: Serialize + ?Sized> ViaSerialize for &&BodyProbe<'_, T> {
    fn render_body(&self) -> Rendered {
        serde_json::to_vec(self.0).map_or(Rendered::Opaque, Rendered::Json)
    }
}

pub trait ViaOpaque {
    fn render_body(&self) -> Rendered;
}

impl<T: ?Sized> ViaOpaque for BodyProbe<'_, T> {
    fn render_body(&self) -> Rendered {
        Rendered::Opaque
    }
}

/// Autoref dispatch for `Display`: the problem document's `detail` and
/// `header = …` fields. Call as `(&&DisplayProbe(value)).display()`.
pub struct DisplayProbe<'a, T: ?Sized>(pub &'a T);

pub trait ViaDisplay {
    fn display(&self) -> Option<String>;
}

impl<T: Display + ?Sized> ViaDisplay for &DisplayProbe<'_, T> {
    fn display(&self) -> Option<String> {
        Some(self.0.to_string())
    }
}

pub trait ViaNoDisplay {
    fn display(&self) -> Option<String>;
}

impl<T: ?Sized> ViaNoDisplay for DisplayProbe<'_, T> {
    fn display(&self) -> Option<String> {
        None
    }
}

/// Autoref dispatch on a `body(xml)` field, as [`BodyProbe`] for JSON: a
/// `String` or `Vec<u8>` is the document itself, any `Serialize` type is
/// serialized to XML (feature `xml`), else a problem document. Call as
/// `(&&XmlProbe(field)).render_xml()`.
pub struct XmlProbe<'a, T: ?Sized>(pub &'a T);

pub trait XmlViaRaw {
    fn render_xml(&self) -> Rendered;
}

impl<T: RawBody + ?Sized> XmlViaRaw for &XmlProbe<'_, T> {
    fn render_xml(&self) -> Rendered {
        match self.0.raw() {
            Rendered::Text(text) => Rendered::Xml(text.into_bytes()),
            Rendered::Bytes(bytes) => Rendered::Xml(bytes),
            other => other,
        }
    }
}

pub trait XmlViaSerialize {
    fn render_xml(&self) -> Rendered;
}

#[cfg(feature = "xml")]
impl<T: Serialize + ?Sized> XmlViaSerialize for &&XmlProbe<'_, T> {
    fn render_xml(&self) -> Rendered {
        let mut xml = String::from(r#"<?xml version="1.0" encoding="UTF-8"?>"#);
        // A root that is not a struct or an enum has no element name: such
        // a value is served as a problem document.
        match quick_xml::se::to_writer(&mut xml, self.0) {
            Ok(_) => Rendered::Xml(xml.into_bytes()),
            Err(_) => Rendered::Opaque,
        }
    }
}

pub trait XmlViaOpaque {
    fn render_xml(&self) -> Rendered;
}

impl<T: ?Sized> XmlViaOpaque for XmlProbe<'_, T> {
    fn render_xml(&self) -> Rendered {
        Rendered::Opaque
    }
}
