//! The signed state cookie: `base64url(state|verifier|expires[|nonce]) . base64url(hmac_sha256)`,
//! `HttpOnly; Secure; SameSite=Lax; Path=/`, under a `__Host-` name so no subdomain can plant
//! one.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

type HmacSha256 = Hmac<Sha256>;

/// What the cookie carries between redirect and callback.
pub(crate) struct StateCookie {
    pub state: String,
    pub verifier: String,
    pub expires: u64,
    /// The OpenID Connect `nonce` sent with this authorization request (OIDC flows only).
    pub nonce: Option<String>,
}

/// Why a cookie was refused (logged, never sent to the client).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CookieError {
    Malformed,
    BadSignature,
    Expired,
}

impl CookieError {
    pub fn code(self) -> &'static str {
        match self {
            CookieError::Malformed => "state_cookie_malformed",
            CookieError::BadSignature => "state_cookie_bad_signature",
            CookieError::Expired => "state_cookie_expired",
        }
    }
}

pub(crate) fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn mac(key: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length, so this cannot fail; the key length is checked (>= 32)
    // at start-up.
    <HmacSha256 as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"))
}

impl StateCookie {
    pub fn new(state: String, verifier: String, ttl: Duration, nonce: Option<String>) -> Self {
        Self {
            state,
            verifier,
            expires: now_secs().saturating_add(ttl.as_secs()),
            nonce,
        }
    }

    pub fn encode(&self, key: &[u8]) -> String {
        // `state`, the verifier and the nonce are base64url: none holds a `|`.
        let payload = match &self.nonce {
            Some(nonce) => format!("{}|{}|{}|{nonce}", self.state, self.verifier, self.expires),
            None => format!("{}|{}|{}", self.state, self.verifier, self.expires),
        };
        let mut m = mac(key);
        m.update(payload.as_bytes());
        let sig = m.finalize().into_bytes();
        format!("{}.{}", B64.encode(payload), B64.encode(sig))
    }

    pub fn decode(value: &str, key: &[u8]) -> Result<Self, CookieError> {
        let (payload, sig) = value.split_once('.').ok_or(CookieError::Malformed)?;
        let payload = B64.decode(payload).map_err(|_| CookieError::Malformed)?;
        let sig = B64.decode(sig).map_err(|_| CookieError::Malformed)?;
        let mut m = mac(key);
        m.update(&payload);
        // `verify_slice` compares in constant time.
        m.verify_slice(&sig)
            .map_err(|_| CookieError::BadSignature)?;
        let payload = String::from_utf8(payload).map_err(|_| CookieError::Malformed)?;
        let mut it = payload.splitn(4, '|');
        let (Some(state), Some(verifier), Some(expires)) = (it.next(), it.next(), it.next()) else {
            return Err(CookieError::Malformed);
        };
        let nonce = match it.next() {
            Some("") => return Err(CookieError::Malformed),
            other => other.map(str::to_owned),
        };
        let expires: u64 = expires.parse().map_err(|_| CookieError::Malformed)?;
        if expires <= now_secs() {
            return Err(CookieError::Expired);
        }
        Ok(Self {
            state: state.to_owned(),
            verifier: verifier.to_owned(),
            expires,
            nonce,
        })
    }
}

/// `Set-Cookie` value that stores `value` for `ttl`.
pub(crate) fn set_cookie(name: &str, value: &str, ttl: Duration) -> String {
    build(
        name,
        value,
        i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX),
    )
}

/// `Set-Cookie` value that deletes the cookie.
pub(crate) fn clear_cookie(name: &str) -> String {
    build(name, "", 0)
}

fn build(name: &str, value: &str, max_age: i64) -> String {
    ::cookie::Cookie::build((name, value))
        .path("/")
        .max_age(::cookie::time::Duration::seconds(max_age))
        .http_only(true)
        .secure(true)
        .same_site(::cookie::SameSite::Lax)
        .to_string()
}
