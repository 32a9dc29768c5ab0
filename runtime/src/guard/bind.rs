//! `Bind<E, A>`: one row loaded by id together with its scope condition, and the writes on it
//! (`update`, `delete`) that re-check the scope in the same SQL statement.

use crate::backend::db::Database;
use crate::backend::ops::{BackendOps, ScopeSql, Stored, on_backend};
use crate::guard::write::Patch;
use crate::http::problem::{FieldError, Problem};
use crate::model::action::{Action, Delete, Governs, Read, Update};
use crate::model::resource::Resource;
use crate::model::shaped::Shaped;
use crate::policy::ability::Ability;
use crate::policy::rules::RuleSet;
use crate::policy::scope::WriteScope;
use std::marker::PhantomData;

/// A row of `E` the subject may `A`, loaded by primary key in one query that also evaluates
/// the scope: no row → 404, row outside the scope → 403 (404 for `#[resource(conceal)]`).
pub struct Bind<E: Governs<A>, A: Action> {
    row: E,
    ability: Ability<E>,
    _a: PhantomData<fn() -> A>,
}

impl<E: Governs<A>, A: Action> std::fmt::Debug for Bind<E, A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Bind<{}, {}>({:?})", E::NAME, A::NAME, self.row.id())
    }
}

/// The problem for a row the subject may not act on: 403, or 404 when the resource conceals
/// existence. The reason and the deciding rules (from [`Ability::explain`]) go to the log on
/// `portcullis::authz`; the route and principal come with the guarded handler's span.
pub(crate) fn out_of_scope<E: Resource>(
    action: &str,
    id: &dyn std::fmt::Debug,
    reason: &str,
    rule: &crate::policy::ability::Explanation,
) -> Problem {
    tracing::warn!(target: "portcullis::authz", entity = E::NAME, action, id = ?id, reason, rule = %rule, "denied");
    if E::CONCEAL {
        Problem::not_found()
    } else {
        Problem::forbidden()
    }
}

impl<E: Governs<A> + Stored, A: Action> Bind<E, A> {
    /// Loads row `id` if the subject may `A` it.
    pub async fn load<R: RuleSet<E> + Clone>(
        ability: &Ability<E, R>,
        pool: &(impl Database + ?Sized),
        id: E::Id,
    ) -> Result<Self, Problem> {
        let scope = ability.scope::<A>();
        let found = on_backend!(pool.__pool(), |conn: DB| {
            <E as BackendOps<DB>>::find_in_scope(
                &mut conn,
                id.clone(),
                ScopeSql::<E::Table, DB>::sql_filter(&scope),
            )
            .await
        })
        .map_err(crate::backend::db::DbError::from)?;
        match found {
            None => {
                tracing::debug!(target: "portcullis::scope", entity = E::NAME, id = ?id, "no such row");
                Err(Problem::not_found())
            }
            Some((row, false)) => Err(out_of_scope::<E>(
                A::NAME,
                &id,
                "out_of_scope",
                &ability.explain::<A>(&row),
            )),
            Some((row, true)) => {
                tracing::debug!(target: "portcullis::authz", entity = E::NAME, action = A::NAME, id = ?id, "granted");
                Ok(Self {
                    row,
                    ability: scope.ability(),
                    _a: PhantomData,
                })
            }
        }
    }

    /// Like [`Bind::load`] with the id as it came in a path; a malformed id is a 400.
    pub async fn load_str<R: RuleSet<E> + Clone>(
        ability: &Ability<E, R>,
        pool: &(impl Database + ?Sized),
        id: &str,
    ) -> Result<Self, Problem> {
        // `.ok()` drops the parse error (not necessarily `Send`) before the await.
        match id.parse::<E::Id>().ok() {
            Some(id) => Self::load(ability, pool, id).await,
            None => {
                tracing::debug!(target: "portcullis::scope", entity = E::NAME, "malformed id in path");
                Err(Problem::bad_request().with_detail("The resource id is malformed."))
            }
        }
    }

    /// The row.
    pub fn get(&self) -> &E {
        &self.row
    }

    /// The row, taken out.
    pub fn into_inner(self) -> E {
        self.row
    }

    /// The ability the row was checked with.
    pub fn ability(&self) -> &Ability<E> {
        &self.ability
    }

    /// The row shaped for a response.
    pub fn shape(self) -> Shaped<E>
    where
        E: Governs<Read>,
    {
        self.ability.shape(self.row)
    }

    /// Applies `patch` and returns the updated row. Every patched field must be permitted for
    /// `update` on this row (403 naming the fields otherwise); the `UPDATE` carries the update
    /// scope and, for each written field, the rules that permit it (and no field-list deny
    /// removing it) in its `WHERE`, so a row that left the scope or the field's permission
    /// since it was read is not written (409).
    pub async fn update(
        self,
        patch: Patch<E>,
        pool: &(impl Database + ?Sized),
    ) -> Result<Self, Problem>
    where
        E: Governs<Update>,
    {
        let id = self.row.id().clone();
        if !self.ability.can::<Update>(&self.row) {
            return Err(out_of_scope::<E>(
                "update",
                &id,
                "no_grant",
                &self.ability.explain::<Update>(&self.row),
            ));
        }
        let permitted = self.ability.permitted_fields::<Update>(&self.row);
        let refused = patch.fields().minus(permitted);
        if !refused.is_empty() {
            let errors: Vec<FieldError> = refused
                .indices()
                .map(|i| {
                    FieldError::new(
                        E::JSON_NAMES[i],
                        "not_permitted",
                        "This field may not be changed.",
                    )
                })
                .collect();
            tracing::warn!(target: "portcullis::authz", entity = E::NAME, action = "update", id = ?id,
                fields = ?refused, reason = "field_not_permitted",
                rule = %self.ability.explain::<Update>(&self.row), "denied");
            let mut p = Problem::forbidden()
                .with_detail("The request changes fields that may not be changed.");
            for e in errors {
                p = p.with_error(e);
            }
            return Err(p);
        }
        if patch.fields().is_empty() {
            return Ok(self);
        }
        let scope = self.ability.scope::<Update>();
        // The WHERE re-checks the scope and, per written field, the rules that permit it.
        let write_scope = WriteScope {
            scope: &scope,
            fields: patch.fields().bits(),
        };
        let updated = on_backend!(pool.__pool(), |conn: DB| {
            <E as BackendOps<DB>>::update_in_scope(
                &mut conn,
                id.clone(),
                ScopeSql::<E::Table, DB>::sql_filter(&write_scope),
                patch.into_changes(),
            )
            .await
        })
        .map_err(crate::backend::db::DbError::from)?;
        match updated {
            Some(row) => Ok(Self {
                row,
                ability: self.ability,
                _a: PhantomData,
            }),
            None => {
                tracing::warn!(target: "portcullis::authz", entity = E::NAME, action = "update", id = ?id,
                    reason = "left_scope", "row left the scope before the write; not written");
                Err(Problem::conflict()
                    .with_detail("The resource changed while the request was processed."))
            }
        }
    }

    /// Deletes the row; the `DELETE` carries the delete scope in its `WHERE` (409 when the row
    /// left the scope since it was read).
    pub async fn delete(self, pool: &(impl Database + ?Sized)) -> Result<(), Problem>
    where
        E: Governs<Delete>,
    {
        let id = self.row.id().clone();
        if !self.ability.can::<Delete>(&self.row) {
            return Err(out_of_scope::<E>(
                "delete",
                &id,
                "no_grant",
                &self.ability.explain::<Delete>(&self.row),
            ));
        }
        let scope = self.ability.scope::<Delete>();
        let n = on_backend!(pool.__pool(), |conn: DB| {
            <E as BackendOps<DB>>::delete_in_scope(
                &mut conn,
                id.clone(),
                ScopeSql::<E::Table, DB>::sql_filter(&scope),
            )
            .await
        })
        .map_err(crate::backend::db::DbError::from)?;
        if n == 0 {
            tracing::warn!(target: "portcullis::authz", entity = E::NAME, action = "delete", id = ?id,
                reason = "left_scope", "row left the scope before the delete; not deleted");
            return Err(Problem::conflict()
                .with_detail("The resource changed while the request was processed."));
        }
        Ok(())
    }
}
