//! What `#[guarded]` emits beside its errors: the handler type generated from the model's
//! stand-ins when the handler can be wrapped, so the router accepts it and the mistake is
//! the only error (not also "add `#[guarded(auth)]`" on a handler that has it); otherwise the
//! function unchanged, so the rest of the crate still type-checks.

use super::ast::Guard;
use proc_macro2::TokenStream;
use quote::quote;

pub fn fallback(model: Guard, wrappable: bool, errors: syn::Error) -> TokenStream {
    let mut out = errors.to_compile_error();
    if wrappable {
        out.extend(super::expand::expand(model));
    } else {
        let func = &model.func;
        out.extend(quote!(#[allow(dead_code)] #func));
    }
    out
}
