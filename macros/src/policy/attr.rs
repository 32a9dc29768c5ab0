//! The receiver of `#[policy(Entity, subject = Subject, crate = "..")]`. The entity comes
//! first and is a type (darling's `NestedMeta` holds paths, not types), so the arguments are
//! read by hand; every option after it is `name = value`.

use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::{Ident, Token};

pub struct PolicyArgs {
    pub entity: syn::Type,
    pub subject: syn::Type,
    /// `crate = "path"`: where portcullis is reachable, for crates that re-export it.
    pub krate: Option<syn::Path>,
}

const USAGE: &str = "expected `#[policy(Entity, subject = Subject)]`";

impl Parse for PolicyArgs {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.is_empty() {
            return Err(input.error(USAGE));
        }
        let entity: syn::Type = input.parse()?;
        if !input.peek(Token![,]) {
            return Err(input.error("expected `, subject = <Type>` after the entity: `#[policy(Entity, subject = User)]`"));
        }
        let mut subject = None;
        let mut krate = None;
        while input.peek(Token![,]) {
            input.parse::<Token![,]>()?;
            if input.is_empty() {
                break;
            }
            let key: Ident = input.call(Ident::parse_any)?;
            if key == "subject" {
                input.parse::<Token![=]>()?;
                subject = Some(input.parse::<syn::Type>()?);
            } else if key == "crate" {
                input.parse::<Token![=]>()?;
                krate = Some(crate::door::crate_path(&input.parse::<syn::LitStr>()?)?);
            } else {
                return Err(syn::Error::new(
                    key.span(),
                    format!(
                        "unknown policy option `{key}`; the options are `subject = <Type>` and `crate = \"path\"`"
                    ),
                ));
            }
        }
        if !input.is_empty() {
            return Err(input.error(format!("unexpected tokens; {USAGE}")));
        }
        let Some(subject) = subject else {
            return Err(input.error("expected `, subject = <Type>` after the entity: `#[policy(Entity, subject = User)]`"));
        };
        Ok(Self {
            entity,
            subject,
            krate,
        })
    }
}
