//! `Bind<E, A>`: one row loaded by id together with its scope condition, and the writes on it
//! (`update`, `delete`) that re-check the scope in the same SQL statement.

use crate::backend::db::{Database, Pool};
use crate::backend::ops::{BackendOps, ScopeSql, Stored, on_backend};
use crate::guard::write::Patch;
use crate::http::problem::{FieldError, Problem};
use crate::model::BoxFuture;
use crate::model::action::{Action, Capabilities, Delete, Governs, Read, Update};
use crate::model::resource::Resource;
use crate::model::shaped::Shaped;
use crate::policy::ability::Ability;
use crate::policy::rules::RuleSet;
use crate::policy::scope::WriteScope;
use std::marker::PhantomData;

/// A row of `E` the subject may `A`, loaded by primary key in one query that also evaluates
/// the scope: no row → 404, row outside the scope → 403 (404 for `#[resource(conceal)]`).
///
/// In a guarded handler it is an extractor that loads the row named by the path; elsewhere
/// [`Bind::load`] does the same.
///
/// # Examples
///
/// ```
/// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
/// use portcullis::{Bind, Read, Update};
///
/// # block_on(async {
/// # let pool = pool().await;
/// let ability = documents(&alice());
/// let plan = Bind::<Document, Update>::load(&ability, &pool, 1).await?;
/// assert_eq!(plan.get().title, "Plan");
/// // Bob's document: Alice may read it, not update it.
/// let refused = Bind::<Document, Update>::load(&ability, &pool, 2).await.unwrap_err();
/// assert_eq!(refused.status(), http::StatusCode::FORBIDDEN);
/// let missing = Bind::<Document, Read>::load(&ability, &pool, 9).await.unwrap_err();
/// assert_eq!(missing.status(), http::StatusCode::NOT_FOUND);
/// # Ok::<(), portcullis::Problem>(()) }).unwrap();
/// ```
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
    /// Loads row `id` if the subject may `A` it: 404 when there is no such row, 403 (or 404
    /// with `#[resource(conceal)]`) when it is outside the scope.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::{Bind, Read, Update};
    ///
    /// # block_on(async {
    /// # let pool = pool().await;
    /// let doc = Bind::<Document, Read>::load(&documents(&alice()), &pool, 2).await?;
    /// assert_eq!(doc.get().owner_id, 2);
    /// let other = Bind::<Document, Read>::load(&documents(&alice()), &pool, 3).await;
    /// assert_eq!(other.unwrap_err().status(), http::StatusCode::FORBIDDEN);
    /// # Ok::<(), portcullis::Problem>(()) }).unwrap();
    /// ```
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
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::{Bind, Read, Update};
    ///
    /// # block_on(async {
    /// # let pool = pool().await;
    /// let ability = documents(&alice());
    /// assert_eq!(Bind::<Document, Read>::load_str(&ability, &pool, "1").await?.get().id, 1);
    /// let bad = Bind::<Document, Read>::load_str(&ability, &pool, "one").await.unwrap_err();
    /// assert_eq!(bad.status(), http::StatusCode::BAD_REQUEST);
    /// # Ok::<(), portcullis::Problem>(()) }).unwrap();
    /// ```
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
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::{Bind, Read, Update};
    ///
    /// # block_on(async {
    /// # let pool = pool().await;
    /// let doc = Bind::<Document, Read>::load(&documents(&alice()), &pool, 1).await?;
    /// assert_eq!(doc.get().title, "Plan");
    /// # Ok::<(), portcullis::Problem>(()) }).unwrap();
    /// ```
    pub fn get(&self) -> &E {
        &self.row
    }

    /// The row, taken out.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::{Bind, Read, Update};
    ///
    /// # block_on(async {
    /// # let pool = pool().await;
    /// let doc: Document = Bind::<Document, Read>::load(&documents(&alice()), &pool, 1).await?.into_inner();
    /// assert_eq!(doc.id, 1);
    /// # Ok::<(), portcullis::Problem>(()) }).unwrap();
    /// ```
    pub fn into_inner(self) -> E {
        self.row
    }

    /// The ability the row was checked with, for further decisions on the same row.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::{Bind, Read, Update};
    ///
    /// # block_on(async {
    /// # let pool = pool().await;
    /// let doc = Bind::<Document, Read>::load(&documents(&alice()), &pool, 2).await?;
    /// assert!(!doc.ability().can::<Update>(doc.get())); // Bob's document
    /// # Ok::<(), portcullis::Problem>(()) }).unwrap();
    /// ```
    pub fn ability(&self) -> &Ability<E> {
        &self.ability
    }

    /// The row shaped for a response.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::{Bind, Read, Update};
    ///
    /// # block_on(async {
    /// # let pool = pool().await;
    /// let doc = Bind::<Document, Read>::load(&documents(&alice()), &pool, 1).await?;
    /// let json = serde_json::to_string(&doc.shape()).unwrap();
    /// assert_eq!(json, r#"{"id":1,"owner_id":1,"title":"Plan"}"#);
    /// # Ok::<(), portcullis::Problem>(()) }).unwrap();
    /// ```
    pub fn shape(self) -> Shaped<E>
    where
        E: Governs<Read>,
    {
        self.ability.shape(self.row)
    }

    /// Shapes the row with which of `actions` the subject may take on it, as a `"_can"` object
    /// (see [`Ability::shape_with_capabilities`](crate::policy::ability::Ability::shape_with_capabilities)).
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::{Bind, Delete, Read, Update};
    ///
    /// # block_on(async {
    /// # let pool = pool().await;
    /// let doc = Bind::<Document, Read>::load(&documents(&alice()), &pool, 1).await?;
    /// let json = serde_json::to_string(&doc.shape_with_capabilities((Update, Delete))).unwrap();
    /// assert_eq!(
    ///     json,
    ///     r#"{"id":1,"owner_id":1,"title":"Plan","_can":{"update":true,"delete":false}}"#
    /// );
    /// # Ok::<(), portcullis::Problem>(()) }).unwrap();
    /// ```
    pub fn shape_with_capabilities<C: Capabilities<E>>(self, actions: C) -> Shaped<E>
    where
        E: Governs<Read>,
    {
        self.ability.shape_with_capabilities(self.row, actions)
    }

    /// Applies `patch` and returns the updated row. Every patched field must be permitted for
    /// `update` on this row (403 naming the fields otherwise); the `UPDATE` carries the update
    /// scope and, for each written field, the rules that permit it (and no field-list deny
    /// removing it) in its `WHERE`, so a row that left the scope or the field's permission
    /// since it was read is not written (409).
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::{Bind, Read, Update};
    ///
    /// # block_on(async {
    /// # let pool = pool().await;
    /// use portcullis::Patch;
    ///
    /// let doc = Bind::<Document, Update>::load(&documents(&alice()), &pool, 1).await?;
    /// let doc = doc.update(Patch::from_json(br#"{"title":"Plan B"}"#)?, &pool).await?;
    /// assert_eq!(doc.get().title, "Plan B");
    /// // `owner_id` is not in `allow!(update(title) ..)`: 403 naming the field.
    /// let doc = Bind::<Document, Update>::load(&documents(&alice()), &pool, 1).await?;
    /// let refused = doc.update(Patch::from_json(br#"{"owner_id":2}"#)?, &pool).await.unwrap_err();
    /// assert_eq!(refused.status(), http::StatusCode::FORBIDDEN);
    /// assert_eq!(refused.errors()[0].field, "owner_id");
    /// # Ok::<(), portcullis::Problem>(()) }).unwrap();
    /// ```
    pub fn update<'a>(
        self,
        patch: Patch<E>,
        pool: &'a (impl Database + ?Sized),
    ) -> BoxFuture<'a, Result<Self, Problem>>
    where
        E: Governs<Update>,
    {
        // Not an `async fn`: its bounds would be checked (and a missing `allow!(update ..)`
        // reported) at the method, the call and the `.await`; here only at the method.
        Box::pin(self.update_on(patch, pool.__pool()))
    }

    async fn update_on(self, patch: Patch<E>, pool: &Pool) -> Result<Self, Problem>
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
        let updated = on_backend!(pool, |conn: DB| {
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
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::{Bind, Read, Update};
    ///
    /// # block_on(async {
    /// # let pool = pool().await;
    /// use portcullis::{Delete, Policy};
    ///
    /// // Bob is an admin of tenant 1: `allow!(delete where tenant_id == user.tenant_id)`.
    /// let doc = Bind::<Document, Delete>::load(&documents(&bob()), &pool, 1).await?;
    /// doc.delete(&pool).await?;
    /// assert_eq!(Document::scope_for::<Read>(&bob()).query().count(&pool).await?, 1);
    /// # Ok::<(), portcullis::Problem>(()) }).unwrap();
    /// ```
    pub fn delete<'a>(
        self,
        pool: &'a (impl Database + ?Sized),
    ) -> BoxFuture<'a, Result<(), Problem>>
    where
        E: Governs<Delete>,
    {
        // Not an `async fn`, for one error on a missing `allow!(delete ..)` (see `update`).
        Box::pin(self.delete_on(pool.__pool()))
    }

    async fn delete_on(self, pool: &Pool) -> Result<(), Problem>
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
        let n = on_backend!(pool, |conn: DB| {
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
