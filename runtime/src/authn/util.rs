//! Small helpers shared by the authn modules: time, OS randomness, hashing, encoding.

use base64::Engine;
use sha2::{Digest, Sha256};

/// Seconds since the Unix epoch. A clock before 1970 counts as 0.
pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// `N` bytes from the operating system's RNG.
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], getrandom::Error> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf)?;
    Ok(buf)
}

/// URL-safe base64 without padding.
pub(crate) fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// 256 random bits as URL-safe base64 (43 characters).
pub(crate) fn random_token() -> Result<String, getrandom::Error> {
    Ok(b64url(&random_bytes::<32>()?))
}

/// SHA-256 of `s`, lowercase hex: how opaque tokens and session ids are stored.
pub(crate) fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// Whether `s` looks like one of our opaque tokens (URL-safe base64, bounded length), so junk
/// is refused before it reaches a store.
pub(crate) fn is_token_shaped(s: &str) -> bool {
    (16..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_hex_is_known_vector() {
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn random_tokens_are_256_bit_and_distinct() {
        let a = random_token().unwrap();
        let b = random_token().unwrap();
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
        assert!(is_token_shaped(&a));
        assert!(!is_token_shaped("../etc/passwd-xxxxxxxxxxxx"));
    }
}
