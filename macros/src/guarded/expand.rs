//! Code generation for `#[guarded]`: `quote!` only.

use super::ast::Guard;
use crate::door::Door;
use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{FnArg, ReturnType};

/// `can(delete, Document)` may name built-in actions in lower case.
fn action_path(p: &Door, path: &syn::Path) -> TokenStream {
    match path.get_ident().map(|i| i.to_string()).as_deref() {
        Some("read") => quote!(#p::Read),
        Some("create") => quote!(#p::CreateAction),
        Some("update") => quote!(#p::Update),
        Some("delete") => quote!(#p::Delete),
        _ => quote!(#path),
    }
}

fn contains_impl_trait(ty: &syn::Type) -> bool {
    struct Finder(bool);
    impl<'a> syn::visit::Visit<'a> for Finder {
        fn visit_type_impl_trait(&mut self, _: &'a syn::TypeImplTrait) {
            self.0 = true;
        }
    }
    let mut f = Finder(false);
    syn::visit::Visit::visit_type(&mut f, ty);
    f.0
}

pub fn expand(o: Guard) -> TokenStream {
    let p = Door::new(o.krate.as_ref());
    let version = p.version_check();
    let func = &o.func;
    let vis = &func.vis;
    let name = &func.sig.ident;
    let name_str = name.to_string();
    let docs: Vec<&syn::Attribute> = func
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .collect();

    // The original function, unchanged but for its name: `name::call(..)` in unit tests.
    let mut inner = func.clone();
    inner.sig.ident = format_ident!("call");

    let tys: Vec<&syn::Type> = func
        .sig
        .inputs
        .iter()
        .filter_map(|a| match a {
            FnArg::Typed(t) => Some(&*t.ty),
            FnArg::Receiver(_) => None,
        })
        .collect();
    let vars: Vec<syn::Ident> = (0..tys.len())
        .map(|i| format_ident!("__portcullis_arg{}", i))
        .collect();
    // `impl Trait` may not appear in a `where` clause; an opaque return type already promises
    // `IntoResponse` (or fails at the call below), so only named types get the bound.
    let ret_bound: TokenStream = match &func.sig.output {
        ReturnType::Default => quote!((): #p::axum::response::IntoResponse,),
        ReturnType::Type(_, t) if contains_impl_trait(t) => quote!(),
        ReturnType::Type(_, t) => quote!(#t: #p::axum::response::IntoResponse,),
    };

    let (bounds, extract): (Vec<TokenStream>, Vec<TokenStream>) = tys
        .iter()
        .zip(&vars)
        .enumerate()
        .map(|(i, (ty, var))| {
            if i + 1 < tys.len() {
                (
                    quote_spanned!(ty.span()=> #ty: #p::axum::extract::FromRequestParts<__S>),
                    quote! {
                        let #var = match <#ty as #p::axum::extract::FromRequestParts<__S>>::from_request_parts(&mut parts, &state).await {
                            ::core::result::Result::Ok(v) => v,
                            ::core::result::Result::Err(e) => return #p::axum::response::IntoResponse::into_response(e),
                        };
                    },
                )
            } else {
                (
                    quote_spanned!(ty.span()=> #ty: #p::axum::extract::FromRequest<__S, __M>),
                    quote! {
                        let __portcullis_req = #p::http::Request::from_parts(parts, body);
                        let #var = match <#ty as #p::axum::extract::FromRequest<__S, __M>>::from_request(__portcullis_req, &state).await {
                            ::core::result::Result::Ok(v) => v,
                            ::core::result::Result::Err(e) => return #p::axum::response::IntoResponse::into_response(e),
                        };
                    },
                )
            }
        })
        .unzip();
    // axum's marker for the last argument (`FromRequest<S, M>`); a handler without arguments
    // has none to infer, so it uses `()`.
    let (marker, marker_use) = if tys.is_empty() {
        (quote!(), quote!(()))
    } else {
        (quote!(__M), quote!(__M))
    };
    let unused_body = if tys.is_empty() {
        quote!(let _ = (parts, body, state);)
    } else {
        quote!()
    };

    let public = o.public;
    let conceal = o.conceal;
    let roles = &o.roles;
    let throttle = match &o.throttle {
        Some(s) => quote!(::core::option::Option::Some(#s)),
        None => quote!(::core::option::Option::None),
    };
    let bind = match &o.bind {
        Some(s) => quote!(::core::option::Option::Some(#s)),
        None => quote!(::core::option::Option::None),
    };
    // Every token at the entity's: an entity without a policy is then reported at its token.
    let can_bound = match &o.can {
        Some((_, entity)) => {
            let ps = p.spanned(entity.span());
            quote_spanned! {entity.span()=>
                __S: #ps::HasPrincipal,
                (
                    <__S as #ps::HasPrincipal>::Principal,
                    #entity,
                ): #ps::PrincipalIsSubject,
            }
        }
        None => quote!(),
    };
    let can = match &o.can {
        Some((action, entity)) => {
            let action_ty = action_path(&p, action);
            let action_str = quote!(#action).to_string();
            let entity_str = quote!(#entity).to_string().replace(' ', "");
            // `coarse_can` has one bound on the entity, `CanTarget` (a policy that mentions the
            // action), at the entity's token: one error for a policy without the action.
            let ps = p.spanned(entity.span());
            quote_spanned! {entity.span()=>
                ::core::option::Option::Some(#p::CanCheck {
                    action: #action_str,
                    entity: #entity_str,
                    check: #ps::coarse_can::<#entity, #action_ty>,
                })
            }
        }
        None => quote!(::core::option::Option::None),
    };

    quote! {
        #(#docs)*
        #[allow(non_camel_case_types)]
        #[derive(::core::clone::Clone, ::core::marker::Copy, ::core::fmt::Debug)]
        #vis struct #name;

        const _: () = {
        #version

        impl #name {
            #inner
        }

        #[automatically_derived]
        impl #p::GuardedSeal for #name {}

        #[automatically_derived]
        impl<__S, #marker> #p::Guarded<__S, #marker_use> for #name
        where
            __S: ::core::clone::Clone + ::core::marker::Send + ::core::marker::Sync + 'static,
            #(#bounds,)*
            #ret_bound
            #can_bound
        {
            const GUARD: &'static #p::Guard = &#p::Guard {
                handler: #name_str,
                public: #public,
                roles: &[#(#roles),*],
                can: #can,
                throttle: #throttle,
                conceal: #conceal,
                bind: #bind,
                binds_path: {
                    // Whether an argument is `Bind<..>` (through its type, aliases included).
                    fn __portcullis_binds_path() -> bool {
                        #[allow(unused_imports)]
                        use #p::{BindProbeNo as _, BindProbeYes as _};
                        false #( || (&#p::BindProbe::<#tys>::NEW).binds_path() )*
                    }
                    __portcullis_binds_path
                },
                takes_principal: {
                    // Whether an argument needs a principal (through its type, aliases and
                    // `Option`/`Result` included).
                    fn __portcullis_takes_principal() -> bool {
                        #[allow(unused_imports)]
                        use #p::{PrincipalProbeNo as _, PrincipalProbeYes as _};
                        false #( || (&#p::PrincipalProbe::<#tys>::NEW).requires_principal() )*
                    }
                    __portcullis_takes_principal
                },
            };

            #[allow(unused_mut)]
            fn __call(
                self,
                mut parts: #p::http::request::Parts,
                body: #p::axum::body::Body,
                state: __S,
            ) -> #p::GuardFuture {
                ::std::boxed::Box::pin(async move {
                    #unused_body
                    #(#extract)*
                    #p::axum::response::IntoResponse::into_response(#name::call(#(#vars),*).await)
                })
            }
        }
        };
    }
}
