//! Write inputs: `Patch<E>` (partial update from a JSON object) and `Insert<E>` (a new row
//! checked against the `create` rule before the `INSERT`). Both read JSON field by field so a
//! client hears exactly which field is unknown, malformed or not permitted.
//!
//! In a guarded handler both are extractors of a JSON body:
//!
//! ```
//! # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
//! use portcullis::{Bind, Insert, Db, Patch, Principal, Problem, Shaped, Update, guarded};
//!
//! #[guarded(auth)]
//! async fn create(
//!     Principal(user): Principal<User>,
//!     db: Db,
//!     input: Insert<Document>,
//! ) -> Result<Shaped<Document>, Problem> {
//!     let ability = documents(&user);
//!     let row = input.insert(&ability, &db).await?;
//!     Ok(ability.shape(row))
//! }
//!
//! #[guarded(auth)]
//! async fn edit(doc: Bind<Document, Update>, db: Db, patch: Patch<Document>) -> Result<Shaped<Document>, Problem> {
//!     Ok(doc.update(patch, &db).await?.shape())
//! }
//! ```

use crate::backend::db::Database;
use crate::backend::ops::{BackendOps, Stored, on_backend};
use crate::http::problem::{FieldError, Problem};
use crate::model::action::{Create, Governs};
use crate::model::resource::{FieldSet, Resource, SetField};
use crate::policy::ability::Ability;
use crate::policy::rules::RuleSet;

/// Reads a JSON object field by field into `target` with `set`; 400 for bytes that are not
/// JSON, 422 listing every unknown, read-only or malformed field, and every field whose text
/// holds U+0000 (which PostgreSQL cannot store).
fn read_object<E: Resource, T>(
    bytes: &[u8],
    target: &mut T,
    set: fn(&mut T, &str, serde_json::Value) -> SetField<E>,
) -> Result<FieldSet<E>, Problem> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        tracing::debug!(target: "portcullis::scope", entity = E::NAME, error = %e, "malformed JSON body");
        Problem::bad_request().with_detail("The request body is not valid JSON.")
    })?;
    let serde_json::Value::Object(map) = value else {
        return Err(Problem::unprocessable(vec![FieldError::new(
            "",
            "not_an_object",
            "The request body must be a JSON object.",
        )]));
    };
    let mut present = FieldSet::EMPTY;
    let mut errors = Vec::new();
    for (name, v) in map {
        if contains_nul(&v) {
            // PostgreSQL text and jsonb cannot hold U+0000 (the INSERT would fail as a 500);
            // refused on every backend so they answer alike.
            tracing::debug!(target: "portcullis::scope", entity = E::NAME, field = %name, "NUL character in a text value");
            errors.push(FieldError::new(
                name,
                "invalid",
                "Text may not contain the NUL character (U+0000).",
            ));
            continue;
        }
        match set(target, &name, v) {
            SetField::Set(f) => present = present | f,
            SetField::Unknown => {
                errors.push(FieldError::new(name, "unknown_field", "No such field."))
            }
            SetField::ReadOnly(_) => errors.push(FieldError::new(
                name,
                "read_only",
                "This field cannot be set.",
            )),
            SetField::Invalid(_, why) => {
                tracing::debug!(target: "portcullis::scope", entity = E::NAME, field = %name, error = %why, "invalid field value");
                errors.push(FieldError::new(
                    name,
                    "invalid",
                    "This value has the wrong type.",
                ));
            }
        }
    }
    if errors.is_empty() {
        Ok(present)
    } else {
        Err(Problem::unprocessable(errors))
    }
}

/// Whether a string anywhere in `v` (values and object keys) holds U+0000.
fn contains_nul(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::String(s) => s.contains('\0'),
        serde_json::Value::Array(items) => items.iter().any(contains_nul),
        serde_json::Value::Object(map) => {
            map.iter().any(|(k, v)| k.contains('\0') || contains_nul(v))
        }
        _ => false,
    }
}

/// A partial update of `E`: the fields present in the JSON body, typed. Which of them may be
/// written is decided per row by [`Bind::update`](crate::bind::Bind::update).
///
/// # Examples
///
/// ```
/// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
/// use portcullis::{Patch, Resource};
///
/// let patch = Patch::<Document>::from_json(br#"{"title":"Plan B"}"#)?;
/// assert_eq!(patch.fields(), Document::FIELDS.title.set());
/// assert_eq!(format!("{patch:?}"), r#"Patch<Document>({"title"})"#);
/// # Ok::<(), portcullis::Problem>(())
/// ```
pub struct Patch<E: Resource> {
    changes: E::Patch,
    present: FieldSet<E>,
}

impl<E: Resource> std::fmt::Debug for Patch<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Patch<{}>({:?})", E::NAME, self.present)
    }
}

impl<E: Resource> Patch<E> {
    /// Reads a JSON object: 400 if the body is not JSON, 422 for unknown, read-only or
    /// malformed fields.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::Patch;
    ///
    /// let bad = Patch::<Document>::from_json(br#"{"titel":"x","id":5,"owner_id":"two"}"#).unwrap_err();
    /// assert_eq!(bad.status(), http::StatusCode::UNPROCESSABLE_ENTITY);
    /// let codes: Vec<(&str, &str)> = bad.errors().iter().map(|e| (&*e.field, &*e.code)).collect();
    /// assert!(codes.contains(&("titel", "unknown_field")));
    /// assert!(codes.contains(&("id", "read_only")));
    /// assert!(codes.contains(&("owner_id", "invalid")));
    /// let not_json = Patch::<Document>::from_json(b"title=x").unwrap_err();
    /// assert_eq!(not_json.status(), http::StatusCode::BAD_REQUEST);
    /// ```
    pub fn from_json(bytes: &[u8]) -> Result<Self, Problem> {
        let mut changes = E::Patch::default();
        let present = read_object(bytes, &mut changes, E::__patch_set)?;
        Ok(Self { changes, present })
    }

    /// The fields the patch changes.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::Patch;
    ///
    /// let patch = Patch::<Document>::from_json(br#"{"title":"t","archived":true}"#)?;
    /// assert_eq!(patch.fields().names().collect::<Vec<_>>(), ["title", "archived"]);
    /// # Ok::<(), portcullis::Problem>(())
    /// ```
    pub fn fields(&self) -> FieldSet<E> {
        self.present
    }

    pub(crate) fn into_changes(self) -> E::Patch {
        self.changes
    }
}

/// A new row of `E` from a JSON body, inserted only if the `create` rule allows it.
///
/// The write input, not the action (that is [`crate::Create`]).
///
/// # Examples
///
/// ```
/// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
/// use portcullis::Insert;
///
/// # block_on(async {
/// # let pool = pool().await;
/// let ability = documents(&alice());
/// // `tenant_id` and `owner_id` are pinned from the rule: `.. where tenant_id == user.tenant_id && owner_id == user.id`.
/// let row = Insert::<Document>::from_json(br#"{"title":"Notes"}"#)?.insert(&ability, &pool).await?;
/// assert_eq!((row.tenant_id, row.owner_id, row.title.as_str()), (1, 1, "Notes"));
/// # Ok::<(), portcullis::Problem>(()) }).unwrap();
/// ```
pub struct Insert<E: Resource> {
    input: E::Create,
    present: FieldSet<E>,
}

impl<E: Resource> std::fmt::Debug for Insert<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Insert<{}>({:?})", E::NAME, self.present)
    }
}

impl<E: Resource> Insert<E> {
    /// Reads a JSON object: 400 if the body is not JSON, 422 for unknown, read-only or
    /// malformed fields.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::Insert;
    ///
    /// let input = Insert::<Document>::from_json(br#"{"title":"Notes"}"#)?;
    /// assert_eq!(format!("{input:?}"), r#"Insert<Document>({"title"})"#);
    /// let bad = Insert::<Document>::from_json(br#"["title"]"#).unwrap_err();
    /// assert_eq!(bad.errors()[0].code, "not_an_object");
    /// # Ok::<(), portcullis::Problem>(())
    /// ```
    pub fn from_json(bytes: &[u8]) -> Result<Self, Problem> {
        let mut input = E::Create::default();
        let present = read_object(bytes, &mut input, E::__create_set)?;
        Ok(Self { input, present })
    }

    /// The fields the client supplied.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::{Insert, Resource};
    ///
    /// let input = Insert::<Document>::from_json(br#"{"title":"Notes"}"#)?;
    /// assert_eq!(input.fields(), Document::FIELDS.title.set());
    /// # Ok::<(), portcullis::Problem>(())
    /// ```
    pub fn fields(&self) -> FieldSet<E> {
        self.present
    }
}

impl<E: Resource + Governs<Create> + Stored> Insert<E> {
    /// Checks the row against the `create` rules and inserts it. For each `allow!(create ..)` in
    /// order, fields the client left out are filled from the rule's pins
    /// (`tenant_id == user.tenant_id`); the first candidate the ability allows, with every
    /// supplied field permitted, is inserted. 422 names missing fields, 403 refused ones.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::{Insert, Policy, Read};
    ///
    /// # block_on(async {
    /// # let pool = pool().await;
    /// let row = Insert::<Document>::from_json(br#"{"title":"Notes"}"#)?
    ///     .insert(&documents(&alice()), &pool)
    ///     .await?;
    /// assert!(Document::scope_for::<Read>(&alice()).contains(&row));
    /// // Setting another tenant is mass assignment: 403 naming the field.
    /// let input = Insert::<Document>::from_json(br#"{"title":"x","tenant_id":2}"#)?;
    /// let refused = input.insert(&documents(&alice()), &pool).await.unwrap_err();
    /// assert_eq!(refused.errors()[0].field, "tenant_id");
    /// # Ok::<(), portcullis::Problem>(()) }).unwrap();
    /// ```
    pub async fn insert<R: RuleSet<E>>(
        self,
        ability: &Ability<E, R>,
        pool: &(impl Database + ?Sized),
    ) -> Result<E, Problem> {
        let row = self.check(ability)?;
        let inserted = on_backend!(pool.__pool(), |conn: DB| <E as BackendOps<DB>>::insert(
            &mut conn, row
        )
        .await);
        match inserted {
            Ok(row) => Ok(row),
            Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation
                | diesel::result::DatabaseErrorKind::ForeignKeyViolation,
                info,
            )) => {
                tracing::info!(target: "portcullis::scope", entity = E::NAME, error = %info.message(), "insert conflict");
                Err(Problem::conflict().with_detail("The resource conflicts with existing data."))
            }
            Err(e) => Err(crate::backend::db::DbError::from(e).into()),
        }
    }

    /// The row [`Insert::insert`] would insert, or the problem it would answer.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::Insert;
    ///
    /// let input = Insert::<Document>::from_json(br#"{"title":"Notes"}"#)?;
    /// let row = input.check(&documents(&bob()))?;
    /// assert_eq!((row.tenant_id, row.owner_id), (1, 2)); // pinned to Bob
    /// # Ok::<(), portcullis::Problem>(())
    /// ```
    pub fn check<R: RuleSet<E>>(&self, ability: &Ability<E, R>) -> Result<E, Problem> {
        let bit = <E as Governs<Create>>::BIT;
        let mut pins = Vec::new();
        ability.rules().pins(bit, &mut pins);
        let mut missing: Option<Vec<&'static str>> = None;
        let mut refused: Option<FieldSet<E>> = None;
        for pin in &pins {
            let mut input = self.input.clone();
            pin(&mut input, false);
            let candidate = match E::__candidate(&input) {
                Ok(c) => c,
                Err(m) => {
                    missing.get_or_insert(m);
                    continue;
                }
            };
            if !ability.can::<Create>(&candidate) {
                continue;
            }
            let not_permitted = self
                .present
                .minus(ability.permitted_fields::<Create>(&candidate));
            if not_permitted.is_empty() {
                return Ok(candidate);
            }
            refused.get_or_insert(not_permitted);
        }
        // No candidate was allowed as sent. If the rule's own values would be allowed, the
        // client supplied fields it may not set (mass assignment): name them.
        if refused.is_none() {
            for pin in &pins {
                let mut input = self.input.clone();
                pin(&mut input, true);
                if let Ok(candidate) = E::__candidate(&input)
                    && ability.can::<Create>(&candidate)
                {
                    let not_permitted = self
                        .present
                        .minus(ability.permitted_fields::<Create>(&candidate));
                    if !not_permitted.is_empty() {
                        refused = Some(not_permitted);
                        break;
                    }
                }
            }
        }
        if let Some(fields) = refused {
            tracing::warn!(target: "portcullis::authz", entity = E::NAME, action = "create", fields = ?fields,
                reason = "field_not_permitted", "denied");
            let mut p =
                Problem::forbidden().with_detail("The request sets fields that may not be set.");
            for i in fields.indices() {
                p = p.with_error(FieldError::new(
                    E::JSON_NAMES[i],
                    "not_permitted",
                    "This field may not be set.",
                ));
            }
            return Err(p);
        }
        match missing {
            Some(m) if !m.is_empty() => Err(Problem::unprocessable(
                m.into_iter()
                    .map(|f| FieldError::new(f, "missing", "This field is required."))
                    .collect(),
            )),
            _ => {
                // Nothing exists yet, so there is nothing to conceal: always 403.
                tracing::warn!(target: "portcullis::authz", entity = E::NAME, action = "create", reason = "no_grant", "denied");
                Err(Problem::forbidden())
            }
        }
    }
}
