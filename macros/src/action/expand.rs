//! Code generation for `#[derive(Action)]`.

use super::ast::Action;
use crate::door::Door;
use proc_macro2::TokenStream;
use quote::quote;

pub fn expand(a: &Action) -> TokenStream {
    let p = Door::new(a.krate.as_ref());
    let version = p.version_check();
    let ident = &a.ident;
    let name = &a.name;
    quote! {
        const _: () = {
            #version
            #[automatically_derived]
            impl #p::Action for #ident {
                const NAME: &'static str = #name;
            }
        };
    }
}
