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
/// the next; a body that is not JSON has no code.
pub(crate) fn error_code(body: &[u8], pointers: &[&str]) -> Option<String> {
    if pointers.is_empty() {
        return None;
    }
    let json: serde_json::Value = serde_json::from_slice(body).ok()?;
    pointers
        .iter()
        .find_map(|pointer| match json.pointer(pointer)? {
            serde_json::Value::String(code) => Some(code.clone()),
            serde_json::Value::Number(code) => Some(code.to_string()),
            _ => None,
        })
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
}
