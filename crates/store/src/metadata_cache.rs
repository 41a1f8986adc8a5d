//! Company metadata — custom field definitions, edited picklist choices, record types, stage
//! sets and the company currency — is read by every record read and write but changes
//! rarely. This process keeps what it read for a few seconds, per company and object.
//!
//! A kept value is dropped when it is older than [`TTL`], and whenever this process commits a
//! change to metadata (a transaction that wrote it calls [`Tx::mark_metadata_changed`], which
//! moves [`metadata_epoch`] at once and again at commit): an administrator's change applies at
//! once on the server that made it, and within [`TTL`] on other app servers sharing the
//! database. A transaction that changed metadata reads it from the database, never from here,
//! so it sees its own uncommitted writes and never leaves them behind after a rollback.

use crate::Tx;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

/// How long a value read from the database is trusted.
pub const TTL: Duration = Duration::from_secs(5);
/// Entries kept at most per kind of value; beyond that the cache starts afresh.
const CAPACITY: usize = 10_000;

static METADATA_EPOCH: AtomicU64 = AtomicU64::new(0);

/// Counts changes to company metadata in this process (see the module's documentation).
pub fn metadata_epoch() -> u64 {
    METADATA_EPOCH.load(Ordering::Acquire)
}

pub(crate) fn bump() {
    METADATA_EPOCH.fetch_add(1, Ordering::AcqRel);
}

struct Kept<V> {
    value: V,
    epoch: u64,
    read_at: Instant,
}

/// Values of one kind (the custom fields of an object, say) by key.
pub(crate) struct MetadataCache<K, V> {
    entries: LazyLock<Mutex<HashMap<K, Kept<V>>>>,
}

impl<K: Hash + Eq, V: Clone> MetadataCache<K, V> {
    pub(crate) const fn new() -> Self {
        Self {
            entries: LazyLock::new(|| Mutex::new(HashMap::new())),
        }
    }

    /// The kept value for `key`, unless it is stale or `tx` changed metadata itself.
    pub(crate) fn get(&self, tx: &Tx, key: &K) -> Option<V> {
        if tx.metadata_changed() {
            return None;
        }
        let epoch = metadata_epoch();
        let entries = self.entries.lock().ok()?;
        entries
            .get(key)
            .filter(|kept| kept.epoch == epoch && kept.read_at.elapsed() < TTL)
            .map(|kept| kept.value.clone())
    }

    /// Keeps `value`, read after `epoch` was seen: a change committed meanwhile makes it
    /// stale. Nothing is kept from a transaction that changed metadata.
    pub(crate) fn put(&self, tx: &Tx, key: K, value: V, epoch: u64) {
        if tx.metadata_changed() {
            return;
        }
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= CAPACITY {
                entries.clear();
            }
            entries.insert(
                key,
                Kept {
                    value,
                    epoch,
                    read_at: Instant::now(),
                },
            );
        }
    }
}

/// Reads through `$cache`: the kept value for `$key`, else `$load` (an expression using `tx`),
/// kept for the next reader.
macro_rules! cached {
    ($cache:expr, $tx:expr, $key:expr, $load:expr) => {{
        let key = $key;
        match $cache.get($tx, &key) {
            Some(value) => Ok(value),
            None => {
                let epoch = $crate::metadata_cache::metadata_epoch();
                let value = $load;
                $cache.put($tx, key, value.clone(), epoch);
                Ok(value)
            }
        }
    }};
}
pub(crate) use cached;
