//! Bearer auth with development users, and rate limiting per user (or per source address
//! for requests without a valid token).

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use governor::clock::QuantaInstant;
use governor::middleware::NoOpMiddleware;
use tower_governor::governor::GovernorConfigBuilder;
use tower_governor::key_extractor::KeyExtractor;
use tower_governor::{GovernorError, GovernorLayer};

use crate::error::Failure;
use crate::users::{DevUser, DEV_USERS};

pub fn authenticate(headers: &HeaderMap) -> Result<&'static DevUser, Failure> {
    let unauthorized = || {
        Failure::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "a valid bearer token is required",
        )
    };
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(unauthorized)?;
    let token = value
        .strip_prefix("Bearer ")
        .ok_or_else(unauthorized)?
        .trim();
    DEV_USERS
        .iter()
        .find(|u| u.token == token)
        .ok_or_else(unauthorized)
}

/// The rate limit's key: the user for a request with a valid dev token, else the peer's
/// IP address, so that a flood of unauthenticated (or wrongly authenticated) requests is
/// limited too, per source.
#[derive(Debug, Clone, Copy)]
pub struct UserOrPeer;

impl KeyExtractor for UserOrPeer {
    type Key = String;

    fn extract<T>(&self, req: &axum::http::Request<T>) -> Result<String, GovernorError> {
        if let Ok(user) = authenticate(req.headers()) {
            return Ok(format!("user:{}", user.id));
        }
        req.extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| format!("ip:{}", addr.ip()))
            .ok_or(GovernorError::UnableToExtractKey)
    }
}

/// The rate limit (tower_governor): a burst of `per_minute` requests per key, refilled
/// evenly over the minute; `None` when unlimited. Refusals are JSON 429s with Retry-After.
pub fn rate_limit(
    per_minute: u32,
) -> Option<GovernorLayer<UserOrPeer, NoOpMiddleware<QuantaInstant>, axum::body::Body>> {
    if per_minute == 0 || per_minute >= 1_000_000 {
        return None;
    }
    let config = GovernorConfigBuilder::default()
        .key_extractor(UserOrPeer)
        .per_millisecond((60_000 / u64::from(per_minute)).max(1))
        .burst_size(per_minute)
        .finish()?;
    Some(GovernorLayer::new(config).error_handler(|e| {
        let mut f = match e {
            GovernorError::TooManyRequests { wait_time, .. } => {
                let mut f = Failure::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    "too many requests; retry later",
                );
                f.retry_after_secs = Some(wait_time.max(1));
                f
            }
            _ => Failure::new(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "the request could not be attributed to a client",
            ),
        };
        f.issues.clear();
        f.into_response()
    }))
}
