//! Every failure the server answers with: a status and an `ApiError` JSON body with a
//! stable machine code. Nothing answers in plain text.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use fundkit::rules::ValidationIssue;
use fundkit::wire::{ApiError, ApiErrorBody};

use crate::store::StoreError;

#[derive(Debug)]
pub struct Failure {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub issues: Vec<ValidationIssue>,
    pub retry_after_secs: Option<u64>,
}

impl Failure {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Failure {
        Failure {
            status,
            code,
            message: message.into(),
            issues: Vec::new(),
            retry_after_secs: None,
        }
    }

    pub fn validation(issues: Vec<ValidationIssue>) -> Failure {
        Failure {
            issues,
            ..Failure::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                "the request breaks one or more rules",
            )
        }
    }

    pub fn not_found(what: &str) -> Failure {
        Failure::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }

    pub fn internal(err: impl std::fmt::Display) -> Failure {
        tracing::error!(error = %err, "internal failure");
        Failure::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; nothing was changed",
        )
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => Failure::not_found(what),
            StoreError::Refused { code, message } => {
                Failure::new(StatusCode::CONFLICT, code, message)
            }
            StoreError::Busy(detail) => {
                tracing::warn!(%detail, "storage busy");
                Failure {
                    retry_after_secs: Some(1),
                    ..Failure::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "busy",
                        "the server is busy; nothing was changed, send it again",
                    )
                }
            }
            StoreError::Internal(detail) => Failure::internal(detail),
        }
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let body = ApiError {
            error: ApiErrorBody {
                code: self.code.into(),
                message: self.message,
                issues: self.issues,
            },
        };
        let mut resp = (self.status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after_secs {
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        resp
    }
}
