//! Checks of `#[guarded(..)]`: the options against each other and against the handler's
//! signature. Every error is kept; the model is built regardless, a bad option left out and an
//! unclear access level read as `auth`, for `fallback`.

use super::ast::Guard;
use super::attr::{GuardArgs, push};
use syn::FnArg;

/// Extractors that need an authenticated principal.
const NEEDS_PRINCIPAL: [&str; 5] = ["Principal", "Scoped", "Bind", "Patch", "Create"];

/// The model, the errors, and whether the handler can be wrapped at all (an `async fn`, not a
/// method): only then does `fallback` generate the handler type.
pub struct Checked {
    pub model: Guard,
    pub errors: Option<syn::Error>,
    pub wrappable: bool,
}

pub fn validate(args: GuardArgs, option_errors: Option<syn::Error>, func: syn::ItemFn) -> Checked {
    let mut errors = option_errors;
    let implies_auth = !args.roles.is_empty() || args.can.is_some();
    match (args.public, args.auth) {
        (Some(_), Some(a)) => push(
            &mut errors,
            syn::Error::new(a, "a handler is either `public` or `auth`, not both"),
        ),
        (Some(p), None) if implies_auth => push(
            &mut errors,
            syn::Error::new(
                p,
                "`roles(..)` and `can(..)` need an authenticated principal; replace `public` with `auth`",
            ),
        ),
        // After an unknown option the likely cause is a misspelled `auth`/`public`: one error.
        (None, None) if !implies_auth && errors.is_none() => push(
            &mut errors,
            syn::Error::new_spanned(
                &func.sig.ident,
                "say who may call this handler: `#[guarded(auth)]` or `#[guarded(public)]`",
            ),
        ),
        _ => {}
    }
    let is_async = func.sig.asyncness.is_some();
    if !is_async {
        push(
            &mut errors,
            syn::Error::new_spanned(func.sig.fn_token, "a guarded handler must be an `async fn`"),
        );
    }
    if args.public.is_some() {
        for arg in &func.sig.inputs {
            let FnArg::Typed(t) = arg else { continue };
            let syn::Type::Path(tp) = &*t.ty else {
                continue;
            };
            if let Some(last) = tp.path.segments.last() {
                let name = last.ident.to_string();
                if NEEDS_PRINCIPAL.contains(&name.as_str()) {
                    push(
                        &mut errors,
                        syn::Error::new_spanned(
                            &t.ty,
                            format!(
                                "a `#[guarded(public)]` handler has no principal, so it cannot take `{name}`; use `#[guarded(auth)]` or remove this argument"
                            ),
                        ),
                    );
                }
            }
        }
    }
    let is_method = func.sig.receiver().is_some();
    if let Some(receiver) = func.sig.receiver() {
        push(
            &mut errors,
            syn::Error::new_spanned(
                receiver,
                "a guarded handler is a free function, not a method",
            ),
        );
    }
    // `public` only when it is all that was said; any doubt reads as `auth`.
    let public = args.public.is_some() && args.auth.is_none() && !implies_auth;
    Checked {
        model: Guard {
            public,
            roles: args.roles,
            can: args.can,
            throttle: args.throttle,
            conceal: args.conceal,
            bind: args.bind,
            krate: args.krate,
            func,
        },
        errors,
        wrappable: is_async && !is_method,
    }
}
