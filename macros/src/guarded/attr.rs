//! The options of `#[guarded(..)]`, validated against each other and the handler's arguments.

use proc_macro2::TokenStream;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{FnArg, LitStr, Meta, Token};

pub struct GuardOptions {
    pub public: bool,
    pub roles: Vec<LitStr>,
    pub can: Option<(syn::Path, syn::Path)>,
    pub throttle: Option<LitStr>,
    pub conceal: bool,
    pub bind: Option<LitStr>,
}

const VALID: &str = "`public`, `auth`, `roles(a, b)`, `can(Action, Entity)`, `throttle = \"N/unit [burst M] [per ip|user|route]\"`, `conceal`, `bind = \"path_param\"`";

/// Extractors that need an authenticated principal.
const NEEDS_PRINCIPAL: [&str; 5] = ["Principal", "Scoped", "Bind", "Patch", "Create"];

fn push(errors: &mut Option<syn::Error>, e: syn::Error) {
    match errors {
        Some(all) => all.combine(e),
        None => *errors = Some(e),
    }
}

/// The throttle grammar the runtime parses at start-up, checked here so a typo fails the build.
fn throttle_error(spec: &str) -> Option<String> {
    let words: Vec<&str> = spec.split_whitespace().collect();
    let Some((rate, mut rest)) = words.split_first() else {
        return Some("it is empty".into());
    };
    let Some((n, unit)) = rate.split_once('/') else {
        return Some(format!("`{rate}` is not `N/unit`"));
    };
    if n.parse::<u32>().map_or(true, |n| n == 0) {
        return Some(format!("`{n}` is not a whole number above 0"));
    }
    if ![
        "s", "sec", "second", "m", "min", "minute", "h", "hour", "d", "day",
    ]
    .contains(&unit)
    {
        return Some(format!("unknown unit `{unit}` (use s, min, h or d)"));
    }
    if let ["burst", m, tail @ ..] = rest {
        if m.parse::<u32>().map_or(true, |m| m == 0) {
            return Some(format!("burst `{m}` is not a whole number above 0"));
        }
        rest = tail;
    }
    match rest {
        [] | ["per", "ip" | "user" | "route"] => None,
        [other, ..] => Some(format!("unexpected `{other}`")),
    }
}

impl GuardOptions {
    pub fn parse(args: TokenStream, func: &syn::ItemFn) -> Result<Self, syn::Error> {
        let mut errors = None;
        let metas =
            syn::parse::Parser::parse2(Punctuated::<Meta, Token![,]>::parse_terminated, args)?;
        let (mut public, mut auth, mut conceal) = (None, None, false);
        let mut roles = Vec::new();
        let mut can = None;
        let mut throttle = None;
        let mut bind = None;
        for meta in metas {
            let name = meta
                .path()
                .get_ident()
                .map(|i| i.to_string())
                .unwrap_or_default();
            match (name.as_str(), &meta) {
                ("public", Meta::Path(p)) => public = Some(p.span()),
                ("auth", Meta::Path(p)) => auth = Some(p.span()),
                ("conceal", Meta::Path(_)) => conceal = true,
                ("roles", Meta::List(list)) => {
                    match list
                        .parse_args_with(Punctuated::<syn::Ident, Token![,]>::parse_terminated)
                    {
                        Ok(ids) if !ids.is_empty() => {
                            roles.extend(ids.iter().map(|i| LitStr::new(&i.to_string(), i.span())))
                        }
                        Ok(_) => push(
                            &mut errors,
                            syn::Error::new_spanned(
                                list,
                                "`roles(..)` needs at least one role, e.g. `roles(admin)`",
                            ),
                        ),
                        Err(e) => push(&mut errors, e),
                    }
                }
                ("can", Meta::List(list)) => {
                    match list.parse_args_with(Punctuated::<syn::Path, Token![,]>::parse_terminated)
                    {
                        Ok(p) if p.len() == 2 => can = Some((p[0].clone(), p[1].clone())),
                        _ => push(
                            &mut errors,
                            syn::Error::new_spanned(
                                list,
                                "expected `can(Action, Entity)`, e.g. `can(Delete, Document)`",
                            ),
                        ),
                    }
                }
                ("bind", Meta::NameValue(nv)) => match &nv.value {
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(s),
                        ..
                    }) if !s.value().is_empty()
                        && s.value()
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_') =>
                    {
                        bind = Some(s.clone())
                    }
                    other => push(
                        &mut errors,
                        syn::Error::new_spanned(
                            other,
                            "`bind` names the path parameter `Bind` loads, e.g. `bind = \"doc_id\"` for `/docs/{doc_id}`",
                        ),
                    ),
                },
                ("throttle", Meta::NameValue(nv)) => match &nv.value {
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(s),
                        ..
                    }) => {
                        if let Some(why) = throttle_error(&s.value()) {
                            push(
                                &mut errors,
                                syn::Error::new(
                                    s.span(),
                                    format!(
                                        "invalid throttle {:?}: {why}; write e.g. \"60/min\", \"5/min per ip\" or \"100/s burst 20 per user\"",
                                        s.value()
                                    ),
                                ),
                            );
                        }
                        throttle = Some(s.clone());
                    }
                    other => push(
                        &mut errors,
                        syn::Error::new_spanned(
                            other,
                            "`throttle` takes a string, e.g. `throttle = \"60/min\"`",
                        ),
                    ),
                },
                _ => push(
                    &mut errors,
                    syn::Error::new_spanned(
                        &meta,
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
        let implies_auth = !roles.is_empty() || can.is_some();
        match (public, auth) {
            (Some(_), Some(a)) => push(
                &mut errors,
                syn::Error::new(a, "a handler is either `public` or `auth`, not both"),
            ),
            (Some(p), None) if implies_auth => push(
                &mut errors,
                syn::Error::new(
                    p,
                    "`roles(..)` and `can(..)` need an authenticated principal; replace `public` with `auth`",
                ),
            ),
            // After an unknown option the likely cause is a misspelled `auth`/`public`: one error.
            (None, None) if !implies_auth && errors.is_none() => push(
                &mut errors,
                syn::Error::new_spanned(
                    &func.sig.ident,
                    "say who may call this handler: `#[guarded(auth)]` or `#[guarded(public)]`",
                ),
            ),
            _ => {}
        }
        if func.sig.asyncness.is_none() {
            push(
                &mut errors,
                syn::Error::new_spanned(
                    func.sig.fn_token,
                    "a guarded handler must be an `async fn`",
                ),
            );
        }
        if public.is_some() {
            for arg in &func.sig.inputs {
                let FnArg::Typed(t) = arg else { continue };
                let syn::Type::Path(tp) = &*t.ty else {
                    continue;
                };
                if let Some(last) = tp.path.segments.last() {
                    let name = last.ident.to_string();
                    if NEEDS_PRINCIPAL.contains(&name.as_str()) {
                        push(
                            &mut errors,
                            syn::Error::new_spanned(
                                &t.ty,
                                format!(
                                    "a `#[guarded(public)]` handler has no principal, so it cannot take `{name}`; use `#[guarded(auth)]` or remove this argument"
                                ),
                            ),
                        );
                    }
                }
            }
        }
        if let Some(receiver) = func.sig.receiver() {
            push(
                &mut errors,
                syn::Error::new_spanned(
                    receiver,
                    "a guarded handler is a free function, not a method",
                ),
            );
        }
        match errors {
            Some(e) => Err(e),
            None => Ok(GuardOptions {
                public: public.is_some(),
                roles,
                can,
                throttle,
                conceal,
                bind,
            }),
        }
    }
}
