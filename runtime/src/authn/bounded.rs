//! A capacity-bounded map whose entries carry an expiry (seconds since the epoch), for the
//! in-memory stores and the OAuth2 replay cache. An index ordered by expiry finds expired
//! entries in O(log n) each, so making room never scans the whole map.

use std::collections::{BTreeSet, HashMap};

#[derive(Debug)]
pub(crate) struct ExpiringMap<V> {
    entries: HashMap<String, (i64, V)>,
    by_expiry: BTreeSet<(i64, String)>,
    capacity: usize,
}

impl<V> ExpiringMap<V> {
    /// An empty map holding at most `capacity` entries (at least 1).
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            entries: HashMap::new(),
            by_expiry: BTreeSet::new(),
            capacity: capacity.max(1),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    #[cfg_attr(not(any(feature = "session", feature = "oauth2")), allow(dead_code))]
    pub(crate) fn contains_key(&self, key: &str) -> bool {
        self.entries.contains_key(key)
    }

    pub(crate) fn get(&self, key: &str) -> Option<(i64, &V)> {
        self.entries.get(key).map(|(e, v)| (*e, v))
    }

    pub(crate) fn get_mut(&mut self, key: &str) -> Option<&mut V> {
        self.entries.get_mut(key).map(|(_, v)| v)
    }

    /// The earliest expiry held.
    #[cfg_attr(not(feature = "oauth2"), allow(dead_code))]
    pub(crate) fn soonest_expiry(&self) -> Option<i64> {
        self.by_expiry.first().map(|(e, _)| *e)
    }

    /// Removes the entries that expired before `now` (expiry < now), soonest first.
    pub(crate) fn pop_expired(&mut self, now: i64) -> Vec<(String, V)> {
        let mut gone = Vec::new();
        while let Some((expiry, _)) = self.by_expiry.first() {
            if *expiry >= now {
                break;
            }
            let Some((_, key)) = self.by_expiry.pop_first() else {
                break;
            };
            if let Some((_, v)) = self.entries.remove(&key) {
                gone.push((key, v));
            }
        }
        gone
    }

    /// Whether `key` can be inserted without going over capacity: it is already held, or
    /// there is room once expired entries are dropped (they are returned, for bookkeeping).
    /// Live entries are never dropped.
    pub(crate) fn make_room(&mut self, key: &str, now: i64) -> (bool, Vec<(String, V)>) {
        if self.entries.contains_key(key) || self.entries.len() < self.capacity {
            return (true, Vec::new());
        }
        let gone = self.pop_expired(now);
        (self.entries.len() < self.capacity, gone)
    }

    /// Inserts or replaces `key` (call [`make_room`](Self::make_room) first).
    pub(crate) fn insert(&mut self, key: String, expiry: i64, value: V) {
        if let Some((old, _)) = self.entries.get(&key) {
            self.by_expiry.remove(&(*old, key.clone()));
        }
        self.by_expiry.insert((expiry, key.clone()));
        self.entries.insert(key, (expiry, value));
    }

    #[cfg_attr(not(feature = "session"), allow(dead_code))]
    pub(crate) fn remove(&mut self, key: &str) -> Option<V> {
        let (expiry, v) = self.entries.remove(key)?;
        self.by_expiry.remove(&(expiry, key.to_owned()));
        Some(v)
    }

    /// Keeps the entries for which `keep` is true; returns how many went.
    #[cfg_attr(not(feature = "session"), allow(dead_code))]
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&str, i64, &V) -> bool) -> usize {
        let gone: Vec<(i64, String)> = self
            .entries
            .iter()
            .filter(|(k, (e, v))| !keep(k, *e, v))
            .map(|(k, (e, _))| (*e, k.clone()))
            .collect();
        for (e, k) in &gone {
            self.entries.remove(k);
            self.by_expiry.remove(&(*e, k.clone()));
        }
        gone.len()
    }
}

#[cfg(test)]
mod tests {
    use super::ExpiringMap;

    #[test]
    fn live_entries_are_never_dropped_to_make_room() {
        let mut m = ExpiringMap::new(2);
        m.insert("old".into(), 5, ());
        m.insert("live".into(), 100, ());
        let (ok, gone) = m.make_room("new", 10);
        assert!(ok);
        assert_eq!(gone.len(), 1);
        m.insert("new".into(), 100, ());
        assert!(!m.make_room("newer", 10).0);
        assert!(m.make_room("live", 10).0, "a held key needs no room");
        m.insert("live".into(), 200, ());
        assert_eq!(m.soonest_expiry(), Some(100));
        assert_eq!(m.retain(|k, _, _| k != "new"), 1);
        assert_eq!(m.soonest_expiry(), Some(200));
        assert_eq!(m.remove("live"), Some(()));
        assert_eq!(m.len(), 0);
    }
}
