//! Procedural macros of portcullis. Use them through the `portcullis` crate, which re-exports
//! each macro next to the trait it implements.
//!
//! Each macro is split the same way: `attr` (darling receivers of its attributes) → `valid`
//! (every check, all errors accumulated) → `ast` (the checked model) → `expand` (`quote!`
//! only); on errors, `fallback` emits them beside stand-in items so one mistake is one error.
//! Generated code names the runtime only through `door` (`::portcullis::__private`).

use proc_macro::TokenStream;

mod action;
mod case;
mod door;
mod guarded;
mod policy;
mod resource;

/// See `portcullis::Resource`.
#[proc_macro_derive(Resource, attributes(expose, resource, portcullis))]
pub fn derive_resource(input: TokenStream) -> TokenStream {
    resource::expand_inner(input.into()).into()
}

/// See `portcullis::Action`.
#[proc_macro_derive(Action, attributes(portcullis))]
pub fn derive_action(input: TokenStream) -> TokenStream {
    action::expand_inner(input.into()).into()
}

/// See `portcullis::Policy`.
#[proc_macro_attribute]
pub fn policy(attr: TokenStream, item: TokenStream) -> TokenStream {
    policy::expand_inner(attr.into(), item.into()).into()
}

/// See `portcullis::guard`: marks an async axum handler with who may call it.
#[proc_macro_attribute]
pub fn guarded(attr: TokenStream, item: TokenStream) -> TokenStream {
    guarded::expand_inner(attr.into(), item.into()).into()
}

#[cfg(test)]
mod tests;
