//! Provider configuration from the environment (`PORTCULLIS_OAUTH2__<NAME>__CLIENT_ID`, …)
//! or a builder. Every problem is a start-up error naming the offending key.

use std::time::Duration;

/// A configuration value that is missing or invalid; `key` is the environment variable (or
/// builder field) to fix.
///
/// ```
/// use portcullis::authn::oauth2::{OAuth2Client, ProviderConfig};
/// let err = OAuth2Client::new(ProviderConfig::new("github")).unwrap_err();
/// assert_eq!(err.key, "PORTCULLIS_OAUTH2__GITHUB__CLIENT_ID");
/// assert_eq!(err.reason, "is missing");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid OAuth2 configuration `{key}`: {reason}")]
pub struct ConfigError {
    /// The environment variable or builder field.
    pub key: String,
    /// What is wrong with it.
    pub reason: String,
}

impl ConfigError {
    pub(crate) fn new(key: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            reason: reason.into(),
        }
    }
}

/// One provider's settings.
///
/// ```
/// use portcullis::authn::oauth2::ProviderConfig;
/// let cfg = ProviderConfig::new("github")
///     .client_id("abc")
///     .client_secret("s3cret")
///     .auth_url("https://github.com/login/oauth/authorize")
///     .token_url("https://github.com/login/oauth/access_token")
///     .redirect_url("https://app.example/auth/github/callback")
///     .cookie_key([7u8; 32]);
/// # let _ = cfg;
/// ```
#[derive(Clone)]
pub struct ProviderConfig {
    pub(crate) name: String,
    pub(crate) client_id: Option<String>,
    pub(crate) client_secret: Option<String>,
    pub(crate) auth_url: Option<String>,
    pub(crate) token_url: Option<String>,
    pub(crate) redirect_url: Option<String>,
    pub(crate) userinfo_url: Option<String>,
    pub(crate) scopes: Vec<String>,
    pub(crate) cookie_key: Option<Vec<u8>>,
    pub(crate) state_ttl: Duration,
    pub(crate) http_timeout: Duration,
    pub(crate) allow_http: bool,
    pub(crate) replay_cache_capacity: usize,
}

impl std::fmt::Debug for ProviderConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secrets (client secret, cookie key) are never printed.
        f.debug_struct("ProviderConfig")
            .field("name", &self.name)
            .field("client_id", &self.client_id)
            .field("auth_url", &self.auth_url)
            .field("token_url", &self.token_url)
            .field("redirect_url", &self.redirect_url)
            .field("userinfo_url", &self.userinfo_url)
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

/// The default bound of an [`OAuth2Client`](super::OAuth2Client)'s state-replay cache.
///
/// ```
/// assert_eq!(portcullis::authn::oauth2::DEFAULT_REPLAY_CACHE_CAPACITY, 100_000);
/// ```
pub const DEFAULT_REPLAY_CACHE_CAPACITY: usize = 100_000;

/// The environment variable of `field` for provider `name`.
///
/// ```
/// use portcullis::authn::oauth2::env_key;
/// assert_eq!(env_key("github", "CLIENT_ID"), "PORTCULLIS_OAUTH2__GITHUB__CLIENT_ID");
/// ```
pub fn env_key(name: &str, field: &str) -> String {
    format!("PORTCULLIS_OAUTH2__{}__{field}", name.to_ascii_uppercase())
}

impl ProviderConfig {
    /// An empty configuration for provider `name` (letters, digits, `_`, `-`). Defaults: state
    /// cookie lives 10 min, HTTP calls time out after 10 s, https required.
    ///
    /// ```
    /// use portcullis::authn::oauth2::{OAuth2Client, ProviderConfig};
    /// let cfg = ProviderConfig::new("github");
    /// assert!(OAuth2Client::new(cfg).is_err()); // endpoints, client id and cookie key still missing
    /// ```
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            client_id: None,
            client_secret: None,
            auth_url: None,
            token_url: None,
            redirect_url: None,
            userinfo_url: None,
            scopes: Vec::new(),
            cookie_key: None,
            state_ttl: Duration::from_secs(600),
            http_timeout: Duration::from_secs(10),
            allow_http: false,
            replay_cache_capacity: DEFAULT_REPLAY_CACHE_CAPACITY,
        }
    }

    /// Reads `PORTCULLIS_OAUTH2__<NAME>__CLIENT_ID`, `__CLIENT_SECRET` (optional for public
    /// clients), `__AUTH_URL`, `__TOKEN_URL`, `__REDIRECT_URL`, `__USERINFO_URL` (optional),
    /// `__SCOPES` (optional, space-separated) and `__COOKIE_KEY` (base64, at least 32 bytes).
    /// Validation happens in [`OAuth2Client::new`](super::OAuth2Client::new).
    ///
    /// ```no_run
    /// use portcullis::authn::oauth2::{OAuth2Client, ProviderConfig};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// // PORTCULLIS_OAUTH2__GITHUB__CLIENT_ID=…, __AUTH_URL=…, __TOKEN_URL=…, __COOKIE_KEY=…
    /// let github = OAuth2Client::new(ProviderConfig::from_env("github")?)?;
    /// # let _ = github; Ok(()) }
    /// ```
    pub fn from_env(name: &str) -> Result<Self, ConfigError> {
        Self::from_lookup(name, |k| std::env::var(k).ok())
    }

    /// As [`from_env`](Self::from_env), reading variables through `get` (for tests).
    ///
    /// ```
    /// use portcullis::authn::oauth2::{OAuth2Client, ProviderConfig};
    /// use std::collections::HashMap;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let vars = HashMap::from([
    ///     ("PORTCULLIS_OAUTH2__GITHUB__CLIENT_ID", "abc"),
    ///     ("PORTCULLIS_OAUTH2__GITHUB__AUTH_URL", "https://github.com/login/oauth/authorize"),
    ///     ("PORTCULLIS_OAUTH2__GITHUB__TOKEN_URL", "https://github.com/login/oauth/access_token"),
    ///     ("PORTCULLIS_OAUTH2__GITHUB__REDIRECT_URL", "https://app.example/auth/github/callback"),
    ///     ("PORTCULLIS_OAUTH2__GITHUB__COOKIE_KEY", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="),
    /// ]);
    /// let cfg = ProviderConfig::from_lookup("github", |k| vars.get(k).map(|v| v.to_string()))?;
    /// assert_eq!(OAuth2Client::new(cfg)?.name(), "github");
    /// # Ok(()) }
    /// ```
    pub fn from_lookup(
        name: &str,
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        use base64::Engine as _;
        let var = |field: &str| get(&env_key(name, field)).filter(|v| !v.trim().is_empty());
        let mut cfg = Self::new(name);
        cfg.client_id = var("CLIENT_ID");
        cfg.client_secret = var("CLIENT_SECRET");
        cfg.auth_url = var("AUTH_URL");
        cfg.token_url = var("TOKEN_URL");
        cfg.redirect_url = var("REDIRECT_URL");
        cfg.userinfo_url = var("USERINFO_URL");
        cfg.scopes = var("SCOPES")
            .map(|s| s.split_whitespace().map(str::to_owned).collect())
            .unwrap_or_default();
        if let Some(k) = var("COOKIE_KEY") {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(k.trim())
                .map_err(|_| ConfigError::new(env_key(name, "COOKIE_KEY"), "not valid base64"))?;
            cfg.cookie_key = Some(bytes);
        }
        Ok(cfg)
    }

    /// The client id.
    ///
    /// ```
    /// use portcullis::authn::oauth2::{OAuth2Client, ProviderConfig};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let base = ProviderConfig::new("github").auth_url("https://github.com/login/oauth/authorize").token_url("https://github.com/login/oauth/access_token").redirect_url("https://app.example/cb").cookie_key([7u8; 32]);
    /// let client = OAuth2Client::new(base.client_id("abc"))?;
    /// assert!(client.authorize()?.url.contains("client_id=abc"));
    /// # Ok(()) }
    /// ```
    pub fn client_id(mut self, v: impl Into<String>) -> Self {
        self.client_id = Some(v.into());
        self
    }

    /// The client secret (omit for a public client; PKCE protects the code either way).
    ///
    /// ```
    /// use portcullis::authn::oauth2::{OAuth2Client, ProviderConfig};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let base = ProviderConfig::new("github").client_id("abc").auth_url("https://github.com/login/oauth/authorize").token_url("https://github.com/login/oauth/access_token").redirect_url("https://app.example/cb").cookie_key([7u8; 32]);
    /// let client = OAuth2Client::new(base.client_secret("s3cret"))?; // a confidential client
    /// assert!(!client.authorize()?.url.contains("s3cret")); // sent only to the token endpoint
    /// # Ok(()) }
    /// ```
    pub fn client_secret(mut self, v: impl Into<String>) -> Self {
        self.client_secret = Some(v.into());
        self
    }

    /// The provider's authorization endpoint.
    ///
    /// ```
    /// use portcullis::authn::oauth2::{OAuth2Client, ProviderConfig};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let base = ProviderConfig::new("github").client_id("abc").token_url("https://github.com/login/oauth/access_token").redirect_url("https://app.example/cb").cookie_key([7u8; 32]);
    /// let client = OAuth2Client::new(base.auth_url("https://github.com/login/oauth/authorize"))?;
    /// assert!(client.authorize()?.url.starts_with("https://github.com/login/oauth/authorize?"));
    /// # Ok(()) }
    /// ```
    pub fn auth_url(mut self, v: impl Into<String>) -> Self {
        self.auth_url = Some(v.into());
        self
    }

    /// The provider's token endpoint.
    ///
    /// ```
    /// use portcullis::authn::oauth2::{OAuth2Client, ProviderConfig};
    /// # let base = ProviderConfig::new("github").client_id("abc").auth_url("https://github.com/login/oauth/authorize").redirect_url("https://app.example/cb").cookie_key([7u8; 32]);
    /// let err = OAuth2Client::new(base.token_url("http://github.com/login/oauth/access_token")).unwrap_err();
    /// assert_eq!(err.key, "PORTCULLIS_OAUTH2__GITHUB__TOKEN_URL"); // https is required
    /// ```
    pub fn token_url(mut self, v: impl Into<String>) -> Self {
        self.token_url = Some(v.into());
        self
    }

    /// This application's callback URL, as registered with the provider.
    ///
    /// ```
    /// use portcullis::authn::oauth2::{OAuth2Client, ProviderConfig};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let base = ProviderConfig::new("github").client_id("abc").auth_url("https://github.com/login/oauth/authorize").token_url("https://github.com/login/oauth/access_token").cookie_key([7u8; 32]);
    /// let client = OAuth2Client::new(base.redirect_url("https://app.example/cb"))?;
    /// assert!(client.authorize()?.url.contains("redirect_uri=https%3A%2F%2Fapp.example%2Fcb"));
    /// # Ok(()) }
    /// ```
    pub fn redirect_url(mut self, v: impl Into<String>) -> Self {
        self.redirect_url = Some(v.into());
        self
    }

    /// The provider's userinfo endpoint, fetched with the access token after the exchange.
    ///
    /// ```
    /// use portcullis::authn::oauth2::{OAuth2Client, ProviderConfig};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let base = ProviderConfig::new("github").client_id("abc").auth_url("https://github.com/login/oauth/authorize").token_url("https://github.com/login/oauth/access_token").redirect_url("https://app.example/cb").cookie_key([7u8; 32]);
    /// let client = OAuth2Client::new(base.userinfo_url("https://api.github.com/user"))?;
    /// # let _ = client; Ok(()) }
    /// ```
    pub fn userinfo_url(mut self, v: impl Into<String>) -> Self {
        self.userinfo_url = Some(v.into());
        self
    }

    /// Adds a scope to request.
    ///
    /// ```
    /// use portcullis::authn::oauth2::{OAuth2Client, ProviderConfig};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let base = ProviderConfig::new("github").client_id("abc").auth_url("https://github.com/login/oauth/authorize").token_url("https://github.com/login/oauth/access_token").redirect_url("https://app.example/cb").cookie_key([7u8; 32]);
    /// let client = OAuth2Client::new(base.scope("read:user").scope("user:email"))?;
    /// assert!(client.authorize()?.url.contains("scope=read%3Auser+user%3Aemail"));
    /// # Ok(()) }
    /// ```
    pub fn scope(mut self, v: impl Into<String>) -> Self {
        self.scopes.push(v.into());
        self
    }

    /// The HMAC key signing the state cookie (at least 32 bytes, random, kept secret).
    ///
    /// ```
    /// use portcullis::authn::oauth2::{OAuth2Client, ProviderConfig};
    /// # let base = ProviderConfig::new("github").client_id("abc").auth_url("https://github.com/login/oauth/authorize").token_url("https://github.com/login/oauth/access_token").redirect_url("https://app.example/cb");
    /// assert!(OAuth2Client::new(base.clone().cookie_key([7u8; 32])).is_ok()); // use random bytes
    /// let err = OAuth2Client::new(base.cookie_key(b"too short".to_vec())).unwrap_err();
    /// assert_eq!(err.key, "PORTCULLIS_OAUTH2__GITHUB__COOKIE_KEY");
    /// ```
    pub fn cookie_key(mut self, key: impl Into<Vec<u8>>) -> Self {
        self.cookie_key = Some(key.into());
        self
    }

    /// How long an authorization may take between redirect and callback (default 10 min).
    ///
    /// ```
    /// use portcullis::authn::oauth2::{OAuth2Client, ProviderConfig};
    /// use std::time::Duration;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let base = ProviderConfig::new("github").client_id("abc").auth_url("https://github.com/login/oauth/authorize").token_url("https://github.com/login/oauth/access_token").redirect_url("https://app.example/cb").cookie_key([7u8; 32]);
    /// let client = OAuth2Client::new(base.state_ttl(Duration::from_secs(300)))?;
    /// assert!(client.authorize()?.set_cookie.to_str()?.contains("Max-Age=300"));
    /// # Ok(()) }
    /// ```
    pub fn state_ttl(mut self, ttl: Duration) -> Self {
        self.state_ttl = ttl;
        self
    }

    /// Timeout of each call to the provider (default 10 s).
    ///
    /// ```
    /// use portcullis::authn::oauth2::{OAuth2Client, ProviderConfig};
    /// use std::time::Duration;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let base = ProviderConfig::new("github").client_id("abc").auth_url("https://github.com/login/oauth/authorize").token_url("https://github.com/login/oauth/access_token").redirect_url("https://app.example/cb").cookie_key([7u8; 32]);
    /// let client = OAuth2Client::new(base.http_timeout(Duration::from_secs(3)))?;
    /// # let _ = client; Ok(()) }
    /// ```
    pub fn http_timeout(mut self, t: Duration) -> Self {
        self.http_timeout = t;
        self
    }

    /// How many used `state` values the client remembers to refuse replays (default
    /// [`DEFAULT_REPLAY_CACHE_CAPACITY`], 100,000; at least 1). A state is remembered until its
    /// cookie expires ([`state_ttl`](Self::state_ttl)); this bounds the sign-ins that may
    /// complete within one `state_ttl`. When the cache is full of states that are still valid,
    /// a callback with a new state is refused with 503 and `Retry-After` (logged at WARN)
    /// rather than forget one and accept its replay.
    ///
    /// ```
    /// use portcullis::authn::oauth2::{OAuth2Client, ProviderConfig};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let base = ProviderConfig::new("github").client_id("abc").auth_url("https://github.com/login/oauth/authorize").token_url("https://github.com/login/oauth/access_token").redirect_url("https://app.example/cb").cookie_key([7u8; 32]);
    /// let client = OAuth2Client::new(base.replay_cache_capacity(10_000))?;
    /// # let _ = client; Ok(()) }
    /// ```
    pub fn replay_cache_capacity(mut self, capacity: usize) -> Self {
        self.replay_cache_capacity = capacity;
        self
    }

    /// Allows plain `http://` provider endpoints. Unsafe outside tests; logged at WARN.
    ///
    /// ```
    /// use portcullis::authn::oauth2::{OAuth2Client, ProviderConfig};
    /// // A mock provider in an integration test.
    /// let mock = ProviderConfig::new("mock")
    ///     .client_id("test")
    ///     .auth_url("http://127.0.0.1:9999/authorize")
    ///     .token_url("http://127.0.0.1:9999/token")
    ///     .redirect_url("http://127.0.0.1:3000/cb")
    ///     .cookie_key([7u8; 32]);
    /// assert!(OAuth2Client::new(mock.clone()).is_err());
    /// assert!(OAuth2Client::new(mock.allow_insecure_http()).is_ok());
    /// ```
    pub fn allow_insecure_http(mut self) -> Self {
        self.allow_http = true;
        self
    }

    pub(crate) fn required(&self, field: &str, v: &Option<String>) -> Result<String, ConfigError> {
        v.clone()
            .ok_or_else(|| ConfigError::new(env_key(&self.name, field), "is missing"))
    }

    pub(crate) fn url(&self, field: &str, v: &str) -> Result<url::Url, ConfigError> {
        let key = env_key(&self.name, field);
        let u = url::Url::parse(v)
            .map_err(|e| ConfigError::new(&key, format!("not an absolute URL ({e})")))?;
        match u.scheme() {
            "https" => Ok(u),
            "http" if self.allow_http => Ok(u),
            "http" => Err(ConfigError::new(
                key,
                "must use https (or call `allow_insecure_http()` in tests)",
            )),
            other => Err(ConfigError::new(
                key,
                format!("unsupported scheme `{other}`"),
            )),
        }
    }
}
