//! FundKit: the shared native core of mobile personal fundraisers.
//!
//! Pure domain (`money`, `model`, `rules`, `fees`, `links`, `rollout`) and the wire types (`wire`) build
//! without any feature, for the reference server. The `client` feature adds the device
//! side (`store`, `queue`, `sync`, `client`); `ffi` adds the UniFFI exports the apps use;
//! `reqwest-transport` adds a built-in HTTP transport (`sync::ReqwestTransport`) for the CLI,
//! the tests and a desktop JVM. The default build (what Android and iOS ship) has no TLS
//! stack: the app passes its own transport (`FundkitClient::with_transport`).

#[cfg(feature = "ffi")]
uniffi::setup_scaffolding!();

pub mod error;
pub mod fees;
pub mod links;
pub mod model;
pub mod money;
pub mod rollout;
pub mod rules;
pub mod wire;

pub use error::{FundkitError, OfflineCap};
pub use fees::{FeeModel, FeeQuote};
pub use model::*;
pub use money::{Money, MoneyError};
pub use rollout::{
    Action, Availability, Gate, Platform, RolloutConfig, UnavailableReason, UserContext,
};
pub use rules::{
    GiftAidAvailability, IssueArg, IssueCode, Limits, OrganiserActions, ValidationIssue,
};

#[cfg(feature = "client")]
pub mod client;
#[cfg(feature = "client")]
pub mod clock;
#[cfg(feature = "client")]
pub mod logging;
#[cfg(feature = "client")]
pub mod queue;
#[cfg(feature = "client")]
mod shared;
#[cfg(feature = "client")]
mod status;
#[cfg(feature = "client")]
mod store;
#[cfg(feature = "client")]
pub mod sync;

#[cfg(feature = "client")]
pub use client::{new_donation_id, ClientConfig, DonationQuote, FundkitClient, OpenedLink};
#[cfg(feature = "client")]
pub use clock::{Clock, SystemClock};
pub use links::{LinkProblem, LinkTarget, ShareLinks};
#[cfg(feature = "client")]
pub use shared::FundkitListener;
#[cfg(feature = "client")]
pub use status::{SyncProblem, SyncReport, SyncState};
#[cfg(feature = "reqwest-transport")]
pub use sync::ReqwestTransport;
#[cfg(feature = "client")]
pub use sync::{
    AuthProvider, HttpBody, HttpHeader, HttpRequest, HttpResponse, HttpTransport, TransportError,
};

#[cfg(feature = "ffi")]
mod ffi_functions;
