//! The map every vault cache is built on: bounded, stamped with insertion time, and guarded by a
//! generation counter so that a read which raced a write cannot put stale data back after the
//! write cleared the cache.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Counts writes. A reader notes [`Generation::current`] before it loads from the source and
/// only caches what it loaded if no write happened since (writers [`Generation::advance`] after
/// their write and before they clear).
#[derive(Default)]
pub(crate) struct Generation(AtomicU64);

impl Generation {
    pub(crate) fn current(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }

    pub(crate) fn advance(&self) {
        self.0.fetch_add(1, Ordering::AcqRel);
    }
}

/// A map of at most `max` entries. When full it is emptied rather than grown or scanned: names
/// and tokens come from clients, and memory must not grow with them.
pub(crate) struct BoundedMap<K, V> {
    map: RwLock<HashMap<K, (Instant, V)>>,
    max: usize,
}

impl<K: Eq + Hash, V: Clone> BoundedMap<K, V> {
    pub(crate) fn new(max: usize) -> Self {
        Self {
            map: RwLock::new(HashMap::new()),
            max,
        }
    }

    /// The value under `key` if it was inserted less than `ttl` ago (any age when `None`).
    pub(crate) fn get<Q>(&self, key: &Q, ttl: Option<Duration>) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let map = self.map.read().unwrap_or_else(|p| p.into_inner());
        map.get(key)
            .filter(|(at, _)| ttl.is_none_or(|ttl| at.elapsed() < ttl))
            .map(|(_, v)| v.clone())
    }

    /// Inserts when `fresh` still holds, checked under the write lock (so that it is ordered
    /// against [`BoundedMap::clear`]).
    pub(crate) fn insert_if(&self, key: K, value: V, fresh: impl FnOnce() -> bool) {
        let mut map = self.map.write().unwrap_or_else(|p| p.into_inner());
        if !fresh() {
            return;
        }
        if map.len() >= self.max {
            map.clear();
        }
        map.insert(key, (Instant::now(), value));
    }

    /// Keeps only the entries `keep` accepts.
    pub(crate) fn retain(&self, mut keep: impl FnMut(&K, &V) -> bool) {
        let mut map = self.map.write().unwrap_or_else(|p| p.into_inner());
        map.retain(|k, (_, v)| keep(k, v));
    }

    /// How many entries there are.
    pub(crate) fn len(&self) -> usize {
        self.map.read().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Forgets everything.
    pub(crate) fn clear(&self) {
        self.map.write().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_ttl_and_guarded() {
        let m = BoundedMap::new(2);
        m.insert_if("a", 1, || true);
        m.insert_if("b", 2, || false);
        assert_eq!(m.get("a", None), Some(1));
        assert_eq!(m.get("b", None), None);
        assert_eq!(m.get("a", Some(Duration::ZERO)), None, "older than the TTL");
        m.insert_if("b", 2, || true);
        m.insert_if("c", 3, || true);
        assert_eq!(m.len(), 1, "full: emptied, then the new entry");
        m.retain(|k, _| *k != "c");
        assert_eq!(m.len(), 0);
        let g = Generation::default();
        let seen = g.current();
        g.advance();
        assert_ne!(seen, g.current());
    }
}
