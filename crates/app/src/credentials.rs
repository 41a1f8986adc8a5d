//! Signed-in users by credential, kept for a few seconds so that a page or API request does
//! not read the session, the user, the role and the department again each time.
//!
//! An entry is dropped when it is older than [`TTL`] by the app's clock, and whenever this
//! process commits a change to users, roles, departments or sessions (`store::org_epoch`
//! moves): a role change, a deactivation or a sign-out applies at once here, and within
//! [`TTL`] on other app servers sharing the database.

use crate::Actor;
use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::sync::Mutex;
use uuid::Uuid;

/// How long a signed-in user is trusted without reading the database again.
pub const TTL: Duration = Duration::seconds(5);
/// Entries kept at most; beyond that the cache starts afresh (sign-ins are cheap to reload).
const CAPACITY: usize = 10_000;

#[derive(Clone)]
pub(crate) struct Entry {
    pub actor: Actor,
    /// For API tokens: the token and when it was last marked as used.
    pub token: Option<(Uuid, Option<DateTime<Utc>>)>,
    epoch: u64,
    loaded_at: DateTime<Utc>,
}

#[derive(Default)]
pub struct Credentials {
    entries: Mutex<HashMap<Vec<u8>, Entry>>,
}

impl Credentials {
    /// The entry for a credential's hash, if still fresh at `now`.
    pub(crate) fn get(&self, hash: &[u8], now: DateTime<Utc>) -> Option<Entry> {
        let epoch = store::org_epoch();
        let entries = self.entries.lock().ok()?;
        entries
            .get(hash)
            .filter(|e| e.epoch == epoch && now >= e.loaded_at && now - e.loaded_at < TTL)
            .cloned()
    }

    /// Keeps what was read at `now`, tagged with the epoch seen before reading (`epoch`), so
    /// that a change committed meanwhile makes it stale.
    pub(crate) fn put(
        &self,
        hash: Vec<u8>,
        actor: Actor,
        token: Option<(Uuid, Option<DateTime<Utc>>)>,
        epoch: u64,
        now: DateTime<Utc>,
    ) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= CAPACITY {
                entries.clear();
            }
            entries.insert(
                hash,
                Entry {
                    actor,
                    token,
                    epoch,
                    loaded_at: now,
                },
            );
        }
    }

    /// Forgets one credential (signed out, token marked as used).
    pub(crate) fn forget(&self, hash: &[u8]) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(hash);
        }
    }
}
