//! The checked model of a `#[guarded(..)]` handler.

use syn::LitStr;

pub struct Guard {
    pub public: bool,
    pub roles: Vec<LitStr>,
    pub can: Option<(syn::Path, syn::Path)>,
    pub throttle: Option<LitStr>,
    pub conceal: bool,
    pub bind: Option<LitStr>,
    pub krate: Option<syn::Path>,
    /// The handler.
    pub func: syn::ItemFn,
}
