//! The guarded-app fixtures: the state, the `Identity` of the test `User`, and an HS256 JWT
//! service with its bearer strategy (tests/tests/guards.rs, tests/tests/warn_inventory.rs and
//! runtime/benches/guards.rs).

use super::User;
use axum::extract::FromRef;
use portcullis::authn::jwt::{Claims, JwtService};
use portcullis::authn::strategy::{Bearer, FailureReason};
use portcullis::db::Pool;
use std::sync::Arc;

impl portcullis::guard::Identity for User {
    fn id(&self) -> String {
        self.id.to_string()
    }
    fn has_role(&self, role: &str) -> bool {
        role == "admin" && self.admin
    }
}

#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
}

impl portcullis::guard::HasPrincipal for AppState {
    type Principal = User;
}

impl FromRef<AppState> for Pool {
    fn from_ref(s: &AppState) -> Pool {
        s.pool.clone()
    }
}

/// The custom claims: the user's tenant and admin flag.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Extra {
    pub tid: i64,
    pub admin: bool,
}

pub const SECRET: &[u8] = b"an hmac secret of at least thirty-two bytes";

/// HS256 with [`SECRET`].
pub fn jwt() -> Arc<JwtService> {
    Arc::new(
        JwtService::builder()
            .hmac_secret("k1", SECRET)
            .build()
            .expect("jwt service"),
    )
}

/// An access token for `user`.
pub fn token(jwt: &JwtService, user: &User) -> String {
    jwt.sign(
        user.id.to_string(),
        Extra {
            tid: user.tenant_id,
            admin: user.admin,
        },
    )
    .expect("sign")
}

/// The claims to a `User`; a `sub` that is not a number is malformed.
pub fn user_from_claims(c: Claims<Extra>) -> Result<User, FailureReason> {
    Ok(User {
        id: c.sub.parse().map_err(|_| FailureReason::Malformed)?,
        tenant_id: c.custom.tid,
        admin: c.custom.admin,
    })
}

/// The bearer strategy over `jwt`.
pub fn bearer(jwt: Arc<JwtService>) -> Bearer<Extra, User> {
    Bearer::new(jwt, user_from_claims)
}
