//! Login defence (CWE-307): failed logins are counted per submitted account name and per
//! client IP; past a few free failures each further one doubles the wait, up to a cap. A
//! success clears the account's count. The account name is counted whether or not such an
//! account exists, so the answers never tell the two apart.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::{Decision, TARGET, bounded_key};
use crate::http::problem::Problem;

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
    /// Bound on accounts and IPs held at once (at least 2). When it is reached, counts past
    /// their `forget_after` go first, then the counts still within their free failures (the
    /// lowest, least recently failed first). A *delayed* count (past its free failures and not
    /// yet forgotten) is never dropped: if the guard holds nothing else, attempts that would
    /// need a new account or IP entry are refused with 429 until the oldest count is forgotten
    /// (fail closed; logged at WARN). Keys already held keep being counted.
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
    /// A per-IP count (its free failures are `free_per_ip`), not a per-account one.
    ip: bool,
}

/// The counts, and until when the map is known to hold only delayed counts (so a full guard
/// does not rescan the whole map on every attempt).
#[derive(Debug, Default)]
struct State {
    map: HashMap<String, Failures>,
    full_until: Option<Instant>,
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
    state: Mutex<State>,
}

impl LoginGuard {
    /// A guard with `policy`.
    pub fn new(policy: LoginPolicy) -> Self {
        Self {
            policy,
            state: Mutex::new(State::default()),
        }
    }

    fn map(&self) -> MutexGuard<'_, State> {
        // Plain inserts and removals cannot leave the map inconsistent; a poisoned lock is usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn max_keys(&self) -> usize {
        // One attempt may need two new entries (account and IP).
        self.policy.max_keys.max(2)
    }

    fn free(&self, f: &Failures) -> u32 {
        if f.ip {
            self.policy.free_per_ip
        } else {
            self.policy.free_per_account
        }
    }

    /// A count that delays attempts (past its free failures, not yet forgotten): never evicted.
    fn delaying(&self, f: &Failures, now: Instant) -> bool {
        f.count >= self.free(f) && now.duration_since(f.last) < self.policy.forget_after
    }

    /// Makes room for the keys of `keys` not held yet. `Err(wait)` when every held count is
    /// delaying: the caller refuses the attempt (fail closed) for `wait`.
    fn make_room(&self, state: &mut State, keys: &[String], now: Instant) -> Result<(), Duration> {
        let needed = keys.iter().filter(|k| !state.map.contains_key(*k)).count();
        let max = self.max_keys();
        if state.map.len() + needed <= max {
            return Ok(());
        }
        if let Some(until) = state.full_until {
            if now < until {
                return Err(until - now);
            }
            state.full_until = None;
        }
        let forget = self.policy.forget_after;
        state.map.retain(|_, f| now.duration_since(f.last) < forget);
        if state.map.len() + needed <= max {
            return Ok(());
        }
        // Still full of recent failures: drop counts within their free failures, lowest and
        // oldest first, a batch at a time so the scan is paid once per many attempts.
        let mut spare: Vec<(u32, Instant, String)> = state
            .map
            .iter()
            .filter(|(_, f)| !self.delaying(f, now))
            .map(|(k, f)| (f.count, f.last, k.clone()))
            .collect();
        let excess = state.map.len() + needed - max;
        if spare.len() < max / 8 {
            // Nearly all counts are delaying: the next scans would find little, so none for a
            // second (attempts needing room meanwhile are refused).
            state.full_until = Some(now + Duration::from_secs(1));
        }
        let batch = excess.max(max / 8).min(spare.len());
        if batch > 0 {
            if batch < spare.len() {
                spare.select_nth_unstable_by(batch - 1, |a, b| (a.0, a.1).cmp(&(b.0, b.1)));
            }
            for (_, _, k) in spare.drain(..batch) {
                state.map.remove(&k);
            }
            tracing::warn!(target: TARGET, reason = "login_guard_full", dropped = batch,
                "login guard full; counts still within their free failures dropped (raise max_keys)");
        }
        if state.map.len() + needed <= max {
            return Ok(());
        }
        // Only delaying counts are left: refuse new keys until the oldest is forgotten.
        let oldest = state.map.values().map(|f| f.last).min().unwrap_or(now);
        let until = (oldest + forget).max(now + Duration::from_secs(1));
        state.full_until = Some(until);
        tracing::warn!(target: TARGET, reason = "login_guard_refusing", max_keys = max,
            "login guard full of delayed accounts and IPs; attempts needing a new entry are refused (raise max_keys)");
        Err(until - now)
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
        let mut state = self.map();
        let mut wait = self.current_wait(&state, &acc, &ipk, now);
        if wait.is_zero() {
            // Fail closed when the failure could not be counted afterwards.
            if let Err(full) = self.make_room(&mut state, &[acc, ipk], now) {
                wait = full;
            }
        }
        drop(state);
        if wait.is_zero() {
            return Ok(());
        }
        Err(self.refuse(ip, wait))
    }

    fn current_wait(&self, state: &State, acc: &str, ipk: &str, now: Instant) -> Duration {
        self.wait(state.map.get(acc), self.policy.free_per_account, now)
            .max(self.wait(state.map.get(ipk), self.policy.free_per_ip, now))
    }

    fn refuse(&self, ip: IpAddr, wait: Duration) -> Problem {
        tracing::warn!(target: TARGET, %ip, reason = "login_throttled", "login attempt delayed");
        Decision {
            allowed: false,
            limit: self.policy.free_per_account,
            remaining: 0,
            reset: wait,
            retry_after: Some(wait),
        }
        .to_problem()
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
        let mut state = self.map();
        let wait = self.current_wait(&state, &acc, &ipk, now);
        if !wait.is_zero() {
            drop(state);
            return Err(self.refuse(ip, wait));
        }
        if let Err(wait) = self.count_failure(&mut state, [acc.clone(), ipk.clone()], now) {
            drop(state);
            return Err(self.refuse(ip, wait));
        }
        Ok(LoginAttempt {
            guard: self,
            account: acc,
            ip: ipk,
        })
    }

    /// Records a failed attempt (wrong password or unknown account alike). When the guard is
    /// full of delayed counts (see [`LoginPolicy::max_keys`]), a key not held yet is not
    /// counted; [`check`](Self::check) already refused such attempts, and
    /// [`reserve`](Self::reserve) refuses them in the same step.
    pub fn record_failure(&self, account: &str, ip: IpAddr) {
        let (acc, ipk) = self.keys(account, ip);
        let now = Instant::now();
        let mut state = self.map();
        let keys = [acc, ipk];
        if self.count_failure(&mut state, keys.clone(), now).is_err() {
            // Still count what is held: a known account or IP keeps growing its delay.
            for k in &keys {
                if let Some(f) = state.map.get_mut(k) {
                    self.bump(f, now);
                }
            }
        }
    }

    fn bump(&self, f: &mut Failures, now: Instant) {
        if now.duration_since(f.last) >= self.policy.forget_after {
            f.count = 0;
        }
        f.count = f.count.saturating_add(1);
        f.last = now;
    }

    /// Counts one failure for both keys; `Err(wait)` (nothing counted) when there is no room.
    fn count_failure(
        &self,
        state: &mut State,
        keys: [String; 2],
        now: Instant,
    ) -> Result<(), Duration> {
        self.make_room(state, &keys, now)?;
        for (i, k) in keys.into_iter().enumerate() {
            let f = state.map.entry(k).or_insert(Failures {
                count: 0,
                last: now,
                ip: i == 1,
            });
            self.bump(f, now);
        }
        Ok(())
    }

    /// Accounts and IPs with a failure count held right now.
    pub fn len(&self) -> usize {
        self.map().map.len()
    }

    /// Whether no failure count is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Records a successful login: clears the account's count. The IP's count stays, so an
    /// attacker cannot wash it by logging into an account of their own between guesses.
    pub fn record_success(&self, account: &str, ip: IpAddr) {
        let (acc, _) = self.keys(account, ip);
        self.map().map.remove(&acc);
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
        let mut state = self.guard.map();
        state.map.remove(&self.account);
        if let Some(f) = state.map.get_mut(&self.ip) {
            f.count = f.count.saturating_sub(1);
        }
    }

    /// The password was wrong (or the account unknown): the reserved failure stays counted.
    /// The same as dropping the attempt; says so in the code.
    pub fn failed(self) {}
}
