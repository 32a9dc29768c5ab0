//! Abilities: the rules a `#[policy]` collected for one subject, and the decisions, field sets
//! and SQL filters they give.
//!
//! Semantics (README "Entities, policies, scopes"): a subject may do `A` on row `r` iff some `allow` for `A`
//! matches `r` and no field-less `deny` for `A` matches `r`. Permitted fields are the union of
//! the field lists of matching allows (no list = all fields) minus the fields of matching denies
//! that carry a list. The SQL scope is `(any allow) AND NOT (any field-less deny)`; no allow at
//! all is `FALSE`.

use crate::model::action::{Action, Governs, Read};
use crate::model::resource::{FieldSet, Resource};
use crate::model::shaped::{Shape, Shaped};
use std::marker::PhantomData;
use std::sync::Arc;

use crate::policy::rules::{DynRules, Effect, Eval, RuleSet, RuleSite};

/// Why a decision came out as it did; stable codes for logs and problems.
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
    pub fn code(self) -> &'static str {
        match self {
            Reason::Granted => "granted",
            Reason::NoGrant => "no_grant",
            Reason::Denied => "denied_by_rule",
        }
    }
}

/// The deciding rules of one decision (see [`Ability::explain`]).
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

    /// Whether the subject may do `A` on `row`.
    #[inline]
    pub fn can<A: Action>(&self, row: &E) -> bool
    where
        E: Governs<A>,
    {
        let bit = <E as Governs<A>>::BIT;
        !self.rules.denies(bit, row) && self.rules.allows(bit, row)
    }

    /// The fields the subject may use for `A` on `row`; empty when `A` is not allowed at all.
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

    /// The decision for `A` on `row` with the rules that made it.
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

    /// Shapes a value (an entity, a `Vec` or a [`crate::model::shaped::Page`]) for a response: each row keeps
    /// its `#[expose]` fields that this subject may read.
    pub fn shape<T: Shape<Entity = E>>(&self, value: T) -> Shaped<T>
    where
        E: Governs<Read>,
    {
        Shaped::__new(value, |row| self.permitted_fields::<Read>(row))
    }

    /// The rule set.
    pub fn rules(&self) -> &R {
        &self.rules
    }
}
