//! `FundkitClient`: the one object the apps hold, and the whole FFI surface of the device
//! side. Every method validates its input and returns a typed `FundkitError`; nothing
//! here panics on input (docs/design.md §3, invariant 6).
//!
//! Threading: blocking methods (SQLite) may be called from any thread; the Kotlin layer
//! calls them on `Dispatchers.IO`. Async methods (network) run on the client's own small
//! tokio runtime, so they work whatever executor the host awaits them from.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::clock::{Clock, SystemClock};
use crate::error::FundkitError;
use crate::fees::{FeeModel, FeeQuote};
use crate::links::{self, LinkProblem, LinkTarget, ShareLinks};
use crate::model::{
    Donation, DonationRequest, DonationSource, Fundraiser, FundraiserDraft, FundraiserEdit,
    FundraiserView, OrganiserDonations,
};
use crate::money::{self, Money};
use crate::queue::{self, state::Event};
use crate::rollout::{self, Action, Availability, UserContext};
use crate::rules::{self, GiftAidAvailability, Limits, ValidationIssue};
use crate::shared::{FundkitListener, Shared, CONFIG_KEY};
use crate::status::{SyncReport, SyncState};
use crate::store::{Enqueued, OwnerLock, Store};
use crate::sync::{self, AuthProvider, Engine, HttpTransport};
use crate::wire::{LinkConfig, ServerConfig};

/// How the app configures its client.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct ClientConfig {
    /// Path of the SQLite file (in the app's private files directory).
    pub database_path: String,
    /// Base URL of the fundraising API: https, or http to a loopback host in development.
    pub server_url: String,
    /// The signed-in user's country, platform and age, for rollout decisions.
    pub user: UserContext,
    /// BCP 47 locale for parsing and formatting amounts (`en-US`, `en-GB`, `en-IE`).
    pub locale: String,
    /// The network state when the client starts; the host updates it with `set_online`.
    pub online: bool,
    /// Run passes in the background (network back, backoff timer, new donation).
    /// Tests turn it off to drive every pass with `sync_now`.
    pub background_sync: bool,
}

/// What a donation costs and adds, for the screen before Confirm (`quote_donation`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct DonationQuote {
    pub fees: FeeQuote,
    /// Whether this fundraiser takes Gift Aid (the app shows the declaration only then).
    pub gift_aid: GiftAidAvailability,
    /// What Gift Aid would add to the donation (25%, rounded down), when it is available.
    pub gift_aid_amount: Option<Money>,
}

/// A link opened: where it leads, and the fundraiser as the server just sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct OpenedLink {
    pub target: LinkTarget,
    pub fundraiser: FundraiserView,
}

/// A fresh donation id (UUIDv7), to make when the donation sheet opens and pass in
/// `DonationRequest.id`: a double tap on Confirm then makes one donation, not two.
#[cfg_attr(feature = "ffi", uniffi::export)]
pub fn new_donation_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// The FundKit client: the offline donation queue, the local fundraiser cache, and sync.
#[cfg_attr(feature = "ffi", derive(uniffi::Object))]
pub struct FundkitClient {
    shared: Arc<Shared>,
    engine: Arc<Engine>,
    runtime: Option<tokio::runtime::Runtime>,
    /// The API's host: where share links point when the server's config names no link
    /// host (an older server).
    api_host: String,
    /// This client owns its database file for its whole life (`store::OwnerLock`);
    /// released when the client is dropped, after its runtime was told to stop.
    _owner: OwnerLock,
}

impl Drop for FundkitClient {
    fn drop(&mut self) {
        // Never block (the last reference may drop on a UI thread or inside async code).
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

impl FundkitClient {
    fn runtime(&self) -> Result<&tokio::runtime::Runtime, FundkitError> {
        self.runtime.as_ref().ok_or_else(|| FundkitError::Internal {
            detail: "client is shut down".into(),
        })
    }

    /// Runs `fut` on the client's runtime and awaits it from any executor.
    async fn on_runtime<T: Send + 'static>(
        &self,
        fut: impl std::future::Future<Output = Result<T, FundkitError>> + Send + 'static,
    ) -> Result<T, FundkitError> {
        self.runtime()?
            .spawn(fut)
            .await
            .map_err(|e| FundkitError::Internal {
                detail: format!("background task failed: {e}"),
            })?
    }
}

#[cfg_attr(feature = "ffi", uniffi::export)]
impl FundkitClient {
    /// Opens (or creates) the local database, recovers from any crash (donations caught
    /// mid-send go back in line), expires what is due, and starts a pass if online.
    /// One client owns a database file for its whole life: while one is open on
    /// `database_path` (in this process or another), opening a second fails with
    /// `DatabaseInUse`.
    ///
    /// Talks to the server through the built-in reqwest transport, which only builds with
    /// the `reqwest-transport` feature (the CLI, the tests, a desktop JVM). The libraries
    /// Android and iOS ship have none: there this fails with `Configuration`, and the app
    /// opens with `with_transport` and its own HTTP stack.
    #[cfg_attr(feature = "ffi", uniffi::constructor)]
    pub fn new(
        config: ClientConfig,
        auth: Arc<dyn AuthProvider>,
    ) -> Result<Arc<FundkitClient>, FundkitError> {
        Self::with_clock(config, auth, Arc::new(SystemClock))
    }

    /// Like `new`, with the host's clock (tests move time forward with it).
    #[cfg_attr(feature = "ffi", uniffi::constructor)]
    pub fn with_clock(
        config: ClientConfig,
        auth: Arc<dyn AuthProvider>,
        clock: Arc<dyn Clock>,
    ) -> Result<Arc<FundkitClient>, FundkitError> {
        Self::open(config, auth, clock, built_in_transport()?)
    }

    /// Like `new`, with the app's transport (OkHttp, URLSession): the bytes go through
    /// it, and everything else (retries, `Retry-After`, what an answer means, never
    /// following a redirect) stays in FundKit.
    #[cfg_attr(feature = "ffi", uniffi::constructor)]
    pub fn with_transport(
        config: ClientConfig,
        auth: Arc<dyn AuthProvider>,
        transport: Arc<dyn HttpTransport>,
    ) -> Result<Arc<FundkitClient>, FundkitError> {
        Self::open(config, auth, Arc::new(SystemClock), transport)
    }

    /// Like `with_transport`, with the host's clock.
    #[cfg_attr(feature = "ffi", uniffi::constructor)]
    pub fn with_transport_and_clock(
        config: ClientConfig,
        auth: Arc<dyn AuthProvider>,
        transport: Arc<dyn HttpTransport>,
        clock: Arc<dyn Clock>,
    ) -> Result<Arc<FundkitClient>, FundkitError> {
        Self::open(config, auth, clock, transport)
    }
}

/// The transport `new` uses: reqwest where the build has it.
fn built_in_transport() -> Result<Arc<dyn HttpTransport>, FundkitError> {
    #[cfg(feature = "reqwest-transport")]
    {
        let transport =
            crate::sync::ReqwestTransport::new().map_err(|e| FundkitError::Configuration {
                detail: e.to_string(),
            })?;
        Ok(Arc::new(transport))
    }
    #[cfg(not(feature = "reqwest-transport"))]
    {
        Err(FundkitError::Configuration {
            detail: "this build of FundKit has no built-in HTTP transport; open the client \
                     with with_transport and the app's own"
                .into(),
        })
    }
}

impl FundkitClient {
    fn open(
        config: ClientConfig,
        auth: Arc<dyn AuthProvider>,
        clock: Arc<dyn Clock>,
        transport: Arc<dyn HttpTransport>,
    ) -> Result<Arc<FundkitClient>, FundkitError> {
        // Any BCP 47 tag works (unknown ones fall back to en-US conventions): a phone set to
        // a language FundKit has not met must still open the app.
        let locale = config.locale.trim().to_owned();
        if config.database_path.trim().is_empty() {
            return Err(FundkitError::Configuration {
                detail: "database_path is empty".into(),
            });
        }
        let engine = Arc::new(Engine::new(
            &config.server_url,
            auth,
            config.user.platform,
            transport,
        )?);
        let path = PathBuf::from(&config.database_path);
        // One owner per file, taken before the file is touched: a second client would
        // requeue this one's batch in flight (docs/queue.md, "One owner per file").
        let owner = OwnerLock::acquire(&path)?;
        let store = Store::open(&path)?;
        let cached_config = store
            .meta(CONFIG_KEY)?
            .and_then(|json| serde_json::from_str::<ServerConfig>(&json).ok())
            .unwrap_or_else(|| ServerConfig {
                rollout: Default::default(),
                limits: Default::default(),
                fees: FeeModel::launch(),
                links: None,
            });
        let shared = Shared::start(
            store,
            clock,
            config.user,
            locale,
            config.online,
            cached_config,
        )?;
        let recovered = shared
            .store
            .requeue_all_sending("recovered_after_restart", shared.now_ms())?;
        if !recovered.is_empty() {
            tracing::info!(
                count = recovered.len(),
                "donations caught mid-send requeued"
            );
        }
        shared.expire_due()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("fundkit-sync")
            .enable_all()
            .build()
            .map_err(|e| FundkitError::Internal {
                detail: format!("runtime: {e}"),
            })?;
        if config.background_sync {
            runtime.spawn(sync::worker(Arc::clone(&shared), Arc::clone(&engine)));
            if config.online {
                shared.trigger_sync();
            }
        }
        let api_host = url::Url::parse(&config.server_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default();
        Ok(Arc::new(FundkitClient {
            shared,
            engine,
            runtime: Some(runtime),
            api_host,
            _owner: owner,
        }))
    }
}

#[cfg_attr(feature = "ffi", uniffi::export)]
impl FundkitClient {
    // ---- rules and rollout, with the server's latest config ----

    /// Is `action` open to the signed-in user?
    pub fn availability(&self, action: Action) -> Availability {
        rollout::availability(&self.shared.config().rollout, &self.shared.user, action)
    }

    /// The limits in force (the server's, or the launch defaults before it answered).
    pub fn limits(&self) -> Limits {
        self.shared.config().limits.clone()
    }

    pub fn server_config(&self) -> ServerConfig {
        ServerConfig::clone(&self.shared.config())
    }

    /// Every issue of a draft, for a form to mark all its fields at once.
    pub fn validate_draft(&self, draft: FundraiserDraft) -> Vec<ValidationIssue> {
        rules::validate_draft(&draft, &self.limits())
    }

    /// Every issue of a donation, against the cached fundraiser's currency.
    pub fn validate_donation(
        &self,
        request: DonationRequest,
    ) -> Result<Vec<ValidationIssue>, FundkitError> {
        let fundraiser = self.cached_fundraiser(&request.fundraiser_id)?;
        Ok(rules::validate_donation(
            &request,
            &fundraiser.goal.currency,
            &self.limits(),
        ))
    }

    /// Parses what the donor typed, in the client's locale.
    pub fn parse_amount(&self, input: String, currency: String) -> Result<Money, FundkitError> {
        Ok(money::parse(&input, &currency, &self.shared.locale)?)
    }

    /// Formats money in the client's locale.
    pub fn format_amount(&self, money: Money) -> Result<String, FundkitError> {
        Ok(money::format(&money, &self.shared.locale)?)
    }

    // ---- the offline queue ----

    /// Queues a donation. Returns only once it is committed to disk; it will reach the
    /// server exactly once in effect, or end in a state that says why. With `request.id`
    /// set (made when the donation sheet opened), a repeated call returns the donation the
    /// first call made and queues nothing new.
    pub fn donate(&self, request: DonationRequest) -> Result<Donation, FundkitError> {
        let shared = &self.shared;
        let id = match request.id.as_deref().map(str::trim) {
            None => uuid::Uuid::now_v7().to_string(),
            Some(given) => {
                let id = rules::canonical_donation_id(given).ok_or_else(|| invalid_id("id"))?;
                // A double tap after the first donation left the queue is still the same
                // donation: answer with it before any check that could now refuse it.
                if let Some(existing) = shared.store.donation(&id)? {
                    return self.same_donation(existing, &request);
                }
                id
            }
        };
        if let Availability::Unavailable { reason } = self.availability(Action::Donate) {
            return Err(FundkitError::Unavailable { reason });
        }
        let request = rules::normalize_donation(&request);
        let fundraiser = self.cached_fundraiser(&request.fundraiser_id)?;
        let limits = self.limits();
        let mut issues = rules::validate_donation(&request, &fundraiser.goal.currency, &limits);
        issues.extend(rules::fundraiser_accepts_donations(
            &fundraiser,
            shared.now_ms(),
        ));
        let quote = rules::quote_donation(&request, &fundraiser, &shared.config().fees)
            .map_err(|more| issues.extend(more))
            .ok();
        let Some(quote) = quote.filter(|_| issues.is_empty()) else {
            return Err(FundkitError::Validation { issues });
        };
        // Donations whose window has passed no longer count towards the caps.
        shared.expire_due()?;
        let offline = !shared.is_online();
        // The caps hold what the donor's payment method is charged, fees included.
        let enqueued = shared.store.enqueue(
            &id,
            &request,
            &quote.donor_pays,
            shared.now_ms(),
            |pending| queue::check_caps(&quote.donor_pays, pending, &limits, offline),
        )?;
        let donation = match enqueued {
            Enqueued::Existing(existing) => return Ok(existing),
            Enqueued::New(donation) => donation,
        };
        tracing::info!(id = %donation.id, seq = donation.seq, offline, "donation queued");
        shared.notify_donations(std::slice::from_ref(&donation));
        if !offline {
            shared.trigger_sync();
        }
        Ok(donation)
    }

    /// What a donation would cost, before the donor confirms it (docs/fees.md): the
    /// amount, the fees, what the donor pays and what the organiser receives, and the Gift
    /// Aid it adds (docs/gift-aid.md). The same rules `donate` applies: a request this
    /// refuses, `donate` refuses too.
    pub fn quote_donation(&self, request: DonationRequest) -> Result<DonationQuote, FundkitError> {
        let request = rules::normalize_donation(&request);
        let fundraiser = self.cached_fundraiser(&request.fundraiser_id)?;
        let mut issues =
            rules::validate_donation(&request, &fundraiser.goal.currency, &self.limits());
        issues.retain(|i| i.field != "payment_token");
        let fees = rules::quote_donation(&request, &fundraiser, &self.shared.config().fees)
            .map_err(|more| issues.extend(more))
            .ok();
        let Some(fees) = fees.filter(|_| issues.is_empty()) else {
            return Err(FundkitError::Validation { issues });
        };
        let gift_aid = rules::gift_aid_availability(&fundraiser);
        Ok(DonationQuote {
            gift_aid_amount: (gift_aid == GiftAidAvailability::Available)
                .then(|| rules::gift_aid_on(&request.amount)),
            gift_aid,
            fees,
        })
    }

    /// Can donations to this (cached) fundraiser carry Gift Aid, and if not why not.
    pub fn gift_aid_availability(
        &self,
        fundraiser_id: String,
    ) -> Result<GiftAidAvailability, FundkitError> {
        Ok(rules::gift_aid_availability(
            &self.cached_fundraiser(fundraiser_id.trim())?,
        ))
    }

    // ---- share links ----

    /// The links that share fundraiser `id` from `source` (docs/links.md).
    pub fn share_links(
        &self,
        fundraiser_id: String,
        source: DonationSource,
    ) -> Result<ShareLinks, FundkitError> {
        links::share_links(&self.link_config(), &fundraiser_id, source)
            .map_err(|problem| FundkitError::Link { problem })
    }

    /// What `link` opens, from its shape alone (no network): the fundraiser and where it
    /// was shared, or why it opens nothing.
    pub fn parse_link(&self, link: String) -> Result<LinkTarget, FundkitError> {
        links::parse_link(&self.link_config(), &link)
            .map_err(|problem| FundkitError::Link { problem })
    }

    /// Opens a link: its shape (`parse_link`), then the fundraiser from the server (a
    /// fundraiser the server does not show this user is `Link { NotVisible }`, whatever
    /// the reason). A donation made from it passes `target.source` in its request.
    pub async fn open_link(&self, link: String) -> Result<OpenedLink, FundkitError> {
        let target = self.parse_link(link)?;
        match self.refresh_fundraiser(target.fundraiser_id.clone()).await {
            Ok(fundraiser) => Ok(OpenedLink { target, fundraiser }),
            // The server answers one 404 for in review, removed and unknown alike.
            Err(FundkitError::NotFound { .. } | FundkitError::Server { status: 404, .. }) => {
                Err(FundkitError::Link {
                    problem: LinkProblem::NotVisible,
                })
            }
            Err(e) => Err(e),
        }
    }

    /// Cancels a donation that has not been sent yet.
    pub fn cancel_donation(&self, id: String) -> Result<Donation, FundkitError> {
        let donation = self.shared.store.apply(
            &id,
            &Event::Cancel,
            "cancelled_by_donor",
            self.shared.now_ms(),
        )?;
        self.shared
            .notify_donations(std::slice::from_ref(&donation));
        Ok(donation)
    }

    pub fn donation(&self, id: String) -> Result<Option<Donation>, FundkitError> {
        Ok(self.shared.store.donation(&id)?)
    }

    /// Donations not yet answered by the server (queued or sending), newest first.
    pub fn pending_donations(&self) -> Result<Vec<Donation>, FundkitError> {
        self.shared.expire_due()?;
        Ok(self.shared.store.pending()?)
    }

    /// Donations that left the queue, newest first. Pass the last `seq` of a page as
    /// `before_seq` to get the next one.
    pub fn past_donations(
        &self,
        before_seq: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Donation>, FundkitError> {
        self.shared.expire_due()?;
        Ok(self.shared.store.past(before_seq, limit.clamp(1, 500))?)
    }

    // ---- fundraisers (local cache, fed by sync) ----

    /// One cached fundraiser, with the donor's pending donations added and flagged.
    pub fn fundraiser(&self, id: String) -> Result<Option<FundraiserView>, FundkitError> {
        Ok(self.shared.store.fundraiser_view(&id)?)
    }

    /// A page of cached fundraisers, most recently updated first.
    pub fn fundraisers(
        &self,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<FundraiserView>, FundkitError> {
        Ok(self
            .shared
            .store
            .fundraiser_views(limit.clamp(1, 1000), offset)?)
    }

    // ---- the organiser's side (local cache, fed by sync) ----

    /// The fundraisers the signed-in user organises (in review, running, ended, removed
    /// with the reason), most recently updated first.
    pub fn my_fundraisers(&self) -> Result<Vec<FundraiserView>, FundkitError> {
        let ids = self.shared.store.own_fundraiser_ids()?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.extend(self.shared.store.fundraiser_view(&id)?);
        }
        Ok(out)
    }

    /// A page of the donations a fundraiser received, newest first, with its totals: what
    /// the organiser's dashboard shows, offline too.
    pub fn organiser_donations(
        &self,
        fundraiser_id: String,
        limit: u32,
        offset: u32,
    ) -> Result<OrganiserDonations, FundkitError> {
        let store = &self.shared.store;
        let view = store
            .fundraiser_view(&fundraiser_id)?
            .filter(|v| v.fundraiser.viewer_is_organiser)
            .ok_or_else(|| FundkitError::NotFound {
                what: format!("your fundraiser {fundraiser_id}"),
            })?;
        let donor_count = store
            .meta(&format!("donor_count:{fundraiser_id}"))?
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        Ok(OrganiserDonations {
            donations: store.received(&fundraiser_id, limit.clamp(1, 500), offset)?,
            total: view.fundraiser.confirmed_total.clone(),
            donation_count: view.fundraiser.donation_count,
            donor_count,
            fetched_at_ms: view.fetched_at_ms,
        })
    }

    // ---- listener, network state, sync ----

    pub fn set_listener(&self, listener: Option<Arc<dyn FundkitListener>>) {
        self.shared.set_listener(listener);
    }

    /// The host's view of the network. Coming back online starts a pass.
    pub fn set_online(&self, online: bool) {
        let was = self.shared.online.swap(online, Ordering::SeqCst);
        if online && !was {
            self.shared.trigger_sync();
        }
        if online != was {
            self.shared.notify_sync_state();
        }
    }

    pub fn sync_state(&self) -> SyncState {
        self.shared.sync_state()
    }

    /// Deletes every local row (queue, cache, cursor) and rebuilds the file so nothing
    /// stays readable: for sign-out and privacy requests.
    pub fn wipe_local_data(&self) -> Result<(), FundkitError> {
        self.shared.store.wipe()?;
        tracing::info!("local data wiped");
        Ok(())
    }
}

#[cfg_attr(feature = "ffi", uniffi::export)]
impl FundkitClient {
    /// Runs a sync pass now (waiting for one already running) and reports what it did.
    pub async fn sync_now(&self) -> Result<SyncReport, FundkitError> {
        let (shared, engine) = (Arc::clone(&self.shared), Arc::clone(&self.engine));
        self.on_runtime(async move { sync::run_pass(&shared, &engine).await })
            .await
    }

    /// Creates a fundraiser on the server (needs the network). Validated here first, and
    /// again by the server. Retries transient failures with the same idempotency key, so a
    /// lost answer never creates two.
    pub async fn create_fundraiser(
        &self,
        draft: FundraiserDraft,
    ) -> Result<FundraiserView, FundkitError> {
        if let Availability::Unavailable { reason } = self.availability(Action::CreateFundraiser) {
            return Err(FundkitError::Unavailable { reason });
        }
        let draft = rules::normalize_draft(&draft);
        let issues = rules::validate_draft(&draft, &self.limits());
        if !issues.is_empty() {
            return Err(FundkitError::Validation { issues });
        }
        let (shared, engine) = (Arc::clone(&self.shared), Arc::clone(&self.engine));
        self.on_runtime(async move {
            let created = sync::api::create_fundraiser(&engine, &draft).await?;
            cache_and_view(&shared, created)
        })
        .await
    }

    /// The organiser edits a fundraiser (title, story, category, goal). Checked here first
    /// with the same rules as the server (every issue by field), then sent.
    pub async fn edit_fundraiser(
        &self,
        id: String,
        edit: FundraiserEdit,
    ) -> Result<FundraiserView, FundkitError> {
        url_segment(&id)?;
        let current = self.cached_fundraiser(&id)?;
        let issues = rules::validate_edit(&current, &edit, &self.limits());
        if !issues.is_empty() {
            return Err(FundkitError::Validation { issues });
        }
        let (shared, engine) = (Arc::clone(&self.shared), Arc::clone(&self.engine));
        self.on_runtime(async move {
            let changed = sync::api::edit_fundraiser(&engine, &id, &edit).await?;
            cache_and_view(&shared, changed)
        })
        .await
    }

    /// The organiser extends a running fundraiser by `days` (30-day steps, 90 days in all).
    pub async fn extend_fundraiser(
        &self,
        id: String,
        days: u32,
    ) -> Result<FundraiserView, FundkitError> {
        url_segment(&id)?;
        let current = self.cached_fundraiser(&id)?;
        let mut issues = rules::validate_organiser_action(&current);
        if let Err(more) = rules::validate_extension(current.duration_days, days, &self.limits()) {
            issues.extend(more);
        }
        if !issues.is_empty() {
            return Err(FundkitError::Validation { issues });
        }
        let (shared, engine) = (Arc::clone(&self.shared), Arc::clone(&self.engine));
        self.on_runtime(async move {
            let changed = sync::api::extend_fundraiser(&engine, &id, days).await?;
            cache_and_view(&shared, changed)
        })
        .await
    }

    /// The organiser ends a fundraiser now. Donations still queued for it are refused by
    /// the server (`fundraiser_ended`) and their donors are told.
    pub async fn end_fundraiser(&self, id: String) -> Result<FundraiserView, FundkitError> {
        url_segment(&id)?;
        let issues = rules::validate_end(&self.cached_fundraiser(&id)?);
        if !issues.is_empty() {
            return Err(FundkitError::Validation { issues });
        }
        let (shared, engine) = (Arc::clone(&self.shared), Arc::clone(&self.engine));
        self.on_runtime(async move {
            let changed = sync::api::end_fundraiser(&engine, &id).await?;
            cache_and_view(&shared, changed)
        })
        .await
    }

    /// Fetches one fundraiser from the server into the cache (for a deep link to a
    /// fundraiser the feed has not brought yet).
    pub async fn refresh_fundraiser(&self, id: String) -> Result<FundraiserView, FundkitError> {
        url_segment(&id)?;
        let (shared, engine) = (Arc::clone(&self.shared), Arc::clone(&self.engine));
        self.on_runtime(async move {
            let fetched = sync::api::fetch_fundraiser(&engine, &id).await?;
            cache_and_view(&shared, fetched)
        })
        .await
    }
}

impl FundkitClient {
    /// Where share links point: the server's link config, or the API's host with the
    /// `fundkit` scheme when the server names none.
    fn link_config(&self) -> LinkConfig {
        self.shared
            .config()
            .links
            .clone()
            .unwrap_or_else(|| LinkConfig {
                host: self.api_host.clone(),
                app_scheme: "fundkit".into(),
            })
    }

    /// The answer to a repeated `donate` with an id already stored: the same donation, or
    /// a refusal if the id was made for a different one.
    fn same_donation(
        &self,
        existing: Donation,
        request: &DonationRequest,
    ) -> Result<Donation, FundkitError> {
        if existing.is_same_gift(&rules::normalize_donation(request)) {
            Ok(existing)
        } else {
            Err(FundkitError::DuplicateDonationId { id: existing.id })
        }
    }

    /// Returns once every change made so far has been delivered to the listener (tests,
    /// and hosts that must observe a change before going on).
    pub fn flush_listener(&self) {
        self.shared.flush_notifications();
    }

    fn cached_fundraiser(&self, id: &str) -> Result<Fundraiser, FundkitError> {
        self.shared
            .store
            .fundraiser(id)?
            .ok_or_else(|| FundkitError::NotFound {
                what: format!("fundraiser {id}"),
            })
    }

    /// The store's transition log of a donation (tests and diagnostics).
    pub fn donation_history(
        &self,
        id: &str,
    ) -> Result<Vec<crate::store::Transition>, FundkitError> {
        Ok(self.shared.store.history(id)?)
    }

    pub fn database_path(&self) -> PathBuf {
        self.shared.store.path().to_path_buf()
    }
}

fn cache_and_view(shared: &Shared, f: Fundraiser) -> Result<FundraiserView, FundkitError> {
    shared
        .store
        .upsert_fundraisers(std::slice::from_ref(&f), shared.now_ms())?;
    shared.notify_fundraisers(std::iter::once(f.id.as_str()));
    shared
        .store
        .fundraiser_view(&f.id)?
        .ok_or_else(|| FundkitError::Internal {
            detail: "cached fundraiser vanished".into(),
        })
}

/// Ids travel in URL paths: only the characters ids are made of.
fn url_segment(id: &str) -> Result<&str, FundkitError> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(id)
    } else {
        Err(invalid_id("fundraiser_id"))
    }
}

fn invalid_id(field: &str) -> FundkitError {
    FundkitError::Validation {
        issues: vec![ValidationIssue {
            field: field.into(),
            code: rules::IssueCode::InvalidId,
            message: format!("not a valid {field}"),
            args: Vec::new(),
        }],
    }
}

#[cfg(test)]
pub(crate) mod tests;
