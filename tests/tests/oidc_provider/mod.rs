//! A small OpenID Connect provider for tests, served over real HTTP on a loopback port:
//! discovery, a JWKS with the RSA test key (`runtime/tests/fixtures/authn/rsa.pem`),
//! `/authorize` (redirects back with `code`, `state` and `iss`), `/token` (checks the client
//! secret, the redirect URI and PKCE, and answers with an RS256 ID token). Every response
//! closes its connection, so [`Provider::stop`] takes the provider down for real. [`Knobs`]
//! make it misbehave.
#![allow(dead_code)]

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use sha2::Digest;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

pub const RSA_PEM: &str = include_str!("../../../runtime/tests/fixtures/authn/rsa.pem");
pub const RSA_PUB_PEM: &str = include_str!("../../../runtime/tests/fixtures/authn/rsa.pub.pem");
pub const CLIENT_ID: &str = "portcullis-example";
pub const CLIENT_SECRET: &str = "example-client-secret";
pub const KID: &str = "test-key-1";

/// How the ID token is signed.
#[derive(Debug, Clone, PartialEq)]
pub enum Sign {
    /// RS256 with the published key.
    Rs256,
    /// HS256 with the public key's PEM as the HMAC secret (algorithm confusion).
    Hs256WithPublicKey,
    /// `alg: none`, empty signature.
    None,
}

/// The `iss` parameter of the authorization response.
#[derive(Debug, Clone, PartialEq)]
pub enum IssParam {
    Correct,
    Wrong,
    Absent,
}

/// What the provider does; change between sign-ins.
#[derive(Debug, Clone)]
pub struct Knobs {
    pub sub: String,
    pub email: Option<String>,
    pub email_verified: Value,
    /// `iss` of the ID token (default: the issuer).
    pub token_iss: Option<String>,
    /// `aud` of the ID token (default: the client id).
    pub aud: Option<Value>,
    pub azp: Option<String>,
    /// `exp` = now + this.
    pub exp_in: i64,
    /// `nonce` of the ID token (default: the one the authorization request carried).
    pub nonce: Option<String>,
    /// `kid` of the ID token's header.
    pub kid: String,
    /// The kids the JWKS publishes the key under.
    pub published_kids: Vec<String>,
    pub sign: Sign,
    pub iss_param: IssParam,
    pub advertise_iss_param: bool,
    /// `at_hash`: None = absent, Some(true) = correct, Some(false) = wrong.
    pub at_hash: Option<bool>,
    pub omit_id_token: bool,
    /// `issuer` of the discovery document (default: the issuer it is served for).
    pub discovery_issuer: Option<String>,
}

impl Default for Knobs {
    fn default() -> Self {
        Self {
            sub: "idp-user-alice".to_owned(),
            email: Some("alice@acme.test".to_owned()),
            email_verified: Value::Bool(true),
            token_iss: None,
            aud: None,
            azp: None,
            exp_in: 300,
            nonce: None,
            kid: KID.to_owned(),
            published_kids: vec![KID.to_owned()],
            sign: Sign::Rs256,
            iss_param: IssParam::Correct,
            advertise_iss_param: true,
            at_hash: Some(true),
            omit_id_token: false,
            discovery_issuer: None,
        }
    }
}

/// How often each endpoint was called.
#[derive(Default)]
pub struct Hits {
    pub discovery: AtomicUsize,
    pub jwks: AtomicUsize,
    pub authorize: AtomicUsize,
    pub token: AtomicUsize,
}

struct Grant {
    nonce: Option<String>,
    challenge: String,
    redirect_uri: String,
}

struct Inner {
    issuer: String,
    knobs: Mutex<Knobs>,
    hits: Hits,
    codes: Mutex<HashMap<String, Grant>>,
    counter: AtomicUsize,
}

/// A running provider.
pub struct Provider {
    pub issuer: String,
    inner: Arc<Inner>,
    task: tokio::task::JoinHandle<()>,
}

impl Provider {
    pub async fn start() -> Provider {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the provider");
        let issuer = format!("http://{}", listener.local_addr().expect("addr"));
        let inner = Arc::new(Inner {
            issuer: issuer.clone(),
            knobs: Mutex::new(Knobs::default()),
            hits: Hits::default(),
            codes: Mutex::new(HashMap::new()),
            counter: AtomicUsize::new(0),
        });
        let app = axum::Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .layer(axum::middleware::map_response(close_connection))
            .with_state(inner.clone());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("provider serves");
        });
        Provider {
            issuer,
            inner,
            task,
        }
    }

    pub fn set(&self, f: impl FnOnce(&mut Knobs)) {
        f(&mut self.inner.knobs.lock().unwrap());
    }

    pub fn reset(&self) {
        *self.inner.knobs.lock().unwrap() = Knobs::default();
    }

    pub fn hits(&self) -> &Hits {
        &self.inner.hits
    }

    pub fn jwks_hits(&self) -> usize {
        self.inner.hits.jwks.load(Ordering::SeqCst)
    }

    pub fn token_hits(&self) -> usize {
        self.inner.hits.token.load(Ordering::SeqCst)
    }

    /// Takes the provider down: its port refuses connections from now on.
    pub async fn stop(self) {
        self.task.abort();
        let _ = self.task.await;
    }
}

async fn close_connection(mut res: Response) -> Response {
    res.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    res
}

fn json_response(v: Value) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], v.to_string()).into_response()
}

async fn discovery(State(p): State<Arc<Inner>>) -> Response {
    p.hits.discovery.fetch_add(1, Ordering::SeqCst);
    let (advertise, issuer) = {
        let k = p.knobs.lock().unwrap();
        (k.advertise_iss_param, k.discovery_issuer.clone())
    };
    json_response(json!({
        "issuer": issuer.unwrap_or_else(|| p.issuer.clone()),
        "authorization_endpoint": format!("{}/authorize", p.issuer),
        "token_endpoint": format!("{}/token", p.issuer),
        "jwks_uri": format!("{}/jwks", p.issuer),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "authorization_response_iss_parameter_supported": advertise,
    }))
}

fn public_jwk(kid: &str) -> Value {
    let key = EncodingKey::from_rsa_pem(RSA_PEM.as_bytes()).expect("test RSA key");
    let mut jwk =
        jsonwebtoken::jwk::Jwk::from_encoding_key(&key, Algorithm::RS256).expect("RSA JWK");
    jwk.common.key_id = Some(kid.to_owned());
    jwk.common.public_key_use = Some(jsonwebtoken::jwk::PublicKeyUse::Signature);
    serde_json::to_value(jwk).expect("JWK JSON")
}

async fn jwks(State(p): State<Arc<Inner>>) -> Response {
    p.hits.jwks.fetch_add(1, Ordering::SeqCst);
    let kids = p.knobs.lock().unwrap().published_kids.clone();
    json_response(json!({ "keys": kids.iter().map(|k| public_jwk(k)).collect::<Vec<_>>() }))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `a=b&c=d` (query string or form body) into a map.
pub fn parse_form(s: &str) -> HashMap<String, String> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn authorize(State(p): State<Arc<Inner>>, req: Request) -> Response {
    p.hits.authorize.fetch_add(1, Ordering::SeqCst);
    let q = parse_form(req.uri().query().unwrap_or(""));
    let ok = q.get("response_type").map(String::as_str) == Some("code")
        && q.get("client_id").map(String::as_str) == Some(CLIENT_ID)
        && q.get("code_challenge_method").map(String::as_str) == Some("S256")
        && q.get("scope")
            .is_some_and(|s| s.split(' ').any(|s| s == "openid"));
    let (Some(redirect_uri), Some(state), Some(challenge), true) = (
        q.get("redirect_uri"),
        q.get("state"),
        q.get("code_challenge"),
        ok,
    ) else {
        return (StatusCode::BAD_REQUEST, "bad authorization request").into_response();
    };
    let n = p.counter.fetch_add(1, Ordering::SeqCst);
    let code = format!("code-{n}");
    p.codes.lock().unwrap().insert(
        code.clone(),
        Grant {
            nonce: q.get("nonce").cloned(),
            challenge: challenge.clone(),
            redirect_uri: redirect_uri.clone(),
        },
    );
    let iss_param = p.knobs.lock().unwrap().iss_param.clone();
    let mut location = format!(
        "{redirect_uri}?code={}&state={}",
        percent_encode(&code),
        percent_encode(state)
    );
    match iss_param {
        IssParam::Correct => location.push_str(&format!("&iss={}", percent_encode(&p.issuer))),
        IssParam::Wrong => location.push_str("&iss=https%3A%2F%2Fevil.example"),
        IssParam::Absent => {}
    }
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

async fn token(State(p): State<Arc<Inner>>, req: Request) -> Response {
    p.hits.token.fetch_add(1, Ordering::SeqCst);
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, 64 * 1024)
        .await
        .unwrap_or_default();
    let form = parse_form(&String::from_utf8_lossy(&body));
    let refuse = |e: &str| {
        (
            StatusCode::BAD_REQUEST,
            [(header::CONTENT_TYPE, "application/json")],
            json!({ "error": e }).to_string(),
        )
            .into_response()
    };
    // client_secret_basic (what the oauth2 crate sends) or client_secret_post.
    let basic = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|v| base64::engine::general_purpose::STANDARD.decode(v).ok())
        .map(|v| String::from_utf8_lossy(&v).into_owned());
    let client_ok = match basic {
        Some(pair) => pair == format!("{CLIENT_ID}:{}", percent_encode(CLIENT_SECRET)),
        None => {
            form.get("client_id").map(String::as_str) == Some(CLIENT_ID)
                && form.get("client_secret").map(String::as_str) == Some(CLIENT_SECRET)
        }
    };
    if !client_ok {
        return refuse("invalid_client");
    }
    if form.get("grant_type").map(String::as_str) != Some("authorization_code") {
        return refuse("unsupported_grant_type");
    }
    let Some(grant) = form
        .get("code")
        .and_then(|c| p.codes.lock().unwrap().remove(c))
    else {
        return refuse("invalid_grant");
    };
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    if b64(&sha2::Sha256::digest(verifier.as_bytes())) != grant.challenge
        || form.get("redirect_uri") != Some(&grant.redirect_uri)
    {
        return refuse("invalid_grant");
    }
    let k = p.knobs.lock().unwrap().clone();
    let n = p.counter.fetch_add(1, Ordering::SeqCst);
    let access_token = format!("provider-access-token-{n}");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let mut claims = json!({
        "iss": k.token_iss.clone().unwrap_or_else(|| p.issuer.clone()),
        "sub": k.sub,
        "aud": k.aud.clone().unwrap_or_else(|| json!(CLIENT_ID)),
        "exp": now + k.exp_in,
        "iat": now.min(now + k.exp_in),
        "name": "Alice Example",
    });
    if let Some(nonce) = k.nonce.clone().or(grant.nonce) {
        claims["nonce"] = json!(nonce);
    }
    if let Some(email) = &k.email {
        claims["email"] = json!(email);
        claims["email_verified"] = k.email_verified.clone();
    }
    if let Some(azp) = &k.azp {
        claims["azp"] = json!(azp);
    }
    match k.at_hash {
        Some(true) => {
            let d = sha2::Sha256::digest(access_token.as_bytes());
            claims["at_hash"] = json!(b64(&d[..16]));
        }
        Some(false) => claims["at_hash"] = json!(b64(&[0u8; 16])),
        None => {}
    }
    let id_token = match k.sign {
        Sign::Rs256 => {
            let mut h = Header::new(Algorithm::RS256);
            h.kid = Some(k.kid.clone());
            h.typ = Some("JWT".to_owned());
            let key = EncodingKey::from_rsa_pem(RSA_PEM.as_bytes()).expect("test RSA key");
            jsonwebtoken::encode(&h, &claims, &key).expect("sign")
        }
        Sign::Hs256WithPublicKey => {
            let mut h = Header::new(Algorithm::HS256);
            h.kid = Some(k.kid.clone());
            h.typ = Some("JWT".to_owned());
            let key = EncodingKey::from_secret(RSA_PUB_PEM.as_bytes());
            jsonwebtoken::encode(&h, &claims, &key).expect("sign")
        }
        Sign::None => {
            let header = json!({ "alg": "none", "kid": k.kid, "typ": "JWT" });
            format!(
                "{}.{}.",
                b64(header.to_string().as_bytes()),
                b64(claims.to_string().as_bytes())
            )
        }
    };
    let mut res = json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": 300,
    });
    if !k.omit_id_token {
        res["id_token"] = json!(id_token);
    }
    json_response(res)
}
