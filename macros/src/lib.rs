//! Procedural macros of portcullis. Use them through the `portcullis` crate, which re-exports
//! each macro next to the trait it implements.
//!
//! Each macro is split the same way: `attr` (darling receivers of its attributes) → `valid`
//! (every check, all errors accumulated) → `ast` (the checked model) → `expand` (`quote!`
//! only); on errors, `fallback` emits them beside stand-in items so one mistake is one error.
//! Generated code names the runtime only through `door` (`::portcullis::__private`).

use proc_macro::TokenStream;

mod action;
mod case;
mod door;
mod guarded;
mod policy;
mod resource;

/// See `portcullis::Resource`.
#[proc_macro_derive(Resource, attributes(expose, resource, portcullis))]
pub fn derive_resource(input: TokenStream) -> TokenStream {
    resource::derive(input.into()).into()
}

/// See `portcullis::Action`.
#[proc_macro_derive(Action, attributes(portcullis))]
pub fn derive_action(input: TokenStream) -> TokenStream {
    action::derive(input.into()).into()
}

/// See `portcullis::Policy`.
#[proc_macro_attribute]
pub fn policy(attr: TokenStream, item: TokenStream) -> TokenStream {
    policy::attribute(attr.into(), item.into()).into()
}

/// See `portcullis::guard`: marks an async axum handler with who may call it.
#[proc_macro_attribute]
pub fn guarded(attr: TokenStream, item: TokenStream) -> TokenStream {
    guarded::attribute(attr.into(), item.into()).into()
}

#[cfg(test)]
mod tests {
    //! Each macro's fallback: the errors, once each, beside the stand-in items.

    use proc_macro2::TokenStream;
    use quote::quote;

    fn text(out: &TokenStream) -> String {
        out.to_string()
    }

    fn errors(out: &TokenStream) -> usize {
        text(out).matches("compile_error").count()
    }

    #[test]
    fn guarded_with_a_misspelled_option_still_generates_the_handler_type() {
        let out = super::guarded::attribute(
            quote!(atuh),
            quote!(
                async fn me() -> String {
                    String::new()
                }
            ),
        );
        assert_eq!(errors(&out), 1, "{out}");
        assert!(text(&out).contains("unknown guard option `atuh`"));
        assert!(text(&out).contains("Guarded"), "{out}");
        assert!(text(&out).contains("struct me"), "{out}");
    }

    #[test]
    fn guarded_on_a_plain_fn_keeps_the_fn_only() {
        let out = super::guarded::attribute(
            quote!(auth),
            quote!(
                fn me() {}
            ),
        );
        assert_eq!(errors(&out), 1, "{out}");
        assert!(!text(&out).contains("Guarded"), "{out}");
        assert!(text(&out).contains("fn me"), "{out}");
    }

    #[test]
    fn guarded_follows_the_crate_override() {
        let out = super::guarded::attribute(
            quote!(public, crate = "fw::pc"),
            quote!(
                async fn me() {}
            ),
        );
        assert_eq!(errors(&out), 0, "{out}");
        assert!(
            text(&out).contains("fw :: pc :: __private :: Guarded"),
            "{out}"
        );
        assert!(!text(&out).contains(":: portcullis ::"), "{out}");
    }

    #[test]
    fn policy_with_a_bad_rule_keeps_the_policy_impl_and_the_valid_rules_actions() {
        let out = super::policy::attribute(
            quote!(Doc, subject = User),
            quote!(
                fn docs(user: &User) {
                    allow!(read);
                    allow!(frobnicate);
                }
            ),
        );
        assert_eq!(errors(&out), 1, "{out}");
        assert!(text(&out).contains("unknown action `frobnicate`"), "{out}");
        assert!(
            text(&out).contains("Governs < :: portcullis :: __private :: Read > for Doc"),
            "{out}"
        );
        assert!(text(&out).contains("Policy for Doc"), "{out}");
    }

    #[test]
    fn policy_expansion_names_only_the_door() {
        let out = super::policy::attribute(
            quote!(Doc, subject = User),
            quote!(
                fn docs(user: &User) {
                    allow!(read, update where owner == user.id);
                }
            ),
        );
        assert_eq!(errors(&out), 0, "{out}");
        let t = text(&out);
        assert!(!t.contains("__portcullis_rule !"), "placeholder left: {t}");
        assert_eq!(
            t.matches(":: portcullis ::").count(),
            t.matches(":: portcullis :: __private ::").count(),
            "{t}"
        );
        assert!(t.contains("VERSION_0_1"), "{t}");
    }

    #[test]
    fn resource_with_a_duplicate_expose_still_implements_resource() {
        let out = super::resource::derive(quote! {
            #[diesel(table_name = docs)]
            struct Doc {
                #[expose]
                #[expose]
                id: i64,
            }
        });
        assert_eq!(errors(&out), 1, "{out}");
        assert!(text(&out).contains("Resource for Doc"), "{out}");
    }

    #[test]
    fn resource_with_a_bad_table_path_emits_the_error_alone() {
        let out = super::resource::derive(quote! {
            #[diesel(table_name = "docs")]
            struct Doc {
                id: i64,
            }
        });
        assert_eq!(errors(&out), 1, "{out}");
        assert!(!text(&out).contains("Resource for Doc"), "{out}");
    }

    #[test]
    fn action_on_a_struct_with_fields_still_implements_action() {
        let out = super::action::derive(quote!(
            struct Publish {
                x: u8,
            }
        ));
        assert_eq!(errors(&out), 1, "{out}");
        assert!(text(&out).contains("Action for Publish"), "{out}");
        let out = super::action::derive(quote!(
            #[portcullis(crate = "fw::pc")]
            struct Publish;
        ));
        assert_eq!(errors(&out), 0, "{out}");
        assert!(
            text(&out).contains("fw :: pc :: __private :: Action for Publish"),
            "{out}"
        );
    }
}
