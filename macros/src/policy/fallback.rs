//! What `#[policy]` emits beside its errors, so one mistake is one error: the function, still
//! returning an `Ability` (one that allows nothing) when its signature allows it, the
//! `Governs` impls of the actions its valid rules name, and the `Policy` impl. Handlers,
//! scopes and callers that use the policy then type-check as if it were right.

use super::ast::Policy;
use super::expand;
use crate::door::Door;
use proc_macro2::TokenStream;
use quote::quote;
use syn::spanned::Spanned;

/// `allow!` / `deny!` defined away, for a body kept as written.
fn rules_defined_away() -> TokenStream {
    quote! {
        #[allow(unused_macros)]
        macro_rules! allow { ($($t:tt)*) => { () }; }
        #[allow(unused_macros)]
        macro_rules! deny { ($($t:tt)*) => { () }; }
    }
}

/// The item as written, with `allow!`/`deny!` defined away.
pub fn function_without_rules(item: &TokenStream) -> TokenStream {
    let away = rules_defined_away();
    quote! {
        #away
        #[allow(unused)]
        #item
    }
}

pub fn fallback(
    model: &Policy,
    signature_ok: bool,
    original: syn::ItemFn,
    errors: syn::Error,
) -> TokenStream {
    let mut out = errors.to_compile_error();
    if !signature_ok {
        out.extend(function_without_rules(&quote!(#original)));
        return out;
    }
    let p = Door::new(model.krate.as_ref());
    let entity = &model.entity;
    // The body runs nowhere; it stays so the names it uses are still used and checked.
    let mut func = original;
    let body = &func.block;
    let away = rules_defined_away();
    let span = entity.span();
    *func.block = syn::parse_quote_spanned!(span=> {
        #away
        #[allow(unused, clippy::redundant_closure)]
        let __portcullis_body = || #body;
        #p::Ability::__new(())
    });
    func.sig.output = expand::output_type(&p, entity);
    out.extend(quote!(#[allow(unused)] #func));
    out.extend(expand::impls(&p, model));
    out
}
