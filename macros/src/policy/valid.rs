//! Checks of a `#[policy]` function: its signature, then every rule of its body (`collect`).
//! All errors are kept; the model holds the rules that were valid, for `fallback`.

use super::ast::Policy;
use super::attr::PolicyArgs;
use super::collect::Collector;
use syn::FnArg;

pub struct Checked {
    pub model: Policy,
    pub errors: Option<syn::Error>,
    /// Whether the signature is one `expand` can rewrite (the errors are in the body only).
    pub signature_ok: bool,
}

pub fn validate(args: PolicyArgs, mut func: syn::ItemFn) -> Checked {
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

    let signature_ok = errors.is_empty();
    let mut collector = Collector::new();
    let may_return = collector.collect(&mut func.block);
    errors.append(&mut collector.errors);
    let errors = errors.into_iter().reduce(|mut all, e| {
        all.combine(e);
        all
    });
    Checked {
        model: Policy {
            entity: args.entity,
            subject: args.subject,
            krate: args.krate,
            func,
            rules: collector.rules,
            may_return,
            actions: collector.actions,
        },
        errors,
        signature_ok,
    }
}
