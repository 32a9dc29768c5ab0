//! OAuth2 authorization-code flow with PKCE (S256) as a client (feature `oauth2`), on the
//! `oauth2` crate.
//!
//! [`OAuth2Client::authorize`] makes the redirect to the provider and a signed, `HttpOnly`,
//! `Secure`, `SameSite=Lax`, short-lived cookie holding `state` and the PKCE verifier;
//! [`OAuth2Client::callback`] checks `state` against the cookie in constant time (missing,
//! mismatched, expired or replayed state is a 400; a full replay cache is a 503, see
//! [`ProviderConfig::replay_cache_capacity`]), exchanges the code over an HTTP client that
//! never follows redirects and times out, fetches userinfo if configured, and hands the
//! [`ProviderIdentity`] to the application's [`MapPrincipal`].
//!
//! The ID token, if the provider returns one, is passed on as received: for OpenID Connect
//! providers use `authn::oidc` (feature `oidc`), which verifies it (signature against the
//! provider's JWKS, `iss`, `aud`, `azp`, `exp`, `nonce`, `at_hash`) before anything reads it.

// `Problem` is the crate's one rejection type; boxing it here alone would buy nothing.
#![allow(clippy::result_large_err)]

mod config;
mod cookie;

pub use config::{ConfigError, DEFAULT_REPLAY_CACHE_CAPACITY, ProviderConfig, env_key};

use axum::response::{IntoResponse, Redirect, Response};
use http::header::{LOCATION, SET_COOKIE};
use http::{HeaderMap, HeaderValue, StatusCode};
use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope,
    StandardRevocableToken, StandardTokenResponse, TokenResponse, TokenUrl,
};
use serde::Deserialize;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use subtle::ConstantTimeEq;

use crate::authn::bounded::ExpiringMap;
use crate::http::cookies::{self, Lookup};
use crate::http::problem::Problem;
use cookie::{StateCookie, clear_cookie, now_secs, set_cookie};

const TARGET: &str = "portcullis::authn";

/// The token response's extra field this client reads.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
struct IdTokenField {
    id_token: Option<String>,
}

impl oauth2::ExtraTokenFields for IdTokenField {}

type Client = oauth2::Client<
    BasicErrorResponse,
    StandardTokenResponse<IdTokenField, BasicTokenType>,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// What the provider told us about the user, for [`MapPrincipal`].
///
/// ```
/// use portcullis::authn::oauth2::ProviderIdentity;
/// let id = ProviderIdentity {
///     provider: "github".to_owned(),
///     access_token: "gho_secret".to_owned(),
///     id_token: None,
///     userinfo: Some(serde_json::json!({ "id": 1, "login": "octocat" })),
/// };
/// assert_eq!(id.userinfo.as_ref().unwrap()["login"], "octocat");
/// assert!(!format!("{id:?}").contains("gho_secret")); // Debug hides the tokens
/// ```
#[derive(Clone)]
pub struct ProviderIdentity {
    /// The provider name.
    pub provider: String,
    /// The access token (a secret: do not log it).
    pub access_token: String,
    /// The ID token as received (unverified).
    pub id_token: Option<String>,
    /// The userinfo document, when a userinfo URL is configured.
    pub userinfo: Option<serde_json::Value>,
}

impl std::fmt::Debug for ProviderIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderIdentity")
            .field("provider", &self.provider)
            .field("userinfo", &self.userinfo)
            .finish_non_exhaustive()
    }
}

/// Maps a provider identity to the application's principal (looking up or creating the user).
///
/// Implemented for async closures `Fn(ProviderIdentity) -> impl Future<Output = Result<P, Problem>>`.
///
/// ```
/// use portcullis::Problem;
/// use portcullis::authn::oauth2::{ProviderIdentity, MapPrincipal};
///
/// fn check<P>(_: &impl MapPrincipal<P>) {}
/// // Look the user up (or create them) from the userinfo document.
/// let map = |id: ProviderIdentity| async move {
///     let login = id.userinfo.as_ref().and_then(|u| u["login"].as_str()).map(str::to_owned);
///     login.ok_or_else(Problem::unauthorized)
/// };
/// check::<String>(&map);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot map an OAuth2 identity to a `{P}`",
    note = "pass an async function `|identity: portcullis::authn::oauth2::ProviderIdentity| async move {{ .. Ok::<{P}, portcullis::Problem>(..) }}`"
)]
pub trait MapPrincipal<P>: Send + Sync {
    /// The principal for `identity`, or the problem to answer with.
    ///
    /// ```
    /// use portcullis::Problem;
    /// use portcullis::authn::oauth2::{ProviderIdentity, MapPrincipal};
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let map = |id: ProviderIdentity| async move { Ok::<_, Problem>(format!("{}-user", id.provider)) };
    /// let id = ProviderIdentity { provider: "github".into(), access_token: String::new(), id_token: None, userinfo: None };
    /// assert_eq!(map.map(id).await.unwrap(), "github-user");
    /// # });
    /// ```
    fn map(&self, identity: ProviderIdentity) -> impl Future<Output = Result<P, Problem>> + Send;
}

impl<P, F, Fut> MapPrincipal<P> for F
where
    F: Fn(ProviderIdentity) -> Fut + Send + Sync,
    Fut: Future<Output = Result<P, Problem>> + Send,
{
    fn map(&self, identity: ProviderIdentity) -> impl Future<Output = Result<P, Problem>> + Send {
        self(identity)
    }
}

/// The query string the provider redirects back with.
///
/// ```
/// use axum::extract::Query;
/// use portcullis::authn::oauth2::CallbackQuery;
/// let uri: http::Uri = "/auth/github/callback?code=abc&state=xyz".parse().unwrap();
/// let Query(q) = Query::<CallbackQuery>::try_from_uri(&uri).unwrap();
/// assert_eq!(q.code.as_deref(), Some("abc"));
/// assert_eq!(q.error, None);
/// ```
#[derive(Debug, Clone, Deserialize)]
pub struct CallbackQuery {
    /// The authorization code.
    pub code: Option<String>,
    /// The state echoed back.
    pub state: Option<String>,
    /// An error the provider reported instead of a code.
    pub error: Option<String>,
}

/// A successful callback: the principal and the `Set-Cookie` that deletes the state cookie
/// (put it on the response).
///
/// ```no_run
/// use axum::extract::Query;
/// use axum::response::IntoResponse;
/// use portcullis::Problem;
/// use portcullis::authn::oauth2::{CallbackQuery, ProviderIdentity, OAuth2Client};
///
/// async fn callback(client: &OAuth2Client, headers: http::HeaderMap, Query(q): Query<CallbackQuery>) -> Result<impl IntoResponse, Problem> {
///     let map = |id: ProviderIdentity| async move { Ok::<_, Problem>(id.provider) };
///     let done = client.callback(&headers, &q, &map).await?;
///     Ok(([(http::header::SET_COOKIE, done.clear_cookie)], format!("signed in via {}", done.principal)))
/// }
/// ```
#[derive(Debug)]
pub struct Callback<P> {
    /// The mapped principal.
    pub principal: P,
    /// `Set-Cookie` clearing the state cookie.
    pub clear_cookie: HeaderValue,
}

/// What a checked callback's code exchange returned (see [`OAuth2Client::exchange`]).
pub(crate) struct Exchanged {
    pub(crate) access_token: String,
    /// As received: unverified.
    pub(crate) id_token: Option<String>,
    /// The `nonce` the state cookie carried (OIDC flows only).
    #[cfg_attr(not(feature = "oidc"), allow(dead_code))]
    pub(crate) nonce: Option<String>,
    pub(crate) clear_cookie: HeaderValue,
}

/// The redirect to the provider with its state cookie.
///
/// ```
/// use axum::response::IntoResponse;
/// use portcullis::authn::oauth2::{OAuth2Client, ProviderConfig, location};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let cfg = ProviderConfig::new("github").client_id("abc").auth_url("https://github.com/login/oauth/authorize").token_url("https://github.com/login/oauth/access_token").redirect_url("https://app.example/cb").cookie_key([7u8; 32]);
/// let auth = OAuth2Client::new(cfg)?.authorize()?;
/// assert!(auth.set_cookie.to_str()?.starts_with("__Host-oauth2-github="));
/// let res = auth.into_response();
/// assert_eq!(res.status(), 303);
/// assert!(location(&res).unwrap().starts_with("https://github.com/"));
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Authorization {
    /// The provider URL to send the browser to.
    pub url: String,
    /// `Set-Cookie` carrying the signed state.
    pub set_cookie: HeaderValue,
}

impl IntoResponse for Authorization {
    fn into_response(self) -> Response {
        let mut res = Redirect::to(&self.url).into_response();
        res.headers_mut().insert(SET_COOKIE, self.set_cookie);
        res
    }
}

/// An OAuth2 client for one provider.
///
/// ```
/// use portcullis::authn::oauth2::{OAuth2Client, ProviderConfig};
/// use std::sync::Arc;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let github = Arc::new(OAuth2Client::new(
///     ProviderConfig::new("github")
///         .client_id("abc")
///         .auth_url("https://github.com/login/oauth/authorize")
///         .token_url("https://github.com/login/oauth/access_token")
///         .redirect_url("https://app.example/auth/github/callback")
///         .cookie_key([7u8; 32]),
/// )?);
/// let app: axum::Router = axum::Router::new()
///     .route("/auth/github", axum::routing::get(move || async move { github.authorize() }));
/// # let _ = app; Ok(()) }
/// ```
pub struct OAuth2Client {
    name: String,
    client: Client,
    http: reqwest::Client,
    userinfo: Option<url::Url>,
    scopes: Vec<String>,
    key: Vec<u8>,
    cookie_name: String,
    ttl: Duration,
    /// Used states until their cookie expires: bounded, ordered by expiry. Shared between the
    /// clients an OIDC client builds for one provider as its metadata changes.
    used: Arc<Mutex<ExpiringMap<()>>>,
}

impl std::fmt::Debug for OAuth2Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuth2Client")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

fn header(v: String) -> Result<HeaderValue, Problem> {
    HeaderValue::from_str(&v).map_err(|_| Problem::internal())
}

fn bad_state(reason: &str) -> Problem {
    tracing::warn!(target: TARGET, reason, "oauth2 callback rejected");
    Problem::bad_request().with_detail("The sign-in could not be completed; start again.")
}

impl OAuth2Client {
    /// Validates `config`; every error names the key to fix.
    ///
    /// ```
    /// use portcullis::authn::oauth2::{OAuth2Client, ProviderConfig};
    /// let cfg = ProviderConfig::new("git hub").client_id("abc"); // space in the name
    /// assert_eq!(OAuth2Client::new(cfg).unwrap_err().key, "name");
    /// ```
    pub fn new(config: ProviderConfig) -> Result<Self, ConfigError> {
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
        let client_id = config.required("CLIENT_ID", &config.client_id)?;
        let auth = config.url("AUTH_URL", &config.required("AUTH_URL", &config.auth_url)?)?;
        let token = config.url(
            "TOKEN_URL",
            &config.required("TOKEN_URL", &config.token_url)?,
        )?;
        let redirect = config.url(
            "REDIRECT_URL",
            &config.required("REDIRECT_URL", &config.redirect_url)?,
        )?;
        let userinfo = match &config.userinfo_url {
            Some(u) => Some(config.url("USERINFO_URL", u)?),
            None => None,
        };
        let key = config.cookie_key.clone().unwrap_or_default();
        if key.len() < 32 {
            return Err(ConfigError::new(
                env_key(&name, "COOKIE_KEY"),
                "must be at least 32 random bytes",
            ));
        }
        if config.allow_http {
            tracing::warn!(target: TARGET, provider = %name, reason = "plain_http", "oauth2 provider allows plain http endpoints: unsafe outside tests");
        }
        let mut client: Client = oauth2::Client::new(ClientId::new(client_id))
            .set_auth_uri(AuthUrl::from_url(auth))
            .set_token_uri(TokenUrl::from_url(token))
            .set_redirect_uri(RedirectUrl::from_url(redirect));
        if let Some(secret) = config.client_secret.clone() {
            client = client.set_client_secret(ClientSecret::new(secret));
        }
        let http = reqwest::Client::builder()
            // SSRF defence: a provider (or anyone who can make it redirect) cannot send the
            // code, secret or token to another host.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(config.http_timeout)
            .build()
            .map_err(|e| {
                ConfigError::new(env_key(&name, "TOKEN_URL"), format!("HTTP client: {e}"))
            })?;
        Ok(Self {
            cookie_name: format!("__Host-oauth2-{}", name.to_ascii_lowercase()),
            name,
            client,
            http,
            userinfo,
            scopes: config.scopes,
            key,
            ttl: config.state_ttl,
            used: Arc::new(Mutex::new(ExpiringMap::new(config.replay_cache_capacity))),
        })
    }

    /// The same client that remembers used states in `other`'s replay cache (an OIDC client
    /// rebuilds its OAuth2 client when the provider's endpoints change; a state spent on the
    /// old one stays spent).
    #[cfg(feature = "oidc")]
    pub(crate) fn sharing_replay_cache(mut self, other: &OAuth2Client) -> Self {
        self.used = other.used.clone();
        self
    }

    /// The provider name.
    ///
    /// ```
    /// use portcullis::authn::oauth2::{OAuth2Client, ProviderConfig};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let cfg = ProviderConfig::new("github").client_id("abc").auth_url("https://github.com/login/oauth/authorize").token_url("https://github.com/login/oauth/access_token").redirect_url("https://app.example/cb").cookie_key([7u8; 32]);
    /// let client = OAuth2Client::new(cfg)?; // configured as "github"
    /// assert_eq!(client.name(), "github");
    /// # Ok(()) }
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The state cookie's name.
    ///
    /// ```
    /// use portcullis::authn::oauth2::{OAuth2Client, ProviderConfig};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let cfg = ProviderConfig::new("GitHub").client_id("abc").auth_url("https://github.com/login/oauth/authorize").token_url("https://github.com/login/oauth/access_token").redirect_url("https://app.example/cb").cookie_key([7u8; 32]);
    /// let client = OAuth2Client::new(cfg)?; // configured as "GitHub"
    /// assert_eq!(client.cookie_name(), "__Host-oauth2-github");
    /// # Ok(()) }
    /// ```
    pub fn cookie_name(&self) -> &str {
        &self.cookie_name
    }

    /// Starts a sign-in: the provider URL (with `state` and an S256 PKCE challenge) and the
    /// signed state cookie. Answer with it directly (`IntoResponse` is a 303 redirect).
    ///
    /// ```
    /// use portcullis::authn::oauth2::{OAuth2Client, ProviderConfig};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let cfg = ProviderConfig::new("github").client_id("abc").auth_url("https://github.com/login/oauth/authorize").token_url("https://github.com/login/oauth/access_token").redirect_url("https://app.example/cb").cookie_key([7u8; 32]);
    /// let client = OAuth2Client::new(cfg)?;
    /// let auth = client.authorize()?;
    /// assert!(auth.url.contains("code_challenge_method=S256"));
    /// assert!(auth.url.contains("state="));
    /// # Ok(()) }
    /// ```
    pub fn authorize(&self) -> Result<Authorization, Problem> {
        self.authorize_inner(None)
    }

    /// [`authorize`](Self::authorize) with an OpenID Connect `nonce`: sent to the provider and
    /// kept in the signed state cookie, for [`exchange`](Self::exchange) to hand back.
    #[cfg(feature = "oidc")]
    pub(crate) fn authorize_with_nonce(&self, nonce: String) -> Result<Authorization, Problem> {
        self.authorize_inner(Some(nonce))
    }

    fn authorize_inner(&self, nonce: Option<String>) -> Result<Authorization, Problem> {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut req = self
            .client
            .authorize_url(CsrfToken::new_random)
            .set_pkce_challenge(challenge);
        for s in &self.scopes {
            req = req.add_scope(Scope::new(s.clone()));
        }
        if let Some(nonce) = &nonce {
            req = req.add_extra_param("nonce", nonce.clone());
        }
        let (url, state) = req.url();
        let cookie = StateCookie::new(
            state.secret().clone(),
            verifier.secret().clone(),
            self.ttl,
            nonce,
        );
        let value = set_cookie(&self.cookie_name, &cookie.encode(&self.key), self.ttl);
        Ok(Authorization {
            url: url.to_string(),
            set_cookie: header(value)?,
        })
    }

    /// Finishes a sign-in from the callback request's headers and query.
    ///
    /// ```no_run
    /// use axum::extract::{Query, State};
    /// use portcullis::Problem;
    /// use portcullis::authn::oauth2::{CallbackQuery, ProviderIdentity, OAuth2Client};
    /// use std::sync::Arc;
    ///
    /// async fn github_callback(State(github): State<Arc<OAuth2Client>>, headers: http::HeaderMap, Query(q): Query<CallbackQuery>) -> Result<String, Problem> {
    ///     let map = |id: ProviderIdentity| async move {
    ///         id.userinfo.as_ref().and_then(|u| u["login"].as_str()).map(str::to_owned).ok_or_else(Problem::unauthorized)
    ///     };
    ///     let done = github.callback(&headers, &q, &map).await?; // 400 on bad or replayed state
    ///     Ok(done.principal)
    /// }
    /// ```
    pub async fn callback<P>(
        &self,
        headers: &HeaderMap,
        query: &CallbackQuery,
        map: &impl MapPrincipal<P>,
    ) -> Result<Callback<P>, Problem> {
        let done = self
            .exchange(
                headers,
                query.code.as_deref(),
                query.state.as_deref(),
                query.error.as_deref(),
            )
            .await?;
        let userinfo = match &self.userinfo {
            Some(url) => Some(self.fetch_userinfo(url, &done.access_token).await?),
            None => None,
        };
        let identity = ProviderIdentity {
            provider: self.name.clone(),
            access_token: done.access_token,
            id_token: done.id_token,
            userinfo,
        };
        let principal = map.map(identity).await?;
        Ok(Callback {
            principal,
            clear_cookie: done.clear_cookie,
        })
    }

    /// The checks and the code exchange of a callback: the provider's error, the state cookie
    /// (signature, expiry, `state` compared in constant time, single use), then the token
    /// request with the PKCE verifier. Nothing is trusted yet about the tokens it returns.
    pub(crate) async fn exchange(
        &self,
        headers: &HeaderMap,
        code: Option<&str>,
        state: Option<&str>,
        error: Option<&str>,
    ) -> Result<Exchanged, Problem> {
        if let Some(err) = error {
            tracing::warn!(target: TARGET, provider = %self.name, error = %err, reason = "provider_error", "oauth2 provider reported an error");
            return Err(Problem::unauthorized());
        }
        let raw = match cookies::lookup(headers, &self.cookie_name) {
            Lookup::One(raw) => raw,
            Lookup::Absent => return Err(bad_state("state_cookie_missing")),
            Lookup::Duplicate => return Err(bad_state("state_cookie_duplicate")),
        };
        let cookie = StateCookie::decode(raw, &self.key).map_err(|e| bad_state(e.code()))?;
        let state = state.ok_or_else(|| bad_state("state_missing"))?;
        if !bool::from(state.as_bytes().ct_eq(cookie.state.as_bytes())) {
            return Err(bad_state("state_mismatch"));
        }
        self.consume(&cookie)?;
        let code = code.ok_or_else(|| bad_state("code_missing"))?;
        let token = self
            .client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_pkce_verifier(PkceCodeVerifier::new(cookie.verifier))
            .request_async(&self.http)
            .await
            .map_err(|e| self.token_error(e))?;
        Ok(Exchanged {
            access_token: token.access_token().secret().clone(),
            id_token: token.extra_fields().id_token.clone(),
            nonce: cookie.nonce,
            clear_cookie: header(clear_cookie(&self.cookie_name))?,
        })
    }

    /// Marks a state as used; a second callback with it is a replay. O(log n): expired states
    /// are dropped from the front of an expiry-ordered index, never by a scan.
    fn consume(&self, cookie: &StateCookie) -> Result<(), Problem> {
        let now = i64::try_from(now_secs()).unwrap_or(i64::MAX);
        let expires = i64::try_from(cookie.expires).unwrap_or(i64::MAX);
        // A poisoned lock still guards a consistent map (single map operations).
        let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        if used.contains_key(&cookie.state) {
            return Err(bad_state("state_replayed"));
        }
        if !used.make_room(&cookie.state, now).0 {
            // Every remembered state is still valid: forgetting one would let it be replayed.
            let wait = used
                .soonest_expiry()
                .map_or(1, |e| e.saturating_sub(now).max(1));
            let capacity = used.capacity();
            drop(used);
            tracing::warn!(target: TARGET, provider = %self.name, capacity,
                reason = "replay_cache_full", "oauth2 sign-in refused: state-replay cache full (raise replay_cache_capacity)");
            return Err(Problem::new(StatusCode::SERVICE_UNAVAILABLE)
                .with_header(http::header::RETRY_AFTER, wait.to_string())
                .with_detail("Too many sign-ins are in progress; try again shortly."));
        }
        used.insert(cookie.state.clone(), expires, ());
        Ok(())
    }

    fn token_error<RE: std::error::Error + 'static, T: oauth2::ErrorResponse + 'static>(
        &self,
        e: RequestTokenError<RE, T>,
    ) -> Problem {
        match e {
            RequestTokenError::ServerResponse(r) => {
                tracing::warn!(target: TARGET, provider = %self.name, error = %r, reason = "token_rejected", "oauth2 token exchange refused");
                Problem::unauthorized()
            }
            other => {
                tracing::warn!(target: TARGET, provider = %self.name, error = %other, reason = "token_exchange_failed", "oauth2 token exchange failed");
                Problem::new(StatusCode::BAD_GATEWAY)
            }
        }
    }

    async fn fetch_userinfo(
        &self,
        url: &url::Url,
        token: &str,
    ) -> Result<serde_json::Value, Problem> {
        let fail = |e: &dyn std::fmt::Display| {
            tracing::warn!(target: TARGET, provider = %self.name, error = %e, reason = "userinfo_failed", "oauth2 userinfo failed");
            Problem::new(StatusCode::BAD_GATEWAY)
        };
        let res = self
            .http
            .get(url.clone())
            .bearer_auth(token)
            .send()
            .await
            .map_err(|e| fail(&e))?;
        if !res.status().is_success() {
            return Err(fail(&res.status()));
        }
        let body = res.bytes().await.map_err(|e| fail(&e))?;
        serde_json::from_slice(&body).map_err(|e| fail(&e))
    }
}

/// `Location` of an [`Authorization`] response, for tests and custom responses.
///
/// ```
/// use axum::response::{IntoResponse, Redirect};
/// use portcullis::authn::oauth2::location;
/// let res = Redirect::to("https://github.com/login/oauth/authorize?x=1").into_response();
/// assert_eq!(location(&res), Some("https://github.com/login/oauth/authorize?x=1"));
/// ```
pub fn location(res: &Response) -> Option<&str> {
    res.headers().get(LOCATION).and_then(|v| v.to_str().ok())
}
