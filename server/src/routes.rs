//! The `/v1` routes. Each handler authenticates, rate-limits, validates with the core's
//! rules, and calls the storage (`store`), which hides which database holds the data.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use fundkit::model::FundraiserDraft;
use fundkit::model::FundraiserState;
use fundkit::rollout::{self, Action, Availability, Platform, UserContext};
use fundkit::rules;
use fundkit::wire::{
    BankStep, BankStepRequest, BatchResult, ChangesPage, DonationBatch, DonationItem, DonorsPage,
    ExtendRequest, ItemOutcome, ItemResult, OwnDonationsPage, PendingEdit, ReconcileRequest,
    ReviewDecision, ReviewRequest, MAX_BATCH, MAX_CHANGES_PAGE,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tower_http::timeout::TimeoutLayer;

use crate::auth::authenticate;
use crate::error::{echo, Failure};
use crate::extract::{Body, Params};
use crate::store::{BankPage, Charge, ChargeRequest, Priced, Recorded, Store};
use crate::users::DevUser;
use crate::{Counters, PaymentStep, ServerOptions};

/// Every (method, path) the server serves; the OpenAPI document must list exactly these.
pub const ROUTES: &[(&str, &str)] = &[
    ("get", "/v1/config"),
    ("post", "/v1/fundraisers"),
    ("get", "/v1/fundraisers/changes"),
    ("get", "/v1/fundraisers/{id}"),
    ("patch", "/v1/fundraisers/{id}"),
    ("post", "/v1/fundraisers/{id}/extend"),
    ("post", "/v1/fundraisers/{id}/end"),
    ("get", "/v1/fundraisers/{id}/donations"),
    ("get", "/v1/fundraisers/{id}/donors"),
    ("get", "/v1/review/fundraisers"),
    ("post", "/v1/review/fundraisers/{id}"),
    ("get", "/v1/me/donations"),
    ("get", "/v1/me/donations/changes"),
    ("post", "/v1/donations/batch"),
    ("post", "/v1/donations/reconcile"),
    ("post", "/v1/bank/{challenge}"),
    ("get", "/v1/fundraisers/{id}/gift-aid.csv"),
    ("get", "/.well-known/assetlinks.json"),
    ("get", "/.well-known/apple-app-site-association"),
    ("get", "/f/{id}"),
];

pub struct AppState {
    pub(crate) store: Store,
    pub(crate) options: ServerOptions,
    pub(crate) counters: Counters,
    pub(crate) clock_offset_ms: std::sync::atomic::AtomicI64,
    /// The server's public base URL (`ServerOptions::public_url`, else its own address).
    pub(crate) public_url: String,
}

impl AppState {
    pub fn new(store: Store, options: ServerOptions, public_url: String) -> AppState {
        AppState {
            store,
            options,
            counters: Counters::default(),
            clock_offset_ms: std::sync::atomic::AtomicI64::new(0),
            public_url,
        }
    }

    /// The server's time: the system clock, moved by `RunningServer::advance_clock` in
    /// tests (a fundraiser's end, an abandoned bank step).
    pub(crate) fn now_ms(&self) -> i64 {
        system_now_ms().saturating_add(self.clock_offset_ms.load(Ordering::SeqCst))
    }

    /// Dies right after a payment step if the operator asked for it (`--crash-after`):
    /// how the tests prove that a crash between the steps never charges twice.
    fn crash_point(&self, step: PaymentStep) {
        if self.options.crash_after == Some(step) {
            tracing::error!(?step, "crashing on purpose after this payment step");
            // Like a kill: nothing after this point runs. (Not `abort`, which may leave a
            // core file in the working directory.)
            std::process::exit(86);
        }
    }

    fn user(&self, headers: &HeaderMap) -> Result<&'static DevUser, Failure> {
        authenticate(headers)
    }

    /// Where the bank step sends the donor (this server's public address, as configured:
    /// never the request's `Host` header, which the caller chooses), and how long it waits.
    fn bank_page(&self) -> BankPage {
        BankPage {
            base_url: format!("{}/v1/bank/", self.public_url.trim_end_matches('/')),
            timeout_ms: i64::try_from(self.options.action_timeout.as_millis()).unwrap_or(i64::MAX),
        }
    }
}

type Shared = State<Arc<AppState>>;

pub fn router(state: Arc<AppState>) -> Router {
    let max_body = state.options.max_body_bytes;
    let router = Router::new()
        .route("/v1/config", get(config))
        .route("/v1/fundraisers", post(create_fundraiser))
        .route("/v1/fundraisers/changes", get(changes))
        .route(
            "/v1/fundraisers/{id}",
            get(fundraiser).patch(edit_fundraiser),
        )
        .route("/v1/fundraisers/{id}/extend", post(extend_fundraiser))
        .route("/v1/fundraisers/{id}/end", post(end_fundraiser))
        .route("/v1/fundraisers/{id}/donations", get(fundraiser_donations))
        .route("/v1/fundraisers/{id}/donors", get(fundraiser_donors))
        .route("/v1/review/fundraisers", get(review_queue))
        .route("/v1/review/fundraisers/{id}", post(review_fundraiser))
        .route("/v1/me/donations", get(my_donations))
        .route("/v1/me/donations/changes", get(my_donation_changes))
        .route("/v1/donations/batch", post(donation_batch))
        .route("/v1/donations/reconcile", post(reconcile))
        .route("/v1/bank/{challenge}", post(bank_step))
        .route("/v1/fundraisers/{id}/gift-aid.csv", get(gift_aid_export))
        .route(
            "/.well-known/assetlinks.json",
            get(crate::links::assetlinks),
        )
        .route(
            "/.well-known/apple-app-site-association",
            get(crate::links::apple_app_site_association),
        )
        .route("/f/{id}", get(crate::links::fundraiser_page))
        .fallback(|| async { Failure::new(StatusCode::NOT_FOUND, "not_found", "no such route") })
        .method_not_allowed_fallback(|| async {
            Failure::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this route does not take that method",
            )
        })
        // Innermost first: the handler's time limit, the body limit, the rate limit (before
        // a body is read), then the guard that counts and answers a timeout in JSON.
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            state.options.request_timeout,
        ))
        .layer(DefaultBodyLimit::max(max_body));
    let router = match crate::auth::rate_limit(state.options.rate_limit_per_minute) {
        Some(limit) => router.layer(limit),
        None => router,
    };
    router
        .layer(middleware::from_fn_with_state(state.clone(), guard))
        .with_state(state)
}

/// Counts requests, refuses a NUL character in the path or query (`%00`; bodies are checked
/// by `extract`), and turns tower-http's bare timeout answer into a JSON 503 with
/// Retry-After (retryable: a retry gets the same answer, payments are idempotent).
async fn guard(State(state): Shared, req: Request, next: Next) -> Response {
    state.counters.requests.fetch_add(1, Ordering::Relaxed);
    if req.uri().path_and_query().is_some_and(|pq| {
        pq.as_str()
            .as_bytes()
            .windows(3)
            .any(|w| w.eq_ignore_ascii_case(b"%00"))
    }) {
        return Failure::new(
            StatusCode::BAD_REQUEST,
            "nul_character",
            "the address may not contain the NUL character (%00)",
        )
        .into_response();
    }
    let resp = next.run(req).await;
    let bare = resp.status() == StatusCode::SERVICE_UNAVAILABLE
        && resp
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .is_none();
    if !bare {
        return resp;
    }
    let mut f = Failure::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "timeout",
        "the request took too long; retry",
    );
    f.retry_after_secs = Some(1);
    f.into_response()
}

fn system_now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn fingerprint(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The platform the client says it runs on (for rollout); Android when absent.
fn platform(headers: &HeaderMap) -> Result<Platform, Failure> {
    match headers
        .get("x-fundkit-platform")
        .map(|v| v.to_str().unwrap_or(""))
    {
        None | Some("android") => Ok(Platform::Android),
        Some("ios") => Ok(Platform::Ios),
        Some(_) => Err(Failure::new(
            StatusCode::BAD_REQUEST,
            "bad_platform",
            "X-FundKit-Platform is android or ios",
        )),
    }
}

fn context(user: &DevUser, headers: &HeaderMap) -> Result<UserContext, Failure> {
    Ok(UserContext {
        country: user.country.into(),
        platform: platform(headers)?,
        age_years: Some(user.age_years),
    })
}

async fn config(State(state): Shared, headers: HeaderMap) -> Result<Response, Failure> {
    state.user(&headers)?;
    Ok(Json(state.options.config.clone()).into_response())
}

async fn create_fundraiser(
    State(state): Shared,
    headers: HeaderMap,
    Body(draft): Body<FundraiserDraft>,
) -> Result<Response, Failure> {
    let user = state.user(&headers)?;
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 128)
        .ok_or_else(|| {
            Failure::new(
                StatusCode::BAD_REQUEST,
                "missing_idempotency_key",
                "send an Idempotency-Key header (1–128 chars)",
            )
        })?
        .to_owned();
    if let Availability::Unavailable { reason } = rollout::availability(
        &state.options.config.rollout,
        &context(user, &headers)?,
        Action::CreateFundraiser,
    ) {
        return Err(Failure::new(
            StatusCode::FORBIDDEN,
            "unavailable",
            format!("creating is not available: {reason:?}"),
        ));
    }
    let draft = rules::normalize_draft(&draft);
    if !draft.country.eq_ignore_ascii_case(user.country) {
        return Err(Failure::new(
            StatusCode::FORBIDDEN,
            "country_mismatch",
            "a fundraiser is created in your own country",
        ));
    }
    let issues = rules::validate_draft(&draft, &state.options.config.limits);
    if !issues.is_empty() {
        return Err(Failure::validation(issues));
    }
    let fp = fingerprint(&[&serde_json::to_string(&draft).map_err(Failure::internal)?]);
    let (config, auto) = (state.options.config.clone(), state.options.auto_approve);
    let now = state.now_ms();
    let (fundraiser, created) = state
        .store
        .create_fundraiser(user, key, fp, draft, config, auto, now)
        .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(shown(&state, fundraiser, user).await?)).into_response())
}

/// A fundraiser as the routes answer it: with the edit waiting for review, for its
/// organiser and reviewers only.
#[derive(Serialize)]
struct Shown {
    #[serde(flatten)]
    fundraiser: fundkit::Fundraiser,
    #[serde(skip_serializing_if = "Option::is_none")]
    pending_edit: Option<PendingEdit>,
}

/// `f` as `viewer` may see it, with its waiting edit if they may see that.
async fn shown(
    state: &AppState,
    f: fundkit::Fundraiser,
    viewer: &DevUser,
) -> Result<Option<Shown>, Failure> {
    let privileged = f.organiser_id == viewer.id || viewer.reviewer;
    let pending_edit = if privileged {
        state.store.pending_edit(f.id.clone()).await?
    } else {
        None
    };
    let f = with_organiser_stats(state, f, viewer).await?;
    Ok(as_seen_by(f, viewer).map(|fundraiser| Shown {
        fundraiser,
        pending_edit,
    }))
}

/// `f` with its organiser's figures when `viewer` organises it (nobody else sees them).
async fn with_organiser_stats(
    state: &AppState,
    mut f: fundkit::Fundraiser,
    viewer: &DevUser,
) -> Result<fundkit::Fundraiser, Failure> {
    if f.organiser_id == viewer.id {
        f.organiser_stats = Some(state.store.organiser_stats(&f).await?);
    }
    Ok(f)
}

/// A fundraiser as `viewer` may see it: its organiser and reviewers see everything (the
/// organiser is told why it was removed); others see active and ended ones, a tombstone of
/// a removed one (so their caches drop it), and nothing of one in review.
fn as_seen_by(mut f: fundkit::Fundraiser, viewer: &DevUser) -> Option<fundkit::Fundraiser> {
    let organiser = f.organiser_id == viewer.id;
    f.viewer_is_organiser = organiser;
    if !organiser {
        f.organiser_stats = None;
    }
    if organiser || viewer.reviewer {
        return Some(f);
    }
    f.removal_reason = None;
    match f.state {
        FundraiserState::Active | FundraiserState::Ended => Some(f),
        FundraiserState::Removed => {
            f.title = String::new();
            f.story = String::new();
            Some(f)
        }
        FundraiserState::Draft | FundraiserState::InReview => None,
    }
}

async fn fundraiser(
    State(state): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, Failure> {
    let viewer = state.user(&headers)?;
    let f = visible_to(&state, viewer, id).await?;
    let f = shown(&state, f, viewer)
        .await?
        .ok_or_else(|| Failure::not_found("fundraiser"))?;
    Ok(Json(f).into_response())
}

/// The fundraiser `id` if `viewer` may see it as a page (its organiser and reviewers
/// always; others while it is active or ended): the same 404 for one that does not exist,
/// one in review and one removed, so that strangers learn nothing of either.
async fn visible_to(
    state: &AppState,
    viewer: &DevUser,
    id: String,
) -> Result<fundkit::Fundraiser, Failure> {
    fundraiser_if(state, id, |f| {
        f.organiser_id == viewer.id
            || viewer.reviewer
            || matches!(f.state, FundraiserState::Active | FundraiserState::Ended)
    })
    .await
}

/// The fundraiser `id` if `user` organises it (404 for anyone else: its existence is not
/// told to strangers when it is in review).
async fn organisers_own(
    state: &AppState,
    user: &'static DevUser,
    id: String,
) -> Result<fundkit::Fundraiser, Failure> {
    fundraiser_if(state, id, |f| f.organiser_id == user.id).await
}

/// The fundraiser `id` if `allowed`, else 404 exactly as for an id that does not exist.
async fn fundraiser_if(
    state: &AppState,
    id: String,
    allowed: impl FnOnce(&fundkit::Fundraiser) -> bool,
) -> Result<fundkit::Fundraiser, Failure> {
    state
        .store
        .fundraiser(id)
        .await?
        .filter(allowed)
        .ok_or_else(|| Failure::not_found("fundraiser"))
}

fn refusal(issues: Vec<fundkit::ValidationIssue>) -> Result<(), Failure> {
    if issues.is_empty() {
        Ok(())
    } else {
        Err(Failure::validation(issues))
    }
}

/// The caller, if they organise fundraiser `id` (404 for anyone else).
async fn organiser_of(
    state: &AppState,
    headers: &HeaderMap,
    id: &str,
) -> Result<&'static DevUser, Failure> {
    let user = state.user(headers)?;
    organisers_own(state, user, id.to_owned()).await?;
    Ok(user)
}

async fn edit_fundraiser(
    State(state): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
    Body(edit): Body<fundkit::FundraiserEdit>,
) -> Result<Response, Failure> {
    let user = organiser_of(&state, &headers, &id).await?;
    let limits = state.options.config.limits.clone();
    let current = organisers_own(&state, user, id.clone()).await?;
    refusal(rules::validate_edit(&current, &edit, &limits))?;
    // New public text of a running fundraiser waits for review; the approved text stays
    // shown meanwhile. (In review, nothing is public yet: it changes at once.)
    let title = edit.title.as_deref().map(|t| t.trim().to_owned());
    let story = edit.story.as_deref().map(|s| s.trim().to_owned());
    let new_text = title.as_ref().is_some_and(|t| *t != current.title)
        || story.as_ref().is_some_and(|s| *s != current.story);
    let mut edit = edit;
    if current.state == FundraiserState::Active && !state.options.auto_approve && new_text {
        let waiting = state
            .store
            .pending_edit(id.clone())
            .await?
            .filter(|p| p.declined_reason.is_none());
        let base = |new: Option<String>, waiting: Option<&String>, approved: &str| {
            new.or_else(|| waiting.cloned())
                .unwrap_or_else(|| approved.to_owned())
        };
        let proposed_title = base(title, waiting.as_ref().map(|p| &p.title), &current.title);
        let proposed_story = base(story, waiting.as_ref().map(|p| &p.story), &current.story);
        state
            .store
            .propose_edit(id.clone(), proposed_title, proposed_story, state.now_ms())
            .await?;
        edit.title = None;
        edit.story = None;
    }
    let f = state
        .store
        .edit(id, edit, state.now_ms(), move |current, edit| {
            refusal(rules::validate_edit(current, edit, &limits))
        })
        .await?;
    Ok(Json(shown(&state, f, user).await?).into_response())
}

async fn extend_fundraiser(
    State(state): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
    Body(request): Body<ExtendRequest>,
) -> Result<Response, Failure> {
    let user = organiser_of(&state, &headers, &id).await?;
    let limits = state.options.config.limits.clone();
    let f = state
        .store
        .extend(id, request.days, state.now_ms(), move |current| {
            let mut issues = rules::validate_organiser_action(current);
            if current.state != FundraiserState::Active && issues.is_empty() {
                issues.push(fundkit::ValidationIssue {
                    field: "state".into(),
                    code: fundkit::IssueCode::NotActive,
                    message: "only a running fundraiser can be extended".into(),
                    args: Vec::new(),
                });
            }
            refusal(issues)?;
            rules::validate_extension(current.duration_days, request.days, &limits)
                .map_err(Failure::validation)
        })
        .await?;
    Ok(Json(shown(&state, f, user).await?).into_response())
}

async fn end_fundraiser(
    State(state): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, Failure> {
    let user = organiser_of(&state, &headers, &id).await?;
    let f = state
        .store
        .end(id, state.now_ms(), |current| {
            refusal(rules::validate_end(current))
        })
        .await?;
    Ok(Json(shown(&state, f, user).await?).into_response())
}

async fn fundraiser_donors(
    State(state): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
    Params(q): Params<ChangesQuery>,
) -> Result<Response, Failure> {
    let user = state.user(&headers)?;
    let (since, limit) = q.parse()?;
    let f = organisers_own(&state, user, id).await?;
    let ((donations, last, has_more), donor_count) =
        state.store.donors(f, user, since, limit).await?;
    Ok(Json(DonorsPage {
        donations,
        next_cursor: format!("c{last}"),
        has_more,
        donor_count,
    })
    .into_response())
}

/// `GET /v1/fundraisers/{id}/gift-aid.csv` (the organiser only: the charity): its
/// confirmed Gift Aid donations, as HMRC's Gift Aid schedule lists them (docs/gift-aid.md).
async fn gift_aid_export(
    State(state): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
    Params(range): Params<ExportRange>,
) -> Result<Response, Failure> {
    let user = state.user(&headers)?;
    let (from, to) = range.parse()?;
    let f = organisers_own(&state, user, id).await?;
    if rules::gift_aid_availability(&f) != fundkit::GiftAidAvailability::Available {
        return Err(Failure::new(
            StatusCode::CONFLICT,
            "gift_aid_not_available",
            "this fundraiser takes no Gift Aid",
        ));
    }
    let mut claims = state.store.gift_aid_claims(f.id.clone()).await?;
    // The claim period: a charity claims what came since its last claim, and no gift twice.
    claims.retain(|c| {
        crate::gift_aid::uk_date(c.received_at_ms)
            .is_some_and(|d| from.is_none_or(|from| d >= from) && to.is_none_or(|to| d <= to))
    });
    let csv = crate::gift_aid::schedule_csv(&claims).map_err(Failure::internal)?;
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/csv; charset=utf-8".to_owned(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"gift-aid-{}.csv\"", f.id),
            ),
            // Personal data: never kept by a cache on the way.
            (axum::http::header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        csv,
    )
        .into_response())
}

fn reviewer(state: &AppState, headers: &HeaderMap) -> Result<&'static DevUser, Failure> {
    let user = state.user(headers)?;
    if user.reviewer {
        Ok(user)
    } else {
        Err(Failure::new(
            StatusCode::FORBIDDEN,
            "not_a_reviewer",
            "only reviewers review fundraisers",
        ))
    }
}

async fn review_queue(State(state): Shared, headers: HeaderMap) -> Result<Response, Failure> {
    reviewer(&state, &headers)?;
    let queue: Vec<Shown> = state
        .store
        .review_queue()
        .await?
        .into_iter()
        .map(|(fundraiser, pending_edit)| Shown {
            fundraiser,
            pending_edit,
        })
        .collect();
    Ok(Json(queue).into_response())
}

async fn review_fundraiser(
    State(state): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
    Body(request): Body<ReviewRequest>,
) -> Result<Response, Failure> {
    let user = reviewer(&state, &headers)?;
    let f = state
        .store
        .fundraiser(id.clone())
        .await?
        .ok_or_else(|| Failure::not_found("fundraiser"))?;
    // Separation of duties: nobody reviews their own fundraiser.
    if f.organiser_id == user.id {
        return Err(Failure::new(
            StatusCode::FORBIDDEN,
            "own_fundraiser",
            "a reviewer does not review their own fundraiser",
        ));
    }
    let reason = match request.decision {
        ReviewDecision::Approve => None,
        // The reason is shown to the organiser: required, plain text, with the same rules
        // as every other text (no control or bidirectional characters, no card number).
        ReviewDecision::Remove | ReviewDecision::DeclineEdit => {
            let reason = request.reason.unwrap_or_default();
            refusal(rules::validate_review_reason(&reason))?;
            Some(reason.trim().to_owned())
        }
    };
    // A reviewer who checked the charity's registration records it (Gift Aid then applies)
    // as they approve, in the same transaction: never with a removal or a declined edit,
    // and never left behind by an approval that was refused.
    let charity = match &request.charity {
        None => None,
        Some(_) if request.decision != ReviewDecision::Approve => {
            return Err(Failure::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "charity_needs_approve",
                "a charity is recorded only with an approve decision",
            ));
        }
        Some(charity) => {
            let charity = rules::normalize_charity(charity);
            refusal(rules::validate_charity(&charity, &f.kind, &f.country))?;
            Some(charity)
        }
    };
    let f = state
        .store
        .review(id, request.decision, reason, charity, state.now_ms())
        .await?;
    Ok(Json(shown(&state, f, user).await?).into_response())
}

/// The Gift Aid export's claim period: UK dates (`YYYY-MM-DD`), both ends included, each
/// optional.
#[derive(Deserialize)]
struct ExportRange {
    from: Option<String>,
    to: Option<String>,
}

impl ExportRange {
    fn parse(&self) -> Result<(Option<NaiveDate>, Option<NaiveDate>), Failure> {
        let day = |v: &Option<String>| -> Result<Option<NaiveDate>, Failure> {
            v.as_deref()
                .map(|t| {
                    NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d").map_err(|_| {
                        Failure::new(
                            StatusCode::BAD_REQUEST,
                            "bad_date",
                            "from and to are dates, YYYY-MM-DD",
                        )
                    })
                })
                .transpose()
        };
        let (from, to) = (day(&self.from)?, day(&self.to)?);
        if let (Some(f), Some(t)) = (from, to) {
            if f > t {
                return Err(Failure::new(
                    StatusCode::BAD_REQUEST,
                    "bad_date",
                    "from is after to",
                ));
            }
        }
        Ok((from, to))
    }
}

#[derive(Deserialize)]
struct ChangesQuery {
    since: Option<String>,
    limit: Option<String>,
}

impl ChangesQuery {
    /// (position after which to read, page size), or a 400 for a cursor or limit this
    /// server did not give.
    fn parse(&self) -> Result<(i64, u32), Failure> {
        let since = match self.since.as_deref().map(str::trim) {
            None | Some("") => 0,
            Some(c) => c
                .strip_prefix('c')
                .and_then(|n| n.parse::<i64>().ok())
                .filter(|n| *n >= 0)
                .ok_or_else(|| {
                    Failure::new(
                        StatusCode::BAD_REQUEST,
                        "bad_cursor",
                        "the cursor is not one this server gave",
                    )
                })?,
        };
        let limit = match self.limit.as_deref() {
            None => 100,
            Some(l) => l
                .parse::<u32>()
                .ok()
                .filter(|l| (1..=MAX_CHANGES_PAGE).contains(l))
                .ok_or_else(|| {
                    Failure::new(
                        StatusCode::BAD_REQUEST,
                        "bad_limit",
                        format!("limit must be 1..={MAX_CHANGES_PAGE}"),
                    )
                })?,
        };
        Ok((since, limit))
    }
}

async fn changes(
    State(state): Shared,
    headers: HeaderMap,
    Params(q): Params<ChangesQuery>,
) -> Result<Response, Failure> {
    let viewer = state.user(&headers)?;
    let (since, limit) = q.parse()?;
    let (fundraisers, last, has_more) = state.store.changes(since, limit).await?;
    // Rows a viewer may not see are left out; the cursor still moves past them. The
    // viewer's own come with their figures (a few per page at most: one running each).
    let mut seen = Vec::with_capacity(fundraisers.len());
    for f in fundraisers {
        let f = with_organiser_stats(&state, f, viewer).await?;
        seen.extend(as_seen_by(f, viewer));
    }
    let fundraisers = seen;
    Ok(Json(ChangesPage {
        fundraisers,
        next_cursor: format!("c{last}"),
        has_more,
    })
    .into_response())
}

async fn my_donation_changes(
    State(state): Shared,
    headers: HeaderMap,
    Params(q): Params<ChangesQuery>,
) -> Result<Response, Failure> {
    let user = state.user(&headers)?;
    let (since, limit) = q.parse()?;
    let (donations, last, has_more) = state.store.own_changes(user, since, limit).await?;
    Ok(Json(OwnDonationsPage {
        donations,
        next_cursor: format!("c{last}"),
        has_more,
    })
    .into_response())
}

async fn fundraiser_donations(
    State(state): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, Failure> {
    let viewer = state.user(&headers)?;
    let f = visible_to(&state, viewer, id).await?;
    let entries = state.store.public_donations(f, viewer).await?;
    Ok(Json(entries).into_response())
}

async fn my_donations(State(state): Shared, headers: HeaderMap) -> Result<Response, Failure> {
    let user = state.user(&headers)?;
    Ok(Json(state.store.own_donations(user).await?).into_response())
}

async fn donation_batch(
    State(state): Shared,
    headers: HeaderMap,
    Body(batch): Body<DonationBatch>,
) -> Result<Response, Failure> {
    let donor = state.user(&headers)?;
    let n = batch.donations.len();
    if n == 0 {
        return Err(Failure::new(
            StatusCode::BAD_REQUEST,
            "empty_batch",
            "a batch carries at least one donation",
        ));
    }
    if n > MAX_BATCH {
        return Err(Failure::new(
            StatusCode::BAD_REQUEST,
            "batch_too_large",
            format!("a batch carries at most {MAX_BATCH} donations"),
        ));
    }
    state
        .counters
        .batch_requests
        .fetch_add(1, Ordering::Relaxed);
    state
        .counters
        .donation_items_received
        .fetch_add(n as u64, Ordering::Relaxed);
    // Each item's id in its canonical spelling (every spelling names one donation), its
    // text normalized as the core normalizes it on a device (a currency of " eur " is
    // EUR), and its fingerprint. An id that is not a UUID is answered here and stored
    // nowhere: there is no donation it could name.
    let mut answered: Vec<Option<ItemResult>> = Vec::with_capacity(n);
    let mut items: Vec<(DonationItem, String)> = Vec::with_capacity(n);
    for item in batch.donations {
        let Some(id) = rules::canonical_donation_id(&item.id) else {
            answered.push(Some(ItemResult {
                id: echo(&item.id),
                outcome: ItemOutcome::Rejected,
                duplicate: false,
                code: Some("invalid_id".into()),
                action_url: None,
                received_at_ms: Some(state.now_ms()),
            }));
            continue;
        };
        let request = rules::normalize_donation(&item.as_request());
        let item = DonationItem {
            id,
            fundraiser_id: request.fundraiser_id,
            amount: request.amount,
            message: request.message,
            visibility: request.visibility,
            hide_amount: request.hide_amount,
            payment_token: request.payment_token,
            donor_pays: item.donor_pays,
            cover_fee: request.cover_fee,
            gift_aid: request.gift_aid,
            source: request.source,
        };
        // What the donor agreed to is part of the donation: the same id with another fee
        // choice, price, declaration or source is another donation (a conflict).
        let terms = serde_json::to_string(&(
            &item.donor_pays,
            item.cover_fee,
            &item.gift_aid,
            item.source,
        ))
        .map_err(Failure::internal)?;
        let fp = fingerprint(&[
            &item.fundraiser_id,
            &item.amount.minor_units.to_string(),
            &item.amount.currency,
            item.message.as_deref().unwrap_or("\u{0}none"),
            &format!("{:?}/{}", item.visibility, item.hide_amount),
            &item.payment_token,
            &terms,
        ]);
        answered.push(None);
        items.push((item, fp));
    }
    let config = state.options.config.clone();
    let donor_ctx = context(donor, &headers)?;
    let bank = state.bank_page();
    let items = Arc::new(items);
    let now = state.now_ms();
    // 1. Record: answers already given, refusals, and an attempt for each item to charge.
    let recorded = if items.is_empty() {
        Vec::new()
    } else {
        let items = Arc::clone(&items);
        state
            .store
            .record_batch(
                donor,
                items,
                now,
                Box::new(move |item, fundraiser| {
                    price_for(item, fundraiser, &config, &donor_ctx, now)
                }),
            )
            .await?
    };
    state.crash_point(PaymentStep::Recorded);
    // 2. Charge, outside any transaction, with the donation id as the idempotency key.
    let to_charge: Vec<ChargeRequest> = recorded
        .iter()
        .zip(items.iter())
        .filter(|(slot, _)| matches!(slot, Recorded::ToCharge))
        .map(|(_, (item, _))| ChargeRequest {
            key: item.id.clone(),
            token: item.payment_token.clone(),
            fundraiser_id: item.fundraiser_id.clone(),
            // What the donor agreed to pay, which `price_for` found equal to the server's
            // own quote (an item whose price differs was refused, `fee_changed`).
            amount_minor: donor_pays(item),
            currency: item.amount.currency.clone(),
            covered_fee_minor: if item.cover_fee {
                donor_pays(item) - item.amount.minor_units
            } else {
                0
            },
        })
        .collect();
    let ids: Vec<String> = to_charge.iter().map(|r| r.key.clone()).collect();
    let now = state.now_ms();
    let charges = if to_charge.is_empty() {
        Vec::new()
    } else {
        state.store.psp_charge(to_charge, now).await?
    };
    let charged: Vec<(String, Charge)> = ids.into_iter().zip(charges).collect();
    state.crash_point(PaymentStep::Charged);
    // 3. Settle what was charged, in one transaction.
    let now = state.now_ms();
    let mut settled = if charged.is_empty() {
        Vec::new()
    } else {
        state.store.settle(donor, charged, now, bank).await?
    }
    .into_iter();
    let mut recorded = recorded.into_iter();
    let mut results = Vec::with_capacity(n);
    for slot in answered {
        results.push(match slot {
            Some(result) => result,
            None => match recorded.next() {
                Some(Recorded::Answered(result)) => result,
                Some(Recorded::ToCharge) => settled
                    .next()
                    .ok_or_else(|| Failure::internal("a charged donation was not settled"))?,
                None => return Err(Failure::internal("a recorded donation is missing")),
            },
        });
    }
    let accepted = results
        .iter()
        .filter(|r| r.outcome == ItemOutcome::Accepted && !r.duplicate)
        .count() as u64;
    let duplicates = results.iter().filter(|r| r.duplicate).count() as u64;
    state
        .counters
        .accepted
        .fetch_add(accepted, Ordering::Relaxed);
    state
        .counters
        .duplicates
        .fetch_add(duplicates, Ordering::Relaxed);
    Ok(Json(BatchResult { results }).into_response())
}

async fn reconcile(
    State(state): Shared,
    headers: HeaderMap,
    Body(request): Body<ReconcileRequest>,
) -> Result<Response, Failure> {
    let donor = state.user(&headers)?;
    if request.ids.is_empty() || request.ids.len() > MAX_BATCH {
        return Err(Failure::new(
            StatusCode::BAD_REQUEST,
            "bad_batch_size",
            format!("reconcile 1 to {MAX_BATCH} ids at a time"),
        ));
    }
    let mut ids = Vec::with_capacity(request.ids.len());
    for id in &request.ids {
        match rules::canonical_donation_id(id) {
            Some(id) => ids.push(id),
            None => {
                return Err(Failure::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_id",
                    format!("not a donation id: {}", echo(id)),
                ))
            }
        }
    }
    let bank = state.bank_page();
    let now = state.now_ms();
    let results = state.store.reconcile(donor, ids, now, bank).await?;
    Ok(Json(BatchResult { results }).into_response())
}

/// The simulated bank page the donor's `action_url` points to. Not behind the app's bearer
/// token (the donor's browser opens it); the 128-bit challenge in the path is the secret.
async fn bank_step(
    State(state): Shared,
    Path(challenge): Path<String>,
    Body(request): Body<BankStepRequest>,
) -> Result<Response, Failure> {
    if challenge.len() != 32 || !challenge.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Failure::not_found("bank step"));
    }
    let complete = request.result == BankStep::Complete;
    let now = state.now_ms();
    let outcome = state.store.bank_step(challenge, complete, now).await?;
    Ok(Json(serde_json::json!({ "outcome": outcome })).into_response())
}

/// A validation issue as an item's refusal code: its wire name (`below_minimum`,
/// `invalid_postcode`...).
fn refusal_code(issue: &fundkit::ValidationIssue) -> String {
    serde_json::to_value(issue.code)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "invalid_donation".into())
}

/// What the donor agreed to pay for `item`: the amount, if an older app did not say.
fn donor_pays(item: &DonationItem) -> i64 {
    item.donor_pays
        .as_ref()
        .map_or(item.amount.minor_units, |m| m.minor_units)
}

/// The price of a new donation by the server's own fee model, or why the server refuses
/// it before any payment step.
fn price_for(
    item: &DonationItem,
    fundraiser: Option<&fundkit::Fundraiser>,
    config: &fundkit::wire::ServerConfig,
    donor: &UserContext,
    now_ms: i64,
) -> Result<Priced, String> {
    if let Some(refused) = refusal_for(item, fundraiser, config, donor, now_ms) {
        return Err(refused);
    }
    let fundraiser = fundraiser.ok_or("fundraiser_not_found")?;
    let request = item.as_request();
    let quote = rules::quote_donation(&request, fundraiser, &config.fees).map_err(|issues| {
        issues
            .first()
            .map_or("invalid_donation".into(), refusal_code)
    })?;
    // The donor is charged what they were shown, or nothing: a price that differs from the
    // server's quote (the fees changed after the device's quote, or a client that made up
    // its own) is refused, and the donor can donate again at the new price.
    let agreed = item.donor_pays.as_ref();
    if agreed.is_some_and(|m| m.currency != quote.donor_pays.currency)
        || donor_pays(item) != quote.donor_pays.minor_units
    {
        return Err("fee_changed".into());
    }
    Ok(Priced {
        donor_pays_minor: quote.donor_pays.minor_units,
        fee_minor: quote.fees.minor_units,
        charity: fundraiser.charity.clone(),
    })
}

/// Why the server refuses a new donation before any payment step, if it does.
fn refusal_for(
    item: &DonationItem,
    fundraiser: Option<&fundkit::Fundraiser>,
    config: &fundkit::wire::ServerConfig,
    donor: &UserContext,
    now_ms: i64,
) -> Option<String> {
    // One in review is not public: to a donation it does not exist yet (an answer of its
    // own would tell strangers that the id is real).
    let Some(fundraiser) = fundraiser.filter(|f| f.state != FundraiserState::InReview) else {
        return Some("fundraiser_not_found".into());
    };
    // Ended (by its organiser, or its time is up even if the sweeper has not run yet):
    // its own code, so the donor is told the fundraiser ended, not that something failed.
    if let Some(issue) = rules::fundraiser_accepts_donations(fundraiser, now_ms) {
        return Some(if issue.code == fundkit::IssueCode::Ended {
            "fundraiser_ended".into()
        } else {
            "fundraiser_not_active".into()
        });
    }
    if let Availability::Unavailable { .. } =
        rollout::availability(&config.rollout, donor, Action::Donate)
    {
        return Some("unavailable".into());
    }
    let request = item.as_request();
    rules::validate_donation(&request, &fundraiser.goal.currency, &config.limits)
        .first()
        .map(refusal_code)
}
