//! `#[guarded(..)]` on an async axum handler: read the options (`attr`), check them against
//! each other and the handler (`valid`) into the model (`ast`), generate the handler type
//! (`expand`); on errors, `fallback` emits them beside stand-in items.

mod ast;
mod attr;
mod expand;
mod fallback;
mod valid;

use proc_macro2::TokenStream;

pub fn expand_inner(args: TokenStream, item: TokenStream) -> TokenStream {
    let func: syn::ItemFn = match syn::parse2(item.clone()) {
        Ok(f) => f,
        Err(_) => {
            return syn::Error::new_spanned(item, "`#[guarded]` goes on an async handler function")
                .to_compile_error();
        }
    };
    let (args, option_errors) = attr::GuardArgs::parse(args);
    let checked = valid::validate(args, option_errors, func);
    match checked.errors {
        None => expand::expand(checked.model),
        Some(errors) => fallback::fallback(checked.model, checked.wrappable, errors),
    }
}
