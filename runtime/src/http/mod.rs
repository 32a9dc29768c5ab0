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
//!
//! This is the http layer: the HTTP vocabulary every feature above it speaks — [`problem`]
//! (RFC 9457 errors, the one error type of every rejection), how the lower layers' values and
//! errors become responses (`response`), cookies, origin checks and the hardening layer. The
//! rule for what belongs here: request and response handling that knows no authenticator, no
//! throttle and no route. It may import the model, backend and policy layers; `authn` and
//! `throttle` import it, and `guard` (guards, extractors, the router, `Bind`, `Patch`) sits on
//! top of all of them.

#[cfg(any(feature = "session", feature = "oauth2"))]
pub(crate) mod cookies;
mod errors;
mod hardening;
pub(crate) mod origin;
pub mod problem;
mod response;

pub use hardening::{Hardening, HardeningService};
pub use origin::{CrossSite, OriginError, OriginPolicy, SameOrigin};
