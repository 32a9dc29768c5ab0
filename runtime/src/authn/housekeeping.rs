//! Expiry housekeeping: one background task that deletes what has expired from the token and
//! session stores on a schedule.
//!
//! Expired revocations, refresh tokens and sessions are already ignored when read, so nothing
//! here decides access; without a purge, though, the tables and key spaces only grow. Redis
//! keys carry their own TTL, so the Redis stores' purges are cheap no-ops; the database stores
//! delete by their indexed expiry column. Several instances may run the task at once: each
//! purge is one idempotent `DELETE`.
//!
//! The schedule: the first purge one period after [`Housekeeping::spawn`], then one per period
//! (default 15 minutes); a slow purge delays the next tick rather than piling them up. A failing
//! purge is logged at WARN under `portcullis::authn` and retried on the next tick; the others
//! still run. Each purge logs its count at DEBUG.
//!
//! ```
//! use portcullis::authn::housekeeping::Housekeeping;
//! use portcullis::authn::revocation::{MemoryRevocationStore, RevocationStore};
//! use std::sync::Arc;
//! use std::time::Duration;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let revoked: Arc<dyn RevocationStore> = Arc::new(MemoryRevocationStore::new());
//! // A token that expired long ago, revoked: nothing needs its entry any more.
//! revoked.revoke("jti-1", 1_000).await?;
//! let housekeeping = Housekeeping::new().revocations(revoked.clone());
//! assert_eq!(housekeeping.run_once().await, [("revocations", Some(1))]);
//! // In an application: purge every 10 minutes until the task is dropped.
//! let _task = housekeeping.every(Duration::from_secs(600)).spawn()?;
//! # Ok(()) }
//! ```

use crate::authn::StoreError;
use crate::authn::refresh::{RefreshService, RefreshStore};
use crate::authn::revocation::RevocationStore;
use crate::model::BoxFuture;
use std::sync::Arc;
use std::time::Duration;

type PurgeFn = Box<dyn Fn() -> BoxFuture<'static, Result<u64, StoreError>> + Send + Sync>;

struct Job {
    name: &'static str,
    purge: PurgeFn,
}

/// The purges to run and how often; [`spawn`](Self::spawn) starts them (see the
/// [module docs](self)).
///
/// # Examples
///
/// ```
/// use portcullis::authn::housekeeping::Housekeeping;
///
/// // Any purge of your own, e.g. an application table of one-time codes.
/// let housekeeping = Housekeeping::new().job("one-time codes", || Box::pin(async { Ok(0) }));
/// assert_eq!(housekeeping.job_names(), ["one-time codes"]);
/// ```
pub struct Housekeeping {
    period: Duration,
    jobs: Vec<Job>,
}

impl Default for Housekeeping {
    fn default() -> Self {
        Self::new()
    }
}

/// A period [`Housekeeping::spawn`] refuses: shorter than a second (a zero period would spin).
///
/// # Examples
///
/// ```
/// use portcullis::authn::housekeeping::Housekeeping;
/// use std::time::Duration;
///
/// let err = Housekeeping::new().every(Duration::ZERO).spawn().err().unwrap();
/// assert_eq!(err.to_string(), "housekeeping period must be at least 1 s, got 0 ns");
/// ```
#[derive(Debug, thiserror::Error)]
#[error("housekeeping period must be at least 1 s, got {} ns", .0.as_nanos())]
pub struct InvalidPeriod(pub Duration);

impl Housekeeping {
    /// The default period: 15 minutes.
    pub const DEFAULT_PERIOD: Duration = Duration::from_secs(15 * 60);

    /// No purges yet, the default period.
    ///
    /// # Examples
    ///
    /// ```
    /// use portcullis::authn::housekeeping::Housekeeping;
    ///
    /// assert!(Housekeeping::new().job_names().is_empty());
    /// ```
    pub fn new() -> Self {
        Self {
            period: Self::DEFAULT_PERIOD,
            jobs: Vec::new(),
        }
    }

    /// Runs the purges every `period` (at least a second; checked by [`spawn`](Self::spawn)).
    ///
    /// # Examples
    ///
    /// ```
    /// use portcullis::authn::housekeeping::Housekeeping;
    /// use std::time::Duration;
    ///
    /// let hourly = Housekeeping::new().every(Duration::from_secs(3600));
    /// # let _ = hourly;
    /// ```
    pub fn every(mut self, period: Duration) -> Self {
        self.period = period;
        self
    }

    /// Purges revocations of tokens that have expired (past the verification leeway).
    ///
    /// # Examples
    ///
    /// ```
    /// use portcullis::authn::housekeeping::Housekeeping;
    /// use portcullis::authn::revocation::MemoryRevocationStore;
    /// use std::sync::Arc;
    ///
    /// let h = Housekeeping::new().revocations(Arc::new(MemoryRevocationStore::new()));
    /// assert_eq!(h.job_names(), ["revocations"]);
    /// ```
    pub fn revocations(self, store: Arc<dyn RevocationStore>) -> Self {
        self.job("revocations", move || {
            let store = store.clone();
            Box::pin(async move { store.purge_expired().await })
        })
    }

    /// Purges refresh tokens and families past their expiry.
    ///
    /// # Examples
    ///
    /// ```
    /// use portcullis::authn::housekeeping::Housekeeping;
    /// use portcullis::authn::refresh::{MemoryRefreshStore, RefreshService};
    /// use std::sync::Arc;
    ///
    /// let refresh = Arc::new(RefreshService::new(MemoryRefreshStore::new()));
    /// let h = Housekeeping::new().refresh_tokens(refresh);
    /// assert_eq!(h.job_names(), ["refresh tokens"]);
    /// ```
    pub fn refresh_tokens<S: RefreshStore>(self, service: Arc<RefreshService<S>>) -> Self {
        self.job("refresh tokens", move || {
            let service = service.clone();
            Box::pin(async move { service.store().purge_expired().await })
        })
    }

    /// Purges sessions past their idle or absolute timeout.
    ///
    /// # Examples
    ///
    /// ```
    /// use portcullis::authn::housekeeping::Housekeeping;
    /// use portcullis::authn::session::{MemorySessionStore, SessionConfig, SessionManager};
    /// use std::sync::Arc;
    ///
    /// let sessions = Arc::new(SessionManager::new(MemorySessionStore::new(), SessionConfig::default()));
    /// let h = Housekeeping::new().sessions(sessions);
    /// assert_eq!(h.job_names(), ["sessions"]);
    /// ```
    #[cfg(feature = "session")]
    pub fn sessions<S: crate::authn::session::SessionStore>(
        self,
        manager: Arc<crate::authn::session::SessionManager<S>>,
    ) -> Self {
        self.job("sessions", move || {
            let manager = manager.clone();
            Box::pin(async move { manager.purge_expired().await })
        })
    }

    /// Adds a purge of your own, named in logs.
    ///
    /// # Examples
    ///
    /// ```
    /// use portcullis::authn::housekeeping::Housekeeping;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let h = Housekeeping::new().job("exports", || Box::pin(async { Ok(3) }));
    /// assert_eq!(h.run_once().await, [("exports", Some(3))]);
    /// # }
    /// ```
    pub fn job(
        mut self,
        name: &'static str,
        purge: impl Fn() -> BoxFuture<'static, Result<u64, StoreError>> + Send + Sync + 'static,
    ) -> Self {
        self.jobs.push(Job {
            name,
            purge: Box::new(purge),
        });
        self
    }

    /// The purges' names, in the order they run.
    ///
    /// # Examples
    ///
    /// ```
    /// use portcullis::authn::housekeeping::Housekeeping;
    ///
    /// assert!(Housekeeping::new().job_names().is_empty());
    /// ```
    pub fn job_names(&self) -> Vec<&'static str> {
        self.jobs.iter().map(|j| j.name).collect()
    }

    /// Runs every purge once, in order, and returns each one's count (`None` for a failed
    /// one, which is logged at WARN; the others still run).
    ///
    /// # Examples
    ///
    /// ```
    /// use portcullis::authn::StoreError;
    /// use portcullis::authn::housekeeping::Housekeeping;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let h = Housekeeping::new()
    ///     .job("down", || Box::pin(async { Err(StoreError::Unavailable("redis".into())) }))
    ///     .job("fine", || Box::pin(async { Ok(2) }));
    /// assert_eq!(h.run_once().await, [("down", None), ("fine", Some(2))]);
    /// # }
    /// ```
    pub async fn run_once(&self) -> Vec<(&'static str, Option<u64>)> {
        let mut out = Vec::with_capacity(self.jobs.len());
        for job in &self.jobs {
            let result = match (job.purge)().await {
                Ok(n) => {
                    tracing::debug!(target: "portcullis::authn", job = job.name, purged = n, "housekeeping purge");
                    Some(n)
                }
                Err(e) => {
                    tracing::warn!(
                        target: "portcullis::authn",
                        reason = "housekeeping_purge_failed",
                        job = job.name,
                        error = %e,
                        "housekeeping purge failed; retried next period"
                    );
                    None
                }
            };
            out.push((job.name, result));
        }
        out
    }

    /// Starts the task on the current Tokio runtime; it stops when the returned handle is
    /// dropped. A period under a second is refused.
    ///
    /// # Examples
    ///
    /// ```
    /// use portcullis::authn::housekeeping::Housekeeping;
    /// use std::time::Duration;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let task = Housekeeping::new().every(Duration::from_secs(60)).spawn()?;
    /// drop(task); // stops it
    /// # Ok(()) }
    /// ```
    pub fn spawn(self) -> Result<HousekeepingTask, InvalidPeriod> {
        if self.period < Duration::from_secs(1) {
            return Err(InvalidPeriod(self.period));
        }
        let period = self.period;
        let handle = tokio::spawn(async move {
            let start = tokio::time::Instant::now() + period;
            let mut tick = tokio::time::interval_at(start, period);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                self.run_once().await;
            }
        });
        Ok(HousekeepingTask { handle })
    }
}

/// The running housekeeping task; dropping it stops the task.
///
/// # Examples
///
/// ```
/// use portcullis::authn::housekeeping::Housekeeping;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let task = Housekeeping::new().spawn()?;
/// assert!(!task.is_finished());
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct HousekeepingTask {
    handle: tokio::task::JoinHandle<()>,
}

impl HousekeepingTask {
    /// Whether the task has stopped (it only stops when dropped or when its runtime shuts
    /// down).
    ///
    /// # Examples
    ///
    /// ```
    /// use portcullis::authn::housekeeping::Housekeeping;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// assert!(!Housekeeping::new().spawn()?.is_finished());
    /// # Ok(()) }
    /// ```
    pub fn is_finished(&self) -> bool {
        self.handle.is_finished()
    }
}

impl Drop for HousekeepingTask {
    fn drop(&mut self) {
        self.handle.abort();
    }
}
