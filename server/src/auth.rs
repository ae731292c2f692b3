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

/// A development user of the reference server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DevUser {
    pub id: &'static str,
    pub name: &'static str,
    pub token: &'static str,
    pub country: &'static str,
    pub age_years: u32,
    /// Reviews new fundraisers (approves them, or removes them with a reason).
    pub reviewer: bool,
}

pub const DEV_USERS: &[DevUser] = &[
    DevUser {
        id: "usr_organiser",
        name: "Olivia Organiser",
        token: "dev-organiser",
        country: "US",
        age_years: 34,
        reviewer: false,
    },
    DevUser {
        id: "usr_organiser_gb",
        name: "George Organiser",
        token: "dev-organiser-gb",
        country: "GB",
        age_years: 41,
        reviewer: false,
    },
    DevUser {
        id: "usr_organiser_ie",
        name: "Aoife Organiser",
        token: "dev-organiser-ie",
        country: "IE",
        age_years: 29,
        reviewer: false,
    },
    DevUser {
        id: "usr_donor_1",
        name: "Dan Donor",
        token: "dev-donor-1",
        country: "US",
        age_years: 27,
        reviewer: false,
    },
    DevUser {
        id: "usr_donor_2",
        name: "Dana Donor",
        token: "dev-donor-2",
        country: "IE",
        age_years: 52,
        reviewer: false,
    },
    DevUser {
        id: "usr_minor",
        name: "Mia Minor",
        token: "dev-minor",
        country: "US",
        age_years: 16,
        reviewer: false,
    },
    DevUser {
        id: "usr_reviewer",
        name: "Rae Reviewer",
        token: "dev-reviewer",
        country: "US",
        age_years: 40,
        reviewer: true,
    },
];

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
