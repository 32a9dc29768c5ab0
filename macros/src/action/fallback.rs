//! What `#[derive(Action)]` emits beside its errors: the `Action` impl where one can be
//! written, so policies and guards naming the action add no errors of their own.

use super::ast::Action;
use proc_macro2::TokenStream;

pub fn fallback(a: &Action, errors: darling::Error) -> TokenStream {
    let mut out = errors.write_errors();
    if a.implementable {
        out.extend(super::expand::expand(a));
    }
    out
}
