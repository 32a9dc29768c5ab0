//! The model layer: what an application declares and what leaves it, with no database and no
//! request in sight. [`resource`] holds `#[derive(Resource)]`'s traits, field handles, field
//! sets and the value conversions conditions use; [`action`] the actions a policy grants;
//! [`cond`] the condition trees rules compile to and their simplifier; [`shaped`] the only way
//! a resource becomes JSON; [`escape`] the process-wide count of escape hatches taken; and
//! [`BoxFuture`], the one boxed future every layer's traits return. The rule for what belongs
//! here: code that needs neither a connection nor an HTTP request. It imports nothing from the
//! crate outside this folder; every other layer may import it.

pub mod action;
pub mod cond;
pub mod escape;
pub mod resource;
pub mod shaped;

use std::future::Future;
use std::pin::Pin;

/// A boxed, `Send` future: what the object-safe traits of every layer return (the generated
/// per-backend queries, guards, authenticators, session/refresh/revocation stores).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
