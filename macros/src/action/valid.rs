//! Checks of a `#[derive(Action)]` input; every error is reported.

use super::ast::Action;
use super::attr::ActionInput;
use darling::ast::{Data, Style};

pub fn validate(input: ActionInput) -> (Action, Option<darling::Error>) {
    let mut errors = darling::Error::accumulator();
    let ident = input.ident;
    let krate = errors
        .handle(crate::door::crate_from_attrs(&input.attrs))
        .flatten();
    let is_unit = matches!(&input.data, Data::Struct(f) if f.style == Style::Unit);
    if !is_unit || !input.generics.params.is_empty() {
        errors.push(
            darling::Error::custom(format!(
                "`#[derive(Action)]` needs a unit struct without generics: `struct {ident};`"
            ))
            .with_span(&ident),
        );
    }
    let model = Action {
        name: crate::case::snake(&ident.to_string()),
        implementable: input.generics.params.is_empty(),
        ident,
        krate,
    };
    (model, errors.finish().err())
}
