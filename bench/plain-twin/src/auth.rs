//! Bearer authentication by hand: the JWT checked with `jsonwebtoken`, its `jti` looked up in
//! the example's deny-list table; and the per-user rate limit of `GET /docs`.

use crate::{AppState, Error, Pool, internal, problem, with_conn};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use diesel::{ExpressionMethods, QueryDsl};
use diesel_async::RunQueryDsl;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use std::collections::HashMap;

diesel::table! {
    portcullis_revoked_jti (jti) {
        jti -> Text,
        expires_at -> BigInt,
    }
}

/// The verification keys by `kid`, each bound to its algorithm.
pub struct Keys {
    by_kid: HashMap<String, (DecodingKey, Validation)>,
}

impl Keys {
    /// The keys of a JWKS document; tokens must carry `issuer` and `audience`.
    pub fn from_jwks(json: &str, issuer: &str, audience: &str) -> Result<Self, Error> {
        let set: JwkSet = serde_json::from_str(json).map_err(|e| Error::Jwks(e.to_string()))?;
        let mut by_kid = HashMap::new();
        for jwk in &set.keys {
            let kid = jwk.common.key_id.clone();
            let alg = jwk.common.key_algorithm.map(Algorithm::try_from);
            let (Some(kid), Some(Ok(alg))) = (kid, alg) else {
                return Err(Error::Jwks(
                    "every key needs a `kid` and an `alg`".to_owned(),
                ));
            };
            let key = DecodingKey::from_jwk(jwk).map_err(|e| Error::Jwks(e.to_string()))?;
            // The example's rules: 30 s leeway, `nbf` honoured, `exp`, `sub`, `iss` and `aud`
            // required, the latter two equal to the example's.
            let mut v = Validation::new(alg);
            v.leeway = 30;
            v.validate_nbf = true;
            v.set_issuer(&[issuer]);
            v.set_audience(&[audience]);
            v.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
            by_kid.insert(kid, (key, v));
        }
        if by_kid.is_empty() {
            return Err(Error::Jwks("no keys".to_owned()));
        }
        Ok(Self { by_kid })
    }

    /// The claims of a valid access token (`typ: at+jwt`), or `None`.
    pub fn verify(&self, token: &str) -> Option<Claims> {
        let header = jsonwebtoken::decode_header(token).ok()?;
        let typ = header.typ.as_deref()?.to_ascii_lowercase();
        if typ.strip_prefix("application/").unwrap_or(&typ) != "at+jwt" {
            return None;
        }
        let (key, validation) = self.by_kid.get(header.kid.as_deref()?)?;
        // `decode` refuses a header `alg` other than the key's (no algorithm confusion).
        jsonwebtoken::decode::<Claims>(token, key, validation)
            .ok()
            .map(|d| d.claims)
    }
}

/// The claims the example puts into access tokens.
#[derive(Debug, serde::Deserialize)]
pub struct Claims {
    pub sub: String,
    pub jti: String,
    pub tid: i64,
    /// `member` or `admin`.
    pub role: String,
}

/// The authenticated caller.
pub(crate) struct Caller {
    pub(crate) id: i64,
    pub(crate) tenant_id: i64,
    pub(crate) admin: bool,
}

/// 401 with the challenge the example sends: plain when nothing was sent, `invalid_token` for
/// credentials that did not authenticate.
fn unauthorized(invalid: bool) -> Response {
    let mut res = problem(StatusCode::UNAUTHORIZED, None);
    let challenge = if invalid {
        r#"Bearer error="invalid_token""#
    } else {
        "Bearer"
    };
    res.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(challenge),
    );
    res
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Whether `jti` is in the example's deny-list (and not expired); `None` when the database
/// fails.
pub async fn is_revoked(pool: &Pool, jti: &str) -> Option<bool> {
    revoked(pool, jti).await.ok()
}

async fn revoked(pool: &Pool, jti: &str) -> Result<bool, crate::DbFail> {
    use portcullis_revoked_jti::dsl;
    let n: i64 = with_conn!(pool, |conn| dsl::portcullis_revoked_jti
        .filter(dsl::jti.eq(jti))
        .filter(dsl::expires_at.ge(now()))
        .count()
        .get_result(&mut conn)
        .await?);
    Ok(n > 0)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Err(unauthorized(false));
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(|| unauthorized(true))?;
        let claims = state.keys.verify(token).ok_or_else(|| unauthorized(true))?;
        match is_revoked(&state.pool, &claims.jti).await {
            Some(false) => {}
            Some(true) => return Err(unauthorized(true)),
            None => return Err(internal()),
        }
        let id = claims.sub.parse().map_err(|_| unauthorized(true))?;
        Ok(Caller {
            id,
            tenant_id: claims.tid,
            admin: claims.role == "admin",
        })
    }
}

/// Counts a request of `caller` against the per-user limit: the 429 (with `Retry-After`) to
/// answer when it is spent.
pub(crate) fn throttled(state: &AppState, caller: &Caller) -> Option<Response> {
    let not_until = state.limiter.check_key(&caller.id).err()?;
    let clock = governor::clock::DefaultClock::default();
    let wait = not_until.wait_time_from(governor::clock::Clock::now(&clock));
    let mut res = problem(
        StatusCode::TOO_MANY_REQUESTS,
        Some("Too many requests; retry later."),
    );
    res.headers_mut()
        .insert(header::RETRY_AFTER, (wait.as_secs() + 1).into());
    Some(res)
}
