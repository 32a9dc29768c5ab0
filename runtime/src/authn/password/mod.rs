//! Password hashing with argon2id and a NIST SP 800-63B password policy.
//!
//! Hashing is deliberately slow and memory-hungry, so [`PasswordHasher`] runs it on tokio's
//! blocking pool behind a semaphore sized to the machine: a login flood queues instead of
//! allocating 19 MiB per concurrent attempt. Passwords are NFKC-normalised before hashing, so
//! the same passphrase typed on different keyboards verifies.
//!
//! ```
//! use portcullis::authn::password::PasswordHasher;
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::password::PasswordError> {
//! let hasher = PasswordHasher::owasp();
//! let phc = hasher.hash("correct horse battery staple").await?;
//! assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
//! assert!(hasher.verify("correct horse battery staple", &phc).await?);
//! assert!(!hasher.verify("wrong", &phc).await?);
//! assert!(!hasher.burn_verify("whatever").await); // unknown account: same cost, always false
//! assert!(!hasher.needs_rehash(&phc));
//! # Ok(()) }
//! ```

mod policy;

pub use policy::{PasswordPolicy, PolicyViolation, blocklist_len, violations_problem};

use crate::http::problem::Problem;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::Engine;
use std::sync::{Arc, Mutex};
use tokio::sync::Semaphore;
use unicode_normalization::UnicodeNormalization;

/// Longest password (in bytes, after normalisation) that is hashed at all.
///
/// ```
/// use portcullis::authn::password::{MAX_PASSWORD_BYTES, PasswordError, PasswordHasher};
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let hasher = PasswordHasher::owasp();
/// let huge = "x".repeat(MAX_PASSWORD_BYTES + 1);
/// assert!(matches!(hasher.hash(&huge).await, Err(PasswordError::TooLong)));
/// # });
/// ```
pub const MAX_PASSWORD_BYTES: usize = 4096;

/// A hashing failure (never a wrong password: that is `Ok(false)`).
///
/// ```
/// use portcullis::authn::password::{PasswordError, PasswordHasher};
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let hasher = PasswordHasher::owasp();
/// let err = hasher.verify("pw", "not a PHC string").await.unwrap_err();
/// assert!(matches!(err, PasswordError::BadHash));
/// let problem = portcullis::Problem::from(err); // logged; the client sees a 500
/// assert_eq!(problem.status(), http::StatusCode::INTERNAL_SERVER_ERROR);
/// # });
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PasswordError {
    /// Argon2 parameters out of range.
    #[error("invalid argon2 parameters: {0}")]
    Params(String),
    /// The password is longer than [`MAX_PASSWORD_BYTES`].
    #[error("password longer than {MAX_PASSWORD_BYTES} bytes")]
    TooLong,
    /// The stored hash is not a PHC string this hasher understands.
    #[error("stored password hash is not a valid argon2 PHC string")]
    BadHash,
    /// Hashing failed, the OS RNG failed, or the blocking task was lost.
    #[error("password hashing failed: {0}")]
    Internal(String),
}

impl From<PasswordError> for Problem {
    fn from(e: PasswordError) -> Self {
        tracing::error!(target: "portcullis::authn", error = %e, "password hashing error");
        Problem::internal()
    }
}

/// Argon2id cost parameters. Defaults are OWASP's: m = 19,456 KiB, t = 2, p = 1.
///
/// ```
/// use portcullis::authn::password::{PasswordConfig, PasswordHasher};
/// let config = PasswordConfig { m_cost_kib: 64 * 1024, t_cost: 3, ..PasswordConfig::default() };
/// let hasher = PasswordHasher::new(config).unwrap();
/// assert_eq!(PasswordConfig::default().m_cost_kib, 19_456);
/// # let _ = hasher;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordConfig {
    /// Memory in KiB.
    pub m_cost_kib: u32,
    /// Iterations.
    pub t_cost: u32,
    /// Parallelism (lanes).
    pub p_cost: u32,
    /// How many hashes may run at once (default: the number of CPUs).
    pub max_concurrent: usize,
}

impl Default for PasswordConfig {
    fn default() -> Self {
        Self {
            m_cost_kib: 19_456,
            t_cost: 2,
            p_cost: 1,
            max_concurrent: std::thread::available_parallelism().map_or(2, |n| n.get()),
        }
    }
}

/// Hashes and verifies passwords. Cheap to clone (shares its semaphore).
///
/// ```
/// use portcullis::authn::password::{PasswordConfig, PasswordHasher};
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// // Cheap parameters keep the example fast; use `PasswordHasher::owasp()` in production.
/// let cheap = PasswordConfig { m_cost_kib: 64, t_cost: 1, ..PasswordConfig::default() };
/// let hasher = PasswordHasher::new(cheap).unwrap();
/// let phc = hasher.hash("a long passphrase").await.unwrap();
/// assert!(hasher.verify("a long passphrase", &phc).await.unwrap());
/// # });
/// ```
#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    permits: Arc<Semaphore>,
    /// argon2's working memory, one buffer per permit, reused: at most `max_concurrent`
    /// buffers of `m_cost` ever exist, whatever the allocator does with freed memory.
    buffers: Arc<Mutex<Vec<Vec<Block>>>>,
    /// A PHC string with this hasher's parameters and random salt/output: verifying against it
    /// costs exactly one argon2 run and never succeeds.
    dummy: Arc<str>,
}

/// A working-memory buffer on loan from the hasher's pool; returned when dropped (also when
/// the hash fails or panics).
struct Loan {
    pool: Arc<Mutex<Vec<Vec<Block>>>>,
    blocks: Vec<Block>,
}

impl Loan {
    /// Takes a buffer of at least `blocks` blocks: a pooled one, or a new one (the pool starts
    /// empty and fills up to one buffer per permit). Runs inside the blocking job, which holds
    /// a permit, so no more buffers than permits are ever lent.
    fn take(pool: &Arc<Mutex<Vec<Vec<Block>>>>, blocks: usize) -> Self {
        let pooled = pool
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .pop();
        let mut buf = pooled.unwrap_or_default();
        if buf.len() < blocks {
            buf = vec![Block::default(); blocks];
        }
        Self {
            pool: pool.clone(),
            blocks: buf,
        }
    }
}

impl Drop for Loan {
    fn drop(&mut self) {
        let blocks = std::mem::take(&mut self.blocks);
        self.pool
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(blocks);
    }
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("m_cost_kib", &self.params.m_cost())
            .field("t_cost", &self.params.t_cost())
            .field("p_cost", &self.params.p_cost())
            .finish_non_exhaustive()
    }
}

fn argon2(params: Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// NFKC, capped: the raw bytes are checked before normalising (NFKC can expand a character
/// 18-fold, so an uncapped 2 MiB input cost 23 MiB and hundreds of ms), the result after.
fn normalize(password: &str) -> Result<String, PasswordError> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(PasswordError::TooLong);
    }
    let n: String = password.nfkc().collect();
    if n.len() > MAX_PASSWORD_BYTES {
        return Err(PasswordError::TooLong);
    }
    Ok(n)
}

/// argon2id over `password` into `out` with memory from the hasher's pool (or, for a stored
/// hash costlier than the hasher's parameters, a buffer of its own for this one call).
fn argon2_into(
    argon: &Argon2<'_>,
    params: &Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
    pool: &Arc<Mutex<Vec<Vec<Block>>>>,
    pooled_blocks: usize,
) -> Result<(), PasswordError> {
    let needed = params.block_count();
    let internal = |e: argon2::Error| PasswordError::Internal(e.to_string());
    if needed <= pooled_blocks {
        let mut loan = Loan::take(pool, pooled_blocks);
        argon
            .hash_password_into_with_memory(password, salt, out, &mut loan.blocks[..needed])
            .map_err(internal)
    } else {
        tracing::debug!(target: "portcullis::authn", m_cost_kib = params.m_cost(),
            "stored hash costs more memory than the hasher's parameters; rehash it");
        argon
            .hash_password_into_with_memory(password, salt, out, vec![Block::default(); needed])
            .map_err(internal)
    }
}

fn salt() -> Result<SaltString, PasswordError> {
    let bytes = crate::authn::util::random_bytes::<16>()
        .map_err(|e| PasswordError::Internal(format!("OS RNG: {e}")))?;
    SaltString::encode_b64(&bytes).map_err(|e| PasswordError::Internal(e.to_string()))
}

impl PasswordHasher {
    /// A hasher with OWASP's parameters.
    ///
    /// ```
    /// use portcullis::authn::password::PasswordHasher;
    /// let hasher = PasswordHasher::owasp();
    /// assert!(format!("{hasher:?}").contains("m_cost_kib: 19456, t_cost: 2, p_cost: 1"));
    /// ```
    pub fn owasp() -> Self {
        // The default parameters are valid constants; `new` only fails on out-of-range values
        // or an OS RNG failure, and the fallback below covers both without panicking.
        Self::new(PasswordConfig::default()).unwrap_or_else(|_| Self {
            params: Params::default(),
            permits: Arc::new(Semaphore::new(1)),
            buffers: Arc::new(Mutex::new(Vec::new())),
            dummy: Arc::from(""),
        })
    }

    /// A hasher with `config`; fails on parameters argon2 refuses. Costs below OWASP's are
    /// allowed (tests use them) but logged at WARN.
    ///
    /// ```
    /// use portcullis::authn::password::{PasswordConfig, PasswordError, PasswordHasher};
    /// let hasher = PasswordHasher::new(PasswordConfig { max_concurrent: 4, ..PasswordConfig::default() });
    /// assert!(hasher.is_ok());
    /// let bad = PasswordHasher::new(PasswordConfig { p_cost: 0, ..PasswordConfig::default() });
    /// assert!(matches!(bad, Err(PasswordError::Params(_))));
    /// ```
    pub fn new(config: PasswordConfig) -> Result<Self, PasswordError> {
        let params = Params::new(config.m_cost_kib, config.t_cost, config.p_cost, None)
            .map_err(|e| PasswordError::Params(e.to_string()))?;
        if config.m_cost_kib < 19_456 || config.t_cost < 2 {
            tracing::warn!(target: "portcullis::authn", m_cost_kib = config.m_cost_kib, t_cost = config.t_cost, reason = "weak_argon2_cost", "argon2 cost below OWASP's minimum");
        }
        let output = crate::authn::util::random_bytes::<32>()
            .map_err(|e| PasswordError::Internal(format!("OS RNG: {e}")))?;
        let dummy = format!(
            "$argon2id$v=19$m={},t={},p={}${}${}",
            params.m_cost(),
            params.t_cost(),
            params.p_cost(),
            salt()?.as_str(),
            base64::engine::general_purpose::STANDARD_NO_PAD.encode(output)
        );
        Ok(Self {
            params,
            permits: Arc::new(Semaphore::new(config.max_concurrent.max(1))),
            buffers: Arc::new(Mutex::new(Vec::new())),
            dummy: Arc::from(dummy),
        })
    }

    /// Runs `f` on the blocking pool holding a permit. The permit moves into the blocking job:
    /// a caller that goes away (a client that disconnects mid-login) cannot release it while
    /// the hash still runs, so at most `max_concurrent` hashes and buffers ever exist.
    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, PasswordError> {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| PasswordError::Internal("hasher semaphore closed".to_owned()))?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            f()
        })
        .await
        .map_err(|e| PasswordError::Internal(e.to_string()))
    }

    /// Hashes `password` into a PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`).
    ///
    /// ```
    /// use portcullis::authn::password::{PasswordConfig, PasswordHasher};
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// # let hasher = PasswordHasher::new(PasswordConfig { m_cost_kib: 64, t_cost: 1, ..PasswordConfig::default() }).unwrap();
    /// let phc = hasher.hash("a long passphrase").await.unwrap();
    /// assert!(phc.starts_with("$argon2id$v=19$"));
    /// assert_ne!(phc, hasher.hash("a long passphrase").await.unwrap()); // random salt
    /// # });
    /// ```
    pub async fn hash(&self, password: &str) -> Result<String, PasswordError> {
        if password.len() > MAX_PASSWORD_BYTES {
            return Err(PasswordError::TooLong);
        }
        let password = password.to_owned();
        let salt = salt()?;
        let params = self.params.clone();
        let pool = self.buffers.clone();
        self.blocking(move || {
            let pw = normalize(&password)?;
            let internal = |e: argon2::password_hash::Error| PasswordError::Internal(e.to_string());
            let mut salt_buf = [0u8; 64];
            let salt_bytes = salt.as_salt().decode_b64(&mut salt_buf).map_err(internal)?;
            let argon = argon2(params.clone());
            let len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
            let mut out = vec![0u8; len];
            argon2_into(
                &argon,
                &params,
                pw.as_bytes(),
                salt_bytes,
                &mut out,
                &pool,
                params.block_count(),
            )?;
            let phc = PasswordHash {
                algorithm: argon2::ARGON2ID_IDENT,
                version: Some(Version::V0x13.into()),
                params: ParamsString::try_from(&params).map_err(internal)?,
                salt: Some(salt.as_salt()),
                hash: Some(Output::new(&out).map_err(internal)?),
            };
            Ok(phc.to_string())
        })
        .await?
    }

    /// Whether `password` matches the stored PHC string (with the parameters stored in it).
    /// Wrong passwords are `Ok(false)` and logged at WARN without the password.
    ///
    /// ```
    /// use portcullis::authn::password::{PasswordConfig, PasswordHasher};
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// # let hasher = PasswordHasher::new(PasswordConfig { m_cost_kib: 64, t_cost: 1, ..PasswordConfig::default() }).unwrap();
    /// let phc = hasher.hash("a long passphrase").await.unwrap();
    /// assert!(hasher.verify("a long passphrase", &phc).await.unwrap());
    /// assert!(!hasher.verify("a wrong passphrase", &phc).await.unwrap());
    /// # });
    /// ```
    pub async fn verify(&self, password: &str, phc: &str) -> Result<bool, PasswordError> {
        let ok = self.verify_inner(password, phc.to_owned()).await?;
        if !ok {
            tracing::warn!(target: "portcullis::authn", reason = "invalid_credentials", "password verification failed");
        }
        Ok(ok)
    }

    async fn verify_inner(&self, password: &str, phc: String) -> Result<bool, PasswordError> {
        if password.len() > MAX_PASSWORD_BYTES {
            return Ok(false);
        }
        PasswordHash::new(&phc).map_err(|_| PasswordError::BadHash)?;
        let password = password.to_owned();
        let pool = self.buffers.clone();
        let pooled_blocks = self.params.block_count();
        self.blocking(move || {
            // Normalising runs here, inside the concurrency bound.
            let pw = match normalize(&password) {
                Ok(pw) => pw,
                Err(PasswordError::TooLong) => return Ok(false),
                Err(e) => return Err(e),
            };
            let bad = |_| PasswordError::BadHash;
            let hash = PasswordHash::new(&phc).map_err(bad)?;
            let algorithm =
                Algorithm::try_from(hash.algorithm).map_err(|_| PasswordError::BadHash)?;
            let version = hash
                .version
                .map(Version::try_from)
                .transpose()
                .map_err(|_| PasswordError::BadHash)?
                .unwrap_or_default();
            let params = Params::try_from(&hash).map_err(|_| PasswordError::BadHash)?;
            let (Some(expected), Some(salt)) = (hash.hash, hash.salt) else {
                return Err(PasswordError::BadHash);
            };
            let mut salt_buf = [0u8; 64];
            let salt_bytes = salt.decode_b64(&mut salt_buf).map_err(bad)?;
            let argon = Argon2::new(algorithm, version, params.clone());
            let mut out = vec![0u8; expected.len()];
            argon2_into(
                &argon,
                &params,
                pw.as_bytes(),
                salt_bytes,
                &mut out,
                &pool,
                pooled_blocks,
            )?;
            // `Output`'s equality is constant-time.
            Ok(Output::new(&out).map_err(bad)? == expected)
        })
        .await?
    }

    /// Costs what [`verify`](Self::verify) costs and always returns false: call it when the
    /// account does not exist so response time does not reveal which accounts do.
    ///
    /// ```
    /// use portcullis::authn::password::{PasswordConfig, PasswordHasher};
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// # let hasher = PasswordHasher::new(PasswordConfig { m_cost_kib: 64, t_cost: 1, ..PasswordConfig::default() }).unwrap();
    /// # let stored: Option<String> = None;
    /// let ok = match stored.as_deref() {
    ///     Some(phc) => hasher.verify("guess", phc).await.unwrap(),
    ///     None => hasher.burn_verify("guess").await, // no such account: same cost, false
    /// };
    /// assert!(!ok);
    /// # });
    /// ```
    pub async fn burn_verify(&self, password: &str) -> bool {
        let _ = self.verify_inner(password, self.dummy.to_string()).await;
        tracing::warn!(target: "portcullis::authn", reason = "invalid_credentials", "login for unknown account");
        false
    }

    /// Whether `phc` was made with other parameters (or another algorithm) than this hasher's:
    /// after a successful login, hash the password again and store the new string.
    ///
    /// ```
    /// use portcullis::authn::password::{PasswordConfig, PasswordHasher};
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let old = PasswordHasher::new(PasswordConfig { m_cost_kib: 64, t_cost: 1, ..PasswordConfig::default() }).unwrap();
    /// let phc = old.hash("a long passphrase").await.unwrap();
    /// assert!(!old.needs_rehash(&phc));
    /// assert!(PasswordHasher::owasp().needs_rehash(&phc)); // parameters were raised
    /// # });
    /// ```
    pub fn needs_rehash(&self, phc: &str) -> bool {
        let Ok(hash) = PasswordHash::new(phc) else {
            return true;
        };
        if hash.algorithm.as_str() != "argon2id" || hash.version != Some(0x13) {
            return true;
        }
        match Params::try_from(&hash) {
            Ok(p) => {
                p.m_cost() != self.params.m_cost()
                    || p.t_cost() != self.params.t_cost()
                    || p.p_cost() != self.params.p_cost()
            }
            Err(_) => true,
        }
    }

    /// The PHC string `burn_verify` checks against (for tests and benchmarks): same parameters
    /// as [`hash`](Self::hash), random salt and output.
    #[doc(hidden)]
    pub fn burn_target(&self) -> &str {
        &self.dummy
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> PasswordHasher {
        PasswordHasher::new(PasswordConfig {
            m_cost_kib: 64,
            t_cost: 1,
            p_cost: 1,
            max_concurrent: 2,
        })
        .unwrap()
    }

    #[tokio::test]
    async fn hash_verify_roundtrip_and_normalisation() {
        let h = cheap();
        let phc = h.hash("Ｐａｓｓ phrase ñ").await.unwrap();
        // NFKC folds full-width letters: the ASCII spelling verifies too.
        assert!(h.verify("Pass phrase ñ", &phc).await.unwrap());
        assert!(!h.verify("pass phrase ñ", &phc).await.unwrap());
        assert!(matches!(
            h.verify("x", "not a phc").await,
            Err(PasswordError::BadHash)
        ));
        assert!(!h.verify(&"x".repeat(5000), &phc).await.unwrap());
        assert!(matches!(
            h.hash(&"x".repeat(5000)).await,
            Err(PasswordError::TooLong)
        ));
    }

    #[tokio::test]
    async fn burn_target_uses_the_hashers_parameters() {
        let h = PasswordHasher::owasp();
        assert!(!h.needs_rehash(h.burn_target()));
        assert!(
            h.burn_target()
                .starts_with("$argon2id$v=19$m=19456,t=2,p=1$")
        );
        let c = cheap();
        assert!(!c.needs_rehash(c.burn_target()));
        assert!(!c.burn_verify("anything").await);
    }

    #[tokio::test]
    async fn needs_rehash_when_parameters_change() {
        let old = cheap();
        let phc = old.hash("correct horse").await.unwrap();
        assert!(!old.needs_rehash(&phc));
        let new = PasswordHasher::new(PasswordConfig {
            m_cost_kib: 128,
            ..PasswordConfig::default()
        })
        .unwrap();
        assert!(new.needs_rehash(&phc));
        assert!(new.needs_rehash("$2b$12$bcryptbcryptbcryptbcrypt"));
        // Old hashes still verify with the new hasher (parameters come from the PHC string).
        assert!(new.verify("correct horse", &phc).await.unwrap());
    }

    #[tokio::test]
    async fn hashes_are_standard_phc_strings_both_ways() {
        use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
        let h = cheap();
        // Ours verifies with the argon2 crate's own verifier...
        let ours = h.hash("correct horse").await.unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"correct horse", &parsed)
                .is_ok()
        );
        // ...and the argon2 crate's hashes (other parameters and algorithms, one costlier
        // than the pooled buffers) verify with ours.
        for (alg, m) in [
            (Algorithm::Argon2id, 64),
            (Algorithm::Argon2i, 256),
            (Algorithm::Argon2d, 32),
        ] {
            let theirs = Argon2::new(alg, Version::V0x13, Params::new(m, 1, 1, None).unwrap())
                .hash_password(b"correct horse", &salt().unwrap())
                .unwrap()
                .to_string();
            assert!(
                h.verify("correct horse", &theirs).await.unwrap(),
                "{theirs}"
            );
            assert!(
                !h.verify("correct horsE", &theirs).await.unwrap(),
                "{theirs}"
            );
        }
        let truncated = &ours[..ours.len() - 4];
        assert!(!h.verify("correct horse", truncated).await.unwrap_or(false));
    }

    /// The permit lives in the blocking job: a caller that is cancelled mid-hash (hyper drops
    /// the handler of a client that disconnects) does not free it while the hash still runs.
    /// Before, the permit was released on cancellation and a flood of aborted logins ran
    /// any number of hashes at once.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_cancelled_hash_keeps_its_permit_until_it_ends() {
        let h = PasswordHasher::new(PasswordConfig {
            m_cost_kib: 32 * 1024,
            t_cost: 3,
            p_cost: 1,
            max_concurrent: 1,
        })
        .unwrap();
        let h2 = h.clone();
        let task = tokio::spawn(async move { h2.hash("cancelled").await });
        while h.permits.available_permits() != 0 {
            tokio::task::yield_now().await;
        }
        task.abort();
        let _ = task.await;
        assert_eq!(
            h.permits.available_permits(),
            0,
            "the permit was released while the hash still ran"
        );
        // It comes back when the job ends, with its buffer in the pool.
        let permit = h.permits.acquire().await.unwrap();
        drop(permit);
        assert_eq!(h.buffers.lock().unwrap().len(), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_more_buffers_than_permits() {
        let h = PasswordHasher::new(PasswordConfig {
            m_cost_kib: 256,
            t_cost: 1,
            p_cost: 1,
            max_concurrent: 2,
        })
        .unwrap();
        let phc = h.hash("pw").await.unwrap();
        let tasks: Vec<_> = (0..16)
            .map(|i| {
                let h = h.clone();
                let phc = phc.clone();
                tokio::spawn(async move {
                    if i % 2 == 0 {
                        h.verify("pw", &phc).await.unwrap()
                    } else {
                        h.hash("pw").await.is_ok()
                    }
                })
            })
            .collect();
        for t in tasks {
            assert!(t.await.unwrap());
        }
        let pooled = h.buffers.lock().unwrap().len();
        assert!((1..=2).contains(&pooled), "{pooled} buffers for 2 permits");
    }

    #[tokio::test]
    async fn oversized_input_is_refused_before_normalising() {
        let h = cheap();
        // 2 MiB of U+FDFA (18 characters each after NFKC): refused on its raw length.
        let huge = "\u{FDFA}".repeat(2 * 1024 * 1024 / 3);
        assert!(matches!(h.hash(&huge).await, Err(PasswordError::TooLong)));
        let phc = h.hash("pw").await.unwrap();
        assert!(!h.verify(&huge, &phc).await.unwrap());
        assert!(matches!(normalize(&huge), Err(PasswordError::TooLong)));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_hash_waits_for_a_free_permit() {
        let h = PasswordHasher::new(PasswordConfig {
            m_cost_kib: 64,
            t_cost: 1,
            p_cost: 1,
            max_concurrent: 1,
        })
        .unwrap();
        let held = h.permits.clone().acquire_owned().await.unwrap();
        let h2 = h.clone();
        let task = tokio::spawn(async move { h2.hash("queued").await });
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        assert!(!task.is_finished(), "hashing ran without a permit");
        drop(held);
        assert!(task.await.unwrap().unwrap().starts_with("$argon2id$"));
    }
}
