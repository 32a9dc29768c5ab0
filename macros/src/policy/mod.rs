//! `#[policy(Entity, subject = Subject)]`: parse the attribute and function, collect the rules
//! of the body (`collect`, parsing each with `cond`), then generate (`expand`).

mod collect;
mod cond;
mod expand;

use proc_macro2::TokenStream;
use syn::parse::{Parse, ParseStream};
use syn::{FnArg, Token};

struct PolicyAttr {
    entity: syn::Type,
    subject: syn::Type,
}

impl Parse for PolicyAttr {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.is_empty() {
            return Err(input.error("expected `#[policy(Entity, subject = Subject)]`"));
        }
        let entity: syn::Type = input.parse()?;
        if !input.peek(Token![,]) {
            return Err(input.error("expected `, subject = <Type>` after the entity: `#[policy(Entity, subject = User)]`"));
        }
        input.parse::<Token![,]>()?;
        let key: syn::Ident = input.parse()?;
        if key != "subject" {
            return Err(syn::Error::new(
                key.span(),
                format!("unknown policy option `{key}`; the only option is `subject = <Type>`"),
            ));
        }
        input.parse::<Token![=]>()?;
        let subject: syn::Type = input.parse()?;
        let _ = input.parse::<Option<Token![,]>>()?;
        if !input.is_empty() {
            return Err(
                input.error("unexpected tokens; expected `#[policy(Entity, subject = Subject)]`")
            );
        }
        Ok(Self { entity, subject })
    }
}

pub fn expand_inner(attr: TokenStream, item: TokenStream) -> TokenStream {
    let attr: PolicyAttr = match syn::parse2(attr) {
        Ok(a) => a,
        Err(e) => return e.to_compile_error(),
    };
    let mut func: syn::ItemFn = match syn::parse2(item.clone()) {
        Ok(f) => f,
        Err(_) => {
            return syn::Error::new_spanned(
                item,
                "`#[policy]` goes on a function: `fn documents(user: &User) { allow!(..); }`",
            )
            .to_compile_error();
        }
    };
    let mut errors = Vec::new();
    if func.sig.asyncness.is_some() {
        errors.push(syn::Error::new_spanned(func.sig.asyncness, "a policy function runs per request to collect rules and cannot be `async`; remove `async`"));
    }
    if let syn::ReturnType::Type(arrow, _) = &func.sig.output {
        errors.push(syn::Error::new_spanned(arrow, "a policy function returns nothing (the macro makes it return the `Ability`); remove the return type"));
    }
    if !func.sig.generics.params.is_empty() {
        errors.push(syn::Error::new_spanned(
            &func.sig.generics,
            "a policy function cannot be generic",
        ));
    }
    match func.sig.inputs.iter().collect::<Vec<_>>().as_slice() {
        [FnArg::Typed(arg)] if matches!(*arg.ty, syn::Type::Reference(_)) => {}
        _ => errors.push(syn::Error::new_spanned(
            &func.sig.inputs,
            "a policy function takes exactly one argument, the subject by reference: `fn documents(user: &User)`",
        )),
    }

    let mut collector = collect::Collector::new(&attr.entity);
    let may_return = collector.collect(&mut func.block);
    errors.append(&mut collector.errors);
    if let Some(mut first) = errors.pop() {
        for e in errors {
            first.combine(e);
        }
        // Keep the function callable so one mistake does not cascade into unrelated errors.
        let fallback = quote::quote!(#[allow(unused)] #item);
        let mut out = first.to_compile_error();
        out.extend(fallback_without_rules(fallback));
        return out;
    }
    expand::policy(expand::PolicyOut {
        entity: &attr.entity,
        subject: &attr.subject,
        func,
        always: collector.rules.iter().map(|r| r.always).collect(),
        may_return,
        actions: &collector.actions,
    })
}

/// The original function with `allow!`/`deny!` defined away, emitted beside errors.
fn fallback_without_rules(item: TokenStream) -> TokenStream {
    quote::quote! {
        #[allow(unused_macros)]
        macro_rules! allow { ($($t:tt)*) => {}; }
        #[allow(unused_macros)]
        macro_rules! deny { ($($t:tt)*) => {}; }
        #item
    }
}
