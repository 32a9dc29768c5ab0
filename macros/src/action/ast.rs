//! The validated model of a `#[derive(Action)]` input.

pub struct Action {
    pub ident: syn::Ident,
    /// The action's name in explanations: the struct name in snake_case.
    pub name: String,
    pub krate: Option<syn::Path>,
    /// Whether an impl for `ident` can be written at all (no generics), for the fallback.
    pub implementable: bool,
}
