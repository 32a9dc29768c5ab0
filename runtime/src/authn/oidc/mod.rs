//! OpenID Connect sign-in (feature `oidc`): the authorization-code flow of `authn::oauth2`
//! (PKCE, signed single-use state cookie) plus everything that makes the ID token trustworthy.
//!
//! - **Discovery.** Endpoints and keys come from `<issuer>/.well-known/openid-configuration`,
//!   whose `issuer` must equal the configured one exactly. The document and the provider's
//!   JWKS are fetched on first use, cached ([`OidcConfig::cache_ttl`], 1 h), and fetched again
//!   when an ID token names a `kid` the cache does not hold, at most once per
//!   [`OidcConfig::refresh_interval`] (60 s) so made-up `kid`s cannot make us fetch on every
//!   request. Every fetch: no redirects, a timeout, a cap on the body
//!   ([`OidcConfig::max_document_bytes`]). An unreachable provider is a 503 problem with
//!   `Retry-After`, an unusable answer a 502; the cause goes to `tracing` only.
//! - **The ID token** is verified with the crate's JWT machinery (`authn::jwt`): strict
//!   structure, key chosen by `kid` among the provider's keys, each key bound to one
//!   algorithm from [`OidcConfig::algorithms`] (RS256 by default; `none` and HS* are never
//!   accepted, and symmetric keys in a JWKS are ignored), signature, `exp`/`nbf`/`iat` with
//!   leeway, `iss` exactly the issuer, `aud` containing our client id, `azp` equal to it when
//!   present and required when there are several audiences, `typ` absent or `JWT`.
//! - **`nonce`**: random per sign-in, sent to the provider and kept in the HMAC-signed state
//!   cookie; the ID token's `nonce` must equal it (compared in constant time).
//! - **`at_hash`**, when the ID token carries it, must match the access token.
//! - **RFC 9207**: an `iss` parameter on the callback must equal the issuer, and is required
//!   when the provider advertises `authorization_response_iss_parameter_supported`.
//!
//! The verified claims become a [`VerifiedIdentity`] keyed by (issuer, subject), whose email is
//! exposed only when the provider says `email_verified: true`; the application turns it into
//! its principal with [`OidcAccounts`] (look up, link or create the account). Every refusal is
//! a problem without the provider's details (400 for a broken or replayed flow, 401 for a
//! token that does not verify, 502/503 for the provider), logged at WARN under
//! `portcullis::authn` with a `reason`, and happens before `OidcAccounts::link` is called, so
//! nothing is created.
//!
//! Why a feature of its own (`oidc`, which turns on `oauth2`): it adds no dependency, but it
//! fetches key material at run time and verifies third-party tokens with it; an application
//! that only uses plain OAuth2 (GitHub) does not compile that machinery, and one that does says
//! so in its `Cargo.toml`.
//!
//! ```no_run
//! use axum::extract::{Query, State};
//! use axum::response::IntoResponse;
//! use portcullis::Problem;
//! use portcullis::authn::oauth2::Authorization;
//! use portcullis::authn::oidc::{OidcAccounts, OidcCallbackQuery, OidcClient, OidcConfig, VerifiedIdentity};
//! use std::sync::Arc;
//!
//! struct Accounts;
//! impl OidcAccounts for Accounts {
//!     type Principal = String;
//!     async fn link(&self, id: &VerifiedIdentity) -> Result<String, Problem> {
//!         // Look the account up by (issuer, subject); never by an unverified email.
//!         Ok(format!("{}|{}", id.issuer(), id.subject()))
//!     }
//! }
//!
//! async fn login(State(oidc): State<Arc<OidcClient>>) -> Result<Authorization, Problem> {
//!     oidc.authorize().await // 303 to the provider, with the signed state cookie
//! }
//!
//! async fn callback(State(oidc): State<Arc<OidcClient>>, headers: http::HeaderMap, Query(q): Query<OidcCallbackQuery>) -> Result<impl IntoResponse, Problem> {
//!     let done = oidc.callback(&headers, &q, &Accounts).await?;
//!     Ok(([(http::header::SET_COOKIE, done.clear_cookie)], done.principal))
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let oidc = Arc::new(OidcClient::new(OidcConfig::from_env("google"))?);
//! let app: axum::Router = axum::Router::new()
//!     .route("/auth/oidc/login", axum::routing::get(login))
//!     .route("/auth/oidc/callback", axum::routing::get(callback))
//!     .with_state(oidc);
//! # let _ = app; Ok(()) }
//! ```

// `Problem` is the crate's one rejection type; boxing it here alone would buy nothing.
#![allow(clippy::result_large_err)]

mod config;
mod discovery;

pub use config::{OIDC_SETTINGS, OidcConfig, oidc_env_key};

use http::{HeaderMap, HeaderValue, StatusCode};
use serde::Deserialize;
use serde_json::{Map, Value};
use sha2::Digest;
use std::sync::{Arc, RwLock};
use std::time::Instant;
use subtle::ConstantTimeEq;

use crate::authn::jwt::{Audience, JwtService, KeyAlgorithm, MAX_LEEWAY};
use crate::authn::oauth2::{Authorization, ConfigError, OAuth2Client, ProviderConfig};
use crate::authn::strategy::FailureReason;
use crate::authn::util;
use crate::http::problem::Problem;
use discovery::{FetchError, KeySet, Metadata, discovery_url, fetch_json};

const TARGET: &str = "portcullis::authn";

/// Every WARN of this module: the provider, a reason code and the cause (a URL, a status, a
/// parse error; never a token, code or cookie), under `portcullis::authn`. The client is told
/// none of it.
pub(crate) fn warn(provider: &str, reason: &str, cause: &str) {
    tracing::warn!(target: TARGET, provider, reason, cause, "oidc sign-in refused or degraded");
}

/// What a verified ID token says about the user.
///
/// The stable key of an account is [`key`](Self::key), (issuer, subject): the subject is
/// unique only within its issuer, and an email address can change hands. The email is here
/// only when the provider vouched for it (`email_verified: true`).
///
/// ```
/// use portcullis::Problem;
/// use portcullis::authn::oidc::{OidcAccounts, VerifiedIdentity};
///
/// struct Accounts;
/// impl OidcAccounts for Accounts {
///     type Principal = (String, Option<String>);
///     async fn link(&self, id: &VerifiedIdentity) -> Result<Self::Principal, Problem> {
///         let (issuer, subject) = id.key();
///         Ok((format!("{issuer}#{subject}"), id.email().map(str::to_owned)))
///     }
/// }
/// ```
#[derive(Clone)]
pub struct VerifiedIdentity {
    provider: String,
    issuer: String,
    subject: String,
    email: Option<String>,
    claims: Map<String, Value>,
    access_token: String,
    expires_at: i64,
}

impl std::fmt::Debug for VerifiedIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The access token is a secret; it is never printed.
        f.debug_struct("VerifiedIdentity")
            .field("provider", &self.provider)
            .field("issuer", &self.issuer)
            .field("subject", &self.subject)
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

impl VerifiedIdentity {
    /// The configured provider name.
    ///
    /// ```
    /// # use portcullis::authn::oidc::VerifiedIdentity;
    /// fn provider_of(id: &VerifiedIdentity) -> &str { id.provider() }
    /// ```
    pub fn provider(&self) -> &str {
        &self.provider
    }

    /// The issuer (`iss`), equal to the configured one.
    ///
    /// ```
    /// # use portcullis::authn::oidc::VerifiedIdentity;
    /// fn issuer_of(id: &VerifiedIdentity) -> &str { id.issuer() }
    /// ```
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The subject (`sub`): the user's id at the issuer, never reassigned there.
    ///
    /// ```
    /// # use portcullis::authn::oidc::VerifiedIdentity;
    /// fn subject_of(id: &VerifiedIdentity) -> &str { id.subject() }
    /// ```
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// (issuer, subject): the key to store an account link under.
    ///
    /// ```
    /// # use portcullis::authn::oidc::VerifiedIdentity;
    /// fn link_key(id: &VerifiedIdentity) -> String {
    ///     let (issuer, subject) = id.key();
    ///     format!("{issuer} {subject}")
    /// }
    /// ```
    pub fn key(&self) -> (&str, &str) {
        (&self.issuer, &self.subject)
    }

    /// The email address, only when the ID token says `email_verified: true` (a JSON `true`;
    /// the string `"true"` does not count).
    ///
    /// ```
    /// # use portcullis::authn::oidc::VerifiedIdentity;
    /// fn verified_email(id: &VerifiedIdentity) -> Option<String> {
    ///     id.email().map(str::to_lowercase)
    /// }
    /// ```
    pub fn email(&self) -> Option<&str> {
        self.email.as_deref()
    }

    /// Another claim of the ID token (`name`, `picture`, `locale`, `groups`, …). `email` and
    /// `email_verified` are not here (see [`email`](Self::email)), nor the checked protocol
    /// claims (`sub`, `iss`, `aud`, `exp`, `iat`, `nbf`, `jti`, `nonce`, `azp`, `at_hash`).
    ///
    /// ```
    /// # use portcullis::authn::oidc::VerifiedIdentity;
    /// fn display_name(id: &VerifiedIdentity) -> Option<&str> {
    ///     id.claim("name").and_then(|v| v.as_str())
    /// }
    /// ```
    pub fn claim(&self, name: &str) -> Option<&Value> {
        self.claims.get(name)
    }

    /// The provider's access token (a secret: do not log it), for its userinfo or other APIs.
    ///
    /// ```
    /// # use portcullis::authn::oidc::VerifiedIdentity;
    /// fn bearer(id: &VerifiedIdentity) -> String { format!("Bearer {}", id.access_token()) }
    /// ```
    pub fn access_token(&self) -> &str {
        &self.access_token
    }

    /// When the ID token expires (seconds since the epoch); a session made from it may end
    /// sooner, never needs to end then.
    ///
    /// ```
    /// # use portcullis::authn::oidc::VerifiedIdentity;
    /// fn expiry(id: &VerifiedIdentity) -> i64 { id.expires_at() }
    /// ```
    pub fn expires_at(&self) -> i64 {
        self.expires_at
    }
}

/// Turns a verified identity into the application's principal: find the account linked to
/// (issuer, subject), link or create one, or refuse. Called only after every check passed.
///
/// ```
/// use portcullis::Problem;
/// use portcullis::authn::oidc::{OidcAccounts, VerifiedIdentity};
/// use std::collections::HashMap;
///
/// struct Links(HashMap<(String, String), u64>);
/// impl OidcAccounts for Links {
///     type Principal = u64;
///     async fn link(&self, id: &VerifiedIdentity) -> Result<u64, Problem> {
///         let (iss, sub) = id.key();
///         self.0.get(&(iss.to_owned(), sub.to_owned())).copied().ok_or_else(|| {
///             Problem::forbidden().with_detail("No account is linked to this sign-in.")
///         })
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot link an OpenID Connect identity to an account",
    note = "implement `portcullis::authn::oidc::OidcAccounts` for `{Self}`: `type Principal = ..; async fn link(&self, identity: &VerifiedIdentity) -> Result<Self::Principal, portcullis::Problem>`, keyed by `identity.key()` (issuer, subject)"
)]
pub trait OidcAccounts: Send + Sync {
    /// What a successful sign-in yields (the user, or what a session stores).
    type Principal;

    /// The principal for `identity`, or the problem to answer with.
    ///
    /// ```
    /// use portcullis::Problem;
    /// use portcullis::authn::oidc::{OidcAccounts, VerifiedIdentity};
    /// struct Subjects;
    /// impl OidcAccounts for Subjects {
    ///     type Principal = String;
    ///     async fn link(&self, id: &VerifiedIdentity) -> Result<String, Problem> {
    ///         Ok(id.subject().to_owned())
    ///     }
    /// }
    /// ```
    fn link(
        &self,
        identity: &VerifiedIdentity,
    ) -> impl Future<Output = Result<Self::Principal, Problem>> + Send;
}

/// The query string the provider redirects back with.
///
/// ```
/// use axum::extract::Query;
/// use portcullis::authn::oidc::OidcCallbackQuery;
/// let uri: http::Uri = "/auth/oidc/callback?code=abc&state=xyz&iss=https%3A%2F%2Fid.example".parse().unwrap();
/// let Query(q) = Query::<OidcCallbackQuery>::try_from_uri(&uri).unwrap();
/// assert_eq!(q.iss.as_deref(), Some("https://id.example"));
/// ```
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OidcCallbackQuery {
    /// The authorization code.
    pub code: Option<String>,
    /// The state echoed back.
    pub state: Option<String>,
    /// An error the provider reported instead of a code.
    pub error: Option<String>,
    /// The issuer of the response (RFC 9207).
    pub iss: Option<String>,
}

/// A completed sign-in: the application's principal, the identity it came from, and the
/// `Set-Cookie` that deletes the state cookie (put it on the response).
///
/// ```no_run
/// use portcullis::Problem;
/// use portcullis::authn::oidc::{OidcAccounts, OidcCallbackQuery, OidcClient, VerifiedIdentity};
/// # struct Accounts;
/// # impl OidcAccounts for Accounts { type Principal = String; async fn link(&self, id: &VerifiedIdentity) -> Result<String, Problem> { Ok(id.subject().into()) } }
/// async fn finish(oidc: &OidcClient, headers: &http::HeaderMap, q: &OidcCallbackQuery) -> Result<String, Problem> {
///     let done = oidc.callback(headers, q, &Accounts).await?;
///     assert_eq!(done.identity.subject(), done.principal);
///     Ok(done.principal)
/// }
/// ```
#[derive(Debug)]
pub struct SignedIn<P> {
    /// What [`OidcAccounts::link`] returned.
    pub principal: P,
    /// The verified identity.
    pub identity: VerifiedIdentity,
    /// `Set-Cookie` clearing the state cookie.
    pub clear_cookie: HeaderValue,
}

/// The ID token claims read beside the registered ones (`Claims` holds `sub`, `iss`, `aud`,
/// `exp`, `iat`, `nbf`, `jti`).
#[derive(Deserialize)]
struct IdClaims {
    #[serde(default)]
    nonce: Option<String>,
    #[serde(default)]
    azp: Option<String>,
    #[serde(default)]
    at_hash: Option<String>,
    #[serde(flatten)]
    rest: Map<String, Value>,
}

/// One snapshot of what the provider published.
struct Provider {
    metadata: Metadata,
    oauth: Arc<OAuth2Client>,
    keys: JwtService,
    fetched: Instant,
}

/// An OpenID Connect client for one provider. Cheap to share behind an `Arc`.
///
/// ```
/// use portcullis::authn::oidc::{OidcClient, OidcConfig};
/// use std::sync::Arc;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let corp = Arc::new(OidcClient::new(
///     OidcConfig::new("corp")
///         .issuer("https://id.corp.example")
///         .client_id("app")
///         .redirect_url("https://app.example/auth/oidc/callback")
///         .cookie_key([7u8; 32]),
/// )?);
/// assert_eq!(corp.name(), "corp");
/// # Ok(()) }
/// ```
pub struct OidcClient {
    config: OidcConfig,
    issuer: String,
    client_id: String,
    redirect_url: String,
    cookie_key: Vec<u8>,
    discovery: url::Url,
    http: reqwest::Client,
    current: RwLock<Option<Arc<Provider>>>,
    /// Held while fetching (one fetch at a time); holds when an unknown `kid` last caused one.
    refresh: tokio::sync::Mutex<Option<Instant>>,
}

impl std::fmt::Debug for OidcClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcClient")
            .field("name", &self.config.name)
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

/// The left half of the access token's hash, base64url (OpenID Connect Core §3.1.3.6): SHA-256
/// for RS256 and ES256, SHA-512 for EdDSA (Ed25519).
fn at_hash(alg: KeyAlgorithm, access_token: &str) -> String {
    match alg {
        KeyAlgorithm::EdDsa => {
            let d = sha2::Sha512::digest(access_token.as_bytes());
            util::b64url(&d[..d.len() / 2])
        }
        _ => {
            let d = sha2::Sha256::digest(access_token.as_bytes());
            util::b64url(&d[..d.len() / 2])
        }
    }
}

fn invalid(e: String) -> FetchError {
    FetchError::Invalid(e)
}

impl OidcClient {
    /// Validates `config`; every error names the setting to fix. Nothing is fetched yet: the
    /// provider is asked on the first sign-in (or by [`discover`](Self::discover)).
    ///
    /// ```
    /// use portcullis::authn::oidc::{OidcClient, OidcConfig};
    /// let cfg = OidcConfig::new("corp").issuer("https://id.corp.example").redirect_url("https://app.example/cb").cookie_key([7u8; 32]);
    /// assert_eq!(OidcClient::new(cfg).unwrap_err().key, "PORTCULLIS_OIDC__CORP__CLIENT_ID");
    /// ```
    pub fn new(config: OidcConfig) -> Result<Self, ConfigError> {
        if let Some(e) = config.invalid.clone() {
            return Err(e);
        }
        let name = config.name.clone();
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(ConfigError::new(
                "name",
                "provider name must be letters, digits, `_` or `-`",
            ));
        }
        let issuer = config.required("ISSUER", &config.issuer)?;
        let issuer_url = config
            .url("ISSUER", &issuer)
            .map_err(|e| ConfigError::new(config.key("ISSUER"), e))?;
        if issuer_url.query().is_some() || issuer_url.fragment().is_some() {
            return Err(ConfigError::new(
                config.key("ISSUER"),
                "an issuer has no query or fragment",
            ));
        }
        let client_id = config.required("CLIENT_ID", &config.client_id)?;
        let redirect_url = config.required("REDIRECT_URL", &config.redirect_url)?;
        config
            .url("REDIRECT_URL", &redirect_url)
            .map_err(|e| ConfigError::new(config.key("REDIRECT_URL"), e))?;
        let cookie_key = config.cookie_key.clone().unwrap_or_default();
        if cookie_key.len() < 32 {
            return Err(ConfigError::new(
                config.key("COOKIE_KEY"),
                "must be at least 32 random bytes",
            ));
        }
        config.check_algorithms()?;
        if config.leeway > MAX_LEEWAY {
            return Err(ConfigError::new(
                "OidcConfig::leeway",
                format!("at most {} s", MAX_LEEWAY.as_secs()),
            ));
        }
        if config.max_document_bytes < 1024 {
            return Err(ConfigError::new(
                "OidcConfig::max_document_bytes",
                "at least 1024 bytes",
            ));
        }
        let discovery =
            discovery_url(&issuer_url).map_err(|e| ConfigError::new(config.key("ISSUER"), e))?;
        if config.allow_http {
            warn(
                &name,
                "plain_http",
                "plain http provider endpoints allowed: unsafe outside tests",
            );
        }
        let http = reqwest::Client::builder()
            // SSRF defence: the provider (or anyone who can make it redirect) cannot send us
            // to another host for documents or keys.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(config.http_timeout)
            .build()
            .map_err(|e| ConfigError::new(config.key("ISSUER"), format!("HTTP client: {e}")))?;
        Ok(Self {
            issuer,
            client_id,
            redirect_url,
            cookie_key,
            discovery,
            http,
            current: RwLock::new(None),
            refresh: tokio::sync::Mutex::new(None),
            config,
        })
    }

    /// The provider name.
    ///
    /// ```
    /// # use portcullis::authn::oidc::{OidcClient, OidcConfig};
    /// # let client = OidcClient::new(OidcConfig::new("corp").issuer("https://id.corp.example").client_id("app").redirect_url("https://app.example/cb").cookie_key([7u8; 32])).unwrap();
    /// assert_eq!(client.name(), "corp");
    /// ```
    pub fn name(&self) -> &str {
        &self.config.name
    }

    /// The configured issuer.
    ///
    /// ```
    /// # use portcullis::authn::oidc::{OidcClient, OidcConfig};
    /// # let client = OidcClient::new(OidcConfig::new("corp").issuer("https://id.corp.example").client_id("app").redirect_url("https://app.example/cb").cookie_key([7u8; 32])).unwrap();
    /// assert_eq!(client.issuer(), "https://id.corp.example");
    /// ```
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Fetches (or refreshes, when stale) the discovery document and the keys now, e.g. at
    /// start-up to find a misconfigured issuer early. A failure is the problem a sign-in would
    /// answer with (503 unreachable, 502 unusable); the cause is logged.
    ///
    /// ```no_run
    /// # use portcullis::authn::oidc::{OidcClient, OidcConfig};
    /// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
    /// let client = OidcClient::new(OidcConfig::from_env("corp"))?;
    /// if client.discover().await.is_err() {
    ///     eprintln!("the identity provider is not reachable yet; sign-ins will retry");
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn discover(&self) -> Result<(), Problem> {
        self.provider().await.map(|_| ())
    }

    /// Starts a sign-in: the provider's authorization URL (with `state`, an S256 PKCE
    /// challenge, a fresh `nonce`, scope `openid`) and the signed state cookie that carries
    /// them. Answer with it directly (a 303 redirect).
    ///
    /// ```no_run
    /// use portcullis::Problem;
    /// use portcullis::authn::oauth2::Authorization;
    /// use portcullis::authn::oidc::OidcClient;
    /// async fn login(oidc: &OidcClient) -> Result<Authorization, Problem> {
    ///     oidc.authorize().await // 503 when the provider's discovery cannot be fetched
    /// }
    /// ```
    pub async fn authorize(&self) -> Result<Authorization, Problem> {
        let provider = self.provider().await?;
        let nonce = util::random_token().map_err(|e| {
            tracing::error!(target: TARGET, error = %e, "OS random number generator failed");
            Problem::internal()
        })?;
        provider.oauth.authorize_with_nonce(nonce)
    }

    /// Finishes a sign-in: checks the callback (RFC 9207 `iss`, state cookie, single use),
    /// exchanges the code, verifies the ID token (signature, `iss`, `aud`, `azp`, `exp`,
    /// `iat`, `nonce`, `at_hash`) and hands the [`VerifiedIdentity`] to `accounts`.
    ///
    /// ```no_run
    /// use portcullis::Problem;
    /// use portcullis::authn::oidc::{OidcAccounts, OidcCallbackQuery, OidcClient, VerifiedIdentity};
    /// # struct Accounts;
    /// # impl OidcAccounts for Accounts { type Principal = String; async fn link(&self, id: &VerifiedIdentity) -> Result<String, Problem> { Ok(id.subject().into()) } }
    /// async fn callback(oidc: &OidcClient, headers: &http::HeaderMap, q: &OidcCallbackQuery) -> Result<String, Problem> {
    ///     Ok(oidc.callback(headers, q, &Accounts).await?.principal)
    /// }
    /// ```
    pub async fn callback<A: OidcAccounts>(
        &self,
        headers: &HeaderMap,
        query: &OidcCallbackQuery,
        accounts: &A,
    ) -> Result<SignedIn<A::Principal>, Problem> {
        let provider = self.provider().await?;
        // RFC 9207 §2.4: before anything else, so a mixed-up response never reaches a token
        // endpoint.
        match &query.iss {
            Some(iss) if iss.as_bytes() != self.issuer.as_bytes() => {
                return Err(self.bad_flow("iss_parameter_mismatch"));
            }
            None if provider
                .metadata
                .authorization_response_iss_parameter_supported =>
            {
                return Err(self.bad_flow("iss_parameter_missing"));
            }
            _ => {}
        }
        let done = provider
            .oauth
            .exchange(
                headers,
                query.code.as_deref(),
                query.state.as_deref(),
                query.error.as_deref(),
            )
            .await?;
        let Some(id_token) = done.id_token.as_deref() else {
            warn(
                &self.config.name,
                "id_token_missing",
                "the token response has no id_token",
            );
            return Err(Problem::new(StatusCode::BAD_GATEWAY)
                .with_detail("The identity provider's answer could not be used."));
        };
        let (claims, alg) = match provider.keys.verify_id_token::<IdClaims>(id_token) {
            Ok(verified) => verified,
            Err(FailureReason::UnknownKid) => {
                match self.refresh_for_unknown_kid(&provider).await? {
                    Some(newer) => newer
                        .keys
                        .verify_id_token::<IdClaims>(id_token)
                        .map_err(|r| self.refused(r.as_str()))?,
                    None => return Err(self.refused("unknown_kid_refresh_rate_limited")),
                }
            }
            Err(reason) => return Err(self.refused(reason.as_str())),
        };
        let Some(expected) = done.nonce.as_deref() else {
            return Err(self.refused("nonce_not_in_state"));
        };
        let Some(nonce) = claims.custom.nonce.as_deref() else {
            return Err(self.refused("nonce_missing"));
        };
        if !bool::from(nonce.as_bytes().ct_eq(expected.as_bytes())) {
            return Err(self.refused("nonce_mismatch"));
        }
        let several = matches!(&claims.aud, Some(Audience::Many(a)) if a.len() > 1);
        match claims.custom.azp.as_deref() {
            Some(azp) if azp != self.client_id => return Err(self.refused("azp_mismatch")),
            None if several => return Err(self.refused("azp_missing")),
            _ => {}
        }
        if let Some(h) = claims.custom.at_hash.as_deref() {
            let want = at_hash(alg, &done.access_token);
            if !bool::from(h.as_bytes().ct_eq(want.as_bytes())) {
                return Err(self.refused("at_hash_mismatch"));
            }
        }
        let mut rest = claims.custom.rest;
        let verified = matches!(rest.remove("email_verified"), Some(Value::Bool(true)));
        let email = rest
            .remove("email")
            .and_then(|v| v.as_str().map(str::to_owned))
            .filter(|_| verified);
        let identity = VerifiedIdentity {
            provider: self.config.name.clone(),
            issuer: self.issuer.clone(),
            subject: claims.sub,
            email,
            claims: rest,
            access_token: done.access_token,
            expires_at: claims.exp,
        };
        let principal = accounts.link(&identity).await?;
        Ok(SignedIn {
            principal,
            identity,
            clear_cookie: done.clear_cookie,
        })
    }

    /// A callback that does not belong to a flow we started (400, like a bad state).
    fn bad_flow(&self, reason: &str) -> Problem {
        warn(
            &self.config.name,
            reason,
            "callback does not belong to a flow we started",
        );
        Problem::bad_request().with_detail("The sign-in could not be completed; start again.")
    }

    /// An ID token that does not verify (401).
    fn refused(&self, reason: &str) -> Problem {
        warn(&self.config.name, reason, "ID token refused");
        Problem::unauthorized().with_detail("The sign-in could not be verified; start again.")
    }

    fn cached(&self) -> Option<Arc<Provider>> {
        // A poisoned lock still holds a whole `Option<Arc<_>>` (single assignments).
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn store(&self, p: Arc<Provider>) {
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Some(p);
    }

    fn fresh(&self) -> Option<Arc<Provider>> {
        self.cached()
            .filter(|p| p.fetched.elapsed() < self.config.cache_ttl)
    }

    /// The cached provider snapshot, fetched when missing or stale. A stale snapshot is still
    /// used when the refetch fails (the provider is briefly down; its keys did not change).
    async fn provider(&self) -> Result<Arc<Provider>, Problem> {
        if let Some(p) = self.fresh() {
            return Ok(p);
        }
        let _one_fetch = self.refresh.lock().await;
        if let Some(p) = self.fresh() {
            return Ok(p);
        }
        let previous = self.cached();
        match self.fetch(previous.as_deref()).await {
            Ok(p) => {
                let p = Arc::new(p);
                self.store(p.clone());
                Ok(p)
            }
            Err(problem) => match previous {
                Some(stale) => {
                    warn(
                        &self.config.name,
                        "stale_provider_metadata",
                        "refresh failed; using the cached discovery document and keys",
                    );
                    Ok(stale)
                }
                None => Err(problem),
            },
        }
    }

    /// An ID token named a `kid` we do not hold: fetch again, unless an unknown `kid` already
    /// did within `refresh_interval` (then `None`: refuse without fetching).
    async fn refresh_for_unknown_kid(
        &self,
        seen: &Arc<Provider>,
    ) -> Result<Option<Arc<Provider>>, Problem> {
        let mut last = self.refresh.lock().await;
        if let Some(current) = self.cached()
            && !Arc::ptr_eq(&current, seen)
        {
            // Someone else fetched meanwhile.
            return Ok(Some(current));
        }
        if last.is_some_and(|t| t.elapsed() < self.config.refresh_interval) {
            return Ok(None);
        }
        *last = Some(Instant::now());
        tracing::info!(target: TARGET, provider = %self.config.name, "oidc ID token names an unknown key: fetching the provider's keys again");
        let p = Arc::new(self.fetch(Some(seen)).await?);
        self.store(p.clone());
        Ok(Some(p))
    }

    async fn fetch(&self, previous: Option<&Provider>) -> Result<Provider, Problem> {
        let name = &self.config.name;
        let max = self.config.max_document_bytes;
        let metadata: Metadata = fetch_json(&self.http, &self.discovery, max)
            .await
            .and_then(|m: Metadata| {
                // OpenID Connect Discovery §4.3: exactly the issuer we asked.
                if m.issuer == self.issuer {
                    Ok(m)
                } else {
                    Err(invalid(format!(
                        "discovery document names issuer {:?}, configured {:?}",
                        m.issuer, self.issuer
                    )))
                }
            })
            .map_err(|e| e.into_problem(name, "discovery"))?;
        let jwks_uri = self
            .config
            .url("jwks_uri", &metadata.jwks_uri)
            .map_err(|e| invalid(e).into_problem(name, "discovery"))?;
        let oauth = match previous {
            Some(p)
                if p.metadata.authorization_endpoint == metadata.authorization_endpoint
                    && p.metadata.token_endpoint == metadata.token_endpoint =>
            {
                p.oauth.clone()
            }
            _ => {
                let client = self
                    .oauth_client(&metadata)
                    .map_err(|e| invalid(e.to_string()).into_problem(name, "discovery"))?;
                Arc::new(match previous {
                    Some(p) => client.sharing_replay_cache(&p.oauth),
                    None => client,
                })
            }
        };
        let set: KeySet = fetch_json(&self.http, &jwks_uri, max)
            .await
            .map_err(|e| e.into_problem(name, "jwks"))?;
        let (keys, skipped) = JwtService::for_provider(
            &set.keys,
            &self.config.algorithms,
            &self.issuer,
            &self.client_id,
            self.config.leeway,
        );
        for (kid, reason) in skipped {
            tracing::info!(target: TARGET, provider = %name, kid = kid.as_deref().unwrap_or(""), reason, "oidc provider key not used");
        }
        Ok(Provider {
            metadata,
            oauth,
            keys,
            fetched: Instant::now(),
        })
    }

    fn oauth_client(&self, m: &Metadata) -> Result<OAuth2Client, ConfigError> {
        let c = &self.config;
        let mut cfg = ProviderConfig::new(c.name.clone())
            .client_id(self.client_id.clone())
            .auth_url(m.authorization_endpoint.clone())
            .token_url(m.token_endpoint.clone())
            .redirect_url(self.redirect_url.clone())
            .cookie_key(self.cookie_key.clone())
            .state_ttl(c.state_ttl)
            .http_timeout(c.http_timeout)
            .scope("openid");
        let mut scopes: Vec<&String> = Vec::new();
        for s in &c.scopes {
            if s != "openid" && !scopes.contains(&s) {
                scopes.push(s);
            }
        }
        for s in scopes {
            cfg = cfg.scope(s.clone());
        }
        if let Some(secret) = &c.client_secret {
            cfg = cfg.client_secret(secret.clone());
        }
        if c.allow_http {
            cfg = cfg.allow_insecure_http();
        }
        OAuth2Client::new(cfg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_hash_matches_the_specification_example() {
        // OpenID Connect Core 1.0, Appendix A.3 (RS256).
        assert_eq!(
            at_hash(
                KeyAlgorithm::Rs256,
                "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"
            ),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
        assert_eq!(at_hash(KeyAlgorithm::EdDsa, "x").len(), 43);
    }

    fn rsa_jwk(extra: serde_json::Value) -> Value {
        let pem = include_str!("../../../tests/fixtures/authn/rsa.pem");
        let key = jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap();
        let jwk = jsonwebtoken::jwk::Jwk::from_encoding_key(&key, jsonwebtoken::Algorithm::RS256)
            .unwrap();
        let mut v = serde_json::to_value(jwk).unwrap();
        v.as_object_mut().unwrap().remove("alg");
        for (k, x) in extra.as_object().unwrap() {
            v[k] = x.clone();
        }
        v
    }

    #[test]
    fn provider_keys_are_bound_to_allowed_public_key_algorithms() {
        let keys = [
            rsa_jwk(serde_json::json!({ "kid": "plain" })),
            rsa_jwk(serde_json::json!({ "kid": "rs", "alg": "RS256", "use": "sig" })),
            rsa_jwk(serde_json::json!({ "kid": "hs", "alg": "HS256" })),
            rsa_jwk(serde_json::json!({ "kid": "es", "alg": "ES256" })),
            rsa_jwk(serde_json::json!({ "kid": "enc", "use": "enc" })),
            serde_json::json!({ "kid": "secret", "kty": "oct", "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA", "alg": "HS256" }),
            serde_json::json!({ "kid": "junk", "kty": "RSA" }),
        ];
        let (_, skipped) = JwtService::for_provider(
            &keys,
            &[KeyAlgorithm::Rs256],
            "https://id.example",
            "app",
            std::time::Duration::from_secs(60),
        );
        let reason = |kid: &str| {
            skipped
                .iter()
                .find(|(k, _)| k.as_deref() == Some(kid))
                .map(|(_, r)| *r)
        };
        assert_eq!(reason("plain"), None);
        assert_eq!(reason("rs"), None);
        assert_eq!(reason("hs"), Some("unsupported_algorithm"));
        assert_eq!(reason("es"), Some("algorithm_does_not_fit_key"));
        assert_eq!(reason("enc"), Some("key_use_not_sig"));
        assert!(matches!(
            reason("secret"),
            Some("symmetric_key" | "unreadable_jwk")
        ));
        assert!(matches!(
            reason("junk"),
            Some("unsupported_key_type" | "unreadable_jwk")
        ));
        // Allowed algorithms come from configuration: RS256 keys are unused when only ES256 is.
        let (_, skipped) = JwtService::for_provider(
            &keys[..2],
            &[KeyAlgorithm::Es256],
            "https://id.example",
            "app",
            std::time::Duration::from_secs(60),
        );
        assert!(
            skipped.iter().all(|(_, r)| *r == "algorithm_not_allowed"),
            "{skipped:?}"
        );
    }

    #[test]
    fn discovery_url_keeps_the_issuer_path() {
        let u = |s: &str| {
            discovery_url(&url::Url::parse(s).unwrap())
                .unwrap()
                .to_string()
        };
        assert_eq!(
            u("https://id.example"),
            "https://id.example/.well-known/openid-configuration"
        );
        assert_eq!(
            u("https://id.example/realms/a/"),
            "https://id.example/realms/a/.well-known/openid-configuration"
        );
    }

    #[test]
    fn config_errors_name_the_setting() {
        let vars = |extra: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                let base = [
                    ("PORTCULLIS_OIDC__X__ISSUER", "https://id.example"),
                    ("PORTCULLIS_OIDC__X__CLIENT_ID", "app"),
                    ("PORTCULLIS_OIDC__X__REDIRECT_URL", "https://app.example/cb"),
                    (
                        "PORTCULLIS_OIDC__X__COOKIE_KEY",
                        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
                    ),
                ];
                extra
                    .iter()
                    .chain(base.iter())
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert!(OidcClient::new(OidcConfig::from_lookup("x", vars(&[]))).is_ok());
        for (bad, key) in [
            (
                ("PORTCULLIS_OIDC__X__ALGORITHMS", "none"),
                "PORTCULLIS_OIDC__X__ALGORITHMS",
            ),
            (
                ("PORTCULLIS_OIDC__X__ALGORITHMS", "HS512"),
                "PORTCULLIS_OIDC__X__ALGORITHMS",
            ),
            (
                ("PORTCULLIS_OIDC__X__ALGORITHMS", "PS256"),
                "PORTCULLIS_OIDC__X__ALGORITHMS",
            ),
            (
                ("PORTCULLIS_OIDC__X__COOKIE_KEY", "not base64!"),
                "PORTCULLIS_OIDC__X__COOKIE_KEY",
            ),
            (
                ("PORTCULLIS_OIDC__X__ISSUER", "https://id.example/?x=1"),
                "PORTCULLIS_OIDC__X__ISSUER",
            ),
            (
                ("PORTCULLIS_OIDC__X__REDIRECT_URL", "/relative"),
                "PORTCULLIS_OIDC__X__REDIRECT_URL",
            ),
        ] {
            let extra: &'static [(&str, &str)] = Box::leak(Box::new([bad]));
            let err = OidcClient::new(OidcConfig::from_lookup("x", vars(extra))).unwrap_err();
            assert_eq!(err.key, key, "{bad:?}");
        }
        let ok = OidcConfig::from_lookup(
            "x",
            vars(&[("PORTCULLIS_OIDC__X__ALGORITHMS", "ES256, RS256 EdDSA")]),
        );
        assert_eq!(
            ok.algorithms,
            [
                KeyAlgorithm::Es256,
                KeyAlgorithm::Rs256,
                KeyAlgorithm::EdDsa
            ]
        );
    }
}
