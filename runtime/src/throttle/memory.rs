//! The in-memory limiter: `governor`'s GCRA over a sharded store that holds at most a fixed
//! number of keys. Idle keys (whose budget is full again, so forgetting them changes nothing)
//! are evicted first; if the store is still full, the keys closest to idle go.

use futures_util::future::{BoxFuture, FutureExt};
use governor::clock::{Clock, DefaultClock, Reference};
use governor::middleware::StateInformationMiddleware;
use governor::nanos::Nanos;
use governor::state::StateStore;
use governor::{Quota, RateLimiter};
use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use super::{Decision, LimitError, Limiter, Rate, TARGET, bounded_key};

const SHARDS: usize = 16;
/// Default bound on distinct keys held at once.
pub const DEFAULT_MAX_KEYS: usize = 100_000;

/// A key → theoretical-arrival-time map, bounded and sharded.
pub struct BoundedStore<C: Clock> {
    shards: Vec<Mutex<HashMap<String, u64>>>,
    per_shard: usize,
    hasher: RandomState,
    clock: C,
    start: C::Instant,
    warned_full: AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock cannot leave the map inconsistent (plain inserts), so a
    // poisoned lock is still usable.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl<C: Clock> BoundedStore<C> {
    fn new(max_keys: usize, clock: C) -> Self {
        let per_shard = max_keys.div_ceil(SHARDS).max(1);
        Self {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            per_shard,
            hasher: RandomState::new(),
            start: clock.now(),
            clock,
            warned_full: AtomicBool::new(false),
        }
    }

    fn shard(&self, key: &str) -> &Mutex<HashMap<String, u64>> {
        // `hash % SHARDS` is below SHARDS, so the index is in bounds.
        &self.shards[(self.hasher.hash_one(key) % SHARDS as u64) as usize]
    }

    fn now(&self) -> u64 {
        self.clock.now().duration_since(self.start).as_u64()
    }

    fn len(&self) -> usize {
        self.shards.iter().map(|s| lock(s).len()).sum()
    }

    /// Makes room for one key in a full shard.
    fn make_room(&self, map: &mut HashMap<String, u64>) {
        let now = self.now();
        map.retain(|_, tat| *tat > now);
        if map.len() < self.per_shard {
            return;
        }
        if !self.warned_full.swap(true, Ordering::Relaxed) {
            tracing::warn!(target: TARGET, max_keys = self.per_shard * SHARDS, reason = "limiter_full",
                "in-memory limiter full of active keys; evicting the least-loaded ones (raise max_keys)");
        }
        // Evict the eighth of the keys closest to idle, so the scan is paid once per many inserts.
        let mut tats: Vec<u64> = map.values().copied().collect();
        let cut = (tats.len() / 8).max(1);
        let (_, nth, _) = tats.select_nth_unstable(cut - 1);
        let nth = *nth;
        map.retain(|_, tat| *tat > nth);
    }
}

/// The store as governor owns it, shared with the limiter for `len`.
pub struct SharedStore<C: Clock>(Arc<BoundedStore<C>>);

impl<C: Clock> StateStore for SharedStore<C> {
    type Key = String;

    fn measure_and_replace<T, F, E>(&self, key: &String, f: F) -> Result<T, E>
    where
        F: Fn(Option<Nanos>) -> Result<(T, Nanos), E>,
    {
        let store = &*self.0;
        let mut map = lock(store.shard(key));
        if let Some(tat) = map.get_mut(key.as_str()) {
            let (t, new) = f(Some(Nanos::from(*tat)))?;
            *tat = new.as_u64();
            return Ok(t);
        }
        let (t, new) = f(None)?;
        if map.len() >= store.per_shard {
            store.make_room(&mut map);
        }
        map.insert(key.clone(), new.as_u64());
        Ok(t)
    }
}

/// A GCRA limiter in this process's memory, on `governor`, holding at most `max_keys` keys
/// (default 100 000).
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use portcullis::throttle::{Limiter, MemoryLimiter};
/// let limiter = MemoryLimiter::new("2/s".parse().unwrap());
/// assert!(limiter.check("ip:1.2.3.4").await.unwrap().allowed);
/// assert!(limiter.check("ip:1.2.3.4").await.unwrap().allowed);
/// assert!(!limiter.check("ip:1.2.3.4").await.unwrap().allowed);
/// # });
/// ```
pub struct MemoryLimiter<C: Clock = DefaultClock> {
    rate: Rate,
    limiter: RateLimiter<String, SharedStore<C>, C, StateInformationMiddleware>,
    store: Arc<BoundedStore<C>>,
}

impl<C: Clock> std::fmt::Debug for MemoryLimiter<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryLimiter")
            .field("rate", &self.rate)
            .finish_non_exhaustive()
    }
}

impl MemoryLimiter {
    /// A limiter at `rate` with the default key bound.
    pub fn new(rate: Rate) -> Self {
        Self::with_clock(rate, DEFAULT_MAX_KEYS, DefaultClock::default())
    }

    /// A limiter at `rate` holding at most `max_keys` keys (at least 16).
    pub fn with_max_keys(rate: Rate, max_keys: usize) -> Self {
        Self::with_clock(rate, max_keys, DefaultClock::default())
    }
}

impl<C: Clock + Clone + Send + Sync + 'static> MemoryLimiter<C> {
    /// A limiter on a given clock (tests use `governor::clock::FakeRelativeClock`).
    pub fn with_clock(rate: Rate, max_keys: usize, clock: C) -> Self {
        let quota = Quota::with_period(rate.emission_interval())
            // `emission_interval` is at least 1 ns, so `with_period` always returns a quota.
            .unwrap_or_else(|| Quota::per_second(rate.burst_nonzero()))
            .allow_burst(rate.burst_nonzero());
        let store = Arc::new(BoundedStore::new(max_keys, clock.clone()));
        let limiter: RateLimiter<_, _, _, governor::middleware::NoOpMiddleware<C::Instant>> =
            RateLimiter::new(quota, SharedStore(store.clone()), clock);
        let limiter = limiter.with_middleware::<StateInformationMiddleware>();
        Self {
            rate,
            limiter,
            store,
        }
    }

    /// Keys held right now (idle ones included until evicted).
    pub fn len(&self) -> usize {
        self.store.len()
    }

    /// Whether no key is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Counts one request against `key` (synchronously: memory needs no waiting).
    pub fn check_now(&self, key: &str) -> Decision {
        let t = self.rate.emission_interval();
        let burst = self.rate.burst();
        match self.limiter.check_key(&bounded_key(key).to_owned()) {
            Ok(snapshot) => {
                let remaining = snapshot.remaining_burst_capacity().min(burst);
                Decision {
                    allowed: true,
                    limit: burst,
                    remaining,
                    reset: t.saturating_mul(burst - remaining),
                    retry_after: None,
                }
            }
            Err(not_until) => {
                let wait = not_until.wait_time_from(self.limiter.clock().now());
                Decision {
                    allowed: false,
                    limit: burst,
                    remaining: 0,
                    reset: wait + t.saturating_mul(burst - 1),
                    retry_after: Some(wait.max(Duration::from_nanos(1))),
                }
            }
        }
    }
}

impl Rate {
    pub(crate) fn burst_nonzero(&self) -> std::num::NonZeroU32 {
        std::num::NonZeroU32::MIN.saturating_add(self.burst() - 1)
    }
}

impl<C: Clock + Clone + Send + Sync + 'static> Limiter for MemoryLimiter<C>
where
    C::Instant: Send + Sync,
{
    fn rate(&self) -> Rate {
        self.rate
    }

    fn check<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Decision, LimitError>> {
        let d = self.check_now(key);
        async move { Ok(d) }.boxed()
    }
}
