//! `#[guarded(..)]` on an async axum handler: parse the options (`attr`), check them against the
//! handler's arguments, then generate the handler type (`expand`).

mod attr;
mod expand;

use proc_macro2::TokenStream;

pub fn expand_inner(args: TokenStream, item: TokenStream) -> TokenStream {
    let func: syn::ItemFn = match syn::parse2(item.clone()) {
        Ok(f) => f,
        Err(_) => {
            return syn::Error::new_spanned(item, "`#[guarded]` goes on an async handler function")
                .to_compile_error();
        }
    };
    let options = attr::GuardOptions::parse(args, &func);
    match options {
        Ok(options) => expand::expand(&options, func),
        Err(errors) => {
            // Keep the function so the rest of the crate still type-checks.
            let mut out = errors.to_compile_error();
            out.extend(quote::quote!(#[allow(dead_code)] #func));
            out
        }
    }
}
