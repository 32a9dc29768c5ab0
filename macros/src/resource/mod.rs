//! `#[derive(Resource)]`: parse (`attr`) → validate (`ast`) → generate (`expand`).

mod ast;
mod attr;
mod expand;

use darling::FromDeriveInput;
use proc_macro2::TokenStream;

pub fn expand_inner(input: TokenStream) -> TokenStream {
    let parsed = match syn::parse2::<syn::DeriveInput>(input) {
        Ok(d) => d,
        Err(e) => return e.to_compile_error(),
    };
    let result =
        attr::ResourceInput::from_derive_input(&parsed).and_then(ast::Resource::from_input);
    match result {
        Ok(model) => expand::expand(&model),
        Err(e) => e.write_errors(),
    }
}
