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
    let out = super::guarded::expand_inner(
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
    let out = super::guarded::expand_inner(
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
    let out = super::guarded::expand_inner(
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
    let out = super::policy::expand_inner(
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
    let out = super::policy::expand_inner(
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
    let out = super::resource::expand_inner(quote! {
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
    let out = super::resource::expand_inner(quote! {
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
    let out = super::action::expand_inner(quote!(
        struct Publish {
            x: u8,
        }
    ));
    assert_eq!(errors(&out), 1, "{out}");
    assert!(text(&out).contains("Action for Publish"), "{out}");
    let out = super::action::expand_inner(quote!(
        #[portcullis(crate = "fw::pc")]
        struct Publish;
    ));
    assert_eq!(errors(&out), 0, "{out}");
    assert!(
        text(&out).contains("fw :: pc :: __private :: Action for Publish"),
        "{out}"
    );
}
