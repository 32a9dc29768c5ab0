//! The rule language of `allow!` / `deny!`, parsed into a typed tree.
//!
//! ```text
//! rule    := actions [ '(' field, .. ')' ] [ 'where' cond ]
//! actions := action { ',' action }          action := read | create | update | delete | manage | Path
//! cond    := and { '||' and }               and    := unary { '&&' unary }
//! unary   := '!' unary | primary
//! primary := '(' cond ')' | true | false
//!          | field '.' is_none '(' ')' | field '.' is_some '(' ')'
//!          | field in list | field OP value | value OP field | field      (a bool field)
//! value   := literal | '-' literal | subject.path[.method(..)].. | '{' rust expression '}'
//! list    := '[' value, .. ']' | value
//! ```
//! A bare identifier is always a field of the entity; a value from Rust code is a path with a
//! dot (`user.tenant_id`) or a braced expression (`{MAX_ID}`).

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::{Ident, Token, token};

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    /// The operator with its sides swapped (`5 < x` is `x > 5`).
    fn flip(self) -> Self {
        match self {
            Self::Lt => Self::Gt,
            Self::Le => Self::Ge,
            Self::Gt => Self::Lt,
            Self::Ge => Self::Le,
            other => other,
        }
    }
}

/// A value a condition compares a field with, evaluated when the rule is collected.
pub struct Value {
    pub expr: TokenStream,
    pub span: Span,
    /// The value as SQL text when it is a literal the SQL can carry verbatim (integers,
    /// `true`/`false`, plain strings); `None` binds it as a parameter.
    pub sql_literal: Option<String>,
}

/// SQL text for a literal, or `None` when it must be bound (floats: their decimal text is
/// parsed differently by each backend; strings with NUL or backslash: not portable).
fn sql_literal(lit: &syn::Lit, negative: bool) -> Option<String> {
    let sign = if negative { "-" } else { "" };
    match lit {
        syn::Lit::Int(i) => Some(format!("{sign}{}", i.base10_digits())),
        syn::Lit::Bool(b) if !negative => Some(if b.value { "TRUE" } else { "FALSE" }.to_owned()),
        syn::Lit::Str(s) if !negative => {
            let v = s.value();
            (!v.contains(['\0', '\\'])).then(|| format!("'{}'", v.replace('\'', "''")))
        }
        _ => None,
    }
}

pub enum Cond {
    Or(Vec<Cond>),
    And(Vec<Cond>),
    Not(Box<Cond>),
    Cmp {
        field: Ident,
        op: CmpOp,
        value: Value,
    },
    In {
        field: Ident,
        list: Value,
    },
    IsNone {
        field: Ident,
        negated: bool,
    },
    Flag(Ident),
    Const(bool),
}

pub enum ActionRef {
    Builtin(Ident),
    Custom(syn::Path),
}

pub struct RuleSyntax {
    pub actions: Vec<ActionRef>,
    pub fields: Option<Vec<Ident>>,
    pub cond: Option<Cond>,
}

pub const BUILTIN: [&str; 5] = ["read", "create", "update", "delete", "manage"];

impl Parse for RuleSyntax {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut actions = Vec::new();
        loop {
            let path: syn::Path = input.call(syn::Path::parse_mod_style)?;
            match path.get_ident() {
                Some(id) if BUILTIN.contains(&id.to_string().as_str()) => {
                    actions.push(ActionRef::Builtin(id.clone()))
                }
                Some(id) if id.to_string().starts_with(|c: char| c.is_lowercase()) => {
                    return Err(syn::Error::new(
                        id.span(),
                        format!(
                            "unknown action `{id}`; expected one of `read`, `create`, `update`, `delete`, `manage`, or a custom action type deriving `Action` (e.g. `Publish`)"
                        ),
                    ));
                }
                _ => actions.push(ActionRef::Custom(path)),
            }
            if input.peek(Token![,]) {
                input.parse::<Token![,]>()?;
                continue;
            }
            break;
        }
        let fields = if input.peek(token::Paren) {
            let content;
            syn::parenthesized!(content in input);
            let names = content.parse_terminated(Ident::parse_any, Token![,])?;
            if names.is_empty() {
                return Err(content.error(
                    "an empty field list allows nothing; list fields or drop the parentheses",
                ));
            }
            Some(names.into_iter().collect())
        } else {
            None
        };
        let cond = if input.peek(Token![where]) {
            input.parse::<Token![where]>()?;
            Some(parse_or(input)?)
        } else {
            None
        };
        if !input.is_empty() {
            return Err(input.error(
                "expected `where <condition>` or the end of the rule, e.g. `allow!(read where tenant_id == user.tenant_id)`",
            ));
        }
        Ok(RuleSyntax {
            actions,
            fields,
            cond,
        })
    }
}

fn parse_or(input: ParseStream) -> syn::Result<Cond> {
    let mut parts = vec![parse_and(input)?];
    while input.peek(Token![||]) {
        input.parse::<Token![||]>()?;
        parts.push(parse_and(input)?);
    }
    Ok(if parts.len() == 1 {
        parts.remove(0)
    } else {
        Cond::Or(parts)
    })
}

fn parse_and(input: ParseStream) -> syn::Result<Cond> {
    let mut parts = vec![parse_unary(input)?];
    while input.peek(Token![&&]) {
        input.parse::<Token![&&]>()?;
        parts.push(parse_unary(input)?);
    }
    Ok(if parts.len() == 1 {
        parts.remove(0)
    } else {
        Cond::And(parts)
    })
}

fn parse_unary(input: ParseStream) -> syn::Result<Cond> {
    if input.peek(Token![!]) && !input.peek(Token![!=]) {
        input.parse::<Token![!]>()?;
        return Ok(Cond::Not(Box::new(parse_unary(input)?)));
    }
    parse_primary(input)
}

fn peek_cmp(input: ParseStream) -> Option<CmpOp> {
    if input.peek(Token![==]) {
        Some(CmpOp::Eq)
    } else if input.peek(Token![!=]) {
        Some(CmpOp::Ne)
    } else if input.peek(Token![<=]) {
        Some(CmpOp::Le)
    } else if input.peek(Token![>=]) {
        Some(CmpOp::Ge)
    } else if input.peek(Token![<]) {
        Some(CmpOp::Lt)
    } else if input.peek(Token![>]) {
        Some(CmpOp::Gt)
    } else {
        None
    }
}

fn eat_cmp(input: ParseStream, op: CmpOp) -> syn::Result<()> {
    match op {
        CmpOp::Eq => input.parse::<Token![==]>().map(drop),
        CmpOp::Ne => input.parse::<Token![!=]>().map(drop),
        CmpOp::Le => input.parse::<Token![<=]>().map(drop),
        CmpOp::Ge => input.parse::<Token![>=]>().map(drop),
        CmpOp::Lt => input.parse::<Token![<]>().map(drop),
        CmpOp::Gt => input.parse::<Token![>]>().map(drop),
    }
}

/// A bare identifier (a field) is one not followed by `.` (except `.is_none()`/`.is_some()`).
fn peek_field(input: ParseStream) -> bool {
    if !input.peek(Ident::peek_any) || input.peek(syn::LitBool) {
        return false;
    }
    let fork = input.fork();
    let _ = fork.call(Ident::parse_any);
    if fork.peek(Token![.]) {
        let _ = fork.parse::<Token![.]>();
        return fork
            .parse::<Ident>()
            .is_ok_and(|m| (m == "is_none" || m == "is_some") && fork.peek(token::Paren));
    }
    !fork.peek(token::Paren) && !fork.peek(Token![::])
}

fn parse_primary(input: ParseStream) -> syn::Result<Cond> {
    if input.peek(token::Paren) {
        let content;
        syn::parenthesized!(content in input);
        let inner = parse_or(&content)?;
        if !content.is_empty() {
            return Err(content.error("expected `)`; join two conditions with `&&` or `||`"));
        }
        return Ok(inner);
    }
    if input.peek(syn::LitBool) && !next_is_cmp_after_literal(input) {
        let lit: syn::LitBool = input.parse()?;
        return Ok(Cond::Const(lit.value));
    }
    if peek_field(input) {
        let field: Ident = input.call(Ident::parse_any)?;
        if input.peek(Token![.]) {
            input.parse::<Token![.]>()?;
            let method: Ident = input.parse()?;
            let args;
            syn::parenthesized!(args in input);
            if !args.is_empty() {
                return Err(args.error(format!("`{method}()` takes no arguments")));
            }
            return Ok(Cond::IsNone {
                field,
                negated: method == "is_some",
            });
        }
        if input.peek(Token![in]) {
            input.parse::<Token![in]>()?;
            let list = parse_list(input)?;
            return Ok(Cond::In { field, list });
        }
        if let Some(op) = peek_cmp(input) {
            eat_cmp(input, op)?;
            if peek_field(input) {
                return Err(input.error(
                    "a condition compares a field with a value; to use a Rust variable write `{name}`, for a subject field `user.field`",
                ));
            }
            let value = parse_value(input)?;
            return Ok(Cond::Cmp { field, op, value });
        }
        return Ok(Cond::Flag(field));
    }
    // `value OP field`
    let value = parse_value(input)?;
    let Some(op) = peek_cmp(input) else {
        return Err(syn::Error::new(
            value.span,
            "expected a comparison with a field here, e.g. `tenant_id == user.tenant_id`",
        ));
    };
    eat_cmp(input, op)?;
    if !peek_field(input) {
        return Err(input.error("expected a field of the entity on one side of the comparison"));
    }
    let field: Ident = input.call(Ident::parse_any)?;
    Ok(Cond::Cmp {
        field,
        op: op.flip(),
        value,
    })
}

fn next_is_cmp_after_literal(input: ParseStream) -> bool {
    let fork = input.fork();
    let _ = fork.parse::<syn::LitBool>();
    peek_cmp(&fork).is_some()
}

fn parse_list(input: ParseStream) -> syn::Result<Value> {
    if input.peek(token::Bracket) {
        let content;
        let bracket = syn::bracketed!(content in input);
        let mut items = Vec::new();
        while !content.is_empty() {
            items.push(parse_value(&content)?.expr);
            if content.is_empty() {
                break;
            }
            content.parse::<Token![,]>()?;
        }
        let span = bracket.span.join();
        return Ok(Value {
            expr: quote!([#(#items),*]),
            span,
            sql_literal: None,
        });
    }
    parse_value(input)
}

fn parse_value(input: ParseStream) -> syn::Result<Value> {
    if input.peek(token::Brace) {
        let content;
        let brace = syn::braced!(content in input);
        let expr: syn::Expr = content.parse()?;
        return Ok(Value {
            expr: expr.to_token_stream(),
            span: brace.span.join(),
            sql_literal: None,
        });
    }
    if input.peek(Token![-]) {
        let minus: Token![-] = input.parse()?;
        let lit: syn::Lit = input.parse()?;
        return Ok(Value {
            span: lit.span(),
            sql_literal: sql_literal(&lit, true),
            expr: quote!(#minus #lit),
        });
    }
    if input.peek(syn::Lit) {
        let lit: syn::Lit = input.parse()?;
        return Ok(Value {
            span: lit.span(),
            sql_literal: sql_literal(&lit, false),
            expr: lit.to_token_stream(),
        });
    }
    if input.peek(Ident::peek_any) {
        // subject.path[.method(args)]..
        let root: Ident = input.call(Ident::parse_any)?;
        let span = root.span();
        let mut expr = root.to_token_stream();
        if !input.peek(Token![.]) {
            return Err(syn::Error::new(
                span,
                format!(
                    "`{root}` alone is a field of the entity; a Rust variable as a value is written `{{{root}}}`"
                ),
            ));
        }
        while input.peek(Token![.]) {
            let dot: Token![.] = input.parse()?;
            let member: Ident = input.call(Ident::parse_any)?;
            dot.to_tokens(&mut expr);
            member.to_tokens(&mut expr);
            if input.peek(token::Paren) {
                let args: proc_macro2::Group = input.parse()?;
                args.to_tokens(&mut expr);
            }
        }
        return Ok(Value {
            expr,
            span,
            sql_literal: None,
        });
    }
    Err(input.error("expected a value: a literal, a subject path such as `user.tenant_id`, or a braced Rust expression `{..}`"))
}
