//! A JSON body extractor whose every rejection (too large, not JSON, invalid UTF-8, too
//! deep, wrong types, wrong content type, a NUL character) is a JSON `Failure` with a
//! precise code.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use crate::error::{scrub_detail, Failure};

pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = Failure;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        let bytes =
            axum::body::Bytes::from_request(Request::from_parts(parts.clone(), body), state)
                .await
                .map_err(|r| rejection(r.status(), r.body_text()))?;
        // No text field may hold U+0000: no client has a use for it, and PostgreSQL's text
        // cannot store it (one backend must not accept what the other refuses).
        if has_escaped_nul(&bytes) {
            return Err(Failure::new(
                StatusCode::BAD_REQUEST,
                "nul_character",
                "text may not contain the NUL character (\\u0000)",
            ));
        }
        let req = Request::from_parts(parts, axum::body::Body::from(bytes));
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Body(v)),
            Err(r) => Err(rejection(r.status(), r.body_text())),
        }
    }
}

/// Whether JSON text spells a NUL character inside a string (`\u0000`; a raw NUL byte is not
/// JSON at all). Escapes are read in order, so an escaped backslash followed by `u0000` is
/// text, not a NUL.
fn has_escaped_nul(json: &[u8]) -> bool {
    let mut i = 0;
    while i < json.len() {
        if json[i] == b'\\' {
            if json.get(i + 1) == Some(&b'u') && json.get(i + 2..i + 6) == Some(b"0000") {
                return true;
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    false
}

/// A rejection as a JSON failure. Its detail is the parser's words, which quote the
/// caller's values: they are cut short and never hold a card number (`scrub_detail`).
fn rejection(status: StatusCode, detail: String) -> Failure {
    let detail = scrub_detail(&detail);
    match status {
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
            .map_err(|r| {
                Failure::new(
                    StatusCode::BAD_REQUEST,
                    "bad_request",
                    scrub_detail(&r.body_text()),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::has_escaped_nul;

    #[test]
    fn nul_escapes_are_found_and_escaped_backslashes_are_not() {
        assert!(has_escaped_nul(br#"{"m":"a\u0000b"}"#));
        assert!(has_escaped_nul(br#"{"m":"\"\u0000"}"#));
        assert!(
            !has_escaped_nul(br#"{"m":"a\\u0000b"}"#),
            "a backslash, then text"
        );
        assert!(!has_escaped_nul(br#"{"m":"\u00000"}"#.split_at(5).0));
        assert!(!has_escaped_nul(br#"{"m":"\u0001 \n"}"#));
    }
}
