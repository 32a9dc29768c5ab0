//! `#[policy(Entity, subject = Subject)]`: read the arguments (`attr`), check the function and
//! collect the rules of its body (`valid`, `collect`, each rule parsed by `cond`) into the model
//! (`ast`), then generate (`expand`); on errors, `fallback` emits them beside stand-ins.
//! `collect` builds the model only; it never calls `expand`.

mod ast;
mod attr;
mod collect;
mod cond;
mod expand;
mod fallback;
mod valid;

use proc_macro2::TokenStream;

pub fn expand_inner(args: TokenStream, item: TokenStream) -> TokenStream {
    let args: attr::PolicyArgs = match syn::parse2(args) {
        Ok(a) => a,
        // The function stays (its rules defined away), so its callers add no errors.
        Err(e) => {
            let mut out = e.to_compile_error();
            out.extend(fallback::function_without_rules(&item));
            return out;
        }
    };
    let func: syn::ItemFn = match syn::parse2(item.clone()) {
        Ok(f) => f,
        Err(_) => {
            return syn::Error::new_spanned(
                item,
                "`#[policy]` goes on a function: `fn documents(user: &User) { allow!(..); }`",
            )
            .to_compile_error();
        }
    };
    let original = func.clone();
    let checked = valid::validate(args, func);
    match checked.errors {
        None => expand::policy(checked.model),
        Some(errors) => fallback::fallback(&checked.model, checked.signature_ok, original, errors),
    }
}
