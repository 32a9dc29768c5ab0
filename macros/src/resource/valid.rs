//! Checks of a `#[derive(Resource)]` input: every check happens here, errors are accumulated so
//! one build reports them all. The model is built even when there are errors, with a stand-in
//! for each bad part, so `fallback` can still emit the impls when they would compile.

use super::ast::{Field, Resource, is_option};
use super::attr::{ExposeInput, ResourceInput, diesel_items};
use crate::case::{RenameRule, snake};
use syn::{Expr, Ident, Meta, Path};

/// The model and, when the input has mistakes, their errors. `usable` says whether the model's
/// stand-ins still generate code that compiles (a wrong table or column path does not).
pub struct Checked {
    pub model: Resource,
    pub errors: Option<darling::Error>,
    pub usable: bool,
}

/// The most fields a resource may have: field sets are 64-bit masks.
const MAX_FIELDS: usize = 64;

pub fn validate(input: ResourceInput) -> Checked {
    {
        let mut errors = darling::Error::accumulator();
        // Cleared by the mistakes whose stand-ins would not compile.
        let mut usable = true;
        let mut diesel_failed = false;
        let ResourceInput {
            ident,
            vis,
            generics,
            data,
            attrs,
            rename_all,
            conceal,
        } = input;

        let krate = errors
            .handle(crate::door::crate_from_attrs(&attrs))
            .flatten();
        if !generics.params.is_empty() {
            usable = false;
            errors.push(darling::Error::custom(
                "`#[derive(Resource)]` does not support generic entities; derive it on a concrete struct",
            ).with_span(&generics));
        }
        for attr in attrs.iter().filter(|a| a.path().is_ident("expose")) {
            errors.push(darling::Error::custom(
                "`#[expose]` belongs on a field, not on the struct; put it on each field that may appear in responses",
            ).with_span(attr.path()));
        }
        let rule = match &rename_all {
            Some(lit) => errors
                .handle(RenameRule::parse(lit).map_err(darling::Error::from))
                .unwrap_or(RenameRule::None),
            None => RenameRule::None,
        };

        let mut table: Option<Path> = None;
        let mut diesel_pk: Option<Ident> = None;
        for item in match diesel_items(&attrs) {
            Ok(items) => items,
            Err(e) => {
                diesel_failed = true;
                errors.push(e.into());
                Vec::new()
            }
        } {
            match item {
                Meta::NameValue(nv) if nv.path.is_ident("table_name") => match &nv.value {
                    Expr::Path(p) => table = Some(p.path.clone()),
                    other => {
                        usable = false;
                        errors.push(
                            darling::Error::custom(
                                "expected a table path, e.g. `table_name = documents`",
                            )
                            .with_span(other),
                        )
                    }
                },
                Meta::List(list) if list.path.is_ident("primary_key") => {
                    match list.parse_args_with(
                        syn::punctuated::Punctuated::<Ident, syn::Token![,]>::parse_terminated,
                    ) {
                        Ok(ids) if ids.len() == 1 => diesel_pk = ids.into_iter().next(),
                        Ok(_) => errors.push(
                            darling::Error::custom(
                                "portcullis resources need a single-column primary key",
                            )
                            .with_span(&list),
                        ),
                        Err(e) => errors.push(e.into()),
                    }
                }
                _ => {}
            }
        }
        // diesel's default table name: the struct name in snake_case plus `s`.
        let table = table.unwrap_or_else(|| {
            let name = Ident::new(&format!("{}s", snake(&ident.to_string())), ident.span());
            name.into()
        });

        let raw_fields = match data {
            darling::ast::Data::Struct(f) => f.fields,
            darling::ast::Data::Enum(_) => Vec::new(), // rejected by `supports(struct_named)`
        };
        if raw_fields.len() > MAX_FIELDS {
            errors.push(darling::Error::custom(format!(
                "a resource may have at most {MAX_FIELDS} fields; this one has {}. Split it into two entities",
                raw_fields.len()
            )).with_span(&ident));
        }

        let mut fields = Vec::with_capacity(raw_fields.len());
        let mut marked_pk = Vec::new();
        for (i, f) in raw_fields.into_iter().enumerate() {
            let Some(fident) = f.ident.clone() else {
                continue;
            };
            let mut expose: Option<ExposeInput> = None;
            let mut column = fident.clone();
            for attr in &f.attrs {
                if attr.path().is_ident("expose") {
                    if expose.is_some() {
                        errors.push(darling::Error::custom(format!(
                            "duplicate `#[expose]` on field `{fident}`; write one `#[expose(..)]` with all its options"
                        )).with_span(attr.path()));
                        continue;
                    }
                    match ExposeInput::from_attr(attr) {
                        Ok(e) => expose = Some(e),
                        Err(e) => errors.push(e),
                    }
                }
            }
            for item in match diesel_items(&f.attrs) {
                Ok(items) => items,
                Err(e) => {
                    diesel_failed = true;
                    errors.push(e.into());
                    Vec::new()
                }
            } {
                if let Meta::NameValue(nv) = item
                    && nv.path.is_ident("column_name")
                {
                    match &nv.value {
                        Expr::Path(p) if p.path.get_ident().is_some() => {
                            column = p.path.get_ident().cloned().unwrap_or(column.clone())
                        }
                        other => {
                            usable = false;
                            errors.push(
                                darling::Error::custom(
                                    "expected a column name, e.g. `column_name = title`",
                                )
                                .with_span(other),
                            )
                        }
                    }
                }
            }
            let nullable = is_option(&f.ty);
            let skip_if_none = expose.as_ref().is_some_and(|e| e.skip_if_none);
            if skip_if_none && !nullable {
                errors.push(darling::Error::custom(format!(
                    "`skip_if_none` needs an `Option` field; `{fident}` is never none, remove `skip_if_none`"
                )).with_span(&f.ty));
            }
            let json = match expose.as_ref().and_then(|e| e.rename.as_ref()) {
                Some(lit) => lit.value(),
                None => rule.apply(&fident.to_string()),
            };
            // A shaped row may carry its capabilities under `_can`; a field there would clash.
            if expose.is_some() && json == "_can" {
                let err = darling::Error::custom(format!(
                    "`{fident}` would serialize as \"_can\", the key shaped rows use for their capabilities; give it another `#[expose(rename = \"..\")]`"
                ));
                errors.push(match expose.as_ref().and_then(|e| e.rename.as_ref()) {
                    Some(lit) => err.with_span(lit),
                    None => err.with_span(&fident),
                });
            }
            if f.primary_key || diesel_pk.as_ref().is_some_and(|p| *p == fident) {
                marked_pk.push(i);
            }
            fields.push(Field {
                ident: fident,
                ty: f.ty.clone(),
                column,
                json,
                exposed: expose.is_some(),
                // Stand-in: a non-`Option` field is always present.
                skip_if_none: skip_if_none && nullable,
                nullable,
                default: f.default,
            });
        }

        for (i, a) in fields.iter().enumerate() {
            if let Some(b) = fields[..i].iter().find(|b| b.json == a.json) {
                errors.push(darling::Error::custom(format!(
                    "fields `{}` and `{}` both serialize as {:?}; give one a different `#[expose(rename = \"..\")]`",
                    b.ident, a.ident, a.json
                )).with_span(&a.ident));
            }
        }

        let pk = match marked_pk.as_slice() {
            [one] => *one,
            [] => match fields.iter().position(|f| f.ident == "id") {
                Some(i) => i,
                None => {
                    errors.push(darling::Error::custom(
                        "no primary key: name the key field `id` or mark it with `#[resource(primary_key)]`",
                    ).with_span(&ident));
                    0
                }
            },
            [_, second, ..] => {
                errors.push(
                    darling::Error::custom("only one field may be the primary key")
                        .with_span(&fields[*second].ident),
                );
                0
            }
        };
        if let Some(f) = fields.get(pk)
            && f.default
        {
            errors.push(darling::Error::custom("the primary key is never part of a create input; remove `#[resource(default)]`").with_span(&f.ident));
        }

        // A field list that failed to parse, or an unreadable `#[diesel(..)]`, leaves no
        // model to generate from.
        let usable = usable && !fields.is_empty() && fields.len() <= MAX_FIELDS && !diesel_failed;
        Checked {
            model: Resource {
                ident,
                vis,
                table,
                conceal,
                fields,
                pk,
                krate,
            },
            errors: errors.finish().err(),
            usable,
        }
    }
}
