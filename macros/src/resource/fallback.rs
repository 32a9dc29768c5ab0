//! What `#[derive(Resource)]` emits beside its errors: the generated impls, built from the
//! model's stand-ins (no rename, first field as key, ..) when those compile, so policies,
//! guards and queries naming the entity add no errors of their own. One mistake, one error.

use super::ast::Resource;
use proc_macro2::TokenStream;

pub fn fallback(model: &Resource, usable: bool, errors: darling::Error) -> TokenStream {
    let mut out = errors.write_errors();
    if usable {
        out.extend(super::expand::expand(model));
    }
    out
}
