//! The receiver of `#[guarded(..)]`: its options read one by one (darling's `NestedMeta`),
//! each checked on its own; how they combine with each other and the handler is `valid`'s.

use darling::ast::NestedMeta;
use proc_macro2::{Span, TokenStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{LitStr, Meta, Token};

/// The options as written; a bad option is left out (and its error kept).
#[derive(Default)]
pub struct GuardArgs {
    pub public: Option<Span>,
    pub auth: Option<Span>,
    pub conceal: bool,
    pub roles: Vec<LitStr>,
    pub can: Option<(syn::Path, syn::Path)>,
    pub throttle: Option<LitStr>,
    pub bind: Option<LitStr>,
    /// `crate = "path"`: where portcullis is reachable, for crates that re-export it.
    pub krate: Option<syn::Path>,
}

const VALID: &str = "`public`, `auth`, `roles(a, b)`, `can(Action, Entity)`, `throttle = \"N/unit [burst M] [per ip|user|route]\"`, `conceal`, `bind = \"path_param\"`";

/// Adds an error to the ones collected so far.
pub fn push(errors: &mut Option<syn::Error>, e: syn::Error) {
    match errors {
        Some(all) => all.combine(e),
        None => *errors = Some(e),
    }
}

/// The throttle grammar the runtime parses at start-up (one parser for both, in
/// `portcullis-throttle-spec`), checked here so a typo fails the build.
pub fn throttle_error(spec: &str) -> Option<String> {
    use portcullis_throttle_spec::Error as E;
    let err = portcullis_throttle_spec::parse_spec(spec).err()?;
    Some(match err {
        E::Empty => "it is empty".into(),
        E::NoSlash(rate) => format!("`{rate}` is not `N/unit`"),
        E::Count(n) => format!("`{n}` is not a whole number above 0"),
        E::Unit(unit) => format!("unknown unit `{unit}` (use s, min, h or d)"),
        E::Burst(m) => format!("burst `{m}` is not a whole number above 0"),
        E::BurstMissing => "unexpected `burst`".into(),
        E::PerMissing => "`per` needs a key: `per ip`, `per user` or `per route`".into(),
        E::PerUnknown(key) => {
            format!("unknown key `per {key}` (use `per ip`, `per user` or `per route`)")
        }
        E::PerExtra(extra) => format!("unexpected `{extra}` after the `per` key"),
        E::Unexpected(other) => format!("unexpected `{other}`"),
    })
}

fn string_value(meta: &Meta) -> Option<&LitStr> {
    match meta {
        Meta::NameValue(syn::MetaNameValue {
            value:
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }),
            ..
        }) => Some(s),
        _ => None,
    }
}

/// The value of a `name = value` option, for error spans.
fn value_of(meta: &Meta) -> &dyn quote::ToTokens {
    match meta {
        Meta::NameValue(nv) => &nv.value,
        other => other,
    }
}

impl GuardArgs {
    /// Reads the options; returns what was valid and the errors of what was not.
    pub fn parse(args: TokenStream) -> (Self, Option<syn::Error>) {
        let mut out = Self::default();
        let mut errors = None;
        match NestedMeta::parse_meta_list(args) {
            Ok(items) => {
                for item in items {
                    match item {
                        NestedMeta::Meta(meta) => out.option(meta, &mut errors),
                        NestedMeta::Lit(lit) => push(
                            &mut errors,
                            syn::Error::new(
                                lit.span(),
                                format!("expected a guard option; valid options are {VALID}"),
                            ),
                        ),
                    }
                }
            }
            Err(e) => push(&mut errors, e),
        }
        (out, errors)
    }

    fn option(&mut self, meta: Meta, errors: &mut Option<syn::Error>) {
        let name = meta
            .path()
            .get_ident()
            .map(|i| i.to_string())
            .unwrap_or_default();
        match (name.as_str(), &meta) {
            ("public", Meta::Path(p)) => self.public = Some(p.span()),
            ("auth", Meta::Path(p)) => self.auth = Some(p.span()),
            ("conceal", Meta::Path(_)) => self.conceal = true,
            ("public" | "auth" | "conceal", _) => push(
                errors,
                syn::Error::new_spanned(
                    &meta,
                    format!("`{name}` is a flag and takes no value; write just `{name}`"),
                ),
            ),
            ("roles", Meta::List(list)) => {
                match list.parse_args_with(Punctuated::<syn::Ident, Token![,]>::parse_terminated) {
                    Ok(ids) if !ids.is_empty() => self
                        .roles
                        .extend(ids.iter().map(|i| LitStr::new(&i.to_string(), i.span()))),
                    Ok(_) => push(
                        errors,
                        syn::Error::new_spanned(
                            list,
                            "`roles(..)` needs at least one role, e.g. `roles(admin)`",
                        ),
                    ),
                    Err(e) => push(errors, e),
                }
            }
            ("can", Meta::List(list)) => {
                match list.parse_args_with(Punctuated::<syn::Path, Token![,]>::parse_terminated) {
                    Ok(p) if p.len() == 2 => self.can = Some((p[0].clone(), p[1].clone())),
                    _ => push(
                        errors,
                        syn::Error::new_spanned(
                            list,
                            "expected `can(Action, Entity)`, e.g. `can(Delete, Document)`",
                        ),
                    ),
                }
            }
            ("bind", Meta::NameValue(_)) => match string_value(&meta) {
                Some(s)
                    if !s.value().is_empty()
                        && s.value()
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_') =>
                {
                    self.bind = Some(s.clone())
                }
                _ => push(
                    errors,
                    syn::Error::new_spanned(
                        value_of(&meta),
                        "`bind` names the path parameter `Bind` loads, e.g. `bind = \"doc_id\"` for `/docs/{doc_id}`",
                    ),
                ),
            },
            ("throttle", Meta::NameValue(_)) => match string_value(&meta) {
                Some(s) => match throttle_error(&s.value()) {
                    Some(why) => push(
                        errors,
                        syn::Error::new(
                            s.span(),
                            format!(
                                "invalid throttle {:?}: {why}; write e.g. \"60/min\", \"5/min per ip\" or \"100/s burst 20 per user\"",
                                s.value()
                            ),
                        ),
                    ),
                    None => self.throttle = Some(s.clone()),
                },
                None => push(
                    errors,
                    syn::Error::new_spanned(
                        value_of(&meta),
                        "`throttle` takes a string, e.g. `throttle = \"60/min\"`",
                    ),
                ),
            },
            ("crate", Meta::NameValue(_)) => match string_value(&meta) {
                Some(s) => match crate::door::crate_path(s) {
                    Ok(path) => self.krate = Some(path),
                    Err(e) => push(errors, e),
                },
                None => push(
                    errors,
                    syn::Error::new_spanned(
                        value_of(&meta),
                        "`crate` takes a string, e.g. `crate = \"my_framework::portcullis\"`",
                    ),
                ),
            },
            _ => push(
                errors,
                syn::Error::new_spanned(
                    meta.path(),
                    format!(
                        "unknown guard option `{}`; valid options are {VALID}",
                        quote::ToTokens::to_token_stream(meta.path())
                            .to_string()
                            .replace(' ', "")
                    ),
                ),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::throttle_error;

    #[test]
    fn throttle_messages_name_the_bad_word() {
        assert_eq!(throttle_error("60/min"), None);
        assert_eq!(throttle_error("100/s burst 20 per user"), None);
        assert_eq!(
            throttle_error("abc").as_deref(),
            Some("`abc` is not `N/unit`")
        );
        assert_eq!(throttle_error("").as_deref(), Some("it is empty"));
        assert_eq!(
            throttle_error("0/min").as_deref(),
            Some("`0` is not a whole number above 0")
        );
        assert_eq!(
            throttle_error("5/week").as_deref(),
            Some("unknown unit `week` (use s, min, h or d)")
        );
        assert_eq!(
            throttle_error("5/s burst x").as_deref(),
            Some("burst `x` is not a whole number above 0")
        );
        assert_eq!(
            throttle_error("5/s burst").as_deref(),
            Some("unexpected `burst`")
        );
        assert_eq!(
            throttle_error("5/s per moon").as_deref(),
            Some("unknown key `per moon` (use `per ip`, `per user` or `per route`)")
        );
        assert_eq!(
            throttle_error("5/s soon").as_deref(),
            Some("unexpected `soon`")
        );
    }
}
