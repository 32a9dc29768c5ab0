//! [`JwtServiceBuilder`]: keys, issuer, audience and lifetimes for a [`JwtService`], from code
//! or from `PORTCULLIS_AUTHN__*` settings.

#[allow(clippy::wildcard_imports)]
use super::*;

/// Builds a [`JwtService`]. Nothing is accepted silently: each key is checked when added and
/// [`build`](Self::build) reports the first bad one, naming where it came from.
///
/// ```
/// use portcullis::authn::jwt::JwtService;
/// use std::time::Duration;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let jwt = JwtService::builder()
///     .hmac_secret("k1", &[7u8; 32])
///     .issuer("https://id.example")
///     .audience(["api"])
///     .expires_in(Duration::from_secs(15 * 60))
///     .build()?;
/// assert!(jwt.can_sign());
/// # Ok(()) }
/// ```
#[must_use]
pub struct JwtServiceBuilder {
    pub(super) signing: Option<Result<SigningKey, KeyError>>,
    pub(super) keys: Vec<Result<(String, VerifyingKey), KeyError>>,
    pub(super) issuer: Option<String>,
    pub(super) audience: Option<Vec<String>>,
    pub(super) expires_in: Duration,
    pub(super) leeway: Duration,
}

impl JwtServiceBuilder {
    fn add_private(mut self, setting: &str, pem: &[u8], kid: Option<&str>) -> Self {
        match keys::load_private_pem(setting, pem, kid) {
            Ok((signing, kid, verifying)) => {
                self.signing = Some(Ok(signing));
                self.keys.push(Ok((kid, verifying)));
            }
            Err(e) => self.signing = Some(Err(e)),
        }
        self
    }

    /// Signs with this PEM (PKCS#8) private key: Ed25519 → EdDSA, P-256 → ES256, RSA → RS256.
    /// The `kid` is the key's RFC 7638 thumbprint. Its public half verifies too.
    ///
    /// ```
    /// use portcullis::authn::jwt::JwtService;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let pem = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/authn/ec.pem")); // P-256: ES256
    /// let jwt = JwtService::builder().private_key_pem(pem.as_bytes()).build()?;
    /// assert_eq!(jwt.verify::<()>(&jwt.sign("u1", ())?)?.sub, "u1");
    /// # Ok(()) }
    /// ```
    pub fn private_key_pem(self, pem: &[u8]) -> Self {
        self.add_private("JwtServiceBuilder::private_key_pem", pem, None)
    }

    /// Like [`private_key_pem`](Self::private_key_pem) with an explicit `kid`.
    ///
    /// ```
    /// use portcullis::authn::jwt::JwtService;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let pem = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/authn/ed25519_a.pem"));
    /// let jwt = JwtService::builder().private_key_pem_with_kid("2024-06", pem.as_bytes()).build()?;
    /// assert_eq!(jwt.signing_kid(), Some("2024-06"));
    /// # Ok(()) }
    /// ```
    pub fn private_key_pem_with_kid(self, kid: &str, pem: &[u8]) -> Self {
        self.add_private(
            "JwtServiceBuilder::private_key_pem_with_kid",
            pem,
            Some(kid),
        )
    }

    /// Signs with an HS256 shared secret of at least 32 bytes (RFC 7518 §3.2).
    ///
    /// ```
    /// use portcullis::authn::jwt::JwtService;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let jwt = JwtService::builder().hmac_secret("k1", b"an HS256 secret of at least 32 bytes").build()?;
    /// assert!(jwt.jwks().keys.is_empty()); // shared secrets are never published
    /// assert!(JwtService::builder().hmac_secret("k1", b"too short").build().is_err());
    /// # Ok(()) }
    /// ```
    pub fn hmac_secret(mut self, kid: &str, secret: &[u8]) -> Self {
        if secret.len() < 32 {
            self.signing = Some(Err(KeyError::new(
                "JwtServiceBuilder::hmac_secret",
                "an HS256 secret must be at least 32 bytes",
            )));
            return self;
        }
        self.signing = Some(Ok(SigningKey {
            kid: kid.to_owned(),
            alg: KeyAlgorithm::Hs256,
            key: EncodingKey::from_secret(secret),
        }));
        self.keys.push(Ok((
            kid.to_owned(),
            VerifyingKey {
                alg: KeyAlgorithm::Hs256,
                key: DecodingKey::from_secret(secret),
                jwk: None,
            },
        )));
        self
    }

    /// Also verifies with this PEM public key (kid = its RFC 7638 thumbprint): the previous key
    /// during a rotation, or the issuer's keys on a resource server.
    ///
    /// ```
    /// use portcullis::authn::jwt::JwtService;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let old_key = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/authn/ed25519_a.pem"));
    /// let old_pub = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/authn/ed25519_a.pub.pem"));
    /// let new_key = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/authn/ed25519_b.pem"));
    /// let before = JwtService::builder().private_key_pem(old_key.as_bytes()).build()?;
    /// // Rotation: sign with the new key, keep accepting tokens signed with the old one.
    /// let after = JwtService::builder()
    ///     .private_key_pem(new_key.as_bytes())
    ///     .public_key_pem(old_pub.as_bytes())
    ///     .build()?;
    /// assert!(after.verify::<()>(&before.sign("u1", ())?).is_ok());
    /// # Ok(()) }
    /// ```
    pub fn public_key_pem(mut self, pem: &[u8]) -> Self {
        let k = keys::load_public_pem("JwtServiceBuilder::public_key_pem", pem, None);
        self.keys.push(k);
        self
    }

    /// Like [`public_key_pem`](Self::public_key_pem) with an explicit `kid`.
    ///
    /// ```
    /// use portcullis::authn::jwt::JwtService;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let key = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/authn/ed25519_a.pem"));
    /// let public = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/authn/ed25519_a.pub.pem"));
    /// let issuer = JwtService::builder().private_key_pem_with_kid("a", key.as_bytes()).build()?;
    /// // A resource server: verifies the issuer's tokens, cannot mint its own.
    /// let api = JwtService::builder().public_key_pem_with_kid("a", public.as_bytes()).build()?;
    /// assert!(!api.can_sign());
    /// assert!(api.verify::<()>(&issuer.sign("u1", ())?).is_ok());
    /// # Ok(()) }
    /// ```
    pub fn public_key_pem_with_kid(mut self, kid: &str, pem: &[u8]) -> Self {
        let k = keys::load_public_pem("JwtServiceBuilder::public_key_pem_with_kid", pem, Some(kid));
        self.keys.push(k);
        self
    }

    /// Reads the environment: keys from [`PRIVATE_KEY_SETTING`] and [`PUBLIC_KEYS_SETTING`],
    /// and [`ISSUER_SETTING`] / [`AUDIENCE_SETTING`] when set.
    ///
    /// ```no_run
    /// use portcullis::authn::jwt::JwtService;
    /// use std::time::Duration;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// // PORTCULLIS_AUTHN__PRIVATE_KEY=/run/secrets/jwt.pem
    /// // PORTCULLIS_AUTHN__ISSUER=https://id.example
    /// let jwt = JwtService::builder()
    ///     .from_env()
    ///     .expires_in(Duration::from_secs(15 * 60))
    ///     .build()?;
    /// # let _ = jwt; Ok(()) }
    /// ```
    pub fn from_env(self) -> Self {
        self.from_settings(|name| std::env::var(name).ok())
    }

    /// Like [`from_env`](Self::from_env), reading settings through `get` (for tests and other
    /// configuration sources). Unset settings are skipped; set but unusable ones are errors.
    ///
    /// A key setting holds PEM text (literal `\n` sequences, as `.env` files write them, are
    /// accepted) or the path of a PEM file.
    ///
    /// ```
    /// use portcullis::authn::jwt::{JwtService, PRIVATE_KEY_SETTING};
    /// use std::collections::HashMap;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let pem = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/authn/ed25519_a.pem"));
    /// // A `.env` file writes the PEM on one line with literal `\n`s.
    /// let settings = HashMap::from([(PRIVATE_KEY_SETTING, pem.replace('\n', "\\n"))]);
    /// let jwt = JwtService::builder().from_settings(|k| settings.get(k).cloned()).build()?;
    /// assert!(jwt.can_sign());
    /// # Ok(()) }
    /// ```
    pub fn from_settings(mut self, get: impl Fn(&str) -> Option<String>) -> Self {
        if let Some(value) = get(PRIVATE_KEY_SETTING) {
            match keys::resolve_pem(PRIVATE_KEY_SETTING, &value, "-----BEGIN PRIVATE KEY-----") {
                Ok(pem) => self = self.add_private(PRIVATE_KEY_SETTING, pem.as_bytes(), None),
                Err(e) => self.signing = Some(Err(e)),
            }
        }
        if let Some(value) = get(PUBLIC_KEYS_SETTING) {
            let blocks =
                keys::resolve_pem(PUBLIC_KEYS_SETTING, &value, "-----BEGIN PUBLIC KEY-----")
                    .and_then(|text| keys::split_pem_blocks(PUBLIC_KEYS_SETTING, &text));
            match blocks {
                Ok(blocks) => {
                    for b in blocks {
                        self.keys.push(keys::load_public_pem(
                            PUBLIC_KEYS_SETTING,
                            b.as_bytes(),
                            None,
                        ));
                    }
                }
                Err(e) => self.keys.push(Err(e)),
            }
        }
        if let Some(iss) = get(ISSUER_SETTING).filter(|s| !s.trim().is_empty()) {
            self.issuer = Some(iss.trim().to_owned());
        }
        if let Some(aud) = get(AUDIENCE_SETTING) {
            let list: Vec<String> = aud
                .split(',')
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(str::to_owned)
                .collect();
            if !list.is_empty() {
                self.audience = Some(list);
            }
        }
        self
    }

    /// The `iss` put into tokens and required of every verified token.
    ///
    /// ```
    /// use portcullis::authn::FailureReason;
    /// use portcullis::authn::jwt::JwtService;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let ours = JwtService::builder().hmac_secret("k1", &[7u8; 32]).issuer("https://id.example").build()?;
    /// let theirs = JwtService::builder().hmac_secret("k1", &[7u8; 32]).issuer("https://other.example").build()?;
    /// let err = theirs.verify::<()>(&ours.sign("u1", ())?).unwrap_err();
    /// assert_eq!(err.reason(), Some(FailureReason::WrongIssuer));
    /// # Ok(()) }
    /// ```
    pub fn issuer(mut self, iss: impl Into<String>) -> Self {
        self.issuer = Some(iss.into());
        self
    }

    /// The audiences: the first goes into signed tokens; a verified token must name one of them.
    ///
    /// ```
    /// use portcullis::authn::jwt::{Audience, JwtService};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let jwt = JwtService::builder().hmac_secret("k1", &[7u8; 32]).audience(["api", "admin"]).build()?;
    /// let claims = jwt.verify::<()>(&jwt.sign("u1", ())?)?;
    /// assert_eq!(claims.aud, Some(Audience::One("api".to_owned())));
    /// # Ok(()) }
    /// ```
    pub fn audience<I: IntoIterator<Item = S>, S: Into<String>>(mut self, aud: I) -> Self {
        self.audience = Some(aud.into_iter().map(Into::into).collect());
        self
    }

    /// Token lifetime (default 1 hour).
    ///
    /// ```
    /// use portcullis::authn::jwt::JwtService;
    /// use std::time::Duration;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let jwt = JwtService::builder().hmac_secret("k1", &[7u8; 32]).expires_in(Duration::from_secs(900)).build()?;
    /// let claims = jwt.claims("u1", ())?;
    /// assert_eq!(claims.exp - claims.iat, 900);
    /// # Ok(()) }
    /// ```
    pub fn expires_in(mut self, d: Duration) -> Self {
        self.expires_in = d;
        self
    }

    /// Clock-skew allowance for `exp`, `nbf` and `iat` (default 30 s, at most [`MAX_LEEWAY`]:
    /// [`build`](Self::build) refuses more, since revocations are kept only that long past
    /// `exp`).
    ///
    /// ```
    /// use portcullis::authn::FailureReason;
    /// use portcullis::authn::jwt::{JwtService, TokenType};
    /// use std::time::Duration;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let jwt = JwtService::builder().hmac_secret("k1", &[7u8; 32]).leeway(Duration::from_secs(5)).build()?;
    /// let mut claims = jwt.claims("u1", ())?;
    /// claims.exp = claims.iat - 60; // expired a minute ago: beyond the 5 s leeway
    /// let token = jwt.sign_claims(TokenType::Access, &claims)?;
    /// assert_eq!(jwt.verify::<()>(&token).unwrap_err().reason(), Some(FailureReason::Expired));
    /// # Ok(()) }
    /// ```
    pub fn leeway(mut self, d: Duration) -> Self {
        self.leeway = d;
        self
    }

    /// Checks every key and builds the service. Two different keys under one `kid` are an
    /// error naming the kid (one would otherwise silently replace the other); the same public
    /// key listed twice is one key.
    ///
    /// ```
    /// use portcullis::authn::jwt::{JwtService, PRIVATE_KEY_SETTING};
    /// let err = JwtService::builder().build().unwrap_err(); // no key at all
    /// assert_eq!(err.setting, PRIVATE_KEY_SETTING);
    /// let err = JwtService::builder().private_key_pem(b"not a key").build().unwrap_err();
    /// assert_eq!(err.setting, "JwtServiceBuilder::private_key_pem");
    /// let err = JwtService::builder()
    ///     .hmac_secret("k1", &[7u8; 32])
    ///     .hmac_secret("k1", &[8u8; 32])
    ///     .build()
    ///     .unwrap_err();
    /// assert!(err.to_string().contains(r#"duplicate kid "k1""#));
    /// ```
    pub fn build(self) -> Result<JwtService, KeyError> {
        let signing = self.signing.transpose()?;
        let mut keys: HashMap<String, VerifyingKey> = HashMap::new();
        for k in self.keys {
            let (kid, key) = k?;
            match keys.entry(kid) {
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(key);
                }
                std::collections::hash_map::Entry::Occupied(o) => {
                    // The same public key listed twice (e.g. the signing key's public half
                    // among the public keys) is harmless; anything else is ambiguous.
                    let same = key.jwk.is_some() && key.jwk == o.get().jwk;
                    if !same {
                        return Err(KeyError::new(
                            "kid",
                            format!(
                                "duplicate kid {:?}: two different keys cannot share a kid",
                                o.key()
                            ),
                        ));
                    }
                }
            }
        }
        if keys.is_empty() {
            return Err(KeyError::new(
                PRIVATE_KEY_SETTING,
                format!(
                    "no key configured: set {PRIVATE_KEY_SETTING} and/or {PUBLIC_KEYS_SETTING}"
                ),
            ));
        }
        if self.leeway > MAX_LEEWAY {
            return Err(KeyError::new(
                "JwtServiceBuilder::leeway",
                format!(
                    "a leeway of {} s is more than the {} s maximum",
                    self.leeway.as_secs(),
                    MAX_LEEWAY.as_secs()
                ),
            ));
        }
        if self.audience.as_ref().is_some_and(Vec::is_empty) {
            return Err(KeyError::new(
                "JwtServiceBuilder::audience",
                "empty audience list",
            ));
        }
        Ok(JwtService {
            signing,
            keys,
            issuer: self.issuer,
            audience: self.audience,
            expires_in: self.expires_in,
            leeway: self.leeway,
        })
    }
}
