//! The request id a response carries, for logs and support tickets.

use http::{HeaderMap, HeaderName};

/// The request id a response carries in the header `name`, for logs and
/// support tickets.
///
/// `None` when the header is absent, blank, or not visible ASCII: an id that
/// cannot be quoted back verbatim is of no use to the API's support.
///
/// ```
/// use apifault::headers::request_id;
/// use http::{HeaderMap, HeaderName};
///
/// let name = HeaderName::from_static("x-request-id");
/// let mut headers = HeaderMap::new();
/// headers.insert(name.clone(), " 7f3a-22 ".parse().unwrap());
/// assert_eq!(request_id(&headers, &name), Some("7f3a-22"));
/// assert_eq!(request_id(&HeaderMap::new(), &name), None);
/// ```
pub fn request_id<'h>(headers: &'h HeaderMap, name: &HeaderName) -> Option<&'h str> {
    let id = headers.get(name)?.to_str().ok()?.trim_matches([' ', '\t']);
    (!id.is_empty()).then_some(id)
}
