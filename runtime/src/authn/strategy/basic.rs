//! HTTP Basic authentication (RFC 7617), meant for service accounts.

use super::{AuthRejection, Authenticator, Challenge, FailureReason, authorization};
use crate::authn::StoreError;
use crate::model::BoxFuture;
use base64::Engine;
use http::request::Parts;
use std::sync::Arc;

/// Longest accepted `Basic` credential (base64 text), checked before decoding.
const MAX_BASIC_LEN: usize = 1024;

/// Checks a service account's name and password. Implementations should hash with
/// [`PasswordHasher`](crate::authn::password::PasswordHasher) and call
/// [`burn_verify`](crate::authn::password::PasswordHasher::burn_verify) for unknown accounts so
/// both cases cost the same.
///
/// ```
/// use portcullis::authn::password::PasswordHasher;
/// use portcullis::authn::strategy::{Basic, BasicVerifier};
/// use portcullis::authn::{Authenticator, BoxFuture, StoreError};
/// use std::collections::HashMap;
///
/// struct ServiceAccounts { hasher: PasswordHasher, phc_by_name: HashMap<String, String> }
///
/// impl BasicVerifier<String> for ServiceAccounts {
///     fn verify<'a>(&'a self, user: &'a str, password: &'a str)
///         -> BoxFuture<'a, Result<Option<String>, StoreError>> {
///         Box::pin(async move {
///             match self.phc_by_name.get(user) {
///                 Some(phc) => Ok(self.hasher.verify(password, phc).await
///                     .unwrap_or(false).then(|| user.to_owned())),
///                 None => { self.hasher.burn_verify(password).await; Ok(None) }
///             }
///         })
///     }
/// }
///
/// let basic = Basic::new(ServiceAccounts { hasher: PasswordHasher::owasp(), phc_by_name: HashMap::new() });
/// let _: &dyn Authenticator<String> = &basic;
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot check HTTP Basic credentials for principal `{P}`",
    note = "implement `portcullis::authn::strategy::BasicVerifier<{P}>`: look the account up, verify with `PasswordHasher::verify`, and call `burn_verify` when it does not exist"
)]
pub trait BasicVerifier<P>: Send + Sync + 'static {
    /// `Ok(Some(principal))` when the credentials are valid, `Ok(None)` when they are not.
    ///
    /// ```
    /// use portcullis::authn::strategy::BasicVerifier;
    /// use portcullis::authn::{BoxFuture, StoreError};
    ///
    /// struct Ci;
    /// impl BasicVerifier<String> for Ci {
    ///     fn verify<'a>(&'a self, user: &'a str, password: &'a str)
    ///         -> BoxFuture<'a, Result<Option<String>, StoreError>> {
    ///         // Illustration only: compare argon2 hashes as the trait example shows.
    ///         Box::pin(async move { Ok((user == "ci" && password == "pw").then(|| user.to_owned())) })
    ///     }
    /// }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// assert_eq!(Ci.verify("ci", "pw").await.unwrap().as_deref(), Some("ci"));
    /// assert_eq!(Ci.verify("ci", "wrong").await.unwrap(), None);
    /// # });
    /// ```
    fn verify<'a>(
        &'a self,
        username: &'a str,
        password: &'a str,
    ) -> BoxFuture<'a, Result<Option<P>, StoreError>>;
}

/// Authenticates `Authorization: Basic base64(user:password)` with a [`BasicVerifier`].
///
/// ```
/// use base64::Engine as _;
/// use portcullis::authn::strategy::{Basic, BasicVerifier};
/// use portcullis::authn::{Authenticator, BoxFuture, StoreError};
/// # struct Ci;
/// # impl BasicVerifier<String> for Ci {
/// #     fn verify<'a>(&'a self, user: &'a str, password: &'a str) -> BoxFuture<'a, Result<Option<String>, StoreError>> {
/// #         Box::pin(async move { Ok((user == "ci" && password == "pw").then(|| user.to_owned())) })
/// #     }
/// # }
/// let basic = Basic::new(Ci); // `Ci` implements `BasicVerifier<String>`
/// let creds = base64::engine::general_purpose::STANDARD.encode("ci:pw");
/// let req = http::Request::get("/").header("authorization", format!("Basic {creds}")).body(()).unwrap();
/// let (mut parts, ()) = req.into_parts();
/// let rt = tokio::runtime::Runtime::new().unwrap();
/// assert_eq!(rt.block_on(basic.authenticate(&mut parts)).unwrap(), "ci");
/// ```
pub struct Basic<V> {
    verifier: Arc<V>,
}

impl<V> Basic<V> {
    /// A Basic strategy checking credentials with `verifier`.
    ///
    /// ```
    /// use portcullis::authn::strategy::{Basic, BasicVerifier};
    /// use portcullis::authn::{Authenticator, BoxFuture, StoreError};
    /// # struct Ci;
    /// # impl BasicVerifier<String> for Ci {
    /// #     fn verify<'a>(&'a self, _: &'a str, _: &'a str) -> BoxFuture<'a, Result<Option<String>, StoreError>> {
    /// #         Box::pin(async { Ok(None) })
    /// #     }
    /// # }
    /// let basic = Basic::new(Ci); // `Ci` implements `BasicVerifier<String>`
    /// let _: &dyn Authenticator<String> = &basic;
    /// ```
    pub fn new(verifier: V) -> Self {
        Self {
            verifier: Arc::new(verifier),
        }
    }
}

fn reject(reason: FailureReason) -> AuthRejection {
    AuthRejection::new(reason, Challenge::Basic).logged()
}

/// Splits `base64(user:password)`; `None` for anything malformed.
pub(crate) fn decode_basic(creds: &str) -> Option<(String, String)> {
    if creds.len() > MAX_BASIC_LEN {
        return None;
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(creds)
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (user, pass) = text.split_once(':')?;
    if user.is_empty() || user.chars().any(char::is_control) {
        return None;
    }
    Some((user.to_owned(), pass.to_owned()))
}

impl<P, V> Authenticator<P> for Basic<V>
where
    P: Send + 'static,
    V: BasicVerifier<P>,
{
    fn authenticate<'a>(&'a self, parts: &'a mut Parts) -> BoxFuture<'a, Result<P, AuthRejection>> {
        Box::pin(async move {
            let creds = match authorization(parts, "Basic") {
                Ok(Some(c)) => c,
                Ok(None) => {
                    return Err(AuthRejection::new(FailureReason::Missing, Challenge::Basic));
                }
                Err(()) => return Err(reject(FailureReason::Malformed)),
            };
            let Some((user, pass)) = decode_basic(creds) else {
                return Err(reject(FailureReason::Malformed));
            };
            match self.verifier.verify(&user, &pass).await {
                Ok(Some(p)) => Ok(p),
                Ok(None) => Err(reject(FailureReason::InvalidCredentials)),
                Err(e) => Err(super::store_failed("basic verifier", &e, Challenge::Basic)),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_rfc7617_example() {
        assert_eq!(
            decode_basic("QWxhZGRpbjpvcGVuIHNlc2FtZQ=="),
            Some(("Aladdin".to_owned(), "open sesame".to_owned()))
        );
        assert_eq!(decode_basic("!!!"), None);
        assert_eq!(decode_basic("bm9jb2xvbg=="), None); // "nocolon"
    }
}
