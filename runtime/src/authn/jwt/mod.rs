//! JSON Web Tokens: [`JwtService`] signs and verifies tokens with an explicit key set.
//!
//! Rules enforced on every verification:
//! - the key is chosen by `kid` from the configured set (never via `jku`, `x5u`, `jwk` or `x5c`),
//!   and each key is bound to one algorithm: a header `alg` that differs is refused, so an
//!   HS256 token "signed" with a public key is never checked with HMAC;
//! - `exp`, `iat` and `sub` are required, `nbf` is honoured, `iss`/`aud` are checked when
//!   configured, with a leeway of 30 s by default;
//! - token types are distinct (`typ: at+jwt` for access tokens, RFC 9068), so a refresh, ID or
//!   state token is never accepted as an access token;
//! - tokens over 8 KiB, with duplicate JSON keys, or with `crit` headers are refused unparsed.
//!
//! ```
//! use portcullis::authn::jwt::{JwtService, TokenType};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let pem = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/authn/ed25519_a.pem"));
//! let jwt = JwtService::builder().private_key_pem(pem.as_bytes()).issuer("https://id.example").build()?;
//! let token = jwt.sign("user-42", ())?;
//! let claims = jwt.verify::<()>(&token)?;
//! assert_eq!(claims.sub, "user-42");
//! assert!(jwt.verify_as::<()>(&token, TokenType::Refresh).is_err());
//! # Ok(()) }
//! ```

mod builder;
mod keys;
mod parse;

pub use builder::JwtServiceBuilder;

pub use keys::{KeyAlgorithm, KeyError, PRIVATE_KEY_SETTING, PUBLIC_KEYS_SETTING};

/// The setting holding the issuer (`iss`) to put into and require of tokens.
///
/// ```
/// use portcullis::authn::jwt::{ISSUER_SETTING, JwtService};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let jwt = JwtService::builder()
///     .hmac_secret("k1", &[7u8; 32])
///     .from_settings(|k| (k == ISSUER_SETTING).then(|| "https://id.example".to_owned()))
///     .build()?;
/// let claims = jwt.verify::<()>(&jwt.sign("u1", ())?)?;
/// assert_eq!(claims.iss.as_deref(), Some("https://id.example"));
/// # Ok(()) }
/// ```
pub const ISSUER_SETTING: &str = "PORTCULLIS_AUTHN__ISSUER";
/// The setting holding the accepted audiences, comma-separated (the first is put into tokens).
///
/// ```
/// use portcullis::authn::jwt::{AUDIENCE_SETTING, Audience, JwtService};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let jwt = JwtService::builder()
///     .hmac_secret("k1", &[7u8; 32])
///     .from_settings(|k| (k == AUDIENCE_SETTING).then(|| "api, admin".to_owned()))
///     .build()?;
/// let claims = jwt.claims("u1", ())?;
/// assert_eq!(claims.aud, Some(Audience::One("api".to_owned())));
/// # Ok(()) }
/// ```
pub const AUDIENCE_SETTING: &str = "PORTCULLIS_AUTHN__AUDIENCE";
pub use parse::MAX_TOKEN_LEN;

/// The largest clock-skew allowance [`JwtServiceBuilder::leeway`] accepts (5 minutes). The
/// revocation stores keep a revoked `jti` this long past the token's `exp`
/// ([`REVOCATION_GRACE`](crate::authn::revocation::REVOCATION_GRACE)), so a token can never
/// outlive its revocation inside the leeway.
///
/// ```
/// use portcullis::authn::jwt::{JwtService, MAX_LEEWAY};
/// use std::time::Duration;
/// assert_eq!(MAX_LEEWAY, Duration::from_secs(300));
/// let err = JwtService::builder()
///     .hmac_secret("k1", &[7u8; 32])
///     .leeway(MAX_LEEWAY + Duration::from_secs(1))
///     .build()
///     .unwrap_err();
/// assert_eq!(err.setting, "JwtServiceBuilder::leeway");
/// ```
pub const MAX_LEEWAY: Duration = Duration::from_secs(300);

use crate::authn::strategy::FailureReason;
use crate::authn::util;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{DecodingKey, EncodingKey, Header, Validation};
use keys::{SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use std::collections::HashMap;
use std::time::Duration;

/// The kind of a token, carried in the JOSE `typ` header and checked on every verification.
///
/// ```
/// use portcullis::authn::jwt::{JwtService, TokenType};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let jwt = JwtService::builder().hmac_secret("k1", &[7u8; 32]).build()?;
/// let refresh = jwt.sign_claims(TokenType::Refresh, &jwt.claims("u1", ())?)?;
/// assert!(jwt.verify_as::<()>(&refresh, TokenType::Refresh).is_ok());
/// assert!(jwt.verify::<()>(&refresh).is_err()); // never accepted as an access token
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenType {
    /// An OAuth 2.0 access token (`at+jwt`, RFC 9068): the only type bearer authentication accepts.
    Access,
    /// A JWT refresh token (`refresh+jwt`).
    Refresh,
    /// An OpenID Connect ID token (`id+jwt`).
    Id,
    /// An OAuth `state` value (`state+jwt`).
    State,
}

impl TokenType {
    /// The `typ` header value.
    ///
    /// ```
    /// use portcullis::authn::jwt::TokenType;
    /// assert_eq!(TokenType::Access.typ(), "at+jwt");
    /// assert_eq!(TokenType::Refresh.typ(), "refresh+jwt");
    /// ```
    pub fn typ(self) -> &'static str {
        match self {
            TokenType::Access => "at+jwt",
            TokenType::Refresh => "refresh+jwt",
            TokenType::Id => "id+jwt",
            TokenType::State => "state+jwt",
        }
    }

    fn matches(self, typ: Option<&str>) -> bool {
        let Some(typ) = typ else { return false };
        // Media-type comparison is case-insensitive and `application/` may be omitted (RFC 7515).
        let typ = typ.to_ascii_lowercase();
        let typ = typ.strip_prefix("application/").unwrap_or(&typ);
        typ == self.typ()
    }
}

/// The `aud` claim: one audience or several.
///
/// ```
/// use portcullis::authn::jwt::Audience;
/// let one: Audience = serde_json::from_str(r#""api""#).unwrap();
/// assert_eq!(one, Audience::One("api".to_owned()));
/// let many: Audience = serde_json::from_str(r#"["api","admin"]"#).unwrap();
/// assert_eq!(many, Audience::Many(vec!["api".to_owned(), "admin".to_owned()]));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    /// A single audience.
    One(String),
    /// Several audiences.
    Many(Vec<String>),
}

/// Registered claims plus application claims `T` (flattened into the same JSON object).
/// Use `()` when there are none.
///
/// ```
/// use portcullis::authn::jwt::{Claims, JwtService};
///
/// #[derive(serde::Serialize, serde::Deserialize)]
/// struct Roles { roles: Vec<String> }
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let jwt = JwtService::builder().hmac_secret("k1", &[7u8; 32]).build()?;
/// let token = jwt.sign("u1", Roles { roles: vec!["admin".to_owned()] })?;
/// let claims: Claims<Roles> = jwt.verify(&token)?;
/// assert_eq!(claims.sub, "u1");
/// assert_eq!(claims.custom.roles, ["admin"]);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims<T> {
    /// Subject: the principal's id.
    pub sub: String,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Issued at, seconds since the epoch.
    pub iat: i64,
    /// Not before, seconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// Issuer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// Audience.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<Audience>,
    /// Token id, random per token; what the revocation list stores.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// Application claims.
    #[serde(flatten)]
    pub custom: T,
}

/// Why a token was refused, with its [`FailureReason`] class.
///
/// ```
/// use portcullis::authn::FailureReason;
/// use portcullis::authn::jwt::{JwtError, JwtService};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let jwt = JwtService::builder().hmac_secret("k1", &[7u8; 32]).build()?;
/// let err = jwt.verify::<()>("not.a.token").unwrap_err();
/// assert!(matches!(err, JwtError::Rejected(FailureReason::Malformed)));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum JwtError {
    /// The token failed verification.
    #[error("token rejected: {0}")]
    Rejected(FailureReason),
    /// Signing is impossible (a verifier built from public keys only) or failed.
    #[error("cannot sign: {0}")]
    Sign(String),
}

impl JwtError {
    /// The reason class (`Rejected`), or `None` for signing errors.
    ///
    /// ```
    /// use portcullis::authn::FailureReason;
    /// use portcullis::authn::jwt::JwtService;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let signer = JwtService::builder().hmac_secret("k1", &[7u8; 32]).build()?;
    /// let other = JwtService::builder().hmac_secret("k1", &[8u8; 32]).build()?;
    /// let err = other.verify::<()>(&signer.sign("u1", ())?).unwrap_err();
    /// assert_eq!(err.reason(), Some(FailureReason::BadSignature));
    /// # Ok(()) }
    /// ```
    pub fn reason(&self) -> Option<FailureReason> {
        match self {
            JwtError::Rejected(r) => Some(*r),
            JwtError::Sign(_) => None,
        }
    }
}

/// Signs and verifies JWTs with a fixed key set. Cheap to share behind an `Arc`.
///
/// ```
/// use portcullis::authn::jwt::JwtService;
/// use std::sync::Arc;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let jwt = Arc::new(JwtService::builder().hmac_secret("k1", &[7u8; 32]).build()?);
/// let token = jwt.sign("user-42", ())?;
/// assert_eq!(jwt.verify::<()>(&token)?.sub, "user-42");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct JwtService {
    signing: Option<SigningKey>,
    keys: HashMap<String, VerifyingKey>,
    issuer: Option<String>,
    audience: Option<Vec<String>>,
    expires_in: Duration,
    leeway: Duration,
}

impl std::fmt::Debug for JwtService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtService")
            .field("signing_kid", &self.signing.as_ref().map(|s| &s.kid))
            .field("kids", &self.keys.keys().collect::<Vec<_>>())
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

impl JwtService {
    /// A builder with the defaults: 1 h lifetime, 30 s leeway, no keys.
    ///
    /// ```
    /// use portcullis::authn::jwt::JwtService;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let jwt = JwtService::builder().hmac_secret("k1", &[7u8; 32]).build()?;
    /// let claims = jwt.claims("u1", ())?;
    /// assert_eq!(claims.exp - claims.iat, 3600); // the default lifetime
    /// # Ok(()) }
    /// ```
    pub fn builder() -> JwtServiceBuilder {
        JwtServiceBuilder {
            signing: None,
            keys: Vec::new(),
            issuer: None,
            audience: None,
            expires_in: Duration::from_secs(3600),
            leeway: Duration::from_secs(30),
        }
    }

    /// A service from [`PRIVATE_KEY_SETTING`] / [`PUBLIC_KEYS_SETTING`]; errors name the setting.
    ///
    /// ```no_run
    /// use portcullis::authn::jwt::JwtService;
    /// # fn main() -> Result<(), portcullis::authn::jwt::KeyError> {
    /// // PORTCULLIS_AUTHN__PRIVATE_KEY holds PEM text or the path of a PEM file.
    /// let jwt = JwtService::from_env()?;
    /// assert!(jwt.can_sign());
    /// # Ok(()) }
    /// ```
    pub fn from_env() -> Result<Self, KeyError> {
        Self::builder().from_env().build()
    }

    /// Whether this service can sign (false for a public-keys-only verifier).
    ///
    /// ```
    /// use portcullis::authn::jwt::JwtService;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let public = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/authn/ed25519_a.pub.pem"));
    /// let api = JwtService::builder().public_key_pem(public.as_bytes()).build()?;
    /// assert!(!api.can_sign());
    /// assert!(api.sign("u1", ()).is_err());
    /// # Ok(()) }
    /// ```
    pub fn can_sign(&self) -> bool {
        self.signing.is_some()
    }

    /// The `kid` new tokens are signed with.
    ///
    /// ```
    /// use portcullis::authn::jwt::JwtService;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let jwt = JwtService::builder().hmac_secret("2024-06", &[7u8; 32]).build()?;
    /// assert_eq!(jwt.signing_kid(), Some("2024-06"));
    /// # Ok(()) }
    /// ```
    pub fn signing_kid(&self) -> Option<&str> {
        self.signing.as_ref().map(|s| s.kid.as_str())
    }

    /// The JWKS document (RFC 7517) of the public keys, for `/.well-known/jwks.json`.
    ///
    /// ```
    /// use portcullis::authn::jwt::JwtService;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let pem = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/authn/ed25519_a.pem"));
    /// let jwt = JwtService::builder().private_key_pem(pem.as_bytes()).build()?;
    /// let set = jwt.jwks();
    /// assert_eq!(set.keys.len(), 1);
    /// assert_eq!(set.keys[0].common.key_id.as_deref(), jwt.signing_kid());
    /// # Ok(()) }
    /// ```
    pub fn jwks(&self) -> jsonwebtoken::jwk::JwkSet {
        let mut set = keys::jwk_set(self.keys.values());
        set.keys
            .sort_by(|a, b| a.common.key_id.cmp(&b.common.key_id));
        set
    }

    /// The JWKS document as JSON text.
    ///
    /// ```
    /// use portcullis::authn::jwt::JwtService;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let pem = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/authn/ed25519_a.pem"));
    /// let jwt = JwtService::builder().private_key_pem(pem.as_bytes()).build()?;
    /// let doc: serde_json::Value = serde_json::from_str(&jwt.jwks_json())?;
    /// assert_eq!(doc["keys"][0]["kty"], "OKP"); // Ed25519
    /// assert!(doc["keys"][0].get("d").is_none()); // never the private part
    /// # Ok(()) }
    /// ```
    pub fn jwks_json(&self) -> String {
        // A JwkSet is plain strings and enums: serializing it cannot fail.
        serde_json::to_string(&self.jwks()).unwrap_or_else(|_| r#"{"keys":[]}"#.to_owned())
    }

    /// Claims for `sub` issued now, expiring after the configured lifetime, with a fresh `jti`
    /// and the configured `iss`/`aud`.
    ///
    /// ```
    /// use portcullis::authn::jwt::{JwtService, TokenType};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let jwt = JwtService::builder().hmac_secret("k1", &[7u8; 32]).build()?;
    /// let mut claims = jwt.claims("u1", ())?;
    /// claims.nbf = Some(claims.iat + 60); // usable in a minute
    /// let token = jwt.sign_claims(TokenType::Access, &claims)?;
    /// assert!(jwt.verify::<()>(&token).is_err());
    /// # Ok(()) }
    /// ```
    pub fn claims<T>(&self, sub: impl Into<String>, custom: T) -> Result<Claims<T>, JwtError> {
        let now = util::now();
        let jti = util::random_bytes::<16>()
            .map(|b| util::b64url(&b))
            .map_err(|e| JwtError::Sign(format!("OS RNG: {e}")))?;
        Ok(Claims {
            sub: sub.into(),
            iat: now,
            exp: now.saturating_add(i64::try_from(self.expires_in.as_secs()).unwrap_or(i64::MAX)),
            nbf: None,
            iss: self.issuer.clone(),
            aud: self
                .audience
                .as_ref()
                .and_then(|a| a.first())
                .map(|a| Audience::One(a.clone())),
            jti: Some(jti),
            custom,
        })
    }

    /// Signs an access token for `sub` with application claims `custom`.
    ///
    /// ```
    /// use portcullis::authn::jwt::JwtService;
    ///
    /// #[derive(serde::Serialize, serde::Deserialize)]
    /// struct Tenant { tenant: u32 }
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let jwt = JwtService::builder().hmac_secret("k1", &[7u8; 32]).build()?;
    /// let token = jwt.sign("u1", Tenant { tenant: 7 })?;
    /// assert_eq!(token.split('.').count(), 3);
    /// assert_eq!(jwt.verify::<Tenant>(&token)?.custom.tenant, 7);
    /// # Ok(()) }
    /// ```
    pub fn sign<T: Serialize>(
        &self,
        sub: impl Into<String>,
        custom: T,
    ) -> Result<String, JwtError> {
        self.sign_claims(TokenType::Access, &self.claims(sub, custom)?)
    }

    /// Signs `claims` as a token of type `ty`.
    ///
    /// ```
    /// use portcullis::authn::jwt::{JwtService, TokenType};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let jwt = JwtService::builder().hmac_secret("k1", &[7u8; 32]).build()?;
    /// let state = jwt.sign_claims(TokenType::State, &jwt.claims("u1", ())?)?;
    /// assert_eq!(jwt.verify_as::<()>(&state, TokenType::State)?.sub, "u1");
    /// # Ok(()) }
    /// ```
    pub fn sign_claims<T: Serialize>(
        &self,
        ty: TokenType,
        claims: &Claims<T>,
    ) -> Result<String, JwtError> {
        let key = self
            .signing
            .as_ref()
            .ok_or_else(|| JwtError::Sign("this service holds public keys only".to_owned()))?;
        let mut header = Header::new(key.alg.to_jwt());
        header.typ = Some(ty.typ().to_owned());
        header.kid = Some(key.kid.clone());
        jsonwebtoken::encode(&header, claims, &key.key).map_err(|e| JwtError::Sign(e.to_string()))
    }

    /// Verifies an access token and returns its claims.
    ///
    /// ```
    /// use portcullis::authn::jwt::JwtService;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let jwt = JwtService::builder().hmac_secret("k1", &[7u8; 32]).build()?;
    /// let token = jwt.sign("u1", ())?;
    /// assert_eq!(jwt.verify::<()>(&token)?.sub, "u1");
    /// assert!(jwt.verify::<()>("garbage").is_err());
    /// # Ok(()) }
    /// ```
    pub fn verify<T: DeserializeOwned>(&self, token: &str) -> Result<Claims<T>, JwtError> {
        self.verify_as(token, TokenType::Access)
    }

    /// Verifies a token of type `ty`. Failures are logged at WARN (target `portcullis::authn`)
    /// with their reason class only.
    ///
    /// ```
    /// use portcullis::authn::FailureReason;
    /// use portcullis::authn::jwt::{JwtService, TokenType};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let jwt = JwtService::builder().hmac_secret("k1", &[7u8; 32]).build()?;
    /// let id_token = jwt.sign_claims(TokenType::Id, &jwt.claims("u1", ())?)?;
    /// assert!(jwt.verify_as::<()>(&id_token, TokenType::Id).is_ok());
    /// let err = jwt.verify_as::<()>(&id_token, TokenType::Access).unwrap_err();
    /// assert_eq!(err.reason(), Some(FailureReason::WrongTokenType));
    /// # Ok(()) }
    /// ```
    pub fn verify_as<T: DeserializeOwned>(
        &self,
        token: &str,
        ty: TokenType,
    ) -> Result<Claims<T>, JwtError> {
        self.verify_inner(token, ty).map_err(|reason| {
            tracing::warn!(target: "portcullis::authn", reason = reason.as_str(), "jwt rejected");
            JwtError::Rejected(reason)
        })
    }

    /// A verifier for an OpenID Connect provider's ID tokens: the keys of its JWKS document
    /// (`keys`, each a JSON object; unusable ones are skipped and returned with the reason) that
    /// sign with one of `allowed`, its exact `issuer`, our `client_id` as the audience.
    #[cfg(feature = "oidc")]
    pub(crate) fn for_provider(
        keys: &[serde_json::Value],
        allowed: &[KeyAlgorithm],
        issuer: &str,
        client_id: &str,
        leeway: Duration,
    ) -> (JwtService, Vec<(Option<String>, &'static str)>) {
        let mut map = HashMap::new();
        let mut skipped = Vec::new();
        for value in keys {
            let Ok(jwk) = serde_json::from_value::<jsonwebtoken::jwk::Jwk>(value.clone()) else {
                let kid = value.get("kid").and_then(|k| k.as_str()).map(str::to_owned);
                skipped.push((kid, "unreadable_jwk"));
                continue;
            };
            let kid = jwk.common.key_id.clone();
            match keys::verifying_key_from_jwk(&jwk, allowed) {
                // A key without `kid` is used only for tokens without one, and only when it
                // is the sole key (as for the configured keys).
                Ok(key) => {
                    if map.insert(kid.clone().unwrap_or_default(), key).is_some() {
                        skipped.push((kid, "duplicate_kid"));
                    }
                }
                Err(reason) => skipped.push((kid, reason)),
            }
        }
        let service = JwtService {
            signing: None,
            keys: map,
            issuer: Some(issuer.to_owned()),
            audience: Some(vec![client_id.to_owned()]),
            expires_in: Duration::ZERO,
            leeway,
        };
        (service, skipped)
    }

    /// Verifies an OpenID Connect ID token from the provider this service was made for
    /// ([`for_provider`](Self::for_provider)): the same structural checks, key choice by `kid`,
    /// algorithm bound to the key, signature, `exp`/`nbf`/`iat` with leeway, exact `iss`, our
    /// client id in `aud`. `typ`, when present, must be `JWT` (providers' ID tokens carry that
    /// or nothing), so an access, refresh or state token is refused. Returns the claims and the
    /// key's algorithm (for `at_hash`). Not logged here: the caller logs with its context.
    #[cfg(feature = "oidc")]
    pub(crate) fn verify_id_token<T: DeserializeOwned>(
        &self,
        token: &str,
    ) -> Result<(Claims<T>, KeyAlgorithm), FailureReason> {
        self.verify_checked(token, |typ| {
            typ.is_none_or(|t| {
                let t = t.to_ascii_lowercase();
                t.strip_prefix("application/").unwrap_or(&t) == "jwt"
            })
        })
    }

    fn verify_inner<T: DeserializeOwned>(
        &self,
        token: &str,
        ty: TokenType,
    ) -> Result<Claims<T>, FailureReason> {
        self.verify_checked(token, |typ| ty.matches(typ))
            .map(|(claims, _)| claims)
    }

    fn verify_checked<T: DeserializeOwned>(
        &self,
        token: &str,
        typ_ok: impl Fn(Option<&str>) -> bool,
    ) -> Result<(Claims<T>, KeyAlgorithm), FailureReason> {
        let pre = parse::preparse(token)?;
        let key = match &pre.header.kid {
            Some(kid) => self.keys.get(kid).ok_or(FailureReason::UnknownKid)?,
            None if self.keys.len() == 1 => {
                self.keys.values().next().ok_or(FailureReason::UnknownKid)?
            }
            None => return Err(FailureReason::UnknownKid),
        };
        // The key decides the algorithm; the header must agree (no algorithm confusion).
        if KeyAlgorithm::from_header(&pre.header.alg) != Some(key.alg) {
            return Err(FailureReason::AlgorithmMismatch);
        }
        let mut v = Validation::new(key.alg.to_jwt());
        v.leeway = self.leeway.as_secs();
        v.validate_nbf = true;
        v.set_required_spec_claims(&["exp", "sub"]);
        match &self.issuer {
            Some(iss) => {
                v.set_issuer(&[iss]);
                v.required_spec_claims.insert("iss".to_owned());
            }
            None => v.iss = None,
        }
        match &self.audience {
            Some(aud) => {
                v.set_audience(aud);
                v.required_spec_claims.insert("aud".to_owned());
            }
            None => v.validate_aud = false,
        }
        let data =
            jsonwebtoken::decode::<Claims<T>>(token, &key.key, &v).map_err(|e| match e.kind() {
                ErrorKind::InvalidSignature => FailureReason::BadSignature,
                ErrorKind::ExpiredSignature => FailureReason::Expired,
                ErrorKind::ImmatureSignature => FailureReason::NotYetValid,
                ErrorKind::InvalidIssuer => FailureReason::WrongIssuer,
                ErrorKind::InvalidAudience => FailureReason::WrongAudience,
                ErrorKind::MissingRequiredClaim(_) => FailureReason::MissingClaim,
                ErrorKind::InvalidAlgorithm => FailureReason::AlgorithmMismatch,
                _ => FailureReason::Malformed,
            })?;
        let leeway = i64::try_from(self.leeway.as_secs()).unwrap_or(i64::MAX);
        if data.claims.iat > util::now().saturating_add(leeway) {
            return Err(FailureReason::NotYetValid);
        }
        if !typ_ok(pre.header.typ.as_deref()) {
            return Err(FailureReason::WrongTokenType);
        }
        Ok((data.claims, key.alg))
    }
}
