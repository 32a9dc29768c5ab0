//! Login defence (CWE-307): failed logins are counted per submitted account name and per
//! client IP; past a few free failures each further one doubles the wait, up to a cap. A
//! success clears the account's count. The account name is counted whether or not such an
//! account exists, so the answers never tell the two apart.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::{Decision, TARGET, bounded_key};
use crate::Problem;

/// How hard the login defence pushes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginPolicy {
    /// Failures per account before any delay.
    pub free_per_account: u32,
    /// Failures per client IP (over all accounts) before any delay.
    pub free_per_ip: u32,
    /// The first delay; each further failure doubles it.
    pub base_delay: Duration,
    /// The longest delay.
    pub max_delay: Duration,
    /// A count is forgotten after this long without failures.
    pub forget_after: Duration,
    /// Bound on accounts and IPs held at once.
    pub max_keys: usize,
    /// IPv6 clients are counted per network of this prefix (a /64 by default), so rotating
    /// through one subscriber's addresses does not reset the per-IP count.
    pub ipv6_prefix: u8,
}

impl Default for LoginPolicy {
    /// 5 free failures per account, 20 per IP, then 1 s doubling up to 15 min, counts
    /// forgotten after 1 h without failures, at most 100 000 keys.
    fn default() -> Self {
        Self {
            free_per_account: 5,
            free_per_ip: 20,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(15 * 60),
            forget_after: Duration::from_secs(3600),
            max_keys: 100_000,
            ipv6_prefix: super::ip::DEFAULT_IPV6_PREFIX,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
}

/// Throttles login attempts. Check before verifying the password, then record the outcome.
///
/// ```
/// use portcullis::throttle::{LoginGuard, LoginPolicy};
/// let guard = LoginGuard::new(LoginPolicy { free_per_account: 1, ..LoginPolicy::default() });
/// let ip = "192.0.2.1".parse().unwrap();
/// assert!(guard.check("alice", ip).is_ok());
/// guard.record_failure("alice", ip);   // whether or not `alice` exists
/// guard.record_failure("alice", ip);
/// let problem = guard.check("alice", ip).unwrap_err();
/// assert_eq!(problem.status(), 429);
/// ```
#[derive(Debug)]
pub struct LoginGuard {
    policy: LoginPolicy,
    failures: Mutex<HashMap<String, Failures>>,
}

impl LoginGuard {
    /// A guard with `policy`.
    pub fn new(policy: LoginPolicy) -> Self {
        Self {
            policy,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn map(&self) -> MutexGuard<'_, HashMap<String, Failures>> {
        // Plain inserts and removals cannot leave the map inconsistent; a poisoned lock is usable.
        self.failures.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn keys(&self, account: &str, ip: IpAddr) -> (String, String) {
        (
            bounded_key(&super::key::account(account)).to_owned(),
            format!(
                "login-ip:{}",
                super::ip::client_network(ip, self.policy.ipv6_prefix)
            ),
        )
    }

    fn delay(&self, failures: u32, free: u32) -> Duration {
        if failures < free {
            return Duration::ZERO;
        }
        let doublings = (failures - free).min(30);
        self.policy
            .base_delay
            .saturating_mul(1 << doublings)
            .min(self.policy.max_delay)
    }

    fn wait(&self, f: Option<&Failures>, free: u32, now: Instant) -> Duration {
        let Some(f) = f else { return Duration::ZERO };
        if now.duration_since(f.last) >= self.policy.forget_after {
            return Duration::ZERO;
        }
        (f.last + self.delay(f.count, free)).saturating_duration_since(now)
    }

    /// Whether an attempt for `account` from `ip` may proceed now; otherwise the 429 problem
    /// with `Retry-After`. The answer is the same whether or not the account exists.
    #[allow(clippy::result_large_err)] // `Problem` is the crate's one rejection type
    pub fn check(&self, account: &str, ip: IpAddr) -> Result<(), Problem> {
        let (acc, ipk) = self.keys(account, ip);
        let now = Instant::now();
        let map = self.map();
        let wait = self
            .wait(map.get(&acc), self.policy.free_per_account, now)
            .max(self.wait(map.get(&ipk), self.policy.free_per_ip, now));
        drop(map);
        if wait.is_zero() {
            return Ok(());
        }
        tracing::warn!(target: TARGET, %ip, reason = "login_throttled", "login attempt delayed");
        Err(Decision {
            allowed: false,
            limit: self.policy.free_per_account,
            remaining: 0,
            reset: wait,
            retry_after: Some(wait),
        }
        .to_problem())
    }

    /// Checks and counts an attempt in one step, before the password is verified: the attempt
    /// counts as a failure from now on, so parallel guesses for one account see each other's
    /// counts (with `check` + `record_failure`, all of N concurrent guesses passed the check
    /// before any was recorded). Report the outcome on the returned [`LoginAttempt`]; one that
    /// is dropped without an outcome (a cancelled request) stays counted as a failure.
    ///
    /// ```
    /// use portcullis::throttle::{LoginGuard, LoginPolicy};
    /// let guard = LoginGuard::new(LoginPolicy { free_per_account: 2, ..LoginPolicy::default() });
    /// let ip = "192.0.2.1".parse().unwrap();
    /// let first = guard.reserve("alice", ip).unwrap();
    /// let second = guard.reserve("alice", ip).unwrap(); // in flight at the same time
    /// assert!(guard.reserve("alice", ip).is_err());     // a third waits for the delay
    /// first.succeeded();                                 // clears the account's count
    /// drop(second);
    /// assert!(guard.reserve("alice", ip).is_ok());
    /// ```
    #[allow(clippy::result_large_err)] // `Problem` is the crate's one rejection type
    pub fn reserve(&self, account: &str, ip: IpAddr) -> Result<LoginAttempt<'_>, Problem> {
        let (acc, ipk) = self.keys(account, ip);
        let now = Instant::now();
        let mut map = self.map();
        let wait = self
            .wait(map.get(&acc), self.policy.free_per_account, now)
            .max(self.wait(map.get(&ipk), self.policy.free_per_ip, now));
        if !wait.is_zero() {
            drop(map);
            tracing::warn!(target: TARGET, %ip, reason = "login_throttled", "login attempt delayed");
            return Err(Decision {
                allowed: false,
                limit: self.policy.free_per_account,
                remaining: 0,
                reset: wait,
                retry_after: Some(wait),
            }
            .to_problem());
        }
        self.count_failure(&mut map, [acc.clone(), ipk.clone()], now);
        Ok(LoginAttempt {
            guard: self,
            account: acc,
            ip: ipk,
        })
    }

    /// Records a failed attempt (wrong password or unknown account alike).
    pub fn record_failure(&self, account: &str, ip: IpAddr) {
        let (acc, ipk) = self.keys(account, ip);
        let now = Instant::now();
        let mut map = self.map();
        self.count_failure(&mut map, [acc, ipk], now);
    }

    fn count_failure(
        &self,
        map: &mut MutexGuard<'_, HashMap<String, Failures>>,
        keys: [String; 2],
        now: Instant,
    ) {
        let forget = self.policy.forget_after;
        if map.len() + 2 > self.policy.max_keys {
            map.retain(|_, f| now.duration_since(f.last) < forget);
        }
        if map.len() + 2 > self.policy.max_keys {
            // Still full of recent failures: drop the oldest half rather than grow.
            let mut lasts: Vec<Instant> = map.values().map(|f| f.last).collect();
            let mid = lasts.len() / 2;
            let (_, cut, _) = lasts.select_nth_unstable(mid);
            let cut = *cut;
            map.retain(|_, f| f.last > cut);
            tracing::warn!(target: TARGET, reason = "login_guard_full", "login guard full; oldest failure counts dropped");
        }
        for k in keys {
            let e = map.entry(k).or_insert(Failures {
                count: 0,
                last: now,
            });
            if now.duration_since(e.last) >= forget {
                e.count = 0;
            }
            e.count = e.count.saturating_add(1);
            e.last = now;
        }
    }

    /// Accounts and IPs with a failure count held right now.
    pub fn len(&self) -> usize {
        self.map().len()
    }

    /// Whether no failure count is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Records a successful login: clears the account's count. The IP's count stays, so an
    /// attacker cannot wash it by logging into an account of their own between guesses.
    pub fn record_success(&self, account: &str, ip: IpAddr) {
        let (acc, _) = self.keys(account, ip);
        self.map().remove(&acc);
    }

    /// Runs one login attempt: reserves it, runs `verify`, reports its outcome. `verify` must
    /// take the same time for unknown accounts (e.g. a dummy password hash) and return the
    /// same error for them.
    pub async fn attempt<T, E, F>(
        &self,
        account: &str,
        ip: IpAddr,
        verify: F,
    ) -> Result<Result<T, E>, Problem>
    where
        F: Future<Output = Result<T, E>>,
    {
        let attempt = self.reserve(account, ip)?;
        let outcome = verify.await;
        if outcome.is_ok() {
            attempt.succeeded();
        }
        Ok(outcome)
    }
}

/// A login attempt [`LoginGuard::reserve`] let through, counted as a failure until
/// [`succeeded`](Self::succeeded) says otherwise.
#[derive(Debug)]
#[must_use = "report a successful login with `succeeded()`; dropping counts it as a failure"]
pub struct LoginAttempt<'g> {
    guard: &'g LoginGuard,
    account: String,
    ip: String,
}

impl LoginAttempt<'_> {
    /// The password was right: clears the account's count and takes this attempt off the
    /// IP's (earlier failures from the IP stay, so logging into an account of one's own
    /// between guesses does not wash them).
    pub fn succeeded(self) {
        let mut map = self.guard.map();
        map.remove(&self.account);
        if let Some(f) = map.get_mut(&self.ip) {
            f.count = f.count.saturating_sub(1);
        }
    }

    /// The password was wrong (or the account unknown): the reserved failure stays counted.
    /// The same as dropping the attempt; says so in the code.
    pub fn failed(self) {}
}
