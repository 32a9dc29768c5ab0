//! Key material: loading PEM keys (from settings or a builder), the `kid`-indexed key set, and
//! the JWKS document for the public keys.

use jsonwebtoken::jwk::{Jwk, JwkSet, PublicKeyUse, ThumbprintHash};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};

/// The setting holding the PEM private key of a token issuer.
///
/// ```
/// use portcullis::authn::jwt::{JwtService, PRIVATE_KEY_SETTING};
/// assert_eq!(PRIVATE_KEY_SETTING, "PORTCULLIS_AUTHN__PRIVATE_KEY");
/// let err = JwtService::builder()
///     .from_settings(|k| (k == PRIVATE_KEY_SETTING).then(|| "/no/such/key.pem".to_owned()))
///     .build()
///     .unwrap_err();
/// assert_eq!(err.setting, PRIVATE_KEY_SETTING); // start-up errors name the setting
/// ```
pub const PRIVATE_KEY_SETTING: &str = "PORTCULLIS_AUTHN__PRIVATE_KEY";
/// The setting holding extra PEM public keys (concatenated PEM blocks) that still verify, e.g.
/// the previous key during a rotation, or the issuer's keys on a resource server.
///
/// ```
/// use portcullis::authn::jwt::{JwtService, PUBLIC_KEYS_SETTING};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let a = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/authn/ed25519_a.pub.pem"));
/// let b = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/authn/ed25519_b.pub.pem"));
/// let both = format!("{a}{b}"); // concatenated PEM blocks
/// let api = JwtService::builder()
///     .from_settings(|k| (k == PUBLIC_KEYS_SETTING).then(|| both.clone()))
///     .build()?;
/// assert_eq!(api.jwks().keys.len(), 2);
/// # Ok(()) }
/// ```
pub const PUBLIC_KEYS_SETTING: &str = "PORTCULLIS_AUTHN__PUBLIC_KEYS";

/// The signature algorithms portcullis accepts. Each key is bound to exactly one of them; the
/// token header's `alg` never chooses it.
///
/// ```
/// use portcullis::authn::jwt::KeyAlgorithm;
/// let alg = KeyAlgorithm::EdDsa; // what an Ed25519 key signs with
/// assert_eq!(alg.as_str(), "EdDSA");
/// assert_ne!(alg, KeyAlgorithm::Hs256);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyAlgorithm {
    /// Ed25519 signatures (the default).
    EdDsa,
    /// ECDSA on P-256 with SHA-256.
    Es256,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256,
    /// HMAC with SHA-256 (a shared secret; never published in the JWKS).
    Hs256,
}

impl KeyAlgorithm {
    pub(crate) fn to_jwt(self) -> Algorithm {
        match self {
            KeyAlgorithm::EdDsa => Algorithm::EdDSA,
            KeyAlgorithm::Es256 => Algorithm::ES256,
            KeyAlgorithm::Rs256 => Algorithm::RS256,
            KeyAlgorithm::Hs256 => Algorithm::HS256,
        }
    }

    /// The JOSE name (`EdDSA`, `ES256`, `RS256`, `HS256`).
    ///
    /// ```
    /// use portcullis::authn::jwt::KeyAlgorithm;
    /// assert_eq!(KeyAlgorithm::Es256.as_str(), "ES256");
    /// assert_eq!(KeyAlgorithm::Rs256.as_str(), "RS256");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            KeyAlgorithm::EdDsa => "EdDSA",
            KeyAlgorithm::Es256 => "ES256",
            KeyAlgorithm::Rs256 => "RS256",
            KeyAlgorithm::Hs256 => "HS256",
        }
    }

    pub(crate) fn from_header(alg: &str) -> Option<Self> {
        match alg {
            "EdDSA" => Some(KeyAlgorithm::EdDsa),
            "ES256" => Some(KeyAlgorithm::Es256),
            "RS256" => Some(KeyAlgorithm::Rs256),
            "HS256" => Some(KeyAlgorithm::Hs256),
            _ => None,
        }
    }
}

/// A key that cannot be used. Start-up errors name the setting (or builder call) at fault and
/// never contain key material.
///
/// ```
/// use portcullis::authn::jwt::JwtService;
/// let err = JwtService::builder().hmac_secret("k1", b"short").build().unwrap_err();
/// assert_eq!(err.setting, "JwtServiceBuilder::hmac_secret");
/// assert!(err.to_string().contains("at least 32 bytes"));
/// ```
#[derive(Debug, thiserror::Error)]
#[error("{setting}: {message}")]
pub struct KeyError {
    /// The setting or builder call the key came from.
    pub setting: String,
    /// What is wrong with it.
    pub message: String,
}

impl KeyError {
    pub(crate) fn new(setting: &str, message: impl Into<String>) -> Self {
        Self {
            setting: setting.to_owned(),
            message: message.into(),
        }
    }
}

/// A key that verifies signatures, bound to one algorithm.
#[derive(Clone)]
pub(crate) struct VerifyingKey {
    pub(crate) alg: KeyAlgorithm,
    pub(crate) key: DecodingKey,
    /// The public JWK (None for HMAC secrets, which are never published).
    pub(crate) jwk: Option<Jwk>,
}

/// The private key tokens are signed with.
#[derive(Clone)]
pub(crate) struct SigningKey {
    pub(crate) kid: String,
    pub(crate) alg: KeyAlgorithm,
    pub(crate) key: EncodingKey,
}

fn thumbprint_kid(jwk: &Jwk, setting: &str) -> Result<String, KeyError> {
    jwk.thumbprint(ThumbprintHash::SHA256)
        .map_err(|e| KeyError::new(setting, format!("cannot compute the key thumbprint: {e}")))
}

fn publish(mut jwk: Jwk, kid: &str, alg: KeyAlgorithm) -> Jwk {
    jwk.common.key_id = Some(kid.to_owned());
    jwk.common.public_key_use = Some(PublicKeyUse::Signature);
    jwk.common.key_algorithm = Some(alg.to_jwt().into());
    jwk
}

/// Parses a PEM private key of any supported asymmetric type. Returns the signing key and the
/// matching verifying key; `kid` defaults to the RFC 7638 thumbprint.
pub(crate) fn load_private_pem(
    setting: &str,
    pem: &[u8],
    kid: Option<&str>,
) -> Result<(SigningKey, String, VerifyingKey), KeyError> {
    let text = std::str::from_utf8(pem)
        .map_err(|_| KeyError::new(setting, "not a PEM document (invalid UTF-8)"))?;
    if !text.contains("-----BEGIN") {
        return Err(KeyError::new(setting, "not a PEM document"));
    }
    if text.contains("PUBLIC KEY-----") {
        return Err(KeyError::new(
            setting,
            format!(
                "expected a private key, found a public key (put public keys in {PUBLIC_KEYS_SETTING})"
            ),
        ));
    }
    let (alg, key) = if let Ok(k) = EncodingKey::from_ed_pem(pem) {
        (KeyAlgorithm::EdDsa, k)
    } else if let Ok(k) = EncodingKey::from_ec_pem(pem) {
        (KeyAlgorithm::Es256, k)
    } else if let Ok(k) = EncodingKey::from_rsa_pem(pem) {
        (KeyAlgorithm::Rs256, k)
    } else {
        return Err(KeyError::new(
            setting,
            "unreadable private key: expected a PKCS#8 Ed25519, P-256 or RSA key in PEM",
        ));
    };
    let jwk = Jwk::from_encoding_key(&key, alg.to_jwt()).map_err(|e| {
        KeyError::new(
            setting,
            format!("unsupported {} private key: {e}", alg.as_str()),
        )
    })?;
    check_curve(setting, alg, &jwk)?;
    let decoding = DecodingKey::from_jwk(&jwk)
        .map_err(|e| KeyError::new(setting, format!("cannot derive the public key: {e}")))?;
    let kid = match kid {
        Some(k) => k.to_owned(),
        None => thumbprint_kid(&jwk, setting)?,
    };
    let verifying = VerifyingKey {
        alg,
        key: decoding,
        jwk: Some(publish(jwk, &kid, alg)),
    };
    Ok((
        SigningKey {
            kid: kid.clone(),
            alg,
            key,
        },
        kid,
        verifying,
    ))
}

fn check_curve(setting: &str, alg: KeyAlgorithm, jwk: &Jwk) -> Result<(), KeyError> {
    use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve};
    if alg == KeyAlgorithm::Es256 {
        match &jwk.algorithm {
            AlgorithmParameters::EllipticCurve(p) if p.curve == EllipticCurve::P256 => {}
            _ => {
                return Err(KeyError::new(
                    setting,
                    "only P-256 (ES256) elliptic-curve keys are supported",
                ));
            }
        }
    }
    Ok(())
}

/// Parses one PEM public key of any supported asymmetric type.
pub(crate) fn load_public_pem(
    setting: &str,
    pem: &[u8],
    kid: Option<&str>,
) -> Result<(String, VerifyingKey), KeyError> {
    let text = std::str::from_utf8(pem)
        .map_err(|_| KeyError::new(setting, "not a PEM document (invalid UTF-8)"))?;
    if !text.contains("-----BEGIN PUBLIC KEY-----") && !text.contains("-----BEGIN RSA PUBLIC KEY") {
        return Err(KeyError::new(
            setting,
            "expected a PEM public key (-----BEGIN PUBLIC KEY-----)",
        ));
    }
    let (alg, key) = if let Ok(k) = DecodingKey::from_ed_pem(pem) {
        (KeyAlgorithm::EdDsa, k)
    } else if let Ok(k) = DecodingKey::from_ec_pem(pem) {
        (KeyAlgorithm::Es256, k)
    } else if let Ok(k) = DecodingKey::from_rsa_pem(pem) {
        (KeyAlgorithm::Rs256, k)
    } else {
        return Err(KeyError::new(
            setting,
            "unreadable public key: expected an Ed25519, P-256 or RSA key in PEM",
        ));
    };
    let jwk = Jwk::from_decoding_key(&key, Some(alg.to_jwt())).map_err(|e| {
        KeyError::new(
            setting,
            format!("unsupported {} public key: {e}", alg.as_str()),
        )
    })?;
    check_curve(setting, alg, &jwk)?;
    let kid = match kid {
        Some(k) => k.to_owned(),
        None => thumbprint_kid(&jwk, setting)?,
    };
    Ok((
        kid.clone(),
        VerifyingKey {
            alg,
            key,
            jwk: Some(publish(jwk, &kid, alg)),
        },
    ))
}

/// A setting's PEM text: the value itself (with literal `\n` turned into newlines), or the
/// contents of the file it names. `armour` is the PEM header the setting expects, for the
/// error. The value is never echoed: without PEM armour it may well be a bare key.
pub(crate) fn resolve_pem(setting: &str, value: &str, armour: &str) -> Result<String, KeyError> {
    let value = value.trim();
    if value.contains("-----BEGIN") {
        return Ok(if value.contains('\n') {
            value.to_owned()
        } else {
            value.replace("\\n", "\n")
        });
    }
    if value.is_empty() {
        return Err(KeyError::new(setting, "empty value"));
    }
    std::fs::read_to_string(value).map_err(|e| {
        // `e` names no path (std's file errors carry only the OS reason).
        KeyError::new(
            setting,
            format!(
                "expected a PEM block starting with {armour}, or the path of a PEM file; the \
                 value ({} characters, not shown) is neither PEM text nor a readable PEM file \
                 (as a path: {e})",
                value.chars().count()
            ),
        )
    })
}

/// Splits concatenated PEM blocks (how several public keys travel in one setting).
pub(crate) fn split_pem_blocks(setting: &str, text: &str) -> Result<Vec<String>, KeyError> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with("-----BEGIN ") {
            if current.is_some() {
                return Err(KeyError::new(setting, "PEM block not terminated"));
            }
            current = Some(format!("{line}\n"));
        } else if line.starts_with("-----END ") {
            let Some(mut block) = current.take() else {
                return Err(KeyError::new(setting, "PEM END line without BEGIN"));
            };
            block.push_str(line);
            block.push('\n');
            blocks.push(block);
        } else if let Some(block) = current.as_mut() {
            block.push_str(line);
            block.push('\n');
        } else if !line.is_empty() {
            return Err(KeyError::new(setting, "text outside PEM blocks"));
        }
    }
    if current.is_some() {
        return Err(KeyError::new(setting, "PEM block not terminated"));
    }
    if blocks.is_empty() {
        return Err(KeyError::new(setting, "no PEM block found"));
    }
    Ok(blocks)
}

/// The JWKS document (RFC 7517) of the given keys; HMAC secrets are never included.
pub(crate) fn jwk_set<'a>(keys: impl Iterator<Item = &'a VerifyingKey>) -> JwkSet {
    JwkSet {
        keys: keys.filter_map(|k| k.jwk.clone()).collect(),
    }
}

/// A verifying key from a provider's JWK (OpenID Connect), bound to one of `allowed`: the JWK's
/// own `alg` when it names one, otherwise the one algorithm its key type signs with. Refused
/// (`Err` with the reason, for the log): symmetric (`oct`) keys whatever `allowed` says, keys
/// whose `use` is not `sig`, curves other than P-256 and Ed25519, algorithms not in `allowed`.
#[cfg(feature = "oidc")]
pub(crate) fn verifying_key_from_jwk(
    jwk: &Jwk,
    allowed: &[KeyAlgorithm],
) -> Result<VerifyingKey, &'static str> {
    use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, KeyAlgorithm as JwkAlg};
    if let Some(usage) = &jwk.common.public_key_use
        && *usage != PublicKeyUse::Signature
    {
        return Err("key_use_not_sig");
    }
    let by_type = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => KeyAlgorithm::Rs256,
        AlgorithmParameters::EllipticCurve(p) if p.curve == EllipticCurve::P256 => {
            KeyAlgorithm::Es256
        }
        AlgorithmParameters::OctetKeyPair(p) if p.curve == EllipticCurve::Ed25519 => {
            KeyAlgorithm::EdDsa
        }
        // A shared secret has no place in a public key set: never verify HS* with it.
        AlgorithmParameters::OctetKey(_) => return Err("symmetric_key"),
        _ => return Err("unsupported_key_type"),
    };
    let alg = match jwk.common.key_algorithm {
        None => by_type,
        Some(JwkAlg::RS256) => KeyAlgorithm::Rs256,
        Some(JwkAlg::ES256) => KeyAlgorithm::Es256,
        Some(JwkAlg::EdDSA) => KeyAlgorithm::EdDsa,
        Some(_) => return Err("unsupported_algorithm"),
    };
    if alg != by_type {
        return Err("algorithm_does_not_fit_key");
    }
    if alg == KeyAlgorithm::Hs256 || !allowed.contains(&alg) {
        return Err("algorithm_not_allowed");
    }
    let key = DecodingKey::from_jwk(jwk).map_err(|_| "unreadable_key")?;
    Ok(VerifyingKey {
        alg,
        key,
        jwk: Some(jwk.clone()),
    })
}
