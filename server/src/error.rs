//! Every failure the server answers with: a status and an `ApiError` JSON body with a
//! stable machine code. Nothing answers in plain text.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use fundkit::rules::ValidationIssue;
use fundkit::wire::{ApiError, ApiErrorBody};

use crate::store::StoreError;

/// Longest prefix of a caller's value an answer repeats (an id, a decoding error's value).
const ECHO_MAX_CHARS: usize = 40;

/// A caller's value as an answer may repeat it: at most `ECHO_MAX_CHARS` characters, and
/// with its digits hidden if it holds a card number (a value pasted in the wrong field is
/// never sent back, nor logged by whatever reads the answer).
pub fn echo(value: &str) -> String {
    let mut shown: String = value.chars().take(ECHO_MAX_CHARS).collect();
    if fundkit::rules::contains_card_number(value) {
        shown = shown
            .chars()
            .map(|c| if c.is_numeric() { '•' } else { c })
            .collect();
    }
    if value.chars().nth(ECHO_MAX_CHARS).is_some() {
        shown.push('…');
    }
    shown
}

/// A decoding error's text as an answer may show it: the parser's words with every value
/// of the caller's it quotes (between `"` or backticks) passed through `echo`, and at
/// most 300 characters in all.
pub fn scrub_detail(detail: &str) -> String {
    let mut out = String::new();
    let mut rest = detail;
    while let Some(start) = rest.find(['"', '`']) {
        let quote = rest[start..].chars().next().unwrap_or('"');
        out.push_str(&rest[..=start]);
        let after = &rest[start + 1..];
        match after.find(quote) {
            Some(end) => {
                out.push_str(&echo(&after[..end]));
                out.push(quote);
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&echo(after));
                rest = "";
            }
        }
    }
    out.push_str(rest);
    if fundkit::rules::contains_card_number(&out) {
        out = out
            .chars()
            .map(|c| if c.is_numeric() { '•' } else { c })
            .collect();
    }
    if out.chars().count() > 300 {
        out = out.chars().take(300).collect::<String>() + "…";
    }
    out
}

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

#[cfg(test)]
mod tests {
    use super::{echo, scrub_detail};

    #[test]
    fn echoes_are_bounded_and_never_hold_a_card_number() {
        assert_eq!(echo("short"), "short");
        let long = "x".repeat(100_000);
        assert_eq!(echo(&long).chars().count(), 41);
        let card = echo("4111 1111 1111 1111");
        assert!(!fundkit::rules::contains_card_number(&card), "{card}");
        assert!(!card.contains('4'), "{card}");
    }

    #[test]
    fn decoding_errors_lose_the_values_they_quote() {
        let detail = format!(
            "donations[0].amount.currency: invalid type: string \"4111111111111111{}\", expected u32 at line 1",
            "y".repeat(500)
        );
        let shown = scrub_detail(&detail);
        assert!(!fundkit::rules::contains_card_number(&shown), "{shown}");
        assert!(shown.len() < 200, "{shown}");
        assert!(
            shown.starts_with("donations[0].amount.currency: invalid type"),
            "{shown}"
        );
        assert_eq!(
            scrub_detail("unknown variant `privat`, expected `public`"),
            "unknown variant `privat`, expected `public`"
        );
    }
}
