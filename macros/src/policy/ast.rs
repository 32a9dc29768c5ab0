//! The checked model of a `#[policy]` function: its rules, the actions they name, and the body
//! with each rule replaced by a placeholder `expand` fills in.

use super::cond::{ActionRef, RuleSyntax};
use proc_macro2::Span;

/// The macro name a rule's placeholder is written with: `__portcullis_rule!(N)`.
pub const PLACEHOLDER: &str = "__portcullis_rule";

pub struct Rule {
    pub deny: bool,
    pub syntax: RuleSyntax,
    pub text: String,
    pub span: Span,
    pub line: u32,
    pub mask: u64,
    /// Collected on every run of the body (a top-level statement of a body without `return`):
    /// its slot needs no `Option`, so decisions skip the presence test.
    pub always: bool,
}

/// The actions a policy mentions; custom ones get bits from 4 in order of first mention.
#[derive(Default)]
pub struct Actions {
    pub builtin: [bool; 4],
    pub manage: bool,
    pub custom: Vec<syn::Path>,
}

pub const BUILTIN_BITS: [&str; 4] = ["read", "create", "update", "delete"];

impl Actions {
    pub fn mask_of(&mut self, actions: &[ActionRef]) -> syn::Result<u64> {
        let mut mask = 0u64;
        for a in actions {
            match a {
                ActionRef::Builtin(id) if id == "manage" => {
                    self.manage = true;
                    mask = u64::MAX;
                }
                ActionRef::Builtin(id) => {
                    let bit = BUILTIN_BITS.iter().position(|b| id == b).unwrap_or(0);
                    self.builtin[bit] = true;
                    mask |= 1 << bit;
                }
                ActionRef::Custom(path) => {
                    let bit = match self.custom.iter().position(|p| p == path) {
                        Some(i) => i,
                        None => {
                            if self.custom.len() >= 60 {
                                return Err(syn::Error::new_spanned(
                                    path,
                                    "a policy may name at most 60 custom actions",
                                ));
                            }
                            self.custom.push(path.clone());
                            self.custom.len() - 1
                        }
                    };
                    mask |= 1 << (4 + bit);
                }
            }
        }
        Ok(mask)
    }
}

pub struct Policy {
    pub entity: syn::Type,
    pub subject: syn::Type,
    pub krate: Option<syn::Path>,
    /// The function, each rule replaced by `__portcullis_rule!(index)`.
    pub func: syn::ItemFn,
    pub rules: Vec<Rule>,
    /// Whether the body may leave early (`return`).
    pub may_return: bool,
    pub actions: Actions,
}
