//! Field-name case conversion for `#[resource(rename_all = "..")]`, as serde spells the rules.

use syn::Result;

/// A `rename_all` rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RenameRule {
    None,
    Camel,
    Pascal,
    Snake,
    ScreamingSnake,
    Kebab,
}

pub const RULES: &str =
    r#""camelCase", "PascalCase", "snake_case", "SCREAMING_SNAKE_CASE", "kebab-case""#;

impl RenameRule {
    pub fn parse(lit: &syn::LitStr) -> Result<Self> {
        Ok(match lit.value().as_str() {
            "camelCase" => Self::Camel,
            "PascalCase" => Self::Pascal,
            "snake_case" => Self::Snake,
            "SCREAMING_SNAKE_CASE" => Self::ScreamingSnake,
            "kebab-case" => Self::Kebab,
            other => {
                return Err(syn::Error::new(
                    lit.span(),
                    format!("unknown `rename_all` rule {other:?}; expected one of {RULES}"),
                ));
            }
        })
    }

    /// Applies the rule to a snake_case Rust field name.
    pub fn apply(self, field: &str) -> String {
        let field = field.strip_prefix("r#").unwrap_or(field);
        match self {
            Self::None | Self::Snake => field.to_owned(),
            Self::ScreamingSnake => field.to_ascii_uppercase(),
            Self::Kebab => field.replace('_', "-"),
            Self::Camel | Self::Pascal => {
                let mut out = String::with_capacity(field.len());
                let mut upper = self == Self::Pascal;
                for c in field.chars() {
                    if c == '_' {
                        upper = true;
                    } else if upper {
                        out.extend(c.to_uppercase());
                        upper = false;
                    } else {
                        out.push(c);
                    }
                }
                out
            }
        }
    }
}

/// `PascalCase` → `snake_case` (diesel's default table names and action names).
pub fn snake(ident: &str) -> String {
    let mut out = String::with_capacity(ident.len() + 4);
    for (i, c) in ident.chars().enumerate() {
        if c.is_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}
