//! The server calls made outside a pass, for the organiser's and the deep-link screens.

use super::http::Method;

use super::{backoff, Engine};
use crate::error::Error;
use crate::model::{Fundraiser, FundraiserDraft, FundraiserEdit};
use crate::wire::ExtendRequest;

/// How many times a transient failure of a one-off call is retried before it is reported.
const ATTEMPTS: u32 = 3;

/// Creates a fundraiser. Transient failures are retried with the same idempotency key, so
/// a lost answer never creates two.
pub(crate) async fn create_fundraiser(
    engine: &Engine,
    draft: &FundraiserDraft,
) -> Result<Fundraiser, Error> {
    let key = uuid::Uuid::now_v7().to_string();
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        match engine
            .http()
            .send(Method::Post, "v1/fundraisers", &[], Some(draft), Some(&key))
            .await
        {
            Ok(created) => return Ok(created),
            Err(Error::Offline { retry_after, .. }) if attempt < ATTEMPTS => {
                tokio::time::sleep(backoff::delay(attempt, retry_after)).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Fetches one fundraiser by id (its segment already checked).
pub(crate) async fn fetch_fundraiser(engine: &Engine, id: &str) -> Result<Fundraiser, Error> {
    let path = format!("v1/fundraisers/{id}");
    engine
        .http()
        .send::<(), _>(Method::Get, &path, &[], None, None)
        .await
}

/// The organiser's edit (`PATCH`). Not retried: the organiser sees the failure and the
/// form keeps what they typed.
pub(crate) async fn edit_fundraiser(
    engine: &Engine,
    id: &str,
    edit: &FundraiserEdit,
) -> Result<Fundraiser, Error> {
    let path = format!("v1/fundraisers/{id}");
    engine
        .http()
        .send(Method::Patch, &path, &[], Some(edit), None)
        .await
}

/// Extends a running fundraiser by `days`.
pub(crate) async fn extend_fundraiser(
    engine: &Engine,
    id: &str,
    days: u32,
) -> Result<Fundraiser, Error> {
    let path = format!("v1/fundraisers/{id}/extend");
    engine
        .http()
        .send(
            Method::Post,
            &path,
            &[],
            Some(&ExtendRequest { days }),
            None,
        )
        .await
}

/// Ends a fundraiser now.
pub(crate) async fn end_fundraiser(engine: &Engine, id: &str) -> Result<Fundraiser, Error> {
    let path = format!("v1/fundraisers/{id}/end");
    engine
        .http()
        .send::<(), _>(Method::Post, &path, &[], None, None)
        .await
}
