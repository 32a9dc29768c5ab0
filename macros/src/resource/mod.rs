//! `#[derive(Resource)]`: parse (`attr`, darling receivers) → check (`valid`, every error) →
//! model (`ast`) → generate (`expand`); on errors, `fallback` emits them beside the impls.

mod ast;
mod attr;
mod expand;
mod fallback;
mod valid;

use darling::FromDeriveInput;
use proc_macro2::TokenStream;

pub fn expand_inner(input: TokenStream) -> TokenStream {
    let parsed = match syn::parse2::<syn::DeriveInput>(input) {
        Ok(d) => d,
        Err(e) => return e.to_compile_error(),
    };
    let raw = match attr::ResourceInput::from_derive_input(&parsed) {
        Ok(raw) => raw,
        Err(e) => return e.write_errors(),
    };
    let checked = valid::validate(raw);
    match checked.errors {
        None => expand::expand(&checked.model),
        Some(errors) => fallback::fallback(&checked.model, checked.usable, errors),
    }
}
