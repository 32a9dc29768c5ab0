//! JwtService: the attack corpus (every case rejected, each for its reason class), key loading
//! and its start-up errors, rotation, the resource-server split, JWKS, token types.

use base64::Engine;
use jsonwebtoken::{EncodingKey, Header};
use portcullis::authn::FailureReason;
use portcullis::authn::jwt::{
    Claims, JwtError, JwtService, PRIVATE_KEY_SETTING, PUBLIC_KEYS_SETTING, TokenType,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::time::Duration;

const ED_A: &str = include_str!("fixtures/authn/ed25519_a.pem");
const ED_A_PUB: &str = include_str!("fixtures/authn/ed25519_a.pub.pem");
const ED_B: &str = include_str!("fixtures/authn/ed25519_b.pem");
const ED_B_PUB: &str = include_str!("fixtures/authn/ed25519_b.pub.pem");
const RSA: &str = include_str!("fixtures/authn/rsa.pem");
const RSA_PUB: &str = include_str!("fixtures/authn/rsa.pub.pem");
const EC: &str = include_str!("fixtures/authn/ec.pem");
const EC_PUB: &str = include_str!("fixtures/authn/ec.pub.pem");

const ISS: &str = "https://issuer.test";
const AUD: &str = "api";

fn service(pem: &str) -> JwtService {
    JwtService::builder()
        .private_key_pem(pem.as_bytes())
        .issuer(ISS)
        .audience([AUD])
        .build()
        .unwrap()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn good_claims() -> Value {
    json!({"sub": "user-1", "iat": now(), "exp": now() + 600, "iss": ISS, "aud": AUD, "jti": "j1"})
}

fn header(jwt: &JwtService, alg: jsonwebtoken::Algorithm) -> Header {
    let mut h = Header::new(alg);
    h.typ = Some("at+jwt".into());
    h.kid = jwt.signing_kid().map(str::to_owned);
    h
}

/// Signs arbitrary claims with an arbitrary header and key, as an attacker (or the real
/// issuer with a mistake) could.
fn sign_raw(h: &Header, claims: &Value, key: &EncodingKey) -> String {
    jsonwebtoken::encode(h, claims, key).unwrap()
}

fn ed_key(pem: &str) -> EncodingKey {
    EncodingKey::from_ed_pem(pem.as_bytes()).unwrap()
}

fn reason(jwt: &JwtService, token: &str) -> FailureReason {
    match jwt.verify::<Value>(token) {
        Ok(c) => panic!("token accepted: {c:?}"),
        Err(e) => e.reason().expect("a rejection"),
    }
}

#[test]
fn a_good_token_is_accepted_as_the_control_case() {
    let jwt = service(ED_A);
    let t = sign_raw(
        &header(&jwt, jsonwebtoken::Algorithm::EdDSA),
        &good_claims(),
        &ed_key(ED_A),
    );
    assert_eq!(jwt.verify::<Value>(&t).unwrap().sub, "user-1");
}

#[test]
fn attack_corpus_is_rejected_for_the_right_reason() {
    use FailureReason::*;
    use jsonwebtoken::Algorithm::{EdDSA, HS256};
    let jwt = service(ED_A);
    let key = ed_key(ED_A);
    let h = header(&jwt, EdDSA);
    let kid = jwt.signing_kid().unwrap().to_owned();
    let good = sign_raw(&h, &good_claims(), &key);
    let segs: Vec<&str> = good.split('.').collect();
    let mut cases: Vec<(&str, String, FailureReason)> = Vec::new();

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
    let mut hs = header(&jwt, HS256);
    hs.kid = Some(kid.clone());
    cases.push((
        "HS256 with the EdDSA public key",
        sign_raw(
            &hs,
            &good_claims(),
            &EncodingKey::from_secret(ED_A_PUB.as_bytes()),
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
    let dup_claims = format!(
        r#"{{"sub":"user-1","sub":"admin","iat":{},"exp":{},"iss":"{ISS}","aud":"{AUD}"}}"#,
        now(),
        now() + 600
    );
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

    let mut failures = Vec::new();
    for (name, token, expected) in &cases {
        match jwt.verify::<Value>(token) {
            Ok(_) => failures.push(format!("{name}: ACCEPTED")),
            Err(e) if e.reason() == Some(*expected) => {}
            Err(e) => failures.push(format!("{name}: expected {expected}, got {e}")),
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(cases.len() >= 40, "{}", cases.len());
}

#[test]
fn algorithm_confusion_against_an_rs256_verifier_is_refused() {
    let jwt = service(RSA);
    let mut h = header(&jwt, jsonwebtoken::Algorithm::HS256);
    h.kid = jwt.signing_kid().map(str::to_owned);
    for secret in [RSA_PUB.as_bytes(), RSA_PUB.trim().as_bytes()] {
        let t = sign_raw(&h, &good_claims(), &EncodingKey::from_secret(secret));
        assert_eq!(reason(&jwt, &t), FailureReason::AlgorithmMismatch);
    }
    // RS256 itself works, also on a verifier holding only the public key.
    let t = jwt.sign("user-1", ()).unwrap();
    assert_eq!(jwt.verify::<()>(&t).unwrap().sub, "user-1");
    let rs = JwtService::builder()
        .public_key_pem(RSA_PUB.as_bytes())
        .issuer(ISS)
        .audience([AUD])
        .build()
        .unwrap();
    assert_eq!(rs.verify::<()>(&t).unwrap().sub, "user-1");
    assert_eq!(rs.signing_kid(), None);
    assert_eq!(
        rs.jwks().keys[0].common.key_id.as_deref(),
        jwt.signing_kid()
    );
}

#[test]
fn es256_and_hs256_round_trip() {
    let jwt = service(EC);
    let t = jwt.sign("u", ()).unwrap();
    assert_eq!(jwt.verify::<()>(&t).unwrap().sub, "u");
    let verifier = JwtService::builder()
        .public_key_pem(EC_PUB.as_bytes())
        .issuer(ISS)
        .audience([AUD])
        .build()
        .unwrap();
    assert_eq!(verifier.verify::<()>(&t).unwrap().sub, "u");

    let hs = JwtService::builder()
        .hmac_secret("k1", &[7u8; 32])
        .build()
        .unwrap();
    let t = hs.sign("u", ()).unwrap();
    assert_eq!(hs.verify::<()>(&t).unwrap().sub, "u");
    assert!(
        hs.jwks().keys.is_empty(),
        "HMAC secrets are never published"
    );
    let err = JwtService::builder()
        .hmac_secret("k", b"short")
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("at least 32 bytes"), "{err}");
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Custom {
    tenant: u32,
    roles: Vec<String>,
}

#[test]
fn custom_claims_round_trip_and_defaults_apply() {
    let jwt = service(ED_A);
    let t = jwt
        .sign(
            "user-9",
            Custom {
                tenant: 3,
                roles: vec!["admin".into()],
            },
        )
        .unwrap();
    let c: Claims<Custom> = jwt.verify(&t).unwrap();
    assert_eq!(
        c.custom,
        Custom {
            tenant: 3,
            roles: vec!["admin".into()]
        }
    );
    assert_eq!(c.exp - c.iat, 3600, "default lifetime is one hour");
    assert_eq!(c.iss.as_deref(), Some(ISS));
    assert!(c.jti.is_some());
    // A token with the wrong shape of custom claims is refused, not half-read.
    assert!(jwt.verify::<Custom>(&jwt.sign("u", ()).unwrap()).is_err());
}

#[test]
fn leeway_and_expires_in_are_configurable() {
    let jwt = JwtService::builder()
        .private_key_pem(ED_A.as_bytes())
        .expires_in(Duration::from_secs(60))
        .build()
        .unwrap();
    let c = jwt.claims("u", ()).unwrap();
    assert_eq!(c.exp - c.iat, 60);
    let mut late = jwt.claims("u", ()).unwrap();
    late.exp = now() - 10;
    let t = jwt.sign_claims(TokenType::Access, &late).unwrap();
    assert!(
        jwt.verify::<()>(&t).is_ok(),
        "10 s late is inside the 30 s default leeway"
    );
    late.exp = now() - 120;
    let t = jwt.sign_claims(TokenType::Access, &late).unwrap();
    assert_eq!(reason(&jwt, &t), FailureReason::Expired);
    let strict = JwtService::builder()
        .private_key_pem(ED_A.as_bytes())
        .leeway(Duration::ZERO)
        .build()
        .unwrap();
    late.exp = now() - 5;
    let t = strict.sign_claims(TokenType::Access, &late).unwrap();
    assert_eq!(reason(&strict, &t), FailureReason::Expired);
}

#[test]
fn token_types_are_distinct() {
    let jwt = service(ED_A);
    for ty in [TokenType::Refresh, TokenType::Id, TokenType::State] {
        let t = jwt.sign_claims(ty, &jwt.claims("u", ()).unwrap()).unwrap();
        assert_eq!(reason(&jwt, &t), FailureReason::WrongTokenType, "{ty:?}");
        assert!(jwt.verify_as::<()>(&t, ty).is_ok());
    }
    let access = jwt.sign("u", ()).unwrap();
    assert!(jwt.verify_as::<()>(&access, TokenType::Refresh).is_err());
}

#[test]
fn rotation_keeps_old_public_keys_verifying_until_removed() {
    let old = JwtService::builder()
        .private_key_pem(ED_A.as_bytes())
        .build()
        .unwrap();
    let old_token = old.sign("u", ()).unwrap();
    let rotated = JwtService::builder()
        .private_key_pem(ED_B.as_bytes())
        .public_key_pem(ED_A_PUB.as_bytes())
        .build()
        .unwrap();
    assert_ne!(old.signing_kid(), rotated.signing_kid());
    assert!(rotated.verify::<()>(&old_token).is_ok());
    let new_token = rotated.sign("u", ()).unwrap();
    assert!(rotated.verify::<()>(&new_token).is_ok());
    assert_eq!(rotated.jwks().keys.len(), 2);
    let removed = JwtService::builder()
        .private_key_pem(ED_B.as_bytes())
        .build()
        .unwrap();
    assert_eq!(reason(&removed, &old_token), FailureReason::UnknownKid);
}

#[test]
fn resource_server_verifies_with_public_keys_only_and_publishes_jwks() {
    let issuer = service(ED_A);
    let t = issuer.sign("u", ()).unwrap();
    let rs = JwtService::builder()
        .from_settings(|k| (k == PUBLIC_KEYS_SETTING).then(|| format!("{ED_A_PUB}\n{ED_B_PUB}")))
        .issuer(ISS)
        .audience([AUD])
        .build()
        .unwrap();
    assert!(!rs.can_sign());
    assert!(matches!(rs.sign("u", ()), Err(JwtError::Sign(_))));
    assert_eq!(rs.verify::<()>(&t).unwrap().sub, "u");

    let jwks: Value = serde_json::from_str(&issuer.jwks_json()).unwrap();
    let k = &jwks["keys"][0];
    assert_eq!(k["kty"], "OKP");
    assert_eq!(k["crv"], "Ed25519");
    assert_eq!(k["alg"], "EdDSA");
    assert_eq!(k["use"], "sig");
    assert_eq!(k["kid"], issuer.signing_kid().unwrap());
    assert!(k.get("d").is_none(), "private part leaked: {k}");
    // The JWKS of a resource server lists the same key under the same kid (RFC 7638 thumbprint).
    assert!(
        rs.jwks()
            .keys
            .iter()
            .any(|j| j.common.key_id.as_deref() == issuer.signing_kid())
    );
}

#[test]
fn bad_keys_stop_start_up_naming_the_setting() {
    let from = |priv_key: Option<&str>, pub_keys: Option<&str>| {
        let (a, b) = (priv_key.map(str::to_owned), pub_keys.map(str::to_owned));
        JwtService::builder()
            .from_settings(move |k| match k {
                PRIVATE_KEY_SETTING => a.clone(),
                PUBLIC_KEYS_SETTING => b.clone(),
                _ => None,
            })
            .build()
    };
    let cases = [
        (Some("not a pem"), None, PRIVATE_KEY_SETTING),
        (
            Some("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
            None,
            PRIVATE_KEY_SETTING,
        ),
        (Some(ED_A_PUB), None, PRIVATE_KEY_SETTING),
        (None, Some("garbage"), PUBLIC_KEYS_SETTING),
        (None, Some(ED_A), PUBLIC_KEYS_SETTING),
        (
            None,
            Some("-----BEGIN PUBLIC KEY-----\nAAAA\n"),
            PUBLIC_KEYS_SETTING,
        ),
        (None, None, PRIVATE_KEY_SETTING),
    ];
    for (p, k, setting) in cases {
        let err = from(p, k).unwrap_err().to_string();
        assert!(err.starts_with(&format!("{setting}: ")), "{err}");
        assert!(
            !err.contains("MC4CAQAwBQYDK2VwBCIEI"),
            "key material in error: {err}"
        );
    }
    assert!(from(Some(ED_A), Some(ED_B_PUB)).unwrap().can_sign());
}

#[test]
fn issuer_and_audience_come_from_settings() {
    use portcullis::authn::jwt::{AUDIENCE_SETTING, ISSUER_SETTING};
    let jwt = JwtService::builder()
        .from_settings(|k| match k {
            PRIVATE_KEY_SETTING => Some(ED_A.to_owned()),
            ISSUER_SETTING => Some(ISS.to_owned()),
            AUDIENCE_SETTING => Some(format!("{AUD}, admin-api")),
            _ => None,
        })
        .build()
        .unwrap();
    let c = jwt.claims("u", ()).unwrap();
    assert_eq!(c.iss.as_deref(), Some(ISS));
    assert_eq!(
        c.aud,
        Some(portcullis::authn::jwt::Audience::One(AUD.into()))
    );
    // Tokens of another issuer are refused by this service.
    let other = service(ED_A);
    let mut foreign = other.claims("u", ()).unwrap();
    foreign.iss = Some("https://elsewhere.test".into());
    let t = other.sign_claims(TokenType::Access, &foreign).unwrap();
    assert_eq!(reason(&jwt, &t), FailureReason::WrongIssuer);
}

#[test]
fn key_settings_accept_escaped_newlines_and_file_paths() {
    let one = |value: String| {
        JwtService::builder()
            .from_settings(move |k| (k == PRIVATE_KEY_SETTING).then(|| value.clone()))
            .build()
    };
    // `.env` style: the PEM on one line with literal \n.
    let escaped = ED_A.trim().replace('\n', "\\n");
    assert!(!escaped.contains('\n'));
    assert!(one(escaped).unwrap().can_sign());
    // A path to a PEM file.
    let path = std::env::temp_dir().join(format!("portcullis-key-{}.pem", std::process::id()));
    std::fs::write(&path, ED_A).unwrap();
    let from_file = one(path.display().to_string()).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(from_file.signing_kid(), service(ED_A).signing_kid());
    // A path that does not exist names the setting.
    let err = one("/no/such/key.pem".into()).unwrap_err().to_string();
    assert!(err.starts_with(PRIVATE_KEY_SETTING), "{err}");
    assert!(
        err.contains("neither PEM text nor a readable PEM file"),
        "{err}"
    );
    let err = JwtService::builder()
        .from_settings(|k| (k == PUBLIC_KEYS_SETTING).then(|| "/no/such/keys.pem".to_owned()))
        .build()
        .unwrap_err()
        .to_string();
    assert!(err.starts_with(PUBLIC_KEYS_SETTING), "{err}");
}
