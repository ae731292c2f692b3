//! A JSON body extractor whose every rejection (too large, not JSON, invalid UTF-8, too
//! deep, wrong types, wrong content type) is a JSON `Failure` with a precise code.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use crate::error::Failure;

pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = Failure;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Body(v)),
            Err(rejection) => {
                let detail = rejection.body_text();
                Err(match rejection.status() {
                    StatusCode::PAYLOAD_TOO_LARGE => Failure::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "payload_too_large",
                        "the request body is too large",
                    ),
                    StatusCode::UNSUPPORTED_MEDIA_TYPE => Failure::new(
                        StatusCode::UNSUPPORTED_MEDIA_TYPE,
                        "unsupported_media_type",
                        "send Content-Type: application/json",
                    ),
                    StatusCode::UNPROCESSABLE_ENTITY => {
                        Failure::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body", detail)
                    }
                    _ => Failure::new(StatusCode::BAD_REQUEST, "bad_request", detail),
                })
            }
        }
    }
}

/// Query parameters, with a JSON 400 for a query that does not parse (e.g. a repeated key).
pub struct Params<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Params(q.0))
            .map_err(|r| Failure::new(StatusCode::BAD_REQUEST, "bad_request", r.body_text()))
    }
}
