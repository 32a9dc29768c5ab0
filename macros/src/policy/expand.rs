//! Code generation for `#[policy]`: each condition becomes a Rust predicate and one SQL builder
//! per backend, over values captured once when the rule is collected.

use super::ast::{PLACEHOLDER, Policy, Rule};
use super::cond::{CmpOp, Cond, Value};
use crate::door::Door;
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::Ident;
use syn::spanned::Spanned;
use syn::visit_mut::VisitMut;

pub fn slot(i: usize) -> Ident {
    format_ident!("__portcullis_rule_{}", i)
}

fn handle(field: &Ident) -> Ident {
    format_ident!("__portcullis_k_{}", field)
}

fn capture(i: usize) -> Ident {
    format_ident!("__portcullis_c{}", i)
}

/// Handles and captures a condition needs, bound once per rule.
#[derive(Default)]
struct Bindings {
    fields: Vec<Ident>,
    captures: Vec<TokenStream>,
}

impl Bindings {
    fn field(&mut self, f: &Ident) -> Ident {
        if !self.fields.iter().any(|x| x == f) {
            self.fields.push(f.clone());
        }
        handle(f)
    }

    fn value(&mut self, field: &Ident, value: &Value, list: bool) -> Ident {
        let k = self.field(field);
        let c = capture(self.captures.len());
        let expr = &value.expr;
        let method = Ident::new(if list { "capture_list" } else { "capture" }, field.span());
        self.captures
            .push(quote_spanned!(value.span=> let #c = #k.#method(&(#expr));));
        c
    }
}

/// `k.method`, the method named at the field's token: a field whose type has no condition
/// support then fails once, there, with `FieldType`'s message (rustc reports one unmet bound per
/// span), not once per generated call.
fn on(k: &Ident, field: &Ident, method: &str) -> TokenStream {
    let method = Ident::new(method, field.span());
    quote!(#k.#method)
}

/// Assigns captures (in tree order) and returns (predicate, sql) code. The SQL side builds a
/// `Cond` tree whose leaves carry keys, so the runtime can simplify a rule set before
/// rendering it.
fn lower(p: &Door, cond: &Cond, b: &mut Bindings) -> (TokenStream, TokenStream) {
    match cond {
        Cond::Const(v) => (quote!(#v), quote!(#p::Cond::constant(#v))),
        Cond::Flag(f) => {
            let k = b.field(f);
            let k_is_true = on(&k, f, "is_true");
            let k_bare_key = on(&k, f, "bare_key");
            let k_column = on(&k, f, "column");
            (
                quote_spanned!(f.span()=> #k_is_true(__row)),
                quote!(#p::leaf(#k_bare_key(#p::LeafOp::Flag), #p::two_valued(#k_column()))),
            )
        }
        Cond::IsNone { field, negated } => {
            let k = b.field(field);
            let k_is_none = on(&k, field, "is_none");
            let k_bare_key = on(&k, field, "bare_key");
            let k_column = on(&k, field, "column");
            let pred = quote_spanned!(field.span()=> #k_is_none(__row));
            let (method, op) = if *negated {
                (quote!(is_not_null), quote!(IsSome))
            } else {
                (quote!(is_null), quote!(IsNone))
            };
            let sql = quote!(#p::leaf(
                #k_bare_key(#p::LeafOp::#op),
                #p::two_valued(#p::diesel::ExpressionMethods::#method(#k_column())),
            ));
            if *negated {
                (quote!(!#pred), sql)
            } else {
                (pred, sql)
            }
        }
        Cond::Cmp { field, op, value } => {
            let c = b.value(field, value, false);
            let k = handle(field);
            let k_column = on(&k, field, "column");
            let k_of = on(&k, field, "of");
            let k_captured = on(&k, field, "captured");
            let k_key = on(&k, field, "key");
            let k_cmp_sql = on(&k, field, "cmp_sql");
            let (op_tok, method) = match op {
                CmpOp::Eq => (quote!(Eq), quote!(eq)),
                CmpOp::Ne => (quote!(Ne), quote!(ne)),
                CmpOp::Lt => (quote!(Lt), quote!(lt)),
                CmpOp::Le => (quote!(Le), quote!(le)),
                CmpOp::Gt => (quote!(Gt), quote!(gt)),
                CmpOp::Ge => (quote!(Ge), quote!(ge)),
            };
            // A literal goes into the SQL text; anything else is bound.
            let rhs = match &value.sql_literal {
                Some(text) => quote!(#p::literal(&#k_column(), #text)),
                None => quote!(::core::clone::Clone::clone(__v)),
            };
            (
                // Both sides see the value through `captured` (NaN, like `None`, never matches).
                quote!(#p::cmp(#k_of(__row), #k_captured(&#c), #p::CmpOp::#op_tok)),
                quote! {
                    match #k_captured(&#c) {
                        ::core::option::Option::Some(__v) => #p::leaf(
                            #k_key(#p::LeafOp::#op_tok, __v),
                            #k_cmp_sql(
                                #p::LeafOp::#op_tok,
                                #p::two_valued(#p::diesel::ExpressionMethods::#method(#k_column(), #rhs)),
                            ),
                        ),
                        ::core::option::Option::None => #p::Cond::False,
                    }
                },
            )
        }
        Cond::In { field, list } => {
            let c = b.value(field, list, true);
            let k = handle(field);
            let k_of = on(&k, field, "of");
            let k_list_key = on(&k, field, "list_key");
            let k_in_sql = on(&k, field, "in_sql");
            let k_column = on(&k, field, "column");
            (
                quote!(#p::in_list(#k_of(__row), &#c)),
                quote!(#p::leaf(
                    #k_list_key(&#c),
                    #k_in_sql(&#c, |__l| #p::two_valued(#p::diesel::ExpressionMethods::eq_any(#k_column(), __l))),
                )),
            )
        }
        Cond::Not(inner) => {
            let (pr, sq) = lower(p, inner, b);
            (
                quote!(!(#pr)),
                quote!(#p::Cond::Not(::std::boxed::Box::new(#sq))),
            )
        }
        Cond::And(parts) | Cond::Or(parts) => {
            let is_and = matches!(cond, Cond::And(_));
            let lowered: Vec<_> = parts.iter().map(|c| lower(p, c, b)).collect();
            let preds = lowered.iter().map(|(pr, _)| pr);
            let sqls = lowered.iter().map(|(_, s)| s);
            if is_and {
                (
                    quote!((#(#preds)&&*)),
                    quote!(#p::Cond::And(::std::vec![#(#sqls),*])),
                )
            } else {
                (
                    quote!((#(#preds)||*)),
                    quote!(#p::Cond::Or(::std::vec![#(#sqls),*])),
                )
            }
        }
    }
}

/// Equality leaves of the rule's top-level conjunction: what a create rule pins.
fn pins<'c>(cond: &'c Cond, out: &mut Vec<(&'c Ident, usize)>, next: &mut usize) {
    // Captures are numbered in tree order by `lower`; walk the same order to find their index.
    match cond {
        Cond::Cmp { field, op, .. } => {
            if *op == CmpOp::Eq {
                out.push((field, *next));
            }
            *next += 1;
        }
        Cond::And(parts) => parts.iter().for_each(|c| pins(c, out, next)),
        other => *next += count_captures(other),
    }
}

fn count_captures(cond: &Cond) -> usize {
    match cond {
        Cond::Cmp { .. } | Cond::In { .. } => 1,
        Cond::Not(c) => count_captures(c),
        Cond::And(ps) | Cond::Or(ps) => ps.iter().map(count_captures).sum(),
        _ => 0,
    }
}

/// The code replacing one `allow!`/`deny!`: captures values and fills the rule's slot.
fn rule(p: &Door, entity: &syn::Type, rule: &Rule, index: usize) -> TokenStream {
    let slot = slot(index);
    let mut b = Bindings::default();
    let (pred, sql) = match &rule.syntax.cond {
        Some(c) => lower(p, c, &mut b),
        None => (quote!(true), quote!(#p::Cond::True)),
    };
    let mut pinned = Vec::new();
    if !rule.deny
        && rule.mask & 0b10 != 0
        && let Some(c) = &rule.syntax.cond
    {
        pins(c, &mut pinned, &mut 0);
    }
    let pin_code = pinned.iter().map(|(f, i)| {
        let k = handle(f);
        let c = capture(*i);
        let k_pin = on(&k, f, "pin");
        quote!(#k_pin(&mut __input.#f, &#c, __force);)
    });
    let pin_caps: Vec<Ident> = pinned.iter().map(|(_, i)| capture(*i)).collect();

    let handles: Vec<Ident> = b.fields.iter().map(handle).collect();
    let field_access = b
        .fields
        .iter()
        // Through `cond_field`: a field type without condition support fails there, once, and
        // leaves the handle's type unknown, so its uses below add no errors.
        .map(|f| {
            let p = p.spanned(f.span());
            quote_spanned!(f.span()=> #p::cond_field(&__portcullis_cols.#f))
        });
    // Only a rule that names fields borrows the handles (`&'static`: the rule's closures keep
    // them), so `allow!(read)` in a policy of a type that is no resource adds no error.
    let cols = if b.fields.is_empty() {
        quote!()
    } else {
        quote!(let __portcullis_cols: &'static <#entity as #p::Resource>::Columns = &<#entity as #p::Resource>::COLUMNS;)
    };
    let captures = &b.captures;
    let caps: Vec<Ident> = (0..b.captures.len()).map(capture).collect();

    let fields = match &rule.syntax.fields {
        None => quote!(::core::option::Option::None),
        Some(list) => {
            let picks = list
                .iter()
                .map(|f| quote_spanned!(f.span()=> | <#entity as #p::Resource>::FIELDS.#f));
            quote!(::core::option::Option::Some(#p::FieldSet::<#entity>::EMPTY #(#picks)*))
        }
    };
    let mask = rule.mask;
    let deny = rule.deny;
    let effect = if deny {
        quote!(#p::Effect::Deny)
    } else {
        quote!(#p::Effect::Allow)
    };
    let text = &rule.text;
    let line = rule.line;
    let has_fields = rule.syntax.fields.is_some();
    let table = quote!(<#entity as #p::Resource>::Table);
    let sql_side = |db: TokenStream| {
        quote! {{
            #( let #caps = ::core::clone::Clone::clone(&#caps); )*
            move || -> #p::SqlCond<#table, #db> { #sql }
        }}
    };
    let wrap = if rule.always {
        quote!(::core::convert::identity)
    } else {
        quote!(::core::option::Option::Some)
    };
    let sqlite = sql_side(quote!(#p::Sqlite));
    let pg = sql_side(quote!(#p::Pg));

    quote_spanned! {rule.span=>
        #[allow(unused_variables, clippy::redundant_clone)]
        {
            #cols
            #( let #handles = #field_access; )*
            #( #captures )*
            static __PORTCULLIS_SITE: #p::RuleSite = #p::RuleSite {
                effect: #effect,
                text: #text,
                file: ::core::file!(),
                line: #line,
                has_fields: #has_fields,
            };
            #slot = #wrap(#p::Rule::<#entity, _, _, _, #mask, #deny, #has_fields> {
                site: &__PORTCULLIS_SITE,
                fields: #fields,
                pred: {
                    #( let #caps = ::core::clone::Clone::clone(&#caps); )*
                    move |__row: &#entity| -> bool { #pred }
                },
                sql: (
                    #p::if_sqlite!({ #sqlite } else { () }),
                    #p::if_postgres!({ #pg } else { () }),
                ),
                pin: {
                    #( let #pin_caps = ::core::clone::Clone::clone(&#pin_caps); )*
                    move |__input: &mut <#entity as #p::Resource>::Create, __force: bool| { #(#pin_code)* }
                },
            });
        }
    }
}

/// Nests rule slots in tuples of at most 8 (the arities `RuleSet` is implemented for).
fn nest(items: Vec<TokenStream>) -> TokenStream {
    if items.len() <= 8 {
        return quote!((#(#items,)*));
    }
    let chunks: Vec<TokenStream> = items.chunks(8).map(|c| nest(c.to_vec())).collect();
    nest(chunks)
}

/// Fills each `__portcullis_rule!(N)` placeholder `collect` left with the code of rule `N`.
struct Fill<'a> {
    p: &'a Door,
    entity: &'a syn::Type,
    rules: &'a [Rule],
}

impl Fill<'_> {
    fn code(&self, mac: &syn::Macro) -> Option<TokenStream> {
        if !mac.path.is_ident(PLACEHOLDER) {
            return None;
        }
        let index: usize = syn::parse2::<syn::LitInt>(mac.tokens.clone())
            .ok()?
            .base10_parse()
            .ok()?;
        let r = self.rules.get(index)?;
        Some(rule(self.p, self.entity, r, index))
    }
}

impl VisitMut for Fill<'_> {
    fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
        if let syn::Expr::Macro(m) = expr
            && let Some(code) = self.code(&m.mac)
        {
            *expr = syn::parse_quote!({ #code });
            return;
        }
        syn::visit_mut::visit_expr_mut(self, expr);
    }

    fn visit_stmt_mut(&mut self, stmt: &mut syn::Stmt) {
        if let syn::Stmt::Macro(m) = stmt
            && let Some(code) = self.code(&m.mac)
        {
            *stmt = syn::parse_quote!({ #code });
            return;
        }
        syn::visit_mut::visit_stmt_mut(self, stmt);
    }

    fn visit_item_mut(&mut self, _: &mut syn::Item) {}
}

/// `-> Ability<Entity, impl RuleSet<Entity> + Clone>`, the policy function's return type.
pub fn output_type(p: &Door, entity: &syn::Type) -> syn::ReturnType {
    syn::parse_quote_spanned!(entity.span()=>
        -> #p::Ability<#entity, impl #p::RuleSet<#entity> + ::core::clone::Clone>
    )
}

/// `where Entity: Resource`, at the entity's token, on the policy function and every impl:
/// for an entity that is not a resource the compiler reports this bound once (the identical
/// errors of each item collapse) and checks each item as if it held, so the items' own uses of
/// the entity (`Ability<Entity, ..>`, the `Governs` and `Policy` supertraits) add nothing.
fn is_resource(p: &Door, entity: &syn::Type) -> TokenStream {
    let bound = resource_bound(p, entity);
    quote_spanned!(entity.span()=> where #bound)
}

/// `Entity: Resource`, every token at the entity's.
fn resource_bound(p: &Door, entity: &syn::Type) -> TokenStream {
    let p = p.spanned(entity.span());
    quote_spanned!(entity.span()=> #entity: #p::Resource)
}

/// The `Governs` impl of every action the rules name, and the `Policy` impl.
pub fn impls(p: &Door, model: &Policy) -> TokenStream {
    let entity = &model.entity;
    let subject = &model.subject;
    let name = &model.func.sig.ident;
    let actions = &model.actions;
    let version = p.version_check();
    let is_resource = is_resource(p, entity);
    let mut governs = Vec::new();
    let builtin_types = ["Read", "CreateAction", "Update", "Delete"];
    for (bit, ty) in builtin_types.iter().enumerate() {
        if actions.builtin[bit] || actions.manage {
            let ty = Ident::new(ty, Span::call_site());
            let bit = bit as u32;
            governs.push(quote! {
                #[automatically_derived]
                impl #p::Governs<#p::#ty> for #entity #is_resource { const BIT: u32 = #bit; }
            });
        }
    }
    for (i, path) in actions.custom.iter().enumerate() {
        let bit = 4 + i as u32;
        governs.push(quote_spanned! {path.segments.last().map(|s| s.ident.span()).unwrap_or_else(Span::call_site)=>
            #[automatically_derived]
            impl #p::Governs<#path> for #entity #is_resource { const BIT: u32 = #bit; }
        });
    }
    quote! {
        const _: () = {
            #version
            #(#governs)*
            #[automatically_derived]
            impl #p::Policy for #entity #is_resource {
                type Subject = #subject;
                fn ability(subject: &#subject) -> #p::Ability<#entity> {
                    #name(subject).into_dyn()
                }
            }
        };
    }
}

pub fn policy(model: Policy) -> TokenStream {
    let p = Door::new(model.krate.as_ref());
    let entity = &model.entity;
    let mut func = model.func.clone();
    Fill {
        p: &p,
        entity,
        rules: &model.rules,
    }
    .visit_block_mut(&mut func.block);
    let always: Vec<bool> = model.rules.iter().map(|r| r.always).collect();
    let slots: Vec<Ident> = (0..always.len()).map(slot).collect();
    let tuple = nest(slots.iter().map(|s| quote!(#s)).collect());
    let decls = slots.iter().zip(&always).map(|(s, always)| {
        if *always {
            quote!(let #s;)
        } else {
            quote!(let mut #s = ::core::option::Option::None;)
        }
    });
    let body = &func.block;
    // A body that may `return` runs in a closure so the rule set is still built afterwards.
    let run = if model.may_return {
        quote! {
            #[allow(unused_mut, clippy::redundant_closure_call)]
            let mut __portcullis_collect = || #body;
            __portcullis_collect();
        }
    } else {
        quote!(#body)
    };
    let new_body: syn::Block = syn::parse_quote!({
        #(#decls)*
        #run
        #p::Ability::__new(#tuple)
    });
    *func.block = new_body;
    func.sig.output = output_type(&p, entity);
    let bound = resource_bound(&p, entity);
    let bound: syn::WherePredicate = syn::parse_quote!(#bound);
    func.sig.generics.make_where_clause().predicates.push(bound);
    let impls = impls(&p, &model);
    quote! {
        #func
        #impls
    }
}
