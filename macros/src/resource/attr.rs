//! Attribute receivers of `#[derive(Resource)]`: `#[resource(..)]` on the struct and fields,
//! `#[expose(..)]` on fields, and the parts of `#[diesel(..)]` portcullis reads.

use darling::{FromDeriveInput, FromField, FromMeta};
use syn::punctuated::Punctuated;
use syn::{Attribute, Meta, Token};

#[derive(FromDeriveInput)]
#[darling(
    attributes(resource),
    forward_attrs(diesel, expose, portcullis),
    supports(struct_named)
)]
pub struct ResourceInput {
    pub ident: syn::Ident,
    pub vis: syn::Visibility,
    pub generics: syn::Generics,
    pub data: darling::ast::Data<(), FieldInput>,
    pub attrs: Vec<Attribute>,
    /// `rename_all = "camelCase"`: JSON names of every field.
    #[darling(default)]
    pub rename_all: Option<syn::LitStr>,
    /// `conceal`: out-of-scope rows answer 404, not 403.
    #[darling(default)]
    pub conceal: bool,
}

#[derive(FromField)]
#[darling(attributes(resource), forward_attrs(diesel, expose))]
pub struct FieldInput {
    pub ident: Option<syn::Ident>,
    pub ty: syn::Type,
    pub attrs: Vec<Attribute>,
    /// `primary_key`: this field is the key (default: the field named `id`).
    #[darling(default)]
    pub primary_key: bool,
    /// `default`: a create input without this field uses `Default::default()`.
    #[darling(default)]
    pub default: bool,
}

/// `#[expose]` / `#[expose(rename = "..", skip_if_none)]`.
#[derive(FromMeta, Default)]
pub struct ExposeInput {
    #[darling(default)]
    pub rename: Option<syn::LitStr>,
    #[darling(default)]
    pub skip_if_none: bool,
}

impl ExposeInput {
    pub fn from_attr(attr: &Attribute) -> darling::Result<Self> {
        match &attr.meta {
            Meta::Path(_) => Ok(Self::default()),
            meta => Self::from_meta(meta),
        }
    }
}

/// The `key = value` and `key(..)` items of `#[diesel(..)]` attributes; everything else of
/// diesel's is left to diesel.
pub fn diesel_items(attrs: &[Attribute]) -> syn::Result<Vec<Meta>> {
    let mut out = Vec::new();
    for attr in attrs.iter().filter(|a| a.path().is_ident("diesel")) {
        let items = attr.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated)?;
        out.extend(items);
    }
    Ok(out)
}
