//! Bearer auth with development users, and per-user rate limiting.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{header, HeaderMap, StatusCode};

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

/// A fixed one-minute window per user: simple, and enough to prove the 429 path.
pub struct RateLimiter {
    per_minute: u32,
    windows: Mutex<HashMap<&'static str, (Instant, u32)>>,
}

impl RateLimiter {
    pub fn new(per_minute: u32) -> RateLimiter {
        RateLimiter {
            per_minute,
            windows: Mutex::new(HashMap::new()),
        }
    }

    pub fn check(&self, user: &'static str) -> Result<(), Failure> {
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let entry = windows.entry(user).or_insert((now, 0));
        if now.duration_since(entry.0) >= Duration::from_secs(60) {
            *entry = (now, 0);
        }
        entry.1 += 1;
        if entry.1 > self.per_minute {
            let wait = Duration::from_secs(60)
                .saturating_sub(now.duration_since(entry.0))
                .as_secs()
                .max(1);
            let mut f = Failure::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "too many requests; retry later",
            );
            f.retry_after_secs = Some(wait);
            return Err(f);
        }
        Ok(())
    }
}
