//! `#[derive(Action)]` on a unit struct: a custom action policies can allow and deny.
//! `attr` (darling receiver) → `valid` (every error) → `ast` → `expand`; on errors, `fallback`.

mod ast;
mod attr;
mod expand;
mod fallback;
mod valid;

use darling::FromDeriveInput;
use proc_macro2::TokenStream;

pub fn expand_inner(input: TokenStream) -> TokenStream {
    let input = match syn::parse2::<syn::DeriveInput>(input) {
        Ok(d) => d,
        Err(e) => return e.to_compile_error(),
    };
    let raw = match attr::ActionInput::from_derive_input(&input) {
        Ok(raw) => raw,
        Err(e) => return e.write_errors(),
    };
    let (model, errors) = valid::validate(raw);
    match errors {
        None => expand::expand(&model),
        Some(errors) => fallback::fallback(&model, errors),
    }
}
