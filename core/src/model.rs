//! The fundraiser and donation models: ids, kinds, categories, states and the views the
//! apps draw. Timestamps are `i64` milliseconds since the Unix epoch (UTC) so that they map
//! to a plain `Long` in Kotlin on every Android API level (`java.time.Instant` needs API 26).

use serde::{Deserialize, Serialize};

use crate::money::Money;

/// Who a personal cause is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum Beneficiary {
    /// The organiser raises money for themselves.
    Myself,
    /// The organiser raises money for someone else (a friend, a family member).
    SomeoneElse,
}

/// What a fundraiser raises money for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum FundraiserKind {
    PersonalCause {
        beneficiary: Beneficiary,
    },
    BusinessProject,
    /// A registered nonprofit, identified by the id the payments partner knows it by.
    Nonprofit {
        nonprofit_id: String,
    },
}

/// The fixed list of categories (docs/design.md §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum Category {
    Medical,
    Education,
    Emergency,
    Community,
    Animals,
    Creative,
    Business,
    Memorial,
    Sports,
    Faith,
    Other,
}

impl Category {
    pub const ALL: [Category; 11] = [
        Category::Medical,
        Category::Education,
        Category::Emergency,
        Category::Community,
        Category::Animals,
        Category::Creative,
        Category::Business,
        Category::Memorial,
        Category::Sports,
        Category::Faith,
        Category::Other,
    ];
}

/// draft -> in review -> active -> ended (or removed). Donations only while active.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum FundraiserState {
    Draft,
    InReview,
    Active,
    Ended,
    Removed,
}

/// What an organiser fills in to create a fundraiser. Validated by `rules::validate_draft`
/// on the device and again by the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct FundraiserDraft {
    pub kind: FundraiserKind,
    pub category: Category,
    pub title: String,
    pub story: String,
    /// In the currency of the organiser's country.
    pub goal: Money,
    /// ISO 3166-1 alpha-2 code of the organiser's country (`US`, `GB`, `IE`).
    pub country: String,
    /// The registered charity a nonprofit fundraiser in the UK raises for: with it, UK
    /// donors may add Gift Aid (`rules::gift_aid_availability`). A reviewer may also set it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ffi", uniffi(default = None))]
    pub charity: Option<Charity>,
}

/// A UK charity as its regulator registers it (England and Wales, Scotland or Northern
/// Ireland): its name and registration number (`rules::normalize_charity_number`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct Charity {
    pub name: String,
    pub number: String,
}

/// A fundraiser as the server knows it (and as the local store caches it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct Fundraiser {
    pub id: String,
    pub organiser_id: String,
    pub organiser_name: String,
    pub kind: FundraiserKind,
    pub category: Category,
    pub title: String,
    pub story: String,
    pub goal: Money,
    pub country: String,
    pub state: FundraiserState,
    /// Confirmed donations only, in the fundraiser's currency.
    pub confirmed_total: Money,
    pub donation_count: u64,
    pub duration_days: u32,
    pub created_at_ms: i64,
    pub ends_at_ms: i64,
    pub updated_at_ms: i64,
    /// Why the reviewers removed it; only its organiser is told.
    #[serde(default)]
    #[cfg_attr(feature = "ffi", uniffi(default = None))]
    pub removal_reason: Option<String>,
    /// True when the signed-in user organises it (the server says so, per viewer).
    #[serde(default)]
    #[cfg_attr(feature = "ffi", uniffi(default = false))]
    pub viewer_is_organiser: bool,
    /// The registered UK charity it raises for, if any (public: the regulator's register is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ffi", uniffi(default = None))]
    pub charity: Option<Charity>,
    /// What the organiser receives, Gift Aid and where donations came from: the organiser
    /// only (the server leaves it out for everybody else).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ffi", uniffi(default = None))]
    pub organiser_stats: Option<OrganiserStats>,
}

/// The organiser's figures for one fundraiser, over its confirmed donations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct OrganiserStats {
    /// What the organiser receives: the donations less the fees donors did not cover.
    pub receives: Money,
    /// The fees taken from the donations (the ones donors covered are not in it).
    pub fees: Money,
    /// Donations with a Gift Aid declaration, and the tax the charity can reclaim on them.
    pub gift_aid_count: u64,
    pub gift_aid_claimable: Money,
    /// Donations by where the donor came from (`DonationSource`); the rest came from
    /// within the app.
    pub from_link: u64,
    pub from_story_sticker: u64,
    pub from_profile: u64,
}

/// Where a donor came from before donating: kept with the donation, counted for the
/// organiser (`OrganiserStats`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum DonationSource {
    /// A shared link (a message, another app, a browser).
    Link,
    /// An Instagram story's fundraiser sticker.
    StorySticker,
    /// The fundraiser on the organiser's profile.
    Profile,
    /// A source a newer app names that this build does not know: kept, counted nowhere.
    #[serde(other)]
    Other,
}

impl DonationSource {
    pub fn as_str(self) -> &'static str {
        match self {
            DonationSource::Link => "link",
            DonationSource::StorySticker => "story_sticker",
            DonationSource::Profile => "profile",
            DonationSource::Other => "other",
        }
    }

    pub fn parse(s: &str) -> DonationSource {
        match s {
            "link" => DonationSource::Link,
            "story_sticker" => DonationSource::StorySticker,
            "profile" => DonationSource::Profile,
            _ => DonationSource::Other,
        }
    }
}

/// A UK donor's Gift Aid declaration (docs/gift-aid.md): what HMRC asks a charity to hold.
/// The charity's name is the fundraiser's; the statement's wording is the app's, named by
/// `wording_version` (`rules::GIFT_AID_WORDING_VERSION`). Kept apart from public data:
/// never in a feed, never shown to other donors; the organiser sees only that a donation
/// carries Gift Aid, and the charity gets it in its claim export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct GiftAidDeclaration {
    pub first_name: String,
    pub last_name: String,
    /// House name or number.
    pub house: String,
    /// A UK postcode (`rules::normalize_postcode`).
    pub postcode: String,
    /// The donor says they live in the UK.
    pub lives_in_uk: bool,
    /// The donor confirms they are a UK taxpayer, have paid at least as much income or
    /// capital gains tax as the charity reclaims in the tax year, and owe any difference.
    pub uk_taxpayer: bool,
    /// The donor asks the charity to claim Gift Aid on this donation.
    pub consent: bool,
    /// The version of the wording the donor was shown.
    pub wording_version: String,
}

impl Fundraiser {
    /// Whole days left before it ends (0 once it has ended), for "12 days left".
    pub fn days_left(&self, now_ms: i64) -> u32 {
        if self.state != FundraiserState::Active {
            return 0;
        }
        let left = self.ends_at_ms.saturating_sub(now_ms).max(0);
        // `left` is not negative here, so rounding up is (left + day - 1) / day.
        let days = left / 86_400_000 + i64::from(left % 86_400_000 != 0);
        u32::try_from(days).unwrap_or(u32::MAX)
    }
}

/// A donation as the public or the organiser sees it on a fundraiser's page
/// (`GET /v1/fundraisers/{id}/donations`, and the organiser's donors feed). Names and
/// amounts are already masked by the server according to the donor's choices and to who
/// is asking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct DonationEntry {
    pub id: String,
    /// `None` when the donor is anonymous, or hidden from this viewer.
    pub donor_name: Option<String>,
    /// `None` when the amount is hidden from this viewer.
    pub amount: Option<Money>,
    pub message: Option<String>,
    pub received_at_ms: i64,
    /// The donor made a Gift Aid declaration (shown to the organiser only, as "Gift Aid:
    /// yes"; the declaration itself never leaves the server but in the charity's export).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[cfg_attr(feature = "ffi", uniffi(default = false))]
    pub gift_aid: bool,
}

/// The organiser's view of the donations a fundraiser received, from the local cache
/// (fed by sync, so it works offline): names and amounts as the donors' choices allow
/// the organiser to see them (anonymous names to nobody).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct OrganiserDonations {
    pub donations: Vec<DonationEntry>,
    /// Confirmed total and number of donations, as of the last sync.
    pub total: Money,
    pub donation_count: u64,
    /// Distinct donors, as of the last sync.
    pub donor_count: u64,
    pub fetched_at_ms: i64,
}

/// What an organiser may change while the fundraiser is in review or running. `None`
/// leaves a field as it is. The currency never changes; the goal may rise, or drop to no
/// less than what is already raised (and never below the minimum goal).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct FundraiserEdit {
    pub title: Option<String>,
    pub story: Option<String>,
    pub category: Option<Category>,
    pub goal: Option<Money>,
}

/// Who can see the donor's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum Visibility {
    /// Everyone sees the donor's name.
    Public,
    /// The public does not see the name; the organiser does.
    HiddenFromPublic,
    /// Nobody but the donor sees the name, the organiser included.
    Anonymous,
}

/// What the app asks for when the donor confirms a donation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct DonationRequest {
    pub fundraiser_id: String,
    pub amount: Money,
    pub message: Option<String>,
    pub visibility: Visibility,
    /// Hide the amount from the public (the organiser still sees it).
    pub hide_amount: bool,
    /// Opaque token from the platform's payment sheet. Never logged; erased from the device
    /// once the server has answered for it.
    pub payment_token: String,
    /// The donation's id, made when the donation sheet opens (`new_donation_id()`): a
    /// second `donate` with the same id (a double tap, a retried call) returns the first
    /// donation and makes nothing new. `None` makes a fresh id (no protection).
    #[serde(default)]
    #[cfg_attr(feature = "ffi", uniffi(default = None))]
    pub id: Option<String>,
    /// The donor chose to pay the fees on top (off unless the donor turns it on).
    #[serde(default)]
    #[cfg_attr(feature = "ffi", uniffi(default = false))]
    pub cover_fee: bool,
    /// A UK donor's Gift Aid declaration, on a donation to a registered UK charity.
    #[serde(default)]
    #[cfg_attr(feature = "ffi", uniffi(default = None))]
    pub gift_aid: Option<GiftAidDeclaration>,
    /// Where the donor came from (a link, a story sticker, a profile), if from outside the app.
    #[serde(default)]
    #[cfg_attr(feature = "ffi", uniffi(default = None))]
    pub source: Option<DonationSource>,
}

/// The life of a donation on the device (docs/queue.md).
///
/// queued -> sending -> confirmed | rejected | needs_action | expired (voided by the server
/// on reconciliation); queued -> expired | cancelled; sending -> queued when a pass is
/// interrupted (transient failure, crash); needs_action -> confirmed | rejected when the
/// donor completes or abandons the bank's step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum DonationState {
    Queued,
    Sending,
    Confirmed,
    Rejected,
    NeedsAction,
    Expired,
    Cancelled,
}

impl DonationState {
    /// Pending states still count towards the offline caps and the optimistic total.
    pub fn is_pending(self) -> bool {
        matches!(self, DonationState::Queued | DonationState::Sending)
    }

    /// Terminal states: nothing can change the donation any more.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            DonationState::Confirmed
                | DonationState::Rejected
                | DonationState::Expired
                | DonationState::Cancelled
        )
    }

    /// The donation has left the queue: the server answered for it (or it never will be
    /// sent), so its payment token is erased. `needs_action` has left the queue but is not
    /// final: the donor's bank step decides it.
    pub fn has_left_queue(self) -> bool {
        !self.is_pending()
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DonationState::Queued => "queued",
            DonationState::Sending => "sending",
            DonationState::Confirmed => "confirmed",
            DonationState::Rejected => "rejected",
            DonationState::NeedsAction => "needs_action",
            DonationState::Expired => "expired",
            DonationState::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<DonationState> {
        Some(match s {
            "queued" => DonationState::Queued,
            "sending" => DonationState::Sending,
            "confirmed" => DonationState::Confirmed,
            "rejected" => DonationState::Rejected,
            "needs_action" => DonationState::NeedsAction,
            "expired" => DonationState::Expired,
            "cancelled" => DonationState::Cancelled,
            _ => return None,
        })
    }
}

/// A donation as the donor's device knows it. The payment token is never part of a view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct Donation {
    /// UUIDv7 made on the device; also the idempotency key.
    pub id: String,
    pub fundraiser_id: String,
    pub amount: Money,
    pub message: Option<String>,
    pub visibility: Visibility,
    pub hide_amount: bool,
    pub state: DonationState,
    /// Machine code of the last cause (`declined`, `expired_offline`, `authentication_required`…).
    pub reason: Option<String>,
    /// Local order of confirmation; batches go in this order, never by device clock.
    pub seq: i64,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    /// The server's receipt time: the official time of the donation.
    pub received_at_ms: Option<i64>,
    /// For `needs_action`: where the donor completes the step the bank asks for.
    pub action_url: Option<String>,
    /// What the donor's payment method is charged: the amount, plus the fees if the donor
    /// covered them (the offline caps apply to this).
    pub donor_pays: Money,
    pub cover_fee: bool,
    /// The donation carries a Gift Aid declaration (the declaration itself is erased from
    /// the device once the server has answered, like the payment token).
    pub gift_aid: bool,
    pub source: Option<DonationSource>,
}

impl Donation {
    /// Is `request` this donation again (a double tap, a retried call)? Compares what the
    /// donor chose, not the payment token (never kept once sent) or the bookkeeping.
    pub fn is_same_gift(&self, request: &DonationRequest) -> bool {
        self.fundraiser_id == request.fundraiser_id
            && self.amount == request.amount
            && self.message == request.message
            && self.visibility == request.visibility
            && self.hide_amount == request.hide_amount
            && self.cover_fee == request.cover_fee
            && self.gift_aid == request.gift_aid.is_some()
            && self.source == request.source
    }
}

/// A fundraiser as the donor's screen shows it: the server's confirmed total plus the
/// donor's own pending (queued or sending) donations, flagged as pending (docs/design.md §3,
/// invariant 5), and how old the cached copy is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct FundraiserView {
    pub fundraiser: Fundraiser,
    /// The donor's own donations not yet confirmed by the server.
    pub pending_total: Money,
    pub pending_count: u32,
    /// `confirmed_total + pending_total`: what the progress bar shows.
    pub displayed_total: Money,
    /// When this copy was fetched from the server (for "updated 5 min ago").
    pub fetched_at_ms: i64,
}

impl FundraiserView {
    pub fn new(
        fundraiser: Fundraiser,
        pending_minor: i64,
        pending_count: u32,
        fetched_at_ms: i64,
    ) -> Result<FundraiserView, crate::money::MoneyError> {
        let currency = fundraiser.confirmed_total.currency.clone();
        let displayed = fundraiser
            .confirmed_total
            .minor_units
            .checked_add(pending_minor)
            .ok_or(crate::money::MoneyError::Overflow)?;
        Ok(FundraiserView {
            pending_total: Money {
                minor_units: pending_minor,
                currency: currency.clone(),
            },
            pending_count,
            displayed_total: Money {
                minor_units: displayed,
                currency,
            },
            fetched_at_ms,
            fundraiser,
        })
    }
}
