//! Features are additive: with apifault's `axum` feature on (as it is for
//! this crate), an enum that derives only `ApiError` gets no
//! `IntoResponse`, so its own hand-written impl stays valid; an enum that
//! asks with `#[derive(apifault::IntoResponse)]` gets the generated one.

use apifault::{ApiError, FromResponse, ResponseParts};
use axum::response::{IntoResponse, Response};
use http::StatusCode;

#[derive(Debug, ApiError)]
enum HandServed {
    #[api(status = 404)]
    NotFound,
    #[api(other)]
    Other {
        #[api(status)]
        status: StatusCode,
    },
}

/// A crate's own impl: it would conflict with a generated one.
impl IntoResponse for HandServed {
    fn into_response(self) -> Response {
        (StatusCode::IM_A_TEAPOT, "served by hand").into_response()
    }
}

#[derive(Debug, PartialEq, ApiError, apifault::IntoResponse)]
enum Generated {
    #[api(status = 404)]
    NotFound,
    #[api(other)]
    Other {
        #[api(status)]
        status: StatusCode,
    },
}

#[test]
fn a_hand_written_impl_is_kept_and_a_derived_one_is_opt_in() {
    let response = HandServed::NotFound.into_response();
    assert_eq!(response.status(), StatusCode::IM_A_TEAPOT);

    let response = Generated::NotFound.into_response();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let back = Generated::from_response(ResponseParts::new(
        response.status(),
        response.headers(),
        b"",
    ));
    assert_eq!(back, Generated::NotFound);
    assert_eq!(HandServed::NotFound.status(), Some(StatusCode::NOT_FOUND));
}
