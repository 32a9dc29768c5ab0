//! The darling receiver of `#[derive(Action)]`: the struct and its `#[portcullis(crate = "..")]`.

use darling::FromDeriveInput;
use darling::util::Ignored;

#[derive(FromDeriveInput)]
#[darling(forward_attrs(portcullis))]
pub struct ActionInput {
    pub ident: syn::Ident,
    pub generics: syn::Generics,
    pub data: darling::ast::Data<Ignored, Ignored>,
    pub attrs: Vec<syn::Attribute>,
}
