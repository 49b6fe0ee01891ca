//! Decoding a response into an error: [`ResponseParts`] and [`FromResponse`].

use http::{HeaderMap, StatusCode};

/// The parts of an HTTP response that decoding looks at, borrowed from
/// whatever HTTP client read it.
///
/// ```
/// use apifault::ResponseParts;
/// use http::{HeaderMap, StatusCode};
///
/// let headers = HeaderMap::new();
/// let parts = ResponseParts::new(StatusCode::NOT_FOUND, &headers, b"{}");
/// assert_eq!(parts.status, StatusCode::NOT_FOUND);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct ResponseParts<'a> {
    /// The status line's code.
    pub status: StatusCode,
    /// All response headers.
    pub headers: &'a HeaderMap,
    /// The body, as far as it was read.
    pub body: &'a [u8],
}

impl<'a> ResponseParts<'a> {
    /// Borrows a status, headers and body as one value.
    ///
    /// ```
    /// # use apifault::ResponseParts;
    /// let headers = http::HeaderMap::new();
    /// let parts = ResponseParts::new(http::StatusCode::BAD_GATEWAY, &headers, b"upstream down");
    /// assert_eq!(parts.body, b"upstream down");
    /// ```
    #[must_use]
    pub const fn new(status: StatusCode, headers: &'a HeaderMap, body: &'a [u8]) -> Self {
        ResponseParts {
            status,
            headers,
            body,
        }
    }
}

/// The error code a JSON body keeps at the first of `pointers` that holds
/// a string or a number (a number as its decimal text). A pointer that
/// finds nothing, `null`, a boolean, an object or an array passes the turn to
/// the next; a body that is not JSON has no code. `*` segments match any
/// array element.
pub(crate) fn error_code(body: &[u8], pointers: &[&str]) -> Option<String> {
    if pointers.is_empty() {
        return None;
    }
    let json: serde_json::Value = serde_json::from_slice(body).ok()?;
    code_in(&json, pointers).map(std::borrow::Cow::into_owned)
}

pub(crate) fn code_in<'v>(
    json: &'v serde_json::Value,
    pointers: &[&str],
) -> Option<std::borrow::Cow<'v, str>> {
    pointers.iter().find_map(|pointer| {
        crate::hints::find_map(json, pointer, &mut |value| match value {
            serde_json::Value::String(code) => Some(std::borrow::Cow::Borrowed(code.as_str())),
            serde_json::Value::Number(code) => Some(std::borrow::Cow::Owned(code.to_string())),
            _ => None,
        })
    })
}

/// A body condition: the value at `pointer`, as text (a string by its
/// text, anything else by its JSON text), equals `expected`; or, without
/// `expected`, the value is present and not null, false, empty or zero.
pub(crate) fn body_holds(json: &serde_json::Value, pointer: &str, expected: Option<&str>) -> bool {
    use serde_json::Value;
    crate::hints::find_map(json, pointer, &mut |value| {
        let holds = match expected {
            Some(expected) => match value {
                Value::String(text) => text == expected,
                Value::Array(_) | Value::Object(_) => false,
                Value::Number(n) => n.to_string() == expected,
                Value::Bool(b) => expected == if *b { "true" } else { "false" },
                Value::Null => expected == "null",
            },
            None => match value {
                Value::Null | Value::Bool(false) => false,
                Value::String(text) => !text.is_empty(),
                Value::Array(items) => !items.is_empty(),
                Value::Object(members) => !members.is_empty(),
                Value::Number(n) => n.as_f64().is_none_or(|n| n != 0.0),
                Value::Bool(true) => true,
            },
        };
        holds.then_some(())
    })
    .is_some()
}

impl ResponseParts<'_> {
    /// The error code the JSON body keeps at the first of `pointers`
    /// (RFC 6901 JSON pointers) that holds a string or a number; a number
    /// is given as its decimal text. This is what `when(code = …)`
    /// conditions compare with the enum's `#[api(code = …)]` pointers, for
    /// use in a `when = predicate` of your own.
    ///
    /// ```
    /// use apifault::ResponseParts;
    /// use http::{HeaderMap, StatusCode};
    ///
    /// let headers = HeaderMap::new();
    /// let body = br#"{"__type": null, "error": {"code": 4001}}"#;
    /// let parts = ResponseParts::new(StatusCode::BAD_REQUEST, &headers, body);
    /// assert_eq!(parts.error_code(&["/__type", "/error/code"]).as_deref(), Some("4001"));
    /// assert_eq!(parts.error_code(&["/missing"]), None);
    /// ```
    #[must_use]
    pub fn error_code(&self, pointers: &[&str]) -> Option<String> {
        error_code(self.body, pointers)
    }
}

/// Builds an error from any response: decoding is total, every status,
/// header and body becomes some variant and nothing panics.
///
/// `#[derive(ApiError)]` implements it for an enum with an `#[api(other)]`
/// variant, which takes every response no other variant claims (or whose
/// typed body does not decode).
///
/// ```
/// use apifault::{ApiError, FromResponse, ResponseParts};
/// use http::{HeaderMap, StatusCode};
///
/// #[derive(Debug, ApiError)]
/// enum StoreError {
///     #[api(status = 404)]
///     NotFound,
///     #[api(other)]
///     Other {
///         #[api(status)]
///         status: StatusCode,
///         #[api(body)]
///         body: String,
///     },
/// }
///
/// let headers = HeaderMap::new();
/// let e = StoreError::from_response(ResponseParts::new(StatusCode::NOT_FOUND, &headers, b""));
/// assert!(matches!(e, StoreError::NotFound));
/// let e = StoreError::from_response(ResponseParts::new(StatusCode::IM_A_TEAPOT, &headers, b"short and stout"));
/// assert!(matches!(e, StoreError::Other { body, .. } if body == "short and stout"));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be decoded from every HTTP response",
    label = "`{Self}` does not implement `apifault::FromResponse`",
    note = "add an `#[api(other)]` variant to `{Self}`: it takes every response that no other variant claims, so that decoding cannot fail",
    note = "for example: `#[api(other)] Other {{ #[api(status)] status: http::StatusCode, #[api(body)] body: String }}`"
)]
pub trait FromResponse: Sized {
    /// Decodes `parts` into the variant that claims its status.
    fn from_response(parts: ResponseParts<'_>) -> Self;

    /// Whether the response is an error of this API at all: by default,
    /// any status but 2xx. An enum with `#[api(error_2xx(body = "/ok:
    /// false"))]` also takes a 2xx whose body says so (Slack's `{"ok":
    /// false, "error": "ratelimited"}` with HTTP 200). The reqwest glue asks
    /// this before treating a response as a success.
    ///
    /// ```
    /// use apifault::{ApiError, FromResponse, ResponseParts};
    /// use http::{HeaderMap, StatusCode};
    ///
    /// #[derive(Debug, ApiError)]
    /// #[api(error_2xx(body = "/ok: false"), code = "/error")]
    /// enum SlackError {
    ///     #[api(status = 200, when(code = "ratelimited"), retry = "after")]
    ///     RateLimited { #[api(retry_after)] wait: Option<std::time::Duration> },
    ///     #[api(other)]
    ///     Other { #[api(status)] status: StatusCode, #[api(body)] body: String },
    /// }
    ///
    /// let headers = HeaderMap::new();
    /// let failed = ResponseParts::new(StatusCode::OK, &headers, br#"{"ok": false, "error": "ratelimited"}"#);
    /// assert!(SlackError::is_error(&failed));
    /// assert!(matches!(SlackError::from_response(failed), SlackError::RateLimited { .. }));
    /// let fine = ResponseParts::new(StatusCode::OK, &headers, br#"{"ok": true}"#);
    /// assert!(!SlackError::is_error(&fine));
    /// ```
    #[inline]
    fn is_error(parts: &ResponseParts<'_>) -> bool {
        !parts.status.is_success()
    }

    /// Whether [`is_error`](FromResponse::is_error) may call a 2xx an error,
    /// so that HTTP glue must read a success's body before handing it on:
    /// `true` exactly for an enum with `#[api(error_2xx(...))]`. Glue for an
    /// enum without it treats every 2xx as a success unread.
    ///
    /// ```
    /// use apifault::{ApiError, FromResponse};
    ///
    /// #[derive(Debug, ApiError)]
    /// #[api(error_2xx(body = "/ok: false"))]
    /// enum Slack {
    ///     #[api(other)]
    ///     Other { #[api(status)] status: http::StatusCode },
    /// }
    ///
    /// #[derive(Debug, ApiError)]
    /// enum Plain {
    ///     #[api(other)]
    ///     Other { #[api(status)] status: http::StatusCode },
    /// }
    ///
    /// assert!(Slack::ERRORS_IN_2XX);
    /// assert!(!Plain::ERRORS_IN_2XX);
    /// ```
    const ERRORS_IN_2XX: bool = false;

    /// The rate-limit state a response of this API announces: by default
    /// the standard headers ([`crate::headers::rate_limit`]); an enum with
    /// `#[api(rate_limit(limit = …, remaining = …, reset = …, used = …))]`
    /// reads the API's own headers instead. A [`crate::Throttle`] observing
    /// for this enum reads this.
    ///
    /// ```
    /// use apifault::{ApiError, FromResponse, RateLimit};
    /// use http::HeaderMap;
    /// use std::time::Duration;
    ///
    /// #[derive(Debug, ApiError)]
    /// #[api(rate_limit(remaining = "x-ratelimit-remaining-requests",
    ///                  reset = duration("x-ratelimit-reset-requests")))]
    /// enum LlmError {
    ///     #[api(other)]
    ///     Other { #[api(status)] status: http::StatusCode },
    /// }
    ///
    /// let mut headers = HeaderMap::new();
    /// headers.insert("x-ratelimit-remaining-requests", "0".parse().unwrap());
    /// headers.insert("x-ratelimit-reset-requests", "6m0s".parse().unwrap());
    /// let announced = LlmError::rate_limit(&headers).unwrap();
    /// assert_eq!(announced.remaining, Some(0));
    /// assert_eq!(announced.reset, Some(Duration::from_secs(360)));
    /// ```
    #[inline]
    fn rate_limit(headers: &http::HeaderMap) -> Option<crate::RateLimit> {
        crate::headers::rate_limit(headers)
    }

    /// The header in which this API's responses, successes included, carry
    /// their request id: `x-request-id` by default. A [`Success`] built
    /// for this enum reads it.
    ///
    /// `#[derive(ApiError)]` does not set it yet from the enum's
    /// `#[api(request_id = "…")]`, which `request_id` fields read; a hand
    /// impl may name another header.
    ///
    /// ```
    /// use apifault::{FromResponse, ResponseParts};
    ///
    /// struct StripeError;
    /// impl FromResponse for StripeError {
    ///     const REQUEST_ID_HEADER: &'static str = "request-id";
    ///     fn from_response(_: ResponseParts<'_>) -> Self {
    ///         StripeError
    ///     }
    /// }
    ///
    /// assert_eq!(StripeError::REQUEST_ID_HEADER, "request-id");
    /// ```
    const REQUEST_ID_HEADER: &'static str = apifault_rules::header::X_REQUEST_ID;
}

/// A decoded success, with what the server said about it: its status, its
/// request id, the rate-limit state it announced, and all its headers.
/// Derefs to the value, so that a `Success<Title>` reads as a `Title`.
///
/// What the server said is read through methods, not fields: a field of
/// the value (a `status` of a submission, say) still reads as the value's
/// own through `Deref`. Where the value has a *method* of the same name as
/// one of these, reach it through [`value`](Success::value).
///
/// The reqwest glue's `*_with_meta` functions return it
/// (`apifault::reqwest::json_with_meta`); [`Success::new`] builds one from
/// any HTTP client's response.
///
/// ```
/// use apifault::{ApiError, Success};
/// use http::{HeaderMap, StatusCode};
///
/// #[derive(Debug, ApiError)]
/// enum TitleError {
///     #[api(other)]
///     Other { #[api(status)] status: StatusCode },
/// }
///
/// struct Title { name: String, status: &'static str }
///
/// let mut headers = HeaderMap::new();
/// headers.insert("x-request-id", "req-7".parse().unwrap());
/// headers.insert("ratelimit-remaining", "99".parse().unwrap());
/// let title = Success::new::<TitleError>(
///     Title { name: "Heat".into(), status: "draft" },
///     StatusCode::CREATED,
///     headers,
/// );
///
/// assert_eq!(title.name, "Heat");
/// assert_eq!(title.status, "draft"); // the value's own field
/// assert_eq!(title.status(), StatusCode::CREATED); // the response's
/// assert_eq!(title.request_id(), Some("req-7"));
/// assert_eq!(title.rate_limit().and_then(|r| r.remaining), Some(99));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Success<T> {
    value: T,
    status: StatusCode,
    request_id: Option<String>,
    rate_limit: Option<crate::RateLimit>,
    headers: HeaderMap,
}

impl<T> Success<T> {
    /// A success of the API whose errors `E` describes: reads the request
    /// id and rate-limit headers as `E` names them.
    ///
    /// ```
    /// # #[derive(Debug, apifault::ApiError)]
    /// # enum E { #[api(other)] Other { #[api(status)] status: http::StatusCode } }
    /// let done = apifault::Success::new::<E>((), http::StatusCode::NO_CONTENT, http::HeaderMap::new());
    /// assert_eq!(done.request_id(), None);
    /// ```
    #[must_use]
    pub fn new<E: FromResponse>(value: T, status: StatusCode, headers: HeaderMap) -> Self {
        let request_id = headers
            .get(E::REQUEST_ID_HEADER)
            .and_then(|id| id.to_str().ok())
            .map(|id| id.trim_matches([' ', '\t']))
            .filter(|id| !id.is_empty())
            .map(str::to_owned);
        Success {
            value,
            status,
            request_id,
            rate_limit: E::rate_limit(&headers),
            headers,
        }
    }

    /// The response's status (any 2xx).
    ///
    /// ```
    /// # #[derive(Debug, apifault::ApiError)]
    /// # enum E { #[api(other)] Other { #[api(status)] status: http::StatusCode } }
    /// let done = apifault::Success::new::<E>((), http::StatusCode::ACCEPTED, http::HeaderMap::new());
    /// assert_eq!(done.status(), http::StatusCode::ACCEPTED);
    /// ```
    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The request id, from the header the API names
    /// ([`FromResponse::REQUEST_ID_HEADER`]), trimmed; `None` when absent,
    /// empty or not visible ASCII.
    ///
    /// ```
    /// # #[derive(Debug, apifault::ApiError)]
    /// # enum E { #[api(other)] Other { #[api(status)] status: http::StatusCode } }
    /// let mut headers = http::HeaderMap::new();
    /// headers.insert("x-request-id", " req-1 ".parse().unwrap());
    /// let done = apifault::Success::new::<E>((), http::StatusCode::OK, headers);
    /// assert_eq!(done.request_id(), Some("req-1"));
    /// ```
    #[must_use]
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// The rate-limit state the response announced, read as a
    /// [`crate::Throttle`] observing for the API reads it
    /// ([`FromResponse::rate_limit`]).
    ///
    /// ```
    /// # #[derive(Debug, apifault::ApiError)]
    /// # enum E { #[api(other)] Other { #[api(status)] status: http::StatusCode } }
    /// let mut headers = http::HeaderMap::new();
    /// headers.insert("ratelimit-remaining", "0".parse().unwrap());
    /// headers.insert("ratelimit-reset", "30".parse().unwrap());
    /// let done = apifault::Success::new::<E>((), http::StatusCode::OK, headers);
    /// let limits = done.rate_limit().unwrap();
    /// assert_eq!((limits.remaining, limits.reset), (Some(0), Some(std::time::Duration::from_secs(30))));
    /// ```
    #[must_use]
    pub fn rate_limit(&self) -> Option<crate::RateLimit> {
        self.rate_limit
    }

    /// All response headers.
    ///
    /// ```
    /// # #[derive(Debug, apifault::ApiError)]
    /// # enum E { #[api(other)] Other { #[api(status)] status: http::StatusCode } }
    /// let mut headers = http::HeaderMap::new();
    /// headers.insert("etag", "\"v2\"".parse().unwrap());
    /// let done = apifault::Success::new::<E>((), http::StatusCode::OK, headers);
    /// assert_eq!(done.headers()["etag"], "\"v2\"");
    /// ```
    #[must_use]
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The value, borrowed (what `Deref` gives, named: for a value whose
    /// own methods share a name with this type's).
    ///
    /// ```
    /// # #[derive(Debug, apifault::ApiError)]
    /// # enum E { #[api(other)] Other { #[api(status)] status: http::StatusCode } }
    /// let answer = apifault::Success::new::<E>(vec![1, 2], http::StatusCode::OK, http::HeaderMap::new());
    /// assert_eq!(answer.value(), &[1, 2]);
    /// ```
    #[must_use]
    pub fn value(&self) -> &T {
        &self.value
    }

    /// The value, without what the server said about it.
    ///
    /// ```
    /// # #[derive(Debug, apifault::ApiError)]
    /// # enum E { #[api(other)] Other { #[api(status)] status: http::StatusCode } }
    /// let answer = apifault::Success::new::<E>(42, http::StatusCode::OK, http::HeaderMap::new());
    /// assert_eq!(answer.into_inner(), 42);
    /// ```
    pub fn into_inner(self) -> T {
        self.value
    }

    /// The same metadata around another value (the body turned into the
    /// caller's own type, say).
    ///
    /// ```
    /// # #[derive(Debug, apifault::ApiError)]
    /// # enum E { #[api(other)] Other { #[api(status)] status: http::StatusCode } }
    /// let answer = apifault::Success::new::<E>("42", http::StatusCode::OK, http::HeaderMap::new());
    /// let parsed = answer.map(|text| text.parse::<u32>().unwrap());
    /// assert_eq!(*parsed, 42);
    /// ```
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Success<U> {
        Success {
            value: f(self.value),
            status: self.status,
            request_id: self.request_id,
            rate_limit: self.rate_limit,
            headers: self.headers,
        }
    }
}

impl<T> core::ops::Deref for Success<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> core::ops::DerefMut for Success<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.value
    }
}
