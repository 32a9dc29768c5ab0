//! Bearer JWT authentication (RFC 6750): `Authorization: Bearer <access token>`.

use super::{AuthRejection, Authenticator, Challenge, FailureReason, authorization};
use crate::authn::jwt::{Claims, JwtService, MAX_TOKEN_LEN};
use crate::authn::revocation::RevocationStore;
use crate::model::BoxFuture;
use http::request::Parts;
use serde::de::DeserializeOwned;
use std::marker::PhantomData;
use std::sync::Arc;

type Mapper<T, P> = dyn Fn(Claims<T>) -> BoxFuture<'static, Result<P, FailureReason>> + Send + Sync;

/// Authenticates `Authorization: Bearer <jwt>` with a [`JwtService`]; only access tokens
/// (`typ: at+jwt`) are accepted. The user-supplied mapper turns verified [`Claims<T>`] into the
/// principal `P` (return [`FailureReason::UnknownPrincipal`] to refuse).
///
/// ```
/// use portcullis::authn::jwt::{Claims, JwtService};
/// use portcullis::authn::strategy::{Authenticator, Bearer};
/// use std::sync::Arc;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let pem = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/authn/ed25519_a.pem"));
/// let jwt = Arc::new(JwtService::builder().private_key_pem(pem.as_bytes()).build()?);
/// let bearer = Bearer::new(jwt, |c: Claims<()>| Ok(c.sub));
/// let _: &dyn Authenticator<String> = &bearer;
/// # Ok(()) }
/// ```
pub struct Bearer<T, P> {
    jwt: Arc<JwtService>,
    map: Arc<Mapper<T, P>>,
    revocation: Option<Arc<dyn RevocationStore>>,
    _claims: PhantomData<fn() -> T>,
}

impl<T, P> Bearer<T, P> {
    /// A bearer strategy verifying with `jwt` and mapping claims with `map`.
    ///
    /// ```
    /// use portcullis::authn::FailureReason;
    /// use portcullis::authn::jwt::{Claims, JwtService};
    /// use portcullis::authn::strategy::{Authenticator, Bearer};
    /// use std::sync::Arc;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let jwt = Arc::new(JwtService::builder().hmac_secret("k1", &[7u8; 32]).build()?);
    /// let bearer = Bearer::new(jwt, |c: Claims<()>| {
    ///     if c.sub == "root" { Err(FailureReason::UnknownPrincipal) } else { Ok(c.sub) }
    /// });
    /// let _: &dyn Authenticator<String> = &bearer;
    /// # Ok(()) }
    /// ```
    pub fn new(
        jwt: Arc<JwtService>,
        map: impl Fn(Claims<T>) -> Result<P, FailureReason> + Send + Sync + 'static,
    ) -> Self
    where
        P: Send + 'static,
    {
        Self::new_async(jwt, move |claims| std::future::ready(map(claims)))
    }

    /// Like [`new`](Self::new) with an async mapper, e.g. one that loads the user and refuses
    /// disabled accounts.
    ///
    /// ```
    /// # use portcullis::authn::jwt::{Claims, JwtService};
    /// # use portcullis::authn::strategy::Bearer;
    /// # use portcullis::authn::FailureReason;
    /// # use std::sync::Arc;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let pem = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/authn/ed25519_a.pem"));
    /// # let jwt = Arc::new(JwtService::builder().private_key_pem(pem.as_bytes()).build()?);
    /// let bearer = Bearer::new_async(jwt, |c: Claims<()>| async move {
    ///     // look the user up here
    ///     if c.sub.is_empty() { Err(FailureReason::UnknownPrincipal) } else { Ok(c.sub) }
    /// });
    /// # let _ = bearer; Ok(()) }
    /// ```
    pub fn new_async<F, Fut>(jwt: Arc<JwtService>, map: F) -> Self
    where
        F: Fn(Claims<T>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<P, FailureReason>> + Send + 'static,
    {
        Self {
            jwt,
            map: Arc::new(move |claims| Box::pin(map(claims))),
            revocation: None,
            _claims: PhantomData,
        }
    }

    /// Also refuses tokens whose `jti` is in `store` (tokens without a `jti` are then refused).
    ///
    /// ```
    /// use portcullis::authn::FailureReason;
    /// use portcullis::authn::jwt::{Claims, JwtService, TokenType};
    /// use portcullis::authn::revocation::{MemoryRevocationStore, RevocationStore};
    /// use portcullis::authn::strategy::{Authenticator, Bearer};
    /// use std::sync::Arc;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let jwt = Arc::new(JwtService::builder().hmac_secret("k1", &[7u8; 32]).build()?);
    /// let denied = Arc::new(MemoryRevocationStore::new());
    /// let bearer = Bearer::new(jwt.clone(), |c: Claims<()>| Ok(c.sub)).with_revocation(denied.clone());
    /// let claims = jwt.claims("u1", ())?;
    /// let token = jwt.sign_claims(TokenType::Access, &claims)?;
    /// let rt = tokio::runtime::Runtime::new()?;
    /// rt.block_on(denied.revoke(claims.jti.as_deref().unwrap(), claims.exp))?;
    /// let req = http::Request::get("/").header("authorization", format!("Bearer {token}")).body(())?;
    /// let (mut parts, ()) = req.into_parts();
    /// assert_eq!(rt.block_on(bearer.authenticate(&mut parts)).unwrap_err().reason, FailureReason::Revoked);
    /// # Ok(()) }
    /// ```
    pub fn with_revocation(mut self, store: Arc<dyn RevocationStore>) -> Self {
        self.revocation = Some(store);
        self
    }
}

fn reject(reason: FailureReason) -> AuthRejection {
    AuthRejection::new(reason, Challenge::Bearer).logged()
}

impl<T, P> Authenticator<P> for Bearer<T, P>
where
    T: DeserializeOwned + Send + 'static,
    P: Send + 'static,
{
    fn authenticate<'a>(&'a self, parts: &'a mut Parts) -> BoxFuture<'a, Result<P, AuthRejection>> {
        Box::pin(async move {
            if let Some(v) = parts.headers.get(http::header::AUTHORIZATION)
                && v.len() > MAX_TOKEN_LEN + "Bearer ".len()
            {
                return Err(reject(FailureReason::TooLarge));
            }
            let token = match authorization(parts, "Bearer") {
                Ok(Some(t)) => t,
                Ok(None) => return Err(AuthRejection::missing()),
                Err(()) => return Err(reject(FailureReason::Malformed)),
            };
            // `verify` logs its own rejections.
            let claims = self.jwt.verify::<T>(token).map_err(|e| {
                AuthRejection::new(
                    e.reason().unwrap_or(FailureReason::Internal),
                    Challenge::Bearer,
                )
            })?;
            if let Some(store) = &self.revocation {
                let Some(jti) = claims.jti.as_deref() else {
                    return Err(reject(FailureReason::MissingClaim));
                };
                match store.is_revoked(jti).await {
                    Ok(false) => {}
                    Ok(true) => return Err(reject(FailureReason::Revoked)),
                    // Fail closed: a token whose revocation cannot be checked is refused.
                    Err(e) => return Err(super::store_failed("revocation", &e, Challenge::Bearer)),
                }
            }
            (self.map)(claims).await.map_err(reject)
        })
    }
}
