//! The portcullis example: a multi-tenant documents API.
//!
//! Tenants have users (roles `member` and `admin`); users own documents (with internal notes
//! no response ever carries) and comment on them. Every route is `#[guarded]`; every query on
//! documents, comments and accounts goes through the policy in [`model`]. [`app`] builds the
//! router (tests drive it with `tower::ServiceExt::oneshot`); `main.rs` serves it.

pub mod model;
mod routes;
pub mod store;

pub use routes::DOC_ACTIONS;

use axum::extract::FromRef;
use portcullis::authn::jwt::{Claims, JwtService, KeyError, PRIVATE_KEY_SETTING};
use portcullis::authn::oauth2::ConfigError;
use portcullis::authn::oidc::{OidcClient, OidcConfig};
use portcullis::authn::password::{PasswordHasher, PasswordPolicy};
use portcullis::authn::refresh::{DieselRefreshStore, RefreshService};
use portcullis::authn::revocation::RedisRevocationStore;
use portcullis::authn::revocation::{DieselRevocationStore, RevocationStore};
use portcullis::authn::session::{
    DieselSessionStore, RedisSessionStore, SessionConfig, SessionCookie, SessionManager,
    SessionRecord, SessionStore,
};
use portcullis::authn::strategy::{Bearer, Chain, FailureReason};
use portcullis::authn::{BoxFuture, StoreError};
use portcullis::db::{DbError, Pool, PoolConfig};
use portcullis::http::Hardening;
use portcullis::redis_conn::RedisConnection;
use portcullis::routing::{get, post};
use portcullis::throttle::RedisLimiterBuilder;
use portcullis::throttle::{LoginGuard, LoginPolicy, MemoryBackend, TrustedProxies};
use std::sync::Arc;
use std::time::Duration;

pub use model::User;
pub use routes::CREDENTIALS_BODY_MAX;
pub use store::{DEMO_ACCOUNTS, DEMO_PASSWORD};

/// How long an access token lives.
pub const ACCESS_TOKEN_TTL: Duration = Duration::from_secs(15 * 60);

/// Where the signing key comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// `PORTCULLIS_AUTHN__PRIVATE_KEY` when set, otherwise a fresh development key (WARN).
    EnvOrGenerate,
    /// A fresh Ed25519 key for this process only (tests, development).
    Generate,
    /// This PEM private key (e.g. from a secret store the application reads itself).
    Pem(String),
}

/// Where the OpenID Connect provider's settings come from ("Sign in with …" at
/// `GET /auth/oidc/login`).
#[derive(Debug, Clone)]
pub enum OidcSource {
    /// `PORTCULLIS_OIDC__SSO__*` ([`OIDC_PROVIDER`]): `ISSUER`, `CLIENT_ID`, `CLIENT_SECRET`
    /// (optional), `REDIRECT_URL`, `COOKIE_KEY` (base64, 32+ bytes), `SCOPES`, `ALGORITHMS`.
    /// None set: the OIDC routes are absent. Some set: every missing or malformed one is a
    /// start-up error naming it.
    Env,
    /// No OIDC sign-in: the routes are absent.
    Disabled,
    /// These settings (tests, or an application that reads its own secret store).
    Config(Box<OidcConfig>),
}

/// The provider name of the example's OIDC settings (`PORTCULLIS_OIDC__SSO__…`).
pub const OIDC_PROVIDER: &str = "sso";

/// The `iss` of the example's access tokens (`PORTCULLIS_AUTHN__ISSUER` overrides it).
pub const TOKEN_ISSUER: &str = "portcullis-example";
/// The `aud` of the example's access tokens (`PORTCULLIS_AUTHN__AUDIENCE` overrides it).
pub const TOKEN_AUDIENCE: &str = "portcullis-example-api";

/// What the example needs to start.
#[derive(Debug, Clone)]
pub struct Config {
    /// `sqlite://path`, a file path, or `postgres://…`.
    pub database_url: String,
    /// Seed the demo tenants, users and documents.
    pub seed: bool,
    pub keys: KeySource,
    /// PostgreSQL only: the schema to use (`DATABASE_SCHEMA`); the server default otherwise.
    pub schema: Option<String>,
    /// `PORTCULLIS_REDIS_URL`: route throttling, access-token revocation and sessions on Redis
    /// (shared by every instance) instead of process memory and the database.
    pub redis_url: Option<String>,
    /// Prefix of every Redis key (`PORTCULLIS_REDIS_PREFIX`, default `portcullis-example:`).
    pub redis_prefix: String,
    /// Reverse proxies whose `X-Forwarded-For` names the client (`PORTCULLIS_TRUSTED_PROXIES`,
    /// comma-separated CIDRs or addresses). Empty (the default): the socket peer is the
    /// client and forwarding headers are ignored, so nobody can spoof them.
    pub trusted_proxies: Vec<String>,
    /// Sign-in with an OpenID Connect provider (off unless configured).
    pub oidc: OidcSource,
}

impl Config {
    /// From the environment: `DATABASE_URL` (default `portcullis-example.db` in the current
    /// directory) and `PORTCULLIS_AUTHN__PRIVATE_KEY`.
    pub fn from_env() -> Self {
        Self {
            database_url: std::env::var("DATABASE_URL")
                .ok()
                .filter(|u| !u.trim().is_empty())
                .unwrap_or_else(|| "portcullis-example.db".to_owned()),
            seed: true,
            keys: KeySource::EnvOrGenerate,
            schema: std::env::var("DATABASE_SCHEMA")
                .ok()
                .filter(|s| !s.trim().is_empty()),
            redis_url: std::env::var("PORTCULLIS_REDIS_URL")
                .ok()
                .filter(|s| !s.trim().is_empty()),
            redis_prefix: std::env::var("PORTCULLIS_REDIS_PREFIX")
                .ok()
                .filter(|s| !s.trim().is_empty())
                .unwrap_or_else(|| "portcullis-example:".to_owned()),
            trusted_proxies: std::env::var(TRUSTED_PROXIES_SETTING)
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            oidc: OidcSource::Env,
        }
    }
}

/// The setting that lists trusted reverse proxies.
pub const TRUSTED_PROXIES_SETTING: &str = "PORTCULLIS_TRUSTED_PROXIES";

/// A start-up failure; the message names what to fix.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("database: {0}")]
    Db(#[from] DbError),
    #[error("signing key: {0}")]
    Key(#[from] KeyError),
    #[error("seeding the demo data failed: {0}")]
    Seed(String),
    #[error("router: {0}")]
    Build(#[from] portcullis::guard::BuildError),
    #[error("DATABASE_SCHEMA must be letters, digits and underscores, got {0:?}")]
    Schema(String),
    #[error("PORTCULLIS_REDIS_URL: cannot connect to {url}: {cause}")]
    Redis {
        /// The URL without its password.
        url: String,
        cause: String,
    },
    #[error("key generation: {0}")]
    Rng(String),
    #[error("{TRUSTED_PROXIES_SETTING}: {0}")]
    Proxies(String),
    /// An OIDC setting is missing or malformed; the message names it.
    #[error("{0}")]
    Oidc(#[from] ConfigError),
}

/// `url` without its password (`scheme://user:***@host/..`), for messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..scheme + 3], user, &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Shared state of the handlers.
#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    pub jwt: Arc<JwtService>,
    pub hasher: Arc<PasswordHasher>,
    pub password_policy: Arc<PasswordPolicy>,
    pub refresh: Arc<RefreshService<DieselRefreshStore>>,
    pub login_guard: Arc<LoginGuard>,
    /// Revoked access-token ids (logout); checked by the bearer strategy on every request.
    pub revoked: Arc<dyn RevocationStore>,
    /// Server-side sessions for the cookie variant of login.
    pub sessions: Arc<SessionManager<SessionBackend>>,
    /// Route limits on Redis when configured; in process memory otherwise.
    pub redis_limits: Option<RedisLimiterBuilder>,
    /// Whose forwarding headers name the client (route limits and the login defence alike).
    pub proxies: TrustedProxies,
    /// The OpenID Connect provider, when configured (`/auth/oidc/*` exist only then).
    pub oidc: Option<Arc<OidcClient>>,
}

/// Where sessions live: the database, or Redis with `PORTCULLIS_REDIS_URL`.
pub enum SessionBackend {
    Db(DieselSessionStore),
    Redis(RedisSessionStore),
}

macro_rules! delegate {
    ($self:ident, $s:ident => $call:expr) => {
        match $self {
            SessionBackend::Db($s) => $call,
            SessionBackend::Redis($s) => $call,
        }
    };
}

impl SessionStore for SessionBackend {
    fn create<'a>(
        &'a self,
        id_hash: &'a str,
        record: &'a SessionRecord,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        delegate!(self, s => s.create(id_hash, record, ttl))
    }
    fn get<'a>(
        &'a self,
        id_hash: &'a str,
    ) -> BoxFuture<'a, Result<Option<SessionRecord>, StoreError>> {
        delegate!(self, s => s.get(id_hash))
    }
    fn touch<'a>(
        &'a self,
        id_hash: &'a str,
        last_seen: i64,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        delegate!(self, s => s.touch(id_hash, last_seen))
    }
    fn delete<'a>(&'a self, id_hash: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        delegate!(self, s => s.delete(id_hash))
    }
    fn purge_expired(
        &self,
        idle_before: i64,
        created_before: i64,
    ) -> BoxFuture<'_, Result<u64, StoreError>> {
        delegate!(self, s => s.purge_expired(idle_before, created_before))
    }
}

impl FromRef<AppState> for Pool {
    fn from_ref(s: &AppState) -> Pool {
        s.pool.clone()
    }
}

impl portcullis::guard::HasPrincipal for AppState {
    type Principal = User;
}

/// The custom claims of an access token.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct TokenClaims {
    /// Tenant id.
    pub tid: i64,
    /// `member` or `admin`.
    pub role: String,
}

/// The principal as a session stores it. `SessionCookie` maps a session to a principal
/// synchronously, so the session's user id carries `id:tenant:role` (fixed at login, like an
/// access token's claims) instead of being looked up per request.
pub struct SessionSubject;

impl SessionSubject {
    pub fn encode(id: i64, tenant_id: i64, role: &str) -> String {
        format!("{id}:{tenant_id}:{role}")
    }

    pub fn parse(s: &str) -> Option<User> {
        let mut it = s.splitn(3, ':');
        let id = it.next()?.parse().ok()?;
        let tenant_id = it.next()?.parse().ok()?;
        let admin = match it.next()? {
            "admin" => true,
            "member" => false,
            _ => return None,
        };
        Some(User {
            id,
            tenant_id,
            admin,
        })
    }
}

/// The example with its posture and state, before it becomes an `axum::Router`.
pub struct Example {
    pub router: portcullis::Router<()>,
    pub state: AppState,
    /// True when the signing key was generated for this process (development only).
    pub generated_key: bool,
}

/// Opens and migrates the database, seeds it, and assembles the guarded router.
pub async fn example(config: Config) -> Result<Example, Error> {
    // Pool size, timeouts and SQLite pragmas from PORTCULLIS_DB__* (see PoolConfig); a bad
    // value stops start-up with a message naming the variable.
    let mut pool_config = PoolConfig::from_env(&config.database_url)?;
    if let Some(schema) = &config.schema {
        // Created when missing (PostgreSQL); the pool then keeps its search_path on it.
        let valid = schema
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
            && schema.chars().next().is_some_and(|c| !c.is_ascii_digit());
        if !valid {
            return Err(Error::Schema(schema.clone()));
        }
        let admin = Pool::connect(&config.database_url).await?;
        if admin.backend() != portcullis::db::Backend::Sqlite {
            admin
                .unscoped("create the configured PostgreSQL schema at start-up")
                .batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\""))
                .await?;
        }
        pool_config = pool_config.schema(schema.clone());
    }
    let proxies =
        TrustedProxies::new(&config.trusted_proxies).map_err(|e| Error::Proxies(e.to_string()))?;
    let pool = Pool::connect_with(pool_config).await?;
    store::migrate(&pool).await?;
    let hasher = Arc::new(PasswordHasher::owasp());
    if config.seed {
        store::seed(&pool, &hasher)
            .await
            .map_err(|p| Error::Seed(p.detail().unwrap_or(p.title()).to_owned()))?;
    }
    let oidc = oidc_client(&config.oidc)?;
    let (jwt, generated_key) = signing_service(&config.keys)?;
    let jwt = Arc::new(jwt);
    let (revoked, sessions, redis_limits): (Arc<dyn RevocationStore>, _, _) =
        match &config.redis_url {
            Some(url) => {
                let prefix = &config.redis_prefix;
                // One connection for all three, checked here (start-up fails naming the
                // server when it does not answer); it reconnects by itself after a restart
                // or failover, and every call is bounded by its timeouts.
                let redis = RedisConnection::connect(url)
                    .await
                    .map_err(|e| Error::Redis {
                        url: redact_url(url),
                        cause: e.to_string(),
                    })?;
                let revoked = RedisRevocationStore::new(redis.clone(), prefix.clone());
                let sessions = RedisSessionStore::new(redis.clone(), prefix.clone());
                let limits = RedisLimiterBuilder::with_connection(redis)
                    .prefix(format!("{prefix}throttle:"));
                (
                    Arc::new(revoked),
                    SessionBackend::Redis(sessions),
                    Some(limits),
                )
            }
            None => (
                Arc::new(DieselRevocationStore::new(pool.clone())),
                SessionBackend::Db(DieselSessionStore::new(pool.clone())),
                None,
            ),
        };
    let state = AppState {
        refresh: Arc::new(RefreshService::new(DieselRefreshStore::new(pool.clone()))),
        revoked,
        sessions: Arc::new(SessionManager::new(sessions, SessionConfig::default())),
        redis_limits,
        pool,
        jwt: jwt.clone(),
        hasher,
        password_policy: Arc::new(PasswordPolicy::default()),
        login_guard: Arc::new(LoginGuard::new(LoginPolicy::default())),
        proxies,
        oidc,
    };
    Ok(Example {
        router: router(state.clone()),
        state,
        generated_key,
    })
}

impl Example {
    /// The purges of expired revocations, refresh tokens and sessions, every 15 minutes;
    /// `main` spawns it beside the server.
    pub fn housekeeping(&self) -> portcullis::authn::housekeeping::Housekeeping {
        portcullis::authn::housekeeping::Housekeeping::new()
            .revocations(self.state.revoked.clone())
            .refresh_tokens(self.state.refresh.clone())
            .sessions(self.state.sessions.clone())
    }
}

/// The ready-to-serve router (see [`example`]).
pub async fn app(config: Config) -> Result<portcullis::App, Error> {
    Ok(example(config).await?.router.build()?)
}

/// Every route of the API with its guard.
pub fn router(state: AppState) -> portcullis::Router<()> {
    use routes::*;
    let bearer = Bearer::new(state.jwt.clone(), |c: Claims<TokenClaims>| {
        let id = c.sub.parse().map_err(|_| FailureReason::Malformed)?;
        Ok(User {
            id,
            tenant_id: c.custom.tid,
            admin: c.custom.role == "admin",
        })
    })
    .with_revocation(state.revoked.clone());
    let cookie = SessionCookie::new(state.sessions.clone(), |r: &SessionRecord| {
        SessionSubject::parse(&r.user_id).ok_or(FailureReason::UnknownPrincipal)
    });
    let authenticator = Chain::new().with(bearer).with(cookie);
    let redis_limits = state.redis_limits.clone();
    let proxies = state.proxies.clone();
    let mut router = portcullis::Router::<AppState>::new();
    if state.oidc.is_some() {
        // Present only when a provider is configured: an unconfigured example has no
        // half-working sign-in route.
        router = router
            .route("/auth/oidc/login", get(oidc_login))
            .route("/auth/oidc/callback", get(oidc_callback));
    }
    let router = router
        .route("/health", get(health))
        .route("/.well-known/jwks.json", get(jwks))
        .route("/auth/register", post(register))
        .route("/auth/login", post(login))
        .route("/auth/refresh", post(refresh))
        .route("/auth/logout", post(logout))
        .route("/auth/session", post(session_login).delete(session_logout))
        .route("/me", get(me))
        .route("/docs", get(list_docs).post(create_doc))
        .route(
            "/docs/{id}",
            get(show_doc).patch(update_doc).delete(delete_doc),
        )
        .route("/docs/{id}/archive", post(archive_doc))
        .route(
            "/docs/{id}/comments",
            get(list_comments).post(create_comment),
        )
        .route("/admin/users", get(admin_users))
        .fallback(not_found)
        .authenticator(authenticator)
        .trusted_proxies(proxies);
    match redis_limits {
        Some(limits) => router.throttle_backend(limits),
        None => router.throttle_backend(MemoryBackend::default()),
    }
    .with_state(state)
    // Security headers, `no-store` on authenticated responses, problem+json for every error,
    // same-origin unsafe requests on cookie sessions. No HSTS: the example serves plain HTTP.
    .layer(Hardening::new())
}

/// The OIDC client of `source`, `None` when sign-in with a provider is not configured. Nothing
/// is fetched here: discovery happens on the first sign-in, so a provider outage does not stop
/// the API from starting.
fn oidc_client(source: &OidcSource) -> Result<Option<Arc<OidcClient>>, Error> {
    let config = match source {
        OidcSource::Disabled => return Ok(None),
        OidcSource::Config(c) => (**c).clone(),
        OidcSource::Env => {
            let get = |k: &str| std::env::var(k).ok();
            if !OidcConfig::any_set(OIDC_PROVIDER, get) {
                return Ok(None);
            }
            OidcConfig::from_lookup(OIDC_PROVIDER, get).scope("email")
        }
    };
    Ok(Some(Arc::new(OidcClient::new(config)?)))
}

/// The signing service and whether its key was generated for this process. Tokens carry and
/// must carry the example's issuer and audience, so a token minted for another service that
/// happens to share the key is refused.
fn signing_service(keys: &KeySource) -> Result<(JwtService, bool), Error> {
    let builder = JwtService::builder()
        .issuer(TOKEN_ISSUER)
        .audience([TOKEN_AUDIENCE])
        .expires_in(ACCESS_TOKEN_TTL);
    let from_env = *keys == KeySource::EnvOrGenerate
        && std::env::var(PRIVATE_KEY_SETTING).is_ok_and(|v| !v.trim().is_empty());
    if from_env {
        return Ok((builder.from_env().build()?, false));
    }
    let (pem, generated) = match keys {
        KeySource::Pem(pem) => (pem.clone(), false),
        KeySource::EnvOrGenerate | KeySource::Generate => (development_key_pem()?, true),
    };
    Ok((builder.private_key_pem(pem.as_bytes()).build()?, generated))
}

/// A fresh Ed25519 private key as PKCS#8 PEM (portcullis loads keys but does not generate
/// them; an Ed25519 PKCS#8 key is a fixed 16-byte header followed by a 32-byte random seed).
fn development_key_pem() -> Result<String, Error> {
    use base64::Engine;
    let mut der = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| Error::Rng(e.to_string()))?;
    der.extend_from_slice(&seed);
    let b64 = base64::engine::general_purpose::STANDARD.encode(&der);
    Ok(format!(
        "-----BEGIN PRIVATE KEY-----\n{b64}\n-----END PRIVATE KEY-----\n"
    ))
}
