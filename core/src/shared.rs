//! What the client, its sync engine and its background worker share, and the notifier that
//! tells the app's listener about changes.
//!
//! Ordered delivery: every change is announced to ONE notifier thread through a FIFO
//! channel, and that thread reads the current rows when it delivers. Deliveries therefore
//! happen one at a time, and each shows the state as committed at delivery time, never an
//! older one after a newer one (an old `syncing = true` after the pass ended cannot
//! happen). Announcements that pile up while the app's listener is busy are merged, so a
//! drain of 10,000 donations makes a few batched calls, not 10,000. The listener runs on
//! the notifier thread, never on the caller's or the sync runtime's thread.

use std::collections::BTreeSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, RwLock, Weak};

use crate::clock::Clock;
use crate::error::FundkitError;
use crate::model::{Donation, FundraiserView};
use crate::queue;
use crate::rollout::UserContext;
use crate::status::{SyncState, SyncStatus};
use crate::store::Store;
use crate::wire::ServerConfig;

pub(crate) const CONFIG_KEY: &str = "server_config";

/// Told of every change, so that no screen is blank or silent because the network is
/// gone. Implemented by the app. Calls come after the change is committed, one at a time,
/// in order, from FundKit's notifier thread (never the caller's): each shows the rows as
/// they are when it is made, so a later call never shows an older state. Keep them quick
/// and hop to the UI thread yourself. Lists are batches, never one call per row.
#[cfg_attr(feature = "ffi", uniffi::export(with_foreign))]
pub trait FundkitListener: Send + Sync {
    fn on_donations_changed(&self, donations: Vec<Donation>);
    fn on_fundraisers_changed(&self, fundraisers: Vec<FundraiserView>);
    fn on_sync_state_changed(&self, state: SyncState);
}

pub(crate) struct Shared {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub user: UserContext,
    pub locale: String,
    pub online: AtomicBool,
    /// Shared, not copied: `donate` reads it several times and it holds lists.
    config: RwLock<Arc<ServerConfig>>,
    listener: RwLock<Option<Arc<dyn FundkitListener>>>,
    notes: Mutex<mpsc::Sender<Note>>,
    sync_status: Mutex<SyncStatus>,
    /// Wakes the background worker for a pass soon.
    pub wake: tokio::sync::Notify,
}

/// An announcement to the notifier thread.
enum Note {
    Donations(Vec<String>),
    Fundraisers(Vec<String>),
    SyncState,
    /// Acknowledged once everything announced before it was delivered.
    Flush(mpsc::Sender<()>),
}

impl Shared {
    /// Builds the shared state and starts its notifier thread.
    pub(crate) fn start(
        store: Store,
        clock: Arc<dyn Clock>,
        user: UserContext,
        locale: String,
        online: bool,
        config: ServerConfig,
    ) -> Result<Arc<Shared>, FundkitError> {
        let (tx, rx) = mpsc::channel();
        let shared = Arc::new(Shared {
            store,
            clock,
            user,
            locale,
            online: AtomicBool::new(online),
            config: RwLock::new(Arc::new(config)),
            listener: RwLock::new(None),
            notes: Mutex::new(tx),
            sync_status: Mutex::new(SyncStatus::default()),
            wake: tokio::sync::Notify::new(),
        });
        let weak = Arc::downgrade(&shared);
        std::thread::Builder::new()
            .name("fundkit-events".into())
            .spawn(move || deliver(weak, rx))
            .map_err(|e| FundkitError::Internal {
                detail: format!("notifier thread: {e}"),
            })?;
        Ok(shared)
    }

    pub(crate) fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    pub(crate) fn is_online(&self) -> bool {
        self.online.load(Ordering::SeqCst)
    }

    pub(crate) fn config(&self) -> Arc<ServerConfig> {
        Arc::clone(&self.config.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// Keeps the server's config in memory and on disk (for the next offline start).
    pub(crate) fn set_server_config(&self, config: ServerConfig) -> Result<(), FundkitError> {
        let json = serde_json::to_string(&config).map_err(|e| FundkitError::Internal {
            detail: e.to_string(),
        })?;
        self.store.set_meta(CONFIG_KEY, &json)?;
        *self.config.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(config);
        Ok(())
    }

    /// Expires what is due and tells the listener.
    pub(crate) fn expire_due(&self) -> Result<Vec<Donation>, FundkitError> {
        let now = self.now_ms();
        let expired = self
            .store
            .expire_due(queue::expiry_cutoff(now, &self.config().limits), now)?;
        if !expired.is_empty() {
            tracing::info!(count = expired.len(), "offline donations expired");
            self.notify_donations(&expired);
        }
        Ok(expired)
    }

    pub(crate) fn set_listener(&self, listener: Option<Arc<dyn FundkitListener>>) {
        *self.listener.write().unwrap_or_else(|p| p.into_inner()) = listener;
    }

    fn listener(&self) -> Option<Arc<dyn FundkitListener>> {
        self.listener
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn announce(&self, note: Note) {
        // Nobody listening: nothing to deliver, and no thread to wake on the donate path.
        // A listener set later reads the current state when it starts listening.
        if !matches!(note, Note::Flush(_)) && self.listener().is_none() {
            return;
        }
        // The notifier thread ends only when `Shared` is dropped, so a failed send means
        // nobody is left to tell.
        let _ = self
            .notes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .send(note);
    }

    /// Announces changed donations (and, through them, the fundraisers whose displayed
    /// totals they change, and the pending count in the sync state).
    pub(crate) fn notify_donations(&self, donations: &[Donation]) {
        if !donations.is_empty() {
            self.announce(Note::Donations(
                donations.iter().map(|d| d.id.clone()).collect(),
            ));
        }
    }

    pub(crate) fn notify_fundraisers<'a>(&self, ids: impl Iterator<Item = &'a str>) {
        let ids: Vec<String> = ids.map(str::to_owned).collect();
        if !ids.is_empty() {
            self.announce(Note::Fundraisers(ids));
        }
    }

    pub(crate) fn notify_sync_state(&self) {
        self.announce(Note::SyncState);
    }

    /// Returns once everything announced so far has been delivered to the listener.
    pub(crate) fn flush_notifications(&self) {
        let (tx, rx) = mpsc::channel();
        self.announce(Note::Flush(tx));
        let _ = rx.recv();
    }

    /// Asks the background worker for a pass soon.
    pub(crate) fn trigger_sync(&self) {
        self.wake.notify_one();
    }

    pub(crate) fn sync_status(&self) -> std::sync::MutexGuard<'_, SyncStatus> {
        self.sync_status.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn sync_state(&self) -> SyncState {
        let pending = self.store.pending_count().unwrap_or(0);
        self.sync_status().state(self.is_online(), pending)
    }
}

/// The notifier thread: takes every announcement waiting, merges them, reads the current
/// rows and calls the listener, in that order, until the client is gone.
fn deliver(shared: Weak<Shared>, rx: mpsc::Receiver<Note>) {
    while let Ok(first) = rx.recv() {
        let mut donations: Vec<String> = Vec::new();
        let mut fundraisers: BTreeSet<String> = BTreeSet::new();
        let mut sync_state = false;
        let mut flushes = Vec::new();
        let mut next = Some(first);
        while let Some(note) = next {
            match note {
                Note::Donations(ids) => donations.extend(ids),
                Note::Fundraisers(ids) => fundraisers.extend(ids),
                Note::SyncState => sync_state = true,
                Note::Flush(ack) => flushes.push(ack),
            }
            next = rx.try_recv().ok();
        }
        let Some(shared) = shared.upgrade() else {
            return;
        };
        if let Some(listener) = shared.listener() {
            let call = |f: &dyn Fn(&dyn FundkitListener)| {
                // A listener that throws must not take the client down with it.
                if catch_unwind(AssertUnwindSafe(|| f(listener.as_ref()))).is_err() {
                    tracing::error!(
                        "the app's listener failed; the change is committed regardless"
                    );
                    crate::logging::report("listener_panicked", "the app's listener threw");
                }
            };
            let mut seen = BTreeSet::new();
            donations.retain(|id| seen.insert(id.clone()));
            let rows: Vec<Donation> = donations
                .iter()
                .filter_map(|id| shared.store.donation(id).ok().flatten())
                .collect();
            if !rows.is_empty() {
                fundraisers.extend(rows.iter().map(|d| d.fundraiser_id.clone()));
                sync_state = true;
                call(&|l| l.on_donations_changed(rows.clone()));
            }
            let views: Vec<FundraiserView> = fundraisers
                .iter()
                .filter_map(|id| shared.store.fundraiser_view(id).ok().flatten())
                .collect();
            if !views.is_empty() {
                call(&|l| l.on_fundraisers_changed(views.clone()));
            }
            if sync_state {
                let state = shared.sync_state();
                call(&|l| l.on_sync_state_changed(state.clone()));
            }
        }
        drop(shared);
        for ack in flushes {
            let _ = ack.send(());
        }
    }
}
