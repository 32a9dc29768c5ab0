//! Walks a policy body, recording each `allow!` / `deny!` as a rule of the model and replacing
//! it with a placeholder (`__portcullis_rule!(N)`) that `expand` fills in; the collector never
//! generates code. A rule inside a loop or closure is an error: each rule fills one slot.

use super::ast::{Actions, PLACEHOLDER, Rule};
use super::cond::RuleSyntax;
use proc_macro2::TokenStream;
use quote::quote;
use syn::visit_mut::VisitMut;
use syn::{Expr, Stmt};

pub struct Collector {
    pub rules: Vec<Rule>,
    pub actions: Actions,
    pub errors: Vec<syn::Error>,
    depth: usize,
    /// Whether the body may leave early (`return`); then no rule is certain to run.
    may_return: bool,
    /// Set while visiting a top-level statement of the body itself.
    top_stmt: bool,
}

impl Collector {
    pub fn new() -> Self {
        Self {
            rules: Vec::new(),
            actions: Actions::default(),
            errors: Vec::new(),
            depth: 0,
            may_return: false,
            top_stmt: false,
        }
    }

    /// Collects the rules of the policy body; returns whether it may `return` early.
    pub fn collect(&mut self, body: &mut syn::Block) -> bool {
        let mut finder = ReturnFinder(false);
        syn::visit::Visit::visit_block(&mut finder, body);
        self.may_return = finder.0;
        for stmt in &mut body.stmts {
            self.top_stmt = true;
            self.visit_stmt_mut(stmt);
        }
        self.top_stmt = false;
        self.may_return
    }

    /// Parses one rule macro; returns the code that replaces it.
    fn rule(&mut self, mac: &syn::Macro, top: bool) -> Option<TokenStream> {
        let deny = mac.path.is_ident("deny");
        if !deny && !mac.path.is_ident("allow") {
            return None;
        }
        let span = mac.path.segments[0].ident.span();
        if self.depth > 0 {
            self.errors.push(syn::Error::new(
                span,
                "`allow!`/`deny!` cannot be inside a loop or closure: each rule is collected once; use `field in list` for many values",
            ));
            return Some(TokenStream::new());
        }
        let syntax: RuleSyntax = match syn::parse2(mac.tokens.clone()) {
            Ok(s) => s,
            Err(e) => {
                self.errors.push(e);
                return Some(TokenStream::new());
            }
        };
        let mask = match self.actions.mask_of(&syntax.actions) {
            Ok(m) => m,
            Err(e) => {
                self.errors.push(e);
                return Some(TokenStream::new());
            }
        };
        let text = format!(
            "{}!({})",
            if deny { "deny" } else { "allow" },
            tidy(&mac.tokens.to_string())
        );
        let line = span.start().line as u32;
        let rule = Rule {
            deny,
            syntax,
            text,
            span,
            line,
            mask,
            always: top && !self.may_return,
        };
        let index = self.rules.len();
        self.rules.push(rule);
        let placeholder = syn::Ident::new(PLACEHOLDER, span);
        Some(quote!(#placeholder!(#index)))
    }
}

/// `user . tenant_id` → `user.tenant_id` for rule texts in explanations.
fn tidy(s: &str) -> String {
    s.replace(" . ", ".")
        .replace(" (", "(")
        .replace("( ", "(")
        .replace(" )", ")")
        .replace(" ,", ",")
}

impl VisitMut for Collector {
    fn visit_stmt_mut(&mut self, stmt: &mut Stmt) {
        let top = std::mem::replace(&mut self.top_stmt, false);
        let mac = match stmt {
            Stmt::Macro(m) => Some(&m.mac),
            Stmt::Expr(Expr::Macro(m), _) => Some(&m.mac),
            _ => None,
        };
        if let Some(mac) = mac
            && let Some(code) = self.rule(&mac.clone(), top)
        {
            *stmt = syn::parse_quote!({ #code });
            return;
        }
        syn::visit_mut::visit_stmt_mut(self, stmt);
    }

    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        if let Expr::Macro(m) = expr
            && let Some(code) = self.rule(&m.mac, false)
        {
            *expr = syn::parse_quote!({ #code });
            return;
        }
        let nested = matches!(
            expr,
            Expr::ForLoop(_) | Expr::While(_) | Expr::Loop(_) | Expr::Closure(_) | Expr::Async(_)
        );
        if nested {
            self.depth += 1;
        }
        syn::visit_mut::visit_expr_mut(self, expr);
        if nested {
            self.depth -= 1;
        }
    }

    fn visit_item_mut(&mut self, _: &mut syn::Item) {
        // Nested items are their own scope; rules there would not reach this policy.
    }
}

/// Finds `return` in the body itself (closures and nested items have their own).
struct ReturnFinder(bool);

impl<'ast> syn::visit::Visit<'ast> for ReturnFinder {
    fn visit_expr_return(&mut self, _: &'ast syn::ExprReturn) {
        self.0 = true;
    }
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}
