//! An OpenID Connect provider's settings, from the environment
//! (`PORTCULLIS_OIDC__<NAME>__ISSUER`, …) or a builder. Every problem is a start-up error naming
//! the setting to fix.

use crate::authn::jwt::KeyAlgorithm;
use crate::authn::oauth2::ConfigError;
use std::time::Duration;

/// The environment variable of `field` for OpenID Connect provider `name`.
///
/// ```
/// use portcullis::authn::oidc::oidc_env_key;
/// assert_eq!(oidc_env_key("google", "ISSUER"), "PORTCULLIS_OIDC__GOOGLE__ISSUER");
/// ```
pub fn oidc_env_key(name: &str, field: &str) -> String {
    format!("PORTCULLIS_OIDC__{}__{field}", name.to_ascii_uppercase())
}

/// The fields [`OidcConfig::from_lookup`] reads, after `PORTCULLIS_OIDC__<NAME>__`.
///
/// ```
/// use portcullis::authn::oidc::OIDC_SETTINGS;
/// assert!(OIDC_SETTINGS.contains(&"ISSUER"));
/// ```
pub const OIDC_SETTINGS: [&str; 7] = [
    "ISSUER",
    "CLIENT_ID",
    "CLIENT_SECRET",
    "REDIRECT_URL",
    "COOKIE_KEY",
    "SCOPES",
    "ALGORITHMS",
];

/// One OpenID Connect provider's settings. Its endpoints and keys come from discovery
/// (`<issuer>/.well-known/openid-configuration`), so only the issuer is configured.
///
/// ```
/// use portcullis::authn::oidc::{OidcClient, OidcConfig};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let google = OidcClient::new(
///     OidcConfig::new("google")
///         .issuer("https://accounts.google.com")
///         .client_id("1234.apps.googleusercontent.com")
///         .client_secret("s3cret")
///         .redirect_url("https://app.example/auth/oidc/callback")
///         .cookie_key([7u8; 32]), // use 32 random bytes, kept secret
/// )?;
/// assert_eq!(google.issuer(), "https://accounts.google.com");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct OidcConfig {
    pub(crate) name: String,
    pub(crate) issuer: Option<String>,
    pub(crate) client_id: Option<String>,
    pub(crate) client_secret: Option<String>,
    pub(crate) redirect_url: Option<String>,
    pub(crate) scopes: Vec<String>,
    pub(crate) cookie_key: Option<Vec<u8>>,
    pub(crate) algorithms: Vec<KeyAlgorithm>,
    pub(crate) leeway: Duration,
    pub(crate) state_ttl: Duration,
    pub(crate) http_timeout: Duration,
    pub(crate) cache_ttl: Duration,
    pub(crate) refresh_interval: Duration,
    pub(crate) max_document_bytes: usize,
    pub(crate) allow_http: bool,
    /// A setting that could not be read (bad base64, an algorithm that is never allowed):
    /// reported by [`OidcClient::new`](super::OidcClient::new), so `from_lookup` stays total.
    pub(crate) invalid: Option<ConfigError>,
}

impl std::fmt::Debug for OidcConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secrets (client secret, cookie key) are never printed.
        f.debug_struct("OidcConfig")
            .field("name", &self.name)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("redirect_url", &self.redirect_url)
            .field("scopes", &self.scopes)
            .field("algorithms", &self.algorithms)
            .finish_non_exhaustive()
    }
}

/// Parses `ALGORITHMS`: `RS256`, `ES256`, `EdDSA`, separated by commas or spaces. `none` and
/// the HMAC algorithms are refused: an ID token is verified with the provider's public keys.
fn parse_algorithms(key: &str, text: &str) -> Result<Vec<KeyAlgorithm>, ConfigError> {
    let mut out = Vec::new();
    for name in text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
    {
        let alg = match name {
            "RS256" => KeyAlgorithm::Rs256,
            "ES256" => KeyAlgorithm::Es256,
            "EdDSA" => KeyAlgorithm::EdDsa,
            n if n.eq_ignore_ascii_case("none") => {
                return Err(ConfigError::new(key, "`none` is never allowed"));
            }
            n if n.to_ascii_uppercase().starts_with("HS") => {
                return Err(ConfigError::new(
                    key,
                    format!(
                        "`{n}` is not allowed: ID tokens are verified with the provider's public keys, never with a shared secret"
                    ),
                ));
            }
            n => {
                return Err(ConfigError::new(
                    key,
                    format!("unsupported algorithm `{n}`; use RS256, ES256 or EdDSA"),
                ));
            }
        };
        if !out.contains(&alg) {
            out.push(alg);
        }
    }
    if out.is_empty() {
        return Err(ConfigError::new(
            key,
            "names no algorithm; use RS256, ES256 or EdDSA",
        ));
    }
    Ok(out)
}

impl OidcConfig {
    /// An empty configuration for provider `name` (letters, digits, `_`, `-`). Defaults: RS256
    /// ID tokens (OpenID Connect's default), 60 s leeway on `exp`/`iat`, state cookie lives
    /// 10 min, provider calls time out after 10 s and read at most 128 KiB, discovery and keys
    /// cached for 1 h, an unknown `kid` refetches the keys at most once a minute, https only.
    ///
    /// ```
    /// use portcullis::authn::oidc::{OidcClient, OidcConfig};
    /// let err = OidcClient::new(OidcConfig::new("corp")).unwrap_err();
    /// assert_eq!(err.key, "PORTCULLIS_OIDC__CORP__ISSUER"); // the first setting missing
    /// ```
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            issuer: None,
            client_id: None,
            client_secret: None,
            redirect_url: None,
            scopes: Vec::new(),
            cookie_key: None,
            algorithms: vec![KeyAlgorithm::Rs256],
            leeway: Duration::from_secs(60),
            state_ttl: Duration::from_secs(600),
            http_timeout: Duration::from_secs(10),
            cache_ttl: Duration::from_secs(3600),
            refresh_interval: Duration::from_secs(60),
            max_document_bytes: 128 * 1024,
            allow_http: false,
            invalid: None,
        }
    }

    /// Reads `PORTCULLIS_OIDC__<NAME>__ISSUER`, `__CLIENT_ID`, `__CLIENT_SECRET` (optional),
    /// `__REDIRECT_URL`, `__COOKIE_KEY` (base64, at least 32 bytes), `__SCOPES` (optional,
    /// space-separated, beside `openid`) and `__ALGORITHMS` (optional, default `RS256`).
    /// Validation happens in [`OidcClient::new`](super::OidcClient::new).
    ///
    /// ```no_run
    /// use portcullis::authn::oidc::{OidcClient, OidcConfig};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// // PORTCULLIS_OIDC__GOOGLE__ISSUER=https://accounts.google.com, __CLIENT_ID=…, …
    /// let google = OidcClient::new(OidcConfig::from_env("google"))?;
    /// # let _ = google; Ok(()) }
    /// ```
    pub fn from_env(name: &str) -> Self {
        Self::from_lookup(name, |k| std::env::var(k).ok())
    }

    /// As [`from_env`](Self::from_env), reading variables through `get`.
    ///
    /// ```
    /// use portcullis::authn::oidc::{OidcClient, OidcConfig};
    /// use std::collections::HashMap;
    /// let vars = HashMap::from([
    ///     ("PORTCULLIS_OIDC__CORP__ISSUER", "https://id.corp.example"),
    ///     ("PORTCULLIS_OIDC__CORP__CLIENT_ID", "app"),
    ///     ("PORTCULLIS_OIDC__CORP__REDIRECT_URL", "https://app.example/auth/oidc/callback"),
    ///     ("PORTCULLIS_OIDC__CORP__COOKIE_KEY", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="),
    ///     ("PORTCULLIS_OIDC__CORP__ALGORITHMS", "RS256, HS256"),
    /// ]);
    /// let cfg = OidcConfig::from_lookup("corp", |k| vars.get(k).map(|v| v.to_string()));
    /// let err = OidcClient::new(cfg).unwrap_err();
    /// assert_eq!(err.key, "PORTCULLIS_OIDC__CORP__ALGORITHMS"); // HS256 is never allowed
    /// ```
    pub fn from_lookup(name: &str, get: impl Fn(&str) -> Option<String>) -> Self {
        use base64::Engine as _;
        let var = |field: &str| get(&oidc_env_key(name, field)).filter(|v| !v.trim().is_empty());
        let mut cfg = Self::new(name);
        cfg.issuer = var("ISSUER").map(|v| v.trim().to_owned());
        cfg.client_id = var("CLIENT_ID").map(|v| v.trim().to_owned());
        cfg.client_secret = var("CLIENT_SECRET");
        cfg.redirect_url = var("REDIRECT_URL").map(|v| v.trim().to_owned());
        cfg.scopes = var("SCOPES")
            .map(|s| s.split_whitespace().map(str::to_owned).collect())
            .unwrap_or_default();
        if let Some(k) = var("COOKIE_KEY") {
            match base64::engine::general_purpose::STANDARD.decode(k.trim()) {
                Ok(bytes) => cfg.cookie_key = Some(bytes),
                Err(_) => {
                    cfg.invalid.get_or_insert(ConfigError::new(
                        oidc_env_key(name, "COOKIE_KEY"),
                        "not valid base64",
                    ));
                }
            }
        }
        if let Some(algs) = var("ALGORITHMS") {
            let key = oidc_env_key(name, "ALGORITHMS");
            match parse_algorithms(&key, &algs) {
                Ok(a) => cfg.algorithms = a,
                Err(e) => {
                    cfg.invalid.get_or_insert(e);
                }
            }
        }
        cfg
    }

    /// Whether `get` sees any `PORTCULLIS_OIDC__<NAME>__*` setting: an application that makes
    /// the provider optional starts without it when none is set, and with a start-up error
    /// naming the missing one when only some are.
    ///
    /// ```
    /// use portcullis::authn::oidc::OidcConfig;
    /// assert!(!OidcConfig::any_set("corp", |_| None));
    /// assert!(OidcConfig::any_set("corp", |k| (k == "PORTCULLIS_OIDC__CORP__CLIENT_ID").then(|| "app".into())));
    /// ```
    pub fn any_set(name: &str, get: impl Fn(&str) -> Option<String>) -> bool {
        OIDC_SETTINGS
            .iter()
            .any(|f| get(&oidc_env_key(name, f)).is_some_and(|v| !v.trim().is_empty()))
    }

    /// The issuer identifier, compared exactly (no trailing-slash folding) with the discovery
    /// document's `issuer`, the ID token's `iss` and the callback's `iss` parameter.
    ///
    /// ```
    /// use portcullis::authn::oidc::{OidcClient, OidcConfig};
    /// # let base = OidcConfig::new("corp").client_id("app").redirect_url("https://app.example/cb").cookie_key([7u8; 32]);
    /// let err = OidcClient::new(base.issuer("http://id.corp.example")).unwrap_err();
    /// assert_eq!(err.key, "PORTCULLIS_OIDC__CORP__ISSUER"); // https is required
    /// ```
    pub fn issuer(mut self, v: impl Into<String>) -> Self {
        self.issuer = Some(v.into());
        self
    }

    /// This application's client id (the ID token's audience).
    ///
    /// ```
    /// use portcullis::authn::oidc::{OidcClient, OidcConfig};
    /// # let base = OidcConfig::new("corp").issuer("https://id.corp.example").redirect_url("https://app.example/cb").cookie_key([7u8; 32]);
    /// assert!(OidcClient::new(base.client_id("app")).is_ok());
    /// ```
    pub fn client_id(mut self, v: impl Into<String>) -> Self {
        self.client_id = Some(v.into());
        self
    }

    /// The client secret (omit for a public client; PKCE protects the code either way).
    ///
    /// ```
    /// use portcullis::authn::oidc::{OidcClient, OidcConfig};
    /// # let base = OidcConfig::new("corp").issuer("https://id.corp.example").client_id("app").redirect_url("https://app.example/cb").cookie_key([7u8; 32]);
    /// assert!(OidcClient::new(base.client_secret("s3cret")).is_ok());
    /// ```
    pub fn client_secret(mut self, v: impl Into<String>) -> Self {
        self.client_secret = Some(v.into());
        self
    }

    /// This application's callback URL, as registered with the provider.
    ///
    /// ```
    /// use portcullis::authn::oidc::{OidcClient, OidcConfig};
    /// # let base = OidcConfig::new("corp").issuer("https://id.corp.example").client_id("app").cookie_key([7u8; 32]);
    /// let err = OidcClient::new(base.redirect_url("not a url")).unwrap_err();
    /// assert_eq!(err.key, "PORTCULLIS_OIDC__CORP__REDIRECT_URL");
    /// ```
    pub fn redirect_url(mut self, v: impl Into<String>) -> Self {
        self.redirect_url = Some(v.into());
        self
    }

    /// Adds a scope to request beside `openid` (e.g. `email`, `profile`).
    ///
    /// ```
    /// use portcullis::authn::oidc::{OidcClient, OidcConfig};
    /// # let base = OidcConfig::new("corp").issuer("https://id.corp.example").client_id("app").redirect_url("https://app.example/cb").cookie_key([7u8; 32]);
    /// let client = OidcClient::new(base.scope("email").scope("profile"))?;
    /// # let _ = client; Ok::<(), portcullis::authn::oauth2::ConfigError>(())
    /// ```
    pub fn scope(mut self, v: impl Into<String>) -> Self {
        self.scopes.push(v.into());
        self
    }

    /// The HMAC key signing the state cookie (at least 32 bytes, random, kept secret).
    ///
    /// ```
    /// use portcullis::authn::oidc::{OidcClient, OidcConfig};
    /// # let base = OidcConfig::new("corp").issuer("https://id.corp.example").client_id("app").redirect_url("https://app.example/cb");
    /// let err = OidcClient::new(base.cookie_key(b"short".to_vec())).unwrap_err();
    /// assert_eq!(err.key, "PORTCULLIS_OIDC__CORP__COOKIE_KEY");
    /// ```
    pub fn cookie_key(mut self, key: impl Into<Vec<u8>>) -> Self {
        self.cookie_key = Some(key.into());
        self
    }

    /// The algorithms an ID token may be signed with (default `[RS256]`). `HS256` is refused:
    /// ID tokens are verified with the provider's published public keys only.
    ///
    /// ```
    /// use portcullis::authn::jwt::KeyAlgorithm;
    /// use portcullis::authn::oidc::{OidcClient, OidcConfig};
    /// # let base = OidcConfig::new("corp").issuer("https://id.corp.example").client_id("app").redirect_url("https://app.example/cb").cookie_key([7u8; 32]);
    /// assert!(OidcClient::new(base.clone().algorithms([KeyAlgorithm::Rs256, KeyAlgorithm::Es256])).is_ok());
    /// let err = OidcClient::new(base.algorithms([KeyAlgorithm::Hs256])).unwrap_err();
    /// assert_eq!(err.key, "PORTCULLIS_OIDC__CORP__ALGORITHMS");
    /// ```
    pub fn algorithms(mut self, algs: impl IntoIterator<Item = KeyAlgorithm>) -> Self {
        self.algorithms = algs.into_iter().collect();
        self
    }

    /// Clock-skew allowance on `exp`, `nbf` and `iat` (default 60 s, at most 5 min).
    ///
    /// ```
    /// use portcullis::authn::oidc::{OidcClient, OidcConfig};
    /// use std::time::Duration;
    /// # let base = OidcConfig::new("corp").issuer("https://id.corp.example").client_id("app").redirect_url("https://app.example/cb").cookie_key([7u8; 32]);
    /// assert!(OidcClient::new(base.clone().leeway(Duration::from_secs(30))).is_ok());
    /// assert!(OidcClient::new(base.leeway(Duration::from_secs(3600))).is_err());
    /// ```
    pub fn leeway(mut self, d: Duration) -> Self {
        self.leeway = d;
        self
    }

    /// How long a sign-in may take between redirect and callback (default 10 min).
    ///
    /// ```
    /// use portcullis::authn::oidc::{OidcClient, OidcConfig};
    /// use std::time::Duration;
    /// # let base = OidcConfig::new("corp").issuer("https://id.corp.example").client_id("app").redirect_url("https://app.example/cb").cookie_key([7u8; 32]);
    /// assert!(OidcClient::new(base.state_ttl(Duration::from_secs(300))).is_ok());
    /// ```
    pub fn state_ttl(mut self, ttl: Duration) -> Self {
        self.state_ttl = ttl;
        self
    }

    /// Timeout of each call to the provider (default 10 s).
    ///
    /// ```
    /// use portcullis::authn::oidc::{OidcClient, OidcConfig};
    /// use std::time::Duration;
    /// # let base = OidcConfig::new("corp").issuer("https://id.corp.example").client_id("app").redirect_url("https://app.example/cb").cookie_key([7u8; 32]);
    /// assert!(OidcClient::new(base.http_timeout(Duration::from_secs(3))).is_ok());
    /// ```
    pub fn http_timeout(mut self, t: Duration) -> Self {
        self.http_timeout = t;
        self
    }

    /// How long the discovery document and the keys are used before they are fetched again
    /// (default 1 h).
    ///
    /// ```
    /// use portcullis::authn::oidc::{OidcClient, OidcConfig};
    /// use std::time::Duration;
    /// # let base = OidcConfig::new("corp").issuer("https://id.corp.example").client_id("app").redirect_url("https://app.example/cb").cookie_key([7u8; 32]);
    /// assert!(OidcClient::new(base.cache_ttl(Duration::from_secs(600))).is_ok());
    /// ```
    pub fn cache_ttl(mut self, ttl: Duration) -> Self {
        self.cache_ttl = ttl;
        self
    }

    /// The least time between two refetches caused by an ID token whose `kid` is not among
    /// the cached keys (default 60 s): a key rotation is picked up at once, but a stream of
    /// tokens with made-up `kid`s cannot make us fetch on every request.
    ///
    /// ```
    /// use portcullis::authn::oidc::{OidcClient, OidcConfig};
    /// use std::time::Duration;
    /// # let base = OidcConfig::new("corp").issuer("https://id.corp.example").client_id("app").redirect_url("https://app.example/cb").cookie_key([7u8; 32]);
    /// assert!(OidcClient::new(base.refresh_interval(Duration::from_secs(300))).is_ok());
    /// ```
    pub fn refresh_interval(mut self, d: Duration) -> Self {
        self.refresh_interval = d;
        self
    }

    /// The largest discovery or JWKS document read (default 128 KiB); a larger one is refused.
    ///
    /// ```
    /// use portcullis::authn::oidc::{OidcClient, OidcConfig};
    /// # let base = OidcConfig::new("corp").issuer("https://id.corp.example").client_id("app").redirect_url("https://app.example/cb").cookie_key([7u8; 32]);
    /// assert!(OidcClient::new(base.max_document_bytes(64 * 1024)).is_ok());
    /// ```
    pub fn max_document_bytes(mut self, n: usize) -> Self {
        self.max_document_bytes = n;
        self
    }

    /// Allows plain `http://` issuer and endpoints. Unsafe outside tests; logged at WARN.
    ///
    /// ```
    /// use portcullis::authn::oidc::{OidcClient, OidcConfig};
    /// let mock = OidcConfig::new("mock")
    ///     .issuer("http://127.0.0.1:9999")
    ///     .client_id("app")
    ///     .redirect_url("http://127.0.0.1:3000/auth/oidc/callback")
    ///     .cookie_key([7u8; 32]);
    /// assert!(OidcClient::new(mock.clone()).is_err());
    /// assert!(OidcClient::new(mock.allow_insecure_http()).is_ok());
    /// ```
    pub fn allow_insecure_http(mut self) -> Self {
        self.allow_http = true;
        self
    }

    pub(crate) fn key(&self, field: &str) -> String {
        oidc_env_key(&self.name, field)
    }

    pub(crate) fn required(&self, field: &str, v: &Option<String>) -> Result<String, ConfigError> {
        v.clone()
            .ok_or_else(|| ConfigError::new(self.key(field), "is missing"))
    }

    /// `v` as an absolute URL, https unless plain http is allowed; `field` names the setting.
    pub(crate) fn url(&self, field: &str, v: &str) -> Result<url::Url, String> {
        let u = url::Url::parse(v).map_err(|e| format!("not an absolute URL ({e})"))?;
        match u.scheme() {
            "https" => Ok(u),
            "http" if self.allow_http => Ok(u),
            "http" => Err(format!(
                "{field} must use https (or call `allow_insecure_http()` in tests)"
            )),
            other => Err(format!("unsupported scheme `{other}`")),
        }
    }

    /// Checks the algorithm list given to the builder (the environment's is checked on read).
    pub(crate) fn check_algorithms(&self) -> Result<(), ConfigError> {
        let key = self.key("ALGORITHMS");
        if self.algorithms.is_empty() {
            return Err(ConfigError::new(
                key,
                "names no algorithm; use RS256, ES256 or EdDSA",
            ));
        }
        if self.algorithms.contains(&KeyAlgorithm::Hs256) {
            return Err(ConfigError::new(
                key,
                "`HS256` is not allowed: ID tokens are verified with the provider's public keys, never with a shared secret",
            ));
        }
        Ok(())
    }
}
