//! Abilities: the rules a `#[policy]` collected for one subject, and the decisions, field sets
//! and SQL filters they give.
//!
//! Semantics (README "Entities, policies, scopes"): a subject may do `A` on row `r` iff some `allow` for `A`
//! matches `r` and no field-less `deny` for `A` matches `r`. Permitted fields are the union of
//! the field lists of matching allows (no list = all fields) minus the fields of matching denies
//! that carry a list. The SQL scope is `(any allow) AND NOT (any field-less deny)`; no allow at
//! all is `FALSE`.
//!
//! ```
//! # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
//! use portcullis::{Read, Update};
//!
//! // `#[policy(Document, subject = User)] fn documents(user: &User) { allow!(..); .. }`
//! let ability = documents(&alice());
//! assert!(ability.can::<Read>(&doc(2, 1, 2, "Budget"))); // her tenant's
//! assert!(!ability.can::<Update>(&doc(2, 1, 2, "Budget"))); // but not hers
//! assert!(!ability.can::<Read>(&doc(3, 2, 3, "Other tenant")));
//! ```

use crate::model::action::{Action, Capabilities, Governs, Read};
use crate::model::resource::{FieldSet, Resource};
use crate::model::shaped::{Shape, Shaped};
use std::marker::PhantomData;
use std::sync::Arc;

use crate::policy::rules::{DynRules, Effect, Eval, RuleSet, RuleSite};

/// Why a decision came out as it did; stable codes for logs and problems.
///
/// # Examples
///
/// ```
/// use portcullis::Reason;
///
/// assert_eq!(Reason::NoGrant.code(), "no_grant");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// An allow matched and no deny did.
    Granted,
    /// No allow for the action matched the row.
    NoGrant,
    /// A field-less deny matched.
    Denied,
}

impl Reason {
    /// The stable code: `granted`, `no_grant`, `denied_by_rule`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(portcullis::Reason::Denied.code(), "denied_by_rule");
    /// ```
    pub fn code(self) -> &'static str {
        match self {
            Reason::Granted => "granted",
            Reason::NoGrant => "no_grant",
            Reason::Denied => "denied_by_rule",
        }
    }
}

/// The deciding rules of one decision (see [`Ability::explain`]). `Display` gives the
/// action, the decision, its reason code and each deciding rule with its source location.
///
/// # Examples
///
/// ```
/// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
/// use portcullis::{Reason, Update};
///
/// let mut archived = doc(1, 1, 1, "Plan");
/// archived.archived = true;
/// let why = documents(&alice()).explain::<Update>(&archived);
/// assert_eq!((why.allowed, why.reason), (false, Reason::Denied));
/// assert_eq!(why.rules[0].text, "deny!(update where archived)");
/// assert!(why.to_string().starts_with("update denied (denied_by_rule); deny!(update where archived) at "));
/// ```
#[derive(Debug, Clone)]
pub struct Explanation {
    /// The action asked about.
    pub action: &'static str,
    /// The decision.
    pub allowed: bool,
    /// Why.
    pub reason: Reason,
    /// The rules that decided: the matching allows for a grant, the matching denies for a
    /// denial by rule, and every considered allow (none matched) for `no_grant`.
    pub rules: Vec<&'static RuleSite>,
}

impl std::fmt::Display for Explanation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} ({})",
            self.action,
            if self.allowed { "allowed" } else { "denied" },
            self.reason.code()
        )?;
        for r in &self.rules {
            write!(f, "; {r}")?;
        }
        Ok(())
    }
}

/// The rules a policy collected for one subject. `R` is the concrete rule set `#[policy]` builds
/// (decisions inline like a hand-written `if`); [`Ability::into_dyn`] erases it.
///
/// The `#[policy]` function returns one; [`Policy::ability`](crate::policy::Policy::ability) returns the erased form.
///
/// # Examples
///
/// ```
/// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
/// use portcullis::{Ability, Delete, Policy, Read};
///
/// let member = documents(&alice());
/// let admin: Ability<Document> = Document::ability(&bob());
/// let budget = doc(2, 1, 2, "Budget");
/// assert!(member.can::<Read>(&budget) && admin.can::<Read>(&budget));
/// assert!(!member.can::<Delete>(&budget));
/// assert!(admin.can::<Delete>(&budget));
/// ```
pub struct Ability<E: Resource, R = DynRules<E>> {
    rules: R,
    _e: PhantomData<fn() -> E>,
}

impl<E: Resource, R: Clone> Clone for Ability<E, R> {
    fn clone(&self) -> Self {
        Self {
            rules: self.rules.clone(),
            _e: PhantomData,
        }
    }
}

impl<E: Resource, R: RuleSet<E>> Ability<E, R> {
    #[doc(hidden)]
    pub fn __new(rules: R) -> Self {
        Self {
            rules,
            _e: PhantomData,
        }
    }

    /// Erases the rule set's type (one allocation) so the ability can be stored and shared.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::{Ability, Read};
    ///
    /// struct Session {
    ///     documents: Ability<Document>,
    /// }
    /// let session = Session { documents: documents(&alice()).into_dyn() };
    /// assert!(session.documents.can::<Read>(&doc(1, 1, 1, "Plan")));
    /// ```
    pub fn into_dyn(self) -> Ability<E> {
        Ability {
            rules: Arc::new(self.rules),
            _e: PhantomData,
        }
    }

    #[inline(always)]
    fn eval<A: Action>(&self, row: &E) -> Eval
    where
        E: Governs<A>,
    {
        let mut acc = Eval::default();
        self.rules.eval(<E as Governs<A>>::BIT, row, &mut acc);
        acc
    }

    /// Whether the subject may do `A` on `row`: some allow for `A` matches it and no
    /// field-less deny does.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::Update;
    ///
    /// let ability = documents(&alice());
    /// let mut plan = doc(1, 1, 1, "Plan");
    /// assert!(ability.can::<Update>(&plan)); // her own
    /// plan.archived = true;
    /// assert!(!ability.can::<Update>(&plan)); // `deny!(update where archived)`
    /// ```
    #[inline]
    pub fn can<A: Action>(&self, row: &E) -> bool
    where
        E: Governs<A>,
    {
        let bit = <E as Governs<A>>::BIT;
        !self.rules.denies(bit, row) && self.rules.allows(bit, row)
    }

    /// The fields the subject may use for `A` on `row`; empty when `A` is not allowed at all.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::{FieldSet, Resource, Update};
    ///
    /// let ability = documents(&alice());
    /// let fields = ability.permitted_fields::<Update>(&doc(1, 1, 1, "Plan"));
    /// assert_eq!(fields, Document::FIELDS.title.set()); // `allow!(update(title) where ..)`
    /// let none = ability.permitted_fields::<Update>(&doc(2, 1, 2, "Budget"));
    /// assert_eq!(none, FieldSet::EMPTY);
    /// ```
    #[inline]
    pub fn permitted_fields<A: Action>(&self, row: &E) -> FieldSet<E>
    where
        E: Governs<A>,
    {
        let e = self.eval::<A>(row);
        if e.allowed && !e.denied {
            FieldSet::<E>::all().intersect(FieldSet::from_bits(e.fields & !e.removed))
        } else {
            FieldSet::EMPTY
        }
    }

    /// The decision for `A` on `row` with the rules that made it (what the denial logs carry).
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::{Delete, Reason};
    ///
    /// let why = documents(&alice()).explain::<Delete>(&doc(1, 1, 1, "Plan"));
    /// assert!(!why.allowed);
    /// assert_eq!(why.reason, Reason::NoGrant); // the admin-only allow was never collected
    /// assert!(why.rules.is_empty());
    /// ```
    pub fn explain<A: Action>(&self, row: &E) -> Explanation
    where
        E: Governs<A>,
    {
        let mut sites = Vec::new();
        self.rules.sites(<E as Governs<A>>::BIT, row, &mut sites);
        let pick = |effect: Effect, only_matched: bool| -> Vec<&'static RuleSite> {
            sites
                .iter()
                .filter(|(s, m)| s.effect == effect && (*m || !only_matched))
                .filter(|(s, _)| effect == Effect::Allow || !s.has_fields)
                .map(|(s, _)| *s)
                .collect()
        };
        let e = self.eval::<A>(row);
        let (allowed, reason, rules) = if e.denied {
            (false, Reason::Denied, pick(Effect::Deny, true))
        } else if e.allowed {
            (true, Reason::Granted, pick(Effect::Allow, true))
        } else {
            (false, Reason::NoGrant, pick(Effect::Allow, false))
        };
        Explanation {
            action: A::NAME,
            allowed,
            reason,
            rules,
        }
    }

    /// Shapes a value (an entity, a `Vec` or a [`crate::Page`]) for a response: each row keeps
    /// its `#[expose]` fields that this subject may read.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// let shaped = documents(&alice()).shape(doc(1, 1, 1, "Plan"));
    /// // `tenant_id` and `archived` are not `#[expose]`d: they never leave.
    /// assert_eq!(
    ///     serde_json::to_string(&shaped).unwrap(),
    ///     r#"{"id":1,"owner_id":1,"title":"Plan"}"#
    /// );
    /// ```
    pub fn shape<T: Shape<Entity = E>>(&self, value: T) -> Shaped<T>
    where
        E: Governs<Read>,
    {
        Shaped::__new(value, |row| self.permitted_fields::<Read>(row))
    }

    /// Shapes like [`shape`](Self::shape) and adds to each row the actions of `C` the subject
    /// may take on it, as `"_can": {"update": true, "delete": false}`: what a UI needs to show
    /// or hide a row's buttons, decided by the same rules as [`can`](Self::can), with no
    /// request per row. A row that shows no field carries no `"_can"` either.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::{Delete, Update};
    ///
    /// let rows = vec![doc(1, 1, 1, "Plan"), doc(2, 1, 2, "Budget")];
    /// let shaped = documents(&alice()).shape_with_capabilities(rows, (Update, Archive, Delete));
    /// assert_eq!(
    ///     serde_json::to_string(&shaped).unwrap(),
    ///     concat!(
    ///         r#"[{"id":1,"owner_id":1,"title":"Plan","_can":{"update":true,"archive":true,"delete":false}},"#,
    ///         r#"{"id":2,"owner_id":2,"title":"Budget","_can":{"update":false,"archive":false,"delete":false}}]"#,
    ///     )
    /// );
    /// ```
    pub fn shape_with_capabilities<T, C>(&self, value: T, _actions: C) -> Shaped<T>
    where
        E: Governs<Read>,
        T: Shape<Entity = E>,
        C: Capabilities<E>,
    {
        self.shape(value)
            .__with_capabilities(C::NAMES, C::BITS, |bit, row| {
                !self.rules.denies(bit, row) && self.rules.allows(bit, row)
            })
    }

    /// The rule set, for code that walks the rules itself (see [`RuleSet`]).
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::{Governs, Read, RuleSet};
    ///
    /// let ability = documents(&alice());
    /// let mut sites = Vec::new();
    /// let bit = <Document as Governs<Read>>::BIT;
    /// ability.rules().sites(bit, &doc(1, 1, 1, "Plan"), &mut sites);
    /// assert_eq!(sites.len(), 1);
    /// assert_eq!(sites[0].0.text, "allow!(read where tenant_id == user.tenant_id)");
    /// assert!(sites[0].1); // it matches
    /// ```
    pub fn rules(&self) -> &R {
        &self.rules
    }
}
