//! Signed-in users by credential, and other values every page needs that depend on users and
//! roles (the owner pick-list), kept for a few seconds so that each request does not read them
//! again.
//!
//! An entry is dropped when it is older than [`TTL`] by the app's clock, and whenever this
//! process commits a change to users, roles, departments or sessions (`store::org_epoch`
//! moves): a role change, a deactivation or a sign-out applies at once here, and within
//! [`TTL`] on other app servers sharing the database.

use crate::Actor;
use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use uuid::Uuid;

/// How long a signed-in user is trusted without reading the database again.
pub const TTL: Duration = Duration::seconds(5);
/// Entries kept at most; beyond that the cache starts afresh (sign-ins are cheap to reload).
const CAPACITY: usize = 10_000;

#[derive(Clone)]
pub struct Entry {
    pub actor: Actor,
    /// For API tokens: the token and when it was last marked as used.
    pub token: Option<(Uuid, Option<DateTime<Utc>>)>,
}

/// Values read from the database that depend on users, roles or departments, kept by key
/// for at most [`TTL`] and dropped when `store::org_epoch` moves.
pub struct OrgCache<K, V> {
    entries: Mutex<HashMap<K, Kept<V>>>,
}

/// A value with the org epoch it was read under and when it was read.
struct Kept<V> {
    value: V,
    epoch: u64,
    read_at: DateTime<Utc>,
}

impl<K, V> Default for OrgCache<K, V> {
    fn default() -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: std::hash::Hash + Eq, V: Clone> OrgCache<K, V> {
    /// The value for `key`, if still fresh at `now`.
    pub fn get<Q>(&self, key: &Q, now: DateTime<Utc>) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + ?Sized,
    {
        let epoch = store::org_epoch();
        let entries = self.entries.lock().ok()?;
        entries
            .get(key)
            .filter(|kept| kept.epoch == epoch && now >= kept.read_at && now - kept.read_at < TTL)
            .map(|kept| kept.value.clone())
    }

    /// Keeps what was read at `now`, tagged with the epoch seen before reading (`epoch`), so
    /// that a change committed meanwhile makes it stale.
    pub fn put(&self, key: K, value: V, epoch: u64, now: DateTime<Utc>) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= CAPACITY {
                entries.clear();
            }
            entries.insert(
                key,
                Kept {
                    value,
                    epoch,
                    read_at: now,
                },
            );
        }
    }

    pub fn forget<Q>(&self, key: &Q)
    where
        K: std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + ?Sized,
    {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(key);
        }
    }
}

/// Signed-in users by the hash of their session cookie or API token.
pub type Credentials = OrgCache<Vec<u8>, Entry>;

/// The active users of each company as (id, name), for owner pick-lists.
pub type UserChoices = OrgCache<Uuid, Arc<Vec<(Uuid, String)>>>;
