//! HTTP hardening: the [`Hardening`] layer (security headers, `no-store` on authenticated
//! responses, every error body as problem+json) and the [`OriginPolicy`] that refuses
//! cross-site unsafe requests on cookie sessions and on routes taking [`SameOrigin`].
//!
//! ```no_run
//! use portcullis::http::Hardening;
//! # fn app(router: portcullis::Router) -> Result<portcullis::App, portcullis::guard::BuildError> {
//! let app = router.layer(Hardening::new()).build()?;
//! # Ok(app) }
//! ```

#[cfg(any(feature = "session", feature = "oauth2"))]
pub(crate) mod cookies;
mod errors;
mod hardening;
mod origin;

pub use hardening::{Hardening, HardeningService};
pub use origin::{CrossSite, OriginError, OriginPolicy, SameOrigin};
