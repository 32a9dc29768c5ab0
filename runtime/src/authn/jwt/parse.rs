//! Strict structural checks run before any cryptography: size, exactly three base64url
//! segments, JSON objects without duplicate keys, a header we understand, the required claims.
//! jsonwebtoken then verifies the signature and the time/issuer/audience claims.

use crate::authn::strategy::FailureReason;
use base64::Engine;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// Tokens longer than this are refused before parsing (8 KiB).
///
/// ```
/// use portcullis::authn::FailureReason;
/// use portcullis::authn::jwt::{JwtService, MAX_TOKEN_LEN};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let jwt = JwtService::builder().hmac_secret("k1", &[7u8; 32]).build()?;
/// let huge = "a".repeat(MAX_TOKEN_LEN + 1);
/// assert_eq!(jwt.verify::<()>(&huge).unwrap_err().reason(), Some(FailureReason::TooLarge));
/// # Ok(()) }
/// ```
pub const MAX_TOKEN_LEN: usize = 8 * 1024;
/// A decoded JOSE header longer than this is refused.
const MAX_HEADER_LEN: usize = 1024;
/// A `kid` longer than this is refused.
const MAX_KID_LEN: usize = 256;

/// The header fields portcullis reads. `jku`, `x5u`, `jwk` and `x5c` are never used to find keys.
#[derive(Debug)]
pub(crate) struct RawHeader {
    pub(crate) alg: String,
    pub(crate) kid: Option<String>,
    pub(crate) typ: Option<String>,
}

/// The checked header of a token (its claims were checked for presence and shape).
#[derive(Debug)]
pub(crate) struct Preparsed {
    pub(crate) header: RawHeader,
}

fn decode_segment(seg: &str) -> Result<Vec<u8>, FailureReason> {
    if seg.is_empty()
        || !seg
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(FailureReason::Malformed);
    }
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(seg)
        .map_err(|_| FailureReason::Malformed)
}

/// A JSON value whose objects (at any depth) have no duplicate keys. RFC 7515 §5.2 lets a
/// parser reject duplicates, and accepting them invites parser-differential attacks.
struct Strict(Value);

impl<'de> serde::Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Strict;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Strict, E> {
        Ok(Strict(Value::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Strict, E> {
        Ok(Strict(Value::from(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Strict, E> {
        Ok(Strict(Value::from(v)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Strict, E> {
        Ok(Strict(Value::from(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Strict, E> {
        Ok(Strict(Value::String(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Strict, E> {
        Ok(Strict(Value::String(v)))
    }
    fn visit_unit<E>(self) -> Result<Strict, E> {
        Ok(Strict(Value::Null))
    }
    fn visit_none<E>(self) -> Result<Strict, E> {
        Ok(Strict(Value::Null))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Strict, A::Error> {
        let mut out = Vec::new();
        while let Some(Strict(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(Strict(Value::Array(out)))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Strict, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let Strict(v) = map.next_value()?;
            if out.insert(key, v).is_some() {
                return Err(de::Error::custom("duplicate key"));
            }
        }
        Ok(Strict(Value::Object(out)))
    }
}

fn strict_object(bytes: &[u8]) -> Result<Map<String, Value>, FailureReason> {
    match serde_json::from_slice::<Strict>(bytes) {
        Ok(Strict(Value::Object(m))) => Ok(m),
        _ => Err(FailureReason::Malformed),
    }
}

fn is_int(v: Option<&Value>) -> bool {
    v.is_some_and(|v| v.is_i64() || v.is_u64())
}

/// Structural checks of a compact JWS. Never panics on any input.
pub(crate) fn preparse(token: &str) -> Result<Preparsed, FailureReason> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(FailureReason::TooLarge);
    }
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(FailureReason::Malformed);
    };
    let header_bytes = decode_segment(h)?;
    if header_bytes.len() > MAX_HEADER_LEN {
        return Err(FailureReason::Malformed);
    }
    let mut header = strict_object(&header_bytes)?;
    let alg = match header.remove("alg") {
        Some(Value::String(a)) => a,
        _ => return Err(FailureReason::Malformed),
    };
    if KeyAlgorithmCheck::is_none(&alg) {
        return Err(FailureReason::UnsupportedAlgorithm);
    }
    let kid = match header.remove("kid") {
        None => None,
        Some(Value::String(k)) if k.len() <= MAX_KID_LEN && !k.chars().any(char::is_control) => {
            Some(k)
        }
        Some(_) => return Err(FailureReason::Malformed),
    };
    let typ = match header.remove("typ") {
        None => None,
        Some(Value::String(t)) => Some(t),
        Some(_) => return Err(FailureReason::Malformed),
    };
    // RFC 7515 §4.1.11: extensions listed in `crit` must be understood; we understand none.
    if header.contains_key("crit") || header.contains_key("b64") {
        return Err(FailureReason::Malformed);
    }
    if super::keys::KeyAlgorithm::from_header(&alg).is_none() {
        return Err(FailureReason::UnsupportedAlgorithm);
    }

    let claims = strict_object(&decode_segment(p)?)?;
    decode_segment(s)?;
    if !is_int(claims.get("exp")) || !is_int(claims.get("iat")) {
        return Err(FailureReason::MissingClaim);
    }
    match claims.get("sub") {
        Some(Value::String(s)) if !s.is_empty() => {}
        _ => return Err(FailureReason::MissingClaim),
    }
    Ok(Preparsed {
        header: RawHeader { alg, kid, typ },
    })
}

struct KeyAlgorithmCheck;

impl KeyAlgorithmCheck {
    fn is_none(alg: &str) -> bool {
        alg.eq_ignore_ascii_case("none") || alg.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(json: &str) -> String {
        crate::authn::util::b64url(json.as_bytes())
    }

    #[test]
    fn duplicate_keys_are_malformed() {
        let t = format!(
            "{}.{}.c2ln",
            seg(r#"{"alg":"EdDSA","alg":"HS256"}"#),
            seg(r#"{"sub":"a","exp":1,"iat":1}"#)
        );
        assert_eq!(preparse(&t).unwrap_err(), FailureReason::Malformed);
        let t = format!(
            "{}.{}.c2ln",
            seg(r#"{"alg":"EdDSA"}"#),
            seg(r#"{"sub":"a","sub":"b","exp":1,"iat":1}"#)
        );
        assert_eq!(preparse(&t).unwrap_err(), FailureReason::Malformed);
    }

    #[test]
    fn accepts_a_well_formed_token() {
        let t = format!(
            "{}.{}.c2ln",
            seg(r#"{"alg":"EdDSA","kid":"k","typ":"at+jwt"}"#),
            seg(r#"{"sub":"a","exp":1,"iat":1,"x":{"y":[1,2]}}"#)
        );
        let p = preparse(&t).unwrap();
        assert_eq!(p.header.kid.as_deref(), Some("k"));
        assert_eq!(p.header.typ.as_deref(), Some("at+jwt"));
    }

    #[test]
    fn never_panics_on_junk() {
        for t in [
            "",
            ".",
            "..",
            "...",
            "a.b.c",
            "ü.ü.ü",
            "=.=.=",
            "e30.e30.e30",
        ] {
            assert!(preparse(t).is_err(), "{t}");
        }
    }
}
