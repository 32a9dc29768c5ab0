//! The one door generated code goes through: `::portcullis::__private`, or
//! `<path>::__private` when a crate that re-exports portcullis says
//! `#[portcullis(crate = "path")]` (derives) or `crate = "path"` (attribute macros).
//! Every path the expansions name starts here; nothing else of the runtime is named.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};

/// The path of the runtime's `__private` module as generated code spells it.
#[derive(Clone)]
pub struct Door(TokenStream);

impl Door {
    /// `::portcullis::__private`, or `<krate>::__private` with the `crate = ".."` override.
    pub fn new(krate: Option<&syn::Path>) -> Self {
        match krate {
            Some(path) => Self(quote!(#path::__private)),
            None => Self(quote!(::portcullis::__private)),
        }
    }

    /// The path with every token at `span`, for a bound the compiler reports at the user's
    /// token (a path spanned at the macro call would widen the error to the whole attribute).
    pub fn spanned(&self, span: proc_macro2::Span) -> TokenStream {
        respan(self.0.clone(), span)
    }

    /// An item naming the version marker: macros and runtime of different versions fail here,
    /// with a message naming the marker, before anything else of the expansion is checked.
    pub fn version_check(&self) -> TokenStream {
        let p = &self.0;
        quote!(const _: () = #p::VERSION_0_1;)
    }
}

fn respan(tokens: TokenStream, span: proc_macro2::Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut tt| {
            if let proc_macro2::TokenTree::Group(g) = &tt {
                let mut group = proc_macro2::Group::new(g.delimiter(), respan(g.stream(), span));
                group.set_span(span);
                tt = proc_macro2::TokenTree::Group(group);
            } else {
                tt.set_span(span);
            }
            tt
        })
        .collect()
}

impl ToTokens for Door {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        self.0.to_tokens(tokens);
    }
}

/// Reads the path of a `crate = "path"` option.
pub fn crate_path(lit: &syn::LitStr) -> syn::Result<syn::Path> {
    lit.parse::<syn::Path>().map_err(|_| {
        syn::Error::new(
            lit.span(),
            format!(
                "`crate` takes the path under which portcullis is reachable, e.g. `crate = \"my_framework::portcullis\"`; {:?} is not a path",
                lit.value()
            ),
        )
    })
}

/// `#[portcullis(crate = "path")]` on a derive input.
#[derive(darling::FromMeta, Default)]
pub struct CrateAttr {
    #[darling(rename = "crate", default)]
    pub krate: Option<syn::Path>,
}

/// The `crate = ".."` override from the `#[portcullis(..)]` attributes of a derive input.
pub fn crate_from_attrs(attrs: &[syn::Attribute]) -> darling::Result<Option<syn::Path>> {
    let mut errors = darling::Error::accumulator();
    let mut krate = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("portcullis")) {
        if let Some(parsed) = errors.handle(<CrateAttr as darling::FromMeta>::from_meta(&attr.meta))
            && let Some(path) = parsed.krate
        {
            krate = Some(path);
        }
    }
    errors.finish_with(krate)
}
