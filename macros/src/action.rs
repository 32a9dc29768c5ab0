//! `#[derive(Action)]` on a unit struct: a custom action policies can allow and deny.

use proc_macro2::TokenStream;
use quote::quote;

pub fn expand_inner(input: TokenStream) -> TokenStream {
    let item = match syn::parse2::<syn::DeriveInput>(input) {
        Ok(d) => d,
        Err(e) => return e.to_compile_error(),
    };
    let ident = &item.ident;
    let is_unit =
        matches!(&item.data, syn::Data::Struct(s) if matches!(s.fields, syn::Fields::Unit));
    if !is_unit || !item.generics.params.is_empty() {
        return syn::Error::new_spanned(
            ident,
            format!("`#[derive(Action)]` needs a unit struct without generics: `struct {ident};`"),
        )
        .to_compile_error();
    }
    let name = crate::case::snake(&ident.to_string());
    quote! {
        #[automatically_derived]
        impl ::portcullis::__private::Action for #ident {
            const NAME: &'static str = #name;
        }
    }
}
