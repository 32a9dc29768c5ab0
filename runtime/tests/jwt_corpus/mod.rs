//! The JWT attack corpus, shared by the runtime's `JwtService` tests and the example's HTTP
//! security suite (`tests/tests/example_security.rs` includes this file by path): every token
//! an attacker or a careless issuer could present, each with the reason class it must be
//! refused for.
#![allow(dead_code)]

use base64::Engine;
use jsonwebtoken::{EncodingKey, Header};
use portcullis::authn::FailureReason;
use portcullis::authn::jwt::JwtService;
use serde_json::{Value, json};

pub const ED_A: &str = include_str!("../fixtures/authn/ed25519_a.pem");
pub const ED_A_PUB: &str = include_str!("../fixtures/authn/ed25519_a.pub.pem");
pub const ED_B: &str = include_str!("../fixtures/authn/ed25519_b.pem");
pub const ED_B_PUB: &str = include_str!("../fixtures/authn/ed25519_b.pub.pem");
pub const RSA: &str = include_str!("../fixtures/authn/rsa.pem");
pub const RSA_PUB: &str = include_str!("../fixtures/authn/rsa.pub.pem");
pub const EC: &str = include_str!("../fixtures/authn/ec.pem");
pub const EC_PUB: &str = include_str!("../fixtures/authn/ec.pub.pem");

pub const ISS: &str = "https://issuer.test";
pub const AUD: &str = "api";

pub fn service(pem: &str) -> JwtService {
    JwtService::builder()
        .private_key_pem(pem.as_bytes())
        .issuer(ISS)
        .audience([AUD])
        .build()
        .unwrap()
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub fn header(jwt: &JwtService, alg: jsonwebtoken::Algorithm) -> Header {
    let mut h = Header::new(alg);
    h.typ = Some("at+jwt".into());
    h.kid = jwt.signing_kid().map(str::to_owned);
    h
}

/// Signs arbitrary claims with an arbitrary header and key, as an attacker (or the real
/// issuer with a mistake) could.
pub fn sign_raw(h: &Header, claims: &Value, key: &EncodingKey) -> String {
    jsonwebtoken::encode(h, claims, key).unwrap()
}

pub fn ed_key(pem: &str) -> EncodingKey {
    EncodingKey::from_ed_pem(pem.as_bytes()).unwrap()
}

pub fn reason(jwt: &JwtService, token: &str) -> FailureReason {
    match jwt.verify::<Value>(token) {
        Ok(c) => panic!("token accepted: {c:?}"),
        Err(e) => e.reason().expect("a rejection"),
    }
}

/// One token of the corpus and the reason it must be refused for.
pub struct Case {
    pub name: &'static str,
    pub token: String,
    pub expected: FailureReason,
}

/// The corpus against `jwt`, whose signing key is `signing_pem` (public half `public_pem`).
/// `claims` must be a valid claim set for `jwt` (`sub`, `iat`, `exp`, and `iss`/`aud` when the
/// service requires them); each case breaks one thing about it.
pub fn attack_corpus(
    jwt: &JwtService,
    signing_pem: &str,
    public_pem: &str,
    claims: &Value,
) -> Vec<Case> {
    use FailureReason::*;
    use jsonwebtoken::Algorithm::{EdDSA, HS256};
    let good_claims = || claims.clone();
    let key = ed_key(signing_pem);
    let h = header(jwt, EdDSA);
    let kid = jwt.signing_kid().unwrap_or_default().to_owned();
    let good = sign_raw(&h, &good_claims(), &key);
    let segs: Vec<&str> = good.split('.').collect();
    let mut cases: Vec<(&'static str, String, FailureReason)> = Vec::new();

    // alg: none, with and without a signature segment, in several spellings.
    for alg in ["none", "None", "NONE"] {
        let hdr = b64(json!({"alg": alg, "typ": "at+jwt", "kid": kid})
            .to_string()
            .as_bytes());
        cases.push((
            "alg none",
            format!("{hdr}.{}.", segs[1]),
            UnsupportedAlgorithm,
        ));
        cases.push((
            "alg none + sig",
            format!("{hdr}.{}.{}", segs[1], segs[2]),
            UnsupportedAlgorithm,
        ));
    }
    // Algorithm confusion: HS256 keyed with the verifier's public key (PEM text and DER).
    let mut hs = header(jwt, HS256);
    hs.kid = Some(kid.clone());
    cases.push((
        "HS256 with the EdDSA public key",
        sign_raw(
            &hs,
            &good_claims(),
            &EncodingKey::from_secret(public_pem.as_bytes()),
        ),
        AlgorithmMismatch,
    ));
    // Time, issuer, audience.
    let mut c = good_claims();
    c["exp"] = json!(now() - 3600);
    c["iat"] = json!(now() - 7200);
    cases.push(("expired", sign_raw(&h, &c, &key), Expired));
    let mut c = good_claims();
    c["nbf"] = json!(now() + 3600);
    cases.push(("nbf in the future", sign_raw(&h, &c, &key), NotYetValid));
    let mut c = good_claims();
    c["iat"] = json!(now() + 3600);
    cases.push(("iat in the future", sign_raw(&h, &c, &key), NotYetValid));
    let mut c = good_claims();
    c["iss"] = json!("https://evil.test");
    cases.push(("wrong iss", sign_raw(&h, &c, &key), WrongIssuer));
    let mut c = good_claims();
    c["aud"] = json!(["other-api"]);
    cases.push(("wrong aud", sign_raw(&h, &c, &key), WrongAudience));
    for missing in ["exp", "iat", "sub"] {
        let mut c = good_claims();
        c.as_object_mut().unwrap().remove(missing);
        cases.push(("missing claim", sign_raw(&h, &c, &key), MissingClaim));
    }
    let mut c = good_claims();
    c.as_object_mut().unwrap().remove("iss");
    cases.push((
        "missing iss when configured",
        sign_raw(&h, &c, &key),
        MissingClaim,
    ));
    let mut c = good_claims();
    c["exp"] = json!("tomorrow");
    cases.push(("exp not a number", sign_raw(&h, &c, &key), MissingClaim));
    // Tampering.
    let mut c = good_claims();
    c["sub"] = json!("admin");
    let forged_payload = b64(c.to_string().as_bytes());
    cases.push((
        "tampered payload",
        format!("{}.{forged_payload}.{}", segs[0], segs[2]),
        BadSignature,
    ));
    let mut sig = segs[2].to_owned();
    let first = if sig.starts_with('A') { "B" } else { "A" };
    sig.replace_range(0..1, first);
    cases.push((
        "tampered signature",
        format!("{}.{}.{sig}", segs[0], segs[1]),
        BadSignature,
    ));
    cases.push((
        "signature by another key",
        { sign_raw(&h, &good_claims(), &ed_key(ED_B)) },
        BadSignature,
    ));
    // Key selection.
    let mut hk = h.clone();
    hk.kid = Some("no-such-key".into());
    cases.push((
        "unknown kid",
        sign_raw(&hk, &good_claims(), &key),
        UnknownKid,
    ));
    hk.kid = Some("../../../../../../dev/null".into());
    cases.push((
        "kid path traversal",
        sign_raw(&hk, &good_claims(), &key),
        UnknownKid,
    ));
    hk.kid = Some("' OR '1'='1".into());
    cases.push((
        "kid SQL injection",
        sign_raw(&hk, &good_claims(), &key),
        UnknownKid,
    ));
    // Embedded keys are never used: attacker signs with key B and ships B's public key.
    let mut hj = h.clone();
    hj.jwk = Some(jsonwebtoken::jwk::Jwk::from_encoding_key(&ed_key(ED_B), EdDSA).unwrap());
    hj.jku = Some("https://evil.test/jwks.json".into());
    hj.x5u = Some("https://evil.test/cert.pem".into());
    cases.push((
        "embedded jwk/jku/x5u",
        sign_raw(&hj, &good_claims(), &ed_key(ED_B)),
        BadSignature,
    ));
    // Token types.
    let mut ht = h.clone();
    ht.typ = Some("refresh+jwt".into());
    cases.push((
        "refresh token as access token",
        sign_raw(&ht, &good_claims(), &key),
        WrongTokenType,
    ));
    ht.typ = Some("JWT".into());
    cases.push((
        "plain JWT (e.g. ID token) as access token",
        sign_raw(&ht, &good_claims(), &key),
        WrongTokenType,
    ));
    ht.typ = None;
    cases.push((
        "no typ",
        sign_raw(&ht, &good_claims(), &key),
        WrongTokenType,
    ));
    // Structure.
    cases.push((
        "truncated: two segments",
        format!("{}.{}", segs[0], segs[1]),
        Malformed,
    ));
    cases.push(("truncated: one segment", segs[0].to_owned(), Malformed));
    cases.push(("extra segment", format!("{good}.{}", segs[2]), Malformed));
    cases.push(("JWE-like five segments", format!("{good}.a.b"), Malformed));
    cases.push(("empty", String::new(), Malformed));
    cases.push((
        "non-base64 header",
        format!("!!!.{}.{}", segs[1], segs[2]),
        Malformed,
    ));
    cases.push((
        "non-base64 payload",
        format!("{}.@@@.{}", segs[0], segs[2]),
        Malformed,
    ));
    cases.push((
        "padded base64",
        format!("{}=.{}.{}", segs[0], segs[1], segs[2]),
        Malformed,
    ));
    cases.push((
        "header not JSON",
        format!("{}.{}.{}", b64(b"not json"), segs[1], segs[2]),
        Malformed,
    ));
    cases.push((
        "header is an array",
        format!("{}.{}.{}", b64(b"[1]"), segs[1], segs[2]),
        Malformed,
    ));
    let huge = json!({"alg": "EdDSA", "typ": "at+jwt", "kid": kid, "pad": "x".repeat(3000)});
    cases.push((
        "huge header",
        format!(
            "{}.{}.{}",
            b64(huge.to_string().as_bytes()),
            segs[1],
            segs[2]
        ),
        Malformed,
    ));
    let dup_header = format!(r#"{{"alg":"HS256","alg":"EdDSA","typ":"at+jwt","kid":"{kid}"}}"#);
    cases.push((
        "duplicate keys in header",
        format!("{}.{}.{}", b64(dup_header.as_bytes()), segs[1], segs[2]),
        Malformed,
    ));
    let mut dup = claims.to_string();
    dup.insert_str(1, r#""sub":"admin","#);
    let dup_claims = dup;
    cases.push((
        "duplicate keys in claims",
        format!("{}.{}.{}", segs[0], b64(dup_claims.as_bytes()), segs[2]),
        Malformed,
    ));
    let crit = json!({"alg": "EdDSA", "typ": "at+jwt", "kid": kid, "crit": ["exp"]});
    cases.push((
        "unknown crit header",
        format!(
            "{}.{}.{}",
            b64(crit.to_string().as_bytes()),
            segs[1],
            segs[2]
        ),
        Malformed,
    ));
    let mut big = good_claims();
    big["pad"] = json!("x".repeat(9000));
    cases.push(("token over 8 KiB", sign_raw(&h, &big, &key), TooLarge));
    cases.push(("8 KiB of junk", "a".repeat(8 * 1024 + 1), TooLarge));
    cases.push((
        "unsupported alg",
        {
            let hdr = b64(json!({"alg": "HS512", "typ": "at+jwt", "kid": kid})
                .to_string()
                .as_bytes());
            format!("{hdr}.{}.{}", segs[1], segs[2])
        },
        UnsupportedAlgorithm,
    ));

    cases
        .into_iter()
        .map(|(name, token, expected)| Case {
            name,
            token,
            expected,
        })
        .collect()
}
