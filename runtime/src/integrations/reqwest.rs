//! Turning a `reqwest::Response` into `Result<T, E>`: any 2xx is success
//! (but one whose body says it failed, for an enum with
//! `#[api(error_2xx(...))]`), anything else becomes `E::from_response(..)`
//! with the headers and the body read up to a size cap and a time cap.
//! Also: `reqwest::Error` as a [`TransportError`], and [`send`] and
//! [`send_for`], which send a request through a [`Throttle`].

use core::future::Future as _;
use core::time::Duration;

use ::reqwest::{Error as ReqwestError, RequestBuilder, Response};
use serde::de::DeserializeOwned;

use crate::error::{Retry, TransportError};
use crate::response::{FromResponse, ResponseParts, Success};
use crate::throttle::Throttle;

/// How much of an error response's body is read by default: 64 KiB. Error
/// bodies are small; a huge or endless one is cut here rather than held in
/// memory, and decoding sees the first 64 KiB.
///
/// ```
/// assert_eq!(apifault::reqwest::DEFAULT_ERROR_BODY_LIMIT, 65_536);
/// ```
pub const DEFAULT_ERROR_BODY_LIMIT: usize = 64 * 1024;

/// How long an error response's body is read by default: 10 s. A body that
/// has not ended by then (a chunked body that never ends, one trickling a
/// byte a second) is cut, and decoding sees what arrived.
///
/// ```
/// assert_eq!(apifault::reqwest::DEFAULT_ERROR_BODY_TIMEOUT.as_secs(), 10);
/// ```
pub const DEFAULT_ERROR_BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// Decodes responses, with a cap on the size of error bodies and on the
/// time spent reading them. The free functions of this module use
/// [`Decoder::default`].
///
/// ```
/// use apifault::reqwest::Decoder;
/// use std::time::Duration;
///
/// let decoder = Decoder::default()
///     .error_body_limit(1024 * 1024)
///     .error_body_timeout(Duration::from_secs(2));
/// assert_eq!(decoder.limit(), 1024 * 1024);
/// assert_eq!(decoder.timeout(), Duration::from_secs(2));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Decoder {
    error_body_limit: usize,
    error_body_timeout: Duration,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder {
            error_body_limit: DEFAULT_ERROR_BODY_LIMIT,
            error_body_timeout: DEFAULT_ERROR_BODY_TIMEOUT,
        }
    }
}

impl Decoder {
    /// Reads at most `bytes` of an error response's body.
    ///
    /// ```
    /// let decoder = apifault::reqwest::Decoder::default().error_body_limit(512);
    /// # let _ = decoder;
    /// ```
    #[must_use]
    pub fn error_body_limit(mut self, bytes: usize) -> Self {
        self.error_body_limit = bytes;
        self
    }

    /// Reads an error response's body for at most `timeout` (default
    /// [`DEFAULT_ERROR_BODY_TIMEOUT`], 10 s), counted from when reading the
    /// body starts; what arrived by then is decoded like any other cut body.
    /// The time is tokio's clock inside a tokio runtime (pausable in tests).
    ///
    /// ```
    /// use std::time::Duration;
    /// let decoder = apifault::reqwest::Decoder::default().error_body_timeout(Duration::from_millis(500));
    /// assert_eq!(decoder.timeout(), Duration::from_millis(500));
    /// ```
    #[must_use]
    pub fn error_body_timeout(mut self, timeout: Duration) -> Self {
        self.error_body_timeout = timeout;
        self
    }

    /// The time cap on reading an error body.
    ///
    /// ```
    /// assert_eq!(apifault::reqwest::Decoder::default().timeout(), apifault::reqwest::DEFAULT_ERROR_BODY_TIMEOUT);
    /// ```
    #[must_use]
    pub fn timeout(&self) -> Duration {
        self.error_body_timeout
    }

    /// The cap on error bodies, in bytes.
    ///
    /// ```
    /// assert_eq!(apifault::reqwest::Decoder::default().limit(), apifault::reqwest::DEFAULT_ERROR_BODY_LIMIT);
    /// ```
    #[must_use]
    pub fn limit(&self) -> usize {
        self.error_body_limit
    }

    /// A 2xx body as JSON; see [`json`].
    ///
    /// ```no_run
    /// # async fn run(resp: reqwest::Response) -> Result<(), MyError> {
    /// let decoder = apifault::reqwest::Decoder::default().error_body_limit(4096);
    /// let value: serde_json::Value = decoder.json::<_, MyError>(resp).await?;
    /// # Ok(()) }
    /// # #[derive(Debug, apifault::ApiError)]
    /// # enum MyError {
    /// #     #[api(transport)] Transport(reqwest::Error),
    /// #     #[api(other)] Other { #[api(status)] status: u16 },
    /// # }
    /// # impl From<reqwest::Error> for MyError { fn from(e: reqwest::Error) -> Self { MyError::Transport(e) } }
    /// ```
    pub async fn json<T, E>(&self, response: Response) -> Result<T, E>
    where
        T: DeserializeOwned,
        E: FromResponse + From<ReqwestError>,
    {
        let response = self.success::<E>(response).await?;
        Ok(response.json().await?)
    }

    /// A 2xx body as XML; see [`xml`].
    ///
    /// ```no_run
    /// # async fn run(resp: reqwest::Response) -> Result<(), MyError> {
    /// #[derive(serde::Deserialize)]
    /// struct Title { name: String }
    ///
    /// let decoder = apifault::reqwest::Decoder::default().error_body_limit(4096);
    /// let title: Title = decoder.xml::<_, MyError>(resp).await?;
    /// # Ok(()) }
    /// # #[derive(Debug, apifault::ApiError)]
    /// # enum MyError {
    /// #     #[api(transport)] Transport(reqwest::Error),
    /// #     #[api(other)] Other { #[api(status)] status: u16 },
    /// # }
    /// # impl From<reqwest::Error> for MyError { fn from(e: reqwest::Error) -> Self { MyError::Transport(e) } }
    /// ```
    #[cfg(feature = "xml")]
    pub async fn xml<T, E>(&self, response: Response) -> Result<T, E>
    where
        T: DeserializeOwned,
        E: FromResponse + From<ReqwestError>,
    {
        let response = self.success::<E>(response).await?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await?;
        // reqwest has no decode error to build for XML: a body that is not
        // a `T` goes where every response the enum cannot place goes.
        crate::__private::xml_body(&body)
            .ok_or_else(|| E::from_response(ResponseParts::new(status, &headers, &body)))
    }

    /// A 2xx body as text; see [`text`].
    ///
    /// ```no_run
    /// # async fn run(resp: reqwest::Response) -> Result<String, MyError> {
    /// apifault::reqwest::Decoder::default().text(resp).await
    /// # }
    /// # #[derive(Debug, apifault::ApiError)]
    /// # enum MyError {
    /// #     #[api(transport)] Transport(reqwest::Error),
    /// #     #[api(other)] Other { #[api(status)] status: u16 },
    /// # }
    /// # impl From<reqwest::Error> for MyError { fn from(e: reqwest::Error) -> Self { MyError::Transport(e) } }
    /// ```
    pub async fn text<E>(&self, response: Response) -> Result<String, E>
    where
        E: FromResponse + From<ReqwestError>,
    {
        let response = self.success::<E>(response).await?;
        Ok(response.text().await?)
    }

    /// A 2xx body as bytes; see [`bytes`](fn@bytes).
    ///
    /// ```no_run
    /// # async fn run(resp: reqwest::Response) -> Result<Vec<u8>, MyError> {
    /// Ok(apifault::reqwest::Decoder::default().bytes::<MyError>(resp).await?.to_vec())
    /// # }
    /// # #[derive(Debug, apifault::ApiError)]
    /// # enum MyError {
    /// #     #[api(transport)] Transport(reqwest::Error),
    /// #     #[api(other)] Other { #[api(status)] status: u16 },
    /// # }
    /// # impl From<reqwest::Error> for MyError { fn from(e: reqwest::Error) -> Self { MyError::Transport(e) } }
    /// ```
    pub async fn bytes<E>(&self, response: Response) -> Result<::bytes::Bytes, E>
    where
        E: FromResponse + From<ReqwestError>,
    {
        let response = self.success::<E>(response).await?;
        Ok(response.bytes().await?)
    }

    /// Success without a body to read (a 204, a 202 for later processing);
    /// see [`no_content`].
    ///
    /// ```no_run
    /// # async fn run(resp: reqwest::Response) -> Result<(), MyError> {
    /// apifault::reqwest::Decoder::default().no_content(resp).await
    /// # }
    /// # #[derive(Debug, apifault::ApiError)]
    /// # enum MyError {
    /// #     #[api(transport)] Transport(reqwest::Error),
    /// #     #[api(other)] Other { #[api(status)] status: u16 },
    /// # }
    /// # impl From<reqwest::Error> for MyError { fn from(e: reqwest::Error) -> Self { MyError::Transport(e) } }
    /// ```
    pub async fn no_content<E>(&self, response: Response) -> Result<(), E>
    where
        E: FromResponse + From<ReqwestError>,
    {
        self.success(response).await.map(drop)
    }

    /// [`json`](Decoder::json), keeping the status, request id, rate
    /// limits and headers of the success; see [`json_with_meta`].
    ///
    /// ```no_run
    /// # async fn run(resp: reqwest::Response) -> Result<(), MyError> {
    /// let value = apifault::reqwest::Decoder::default().json_with_meta::<serde_json::Value, MyError>(resp).await?;
    /// println!("{:?}: {}", value.request_id(), *value);
    /// # Ok(()) }
    /// # #[derive(Debug, apifault::ApiError)]
    /// # enum MyError {
    /// #     #[api(transport)] Transport(reqwest::Error),
    /// #     #[api(other)] Other { #[api(status)] status: u16 },
    /// # }
    /// # impl From<reqwest::Error> for MyError { fn from(e: reqwest::Error) -> Self { MyError::Transport(e) } }
    /// ```
    pub async fn json_with_meta<T, E>(&self, response: Response) -> Result<Success<T>, E>
    where
        T: DeserializeOwned,
        E: FromResponse + From<ReqwestError>,
    {
        let (status, headers, response) = self.success_parts::<E>(response).await?;
        Ok(Success::new::<E>(response.json().await?, status, headers))
    }

    /// [`xml`](Decoder::xml), keeping the request id, status, rate
    /// limits and headers of the success; see [`xml_with_meta`].
    ///
    /// ```no_run
    /// # async fn run(resp: reqwest::Response) -> Result<(), MyError> {
    /// #[derive(serde::Deserialize)]
    /// struct Title { name: String }
    ///
    /// let title = apifault::reqwest::Decoder::default().xml_with_meta::<Title, MyError>(resp).await?;
    /// println!("{} ({:?})", title.name, title.request_id());
    /// # Ok(()) }
    /// # #[derive(Debug, apifault::ApiError)]
    /// # enum MyError {
    /// #     #[api(transport)] Transport(reqwest::Error),
    /// #     #[api(other)] Other { #[api(status)] status: u16 },
    /// # }
    /// # impl From<reqwest::Error> for MyError { fn from(e: reqwest::Error) -> Self { MyError::Transport(e) } }
    /// ```
    #[cfg(feature = "xml")]
    pub async fn xml_with_meta<T, E>(&self, response: Response) -> Result<Success<T>, E>
    where
        T: DeserializeOwned,
        E: FromResponse + From<ReqwestError>,
    {
        let (status, headers, response) = self.success_parts::<E>(response).await?;
        let body = response.bytes().await?;
        // As in `xml`: a body that is not a `T` goes where every response
        // the enum cannot place goes.
        match crate::__private::xml_body(&body) {
            Some(value) => Ok(Success::new::<E>(value, status, headers)),
            None => Err(E::from_response(ResponseParts::new(
                status, &headers, &body,
            ))),
        }
    }

    /// [`text`](Decoder::text), keeping what the server said about the
    /// success.
    ///
    /// ```no_run
    /// # async fn run(resp: reqwest::Response) -> Result<(), MyError> {
    /// let text = apifault::reqwest::Decoder::default().text_with_meta::<MyError>(resp).await?;
    /// println!("{} ({:?})", *text, text.request_id());
    /// # Ok(()) }
    /// # #[derive(Debug, apifault::ApiError)]
    /// # enum MyError {
    /// #     #[api(transport)] Transport(reqwest::Error),
    /// #     #[api(other)] Other { #[api(status)] status: u16 },
    /// # }
    /// # impl From<reqwest::Error> for MyError { fn from(e: reqwest::Error) -> Self { MyError::Transport(e) } }
    /// ```
    pub async fn text_with_meta<E>(&self, response: Response) -> Result<Success<String>, E>
    where
        E: FromResponse + From<ReqwestError>,
    {
        let (status, headers, response) = self.success_parts::<E>(response).await?;
        Ok(Success::new::<E>(response.text().await?, status, headers))
    }

    /// [`bytes`](Decoder::bytes), keeping what the server said about the
    /// success.
    ///
    /// ```no_run
    /// # async fn run(resp: reqwest::Response) -> Result<(), MyError> {
    /// let bytes = apifault::reqwest::Decoder::default().bytes_with_meta::<MyError>(resp).await?;
    /// println!("{} bytes ({:?})", bytes.len(), bytes.request_id());
    /// # Ok(()) }
    /// # #[derive(Debug, apifault::ApiError)]
    /// # enum MyError {
    /// #     #[api(transport)] Transport(reqwest::Error),
    /// #     #[api(other)] Other { #[api(status)] status: u16 },
    /// # }
    /// # impl From<reqwest::Error> for MyError { fn from(e: reqwest::Error) -> Self { MyError::Transport(e) } }
    /// ```
    pub async fn bytes_with_meta<E>(&self, response: Response) -> Result<Success<::bytes::Bytes>, E>
    where
        E: FromResponse + From<ReqwestError>,
    {
        let (status, headers, response) = self.success_parts::<E>(response).await?;
        Ok(Success::new::<E>(response.bytes().await?, status, headers))
    }

    /// [`no_content`](Decoder::no_content), keeping what the server said
    /// about the success.
    ///
    /// ```no_run
    /// # async fn run(resp: reqwest::Response) -> Result<(), MyError> {
    /// let done = apifault::reqwest::Decoder::default().no_content_with_meta::<MyError>(resp).await?;
    /// println!("{} ({:?})", done.status(), done.request_id());
    /// # Ok(()) }
    /// # #[derive(Debug, apifault::ApiError)]
    /// # enum MyError {
    /// #     #[api(transport)] Transport(reqwest::Error),
    /// #     #[api(other)] Other { #[api(status)] status: u16 },
    /// # }
    /// # impl From<reqwest::Error> for MyError { fn from(e: reqwest::Error) -> Self { MyError::Transport(e) } }
    /// ```
    pub async fn no_content_with_meta<E>(&self, response: Response) -> Result<Success<()>, E>
    where
        E: FromResponse + From<ReqwestError>,
    {
        let (status, headers, _) = self.success_parts::<E>(response).await?;
        Ok(Success::new::<E>((), status, headers))
    }

    /// [`success`](Decoder::success), with the status and a copy of the
    /// headers taken out first.
    async fn success_parts<E: FromResponse>(
        &self,
        response: Response,
    ) -> Result<(http::StatusCode, http::HeaderMap, Response), E> {
        let response = self.success::<E>(response).await?;
        Ok((response.status(), response.headers().clone(), response))
    }

    /// The response itself when it is a 2xx, else the decoded error.
    ///
    /// For an enum whose API reports errors inside a 2xx
    /// (`#[api(error_2xx(...))]`, see [`FromResponse::ERRORS_IN_2XX`]), a
    /// 2xx body is read first and asked [`FromResponse::is_error`]: an error
    /// is decoded into `E`, a success handed on with its body buffered
    /// (the response then no longer knows its URL). A 2xx body that breaks
    /// off while being read cannot be told a success, and is decoded into
    /// `E` from its status and headers. Enums without `error_2xx` pay
    /// nothing: the response is handed on unread.
    ///
    /// ```no_run
    /// # async fn run(resp: reqwest::Response) -> Result<(), MyError> {
    /// let response = apifault::reqwest::Decoder::default().success::<MyError>(resp).await?;
    /// println!("{}", response.status());
    /// # Ok(()) }
    /// # #[derive(Debug, apifault::ApiError)]
    /// # enum MyError {
    /// #     #[api(transport)] Transport(reqwest::Error),
    /// #     #[api(other)] Other { #[api(status)] status: u16 },
    /// # }
    /// # impl From<reqwest::Error> for MyError { fn from(e: reqwest::Error) -> Self { MyError::Transport(e) } }
    /// ```
    pub async fn success<E: FromResponse>(&self, response: Response) -> Result<Response, E> {
        if !response.status().is_success() {
            return Err(self.error(response).await);
        }
        if !E::ERRORS_IN_2XX {
            return Ok(response);
        }
        let (status, version) = (response.status(), response.version());
        let headers = response.headers().clone();
        let Ok(body) = response.bytes().await else {
            return Err(E::from_response(ResponseParts::new(status, &headers, b"")));
        };
        let parts = ResponseParts::new(status, &headers, &body);
        if E::is_error(&parts) {
            return Err(E::from_response(parts));
        }
        let mut buffered = http::Response::new(body);
        *buffered.status_mut() = status;
        *buffered.version_mut() = version;
        *buffered.headers_mut() = headers;
        Ok(Response::from(buffered))
    }

    /// Decodes a response known to be an error. The body is read up to the
    /// size cap and for at most the time cap; a body that breaks off
    /// mid-way (a reset, a timeout) or does not end in time is decoded from
    /// what arrived, so the status and headers are never lost and nothing
    /// hangs.
    ///
    /// ```no_run
    /// # async fn run(resp: reqwest::Response) -> MyError {
    /// apifault::reqwest::Decoder::default().error(resp).await
    /// # }
    /// # #[derive(Debug, apifault::ApiError)]
    /// # enum MyError {
    /// #     #[api(other)] Other { #[api(status)] status: u16 },
    /// # }
    /// ```
    pub async fn error<E: FromResponse>(&self, mut response: Response) -> E {
        let status = response.status();
        let headers = std::mem::take(response.headers_mut());
        let body = self.read_capped(&mut response).await;
        let body = &body[..body.len().min(self.error_body_limit)];
        E::from_response(ResponseParts::new(status, &headers, body))
    }

    /// Reads `response`'s body until it ends, breaks off, reaches the size
    /// cap (the last chunk whole, so that nothing read is lost: callers cut
    /// it to the cap) or outlasts the time cap; what was not read is still
    /// in `response`.
    pub(crate) async fn read_capped(&self, response: &mut Response) -> Vec<u8> {
        let mut body = Vec::new();
        let mut deadline = core::pin::pin!(crate::clock::default::sleep(self.error_body_timeout));
        while body.len() < self.error_body_limit {
            let mut chunk = core::pin::pin!(response.chunk());
            // Whichever comes first: the next chunk, or the end of the time
            // allowed for the whole body.
            let next = core::future::poll_fn(|cx| match chunk.as_mut().poll(cx) {
                core::task::Poll::Ready(next) => core::task::Poll::Ready(Some(next)),
                core::task::Poll::Pending => deadline.as_mut().poll(cx).map(|()| None),
            })
            .await;
            match next {
                Some(Ok(Some(chunk))) => body.extend_from_slice(&chunk),
                // The end, a body that broke off, or one that did not end
                // in time: decode what arrived.
                Some(Ok(None) | Err(_)) | None => break,
            }
        }
        body
    }
}

/// A 2xx response's JSON body as `T`; any other status decoded into `E`.
///
/// A 2xx body that is not valid JSON becomes `E::from(reqwest::Error)`: the
/// enum's `transport` variant, which says `Retry::Never` for decode errors.
///
/// ```no_run
/// use apifault::ApiError;
///
/// #[derive(Debug, thiserror::Error, ApiError)]
/// enum TitleError {
///     #[error("not found")]
///     #[api(status = 404)]
///     NotFound,
///     #[error(transparent)]
///     #[api(transport)]
///     Transport(#[from] reqwest::Error),
///     #[error("unexpected {status}")]
///     #[api(other)]
///     Other { #[api(status)] status: http::StatusCode, #[api(body)] body: String },
/// }
///
/// #[derive(serde::Deserialize)]
/// struct Title { name: String }
///
/// async fn title(http: &reqwest::Client, id: u64) -> Result<Title, TitleError> {
///     apifault::reqwest::json(http.get(format!("http://127.0.0.1:8080/titles/{id}")).send().await?).await
/// }
/// ```
pub async fn json<T, E>(response: Response) -> Result<T, E>
where
    T: DeserializeOwned,
    E: FromResponse + From<ReqwestError>,
{
    Decoder::default().json(response).await
}

/// A 2xx response's XML body as `T` (feature `xml`); any other status
/// decoded into `E`, as [`json`] does. For APIs that answer XML, whose
/// error enum reads its bodies with `#[api(body(xml))]`.
///
/// A 2xx body that is not a `T` in XML (or not UTF-8) becomes
/// `E::from_response(..)` of that response: the enum's `other` variant with
/// the 2xx status and the body, which says `Retry::Never` (reqwest has no
/// decode error for XML to hand to the `transport` variant). A body that
/// breaks off while being read is a `reqwest::Error`, as for [`json`].
///
/// ```no_run
/// use apifault::ApiError;
///
/// #[derive(Debug, serde::Deserialize)]
/// #[serde(rename = "errors")]
/// struct Errors { error: Vec<String> }
///
/// #[derive(Debug, thiserror::Error, ApiError)]
/// enum TitleError {
///     #[error("invalid: {body:?}")]
///     #[api(status = 422)]
///     Invalid { #[api(body(xml))] body: Errors },
///     #[error(transparent)]
///     #[api(transport)]
///     Transport(#[from] reqwest::Error),
///     #[error("unexpected {status}")]
///     #[api(other)]
///     Other { #[api(status)] status: http::StatusCode, #[api(body)] body: String },
/// }
///
/// #[derive(serde::Deserialize)]
/// struct Title { id: u64, name: String }
///
/// async fn title(http: &reqwest::Client, id: u64) -> Result<Title, TitleError> {
///     let url = format!("http://127.0.0.1:8080/titles/{id}");
///     apifault::reqwest::xml(http.get(url).send().await?).await
/// }
/// ```
#[cfg(feature = "xml")]
pub async fn xml<T, E>(response: Response) -> Result<T, E>
where
    T: DeserializeOwned,
    E: FromResponse + From<ReqwestError>,
{
    Decoder::default().xml(response).await
}

/// A 2xx response's body as text; any other status decoded into `E`.
///
/// ```no_run
/// # async fn run(resp: reqwest::Response) -> Result<String, MyError> {
/// apifault::reqwest::text(resp).await
/// # }
/// # #[derive(Debug, apifault::ApiError)]
/// # enum MyError {
/// #     #[api(transport)] Transport(reqwest::Error),
/// #     #[api(other)] Other { #[api(status)] status: u16 },
/// # }
/// # impl From<reqwest::Error> for MyError { fn from(e: reqwest::Error) -> Self { MyError::Transport(e) } }
/// ```
pub async fn text<E>(response: Response) -> Result<String, E>
where
    E: FromResponse + From<ReqwestError>,
{
    Decoder::default().text(response).await
}

/// A 2xx response's body as bytes; any other status decoded into `E`.
///
/// ```no_run
/// # async fn run(resp: reqwest::Response) -> Result<(), MyError> {
/// let bytes = apifault::reqwest::bytes::<MyError>(resp).await?;
/// # let _ = bytes; Ok(()) }
/// # #[derive(Debug, apifault::ApiError)]
/// # enum MyError {
/// #     #[api(transport)] Transport(reqwest::Error),
/// #     #[api(other)] Other { #[api(status)] status: u16 },
/// # }
/// # impl From<reqwest::Error> for MyError { fn from(e: reqwest::Error) -> Self { MyError::Transport(e) } }
/// ```
pub async fn bytes<E>(response: Response) -> Result<::bytes::Bytes, E>
where
    E: FromResponse + From<ReqwestError>,
{
    Decoder::default().bytes(response).await
}

/// Any 2xx, body ignored (read only to look for an error, for an enum with
/// `error_2xx`); any other status decoded into `E`.
///
/// ```no_run
/// # async fn run(resp: reqwest::Response) -> Result<(), MyError> {
/// apifault::reqwest::no_content(resp).await
/// # }
/// # #[derive(Debug, apifault::ApiError)]
/// # enum MyError {
/// #     #[api(transport)] Transport(reqwest::Error),
/// #     #[api(other)] Other { #[api(status)] status: u16 },
/// # }
/// # impl From<reqwest::Error> for MyError { fn from(e: reqwest::Error) -> Self { MyError::Transport(e) } }
/// ```
pub async fn no_content<E>(response: Response) -> Result<(), E>
where
    E: FromResponse + From<ReqwestError>,
{
    Decoder::default().no_content(response).await
}

/// [`json`], keeping what the server said about the success: its status,
/// its request id (from the header `E` names,
/// [`FromResponse::REQUEST_ID_HEADER`]), the rate limits it announced
/// (as `E` reads them) and its headers, next to the value.
///
/// ```no_run
/// use apifault::{ApiError, Success};
///
/// #[derive(Debug, thiserror::Error, ApiError)]
/// enum TitleError {
///     #[error(transparent)]
///     #[api(transport)]
///     Transport(#[from] reqwest::Error),
///     #[error("unexpected {status}")]
///     #[api(other)]
///     Other { #[api(status)] status: http::StatusCode },
/// }
///
/// #[derive(serde::Deserialize)]
/// struct Title { name: String }
///
/// async fn title(http: &reqwest::Client, id: u64) -> Result<Success<Title>, TitleError> {
///     let response = http.get(format!("http://127.0.0.1:8080/titles/{id}")).send().await?;
///     apifault::reqwest::json_with_meta(response).await
/// }
///
/// # async fn run(http: reqwest::Client) -> Result<(), TitleError> {
/// let found = title(&http, 7).await?;
/// println!("{} (request {:?}, {:?} left)", found.name, found.request_id(), found.rate_limit().and_then(|r| r.remaining));
/// # Ok(()) }
/// ```
pub async fn json_with_meta<T, E>(response: Response) -> Result<Success<T>, E>
where
    T: DeserializeOwned,
    E: FromResponse + From<ReqwestError>,
{
    Decoder::default().json_with_meta(response).await
}

/// [`xml`], keeping what the server said about the success (see
/// [`json_with_meta`]): the request id, status, rate limits and headers next
/// to the decoded value.
///
/// ```no_run
/// # async fn run(resp: reqwest::Response) -> Result<(), MyError> {
/// #[derive(serde::Deserialize)]
/// struct Title { name: String }
///
/// let title = apifault::reqwest::xml_with_meta::<Title, MyError>(resp).await?;
/// println!("{} ({:?}, {})", title.name, title.request_id(), title.status());
/// # Ok(()) }
/// # #[derive(Debug, apifault::ApiError)]
/// # enum MyError {
/// #     #[api(transport)] Transport(reqwest::Error),
/// #     #[api(other)] Other { #[api(status)] status: u16 },
/// # }
/// # impl From<reqwest::Error> for MyError { fn from(e: reqwest::Error) -> Self { MyError::Transport(e) } }
/// ```
#[cfg(feature = "xml")]
pub async fn xml_with_meta<T, E>(response: Response) -> Result<Success<T>, E>
where
    T: DeserializeOwned,
    E: FromResponse + From<ReqwestError>,
{
    Decoder::default().xml_with_meta(response).await
}

/// [`text`], keeping what the server said about the success (see
/// [`json_with_meta`]).
///
/// ```no_run
/// # async fn run(resp: reqwest::Response) -> Result<(), MyError> {
/// let text = apifault::reqwest::text_with_meta::<MyError>(resp).await?;
/// println!("{} ({:?})", *text, text.request_id());
/// # Ok(()) }
/// # #[derive(Debug, apifault::ApiError)]
/// # enum MyError {
/// #     #[api(transport)] Transport(reqwest::Error),
/// #     #[api(other)] Other { #[api(status)] status: u16 },
/// # }
/// # impl From<reqwest::Error> for MyError { fn from(e: reqwest::Error) -> Self { MyError::Transport(e) } }
/// ```
pub async fn text_with_meta<E>(response: Response) -> Result<Success<String>, E>
where
    E: FromResponse + From<ReqwestError>,
{
    Decoder::default().text_with_meta(response).await
}

/// [`bytes`](fn@bytes), keeping what the server said about the success
/// (see [`json_with_meta`]).
///
/// ```no_run
/// # async fn run(resp: reqwest::Response) -> Result<(), MyError> {
/// let bytes = apifault::reqwest::bytes_with_meta::<MyError>(resp).await?;
/// println!("{} bytes ({:?})", bytes.len(), bytes.request_id());
/// # Ok(()) }
/// # #[derive(Debug, apifault::ApiError)]
/// # enum MyError {
/// #     #[api(transport)] Transport(reqwest::Error),
/// #     #[api(other)] Other { #[api(status)] status: u16 },
/// # }
/// # impl From<reqwest::Error> for MyError { fn from(e: reqwest::Error) -> Self { MyError::Transport(e) } }
/// ```
pub async fn bytes_with_meta<E>(response: Response) -> Result<Success<::bytes::Bytes>, E>
where
    E: FromResponse + From<ReqwestError>,
{
    Decoder::default().bytes_with_meta(response).await
}

/// [`no_content`], keeping what the server said about the success (see
/// [`json_with_meta`]): a 202's request id, to follow the work it
/// accepted.
///
/// ```no_run
/// # async fn run(resp: reqwest::Response) -> Result<(), MyError> {
/// let accepted = apifault::reqwest::no_content_with_meta::<MyError>(resp).await?;
/// println!("{} ({:?})", accepted.status(), accepted.request_id());
/// # Ok(()) }
/// # #[derive(Debug, apifault::ApiError)]
/// # enum MyError {
/// #     #[api(transport)] Transport(reqwest::Error),
/// #     #[api(other)] Other { #[api(status)] status: u16 },
/// # }
/// # impl From<reqwest::Error> for MyError { fn from(e: reqwest::Error) -> Self { MyError::Transport(e) } }
/// ```
pub async fn no_content_with_meta<E>(response: Response) -> Result<Success<()>, E>
where
    E: FromResponse + From<ReqwestError>,
{
    Decoder::default().no_content_with_meta(response).await
}

/// Sends `request` once `throttle` allows it, and teaches the throttle the
/// rate-limit headers of the response.
///
/// ```no_run
/// # async fn run(http: reqwest::Client, throttle: apifault::Throttle) -> Result<(), reqwest::Error> {
/// let response = apifault::reqwest::send(&throttle, http.get("http://127.0.0.1:8080/titles")).await?;
/// # let _ = response; Ok(()) }
/// ```
pub async fn send(throttle: &Throttle, request: RequestBuilder) -> Result<Response, ReqwestError> {
    let permit = throttle.acquire().await;
    let response = request.send().await?;
    permit.observe(response.headers());
    drop(permit);
    Ok(response)
}

/// [`send`] for an API whose errors `E` describes: the throttle learns from
/// the rate-limit headers `E` names with `#[api(rate_limit(...))]` (an
/// API's own, such as `x-ratelimit-remaining-requests` or
/// `X-Shopify-Shop-Api-Call-Limit`), or the standard ones for an enum that
/// names none.
///
/// ```no_run
/// use apifault::ApiError;
///
/// #[derive(Debug, ApiError)]
/// #[api(rate_limit(remaining = "x-ratelimit-remaining-requests",
///                  reset = duration("x-ratelimit-reset-requests")))]
/// enum LlmError {
///     #[api(transport)]
///     Transport(reqwest::Error),
///     #[api(other)]
///     Other { #[api(status)] status: http::StatusCode },
/// }
/// impl From<reqwest::Error> for LlmError {
///     fn from(e: reqwest::Error) -> Self { LlmError::Transport(e) }
/// }
///
/// # async fn run(http: reqwest::Client, throttle: apifault::Throttle) -> Result<(), LlmError> {
/// let request = http.post("http://127.0.0.1:8080/v1/chat/completions");
/// let response = apifault::reqwest::send_for::<LlmError>(&throttle, request).await?;
/// let body: serde_json::Value = apifault::reqwest::json::<_, LlmError>(response).await?;
/// # let _ = body; Ok(()) }
/// ```
pub async fn send_for<E: FromResponse>(
    throttle: &Throttle,
    request: RequestBuilder,
) -> Result<Response, ReqwestError> {
    let permit = throttle.acquire().await;
    let response = request.send().await?;
    permit.observe_for::<E>(response.headers());
    drop(permit);
    Ok(response)
}

/// How a `reqwest::Error` classifies: a failure to connect sent nothing and
/// may be resent; a timeout or a broken body may come after the server read
/// the request; a request that cannot be built, a redirect loop or a body
/// that is not what was expected will fail the same way again.
///
/// ```no_run
/// # async fn run() {
/// use apifault::{Retry, TransportError};
/// let error = reqwest::get("http://127.0.0.1:9").await.unwrap_err(); // nothing listens
/// assert!(error.is_connect());
/// assert_eq!(TransportError::retry(&error), Retry::Backoff);
/// assert!(TransportError::safe_to_resend(&error));
/// # }
/// ```
impl TransportError for ReqwestError {
    fn retry(&self) -> Retry {
        // `error_for_status()` turns a response into an error: classify it
        // by its status, as a decoded response would be.
        if let Some(status) = self.status() {
            return Retry::for_status(status);
        }
        // reqwest reports a body cut off by the network while decoding as a
        // decode error too; only a body that arrived whole and did not parse
        // will fail the same way again.
        if self.is_builder() || self.is_redirect() || (self.is_decode() && !caused_by_io(self)) {
            Retry::Never
        } else {
            Retry::Backoff
        }
    }

    fn safe_to_resend(&self) -> bool {
        match self.status() {
            Some(status) => crate::error::status_safe_to_resend(status),
            None => self.is_connect(),
        }
    }
}

/// Whether an I/O error (a reset, a timeout) is somewhere in the chain.
fn caused_by_io(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = error.source();
    while let Some(error) = cause {
        if error.is::<std::io::Error>() {
            return true;
        }
        cause = error.source();
    }
    false
}
